/* blockfmt.h — block formats as one table: ggml's type_traits[] for qlens.
 *
 * Every llama.cpp-style block format (Q8_0, Q4_0, Q4_1, Q5_0, Q5_1 today; the
 * k-quants, IQ4, ternary, ggml's MXFP4 and NVFP4 as they land) is one entry
 * of ql_block_formats[]: its block length, its bytes, the reference row
 * quantizer and dequantizer in ggml's signatures, a fast quantizer where one
 * exists (same bytes), and its layout field by field. Everything that
 * handles blocks — the quantize driver, tensor decoding, the GGUF reader,
 * `qlens dtypes --blocks`, bits per weight — reads this table, so adding a
 * format is its own source file, one entry here, and its tests.
 *
 * Row functions take k values, k a multiple of the block length, and write
 * or read k / block blocks, as ggml's do. Quantizers return the count of
 * values whose code was clamped (0 where the format never clamps).
 */
#ifndef QLENS_BLOCKFMT_H
#define QLENS_BLOCKFMT_H

#include <stdbool.h>
#include <stdint.h>
#include "qlens/tensor.h"

typedef int64_t (*ql_block_quantize_fn)(const float *x, void *y, int64_t k);
typedef void (*ql_block_dequantize_fn)(const void *x, float *y, int64_t k);

/* One field of a block, in byte order. */
typedef struct ql_block_field {
	const char *name;    /* "d", "dmin", "scales", "qs", "qh" */
	const char *type;    /* "fp16", "e8m0", "6-bit x 16", "4-bit x 256" */
	int bytes;
	const char *meaning; /* "super-block scale of the sub-block scales" */
} ql_block_field;

typedef struct ql_block_traits {
	const char *name;     /* the --dtype word, lower case: "q4_k" */
	ql_dtype dtype;       /* what files hold it as (QL_DT_Q4_K) */
	int ggml_type;        /* the GGUF tensor type id, -1 if none */
	int block;            /* elements per block (32, 256) */
	int bytes;            /* bytes per block */
	ql_block_quantize_fn quantize_row_ref; /* ggml's quantize_row_*_ref; NULL: decode only */
	ql_block_quantize_fn quantize_row;     /* same bytes, faster; NULL: use the ref */
	ql_block_dequantize_fn dequantize_row; /* ggml's dequantize_row_* */
	const ql_block_field *fields;
	int nfields;          /* the fields' bytes add up to `bytes` */
	const char *summary;  /* one line for listings */

	/* Optional, for ql_quantize (a format with quantize_row_ref is a
	 * --dtype target through the table alone; scheme.h). Zero/NULL where
	 * the format has nothing to give: */
	void (*codes_row)(const void *block, uint8_t *codes); /* one code per
	                         element of one block; NULL: the result has no codes */
	bool codes_signed;    /* those codes are two's complement */
	int32_t qmin, qmax;   /* their range */
	/* The scales of one block: its d (super-block scale), and where the
	 * format has them its dmin (has_min) and nsub sub-block scales and mins
	 * as the values they multiply by (d * sc, dmin * m). NULL: scales 0. */
	void (*scales_row)(const void *block, float *d, float *dmin, float *sub_d, float *sub_m);
	bool has_min;
	int nsub;
} ql_block_traits;

extern const ql_block_traits ql_block_formats[];
extern const int ql_block_format_count;

/* Look-ups; NULL when there is no such block format. Names are
 * case-insensitive ("Q4_K" and "q4_k"). */
const ql_block_traits *ql_block_find(const char *name);
const ql_block_traits *ql_block_for_dtype(ql_dtype dt);
const ql_block_traits *ql_block_for_ggml(int ggml_type);

/* bytes * 8 / block: Q8_0 8.5, Q4_0 4.5, Q4_K 4.5, Q6_K 6.5625. */
double ql_block_bits_per_weight(const ql_block_traits *t);

/* The quantizer to use: the fast one if there is one, else the reference. */
static inline ql_block_quantize_fn ql_block_quantizer(const ql_block_traits *t)
{
	return t->quantize_row ? t->quantize_row : t->quantize_row_ref;
}

#endif
