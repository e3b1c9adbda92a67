/* deq_avx2.c — the dequantizers of every block format, NF4 and the MX
 * formats with AVX2 intrinsics. Why each equals its portable C reference
 * bit for bit is told in deq_avx2.h; tests/test_deq_simd.c checks it.
 *
 * Each kernel is an always-inline body taking the store mode as a constant
 * (ordinary stores, 32-byte or 16-byte aligned streaming stores), expanded
 * three times by RUN_MODES so the store in the inner loop is one
 * instruction. Compiled for "avx2" alone: no FMA may fuse a multiply and an
 * add the reference keeps apart.
 */
#include "deq_avx2.h"

#if QL_HAVE_AVX2_KERNELS

#include <cpuid.h>
#include <immintrin.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "elem.h"
#include "qlens/format.h"
#include "qlens/nf4.h"

#define AVX2 __attribute__((target("avx2,f16c")))
#define INL AVX2 static inline __attribute__((always_inline))

/* 0 = not asked yet, 1 = the CPU has F16C, 2 = it has not. */
static atomic_int f16c_state;

bool ql_deq_avx2_active(void)
{
	if (!ql_avx2_active())
		return false;
	int s = atomic_load_explicit(&f16c_state, memory_order_relaxed);
	if (s == 0) {
		unsigned a, b, c, d;
		s = __get_cpuid(1, &a, &b, &c, &d) && (c & bit_F16C) ? 1 : 2;
		atomic_store_explicit(&f16c_state, s, memory_order_relaxed);
	}
	return s == 1;
}

enum { ST_CACHE, ST_NT32, ST_NT16 };

/* Streaming stores for large outputs, at the alignment y has (every kernel
 * writes whole vectors at multiples of 8 floats from y, so y's alignment
 * is that of every store). */
static int store_mode(const float *y, int64_t n)
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

/* The byte-indexed scales, filled once by the reference converters. */
static float e8m0_tab[256], e8m0_half_tab[256], ue4m3_half_tab[256];
static pthread_once_t tabs_once = PTHREAD_ONCE_INIT;

static void tabs_init(void)
{
	for (int i = 0; i < 256; i++) {
		e8m0_tab[i] = ql_e8m0_to_f32((uint8_t)i);
		e8m0_half_tab[i] = ql_e8m0_to_f32_half((uint8_t)i);
		ue4m3_half_tab[i] = ql_ue4m3_to_f32_half((uint8_t)i);
	}
}

