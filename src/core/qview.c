/* qview.c — the numbers the quantization explorer shows (qview.h).
 *
 * Everything here is read from a ql_qresult and the kernels of quant.h:
 * the grid of a unit is its codes run through the target's own
 * dequantizer, the cursor's value goes through the same quantizer, and
 * the error split uses the kernel's own clamp rule for the affine schemes.
 */
#include "qlens/qview.h"

#include "qreach.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Elements per unit along the last axis (groups and row blocks), and the
 * last axis's length. */
static int64_t last_len(const ql_qresult *r)
{
	return r->ndim > 0 ? r->shape[r->ndim - 1] : 1;
}

int64_t ql_qview_unit_of(const ql_qresult *r, int64_t i)
{
	const ql_scheme *s = &r->scheme;
	int64_t last = last_len(r), per;
	switch (s->gran) {
	case QL_GRAN_TENSOR:
		return 0;
	case QL_GRAN_CHANNEL: {
		int64_t stride = 1;
		for (int d = s->axis + 1; d < r->ndim; d++)
			stride *= r->shape[d];
		return (i / stride) % r->shape[s->axis];
	}
	case QL_GRAN_GROUP:
		per = s->group;
		break;
	case QL_GRAN_BLOCK:
	default:
		if (s->dtype == QL_Q_NF4)
			return i / QL_NF4_BLOCK;
		per = ql_qdtype_of(s->dtype)->block;
		break;
	}
	if (last <= 0 || per <= 0)
		return 0;
	int64_t per_row = (last + per - 1) / per;
	return (i / last) * per_row + (i % last) / per;
}

/* The elements of a unit lie in runs: one per outer index for a channel,
 * one run for a group or block. They are copied run by run, in C order, the
 * elements ql_qview_unit_of gives `unit` (a filter over every element with
 * a division each took most of a second on 64M values, after every key). */
int64_t ql_qview_gather(const ql_qresult *r, const float *x, int64_t unit, float *out)
{
	const ql_scheme *s = &r->scheme;
	int64_t n = r->nelem, last = last_len(r), per = 0, k = 0;
	if (n <= 0 || unit < 0)
		return 0;
	switch (s->gran) {
	case QL_GRAN_TENSOR:
		break;
	case QL_GRAN_CHANNEL: {
		int64_t stride = 1, C = r->shape[s->axis];
		for (int d = s->axis + 1; d < r->ndim; d++)
			stride *= r->shape[d];
		if (unit >= C)
			return 0;
		for (int64_t base = unit * stride; base < n; base += C * stride) {
			memcpy(out + k, x + base, (size_t)stride * sizeof *x);
			k += stride;
		}
		return k;
	}
	case QL_GRAN_GROUP:
		per = s->group;
		break;
	case QL_GRAN_BLOCK:
	default:
		per = s->dtype == QL_Q_NF4 ? QL_NF4_BLOCK : ql_qdtype_of(s->dtype)->block;
		if (s->dtype == QL_Q_NF4)
			last = n; /* flat blocks: i / QL_NF4_BLOCK */
		break;
	}
	int64_t start = 0, end = n; /* one run */
	if (per > 0 && last > 0) {
		int64_t per_row = (last + per - 1) / per, row = unit / per_row, g = unit % per_row;
		start = row * last + g * per;
		end = start + per < (row + 1) * last ? start + per : (row + 1) * last;
		end = end < n ? end : n;
	} else if (unit != 0) {
		return 0; /* every element is unit 0 */
	}
	if (start >= end)
		return 0;
	memcpy(out, x + start, (size_t)(end - start) * sizeof *x);
	return end - start;
}

static int32_t zero_point_of(const ql_qresult *r, int64_t unit)
{
	if (r->zero_points)
		return r->zero_points[unit];
	return (r->qmin + r->qmax) / 2;
}

/* The value code q dequantizes to with the unit's scale `scale` (and zero
 * point zp for the affine targets), through the target's kernel. */
