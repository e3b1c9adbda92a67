/* test_blockspeed.c — the fast block-format paths of ql_quantize against the
 * scalar reference kernels, bit for bit.
 *
 *   - ql_q8_0_fused_avx2 / ql_q4_0_fused_avx2 / ql_nf4_blocks_avx2
 *     (src/core/quant_avx2.c, qrow_avx2.c) against ql_quantize_row_q8_0_ref / _q4_0_ref /
 *     ql_nf4_quantize_ref, the dequantizers,
 *     ql_metrics_add (per block and per tile of 32 blocks) and an in-order
 *     min/max: raw
 *     blocks, codes, scales, ranges, dequantized values and metric sums,
 *     and Q4_0's clipped count, over random data, exact ties, all-zero and
 *     ±0 blocks, the largest magnitude twice with both signs, subnormals,
 *     blocks whose 1/d overflows, huge values, wide exponent spreads;
 *   - ql_quantize with the AVX2 kernels off, then on, for every block
 *     format: the same result in every field, with the dequantized values
 *     kept or not, metrics or none, one thread or two;
 *   - a non-finite value is refused either way.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "../src/core/quant_avx2.h"
#include "qlens/quant.h"
#include "qlens/stats.h"

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t next_u32(void)
{
	return tu_next_u32(&rng);
}

static float uniform(void)
{
	return tu_uniform(&rng);
}

#define bits_f tu_bits_f

/* A finite float with a random sign, mantissa and an exponent field in
 * [e0, e1] (0 gives subnormals and zeros). */
static float rand_exp(uint32_t e0, uint32_t e1)
{
	uint32_t e = e0 + next_u32() % (e1 - e0 + 1);
	return bits_f((next_u32() & 0x807fffffu) | e << 23);
}

enum { KINDS = 16 };

/* Block b (32 values) of kind `kind`. */
static void make_block(float *x, int kind, int b)
{
	for (int j = 0; j < 32; j++) {
		switch (kind) {
		case 0: /* plain random */
			x[j] = (uniform() - 0.5f) * 4.0f;
			break;
		case 1: /* exact ties: amax 127 so id = 1, values k + 0.5 */
			x[j] = j == 0 ? 127.0f : (float)((int)(next_u32() % 254) - 127) + 0.5f;
			break;
		case 2: /* ties under a power-of-two scale */
			x[j] = (j == 5 ? -127.0f : (float)((int)(next_u32() % 252) - 126) + 0.5f) *
			       0x1p-9f;
			break;
		case 3: /* all zero, mixed signs */
			x[j] = (next_u32() & 1) ? -0.0f : 0.0f;
			break;
		case 4: /* ±0 around small values */
			x[j] = j % 3 ? ((j & 1) ? -0.0f : 0.0f) : (uniform() - 0.5f);
			break;
		case 5: /* subnormals (and zeros) only: 1 / d overflows */
			x[j] = rand_exp(0, 0);
			break;
		case 6: /* tiny normals: 1 / d overflows around here */
			x[j] = rand_exp(1, 8);
			break;
		case 7: /* huge */
			x[j] = rand_exp(250, 254);
			break;
		case 8: /* every exponent */
			x[j] = rand_exp(0, 254);
			break;
		case 9: /* all equal */
			x[j] = b & 1 ? -3.25f : 1e-3f;
			break;
		case 10: /* only non-negative, min exactly +0 or -0 */
			x[j] = j == b % 32 ? ((b & 2) ? -0.0f : 0.0f) : uniform();
			break;
		case 12: /* the largest magnitude twice, with both signs (Q4_0 keeps the first) */
			x[j] = j == 3 + b % 5 ? ((b & 1) ? 5.0f : -5.0f)
			       : j == 20 ? ((b & 1) ? -5.0f : 5.0f)
					 : (uniform() - 0.5f) * 9.0f;
			break;
		case 13: /* amax 127 (id = 1): small codes' half-way points, and 1 ulp either side */
			x[j] = j == b % 32 ? ((b & 1) ? -127.0f : 127.0f)
			       : (float)(int)(next_u32() % 4) * ((next_u32() & 1) ? -1.0f : 1.0f) +
					 (j % 3 == 0   ? 0.5f
					  : j % 3 == 1 ? nextafterf(0.5f, 0.0f)
						       : nextafterf(0.5f, 1.0f));
			break;
		case 14: /* amax around 2^-119, where the Q8_0 row kernel's fast path ends */
			x[j] = (uniform() - 0.5f) * 0x1p-119f;
			if (j == b % 32)
				x[j] = nextafterf(0x1p-119f, (b % 3 == 0)   ? 0.0f
							     : (b % 3 == 1) ? 1.0f
									    : 0x1p-119f) *
				       ((b & 4) ? -1.0f : 1.0f);
			break;
		case 15: { /* amax 1 (NF4: w = x): its thresholds and 1 ulp either side */
			float t = ql_nf4_thresholds[next_u32() % 15];
			int k = (int)(next_u32() % 3);
			x[j] = j == b % 32 ? ((b & 1) ? -1.0f : 1.0f)
			       : k == 0	   ? t
			       : k == 1	   ? nextafterf(t, INFINITY)
					   : nextafterf(t, -INFINITY);
			break;
		}
		default: /* near the rounding edges of x * id: values k ± 1 ulp + 0.5 */
			x[j] = j == 0 ? -127.0f
				      : nextafterf((float)((int)(next_u32() % 254) - 127) + 0.5f,
						   (next_u32() & 1) ? INFINITY : -INFINITY);
			break;
		}
	}
}

