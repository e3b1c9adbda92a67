/* deq_avx2_impl.h — what the AVX2 dequantizers (deq_avx2.c, deq_avx2_lut.c)
 * share: the target attributes, the store modes and the vector helpers.
 * Private to those two files. Compiled for "avx2,f16c" alone: no FMA may
 * fuse a multiply and an add the reference keeps apart.
 *
 * Each kernel is an always-inline body taking the store mode as a
 * constant (ordinary stores, 32-byte or 16-byte aligned streaming stores),
 * expanded three times by RUN_MODES so the store in the inner loop is one
 * instruction.
 */
#ifndef QLENS_CORE_DEQ_AVX2_IMPL_H
#define QLENS_CORE_DEQ_AVX2_IMPL_H

#include "deq_avx2.h"

#if QL_HAVE_AVX2_KERNELS

#include <immintrin.h>
#include <string.h>

#define AVX2 __attribute__((target("avx2,f16c")))
#define INL AVX2 static inline __attribute__((always_inline))

enum { ST_CACHE, ST_NT32, ST_NT16 };

/* Streaming stores for large outputs, at the alignment y has (every kernel
 * writes whole vectors at multiples of 8 floats from y, so y's alignment
 * is that of every store). */
static inline int store_mode(const float *y, int64_t n)
{
	if (n < QL_DEQ_STREAM_BYTES / (int64_t)sizeof(float))
		return ST_CACHE;
	if (((uintptr_t)y & 31) == 0)
		return ST_NT32;
	if (((uintptr_t)y & 15) == 0)
		return ST_NT16;
	return ST_CACHE;
}

INL void st8(float *p, __m256 v, int mode)
{
	if (mode == ST_NT32) {
		_mm256_stream_ps(p, v);
	} else if (mode == ST_NT16) {
		_mm_stream_ps(p, _mm256_castps256_ps128(v));
		_mm_stream_ps(p + 4, _mm256_extractf128_ps(v, 1));
	} else {
		_mm256_storeu_ps(p, v);
	}
}

/* body(mode) once per store mode; an sfence after streaming stores. */
#define RUN_MODES(body, y, n)                        \
	do {                                         \
		switch (store_mode((y), (n))) {      \
		case ST_NT32:                        \
			body(ST_NT32);               \
			_mm_sfence();                \
			break;                       \
		case ST_NT16:                        \
			body(ST_NT16);               \
			_mm_sfence();                \
			break;                       \
		default:                             \
			body(ST_CACHE);              \
			break;                       \
		}                                    \
	} while (0)

/* ---- scalars, as the references compute them ----------------------------------- */

/* An fp16 scale by F16C (vcvtph2ps): exact, as blocks.c's fp16_to_f32,
 * for zeros, subnormals, normals and infinities. The one difference, a
 * signalling NaN coming out quiet, cannot show: every output is a product
 * or sum with the scale, x86 quiets a signalling NaN operand, and of two
 * NaN operands returns the first, quiet or not. (test_deq_simd has
 * signalling NaN scales.) */
INL float fp16_f32(uint16_t h)
{
	return _cvtsh_ss(h);
}

/* ---- vector helpers --------------------------------------------------------------- */

/* the low 8 signed bytes of b as floats (exact) */
INL __m256 cvt8(__m128i b)
{
	return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(b));
}

/* 16 signed bytes times d: 16 floats at y */
INL void st16_mul(float *y, __m128i b, __m256 d, int mode)
{
	st8(y, _mm256_mul_ps(cvt8(b), d), mode);
	st8(y + 8, _mm256_mul_ps(cvt8(_mm_srli_si128(b, 8)), d), mode);
}

/* 16 signed bytes times d plus m (two roundings, as the reference) */
INL void st16_mul_add(float *y, __m128i b, __m256 d, __m256 m, int mode)
{
	st8(y, _mm256_add_ps(_mm256_mul_ps(cvt8(b), d), m), mode);
	st8(y + 8, _mm256_add_ps(_mm256_mul_ps(cvt8(_mm_srli_si128(b, 8)), d), m), mode);
}

/* 16 signed bytes times d minus m */
INL void st16_mul_sub(float *y, __m128i b, __m256 d, __m256 m, int mode)
{
	st8(y, _mm256_sub_ps(_mm256_mul_ps(cvt8(b), d), m), mode);
	st8(y + 8, _mm256_sub_ps(_mm256_mul_ps(cvt8(_mm_srli_si128(b, 8)), d), m), mode);
}

INL __m128i load16(const void *p)
{
	return _mm_loadu_si128((const __m128i *)p);
}

INL __m256i load32(const void *p)
{
	return _mm256_loadu_si256((const __m256i *)p);
}

/* 16 bytes, byte i 0xFF where bit i of the 16 bits `bits` is set */
INL __m128i bits_to_bytes(uint32_t bits)
{
	const __m128i sel = _mm_set_epi8(1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0);
	const __m128i bit = _mm_set1_epi64x((long long)0x8040201008040201ull);
	__m128i v = _mm_shuffle_epi8(_mm_cvtsi32_si128((int)bits), sel);
	return _mm_cmpeq_epi8(_mm_and_si128(v, bit), bit);
}

#endif

#endif
