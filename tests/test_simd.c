/* test_simd.c — the AVX2 affine kernels (src/core/quant_avx2.c) against the
 * portable C ones they replace, bit for bit, and ql_quantize run both ways.
 *
 *   - codes, clipped counts, dequantized values and metric sums of
 *     ql_affine_quantize_{s8,u8}_avx2 / ql_affine_qdq_{s8,u8}_avx2 equal
 *     those of the *_c kernels exactly (memcmp), for every code range
 *     (int8 sym [-127, 127], asym [-128, 127], uint8 [0, 255], the 4-bit
 *     and 2-bit ones), zero points across the range, and inputs made to hit
 *     the edges: ties x * inv = k + 0.5, values that clip, ±0, subnormals,
 *     huge values, ±inf and NaN, all-equal runs, lengths that are not a
 *     multiple of 32 and unaligned pointers;
 *   - both equal the formula clamp(zp + rint(x * inv), qmin, qmax) worked
 *     out here in double, and the fused sums equal ql_metrics_add's bit for
 *     bit and a long double reference within 1e-12 relative;
 *   - ql_quantize with the AVX2 kernels switched off and on gives the same
 *     result, metrics included (int8 per channel / per tensor, uint8 asym,
 *     int4 groups).
 * Without AVX2 on the CPU every test is skipped (and passes).
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

#if QL_HAVE_AVX2_KERNELS

static uint64_t rng = 88172645463325252ull;

static uint32_t next_u32(void)
{
	return tu_next_u32(&rng);
}

static float uniform(void)
{
	return tu_uniform(&rng);
}

#define bits_f tu_bits_f

/* The code ranges under test: int8 sym/asym, uint8, 4 and 2 bits. */
static const struct {
	int32_t qmin, qmax;
} ranges[] = {
	{-127, 127}, {-128, 127}, {0, 255}, {-7, 7}, {-8, 7}, {0, 15}, {-1, 1}, {-2, 1}, {0, 3},
};

/* n inputs of kind `kind` for a grid of step `scale` and zero point zp. */
static void make_inputs(float *x, size_t n, int kind, float scale, int32_t zp, int32_t qmin,
			int32_t qmax)
{
	const float inv = 1.0f / scale;
	for (size_t i = 0; i < n; i++) {
		float v;
		switch (kind) {
		case 0: /* spread over the range and a little beyond (some clip) */
			v = ((float)(qmin - zp) - 3.0f + uniform() * (float)(qmax - qmin + 6)) * scale;
			break;
		case 1: { /* ties: x * inv = k + 0.5 exactly, where such an x exists */
			int32_t k = qmin - zp - 2 + (int32_t)(next_u32() % (uint32_t)(qmax - qmin + 4));
			float want = (float)k + 0.5f;
			v = want * scale;
			for (int tries = 0; tries < 8 && v * inv != want; tries++)
				v = nextafterf(v, v * inv < want ? INFINITY : -INFINITY);
			if (next_u32() & 1) /* a neighbour: just off the tie */
				v = nextafterf(v, (next_u32() & 1) ? INFINITY : -INFINITY);
			break;
		}
		case 2: { /* special values */
			static const uint32_t special[] = {
				0x00000000u, 0x80000000u, 0x00000001u, 0x80000001u, 0x007fffffu,
				0x807fffffu, 0x00800000u, 0x7f7fffffu, 0xff7fffffu, 0x7f800000u,
				0xff800000u, 0x7fc00000u, 0xffc00000u, 0x7f800001u, 0x3f000000u,
				0xbf000000u, 0x4b000000u, 0x4ac00001u, 0x3effffffu, 0x3f000001u,
			};
			uint32_t r = next_u32() % 24;
			if (r < sizeof special / sizeof special[0])
				v = bits_f(special[r]);
			else /* any bit pattern at all */
				v = bits_f(next_u32() << 1 ^ next_u32());
			break;
		}
		case 3: /* all equal */
			v = (float)(qmax - zp) * scale * 0.37f;
			break;
		default: /* huge and tiny magnitudes */
			v = ldexpf(uniform() - 0.5f, (int)(next_u32() % 280) - 150);
			break;
		}
		x[i] = v;
	}
}

/* clamp(zp + rint(x * inv), qmin, qmax), in double from the float product;
 * NaN -> qmin (what both kernels do; the contract leaves it open). */
