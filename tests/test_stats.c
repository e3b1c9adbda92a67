/* test_stats.c — the error histogram of the stats module (ql_error_hist,
 * ql_ehist)
 * against numpy.histogram of the same errors (tests/golden/core.txt, made
 * by tests/golden/gen_core.py), and its edge cases.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "qlens/stats.h"
#include "qgolden.h"
#include "../src/core/quant_avx2.h"

static FILE *open_core(void)
{
	const char *dir = getenv("QLENS_SRCDIR");
	char path[1024];
	snprintf(path, sizeof path, "%s/tests/golden/core.txt", dir ? dir : ".");
	return fopen(path, "r");
}

static void test_error_hist_golden(void **state)
{
	(void)state;
	FILE *f = open_core();
	assert_non_null(f);
	qg_case c = {0};
	int cases = 0;
	while (qg_next(f, &c)) {
		if (strcmp(c.kind, "errhist"))
			continue;
		const qg_array *xa = qg_arr(&c, "x"), *ya = qg_arr(&c, "y"), *cnt = qg_arr(&c, "counts");
		float *x = qg_floats(xa), *y = qg_floats(ya);
		int bins = (int)qg_num(&c, "bins"), nb = (int)qg_num(&c, "nb");
		ql_hist h;
		ql_error err;
		assert_int_equal(ql_error_hist(&h, x, y, xa->n, bins, &err), 1);
		assert_int_equal(h.nbins, nb);
		double lo = qg_num(&c, "lo"), hi = qg_num(&c, "hi");
		assert_memory_equal(&h.lo, &lo, sizeof lo);
		assert_memory_equal(&h.hi, &hi, sizeof hi);
		int64_t sum = 0;
		for (int b = 0; b < nb; b++) {
			assert_int_equal(h.counts[b], (int64_t)cnt->v[b]);
			sum += h.counts[b];
		}
		assert_int_equal(sum, (int64_t)xa->n); /* the range holds every error */
		assert_int_equal(h.below + h.above + h.nan, 0);
		assert_int_equal(h.total, (int64_t)xa->n);
		ql_hist_free(&h);
		free(x);
		free(y);
		cases++;
	}
	qg_free(&c);
	fclose(f);
	assert_int_equal(cases, 15);
}

static void test_error_hist_edges(void **state)
{
	(void)state;
	ql_hist h;
	ql_error err;
	const float x[] = {1.0f, -2.0f, 0.0f, -0.0f};
	/* empty, and every error 0 (-0 against +0 too): nothing to show */
	assert_int_equal(ql_error_hist(&h, x, x, 0, 11, &err), 0);
	assert_null(h.counts);
	const float y0[] = {1.0f, -2.0f, -0.0f, 0.0f};
	assert_int_equal(ql_error_hist(&h, x, y0, 4, 11, &err), 0);
	assert_null(h.counts);
	ql_hist_free(&h); /* safe on the empty one */
	/* one error of +0.5: the range is [0, 0.5] in bins of 0.25, the zeros
	 * in the first bin and the 0.5 in the last (closed) one */
	const float y1[] = {1.5f, -2.0f, 0.0f, -0.0f};
	assert_int_equal(ql_error_hist(&h, x, y1, 4, 2, &err), 1);
	assert_true(h.lo == 0.0 && h.hi == 0.5 && h.nbins == 2);
	assert_int_equal(h.counts[0], 3);
	assert_int_equal(h.counts[1], 1);
	ql_hist_free(&h);
	/* errors of both signs in one bin asked: two shown (0 is an edge) */
	const float y2[] = {1.5f, -2.25f, 0.0f, -0.0f};
	assert_int_equal(ql_error_hist(&h, x, y2, 4, 1, &err), 1);
	assert_true(h.lo == -0.5 && h.hi == 0.5 && h.nbins == 2);
	assert_int_equal(h.counts[0], 1);
	assert_int_equal(h.counts[1], 3);
	ql_hist_free(&h);
	/* bad bin counts fail with a message */
	assert_int_equal(ql_error_hist(&h, x, y1, 4, 0, &err), -1);
	assert_non_null(strstr(err.msg, "bins"));
}

/* The shown bins from their definition, the plain way: the range of the
 * errors with 0, the smallest power-of-two width W (tried one by one)
 * whose multiples cover it in at most nbins bins, then the counts of
 * ql_hist_add_error (np.histogram's rule, exact edges) over those edges. */
