/* test_divergence.c — the output statistics (divergence.h) against NumPy
 * (the command itself: test_cli_eval.c).
 *
 * tests/golden/gen_eval.py computes KL divergence (from log-softmax in
 * float64), top-1 agreement, perplexity, flips and Δp with llama-perplexity's
 * formulas ported to Python (mean_and_uncertainty, its percentile lambda, the
 * median, RMS Δp, same top p) on random logits, logits in the thousands,
 * ties and all-equal rows, one-hot rows, identical models, and fewer than 11
 * rows (uncertainties 0); the exp kernel against libm; AVX2 rows against
 * the portable ones.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "evgolden.h"
#include "qlens/divergence.h"

typedef struct field {
	const char *key;
	size_t off;
	bool is_int;
	bool labels; /* only with labels */
} field;

#define D(k, l) { #k, offsetof(ql_div_stats, k), false, l }
#define I(k, l) { #k, offsetof(ql_div_stats, k), true, l }

static const field fields[] = {
	I(n, false), D(kld_mean, false), D(kld_unc, false), D(kld_median, false),
	D(kld_p01, false), D(kld_p05, false), D(kld_p10, false), D(kld_p90, false),
	D(kld_p95, false), D(kld_p99, false), D(kld_p999, false), D(kld_max, false),
	D(kld_min, false), I(same_top, false), D(same_top_p, false), D(same_top_unc, false),
	D(ppl_base, true), D(ppl_base_unc, true), D(ppl_quant, true), D(ppl_quant_unc, true),
	D(ln_ppl_ratio, true), D(ln_ppl_ratio_unc, true), I(correct_base, true),
	I(correct_quant, true), I(flips, true), I(flips_to_wrong, true), I(flips_to_right, true),
	D(dp_mean, true), D(dp_unc, true), D(dp_rms, true), D(dp_rms_unc, true),
	D(dp_median, true), D(dp_p01, true), D(dp_p05, true), D(dp_p10, true), D(dp_p25, true),
	D(dp_p75, true), D(dp_p90, true), D(dp_p95, true), D(dp_p99, true), D(dp_min, true),
	D(dp_max, true),
};

static double field_value(const ql_div_stats *s, const field *f)
{
	const char *p = (const char *)s + f->off;
	if (f->is_int) {
		int64_t v;
		memcpy(&v, p, sizeof v);
		return (double)v;
	}
	double v;
	memcpy(&v, p, sizeof v);
	return v;
}

/* Every expected key of c against s; returns how many were compared. */
static int check_stats(const eg_case *c, const ql_div_stats *s, double abs_tol, double rel_tol)
{
	int compared = 0, bad = 0;
	for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
		double want;
		if (!eg_expect(c, fields[i].key, &want)) {
			if (!fields[i].labels || s->labels)
				fprintf(stderr, "%s: golden has no %s\n", c->head, fields[i].key), bad++;
			continue;
		}
		char what[300];
		snprintf(what, sizeof what, "%s: %s", c->head, fields[i].key);
		double got = field_value(s, &fields[i]);
		/* sqrt(u_q^2 + u_b^2 - 2 cov) of two equal models is the square root
		 * of rounding noise (NumPy's 3e-9 is as right as our 0) */
		double a = strcmp(fields[i].key, "ln_ppl_ratio_unc") == 0 ? 1e-7 : abs_tol;
		bool ok = fields[i].is_int ? got == want : eg_close(what, got, want, a, rel_tol);
		if (!ok && fields[i].is_int)
			fprintf(stderr, "%s: got %g, want %g\n", what, got, want);
		bad += !ok;
		compared++;
	}
	if (bad)
		fail_msg("%s: %d statistics differ from NumPy", c->head, bad);
	return compared;
}

static void test_cases(void **state)
{
	(void)state;
	FILE *f = eg_open("divcases.txt");
	assert_non_null(f);
	eg_case c;
	int ncases = 0;
	while (eg_next(f, &c)) {
		char name[64];
		long T, V, has_labels;
		assert_int_equal(sscanf(c.head, "%63s %ld %ld %ld", name, &T, &V, &has_labels), 4);
		size_t nb, nq, nl = 0;
		double *b = eg_numbers(eg_line(&c, "base"), &nb);
		double *q = eg_numbers(eg_line(&c, "quant"), &nq);
		double *l = has_labels ? eg_numbers(eg_line(&c, "labels"), &nl) : NULL;
		assert_int_equal(nb, (size_t)(T * V));
		assert_int_equal(nq, (size_t)(T * V));
		float *bf = malloc(nb * sizeof *bf), *qf = malloc(nq * sizeof *qf);
		for (size_t i = 0; i < nb; i++) {
			bf[i] = (float)b[i];
			qf[i] = (float)q[i];
		}
		ql_div_acc acc;
		ql_div_init(&acc, has_labels);
		ql_error err = { "" };
		for (long r = 0; r < T; r++) {
			ql_div_row row;
			int64_t lab = has_labels ? (int64_t)l[r] : -1;
			ql_div_row_compute(bf + r * V, qf + r * V, V, lab, &row);
			assert_int_equal(ql_div_add(&acc, &row, lab, &err), 0);
		}
		ql_div_stats s;
		assert_int_equal(ql_div_finish(&acc, &s, &err), 0);
		int n = check_stats(&c, &s, 1e-9, 1e-9);
		assert_true(n >= (has_labels ? 40 : 15));
		if (strcmp(name, "identical") == 0) {
			assert_true(s.kld_max == 0.0 && s.kld_min == 0.0);
			assert_int_equal(s.flips, 0);
			assert_int_equal(s.top_changed, 0);
		}
		if (strcmp(name, "small") == 0)
			assert_true(s.kld_unc == 0.0);
		ql_div_free(&acc);
		free(b);
		free(q);
		free(l);
		free(bf);
		free(qf);
		eg_free(&c);
		ncases++;
	}
	fclose(f);
	assert_int_equal(ncases, 6);
}

