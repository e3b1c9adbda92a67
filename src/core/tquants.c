/* tquants.c — ggml's ternary formats for BitNet b1.58-style weights: each
 * value is a trit t in {-1, 0, +1} times the block's fp16 d = absmax.
 *
 *   TQ1_0  5 trits a byte (3^5 = 243 <= 256) for 240 values, 4 a byte for
 *          the last 16: 54 bytes per 256 values, 1.6875 bpw
 *   TQ2_0  2 bits a trit: 66 bytes per 256, 2.0625 bpw
 *
 * TQ1_0 stores a group of trits as the fraction q / 3^5 in a byte: the
 * base-3 number q (first trit most significant) becomes ceil(q * 256 / 243),
 * so multiplying the byte by 3^n (mod 256) and taking (b * 3) >> 8 reads
 * trit n without a division. The last 16 values pack 4 trits, shifted one
 * place up so that they read the same way.
 *
 * The quantizers are ggml's quantize_row_tq1_0_ref / _tq2_0_ref: the trit is
 * lroundf(x / absmax) (half away from zero, so only x = ±absmax/2 or more
 * leave 0); an all-zero block has d = 0 and every trit 0 (code 1).
 */
#include "qlens/ggml_blocks.h"

#include <math.h>

#include "ggml_round.h"
#include "deq_avx2.h"

/* block absmax as ggml's MAX(amax, fabsf(v)) loop (a NaN turns it NaN and
 * later values may replace it, exactly as there) */
static float absmax256(const float *x)
{
	float amax = 0.0f;
	for (int j = 0; j < QL_QK_K; j++)
		amax = ql_fmaxf_c(amax, fabsf(x[j]));
	return amax;
}

/* the code of one value: 0, 1, 2 for -1, 0, +1 (as ggml's int arithmetic
 * leaves it for any input) */
static inline int trit(float v, float id)
{
	return ql_lroundf_int(v * id) + 1;
}

/* base-3 digits to the byte ceil(q * 256 / 243), in ggml's uint8 arithmetic */
static inline uint8_t trits_to_byte(unsigned q)
{
	q &= 0xff;
	return (uint8_t)((q * 256 + (243 - 1)) / 243);
}

int64_t ql_quantize_row_tq1_0_ref(const float *x, ql_block_tq1_0 *y, int64_t k)
{
	const int64_t nb = k / QL_QK_K;
	const int nqs = (int)sizeof y->qs, nqh = (int)sizeof y->qh;
	const int n32 = nqs - nqs % 32; /* 32 bytes of 5 trits, then 16 */

	for (int64_t i = 0; i < nb; i++) {
		const float d = absmax256(x);
		const float id = d ? 1.0f / d : 0.0f;
		y[i].d = ql_fp16_from_f32(d);
		for (int j = 0; j < n32; j += 32, x += 5 * 32) {
			for (int m = 0; m < 32; m++) {
				unsigned q = 0;
				for (int n = 0; n < 5; n++)
					q = ((q * 3) & 0xff) + (unsigned)trit(x[m + n * 32], id);
				y[i].qs[j + m] = trits_to_byte(q);
			}
		}
		for (int j = n32; j < nqs; j += 16, x += 5 * 16) {
			for (int m = 0; m < 16; m++) {
				unsigned q = 0;
				for (int n = 0; n < 5; n++)
					q = ((q * 3) & 0xff) + (unsigned)trit(x[m + n * 16], id);
				y[i].qs[j + m] = trits_to_byte(q);
			}
		}
		for (int j = 0; j < nqh; j++) {
			unsigned q = 0;
			for (int m = 0; m < 4; m++)
				q = ((q * 3) & 0xff) + (unsigned)trit(x[j + m * nqh], id);
			q = (q * 3) & 0xff; /* the first trit to the top of 5 */
			y[i].qh[j] = trits_to_byte(q);
		}
		x += 4 * nqh;
	}
	return 0;
}

/* trit n of a TQ1_0 byte, as ggml reads it: -1, 0 or +1 */
static inline int tq1_trit(uint8_t b, int n)
{
	static const uint8_t pow3[6] = { 1, 3, 9, 27, 81, 243 };
	uint8_t q = (uint8_t)(b * pow3[n]);
	return ((q * 3) >> 8) - 1;
}

void ql_dequantize_row_tq1_0(const ql_block_tq1_0 *x, float *y, int64_t k)
{
#if QL_HAVE_AVX2_KERNELS
	if (ql_deq_avx2_active()) {
		ql_dequantize_row_tq1_0_avx2(x, y, k);
		return;
	}
#endif
	const int64_t nb = k / QL_QK_K;
	const int nqs = (int)sizeof x->qs, nqh = (int)sizeof x->qh;
	const int n32 = nqs - nqs % 32;

	for (int64_t i = 0; i < nb; i++) {
		const float d = ql_f32_from_fp16(x[i].d);
		for (int j = 0; j < n32; j += 32)
			for (int n = 0; n < 5; n++)
				for (int m = 0; m < 32; m++)
					*y++ = (float)tq1_trit(x[i].qs[j + m], n) * d;
		for (int j = n32; j < nqs; j += 16)
			for (int n = 0; n < 5; n++)
				for (int m = 0; m < 16; m++)
					*y++ = (float)tq1_trit(x[i].qs[j + m], n) * d;
		for (int n = 0; n < 4; n++)
			for (int j = 0; j < nqh; j++)
				*y++ = (float)tq1_trit(x[i].qh[j], n) * d;
	}
}

int64_t ql_quantize_row_tq2_0_ref(const float *x, ql_block_tq2_0 *y, int64_t k)
{
	const int64_t nb = k / QL_QK_K;

	for (int64_t i = 0; i < nb; i++) {
		const float d = absmax256(x);
		const float id = d ? 1.0f / d : 0.0f;
		y[i].d = ql_fp16_from_f32(d);
		for (int j = 0; j < (int)sizeof y->qs; j += 32, x += 4 * 32) {
			for (int m = 0; m < 32; m++) {
				unsigned q = 0;
				for (int n = 0; n < 4; n++)
					q += ((unsigned)trit(x[m + n * 32], id) & 3) << (2 * n);
				y[i].qs[j + m] = (uint8_t)q;
			}
		}
	}
	return 0;
}

void ql_dequantize_row_tq2_0(const ql_block_tq2_0 *x, float *y, int64_t k)
{
#if QL_HAVE_AVX2_KERNELS
	if (ql_deq_avx2_active()) {
		ql_dequantize_row_tq2_0_avx2(x, y, k);
		return;
	}
#endif
	const int64_t nb = k / QL_QK_K;

	for (int64_t i = 0; i < nb; i++) {
		const float d = ql_f32_from_fp16(x[i].d);
		for (int j = 0; j < (int)sizeof x->qs; j += 32)
			for (int l = 0; l < 4; l++)
				for (int m = 0; m < 32; m++)
					*y++ = (float)(((x[i].qs[j + m] >> (l * 2)) & 3) - 1) * d;
	}
}
