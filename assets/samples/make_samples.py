#!/usr/bin/python3
"""make_samples.py — the synthetic teaching tensors of assets/samples/.

Every tensor comes from NumPy's PCG64 generator with a fixed seed, so
running this again writes the same bytes. float32, C order, .npy v1.0.
Run from anywhere:  /usr/bin/python3 assets/samples/make_samples.py
(the real weights come from extract_faceapi.py).
"""
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def save(name, a):
    a = np.ascontiguousarray(a, dtype=np.float32)
    np.save(os.path.join(HERE, name + ".npy"), a)
    print("%-10s %-12s min %+.4f max %+.4f std %.4f" % (name, "x".join(map(str, a.shape)),
                                                       a.min(), a.max(), a.std()))


def main():
    # A weight-like matrix [out, in]: most of quantization's lessons.
    save("gaussian", np.random.default_rng(1).normal(0.0, 0.02, (64, 256)))
    # Heavy tails: many small values and a few far ones; clipping pays here.
    save("laplace", np.random.default_rng(2).laplace(0.0, 0.02, (64, 256)))
    # Every part of the range equally used: the grid's best case.
    save("uniform", np.random.default_rng(3).uniform(-1.0, 1.0, (64, 256)))
    # Two clusters away from zero (a ReLU-shifted or bias-like tensor):
    # symmetric schemes waste half the grid, asymmetric ones do not.
    rng = np.random.default_rng(4)
    side = rng.integers(0, 2, 16384)
    save("bimodal", np.where(side, rng.normal(0.6, 0.08, 16384),
                             rng.normal(-0.2, 0.05, 16384)).reshape(64, 256))
    # The LLM activation case: a gaussian with a few huge values in two
    # channels (columns 7 and 200), so per-tensor absmax wastes the grid.
    rng = np.random.default_rng(5)
    a = rng.normal(0.0, 1.0, (64, 256))
    rows = rng.choice(64, 6, replace=False)
    a[rows[:3], 7] = rng.uniform(40, 60, 3) * np.array([1, -1, 1])
    a[rows[3:], 200] = rng.uniform(40, 60, 3) * np.array([-1, 1, 1])
    save("outliers", a)
    # Twelve values a student can quantize by hand: absmax 1.4, so int4
    # symmetric has scale 1.4 / 7 = 0.2 and the codes are x / 0.2 rounded
    # half to even (0.3 -> 1.5 -> 2, 0.5 -> 2.5 -> 2, -0.1 -> -0.5 -> -0).
    save("small", np.array([-1.4, -0.9, -0.5, -0.25, -0.1, 0.0, 0.1, 0.3, 0.5, 0.7, 1.0, 1.3]))


if __name__ == "__main__":
    main()
