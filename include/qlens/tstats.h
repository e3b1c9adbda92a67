/* tstats.h — what a tensor holds: summary statistics, a value histogram and
 * per-row / per-column absmax, in one call that reports progress and can be
 * cancelled (for the inspector's background thread; core module, no I/O).
 *
 *   ql_tstats s;
 *   if (ql_tstats_compute(x, shape, ndim, 64, NULL, NULL, &s, &err)) ...
 *   s.min, s.pct[2] (the median), s.hist.counts[i], s.row_absmax[r] ...
 *   ql_tstats_free(&s);
 *
 * Definitions (n = every element, f = the finite ones):
 *   nan, posinf, neginf, zeros    counts over all n (zeros: +0 and -0)
 *   min max mean std absmax       over the finite values only, in double
 *                                 (std: population, ddof = 0; two passes);
 *                                 all 0 when no value is finite
 *   pct[i]                        np.percentile(x[isfinite(x)], P) with
 *                                 P = ql_tstats_pcts[i] (0.1 1 50 99 99.9),
 *                                 NumPy's default linear rule
 *   hist                          np.histogram(finite, nbins, (min, max))
 *   rows, cols                    the tensor seen as a matrix: rows = the
 *                                 product of every axis but the last, cols
 *                                 = the last (a 1-D tensor is one row, a
 *                                 scalar 1x1); row_absmax[r] and
 *                                 col_absmax[c] = max |finite value| there
 *                                 (0 where none)
 *   first_nonfinite               flat index of the first NaN or inf, -1
 */
#ifndef QLENS_TSTATS_H
#define QLENS_TSTATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "qlens/error.h"
#include "qlens/stats.h"

#define QL_TSTATS_NPCT 5
extern const double ql_tstats_pcts[QL_TSTATS_NPCT];

typedef struct ql_tstats {
	int64_t n, finite, nan, posinf, neginf, zeros;
	int64_t first_nonfinite;
	double min, max, mean, std, absmax;
	double pct[QL_TSTATS_NPCT];
	ql_hist hist;            /* counts NULL if nbins was 0 */
	int64_t rows, cols;
	float *row_absmax;       /* rows */
	float *col_absmax;       /* cols */
} ql_tstats;

/* Called now and then with the share of the work done (0..1); returning
 * false cancels: ql_tstats_compute then fails with "cancelled". */
typedef bool (*ql_tstats_progress_fn)(void *data, double done);

/* Computes s over x (C order, the product of shape values). nbins 0: no
 * histogram. Scratch: one float copy of the finite values. Returns 0, or -1
 * (out of memory, cancelled) with s holding nothing to free. */
int ql_tstats_compute(const float *x, const int64_t *shape, int ndim, int nbins,
		      ql_tstats_progress_fn progress, void *data, ql_tstats *s, ql_error *err);
/* The same, with x itself as the scratch (its values are reordered: the
 * finite ones first, partly sorted): no second copy of a big tensor. */
int ql_tstats_compute_inplace(float *x, const int64_t *shape, int ndim, int nbins,
			      ql_tstats_progress_fn progress, void *data, ql_tstats *s, ql_error *err);
void ql_tstats_free(ql_tstats *s);

#endif
