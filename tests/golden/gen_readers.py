#!/usr/bin/python3
"""gen_readers.py — golden files for the GGUF, .npz, sharded-safetensors,
text and raw readers (tests/test_gguf.c, test_npz.c, test_text.c).

Run from the repository root with the distribution's Python (it has numpy):

    /usr/bin/python3 tests/golden/gen_readers.py

Everything lands in tests/golden/readers/. Nothing here uses qlens code:

  * GGUF files are written byte by byte with `struct`, following ggml's
    docs/gguf.md (the `gguf` Python package is not in the distribution).
    Q8_0/Q4_0/Q4_1/Q5_0/Q5_1 blocks are made by Python ports of ggml's
    reference quantizers (quantize_row_*_ref) plus hand-made edge blocks
    (zero, negative and subnormal scales); the expected floats come from
    Python ports of ggml's dequantize_row_* in float32 arithmetic and are
    saved as .npy files in readers/gguf_expect/.
  * .npz files come from numpy.savez / numpy.savez_compressed themselves;
    one is written through zipfile with its zip64 limits lowered so that the
    central directory carries zip64 extra fields and zip64 end records.
    Each array is also saved alone with numpy.save (readers/npz_expect/).
  * Sharded safetensors: two shards and model.safetensors.index.json in the
    layout of huggingface/safetensors and transformers.
  * Text and raw files, with the float32 values NumPy reads from them.
  * What `qlens convert` must write: NumPy's float16 and PyTorch's bfloat16
    casts of one array.

The script is deterministic (fixed seeds), so re-running it reproduces the
committed files byte for byte.
"""
import json
import os
import struct
import zipfile

import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "readers")

# --- GGUF ------------------------------------------------------------------

GGUF_TYPES = {"F32": 0, "F16": 1, "Q4_0": 2, "Q4_1": 3, "Q5_0": 6, "Q5_1": 7,
              "Q8_0": 8, "Q4_K": 12, "I8": 24, "I32": 26, "F64": 28, "BF16": 30,
              "MXFP4": 39}
(U8, I8, U16, I16, U32, I32, F32, BOOL, STR, ARR, U64, I64, F64) = range(13)
SCALAR_FMT = {U8: "<B", I8: "<b", U16: "<H", I16: "<h", U32: "<I", I32: "<i",
              F32: "<f", BOOL: "<B", U64: "<Q", I64: "<q", F64: "<d"}


def gstr(s):
    b = s.encode("utf-8") if isinstance(s, str) else s
    return struct.pack("<Q", len(b)) + b


def gvalue(t, v):
    if t == STR:
        return gstr(v)
    if t == ARR:
        et, items = v
        out = struct.pack("<IQ", et, len(items))
        for it in items:
            out += gvalue(et, it)
        return out
    return struct.pack(SCALAR_FMT[t], v)


def gguf_bytes(version, kvs, tensors, alignment=32, count_bits=64):
    """kvs: [(key, type, value)]; tensors: [(name, ggml_type, ne, data)]."""
    cnt = "<Q" if count_bits == 64 else "<I"
    out = b"GGUF" + struct.pack("<I", version)
    out += struct.pack(cnt, len(tensors)) + struct.pack(cnt, len(kvs))
    for k, t, v in kvs:
        out += gstr(k) + struct.pack("<I", t) + gvalue(t, v)
    offset = 0
    blobs = []
    for name, gt, ne, data in tensors:
        out += gstr(name) + struct.pack("<I", len(ne))
        out += b"".join(struct.pack("<Q", d) for d in ne)
        out += struct.pack("<IQ", GGUF_TYPES[gt], offset)
        blobs.append((offset, data))
        offset += len(data)
        offset += (alignment - offset % alignment) % alignment
    out += b"\0" * ((alignment - len(out) % alignment) % alignment)
    data_start = len(out)
    for off, data in blobs:
        out += b"\0" * (data_start + off - len(out))
        out += data
    return out


def f16(x):
    return np.float32(x).astype(np.float16)


def f16_bits(h):
    return int(np.array(h, dtype=np.float16).view(np.uint16))


