/* acc_avx2.h — the one fused accumulation step of every AVX2 fused path
 * (private to src/core; header only): the metric sums of lanes.h and, when
 * asked, the fine error histogram (ehist.c), both from one e = y - x per
 * element, computed once in double.
 *
 * How to use it, inside a function compiled with QL_ACC_TARGET (all of it
 * is always inlined, so the caller must have at least that target):
 *
 *     ql_acc s;                    the sums: 4 double lanes, as lanes.h
 *     ql_acc_eh h;                 the histogram's running state
 *     ql_acc_zero(&s);
 *     ql_acc_eh_begin(&h, acc->eh);           acc->eh may be NULL
 *     for each 8 values x8, y8 (the i-th 8 of a flush run):
 *         ql_acc_add8(&s, &h, x8, y8);        or (&s, NULL, ..): no histogram,
 *                                             or (NULL, &h, ..): no sums
 *     ql_acc_flush(&s, xt, yt, tail, total, acc);   where the C path calls
 *                                  ql_metrics_add: `tail` (< 8) more values
 *                                  at xt/yt, the run `total` values long
 *     ql_acc_eh_end(&h, xt, yt, tail);        min, max, n and the tail's
 *                                  counts into the histogram (any time:
 *                                  its result does not depend on where)
 *
 * What it equals, bit for bit (tests/test_simd.c, test_blockspeed.c):
 *   - the sums: lanes.h's ql_lanes_add over the run then ql_lanes_flush
 *     (element i into lane i % 4, lanes flushed in order). x*x, y*y and x*y
 *     go by FMA: a product of two floats widened to double is exact, so
 *     fma(xd, yd, acc) == acc + xd*yd. e*e does not (e is a double of up to
 *     53 bits: its square rounds), so the error's square stays mul + add.
 *     max |e| is the lanes' max, NaN ignored, as the C's `ae > m ? ae : m`.
 *   - the histogram: ql_ehist_add's portable loop (ql_ehist_add_c). The
 *     same double e, made e + (e - e) (-0 counts as +0, a non-finite error
 *     as NaN), keyed from its bits as ehist_impl.h says; the range over the
 *     finite errors (min/max pass NaN over; they are exact and their lanes
 *     merge in any order: no -0 reaches them). The least nonzero key is
 *     not kept here: ehist.c finds it in the counts when it needs it.
 *     Counts are integers: the order they are added in does not matter.
 */
#ifndef QLENS_CORE_ACC_AVX2_H
#define QLENS_CORE_ACC_AVX2_H

#include "ehist_impl.h"
#include "lanes.h"
#include "quant_avx2.h"

#if QL_HAVE_AVX2_KERNELS

#include <immintrin.h>
#include <stdint.h>

/* The target every user of this header compiles its kernel for. */
#define QL_ACC_TARGET __attribute__((target("avx2,fma,f16c")))
#define QL_ACC_INLINE static inline __attribute__((always_inline, target("avx2,fma,f16c")))

/* The metric sums: lanes.h's four lanes, one __m256d each. */
typedef struct ql_acc {
	__m256d sx2, sy2, sxy, se2, sae, mae;
} ql_acc;

/* The histogram's running state between begin and end. */
typedef struct ql_acc_eh {
	ql_ehist *f;     /* NULL: no histogram (the step skips it) */
	int64_t *c;      /* f->counts */
	__m256d mn, mx;  /* the finite range so far (f's included) */
	__m256i prev;    /* the last 8 keys, not yet counted (if n) */
	int64_t n;       /* values keyed since begin */
} ql_acc_eh;

QL_ACC_INLINE void ql_acc_zero(ql_acc *s)
{
	s->sx2 = s->sy2 = s->sxy = s->se2 = s->sae = s->mae = _mm256_setzero_pd();
}

QL_ACC_INLINE void ql_acc_eh_begin(ql_acc_eh *h, ql_ehist *f)
{
	h->f = f;
	h->c = f ? f->counts : NULL;
	h->mn = _mm256_set1_pd(f ? f->min : 0.0);
	h->mx = _mm256_set1_pd(f ? f->max : 0.0);
	h->prev = _mm256_setzero_si256();
	h->n = 0;
}

/* Four values (lanes 0..3 of the sums): the sums, and when h the fine
 * keys of the four errors (as 64-bit lanes, shifted right by `sh`: the
 * key itself with QL_EHIST_SHIFT, the key in the upper 32 bits with
 * QL_EHIST_SHIFT - 32) and the range. */
QL_ACC_INLINE __m256i ql_acc_step4(ql_acc *s, ql_acc_eh *h, __m128 x4, __m128 y4, const int sh)
{
	const __m256d absmask = _mm256_castsi256_pd(_mm256_set1_epi64x(INT64_MAX));
	__m256d xv = _mm256_cvtps_pd(x4), yv = _mm256_cvtps_pd(y4);
	__m256d e = _mm256_sub_pd(yv, xv);
	if (s) {
		__m256d ae = _mm256_and_pd(e, absmask);
		s->sx2 = _mm256_fmadd_pd(xv, xv, s->sx2);
		s->sy2 = _mm256_fmadd_pd(yv, yv, s->sy2);
		s->sxy = _mm256_fmadd_pd(xv, yv, s->sxy);
		s->se2 = _mm256_add_pd(s->se2, _mm256_mul_pd(e, e));
		s->sae = _mm256_add_pd(s->sae, ae);
		s->mae = _mm256_max_pd(ae, s->mae); /* ae > mae ? ae : mae */
	}
	if (!h)
		return _mm256_setzero_si256();
	/* e + (e - e): e where finite (-0 made +0), NaN where not; min and
	 * max pass a NaN first operand over (ez < mn ? ez : mn) */
	__m256d ez = _mm256_add_pd(e, _mm256_sub_pd(e, e));
	h->mn = _mm256_min_pd(ez, h->mn);
	h->mx = _mm256_max_pd(ez, h->mx);
	__m256i b = _mm256_castpd_si256(ez);
	/* b - 1 where the sign is set (the compare gives -1 there) */
	return _mm256_srli_epi64(_mm256_add_epi64(b, _mm256_cmpgt_epi64(_mm256_setzero_si256(), b)),
				 sh);
}