static float dequant_code(const ql_qresult *r, int32_t q, float scale, int32_t zp)
{
	ql_qdtype t = r->scheme.dtype;
	const ql_qdtype_info *ti = ql_qdtype_of(t);
	float y = NAN;
	uint8_t c = (uint8_t)q;
	switch (ti->kind) {
	case QL_QK_INT:
		if (r->codes_signed) {
			int8_t sc = (int8_t)q;
			ql_affine_dequantize_s8(&sc, 1, scale, zp, &y);
		} else {
			ql_affine_dequantize_u8(&c, 1, scale, zp, &y);
		}
		break;
	case QL_QK_FLOAT:
		ql_float_dequantize(ti->elem, &c, 1, scale, &y);
		break;
	case QL_QK_MX:
		y = ql_mx_elem_value(t, c) * scale;
		break;
	case QL_QK_NF4:
		ql_nf4_dequantize(&c, &scale, 1, &y);
		break;
	case QL_QK_GGML: {
		float out[32];
		if (t == QL_Q_Q8_0) {
			ql_block_q8_0 b;
			b.d = ql_fp16_from_f32(scale);
			memset(b.qs, (int8_t)q, sizeof b.qs);
			ql_dequantize_row_q8_0(&b, out, 32);
		} else if (t == QL_Q_Q4_0) {
			ql_block_q4_0 b;
			b.d = ql_fp16_from_f32(scale);
			memset(b.qs, (int)(c | c << 4), sizeof b.qs);
			ql_dequantize_row_q4_0(&b, out, 32);
		} else {
			/* the other block formats of blockfmt.h (k-quants, IQ4, ...):
			 * a code's value depends on its sub-block's scale (and min),
			 * so there is no one grid per unit to draw */
			break;
		}
		y = out[0];
		break;
	}
	}
	return y;
}

typedef struct level {
	double v;
	int32_t code;
} level;

static int cmp_level(const void *a, const void *b)
{
	const level *x = a, *y = b;
	if (x->v != y->v)
		return x->v < y->v ? -1 : 1;
	return x->code < y->code ? -1 : x->code > y->code;
}

static int levels_with(const ql_qresult *r, float scale, int32_t zp, double *lv, int32_t *codes,
		       int max)
{
	level all[512];
	int n = 0;
	for (int32_t q = r->qmin; q <= r->qmax && n < 512; q++) {
		if (r->scheme.dtype == QL_Q_MXINT8 && q == -128)
			continue;
		float y = dequant_code(r, q, scale, zp);
		if (isfinite(y))
			all[n++] = (level){y == 0 ? 0.0 : (double)y, q};
	}
	qsort(all, (size_t)n, sizeof all[0], cmp_level);
	int k = 0;
	for (int i = 0; i < n && k < max; i++) {
		if (i > 0 && all[i].v == all[i - 1].v)
			continue;
		lv[k] = all[i].v;
		if (codes)
			codes[k] = all[i].code;
		k++;
	}
	return k;
}

int ql_qview_levels(const ql_qresult *r, int64_t unit, double *lv, int32_t *codes, int max)
{
	if (unit < 0 || unit >= r->nscales)
		return 0;
	return levels_with(r, r->scales[unit], zero_point_of(r, unit), lv, codes, max);
}

/* The reach of the grid at scale 1, for the non-affine targets: beyond
 * [lo, hi] (times the unit's scale) a value saturates. */
typedef struct reach {
	double lo, hi;
} reach;

static reach unit_reach(const ql_qresult *r)
{
	double lv[QL_QVIEW_MAX_LEVELS];
	int n = levels_with(r, 1.0f, 0, lv, NULL, QL_QVIEW_MAX_LEVELS);
	reach re = {-INFINITY, INFINITY};
	if (n >= 2) {
		re.lo = lv[0] - (lv[1] - lv[0]) / 2;
		re.hi = lv[n - 1] + (lv[n - 1] - lv[n - 2]) / 2;
	}
	return re;
}

void ql_qview_reach(const ql_qresult *r, double *lo, double *hi)
{
	reach re = unit_reach(r);
	*lo = re.lo;
	*hi = re.hi;
}

static bool clipped_with(const ql_qresult *r, const reach *re, int64_t i, float xi)
{
	int64_t u = ql_qview_unit_of(r, i);
	float scale = r->scales[u];
	const ql_qdtype_info *ti = ql_qdtype_of(r->scheme.dtype);
	if (ti->kind == QL_QK_INT) {
		/* the kernel's clamp, in its float32 arithmetic */
		float inv = 1.0f / scale;
		float q = (float)zero_point_of(r, u) + rintf(xi * inv);
		return q < (float)r->qmin || q > (float)r->qmax;
	}
	if (ti->kind == QL_QK_FLOAT) { /* the kernel's saturation, asked of it */
		uint8_t c;
		return ql_float_quantize(ti->elem, &xi, 1, scale, &c) != 0;
	}
	double a = re->lo * scale, b = re->hi * scale;
	double lo = a < b ? a : b, hi = a < b ? b : a;
	return xi < lo || xi > hi;
}

