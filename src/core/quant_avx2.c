/* quant_avx2.c — the int8/uint8 affine kernels with AVX2 intrinsics: quantize
 * (32 values a step: 4 × 8 floats to one 32-byte store of codes), and the
 * fused quantize + dequantize + metric sums of ql_quantize's hot loop; and
 * ql_quantize's block loops for Q8_0, Q4_0 and NF4 in one pass per block
 * (range, scale, codes, raw block, dequantized values, metric sums), the
 * block ranges and per-block metric sums it uses for MX.
 *
 * They are chosen at run time (ql_avx2_active) by the public kernels in
 * affine.c, whose portable C stays the reference: same codes, clipped
 * counts, dequantized values and metric sums, bit for bit. Why the two
 * agree is told in quant_avx2.h; tests/test_simd.c checks it over ties,
 * clipping, ±0, subnormals, huge values and every code range.
 *
 * Compiled for "avx2", "f16c" (fp16 scales by vcvtps2ph/vcvtph2ps, round
 * to nearest even and exact, as blocks.c's conversions) and "fma", which
 * only acc_avx2.h's step uses, where it is exact (products of two floats);
 * the compiler does not fuse on its own (-std=c11: -ffp-contract=off).
 * The metric sums and the error histogram are acc_avx2.h's one step.
 */
#include "quant_avx2.h"
#include "qlens/affine.h"
#include "acc_avx2.h"
#include "lanes.h"

#include <float.h>
#include <math.h>
#include <stdatomic.h>

#if QL_HAVE_AVX2_KERNELS

#include <cpuid.h>
#include <immintrin.h>

#include "avx2_common.h"

#define AVX2 QL_ACC_TARGET

/* 0 = not asked yet, 1 = usable, 2 = not usable (or switched off). */
static atomic_int avx2_state;

/* F16C from CPUID leaf 1 (ECX bit 29): clang's __builtin_cpu_supports does
 * not know the name. */
static bool has_f16c(void)
{
	unsigned a, b, c, d;
	return __get_cpuid(1, &a, &b, &c, &d) && (c & bit_F16C);
}

static int avx2_probe(void)
{
	__builtin_cpu_init();
	return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && has_f16c() ? 1 : 2;
}

bool ql_avx2_active(void)
{
	int s = atomic_load_explicit(&avx2_state, memory_order_relaxed);
	if (s == 0) {
		s = avx2_probe();
		atomic_store_explicit(&avx2_state, s, memory_order_relaxed);
	}
	return s == 1;
}

void ql_avx2_enable(bool on)
{
	atomic_store(&avx2_state, on ? avx2_probe() : 2);
}

/* qconst, code8, pack_s8/u8, fp16_of, f32_of_fp16, clip_total: avx2_common.h */

/* Steps of 32 between flushes of the int16 kept-lane counters (each lane
 * gains at most 2 a step: far from overflow). */
#define KEPT_FLUSH 4096

/* The unclamped code of 8 values (code8 without its clip count): zp +
 * rint(clamp(x * inv)), in [qmin - 1, qmax + 1]; no zp add when ZP0. */
AVX2 static inline __attribute__((always_inline)) __m256i code8_nc(__m256 x, const qconst *k,
								   bool zp0)
{
	__m256 v = _mm256_mul_ps(x, k->inv);
	v = _mm256_max_ps(v, k->lo); /* v > lo ? v : lo (NaN -> lo) */
	v = _mm256_min_ps(v, k->hi); /* v < hi ? v : hi */
	__m256i q = _mm256_cvtps_epi32(v);
	return zp0 ? q : _mm256_add_epi32(q, k->zp);
}

/* Quantize only. The 32 codes (each in [-129, 256]) are packed to int16
 * exactly, clamped there, and the lanes the clamp kept counted there (16
 * a compare: a code is clipped iff the clamp changes it); the clamped
 * int16 then pack to bytes without saturating. Codes and count as the C. */
