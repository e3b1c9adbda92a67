#!/bin/sh
# cli_progress.sh — `qlens quantize` on a terminal shows how far a slow
# quantization has come: the progress line gains the share of ql_quantize's
# jobs done ("quantizing x... 41%"), even for a tensor too small for the
# line's usual threshold (24 channels calibrated by entropy take seconds),
# and the line is cleared before the results are printed. With stderr not a
# terminal nothing of it appears. script(1) (util-linux, an essential
# Debian package) gives the terminal. Run by `make test` with QLENS_BIN set.
set -u
Q=${QLENS_BIN:-build/qlens}
W=$(mktemp -d /tmp/qlens-cli-progress.XXXXXX)
trap 'rm -rf "$W"' EXIT
fails=0; passes=0
ok() { passes=$((passes+1)); }
bad() { echo "FAIL: $*"; fails=$((fails+1)); }
PY=/usr/bin/python3
[ -x $PY ] || PY=python3

# 24 x 4096 normal values as .npy, by the standard library alone
$PY - "$W/x.npy" <<'PY'
import random, struct, sys
rows, cols = 24, 4096
r = random.Random(5)
hdr = "{'descr': '<f4', 'fortran_order': False, 'shape': (%d, %d), }" % (rows, cols)
hdr += " " * (63 - (10 + len(hdr)) % 64) + "\n"
with open(sys.argv[1], "wb") as f:
    f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(hdr)) + hdr.encode())
    f.write(struct.pack("<%df" % (rows * cols), *[r.gauss(0, 1) for _ in range(rows * cols)]))
PY

# on a terminal (stdout and stderr both go to script's log)
script -qec "$Q quantize $W/x.npy int8/ch0/entropy" "$W/log" >/dev/null 2>&1
st=$?
[ "$st" -eq 0 ] && ok || bad "quantize on a terminal: exit $st"
grep -aq 'qlens: quantizing x\.\.\. [0-9]*%' "$W/log" && ok ||
	bad "no percentage on the progress line: $(tr '\r\033' '|E' <"$W/log" | head -c 300)"
# after the last percentage the line is cleared (CR, ESC [K), and the
# results follow
$PY - "$W/log" <<'PY' && ok || bad "the progress line is not cleared before the results"
import re, sys
t = open(sys.argv[1], "rb").read()
ends = [m.end() for m in re.finditer(rb"quantizing x\.\.\. \d+%", t)]
if not ends:
    sys.exit(1)
rest = t[max(ends):]
clear = rest.find(b"\r\x1b[K")
res = rest.find(b"error histogram")
sys.exit(0 if 0 <= clear < res else 1)
PY

# stderr not a terminal: no progress at all, the same results
"$Q" quantize "$W/x.npy" int8/ch0/entropy >"$W/out" 2>"$W/err"
st=$?
[ "$st" -eq 0 ] && ok || bad "quantize: exit $st"
[ -s "$W/err" ] && bad "stderr not empty: $(head -c 200 "$W/err")" || ok
grep -q 'error histogram' "$W/out" && ok || bad "no results on stdout"

# --json of many scales (100,000 here; 64M values in q4_0 have 2M, 17 s of
# numbers) says it is writing, on the terminal, while stdout goes to a file,
# and clears the line after; with stdout the terminal too it says nothing
$PY - "$W/g.npy" <<'PY'
import struct, sys
rows, cols = 100, 32000
hdr = "{'descr': '<f4', 'fortran_order': False, 'shape': (%d, %d), }" % (rows, cols)
hdr += " " * (63 - (10 + len(hdr)) % 64) + "\n"
row = struct.pack("<%df" % cols, *[((i * 37) % 101) / 50.0 - 1 for i in range(cols)])
with open(sys.argv[1], "wb") as f:
    f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(hdr)) + hdr.encode())
    f.write(row * rows)
PY
script -qec "$Q quantize $W/g.npy int4/g32 --json >$W/g.json" "$W/jlog" >/dev/null 2>&1
st=$?
[ "$st" -eq 0 ] && ok || bad "quantize --json to a file: exit $st"
grep -aq 'qlens: writing the JSON of 100000 scales\.\.\.' "$W/jlog" && ok ||
	bad "no note while the JSON is written: $(tr '\r\033' '|E' <"$W/jlog" | head -c 300)"
$PY - "$W/jlog" "$W/g.json" <<'PY' && ok || bad "the JSON note is not cleared, or the JSON is broken"
import json, sys
t = open(sys.argv[1], "rb").read()
i = t.rfind(b"writing the JSON")
sys.exit(0 if i >= 0 and t.find(b"\r\x1b[K", i) > i and len(json.load(open(sys.argv[2]))["scale"]) == 100000 else 1)
PY
# the numbers' texts are made on several threads, written in order: the
# same bytes on 1, 2 and 3 threads (scales and each unit's [lo, hi])
"$Q" quantize "$W/g.npy" int4/g32/asym --json --threads 1 >"$W/t1.json" 2>/dev/null
"$Q" quantize "$W/g.npy" int4/g32/asym --json --threads 2 >"$W/t2.json" 2>/dev/null
"$Q" quantize "$W/g.npy" int4/g32/asym --json --threads 3 >"$W/t3.json" 2>/dev/null
cmp -s "$W/t1.json" "$W/t2.json" && cmp -s "$W/t1.json" "$W/t3.json" && [ -s "$W/t1.json" ] && ok ||
	bad "--json differs with the thread count"
script -qec "$Q quantize $W/g.npy int4/g32 --json" "$W/jlog2" >/dev/null 2>&1
grep -aq 'writing the JSON' "$W/jlog2" && bad "the note went to the terminal the JSON goes to" || ok

echo "cli_progress: $passes passed, $fails failed"
[ "$fails" -eq 0 ]
