/* iq4.c — IQ4_NL and IQ4_XS: 4-bit codes that index 16 non-linear levels
 * (denser near zero, where weights are), times a scale.
 *
 *   IQ4_NL  blocks of 32, one fp16 scale                       4.5 bpw
 *   IQ4_XS  super-blocks of 256: fp16 d, 8 six-bit signed sub-block scales
 *           (value = d * (scale - 32) * level)                 4.25 bpw
 *
 * The quantizers are ggml's quantize_row_iq4_nl_ref and _iq4_xs_ref (which
 * is quantize_iq4_xs without an importance matrix), both through ggml's
 * quantize_row_iq4_nl_impl: per 32 the scale max / level[0] (level[0] is
 * -127), codes by nearest level, then the least-squares scale weighted by
 * x^2; IQ4_XS also tries 14 more scales (level[0] + t) / max and keeps the
 * best fit, then quantizes the sub-block scales against d = -max / 32 and
 * re-picks every code against its stored sub-block scale.
 *
 * One corner of ggml's code reads memory it never wrote: an IQ4_NL block
 * whose |values| are all below 1e-15 gets d = 0 and the codes ggml's
 * scratch array held from the row's previous block (garbage for the first).
 * qlens keeps the same scratch (the previous block's codes) and starts it at
 * zero, so such a block is deterministic; it decodes to zeros either way.
 */
#include "qlens/ggml_blocks.h"

#include <math.h>
#include <string.h>

#include "ggml_round.h"
#include "kq_fast.h"
#include "kq_search.h"
#include "deq_avx2.h"

const int8_t ql_iq4nl_values[16] = {
	-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113,
};

/* ggml's best_index_int8: the nearest of the n sorted levels (ties go up). */
static int best_index(const int8_t *val, float x)
{
	if (x <= val[0])
		return 0;
	if (x >= val[15])
		return 15;
	int ml = 0, mu = 15;
	while (mu - ml > 1) {
		int mav = (ml + mu) / 2;
		if (x < val[mav])
			mu = mav;
		else
			ml = mav;
	}
	return x - val[mu - 1] < val[mu] - x ? mu - 1 : mu;
}

/* quantize_row_iq4_nl_impl without quant_weights, for a super-block of
 * sbs values in blocks of 32: writes *dh, q4[sbs / 2] and, when sbs > 32,
 * the packed sub-block scales; L[sbs] is the caller's scratch. */
/* The codes of 32 values at id * x (into Lb unless NULL) and the weighted
 * sums of the least-squares scale, as ggml's loop forms them. */
static void codes_sums_ref(const float *xb, const float *weight, float id, uint8_t *Lb,
			   float *sumqx_out, float *sumq2_out)
{
	const int8_t *values = ql_iq4nl_values;
	float sumqx = 0, sumq2 = 0;
	for (int j = 0; j < 32; j++) {
		int l = best_index(values, id * xb[j]);
		if (Lb)
			Lb[j] = (uint8_t)l;
		float q = values[l];
		sumqx += weight[j] * q * xb[j];
		sumq2 += weight[j] * q * q;
	}
	*sumqx_out = sumqx;
	*sumq2_out = sumq2;
}

static void codes_ref(const float *x, float s, uint8_t *L)
{
	for (int j = 0; j < 32; j++)
		L[j] = (uint8_t)best_index(ql_iq4nl_values, s * x[j]);
}

static void iq4_impl(int sbs, const float *x, uint16_t *dh, uint8_t *q4, uint16_t *scales_h,
		     uint8_t *scales_l, uint8_t *L, int ntry, bool fast)
{
	void (*codes_sums)(const float *, const float *, float, uint8_t *, float *, float *) =
		fast ? ql_iq4_codes_sums_32 : codes_sums_ref;
	void (*codes)(const float *, float, uint8_t *) = fast ? ql_iq4_codes_32 : codes_ref;
	const int8_t *values = ql_iq4nl_values;
	float scales[QL_QK_K / 32], weight[32];

	memset(q4, 0, (size_t)sbs / 2);
	*dh = ql_fp16_from_f32(0.0f);

	float max_scale = 0, amax_scale = 0;
	for (int ib = 0; ib < sbs / 32; ib++) {
		const float *xb = x + ib * 32;
		uint8_t *Lb = L + ib * 32;
		for (int j = 0; j < 32; j++)
			weight[j] = xb[j] * xb[j];
		float amax = 0, max = 0;
		for (int j = 0; j < 32; j++) {
			float ax = fabsf(xb[j]);
			if (ax > amax) {
				amax = ax;
				max = xb[j];
			}
		}
		if (amax < QL_GROUP_MAX_EPS) {
			scales[ib] = 0;
			continue;
		}
		float d = ntry > 0 ? -max / values[0] : max / values[0];
		float id = 1 / d;
		float sumqx, sumq2;
		codes_sums(xb, weight, id, Lb, &sumqx, &sumq2);
		d = sumq2 > 0 ? sumqx / sumq2 : 0.0f;
		float best = d * sumqx;
		for (int itry = -ntry; itry <= ntry; itry++) {
			id = (itry + values[0]) / max;
			codes_sums(xb, weight, id, NULL, &sumqx, &sumq2);
			if (sumq2 > 0 && sumqx * sumqx > best * sumq2) {
				d = sumqx / sumq2;
				best = d * sumqx;
			}
		}
		scales[ib] = d;
		if (fabsf(d) > amax_scale) {
			amax_scale = fabsf(d);
			max_scale = d;
		}
	}

	if (sbs > 32) {
		*scales_h = 0;
		float d = -max_scale / 32;
		*dh = ql_fp16_from_f32(d);
		float id = d ? 1 / d : 0.0f;
		for (int ib = 0; ib < sbs / 32; ib++) {
			int l = ql_nearest_int(id * scales[ib]);
			l = l < -32 ? -32 : l > 31 ? 31 : l;
			float dl = d * l;
			float idl = dl ? 1 / dl : 0.0f;
			codes(x + ib * 32, idl, L + ib * 32);
			l += 32;
			if (ib % 2 == 0)
				scales_l[ib / 2] = (uint8_t)(l & 0xf);
			else
				scales_l[ib / 2] |= (uint8_t)((l & 0xf) << 4);
			*scales_h |= (uint16_t)((l >> 4) << 2 * (ib % 8));
		}
	} else {
		*dh = ql_fp16_from_f32(scales[0]);
	}
	for (int i = 0; i < sbs / 32; i++)
		for (int j = 0; j < 16; j++)
			q4[16 * i + j] = (uint8_t)(L[32 * i + j] | L[32 * i + 16 + j] << 4);
}

