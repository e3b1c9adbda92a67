/* deq_avx2.h — every dequantizer written with AVX2 intrinsics
 * (deq_avx2.c, deq_avx2_lut.c; shared helpers in deq_avx2_impl.h),
 * private to src/core.
 *
 * The public dequantizers (ql_dequantize_row_* of blocks.h and
 * ggml_blocks.h, ql_nf4_dequantize, ql_mx_dequantize) call these when
 * ql_deq_avx2_active(); their portable C stays the reference. Both give the
 * same floats, bit for bit (tests/test_deq_simd.c checks every format on
 * random and edge-case blocks), because every value is the same float
 * expression evaluated in the same order:
 *
 *   - the scales are computed per block with the reference's own
 *     expressions (fp16 by F16C, exact; e8m0 and ue4m3 scales from tables
 *     filled by the reference's own converters);
 *   - a code becomes an int32 (exact), then a float by cvtdq2ps (exact: all
 *     codes and levels are small integers), then one multiply, and where
 *     the reference subtracts or adds a minimum, one separate subtract or
 *     add (this file is compiled for "avx2" alone, no "fma", so nothing is
 *     fused);
 *   - the products keep the reference's pairing: Q6_K's (d * sc) * q, the
 *     k-quants' sub-block scales d * sc and mins dmin * m in scalar first.
 *
 * Outputs of at least QL_DEQ_STREAM_BYTES go out with non-temporal stores
 * (they would only evict the input from the cache), followed by an sfence;
 * smaller ones (ql_quantize's tiles, a TUI screen's block) with ordinary
 * stores, so they stay in cache for whoever reads them next.
 */
#ifndef QLENS_CORE_DEQ_AVX2_H
#define QLENS_CORE_DEQ_AVX2_H

#include <stdbool.h>
#include <stdint.h>

#include "quant_avx2.h"
#include "qlens/blocks.h"
#include "qlens/ggml_blocks.h"
#include "qlens/mx.h"

/* Outputs from this size on (bytes) are written with streaming stores. */
#define QL_DEQ_STREAM_BYTES ((int64_t)4 << 20)

#if QL_HAVE_AVX2_KERNELS
/* True when these kernels may run: ql_avx2_active() (so ql_avx2_enable
 * switches them off too) and the CPU has F16C (every AVX2 CPU made has). */
bool ql_deq_avx2_active(void);

/* Same contract as the public function of the same name without _avx2;
 * call only when ql_deq_avx2_active(). */
void ql_dequantize_row_q8_0_avx2(const ql_block_q8_0 *x, float *y, int64_t k);
void ql_dequantize_row_q4_0_avx2(const ql_block_q4_0 *x, float *y, int64_t k);
void ql_dequantize_row_q4_1_avx2(const ql_block_q4_1 *x, float *y, int64_t k);
void ql_dequantize_row_q5_0_avx2(const ql_block_q5_0 *x, float *y, int64_t k);
void ql_dequantize_row_q5_1_avx2(const ql_block_q5_1 *x, float *y, int64_t k);
void ql_dequantize_row_q2_k_avx2(const ql_block_q2_k *x, float *y, int64_t k);
void ql_dequantize_row_q3_k_avx2(const ql_block_q3_k *x, float *y, int64_t k);
void ql_dequantize_row_q4_k_avx2(const ql_block_q4_k *x, float *y, int64_t k);
void ql_dequantize_row_q5_k_avx2(const ql_block_q5_k *x, float *y, int64_t k);
void ql_dequantize_row_q6_k_avx2(const ql_block_q6_k *x, float *y, int64_t k);
void ql_dequantize_row_q8_k_avx2(const ql_block_q8_k *x, float *y, int64_t k);
void ql_dequantize_row_iq4_nl_avx2(const ql_block_iq4_nl *x, float *y, int64_t k);
void ql_dequantize_row_iq4_xs_avx2(const ql_block_iq4_xs *x, float *y, int64_t k);
void ql_dequantize_row_tq1_0_avx2(const ql_block_tq1_0 *x, float *y, int64_t k);
void ql_dequantize_row_tq2_0_avx2(const ql_block_tq2_0 *x, float *y, int64_t k);
void ql_dequantize_row_mxfp4_avx2(const ql_block_mxfp4 *x, float *y, int64_t k);
void ql_dequantize_row_nvfp4_avx2(const ql_block_nvfp4 *x, float *y, int64_t k);
void ql_nf4_dequantize_avx2(const uint8_t *codes, const float *absmax, int64_t n, float *y);
void ql_mx_dequantize_avx2(ql_qdtype t, const uint8_t *codes, const uint8_t *e8m0, int64_t n,
			   float *y);
#endif

#endif