static void tabs(void)
{
	pthread_once(&tabs_once, tabs_init);
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

/* ---- Q8_0, Q4_0, Q4_1, Q5_0, Q5_1 ------------------------------------------------ */

INL void q8_0_body(const ql_block_q8_0 *x, float *y, int64_t nb, int mode)
{
	for (int64_t i = 0; i < nb; i++, y += 32) {
		const __m256 d = _mm256_set1_ps(fp16_f32(x[i].d));
		for (int j = 0; j < 32; j += 8)
			st8(y + j, _mm256_mul_ps(cvt8(_mm_loadl_epi64((const __m128i *)(x[i].qs + j))), d),
			    mode);
	}
}

AVX2 void ql_dequantize_row_q8_0_avx2(const ql_block_q8_0 *x, float *y, int64_t k)
{
	const int64_t nb = k / QL_QK8_0;
#define BODY(m) q8_0_body(x, y, nb, m)
	RUN_MODES(BODY, y, k);
#undef BODY
}

INL void q4_0_body(const ql_block_q4_0 *x, float *y, int64_t nb, int mode)
{
	const __m128i m4 = _mm_set1_epi8(0x0f), eight = _mm_set1_epi8(8);
	for (int64_t i = 0; i < nb; i++, y += 32) {
		const __m256 d = _mm256_set1_ps(fp16_f32(x[i].d));
		const __m128i q = load16(x[i].qs);
		st16_mul(y, _mm_sub_epi8(_mm_and_si128(q, m4), eight), d, mode);
		st16_mul(y + 16, _mm_sub_epi8(_mm_and_si128(_mm_srli_epi16(q, 4), m4), eight), d, mode);
	}
}

AVX2 void ql_dequantize_row_q4_0_avx2(const ql_block_q4_0 *x, float *y, int64_t k)
{
	const int64_t nb = k / QL_QK4_0;
#define BODY(m) q4_0_body(x, y, nb, m)
	RUN_MODES(BODY, y, k);
#undef BODY
}

INL void q4_1_body(const ql_block_q4_1 *x, float *y, int64_t nb, int mode)
{
	const __m128i m4 = _mm_set1_epi8(0x0f);
	for (int64_t i = 0; i < nb; i++, y += 32) {
		const __m256 d = _mm256_set1_ps(fp16_f32(x[i].d));
		const __m256 m = _mm256_set1_ps(fp16_f32(x[i].m));
		const __m128i q = load16(x[i].qs);
		st16_mul_add(y, _mm_and_si128(q, m4), d, m, mode);
		st16_mul_add(y + 16, _mm_and_si128(_mm_srli_epi16(q, 4), m4), d, m, mode);
	}
}

AVX2 void ql_dequantize_row_q4_1_avx2(const ql_block_q4_1 *x, float *y, int64_t k)
{
	const int64_t nb = k / QL_QK4_1;
#define BODY(m) q4_1_body(x, y, nb, m)
	RUN_MODES(BODY, y, k);
#undef BODY
}

/* The 5-bit codes of a Q5 block: *lo elements 0..15, *hi 16..31. */
INL void q5_codes(const uint8_t *qs, const uint8_t qh4[4], __m128i *lo, __m128i *hi)
{
	const __m128i m4 = _mm_set1_epi8(0x0f), b4 = _mm_set1_epi8(0x10);
	uint32_t qh;
	memcpy(&qh, qh4, sizeof qh); /* little-endian, as q5_high_bits */
	const __m128i q = load16(qs);
	*lo = _mm_or_si128(_mm_and_si128(q, m4), _mm_and_si128(bits_to_bytes(qh & 0xffff), b4));
	*hi = _mm_or_si128(_mm_and_si128(_mm_srli_epi16(q, 4), m4),
			   _mm_and_si128(bits_to_bytes(qh >> 16), b4));
}

INL void q5_0_body(const ql_block_q5_0 *x, float *y, int64_t nb, int mode)
{
	const __m128i sixteen = _mm_set1_epi8(16);
	for (int64_t i = 0; i < nb; i++, y += 32) {
		const __m256 d = _mm256_set1_ps(fp16_f32(x[i].d));
		__m128i lo, hi;
		q5_codes(x[i].qs, x[i].qh, &lo, &hi);
		st16_mul(y, _mm_sub_epi8(lo, sixteen), d, mode);
		st16_mul(y + 16, _mm_sub_epi8(hi, sixteen), d, mode);
	}
}

AVX2 void ql_dequantize_row_q5_0_avx2(const ql_block_q5_0 *x, float *y, int64_t k)
{
	const int64_t nb = k / QL_QK5_0;
#define BODY(m) q5_0_body(x, y, nb, m)
	RUN_MODES(BODY, y, k);
#undef BODY
}

INL void q5_1_body(const ql_block_q5_1 *x, float *y, int64_t nb, int mode)
{
	for (int64_t i = 0; i < nb; i++, y += 32) {
		const __m256 d = _mm256_set1_ps(fp16_f32(x[i].d));
		const __m256 m = _mm256_set1_ps(fp16_f32(x[i].m));
		__m128i lo, hi;
		q5_codes(x[i].qs, x[i].qh, &lo, &hi);
		st16_mul_add(y, lo, d, m, mode);
		st16_mul_add(y + 16, hi, d, m, mode);
	}
}

AVX2 void ql_dequantize_row_q5_1_avx2(const ql_block_q5_1 *x, float *y, int64_t k)
{
	const int64_t nb = k / QL_QK5_1;
#define BODY(m) q5_1_body(x, y, nb, m)
	RUN_MODES(BODY, y, k);
#undef BODY
}

/* ---- k-quants ---------------------------------------------------------------------- */

INL void q2_k_body(const ql_block_q2_k *x, float *y, int64_t nb, int mode)
{
	const __m128i m3 = _mm_set1_epi8(3), m4 = _mm_set1_epi8(0x0f);
	for (int64_t i = 0; i < nb; i++) {
		const __m256 d = _mm256_set1_ps(fp16_f32(x[i].d));
		const __m256 min = _mm256_set1_ps(fp16_f32(x[i].dmin));
		/* the 16 sub-block scales d * (sc & 0xF) and mins dmin * (sc >> 4) */
		float dl[16], ml[16];
		const __m128i sc = load16(x[i].scales);
		const __m128i sl = _mm_and_si128(sc, m4), sh4 = _mm_and_si128(_mm_srli_epi16(sc, 4), m4);
		_mm256_storeu_ps(dl, _mm256_mul_ps(d, cvt8(sl)));
		_mm256_storeu_ps(dl + 8, _mm256_mul_ps(d, cvt8(_mm_srli_si128(sl, 8))));
		_mm256_storeu_ps(ml, _mm256_mul_ps(min, cvt8(sh4)));
		_mm256_storeu_ps(ml + 8, _mm256_mul_ps(min, cvt8(_mm_srli_si128(sh4, 8))));
		const uint8_t *q = x[i].qs;
		int is = 0;
		for (int n = 0; n < QL_QK_K; n += 128, q += 32) {
			const __m128i qa = load16(q), qb = load16(q + 16);
			for (int shift = 0; shift < 8; shift += 2) {
				const __m128i sh = _mm_cvtsi32_si128(shift);
				for (int half = 0; half < 2; half++, y += 16, is++) {
					const __m128i c = _mm_and_si128(_mm_srl_epi16(half ? qb : qa, sh), m3);
					st16_mul_sub(y, c, _mm256_broadcast_ss(&dl[is]), _mm256_broadcast_ss(&ml[is]),
						     mode);
				}
			}
		}
	}
}

AVX2 void ql_dequantize_row_q2_k_avx2(const ql_block_q2_k *x, float *y, int64_t k)
{
	const int64_t nb = k / QL_QK_K;
#define BODY(m) q2_k_body(x, y, nb, m)
	RUN_MODES(BODY, y, k);
#undef BODY
}

INL void q3_k_body(const ql_block_q3_k *x, float *y, int64_t nb, int mode)
{
	const __m256i m3 = _mm256_set1_epi8(3), four = _mm256_set1_epi8(4);
	const __m256i zero = _mm256_setzero_si256();
	for (int64_t i = 0; i < nb; i++) {
		/* the 16 sub-block scales d * (scale - 32), the scales unpacked as
		 * ggml's dequantize_row_q3_K does (equal to q3_k_scale) */
		float dl[16];
		{
			uint32_t aux[4];
			memcpy(aux, x[i].scales, 12);
			const uint32_t tmp = aux[2], k1 = 0x03030303u, k2 = 0x0f0f0f0fu;
			aux[2] = ((aux[0] >> 4) & k2) | (((tmp >> 4) & k1) << 4);
			aux[3] = ((aux[1] >> 4) & k2) | (((tmp >> 6) & k1) << 4);
			aux[0] = (aux[0] & k2) | (((tmp >> 0) & k1) << 4);
			aux[1] = (aux[1] & k2) | (((tmp >> 2) & k1) << 4);
			const __m256 d_all = _mm256_set1_ps(fp16_f32(x[i].d));
			const __m128i sc = _mm_sub_epi8(load16(aux), _mm_set1_epi8(32));
			_mm256_storeu_ps(dl, _mm256_mul_ps(d_all, cvt8(sc)));
			_mm256_storeu_ps(dl + 8, _mm256_mul_ps(d_all, cvt8(_mm_srli_si128(sc, 8))));
		}
		const uint8_t *q = x[i].qs;
		const __m256i hm = load32(x[i].hmask);
		int m = 1, is = 0;
		for (int n = 0; n < QL_QK_K; n += 128, q += 32) {
			const __m256i qv = load32(q); /* bytes 0-15: half 0, 16-31: half 1 */
			for (int shift = 0; shift < 8; shift += 2, m <<= 1, y += 32, is += 2) {
				const __m128i sh = _mm_cvtsi32_si128(shift);
				const __m256i c = _mm256_and_si256(_mm256_srl_epi16(qv, sh), m3);
				/* 4 where the third bit is unset */
				const __m256i unset = _mm256_cmpeq_epi8(
					_mm256_and_si256(hm, _mm256_set1_epi8((char)m)), zero);
				const __m256i v = _mm256_sub_epi8(c, _mm256_and_si256(unset, four));
				st16_mul(y, _mm256_castsi256_si128(v), _mm256_broadcast_ss(&dl[is]), mode);
				st16_mul(y + 16, _mm256_extracti128_si256(v, 1), _mm256_broadcast_ss(&dl[is + 1]),
					 mode);
			}
		}
	}
}

AVX2 void ql_dequantize_row_q3_k_avx2(const ql_block_q3_k *x, float *y, int64_t k)
{
	const int64_t nb = k / QL_QK_K;
#define BODY(m) q3_k_body(x, y, nb, m)
	RUN_MODES(BODY, y, k);
#undef BODY
}

/* 32 bytes of codes (signed), times d minus m: 32 floats at y */
INL void st32_mul_sub(float *y, __m256i c, float d, float m, int mode)
{
	const __m256 vd = _mm256_set1_ps(d), vm = _mm256_set1_ps(m);
	st16_mul_sub(y, _mm256_castsi256_si128(c), vd, vm, mode);
	st16_mul_sub(y + 16, _mm256_extracti128_si256(c, 1), vd, vm, mode);
}

/* The 8 sub-block scales d * sc and mins dmin * m of a Q4_K/Q5_K block,
 * the 6-bit fields unpacked as ggml's AVX2 code does (the same values as
 * kquants.c's get_scale_min_k4: bytes 0-7 scales, 8-15 mins). */
INL void k4_scales(const uint8_t scales[12], float d, float dmin, float *dl, float *ml)
{
	uint32_t u[4];
	const uint32_t k1 = 0x3f3f3f3fu, k2 = 0x0f0f0f0fu, k3 = 0x03030303u;
	memcpy(u, scales, 12);
	u[3] = ((u[2] >> 4) & k2) | (((u[1] >> 6) & k3) << 4);
	const uint32_t m03 = u[1] & k1;
	u[1] = (u[2] & k2) | (((u[0] >> 6) & k3) << 4);
	u[2] = m03;
	u[0] &= k1;
	const __m128i v = load16(u);
	_mm256_storeu_ps(dl, _mm256_mul_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(v))));
	_mm256_storeu_ps(ml, _mm256_mul_ps(_mm256_set1_ps(dmin),
					   _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_srli_si128(v, 8)))));
}

