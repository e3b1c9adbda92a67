/* quant_avx2.h — the int8/uint8 affine kernels and ql_quantize's block
 * loops written with AVX2 intrinsics, and the portable C kernels they must
 * equal (private to src/core).
 *
 * The public kernels of quant.h (ql_affine_quantize_s8/u8, ql_affine_qdq_s8/u8)
 * pick one of the two at run time: the AVX2 one when the CPU has AVX2 and
 * the zero point is small enough for both to be exact (|zp| <= 2^20, always
 * so for zero points ql_quantize makes), else the C one. Both give the same
 * codes, clipped counts, dequantized values and metric sums, bit for bit
 * (tests/test_simd.c checks it):
 *
 *   - the AVX2 code does x * inv, the clamp to [qmin - zp - 1, qmax - zp + 1]
 *     (maxps/minps select exactly as the C's `v > lo ? v : lo`, NaN and ±0
 *     included), cvtps2dq (round half to even under the default MXCSR, as
 *     the C's 1.5·2^23 trick is on that small range), + zp and the clamp in
 *     int32, packs with saturation;
 *   - dequantization is (q - zp) * scale, one float multiply either way;
 *   - the metric sums go into 4 double lanes in the order ql_metrics_add
 *     uses (element i into lane i % 4; FMA only where it is exact: see
 *     acc_avx2.h), flushed into the accumulator in lane order at the end
 *     of the call; with acc->eh, the error histogram counted in the same
 *     step, as ql_metrics_add counts it.
 *
 * The block kernels (Q8_0, Q4_0, NF4) equal blocks.c's / nf4.c's row
 * kernels followed by their dequantizers and ql_metrics_add, called as
 * ql_quantize's C path calls them (tests/test_blockspeed.c checks it): the
 * same float operations per element (x * id, the same selects, truncation
 * by cvttps2dq where the C casts), the scale through the same fp16
 * conversion, the sums in the lanes above flushed where the C path calls
 * ql_metrics_add.
 *
 * Elsewhere than x86-64 with GCC/Clang only the C kernels exist.
 */
#ifndef QLENS_CORE_QUANT_AVX2_H
#define QLENS_CORE_QUANT_AVX2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "qlens/blocks.h"
#include "qlens/nf4.h"
#include "qlens/scheme.h"
#include "qlens/format.h"
#include "qlens/stats.h"

#if defined(__x86_64__) && defined(__GNUC__)
#define QL_HAVE_AVX2_KERNELS 1
#else
#define QL_HAVE_AVX2_KERNELS 0
#endif

/* The largest |zero point| the AVX2 kernels take (beyond it the C kernel's
 * float arithmetic is no longer exact, and they would differ). */
#define QL_AVX2_MAX_ZP (1 << 20)

/* True when the AVX2 kernels are built, the CPU has AVX2, FMA (the fused
 * step of acc_avx2.h) and F16C (the Q8_0 row kernel converts its scales
 * with vcvtps2ph) and they are not switched off (ql_avx2_enable). */
bool ql_avx2_active(void);
/* Switches the AVX2 kernels off (false) or back on: for tests comparing the
 * two paths through ql_quantize. Not thread-safe against running kernels. */
void ql_avx2_enable(bool on);

/* The portable kernels (affine.c): the reference. */
int64_t ql_affine_quantize_s8_c(const float *x, size_t n, float scale, int32_t zp, int32_t qmin,
				int32_t qmax, int8_t *q);
int64_t ql_affine_quantize_u8_c(const float *x, size_t n, float scale, int32_t zp, int32_t qmin,
				int32_t qmax, uint8_t *q);
int64_t ql_affine_qdq_s8_c(const float *x, size_t n, float scale, int32_t zp, int32_t qmin,
			   int32_t qmax, int8_t *q, float *y, ql_metrics_acc *acc);
int64_t ql_affine_qdq_u8_c(const float *x, size_t n, float scale, int32_t zp, int32_t qmin,
			   int32_t qmax, uint8_t *q, float *y, ql_metrics_acc *acc);

/* NF4's thresholds (nf4.c): threshold i separates code i from code i + 1. */
extern const float ql_nf4_thresholds[15];

#if QL_HAVE_AVX2_KERNELS
/* The AVX2 kernels (quant_avx2.c). Call only when ql_avx2_active() and
 * |zp| <= QL_AVX2_MAX_ZP; same contract as the public kernels. */
int64_t ql_affine_quantize_s8_avx2(const float *x, size_t n, float scale, int32_t zp,
				   int32_t qmin, int32_t qmax, int8_t *q);
