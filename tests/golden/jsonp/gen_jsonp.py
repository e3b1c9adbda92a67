#!/usr/bin/python3
"""gen_jsonp.py — golden cases for qlens's JSON parser (src/io/jsonp.c) and
the safetensors header reader built on it (tests/test_jsonp.c).

    /usr/bin/python3 tests/golden/jsonp/gen_jsonp.py

The reference is Python's json module (json.loads on the UTF-8 bytes);
nothing here uses qlens code. Two files, one case per line, fields split by
tabs:

  values.txt     INPUT_HEX  PYTHON  WANT  CANON
      PYTHON: what Python does: ok, error (JSONDecodeError or
              UnicodeDecodeError), nonfinite (it takes NaN/Infinity),
              surrogate (it makes a str with a lone surrogate), deep
              (RecursionError), or ok-deep (accepts nesting deeper than
              qlens's limit of 512).
      WANT:   ok or reject: what qlens must do. qlens follows Python except
              for the documented differences (nonfinite, surrogate, deep,
              ok-deep are rejected).
      CANON:  for ok, the value in a canonical form both sides print:
              strings as s:HEX of their UTF-8, integers in int64 as i:N,
              larger ones as b:DIGITS, reals as r:%.17g, t f n, arrays
              [a,b], objects {KEY:VALUE,...} in file order.
  headers.txt    HEADER_HEX  WANT  DETAIL  DATA_BYTES
      a whole safetensors header (the file is 8 bytes of length, the
      header, and DATA_BYTES of data: see test_jsonp.c).
      WANT ok: DETAIL is the tensor names (hex) in data order, ';', and the
      __metadata__ pairs KEYHEX=VALHEX in file order, ',' between.
      WANT error: DETAIL is a substring of qlens's message.
"""
import json
import math
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


class Dup(Exception):
    pass


def pairs_nodup(pairs):
    keys = [k for k, _ in pairs]
    if len(set(keys)) != len(keys):
        raise Dup()
    return pairs


def canon(v):
    if isinstance(v, bool) or v is None:
        return {True: "t", False: "f", None: "n"}[v]
    if isinstance(v, int):
        return ("i:%d" if -2 ** 63 <= v < 2 ** 63 else "b:%d") % v
    if isinstance(v, float):
        return "r:%.17g" % v
    if isinstance(v, str):
        return "s:" + v.encode("utf-8").hex()
    if isinstance(v, Obj):
        return "{" + ",".join(canon(k) + ":" + canon(x) for k, x in v.pairs) + "}"
    return "[" + ",".join(canon(x) for x in v) + "]"


class Obj:
    def __init__(self, pairs):
        self.pairs = pairs


def depth(v):
    if isinstance(v, Obj):
        return 1 + max([depth(x) for _, x in v.pairs], default=0)
    if isinstance(v, list):
        return 1 + max([depth(x) for x in v], default=0)
    return 0


def has_surrogate(v):
    if isinstance(v, str):
        return any(0xd800 <= ord(c) <= 0xdfff for c in v)
    if isinstance(v, Obj):
        return any(has_surrogate(k) or has_surrogate(x) for k, x in v.pairs)
    if isinstance(v, list):
        return any(has_surrogate(x) for x in v)
    return False


def python_verdict(b):
    nonfinite = []

    def const(name):
        nonfinite.append(name)
        return float(name.replace("Infinity", "inf"))
    try:
        v = json.loads(b, object_pairs_hook=Obj, parse_constant=const)
    except RecursionError:
        return "deep", None
    except (ValueError, UnicodeDecodeError):
        return "error", None
    if nonfinite:
        return "nonfinite", None
    if has_surrogate(v):
        return "surrogate", None
    if depth(v) > 512:
        return "ok-deep", None
    return "ok", v


