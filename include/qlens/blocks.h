/* blocks.h — llama.cpp's Q8_0 ... Q5_1 blocks and their row kernels
 * (blocks.c); the table that drives them is blockfmt.h.
 */
#ifndef QLENS_BLOCKS_H
#define QLENS_BLOCKS_H

#include <assert.h>
#include <stdint.h>

/* ---- llama.cpp blocks (blocks.c) ---------------------------------------- */
/* Byte layouts of ggml's ggml-common.h. fp16 fields are IEEE binary16 bits,
 * little-endian in files (these structs are used on little-endian hosts). */

#define QL_QK8_0 32
#define QL_QK4_0 32
#define QL_QK4_1 32
#define QL_QK5_0 32
#define QL_QK5_1 32

typedef struct ql_block_q8_0 {
	uint16_t d;              /* scale, fp16: absmax / 127 */
	int8_t qs[QL_QK8_0];     /* value = qs[j] * d */
} ql_block_q8_0;
static_assert(sizeof(ql_block_q8_0) == 2 + QL_QK8_0, "wrong q8_0 block size");

typedef struct ql_block_q4_0 {
	uint16_t d;              /* scale, fp16: (value of largest magnitude) / -8 */
	uint8_t qs[QL_QK4_0 / 2]; /* element j in the low nibble of qs[j], j + 16 in
	                            the high one; value = (nibble - 8) * d */
} ql_block_q4_0;
static_assert(sizeof(ql_block_q4_0) == 2 + QL_QK4_0 / 2, "wrong q4_0 block size");

typedef struct ql_block_q4_1 {
	uint16_t d;              /* scale, fp16 */
	uint16_t m;              /* minimum, fp16; value = nibble * d + m */
	uint8_t qs[QL_QK4_1 / 2]; /* nibbles as in q4_0 */
} ql_block_q4_1;
static_assert(sizeof(ql_block_q4_1) == 4 + QL_QK4_1 / 2, "wrong q4_1 block size");

typedef struct ql_block_q5_0 {
	uint16_t d;              /* scale, fp16 */
	uint8_t qh[4];           /* 5th bits: bit j of the little-endian uint32 is
	                            element j's, bit j + 16 element j + 16's */
	uint8_t qs[QL_QK5_0 / 2]; /* low 4 bits as in q4_0; value = (q - 16) * d */
} ql_block_q5_0;
static_assert(sizeof(ql_block_q5_0) == 2 + 4 + QL_QK5_0 / 2, "wrong q5_0 block size");

typedef struct ql_block_q5_1 {
	uint16_t d;              /* scale, fp16 */
	uint16_t m;              /* minimum, fp16; value = q * d + m */
	uint8_t qh[4];           /* 5th bits as in q5_0 */
	uint8_t qs[QL_QK5_1 / 2]; /* low 4 bits as in q4_0 */
} ql_block_q5_1;
static_assert(sizeof(ql_block_q5_1) == 4 + 4 + QL_QK5_1 / 2, "wrong q5_1 block size");

/* IEEE binary16 <-> float32, round to nearest even (what ggml's
 * GGML_FP32_TO_FP16 does for finite values). */
uint16_t ql_fp16_from_f32(float f);
float ql_f32_from_fp16(uint16_t h);

/* ggml's quantize_row_q8_0_ref / quantize_row_q4_0_ref, byte for byte.
 * k must be a multiple of 32. Return the count clipped (Q4_0's code 16
 * clamped to 15; Q8_0 never clips). */
int64_t ql_quantize_row_q8_0(const float *x, ql_block_q8_0 *y, int64_t k);
int64_t ql_quantize_row_q4_0(const float *x, ql_block_q4_0 *y, int64_t k);
/* The same written as ggml's reference reads (the scalar loops, roundf):
 * kept to check the fast ones against, byte for byte. */
int64_t ql_quantize_row_q8_0_ref(const float *x, ql_block_q8_0 *y, int64_t k);
int64_t ql_quantize_row_q4_0_ref(const float *x, ql_block_q4_0 *y, int64_t k);
/* ggml's dequantize_row_*: k values (a multiple of 32) from k / 32 blocks. */
void ql_dequantize_row_q8_0(const ql_block_q8_0 *x, float *y, int64_t k);
void ql_dequantize_row_q4_0(const ql_block_q4_0 *x, float *y, int64_t k);
void ql_dequantize_row_q4_1(const ql_block_q4_1 *x, float *y, int64_t k);
void ql_dequantize_row_q5_0(const ql_block_q5_0 *x, float *y, int64_t k);
void ql_dequantize_row_q5_1(const ql_block_q5_1 *x, float *y, int64_t k);

#endif
