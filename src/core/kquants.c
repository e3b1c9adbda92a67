/* kquants.c — ggml's k-quants: super-blocks of 256 values whose sub-block
 * scales (and mins) are themselves quantized against one fp16 super-block
 * scale ("scales of scales").
 *
 *   Q2_K  16 x 16, 2-bit codes, 4-bit scale and 4-bit min per 16   2.625 bpw
 *   Q3_K  16 x 16, 3-bit codes, 6-bit signed scale per 16           3.4375 bpw
 *   Q4_K   8 x 32, 4-bit codes, 6-bit scale and 6-bit min per 32    4.5 bpw
 *   Q5_K   8 x 32, 5-bit codes, 6-bit scale and 6-bit min per 32    5.5 bpw
 *   Q6_K  16 x 16, 6-bit codes, int8 scale per 16                   6.5625 bpw
 *   Q8_K  256 int8 codes, float32 scale, 16 sums (ggml's dot-product input)
 *
 * Each quantizer is ggml's quantize_row_*_ref without an importance matrix:
 * per sub-block a scale (and min) is searched (kq_search.c), the largest is
 * mapped to the top code of the scale field, every sub-block scale rounded
 * against it, and then every value re-quantized with the scale as stored
 * (fp16 super-block scale times the integer sub-block scale), so the codes
 * are those that decode best. The dequantizers are ggml's dequantize_row_*.
 *
 * ql_quantize_row_*_k (no _ref) are the same with kq_fast.c's searches: the
 * same bytes, several times faster.
 */
#include "qlens/ggml_blocks.h"

#include <math.h>
#include <string.h>

#include "ggml_round.h"
#include "kq_fast.h"
#include "kq_search.h"
#include "deq_avx2.h"

static inline int clampi(int v, int lo, int hi) { return v < lo ? lo : v > hi ? hi : v; }

/* Packs 256 2-bit codes: byte l of each 32 holds codes l, l+32, l+64, l+96
 * of its 128 in bits 0-1, 2-3, 4-5, 6-7. */
static void pack_2bit(const uint8_t *L, uint8_t *qs)
{
	for (int j = 0; j < QL_QK_K; j += 128)
		for (int l = 0; l < 32; l++)
			qs[j / 4 + l] = (uint8_t)(L[j + l] | L[j + l + 32] << 2 | L[j + l + 64] << 4 |
						  L[j + l + 96] << 6);
}

/* ---- Q2_K -------------------------------------------------------------------- */

static void q2_k_row(const float *x, ql_block_q2_k *y, int64_t k, bool fast)
{
	const int64_t nb = k / QL_QK_K;
	uint8_t L[QL_QK_K], Laux[16];
	float weights[16], mins[QL_QK_K / 16], scales[QL_QK_K / 16];
	const float q4scale = 15.0f;

	for (int64_t i = 0; i < nb; i++, x += QL_QK_K) {
		float max_scale = 0, max_min = 0; /* scales and mins are >= 0 here */
		for (int j = 0; j < QL_QK_K / 16; j++) {
			for (int l = 0; l < 16; l++)
				weights[l] = fabsf(x[16 * j + l]);
			scales[j] = fast ? ql_kq_make_qkx2_16_mad(3, x + 16 * j, weights, L + 16 * j,
								  &mins[j], -0.5f, 0.1f, 15)
				    : ql_kq_make_qkx2(16, 3, x + 16 * j, weights, L + 16 * j, &mins[j],
						      Laux, -0.5f, 0.1f, 15, true);
			if (scales[j] > max_scale)
				max_scale = scales[j];
			if (mins[j] > max_min)
				max_min = mins[j];
		}
		if (max_scale > 0) {
			float iscale = q4scale / max_scale;
			for (int j = 0; j < QL_QK_K / 16; j++)
				y[i].scales[j] = (uint8_t)ql_nearest_int(iscale * scales[j]);
			y[i].d = ql_fp16_from_f32(max_scale / q4scale);
		} else {
			memset(y[i].scales, 0, sizeof y[i].scales);
			y[i].d = ql_fp16_from_f32(0.0f);
		}
		if (max_min > 0) {
			float iscale = q4scale / max_min;
			for (int j = 0; j < QL_QK_K / 16; j++) {
				unsigned l = (unsigned)ql_nearest_int(iscale * mins[j]);
				y[i].scales[j] |= (uint8_t)(l << 4);
			}
			y[i].dmin = ql_fp16_from_f32(max_min / q4scale);
		} else {
			y[i].dmin = ql_fp16_from_f32(0.0f);
		}
		/* re-quantize with the scales as stored */
		for (int j = 0; j < QL_QK_K / 16; j++) {
			const float d = ql_f32_from_fp16(y[i].d) * (y[i].scales[j] & 0xF);
			if (!d)
				continue;
			const float dm = ql_f32_from_fp16(y[i].dmin) * (y[i].scales[j] >> 4);
			for (int ii = 0; ii < 16; ii++)
				L[16 * j + ii] = (uint8_t)clampi(ql_nearest_int((x[16 * j + ii] + dm) / d), 0, 3);
		}
		pack_2bit(L, y[i].qs);
	}
}