INL void q4_k_body(const ql_block_q4_k *x, float *y, int64_t nb, int mode)
{
	const __m256i m4 = _mm256_set1_epi8(0x0f);
	for (int64_t i = 0; i < nb; i++) {
		const uint8_t *q = x[i].qs;
		float dl[8], ml[8];
		k4_scales(x[i].scales, fp16_f32(x[i].d), fp16_f32(x[i].dmin), dl, ml);
		for (int j = 0, is = 0; j < QL_QK_K; j += 64, q += 32, is += 2, y += 64) {
			const float d1 = dl[is], m1 = ml[is], d2 = dl[is + 1], m2 = ml[is + 1];
			const __m256i v = load32(q);
			st32_mul_sub(y, _mm256_and_si256(v, m4), d1, m1, mode);
			st32_mul_sub(y + 32, _mm256_and_si256(_mm256_srli_epi16(v, 4), m4), d2, m2, mode);
		}
	}
}

AVX2 void ql_dequantize_row_q4_k_avx2(const ql_block_q4_k *x, float *y, int64_t k)
{
	const int64_t nb = k / QL_QK_K;
#define BODY(m) q4_k_body(x, y, nb, m)
	RUN_MODES(BODY, y, k);
#undef BODY
}

INL void q5_k_body(const ql_block_q5_k *x, float *y, int64_t nb, int mode)
{
	const __m256i m4 = _mm256_set1_epi8(0x0f), b16 = _mm256_set1_epi8(16);
	const __m256i zero = _mm256_setzero_si256();
	for (int64_t i = 0; i < nb; i++) {
		const uint8_t *ql = x[i].qs;
		const __m256i qh = load32(x[i].qh);
		float dl[8], ml[8];
		k4_scales(x[i].scales, fp16_f32(x[i].d), fp16_f32(x[i].dmin), dl, ml);
		int u1 = 1, u2 = 2;
		for (int j = 0, is = 0; j < QL_QK_K; j += 64, ql += 32, is += 2, y += 64) {
			const float d1 = dl[is], m1 = ml[is], d2 = dl[is + 1], m2 = ml[is + 1];
			const __m256i v = load32(ql);
			/* 16 where the bit u is set in qh */
			const __m256i h1 = _mm256_andnot_si256(
				_mm256_cmpeq_epi8(_mm256_and_si256(qh, _mm256_set1_epi8((char)u1)), zero), b16);
			const __m256i h2 = _mm256_andnot_si256(
				_mm256_cmpeq_epi8(_mm256_and_si256(qh, _mm256_set1_epi8((char)u2)), zero), b16);
			st32_mul_sub(y, _mm256_add_epi8(_mm256_and_si256(v, m4), h1), d1, m1, mode);
			st32_mul_sub(y + 32,
				     _mm256_add_epi8(_mm256_and_si256(_mm256_srli_epi16(v, 4), m4), h2), d2,
				     m2, mode);
			u1 <<= 2;
			u2 <<= 2;
		}
	}
}

