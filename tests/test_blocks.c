/* test_blocks.c — the block formats: llama.cpp Q8_0/Q4_0 (and the Q4_1,
 * Q5_0, Q5_1 dequantizers), OCP MX, bitsandbytes NF4, and the fp16 helper.
 *
 * Blocks worked out by hand from ggml's reference algorithm, plus golden
 * vectors from tests/golden/gen_quant.py (Python ports of
 * quantize_row_q8_0_ref / quantize_row_q4_0_ref, microxcaling's _quantize_mx
 * and bitsandbytes' NF4 quantizer).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qgolden.h"
#include "qlens/format.h"
#include "qlens/quant.h"

/* ---- fp16 ------------------------------------------------------------------------ */

/* ql_fp16_from_f32 against the format core's (independently tested) encoder. */
static void test_fp16(void **state)
{
	(void)state;
	const float special[] = {0.0f, -0.0f, 1.0f, 65504.0f, 65519.99f, 65520.0f, 1e9f,
				 0x1p-24f, 0x1p-25f, 0x1.000002p-25f, 0x1.8p-24f, 0x1p-14f,
				 0x1.ffcp-15f, 1.0f / 3, 0.1f, 1e-30f, -1e-30f, FLT_MAX};
	for (size_t i = 0; i < sizeof special / sizeof special[0]; i++) {
		for (int sg = 0; sg < 2; sg++) {
			float v = sg ? -special[i] : special[i];
			uint16_t h = ql_fp16_from_f32(v);
			assert_int_equal(h, (uint16_t)ql_encode(QL_FP16, v, QL_ROUND_NEAREST_EVEN, NULL));
		}
	}
	/* a sweep over float32 patterns, every exponent */
	for (uint32_t u = 0; u < 0x7f800000u; u += 0x1357u) {
		float v;
		memcpy(&v, &u, sizeof v);
		uint16_t h = ql_fp16_from_f32(v);
		if (h != (uint16_t)ql_encode(QL_FP16, v, QL_ROUND_NEAREST_EVEN, NULL)) {
			note("fp16 of %a: %04x\n", (double)v, h);
			fail();
		}
	}
	assert_int_equal(ql_fp16_from_f32(INFINITY), 0x7c00);
	assert_int_equal(ql_fp16_from_f32(NAN) & 0x7c00, 0x7c00);
	/* decoding every pattern */
	for (uint32_t h = 0; h < 0x10000; h++) {
		float f = ql_f32_from_fp16((uint16_t)h);
		double want = ql_decode(QL_FP16, h);
		if (isnan(want))
			assert_true(isnan(f));
		else
			assert_true((double)f == want && !signbit(f) == !signbit(want));
	}
}

/* ---- Q8_0 / Q4_0 by hand ----------------------------------------------------------- */

static void test_q8_0_hand(void **state)
{
	(void)state;
	float x[64];
	/* block 0: x_j = j - 16: amax 16, d = 16/127 = 0.125984251..., fp16 0x3008
	 * (1.0078125 × 2^-3); id = 1/d = 7.9375; codes roundf(x × 7.9375) */
	for (int j = 0; j < 32; j++)
		x[j] = (float)(j - 16);
	/* block 1: zeros */
	for (int j = 32; j < 64; j++)
		x[j] = 0.0f;
	ql_block_q8_0 b[2];
	ql_quantize_row_q8_0(x, b, 64);
	assert_int_equal(b[0].d, 0x3008);
	assert_int_equal(b[0].qs[0], -127);  /* -16 × 7.9375 = -127 */
	assert_int_equal(b[0].qs[1], -119);  /* -15 × 7.9375 = -119.06 */
	assert_int_equal(b[0].qs[14], -16);  /* -2 × 7.9375 = -15.875 */
	assert_int_equal(b[0].qs[16], 0);
	assert_int_equal(b[0].qs[17], 8);    /* 7.9375 */
	assert_int_equal(b[0].qs[31], 119);  /* 15 × 7.9375 = 119.06 */
	assert_int_equal(b[1].d, 0);
	for (int j = 0; j < 32; j++)
		assert_int_equal(b[1].qs[j], 0);

	/* half away from zero: 0.5 steps. x = {2.5, -2.5, 1.5, 127} with amax 127:
	 * d = 1, id = 1: 2.5 -> 3, -2.5 -> -3, 1.5 -> 2 */
	float t[32] = {2.5f, -2.5f, 1.5f, 127.0f};
	ql_block_q8_0 bt;
	ql_quantize_row_q8_0(t, &bt, 32);
	assert_int_equal(bt.d, 0x3c00);
	assert_int_equal(bt.qs[0], 3);
	assert_int_equal(bt.qs[1], -3);
	assert_int_equal(bt.qs[2], 2);
	assert_int_equal(bt.qs[3], 127);

	float y[64];
	ql_dequantize_row_q8_0(b, y, 64);
	assert_true(y[17] == 8 * 0.1259765625f); /* fp16 d is 0.1259765625 */
	assert_true(y[40] == 0.0f);

	/* a block too small for 1/d: absmax 2^-125, d = 2^-125/127 is below
	 * 2^-128, 1/d = inf, every x * id is ±inf or NaN; ggml on x86 stores
	 * code 0 for each (cvttss2si's 0x80000000 truncated to a byte), d = 0 */
	float tiny[32] = {0x1p-125f, -0x1p-126f, 0.0f, 0x1p-149f};
	for (int pass = 0; pass < 2; pass++) {
		ql_block_q8_0 bb;
		(pass ? ql_quantize_row_q8_0_ref : ql_quantize_row_q8_0)(tiny, &bb, 32);
		assert_int_equal(bb.d, 0);
		for (int j = 0; j < 32; j++)
			assert_int_equal(bb.qs[j], 0);
	}
}

