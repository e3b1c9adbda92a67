/* kq_fast.c — the scale searches of the k-quants and IQ4 (kq_search.h,
 * iq4.c), rearranged for speed without changing one result.
 *
 * The reference loops interleave per-value work (round a value to its code,
 * form w * l, w * l * l, w * l * x) with running float sums. Here the
 * per-value work is done first for a whole group, into small arrays (loops
 * with no dependence between iterations, which the compiler turns into SIMD
 * instructions), and the running sums are then taken in the same order as
 * the reference: every float operation is the same operation on the same
 * operands, only the order of independent ones changes, so the sums, the
 * chosen scales and the codes are the reference's bit for bit. No sum is
 * reassociated and there is no fused multiply-add (-std=c11 keeps
 * contraction off; FMA is not among QL_SIMD_CLONES's targets). IQ4's
 * nearest-level search becomes branch-free selects with ggml's exact tie
 * and NaN behaviour, in AVX2 intrinsics where the CPU has them (GCC does
 * not if-convert the C selects into vector code) and in C elsewhere.
 * test_ggml_blocks.c checks each against the reference.
 */
#include "kq_fast.h"

#include <math.h>
#include <string.h>

#include "ggml_round.h"
#include "kq_search.h"
#include "qlens/ggml_blocks.h"
#include "quant_avx2.h"
#include "simd.h"


/* nearest_int of a whole array (a bit cast per lane) */
static inline QL_ALWAYS_INLINE void round_clamp(int n, const float *v, int lo, int hi, int *l)
{
	for (int i = 0; i < n; i++) {
		float t = v[i] + 12582912.0f;
		int32_t b;
		memcpy(&b, &t, sizeof b);
		int r = (b & 0x007fffff) - 0x00400000;
		l[i] = r < lo ? lo : r > hi ? hi : r;
	}
}

static inline QL_ALWAYS_INLINE float qkx2(const int n, int nmax, const float *x, const float *weights, uint8_t *L,
			 float *the_min, float rmin, float rdelta, int nstep, const bool use_mad)
{
	float min = x[0], max = x[0];
	float sum_w = weights[0];
	float sum_x = sum_w * x[0];
	for (int i = 1; i < n; i++) {
		if (x[i] < min)
			min = x[i];
		if (x[i] > max)
			max = x[i];
		sum_w += weights[i];
		sum_x += weights[i] * x[i];
	}
	if (min > 0)
		min = 0;
	if (max == min) {
		memset(L, 0, (size_t)n);
		*the_min = -min;
		return 0.0f;
	}
	float v[32], t1[32], t2[32], t3[32];
	int l[32], la[32];
	float iscale = nmax / (max - min);
	float scale = 1 / iscale;
	for (int i = 0; i < n; i++)
		v[i] = iscale * (x[i] - min);
	round_clamp(n, v, 0, nmax, l);
	for (int i = 0; i < n; i++) {
		L[i] = (uint8_t)l[i];
		float diff = scale * (float)l[i] + min - x[i];
		diff = use_mad ? fabsf(diff) : diff * diff;
		t1[i] = weights[i] * diff;
	}
	float best_error = 0;
	for (int i = 0; i < n; i++)
		best_error += t1[i];
	for (int is = 0; is <= nstep; is++) {
		iscale = (rmin + rdelta * is + nmax) / (max - min);
		for (int i = 0; i < n; i++)
			v[i] = iscale * (x[i] - min);
		round_clamp(n, v, 0, nmax, la);
		for (int i = 0; i < n; i++) {
			float wl = weights[i] * (float)la[i];
			t1[i] = wl;
			t2[i] = wl * (float)la[i];
			t3[i] = wl * x[i];
		}
		float sum_l = 0, sum_l2 = 0, sum_xl = 0;
		for (int i = 0; i < n; i++) {
			sum_l += t1[i];
			sum_l2 += t2[i];
			sum_xl += t3[i];
		}
		float D = sum_w * sum_l2 - sum_l * sum_l;
		if (D > 0) {
			float this_scale = (sum_w * sum_xl - sum_x * sum_l) / D;
			float this_min = (sum_l2 * sum_x - sum_l * sum_xl) / D;
			if (this_min > 0) {
				this_min = 0;
				this_scale = sum_xl / sum_l2;
			}
			for (int i = 0; i < n; i++) {
				float diff = this_scale * (float)la[i] + this_min - x[i];
				diff = use_mad ? fabsf(diff) : diff * diff;
				t1[i] = weights[i] * diff;
			}
			float cur_error = 0;
			for (int i = 0; i < n; i++)
				cur_error += t1[i];
			if (cur_error < best_error) {
				for (int i = 0; i < n; i++)
					L[i] = (uint8_t)la[i];
				best_error = cur_error;
				scale = this_scale;
				min = this_min;
			}
		}
	}
	*the_min = -min;
	return scale;
}