AVX2 void ql_dequantize_row_q5_k_avx2(const ql_block_q5_k *x, float *y, int64_t k)
{
	const int64_t nb = k / QL_QK_K;
#define BODY(m) q5_k_body(x, y, nb, m)
	RUN_MODES(BODY, y, k);
#undef BODY
}

/* 32 signed bytes: the first 16 times da, the next 16 times db */
INL void st32_mul2(float *y, __m256i c, float da, float db, int mode)
{
	st16_mul(y, _mm256_castsi256_si128(c), _mm256_set1_ps(da), mode);
	st16_mul(y + 16, _mm256_extracti128_si256(c, 1), _mm256_set1_ps(db), mode);
}

INL void q6_k_body(const ql_block_q6_k *x, float *y, int64_t nb, int mode)
{
	const __m256i m4 = _mm256_set1_epi8(0x0f), m30 = _mm256_set1_epi8(0x30);
	const __m256i b32 = _mm256_set1_epi8(32);
	for (int64_t i = 0; i < nb; i++) {
		const float d = fp16_f32(x[i].d);
		const uint8_t *ql = x[i].ql, *qhp = x[i].qh;
		const int8_t *sc = x[i].scales;
		for (int n = 0; n < QL_QK_K; n += 128, y += 128, ql += 64, qhp += 32, sc += 8) {
			const __m256i l0 = load32(ql), l1 = load32(ql + 32), qh = load32(qhp);
			/* ((qh >> s) & 3) << 4 as qh shifted and masked with 0x30 */
			const __m256i q1 = _mm256_or_si256(_mm256_and_si256(l0, m4),
							   _mm256_and_si256(_mm256_slli_epi16(qh, 4), m30));
			const __m256i q2 = _mm256_or_si256(_mm256_and_si256(l1, m4),
							   _mm256_and_si256(_mm256_slli_epi16(qh, 2), m30));
			const __m256i q3 = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l0, 4), m4),
							   _mm256_and_si256(qh, m30));
			const __m256i q4 = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l1, 4), m4),
							   _mm256_and_si256(_mm256_srli_epi16(qh, 2), m30));
			/* the reference's d * sc[is] * q: (d * sc) first */
			st32_mul2(y, _mm256_sub_epi8(q1, b32), d * sc[0], d * sc[1], mode);
			st32_mul2(y + 32, _mm256_sub_epi8(q2, b32), d * sc[2], d * sc[3], mode);
			st32_mul2(y + 64, _mm256_sub_epi8(q3, b32), d * sc[4], d * sc[5], mode);
			st32_mul2(y + 96, _mm256_sub_epi8(q4, b32), d * sc[6], d * sc[7], mode);
		}
	}
}

