/* ggml_fp4.c — ggml's own FP4 block formats, as GGUF files hold them:
 *
 *   MXFP4 (GGUF type 39)  32 E2M1 values and one E8M0 scale: 4.25 bpw
 *   NVFP4 (GGUF type 40)  64 E2M1 values, a UE4M3 scale per 16: 4.5 bpw
 *
 * How ggml's MXFP4 differs from qlens's OCP-reference "mxfp4" (mx.c): the
 * byte layout is the same, but ggml picks the shared exponent as
 * floor(log2(absmax)) - 2 with no clamp (absmax 0 gives e = 0) and each
 * element as the E2M1 level nearest to x / scale by a linear search in
 * which the first level of equal error wins (codes 0..15: +0, 0.5, 1, 1.5,
 * 2, 3, 4, 6, -0, -0.5, ...), i.e. ties go to the smaller magnitude and a
 * negative value that rounds to zero gets +0; the OCP reference rounds ties
 * to even and keeps -0. Values past 6 * scale saturate either way. The
 * decoded floats agree wherever the codes do.
 *
 * NVFP4's scale is ggml's UE4M3 of absmax / 6 (mantissa rounded half up,
 * saturating at 448; code 0x7F reads as 0), the same nearest-level search
 * per element against the decoded scale.
 *
 * ggml keeps its E2M1 levels doubled (integers) and halves the scale, so
 * x0 * d is the same product it computes.
 */
#include "qlens/ggml_blocks.h"

#include <math.h>
#include <string.h>

#include "simd.h"
#include "deq_avx2.h"

const int8_t ql_ggml_fp4_values[16] = {
	0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12,
};

float ql_e8m0_to_f32_half(uint8_t e)
{
	/* 2^(e - 128): subnormal for e < 2 */
	uint32_t bits = e < 2 ? 0x00200000u << e : (uint32_t)(e - 1) << 23;
	float f;
	memcpy(&f, &bits, sizeof f);
	return f;
}

float ql_ue4m3_to_f32_half(uint8_t u)
{
	if (u == 0 || u == 0x7F)
		return 0.0f;
	int exp = (u >> 3) & 0xF, man = u & 0x7;
	float raw = exp == 0 ? ldexpf((float)man, -9) : ldexpf(1.0f + (float)man / 8.0f, exp - 7);
	return raw * 0.5f;
}

uint8_t ql_ue4m3_from_f32(float x)
{
	if (!(x > 0.0f))
		return 0;
	if (x > 448.0f)
		x = 448.0f;
	uint32_t bits;
	memcpy(&bits, &x, sizeof bits);
	int e = (int)((bits >> 23) & 0xFF) - 127 + 7;
	if (e <= 0) { /* subnormal: man * 2^-9, man = x * 2^9 + 0.5 truncated */
		int man = (int)(x * 512.0f + 0.5f);
		if (man > 7)
			man = 7;
		return man < 1 ? 0 : (uint8_t)man;
	}
	if (e >= 15)
		return 0x7E;
	int man = (int)((bits >> 20) & 0x7) + (int)((bits >> 19) & 1);
	if (man > 7) {
		man = 0;
		if (++e >= 15)
			return 0x7E;
	}
	return (uint8_t)(e << 3 | man);
}

/* ggml's best_index_mxfp4: the first of the 16 codes with the least
 * |level * e - x| (a NaN x keeps code 0) */
static inline int nearest_fp4(float x, float e)
{
	int best = 0;
	float best_err = fabsf(ql_ggml_fp4_values[0] * e - x);
	for (int i = 1; i < 16; i++) {
		float err = fabsf(ql_ggml_fp4_values[i] * e - x);
		if (err < best_err) {
			best = i;
			best_err = err;
		}
	}
	return best;
}

int64_t ql_quantize_row_mxfp4_ref(const float *x, ql_block_mxfp4 *y, int64_t k)
{
	const int64_t nb = k / QL_QK_MXFP4;

	for (int64_t i = 0; i < nb; i++) {
		const float *xb = x + i * QL_QK_MXFP4;
		float amax = 0.0f;
		for (int j = 0; j < QL_QK_MXFP4; j++)
			if (amax < fabsf(xb[j]))
				amax = fabsf(xb[j]);
		/* (uint8_t)(floorf(log2f(amax)) - 2 + 127): amax is finite and
		 * > 0 here or inf, whose exponent byte ggml's cast makes 0 (the
		 * float 256 + ... converts through int32 to its low byte) */
		uint8_t e = 0;
		if (amax > 0.0f) {
			float f = floorf(log2f(amax)) - 2 + 127;
			e = f < 2147483648.0f ? (uint8_t)(int32_t)f : 0;
		}
		const float d = ql_e8m0_to_f32_half(e);
		y[i].e = e;
		for (int j = 0; j < QL_QK_MXFP4 / 2; j++) {
			int c0 = nearest_fp4(xb[j], d);
			int c1 = nearest_fp4(xb[j + QL_QK_MXFP4 / 2], d);
			y[i].qs[j] = (uint8_t)(c0 | c1 << 4);
		}
	}
	return 0;
}

/* nearest_fp4 for n values at once: the 16 products level * e are formed
 * once (the same products the reference forms per value), and the search
 * runs level by level over all values, so it vectorises; the first level
 * of least error still wins. */
