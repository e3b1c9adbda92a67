/* quantize_scan.c — ql_quantize's scan and calibrate steps (qplan.h): per
 * unit ranges and the count of non-finite values, then each unit's clipping
 * range, scale and zero point.
 */
#include "qplan.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "qlens/affine.h"
#include "qlens/calib.h"
#include "ehist_pool.h"
#include "lanes.h"
#include "quant_avx2.h"
#include "simd.h"

/* ---- scan ---- */

static inline void scan_block(const float *restrict x, float *restrict lo, float *restrict hi,
			      int *restrict bad)
{
	for (int j = 0; j < VB; j++) {
		float v = x[j];
		bad[j] += !(fabsf(v) <= FLT_MAX);
		lo[j] = v < lo[j] ? v : lo[j];
		hi[j] = v > hi[j] ? v : hi[j];
	}
}

QL_SIMD_CLONES
void ql_qp_scan_span(const float *x, int64_t len, float *mn, float *mx, int64_t *bad)
{
	if (len < 4 * VB && len % 8 == 0 && len > 0) {
		/* Blocks of 32, 64 and short groups: 8 lanes. Equal values have the
		 * same bits but for +0 and -0, where the one met first wins in
		 * order; so a zero result is redone in order below. */
		float l8[8], h8[8];
		int nb8[8] = {0};
		for (int j = 0; j < 8; j++) {
			l8[j] = INFINITY;
			h8[j] = -INFINITY;
		}
		for (int64_t i = 0; i < len; i += 8) {
			for (int j = 0; j < 8; j++) {
				float v = x[i + j];
				nb8[j] += !(fabsf(v) <= FLT_MAX);
				l8[j] = v < l8[j] ? v : l8[j];
				h8[j] = v > h8[j] ? v : h8[j];
			}
		}
		float l = *mn, h = *mx;
		int nb = 0;
		for (int j = 0; j < 8; j++) {
			l = l8[j] < l ? l8[j] : l;
			h = h8[j] > h ? h8[j] : h;
			nb += nb8[j];
		}
		if (l != 0.0f && h != 0.0f) {
			*mn = l;
			*mx = h;
			*bad += nb;
			return;
		}
	}
	if (len < 4 * VB) { /* short spans (groups, blocks): no lanes to set up */
		float l = *mn, h = *mx;
		int64_t nb = 0;
		for (int64_t i = 0; i < len; i++) {
			float v = x[i];
			nb += !(fabsf(v) <= FLT_MAX);
			l = v < l ? v : l;
			h = v > h ? v : h;
		}
		*mn = l;
		*mx = h;
		*bad += nb;
		return;
	}
	float lo[VB], hi[VB];
	int nb[VB];
	for (int j = 0; j < VB; j++) {
		lo[j] = INFINITY;
		hi[j] = -INFINITY;
		nb[j] = 0;
	}
	int64_t i = 0;
	while (i + VB <= len) {
		/* at most 2^20 blocks between flushes of the int counts */
		int64_t end = len - i > ((int64_t)VB << 20) ? i + ((int64_t)VB << 20) : len;
		for (; i + VB <= end; i += VB)
			scan_block(x + i, lo, hi, nb);
		for (int j = 0; j < VB; j++) {
			*bad += nb[j];
			nb[j] = 0;
		}
	}
	for (; i < len; i++) {
		float v = x[i];
		*bad += !(fabsf(v) <= FLT_MAX);
		lo[0] = v < lo[0] ? v : lo[0];
		hi[0] = v > hi[0] ? v : hi[0];
	}
	for (int j = 0; j < VB; j++) {
		*mn = minf(*mn, lo[j]);
		*mx = maxf(*mx, hi[j]);
	}
}

/* ---- the value histogram (ql_qopts.vhist) ---- */

void ql_qp_count_values(ql_ehist *v, const float *x, int64_t len)
{
	ql_ehist_add_values(v, x, (size_t)len);
}