def f32_from_f16_bits(b):
    return np.array(b, dtype=np.uint16).view(np.float16).astype(np.float32)


# ggml's reference quantizers (ggml-quants.c, quantize_row_*_ref), in float32.
def quantize_q8_0(x):
    blocks = []
    for b in x.reshape(-1, 32):
        amax = np.max(np.abs(b))
        d = np.float32(amax / np.float32(127))
        idv = np.float32(1) / d if d else np.float32(0)
        # roundf: half away from zero, of the float32 product
        qs = [int(np.sign(v * idv) * np.floor(abs(float(v * idv)) + 0.5)) for v in b]
        blocks.append(struct.pack("<H", f16_bits(f16(d))) + struct.pack("<32b", *qs))
    return b"".join(blocks)


def quantize_q4_0(x):
    blocks = []
    for b in x.reshape(-1, 32):
        j = int(np.argmax(np.abs(b)))
        mx = b[j]
        d = np.float32(mx / np.float32(-8))
        idv = np.float32(1) / d if d else np.float32(0)
        q = [min(15, int(np.float32(v * idv) + np.float32(8.5))) for v in b]
        qs = [q[i] | (q[i + 16] << 4) for i in range(16)]
        blocks.append(struct.pack("<H", f16_bits(f16(d))) + bytes(qs))
    return b"".join(blocks)


# ggml's dequantize_row_* (float32 arithmetic, no fused multiply-add).
def deq_q8_0(raw):
    out = []
    for i in range(0, len(raw), 34):
        d = f32_from_f16_bits(struct.unpack_from("<H", raw, i)[0])
        qs = struct.unpack_from("<32b", raw, i + 2)
        out += [np.float32(q) * d for q in qs]
    return np.array(out, dtype=np.float32)


def deq_q4_0(raw):
    out = []
    for i in range(0, len(raw), 18):
        d = f32_from_f16_bits(struct.unpack_from("<H", raw, i)[0])
        qs = raw[i + 2:i + 18]
        y = [np.float32(0)] * 32
        for j in range(16):
            y[j] = np.float32((qs[j] & 0x0F) - 8) * d
            y[j + 16] = np.float32((qs[j] >> 4) - 8) * d
        out += y
    return np.array(out, dtype=np.float32)


def deq_q4_1(raw):
    out = []
    for i in range(0, len(raw), 20):
        d = f32_from_f16_bits(struct.unpack_from("<H", raw, i)[0])
        m = f32_from_f16_bits(struct.unpack_from("<H", raw, i + 2)[0])
        qs = raw[i + 4:i + 20]
        y = [np.float32(0)] * 32
        for j in range(16):
            y[j] = np.float32(np.float32(qs[j] & 0x0F) * d) + m
            y[j + 16] = np.float32(np.float32(qs[j] >> 4) * d) + m
        out += y
    return np.array(out, dtype=np.float32)


def deq_q5_0(raw):
    out = []
    for i in range(0, len(raw), 22):
        d = f32_from_f16_bits(struct.unpack_from("<H", raw, i)[0])
        qh = struct.unpack_from("<I", raw, i + 2)[0]
        qs = raw[i + 6:i + 22]
        y = [np.float32(0)] * 32
        for j in range(16):
            xh0 = ((qh >> j) << 4) & 0x10
            xh1 = (qh >> (j + 12)) & 0x10
            y[j] = np.float32(((qs[j] & 0x0F) | xh0) - 16) * d
            y[j + 16] = np.float32(((qs[j] >> 4) | xh1) - 16) * d
        out += y
    return np.array(out, dtype=np.float32)


def deq_q5_1(raw):
    out = []
    for i in range(0, len(raw), 24):
        d = f32_from_f16_bits(struct.unpack_from("<H", raw, i)[0])
        m = f32_from_f16_bits(struct.unpack_from("<H", raw, i + 2)[0])
        qh = struct.unpack_from("<I", raw, i + 4)[0]
        qs = raw[i + 8:i + 24]
        y = [np.float32(0)] * 32
        for j in range(16):
            xh0 = ((qh >> j) << 4) & 0x10
            xh1 = (qh >> (j + 12)) & 0x10
            y[j] = np.float32(np.float32((qs[j] & 0x0F) | xh0) * d) + m
            y[j + 16] = np.float32(np.float32((qs[j] >> 4) | xh1) * d) + m
        out += y
    return np.array(out, dtype=np.float32)