static inline QL_ALWAYS_INLINE void nearest_fp4_n(const float *x, const int n, float e,
						    uint8_t *codes)
{
	float p[16];
	for (int i = 0; i < 16; i++)
		p[i] = ql_ggml_fp4_values[i] * e;
	for (int j = 0; j < n; j++) {
		float best_err = fabsf(p[0] - x[j]), best = 0.0f;
#pragma GCC unroll 16
		for (int i = 1; i < 16; i++) {
			float err = fabsf(p[i] - x[j]);
			best = err < best_err ? (float)i : best;
			best_err = err < best_err ? err : best_err;
		}
		codes[j] = (uint8_t)best;
	}
}

QL_SIMD_CLONES
int64_t ql_quantize_row_mxfp4(const float *x, ql_block_mxfp4 *y, int64_t k)
{
	const int64_t nb = k / QL_QK_MXFP4;

	for (int64_t i = 0; i < nb; i++) {
		const float *xb = x + i * QL_QK_MXFP4;
		float amax = 0.0f;
		for (int j = 0; j < QL_QK_MXFP4; j++)
			if (amax < fabsf(xb[j]))
				amax = fabsf(xb[j]);
		uint8_t e = 0;
		if (amax > 0.0f) {
			float f = floorf(log2f(amax)) - 2 + 127;
			e = f < 2147483648.0f ? (uint8_t)(int32_t)f : 0;
		}
		uint8_t c[QL_QK_MXFP4];
		nearest_fp4_n(xb, QL_QK_MXFP4, ql_e8m0_to_f32_half(e), c);
		y[i].e = e;
		for (int j = 0; j < QL_QK_MXFP4 / 2; j++)
			y[i].qs[j] = (uint8_t)(c[j] | c[j + QL_QK_MXFP4 / 2] << 4);
	}
	return 0;
}

QL_SIMD_CLONES
int64_t ql_quantize_row_nvfp4(const float *x, ql_block_nvfp4 *y, int64_t k)
{
	const int64_t nb = k / QL_QK_NVFP4;
	const int sub = QL_QK_NVFP4_SUB;

	for (int64_t i = 0; i < nb; i++) {
		for (int s = 0; s < QL_QK_NVFP4 / sub; s++) {
			const float *xb = x + i * QL_QK_NVFP4 + s * sub;
			float amax = 0.0f;
			for (int j = 0; j < sub; j++)
				if (amax < fabsf(xb[j]))
					amax = fabsf(xb[j]);
			const uint8_t ue = ql_ue4m3_from_f32(amax / 6.0f);
			y[i].d[s] = ue;
			uint8_t c[QL_QK_NVFP4_SUB];
			nearest_fp4_n(xb, sub, ql_ue4m3_to_f32_half(ue), c);
			for (int j = 0; j < sub / 2; j++)
				y[i].qs[s * (sub / 2) + j] = (uint8_t)(c[j] | c[j + sub / 2] << 4);
		}
	}
	return 0;
}

void ql_dequantize_row_mxfp4(const ql_block_mxfp4 *x, float *y, int64_t k)
{
#if QL_HAVE_AVX2_KERNELS
	if (ql_deq_avx2_active()) {
		ql_dequantize_row_mxfp4_avx2(x, y, k);
		return;
	}
#endif
	const int64_t nb = k / QL_QK_MXFP4;

	for (int64_t i = 0; i < nb; i++, y += QL_QK_MXFP4) {
		const float d = ql_e8m0_to_f32_half(x[i].e);
		for (int j = 0; j < QL_QK_MXFP4 / 2; j++) {
			y[j] = ql_ggml_fp4_values[x[i].qs[j] & 0x0F] * d;
			y[j + QL_QK_MXFP4 / 2] = ql_ggml_fp4_values[x[i].qs[j] >> 4] * d;
		}
	}
}

int64_t ql_quantize_row_nvfp4_ref(const float *x, ql_block_nvfp4 *y, int64_t k)
{
	const int64_t nb = k / QL_QK_NVFP4;
	const int sub = QL_QK_NVFP4_SUB;

	for (int64_t i = 0; i < nb; i++) {
		for (int s = 0; s < QL_QK_NVFP4 / sub; s++) {
			const float *xb = x + i * QL_QK_NVFP4 + s * sub;
			float amax = 0.0f;
			for (int j = 0; j < sub; j++)
				if (amax < fabsf(xb[j]))
					amax = fabsf(xb[j]);
			const uint8_t ue = ql_ue4m3_from_f32(amax / 6.0f);
			y[i].d[s] = ue;
			const float d = ql_ue4m3_to_f32_half(ue);
			for (int j = 0; j < sub / 2; j++) {
				int c0 = nearest_fp4(xb[j], d);
				int c1 = nearest_fp4(xb[j + sub / 2], d);
				y[i].qs[s * (sub / 2) + j] = (uint8_t)(c0 | c1 << 4);
			}
		}
	}
	return 0;
}

void ql_dequantize_row_nvfp4(const ql_block_nvfp4 *x, float *y, int64_t k)
{
#if QL_HAVE_AVX2_KERNELS
	if (ql_deq_avx2_active()) {
		ql_dequantize_row_nvfp4_avx2(x, y, k);
		return;
	}
#endif
	const int64_t nb = k / QL_QK_NVFP4;
	const int sub = QL_QK_NVFP4_SUB;

	for (int64_t i = 0; i < nb; i++) {
		for (int s = 0; s < QL_QK_NVFP4 / sub; s++) {
			const float d = ql_ue4m3_to_f32_half(x[i].d[s]);
			float *yb = y + i * QL_QK_NVFP4 + s * sub;
			for (int j = 0; j < sub / 2; j++) {
				uint8_t b = x[i].qs[s * (sub / 2) + j];
				yb[j] = ql_ggml_fp4_values[b & 0x0F] * d;
				yb[j + sub / 2] = ql_ggml_fp4_values[b >> 4] * d;
			}
		}
	}
}