static bool same_float(float a, float b)
{
	return memcmp(&a, &b, sizeof a) == 0;
}

#if QL_HAVE_AVX2_KERNELS

/* The in-order range of a block, as ql_quantize's scan finds it. */
static void check_range(const float *xb, float lo_got, float hi_got, float clo, float chi)
{
	float lo = INFINITY, hi = -INFINITY;
	for (int j = 0; j < 32; j++) {
		lo = xb[j] < lo ? xb[j] : lo;
		hi = xb[j] > hi ? xb[j] : hi;
	}
	float am = fabsf(lo) > fabsf(hi) ? fabsf(lo) : fabsf(hi);
	assert_true(same_float(lo_got, lo));
	assert_true(same_float(hi_got, hi));
	assert_true(same_float(clo, -am));
	assert_true(same_float(chi, am));
}

/* q4 = false: Q8_0, true: Q4_0. */
static void kernel_vs_ref(bool q4)
{
	if (!ql_avx2_active()) {
		print_message("no AVX2 on this CPU: nothing to compare\n");
		skip();
	}
	const int64_t nb = 64 * KINDS + 37; /* not a whole number of tiles */
	const int64_t n = nb * 32;
	float *x = malloc((size_t)n * sizeof *x), *y = malloc((size_t)n * sizeof *y);
	float *yr = malloc((size_t)n * sizeof *yr);
	ql_block_q8_0 *b8 = malloc((size_t)nb * sizeof *b8), *r8 = malloc((size_t)nb * sizeof *r8);
	ql_block_q4_0 *b4 = malloc((size_t)nb * sizeof *b4), *r4 = malloc((size_t)nb * sizeof *r4);
	uint8_t *codes = malloc((size_t)n);
	float *f[5];
	for (int i = 0; i < 5; i++)
		f[i] = malloc((size_t)nb * sizeof(float));
	assert_true(x && y && yr && b8 && r8 && b4 && r4 && codes && f[0] && f[1] && f[2] && f[3] &&
		    f[4]);

	for (int round = 0; round < 20; round++) {
		for (int64_t b = 0; b < nb; b++)
			make_block(x + b * 32, (int)((b + round) % KINDS), (int)b);
		int64_t clip_ref = 0;
		if (q4) {
			clip_ref = ql_quantize_row_q4_0_ref(x, r4, n);
			ql_dequantize_row_q4_0(r4, yr, n);
		} else {
			assert_int_equal(ql_quantize_row_q8_0_ref(x, r8, n), 0);
			ql_dequantize_row_q8_0(r8, yr, n);
		}
		for (int64_t flush = 1; flush <= 64; flush *= 32) {
			ql_metrics_acc a, ar;
			ql_metrics_acc_init(&a);
			ql_metrics_acc_init(&ar);
			float *yo = flush == 1 ? y : NULL;
			int64_t done, clip = 0;
			if (q4) {
				memset(b4, 0xa5, (size_t)nb * sizeof *b4);
				done = ql_q4_0_fused_avx2(x, nb, b4, codes, f[0], f[1], f[2], f[3],
							   f[4], yo, &a, flush, &clip);
				assert_memory_equal(b4, r4, (size_t)nb * sizeof *b4);
			} else {
				memset(b8, 0xa5, (size_t)nb * sizeof *b8);
				done = ql_q8_0_fused_avx2(x, nb, b8, (int8_t *)codes, f[0], f[1], f[2],
							   f[3], f[4], yo, &a, flush);
				assert_memory_equal(b8, r8, (size_t)nb * sizeof *b8);
			}
			assert_int_equal(done, nb);
			assert_int_equal(clip, clip_ref);
			for (int64_t b = 0; b < nb; b++) {
				if (q4) {
					for (int j = 0; j < 16; j++) {
						assert_int_equal(codes[b * 32 + j], r4[b].qs[j] & 15);
						assert_int_equal(codes[b * 32 + j + 16], r4[b].qs[j] >> 4);
					}
				} else {
					assert_memory_equal(codes + b * 32, r8[b].qs, 32);
				}
				uint16_t d = q4 ? r4[b].d : r8[b].d;
				assert_true(same_float(f[4][b], ql_f32_from_fp16(d)));
				check_range(x + b * 32, f[0][b], f[1][b], f[2][b], f[3][b]);
			}
			if (yo)
				assert_memory_equal(y, yr, (size_t)n * sizeof *y);
			for (int64_t b = 0; b < nb; b += flush) {
				int64_t k = nb - b < flush ? nb - b : flush;
				ql_metrics_add(&ar, x + b * 32, yr + b * 32, (size_t)(k * 32));
			}
			assert_memory_equal(&a, &ar, sizeof a);
		}
	}
	/* a non-finite value stops the kernel at its block */
	for (int64_t b = 0; b < 8; b++)
		make_block(x + b * 32, 0, (int)b);
	const float bad[3] = {INFINITY, -INFINITY, NAN};
	for (int i = 0; i < 3; i++) {
		x[5 * 32 + 7 + i] = bad[i];
		int64_t clip;
		int64_t done = q4 ? ql_q4_0_fused_avx2(x, 8, b4, codes, f[0], f[1], f[2], f[3], f[4],
							NULL, NULL, 1, &clip)
				  : ql_q8_0_fused_avx2(x, 8, b8, (int8_t *)codes, f[0], f[1], f[2],
							f[3], f[4], NULL, NULL, 1);
		assert_int_equal(done, 5);
		x[5 * 32 + 7 + i] = 1.0f;
	}
	for (int i = 0; i < 5; i++)
		free(f[i]);
	free(x);
	free(y);
	free(yr);
	free(b8);
	free(r8);
	free(b4);
	free(r4);
	free(codes);
}