static int32_t formula(float x, float scale, int32_t zp, int32_t qmin, int32_t qmax, int *clip)
{
	float v = x * (1.0f / scale);
	if (isnan(v)) {
		*clip = 1;
		return qmin;
	}
	double q = (double)zp + rint((double)v);
	*clip = q < qmin || q > qmax;
	return q < qmin ? qmin : q > qmax ? qmax : (int32_t)q;
}

static void check_same(const void *a, const void *b, size_t bytes, const char *what, size_t n,
		       int32_t qmin, int32_t zp, float scale)
{
	if (memcmp(a, b, bytes)) {
		print_error("%s differ: n %zu qmin %d zp %d scale %a\n", what, n, (int)qmin, (int)zp,
			    (double)scale);
		fail();
	}
}

/* Two sums are the same: equal bits, or both NaN (a NaN's payload depends
 * on which operand the compiler put first, which C does not fix). */
static bool same_sum(double a, double b)
{
	return memcmp(&a, &b, sizeof a) == 0 || (isnan(a) && isnan(b));
}

static void same_sums(const ql_metrics_acc *a, const ql_metrics_acc *b, size_t n, int32_t qmin,
		      int32_t zp, float scale)
{
	if (a->n == b->n && a->clipped == b->clipped && same_sum(a->sum_x2, b->sum_x2) &&
	    same_sum(a->sum_y2, b->sum_y2) && same_sum(a->sum_xy, b->sum_xy) &&
	    same_sum(a->sum_e2, b->sum_e2) && same_sum(a->sum_abs_e, b->sum_abs_e) &&
	    same_sum(a->max_abs_e, b->max_abs_e))
		return;
	print_error("metric sums differ (n %zu qmin %d zp %d scale %a): x2 %a %a y2 %a %a "
		    "xy %a %a e2 %a %a |e| %a %a max %a %a\n", n, (int)qmin, (int)zp,
		    (double)scale, a->sum_x2, b->sum_x2, a->sum_y2, b->sum_y2, a->sum_xy,
		    b->sum_xy, a->sum_e2, b->sum_e2, a->sum_abs_e, b->sum_abs_e, a->max_abs_e,
		    b->max_abs_e);
	fail();
}

/* One case: every kernel, C against AVX2, and the formula. */
static void run_case(const float *x, size_t n, float scale, int32_t zp, int32_t qmin,
		     int32_t qmax)
{
	bool sgn = qmin < 0;
	uint8_t *qa = malloc(n + 1), *qc = malloc(n + 1);
	float *ya = malloc((n + 1) * sizeof *ya), *yc = malloc((n + 1) * sizeof *yc);
	assert_non_null(qa);
	assert_non_null(qc);
	assert_non_null(ya);
	assert_non_null(yc);

	int64_t ca, cc;
	if (sgn) {
		ca = ql_affine_quantize_s8_avx2(x, n, scale, zp, qmin, qmax, (int8_t *)qa);
		cc = ql_affine_quantize_s8_c(x, n, scale, zp, qmin, qmax, (int8_t *)qc);
	} else {
		ca = ql_affine_quantize_u8_avx2(x, n, scale, zp, qmin, qmax, qa);
		cc = ql_affine_quantize_u8_c(x, n, scale, zp, qmin, qmax, qc);
	}
	assert_int_equal(ca, cc);
	check_same(qa, qc, n, "codes", n, qmin, zp, scale);
	int64_t cf = 0;
	for (size_t i = 0; i < n; i++) {
		int c;
		int32_t want = formula(x[i], scale, zp, qmin, qmax, &c);
		int32_t got = sgn ? (int32_t)(int8_t)qa[i] : (int32_t)qa[i];
		if (got != want) {
			print_error("x %a: code %d, formula %d (qmin %d zp %d scale %a)\n",
				    (double)x[i], (int)got, (int)want, (int)qmin, (int)zp,
				    (double)scale);
			fail();
		}
		cf += c;
	}
	assert_int_equal(ca, cf);

	/* fused: with and without y, with and without sums */
	for (int mode = 0; mode < 4; mode++) {
		bool want_y = mode & 1, want_acc = mode & 2;
		ql_metrics_acc aa, ac;
		ql_metrics_acc_init(&aa);
		ql_metrics_acc_init(&ac);
		memset(qa, 0x5a, n);
		memset(qc, 0xa5, n);
		if (sgn) {
			ca = ql_affine_qdq_s8_avx2(x, n, scale, zp, qmin, qmax, (int8_t *)qa,
						   want_y ? ya : NULL, want_acc ? &aa : NULL);
			cc = ql_affine_qdq_s8_c(x, n, scale, zp, qmin, qmax, (int8_t *)qc,
						want_y ? yc : NULL, want_acc ? &ac : NULL);
		} else {
			ca = ql_affine_qdq_u8_avx2(x, n, scale, zp, qmin, qmax, qa,
						   want_y ? ya : NULL, want_acc ? &aa : NULL);
			cc = ql_affine_qdq_u8_c(x, n, scale, zp, qmin, qmax, qc,
						want_y ? yc : NULL, want_acc ? &ac : NULL);
		}
		assert_int_equal(ca, cc);
		assert_int_equal(ca, cf);
		check_same(qa, qc, n, "fused codes", n, qmin, zp, scale);
		if (want_y)
			check_same(ya, yc, n * sizeof *ya, "dequantized values", n, qmin, zp, scale);
		if (want_acc) {
			same_sums(&aa, &ac, n, qmin, zp, scale);
			assert_int_equal(aa.n, (int64_t)n);
		}
	}
	free(qa);
	free(qc);
	free(ya);
	free(yc);
}

