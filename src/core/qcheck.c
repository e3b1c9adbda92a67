/* qcheck.c — the last check on a quantization result before anyone shows
 * or writes it (see ql_qresult_check in qlens/quant.h).
 *
 * A kernel fed a size it does not expect can "succeed" with nothing in it:
 * no scales, a data range of [inf, -inf] (nothing was scanned), an SQNR of
 * inf. That must never reach the user as an answer or a file.
 */
#include "qlens/quant.h"

#include <math.h>
#include <stdbool.h>

int ql_qresult_check(const ql_qresult *r, ql_error *err)
{
	if (r->nelem < 0)
		return ql_error_set(err, "internal error: a negative element count");
	if (r->nelem == 0)
		return 0; /* an empty tensor quantizes to nothing, by design */
	if (r->nscales < 1 || !r->scales)
		return ql_error_set(err, "internal error: %lld elements quantized with no scale",
				    (long long)r->nelem);
	if (!isfinite(r->data_min) || !isfinite(r->data_max) || r->data_min > r->data_max)
		return ql_error_set(err, "internal error: the data range [%g, %g] is not finite",
				    (double)r->data_min, (double)r->data_max);
	/* Finite only: Q4_0's d is negative when a block's extreme is (ggml's
	 * d = max / -8), and an all-zero block's d is 0. A block format's
	 * fp16 d or dmin overflows on values that large (q8_0 past 127 x
	 * 65504): the input's doing, not the program's. */
	for (int64_t i = 0; i < r->nscales; i++) {
		bool d_ok = isfinite(r->scales[i]);
		if (!d_ok || (r->mins && !isfinite(r->mins[i])))
			return ql_error_set(err, "%s %lld overflows (%g): the values are too large "
					    "for this format's scales", d_ok ? "minimum" : "scale",
					    (long long)i, (double)(d_ok ? r->mins[i] : r->scales[i]));
	}
	/* the same overflow deeper in (a k-quant's sub-block scales) shows
	 * as dequantized values that are not finite, and NaN metrics */
	if (!isfinite(r->metrics.mse))
		return ql_error_set(err, "the dequantized values are not finite: the values are too "
				    "large for this format's scales");
	return 0;
}