static void iq4_nl_row(const float *x, ql_block_iq4_nl *y, int64_t k, bool fast)
{
	const int64_t nb = k / QL_QK4_NL;
	uint8_t L[QL_QK4_NL] = { 0 }; /* kept across blocks, as ggml's */

	for (int64_t i = 0; i < nb; i++)
		iq4_impl(QL_QK4_NL, x + i * QL_QK4_NL, &y[i].d, y[i].qs, NULL, NULL, L, -1, fast);
}

static void iq4_xs_row(const float *x, ql_block_iq4_xs *y, int64_t k, bool fast)
{
	const int64_t nb = k / QL_QK_K;
	uint8_t L[QL_QK_K] = { 0 };

	for (int64_t i = 0; i < nb; i++) {
		uint16_t sh;
		iq4_impl(QL_QK_K, x + i * QL_QK_K, &y[i].d, y[i].qs, &sh, y[i].scales_l, L, 7, fast);
		y[i].scales_h = sh;
	}
}

int64_t ql_quantize_row_iq4_nl_ref(const float *x, ql_block_iq4_nl *y, int64_t k)
{
	iq4_nl_row(x, y, k, false);
	return 0;
}

int64_t ql_quantize_row_iq4_nl(const float *x, ql_block_iq4_nl *y, int64_t k)
{
	iq4_nl_row(x, y, k, true);
	return 0;
}

int64_t ql_quantize_row_iq4_xs_ref(const float *x, ql_block_iq4_xs *y, int64_t k)
{
	iq4_xs_row(x, y, k, false);
	return 0;
}

int64_t ql_quantize_row_iq4_xs(const float *x, ql_block_iq4_xs *y, int64_t k)
{
	iq4_xs_row(x, y, k, true);
	return 0;
}

void ql_dequantize_row_iq4_nl(const ql_block_iq4_nl *x, float *y, int64_t k)
{
#if QL_HAVE_AVX2_KERNELS
	if (ql_deq_avx2_active()) {
		ql_dequantize_row_iq4_nl_avx2(x, y, k);
		return;
	}
#endif
	const int64_t nb = k / QL_QK4_NL;

	for (int64_t i = 0; i < nb; i++, y += QL_QK4_NL) {
		const float d = ql_f32_from_fp16(x[i].d);
		for (int j = 0; j < QL_QK4_NL / 2; j++) {
			y[j] = d * ql_iq4nl_values[x[i].qs[j] & 0xf];
			y[j + QL_QK4_NL / 2] = d * ql_iq4nl_values[x[i].qs[j] >> 4];
		}
	}
}

void ql_dequantize_row_iq4_xs(const ql_block_iq4_xs *x, float *y, int64_t k)
{
#if QL_HAVE_AVX2_KERNELS
	if (ql_deq_avx2_active()) {
		ql_dequantize_row_iq4_xs_avx2(x, y, k);
		return;
	}
#endif
	const int64_t nb = k / QL_QK_K;

	for (int64_t i = 0; i < nb; i++) {
		const uint8_t *qs = x[i].qs;
		const float d = ql_f32_from_fp16(x[i].d);
		for (int ib = 0; ib < QL_QK_K / 32; ib++, y += 32, qs += 16) {
			const int ls = ((x[i].scales_l[ib / 2] >> 4 * (ib % 2)) & 0xf) |
				       ((x[i].scales_h >> 2 * ib) & 3) << 4;
			const float dl = d * (ls - 32);
			for (int j = 0; j < 16; j++) {
				y[j] = dl * ql_iq4nl_values[qs[j] & 0xf];
				y[j + 16] = dl * ql_iq4nl_values[qs[j] >> 4];
			}
		}
	}
}