AVX2 void ql_dequantize_row_q6_k_avx2(const ql_block_q6_k *x, float *y, int64_t k)
{
	const int64_t nb = k / QL_QK_K;
#define BODY(m) q6_k_body(x, y, nb, m)
	RUN_MODES(BODY, y, k);
#undef BODY
}

INL void q8_k_body(const ql_block_q8_k *x, float *y, int64_t nb, int mode)
{
	for (int64_t i = 0; i < nb; i++, y += QL_QK_K) {
		const __m256 d = _mm256_set1_ps(x[i].d);
		for (int j = 0; j < QL_QK_K; j += 8)
			st8(y + j, _mm256_mul_ps(d, cvt8(_mm_loadl_epi64((const __m128i *)(x[i].qs + j)))),
			    mode);
	}
}

AVX2 void ql_dequantize_row_q8_k_avx2(const ql_block_q8_k *x, float *y, int64_t k)
{
	const int64_t nb = k / QL_QK_K;
#define BODY(m) q8_k_body(x, y, nb, m)
	RUN_MODES(BODY, y, k);
#undef BODY
}

/* ---- IQ4, ternary, ggml's FP4 ------------------------------------------------------ */

/* 16 bytes of nibble pairs through a 16-entry signed-byte table: element j
 * low nibble, j + 16 high, times d, 32 floats at y. */
INL void nib_table_32(float *y, __m128i q, __m128i table, __m256 d, int mode)
{
	const __m128i m4 = _mm_set1_epi8(0x0f);
	st16_mul(y, _mm_shuffle_epi8(table, _mm_and_si128(q, m4)), d, mode);
	st16_mul(y + 16, _mm_shuffle_epi8(table, _mm_and_si128(_mm_srli_epi16(q, 4), m4)), d, mode);
}

INL void iq4_nl_body(const ql_block_iq4_nl *x, float *y, int64_t nb, int mode)
{
	const __m128i table = load16(ql_iq4nl_values);
	for (int64_t i = 0; i < nb; i++, y += QL_QK4_NL)
		nib_table_32(y, load16(x[i].qs), table, _mm256_set1_ps(fp16_f32(x[i].d)), mode);
}

AVX2 void ql_dequantize_row_iq4_nl_avx2(const ql_block_iq4_nl *x, float *y, int64_t k)
{
	const int64_t nb = k / QL_QK4_NL;
#define BODY(m) iq4_nl_body(x, y, nb, m)
	RUN_MODES(BODY, y, k);
#undef BODY
}

INL void iq4_xs_body(const ql_block_iq4_xs *x, float *y, int64_t nb, int mode)
{
	const __m128i table = load16(ql_iq4nl_values);
	for (int64_t i = 0; i < nb; i++) {
		const uint8_t *qs = x[i].qs;
		const float d = fp16_f32(x[i].d);
		for (int ib = 0; ib < QL_QK_K / 32; ib++, y += 32, qs += 16) {
			const int ls = ((x[i].scales_l[ib / 2] >> 4 * (ib % 2)) & 0xf) |
				       ((x[i].scales_h >> 2 * ib) & 3) << 4;
			nib_table_32(y, load16(qs), table, _mm256_set1_ps(d * (ls - 32)), mode);
		}
	}
}

AVX2 void ql_dequantize_row_iq4_xs_avx2(const ql_block_iq4_xs *x, float *y, int64_t k)
{
	const int64_t nb = k / QL_QK_K;
#define BODY(m) iq4_xs_body(x, y, nb, m)
	RUN_MODES(BODY, y, k);
#undef BODY
}

/* TQ1_0's trits of 16 bytes (as uint16 lanes) times 3^n: ((b * 3^n mod 256)
 * * 3 >> 8) - 1, as tquants.c's tq1_trit; 16 floats times d at y. */
