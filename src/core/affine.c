/* affine.c — PyTorch's affine integer kernels (qlens/affine.h).
 *
 * Written so that GCC vectorises them at -O2 (no calls, no branches in the
 * loop): round-half-even is done with the 1.5·2^23 trick on a value first
 * clamped to a range of a few hundred, which is exact and is the same as
 * rintf there. On CPUs with AVX2 the public int8/uint8 kernels run the
 * intrinsics of quant_avx2.c instead; the C here stays the reference they
 * equal bit for bit (tests/test_simd.c).
 */
#include "qlens/affine.h"

#include <float.h>
#include <math.h>
#include <string.h>

#include "affine_cols.h"
#include "qlens/blocks.h"
#include "ehist_impl.h"
#include "lanes.h"
#include "quant_avx2.h"
#include "simd.h"

float ql_scale_round(float s, ql_scale_dtype d)
{
	if (d == QL_SCALE_FP16) {
		float r = ql_f32_from_fp16(ql_fp16_from_f32(s));
		if (r == 0.0f)
			return 0x1p-24f; /* the smallest fp16 subnormal */
		return isinf(r) ? 65504.0f : r;
	}
	if (d == QL_SCALE_BF16) {
		uint32_t u;
		memcpy(&u, &s, sizeof u);
		u = (u + 0x7fffu + ((u >> 16) & 1u)) & 0xffff0000u; /* nearest even */
		float r;
		memcpy(&r, &u, sizeof r);
		if (r == 0.0f) {
			u = 0x00010000u; /* the smallest bf16 subnormal */
			memcpy(&r, &u, sizeof r);
		} else if (isinf(r)) {
			u = 0x7f7f0000u; /* the largest finite bf16 */
			memcpy(&r, &u, sizeof r);
		}
		return r;
	}
	return s;
}

void ql_qparams_from_range(float lo, float hi, int32_t qmin, int32_t qmax, bool symmetric,
			   float *scale, int32_t *zero_point)
{
	ql_qparams_from_range_sd(lo, hi, qmin, qmax, symmetric, QL_SCALE_FP32, scale, zero_point);
}

void ql_qparams_from_range_sd(float lo, float hi, int32_t qmin, int32_t qmax, bool symmetric,
			      ql_scale_dtype d, float *scale, int32_t *zero_point)
{
	float lo_neg = minf(lo, 0.0f), hi_pos = maxf(hi, 0.0f);
	float s;
	int32_t zp;
	if (symmetric) {
		float amax = maxf(-lo_neg, hi_pos);
		s = amax / ((float)(qmax - qmin) / 2.0f);
		s = ql_scale_round(maxf(s, FLT_EPSILON), d);
		zp = (qmin + qmax) / 2;
	} else {
		float w = hi_pos - lo_neg;
		/* PyTorch's float32 arithmetic, except where it overflows (a
		 * range from -2e38 to 2e38: PyTorch's scale would be inf and
		 * every value dequantize to NaN): there the width in double,
		 * whose quotient is a finite float */
		s = isinf(w) ? (float)(((double)hi_pos - (double)lo_neg) / (double)(qmax - qmin))
			     : w / (float)(qmax - qmin);
		s = ql_scale_round(maxf(s, FLT_EPSILON), d);
		float z = (float)qmin - rintf(lo_neg / s);
		z = z < (float)qmin ? (float)qmin : z > (float)qmax ? (float)qmax : z;
		zp = (int32_t)z;
	}
	*scale = s;
	*zero_point = zp;
}

#define RNE_MAGIC 12582912.0f /* 1.5 × 2^23: v + M - M rounds v to nearest even */

/* The code of one value; *clip is set to 1 if the clamp changed it. The
 * clamp to [lo, hi] first (which also sends NaN to lo) keeps |v| small,
 * where the magic-number rounding is exact. */
