/* qelem_avx2.c — ql_quantize's element-wise AVX2 kernels beside the
 * Q8_0/Q4_0 ones of qrow_avx2.c: the MX formats (codes, raw blocks and
 * dequantized values of a block in one pass), fp8/fp4 element codes and
 * fp8 with a scale, integer groups of 32, channels along the last axis
 * (per-column parameters), and a tile's metric sums and error histogram
 * by acc_avx2.h's step. Each gives the bits of its portable C path
 * (mx.c, scaled.c, affine.c, quantize_units.c), proven by
 * tests/test_blockspeed.c and tests/test_fastpath.c.
 */
#include "quant_avx2.h"

#include <float.h>
#include <math.h>
#include <string.h>

#include "elem.h"
#include "qlens/mx.h"

#if QL_HAVE_AVX2_KERNELS

#include <immintrin.h>

#include "acc_avx2.h"
#include "avx2_common.h"

#define AVX2F16C __attribute__((target("avx2,f16c")))
/* the kernels' kind is a constant once inlined into their callers */
#define INLINE inline __attribute__((always_inline))

/* ---- MX blocks, codes only ---------------------------------------------------- */

enum { MX_FP4, MX_FP8, MX_INT8, FP_E5M2 };

/* elem.h's elem_round of 8 magnitudes a (bit patterns) for M mantissa bits,
 * bias B: the same integer and float operations lane by lane. */
AVX2F16C static INLINE __m256i round8(__m256i a, int M, int B)
{
	const __m256i magic = _mm256_set1_epi32((int)((uint32_t)((127 - B) + (23 - M) + 1) << 23));
	__m256i sub = _mm256_sub_epi32(
		_mm256_castps_si256(_mm256_add_ps(_mm256_castsi256_ps(a), _mm256_castsi256_ps(magic))),
		magic);
	__m256i odd = _mm256_and_si256(_mm256_srli_epi32(a, 23 - M), _mm256_set1_epi32(1));
	__m256i nrm = _mm256_sub_epi32(a, _mm256_set1_epi32((int)((uint32_t)(127 - B) << 23)));
	nrm = _mm256_add_epi32(nrm, _mm256_set1_epi32((int)((1u << (22 - M)) - 1u)));
	nrm = _mm256_srli_epi32(_mm256_add_epi32(nrm, odd), 23 - M);
	__m256i small = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)((uint32_t)(128 - B) << 23)), a);
	return _mm256_blendv_epi8(nrm, sub, small);
}

/* The codes of 8 values v = x * 2^-se as mx.c's element loops make them
 * (elem_e2m1_sat, elem_e4m3_sat, the int8 rounding; and elem_e5m2_sat for
 * scaled.c), as int32 lanes; *sat gets the lanes counted as saturated (as a
 * negative count), as elem_saturates counts them. */