static void skip_without_avx2(void)
{
	if (!ql_avx2_active()) {
		print_message("no AVX2 on this CPU: nothing to compare\n");
		skip();
	}
}

static void test_kernels_bitwise(void **state)
{
	(void)state;
	skip_without_avx2();
	static const size_t lens[] = {0, 1, 3, 4, 7, 31, 32, 33, 63, 64, 65, 100, 255, 1000, 1024, 4099};
	static const float scales[] = {0.25f, 0.1f, 1.0f / 127.0f, 3.7e-3f, 1.5f, FLT_EPSILON,
				       1e-30f, 1e20f};
	float *buf = malloc((4099 + 1) * sizeof *buf);
	assert_non_null(buf);
	int cases = 0;
	for (size_t r = 0; r < sizeof ranges / sizeof ranges[0]; r++) {
		int32_t qmin = ranges[r].qmin, qmax = ranges[r].qmax;
		for (size_t si = 0; si < sizeof scales / sizeof scales[0]; si++) {
			for (int zk = 0; zk < 3; zk++) {
				/* zero points: the symmetric middle, the ends, one past them */
				int32_t zp = zk == 0 ? (qmin + qmax) / 2 : zk == 1 ? qmin : qmax + 1;
				if (zk == 2 && r % 2)
					zp = qmin - 1;
				for (int kind = 0; kind < 5; kind++) {
					for (size_t li = 0; li < sizeof lens / sizeof lens[0]; li++) {
						size_t n = lens[li];
						float *x = buf + (li & 1); /* unaligned half the time */
						make_inputs(x, n, kind, scales[si], zp, qmin, qmax);
						run_case(x, n, scales[si], zp, qmin, qmax);
						cases++;
					}
				}
			}
		}
	}
	print_message("%d cases\n", cases);
	free(buf);
}

/* Ties at every k of the range with a power-of-two scale (x * inv exact):
 * half to even, in both directions, at both ends of the clamp. */
static void test_ties_exhaustive(void **state)
{
	(void)state;
	skip_without_avx2();
	for (size_t r = 0; r < sizeof ranges / sizeof ranges[0]; r++) {
		int32_t qmin = ranges[r].qmin, qmax = ranges[r].qmax;
		int32_t zp = (qmin + qmax) / 2;
		float x[1200];
		size_t n = 0;
		for (int32_t k = qmin - zp - 3; k <= qmax - zp + 3 && n + 4 <= 1200; k++) {
			float t = ((float)k + 0.5f) * 0.125f;
			x[n++] = t;
			x[n++] = -t;
			x[n++] = nextafterf(t, INFINITY);
			x[n++] = nextafterf(t, -INFINITY);
		}
		run_case(x, n, 0.125f, zp, qmin, qmax);
	}
}

/* Long inputs: the clip counters (int16 kept-lane counts in the
 * quantize-only loop, flushed every KEPT_FLUSH steps) and the 32-wide loop
 * over many steps, with a zero point and without (zp 0 has its own loop). */