/* Extremes by hand: a one-hot model against its opposite has KL = the logit
 * gap; equal logits give exactly uniform probabilities. */
static void test_by_hand(void **state)
{
	(void)state;
	float b[2] = { 1000, -1000 }, q[2] = { -1000, 1000 };
	ql_div_row r;
	ql_div_row_compute(b, q, 2, 0, &r);
	assert_true(fabs(r.kld - 2000.0) < 1e-9);
	assert_int_equal(r.top_base, 0);
	assert_int_equal(r.top_quant, 1);
	assert_true(r.nll_base == 0.0 && fabs(r.nll_quant - 2000.0) < 1e-9);
	float e[4] = { 3, 3, 3, 3 };
	ql_div_row_compute(e, e, 4, 2, &r);
	assert_true(r.kld == 0.0);
	assert_int_equal(r.top_base, 0); /* ties: the first index */
	assert_true(fabs(r.p_base - 0.25) < 1e-15);
	/* ±0 logits are the same logits. */
	float z1[3] = { 0.0f, -0.0f, 1 }, z2[3] = { -0.0f, 0.0f, 1 };
	ql_div_row_compute(z1, z2, 3, -1, &r);
	assert_true(r.kld == 0.0);
	/* subnormal differences: KL tiny but not negative beyond rounding */
	float s1[2] = { 1e-45f, 0 }, s2[2] = { 0, 1e-45f };
	ql_div_row_compute(s1, s2, 2, -1, &r);
	assert_true(fabs(r.kld) < 1e-40);
	/* percentile: linear between neighbours, ends clamp */
	double v[5] = { 0, 1, 2, 3, 10 };
	assert_true(ql_div_percentile(v, 5, 0.5) == 2.0);
	assert_true(fabs(ql_div_percentile(v, 5, 0.9) - 7.2) < 1e-12);
	assert_true(ql_div_percentile(v, 5, 0) == 0 && ql_div_percentile(v, 5, 1) == 10);
	ql_div_acc acc;
	ql_div_stats s;
	ql_error err = { "" };
	ql_div_init(&acc, false);
	assert_int_equal(ql_div_finish(&acc, &s, &err), -1); /* no rows */
	ql_div_free(&acc);
}

/* The exp kernel against libm over its whole range, and the AVX2 rows
 * against the portable ones, bit for bit. */
static void test_exp_and_simd(void **state)
{
	(void)state;
	double worst = 0;
	uint64_t seed = 88172645463325252ull;
	for (int i = 0; i <= 2000000; i++) {
		double x;
		if (i <= 100000) {
			x = -708.0 * i / 100000.0; /* an even sweep, both ends included */
		} else {
			seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
			x = -(double)(seed >> 11) / 9007199254740992.0 * (i % 2 ? 708.0 : 2.0);
		}
		double got = ql_div_exp_neg(x), want = exp(x);
		double ulps = fabs(got - want) / (want * 2.220446049250313e-16);
		if (ulps > worst)
			worst = ulps;
		if (ulps > 2.0)
			fail_msg("exp(%.17g): got %.17g, want %.17g (%.2f ulp)", x, got, want, ulps);
	}
	fprintf(stderr, "exp kernel: worst %.2f ulp\n", worst);
	assert_true(ql_div_exp_neg(0.0) == 1.0);
	assert_true(ql_div_exp_neg(-709.0) == 0.0 && ql_div_exp_neg(-1e300) == 0.0);
	bool had = ql_div_simd(-1);
	float b[1003], q[1003];
	for (int len = 1; len <= 1003; len += 37) {
		for (int i = 0; i < len; i++) {
			seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
			b[i] = (float)((double)(seed >> 40) / 16777216.0 * 40 - 20);
			q[i] = b[i] + (float)(i % 5) * 0.01f - (i == len / 2 ? 800.0f : 0.0f);
		}
		ql_div_row r1, r2;
		ql_div_simd(0);
		ql_div_row_compute(b, q, len, len - 1, &r1);
		ql_div_simd(1);
		ql_div_row_compute(b, q, len, len - 1, &r2);
		assert_memory_equal(&r1, &r2, sizeof r1);
	}
	ql_div_simd(had ? 1 : 0);
	fprintf(stderr, "AVX2 rows %s\n", had ? "checked against the portable ones" : "not available here");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_by_hand),
		cmocka_unit_test(test_exp_and_simd),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
