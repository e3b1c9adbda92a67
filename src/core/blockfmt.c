/* blockfmt.c — the table of block formats (blockfmt.h). One entry a format;
 * the kernels live in their own files (blocks.c for Q8_0 ... Q5_1 decoding,
 * legacy_q.c for the Q4_1/Q5_x quantizers; kquants.c, iq4.c, tquants.c and
 * ggml_fp4.c for the rest, whose per-element codes and scales for
 * ql_quantize's results are in blockfmt_views.c). */
#include "qlens/blockfmt.h"

#include <string.h>
#include <strings.h>

#include "blockfmt_views.h"
#include "qlens/blocks.h"
#include "qlens/ggml_blocks.h"

/* ggml's row functions take typed block pointers; the table takes void. */
static int64_t q8_0_ref(const float *x, void *y, int64_t k) { return ql_quantize_row_q8_0_ref(x, y, k); }
static int64_t q8_0_fast(const float *x, void *y, int64_t k) { return ql_quantize_row_q8_0(x, y, k); }
static int64_t q4_0_ref(const float *x, void *y, int64_t k) { return ql_quantize_row_q4_0_ref(x, y, k); }
static int64_t q4_0_fast(const float *x, void *y, int64_t k) { return ql_quantize_row_q4_0(x, y, k); }
static void q8_0_deq(const void *x, float *y, int64_t k) { ql_dequantize_row_q8_0(x, y, k); }
static void q4_0_deq(const void *x, float *y, int64_t k) { ql_dequantize_row_q4_0(x, y, k); }
static void q4_1_deq(const void *x, float *y, int64_t k) { ql_dequantize_row_q4_1(x, y, k); }
static void q5_0_deq(const void *x, float *y, int64_t k) { ql_dequantize_row_q5_0(x, y, k); }
static void q5_1_deq(const void *x, float *y, int64_t k) { ql_dequantize_row_q5_1(x, y, k); }

/* The formats of ggml_blocks.h: a void-pointer wrapper per row function. */
#define ROW_FNS(n) \
	static int64_t n##_ref(const float *x, void *y, int64_t k) { return ql_quantize_row_##n##_ref(x, y, k); } \
	static void n##_deq(const void *x, float *y, int64_t k) { ql_dequantize_row_##n(x, y, k); }
static int64_t q4_1_ref(const float *x, void *y, int64_t k) { return ql_quantize_row_q4_1_ref(x, y, k); }
static int64_t q5_0_ref(const float *x, void *y, int64_t k) { return ql_quantize_row_q5_0_ref(x, y, k); }
static int64_t q5_1_ref(const float *x, void *y, int64_t k) { return ql_quantize_row_q5_1_ref(x, y, k); }
ROW_FNS(q2_k)
ROW_FNS(q3_k)
ROW_FNS(q4_k)
ROW_FNS(q5_k)
ROW_FNS(q6_k)
ROW_FNS(q8_k)
ROW_FNS(iq4_nl)
ROW_FNS(iq4_xs)
ROW_FNS(tq1_0)
ROW_FNS(tq2_0)
ROW_FNS(mxfp4)
ROW_FNS(nvfp4)
/* the faster quantizers (same bytes) */
#define FAST_FN(n) \
	static int64_t n##_fast(const float *x, void *y, int64_t k) { return ql_quantize_row_##n(x, y, k); }
FAST_FN(q2_k)
FAST_FN(q4_k)
FAST_FN(q5_k)
FAST_FN(q6_k)
FAST_FN(iq4_nl)
FAST_FN(iq4_xs)
FAST_FN(mxfp4)
FAST_FN(nvfp4)

/* Codes and scales of one block, for ql_quantize's results. */
static void q8_0_codes(const void *b, uint8_t *c)
{
	memcpy(c, ((const ql_block_q8_0 *)b)->qs, QL_QK8_0);
}

