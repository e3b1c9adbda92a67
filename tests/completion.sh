#!/bin/sh
# completion.sh — the bash completion (completions/qlens.bash) completes
# what the program takes: command names, each command's options as its
# --help lists them, format names equal to `qlens dtypes --json`'s, dtype
# names after --dtype, scheme words (DTYPE/modifier/...) where a command
# takes a scheme, and every dtype name it offers is one `quantize` accepts.
# Skipped (exit 0) when bash is missing. Run by `make test`.
set -u
command -v bash >/dev/null 2>&1 || { echo "completion: no bash; skipped"; exit 0; }
Q=${QLENS_BIN:-build/qlens}
exec bash -s "$Q" <<'BASH'
set -u
Q=$1
. completions/qlens.bash
fails=0; passes=0
compopt() { :; } # only valid inside a real completion
# complete WORD... : completes the last word as bash would; prints the list
complete_words() {
	COMP_WORDS=("$Q" "$@"); COMP_CWORD=$#
	COMPREPLY=()
	_qlens
	printf '%s\n' "${COMPREPLY[@]}" | sort
}
expect() { # NAME WANT(lines joined by spaces) WORD...
	name=$1; want=$2; shift 2
	got=$(complete_words "$@" | tr '\n' ' ' | sed 's/ $//')
	if [ "$got" = "$want" ]; then passes=$((passes+1)); else
		echo "FAIL: $name: got '$got', want '$want'"; fails=$((fails+1)); fi
}
has() { # NAME WANT WORD...: WANT is among the completions
	name=$1; want=$2; shift 2
	if complete_words "$@" | grep -qxF -- "$want"; then passes=$((passes+1)); else
		echo "FAIL: $name: '$want' not offered"; fails=$((fails+1)); fi
}
expect commands "quantize" qu
expect commands-c "compare convert" c
expect top-options "--help --version" --
expect options-prefix "--dequant --dtype" quantize w.npy --d
has quantize-scheme-opt --scheme quantize w.npy --
has report-sort --sort report w.npy --
has compare-schemes --schemes compare w.npy --
has bits-types --types bits 0.1 --
expect dtype "int2 int3 int4 int5 int6 int7 int8" quantize w.npy --dtype in
expect scheme-dtype "q4_0 q4_1 q4_k" report w.npy q4
expect scheme-mod "int4/g128 int4/g32 int4/g64" report w.npy int4/g
expect scheme-mod2 "int4/g32/sym" report w.npy int4/g32/sy
expect schemes-list "int8,nf4" compare w.npy --schemes int8,nf
expect scheme-opt "uint2 uint3 uint4 uint5 uint6 uint7 uint8" quantize w.npy --scheme ui
expect calib "mse" quantize w.npy --calib ms
expect sort "error" report w.npy --sort e
expect types-list "fp32,fp16" bits 1 --types fp32,fp1
expect to "bf16" convert w.npy --to b
expect no-scheme-after-two "" report w.npy int8 in
expect help-cmd "info" help in
expect new-commands "divergence dtypes" d
expect lesson-cmds "lesson lessons" less
expect eval-model "chars" eval ch
expect eval-scheme "q5_0 q5_1 q5_k" eval digits q5
has eval-schemes-opt --schemes eval digits --
expect eval-schemes "int4/g32,q4_k" eval digits --schemes int4/g32,q4_k
expect act "int8-dynamic int8-static" eval digits --act int8
has divergence-labels --labels divergence a.npy b.npy --
expect lesson-name "datatypes" lesson dat
expect lesson-name2 "01-datatypes" lesson 01
expect lesson-number "3" lesson 3
expect scale-dtype "bf16" quantize w.npy --scale-dtype b
expect scale-word "int4/g32/scale:bf16 int4/g32/scale:fp16" quantize w.npy int4/g32/scale
expect block-dtype "q4_k" quantize w.npy --dtype q4_k
# options come from the option column of --help, not its prose (eval's
# offered --blocks and --kl-divergence, report's -o, from their text)
expect eval-options "--act --help --json --keep --schemes --threads --tui" eval digits --
expect divergence-options "--help --json --labels --threads" divergence a.npy b.npy --
# in bits and dtypes, -d is --digits and -t --types
expect bits-digits-short "20 60 exact" bits 1 -d ''
expect bits-types-short "fp16" bits 1 -t fp1
expect dtypes-types-short "fp16" dtypes -t fp1
# dtypes --blocks --types takes block formats (it offered fp16 ... nf4)
expect dtypes-blocks-types "q4_0 q4_1 q4_k" dtypes --blocks --types q4
expect dtypes-blocks-types-list "q8_0,iq4_nl q8_0,iq4_xs" dtypes --blocks -t q8_0,iq
has block-dtype-word iq4_xs report w.npy iq4
# qlens FILE: files where the first word is a path or starts no command
has file-first tests/golden/quantize/x.npy tests/golden/quantize/x.n
has file-first-nocmd Makefile Makef
expect file-options "--tensor" tests/golden/quantize/x.npy --te
expect file-no-scheme "" tests/golden/quantize/x.npy in

