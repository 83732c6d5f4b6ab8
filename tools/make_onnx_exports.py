#!/usr/bin/python3
"""tools/make_onnx_exports.py - models exported by torch.onnx.export, for
rnnc import: tests/onnx/torch/NAME_opsetN/ holds
  model.onnx   the export (opsets 14 and 17; batch and time dynamic)
  input.npy    an input, batch-first
  output.npy   PyTorch's output for it
  output_ort.npy  ONNX Runtime's output for it (tools/onnx_reference.js),
               checked here to agree with PyTorch's within the numerics bound
Run with Debian's python3-torch and python3-onnx, and onnxruntime-node on
NODE_PATH (npm install --ignore-scripts onnxruntime-node@1.30.0):
    NODE_PATH=/path/to/node_modules /usr/bin/python3 tools/make_onnx_exports.py
The tests need none of them: the fixtures are committed."""
import json
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import torch
import torch.nn as nn

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "onnx", "torch")


class Net(nn.Module):
    def __init__(self, layers, run):
        super().__init__()
        for name, module in layers.items():
            setattr(self, name, module)
        self.run = run

    def forward(self, x):
        return self.run(self, x)


def tokens(V):
    return lambda g: torch.randint(0, V, (3, 9), generator=g)


def vectors(N):
    return lambda g: torch.randn(3, 9, N, generator=g)


MODELS = [
    # the examples' equivalents (examples/*.rnn built from prelude cells)
    # (the examples' structure at smaller sizes, to keep the files small)
    ("timeseries", lambda: {"h": nn.GRU(3, 16, batch_first=True), "out": nn.Linear(16, 1)},
     lambda s, x: s.out(s.h(x)[0]), vectors(3)),
    ("charlm", lambda: {"e": nn.Embedding(256, 8), "h": nn.LSTM(8, 16, num_layers=2, dropout=0.1, batch_first=True),
                        "logits": nn.Linear(16, 256)},
     lambda s, x: s.logits(s.h(s.e(x))[0]), tokens(256)),
    ("classifier", lambda: {"e": nn.Embedding(1000, 8), "h": nn.RNN(8, 16, bidirectional=True, batch_first=True),
                            "logits": nn.Linear(32, 4)},
     lambda s, x: s.logits(s.h(s.e(x))[0][:, -1]), tokens(1000)),
    ("sensors", lambda: {"h": nn.GRU(6, 16, batch_first=True), "logits": nn.Linear(16, 4)},
     lambda s, x: s.logits(s.h(x)[0][:, -1]), vectors(6)),
    # two-layer bidirectional LSTM and GRU with embedding and a linear head
    ("lstm_2x_bidirectional", lambda: {"e": nn.Embedding(20, 5), "h": nn.LSTM(5, 6, num_layers=2, bidirectional=True,
                                                                                batch_first=True),
                                       "out": nn.Linear(12, 3)},
     lambda s, x: s.out(s.h(s.e(x))[0]), tokens(20)),
    ("gru_2x_bidirectional", lambda: {"e": nn.Embedding(20, 5), "h": nn.GRU(5, 6, num_layers=2, bidirectional=True,
                                                                              batch_first=True),
                                      "out": nn.Linear(12, 3)},
     lambda s, x: s.out(s.h(s.e(x))[0]), tokens(20)),
    # many-to-one with relu RNN; activations and dropout (eval mode) between layers
    ("rnn_relu_last", lambda: {"h": nn.RNN(4, 7, nonlinearity="relu", batch_first=True), "out": nn.Linear(7, 2)},
     lambda s, x: s.out(s.h(x)[0][:, -1]), vectors(4)),
    ("dropout_activations", lambda: {"h": nn.LSTM(4, 6, batch_first=True), "drop": nn.Dropout(0.3),
                                     "mid": nn.Linear(6, 5), "out": nn.Linear(5, 2)},
     lambda s, x: s.out(torch.tanh(s.mid(s.drop(torch.relu(s.h(x)[0]))))), vectors(4)),
]


def ort_output(model, x):
    """ONNX Runtime's first output for the model file on input x."""
    with tempfile.TemporaryDirectory() as d:
        shutil.copy(model, os.path.join(d, "ort_model.onnx"))
        x.tofile(os.path.join(d, "x.bin"))
        meta = {"input": "x", "dims": list(x.shape), "dtype": "int64" if x.dtype == np.int64 else "float32"}
        with open(os.path.join(d, "x.json"), "w") as f:
            json.dump(meta, f)
        script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "onnx_reference.js")
        subprocess.run(["node", script, d], check=True)
        with open(os.path.join(d, "y.json")) as f:
            dims = json.load(f)["dims"]
        return np.fromfile(os.path.join(d, "y.bin"), dtype="<f4").reshape(dims)


def agree(got, want):
    """Within the numerics bound the tests use (1e-4 of the largest magnitude, plus 1e-5)."""
    return got.shape == want.shape and np.abs(got - want).max() <= 1e-4 * np.abs(want).max() + 1e-5


def main():
    torch.manual_seed(0)
    only = set(sys.argv[1:])
    for i, (name, layers, run, make_input) in enumerate(MODELS):
        if only and name not in only:
            continue
        torch.manual_seed(10 + i)
        net = Net(layers(), run).eval()
        x = make_input(torch.Generator().manual_seed(20 + i))
        with torch.no_grad():
            y = net(x)
        for opset in (14, 17):
            d = os.path.join(OUT, f"{name}_opset{opset}")
            os.makedirs(d, exist_ok=True)
            dynamic = {"x": {0: "batch", 1: "time"}, "y": {0: "batch"} if y.dim() == 2 else {0: "batch", 1: "time"}}
            torch.onnx.export(net, x, os.path.join(d, "model.onnx"), opset_version=opset, input_names=["x"],
                              output_names=["y"], dynamic_axes=dynamic)
            np.save(os.path.join(d, "input.npy"), x.numpy().astype("<i8" if x.dtype == torch.int64 else "<f4"))
            np.save(os.path.join(d, "output.npy"), y.numpy().astype("<f4"))
            y_ort = ort_output(os.path.join(d, "model.onnx"), np.load(os.path.join(d, "input.npy")))
            if not agree(y_ort, y.numpy()):
                sys.exit(f"{name} at opset {opset}: ONNX Runtime and PyTorch disagree")
            np.save(os.path.join(d, "output_ort.npy"), y_ort.astype("<f4"))
        print(f"{name}: output {tuple(y.shape)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