static void pow2_ref(ql_hist *ref, const float *x, const float *y, size_t n, int nbins)
{
	double lo = 0, hi = 0;
	for (size_t i = 0; i < n; i++) {
		double e = (double)y[i] - (double)x[i];
		lo = e < lo ? e : lo;
		hi = e > hi ? e : hi;
	}
	if (lo < 0 && hi > 0 && nbins < 2)
		nbins = 2;
	double W = ldexp(1.0, -160);
	while (ceil(hi / W) - floor(lo / W) > nbins)
		W *= 2;
	ql_error err;
	int nb = (int)(ceil(hi / W) - floor(lo / W));
	assert_int_equal(ql_hist_init(ref, nb, floor(lo / W) * W, ceil(hi / W) * W, &err), 0);
	ql_hist_add_error(ref, x, y, n);
}

/* The threaded histogram: the same counts with 1, 2, 3 and 7 threads, and
 * the counts of one ql_hist_add_error over everything (the edges found
 * here the plain way: pow2_ref). 300001 values: five jobs, the last one short; the
 * errors include exact zeros, a NaN, ties on the range's ends. */
static void test_error_hist_threads(void **state)
{
	(void)state;
	size_t n = 300001;
	float *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y);
	assert_non_null(x);
	assert_non_null(y);
	uint32_t seed = 7;
	for (size_t i = 0; i < n; i++) {
		seed = seed * 1664525u + 1013904223u;
		x[i] = (float)((int32_t)seed >> 8) * 1e-6f;
		seed = seed * 1664525u + 1013904223u;
		y[i] = i % 5 ? x[i] + (float)((int32_t)seed >> 20) * 1e-4f : x[i];
	}
	y[12345] = NAN;
	y[n - 1] = x[n - 1] + 0.25f; /* the maximum, in the short last job */
	ql_hist ref;
	ql_error err;
	pow2_ref(&ref, x, y, n, 11);
	const int threads[] = {1, 2, 3, 7};
	for (int t = 0; t < 4; t++) {
		ql_hist h;
		assert_int_equal(ql_error_hist_mt(&h, x, y, n, 11, threads[t], &err), 1);
		assert_true(h.lo == ref.lo && h.hi == ref.hi);
		assert_int_equal(h.nbins, ref.nbins);
		assert_memory_equal(h.counts, ref.counts, (size_t)ref.nbins * sizeof *h.counts);
		assert_int_equal(h.below, ref.below);
		assert_int_equal(h.above, ref.above);
		assert_int_equal(h.nan, 1);
		assert_int_equal(h.total, (int64_t)n);
		ql_hist_free(&h);
	}
	ql_hist_free(&ref);
	/* all errors zero but a NaN: nothing to show, on any thread count */
	memcpy(y, x, n * sizeof *y);
	y[7] = NAN;
	for (int t = 0; t < 4; t++) {
		ql_hist h;
		assert_int_equal(ql_error_hist_mt(&h, x, y, n, 11, threads[t], &err), 0);
	}
	free(x);
	free(y);
}

/* The fine histogram directly: any split of the data into chunks, merged
 * in any order, gives the same histogram; many bins asked (more than the
 * fine bins resolve: 2^QL_EHIST_K) widen W until every fine bin fits, and
 * the counts still equal the exact binning's over the edges shown; a
 * histogram of nothing shows nothing. */
