#!/usr/bin/python3
"""Golden tensor files for tests/test_npy.c and tests/test_safetensors.c.

Run from the repository root with Debian's python (numpy, torch):
    /usr/bin/python3 tests/golden/gen_files.py

.npy files are written by numpy itself (np.save / np.lib.format.write_array).
The .safetensors files are written by hand with struct + json, following the
format's specification (the `safetensors` package is not installed): 8 bytes
little-endian header length, the JSON header padded with spaces to a multiple
of 8, then the data.

For every tensor the expected float32 values (C order) are stored beside it
as raw little-endian float32 bytes (FILE[.TENSOR].f32), computed
independently of qlens: numpy's astype(float32) for the npy dtypes, torch for
bfloat16, and the published definitions of fp8 E4M3 (e4m3fn: bias 7, no
infinities, only S.1111.111 is NaN) and E5M2 (IEEE-style, bias 15) for fp8.

manifest.txt lists each case: FILE TENSOR DTYPE FORTRAN NDIM DIMS...
(TENSOR is the name qlens must report; FORTRAN is 0/1).
"""
import json
import math
import os
import struct

import numpy as np
import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "files")
os.makedirs(OUT, exist_ok=True)
manifest = []

F32_MIN_SUB = 2.0 ** -149


def expect(path, arr):
    a = np.ascontiguousarray(np.asarray(arr).astype(np.float32))
    with open(path, "wb") as f:
        f.write(a.astype("<f4").tobytes(order="C"))


def add(fname, tname, dtype, fortran, shape):
    manifest.append(" ".join([fname, tname, dtype, str(int(fortran)), str(len(shape))]
                             + [str(d) for d in shape]))


# ---- .npy -------------------------------------------------------------------

VALUES = {
    "f2": [0.0, -0.0, 1.0, -1.0, 65504.0, -65504.0, 2.0 ** -14, 2.0 ** -24, 3 * 2.0 ** -24,
           math.inf, -math.inf, math.nan, 0.333251953125, 2.5, 1e4],
    "f4": [0.0, -0.0, 1.0, -2.5, np.finfo(np.float32).max, -np.finfo(np.float32).max,
           F32_MIN_SUB, 2.0 ** -126, math.inf, -math.inf, math.nan, 1 / 3, 1e-30, 7.0, 1e30],
    # doubles that round when narrowed: ties to even, overflow, underflow
    "f8": [1 + 2.0 ** -24, 1 + 3 * 2.0 ** -24, 1e300, -1e300, 1e-50, -1e-50, 2.0 ** -150,
           3 * 2.0 ** -150, F32_MIN_SUB, np.finfo(np.float64).max, math.nan, math.inf, -0.0,
           1 / 3, 0.1],
    "i1": [-128, 127, 0, -1, 1, 5, -7, 100, -100, 64, 3, 2, -2, 9, 10],
    "u1": [0, 255, 1, 128, 127, 5, 7, 100, 200, 64, 3, 2, 254, 9, 10],
    "i2": [-32768, 32767, 0, -1, 1, 5, -7, 1000, -1000, 64, 3, 2, -2, 9, 10],
    "u2": [0, 65535, 1, 32768, 32767, 5, 7, 1000, 2000, 64, 3, 2, 65534, 9, 10],
    "i4": [-2 ** 31, 2 ** 31 - 1, 0, -1, 16777217, 16777219, -16777217, 1000, -1000, 64, 3, 2,
           -2, 9, 10],
    "u4": [0, 2 ** 32 - 1, 1, 2 ** 31, 16777217, 16777219, 7, 1000, 2000, 64, 3, 2, 4, 9, 10],
    "i8": [-2 ** 63, 2 ** 63 - 1, 0, -1, 2 ** 53 + 1, 2 ** 24 + 1, -(2 ** 24 + 3), 1000, -1000,
           64, 3, 2, -2, 9, 10],
    "u8": [0, 2 ** 64 - 1, 1, 2 ** 63, 2 ** 53 + 1, 2 ** 24 + 1, 7, 1000, 2000, 64, 3, 2, 4, 9,
           10],
    "b1": [True, False, True, True, False, False, True, False, True, True, False, True, False,
           False, True],
}

