#!/bin/sh
# make_golden.sh GGML_SRC [OUTDIR] — builds ggml's reference quantizers from a
# ggml checkout (ggml-org/ggml, or llama.cpp's ggml/) OUTSIDE this repository,
# links them with qlens's block kernels, compares the two on every format and
# input set (ggml_check.c), and writes ggml's blocks as the golden files
# tests/test_ggml_blocks.c reads. Then gen_gguf.py makes the GGUF file that
# holds every type, and ggml_ref.py checks the goldens against an
# independent NumPy port.
#
# Checked with ggml-org/ggml at d99724f2b141fed9e1a9f402213506c081433465
# (2026-08-21), gcc 12, -O3 -DNDEBUG as ggml's release build.
set -eu
src=${1:?usage: make_golden.sh GGML_SRC [OUTDIR]}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
out=${2:-$here}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cc=${CC:-gcc}
$cc -O3 -DNDEBUG -std=gnu11 -I"$src/include" -I"$src/src" -I"$src/src/ggml-cpu" \
	-c "$src/src/ggml-quants.c" -o "$tmp/ggml-quants.o"
for f in $(cd "$root/src/core" && ls *.c | sed "s/\.c$//"); do
	$cc -std=c11 -O2 -I"$root/include" -D_GNU_SOURCE -c "$root/src/core/$f.c" -o "$tmp/ql_$f.o"
done
$cc -std=gnu11 -O2 -I"$root/include" -c "$here/ggml_check.c" -o "$tmp/check.o"
$cc -o "$tmp/ggml_check" "$tmp"/*.o -lm -pthread
mkdir -p "$out/blocks"
"$tmp/ggml_check" -w "$out/blocks"
python3 "$here/gen_gguf.py" "$out"
python3 "$here/ggml_ref.py" "$out"
