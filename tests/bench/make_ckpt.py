#!/usr/bin/python3
"""make_ckpt.py — a checkpoint of N float32 tensors for measuring `qlens
report`'s peak memory (README's Speed section; tests/report_mem.sh).

    make_ckpt.py OUTBASE [N] [ROWS] [COLS]

writes OUTBASE.safetensors, OUTBASE.npz (stored members, as np.savez
writes them) and OUTBASE.gguf (v3, F32 tensors), each holding N tensors
"layer.K.weight" of ROWS x COLS float32 (default 10 x 6400 x 4096 =
100 MiB each, 1 GiB in all). The values are normal with a per-tensor
scale and a few outliers, so every scheme has work to do. Written a
tensor at a time: the script's own memory stays about one tensor.
"""
import json
import struct
import sys
import zipfile

import numpy as np


def tensors(n, rows, cols):
    rng = np.random.default_rng(20261130)
    for k in range(n):
        a = rng.standard_normal((rows, cols), dtype=np.float32)
        a *= np.float32(0.02 * (1 + k))
        idx = rng.integers(0, a.size, 64)
        a.reshape(-1)[idx] *= np.float32(40)  # outliers
        yield f"layer.{k}.weight", a


def write_safetensors(path, n, rows, cols):
    nbytes = rows * cols * 4
    header = {f"layer.{k}.weight": {"dtype": "F32", "shape": [rows, cols],
                                    "data_offsets": [k * nbytes, (k + 1) * nbytes]}
              for k in range(n)}
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h)
        for _, a in tensors(n, rows, cols):
            f.write(a.astype("<f4").tobytes())


def write_npz(path, n, rows, cols):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED, allowZip64=True) as z:
        for name, a in tensors(n, rows, cols):
            with z.open(name + ".npy", "w", force_zip64=True) as f:
                np.lib.format.write_array(f, a)


def gstr(s):
    b = s.encode()
    return struct.pack("<Q", len(b)) + b


def write_gguf(path, n, rows, cols, align=32):
    nbytes = rows * cols * 4
    out = b"GGUF" + struct.pack("<IQQ", 3, n, 1)
    out += gstr("general.alignment") + struct.pack("<II", 4, align)  # UINT32
    for k in range(n):
        # dimensions fastest first; type 0 = F32; offset from data start
        out += gstr(f"layer.{k}.weight") + struct.pack("<I", 2)
        out += struct.pack("<QQ", cols, rows) + struct.pack("<IQ", 0, k * nbytes)
    out += b"\0" * (-len(out) % align)
    with open(path, "wb") as f:
        f.write(out)
        for _, a in tensors(n, rows, cols):
            f.write(a.astype("<f4").tobytes())


def main():
    base = sys.argv[1]
    n, rows, cols = (int(v) for v in (sys.argv[2:] + ["10", "6400", "4096"][len(sys.argv) - 2:])[:3])
    write_safetensors(base + ".safetensors", n, rows, cols)
    write_npz(base + ".npz", n, rows, cols)
    write_gguf(base + ".gguf", n, rows, cols)


if __name__ == "__main__":
    main()
