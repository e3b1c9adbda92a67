/* blockfmt.c — the table of block formats (blockfmt.h). One entry a format;
 * the kernels live in their own files (blocks.c for Q8_0 ... Q5_1). */
#include "qlens/blockfmt.h"

#include <string.h>
#include <strings.h>

#include "qlens/blocks.h"

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

const ql_block_traits ql_block_formats[] = {
	{ "q8_0", QL_DT_Q8_0, 8, 32, 34, q8_0_ref, q8_0_fast, q8_0_deq, FIELDS(f_q8_0),
	  "llama.cpp: fp16 scale per 32, int8 codes",
	  q8_0_codes, true, -128, 127, d_scales, false, 0 },
	{ "q4_0", QL_DT_Q4_0, 2, 32, 18, q4_0_ref, q4_0_fast, q4_0_deq, FIELDS(f_q4_0),
	  "llama.cpp: fp16 scale per 32, 4-bit codes around 8",
	  q4_0_codes, false, 0, 15, d_scales, false, 0 },
	{ "q4_1", QL_DT_Q4_1, 3, 32, 20, NULL, NULL, q4_1_deq, FIELDS(f_q4_1),
	  "llama.cpp: fp16 scale and minimum per 32, 4-bit codes",
	  q4_1_codes, false, 0, 15, dm_scales, true, 0 },
	{ "q5_0", QL_DT_Q5_0, 6, 32, 22, NULL, NULL, q5_0_deq, FIELDS(f_q5_0),
	  "llama.cpp: fp16 scale per 32, 5-bit codes around 16",
	  q5_0_codes, false, 0, 31, d_scales, false, 0 },
	{ "q5_1", QL_DT_Q5_1, 7, 32, 24, NULL, NULL, q5_1_deq, FIELDS(f_q5_1),
	  "llama.cpp: fp16 scale and minimum per 32, 5-bit codes",
	  q5_1_codes, false, 0, 31, dm_scales, true, 0 },
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
