/* qx_worker.c — the quantization explorer's background computation (qx.h).
 *
 * One thread per explorer. The UI submits jobs; the thread takes the newest,
 * runs it step by step (the outlier, ql_quantize, the shown unit's values,
 * their histogram and grid, the error histograms), and publishes the result
 * under the mutex unless a newer job arrived meanwhile. A second thread
 * computes the calibration marks from a copy of the shown values, only when
 * their inputs change (a new calibration method or clip needs none), and
 * drops a request as soon as a newer one comes.
 */
#include "qx.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* What the marks depend on: the values (tensor, outlier, unit and how units
 * are cut) and the calibration's inputs (symmetry, code range, P). */
typedef struct mkey {
	int64_t unit;
	bool outlier;
	ql_granularity gran;
	int axis;
	int64_t group;
	bool sym;
	int32_t qmin, qmax;
	double percentile;
} mkey;

static mkey key_of(const qx_result *res)
{
	const ql_scheme *s = &res->r.scheme;
	mkey k;
	memset(&k, 0, sizeof k);
	k.unit = res->unit;
	k.outlier = res->job.outlier;
	k.gran = s->gran;
	k.axis = s->gran == QL_GRAN_CHANNEL ? s->axis : 0;
	k.group = s->gran == QL_GRAN_GROUP ? s->group : 0;
	k.sym = ql_scheme_symmetry(s) == QL_SYM;
	k.qmin = res->r.qmin;
	k.qmax = res->r.qmax;
	k.percentile = s->percentile;
	return k;
}

static bool same_key(const mkey *a, const mkey *b)
{
	return a->unit == b->unit && a->outlier == b->outlier && a->gran == b->gran &&
	       a->axis == b->axis && a->group == b->group && a->sym == b->sym && a->qmin == b->qmin &&
	       a->qmax == b->qmax && a->percentile == b->percentile;
}

/* What the shown unit's values depend on, known before quantizing: the
 * tensor (and its outlier) and how it is cut into units (a block format's
 * own blocks: its dtype). */
typedef struct vkey {
	bool outlier;
	int64_t unit;
	ql_granularity gran;
	int axis;
	int64_t group;
	ql_qdtype block_dtype;
} vkey;

static vkey vkey_of(const qx_job *job, int ndim)
{
	const ql_scheme *s = &job->scheme;
	vkey k;
	memset(&k, 0, sizeof k);
	k.outlier = job->outlier;
	k.gran = ql_qdtype_of(s->dtype)->quantize_block ? QL_GRAN_BLOCK : s->gran;
	k.unit = k.gran == QL_GRAN_TENSOR ? 0 : job->unit < 0 ? 0 : job->unit;
	k.axis = k.gran == QL_GRAN_CHANNEL ? (s->axis < 0 ? s->axis + ndim : s->axis) : 0;
	k.group = k.gran == QL_GRAN_GROUP ? s->group : 0;
	k.block_dtype = k.gran == QL_GRAN_BLOCK ? s->dtype : 0;
	return k;
}

static bool same_vkey(const vkey *a, const vkey *b)
{
	return a->outlier == b->outlier && a->unit == b->unit && a->gran == b->gran &&
	       a->axis == b->axis && a->group == b->group && a->block_dtype == b->block_dtype;
}

/* Integer targets only: the calibration methods choose a clip for those.
 * A manual clip (a user scale) keeps them, to compare it with. */
static bool wants_marks(const qx_result *res)
{
	return ql_qdtype_of(res->r.scheme.dtype)->kind == QL_QK_INT && res->unit_n <= QX_MARKS_MAX;
}

