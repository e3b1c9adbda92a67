/* quantize_fast.c — the fused loops over whole blocks that the type table's
 * fast_units point to (Q8_0, Q4_0, NF4, the MX formats): one AVX2 call does
 * a job's blocks (ranges, codes, raw bytes, scales, dequantized values and
 * the metric sums, flushed where the C path flushes them: every block when
 * the dequantized values are kept or no tile is used, else every tile).
 * Each returns false where it does not apply (no AVX2, short blocks), and
 * the C path of quantize_units.c runs instead; the two agree bit for bit
 * (tests/test_blockspeed.c). With no_metrics no sums are made (the kernels
 * take a NULL accumulator) and the MX loop dequantizes only into a kept
 * copy.
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

bool ql_qt_fast_q8_0(void *plan, int64_t u0, int64_t u1, ql_metrics_acc *acc)
{
	qplan *p = plan;
	ql_qresult *r = p->r;
	if (!(p->G == QL_QK8_0 && p->L % QL_QK8_0 == 0 && ql_avx2_active()))
		return false;
	int64_t s0 = u0 * QL_QK8_0, nb = u1 - u0;
	bool tiled = !r->dequant && !p->no_metrics;
	int64_t done = ql_q8_0_blocks_avx2(p->x + s0, nb, (ql_block_q8_0 *)qp_raw(p, acc, u0),
					   (int8_t *)qp_codes(p, acc, s0), p->umin + u0, p->umax + u0,
					   r->clip_lo + u0, r->clip_hi + u0, r->scales + u0,
					   r->dequant ? r->dequant + s0 : NULL, p->no_metrics ? NULL : acc,
					   tiled ? TILE / QL_QK8_0 : 1);
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
	bool tiled = !r->dequant && !p->no_metrics;
	int64_t done = ql_q4_0_blocks_avx2(p->x + s0, nb, (ql_block_q4_0 *)qp_raw(p, acc, u0),
					   qp_codes(p, acc, s0), p->umin + u0, p->umax + u0,
					   r->clip_lo + u0, r->clip_hi + u0, r->scales + u0,
					   r->dequant ? r->dequant + s0 : NULL, p->no_metrics ? NULL : acc,
					   tiled ? TILE / QL_QK4_0 : 1, &clipped);
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
	bool tiled = !r->dequant && !p->no_metrics;
	int64_t done = ql_nf4_blocks_avx2(p->x + s0, nb, qp_raw(p, acc, u0), qp_codes(p, acc, s0),
					  p->umin + u0, p->umax + u0, r->clip_lo + u0,
					  r->clip_hi + u0, r->scales + u0,
					  r->dequant ? r->dequant + s0 : NULL, p->no_metrics ? NULL : acc,
					  tiled ? TILE / QL_NF4_BLOCK : 1);
	if (done < nb)
		p->bad[acc - p->acc] = 1;
	return true;
}

/* The ranges, then a tile of blocks at a time through the (multi-block) MX
 * kernels, the sums flushed as above. */
bool ql_qt_fast_mx(void *plan, int64_t u0, int64_t u1, ql_metrics_acc *acc)
{
	qplan *p = plan;
	ql_qresult *r = p->r;
	if (!(p->G == QL_MX_BLOCK && p->L % QL_MX_BLOCK == 0 && ql_avx2_active()))
		return false;
	if (p->no_metrics && !r->dequant) { /* codes only: one pass */
		int64_t sat = 0;
		int64_t done = ql_mx_codes_avx2(p->dtype, p->x + u0 * QL_MX_BLOCK, u1 - u0,
						qp_raw(p, acc, u0), qp_codes(p, acc, u0 * QL_MX_BLOCK),
						p->umin + u0, p->umax + u0, r->clip_lo + u0,
						r->clip_hi + u0, r->scales + u0, &sat);
		acc->clipped += sat;
		if (done < u1 - u0)
			p->bad[acc - p->acc] = 1;
		return true;
	}
	const bool fp4 = p->info->bits == 4; /* two elements a byte, j and j + 16 */
	float ytile[TILE];
	for (int64_t u = u0; u < u1; u += TILE / QL_MX_BLOCK) {
		int64_t k = u1 - u < TILE / QL_MX_BLOCK ? u1 - u : TILE / QL_MX_BLOCK;
		int64_t s = u * QL_MX_BLOCK, w = k * QL_MX_BLOCK;
		if (ql_block_ranges_avx2(p->x + s, k, p->umin + u, p->umax + u, r->clip_lo + u,
					 r->clip_hi + u) < k) {
			p->bad[acc - p->acc] = 1;
			return true;
		}
		uint8_t e[TILE / QL_MX_BLOCK];
		uint8_t *codes = qp_codes(p, acc, s);
		acc->clipped += ql_mx_quantize(p->dtype, p->x + s, w, codes, e);
		float *y = r->dequant ? r->dequant + s : ytile;
		bool sums = !p->no_metrics;
		if (sums || r->dequant)
			ql_mx_dequantize(p->dtype, codes, e, w, y);
		for (int64_t b = 0; b < k; b++) {
			const uint8_t *cb = codes + b * QL_MX_BLOCK;
			uint8_t *raw = qp_raw(p, acc, u + b);
			r->scales[u + b] = ql_e8m0_to_f32(e[b]);
			raw[0] = e[b];
			if (fp4)
				for (int j = 0; j < QL_MX_BLOCK / 2; j++)
					raw[1 + j] = (uint8_t)((cb[j] & 0x0f) | (cb[j + 16] & 0x0f) << 4);
			else
				memcpy(raw + 1, cb, QL_MX_BLOCK);
		}
		if (sums)
			ql_metrics_add_runs_avx2(acc, p->x + s, y, w, r->dequant ? QL_MX_BLOCK : w);
	}
	return true;
}

