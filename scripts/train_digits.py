#!/usr/bin/python3
"""train_digits.py - the `digits` model of assets/models/digits.

An MLP 64 -> 128 -> 64 -> 10 (ReLU) trained on the UCI optical digits that
Debian's python3-sklearn ships (sklearn/datasets/data/digits.csv.gz: 1,797
8x8 images, pixels 0..16). Fixed split from a seeded permutation:
1,197 train, 200 calibration, 400 test. Inputs are pixels / 16.

Run from the repository root (needs python3-numpy and python3-torch; about
ten seconds on one core):

    /usr/bin/python3 scripts/train_digits.py [OUTDIR]

Writes OUTDIR/model.safetensors (float32 weights, PyTorch's [out, in]
layout) and OUTDIR/data.safetensors (test.x, test.y, calib.x, calib.y),
and prints the accuracies that go into assets/models/README.md.
"""
import gzip
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import st_io  # noqa: E402

SRC = "/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz"
OUT = sys.argv[1] if len(sys.argv) > 1 else "assets/models/digits"


def main():
    torch.manual_seed(0)
    torch.set_num_threads(1)
    with gzip.open(SRC, "rt") as f:
        raw = np.loadtxt(f, delimiter=",", dtype=np.float64)
    x = (raw[:, :64] / 16.0).astype(np.float32)
    y = raw[:, 64].astype(np.int32)
    perm = np.random.RandomState(0).permutation(len(y))
    tr, ca, te = perm[:1197], perm[1197:1397], perm[1397:]
    model = torch.nn.Sequential(
        torch.nn.Linear(64, 128), torch.nn.ReLU(),
        torch.nn.Linear(128, 64), torch.nn.ReLU(),
        torch.nn.Linear(64, 10))
    opt = torch.optim.Adam(model.parameters(), lr=2e-3, weight_decay=1e-4)
    xt, yt = torch.from_numpy(x[tr]), torch.from_numpy(y[tr]).long()
    g = torch.Generator().manual_seed(0)
    for epoch in range(80):
        order = torch.randperm(len(yt), generator=g)
        for i in range(0, len(yt), 64):
            b = order[i:i + 64]
            opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(xt[b]), yt[b])
            loss.backward()
            opt.step()
    with torch.no_grad():
        acc = {k: float((model(torch.from_numpy(x[s])).argmax(1).numpy() == y[s]).mean())
               for k, s in (("train", tr), ("calib", ca), ("test", te))}
    sd = {k: v.detach().numpy().astype(np.float32) for k, v in model.state_dict().items()}
    names = {"0": "fc1", "2": "fc2", "4": "fc3"}
    weights = {names[k.split(".")[0]] + "." + k.split(".")[1]: v for k, v in sd.items()}
    os.makedirs(OUT, exist_ok=True)
    st_io.save(os.path.join(OUT, "model.safetensors"), weights, {
        "qlens.model": "digits", "qlens.kind": "classifier", "qlens.activation": "relu",
        "qlens.classes": "0123456789", "qlens.input": "8x8 image, pixels / 16",
        "qlens.test_accuracy": "%.4f" % acc["test"]})
    st_io.save(os.path.join(OUT, "data.safetensors"), {
        "test.x": x[te], "test.y": y[te], "calib.x": x[ca], "calib.y": y[ca]})
    print("accuracy: train %.4f  calib %.4f  test %.4f (%d of %d)" % (
        acc["train"], acc["calib"], acc["test"], round(acc["test"] * len(te)), len(te)))


if __name__ == "__main__":
    main()
