/* avx2_common.h — the helpers both AVX2 kernel files use (quant_avx2.c,
 * qrow_avx2.c; private to src/core): the affine code of 8 values and its
 * constants, the in-order packs of 32 codes, the fp16 scale conversions, the
 * clip count, and the range of a block of 32. Include it only where
 * QL_HAVE_AVX2_KERNELS. */
#ifndef QLENS_CORE_AVX2_COMMON_H
#define QLENS_CORE_AVX2_COMMON_H

#include <immintrin.h>
#include <math.h>
#include <stdint.h>

#define AVX2_COMMON __attribute__((target("avx2,f16c")))

/* What every kernel needs, broadcast: see the C's affine_code(). */
typedef struct qconst {
	__m256 inv, lo, hi, scale;
	__m256i zp, qmin, qmax;
} qconst;

AVX2_COMMON static inline qconst qconst_make(float scale, int32_t zp, int32_t qmin, int32_t qmax)
{
	/* the same float expressions as the C kernel */
	const float inv = 1.0f / scale;
	const float zpf = (float)zp, qminf = (float)qmin, qmaxf = (float)qmax;
	qconst k = {
		.inv = _mm256_set1_ps(inv),
		.lo = _mm256_set1_ps(qminf - zpf - 1.0f),
		.hi = _mm256_set1_ps(qmaxf - zpf + 1.0f),
		.scale = _mm256_set1_ps(scale),
		.zp = _mm256_set1_epi32(zp),
		.qmin = _mm256_set1_epi32(qmin),
		.qmax = _mm256_set1_epi32(qmax),
	};
	return k;
}

/* zp + rint(clamp(x * inv)) of 8 values, not yet clamped to [qmin, qmax]
 * (it lies in [qmin - 1, qmax + 1]); *clip counts (negatively: a compare
 * mask is -1) the lanes outside. */
AVX2_COMMON static inline __m256i code8(__m256 x, const qconst *k, __m256i *clip)
{
	__m256 v = _mm256_mul_ps(x, k->inv);
	v = _mm256_max_ps(v, k->lo); /* v > lo ? v : lo (NaN -> lo) */
	v = _mm256_min_ps(v, k->hi); /* v < hi ? v : hi */
	__m256i q = _mm256_add_epi32(_mm256_cvtps_epi32(v), k->zp);
	__m256i out = _mm256_or_si256(_mm256_cmpgt_epi32(k->qmin, q), _mm256_cmpgt_epi32(q, k->qmax));
	*clip = _mm256_add_epi32(*clip, out);
	return q;
}

/* 4 × 8 int32 codes (each in [-129, 256]) to 32 bytes in order: the packs
 * work within 128-bit lanes, so the dwords come out as 0 4 1 5 2 6 3 7. */
AVX2_COMMON static inline __m256i pack_s8(__m256i a, __m256i b, __m256i c, __m256i d)
{
	__m256i ab = _mm256_packs_epi32(a, b), cd = _mm256_packs_epi32(c, d);
	__m256i v = _mm256_packs_epi16(ab, cd);
	return _mm256_permutevar8x32_epi32(v, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
}

AVX2_COMMON static inline __m256i pack_u8(__m256i a, __m256i b, __m256i c, __m256i d)
{
	__m256i ab = _mm256_packs_epi32(a, b), cd = _mm256_packs_epi32(c, d);
	__m256i v = _mm256_packus_epi16(ab, cd);
	return _mm256_permutevar8x32_epi32(v, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
}

/* blocks.c's ql_fp16_from_f32 of a finite f (round to nearest even, to inf
 * past 65504) and the fp16 back to float (exact), inline. */
AVX2_COMMON static inline uint16_t fp16_of(float f)
{
	return (uint16_t)_mm_extract_epi16(
		_mm_cvtps_ph(_mm_set_ss(f), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC), 0);
}

AVX2_COMMON static inline float f32_of_fp16(uint16_t h)
{
	return _mm_cvtss_f32(_mm_cvtph_ps(_mm_cvtsi32_si128(h)));
}

/* A float's bits from here up are an infinity or a NaN (its magnitude's
 * bits as int32). */
#define AMAX_INF_BITS 0x7f800000u

/* Max of the 8 int32 lanes. */
AVX2_COMMON static inline uint32_t hmax_epi32(__m256i m)
{
	__m128i m4 = _mm_max_epi32(_mm256_castsi256_si128(m), _mm256_extracti128_si256(m, 1));
	m4 = _mm_max_epi32(m4, _mm_shuffle_epi32(m4, 0x4e));
	m4 = _mm_max_epi32(m4, _mm_shuffle_epi32(m4, 0xb1));
	return (uint32_t)_mm_cvtsi128_si32(m4);
}

/* Sum of the 8 int32 lanes (each a negated count). */
AVX2_COMMON static inline int64_t clip_total(__m256i c)
{
	int32_t t[8];
	_mm256_storeu_si256((__m256i *)t, c);
	int64_t s = 0;
	for (int j = 0; j < 8; j++)
		s -= t[j];
	return s;
}

/* The range of one block of 32 as ql_qp_scan_span gives it (quantize_scan.c): min and
 * max by `v < l ? v : l` in order from ±inf. minps/maxps pick the same
 * value whenever it is not zero (equal nonzero floats have equal bits); a
 * zero result (where +0 and -0 differ) is redone in order. */
AVX2_COMMON static inline void block_range(const float *x, __m256 a, __m256 b, __m256 c,
					       __m256 d, float *mn, float *mx)
{
	__m256 lo = _mm256_min_ps(_mm256_min_ps(a, b), _mm256_min_ps(c, d));
	__m256 hi = _mm256_max_ps(_mm256_max_ps(a, b), _mm256_max_ps(c, d));
	__m128 l4 = _mm_min_ps(_mm256_castps256_ps128(lo), _mm256_extractf128_ps(lo, 1));
	__m128 h4 = _mm_max_ps(_mm256_castps256_ps128(hi), _mm256_extractf128_ps(hi, 1));
	l4 = _mm_min_ps(l4, _mm_movehl_ps(l4, l4));
	h4 = _mm_max_ps(h4, _mm_movehl_ps(h4, h4));
	l4 = _mm_min_ss(l4, _mm_shuffle_ps(l4, l4, 1));
	h4 = _mm_max_ss(h4, _mm_shuffle_ps(h4, h4, 1));
	float l = _mm_cvtss_f32(l4), h = _mm_cvtss_f32(h4);
	if (l == 0.0f || h == 0.0f) {
		l = INFINITY;
		h = -INFINITY;
		for (int j = 0; j < 32; j++) {
			l = x[j] < l ? x[j] : l;
			h = x[j] > h ? x[j] : h;
		}
	}
	*mn = l;
	*mx = h;
}

#endif
