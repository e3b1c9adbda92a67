/* mx.h — the OCP microscaling formats MXFP8, MXFP4, MXINT8 (mx.c). */
#ifndef QLENS_MX_H
#define QLENS_MX_H

#include <stdint.h>
#include "qlens/scheme.h"

/* ---- OCP microscaling (mx.c) --------------------------------------------- */

#define QL_MX_BLOCK 32

/* Quantizes n values (blocks of 32; the last may be shorter) of an MX target
 * (QL_Q_MXFP8, QL_Q_MXFP4, QL_Q_MXINT8), as the OCP MX v1.0 spec and its
 * reference code (microsoft/microxcaling) do: per block,
 *   shared_exp = floor(log2(absmax)) - emax_elem, clamped to [-127, 127]
 *   (absmax 0 counts as 2^-126, as in the reference), scale = 2^shared_exp
 *   stored as e8m0;
 *   element = x / scale rounded to nearest even on the element grid
 *   (subnormals kept) and saturated to ±max_elem.
 * codes[n]: fp8/fp4 bit patterns, or int8 (k meaning k / 64) as int8_t.
 * e8m0[ceil(n / 32)]: the scale codes. Returns the count saturated. */
int64_t ql_mx_quantize(ql_qdtype t, const float *x, int64_t n, uint8_t *codes, uint8_t *e8m0);
/* The same, as the reference code reads (libm per element): slow, kept to
 * check the fast one against (bit-identical for finite x). */
int64_t ql_mx_quantize_ref(ql_qdtype t, const float *x, int64_t n, uint8_t *codes, uint8_t *e8m0);
void ql_mx_dequantize(ql_qdtype t, const uint8_t *codes, const uint8_t *e8m0, int64_t n, float *y);
/* Element value of one code (without the block scale). */
float ql_mx_elem_value(ql_qdtype t, uint8_t code);
/* The shared exponent ql_mx_quantize gives a block of absmax amax (finite,
 * >= 0), before the + 127 of its e8m0 code. */
int ql_mx_shared_exp(ql_qdtype t, float amax);
/* What ql_mx_quantize computes floor(log2f(a)) from, for the SIMD kernels:
 * entry e (1..254) is the smallest float32 bit pattern with exponent field e
 * whose log2f rounds up to e - 126 (floor(log2f(a)) = e - 127 + (bits >=
 * entry)); made once. */
const uint32_t *ql_mx_log2_up(void);
/* 2^(e - 127) as a float (e8m0 0xFF, NaN, gives NaN). */
float ql_e8m0_to_f32(uint8_t e);

#endif