int64_t ql_quantize_row_q2_k_ref(const float *x, ql_block_q2_k *y, int64_t k)
{
	q2_k_row(x, y, k, false);
	return 0;
}

int64_t ql_quantize_row_q2_k(const float *x, ql_block_q2_k *y, int64_t k)
{
	q2_k_row(x, y, k, true);
	return 0;
}

void ql_dequantize_row_q2_k(const ql_block_q2_k *x, float *y, int64_t k)
{
#if QL_HAVE_AVX2_KERNELS
	if (ql_deq_avx2_active()) {
		ql_dequantize_row_q2_k_avx2(x, y, k);
		return;
	}
#endif
	const int64_t nb = k / QL_QK_K;

	for (int64_t i = 0; i < nb; i++) {
		const float d = ql_f32_from_fp16(x[i].d);
		const float min = ql_f32_from_fp16(x[i].dmin);
		const uint8_t *q = x[i].qs;
		int is = 0;
		for (int n = 0; n < QL_QK_K; n += 128, q += 32) {
			for (int shift = 0; shift < 8; shift += 2) {
				for (int half = 0; half < 2; half++) {
					uint8_t sc = x[i].scales[is++];
					float dl = d * (sc & 0xF), ml = min * (sc >> 4);
					for (int l = 0; l < 16; l++)
						*y++ = dl * ((q[l + 16 * half] >> shift) & 3) - ml;
				}
			}
		}
	}
}

/* ---- Q3_K -------------------------------------------------------------------- */

/* The 16 six-bit scales of a Q3_K block (biased by 32): low 4 bits in
 * scales[0..7] (two per byte), high 2 bits in scales[8..11]. */
static int q3_k_scale(const uint8_t *s, int j)
{
	int lo = j < 8 ? s[j] & 0xF : s[j - 8] >> 4;
	int hi = (s[8 + j % 4] >> (2 * (j / 4))) & 3;
	return (lo | hi << 4) - 32;
}

int64_t ql_quantize_row_q3_k_ref(const float *x, ql_block_q3_k *y, int64_t k)
{
	const int64_t nb = k / QL_QK_K;
	int8_t L[QL_QK_K];
	float scales[QL_QK_K / 16];

	for (int64_t i = 0; i < nb; i++, x += QL_QK_K) {
		float max_scale = 0, amax = 0;
		for (int j = 0; j < QL_QK_K / 16; j++) {
			scales[j] = ql_kq_make_q3(16, 4, x + 16 * j, L + 16 * j);
			float scale = fabsf(scales[j]);
			if (scale > amax) {
				amax = scale;
				max_scale = scales[j];
			}
		}
		memset(y[i].scales, 0, sizeof y[i].scales);
		if (max_scale) {
			float iscale = -32.0f / max_scale;
			for (int j = 0; j < QL_QK_K / 16; j++) {
				/* ggml keeps the rounded scale in an int8_t first */
				int l = (int8_t)(uint8_t)ql_nearest_int(iscale * scales[j]);
				l = clampi(l, -32, 31) + 32;
				if (j < 8)
					y[i].scales[j] = (uint8_t)(l & 0xF);
				else
					y[i].scales[j - 8] |= (uint8_t)((l & 0xF) << 4);
				y[i].scales[j % 4 + 8] |= (uint8_t)((l >> 4) << (2 * (j / 4)));
			}
			y[i].d = ql_fp16_from_f32(1 / iscale);
		} else {
			y[i].d = ql_fp16_from_f32(0.0f);
		}
		for (int j = 0; j < QL_QK_K / 16; j++) {
			/* ggml's int8_t sc: the stored scale minus 32 */
			const float d = ql_f32_from_fp16(y[i].d) * (int8_t)q3_k_scale(y[i].scales, j);
			if (!d)
				continue;
			for (int ii = 0; ii < 16; ii++)
				L[16 * j + ii] = (int8_t)(clampi(ql_nearest_int(x[16 * j + ii] / d), -4, 3) + 4);
		}
		/* the third bit of code j goes to hmask[j % 32], bit j / 32 */
		memset(y[i].hmask, 0, sizeof y[i].hmask);
		uint8_t Lu[QL_QK_K];
		for (int j = 0; j < QL_QK_K; j++) {
			int l = L[j];
			if (l > 3) {
				y[i].hmask[j % 32] |= (uint8_t)(1u << (j / 32));
				l -= 4;
			}
			Lu[j] = (uint8_t)l;
		}
		pack_2bit(Lu, y[i].qs);
	}
	return 0;
}

