#!/bin/sh
# bench_eval.sh — the speed targets of `qlens eval` and `qlens divergence`:
#   qlens eval digits int4/g32                 (target < 1 s)
#   qlens eval digits --schemes (10 schemes)   (target < 5 s)
#   qlens eval chars  --schemes (10 schemes)   (no target; for reference)
#   qlens divergence on 512 x 32000 float32 logits, with labels (target < 1 s)
# Each is run 5 times; the best and the median wall time are printed.
# The logits are random (NumPy, fixed seed), made once in $TMPDIR.
# Usage: scripts/bench_eval.sh [QLENS_BINARY]   (default build/qlens)
set -eu
Q=${1:-build/qlens}
T=${TMPDIR:-/tmp}/qlens-bench-eval
mkdir -p "$T"
if [ ! -f "$T/quant.npy" ]; then
	/usr/bin/python3 - "$T" <<'PY'
import sys, numpy as np
r = np.random.RandomState(0)
b = (r.randn(512, 32000) * 3).astype(np.float32)
np.save(sys.argv[1] + "/base.npy", b)
np.save(sys.argv[1] + "/quant.npy", (b + r.randn(512, 32000).astype(np.float32) * 0.2).astype(np.float32))
np.save(sys.argv[1] + "/labels.npy", r.randint(0, 32000, 512).astype(np.int32))
PY
fi
SWEEP=int8,int8/ch0,int4/g128,int4/g32,nf4,q8_0,q4_0,fp8_e4m3,mxfp4,int2/g32
bench() { # NAME CMD...
	name=$1; shift
	times=""
	for i in 1 2 3 4 5; do
		s=$(date +%s.%N); "$@" >/dev/null; e=$(date +%s.%N)
		times="$times $(awk -v a="$s" -v b="$e" 'BEGIN {print b - a}')"
	done
	echo "$times" | tr ' ' '\n' | grep . | sort -n | awk -v n="$name" \
		'{t[NR]=$1} END {printf "%-44s best %.3f s  median %.3f s\n", n, t[1], t[int((NR+1)/2)]}'
}
bench "eval digits int4/g32" "$Q" eval digits int4/g32
bench "eval digits, 10-scheme sweep" "$Q" eval digits --schemes "$SWEEP"
bench "eval chars int4/g32" "$Q" eval chars int4/g32
bench "eval chars, 10-scheme sweep" "$Q" eval chars --schemes "$SWEEP"
bench "eval digits int8/ch0 --act int8-static" "$Q" eval digits int8/ch0 --act int8-static
bench "divergence 512x32000 f32 (+ labels)" "$Q" divergence "$T/base.npy" "$T/quant.npy" --labels "$T/labels.npy"
