/* io.h — one interface to every tensor file.
 *
 *   ql_source *src;
 *   if (ql_source_open("model.safetensors", NULL, &src, &err)) ...fail...
 *   for (size_t i = 0; i < ql_source_count(src); i++) {
 *       const ql_tensor *t = ql_source_tensor(src, i);   // header only
 *       ...
 *   }
 *   ql_source_read(src, i, &err);   // makes t->data point at the bytes
 *   ql_source_close(src);
 *
 * Opening reads and validates headers only; tensor data stays in the file's
 * read-only mmap until a tensor is read. Every length, offset and dimension
 * from a file is checked before use: a malformed file fails with a message
 * "FILE: what is wrong", never a crash.
 *
 * Formats plug in as ql_source_backend entries (src/io/source.c lists them):
 * a probe on the file's name and first bytes, and an open that fills the
 * tensor list.
 */
#ifndef QLENS_IO_H
#define QLENS_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "qlens/error.h"
#include "qlens/tensor.h"

typedef struct ql_source ql_source;

/* Options for files that do not describe themselves. */
typedef struct ql_open_opts {
	const char *raw_dtype;   /* --raw DTYPE: file of bare values */
	const char *raw_shape;   /* --shape 4x8 */
} ql_open_opts;

/* Checks --raw and --shape before any file is opened (an argument error,
 * not a file's): the dtype is known, the shape reads as at most
 * QL_MAX_DIMS dimensions whose byte count fits. Returns 0 or -1. */
int ql_open_opts_check(const ql_open_opts *opts, ql_error *err);

/* A file truncated by another process while qlens reads its mapping
 * raises SIGBUS. ql_map_guard_install() sets a SIGBUS handler that, for an
 * address inside a file qlens mapped, prints "qlens: FILE: changed while
 * it was being read", removes temporary outputs and exits with status 1
 * (src/io/mapguard.c). ql_map_guard_message() is its async-signal-safe
 * core, for other handlers (the TUI's): true if the address was in such a
 * file (the message is then written to stderr). Only the first thread to
 * fault gets true: any other that faults meanwhile waits in it for the
 * first one's exit, so the line is printed once. */
void ql_map_guard_install(void);
bool ql_map_guard_message(const void *fault_addr);

/* The most qlens reads from a stream (a pipe, FIFO, character device or
 * "-" for standard input), which cannot be mapped and is read into memory. */
#define QL_STREAM_MAX ((uint64_t)1 << 30)

/* Whether a file named to ql_source_open may be a stream (true at start);
 * returns the setting it replaces. The explorer turns streams off while it
 * owns the terminal: waiting on a FIFO's writer there could not be
 * interrupted by any key. A stream then fails as not a regular file. */
bool ql_source_allow_streams(bool allow);

/* A metadata entry: key and a printable, possibly shortened, value. */
typedef struct ql_meta {
	char *key;
	char *value;
} ql_meta;

int ql_source_open(const char *path, const ql_open_opts *opts, ql_source **out, ql_error *err);
void ql_source_close(ql_source *src);

const char *ql_source_path(const ql_source *src);
const char *ql_source_format(const ql_source *src); /* "npy", "safetensors", ... */
size_t ql_source_count(const ql_source *src);
const ql_tensor *ql_source_tensor(const ql_source *src, size_t i);
/* Index of the tensor called name, or -1. */
long ql_source_find(const ql_source *src, const char *name);
size_t ql_source_meta_count(const ql_source *src);
const ql_meta *ql_source_meta(const ql_source *src, size_t i);

/* Points tensor i's data at its bytes (mmapped: no copy). */
int ql_source_read(ql_source *src, size_t i, ql_error *err);

/* Done with tensor i's bytes for now: unsets its data and tells the kernel
 * the mapped pages may go (they are re-read from the file if the tensor is
 * read again), so walking a whole checkpoint keeps about one tensor
 * resident, not the file. Data that a backend made itself (inflated .npz
 * members) stays with the backend, which frees it on its next read. */
void ql_source_release(ql_source *src, size_t i);

/* How many threads drop mapped pages, in ql_source_release and at
 * ql_source_close (0: one per online CPU, at most 16; 1, the default: the
 * caller's alone). Dropping is serial work of about 75 ms per GiB mapped,
 * and parts of a mapping drop at once on separate threads. */
void ql_source_set_threads(ql_source *src, int threads);

/* Reads tensor i and decodes it to float32, C order, into a new malloc'd
 * buffer (*out, nelem floats; free() it). */
int ql_source_read_f32(ql_source *src, size_t i, float **out, ql_error *err);

/* Writing. A writer collects tensors and writes them all at close, to a
 * temporary file in the destination's folder that is renamed into place.
 * It refuses to replace an existing file unless force is set, and never
 * replaces a file that is open as an input (same device and inode). */
typedef struct ql_writer ql_writer;

int ql_writer_open(const char *path, bool force, ql_writer **out, ql_error *err);
/* Adds a tensor. Its data is referenced, not copied: the caller keeps it
 * alive and unchanged until ql_writer_close() or ql_writer_abort(). (A
 * quantized tensor's layout: qwrite.h.) */
int ql_writer_add(ql_writer *w, const char *name, ql_dtype dtype, const int64_t *shape, int ndim,
		  const void *data, ql_error *err);
int ql_writer_meta(ql_writer *w, const char *key, const char *value, ql_error *err);
/* Writes and renames into place; frees w. On failure nothing is left behind. */
int ql_writer_close(ql_writer *w, ql_error *err);
/* Frees w without writing. */
void ql_writer_abort(ql_writer *w);

#endif