static void test_q8_0_kernel(void **state)
{
	(void)state;
	kernel_vs_ref(false);
}

static void test_q4_0_kernel(void **state)
{
	(void)state;
	kernel_vs_ref(true);
}

static void test_nf4_kernel(void **state)
{
	(void)state;
	if (!ql_avx2_active()) {
		print_message("no AVX2 on this CPU: nothing to compare\n");
		skip();
	}
	const int64_t nb = 32 * KINDS + 19, n = nb * 64;
	float *x = malloc((size_t)n * sizeof *x), *y = malloc((size_t)n * sizeof *y);
	float *yr = malloc((size_t)n * sizeof *yr), *am = malloc((size_t)nb * sizeof *am);
	uint8_t *codes = malloc((size_t)n), *cr = malloc((size_t)n), *packed = malloc((size_t)n / 2);
	float *f[5];
	for (int i = 0; i < 5; i++)
		f[i] = malloc((size_t)nb * sizeof(float));
	assert_true(x && y && yr && am && codes && cr && packed && f[0] && f[1] && f[2] && f[3] &&
		    f[4]);
	for (int round = 0; round < 10; round++) {
		for (int64_t b = 0; b < 2 * nb; b++)
			make_block(x + b * 32, (int)((b / 2 + round + (b & 1) * 5) % KINDS), (int)b);
		if (round == 9) /* NF4 thresholds exactly: amax 1, values on them */
			for (int64_t i = 0; i < n; i++)
				x[i] = i % 64 == 0 ? 1.0f : ql_nf4_thresholds[i % 15];
		ql_nf4_quantize_ref(x, n, cr, am);
		ql_nf4_dequantize(cr, am, n, yr);
		for (int64_t flush = 1; flush <= 16; flush *= 16) {
			ql_metrics_acc a, ar;
			ql_metrics_acc_init(&a);
			ql_metrics_acc_init(&ar);
			float *yo = flush == 1 ? y : NULL;
			assert_int_equal(ql_nf4_blocks_avx2(x, nb, packed, codes, f[0], f[1], f[2],
							    f[3], f[4], yo, &a, flush),
					 nb);
			assert_memory_equal(codes, cr, (size_t)n);
			for (int64_t i = 0; i < n; i += 2)
				assert_int_equal(packed[i / 2], cr[i] << 4 | cr[i + 1]);
			assert_memory_equal(f[4], am, (size_t)nb * sizeof *am);
			for (int64_t b = 0; b < nb; b++) {
				const float *xb = x + b * 64;
				float lo = INFINITY, hi = -INFINITY;
				for (int j = 0; j < 64; j++) {
					lo = xb[j] < lo ? xb[j] : lo;
					hi = xb[j] > hi ? xb[j] : hi;
				}
				/* a zero's sign is scan_span's (checked through ql_quantize) */
				assert_true(f[0][b] == lo && f[1][b] == hi);
				assert_true(same_float(f[3][b], am[b]) && same_float(f[2][b], -am[b]));
			}
			if (yo)
				assert_memory_equal(y, yr, (size_t)n * sizeof *y);
			for (int64_t b = 0; b < nb; b += flush) {
				int64_t k = nb - b < flush ? nb - b : flush;
				ql_metrics_add(&ar, x + b * 64, yr + b * 64, (size_t)(k * 64));
			}
			assert_memory_equal(&a, &ar, sizeof a);
		}
	}
	for (int i = 0; i < 5; i++)
		free(f[i]);
	free(x);
	free(y);
	free(yr);
	free(am);
	free(codes);
	free(cr);
	free(packed);
}

