/* blocks.c — llama.cpp's block formats: Q8_0 and Q4_0 both ways, and the
 * dequantizers of Q4_1, Q5_0 and Q5_1 (for reading GGUF files).
 *
 * These follow ggml's scalar reference code (quantize_row_q8_0_ref,
 * quantize_row_q4_0_ref, dequantize_row_* in ggml-quants.c) operation for
 * operation, so the bytes are the same as llama.cpp's:
 *   - the scale d is computed in float32 and stored as fp16 (round to nearest
 *     even), but the codes use id = 1/d of the float32 d, not of the stored
 *     fp16 value;
 *   - Q8_0 rounds with roundf (half away from zero);
 *   - Q4_0 takes d = (the value of largest magnitude, with its sign) / -8 and
 *     the code (int8_t)(x * id + 8.5f) (truncation), capped at 15.
 * An all-zero block has d = 0 and id = 0, so its codes are 0 (Q8_0) and 8
 * (Q4_0): no division by zero. The block layouts are in qlens/blocks.h.
 */
#include "qlens/blocks.h"

#include <math.h>
#include <string.h>

#include "quant_avx2.h"
#include "simd.h"
#include "deq_avx2.h"

/* ---- binary16 ------------------------------------------------------------- */

static uint32_t f32_bits(float f)
{
	uint32_t u;
	memcpy(&u, &f, sizeof u);
	return u;
}

static inline __attribute__((always_inline)) float f32_from_bits(uint32_t u)
{
	float f;
	memcpy(&f, &u, sizeof f);
	return f;
}

static inline __attribute__((always_inline)) uint16_t f32_to_fp16(float f)
{
	uint32_t u = f32_bits(f);
	uint16_t sign = (uint16_t)((u >> 16) & 0x8000);
	uint32_t abs = u & 0x7fffffff;

	if (abs >= 0x7f800000) /* inf or NaN (NaN stays a quiet NaN) */
		return sign | (abs > 0x7f800000 ? 0x7e00 : 0x7c00);
	if (abs >= 0x477ff000) /* rounds to 65536 or more: inf */
		return sign | 0x7c00;
	if (abs < 0x38800000) { /* below 2^-14: fp16 subnormal or zero */
		/* value / 2^-24, rounded to nearest even, is the code. */
		if (abs < 0x33000000) /* below 2^-25: rounds to zero (2^-25 is a tie -> 0) */
			return sign;
		uint32_t man = (abs & 0x7fffff) | 0x800000;
		int shift = 126 - (int)(abs >> 23); /* man × 2^(E-150) / 2^-24 = man >> (126-E) */
		uint32_t q = man >> shift;
		uint32_t rem = man & ((1u << shift) - 1);
		uint32_t half = 1u << (shift - 1);
		if (rem > half || (rem == half && (q & 1)))
			q++;
		return sign | (uint16_t)q;
	}
	/* Normal: rebias the exponent, round the 23-bit mantissa to 10 bits. */
	uint32_t h = ((abs >> 13) - ((127 - 15) << 10));
	uint32_t rem = abs & 0x1fff;
	if (rem > 0x1000 || (rem == 0x1000 && (h & 1)))
		h++; /* a carry into the exponent is right, up to 0x7c00 = inf */
	return sign | (uint16_t)h;
}

uint16_t ql_fp16_from_f32(float f)
{
	return f32_to_fp16(f);
}

/* These two are inlined into the row functions' AVX2 clones: a call to the
 * baseline function there, with 256-bit registers live, cost more than the
 * block (q8_0 dequantize ran at 0.2x memcpy). */
static inline __attribute__((always_inline)) float fp16_to_f32(uint16_t h)
{
	uint32_t sign = (uint32_t)(h & 0x8000) << 16;
	uint32_t exp = (h >> 10) & 0x1f;
	uint32_t man = h & 0x3ff;

	if (exp == 0x1f)
		return f32_from_bits(sign | 0x7f800000 | (man << 13));
	if (exp == 0) {
		/* zero or subnormal: man × 2^-24, exact in float32 */
		float v = (float)man * 0x1p-24f;
		return sign ? -v : v;
	}
	return f32_from_bits(sign | ((exp + 127 - 15) << 23) | (man << 13));
}

float ql_f32_from_fp16(uint16_t h)
{
	return fp16_to_f32(h);
}

