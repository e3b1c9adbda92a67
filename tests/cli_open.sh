#!/bin/sh
# cli_open.sh — `qlens FILE [--tensor NAME]` from the shell, where no
# terminal is: the file is checked before any screen, so a missing or
# malformed file and an unknown tensor are one line "qlens: FILE: ..." with
# exit status 1, a stray argument a usage error (2), and a good file without
# a terminal says the explorer needs one (1); a FIFO is refused (1), as the
# explorer reads regular files only. A word that names no file is still an
# unknown command (2). Run by `make test`.
set -u
Q=${QLENS_BIN:-build/qlens}
M=tests/golden/inspect/model.safetensors
W=$(mktemp -d /tmp/qlens-cli-open.XXXXXX)
trap 'rm -rf "$W"' EXIT
fails=0; passes=0
ok() { passes=$((passes+1)); }
bad() { echo "FAIL: $*"; fails=$((fails+1)); }
expect() { # NAME STATUS PATTERN CMD...
	name=$1; want=$2; pat=$3; shift 3
	"$@" </dev/null >"$W/out" 2>"$W/err"; got=$?
	[ "$got" -eq "$want" ] && ok || bad "$name: exit $got, want $want"
	n=$(wc -l <"$W/err")
	if [ "$n" -eq 1 ] && grep -q -- "$pat" "$W/err"; then ok;
	else bad "$name: stderr is not one line matching '$pat':"; cat "$W/err"; fi
}
expect missing 1 "^qlens: $W/none.npy: No such file or directory\$" "$Q" "$W/none.npy"
printf 'not a tensor file' >"$W/junk.safetensors"
expect malformed 1 "^qlens: $W/junk.safetensors: " "$Q" "$W/junk.safetensors"
expect no-tensor 1 "^qlens: $M: no tensor called 'nope'" "$Q" $M --tensor nope
expect stray 2 "^qlens FILE: unexpected argument 'extra'" "$Q" $M extra
# --help, which the usage error points to, is the usage (with FILE's line)
"$Q" $M --help </dev/null >"$W/out" 2>"$W/err" && [ ! -s "$W/err" ] &&
	grep -q '^ *qlens FILE \[--tensor NAME\]' "$W/out" && ok || bad "qlens FILE --help"
expect no-tty 1 "^qlens: the explorer needs a terminal" "$Q" $M
expect no-tty-tensor 1 "^qlens: the explorer needs a terminal" "$Q" $M --tensor lm_head.weight
# a FIFO: refused, not drained (the explorer would open it again and wait
# for a writer, with no key to stop it) and not waited on
mkfifo "$W/fifo.npy"
expect fifo 1 "^qlens: $W/fifo.npy: is a pipe or device, not a regular file" timeout 20 "$Q" "$W/fifo.npy"
expect unknown 2 "^qlens: unknown command 'frobnicate'" "$Q" frobnicate
"$Q" --help | grep -q 'qlens FILE \[--tensor NAME\]' && ok || bad "--help does not show qlens FILE"
# on a terminal (script(1), util-linux), a --tui screen whose file will not
# open fails as the command does: status 1, not 2 (a usage error's)
script -qec "$Q quantize $W/none.npy --tui" "$W/tlog" >/dev/null 2>&1
st=$?
[ "$st" -eq 1 ] && ok || bad "quantize --tui of a missing file: exit $st, want 1"
grep -aq "qlens: $W/none.npy: No such file or directory" "$W/tlog" && ok ||
	bad "quantize --tui of a missing file: $(tr '\033' 'E' <"$W/tlog" | tail -c 200)"
echo "cli_open: $passes passed, $fails failed"
[ "$fails" -eq 0 ]
