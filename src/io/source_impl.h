/* source_impl.h — what a file-format backend implements (private to src/io).
 *
 * A backend is one ql_source_backend entry in the table of src/io/source.c.
 * ql_source_open() maps the file read-only (src->map, src->size), asks each
 * backend's probe in turn, and calls the first one that accepts. open()
 * validates the header and fills src->tensors (name, dtype, shape, nelem,
 * nbytes, and offset: where the bytes are inside the map) and src->meta.
 * Backends never read outside [map, map + size).
 *
 * A backend that needs more than one file (sharded safetensors) or must
 * decompress (npz) keeps its own state in src->priv and provides read() to
 * make a tensor's bytes available; the default read() points data at
 * map + offset.
 */
#ifndef QLENS_SOURCE_IMPL_H
#define QLENS_SOURCE_IMPL_H

#include <sys/types.h>
#include "qlens/io.h"

typedef struct ql_source_entry {
	ql_tensor t;        /* t.data stays NULL until read */
	uint64_t offset;    /* of the data inside src->map (default read) */
} ql_source_entry;

struct ql_source {
	char *path;
	const char *format;          /* "npy", "safetensors", "gguf", ... */
	const struct ql_source_backend *backend;
	const uint8_t *map;          /* the whole file, read-only (NULL if empty) */
	uint64_t size;
	ql_source_entry *tensors;
	size_t count, cap;
	ql_meta *meta;
	size_t meta_count, meta_cap;
	void *priv;                  /* backend state */
	ql_open_opts opts;
	/* Name index (ql_source_index_names): open addressing over a power of
	 * two slots, each 0 or (hash's top 32 bits) << 32 | 1 + a tensor's index. */
	uint64_t *name_slots;
	size_t name_slots_cap;
	long name_dup;               /* a tensor whose name an earlier one has, or -1 */
	int threads;                 /* that drop mapped pages (ql_source_set_threads) */
};

typedef struct ql_source_backend {
	const char *name;
	/* True if this backend reads the file (its name and first bytes). */
	bool (*probe)(const char *path, const uint8_t *head, size_t n, const ql_open_opts *opts);
	int (*open)(ql_source *src, ql_error *err);
	/* Optional: make tensor i's bytes available (set t.data). */
	int (*read)(ql_source *src, size_t i, ql_error *err);
	/* Optional: let go of tensor i's bytes (default: drop the pages of
	 * src->map that hold them). */
	void (*release)(ql_source *src, size_t i);
	/* Optional: free priv. */
	void (*close)(ql_source *src);
} ql_source_backend;

/* Helpers for backends (src/io/source.c). */
ql_source_entry *ql_source_add(ql_source *src, ql_error *err);
/* Before the first ql_source_add: room for about n tensors in one
 * allocation (large ones on huge pages); more may still be added. */
int ql_source_reserve(ql_source *src, size_t n, ql_error *err);
int ql_source_add_meta(ql_source *src, const char *key, const char *value, ql_error *err);
/* Indexes the tensors' names (once the list is final: ql_source_find uses
 * the index from then on) and returns the index of a tensor whose name an
 * earlier tensor has, -1 if all are distinct, or -2 if out of memory (err
 * set). Called again, it answers from the index it built. */
long ql_source_index_names(ql_source *src, ql_error *err);
/* The hash of a name those indexes use (FNV-1a, 64-bit). */
uint64_t ql_name_hash(const char *s);
/* Frees the name index (for backends that reorder or drop tensors after
 * indexing, and for temporary sources). */
void ql_source_unindex_names(ql_source *src);
/* Maps a file read-only; an empty file gives map = NULL, size = 0. A file
 * named explicitly may also be a stream: "-" (standard input), a FIFO or a
 * character device is read into memory (at most QL_STREAM_MAX bytes) and
 * handed out the same way. A directory or anything else is an error. */
int ql_map_file(const char *path, const uint8_t **map, uint64_t *size, ql_error *err);
/* The same for a file found by looking (an index beside a shard, shards
 * named by an index): only a regular file is opened, never waited on. */
int ql_map_regular(const char *path, const uint8_t **map, uint64_t *size, ql_error *err);
/* The SIGBUS guard's table (src/io/mapguard.c): every mapping is added
 * while it exists. */
void ql_map_guard_add(const uint8_t *addr, uint64_t size, const char *path);
void ql_map_guard_remove(const uint8_t *addr);
/* Unmaps a file (or frees a stream's copy); with threads > 1 its pages are
 * dropped first on that many threads at once (see drop_pages). */
void ql_unmap_file(const uint8_t *map, uint64_t size, int threads);
/* Drops the whole pages of [p, p + n) that lie inside the read-only file
 * mapping [map, map + size) (madvise MADV_DONTNEED; they are re-read from
 * the file on the next access). Anything outside the mapping is left alone. */
void ql_map_release(const uint8_t *map, uint64_t size, const void *p, uint64_t n, int threads);
/* True if the file (device, inode) is mapped or open as an input right now:
 * writers refuse to replace it. */
bool ql_file_is_open_input(dev_t dev, ino_t ino);

#endif
