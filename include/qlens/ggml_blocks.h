/* ggml_blocks.h — the rest of ggml's block formats: the quantizers of Q4_1,
 * Q5_0 and Q5_1, the k-quants (Q2_K ... Q6_K, Q8_K), IQ4_NL and IQ4_XS, the
 * ternary TQ1_0 and TQ2_0, and ggml's own MXFP4 and NVFP4.
 *
 * Each format is a block struct laid out byte for byte as ggml's
 * ggml-common.h (its size checked by static_assert), a quantize_row_*_ref
 * that gives ggml's quantize_row_*_ref bytes (no importance matrix), and a
 * dequantize_row_* that gives ggml's floats bit for bit. k is a multiple of
 * the block length; row functions read or write k / block blocks. The
 * quantizers return how many codes were clamped (0 where ggml's code has no
 * clamp to count). The code follows ggml's reference loops operation for
 * operation (same float operations in the same order, float32 throughout,
 * no fused multiply-add), which is what makes the bytes equal; where ggml's
 * C leaves a result to the hardware (a float-to-int conversion out of range,
 * lroundf of NaN) qlens spells out what x86-64 gives, without undefined
 * behaviour. tests/golden/ggml_blocks/README says what was checked how.
 *
 * fp16 fields are IEEE binary16 bits; the structs are for little-endian
 * hosts, as ggml's are. The table of these formats is blockfmt.c.
 */
#ifndef QLENS_GGML_BLOCKS_H
#define QLENS_GGML_BLOCKS_H

#include <assert.h>
#include <stdint.h>

#include "qlens/blocks.h"

#define QL_QK_K 256      /* elements per k-quant super-block */
#define QL_K_SCALE_SIZE 12
#define QL_QK4_NL 32
#define QL_QK_MXFP4 32
#define QL_QK_NVFP4 64
#define QL_QK_NVFP4_SUB 16

/* ---- k-quants (kquants.c) ------------------------------------------------- */

/* Q2_K: 16 sub-blocks of 16; value = d * (sc & 15) * q - dmin * (sc >> 4). */
typedef struct ql_block_q2_k {
	uint8_t scales[QL_QK_K / 16]; /* low nibble: sub-block scale, high: its min */
	uint8_t qs[QL_QK_K / 4];      /* 2-bit codes, four per byte */
	uint16_t d;                   /* fp16: super-block scale of the scales */
	uint16_t dmin;                /* fp16: super-block scale of the mins */
} ql_block_q2_k;
static_assert(sizeof(ql_block_q2_k) == 4 + QL_QK_K / 16 + QL_QK_K / 4, "wrong q2_k block size");

/* Q3_K: 16 sub-blocks of 16; value = d * (scale - 32) * (q - 4), q 3 bits. */
typedef struct ql_block_q3_k {
	uint8_t hmask[QL_QK_K / 8];   /* third bit of each code (set: no -4) */
	uint8_t qs[QL_QK_K / 4];      /* low 2 bits of each code */
	uint8_t scales[12];           /* 16 six-bit scales, biased by 32 */
	uint16_t d;                   /* fp16: super-block scale */
} ql_block_q3_k;
static_assert(sizeof(ql_block_q3_k) == 2 + QL_QK_K / 4 + QL_QK_K / 8 + 12, "wrong q3_k block size");

/* Q4_K: 8 sub-blocks of 32; value = d * sc * q - dmin * m, q 4 bits. */
typedef struct ql_block_q4_k {
	uint16_t d;                   /* fp16: super-block scale of the scales */
	uint16_t dmin;                /* fp16: super-block scale of the mins */
	uint8_t scales[QL_K_SCALE_SIZE]; /* 8 six-bit scales and 8 six-bit mins */
	uint8_t qs[QL_QK_K / 2];      /* nibbles: 32 low then 32 high per 64 */
} ql_block_q4_k;
static_assert(sizeof(ql_block_q4_k) == 4 + QL_K_SCALE_SIZE + QL_QK_K / 2, "wrong q4_k block size");

/* Q5_K: as Q4_K with a fifth bit per code. */
typedef struct ql_block_q5_k {
	uint16_t d;
	uint16_t dmin;
	uint8_t scales[QL_K_SCALE_SIZE];
	uint8_t qh[QL_QK_K / 8];      /* fifth bits: bit 2i / 2i+1 for 64-group i */
	uint8_t qs[QL_QK_K / 2];      /* low 4 bits as Q4_K */
} ql_block_q5_k;
static_assert(sizeof(ql_block_q5_k) == 4 + QL_K_SCALE_SIZE + QL_QK_K / 2 + QL_QK_K / 8,
	      "wrong q5_k block size");

