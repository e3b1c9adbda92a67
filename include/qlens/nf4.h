/* nf4.h — bitsandbytes' NF4 (nf4.c). */
#ifndef QLENS_NF4_H
#define QLENS_NF4_H

#include <stdint.h>

/* ---- NF4 (nf4.c) ---------------------------------------------------------- */

#define QL_NF4_BLOCK 64

/* bitsandbytes' quantize_4bit(quant_type="nf4", blocksize=64): per block of
 * 64 (the last may be shorter), absmax = max |x|, each x * (1 / absmax)
 * mapped to the nearest NF4 level by bnb's thresholds (dQuantizeNF4).
 * codes[n] are 0..15; absmax[ceil(n / 64)]. */
void ql_nf4_quantize(const float *x, int64_t n, uint8_t *codes, float *absmax);
/* The same, one value at a time as bnb's loop reads (to check it against). */
void ql_nf4_quantize_ref(const float *x, int64_t n, uint8_t *codes, float *absmax);
void ql_nf4_dequantize(const uint8_t *codes, const float *absmax, int64_t n, float *y);
/* The NF4 code of a value normalised to [-1, 1]. */
uint8_t ql_nf4_code(float v);

#endif
