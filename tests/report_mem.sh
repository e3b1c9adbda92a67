#!/bin/sh
# report_mem.sh — `qlens report`'s peak memory stays within 1.25x its
# largest tensor for the schemes of README's memory table (issue 9): on a
# 96 MiB safetensors of four 24 MiB float32 tensors, peak RSS
# (/usr/bin/time's %M) minus the peak of `report` on a one-tensor file of
# 32 values (the process itself: libraries, and ASan's shadow and
# allocator under `make test`) must be <= 1.25 x 24 MiB. The tensor's
# mapped pages count (they are resident while it is quantized); the code
# and raw block arrays a block format used to keep (0.5x more) fail it.
# Needs /usr/bin/time and python3 with NumPy; says SKIP without them.
set -u
Q=${QLENS_BIN:-build/qlens}
PY=""
for p in /usr/bin/python3 python3; do
	command -v $p >/dev/null 2>&1 && $p -c 'import numpy' 2>/dev/null && { PY=$p; break; }
done
if [ ! -x /usr/bin/time ] || [ -z "$PY" ]; then
	echo "SKIP report_mem.sh: needs /usr/bin/time and python3 with numpy"
	exit 0
fi
W=$(mktemp -d /tmp/qlens-report-mem.XXXXXX)
trap 'rm -rf "$W"' EXIT
fails=0; passes=0
ROWS=2048 COLS=3072
$PY - "$W" $ROWS $COLS <<'PYEOF' || { echo "FAIL: could not write the test files"; exit 1; }
import json, struct, sys
import numpy as np
w, rows, cols = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def save(path, arrays):
    off, head = 0, {}
    for name, a in arrays:
        head[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [off, off + a.nbytes]}
        off += a.nbytes
    h = json.dumps(head).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h)
        for _, a in arrays:
            f.write(a.astype("<f4").tobytes())
rng = np.random.default_rng(9)
save(w + "/ckpt.safetensors",
     [(f"t{k}", rng.standard_normal((rows, cols), dtype=np.float32) * (k + 1)) for k in range(4)])
save(w + "/one.safetensors", [("t", np.arange(-16, 16, dtype=np.float32).reshape(1, 32) / 16)])
PYEOF
T=$((ROWS * COLS * 4 / 1024)) # KiB, as %M
peak() { # FILE SCHEME: peak RSS in KiB, or nothing if report failed
	/usr/bin/time -f %M -o "$W/rss" "$Q" report "$1" "$2" >"$W/out" 2>"$W/err" || return 1
	tail -n 1 "$W/rss"
}
base=$(peak "$W/one.safetensors" q8_0) || { echo "FAIL: report one.safetensors:"; cat "$W/err"; exit 1; }
for s in int8 int4/g32 q4_0 q8_0 nf4 mxfp4; do
	p=$(peak "$W/ckpt.safetensors" "$s") || { echo "FAIL: report ckpt $s:"; cat "$W/err"; fails=$((fails+1)); continue; }
	grep -q '4 tensors quantized, 0 skipped' "$W/out" || { echo "FAIL: $s: not every tensor quantized"; fails=$((fails+1)); }
	# (p - base) / T <= 1.25, in integers: 4 * (p - base) <= 5 * T
	ratio=$(awk -v p="$p" -v b="$base" -v t="$T" 'BEGIN { printf "%.3f", (p - b) / t }')
	if [ $((4 * (p - base))) -le $((5 * T)) ]; then
		passes=$((passes+1))
		echo "ok: report $s: peak $p KiB - $base KiB (the process) = ${ratio}x the largest tensor"
	else
		echo "FAIL: report $s: peak $p KiB - $base KiB (the process) = ${ratio}x the largest tensor (> 1.25x)"
		fails=$((fails+1))
	fi
done
echo "report_mem.sh: $passes passed, $fails failed"
[ "$fails" -eq 0 ]
