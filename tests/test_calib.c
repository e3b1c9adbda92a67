/* test_calib.c — calibration (calib.h): ql_percentile against NumPy bit for
 * bit (tests/golden/core.txt, made by tests/golden/gen_core.py), the tie
 * rules of the mse and entropy methods on small hand-made inputs, and the
 * mse and entropy searches against the rules they state, done the slow
 * way; ql_select_ranks against a sort.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "qlens/affine.h"
#include "qlens/calib.h"
#include "qlens/stats.h"
#include "qgolden.h"
#include "testutil.h"

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

static int cmp_float(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;
	return x < y ? -1 : x > y;
}

/* ql_select_ranks's values equal a sorted copy's at every rank asked, in
 * the order asked (repeats too): on data its buckets split finely (one
 * bucket holds the median of normal data), on ±0, subnormals, ±huge and
 * few distinct values (whose buckets hold them all: the in-place way),
 * below 16,384 values (in place too), at the ends (ranks 0 and n - 1). */
static void test_select_ranks(void **state)
{
	(void)state;
	uint64_t rng = 7;
	const size_t sizes[] = {1, 2, 7, 5000, 16383, 16384, 20000, 100003};
	for (int kind = 0; kind < 5; kind++) {
		for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
			size_t n = sizes[si];
			float *a = malloc(n * sizeof *a), *sorted = malloc(n * sizeof *a);
			assert_true(a && sorted);
			for (size_t i = 0; i < n; i++) {
				float u = tu_uniform(&rng), w = tu_uniform(&rng);
				switch (kind) {
				case 0: /* about normal (sum of uniforms), small */
					a[i] = (u + w + tu_uniform(&rng) - 1.5f) * 0.02f;
					break;
				case 1: /* signs of zero, subnormals, extremes */
					a[i] = u < 0.3f ? (w < 0.5f ? 0.0f : -0.0f)
					       : u < 0.5f ? (w - 0.5f) * 1e-38f
					       : u < 0.52f ? (w < 0.5f ? -3e38f : 3e38f)
							   : (w - 0.5f) * 100;
					break;
				case 2: /* four values */
					a[i] = (float)((int)(u * 4) - 1);
					break;
				case 3: /* all equal */
					a[i] = -0.375f;
					break;
				default: /* positive, spread over octaves */
					a[i] = ldexpf(1.0f + w, (int)(u * 40) - 20);
				}
			}
			memcpy(sorted, a, n * sizeof *a);
			qsort(sorted, n, sizeof *sorted, cmp_float);
			size_t ranks[12] = {n - 1, 0, n / 2, n / 2, n / 1000, n - 1 - n / 1000,
					    n / 3, n / 2 + 1 < n ? n / 2 + 1 : 0, n / 7, n - 1, n / 100, 0};
			float out[12];
			ql_error err;
			assert_int_equal(ql_select_ranks(a, n, ranks, 12, out, &err), 0);
			for (int r = 0; r < 12; r++)
				if (!(out[r] == sorted[ranks[r]]))
					fail_msg("kind %d, n %zu: rank %zu is %a, sorted %a", kind, n,
						 ranks[r], out[r], sorted[ranks[r]]);
			free(a);
			free(sorted);
		}
	}
	float x[4] = {1, 2, 3, 4}, out[1];
	ql_error err;
	size_t bad = 4;
	assert_int_equal(ql_select_ranks(x, 4, &bad, 1, out, &err), -1);
	assert_non_null(strstr(err.msg, "rank 4 of 4"));
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
	/* a tie across two batches of candidates (calib.c measures 8 at a
	 * time: 92..85, 84..77): (100 - k)² + (69 - k)² is 481 at k = 85 and
	 * k = 84; the first batch's 85 must stay */
	const float x69[] = {100.0f, 69.0f};
	assert_int_equal(ql_calibrate(x69, 2, QL_CALIB_MSE, 0, true, -1, 1, &lo, &hi, &err), 0);
	assert_true(hi == 85.0f);
	/* every clip ties (all zero): the widest, [0, 0] */
	const float zero[] = {0.0f, -0.0f, 0.0f};
	assert_int_equal(ql_calibrate(zero, 3, QL_CALIB_MSE, 0, true, -127, 127, &lo, &hi, &err), 0);
	assert_true(lo == 0.0f && hi == 0.0f);
}

/* A uniform double in (0, 1), from testutil's generator. */
static double open_unit(uint64_t *r)
{
	return ((double)tu_next_u32(r) + 0.5) * 0x1p-32;
}

/* The MSE search as calib.c's comment states it, one candidate at a time:
 * the clip k/100 of the minmax range (k = 100 down to 1) whose round trip
 * (ql_qparams_from_range, ql_affine_qdq_*) over the samples (all of x, or
 * x[i * n / m] for i < m = 2^20) has the least squared error, summed in
 * sample order; ties keep the wider. */
