#!/bin/sh
# cli_blocks.sh — the block formats of ggml_blocks.h through the program:
# info lists every type of tests/golden/ggml_blocks/every_type.gguf and says
# which it cannot decode; convert --to fp32 of each block tensor gives the
# values of the independent NumPy port (every_type/NAME.f32); quantize
# --dtype NAME -o writes ggml's own bytes (blocks/NAME_weights.q) for the
# weight-like input; dtypes --blocks is derived from the table.
set -u
Q=${QLENS_BIN:-build/qlens}
B=tests/golden/ggml_blocks
W=$(mktemp -d /tmp/qlens-cli-blocks.XXXXXX)
trap 'rm -rf "$W"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
PY=""
for p in /usr/bin/python3 python3; do
	command -v $p >/dev/null 2>&1 && $p -c 'import numpy' 2>/dev/null && { PY=$p; break; }
done

# --- info -------------------------------------------------------------------------
"$Q" info $B/every_type.gguf >"$W/out" 2>"$W/err" && ok || bad "info every_type"
grep -qE '^  blk\.0\.q4_k +Q4_K +2x256 +512 +288$' "$W/out" && ok || bad "info: Q4_K line"
grep -qE '^  blk\.0\.nvfp4 +NVFP4 +2x256 +512 +288$' "$W/out" && ok || bad "info: NVFP4 line"
grep -qE '^  blk\.0\.iq2_xxs +IQ2_XXS +2x256 +512 +132  \(listed only\)$' "$W/out" && ok || bad "info: IQ2_XXS listed only"
grep -q '^decodable 23 of 24 tensors' "$W/out" && ok || bad "info: decodable count"

# --- convert each block tensor to fp32 ------------------------------------------
for t in q4_1 q5_0 q5_1 q2_k q3_k q4_k q5_k q6_k q8_k iq4_nl iq4_xs tq1_0 tq2_0 mxfp4_ggml nvfp4; do
	if "$Q" convert $B/every_type.gguf -t blk.0.$t --to fp32 -o "$W/$t.npy" >"$W/out" 2>"$W/err"; then
		ok
	else
		bad "convert $t: $(cat "$W/err")"
		continue
	fi
	if [ -n "$PY" ]; then
		$PY - "$W/$t.npy" "$B/every_type/blk.0.$t.f32" <<'PYEOF' && ok || bad "convert $t: values"
import sys
import numpy as np
a = np.load(sys.argv[1]).astype("<f4").ravel()
b = np.fromfile(sys.argv[2], dtype="<f4")
assert a.shape == b.shape and (a.view(np.uint32) == b.view(np.uint32)).all()
PYEOF
	fi
done
# bad blocks (NaN/inf scales) convert without a crash
"$Q" convert $B/every_type.gguf -t bad.q4_k_nan_d --to fp32 -o "$W/bad.npy" >"$W/out" 2>"$W/err" && ok || bad "convert NaN-scale block"
# IQ2_XXS: one clear line, non-zero exit
if "$Q" convert $B/every_type.gguf -t blk.0.iq2_xxs --to fp32 -o "$W/x.npy" >"$W/out" 2>"$W/err"; then
	bad "convert IQ2_XXS should fail"
else
	[ "$(wc -l <"$W/err")" -eq 1 ] && grep -q '^qlens.*cannot decode IQ2_XXS' "$W/err" && ok || bad "convert IQ2_XXS message: $(cat "$W/err")"
fi

# --- quantize --dtype NAME -o: ggml's bytes ----------------------------------------
for t in q4_k q6_k iq4_xs tq1_0 mxfp4_ggml nvfp4; do
	"$Q" quantize $B/blocks/weights.in.f32 --raw F32 --shape 2x256 --dtype $t -o "$W/$t.safetensors" >"$W/out" 2>"$W/err" && ok || { bad "quantize $t: $(cat "$W/err")"; continue; }
	if [ -n "$PY" ]; then
		$PY - "$W/$t.safetensors" "$B/blocks/${t}_weights.q" <<'PYEOF' && ok || bad "quantize $t: blocks differ from ggml's"
import json, struct, sys
raw = open(sys.argv[1], "rb").read()
n = struct.unpack("<Q", raw[:8])[0]
head = json.loads(raw[8:8 + n])
name = [k for k in head if k.endswith(".blocks")][0]
a, b = head[name]["data_offsets"]
got = raw[8 + n + a:8 + n + b]
assert got == open(sys.argv[2], "rb").read()
PYEOF
	fi
done

# --- dtypes --blocks ----------------------------------------------------------------
"$Q" dtypes --blocks >"$W/out" 2>"$W/err" && ok || bad "dtypes --blocks"
grep -q '^q4_k  (Q4_K, GGUF type 12)  256 values in 144 bytes: 4.5 bits per weight$' "$W/out" && ok || bad "dtypes --blocks: q4_k line"
grep -q '^tq1_0  (TQ1_0, GGUF type 34)  256 values in 54 bytes: 1.6875 bits per weight$' "$W/out" && ok || bad "dtypes --blocks: tq1_0 line"
grep -q "^mxfp4_ggml is ggml's MXFP4" "$W/out" && ok || bad "dtypes --blocks: which MXFP4 is which"
if [ -n "$PY" ]; then
	"$Q" dtypes --blocks --json >"$W/j" && ok || bad "dtypes --blocks --json"
	$PY - "$W/j" <<'PYEOF' && ok || bad "dtypes --blocks --json content"
import json, sys
d = json.load(open(sys.argv[1]))
want = {"q4_k": 4.5, "q6_k": 6.5625, "tq1_0": 1.6875, "q2_k": 2.625, "iq4_xs": 4.25, "nvfp4": 4.5}
for k, v in want.items():
    assert d[k]["bits_per_weight"] == v, (k, d[k])
for k, f in d.items():
    assert sum(x["bytes"] for x in f["fields"]) == f["bytes"], k
    assert f["bits_per_weight"] == f["bytes"] * 8 / f["block"], k
assert [x["name"] for x in d["q4_k"]["fields"]] == ["d", "dmin", "scales", "qs"]
PYEOF
fi
"$Q" dtypes --blocks --types q9_9 >"$W/out" 2>"$W/err"
[ $? -eq 2 ] && grep -q "unknown block format 'q9_9'" "$W/err" && ok || bad "dtypes --blocks: unknown format"

# --- --scale-dtype (affine schemes): 4.5 bits per weight, scales written as F16 --
"$Q" quantize assets/samples/synth_gaussian.npy --dtype int4 --group 32 --scale-dtype fp16 -o "$W/s16.safetensors" >"$W/out" 2>"$W/err" && ok || bad "quantize --scale-dtype fp16: $(cat "$W/err")"
grep -q '^storage      4.5 bits per weight' "$W/out" && ok || bad "--scale-dtype fp16: 4.5 bits per weight"
"$Q" info "$W/s16.safetensors" >"$W/out" 2>"$W/err" && ok || bad "info of the fp16-scale output"
grep -qE '^  synth_gaussian\.scale +F16 +128x8 ' "$W/out" && ok || bad "-o writes the scales as F16"
"$Q" quantize assets/samples/synth_gaussian.npy --dtype q4_0 --scale-dtype fp16 >"$W/out" 2>"$W/err"
[ $? -ne 0 ] && [ "$(wc -l <"$W/err")" -eq 1 ] && grep -q 'affine integer' "$W/err" && ok || bad "--scale-dtype on q4_0 refused"

echo "cli_blocks: $pass passed, $fail failed"
[ $fail -eq 0 ]