int64_t ql_affine_quantize_u8_avx2(const float *x, size_t n, float scale, int32_t zp,
				   int32_t qmin, int32_t qmax, uint8_t *q);
int64_t ql_affine_qdq_s8_avx2(const float *x, size_t n, float scale, int32_t zp, int32_t qmin,
			      int32_t qmax, int8_t *q, float *y, ql_metrics_acc *acc);
int64_t ql_affine_qdq_u8_avx2(const float *x, size_t n, float scale, int32_t zp, int32_t qmin,
			      int32_t qmax, uint8_t *q, float *y, ql_metrics_acc *acc);

/* ql_quantize_row_q8_0's bytes, nb blocks (any values): qrow_avx2.c. */
void ql_q8_0_row_avx2(const float *x, ql_block_q8_0 *blk, int64_t nb);
/* The same with the choice of streaming stores made by the caller (the
 * kernel above streams from 8 MB of output on): for the tests. */
void ql_q8_0_row_avx2_stream(const float *x, ql_block_q8_0 *blk, int64_t nb, bool stream);
/* ql_quantize_row_q4_0's bytes and clipped count, nb blocks (any values),
 * and the same with the choice of streaming stores given: qrow_avx2.c. */
int64_t ql_q4_0_row_avx2(const float *x, ql_block_q4_0 *blk, int64_t nb);
int64_t ql_q4_0_row_avx2_stream(const float *x, ql_block_q4_0 *blk, int64_t nb, bool stream);

/* Q8_0 over nb contiguous blocks of 32: ql_quantize's block loop, by way
 * of the row kernel's passes over chunks of blocks (qrow_avx2.c). The
 * range as ql_quantize's scan finds it (min and max in order, so a zero's
 * sign is the first zero's) into umin[i] and umax[i], -/+ max |x| into
 * clip_lo[i]/clip_hi[i], the raw block into blk[i], the 32 codes into
 * codes, the fp16 scale as a float into scales[i], the dequantized values
 * into y (or into a tile if y is NULL), and the metric sums into acc
 * (unless NULL), flushed every `flush` blocks and at the end as one
 * ql_metrics_add per run of `flush` blocks would (the error histogram
 * acc->eh, if any, counted too). Bit for bit ql_quantize_row_q8_0 +
 * ql_dequantize_row_q8_0 + ql_metrics_add. Returns nb, or the index of the
 * first block with a non-finite value (where it stops: that block's
 * outputs are not written). */
int64_t ql_q8_0_fused_avx2(const float *x, int64_t nb, ql_block_q8_0 *blk, int8_t *codes,
			   float *umin, float *umax, float *clip_lo, float *clip_hi, float *scales,
			   float *y, ql_metrics_acc *acc, int64_t flush);
/* The same for Q4_0 (ql_quantize_row_q4_0 + ql_dequantize_row_q4_0): codes
 * are the 4-bit values one a byte, and *clipped gets the number of codes
 * capped at 15. */
int64_t ql_q4_0_fused_avx2(const float *x, int64_t nb, ql_block_q4_0 *blk, uint8_t *codes,
			   float *umin, float *umax, float *clip_lo, float *clip_hi, float *scales,
			   float *y, ql_metrics_acc *acc, int64_t flush, int64_t *clipped);
/* The same for NF4 blocks of 64 (ql_nf4_quantize + ql_nf4_dequantize, the
 * codes packed two a byte, the first in the high nibble, into packed[32 i]):
 * scales[i] is the block's absmax. The range is the one scan_span gives
 * a span of 64 (16 lanes merged in lane order: a zero's sign follows). */
int64_t ql_nf4_blocks_avx2(const float *x, int64_t nb, uint8_t *packed, uint8_t *codes,
			   float *umin, float *umax, float *clip_lo, float *clip_hi, float *scales,
			   float *y, ql_metrics_acc *acc, int64_t flush);
/* MX codes only (qelem_avx2.c): nb blocks of 32 of t (QL_Q_MXFP4, _MXFP8,
 * _MXINT8) as ql_mx_quantize makes them, the ranges as for Q8_0 above, the
 * raw blocks (e8m0, then the codes: fp4 two a byte, j low and j + 16 high)
 * into raw, the codes one a byte into codes, 2^shared_exp into scales[i]
 * and the saturated count into *saturated. Returns nb, or the index of the
 * first block with a non-finite value (its outputs not written). */
int64_t ql_mx_codes_avx2(ql_qdtype t, const float *x, int64_t nb, uint8_t *raw, uint8_t *codes,
			 float *umin, float *umax, float *clip_lo, float *clip_hi, float *scales,
			 int64_t *saturated);
