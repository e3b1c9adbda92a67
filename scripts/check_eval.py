#!/usr/bin/python3
"""check_eval.py - cross-checks `qlens eval` the way a reviewer would.

For each model and scheme: every weight matrix is quantized by
`qlens quantize FILE -t NAME --dtype ... -o OUT.safetensors --dequant`
(the command, not qlens eval), the dequantized matrices are read back, both
models are run by an independent NumPy forward pass (float64), and
accuracy, perplexity, flips, top-1 changes and KL mean / p99 / max are
computed with llama-perplexity's formulas (tests/golden/gen_eval.py) and
compared with `qlens eval MODEL SCHEME --json`.

Usage (from the repository root, after `make`):
    /usr/bin/python3 scripts/check_eval.py [QLENS] [SCHEME...]
Needs python3-numpy (and python3-torch, which gen_eval.py imports).
"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
sys.path.insert(0, os.path.join(ROOT, "tests", "golden"))
import gen_eval  # noqa: E402
import st_io  # noqa: E402

# scheme word -> `qlens quantize` options
OPTS = {
    "int8": [], "int8/ch0": ["--axis", "0"], "int4/g32": ["--dtype", "int4", "--group", "32"],
    "int4/g128": ["--dtype", "int4", "--group", "128"], "nf4": ["--dtype", "nf4"],
    "q8_0": ["--dtype", "q8_0"], "q4_0": ["--dtype", "q4_0"], "mxfp4": ["--dtype", "mxfp4"],
    "fp8_e4m3": ["--dtype", "fp8_e4m3"], "int2/g32": ["--dtype", "int2", "--group", "32"],
}


def main():
    qlens = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build", "qlens")
    schemes = sys.argv[2:] or list(OPTS)
    worst = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for name in ("digits", "chars"):
            w, meta, data = gen_eval.load_model(name)
            mfile = os.path.join(ROOT, "assets", "models", name, "model.safetensors")
            x, y = gen_eval.model_inputs(w, meta, data)
            base = gen_eval.forward(w, meta, x)
            for scheme in schemes:
                wq = dict(w)
                for key in w:
                    if w[key].ndim != 2:
                        continue
                    out = os.path.join(tmp, "q.safetensors")
                    subprocess.run([qlens, "quantize", mfile, "-t", key] + OPTS[scheme] +
                                   ["-o", out, "--dequant", "--force"], check=True,
                                   stdout=subprocess.DEVNULL)
                    t, _ = st_io.load(out)
                    wq[key] = t[key + ".dequant"]
                xq, _ = gen_eval.model_inputs(wq, meta, data)
                s = gen_eval.stats(base, gen_eval.forward(wq, meta, xq), y)
                r = json.loads(subprocess.run([qlens, "eval", name, scheme, "--json"], check=True,
                                              capture_output=True, text=True).stdout)["results"][0]
                pairs = [("flips", s["flips"], r["flips"]["count"]),
                         ("same top", s["same_top"], r["top1"]["same"]),
                         ("ppl orig", s["ppl_base"], r["perplexity"]["original"]),
                         ("ppl quant", s["ppl_quant"], r["perplexity"]["quantized"]),
                         ("KL mean", s["kld_mean"], r["kl"]["mean"]),
                         ("KL p99", s["kld_p99"], r["kl"]["p99"]),
                         ("KL max", s["kld_max"], r["kl"]["max"])]
                if "accuracy" in r:
                    pairs.append(("accuracy", s["correct_quant"] / s["n"], r["accuracy"]["quantized"]))
                line = []
                for label, ref, got in pairs:
                    rel = abs(got - ref) / max(abs(ref), 1e-12)
                    if label in ("KL mean", "KL p99", "KL max", "ppl orig", "ppl quant"):
                        worst = max(worst, rel)
                    ok = got == ref if label in ("flips", "same top", "accuracy") else rel < 1e-3
                    line.append("%s %s%s" % (label, "%.6g" % got, "" if ok else " (NumPy %.6g!)" % ref))
                print("%-6s %-9s %s" % (name, scheme, "  ".join(line)))
    print("largest relative difference of KL/perplexity: %.2g" % worst)


if __name__ == "__main__":
    main()
