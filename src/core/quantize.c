/* quantize.c — ql_quantize(), the one entry point (qlens/quantize.h), as its
 * named steps: plan, outputs, scan, calibrate, quantize, merge (qplan.h
 * says what each does; the steps' job functions are in quantize_scan.c and
 * quantize_units.c). What differs between targets comes from their entry
 * of the type table (scheme.h), not from branches here.
 */
#include "qplan.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "qlens/affine.h"
#include "qlens/checked.h"
#include "qlens/calib.h"
#include "qlens/qview.h"
#include "qlens/pack.h"
#include "ehist_pool.h"
#include "lanes.h"
#include "threadpool.h"

static void *xcalloc(size_t n, size_t size)
{
	return calloc(n ? n : 1, size);
}

/* An output buffer that is written whole (codes, dequantized values). Big
 * ones are 2 MB aligned and offered to transparent huge pages: the first
 * touch of 256 MB then costs 128 page faults instead of 65536. */
static void *big_alloc(size_t size)
{
	const size_t huge = (size_t)2 << 20;
	if (size < 2 * huge)
		return malloc(size ? size : 1);
	void *ptr = NULL;
	if (posix_memalign(&ptr, huge, size))
		return NULL;
	madvise(ptr, size, MADV_HUGEPAGE); /* advice only: failure is harmless */
	return ptr;
}

/* calloc for the per-unit arrays (scales, ranges, zero points): a big one
 * (a block format's 2M blocks: 8 MB each) as big_alloc gives it, zeroed
 * here. Fresh 4 KB pages cost a fault each, and on this project's VMs the
 * faults of five such arrays took more system time than Q8_0's whole
 * quantize pass took user time. */
static void *big_calloc(size_t n, size_t size)
{
	if (size && n > SIZE_MAX / size)
		return NULL;
	if (n * size < (size_t)4 << 20)
		return xcalloc(n, size);
	void *ptr = big_alloc(n * size);
	if (ptr)
		memset(ptr, 0, n * size);
	return ptr;
}

void ql_qresult_free(ql_qresult *r)
{
	if (!r)
		return;
	if (r->borrowed) { /* ql_qopts.bufs' arrays: the series frees them */
		memset(r, 0, sizeof *r);
		return;
	}
	free(r->codes);
	free(r->scales);
	free(r->zero_points);
	free(r->blocks);
	free(r->dequant);
	free(r->clip_lo);
	free(r->clip_hi);
	free(r->mins);
	free(r->sub_scales);
	free(r->sub_mins);
	memset(r, 0, sizeof *r);
}

static void plan_free(qplan *p)
{
	if (p->bufs)
		return; /* the scratch is ql_qopts.bufs' */
	free(p->umin);
	free(p->umax);
	free(p->bad);
	free(p->acc);
	free(p->job_err);
	free(p->jmin);
	free(p->jmax);
	free(p->cp.inv);
	free(p->yscratch);
	free(p->scodes);
	free(p->sraw);
	free(p->slot_busy);
	free(p->jslot);
}

/* ---- buffers: fresh, or from ql_qopts.bufs (quantize.h) ---- */

enum {
	B_CODES, B_SCALES, B_CLIP_LO, B_CLIP_HI, B_ZP, B_BLOCKS, B_MINS, B_SUB_SCALES,
	B_SUB_MINS, B_DEQUANT, B_UMIN, B_UMAX, B_BAD, B_ACC, B_JOB_ERR, B_YSCRATCH, B_JMIN,
	B_JMAX, B_CP, B_SCODES, B_SRAW, B_SLOT_BUSY, B_JSLOT, B_COUNT
};
_Static_assert((int)B_COUNT <= (int)QL_QBUF_SLOTS, "ql_qbufs has a slot for every buffer");

/* n elements of `size` bytes in buffer `slot`: zeroed if `zero` (the
 * calloc'd ones), else left as they are (outputs written whole). NULL when
 * out of memory or the size overflows. */