static inline float affine_code(float v, float lo, float hi, float zpf, float qminf, float qmaxf,
				int *clip)
{
	v = v > lo ? v : lo;
	v = v < hi ? v : hi;
	float r = (v + RNE_MAGIC) - RNE_MAGIC;
	float q = zpf + r;
	*clip = (q < qminf) | (q > qmaxf);
	q = q > qminf ? q : qminf;
	q = q < qmaxf ? q : qmaxf;
	return q;
}

#define DEFINE_AFFINE_BLOCK(NAME, T)                                                              \
	static inline int NAME(const float *restrict x, T *restrict q, float inv, float lo,       \
			       float hi, float zpf, float qminf, float qmaxf)                     \
	{                                                                                         \
		int clipped = 0;                                                                  \
		for (int j = 0; j < VB; j++) {                                                    \
			int c;                                                                    \
			float v = affine_code(x[j] * inv, lo, hi, zpf, qminf, qmaxf, &c);         \
			clipped += c;                                                             \
			q[j] = (T)(int)v;                                                         \
		}                                                                                 \
		return clipped;                                                                   \
	}

DEFINE_AFFINE_BLOCK(affine_block_s8, int8_t)
DEFINE_AFFINE_BLOCK(affine_block_u8, uint8_t)

#define DEFINE_AFFINE_KERNEL(NAME, BLOCK, T)                                                      \
	QL_SIMD_CLONES int64_t NAME(const float *x, size_t n, float scale, int32_t zp, int32_t qmin,             \
		     int32_t qmax, T *q)                                                           \
	{                                                                                         \
		const float inv = 1.0f / scale;                                                   \
		const float zpf = (float)zp, qminf = (float)qmin, qmaxf = (float)qmax;            \
		const float lo = qminf - zpf - 1.0f, hi = qmaxf - zpf + 1.0f;                     \
		int64_t clipped = 0;                                                              \
		size_t i = 0;                                                                     \
		for (; i + VB <= n; i += VB)                                                      \
			clipped += BLOCK(x + i, q + i, inv, lo, hi, zpf, qminf, qmaxf);           \
		for (; i < n; i++) {                                                              \
			int c;                                                                    \
			float v = affine_code(x[i] * inv, lo, hi, zpf, qminf, qmaxf, &c);         \
			clipped += c;                                                             \
			q[i] = (T)(int)v;                                                         \
		}                                                                                 \
		return clipped;                                                                   \
	}

DEFINE_AFFINE_KERNEL(ql_affine_quantize_s8_c, affine_block_s8, int8_t)
DEFINE_AFFINE_KERNEL(ql_affine_quantize_u8_c, affine_block_u8, uint8_t)

/* The AVX2 kernels (quant_avx2.c) when the CPU has them; else the C above. */
static inline bool use_avx2(int32_t zp)
{
	return QL_HAVE_AVX2_KERNELS && zp >= -QL_AVX2_MAX_ZP && zp <= QL_AVX2_MAX_ZP &&
	       ql_avx2_active();
}

int64_t ql_affine_quantize_s8(const float *x, size_t n, float scale, int32_t zp, int32_t qmin,
			      int32_t qmax, int8_t *q)
{
#if QL_HAVE_AVX2_KERNELS
	if (use_avx2(zp))
		return ql_affine_quantize_s8_avx2(x, n, scale, zp, qmin, qmax, q);
#endif
	return ql_affine_quantize_s8_c(x, n, scale, zp, qmin, qmax, q);
}

int64_t ql_affine_quantize_u8(const float *x, size_t n, float scale, int32_t zp, int32_t qmin,
			      int32_t qmax, uint8_t *q)
{
#if QL_HAVE_AVX2_KERNELS
	if (use_avx2(zp))
		return ql_affine_quantize_u8_avx2(x, n, scale, zp, qmin, qmax, q);
#endif
	return ql_affine_quantize_u8_c(x, n, scale, zp, qmin, qmax, q);
}