/* Q6_K: 16 sub-blocks of 16; value = d * scale * (q - 32), q 6 bits. */
typedef struct ql_block_q6_k {
	uint8_t ql[QL_QK_K / 2];      /* low 4 bits */
	uint8_t qh[QL_QK_K / 4];      /* high 2 bits */
	int8_t scales[QL_QK_K / 16];  /* int8 sub-block scales */
	uint16_t d;                   /* fp16: super-block scale */
} ql_block_q6_k;
static_assert(sizeof(ql_block_q6_k) == 2 + QL_QK_K / 16 + 3 * QL_QK_K / 4, "wrong q6_k block size");

/* Q8_K: ggml's intermediate for dot products; a float32 scale. */
typedef struct ql_block_q8_k {
	float d;                      /* float32 scale: max / -127 (signed) */
	int8_t qs[QL_QK_K];
	int16_t bsums[QL_QK_K / 16];  /* sum of each 16 codes */
} ql_block_q8_k;
static_assert(sizeof(ql_block_q8_k) == 4 + QL_QK_K + QL_QK_K / 16 * 2, "wrong q8_k block size");

int64_t ql_quantize_row_q2_k_ref(const float *x, ql_block_q2_k *y, int64_t k);
int64_t ql_quantize_row_q3_k_ref(const float *x, ql_block_q3_k *y, int64_t k);
int64_t ql_quantize_row_q4_k_ref(const float *x, ql_block_q4_k *y, int64_t k);
int64_t ql_quantize_row_q5_k_ref(const float *x, ql_block_q5_k *y, int64_t k);
int64_t ql_quantize_row_q6_k_ref(const float *x, ql_block_q6_k *y, int64_t k);
int64_t ql_quantize_row_q8_k_ref(const float *x, ql_block_q8_k *y, int64_t k);
/* The same bytes, faster (kq_fast.c's searches). */
int64_t ql_quantize_row_q2_k(const float *x, ql_block_q2_k *y, int64_t k);
int64_t ql_quantize_row_q4_k(const float *x, ql_block_q4_k *y, int64_t k);
int64_t ql_quantize_row_q5_k(const float *x, ql_block_q5_k *y, int64_t k);
int64_t ql_quantize_row_q6_k(const float *x, ql_block_q6_k *y, int64_t k);
void ql_dequantize_row_q2_k(const ql_block_q2_k *x, float *y, int64_t k);
void ql_dequantize_row_q3_k(const ql_block_q3_k *x, float *y, int64_t k);
void ql_dequantize_row_q4_k(const ql_block_q4_k *x, float *y, int64_t k);
void ql_dequantize_row_q5_k(const ql_block_q5_k *x, float *y, int64_t k);
void ql_dequantize_row_q6_k(const ql_block_q6_k *x, float *y, int64_t k);
void ql_dequantize_row_q8_k(const ql_block_q8_k *x, float *y, int64_t k);

/* ---- Q4_1, Q5_0, Q5_1 quantizers (legacy_q.c; blocks in quant.h) ------------ */

int64_t ql_quantize_row_q4_1_ref(const float *x, ql_block_q4_1 *y, int64_t k);
int64_t ql_quantize_row_q5_0_ref(const float *x, ql_block_q5_0 *y, int64_t k);
int64_t ql_quantize_row_q5_1_ref(const float *x, ql_block_q5_1 *y, int64_t k);

/* ---- IQ4 (iq4.c) ------------------------------------------------------------ */

/* The 16 non-linear levels of IQ4_NL and IQ4_XS (ggml's kvalues_iq4nl). */
extern const int8_t ql_iq4nl_values[16];

typedef struct ql_block_iq4_nl {
	uint16_t d;                   /* fp16 scale; value = d * levels[q] */
	uint8_t qs[QL_QK4_NL / 2];    /* element j low nibble, j + 16 high */
} ql_block_iq4_nl;
static_assert(sizeof(ql_block_iq4_nl) == 2 + QL_QK4_NL / 2, "wrong iq4_nl block size");

typedef struct ql_block_iq4_xs {
	uint16_t d;                   /* fp16 super-block scale */
	uint16_t scales_h;            /* high 2 bits of the 8 sub-block scales */
	uint8_t scales_l[QL_QK_K / 64]; /* low 4 bits of the 8 sub-block scales */
	uint8_t qs[QL_QK_K / 2];      /* per 32: element j low nibble, j + 16 high */
} ql_block_iq4_xs;
static_assert(sizeof(ql_block_iq4_xs) == 4 + QL_QK_K / 64 + QL_QK_K / 2, "wrong iq4_xs block size");