AVX2F16C static INLINE __m256i mx_code8(int kind, __m256 v, __m256i *sat)
{
	const __m256i inf = _mm256_set1_epi32((int)ELEM_F32_INF);
	if (kind == MX_INT8) {
		__m256 r = _mm256_add_ps(_mm256_mul_ps(v, _mm256_set1_ps(64.0f)),
					 _mm256_set1_ps(12582912.0f)); /* + 1.5 * 2^23 */
		__m256i k = _mm256_sub_epi32(_mm256_castps_si256(r), _mm256_set1_epi32(0x4b400000));
		const __m256i hi = _mm256_set1_epi32(127), lo = _mm256_set1_epi32(-127);
		*sat = _mm256_add_epi32(*sat, _mm256_or_si256(_mm256_cmpgt_epi32(k, hi),
							       _mm256_cmpgt_epi32(lo, k)));
		return _mm256_max_epi32(_mm256_min_epi32(k, hi), lo);
	}
	__m256i u = _mm256_castps_si256(v);
	__m256i a = _mm256_and_si256(u, _mm256_set1_epi32(INT32_MAX));
	__m256i nan = _mm256_cmpgt_epi32(a, inf);
	const uint32_t first = kind == MX_FP4	 ? ELEM_E2M1_SAT_FIRST
			       : kind == FP_E5M2 ? ELEM_E5M2_SAT_FIRST
						 : ELEM_E4M3_SAT_FIRST;
	__m256i over = _mm256_cmpgt_epi32(a, _mm256_set1_epi32((int)(first - 1))); /* a >= first */
	*sat = _mm256_add_epi32(*sat, _mm256_andnot_si256(nan, over));
	if (kind == MX_FP4) {
		__m256i c = round8(a, 1, 1);
		c = _mm256_blendv_epi8(c, _mm256_set1_epi32(7), over);
		c = _mm256_or_si256(c, _mm256_and_si256(_mm256_srli_epi32(u, 28), _mm256_set1_epi32(8)));
		return _mm256_andnot_si256(nan, c);
	}
	if (kind == FP_E5M2) { /* elem_e5m2_sat */
		__m256i c = round8(a, 2, 15);
		c = _mm256_blendv_epi8(c, _mm256_set1_epi32(0x7b), over);
		__m256i qnan = _mm256_or_si256(
			_mm256_set1_epi32(0x7e),
			_mm256_and_si256(_mm256_srli_epi32(a, 21), _mm256_set1_epi32(1)));
		c = _mm256_blendv_epi8(c, qnan, nan);
		return _mm256_or_si256(
			c, _mm256_and_si256(_mm256_srli_epi32(u, 24), _mm256_set1_epi32(0x80)));
	}
	__m256i c = round8(a, 3, 7);
	c = _mm256_blendv_epi8(c, _mm256_set1_epi32(0x7e), over);
	c = _mm256_or_si256(c, _mm256_and_si256(nan, _mm256_set1_epi32(0x7f)));
	return _mm256_or_si256(c, _mm256_and_si256(_mm256_srli_epi32(u, 24), _mm256_set1_epi32(0x80)));
}

/* 2^k for k in [-127, 127], exactly (mx.c's pow2f). */
static inline float pow2_exact(int k)
{
	uint32_t u = k > -127 ? (uint32_t)(k + 127) << 23 : 0x00400000u;
	float f;
	memcpy(&f, &u, sizeof f);
	return f;
}

/* The value of 8 fp8 magnitudes mag (int32 lanes, no sign) with M mantissa
 * bits and bias B, exactly, and without a subnormal operand (on this CPU a
 * multiply with one costs a microcode assist, which made the dequantized
 * values most of an MX pass): a normal code is its bits placed in a
 * float32 with the exponent rebased (no arithmetic at all); a subnormal
 * one (exponent field 0) is its mantissa m as an integer times
 * 2^(1 - B - M), a normal float product that is exact. */
AVX2F16C static INLINE __m256 fp8_mag8(__m256i mag, int M, int B, float sub_scale)
{
	__m256 nrm = _mm256_castsi256_ps(
		_mm256_add_epi32(_mm256_slli_epi32(mag, 23 - M), _mm256_set1_epi32((127 - B) << 23)));
	__m256 sub = _mm256_mul_ps(_mm256_cvtepi32_ps(mag), _mm256_set1_ps(sub_scale));
	__m256i is_sub = _mm256_cmpgt_epi32(_mm256_set1_epi32(1 << M), mag);
	return _mm256_blendv_ps(nrm, sub, _mm256_castsi256_ps(is_sub));
}

/* mx.c's element value of 8 codes c (int32 lanes, as mx_code8 gives them),
 * exactly: int8 as c / 64; fp4 (e2m1) from a table of its 8 magnitudes
 * (vpermps on the low 3 bits); fp8 (e4m3) by fp8_mag8; then the sign.
 * E4M3's NaN code (0x7f) never comes out of mx_code8 (it saturates;
 * non-finite blocks are not done here). */
