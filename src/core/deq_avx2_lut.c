/* deq_avx2_lut.c — the AVX2 dequantizers whose codes go through a table
 * or a decoder: IQ4_NL, IQ4_XS (16 levels), TQ1_0, TQ2_0 (trits), ggml's
 * MXFP4 and NVFP4 (e2m1 levels; e8m0 and ue4m3 scales), NF4 (16 float
 * levels) and the OCP MX formats (e2m1, e4m3 by F16C, int8). Why each
 * equals its portable C reference bit for bit is told in deq_avx2.h;
 * tests/test_deq_simd.c checks it.
 */
#include "deq_avx2_impl.h"

#if QL_HAVE_AVX2_KERNELS

#include <pthread.h>

#include "elem.h"
#include "qlens/format.h"
#include "qlens/nf4.h"

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
