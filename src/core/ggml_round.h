/* ggml_round.h — the integer roundings ggml's reference quantizers use,
 * written so that every input (NaN, ±inf, huge) gives what ggml's C gives
 * on x86-64, without undefined behaviour in qlens.
 */
#ifndef QLENS_CORE_GGML_ROUND_H
#define QLENS_CORE_GGML_ROUND_H

#include <math.h>
#include <stdint.h>
#include <string.h>

/* ggml's nearest_int: adding 1.5 * 2^23 leaves round-to-nearest-even of v
 * in the low mantissa bits (exact for |v| <= 2^22 - 1; outside that, the
 * same bits ggml reads, which is what it stores). */
static inline int ql_nearest_int(float v)
{
	float t = v + 12582912.0f;
	int32_t i;
	memcpy(&i, &t, sizeof i);
	return (i & 0x007fffff) - 0x00400000;
}

/* C's (int)v as x86-64's cvttss2si computes it: truncation toward zero, and
 * 0x80000000 ("integer indefinite") for NaN and anything outside int32.
 * ggml's (int8_t)(v) and (uint8_t)(v) keep the low byte of that. */
static inline int32_t ql_cvtt_i32(float v)
{
	if (!(v > -2147483648.0f && v < 2147483648.0f))
		return INT32_MIN;
	return (int32_t)v;
}

/* glibc's lroundf on x86-64: half away from zero; LONG_MIN for NaN and
 * values outside long. ggml stores it in an int, keeping the low 32 bits
 * (0 for LONG_MIN). */
static inline int ql_lroundf_int(float v)
{
	if (!(v > -9.2233720e18f && v < 9.2233720e18f))
		return 0;
	return (int)(int64_t)roundf(v); /* |v| here is small in every use */
}

static inline float ql_fmaxf_c(float a, float b) { return a > b ? a : b; } /* ggml's MAX */

#endif