static void q4_0_codes(const void *b, uint8_t *c)
{
	const ql_block_q4_0 *q = b;
	for (int j = 0; j < QL_QK4_0 / 2; j++) {
		c[j] = q->qs[j] & 0x0f;
		c[j + QL_QK4_0 / 2] = q->qs[j] >> 4;
	}
}

static void q4_1_codes(const void *b, uint8_t *c)
{
	const ql_block_q4_1 *q = b;
	for (int j = 0; j < QL_QK4_1 / 2; j++) {
		c[j] = q->qs[j] & 0x0f;
		c[j + QL_QK4_1 / 2] = q->qs[j] >> 4;
	}
}

/* The 5-bit codes of q5_0/q5_1: low nibble from qs, fifth bit from qh. */
static void q5_codes(const uint8_t qh4[4], const uint8_t *qs, uint8_t *c)
{
	uint32_t qh = (uint32_t)qh4[0] | (uint32_t)qh4[1] << 8 | (uint32_t)qh4[2] << 16 |
		      (uint32_t)qh4[3] << 24;
	for (int j = 0; j < 16; j++) {
		c[j] = (uint8_t)((qs[j] & 0x0f) | ((qh >> j) & 1) << 4);
		c[j + 16] = (uint8_t)((qs[j] >> 4) | ((qh >> (j + 16)) & 1) << 4);
	}
}

static void q5_0_codes(const void *b, uint8_t *c)
{
	const ql_block_q5_0 *q = b;
	q5_codes(q->qh, q->qs, c);
}

static void q5_1_codes(const void *b, uint8_t *c)
{
	const ql_block_q5_1 *q = b;
	q5_codes(q->qh, q->qs, c);
}

/* Every format here starts with its fp16 d; q4_1 and q5_1 follow it with m. */
static void d_scales(const void *b, float *d, float *dmin, float *sub_d, float *sub_m)
{
	uint16_t h;
	memcpy(&h, b, sizeof h);
	*d = ql_f32_from_fp16(h);
}

static void dm_scales(const void *b, float *d, float *dmin, float *sub_d, float *sub_m)
{
	uint16_t h[2];
	memcpy(h, b, sizeof h);
	*d = ql_f32_from_fp16(h[0]);
	if (dmin)
		*dmin = ql_f32_from_fp16(h[1]);
}

#define FIELDS(a) a, (int)(sizeof a / sizeof a[0])

static const ql_block_field f_q8_0[] = {
	{ "d", "fp16", 2, "scale: absmax / 127" },
	{ "qs", "int8 x 32", 32, "codes; value = qs[j] * d" },
};
static const ql_block_field f_q4_0[] = {
	{ "d", "fp16", 2, "scale: (value of largest magnitude) / -8" },
	{ "qs", "4-bit x 32", 16, "element j low nibble, j+16 high; value = (q - 8) * d" },
};
static const ql_block_field f_q4_1[] = {
	{ "d", "fp16", 2, "scale: (max - min) / 15" },
	{ "m", "fp16", 2, "minimum; value = q * d + m" },
	{ "qs", "4-bit x 32", 16, "element j low nibble, j+16 high" },
};
static const ql_block_field f_q5_0[] = {
	{ "d", "fp16", 2, "scale: (value of largest magnitude) / -16" },
	{ "qh", "1-bit x 32", 4, "fifth bit of each code (little-endian uint32)" },
	{ "qs", "4-bit x 32", 16, "low 4 bits; value = (q - 16) * d" },
};
static const ql_block_field f_q5_1[] = {
	{ "d", "fp16", 2, "scale: (max - min) / 31" },
	{ "m", "fp16", 2, "minimum; value = q * d + m" },
	{ "qh", "1-bit x 32", 4, "fifth bit of each code (little-endian uint32)" },
	{ "qs", "4-bit x 32", 16, "low 4 bits" },
};

