#!/usr/bin/python3
"""tools/make_onnx_fixtures.py - ONNX's own recurrent node tests as rnnc
fixtures, tests/onnx/node/NAME/:
  model.onnx   the test's model, with every input but X and sequence_lens
               made an initializer (constant data, as in a real model)
  input.npy    X, batch-first ([B, T, I]: layout 0's [T, B, I] transposed)
  lengths.npy  sequence_lens, where the test has it
  output.npy   output_0, in rnnc's layout: Y [T, D, B, H] (layout 1:
               [B, T, D, H]) as [B, T, D*H], Y_h [D, B, H] as [B, D*H]

Run with Debian's python3-onnx and libonnx-testdata:
    /usr/bin/python3 tools/make_onnx_fixtures.py
Also tests/onnx/refused/NAME.onnx: models that import must refuse, each
with the message tests/onnx/run.sh expects; and tests/onnx/own/NAME/: models
built here with onnx.helper that the node tests leave out (T >= 5, lengths
shorter than T, peepholes, input_forget, clip, bidirectional, other
activations with alpha and beta, layout 1), in the same layout, their
output.npy from ONNX Runtime (tools/onnx_reference.js; onnxruntime-node on
NODE_PATH, installed with npm install --ignore-scripts
onnxruntime-node@1.30.0). ONNX Runtime runs layout 0 only, so a layout-1
model's reference is its layout-0 twin's.
The tests need neither: the fixtures are committed."""
import os
import sys

import numpy as np
import onnx
from onnx import numpy_helper

DATA = "/usr/share/libonnx-testdata/data/node"
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "onnx", "node")
TESTS = ["test_rnn_seq_length", "test_simple_rnn_defaults", "test_simple_rnn_with_initial_bias",
         "test_simple_rnn_batchwise", "test_lstm_defaults", "test_lstm_with_initial_bias",
         "test_lstm_with_peepholes", "test_lstm_batchwise", "test_gru_defaults", "test_gru_with_initial_bias",
         "test_gru_seq_length", "test_gru_batchwise"]


def load(path):
    t = onnx.TensorProto()
    with open(path, "rb") as f:
        t.ParseFromString(f.read())
    return numpy_helper.to_array(t)


def convert(name):
    src = os.path.join(DATA, name)
    model = onnx.load(os.path.join(src, "model.onnx"))
    g = model.graph
    node = g.node[0]
    inputs = [load(os.path.join(src, "test_data_set_0", f"input_{i}.pb")) for i in range(len(g.input))]
    output = load(os.path.join(src, "test_data_set_0", "output_0.pb"))
    layout = next((a.i for a in node.attribute if a.name == "layout"), 0)
    keep = {node.input[0]} | ({node.input[4]} if len(node.input) > 4 and node.input[4] else set())
    values = {i.name: v for i, v in zip(g.input, inputs)}
    for i in list(g.input):
        if i.name not in keep:
            g.initializer.append(numpy_helper.from_array(values[i.name], i.name))
            g.input.remove(i)
    d = os.path.join(OUT, name)
    os.makedirs(d, exist_ok=True)
    onnx.save(model, os.path.join(d, "model.onnx"))
    x = values[node.input[0]]
    np.save(os.path.join(d, "input.npy"), (x if layout else x.transpose(1, 0, 2)).astype("<f4"))
    if len(node.input) > 4 and node.input[4]:
        np.save(os.path.join(d, "lengths.npy"), values[node.input[4]].astype("<i8"))
    first = g.output[0].name
    if first == node.output[0]:  # Y
        y = output if layout else output.transpose(2, 0, 1, 3)  # -> [B, T, D, H]
        y = y.reshape(y.shape[0], y.shape[1], -1)
    else:  # Y_h
        y = output if layout else output.transpose(1, 0, 2)  # -> [B, D, H]
        y = y.reshape(y.shape[0], -1)
    np.save(os.path.join(d, "output.npy"), y.astype("<f4"))
    print(f"{name}: {node.op_type}, output {first} {y.shape}")


