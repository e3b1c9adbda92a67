/* qrow_avx2.c — the Q8_0 and Q4_0 row quantizers (blocks.c's
 * ql_quantize_row_q8_0 / _q4_0, ggml's reference bytes) with AVX2 and F16C,
 * faster than ggml's own SIMD quantize_row_q8_0 (scripts/bench_ggml_q8_0.sh
 * compares them), and ql_quantize's Q8_0 / Q4_0 blocks made by them (the
 * MX, fp8, int-group and last-axis kernels are in qelem_avx2.c).
 *
 * Why the Q8_0 kernel gives the reference's bytes, block by block:
 *   - amax: the max of the 32 |x| taken on their bit patterns as int32
 *     (non-negative floats order as their bits), exact in any order; a bit
 *     pattern >= 0x7f800000 is an infinity or a NaN, and that block goes
 *     through the C reference instead (so does a block whose d would be
 *     subnormal, see below);
 *   - d = amax / 127 and id = 1 / d as the C does them (vector divisions:
 *     each lane the same IEEE division as the scalar one); fp16(d) by
 *     F16C's vcvtps2ph, round to nearest even like blocks.c's f32_to_fp16
 *     (d is finite and normal here: no NaN/inf cases arise);
 *   - the codes: with d normal, 1 / d is within an ulp of 127 / amax, so
 *     |x * id| < 127.5 and the reference's clamps to [-128, 127] change
 *     nothing; its round-half-away-from-zero of v then equals
 *     sign(v) * trunc(|v| + 0.49999997f) (checked for every float in
 *     [0, 128], see tests/test_blockspeed.c), where + is one float add and
 *     trunc is cvttps2dq; float addition and truncation being symmetric in
 *     sign, that is trunc(v + copysign(0.49999997f, v)), and sign(v) is
 *     sign(x) (id >= 0), so the constant is picked by x's sign bit (one
 *     blend). A block with amax < 2^-119 (d below FLT_MIN, where 1 / d is
 *     far from 127 / amax, even infinite) and amax == 0 excepted: the zero
 *     block gives id = 0, codes 0, as here.
 * Q4_0's reasons are at its kernel below.
 *
 * The row kernels are compiled for "avx2,f16c" (no "fma"); the block paths
 * that add metric sums for "avx2,fma,f16c" (acc_avx2.h). ql_avx2_active()
 * is true only when the CPU has all three.
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

/* Bit patterns bounding the blocks done here: amax in {0} or
 * [2^-119, FLT_MAX]. */
#define AMAX_LOW_BITS 0x04000000u /* 2^-119: d = amax / 127 > FLT_MIN */

/* The reference's q8_code of 8 products v (|v| < 127.5, see above). */
AVX2F16C static inline __m256i q8_code8_fast(__m256 v, __m256 absf, __m256 half)
{
	__m256i t = _mm256_cvttps_epi32(_mm256_add_ps(_mm256_and_ps(v, absf), half));
	return _mm256_sign_epi32(t, _mm256_castps_si256(v));
}

/* One block the plain way (any values): see the top of this file. */
AVX2F16C static inline void q8_0_block(const float *xb, ql_block_q8_0 *blk, __m256 absf,
				       __m256 half)
{
	__m256 v0 = _mm256_loadu_ps(xb), v1 = _mm256_loadu_ps(xb + 8);
	__m256 v2 = _mm256_loadu_ps(xb + 16), v3 = _mm256_loadu_ps(xb + 24);
	__m256i m = _mm256_max_epi32(_mm256_max_epi32(_mm256_castps_si256(_mm256_and_ps(v0, absf)),
						      _mm256_castps_si256(_mm256_and_ps(v1, absf))),
				     _mm256_max_epi32(_mm256_castps_si256(_mm256_and_ps(v2, absf)),
						      _mm256_castps_si256(_mm256_and_ps(v3, absf))));
	const uint32_t mb = hmax_epi32(m);
	if (mb >= AMAX_INF_BITS || (mb != 0 && mb < AMAX_LOW_BITS)) {
		ql_quantize_row_q8_0_ref(xb, blk, QL_QK8_0);
		return;
	}
	const float amax = _mm_cvtss_f32(_mm_castsi128_ps(_mm_cvtsi32_si128((int)mb)));
	const float d = amax / 127.0f;
	const float id = d != 0.0f ? 1.0f / d : 0.0f;
	blk->d = (uint16_t)_mm_extract_epi16(
		_mm_cvtps_ph(_mm_set_ss(d), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC), 0);
	const __m256 idv = _mm256_set1_ps(id);
	__m256i c0 = q8_code8_fast(_mm256_mul_ps(v0, idv), absf, half);
	__m256i c1 = q8_code8_fast(_mm256_mul_ps(v1, idv), absf, half);
	__m256i c2 = q8_code8_fast(_mm256_mul_ps(v2, idv), absf, half);
	__m256i c3 = q8_code8_fast(_mm256_mul_ps(v3, idv), absf, half);
	_mm256_storeu_si256((__m256i *)blk->qs, pack_s8(c0, c1, c2, c3));
}

