#!/bin/sh
# bench_ggml_q8_0.sh — qlens's Q8_0 row quantizer against ggml's own SIMD
# quantize_row_q8_0 (and its reference) and memcpy, in the same run, on the
# same 64M floats, then Q4_0 (ggml's quantize_row_q4_0, which is its
# reference loop, against qlens's), then every dequantizer both have
# (ggml's dequantize_row_* against qlens's, floats compared bit for bit);
# tests/bench/ggml_q8_0.c prints the tables.
# `make bench GGML_DIR=...` runs it after qlens-bench.
#
#   GGML_DIR=/work/ext/ggml scripts/bench_ggml_q8_0.sh [MEGA-FLOATS]
#
# GGML_DIR is a ggml source tree built OUTSIDE this repository, with its
# static libraries in $GGML_DIR/build (or give GGML_BUILD). Nothing is
# downloaded here. To make one (any ggml from github.com/ggml-org/ggml):
#
#   git clone https://github.com/ggml-org/ggml /work/ext/ggml
#   cmake -S /work/ext/ggml -B /work/ext/ggml/build -DGGML_NATIVE=ON \
#         -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=OFF
#   make -C /work/ext/ggml/build ggml-cpu ggml-base
#
# qlens's side is this tree's build/libqlens-core.a (made here with make).
# Exit status 0 when qlens's Q8_0 and Q4_0 bytes equal ggml's reference bytes
# and every dequantizer's floats equal ggml's.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
if [ -z "${GGML_DIR:-}" ] || [ ! -d "$GGML_DIR" ]; then
	echo "bench_ggml_q8_0.sh: set GGML_DIR to a ggml source tree built with" >&2
	echo "  cmake -DGGML_NATIVE=ON -DBUILD_SHARED_LIBS=OFF (see the top of this script)" >&2
	exit 2
fi
build=${GGML_BUILD:-$GGML_DIR/build}
cpu= base=
if [ -d "$build" ]; then
	cpu=$(find "$build" -name libggml-cpu.a | head -n 1)
	base=$(find "$build" -name libggml-base.a | head -n 1)
fi
if [ -z "$cpu" ] || [ -z "$base" ]; then
	echo "bench_ggml_q8_0.sh: no libggml-cpu.a / libggml-base.a under $build:" >&2
	echo "  build ggml there first (see the top of this script)" >&2
	exit 2
fi
make -C "$here" build/libqlens-core.a >/dev/null
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
${CC:-cc} -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -I"$here/include" \
	"$here/tests/bench/ggml_q8_0.c" -o "$tmp/ggml_q8_0" \
	"$here/build/libqlens-core.a" "$cpu" "$base" \
	$(pkg-config --libs jansson 2>/dev/null || echo -ljansson) -lstdc++ -lm -lpthread -fopenmp
"$tmp/ggml_q8_0" "$@"
