#!/usr/bin/python3
"""extract_samples_gnubg.py - real trained weights from GNU Backgammon.

Debian's package gnubg 1.07.001-1+b1 (GPL-3+) ships the trained evaluation
networks of GNU Backgammon as /usr/lib/gnubg/gnubg.wd. This script reads that
file once and writes the hidden-layer weights of the "contact" net (the one
gnubg uses for most positions) to assets/samples/gnubg_contact_hidden.npy.
Nothing reads the package at build, test or run time: the .npy is committed.

    apt-get download gnubg            # or: apt-get install gnubg
    scripts/extract_samples_gnubg.py gnubg_1.07.001-1+b1_amd64.deb
    scripts/extract_samples_gnubg.py /usr/lib/gnubg/gnubg.wd
    scripts/extract_samples_gnubg.py --check FILE   # compare, write nothing

The file format (gnubg's eval.c and lib/neuralnet.c, NeuralNetLoadBinary):
little-endian float32 magic 472.3782 and version 1.0, then six nets one after
another (contact, race, crashed, then the three small pruning nets). Each is
int32 cInput, cHidden, cOutput, nTrained; float32 rBetaHidden, rBetaOutput;
then float32 arHiddenWeight[cInput][cHidden] (gnubg's Evaluate() adds row i
times input i to every hidden unit), arOutputWeight[cOutput][cHidden],
arHiddenThreshold[cHidden], arOutputThreshold[cOutput]. The script checks
the magic, the version, every size and that the nets end exactly at the end
of the file, so a different file is refused rather than misread.

The sample is stored as a PyTorch nn.Linear weight: [out_features,
in_features] = [128, 250], i.e. arHiddenWeight transposed. Axis 0 is the
hidden unit (output channel), axis 1 the input feature. Inputs 0-199 encode
the board (4 per point per player); inputs 200-249 are gnubg's hand-made
features (pips, escapes, contact...), whose weights are several times
larger: the outlier input channels of this sample.
"""
import argparse
import hashlib
import os
import struct
import subprocess
import sys
import tempfile

import numpy as np

MAGIC = np.float32(472.3782)
VERSION = np.float32(1.0)
NET_NAMES = ["contact", "race", "crashed", "prune_contact", "prune_crashed", "prune_race"]
OUT = "gnubg_contact_hidden.npy"


def read_wd(data):
    """Parse a gnubg.wd image into {name: dict of arrays}; raise on anything odd."""
    if len(data) < 8:
        raise ValueError("shorter than the 8-byte header")
    magic, version = np.frombuffer(data[:8], "<f4")
    if magic != MAGIC or version != VERSION:
        raise ValueError(f"not a gnubg binary weights file (magic {magic}, version {version})")
    off = 8
    nets = {}
    for name in NET_NAMES:
        if off + 24 > len(data):
            raise ValueError(f"net {name}: header past the end of the file")
        ci, ch, co, trained = struct.unpack_from("<4i", data, off)
        beta_h, beta_o = struct.unpack_from("<2f", data, off + 16)
        off += 24
        if min(ci, ch, co) < 1 or trained < 0 or beta_h <= 0 or beta_o <= 0:
            raise ValueError(f"net {name}: bad header {ci} {ch} {co} {trained}")
        arrays = {}
        for key, shape in (("hidden_weight", (ci, ch)), ("output_weight", (co, ch)),
                           ("hidden_threshold", (ch,)), ("output_threshold", (co,))):
            n = int(np.prod(shape)) * 4
            if off + n > len(data):
                raise ValueError(f"net {name}: {key} past the end of the file")
            arrays[key] = np.frombuffer(data, "<f4", int(np.prod(shape)), off).reshape(shape)
            off += n
        nets[name] = arrays
    if off != len(data):
        raise ValueError(f"{len(data) - off} bytes left after the six nets")
    return nets


def load_source(path):
    """The bytes of gnubg.wd, from the file itself or from the package's .deb."""
    if path.endswith(".deb"):
        with tempfile.TemporaryDirectory() as tmp:
            subprocess.run(["dpkg-deb", "-x", path, tmp], check=True)
            with open(os.path.join(tmp, "usr/lib/gnubg/gnubg.wd"), "rb") as f:
                return f.read()
    with open(path, "rb") as f:
        return f.read()


def samples(data):
    """{file name: float32 array} of what this source contributes."""
    nets = read_wd(data)
    w = np.ascontiguousarray(nets["contact"]["hidden_weight"].T, dtype="<f4")
    assert w.shape == (128, 250), w.shape
    if not np.isfinite(w).all():
        raise ValueError("contact hidden weights hold NaN or inf")
    return {OUT: w}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("source", nargs="?", default="/usr/lib/gnubg/gnubg.wd",
                    help="gnubg.wd or the gnubg .deb (default: the installed file)")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "assets", "samples"))
    ap.add_argument("--check", action="store_true", help="compare with the files in --out; write nothing")
    args = ap.parse_args()
    data = load_source(args.source)
    print(f"source {args.source}: {len(data)} bytes, sha256 {hashlib.sha256(data).hexdigest()}")
    bad = 0
    for name, arr in samples(data).items():
        path = os.path.join(args.out, name)
        if args.check:
            old = np.load(path)
            same = old.dtype == arr.dtype and old.shape == arr.shape and np.array_equal(old, arr)
            print(f"{name}: {'same' if same else 'DIFFERENT'}")
            bad += not same
        else:
            np.save(path, arr)
            print(f"wrote {path} {arr.shape} {arr.dtype}")
        col = np.abs(arr).max(axis=0)
        row = np.abs(arr).max(axis=1)
        print(f"  absmax {np.abs(arr).max():.4f}; per input (axis 1) absmax median {np.median(col):.2f}"
              f" max {col.max():.2f} at input {int(col.argmax())};"
              f" per hidden unit (axis 0) median {np.median(row):.2f} max {row.max():.2f}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