static void *buf(qplan *p, int slot, size_t n, size_t size, bool zero)
{
	if (n && size > SIZE_MAX / n)
		return NULL;
	size_t bytes = n * size;
	ql_qbufs *b = p->bufs;
	if (!b)
		return zero ? big_calloc(n, size) : big_alloc(bytes);
	if (b->cap[slot] < bytes || !b->ptr[slot]) {
		/* Kept for the series. From 16 MB on, whole huge pages (a fault
		 * each; the rounding up, at most an eighth, is memory later
		 * tensors may use); below, 4 KB pages, as many as needed: the
		 * rounding would cost more memory than the faults cost time. */
		const size_t huge = (size_t)2 << 20;
		size_t cap = bytes >= 8 * huge && bytes <= SIZE_MAX - huge
				     ? (bytes + huge - 1) / huge * huge
				     : bytes;
		free(b->ptr[slot]);
		b->ptr[slot] = NULL;
		if (cap >= huge && !posix_memalign(&b->ptr[slot], huge, cap))
			madvise(b->ptr[slot], cap, MADV_HUGEPAGE); /* advice only */
		else if (cap < huge)
			b->ptr[slot] = malloc(cap ? cap : 1);
		b->cap[slot] = b->ptr[slot] ? cap : 0;
		if (!b->ptr[slot])
			return NULL;
	}
	if (zero)
		memset(b->ptr[slot], 0, bytes);
	return b->ptr[slot];
}

void ql_qbufs_free(ql_qbufs *b)
{
	if (!b)
		return;
	for (int i = 0; i < QL_QBUF_SLOTS; i++)
		free(b->ptr[i]);
	memset(b, 0, sizeof *b);
}

size_t ql_qbufs_bytes(const ql_qbufs *b)
{
	size_t t = 0;
	for (int i = 0; b && i < QL_QBUF_SLOTS; i++)
		t += b->cap[i];
	return t;
}

/* ---- job dispatch: ql_run_jobs, counting jobs and stopping on cancel ---- */

typedef struct tracked {
	void (*fn)(void *, int64_t);
	void *arg;
	const ql_qopts *o;
} tracked;

static bool cancelled(const qplan *p)
{
	return p->opts && p->opts->cancel && *p->opts->cancel;
}

static void tracked_job(void *arg, int64_t j)
{
	const tracked *t = arg;
	if (t->o->cancel && *t->o->cancel)
		return; /* the pass is abandoned: ql_quantize returns "cancelled" */
	t->fn(t->arg, j);
	if (t->o->progress)
		atomic_fetch_add_explicit(&t->o->progress->done, 1, memory_order_relaxed);
}

/* ql_run_jobs, each job counted in opts->progress and skipped once
 * opts->cancel is set. */
static void run_jobs(qplan *p, int threads, int64_t njobs, void (*fn)(void *, int64_t))
{
	const ql_qopts *o = p->opts;
	if (!o || (!o->progress && !o->cancel)) {
		ql_run_jobs(threads, njobs, fn, p);
		return;
	}
	tracked t = {fn, p, o};
	ql_run_jobs(threads, njobs, tracked_job, &t);
}

/* The jobs of every pass the plan will run (see the steps below), and the
 * serial calibration of a whole tensor counted as one pass. */
static int64_t planned_jobs(const qplan *p, const ql_scheme *s)
{
	int64_t jobs = p->njobs; /* the scan (or the fused pass) */
	if (!p->fused && !p->blocky && !s->has_scale) {
		if (p->trav != TRAV_CHUNKS)
			jobs += p->cal_njobs;
		else if (s->calib != QL_CALIB_MINMAX)
			jobs += p->njobs;
	}
	if (!p->fused)
		jobs += p->njobs;
	return jobs;
}

/* ---- plan: the units, the jobs and the shape of the scales ---- */

