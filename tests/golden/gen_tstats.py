#!/usr/bin/python3
"""Golden statistics for test_tstats.c and the inspector's tensor view.

Writes tests/golden/tstats/NAME.npy (float32 inputs) and
tests/golden/tstats/tstats.txt: one line per value, "NAME KEY VALUE", VALUE
as repr() of a Python float or int. Every number is NumPy's own:

  finite = x[np.isfinite(x)]            (float64 copy for the moments)
  min max mean std absmax                np.min/max/mean/std(ddof=0) of finite
  p0.1 p1 p50 p99 p99.9                  np.percentile(finite, P) (linear)
  nan posinf neginf zeros first_nonfinite counts over every element
  hist_i                                 np.histogram(finite, 16, (min, max))
  row_i col_j                            max |finite| per row / column of the
                                         tensor seen as (prod(shape[:-1]), shape[-1])

Run: python3 tests/golden/gen_tstats.py (from the repository's top).
"""
import os
import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tstats")
NBINS = 16


def cases():
    rng = np.random.default_rng(11)
    w = rng.normal(0.0, 0.02, size=(37, 53)).astype(np.float32)
    w[5, 7] = 0.9      # one outlier row and column
    w[20, :] *= 8.0    # a loud row
    yield "normal", w
    v = rng.standard_normal(1000).astype(np.float32)
    v[[3, 500]] = np.nan
    v[10] = np.inf
    v[11] = -np.inf
    v[12:20] = 0.0
    v[20] = -0.0
    yield "nonfinite", v
    yield "allequal", np.full((4, 8), 0.375, np.float32)
    t = np.array([[1, 2, 2, 2], [3, 3, 0, -0.0], [1e-45, -1e-45, 1.17549435e-38, 5]], np.float32)
    yield "ties_subnormal", t
    yield "single", np.array([[-2.5]], np.float32)
    yield "cube", rng.uniform(-3, 1, size=(3, 5, 7)).astype(np.float32)
    yield "allnan", np.array([np.nan, np.inf, -np.inf], np.float32)
    yield "empty", np.zeros((0, 4), np.float32)
    # 16,384 values and more: the percentiles are selected by the values' top
    # 16 bits (src/core/select.c); "layer" spreads them over many buckets
    # (one holds the median), with ±0, subnormals and outliers; "fewvals"
    # has four values only, whose buckets hold them all (the fallback)
    g = rng.normal(0.0, 0.02, size=(128, 128)).astype(np.float32)
    g[3, :40] = 0.0
    g[4, :40] = -0.0
    g[5, :10] = np.float32(1e-40)
    g[6, 1] = 12.0
    g[7, 2] = -30.0
    yield "layer", g
    yield "fewvals", rng.choice(np.array([-1.0, 0.0, -0.0, 2.5], np.float32), size=(128, 128))


def main():
    os.makedirs(OUT, exist_ok=True)
    lines = []
    for name, x in cases():
        np.save(os.path.join(OUT, name + ".npy"), x)
        flat = x.reshape(-1)
        fin = flat[np.isfinite(flat)].astype(np.float64)
        rec = {}
        rec["n"] = flat.size
        rec["finite"] = fin.size
        rec["nan"] = int(np.isnan(flat).sum())
        rec["posinf"] = int(np.isposinf(flat).sum())
        rec["neginf"] = int(np.isneginf(flat).sum())
        rec["zeros"] = int((flat == 0).sum())
        bad = np.flatnonzero(~np.isfinite(flat))
        rec["first_nonfinite"] = int(bad[0]) if bad.size else -1
        if fin.size:
            rec["min"] = float(fin.min())
            rec["max"] = float(fin.max())
            rec["mean"] = float(np.mean(fin))
            rec["std"] = float(np.std(fin))
            rec["absmax"] = float(np.abs(fin).max())
            for p in (0.1, 1, 50, 99, 99.9):
                rec["p%g" % p] = float(np.percentile(fin, p))
            counts, _ = np.histogram(fin, NBINS, (float(fin.min()), float(fin.max())))
            for i, c in enumerate(counts):
                rec["hist_%d" % i] = int(c)
        cols = x.shape[-1] if x.ndim else 1
        m = np.where(np.isfinite(x), np.abs(x), 0).reshape(-1, cols) if cols else np.zeros((0, 0))
        if m.size:
            for i, v in enumerate(m.max(axis=1)):
                rec["row_%d" % i] = float(v)
            for j, v in enumerate(m.max(axis=0)):
                rec["col_%d" % j] = float(v)
        for k, v in rec.items():
            lines.append("%s %s %r" % (name, k, v))
    with open(os.path.join(OUT, "tstats.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
