#!/usr/bin/python3
"""bench/torch_export.py CELL I H DIR B:T... - the model bench/vs_ort.sh runs
in ONNX Runtime and in rnnc: one nn.LSTM/GRU/RNN layer (input I, hidden H,
batch_first) whose last step is the output, exported by torch.onnx.export
at opset 17 with batch and time dynamic, to DIR/model.onnx; and for each
B:T an input DIR/x_B_T.npy of shape [B, T, I] (<f4, standard normal).
Weights are PyTorch's default initialisation with seed 0."""
import os
import sys

import numpy as np
import torch
import torch.nn as nn


class LastStep(nn.Module):
    def __init__(self, cell, I, H):
        super().__init__()
        self.h = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}[cell](I, H, batch_first=True)

    def forward(self, x):
        return self.h(x)[0][:, -1]


def main():
    cell, I, H, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    torch.manual_seed(0)
    net = LastStep(cell, I, H).eval()
    torch.onnx.export(net, torch.zeros(1, 4, I), os.path.join(out, "model.onnx"), opset_version=17,
                      input_names=["x"], output_names=["y"], dynamic_axes={"x": {0: "batch", 1: "time"},
                                                                           "y": {0: "batch"}})
    rng = np.random.default_rng(0)
    for bt in sys.argv[5:]:
        B, T = map(int, bt.split(":"))
        x = rng.standard_normal((B, T, I), dtype=np.float32)
        np.save(os.path.join(out, f"x_{B}_{T}.npy"), x.astype("<f4"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
