/* lanes.h — the four-lane metric sums, once (private to src/core).
 *
 * ql_metrics_add (stats.c), the portable fused kernels (affine.c) and the
 * scalar tails of the AVX2 kernels (quant_avx2.c) all sum the same way:
 * element i of a call into lane i % 4, multiply then add (no FMA), the
 * lanes flushed into the accumulator in lane order. Keeping that in one
 * place is what makes their results equal bit for bit.
 *
 * Also the helpers every kernel file uses: VB (values per unrolled block)
 * and min/max without a libm call.
 */
#ifndef QLENS_CORE_LANES_H
#define QLENS_CORE_LANES_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "qlens/stats.h"

#define QL_LANES 4

/* Inlined even into the AVX2 clones of QL_SIMD_CLONES functions (GCC does
 * not inline a plain inline function into a function of another target, and
 * the sums would then run unvectorised in a call). */
#if defined(__GNUC__)
#define QL_INLINE static inline __attribute__((always_inline))
#else
#define QL_INLINE static inline
#endif

/* VB values at a time with a fixed trip count and restrict pointers: that is
 * what lets GCC's -O2 ("very cheap") vectoriser take a loop whole. */
#define VB 16

/* min and max without a libm call (fminf/fmaxf are calls at -O2 on x86-64);
 * with a NaN first argument they return the second, like fminf/fmaxf. */
QL_INLINE float minf(float a, float b)
{
	return a < b ? a : b;
}

QL_INLINE float maxf(float a, float b)
{
	return a > b ? a : b;
}

/* ql_metrics_add's four double lanes, which may be kept across the tiles of
 * one call (each tile but the last a multiple of 4 long). */
typedef struct ql_lanes {
	double sx2[QL_LANES], sy2[QL_LANES], sxy[QL_LANES], se2[QL_LANES], sae[QL_LANES],
		mae[QL_LANES];
} ql_lanes;

/* Adds x[0..n) against y[0..n): whole groups of 4 lane by lane, then the
 * tail from lane 0. */
QL_INLINE void ql_lanes_add(ql_lanes *restrict s, const float *restrict x,
				const float *restrict y, size_t n)
{
	size_t i = 0;
	for (; i + QL_LANES <= n; i += QL_LANES) {
		for (int l = 0; l < QL_LANES; l++) {
			double xv = x[i + l], yv = y[i + l];
			double e = yv - xv;
			double ae = fabs(e);
			s->sx2[l] += xv * xv;
			s->sy2[l] += yv * yv;
			s->sxy[l] += xv * yv;
			s->se2[l] += e * e;
			s->sae[l] += ae;
			s->mae[l] = ae > s->mae[l] ? ae : s->mae[l];
		}
	}
	for (int l = 0; i < n; i++, l++) {
		double xv = x[i], yv = y[i];
		double e = yv - xv;
		double ae = fabs(e);
		s->sx2[l] += xv * xv;
		s->sy2[l] += yv * yv;
		s->sxy[l] += xv * yv;
		s->se2[l] += e * e;
		s->sae[l] += ae;
		s->mae[l] = ae > s->mae[l] ? ae : s->mae[l];
	}
}

/* Adds the lanes into acc, in lane order, and n to its count. */
QL_INLINE void ql_lanes_flush(const ql_lanes *s, size_t n, ql_metrics_acc *acc)
{
	for (int l = 0; l < QL_LANES; l++) {
		acc->sum_x2 += s->sx2[l];
		acc->sum_y2 += s->sy2[l];
		acc->sum_xy += s->sxy[l];
		acc->sum_e2 += s->se2[l];
		acc->sum_abs_e += s->sae[l];
		if (s->mae[l] > acc->max_abs_e)
			acc->max_abs_e = s->mae[l];
	}
	acc->n += (int64_t)n;
}

#endif
