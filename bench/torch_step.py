#!/usr/bin/python3
"""bench/torch_step.py CELL I H B T - PyTorch's training time per step for
one recurrent layer: forward, MSE on the layer's output sequence, backward
and an SGD update, on 2 threads after warm-up steps. Prints seconds per step
(the median of 5 timings of 10 steps). Also writes x.npy and y.npy for rnnc
(argument 6, a directory, optional): 8 batches of the same shapes, so that
an epoch of rnnc's train is 8 steps and its end-of-epoch checkpoint weighs
an eighth of a step."""
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def main():
    cell, I, H, B, T = sys.argv[1], *map(int, sys.argv[2:6])
    torch.set_num_threads(2)
    torch.manual_seed(0)
    layer = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}[cell](I, H, batch_first=True)
    x, y = torch.randn(B, T, I), torch.randn(B, T, H)
    if len(sys.argv) > 6:
        np.save(os.path.join(sys.argv[6], "x.npy"), x.repeat(8, 1, 1).numpy().astype("<f4"))
        np.save(os.path.join(sys.argv[6], "y.npy"), y.repeat(8, 1, 1).numpy().astype("<f4"))
    opt = torch.optim.SGD(layer.parameters(), lr=0.01)

    def step():
        opt.zero_grad()
        loss = F.mse_loss(layer(x)[0], y)
        loss.backward()
        opt.step()

    for _ in range(3):
        step()
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        for _ in range(10):
            step()
        times.append((time.perf_counter() - t0) / 10)
    print(f"{sorted(times)[2]:.6f}")


if __name__ == "__main__":
    main()