void ql_dequantize_row_q3_k(const ql_block_q3_k *x, float *y, int64_t k)
{
#if QL_HAVE_AVX2_KERNELS
	if (ql_deq_avx2_active()) {
		ql_dequantize_row_q3_k_avx2(x, y, k);
		return;
	}
#endif
	const int64_t nb = k / QL_QK_K;

	for (int64_t i = 0; i < nb; i++) {
		const float d_all = ql_f32_from_fp16(x[i].d);
		const uint8_t *q = x[i].qs, *hm = x[i].hmask;
		uint8_t m = 1;
		int is = 0;
		for (int n = 0; n < QL_QK_K; n += 128, q += 32) {
			for (int shift = 0; shift < 8; shift += 2, m = (uint8_t)(m << 1)) {
				for (int half = 0; half < 2; half++) {
					float dl = d_all * q3_k_scale(x[i].scales, is++);
					for (int l = 0; l < 16; l++) {
						int c = (q[l + 16 * half] >> shift) & 3;
						*y++ = dl * (c - ((hm[l + 16 * half] & m) ? 0 : 4));
					}
				}
			}
		}
	}
}

/* ---- Q4_K and Q5_K ------------------------------------------------------------- */

/* Sub-block j's 6-bit scale and min from the 12 packed bytes (ggml's
 * get_scale_min_k4): j < 4 in the low 6 bits of bytes j and j + 4; j >= 4
 * as a nibble of byte j + 4 plus the top 2 bits of bytes j - 4 and j. */
static void scale_min_k4(int j, const uint8_t *q, uint8_t *d, uint8_t *m)
{
	if (j < 4) {
		*d = q[j] & 63;
		*m = q[j + 4] & 63;
	} else {
		*d = (uint8_t)((q[j + 4] & 0xF) | (q[j - 4] >> 6) << 4);
		*m = (uint8_t)((q[j + 4] >> 4) | (q[j] >> 6) << 4);
	}
}

/* The part Q4_K and Q5_K share: per sub-block of 32 the (scale, min)
 * search with weights |x| + rms, the 6-bit packing of both against the fp16
 * d and dmin, then codes 0..nmax against the stored scales into L. */