/* ---- Q8_0 ------------------------------------------------------------------ */

/* roundf(v) (half away from zero) as an int8, without the library call and
 * without branches, so the 32 codes of a block vectorise: v - trunc(v) is
 * exact here, so the half-way test is exact too. A non-finite v happens when a block's absmax is below about
 * 2^-121: d = absmax / 127 is then so small that 1 / d overflows to inf and
 * x * id is ±inf or NaN. ggml's (int8_t)roundf(v) converts that through
 * x86's cvttss2si, whose "integer indefinite" 0x80000000 has the low byte 0,
 * so every code of such a block is 0 (and d is 0 in fp16 anyway); qlens
 * gives the same 0 without the undefined conversion. */
static inline int8_t q8_code(float v)
{
	v = v - v == 0.0f ? v : 0.0f; /* ±inf and NaN: v - v is NaN */
	v = v > -128.0f ? v : -128.0f; /* x * id can round a hair past ±127 */
	v = v < 127.0f ? v : 127.0f;
	int t = (int)v;
	float f = v - (float)t;
	t += (f >= 0.5f) - (f <= -0.5f);
	return (int8_t)t;
}

/* max |x[j]| of a block of 32, on 8 lanes (every |x| is >= 0, so the order
 * of the comparisons cannot change the result; NaN is skipped either way,
 * as by the "a > amax" of the reference loop). */
static inline float absmax32(const float *restrict x)
{
	float m[8] = {0};
	for (int j = 0; j < 32; j += 8) {
		for (int l = 0; l < 8; l++) {
			float a = fabsf(x[j + l]);
			m[l] = a > m[l] ? a : m[l];
		}
	}
	float amax = 0.0f;
	for (int l = 0; l < 8; l++)
		amax = m[l] > amax ? m[l] : amax;
	return amax;
}

int64_t ql_quantize_row_q8_0_ref(const float *x, ql_block_q8_0 *y, int64_t k)
{
	const int64_t nb = k / QL_QK8_0;

	for (int64_t i = 0; i < nb; i++) {
		const float *xb = x + i * QL_QK8_0;
		float amax = 0.0f;
		for (int j = 0; j < QL_QK8_0; j++) {
			float a = fabsf(xb[j]);
			amax = a > amax ? a : amax;
		}

		const float d = amax / 127.0f;
		const float id = d != 0.0f ? 1.0f / d : 0.0f;
		y[i].d = f32_to_fp16(d);
		for (int j = 0; j < QL_QK8_0; j++)
			y[i].qs[j] = q8_code(xb[j] * id);
	}
	return 0;
}

QL_SIMD_CLONES
int64_t ql_quantize_row_q8_0(const float *x, ql_block_q8_0 *y, int64_t k)
{
	const int64_t nb = k / QL_QK8_0;
#if QL_HAVE_AVX2_KERNELS
	if (ql_avx2_active()) { /* the explicit AVX2 kernel (quant_avx2.c): same bytes */
		ql_q8_0_row_avx2(x, y, nb);
		return 0;
	}
#endif

	for (int64_t i = 0; i < nb; i++) {
		const float *xb = x + i * QL_QK8_0;
		const float amax = absmax32(xb);
		const float d = amax / 127.0f;
		const float id = d != 0.0f ? 1.0f / d : 0.0f;
		y[i].d = f32_to_fp16(d);
		int8_t qs[QL_QK8_0]; /* a local array: no aliasing, so it vectorises */
		for (int j = 0; j < QL_QK8_0; j++)
			qs[j] = q8_code(xb[j] * id);
		memcpy(y[i].qs, qs, sizeof qs);
	}
	return 0;
}

/* One block's 32 values: a fixed trip count over plain arrays, which the
 * vectoriser takes whole (the loop over 34-byte blocks it would gather). */
static inline __attribute__((always_inline)) void q8_0_deq_block(const int8_t *restrict qs,
								 float d, float *restrict yb)
{
	for (int j = 0; j < QL_QK8_0; j++)
		yb[j] = (float)qs[j] * d;
}

QL_SIMD_CLONES
void ql_dequantize_row_q8_0(const ql_block_q8_0 *restrict x, float *restrict y, int64_t k)
{
#if QL_HAVE_AVX2_KERNELS
	if (ql_deq_avx2_active()) {
		ql_dequantize_row_q8_0_avx2(x, y, k);
		return;
	}
#endif
	const int64_t nb = k / QL_QK8_0;

	for (int64_t i = 0; i < nb; i++)
		q8_0_deq_block(x[i].qs, fp16_to_f32(x[i].d), y + i * QL_QK8_0);
}

