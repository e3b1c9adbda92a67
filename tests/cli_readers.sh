#!/bin/sh
# cli_readers.sh — `qlens info`, `report`, `compare` and `convert` as a user
# runs them, on the golden files of tests/golden/readers (made by
# gen_readers.py): JSON keys, numbers that agree with `qlens quantize`
# (same kernels), converted bytes equal to NumPy's/PyTorch's casts and to
# the Python port of ggml's Q4_0 dequantizer, headers-only speed on a
# 2 GiB file, exit statuses and one-line errors. Run by `make test`.
set -u
Q=${QLENS_BIN:-build/qlens}
G=tests/golden/readers
W=$(mktemp -d /tmp/qlens-cli-readers.XXXXXX)
trap 'rm -rf "$W"' EXIT
fails=0; passes=0
ok() { passes=$((passes+1)); }
bad() { echo "FAIL: $*"; fails=$((fails+1)); }
expect_status() { # NAME WANT CMD...
	name=$1; want=$2; shift 2
	"$@" >"$W/out" 2>"$W/err"; got=$?
	if [ "$got" -eq "$want" ]; then ok; else bad "$name: exit $got, want $want"; cat "$W/err"; fi
	if [ "$want" -ne 0 ]; then
		n=$(wc -l <"$W/err")
		if [ "$n" -eq 1 ] && grep -q '^qlens' "$W/err"; then ok;
		else bad "$name: stderr is not one 'qlens...' line:"; cat "$W/err"; fi
	fi
}
PY=""
for p in python3 /usr/bin/python3; do command -v $p >/dev/null 2>&1 && { PY=$p; break; }; done

# --- info ---------------------------------------------------------------------
expect_status info-gguf 0 "$Q" info $G/tiny_v3.gguf
grep -q 'shapes in NumPy order' "$W/out" && ok || bad "info gguf: no note on shape order"
grep -qE '^  blk\.0\.attn_q\.weight +Q4_K +2x256 +512 +288$' "$W/out" && ok || bad "info gguf: Q4_K line"
expect_status info-json 0 "$Q" info $G/sharded/model-00001-of-00002.safetensors --json
if [ -n "$PY" ]; then
	$PY - "$W/out" <<'PYEOF' && ok || bad "info --json content"
import json, sys
d = json.load(open(sys.argv[1]))
assert set(d) >= {"format", "metadata", "tensors"}, d.keys()
assert d["format"] == "safetensors-sharded"
assert d["metadata"]["shards"] == "2"
names = [t["name"] for t in d["tensors"]]
assert names == ["model.embed_tokens.weight", "model.layers.0.w", "model.layers.1.w", "lm_head.weight"], names
for t in d["tensors"]:
    assert set(t) == {"name", "dtype", "shape", "elements", "bytes", "decodable"}, t
assert d["tensors"][1] == {"name": "model.layers.0.w", "dtype": "F16", "shape": [4, 4], "elements": 16, "bytes": 32, "decodable": True}
PYEOF
fi

# Headers only: a GGUF whose one tensor is 2 GiB of (sparse) data answers at once.
if [ -n "$PY" ]; then
	$PY - "$W/big.gguf" <<'PYEOF'
import struct, sys
n = 1 << 29  # F32 elements: 2 GiB
h = b"GGUF" + struct.pack("<IQQ", 3, 1, 0)
h += struct.pack("<Q", 3) + b"big" + struct.pack("<IQ", 1, n) + struct.pack("<IQ", 0, 0)
h += b"\0" * ((32 - len(h) % 32) % 32)
with open(sys.argv[1], "wb") as f:
    f.write(h)
    f.truncate(len(h) + 4 * n)
PYEOF
	t0=$(date +%s%N)
	expect_status info-big 0 "$Q" info "$W/big.gguf"
	t1=$(date +%s%N)
	ms=$(( (t1 - t0) / 1000000 ))
	if [ "$ms" -lt 1500 ]; then ok; else bad "info on a 2 GiB file took ${ms} ms"; fi
	grep -qE '^  big +F32 +536870912 +536870912 +2147483648$' "$W/out" && ok || bad "info big line"
fi

