#!/usr/bin/python3
"""Golden values for the lesson expressions (tests/test_lesson.c).

Each line: EXPRESSION <TAB> value as a hex float (float.hex), computed here
with PyTorch and NumPy, independently of qlens; then lines "text <TAB> TEXT
<TAB> EXPANDED": lesson text with {=...} and what it must read, the digits
from PyTorch's own format() (tests/lessons.sh takes lesson 1's from here).
Run:
    /usr/bin/python3 tests/golden/gen_lesson.py > tests/golden/lesson.txt
"""
import numpy as np
import torch

rows = []


def add(expr, v):
    rows.append((expr, float(v).hex()))


third = 1 / 3
for t, dt in [("fp32", torch.float32), ("fp16", torch.float16), ("bf16", torch.bfloat16)]:
    add(f"cast({t}, 1/3)", torch.tensor(third, dtype=torch.float64).to(dt).item())
    add(f"cast({t}, 0.1)", torch.tensor(0.1, dtype=torch.float64).to(dt).item())
    fi = torch.finfo(dt)
    add(f"max({t})", fi.max)
    add(f"eps({t})", fi.eps)
    add(f"tiny({t})", fi.tiny)
    add(f"bits({t})", fi.bits)
add("cast(int8, 1/3)", torch.tensor(third).to(torch.int8).item())
add("cast(int8, -2.7)", torch.tensor(-2.7).to(torch.int8).item())
add("cast(fp16, 70000)", torch.tensor(70000.0).to(torch.float16).item())
add("cast(fp16, 65504)", torch.tensor(65504.0).to(torch.float16).item())
add("cast(bf16, 256 + 1)", (torch.tensor(256.0, dtype=torch.bfloat16) + 1).item())
add("cast(bf16, 1e38)", torch.tensor(1e38).to(torch.bfloat16).item())
for t, dt in [("int8", torch.int8), ("uint8", torch.uint8)]:
    ii = torch.iinfo(dt)
    add(f"max({t})", ii.max)
    add(f"min({t})", ii.min)
    add(f"bits({t})", ii.bits)


def qpt(x, s, z, dt):
    return torch.quantize_per_tensor(torch.tensor([x], dtype=torch.float32), s, z, dt).int_repr().item()


add("quant(0.5, 0.01, 3, int8)", qpt(0.5, 0.01, 3, torch.qint8))
add("quant(1/3, 0.01, 0, int8)", qpt(third, 0.01, 0, torch.qint8))
add("quant(0.025, 0.01, 0, int8)", qpt(0.025, 0.01, 0, torch.qint8))   # tie, to even
add("quant(0.035, 0.01, 0, int8)", qpt(0.035, 0.01, 0, torch.qint8))
add("quant(5, 0.01, 0, int8)", qpt(5.0, 0.01, 0, torch.qint8))         # clamps
add("quant(-1, 0.02, 10, uint8)", qpt(-1.0, 0.02, 10, torch.quint8))   # clamps at 0
add("quant(0.7, 0.1, 0, int4)", max(-8, min(7, int(np.rint(np.float32(0.7) * (np.float32(1) / np.float32(0.1)))))))
add("quant(2, 0.1, 0, int4)", 7)
s = torch.tensor(0.01, dtype=torch.float32).item()
add("dequant(53, 0.01, 3)", float(np.float32((np.float32(53) - np.float32(3)) * np.float32(0.01))))
add("symscale(2.54, int8)", float(np.float32(2.54) / np.float32(127)))
obs = torch.ao.quantization.MinMaxObserver(dtype=torch.quint8, qscheme=torch.per_tensor_affine)
obs(torch.tensor([-1.0, 3.0]))
sc, zp = obs.calculate_qparams()
add("ascale(-1, 3, uint8)", sc.item())
add("azp(-1, 3, uint8)", zp.item())
# packing: lowest bits first
codes = [1, 0, 3, 2]
add("pack(2, 1, 0, 3, 2)", sum(c << (2 * i) for i, c in enumerate(codes)))
add("pack(4, -1, 7)", (0xF) | (7 << 4))
add("7e9 * 4 / 2^30", 7e9 * 4 / 2 ** 30)
add("-(2 + 3) * 4 - 1", -21)
add("2^3^1", 8)
add("sqrt(2)", np.sqrt(2))
add("log10(65504)", np.log10(65504))
add("ln(8)", np.log(8))

for e, v in rows:
    print(f"{e}\t{v}")

# Text with {=...} and what it must expand to: PyTorch's own digits.
for t, dt in [("fp32", torch.float32), ("fp16", torch.float16), ("bf16", torch.bfloat16),
              ("int8", torch.int8)]:
    v = torch.tensor(third, dtype=dt) if dt != torch.int8 else torch.tensor(third).to(dt)
    print(f"text\t1/3 as {t} is {{=.60 cast({t}, 1/3)}}.\t1/3 as {t} is {format(v.item(), '0.60f')}.")
print(f"text\tfp64: {{=.60 1/3}}\tfp64: {format(third, '0.60f')}")
print(f"text\t{{=, 7e9}} weights, {{= 7e9*2/1e9}} GB\t{7_000_000_000:,} weights, {7e9*2/1e9:.0f} GB")
print(f"text\tcode {{= quant(0.5, 0.01, 3, int8)}}, eps {{=g3 eps(fp16)}}\tcode "
      f"{qpt(0.5, 0.01, 3, torch.qint8)}, eps {torch.finfo(torch.float16).eps:.3g}")
print(f"text\t{{=exact cast(fp16, 0.1)}}\t{__import__('decimal').Decimal(torch.tensor(0.1, dtype=torch.float16).item())}")
print(f"text\t|{{=,>14 175e9}}|{{=g3>6 0.1234}}|{{=>4 7}}|\t|{175_000_000_000:>14,}|{0.1234:>6.3g}|{7:>4}|")