static void plan_units(qplan *p, const ql_scheme *s, const int64_t *shape, int ndim,
		       const ql_qopts *opts)
{
	ql_qresult *r = p->r;
	const ql_qdtype_info *info = p->info;
	int64_t n = r->nelem;
	if (r->scheme.gran == QL_GRAN_TENSOR) {
		p->trav = TRAV_CHUNKS;
		p->nunits = (n + JOB_ELEMS - 1) / JOB_ELEMS;
		p->units_per_job = 1;
		r->nscales = 1;
		r->scale_ndim = 0;
	} else if (r->scheme.gran == QL_GRAN_CHANNEL) {
		int ax = r->scheme.axis;
		p->trav = TRAV_CHANNELS;
		p->outer = 1;
		p->inner = 1;
		for (int i = 0; i < ax; i++)
			p->outer *= shape[i];
		for (int i = ax + 1; i < ndim; i++)
			p->inner *= shape[i];
		p->C = shape[ax];
		if (n == 0) {
			/* an empty tensor quantizes to nothing: no channel
			 * gets a scale (its shape alone, (2^31, 0) say, would
			 * ask for billions of them from a 128-byte file) */
			p->C = 0;
			p->outer = p->inner = 0;
			p->units_per_job = 1;
			r->nscales = 0;
			r->scale_ndim = 1;
			r->scale_shape[0] = 0;
			goto planned;
		}
		p->nunits = p->C;
		int64_t per = p->outer * p->inner;
		p->units_per_job = per >= JOB_ELEMS ? 1 : per ? JOB_ELEMS / per : p->C + 1;
		if (p->inner == 1 && p->C > 0) {
			p->by_rows = true;
			p->rows_per_job = JOB_ELEMS / p->C > 1 ? JOB_ELEMS / p->C : 1;
			if ((p->outer + p->rows_per_job - 1) / p->rows_per_job > 64)
				p->rows_per_job = (p->outer + 63) / 64;
		}
		r->nscales = p->C;
		r->scale_ndim = 1;
		r->scale_shape[0] = p->C;
	} else {
		p->trav = TRAV_GROUPS;
		if (info->flat_blocks) {
			p->rows = 1;
			p->L = n;
		} else {
			p->L = ndim ? shape[ndim - 1] : 1;
			p->rows = p->L ? n / p->L : 0;
		}
		p->G = p->blocky ? info->block : s->group;
		p->ngroups = ql_ceil_div_i64(p->L, p->G); /* p->L + p->G - 1 overflows for a huge G */
		p->nunits = p->rows * p->ngroups;          /* <= n: a group holds at least one element */
		int64_t per = p->G < p->L ? p->G : (p->L ? p->L : 1);
		p->units_per_job = per >= JOB_ELEMS ? 1 : JOB_ELEMS / per;
		r->nscales = p->nunits;
		if (info->flat_blocks) {
			r->scale_ndim = 1;
			r->scale_shape[0] = p->nunits;
		} else {
			r->scale_ndim = ndim ? ndim : 1;
			for (int i = 0; i + 1 < ndim; i++)
				r->scale_shape[i] = shape[i];
			r->scale_shape[r->scale_ndim - 1] = p->ngroups;
		}
	}
planned:
	p->cal_per_job = p->units_per_job;
	p->cal_njobs = (p->nunits + p->units_per_job - 1) / p->units_per_job;
	p->njobs = p->by_rows ? (p->outer + p->rows_per_job - 1) / p->rows_per_job : p->cal_njobs;
	p->no_metrics = opts && opts->no_metrics;
	/* Contiguous units calibrated by minmax go in one pass (scan, calibrate
	 * and quantize unit by unit); everything else in separate passes. */
	p->fused = !s->has_scale && s->calib == QL_CALIB_MINMAX &&
		   (p->trav == TRAV_GROUPS ||
		    (p->trav == TRAV_CHANNELS && !p->by_rows && p->outer == 1));
}

/* ---- outputs, and the plan's scratch: sizes from the plan and the table ---- */