static void test_ehist_merge_and_bins(void **state)
{
	(void)state;
	size_t n = 100003;
	float *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y);
	assert_non_null(x);
	assert_non_null(y);
	uint32_t seed = 11;
	for (size_t i = 0; i < n; i++) {
		seed = seed * 1664525u + 1013904223u;
		x[i] = (float)((int32_t)seed >> 4) * 1e-7f;
		y[i] = roundf(x[i] / 0.03f) * 0.03f; /* quantization-like errors */
	}
	x[5] = 1e-45f;  /* subnormal errors */
	y[5] = -1e-45f;
	x[6] = -0.0f;   /* -0 - +0 */
	y[6] = 0.0f;
	ql_error err;
	ql_ehist whole, part[3];
	assert_int_equal(ql_ehist_init(&whole, &err), 0);
	ql_ehist_add(&whole, x, y, n);
	for (int k = 0; k < 3; k++)
		assert_int_equal(ql_ehist_init(&part[k], &err), 0);
	ql_ehist_add(&part[0], x, y, 7);
	ql_ehist_add(&part[1], x + 7, y + 7, 50000);
	ql_ehist_add(&part[2], x + 50007, y + 50007, n - 50007);
	ql_ehist_merge(&part[2], &part[0]); /* out of order */
	ql_ehist_merge(&part[2], &part[1]);
	const int asked[] = {1, 2, 11, 64, 1000};
	for (int a = 0; a < 5; a++) {
		ql_hist h1, h2, ref;
		assert_int_equal(ql_ehist_finish(&whole, asked[a], &h1, &err), 1);
		assert_int_equal(ql_ehist_finish(&part[2], asked[a], &h2, &err), 1);
		assert_int_equal(h1.nbins, h2.nbins);
		assert_true(h1.lo == h2.lo && h1.hi == h2.hi);
		assert_memory_equal(h1.counts, h2.counts, (size_t)h1.nbins * sizeof *h1.counts);
		if (asked[a] <= 64) {
			pow2_ref(&ref, x, y, n, asked[a]);
			assert_int_equal(h1.nbins, ref.nbins);
			assert_true(h1.lo == ref.lo && h1.hi == ref.hi);
		} else {
			/* fewer bins than asked, but the exact counts over them */
			assert_true(h1.nbins <= asked[a] && h1.nbins > 64);
			assert_int_equal(ql_hist_init(&ref, h1.nbins, h1.lo, h1.hi, &err), 0);
			ql_hist_add_error(&ref, x, y, n);
		}
		assert_memory_equal(h1.counts, ref.counts, (size_t)h1.nbins * sizeof *h1.counts);
		assert_int_equal(ref.below + ref.above, 0);
		assert_int_equal(h1.below + h1.above + h1.nan, 0);
		assert_int_equal(h1.total, (int64_t)n);
		ql_hist_free(&h1);
		ql_hist_free(&h2);
		ql_hist_free(&ref);
	}
	ql_ehist_clear(&whole);
	ql_hist h;
	assert_int_equal(ql_ehist_finish(&whole, 11, &h, &err), 0);
	assert_int_equal(ql_ehist_finish(&whole, 0, &h, &err), -1);
	ql_ehist_free(&whole);
	for (int k = 0; k < 3; k++)
		ql_ehist_free(&part[k]);
	free(x);
	free(y);
}

/* The AVX2 fine-bin kernel against the portable loop (ql_avx2_enable):
 * the same fine counts and range, on errors with every edge case: +-0
 * (and -0 - +0), subnormal and huge errors, ties on fine-bin edges,
 * all-equal runs, NaN and inf, and lengths that are not a multiple of 4
 * (the tails). */
/* The AVX2 path takes the range over the errors themselves and retakes a
 * chunk's range by the C loop only when it holds a NaN or an infinite
 * error: one such error alone (NaN, +inf, -inf, from x or from y) at every
 * place of a vector, of a chunk and of its tail, after ranges already
 * started by earlier calls, gives the C path's counts, min and max. */
static void test_ehist_avx2_nonfinite_alone(void **state)
{
	(void)state;
	enum { N = 600 };
	float x[N], y[N];
	uint32_t seed = 11;
	for (size_t i = 0; i < N; i++) {
		seed = seed * 1664525u + 1013904223u;
		float u = (float)((int32_t)seed >> 8) * (1.0f / 8388608.0f);
		/* every error > 0: a non-finite one, counted as 0 in the
		 * reference's range, moves its min */
		x[i] = u;
		y[i] = roundf(u * 50.0f) / 50.0f + 0.25f;
	}
	const float bad[] = {NAN, -NAN, INFINITY, -INFINITY, 3e38f};
	const size_t at[] = {0, 1, 3, 4, 7, 8, 250, 255, 256, 263, 511, 512, 513, 596, 599};
	for (size_t b = 0; b < sizeof bad / sizeof bad[0]; b++)
		for (size_t k = 0; k < sizeof at / sizeof at[0]; k++)
			for (int side = 0; side < 2; side++) {
				float xs[N], ys[N];
				memcpy(xs, x, sizeof xs);
				memcpy(ys, y, sizeof ys);
				(side ? ys : xs)[at[k]] = bad[b];
				if (b == 4) /* a huge finite error of either sign */
					(side ? xs : ys)[at[k]] = -bad[b];
				ql_ehist a, c;
				ql_error err;
				assert_int_equal(ql_ehist_init(&a, &err), 0);
				assert_int_equal(ql_ehist_init(&c, &err), 0);
				ql_avx2_enable(false);
				ql_ehist_add(&a, x + 100, y + 100, 37); /* a range to start from */
				ql_ehist_add(&a, xs, ys, N);
				ql_avx2_enable(true);
				ql_ehist_add(&c, x + 100, y + 100, 37);
				ql_ehist_add(&c, xs, ys, N);
				assert_memory_equal(a.counts, c.counts,
						    QL_EHIST_NFINE * sizeof *a.counts);
				assert_memory_equal(&a.min, &c.min, sizeof a.min);
				assert_memory_equal(&a.max, &c.max, sizeof a.max);
				assert_int_equal(a.n, c.n);
				ql_ehist_free(&a);
				ql_ehist_free(&c);
			}
}

