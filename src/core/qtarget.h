/* qtarget.h — the behaviour the type table of scheme.c points to (private to
 * src/core): quantizing one block unit, dequantizing a whole result,
 * describing a scheme, and the driver's fused AVX2 loops over whole blocks.
 * These get their table entry as an argument and call nothing in scheme.c
 * (no call cycle with the table). qtarget.c has the per-kind functions, quantize_fast.c the fused loops,
 * scheme.c the describe functions.
 */
#ifndef QLENS_CORE_QTARGET_H
#define QLENS_CORE_QTARGET_H

#include "qlens/quantize.h"
#include "qlens/scheme.h"

void ql_qt_block_mx(const ql_qdtype_info *t, const struct ql_block_traits *bf, const float *x,
		    int64_t len, ql_qunit *u);
void ql_qt_block_nf4(const ql_qdtype_info *t, const struct ql_block_traits *bf, const float *x,
		     int64_t len, ql_qunit *u);
/* Any block format of blockfmt.h, through its row functions. */
void ql_qt_block_ggml(const ql_qdtype_info *t, const struct ql_block_traits *bf, const float *x,
		      int64_t len, ql_qunit *u);

/* Affine and scaled-float results: codes times their unit's scale. */
void ql_qt_dequantize_scaled(const ql_qdtype_info *t, const ql_qresult *r, float *out);
void ql_qt_dequantize_mx(const ql_qdtype_info *t, const ql_qresult *r, float *out);
void ql_qt_dequantize_nf4(const ql_qdtype_info *t, const ql_qresult *r, float *out);
void ql_qt_dequantize_ggml(const ql_qdtype_info *t, const ql_qresult *r, float *out);

int ql_qt_describe_block(const ql_scheme *s, char *buf, size_t n);
int ql_qt_describe_scaled(const ql_scheme *s, char *buf, size_t n);

/* The fused loops (quantize_fast.c); plan is the driver's qplan. */
bool ql_qt_fast_q8_0(void *plan, int64_t u0, int64_t u1, ql_metrics_acc *acc);
bool ql_qt_fast_q4_0(void *plan, int64_t u0, int64_t u1, ql_metrics_acc *acc);
bool ql_qt_fast_nf4(void *plan, int64_t u0, int64_t u1, ql_metrics_acc *acc);
bool ql_qt_fast_mx(void *plan, int64_t u0, int64_t u1, ql_metrics_acc *acc);
bool ql_qt_fast_int_groups(void *plan, int64_t u0, int64_t u1, ql_metrics_acc *acc);

#endif