#define QUANT_LOOP(PACK8, ZP0)                                                                    \
	while (i + 32 <= n) {                                                                     \
		__m256i kept = _mm256_setzero_si256();                                            \
		size_t end = n - i > (size_t)KEPT_FLUSH * 32 ? i + (size_t)KEPT_FLUSH * 32 : n;   \
		size_t i0 = i;                                                                    \
		for (; i + 32 <= end; i += 32) {                                                  \
			__m256i a = code8_nc(_mm256_loadu_ps(x + i), &k, ZP0);                    \
			__m256i b = code8_nc(_mm256_loadu_ps(x + i + 8), &k, ZP0);                \
			__m256i c = code8_nc(_mm256_loadu_ps(x + i + 16), &k, ZP0);               \
			__m256i d = code8_nc(_mm256_loadu_ps(x + i + 24), &k, ZP0);               \
			__m256i ab = _mm256_packs_epi32(a, b), cd = _mm256_packs_epi32(c, d);     \
			__m256i abc = _mm256_min_epi16(_mm256_max_epi16(ab, qmin16), qmax16);     \
			__m256i cdc = _mm256_min_epi16(_mm256_max_epi16(cd, qmin16), qmax16);     \
			kept = _mm256_add_epi16(kept, _mm256_add_epi16(_mm256_cmpeq_epi16(ab, abc), \
								       _mm256_cmpeq_epi16(cd, cdc))); \
			__m256i v = PACK8(abc, cdc);                                              \
			v = _mm256_permutevar8x32_epi32(v, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7)); \
			_mm256_storeu_si256((__m256i *)(q + i), v);                               \
		}                                                                                 \
		/* kept lanes (each compare gave -1) summed by pairs to int32 */                  \
		clipped += (int64_t)(i - i0) -                                                    \
			   clip_total(_mm256_madd_epi16(kept, _mm256_set1_epi16(1)));             \
	}

#define DEFINE_QUANT_AVX2(NAME, T, PACK8, CREF)                                                   \
	AVX2 int64_t NAME(const float *x, size_t n, float scale, int32_t zp, int32_t qmin,        \
			  int32_t qmax, T *q)                                                     \
	{                                                                                         \
		const qconst k = qconst_make(scale, zp, qmin, qmax);                              \
		const __m256i qmin16 = _mm256_set1_epi16((short)qmin);                            \
		const __m256i qmax16 = _mm256_set1_epi16((short)qmax);                            \
		int64_t clipped = 0;                                                              \
		size_t i = 0;                                                                     \
		if (zp == 0)                                                                      \
			QUANT_LOOP(PACK8, true)                                                   \
		else                                                                              \
			QUANT_LOOP(PACK8, false)                                                  \
		if (i < n)                                                                        \
			clipped += CREF(x + i, n - i, scale, zp, qmin, qmax, q + i);              \
		return clipped;                                                                   \
	}

DEFINE_QUANT_AVX2(ql_affine_quantize_s8_avx2, int8_t, _mm256_packs_epi16, ql_affine_quantize_s8_c)
DEFINE_QUANT_AVX2(ql_affine_quantize_u8_avx2, uint8_t, _mm256_packus_epi16, ql_affine_quantize_u8_c)

/* The metric sums (and the error histogram) of the fused loops: acc_avx2.h's
 * step, 8 values at a time. */

/* Values a fused step works on: quantized and dequantized first (into y or
 * a tile here, still in L1), then summed. Two loops instead of one keep
 * each within the 16 ymm registers: the six sums and the seven broadcast
 * constants do not fit together without spilling a sum every step. */
#define QDQ_STEP 256

/* The code of 8 values clamped to [qmin, qmax], and their dequantized
 * values: code8 without its clip count (the caller counts the lanes the
 * clamp changed: one compare instead of two and an or), and with zp == 0
 * (ZP0, a constant) no add and subtract of the zero point. Bit for bit
 * code8's clamped code and the C's (q - zp) * scale. */
