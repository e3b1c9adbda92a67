/* eval.c — quantize a model's weights with one scheme, run both models on
 * the test split, compare their outputs (see eval.h).
 */
#include "qlens/eval.h"

#include <fnmatch.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ql_eval_ctx_new(const ql_model *m, ql_eval_ctx **out, ql_error *err)
{
	ql_eval_ctx *c = calloc(1, sizeof *c);
	if (!c || !(c->base_logits = malloc((size_t)(m->test.n * m->nout) * sizeof(float)))) {
		free(c);
		return ql_error_set(err, "out of memory");
	}
	c->m = m;
	ql_model_forward(m, NULL, &m->test, NULL, c->base_logits);
	*out = c;
	return 0;
}

void ql_eval_ctx_free(ql_eval_ctx *c)
{
	if (!c)
		return;
	free(c->base_logits);
	free(c);
}

bool ql_eval_keep_match(const char *patterns, const char *name)
{
	if (!patterns)
		return false;
	const char *p = patterns;
	while (*p) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		char pat[256];
		if (len > 0 && len < sizeof pat) {
			memcpy(pat, p, len);
			pat[len] = '\0';
			if (fnmatch(pat, name, 0) == 0)
				return true;
		}
		p += len;
		if (*p == ',')
			p++;
	}
	return false;
}

void ql_eval_result_free(ql_eval_result *r)
{
	free(r->quant_logits);
	free(r->rows);
	r->quant_logits = NULL;
	r->rows = NULL;
	for (int k = 0; k < QL_MODEL_MAX_MATS; k++) {
		free(r->deq[k]);
		r->deq[k] = NULL;
	}
}

/* Quantizes matrix k (or keeps it) into deq[k]; fills r->mats[k]. */
static int quantize_mat(const ql_model_mat *mat, const ql_scheme *s, const ql_eval_opts *o,
			ql_eval_mat *em, float **deq, ql_error *err)
{
	snprintf(em->name, sizeof em->name, "%s", mat->name);
	em->rows = mat->rows;
	em->cols = mat->cols;
	int64_t shape[2] = { mat->rows, mat->cols }, n = mat->rows * mat->cols;
	ql_error qe = { "" };
	if (ql_eval_keep_match(o->keep, mat->name)) {
		em->kept = true;
		snprintf(em->why, sizeof em->why, "matches --keep");
	} else if (!ql_scheme_validate(s, shape, 2, &qe)) {
		ql_qopts qo = { .dequant = true, .threads = o->threads };
		ql_qresult q;
		if (ql_quantize(mat->w, shape, 2, s, &qo, &q, &qe) == 0) {
			*deq = q.dequant;
			q.dequant = NULL;
			em->bits_per_weight = q.bits_per_weight;
			em->bytes = q.bytes;
			em->metrics = q.metrics;
			ql_qresult_free(&q);
			return 0;
		}
	}
	if (!em->kept) {
		em->kept = true;
		snprintf(em->why, sizeof em->why, "%.159s", qe.msg);
	}
	*deq = malloc((size_t)n * sizeof(float));
	if (!*deq)
		return ql_error_set(err, "out of memory");
	memcpy(*deq, mat->w, (size_t)n * sizeof(float));
	em->bits_per_weight = 32;
	em->bytes = (uint64_t)n * 4;
	ql_metrics_compute(mat->w, *deq, (size_t)n, &em->metrics);
	return 0;
}

int ql_eval_run(const ql_eval_ctx *c, const ql_scheme *s, const ql_eval_opts *o,
		ql_eval_result *r, ql_error *err)
{
	const ql_model *m = c->m;
	ql_eval_opts defaults = { 0 };
	if (!o)
		o = &defaults;
	memset(r, 0, sizeof *r);
	r->scheme = *s;
	r->act = o->act;
	r->nmats = m->nmats;
	float *deq[QL_MODEL_MAX_MATS] = { 0 };
	float *logits = NULL;
	ql_div_row *rows = NULL;
	ql_div_acc acc;
	ql_div_init(&acc, true);
	int rc = -1;
	for (int k = 0; k < m->nmats; k++) {
		if (quantize_mat(&m->mats[k], s, o, &r->mats[k], &deq[k], err))
			goto done;
		r->weights += m->mats[k].rows * m->mats[k].cols;
		r->bytes += r->mats[k].bytes;
	}
	r->bits_per_weight = r->weights ? (double)r->bytes * 8.0 / (double)r->weights : 0;
	ql_act_opts act = { .mode = o->act, .scales = r->act_scales };
	if (o->act == QL_ACTQ_INT8_STATIC &&
	    ql_model_calibrate(m, (const float *const *)deq, s->calib, s->percentile, r->act_scales,
			       err))
		goto done;
	int64_t n = m->test.n, V = m->nout;
	logits = malloc((size_t)(n * V) * sizeof *logits);
	rows = malloc((size_t)n * sizeof *rows);
	if (!logits || !rows) {
		ql_error_set(err, "out of memory");
		goto done;
	}
	ql_model_forward_range(m, (const float *const *)deq, &m->test, 0, n, &act, o->threads,
			       logits);
	for (int64_t i = 0; i < n; i++) {
		ql_div_row_compute(c->base_logits + i * V, logits + i * V, V, m->test.y[i], &rows[i]);
		if (ql_div_add(&acc, &rows[i], m->test.y[i], err))
			goto done;
	}
	if (ql_div_finish(&acc, &r->stats, err))
		goto done;
	if (o->keep_logits) {
		r->quant_logits = logits;
		r->rows = rows;
		logits = NULL;
		rows = NULL;
		for (int k = 0; k < m->nmats; k++) {
			r->deq[k] = deq[k];
			deq[k] = NULL;
		}
	}
	rc = 0;
done:
	ql_div_free(&acc);
	for (int k = 0; k < m->nmats; k++)
		free(deq[k]);
	free(logits);
	free(rows);
	return rc;
}