AVX2F16C static INLINE __m256 mx_value8(int kind, __m256i c)
{
	if (kind == MX_INT8)
		return _mm256_mul_ps(_mm256_cvtepi32_ps(c), _mm256_set1_ps(0x1p-6f));
	if (kind == MX_FP4) {
		const __m256 mags = _mm256_setr_ps(0.0f, 0.5f, 1.0f, 1.5f, 2.0f, 3.0f, 4.0f, 6.0f);
		__m256i sign = _mm256_slli_epi32(_mm256_and_si256(c, _mm256_set1_epi32(8)), 28);
		return _mm256_or_ps(_mm256_permutevar8x32_ps(mags, c), _mm256_castsi256_ps(sign));
	}
	__m256 v = fp8_mag8(_mm256_and_si256(c, _mm256_set1_epi32(0x7f)), 3, 7, 0x1p-9f);
	__m256i sign = _mm256_slli_epi32(_mm256_and_si256(c, _mm256_set1_epi32(0x80)), 24);
	return _mm256_or_ps(v, _mm256_castsi256_ps(sign));
}

/* With y (not NULL), the dequantized values too, as ql_mx_dequantize makes
 * them: the element's value times the block's scale 2^se, one float
 * multiply. */
AVX2F16C static INLINE int64_t mx_codes(int kind, ql_qdtype t, const float *x, int64_t nb,
					 uint8_t *raw, uint8_t *codes, float *umin, float *umax,
					 float *clip_lo, float *clip_hi, float *scales,
					 int64_t *saturated, float *y)
{
	const __m256i absi = _mm256_set1_epi32(INT32_MAX);
	const uint32_t *up = ql_mx_log2_up();
	const int emax = kind == MX_FP4 ? 2 : kind == MX_FP8 ? 8 : 0;
	const int64_t bb = kind == MX_FP4 ? 1 + QL_MX_BLOCK / 2 : 1 + QL_MX_BLOCK;
	__m256i sat = _mm256_setzero_si256();
	int64_t i = 0;
	for (; i < nb; i++) {
		const float *xb = x + i * QL_MX_BLOCK;
		__m256 v[4];
		__m256i m = _mm256_setzero_si256();
		for (int k = 0; k < 4; k++) {
			v[k] = _mm256_loadu_ps(xb + 8 * k);
			m = _mm256_max_epi32(m, _mm256_and_si256(_mm256_castps_si256(v[k]), absi));
		}
		const uint32_t ab = hmax_epi32(m);
		if (ab >= AMAX_INF_BITS)
			break;
		float mn, mx;
		block_range(xb, v[0], v[1], v[2], v[3], &mn, &mx);
		const float amax = fabsf(mn) > fabsf(mx) ? fabsf(mn) : fabsf(mx);
		umin[i] = mn;
		umax[i] = mx;
		clip_lo[i] = -amax;
		clip_hi[i] = amax;
		int se;
		if (ab >= 0x00800000u) { /* normal: mx.c's mx_floor_log2 */
			se = (int)(ab >> 23) - 127 + (ab >= up[ab >> 23]) - emax;
			se = se < -127 ? -127 : se > 127 ? 127 : se;
		} else {
			se = ql_mx_shared_exp(t, amax);
		}
		uint8_t *rb = raw + i * bb;
		rb[0] = (uint8_t)(se + 127);
		scales[i] = pow2_exact(se);
		const __m256 inv = _mm256_set1_ps(pow2_exact(-se));
		__m256i c[4];
		for (int k = 0; k < 4; k++)
			c[k] = mx_code8(kind, _mm256_mul_ps(v[k], inv), &sat);
		if (y) {
			const __m256 sc = _mm256_set1_ps(scales[i]);
			for (int k = 0; k < 4; k++)
				_mm256_storeu_ps(y + i * QL_MX_BLOCK + 8 * k,
						 _mm256_mul_ps(mx_value8(kind, c[k]), sc));
		}
		__m256i bytes = kind == MX_INT8 ? pack_s8(c[0], c[1], c[2], c[3])
						: pack_u8(c[0], c[1], c[2], c[3]);
		_mm256_storeu_si256((__m256i *)(codes + i * QL_MX_BLOCK), bytes);
		if (kind == MX_FP4) { /* byte j: code j | code j + 16 << 4 */
			__m256i a = _mm256_or_si256(c[0], _mm256_slli_epi32(c[2], 4));
			__m256i b = _mm256_or_si256(c[1], _mm256_slli_epi32(c[3], 4));
			__m256i p = _mm256_permute4x64_epi64(_mm256_packus_epi32(a, b), 0xd8);
			_mm_storeu_si128((__m128i *)(rb + 1),
					 _mm_packus_epi16(_mm256_castsi256_si128(p),
							  _mm256_extracti128_si256(p, 1)));
		} else {
			_mm256_storeu_si256((__m256i *)(rb + 1), bytes);
		}
	}
	int32_t t8[8];
	_mm256_storeu_si256((__m256i *)t8, sat);
	int64_t total = 0;
	for (int j = 0; j < 8; j++)
		total -= t8[j];
	*saturated = total;
	return i;
}

