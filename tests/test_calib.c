/* test_calib.c — calibration (calib.h): ql_percentile against NumPy bit for
 * bit (tests/golden/core.txt, made by tests/golden/gen_core.py), and the tie
 * rules of the mse and entropy methods on small hand-made inputs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "qlens/calib.h"
#include "qgolden.h"

static FILE *open_core(void)
{
	const char *dir = getenv("QLENS_SRCDIR");
	char path[1024];
	snprintf(path, sizeof path, "%s/tests/golden/core.txt", dir ? dir : ".");
	return fopen(path, "r");
}

static void check_exact(double got, double want, const char *what, double p, size_t n)
{
	if (memcmp(&got, &want, sizeof got) != 0) {
		note("%s, p=%.17g, n=%zu: got %a, numpy %a", what, p, n, got, want);
		fail();
	}
}

/* Every percentile of every golden set, of x and of |x|, equal to NumPy's
 * to the last bit (not within a tolerance: a change of the interpolation in
 * the last bit must show). */
static void test_percentile_exact(void **state)
{
	(void)state;
	FILE *f = open_core();
	assert_non_null(f);
	qg_case c = {0};
	int cases = 0, checked = 0, half = 0;
	while (qg_next(f, &c)) {
		if (strcmp(c.kind, "pct"))
			continue;
		const qg_array *xa = qg_arr(&c, "x"), *p = qg_arr(&c, "p"), *v = qg_arr(&c, "v"),
			       *va = qg_arr(&c, "va");
		assert_non_null(xa);
		float *x = qg_floats(xa);
		ql_error err;
		for (size_t k = 0; k < p->n; k++) {
			double got, idx = (double)(xa->n - 1) * (p->v[k] / 100.0);
			half += idx - floor(idx) == 0.5;
			assert_int_equal(ql_percentile(x, xa->n, p->v[k], false, &got, &err), 0);
			check_exact(got, v->v[k], "percentile", p->v[k], xa->n);
			assert_int_equal(ql_percentile(x, xa->n, p->v[k], true, &got, &err), 0);
			check_exact(got, va->v[k], "percentile of |x|", p->v[k], xa->n);
			checked += 2;
		}
		free(x);
		cases++;
	}
	qg_free(&c);
	fclose(f);
	assert_int_equal(cases, 9);
	assert_true(checked >= 200);
	assert_true(half >= 2); /* the lerp's switch point is among them */
}

/* MSE: on equal round-trip errors the wider clip wins. With absmax 100 the
 * candidate clips are exactly 1, 2, ..., 100 (100 * (k / 100.0f) rounds to
 * k); int2 symmetric (codes -1, 0, 1) sends both 100 and 61 to code 1, so
 * the error of clip k is (100 - k)² + (61 - k)²: 761 at k = 80 and k = 81,
 * more everywhere else. The rule picks 81. */
static void test_mse_tie_goes_wide(void **state)
{
	(void)state;
	const float x[] = {100.0f, 61.0f};
	float lo, hi;
	ql_error err;
	assert_int_equal(ql_calibrate(x, 2, QL_CALIB_MSE, 0, true, -1, 1, &lo, &hi, &err), 0);
	assert_true(hi == 81.0f);
	assert_true(lo == -81.0f);
	/* the same, negated: symmetric clips do not care for the sign */
	const float xn[] = {-100.0f, -61.0f};
	assert_int_equal(ql_calibrate(xn, 2, QL_CALIB_MSE, 0, true, -1, 1, &lo, &hi, &err), 0);
	assert_true(hi == 81.0f);
	/* no tie: one value, the full range (k = 100) is the only exact one */
	const float one[] = {100.0f};
	assert_int_equal(ql_calibrate(one, 1, QL_CALIB_MSE, 0, true, -1, 1, &lo, &hi, &err), 0);
	assert_true(hi == 100.0f);
	/* every clip ties (all zero): the widest, [0, 0] */
	const float zero[] = {0.0f, -0.0f, 0.0f};
	assert_int_equal(ql_calibrate(zero, 3, QL_CALIB_MSE, 0, true, -127, 127, &lo, &hi, &err), 0);
	assert_true(lo == 0.0f && hi == 0.0f);
}

/* Entropy: on equal KL divergences the last (widest) edge wins, as
 * pytorch-quantization's `<=`. Values all of one magnitude fill one bin;
 * every candidate edge then has KL 0, and the clip is the absmax (the first
 * minimum would be edge 128 of 2048, 1/16 of it). */
static void test_entropy_tie_goes_wide(void **state)
{
	(void)state;
	const float x[] = {1, -1, 1, -1, 1, 1, -1, 1};
	float lo, hi;
	ql_error err;
	assert_int_equal(ql_calibrate(x, 8, QL_CALIB_ENTROPY, 0, true, -127, 127, &lo, &hi, &err), 0);
	assert_true(hi == 1.0f);
	assert_true(lo == -1.0f);
	/* asymmetric: [min, max] clipped to [-t, t], still the whole range */
	assert_int_equal(ql_calibrate(x, 8, QL_CALIB_ENTROPY, 0, false, 0, 255, &lo, &hi, &err), 0);
	assert_true(lo == -1.0f && hi == 1.0f);
	/* int4 (nq = 8): the same rule */
	assert_int_equal(ql_calibrate(x, 8, QL_CALIB_ENTROPY, 0, true, -7, 7, &lo, &hi, &err), 0);
	assert_true(hi == 1.0f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_percentile_exact),
		cmocka_unit_test(test_mse_tie_goes_wide),
		cmocka_unit_test(test_entropy_tie_goes_wide),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