static void test_q4_0_hand(void **state)
{
	(void)state;
	/* largest magnitude negative: x_j = j - 16, max = -16 (j = 0), d = -16/-8
	 * = 2 (fp16 0x4000), id = 0.5; code = (int8_t)(x/2 + 8.5): -16 -> 0,
	 * -15 -> 1, 0 -> 8, 1 -> 9, 15 -> 16, capped to 15 */
	float x[96];
	for (int j = 0; j < 32; j++)
		x[j] = (float)(j - 16);
	/* largest magnitude positive: max = 8, d = -1, id = -1: 8 -> 0, -4 -> 12 */
	for (int j = 32; j < 64; j++)
		x[j] = 0.0f;
	x[32] = 8.0f;
	x[33] = -4.0f;
	x[48] = 3.0f;
	/* zeros: d = -0, id = 0, every code 8 */
	for (int j = 64; j < 96; j++)
		x[j] = 0.0f;
	ql_block_q4_0 b[3];
	int64_t clipped = ql_quantize_row_q4_0(x, b, 96);
	assert_int_equal(clipped, 1); /* 15 in block 0 */
	assert_int_equal(b[0].d, 0x4000);
	assert_int_equal(b[0].qs[0], 0x80);   /* j=0: -16 -> 0; j=16: 0 -> 8 */
	assert_int_equal(b[0].qs[1], 0x91);   /* -15 -> 1; 1 -> 9 */
	assert_int_equal(b[0].qs[15], 0xf8);  /* -1 -> (int)8.0 = 8; 15 -> 16 -> 15 */
	assert_int_equal(b[1].d, 0xbc00);     /* -1 */
	assert_int_equal(b[1].qs[0] & 0x0f, 0);  /* 8 -> (int)(-8 + 8.5) = 0 */
	assert_int_equal(b[1].qs[1] & 0x0f, 12); /* -4 -> (int)(4 + 8.5) = 12 */
	assert_int_equal(b[1].qs[0] >> 4, 5);    /* 3 -> (int)(-3 + 8.5) = 5 */
	assert_int_equal(b[1].qs[2], 0x88);
	assert_int_equal(b[2].d, 0x8000); /* d = 0.0f / -8 = -0.0, as in ggml */
	for (int j = 0; j < 16; j++)
		assert_int_equal(b[2].qs[j], 0x88);

	float y[96];
	ql_dequantize_row_q4_0(b, y, 96);
	assert_true(y[0] == -16.0f);
	assert_true(y[31] == 14.0f); /* 15 capped: (15 - 8) × 2 */
	assert_true(y[32] == 8.0f);
	assert_true(y[33] == -4.0f);
	assert_true(y[48] == 3.0f);
	assert_true(y[70] == 0.0f);
}

