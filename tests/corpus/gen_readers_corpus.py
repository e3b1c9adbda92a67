#!/usr/bin/python3
"""gen_readers_corpus.py — malformed (and oddly well-formed) files for the GGUF, .npz,
sharded-safetensors and text readers.

    /usr/bin/python3 tests/corpus/gen_readers_corpus.py

writes tests/corpus/{gguf,npz,text}/ and tests/corpus/shards/CASE/. The
file name says what qlens must do with it:

  bad_*      opening fails: `qlens info` exits 1 with one line on stderr
  badread_*  opening works (headers are fine) but reading the data fails:
             `qlens report` exits 1 with one line on stderr
  ok_*       well-formed, with awkward content (NaN/inf, empty tensors, no
             tensors): info exits 0; report exits 0 or 1 with one line

Shards: every case is a folder holding model.safetensors.index.json and
its shards; the index is the file to open.

Run by tests/corpus.sh (through the qlens binary, under ASan, with a
timeout) and by test_gguf / test_npz (in process). Deterministic.
"""
import io
import json
import os
import shutil
import struct
import sys
import zipfile
import zlib

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "golden"))
import gen_readers as G  # noqa: E402  (the spec writers)


def put(sub, name, data):
    d = os.path.join(HERE, sub)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


# --- GGUF -----------------------------------------------------------------------

