#!/bin/sh
# whole.sh — the whole-process table of README's Speed section: qlens
# quantize on a 4096x4096 float32 .npy (int8 per channel, q4_0, nf4) beside
# PyTorch (int8 per channel) and a vectorised NumPy Q4_0, run alternately
# REPS times in the same session; prints each command's median wall time.
#   tests/bench/whole.sh [REPS]       (needs /usr/bin/python3 with numpy, torch)
# Makes /tmp/qlens-whole-4096.npy (64 MB) and removes nothing else.
set -eu
REPS=${1:-5}
here=$(cd "$(dirname "$0")" && pwd)
qlens=${QLENS:-$here/../../build/qlens}
npy=/tmp/qlens-whole-4096.npy
[ -f "$npy" ] || /usr/bin/python3 -c "
import numpy as np
np.save('$npy', (np.random.default_rng(0).standard_normal((4096, 4096)) * 0.02).astype(np.float32))"
/usr/bin/python3 - "$REPS" "$qlens" "$npy" "$here" <<'PY'
import subprocess, sys, time, statistics
reps, qlens, npy, here = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
cmds = [("qlens quantize int8 --axis 0", [qlens, "quantize", npy, "--dtype", "int8", "--axis", "0"]),
        ("qlens quantize int8 --axis 0 --threads 1", [qlens, "quantize", npy, "--dtype", "int8", "--axis", "0", "--threads", "1"]),
        ("PyTorch int8 per channel", ["/usr/bin/python3", here + "/ref_torch_int8.py", npy]),
        ("qlens quantize q4_0", [qlens, "quantize", npy, "--dtype", "q4_0"]),
        ("NumPy Q4_0 (vectorised)", ["/usr/bin/python3", here + "/ref_numpy_q4_0.py", npy]),
        ("qlens quantize nf4", [qlens, "quantize", npy, "--dtype", "nf4"])]
t = {n: [] for n, _ in cmds}
for _ in range(reps):
    for n, c in cmds:
        t0 = time.perf_counter()
        subprocess.run(c, stdout=subprocess.DEVNULL, check=True)
        t[n].append(time.perf_counter() - t0)
with open("/proc/loadavg") as f:
    print("load average", f.read().split()[0])
for n, _ in cmds:
    print(f"{statistics.median(t[n]) * 1e3:8.0f} ms  {n}")
PY
