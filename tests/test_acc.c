/* test_acc.c — the fused accumulation step (src/core/acc_avx2.h) against
 * the portable C it replaces, bit for bit:
 *
 *   - ql_ehist_add's AVX2 path against ql_ehist_add_c: every fine count,
 *     the least-key word after them, min, max and n;
 *   - ql_affine_qdq_s8/u8 with acc->eh (sums and histogram in one step)
 *     against the same with the AVX2 kernels off: codes, dequantized
 *     values, every sum (memcmp; a NaN sum equals any NaN, as in
 *     test_simd.c) and the histogram;
 *   - ql_metrics_add itself (the step when AVX2 is on) against its
 *     portable definition (AVX2 off), with and without the histogram,
 *     called on every length 0..70 and odd long ones in a row (the lanes
 *     are flushed per call: each call is its own run).
 *
 * The inputs are made to hit the edges: errors of ±0 (x = y, x = -y = 0,
 * y = -0), subnormal x and y, ties of the rounding, all-equal runs, huge
 * and tiny values and scales, errors whose square is not exact in double
 * (x and y far apart in exponent: an FMA there would change se2), errors on
 * the fine bins' edges, ±inf and NaN in x or y; lengths 0 to 70 and
 * longer ones that are not a multiple of 8 or 32; unaligned pointers.
 * Without AVX2 (and FMA) on the CPU every test is skipped (and passes).
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

#include "../src/core/ehist_impl.h"
#include "testutil.h"
#include "../src/core/quant_avx2.h"
#include "qlens/affine.h"
#include "qlens/stats.h"

#if QL_HAVE_AVX2_KERNELS

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

enum { NSETS = 9, N = 4099 };

/* Pairs (x, y) of kind k: y stands for a dequantized x. */
static void make_pairs(int k, float *x, float *y, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		float v = (uniform() - 0.5f) * 8.0f;
		float w;
		switch (k) {
		case 0: /* quantizer-like errors, steps of 1/25 */
			w = roundf(v * 25.0f) / 25.0f;
			break;
		case 1: /* zeros of both signs, equal pairs, -0 errors */
			v = (i % 3 == 0) ? 0.0f : (i % 3 == 1) ? -0.0f : v;
			w = (i % 4 == 0) ? -v : (i % 4 == 1) ? v : (i % 4 == 2) ? -0.0f : 0.0f;
			break;
		case 2: /* subnormals, against subnormals and zero */
			v = bits_f(next_u32() & 0x807fffffu);
			w = (i % 2) ? bits_f(next_u32() & 0x807fffffu) : 0.0f;
			break;
		case 3: /* far apart in exponent: e*e not exact in double */
			v = (1.0f + uniform()) * ((i % 2) ? 1e20f : -3.0f);
			w = (uniform() - 0.5f) * ((i % 3) ? 1e-20f : 7.0f);
			break;
		case 4: /* huge and tiny magnitudes */
			v = (i % 2) ? FLT_MAX * (uniform() - 0.5f) : bits_f(0x00000001u + (next_u32() & 0xff));
			w = (i % 3) ? -v : FLT_MAX;
			break;
		case 5: /* all equal, error one constant */
			v = 0.3f;
			w = 0.3125f;
			break;
		case 6: /* errors on fine-bin edges: powers of two and their neighbours */
			v = 0.0f;
			w = ldexpf((i % 2) ? 1.0f : -1.0f, (int)(next_u32() % 200) - 100);
			if (i % 5 == 0)
				w = nextafterf(w, 0.0f);
			break;
		case 7: /* non-finite values in x or y now and then */
			w = roundf(v * 3.0f) / 3.0f;
			if (i % 97 == 5)
				v = NAN;
			if (i % 101 == 7)
				w = (i % 2) ? INFINITY : -INFINITY;
			if (i % 211 == 9)
				v = -INFINITY;
			break;
		default: /* random bit patterns, any float */
			v = bits_f(next_u32() << 1 ^ next_u32());
			w = bits_f(next_u32() << 3 ^ next_u32());
			break;
		}
		x[i] = v;
		y[i] = w;
	}
}

