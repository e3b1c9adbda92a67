#!/usr/bin/python3
"""A vectorised NumPy Q4_0 (ggml's quantize_row_q4_0_ref, block by block
as whole-array operations) doing `qlens quantize W.npy --dtype q4_0`'s job,
for the whole-process table of README's Speed section: load, quantize,
dequantize, the error metrics."""
import sys
import numpy as np

x = np.load(sys.argv[1]).astype(np.float32)
b = x.reshape(-1, 32)
i = np.abs(b).argmax(axis=1)
mx = b[np.arange(len(b)), i]                    # the value of largest magnitude
d = (mx / np.float32(-8)).astype(np.float32)
d16 = d.astype(np.float16)
with np.errstate(divide="ignore"):
    idv = np.where(d != 0, np.float32(1) / d, np.float32(0)).astype(np.float32)
q = np.minimum(np.float32(15), np.trunc(b * idv[:, None] + np.float32(8.5))).astype(np.int8)
y = ((q.astype(np.float32) - 8) * d16.astype(np.float32)[:, None]).reshape(x.shape)
e = y.astype(np.float64) - x
mse = float((e * e).mean())
sqnr = 10 * np.log10(float((x.astype(np.float64) ** 2).sum()) / float((e * e).sum()))
print(f"mse {mse:.6g} sqnr {sqnr:.4f} max {float(np.abs(e).max()):.6g}")
