/* divergence.c — KL divergence, top-1 agreement, flips, perplexity and Δp
 * between two models' logits (see divergence.h for the formulas).
 */
#include "qlens/divergence.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The index of the first maximum of x[n]. */
static int64_t argmax(const float *x, int64_t n)
{
	int64_t a = 0;
	for (int64_t i = 1; i < n; i++)
		if (x[i] > x[a])
			a = i;
	return a;
}

/* One pass, two exp per element: with eb = exp(b - max b), eq = exp(q - max q),
 * Sb, Sq their sums and lb = max b + log Sb (likewise lq),
 *   KL = sum (eb / Sb) (b - lb - q + lq) = (sum eb (b - q)) / Sb + lq - lb. */
void ql_div_row_compute(const float *base, const float *quant, int64_t vocab, int64_t label,
			ql_div_row *r)
{
	r->top_base = argmax(base, vocab);
	r->top_quant = argmax(quant, vocab);
	double mb = base[r->top_base], mq = quant[r->top_quant];
	double sb = 0, sq = 0, t = 0;
	for (int64_t i = 0; i < vocab; i++) {
		double b = base[i], q = quant[i];
		double eb = exp(b - mb);
		sb += eb;
		sq += exp(q - mq);
		t += eb * (b - q);
	}
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