/* Two fine histograms equal in every count, the least key, range and n. */
static void same_ehist(const ql_ehist *a, const ql_ehist *b, const char *what, size_t n, int k)
{
	bool same = !memcmp(a->counts, b->counts, (QL_EHIST_NFINE + 1) * sizeof *a->counts) &&
		    !memcmp(&a->min, &b->min, sizeof a->min) &&
		    !memcmp(&a->max, &b->max, sizeof a->max) && a->n == b->n;
	if (!same)
		fail_msg("%s: set %d, n %zu: histograms differ (min %a/%a max %a/%a n %lld/%lld)", what,
			 k, n, a->min, b->min, a->max, b->max, (long long)a->n, (long long)b->n);
}

static void same_sums(const ql_metrics_acc *a, const ql_metrics_acc *b, const char *what, size_t n,
		      int k)
{
	ql_metrics_acc u = *a, v = *b;
	u.eh = v.eh = NULL;
	/* a NaN sum is any NaN: which NaN an FMA passes on (and so its sign)
	 * is not the one a multiply then an add does (as test_simd.c) */
	double *pu[] = {&u.sum_x2, &u.sum_y2, &u.sum_xy, &u.sum_e2, &u.sum_abs_e};
	double *pv[] = {&v.sum_x2, &v.sum_y2, &v.sum_xy, &v.sum_e2, &v.sum_abs_e};
	for (int i = 0; i < 5; i++)
		if (isnan(*pu[i]) && isnan(*pv[i]))
			*pu[i] = *pv[i] = 0;
	if (memcmp(&u, &v, sizeof u))
		fail_msg("%s: set %d, n %zu: sums differ (e2 %a/%a x2 %a/%a xy %a/%a y2 %a/%a "
			 "ae %a/%a max %a/%a)",
			 what, k, n, u.sum_e2, v.sum_e2, u.sum_x2, v.sum_x2, u.sum_xy, v.sum_xy,
			 u.sum_y2, v.sum_y2, u.sum_abs_e, v.sum_abs_e, u.max_abs_e, v.max_abs_e);
}

/* ql_ehist_add (AVX2) against ql_ehist_add_c, chunk by chunk from two
 * offsets, every length 0..70 then longer ones. */
static void test_ehist_step(void **state)
{
	(void)state;
	if (!ql_avx2_active())
		skip();
	float *x = malloc((N + 1) * sizeof *x), *y = malloc((N + 1) * sizeof *y);
	assert_non_null(x);
	assert_non_null(y);
	static const size_t lens[] = {71, 128, 1000, 1027, N};
	ql_error err;
	for (int k = 0; k < NSETS; k++) {
		make_pairs(k, x, y, N + 1);
		for (int off = 0; off < 2; off++) {
			ql_ehist a, b;
			assert_int_equal(ql_ehist_init(&a, &err), 0);
			assert_int_equal(ql_ehist_init(&b, &err), 0);
			size_t at = (size_t)off;
			for (size_t n = 0; n <= 70 && at + n <= N + 1; at += n, n++) {
				ql_ehist_add(&a, x + at, y + at, n);
				ql_ehist_add_c(&b, x + at, y + at, n);
				same_ehist(&a, &b, "ql_ehist_add", n, k);
			}
			for (size_t j = 0; j < sizeof lens / sizeof lens[0]; j++) {
				size_t n = lens[j] - (size_t)off;
				ql_ehist_clear(&a);
				ql_ehist_clear(&b);
				ql_ehist_add(&a, x + off, y + off, n);
				ql_ehist_add_c(&b, x + off, y + off, n);
				same_ehist(&a, &b, "ql_ehist_add", n, k);
			}
			ql_ehist_free(&a);
			ql_ehist_free(&b);
		}
	}
	free(x);
	free(y);
}

/* One qdq call both ways, with sums and histogram (and y kept or not). */
static void qdq_both(bool is_signed, const float *x, size_t n, float scale, int32_t zp,
		     int32_t qmin, int32_t qmax, bool keep_y, int k)
{
	uint8_t *q[2];
	float *y[2];
	ql_metrics_acc acc[2];
	ql_ehist eh[2];
	ql_error err;
	int64_t clip[2];
	for (int on = 0; on < 2; on++) {
		q[on] = malloc(n + 1);
		y[on] = malloc((n + 1) * sizeof(float));
		assert_non_null(q[on]);
		assert_non_null(y[on]);
		assert_int_equal(ql_ehist_init(&eh[on], &err), 0);
		ql_metrics_acc_init(&acc[on]);
		acc[on].eh = &eh[on];
		ql_avx2_enable(on);
		if (is_signed)
			clip[on] = ql_affine_qdq_s8(x, n, scale, zp, qmin, qmax, (int8_t *)q[on],
						    keep_y ? y[on] : NULL, &acc[on]);
		else
			clip[on] = ql_affine_qdq_u8(x, n, scale, zp, qmin, qmax, q[on],
						    keep_y ? y[on] : NULL, &acc[on]);
	}
	ql_avx2_enable(true);
	assert_int_equal(clip[0], clip[1]);
	assert_memory_equal(q[0], q[1], n);
	if (keep_y && n)
		assert_memory_equal(y[0], y[1], n * sizeof(float));
	same_sums(&acc[0], &acc[1], "qdq", n, k);
	same_ehist(&eh[0], &eh[1], "qdq", n, k);
	assert_int_equal(eh[1].n, (int64_t)n);
	for (int on = 0; on < 2; on++) {
		free(q[on]);
		free(y[on]);
		ql_ehist_free(&eh[on]);
	}
}