/* Lane-wise max of |x| bits over one block of 32 (8 lanes, not yet reduced). */
AVX2F16C static inline __m256i absmax8(const float *xb, __m256i absi)
{
	__m256i a = _mm256_and_si256(_mm256_loadu_si256((const __m256i *)xb), absi);
	__m256i b = _mm256_and_si256(_mm256_loadu_si256((const __m256i *)(xb + 8)), absi);
	__m256i c = _mm256_and_si256(_mm256_loadu_si256((const __m256i *)(xb + 16)), absi);
	__m256i d = _mm256_and_si256(_mm256_loadu_si256((const __m256i *)(xb + 24)), absi);
	return _mm256_max_epi32(_mm256_max_epi32(a, b), _mm256_max_epi32(c, d));
}

/* Lane b of the result: the max of mb's 8 lanes (a transposing reduction). */
AVX2F16C static inline __m256i hmax8x8(__m256i m0, __m256i m1, __m256i m2, __m256i m3,
				       __m256i m4, __m256i m5, __m256i m6, __m256i m7)
{
	__m256i t0 = _mm256_max_epi32(_mm256_unpacklo_epi32(m0, m1), _mm256_unpackhi_epi32(m0, m1));
	__m256i t1 = _mm256_max_epi32(_mm256_unpacklo_epi32(m2, m3), _mm256_unpackhi_epi32(m2, m3));
	__m256i t2 = _mm256_max_epi32(_mm256_unpacklo_epi32(m4, m5), _mm256_unpackhi_epi32(m4, m5));
	__m256i t3 = _mm256_max_epi32(_mm256_unpacklo_epi32(m6, m7), _mm256_unpackhi_epi32(m6, m7));
	__m256i u0 = _mm256_max_epi32(_mm256_unpacklo_epi64(t0, t1), _mm256_unpackhi_epi64(t0, t1));
	__m256i u1 = _mm256_max_epi32(_mm256_unpacklo_epi64(t2, t3), _mm256_unpackhi_epi64(t2, t3));
	return _mm256_max_epi32(_mm256_permute2x128_si256(u0, u1, 0x20),
				_mm256_permute2x128_si256(u0, u1, 0x31));
}

/* The Q8_0 row, a chunk of CHUNK blocks at a time, in two passes over the
 * chunk (8 KB of input, in L1 for the second):
 *   1. eight blocks at a time: their amax in one vector, d and 1 / d by two
 *      vector divisions (each lane the same IEEE division as the scalar
 *      one), the eight fp16 scales by one vcvtps2ph; ids kept for pass 2;
 *      the blocks not for the fast path (see the top) flagged;
 *   2. the codes, block by block, from the ids: 4 products, + 0.49999997
 *      with x's sign (a blend), cvttps2dq, the packs. Flagged blocks go
 *      through the C reference.
 * No long dependency chain in either pass (the divisions of pass 1 are not
 * waited for by anything near them), so the out-of-order core overlaps
 * them; pass 2 prefetches the next chunk, so its loads run while this one
 * computes. A big output is written with streaming stores (from a chunk
 * staged in L1) so its lines are not read first: see ql_q8_0_row_avx2. */
#define Q8_CHUNK 64 /* blocks: 8 KB of input, 2176 = 34 * 64 bytes of output */

AVX2F16C static inline __m256i q8_code8_blend(__m256 x, __m256 id, __m256 half, __m256 nhalf)
{
	/* v + copysign(0.49999997f, v), v = x * id, where sign(v) = sign(x) as id >= 0 */
	return _mm256_cvttps_epi32(_mm256_add_ps(_mm256_mul_ps(x, id), _mm256_blendv_ps(half, nhalf, x)));
}