static const ql_block_field f_q2_k[] = {
	{ "scales", "4+4-bit x 16", 16, "per 16 values: low nibble scale, high nibble min" },
	{ "qs", "2-bit x 256", 64, "codes; value = d * scale * q - dmin * min" },
	{ "d", "fp16", 2, "super-block scale of the 4-bit scales" },
	{ "dmin", "fp16", 2, "super-block scale of the 4-bit mins" },
};
static const ql_block_field f_q3_k[] = {
	{ "hmask", "1-bit x 256", 32, "third bit of each code (unset: subtract 4)" },
	{ "qs", "2-bit x 256", 64, "low 2 bits of each code" },
	{ "scales", "6-bit x 16", 12, "signed sub-block scales, biased by 32" },
	{ "d", "fp16", 2, "super-block scale; value = d * (scale - 32) * (q - 4)" },
};
static const ql_block_field f_q4_k[] = {
	{ "d", "fp16", 2, "super-block scale of the 6-bit scales" },
	{ "dmin", "fp16", 2, "super-block scale of the 6-bit mins" },
	{ "scales", "6+6-bit x 8", 12, "per 32 values: scale and min, 6 bits each" },
	{ "qs", "4-bit x 256", 128, "codes; value = d * scale * q - dmin * min" },
};
static const ql_block_field f_q5_k[] = {
	{ "d", "fp16", 2, "super-block scale of the 6-bit scales" },
	{ "dmin", "fp16", 2, "super-block scale of the 6-bit mins" },
	{ "scales", "6+6-bit x 8", 12, "per 32 values: scale and min, 6 bits each" },
	{ "qh", "1-bit x 256", 32, "fifth bit of each code" },
	{ "qs", "4-bit x 256", 128, "low 4 bits; value = d * scale * q - dmin * min" },
};
static const ql_block_field f_q6_k[] = {
	{ "ql", "4-bit x 256", 128, "low 4 bits of each code" },
	{ "qh", "2-bit x 256", 64, "high 2 bits of each code" },
	{ "scales", "int8 x 16", 16, "per 16 values: signed scale" },
	{ "d", "fp16", 2, "super-block scale; value = d * scale * (q - 32)" },
};
static const ql_block_field f_q8_k[] = {
	{ "d", "fp32", 4, "scale: (value of largest magnitude) / -127" },
	{ "qs", "int8 x 256", 256, "codes; value = d * q" },
	{ "bsums", "int16 x 16", 32, "sum of each 16 codes (for dot products)" },
};
static const ql_block_field f_iq4_nl[] = {
	{ "d", "fp16", 2, "scale; value = d * level[q]" },
	{ "qs", "4-bit x 32", 16, "indices into 16 non-linear levels -127..113" },
};
static const ql_block_field f_iq4_xs[] = {
	{ "d", "fp16", 2, "super-block scale" },
	{ "scales_h", "2-bit x 8", 2, "high 2 bits of the 8 sub-block scales" },
	{ "scales_l", "4-bit x 8", 4, "low 4 bits; value = d * (scale - 32) * level[q]" },
	{ "qs", "4-bit x 256", 128, "indices into 16 non-linear levels" },
};
static const ql_block_field f_tq1_0[] = {
	{ "qs", "5 trits x 48", 48, "240 trits, 5 a byte as the fraction q / 3^5" },
	{ "qh", "4 trits x 4", 4, "the last 16 trits, 4 a byte" },
	{ "d", "fp16", 2, "scale: absmax; value = (trit - 1) * d" },
};
static const ql_block_field f_tq2_0[] = {
	{ "qs", "2-bit x 256", 64, "trits 0, 1, 2; value = (trit - 1) * d" },
	{ "d", "fp16", 2, "scale: absmax" },
};
static const ql_block_field f_mxfp4[] = {
	{ "e", "e8m0", 1, "scale 2^(e - 127): floor(log2 absmax) - 2, ggml's rounding" },
	{ "qs", "e2m1 x 32", 16, "element j low nibble, j+16 high" },
};
static const ql_block_field f_nvfp4[] = {
	{ "d", "ue4m3 x 4", 4, "scale per 16 values: absmax / 6" },
	{ "qs", "e2m1 x 64", 32, "per 16: element j low nibble, j+8 high" },
};

