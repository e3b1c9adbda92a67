#!/usr/bin/python3
"""train_chars.py - the `chars` model of assets/models/chars.

A character-level language model: the previous 4 characters, each embedded
in 32 dimensions, concatenated (128) -> 128 (tanh) -> 28 logits. Trained on
the English word list of Debian's `wamerican` package
(/usr/share/dict/american-english, SCOWL), lower-cased, words of letters
and apostrophes only, de-duplicated, shuffled with a fixed seed and written
as one text, one word per line. 28 tokens: newline (id 0, the word
boundary), a..z (1..26), apostrophe (27). Held out: 1,000 test words and
500 calibration words (disjoint from the training words).

Run from the repository root (python3-numpy, python3-torch; a minute or
two on one core):

    /usr/bin/python3 scripts/train_chars.py [OUTDIR]

Writes OUTDIR/model.safetensors and OUTDIR/data.safetensors (test.tokens,
calib.tokens: int32 token ids of the held-out text) and prints the
perplexities that go into assets/models/README.md.
"""
import os
import re
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import st_io  # noqa: E402

SRC = "/usr/share/dict/american-english"
OUT = sys.argv[1] if len(sys.argv) > 1 else "assets/models/chars"
VOCAB = "\nabcdefghijklmnopqrstuvwxyz'"
CTX, EMB, HID = 4, 32, 128


def tokens_of(words):
    text = "".join(w + "\n" for w in words)
    return np.array([VOCAB.index(c) for c in text], dtype=np.int32)


def windows(tok):
    """Contexts [n, CTX] (the CTX previous tokens, newline before the
    start) and targets [n]: the model predicts every token of tok."""
    pad = np.concatenate([np.zeros(CTX, np.int32), tok])
    ctx = np.stack([pad[i:i + len(tok)] for i in range(CTX)], axis=1)
    return ctx, tok


class CharMLP(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = torch.nn.Embedding(len(VOCAB), EMB)
        self.fc1 = torch.nn.Linear(CTX * EMB, HID)
        self.fc2 = torch.nn.Linear(HID, len(VOCAB))

    def forward(self, ctx):
        h = self.embed(ctx).reshape(ctx.shape[0], CTX * EMB)
        return self.fc2(torch.tanh(self.fc1(h)))


def ppl(model, tok):
    c, t = windows(tok)
    with torch.no_grad():
        nll = torch.nn.functional.cross_entropy(model(torch.from_numpy(c).long()),
                                                torch.from_numpy(t).long())
    return float(torch.exp(nll))


def main():
    torch.manual_seed(0)
    torch.set_num_threads(1)
    with open(SRC, encoding="utf-8") as f:
        words = sorted({w.strip().lower() for w in f})
    words = [w for w in words if re.fullmatch(r"[a-z']+", w)]
    words = [words[i] for i in np.random.RandomState(0).permutation(len(words))]
    test, calib, train = words[:1000], words[1000:1500], words[1500:]
    c, t = windows(tokens_of(train))
    ct, tt = torch.from_numpy(c).long(), torch.from_numpy(t).long()
    model = CharMLP()
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    g = torch.Generator().manual_seed(0)
    epochs, batch = 4, 512
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, epochs * ((len(tt) + batch - 1) // batch))
    for epoch in range(epochs):
        order = torch.randperm(len(tt), generator=g)
        for i in range(0, len(tt), batch):
            b = order[i:i + batch]
            opt.zero_grad()
            torch.nn.functional.cross_entropy(model(ct[b]), tt[b]).backward()
            opt.step()
            sched.step()
    test_tok, calib_tok = tokens_of(test), tokens_of(calib)
    p = {"train": ppl(model, tokens_of(train[:20000])), "calib": ppl(model, calib_tok),
         "test": ppl(model, test_tok)}
    w = {k: v.detach().numpy().astype(np.float32) for k, v in model.state_dict().items()}
    os.makedirs(OUT, exist_ok=True)
    st_io.save(os.path.join(OUT, "model.safetensors"), w, {
        "qlens.model": "chars", "qlens.kind": "charlm", "qlens.activation": "tanh",
        "qlens.context": str(CTX), "qlens.vocab": VOCAB,
        "qlens.test_perplexity": "%.4f" % p["test"]})
    st_io.save(os.path.join(OUT, "data.safetensors"),
               {"test.tokens": test_tok, "calib.tokens": calib_tok})
    print("words: %d train, %d calib, %d test; test tokens %d" % (
        len(train), len(calib), len(test), len(test_tok)))
    print("perplexity: train(first 20000 words) %.4f  calib %.4f  test %.4f" % (
        p["train"], p["calib"], p["test"]))


if __name__ == "__main__":
    main()