static void kx_super_block(const float *x, int nmax, float rmin, int nstep, uint16_t *dp,
			   uint16_t *dminp, uint8_t *packed, uint8_t *L, bool fast)
{
	uint8_t Laux[32];
	float weights[32], mins[QL_QK_K / 32], scales[QL_QK_K / 32];
	float max_scale = 0, max_min = 0;

	for (int j = 0; j < QL_QK_K / 32; j++) {
		float sum_x2 = 0;
		for (int l = 0; l < 32; l++)
			sum_x2 += x[32 * j + l] * x[32 * j + l];
		float av_x = sqrtf(sum_x2 / 32);
		for (int l = 0; l < 32; l++)
			weights[l] = av_x + fabsf(x[32 * j + l]);
		scales[j] = fast ? ql_kq_make_qkx2_32(nmax, x + 32 * j, weights, L + 32 * j, &mins[j],
						      rmin, 0.1f, nstep)
			    : ql_kq_make_qkx2(32, nmax, x + 32 * j, weights, L + 32 * j, &mins[j], Laux,
					      rmin, 0.1f, nstep, false);
		if (scales[j] > max_scale)
			max_scale = scales[j];
		if (mins[j] > max_min)
			max_min = mins[j];
	}
	float inv_scale = max_scale > 0 ? 63.0f / max_scale : 0.0f;
	float inv_min = max_min > 0 ? 63.0f / max_min : 0.0f;
	for (int j = 0; j < QL_QK_K / 32; j++) {
		uint8_t ls = (uint8_t)ql_nearest_int(inv_scale * scales[j]);
		uint8_t lm = (uint8_t)ql_nearest_int(inv_min * mins[j]);
		ls = ls < 63 ? ls : 63;
		lm = lm < 63 ? lm : 63;
		if (j < 4) {
			packed[j] = ls;
			packed[j + 4] = lm;
		} else {
			packed[j + 4] = (uint8_t)((ls & 0xF) | (lm & 0xF) << 4);
			packed[j - 4] |= (uint8_t)((ls >> 4) << 6);
			packed[j] |= (uint8_t)((lm >> 4) << 6);
		}
	}
	*dp = ql_fp16_from_f32(max_scale / 63.0f);
	*dminp = ql_fp16_from_f32(max_min / 63.0f);

	for (int j = 0; j < QL_QK_K / 32; j++) {
		uint8_t sc, m;
		scale_min_k4(j, packed, &sc, &m);
		const float d = ql_f32_from_fp16(*dp) * sc;
		if (!d)
			continue;
		const float dm = ql_f32_from_fp16(*dminp) * m;
		for (int ii = 0; ii < 32; ii++)
			L[32 * j + ii] = (uint8_t)clampi(ql_nearest_int((x[32 * j + ii] + dm) / d), 0, nmax);
	}
}

static void q4_k_row(const float *x, ql_block_q4_k *y, int64_t k, bool fast)
{
	const int64_t nb = k / QL_QK_K;
	uint8_t L[QL_QK_K];

	for (int64_t i = 0; i < nb; i++, x += QL_QK_K) {
		kx_super_block(x, 15, -1.0f, 20, &y[i].d, &y[i].dmin, y[i].scales, L, fast);
		uint8_t *q = y[i].qs;
		for (int j = 0; j < QL_QK_K; j += 64, q += 32)
			for (int l = 0; l < 32; l++)
				q[l] = (uint8_t)(L[j + l] | L[j + l + 32] << 4);
	}
}

int64_t ql_quantize_row_q4_k_ref(const float *x, ql_block_q4_k *y, int64_t k)
{
	q4_k_row(x, y, k, false);
	return 0;
}

int64_t ql_quantize_row_q4_k(const float *x, ql_block_q4_k *y, int64_t k)
{
	q4_k_row(x, y, k, true);
	return 0;
}

void ql_dequantize_row_q4_k(const ql_block_q4_k *x, float *y, int64_t k)
{
#if QL_HAVE_AVX2_KERNELS
	if (ql_deq_avx2_active()) {
		ql_dequantize_row_q4_k_avx2(x, y, k);
		return;
	}
#endif
	const int64_t nb = k / QL_QK_K;

	for (int64_t i = 0; i < nb; i++) {
		const uint8_t *q = x[i].qs;
		const float d = ql_f32_from_fp16(x[i].d);
		const float min = ql_f32_from_fp16(x[i].dmin);
		for (int j = 0, is = 0; j < QL_QK_K; j += 64, q += 32, is += 2) {
			uint8_t sc, m;
			scale_min_k4(is, x[i].scales, &sc, &m);
			const float d1 = d * sc, m1 = min * m;
			scale_min_k4(is + 1, x[i].scales, &sc, &m);
			const float d2 = d * sc, m2 = min * m;
			for (int l = 0; l < 32; l++)
				*y++ = d1 * (q[l] & 0xF) - m1;
			for (int l = 0; l < 32; l++)
				*y++ = d2 * (q[l] >> 4) - m2;
		}
	}
}

static void q5_k_row(const float *x, ql_block_q5_k *y, int64_t k, bool fast)
{
	const int64_t nb = k / QL_QK_K;
	uint8_t L[QL_QK_K];

	for (int64_t i = 0; i < nb; i++, x += QL_QK_K) {
		kx_super_block(x, 31, -0.5f, 15, &y[i].d, &y[i].dmin, y[i].scales, L, fast);
		uint8_t *qh = y[i].qh, *ql = y[i].qs;
		memset(qh, 0, QL_QK_K / 8);
		uint8_t m1 = 1, m2 = 2;
		for (int n = 0; n < QL_QK_K; n += 64, ql += 32) {
			for (int j = 0; j < 32; j++) {
				int l1 = L[n + j], l2 = L[n + j + 32];
				if (l1 > 15) {
					l1 -= 16;
					qh[j] |= m1;
				}
				if (l2 > 15) {
					l2 -= 16;
					qh[j] |= m2;
				}
				ql[j] = (uint8_t)(l1 | l2 << 4);
			}
			m1 = (uint8_t)(m1 << 2);
			m2 = (uint8_t)(m2 << 2);
		}
	}
}

