/* quantize_units.c — ql_quantize's quantize step (qplan.h): codes, raw
 * blocks, dequantized values and the error sums of a job's units. Block
 * targets go through their entry of the type table (quantize_block, and
 * fast_units where there is a fused loop); nothing here names a format.
 */
#include "qplan.h"

#include <math.h>
#include <string.h>

#include "qlens/affine.h"
#include "qlens/scaled.h"
#include "ehist_pool.h"
#include "elem.h"
#include "lanes.h"
#include "qreach.h"
#include "quant_avx2.h"
#include "simd.h"

/* ql_metrics_add of a tile (sums, and the error histogram if acc has one):
 * by the AVX2 metric step where it applies (the same bits). */
static void tile_metrics(ql_metrics_acc *acc, const float *x, const float *y, int64_t w)
{
#if QL_HAVE_AVX2_KERNELS
	if (w % 8 == 0 && ql_avx2_active()) {
		ql_tile_acc_avx2(acc, x, y, w);
		return;
	}
#endif
	ql_metrics_add(acc, x, y, (size_t)w);
}

/* ---- the clipped errors (ql_qopts.ehist_clip) ----
 *
 * Where a kernel call reports clamps, the elements it clamped are found
 * again in the tile it just made (still in L1) by the kernel's own rule,
 * and their errors counted. Affine: zp + rint(x * (1 / scale)) outside
 * [qmin, qmax], in float32, computed as affine.c's affine_code computes
 * it. Scaled float: the kernel's saturation test (fp8), or the kernel
 * itself one element at a time (the other formats). Block formats (their
 * kernels count clamps per block): after the job's blocks are made, while
 * they are in cache, the elements beyond the unit's reach (qreach.h), the
 * rule of the explorer's own pass (qview.c). */

typedef struct clipbuf {
	ql_ehist *ch;
	int n;
	float x[256], y[256];
} clipbuf;

static inline void clip_put(clipbuf *b, float x, float y)
{
	b->x[b->n] = x;
	b->y[b->n] = y;
	if (++b->n == 256) {
		ql_ehist_add(b->ch, b->x, b->y, 256);
		b->n = 0;
	}
}

static void clip_flush(clipbuf *b)
{
	if (b->n)
		ql_ehist_add(b->ch, b->x, b->y, (size_t)b->n);
	b->n = 0;
}

/* The kernel's verdict (affine.c's affine_code): v = x * inv clamped to
 * [qmin - zp - 1, qmax - zp + 1], rounded half to even by the 1.5 * 2^23
 * trick, plus zp, outside [qmin, qmax]. Written branch-free, as the kernel
 * is, so that it vectorises; the clipped ones are then put aside. */
#define RNE_MAGIC 12582912.0f
static inline int affine_clamps(float x, float inv, float zpf, float qminf, float qmaxf)
{
	float v = x * inv, lo = qminf - zpf - 1.0f, hi = qmaxf - zpf + 1.0f;
	v = v > lo ? v : lo;
	v = v < hi ? v : hi;
	float q = zpf + ((v + RNE_MAGIC) - RNE_MAGIC);
	return (q < qminf) | (q > qmaxf);
}

static void clip_marked(ql_ehist *ch, const float *x, const float *y, const uint8_t *m, int64_t w)
{
	clipbuf b = {.ch = ch};
	for (int64_t j = 0; j < w; j++)
		if (m[j])
			clip_put(&b, x[j], y[j]);
	clip_flush(&b);
}

/* The clipped ones of w (<= TILE) elements of one affine unit. */
QL_SIMD_CLONES
static void clip_affine(ql_ehist *ch, const float *x, const float *y, int64_t w, float scale,
			int32_t zp, int32_t qmin, int32_t qmax)
{
	uint8_t m[TILE];
	const float inv = 1.0f / scale, zpf = (float)zp, lo = (float)qmin, hi = (float)qmax;
	for (int64_t j = 0; j < w; j++)
		m[j] = (uint8_t)affine_clamps(x[j], inv, zpf, lo, hi);
	clip_marked(ch, x, y, m, w);
}