def edge_q8_0_blocks(rng):
    """A zero block, a negative scale, a subnormal fp16 scale, codes -128..127."""
    blocks = struct.pack("<H", 0) + bytes(32)
    blocks += struct.pack("<H", f16_bits(f16(-0.5))) + struct.pack("<32b", *range(-16, 16))
    blocks += struct.pack("<H", 0x0001) + struct.pack("<32b", *([-128, 127] * 16))
    blocks += struct.pack("<H", 0x8000) + struct.pack("<32b", *range(32))  # d = -0
    return blocks


def edge_q4_0_blocks(rng):
    blocks = struct.pack("<H", 0) + bytes(16)
    blocks += struct.pack("<H", f16_bits(f16(-1.25))) + bytes(range(0, 256, 16))
    blocks += struct.pack("<H", 0x03FF) + bytes(rng.integers(0, 256, 16, dtype=np.uint8))
    return blocks


def random_blocks(rng, n, size, scale_fields):
    """n blocks of `size` bytes: fp16 scales in the first scale_fields*2
    bytes (finite, modest), the rest random."""
    out = b""
    for _ in range(n):
        fields = b"".join(struct.pack("<H", f16_bits(f16(rng.uniform(-2, 2))))
                          for _ in range(scale_fields))
        out += fields + bytes(rng.integers(0, 256, size - 2 * scale_fields, dtype=np.uint8))
    return out