/* The dequantized values of k groups of 32 codes, by the kernel that
 * quant_span's fused one uses (affine.h). */
static void groups32_dequant(const qplan *p, int64_t u, int64_t k, const uint8_t *codes, float *y)
{
	const ql_qresult *r = p->r;
	for (int64_t b = 0; b < k; b++) {
		const int32_t zp = r->zero_points ? r->zero_points[u + b] : 0;
		if (p->info->is_signed)
			ql_affine_dequantize_s8((const int8_t *)codes + b * 32, 32, r->scales[u + b], zp,
						y + b * 32);
		else
			ql_affine_dequantize_u8(codes + b * 32, 32, r->scales[u + b], zp, y + b * 32);
	}
}

/* Integer targets in groups of 32 (no kept copy): a tile of groups' ranges
 * by the AVX2 block ranges (ql_qp_scan_span's, bit for bit), then for each
 * group its scale and zero point from ql_qp_unit_params, then the tile's
 * codes by one AVX2 call, as ql_qp_calib_unit_fused + quant_span do it one
 * group at a time. With metrics, the tile is dequantized and its sums (and
 * error histogram) added by one ql_metrics_add, exactly where
 * quant_groups flushes its tile of short units: tiles of 32 groups from
 * the job's first. */
bool ql_qt_fast_int_g32(void *plan, int64_t u0, int64_t u1, ql_metrics_acc *acc)
{
	qplan *p = plan;
	ql_qresult *r = p->r;
	if (!(p->trav == TRAV_GROUPS && p->G == 32 && p->L % 32 == 0 && !r->dequant &&
	      (r->codes || !p->no_metrics) && !(acc->eh && p->no_metrics) && ql_avx2_active()))
		return false;
	enum { K = TILE / 32 };
	float ytile[TILE];
	uint8_t ctile[TILE]; /* the codes when none are kept (no_codes) */
	for (int64_t u = u0; u < u1; u += K) {
		int64_t k = u1 - u < K ? u1 - u : K;
		const float *x = p->x + u * 32;
		if (ql_block_ranges_avx2(x, k, p->umin + u, p->umax + u, r->clip_lo + u,
					 r->clip_hi + u) < k) {
			p->bad[acc - p->acc] = 1;
			return true;
		}
		for (int64_t b = 0; b < k; b++) {
			float lo = p->umin[u + b], hi = p->umax[u + b];
			if (p->sym) {
				float a = fabsf(lo) > fabsf(hi) ? fabsf(lo) : fabsf(hi);
				lo = -a;
				hi = a;
			}
			ql_qp_unit_params(p, u + b, lo, hi);
		}
		/* zero points lie in [qmin, qmax] (ql_qparams_from_range_sd clamps) */
		uint8_t *codes = r->codes ? r->codes + u * 32 : ctile;
		acc->clipped += ql_affine_groups32_avx2(p->info->is_signed, x, k, r->scales + u,
							r->zero_points ? r->zero_points + u : NULL,
							p->qmin, p->qmax, codes);
		if (p->no_metrics)
			continue;
		groups32_dequant(p, u, k, codes, ytile);
		ql_metrics_add(acc, x, ytile, (size_t)(k * 32));
	}
	return true;
}

#else

bool ql_qt_fast_int_g32(void *plan, int64_t u0, int64_t u1, ql_metrics_acc *acc) { return false; }
bool ql_qt_fast_q8_0(void *plan, int64_t u0, int64_t u1, ql_metrics_acc *acc) { return false; }
bool ql_qt_fast_q4_0(void *plan, int64_t u0, int64_t u1, ql_metrics_acc *acc) { return false; }
bool ql_qt_fast_nf4(void *plan, int64_t u0, int64_t u1, ql_metrics_acc *acc) { return false; }
bool ql_qt_fast_mx(void *plan, int64_t u0, int64_t u1, ql_metrics_acc *acc) { return false; }

#endif