bool ql_qview_is_clipped(const ql_qresult *r, int64_t i, float xi)
{
	reach re = unit_reach(r);
	return clipped_with(r, &re, i, xi);
}

#define CHUNK (1 << 16)

/* The units of elements 0, 1, 2, ... in turn, without a division each:
 * ql_qview_unit_of's rules as counters. */
typedef struct unit_iter {
	int64_t u;      /* the unit of the next element */
	int64_t k;      /* elements left before the unit changes */
	int64_t span;   /* elements per step of the unit */
	int64_t wrap;   /* units before u wraps to 0 (channels), or 0 */
	int64_t row_left, row_len, per_row, row; /* along the last axis */
	bool rows;
} unit_iter;

static void iter_init(unit_iter *it, const ql_qresult *r)
{
	memset(it, 0, sizeof *it);
	const ql_scheme *s = &r->scheme;
	int64_t last = last_len(r), per = 0;
	if (s->gran == QL_GRAN_TENSOR) {
		it->span = INT64_MAX;
	} else if (s->gran == QL_GRAN_CHANNEL) {
		it->span = 1;
		for (int d = s->axis + 1; d < r->ndim; d++)
			it->span *= r->shape[d];
		it->wrap = r->shape[s->axis];
	} else if (s->gran == QL_GRAN_BLOCK && s->dtype == QL_Q_NF4) {
		it->span = QL_NF4_BLOCK;
	} else {
		per = s->gran == QL_GRAN_GROUP ? s->group : ql_qdtype_of(s->dtype)->block;
		it->rows = true;
		it->span = per > 0 ? per : 1;
		it->row_len = last;
		it->row_left = last;
		it->per_row = last > 0 ? (last + it->span - 1) / it->span : 0;
	}
	if (it->span <= 0)
		it->span = 1;
	it->k = it->span;
}

static inline int64_t iter_next(unit_iter *it)
{
	int64_t u = it->u;
	if (it->rows) {
		if (--it->row_left == 0) { /* next row: its first group */
			it->row++;
			it->row_left = it->row_len;
			it->u = it->row * it->per_row;
			it->k = it->span;
		} else if (--it->k == 0) {
			it->u++;
			it->k = it->span;
		}
		return u;
	}
	if (--it->k == 0) {
		it->k = it->span;
		it->u++;
		if (it->wrap && it->u == it->wrap)
			it->u = 0;
	}
	return u;
}

/* Rounding = all - clipped, bin by bin, on the edges of all's shown bins
 * (every fine bin of clip is one of all's, so the fill is exact). */
int ql_qview_split_hists(const ql_ehist *all, const ql_ehist *clip, int nbins, ql_hist *round,
			 ql_hist *clipped, ql_error *err)
{
	memset(clipped, 0, sizeof *clipped);
	int rc = ql_ehist_finish(all, nbins, round, err);
	if (rc < 0)
		return -1;
	if (rc == 0) { /* no error but 0 (or none): 0 on the edge of two bins */
		if (ql_hist_init(round, 2, 0.0, 0.0, err))
			return -1;
		ql_ehist_fill(all, round);
	}
	if (ql_hist_init(clipped, round->nbins, round->lo, round->hi, err)) {
		ql_hist_free(round);
		return -1;
	}
	if (clip && ql_ehist_fill(clip, clipped) != 0) {
		ql_hist_free(round);
		ql_hist_free(clipped);
		return ql_error_set(err, "the clipped errors do not fit the bins of all errors");
	}
	for (int j = 0; j < round->nbins; j++)
		round->counts[j] -= clipped->counts[j];
	round->below -= clipped->below;
	round->above -= clipped->above;
	round->nan -= clipped->nan;
	round->total -= clipped->total;
	return 0;
}