def write_gguf_files():
    rng = np.random.default_rng(1234)
    exp = os.path.join(OUT, "gguf_expect")
    os.makedirs(exp, exist_ok=True)

    def expect(name, arr):
        np.save(os.path.join(exp, name + ".npy"), np.asarray(arr, dtype=np.float32))

    tensors = []
    # F32 [3, 8] in NumPy order = ne [8, 3]
    a = rng.standard_normal((3, 8)).astype(np.float32)
    a[0, :4] = [0.0, -0.0, np.float32(1e-45), np.float32(-3.4e38)]
    tensors.append(("token_embd.weight", "F32", [8, 3], a.tobytes()))
    expect("token_embd.weight", a)
    # F32 3-D: NumPy [4, 3, 2] = ne [2, 3, 4]
    b3 = np.arange(24, dtype=np.float32).reshape(4, 3, 2) / 7
    tensors.append(("blk.0.cube", "F32", [2, 3, 4], b3.tobytes()))
    expect("blk.0.cube", b3)
    # F16 [2, 4] with a subnormal, inf, -0
    h = rng.standard_normal((2, 4)).astype(np.float16)
    h[0, 0], h[0, 1], h[0, 2] = np.float16(6e-8), np.float16(np.inf), np.float16(-0.0)
    tensors.append(("blk.0.attn_norm.weight", "F16", [4, 2], h.tobytes()))
    expect("blk.0.attn_norm.weight", h.astype(np.float32))
    # BF16 [6]
    bf = (rng.standard_normal(6).astype(np.float32).view(np.uint32) >> 16).astype(np.uint16)
    bf[0] = 0x7F80  # inf
    bf[1] = 0x0001  # smallest subnormal
    tensors.append(("output_norm.weight", "BF16", [6], bf.tobytes()))
    expect("output_norm.weight", (bf.astype(np.uint32) << 16).view(np.float32))
    # Q8_0 [4, 64]: two rows quantized by the reference, two rows of edge blocks
    x = rng.standard_normal((2, 64)).astype(np.float32)
    q8 = quantize_q8_0(x) + edge_q8_0_blocks(rng)
    tensors.append(("blk.0.ffn_up.weight", "Q8_0", [64, 4], q8))
    expect("blk.0.ffn_up.weight", deq_q8_0(q8).reshape(4, 64))
    # Q4_0 [4, 64]: rows 0-1 by the reference quantizer (one row whose
    # largest value is negative), then edge blocks + one random block.
    x = rng.standard_normal((2, 64)).astype(np.float32)
    x[1, 5] = -9.0
    q4 = quantize_q4_0(x) + edge_q4_0_blocks(rng) + random_blocks(rng, 1, 18, 1)
    tensors.append(("blk.0.ffn_down.weight", "Q4_0", [64, 4], q4))
    expect("blk.0.ffn_down.weight", deq_q4_0(q4).reshape(4, 64))
    q41 = random_blocks(rng, 4, 20, 2)
    tensors.append(("blk.0.q4_1", "Q4_1", [32, 4], q41))
    expect("blk.0.q4_1", deq_q4_1(q41).reshape(4, 32))
    q50 = random_blocks(rng, 2, 22, 1)
    tensors.append(("blk.0.q5_0", "Q5_0", [64], q50))
    expect("blk.0.q5_0", deq_q5_0(q50))
    q51 = random_blocks(rng, 2, 24, 2)
    tensors.append(("blk.0.q5_1", "Q5_1", [32, 2], q51))
    expect("blk.0.q5_1", deq_q5_1(q51).reshape(2, 32))
    # A type qlens lists but does not decode: Q4_K, 256 per block, 144 bytes.
    tensors.append(("blk.0.attn_q.weight", "Q4_K", [256, 2], bytes(rng.integers(0, 256, 288, dtype=np.uint8))))
    tensors.append(("blk.0.mxfp4", "MXFP4", [64], bytes(rng.integers(0, 256, 34, dtype=np.uint8))))
    i32 = np.array([-2147483648, -1, 0, 1, 2147483647], dtype=np.int32)
    tensors.append(("positions", "I32", [5], i32.tobytes()))
    expect("positions", i32.astype(np.float32))
    tensors.append(("empty", "F32", [0, 4], b""))

    kvs = [
        ("general.architecture", STR, "llama"),
        ("general.name", STR, "tiny test model \u00e9\u4e2d"),
        ("test.u8", U8, 255), ("test.i8", I8, -5), ("test.u16", U16, 65535),
        ("test.i16", I16, -32768), ("test.u32", U32, 4294967295), ("test.i32", I32, -7),
        ("test.f32", F32, 0.1), ("test.bool", BOOL, 1), ("test.u64", U64, 2**64 - 1),
        ("test.i64", I64, -2**63), ("test.f64", F64, 1e-300),
        ("test.long_string", STR, "x" * 300),
        ("test.control", STR, "a\nb\tc\x01"),
        ("tokenizer.ggml.tokens", ARR, (STR, ["<unk>", "<s>", "</s>"] + ["tok%d" % i for i in range(997)])),
        ("test.arr_i32", ARR, (I32, list(range(100)))),
        ("test.arr_f32", ARR, (F32, [0.5, -2.0])),
        ("test.arr_bool", ARR, (BOOL, [1, 0, 1])),
        ("test.nested", ARR, (ARR, [(U8, [1, 2]), (U8, []), (STR, ["a", "b"])])),
        ("test.empty", ARR, (I64, [])),
        ("general.quantization_version", U32, 2),
    ]
    with open(os.path.join(OUT, "tiny_v3.gguf"), "wb") as f:
        f.write(gguf_bytes(3, kvs, tensors))

    # Version 2, alignment 64 (a u32, as the spec requires).
    t2 = [("a", "F32", [3], np.array([1, 2, 3], dtype=np.float32).tobytes()),
          ("b", "Q8_0", [32], quantize_q8_0(np.linspace(-1, 1, 32, dtype=np.float32)))]
    expect("v2.a", np.array([1, 2, 3], dtype=np.float32))
    expect("v2.b", deq_q8_0(t2[1][3]))
    with open(os.path.join(OUT, "align64_v2.gguf"), "wb") as f:
        f.write(gguf_bytes(2, [("general.alignment", U32, 64)], t2, alignment=64))

    # Version 1: u32 counts. Refused.
    with open(os.path.join(OUT, "old_v1.gguf"), "wb") as f:
        f.write(gguf_bytes(1, [("general.architecture", STR, "llama")], [], count_bits=32))