QL_SIMD_CLONES
float ql_kq_make_qkx2_32(int nmax, const float *x, const float *weights, uint8_t *L,
			 float *the_min, float rmin, float rdelta, int nstep)
{
	return qkx2(32, nmax, x, weights, L, the_min, rmin, rdelta, nstep, false);
}

QL_SIMD_CLONES
float ql_kq_make_qkx2_16_mad(int nmax, const float *x, const float *weights, uint8_t *L,
			     float *the_min, float rmin, float rdelta, int nstep)
{
	return qkx2(16, nmax, x, weights, L, the_min, rmin, rdelta, nstep, true);
}

QL_SIMD_CLONES
float ql_kq_make_qx_16(int nmax, const float *x, int8_t *L)
{
	enum { N = 16 };
	float max = 0, amax = 0;
	for (int i = 0; i < N; i++) {
		float ax = fabsf(x[i]);
		if (ax > amax) {
			amax = ax;
			max = x[i];
		}
	}
	if (amax < QL_GROUP_MAX_EPS) {
		memset(L, 0, N);
		return 0.0f;
	}
	float w[N], wx[N], v[N], t1[N], t2[N];
	int l[N];
	for (int i = 0; i < N; i++) {
		w[i] = x[i] * x[i];
		wx[i] = w[i] * x[i];
	}
	float iscale = -nmax / max;
	for (int i = 0; i < N; i++)
		v[i] = iscale * x[i];
	round_clamp(N, v, -nmax, nmax - 1, l);
	for (int i = 0; i < N; i++) {
		L[i] = (int8_t)(l[i] + nmax);
		t1[i] = wx[i] * (float)l[i];
		t2[i] = w[i] * (float)l[i] * (float)l[i];
	}
	float sumlx = 0, suml2 = 0;
	for (int i = 0; i < N; i++) {
		sumlx += t1[i];
		suml2 += t2[i];
	}
	float scale = suml2 ? sumlx / suml2 : 0.0f;
	float best = scale * sumlx;
	for (int is = -9; is <= 9; is++) {
		if (is == 0)
			continue;
		iscale = -(nmax + 0.1f * is) / max;
		for (int i = 0; i < N; i++)
			v[i] = iscale * x[i];
		round_clamp(N, v, -nmax, nmax - 1, l);
		for (int i = 0; i < N; i++) {
			t1[i] = wx[i] * (float)l[i];
			t2[i] = w[i] * (float)l[i] * (float)l[i];
		}
		sumlx = suml2 = 0;
		for (int i = 0; i < N; i++) {
			sumlx += t1[i];
			suml2 += t2[i];
		}
		if (suml2 > 0 && sumlx * sumlx > best * suml2) {
			for (int i = 0; i < N; i++)
				L[i] = (int8_t)(nmax + l[i]);
			scale = sumlx / suml2;
			best = scale * sumlx;
		}
	}
	return scale;
}

/* ggml's best_index_int8 over the IQ4 levels without branches: lo/hi are
 * the levels around x (found by selects), then the same float comparison;
 * x <= level 0, x >= level 15 and NaN (15, where ggml's search ends) as
 * there. The index comes back as a float and the level in *q, so that every
 * select stays in one vector type; the comparisons are the quiet ones of
 * math.h (same results, no FP exception to preserve), which lets the
 * compiler turn them into vector selects. */
