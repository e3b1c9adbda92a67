/* qrow_avx2.c — the Q8_0 row quantizer (blocks.c's ql_quantize_row_q8_0,
 * ggml's reference bytes) with AVX2 and F16C, at the speed of ggml's own
 * SIMD quantize_row_q8_0 (scripts/bench_ggml_q8_0.sh compares the two).
 *
 * Why it gives the reference's bytes, block by block:
 *   - amax: the max of the 32 |x| taken on their bit patterns as int32
 *     (non-negative floats order as their bits), exact in any order; a bit
 *     pattern >= 0x7f800000 is an infinity or a NaN, and that block goes
 *     through the C reference instead (so does a block whose d would be
 *     subnormal, see below);
 *   - d = amax / 127 and id = 1 / d as the C does them, in scalar floats;
 *     fp16(d) by F16C's vcvtps2ph, round to nearest even like blocks.c's
 *     f32_to_fp16 (d is finite and normal here: no NaN/inf cases arise);
 *   - the codes: with d normal, 1 / d is within an ulp of 127 / amax, so
 *     |x * id| < 127.5 and the reference's clamps to [-128, 127] change
 *     nothing; its round-half-away-from-zero of v then equals
 *     sign(v) * trunc(|v| + 0.49999997f) (checked for every float in
 *     [0, 128], see tests/test_blockspeed.c), where + is one float add and
 *     trunc is cvttps2dq. A block with amax < 2^-119 (d below FLT_MIN,
 *     where 1 / d is far from 127 / amax, even infinite) and amax == 0
 *     excepted: the zero block gives id = 0, codes 0, as here.
 *
 * Compiled for "avx2,f16c" alone (no "fma"). ql_avx2_active() is true only
 * when the CPU has both.
 */
#include "quant_avx2.h"

#include <float.h>

#if QL_HAVE_AVX2_KERNELS

#include <immintrin.h>

#define AVX2F16C __attribute__((target("avx2,f16c")))

/* Bit patterns bounding the blocks done here: amax in {0} or
 * [2^-119, FLT_MAX]. */
#define AMAX_LOW_BITS 0x04000000u /* 2^-119: d = amax / 127 > FLT_MIN */
#define AMAX_INF_BITS 0x7f800000u

/* 4 × 8 int32 codes in [-128, 127] to 32 bytes in order. */
AVX2F16C static inline __m256i pack32(__m256i a, __m256i b, __m256i c, __m256i d)
{
	__m256i v = _mm256_packs_epi16(_mm256_packs_epi32(a, b), _mm256_packs_epi32(c, d));
	return _mm256_permutevar8x32_epi32(v, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
}

/* The reference's q8_code of 8 products v (|v| < 127.5, see above). */
AVX2F16C static inline __m256i code8(__m256 v, __m256 absf, __m256 half)
{
	__m256i t = _mm256_cvttps_epi32(_mm256_add_ps(_mm256_and_ps(v, absf), half));
	return _mm256_sign_epi32(t, _mm256_castps_si256(v));
}

/* Max of the 8 int32 lanes. */
AVX2F16C static inline uint32_t hmax_epi32(__m256i m)
{
	__m128i m4 = _mm_max_epi32(_mm256_castsi256_si128(m), _mm256_extracti128_si256(m, 1));
	m4 = _mm_max_epi32(m4, _mm_shuffle_epi32(m4, 0x4e));
	m4 = _mm_max_epi32(m4, _mm_shuffle_epi32(m4, 0xb1));
	return (uint32_t)_mm_cvtsi128_si32(m4);
}

AVX2F16C void ql_q8_0_row_avx2(const float *x, ql_block_q8_0 *blk, int64_t nb)
{
	const __m256 absf = _mm256_castsi256_ps(_mm256_set1_epi32(INT32_MAX));
	const __m256 half = _mm256_set1_ps(0x1.fffffep-2f); /* 0.49999997f */
	for (int64_t i = 0; i < nb; i++) {
		const float *xb = x + i * QL_QK8_0;
		__m256 v0 = _mm256_loadu_ps(xb), v1 = _mm256_loadu_ps(xb + 8);
		__m256 v2 = _mm256_loadu_ps(xb + 16), v3 = _mm256_loadu_ps(xb + 24);
		__m256i m = _mm256_max_epi32(
			_mm256_max_epi32(_mm256_castps_si256(_mm256_and_ps(v0, absf)),
					 _mm256_castps_si256(_mm256_and_ps(v1, absf))),
			_mm256_max_epi32(_mm256_castps_si256(_mm256_and_ps(v2, absf)),
					 _mm256_castps_si256(_mm256_and_ps(v3, absf))));
		const uint32_t mb = hmax_epi32(m);
		if (mb >= AMAX_INF_BITS || (mb != 0 && mb < AMAX_LOW_BITS)) {
			ql_quantize_row_q8_0_ref(xb, blk + i, QL_QK8_0);
			continue;
		}
		const float amax = _mm_cvtss_f32(_mm_castsi128_ps(_mm_cvtsi32_si128((int)mb)));
		const float d = amax / 127.0f;
		const float id = d != 0.0f ? 1.0f / d : 0.0f;
		blk[i].d = (uint16_t)_mm_extract_epi16(
			_mm_cvtps_ph(_mm_set_ss(d), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC), 0);
		const __m256 idv = _mm256_set1_ps(id);
		__m256i c0 = code8(_mm256_mul_ps(v0, idv), absf, half);
		__m256i c1 = code8(_mm256_mul_ps(v1, idv), absf, half);
		__m256i c2 = code8(_mm256_mul_ps(v2, idv), absf, half);
		__m256i c3 = code8(_mm256_mul_ps(v3, idv), absf, half);
		_mm256_storeu_si256((__m256i *)blk[i].qs, pack32(c0, c1, c2, c3));
	}
}

#endif
