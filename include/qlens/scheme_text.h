/* scheme_text.h — a quantization scheme as one word, both ways.
 *
 *   ql_scheme s;
 *   if (ql_scheme_parse_word("int4/g32/asym/mse", &s, &err)) ...fail...
 *   char w[QL_SCHEME_WORD_MAX];
 *   ql_scheme_word(&s, w, sizeof w);          // "int4/asym/g32/mse"
 *
 * The word is a dtype, then modifiers after slashes, in any order:
 *
 *   DTYPE          int8 uint8 int4 uint4 int2 uint2 fp8_e4m3 fp8_e5m2 mxfp8
 *                  mxfp4 mxint8 nf4 q8_0 q4_0 (and the aliases of
 *                  ql_scheme_parse_dtype)
 *   sym | asym     symmetric (absmax) or asymmetric (min..max) range
 *   ch | chN       one scale per channel along axis N (default 0)
 *   gN             one scale per group of N elements of the last axis
 *   minmax | mse | entropy | percentile:P    the calibration
 *   scale:S        a given scale instead of calibrating (per tensor; a
 *                  decimal or hex float: a fraction's slash would split)
 *   zp:Z           and a given zero point (asymmetric integer schemes)
 *   scale:fp16 | scale:bf16 | scale:fp32   the scales' storage type
 *                  (integer schemes; --scale-dtype)
 *
 * It says the same as the command options (--dtype int4 --group 32 --asym
 * --calib mse --scale S --zero-point Z): every command that takes a scheme
 * takes either, and --json prints the word ql_scheme_word makes, which
 * parses back to the same scheme. Core module: no I/O.
 */
#ifndef QLENS_SCHEME_TEXT_H
#define QLENS_SCHEME_TEXT_H

#include <stddef.h>

#include "qlens/error.h"
#include "qlens/quant.h"

/* Room for any word ql_scheme_word makes. */
#define QL_SCHEME_WORD_MAX 128

/* Parses a word into *s (which starts from ql_scheme_init) and validates it
 * alone (ql_scheme_validate without a shape). 0, or -1 with a message that
 * quotes the word. */
int ql_scheme_parse_word(const char *word, ql_scheme *s, ql_error *err);

/* The shortest word that parses back to s: the dtype, then /sym or /asym
 * only where it differs from the dtype's default, /chN or /gN, the
 * calibration unless minmax, /scale:S and /zp:Z with the shortest numbers
 * that read back exactly. s should be valid (ql_scheme_validate). Returns
 * what snprintf returns. */
int ql_scheme_word(const ql_scheme *s, char *buf, size_t n);

/* "tensor", "channel", "group", "block": the granularity's name in JSON
 * and file metadata. */
const char *ql_granularity_name(ql_granularity g);

/* The help paragraph on the word (a string literal, for help texts). */
#define QL_SCHEME_WORD_HELP \
	"A SCHEME word is a dtype, then modifiers after slashes:\n" \
	"  DTYPE        int8 uint8 int4 uint4 int2 uint2 fp8_e4m3 fp8_e5m2 mxfp8\n" \
	"               mxfp4 mxint8 nf4 q8_0 q4_0\n" \
	"  /sym /asym   symmetric (absmax) or asymmetric (min..max) ranges\n" \
	"  /ch, /chN    one scale per channel along axis N (default 0: the rows of\n" \
	"               a weight matrix [out, in])\n" \
	"  /gN          one scale per group of N consecutive elements of the last axis\n" \
	"  /minmax /mse /entropy /percentile:P   how the clipping range is chosen\n" \
	"  /scale:S /zp:Z   a given scale (and zero point) instead of calibrating\n" \
	"  /scale:fp16 /scale:bf16   store the scales in that type (integer dtypes)\n" \
	"No /ch or /g: one scale per tensor; mx*, nf4 and the ggml block formats\n" \
	"(q8_0 q4_0 q4_k q6_k iq4_xs tq2_0 ...: qlens dtypes --blocks) use their own\n" \
	"blocks. Examples: int8, int8/ch0, uint8/asym/ch, int4/g32, int4/g32/scale:fp16,\n" \
	"int4/g128/mse, nf4, q4_0, q4_k, fp8_e4m3, mxfp4.\n"

#endif
