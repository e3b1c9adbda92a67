/* stats.h — how much a quantization lost: error metrics and histograms.
 *
 * A ql_metrics_acc collects, in one pass, the sums that every metric needs
 * (in double precision, per element pair of an original x and its
 * reconstruction y). Accumulators of separate chunks merge, so threads can
 * each keep one. ql_metrics_finish() turns the sums into numbers:
 *
 *   ql_metrics_acc a;
 *   ql_metrics_acc_init(&a);
 *   ql_metrics_add(&a, x, y, n);          // any number of times
 *   ql_metrics m;
 *   ql_metrics_finish(&a, &m);            // m.mse, m.sqnr_db, ...
 *
 * Definitions (e = y - x, sums over all n elements):
 *   mse          = Σe² / n                 rmse = √mse
 *   sqnr_db      = 10·log10(Σx² / Σe²)    (+inf when Σe² = 0, -inf when
 *                                          Σx² = 0 < Σe²)
 *   max_abs_err  = max |e|                 mean_abs_err = Σ|e| / n
 *   cosine       = Σxy / √(Σx² · Σy²)     (1 when both are all zero, 0 when
 *                                          only one is)
 *   clipped      = elements the quantizer clamped (counted by the kernel)
 * An empty set (n = 0) has mse = rmse = max = mean = 0, sqnr = +inf,
 * cosine = 1: nothing was lost.
 *
 * Histograms count values in nbins equal bins over [lo, hi] with NumPy's
 * rule (np.histogram): bin i is [lo + i·w, lo + (i+1)·w), the last bin also
 * holds hi. Values outside are counted in `below` / `above`, NaN in `nan`.
 */
#ifndef QLENS_STATS_H
#define QLENS_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "qlens/error.h"

typedef struct ql_metrics_acc {
	int64_t n;
	double sum_x2;    /* Σx² */
	double sum_y2;    /* Σy² */
	double sum_xy;    /* Σxy */
	double sum_e2;    /* Σ(y-x)² */
	double sum_abs_e; /* Σ|y-x| */
	double max_abs_e; /* max |y-x| */
	int64_t clipped;
} ql_metrics_acc;

typedef struct ql_metrics {
	int64_t n;
	double mse, rmse, sqnr_db;
	double max_abs_err, mean_abs_err;
	double cosine;
	int64_t clipped;
} ql_metrics;

void ql_metrics_acc_init(ql_metrics_acc *a);
/* Adds n pairs (x[i], y[i]). */
void ql_metrics_add(ql_metrics_acc *a, const float *x, const float *y, size_t n);
/* a += b (the clipped counts add too). */
void ql_metrics_merge(ql_metrics_acc *a, const ql_metrics_acc *b);
void ql_metrics_finish(const ql_metrics_acc *a, ql_metrics *m);
/* Shortcut: the metrics of x against y. */
void ql_metrics_compute(const float *x, const float *y, size_t n, ql_metrics *m);

/* ---- Histograms ---------------------------------------------------------- */

typedef struct ql_hist {
	int nbins;
	double lo, hi;     /* lo < hi (a zero width is widened: see init) */
	int64_t *counts;   /* nbins */
	int64_t below, above, nan;
	int64_t total;     /* everything added, NaN included */
} ql_hist;

/* Allocates nbins (1..1<<20) zeroed bins over [lo, hi]. If lo == hi the range
 * becomes [lo - 0.5, hi + 0.5] (as np.histogram does). lo > hi or a
 * non-finite bound fails. */
int ql_hist_init(ql_hist *h, int nbins, double lo, double hi, ql_error *err);
void ql_hist_free(ql_hist *h);
void ql_hist_clear(ql_hist *h);
/* The bin of v, -1 below, nbins above (v not NaN). */
int ql_hist_bin(const ql_hist *h, double v);
void ql_hist_add(ql_hist *h, const float *x, size_t n);
/* Adds the errors y[i] - x[i]. */
void ql_hist_add_error(ql_hist *h, const float *x, const float *y, size_t n);
/* The histogram of the errors y[i] - x[i] (in double) in nbins bins over
 * the errors' own range widened to hold 0, [min(e, 0), max(e, 0)]: what
 * `qlens quantize` prints. Returns 1 with *h filled (free it), 0 when there
 * is nothing to show (n == 0, or every error is 0) with *h left empty, -1
 * if the bins cannot be allocated (message in err). */
int ql_error_hist(ql_hist *h, const float *x, const float *y, size_t n, int nbins, ql_error *err);
/* The same on `threads` threads (0: one per CPU), in jobs of 65536 values
 * that each keep their own range and integer counts: the result is the
 * same for any thread count. Both sweeps (range, then counts) run on
 * every thread. */
int ql_error_hist_mt(ql_hist *h, const float *x, const float *y, size_t n, int nbins,
		     int threads, ql_error *err);
/* The [min, max] of n values, NaN skipped (false if none is left). */
bool ql_range(const float *x, size_t n, float *min, float *max);

/* ---- Storage cost ---------------------------------------------------------- */

/* Bits per weight of n weights stored as elem_bits-bit codes plus nscales
 * scales of scale_bits and nzp zero points of zp_bits each:
 * elem_bits + (nscales·scale_bits + nzp·zp_bits) / n. int4 with an fp16
 * scale per 32 values: ql_bits_per_weight(4, 32, 1, 16, 0, 0) = 4.5.
 * 0 when n = 0. */
double ql_bits_per_weight(int elem_bits, int64_t n, int64_t nscales, int scale_bits,
			  int64_t nzp, int zp_bits);

#endif
