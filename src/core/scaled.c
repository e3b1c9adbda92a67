/* scaled.c — scaled-float kernels (qlens/scaled.h): fp8 codes of x / scale,
 * through elem.h's fast encoders, with ql_encode as the reference.
 */
#include "qlens/scaled.h"

#include <math.h>

#include "elem.h"
#include "lanes.h"
#include "quant_avx2.h"
#include "simd.h"

int64_t ql_float_quantize_ref(ql_type fmt, const float *x, size_t n, float scale, uint8_t *codes)
{
	const float inv = 1.0f / scale;
	const double max = fmt == QL_FP8_E5M2 ? 57344.0 : fmt == QL_FP8_E4M3 ? 448.0 : INFINITY;
	int64_t sat = 0;
	for (size_t i = 0; i < n; i++) {
		double v = (double)(x[i] * inv);
		unsigned st = 0;
		if (fabs(v) > max) {
			/* Beyond max before rounding; it may still round down to max. */
			uint64_t c = ql_encode(fmt, v, QL_ROUND_NEAREST_EVEN, &st);
			if (st & QL_ST_OVERFLOW || !isfinite(ql_decode(fmt, c))) {
				sat++;
				v = v > 0 ? max : -max;
			}
		}
		codes[i] = (uint8_t)ql_encode(fmt, v, QL_ROUND_NEAREST_EVEN, &st);
	}
	return sat;
}

/* The fast path: elem.h's encoders, VB values at a time. */
#define DEFINE_FLOAT_BLOCK(NAME, ENC, SAT)                                                        \
	static inline int NAME(const float *restrict x, uint8_t *restrict c, float inv)           \
	{                                                                                         \
		int sat = 0;                                                                      \
		for (int j = 0; j < VB; j++) {                                                    \
			float v = x[j] * inv;                                                     \
			c[j] = ENC(v);                                                            \
			sat += elem_saturates(v, SAT);                                            \
		}                                                                                 \
		return sat;                                                                       \
	}

DEFINE_FLOAT_BLOCK(float_block_e4m3, elem_e4m3_sat, ELEM_E4M3_SAT_FIRST)
DEFINE_FLOAT_BLOCK(float_block_e5m2, elem_e5m2_sat, ELEM_E5M2_SAT_FIRST)

QL_SIMD_CLONES
int64_t ql_float_quantize(ql_type fmt, const float *x, size_t n, float scale, uint8_t *codes)
{
	if (fmt != QL_FP8_E4M3 && fmt != QL_FP8_E5M2)
		return ql_float_quantize_ref(fmt, x, n, scale, codes);
	const float inv = 1.0f / scale;
	const bool e4 = fmt == QL_FP8_E4M3;
	int64_t sat = 0;
	size_t i = 0;
#if QL_HAVE_AVX2_KERNELS
	if (ql_avx2_active()) { /* the same codes, 32 at a time (qrow_avx2.c) */
		i = n / 32 * 32;
		sat = ql_fp_codes_avx2(fmt, x, i, inv, codes);
	}
#endif
	for (; i + VB <= n; i += VB)
		sat += e4 ? float_block_e4m3(x + i, codes + i, inv)
			  : float_block_e5m2(x + i, codes + i, inv);
	for (; i < n; i++) {
		float v = x[i] * inv;
		codes[i] = e4 ? elem_e4m3_sat(v) : elem_e5m2_sat(v);
		sat += elem_saturates(v, e4 ? ELEM_E4M3_SAT_FIRST : ELEM_E5M2_SAT_FIRST);
	}
	return sat;
}

void ql_float_dequantize(ql_type fmt, const uint8_t *codes, size_t n, float scale, float *y)
{
	float own[256];
	const float *lut;
	if (fmt == QL_FP8_E4M3 || fmt == QL_FP8_E5M2) {
		const elem_tables *t = ql_elem_tables();
		lut = fmt == QL_FP8_E4M3 ? t->e4m3 : t->e5m2;
	} else {
		for (int c = 0; c < 256; c++)
			own[c] = (float)ql_decode(fmt, (uint64_t)c);
		lut = own;
	}
	for (size_t i = 0; i < n; i++)
		y[i] = lut[codes[i]] * scale;
}
