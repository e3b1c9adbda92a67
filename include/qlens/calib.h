/* calib.h — choosing the clipping range of an integer quantizer (calib.c).
 * The round trips the mse method measures go through the affine kernels
 * (affine.h); nothing here calls the driver.
 */
#ifndef QLENS_CALIB_H
#define QLENS_CALIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "qlens/error.h"
#include "qlens/scheme.h"

/* ---- Calibration (calib.c) --------------------------------------------- */

/* The clipping range method m chooses for n finite values, for a target
 * with code range [qmin, qmax] (used by mse and entropy). For symmetric
 * schemes *lo = -*hi. Scratch memory is allocated inside; returns 0, or -1
 * only if it cannot be. n == 0 gives [0, 0].
 *
 * Ties go to the WIDER range, in both searches:
 *   mse      candidates k/100 of the minmax range, k = 100 down to 1; a
 *            candidate replaces the best only if its round-trip error is
 *            strictly smaller, so of equal errors the larger k stays
 *            ({100, 61} to int2 symmetric: k = 80 and 81 tie, 81 is chosen);
 *   entropy  edges i = nq .. 2048; an edge replaces the best if its KL
 *            divergence is smaller OR EQUAL (pytorch-quantization's `<=`),
 *            so of equal divergences the last edge stays ({1, -1, 1, -1, 1,
 *            1, -1, 1}: every edge has KL 0, the clip is the absmax 1).
 * (tests/test_calib.c asserts both.) */
int ql_calibrate(const float *x, size_t n, ql_calib m, double percentile, bool symmetric,
		 int32_t qmin, int32_t qmax, float *lo, float *hi, ql_error *err);
/* The same, stopping with -1 "cancelled" once *cancel (if not NULL) is
 * non-zero: checked between the mse search's candidates (each a pass over
 * up to 1M samples), so a long search on a large tensor can be abandoned. */
int ql_calibrate_cancel(const float *x, size_t n, ql_calib m, double percentile, bool symmetric,
			int32_t qmin, int32_t qmax, float *lo, float *hi, const volatile int *cancel,
			ql_error *err);

/* Puts the k-th smallest of a[0..n) (k < n) at a[k], smaller ones before it
 * and larger ones after (quickselect); the percentile and the tensor
 * statistics both select with it. */
void ql_select_kth(float *a, size_t n, size_t k);

/* The values of ranks[0..nr) (each < n, any order, repeats allowed; nr at
 * most QL_SELECT_MAX) of a[0..n) in increasing order, into out[0..nr):
 * out[i] is the ranks[i]-th smallest. In two passes over a by the top 16
 * bits of each value (src/core/select.c); a may be reordered. -1 only on
 * a bad rank or nr (err). */
#define QL_SELECT_MAX 32
int ql_select_ranks(float *a, size_t n, const size_t *ranks, int nr, float *out, ql_error *err);

/* NumPy's np.percentile(x, p) (linear interpolation) of n values, to the
 * last bit: virtual index (n - 1) * (p / 100), and between its neighbours
 * lo, hi with fraction t, numpy's _lerp: lo + (hi - lo) * t for t < 0.5,
 * hi - (hi - lo) * (1 - t) from 0.5 on. Selects in a copy. Of |x| if abs
 * is set. */
int ql_percentile(const float *x, size_t n, double p, bool abs, double *out, ql_error *err);

#endif