# --- .npz ---------------------------------------------------------------------

def npz_arrays():
    rng = np.random.default_rng(99)
    return {
        "a": rng.standard_normal((3, 4)).astype(np.float32),
        "b": np.array([0.5, -0.0, 6e-8, 65504, np.inf, np.nan], dtype=np.float16),
        "c": np.array([-128, -1, 0, 127], dtype=np.int8),
        "d": np.array(3.25, dtype=np.float64),
        "e": np.zeros((0, 3), dtype=np.float32),
        "f": np.asfortranarray(np.arange(6, dtype=np.float32).reshape(2, 3)),
        "g": np.arange(5, dtype=">f4") / 3,
        "h": np.array([True, False, True]),
        "layers/0/w": rng.standard_normal((37, 29)).astype(np.float32),
    }


def write_npz_files():
    arrs = npz_arrays()
    exp = os.path.join(OUT, "npz_expect")
    os.makedirs(exp, exist_ok=True)
    for k, v in arrs.items():
        np.save(os.path.join(exp, k.replace("/", "_") + ".npy"), v)
    np.savez(os.path.join(OUT, "stored.npz"), **arrs)
    np.savez_compressed(os.path.join(OUT, "compressed.npz"), **arrs)

    # zip64 everywhere: lower the limits so zipfile writes zip64 extra fields
    # in the central directory and the zip64 end records.
    import io
    old = zipfile.ZIP64_LIMIT, zipfile.ZIP_FILECOUNT_LIMIT
    zipfile.ZIP64_LIMIT, zipfile.ZIP_FILECOUNT_LIMIT = 16, 2
    try:
        with zipfile.ZipFile(os.path.join(OUT, "zip64.npz"), "w", zipfile.ZIP_DEFLATED) as z:
            for k in ("a", "c", "layers/0/w"):
                buf = io.BytesIO()
                np.save(buf, arrs[k])
                z.writestr(zinfo(k + ".npy"), buf.getvalue())
            z.writestr(zinfo("README.txt"), b"not an array")
    finally:
        zipfile.ZIP64_LIMIT, zipfile.ZIP_FILECOUNT_LIMIT = old
    check = np.load(os.path.join(OUT, "zip64.npz"))
    assert np.array_equal(check["layers/0/w"], arrs["layers/0/w"])
    # members named without ".npy" that hold arrays: numpy.load reads them
    # by their whole name (it looks for the .npy magic), and so must qlens;
    # a text member stays skipped
    with zipfile.ZipFile(os.path.join(OUT, "nosuffix.npz"), "w") as z:
        for k, how in (("a", zipfile.ZIP_STORED), ("c", zipfile.ZIP_DEFLATED)):
            buf = io.BytesIO()
            np.save(buf, arrs[k])
            info = zinfo("bare_" + k)
            info.compress_type = how
            z.writestr(info, buf.getvalue())
        z.writestr(zinfo("notes"), b"not an array")
    check = np.load(os.path.join(OUT, "nosuffix.npz"))
    assert np.array_equal(check["bare_a"], arrs["a"]) and np.array_equal(check["bare_c"], arrs["c"])
    np.savez(os.path.join(OUT, "empty.npz"))


# --- sharded safetensors ----------------------------------------------------------

