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

struct ql_ehist;

typedef struct ql_metrics_acc {
	int64_t n;
	double sum_x2;    /* Σx² */
	double sum_y2;    /* Σy² */
	double sum_xy;    /* Σxy */
	double sum_e2;    /* Σ(y-x)² */
	double sum_abs_e; /* Σ|y-x| */
	double max_abs_e; /* max |y-x| */
	int64_t clipped;
	/* Optional (NULL after init): ql_metrics_add also counts the errors
	 * into this fine histogram (see ql_ehist below). Not merged. */
	struct ql_ehist *eh;
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
/* ---- The error histogram, in one pass ------------------------------------
 *
 * A ql_ehist counts errors e = y - x (in double) into fine bins keyed by
 * the bits of e: its sign, exponent and top QL_EHIST_K mantissa bits. The
 * bins do not depend on the errors' range, the counts are integers and the
 * exact min/max of e are kept, so histograms of separate chunks merge in
 * any order to the same result: ql_quantize fills one in its fused pass
 * (ql_qopts.ehist), on every thread.
 *
 * ql_ehist_finish turns it into what is shown: bins of a power-of-two
 * width W with edges at multiples of W (so 0 is an edge), the smallest W
 * for which [floor(lo/W)·W, ceil(hi/W)·W] takes at most nbins bins, where
 * lo = min(e, 0), hi = max(e, 0). Every fine bin then lies inside one
 * shown bin, so the counts are exact: np.histogram(e, edges) with those
 * edges (the last bin closed). Fewer than nbins bins may be shown; two
 * at least when there are errors of both signs.
 * Non-finite errors go to `nan`. nbins is 1..(1 << QL_EHIST_K); more bins
 * are allowed but then W is widened until every fine bin fits. */
#define QL_EHIST_K 6
#define QL_EHIST_NFINE (1 << (12 + QL_EHIST_K)) /* fine bins */
typedef struct ql_ehist {
	int64_t *counts;   /* QL_EHIST_NFINE fine bins (layout: ehist.c) */
	double min, max;   /* of the finite errors counted (+inf/-inf if none) */
	int64_t n;         /* errors counted, non-finite ones included */
} ql_ehist;

int ql_ehist_init(ql_ehist *f, ql_error *err);
void ql_ehist_free(ql_ehist *f);
void ql_ehist_clear(ql_ehist *f);
/* Counts the errors y[i] - x[i]. */
void ql_ehist_add(ql_ehist *f, const float *x, const float *y, size_t n);
/* Counts the values x[i] themselves (the errors of 0 against them: a
 * value histogram with the same bins; src/core/vhist.c). */
void ql_ehist_add_values(ql_ehist *f, const float *x, size_t n);
/* a += b. */
void ql_ehist_merge(ql_ehist *a, const ql_ehist *b);
/* The shown histogram (see above) into *h: 1 with *h filled (free it), 0
 * when there is nothing to show (nothing counted, or every finite error
 * is 0) with *h left empty, -1 on a bad nbins or no memory (err). */
int ql_ehist_finish(const ql_ehist *f, int nbins, ql_hist *h, ql_error *err);
/* Calls fn(arg, lo, width, count) for every fine bin of f that holds
 * something: its values lie in [lo, lo + width) (the bins are closed on the
 * left, as np.histogram's); width 0 for the bin of 0 (lo = 0), lo NaN for
 * the non-finite errors. In no particular order. Returns the bins visited. */
typedef void (*ql_ehist_bin_fn)(void *arg, double lo, double width, int64_t count);
int64_t ql_ehist_each(const ql_ehist *f, ql_ehist_bin_fn fn, void *arg);
/* Adds f's counts into h's own bins (any lo, hi, nbins: ql_hist_init's, or
 * those of a ql_ehist_finish of another histogram), each fine bin whole
 * into the bin of its least value (h->total, below, above and nan too).
 * Returns how many counts lie in fine bins that reach over more than one
 * of h's bins, as far as f's min and max tell: 0 means h is exactly
 * np.histogram's over h's edges. A finer ql_ehist_finish of a part (the
 * clipped errors) onto the edges of the whole's is always exact: its fine
 * bins are among the whole's, none wider than the whole's width W.
 * (src/core/vhist.c) */
int64_t ql_ehist_fill(const ql_ehist *f, ql_hist *h);

/* The histogram of the errors y[i] - x[i] (in double): a ql_ehist of them
 * finished with nbins (the power-of-two bins above): what `qlens quantize`
 * prints. Returns 1 with *h filled (free it), 0 when there
 * is nothing to show (n == 0, or every error is 0) with *h left empty, -1
 * if the bins cannot be allocated (message in err). */
int ql_error_hist(ql_hist *h, const float *x, const float *y, size_t n, int nbins, ql_error *err);
/* The same on `threads` threads (0: one per CPU), in jobs of 65536 values
 * counted into per-thread fine histograms (integer counts: the result is
 * the same for any thread count). One sweep over the data. */
int ql_error_hist_mt(ql_hist *h, const float *x, const float *y, size_t n, int nbins,
		     int threads, ql_error *err);
/* The index of the largest |y[i] - x[i]| (in double; the first of equal
 * ones), or -1 when n == 0: where a quantization did its worst. */
int64_t ql_worst_error_index(const float *x, const float *y, size_t n);
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
