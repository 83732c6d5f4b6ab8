#!/usr/bin/python3
"""tools/make_example_data.py - small data sets for the example models.

Writes examples/data/NAME_x.npy and NAME_y.npy (inputs and targets in the
layouts of docs/programs.md; for sentences also NAME_lengths.npy) with a fixed seed, so the README's commands can
run every example. Needs only numpy (Debian python3-numpy)."""
import os

import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples", "data")
rng = np.random.default_rng(1)


def save(name, x, y):
    np.save(os.path.join(OUT, f"{name}_x.npy"), x)
    np.save(os.path.join(OUT, f"{name}_y.npy"), y)
    print(f"{name}: x {x.shape} {x.dtype}, y {y.shape} {y.dtype}")


def timeseries(B=64, T=50):
    """Three noisy sensors driven by one sine; predict sensor 0 one step ahead."""
    t = np.arange(T + 1)[None, :] * 0.2 + rng.uniform(0, 6.3, (B, 1))
    freq = rng.uniform(0.5, 1.5, (B, 1))
    base = np.sin(freq * t)
    sensors = np.stack([base, np.cos(freq * t), base * 0.5 + 0.1], -1)
    sensors += rng.normal(0, 0.05, sensors.shape)
    return sensors[:, :-1].astype("<f4"), sensors[:, 1:, :1].astype("<f4")


def classifier(B=64, T=20, V=1000):
    """Label = which quarter of the vocabulary most of the tokens come from."""
    label = rng.integers(0, 4, B)
    x = rng.integers(0, V, (B, T))
    biased = rng.random((B, T)) < 0.6
    x = np.where(biased, label[:, None] * 250 + rng.integers(0, 250, (B, T)), x)
    return x.astype("<i8"), label.astype("<i8")


def predictor(B=32, T=30):
    """Four coupled oscillators; predict the next step of all four."""
    t = np.arange(T + 1)[None, :, None] * 0.3 + rng.uniform(0, 6.3, (B, 1, 4))
    v = np.sin(t * np.array([1.0, 0.7, 1.3, 0.5])) + rng.normal(0, 0.02, (B, T + 1, 4))
    return v[:, :-1].astype("<f4"), v[:, 1:].astype("<f4")


def charlm(B=16, T=64):
    """Bytes of a fixed English text, next byte as the target."""
    text = ("It was the best of times, it was the worst of times, it was the age of wisdom, "
            "it was the age of foolishness, it was the epoch of belief, it was the epoch of "
            "incredulity, it was the season of Light, it was the season of Darkness. ").encode() * 8
    data = np.frombuffer(text, dtype=np.uint8).astype(np.int64)
    starts = rng.integers(0, len(data) - T - 1, B)
    x = np.stack([data[s:s + T] for s in starts])
    y = np.stack([data[s + 1:s + T + 1] for s in starts])
    return x.astype("<i8"), y.astype("<i8")


def sensors(B=96, T=40):
    """Four activities as different motion signatures on 6 sensor axes."""
    label = rng.integers(0, 4, B)
    t = np.arange(T)[None, :, None] * 0.25
    freq = np.array([0.5, 1.5, 3.0, 0.0])[label][:, None, None]
    amp = np.array([1.0, 0.7, 0.4, 0.05])[label][:, None, None]
    phase = rng.uniform(0, 6.3, (B, 1, 6))
    x = amp * np.sin(freq * t + phase) + rng.normal(0, 0.1, (B, T, 6))
    return x.astype("<f4"), label.astype("<i8")


def sentences(B=512, T=40, V=16):
    """Token sentences of 4 to 40 words (ids 1..15), padded with id 0 to 40;
    label 1 when more of a sentence's words come from the upper half of the
    vocabulary (8..15) than the lower (1..7). The lengths go with them."""
    lengths = rng.integers(4, T + 1, B)
    x = rng.integers(1, V, (B, T))
    valid = np.arange(T)[None, :] < lengths[:, None]
    x = np.where(valid, x, 0)
    upper = ((x >= 8) & valid).sum(1)
    lower = ((x >= 1) & (x < 8) & valid).sum(1)
    np.save(os.path.join(OUT, "sentences_lengths.npy"), lengths.astype("<i4"))
    return x.astype("<i4"), (upper > lower).astype("<i4")


def main():
    os.makedirs(OUT, exist_ok=True)
    save("timeseries", *timeseries())
    save("classifier", *classifier())
    save("peephole", *predictor())
    save("charlm", *charlm())
    save("sensors", *sensors())
    save("sentences", *sentences())


if __name__ == "__main__":
    main()