#define MX_CASES(Y)                                                                              \
	switch (t) {                                                                             \
	case QL_Q_MXFP4:                                                                         \
		return mx_codes(MX_FP4, t, x, nb, raw, codes, umin, umax, clip_lo, clip_hi, scales, \
				saturated, Y);                                                   \
	case QL_Q_MXFP8:                                                                         \
		return mx_codes(MX_FP8, t, x, nb, raw, codes, umin, umax, clip_lo, clip_hi, scales, \
				saturated, Y);                                                   \
	default:                                                                                 \
		return mx_codes(MX_INT8, t, x, nb, raw, codes, umin, umax, clip_lo, clip_hi,       \
				scales, saturated, Y);                                           \
	}

AVX2F16C int64_t ql_mx_codes_avx2(ql_qdtype t, const float *x, int64_t nb, uint8_t *raw,
				  uint8_t *codes, float *umin, float *umax, float *clip_lo,
				  float *clip_hi, float *scales, int64_t *saturated)
{
	MX_CASES(NULL)
}

AVX2F16C int64_t ql_mx_qdq_avx2(ql_qdtype t, const float *x, int64_t nb, uint8_t *raw,
				uint8_t *codes, float *umin, float *umax, float *clip_lo,
				float *clip_hi, float *scales, int64_t *saturated, float *y)
{
	MX_CASES(y)
}
#undef MX_CASES

/* ---- fp8 / fp4 element codes of x * inv ---------------------------------------- */

AVX2F16C static INLINE int64_t fp_codes(int kind, const float *x, size_t n, float inv,
					uint8_t *codes)
{
	const __m256 iv = _mm256_set1_ps(inv);
	__m256i sat = _mm256_setzero_si256();
	for (size_t i = 0; i + 32 <= n; i += 32) {
		__m256i c[4];
		for (int k = 0; k < 4; k++)
			c[k] = mx_code8(kind, _mm256_mul_ps(_mm256_loadu_ps(x + i + 8 * k), iv), &sat);
		_mm256_storeu_si256((__m256i *)(codes + i), pack_u8(c[0], c[1], c[2], c[3]));
	}
	int32_t t8[8];
	_mm256_storeu_si256((__m256i *)t8, sat);
	int64_t total = 0;
	for (int j = 0; j < 8; j++)
		total -= t8[j];
	return total;
}

AVX2F16C int64_t ql_fp_codes_avx2(ql_type fmt, const float *x, size_t n, float inv,
				  uint8_t *codes)
{
	switch (fmt) {
	case QL_FP8_E4M3: return fp_codes(MX_FP8, x, n, inv, codes);
	case QL_FP8_E5M2: return fp_codes(FP_E5M2, x, n, inv, codes);
	default: return fp_codes(MX_FP4, x, n, inv, codes);
	}
}