int ql_qview_error_hists(const float *x, const ql_qresult *r, int nbins, ql_hist *round,
			 ql_hist *clip, const volatile int *cancel, ql_error *err)
{
	const float *y = r->dequant;
	memset(round, 0, sizeof *round);
	memset(clip, 0, sizeof *clip);
	if (!y)
		return ql_error_set(err, "the result has no dequantized values");
	ql_ehist all, cl;
	if (ql_ehist_init(&all, err))
		return -1;
	if (ql_ehist_init(&cl, err)) {
		ql_ehist_free(&all);
		return -1;
	}
	reach re = unit_reach(r);
	unit_iter it;
	iter_init(&it, r);
	const ql_qdtype_info *ti = ql_qdtype_of(r->scheme.dtype);
	/* the kernel clamped (saturated) nothing: every error is a rounding one */
	const bool none = r->metrics.clipped == 0;
	int64_t cur = -1;
	float scale = 0, inv = 0, zp = 0, ulo = 0, uhi = 0;
	enum { B = 256 };
	float cx[B], cy[B];
	int nc = 0;
	int rc = 0;
	for (int64_t i0 = 0; i0 < r->nelem && !rc; i0 += CHUNK) {
		if (cancel && *cancel) {
			rc = 1;
			break;
		}
		int64_t i1 = r->nelem - i0 < CHUNK ? r->nelem : i0 + CHUNK;
		ql_ehist_add(&all, x + i0, y + i0, (size_t)(i1 - i0));
		for (int64_t i = i0; i < i1 && !none; i++) {
			int64_t u = iter_next(&it);
			if (u != cur) { /* the unit's numbers, once per unit */
				cur = u;
				scale = r->scales[u];
				inv = 1.0f / scale;
				zp = (float)zero_point_of(r, u);
				ql_reach_unit(re.lo, re.hi, scale, &ulo, &uhi);
			}
			bool c;
			if (ti->kind == QL_QK_INT) { /* the kernel's clamp, in its float32 arithmetic */
				float q = zp + rintf(x[i] * inv);
				c = q < (float)r->qmin || q > (float)r->qmax;
			} else if (ti->kind == QL_QK_FLOAT) { /* the kernel's saturation */
				uint8_t code;
				c = ql_float_quantize(ti->elem, x + i, 1, scale, &code) != 0;
			} else {
				c = x[i] < ulo || x[i] > uhi;
			}
			if (c) {
				cx[nc] = x[i];
				cy[nc] = y[i];
				if (++nc == B) {
					ql_ehist_add(&cl, cx, cy, B);
					nc = 0;
				}
			}
		}
	}
	if (nc)
		ql_ehist_add(&cl, cx, cy, (size_t)nc);
	if (!rc && ql_qview_split_hists(&all, &cl, nbins, round, clip, err))
		rc = -1;
	ql_ehist_free(&all);
	ql_ehist_free(&cl);
	return rc;
}

/* Adds cnt over the columns [a, e) covers, a and e in column units (0 is
 * the view's lo, width its hi), each its share of the overlap; an interval
 * too narrow to have width there goes whole to the column of a. */
static void spread(double a, double e, double cnt, int width, double *out)
{
	if (!(e > a)) { /* a point, or too narrow to tell from one here */
		if (a < 0 || a > width)
			return;
		int c = (int)floor(a);
		out[c >= width ? width - 1 : c] += cnt;
		return;
	}
	if (e <= 0 || a >= width)
		return;
	int ca = a < 0 ? 0 : (int)floor(a), cb = e >= width ? width - 1 : (int)floor(e);
	for (int c = ca; c <= cb; c++) {
		double ov = (e < c + 1 ? e : c + 1) - (a > c ? a : c);
		if (ov > 0)
			out[c] += cnt * ov / (e - a);
	}
}

void ql_qview_columns(const ql_hist *h, double lo, double hi, int width, double *out)
{
	for (int c = 0; c < width; c++)
		out[c] = 0;
	if (!h || !h->counts || width <= 0 || !(hi > lo) || h->nbins < 1)
		return;
	const double bw = (h->hi - h->lo) / h->nbins, k = width / (hi - lo);
	for (int i = 0; i < h->nbins; i++) {
		if (!h->counts[i])
			continue;
		double a = h->lo + i * bw, b = i + 1 == h->nbins ? h->hi : h->lo + (i + 1) * bw;
		spread((a - lo) * k, (b - lo) * k, (double)h->counts[i], width, out);
	}
}

