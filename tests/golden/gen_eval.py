#!/usr/bin/python3
"""gen_eval.py - golden values for tests/test_model.c and tests/test_divergence.c.

An independent reference, in NumPy float64 (torch only where noted), for:

  1. the forward passes of the shipped models (assets/models/{digits,chars}):
     logits of the first test examples, accuracy / perplexity on the test
     split (model.txt);
  2. whole evaluations `qlens eval MODEL SCHEME [--act int8-dynamic]`: the
     weights quantized by a port of PyTorch's symmetric affine kernel
     (int8 per channel = torch.quantize_per_channel; int4 per group of 32 by
     the same formulas), both forward passes, and the statistics
     (evalcases.txt);
  3. llama-perplexity's divergence statistics (tools/perplexity/perplexity.cpp:
     mean_and_uncertainty, its percentile lambda, the median, RMS dp, same
     top p) on random, extreme, tied, one-hot and identical logits
     (divcases.txt), and the same statistics for .npy/.safetensors logits
     files read by `qlens divergence` (div_*.npy, div_*.safetensors).

Run from the repository root:  /usr/bin/python3 tests/golden/gen_eval.py
Floats are written with float.hex() so nothing is lost.
"""
import os
import sys

import numpy as np
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import st_io  # noqa: E402

OUT = os.path.join(ROOT, "tests", "golden", "eval")


def hexs(a):
    return " ".join(float(v).hex() for v in np.asarray(a, dtype=np.float64).ravel())


# ---- models ------------------------------------------------------------------

def load_model(name):
    d = os.path.join(ROOT, "assets", "models", name)
    w, meta = st_io.load(os.path.join(d, "model.safetensors"))
    data, _ = st_io.load(os.path.join(d, "data.safetensors"))
    return w, meta, data


def act_fn(meta):
    return (lambda v: np.maximum(v, 0)) if meta["qlens.activation"] == "relu" else np.tanh


def n_layers(w):
    n = 0
    while "fc%d.weight" % (n + 1) in w:
        n += 1
    return n


def qdq_rows_int8_dynamic(x):
    """Each row: symmetric int8, scale = absmax / 127 in float32 (PyTorch's
    MinMaxObserver, qint8 restricted to [-127, 127]), q = rint(x * (1/s))."""
    x = x.astype(np.float32)
    amax = np.maximum(np.max(x, axis=1), 0).astype(np.float32)
    amin = np.minimum(np.min(x, axis=1), 0).astype(np.float32)
    absmax = np.maximum(-amin, amax).astype(np.float32)
    scale = np.maximum(absmax / np.float32(127.0), np.float32(2.0 ** -23)).astype(np.float32)
    inv = (np.float32(1.0) / scale).astype(np.float32)
    q = np.clip(np.rint((x * inv[:, None]).astype(np.float32)), -127, 127)
    return (q.astype(np.float32) * scale[:, None]).astype(np.float32)


def forward(w, meta, inputs, act_quant=None):
    """inputs: [n, in] float32 for layer 1. Float64 arithmetic from the
    float32 weights (activation quantization in float32, as the kernel)."""
    f = act_fn(meta)
    x = inputs.astype(np.float64)
    L = n_layers(w)
    for l in range(1, L + 1):
        if act_quant == "int8-dynamic":
            x = qdq_rows_int8_dynamic(x.astype(np.float32)).astype(np.float64)
        x = x @ w["fc%d.weight" % l].astype(np.float64).T + w["fc%d.bias" % l].astype(np.float64)
        if l < L:
            x = f(x)
    return x


def model_inputs(w, meta, data):
    if meta["qlens.kind"] == "classifier":
        return data["test.x"], data["test.y"].astype(np.int64)
    ctx = int(meta["qlens.context"])
    tok = data["test.tokens"].astype(np.int64)
    pad = np.concatenate([np.zeros(ctx, np.int64), tok])
    idx = np.stack([pad[i:i + len(tok)] for i in range(ctx)], axis=1)
    emb = w["embed.weight"]
    return emb[idx].reshape(len(tok), -1), tok


