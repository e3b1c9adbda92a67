#!/bin/sh
# cli_bits.sh — `qlens bits` and `qlens dtypes` as a user runs them: the
# notes' 1/3 example to the digit, JSON that parses, exit statuses and
# one-line errors for bad input. Run by `make test` with QLENS_BIN set.
set -u
Q=${QLENS_BIN:-build/qlens}
fails=0; passes=0
ok() { passes=$((passes+1)); }
bad() { echo "FAIL: $*"; fails=$((fails+1)); }
expect_line() { # NAME OUTPUT LINE
	if printf '%s\n' "$2" | grep -qxF -- "$3"; then ok; else bad "$1: no line '$3'"; fi
}
expect_status() { # NAME WANT CMD...
	name=$1; want=$2; shift 2
	"$@" >/tmp/qlens-cli-out.$$ 2>/tmp/qlens-cli-err.$$; got=$?
	if [ "$got" -eq "$want" ]; then ok; else bad "$name: exit $got, want $want"; fi
	if [ "$want" -ne 0 ]; then
		n=$(wc -l </tmp/qlens-cli-err.$$)
		if [ "$n" -eq 1 ] && grep -q '^qlens' /tmp/qlens-cli-err.$$; then ok;
		else bad "$name: stderr is not one 'qlens...' line:"; cat /tmp/qlens-cli-err.$$; fi
	fi
}

out=$("$Q" bits 1/3 --types fp32,fp16,bf16,int8)
expect_line notes "$out" "          0.333333343267440795898437500000000000000000000000000000000000"
expect_line notes "$out" "          0.333251953125000000000000000000000000000000000000000000000000"
expect_line notes "$out" "          0.333984375000000000000000000000000000000000000000000000000000"
expect_line notes "$out" "          0.000000000000000000000000000000000000000000000000000000000000"
# an infinity stored exactly is not 'NaN stored as NaN' (inf - inf is NaN)
out=$("$Q" bits inf --types fp16)
expect_line inf "$out" "          error none (inf stored as itself)  [exact]"
out=$("$Q" bits nan --types fp16)
expect_line nan "$out" "          error none (NaN stored as NaN)  [exact]"
out=$("$Q" bits 1/3 --types fp64 --digits exact)
expect_line fp64 "$out" "          0.333333333333333314829616256247390992939472198486328125"

# JSON: parses, has the keys, values in the order given.
"$Q" bits 1/3 -2.5e-3 --types fp16,bf16,int8 --json >/tmp/qlens-cli-json.$$ || bad "json exit"
if command -v python3 >/dev/null 2>&1; then
	python3 - /tmp/qlens-cli-json.$$ <<'PY' && ok || bad "bits --json content"
import json, sys
rows = json.load(open(sys.argv[1]))
assert [r["input"] for r in rows] == ["1/3"] * 3 + ["-2.5e-3"] * 3, rows
assert [r["type"] for r in rows] == ["fp16", "bf16", "int8"] * 2
for r in rows:
    for k in ("input", "type", "bits", "hex", "value", "class", "abs_error"):
        assert k in r, k
assert rows[0]["value"] == "0.333251953125" and rows[0]["hex"] == "0x3555"
assert rows[0]["bits"] == "0011010101010101"
assert rows[1]["value"] == "0.333984375"
assert rows[2]["value"] == "0" and rows[2]["class"] == "zero"
assert rows[5]["value"] == "0"      # int8 cast of -0.0025 truncates to 0
PY
	"$Q" dtypes --json >/tmp/qlens-cli-json.$$ || bad "dtypes json exit"
	python3 - /tmp/qlens-cli-json.$$ <<'PY' && ok || bad "dtypes --json content"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["fp16"]["max"] == 65504 and d["fp16"]["eps"] == 0.0009765625
assert d["bf16"]["resolution"] == 0.01 and d["fp8_e4m3"]["max"] == 448
assert d["int8"]["min"] == -128 and d["uint8"]["max"] == 255
assert d["fp4_e2m1"]["max"] == 6 and d["fp6_e2m3"]["max"] == 7.5 and d["fp6_e3m2"]["max"] == 28
assert len(d["nf4"]["values"]) == 16
# e8m0 has no subnormals: null, as the table's '-' (it was 0, a value e8m0 cannot hold)
assert d["e8m0"]["smallest_subnormal"] is None and d["fp16"]["smallest_subnormal"] == 2.0 ** -24
PY
fi

out=$("$Q" bits --hex 0x3eaaaaab --type fp32 --types fp32 --digits 25)
expect_line hex "$out" "          0.3333333432674407958984375"
out=$("$Q" bits -0 --types fp16)
expect_line negzero "$out" "fp16      1 | 00000 | 0000000000  0x8000  zero"
out=$("$Q" bits 70000 --types fp16,bf16 --digits 0)
expect_line overflow "$out" "fp16      0 | 11111 | 0000000000  0x7c00  inf"
# a pasted decimal of 3000 digits is read whole, as Python's float() reads
# it (past 2799 characters it was "not a number")
long="0.$(printf '%03000d' 0 | tr 0 3)"
out=$("$Q" bits "$long" --types fp32)
expect_line longdecimal "$out" "fp32      0 | 01111101 | 01010101010101010101011  0x3eaaaaab  normal"

expect_status help 0 "$Q" bits --help
expect_status version 0 "$Q" --version
expect_status nonumber 2 "$Q" bits abc
expect_status novalue 2 "$Q" bits
expect_status badtype 2 "$Q" bits 1 --types fp99
expect_status baddigits 2 "$Q" bits 1 --digits -3
expect_status hexnotype 2 "$Q" bits --hex 0x3c00
expect_status hexwide 2 "$Q" bits --hex 0x1ff --type fp8_e4m3
expect_status zeroden 2 "$Q" bits 1/0
expect_status unknownopt 2 "$Q" bits 1 --frobnicate
expect_status unknowncmd 2 "$Q" frobnicate
expect_status dtypesbad 2 "$Q" dtypes --types nope
expect_status dtypesarg 2 "$Q" dtypes extra

rm -f /tmp/qlens-cli-out.$$ /tmp/qlens-cli-err.$$ /tmp/qlens-cli-json.$$
echo "cli_bits: $passes passed, $fails failed"
[ "$fails" -eq 0 ]
