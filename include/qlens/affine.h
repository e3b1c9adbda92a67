/* affine.h — PyTorch's affine integer quantization kernels (affine.c):
 * parameters from a range, quantize, dequantize, and the fused
 * quantize + dequantize + error sums that ql_quantize and the calibration
 * (calib.c) are built on. Conventions: the top of quant.h.
 */
#ifndef QLENS_AFFINE_H
#define QLENS_AFFINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "qlens/scheme.h"
#include "qlens/stats.h"

/* ---- Affine kernels (affine.c) ------------------------------------------ */

/* PyTorch's MinMaxObserver / PerChannelMinMaxObserver (reduce_range off,
 * eps = FLT_EPSILON) from a range [lo, hi], in float32:
 *   lo' = min(lo, 0), hi' = max(hi, 0)
 *   symmetric:  scale = max(-lo', hi') / ((qmax - qmin) / 2),
 *               zp = (qmin + qmax) / 2            (qmin + qmax is even here)
 *   asymmetric: scale = (hi' - lo') / (qmax - qmin),
 *               zp = clamp(qmin - rint(lo' / scale), qmin, qmax)
 *   and scale = max(scale, FLT_EPSILON). */
/* s rounded to the scale dtype (nearest even), kept a usable scale: a
 * value that would round to 0 becomes the type's smallest positive value,
 * one past its range its largest finite value. fp32: s itself. */
float ql_scale_round(float s, ql_scale_dtype d);

/* ql_qparams_from_range with the scale rounded to d first (and the zero
 * point computed from the rounded scale). */
void ql_qparams_from_range_sd(float lo, float hi, int32_t qmin, int32_t qmax, bool symmetric,
			      ql_scale_dtype d, float *scale, int32_t *zero_point);

void ql_qparams_from_range(float lo, float hi, int32_t qmin, int32_t qmax, bool symmetric,
			   float *scale, int32_t *zero_point);

/* q[i] = clamp(zp + rint(x[i] * (1.0f / scale)), qmin, qmax). Returns how
 * many were clipped (the clamp changed them). -128 <= qmin <= qmax <= 255
 * with the codes' type able to hold them. */
int64_t ql_affine_quantize_s8(const float *x, size_t n, float scale, int32_t zp,
			      int32_t qmin, int32_t qmax, int8_t *q);
int64_t ql_affine_quantize_u8(const float *x, size_t n, float scale, int32_t zp,
			      int32_t qmin, int32_t qmax, uint8_t *q);
/* y[i] = (q[i] - zp) * scale, in float32. */
void ql_affine_dequantize_s8(const int8_t *q, size_t n, float scale, int32_t zp, float *y);
void ql_affine_dequantize_u8(const uint8_t *q, size_t n, float scale, int32_t zp, float *y);
/* Quantize + dequantize + error sums in one pass: q as ql_affine_quantize_*;
 * y[i] = (q[i] - zp) * scale if y is not NULL; if acc is not NULL, adds to
 * it exactly (bit for bit) what ql_metrics_add(acc, x, y, n) would, but for
 * acc->clipped, left to the caller. Returns the count clipped. */
int64_t ql_affine_qdq_s8(const float *x, size_t n, float scale, int32_t zp, int32_t qmin,
			 int32_t qmax, int8_t *q, float *y, ql_metrics_acc *acc);
int64_t ql_affine_qdq_u8(const float *x, size_t n, float scale, int32_t zp, int32_t qmin,
			 int32_t qmax, uint8_t *q, float *y, ql_metrics_acc *acc);

/* Per channel along the LAST axis: element i of each row of C uses
 * scale[i] and zp[i] (zp may be NULL for 0). x is rows × C. */
int64_t ql_affine_quantize_rows_s8(const float *x, size_t rows, size_t c, const float *scale,
				   const int32_t *zp, int32_t qmin, int32_t qmax, int8_t *q);
int64_t ql_affine_quantize_rows_u8(const float *x, size_t rows, size_t c, const float *scale,
				   const int32_t *zp, int32_t qmin, int32_t qmax, uint8_t *q);

#endif