int64_t ql_quantize_row_iq4_nl_ref(const float *x, ql_block_iq4_nl *y, int64_t k);
int64_t ql_quantize_row_iq4_xs_ref(const float *x, ql_block_iq4_xs *y, int64_t k);
int64_t ql_quantize_row_iq4_nl(const float *x, ql_block_iq4_nl *y, int64_t k); /* faster */
int64_t ql_quantize_row_iq4_xs(const float *x, ql_block_iq4_xs *y, int64_t k); /* faster */
void ql_dequantize_row_iq4_nl(const ql_block_iq4_nl *x, float *y, int64_t k);
void ql_dequantize_row_iq4_xs(const ql_block_iq4_xs *x, float *y, int64_t k);

/* ---- ternary (tquants.c) ---------------------------------------------------- */

/* TQ1_0: 1.6875 bits per weight; 5 trits per byte (base 3, 3^5 = 243 < 256),
 * the last 16 values 4 per byte. value = (trit - 1) * d. */
typedef struct ql_block_tq1_0 {
	uint8_t qs[(QL_QK_K - 4 * QL_QK_K / 64) / 5]; /* 48 bytes: 240 trits */
	uint8_t qh[QL_QK_K / 64];     /* 4 bytes: 16 trits */
	uint16_t d;                   /* fp16: absmax */
} ql_block_tq1_0;
static_assert(sizeof(ql_block_tq1_0) == 2 + QL_QK_K / 64 + (QL_QK_K - 4 * QL_QK_K / 64) / 5,
	      "wrong tq1_0 block size");

/* TQ2_0: 2.0625 bits per weight; 2 bits per trit. */
typedef struct ql_block_tq2_0 {
	uint8_t qs[QL_QK_K / 4];
	uint16_t d;
} ql_block_tq2_0;
static_assert(sizeof(ql_block_tq2_0) == 2 + QL_QK_K / 4, "wrong tq2_0 block size");

int64_t ql_quantize_row_tq1_0_ref(const float *x, ql_block_tq1_0 *y, int64_t k);
int64_t ql_quantize_row_tq2_0_ref(const float *x, ql_block_tq2_0 *y, int64_t k);
void ql_dequantize_row_tq1_0(const ql_block_tq1_0 *x, float *y, int64_t k);
void ql_dequantize_row_tq2_0(const ql_block_tq2_0 *x, float *y, int64_t k);

/* ---- ggml's MXFP4 and NVFP4 (ggml_fp4.c) ------------------------------------ */

/* ggml's E2M1 values doubled (kvalues_mxfp4): code c is worth half this. */
extern const int8_t ql_ggml_fp4_values[16];

typedef struct ql_block_mxfp4 {
	uint8_t e;                    /* E8M0 exponent */
	uint8_t qs[QL_QK_MXFP4 / 2];  /* element j low nibble, j + 16 high */
} ql_block_mxfp4;
static_assert(sizeof(ql_block_mxfp4) == 1 + QL_QK_MXFP4 / 2, "wrong mxfp4 block size");

typedef struct ql_block_nvfp4 {
	uint8_t d[QL_QK_NVFP4 / QL_QK_NVFP4_SUB]; /* UE4M3 scale per 16 values */
	uint8_t qs[QL_QK_NVFP4 / 2];  /* per 16: element j low nibble, j + 8 high */
} ql_block_nvfp4;
static_assert(sizeof(ql_block_nvfp4) == QL_QK_NVFP4 / QL_QK_NVFP4_SUB + QL_QK_NVFP4 / 2,
	      "wrong nvfp4 block size");

int64_t ql_quantize_row_mxfp4_ref(const float *x, ql_block_mxfp4 *y, int64_t k);
int64_t ql_quantize_row_nvfp4_ref(const float *x, ql_block_nvfp4 *y, int64_t k);
int64_t ql_quantize_row_mxfp4(const float *x, ql_block_mxfp4 *y, int64_t k); /* faster */
int64_t ql_quantize_row_nvfp4(const float *x, ql_block_nvfp4 *y, int64_t k); /* faster */
void ql_dequantize_row_mxfp4(const ql_block_mxfp4 *x, float *y, int64_t k);
void ql_dequantize_row_nvfp4(const ql_block_nvfp4 *x, float *y, int64_t k);

/* UE4M3 as ggml reads it: half the value (0 and 0x7F give 0), and ggml's
 * float -> UE4M3 (saturating at 448, mantissa rounded half up). */
float ql_ue4m3_to_f32_half(uint8_t u);
uint8_t ql_ue4m3_from_f32(float x);
/* ggml's E8M0 to float halved (no NaN for 0xFF: 2^127). */
float ql_e8m0_to_f32_half(uint8_t e);

#endif
