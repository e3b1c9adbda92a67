#!/usr/bin/python3
"""gen_quant_tui.py — expected figures for the quantization explorer's tests
(tests/test_quant_tui.c, tests/test_qview.c), computed by PyTorch (torch
1.13, Debian's python3-torch) and NumPy, independently of qlens.

NumPy 1.24. The hand-readable sample assets/samples/hand12.npy quantized to
int4 symmetric per tensor, as torch.quantize_per_tensor does with PyTorch's
MinMaxObserver parameters (qint8 restricted to [-7, 7]: scale = absmax / 7 =
0.5, zero point 0): every level, every code, the metrics; and the error
split: which elements the clamp changes, for hand12.npy with a manual clip
[-1.0, 1.0] (scale 1/7). And the real weights with outlier channels,
gnubg_contact_hidden.npy, int8 per channel along axis 0 (torch's
PerChannelMinMaxObserver, symmetric: scale = absmax / 127): the channel with
the largest scale, and that scale.

    /usr/bin/python3 tests/golden/gen_quant_tui.py > tests/golden/quant_tui.txt
"""
import os

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
x = np.load(os.path.join(HERE, "..", "..", "assets", "samples", "hand12.npy"))
t = torch.from_numpy(x)


def g(v):
    return "%.4g" % v


def q_int4(scale):
    """codes and dequantized values through PyTorch's kernel, clamped to [-7, 7]."""
    q = torch.quantize_per_tensor(t, scale, 0, torch.qint8)
    codes = q.int_repr().to(torch.int32)
    clipped = ((codes < -7) | (codes > 7)).sum().item()
    codes = codes.clamp(-7, 7)
    deq = (codes.to(torch.float32) * torch.tensor(scale, dtype=torch.float32))
    return codes, deq, clipped


def metrics(deq):
    e = (deq.double() - t.double())
    mse = (e * e).mean().item()
    sq = 10 * np.log10((t.double() ** 2).sum().item() / (e * e).sum().item())
    cos = ((t.double() * deq.double()).sum() /
           (t.double().norm() * deq.double().norm())).item()
    return mse, np.sqrt(mse), sq, e.abs().max().item(), e.abs().mean().item(), cos


print("# made by tests/golden/gen_quant_tui.py with torch %s and numpy %s"
      % (torch.__version__, np.__version__))
scale = float(np.float32(np.abs(x).max()) / np.float32(7))
codes, deq, clipped = q_int4(scale)
mse, rmse, sq, mx, mean, cos = metrics(deq)
print("hand12_scale\t%s" % g(np.float32(scale)))
print("hand12_codes\t%s" % " ".join(str(c) for c in codes.tolist()))
print("hand12_levels\t%s" % " ".join(repr(float(np.float32(k) * np.float32(scale)))
                                     for k in range(-7, 8)))
print("hand12_sqnr\t%s" % g(sq))
print("hand12_mse\t%s" % g(mse))
print("hand12_rmse\t%s" % g(rmse))
print("hand12_max\t%s" % g(mx))
print("hand12_mean\t%s" % g(mean))
print("hand12_cosine\t%s" % g(cos))
print("hand12_clipped\t%d" % clipped)

# A manual clip [-1, 1]: scale = 1/7 in float32; the clamp changes the codes
# of the values beyond +-(7.5 * scale).
scale1 = float(np.float32(1.0) / np.float32(7))
codes1, deq1, clipped1 = q_int4(scale1)
print("clip1_scale\t%s" % g(np.float32(scale1)))
print("clip1_clipped\t%d" % clipped1)
print("clip1_clipped_index\t%s" % " ".join(
    str(i) for i, c in enumerate(torch.quantize_per_tensor(t, scale1, 0, torch.qint8)
                                 .int_repr().tolist()) if c < -7 or c > 7))
print("clip1_sqnr\t%s" % g(metrics(deq1)[2]))
# The percentile calibration's clip (symmetric: of |x|), NumPy's linear rule.
print("hand12_p999\t%r" % float(np.float32(np.percentile(np.abs(x).astype(np.float64), 99.9))))
print("hand12_p90\t%r" % float(np.float32(np.percentile(np.abs(x).astype(np.float64), 90))))

# gnubg's contact net, one scale per hidden unit (axis 0).
w = torch.from_numpy(np.load(os.path.join(HERE, "..", "..", "assets", "samples",
                                          "gnubg_contact_hidden.npy")))
obs = torch.ao.quantization.PerChannelMinMaxObserver(
    ch_axis=0, dtype=torch.qint8, qscheme=torch.per_channel_symmetric, quant_min=-127, quant_max=127)
obs(w)
scales, _ = obs.calculate_qparams()
print("gnubg_axis0_channels\t%d" % scales.numel())
print("gnubg_axis0_max_channel\t%d" % int(scales.argmax()))
print("gnubg_axis0_max_scale\t%s" % g(float(scales.max())))