# every option offered is one the command takes
for c in $_qlens_commands; do
	for o in $(complete_words "$c" -); do
		if "$Q" "$c" "$o" 2>&1 | grep -q "unknown option '$o'"; then
			echo "FAIL: $c: $o is offered but unknown"; fails=$((fails+1))
		else passes=$((passes+1)); fi
	done
done

# the format names are the program's own
want=$("$Q" dtypes --json | python3 -c 'import json,sys; print(" ".join(sorted(json.load(sys.stdin))))' 2>/dev/null)
got=$(printf '%s\n' $_qlens_types | sort | tr '\n' ' ' | sed 's/ $//')
if [ -z "$want" ] || [ "$got" = "$want" ]; then passes=$((passes+1)); else
	echo "FAIL: types '$got' are not qlens dtypes' '$want'"; fails=$((fails+1)); fi
want=$("$Q" dtypes --blocks --json | python3 -c 'import json,sys; print(" ".join(sorted(json.load(sys.stdin))))' 2>/dev/null)
got=$(printf '%s\n' $_qlens_blocks | sort | tr '\n' ' ' | sed 's/ $//')
if [ -z "$want" ] || [ "$got" = "$want" ]; then passes=$((passes+1)); else
	echo "FAIL: block formats '$got' are not qlens dtypes --blocks' '$want'"; fails=$((fails+1)); fi
# the command names are the program's own (its --help lists them)
want=$("$Q" --help | sed -n '/^Commands:/,/^$/p' | awk 'NF > 1 {print $1}' | sort | tr '\n' ' ')
got=$(printf '%s\n' $_qlens_commands | sort | tr '\n' ' ')
if [ "$got" = "$want" ]; then passes=$((passes+1)); else
	echo "FAIL: commands '$got' are not qlens --help's '$want'"; fails=$((fails+1)); fi
# the quantization dtypes offered are the ones quantize lists
want=$("$Q" quantize tests/golden/quantize/x.npy --dtype '?' 2>&1 | sed -n 's/.*(one of: \([^)]*\)).*/\1/p' |
	tr -d ',' | tr ' ' '\n' | sort | tr '\n' ' ')
got=$(printf '%s\n' $_qlens_qdtypes | sort | tr '\n' ' ')
if [ -n "$want" ] && [ "$got" = "$want" ]; then passes=$((passes+1)); else
	echo "FAIL: dtypes '$got' are not quantize's '$want'"; fails=$((fails+1)); fi
# every dtype and modifier offered is one qlens takes
for d in $_qlens_qdtypes; do
	if "$Q" quantize tests/golden/quantize/x.npy --dtype "$d" --json >/dev/null 2>&1 ||
	   "$Q" quantize tests/golden/quantize/x.npy --dtype "$d" 2>&1 | grep -q 'multiple of'; then
		passes=$((passes+1)); else echo "FAIL: dtype $d is refused"; fails=$((fails+1)); fi
done 2>/dev/null
for m in $_qlens_modifiers; do
	if "$Q" quantize tests/golden/quantize/x.npy "int8/$m" >/dev/null 2>&1; then
		passes=$((passes+1)); else echo "FAIL: modifier $m is refused"; fails=$((fails+1)); fi
done
echo "completion: $passes passed, $fails failed"
[ "$fails" -eq 0 ]
BASH