int64_t ql_quantize_row_q5_k_ref(const float *x, ql_block_q5_k *y, int64_t k)
{
	q5_k_row(x, y, k, false);
	return 0;
}

int64_t ql_quantize_row_q5_k(const float *x, ql_block_q5_k *y, int64_t k)
{
	q5_k_row(x, y, k, true);
	return 0;
}

void ql_dequantize_row_q5_k(const ql_block_q5_k *x, float *y, int64_t k)
{
#if QL_HAVE_AVX2_KERNELS
	if (ql_deq_avx2_active()) {
		ql_dequantize_row_q5_k_avx2(x, y, k);
		return;
	}
#endif
	const int64_t nb = k / QL_QK_K;

	for (int64_t i = 0; i < nb; i++) {
		const uint8_t *ql = x[i].qs, *qh = x[i].qh;
		const float d = ql_f32_from_fp16(x[i].d);
		const float min = ql_f32_from_fp16(x[i].dmin);
		uint8_t u1 = 1, u2 = 2;
		for (int j = 0, is = 0; j < QL_QK_K; j += 64, ql += 32, is += 2) {
			uint8_t sc, m;
			scale_min_k4(is, x[i].scales, &sc, &m);
			const float d1 = d * sc, m1 = min * m;
			scale_min_k4(is + 1, x[i].scales, &sc, &m);
			const float d2 = d * sc, m2 = min * m;
			for (int l = 0; l < 32; l++)
				*y++ = d1 * ((ql[l] & 0xF) + (qh[l] & u1 ? 16 : 0)) - m1;
			for (int l = 0; l < 32; l++)
				*y++ = d2 * ((ql[l] >> 4) + (qh[l] & u2 ? 16 : 0)) - m2;
			u1 = (uint8_t)(u1 << 2);
			u2 = (uint8_t)(u2 << 2);
		}
	}
}

/* ---- Q6_K -------------------------------------------------------------------- */

static void q6_k_row(const float *x, ql_block_q6_k *y, int64_t k, bool fast)
{
	const int64_t nb = k / QL_QK_K;
	int8_t L[QL_QK_K];
	float scales[QL_QK_K / 16];

	for (int64_t i = 0; i < nb; i++, x += QL_QK_K) {
		float max_scale = 0, max_abs_scale = 0;
		for (int ib = 0; ib < QL_QK_K / 16; ib++) {
			const float scale = fast ? ql_kq_make_qx_16(32, x + 16 * ib, L + 16 * ib)
						  : ql_kq_make_qx(16, 32, x + 16 * ib, L + 16 * ib);
			scales[ib] = scale;
			if (fabsf(scale) > max_abs_scale) {
				max_abs_scale = fabsf(scale);
				max_scale = scale;
			}
		}
		if (max_abs_scale < QL_GROUP_MAX_EPS) {
			memset(&y[i], 0, sizeof y[i]);
			continue;
		}
		float iscale = -128.0f / max_scale;
		y[i].d = ql_fp16_from_f32(1 / iscale);
		for (int ib = 0; ib < QL_QK_K / 16; ib++) {
			int s = ql_nearest_int(iscale * scales[ib]);
			y[i].scales[ib] = (int8_t)(uint8_t)(s < 127 ? s : 127);
		}
		for (int j = 0; j < QL_QK_K / 16; j++) {
			float d = ql_f32_from_fp16(y[i].d) * y[i].scales[j];
			if (!d)
				continue;
			for (int ii = 0; ii < 16; ii++)
				L[16 * j + ii] = (int8_t)(clampi(ql_nearest_int(x[16 * j + ii] / d), -32, 31) + 32);
		}
		/* per 128: low nibbles of 0..31 | 64..95 << 4 in ql[0..31], of
		 * 32..63 | 96..127 << 4 in ql[32..63]; the high 2 bits of l, l+32,
		 * l+64, l+96 in qh[l] */
		uint8_t *ql = y[i].ql, *qh = y[i].qh;
		for (int j = 0; j < QL_QK_K; j += 128, ql += 64, qh += 32) {
			for (int l = 0; l < 32; l++) {
				const uint8_t *c = (const uint8_t *)L + j + l;
				ql[l] = (uint8_t)((c[0] & 0xF) | (c[64] & 0xF) << 4);
				ql[l + 32] = (uint8_t)((c[32] & 0xF) | (c[96] & 0xF) << 4);
				qh[l] = (uint8_t)((c[0] >> 4) | (c[32] >> 4) << 2 | (c[64] >> 4) << 4 |
						  (c[96] >> 4) << 6);
			}
		}
	}
}