static void test_qdq_step(void **state)
{
	(void)state;
	if (!ql_avx2_active())
		skip();
	float *x = malloc((N + 1) * sizeof *x), *y = malloc((N + 1) * sizeof *y);
	assert_non_null(x);
	assert_non_null(y);
	static const size_t lens[] = {0, 1, 7, 8, 9, 31, 32, 33, 63, 255, 256, 257, 1000, N};
	struct {
		bool s;
		float scale;
		int32_t zp, qmin, qmax;
	} const sc[] = {
		{true, 8.0f / 254.0f, 0, -127, 127}, /* ties at x = (k + 0.5) * scale */
		{true, 0.25f, 3, -128, 127},
		{true, 1e-30f, 0, -127, 127},        /* tiny scale: all clip */
		{true, 1e30f, 0, -7, 7},             /* huge scale: all 0 */
		{false, 8.0f / 255.0f, 128, 0, 255},
		{false, 0.5f, 0, 0, 15},
	};
	for (int k = 0; k < NSETS; k++) {
		make_pairs(k, x, y, N + 1);
		if (k == 0) /* exact ties for the first scale */
			for (size_t i = 0; i < N + 1; i += 3)
				x[i] = ((float)(int)(next_u32() % 200) - 100.5f) * (8.0f / 254.0f);
		for (size_t c = 0; c < sizeof sc / sizeof sc[0]; c++)
			for (size_t j = 0; j < sizeof lens / sizeof lens[0]; j++)
				for (int keep = 0; keep < 2; keep++)
					qdq_both(sc[c].s, x + (j & 1), lens[j], sc[c].scale, sc[c].zp,
						 sc[c].qmin, sc[c].qmax, keep, k);
	}
	free(x);
	free(y);
}

/* ql_metrics_add with the step (AVX2 on) and without, call by call. */
static void test_metrics_add_step(void **state)
{
	(void)state;
	if (!ql_avx2_active())
		skip();
	float *x = malloc((N + 1) * sizeof *x), *y = malloc((N + 1) * sizeof *y);
	assert_non_null(x);
	assert_non_null(y);
	ql_error err;
	static const size_t lens[] = {71, 256, 1000, 1027, 4000};
	for (int k = 0; k < NSETS; k++) {
		make_pairs(k, x, y, N + 1);
		for (int hist = 0; hist < 2; hist++) {
			ql_metrics_acc a[2];
			ql_ehist eh[2];
			for (int on = 0; on < 2; on++) {
				ql_metrics_acc_init(&a[on]);
				assert_int_equal(ql_ehist_init(&eh[on], &err), 0);
				a[on].eh = hist ? &eh[on] : NULL;
				ql_avx2_enable(on);
				size_t at = 1; /* unaligned */
				for (size_t n = 0; n <= 70; at += n, n++)
					ql_metrics_add(&a[on], x + at, y + at, n);
				for (size_t j = 0; j < sizeof lens / sizeof lens[0]; j++)
					ql_metrics_add(&a[on], x + (j & 1), y + (j & 1), lens[j]);
			}
			ql_avx2_enable(true);
			same_sums(&a[0], &a[1], "ql_metrics_add", 0, k);
			same_ehist(&eh[0], &eh[1], "ql_metrics_add", 0, k);
			ql_ehist_free(&eh[0]);
			ql_ehist_free(&eh[1]);
		}
	}
	free(x);
	free(y);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_metrics_add_step),
		cmocka_unit_test(test_ehist_step),
		cmocka_unit_test(test_qdq_step),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

#else

int main(void)
{
	return 0;
}

#endif