static int alloc_outputs(qplan *p, const ql_qopts *opts, ql_error *err)
{
	ql_qresult *r = p->r;
	const ql_qdtype_info *info = p->info;
	const ql_block_traits *bf = p->bf;
	int64_t n = r->nelem;
	size_t ns = (size_t)r->nscales;
	int64_t nu = p->nunits > r->nscales ? p->nunits : r->nscales;
	bool no_codes = opts && opts->no_codes;
	bool codes = (!bf || bf->codes_row) && !no_codes;
	if (codes)
		r->codes = buf(p, B_CODES, (size_t)n, 1, false);
	r->scales = buf(p, B_SCALES, ns, sizeof *r->scales, true);
	r->clip_lo = buf(p, B_CLIP_LO, ns, sizeof *r->clip_lo, true);
	r->clip_hi = buf(p, B_CLIP_HI, ns, sizeof *r->clip_hi, true);
	bool has_zp = info->kind == QL_QK_INT && (!p->sym || !info->is_signed);
	if (has_zp)
		r->zero_points = buf(p, B_ZP, ns, sizeof *r->zero_points, true);
	if (info->raw_packed)
		p->raw_bytes = ql_packed_bytes((size_t)n, info->bits);
	else
		p->raw_bytes = (size_t)p->nunits * (size_t)info->raw_unit_bytes;
	/* Codes and blocks not kept: each job writes its units' into a scratch
	 * slot it holds while it runs (qp_codes, qp_raw); one slot a thread. */
	p->scratch = no_codes && p->blocky;
	bool scratch_ok = true;
	if (p->raw_bytes && !p->scratch) {
		r->blocks_bytes = p->raw_bytes;
		r->blocks = buf(p, B_BLOCKS, r->blocks_bytes, 1, false); /* every byte is written */
	} else if (p->scratch) {
		int64_t per = p->G < p->L ? p->G : (p->L ? p->L : 1);
		p->scodes_len = p->units_per_job * per;
		p->sraw_len = p->units_per_job * info->raw_unit_bytes;
		size_t k = (size_t)p->nslots;
		p->scodes = buf(p, B_SCODES, k, (size_t)p->scodes_len, false);
		p->sraw = buf(p, B_SRAW, k, (size_t)p->sraw_len, false);
		p->slot_busy = buf(p, B_SLOT_BUSY, k, sizeof *p->slot_busy, true);
		p->jslot = buf(p, B_JSLOT, (size_t)p->njobs, sizeof *p->jslot, true);
		scratch_ok = p->scodes && p->sraw && p->slot_busy && p->jslot;
		for (size_t i = 0; scratch_ok && i < k; i++)
			atomic_init(&p->slot_busy[i], 0);
	}
	bool nested_ok = true;
	if (bf && bf->scales_row && bf->has_min)
		nested_ok &= (r->mins = buf(p, B_MINS, ns, sizeof *r->mins, true)) != NULL;
	if (bf && bf->scales_row && bf->nsub > 0) {
		r->nsub = bf->nsub;
		r->sub_scales = buf(p, B_SUB_SCALES, ns * (size_t)bf->nsub, sizeof *r->sub_scales,
				    true);
		r->sub_mins = buf(p, B_SUB_MINS, ns * (size_t)bf->nsub, sizeof *r->sub_mins, true);
		nested_ok &= r->sub_scales && r->sub_mins;
	}
	if (opts && opts->dequant)
		r->dequant = buf(p, B_DEQUANT, (size_t)n, sizeof *r->dequant, false);
	p->umin = buf(p, B_UMIN, (size_t)nu, sizeof *p->umin, true);
	p->umax = buf(p, B_UMAX, (size_t)nu, sizeof *p->umax, true);
	p->bad = buf(p, B_BAD, (size_t)p->njobs, sizeof *p->bad, true);
	p->acc = buf(p, B_ACC, (size_t)p->njobs, sizeof *p->acc, true);
	p->job_err = buf(p, B_JOB_ERR, (size_t)(p->cal_njobs > p->njobs ? p->cal_njobs : p->njobs),
			 sizeof *p->job_err, true);
	if (p->blocky)
		p->yscratch = buf(p, B_YSCRATCH, (size_t)p->njobs * (size_t)info->block,
				  sizeof *p->yscratch, true);
	if (p->by_rows) {
		p->jmin = buf(p, B_JMIN, (size_t)(p->njobs * p->C), sizeof *p->jmin, true);
		p->jmax = buf(p, B_JMAX, (size_t)(p->njobs * p->C), sizeof *p->jmax, true);
		float *cp = buf(p, B_CP, (size_t)(4 * p->C), sizeof *cp, true);
		p->cp = (ql_col_params){cp, cp + p->C, cp + 2 * p->C, cp + 3 * p->C};
	}
	if ((codes && !r->codes) || !r->scales || !r->clip_lo || !r->clip_hi ||
	    (has_zp && !r->zero_points) || (r->blocks_bytes && !r->blocks) || !scratch_ok ||
	    !nested_ok || (opts && opts->dequant && !r->dequant) || !p->umin || !p->umax ||
	    !p->bad || !p->acc || !p->job_err || (p->blocky && !p->yscratch) ||
	    (p->by_rows && (!p->jmin || !p->jmax || !p->cp.inv)))
		return ql_error_set(err, "out of memory for a tensor of %lld values", (long long)n);
	return 0;
}