/* The clipped ones of w (<= TILE) elements of row tile t of the last-axis
 * channels (each column its own inv and zero point). */
QL_SIMD_CLONES
static void clip_cols(ql_ehist *ch, const ql_col_params *cp, int64_t t, const float *x,
		      const float *y, int64_t w, int32_t qmin, int32_t qmax)
{
	uint8_t m[TILE];
	const float lo = (float)qmin, hi = (float)qmax;
	const float *inv = cp->inv + t, *zpf = cp->zpf + t;
	for (int64_t j = 0; j < w; j++)
		m[j] = (uint8_t)affine_clamps(x[j], inv[j], zpf[j], lo, hi);
	clip_marked(ch, x, y, m, w);
}

/* The saturated ones of w (<= TILE) elements of a scaled-float unit: fp8
 * by the kernel's own test (scaled.c: elem_saturates of x * inv, the one
 * its AVX2 path equals), vectorised; other formats by asking the kernel,
 * one element at a time. */
QL_SIMD_CLONES
static void clip_float(ql_ehist *ch, ql_type fmt, const float *x, const float *y, int64_t w,
		       float scale)
{
	uint8_t m[TILE];
	if (fmt == QL_FP8_E4M3 || fmt == QL_FP8_E5M2) {
		const float inv = 1.0f / scale;
		const uint32_t sat = fmt == QL_FP8_E4M3 ? ELEM_E4M3_SAT_FIRST : ELEM_E5M2_SAT_FIRST;
		for (int64_t j = 0; j < w; j++)
			m[j] = (uint8_t)elem_saturates(x[j] * inv, sat);
	} else {
		for (int64_t j = 0; j < w; j++) {
			uint8_t c;
			m[j] = ql_float_quantize(fmt, x + j, 1, scale, &c) != 0;
		}
	}
	clip_marked(ch, x, y, m, w);
}

/* The clipped ones of block units [u0, u1), from the kept dequantized
 * values: beyond the grid's reach at the unit's scale. */
static void clip_blocks(const qplan *p, ql_ehist *ch, int64_t u0, int64_t u1)
{
	const ql_qresult *r = p->r;
	clipbuf b = {.ch = ch};
	for (int64_t u = u0; u < u1; u++) {
		int64_t s, len;
		unit_span(p, u, &s, &len);
		float lo, hi;
		ql_reach_unit(p->reach_lo, p->reach_hi, r->scales[u], &lo, &hi);
		if (p->umin[u] >= lo && p->umax[u] <= hi)
			continue; /* the block's range (from its scan) is inside: most are */
		const float *x = p->x + s, *y = r->dequant + s;
		for (int64_t j = 0; j < len; j++)
			if (x[j] < lo || x[j] > hi)
				clip_put(&b, x[j], y[j]);
	}
	clip_flush(&b);
}

/* The clipped errors' histogram of the job whose sums are acc, or NULL. */
static inline ql_ehist *job_clip(const qplan *p, const ql_metrics_acc *acc)
{
	return p->jclip ? p->jclip[acc - p->acc] : NULL;
}

/* Quantizes x[off, off + len) with scale unit s. The dequantized values go
 * to result.dequant, or to `defer` (len <= TILE) when the caller adds the
 * errors of several short spans at once, or else to a tile here whose
 * errors are added at once. */