static inline QL_ALWAYS_INLINE float iq4_index(float x, float *q)
{
	const int8_t *val = ql_iq4nl_values;
	float lo_i = 0, lo = val[0], hi = val[15];
#pragma GCC unroll 16
	for (int i = 1; i < 15; i++) {
		bool le = islessequal((float)val[i], x);
		lo = le ? (float)val[i] : lo;
		lo_i = le ? (float)i : lo_i;
	}
#pragma GCC unroll 16
	for (int i = 14; i >= 1; i--)
		hi = isgreater((float)val[i], x) ? (float)val[i] : hi;
	bool down = isless(x - lo, hi - x);
	float r = down ? lo_i : lo_i + 1, v = down ? lo : hi;
	bool first = islessequal(x, (float)val[0]);
	r = first ? 0.0f : r;
	v = first ? (float)val[0] : v;
	bool last = isgreaterequal(x, (float)val[15]) | isunordered(x, x);
	r = last ? 15.0f : r;
	v = last ? (float)val[15] : v;
	*q = v;
	return r;
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define IQ4_AVX2 1

/* iq4_index on 8 lanes: the same comparisons (ordered, false on NaN, as
 * C's), the same selects. */
__attribute__((target("avx2"))) static inline __m256 iq4_index8(__m256 x, __m256 *q)
{
	const int8_t *val = ql_iq4nl_values;
	__m256 lo = _mm256_set1_ps(val[0]), hi = _mm256_set1_ps(val[15]);
	__m256 lo_i = _mm256_setzero_ps();
	for (int i = 1; i < 15; i++) {
		__m256 v = _mm256_set1_ps(val[i]);
		__m256 le = _mm256_cmp_ps(v, x, _CMP_LE_OQ);
		lo = _mm256_blendv_ps(lo, v, le);
		lo_i = _mm256_blendv_ps(lo_i, _mm256_set1_ps((float)i), le);
	}
	for (int i = 14; i >= 1; i--) {
		__m256 v = _mm256_set1_ps(val[i]);
		hi = _mm256_blendv_ps(hi, v, _mm256_cmp_ps(v, x, _CMP_GT_OQ));
	}
	__m256 down = _mm256_cmp_ps(_mm256_sub_ps(x, lo), _mm256_sub_ps(hi, x), _CMP_LT_OQ);
	__m256 r = _mm256_blendv_ps(_mm256_add_ps(lo_i, _mm256_set1_ps(1.0f)), lo_i, down);
	__m256 v = _mm256_blendv_ps(hi, lo, down);
	__m256 v0 = _mm256_set1_ps(val[0]), v15 = _mm256_set1_ps(val[15]);
	__m256 first = _mm256_cmp_ps(x, v0, _CMP_LE_OQ);
	r = _mm256_blendv_ps(r, _mm256_setzero_ps(), first);
	v = _mm256_blendv_ps(v, v0, first);
	__m256 last = _mm256_or_ps(_mm256_cmp_ps(x, v15, _CMP_GE_OQ), _mm256_cmp_ps(x, x, _CMP_UNORD_Q));
	r = _mm256_blendv_ps(r, _mm256_set1_ps(15.0f), last);
	*q = _mm256_blendv_ps(v, v15, last);
	return r;
}

__attribute__((target("avx2"))) static void codes_sums_avx2(const float *xb, const float *w,
							    float id, uint8_t *Lb, float *sumqx,
							    float *sumq2)
{
	float t1[32], t2[32], l[32];
	const __m256 vid = _mm256_set1_ps(id);
	for (int j = 0; j < 32; j += 8) {
		__m256 x = _mm256_loadu_ps(xb + j), q;
		_mm256_storeu_ps(l + j, iq4_index8(_mm256_mul_ps(vid, x), &q));
		__m256 wq = _mm256_mul_ps(_mm256_loadu_ps(w + j), q);
		_mm256_storeu_ps(t1 + j, _mm256_mul_ps(wq, x));
		_mm256_storeu_ps(t2 + j, _mm256_mul_ps(wq, q));
	}
	float sx = 0, s2 = 0;
	for (int j = 0; j < 32; j++) {
		sx += t1[j];
		s2 += t2[j];
	}
	if (Lb)
		for (int j = 0; j < 32; j++)
			Lb[j] = (uint8_t)l[j];
	*sumqx = sx;
	*sumq2 = s2;
}

__attribute__((target("avx2"))) static void codes_avx2(const float *x, float s, uint8_t *L)
{
	float l[32];
	const __m256 vs = _mm256_set1_ps(s);
	for (int j = 0; j < 32; j += 8) {
		__m256 q;
		_mm256_storeu_ps(l + j, iq4_index8(_mm256_mul_ps(vs, _mm256_loadu_ps(x + j)), &q));
	}
	for (int j = 0; j < 32; j++)
		L[j] = (uint8_t)l[j];
}

/* The CPU has AVX2 and the AVX2 kernels are not switched off
 * (ql_avx2_enable: test_qtable runs every format both ways). */
static bool have_avx2(void)
{
	return ql_avx2_active();
}
#else
#define IQ4_AVX2 0
#endif

void ql_iq4_codes_sums_32(const float *xb, const float *w, float id, uint8_t *Lb, float *sumqx,
			  float *sumq2)
{
#if IQ4_AVX2
	if (have_avx2()) {
		codes_sums_avx2(xb, w, id, Lb, sumqx, sumq2);
		return;
	}
#endif
	float t1[32], t2[32], l[32];
	for (int j = 0; j < 32; j++) {
		float q;
		l[j] = iq4_index(id * xb[j], &q);
		float wq = w[j] * q;
		t1[j] = wq * xb[j];
		t2[j] = wq * q;
	}
	float sx = 0, s2 = 0;
	for (int j = 0; j < 32; j++) {
		sx += t1[j];
		s2 += t2[j];
	}
	if (Lb)
		for (int j = 0; j < 32; j++)
			Lb[j] = (uint8_t)l[j];
	*sumqx = sx;
	*sumq2 = s2;
}

void ql_iq4_codes_32(const float *x, float s, uint8_t *L)
{
#if IQ4_AVX2
	if (have_avx2()) {
		codes_avx2(x, s, L);
		return;
	}
#endif
	for (int j = 0; j < 32; j++) {
		float q;
		L[j] = (uint8_t)iq4_index(s * x[j], &q);
	}
}
