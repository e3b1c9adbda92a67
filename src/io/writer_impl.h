/* writer_impl.h — what the file writers share (private to src/io).
 *
 * ql_writer (writer.c) collects tensors and metadata, opens a temporary file
 * beside the destination and hands the list to one format's serializer,
 * which writes through a stdio stream. The serializers only format bytes;
 * creating, syncing and renaming the file is writer.c's job.
 */
#ifndef QLENS_WRITER_IMPL_H
#define QLENS_WRITER_IMPL_H

#include <stdbool.h>
#include <stdio.h>
#include "qlens/io.h"

typedef struct ql_wtensor {
	char *name;
	ql_dtype dtype;
	int ndim;
	int64_t shape[QL_MAX_DIMS];
	int64_t nelem;
	uint64_t nbytes;
	const void *data; /* native byte order, C order; referenced, not owned */
} ql_wtensor;

/* One .npy file (exactly one tensor; npy has no metadata). */
int ql_npy_write(FILE *f, const ql_wtensor *t, ql_error *err);

/* A .safetensors file: header with every tensor and the metadata, then the
 * data in the order given. */
int ql_safetensors_write(FILE *f, const ql_wtensor *t, size_t count, const ql_meta *meta,
			 size_t meta_count, ql_error *err);

/* Moves the finished temporary file tmp to path. With force an existing
 * path is replaced (rename); without, it never is, however late another
 * process made it: renameat2's RENAME_NOREPLACE, or where the file system
 * lacks that a hard link (which fails on an existing name) and unlinking
 * tmp; only where neither exists a rename after the caller's check.
 * Returns 0, or -1 with errno (EEXIST: path exists, tmp is left as it
 * was). */
int ql_writer_place(const char *tmp, const char *path, bool force);

#endif
