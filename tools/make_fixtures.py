#!/usr/bin/python3
"""tools/make_fixtures.py - write PyTorch reference fixtures for rnnc.

Run with Debian's python3-torch (PyTorch 1.13):  /usr/bin/python3 tools/make_fixtures.py
Each fixture is a directory tests/parity/fixtures/NAME/ holding
  model.rnn            the model in rnnc's language
  weights.safetensors  PyTorch's state_dict, under its own names
  input.npy target.npy the data (targets padded with -100 where noted)
  output.npy           the loss's first argument, from PyTorch
  loss.txt             "loss: VALUE" from F.cross_entropy or F.mse_loss
  grads.safetensors    d loss / d parameter, under the parameters' names
Sequences are at least 30 steps long, so gradients cross many steps; two
are longer than the 1024 steps a program's forward runs at a time.
With NAMEs as arguments, writes only those fixtures (the others stay as
committed).
Training fixtures, tests/parity/train/NAME/, hold a model whose train
block sets the optimizer and clipping, the weights before, the data, and
after.safetensors: the weights after two steps of torch.optim with
clip_grad_norm_ active.
The tests compare built programs against these files without torch.
Shapes are chosen so that batch, time and every width differ."""
import json
import os
import struct
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "parity", "fixtures")


def save_safetensors(path, tensors):
    """The safetensors layout: u64 header length, JSON header, raw data."""
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        data = np.ascontiguousarray(t.detach().cpu().numpy(), dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


class Fixture(nn.Module):
    """A network whose attribute names are the model's layer names."""

    def __init__(self, name, source, build, run, loss, make_input, make_target):
        super().__init__()
        self.fixture_name, self.source = name, source
        self.run, self.loss_name = run, loss
        self.make_input, self.make_target = make_input, make_target
        for attr, module in build().items():
            setattr(self, attr, module)

    def forward(self, x):
        return self.run(self, x)


def tokens(B, T, V):
    return lambda g: torch.randint(0, V, (B, T), generator=g)


def vectors(*shape):
    return lambda g: torch.randn(*shape, generator=g)


def padded_tokens(B, T, V):
    """Targets of unequal lengths: the tail of some sequences is -100."""
    def make(g):
        y = torch.randint(0, V, (B, T), generator=g)
        for b in range(B):
            y[b, T - b % 3 * 2:] = -100
        return y
    return make


def seq_out(module_output):
    return module_output[0]


FIXTURES = [
    Fixture("rnn_tanh_mse", """
model m {
    input  x : seq vector(3)
    target y : seq vector(2)
    h   = rnn(x, hidden=5)
    out = linear(h, 2)
    loss mse(out, y)
}
""", lambda: {"h": nn.RNN(3, 5, batch_first=True), "out": nn.Linear(5, 2)},
        lambda s, x: s.out(s.h(x)[0]), "mse", vectors(4, 31, 3), vectors(4, 31, 2)),

    Fixture("rnn_relu_ce_padded", """
model m {
    input  x : seq token(11)
    target y : seq token(11)
    e      = embedding(x, dim=6)
    h      = rnn(e, hidden=9, nonlinearity=relu)
    logits = linear(h, 11)
    loss cross_entropy(logits, y)
}
""", lambda: {"e": nn.Embedding(11, 6), "h": nn.RNN(6, 9, nonlinearity="relu", batch_first=True),
              "logits": nn.Linear(9, 11)},
        lambda s, x: s.logits(s.h(s.e(x))[0]), "ce", tokens(5, 32, 11), padded_tokens(5, 32, 11)),

    Fixture("lstm_two_layers", """
model m {
    input  x : seq vector(4)
    target y : seq vector(3)
    h   = lstm(x, hidden=6, layers=2, dropout=0.25)
    out = linear(h, 3)
    loss mse(out, y)
}
""", lambda: {"h": nn.LSTM(4, 6, num_layers=2, dropout=0.25, batch_first=True), "out": nn.Linear(6, 3)},
        lambda s, x: s.out(s.h(x)[0]), "mse", vectors(5, 33, 4), vectors(5, 33, 3)),

    Fixture("gru_bidirectional", """
model m {
    input  x : seq vector(3)
    target y : seq vector(2)
    h   = gru(x, hidden=7, bidirectional=true)
    out = linear(h, 2)
    loss mse(out, y)
}
""", lambda: {"h": nn.GRU(3, 7, bidirectional=True, batch_first=True), "out": nn.Linear(14, 2)},
        lambda s, x: s.out(s.h(x)[0]), "mse", vectors(4, 30, 3), vectors(4, 30, 2)),

    Fixture("lstm_bidirectional_two_layers_ce", """
model m {
    input  x : seq token(13)
    target y : seq token(13)
    e      = embedding(x, dim=4)
    h      = lstm(e, hidden=5, layers=2, bidirectional=true)
    logits = linear(h, 13)
    loss cross_entropy(logits, y)
}
""", lambda: {"e": nn.Embedding(13, 4), "h": nn.LSTM(4, 5, num_layers=2, bidirectional=True, batch_first=True),
              "logits": nn.Linear(10, 13)},
        lambda s, x: s.logits(s.h(s.e(x))[0]), "ce", tokens(3, 34, 13), padded_tokens(3, 34, 13)),

    Fixture("gru_last_classifier", """
model m {
    input  x : seq token(17)
    target y : token(4)
    e      = embedding(x, dim=5)
    h      = gru(e, hidden=8, layers=2)
    final  = last(h)
    logits = linear(final, 4)
    loss cross_entropy(logits, y)
}
""", lambda: {"e": nn.Embedding(17, 5), "h": nn.GRU(5, 8, num_layers=2, batch_first=True),
              "logits": nn.Linear(8, 4)},
        lambda s, x: s.logits(s.h(s.e(x))[0][:, -1]), "ce", tokens(6, 35, 17),
        lambda g: torch.randint(0, 4, (6,), generator=g)),

    Fixture("rnn_relu_last_mse", """
model m {
    input  x : seq vector(5)
    target y : vector(3)
    h   = rnn(x, hidden=4, nonlinearity=relu, bidirectional=true)
    out = linear(last(h), 3)
    loss mse(out, y)
}
""", lambda: {"h": nn.RNN(5, 4, nonlinearity="relu", bidirectional=True, batch_first=True),
              "out": nn.Linear(8, 3)},
        lambda s, x: s.out(s.h(x)[0][:, -1]), "mse", vectors(7, 30, 5), vectors(7, 3)),

    Fixture("activations_and_dropout", """
model m {
    input  x : seq vector(4)
    target y : seq vector(6)
    h   = gru(x, hidden=9)
    a   = tanh(dropout(h, 0.5))
    mid = linear(a, 7)
    b   = sigmoid(relu(mid))
    out = linear(b, 6)
    loss mse(out, y)
}
""", lambda: {"h": nn.GRU(4, 9, batch_first=True), "mid": nn.Linear(9, 7), "out": nn.Linear(7, 6)},
        lambda s, x: s.out(torch.sigmoid(torch.relu(s.mid(torch.tanh(s.h(x)[0]))))), "mse",
        vectors(3, 36, 4), vectors(3, 36, 6)),

    # longer than the 1024 steps a program's forward runs at a time
    Fixture("lstm_long_last", """
model m {
    input  x : seq vector(3)
    target y : vector(2)
    h   = lstm(x, hidden=5)
    out = linear(last(h), 2)
    loss mse(out, y)
}
""", lambda: {"h": nn.LSTM(3, 5, batch_first=True), "out": nn.Linear(5, 2)},
        lambda s, x: s.out(s.h(x)[0][:, -1]), "mse", vectors(2, 1100, 3), vectors(2, 2)),

    Fixture("gru_long_sequence", """
model m {
    input  x : seq token(7)
    target y : seq vector(2)
    e   = embedding(x, dim=3)
    h   = gru(e, hidden=4, layers=2)
    out = linear(h, 2)
    loss mse(out, y)
}
""", lambda: {"e": nn.Embedding(7, 3), "h": nn.GRU(3, 4, num_layers=2, batch_first=True), "out": nn.Linear(4, 2)},
        lambda s, x: s.out(s.h(s.e(x))[0]), "mse", tokens(3, 2100, 7), vectors(3, 2100, 2)),
]


class Peephole(nn.Module):
    """A hand-written reference for examples/peephole.rnn's cell."""

    def __init__(self, n_in, hidden):
        super().__init__()
        H = hidden
        self.W = nn.Parameter(torch.randn(4 * H, n_in) * 0.3)
        self.U = nn.Parameter(torch.randn(4 * H, H) * 0.3)
        self.p = nn.Parameter(torch.randn(3 * H) * 0.3)
        self.b = nn.Parameter(torch.randn(4 * H) * 0.1)
        self.H = H

    def forward(self, x):
        B, T, _ = x.shape
        H = self.H
        h = x.new_zeros(B, H)
        c = x.new_zeros(B, H)
        outs = []
        for t in range(T):
            a = x[:, t] @ self.W.T + h @ self.U.T + self.b
            i = torch.sigmoid(a[:, :H] + self.p[:H] * c)
            f = torch.sigmoid(a[:, H:2 * H] + self.p[H:2 * H] * c)
            g = torch.tanh(a[:, 2 * H:3 * H])
            c = f * c + i * g
            o = torch.sigmoid(a[:, 3 * H:] + self.p[2 * H:] * c)
            h = o * torch.tanh(c)
            outs.append(h)
        return torch.stack(outs, 1)


def peephole_fixture():
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples", "peephole.rnn")) as f:
        source = f.read()
    cell = {"h": None, "out": nn.Linear(24, 4)}

    def build():
        cell["h"] = Peephole(4, 24)
        return {"out": cell["out"]}

    fx = Fixture("user_cell_peephole", source, build, None, "mse", vectors(3, 30, 4), vectors(3, 30, 4))
    fx.h_cell = cell["h"]
    fx.run = lambda s, x: s.out(s.h_cell(x))
    return fx


GATED_SOURCE = """
# A user cell over the functions min, max, hardsigmoid, softsign and elu,
# with numbers as operands; elu again as an activation layer.
cell gated(in, hidden) {
    input x[in]
    state h[hidden]
    param W[2*hidden, in], U[2*hidden, hidden], b[2*hidden]

    a = W @ x + U @ h + b
    z = hardsigmoid(3 * a[0:hidden])
    n = softsign(a[hidden:2*hidden]) + min(elu(a[hidden:2*hidden]), 0.5)
    h' = max(min(z * n + (1 - z) * h, 1), -1)
    output h'
}

model m {
    input  x : seq vector(3)
    target y : seq vector(2)

    h   = gated(x, hidden=8)
    e   = elu(h)
    out = linear(e, 2)
    loss mse(out, y)
}
"""


class Gated(nn.Module):
    """A hand-written reference for GATED_SOURCE's cell."""

    def __init__(self, n_in, hidden):
        super().__init__()
        H = hidden
        self.W = nn.Parameter(torch.randn(2 * H, n_in) * 0.5)
        self.U = nn.Parameter(torch.randn(2 * H, H) * 0.25)  # a contracting recurrence, as trained ones are
        self.b = nn.Parameter(torch.randn(2 * H) * 0.1)
        self.H = H
        self.names = ("W", "U", "b")

    def forward(self, x):
        B, T, _ = x.shape
        H = self.H
        h = x.new_zeros(B, H)
        one, half = torch.tensor(1.0), torch.tensor(0.5)
        outs = []
        for t in range(T):
            a = x[:, t] @ self.W.T + h @ self.U.T + self.b
            z = F.hardsigmoid(3 * a[:, :H])
            n = F.softsign(a[:, H:]) + torch.minimum(F.elu(a[:, H:]), half)
            h = torch.maximum(torch.minimum(z * n + (1 - z) * h, one), -one)
            outs.append(h)
        return torch.stack(outs, 1)


def functions_fixture():
    cell = {"out": nn.Linear(8, 2)}

    def build():
        return {"out": cell["out"]}

    fx = Fixture("user_cell_functions", GATED_SOURCE, build, None, "mse", vectors(3, 30, 3), vectors(3, 30, 2))
    fx.h_cell = Gated(3, 8)
    fx.run = lambda s, x: s.out(F.elu(s.h_cell(x)))
    return fx


def state_dict(fx):
    """Parameters (with their .grad) under the model's names."""
    sd = dict(fx.named_parameters())
    if hasattr(fx, "h_cell"):  # the user cell's parameters, named as rnnc names them
        for name in getattr(fx.h_cell, "names", ("W", "U", "p", "b")):
            sd[f"h.{name}_l0"] = getattr(fx.h_cell, name)
    return {k: v for k, v in sd.items() if not k.startswith("h_cell.")}


def write(fx, seed):
    torch.manual_seed(seed)
    g = torch.Generator().manual_seed(seed)
    fx.eval()  # no dropout: grad and forward run without it
    x, y = fx.make_input(g), fx.make_target(g)
    out = fx(x)
    if fx.loss_name == "ce":
        loss = F.cross_entropy(out.reshape(-1, out.shape[-1]), y.reshape(-1), ignore_index=-100)
    else:
        loss = F.mse_loss(out, y)
    fx.zero_grad()
    loss.backward()
    out = out.detach()
    d = os.path.join(ROOT, fx.fixture_name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "model.rnn"), "w") as f:
        f.write(fx.source.lstrip())
    params = state_dict(fx)
    save_safetensors(os.path.join(d, "weights.safetensors"), params)
    save_safetensors(os.path.join(d, "grads.safetensors"), {k: v.grad for k, v in params.items()})
    np.save(os.path.join(d, "input.npy"), x.numpy().astype("<i8" if x.dtype == torch.int64 else "<f4"))
    np.save(os.path.join(d, "target.npy"), y.numpy().astype("<i8" if y.dtype == torch.int64 else "<f4"))
    np.save(os.path.join(d, "output.npy"), out.numpy().astype("<f4"))
    with open(os.path.join(d, "loss.txt"), "w") as f:
        f.write(f"loss: {loss.item():.9g}\n")
    print(f"{fx.fixture_name}: loss {loss.item():.6f}, output {tuple(out.shape)}")


