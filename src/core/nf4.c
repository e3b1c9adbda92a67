/* nf4.c — 4-bit NormalFloat (NF4), as bitsandbytes quantizes it.
 *
 * bitsandbytes' quantize_4bit(quant_type="nf4", blocksize=64) splits the
 * flattened tensor into blocks of 64, takes each block's absmax, multiplies
 * every value by 1 / absmax (float32) and picks a code with a fixed decision
 * tree (dQuantizeNF4 in csrc/kernels.cu) whose thresholds are the midpoints
 * between neighbouring levels of the codebook (ql_nf4_levels, format.h).
 * A value exactly on a threshold goes to the lower code, as in bnb (every
 * test is "x > threshold"). Dequantizing is level[code] * absmax.
 *
 * An all-zero block (absmax 0) would make bnb compute 0 * inf = NaN; here it
 * gets code 7 (the level 0.0) instead, so it still dequantizes to zeros.
 */
#include "qlens/nf4.h"
#include "qlens/format.h"

#include <math.h>
#include <string.h>

#include "quant_avx2.h"
#include "simd.h"
#include "deq_avx2.h"

/* Midpoints between neighbouring NF4 levels, written as bitsandbytes writes
 * them (float32 constants): thresholds[i] separates code i from code i + 1. */
const float ql_nf4_thresholds[15] = {
	-0.8480964004993439f,  -0.6106329262256622f,  -0.4599952697753906f,
	-0.33967943489551544f, -0.23460740596055984f, -0.13791173323988914f,
	-0.045525018125772476f, 0.03979014977812767f,  0.1202552504837513f,
	0.2035212516784668f,    0.2920137718319893f,   0.3893125355243683f,
	0.5016634166240692f,    0.6427869200706482f,   0.8614784181118011f,
};

uint8_t ql_nf4_code(float v)
{
	/* The same comparisons as bnb's tree, as a count: the code is the number
	 * of thresholds v lies strictly above. NaN is above none: code 0, as in
	 * bnb. */
	unsigned c = 0;
	for (int i = 0; i < 15; i++)
		c += v > ql_nf4_thresholds[i];
	return (uint8_t)c;
}

void ql_nf4_quantize_ref(const float *x, int64_t n, uint8_t *codes, float *absmax)
{
	for (int64_t b = 0; b * QL_NF4_BLOCK < n; b++) {
		int64_t start = b * QL_NF4_BLOCK;
		int64_t len = n - start < QL_NF4_BLOCK ? n - start : QL_NF4_BLOCK;
		float amax = 0.0f;
		for (int64_t j = 0; j < len; j++)
			amax = fmaxf(amax, fabsf(x[start + j]));
		absmax[b] = amax;
		if (amax == 0.0f) {
			for (int64_t j = 0; j < len; j++)
				codes[start + j] = 7;
			continue;
		}
		const float inv = 1.0f / amax;
		for (int64_t j = 0; j < len; j++)
			codes[start + j] = ql_nf4_code(x[start + j] * inv);
	}
}

/* A whole block: the absmax on 8 lanes (all |x| >= 0 and NaN skipped, so
 * the same as fmaxf in order), the codes as a count of thresholds passed. */
static float nf4_block(const float *restrict x, uint8_t *restrict codes)
{
	float m[8] = {0};
	for (int j = 0; j < QL_NF4_BLOCK; j += 8) {
		for (int l = 0; l < 8; l++) {
			float a = fabsf(x[j + l]);
			m[l] = a > m[l] ? a : m[l];
		}
	}
	float amax = 0.0f;
	for (int l = 0; l < 8; l++)
		amax = m[l] > amax ? m[l] : amax;
	if (amax == 0.0f) {
		memset(codes, 7, QL_NF4_BLOCK);
		return amax;
	}
	const float inv = 1.0f / amax;
	float v[QL_NF4_BLOCK];
	uint8_t c[QL_NF4_BLOCK];
	for (int j = 0; j < QL_NF4_BLOCK; j++) {
		v[j] = x[j] * inv;
		c[j] = 0;
	}
	/* thresholds outside, elements inside: the inner loop vectorises */
	for (int i = 0; i < 15; i++) {
		const float t = ql_nf4_thresholds[i];
		for (int j = 0; j < QL_NF4_BLOCK; j++)
			c[j] = (uint8_t)(c[j] + (v[j] > t));
	}
	memcpy(codes, c, sizeof c);
	return amax;
}

QL_SIMD_CLONES
void ql_nf4_quantize(const float *x, int64_t n, uint8_t *codes, float *absmax)
{
	int64_t b = 0;
	for (; (b + 1) * QL_NF4_BLOCK <= n; b++)
		absmax[b] = nf4_block(x + b * QL_NF4_BLOCK, codes + b * QL_NF4_BLOCK);
	if (b * QL_NF4_BLOCK < n) /* a short last block */
		ql_nf4_quantize_ref(x + b * QL_NF4_BLOCK, n - b * QL_NF4_BLOCK,
				    codes + b * QL_NF4_BLOCK, absmax + b);
}

void ql_nf4_dequantize(const uint8_t *codes, const float *absmax, int64_t n, float *y)
{
#if QL_HAVE_AVX2_KERNELS
	if (ql_deq_avx2_active()) {
		ql_nf4_dequantize_avx2(codes, absmax, n, y);
		return;
	}
#endif
	for (int64_t i = 0; i < n; i++)
		y[i] = ql_nf4_levels[codes[i] & 15] * absmax[i / QL_NF4_BLOCK];
}
