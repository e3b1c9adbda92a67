/* divstats.c — the divergence statistics as text and JSON (divstats.h). */
#include "divstats.h"

#include <math.h>

static void num(ql_jsonw *j, const char *key, double v)
{
	ql_json_key(j, key);
	ql_json_number(j, v);
}

static void integer(ql_jsonw *j, const char *key, int64_t v)
{
	ql_json_key(j, key);
	ql_json_int(j, v);
}

void ql_cli_json_div(ql_jsonw *j, const ql_div_stats *s, int accuracy)
{
	integer(j, "rows", s->n);
	ql_json_key(j, "kl");
	ql_json_begin_object(j);
	num(j, "mean", s->kld_mean);
	num(j, "uncertainty", s->kld_unc);
	num(j, "median", s->kld_median);
	num(j, "p90", s->kld_p90);
	num(j, "p95", s->kld_p95);
	num(j, "p99", s->kld_p99);
	num(j, "p99_9", s->kld_p999);
	num(j, "max", s->kld_max);
	num(j, "min", s->kld_min);
	ql_json_end_object(j);
	ql_json_key(j, "top1");
	ql_json_begin_object(j);
	integer(j, "same", s->same_top);
	integer(j, "changed", s->top_changed);
	num(j, "same_p", s->same_top_p);
	num(j, "same_p_uncertainty", s->same_top_unc);
	ql_json_end_object(j);
	if (!s->labels)
		return;
	if (accuracy) {
		ql_json_key(j, "accuracy");
		ql_json_begin_object(j);
		num(j, "original", s->acc_base);
		num(j, "quantized", s->acc_quant);
		num(j, "change", s->acc_quant - s->acc_base);
		integer(j, "correct_original", s->correct_base);
		integer(j, "correct_quantized", s->correct_quant);
		ql_json_end_object(j);
	}
	ql_json_key(j, "perplexity");
	ql_json_begin_object(j);
	num(j, "original", s->ppl_base);
	num(j, "original_uncertainty", s->ppl_base_unc);
	num(j, "quantized", s->ppl_quant);
	num(j, "quantized_uncertainty", s->ppl_quant_unc);
	num(j, "change", s->ppl_quant - s->ppl_base);
	num(j, "ln_ratio", s->ln_ppl_ratio);
	num(j, "ln_ratio_uncertainty", s->ln_ppl_ratio_unc);
	num(j, "correlation", s->ppl_cor);
	ql_json_end_object(j);
	ql_json_key(j, "flips");
	ql_json_begin_object(j);
	integer(j, "count", s->flips);
	num(j, "rate", s->flip_rate);
	integer(j, "correct_to_wrong", s->flips_to_wrong);
	integer(j, "wrong_to_correct", s->flips_to_right);
	ql_json_end_object(j);
	ql_json_key(j, "delta_p");
	ql_json_begin_object(j);
	num(j, "mean", s->dp_mean);
	num(j, "uncertainty", s->dp_unc);
	num(j, "rms", s->dp_rms);
	num(j, "rms_uncertainty", s->dp_rms_unc);
	num(j, "min", s->dp_min);
	num(j, "p1", s->dp_p01);
	num(j, "p5", s->dp_p05);
	num(j, "p10", s->dp_p10);
	num(j, "p25", s->dp_p25);
	num(j, "median", s->dp_median);
	num(j, "p75", s->dp_p75);
	num(j, "p90", s->dp_p90);
	num(j, "p95", s->dp_p95);
	num(j, "p99", s->dp_p99);
	num(j, "max", s->dp_max);
	ql_json_end_object(j);
}

static double pct(int64_t a, int64_t n)
{
	return n ? 100.0 * (double)a / (double)n : 0;
}

void ql_cli_print_div(FILE *out, const ql_div_stats *s, int accuracy)
{
	if (s->labels && accuracy)
		fprintf(out, "accuracy         %.2f%% -> %.2f%%  (%+.2f points; %lld and %lld of %lld "
			"correct)\n", 100 * s->acc_base, 100 * s->acc_quant,
			100 * (s->acc_quant - s->acc_base), (long long)s->correct_base,
			(long long)s->correct_quant, (long long)s->n);
	if (s->labels && accuracy)
		fprintf(out, "cross-entropy    %.5f -> %.5f nats  (%+.5f ± %.5f)\n", s->ln_ppl_base,
			s->ln_ppl_quant, s->ln_ppl_ratio, s->ln_ppl_ratio_unc);
	else if (s->labels && !(isfinite(s->ppl_base) && isfinite(s->ppl_quant)))
		/* exp(mean -log p) past a double (a mean over 709 nats): the
		 * exponents themselves, not "inf ± nan" */
		fprintf(out, "perplexity       e^%.5f -> e^%.5f  (too large for a double; ln ratio "
			"%+.5f)\n", s->ln_ppl_base, s->ln_ppl_quant, s->ln_ppl_ratio);
	else if (s->labels)
		fprintf(out, "perplexity       %.4f ± %.4f -> %.4f ± %.4f  (%+.4f; ln ratio %.5f ± "
			"%.5f)\n", s->ppl_base, s->ppl_base_unc, s->ppl_quant, s->ppl_quant_unc,
			s->ppl_quant - s->ppl_base, s->ln_ppl_ratio, s->ln_ppl_ratio_unc);
	fprintf(out, "KL divergence    mean %.6f ± %.6f  median %.6f  p90 %.6f  p99 %.6f  "
		"max %.6f  (nats)\n", s->kld_mean, s->kld_unc, s->kld_median, s->kld_p90, s->kld_p99,
		s->kld_max);
	if (s->labels)
		fprintf(out, "flips            %lld of %lld (%.2f%%): %lld correct -> wrong, %lld "
			"wrong -> correct\n", (long long)s->flips, (long long)s->n,
			pct(s->flips, s->n), (long long)s->flips_to_wrong,
			(long long)s->flips_to_right);
	fprintf(out, "top-1 changed    %lld of %lld (%.2f%%); same top p %.3f ± %.3f %%\n",
		(long long)s->top_changed, (long long)s->n, pct(s->top_changed, s->n),
		100 * s->same_top_p, 100 * s->same_top_unc);
	if (s->labels) {
		fprintf(out, "Δp (correct)     mean %.3f ± %.3f %%  RMS %.3f ± %.3f %%\n",
			100 * s->dp_mean, 100 * s->dp_unc, 100 * s->dp_rms, 100 * s->dp_rms_unc);
		fprintf(out, "                 min %.3f%%  p1 %.3f%%  p5 %.3f%%  p10 %.3f%%  "
			"median %.3f%%  p90 %.3f%%  p95 %.3f%%  p99 %.3f%%  max %.3f%%\n",
			100 * s->dp_min, 100 * s->dp_p01, 100 * s->dp_p05, 100 * s->dp_p10,
			100 * s->dp_median, 100 * s->dp_p90, 100 * s->dp_p95, 100 * s->dp_p99,
			100 * s->dp_max);
	}
}