TRAIN_MODEL = """
model m {{
    input  x : seq token(9)
    target y : seq token(9)
    e      = embedding(x, dim=5)
    h      = lstm(e, hidden=7)
    logits = linear(h, 9)
    loss cross_entropy(logits, y)
    train {{ optimizer = {opt}; clip = {clip}; batch = 6; epochs = 2; valid = 0 }}
}}
"""

TRAINERS = [
    ("train_sgd_momentum_clip", "sgd(lr=0.5, momentum=0.9)", 0.05,
     lambda p: torch.optim.SGD(p, lr=0.5, momentum=0.9)),
    ("train_adam_clip", "adam(lr=0.01, beta1=0.8, beta2=0.95, eps=1e-6)", 0.02,
     lambda p: torch.optim.Adam(p, lr=0.01, betas=(0.8, 0.95), eps=1e-6)),
]


class TrainNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.e = nn.Embedding(9, 5)
        self.h = nn.LSTM(5, 7, batch_first=True)
        self.logits = nn.Linear(7, 9)

    def forward(self, x):
        return self.logits(self.h(self.e(x))[0])


def write_trainer(name, opt_text, clip, make_opt, seed):
    """Two optimizer steps on one batch, with clipping active: the weights
    before and after, for `PROG train` to reproduce."""
    torch.manual_seed(seed)
    g = torch.Generator().manual_seed(seed)
    net = TrainNet()
    x = torch.randint(0, 9, (6, 30), generator=g)
    y = padded_tokens(6, 30, 9)(g)
    d = os.path.join(ROOT, "..", "train", name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "model.rnn"), "w") as f:
        f.write(TRAIN_MODEL.format(opt=opt_text, clip=clip).lstrip())
    save_safetensors(os.path.join(d, "weights.safetensors"), dict(net.named_parameters()))
    np.save(os.path.join(d, "input.npy"), x.numpy().astype("<i8"))
    np.save(os.path.join(d, "target.npy"), y.numpy().astype("<i8"))
    opt = make_opt(net.parameters())
    norms = []
    for _ in range(2):
        opt.zero_grad()
        out = net(x)
        loss = F.cross_entropy(out.reshape(-1, 9), y.reshape(-1), ignore_index=-100)
        loss.backward()
        norms.append(float(torch.nn.utils.clip_grad_norm_(net.parameters(), clip)))
        opt.step()
    assert min(norms) > clip, "clipping must be active in the fixture"
    save_safetensors(os.path.join(d, "after.safetensors"), dict(net.named_parameters()))
    print(f"{name}: gradient norms {norms[0]:.3f}, {norms[1]:.3f} (clip {clip})")


def main():
    torch.set_num_threads(1)
    only = set(sys.argv[1:])
    known = {fx.fixture_name for fx in FIXTURES} | {"user_cell_peephole", "user_cell_functions"} | {t[0] for t in TRAINERS}
    if only - known:
        print("make_fixtures.py: no fixture named " + ", ".join(sorted(only - known)), file=sys.stderr)
        return 2
    fixtures = []
    for i, fx in enumerate(FIXTURES):
        torch.manual_seed(100 + i)
        fixtures.append(fx)
    for i, fx in enumerate(fixtures):
        if not only or fx.fixture_name in only:
            write(fx, 100 + i)
    if not only or "user_cell_peephole" in only:
        torch.manual_seed(7)
        write(peephole_fixture(), 7)
    if not only or "user_cell_functions" in only:
        torch.manual_seed(8)
        write(functions_fixture(), 8)
    for i, (name, opt_text, clip, make_opt) in enumerate(TRAINERS):
        if not only or name in only:
            write_trainer(name, opt_text, clip, make_opt, 200 + i)
    return 0


if __name__ == "__main__":
    sys.exit(main())