void ql_qp_job_values(const qplan *p, ql_ehist *v, int64_t u0, int64_t u1)
{
	const int64_t one = p->vunit;
	if (u1 <= u0)
		return;
	if (p->by_rows) { /* rows [u0, u1): all of them, or column `one` */
		if (one < 0) {
			ql_qp_count_values(v, p->x + u0 * p->C, (u1 - u0) * p->C);
			return;
		}
		if (one >= p->C)
			return;
		float col[1024];
		int64_t k = 0;
		for (int64_t o = u0; o < u1; o++) {
			col[k++] = p->x[o * p->C + one];
			if (k == 1024 || o + 1 == u1) {
				ql_qp_count_values(v, col, k);
				k = 0;
			}
		}
		return;
	}
	if (p->trav == TRAV_CHUNKS) { /* one scale unit: the tensor */
		if (one > 0)
			return;
		int64_t s = u0 * JOB_ELEMS, e = u1 * JOB_ELEMS < p->n ? u1 * JOB_ELEMS : p->n;
		ql_qp_count_values(v, p->x + s, e - s);
		return;
	}
	if (one >= 0) {
		if (one < u0 || one >= u1)
			return;
		u0 = one;
		u1 = one + 1;
	}
	if (p->trav == TRAV_GROUPS) { /* consecutive groups are contiguous */
		int64_t s0, l0, s1, l1;
		group_span(p, u0, &s0, &l0);
		group_span(p, u1 - 1, &s1, &l1);
		ql_qp_count_values(v, p->x + s0, s1 + l1 - s0);
		return;
	}
	for (int64_t o = 0; o < p->outer; o++) /* channels [u0, u1) of each outer index */
		ql_qp_count_values(v, p->x + (o * p->C + u0) * p->inner, (u1 - u0) * p->inner);
}

void ql_qp_scan_job(void *arg, int64_t job)
{
	qplan *p = arg;
	int64_t u0, u1, bad = 0;
	job_units(p, job, &u0, &u1);
	if (p->vhpool) { /* the values first: the scan below finds them in cache */
		int slot;
		ql_ehist *v = ql_ehist_pool_take(p->vhpool, &slot);
		if (v) {
			ql_qp_job_values(p, v, u0, u1);
			ql_ehist_pool_give(p->vhpool, slot);
		}
	}
	if (p->by_rows) {
		/* rows [u0, u1), every column, into this job's own min/max */
		float *mn = p->jmin + job * p->C, *mx = p->jmax + job * p->C;
		for (int64_t c = 0; c < p->C; c++) {
			mn[c] = INFINITY;
			mx[c] = -INFINITY;
		}
#if QL_HAVE_AVX2_KERNELS
		if (p->C % 8 == 0 && ql_avx2_active()) { /* the same, 8 columns a vector */
			bad += ql_rows_range_avx2(p->x + u0 * p->C, u1 - u0, p->C, p->C, mn, mx);
			u1 = u0;
		}
#endif
		for (int64_t o = u0; o < u1; o++) {
			const float *xr = p->x + o * p->C;
			int nb[VB] = {0};
			int64_t c = 0;
			for (; c + VB <= p->C; c += VB)
				scan_block(xr + c, mn + c, mx + c, nb);
			for (; c < p->C; c++) {
				float v = xr[c];
				bad += !(fabsf(v) <= FLT_MAX);
				mn[c] = v < mn[c] ? v : mn[c];
				mx[c] = v > mx[c] ? v : mx[c];
			}
			for (int j = 0; j < VB; j++)
				bad += nb[j];
		}
		u0 = u1 = 0; /* (the loops below then do nothing) */
	}
	for (int64_t u = u0; u < u1; u++) {
		p->umin[u] = INFINITY;
		p->umax[u] = -INFINITY;
	}
	if (p->trav == TRAV_CHUNKS) {
		for (int64_t u = u0; u < u1; u++) {
			int64_t s = u * JOB_ELEMS, len = p->n - s < JOB_ELEMS ? p->n - s : JOB_ELEMS;
			ql_qp_scan_span(p->x + s, len, &p->umin[u], &p->umax[u], &bad);
		}
	} else if (p->trav == TRAV_GROUPS) {
		for (int64_t u = u0; u < u1; u++) {
			int64_t s, len;
			group_span(p, u, &s, &len);
			ql_qp_scan_span(p->x + s, len, &p->umin[u], &p->umax[u], &bad);
		}
	} else {
		for (int64_t o = 0; o < p->outer; o++)
			for (int64_t c = u0; c < u1; c++)
				ql_qp_scan_span(p->x + (o * p->C + c) * p->inner, p->inner, &p->umin[c],
					  &p->umax[c], &bad);
	}
	p->bad[job] = bad;
}