def gru(direction="forward", activations=None, H=2, I=3):
    """A GRU node reading X, its weights as initializers."""
    from onnx import helper, TensorProto
    D = 2 if direction == "bidirectional" else 1
    attrs = {"hidden_size": H, "direction": direction}
    if activations:
        attrs["activations"] = activations
    node = helper.make_node("GRU", ["X", "W", "R"], ["Y", "Y_h"], name="/h/GRU", **attrs)
    rng = np.random.default_rng(0)
    inits = [numpy_helper.from_array(rng.standard_normal((D, 3 * H, I)).astype("<f4"), "W"),
             numpy_helper.from_array(rng.standard_normal((D, 3 * H, H)).astype("<f4"), "R")]
    return node, inits, [helper.make_tensor_value_info("X", TensorProto.FLOAT, [5, 1, I])], \
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, None)]


def refused():
    """Models beyond what import reads."""
    from onnx import helper, TensorProto
    d = os.path.join(OUT, "..", "refused")
    os.makedirs(d, exist_ok=True)

    def save(name, nodes, inits, inputs, outputs):
        g = helper.make_graph(nodes, name, inputs, outputs, inits)
        onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 14)]), os.path.join(d, name + ".onnx"))
        print(f"refused/{name}.onnx")

    node, inits, inputs, outputs = gru("reverse")
    save("reverse_gru", [node], inits, inputs, outputs)
    node, inits, inputs, outputs = gru(activations=["ThresholdedRelu", "Tanh"])
    save("thresholded_relu", [node], inits, inputs, outputs)
    node, inits, inputs, outputs = gru()
    squeeze = helper.make_node("Squeeze", ["Y", "axes"], ["S"], name="/h/Squeeze")
    axes = numpy_helper.from_array(np.array([1], dtype=np.int64), "axes")
    mean = helper.make_node("ReduceMean", ["S"], ["M"], name="/pool/ReduceMean", axes=[0])
    save("reduce_mean", [node, squeeze, mean], inits + [axes], inputs,
         [helper.make_tensor_value_info("M", TensorProto.FLOAT, None)])
    node, inits, inputs, outputs = gru()
    conv = helper.make_node("Relu", ["Y"], ["Z"], name="/act/Relu")
    save("relu_after", [node, conv], inits, inputs, [helper.make_tensor_value_info("Z", TensorProto.FLOAT, None)])
    # hostile: a cycle (each node reads the other's output); a hidden_size its weights do not have
    node, inits, inputs, outputs = gru()
    a = helper.make_node("Relu", ["B"], ["A"], name="/a/Relu")
    b = helper.make_node("Tanh", ["A"], ["B"], name="/b/Tanh")
    save("cycle", [a, b], [], inputs, [helper.make_tensor_value_info("B", TensorProto.FLOAT, None)])
    next(a for a in node.attribute if a.name == "hidden_size").i = 1 << 40
    save("huge_hidden_size", [node], inits, inputs, outputs)


GATES = {"RNN": 1, "GRU": 3, "LSTM": 4}


