#!/usr/bin/python3
"""Golden data for tests/test_quantize_cli.c (`qlens quantize` end to end).

Run from the repository root:  /usr/bin/python3 tests/golden/gen_quantize_cli.py

Writes tests/golden/quantize/:
  x.npy            float32 (6, 40): normal values, exact ties for --scale 0.25
                   (x * 4 = k + 1/2), values beyond the int8 range
  xb.npy           float32 (6, 64): for the 32-element block formats, with a
                   block of zeros and a block whose largest magnitude is negative
  int8_sym.*       torch.quantize_per_tensor with MinMaxObserver qparams
                   (per_tensor_symmetric, quant range [-127, 127])
  uint8_asym_ch0.* torch.quantize_per_channel, PerChannelMinMaxObserver
                   (per_channel_affine, axis 0, quint8 [0, 255])
  int4_g32.*       per group of 32 along the last axis (40 = 32 + 8):
                   MinMaxObserver symmetric [-7, 7] on each group and
                   torch.fake_quantize_per_tensor_affine for the dequantized values
  scale025.*       torch.quantize_per_tensor(x, 0.25, 3, qint8) (asymmetric,
                   user scale and zero point, ties to even)
  q8_0.blocks, q4_0.blocks  Python ports of ggml's quantize_row_q8_0_ref and
                   quantize_row_q4_0_ref (float32 arithmetic as in C)
Codes are .npy (int8 or uint8), scales float32 .npy, zero points int32 .npy.
"""
import os

import numpy as np
import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "quantize")
os.makedirs(OUT, exist_ok=True)


def save(name, a):
    np.save(os.path.join(OUT, name + ".npy"), a)


rng = np.random.default_rng(1234)
x = rng.standard_normal((6, 40)).astype(np.float32)
x[0, :8] = np.array([0.125, 0.375, -0.125, -0.375, 0.625, -0.625, 31.875, -32.125], np.float32)
x[5, :4] = np.array([40.0, -45.0, 0.0, -0.0], np.float32)
save("x", x)
xt = torch.from_numpy(x)

# int8, symmetric, per tensor, minmax
obs = torch.ao.quantization.MinMaxObserver(dtype=torch.qint8, qscheme=torch.per_tensor_symmetric,
                                           quant_min=-127, quant_max=127)
obs(xt)
s, z = obs.calculate_qparams()
assert int(z) == 0
q = torch.quantize_per_tensor(xt, float(s), int(z), torch.qint8)
save("int8_sym.q", q.int_repr().numpy())
save("int8_sym.scale", np.array(s.item(), dtype=np.float32))
save("int8_sym.dequant", q.dequantize().numpy())

# uint8, asymmetric, per channel along axis 0
obs = torch.ao.quantization.PerChannelMinMaxObserver(ch_axis=0, dtype=torch.quint8,
                                                     qscheme=torch.per_channel_affine)
obs(xt)
s, z = obs.calculate_qparams()
q = torch.quantize_per_channel(xt, s, z, 0, torch.quint8)
save("uint8_asym_ch0.q", q.int_repr().numpy())
save("uint8_asym_ch0.scale", s.numpy().astype(np.float32))
save("uint8_asym_ch0.zero_point", z.numpy().astype(np.int32))

# int4, symmetric, groups of 32 along the last axis (the last group has 8)
codes = np.zeros(x.shape, np.int8)
deq = np.zeros(x.shape, np.float32)
scales = np.zeros((6, 2), np.float32)
for r in range(6):
    for g, (a, b) in enumerate([(0, 32), (32, 40)]):
        part = xt[r, a:b]
        o = torch.ao.quantization.MinMaxObserver(dtype=torch.qint8,
                                                 qscheme=torch.per_tensor_symmetric,
                                                 quant_min=-7, quant_max=7)
        o(part)
        s, z = o.calculate_qparams()
        scales[r, g] = s.item()
        fq = torch.fake_quantize_per_tensor_affine(part, float(s), int(z), -7, 7)
        deq[r, a:b] = fq.numpy()
        q = torch.quantize_per_tensor(part, float(s), int(z), torch.qint8).int_repr()
        codes[r, a:b] = torch.clamp(q, -7, 7).numpy()
save("int4_g32.q", codes)
save("int4_g32.scale", scales)
save("int4_g32.dequant", deq)

# user scale 0.25 and zero point 3, int8 asymmetric
q = torch.quantize_per_tensor(xt, 0.25, 3, torch.qint8)
save("scale025.q", q.int_repr().numpy())

# ---- llama.cpp blocks --------------------------------------------------------------
xb = rng.standard_normal((6, 64)).astype(np.float32)
xb[1, 0:32] = 0.0                 # a block of zeros
xb[2, 32:64] = np.abs(xb[2, 32:64])
xb[2, 40] = -7.5                  # largest magnitude is negative
save("xb", xb)


def f32(v):
    return np.float32(v)


def q8_0(row):
    out = bytearray()
    for blk in row.reshape(-1, 32):
        amax = f32(np.max(np.abs(blk)))
        d = f32(amax / f32(127))
        idv = f32(f32(1) / d) if d else f32(0)
        out += np.float16(d).tobytes()
        for v in blk:
            t = f32(v * idv)
            # roundf: half away from zero
            qv = int(np.sign(t) * np.floor(np.abs(np.float64(t)) + 0.5))
            out += np.int8(qv).tobytes()
    return bytes(out)


def q4_0(row):
    out = bytearray()
    for blk in row.reshape(-1, 32):
        amax, mx = f32(0), f32(0)
        for v in blk:
            if abs(v) > amax:
                amax, mx = f32(abs(v)), f32(v)
        d = f32(mx / f32(-8))
        idv = f32(f32(1) / d) if d else f32(0)
        out += np.float16(d).tobytes()
        q = []
        for v in blk:
            t = f32(f32(v * idv) + f32(8.5))
            q.append(min(15, int(np.int8(np.trunc(t)))))
        for j in range(16):
            out += bytes([q[j] | (q[j + 16] << 4)])
    return bytes(out)


with np.errstate(divide="ignore", invalid="ignore"):
    with open(os.path.join(OUT, "q8_0.blocks"), "wb") as f:
        f.write(b"".join(q8_0(r) for r in xb))
    with open(os.path.join(OUT, "q4_0.blocks"), "wb") as f:
        f.write(b"".join(q4_0(r) for r in xb))
print("golden quantize data in", OUT)
