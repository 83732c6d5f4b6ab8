#!/usr/bin/python3
"""bench/torch_lengths.py CELL I H B T DIR - data for bench/lengths.sh and
PyTorch's training time per step on it. Writes DIR/x.npy and DIR/y.npy (8
batches of B sequences of T steps, so that an epoch of rnnc's train is 8
steps) and DIR/lengths.npy (each sequence's length, uniform in [T/2, T]).
Prints two numbers: seconds per step (forward, MSE, backward, SGD update;
2 threads; the median of 5 timings of 10 steps after warm-up) of one
recurrent layer on the padded batch, and on the same batch packed with
pack_padded_sequence (the loss over valid positions)."""
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence


def seconds_per_step(step):
    for _ in range(3):
        step()
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        for _ in range(10):
            step()
        times.append((time.perf_counter() - t0) / 10)
    return sorted(times)[2]


def main():
    cell, I, H, B, T = sys.argv[1], *map(int, sys.argv[2:6])
    out = sys.argv[6]
    torch.set_num_threads(2)
    torch.manual_seed(0)
    g = np.random.default_rng(0)
    layer = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}[cell](I, H, batch_first=True)
    x, y = torch.randn(B, T, I), torch.randn(B, T, H)
    lengths = torch.from_numpy(g.integers(T // 2, T + 1, B))
    mask = (torch.arange(T)[None, :] < lengths[:, None])[:, :, None]
    np.save(os.path.join(out, "x.npy"), x.repeat(8, 1, 1).numpy().astype("<f4"))
    np.save(os.path.join(out, "y.npy"), y.repeat(8, 1, 1).numpy().astype("<f4"))
    np.save(os.path.join(out, "lengths.npy"), lengths.repeat(8).numpy().astype("<i8"))
    opt = torch.optim.SGD(layer.parameters(), lr=0.01)

    def padded():
        opt.zero_grad()
        ((layer(x)[0] - y) ** 2).mean().backward()
        opt.step()

    def packed():
        opt.zero_grad()
        p = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        h = pad_packed_sequence(layer(p)[0], batch_first=True, total_length=T)[0]
        (((h - y) ** 2) * mask).sum().div(mask.sum() * H).backward()
        opt.step()

    print(f"{seconds_per_step(padded):.6f} {seconds_per_step(packed):.6f}")


if __name__ == "__main__":
    main()
