#!/usr/bin/python3
"""bench/torch_infer.py CELL I H [DIR T...] - PyTorch's inference time per
time step at batch 1: the nn.LSTM/GRU/RNN module called once per step on a
[1, 1, I] input with the state it returned, under torch.no_grad(), on 2
threads after warm-up steps. Prints seconds per step (the median of 7
timings, each of enough steps to last about 50 ms). With DIR, instead
writes DIR/x_T.npy of shape [1, T, I] (<f4, standard normal) for each T, the
inputs for rnnc's forward, and prints nothing."""
import os
import sys
import time

import numpy as np


def main():
    cell, I, H = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    if len(sys.argv) > 4:
        rng = np.random.default_rng(0)
        for T in map(int, sys.argv[5:]):
            x = rng.standard_normal((1, T, I), dtype=np.float32)
            np.save(os.path.join(sys.argv[4], f"x_{T}.npy"), x.astype("<f4"))
        return
    import torch  # only here: the npy mode starts faster without it
    import torch.nn as nn

    torch.set_num_threads(2)
    torch.manual_seed(0)
    layer = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}[cell](I, H, batch_first=True)
    xs = [torch.randn(1, 1, I) for _ in range(64)]
    with torch.no_grad():
        state = None

        def steps(n):
            nonlocal state
            for t in range(n):
                _, state = layer(xs[t % 64], state)

        steps(50)
        n, t0 = 1, time.perf_counter()
        while True:  # find a count of steps that takes 50 ms
            steps(n)
            t = time.perf_counter() - t0
            if t > 0.05:
                break
            n, t0 = n * 2, time.perf_counter()
        times = []
        for _ in range(7):
            t0 = time.perf_counter()
            steps(n)
            times.append((time.perf_counter() - t0) / n)
    print(f"{sorted(times)[3]:.9f}")


if __name__ == "__main__":
    main()
