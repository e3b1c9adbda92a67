#!/bin/sh
# cli_harden.sh — the command line against hostile arguments, files and
# input kinds (issue 15). Each check here failed before the hardening:
#
# - exit status 2 and one line for every argument error, 1 for failures;
# - sizes: --group 9223372036854775807 and friends are refused with the
#   limit named, never "scale (none)" and exit 0;
# - names with newline, ESC/OSC, BEL, C1, bidi overrides and 200 characters
#   through quantize, convert, compare, info, report (text and --json): no
#   raw control byte reaches the terminal, JSON stays valid (checked with
#   Python's json module);
# - input kinds: '-' (a pipe), a FIFO, a directory, a FIFO where a shard
#   index would be (no hang);
# - --help/--version to /dev/full fail; `help --help`; '-é' echoed whole;
# - the smaller points: --types with too many entries, case-insensitive
#   names, int tensors in compare/convert, report of an empty file, a
#   dangling symlink as OUT;
# - the same rules for eval, divergence, lesson and `qlens FILE`; eval's
#   model files (found by looking in its directory) only when regular.
set -u
Q=${QLENS_BIN:-build/qlens}
W=$(mktemp -d /tmp/qlens-cli-harden.XXXXXX)
trap 'rm -rf "$W"' EXIT
fails=0; passes=0
ok() { passes=$((passes+1)); }
bad() { echo "FAIL: $*"; fails=$((fails+1)); }
PY=/usr/bin/python3
[ -x $PY ] || PY=python3

# NAME WANT CMD...: exit status WANT; on failure, stderr is one 'qlens' line
# with no control character.
expect_status() {
	name=$1; want=$2; shift 2
	timeout 20 "$@" >"$W/out" 2>"$W/err" </dev/null; got=$?
	if [ "$got" -eq "$want" ]; then ok; else bad "$name: exit $got, want $want"; cat "$W/err"; fi
	if [ "$want" -ne 0 ]; then
		n=$(wc -l <"$W/err")
		if [ "$n" -eq 1 ] && grep -q '^qlens' "$W/err"; then ok;
		else bad "$name: stderr is not one 'qlens...' line:"; cat "$W/err"; fi
	fi
	if LC_ALL=C grep -q "$(printf '[\001-\010\013-\037\177]')" "$W/out" "$W/err"; then
		bad "$name: a raw control character reached the terminal"
	else ok; fi
}

# --- files ------------------------------------------------------------------------
$PY - "$W" <<'PYEOF'
import json, struct, sys
import numpy as np
d = sys.argv[1]
np.save(f"{d}/w.npy", (np.arange(64, dtype=np.float32).reshape(8, 8) - 31.5) / 7)
np.save(f"{d}/i8.npy", np.arange(-32, 32, dtype=np.int8).reshape(8, 8))
np.save(f"{d}/huge.npy", (np.arange(64, dtype=np.float32) - 31) * np.float32(1e30))
np.save(f"{d}/six.npy", np.array([[1, 2, 3], [4, -5, 6]], dtype=np.float32))
np.save(f"{d}/empty.npy", np.zeros((0,), dtype=np.float32))
big7 = np.ones((2, 256), dtype=np.float32)
big7[1] *= np.float32(1e7)
big7[1, 5] = -3e7
np.save(f"{d}/big7.npy", big7)
six = np.array([1, 2, 3, 4, 5, 6], dtype=np.float32)
six[4] = -np.nan
np.save(f"{d}/negnan.npy", six)
def st(path, names):
    hdr, data, off = {}, b"", 0
    for n in names:
        hdr[n] = {"dtype": "F32", "shape": [2], "data_offsets": [off, off + 8]}
        off += 8
        data += struct.pack("<2f", 1.5, -2.25)
    h = json.dumps(hdr).encode()
    open(path, "wb").write(struct.pack("<Q", len(h)) + h + data)
st(f"{d}/evil.safetensors", ["nl\nname", "esc\x1b[2Jx", "osc\x1b]0;PWNED\x07",
                             "c1\u009b31m", "bidi\u202eevil", "L" + "x" * 199])
