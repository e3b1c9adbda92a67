/* qjob.c — one tensor quantized in the background, for the cells, blocks
 * and comparison views (see inspect.h). The work is ql_quantize itself, the
 * function `qlens quantize` runs, with the dequantized tensor kept: a view
 * shows what the command computes, not a copy of its logic. A tensor with
 * NaN or inf fails with ql_quantize's own message (the count and the first
 * index), as the command does.
 */
#include "inspect.h"

#include <stdlib.h>
#include <string.h>

#include "qlens/checked.h"

static void qjob_free(void *p)
{
	ql_qjob *q = p;
	if (!q)
		return;
	free(q->x);
	ql_qresult_free(&q->r);
	free(q);
}

static int qjob_run(ql_job *j, ql_doc *doc, size_t index, void *payload, ql_error *err)
{
	ql_qjob *q = payload;
	const ql_tensor *t = ql_source_tensor(doc->src, index);
	if (ql_doc_read_f32(doc, index, &q->x, j, 0.2, err))
		return -1;
	if (!ql_job_progress(j, 0.2))
		return ql_error_set(err, "cancelled");
	ql_qopts o = {.dequant = true, .threads = 0, .no_metrics = false};
	if (ql_scheme_validate(&q->scheme, t->shape, t->ndim, err) ||
	    ql_quantize(q->x, t->shape, t->ndim, &q->scheme, &o, &q->r, err)) {
		memset(&q->r, 0, sizeof q->r);
		return -1;
	}
	if (ql_qresult_check(&q->r, err)) { /* never shown or exported as an answer */
		ql_qresult_free(&q->r);
		memset(&q->r, 0, sizeof q->r);
		return -1;
	}
	q->worst = ql_worst_error_index(q->x, q->r.dequant, (size_t)q->r.nelem);
	ql_job_progress(j, 1.0);
	return 0;
}

ql_job *ql_qjob_start(ql_doc *doc, size_t index, const ql_scheme *s, ql_error *err)
{
	ql_qjob *q = calloc(1, sizeof *q);
	if (!q) {
		ql_error_set(err, "out of memory");
		return NULL;
	}
	q->scheme = *s;
	ql_scheme_word(s, q->word, sizeof q->word);
	return ql_job_start(doc, index, qjob_run, q, qjob_free, err);
}

int64_t ql_qjob_scale_index(const ql_qresult *r, int64_t i)
{
	const ql_qdtype_info *qi = ql_qdtype_of(r->scheme.dtype);
	int64_t last = r->ndim > 0 ? r->shape[r->ndim - 1] : 1;
	int64_t group = 0;
	switch (r->scheme.gran) {
	case QL_GRAN_TENSOR:
		return 0;
	case QL_GRAN_CHANNEL: {
		int64_t stride = 1;
		for (int d = r->ndim - 1; d > r->scheme.axis; d--)
			stride *= r->shape[d];
		return (i / stride) % r->shape[r->scheme.axis];
	}
	case QL_GRAN_GROUP:
		group = r->scheme.group;
		break;
	case QL_GRAN_BLOCK:
		if (qi && qi->flat_blocks)
			return i / qi->block;
		group = qi ? qi->block : 32;
		break;
	}
	if (group <= 0 || last <= 0)
		return 0;
	int64_t per_row = ql_ceil_div_i64(last, group);
	return (i / last) * per_row + (i % last) / group;
}