/* The value of 8 fp8 codes (E4M3 or E5M2, as ql_decode gives them for the
 * codes mx_code8 makes of finite products: never a NaN or infinity code),
 * exactly, by fp8_mag8, and the sign. */
AVX2F16C static INLINE __m256 fp8_value8(int kind, __m256i c)
{
	if (kind == MX_FP8)
		return mx_value8(MX_FP8, c);
	__m256 v = fp8_mag8(_mm256_and_si256(c, _mm256_set1_epi32(0x7f)), 2, 15, 0x1p-16f);
	__m256i sign = _mm256_slli_epi32(_mm256_and_si256(c, _mm256_set1_epi32(0x80)), 24);
	return _mm256_or_ps(v, _mm256_castsi256_ps(sign));
}

AVX2F16C static INLINE int64_t fp_qdq(int kind, const float *x, size_t n, float inv, float scale,
				      uint8_t *codes, float *y)
{
	const __m256 iv = _mm256_set1_ps(inv), sc = _mm256_set1_ps(scale);
	__m256i sat = _mm256_setzero_si256();
	for (size_t i = 0; i + 32 <= n; i += 32) {
		__m256i c[4];
		for (int k = 0; k < 4; k++) {
			c[k] = mx_code8(kind, _mm256_mul_ps(_mm256_loadu_ps(x + i + 8 * k), iv), &sat);
			_mm256_storeu_ps(y + i + 8 * k, _mm256_mul_ps(fp8_value8(kind, c[k]), sc));
		}
		_mm256_storeu_si256((__m256i *)(codes + i), pack_u8(c[0], c[1], c[2], c[3]));
	}
	return clip_total(sat);
}

AVX2F16C int64_t ql_fp8_qdq_avx2(ql_type fmt, const float *x, size_t n, float scale,
				 uint8_t *codes, float *y)
{
	const float inv = 1.0f / scale; /* as ql_float_quantize */
	if (fmt == QL_FP8_E4M3)
		return fp_qdq(MX_FP8, x, n, inv, scale, codes, y);
	return fp_qdq(FP_E5M2, x, n, inv, scale, codes, y);
}

/* ---- Affine codes of groups of 32 ------------------------------------------ */

/* With y, the codes are clamped as int32 first (the byte clamp then
 * changes nothing) and dequantized as affine.c's kernel does it:
 * ((float)q - zp) * scale, where (float)q - zp = (float)(q - zp) exactly
 * (small integers). */
AVX2F16C static INLINE int64_t groups32(bool is_signed, const float *x, int64_t k,
					const float *scales, const int32_t *zps, int32_t qmin,
					int32_t qmax, uint8_t *q, float *y)
{
	const __m256i qmin8 = _mm256_set1_epi8((char)qmin), qmax8 = _mm256_set1_epi8((char)qmax);
	__m256i clip = _mm256_setzero_si256();
	for (int64_t b = 0; b < k; b++) {
		const float *xb = x + b * 32;
		const qconst kc = qconst_make(scales[b], zps ? zps[b] : 0, qmin, qmax);
		__m256i c[4];
		for (int j = 0; j < 4; j++) {
			c[j] = code8(_mm256_loadu_ps(xb + 8 * j), &kc, &clip);
			if (y) {
				c[j] = _mm256_min_epi32(_mm256_max_epi32(c[j], kc.qmin), kc.qmax);
				_mm256_storeu_ps(y + b * 32 + 8 * j,
						 _mm256_mul_ps(_mm256_cvtepi32_ps(
								       _mm256_sub_epi32(c[j], kc.zp)),
							       kc.scale));
			}
		}
		__m256i v;
		if (is_signed) {
			v = pack_s8(c[0], c[1], c[2], c[3]);
			v = _mm256_min_epi8(_mm256_max_epi8(v, qmin8), qmax8);
		} else {
			v = pack_u8(c[0], c[1], c[2], c[3]);
			v = _mm256_min_epu8(_mm256_max_epu8(v, qmin8), qmax8);
		}
		_mm256_storeu_si256((__m256i *)(q + b * 32), v);
	}
	return clip_total(clip);
}