/* The 8 fp16 values of h into the d fields of 8 consecutive blocks of
 * `stride` bytes, the first at d. */
AVX2F16C static inline void put_d8(uint16_t *d, size_t stride, __m128i h)
{
	uint16_t v[8];
	_mm_storeu_si128((__m128i *)(void *)v, h);
	for (int k = 0; k < 8; k++)
		memcpy((uint8_t *)d + (size_t)k * stride, &v[k], sizeof v[k]);
}

/* Pass 1 over n (a multiple of 8, <= 64) blocks: d into out[b].d, 1 / d
 * into ids[b]; bit b of the result set where block b is not for pass 2. */
AVX2F16C static inline uint64_t q8_pass1(const float *x, ql_block_q8_0 *out, int n, float *ids)
{
	const __m256i absi = _mm256_set1_epi32(INT32_MAX);
	const __m256i low = _mm256_set1_epi32((int)AMAX_LOW_BITS);
	const __m256i inf = _mm256_set1_epi32((int)AMAX_INF_BITS - 1);
	uint64_t odd = 0;
	for (int g = 0; g < n; g += 8) {
		const float *xg = x + g * QL_QK8_0;
		__m256i am = hmax8x8(absmax8(xg, absi), absmax8(xg + 32, absi), absmax8(xg + 64, absi),
				     absmax8(xg + 96, absi), absmax8(xg + 128, absi),
				     absmax8(xg + 160, absi), absmax8(xg + 192, absi),
				     absmax8(xg + 224, absi));
		/* amax >= inf, or 0 < amax < 2^-119 */
		__m256i zero = _mm256_cmpeq_epi32(am, _mm256_setzero_si256());
		__m256i bad = _mm256_or_si256(_mm256_cmpgt_epi32(am, inf),
					      _mm256_andnot_si256(zero, _mm256_cmpgt_epi32(low, am)));
		odd |= (uint64_t)(unsigned)_mm256_movemask_ps(_mm256_castsi256_ps(bad)) << g;
		__m256 d = _mm256_div_ps(_mm256_castsi256_ps(am), _mm256_set1_ps(127.0f));
		__m256 id = _mm256_andnot_ps(_mm256_castsi256_ps(zero),
					     _mm256_div_ps(_mm256_set1_ps(1.0f), d));
		_mm256_storeu_ps(ids + g, id);
		__m128i h = _mm256_cvtps_ph(d, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
		put_d8(&out[g].d, sizeof *out, h);
	}
	return odd;
}

/* Pass 2: the codes of the n blocks of pass 1; prefetches the n blocks
 * after them (the next chunk). */
AVX2F16C static inline void q8_pass2(const float *x, ql_block_q8_0 *out, int n, const float *ids,
				     uint64_t odd)
{
	const __m256 half = _mm256_set1_ps(0x1.fffffep-2f), nhalf = _mm256_set1_ps(-0x1.fffffep-2f);
	const char *pf = (const char *)(x + n * QL_QK8_0);
	for (int b = 0; b < n; b++) {
		_mm_prefetch(pf + b * 128, _MM_HINT_T0);
		_mm_prefetch(pf + b * 128 + 64, _MM_HINT_T0);
		const float *xb = x + b * QL_QK8_0;
		if (__builtin_expect((odd >> b) & 1, 0)) {
			ql_quantize_row_q8_0_ref(xb, out + b, QL_QK8_0);
			continue;
		}
		const __m256 id = _mm256_broadcast_ss(ids + b);
		__m256i c0 = q8_code8_blend(_mm256_loadu_ps(xb), id, half, nhalf);
		__m256i c1 = q8_code8_blend(_mm256_loadu_ps(xb + 8), id, half, nhalf);
		__m256i c2 = q8_code8_blend(_mm256_loadu_ps(xb + 16), id, half, nhalf);
		__m256i c3 = q8_code8_blend(_mm256_loadu_ps(xb + 24), id, half, nhalf);
		_mm256_storeu_si256((__m256i *)out[b].qs, pack_s8(c0, c1, c2, c3));
	}
}

AVX2F16C static inline void q8_chunk(const float *x, ql_block_q8_0 *out, int n)
{
	float ids[Q8_CHUNK];
	uint64_t odd = q8_pass1(x, out, n, ids);
	q8_pass2(x, out, n, ids, odd);
}

/* Output bytes from which streaming stores pay: past what the caches keep
 * (L3 here is 32 MB shared; under it a normal store was faster, as the
 * lines are then still cached for whoever reads them next). */
#define Q8_STREAM_BYTES ((int64_t)8 << 20)

AVX2F16C void ql_q8_0_row_avx2(const float *x, ql_block_q8_0 *blk, int64_t nb)
{
	ql_q8_0_row_avx2_stream(x, blk, nb, nb * (int64_t)sizeof *blk >= Q8_STREAM_BYTES);
}

AVX2F16C void ql_q8_0_row_avx2_stream(const float *x, ql_block_q8_0 *blk, int64_t nb, bool stream)
{
	const __m256 absf = _mm256_castsi256_ps(_mm256_set1_epi32(INT32_MAX));
	const __m256 half = _mm256_set1_ps(0x1.fffffep-2f); /* 0.49999997f */
	int64_t i = 0;
	if (stream && ((uintptr_t)blk & 1) == 0) {
		/* blocks one by one until blk + i is 64-byte aligned (34 * i
		 * takes every even residue mod 64 within 32 blocks), then whole
		 * chunks (2176 bytes: 34 lines) staged and streamed out */
		for (; i < nb && (uintptr_t)(blk + i) & 63; i++)
			q8_0_block(x + i * QL_QK8_0, blk + i, absf, half);
		_Alignas(64) ql_block_q8_0 stage[Q8_CHUNK];
		_Static_assert(sizeof stage % 64 == 0, "a chunk of output is whole lines");
		for (; i + Q8_CHUNK <= nb; i += Q8_CHUNK) {
			q8_chunk(x + i * QL_QK8_0, stage, Q8_CHUNK);
			const __m256i *s = (const __m256i *)(const void *)stage;
			__m256i *d = (__m256i *)(void *)(blk + i);
			for (size_t k = 0; k < sizeof stage / 32; k++)
				_mm256_stream_si256(d + k, _mm256_load_si256(s + k));
		}
		_mm_sfence();
	}
	for (; i + Q8_CHUNK <= nb; i += Q8_CHUNK)
		q8_chunk(x + i * QL_QK8_0, blk + i, Q8_CHUNK);
	int64_t r = (nb - i) & ~(int64_t)7;
	if (r) {
		q8_chunk(x + i * QL_QK8_0, blk + i, (int)r);
		i += r;
	}
	for (; i < nb; i++)
		q8_0_block(x + i * QL_QK8_0, blk + i, absf, half);
}

/* ---- Q4_0 ------------------------------------------------------------------- */

/* ql_quantize_row_q4_0_ref's bytes and clipped count, the same two passes
 * as Q8_0 above. Why they are the reference's:
 *   - max (the first value of the largest magnitude, with its sign): the
 *     largest positive bit pattern P (signed int32 max of the bits: a
 *     negative float is a negative int) and the largest magnitude N among
 *     the negative ones (the max of the bits with the sign flipped);
 *     amax = max(P, N), and max = -amax where only N reaches it, +amax
 *     otherwise (so an all-zero block gives the reference's +0). A block
 *     where both reach amax != 0 (+amax and -amax both there: only the
 *     order tells) goes through the C reference, as do NaN/inf blocks
 *     (amax >= 0x7f800000) and those with 0 < amax < 2^-123 (d below
 *     FLT_MIN);
 *   - d = max / -8 as max * -0.125f (both exact here), 1 / d by a vector
 *     division, fp16(d) by vcvtps2ph (round to nearest even);
 *   - with d normal, |x * id| <= 8 (1 + 2^-23), so w = x * id + 8.5 lies
 *     in [0.49, 16.5]: the reference's guards (w < 0, w >= 127, NaN)
 *     never act, (int8_t)w is cvttps2dq, and only a code 16 is capped. */
#define Q4_LOW_BITS 0x02000000u /* 2^-123: d = amax / 8 >= FLT_MIN */

/* Lane-wise max of the bits (P) and of the bits with the sign flipped (N)
 * of one block of 32. */
AVX2F16C static inline void pn8(const float *xb, __m256i *p, __m256i *n)
{
	const __m256i sign = _mm256_set1_epi32(INT32_MIN);
	__m256i a = _mm256_loadu_si256((const __m256i *)xb);
	__m256i b = _mm256_loadu_si256((const __m256i *)(xb + 8));
	__m256i c = _mm256_loadu_si256((const __m256i *)(xb + 16));
	__m256i d = _mm256_loadu_si256((const __m256i *)(xb + 24));
	*p = _mm256_max_epi32(_mm256_max_epi32(a, b), _mm256_max_epi32(c, d));
	*n = _mm256_max_epi32(
		_mm256_max_epi32(_mm256_xor_si256(a, sign), _mm256_xor_si256(b, sign)),
		_mm256_max_epi32(_mm256_xor_si256(c, sign), _mm256_xor_si256(d, sign)));
}

AVX2F16C static inline uint64_t q4_pass1(const float *x, ql_block_q4_0 *out, int n, float *ids)
{
	const __m256i low = _mm256_set1_epi32((int)Q4_LOW_BITS);
	const __m256i inf = _mm256_set1_epi32((int)AMAX_INF_BITS - 1);
	const __m256i sign = _mm256_set1_epi32(INT32_MIN);
	uint64_t odd = 0;
	for (int g = 0; g < n; g += 8) {
		const float *xg = x + g * QL_QK4_0;
		__m256i p[8], m[8];
		for (int b = 0; b < 8; b++)
			pn8(xg + b * QL_QK4_0, &p[b], &m[b]);
		__m256i P = hmax8x8(p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7]);
		__m256i N = hmax8x8(m[0], m[1], m[2], m[3], m[4], m[5], m[6], m[7]);
		__m256i am = _mm256_max_epi32(P, N);
		__m256i zero = _mm256_cmpeq_epi32(am, _mm256_setzero_si256());
		__m256i bad = _mm256_or_si256(
			_mm256_or_si256(_mm256_cmpgt_epi32(am, inf),
					_mm256_andnot_si256(zero, _mm256_cmpgt_epi32(low, am))),
			_mm256_andnot_si256(zero, _mm256_cmpeq_epi32(P, N)));
		odd |= (uint64_t)(unsigned)_mm256_movemask_ps(_mm256_castsi256_ps(bad)) << g;
		/* -amax where only a negative value reaches it */
		__m256i mx = _mm256_or_si256(am, _mm256_and_si256(_mm256_cmpgt_epi32(N, P), sign));
		__m256 d = _mm256_mul_ps(_mm256_castsi256_ps(mx), _mm256_set1_ps(-0.125f));
		__m256 id = _mm256_andnot_ps(_mm256_castsi256_ps(zero),
					     _mm256_div_ps(_mm256_set1_ps(1.0f), d));
		_mm256_storeu_ps(ids + g, id);
		__m128i h = _mm256_cvtps_ph(d, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
		put_d8(&out[g].d, sizeof *out, h);
	}
	return odd;
}

/* The 16 bytes of one block's codes from its ids; *clip counts the codes
 * capped at 15 (those that were 16). */
AVX2F16C static inline __m128i q4_0_nibbles(const float *xb, __m256 id, int64_t *clip)
{
	const __m256 off = _mm256_set1_ps(8.5f);
	__m256i c0 = _mm256_cvttps_epi32(_mm256_add_ps(_mm256_mul_ps(_mm256_loadu_ps(xb), id), off));
	__m256i c1 = _mm256_cvttps_epi32(_mm256_add_ps(_mm256_mul_ps(_mm256_loadu_ps(xb + 8), id), off));
	__m256i c2 = _mm256_cvttps_epi32(_mm256_add_ps(_mm256_mul_ps(_mm256_loadu_ps(xb + 16), id), off));
	__m256i c3 = _mm256_cvttps_epi32(_mm256_add_ps(_mm256_mul_ps(_mm256_loadu_ps(xb + 24), id), off));
	/* bytes, per 128-bit lane: lane 0 codes 0-3 8-11 16-19 24-27, lane 1
	 * codes 4-7 12-15 20-23 28-31 */
	__m256i v = _mm256_packus_epi16(_mm256_packs_epi32(c0, c1), _mm256_packs_epi32(c2, c3));
	*clip += __builtin_popcount((unsigned)_mm256_movemask_epi8(
		_mm256_cmpeq_epi8(v, _mm256_set1_epi8(16))));
	v = _mm256_min_epu8(v, _mm256_set1_epi8(15));
	/* code j | code j + 16 << 4 in the low 8 bytes of each lane */
	v = _mm256_or_si256(v, _mm256_slli_epi16(_mm256_bsrli_epi128(v, 8), 4));
	return _mm_unpacklo_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
}

AVX2F16C static inline int64_t q4_pass2(const float *x, ql_block_q4_0 *out, int n, const float *ids,
					uint64_t odd)
{
	const char *pf = (const char *)(x + n * QL_QK4_0);
	int64_t clip = 0;
	for (int b = 0; b < n; b++) {
		_mm_prefetch(pf + b * 128, _MM_HINT_T0);
		_mm_prefetch(pf + b * 128 + 64, _MM_HINT_T0);
		const float *xb = x + b * QL_QK4_0;
		if (__builtin_expect((odd >> b) & 1, 0)) {
			clip += ql_quantize_row_q4_0_ref(xb, out + b, QL_QK4_0);
			continue;
		}
		_mm_storeu_si128((__m128i *)out[b].qs,
				 q4_0_nibbles(xb, _mm256_broadcast_ss(ids + b), &clip));
	}
	return clip;
}

AVX2F16C static inline int64_t q4_chunk(const float *x, ql_block_q4_0 *out, int n)
{
	float ids[Q8_CHUNK];
	uint64_t odd = q4_pass1(x, out, n, ids);
	return q4_pass2(x, out, n, ids, odd);
}

AVX2F16C int64_t ql_q4_0_row_avx2(const float *x, ql_block_q4_0 *blk, int64_t nb)
{
	return ql_q4_0_row_avx2_stream(x, blk, nb,
				       nb * (int64_t)sizeof *blk >= Q8_STREAM_BYTES);
}

AVX2F16C int64_t ql_q4_0_row_avx2_stream(const float *x, ql_block_q4_0 *blk, int64_t nb,
					 bool stream)
{
	int64_t i = 0, clip = 0;
	if (stream && ((uintptr_t)blk & 1) == 0) {
		/* as for Q8_0: 18 * i takes every even residue mod 64 */
		for (; i < nb && (uintptr_t)(blk + i) & 63; i++)
			clip += ql_quantize_row_q4_0_ref(x + i * QL_QK4_0, blk + i, QL_QK4_0);
		_Alignas(64) ql_block_q4_0 stage[Q8_CHUNK];
		_Static_assert(sizeof stage % 64 == 0, "a chunk of output is whole lines");
		for (; i + Q8_CHUNK <= nb; i += Q8_CHUNK) {
			clip += q4_chunk(x + i * QL_QK4_0, stage, Q8_CHUNK);
			const __m256i *s = (const __m256i *)(const void *)stage;
			__m256i *d = (__m256i *)(void *)(blk + i);
			for (size_t k = 0; k < sizeof stage / 32; k++)
				_mm256_stream_si256(d + k, _mm256_load_si256(s + k));
		}
		_mm_sfence();
	}
	for (; i + Q8_CHUNK <= nb; i += Q8_CHUNK)
		clip += q4_chunk(x + i * QL_QK4_0, blk + i, Q8_CHUNK);
	int64_t r = (nb - i) & ~(int64_t)7;
	if (r) {
		clip += q4_chunk(x + i * QL_QK4_0, blk + i, (int)r);
		i += r;
	}
	if (i < nb)
		clip += ql_quantize_row_q4_0_ref(x + i * QL_QK4_0, blk + i, (nb - i) * QL_QK4_0);
	return clip;
}

/* ---- ql_quantize's Q8_0 and Q4_0 blocks, by way of the row kernels ---------- */

/* ql_quantize's block loop for Q8_0 and Q4_0 (quantize_fast.c), made by the
 * row kernels above, a chunk of up to Q8_CHUNK blocks at a time:
 *   1. each block's range (ql_block_ranges_avx2: the scan's bits) into
 *      umin/umax and -/+ its largest magnitude into clip_lo/clip_hi, which
 *      also finds a block holding NaN or inf, before which the chunk, and
 *      the call, end (that block's outputs are not written);
 *   2. the chunk's bytes by q8_chunk / q4_chunk (the reference's bytes);
 *   3. from those bytes, in L1: the scales (fp16 d widened, 8 at a time),
 *      the codes (Q8_0: the bytes; Q4_0: the nibbles one a byte, byte j of
 *      qs holding codes j and j + 16) and, with y or acc, each block's
 *      values code * d (Q4_0: (code - 8) * d) into y or a tile, and their
 *      sums and error histogram, flushed every `flush` blocks. */

/* The fp16 d of n blocks of `stride` bytes (d first) widened into scales. */
AVX2F16C static inline void chunk_scales(const uint8_t *blk, size_t stride, int n, float *scales)
{
	int b = 0;
	for (; b + 8 <= n; b += 8) {
		uint16_t d[8];
		for (int k = 0; k < 8; k++)
			memcpy(&d[k], blk + (size_t)(b + k) * stride, 2);
		_mm256_storeu_ps(scales + b, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)d)));
	}
	for (; b < n; b++) {
		uint16_t d;
		memcpy(&d, blk + (size_t)b * stride, 2);
		scales[b] = _cvtsh_ss(d);
	}
}

