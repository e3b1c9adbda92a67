#!/usr/bin/python3
"""gen_tui.py — expected numbers for the screen tests (tests/test_tui.c).

Every value the screen tests look for on the bit explorer and the format
table is computed here by PyTorch (torch 1.13), independently of qlens, and
written to tui.txt as `key<TAB>text` lines. Exact decimals come from
Python's Decimal, which converts a float exactly.

Run with the Debian interpreter that has torch:
    /usr/bin/python3 tests/golden/gen_tui.py > tests/golden/tui.txt
"""
from decimal import Decimal

import torch


def exact(x):
    """Every digit of a double, like ql_decimal_exact ("0.1" -> 55 digits)."""
    s = format(Decimal(float(x)), "f")
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    if s == "-0" or (float(x) == 0 and str(float(x)).startswith("-")):
        return "-0"
    return s


def to(dt, x):
    return torch.tensor([x], dtype=torch.float64).to(dt)


def bits_of(dt, t, fields):
    """The bit cells as the explorer draws them: fields split by one space."""
    width = {torch.float32: 32, torch.float16: 16, torch.bfloat16: 16}[dt]
    ity = {32: torch.int32, 16: torch.int16}[width]
    code = t.view(ity).item() & ((1 << width) - 1)
    b = format(code, "0%db" % width)
    out, at = [], 0
    for n in fields:
        out.append(b[at:at + n])
        at += n
    return " ".join(out), "0x%0*X" % (width // 4, code)


F32, F16, BF16 = torch.float32, torch.float16, torch.bfloat16
FIELDS = {F32: (1, 8, 23), F16: (1, 5, 10), BF16: (1, 8, 7)}
lines = []


def emit(key, text):
    lines.append("%s\t%s" % (key, text))


third = 1.0 / 3.0
emit("input_1_3", exact(third))
for name, dt in (("fp32", F32), ("fp16", F16), ("bf16", BF16)):
    t = to(dt, third)
    cells, hx = bits_of(dt, t, FIELDS[dt])
    emit("%s_1_3_value" % name, exact(t.item()))
    emit("%s_1_3_bits" % name, cells)
    emit("%s_1_3_hex" % name, hx)
emit("fp64_1_3_hex", "0x%016X" % torch.tensor([third], dtype=torch.float64).view(torch.int64).item())
# int8: a cast truncates toward zero
emit("int8_1_3_value", str(int(torch.tensor([third]).to(torch.int8).item())))

# fp16's spacing at 1/3 (the ulp the explorer shows, %.2e)
h = to(F16, third)
# the neighbours in fp16: one more and one less in the code (positive values)
code = h.view(torch.int16).item()
nxt = torch.tensor([code + 1], dtype=torch.int16).view(F16)
prv = torch.tensor([code - 1], dtype=torch.int16).view(F16)
prv2 = torch.tensor([code - 2], dtype=torch.int16).view(F16)
emit("fp16_1_3_ulp", "%.2e" % (nxt.item() - h.item()))
emit("fp16_next", exact(nxt.item()))
emit("fp16_next_hex", "0x%04X" % (code + 1))
emit("fp16_prev", exact(prv.item()))
emit("fp16_prev2", exact(prv2.item()))

# flipping fp16's sign bit: the input becomes -fp16(1/3); bf16 and fp32 of it
neg = -h.item()
emit("flip_sign_fp16", exact(neg))
emit("flip_sign_fp16_bits", bits_of(F16, to(F16, neg), FIELDS[F16])[0])
emit("flip_sign_bf16", exact(to(BF16, neg).item()))
emit("flip_sign_fp32", exact(to(F32, neg).item()))
# flipping fp16's lowest mantissa bit (a click on the last cell)
lo = torch.tensor([code ^ 1], dtype=torch.int16).view(F16)
emit("flip_lsb_fp16", exact(lo.item()))

# 1e-40: an fp32 subnormal with a long exact value ('d' shows every digit)
emit("fp32_1e-40_value", exact(to(F32, 1e-40).item()))

# 0.1
for name, dt in (("fp32", F32), ("fp16", F16), ("bf16", BF16)):
    emit("%s_0_1_value" % name, exact(to(dt, 0.1).item()))

# the format table: finfo as the table prints it (%.3g, or an integer)
def num(v):
    if v == int(v) and abs(v) < 1e6:
        return "%.0f" % v
    return "%.3g" % v


for name, dt in (("fp32", F32), ("fp16", F16), ("bf16", BF16)):
    fi = torch.finfo(dt)
    emit("%s_eps" % name, num(fi.eps))
    emit("%s_max" % name, num(fi.max))
    emit("%s_tiny" % name, num(fi.tiny))
for name, dt in (("int8", torch.int8),):
    ii = torch.iinfo(dt)
    emit("%s_max" % name, num(ii.max))
    emit("%s_min" % name, num(ii.min))

print("\n".join(lines))