INL void tq1_16(float *y, __m256i b16, __m256i pow, __m256 d, int mode)
{
	const __m256i ff = _mm256_set1_epi16(0xff), one = _mm256_set1_epi16(1);
	__m256i q = _mm256_and_si256(_mm256_mullo_epi16(b16, pow), ff);
	__m256i t = _mm256_sub_epi16(_mm256_srli_epi16(_mm256_add_epi16(_mm256_add_epi16(q, q), q), 8),
				     one);
	st8(y, _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi16_epi32(_mm256_castsi256_si128(t))), d),
	    mode);
	st8(y + 8,
	    _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi16_epi32(_mm256_extracti128_si256(t, 1))), d),
	    mode);
}

INL void tq1_0_body(const ql_block_tq1_0 *x, float *y, int64_t nb, int mode)
{
	static const uint8_t pow3[6] = {1, 3, 9, 27, 81, 243};
	const __m128i qh_idx = _mm_set_epi8(3, 2, 1, 0, 3, 2, 1, 0, 3, 2, 1, 0, 3, 2, 1, 0);
	const __m256i qh_pow = _mm256_set_epi16(27, 27, 27, 27, 9, 9, 9, 9, 3, 3, 3, 3, 1, 1, 1, 1);
	for (int64_t i = 0; i < nb; i++) {
		const __m256 d = _mm256_set1_ps(fp16_f32(x[i].d));
		const __m256i a = _mm256_cvtepu8_epi16(load16(x[i].qs));
		const __m256i b = _mm256_cvtepu8_epi16(load16(x[i].qs + 16));
		const __m256i c = _mm256_cvtepu8_epi16(load16(x[i].qs + 32));
		for (int n = 0; n < 5; n++, y += 32) {
			const __m256i p = _mm256_set1_epi16(pow3[n]);
			tq1_16(y, a, p, d, mode);
			tq1_16(y + 16, b, p, d, mode);
		}
		for (int n = 0; n < 5; n++, y += 16)
			tq1_16(y, c, _mm256_set1_epi16(pow3[n]), d, mode);
		uint32_t qh;
		memcpy(&qh, x[i].qh, sizeof qh);
		const __m128i h = _mm_shuffle_epi8(_mm_cvtsi32_si128((int)qh), qh_idx);
		tq1_16(y, _mm256_cvtepu8_epi16(h), qh_pow, d, mode);
		y += 16;
	}
}

AVX2 void ql_dequantize_row_tq1_0_avx2(const ql_block_tq1_0 *x, float *y, int64_t k)
{
	const int64_t nb = k / QL_QK_K;
#define BODY(m) tq1_0_body(x, y, nb, m)
	RUN_MODES(BODY, y, k);
#undef BODY
}

INL void tq2_0_body(const ql_block_tq2_0 *x, float *y, int64_t nb, int mode)
{
	const __m128i m3 = _mm_set1_epi8(3), one = _mm_set1_epi8(1);
	for (int64_t i = 0; i < nb; i++) {
		const __m256 d = _mm256_set1_ps(fp16_f32(x[i].d));
		for (int j = 0; j < (int)sizeof x->qs; j += 32) {
			const __m128i qa = load16(x[i].qs + j), qb = load16(x[i].qs + j + 16);
			for (int l = 0; l < 4; l++, y += 32) {
				const __m128i sh = _mm_cvtsi32_si128(2 * l);
				st16_mul(y, _mm_sub_epi8(_mm_and_si128(_mm_srl_epi16(qa, sh), m3), one), d, mode);
				st16_mul(y + 16, _mm_sub_epi8(_mm_and_si128(_mm_srl_epi16(qb, sh), m3), one), d,
					 mode);
			}
		}
	}
}

AVX2 void ql_dequantize_row_tq2_0_avx2(const ql_block_tq2_0 *x, float *y, int64_t k)
{
	const int64_t nb = k / QL_QK_K;
#define BODY(m) tq2_0_body(x, y, nb, m)
	RUN_MODES(BODY, y, k);
#undef BODY
}

INL void mxfp4_body(const ql_block_mxfp4 *x, float *y, int64_t nb, int mode)
{
	const __m128i table = load16(ql_ggml_fp4_values);
	for (int64_t i = 0; i < nb; i++, y += QL_QK_MXFP4)
		nib_table_32(y, load16(x[i].qs), table, _mm256_set1_ps(e8m0_half_tab[x[i].e]), mode);
}

AVX2 void ql_dequantize_row_mxfp4_avx2(const ql_block_mxfp4 *x, float *y, int64_t k)
{
	const int64_t nb = k / QL_QK_MXFP4;
	tabs();
#define BODY(m) mxfp4_body(x, y, nb, m)
	RUN_MODES(BODY, y, k);
#undef BODY
}