st(f"{d}/empty.safetensors", [])
h = json.dumps({"__metadata__": {"esc\x1b[2Jk": "v1", "\u00fc": "v2", "plain_key": "v3"},
                "t": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}).encode()
open(f"{d}/meta.safetensors", "wb").write(struct.pack("<Q", len(h)) + h + struct.pack("<f", 1.0))
PYEOF
E=$W/evil.safetensors

# --- exit statuses: argument errors are 2 ----------------------------------------
for a in "--group 0" "--group -1" "--group 9223372036854775807" "--group 1099511627777" \
	 "--scale 0" "--scale -1" "--scale nan" "--scale inf" "--raw NOPE" \
	 "--raw F32 --shape 4x" "--raw F32 --shape x4" "--raw F32 --shape 4xx4" \
	 "--raw F32 --shape 1x1x1x1x1x1x1x1x1" "--raw F32 --shape 99999999999x99999999999" \
	 "--raw Q4_0 --shape 33" "-o $W/out.txt" "--axis 9" "--dtype nope" "--asym --dtype fp8_e4m3" \
	 "--calib percentile:20"; do
	# shellcheck disable=SC2086
	expect_status "quantize $a" 2 "$Q" quantize "$W/w.npy" $a
done
expect_status "group limit named" 2 "$Q" quantize "$W/w.npy" --group 9223372036854775807
grep -q 'at most 1099511627776' "$W/err" && ok || bad "the --group error does not name the limit"
for c in info report compare convert; do
	expect_status "$c --raw NOPE" 2 "$Q" $c "$W/w.npy" --raw NOPE
	expect_status "$c bad shape" 2 "$Q" $c "$W/w.npy" --raw F32 --shape 4xx4
done
expect_status "convert -o out.txt" 2 "$Q" convert "$W/w.npy" --to fp16 -o "$W/c.txt"
expect_status "unknown option" 2 "$Q" quantize "$W/w.npy" --nope
expect_status "-é whole" 2 "$Q" quantize "$W/w.npy" -é
grep -q "'-é'" "$W/err" && ok || bad "-é is not echoed whole: $(cat "$W/err")"
expect_status "unknown command" 2 "$Q" "$(printf 'x\033[2Jy')"
grep -qF "x\\x1B[2Jy" "$W/err" && ok || bad "unknown command not escaped: $(cat -v "$W/err")"
expect_status "bits echoes the value escaped" 0 "$Q" bits "$(printf 'nan\r ')" --types fp16
grep -qF 'nan\r  = nan' "$W/out" && ok || bad "bits: the value is not echoed escaped: $(cat -v "$W/out")"
expect_status "help --help" 0 "$Q" help --help
grep -q 'Usage: qlens help' "$W/out" && ok || bad "help --help shows no usage"
expect_status "help two" 2 "$Q" help bits dtypes
# qlens --help CMD (and -h CMD) is CMD's help, as qlens help CMD; it was the overview
for c in bits quantize; do
	"$Q" --help $c >"$W/h1" 2>&1; "$Q" $c --help >"$W/h2" 2>&1; "$Q" -h $c >"$W/h3" 2>&1
	cmp -s "$W/h1" "$W/h2" && cmp -s "$W/h3" "$W/h2" && ok || bad "qlens --help $c is not $c's help"
done
expect_status "--help of no command" 2 "$Q" --help nosuch
expect_status "failure is 1" 1 "$Q" quantize "$W/missing.npy"

# --- sizes: never "scale (none)" ---------------------------------------------------
expect_status "huge group within the limit" 0 "$Q" quantize "$W/w.npy" --group 1099511627776
grep -q 'scale        8 values' "$W/out" && ok || bad "a group larger than a row: one scale per row expected"
if grep -q 'none\|inf' "$W/out"; then bad "nonsense in: $(cat "$W/out")"; else ok; fi

# --- names with control characters, every command ------------------------------------
expect_status "quantize lists names" 1 "$Q" quantize "$E"
grep -qF 'nl\nname, esc\x1B[2Jx, osc\x1B]0;PWNED\x07, c1\u{009B}31m, bidi\u{202E}evil' "$W/err" && ok \
	|| bad "quantize: names not escaped: $(cat -v "$W/err")"