static void test_long(void **state)
{
	(void)state;
	skip_without_avx2();
	size_t n = (1u << 20) + 17;
	float *x = malloc(n * sizeof *x);
	assert_non_null(x);
	make_inputs(x, n, 0, 0.01f, 3, -128, 127);
	run_case(x, n, 0.01f, 3, -128, 127);
	make_inputs(x, n, 0, 0.02f, 200, 0, 255);
	run_case(x, n, 0.02f, 200, 0, 255);
	make_inputs(x, n, 0, 0.01f, 0, -127, 127);
	run_case(x, n, 0.01f, 0, -127, 127);
	make_inputs(x, n, 0, 0.02f, 0, 0, 255);
	run_case(x, n, 0.02f, 0, 0, 255);
	free(x);
}

/* The fused sums against ql_metrics_add (bit for bit) and long double. */
static void test_fused_metrics(void **state)
{
	(void)state;
	skip_without_avx2();
	size_t n = 10007;
	float *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y);
	int8_t *q = malloc(n);
	assert_true(x && y && q);
	for (size_t i = 0; i < n; i++)
		x[i] = (uniform() + uniform() + uniform() - 1.5f) * 3.0f;
	float scale = 4.5f / 127.0f;
	ql_metrics_acc a, b;
	ql_metrics_acc_init(&a);
	ql_metrics_acc_init(&b);
	ql_affine_qdq_s8(x, n, scale, 0, -127, 127, q, NULL, &a);
	ql_affine_quantize_s8_c(x, n, scale, 0, -127, 127, q);
	ql_affine_dequantize_s8(q, n, scale, 0, y);
	ql_metrics_add(&b, x, y, n);
	assert_memory_equal(&a, &b, sizeof a);

	long double sx2 = 0, sy2 = 0, sxy = 0, se2 = 0, sae = 0, mae = 0;
	for (size_t i = 0; i < n; i++) {
		long double xv = x[i], yv = y[i], e = yv - xv;
		sx2 += xv * xv;
		sy2 += yv * yv;
		sxy += xv * yv;
		se2 += e * e;
		sae += fabsl(e);
		mae = fabsl(e) > mae ? fabsl(e) : mae;
	}
	assert_true(fabsl(a.sum_x2 - sx2) <= 1e-12L * sx2);
	assert_true(fabsl(a.sum_y2 - sy2) <= 1e-12L * sy2);
	assert_true(fabsl(a.sum_xy - sxy) <= 1e-12L * sxy);
	assert_true(fabsl(a.sum_e2 - se2) <= 1e-12L * se2);
	assert_true(fabsl(a.sum_abs_e - sae) <= 1e-12L * sae);
	assert_true(a.max_abs_e == (double)mae);
	assert_true(a.max_abs_e <= scale * 0.5f);
	free(x);
	free(y);
	free(q);
}

/* ql_quantize with the AVX2 kernels off, then on: the same result. */
static void compare_quantize(const float *x, const int64_t *shape, int ndim, const ql_scheme *s)
{
	ql_qopts o = {.dequant = true, .threads = 2};
	ql_qresult r[2];
	ql_error err;
	for (int on = 0; on < 2; on++) {
		ql_avx2_enable(on);
		assert_int_equal(ql_quantize(x, shape, ndim, s, &o, &r[on], &err), 0);
	}
	ql_avx2_enable(true);
	assert_true(ql_avx2_active());
	size_t n = (size_t)r[0].nelem;
	assert_memory_equal(r[0].codes, r[1].codes, n ? n : 1);
	assert_memory_equal(r[0].dequant, r[1].dequant, (n ? n : 1) * sizeof(float));
	assert_memory_equal(r[0].scales, r[1].scales, (size_t)r[0].nscales * sizeof(float));
	if (r[0].zero_points)
		assert_memory_equal(r[0].zero_points, r[1].zero_points,
				    (size_t)r[0].nscales * sizeof(int32_t));
	assert_memory_equal(&r[0].metrics, &r[1].metrics, sizeof r[0].metrics);
	if (r[0].clip_lo) {
		assert_memory_equal(r[0].clip_lo, r[1].clip_lo, (size_t)r[0].nscales * sizeof(float));
		assert_memory_equal(r[0].clip_hi, r[1].clip_hi, (size_t)r[0].nscales * sizeof(float));
	}
	/* and without the dequantized copy (the AVX2 path keeps the values in
	 * registers): the same codes; the same sums up to the order in which
	 * ql_quantize adds short units (it groups them when nothing is kept) */
	o.dequant = false;
	ql_qresult r2;
	assert_int_equal(ql_quantize(x, shape, ndim, s, &o, &r2, &err), 0);
	assert_memory_equal(r2.codes, r[0].codes, n ? n : 1);
	assert_int_equal(r2.metrics.clipped, r[0].metrics.clipped);
	assert_true(r2.metrics.max_abs_err == r[0].metrics.max_abs_err);
	assert_true(fabs(r2.metrics.mse - r[0].metrics.mse) <= 1e-12 * r[0].metrics.mse);
	assert_true(fabs(r2.metrics.cosine - r[0].metrics.cosine) <= 1e-12);
	ql_qresult_free(&r2);
	ql_qresult_free(&r[0]);
	ql_qresult_free(&r[1]);
}