struct qx_worker {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool quit, pending;
	qx_job job;            /* the newest submitted */
	unsigned next_gen;
	volatile int cancel;   /* set when a newer job comes */
	ql_qprogress progress; /* the running ql_quantize's jobs (qx_progress) */
	const char *stage;
	unsigned stage_gen;
	qx_result *ready;      /* the newest finished result, not yet taken */
	/* the marks: computed by their own thread, so that the slow methods
	 * (mse, entropy, percentile's sort) never hold up a result */
	pthread_t marks_thread;
	pthread_cond_t marks_cv;
	mkey want_key;         /* the newest request ... */
	float *want_x;         /* ... its values (owned) */
	int64_t want_n;
	bool marks_pending;
	bool have_marks;       /* the last finished marks, for done_key */
	mkey done_key;
	float mark_lo[QL_CALIB_COUNT], mark_hi[QL_CALIB_COUNT];
	mkey sent_key;         /* the last key requested (worker thread only) */
	bool sent;
	int refs;              /* the owner and the threads running (see release) */
	unsigned published, dropped; /* results shown / jobs cancelled or skipped */
	/* the worker thread's own */
	float *x;
	int64_t shape[QL_MAX_DIMS];
	int ndim;
	int64_t n;
	int64_t outlier_at;
	float outlier_value, outlier_saved;
	bool outlier_on;
	float *gather;         /* room for one unit's values */
	/* the fine histograms ql_quantize fills (made once, cleared per job):
	 * the errors, the clipped ones' and the shown unit's values */
	ql_ehist eh_all, eh_clip, vh;
	bool eh_made;
	/* the last value histogram, kept while its values stay the same */
	ql_vbins vcache;
	vkey vkey;
	float vmin, vmax;
	int64_t vn;
	bool vcached;
};