/* ---- unequal bins: a fine histogram's own ---- */

typedef struct collect {
	ql_vbins *b;
	int64_t cap;
	bool oom;
} collect;

static void collect_bin(void *arg, double lo, double w, int64_t c)
{
	collect *a = arg;
	ql_vbins *b = a->b;
	b->total += c;
	if (isnan(lo) || a->oom)
		return;
	if (b->n == a->cap) {
		int64_t cap = a->cap ? 2 * a->cap : 1024;
		double *l = realloc(b->lo, (size_t)cap * sizeof *l);
		if (l)
			b->lo = l;
		double *w2 = l ? realloc(b->w, (size_t)cap * sizeof *w2) : NULL;
		if (w2)
			b->w = w2;
		int64_t *c2 = w2 ? realloc(b->count, (size_t)cap * sizeof *c2) : NULL;
		if (!c2) {
			a->oom = true;
			return;
		}
		b->count = c2;
		a->cap = cap;
	}
	b->lo[b->n] = lo;
	b->w[b->n] = w;
	b->count[b->n] = c;
	b->n++;
}

typedef struct vbin {
	double lo, w;
	int64_t c;
} vbin;

static int cmp_vbin(const void *x, const void *y)
{
	const vbin *a = x, *b = y;
	return a->lo < b->lo ? -1 : a->lo > b->lo;
}

void ql_vbins_free(ql_vbins *b)
{
	free(b->lo);
	free(b->w);
	free(b->count);
	memset(b, 0, sizeof *b);
}

int ql_qview_fine_bins(const ql_ehist *f, ql_vbins *b, ql_error *err)
{
	memset(b, 0, sizeof *b);
	collect a = {b, 0, false};
	ql_ehist_each(f, collect_bin, &a);
	vbin *v = a.oom ? NULL : malloc((size_t)(b->n ? b->n : 1) * sizeof *v);
	if (!v) {
		ql_vbins_free(b);
		return ql_error_set(err, "out of memory for a histogram");
	}
	for (int64_t i = 0; i < b->n; i++)
		v[i] = (vbin){b->lo[i], b->w[i], b->count[i]};
	qsort(v, (size_t)b->n, sizeof *v, cmp_vbin); /* no two bins share a left edge */
	for (int64_t i = 0; i < b->n; i++) {
		/* cut to the values' own range: the largest value lies on the
		 * left edge of its bin as often as not ([max, max + w), 3.5 or
		 * 1.0, say), and a view ending at it would leave its bin out;
		 * [lo, max] keeps it in, as np.histogram's closed last bin */
		double l = v[i].lo > f->min ? v[i].lo : f->min;
		double h = v[i].lo + v[i].w < f->max ? v[i].lo + v[i].w : f->max;
		b->lo[i] = l;
		b->w[i] = h > l ? h - l : 0;
		b->count[i] = v[i].c;
	}
	free(v);
	return 0;
}

int ql_vbins_copy(const ql_vbins *a, ql_vbins *b, ql_error *err)
{
	memset(b, 0, sizeof *b);
	size_t n = (size_t)(a->n ? a->n : 1);
	b->lo = malloc(n * sizeof *b->lo);
	b->w = malloc(n * sizeof *b->w);
	b->count = malloc(n * sizeof *b->count);
	if (!b->lo || !b->w || !b->count) {
		ql_vbins_free(b);
		return ql_error_set(err, "out of memory for a histogram");
	}
	if (a->n) {
		memcpy(b->lo, a->lo, (size_t)a->n * sizeof *b->lo);
		memcpy(b->w, a->w, (size_t)a->n * sizeof *b->w);
		memcpy(b->count, a->count, (size_t)a->n * sizeof *b->count);
	}
	b->n = a->n;
	b->total = a->total;
	return 0;
}

void ql_qview_fine_columns(const ql_vbins *b, double lo, double hi, int width, double *out)
{
	for (int c = 0; c < width; c++)
		out[c] = 0;
	if (!b || width <= 0 || !(hi > lo))
		return;
	const double k = width / (hi - lo);
	for (int64_t i = 0; i < b->n; i++) {
		double a = b->lo[i], e = a + b->w[i];
		if (b->w[i] == 0) { /* a point: [lo, hi] holds it, hi too */
			if (a >= lo && a <= hi) { /* (hi - lo) * (width / (hi - lo)) may pass width */
				int c = (int)floor((a - lo) * k);
				out[c < 0 ? 0 : c >= width ? width - 1 : c] += (double)b->count[i];
			}
			continue;
		}
		spread((a - lo) * k, (e - lo) * k, (double)b->count[i], width, out);
	}
}