/* ---- calibrate ---- */

/* Copies the elements of scale unit u (channel or group) into buf. */
static int64_t gather_unit(const qplan *p, int64_t u, float *buf)
{
	if (p->trav == TRAV_GROUPS) {
		int64_t s, len;
		group_span(p, u, &s, &len);
		memcpy(buf, p->x + s, (size_t)len * sizeof *buf);
		return len;
	}
	int64_t k = 0;
	for (int64_t o = 0; o < p->outer; o++) {
		memcpy(buf + k, p->x + (o * p->C + u) * p->inner, (size_t)p->inner * sizeof *buf);
		k += p->inner;
	}
	return k;
}

/* Scale (and zero point) of unit u from its clipping range. */
void ql_qp_unit_params(qplan *p, int64_t u, float lo, float hi)
{
	ql_qresult *r = p->r;
	r->clip_lo[u] = lo;
	r->clip_hi[u] = hi;
	if (p->info->kind == QL_QK_FLOAT) {
		float amax = maxf(fabsf(lo), fabsf(hi));
		float s = amax / p->info->elem_max;
		r->scales[u] = amax == 0.0f ? 1.0f : maxf(s, FLT_MIN);
		return;
	}
	int32_t zp;
	ql_qparams_from_range_sd(lo, hi, p->qmin, p->qmax, p->sym, p->scale_dtype, &r->scales[u], &zp);
	if (r->zero_points)
		r->zero_points[u] = zp;
}

void ql_qp_calib_job(void *arg, int64_t job)
{
	qplan *p = arg;
	int64_t u0, u1;
	part(job, p->cal_per_job, p->nunits, &u0, &u1);
	float *buf = NULL;
	p->job_err[job] = 0;
	if (p->calib != QL_CALIB_MINMAX) {
		int64_t cap = p->trav == TRAV_GROUPS ? p->G : p->outer * p->inner;
		buf = malloc((size_t)(cap ? cap : 1) * sizeof *buf);
		if (!buf) {
			p->job_err[job] = 1;
			return;
		}
	}
	for (int64_t u = u0; u < u1; u++) {
		/* a unit's search can take half a millisecond (entropy on 32
		 * values) and a job has thousands: the cancel is seen per unit */
		if (buf && p->opts && p->opts->cancel && *p->opts->cancel)
			break;
		float lo, hi;
		if (!buf) {
			lo = p->umin[u] == INFINITY ? 0.0f : p->umin[u];
			hi = p->umax[u] == -INFINITY ? 0.0f : p->umax[u];
			if (p->sym) {
				float a = maxf(fabsf(lo), fabsf(hi));
				lo = -a;
				hi = a;
			}
		} else {
			int64_t k = gather_unit(p, u, buf);
			if (ql_calibrate(buf, (size_t)k, p->calib, p->percentile, p->sym, p->qmin,
					 p->qmax, &lo, &hi, NULL)) {
				p->job_err[job] = 1;
				break;
			}
		}
		ql_qp_unit_params(p, u, lo, hi);
	}
	free(buf);
}

/* Fused calibration (minmax, contiguous units): the unit's range is taken
 * just before it is quantized, while its values are still in cache. Returns
 * false at a non-finite value (the caller reports it). */
bool ql_qp_calib_unit_fused(qplan *p, int64_t u, int64_t start, int64_t len)
{
	int64_t bad = 0;
	p->umin[u] = INFINITY;
	p->umax[u] = -INFINITY;
	ql_qp_scan_span(p->x + start, len, &p->umin[u], &p->umax[u], &bad);
	if (bad)
		return false;
	if (p->blocky)
		return true;
	float lo = len ? p->umin[u] : 0.0f, hi = len ? p->umax[u] : 0.0f;
	if (p->sym) {
		float a = maxf(fabsf(lo), fabsf(hi));
		lo = -a;
		hi = a;
	}
	ql_qp_unit_params(p, u, lo, hi);
	return true;
}