/* Q4_1, Q5_0, Q5_1: blocks written by hand, decoded by the ggml formulas. */
static void test_other_dequant(void **state)
{
	(void)state;
	ql_block_q4_1 b41;
	b41.d = 0x3800; /* 0.5 */
	b41.m = 0xbc00; /* -1 */
	for (int j = 0; j < 16; j++)
		b41.qs[j] = (uint8_t)(j | (15 - j) << 4);
	float y[32];
	ql_dequantize_row_q4_1(&b41, y, 32);
	for (int j = 0; j < 16; j++) {
		assert_true(y[j] == (float)j * 0.5f - 1.0f);
		assert_true(y[j + 16] == (float)(15 - j) * 0.5f - 1.0f);
	}

	ql_block_q5_0 b50;
	b50.d = 0x4000; /* 2 */
	/* qh = 0x00010002: bit 1 (element 1) and bit 16 (element 16) */
	b50.qh[0] = 0x02;
	b50.qh[1] = 0x00;
	b50.qh[2] = 0x01;
	b50.qh[3] = 0x00;
	memset(b50.qs, 0, sizeof b50.qs);
	b50.qs[1] = 0x03;       /* element 1: 3 | 16 = 19 -> (19 - 16) × 2 = 6 */
	b50.qs[0] = 0x50;       /* element 0: 0 -> -32; element 16: 5 | 16 = 21 -> 10 */
	ql_dequantize_row_q5_0(&b50, y, 32);
	assert_true(y[0] == -32.0f);
	assert_true(y[1] == 6.0f);
	assert_true(y[16] == 10.0f);
	assert_true(y[17] == -32.0f);

	ql_block_q5_1 b51;
	b51.d = 0x3c00; /* 1 */
	b51.m = 0x4200; /* 3 */
	b51.qh[0] = 0x00;
	b51.qh[1] = 0x00;
	b51.qh[2] = 0x00;
	b51.qh[3] = 0x80; /* bit 31: element 31 */
	for (int j = 0; j < 16; j++)
		b51.qs[j] = 0xff;
	ql_dequantize_row_q5_1(&b51, y, 32);
	assert_true(y[0] == 15.0f + 3.0f);
	assert_true(y[30] == 15.0f + 3.0f);
	assert_true(y[31] == 31.0f + 3.0f);
}

/* ---- Golden: Q8_0 / Q4_0 ------------------------------------------------------------- */

static void test_golden_ggml(void **state)
{
	(void)state;
	FILE *f = qg_open();
	assert_non_null(f);
	qg_case c = {0};
	int cases = 0;
	while (qg_next(f, &c)) {
		bool q8 = !strcmp(c.kind, "q8_0"), q4 = !strcmp(c.kind, "q4_0");
		if (!q8 && !q4)
			continue;
		const qg_array *xa = qg_arr(&c, "x"), *da = qg_arr(&c, "d"), *qa = qg_arr(&c, "qs");
		float *x = qg_floats(xa);
		int64_t n = (int64_t)xa->n, nb = n / 32;
		/* through ql_quantize: its raw blocks must be the reference bytes */
		ql_scheme s;
		ql_scheme_init(&s);
		s.dtype = q8 ? QL_Q_Q8_0 : QL_Q_Q4_0;
		int64_t shape[2] = {nb, 32};
		ql_qresult r;
		ql_error err;
		ql_qopts o = {.dequant = true};
		assert_int_equal(ql_quantize(x, shape, 2, &s, &o, &r, &err), 0);
		assert_int_equal(r.blocks_bytes, (size_t)nb * (q8 ? 34 : 18));
		for (int64_t b = 0; b < nb; b++) {
			const uint8_t *raw = r.blocks + b * (q8 ? 34 : 18);
			uint16_t d = (uint16_t)(raw[0] | raw[1] << 8);
			if (d != (uint16_t)da->v[b]) {
				note("%s block %lld: d %04x, reference %04x\n", c.head, (long long)b, d,
				     (unsigned)da->v[b]);
				fail();
			}
			int nq = q8 ? 32 : 16;
			for (int j = 0; j < nq; j++) {
				int got = q8 ? (int)(int8_t)raw[2 + j] : (int)raw[2 + j];
				if (got != (int)qa->v[b * nq + j]) {
					note("%s block %lld qs[%d]: %d, reference %d\n", c.head,
					     (long long)b, j, got, (int)qa->v[b * nq + j]);
					fail();
				}
			}
			check_same_float(r.scales[b], ql_f32_from_fp16(d), "block scale", (size_t)b);
		}
		/* codes and dequantized values agree with the blocks */
		float *y = malloc((size_t)n * sizeof *y);
		if (q8)
			ql_dequantize_row_q8_0((const ql_block_q8_0 *)r.blocks, y, n);
		else
			ql_dequantize_row_q4_0((const ql_block_q4_0 *)r.blocks, y, n);
		for (int64_t i = 0; i < n; i++) {
			check_same_float(r.dequant[i], y[i], "dequant", (size_t)i);
			float v = q8 ? (float)(int8_t)r.codes[i] : (float)((int)r.codes[i] - 8);
			check_same_float(v * r.scales[i / 32], y[i], "code × d", (size_t)i);
		}
		free(y);
		free(x);
		ql_qresult_free(&r);
		cases++;
	}
	qg_free(&c);
	fclose(f);
	assert_int_equal(cases, 10);
}