/* The sums of step 3, flushed every `flush` blocks. */
typedef struct chunk_sums {
	ql_metrics_acc *acc;
	ql_acc s;
	ql_acc_eh eh;
	int64_t flush, inlanes;
} chunk_sums;

QL_ACC_INLINE void sums_begin(chunk_sums *c, ql_metrics_acc *acc, int64_t flush)
{
	c->acc = acc;
	c->flush = flush;
	c->inlanes = 0;
	ql_acc_zero(&c->s);
	ql_acc_eh_begin(&c->eh, acc ? acc->eh : NULL);
}

/* The sums of nb blocks of 32 (x at xb, their values at yb, just made and
 * in L1), flushed every `flush` blocks. The running state is copied into
 * locals and the histogram decided once, outside the loop: inside the
 * block loop that makes the values, the compiler kept it in memory and
 * tested for the histogram at every step. */
QL_ACC_INLINE void sums_run(ql_acc *sp, ql_acc_eh *h, int64_t *inlanes, int64_t flush,
			    ql_metrics_acc *acc, const float *xb, const float *yb, int nb)
{
	ql_acc s = *sp;
	int64_t in = *inlanes;
	for (int b = 0; b < nb; b++) {
		for (int k = 0; k < 4; k++)
			ql_acc_add8p(&s, h, xb + 32 * b + 8 * k, yb + 32 * b + 8 * k);
		if (++in == flush) {
			ql_acc_flush(&s, NULL, NULL, 0, (size_t)(in * 32), acc);
			ql_acc_zero(&s);
			in = 0;
		}
	}
	*sp = s;
	*inlanes = in;
}

