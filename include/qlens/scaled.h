/* scaled.h — scaled-float kernels (scaled.c): a float format (fp8 e4m3,
 * e5m2) times one float32 scale, as torchao's float8 per-tensor recipe.
 */
#ifndef QLENS_SCALED_H
#define QLENS_SCALED_H

#include <stddef.h>
#include <stdint.h>
#include "qlens/format.h"

/* Scaled float targets (fp8): code = encode(x * (1.0f / scale)) rounded to
 * nearest even and saturated to ±max of the format; value = decode(code) *
 * scale. Returns the count saturated. */
int64_t ql_float_quantize(ql_type fmt, const float *x, size_t n, float scale, uint8_t *codes);
/* The same through ql_encode, value by value (the reference for the fast
 * encoders; identical codes and count for every input, NaN and inf too). */
int64_t ql_float_quantize_ref(ql_type fmt, const float *x, size_t n, float scale, uint8_t *codes);
void ql_float_dequantize(ql_type fmt, const uint8_t *codes, size_t n, float scale, float *y);

#endif
