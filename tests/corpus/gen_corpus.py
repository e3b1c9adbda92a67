#!/usr/bin/python3
"""Malformed .npy and .safetensors files, each with the error qlens must give.

Run from the repository root:  /usr/bin/python3 tests/corpus/gen_corpus.py

Writes tests/corpus/bad_*.npy, bad_*.safetensors and MANIFEST (one line per
file: NAME<TAB>a substring the one-line error must contain). The suites
tests/test_npy.c and tests/test_safetensors.c open each file and check that
opening fails cleanly with that message, prefixed by the file's path.
Truncations at every length of valid files are made inside the tests.
"""
import json
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
cases = []


def put(name, data, expect):
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)
    cases.append((name, expect))


def npy(header, data=b"", version=(1, 0), raw_len=None):
    h = header.encode("latin1") if isinstance(header, str) else header
    pre = 10 if version[0] == 1 else 12
    total = pre + len(h) + 1
    h += b" " * ((64 - total % 64) % 64) + b"\n"
    n = len(h) if raw_len is None else raw_len
    if version[0] == 1:
        ln = struct.pack("<H", n)
    else:
        ln = struct.pack("<I", n)
    return b"\x93NUMPY" + bytes(version) + ln + h + data


def hdr(descr="'<f4'", fortran="False", shape="(2,)"):
    return "{'descr': %s, 'fortran_order': %s, 'shape': %s, }" % (descr, fortran, shape)


F2 = struct.pack("<2f", 1.0, 2.0)

# ---- .npy ----
put("bad_empty.npy", b"", "file is empty")
put("bad_magic.npy", b"\x93NUMPX\x01\x00\x10\x00" + b"\x00" * 40, "not a tensor file")
put("bad_preamble.npy", b"\x93NUMPY\x01", "preamble is truncated")
put("bad_version.npy", npy(hdr(), F2, version=(4, 0)), "version 4.0 is not supported")
put("bad_minor.npy", npy(hdr(), F2, version=(1, 1)), "version 1.1 is not supported")
put("bad_hlen.npy", npy(hdr(), F2, raw_len=60000), "header is truncated")
put("bad_hlen_v2.npy", npy(hdr(), F2, version=(2, 0), raw_len=0xFFFFFFF0), "header is truncated")
put("bad_notdict.npy", npy("[1, 2]", F2), "not a dict")
put("bad_nokey.npy", npy("{'descr': '<f4', 'fortran_order': False}", F2), "lacks the key 'shape'")
put("bad_extrakey.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}", F2),
    "unexpected key 'x'")
put("bad_dupkey.npy", npy("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2,)}", F2),
    "appears twice")
put("bad_object.npy", npy(hdr(descr="'|O'"), b"\x80\x04" * 8), "object arrays are not supported")
put("bad_struct.npy", npy(hdr(descr="[('a', '<f4'), ('b', '<i4')]"), F2), "structured dtypes")
put("bad_complex.npy", npy(hdr(descr="'<c8'", shape="(1,)"), F2), "complex")
put("bad_string.npy", npy(hdr(descr="'<U4'"), b"\x00" * 32), "string arrays")
put("bad_datetime.npy", npy(hdr(descr="'<M8[ns]'", shape="(1,)"), b"\x00" * 8), "datetime")
put("bad_f16.npy", npy(hdr(descr="'<f16'", shape="(1,)"), b"\x00" * 16), "unsupported npy dtype")
put("bad_noorder.npy", npy(hdr(descr="'f4'"), F2), "no byte order")
put("bad_pipe.npy", npy(hdr(descr="'|f4'"), F2), "lacks a byte order")
put("bad_shape_int.npy", npy(hdr(shape="(2)"), F2), "must be a tuple")
put("bad_shape_list.npy", npy(hdr(shape="[2]"), F2), "must be a tuple")
put("bad_shape_neg.npy", npy(hdr(shape="(-2,)"), F2), "negative dimension")
put("bad_shape_float.npy", npy(hdr(shape="(2.0,)"), F2), "expected ',' or ')'")
put("bad_shape_9d.npy", npy(hdr(shape="(1,1,1,1,1,1,1,1,2)"), F2), "more than 8 dimensions")
put("bad_shape_hugedim.npy", npy(hdr(shape="(99999999999999999999,)"), F2), "too large")
put("bad_shape_overflow.npy", npy(hdr(shape="(4294967296, 4294967296)"), F2),
    "more elements than fit")
