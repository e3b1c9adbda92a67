/* affine_cols.h — the per-column affine kernels of affine.c that the driver
 * uses for channels along the last axis (private to src/core).
 */
#ifndef QLENS_CORE_AFFINE_COLS_H
#define QLENS_CORE_AFFINE_COLS_H

#include <stddef.h>
#include <stdint.h>

/* Per-column parameters of the row kernels: 1/scale, zero point and the
 * pre-clamp bounds of each column. */
typedef struct ql_col_params {
	float *inv, *zpf, *lo, *hi;
} ql_col_params;

/* Fills p's first n columns from the scales and zero points (zp may be NULL). */
void ql_col_params_fill(const ql_col_params *p, const float *scale, const int32_t *zp, size_t n,
			int32_t qmin, int32_t qmax);

/* Codes of one row of w columns, column j using p's column c0 + j. Returns
 * the count clipped. */
int64_t ql_cols_span_s8(const float *x, size_t w, const ql_col_params *p, size_t c0, float qminf,
			float qmaxf, int8_t *q);
int64_t ql_cols_span_u8(const float *x, size_t w, const ql_col_params *p, size_t c0, float qminf,
			float qmaxf, uint8_t *q);

#endif