def log_softmax(x):
    x = np.asarray(x, dtype=np.float64)
    m = x.max(axis=1, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=1, keepdims=True))


# ---- llama-perplexity's statistics, ported -------------------------------------

def mean_unc(s, s2, n):
    f = s / n
    df = s2 / n - f * f
    return f, (np.sqrt(df / (n - 1)) if df > 0 and n > 10 else 0.0)


def pct(v, frac):
    v = np.sort(np.asarray(v, dtype=np.float64))
    if frac <= 0:
        return v[0]
    if frac >= 1:
        return v[-1]
    p = frac * (len(v) - 1)
    ip = int(p)
    p -= ip
    return (1 - p) * v[ip] + p * v[min(ip + 1, len(v) - 1)]


def median(v):
    v = np.sort(np.asarray(v, dtype=np.float64))
    n = len(v)
    return 0.5 * (v[n // 2] + v[n // 2 - 1]) if n % 2 == 0 else v[n // 2]


def stats(base, quant, labels):
    """base, quant: [n, V] logits; labels [n] or None. Returns a dict."""
    lb, lq = log_softmax(base), log_softmax(quant)
    pb = np.exp(lb)
    kld = (pb * (lb - lq)).sum(axis=1)
    n = len(kld)
    tb, tq = np.argmax(base, axis=1), np.argmax(quant, axis=1)
    s = {"n": n}
    s["kld_mean"], s["kld_unc"] = mean_unc(kld.sum(), (kld * kld).sum(), n)
    s["kld_median"] = median(kld)
    for k, f in (("kld_p90", .9), ("kld_p95", .95), ("kld_p99", .99), ("kld_p999", .999),
                 ("kld_p01", .01), ("kld_p05", .05), ("kld_p10", .10)):
        s[k] = pct(kld, f)
    s["kld_max"], s["kld_min"] = kld.max(), kld.min()
    same = int((tb == tq).sum())
    s["same_top"] = same
    p = same / n
    s["same_top_p"] = p
    s["same_top_unc"] = np.sqrt(p * (1 - p) / (n - 1)) if n > 1 else 0.0
    if labels is None:
        return s
    r = np.arange(n)
    nb, nq = -lb[r, labels], -lq[r, labels]
    mb, ub = mean_unc(nb.sum(), (nb * nb).sum(), n)
    mq, uq = mean_unc(nq.sum(), (nq * nq).sum(), n)
    s["ppl_base"], s["ppl_base_unc"] = np.exp(mb), np.exp(mb) * ub
    s["ppl_quant"], s["ppl_quant_unc"] = np.exp(mq), np.exp(mq) * uq
    cov = 0.0 if n < 10 else ((nq * nb).sum() / n - (nq.sum() / n) * (nb.sum() / n)) / (n - 1)
    s["ln_ppl_ratio"] = mq - mb
    s["ln_ppl_ratio_unc"] = np.sqrt(max(uq * uq + ub * ub - 2 * cov, 0.0))
    cb, cq = tb == labels, tq == labels
    s["correct_base"], s["correct_quant"] = int(cb.sum()), int(cq.sum())
    s["flips_to_wrong"] = int((cb & ~cq).sum())
    s["flips_to_right"] = int((~cb & cq).sum())
    s["flips"] = s["flips_to_wrong"] + s["flips_to_right"]
    dp = np.exp(-nq) - np.exp(-nb)
    s["dp_mean"], s["dp_unc"] = mean_unc(dp.sum(), (dp * dp).sum(), n)
    mse, mse_unc = mean_unc((dp * dp).sum(), (dp ** 4).sum(), n)
    s["dp_rms"] = np.sqrt(mse)
    s["dp_rms_unc"] = 0.5 / s["dp_rms"] * mse_unc if s["dp_rms"] > 0 else 0.0
    s["dp_median"] = median(dp)
    for k, f in (("dp_p01", .01), ("dp_p05", .05), ("dp_p10", .10), ("dp_p25", .25),
                 ("dp_p75", .75), ("dp_p90", .90), ("dp_p95", .95), ("dp_p99", .99)):
        s[k] = pct(dp, f)
    s["dp_min"], s["dp_max"] = dp.min(), dp.max()
    return s


def write_stats(f, s):
    for k in sorted(s):
        f.write("expect %s %s\n" % (k, float(s[k]).hex()))


# ---- weight quantization, a port of PyTorch's symmetric affine kernel ------------

def quant_int8_ch0(wm):
    """torch.quantize_per_channel along axis 0 with PerChannelMinMaxObserver's
    symmetric scale on the restricted range [-127, 127]."""
    w = torch.from_numpy(wm.astype(np.float32))
    absmax = torch.maximum(-w.min(dim=1).values.clamp(max=0), w.max(dim=1).values.clamp(min=0))
    scale = torch.clamp(absmax / 127.0, min=2.0 ** -23)
    q = torch.quantize_per_channel(w, scale.double(), torch.zeros(len(scale), dtype=torch.long),
                                   0, torch.qint8)
    assert q.int_repr().min() >= -127
    return q.dequantize().numpy().astype(np.float32)


def quant_int4_g32(wm):
    w = wm.astype(np.float32)
    rows, cols = w.shape
    out = np.empty_like(w)
    for g in range(0, cols, 32):
        x = w[:, g:g + 32]
        absmax = np.maximum(-np.minimum(x.min(axis=1), 0), np.maximum(x.max(axis=1), 0))
        scale = np.maximum((absmax / np.float32(7.0)).astype(np.float32), np.float32(2.0 ** -23))
        inv = (np.float32(1.0) / scale).astype(np.float32)
        q = np.clip(np.rint((x * inv[:, None]).astype(np.float32)), -7, 7)
        out[:, g:g + 32] = (q.astype(np.float32) * scale[:, None]).astype(np.float32)
    return out


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.RandomState(13)
    with open(os.path.join(OUT, "model.txt"), "w") as f, \
         open(os.path.join(OUT, "evalcases.txt"), "w") as fe:
        for name in ("digits", "chars"):
            w, meta, data = load_model(name)
            x, y = model_inputs(w, meta, data)
            logits = forward(w, meta, x)
            k = 24
            idx = np.sort(np.concatenate([np.arange(8), rng.choice(len(y), k - 8, replace=False)]))
            f.write("case %s %d %d\n" % (name, len(idx), logits.shape[1]))
            f.write("index %s\n" % " ".join(str(i) for i in idx))
            f.write("logits %s\n" % hexs(logits[idx]))
            ls = log_softmax(logits)
            acc = float((np.argmax(logits, 1) == y).mean())
            ppl = float(np.exp(-ls[np.arange(len(y)), y].mean()))
            f.write("accuracy %s\nperplexity %s\nend\n" % (acc.hex(), ppl.hex()))
            print("%s: accuracy %.4f perplexity %.4f" % (name, acc, ppl))
            for scheme, fn, act in (("int8/ch0", quant_int8_ch0, None),
                                    ("int4/g32", quant_int4_g32, None),
                                    ("int4/g32", quant_int4_g32, "int8-dynamic")):
                wq = dict(w)
                for key in w:
                    if w[key].ndim == 2:
                        wq[key] = fn(w[key])
                xq, _ = model_inputs(wq, meta, data)
                lq = forward(wq, meta, xq, act)
                fe.write("case %s %s %s\n" % (name, scheme, act or "none"))
                for key in sorted(w):
                    if w[key].ndim == 2:
                        e = (w[key].astype(np.float64) - wq[key]) ** 2
                        sqnr = 10 * np.log10((w[key].astype(np.float64) ** 2).sum() / e.sum())
                        fe.write("sqnr %s %s\n" % (key, float(sqnr).hex()))
                write_stats(fe, stats(logits, lq, y))
                fe.write("end\n")
    write_divcases(rng)


def write_divcases(rng):
    cases = []
    T, V = 150, 40
    b = rng.randn(T, V).astype(np.float32) * 3
    q = (b + rng.randn(T, V).astype(np.float32) * 0.3).astype(np.float32)
    cases.append(("random", b, q, rng.randint(0, V, T)))
    # extreme: logits of thousands, a few rows where the answer flips hard
    b = (rng.randn(60, 16) * 2000).astype(np.float32)
    q = b.copy()
    q[::7] = -q[::7]
    q[1::5] += (rng.randn(12, 16) * 50).astype(np.float32)
    cases.append(("extreme", b, q, rng.randint(0, 16, 60)))
    # ties: all-equal rows and rows with two equal maxima (argmax takes the first)
    b = np.zeros((30, 12), np.float32)
    q = np.zeros((30, 12), np.float32)
    b[10:20, 3] = b[10:20, 7] = 5
    q[10:20, 7] = q[10:20, 3] = 5
    q[20:, :] = rng.randn(10, 12).astype(np.float32)
    b[20:, 5] = 2
    cases.append(("ties", b, q, np.arange(30) % 12))
    # one-hot: a single large logit, moved in some rows
    b = np.full((40, 20), -30, np.float32)
    b[np.arange(40), np.arange(40) % 20] = 30
    q = b.copy()
    q[::3] = np.roll(q[::3], 1, axis=1)
    cases.append(("onehot", b, q, np.arange(40) % 20))
    # identical: KL exactly 0, no flips
    b = rng.randn(50, 10).astype(np.float32)
    cases.append(("identical", b, b.copy(), rng.randint(0, 10, 50)))
    # few rows (n <= 10: uncertainties are 0), no labels
    b = rng.randn(7, 9).astype(np.float32)
    q = (b + rng.randn(7, 9).astype(np.float32)).astype(np.float32)
    cases.append(("small", b, q, None))
    with open(os.path.join(OUT, "divcases.txt"), "w") as f:
        for name, b, q, lab in cases:
            f.write("case %s %d %d %d\n" % (name, b.shape[0], b.shape[1], lab is not None))
            f.write("base %s\nquant %s\n" % (hexs(b), hexs(q)))
            if lab is not None:
                f.write("labels %s\n" % " ".join(str(int(v)) for v in lab))
            write_stats(f, stats(b, q, lab))
            f.write("end\n")
    # files for `qlens divergence`: f32 .npy, f16 .safetensors, int labels
    T, V = 97, 300
    b = (rng.randn(T, V) * 4).astype(np.float32)
    q = (b + rng.randn(T, V).astype(np.float32) * 0.5).astype(np.float32)
    lab = rng.randint(0, V, T).astype(np.int32)
    np.save(os.path.join(OUT, "div_base.npy"), b)
    np.save(os.path.join(OUT, "div_quant.npy"), q)
    np.save(os.path.join(OUT, "div_labels.npy"), lab)
    st_io.save(os.path.join(OUT, "div_base_f16.safetensors"), {"logits": b.astype(np.float16)})
    st_io.save(os.path.join(OUT, "div_quant_f16.safetensors"), {"logits": q.astype(np.float16)})
    with open(os.path.join(OUT, "divfiles.txt"), "w") as f:
        f.write("case f32 %d %d 1\n" % (T, V))
        write_stats(f, stats(b, q, lab))
        f.write("end\n")
        f.write("case f16 %d %d 1\n" % (T, V))
        write_stats(f, stats(b.astype(np.float16).astype(np.float32),
                             q.astype(np.float16).astype(np.float32), lab))
        f.write("end\n")


if __name__ == "__main__":
    main()