/* The same and the dequantized values into y (nb * 32 floats), as
 * ql_mx_dequantize gives them from those codes and scales (qelem_avx2.c). */
int64_t ql_mx_qdq_avx2(ql_qdtype t, const float *x, int64_t nb, uint8_t *raw, uint8_t *codes,
		       float *umin, float *umax, float *clip_lo, float *clip_hi, float *scales,
		       int64_t *saturated, float *y);
/* The element codes of x[i] * inv, i < n rounded down to a multiple of 32
 * (the caller does the rest), for fmt QL_FP8_E4M3, QL_FP8_E5M2 or
 * QL_FP4_E2M1: elem.h's elem_e4m3_sat / elem_e5m2_sat / elem_e2m1_sat of
 * each, bit for bit, any float included; returns how many elem_saturates
 * counts (qelem_avx2.c). */
int64_t ql_fp_codes_avx2(ql_type fmt, const float *x, size_t n, float inv, uint8_t *codes);
/* For fmt QL_FP8_E4M3 or QL_FP8_E5M2 and a scale: ql_float_quantize's codes
 * of x[0..n) (n rounded down to a multiple of 32, the caller does the
 * rest), and their values as ql_float_dequantize makes them into y;
 * returns the saturated count (qelem_avx2.c). */
int64_t ql_fp8_qdq_avx2(ql_type fmt, const float *x, size_t n, float scale, uint8_t *codes,
			float *y);
/* The codes of k groups of 32 (group b at x + 32 b, scale scales[b], zero
 * point zps[b] or 0, |zp| <= QL_AVX2_MAX_ZP) into q, one byte each (int8_t
 * if is_signed): ql_affine_quantize_s8_avx2 / _u8_avx2 of each group, bit
 * for bit, in one call (qelem_avx2.c); and, unless y is NULL, their
 * dequantized values into y as ql_affine_dequantize_s8 / _u8 makes them.
 * Returns the clipped count. */
int64_t ql_affine_groups32_avx2(bool is_signed, const float *x, int64_t k, const float *scales,
				const int32_t *zps, int32_t qmin, int32_t qmax, uint8_t *q, float *y);
/* Integer targets in groups: from each of k groups' ranges umin/umax (k a
 * multiple of 8), its clipping range (symmetric: -/+ the larger magnitude)
 * into clip_lo/clip_hi, its scale and, if zps, its zero point, as
 * ql_qp_unit_params makes them with fp32 scales (ql_qparams_from_range_sd),
 * bit for bit. */
void ql_group_params_avx2(const float *umin, const float *umax, int64_t k, bool sym,
			  int32_t qmin, int32_t qmax, float *clip_lo, float *clip_hi, float *scales,
			  int32_t *zps);
/* Channels along the last axis (qelem_avx2.c): the per-column running
 * min/max of rows [0, rows) of c columns, columns [0, c8) (c8 a multiple of
 * 8), as quantize_scan.c's by_rows scan updates them; returns the count of
 * non-finite values. */
int64_t ql_rows_range_avx2(const float *x, int64_t rows, int64_t c, int64_t c8, float *mn,
			   float *mx);
/* The codes (ql_cols_span_s8 / _u8's, one byte each) and dequantized values
 * ((q - zp) * scale, as quantize_units.c's quant_cols makes them) of w
 * values (a multiple of 32), value j with column j's parameters inv[j] and
 * zpf[j] (ql_col_params; its lo and hi are made from zpf here, the same
 * floats) and scale sc[j]. Returns the clipped count. */
int64_t ql_cols_qdq_avx2(bool is_signed, const float *x, int64_t w, const float *inv,
			 const float *zpf, const float *sc, int32_t qmin, int32_t qmax, uint8_t *q,
			 float *y);
/* One ql_metrics_add of x[0..n) against y (n a multiple of 8): the sums,
 * and the error histogram if acc->eh, by acc_avx2.h's one step (qelem_avx2.c). */
void ql_tile_acc_avx2(ql_metrics_acc *acc, const float *x, const float *y, int64_t n);
/* The ranges of nb blocks of 32 (as for Q8_0 above). Returns nb, or the
 * index of the first block with a non-finite value. */
int64_t ql_block_ranges_avx2(const float *x, int64_t nb, float *umin, float *umax,
			     float *clip_lo, float *clip_hi);
/* ql_metrics_add (and acc->eh) in acc_avx2.h's one step, any n. */
void ql_metrics_add_avx2(ql_metrics_acc *acc, const float *x, const float *y, size_t n);
#endif

#endif