put("bad_bytes_overflow.npy", npy(hdr(descr="'<f8'", shape="(2147483648, 2147483648)"), F2),
    "byte count overflows")
put("bad_huge.npy", npy(hdr(shape="(1000000000,)"), F2), "data is truncated")
put("bad_truncated.npy", npy(hdr(shape="(3,)"), F2), "data is truncated")
put("bad_trailing.npy", npy(hdr(shape="(1,)"), F2), "bytes after the array")
put("bad_fortran.npy", npy(hdr(fortran="'yes'"), F2), "True or False")
put("bad_fortran_word.npy", npy(hdr(fortran="Truer"), F2), "True or False")
put("bad_latin1.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), } \xe9", F2),
    "not printable ASCII")
put("bad_nul.npy", npy("{'descr': '<f4',\x00 'fortran_order': False, 'shape': (2,), }", F2),
    "not printable ASCII")
put("bad_unterminated.npy", npy("{'descr': '<f4", F2), "unterminated string")
put("bad_quote.npy", npy("{'descr': '<f4, 'fortran_order': False, 'shape': (2,)}", F2),
    "unsupported npy dtype")
put("bad_unclosed.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), ", F2),
    "dict is not closed")
put("bad_after.npy", npy(hdr() + " 42", F2), "unexpected text after the dict")
put("bad_escape.npy", npy(hdr(descr="'<f\\x34'"), F2), "escape sequences")
put("bad_colon.npy", npy("{'descr' '<f4', 'fortran_order': False, 'shape': (2,)}", F2),
    "expected ':'")

# ---- .safetensors ----


def st(header, data=b"", raw_len=None, pad=True):
    h = header if isinstance(header, bytes) else json.dumps(header).encode()
    if pad:
        h += b" " * ((8 - len(h) % 8) % 8)
    n = len(h) if raw_len is None else raw_len
    return struct.pack("<Q", n) + h + data


def t(dtype="F32", shape=(2,), offs=(0, 8)):
    return {"dtype": dtype, "shape": list(shape), "data_offsets": list(offs)}


D8 = struct.pack("<2f", 1.0, 2.0)
put("bad_short.safetensors", b"\x10\x00\x00", "shorter than its 8-byte header length")
put("bad_toolarge.safetensors", struct.pack("<Q", 100000001) + b"{}", "over the 100 MB limit")
put("bad_hugelen.safetensors", struct.pack("<Q", 2 ** 64 - 1) + b"{}", "over the 100 MB limit")
put("bad_hlen.safetensors", st({"a": t()}, D8, raw_len=4096), "header is truncated")
put("bad_utf8.safetensors", st(b'{"a\xff": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}', D8),
    "not valid UTF-8")
put("bad_overlong.safetensors", st(b'{"\xc0\xaf": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}', D8),
    "not valid UTF-8")
put("bad_start.safetensors", st(b' {"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}', D8),
    "does not start with '{'")
put("bad_array.safetensors", st(b"[1, 2]", b""), "does not start with '{'")
put("bad_json.safetensors", st(b'{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]', D8),
    "not valid JSON")
put("bad_json_trailing.safetensors", st(b'{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}} x', D8),
    "not valid JSON")
put("bad_dupkey.safetensors",
    st(b'{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, '
       b'"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}', D8), "not valid JSON")
