#!/usr/bin/env python3
"""robust.py -- `make test-robust`: mutated files of every format through the
sanitized program.

Takes the valid and malformed files qlens already keeps (tests/golden/files,
tests/golden/readers, tests/corpus), makes COUNT mutated copies spread evenly
over the formats (.npy .npz .safetensors .gguf .txt/.csv, raw bytes with
--raw), and runs each through `qlens info` and one of `report`, `quantize`,
`compare` and `convert` in turn, under AddressSanitizer and UBSan. Mutations
(fixed seed, so a run can be repeated): bit flips and byte sets (half of them
in the first 256 bytes, where the headers are), "interesting" integers
(0, -1, 2^31, 2^63...) written over 1, 2, 4 or 8 bytes, truncation, inserted,
deleted and duplicated chunks, and splices of two files of the same format.

A run fails when it crashes, hangs (10 s), prints a sanitizer report, exits
with a status other than 0 or 1, says more or less than one line starting
"qlens" when it fails, or lets a raw control character reach the terminal.
Failing inputs are kept in OUT/fail-*, with the command in OUT/failures.txt.

    python3 tests/robust/robust.py --bin build/asan/qlens [--count 10000]
        [--seed 15] [--jobs 2] [--out build/robust]
"""
import argparse
import concurrent.futures as cf
import os
import random
import shutil
import struct
import subprocess
import sys
import tempfile
import time

FORMATS = {
    ".npy": "npy", ".npz": "npz", ".safetensors": "safetensors", ".gguf": "gguf",
    ".txt": "text", ".csv": "text", ".json": "shards",
}
INTERESTING = [0, 1, 0x7F, 0x80, 0xFF, 0x7FFF, 0x8000, 0xFFFF, 0x7FFFFFFF, 0x80000000,
               0xFFFFFFFF, 0x7FFFFFFFFFFFFFFF, 0x8000000000000000, 0xFFFFFFFFFFFFFFFF]


def seeds(root):
    by_fmt = {}
    for top in ("tests/golden/files", "tests/golden/readers", "tests/corpus"):
        for d, _, files in os.walk(os.path.join(root, top)):
            for f in files:
                p = os.path.join(d, f)
                ext = os.path.splitext(f)[1]
                if f.endswith(".index.json"):
                    ext = ".json"
                if ext not in FORMATS or os.path.getsize(p) > (1 << 20):
                    continue
                by_fmt.setdefault(FORMATS[ext], []).append(p)
    # raw: any small file, read with --raw
    by_fmt["raw"] = [p for ps in by_fmt.values() for p in ps][:50]
    return by_fmt


def mutate(rng, data, other):
    b = bytearray(data)
    for _ in range(rng.choice((1, 1, 2, 3, 4, 8))):
        op = rng.randrange(9)
        n = len(b)
        if n == 0:
            b += bytes(rng.randrange(256) for _ in range(rng.randrange(1, 64)))
            continue
        pos = rng.randrange(min(n, 256)) if rng.random() < 0.5 else rng.randrange(n)
        if op == 0:
            b[pos] ^= 1 << rng.randrange(8)
        elif op == 1:
            b[pos] = rng.choice((0, 0xFF, 0x7F, 0x80, rng.randrange(256)))
        elif op == 2:
            w = rng.choice((1, 2, 4, 8))
            v = rng.choice(INTERESTING) & ((1 << (8 * w)) - 1)
            raw = v.to_bytes(w, rng.choice(("little", "big")))
            b[pos:pos + w] = raw
        elif op == 3:
            del b[rng.randrange(n):]
        elif op == 4:
            k = rng.randrange(1, 64)
            b[pos:pos] = bytes(rng.randrange(256) for _ in range(k))
        elif op == 5:
            del b[pos:pos + rng.randrange(1, 64)]
        elif op == 6:
            k = rng.randrange(1, 128)
            b[pos:pos] = b[pos:pos + k]
        elif op == 7 and other:
            cut = rng.randrange(len(other))
            b = b[:pos] + bytearray(other[cut:cut + rng.randrange(1, 512)]) + b[pos:]
        else:
            b[pos] = rng.choice(b'\n\r\t\x1b"\\{}[],:0123456789.-e')
    return bytes(b)