/* ---- scan (fused: scan, calibrate and quantize) ---- */

static int step_scan(qplan *p, int threads, ql_error *err)
{
	ql_qresult *r = p->r;
	int64_t n = r->nelem, nbad = 0, first = -1;
	if (p->fused) {
		run_jobs(p, threads, p->njobs, ql_qp_quant_job);
		for (int64_t j = 0; j < p->njobs && !nbad; j++)
			nbad = p->bad[j];
	} else {
		run_jobs(p, threads, p->njobs, ql_qp_scan_job);
		for (int64_t j = 0; j < p->njobs; j++)
			nbad += p->bad[j];
	}
	if (cancelled(p))
		return ql_error_set(err, "cancelled");
	if (nbad) {
		/* Count them all and find the first, for the message. */
		nbad = 0;
		for (int64_t i = 0; i < n; i++) {
			if (!(fabsf(p->x[i]) <= FLT_MAX)) {
				if (first < 0)
					first = i;
				nbad++;
			}
		}
		float bad = p->x[first];
		return ql_error_set(err, "%lld value%s not finite (the first at index %lld: %s); "
					 "qlens quantizes finite values only", (long long)nbad,
				    nbad == 1 ? " is" : "s are", (long long)first,
				    isnan(bad) ? "nan" : bad > 0 ? "inf" : "-inf"); /* not -nan */
	}
	if (p->by_rows) {
		for (int64_t c = 0; c < p->C; c++) {
			p->umin[c] = INFINITY;
			p->umax[c] = -INFINITY;
		}
		for (int64_t j = 0; j < p->njobs; j++) {
			for (int64_t c = 0; c < p->C; c++) {
				p->umin[c] = minf(p->umin[c], p->jmin[j * p->C + c]);
				p->umax[c] = maxf(p->umax[c], p->jmax[j * p->C + c]);
			}
		}
	}
	float mn = INFINITY, mx = -INFINITY;
	for (int64_t u = 0; u < p->nunits; u++) {
		mn = minf(mn, p->umin[u]);
		mx = maxf(mx, p->umax[u]);
	}
	r->data_min = n > 0 ? mn : 0.0f;
	r->data_max = n > 0 ? mx : 0.0f;
	return 0;
}

/* ---- calibrate (block targets: their blocks did it) ---- */

