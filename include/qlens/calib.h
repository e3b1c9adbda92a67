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
 * only if it cannot be. n == 0 gives [0, 0]. */
int ql_calibrate(const float *x, size_t n, ql_calib m, double percentile, bool symmetric,
		 int32_t qmin, int32_t qmax, float *lo, float *hi, ql_error *err);

/* NumPy's np.percentile(x, p) (linear interpolation) of n values; sorts a
 * copy. Of |x| if abs is set. */
int ql_percentile(const float *x, size_t n, double p, bool abs, double *out, ql_error *err);

#endif