#endif

/* ql_quantize with the AVX2 kernels off, then on: every field the same. */
static void compare_scheme(const float *x, const int64_t *shape, int ndim, const ql_scheme *sp)
{
	const ql_scheme s = *sp;
	for (int mode = 0; mode < 6; mode++) {
		ql_qopts o = {.dequant = mode % 3 == 0, .no_metrics = mode % 3 == 2,
			      .threads = 1 + mode / 3};
		ql_qresult r[2];
		ql_error err;
		/* with metrics and no kept copy, the error histogram too */
		bool hist = mode % 3 == 1;
		ql_ehist eh[2];
		for (int on = 0; on < 2; on++) {
			ql_avx2_enable(on);
			if (hist) {
				assert_int_equal(ql_ehist_init(&eh[on], &err), 0);
				o.ehist = &eh[on];
			}
			assert_int_equal(ql_quantize(x, shape, ndim, &s, &o, &r[on], &err), 0);
		}
		ql_avx2_enable(true);
		if (hist) {
			/* the fine counts and the least-key word after them */
			assert_memory_equal(eh[0].counts, eh[1].counts,
					    (QL_EHIST_NFINE + 1) * sizeof *eh[0].counts);
			assert_true(eh[0].min == eh[1].min && eh[0].max == eh[1].max);
			assert_int_equal(eh[0].n, eh[1].n);
			assert_int_equal(eh[1].n, r[1].nelem);
			ql_ehist_free(&eh[0]);
			ql_ehist_free(&eh[1]);
		}
		size_t n = (size_t)r[0].nelem;
		assert_int_equal(r[0].nelem, r[1].nelem);
		assert_int_equal(r[0].nscales, r[1].nscales);
		assert_int_equal(r[0].blocks_bytes, r[1].blocks_bytes);
		if (n) {
			assert_memory_equal(r[0].codes, r[1].codes, n);
			if (r[0].blocks_bytes)
				assert_memory_equal(r[0].blocks, r[1].blocks, r[0].blocks_bytes);
			if (o.dequant)
				assert_memory_equal(r[0].dequant, r[1].dequant, n * sizeof(float));
		}
		size_t ns = (size_t)r[0].nscales * sizeof(float);
		if (ns) {
			assert_memory_equal(r[0].scales, r[1].scales, ns);
			assert_memory_equal(r[0].clip_lo, r[1].clip_lo, ns);
			assert_memory_equal(r[0].clip_hi, r[1].clip_hi, ns);
			assert_true(!r[0].zero_points == !r[1].zero_points);
			if (r[0].zero_points)
				assert_memory_equal(r[0].zero_points, r[1].zero_points,
						    (size_t)r[0].nscales * sizeof *r[0].zero_points);
		}
		assert_true(same_float(r[0].data_min, r[1].data_min));
		assert_true(same_float(r[0].data_max, r[1].data_max));
		assert_memory_equal(&r[0].metrics, &r[1].metrics, sizeof r[0].metrics);
		if (o.no_metrics) { /* honoured on both paths: no sums at all */
			assert_int_equal(r[1].metrics.n, 0);
			assert_true(r[1].metrics.mse == 0 && r[1].metrics.max_abs_err == 0);
		}
		assert_int_equal(r[0].bytes, r[1].bytes);
		ql_qresult_free(&r[0]);
		ql_qresult_free(&r[1]);
	}
}

static void compare_quantize(const float *x, const int64_t *shape, int ndim, ql_qdtype t)
{
	ql_scheme s;
	ql_scheme_init(&s);
	s.dtype = t;
	compare_scheme(x, shape, ndim, &s);
}

