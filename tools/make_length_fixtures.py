#!/usr/bin/python3
"""tools/make_length_fixtures.py - PyTorch references for variable-length
sequences (`--lengths`), in the layout of tools/make_fixtures.py plus
  lengths.npy          each sequence's valid steps, <i8 [B]: unsorted, with 1 and T

Run with Debian's python3-torch (PyTorch 1.13):
    /usr/bin/python3 tools/make_length_fixtures.py [NAME...]
The reference runs every recurrent layer on
pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False) and
pads its output back with zeros; `last` takes step L[b]-1; the losses
average over valid positions only (cross-entropy also skips targets of
-100); the recorded output is zero at padding positions, as `forward`
writes it. The files hold garbage where sequences are padded - NaN in
float inputs and targets, ids outside the vocabulary in token inputs - which
no result may depend on. Training fixtures (tests/parity/train/NAME/) hold
two steps of torch.optim on such a batch."""
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from make_fixtures import ROOT, save_safetensors


def packed(rnn, x, lengths):
    """rnn over the valid steps of each sequence; zeros past them."""
    p = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
    out, _ = rnn(p)
    return pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])[0]


def valid_mask(lengths, T):
    return torch.arange(T)[None, :] < lengths[:, None]


def last_step(out, lengths):
    return out[torch.arange(out.shape[0]), lengths - 1]


def make_lengths(B, T, g):
    """Unsorted, with 1 and T among them."""
    lengths = torch.randint(1, T + 1, (B,), generator=g)
    lengths[1], lengths[B - 2] = 1, T
    return lengths


class LengthFixture:
    def __init__(self, name, source, build, run, loss, B, T, make_x, make_y):
        self.name, self.source, self.build, self.run, self.loss = name, source, build, run, loss
        self.B, self.T, self.make_x, self.make_y = B, T, make_x, make_y


def token_input(V):
    """Ids, and the same with garbage at padding positions (for the file)."""
    def make(B, T, mask, g):
        x = torch.randint(0, V, (B, T), generator=g)
        garbage = x.clone()
        garbage[~mask] = 1000003  # outside the vocabulary: must not be read
        return x, garbage
    return make


def vector_data(N):
    def make(B, T, mask, g):
        x = torch.randn(B, T, N, generator=g)
        garbage = x.clone()
        garbage[~mask] = float("nan")
        return x, garbage
    return make


def token_targets(V):
    def make(B, T, mask, g):
        y = torch.randint(0, V, (B, T), generator=g)
        y[torch.rand(B, T, generator=g) < 0.1] = -100  # ignored within sequences too
        garbage = y.clone()
        garbage[~mask] = 7
        y[~mask] = -100
        return y, garbage
    return make


def per_sequence(make_plain):
    return lambda B, T, mask, g: (lambda y: (y, y))(make_plain(B, g))


FIXTURES = [
    LengthFixture("lengths_lstm_bidirectional_two_layers_ce", """
model m {
    input  x : seq token(13)
    target y : seq token(13)
    e      = embedding(x, dim=5)
    h      = lstm(e, hidden=6, layers=2, bidirectional=true)
    logits = linear(h, 13)
    loss cross_entropy(logits, y)
}
""", lambda: {"e": nn.Embedding(13, 5), "h": nn.LSTM(5, 6, num_layers=2, bidirectional=True, batch_first=True),
              "logits": nn.Linear(12, 13)},
        lambda s, x, L: s.logits(packed(s.h, s.e(x), L)), "ce", 5, 31, token_input(13), token_targets(13)),

    LengthFixture("lengths_gru_two_layers_last_ce", """
model m {
    input  x : seq vector(4)
    target y : token(3)
    h      = gru(x, hidden=7, layers=2)
    logits = linear(last(h), 3)
    loss cross_entropy(logits, y)
}
""", lambda: {"h": nn.GRU(4, 7, num_layers=2, batch_first=True), "logits": nn.Linear(7, 3)},
        lambda s, x, L: s.logits(last_step(packed(s.h, x, L), L)), "ce", 6, 30, vector_data(4),
        per_sequence(lambda B, g: torch.randint(0, 3, (B,), generator=g))),

    LengthFixture("lengths_rnn_bidirectional_last_mse", """
model m {
    input  x : seq vector(3)
    target y : vector(2)
    h   = rnn(x, hidden=5, bidirectional=true)
    out = linear(last(h), 2)
    loss mse(out, y)
}
""", lambda: {"h": nn.RNN(3, 5, bidirectional=True, batch_first=True), "out": nn.Linear(10, 2)},
        lambda s, x, L: s.out(last_step(packed(s.h, x, L), L)), "mse", 5, 32, vector_data(3),
        per_sequence(lambda B, g: torch.randn(B, 2, generator=g))),

    LengthFixture("lengths_gru_bidirectional_mse", """
model m {
    input  x : seq vector(3)
    target y : seq vector(2)
    h   = gru(x, hidden=4, bidirectional=true)
    out = linear(tanh(h), 2)
    loss mse(out, y)
}
""", lambda: {"h": nn.GRU(3, 4, bidirectional=True, batch_first=True), "out": nn.Linear(8, 2)},
        lambda s, x, L: s.out(torch.tanh(packed(s.h, x, L))), "mse", 4, 33, vector_data(3), vector_data(2)),

    LengthFixture("lengths_rnn_relu_two_layers_mse", """
model m {
    input  x : seq vector(2)
    target y : seq vector(3)
    h   = rnn(x, hidden=6, layers=2, nonlinearity=relu)
    out = linear(h, 3)
    loss mse(out, y)
}
""", lambda: {"h": nn.RNN(2, 6, num_layers=2, nonlinearity="relu", batch_first=True), "out": nn.Linear(6, 3)},
        lambda s, x, L: s.out(packed(s.h, x, L)), "mse", 5, 30, vector_data(2), vector_data(3)),
]