#define DEFINE_DEQUANT_KERNEL(NAME, T)                                                            \
	static inline void NAME##_block(const T *restrict q, float *restrict y, float scale,      \
					float zpf)                                                \
	{                                                                                         \
		for (int j = 0; j < VB; j++)                                                      \
			y[j] = ((float)q[j] - zpf) * scale;                                       \
	}                                                                                         \
	QL_SIMD_CLONES void NAME(const T *q, size_t n, float scale, int32_t zp, float *y)         \
	{                                                                                         \
		const float zpf = (float)zp;                                                      \
		size_t i = 0;                                                                     \
		for (; i + VB <= n; i += VB)                                                      \
			NAME##_block(q + i, y + i, scale, zpf);                                   \
		for (; i < n; i++)                                                                \
			y[i] = ((float)q[i] - zpf) * scale;                                       \
	}

/* (q - zp) is a small integer, exact in float32 either way. */
DEFINE_DEQUANT_KERNEL(ql_affine_dequantize_s8, int8_t)
DEFINE_DEQUANT_KERNEL(ql_affine_dequantize_u8, uint8_t)

#define QDQ_TILE 256 /* a multiple of 4 */

/* The portable fused kernel: a tile quantized, dequantized (into y, or a
 * tile here) and summed while still in cache. */
#define DEFINE_QDQ_C(NAME, T, QUANT, DEQUANT)                                                     \
	int64_t NAME(const float *x, size_t n, float scale, int32_t zp, int32_t qmin,             \
		     int32_t qmax, T *q, float *y, ql_metrics_acc *acc)                            \
	{                                                                                         \
		ql_lanes s;                                                                   \
		memset(&s, 0, sizeof s);                                                          \
		float tile[QDQ_TILE];                                                             \
		int64_t clipped = 0;                                                              \
		for (size_t t = 0; t < n; t += QDQ_TILE) {                                        \
			size_t w = n - t < QDQ_TILE ? n - t : QDQ_TILE;                           \
			clipped += QUANT(x + t, w, scale, zp, qmin, qmax, q + t);                 \
			if (!y && !acc)                                                           \
				continue;                                                         \
			float *yt = y ? y + t : tile;                                             \
			DEQUANT(q + t, w, scale, zp, yt);                                         \
			if (acc)                                                                  \
				ql_lanes_add(&s, x + t, yt, w);                               \
			if (acc && acc->eh) /* the error histogram of the same tile */            \
				ql_ehist_add_c(acc->eh, x + t, yt, w);                            \
		}                                                                                 \
		if (acc)                                                                          \
			ql_lanes_flush(&s, n, acc);                                           \
		return clipped;                                                                   \
	}

DEFINE_QDQ_C(ql_affine_qdq_s8_c, int8_t, ql_affine_quantize_s8_c, ql_affine_dequantize_s8)
DEFINE_QDQ_C(ql_affine_qdq_u8_c, uint8_t, ql_affine_quantize_u8_c, ql_affine_dequantize_u8)

int64_t ql_affine_qdq_s8(const float *x, size_t n, float scale, int32_t zp, int32_t qmin,
			 int32_t qmax, int8_t *q, float *y, ql_metrics_acc *acc)
{
#if QL_HAVE_AVX2_KERNELS
	if (use_avx2(zp))
		return ql_affine_qdq_s8_avx2(x, n, scale, zp, qmin, qmax, q, y, acc);
#endif
	return ql_affine_qdq_s8_c(x, n, scale, zp, qmin, qmax, q, y, acc);
}

int64_t ql_affine_qdq_u8(const float *x, size_t n, float scale, int32_t zp, int32_t qmin,
			 int32_t qmax, uint8_t *q, float *y, ql_metrics_acc *acc)
{
#if QL_HAVE_AVX2_KERNELS
	if (use_avx2(zp))
		return ql_affine_qdq_u8_avx2(x, n, scale, zp, qmin, qmax, q, y, acc);
#endif
	return ql_affine_qdq_u8_c(x, n, scale, zp, qmin, qmax, q, y, acc);
}

