#!/bin/bash
# bench_scaling.sh — `qlens quantize` end to end (the whole process: read
# the .npy, quantize with metrics and the error histogram in one pass,
# print) at 1M, 4M, 16M and 64M float32 elements (256M with
# QLENS_SCALING_MAX=256), with --threads 1 and --threads 2.
# Prints per size the best of 3 wall times, the speed-up of 2 threads over
# one, and ns per element (linear in size: this column stays flat).
# Also user+sys CPU seconds of both runs (of the best wall time), which the
# machine's load does not inflate the way it inflates wall time: on a busy
# machine compare those (equal CPU seconds = no cost for the second thread).
# The tensors are random (NumPy, fixed seed), made once in $TMPDIR and
# removed at the end.
# Usage: scripts/bench_scaling.sh [QLENS_BINARY] [SCHEME ARGS...]
#        (default build/qlens --dtype int8 --axis 0)
set -eu
TIMEFORMAT='%R %U %S'
Q=${1:-build/qlens}
[ $# -gt 0 ] && shift
[ $# -gt 0 ] || set -- --dtype int8 --axis 0
MAX=${QLENS_SCALING_MAX:-64}
T=$(mktemp -d "${TMPDIR:-/tmp}/qlens-scaling.XXXXXX")
trap 'rm -rf "$T"' EXIT INT TERM HUP
sizes=""
for m in 1 4 16 64 256; do
	[ "$m" -le "$MAX" ] && sizes="$sizes $m"
done
/usr/bin/python3 - "$T" $sizes <<'PY'
import sys, numpy as np
d = sys.argv[1]
for m in map(int, sys.argv[2:]):
    rows = m * 256  # x 4096 columns
    a = np.lib.format.open_memmap("%s/x%d.npy" % (d, m), mode="w+", dtype=np.float32,
                                  shape=(rows, 4096))
    r = np.random.default_rng(m)
    for i in range(0, rows, 4096):
        k = min(4096, rows - i)
        a[i:i + k] = r.standard_normal((k, 4096), dtype=np.float32)
    a.flush()
    del a
PY
# best of 3: "wall cpu" (seconds)
best() {
	b=""
	for i in 1 2 3; do
		{ time "$Q" quantize "$@" >/dev/null; } 2>"$T/time"
		r=$(awk '{printf "%.3f %.3f", $1, $2 + $3}' "$T/time")
		if [ -z "$b" ] || awk -v a="$r" -v b="$b" 'BEGIN {split(a, x, " "); split(b, y, " "); exit !(x[1] < y[1])}'; then
			b=$r
		fi
	done
	echo "$b"
}
printf "qlens quantize %s, load average %s\n" "$*" "$(cut -d' ' -f1-3 /proc/loadavg)"
printf "%10s %10s %10s %8s %12s %10s %10s\n" "elements" "1 thr s" "2 thr s" "speedup" "ns/elem (2)" \
	"cpu s (1)" "cpu s (2)"
for m in $sizes; do
	f="$T/x$m.npy"
	cat "$f" >/dev/null # in the page cache for every run
	t1=$(best "$f" "$@" --threads 1)
	t2=$(best "$f" "$@" --threads 2)
	awk -v m="$m" -v a="$t1" -v b="$t2" 'BEGIN {
		split(a, x, " "); split(b, y, " "); n = m * 1048576
		printf "%9dM %10.3f %10.3f %7.2fx %12.2f %10.3f %10.3f\n", m, x[1], y[1], x[1] / y[1],
		       y[1] / n * 1e9, x[2], y[2] }'
done