# --- report -----------------------------------------------------------------------
expect_status report-json 0 "$Q" report $G/sharded/model.safetensors.index.json int8 --json
cp "$W/out" "$W/report.json"
expect_status quantize-one 0 "$Q" quantize $G/sharded/model.safetensors.index.json \
	--tensor model.layers.0.w --dtype int8 --json
cp "$W/out" "$W/quantize.json"
expect_status report-gguf-sort 0 "$Q" report $G/tiny_v3.gguf q8_0 --sort size --json
cp "$W/out" "$W/report_gguf.json"
if [ -n "$PY" ]; then
	$PY - "$W/report.json" "$W/quantize.json" "$W/report_gguf.json" <<'PYEOF' && ok || bad "report --json content"
import json, sys
r = json.load(open(sys.argv[1]))
q = json.load(open(sys.argv[2]))
assert set(r) >= {"scheme", "tensors", "total"}, r.keys()
assert r["scheme"] == "int8"
assert len(r["tensors"]) == 4
for t in r["tensors"]:
    assert set(t) >= {"name", "shape", "bits_per_weight", "rmse", "max_abs_err", "sqnr_db", "cosine"}, t
one = [t for t in r["tensors"] if t["name"] == "model.layers.0.w"][0]
for k in ("rmse", "max_abs_err", "sqnr_db", "cosine"):
    assert one[k] == q["metrics"][k], (k, one[k], q["metrics"][k])
assert one["bits_per_weight"] == q["bits_per_weight"]
tot = r["total"]
assert tot["bytes_before"] == 416 and tot["elements"] == 112, tot
# --sort size: most elements first; skipped tensors listed with reasons
g = json.load(open(sys.argv[3]))
sizes = [t["elements"] for t in g["tensors"]]
assert sizes == sorted(sizes, reverse=True), sizes
skipped = {s["name"]: s["reason"] for s in g["skipped"]}
assert "blk.0.attn_q.weight" in [t["name"] for t in g["tensors"]], g["tensors"]  # Q4_K decodes now
assert "positions" in skipped
PYEOF
fi
expect_status report-bad-scheme 2 "$Q" report $G/tiny_v3.gguf int4/g0
expect_status report-bad-sort 2 "$Q" report $G/tiny_v3.gguf --sort colour

# --- compare -----------------------------------------------------------------------
expect_status compare-json 0 "$Q" compare $G/tiny_v3.gguf -t blk.0.ffn_up.weight --json
cp "$W/out" "$W/compare.json"
expect_status quantize-q4 0 "$Q" quantize $G/tiny_v3.gguf -t blk.0.ffn_up.weight --dtype q4_0 --json
cp "$W/out" "$W/q4.json"
if [ -n "$PY" ]; then
	$PY - "$W/compare.json" "$W/q4.json" <<'PYEOF' && ok || bad "compare --json content"
import json, sys
c = json.load(open(sys.argv[1]))
q = json.load(open(sys.argv[2]))
assert set(c) >= {"tensor", "shape", "schemes"}, c.keys()
assert c["shape"] == [4, 64]
words = [s["scheme"] for s in c["schemes"]]
assert sorted(words) == sorted("int8,int8/ch0,int4/g128,int4/g32,nf4,q8_0,q4_0,q4_k,q6_k,fp8_e4m3,mxfp4".split(",")), words
# q4_k and q6_k need rows of 256: listed with the reason (rows of 64 here)
failed = [s for s in c["schemes"] if "error" in s]
assert [s["scheme"] for s in failed] == ["q4_k", "q6_k"], failed
c["schemes"] = [s for s in c["schemes"] if "error" not in s]
bpw = [s["bits_per_weight"] for s in c["schemes"]]
assert bpw == sorted(bpw), bpw
for s in c["schemes"]:
    assert set(s) >= {"scheme", "bits_per_weight", "bytes", "metrics"}, s
