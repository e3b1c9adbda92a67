#!/usr/bin/python3
"""report_mem.py — README's `qlens report` memory table: peak RSS, its
anonymous and file-mapped parts, minor faults, CPU and wall time of
`qlens report FILE SCHEME` for each scheme, one or more builds run
alternately (best-of-REPS CPU time; peaks are the same every run).

    report_mem.py FILE LARGEST_BYTES REPS SCHEMES QLENS [QLENS_OLD ...]

SCHEMES is comma-separated. Peak RSS and minor faults come from wait4()'s
rusage (what /usr/bin/time -v prints); RssAnon/RssFile are sampled from
/proc/PID/status every millisecond, so their peaks are lower bounds (a
peak shorter than a sample can be missed). Make FILE with make_ckpt.py.
"""
import os
import subprocess
import sys
import time


def run(cmd):
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    anon = file_ = 0
    path = f"/proc/{p.pid}/status"
    while True:
        try:
            with open(path) as f:
                for line in f:
                    if line.startswith("RssAnon:"):
                        anon = max(anon, int(line.split()[1]))
                    elif line.startswith("RssFile:"):
                        file_ = max(file_, int(line.split()[1]))
        except OSError:
            pass
        pid, status, ru = os.wait4(p.pid, os.WNOHANG)
        if pid:
            break
        time.sleep(0.001)
    wall = time.perf_counter() - t0
    err = p.stderr.read().decode()
    if status:
        sys.exit(f"{cmd}: exit {status}: {err}")
    return {"rss": ru.ru_maxrss, "anon": anon, "file": file_, "minflt": ru.ru_minflt,
            "cpu": ru.ru_utime + ru.ru_stime, "wall": wall}


def main():
    path, largest, reps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    schemes, builds = sys.argv[4].split(","), sys.argv[5:]
    with open("/proc/loadavg") as f:
        print("load average before:", f.read().split()[:3])
    print(f"{'build':<28} {'scheme':<10} {'peak RSS MB':>11} {'x largest':>9} {'anon MB':>8} "
          f"{'file MB':>8} {'minflt':>7} {'cpu s':>6} {'wall s':>6}")
    for s in schemes:
        best = {b: None for b in builds}
        for _ in range(reps):
            for b in builds:
                r = run([b, "report", path, s])
                if best[b] is None or r["cpu"] < best[b]["cpu"]:
                    best[b] = r
        for b in builds:
            r = best[b]
            print(f"{b[-28:]:<28} {s:<10} {r['rss'] / 1024:11.1f} {r['rss'] * 1024 / largest:9.3f} "
                  f"{r['anon'] / 1024:8.1f} {r['file'] / 1024:8.1f} {r['minflt']:7d} "
                  f"{r['cpu']:6.2f} {r['wall']:6.2f}", flush=True)
    with open("/proc/loadavg") as f:
        print("load average after:", f.read().split()[:3])


if __name__ == "__main__":
    main()