AVX2 static inline __attribute__((always_inline)) __m256i qdq_code8(__m256 x, const qconst *k,
								    bool zp0, __m256i *eq,
								    __m256 *y)
{
	__m256 v = _mm256_mul_ps(x, k->inv);
	v = _mm256_max_ps(v, k->lo); /* v > lo ? v : lo (NaN -> lo) */
	v = _mm256_min_ps(v, k->hi); /* v < hi ? v : hi */
	__m256i q = _mm256_cvtps_epi32(v);
	if (!zp0)
		q = _mm256_add_epi32(q, k->zp);
	__m256i c = _mm256_min_epi32(_mm256_max_epi32(q, k->qmin), k->qmax);
	*eq = _mm256_add_epi32(*eq, _mm256_cmpeq_epi32(c, q)); /* -1 per lane kept */
	*y = _mm256_mul_ps(_mm256_cvtepi32_ps(zp0 ? c : _mm256_sub_epi32(c, k->zp)), k->scale);
	return c;
}

/* One tile of w values (a multiple of 32): codes into q, dequantized
 * values into yt; returns the values clipped. */
#define QDQ_TILE(PACK, ZP0)                                                                       \
	do {                                                                                      \
		__m256i eq = _mm256_setzero_si256();                                              \
		for (size_t j = 0; j < w; j += 32) {                                              \
			__m256i c[4];                                                             \
			for (int b = 0; b < 4; b++) {                                             \
				__m256 yv;                                                        \
				c[b] = qdq_code8(_mm256_loadu_ps(x + i + j + 8 * b), &k, ZP0,     \
						 &eq, &yv);                                       \
				_mm256_storeu_ps(yt + j + 8 * b, yv);                             \
			}                                                                         \
			_mm256_storeu_si256((__m256i *)(q + i + j), PACK(c[0], c[1], c[2], c[3])); \
		}                                                                                 \
		clipped += (int64_t)w - clip_total(eq); /* w less the lanes kept */               \
	} while (0)

/* Quantize, dequantize (into y if given) and sum the errors (into acc if
 * given). */
#define DEFINE_QDQ_AVX2(NAME, T, PACK, QUANT, CREF)                                               \
	AVX2 int64_t NAME(const float *x, size_t n, float scale, int32_t zp, int32_t qmin,        \
			  int32_t qmax, T *q, float *y, ql_metrics_acc *acc)                      \
	{                                                                                         \
		if (!acc && !y)                                                                   \
			return QUANT(x, n, scale, zp, qmin, qmax, q);                             \
		const qconst k = qconst_make(scale, zp, qmin, qmax);                              \
		ql_acc s;                                                                         \
		ql_acc_zero(&s);                                                                  \
		ql_acc_eh h; /* acc->eh: the error histogram in the same step */                  \
		ql_acc_eh_begin(&h, acc ? acc->eh : NULL);                                        \
		float tile[QDQ_STEP];                                                             \
		int64_t clipped = 0;                                                              \
		size_t i = 0;                                                                     \
		for (; i + 32 <= n;) {                                                            \
			size_t w = (n - i) / 32 * 32;                                             \
			w = w < QDQ_STEP ? w : QDQ_STEP;                                          \
			float *yt = y ? y + i : tile;                                             \
			if (zp == 0)                                                              \
				QDQ_TILE(PACK, true);                                             \
			else                                                                      \
				QDQ_TILE(PACK, false);                                            \
			if (acc && h.f)                                                           \
				for (size_t j = 0; j < w; j += 8)                                 \
					ql_acc_add8p(&s, &h, x + i + j, yt + j);                  \
			else if (acc)                                                             \
				for (size_t j = 0; j < w; j += 8)                                 \
					ql_acc_add8p(&s, NULL, x + i + j, yt + j);                \
			i += w;                                                                   \
		}                                                                                 \
		float *yt = y ? y + i : tile;                                                     \
		if (i < n) /* short groups end here: no call for nothing */                       \
			clipped += CREF(x + i, n - i, scale, zp, qmin, qmax, q + i, yt, NULL);    \
		if (acc) {                                                                        \
			ql_acc_flush(&s, x + i, yt, n - i, n, acc);                               \
			ql_acc_eh_end(&h, x + i, yt, n - i);                                      \
		}                                                                                 \
		return clipped;                                                                   \
	}