static void test_quantize_both_ways(void **state)
{
	(void)state;
	skip_without_avx2();
	int64_t shape[2] = {301, 1037}; /* odd, more than 4 jobs of 2^16 */
	size_t n = (size_t)(shape[0] * shape[1]);
	float *x = malloc(n * sizeof *x);
	assert_non_null(x);
	for (size_t i = 0; i < n; i++)
		x[i] = (uniform() - 0.3f) * (float)(1 + i / 1037 % 5);
	for (size_t i = 0; i < 64; i++) /* ±0, subnormals in some rows */
		x[(i * 7919) % n] = i % 2 ? bits_f(0x80000000u) : bits_f((uint32_t)i);
	ql_scheme s;
	ql_scheme_init(&s);
	s.gran = QL_GRAN_CHANNEL;
	s.axis = 0;
	compare_quantize(x, shape, 2, &s); /* int8 per channel, axis 0 */
	ql_scheme_init(&s);
	compare_quantize(x, shape, 2, &s); /* int8 per tensor */
	s.sym = QL_ASYM;
	compare_quantize(x, shape, 2, &s); /* int8 asym */
	ql_scheme_init(&s);
	s.dtype = QL_Q_UINT8;
	s.gran = QL_GRAN_CHANNEL;
	s.axis = 0;
	compare_quantize(x, shape, 2, &s);
	ql_scheme_init(&s);
	s.has_scale = true;
	s.scale = 0.004f; /* clips */
	compare_quantize(x, shape, 2, &s);
	ql_scheme_init(&s);
	s.dtype = QL_Q_INT4;
	s.gran = QL_GRAN_GROUP;
	s.group = 100;
	compare_quantize(x, shape, 2, &s);
	s.dtype = QL_Q_UINT2;
	s.group = 1037;
	compare_quantize(x, shape, 2, &s);
	ql_scheme_init(&s);
	for (size_t i = 0; i < n; i++)
		x[i] = 0.75f; /* all equal */
	compare_quantize(x, shape, 2, &s);
	free(x);
}

/* Integer targets in groups of 32: the AVX2 path makes eight groups' scales
 * and zero points at a time (the rest of a tile one by one). Groups that
 * reach each branch of ql_qparams_from_range_sd: all +0 or -0 (the scale
 * FLT_EPSILON), one sign only (a zero point at qmin or qmax), subnormal
 * (a scale below FLT_EPSILON), near FLT_MAX, a lone value, ties of
 * lo / scale; 41 groups a row, so tiles end on a partial eight. */
