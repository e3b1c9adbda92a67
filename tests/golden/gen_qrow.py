#!/usr/bin/python3
"""gen_qrow.py -- golden Q8_0 / Q4_0 row bytes for tests/test_qrow.c.

Run from the repository root with Debian's python3-numpy:

    /usr/bin/python3 tests/golden/gen_qrow.py

It rewrites tests/golden/qrow.txt: one case per data set, in the case
format of quant.txt (tests/qgolden.h reads it):

    case qrow data=NAME blocks=N
    xbits ...   the N * 32 float32 inputs as their bit patterns (decimal)
    d8 ...      Q8_0: the fp16 bits of each block's scale
    qs8 ...     Q8_0: the 32 signed codes of each block
    d4 ...      Q4_0: the fp16 bits of each block's scale
    qs4 ...     Q4_0: the 16 bytes of each block (code j | code j+16 << 4)
    clip4 n     Q4_0: how many codes were capped at 15
    end

The numbers come from a vectorised NumPy float32 port of ggml's
quantize_row_q8_0_ref / quantize_row_q4_0_ref (ggml-quants.c), written
independently of gen_quant.py's loop port: whole-array float32 operations
(each rounds once, as the C does), round half away from zero for Q8_0, the
first element of the largest magnitude for Q4_0 (argmax), fp16 by NumPy's
float16 cast (round to nearest even). Finite inputs only (ggml's own bytes
for NaN/inf come from an undefined float-to-int conversion).

The blocks are laid out for the AVX2 row kernels' structure: 3 chunks of
64 blocks, a group of 8, then a tail of 3, so the chunk loop, the
8-block remainder and the single-block tail all see every kind of block
("mixed": the kinds in turn; "runs": 8 blocks of a kind at a time, so
whole groups take the fast path or not together).
"""
import os
import sys

import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "qrow.txt")
F32 = np.float32
rng = np.random.default_rng(20261130)


def f32_bits(u):
    return np.array(u, dtype=np.uint32).view(F32)


def block(kind, b):
    """32 float32 values of one block of the given kind."""
    if kind == 0:  # plain random, scale varies by block
        return (rng.standard_normal(32) * 10.0 ** rng.uniform(-3, 3)).astype(F32)
    if kind == 1:  # Q8_0 ties: amax 127 (id = 1), k + 0.5 and 1 ulp either side
        t = (rng.integers(-127, 127, 32) + 0.5).astype(F32)
        w = rng.integers(0, 3, 32)
        t = np.where(w == 1, np.nextafter(t, F32(np.inf)), np.where(w == 2, np.nextafter(t, F32(-np.inf)), t))
        t[b % 32] = F32(127.0) * (1 if b & 1 else -1)
        return t.astype(F32)
    if kind == 2:  # Q4_0 ties: max -8 (id = 1), w = x + 8.5 on the integers
        t = (rng.integers(-8, 8, 32) + 0.5).astype(F32)
        w = rng.integers(0, 3, 32)
        t = np.where(w == 1, np.nextafter(t, F32(np.inf)), np.where(w == 2, np.nextafter(t, F32(-np.inf)), t))
        t = np.clip(t, F32(-7.9), F32(7.9))
        t[b % 32] = F32(-8.0)
        return t.astype(F32)
    if kind == 3:  # all +-0
        return np.where(rng.integers(0, 2, 32) == 1, F32(-0.0), F32(0.0)).astype(F32)
    if kind == 4:  # subnormals and zeros
        return f32_bits(rng.integers(0, 1 << 23, 32, dtype=np.uint32) | (rng.integers(0, 2, 32, dtype=np.uint32) << 31))
    if kind == 5:  # tiny normals (exponent fields 1..8: d subnormal)
        e = rng.integers(1, 9, 32, dtype=np.uint32)
        return f32_bits((e << 23) | rng.integers(0, 1 << 23, 32, dtype=np.uint32) | (rng.integers(0, 2, 32, dtype=np.uint32) << 31))
    if kind == 6:  # huge, FLT_MAX in it
        e = rng.integers(240, 255, 32, dtype=np.uint32)
        t = f32_bits((e << 23) | rng.integers(0, 1 << 23, 32, dtype=np.uint32) | (rng.integers(0, 2, 32, dtype=np.uint32) << 31))
        t[b % 32] = np.finfo(F32).max * (1 if b & 2 else -1)
        return t
    if kind == 7:  # all equal
        return np.full(32, F32(-3.25) if b & 1 else F32(7e-3), dtype=F32)
    if kind == 8:  # the largest magnitude twice with both signs (Q4_0 keeps the first)
        t = ((rng.random(32) - 0.5) * 9.0).astype(F32)
        t[3 + b % 5] = F32(5.0) if b & 1 else F32(-5.0)
        t[20] = -t[3 + b % 5]
        return t
    if kind == 9:  # Q4_0: max +8 (d = -1), -8 gives code 16, capped at 15
        t = (rng.integers(-7, 7, 32) + 0.5).astype(F32)
        t[::5] = F32(-8.0)
        t[b % 32] = F32(8.0)
        return t
    if kind == 10:  # every exponent
        e = rng.integers(0, 255, 32, dtype=np.uint32)
        return f32_bits((e << 23) | rng.integers(0, 1 << 23, 32, dtype=np.uint32) | (rng.integers(0, 2, 32, dtype=np.uint32) << 31))
    # amax at and 1 ulp around the fast paths' edges (2^-119 for Q8_0, 2^-123 for Q4_0)
    t = ((rng.random(32) - 0.5) * 2.0 ** -124).astype(F32)
    edge = F32(2.0 ** -119) if b & 8 else F32(2.0 ** -123)
    t[b % 32] = [edge, np.nextafter(edge, F32(0)), np.nextafter(edge, F32(1))][b % 3] * (1 if b & 4 else -1)
    return t


