#!/usr/bin/python3
"""gen_gguf.py DIR — writes DIR/every_type.gguf: a GGUF v3 file holding one
tensor of each block format qlens decodes (ggml's own blocks of the
"weights" input set, DIR/blocks/NAME_weights.q, as a 2 x 256 matrix), bad
blocks (NaN and inf scales), and an IQ2_XXS tensor qlens lists but does not
decode; and DIR/every_type/TENSOR.f32, the values each decodes to by
ggml_ref.py's independent NumPy dequantizers. Read by test_ggml_blocks.c and
tests/cli_blocks.sh.
"""
import os
import struct
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ggml_ref  # noqa: E402

GGML_TYPE = {"q4_1": 3, "q5_0": 6, "q5_1": 7, "q2_k": 10, "q3_k": 11, "q4_k": 12,
             "q5_k": 13, "q6_k": 14, "q8_k": 15, "iq4_nl": 20, "iq4_xs": 23,
             "tq1_0": 34, "tq2_0": 35, "mxfp4_ggml": 39, "nvfp4": 40}
IQ2_XXS = 16


def gstr(s):
    b = s.encode()
    return struct.pack("<Q", len(b)) + b


def gguf(kvs, tensors, alignment=32):
    """kvs: [(key, string value)]; tensors: [(name, ggml type, ne, bytes)]"""
    out = b"GGUF" + struct.pack("<IQQ", 3, len(tensors), len(kvs))
    for k, v in kvs:
        out += gstr(k) + struct.pack("<I", 8) + gstr(v)
    offset, blobs = 0, []
    for name, gt, ne, data in tensors:
        out += gstr(name) + struct.pack("<I", len(ne)) + b"".join(struct.pack("<Q", d) for d in ne)
        out += struct.pack("<IQ", gt, offset)
        blobs.append((offset, data))
        offset += len(data)
        offset += (alignment - offset % alignment) % alignment
    out += b"\0" * ((alignment - len(out) % alignment) % alignment)
    start = len(out)
    for off, data in blobs:
        out += b"\0" * (start + off - len(out)) + data
    return out


def main():
    d = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    exp = os.path.join(d, "every_type")
    os.makedirs(exp, exist_ok=True)
    tensors = []

    def add(name, fmt, raw):
        block, nbytes = ggml_ref.FORMATS[fmt][:2]
        n = len(raw) // nbytes * block
        tensors.append((name, GGML_TYPE[fmt], [256, n // 256], raw))
        ggml_ref.dequantize(fmt, raw).astype("<f4").tofile(os.path.join(exp, name + ".f32"))

    for fmt in GGML_TYPE:
        raw = open(os.path.join(d, "blocks", fmt + "_weights.q"), "rb").read()
        add("blk.0." + fmt, fmt, raw)
    # bad blocks: the first block of each gets a NaN or inf scale
    def patched(fmt, off, value):
        raw = bytearray(open(os.path.join(d, "blocks", fmt + "_weights.q"), "rb").read())
        raw[off:off + len(value)] = value
        return bytes(raw)
    add("bad.q4_k_nan_d", "q4_k", patched("q4_k", 0, b"\x00\x7e"))
    add("bad.q4_k_inf_dmin", "q4_k", patched("q4_k", 2, b"\x00\x7c"))
    add("bad.q6_k_neg_inf_d", "q6_k", patched("q6_k", 208, b"\x00\xfc"))
    add("bad.q8_k_nan_d", "q8_k", patched("q8_k", 0, struct.pack("<f", float("nan"))))
    add("bad.tq1_0_inf_d", "tq1_0", patched("tq1_0", 52, b"\x00\x7c"))
    add("bad.iq4_xs_nan_d", "iq4_xs", patched("iq4_xs", 0, b"\x01\x7e"))
    add("bad.mxfp4_e255", "mxfp4_ggml", patched("mxfp4_ggml", 0, b"\xff"))
    add("bad.nvfp4_7f", "nvfp4", patched("nvfp4", 0, b"\x7f\x7f\xff\xfe"))
    # a type qlens lists but does not decode
    rng = np.random.default_rng(12)
    tensors.append(("blk.0.iq2_xxs", IQ2_XXS, [256, 2], bytes(rng.integers(0, 256, 132, dtype=np.uint8))))
    with open(os.path.join(d, "every_type.gguf"), "wb") as f:
        f.write(gguf([("general.architecture", "llama"), ("general.name", "every ggml block type")],
                     tensors))
    print("every_type.gguf: %d tensors" % len(tensors))


if __name__ == "__main__":
    main()