/* Integer targets per group: groups of 32 (the AVX2 group loop of
 * quantize_fast.c, codes only and with metrics and the error histogram)
 * and of other sizes, symmetric or not, fp32 or fp16 scales, against the
 * C path. */
static void test_int_groups_both_ways(void **state)
{
	(void)state;
	int64_t shapes[][2] = {{131, 1024}, {7, 96}, {5, 100}, {3, 32}}; /* the first: 3 jobs */
	size_t n = 301 * 1024;
	float *x = malloc(n * sizeof *x);
	assert_non_null(x);
	for (size_t b = 0; b < n / 32; b++)
		make_block(x + b * 32, (int)(b % KINDS), (int)b);
	const ql_qdtype types[] = {QL_Q_INT4, QL_Q_UINT4, QL_Q_INT8, QL_Q_UINT8, QL_Q_INT3};
	for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++)
		for (size_t t = 0; t < sizeof types / sizeof types[0]; t++)
			for (int v = 0; v < 4; v++) {
				ql_scheme s;
				ql_scheme_init(&s);
				s.dtype = types[t];
				s.gran = QL_GRAN_GROUP;
				s.group = v == 3 ? 16 : 32;
				s.sym = v == 1 ? QL_ASYM : v == 0 ? QL_SYM : QL_SYM_DEFAULT;
				if (v == 2)
					s.scale_dtype = QL_SCALE_FP16;
				compare_scheme(x, shapes[k], 2, &s);
			}
	/* moderate values only (see test_quantize_both_ways) */
	for (size_t i = 0; i < n; i++)
		x[i] = (uniform() - 0.5f) * (float)(1 + i / 1024 % 7);
	for (size_t t = 0; t < sizeof types / sizeof types[0]; t++) {
		ql_scheme s;
		ql_scheme_init(&s);
		s.dtype = types[t];
		s.gran = QL_GRAN_GROUP;
		s.group = 32;
		compare_scheme(x, shapes[0], 2, &s);
	}
	free(x);
}

/* Integer targets in groups of 64 to 1024 (quantize_fast.c's group loop
 * over their blocks of 32; a group's range from its blocks' ranges, a zero
 * result scanned again by ql_qp_scan_span), against the C path. Each row
 * of 1024 is one kind, so every group size sees whole groups of it: mixed
 * blocks, ReLU-like values (+0 and -0 the least), their negatives (a zero
 * the greatest), all +0 and -0, one nonzero value among zeros, moderate
 * values. A zero's sign shows in the asymmetric clipping range. */
static void test_int_big_groups_both_ways(void **state)
{
	(void)state;
	int64_t shape[2] = {67, 1024}, rag[2] = {9, 192}; /* rag: groups of 128 do not fit */
	size_t n = (size_t)(shape[0] * shape[1]);
	float *x = malloc(n * sizeof *x);
	assert_non_null(x);
	for (int64_t r = 0; r < shape[0]; r++) {
		float *row = x + r * 1024;
		for (int64_t b = 0; b < 32; b++)
			make_block(row + b * 32, (int)((r * 32 + b) % KINDS), (int)b);
		for (int64_t i = 0; i < 1024; i++) {
			float z = (next_u32() & 1) ? -0.0f : 0.0f, v = uniform() - 0.5f;
			switch (r % 6) {
			case 1: row[i] = v > 0 ? v : z; break;
			case 2: row[i] = v > 0 ? -v : z; break;
			case 3: row[i] = z; break;
			case 4: row[i] = i % 300 == 7 ? v : z; break;
			case 5: row[i] = v * (float)(1 + r % 7); break;
			default: break; /* the mixed blocks */
			}
		}
	}
	const ql_qdtype types[] = {QL_Q_INT4, QL_Q_UINT4, QL_Q_INT8, QL_Q_UINT8};
	const int64_t groups[] = {64, 128, 256, 1024};
	for (size_t g = 0; g < sizeof groups / sizeof groups[0]; g++)
		for (size_t t = 0; t < sizeof types / sizeof types[0]; t++)
			for (int v = 0; v < 3; v++) {
				ql_scheme s;
				ql_scheme_init(&s);
				s.dtype = types[t];
				s.gran = QL_GRAN_GROUP;
				s.group = groups[g];
				s.sym = v == 0 ? QL_SYM : QL_ASYM;
				if (v == 2)
					s.scale_dtype = QL_SCALE_FP16;
				compare_scheme(x, shape, 2, &s);
				if (g == 1 && v == 1)
					compare_scheme(x, rag, 2, &s);
			}
	free(x);
}

