#!/usr/bin/python3
"""make_samples.py - the synthetic teaching tensors of assets/samples/.

Each tensor is drawn with NumPy's Generator (PCG64) from its own fixed seed,
in float64, then stored as little-endian float32 .npy. The bulk of every one
but the hand-readable vector has standard deviation 1, so the distributions
differ only in shape: what quantization does to tails, to a flat density, to
two modes and to a few huge channels can be compared side by side.

    scripts/make_samples.py            # (re)write the files
    scripts/make_samples.py --check    # regenerate in memory, compare, write nothing

NumPy's Generator streams for normal, laplace, uniform and integers have
been stable since NumPy 1.17; --check says so if a NumPy ever draws other
numbers (the committed files stay the reference).
"""
import argparse
import os
import sys

import numpy as np

SHAPE = (128, 256)  # rows = output channels, columns = inputs (a weight matrix)


def gaussian():
    return np.random.default_rng(1001).normal(0.0, 1.0, SHAPE)


def laplace():
    # Laplace(0, b) has variance 2 b^2: b = 1/sqrt(2) gives std 1, as the gaussian.
    return np.random.default_rng(1002).laplace(0.0, 1.0 / np.sqrt(2.0), SHAPE)


def uniform():
    # U(-a, a) has variance a^2 / 3: a = sqrt(3) gives std 1.
    a = np.sqrt(3.0)
    return np.random.default_rng(1003).uniform(-a, a, SHAPE)


def bimodal():
    # Half the values around -1, half around +1, each with std 0.25: almost
    # nothing near 0, where a normal-shaped code book (NF4) puts most levels.
    rng = np.random.default_rng(1004)
    sign = np.where(rng.integers(0, 2, SHAPE) == 1, 1.0, -1.0)
    return sign + rng.normal(0.0, 0.25, SHAPE)


OUTLIER_CHANNELS = {37: 45.0, 201: -60.0, 402: 30.0}


def outliers():
    # Activations of a transformer layer, [tokens, hidden] = [64, 512]: N(0, 1)
    # except three hidden channels that are huge in every token (the
    # "emergent outlier features" of LLM.int8()). One scale per tensor or per
    # token (axis 0) is set by them; one per channel (axis 1) is not.
    rng = np.random.default_rng(1005)
    x = rng.normal(0.0, 1.0, (64, 512))
    for ch, mean in OUTLIER_CHANNELS.items():
        x[:, ch] = mean + rng.normal(0.0, abs(mean) / 10.0, 64)
    return x


# Twelve values to quantize by hand. With int4 symmetric per tensor
# (qlens quantize hand12.npy --dtype int4) the scale is absmax / 7 =
# 3.5 / 7 = 0.5 exactly, so code = round_half_even(2 x) and x_hat = code / 2:
# 3.5 is the top code 7; 1.0 is exact; 0.25, 0.75, 1.75 and -2.25 are exact
# ties (0.5 -> 0, 1.5 -> 2, 3.5 -> 4, -4.5 -> -4, to even); -1.25 is a tie
# too (-2.5 -> -2); the rest round plainly. Every error is at most
# scale / 2 = 0.25, reached at the ties.
HAND = [3.5, -3.1, 2.9, -2.25, 1.75, -1.25, 1.0, 0.75, -0.6, 0.25, -0.1, 0.0]


def hand12():
    return np.array(HAND, dtype=np.float64)


SAMPLES = {
    "synth_gaussian.npy": gaussian,
    "synth_laplace.npy": laplace,
    "synth_uniform.npy": uniform,
    "synth_bimodal.npy": bimodal,
    "synth_outliers.npy": outliers,
    "hand12.npy": hand12,
}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "assets", "samples"))
    ap.add_argument("--check", action="store_true", help="compare with the files in --out; write nothing")
    args = ap.parse_args()
    bad = 0
    for name, make in SAMPLES.items():
        arr = np.ascontiguousarray(make(), dtype="<f4")
        path = os.path.join(args.out, name)
        if args.check:
            old = np.load(path)
            same = old.dtype == arr.dtype and old.shape == arr.shape and np.array_equal(old, arr)
            print(f"{name}: {'same' if same else 'DIFFERENT (NumPy ' + np.__version__ + ')'}")
            bad += not same
        else:
            np.save(path, arr)
            print(f"wrote {path} {arr.shape}")
        a = arr.astype(np.float64)
        k = ((a - a.mean()) ** 4).mean() / a.var() ** 2
        print(f"  min {a.min():.4f} max {a.max():.4f} mean {a.mean():.4f} std {a.std():.4f} kurtosis {k:.2f}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