static int step_calibrate(qplan *p, const ql_scheme *s, int threads, ql_error *err)
{
	ql_qresult *r = p->r;
	if (p->fused || p->blocky)
		return 0;
	if (s->has_scale) {
		r->scales[0] = p->info->kind == QL_QK_INT ? ql_scale_round(s->scale, s->scale_dtype)
							  : s->scale;
		int32_t zp = s->has_zero_point ? s->zero_point : p->sym ? (p->qmin + p->qmax) / 2 : 0;
		if (r->zero_points)
			r->zero_points[0] = zp;
		if (p->info->kind == QL_QK_FLOAT) {
			r->clip_hi[0] = p->info->elem_max * s->scale;
			r->clip_lo[0] = -r->clip_hi[0];
		} else {
			r->clip_lo[0] = (float)(p->qmin - zp) * r->scales[0];
			r->clip_hi[0] = (float)(p->qmax - zp) * r->scales[0];
		}
	} else if (p->trav == TRAV_CHUNKS) {
		float lo = r->data_min, hi = r->data_max;
		if (p->sym) {
			float a = maxf(fabsf(lo), fabsf(hi));
			lo = -a;
			hi = a;
		}
		if (s->calib != QL_CALIB_MINMAX &&
		    ql_calibrate_cancel(p->x, (size_t)r->nelem, s->calib, s->percentile, p->sym,
					p->qmin, p->qmax, &lo, &hi, p->opts ? p->opts->cancel : NULL, err))
			return -1;
		if (s->calib != QL_CALIB_MINMAX && p->opts && p->opts->progress)
			atomic_fetch_add(&p->opts->progress->done, p->njobs);
		ql_qp_unit_params(p, 0, lo, hi);
	} else {
		run_jobs(p, threads, p->cal_njobs, ql_qp_calib_job);
		if (cancelled(p))
			return ql_error_set(err, "cancelled");
		for (int64_t j = 0; j < p->cal_njobs; j++)
			if (p->job_err[j])
				return ql_error_set(err, "out of memory while calibrating");
	}
	return 0;
}

/* ---- quantize (unless fused into the scan) ---- */

static void step_quantize(qplan *p, int threads)
{
	ql_qresult *r = p->r;
	if (p->by_rows && p->info->kind == QL_QK_INT)
		ql_col_params_fill(&p->cp, r->scales, r->zero_points, (size_t)p->C, p->qmin, p->qmax);
	if (!p->fused)
		run_jobs(p, threads, p->njobs, ql_qp_quant_job);
}

/* ---- merge: the jobs' sums in job order, and the storage as written ---- */

static void step_merge(qplan *p)
{
	ql_qresult *r = p->r;
	const ql_qdtype_info *info = p->info;
	ql_metrics_acc total;
	ql_metrics_acc_init(&total);
	for (int64_t j = 0; j < p->njobs; j++)
		ql_metrics_merge(&total, &p->acc[j]);
	ql_metrics_finish(&total, &r->metrics);
	r->sums = total;

	uint64_t n = (uint64_t)r->nelem, ns = (uint64_t)r->nscales;
	if (p->raw_bytes) /* the raw blocks as written, kept or not */
		r->bytes = p->raw_bytes + (info->scales_stored ? 4 * ns : 0);
	else
		r->bytes = ql_packed_bytes((size_t)n, info->bits) +
			   (uint64_t)ql_scale_dtype_bytes(p->scale_dtype) * ns +
			   (r->zero_points ? 4 * ns : 0);
	r->bits_per_weight = n ? (double)r->bytes * 8.0 / (double)n : 0.0;
}