/* ---- Golden: MX ------------------------------------------------------------------------ */

static void test_golden_mx(void **state)
{
	(void)state;
	FILE *f = qg_open();
	assert_non_null(f);
	qg_case c = {0};
	int cases = 0;
	while (qg_next(f, &c)) {
		if (strcmp(c.kind, "mx"))
			continue;
		const qg_array *xa = qg_arr(&c, "x"), *ea = qg_arr(&c, "e"), *va = qg_arr(&c, "v"),
			       *ya = qg_arr(&c, "y");
		ql_scheme s;
		ql_scheme_init(&s);
		ql_error err;
		assert_int_equal(ql_scheme_parse_dtype(qg_param(&c, "fmt"), &s.dtype, &err), 0);
		float *x = qg_floats(xa);
		int64_t n = (int64_t)xa->n;
		int64_t shape[2] = {n / 32, 32};
		ql_qresult r;
		ql_qopts o = {.dequant = true};
		assert_int_equal(ql_quantize(x, shape, 2, &s, &o, &r, &err), 0);
		int bb = ql_qdtypes[s.dtype].block_bytes;
		for (int64_t b = 0; b < n / 32; b++) {
			int e = r.blocks[b * bb];
			if (e != (int)ea->v[b]) {
				note("%s block %lld: e8m0 %d, reference %d\n", c.head, (long long)b, e,
				     (int)ea->v[b]);
				fail();
			}
		}
		for (int64_t i = 0; i < n; i++) {
			float v = ql_mx_elem_value(s.dtype, r.codes[i]);
			if (v != (float)va->v[i]) {
				note("%s [%lld] x=%a: element %a, reference %a\n", c.head, (long long)i,
				     (double)x[i], (double)v, va->v[i]);
				fail();
			}
			/* -0 and +0 are the same value here: the reference's sign() drops it */
			if (!(r.dequant[i] == 0.0f && ya->v[i] == 0.0))
				check_same_float(r.dequant[i], (float)ya->v[i], c.head, (size_t)i);
		}
		free(x);
		ql_qresult_free(&r);
		cases++;
	}
	qg_free(&c);
	fclose(f);
	assert_int_equal(cases, 15);
}

/* MX by hand, and the raw layouts. */
static void test_mx_hand(void **state)
{
	(void)state;
	/* MXFP4, absmax 3: floor(log2 3) - 2 = -1, scale 0.5; elements x / 0.5:
	 * 3 -> 6, 1.25 -> 2.5 -> 2 (ties to even on the 0.5 grid? 2.5 lies between
	 * 2 and 3: fp4 steps of 1 there, tie -> 2), 0.3 -> 0.6 -> 0.5, -0.2 ->
	 * -0.4 -> -0.5 */
	float x[40] = {3.0f, 1.25f, 0.3f, -0.2f, 2.9f};
	uint8_t codes[40], e[2];
	ql_mx_quantize(QL_Q_MXFP4, x, 40, codes, e);
	assert_int_equal(e[0], 126);
	assert_true(ql_mx_elem_value(QL_Q_MXFP4, codes[0]) == 6.0f);
	assert_true(ql_mx_elem_value(QL_Q_MXFP4, codes[1]) == 2.0f);
	assert_true(ql_mx_elem_value(QL_Q_MXFP4, codes[2]) == 0.5f);
	assert_true(ql_mx_elem_value(QL_Q_MXFP4, codes[3]) == -0.5f);
	assert_true(ql_mx_elem_value(QL_Q_MXFP4, codes[4]) == 6.0f); /* 5.8 -> 6 */
	assert_int_equal(codes[0], 0x7);
	assert_int_equal(codes[3], 0x9);
	/* the second, short block of 8 zeros: scale 2^-127 (e8m0 0) */
	assert_int_equal(e[1], 0);

	/* MXINT8: absmax 1.5 -> shared exp 0; 1.5 × 64 = 96; 1.999 -> 127 (sat.) */
	float xi[32] = {1.5f, 1.999f, -1.0f / 128};
	uint8_t ci[32], ei;
	assert_int_equal(ql_mx_quantize(QL_Q_MXINT8, xi, 32, ci, &ei), 1);
	assert_int_equal(ei, 127);
	assert_int_equal((int8_t)ci[0], 96);
	assert_int_equal((int8_t)ci[1], 127);
	assert_int_equal((int8_t)ci[2], 0); /* -0.5 -> 0 (ties to even) */

	/* the layout of ql_quantize's MXFP4 blocks: ggml's block_mxfp4 */
	float xr[32];
	for (int j = 0; j < 32; j++)
		xr[j] = (float)(j % 7);
	int64_t shape[1] = {32};
	ql_scheme s;
	ql_scheme_init(&s);
	s.dtype = QL_Q_MXFP4;
	ql_qresult r;
	ql_error err;
	assert_int_equal(ql_quantize(xr, shape, 1, &s, NULL, &r, &err), 0);
	assert_int_equal(r.blocks_bytes, 17);
	assert_int_equal(r.blocks[0], 127); /* absmax 6: floor(log2 6) - 2 = 0 */
	for (int j = 0; j < 16; j++)
		assert_int_equal(r.blocks[1 + j], r.codes[j] | r.codes[j + 16] << 4);
	ql_qresult_free(&r);

	/* a row of 40: two blocks, the second padded with zero codes */
	float x40[40];
	for (int j = 0; j < 40; j++)
		x40[j] = (float)j / 8;
	int64_t s40[1] = {40};
	s.dtype = QL_Q_MXFP8;
	ql_qopts o = {.dequant = true};
	assert_int_equal(ql_quantize(x40, s40, 1, &s, &o, &r, &err), 0);
	assert_int_equal(r.nscales, 2);
	assert_int_equal(r.blocks_bytes, 66);
	assert_memory_equal(r.blocks + 34, r.codes + 32, 8);
	for (int j = 42; j < 66; j++)
		assert_int_equal(r.blocks[j], 0);
	float d[40];
	ql_qresult_dequantize(&r, d);
	assert_memory_equal(d, r.dequant, sizeof d);
	ql_qresult_free(&r);
}

