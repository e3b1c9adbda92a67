/* divergence.c — KL divergence, top-1 agreement, flips, perplexity and Δp
 * between two models' logits (see divergence.h for the formulas).
 */
#include "qlens/divergence.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The softmax sums of a row pair go through one exp kernel, written twice
 * with the same operations in the same order: portable C, and AVX2 four
 * lanes at a time (chosen at run time). Both give the same bits.
 *
 * exp(x) for x <= 0: x = k ln2 + r with |r| <= ln2 / 2, e^r by its Taylor
 * series to r^13 (truncation below 2e-16; within 2 ulp of libm, checked in
 * tests/test_divergence.c), times 2^k made from the bits. Below -708 (where
 * e^x is subnormal, under 3e-308) it gives 0: next to the row's largest
 * term, 1, that is below double precision in every sum here. */
#define EXP_LO (-708.0)
static const double LOG2E = 1.4426950408889634, LN2_HI = 6.93147180369123816490e-01,
		    LN2_LO = 1.90821492927058770002e-10, SHIFTER = 6755399441055744.0; /* 1.5*2^52 */
static const double TAYLOR[14] = {
	1.0 / 6227020800.0, 1.0 / 479001600.0, 1.0 / 39916800.0, 1.0 / 3628800.0,
	1.0 / 362880.0,     1.0 / 40320.0,     1.0 / 5040.0,      1.0 / 720.0,
	1.0 / 120.0,        1.0 / 24.0,        1.0 / 6.0,         0.5,
	1.0,                1.0,
};

double ql_div_exp_neg(double x)
{
	if (x < EXP_LO)
		return 0.0;
	double kd = (x * LOG2E + SHIFTER) - SHIFTER;
	double r = (x - kd * LN2_HI) - kd * LN2_LO;
	double p = TAYLOR[0];
	for (int i = 1; i < 14; i++)
		p = p * r + TAYLOR[i];
	uint64_t bits = (uint64_t)((int64_t)kd + 1023) << 52;
	double scale;
	memcpy(&scale, &bits, sizeof scale);
	return p * scale;
}

/* Lane sums over a row: sb = sum e^(b - mb), sq = sum e^(q - mq),
 * t = sum e^(b - mb) (b - q); element i goes to lane i % 4, and the lanes
 * are added as (0 + 2) + (1 + 3). */
