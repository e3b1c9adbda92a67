#!/usr/bin/python3
"""make_big_header.py — checkpoints with many small tensors, for timing
`qlens info` and the explorer's tree on large headers (issue #9).

    /usr/bin/python3 scripts/make_big_header.py DIR [--tensors N] [--shards K] [--flat]

writes DIR/big.safetensors (N tensors in one file, default 80,000) and
DIR/sharded/model.safetensors.index.json with K shards (default 4) of the
same tensors. Names look like a transformer's
("layers.17.experts.42.mlp.down_proj.weight"), dtypes cycle over
F32/F16/BF16/I8, shapes are 1-D to 3-D with a few elements each, a
__metadata__ object is included, keys are written in sorted-name order
while the data goes in another order (as the reference writer does: by
dtype size), so the reader's sort by offset does real work. Deterministic.
Header of 80,000 tensors: about 7 MB.
"""
import argparse
import json
import os
import struct

DT = [("F32", 4), ("F16", 2), ("BF16", 2), ("I8", 1)]
PARTS = ["self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
         "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj", "input_layernorm",
         "post_attention_layernorm"]


def tensors(n):
    out = []
    i = 0
    layer = 0
    while len(out) < n:
        for e in range(16):
            for p in PARTS:
                for suffix in ("weight", "bias"):
                    if len(out) == n:
                        return out
                    name = "layers.%d.experts.%d.%s.%s" % (layer, e, p, suffix)
                    dt, size = DT[i % len(DT)]
                    nd = 1 + i % 3
                    shape = [1 + (i * 7 + k * 3) % 5 for k in range(nd)]
                    out.append((name, dt, size, shape))
                    i += 1
        layer += 1
    return out


def write(path, items, meta):
    header = {"__metadata__": meta}
    order = sorted(range(len(items)), key=lambda k: (-items[k][2], items[k][0]))
    off = 0
    offs = {}
    for k in order:
        name, dt, size, shape = items[k]
        nb = size
        for d in shape:
            nb *= d
        offs[k] = (off, off + nb)
        off += nb
    for k in sorted(range(len(items)), key=lambda k: items[k][0]):
        name, dt, size, shape = items[k]
        header[name] = {"dtype": dt, "shape": shape, "data_offsets": list(offs[k])}
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        # data: byte pattern derived from the offset (content is not checked)
        f.write(bytes((j * 131) & 0xff for j in range(off)))
    return len(h)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--tensors", type=int, default=80000)
    ap.add_argument("--shards", type=int, default=4)
    ap.add_argument("--flat", action="store_true",
                    help="also DIR/flat.safetensors: names layers.N.weight, one group of N children "
                         "(the explorer's tree once scanned a group's children for every name)")
    a = ap.parse_args()
    os.makedirs(a.dir, exist_ok=True)
    items = tensors(a.tensors)
    meta = {"format": "pt", "made_by": "scripts/make_big_header.py"}
    n = write(os.path.join(a.dir, "big.safetensors"), items, meta)
    print("%s: %d tensors, header %d bytes" % (os.path.join(a.dir, "big.safetensors"), len(items), n))
    if a.flat:
        flat = [("layers.%d.weight" % i, "F16", 2, [1 + i % 4]) for i in range(a.tensors)]
        n = write(os.path.join(a.dir, "flat.safetensors"), flat, meta)
        print("%s: %d tensors, header %d bytes" % (os.path.join(a.dir, "flat.safetensors"), len(flat), n))
    sd = os.path.join(a.dir, "sharded")
    os.makedirs(sd, exist_ok=True)
    wm = {}
    per = (len(items) + a.shards - 1) // a.shards
    for s in range(a.shards):
        part = items[s * per:(s + 1) * per]
        fn = "model-%05d-of-%05d.safetensors" % (s + 1, a.shards)
        write(os.path.join(sd, fn), part, {"format": "pt"})
        for it in part:
            wm[it[0]] = fn
    index = {"metadata": {"total_size": 0}, "weight_map": dict(sorted(wm.items()))}
    with open(os.path.join(sd, "model.safetensors.index.json"), "w") as f:
        json.dump(index, f, indent=2)
    print("%s: %d shards" % (os.path.join(sd, "model.safetensors.index.json"), a.shards))


if __name__ == "__main__":
    main()