AVX2F16C int64_t ql_affine_groups32_avx2(bool is_signed, const float *x, int64_t k,
					 const float *scales, const int32_t *zps, int32_t qmin,
					 int32_t qmax, uint8_t *q, float *y)
{
	if (y)
		return groups32(is_signed, x, k, scales, zps, qmin, qmax, q, y);
	return groups32(is_signed, x, k, scales, zps, qmin, qmax, q, NULL);
}

/* ---- Channels along the last axis (per-column parameters) ------------------ */

/* Four rows (stride c) into the running ranges of columns [j, j + 8), in
 * row order; the non-finite lanes into nb (-1 each). */
AVX2F16C static INLINE void rows_range4(const float *xr, int64_t c, int64_t j, float *mn, float *mx,
					__m256i *nb)
{
	const __m256 absf = _mm256_castsi256_ps(_mm256_set1_epi32(INT32_MAX));
	const __m256 fmax = _mm256_set1_ps(FLT_MAX);
	__m256 lo = _mm256_loadu_ps(mn + j), hi = _mm256_loadu_ps(mx + j);
	for (int r = 0; r < 4; r++) {
		__m256 v = _mm256_loadu_ps(xr + r * c + j);
		/* NaN or |v| > FLT_MAX: -1 */
		*nb = _mm256_add_epi32(*nb, _mm256_castps_si256(_mm256_cmp_ps(
						    _mm256_and_ps(v, absf), fmax, _CMP_NLE_UQ)));
		lo = _mm256_min_ps(v, lo);
		hi = _mm256_max_ps(v, hi);
	}
	_mm256_storeu_ps(mn + j, lo);
	_mm256_storeu_ps(mx + j, hi);
}

/* Rows [0, rows) of c columns (row stride c), columns [0, c8) (c8 a multiple
 * of 8), into the running per-column min/max mn/mx: quantize_scan.c's
 * by_rows scan, `v < lo ? v : lo` being minps(v, lo) and `v > hi ? v : hi`
 * maxps(v, hi) lane by lane (NaN keeps the running value, as there); the
 * count of non-finite values returned. */
AVX2F16C int64_t ql_rows_range_avx2(const float *x, int64_t rows, int64_t c, int64_t c8,
				    float *mn, float *mx)
{
	const __m256 absf = _mm256_castsi256_ps(_mm256_set1_epi32(INT32_MAX));
	const __m256 fmax = _mm256_set1_ps(FLT_MAX);
	__m256i nb = _mm256_setzero_si256(); /* -count per lane (a job's rows: far from 2^31) */
	/* four rows at a time, each column's rows still in order: the running
	 * ranges (8 bytes a column: more than L1 holds beside the streaming
	 * rows once c passes a few thousand) are loaded and stored once per
	 * four rows instead of every row */
	int64_t o = 0;
	for (; o + 4 <= rows; o += 4) {
		const float *xr = x + o * c;
		for (int64_t j = 0; j < c8; j += 8)
			rows_range4(xr, c, j, mn, mx, &nb);
	}
	for (; o < rows; o++) {
		const float *xr = x + o * c;
		for (int64_t j = 0; j < c8; j += 8) {
			__m256 v = _mm256_loadu_ps(xr + j);
			nb = _mm256_add_epi32(nb, _mm256_castps_si256(_mm256_cmp_ps(
							  _mm256_and_ps(v, absf), fmax, _CMP_NLE_UQ)));
			_mm256_storeu_ps(mn + j, _mm256_min_ps(v, _mm256_loadu_ps(mn + j)));
			_mm256_storeu_ps(mx + j, _mm256_max_ps(v, _mm256_loadu_ps(mx + j)));
		}
	}
	return clip_total(nb);
}