static void quant_span(qplan *p, int64_t off, int64_t len, int64_t s, ql_metrics_acc *acc,
		       float *defer)
{
	ql_qresult *r = p->r;
	const float *x = p->x + off;
	float tile[TILE];
	uint8_t ctile[TILE]; /* the codes when none are kept (opts.no_codes) */
	const float scale = r->scales[s];
	const int32_t z = r->zero_points ? r->zero_points[s] : 0;
	ql_ehist *ch = job_clip(p, acc);

	/* In the fused pass the next unit is scanned right after this one:
	 * its lines are asked for now, while this one is worked on in cache,
	 * so the memory works while the core does (each tile fetches the
	 * same share of it). */
	const int64_t ahead = p->fused && off + 2 * len <= p->n ? len : 0;
	for (int64_t t = 0; t < len; t += TILE) {
		int64_t w = len - t < TILE ? len - t : TILE;
		for (int64_t k = 0; k < (ahead ? w : 0); k += 64 / (int64_t)sizeof *x)
			__builtin_prefetch(x + ahead + t + k);
		uint8_t *ct = r->codes ? r->codes + off + t : ctile; /* this tile's codes */
		float *y = r->dequant ? r->dequant + off + t : defer ? defer + t : tile;
		bool deq = !p->no_metrics || r->dequant || defer;
		if (p->info->kind == QL_QK_FLOAT) {
			int64_t v = 0, c = 0; /* v: values done by the AVX2 pass (codes and values at once) */
#if QL_HAVE_AVX2_KERNELS
			if (deq && (p->info->elem == QL_FP8_E4M3 || p->info->elem == QL_FP8_E5M2) &&
			    ql_avx2_active()) {
				v = w / 32 * 32;
				c += ql_fp8_qdq_avx2(p->info->elem, x + t, (size_t)v, scale, ct, y);
			}
#endif
			c += ql_float_quantize(p->info->elem, x + t + v, (size_t)(w - v), scale, ct + v);
			acc->clipped += c;
			if (deq)
				ql_float_dequantize(p->info->elem, ct + v, (size_t)(w - v), scale, y + v);
			if (c && ch) /* (ch implies the metrics, so deq) */
				clip_float(ch, p->info->elem, x + t, y, w, scale);
			if (!p->no_metrics && !defer)
				tile_metrics(acc, x + t, y, w);
			continue;
		}
		/* Affine: one fused pass; the dequantized values are stored only
		 * if someone reads them, the sums are those of ql_metrics_add
		 * and the kernel counts the error histogram (acc->eh) too. */
		ql_metrics_acc *sums = !p->no_metrics && !defer ? acc : NULL;
		/* the clipped errors (ch) read the tile just made, still in cache */
		float *yo = r->dequant || defer || ch ? y : NULL;
		int64_t c;
		if (p->info->is_signed)
			c = ql_affine_qdq_s8(x + t, (size_t)w, scale, z, p->qmin, p->qmax, (int8_t *)ct,
					     yo, sums);
		else
			c = ql_affine_qdq_u8(x + t, (size_t)w, scale, z, p->qmin, p->qmax, ct, yo,
					     sums);
		acc->clipped += c;
		if (c && ch)
			clip_affine(ch, x + t, y, w, scale, z, p->qmin, p->qmax);
	}
}

/* Channels along the last axis: columns [c0, c1) of row o. */
QL_SIMD_CLONES
static void quant_cols(qplan *p, int64_t o, ql_metrics_acc *acc)
{
	ql_qresult *r = p->r;
	const float qminf = (float)p->qmin, qmaxf = (float)p->qmax;
	for (int64_t t = 0; t < p->C; t += TILE) {
		int64_t w = p->C - t < TILE ? p->C - t : TILE;
		int64_t off = o * p->C + t;
		float tile[TILE];
		uint8_t ctile[TILE]; /* the codes when none are kept (opts.no_codes) */
		uint8_t *codes = r->codes ? r->codes + off : ctile;
		float *y = r->dequant ? r->dequant + off : tile;
		int64_t c;
#if QL_HAVE_AVX2_KERNELS
		/* codes and dequantized values in one AVX2 pass, then the sums
		 * and histogram of the tile (ql_metrics_add's, bit for bit) */
		if (w % 32 == 0 && !(p->no_metrics && !r->dequant) && ql_avx2_active()) {
			c = ql_cols_qdq_avx2(p->info->is_signed, p->x + off, w, p->cp.inv + t,
					     p->cp.zpf + t, r->scales + t, p->qmin, p->qmax, codes, y);
			acc->clipped += c;
			if (!p->no_metrics)
				tile_metrics(acc, p->x + off, y, w);
			if (c && job_clip(p, acc))
				clip_cols(job_clip(p, acc), &p->cp, t, p->x + off, y, w, p->qmin,
					  p->qmax);
			continue;
		}
#endif
		if (p->info->is_signed)
			c = ql_cols_span_s8(p->x + off, (size_t)w, &p->cp, (size_t)t, qminf, qmaxf,
					    (int8_t *)codes);
		else
			c = ql_cols_span_u8(p->x + off, (size_t)w, &p->cp, (size_t)t, qminf, qmaxf,
					    codes);
		acc->clipped += c;
		if (p->no_metrics && !r->dequant)
			continue;
		const float *zpf = p->cp.zpf + t, *sc = r->scales + t;
		if (p->info->is_signed) {
			const int8_t *q = (const int8_t *)codes;
			for (int64_t j = 0; j < w; j++)
				y[j] = ((float)q[j] - zpf[j]) * sc[j];
		} else {
			const uint8_t *q = codes;
			for (int64_t j = 0; j < w; j++)
				y[j] = ((float)q[j] - zpf[j]) * sc[j];
		}
		if (!p->no_metrics)
			ql_metrics_add(acc, p->x + off, y, (size_t)w);
		if (c && job_clip(p, acc))
			clip_cols(job_clip(p, acc), &p->cp, t, p->x + off, y, w, p->qmin, p->qmax);
	}
}

