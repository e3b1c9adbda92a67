#!/bin/sh
# corpus.sh — every malformed file of tests/corpus/{gguf,npz,shards,text}
# (made by tests/corpus/gen_readers_corpus.py) through the real, sanitized
# qlens binary: `qlens info` and `qlens report`, each under a timeout.
#
#   bad_*      info and report exit 1 with one "qlens: FILE: ..." line
#   badread_*  info exits 0; report exits 1 with one line
#   ok_*       info exits 0; report exits 0, or 1 with one line
#
# Never: a crash (ASan/UBSan report, signal), a hang (timeout), an exit
# status other than these, or a message spread over several lines.
# Run by `make test` with QLENS_BIN set.
set -u
Q=${QLENS_BIN:-build/qlens}
T=${QLENS_CORPUS_TIMEOUT:-20}
fails=0; passes=0
out=/tmp/qlens-corpus-out.$$
err=/tmp/qlens-corpus-err.$$
trap 'rm -f $out $err' EXIT

bad() { echo "FAIL: $*"; fails=$((fails+1)); }

# run NAME WANT(0|1|01) ARGS...
run() {
	name=$1; want=$2; shift 2
	timeout "$T" "$Q" "$@" >$out 2>$err
	got=$?
	if [ $got -eq 124 ]; then bad "$name: $1 timed out after ${T}s"; return; fi
	case "$want" in
	*$got*) ;;
	*) bad "$name: $1 exited $got, want $want"; head -5 $err; return ;;
	esac
	if [ $got -ne 0 ]; then
		n=$(wc -l <$err)
		if [ "$n" -ne 1 ] || ! grep -q '^qlens: ' $err; then
			bad "$name: $1: stderr is not one 'qlens: ...' line:"; head -5 $err; return
		fi
	fi
	passes=$((passes+1))
}

check() { # PATH BASENAME
	case "$2" in
	bad_*) run "$2" 1 info "$1"; run "$2" 1 report "$1" ;;
	badread_*) run "$2" 0 info "$1"; run "$2" 1 report "$1" ;;
	ok_*) run "$2" 0 info "$1"; run "$2" 01 report "$1"; run "$2" 0 info "$1" --json ;;
	*) bad "$2: name does not say what to expect (bad_, badread_, ok_)" ;;
	esac
}

for sub in gguf npz text; do
	for f in tests/corpus/$sub/*; do
		[ -f "$f" ] || continue
		check "$f" "$(basename "$f")"
	done
done
for d in tests/corpus/shards/*/; do
	[ -d "$d" ] || continue
	check "${d}model.safetensors.index.json" "$(basename "$d")"
done

# A file that is not there, a folder, and no permission.
run missing 1 info tests/corpus/does-not-exist.gguf
run folder 1 info tests/corpus
echo "corpus.sh: $passes passed, $fails failed"
[ $fails -eq 0 ]