with np.errstate(over="ignore", invalid="ignore"):
    for code, vals in VALUES.items():
        orders = ["|"] if code[1] == "1" else ["<", ">"]
        for bo in orders:
            dt = np.dtype(bo + ("?" if code == "b1" else code))
            a = np.array(vals, dtype=dt).reshape(3, 5)
            tag = {"<": "le", ">": "be", "|": "na"}[bo]
            name = f"{code}_{tag}"
            np.save(os.path.join(OUT, name + ".npy"), a)
            expect(os.path.join(OUT, name + ".npy.f32"), a)
            st = {"f2": "F16", "f4": "F32", "f8": "F64", "i1": "I8", "u1": "U8", "i2": "I16",
                  "u2": "U16", "i4": "I32", "u4": "U32", "i8": "I64", "u8": "U64",
                  "b1": "BOOL"}[code]
            add(name + ".npy", name, st, False, a.shape)

# Fortran order, 2-d and 3-d, both byte orders
a = np.asfortranarray(np.arange(12, dtype="<f4").reshape(3, 4) * 0.5 - 2)
np.save(os.path.join(OUT, "fortran_f4.npy"), a)
expect(os.path.join(OUT, "fortran_f4.npy.f32"), a)
add("fortran_f4.npy", "fortran_f4", "F32", True, a.shape)
a = np.asfortranarray((np.arange(24, dtype=np.int64).reshape(2, 3, 4) - 12).astype(">i2"))
np.save(os.path.join(OUT, "fortran_i2_be.npy"), a)
expect(os.path.join(OUT, "fortran_i2_be.npy.f32"), a)
add("fortran_i2_be.npy", "fortran_i2_be", "I16", True, a.shape)

# versions 2.0 and 3.0
for ver in [(2, 0), (3, 0)]:
    a = np.linspace(-1, 1, 10, dtype="<f8").reshape(2, 5)
    name = f"v{ver[0]}_f8"
    with open(os.path.join(OUT, name + ".npy"), "wb") as f:
        np.lib.format.write_array(f, a, version=ver)
    expect(os.path.join(OUT, name + ".npy.f32"), a)
    add(name + ".npy", name, "F64", False, a.shape)

# 0-d, empty, one element
for name, a in [("scalar", np.array(3.5, dtype="<f4")),
                ("empty", np.zeros((0,), dtype="<f4")),
                ("empty3", np.zeros((2, 0, 3), dtype=">i8")),
                ("one", np.array([-0.0], dtype="<f2"))]:
    np.save(os.path.join(OUT, name + ".npy"), a)
    expect(os.path.join(OUT, name + ".npy.f32"), a)
    st = {"<f4": "F32", ">i8": "I64", "<f2": "F16"}[a.dtype.str]
    add(name + ".npy", name, st, False, a.shape)


def npy_by_hand(name, header, data):
    """A valid file numpy would also read, with a header numpy would not write."""
    h = header.encode("latin1")
    total = 10 + len(h) + 1
    h += b" " * ((64 - total % 64) % 64) + b"\n"
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(h)) + h + data)


a = np.array([1.5, -2.25], dtype="<f4")
npy_by_hand("handmade.npy", "{\"shape\": (2,), \"fortran_order\": False, \"descr\": \"<f4\"}",
            a.tobytes())
assert np.array_equal(np.load(os.path.join(OUT, "handmade.npy")), a)
expect(os.path.join(OUT, "handmade.npy.f32"), a)
add("handmade.npy", "handmade", "F32", False, a.shape)
a = np.arange(6, dtype="<u2").reshape(2, 3)
npy_by_hand("py2long.npy", "{'descr': '<u2', 'fortran_order': False, 'shape': (2L, 3L), }",
            a.tobytes())
expect(os.path.join(OUT, "py2long.npy.f32"), a)
add("py2long.npy", "py2long", "U16", False, a.shape)

# ---- .safetensors -------------------------------------------------------------


def e4m3fn_value(c):
    s = -1.0 if c & 0x80 else 1.0
    e = (c >> 3) & 0xF
    m = c & 0x7
    if e == 0xF and m == 0x7:
        return math.copysign(math.nan, s)  # NaN keeps the code's sign
    if e == 0:
        return s * m / 8 * 2.0 ** (1 - 7)
    return s * (1 + m / 8) * 2.0 ** (e - 7)


def e5m2_value(c):
    s = -1.0 if c & 0x80 else 1.0
    e = (c >> 2) & 0x1F
    m = c & 0x3
    if e == 0x1F:
        return s * math.inf if m == 0 else math.copysign(math.nan, s)
    if e == 0:
        return s * m / 4 * 2.0 ** (1 - 15)
    return s * (1 + m / 4) * 2.0 ** (e - 15)


