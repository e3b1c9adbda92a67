/* legacy_q.c — the quantizers of Q4_1, Q5_0 and Q5_1 (their dequantizers
 * are in blocks.c), as ggml's quantize_row_q4_1_ref, _q5_0_ref, _q5_1_ref.
 *
 *   Q4_1, Q5_1: d = (max - min) / 15 (/ 31), m = min, both stored as fp16;
 *     code = (x - min) * (1/d) + 0.5 truncated (Q4_1 capped at 15). The
 *     codes use the float32 d and min, not the stored fp16 ones.
 *   Q5_0: as Q4_0 with 5 bits: d = (value of largest magnitude) / -16,
 *     code = x * (1/d) + 16.5 truncated, capped at 31; the fifth bits go
 *     to qh (bit j for element j, bit j + 16 for element j + 16).
 * A block whose values are all equal has d = 0, and 1/d is taken as 0.
 */
#include "qlens/ggml_blocks.h"

#include <float.h>
#include <math.h>
#include <string.h>

#include "ggml_round.h"

/* (uint8_t)MIN(cap, (int8_t)v) as ggml writes it for Q4_1 and Q5_0 */
static uint8_t code_capped(float v, int cap, int64_t *clipped)
{
	int c = (int8_t)(uint8_t)ql_cvtt_i32(v);
	if (c > cap) {
		(*clipped)++;
		c = cap;
	}
	return (uint8_t)c;
}

static void min_max32(const float *x, float *min, float *max)
{
	float lo = FLT_MAX, hi = -FLT_MAX;
	for (int j = 0; j < 32; j++) {
		if (x[j] < lo)
			lo = x[j];
		if (x[j] > hi)
			hi = x[j];
	}
	*min = lo;
	*max = hi;
}

int64_t ql_quantize_row_q4_1_ref(const float *x, ql_block_q4_1 *y, int64_t k)
{
	const int64_t nb = k / QL_QK4_1;
	int64_t clipped = 0;

	for (int64_t i = 0; i < nb; i++) {
		const float *xb = x + i * QL_QK4_1;
		float min, max;
		min_max32(xb, &min, &max);
		const float d = (max - min) / 15;
		const float id = d != 0.0f ? 1.0f / d : 0.0f;
		y[i].d = ql_fp16_from_f32(d);
		y[i].m = ql_fp16_from_f32(min);
		for (int j = 0; j < QL_QK4_1 / 2; j++) {
			const float x0 = (xb[j] - min) * id;
			const float x1 = (xb[j + QL_QK4_1 / 2] - min) * id;
			uint8_t lo = code_capped(x0 + 0.5f, 15, &clipped);
			uint8_t hi = code_capped(x1 + 0.5f, 15, &clipped);
			y[i].qs[j] = (uint8_t)(lo | hi << 4);
		}
	}
	return clipped;
}

int64_t ql_quantize_row_q5_0_ref(const float *x, ql_block_q5_0 *y, int64_t k)
{
	const int64_t nb = k / QL_QK5_0;
	int64_t clipped = 0;

	for (int64_t i = 0; i < nb; i++) {
		const float *xb = x + i * QL_QK5_0;
		float amax = 0.0f, max = 0.0f;
		for (int j = 0; j < QL_QK5_0; j++) {
			if (amax < fabsf(xb[j])) {
				amax = fabsf(xb[j]);
				max = xb[j];
			}
		}
		const float d = max / -16;
		const float id = d != 0.0f ? 1.0f / d : 0.0f;
		y[i].d = ql_fp16_from_f32(d);
		uint32_t qh = 0;
		for (int j = 0; j < QL_QK5_0 / 2; j++) {
			uint8_t c0 = code_capped(xb[j] * id + 16.5f, 31, &clipped);
			uint8_t c1 = code_capped(xb[j + QL_QK5_0 / 2] * id + 16.5f, 31, &clipped);
			y[i].qs[j] = (uint8_t)((c0 & 0x0f) | (c1 & 0x0f) << 4);
			qh |= (uint32_t)((c0 & 0x10u) >> 4) << j;
			qh |= (uint32_t)((c1 & 0x10u) >> 4) << (j + QL_QK5_0 / 2);
		}
		for (int b = 0; b < 4; b++)
			y[i].qh[b] = (uint8_t)(qh >> (8 * b));
	}
	return clipped;
}

int64_t ql_quantize_row_q5_1_ref(const float *x, ql_block_q5_1 *y, int64_t k)
{
	const int64_t nb = k / QL_QK5_1;

	for (int64_t i = 0; i < nb; i++) {
		const float *xb = x + i * QL_QK5_1;
		float min, max;
		min_max32(xb, &min, &max);
		const float d = (max - min) / 31;
		const float id = d != 0.0f ? 1.0f / d : 0.0f;
		y[i].d = ql_fp16_from_f32(d);
		y[i].m = ql_fp16_from_f32(min);
		uint32_t qh = 0;
		for (int j = 0; j < QL_QK5_1 / 2; j++) {
			const float x0 = (xb[j] - min) * id;
			const float x1 = (xb[j + QL_QK5_1 / 2] - min) * id;
			/* no cap here in ggml: (uint8_t)(x + 0.5f) */
			uint8_t c0 = (uint8_t)ql_cvtt_i32(x0 + 0.5f);
			uint8_t c1 = (uint8_t)ql_cvtt_i32(x1 + 0.5f);
			y[i].qs[j] = (uint8_t)((c0 & 0x0f) | (c1 & 0x0f) << 4);
			qh |= (uint32_t)((c0 & 0x10u) >> 4) << j;
			qh |= (uint32_t)((c1 & 0x10u) >> 4) << (j + QL_QK5_1 / 2);
		}
		for (int b = 0; b < 4; b++)
			y[i].qh[b] = (uint8_t)(qh >> (8 * b));
	}
	return 0;
}