VALUES = [
    # literals and structures
    b"true", b"false", b"null", b"tru", b"nul", b"True", b"{}", b"[]", b"[[]]", b'{"a":{}}',
    b' \t\r\n{"a" : [ 1 , 2 ] } \n', b"", b"   ", b"{", b"[", b"}", b"]", b"{]", b"[}",
    b"[1,]", b'{"a":1,}', b'{"a" 1}', b'{"a":1 "b":2}', b"[1 2]", b'{a:1}', b"{'a':1}",
    b'{"a":1}}', b"{} x", b"[] []", b"/* c */ {}", b'{"a":1}//', b"{1:2}", b'{"a"}',
    b'{"a":1,"a":2}',  # duplicates: the parser passes them to its caller
    # strings and escapes
    b'""', b'"abc"', b'"\\"\\\\\\/\\b\\f\\n\\r\\t"', b'"\\u00e9\\u20AC\\u0041"', b'"\\ud83d\\ude00"',
    b'"\\uD834\\uDD1E"', b'"\\u0000"', b'"a\\u0000b"', b'"\\ud800"', b'"\\udc00"', b'"\\ud800x"',
    b'"\\ud800\\u0041"', b'"\\ud800\\ud800"', b'"\\udc00\\ud800"', b'"\\u12"', b'"\\u12g4"',
    b'"\\x41"', b"\"\\'\"", b'"\\', b'"abc', b'"a\tb"', b'"a\nb"', b'"a\x01b"', b'"a\x7fb"',
    '"é€😀"'.encode(), b'"\\u00"', b'"\\U00e9"', b'"\\ u0041"',
    b'"\\ud83d\\ude00\\ud83d"',
    # numbers
    b"0", b"-0", b"1", b"-1", b"123", b"9223372036854775807", b"9223372036854775808",
    b"-9223372036854775808", b"-9223372036854775809", b"18446744073709551616",
    b"1" * 400, b"-" + b"9" * 30, b"1.5", b"-0.0", b"0.0", b"1e2", b"1E+2", b"1e-2", b"2.5e-3",
    b"1e400", b"-1e400", b"1e-400", b"4.9e-324", b"2.2250738585072014e-308", b"0.1",
    b"01", b"-01", b"00", b"1.", b".5", b"+1", b"-", b"1e", b"1e+", b"1.e5", b"--1", b"1.5.2",
    b"0x10", b"1_000", b"[-]", b"[1e]",
    b"NaN", b"Infinity", b"-Infinity", b"[NaN]", b"nan", b"inf",
    # non-UTF-8 (Python refuses to decode; qlens's callers check UTF-8
    # first, so the parser alone must still not read past the text)
    b'"\xff"', b'"\xc0\xaf"', b'"\xed\xa0\x80"',
    # depth
    b"[" * 100 + b"]" * 100, b"[" * 512 + b"]" * 512, b"[" * 513 + b"]" * 513,
    b"[" * 600 + b"]" * 600, b"[" * 5000 + b"]" * 5000, b'{"a":' * 300 + b"1" + b"}" * 300,
    b"[" * 50,
]
# long strings: the scanner reads eight bytes at a time, so a special byte
# at every position of a word, and the bytes around the special ranges
for pos in range(0, 18):
    pre = b"abcdefghijklmnopqrstuvwxyz"[:pos]
    VALUES += [b'"' + pre + b'\x1f' + b"tail5678"[:pos % 9] + b'"',
               b'"' + pre + b"\\n" + b"tail5678" + b'"',
               b'"' + pre + b'"' + b"x",
               b'"' + pre + b" \x7f!#[]" + '\u00e9\u20ac'.encode() + b'"',
               b'"' + pre + b"\x00" + b"zzzzzzzz" + b'"',
               b'"' + pre + b"\\u0041" + b'"']


def want_of(verdict, b):
    # Bytes that are not strict UTF-8 (Python refuses most; an encoded
    # surrogate it lets through, decoding with 'surrogatepass'): the
    # byte-level parser leaves them to its callers, which check UTF-8 first
    # (headers.txt has those cases through the whole reader).
    try:
        b.decode("utf-8")
    except UnicodeDecodeError:
        return "utf8"
    return "ok" if verdict == "ok" else "reject"


def values():
    out = []
    for b in VALUES:
        verdict, v = python_verdict(b)
        want = want_of(verdict, b)
        out.append("%s\t%s\t%s\t%s" % (b.hex() or "-", verdict, want, canon(v) if want == "ok" else "-"))
    with open(os.path.join(HERE, "values.txt"), "w") as f:
        f.write("# made by gen_jsonp.py: INPUT_HEX PYTHON WANT CANON\n")
        f.write("\n".join(out) + "\n")
    return len(out)


# --- whole safetensors headers ------------------------------------------------

DSIZE = {"F32": 4, "F16": 2, "BF16": 2, "I8": 1, "U8": 1, "F64": 8, "I64": 8, "I32": 4}