/* Asymmetric ranges wider than float (max - min overflows: -3e38 to
 * 3.4e38): the scale is the width in double over the levels, a finite
 * float, on the AVX2 group path (eight groups at a time) as in the scalar
 * rule; PyTorch's float arithmetic would give inf and dequantize to NaN. */
static void test_wide_float_ranges(void **state)
{
	(void)state;
	int64_t shape[2] = {16, 256};
	size_t n = (size_t)(shape[0] * shape[1]);
	float *x = malloc(n * sizeof *x);
	assert_non_null(x);
	for (size_t i = 0; i < n; i++)
		x[i] = uniform() - 0.5f;
	for (size_t i = 0; i < n; i += 96) { /* every third group of 32: the wide range */
		x[i] = -3e38f;
		x[i + 5] = 3.4e38f;
	}
	const int64_t groups[] = {32, 64, 128};
	for (size_t g = 0; g < 3; g++)
		for (int t = 0; t < 2; t++) {
			ql_scheme s;
			ql_scheme_init(&s);
			s.dtype = t ? QL_Q_UINT8 : QL_Q_INT8;
			s.gran = QL_GRAN_GROUP;
			s.group = groups[g];
			s.sym = QL_ASYM;
			compare_scheme(x, shape, 2, &s);
			ql_qresult r;
			ql_error err;
			ql_qopts o = {.threads = 1};
			assert_int_equal(ql_quantize(x, shape, 2, &s, &o, &r, &err), 0);
			int wide = 0;
			for (int64_t u = 0; u < r.nscales; u++) {
				float lo = r.clip_lo[u] < 0 ? r.clip_lo[u] : 0.0f;
				float hi = r.clip_hi[u] > 0 ? r.clip_hi[u] : 0.0f;
				assert_true(isfinite(r.scales[u]));
				if (isinf(hi - lo)) {
					wide++;
					float want = (float)(((double)hi - (double)lo) / 255.0);
					assert_true(r.scales[u] == want);
				}
			}
			assert_true(wide >= 8); /* the vector path's eights saw them */
			assert_int_equal(ql_qresult_check(&r, &err), 0);
			ql_qresult_free(&r);
		}
	/* the scalar rule itself */
	float sc;
	int32_t zp;
	ql_qparams_from_range(-2e38f, 2e38f, -128, 127, false, &sc, &zp);
	assert_true(sc == (float)(4e38 / 255.0) || sc == (float)(((double)2e38f + (double)2e38f) / 255.0));
	assert_true(zp >= -128 && zp <= 127);
	free(x);
}

/* Integer targets per channel along the last axis (the by_rows path:
 * quantize_scan.c's per-column scan, quant_cols' codes and dequantized
 * values, AVX2 where a row tile is a multiple of 32 columns and the scan
 * where it is a multiple of 8): widths that are and are not, one row and
 * many jobs, against the C path, sums and histogram included. */
static void test_last_axis_both_ways(void **state)
{
	(void)state;
	int64_t shapes[][2] = {{257, 1024}, {64, 1056}, {33, 40}, {9, 37}, {1, 32}, {4099, 96}};
	size_t n = 4099 * 96 + 64;
	float *x = malloc(n * sizeof *x);
	assert_non_null(x);
	for (size_t b = 0; b < n / 32; b++)
		make_block(x + b * 32, (int)(b % KINDS), (int)b);
	const ql_qdtype types[] = {QL_Q_UINT8, QL_Q_INT8, QL_Q_INT4, QL_Q_UINT4};
	for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++)
		for (size_t t = 0; t < sizeof types / sizeof types[0]; t++)
			for (int v = 0; v < 2; v++) {
				ql_scheme s;
				ql_scheme_init(&s);
				s.dtype = types[t];
				s.gran = QL_GRAN_CHANNEL;
				s.axis = 1;
				s.sym = v ? QL_ASYM : QL_SYM;
				compare_scheme(x + k, shapes[k], 2, &s);
			}
	/* columns of moderate values, all-equal columns, ±0 columns, ties at
	 * the scale of a power of two, and a subnormal column */
	int64_t shape[2] = {515, 160};
	for (int64_t i = 0; i < shape[0] * shape[1]; i++) {
		int64_t c = i % shape[1];
		x[i] = c % 9 == 0   ? -1.5f
		       : c % 9 == 1 ? ((next_u32() & 1) ? -0.0f : 0.0f)
		       : c % 9 == 2 ? (float)((int)(next_u32() % 254) - 127) * 0x1p-7f
		       : c % 9 == 3 ? rand_exp(0, 0)
				    : (uniform() - 0.5f) * (float)(1 + c % 5);
	}
	for (size_t t = 0; t < sizeof types / sizeof types[0]; t++)
		for (int v = 0; v < 4; v++) {
			ql_scheme s;
			ql_scheme_init(&s);
			s.dtype = types[t];
			s.gran = QL_GRAN_CHANNEL;
			s.axis = 1;
			s.sym = v & 1 ? QL_ASYM : QL_SYM;
			if (v >= 2) { /* a clipping range inside the data: the clamps bind */
				s.calib = QL_CALIB_PERCENTILE;
				s.percentile = 90.0;
			}
			compare_scheme(x, shape, 2, &s);
		}
	free(x);
}