put("bad_dtype.safetensors", st({"a": t(dtype="F7")}, D8), "unknown dtype")
put("bad_dtype_case.safetensors", st({"a": t(dtype="f32")}, D8), "unknown dtype")
put("bad_dtype_num.safetensors", st({"a": {"dtype": 7, "shape": [2], "data_offsets": [0, 8]}}, D8),
    "\"dtype\" is not a string")
put("bad_nodtype.safetensors", st({"a": {"shape": [2], "data_offsets": [0, 8]}}, D8),
    "missing \"dtype\"")
put("bad_noshape.safetensors", st({"a": {"dtype": "F32", "data_offsets": [0, 8]}}, D8),
    "missing \"shape\"")
put("bad_nooffsets.safetensors", st({"a": {"dtype": "F32", "shape": [2]}}, D8),
    "missing \"data_offsets\"")
put("bad_entry.safetensors", st({"a": [1, 2]}, D8), "is not an object")
put("bad_shape_neg.safetensors", st({"a": t(shape=(-2,))}, D8), "not a non-negative integer")
put("bad_shape_float.safetensors", st({"a": t(shape=(2.0,))}, D8), "not a non-negative integer")
put("bad_shape_str.safetensors", st({"a": {"dtype": "F32", "shape": "2", "data_offsets": [0, 8]}}, D8),
    "\"shape\" is not an array")
put("bad_shape_9d.safetensors", st({"a": t(shape=(1,) * 8 + (2,))}, D8), "dimensions")
put("bad_shape_overflow.safetensors", st({"a": t(shape=(2 ** 62, 2 ** 62))}, D8), "shape overflows")
put("bad_size_overflow.safetensors", st({"a": t(dtype="F64", shape=(2 ** 60, 1))}, D8),
    "size overflows")
put("bad_offsets_len.safetensors", st({"a": t(offs=(0, 8, 16))}, D8), "is not [BEGIN, END]")
put("bad_offsets_neg.safetensors", st({"a": t(offs=(-8, 0))}, D8), "is not [BEGIN, END]")
put("bad_offsets_rev.safetensors", st({"a": t(offs=(8, 0))}, D8), "end before they begin")
put("bad_nbytes.safetensors", st({"a": t(shape=(3,))}, D8), "data_offsets span 8 bytes")
put("bad_overlap.safetensors", st({"a": t(), "b": t(offs=(4, 12))}, D8 + D8[:4]), "overlaps")
put("bad_same.safetensors", st({"a": t(), "b": t()}, D8), "overlaps")
put("bad_gap.safetensors", st({"a": t(), "b": t(offs=(12, 20))}, D8 * 3)[:-4], "gap before its data")
put("bad_start_offset.safetensors", st({"a": t(offs=(4, 12))}, b"\x00" * 4 + D8), "gap before its data")
put("bad_extra_data.safetensors", st({"a": t()}, D8 + b"\x00" * 8), "data section is 16 bytes")
put("bad_truncated.safetensors", st({"a": t(), "b": t(offs=(8, 16))}, D8 + D8[:4]),
    "data section is 12 bytes")
put("bad_beyond.safetensors", st({"a": t(offs=(2 ** 62, 2 ** 62 + 8))}, D8), "gap before its data")
put("bad_meta.safetensors", st({"__metadata__": ["x"], "a": t()}, D8), "\"__metadata__\" is not an object")
put("bad_meta_value.safetensors", st({"__metadata__": {"k": 1}, "a": t()}, D8), "is not a string")
put("bad_longname.safetensors", st({"n" * 300: t()}, D8), "is longer than 255 bytes")
put("bad_sub_byte.safetensors", st({"a": t(dtype="F4", shape=(3,), offs=(0, 2))}, D8[:2]),
    "not a whole number of bytes")

# every case must name an error a file could not silently pass
with open(os.path.join(HERE, "MANIFEST"), "w") as f:
    f.write("# FILE<TAB>substring of the expected error (made by gen_corpus.py)\n")
    for name, expect in cases:
        f.write(f"{name}\t{expect}\n")
print(f"{len(cases)} malformed files in {HERE}")