INL void nvfp4_body(const ql_block_nvfp4 *x, float *y, int64_t nb, int mode)
{
	const __m128i table = load16(ql_ggml_fp4_values), m4 = _mm_set1_epi8(0x0f);
	for (int64_t i = 0; i < nb; i++) {
		for (int s = 0; s < 4; s += 2, y += 32) {
			/* sub-blocks s and s + 1: 8 bytes each, j low nibble, j + 8 high */
			const __m128i q = load16(x[i].qs + 8 * s);
			const __m128i lo = _mm_shuffle_epi8(table, _mm_and_si128(q, m4));
			const __m128i hi = _mm_shuffle_epi8(table, _mm_and_si128(_mm_srli_epi16(q, 4), m4));
			const __m256 d0 = _mm256_set1_ps(ue4m3_half_tab[x[i].d[s]]);
			const __m256 d1 = _mm256_set1_ps(ue4m3_half_tab[x[i].d[s + 1]]);
			st8(y, _mm256_mul_ps(cvt8(lo), d0), mode);
			st8(y + 8, _mm256_mul_ps(cvt8(hi), d0), mode);
			st8(y + 16, _mm256_mul_ps(cvt8(_mm_srli_si128(lo, 8)), d1), mode);
			st8(y + 24, _mm256_mul_ps(cvt8(_mm_srli_si128(hi, 8)), d1), mode);
		}
	}
}

AVX2 void ql_dequantize_row_nvfp4_avx2(const ql_block_nvfp4 *x, float *y, int64_t k)
{
	const int64_t nb = k / QL_QK_NVFP4;
	tabs();
#define BODY(m) nvfp4_body(x, y, nb, m)
	RUN_MODES(BODY, y, k);
#undef BODY
}

/* ---- NF4 and the MX formats: one code a byte ------------------------------------- */

/* lut[c & 15] of 8 codes (the low 8 bytes of b), lut in two halves */
INL __m256 lut16(__m128i b, __m256 lo, __m256 hi)
{
	/* permutevar reads bits 0-2 of the index; bit 3, moved to the sign
	 * bit, picks the upper half; the bits above (lut[c & 15]) go nowhere */
	const __m256i idx = _mm256_cvtepu8_epi32(b);
	const __m256 upper = _mm256_castsi256_ps(_mm256_slli_epi32(idx, 28));
	return _mm256_blendv_ps(_mm256_permutevar8x32_ps(lo, idx), _mm256_permutevar8x32_ps(hi, idx),
				upper);
}

INL void nf4_body(const uint8_t *codes, const float *absmax, int64_t nb, float *y, int mode)
{
	const __m256 lo = _mm256_loadu_ps(ql_nf4_levels), hi = _mm256_loadu_ps(ql_nf4_levels + 8);
	for (int64_t b = 0; b < nb; b++, codes += QL_NF4_BLOCK, y += QL_NF4_BLOCK) {
		const __m256 a = _mm256_set1_ps(absmax[b]);
		for (int j = 0; j < QL_NF4_BLOCK; j += 8)
			st8(y + j, _mm256_mul_ps(lut16(_mm_loadl_epi64((const __m128i *)(codes + j)), lo, hi), a),
			    mode);
	}
}

AVX2 void ql_nf4_dequantize_avx2(const uint8_t *codes, const float *absmax, int64_t n, float *y)
{
	const int64_t nb = n / QL_NF4_BLOCK;
#define BODY(m) nf4_body(codes, absmax, nb, y, m)
	RUN_MODES(BODY, y, n);
#undef BODY
	for (int64_t i = nb * QL_NF4_BLOCK; i < n; i++) /* a short last block */
		y[i] = ql_nf4_levels[codes[i] & 15] * absmax[i / QL_NF4_BLOCK];
}

/* The OCP e4m3 elements of 16 codes, as mx.c's decoder, times 2^-8, in
 * two halves of 8: the code's sign and 7 low bits placed as an fp16 (sign
 * bit 15, bits 7-13: the same exponent and mantissa fields, the fp16 bias
 * 8 more than e4m3's), which F16C converts exactly, e4m3 subnormals as
 * fp16 subnormals (no float subnormal ever enters a multiply, which costs
 * AMD cores an assist when a vector mixes them with normals). S.1111.111
 * (NaN) comes out as 1.875 here; mxfp8_body puts the NaN in. */
INL void e4m3_16(__m128i b, __m256 *lo, __m256 *hi)
{
	const __m256i h = _mm256_and_si256(_mm256_slli_epi16(_mm256_cvtepi8_epi16(b), 7),
					   _mm256_set1_epi16((short)0xbf80));
	*lo = _mm256_cvtph_ps(_mm256_castsi256_si128(h));
	*hi = _mm256_cvtph_ps(_mm256_extracti128_si256(h, 1));
}

/* 8 elements times 2^8 (exact) times the scale s; the NaN code's lanes
 * (nan: all ones) replaced by the table's NaN of the element's sign. */