def gguf_corpus():
    S, U32, U64, U8, BOOL, ARR, STR = G.STR, G.U32, G.U64, G.U8, G.BOOL, G.ARR, G.STR
    f32 = np.arange(8, dtype=np.float32).tobytes()
    good_t = [("w", "F32", [8], f32)]
    base = G.gguf_bytes(3, [("general.architecture", S, "llama")], good_t)
    put("gguf", "ok_minimal.gguf", base)

    def hdr(version=3, nt=0, nkv=0):
        return b"GGUF" + struct.pack("<IQQ", version, nt, nkv)

    def kv(key, t, v):
        return G.gstr(key) + struct.pack("<I", t) + G.gvalue(t, v)

    put("gguf", "bad_magic_only.gguf", b"GGUF")
    put("gguf", "bad_v1.gguf", G.gguf_bytes(1, [], [], count_bits=32))
    put("gguf", "bad_v4.gguf", hdr(4))
    put("gguf", "bad_v0.gguf", hdr(0))
    put("gguf", "bad_bigendian.gguf", b"GGUF" + struct.pack(">IQQ", 3, 0, 0))
    put("gguf", "bad_tensor_count_huge.gguf", hdr(3, 2**63, 0) + b"\0" * 64)
    put("gguf", "bad_kv_count_huge.gguf", hdr(3, 0, 2**64 - 1) + b"\0" * 64)
    put("gguf", "bad_key_len_huge.gguf", hdr(3, 0, 1) + struct.pack("<Q", 2**64 - 1) + b"abc")
    put("gguf", "bad_key_len_lies.gguf", hdr(3, 0, 1) + struct.pack("<Q", 1000) + b"x" * 50)
    put("gguf", "bad_key_empty.gguf", hdr(3, 0, 1) + G.gstr("") + struct.pack("<IB", U8, 1))
    put("gguf", "bad_key_not_utf8.gguf", hdr(3, 0, 1) + G.gstr(b"ab\xff\xfe") + struct.pack("<IB", U8, 1))
    put("gguf", "bad_value_type.gguf", hdr(3, 0, 1) + G.gstr("k") + struct.pack("<I", 99) + b"\0" * 16)
    put("gguf", "bad_array_type.gguf", hdr(3, 0, 1) + G.gstr("k") + struct.pack("<IIQ", ARR, 77, 1) + b"\0" * 16)
    put("gguf", "bad_array_len_huge.gguf", hdr(3, 0, 1) + G.gstr("k") + struct.pack("<IIQ", ARR, U8, 2**62) + b"\0" * 16)
    put("gguf", "bad_array_strings_huge.gguf", hdr(3, 0, 1) + G.gstr("k") + struct.pack("<IIQ", ARR, STR, 2**40) + b"\0" * 64)
    put("gguf", "bad_string_len_lies.gguf", hdr(3, 0, 1) + G.gstr("k") + struct.pack("<IQ", STR, 2**63) + b"x" * 10)
    deep = struct.pack("<I", ARR)
    for _ in range(20):
        deep += struct.pack("<IQ", ARR, 1)
    deep += struct.pack("<IQ", U8, 0)
    put("gguf", "bad_nested_deep.gguf", hdr(3, 0, 1) + G.gstr("k") + deep)
    put("gguf", "bad_bool_2.gguf", hdr(3, 0, 1) + G.gstr("k") + struct.pack("<IB", BOOL, 2))
    put("gguf", "bad_bool_array.gguf", hdr(3, 0, 1) + G.gstr("k") + struct.pack("<IIQ", ARR, BOOL, 3) + b"\x01\x00\x07")
    put("gguf", "bad_alignment_zero.gguf", hdr(3, 0, 1) + kv("general.alignment", U32, 0))
    put("gguf", "bad_alignment_3.gguf", hdr(3, 0, 1) + kv("general.alignment", U32, 3))
    put("gguf", "bad_alignment_u64.gguf", hdr(3, 0, 1) + kv("general.alignment", U64, 64))
    put("gguf", "bad_alignment_string.gguf", hdr(3, 0, 1) + kv("general.alignment", S, "32"))
    put("gguf", "bad_duplicate_key.gguf", hdr(3, 0, 2) + kv("a.b", U8, 1) + kv("a.b", U8, 2))

    def tinfo(name, dims, gtype, offset):
        return (G.gstr(name) + struct.pack("<I", len(dims)) + b"".join(struct.pack("<Q", d) for d in dims)
                + struct.pack("<IQ", gtype, offset))

    def with_tensors(infos, data=b"", pad_to=32, nt=None):
        h = hdr(3, len(infos) if nt is None else nt, 0) + b"".join(infos)
        h += b"\0" * ((pad_to - len(h) % pad_to) % pad_to)
        return h + data

    put("gguf", "bad_duplicate_tensor.gguf", with_tensors([tinfo("w", [8], 0, 0), tinfo("w", [8], 0, 32)], f32 + b"\0" * 24 + f32))
    put("gguf", "bad_ndims_9.gguf", with_tensors([tinfo("w", [1] * 9, 0, 0)], f32))
    put("gguf", "bad_dims_overflow.gguf", with_tensors([tinfo("w", [2**40, 2**40], 0, 0)], f32))
    put("gguf", "bad_dim_negative.gguf", with_tensors([tinfo("w", [2**63 + 5], 0, 0)], f32))
    put("gguf", "bad_dim_huge_single.gguf", with_tensors([tinfo("w", [2**62], 0, 0)], f32))
    put("gguf", "bad_ggml_type_99.gguf", with_tensors([tinfo("w", [8], 99, 0)], f32))
    put("gguf", "bad_ggml_type_removed.gguf", with_tensors([tinfo("w", [32], 4, 0)], b"\0" * 32))
    put("gguf", "bad_offset_misaligned.gguf", with_tensors([tinfo("w", [8], 0, 7)], b"\0" * 64))
    put("gguf", "bad_offset_outside.gguf", with_tensors([tinfo("w", [8], 0, 2**20)], f32))
    put("gguf", "bad_offset_wraps.gguf", with_tensors([tinfo("w", [8], 0, 2**64 - 32)], f32))
    put("gguf", "bad_row_not_blocks.gguf", with_tensors([tinfo("w", [33], 8, 0)], b"\0" * 68))
    put("gguf", "bad_name_long.gguf", with_tensors([tinfo("n" * 300, [8], 0, 0)], f32))
    put("gguf", "bad_name_empty.gguf", with_tensors([tinfo("", [8], 0, 0)], f32))
    put("gguf", "bad_name_not_utf8.gguf", with_tensors([tinfo(b"\xc0\x80", [8], 0, 0)], f32))
    put("gguf", "bad_data_truncated.gguf", with_tensors([tinfo("w", [8], 0, 0)], f32[:20]))
    put("gguf", "bad_tensor_info_truncated.gguf", with_tensors([tinfo("w", [8], 0, 0)], nt=2))
    for cut in (5, 9, 17, 23, 30, 41, 52):
        put("gguf", "bad_cut_%03d.gguf" % cut, base[:cut])
    put("gguf", "bad_cut_data.gguf", base[:-3])

    nan = np.array([np.nan, np.inf, -np.inf, 1.0, -0.0, 1e-45, 3.4e38, 0], dtype=np.float32)
    put("gguf", "ok_nan_inf.gguf", G.gguf_bytes(3, [], [("w", "F32", [8], nan.tobytes())]))
    put("gguf", "ok_zero_size.gguf", G.gguf_bytes(3, [], [("w", "F32", [0], b""), ("v", "Q8_0", [0, 4], b"")]))
    put("gguf", "ok_no_tensors.gguf", G.gguf_bytes(3, [("a", U8, 1)], []))
    put("gguf", "ok_only_k_quant.gguf", G.gguf_bytes(3, [], [("k", "Q4_K", [256], b"\0" * 144)]))
    put("gguf", "ok_all_zero_q4_0.gguf", G.gguf_bytes(3, [], [("z", "Q4_0", [64], b"\0" * 36)]))
    inf_d = struct.pack("<H", 0x7C00) + bytes(range(32))
    put("gguf", "ok_q8_0_inf_scale.gguf", G.gguf_bytes(3, [], [("q", "Q8_0", [32], inf_d)]))
    put("gguf", "ok_nested_arrays.gguf", G.gguf_bytes(3, [("n", ARR, (ARR, [(ARR, [(U8, [1])])]))], good_t))