def header_expect(h):
    """What qlens must say of header h (bytes): ('ok', detail) or
    ('error', substring). Rules: the safetensors reference's (UTF-8, starts
    with '{', object, entries dtype/shape/data_offsets, contiguous data)
    plus qlens's documented choices (duplicate keys rejected at the top, in
    an entry's three fields and in __metadata__; NUL in a name or metadata
    rejected; nesting over 512 rejected)."""
    try:
        h.decode("utf-8")
    except UnicodeDecodeError:
        return "error", "not valid UTF-8"
    if not h.startswith(b"{"):
        return "error", "does not start with '{'"
    verdict, v = python_verdict(h)
    if verdict == "error":
        return "error", "not valid JSON"
    if verdict in ("nonfinite", "surrogate", "ok-deep", "deep"):
        return "error", "not valid JSON"
    if not isinstance(v, Obj):
        return "error", "not valid JSON"
    keys = [k for k, _ in v.pairs]
    if len(set(keys)) != len(keys):
        return "error", "duplicate key"
    names, meta, spans = [], [], []
    for k, e in v.pairs:
        if k == "__metadata__":
            if e is None:
                continue
            if not isinstance(e, Obj):
                return "error", "is not an object"
            mk = [a for a, _ in e.pairs]
            for a, b in e.pairs:
                if not isinstance(b, str):
                    return "error", "is not a string"
                if "\0" in a or "\0" in b:
                    return "error", "NUL"
                meta.append((a, b))
            if len(set(mk)) != len(mk):
                return "error", "duplicate key"
            continue
        if len(k.encode()) > 255:
            return "error", "longer than 255 bytes"
        if "\0" in k:
            return "error", "NUL"
        if not isinstance(e, Obj):
            return "error", "is not an object"
        fk = [a for a, _ in e.pairs if a in ("dtype", "shape", "data_offsets")]
        if len(set(fk)) != len(fk):
            return "error", "duplicate key"
        d = dict(e.pairs)
        for f in ("dtype", "shape", "data_offsets"):
            if f not in d:
                return "error", 'missing "%s"' % f
        if not isinstance(d["dtype"], str):
            return "error", '"dtype" is not a string'
        if d["dtype"] not in DSIZE:
            return "error", "unknown dtype"
        if not isinstance(d["shape"], list):
            return "error", '"shape" is not an array'
        if len(d["shape"]) > 8:
            return "error", "dimensions"
        for x in d["shape"]:
            if not (isinstance(x, int) and not isinstance(x, bool) and 0 <= x < 2 ** 63):
                return "error", "is not a non-negative integer"
        o = d["data_offsets"]
        if not (isinstance(o, list) and len(o) == 2 and
                all(isinstance(x, int) and not isinstance(x, bool) and 0 <= x < 2 ** 63 for x in o)):
            return "error", "is not [BEGIN, END]"
        n = DSIZE[d["dtype"]]
        for x in d["shape"]:
            n *= x
        if o[1] - o[0] != n:
            return "error", "data_offsets span"
        names.append(k)
        spans.append((o[0], o[1], k))
    spans.sort(key=lambda s: (s[0], s[1], s[2].encode()))
    pos = 0
    for b, e, k in spans:
        if b != pos:
            return "error", "overlaps" if b < pos else "gap"
        pos = e
    detail = ",".join(s[2].encode().hex() for s in spans) + ";" + \
        ",".join(a.encode().hex() + "=" + b.encode().hex() for a, b in meta)
    return "ok", detail, pos


def T(dtype="U8", shape="[1]", offs="[0,1]", extra=""):
    return ('{"dtype":"%s","shape":%s,"data_offsets":%s%s}' % (dtype, shape, offs, extra)).encode()