def q8_0(x):
    X = x.reshape(-1, 32)
    amax = np.max(np.abs(X), axis=1)
    d = (amax / F32(127)).astype(F32)
    with np.errstate(divide="ignore", over="ignore"):
        inv = np.where(d != 0, F32(1) / d, F32(0)).astype(F32)
    with np.errstate(invalid="ignore", over="ignore"):
        v = (X * inv[:, None]).astype(F32)
    v64 = v.astype(np.float64)
    # d subnormal can make 1/d overflow: v is then +-inf or NaN and ggml's
    # (int8_t)roundf gives 0 (x86's integer indefinite has low byte 0)
    q = np.where(np.isfinite(v64), np.sign(v64) * np.floor(np.abs(v64) + 0.5), 0.0)
    q = np.clip(q, -128, 127).astype(np.int64)
    with np.errstate(over="ignore"):  # d past 65504: fp16 inf, as the C
        d16 = d.astype(np.float16).view(np.uint16).astype(np.int64)
    return d16, q.reshape(-1)


def q4_0(x):
    X = x.reshape(-1, 32)
    A = np.abs(X)
    amax = np.max(A, axis=1)
    first = np.argmax(A, axis=1)  # the first of the largest magnitude, as the C's strict <
    mx = X[np.arange(len(X)), first]
    mx = np.where(amax == 0, F32(0.0), mx).astype(F32)  # the C starts from max = +0
    d = (mx / F32(-8)).astype(F32)
    with np.errstate(divide="ignore", over="ignore"):
        inv = np.where(d != 0, F32(1) / d, F32(0)).astype(F32)
    with np.errstate(invalid="ignore", over="ignore"):
        w = ((X * inv[:, None]).astype(F32) + F32(8.5)).astype(F32)
    # the C's guard: NaN, w < 0 or w >= 127 -> 0 (only when 1/d overflowed)
    w = np.where(np.isfinite(w) & (w >= 0) & (w < 127), w, F32(0))
    c = np.trunc(w).astype(np.int64)
    clip = int(np.sum(c > 15))
    c = np.minimum(c, 15)
    qs = c[:, :16] | (c[:, 16:] << 4)
    with np.errstate(over="ignore"):
        d16 = d.astype(np.float16).view(np.uint16).astype(np.int64)
    return d16, qs.reshape(-1), clip


def main():
    kinds = 12
    nb = 3 * 64 + 8 + 3
    x = np.concatenate([block(b % kinds, b) for b in range(nb)]).astype(F32)
    # a second set: each chunk of one kind only, so whole chunks and groups
    # take the fast path or not together
    y = np.concatenate([block((b // 8) % kinds, b) for b in range(64 + 8 + 3)]).astype(F32)
    lines = ["# Generated by tests/golden/gen_qrow.py (numpy %s, python %s). Do not edit."
             % (np.__version__, sys.version.split()[0])]
    for name, data in (("mixed", x), ("runs", y)):
        assert np.all(np.isfinite(data))
        d8, q8 = q8_0(data)
        d4, q4, clip = q4_0(data)
        lines.append("case qrow data=%s blocks=%d" % (name, len(data) // 32))
        lines.append("xbits " + " ".join(str(int(u)) for u in data.view(np.uint32)))
        lines.append("d8 " + " ".join(map(str, d8)))
        lines.append("qs8 " + " ".join(map(str, q8)))
        lines.append("d4 " + " ".join(map(str, d4)))
        lines.append("qs4 " + " ".join(map(str, q4)))
        lines.append("clip4 %d" % clip)
        lines.append("end")
    with open(OUT, "w") as f:
        f.write("\n".join(lines) + "\n")
    print("wrote", OUT)


if __name__ == "__main__":
    main()