def bf16_case():
    vals = torch.tensor([0.0, -0.0, 1.0, -1.0, 3.0e38, -3.0e38, 1e-40, 9.2e-41, math.inf,
                         -math.inf, math.nan, 1 / 3, 0.1, 65504.0, 2.0 ** -133, 7.0],
                        dtype=torch.float32)
    b = vals.to(torch.bfloat16)
    raw = b.view(torch.int16).numpy().astype("<i2").tobytes()
    return raw, b.float().numpy().reshape(4, 4), [4, 4]


def st_tensors():
    """(name, dtype, shape, raw little-endian bytes, expected float32 array)"""
    out = []
    for code, st in [("f2", "F16"), ("f4", "F32"), ("f8", "F64"), ("i1", "I8"), ("u1", "U8"),
                     ("i2", "I16"), ("u2", "U16"), ("i4", "I32"), ("u4", "U32"), ("i8", "I64"),
                     ("u8", "U64"), ("b1", "BOOL")]:
        dt = np.dtype("?" if code == "b1" else "<" + code)
        with np.errstate(over="ignore", invalid="ignore"):
            a = np.array(VALUES[code], dtype=dt).reshape(5, 3)
            out.append(("x_" + st, st, [5, 3], a.tobytes(), a.astype(np.float32)))
    raw, exp, shape = bf16_case()
    out.append(("x_BF16", "BF16", shape, raw, exp))
    codes = np.arange(256, dtype=np.uint8)
    out.append(("x_F8_E4M3", "F8_E4M3", [16, 16], codes.tobytes(),
                np.array([e4m3fn_value(c) for c in range(256)], dtype=np.float32).reshape(16, 16)))
    out.append(("x_F8_E5M2", "F8_E5M2", [16, 16], codes.tobytes(),
                np.array([e5m2_value(c) for c in range(256)], dtype=np.float32).reshape(16, 16)))
    out.append(("scalar", "F32", [], np.array(-4.75, "<f4").tobytes(),
                np.array(-4.75, np.float32)))
    out.append(("empty", "F16", [0, 3], b"", np.zeros((0, 3), np.float32)))
    return out


def write_safetensors(path, tensors, metadata=None, key_order=None):
    header = {}
    if metadata is not None:
        header["__metadata__"] = metadata
    # data laid out in list order; header keys in key_order (tests sorting)
    offsets, pos = {}, 0
    for name, dtype, shape, raw, _ in tensors:
        offsets[name] = (pos, pos + len(raw))
        pos += len(raw)
    for name in key_order or [t[0] for t in tensors]:
        t = next(t for t in tensors if t[0] == name)
        header[name] = {"dtype": t[1], "shape": t[2], "data_offsets": list(offsets[name])}
    h = json.dumps(header, ensure_ascii=False).encode("utf-8")
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h)
        for t in tensors:
            f.write(t[3])


tensors = st_tensors()
order = sorted([t[0] for t in tensors], reverse=True)
write_safetensors(os.path.join(OUT, "all_dtypes.safetensors"), tensors,
                  metadata={"format": "pt", "note": "gr\u00fc\u00dfe \u2713"}, key_order=order)
for name, dtype, shape, raw, exp in tensors:
    expect(os.path.join(OUT, f"all_dtypes.safetensors.{name}.f32"), exp)
    add("all_dtypes.safetensors", name, dtype, False, shape)

# a file with no tensors at all, and one with only metadata
write_safetensors(os.path.join(OUT, "no_tensors.safetensors"), [])
write_safetensors(os.path.join(OUT, "only_meta.safetensors"), [], metadata={"a": "b"})

with open(os.path.join(OUT, "manifest.txt"), "w") as f:
    f.write("# FILE TENSOR DTYPE FORTRAN NDIM DIMS... (made by gen_files.py)\n")
    f.write("\n".join(manifest) + "\n")
print(f"{len(manifest)} cases in {OUT}")

# ---- what np.save writes, byte for byte (the writer must match) -----------------
for name, a in [("npsave_f4", np.arange(6, dtype="<f4").reshape(2, 3) * 0.5),
                ("npsave_i8_scalar", np.array(-7, dtype="<i8")),
                ("npsave_b1", np.array([True, False, True])),
                ("npsave_empty", np.zeros((0, 4), dtype="<f2")),
                ("npsave_u2_4d", np.arange(24, dtype="<u2").reshape(1, 2, 3, 4))]:
    np.save(os.path.join(OUT, name + ".npy"), a)
