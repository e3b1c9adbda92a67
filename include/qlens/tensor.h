/* tensor.h — a tensor's description and a view of its bytes.
 *
 * A ql_tensor says what a tensor is (name, storage dtype, shape in NumPy
 * order — slowest-varying axis first — and where its bytes are). The bytes
 * usually live inside a read-only mmap of the file that holds them; a
 * ql_tensor never owns them. ql_tensor_to_f32() decodes any readable dtype
 * into a caller buffer of float32 in C order, which is what the kernels take.
 *
 * Storage dtypes (ql_dtype) are what files hold; they are not the same list
 * as the number formats of format.h, which is what qlens explains and
 * quantizes to. ql_dtype_format() maps one onto the other where it can.
 */
#ifndef QLENS_TENSOR_H
#define QLENS_TENSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "qlens/error.h"
#include "qlens/format.h"

#define QL_MAX_DIMS 8

typedef enum ql_dtype {
	QL_DT_BOOL,
	QL_DT_U8,
	QL_DT_I8,
	QL_DT_U16,
	QL_DT_I16,
	QL_DT_U32,
	QL_DT_I32,
	QL_DT_U64,
	QL_DT_I64,
	QL_DT_F16,
	QL_DT_BF16,
	QL_DT_F32,
	QL_DT_F64,
	QL_DT_F8_E4M3,
	QL_DT_F8_E5M2,
	/* llama.cpp block formats (GGUF), stored as blocks of bytes */
	QL_DT_Q8_0,
	QL_DT_Q4_0,
	QL_DT_Q4_1,
	QL_DT_Q5_0,
	QL_DT_Q5_1,
	/* the k-quants, IQ4, ternary and ggml's FP4 blocks (ggml_blocks.h) */
	QL_DT_Q2_K,
	QL_DT_Q3_K,
	QL_DT_Q4_K,
	QL_DT_Q5_K,
	QL_DT_Q6_K,
	QL_DT_Q8_K,
	QL_DT_IQ4_NL,
	QL_DT_IQ4_XS,
	QL_DT_TQ1_0,
	QL_DT_TQ2_0,
	QL_DT_MXFP4,
	QL_DT_NVFP4,
	QL_DT_OTHER, /* a type qlens can list but not decode (see other_name) */
	QL_DT_COUNT
} ql_dtype;

typedef struct ql_dtype_info {
	const char *name;      /* "F32", "Q4_0": safetensors / GGUF spelling */
	int block_elems;       /* elements per block (1 for plain types) */
	int block_bytes;       /* bytes per block (element size for plain types) */
	bool is_float;         /* holds real numbers (can be quantized) */
} ql_dtype_info;

extern const ql_dtype_info ql_dtypes[QL_DT_COUNT];

/* Looks a dtype up by its safetensors/GGUF name ("F16", "q8_0"); case-insensitive. */
bool ql_dtype_from_name(const char *name, ql_dtype *out);

/* The number format a plain dtype stores, if format.h has it. */
bool ql_dtype_format(ql_dtype dt, ql_type *out);

typedef struct ql_tensor {
	char name[256];
	ql_dtype dtype;
	char other_name[32];    /* the file's own type name when dtype is OTHER */
	int ndim;               /* 0 for a scalar */
	int64_t shape[QL_MAX_DIMS]; /* NumPy order: shape[0] varies slowest */
	int64_t nelem;          /* product of shape (1 for a scalar) */
	uint64_t nbytes;        /* bytes of data */
	const void *data;       /* not owned; NULL until read */
	bool big_endian;        /* bytes of multi-byte elements are big-endian */
	bool fortran_order;     /* data is laid out first axis fastest */
} ql_tensor;

/* Product of dims with overflow checks. Returns -1 if it does not fit in an
 * int64_t or any dim is negative. */
int64_t ql_shape_elems(const int64_t *shape, int ndim);

/* "4x8x16" (or "scalar"). */
void ql_shape_string(const ql_tensor *t, char *buf, size_t n);

/* Bytes a tensor of this dtype and element count takes; -1 if it is not a
 * whole number of blocks or overflows. */
int64_t ql_dtype_bytes(ql_dtype dt, int64_t nelem);

/* Decodes t->data into out[t->nelem] as float32 in C order (handles byte
 * order, Fortran order, every float/int dtype and every block format of
 * blockfmt.h's table). Fails with "cannot decode TYPE yet" for OTHER. */
int ql_tensor_to_f32(const ql_tensor *t, float *out, ql_error *err);

#endif