DEFINE_QDQ_AVX2(ql_affine_qdq_s8_avx2, int8_t, pack_s8, ql_affine_quantize_s8_avx2,
		ql_affine_qdq_s8_c)
DEFINE_QDQ_AVX2(ql_affine_qdq_u8_avx2, uint8_t, pack_u8, ql_affine_quantize_u8_avx2,
		ql_affine_qdq_u8_c)

/* ---- Q8_0 and Q4_0 blocks: ql_q8_0_fused_avx2 / ql_q4_0_fused_avx2 in qrow_avx2.c */

/* ---- NF4 blocks --------------------------------------------------------------- */

/* scan_span's result for a span of 64 when it is zero: 16 lanes, each the
 * in-order min/max of elements j, j + 16, j + 32, j + 48, merged in lane
 * order by minf/maxf (an equal later lane wins). */
static void range64_lanes(const float *x, float *mn, float *mx)
{
	float lo[16], hi[16];
	for (int j = 0; j < 16; j++) {
		lo[j] = INFINITY;
		hi[j] = -INFINITY;
	}
	for (int i = 0; i < 64; i += 16) {
		for (int j = 0; j < 16; j++) {
			float v = x[i + j];
			lo[j] = v < lo[j] ? v : lo[j];
			hi[j] = v > hi[j] ? v : hi[j];
		}
	}
	float l = INFINITY, h = -INFINITY;
	for (int j = 0; j < 16; j++) {
		l = l < lo[j] ? l : lo[j];
		h = h > hi[j] ? h : hi[j];
	}
	*mn = l;
	*mx = h;
}