/* ---- Q4_0 ------------------------------------------------------------------ */

/* One Q4_0 code: (int8_t)(v + 8.5f) truncates toward zero; v is in
 * [-8, 8] by construction (|x| <= amax = 8|d|), so the cast is defined and
 * only v == 8 (x = -max, the opposite sign) can give 16, capped to 15. */
static uint8_t q4_0_code(float v, int64_t *clipped)
{
	float w = v + 8.5f;
	if (!(w >= 0.0f && w < 127.0f)) /* NaN input only */
		w = 0.0f;
	int c = (int8_t)w;
	if (c > 15) {
		(*clipped)++;
		c = 15;
	}
	return (uint8_t)c;
}

int64_t ql_quantize_row_q4_0_ref(const float *x, ql_block_q4_0 *y, int64_t k)
{
	const int64_t nb = k / QL_QK4_0;
	int64_t clipped = 0;

	for (int64_t i = 0; i < nb; i++) {
		const float *xb = x + i * QL_QK4_0;
		float amax = 0.0f, max = 0.0f;
		for (int j = 0; j < QL_QK4_0; j++) {
			if (amax < fabsf(xb[j])) {
				amax = fabsf(xb[j]);
				max = xb[j];
			}
		}
		const float d = max / -8.0f;
		const float id = d != 0.0f ? 1.0f / d : 0.0f;
		y[i].d = f32_to_fp16(d);
		for (int j = 0; j < QL_QK4_0 / 2; j++) {
			uint8_t lo = q4_0_code(xb[j] * id, &clipped);
			uint8_t hi = q4_0_code(xb[j + QL_QK4_0 / 2] * id, &clipped);
			y[i].qs[j] = (uint8_t)(lo | hi << 4);
		}
	}
	return clipped;
}

/* q4_0_code without the branch, for a vectorised loop: w = v + 8.5 is in
 * [0.5, 16.5] for finite x, so (int)w is the truncation the reference's
 * (int8_t) cast does; a NaN gives 0 like the reference's guard. */
static inline int q4_0_code_fast(float v)
{
	float w = v + 8.5f;
	w = w >= 0.0f ? w : 0.0f; /* NaN and below 0 (only non-finite x) */
	w = w < 127.0f ? w : 0.0f;
	return (int)w;
}

QL_SIMD_CLONES
int64_t ql_quantize_row_q4_0(const float *x, ql_block_q4_0 *y, int64_t k)
{
	const int64_t nb = k / QL_QK4_0;
#if QL_HAVE_AVX2_KERNELS
	if (ql_avx2_active()) /* the explicit AVX2 kernel (qrow_avx2.c): same bytes */
		return ql_q4_0_row_avx2(x, y, nb);
#endif
	int64_t clipped = 0;

	for (int64_t i = 0; i < nb; i++) {
		const float *xb = x + i * QL_QK4_0;
		/* the reference keeps the first value of the largest magnitude */
		const float amax = absmax32(xb);
		float max = 0.0f;
		for (int j = 0; j < QL_QK4_0; j++) {
			if (fabsf(xb[j]) == amax) {
				max = xb[j];
				break;
			}
		}
		if (amax == 0.0f)
			max = 0.0f;
		const float d = max / -8.0f;
		const float id = d != 0.0f ? 1.0f / d : 0.0f;
		y[i].d = f32_to_fp16(d);
		int c[QL_QK4_0];
		int clip = 0;
		for (int j = 0; j < QL_QK4_0; j++) {
			int q = q4_0_code_fast(xb[j] * id);
			clip += q > 15;
			c[j] = q < 15 ? q : 15;
		}
		clipped += clip;
		for (int j = 0; j < QL_QK4_0 / 2; j++)
			y[i].qs[j] = (uint8_t)(c[j] | c[j + QL_QK4_0 / 2] << 4);
	}
	return clipped;
}