def commands(path, fmt, k, work):
    extra = ["--raw", ["F32", "F16", "BF16", "I8", "Q4_0", "Q8_0"][k % 6]] if fmt == "raw" else []
    second = [
        ["report", path] + extra,
        ["quantize", path] + extra + ["--dtype", ["int8", "int4", "nf4", "q4_0", "mxfp4"][k % 5]],
        ["compare", path] + extra,
        ["convert", path, "--to", "fp16", "-o", os.path.join(work, f"c{k}.safetensors"), "--force"] + extra,
    ][k % 4]
    return [["info", path] + extra, second]


def check(bin_, args, env):
    t0 = time.monotonic()
    try:
        p = subprocess.run([bin_] + args, stdin=subprocess.DEVNULL, capture_output=True,
                           timeout=10, env=env)
    except subprocess.TimeoutExpired:
        return "hang (10 s)", 10.0
    except OSError as e:
        return f"could not run: {e}", 0.0
    dt = time.monotonic() - t0
    err = p.stderr
    if b"Sanitizer" in err or b"runtime error" in err:
        return "sanitizer: " + err.decode("utf-8", "replace")[:600], dt
    if p.returncode not in (0, 1):
        return f"exit status {p.returncode}: " + err.decode("utf-8", "replace")[:300], dt
    if p.returncode == 1 and (err.count(b"\n") != 1 or not err.startswith(b"qlens")):
        return "not one 'qlens' line: " + repr(err[:300]), dt
    for stream in (p.stdout, err):
        if any(c < 0x20 and c != 0x0A or c == 0x7F for c in stream):
            return "a raw control character on the terminal", dt
    return None, dt


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--count", type=int, default=10000)
    ap.add_argument("--seed", type=int, default=15)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--out", default="build/robust")
    ap.add_argument("--root", default=".")
    a = ap.parse_args()
    rng = random.Random(a.seed)
    by_fmt = seeds(a.root)
    fmts = sorted(by_fmt)
    os.makedirs(a.out, exist_ok=True)
    work = tempfile.mkdtemp(prefix="qlens-robust-")
    # a private copy: a rebuild meanwhile must not change the program under test
    binary = os.path.join(work, "qlens")
    shutil.copy2(a.bin, binary)
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=1:abort_on_error=0",
               UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1")
    jobs = []
    for k in range(a.count):
        fmt = fmts[k % len(fmts)]
        src = rng.choice(by_fmt[fmt])
        other = open(rng.choice(by_fmt[fmt]), "rb").read()
        data = mutate(rng, open(src, "rb").read(), other)
        name = os.path.basename(src)
        if fmt == "shards":
            # an index beside the shards it names: mutate the index in a copy of its folder
            d = os.path.join(work, f"s{k}")
            shutil.copytree(os.path.dirname(src), d)
            path = os.path.join(d, name)
        else:
            ext = os.path.splitext(name)[1] if fmt != "raw" else ".bin"
            path = os.path.join(work, f"m{k}{ext}")
        with open(path, "wb") as f:
            f.write(data)
        jobs.append((k, fmt, path, commands(path, fmt, k, work)))

    t0 = time.monotonic()
    runs = 0
    fails = []
    per_fmt = {}
    with cf.ThreadPoolExecutor(a.jobs) as ex:
        futs = {ex.submit(lambda cs: [check(binary, c, env) for c in cs], cmds): (k, fmt, path, cmds)
                for k, fmt, path, cmds in jobs}
        for done, fu in enumerate(cf.as_completed(futs), 1):
            k, fmt, path, cmds = futs[fu]
            per_fmt[fmt] = per_fmt.get(fmt, 0) + 1
            if done % 1000 == 0:
                print(f"robust: {done} files, {len(fails)} failures, {time.monotonic() - t0:.0f} s",
                      flush=True)
            for c, (why, _) in zip(cmds, fu.result()):
                runs += 1
                if why:
                    keep = os.path.join(a.out, f"fail-{k}{os.path.splitext(path)[1]}")
                    shutil.copy(path, keep)
                    fails.append(f"{keep}: qlens {' '.join(c)}: {why}")
    shutil.rmtree(work, ignore_errors=True)
    dt = time.monotonic() - t0
    with open(os.path.join(a.out, "failures.txt"), "w") as f:
        f.write("\n".join(fails) + ("\n" if fails else ""))
    print("robust: files per format: " + ", ".join(f"{f} {per_fmt[f]}" for f in sorted(per_fmt)))
    print(f"robust: {a.count} mutated files, {runs} runs under ASan+UBSan in {dt:.0f} s "
          f"(seed {a.seed}): {len(fails)} failures")
    for line in fails[:20]:
        print("FAIL: " + line)
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