int ql_qview_calib_marks(const float *x, size_t n, const ql_scheme *s, int32_t qmin, int32_t qmax,
			 float lo[QL_CALIB_COUNT], float hi[QL_CALIB_COUNT], ql_error *err)
{
	bool sym = ql_scheme_symmetry(s) == QL_SYM;
	for (int m = 0; m < QL_CALIB_COUNT; m++)
		if (ql_calibrate(x, n, (ql_calib)m, s->percentile, sym, qmin, qmax, &lo[m], &hi[m], err))
			return -1;
	return 0;
}

int ql_qview_point(const ql_qresult *r, int64_t unit, float x, int32_t *code, float *xhat)
{
	if (!isfinite(x) || unit < 0 || unit >= r->nscales)
		return -1;
	const ql_qdtype_info *ti = ql_qdtype_of(r->scheme.dtype);
	float scale = r->scales[unit];
	int32_t zp = zero_point_of(r, unit);
	if (ti->kind == QL_QK_INT) {
		if (r->codes_signed) {
			int8_t q;
			ql_affine_quantize_s8(&x, 1, scale, zp, r->qmin, r->qmax, &q);
			ql_affine_dequantize_s8(&q, 1, scale, zp, xhat);
			*code = q;
		} else {
			uint8_t q;
			ql_affine_quantize_u8(&x, 1, scale, zp, r->qmin, r->qmax, &q);
			ql_affine_dequantize_u8(&q, 1, scale, zp, xhat);
			*code = q;
		}
		return 0;
	}
	if (ti->kind == QL_QK_FLOAT) {
		uint8_t q;
		ql_float_quantize(ti->elem, &x, 1, scale, &q);
		ql_float_dequantize(ti->elem, &q, 1, scale, xhat);
		*code = q;
		return 0;
	}
	double lv[QL_QVIEW_MAX_LEVELS];
	int32_t codes[QL_QVIEW_MAX_LEVELS];
	int n = ql_qview_levels(r, unit, lv, codes, QL_QVIEW_MAX_LEVELS);
	if (n == 0)
		return -1;
	int best = 0;
	for (int k = 1; k < n; k++)
		if (fabs(lv[k] - x) < fabs(lv[best] - x))
			best = k;
	*code = codes[best];
	*xhat = (float)lv[best];
	return 0;
}

/* snprintf at buf + *k, keeping *k the length it would have. */
static void append(char *buf, size_t n, int *k, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void append(char *buf, size_t n, int *k, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	size_t at = *k >= 0 && (size_t)*k < n ? (size_t)*k : n;
	int m = vsnprintf(at < n ? buf + at : NULL, at < n ? n - at : 0, fmt, ap);
	va_end(ap);
	if (m > 0)
		*k += m;
}

int ql_qview_scheme_args(const ql_scheme *s, char *buf, size_t n)
{
	int k = 0;
	if (n)
		buf[0] = '\0';
	append(buf, n, &k, "--dtype %s", ql_qdtype_name(s->dtype));
	if (s->sym == QL_SYM)
		append(buf, n, &k, " --sym");
	else if (s->sym == QL_ASYM)
		append(buf, n, &k, " --asym");
	if (s->gran == QL_GRAN_CHANNEL)
		append(buf, n, &k, " --axis %d", s->axis);
	else if (s->gran == QL_GRAN_GROUP)
		append(buf, n, &k, " --group %lld", (long long)s->group);
	if (s->has_scale) {
		append(buf, n, &k, " --scale %.9g", (double)s->scale);
		if (s->has_zero_point)
			append(buf, n, &k, " --zero-point %d", (int)s->zero_point);
	} else if (s->calib == QL_CALIB_PERCENTILE) {
		append(buf, n, &k, " --calib percentile:%g", s->percentile);
	} else if (s->calib != QL_CALIB_MINMAX) {
		append(buf, n, &k, " --calib %s", ql_calib_name(s->calib));
	}
	return k;
}