/* (and fp8 with a per-tensor scale: quant_span's AVX2 codes-and-values pass) */
static const ql_qdtype block_types[] = {QL_Q_Q8_0,  QL_Q_Q4_0,  QL_Q_NF4,	QL_Q_MXFP4,
					QL_Q_MXFP8, QL_Q_MXINT8, QL_Q_FP8_E4M3, QL_Q_FP8_E5M2};

static void test_quantize_both_ways(void **state)
{
	(void)state;
	int64_t shape[2] = {301, 1024}; /* more than 4 jobs of 2^16, odd rows */
	size_t n = (size_t)(shape[0] * shape[1]);
	float *x = malloc(n * sizeof *x);
	assert_non_null(x);
	for (size_t b = 0; b < n / 32; b++)
		make_block(x + b * 32, (int)(b % KINDS), (int)b);
	for (size_t i = 0; i < sizeof block_types / sizeof block_types[0]; i++)
		compare_quantize(x, shape, 2, block_types[i]);
	/* moderate values only, where the double sums round at every add: a
	 * sum flushed at another point than the C path's shows here */
	for (size_t i = 0; i < n; i++)
		x[i] = (uniform() - 0.5f) * (float)(1 + i / 1024 % 7);
	for (size_t i = 0; i < sizeof block_types / sizeof block_types[0]; i++)
		compare_quantize(x, shape, 2, block_types[i]);
	/* min and max of the tensor are zeros of the first sign met */
	for (size_t i = 0; i < n; i++)
		x[i] = (i / 32 + i) % 3 ? -0.0f : 0.0f;
	for (size_t i = 0; i < sizeof block_types / sizeof block_types[0]; i++)
		compare_quantize(x, shape, 2, block_types[i]);
	/* one block of zeros of random signs: its range is the tensor's */
	int64_t one[2][2] = {{1, 32}, {1, 64}};
	for (int round = 0; round < 64; round++) {
		for (size_t i = 0; i < 64; i++)
			x[i] = (next_u32() & 1) ? -0.0f : 0.0f;
		for (size_t i = 0; i < sizeof block_types / sizeof block_types[0]; i++)
			compare_quantize(x, one[round & 1], 2, block_types[i]);
	}
	/* small shapes, one block, and empty */
	int64_t small[][2] = {{3, 32}, {1, 32}, {7, 64}, {0, 32}, {3001, 96}}; /* last: 2 jobs, NF4 ends short */
	for (size_t k = 0; k < 5; k++)
		for (size_t i = 0; i < sizeof block_types / sizeof block_types[0]; i++)
			compare_quantize(x + 1, small[k], 2, block_types[i]);
	free(x);
}

/* ql_quantize_row_q8_0 (the AVX2 row kernel when active, the C clone when
 * not) against ggml's reference bytes, over every kind of block and blocks
 * holding NaN or infinities (those go the C way inside the kernel). */
static void test_q8_0_row(void **state)
{
	(void)state;
	enum { NB = 3 * 1024 };
	float *x = malloc(NB * 32 * sizeof *x);
	ql_block_q8_0 *a = malloc(NB * sizeof *a), *r = malloc(NB * sizeof *r);
	assert_true(x && a && r);
	for (int b = 0; b < NB; b++)
		make_block(x + b * 32, b % KINDS, b);
	for (int b = 0; b < NB; b += 97)
		x[b * 32 + b % 32] = b % 3 == 0 ? NAN : b % 3 == 1 ? INFINITY : -INFINITY;
	ql_quantize_row_q8_0_ref(x, r, NB * 32);
	for (int on = 0; on < 2; on++) {
		ql_avx2_enable(on);
		memset(a, 0x55, NB * sizeof *a);
		assert_int_equal(ql_quantize_row_q8_0(x, a, NB * 32), 0);
		assert_memory_equal(a, r, NB * sizeof *a);
	}
	ql_avx2_enable(true);
	free(x);
	free(a);
	free(r);
}

static bool exhaustive(void)
{
	const char *e = getenv("QLENS_EXHAUSTIVE");
	return e && *e && strcmp(e, "0") != 0;
}

