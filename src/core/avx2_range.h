/* avx2_range.h — the range of one block of 32 with AVX2 (private to the
 * AVX2 kernel files: include it where the including functions are compiled
 * for "avx2"). */
#ifndef QLENS_CORE_AVX2_RANGE_H
#define QLENS_CORE_AVX2_RANGE_H

#include <immintrin.h>
#include <math.h>

/* The range of one block of 32 as ql_qp_scan_span gives it (quantize_scan.c): min and
 * max by `v < l ? v : l` in order from ±inf. minps/maxps pick the same
 * value whenever it is not zero (equal nonzero floats have equal bits); a
 * zero result (where +0 and -0 differ) is redone in order. */
__attribute__((target("avx2"))) static inline void block_range(const float *x, __m256 a,
							       __m256 b, __m256 c, __m256 d,
							       float *mn, float *mx)
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
