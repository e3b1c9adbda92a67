/* elem.h — fast float32 -> fp8 / fp4 element codes, for the kernels only
 * (scaled.c's scaled-float kernel, mx.c's MX blocks).
 *
 * ql_encode (format.c) rounds any double to any format exactly, in double
 * arithmetic, one call per value: right, but far too slow for 64M values.
 * These do the same rounding on the float32 bit pattern, with no call and
 * no branch, so that GCC vectorises a loop of them:
 *
 *   - below the target's smallest normal, the value is added to a power of
 *     two whose float32 ulp is the target's subnormal step: the FPU's own
 *     round-to-nearest-even rounds it, and the low bits are the code;
 *   - otherwise the 23-bit mantissa is rounded to M bits (ties to even, a
 *     carry moving into the exponent as it should) and the exponent rebiased;
 *   - a magnitude that would round beyond the largest finite value gives
 *     ±max (saturation), ±inf too;
 *   - NaN gives the code ql_encode gives (e4m3: S.1111.111; e5m2: a quiet
 *     NaN with the top mantissa bit kept; e2m1 has no NaN: 0).
 * Every code equals ql_encode(fmt, v, QL_ROUND_NEAREST_EVEN) where that does
 * not overflow, and the saturated ±max where it does: tests/test_fastpath.c
 * checks this over a dense sweep of float32 patterns and every tie, and over
 * all 2^32 patterns under QLENS_EXHAUSTIVE=1.
 *
 * The *_sat_first constants are the smallest |v| bit patterns that round
 * beyond the largest finite value (e4m3: just above 464 = 448 + half a step,
 * a tie that goes down to 448; e5m2: 61440 = 57344 + half a step, a tie that
 * goes up; e2m1: 7 = 6 + half a step, a tie that goes up).
 *
 * Decoding is a table (ql_elem_tables) made once from the exact decoders.
 */
#ifndef QLENS_CORE_ELEM_H
#define QLENS_CORE_ELEM_H

#include <stdint.h>
#include <string.h>

static inline uint32_t elem_bits(float f)
{
	uint32_t u;
	memcpy(&u, &f, sizeof u);
	return u;
}

static inline float elem_float(uint32_t u)
{
	float f;
	memcpy(&f, &u, sizeof f);
	return f;
}

#define ELEM_E4M3_SAT_FIRST 0x43e80001u /* nextafter(464, inf) */
#define ELEM_E5M2_SAT_FIRST 0x47700000u /* 61440 */
#define ELEM_E2M1_SAT_FIRST 0x40e00000u /* 7 */
#define ELEM_F32_INF 0x7f800000u

/* The magnitude code (no sign) of |v|'s bits a, rounded to a float format
 * with M mantissa bits and bias B, for a below its saturation point. */
/* All ones if c, else 0: selects written as masks, because GCC's -O2
 * vectoriser gives up on loops with conditional expressions in them. */
static inline uint32_t elem_mask(int c)
{
	return 0u - (uint32_t)c;
}

static inline uint32_t elem_select(uint32_t mask, uint32_t a, uint32_t b)
{
	return (a & mask) | (b & ~mask);
}

static inline uint32_t elem_round(uint32_t a, int M, int B)
{
	/* 2^(1 - B - M + 23): its float32 ulp is the target's subnormal step */
	const uint32_t magic = (uint32_t)((127 - B) + (23 - M) + 1) << 23;
	uint32_t sub = elem_bits(elem_float(a) + elem_float(magic)) - magic;
	uint32_t odd = (a >> (23 - M)) & 1u;
	uint32_t nrm = (a - ((uint32_t)(127 - B) << 23) + ((1u << (22 - M)) - 1u) + odd) >> (23 - M);
	return elem_select(elem_mask(a < ((uint32_t)(128 - B) << 23)), sub, nrm);
}

/* fp8 e4m3 (OCP "fn": no inf, NaN S.1111.111, max 448). */
static inline uint8_t elem_e4m3_sat(float v)
{
	uint32_t u = elem_bits(v), a = u & 0x7fffffffu;
	uint32_t c = elem_round(a, 3, 7);
	c = elem_select(elem_mask(a >= ELEM_E4M3_SAT_FIRST), 0x7eu, c);
	c |= elem_mask(a > ELEM_F32_INF) & 0x7fu;
	return (uint8_t)((u >> 24 & 0x80u) | c);
}

/* fp8 e5m2 (IEEE-like, max 57344). */
static inline uint8_t elem_e5m2_sat(float v)
{
	uint32_t u = elem_bits(v), a = u & 0x7fffffffu;
	uint32_t c = elem_round(a, 2, 15);
	c = elem_select(elem_mask(a >= ELEM_E5M2_SAT_FIRST), 0x7bu, c);
	c = elem_select(elem_mask(a > ELEM_F32_INF), 0x7eu | (a >> 21 & 1u), c);
	return (uint8_t)((u >> 24 & 0x80u) | c);
}

/* fp4 e2m1 (no inf, no NaN, max 6), as a 4-bit code. */
static inline uint8_t elem_e2m1_sat(float v)
{
	uint32_t u = elem_bits(v), a = u & 0x7fffffffu;
	uint32_t c = elem_round(a, 1, 1);
	c = elem_select(elem_mask(a >= ELEM_E2M1_SAT_FIRST), 0x7u, c);
	c |= u >> 28 & 0x8u;
	c &= ~elem_mask(a > ELEM_F32_INF);
	return (uint8_t)c;
}

/* Whether |v| (not NaN) rounds beyond the format's largest finite value. */
static inline int elem_saturates(float v, uint32_t sat_first)
{
	uint32_t a = elem_bits(v) & 0x7fffffffu;
	return (a >= sat_first) & (a <= ELEM_F32_INF);
}

/* Decode tables, filled once (thread-safe) by ql_elem_tables(). */
typedef struct elem_tables {
	float e4m3[256]; /* (float)ql_decode(QL_FP8_E4M3, c) */
	float e5m2[256]; /* (float)ql_decode(QL_FP8_E5M2, c) */
	float mx_e4m3[256]; /* MX element values (mx.c's reference decoder) */
	float mx_e2m1[16];
	float mx_int8[256];
} elem_tables;

const elem_tables *ql_elem_tables(void);

#endif