/* Merge, clear and finish visit only the fine bins an error of two floats
 * can reach (ehist.c: 0, magnitudes 2^-149 to below 2^129, non-finite):
 * errors at each end of that, of either sign, on both paths, are
 * all merged, all cleared, and all found by finish. */
static void test_ehist_extreme_bins(void **state)
{
	(void)state;
	const float tiny = 1.40129846e-45f, big = 3.40282347e38f; /* 2^-149, FLT_MAX */
	const float x[] = {0.0f, tiny, 0.0f, -tiny, -big, big, 0.0f, 1.0f, -0.0f, 1.0f,
			   0.0f, 2.0f, 5.0f, big, tiny, 0.0f, 1.0f, -big};
	const float y[] = {tiny, 0.0f, -tiny, 0.0f, big, -big, INFINITY, -INFINITY, 0.0f, NAN,
			   -NAN, 2.0f, 5.0f, big, -tiny, -0.0f, 1.0f, big};
	const size_t n = sizeof x / sizeof x[0];
	for (int avx2 = 0; avx2 < 2; avx2++) {
		ql_avx2_enable(avx2);
		for (size_t cut = 0; cut <= n; cut++) {
			ql_ehist a, b, m, z;
			ql_error err;
			assert_int_equal(ql_ehist_init(&a, &err), 0);
			assert_int_equal(ql_ehist_init(&b, &err), 0);
			assert_int_equal(ql_ehist_init(&m, &err), 0);
			assert_int_equal(ql_ehist_init(&z, &err), 0);
			ql_ehist_add(&a, x, y, n);
			ql_ehist_add(&b, x, y, cut);
			ql_ehist_merge(&m, &b);
			ql_ehist_clear(&b);
			assert_memory_equal(b.counts, z.counts, QL_EHIST_NFINE * sizeof *b.counts);
			ql_ehist_add(&b, x + cut, y + cut, n - cut);
			ql_ehist_merge(&m, &b);
			assert_memory_equal(a.counts, m.counts, QL_EHIST_NFINE * sizeof *a.counts);
			assert_memory_equal(&a.min, &m.min, sizeof a.min);
			assert_memory_equal(&a.max, &m.max, sizeof a.max);
			assert_int_equal(m.n, (int64_t)n);
			int64_t sum = 0;
			for (int64_t i = 0; i < QL_EHIST_NFINE; i++)
				sum += m.counts[i];
			assert_int_equal(sum, (int64_t)n);
			ql_hist h;
			assert_int_equal(ql_ehist_finish(&m, 11, &h, &err), 1);
			int64_t shown = h.nan + h.below + h.above;
			for (int i = 0; i < h.nbins; i++)
				shown += h.counts[i];
			assert_int_equal(shown, (int64_t)n);
			assert_int_equal(h.nan, 4); /* every non-finite error: +inf, -inf, NaN, -NaN */
			ql_hist_free(&h);
			ql_ehist_clear(&m);
			assert_memory_equal(m.counts, z.counts, QL_EHIST_NFINE * sizeof *m.counts);
			ql_ehist_free(&a);
			ql_ehist_free(&b);
			ql_ehist_free(&m);
			ql_ehist_free(&z);
		}
	}
	ql_avx2_enable(true);
}