static void mse_by_hand(const float *x, size_t n, bool sym, int32_t qmin, int32_t qmax,
			float *lo, float *hi)
{
	float mn = x[0], mx = x[0];
	for (size_t i = 1; i < n; i++) {
		mn = x[i] < mn ? x[i] : mn;
		mx = x[i] > mx ? x[i] : mx;
	}
	float amax = fmaxf(fabsf(mn), fabsf(mx));
	float lo0 = sym ? -amax : mn, hi0 = sym ? amax : mx;
	size_t m = n > (1u << 20) ? (1u << 20) : n;
	float *v = malloc(m * sizeof *v), *y = malloc(m * sizeof *y);
	uint8_t *q = malloc(m);
	assert_true(v && y && q);
	for (size_t i = 0; i < m; i++)
		v[i] = m == n ? x[i] : x[(size_t)((double)i * (double)n / (double)m)];
	double best = INFINITY;
	*lo = lo0;
	*hi = hi0;
	for (int k = 100; k >= 1; k--) {
		float a = (float)k / 100, l = lo0 * a, h = hi0 * a, scale;
		int32_t zp;
		ql_qparams_from_range(l, h, qmin, qmax, sym, &scale, &zp);
		if (qmin < 0)
			ql_affine_qdq_s8(v, m, scale, zp, qmin, qmax, (int8_t *)q, y, NULL);
		else
			ql_affine_qdq_u8(v, m, scale, zp, qmin, qmax, q, y, NULL);
		double sse = 0;
		for (size_t i = 0; i < m; i++) {
			double e = (double)y[i] - (double)v[i];
			sse += e * e;
		}
		if (sse < best) {
			best = sse;
			*lo = l;
			*hi = h;
		}
	}
	free(v);
	free(y);
	free(q);
}

/* calib.c's search (8 candidates side by side, samples gathered once)
 * against that, bit for bit: heavy-tailed data where the best clip is well
 * inside the range, short inputs, and a tensor over 2^20 values (sampled). */
static void test_mse_as_stated(void **state)
{
	(void)state;
	size_t big = (1u << 20) + 4099;
	float *x = malloc(big * sizeof *x);
	assert_non_null(x);
	uint64_t r = 0x243f6a8885a308d3ull;
	for (size_t i = 0; i < big; i++) {
		double u = open_unit(&r);
		/* a Cauchy-like tail, shifted so that min and max differ */
		x[i] = (float)(tan(3.14159 * (u - 0.5)) * 0.1 + 0.02);
	}
	/* in the sampled tensor, the values no sample reads are outliers: a
	 * sample taken from the wrong place changes the clip */
	unsigned char *read = calloc(big, 1);
	assert_non_null(read);
	for (size_t i = 0; i < (1u << 20); i++)
		read[(size_t)((double)i * (double)big / (double)(1u << 20))] = 1;
	for (size_t i = 0; i < big; i++)
		if (!read[i])
			x[i] = i % 2 ? 1000.0f : -900.0f;
	free(read);
	const size_t sizes[] = {1, 7, 32, 64, 128, 1000, 4096, big};
	const int32_t ranges[][2] = {{-127, 127}, {-128, 127}, {0, 255}, {-8, 7}, {0, 15}, {-2, 1}};
	for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++)
		for (size_t t = 0; t < sizeof ranges / sizeof ranges[0]; t++)
			for (int sym = 0; sym < 2; sym++) {
				if (sizes[s] == big && !(t == 0 ? sym : t == 2 && !sym))
					continue; /* the long case: int8 sym, uint8 asym */
				const float *xs = x + (sizes[s] == big ? 0 : s * 5000 + 100000);
				float lo, hi, lo2, hi2;
				ql_error err;
				assert_int_equal(ql_calibrate(xs, sizes[s], QL_CALIB_MSE, 0, sym,
							      ranges[t][0], ranges[t][1], &lo, &hi,
							      &err),
						 0);
				mse_by_hand(xs, sizes[s], sym, ranges[t][0], ranges[t][1], &lo2,
					    &hi2);
				if (memcmp(&lo, &lo2, sizeof lo) || memcmp(&hi, &hi2, sizeof hi)) {
					note("n=%zu [%d, %d] sym=%d: [%a, %a], by hand [%a, %a]",
					     sizes[s], ranges[t][0], ranges[t][1], sym, lo, hi, lo2,
					     hi2);
					fail();
				}
			}
	free(x);
}