/* affine.c's per-column code of 8 values and its dequantized value: the
 * clamps by maxps/minps as code8 (NaN to lo), cvtps2dq (round half to even,
 * as the C's magic-number rounding on that range), + zp and the clamp in
 * int32; y = ((float)q - zp) * scale. */
AVX2F16C static INLINE int64_t cols_qdq(bool is_signed, const float *x, int64_t w,
					const float *inv, const float *zpf, const float *sc,
					int32_t qmin, int32_t qmax, uint8_t *q, float *y)
{
	const __m256i qminv = _mm256_set1_epi32(qmin), qmaxv = _mm256_set1_epi32(qmax);
	/* lo = qmin - zp - 1 and hi = qmax - zp + 1 as ql_col_params_fill makes
	 * them (small integers, exact): from zp here, two fewer loads a vector */
	const __m256 qminf = _mm256_set1_ps((float)qmin), qmaxf = _mm256_set1_ps((float)qmax);
	const __m256 one = _mm256_set1_ps(1.0f);
	__m256i clip = _mm256_setzero_si256();
	for (int64_t j = 0; j < w; j += 32) {
		__m256i c[4];
		for (int k = 0; k < 4; k++) {
			const int64_t i = j + 8 * k;
			const __m256 z = _mm256_loadu_ps(zpf + i);
			__m256 v = _mm256_mul_ps(_mm256_loadu_ps(x + i), _mm256_loadu_ps(inv + i));
			v = _mm256_max_ps(v, _mm256_sub_ps(_mm256_sub_ps(qminf, z), one));
			v = _mm256_min_ps(v, _mm256_add_ps(_mm256_sub_ps(qmaxf, z), one));
			__m256i qi = _mm256_add_epi32(_mm256_cvtps_epi32(v), _mm256_cvtps_epi32(z));
			clip = _mm256_add_epi32(clip, _mm256_or_si256(_mm256_cmpgt_epi32(qminv, qi),
								      _mm256_cmpgt_epi32(qi, qmaxv)));
			qi = _mm256_min_epi32(_mm256_max_epi32(qi, qminv), qmaxv);
			c[k] = qi;
			_mm256_storeu_ps(y + i, _mm256_mul_ps(_mm256_sub_ps(_mm256_cvtepi32_ps(qi), z),
							      _mm256_loadu_ps(sc + i)));
		}
		__m256i b = is_signed ? pack_s8(c[0], c[1], c[2], c[3]) : pack_u8(c[0], c[1], c[2], c[3]);
		_mm256_storeu_si256((__m256i *)(q + j), b);
	}
	return clip_total(clip);
}

AVX2F16C int64_t ql_cols_qdq_avx2(bool is_signed, const float *x, int64_t w, const float *inv,
				  const float *zpf, const float *sc, int32_t qmin, int32_t qmax,
				  uint8_t *q, float *y)
{
	if (is_signed)
		return cols_qdq(true, x, w, inv, zpf, sc, qmin, qmax, q, y);
	return cols_qdq(false, x, w, inv, zpf, sc, qmin, qmax, q, y);
}

/* ---- A tile's metric sums and error histogram --------------------------------- */

QL_ACC_TARGET void ql_tile_acc_avx2(ql_metrics_acc *acc, const float *x, const float *y,
				    int64_t n)
{
	ql_acc s;
	ql_acc_eh h;
	ql_acc_zero(&s);
	ql_acc_eh_begin(&h, acc->eh);
	if (acc->eh)
		for (int64_t j = 0; j < n; j += 8)
			ql_acc_add8p(&s, &h, x + j, y + j);
	else
		for (int64_t j = 0; j < n; j += 8)
			ql_acc_add8p(&s, NULL, x + j, y + j);
	ql_acc_flush(&s, NULL, NULL, 0, (size_t)n, acc);
	ql_acc_eh_end(&h, NULL, NULL, 0);
}

#endif