def own_model(name, op, H, I, T, B, attrs, lengths=None, peepholes=False, output="Y", dirs=1, seed=0):
    """One recurrent node with its weights as initializers; input.npy,
    lengths.npy and output.npy (from ONNX Runtime) beside it."""
    from onnx import helper, TensorProto
    import json
    import subprocess
    rng = np.random.default_rng(seed)
    G, D = GATES[op], dirs
    layout = attrs.get("layout", 0)
    inits = [numpy_helper.from_array((0.5 * rng.standard_normal((D, G * H, I))).astype("<f4"), "W"),
             numpy_helper.from_array((0.5 * rng.standard_normal((D, G * H, H))).astype("<f4"), "R"),
             numpy_helper.from_array((0.3 * rng.standard_normal((D, 2 * G * H))).astype("<f4"), "B")]
    inputs = ["X", "W", "R", "B", "sequence_lens" if lengths is not None else ""]
    if peepholes:
        inits.append(numpy_helper.from_array((0.5 * rng.standard_normal((D, 3 * H))).astype("<f4"), "P"))
        inputs += ["", "", "P"]
    x = rng.standard_normal((B, T, I)).astype("<f4")
    d = os.path.join(OUT, "..", "own", name)
    os.makedirs(d, exist_ok=True)

    def save(path, layout):
        node = helper.make_node(op, inputs, ["Y", "Y_h"], name=f"/h/{op}", hidden_size=H,
                                **dict(attrs, layout=layout))
        xs = [B, T, I] if layout else [T, B, I]
        ins = [helper.make_tensor_value_info("X", TensorProto.FLOAT, xs)]
        if lengths is not None:
            ins.append(helper.make_tensor_value_info("sequence_lens", TensorProto.INT32, [B]))
        outs = [helper.make_tensor_value_info(output, TensorProto.FLOAT, None)]
        g = helper.make_graph([node], name, ins, outs, inits)
        onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 14)]), path)

    save(os.path.join(d, "model.onnx"), layout)
    save(os.path.join(d, "ort_model.onnx"), 0)
    x.transpose(1, 0, 2).copy().tofile(os.path.join(d, "x.bin"))
    meta = {"input": "X", "dims": [T, B, I]}
    if lengths is not None:
        meta.update(lengths=list(lengths), lengths_name="sequence_lens")
        np.save(os.path.join(d, "lengths.npy"), np.array(lengths, dtype="<i8"))
    with open(os.path.join(d, "x.json"), "w") as f:
        json.dump(meta, f)
    subprocess.run(["node", os.path.join(os.path.dirname(os.path.abspath(__file__)), "onnx_reference.js"), d],
                   check=True)
    with open(os.path.join(d, "y.json")) as f:
        dims = json.load(f)["dims"]
    y = np.fromfile(os.path.join(d, "y.bin"), dtype="<f4").reshape(dims)
    y = y.transpose(2, 0, 1, 3).reshape(B, T, -1) if output == "Y" else y.transpose(1, 0, 2).reshape(B, -1)
    np.save(os.path.join(d, "input.npy"), x)
    np.save(os.path.join(d, "output.npy"), y.astype("<f4"))
    for f in ("ort_model.onnx", "x.bin", "x.json", "y.bin", "y.json"):
        os.remove(os.path.join(d, f))
    print(f"own/{name}: {op}, {output} {y.shape}")


def own():
    own_model("lstm_peepholes_input_forget_clip_lengths", "LSTM", 5, 4, 7, 3,
              {"input_forget": 1, "clip": 0.9}, lengths=[7, 3, 5], peepholes=True, seed=1)
    own_model("lstm_peepholes_last", "LSTM", 4, 3, 6, 2, {}, lengths=[6, 2], peepholes=True, output="Y_h", seed=2)
    own_model("gru_bidirectional_lbr0_activations", "GRU", 4, 3, 6, 2,
              {"direction": "bidirectional", "activations": ["HardSigmoid", "Softsign"] * 2,
               "activation_alpha": [0.3, 0.3], "activation_beta": [0.6, 0.6]}, dirs=2, seed=3)
    own_model("gru_lbr1_layout1", "GRU", 5, 2, 8, 3, {"linear_before_reset": 1, "layout": 1}, output="Y_h", seed=4)
    own_model("gru_lbr0_layout1_lengths", "GRU", 3, 2, 6, 3, {"layout": 1}, lengths=[2, 6, 4], seed=5)
    own_model("rnn_leaky_relu", "RNN", 6, 3, 9, 2, {"activations": ["LeakyRelu"], "activation_alpha": [0.2]},
              output="Y_h", seed=6)
    own_model("rnn_relu_bidirectional", "RNN", 3, 2, 5, 2, {"direction": "bidirectional", "activations": ["Relu", "Relu"]},
              dirs=2, seed=7)
    own_model("lstm_scaled_tanh_affine", "LSTM", 3, 2, 5, 2,
              {"activations": ["Sigmoid", "ScaledTanh", "Affine"], "activation_alpha": [0.8, 0.5],
               "activation_beta": [1.2, 0.1]}, seed=8)


def main():
    for name in sys.argv[1:] or TESTS:
        convert(name)
    if not sys.argv[1:]:
        refused()
        own()
    return 0


if __name__ == "__main__":
    sys.exit(main())