static void release(qx_worker *w);

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
		ql_vbins_free(&r->values);
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
	atomic_store(&w->progress.done, 0);
	atomic_store(&w->progress.total, 0);
	set_stage(w, "quantizing", job->gen);
	if (!w->eh_made) {
		if (ql_ehist_init(&w->eh_all, &res->err) || ql_ehist_init(&w->eh_clip, &res->err) ||
		    ql_ehist_init(&w->vh, &res->err)) {
			ql_ehist_free(&w->eh_all);
			ql_ehist_free(&w->eh_clip);
			res->failed = true;
			return res;
		}
		w->eh_made = true;
	}
	/* Everything shown comes from the quantize run itself: the shown
	 * unit's values counted in its scan (unless the same values were
	 * counted last time), the errors and the clipped ones in its quantize
	 * pass (block formats: each job finds its clipped elements in the
	 * blocks it just made). */
	vkey vk = vkey_of(job, w->ndim);
	const bool vhit = w->vcached && same_vkey(&vk, &w->vkey);
	ql_ehist_clear(&w->eh_all);
	ql_ehist_clear(&w->eh_clip);
	ql_ehist_clear(&w->vh);
	ql_qopts qo = {.dequant = true, .threads = job->threads, .progress = &w->progress,
		       .cancel = &w->cancel,
		       .ehist = &w->eh_all, .ehist_clip = &w->eh_clip,
		       .vhist = vhit ? NULL : &w->vh, .vhist_one_unit = true, .vhist_unit = vk.unit};
	if (ql_scheme_validate(&job->scheme, w->shape, w->ndim, &res->err) ||
	    ql_quantize(w->x, w->shape, w->ndim, &job->scheme, &qo, &res->r, &res->err)) {
		if (w->cancel) { /* stopped mid-run for a newer job: nothing to show */
			free(res);
			return NULL;
		}
		res->failed = true;
		return res;
	}
	if (ql_qresult_check(&res->r, &res->err)) { /* never shown as an answer */
		ql_qresult_free(&res->r);
		res->failed = true;
		return res;
	}
	if (w->cancel)
		goto cancelled;
	set_stage(w, "histograms", job->gen);
	res->unit = job->unit < 0 ? 0 : job->unit >= res->r.nscales ? res->r.nscales - 1 : job->unit;
	if (res->unit < 0)
		res->unit = 0;
	if (!vhit && res->unit != vk.unit) {
		/* the unit asked for is beyond this scheme's: the last one's
		 * values, counted here */
		vk.unit = res->unit;
		const float *v = unit_values(w, res);
		ql_ehist_add_values(&w->vh, v, (size_t)res->unit_n);
	}
	if (!vhit) { /* the new values' histogram: the fine bins themselves */
		if (w->vcached)
			ql_vbins_free(&w->vcache);
		w->vcached = false;
		if (ql_qview_fine_bins(&w->vh, &w->vcache, &res->err)) {
			ql_qresult_free(&res->r);
			res->failed = true;
			return res;
		}
		w->vcached = true;
		w->vkey = vk;
		w->vn = w->vh.n;
		bool finite = w->vh.min <= w->vh.max; /* some value is finite */
		w->vmin = finite ? (float)w->vh.min : 0.0f;
		w->vmax = finite ? (float)w->vh.max : 0.0f;
	}
	res->unit_n = w->vn;
	res->view_min = w->vmin;
	res->view_max = w->vmax;
	if (ql_vbins_copy(&w->vcache, &res->values, &res->err)) {
		ql_qresult_free(&res->r);
		res->failed = true;
		return res;
	}

	res->nlevels = ql_qview_levels(&res->r, res->unit, res->levels, res->codes, QL_QVIEW_MAX_LEVELS);
	double lo = fmin(0.0, res->view_min), hi = fmax(0.0, res->view_max);
	if (res->r.nscales > 0) {
		lo = fmin(lo, res->r.clip_lo[res->unit]);
		hi = fmax(hi, res->r.clip_hi[res->unit]);
	}
	if (res->nlevels > 0) { /* k * scale may round just past the clip */
		lo = fmin(lo, res->levels[0]);
		hi = fmax(hi, res->levels[res->nlevels - 1]);
	}
	if (!(hi > lo)) {
		lo -= 0.5;
		hi += 0.5;
	}
	res->lo = lo;
	res->hi = hi;
	/* the errors, all and clipped, from the quantize pass */
	int rc = ql_qview_split_hists(&w->eh_all, &w->eh_clip, QX_ERROR_BINS, &res->err_round,
				      &res->err_clip, &res->err);
	if (rc) {
		ql_vbins_free(&res->values);
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

/* Step 6: asks the marks thread for the marks of res, with a copy of the
 * values, unless they are the ones asked for last. */
static void request_marks(qx_worker *w, const qx_result *res)
{
	if (!wants_marks(res))
		return;
	mkey k = key_of(res);
	if (w->sent && same_key(&k, &w->sent_key))
		return;
	qx_result tmp = *res;
	const float *v = unit_values(w, &tmp);
	float *copy = malloc((size_t)(tmp.unit_n > 0 ? tmp.unit_n : 1) * sizeof *copy);
	if (!copy)
		return;
	memcpy(copy, v, (size_t)tmp.unit_n * sizeof *copy);
	pthread_mutex_lock(&w->mu);
	free(w->want_x);
	w->want_x = copy;
	w->want_n = tmp.unit_n;
	w->want_key = k;
	w->marks_pending = true;
	pthread_cond_broadcast(&w->marks_cv);
	pthread_mutex_unlock(&w->mu);
	w->sent_key = k;
	w->sent = true;
}

static void *run_marks(void *arg)
{
	qx_worker *w = arg;
	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (!w->quit && !w->marks_pending)
			pthread_cond_wait(&w->marks_cv, &w->mu);
		if (w->quit)
			break;
		mkey k = w->want_key;
		float *x = w->want_x;
		int64_t n = w->want_n;
		w->want_x = NULL;
		w->marks_pending = false;
		pthread_mutex_unlock(&w->mu);

		ql_scheme s;
		ql_scheme_init(&s);
		s.sym = k.sym ? QL_SYM : QL_ASYM;
		s.percentile = k.percentile;
		float lo[QL_CALIB_COUNT], hi[QL_CALIB_COUNT];
		ql_error err;
		bool ok = true;
		for (int m = 0; m < QL_CALIB_COUNT && ok; m++) {
			pthread_mutex_lock(&w->mu);
			bool newer = w->marks_pending || w->quit;
			pthread_mutex_unlock(&w->mu);
			ok = !newer && ql_calibrate(x, (size_t)n, (ql_calib)m, s.percentile, k.sym, k.qmin,
						    k.qmax, &lo[m], &hi[m], &err) == 0;
		}
		free(x);

		pthread_mutex_lock(&w->mu);
		if (ok) {
			memcpy(w->mark_lo, lo, sizeof lo);
			memcpy(w->mark_hi, hi, sizeof hi);
			w->done_key = k;
			w->have_marks = true;
		}
		pthread_cond_broadcast(&w->cv);
	}
	pthread_mutex_unlock(&w->mu);
	release(w);
	return NULL;
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
		if (res && !res->failed)
			request_marks(w, res);

		pthread_mutex_lock(&w->mu);
		if (res && !w->pending) {
			qx_result_free(w->ready);
			w->ready = res;
			res = NULL;
			w->published++;
		} else {
			w->dropped++; /* cancelled on the way, or done but already old */
		}
		w->stage = "";
		pthread_cond_broadcast(&w->cv);
		pthread_mutex_unlock(&w->mu);
		qx_result_free(res);
		pthread_mutex_lock(&w->mu);
	}
	pthread_mutex_unlock(&w->mu);
	release(w);
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
	pthread_cond_init(&w->marks_cv, NULL);
	w->refs = 3;
	if (pthread_create(&w->marks_thread, NULL, run_marks, w)) {
		pthread_mutex_destroy(&w->mu);
		pthread_cond_destroy(&w->cv);
		pthread_cond_destroy(&w->marks_cv);
		free(w->gather);
		free(x);
		free(w);
		ql_error_set(err, "cannot start the computing thread");
		return NULL;
	}
	if (pthread_create(&w->thread, NULL, run, w)) {
		pthread_mutex_lock(&w->mu);
		w->quit = true;
		pthread_cond_broadcast(&w->marks_cv);
		w->refs = 2; /* the marks thread lets go of its hold; this frees */
		pthread_mutex_unlock(&w->mu);
		pthread_join(w->marks_thread, NULL);
		pthread_mutex_destroy(&w->mu);
		pthread_cond_destroy(&w->cv);
		pthread_cond_destroy(&w->marks_cv);
		free(w->gather);
		free(x);
		free(w);
		ql_error_set(err, "cannot start the computing thread");
		return NULL;
	}
	pthread_detach(w->thread);
	pthread_detach(w->marks_thread);
	return w;
}