static void sums_c(const float *b, const float *q, int64_t n, double mb, double mq, double *sb,
		   double *sq, double *t)
{
	double lb[4] = { 0 }, lq[4] = { 0 }, lt[4] = { 0 };
	for (int64_t i = 0; i < n; i++) {
		double x = b[i], y = q[i];
		double eb = ql_div_exp_neg(x - mb);
		lb[i & 3] += eb;
		lq[i & 3] += ql_div_exp_neg(y - mq);
		lt[i & 3] += eb * (x - y);
	}
	*sb = (lb[0] + lb[2]) + (lb[1] + lb[3]);
	*sq = (lq[0] + lq[2]) + (lq[1] + lq[3]);
	*t = (lt[0] + lt[2]) + (lt[1] + lt[3]);
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define AVX2 __attribute__((target("avx2")))

AVX2 static inline __m256d exp_neg4(__m256d x)
{
	__m256d tiny = _mm256_cmp_pd(x, _mm256_set1_pd(EXP_LO), _CMP_LT_OQ);
	x = _mm256_max_pd(x, _mm256_set1_pd(EXP_LO));
	__m256d sh = _mm256_set1_pd(SHIFTER);
	__m256d kd = _mm256_sub_pd(_mm256_add_pd(_mm256_mul_pd(x, _mm256_set1_pd(LOG2E)), sh), sh);
	__m256d r = _mm256_sub_pd(_mm256_sub_pd(x, _mm256_mul_pd(kd, _mm256_set1_pd(LN2_HI))),
				  _mm256_mul_pd(kd, _mm256_set1_pd(LN2_LO)));
	__m256d p = _mm256_set1_pd(TAYLOR[0]);
	for (int i = 1; i < 14; i++)
		p = _mm256_add_pd(_mm256_mul_pd(p, r), _mm256_set1_pd(TAYLOR[i]));
	__m256i k = _mm256_cvtepi32_epi64(_mm256_cvtpd_epi32(kd));
	__m256i bits = _mm256_slli_epi64(_mm256_add_epi64(k, _mm256_set1_epi64x(1023)), 52);
	__m256d v = _mm256_mul_pd(p, _mm256_castsi256_pd(bits));
	return _mm256_andnot_pd(tiny, v);
}

AVX2 static void sums_avx2(const float *b, const float *q, int64_t n, double mb, double mq,
			   double *sb, double *sq, double *t)
{
	__m256d vb = _mm256_setzero_pd(), vq = vb, vt = vb;
	__m256d mbv = _mm256_set1_pd(mb), mqv = _mm256_set1_pd(mq);
	int64_t i = 0;
	for (; i + 4 <= n; i += 4) {
		__m256d x = _mm256_cvtps_pd(_mm_loadu_ps(b + i));
		__m256d y = _mm256_cvtps_pd(_mm_loadu_ps(q + i));
		__m256d eb = exp_neg4(_mm256_sub_pd(x, mbv));
		vb = _mm256_add_pd(vb, eb);
		vq = _mm256_add_pd(vq, exp_neg4(_mm256_sub_pd(y, mqv)));
		vt = _mm256_add_pd(vt, _mm256_mul_pd(eb, _mm256_sub_pd(x, y)));
	}
	double lb[4], lq[4], lt[4];
	_mm256_storeu_pd(lb, vb);
	_mm256_storeu_pd(lq, vq);
	_mm256_storeu_pd(lt, vt);
	for (; i < n; i++) {
		double x = b[i], y = q[i];
		double eb = ql_div_exp_neg(x - mb);
		lb[i & 3] += eb;
		lq[i & 3] += ql_div_exp_neg(y - mq);
		lt[i & 3] += eb * (x - y);
	}
	*sb = (lb[0] + lb[2]) + (lb[1] + lb[3]);
	*sq = (lq[0] + lq[2]) + (lq[1] + lq[3]);
	*t = (lt[0] + lt[2]) + (lt[1] + lt[3]);
}

static _Atomic int use_avx2 = -1; /* -1: not decided yet */
#endif

bool ql_div_simd(int set)
{
#if defined(__x86_64__) && defined(__GNUC__)
	if (use_avx2 < 0)
		use_avx2 = __builtin_cpu_supports("avx2") ? 1 : 0;
	if (set == 0)
		use_avx2 = 0;
	else if (set > 0)
		use_avx2 = __builtin_cpu_supports("avx2") ? 1 : 0;
	return use_avx2 == 1;
#else
	(void)set;
	return false;
#endif
}

/* The index of the first maximum of x[n]. */
static int64_t argmax(const float *x, int64_t n)
{
	int64_t a = 0;
	for (int64_t i = 1; i < n; i++)
		if (x[i] > x[a])
			a = i;
	return a;
}

/* With Sb, Sq the sums and lb = max b + log Sb (likewise lq),
 *   KL = sum (eb / Sb) (b - lb - q + lq) = (sum eb (b - q)) / Sb + lq - lb. */
void ql_div_row_compute(const float *base, const float *quant, int64_t vocab, int64_t label,
			ql_div_row *r)
{
	r->top_base = argmax(base, vocab);
	r->top_quant = argmax(quant, vocab);
	double mb = base[r->top_base], mq = quant[r->top_quant], sb, sq, t;
#if defined(__x86_64__) && defined(__GNUC__)
	if (ql_div_simd(-1))
		sums_avx2(base, quant, vocab, mb, mq, &sb, &sq, &t);
	else
#endif
		sums_c(base, quant, vocab, mb, mq, &sb, &sq, &t);
	double lb = mb + log(sb), lq = mq + log(sq);
	r->kld = t / sb + lq - lb;
	if (label >= 0 && label < vocab) {
		r->nll_base = lb - (double)base[label];
		r->nll_quant = lq - (double)quant[label];
		r->p_base = exp(-r->nll_base);
		r->p_quant = exp(-r->nll_quant);
	} else {
		r->nll_base = r->nll_quant = r->p_base = r->p_quant = NAN;
	}
}

void ql_div_init(ql_div_acc *a, bool labels)
{
	memset(a, 0, sizeof *a);
	a->labels = labels;
}

void ql_div_free(ql_div_acc *a)
{
	free(a->kld);
	free(a->dp);
	a->kld = a->dp = NULL;
	a->cap = 0;
}

int ql_div_add(ql_div_acc *a, const ql_div_row *r, int64_t label, ql_error *err)
{
	if (a->n == a->cap) {
		int64_t cap = a->cap ? a->cap * 2 : 1024;
		double *k = realloc(a->kld, (size_t)cap * sizeof *k);
		if (!k)
			return ql_error_set(err, "out of memory (%lld rows)", (long long)a->n);
		a->kld = k;
		if (a->labels) {
			double *d = realloc(a->dp, (size_t)cap * sizeof *d);
			if (!d)
				return ql_error_set(err, "out of memory (%lld rows)", (long long)a->n);
			a->dp = d;
		}
		a->cap = cap;
	}
	a->kld[a->n] = r->kld;
	a->sum_kld += r->kld;
	a->sum_kld2 += r->kld * r->kld;
	a->same_top += r->top_base == r->top_quant;
	if (a->labels) {
		double dp = r->p_quant - r->p_base;
		a->dp[a->n] = dp;
		a->sum_nll_b += r->nll_base;
		a->sum_nll_b2 += r->nll_base * r->nll_base;
		a->sum_nll_q += r->nll_quant;
		a->sum_nll_q2 += r->nll_quant * r->nll_quant;
		a->sum_nll_bq += r->nll_base * r->nll_quant;
		a->sum_dp += dp;
		a->sum_dp2 += dp * dp;
		a->sum_dp4 += dp * dp * dp * dp;
		bool cb = r->top_base == label, cq = r->top_quant == label;
		a->correct_b += cb;
		a->correct_q += cq;
		a->to_wrong += cb && !cq;
		a->to_right += !cb && cq;
	}
	a->n++;
	return 0;
}

/* llama.cpp's mean_and_uncertainty. */
static void mean_unc(double sum, double sum2, int64_t n, double *f, double *u)
{
	*f = sum / (double)n;
	double df = sum2 / (double)n - *f * *f;
	*u = df > 0 && n > 10 ? sqrt(df / (double)(n - 1)) : 0.0;
}

static double covariance(double sa, double sb, double sab, int64_t n)
{
	if (n < 10)
		return 0.0;
	double v = sab / (double)n - (sa / (double)n) * (sb / (double)n);
	return v / (double)(n - 1);
}

double ql_div_percentile(const double *v, int64_t n, double fraction)
{
	if (fraction <= 0)
		return v[0];
	if (fraction >= 1)
		return v[n - 1];
	double p = fraction * (double)(n - 1);
	int64_t ip = (int64_t)p;
	p -= (double)ip;
	int64_t next = ip + 1 < n ? ip + 1 : n - 1;
	return (1 - p) * v[ip] + p * v[next];
}

static double median(const double *v, int64_t n)
{
	return n % 2 == 0 ? 0.5 * (v[n / 2] + v[n / 2 - 1]) : v[n / 2];
}

static int cmp_double(const void *pa, const void *pb)
{
	double a = *(const double *)pa, b = *(const double *)pb;
	return a < b ? -1 : a > b;
}

int ql_div_finish(ql_div_acc *a, ql_div_stats *s, ql_error *err)
{
	memset(s, 0, sizeof *s);
	int64_t n = a->n;
	if (n < 1)
		return ql_error_set(err, "no rows to compare");
	s->n = n;
	s->labels = a->labels;
	mean_unc(a->sum_kld, a->sum_kld2, n, &s->kld_mean, &s->kld_unc);
	qsort(a->kld, (size_t)n, sizeof *a->kld, cmp_double);
	const double *k = a->kld;
	s->kld_min = k[0];
	s->kld_max = k[n - 1];
	s->kld_median = median(k, n);
	s->kld_p01 = ql_div_percentile(k, n, 0.01);
	s->kld_p05 = ql_div_percentile(k, n, 0.05);
	s->kld_p10 = ql_div_percentile(k, n, 0.10);
	s->kld_p90 = ql_div_percentile(k, n, 0.90);
	s->kld_p95 = ql_div_percentile(k, n, 0.95);
	s->kld_p99 = ql_div_percentile(k, n, 0.99);
	s->kld_p999 = ql_div_percentile(k, n, 0.999);
	s->same_top = a->same_top;
	s->top_changed = n - a->same_top;
	s->same_top_p = (double)a->same_top / (double)n;
	s->same_top_unc = n > 1 ? sqrt(s->same_top_p * (1 - s->same_top_p) / (double)(n - 1)) : 0;
	if (!a->labels)
		return 0;
	double lb, ub, lq, uq;
	mean_unc(a->sum_nll_b, a->sum_nll_b2, n, &lb, &ub);
	mean_unc(a->sum_nll_q, a->sum_nll_q2, n, &lq, &uq);
	s->ln_ppl_base = lb;
	s->ln_ppl_quant = lq;
	s->ppl_base = exp(lb);
	s->ppl_base_unc = s->ppl_base * ub;
	s->ppl_quant = exp(lq);
	s->ppl_quant_unc = s->ppl_quant * uq;
	double cov = covariance(a->sum_nll_q, a->sum_nll_b, a->sum_nll_bq, n);
	s->ppl_cor = ub > 0 && uq > 0 ? cov / (uq * ub) : NAN;
	s->ln_ppl_ratio = lq - lb;
	double r2 = uq * uq + ub * ub - 2.0 * cov;
	s->ln_ppl_ratio_unc = r2 > 0 ? sqrt(r2) : 0;
	s->correct_base = a->correct_b;
	s->correct_quant = a->correct_q;
	s->acc_base = (double)a->correct_b / (double)n;
	s->acc_quant = (double)a->correct_q / (double)n;
	s->flips_to_wrong = a->to_wrong;
	s->flips_to_right = a->to_right;
	s->flips = a->to_wrong + a->to_right;
	s->flip_rate = (double)s->flips / (double)n;
	mean_unc(a->sum_dp, a->sum_dp2, n, &s->dp_mean, &s->dp_unc);
	double mse, mse_unc;
	mean_unc(a->sum_dp2, a->sum_dp4, n, &mse, &mse_unc);
	s->dp_rms = sqrt(mse);
	s->dp_rms_unc = s->dp_rms > 0 ? 0.5 / s->dp_rms * mse_unc : 0;
	qsort(a->dp, (size_t)n, sizeof *a->dp, cmp_double);
	const double *d = a->dp;
	s->dp_min = d[0];
	s->dp_max = d[n - 1];
	s->dp_median = median(d, n);
	s->dp_p01 = ql_div_percentile(d, n, 0.01);
	s->dp_p05 = ql_div_percentile(d, n, 0.05);
	s->dp_p10 = ql_div_percentile(d, n, 0.10);
	s->dp_p25 = ql_div_percentile(d, n, 0.25);
	s->dp_p75 = ql_div_percentile(d, n, 0.75);
	s->dp_p90 = ql_div_percentile(d, n, 0.90);
	s->dp_p95 = ql_div_percentile(d, n, 0.95);
	s->dp_p99 = ql_div_percentile(d, n, 0.99);
	return 0;
}
