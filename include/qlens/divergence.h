/* divergence.h — how far a quantized model's outputs are from the original's.
 *
 * Two rows of logits over the same vocabulary (the original "base" model's
 * and the quantized one's, for the same input) give one row result: the
 * KL divergence KL(P_base || P_quant) = sum_i p_base[i] (log p_base[i] -
 * log p_quant[i]), whether their top-1 answers agree, and, with a label
 * (the correct class or next token), each model's negative log-likelihood
 * and Δp = p_quant[label] - p_base[label]. Log-softmax is computed in double
 * precision and stably (max subtracted before exp), the sums in four fixed
 * lanes whatever the CPU (AVX2 or not).
 *
 * Rows are summed into a ql_div_acc in order; ql_div_finish gives the
 * statistics with llama.cpp's formulas (tools/perplexity/perplexity.cpp,
 * `llama-perplexity --kl-divergence`):
 *   - mean ± uncertainty: f = S1/n, u = sqrt((S2/n - f^2) / (n - 1)), and
 *     u = 0 when that variance is not > 0 or n <= 10;
 *   - percentiles: sort, then linear interpolation at fraction * (n - 1);
 *     the median is the middle value (the mean of the two middle ones for
 *     even n);
 *   - perplexity = exp(mean NLL), ± exp(mean) * u(NLL);
 *   - RMS Δp = sqrt(mean Δp^2), ± 0.5 / RMS * u(Δp^2);
 *   - same top p = same / n, ± sqrt(p (1 - p) / (n - 1)).
 * Unlike llama-perplexity (which stores the base log-probabilities in 16
 * bits and skips those below -16), every term is exact in double precision.
 *
 * Flips (with labels): answers that change from correct to wrong or from
 * wrong to correct, the measure of "Accuracy is Not All You Need"
 * (Dutta et al., 2024). Top-1 changes count any change of the argmax.
 * The argmax is the first index of the largest logit.
 */
#ifndef QLENS_DIVERGENCE_H
#define QLENS_DIVERGENCE_H

#include <stdbool.h>
#include <stdint.h>

#include "qlens/error.h"

typedef struct ql_div_row {
	double kld;            /* KL(P_base || P_quant), nats */
	int64_t top_base, top_quant;
	/* with a label only: */
	double nll_base, nll_quant; /* -log p[label] */
	double p_base, p_quant;     /* p[label] */
} ql_div_row;

/* One row of `vocab` logits each; label < 0 for none. Non-finite logits
 * are the caller's to refuse (the result is then NaN, never UB). */
void ql_div_row_compute(const float *base, const float *quant, int64_t vocab, int64_t label,
			ql_div_row *r);

typedef struct ql_div_acc {
	bool labels;
	int64_t n;
	double sum_kld, sum_kld2;
	double sum_nll_b, sum_nll_b2, sum_nll_q, sum_nll_q2, sum_nll_bq;
	double sum_dp, sum_dp2, sum_dp4;
	int64_t same_top, correct_b, correct_q, to_wrong, to_right;
	double *kld, *dp;      /* per row, for percentiles */
	int64_t cap;
} ql_div_acc;

void ql_div_init(ql_div_acc *a, bool labels);
/* label: as given to ql_div_row_compute (needed for accuracy and flips). */
int ql_div_add(ql_div_acc *a, const ql_div_row *r, int64_t label, ql_error *err);
void ql_div_free(ql_div_acc *a);

typedef struct ql_div_stats {
	int64_t n;
	bool labels;
	/* KL divergence, nats */
	double kld_mean, kld_unc, kld_min, kld_p01, kld_p05, kld_p10, kld_median, kld_p90, kld_p95,
		kld_p99, kld_p999, kld_max;
	/* top-1 agreement */
	int64_t same_top, top_changed;
	double same_top_p, same_top_unc;
	/* with labels */
	double ppl_base, ppl_base_unc, ppl_quant, ppl_quant_unc;
	double ln_ppl_base, ln_ppl_quant; /* mean -log p[label]: finite where exp overflows */
	double ln_ppl_ratio, ln_ppl_ratio_unc, ppl_cor;
	int64_t correct_base, correct_quant, flips, flips_to_wrong, flips_to_right;
	double acc_base, acc_quant, flip_rate;
	double dp_mean, dp_unc, dp_rms, dp_rms_unc;
	double dp_min, dp_p01, dp_p05, dp_p10, dp_p25, dp_median, dp_p75, dp_p90, dp_p95, dp_p99,
		dp_max;
} ql_div_stats;

/* The statistics of everything added (n >= 1). The per-row arrays are
 * sorted in place. */
int ql_div_finish(ql_div_acc *a, ql_div_stats *s, ql_error *err);

/* exp(x) for x <= 0 (0 below -708), within 2 ulp of libm's: the kernel of
 * the softmax sums (portable; the AVX2 path gives the same bits). */
double ql_div_exp_neg(double x);

/* Whether rows use the AVX2 kernel: set 0 turns it off, 1 back on where
 * the CPU has it, -1 only asks. Same results either way. */
bool ql_div_simd(int set);

/* llama.cpp's percentile of sorted v[n]: linear at fraction * (n - 1). */
double ql_div_percentile(const double *sorted, int64_t n, double fraction);

#endif
