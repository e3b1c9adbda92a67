/* qx_worker.c — the quantization explorer's background computation (qx.h).
 *
 * One thread per explorer. The UI submits jobs; the thread takes the newest,
 * runs it step by step (the outlier, ql_quantize, the shown unit's values,
 * their histogram and grid, the error histograms), and publishes the result
 * under the mutex unless a newer job arrived meanwhile. Then it computes the
 * calibration marks, reusing the last ones when their inputs are the same.
 */
#include "qx.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct qx_worker {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool quit, pending;
	qx_job job;            /* the newest submitted */
	unsigned next_gen;
	volatile int cancel;   /* set when a newer job comes */
	const char *stage;
	unsigned stage_gen;
	qx_result *ready;      /* the newest finished result, not yet taken */
	unsigned marks_gen;
	float mark_lo[QL_CALIB_COUNT], mark_hi[QL_CALIB_COUNT];
	/* the worker thread's own */
	float *x;
	int64_t shape[QL_MAX_DIMS];
	int ndim;
	int64_t n;
	int64_t outlier_at;
	float outlier_value, outlier_saved;
	bool outlier_on;
	float *gather;         /* room for one unit's values */
	/* the marks' inputs, to reuse them */
	bool key_valid;
	ql_scheme key_scheme;
	int64_t key_unit;
	bool key_outlier;
};

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

void qx_result_free(qx_result *r)
{
	if (!r)
		return;
	if (!r->failed) {
		ql_qresult_free(&r->r);
		ql_hist_free(&r->values);
		ql_hist_free(&r->err_round);
		ql_hist_free(&r->err_clip);
	}
	free(r);
}

static void set_stage(qx_worker *w, const char *s, unsigned gen)
{
	pthread_mutex_lock(&w->mu);
	w->stage = s;
	w->stage_gen = gen;
	pthread_mutex_unlock(&w->mu);
}

/* The values of the shown unit: the whole tensor per tensor, else a copy. */
static const float *unit_values(qx_worker *w, qx_result *res)
{
	if (res->r.nscales <= 1) {
		res->unit_n = w->n;
		return w->x;
	}
	res->unit_n = ql_qview_gather(&res->r, w->x, res->unit, w->gather);
	return w->gather;
}

/* Steps 1-5; returns NULL when cancelled. */
static qx_result *compute(qx_worker *w, const qx_job *job)
{
	double t0 = now_ms();
	qx_result *res = calloc(1, sizeof *res);
	if (!res)
		return NULL;
	res->gen = job->gen;
	res->job = *job;
	if (job->outlier != w->outlier_on && w->n > 0) {
		if (job->outlier) {
			w->outlier_saved = w->x[w->outlier_at];
			w->x[w->outlier_at] = w->outlier_value;
		} else {
			w->x[w->outlier_at] = w->outlier_saved;
		}
		w->outlier_on = job->outlier;
	}
	set_stage(w, "quantizing", job->gen);
	ql_qopts qo = {.dequant = true, .threads = job->threads};
	if (ql_scheme_validate(&job->scheme, w->shape, w->ndim, &res->err) ||
	    ql_quantize(w->x, w->shape, w->ndim, &job->scheme, &qo, &res->r, &res->err)) {
		res->failed = true;
		return res;
	}
	if (w->cancel)
		goto cancelled;
	set_stage(w, "histograms", job->gen);
	res->unit = job->unit < 0 ? 0 : job->unit >= res->r.nscales ? res->r.nscales - 1 : job->unit;
	if (res->unit < 0)
		res->unit = 0;
	const float *v = unit_values(w, res);
	if (!ql_range(v, (size_t)res->unit_n, &res->view_min, &res->view_max))
		res->view_min = res->view_max = 0;
	res->nlevels = ql_qview_levels(&res->r, res->unit, res->levels, res->codes, QL_QVIEW_MAX_LEVELS);
	double lo = fmin(0.0, res->view_min), hi = fmax(0.0, res->view_max);
	if (res->r.nscales > 0) {
		lo = fmin(lo, res->r.clip_lo[res->unit]);
		hi = fmax(hi, res->r.clip_hi[res->unit]);
	}
	if (!(hi > lo)) {
		lo -= 0.5;
		hi += 0.5;
	}
	res->lo = lo;
	res->hi = hi;
	if (ql_hist_init(&res->values, QX_VALUE_BINS, lo, hi, &res->err)) {
		ql_qresult_free(&res->r);
		res->failed = true;
		return res;
	}
	ql_hist_add(&res->values, v, (size_t)res->unit_n);
	int rc = ql_qview_error_hists(w->x, &res->r, QX_ERROR_BINS, &res->err_round, &res->err_clip,
				      &w->cancel, &res->err);
	if (rc) {
		ql_hist_free(&res->values);
		ql_qresult_free(&res->r);
		if (rc > 0) {
			free(res);
			return NULL;
		}
		res->failed = true;
		return res;
	}
	res->ms = now_ms() - t0;
	return res;
cancelled:
	ql_qresult_free(&res->r);
	free(res);
	return NULL;
}

/* Step 6: the marks, for integer targets (the calibration methods choose a
 * clip for those only). */
