#!/bin/sh
# cli_scheme.sh — one scheme language: `quantize`, `report` and `compare`
# take a scheme as options (--dtype int4 --group 32 --asym --calib mse) or
# as one word (int4/g32/asym/mse, positional or --scheme), and both give
# byte-identical output, text and JSON; the word --json prints gives the
# same output again when fed back; mixing the two ways, and other misuse,
# is a one-line usage error. Run by `make test` with QLENS_BIN set.
set -u
Q=${QLENS_BIN:-build/qlens}
X=tests/golden/quantize/x.npy
R=tests/golden/readers/tiny_v3.gguf
W=$(mktemp -d /tmp/qlens-cli-scheme.XXXXXX)
trap 'rm -rf "$W"' EXIT
fails=0; passes=0; succeeded=0
ok() { passes=$((passes+1)); }
bad() { echo "FAIL: $*"; fails=$((fails+1)); }
expect_status() { # NAME WANT CMD...
	name=$1; want=$2; shift 2
	"$@" >"$W/out" 2>"$W/err"; got=$?
	if [ "$got" -eq "$want" ]; then ok; else bad "$name: exit $got, want $want"; cat "$W/err"; fi
	if [ "$want" -ne 0 ]; then
		n=$(wc -l <"$W/err")
		if [ "$n" -eq 1 ] && grep -q '^qlens' "$W/err"; then ok;
		else bad "$name: stderr is not one 'qlens...' line:"; cat "$W/err"; fi
	fi
}
# same NAME CMD1 -- CMD2: both exit alike and print the same bytes (stdout
# and stderr)
same() {
	name=$1; shift
	a=""; while [ "$1" != "--" ]; do a="$a $1"; shift; done; shift
	# shellcheck disable=SC2086
	"$Q" $a >"$W/a.out" 2>"$W/a.err"; ra=$?
	"$Q" "$@" >"$W/b.out" 2>"$W/b.err"; rb=$?
	[ $ra -eq 0 ] && succeeded=$((succeeded+1))
	if [ $ra -eq $rb ] && cmp -s "$W/a.out" "$W/b.out" && cmp -s "$W/a.err" "$W/b.err" \
	   && [ -s "$W/a.out" -o -s "$W/a.err" ]; then ok
	else bad "$name: '$a' and '$*' differ (exit $ra, $rb)"; diff "$W/a.out" "$W/b.out" | head -5; fi
}
PY=""
for p in python3 /usr/bin/python3; do command -v $p >/dev/null 2>&1 && { PY=$p; break; }; done

# Each pair: options | word. The word is given positionally and with --scheme.
pairs='--dtype int4 --group 32|int4/g32
--dtype int4 --group 32 --asym --calib mse|int4/g32/asym/mse
--dtype uint8 --axis 0 --calib percentile:99|uint8/ch0/percentile:99
--dtype int8 --axis 0|int8/ch
--dtype int8 --axis -1 --calib entropy|int8/ch-1/entropy
--dtype uint4 --sym --group 8|uint4/sym/g8
--dtype q4_0|q4_0
--dtype q8_0|q8_0
--dtype nf4|nf4
--dtype mxfp4|mxfp4
--dtype fp8_e4m3 --calib percentile:99.5|fp8_e4m3/percentile:99.5
--dtype uint8 --scale 0.05 --zero-point 100|uint8/scale:0.05/zp:100
--dtype int4 --group 8 --scale-dtype fp16|int4/g8/scale:fp16
--dtype uint8 --axis 0 --asym --scale-dtype bf16|uint8/ch0/scale:bf16
--dtype q4_k|q4_k
--dtype int8|int8'
printf '%s\n' "$pairs" > "$W/pairs"
while IFS='|' read -r opts word; do
	for fmt in "" --json; do
		same "report $word $fmt" report $R $opts $fmt -- report $R "$word" $fmt
		same "report --scheme $word $fmt" report $R $opts $fmt -- report $R --scheme "$word" $fmt
		same "quantize $word $fmt" quantize $X $opts $fmt -- quantize $X "$word" $fmt
		same "compare $word $fmt" compare $X $opts $fmt -- compare $X -s "$word" $fmt
	done
	# the word --json prints reproduces the run
	if "$Q" quantize $X $opts --json >"$W/q1" 2>/dev/null && [ -n "$PY" ]; then
		w=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["scheme"]["word"])' "$W/q1")
		"$Q" quantize $X "$w" --json >"$W/q2" 2>&1
		cmp -s "$W/q1" "$W/q2" && ok || bad "quantize: the JSON word '$w' of '$opts' gives other output"
	fi
	if "$Q" report $R $opts --json >"$W/r1" 2>/dev/null && [ -n "$PY" ]; then
		w=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["scheme"])' "$W/r1")
		"$Q" report $R "$w" --json >"$W/r2" 2>&1
		cmp -s "$W/r1" "$W/r2" && ok || bad "report: the JSON word '$w' of '$opts' gives other output"
	fi
done < "$W/pairs"

# the default is int8 either way
same "report default" report $R -- report $R int8
same "quantize default" quantize $X -- quantize $X --scheme int8

# most pairs must run (q4_0/q8_0 do not fit x.npy's rows of 40: they fail
# alike, which is compared too)
[ "$succeeded" -ge 90 ] && ok || bad "only $succeeded of the pairs ran successfully"

# canonical words in the JSON
"$Q" report $R int8/ch --json >"$W/r" 2>&1
grep -q '"scheme": "int8/ch0"' "$W/r" && ok || bad "report --json: int8/ch is not printed as int8/ch0"
"$Q" compare $X --schemes INT4/G32/SYM --json >"$W/c" 2>&1
grep -q '"scheme": "int4/g32"' "$W/c" && ok || bad "compare --json: INT4/G32/SYM is not int4/g32"
"$Q" compare $X --schemes int8 --dtype nf4 --json >"$W/c" 2>&1
[ "$(grep -c '"scheme": "' "$W/c")" -eq 2 ] && ok || bad "compare: --schemes and one scheme: not two rows"

# misuse: one line, status 2 (or 1 for a scheme no tensor can take)
expect_status mix-word-options 2 "$Q" report $R int4/g32 --dtype int8
expect_status mix-scheme-options 2 "$Q" quantize $X --scheme int4/g32 --group 8
expect_status two-words 2 "$Q" quantize $X --scheme int4 int8
expect_status three-positionals 2 "$Q" report $R int8 int4
expect_status bad-word 2 "$Q" compare $X int4/g0
expect_status bad-modifier 2 "$Q" quantize $X int4/fast
expect_status report-tensor 2 "$Q" report $R --tensor x
# a scheme no tensor could take is an argument error: exit 2 (issue 15)
expect_status report-group0 2 "$Q" report $R --group 0
expect_status report-asym-nf4 2 "$Q" report $R --dtype nf4 --asym
expect_status axis-and-group 2 "$Q" compare $X --axis 0 --group 4
expect_status info-second-file 2 "$Q" info $X $X
expect_status bad-scale-dtype 2 "$Q" quantize $X --scale-dtype fp8
expect_status mix-word-scale-dtype 2 "$Q" report $R int4/g32 --scale-dtype fp16
expect_status scale-dtype-on-blocks 2 "$Q" report $R --dtype q4_0 --scale-dtype fp16
expect_status tui-and-json 2 "$Q" quantize $X int4/g8 --tui --json

echo "cli_scheme: $passes passed, $fails failed"
[ "$fails" -eq 0 ]