/* One block unit u through its target's quantize_block (the type table).
 * The dequantized values go to result.dequant, or to `defer` (the caller
 * adds their errors later), or to this job's scratch block. */
static void quant_block(qplan *p, int64_t u, ql_metrics_acc *acc, float *defer)
{
	ql_qresult *r = p->r;
	int64_t s, len;
	group_span(p, u, &s, &len);
	const float *x = p->x + s;
	float *y = r->dequant ? r->dequant + s
		 : defer     ? defer
			     : p->yscratch + (acc - p->acc) * (int64_t)p->info->block;
	float amax = maxf(fabsf(p->umin[u]), fabsf(p->umax[u]));
	if (len == 0)
		amax = 0;
	int nsub = r->nsub;
	ql_qunit q = {
		/* no codes where a format gives them from its raw bytes and
		 * none are kept (codes_row is then skipped) */
		.codes = r->codes ? r->codes + s : p->bf ? NULL : qp_codes(p, acc, s),
		.raw = qp_raw(p, acc, u),
		.y = y,
		.scale = &r->scales[u],
		.min = r->mins ? &r->mins[u] : NULL,
		.sub_scales = r->sub_scales ? r->sub_scales + u * nsub : NULL,
		.sub_mins = r->sub_mins ? r->sub_mins + u * nsub : NULL,
	};
	p->info->quantize_block(p->info, p->bf, x, len, &q);
	acc->clipped += q.clipped;
	r->clip_lo[u] = -amax;
	r->clip_hi[u] = amax;
	if (!defer && !p->no_metrics)
		ql_metrics_add(acc, x, y, (size_t)len);
}

/* Units [u0, u1) of contiguous spans (groups, blocks, first-axis channels).
 * Short units are quantized into a shared tile whose errors are added once
 * it is full, not unit by unit. */
static void quant_groups(qplan *p, int64_t u0, int64_t u1, ql_metrics_acc *acc, bool blocky)
{
	ql_qresult *r = p->r;
	/* A fused loop over whole blocks where the target has one (AVX2); it
	 * adds the sums and the error histogram where the loop below does.
	 * (Not for the clipped errors of integer targets: only the C path
	 * finds them, the same codes and sums.) */
	if (p->info->fast_units && p->fused && !(job_clip(p, acc) && p->info->kind == QL_QK_INT) &&
	    p->info->fast_units(p, u0, u1, acc))
		return;
	/* The errors of short units are added a tile at a time (TILE elements
	 * from the job's first), whether the dequantized values are kept (the
	 * tile is then that part of result.dequant) or not: the same sums
	 * either way, and what the fused loops of quantize_fast.c add. */
	float tile[TILE];
	int64_t tstart = -1, tend = -1; /* the elements now in the tile */
	bool defer_ok = !p->no_metrics;

	for (int64_t u = u0; u < u1; u++) {
		int64_t s, len;
		unit_span(p, u, &s, &len);
		if (p->fused && !ql_qp_calib_unit_fused(p, u, s, len)) {
			p->bad[acc - p->acc] = 1;
			break;
		}
		bool defer = defer_ok && len <= TILE;
		if (defer && tstart >= 0 && s + len - tstart > TILE) {
			ql_metrics_add(acc, p->x + tstart, r->dequant ? r->dequant + tstart : tile,
				       (size_t)(tend - tstart));
			tstart = -1;
		}
		if (defer && tstart < 0)
			tstart = tend = s;
		float *y = !defer ? NULL : r->dequant ? r->dequant + s : tile + (s - tstart);
		if (blocky)
			quant_block(p, u, acc, y);
		else
			quant_span(p, s, len, u, acc, y);
		if (defer)
			tend = s + len;
	}
	if (tstart >= 0)
		ql_metrics_add(acc, p->x + tstart, r->dequant ? r->dequant + tstart : tile,
			       (size_t)(tend - tstart));
}