HEADERS = [
    b'{"a":' + T() + b'}',
    b'{"a":' + T() + b',"__metadata__":{"format":"pt","k\\u00e9":"v\\n\\"q\\""}}',
    b'{"__metadata__":null,"a":' + T() + b'}',
    b'{"a\\u002eb":' + T() + b'}',                                   # escaped name
    b'{"\\ud83d\\ude00":' + T() + b'}',                              # pair in a name
    '{"é€":'.encode() + T() + b'}',                                  # raw UTF-8 name
    b'{"\\ud800":' + T() + b'}',                                     # lone surrogate
    b'{"a\\u0000":' + T() + b'}',                                    # NUL in a name
    b'{"a":' + T() + b',"__metadata__":{"k":"\\u0000"}}',           # NUL in metadata
    b'{"a":' + T() + b',"a":' + T() + b'}',                          # duplicate tensor
    b'{"a":' + T() + b',"\\u0061":' + T() + b'}',                    # the same, escaped
    b'{"a":' + T(extra=',"dtype":"U8"') + b'}',                      # duplicate field
    b'{"a":' + T() + b',"__metadata__":{"k":"1","k":"2"}}',          # duplicate metadata key
    b'{"a":' + T() + b',"__metadata__":{},"__metadata__":{}}',
    b'{"a":' + T(extra=',"x":{"y":[1,2,{"z":null}],"w":1.5e300}') + b'}',  # unknown keys skipped
    b'{"a":' + T(extra=',"x":' + "[" * 600 + "]" * 600) + b'}',    # too deep inside
    b'{"a":' + T(extra=',"x":' + "[" * 500 + "]" * 500) + b'}',    # deep, allowed
    b'{"a":' + T(extra=',"x":NaN') + b'}',
    b'{"a":' + T(extra=',"x":99999999999999999999999') + b'}',       # big int, ignored
    b'{"a":' + T(shape="[-0]", offs="[0,0]") + b'}',                 # -0 is 0
    b'{"a":' + T(shape="[9223372036854775808]") + b'}',              # out of range
    b'{"a":' + T(shape="[1.0]") + b'}',
    b'{"a":' + T(shape="[1e0]") + b'}',
    b'{"a":' + T(shape="[true]") + b'}',
    b'{"a":' + T(offs="[0,1,2]") + b'}',
    b'{"a":' + T(offs="[0]") + b'}',
    b'{"a":' + T(offs='[0,"1"]') + b'}',
    b'{"a":' + T() + b'} x',                                         # trailing garbage
    b'{"a":' + T() + b'}}',
    b'{"a":' + T() + b'}' + b" " * 7,                                 # padding
    b'{"a":' + T() + b'}\n\t\r ',
    b'{"a":' + T(),                                                   # truncated
    b'{"a":' + T()[:-5],
    b'{"a":' + T()[:20],
    b'{"a',
    b'{',
    b' {"a":' + T() + b'}',
    b'{"a\xff":' + T() + b'}',                                       # non-UTF-8
    b'{"a\xed\xa0\x80":' + T() + b'}',                               # encoded surrogate
    b'{"a\xc0\xaf":' + T() + b'}',                                   # overlong
    b'{"a\xf4\x90\x80\x80":' + T() + b'}',                           # above U+10FFFF
    b'{"a":' + T() + b',"b\\"c":' + T(offs="[1,2]") + b'}',          # data order
    b'{"b":' + T(offs="[1,2]") + b',"a":' + T() + b'}',
    b'{"a":' + T(dtype="F\\u0033\\u0032", shape="[1]", offs="[0,4]") + b'}',  # escaped dtype
    b'{"a":' + T(extra=',"shape":[1]') + b'}',
    b'{"a":[]}', b'{"a":"x"}', b'{"a":{}}',
    b'{"a":' + T() + b',"__metadata__":{"k":1}}',
    b'{"a":' + T() + b',"__metadata__":[]}',
    b'{"a":' + T() + b',"__metadata__":{"k":"a\\ud800"}}',
    b'{"' + b"n" * 255 + b'":' + T() + b'}',                          # longest name
    b'{"' + b"n" * 256 + b'":' + T() + b'}',
    b'{"' + b"\\u00e9" * 128 + b'":' + T() + b'}',                    # 256 bytes decoded
    b'{"' + b"\\u00e9" * 127 + b'":' + T() + b'}',
]


def headers():
    out = []
    for h in HEADERS:
        r = header_expect(h)
        out.append("%s\t%s\t%s\t%d" % (h.hex(), r[0], r[1], r[2] if len(r) > 2 else 0))
    with open(os.path.join(HERE, "headers.txt"), "w") as f:
        f.write("# made by gen_jsonp.py: HEADER_HEX WANT DETAIL DATA_BYTES\n")
        f.write("\n".join(out) + "\n")
    return len(out)


if __name__ == "__main__":
    sys.setrecursionlimit(3000)  # Python's default; 5000 levels still recurse too deep
    print("values.txt: %d cases, headers.txt: %d cases" % (values(), headers()))