# --- .npz -----------------------------------------------------------------------------

def npz_bytes(arrays, compress):
    buf = io.BytesIO()
    (np.savez_compressed if compress else np.savez)(buf, **arrays)
    return bytearray(buf.getvalue())


def find_all(data, sig):
    out, i = [], data.find(sig)
    while i >= 0:
        out.append(i)
        i = data.find(sig, i + 1)
    return out


def npz_corpus():
    arrs = {"w": np.arange(12, dtype=np.float32).reshape(3, 4), "b": np.ones(3, dtype=np.float16)}
    stored = npz_bytes(arrs, False)
    comp = npz_bytes(arrs, True)
    put("npz", "ok_stored.npz", bytes(stored))
    put("npz", "ok_compressed.npz", bytes(comp))
    eocd = stored.rfind(b"PK\x05\x06")
    cds = find_all(stored, b"PK\x01\x02")
    locs = find_all(stored, b"PK\x03\x04")

    def patched(data, off, fmt, value):
        d = bytearray(data)
        struct.pack_into(fmt, d, off, value)
        return bytes(d)

    put("npz", "bad_empty.npz", b"")
    put("npz", "bad_pk_only.npz", b"PK\x03\x04")
    for cut in (10, 30, 60, len(stored) // 2, eocd + 4, len(stored) - 1):
        put("npz", "bad_cut_%05d.npz" % cut, bytes(stored[:cut]))
    put("npz", "bad_eocd_entries_huge.npz", patched(patched(stored, eocd + 8, "<H", 0xFFFE), eocd + 10, "<H", 0xFFFE))
    put("npz", "bad_eocd_counts_differ.npz", patched(stored, eocd + 8, "<H", 1))
    put("npz", "bad_cd_offset_outside.npz", patched(stored, eocd + 16, "<I", 0x7FFFFFF0))
    put("npz", "bad_cd_size_huge.npz", patched(stored, eocd + 12, "<I", 0x7FFFFFF0))
    put("npz", "bad_multi_disk.npz", patched(stored, eocd + 4, "<H", 1))
    put("npz", "bad_needs_zip64.npz", patched(stored, eocd + 16, "<I", 0xFFFFFFFF))
    put("npz", "bad_local_offset_outside.npz", patched(stored, cds[0] + 42, "<I", 0x7FFFFF00))
    put("npz", "bad_local_sig.npz", patched(stored, locs[0], "<I", 0x12345678))
    put("npz", "bad_central_sig.npz", patched(stored, cds[1], "<I", 0x12345678))
    put("npz", "bad_name_len_lies.npz", patched(stored, cds[0] + 28, "<H", 0xFFFF))
    put("npz", "bad_method_bzip2.npz", patched(stored, cds[0] + 10, "<H", 12))
    put("npz", "bad_encrypted.npz", patched(stored, cds[0] + 8, "<H", 1))
    put("npz", "bad_name_not_utf8.npz", patched(stored, cds[0] + 46, "<B", 0xFF))
    # a stored member whose sizes disagree
    d = bytearray(stored)
    struct.pack_into("<I", d, cds[0] + 20, 0xFFFFFFFF)  # csize -> zip64 extra (absent)
    put("npz", "bad_zip64_extra_missing.npz", bytes(d))
    # npy header inside a member: break the dict
    i = stored.find(b"{'descr'")
    d = bytearray(stored)
    d[i] = ord("[")
    put("npz", "bad_member_npy_header.npz", bytes(d))
    i = stored.find(b"'shape': (3, 4)")
    d = bytearray(stored)
    d[i + 10:i + 16] = b"(9, 4)"
    put("npz", "bad_member_shape_lies.npz", bytes(d))
    # stored data flipped: headers fine, CRC fails on read
    i = stored.find(b"\x00\x00\x80\x3f")  # 1.0f in w
    d = bytearray(stored)
    d[i + 3] ^= 0x40
    put("npz", "badread_crc_stored.npz", bytes(d))
    # deflated: lying sizes, garbage data, a bomb claim
    ccds = find_all(comp, b"PK\x01\x02")
    clocs = find_all(comp, b"PK\x03\x04")
    put("npz", "bad_bomb_claim.npz", patched(comp, ccds[0] + 24, "<I", 0x7FFFFFFF))
    put("npz", "bad_usize_lies.npz", patched(comp, ccds[0] + 24, "<I", struct.unpack_from("<I", comp, ccds[0] + 24)[0] + 4))
    d = bytearray(comp)
    nlen, xlen = struct.unpack_from("<HH", d, clocs[0] + 26)
    start = clocs[0] + 30 + nlen + xlen
    for k in range(start + 2, start + 40):
        d[k] ^= 0xA5
    put("npz", "bad_deflate_garbage.npz", bytes(d))
    d = bytearray(comp)
    struct.pack_into("<I", d, ccds[0] + 16, struct.unpack_from("<I", d, ccds[0] + 16)[0] ^ 1)
    put("npz", "badread_crc_deflated.npz", bytes(d))
    # zip64 locator pointing outside
    z = io.BytesIO()
    old = zipfile.ZIP64_LIMIT, zipfile.ZIP_FILECOUNT_LIMIT
    zipfile.ZIP64_LIMIT, zipfile.ZIP_FILECOUNT_LIMIT = 16, 1
    try:
        with zipfile.ZipFile(z, "w", zipfile.ZIP_STORED) as zf:
            b = io.BytesIO()
            np.save(b, arrs["w"])
            zf.writestr(zinfo("w.npy", zipfile.ZIP_STORED), b.getvalue())
    finally:
        zipfile.ZIP64_LIMIT, zipfile.ZIP_FILECOUNT_LIMIT = old
    z64 = bytearray(z.getvalue())
    put("npz", "ok_zip64.npz", bytes(z64))
    loc = z64.rfind(b"PK\x06\x07")
    put("npz", "bad_zip64_locator_outside.npz", patched(z64, loc + 8, "<Q", 2**63))
    e64 = z64.rfind(b"PK\x06\x06")
    put("npz", "bad_zip64_entries_huge.npz", patched(patched(z64, e64 + 24, "<Q", 2**60), e64 + 32, "<Q", 2**60))
    put("npz", "bad_zip64_cd_outside.npz", patched(z64, e64 + 48, "<Q", 2**62))
    # awkward but fine
    put("npz", "ok_nan.npz", bytes(npz_bytes({"n": np.array([np.nan, np.inf, -np.inf, 0], dtype=np.float32)}, True)))
    put("npz", "ok_empty_arrays.npz", bytes(npz_bytes({"e": np.zeros((0, 5), np.float32), "s": np.float32(2.5)}, False)))
    zz = io.BytesIO()
    with zipfile.ZipFile(zz, "w") as zf:
        zf.writestr(zinfo("notes.txt"), "hello")
        zf.writestr(zinfo("dir/", zipfile.ZIP_STORED), "")
    put("npz", "ok_no_arrays.npz", zz.getvalue())
    put("npz", "ok_no_members.npz", bytes(npz_bytes({}, False)))


# --- sharded safetensors ---------------------------------------------------------------------

def shard_case(name, index, shards):
    d = os.path.join(HERE, "shards", name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "model.safetensors.index.json"), "wb") as f:
        f.write(index if isinstance(index, bytes) else json.dumps(index).encode())
    for fname, data in shards.items():
        with open(os.path.join(d, fname), "wb") as f:
            f.write(data)