void ql_qp_quant_job(void *arg, int64_t job)
{
	qplan *p = arg;
	int64_t u0, u1;
	job_units(p, job, &u0, &u1);
	ql_metrics_acc *acc = &p->acc[job];
	ql_metrics_acc_init(acc);
	int eh_slot = -1;
	if (p->ehpool && !(acc->eh = ql_ehist_pool_take(p->ehpool, &eh_slot))) {
		return; /* no memory: the pool remembers it, ql_quantize fails */
	}
	int ch_slot = -1, vh_slot = -1;
	if (p->chpool && !(p->jclip[job] = ql_ehist_pool_take(p->chpool, &ch_slot))) {
		if (p->ehpool)
			ql_ehist_pool_give(p->ehpool, eh_slot);
		acc->eh = NULL;
		return; /* the same */
	}
	if (p->fused && p->vhpool) { /* the fused pass is the scan: count the values */
		ql_ehist *v = ql_ehist_pool_take(p->vhpool, &vh_slot);
		if (v) {
			ql_qp_job_values(p, v, u0, u1);
			ql_ehist_pool_give(p->vhpool, vh_slot);
		}
	}
	bool blocky = p->blocky;
	int slot = -1;
	if (p->scratch) { /* a free slot: at most nslots jobs run at once */
		for (int k = 0; slot < 0; k = (k + 1) % p->nslots)
			if (!atomic_exchange_explicit(&p->slot_busy[k], 1, memory_order_acquire))
				slot = k;
		p->jslot[job] = slot;
	}

	if (p->trav == TRAV_CHUNKS) {
		for (int64_t u = u0; u < u1; u++) {
			int64_t s = u * JOB_ELEMS, len = p->n - s < JOB_ELEMS ? p->n - s : JOB_ELEMS;
			quant_span(p, s, len, 0, acc, NULL);
		}
	} else if (p->trav == TRAV_GROUPS) {
		quant_groups(p, u0, u1, acc, blocky);
	} else if (p->fused) {
		quant_groups(p, u0, u1, acc, blocky);
	} else if (p->by_rows && p->info->kind == QL_QK_INT) {
		for (int64_t o = u0; o < u1; o++)
			quant_cols(p, o, acc);
	} else if (p->by_rows) {
		for (int64_t o = u0; o < u1; o++)
			for (int64_t c = 0; c < p->C; c++)
				quant_span(p, o * p->C + c, 1, c, acc, NULL);
	} else {
		for (int64_t o = 0; o < p->outer; o++)
			for (int64_t c = u0; c < u1; c++)
				quant_span(p, (o * p->C + c) * p->inner, p->inner, c, acc, NULL);
	}
	if (blocky && p->jclip && p->jclip[job] && p->r->dequant)
		clip_blocks(p, p->jclip[job], u0, u1);
	if (slot >= 0)
		atomic_store_explicit(&p->slot_busy[slot], 0, memory_order_release);
	if (p->ehpool)
		ql_ehist_pool_give(p->ehpool, eh_slot);
	if (p->chpool) {
		ql_ehist_pool_give(p->chpool, ch_slot);
		p->jclip[job] = NULL;
	}
	acc->eh = NULL;
}