AVX2 int64_t ql_nf4_blocks_avx2(const float *x, int64_t nb, uint8_t *packed, uint8_t *codes,
				float *umin, float *umax, float *clip_lo, float *clip_hi, float *scales,
				float *y, ql_metrics_acc *acc, int64_t flush)
{
	const __m256 fmax = _mm256_set1_ps(FLT_MAX);
	const __m256 absf = _mm256_castsi256_ps(_mm256_set1_epi32(INT32_MAX));
	const __m256 lv_lo = _mm256_loadu_ps(ql_nf4_levels), lv_hi = _mm256_loadu_ps(ql_nf4_levels + 8);
	const __m256i seven = _mm256_set1_epi32(7), lowbyte = _mm256_set1_epi16(0xff);
	/* The code is the count of thresholds below w (they increase), found
	 * by a binary search: th7, then th3/th11, th1/5/9/13, th0/2/../14. */
	const float *T = ql_nf4_thresholds;
	const __m256 th7 = _mm256_set1_ps(T[7]), th3 = _mm256_set1_ps(T[3]),
		     th11 = _mm256_set1_ps(T[11]);
	const __m256 th_odd = _mm256_setr_ps(T[1], T[5], T[9], T[13], T[13], T[13], T[13], T[13]);
	const __m256 th_even = _mm256_setr_ps(T[0], T[2], T[4], T[6], T[8], T[10], T[12], T[14]);
	const __m256i eight = _mm256_set1_epi32(8), four = _mm256_set1_epi32(4),
		      two = _mm256_set1_epi32(2), one = _mm256_set1_epi32(1);
	ql_acc s;
	ql_acc_zero(&s);
	ql_acc_eh eh; /* acc->eh: the error histogram in the same step */
	ql_acc_eh_begin(&eh, acc ? acc->eh : NULL);
	float tile[QL_NF4_BLOCK];
	int64_t inlanes = 0;

	for (int64_t i = 0; i < nb; i++) {
		const float *xb = x + i * QL_NF4_BLOCK;
		__m256 v[8];
		__m256 ok = _mm256_castsi256_ps(_mm256_set1_epi32(-1));
		__m256 lo = _mm256_set1_ps(INFINITY), hi = _mm256_set1_ps(-INFINITY);
		for (int k = 0; k < 8; k++) {
			v[k] = _mm256_loadu_ps(xb + 8 * k);
			ok = _mm256_and_ps(ok, _mm256_cmp_ps(_mm256_and_ps(v[k], absf), fmax,
							      _CMP_LE_OQ));
			lo = _mm256_min_ps(lo, v[k]);
			hi = _mm256_max_ps(hi, v[k]);
		}
		if (_mm256_movemask_ps(ok) != 0xff) {
			nb = i;
			break;
		}
		/* any order gives the same nonzero min/max; zeros as scan_span */
		__m128 l4 = _mm_min_ps(_mm256_castps256_ps128(lo), _mm256_extractf128_ps(lo, 1));
		__m128 h4 = _mm_max_ps(_mm256_castps256_ps128(hi), _mm256_extractf128_ps(hi, 1));
		l4 = _mm_min_ps(l4, _mm_movehl_ps(l4, l4));
		h4 = _mm_max_ps(h4, _mm_movehl_ps(h4, h4));
		l4 = _mm_min_ss(l4, _mm_shuffle_ps(l4, l4, 1));
		h4 = _mm_max_ss(h4, _mm_shuffle_ps(h4, h4, 1));
		float mn = _mm_cvtss_f32(l4), mx = _mm_cvtss_f32(h4);
		if (mn == 0.0f || mx == 0.0f)
			range64_lanes(xb, &mn, &mx);
		float amax = fabsf(mn) > fabsf(mx) ? fabsf(mn) : fabsf(mx);
		umin[i] = mn;
		umax[i] = mx;
		clip_lo[i] = -amax;
		clip_hi[i] = amax;
		scales[i] = amax; /* nf4_block's absmax: max |x|, +0 for a zero block */

		float *yb = y ? y + i * QL_NF4_BLOCK : tile;
		const __m256 am = _mm256_set1_ps(amax);
		const __m256 inv = _mm256_set1_ps(amax != 0.0f ? 1.0f / amax : 0.0f);
		__m256i c[8];
		for (int k = 0; k < 8; k++) {
			__m256i q = seven;
			if (amax != 0.0f) {
				__m256 w = _mm256_mul_ps(v[k], inv);
				__m256 m = _mm256_cmp_ps(w, th7, _CMP_GT_OQ);
				q = _mm256_and_si256(_mm256_castps_si256(m), eight);
				m = _mm256_cmp_ps(w, _mm256_blendv_ps(th3, th11, m), _CMP_GT_OQ);
				q = _mm256_add_epi32(q, _mm256_and_si256(_mm256_castps_si256(m), four));
				m = _mm256_cmp_ps(w, _mm256_permutevar8x32_ps(th_odd, _mm256_srli_epi32(q, 2)),
						  _CMP_GT_OQ);
				q = _mm256_add_epi32(q, _mm256_and_si256(_mm256_castps_si256(m), two));
				m = _mm256_cmp_ps(w, _mm256_permutevar8x32_ps(th_even, _mm256_srli_epi32(q, 1)),
						  _CMP_GT_OQ);
				q = _mm256_add_epi32(q, _mm256_and_si256(_mm256_castps_si256(m), one));
			}
			c[k] = q;
			if (!acc && !y) /* codes only: no dequantized values to make */
				continue;
			__m256 l = _mm256_blendv_ps(_mm256_permutevar8x32_ps(lv_lo, q),
						    _mm256_permutevar8x32_ps(lv_hi, q),
						    _mm256_castsi256_ps(_mm256_cmpgt_epi32(q, seven)));
			_mm256_storeu_ps(yb + 8 * k, _mm256_mul_ps(l, am));
		}
		uint8_t *cb = codes + i * QL_NF4_BLOCK;
		__m256i b0 = pack_u8(c[0], c[1], c[2], c[3]), b1 = pack_u8(c[4], c[5], c[6], c[7]);
		_mm256_storeu_si256((__m256i *)cb, b0);
		_mm256_storeu_si256((__m256i *)(cb + 32), b1);
		/* byte j of the packed block: code 2j << 4 | code 2j + 1 */
		__m256i p0 = _mm256_or_si256(_mm256_slli_epi16(_mm256_and_si256(b0, lowbyte), 4),
					     _mm256_srli_epi16(b0, 8));
		__m256i p1 = _mm256_or_si256(_mm256_slli_epi16(_mm256_and_si256(b1, lowbyte), 4),
					     _mm256_srli_epi16(b1, 8));
		_mm256_storeu_si256((__m256i *)(packed + i * (QL_NF4_BLOCK / 2)),
				    _mm256_permute4x64_epi64(_mm256_packus_epi16(p0, p1), 0xd8));
		if (!acc)
			continue;
		if (eh.f)
			for (int k = 0; k < 8; k++)
				ql_acc_add8(&s, &eh, v[k], _mm256_loadu_ps(yb + 8 * k));
		else
			for (int k = 0; k < 8; k++)
				ql_acc_add8(&s, NULL, v[k], _mm256_loadu_ps(yb + 8 * k));
		if (++inlanes == flush) {
			ql_acc_flush(&s, NULL, NULL, 0, (size_t)(inlanes * QL_NF4_BLOCK), acc);
			ql_acc_zero(&s);
			inlanes = 0;
		}
	}
	if (acc && inlanes)
		ql_acc_flush(&s, NULL, NULL, 0, (size_t)(inlanes * QL_NF4_BLOCK), acc);
	if (acc)
		ql_acc_eh_end(&eh, NULL, NULL, 0);
	return nb;
}

