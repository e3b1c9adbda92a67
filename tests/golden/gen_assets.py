#!/usr/bin/python3
"""Golden data for tests/assets.sh (the sample tensors of assets/samples/).

Run from the repository root:  /usr/bin/python3 tests/golden/gen_assets.py

Writes tests/golden/assets/, every number made by PyTorch/NumPy, never by qlens:
  hand12_int4.txt        the hand-readable vector quantized int4 symmetric per
                         tensor: one row per value, x | code | x_hat | error,
                         in the Markdown table form assets/README.md shows
                         (torch.quantize_per_tensor, scale absmax / 7 = 0.5)
  hand12_int4.f32        the dequantized values, raw little-endian float32
  hand12_int8.f32        the same for int8 symmetric (scale 3.5 / 127)
  lessons.txt            SQNR in dB of each sample under five schemes, as the
                         Markdown rows of assets/README.md's lesson table;
                         the test checks qlens's figures against them and
                         that the README holds these rows verbatim
  lessons_precise.txt    the same figures with 6 decimals, one line per
                         sample: NAME then the five SQNRs
  channels.txt           per-channel absmax of the samples with outlier
                         channels (median, largest, where), Markdown rows
                         of assets/README.md, from NumPy
Symmetric schemes as qlens defines them: scale = absmax / qmax (qmax 127 for
int8, 7 for int4) in float32, code = round_half_even(x * (1 / scale)) clamped
to [-qmax, qmax]. Per tensor and per channel go through
torch.quantize_per_tensor / quantize_per_channel (qint8, zero point 0);
groups of 32 along the last axis (a shorter last group) in NumPy float32.
SQNR = 10 log10(sum x^2 / sum (x_hat - x)^2), sums in float64.
"""
import os

import numpy as np
import torch

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
SAMPLES = os.path.join(ROOT, "assets", "samples")
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "assets")
os.makedirs(OUT, exist_ok=True)


def scale_of(absmax, qmax):
    return np.float32(np.float32(absmax) / np.float32(qmax))


def per_tensor(x, qmax):
    s = scale_of(np.abs(x).max(), qmax)
    q = torch.quantize_per_tensor(torch.from_numpy(x), float(s), 0, torch.qint8)
    codes = q.int_repr().numpy().astype(np.int32)
    assert np.abs(codes).max() <= qmax
    return codes, q.dequantize().numpy()


def per_channel(x, qmax, axis):
    other = tuple(a for a in range(x.ndim) if a != axis)
    s = (np.abs(x).max(axis=other).astype(np.float32) / np.float32(qmax)).astype(np.float32)
    q = torch.quantize_per_channel(torch.from_numpy(x), torch.from_numpy(s.astype(np.float64)),
                                   torch.zeros(len(s), dtype=torch.int64), axis, torch.qint8)
    return q.dequantize().numpy()


def per_group(x, qmax, g):
    xh = np.empty_like(x)
    flat, out = x.reshape(-1, x.shape[-1]), xh.reshape(-1, x.shape[-1])
    for r in range(flat.shape[0]):
        for c in range(0, flat.shape[1], g):
            v = flat[r, c:c + g]
            s = scale_of(np.abs(v).max(), qmax)
            inv = np.float32(1) / s
            q = np.clip(np.rint(v * inv), -qmax, qmax).astype(np.float32)
            out[r, c:c + g] = q * s
    return xh


def sqnr(x, xh):
    x64, e = x.astype(np.float64), xh.astype(np.float64) - x.astype(np.float64)
    return 10 * np.log10((x64 ** 2).sum() / (e ** 2).sum())


# --- the hand-readable vector -------------------------------------------------
h = np.load(os.path.join(SAMPLES, "hand12.npy"))
codes, xh = per_tensor(h, 7)
assert scale_of(np.abs(h).max(), 7) == np.float32(0.5)
with open(os.path.join(OUT, "hand12_int4.txt"), "w") as f:
    for v, c, d in zip(h, codes, xh):
        f.write(f"| {float(v):g} | {int(c)} | {float(d):g} | {float(d) - float(v):+.2f} |\n".replace("+0.00", "0"))
xh.astype("<f4").tofile(os.path.join(OUT, "hand12_int4.f32"))
per_tensor(h, 127)[1].astype("<f4").tofile(os.path.join(OUT, "hand12_int8.f32"))

# --- the lesson table ---------------------------------------------------------
ORDER = ["gnubg_contact_hidden.npy", "faceapi_conv64_1_conv1.npy", "synth_gaussian.npy",
         "synth_laplace.npy", "synth_uniform.npy", "synth_bimodal.npy", "synth_outliers.npy"]
with open(os.path.join(OUT, "lessons.txt"), "w") as f, \
        open(os.path.join(OUT, "lessons_precise.txt"), "w") as precise:
    for name in ORDER:
        x = np.load(os.path.join(SAMPLES, name))
        row = [sqnr(x, per_tensor(x, 127)[1]), sqnr(x, per_channel(x, 127, 0)),
               sqnr(x, per_channel(x, 127, 1)), sqnr(x, per_tensor(x, 7)[1]),
               sqnr(x, per_group(x, 7, 32))]
        f.write(f"| {name} | " + " | ".join(f"{v:.2f}" for v in row) + " |\n")
        precise.write(name + " " + " ".join(f"{v:.6f}" for v in row) + "\n")

# --- outlier channels ---------------------------------------------------------
CHANNELS = [("gnubg_contact_hidden.npy", 1), ("gnubg_contact_hidden.npy", 0),
            ("faceapi_conv64_1_conv1.npy", 0), ("synth_outliers.npy", 1), ("synth_outliers.npy", 0)]
with open(os.path.join(OUT, "channels.txt"), "w") as f:
    for name, axis in CHANNELS:
        x = np.load(os.path.join(SAMPLES, name))
        m = np.abs(x).max(axis=1 - axis)
        f.write(f"| {name} | {axis} | {len(m)} | {np.median(m):.4g} | {m.max():.4g} | {int(m.argmax())} |"
                f" {m.max() / np.median(m):.1f} |\n")
print("wrote", OUT)
