#!/bin/sh
# assets.sh — the sample tensors of assets/samples/ (what the quantization
# explorer opens): assets/README.md's table lists exactly the files present,
# each matches SHA256SUMS, opens with `qlens info` (F32, the shape the table
# gives) and `qlens quantize`; the README's lesson table, outlier-channel
# table and hand-readable codes are the golden rows of tests/golden/assets
# (PyTorch/NumPy, made by gen_assets.py) and qlens's figures equal them; with
# Python and NumPy present, make_samples.py --check redraws the same numbers
# and the channel table is recomputed. Run by `make test`.
set -u
Q=${QLENS_BIN:-build/qlens}
A=assets
S=$A/samples
G=tests/golden/assets
R=$A/README.md
W=$(mktemp -d /tmp/qlens-assets.XXXXXX)
trap 'rm -rf "$W"' EXIT
fails=0; passes=0
ok() { passes=$((passes+1)); }
bad() { echo "FAIL: $*"; fails=$((fails+1)); }

# --- the README lists exactly the files present -------------------------------
# Table rows: | `samples/NAME` | SHAPE | lesson | source | licence | script |
grep '^| `samples/' "$R" | awk -F'|' '{ f=$2; gsub(/[ `]/, "", f); sub(/^samples\//, "", f);
	s=$3; gsub(/ /, "", s); print f, s }' | sort >"$W/listed"
(cd "$S" && ls -A) | sort >"$W/present"
cut -d' ' -f1 "$W/listed" >"$W/listed_names"
if [ -s "$W/present" ] && cmp -s "$W/listed_names" "$W/present"; then ok
else bad "README table and assets/samples differ (< listed, > present):"; diff "$W/listed_names" "$W/present"; fi
n=$(wc -l <"$W/present")
[ "$n" -ge 8 ] && ok || bad "only $n samples"
# Two real ones at least, and every synthetic kind the issue asks for.
for want in gnubg_ faceapi_ synth_gaussian synth_laplace synth_uniform synth_bimodal synth_outliers hand12; do
	grep -q "^$want" "$W/present" && ok || bad "no sample named $want*"
done
# Each real sample's script is in the repository.
for s in $(grep '^| `samples/' "$R" | grep -o 'scripts/[a-z_]*\.py' | sort -u); do
	[ -f "$s" ] && ok || bad "README names $s, which does not exist"
done
# Small: a few MB in all at most.
kb=$(du -sk "$S" | cut -f1)
[ "$kb" -le 4096 ] && ok || bad "assets/samples is $kb KiB"

# --- checksums ----------------------------------------------------------------
if command -v sha256sum >/dev/null 2>&1; then
	cut -c67- "$A/SHA256SUMS" | sed 's|^samples/||' | sort >"$W/summed"
	cmp -s "$W/summed" "$W/present" && ok || bad "SHA256SUMS does not list exactly the files present"
	(cd "$A" && sha256sum -c --quiet SHA256SUMS) >"$W/sum" 2>&1 && ok || { bad "checksums:"; cat "$W/sum"; }
fi

# --- every sample opens -------------------------------------------------------
while read -r f shape; do
	if "$Q" info "$S/$f" >"$W/out" 2>"$W/err"; then ok; else bad "info $f: exit $?"; cat "$W/err"; continue; fi
	t=${f%.npy}
	grep -qE "^  $t +F32 +$shape +" "$W/out" && ok || { bad "info $f: no 'F32 $shape' line:"; cat "$W/out"; }
	for scheme in "" "--dtype int4 --group 32" "--dtype uint8 --asym --calib percentile:99.9" "--dtype nf4"; do
		# shellcheck disable=SC2086
		if "$Q" quantize "$S/$f" $scheme >"$W/out" 2>"$W/err"; then ok
		else bad "quantize $f $scheme: exit $?"; cat "$W/err"; fi
	done
done <"$W/listed"