/* The Q8_0 row kernel's rounding, sign(v) * trunc(|v| + 0.49999997f), on
 * the codes of every float a in [0, 128] (QLENS_EXHAUSTIVE=1), else on
 * every 61st one and on the 4096 floats either side of each k and k + 0.5:
 * blocks of 127 (so d = 1, id = 1 and v = x exactly) and 31 values ±a,
 * against the reference bytes. */
static void test_q8_0_row_rounding(void **state)
{
	(void)state;
	enum { NB = 4096 };
	float *x = malloc(NB * 32 * sizeof *x);
	ql_block_q8_0 *a = malloc(NB * sizeof *a), *r = malloc(NB * sizeof *r);
	assert_true(x && a && r);
	const uint32_t end = 0x43000000u; /* 128.0f */
	const uint32_t step = exhaustive() ? 1 : 61;
	uint32_t u = 0, near = 0; /* near: index into the runs around k and k + 0.5 */
	bool done = false;
	int64_t checked = 0;
	while (!done) {
		int64_t nb = 0;
		for (; nb < NB && !done; nb++) {
			float *xb = x + nb * 32;
			xb[0] = (nb & 1) ? -127.0f : 127.0f;
			for (int j = 1; j < 32; j++) {
				float v;
				if (u <= end) {
					v = bits_f(u);
					u += step;
				} else if (near < 256u * 8192u) {
					float c = (float)(near / 8192u) * 0.5f; /* 0, 0.5, ..., 127.5 */
					uint32_t cb;
					memcpy(&cb, &c, sizeof cb);
					int32_t off = (int32_t)(near % 8192u) - 4096;
					v = c == 0.0f ? bits_f((uint32_t)(off < 0 ? -off : off))
						      : bits_f((uint32_t)((int32_t)cb + off));
					near++;
				} else {
					v = 0.0f;
					done = true;
				}
				xb[j] = (next_u32() & 1) ? -v : v;
				checked++;
			}
		}
		ql_quantize_row_q8_0_ref(x, r, nb * 32);
		assert_int_equal(ql_quantize_row_q8_0(x, a, nb * 32), 0);
		assert_memory_equal(a, r, (size_t)nb * sizeof *a);
	}
	assert_true(checked > (exhaustive() ? (int64_t)end : (int64_t)(end / 61)));
	free(x);
	free(a);
	free(r);
}

static void test_nonfinite_refused(void **state)
{
	(void)state;
	int64_t shape[2] = {64, 256};
	size_t n = (size_t)(shape[0] * shape[1]);
	float *x = malloc(n * sizeof *x);
	assert_non_null(x);
	const float bad[3] = {INFINITY, -INFINITY, NAN};
	for (int i = 0; i < 3; i++) {
		for (size_t j = 0; j < n; j++)
			x[j] = uniform() - 0.5f;
		x[n - 40 + (size_t)i] = bad[i];
		for (int on = 0; on < 2; on++) {
			ql_avx2_enable(on);
			ql_scheme s;
			ql_scheme_init(&s);
			s.dtype = QL_Q_Q8_0;
			ql_qresult r;
			ql_error err;
			assert_int_equal(ql_quantize(x, shape, 2, &s, NULL, &r, &err), -1);
			/* and the last-axis scan (per-column, by rows) */
			s.dtype = QL_Q_UINT8;
			s.gran = QL_GRAN_CHANNEL;
			s.axis = 1;
			assert_int_equal(ql_quantize(x, shape, 2, &s, NULL, &r, &err), -1);
			assert_non_null(strstr(err.msg, "1 value is not finite"));
		}
	}
	ql_avx2_enable(true);
	free(x);
}

#if !QL_HAVE_AVX2_KERNELS
static void test_q8_0_kernel(void **state)
{
	(void)state;
	assert_false(ql_avx2_active());
	skip();
}
#define test_q4_0_kernel test_q8_0_kernel
#define test_nf4_kernel test_q8_0_kernel
#endif

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_q8_0_kernel),
		cmocka_unit_test(test_q4_0_kernel),
		cmocka_unit_test(test_nf4_kernel),
		cmocka_unit_test(test_quantize_both_ways),
		cmocka_unit_test(test_int_groups_both_ways),
		cmocka_unit_test(test_int_big_groups_both_ways),
		cmocka_unit_test(test_wide_float_ranges),
		cmocka_unit_test(test_last_axis_both_ways),
		cmocka_unit_test(test_nonfinite_refused),
		cmocka_unit_test(test_q8_0_row),
		cmocka_unit_test(test_q8_0_row_rounding),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