/* The entropy search as calib.c states it, the slow way: every bin of
 * every candidate edge i visited in order (an empty one adds 0 to each
 * sum), its level max{d < nq : d == 0 or k >= d * (i / nq)} found by
 * scanning, q a level's mean count, p the counts with the tail on bin
 * i - 1, KL = Σ p log(p / q) over the normalised p and q (infinite where
 * p > 0 = q), the last least KL. (The level by a division, then corrected
 * either way, as calib.c found it before its walk.) Returns the clip t (amax for edge 2048). */
static float entropy_by_hand(const float *x, size_t n, int nq)
{
	enum { B = 2048 };
	float amax = 0;
	for (size_t i = 0; i < n; i++)
		amax = fabsf(x[i]) > amax ? fabsf(x[i]) : amax;
	if (amax == 0)
		return 0;
	ql_hist h;
	ql_error err;
	assert_int_equal(ql_hist_init(&h, B, 0.0, amax, &err), 0);
	for (size_t i = 0; i < n; i++) {
		int b = ql_hist_bin(&h, fabs((double)x[i]));
		h.counts[b < B ? b : B - 1]++;
	}
	static double nd[B], cnt[B], q[B], p[B];
	static int dig[B];
	double best = INFINITY;
	int best_i = B;
	for (int i = nq; i <= B; i++) {
		double step = (double)i / nq, tail = 0;
		for (int k = i; k < B; k++)
			tail += (double)h.counts[k];
		for (int d = 0; d < nq; d++)
			nd[d] = cnt[d] = 0;
		for (int k = 0; k < i; k++) {
			int d = (int)((double)k / step); /* then corrected either way */
			d = d > nq - 1 ? nq - 1 : d;
			while (d > 0 && (double)k < d * step)
				d--;
			while (d + 1 < nq && (double)k >= (d + 1) * step)
				d++;
			dig[k] = h.counts[k] ? d : -1;
			if (h.counts[k]) {
				nd[d] += (double)h.counts[k];
				cnt[d]++;
			}
		}
		double qt = 0, pt = 0;
		for (int k = 0; k < i; k++) {
			q[k] = dig[k] < 0 ? 0.0 : nd[dig[k]] / cnt[dig[k]];
			p[k] = (double)h.counts[k] + (k == i - 1 ? tail : 0.0);
			qt += q[k];
			pt += p[k];
		}
		double kl = 0;
		if (pt > 0 && qt > 0)
			for (int k = 0; k < i; k++) {
				double pk = p[k] / pt, qk = q[k] / qt;
				kl += pk > 0 ? (qk > 0 ? pk * log(pk / qk) : INFINITY) : 0.0;
			}
		if (kl <= best) {
			best = kl;
			best_i = i;
		}
	}
	ql_hist_free(&h);
	return best_i == B ? amax : (float)(best_i * ((double)amax / B));
}

/* calib.c's entropy search (levels found by one walk, the terms of equal
 * counts in a level computed once) against that, to the bit: channels of
 * a few to a few thousand values, normal, Laplace-like with outliers, and
 * coarse (many equal values), for 8- and 4-bit and 2-bit targets. */
static void test_entropy_as_stated(void **state)
{
	(void)state;
	static float x[4096];
	uint64_t r = 0x13198a2e03707344ull;
	const size_t sizes[] = {3, 64, 700, 4096};
	const int32_t qmax[] = {127, 7, 1};
	for (int kind = 0; kind < 3; kind++)
		for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
			for (size_t i = 0; i < sizes[s]; i++) {
				double u = open_unit(&r);
				double v = kind == 0   ? sqrt(-2 * log(u)) * cos(6.283185307 * open_unit(&r))
					   : kind == 1 ? (u < 0.5 ? log(2 * u) : -log(2 - 2 * u)) * (i % 97 ? 1 : 25)
						       : floor(u * 9) - 4;
				x[i] = (float)v;
			}
			for (size_t b = 0; b < sizeof qmax / sizeof qmax[0]; b++) {
				int nq = (int)((qmax[b] - (-qmax[b]) + 2) / 2);
				float lo, hi;
				ql_error err;
				assert_int_equal(ql_calibrate(x, sizes[s], QL_CALIB_ENTROPY, 0, true,
							      -qmax[b], qmax[b], &lo, &hi, &err),
						 0);
				float t = entropy_by_hand(x, sizes[s], nq);
				if (memcmp(&hi, &t, sizeof t) || lo != -t) {
					note("kind %d, n=%zu, nq=%d: clip %a, by hand %a", kind, sizes[s],
					     nq, hi, t);
					fail();
				}
			}
		}
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
		cmocka_unit_test(test_select_ranks),
		cmocka_unit_test(test_mse_tie_goes_wide),
		cmocka_unit_test(test_mse_as_stated),
		cmocka_unit_test(test_entropy_as_stated),
		cmocka_unit_test(test_entropy_tie_goes_wide),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
