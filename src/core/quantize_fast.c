/* quantize_fast.c — the fused loops over whole blocks that the type table's
 * fast_units point to (Q8_0, Q4_0, NF4, the MX formats, integer groups of
 * 32 to 1024): one AVX2 call does a tile of a job's blocks (ranges, codes, raw
 * bytes, scales, dequantized values into the kept copy or an L1 tile), and
 * the tile's metric sums and error histogram are added while it is in
 * cache, where the C path adds them (quantize_units.c's quant_groups: one
 * ql_metrics_add per tile of TILE elements from the job's first, kept copy
 * or not). Each returns false where it does not apply (no AVX2, short
 * blocks), and the C path runs instead; the two agree bit for bit
 * (tests/test_blockspeed.c). With no_metrics no sums are made (the kernels
 * take a NULL accumulator) and nothing is dequantized but into a kept copy.
 */
#include "qplan.h"

#include <math.h>
#include <string.h>

#include "qlens/affine.h"
#include "qlens/blocks.h"
#include "qlens/mx.h"
#include "qlens/nf4.h"
#include "qtarget.h"
#include "quant_avx2.h"

#if QL_HAVE_AVX2_KERNELS

/* Blocks of B elements per tile of TILE elements. */
#define PER(B) (TILE / (B))

/* Where tile [s, s + w)'s dequantized values go: the kept copy, else
 * nowhere (the block kernels then use a block of their own; they add the
 * sums and the error histogram themselves). */
static float *tile_y(const qplan *p, int64_t s)
{
	return p->r->dequant ? p->r->dequant + s : NULL;
}

bool ql_qt_fast_q8_0(void *plan, int64_t u0, int64_t u1, ql_metrics_acc *acc)
{
	qplan *p = plan;
	ql_qresult *r = p->r;
	if (!(p->G == QL_QK8_0 && p->L % QL_QK8_0 == 0 && ql_avx2_active()))
		return false;
	int64_t s0 = u0 * QL_QK8_0, nb = u1 - u0;
	int64_t done = ql_q8_0_fused_avx2(p->x + s0, nb, (ql_block_q8_0 *)qp_raw(p, acc, u0),
					   (int8_t *)qp_codes(p, acc, s0), p->umin + u0, p->umax + u0,
					   r->clip_lo + u0, r->clip_hi + u0, r->scales + u0,
					   tile_y(p, s0), p->no_metrics ? NULL : acc, PER(QL_QK8_0));
	if (done < nb)
		p->bad[acc - p->acc] = 1;
	return true;
}

bool ql_qt_fast_q4_0(void *plan, int64_t u0, int64_t u1, ql_metrics_acc *acc)
{
	qplan *p = plan;
	ql_qresult *r = p->r;
	if (!(p->G == QL_QK4_0 && p->L % QL_QK4_0 == 0 && ql_avx2_active()))
		return false;
	int64_t s0 = u0 * QL_QK4_0, nb = u1 - u0, clipped = 0;
	int64_t done = ql_q4_0_fused_avx2(p->x + s0, nb, (ql_block_q4_0 *)qp_raw(p, acc, u0),
					  qp_codes(p, acc, s0), p->umin + u0, p->umax + u0,
					  r->clip_lo + u0, r->clip_hi + u0, r->scales + u0,
					  tile_y(p, s0), p->no_metrics ? NULL : acc, PER(QL_QK4_0),
					  &clipped);
	acc->clipped += clipped;
	if (done < nb)
		p->bad[acc - p->acc] = 1;
	return true;
}

/* Whole blocks only: a short last block goes the C way, and with it the
 * rest of its job, so the sums keep their order. */
bool ql_qt_fast_nf4(void *plan, int64_t u0, int64_t u1, ql_metrics_acc *acc)
{
	qplan *p = plan;
	ql_qresult *r = p->r;
	if (!(p->G == QL_NF4_BLOCK && (p->L % QL_NF4_BLOCK == 0 || u1 < p->nunits) &&
	      ql_avx2_active()))
		return false;
	int64_t s0 = u0 * QL_NF4_BLOCK, nb = u1 - u0;
	int64_t done = ql_nf4_blocks_avx2(p->x + s0, nb, qp_raw(p, acc, u0), qp_codes(p, acc, s0),
					  p->umin + u0, p->umax + u0, r->clip_lo + u0,
					  r->clip_hi + u0, r->scales + u0, tile_y(p, s0),
					  p->no_metrics ? NULL : acc, PER(QL_NF4_BLOCK));
	if (done < nb)
		p->bad[acc - p->acc] = 1;
	return true;
}

