#!/bin/sh
# cli_text_json.sh — every figure `quantize` and `report` print as text is
# the figure their --json gives, at the printed precision: a text line that
# printed the wrong metric (rmse on the mse line) or a wrong count fails
# here. The JSON's own values are checked against PyTorch in
# test_quantize_cli and cli_readers.sh. Skipped without python3. Run by
# `make test` with QLENS_BIN set.
set -u
Q=${QLENS_BIN:-build/qlens}
PY=""
for p in python3 /usr/bin/python3; do command -v $p >/dev/null 2>&1 && { PY=$p; break; }; done
[ -n "$PY" ] || { echo "cli_text_json: no python3; skipped"; exit 0; }
W=$(mktemp -d /tmp/qlens-text-json.XXXXXX)
trap 'rm -rf "$W"' EXIT
fails=0; passes=0

check() { # KIND ARGS...: runs qlens KIND ARGS as text and as --json, compares
	kind=$1; shift
	"$Q" "$kind" "$@" >"$W/text" 2>"$W/err" || { echo "FAIL: $kind $*: $(cat "$W/err")"; fails=$((fails+1)); return; }
	"$Q" "$kind" "$@" --json >"$W/json" 2>"$W/err" || { echo "FAIL: $kind $* --json"; fails=$((fails+1)); return; }
	if $PY - "$kind" "$W/text" "$W/json" <<'PYEOF'; then passes=$((passes+1)); else echo "FAIL: $kind $*"; fails=$((fails+1)); fi
import json, struct, sys

kind, text, js = sys.argv[1], open(sys.argv[2]).read().splitlines(), json.load(open(sys.argv[3]))
bad = []
def same(what, got, want):
    if got != want:
        bad.append("%s: text '%s', json gives '%s'" % (what, got, want))
def fmt(spec, v):
    """v printed as the C program prints it; JSON has null for inf/nan."""
    return "(not finite)" if v is None else spec % v
def fin(t):
    return "(not finite)" if t.lower().lstrip("+-") in ("inf", "nan") else t
def f32(v):
    return struct.unpack("<f", struct.pack("<f", float(v)))[0]

if kind == "quantize":
    lines = {}
    hist = []
    for l in text:
        if l.startswith("  [") or l.startswith("  (") :
            hist.append(l)
        elif len(l) > 13 and l[:13].strip():
            lines[l[:13].strip()] = l[13:]
    m = js["metrics"]
    same("codes", lines["codes"], "[%d, %d]" % (js["qmin"], js["qmax"]))
    same("mse", lines["mse"], "%.6g" % m["mse"])
    same("rmse", lines["rmse"], "%.6g" % m["rmse"])
    same("sqnr", lines["sqnr"], "%.4f dB" % m["sqnr_db"])
    same("max |error|", lines["max |error|"], "%.6g" % m["max_abs_err"])
    same("mean |error|", lines["mean |error|"], "%.6g" % m["mean_abs_err"])
    same("cosine", lines["cosine"], "%.9f" % m["cosine"])
    n = 1
    for d in js["shape"]:
        n *= d
    same("clipped", lines["clipped"].split(" (")[0], "%d of %d" % (m["clipped"], n))
    same("storage", lines["storage"].split(" (")[0],
         "%.4g bits per weight, %d bytes" % (js["bits_per_weight"], js["bytes"]))
    sc = js["scale"]
    if isinstance(sc, list):
        t = lines["scale"]
        same("scale count", t.split(" values")[0], str(len(sc)))
        lo = t.split("min ")[1].split(",")[0]
        hi = t.split("max ")[1].split(",")[0]
        same("scale min", f32(lo), f32(min(sc)))
        same("scale max", f32(hi), f32(max(sc)))
    else:
        same("scale", f32(lines["scale"]), f32(sc))
    zp = js["zero_point"]
    if isinstance(zp, list):
        t = lines["zero point"]
        same("zero point min", int(t.split("min ")[1].split(",")[0]), min(zp))
        same("zero point max", int(t.split("max ")[1].split(",")[0]), max(zp))
    elif zp is not None:
        same("zero point", lines["zero point"].split(" ")[0], str(zp))
    cal = js["calibration"]
    t = lines["calibration"]
    lo, hi = t.split("data range [")[1].split("]")[0].split(", ")
    same("data range", (f32(lo), f32(hi)), (f32(cal["data_range"][0]), f32(cal["data_range"][1])))
    h = js["error_histogram"]
    if h:
        same("histogram counts", [int(l.split()[-1]) for l in hist if l.startswith("  [")], h["counts"])
    same("scheme word", lines["scheme"].split("(")[-1].rstrip(")"), js["scheme"]["word"])
else:  # report
    rows = {r["name"]: r for r in js["tensors"]}
    skipped = {r["name"] for r in js["skipped"]}
    seen = 0
    for l in text:
        f = l.split()
        if not f or f[0] not in rows and f[0] not in skipped:
            continue
        name = f[0]
        if name in skipped:
            same(name + " skipped", "skipped:" in l, True)
            continue
        r = rows[name]
        seen += 1
        same(name, [fin(v) for v in f[2:7]],
             [fmt("%.3f", r["bits_per_weight"]), fmt("%.4g", r["rmse"]), fmt("%.4g", r["max_abs_err"]),
              fmt("%.2f", r["sqnr_db"]), fmt("%.6f", r["cosine"])])
    same("rows", seen, len(rows))
    t = js["total"]
    for l in text:
        if l.startswith("total "):
            same("total", l.split()[1:5:3], [str(t["tensors"]), str(len(skipped))])
        if l.startswith("size "):
            same("size", l.split(" (")[0].split()[1:4:2], [str(t["bytes_before"]), str(t["bytes_after"])])
            if t["elements"]:
                same("size bpw", l.split("(")[1].split(" bits")[0], "%.3f" % t["bits_per_weight"])
        if l.startswith("error "):
            f = l.split(" (")[0].replace(",", "").split()
            same("total error", [fin(f[2]), fin(f[5]), fin(f[7]), fin(f[9])],
                 [fmt("%.2f", t["sqnr_db"]), fmt("%.4g", t["rmse"]), fmt("%.4g", t["max_abs_err"]),
                  fmt("%.6f", t["cosine"])])
    same("scheme", [l for l in text if l.startswith("scheme ")][0].split()[1], js["scheme"])
for b in bad:
    print("  " + b)
sys.exit(1 if bad else 0)
PYEOF
}

X=tests/golden/quantize/x.npy
XB=tests/golden/quantize/xb.npy
for s in int8 uint8/ch0 int4/g8/mse int2/asym/ch1 fp8_e4m3/percentile:99 uint8/scale:0.25/zp:3; do
	check quantize $X $s
done
for s in q8_0 q4_0 nf4 mxfp4 mxint8 int8/entropy; do
	check quantize $XB $s
done
check quantize tests/golden/readers/stored.npz -t layers/0/w int4/g4
R=tests/golden/readers
for s in int8 int4/g8 q4_0 uint8/ch0/mse fp8_e5m2; do
	check report $R/tiny_v3.gguf $s
	# (q4_0 fits none of its tensors: report fails then, cli_harden.sh)
	[ "$s" = q4_0 ] || check report $R/sharded/model.safetensors.index.json $s --sort error
done
check report $R/stored.npz int8/ch0

echo "cli_text_json: $passes passed, $fails failed"
[ "$fails" -eq 0 ]
