/* checked.h — overflow-checked size arithmetic.
 *
 * Sizes, counts, groups, axes, shapes and offsets come from the user or
 * from a file; every product or sum of them is made with these helpers
 * before it is used, so an absurd value ("--group 9223372036854775807", a
 * shape of 2^40 x 2^40) becomes an error message instead of a wrapped
 * number. Each returns false when the exact result does not fit.
 *
 *   int64_t n;
 *   if (!ql_mul_i64(rows, cols, &n)) return ql_error_set(err, "too large");
 */
#ifndef QLENS_CHECKED_H
#define QLENS_CHECKED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

static inline bool ql_add_i64(int64_t a, int64_t b, int64_t *out)
{
	return !__builtin_add_overflow(a, b, out);
}

static inline bool ql_mul_i64(int64_t a, int64_t b, int64_t *out)
{
	return !__builtin_mul_overflow(a, b, out);
}

static inline bool ql_add_u64(uint64_t a, uint64_t b, uint64_t *out)
{
	return !__builtin_add_overflow(a, b, out);
}

static inline bool ql_mul_u64(uint64_t a, uint64_t b, uint64_t *out)
{
	return !__builtin_mul_overflow(a, b, out);
}

static inline bool ql_mul_size(size_t a, size_t b, size_t *out)
{
	return !__builtin_mul_overflow(a, b, out);
}

/* ceil(a / b) for a >= 0, b >= 1, without forming a + b - 1 (which
 * overflows for a large b). */
static inline int64_t ql_ceil_div_i64(int64_t a, int64_t b)
{
	return a / b + (a % b != 0);
}

#endif