/* Counts the eight keys packed two per 64-bit lane of k. By extracts: a
 * 32-byte store read back as eight 4-byte loads would wait on store
 * forwarding. */
QL_ACC_INLINE void ql_acc_count8(int64_t *restrict c, __m256i k)
{
	__m128i lo = _mm256_castsi256_si128(k), hi = _mm256_extracti128_si256(k, 1);
	uint64_t p0 = (uint64_t)_mm_cvtsi128_si64(lo), p1 = (uint64_t)_mm_extract_epi64(lo, 1);
	uint64_t p2 = (uint64_t)_mm_cvtsi128_si64(hi), p3 = (uint64_t)_mm_extract_epi64(hi, 1);
	c[(uint32_t)p0]++;
	c[p0 >> 32]++;
	c[(uint32_t)p1]++;
	c[p1 >> 32]++;
	c[(uint32_t)p2]++;
	c[p2 >> 32]++;
	c[(uint32_t)p3]++;
	c[p3 >> 32]++;
}

/* Eight values, as two fours (lanes 0..3 of the sums each time), their
 * errors counted into h's histogram if h. */
QL_ACC_INLINE void ql_acc_add4x2(ql_acc *s, ql_acc_eh *h, __m128 x0, __m128 y0, __m128 x1,
				 __m128 y1)
{
	__m256i k0 = ql_acc_step4(s, h, x0, y0, QL_EHIST_SHIFT);
	__m256i k1 = ql_acc_step4(s, h, x1, y1, QL_EHIST_SHIFT - 32);
	if (!h)
		return;
	/* keys < 2^32: eight of them, two per 64-bit lane, k0's in the low
	 * halves (its high ones are 0) and k1's in the high (its low ones
	 * hold lower bits of the errors): their order in the vector does
	 * not matter, they are only counted */
	__m256i k = _mm256_blend_epi32(k0, k1, 0xAA);
	/* the keys of the 8 values before are counted now, while these are
	 * keyed (counting is loads and stores, keying arithmetic: so they
	 * overlap); the last 8 at ql_acc_eh_end */
	if (h->n)
		ql_acc_count8(h->c, h->prev);
	h->prev = k;
	h->n += 8;
}

/* Eight values in registers (x and y's lanes 0..3, then 4..7). */
QL_ACC_INLINE void ql_acc_add8(ql_acc *s, ql_acc_eh *h, __m256 x, __m256 y)
{
	ql_acc_add4x2(s, h, _mm256_castps256_ps128(x), _mm256_castps256_ps128(y),
		      _mm256_extractf128_ps(x, 1), _mm256_extractf128_ps(y, 1));
}

/* Eight values from memory (x[0..8), y[0..8)). */
QL_ACC_INLINE void ql_acc_add8p(ql_acc *s, ql_acc_eh *h, const float *x, const float *y)
{
	ql_acc_add4x2(s, h, _mm_loadu_ps(x), _mm_loadu_ps(y), _mm_loadu_ps(x + 4),
		      _mm_loadu_ps(y + 4));
}

/* The lanes, `tail` more values at x/y continuing them from lane 0 (the
 * values added so far a multiple of 4), then flushed into acc in lane
 * order with `total` values: what ql_metrics_add does at its end. */
QL_ACC_INLINE void ql_acc_flush(const ql_acc *s, const float *x, const float *y, size_t tail,
				size_t total, ql_metrics_acc *acc)
{
	ql_lanes t;
	_mm256_storeu_pd(t.sx2, s->sx2);
	_mm256_storeu_pd(t.sy2, s->sy2);
	_mm256_storeu_pd(t.sxy, s->sxy);
	_mm256_storeu_pd(t.se2, s->se2);
	_mm256_storeu_pd(t.sae, s->sae);
	_mm256_storeu_pd(t.mae, s->mae);
	if (tail)
		ql_lanes_add(&t, x, y, tail);
	ql_lanes_flush(&t, total, acc);
}

/* The histogram's range and count into h->f (its least key is now
 * unknown: ehist.c finds it when asked), then `tail` more values at x/y by
 * the portable loop. h may be begun again after. */
QL_ACC_INLINE void ql_acc_eh_end(ql_acc_eh *h, const float *x, const float *y, size_t tail)
{
	ql_ehist *f = h->f;
	if (!f)
		return;
	if (h->n) {
		ql_acc_count8(h->c, h->prev);
		double a[4], m[4];
		_mm256_storeu_pd(a, h->mn);
		_mm256_storeu_pd(m, h->mx);
		double mn = a[0], mx = m[0];
		for (int l = 1; l < 4; l++) {
			mn = a[l] < mn ? a[l] : mn;
			mx = m[l] > mx ? m[l] : mx;
		}
		QL_EHIST_LOW(f) = QL_EHIST_LOW_UNKNOWN;
		f->min = mn;
		f->max = mx;
		f->n += h->n;
		h->n = 0;
	}
	if (tail) {
		ql_ehist_add_c(f, x, y, tail);
		h->mn = _mm256_set1_pd(f->min);
		h->mx = _mm256_set1_pd(f->max);
	}
}

#endif /* QL_HAVE_AVX2_KERNELS */

#endif
