#!/usr/bin/python3
"""Fixtures for the inspector's screen tests (tests/test_tui_inspect.c).

tests/golden/inspect/model.safetensors: a small model laid out as a real
checkpoint names its tensors (model.layers.N.self_attn.q_proj.weight ...),
with layers 0, 1, 2 and 10 (so numeric order differs from text order), an
embedding, norms, a tensor holding NaN and inf, F16 and BF16 tensors, and
a __metadata__ block. Written by hand (the safetensors layout: an 8-byte
little-endian header length, the JSON header, the data), so no package is
needed. tests/golden/inspect/model.txt lists each tensor's name, dtype,
shape and byte count, for the tests to check the tree against.

Run: /usr/bin/python3 tests/golden/gen_inspect.py (from the repository's top).
"""
import json
import os
import struct

import numpy as np
import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "inspect")


def tensors():
    g = torch.Generator().manual_seed(11)
    out = []
    out.append(("model.embed_tokens.weight", torch.randn(64, 32, generator=g) * 0.02, "F32"))
    for layer in (0, 1, 2, 10):
        p = "model.layers.%d." % layer
        out.append((p + "self_attn.q_proj.weight", torch.randn(32, 32, generator=g) * 0.05, "F16"))
        out.append((p + "self_attn.k_proj.weight", torch.randn(16, 32, generator=g) * 0.05, "BF16"))
        out.append((p + "mlp.down_proj.weight", torch.randn(32, 96, generator=g) * 0.03, "F32"))
        out.append((p + "input_layernorm.weight", 1 + 0.1 * torch.randn(32, generator=g), "F32"))
    bad = torch.randn(8, 8, generator=g)
    bad[2, 5] = float("nan")
    bad[3, 1] = float("inf")
    bad[6, 6] = float("-inf")
    out.append(("model.norm.weight", torch.ones(32), "F32"))
    out.append(("lm_head.weight", bad, "F32"))
    return out


def main():
    os.makedirs(OUT, exist_ok=True)
    header = {"__metadata__": {"format": "pt", "model_type": "qlens-test", "layers": "4"}}
    blobs = []
    off = 0
    listing = []
    for name, t, dt in tensors():
        torch_dt = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16}[dt]
        b = t.to(torch_dt).contiguous().view(torch.uint8).numpy().tobytes()
        header[name] = {"dtype": dt, "shape": list(t.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
        listing.append("%s %s %s %d" % (name, dt, "x".join(str(s) for s in t.shape), len(b)))
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(os.path.join(OUT, "model.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)
    with open(os.path.join(OUT, "model.txt"), "w") as f:
        f.write("\n".join(listing) + "\n")


if __name__ == "__main__":
    main()
