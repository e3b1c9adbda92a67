/* nn.c — the forward pass of a model (model.h): linear layers, ReLU/tanh,
 * an embedding lookup for character models, int8 activation quantization,
 * calibration of static activation scales, greedy sampling.
 *
 * One example at a time through every layer, in float32. A dot product is
 * summed in eight lanes (lane j takes the elements j, j+8, ...) and the lanes
 * are added in a fixed tree, so the compiler may vectorise it and the sum is
 * the same on every run and for every thread count. Threads split the
 * examples, never a dot product.
 */
#include "qlens/model.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_WIDTH QL_MODEL_MAX_WIDTH
#define MAX_THREADS 8

static float dot(const float *a, const float *b, int64_t n)
{
	float s[8] = { 0 };
	int64_t i = 0;
	for (; i + 8 <= n; i += 8)
		for (int j = 0; j < 8; j++)
			s[j] += a[i + j] * b[i + j];
	for (int j = 0; i < n; i++, j++)
		s[j] += a[i] * b[i];
	return ((s[0] + s[4]) + (s[1] + s[5])) + ((s[2] + s[6]) + (s[3] + s[7]));
}

/* Quantizes x[n] to int8 and back in place: symmetric, codes [-127, 127],
 * PyTorch's kernel; scale from the row's absmax when scale <= 0. */
static void act_qdq(float *x, int64_t n, float scale)
{
	if (scale <= 0) {
		float lo = 0, hi = 0;
		for (int64_t i = 0; i < n; i++) {
			lo = x[i] < lo ? x[i] : lo;
			hi = x[i] > hi ? x[i] : hi;
		}
		int32_t zp;
		ql_qparams_from_range(lo, hi, -127, 127, true, &scale, &zp);
	}
	int8_t q[MAX_WIDTH];
	ql_affine_qdq_s8(x, (size_t)n, scale, 0, -127, 127, q, x, NULL);
}

/* The model's input for example i of d into x[m->in_dim]. */
static void load_input(const ql_model *m, const float *const *W, const ql_model_data *d, int64_t i,
		       float *x)
{
	if (m->kind == QL_MODEL_CLASSIFIER) {
		memcpy(x, d->x + i * m->in_dim, (size_t)m->in_dim * sizeof *x);
		return;
	}
	const ql_model_mat *e = &m->mats[m->embed];
	const float *ew = W[m->embed];
	for (int c = 0; c < m->context; c++) {
		int64_t p = i - m->context + c;
		int32_t tok = p >= 0 ? d->tokens[p] : 0;
		memcpy(x + c * e->cols, ew + (int64_t)tok * e->cols, (size_t)e->cols * sizeof *x);
	}
}

/* From the input in x through every layer; logits to out[m->nout]. If keep
 * is set, layer l's input (after activation quantization) goes to keep[l]. */
static void run_layers(const ql_model *m, const float *const *W, const ql_act_opts *act, float *x,
		       float *y, float *out, float *const *keep)
{
	for (int l = 0; l < m->nlayers; l++) {
		int64_t in = m->in[l], no = m->out[l];
		if (act && act->mode == QL_ACTQ_INT8_DYNAMIC)
			act_qdq(x, in, 0);
		else if (act && act->mode == QL_ACTQ_INT8_STATIC)
			act_qdq(x, in, act->scales[l]);
		if (keep)
			memcpy(keep[l], x, (size_t)in * sizeof *x);
		const float *w = W[m->wmat[l]], *b = m->bias[l];
		bool last = l == m->nlayers - 1;
		float *dst = last ? out : y;
		for (int64_t o = 0; o < no; o++) {
			float v = b[o] + dot(w + o * in, x, in);
			if (!last)
				v = m->act == QL_ACT_RELU ? (v > 0 ? v : 0) : tanhf(v);
			dst[o] = v;
		}
		if (!last) {
			float *t = x;
			x = y;
			y = t;
		}
	}
}

typedef struct job {
	const ql_model *m;
	const float *const *W;
	const ql_model_data *d;
	const ql_act_opts *act;
	int64_t first, count;
	float *logits;
} job;

static void *run_job(void *arg)
{
	job *j = arg;
	float x[MAX_WIDTH], y[MAX_WIDTH];
	for (int64_t i = 0; i < j->count; i++) {
		load_input(j->m, j->W, j->d, j->first + i, x);
		run_layers(j->m, j->W, j->act, x, y, j->logits + i * j->m->nout, NULL);
	}
	return NULL;
}

static void own_weights(const ql_model *m, const float **W)
{
	for (int k = 0; k < m->nmats; k++)
		W[k] = m->mats[k].w;
}

