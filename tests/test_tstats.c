/* test_tstats.c — a tensor's statistics (ql_tstats_compute) against NumPy.
 *
 * Inputs and expected numbers come from tests/golden/gen_tstats.py
 * (tests/golden/tstats/: NAME.npy and tstats.txt). Every case is read
 * through the .npy reader, computed, and each number compared: counts and
 * min/max/absmax/row/column absmax exactly, percentiles to 1e-15 relative
 * (the same linear rule in double), mean and std to 1e-12 relative (NumPy
 * sums pairwise). Also: cancelling from the progress callback, and the
 * progress reaching 1.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qlens/io.h"
#include "qlens/tstats.h"

static const char *srcdir(void)
{
	const char *d = getenv("QLENS_SRCDIR");
	return d ? d : ".";
}

static void load(const char *name, float **x, ql_tensor *desc)
{
	char path[512];
	ql_error err = {{0}};
	ql_source *src = NULL;
	snprintf(path, sizeof path, "%s/tests/golden/tstats/%s.npy", srcdir(), name);
	if (ql_source_open(path, NULL, &src, &err))
		fail_msg("%s", err.msg);
	*desc = *ql_source_tensor(src, 0);
	if (ql_source_read_f32(src, 0, x, &err))
		fail_msg("%s", err.msg);
	ql_source_close(src);
}

static void close_to(const char *what, double got, double want, double rel, double scale)
{
	double tol = rel * fmax(fabs(want), scale);
	if (!(fabs(got - want) <= tol) && !(got == want))
		fail_msg("%s: got %.17g, NumPy %.17g", what, got, want);
}

static void check_case(const char *name)
{
	char path[512];
	snprintf(path, sizeof path, "%s/tests/golden/tstats/tstats.txt", srcdir());
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	float *x = NULL;
	ql_tensor t;
	load(name, &x, &t);
	ql_tstats s;
	ql_error err = {{0}};
	if (ql_tstats_compute(x, t.shape, t.ndim, 16, NULL, NULL, &s, &err))
		fail_msg("%s: %s", name, err.msg);
	char line[512], cname[64], key[64], val[128];
	int checked = 0;
	while (fgets(line, sizeof line, f)) {
		if (sscanf(line, "%63s %63s %127s", cname, key, val) != 3 || strcmp(cname, name))
			continue;
		double want = strtod(val, NULL);
		double got;
		bool exact = true;
		if (!strcmp(key, "n")) got = (double)s.n;
		else if (!strcmp(key, "finite")) got = (double)s.finite;
		else if (!strcmp(key, "nan")) got = (double)s.nan;
		else if (!strcmp(key, "posinf")) got = (double)s.posinf;
		else if (!strcmp(key, "neginf")) got = (double)s.neginf;
		else if (!strcmp(key, "zeros")) got = (double)s.zeros;
		else if (!strcmp(key, "first_nonfinite")) got = (double)s.first_nonfinite;
		else if (!strcmp(key, "min")) got = s.min;
		else if (!strcmp(key, "max")) got = s.max;
		else if (!strcmp(key, "absmax")) got = s.absmax;
		else if (!strcmp(key, "mean") || !strcmp(key, "std")) {
			got = !strcmp(key, "mean") ? s.mean : s.std;
			close_to(key, got, want, 1e-12, s.absmax);
			exact = false;
		} else if (key[0] == 'p') {
			int i = 0;
			while (i < QL_TSTATS_NPCT && fabs(ql_tstats_pcts[i] - strtod(key + 1, NULL)) > 1e-9)
				i++;
			assert_true(i < QL_TSTATS_NPCT);
			close_to(key, s.pct[i], want, 1e-15, 0);
			exact = false;
			got = want;
		} else if (!strncmp(key, "hist_", 5)) {
			int i = atoi(key + 5);
			assert_true(i < s.hist.nbins);
			got = (double)s.hist.counts[i];
		} else if (!strncmp(key, "row_", 4)) {
			long i = atol(key + 4);
			assert_true(i < s.rows);
			got = s.row_absmax[i];
		} else if (!strncmp(key, "col_", 4)) {
			long i = atol(key + 4);
			assert_true(i < s.cols);
			got = s.col_absmax[i];
		} else {
			fail_msg("unknown key %s", key);
			got = 0;
		}
		if (exact && got != want)
			fail_msg("%s %s: got %.17g, NumPy %.17g", name, key, got, want);
		checked++;
	}
	fclose(f);
	assert_true(checked >= 7);
	/* in place: the same numbers, bit for bit */
	ql_tstats s2;
	float *y = malloc((size_t)(t.nelem > 0 ? t.nelem : 1) * sizeof *y);
	assert_non_null(y);
	memcpy(y, x, (size_t)t.nelem * sizeof *y);
	assert_int_equal(ql_tstats_compute_inplace(y, t.shape, t.ndim, 16, NULL, NULL, &s2, &err), 0);
	assert_memory_equal(s.pct, s2.pct, sizeof s.pct);
	assert_true(s.mean == s2.mean && s.std == s2.std && s.min == s2.min && s.max == s2.max &&
		    s.nan == s2.nan && s.zeros == s2.zeros && s.first_nonfinite == s2.first_nonfinite);
	if (s.hist.counts)
		assert_memory_equal(s.hist.counts, s2.hist.counts, 16 * sizeof *s.hist.counts);
	assert_memory_equal(s.row_absmax, s2.row_absmax, (size_t)s.rows * sizeof *s.row_absmax);
	assert_memory_equal(s.col_absmax, s2.col_absmax, (size_t)s.cols * sizeof *s.col_absmax);
	ql_tstats_free(&s2);
	free(y);
	if (s.finite == 0) {
		assert_true(s.min == 0 && s.max == 0 && s.mean == 0 && s.std == 0);
	}
	ql_tstats_free(&s);
	free(x);
}

