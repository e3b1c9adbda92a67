#!/usr/bin/python3
"""extract_samples_faceapi.py - real trained conv weights from @vladmandic/face-api.

The npm package @vladmandic/face-api 1.7.15 (MIT) ships its models in
model/ as TensorFlow.js weight files: NAME-weights_manifest.json lists each
tensor (name, shape, dtype, optional uint8 quantization) and NAME.bin holds
them back to back in that order. Most tensors are stored uint8-quantized,
but the 3x3 convolutions of the face-recognition ResNet (a port of dlib's
face recognition model) are plain float32: those are real float weights.
This script reads the package once and writes one of them to
assets/samples/faceapi_conv64_1_conv1.npy. Nothing reads the package at
build, test or run time: the .npy is committed.

    npm pack @vladmandic/face-api@1.7.15
    scripts/extract_samples_faceapi.py vladmandic-face-api-1.7.15.tgz
    scripts/extract_samples_faceapi.py node_modules/@vladmandic/face-api
    scripts/extract_samples_faceapi.py --check SOURCE   # compare, write nothing

The script walks the whole manifest (uint8-quantized tensors take one byte
per element, float32 and int32 four) and checks that the tensors end exactly
at the end of the .bin, so an offset is never guessed.

TensorFlow stores a conv kernel as [kh, kw, in, out] = [3, 3, 64, 64]. The
sample is PyTorch's layout [out, in, kh, kw] flattened to a matrix
[out, in*kh*kw] = [64, 576]: one row per output channel, the view that
per-channel (axis 0) and per-group (groups along a row) quantization take.
"""
import argparse
import hashlib
import io
import json
import os
import sys
import tarfile

import numpy as np

MODEL = "face_recognition_model"
TENSOR = "conv64_1/conv1/conv/filters"
OUT = "faceapi_conv64_1_conv1.npy"
BYTES = {"float32": 4, "int32": 4}


def load_source(path):
    """(manifest list, .bin bytes, sha256 of the .bin) from a .tgz or a package dir."""
    man_name = f"model/{MODEL}-weights_manifest.json"
    if os.path.isdir(path):
        with open(os.path.join(path, man_name), "rb") as f:
            man = f.read()
        files = {}
        for group in json.loads(man):
            for p in group["paths"]:
                with open(os.path.join(path, "model", p), "rb") as f:
                    files[p] = f.read()
    else:
        with tarfile.open(path, "r:gz") as t:
            man = t.extractfile("package/" + man_name).read()
            files = {p: t.extractfile("package/model/" + p).read()
                     for group in json.loads(man) for p in group["paths"]}
    manifest = json.loads(man)
    data = b"".join(files[p] for group in manifest for p in group["paths"])
    return manifest, data, hashlib.sha256(data).hexdigest()


def find_tensor(manifest, data, wanted):
    off, found = 0, None
    for group in manifest:
        for w in group["weights"]:
            n = int(np.prod(w["shape"]))
            q = w.get("quantization")
            if q:
                if q["dtype"] != "uint8":
                    raise ValueError(f"{w['name']}: quantized as {q['dtype']}")
                size = n
            elif w["dtype"] in BYTES:
                size = n * BYTES[w["dtype"]]
            else:
                raise ValueError(f"{w['name']}: dtype {w['dtype']}")
            if w["name"] == wanted:
                if q or w["dtype"] != "float32":
                    raise ValueError(f"{wanted} is not plain float32")
                found = np.frombuffer(data, "<f4", n, off).reshape(w["shape"])
            off += size
    if off != len(data):
        raise ValueError(f"manifest covers {off} bytes, the weights hold {len(data)}")
    if found is None:
        raise ValueError(f"{wanted} not in the manifest")
    return found


def samples(manifest, data):
    k = find_tensor(manifest, data, TENSOR)  # [kh, kw, in, out]
    assert k.shape == (3, 3, 64, 64), k.shape
    w = np.ascontiguousarray(k.transpose(3, 2, 0, 1).reshape(64, 576), dtype="<f4")
    if not np.isfinite(w).all():
        raise ValueError(f"{TENSOR} holds NaN or inf")
    return {OUT: w}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("source", help="the npm tarball (npm pack) or the installed package directory")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "assets", "samples"))
    ap.add_argument("--check", action="store_true", help="compare with the files in --out; write nothing")
    args = ap.parse_args()
    manifest, data, sha = load_source(args.source)
    print(f"source {args.source}: model/{MODEL}.bin {len(data)} bytes, sha256 {sha}")
    bad = 0
    for name, arr in samples(manifest, data).items():
        path = os.path.join(args.out, name)
        if args.check:
            old = np.load(path)
            same = old.dtype == arr.dtype and old.shape == arr.shape and np.array_equal(old, arr)
            print(f"{name}: {'same' if same else 'DIFFERENT'}")
            bad += not same
        else:
            np.save(path, arr)
            print(f"wrote {path} {arr.shape} {arr.dtype}")
        row = np.abs(arr).max(axis=1)
        k = ((arr - arr.mean()) ** 4).mean() / arr.var() ** 2
        print(f"  absmax {np.abs(arr).max():.5f} std {arr.std():.5f} kurtosis {k:.2f};"
              f" per output channel absmax min {row.min():.5f} median {np.median(row):.5f} max {row.max():.5f}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
