/* vhist.c — a fine histogram of values (qlens/stats.h: ql_ehist_add_values):
 * the ql_ehist of the errors of 0 against them, e = x - 0 = x (the same
 * double, -0 counted as +0), so its bins, merge and finish are the error
 * histogram's. ql_quantize counts one in its scan pass (ql_qopts.vhist).
 */
#include "qlens/stats.h"

enum { ZCH = 1024 };
static const float zeros[ZCH];

void ql_ehist_add_values(ql_ehist *f, const float *x, size_t n)
{
	for (size_t i = 0; i < n; i += ZCH) {
		size_t w = n - i < ZCH ? n - i : ZCH;
		ql_ehist_add(f, zeros, x + i, w);
	}
}
