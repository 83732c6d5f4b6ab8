#!/usr/bin/python3
"""tools/make_onnx_export_checks.py RNNC [OUT] - what `emit --target onnx`
is checked against: for every model tests/onnx/export/models.sh lists, the
export of its weights (the fixture's, or `init --seed 3`) is checked by
onnx.checker.check_model(full_check=True) and run by ONNX Runtime on an
input made here, and ONNX Runtime's output must agree with the program's
`forward` within the numerics bound. OUT/NAME/ (default
tests/onnx/export/checks/NAME/) then holds
  input.npy       the input (3 sequences of 6 steps; token ids below the
                  vocabulary)
  output_ort.npy  ONNX Runtime's output for it
  model.sha256    the export's SHA-256: tests/onnx/export.sh checks that
                  rnnc still writes exactly the file checked here
Run with Debian's python3-onnx, and onnxruntime-node on NODE_PATH (npm
install --ignore-scripts onnxruntime-node@1.30.0):
    NODE_PATH=/path/to/node_modules /usr/bin/python3 tools/make_onnx_export_checks.py build/rnnc
make test needs none of them: the checks are committed. make test-slow
runs this into a scratch directory (tests/onnx/export_live.sh)."""
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import onnx

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")


def models():
    out = subprocess.run(["sh", os.path.join(ROOT, "tests/onnx/export/models.sh")], check=True,
                         capture_output=True, text=True).stdout
    return [line.split() for line in out.splitlines()]


def make_input(model, rs):
    """3 sequences of 6 steps for the graph's input: floats, or ids below
    the vocabulary of the embedding that reads them."""
    inp = model.graph.input[0]
    dims = [d.dim_value for d in inp.type.tensor_type.shape.dim]
    if inp.type.tensor_type.elem_type == onnx.TensorProto.INT64:
        gather = next(n for n in model.graph.node if n.op_type == "Gather" and n.input[1] == inp.name)
        vocab = next(i for i in model.graph.initializer if i.name == gather.input[0]).dims[0]
        return rs.randint(0, vocab, size=(3, 6)).astype(np.int64)
    return rs.randn(3, 6, dims[2]).astype(np.float32)


def ort_output(onnx_path, x, work):
    """ONNX Runtime's output for x (tools/onnx_reference.js)."""
    shutil.copy(onnx_path, os.path.join(work, "ort_model.onnx"))
    x.tofile(os.path.join(work, "x.bin"))
    meta = {"dtype": "int64" if x.dtype == np.int64 else "float32", "dims": list(x.shape),
            "input": onnx.load(onnx_path).graph.input[0].name}
    with open(os.path.join(work, "x.json"), "w") as f:
        json.dump(meta, f)
    subprocess.run(["node", os.path.join(ROOT, "tools/onnx_reference.js"), work], check=True)
    with open(os.path.join(work, "y.json")) as f:
        dims = json.load(f)["dims"]
    return np.fromfile(os.path.join(work, "y.bin"), dtype=np.float32).reshape(dims)


def check(rnnc, name, source, weights, out, work):
    prog = os.path.join(work, "prog")
    subprocess.run([rnnc, "build", os.path.join(ROOT, source), "-o", prog], check=True)
    if weights == "-":
        weights = os.path.join(work, "w.safetensors")
        subprocess.run([prog, "init", "--seed", "3", "-o", weights], check=True, capture_output=True)
    else:
        weights = os.path.join(ROOT, weights)
    path = os.path.join(work, "model.onnx")
    subprocess.run([rnnc, "emit", os.path.join(ROOT, source), "--target", "onnx", "--weights", weights, "-o", path],
                   check=True)
    model = onnx.load(path)
    onnx.checker.check_model(model, full_check=True)
    x = make_input(model, np.random.RandomState(sum(map(ord, name))))
    y = ort_output(path, x, work)
    os.makedirs(out, exist_ok=True)
    np.save(os.path.join(out, "input.npy"), x)
    np.save(os.path.join(out, "output_ort.npy"), y)
    with open(path, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    with open(os.path.join(out, "model.sha256"), "w") as f:
        f.write(digest + "\n")
    agree = subprocess.run([prog, "forward", "--weights", weights, "--input", os.path.join(out, "input.npy"),
                            "--expect", os.path.join(out, "output_ort.npy")], capture_output=True, text=True)
    if agree.returncode:
        sys.exit(f"{name}: ONNX Runtime and forward disagree: {agree.stdout}{agree.stderr}")
    print(f"{name}: checked; {agree.stdout.strip()}")


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    rnnc = os.path.abspath(sys.argv[1])
    base = sys.argv[2] if len(sys.argv) > 2 else os.path.join(ROOT, "tests/onnx/export/checks")
    for name, source, weights in models():
        with tempfile.TemporaryDirectory() as work:
            check(rnnc, name, source, weights, os.path.join(base, name), work)


if __name__ == "__main__":
    main()
