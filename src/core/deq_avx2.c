/* deq_avx2.c — the dequantizers of Q8_0, Q4_0, Q4_1, Q5_0, Q5_1 and the
 * k-quants with AVX2 intrinsics (IQ4, ternary, ggml's FP4, NF4 and MX:
 * deq_avx2_lut.c), and the check that they may run. Why each equals its
 * portable C reference bit for bit is told in deq_avx2.h;
 * tests/test_deq_simd.c checks it.
 */
#include "deq_avx2_impl.h"

#if QL_HAVE_AVX2_KERNELS

#include <cpuid.h>
#include <stdatomic.h>

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

#endif