const ql_block_traits ql_block_formats[] = {
	{ "q8_0", QL_DT_Q8_0, 8, 32, 34, q8_0_ref, q8_0_fast, q8_0_deq, FIELDS(f_q8_0),
	  "llama.cpp: fp16 scale per 32, int8 codes",
	  q8_0_codes, true, -128, 127, d_scales, false, 0 },
	{ "q4_0", QL_DT_Q4_0, 2, 32, 18, q4_0_ref, q4_0_fast, q4_0_deq, FIELDS(f_q4_0),
	  "llama.cpp: fp16 scale per 32, 4-bit codes around 8",
	  q4_0_codes, false, 0, 15, d_scales, false, 0 },
	{ "q4_1", QL_DT_Q4_1, 3, 32, 20, q4_1_ref, NULL, q4_1_deq, FIELDS(f_q4_1),
	  "llama.cpp: fp16 scale and minimum per 32, 4-bit codes",
	  q4_1_codes, false, 0, 15, dm_scales, true, 0 },
	{ "q5_0", QL_DT_Q5_0, 6, 32, 22, q5_0_ref, NULL, q5_0_deq, FIELDS(f_q5_0),
	  "llama.cpp: fp16 scale per 32, 5-bit codes around 16",
	  q5_0_codes, false, 0, 31, d_scales, false, 0 },
	{ "q5_1", QL_DT_Q5_1, 7, 32, 24, q5_1_ref, NULL, q5_1_deq, FIELDS(f_q5_1),
	  "llama.cpp: fp16 scale and minimum per 32, 5-bit codes",
	  q5_1_codes, false, 0, 31, dm_scales, true, 0 },
	{ "q2_k", QL_DT_Q2_K, 10, 256, 84, q2_k_ref, q2_k_fast, q2_k_deq, FIELDS(f_q2_k),
	  "k-quant: 2-bit codes, 4-bit scale and min per 16, fp16 scales of those",
	  ql_bv_q2_k_codes, false, 0, 3, ql_bv_q2_k_scales, true, 16 },
	{ "q3_k", QL_DT_Q3_K, 11, 256, 110, q3_k_ref, NULL, q3_k_deq, FIELDS(f_q3_k),
	  "k-quant: 3-bit codes, 6-bit scale per 16, fp16 scale of the scales",
	  ql_bv_q3_k_codes, false, 0, 7, ql_bv_q3_k_scales, false, 16 },
	{ "q4_k", QL_DT_Q4_K, 12, 256, 144, q4_k_ref, q4_k_fast, q4_k_deq, FIELDS(f_q4_k),
	  "k-quant: 4-bit codes, 6-bit scale and min per 32, fp16 scales of those",
	  ql_bv_q4_k_codes, false, 0, 15, ql_bv_q4_k_scales, true, 8 },
	{ "q5_k", QL_DT_Q5_K, 13, 256, 176, q5_k_ref, q5_k_fast, q5_k_deq, FIELDS(f_q5_k),
	  "k-quant: 5-bit codes, 6-bit scale and min per 32, fp16 scales of those",
	  ql_bv_q5_k_codes, false, 0, 31, ql_bv_q5_k_scales, true, 8 },
	{ "q6_k", QL_DT_Q6_K, 14, 256, 210, q6_k_ref, q6_k_fast, q6_k_deq, FIELDS(f_q6_k),
	  "k-quant: 6-bit codes, int8 scale per 16, fp16 scale of the scales",
	  ql_bv_q6_k_codes, false, 0, 63, ql_bv_q6_k_scales, false, 16 },
	{ "q8_k", QL_DT_Q8_K, 15, 256, 292, q8_k_ref, NULL, q8_k_deq, FIELDS(f_q8_k),
	  "k-quant: int8 codes, fp32 scale per 256 (ggml's dot-product input)",
	  ql_bv_q8_k_codes, true, -128, 127, ql_bv_q8_k_scales, false, 0 },
	{ "iq4_nl", QL_DT_IQ4_NL, 20, 32, 18, iq4_nl_ref, iq4_nl_fast, iq4_nl_deq, FIELDS(f_iq4_nl),
	  "non-linear 4-bit levels, fp16 scale per 32",
	  ql_bv_iq4_nl_codes, false, 0, 15, ql_bv_iq4_nl_scales, false, 0 },
	{ "iq4_xs", QL_DT_IQ4_XS, 23, 256, 136, iq4_xs_ref, iq4_xs_fast, iq4_xs_deq, FIELDS(f_iq4_xs),
	  "non-linear 4-bit levels, 6-bit scale per 32, fp16 scale of the scales",
	  ql_bv_iq4_xs_codes, false, 0, 15, ql_bv_iq4_xs_scales, false, 8 },
	{ "tq1_0", QL_DT_TQ1_0, 34, 256, 54, tq1_0_ref, NULL, tq1_0_deq, FIELDS(f_tq1_0),
	  "ternary {-1, 0, 1} x absmax, 5 trits a byte (BitNet b1.58)",
	  ql_bv_tq1_0_codes, false, 0, 2, ql_bv_tq1_0_scales, false, 0 },
	{ "tq2_0", QL_DT_TQ2_0, 35, 256, 66, tq2_0_ref, NULL, tq2_0_deq, FIELDS(f_tq2_0),
	  "ternary {-1, 0, 1} x absmax, 2 bits a trit (BitNet b1.58)",
	  ql_bv_tq2_0_codes, false, 0, 2, ql_bv_tq2_0_scales, false, 0 },
	{ "mxfp4_ggml", QL_DT_MXFP4, 39, 32, 17, mxfp4_ref, mxfp4_fast, mxfp4_deq, FIELDS(f_mxfp4),
	  "ggml's MXFP4 (GGUF): OCP's layout, ggml's rounding (qlens's mxfp4 is OCP's)",
	  ql_bv_mxfp4_codes, false, 0, 15, ql_bv_mxfp4_scales, false, 0 },
	{ "nvfp4", QL_DT_NVFP4, 40, 64, 36, nvfp4_ref, nvfp4_fast, nvfp4_deq, FIELDS(f_nvfp4),
	  "NVIDIA's NVFP4 as ggml stores it: e2m1, ue4m3 scale per 16",
	  ql_bv_nvfp4_codes, false, 0, 15, ql_bv_nvfp4_scales, false, 4 },
};
const int ql_block_format_count = (int)(sizeof ql_block_formats / sizeof ql_block_formats[0]);

const ql_block_traits *ql_block_find(const char *name)
{
	for (int i = 0; name && i < ql_block_format_count; i++)
		if (strcasecmp(ql_block_formats[i].name, name) == 0)
			return &ql_block_formats[i];
	return NULL;
}

const ql_block_traits *ql_block_for_dtype(ql_dtype dt)
{
	for (int i = 0; i < ql_block_format_count; i++)
		if (ql_block_formats[i].dtype == dt)
			return &ql_block_formats[i];
	return NULL;
}

const ql_block_traits *ql_block_for_ggml(int ggml_type)
{
	for (int i = 0; i < ql_block_format_count; i++)
		if (ql_block_formats[i].ggml_type == ggml_type)
			return &ql_block_formats[i];
	return NULL;
}

double ql_block_bits_per_weight(const ql_block_traits *t)
{
	return t->bytes * 8.0 / t->block;
}