void ql_col_params_fill(const ql_col_params *p, const float *scale, const int32_t *zp, size_t n,
			    int32_t qmin, int32_t qmax)
{
	for (size_t j = 0; j < n; j++) {
		float z = zp ? (float)zp[j] : 0.0f;
		p->inv[j] = 1.0f / scale[j];
		p->zpf[j] = z;
		p->lo[j] = (float)qmin - z - 1.0f;
		p->hi[j] = (float)qmax - z + 1.0f;
	}
}

/* One row of w columns with their own parameters. */
#define DEFINE_COLS_SPAN(NAME, T)                                                                 \
	static inline int NAME##_block(const float *restrict x, T *restrict q,                    \
				       const float *restrict inv, const float *restrict zpf,       \
				       const float *restrict lo, const float *restrict hi,         \
				       float qminf, float qmaxf)                                   \
	{                                                                                         \
		int clipped = 0;                                                                  \
		for (int j = 0; j < VB; j++) {                                                    \
			int c;                                                                    \
			float v = affine_code(x[j] * inv[j], lo[j], hi[j], zpf[j], qminf, qmaxf,  \
					      &c);                                                \
			clipped += c;                                                             \
			q[j] = (T)(int)v;                                                         \
		}                                                                                 \
		return clipped;                                                                   \
	}                                                                                         \
	QL_SIMD_CLONES int64_t NAME(const float *x, size_t w, const ql_col_params *p, size_t c0,             \
			    float qminf, float qmaxf, T *q)                                       \
	{                                                                                         \
		int64_t clipped = 0;                                                              \
		size_t j = 0;                                                                     \
		for (; j + VB <= w; j += VB)                                                      \
			clipped += NAME##_block(x + j, q + j, p->inv + c0 + j, p->zpf + c0 + j,   \
						p->lo + c0 + j, p->hi + c0 + j, qminf, qmaxf);     \
		for (; j < w; j++) {                                                              \
			int c;                                                                    \
			size_t k = c0 + j;                                                        \
			float v = affine_code(x[j] * p->inv[k], p->lo[k], p->hi[k], p->zpf[k],    \
					      qminf, qmaxf, &c);                                  \
			clipped += c;                                                             \
			q[j] = (T)(int)v;                                                         \
		}                                                                                 \
		return clipped;                                                                   \
	}

DEFINE_COLS_SPAN(ql_cols_span_s8, int8_t)
DEFINE_COLS_SPAN(ql_cols_span_u8, uint8_t)

#define COL_TILE 256

#define DEFINE_ROWS_KERNEL(NAME, SPAN, T)                                                         \
	QL_SIMD_CLONES int64_t NAME(const float *x, size_t rows, size_t c, const float *scale,                   \
		     const int32_t *zp, int32_t qmin, int32_t qmax, T *q)                          \
	{                                                                                         \
		float buf[4][COL_TILE];                                                           \
		ql_col_params p = {buf[0], buf[1], buf[2], buf[3]};                                  \
		int64_t clipped = 0;                                                              \
		for (size_t c0 = 0; c0 < c; c0 += COL_TILE) {                                     \
			size_t w = c - c0 < COL_TILE ? c - c0 : COL_TILE;                         \
			ql_col_params_fill(&p, scale + c0, zp ? zp + c0 : NULL, w, qmin, qmax);      \
			for (size_t r = 0; r < rows; r++)                                         \
				clipped += SPAN(x + r * c + c0, w, &p, 0, (float)qmin,            \
						(float)qmax, q + r * c + c0);                     \
		}                                                                                 \
		return clipped;                                                                   \
	}

DEFINE_ROWS_KERNEL(ql_affine_quantize_rows_s8, ql_cols_span_s8, int8_t)
DEFINE_ROWS_KERNEL(ql_affine_quantize_rows_u8, ql_cols_span_u8, uint8_t)