int ql_quantize(const float *x, const int64_t *shape, int ndim, const ql_scheme *s,
		const ql_qopts *opts, ql_qresult *out, ql_error *err)
{
	memset(out, 0, sizeof *out);
	if (ql_scheme_validate(s, shape, ndim, err))
		return -1;

	ql_qresult *r = out;
	const ql_qdtype_info *info = ql_qdtype_of(s->dtype);
	r->scheme = *s;
	r->scheme.sym = ql_scheme_symmetry(s);
	if (s->gran == QL_GRAN_CHANNEL && s->axis < 0)
		r->scheme.axis = s->axis + ndim;
	if (info->quantize_block)
		r->scheme.gran = QL_GRAN_BLOCK;
	r->ndim = ndim;
	if (ndim > 0)
		memcpy(r->shape, shape, (size_t)ndim * sizeof *shape);
	r->nelem = ql_shape_elems(shape, ndim);
	ql_scheme_qrange(&r->scheme, &r->qmin, &r->qmax);
	r->codes_signed = info->is_signed;
	r->calib = s->calib;

	qplan p = {
		.x = x, .r = r, .info = info, .dtype = s->dtype,
		.bf = info->bfmt >= 0 ? &ql_block_formats[info->bfmt] : NULL,
		.blocky = info->quantize_block != NULL,
		.sym = r->scheme.sym == QL_SYM, .qmin = r->qmin, .qmax = r->qmax,
		.calib = s->calib, .percentile = s->percentile, .n = r->nelem,
		.scale_dtype = s->scale_dtype,
	};
	plan_units(&p, s, shape, ndim, opts);
	p.opts = opts;
	p.bufs = opts ? opts->bufs : NULL;
	r->borrowed = p.bufs != NULL;
	ql_ehist_pool ehpool, vhpool, chpool;
	if (opts && opts->ehist) {
		ql_ehist_pool_init(&ehpool);
		p.ehpool = &ehpool;
		p.no_metrics = false; /* the histogram is counted where the sums are */
	}
	p.vunit = opts && opts->vhist_one_unit ? (opts->vhist_unit < 0 ? INT64_MAX : opts->vhist_unit)
					       : -1;
	if (opts && opts->vhist) {
		ql_ehist_pool_init(&vhpool);
		p.vhpool = &vhpool;
	}
	bool clip_ok = true;
	if (opts && opts->ehist_clip) {
		ql_ehist_pool_init(&chpool);
		p.chpool = &chpool;
		p.no_metrics = false; /* found in the tiles the metrics read */
		p.jclip = calloc((size_t)(p.njobs ? p.njobs : 1), sizeof *p.jclip);
		clip_ok = p.jclip != NULL;
		if (p.blocky) /* where its units clip (quantize_units.c: clip_blocks) */
			ql_qview_reach(r, &p.reach_lo, &p.reach_hi);
	}
	if (opts && opts->progress)
		atomic_store(&opts->progress->total, planned_jobs(&p, s));
	int threads = opts && opts->threads > 0 ? opts->threads : ql_default_threads();
	if (r->nelem < 4 * JOB_ELEMS)
		threads = 1;
	p.nslots = threads;

	int rc = -1;
	if (!clip_ok) {
		ql_error_set(err, "out of memory for the clipped errors' histogram");
	} else if (alloc_outputs(&p, opts, err) == 0 && step_scan(&p, threads, err) == 0 &&
		   step_calibrate(&p, s, threads, err) == 0) {
		step_quantize(&p, threads);
		if (cancelled(&p)) {
			ql_error_set(err, "cancelled");
		} else {
			step_merge(&p);
			/* a block format's clipped elements (clip_blocks) count
			 * only when a kernel clamped something, as in the
			 * explorer's own pass (ql_qview_error_hists) */
			bool clips = !p.blocky || r->metrics.clipped > 0;
			if ((p.ehpool && ql_ehist_pool_merge(p.ehpool, opts->ehist)) ||
			    (p.chpool && clips && ql_ehist_pool_merge(p.chpool, opts->ehist_clip)) ||
			    (p.vhpool && ql_ehist_pool_merge(p.vhpool, opts->vhist)))
				ql_error_set(err, "out of memory for the error histogram");
			else
				rc = 0;
		}
	}
	if (p.ehpool)
		ql_ehist_pool_free(p.ehpool);
	if (p.vhpool)
		ql_ehist_pool_free(p.vhpool);
	if (p.chpool)
		ql_ehist_pool_free(p.chpool);
	free(p.jclip);
	plan_free(&p);
	if (rc)
		ql_qresult_free(r);
	return rc;
}

void ql_qresult_dequantize(const ql_qresult *r, float *out)
{
	if (r->nelem == 0)
		return;
	const ql_qdtype_info *info = ql_qdtype_of(r->scheme.dtype);
	info->dequantize(info, r, out);
}
