/* test_deq_simd.c — the AVX2 dequantizers (src/core/deq_avx2.c) against the
 * portable C references they replace at run time, bit for bit.
 *
 * Each public dequantizer (every block format of ql_block_formats[],
 * ql_nf4_dequantize, ql_mx_dequantize for MXFP8, MXFP4 and MXINT8) is run
 * with the AVX2 kernels switched off (the C reference) and on, on the same
 * input, and the outputs compared with memcmp — NaN payloads and the sign
 * of zero included. The inputs:
 *
 *   - random bytes in every field;
 *   - every scale field set in turn to the fp16 (or fp32, e8m0, ue4m3)
 *     edge values: ±0, the smallest and largest subnormals, the largest
 *     finite, ±inf, quiet and signalling NaNs of both signs, 1.0;
 *   - all-equal code bytes (0x00, 0xFF, 0x88, 0x55) and the bytes a
 *     quantizer writes for ties (ggml's reference quantizers on values
 *     halfway between levels, where the format has one);
 *   - every block count from 0 to 40 (short rows and the blocks beyond a
 *     vector width), NF4/MX lengths of every remainder mod 64 and 32
 *     (short last blocks);
 *   - outputs large enough for the streaming stores, at a 32-byte aligned,
 *     a 16-byte aligned and a 4-byte aligned address, so each store mode
 *     is checked; the floats past the end must stay untouched.
 *
 * Without AVX2 (or where it is not built) both runs take the C path and
 * the test still passes: it then checks nothing beyond determinism, which
 * it says.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/core/deq_avx2.h"
#include "../src/core/quant_avx2.h"
#include "qlens/blockfmt.h"
#include "qlens/mx.h"
#include "qlens/nf4.h"

static uint64_t rng = 0x243f6a8885a308d3ull;

static uint32_t next_u32(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 16);
}

static void fill_random(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)next_u32();
}

static const uint16_t fp16_edges[] = {
	0x0000, 0x8000, /* ±0 */
	0x0001, 0x8001, 0x03ff, 0x83ff, /* smallest and largest subnormals */
	0x0400, 0x7bff, 0xfbff, /* smallest normal, ±largest finite */
	0x7c00, 0xfc00, /* ±inf */
	0x7e00, 0xfe00, 0x7c01, 0xfd55, /* quiet and signalling NaNs */
	0x3c00, 0xbc00, /* ±1 */
};
#define N_FP16_EDGES (sizeof fp16_edges / sizeof fp16_edges[0])

static const uint32_t fp32_edges[] = {
	0x00000000, 0x80000000, 0x00000001, 0x807fffff, 0x00800000, 0x7f7fffff, 0xff7fffff,
	0x7f800000, 0xff800000, 0x7fc00000, 0xffc00000, 0x7f800001, 0xffa00000, 0x3f800000,
};
#define N_FP32_EDGES (sizeof fp32_edges / sizeof fp32_edges[0])

static const uint8_t byte_edges[] = {0x00, 0x01, 0x02, 0x7e, 0x7f, 0x80, 0x81, 0xfe, 0xff};
#define N_BYTE_EDGES (sizeof byte_edges / sizeof byte_edges[0])

/* Sets the scale fields of block b (format t) to edge values chosen by
 * `pick`; code fields are left alone. */
static void set_scales(const ql_block_traits *t, uint8_t *b, unsigned pick)
{
	int off = 0;
	for (int f = 0; f < t->nfields; f++) {
		const ql_block_field *fl = &t->fields[f];
		if (!strcmp(fl->type, "fp16")) {
			uint16_t h = fp16_edges[(pick + (unsigned)f) % N_FP16_EDGES];
			memcpy(b + off, &h, sizeof h);
		} else if (!strcmp(fl->type, "fp32")) {
			uint32_t u = fp32_edges[(pick + (unsigned)f) % N_FP32_EDGES];
			memcpy(b + off, &u, sizeof u);
		} else if (!strcmp(fl->type, "e8m0") || !strncmp(fl->type, "ue4m3", 5)) {
			for (int i = 0; i < fl->bytes; i++)
				b[off + i] = byte_edges[(pick + (unsigned)i) % N_BYTE_EDGES];
		}
		off += fl->bytes;
	}
	assert_int_equal(off, t->bytes);
}

/* Sets the code fields (everything but the scales) of block b to c. */
static void set_codes(const ql_block_traits *t, uint8_t *b, uint8_t c)
{
	int off = 0;
	for (int f = 0; f < t->nfields; f++) {
		const ql_block_field *fl = &t->fields[f];
		if (strcmp(fl->type, "fp16") && strcmp(fl->type, "fp32") && strcmp(fl->type, "e8m0") &&
		    strncmp(fl->type, "ue4m3", 5))
			memset(b + off, c, (size_t)fl->bytes);
		off += fl->bytes;
	}
}

static bool simd_built(void)
{
	return QL_HAVE_AVX2_KERNELS && ql_avx2_active();
}