QL_ACC_INLINE void sums_blocks(chunk_sums *c, const float *xb, const float *yb, int nb)
{
	if (!c->acc)
		return;
	if (c->eh.f) {
		ql_acc_eh h = c->eh;
		sums_run(&c->s, &h, &c->inlanes, c->flush, c->acc, xb, yb, nb);
		c->eh = h;
	} else {
		sums_run(&c->s, NULL, &c->inlanes, c->flush, c->acc, xb, yb, nb);
	}
}

/* One block's values yv into yb. */
QL_ACC_INLINE void store_block(float *yb, const __m256 yv[4])
{
	for (int k = 0; k < 4; k++)
		_mm256_storeu_ps(yb + 8 * k, yv[k]);
}

QL_ACC_INLINE void sums_end(chunk_sums *c)
{
	if (!c->acc)
		return;
	if (c->inlanes)
		ql_acc_flush(&c->s, NULL, NULL, 0, (size_t)(c->inlanes * 32), c->acc);
	ql_acc_eh_end(&c->eh, NULL, NULL, 0);
}

QL_ACC_TARGET int64_t ql_q8_0_fused_avx2(const float *x, int64_t nb, ql_block_q8_0 *blk,
					 int8_t *codes, float *umin, float *umax, float *clip_lo,
					 float *clip_hi, float *scales, float *y, ql_metrics_acc *acc,
					 int64_t flush)
{
	chunk_sums cs;
	sums_begin(&cs, acc, flush);
	float tile[Q8_CHUNK * QL_QK8_0]; /* the chunk's values when y keeps none */
	int64_t i = 0;
	while (i < nb) {
		int n = nb - i < Q8_CHUNK ? (int)(nb - i) : Q8_CHUNK;
		const float *xc = x + i * QL_QK8_0;
		float *yc = y ? y + i * QL_QK8_0 : tile;
		int ok = (int)ql_block_ranges_avx2(xc, n, umin + i, umax + i, clip_lo + i, clip_hi + i);
		ql_block_q8_0 *bc = blk + i;
		int whole = ok & ~7;
		if (whole)
			q8_chunk(xc, bc, whole);
		if (ok > whole)
			ql_quantize_row_q8_0_ref(xc + whole * QL_QK8_0, bc + whole,
						 (int64_t)(ok - whole) * QL_QK8_0);
		chunk_scales((const uint8_t *)bc, sizeof *bc, ok, scales + i);
		for (int b = 0; b < ok; b++) {
			__m256i q = _mm256_loadu_si256((const __m256i *)bc[b].qs);
			_mm256_storeu_si256((__m256i *)(codes + (i + b) * QL_QK8_0), q);
			if (!acc && !y)
				continue;
			const __m256 dv = _mm256_set1_ps(scales[i + b]);
			__m128i lo = _mm256_castsi256_si128(q), hi = _mm256_extracti128_si256(q, 1);
			__m256 yv[4] = {
				_mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(lo)), dv),
				_mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(
						      _mm_bsrli_si128(lo, 8))), dv),
				_mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(hi)), dv),
				_mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(
						      _mm_bsrli_si128(hi, 8))), dv)};
			store_block(yc + b * QL_QK8_0, yv);
		}
		sums_blocks(&cs, xc, yc, ok);
		i += ok;
		if (ok < n)
			break;
	}
	sums_end(&cs);
	return i;
}