int64_t ql_quantize_row_q6_k_ref(const float *x, ql_block_q6_k *y, int64_t k)
{
	q6_k_row(x, y, k, false);
	return 0;
}

int64_t ql_quantize_row_q6_k(const float *x, ql_block_q6_k *y, int64_t k)
{
	q6_k_row(x, y, k, true);
	return 0;
}

void ql_dequantize_row_q6_k(const ql_block_q6_k *x, float *y, int64_t k)
{
#if QL_HAVE_AVX2_KERNELS
	if (ql_deq_avx2_active()) {
		ql_dequantize_row_q6_k_avx2(x, y, k);
		return;
	}
#endif
	const int64_t nb = k / QL_QK_K;

	for (int64_t i = 0; i < nb; i++) {
		const float d = ql_f32_from_fp16(x[i].d);
		const uint8_t *ql = x[i].ql, *qh = x[i].qh;
		const int8_t *sc = x[i].scales;
		for (int n = 0; n < QL_QK_K; n += 128, y += 128, ql += 64, qh += 32, sc += 8) {
			for (int l = 0; l < 32; l++) {
				int is = l / 16;
				int q1 = ((ql[l] & 0xF) | ((qh[l] >> 0) & 3) << 4) - 32;
				int q2 = ((ql[l + 32] & 0xF) | ((qh[l] >> 2) & 3) << 4) - 32;
				int q3 = ((ql[l] >> 4) | ((qh[l] >> 4) & 3) << 4) - 32;
				int q4 = ((ql[l + 32] >> 4) | ((qh[l] >> 6) & 3) << 4) - 32;
				y[l] = d * sc[is] * q1;
				y[l + 32] = d * sc[is + 2] * q2;
				y[l + 64] = d * sc[is + 4] * q3;
				y[l + 96] = d * sc[is + 6] * q4;
			}
		}
	}
}

/* ---- Q8_K -------------------------------------------------------------------- */

int64_t ql_quantize_row_q8_k_ref(const float *x, ql_block_q8_k *y, int64_t k)
{
	const int64_t nb = k / QL_QK_K;

	for (int64_t i = 0; i < nb; i++, x += QL_QK_K) {
		float max = 0, amax = 0;
		for (int j = 0; j < QL_QK_K; j++) {
			float ax = fabsf(x[j]);
			if (ax > amax) {
				amax = ax;
				max = x[j];
			}
		}
		if (!amax) {
			memset(&y[i], 0, sizeof y[i]);
			continue;
		}
		const float iscale = -127.0f / max;
		for (int j = 0; j < QL_QK_K; j++) {
			int v = ql_nearest_int(iscale * x[j]);
			y[i].qs[j] = (int8_t)(uint8_t)(v < 127 ? v : 127);
		}
		for (int j = 0; j < QL_QK_K / 16; j++) {
			int sum = 0;
			for (int ii = 0; ii < 16; ii++)
				sum += y[i].qs[j * 16 + ii];
			y[i].bsums[j] = (int16_t)sum;
		}
		y[i].d = 1 / iscale;
	}
	return 0;
}

void ql_dequantize_row_q8_k(const ql_block_q8_k *x, float *y, int64_t k)
{
#if QL_HAVE_AVX2_KERNELS
	if (ql_deq_avx2_active()) {
		ql_dequantize_row_q8_k_avx2(x, y, k);
		return;
	}
#endif
	const int64_t nb = k / QL_QK_K;

	for (int64_t i = 0; i < nb; i++)
		for (int j = 0; j < QL_QK_K; j++)
			*y++ = x[i].d * x[i].qs[j];
}