/* ---- Integer targets in groups: each group's scale and zero point ------------- */

AVX2 void ql_group_params_avx2(const float *umin, const float *umax, int64_t k, bool sym,
			       int32_t qmin, int32_t qmax, float *clip_lo, float *clip_hi,
			       float *scales, int32_t *zps)
{
	const __m256 absf = _mm256_castsi256_ps(_mm256_set1_epi32(INT32_MAX));
	const __m256 zero = _mm256_setzero_ps(), eps = _mm256_set1_ps(FLT_EPSILON);
	const __m256 qminf = _mm256_set1_ps((float)qmin), qmaxf = _mm256_set1_ps((float)qmax);
	const __m256 half = _mm256_set1_ps((float)(qmax - qmin) / 2.0f);
	const __m256 span = _mm256_set1_ps((float)(qmax - qmin));
	const __m256i zsym = _mm256_set1_epi32((qmin + qmax) / 2);
	for (int64_t b = 0; b < k; b += 8) {
		__m256 lo = _mm256_loadu_ps(umin + b), hi = _mm256_loadu_ps(umax + b);
		if (sym) { /* fabsf(lo) > fabsf(hi) ? fabsf(lo) : fabsf(hi) */
			__m256 a = _mm256_max_ps(_mm256_and_ps(lo, absf), _mm256_and_ps(hi, absf));
			lo = _mm256_xor_ps(a, _mm256_set1_ps(-0.0f)); /* -a */
			hi = a;
		}
		_mm256_storeu_ps(clip_lo + b, lo);
		_mm256_storeu_ps(clip_hi + b, hi);
		/* ql_qparams_from_range_sd with fp32 scales: minf/maxf are
		 * minps/maxps with the same operand order */
		__m256 lo_neg = _mm256_min_ps(lo, zero), hi_pos = _mm256_max_ps(hi, zero);
		__m256 sc;
		__m256i zp;
		if (sym) {
			__m256 amax = _mm256_max_ps(_mm256_xor_ps(lo_neg, _mm256_set1_ps(-0.0f)), hi_pos);
			sc = _mm256_max_ps(_mm256_div_ps(amax, half), eps);
			zp = zsym;
		} else {
			__m256 w = _mm256_sub_ps(hi_pos, lo_neg);
			if (_mm256_movemask_ps(_mm256_cmp_ps(w, _mm256_set1_ps(INFINITY), _CMP_EQ_OQ))) {
				/* a width beyond float: the scalar rule's double */
				for (int j = 0; j < 8; j++)
					ql_qparams_from_range(umin[b + j], umax[b + j], qmin, qmax,
							      false, &scales[b + j],
							      zps ? &zps[b + j] : &(int32_t){ 0 });
				continue;
			}
			sc = _mm256_max_ps(_mm256_div_ps(w, span), eps);
			__m256 r = _mm256_round_ps(_mm256_div_ps(lo_neg, sc),
						   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
			__m256 z = _mm256_sub_ps(qminf, r);
			/* z < qmin ? qmin : z > qmax ? qmax : z (z is finite) */
			z = _mm256_min_ps(_mm256_max_ps(z, qminf), qmaxf);
			zp = _mm256_cvttps_epi32(z);
		}
		_mm256_storeu_ps(scales + b, sc);
		if (zps)
			_mm256_storeu_si256((__m256i *)(zps + b), zp);
	}
}

/* ---- Any format in blocks of 32: ranges and metric sums ------------------------- */

AVX2 int64_t ql_block_ranges_avx2(const float *x, int64_t nb, float *umin, float *umax,
				  float *clip_lo, float *clip_hi)
{
	const __m256 fmax = _mm256_set1_ps(FLT_MAX);
	const __m256 absf = _mm256_castsi256_ps(_mm256_set1_epi32(INT32_MAX));
	for (int64_t i = 0; i < nb; i++) {
		const float *xb = x + i * 32;
		__m256 v[4];
		__m256 ok = _mm256_castsi256_ps(_mm256_set1_epi32(-1));
		for (int k = 0; k < 4; k++) {
			v[k] = _mm256_loadu_ps(xb + 8 * k);
			ok = _mm256_and_ps(ok, _mm256_cmp_ps(_mm256_and_ps(v[k], absf), fmax,
							      _CMP_LE_OQ));
		}
		if (_mm256_movemask_ps(ok) != 0xff)
			return i;
		float mn, mx;
		block_range(xb, v[0], v[1], v[2], v[3], &mn, &mx);
		float amax = fabsf(mn) > fabsf(mx) ? fabsf(mn) : fabsf(mx);
		umin[i] = mn;
		umax[i] = mx;
		clip_lo[i] = -amax;
		clip_hi[i] = amax;
	}
	return nb;
}

AVX2 void ql_metrics_add_avx2(ql_metrics_acc *acc, const float *x, const float *y, size_t n)
{
	ql_acc s;
	ql_acc_zero(&s);
	ql_acc_eh eh; /* acc->eh: the error histogram in the same step */
	ql_acc_eh_begin(&eh, acc->eh);
	size_t i = 0;
	if (eh.f)
		for (; i + 8 <= n; i += 8)
			ql_acc_add8p(&s, &eh, x + i, y + i);
	else
		for (; i + 8 <= n; i += 8)
			ql_acc_add8p(&s, NULL, x + i, y + i);
	ql_acc_flush(&s, x + i, y + i, n - i, n, acc);
	ql_acc_eh_end(&eh, x + i, y + i, n - i);
}

#else /* !QL_HAVE_AVX2_KERNELS */

bool ql_avx2_active(void)
{
	return false;
}

void ql_avx2_enable(bool on)
{
	(void)on;
}

#endif