# --- the lesson table: qlens = PyTorch = README -------------------------------
sqnr() { # FILE ARGS... -> the sqnr figure of `qlens quantize`
	f=$1; shift
	"$Q" quantize "$f" "$@" 2>/dev/null | awk '$1 == "sqnr" { print $2 }'
}
close() { # A B: |A - B| <= 0.0006 (qlens prints 4 decimals)
	awk -v a="$1" -v b="$2" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(a != "" && d <= 0.0006) }'
}
while read -r f a b c d e; do
	set -- "$a" "" "$b" "--axis 0" "$c" "--axis 1" "$d" "--dtype int4" "$e" "--dtype int4 --group 32"
	while [ $# -gt 0 ]; do
		want=$1; scheme=$2; shift 2
		# shellcheck disable=SC2086
		got=$(sqnr "$S/$f" $scheme)
		close "$got" "$want" && ok || bad "$f $scheme: qlens SQNR $got dB, PyTorch $want dB"
	done
done <"$G/lessons_precise.txt"
for g in lessons channels hand12_int4; do
	missing=0
	while IFS= read -r line; do
		grep -qxF "$line" "$R" || { missing=1; bad "README lacks the golden row: $line"; }
	done <"$G/$g.txt"
	[ $missing -eq 0 ] && ok
done

# --- the hand-readable vector, code by code -----------------------------------
# Dequantized values (the last 48 bytes of the .npy qlens writes) equal
# PyTorch's bit for bit: for int4 the scale is 0.5, so they are code / 2.
for t in int4 int8; do
	if "$Q" quantize "$S/hand12.npy" --dtype $t -o "$W/h_$t.npy" >"$W/out" 2>"$W/err"; then ok
	else bad "hand12 $t -o: exit $?"; cat "$W/err"; continue; fi
	tail -c 48 "$W/h_$t.npy" >"$W/h_$t.f32"
	cmp -s "$W/h_$t.f32" "$G/hand12_$t.f32" && ok || bad "hand12 $t: dequantized values differ from PyTorch's"
done
"$Q" quantize "$S/hand12.npy" --dtype int4 >"$W/out" 2>&1
for line in 'scale        0.5' 'max |error|  0.25' 'mean |error| 0.1375' 'mse          0.029375' 'clipped      0 of 12 (0%)'; do
	grep -qxF "$line" "$W/out" && ok || bad "hand12 int4: no '$line' in: $(cat "$W/out")"
done

# --- regeneration and the channel table (Python with NumPy only) --------------
PY=""
for p in /usr/bin/python3 python3; do
	command -v $p >/dev/null 2>&1 && $p -c 'import numpy' 2>/dev/null && { PY=$p; break; }
done
if [ -n "$PY" ]; then
	$PY scripts/make_samples.py --check --out "$S" >"$W/out" 2>&1 && ok || { bad "make_samples.py --check:"; cat "$W/out"; }
	$PY - "$S" "$G/channels.txt" <<'PYEOF' && ok || bad "channels.txt does not match the samples"
import sys, numpy as np
for line in open(sys.argv[2]):
    c = [x.strip() for x in line.strip().strip("|").split("|")]
    x = np.load(f"{sys.argv[1]}/{c[0]}")
    axis = int(c[1])
    m = np.abs(x).max(axis=1 - axis)
    got = [c[0], str(axis), str(len(m)), f"{np.median(m):.4g}", f"{m.max():.4g}", str(int(m.argmax())),
           f"{m.max() / np.median(m):.1f}"]
    assert got == c, (got, c)
PYEOF
	# The extraction scripts, where their sources happen to be installed.
	if [ -f /usr/lib/gnubg/gnubg.wd ]; then
		$PY scripts/extract_samples_gnubg.py --check --out "$S" >"$W/out" 2>&1 && ok || { bad "extract_samples_gnubg.py --check:"; cat "$W/out"; }
	fi
else
	echo "assets.sh: no Python with NumPy; regeneration checks skipped"
fi

echo "assets.sh: $passes passed, $fails failed"
[ $fails -eq 0 ]