def safetensors_bytes(tensors, metadata=None):
    header, data = {}, b""
    if metadata:
        header["__metadata__"] = metadata
    for name, dtype, arr in tensors:
        raw = arr.tobytes()
        header[name] = {"dtype": dtype, "shape": list(arr.shape),
                        "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    return struct.pack("<Q", len(h)) + h + data


def write_shards():
    rng = np.random.default_rng(7)
    d = os.path.join(OUT, "sharded")
    os.makedirs(d, exist_ok=True)
    emb = rng.standard_normal((10, 4)).astype(np.float32)
    w1 = rng.standard_normal((4, 4)).astype(np.float16)
    w2 = rng.standard_normal((4, 4)).astype(np.float32)
    head = rng.standard_normal((10, 4)).astype(np.float32)
    s1 = [("model.embed_tokens.weight", "F32", emb), ("model.layers.0.w", "F16", w1)]
    s2 = [("model.layers.1.w", "F32", w2), ("lm_head.weight", "F32", head)]
    names = ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"]
    for fname, ts in zip(names, (s1, s2)):
        with open(os.path.join(d, fname), "wb") as f:
            f.write(safetensors_bytes(ts, {"format": "pt"}))
    wm = {n: names[0] for n, _, _ in s1}
    wm.update({n: names[1] for n, _, _ in s2})
    total = sum(a.nbytes for _, _, a in s1 + s2)
    with open(os.path.join(d, "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": total}, "weight_map": wm}, f, indent=2)
    for n, _, a in s1 + s2:
        np.save(os.path.join(d, "expect_" + n + ".npy"), a.astype(np.float32))


# --- text and raw -------------------------------------------------------------------

def write_text_files():
    d = OUT
    rows = [["1", "2.5", "-3e-2"], ["4", "0x1p-3", "1e-45"], ["nan", "inf", "-0"]]
    body = "# a comment line\n"
    body += ", ".join(rows[0]) + "\n"
    body += "  ".join(rows[1]) + "   # trailing comment\n\n"
    body += ",".join(rows[2]) + ",\n"
    with open(os.path.join(d, "grid.txt"), "w") as f:
        f.write(body)
    vals = np.array([[np.float32(float.fromhex(v) if v.startswith("0x") else float(v)) for v in r]
                     for r in rows], dtype=np.float32)
    np.save(os.path.join(d, "grid_expect.npy"), vals)
    # One line, Windows line end and a byte-order mark: 1-D.
    line = ["0.1", "0.2", "0.30000001192092896", "-1.5e+10", "3.4028235e38"]
    with open(os.path.join(d, "line.csv"), "wb") as f:
        f.write(b"\xef\xbb\xbf" + ",".join(line).encode() + b"\r\n")
    np.save(os.path.join(d, "line_expect.npy"), np.array([np.float32(float(v)) for v in line]))
    # A column: n x 1.
    with open(os.path.join(d, "column.txt"), "w") as f:
        f.write("\n".join(str(v) for v in [1, 2, 3, 4]) + "\n")
    # Refused ones.
    bad = {
        "ragged.txt": "1 2 3\n4 5 6\n7 8\n",
        "word.txt": "1 2\n3 abc\n",
        "huge.txt": "1e39 1\n",
        "comments_only.txt": "# nothing\n\n   \n",
        "double_comma.csv": "1,,2\n",
    }
    for name, text in bad.items():
        with open(os.path.join(d, name), "w") as f:
            f.write(text)
    # Raw: 4 x 8 float16.
    r = (np.arange(32, dtype=np.float32).reshape(4, 8) - 16) / 4
    r.astype("<f2").tofile(os.path.join(d, "bare.bin"))
    np.save(os.path.join(d, "bare_expect.npy"), r)


def write_convert_expect():
    """What `qlens convert` must write for npz member 'a': NumPy's float16
    cast (round to nearest even) and PyTorch's bfloat16 cast, as raw bits."""
    a = npz_arrays()["a"]
    np.save(os.path.join(OUT, "convert_a_f16.npy"), a.astype(np.float16))
    try:
        import torch
    except ImportError:  # the committed file stays as it is
        return
    bf = torch.from_numpy(a).to(torch.bfloat16).view(torch.int16).numpy().astype("<i2")
    bf.tofile(os.path.join(OUT, "convert_a_bf16.bin"))


def zinfo(name, compress=zipfile.ZIP_DEFLATED):
    """A zip entry with a fixed date, so the archive is the same every run."""
    zi = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    zi.compress_type = compress
    return zi


def main():
    os.makedirs(OUT, exist_ok=True)
    write_gguf_files()
    write_npz_files()
    write_shards()
    write_text_files()
    write_convert_expect()


if __name__ == "__main__":
    main()