expect_status "quantize no tensor" 1 "$Q" quantize "$E" -t "$(printf 'a\nb')"
grep -qF "no tensor 'a\\nb'" "$W/err" && ok || bad "quantize: the asked name is not escaped"
expect_status "quantize one" 0 "$Q" quantize "$E" -t "$(printf 'esc\033[2Jx')"
grep -qF 'esc\x1B[2Jx' "$W/out" && ok || bad "quantize: the tensor line is not escaped"
expect_status "convert lists names" 1 "$Q" convert "$E" --to fp16 -o "$W/c.npy"
grep -qF 'esc\x1B[2Jx' "$W/err" && ok || bad "convert: names not escaped"
expect_status "convert one" 0 "$Q" convert "$E" -t "$(printf 'nl\nname')" --to fp16 -o "$W/c.npy"
expect_status "compare lists names" 1 "$Q" compare "$E"
grep -qF 'bidi\u{202E}evil' "$W/err" && ok || bad "compare: names not escaped"
expect_status "compare one" 0 "$Q" compare "$E" -t "$(printf 'osc\033]0;PWNED\007')"
# six values in MX blocks of 32 outweigh their float32: "larger", not "0.706x smaller";
# a negative NaN reads "nan", not "-nan"
expect_status "mxfp4 of six" 0 "$Q" quantize "$W/six.npy" --dtype mxfp4
grep -q "float32: 24 bytes, 1.42x larger" "$W/out" && ok || bad "storage of six values: $(grep storage "$W/out")"
# an empty tensor's one scale against float32's 0 bytes: no "infx larger"
expect_status "empty int8" 0 "$Q" quantize "$W/empty.npy"
grep -q "storage      0 bits per weight, 4 bytes (float32: 0 bytes)$" "$W/out" && ok ||
	bad "storage of an empty tensor: $(grep storage "$W/out")"
# an fp16 scale too small for the range is fp16's largest, and says so
expect_status "fp16 scale clamped" 0 "$Q" quantize "$W/huge.npy" int8/scale:fp16
grep -q "1 of 1 at fp16's largest, 65504: the range needs more" "$W/out" && ok || bad "fp16 scale clamp not said"
# values too large for a block format's fp16 scales: refused as the
# input's doing (it said "internal error: scale 8 is inf"), and q4_k's
# overflowed dmin is refused too (it printed sqnr -nan dB as an answer)
for s in q8_0 q4_0 q4_k; do
	expect_status "$s of 1e7" 1 "$Q" quantize "$W/big7.npy" $s --json
	grep -q 'too large for this format' "$W/err" && ! grep -q internal "$W/err" && ok ||
		bad "$s of 1e7: $(cat "$W/err")"
	[ -s "$W/out" ] && bad "$s of 1e7: stdout is not empty" || ok
done
expect_status "report of 1e7 in q4_k" 1 "$Q" report "$W/big7.npy" q4_k
grep -q 'skipped: .*too large for this format' "$W/out" && ok || bad "report: $(cat "$W/out")"
expect_status "negative nan" 1 "$Q" quantize "$W/negnan.npy"
grep -q "index 4: nan)" "$W/err" && ok || bad "negative nan: $(cat "$W/err")"

# escaped names keep the table's columns in line (the pad counted bytes of
# the raw name, so \x1B and \u{202E} pushed their rows right)
for c in info report; do
	expect_status "$c" 0 "$Q" $c "$E"
	$PY - "$W/out" $c <<'PYEOF' && ok || bad "$c: the columns of escaped names are out of line"
import sys
rows = [l for l in open(sys.argv[1], encoding="utf-8") if any(k in l for k in ("nl", "esc", "PWNED", "c1", "evil"))]
rows = [l for l in rows if not l.startswith(("file", "scheme"))]
col = {l.index(" F32 " if sys.argv[2] == "info" else " 2 ") for l in rows}
assert len(rows) == 5 and len(col) == 1, (rows, col)
PYEOF
done
# metadata keys too: padded by the columns they take (bytes: an escape or
# a UTF-8 key pushed its value out of line)
expect_status "info metadata" 0 "$Q" info "$W/meta.safetensors"
$PY - "$W/out" <<'PYEOF' && ok || bad "info: the metadata values are out of line: $(cat "$W/out")"
import sys
rows = [l.rstrip("\n") for l in open(sys.argv[1], encoding="utf-8") if l.rstrip().endswith(("v1", "v2", "v3"))]
col = {len(l) - 2 for l in rows}
assert len(rows) == 3 and len(col) == 1, (rows, col)
PYEOF
for c in info report; do
	expect_status "$c --json" 0 "$Q" $c "$E" --json
	$PY - "$W/out" <<'PYEOF' && ok || bad "$c --json: names do not read back"