static void marks(qx_worker *w, const qx_result *res)
{
	const ql_scheme *s = &res->r.scheme;
	if (ql_qdtypes[s->dtype].kind != QL_QK_INT || s->has_scale)
		return;
	bool same = w->key_valid && w->key_unit == res->unit && w->key_outlier == res->job.outlier &&
		    w->key_scheme.dtype == s->dtype && w->key_scheme.gran == s->gran &&
		    w->key_scheme.axis == s->axis && w->key_scheme.group == s->group &&
		    ql_scheme_symmetry(&w->key_scheme) == ql_scheme_symmetry(s) &&
		    w->key_scheme.percentile == s->percentile;
	float lo[QL_CALIB_COUNT], hi[QL_CALIB_COUNT];
	if (same) {
		memcpy(lo, w->mark_lo, sizeof lo);
		memcpy(hi, w->mark_hi, sizeof hi);
	} else {
		set_stage(w, "calibration marks", res->gen);
		qx_result tmp = *res;
		const float *v = unit_values(w, &tmp);
		ql_error err;
		if (ql_qview_calib_marks(v, (size_t)tmp.unit_n, s, res->r.qmin, res->r.qmax, lo, hi, &err))
			return;
	}
	pthread_mutex_lock(&w->mu);
	if (!w->pending) {
		memcpy(w->mark_lo, lo, sizeof lo);
		memcpy(w->mark_hi, hi, sizeof hi);
		w->marks_gen = res->gen;
		w->key_valid = true;
		w->key_scheme = *s;
		w->key_unit = res->unit;
		w->key_outlier = res->job.outlier;
	}
	pthread_mutex_unlock(&w->mu);
}

static void *run(void *arg)
{
	qx_worker *w = arg;
	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (!w->quit && !w->pending)
			pthread_cond_wait(&w->cv, &w->mu);
		if (w->quit)
			break;
		qx_job job = w->job;
		w->pending = false;
		w->cancel = 0;
		pthread_mutex_unlock(&w->mu);

		qx_result *res = compute(w, &job);
		/* marks() reads only plain fields of the result (the scheme, the
		 * code range, the shape, the unit), so a copy made now stays good
		 * after the UI takes the result and frees its arrays */
		bool go_on = res && !res->failed;
		qx_result copy;
		if (go_on)
			copy = *res;

		pthread_mutex_lock(&w->mu);
		if (res && !w->pending) {
			qx_result_free(w->ready);
			w->ready = res;
			res = NULL;
		}
		w->stage = "";
		go_on = go_on && !w->pending;
		pthread_cond_broadcast(&w->cv);
		pthread_mutex_unlock(&w->mu);
		qx_result_free(res);
		if (go_on)
			marks(w, &copy);
		pthread_mutex_lock(&w->mu);
		w->stage = "";
		pthread_cond_broadcast(&w->cv);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

qx_worker *qx_worker_new(float *x, const int64_t *shape, int ndim, int64_t outlier_at,
			 float outlier_value, ql_error *err)
{
	qx_worker *w = calloc(1, sizeof *w);
	if (!w) {
		free(x);
		ql_error_set(err, "out of memory");
		return NULL;
	}
	w->x = x;
	w->ndim = ndim;
	w->n = 1;
	for (int d = 0; d < ndim; d++) {
		w->shape[d] = shape[d];
		w->n *= shape[d];
	}
	w->outlier_at = outlier_at;
	w->outlier_value = outlier_value;
	w->stage = "";
	w->gather = malloc((size_t)(w->n > 0 ? w->n : 1) * sizeof *w->gather);
	if (!w->gather) {
		free(x);
		free(w);
		ql_error_set(err, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	if (pthread_create(&w->thread, NULL, run, w)) {
		pthread_mutex_destroy(&w->mu);
		pthread_cond_destroy(&w->cv);
		free(w->gather);
		free(x);
		free(w);
		ql_error_set(err, "cannot start the computing thread");
		return NULL;
	}
	return w;
}

void qx_worker_free(qx_worker *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->mu);
	w->quit = true;
	w->cancel = 1;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	qx_result_free(w->ready);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
	free(w->gather);
	free(w->x);
	free(w);
}

unsigned qx_submit(qx_worker *w, qx_job *job)
{
	pthread_mutex_lock(&w->mu);
	job->gen = ++w->next_gen;
	w->job = *job;
	w->pending = true;
	w->cancel = 1;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	return job->gen;
}

bool qx_wait(qx_worker *w, unsigned gen, int ms)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&w->mu);
	bool done;
	while (!(done = (w->ready && w->ready->gen >= gen)) && ms > 0)
		if (pthread_cond_timedwait(&w->cv, &w->mu, &until))
			break;
	done = w->ready && w->ready->gen >= gen;
	pthread_mutex_unlock(&w->mu);
	return done;
}

qx_result *qx_take(qx_worker *w, unsigned after_gen)
{
	qx_result *r = NULL;
	pthread_mutex_lock(&w->mu);
	if (w->ready && w->ready->gen > after_gen) {
		r = w->ready;
		w->ready = NULL;
	}
	pthread_mutex_unlock(&w->mu);
	return r;
}

bool qx_take_marks(qx_worker *w, qx_result *res)
{
	bool got = false;
	pthread_mutex_lock(&w->mu);
	if (!res->have_marks && w->marks_gen == res->gen) {
		memcpy(res->mark_lo, w->mark_lo, sizeof res->mark_lo);
		memcpy(res->mark_hi, w->mark_hi, sizeof res->mark_hi);
		res->have_marks = got = true;
	}
	pthread_mutex_unlock(&w->mu);
	return got;
}

const char *qx_stage(qx_worker *w, unsigned *gen)
{
	pthread_mutex_lock(&w->mu);
	const char *s = w->stage;
	if (gen)
		*gen = w->stage_gen;
	pthread_mutex_unlock(&w->mu);
	return s;
}

int64_t qx_nelem(const qx_worker *w)
{
	return w->n;
}
