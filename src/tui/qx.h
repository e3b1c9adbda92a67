/* qx.h — the quantization explorer's computation, off the UI thread
 * (private to src/tui: qx_worker.c computes, screen_quant.c shows).
 *
 * The worker owns the tensor (float32, its own copy) and runs one job at a
 * time: ql_quantize with the job's scheme, then the pictures' data from
 * qview.h and stats.h. A newer job cancels the one running (checked between
 * steps, between ql_quantize's jobs of 64K values and inside the error
 * histograms) and a result that is not the
 * newest is thrown away, so keys are never blocked. The calibration marks
 * come from a second thread (mse and entropy take longest) and are kept
 * while the values and code range they depend on stay the same.
 *
 * Nothing here draws; nothing in the screen computes.
 */
#ifndef QLENS_TUI_QX_H
#define QLENS_TUI_QX_H

#include <stdbool.h>
#include <stdint.h>

#include "qlens/error.h"
#include "qlens/qview.h"
#include "qlens/quant.h"
#include "qlens/stats.h"

#define QX_ERROR_BINS 512
/* Calibration marks for at most this many shown values (sorting 64M for
 * the percentile would take the marks thread seconds per change). */
#define QX_MARKS_MAX (INT64_C(1) << 24)

typedef struct qx_job {
	ql_scheme scheme;
	bool outlier;   /* the tensor with its one added outlier */
	int64_t unit;   /* the unit whose values and grid are shown */
	int threads;
	unsigned gen;   /* submission number */
} qx_job;

typedef struct qx_result {
	unsigned gen;
	qx_job job;
	bool failed;
	ql_error err;
	ql_qresult r;          /* with dequant */
	int64_t unit;          /* job.unit clamped to the scales there are */
	int64_t unit_n;        /* values in that unit */
	float view_min, view_max; /* their range */
	ql_vbins values;       /* their histogram: the fine bins ql_quantize's
	                          scan counted them into (qview.h) */
	double lo, hi;         /* the value axis: the values, the clip and 0 */
	double levels[QL_QVIEW_MAX_LEVELS];
	int32_t codes[QL_QVIEW_MAX_LEVELS];
	int nlevels;
	ql_hist err_round, err_clip; /* the whole tensor's errors */
	double ms;             /* compute time */
	/* second step */
	bool have_marks;
	float mark_lo[QL_CALIB_COUNT], mark_hi[QL_CALIB_COUNT];
} qx_result;

typedef struct qx_worker qx_worker;

/* Takes the tensor x (nelem floats, malloc'd: the worker frees it). The
 * outlier goes at element `outlier_at` with value `outlier_value`. */
qx_worker *qx_worker_new(float *x, const int64_t *shape, int ndim, int64_t outlier_at,
			 float outlier_value, ql_error *err);
void qx_worker_free(qx_worker *w);

/* Queues a job (its gen set here), cancelling the one running. */
unsigned qx_submit(qx_worker *w, qx_job *job);

/* Waits up to ms for the result of job gen (0: just look). */
bool qx_wait(qx_worker *w, unsigned gen, int ms);

/* Takes the newest finished result if it is newer than after_gen (NULL:
 * none new). qx_take_marks fills res's marks once the marks thread has
 * them for its values and code range; false while not (or none wanted). */
qx_result *qx_take(qx_worker *w, unsigned after_gen);
bool qx_take_marks(qx_worker *w, qx_result *res);
void qx_result_free(qx_result *r);

/* How far the running ql_quantize is, 0..100 (its jobs done of all its
 * passes), or -1 before it has planned its work. */
int qx_progress(qx_worker *w);

/* What the worker is doing: "" when idle, else "quantizing" ... */
const char *qx_stage(qx_worker *w, unsigned *gen);

/* How many results were published, and how many jobs were dropped (a
 * newer one came before they started, while they ran, or before their
 * result was out). */
void qx_counts(qx_worker *w, unsigned *published, unsigned *dropped);

/* The number of elements. */
int64_t qx_nelem(const qx_worker *w);

#endif