import json, sys
d = json.load(open(sys.argv[1], encoding="utf-8"))
names = {t["name"] for t in d["tensors"]} if "tensors" in d else set()
want = {"nl\nname", "esc\x1b[2Jx", "osc\x1b]0;PWNED\x07", "c1\u009b31m", "bidi\u202eevil", "L" + "x" * 199}
assert names == want, names
PYEOF
done
expect_status "quantize --json" 0 "$Q" quantize "$E" -t "$(printf 'esc\033[2Jx')" --json
$PY -c "import json,sys; assert json.load(open(sys.argv[1]))['tensor'] == 'esc\x1b[2Jx'" "$W/out" && ok \
	|| bad "quantize --json: the name does not read back"

# --- input kinds ---------------------------------------------------------------------
$PY -c "import sys, struct; sys.stdout.buffer.write(struct.pack('<32f', *range(32)))" > "$W/raw.bin"
timeout 20 "$Q" quantize - --raw F32 --shape 4x8 < "$W/raw.bin" > "$W/out" 2>"$W/err" && ok || bad "quantize - --raw from a file on stdin: $(cat "$W/err")"
cat "$W/raw.bin" | timeout 20 "$Q" quantize - --raw F32 --shape 4x8 > "$W/out" 2>"$W/err" && ok || bad "quantize - --raw from a pipe: $(cat "$W/err")"
grep -q '4x8, 32 elements' "$W/out" && ok || bad "the piped tensor: $(cat "$W/out")"
printf '0.5\n-1.25\n3\n2.5\n' | timeout 20 "$Q" quantize - > "$W/out" 2>"$W/err" && ok || bad "a column of numbers on a pipe: $(cat "$W/err")"
grep -q '4 elements' "$W/out" && ok || bad "the column: $(cat "$W/out")"
mkfifo "$W/fifo.npy"
( cat "$W/w.npy" > "$W/fifo.npy" ) &
expect_status "info fifo" 0 "$Q" info "$W/fifo.npy"
grep -q '8x8' "$W/out" && ok || bad "info of a FIFO: $(cat "$W/out")"
wait
expect_status "directory" 1 "$Q" info "$W"
grep -q 'is a directory' "$W/err" && ok || bad "directory: $(cat "$W/err")"
mkdir "$W/ck"
cp "$W/evil.safetensors" "$W/ck/model.safetensors"
mkfifo "$W/ck/other.safetensors.index.json"
expect_status "FIFO index beside a shard" 0 "$Q" info "$W/ck/model.safetensors"
expect_status "/dev/null" 1 "$Q" info /dev/null

# --- write errors -----------------------------------------------------------------------
for a in --help --version "bits --help" "dtypes"; do
	# shellcheck disable=SC2086
	"$Q" $a > /dev/full 2>"$W/err"; rc=$?
	[ $rc -eq 1 ] && grep -q 'writing the output failed' "$W/err" && ok || bad "$a > /dev/full: exit $rc"
done

