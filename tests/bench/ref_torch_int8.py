#!/usr/bin/python3
"""PyTorch doing `qlens quantize W.npy --dtype int8 --axis 0`'s job, for the
whole-process table of README's Speed section (tests/bench/whole.sh):
load, per-channel symmetric min/max observer, quantize, dequantize, the
error metrics and an 11-bin error histogram."""
import sys
import numpy as np
import torch

x = torch.from_numpy(np.load(sys.argv[1]))
obs = torch.ao.quantization.PerChannelMinMaxObserver(
    ch_axis=0, dtype=torch.qint8, qscheme=torch.per_channel_symmetric)
obs(x)
scale, zp = obs.calculate_qparams()
q = torch.quantize_per_channel(x, scale, zp, 0, torch.qint8)
y = q.dequantize()
e = (y - x).double()
mse = float((e * e).mean())
sqnr = 10 * np.log10(float((x.double() ** 2).sum()) / float((e * e).sum()))
cos = float(torch.nn.functional.cosine_similarity(x.flatten().double(), y.flatten().double(), dim=0))
lo, hi = min(float(e.min()), 0.0), max(float(e.max()), 0.0)
h = torch.histc(e, bins=11, min=lo, max=hi)
print(f"mse {mse:.6g} sqnr {sqnr:.4f} max {float(e.abs().max()):.6g} cosine {cos:.9f}")
print("hist", [int(v) for v in h])
