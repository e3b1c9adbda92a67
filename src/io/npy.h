/* npy.h — the .npy header parser, shared with the .npz backend (private to
 * src/io).
 *
 * ql_npy_parse_header() reads the preamble (magic, version, header length)
 * and the header dict at m[0..size) and says where the array's bytes start.
 * It reads nothing past the header, so a caller that has only the first
 * bytes of a member (a deflated .npz entry) can pass just those: size is
 * the number of bytes available, and the data's own length is checked by
 * the caller against the shape.
 */
#ifndef QLENS_IO_NPY_H
#define QLENS_IO_NPY_H

#include <stdbool.h>
#include <stdint.h>
#include "qlens/error.h"
#include "qlens/tensor.h"

/* Enough bytes for the preamble of any version (magic, version, 4-byte length). */
#define QL_NPY_PREAMBLE_MAX 12

typedef struct ql_npy_header {
	ql_dtype dtype;
	bool big, fortran;
	int ndim;
	int64_t shape[QL_MAX_DIMS];
	uint64_t data_offset; /* where the array's bytes start */
} ql_npy_header;

/* Returns 0, or -1 with a message ("npy header is truncated ..."). Call it
 * with size >= QL_NPY_PREAMBLE_MAX (or the whole file) to learn the header
 * length; the parse needs m[0..data_offset). */
int ql_npy_parse_header(const uint8_t *m, uint64_t size, ql_npy_header *h, ql_error *err);

#endif