/* Codes only: one pass over the job. Else a tile of blocks at a time:
 * ranges, codes, raw blocks, scales and dequantized values in one pass,
 * then the tile's sums and histogram. */
bool ql_qt_fast_mx(void *plan, int64_t u0, int64_t u1, ql_metrics_acc *acc)
{
	qplan *p = plan;
	ql_qresult *r = p->r;
	if (!(p->G == QL_MX_BLOCK && p->L % QL_MX_BLOCK == 0 && ql_avx2_active()))
		return false;
	float tile[TILE];
	const bool deq = r->dequant || !p->no_metrics;
	const int64_t per = deq ? PER(QL_MX_BLOCK) : u1 - u0;
	for (int64_t u = u0; u < u1; u += per) {
		int64_t k = u1 - u < per ? u1 - u : per, s = u * QL_MX_BLOCK, w = k * QL_MX_BLOCK;
		int64_t sat = 0, done;
		float *y = r->dequant ? r->dequant + s : tile;
		if (deq)
			done = ql_mx_qdq_avx2(p->dtype, p->x + s, k, qp_raw(p, acc, u),
					      qp_codes(p, acc, s), p->umin + u, p->umax + u,
					      r->clip_lo + u, r->clip_hi + u, r->scales + u, &sat, y);
		else
			done = ql_mx_codes_avx2(p->dtype, p->x + s, k, qp_raw(p, acc, u),
						qp_codes(p, acc, s), p->umin + u, p->umax + u,
						r->clip_lo + u, r->clip_hi + u, r->scales + u, &sat);
		acc->clipped += sat;
		if (done < k) {
			p->bad[acc - p->acc] = 1;
			break;
		}
		if (p->no_metrics)
			continue;
		ql_tile_acc_avx2(acc, p->x + s, y, w); /* sums and histogram */
	}
	return true;
}

/* Group g's range from its m blocks of 32 (their ranges at bmin/bmax + g m):
 * the least and greatest value, which is ql_qp_scan_span's whatever order it
 * visits them in (no NaN reaches here: a block with one is refused first),
 * but for the sign of a zero result. There the scan's lanes decide (for 64
 * and more values, the last of its 16 lanes to hold the zero wins), so the
 * group is scanned again by ql_qp_scan_span itself: rare in real weights
 * (a group with no negative value, or no positive one). */
static void group_range(const float *x, int64_t G, const float *bmin, const float *bmax, int64_t m,
			float *umin, float *umax)
{
	float lo = bmin[0], hi = bmax[0];
	for (int64_t j = 1; j < m; j++) {
		lo = bmin[j] < lo ? bmin[j] : lo;
		hi = bmax[j] > hi ? bmax[j] : hi;
	}
	if (lo == 0.0f || hi == 0.0f) {
		int64_t bad = 0;
		lo = INFINITY;
		hi = -INFINITY;
		ql_qp_scan_span(x, G, &lo, &hi, &bad);
	}
	*umin = lo;
	*umax = hi;
}

/* Integer targets in groups of G = 32 m (G dividing TILE, so the tiles of
 * the C path's quant_groups hold whole groups): a tile of groups' ranges
 * by the AVX2 block ranges (ql_qp_scan_span's, bit for bit: for G = 32
 * directly, for larger G by group_range), then their scales and zero points
 * (eight groups at a time, the rest one by one through
 * ql_qp_unit_params), then the tile's codes and dequantized values by one
 * AVX2 call over its blocks of 32 (each block with its group's scale and
 * zero point: the codes are elementwise), as ql_qp_calib_unit_fused +
 * quant_span do it one group at a time; then its sums and histogram. */
