#!/usr/bin/env python3
"""tests/tools/npy.py OUT DTYPE VALUES - write a small .npy file without
numpy, for end-to-end tests: DTYPE is <f4, <f8, <i4 or <i8; VALUES a
Python literal of nested lists (nan and inf allowed), its nesting the
array's shape. Example: npy.py x.npy '<f4' '[[1, nan], [2, 3]]'"""
import struct
import sys


def shape_of(v):
    return [len(v)] + shape_of(v[0]) if isinstance(v, list) else []


def flat(v):
    return [x for item in v for x in flat(item)] if isinstance(v, list) else [v]


def main():
    out, descr, text = sys.argv[1:4]
    values = eval(text, {"nan": float("nan"), "inf": float("inf")})
    shape = shape_of(values)
    dims = "(" + ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"
    header = "{'descr': '%s', 'fortran_order': False, 'shape': %s, }" % (descr, dims)
    header += " " * (63 - (10 + len(header)) % 64) + "\n"
    code = {"<f4": "<f", "<f8": "<d", "<i4": "<i", "<i8": "<q"}[descr]
    with open(out, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode())
        f.write(b"".join(struct.pack(code, x) for x in flat(values)))


main()