/* The reference's output and the fast one's, for the call `run`. */
typedef void (*run_fn)(const void *ctx, float *y);

static void compare_runs(const char *what, run_fn run, const void *ctx, int64_t n, size_t align_off)
{
	const int64_t guard = 16;
	float *ref = malloc((size_t)(n + guard) * sizeof *ref);
	uint8_t *raw = malloc((size_t)(n + guard) * sizeof(float) + 64);
	assert_non_null(ref);
	assert_non_null(raw);
	/* y at 32-byte alignment plus align_off bytes */
	uint8_t *base = (uint8_t *)(((uintptr_t)raw + 31) & ~(uintptr_t)31);
	float *fast = (float *)(void *)(base + align_off);
	memset(ref, 0xa5, (size_t)(n + guard) * sizeof *ref);
	memset(fast, 0xa5, (size_t)(n + guard) * sizeof *fast);

	ql_avx2_enable(false);
	run(ctx, ref);
	ql_avx2_enable(true);
	run(ctx, fast);
	if (memcmp(ref, fast, (size_t)(n + guard) * sizeof *ref) != 0) {
		for (int64_t i = 0; i < n + guard; i++) {
			uint32_t a, b;
			memcpy(&a, &ref[i], 4);
			memcpy(&b, &fast[i], 4);
			if (a != b) {
				fail_msg("%s (n %lld, offset %zu): element %lld: reference %08x, AVX2 %08x%s",
					 what, (long long)n, align_off, (long long)i, a, b,
					 i >= n ? " (past the end)" : "");
			}
		}
	}
	free(ref);
	free(raw);
}

/* ---- block formats ---------------------------------------------------------------- */

typedef struct bctx {
	const ql_block_traits *t;
	const uint8_t *blocks;
	int64_t k;
} bctx;

static void run_block(const void *c, float *y)
{
	const bctx *b = c;
	b->t->dequantize_row(b->blocks, y, b->k);
}

/* nb blocks of format t: random, then edge scales, all-equal codes and the
 * quantizer's output for ties, in a rotation over the blocks. */
static uint8_t *make_blocks(const ql_block_traits *t, int64_t nb)
{
	uint8_t *p = malloc((size_t)(nb ? nb : 1) * (size_t)t->bytes);
	assert_non_null(p);
	fill_random(p, (size_t)nb * (size_t)t->bytes);
	static const uint8_t same[] = {0x00, 0xff, 0x88, 0x55};
	float *x = malloc((size_t)t->block * sizeof *x);
	assert_non_null(x);
	for (int64_t i = 0; i < nb; i++) {
		uint8_t *b = p + i * t->bytes;
		switch (next_u32() % 5) {
		case 0: /* random bytes */
			break;
		case 1:
			set_scales(t, b, next_u32());
			break;
		case 2:
			set_codes(t, b, same[next_u32() % 4]);
			break;
		case 3:
			set_codes(t, b, same[next_u32() % 4]);
			set_scales(t, b, next_u32());
			break;
		default: /* ties: values on half steps, through ggml's quantizer */
			if (t->quantize_row_ref) {
				for (int j = 0; j < t->block; j++)
					x[j] = (float)((int)(next_u32() % 17) - 8) + 0.5f;
				x[next_u32() % (unsigned)t->block] = 8.0f;
				t->quantize_row_ref(x, b, t->block);
			}
			break;
		}
	}
	free(x);
	return p;
}

static void test_block_formats_small(void **state)
{
	(void)state;
	for (int f = 0; f < ql_block_format_count; f++) {
		const ql_block_traits *t = &ql_block_formats[f];
		for (int64_t nb = 0; nb <= 40; nb++) {
			for (int rep = 0; rep < 4; rep++) {
				uint8_t *p = make_blocks(t, nb);
				bctx c = {t, p, nb * t->block};
				compare_runs(t->name, run_block, &c, c.k, (size_t)(4 * rep));
				free(p);
			}
		}
		/* every fp16/fp32/byte edge in every scale field, on one block */
		for (unsigned pick = 0; pick < 3 * N_FP16_EDGES; pick++) {
			uint8_t *p = make_blocks(t, 1);
			set_scales(t, p, pick);
			bctx c = {t, p, t->block};
			compare_runs(t->name, run_block, &c, c.k, 0);
			free(p);
		}
	}
}

/* Outputs of at least QL_DEQ_STREAM_BYTES: the streaming stores, at each
 * alignment (32, 16 and 4 bytes). */
static void test_block_formats_large(void **state)
{
	(void)state;
	for (int f = 0; f < ql_block_format_count; f++) {
		const ql_block_traits *t = &ql_block_formats[f];
		int64_t nb = QL_DEQ_STREAM_BYTES / 4 / t->block + 3;
		uint8_t *p = make_blocks(t, nb);
		bctx c = {t, p, nb * t->block};
		static const size_t offs[] = {0, 16, 4};
		for (int o = 0; o < 3; o++)
			compare_runs(t->name, run_block, &c, c.k, offs[o]);
		free(p);
	}
}

