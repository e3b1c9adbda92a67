/* qplan.h — ql_quantize's plan and its steps (private to src/core).
 *
 * ql_quantize() (quantize.c) works over "units" (whatever owns one scale:
 * the whole tensor in chunks, a channel, a group, a block) in steps:
 *   plan:      units, jobs and the outputs' shapes from the scheme;
 *   scan:      per unit min and max, and a count of non-finite values
 *              (any NaN/inf fails the call here, before anything else)
 *              (quantize_scan.c);
 *   calibrate: per unit clipping range -> scale and zero point (same file);
 *   quantize:  codes, raw blocks, dequantized values and the error sums, in
 *              one pass, tile by tile so the dequantized tile is still in
 *              cache when the metrics read it (quantize_units.c; the fused
 *              AVX2 loops over whole blocks in quantize_fast.c);
 *   merge:     the per-job error sums, in job order.
 * Scan to quantize are split into jobs of roughly JOB_ELEMS elements that
 * threads take in turn (threadpool.h). Jobs never share outputs, and their
 * sums are merged in a fixed order, so results are the same with any number
 * of threads. Contiguous units calibrated by minmax go in one pass: scan,
 * calibrate and quantize unit by unit ("fused").
 */
#ifndef QLENS_CORE_QPLAN_H
#define QLENS_CORE_QPLAN_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "qlens/blockfmt.h"
#include "qlens/quantize.h"
#include "affine_cols.h"

#define JOB_ELEMS (1 << 16) /* elements per job, about */
#define TILE 1024           /* elements dequantized at a time for the metrics */

typedef enum { TRAV_CHUNKS, TRAV_CHANNELS, TRAV_GROUPS } traversal;

typedef struct qplan {
	const float *x;
	ql_qresult *r;
	const ql_qdtype_info *info;     /* the target's entry of the type table */
	const ql_block_traits *bf;      /* its block format (blockfmt.h), or NULL */
	bool blocky;                    /* a block target (info->quantize_block) */
	ql_qdtype dtype;
	bool sym;
	int32_t qmin, qmax;
	ql_calib calib;
	double percentile;
	ql_scale_dtype scale_dtype;     /* integer targets: the scales' type */

	traversal trav;
	int64_t n;
	int64_t outer, C, inner;        /* TRAV_CHANNELS */
	int64_t rows, L, G, ngroups;    /* TRAV_GROUPS: unit u = (u / ngroups, u % ngroups) */
	int64_t nunits;                 /* scan units (chunks, channels, groups) */
	int64_t units_per_job, njobs;
	int64_t cal_per_job, cal_njobs; /* calibration jobs: ranges of scale units */
	/* Channels along the last axis go by rows instead: each job takes
	 * rows_per_job whole rows, with its own per-column min/max (jmin/jmax,
	 * C per job, merged after the scan). */
	bool by_rows;
	int64_t rows_per_job;
	float *jmin, *jmax;
	ql_col_params cp;                 /* per column 1/scale etc., for by_rows */
	bool no_metrics;
	struct ql_ehist_pool *ehpool;   /* opts->ehist: the jobs' fine error
	                                   histograms (ehist_pool.h), or NULL */
	/* opts->vhist: the jobs' value histograms, counted in the scan (or
	 * the fused pass): of every element (vunit -1) or of unit vunit */
	struct ql_ehist_pool *vhpool;
	int64_t vunit;
	/* opts->ehist_clip: the jobs' histograms of clipped errors, each held
	 * by its job while it runs (jclip[job]) */
	struct ql_ehist_pool *chpool;
	struct ql_ehist **jclip;
	double reach_lo, reach_hi;      /* block targets: ql_qview_reach */
	const ql_qopts *opts;           /* progress and cancel (run_jobs), or NULL */
	bool fused;                     /* scan + calibrate + quantize unit by unit */

	float *umin, *umax;             /* per scan unit */
	int64_t *bad;                   /* per job: non-finite values seen */
	ql_metrics_acc *acc;            /* per job */
	int *job_err;                   /* per job: calibration failed */
	float *yscratch;                /* per job: one block of dequantized values
	                                   (info->block floats), for blocks whose
	                                   values go nowhere else */
	size_t raw_bytes;               /* the raw blocks' bytes, kept or not */
	ql_qbufs *bufs;                 /* opts->bufs: every array above is theirs */
	/* Block targets keeping no codes or blocks (opts.no_codes): a job
	 * writes its units' codes and raw bytes into a scratch slot it holds
	 * while it runs (jslot[job]; slot_busy: taken), one slot per thread;
	 * qp_codes and qp_raw say where, kept or not. */
	bool scratch;
	int nslots;
	uint8_t *scodes, *sraw;         /* nslots * scodes_len, nslots * sraw_len */
	int64_t scodes_len, sraw_len;
	atomic_int *slot_busy;
	int *jslot;
} qplan;