# --- the newer commands: eval, divergence, lesson, qlens FILE -------------------------------
expect_status "eval unknown model" 1 "$Q" eval "$(printf 'm\033[2Jy')"
grep -qF 'm\x1B[2Jy' "$W/err" && ok || bad "eval: the model name is not escaped: $(cat -v "$W/err")"
expect_status "eval --threads 0" 2 "$Q" eval digits --threads 0
expect_status "eval group limit" 2 "$Q" eval digits int4/g1099511627777
grep -q 'at most 1099511627776' "$W/err" && ok || bad "eval: the /gN error does not name the limit"
expect_status "eval bad scheme" 2 "$Q" eval digits "$(printf 'int4\n/g32')"
# --tui and --json together are refused, as quantize refuses them (bits and
# eval opened the screen, or said it needs a terminal, status 1)
expect_status "bits --tui --json" 2 "$Q" bits 1 --tui --json
expect_status "eval --tui --json" 2 "$Q" eval digits --tui --json
# a model directory's files are found by looking: a FIFO or a device there
# is refused, not waited on (or read for 1 GiB)
mkdir "$W/fifomodel" "$W/zeromodel"
mkfifo "$W/fifomodel/model.safetensors"
cp assets/models/digits/model.safetensors "$W/zeromodel/"
ln -s /dev/zero "$W/zeromodel/data.safetensors"
for m in fifomodel zeromodel; do
	expect_status "eval $m" 1 "$Q" eval "$W/$m"
	grep -q 'is a pipe or device, not a regular file' "$W/err" && ok || bad "eval $m: $(cat "$W/err")"
done
expect_status "divergence names" 1 "$Q" divergence "$E" "$E"
grep -qF 'nl\nname, esc\x1B[2Jx' "$W/err" && ok || bad "divergence: names not escaped: $(cat -v "$W/err")"
expect_status "divergence missing" 1 "$Q" divergence "$W/w.npy" "$W/$(printf 'a\nb')"
expect_status "lesson unknown" 1 "$Q" lesson "$(printf 'l\033]0;T\007')"
grep -qF 'l\x1B]0;T\x07' "$W/err" && ok || bad "lesson: the name is not escaped: $(cat -v "$W/err")"
expect_status "open: no such tensor" 1 "$Q" "$E" --tensor "$(printf 'a\nb')"
grep -qF "no tensor called 'a\\nb'" "$W/err" && ok || bad "qlens FILE: the asked name is not escaped"

# --- smaller points ----------------------------------------------------------------------
many=$(printf 'fp32,%.0s' $(seq 1 69)); many=${many%,}
expect_status "--types too many" 2 "$Q" bits 1 --types "$many"
grep -q 'more than' "$W/err" && ok || bad "--types x69: $(cat "$W/err")"
expect_status "--digits EXACT" 0 "$Q" bits 0.5 --digits EXACT --types fp32
expect_status "--int ROUND" 0 "$Q" bits 0.5 --int ROUND --types int8
expect_status "--sort ERROR" 0 "$Q" report "$W/w.npy" --sort ERROR
expect_status "compare an int tensor" 0 "$Q" compare "$W/i8.npy"
expect_status "convert an int tensor" 0 "$Q" convert "$W/i8.npy" --to fp16 -o "$W/i8.npy.f16.npy"
expect_status "quantize an int tensor" 0 "$Q" quantize "$W/i8.npy"
expect_status "report of no tensors" 1 "$Q" report "$W/empty.safetensors"
grep -q 'holds no tensors' "$W/err" && ok || bad "report of an empty file: $(cat "$W/err")"
# every tensor skipped (its one holds a NaN): a failure with the reason, not
# a total of nothing ("SQNR inf dB, cosine 1.000000", status 0)
expect_status "report, every tensor skipped" 1 "$Q" report "$W/negnan.npy"
grep -q 'no tensor could be quantized with int8 (1 skipped; negnan: ' "$W/err" && ok ||
	bad "report, all skipped: $(cat "$W/err")"
grep -q '^total\|^error' "$W/out" && bad "report, all skipped: totals printed" || ok
expect_status "report --json, every tensor skipped" 1 "$Q" report "$W/negnan.npy" --json
[ -s "$W/out" ] && bad "report --json, all skipped: a document on stdout" || ok
ln -s "$W/nowhere/x.npy" "$W/dangling.npy"
expect_status "dangling symlink OUT" 1 "$Q" quantize "$W/w.npy" -o "$W/dangling.npy"
[ -L "$W/dangling.npy" ] && ok || bad "the dangling symlink was replaced without --force"
expect_status "dangling symlink OUT --force" 0 "$Q" quantize "$W/w.npy" -o "$W/dangling.npy" --force

echo "cli_harden: $passes passed, $fails failed"
[ $fails -eq 0 ]