static void destroy(qx_worker *w)
{
	qx_result_free(w->ready);
	free(w->want_x);
	if (w->vcached)
		ql_vbins_free(&w->vcache);
	if (w->eh_made) {
		ql_ehist_free(&w->eh_all);
		ql_ehist_free(&w->eh_clip);
		ql_ehist_free(&w->vh);
	}
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
	pthread_cond_destroy(&w->marks_cv);
	free(w->gather);
	free(w->x);
	free(w);
}

/* The owner and the two threads each hold the worker; the last to let go
 * frees it. So closing the explorer never waits for a ql_quantize of a
 * large tensor to finish: the threads see `quit` and clean up after it. */
static void release(qx_worker *w)
{
	pthread_mutex_lock(&w->mu);
	bool last = --w->refs == 0;
	pthread_mutex_unlock(&w->mu);
	if (last)
		destroy(w);
}

void qx_worker_free(qx_worker *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->mu);
	w->quit = true;
	w->cancel = 1;
	pthread_cond_broadcast(&w->cv);
	pthread_cond_broadcast(&w->marks_cv);
	pthread_mutex_unlock(&w->mu);
	release(w);
}

unsigned qx_submit(qx_worker *w, qx_job *job)
{
	pthread_mutex_lock(&w->mu);
	job->gen = ++w->next_gen;
	if (w->pending)
		w->dropped++; /* the one waiting never starts */
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
	if (res->failed || !wants_marks(res))
		return false;
	mkey k = key_of(res);
	pthread_mutex_lock(&w->mu);
	if (!res->have_marks && w->have_marks && same_key(&w->done_key, &k)) {
		memcpy(res->mark_lo, w->mark_lo, sizeof res->mark_lo);
		memcpy(res->mark_hi, w->mark_hi, sizeof res->mark_hi);
		res->have_marks = got = true;
	}
	pthread_mutex_unlock(&w->mu);
	return got;
}

int qx_progress(qx_worker *w)
{
	long long total = atomic_load(&w->progress.total);
	long long done = atomic_load(&w->progress.done);
	if (total <= 0)
		return -1;
	return (int)(done >= total ? 100 : done * 100 / total);
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

void qx_counts(qx_worker *w, unsigned *published, unsigned *dropped)
{
	pthread_mutex_lock(&w->mu);
	*published = w->published;
	*dropped = w->dropped;
	pthread_mutex_unlock(&w->mu);
}

int64_t qx_nelem(const qx_worker *w)
{
	return w->n;
}