bool ql_qt_fast_int_groups(void *plan, int64_t u0, int64_t u1, ql_metrics_acc *acc)
{
	qplan *p = plan;
	ql_qresult *r = p->r;
	const int64_t G = p->G;
	if (!(p->trav == TRAV_GROUPS && G >= 32 && G % 32 == 0 && TILE % G == 0 &&
	      p->L % G == 0 && (r->codes || r->dequant || !p->no_metrics) &&
	      !(acc->eh && p->no_metrics) && ql_avx2_active()))
		return false;
	enum { NB = TILE / 32 }; /* blocks of 32 in a tile */
	const int64_t m = G / 32, K = TILE / G; /* blocks a group, groups a tile */
	float ytile[TILE];
	uint8_t ctile[TILE]; /* the codes when none are kept (no_codes) */
	float bmin[NB], bmax[NB], blo[NB], bhi[NB], bsc[NB];
	int32_t bzp[NB];
	const bool deq = r->dequant || !p->no_metrics;
	for (int64_t u = u0; u < u1; u += K) {
		int64_t k = u1 - u < K ? u1 - u : K;
		const float *x = p->x + u * G;
		float *umin = m == 1 ? p->umin + u : bmin, *umax = m == 1 ? p->umax + u : bmax;
		if (ql_block_ranges_avx2(x, k * m, umin, umax, m == 1 ? r->clip_lo + u : blo,
					 m == 1 ? r->clip_hi + u : bhi) < k * m) {
			p->bad[acc - p->acc] = 1;
			return true;
		}
		if (m > 1)
			for (int64_t g = 0; g < k; g++)
				group_range(x + g * G, G, bmin + g * m, bmax + g * m, m,
					    p->umin + u + g, p->umax + u + g);
		int64_t b = 0;
		if (p->scale_dtype == QL_SCALE_FP32) { /* whole eights of groups at a time */
			b = k & ~(int64_t)7;
			ql_group_params_avx2(p->umin + u, p->umax + u, b, p->sym, p->qmin, p->qmax,
					     r->clip_lo + u, r->clip_hi + u, r->scales + u,
					     r->zero_points ? r->zero_points + u : NULL);
		}
		for (; b < k; b++) {
			float lo = p->umin[u + b], hi = p->umax[u + b];
			if (p->sym) {
				float a = fabsf(lo) > fabsf(hi) ? fabsf(lo) : fabsf(hi);
				lo = -a;
				hi = a;
			}
			ql_qp_unit_params(p, u + b, lo, hi);
		}
		/* each block of 32 its group's scale and zero point (zero points
		 * lie in [qmin, qmax]: ql_qparams_from_range_sd clamps) */
		const float *sc = r->scales + u;
		const int32_t *zp = r->zero_points ? r->zero_points + u : NULL;
		if (m > 1) {
			for (int64_t j = 0; j < k * m; j++) {
				bsc[j] = sc[j / m];
				bzp[j] = zp ? zp[j / m] : 0;
			}
			sc = bsc;
			zp = zp ? bzp : NULL;
		}
		uint8_t *codes = r->codes ? r->codes + u * G : ctile;
		float *y = r->dequant ? r->dequant + u * G : ytile;
		acc->clipped += ql_affine_groups32_avx2(p->info->is_signed, x, k * m, sc, zp, p->qmin,
							p->qmax, codes, deq ? y : NULL);
		if (p->no_metrics)
			continue;
		ql_tile_acc_avx2(acc, x, y, k * G); /* sums and histogram */
	}
	return true;
}

#else

bool ql_qt_fast_int_groups(void *plan, int64_t u0, int64_t u1, ql_metrics_acc *acc) { return false; }
bool ql_qt_fast_q8_0(void *plan, int64_t u0, int64_t u1, ql_metrics_acc *acc) { return false; }
bool ql_qt_fast_q4_0(void *plan, int64_t u0, int64_t u1, ql_metrics_acc *acc) { return false; }
bool ql_qt_fast_nf4(void *plan, int64_t u0, int64_t u1, ql_metrics_acc *acc) { return false; }
bool ql_qt_fast_mx(void *plan, int64_t u0, int64_t u1, ql_metrics_acc *acc) { return false; }

#endif