QL_SIMD_CLONES
void ql_dequantize_row_q4_0(const ql_block_q4_0 *restrict x, float *restrict y, int64_t k)
{
#if QL_HAVE_AVX2_KERNELS
	if (ql_deq_avx2_active()) {
		ql_dequantize_row_q4_0_avx2(x, y, k);
		return;
	}
#endif
	const int64_t nb = k / QL_QK4_0;

	for (int64_t i = 0; i < nb; i++) {
		const float d = fp16_to_f32(x[i].d);
		float *yb = y + i * QL_QK4_0;
		for (int j = 0; j < QL_QK4_0 / 2; j++) {
			yb[j] = (float)((x[i].qs[j] & 0x0f) - 8) * d;
			yb[j + QL_QK4_0 / 2] = (float)((x[i].qs[j] >> 4) - 8) * d;
		}
	}
}

/* ---- Q4_1, Q5_0, Q5_1 (dequantize only) -------------------------------------- */

QL_SIMD_CLONES
void ql_dequantize_row_q4_1(const ql_block_q4_1 *restrict x, float *restrict y, int64_t k)
{
#if QL_HAVE_AVX2_KERNELS
	if (ql_deq_avx2_active()) {
		ql_dequantize_row_q4_1_avx2(x, y, k);
		return;
	}
#endif
	const int64_t nb = k / QL_QK4_1;

	for (int64_t i = 0; i < nb; i++) {
		const float d = fp16_to_f32(x[i].d);
		const float m = fp16_to_f32(x[i].m);
		float *yb = y + i * QL_QK4_1;
		for (int j = 0; j < QL_QK4_1 / 2; j++) {
			/* Two statements, so no fused multiply-add: ggml's x0*d + m. */
			float a = (float)(x[i].qs[j] & 0x0f) * d;
			float b = (float)(x[i].qs[j] >> 4) * d;
			yb[j] = a + m;
			yb[j + QL_QK4_1 / 2] = b + m;
		}
	}
}

/* The 32 high bits of a Q5 block, little-endian. */
static uint32_t q5_high_bits(const uint8_t qh[4])
{
	return (uint32_t)qh[0] | (uint32_t)qh[1] << 8 | (uint32_t)qh[2] << 16 |
	       (uint32_t)qh[3] << 24;
}

QL_SIMD_CLONES
void ql_dequantize_row_q5_0(const ql_block_q5_0 *restrict x, float *restrict y, int64_t k)
{
#if QL_HAVE_AVX2_KERNELS
	if (ql_deq_avx2_active()) {
		ql_dequantize_row_q5_0_avx2(x, y, k);
		return;
	}
#endif
	const int64_t nb = k / QL_QK5_0;

	for (int64_t i = 0; i < nb; i++) {
		const float d = fp16_to_f32(x[i].d);
		const uint32_t qh = q5_high_bits(x[i].qh);
		float *yb = y + i * QL_QK5_0;
		for (int j = 0; j < QL_QK5_0 / 2; j++) {
			int h0 = (int)((qh >> j) & 1) << 4;
			int h1 = (int)((qh >> (j + 16)) & 1) << 4;
			yb[j] = (float)(((x[i].qs[j] & 0x0f) | h0) - 16) * d;
			yb[j + QL_QK5_0 / 2] = (float)(((x[i].qs[j] >> 4) | h1) - 16) * d;
		}
	}
}

QL_SIMD_CLONES
void ql_dequantize_row_q5_1(const ql_block_q5_1 *restrict x, float *restrict y, int64_t k)
{
#if QL_HAVE_AVX2_KERNELS
	if (ql_deq_avx2_active()) {
		ql_dequantize_row_q5_1_avx2(x, y, k);
		return;
	}
#endif
	const int64_t nb = k / QL_QK5_1;

	for (int64_t i = 0; i < nb; i++) {
		const float d = fp16_to_f32(x[i].d);
		const float m = fp16_to_f32(x[i].m);
		const uint32_t qh = q5_high_bits(x[i].qh);
		float *yb = y + i * QL_QK5_1;
		for (int j = 0; j < QL_QK5_1 / 2; j++) {
			int h0 = (int)((qh >> j) & 1) << 4;
			int h1 = (int)((qh >> (j + 16)) & 1) << 4;
			float a = (float)((x[i].qs[j] & 0x0f) | h0) * d;
			float b = (float)((x[i].qs[j] >> 4) | h1) * d;
			yb[j] = a + m;
			yb[j + QL_QK5_1 / 2] = b + m;
		}
	}
}