/* The contiguous element range of group unit u. */
static inline void group_span(const qplan *p, int64_t u, int64_t *start, int64_t *len)
{
	int64_t r = u / p->ngroups, g = u % p->ngroups;
	*start = r * p->L + g * p->G;
	int64_t left = p->L - g * p->G;
	*len = left < p->G ? left : p->G;
}

/* Job `job` of ranges of `per` out of `total`: [a, b). */
static inline void part(int64_t job, int64_t per, int64_t total, int64_t *a, int64_t *b)
{
	*a = job * per;
	*b = *a + per;
	if (*b > total)
		*b = total;
}

static inline void job_units(const qplan *p, int64_t job, int64_t *u0, int64_t *u1)
{
	if (p->by_rows)
		part(job, p->rows_per_job, p->outer, u0, u1);
	else
		part(job, p->units_per_job, p->nunits, u0, u1);
}

/* The contiguous element range of scale unit u when units are contiguous
 * (groups and blocks; channels of the first axis). */
static inline void unit_span(const qplan *p, int64_t u, int64_t *start, int64_t *len)
{
	if (p->trav == TRAV_GROUPS) {
		group_span(p, u, start, len);
	} else {
		*start = u * p->inner;
		*len = p->inner;
	}
}

/* Where the codes of element s go, s in the units of the job whose sums
 * are acc: the result's codes, or that job's scratch slot. */
static inline uint8_t *qp_codes(const qplan *p, const ql_metrics_acc *acc, int64_t s)
{
	if (p->r->codes)
		return p->r->codes + s;
	int64_t job = acc - p->acc, js, jl;
	unit_span(p, job * p->units_per_job, &js, &jl);
	return p->scodes + p->jslot[job] * p->scodes_len + (s - js);
}

/* Where the raw bytes of block unit u go (same job rule). */
static inline uint8_t *qp_raw(const qplan *p, const ql_metrics_acc *acc, int64_t u)
{
	if (p->r->blocks) {
		if (!p->info->raw_packed)
			return p->r->blocks + u * p->info->raw_unit_bytes;
		int64_t s, len;
		group_span(p, u, &s, &len);
		return p->r->blocks + s * p->info->bits / 8;
	}
	int64_t job = acc - p->acc;
	return p->sraw + p->jslot[job] * p->sraw_len +
	       (u - job * p->units_per_job) * p->info->raw_unit_bytes;
}

/* -- scan and calibrate (quantize_scan.c) -- */

/* Min and max of x[0..len) into *mn, *mx (which hold a running range),
 * non-finite values counted into *bad. */
void ql_qp_scan_span(const float *x, int64_t len, float *mn, float *mx, int64_t *bad);
/* Job functions for ql_run_jobs; arg is the qplan. */
void ql_qp_scan_job(void *arg, int64_t job);
void ql_qp_calib_job(void *arg, int64_t job);
/* Scale (and zero point) of unit u from its clipping range. */
void ql_qp_unit_params(qplan *p, int64_t u, float lo, float hi);
/* Fused calibration of one contiguous unit; false at a non-finite value. */
bool ql_qp_calib_unit_fused(qplan *p, int64_t u, int64_t start, int64_t len);
/* Counts x[0..len) into the value histogram v (ql_qopts.vhist). */
void ql_qp_count_values(struct ql_ehist *v, const float *x, int64_t len);
/* The value histogram's share of job `job`'s units [u0, u1) (every
 * element, or unit p->vunit's) into v; scan jobs and fused jobs alike. */
void ql_qp_job_values(const qplan *p, struct ql_ehist *v, int64_t u0, int64_t u1);

/* -- quantize (quantize_units.c) -- */

void ql_qp_quant_job(void *arg, int64_t job);

#endif