def loss_of(fx, out, y, mask):
    if fx.loss == "ce":
        return F.cross_entropy(out.reshape(-1, out.shape[-1]), y.reshape(-1), ignore_index=-100)
    if out.dim() == 2:  # per sequence
        return F.mse_loss(out, y)
    m = mask[:, :, None].expand_as(out)
    return ((out - torch.nan_to_num(y)) ** 2)[m].mean()


def write(fx, seed):
    torch.manual_seed(seed)
    g = torch.Generator().manual_seed(seed)
    net = nn.Module()
    for attr, module in fx.build().items():
        setattr(net, attr, module)
    lengths = make_lengths(fx.B, fx.T, g)
    mask = valid_mask(lengths, fx.T)
    x, x_file = fx.make_x(fx.B, fx.T, mask, g)
    y, y_file = fx.make_y(fx.B, fx.T, mask, g)
    out = fx.run(net, x, lengths)
    loss = loss_of(fx, out, y, mask)
    net.zero_grad()
    loss.backward()
    out = out.detach()
    if out.dim() == 3:
        out = out * mask[:, :, None]  # forward writes zeros at padding
    d = os.path.join(ROOT, fx.name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "model.rnn"), "w") as f:
        f.write(fx.source.lstrip())
    params = dict(net.named_parameters())
    save_safetensors(os.path.join(d, "weights.safetensors"), params)
    save_safetensors(os.path.join(d, "grads.safetensors"), {k: v.grad for k, v in params.items()})
    np.save(os.path.join(d, "input.npy"), x_file.numpy().astype("<i8" if x.dtype == torch.int64 else "<f4"))
    np.save(os.path.join(d, "target.npy"), y_file.numpy().astype("<i8" if y.dtype == torch.int64 else "<f4"))
    np.save(os.path.join(d, "lengths.npy"), lengths.numpy().astype("<i8"))
    np.save(os.path.join(d, "output.npy"), out.numpy().astype("<f4"))
    with open(os.path.join(d, "loss.txt"), "w") as f:
        f.write(f"loss: {loss.item():.9g}\n")
    print(f"{fx.name}: loss {loss.item():.6f}, lengths {lengths.tolist()}")


TRAIN_MODEL = """
model m {{
    input  x : seq token(9)
    target y : seq token(9)
    e      = embedding(x, dim=5)
    h      = gru(e, hidden=7, bidirectional=true)
    logits = linear(h, 9)
    loss cross_entropy(logits, y)
    train {{ optimizer = {opt}; batch = 6; epochs = 2; valid = 0 }}
}}
"""

TRAINERS = [
    ("train_lengths_sgd", "sgd(lr=0.5, momentum=0.9)", lambda p: torch.optim.SGD(p, lr=0.5, momentum=0.9)),
    ("train_lengths_adam", "adam(lr=0.01)", lambda p: torch.optim.Adam(p, lr=0.01)),
]


def write_trainer(name, opt_text, make_opt, seed):
    """Two optimizer steps on one batch of variable-length sequences."""
    torch.manual_seed(seed)
    g = torch.Generator().manual_seed(seed)
    net = nn.Module()
    net.e, net.h, net.logits = nn.Embedding(9, 5), nn.GRU(5, 7, bidirectional=True, batch_first=True), nn.Linear(14, 9)
    B, T = 6, 30
    lengths = make_lengths(B, T, g)
    mask = valid_mask(lengths, T)
    x, x_file = token_input(9)(B, T, mask, g)
    y, y_file = token_targets(9)(B, T, mask, g)
    d = os.path.join(ROOT, "..", "train", name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "model.rnn"), "w") as f:
        f.write(TRAIN_MODEL.format(opt=opt_text).lstrip())
    save_safetensors(os.path.join(d, "weights.safetensors"), dict(net.named_parameters()))
    np.save(os.path.join(d, "input.npy"), x_file.numpy().astype("<i8"))
    np.save(os.path.join(d, "target.npy"), y_file.numpy().astype("<i8"))
    np.save(os.path.join(d, "lengths.npy"), lengths.numpy().astype("<i8"))
    opt = make_opt(net.parameters())
    for _ in range(2):
        opt.zero_grad()
        out = net.logits(packed(net.h, net.e(x), lengths))
        F.cross_entropy(out.reshape(-1, 9), y.reshape(-1), ignore_index=-100).backward()
        opt.step()
    save_safetensors(os.path.join(d, "after.safetensors"), dict(net.named_parameters()))
    print(f"{name}: lengths {lengths.tolist()}")


def main():
    torch.set_num_threads(1)
    only = set(sys.argv[1:])
    known = {fx.name for fx in FIXTURES} | {t[0] for t in TRAINERS}
    if only - known:
        print("make_length_fixtures.py: no fixture named " + ", ".join(sorted(only - known)), file=sys.stderr)
        return 2
    for i, fx in enumerate(FIXTURES):
        if not only or fx.name in only:
            write(fx, 300 + i)
    for i, (name, opt_text, make_opt) in enumerate(TRAINERS):
        if not only or name in only:
            write_trainer(name, opt_text, make_opt, 400 + i)
    return 0


if __name__ == "__main__":
    sys.exit(main())
