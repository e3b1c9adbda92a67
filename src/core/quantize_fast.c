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

#include <string.h>

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

#else

bool ql_qt_fast_q8_0(void *plan, int64_t u0, int64_t u1, ql_metrics_acc *acc) { return false; }
bool ql_qt_fast_q4_0(void *plan, int64_t u0, int64_t u1, ql_metrics_acc *acc) { return false; }
bool ql_qt_fast_nf4(void *plan, int64_t u0, int64_t u1, ql_metrics_acc *acc) { return false; }
bool ql_qt_fast_mx(void *plan, int64_t u0, int64_t u1, ql_metrics_acc *acc) { return false; }

#endif
