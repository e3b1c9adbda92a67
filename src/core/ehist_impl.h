/* ehist_impl.h — the fine error histogram's layout, for the code that
 * counts into it besides ehist.c (the fused step of acc_avx2.h; private to
 * src/core). ehist.c tells what the bins are.
 *
 * An error e (a double, made e + (e - e): -0 becomes +0, a non-finite
 * error NaN) is keyed by its bits b, less one where the sign is set,
 * shifted right by QL_EHIST_SHIFT: sign, exponent and top QL_EHIST_K
 * mantissa bits. counts[key] is the bin; counts[QL_EHIST_NFINE]
 * (QL_EHIST_LOW) holds the least nonzero finite magnitude key (key &
 * (HALF - 1)) counted, HALF if none, or QL_EHIST_LOW_UNKNOWN: whoever
 * counts sets that, and ehist.c finds the key in the counts when asked.
 */
#ifndef QLENS_CORE_EHIST_IMPL_H
#define QLENS_CORE_EHIST_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "qlens/stats.h"

#define QL_EHIST_SHIFT (52 - QL_EHIST_K)
#define QL_EHIST_HALF ((int64_t)1 << (11 + QL_EHIST_K)) /* bins per sign */
#define QL_EHIST_LOW(f) ((f)->counts[QL_EHIST_NFINE])
#define QL_EHIST_LOW_UNKNOWN (-1)

/* ql_ehist_add's portable path (the reference), whatever the CPU: for the
 * tails of the fused AVX2 step and the tests. */
void ql_ehist_add_c(ql_ehist *f, const float *x, const float *y, size_t n);

#endif