row = [s for s in c["schemes"] if s["scheme"] == "q4_0"][0]
assert row["metrics"] == q["metrics"], (row["metrics"], q["metrics"])
assert row["bytes"] == q["bytes"]
PYEOF
fi
expect_status compare-some-fail 0 "$Q" compare $G/tiny_v3.gguf -t blk.0.cube --schemes q4_0,int8
grep -q 'cannot' "$W/out" && ok || bad "compare: a scheme that does not fit says why"
expect_status compare-all-fail 1 "$Q" compare $G/tiny_v3.gguf -t blk.0.cube --schemes q4_0
[ -s "$W/out" ] && bad "compare that fails printed on stdout: $(cat "$W/out")" || ok
expect_status compare-all-fail-json 1 "$Q" compare $G/tiny_v3.gguf -t blk.0.cube --schemes q4_0,q8_0 --json
[ -s "$W/out" ] && bad "compare --json that fails printed on stdout: $(cat "$W/out")" || ok
expect_status compare-no-tensor 1 "$Q" compare $G/tiny_v3.gguf
expect_status compare-unknown 1 "$Q" compare $G/tiny_v3.gguf -t nope
expect_status compare-k-quant 0 "$Q" compare $G/tiny_v3.gguf -t blk.0.attn_q.weight
expect_status compare-iq2 1 "$Q" compare tests/golden/ggml_blocks/every_type.gguf -t blk.0.iq2_xxs
grep -q 'cannot decode IQ2_XXS' "$W/err" && ok || bad "compare IQ2_XXS: message"
expect_status compare-bad-list 2 "$Q" compare $G/tiny_v3.gguf -t blk.0.cube --schemes int8,,nf4
"$Q" compare --help | grep -q '/gN' && ok || bad "compare --help documents the LIST syntax"

# --- convert -------------------------------------------------------------------------
# GGUF Q4_0 decoded: the bytes of the .npy NumPy saved from the Python port
# of ggml's dequantize_row_q4_0.
expect_status convert-q4 0 "$Q" convert $G/tiny_v3.gguf -t blk.0.ffn_down.weight --to fp32 -o "$W/q4.npy"
cmp -s "$W/q4.npy" "$G/gguf_expect/blk.0.ffn_down.weight.npy" && ok || bad "convert Q4_0 -> fp32 bytes"
expect_status convert-f16 0 "$Q" convert $G/compressed.npz -t a --to fp16 -o "$W/a16.npy"
cmp -s "$W/a16.npy" "$G/convert_a_f16.npy" && ok || bad "convert fp16 bytes differ from NumPy's cast"
expect_status convert-bf16 0 "$Q" convert $G/stored.npz -t a --to bf16 -o "$W/a.safetensors" --json
tail -c 24 "$W/a.safetensors" >"$W/a.bf16"
cmp -s "$W/a.bf16" "$G/convert_a_bf16.bin" && ok || bad "convert bf16 bytes differ from PyTorch's cast"
grep -q '"to": "bf16"' "$W/out" && ok || bad "convert --json to"
expect_status convert-exists 1 "$Q" convert $G/compressed.npz -t a --to fp16 -o "$W/a16.npy"
expect_status convert-force 0 "$Q" convert $G/compressed.npz -t a --to fp16 -o "$W/a16.npy" --force
expect_status convert-npy-bf16 2 "$Q" convert $G/compressed.npz -t a --to bf16 -o "$W/x.npy"
expect_status convert-no-to 2 "$Q" convert $G/compressed.npz -t a -o "$W/x.npy"
expect_status convert-bad-to 2 "$Q" convert $G/compressed.npz -t a --to int3 -o "$W/x.npy"
# an int tensor named on the command line is taken, as quantize takes it (issue 15)
expect_status convert-int 0 "$Q" convert $G/tiny_v3.gguf -t positions --to fp16 -o "$W/p.npy"
cp $G/npz_expect/a.npy "$W/a.npy"
expect_status convert-over-input 1 "$Q" convert "$W/a.npy" --to fp16 -o "$W/a.npy" --force
cmp -s $G/npz_expect/a.npy "$W/a.npy" && ok || bad "convert replaced its own input"
# fp8_e4m3 overflow is NaN (e4m3fn has no inf): 500 and -1000 are past 448
printf '1 500 -1000 0.001\n' >"$W/big.txt"
expect_status convert-e4m3 0 "$Q" convert "$W/big.txt" --to fp8_e4m3 -o "$W/e4.safetensors" --json
grep -q '"overflow": 2' "$W/out" && ok || bad "convert e4m3: two values overflow to NaN"

echo "cli_readers: $passes passed, $fails failed"
[ $fails -eq 0 ]