def shards_corpus():
    shutil.rmtree(os.path.join(HERE, "shards"), ignore_errors=True)
    a = np.arange(4, dtype=np.float32)
    s1 = G.safetensors_bytes([("a", "F32", a)])
    s2 = G.safetensors_bytes([("b", "F32", a * 2)])
    good = {"weight_map": {"a": "s1.safetensors", "b": "s2.safetensors"}}
    files = {"s1.safetensors": s1, "s2.safetensors": s2}
    shard_case("ok_two", good, files)
    shard_case("bad_not_json", b"{\"weight_map\": {\"a\": ", files)
    shard_case("bad_empty_index", b"", files)
    shard_case("bad_no_weight_map", {"metadata": {}}, files)
    shard_case("bad_weight_map_list", {"weight_map": ["a"]}, files)
    shard_case("bad_weight_map_number", {"weight_map": {"a": 5}}, files)
    shard_case("bad_weight_map_empty", {"weight_map": {}}, files)
    shard_case("bad_missing_shard", {"weight_map": {"a": "s1.safetensors", "b": "gone.safetensors"}}, files)
    shard_case("bad_escape", {"weight_map": {"a": "../../../../../../etc/hostname"}}, files)
    shard_case("bad_absolute", {"weight_map": {"a": "/etc/hostname"}}, files)
    # a NUL ends the name in C: it must not open s1.safetensors
    shard_case("bad_nul_name", {"weight_map": {"a": "s1.safetensors\u0000x"}}, files)
    shard_case("bad_not_in_shard", {"weight_map": {"a": "s1.safetensors", "zz": "s1.safetensors"}}, files)
    shard_case("bad_wrong_shard", {"weight_map": {"a": "s2.safetensors", "b": "s2.safetensors"}}, files)
    shard_case("bad_duplicate_across", {"weight_map": {"a": "s1.safetensors", "b": "s2.safetensors"}},
               {"s1.safetensors": s1, "s2.safetensors": G.safetensors_bytes([("b", "F32", a), ("a", "F32", a)])})
    shard_case("bad_shard_corrupt", good, {"s1.safetensors": s1[:-3], "s2.safetensors": s2})
    shard_case("bad_shard_empty", good, {"s1.safetensors": b"", "s2.safetensors": s2})
    shard_case("bad_deep_json", b"[" * 5000 + b"]" * 5000, files)
    shard_case("bad_duplicate_key", b'{"weight_map": {"a": "s1.safetensors", "a": "s1.safetensors"}}', files)
    shard_case("ok_extra_tensor", {"weight_map": {"a": "s1.safetensors"}},
               {"s1.safetensors": G.safetensors_bytes([("a", "F32", a), ("x", "F32", a)])})
    shard_case("ok_nan", {"weight_map": {"n": "s.safetensors"}},
               {"s.safetensors": G.safetensors_bytes([("n", "F32", np.array([np.nan, np.inf], np.float32))])})