INL __m256 e4m3_scale(__m256 v, __m256 s)
{
	return _mm256_mul_ps(_mm256_mul_ps(v, _mm256_set1_ps(256.0f)), s);
}

INL __m256 e4m3_nan(__m256 r, __m256 v, __m256 nanv)
{
	const __m256i bits = _mm256_castps_si256(v);
	/* the NaN code's 1.875 (480 * 2^-8) with either sign: |v| bits 0x3ff00000 */
	const __m256i isnan = _mm256_cmpeq_epi32(_mm256_and_si256(bits, _mm256_set1_epi32(0x7fffffff)),
						 _mm256_set1_epi32(0x3ff00000));
	const __m256 signed_nan = _mm256_or_ps(nanv, _mm256_and_ps(v, _mm256_set1_ps(-0.0f)));
	return _mm256_blendv_ps(r, signed_nan, _mm256_castsi256_ps(isnan));
}

INL void mxfp8_body(const uint8_t *codes, const uint8_t *e8m0, int64_t nb, float *y, int mode)
{
	const __m256i m7f = _mm256_set1_epi8(0x7f);
	const __m256 nanv = _mm256_set1_ps(__builtin_nanf("")); /* the table's NaN, 0x7fc00000 */
	for (int64_t b = 0; b < nb; b++, codes += QL_MX_BLOCK, y += QL_MX_BLOCK) {
		const __m256 s = _mm256_set1_ps(e8m0_tab[e8m0[b]]);
		const __m256i all = load32(codes);
		const bool has_nan =
			_mm256_movemask_epi8(_mm256_cmpeq_epi8(_mm256_and_si256(all, m7f), m7f)) != 0;
		for (int j = 0; j < QL_MX_BLOCK; j += 16) {
			__m256 lo, hi;
			e4m3_16(load16(codes + j), &lo, &hi);
			__m256 rlo = e4m3_scale(lo, s), rhi = e4m3_scale(hi, s);
			if (has_nan) { /* a NaN element stays itself (mx.c) */
				rlo = e4m3_nan(rlo, lo, nanv);
				rhi = e4m3_nan(rhi, hi, nanv);
			}
			st8(y + j, rlo, mode);
			st8(y + j + 8, rhi, mode);
		}
	}
}

INL void mx_body(ql_qdtype t, const uint8_t *codes, const uint8_t *e8m0, int64_t nb, float *y,
		 int mode)
{
	const float *e2m1 = ql_elem_tables()->mx_e2m1;
	const __m256 lo = _mm256_loadu_ps(e2m1), hi = _mm256_loadu_ps(e2m1 + 8);
	const __m256 i8 = _mm256_set1_ps(1.0f / 64.0f); /* exact: x / 64 == x * 2^-6 */
	for (int64_t b = 0; b < nb; b++, codes += QL_MX_BLOCK, y += QL_MX_BLOCK) {
		const __m256 s = _mm256_set1_ps(e8m0_tab[e8m0[b]]);
		for (int j = 0; j < QL_MX_BLOCK; j += 8) {
			const __m128i c = _mm_loadl_epi64((const __m128i *)(codes + j));
			const __m256 v = t == QL_Q_MXFP4 ? lut16(c, lo, hi) : _mm256_mul_ps(cvt8(c), i8);
			st8(y + j, _mm256_mul_ps(v, s), mode);
		}
	}
}

AVX2 void ql_mx_dequantize_avx2(ql_qdtype t, const uint8_t *codes, const uint8_t *e8m0, int64_t n,
				float *y)
{
	const int64_t nb = n / QL_MX_BLOCK;
	tabs();
	if (t == QL_Q_MXFP8) {
#define BODY(m) mxfp8_body(codes, e8m0, nb, y, m)
		RUN_MODES(BODY, y, n);
#undef BODY
	} else if (t == QL_Q_MXFP4) {
#define BODY(m) mx_body(QL_Q_MXFP4, codes, e8m0, nb, y, m)
		RUN_MODES(BODY, y, n);
#undef BODY
	} else {
#define BODY(m) mx_body(QL_Q_MXINT8, codes, e8m0, nb, y, m)
		RUN_MODES(BODY, y, n);
#undef BODY
	}
	if (nb * QL_MX_BLOCK < n) { /* a short last block: the reference's loop */
		const elem_tables *tb = ql_elem_tables();
		const float *lut = t == QL_Q_MXFP8 ? tb->mx_e4m3 : t == QL_Q_MXFP4 ? tb->mx_e2m1
										 : tb->mx_int8;
		const unsigned mask = t == QL_Q_MXFP4 ? 0x0f : 0xff;
		const float scale = e8m0_tab[e8m0[nb]];
		for (int64_t j = nb * QL_MX_BLOCK; j < n; j++) {
			const float v = lut[codes[j] & mask];
			y[j] = v != v ? v : v * scale;
		}
	}
}

#endif