void ql_model_forward_range(const ql_model *m, const float *const *mats, const ql_model_data *d,
			    int64_t first, int64_t count, const ql_act_opts *act, int threads,
			    float *logits)
{
	const float *own[QL_MODEL_MAX_MATS];
	if (!mats) {
		own_weights(m, own);
		mats = own;
	}
	if (threads <= 0) {
		long c = sysconf(_SC_NPROCESSORS_ONLN);
		threads = c < 1 ? 1 : (int)(c > MAX_THREADS ? MAX_THREADS : c);
	}
	if (threads > MAX_THREADS)
		threads = MAX_THREADS;
	/* Threads only pay off beyond a few hundred thousand multiply-adds. */
	int64_t work = 0;
	for (int l = 0; l < m->nlayers; l++)
		work += m->in[l] * m->out[l];
	if (count * work < (1 << 20))
		threads = 1;
	if (threads > count)
		threads = count > 0 ? (int)count : 1;
	job jobs[MAX_THREADS];
	pthread_t tid[MAX_THREADS];
	bool started[MAX_THREADS] = { false };
	int64_t per = count / threads, extra = count % threads, at = first;
	for (int t = 0; t < threads; t++) {
		int64_t c = per + (t < extra);
		jobs[t] = (job){ m, mats, d, act, at, c, logits + (at - first) * m->nout };
		at += c;
		if (t > 0)
			started[t] = pthread_create(&tid[t], NULL, run_job, &jobs[t]) == 0;
	}
	run_job(&jobs[0]);
	for (int t = 1; t < threads; t++) {
		if (started[t])
			pthread_join(tid[t], NULL);
		else
			run_job(&jobs[t]);
	}
}

void ql_model_forward(const ql_model *m, const float *const *mats, const ql_model_data *d,
		      const ql_act_opts *act, float *logits)
{
	ql_model_forward_range(m, mats, d, 0, d->n, act, 0, logits);
}

int ql_model_calibrate(const ql_model *m, const float *const *mats, ql_calib method, double pct,
		       float *scales, ql_error *err)
{
	const float *own[QL_MODEL_MAX_MATS];
	if (!mats) {
		own_weights(m, own);
		mats = own;
	}
	const ql_model_data *d = &m->calib;
	if (d->n < 1)
		return ql_error_set(err, "%s: no calibration data for static activation scales",
				    m->name);
	float *keep_all[QL_MODEL_MAX_LAYERS] = { 0 };
	float *out = malloc((size_t)m->nout * sizeof *out);
	int rc = -1;
	for (int l = 0; l < m->nlayers; l++)
		if (!(keep_all[l] = malloc((size_t)(d->n * m->in[l]) * sizeof(float))))
			goto done;
	if (!out)
		goto done;
	float x[MAX_WIDTH], y[MAX_WIDTH];
	for (int64_t i = 0; i < d->n; i++) {
		float *keep[QL_MODEL_MAX_LAYERS];
		for (int l = 0; l < m->nlayers; l++)
			keep[l] = keep_all[l] + i * m->in[l];
		load_input(m, mats, d, i, x);
		run_layers(m, mats, NULL, x, y, out, keep);
	}
	for (int l = 0; l < m->nlayers; l++) {
		float lo, hi;
		int32_t zp;
		if (ql_calibrate(keep_all[l], (size_t)(d->n * m->in[l]), method, pct, true, -127, 127,
				 &lo, &hi, err))
			goto done;
		ql_qparams_from_range(lo, hi, -127, 127, true, &scales[l], &zp);
	}
	rc = 0;
done:
	if (rc && !err->msg[0])
		ql_error_set(err, "out of memory");
	for (int l = 0; l < m->nlayers; l++)
		free(keep_all[l]);
	free(out);
	return rc;
}

void ql_model_greedy(const ql_model *m, const float *const *mats, const ql_act_opts *act,
		     const int32_t *prompt, int plen, int n, int32_t *out)
{
	const float *own[QL_MODEL_MAX_MATS];
	if (!mats) {
		own_weights(m, own);
		mats = own;
	}
	int32_t ctx[64] = { 0 };
	for (int c = 0; c < m->context; c++) {
		int p = plen - m->context + c;
		ctx[c] = p >= 0 ? prompt[p] : 0;
	}
	float x[MAX_WIDTH], y[MAX_WIDTH], logits[QL_MODEL_MAX_VOCAB];
	const ql_model_mat *e = &m->mats[m->embed];
	for (int k = 0; k < n; k++) {
		for (int c = 0; c < m->context; c++)
			memcpy(x + c * e->cols, mats[m->embed] + (int64_t)ctx[c] * e->cols,
			       (size_t)e->cols * sizeof *x);
		run_layers(m, mats, act, x, y, logits, NULL);
		int32_t best = 0;
		for (int64_t v = 1; v < m->vocab; v++)
			if (logits[v] > logits[best])
				best = (int32_t)v;
		out[k] = best;
		memmove(ctx, ctx + 1, (size_t)(m->context - 1) * sizeof *ctx);
		ctx[m->context - 1] = best;
	}
}