/* ---- NF4 ----------------------------------------------------------------------------- */

static void test_golden_nf4(void **state)
{
	(void)state;
	FILE *f = qg_open();
	assert_non_null(f);
	qg_case c = {0};
	int cases = 0;
	while (qg_next(f, &c)) {
		if (strcmp(c.kind, "nf4"))
			continue;
		const qg_array *xa = qg_arr(&c, "x"), *ca = qg_arr(&c, "codes"), *aa = qg_arr(&c, "absmax");
		float *x = qg_floats(xa);
		int64_t n = (int64_t)xa->n;
		ql_scheme s;
		ql_scheme_init(&s);
		s.dtype = QL_Q_NF4;
		int64_t shape[1] = {n};
		ql_qresult r;
		ql_error err;
		ql_qopts o = {.dequant = true};
		assert_int_equal(ql_quantize(x, shape, 1, &s, &o, &r, &err), 0);
		assert_int_equal(r.nscales, (int64_t)aa->n);
		for (int64_t b = 0; b < r.nscales; b++)
			check_same_float(r.scales[b], (float)aa->v[b], "absmax", (size_t)b);
		for (int64_t i = 0; i < n; i++) {
			assert_int_equal(r.codes[i], (int)ca->v[i]);
			check_same_float(r.dequant[i], ql_nf4_levels[r.codes[i]] * r.scales[i / 64],
					 "nf4 dequant", (size_t)i);
		}
		/* bitsandbytes' packing: first element in the high nibble */
		for (int64_t i = 0; i + 1 < n; i += 2)
			assert_int_equal(r.blocks[i / 2], r.codes[i] << 4 | r.codes[i + 1]);
		free(x);
		ql_qresult_free(&r);
		cases++;
	}
	qg_free(&c);
	fclose(f);
	assert_int_equal(cases, 3);
}

static void test_nf4_thresholds(void **state)
{
	(void)state;
	/* each level maps to itself, and midpoints go to the lower code */
	for (int c = 0; c < 16; c++)
		assert_int_equal(ql_nf4_code(ql_nf4_levels[c]), c);
	assert_int_equal(ql_nf4_code(0.03979014977812767f), 7);
	assert_int_equal(ql_nf4_code(nextafterf(0.03979014977812767f, 1.0f)), 8);
	assert_int_equal(ql_nf4_code(-2.0f), 0);
	assert_int_equal(ql_nf4_code(2.0f), 15);
	assert_int_equal(ql_nf4_code(NAN), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fp16),
		cmocka_unit_test(test_q8_0_hand),
		cmocka_unit_test(test_q4_0_hand),
		cmocka_unit_test(test_other_dequant),
		cmocka_unit_test(test_golden_ggml),
		cmocka_unit_test(test_golden_mx),
		cmocka_unit_test(test_mx_hand),
		cmocka_unit_test(test_golden_nf4),
		cmocka_unit_test(test_nf4_thresholds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