QL_ACC_TARGET int64_t ql_q4_0_fused_avx2(const float *x, int64_t nb, ql_block_q4_0 *blk,
					 uint8_t *codes, float *umin, float *umax, float *clip_lo,
					 float *clip_hi, float *scales, float *y, ql_metrics_acc *acc,
					 int64_t flush, int64_t *clipped)
{
	const __m256i eight = _mm256_set1_epi32(8);
	const __m128i lo4 = _mm_set1_epi8(15);
	chunk_sums cs;
	sums_begin(&cs, acc, flush);
	float tile[Q8_CHUNK * QL_QK4_0]; /* the chunk's values when y keeps none */
	int64_t i = 0, clip = 0;
	while (i < nb) {
		int n = nb - i < Q8_CHUNK ? (int)(nb - i) : Q8_CHUNK;
		const float *xc = x + i * QL_QK4_0;
		float *yc = y ? y + i * QL_QK4_0 : tile;
		int ok = (int)ql_block_ranges_avx2(xc, n, umin + i, umax + i, clip_lo + i, clip_hi + i);
		ql_block_q4_0 *bc = blk + i;
		int whole = ok & ~7;
		if (whole)
			clip += q4_chunk(xc, bc, whole);
		if (ok > whole)
			clip += ql_quantize_row_q4_0_ref(xc + whole * QL_QK4_0, bc + whole,
							 (int64_t)(ok - whole) * QL_QK4_0);
		chunk_scales((const uint8_t *)bc, sizeof *bc, ok, scales + i);
		uint8_t *cc = codes + i * QL_QK4_0;
		for (int b = 0; b < ok; b++) {
			__m128i q = _mm_loadu_si128((const __m128i *)bc[b].qs);
			__m128i c0 = _mm_and_si128(q, lo4), c1 = _mm_and_si128(_mm_srli_epi16(q, 4), lo4);
			_mm_storeu_si128((__m128i *)(cc + b * QL_QK4_0), c0);
			_mm_storeu_si128((__m128i *)(cc + b * QL_QK4_0 + 16), c1);
			if (!acc && !y)
				continue;
			const __m256 dv = _mm256_set1_ps(scales[i + b]);
			__m256 yv[4] = {
				_mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(
						      _mm256_cvtepu8_epi32(c0), eight)), dv),
				_mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(
						      _mm256_cvtepu8_epi32(_mm_bsrli_si128(c0, 8)),
						      eight)), dv),
				_mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(
						      _mm256_cvtepu8_epi32(c1), eight)), dv),
				_mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(
						      _mm256_cvtepu8_epi32(_mm_bsrli_si128(c1, 8)),
						      eight)), dv)};
			store_block(yc + b * QL_QK4_0, yv);
		}
		sums_blocks(&cs, xc, yc, ok);
		i += ok;
		if (ok < n)
			break;
	}
	sums_end(&cs);
	*clipped = clip;
	return i;
}

#endif
