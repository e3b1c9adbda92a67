/* eval.h — a model's outputs before and after quantizing its weights.
 *
 * ql_eval_run quantizes every weight matrix of a model (model.h) with one
 * scheme through ql_quantize (the kernels of `qlens quantize`, dequantized
 * copy kept), runs the test split with the original float32 weights and
 * with the dequantized ones (optionally with int8 activations), and
 * compares the two sets of logits row by row (divergence.h), with the
 * test labels: accuracy or perplexity of both, KL, flips, Δp. Each matrix
 * also gets its tensor metrics (SQNR, cosine) so the two views sit side by
 * side.
 *
 *   ql_eval_ctx *c;
 *   ql_eval_ctx_new(&model, &c, &err);      // runs the float model once
 *   ql_eval_result r;
 *   ql_eval_run(c, &scheme, &opts, &r, &err);
 *   ...r.stats.kld_mean, r.stats.flips, r.mats[i].metrics.sqnr_db...
 *   ql_eval_result_free(&r);
 *   ql_eval_ctx_free(c);
 *
 * Biases stay float32 (as in every weight-only scheme); matrices whose name
 * matches `keep` (fnmatch patterns separated by commas) or that the scheme
 * cannot quantize (q4_0 needs rows that are a multiple of 32) stay float32
 * too and are counted at 32 bits per weight, with the reason.
 */
#ifndef QLENS_EVAL_H
#define QLENS_EVAL_H

#include <stdbool.h>
#include <stdint.h>

#include "qlens/divergence.h"
#include "qlens/error.h"
#include "qlens/model.h"
#include "qlens/quant.h"
#include "qlens/stats.h"

typedef struct ql_eval_ctx {
	const ql_model *m;
	float *base_logits; /* test.n * nout, float weights and activations */
} ql_eval_ctx;

int ql_eval_ctx_new(const ql_model *m, ql_eval_ctx **out, ql_error *err);
void ql_eval_ctx_free(ql_eval_ctx *c);

typedef struct ql_eval_opts {
	ql_act_quant act;
	const char *keep;   /* patterns of matrices kept in float32, or NULL */
	int threads;        /* 0: one per CPU */
	bool keep_logits;   /* keep the quantized logits, per-row results and
	                       the dequantized weights in the result */
} ql_eval_opts;

typedef struct ql_eval_mat {
	char name[64];
	int64_t rows, cols;
	bool kept;          /* float32: matched --keep, or the scheme cannot */
	char why[160];      /* why it was kept */
	double bits_per_weight;
	uint64_t bytes;
	ql_metrics metrics; /* original vs dequantized (zero error if kept) */
} ql_eval_mat;

typedef struct ql_eval_result {
	ql_scheme scheme;
	ql_act_quant act;
	int nmats;
	ql_eval_mat mats[QL_MODEL_MAX_MATS];
	int64_t weights;          /* elements of all matrices */
	uint64_t bytes;           /* their storage as quantized (+ kept float32) */
	double bits_per_weight;
	float act_scales[QL_MODEL_MAX_LAYERS]; /* int8-static: per layer */
	ql_div_stats stats;       /* original vs quantized on the test split */
	/* opts.keep_logits: */
	float *quant_logits;      /* test.n * nout */
	ql_div_row *rows;         /* test.n */
	float *deq[QL_MODEL_MAX_MATS]; /* the weights as run (dequantized) */
} ql_eval_result;

int ql_eval_run(const ql_eval_ctx *c, const ql_scheme *s, const ql_eval_opts *o,
		ql_eval_result *r, ql_error *err);
void ql_eval_result_free(ql_eval_result *r);

/* Does name match one of the comma-separated fnmatch patterns? */
bool ql_eval_keep_match(const char *patterns, const char *name);

#endif
