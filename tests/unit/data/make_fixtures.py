#!/usr/bin/env python3
"""make_fixtures.py - writes the .npy and .safetensors fixtures that
tests/unit/test_npy.c and test_safetensors.c read. Run from this directory
with numpy installed; the outputs are committed, so the tests themselves
need neither Python nor numpy. The safetensors files are written the way
the safetensors library writes them (compact JSON, "__metadata__" first,
tensors in offset order, header padded with spaces to a multiple of 8)."""
import json
import struct

import numpy as np


def npy(name, arr, version=None):
    with open(name, "wb") as f:
        np.lib.format.write_array(f, arr, version=version)


def safetensors(name, tensors, metadata=None, ensure_ascii=False, reverse=False):
    """tensors: list of (name, float32 array), their data in this order;
    reverse lists them in the header in the opposite order."""
    header, blobs, off = {}, [], 0
    if metadata:
        header["__metadata__"] = metadata
    for tname, arr in tensors:
        data = np.ascontiguousarray(arr, dtype="<f4").tobytes()
        header[tname] = {"dtype": "F32", "shape": list(arr.shape),
                         "data_offsets": [off, off + len(data)]}
        blobs.append(data)
        off += len(data)
    if reverse:
        header = dict(reversed(list(header.items())))
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=ensure_ascii).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(name, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


a23 = np.arange(6, dtype=np.float32).reshape(2, 3) * 0.5 - 1.0
npy("f4_2x3.npy", a23)
npy("f8_3.npy", np.array([1.5, -2.25, 1e300]))
npy("i4_2x2.npy", np.array([[1, -2], [2147483647, -2147483648]], dtype="<i4"))
npy("i8_4.npy", np.array([0, -1, 2**40, -(2**62)], dtype="<i8"))
npy("f4_scalar.npy", np.array(3.25, dtype=np.float32))
npy("f4_0x3.npy", np.zeros((0, 3), dtype=np.float32))
npy("f4_1x2x1x2.npy", np.array([1, 2, 3, 4], dtype=np.float32).reshape(1, 2, 1, 2))
npy("f4_2x3_v2.npy", a23, version=(2, 0))
npy("f4_2x3_v3.npy", a23, version=(3, 0))
npy("bad_fortran.npy", np.asfortranarray(a23))
npy("bad_bigendian.npy", a23.astype(">f4"))
npy("bad_bool.npy", np.array([True, False]))
npy("bad_u1.npy", np.array([1, 2], dtype=np.uint8))
npy("bad_i2.npy", np.array([1, 2], dtype="<i2"))
npy("bad_u2.npy", np.array([1, 2], dtype="<u2"))
npy("bad_f2.npy", np.array([1, 2], dtype="<f2"))
npy("bad_rank5.npy", np.zeros((1, 1, 1, 1, 2), dtype=np.float32))

w = np.arange(12, dtype=np.float32).reshape(3, 4) / 8
b = np.array([-1.0, 0.0, 1.0], dtype=np.float32)
# Header order differs from offset order: the reader must not care.
safetensors("model.safetensors",
            [("layer.weight_ih_l0", w), ("layer.bias_ih_l0", b),
             ("scalar", np.array(7.0, dtype=np.float32)),
             ("empty", np.zeros((0, 2), dtype=np.float32)),
             ("caf\u00e9\U0001F642", np.array([2.5], dtype=np.float32))],
            metadata={"format": "pt", "note": "quote \" backslash \\ newline \n"},
            ensure_ascii=True, reverse=True)
# What the safetensors library writes for these tensors (F32, sorted by
# name), and what rt_st_write must reproduce byte for byte.
safetensors("expected_write.safetensors",
            [("a.bias", b), ("a.weight", w), ("z", np.array(1.0, dtype=np.float32))],
            metadata={"step": "42"})