static void test_group_params_both_ways(void **state)
{
	(void)state;
	skip_without_avx2();
	int64_t shape[2] = {7, 41 * 32};
	size_t n = (size_t)(shape[0] * shape[1]);
	float *x = malloc(n * sizeof *x);
	assert_non_null(x);
	for (size_t g = 0; g < n / 32; g++) {
		float *v = x + g * 32;
		for (int j = 0; j < 32; j++) {
			float u = uniform() - 0.5f;
			switch (g % 11) {
			case 0: v[j] = 0.0f; break;
			case 1: v[j] = -0.0f; break;
			case 2: v[j] = fabsf(u) + 0.5f; break;  /* positive only */
			case 3: v[j] = -fabsf(u) - 2.0f; break; /* negative only */
			case 4: v[j] = bits_f((uint32_t)(j * 977)) * (j % 2 ? -1.0f : 1.0f); break;
			case 5: v[j] = u * 6.0e37f; break;
			case 6: v[j] = j == 17 ? -3.0f : 0.0f; break;
			case 7: v[j] = (float)(j - 13) * 0.25f; break; /* exact ratios */
			default: v[j] = u * (float)(1 + g % 5); break;
			}
		}
	}
	static const ql_qdtype types[] = {QL_Q_INT8, QL_Q_UINT8, QL_Q_INT4, QL_Q_UINT4, QL_Q_INT2};
	ql_scheme s;
	for (size_t t = 0; t < sizeof types / sizeof *types; t++)
		for (int sym = 0; sym < 2; sym++) {
			ql_scheme_init(&s);
			s.dtype = types[t];
			s.sym = sym ? QL_SYM : QL_ASYM;
			s.gran = QL_GRAN_GROUP;
			s.group = 32;
			compare_quantize(x, shape, 2, &s);
		}
	/* fp16 scales: the scalar path only, the same either way */
	ql_scheme_init(&s);
	s.dtype = QL_Q_INT4;
	s.gran = QL_GRAN_GROUP;
	s.group = 32;
	s.scale_dtype = QL_SCALE_FP16;
	compare_quantize(x, shape, 2, &s);
	free(x);
}

/* Channels along the last axis: the AVX2 scan takes the running ranges four
 * rows at a time, then the rows left over; columns a multiple of 8 (the
 * AVX2 path's condition). Rows 4k + 1 per job and in all, and non-finite
 * values counted the same way by both paths. */
static void test_last_axis_both_ways(void **state)
{
	(void)state;
	skip_without_avx2();
	int64_t shape[2] = {301, 1024}; /* 64 rows a job: the last job 45 */
	size_t n = (size_t)(shape[0] * shape[1]);
	float *x = malloc(n * sizeof *x);
	assert_non_null(x);
	for (size_t i = 0; i < n; i++)
		x[i] = (uniform() - 0.3f) * (float)(1 + i % 7);
	for (size_t i = 0; i < 64; i++) /* ±0, subnormals */
		x[(i * 7919) % n] = i % 2 ? bits_f(0x80000000u) : bits_f((uint32_t)i);
	x[300 * 1024 + 5] = 1e30f; /* the last row (a tail row) holds a column's max */
	x[299 * 1024 + 6] = -1e30f;
	ql_scheme s;
	for (int t = 0; t < 2; t++) {
		ql_scheme_init(&s);
		s.dtype = t ? QL_Q_UINT8 : QL_Q_INT8;
		s.sym = t ? QL_ASYM : QL_SYM;
		s.gran = QL_GRAN_CHANNEL;
		s.axis = 1;
		compare_quantize(x, shape, 2, &s);
	}
	/* non-finite values in full batches and in the tail rows */
	x[3 * 1024 + 17] = NAN;
	x[150 * 1024 + 1023] = INFINITY;
	x[300 * 1024] = -INFINITY;
	ql_error err[2];
	ql_qresult r;
	for (int on = 0; on < 2; on++) {
		ql_avx2_enable(on);
		assert_int_equal(ql_quantize(x, shape, 2, &s, NULL, &r, &err[on]), -1);
	}
	ql_avx2_enable(true);
	assert_non_null(strstr(err[1].msg, "3 values are not finite (the first at index 3089"));
	assert_string_equal(err[0].msg, err[1].msg);
	free(x);
}

#else /* no AVX2 kernels built on this platform */

static void test_kernels_bitwise(void **state)
{
	(void)state;
	assert_false(ql_avx2_active());
	skip();
}

#define test_ties_exhaustive test_kernels_bitwise
#define test_long test_kernels_bitwise
#define test_fused_metrics test_kernels_bitwise
#define test_quantize_both_ways test_kernels_bitwise
#define test_last_axis_both_ways test_kernels_bitwise
#define test_group_params_both_ways test_kernels_bitwise

#endif

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kernels_bitwise),
		cmocka_unit_test(test_ties_exhaustive),
		cmocka_unit_test(test_long),
		cmocka_unit_test(test_fused_metrics),
		cmocka_unit_test(test_quantize_both_ways),
		cmocka_unit_test(test_last_axis_both_ways),
		cmocka_unit_test(test_group_params_both_ways),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
