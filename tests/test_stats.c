/* test_stats.c — the error histogram of the stats module (ql_error_hist)
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
		int bins = (int)qg_num(&c, "bins");
		ql_hist h;
		ql_error err;
		assert_int_equal(ql_error_hist(&h, x, y, xa->n, bins, &err), 1);
		assert_int_equal(h.nbins, bins);
		double lo = qg_num(&c, "lo"), hi = qg_num(&c, "hi");
		assert_memory_equal(&h.lo, &lo, sizeof lo);
		assert_memory_equal(&h.hi, &hi, sizeof hi);
		int64_t sum = 0;
		for (int b = 0; b < bins; b++) {
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
	assert_int_equal(cases, 6);
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
	/* one error of +0.5: the range is [0, 0.5], the zeros in the first bin
	 * and the 0.5 in the last (closed) one */
	const float y1[] = {1.5f, -2.0f, 0.0f, -0.0f};
	assert_int_equal(ql_error_hist(&h, x, y1, 4, 2, &err), 1);
	assert_true(h.lo == 0.0 && h.hi == 0.5);
	assert_int_equal(h.counts[0], 3);
	assert_int_equal(h.counts[1], 1);
	ql_hist_free(&h);
	/* bad bin counts fail with a message */
	assert_int_equal(ql_error_hist(&h, x, y1, 4, 0, &err), -1);
	assert_non_null(strstr(err.msg, "bins"));
}

/* The threaded histogram: the same counts with 1, 2, 3 and 7 threads, and
 * the counts of one ql_hist_add_error over everything (the range found
 * here the plain way). 300001 values: five jobs, the last one short; the
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
	double lo = 0, hi = 0;
	for (size_t i = 0; i < n; i++) {
		double e = (double)y[i] - (double)x[i];
		lo = e < lo ? e : lo;
		hi = e > hi ? e : hi;
	}
	ql_hist ref;
	ql_error err;
	assert_int_equal(ql_hist_init(&ref, 11, lo, hi, &err), 0);
	ql_hist_add_error(&ref, x, y, n);
	const int threads[] = {1, 2, 3, 7};
	for (int t = 0; t < 4; t++) {
		ql_hist h;
		assert_int_equal(ql_error_hist_mt(&h, x, y, n, 11, threads[t], &err), 1);
		assert_true(h.lo == ref.lo && h.hi == ref.hi);
		assert_memory_equal(h.counts, ref.counts, 11 * sizeof *h.counts);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_error_hist_golden),
		cmocka_unit_test(test_error_hist_edges),
		cmocka_unit_test(test_error_hist_threads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
