#!/usr/bin/python3
"""tests/parity/load_in_torch.py WEIGHTS INPUT OUTPUT - weights written by
`PROG train` for tests/parity/fixtures/lstm_bidirectional_two_layers_ce
load into the same PyTorch network with a strict load_state_dict, and
PyTorch's forward on INPUT gives OUTPUT (from `PROG forward`) within the numerics bound. Exits 0 on success, 1 on a mismatch."""
import json
import struct
import sys

import numpy as np
import torch
import torch.nn as nn


def load_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        assert info["dtype"] == "F32", name
        a, b = info["data_offsets"]
        out[name] = torch.from_numpy(np.frombuffer(data[a:b], dtype="<f4").copy().reshape(info["shape"]))
    return out


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.e = nn.Embedding(13, 4)
        self.h = nn.LSTM(4, 5, num_layers=2, bidirectional=True, batch_first=True)
        self.logits = nn.Linear(10, 13)

    def forward(self, x):
        return self.logits(self.h(self.e(x))[0])


def main():
    weights, inp, expected = sys.argv[1:4]
    net = Net()
    net.load_state_dict(load_safetensors(weights), strict=True)
    net.eval()
    with torch.no_grad():
        out = net(torch.from_numpy(np.load(inp)).long()).numpy()
    ref = np.load(expected)
    diff = float(np.abs(out - ref).max())
    bound = 1e-4 * float(np.abs(ref).max()) + 1e-5
    print(f"strict load_state_dict: ok; largest difference {diff:.3g} (bound {bound:.3g})")
    return 0 if diff <= bound else 1


if __name__ == "__main__":
    sys.exit(main())