/* ---- NF4 --------------------------------------------------------------------------- */

typedef struct nctx {
	const uint8_t *codes;
	const float *absmax;
} nctx;

static int64_t nf4_n;

static void run_nf4(const void *c, float *y)
{
	const nctx *x = c;
	ql_nf4_dequantize(x->codes, x->absmax, nf4_n, y);
}

static void nf4_case(int64_t n, size_t off)
{
	int64_t nblk = (n + QL_NF4_BLOCK - 1) / QL_NF4_BLOCK;
	uint8_t *codes = malloc((size_t)n + 1);
	float *absmax = malloc((size_t)(nblk + 1) * sizeof *absmax);
	assert_non_null(codes);
	assert_non_null(absmax);
	fill_random(codes, (size_t)n); /* the high nibble is ignored */
	for (int64_t b = 0; b < nblk; b++) {
		uint32_t u = next_u32() % 3 ? (next_u32() & 0x3fffffffu) : fp32_edges[next_u32() % N_FP32_EDGES];
		memcpy(&absmax[b], &u, sizeof u);
		if (next_u32() % 4 == 0) /* all-equal codes */
			memset(codes + b * QL_NF4_BLOCK, (int)(next_u32() & 0xff),
			       (size_t)(n - b * QL_NF4_BLOCK < QL_NF4_BLOCK ? n - b * QL_NF4_BLOCK
									: QL_NF4_BLOCK));
	}
	nctx c = {codes, absmax};
	nf4_n = n;
	compare_runs("nf4", run_nf4, &c, n, off);
	free(codes);
	free(absmax);
}

static void test_nf4(void **state)
{
	(void)state;
	for (int64_t n = 0; n <= 300; n++)
		nf4_case(n, (size_t)(4 * (n % 8)));
	int64_t big = QL_DEQ_STREAM_BYTES / 4 + 37; /* a short last block too */
	nf4_case(big, 0);
	nf4_case(big, 16);
	nf4_case(big, 4);
}

/* ---- MX ---------------------------------------------------------------------------- */

typedef struct mctx {
	ql_qdtype t;
	const uint8_t *codes, *e8m0;
	int64_t n;
} mctx;

static void run_mx(const void *c, float *y)
{
	const mctx *m = c;
	ql_mx_dequantize(m->t, m->codes, m->e8m0, m->n, y);
}

static void mx_case(ql_qdtype t, int64_t n, size_t off)
{
	int64_t nblk = (n + QL_MX_BLOCK - 1) / QL_MX_BLOCK;
	uint8_t *codes = malloc((size_t)n + 1), *e = malloc((size_t)nblk + 1);
	assert_non_null(codes);
	assert_non_null(e);
	fill_random(codes, (size_t)n);
	fill_random(e, (size_t)nblk);
	mctx c = {t, codes, e, n};
	compare_runs(ql_qdtype_name(t), run_mx, &c, n, off);
	free(codes);
	free(e);
}

static const ql_qdtype mx_types[] = {QL_Q_MXFP8, QL_Q_MXFP4, QL_Q_MXINT8};

static void test_mx_lengths(void **state)
{
	(void)state;
	for (int m = 0; m < 3; m++) {
		for (int64_t n = 0; n <= 200; n++)
			mx_case(mx_types[m], n, (size_t)(4 * (n % 8)));
		int64_t big = QL_DEQ_STREAM_BYTES / 4 + 13;
		mx_case(mx_types[m], big, 0);
		mx_case(mx_types[m], big, 16);
		mx_case(mx_types[m], big, 4);
	}
}

/* Every code under every scale (e8m0 0..255, 255 being NaN): 256 blocks of
 * 256 codes each, the codes 0..255 eight times over the 8 blocks a scale. */
static void test_mx_every_code_and_scale(void **state)
{
	(void)state;
	const int64_t n = 256 * 256;
	uint8_t *codes = malloc((size_t)n), *e = malloc((size_t)n / QL_MX_BLOCK);
	assert_non_null(codes);
	assert_non_null(e);
	for (int64_t i = 0; i < n; i++)
		codes[i] = (uint8_t)i;
	for (int64_t b = 0; b < n / QL_MX_BLOCK; b++)
		e[b] = (uint8_t)(b / 8);
	for (int m = 0; m < 3; m++) {
		mctx c = {mx_types[m], codes, e, n};
		compare_runs(ql_qdtype_name(mx_types[m]), run_mx, &c, n, 0);
	}
	free(codes);
	free(e);
}

int main(void)
{
	if (!simd_built())
		print_message("test_deq_simd: no AVX2 here: the C path compared with itself\n");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_block_formats_small),
		cmocka_unit_test(test_block_formats_large),
		cmocka_unit_test(test_nf4),
		cmocka_unit_test(test_mx_lengths),
		cmocka_unit_test(test_mx_every_code_and_scale),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