# --- text ------------------------------------------------------------------------------------

def text_corpus():
    t = {
        "bad_ragged.txt": b"1 2 3\n4 5\n",
        "bad_word.txt": b"1 2\nx 4\n",
        "bad_nul.txt": b"1 2\x00 3\n",
        "bad_binary.txt": bytes(range(256)),
        "bad_long_token.txt": b"1" * 500 + b"\n",
        "bad_overflow.txt": b"1e39\n",
        "bad_neg_overflow.txt": b"-1e400\n",
        "bad_empty.txt": b"",
        "bad_only_comments.txt": b"# a\n#b\n",
        "bad_only_commas.csv": b",,,\n",
        "bad_leading_comma.csv": b",1,2\n",
        "bad_utf8_junk.txt": "1 2 \u00e9\n".encode(),
        "bad_hex_junk.txt": b"0x1p+ 2\n",
        "ok_nan_inf.txt": b"nan inf -inf -0 1e-46\n",
        "ok_long_line.txt": (" ".join(str(i) for i in range(5000)) + "\n").encode(),
        "ok_many_rows.csv": b"".join(b"%d,%d\n" % (i, -i) for i in range(5000)),
        "ok_no_newline.txt": b"1 2 3",
        "ok_tabs_crlf.tsv": b"1\t2\r\n3\t4\r\n",
    }
    for name, data in t.items():
        put("text", name, data)


def zinfo(name, compress=zipfile.ZIP_DEFLATED):
    """A zip entry with a fixed date, so the archive is the same every run."""
    zi = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    zi.compress_type = compress
    return zi


def main():
    for sub in ("gguf", "npz", "text"):
        shutil.rmtree(os.path.join(HERE, sub), ignore_errors=True)
    gguf_corpus()
    npz_corpus()
    shards_corpus()
    text_corpus()


if __name__ == "__main__":
    main()