static void test_normal(void **st) { (void)st; check_case("normal"); }
static void test_nonfinite(void **st) { (void)st; check_case("nonfinite"); }
static void test_allequal(void **st) { (void)st; check_case("allequal"); }
static void test_ties_subnormal(void **st) { (void)st; check_case("ties_subnormal"); }
static void test_single(void **st) { (void)st; check_case("single"); }
static void test_cube(void **st) { (void)st; check_case("cube"); }
static void test_allnan(void **st) { (void)st; check_case("allnan"); }
static void test_empty(void **st) { (void)st; check_case("empty"); }
static void test_layer(void **st) { (void)st; check_case("layer"); }
static void test_fewvals(void **st) { (void)st; check_case("fewvals"); }

typedef struct prog {
	double last;
	int calls;
	int cancel_after;
	bool monotone;
} prog;

static bool on_progress(void *data, double f)
{
	prog *p = data;
	if (f < p->last)
		p->monotone = false;
	p->last = f;
	p->calls++;
	return p->cancel_after <= 0 || p->calls < p->cancel_after;
}

/* 3M values: progress rises to 1; a cancel from the callback stops it with
 * "cancelled" and nothing to free (ASan checks). */
static void test_progress_cancel(void **st)
{
	(void)st;
	int64_t shape[2] = {3000, 1000};
	size_t n = 3000000;
	float *x = malloc(n * sizeof *x);
	assert_non_null(x);
	uint32_t r = 1;
	for (size_t i = 0; i < n; i++) {
		r = r * 1664525u + 1013904223u;
		x[i] = (float)(r >> 8) / 16777216.0f - 0.5f;
	}
	ql_tstats s;
	ql_error err = {{0}};
	prog p = {0, 0, 0, true};
	assert_int_equal(ql_tstats_compute(x, shape, 2, 64, on_progress, &p, &s, &err), 0);
	assert_true(p.calls > 3);
	assert_true(p.monotone);
	assert_true(p.last == 1.0);
	assert_true(s.pct[2] > -0.01 && s.pct[2] < 0.01);
	ql_tstats_free(&s);
	for (int after = 1; after <= 4; after++) {
		prog q = {0, 0, after, true};
		assert_int_equal(ql_tstats_compute(x, shape, 2, 64, on_progress, &q, &s, &err), -1);
		assert_string_equal(err.msg, "cancelled");
		assert_int_equal(q.calls, after);
	}
	free(x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_normal),
		cmocka_unit_test(test_layer),
		cmocka_unit_test(test_fewvals),
		cmocka_unit_test(test_nonfinite),
		cmocka_unit_test(test_allequal),
		cmocka_unit_test(test_ties_subnormal),
		cmocka_unit_test(test_single),
		cmocka_unit_test(test_cube),
		cmocka_unit_test(test_allnan),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_progress_cancel),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