static void test_ehist_avx2_equals_c(void **state)
{
	(void)state;
	size_t n = 5000;
	float *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y);
	assert_non_null(x);
	assert_non_null(y);
	uint32_t seed = 3;
	for (size_t i = 0; i < n; i++) {
		seed = seed * 1664525u + 1013904223u;
		float u = (float)((int32_t)seed >> 8) * (1.0f / 8388608.0f);
		switch (i % 11) {
		case 0: x[i] = 0.0f; y[i] = -0.0f; break;
		case 1: x[i] = -0.0f; y[i] = 0.0f; break;
		case 2: x[i] = u * 1e-44f; y[i] = -u * 1e-44f; break;     /* subnormal */
		case 3: x[i] = u * 3e38f; y[i] = -u * 3e38f; break;       /* huge */
		case 4: x[i] = 1.0f; y[i] = 1.0f + 0.015625f * (float)(i % 7); break; /* edges */
		case 5: x[i] = 2.0f; y[i] = 1.75f; break;                 /* all equal */
		default: x[i] = u; y[i] = roundf(u * 100.0f) / 100.0f; break;
		}
	}
	x[17] = NAN;
	y[29] = INFINITY;
	x[40] = -INFINITY;
	const size_t lens[] = {0, 1, 3, 4, 5, 7, 8, 9, 15, 16, 17, 255, 256, 257, 1023, 5000};
	for (size_t l = 0; l < sizeof lens / sizeof lens[0]; l++) {
		ql_ehist a, b;
		ql_error err;
		assert_int_equal(ql_ehist_init(&a, &err), 0);
		assert_int_equal(ql_ehist_init(&b, &err), 0);
		ql_avx2_enable(false);
		ql_ehist_add(&a, x, y, lens[l]);
		ql_ehist_add(&b, x + 1, y + 1, lens[l] ? lens[l] - 1 : 0);
		ql_avx2_enable(true);
		ql_ehist c, d;
		assert_int_equal(ql_ehist_init(&c, &err), 0);
		assert_int_equal(ql_ehist_init(&d, &err), 0);
		ql_ehist_add(&c, x, y, lens[l]);
		ql_ehist_add(&d, x + 1, y + 1, lens[l] ? lens[l] - 1 : 0); /* unaligned */
		assert_memory_equal(a.counts, c.counts, QL_EHIST_NFINE * sizeof *a.counts);
		assert_memory_equal(b.counts, d.counts, QL_EHIST_NFINE * sizeof *b.counts);
		assert_memory_equal(&a.min, &c.min, sizeof a.min);
		assert_memory_equal(&a.max, &c.max, sizeof a.max);
		assert_memory_equal(&b.min, &d.min, sizeof b.min);
		assert_memory_equal(&b.max, &d.max, sizeof b.max);
		assert_int_equal(a.n, c.n);
		ql_ehist_free(&a);
		ql_ehist_free(&b);
		ql_ehist_free(&c);
		ql_ehist_free(&d);
	}
	/* and the shown bins of it all still hold every finite error once,
	 * the NaN and the infinities in `nan` */
	ql_hist h;
	ql_error err;
	assert_int_equal(ql_error_hist(&h, x, y, n, 11, &err), 1);
	int64_t sum = 0;
	for (int i = 0; i < h.nbins; i++)
		sum += h.counts[i];
	assert_int_equal(h.nan, 3);
	assert_int_equal(sum + h.below + h.above, (int64_t)n - 3);
	assert_int_equal(h.below + h.above, 0);
	ql_hist_free(&h);
	free(x);
	free(y);
}

/* Where a quantization did its worst: the first of equal largest |y - x|,
 * -0 and +0 alike, -1 for nothing. */
static void test_worst_error_index(void **state)
{
	(void)state;
	const float x[] = {1.0f, -2.0f, 0.5f, 3.0f, -0.0f};
	const float y[] = {1.0f, -1.0f, 1.5f, 3.0f, 0.0f};
	assert_int_equal(ql_worst_error_index(x, y, 5), 1); /* |e| = 1 at 1 and 2 */
	assert_int_equal(ql_worst_error_index(x + 2, y + 2, 3), 0);
	assert_int_equal(ql_worst_error_index(x + 3, y + 3, 2), 0); /* all zero: the first */
	assert_int_equal(ql_worst_error_index(x, y, 0), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_error_hist_golden),
		cmocka_unit_test(test_error_hist_edges),
		cmocka_unit_test(test_error_hist_threads),
		cmocka_unit_test(test_ehist_merge_and_bins),
		cmocka_unit_test(test_ehist_avx2_equals_c),
		cmocka_unit_test(test_ehist_extreme_bins),
		cmocka_unit_test(test_ehist_avx2_nonfinite_alone),
		cmocka_unit_test(test_worst_error_index),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
