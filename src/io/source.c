/* source.c — opening tensor files: mapping, probing the backends, checking.
 *
 * ql_source_open() maps the file read-only, asks each backend of the table
 * below whether it reads the file (by name and first bytes), lets the first
 * that accepts fill the tensor list, then checks what it filled against the
 * map: every tensor's byte count matches its dtype and shape and lies inside
 * the file (for backends that read through the map), names are unique.
 *
 * Error messages: a backend's open() may say just what is wrong ("header is
 * truncated"); ql_source_open() puts "FILE: " in front unless the backend
 * already did.
 *
 * Also here: the registry of files open as inputs (device and inode), which
 * the writers consult so an output never replaces an input.
 */
#include "source_impl.h"

#include "../core/threadpool.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

extern const ql_source_backend ql_backend_raw;
extern const ql_source_backend ql_backend_npy;
extern const ql_source_backend ql_backend_npz;
extern const ql_source_backend ql_backend_shards;
extern const ql_source_backend ql_backend_safetensors;
extern const ql_source_backend ql_backend_gguf;
extern const ql_source_backend ql_backend_text;
extern const ql_source_backend ql_backend_npz;
extern const ql_source_backend ql_backend_shards;

/* Probed in order: --raw first (it overrides everything), then formats with
 * a magic number or their own extension, the guessing ones (text) last. The
 * sharded reader comes before the plain safetensors one: it claims a
 * .safetensors file only when an index beside it lists it. */
static const ql_source_backend *const backends[] = {
	&ql_backend_raw,
	&ql_backend_npy,
	&ql_backend_npz,
	&ql_backend_shards, /* before safetensors: a shard opens its whole checkpoint */
	&ql_backend_safetensors,
	&ql_backend_gguf,
	&ql_backend_text,
	NULL,
};

/* --- registry of open input files -------------------------------------- */

typedef struct open_file {
	const void *owner; /* the map, or the ql_source of an empty file */
	dev_t dev;
	ino_t ino;
	bool heap;         /* owner is a malloc'd copy of a stream, not a map */
} open_file;

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static open_file *registry;
static size_t registry_count, registry_cap;

static int registry_add(const void *owner, dev_t dev, ino_t ino, bool heap, ql_error *err)
{
	int rc = 0;
	pthread_mutex_lock(&registry_lock);
	if (registry_count == registry_cap) {
		size_t cap = registry_cap ? registry_cap * 2 : 8;
		open_file *p = realloc(registry, cap * sizeof *p);
		if (!p) {
			rc = ql_error_set(err, "out of memory");
			goto out;
		}
		registry = p;
		registry_cap = cap;
	}
	registry[registry_count++] = (open_file){ .owner = owner, .dev = dev, .ino = ino, .heap = heap };
out:
	pthread_mutex_unlock(&registry_lock);
	return rc;
}

/* Removes owner's entry; true if it was a stream's heap copy. */
static bool registry_remove(const void *owner)
{
	bool heap = false;
	pthread_mutex_lock(&registry_lock);
	for (size_t i = 0; i < registry_count; i++) {
		if (registry[i].owner == owner) {
			heap = registry[i].heap;
			registry[i] = registry[--registry_count];
			break;
		}
	}
	if (registry_count == 0) {
		free(registry);
		registry = NULL;
		registry_cap = 0;
	}
	pthread_mutex_unlock(&registry_lock);
	return heap;
}

static bool registry_is_heap(const void *owner)
{
	bool heap = false;
	pthread_mutex_lock(&registry_lock);
	for (size_t i = 0; i < registry_count; i++)
		if (registry[i].owner == owner)
			heap = registry[i].heap;
	pthread_mutex_unlock(&registry_lock);
	return heap;
}

bool ql_file_is_open_input(dev_t dev, ino_t ino)
{
	bool found = false;
	pthread_mutex_lock(&registry_lock);
	for (size_t i = 0; i < registry_count && !found; i++)
		found = registry[i].dev == dev && registry[i].ino == ino;
	pthread_mutex_unlock(&registry_lock);
	return found;
}

/* --- mapping ------------------------------------------------------------ */

/* Reads a stream (pipe, FIFO, character device) to its end into memory. */
static int read_stream(int fd, const char *path, const struct stat *st, const uint8_t **map,
		       uint64_t *size, ql_error *err)
{
	/* A terminal is no file: reading it would wait for keys (and, from
	 * the explorer's prompt, take them). */
	if (isatty(fd))
		return ql_error_set(err, "%s: is a terminal; give a file, or pipe one in", path);
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0;
	for (;;) {
		if (len == cap) {
			if (cap >= QL_STREAM_MAX) {
				free(buf);
				return ql_error_set(err, "%s: a stream of more than %llu MiB (save it to a "
						    "file: files are mapped, not read into memory)", path,
						    (unsigned long long)(QL_STREAM_MAX >> 20));
			}
			size_t ncap = cap ? cap * 2 : 65536;
			uint8_t *p = realloc(buf, ncap);
			if (!p) {
				free(buf);
				return ql_error_set(err, "%s: out of memory reading the stream", path);
			}
			buf = p;
			cap = ncap;
		}
		ssize_t n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			free(buf);
			return ql_error_set(err, "%s: %s", path, strerror(e));
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len == 0) {
		free(buf);
		return 0; /* empty, as an empty file */
	}
	if (registry_add(buf, st->st_dev, st->st_ino, true, err)) {
		free(buf);
		return ql_error_prefix(err, "%s", path);
	}
	*map = buf;
	*size = len;
	return 0;
}

/* Maps the open regular file fd. */
static int map_fd(int fd, const char *path, const struct stat *st, const uint8_t **map,
		  uint64_t *size, ql_error *err)
{
	if (st->st_size == 0)
		return 0;
	if ((uint64_t)st->st_size > SIZE_MAX)
		return ql_error_set(err, "%s: file is too large to map", path);
	void *p = mmap(NULL, (size_t)st->st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED)
		return ql_error_set(err, "%s: cannot map: %s", path, strerror(errno));
	if (registry_add(p, st->st_dev, st->st_ino, false, err)) {
		munmap(p, (size_t)st->st_size);
		return ql_error_prefix(err, "%s", path);
	}
	ql_map_guard_add(p, (uint64_t)st->st_size, path);
	*map = p;
	*size = (uint64_t)st->st_size;
	return 0;
}

static int map_any(const char *path, bool streams, const uint8_t **map, uint64_t *size,
		   ql_error *err)
{
	*map = NULL;
	*size = 0;
	struct stat st;
	if (streams && strcmp(path, "-") == 0) {
		if (fstat(STDIN_FILENO, &st) < 0)
			return ql_error_set(err, "-: standard input: %s", strerror(errno));
		if (S_ISREG(st.st_mode) && lseek(STDIN_FILENO, 0, SEEK_CUR) == 0)
			return map_fd(STDIN_FILENO, path, &st, map, size, err); /* < file */
		return read_stream(STDIN_FILENO, path, &st, map, size, err);
	}
	/* Look before opening: opening a FIFO waits for a writer. */
	if (stat(path, &st) < 0)
		return ql_error_set(err, "%s: %s", path, strerror(errno));
	if (S_ISDIR(st.st_mode))
		return ql_error_set(err, "%s: is a directory, not a tensor file", path);
	bool stream = S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode);
	if (stream && !streams)
		return ql_error_set(err, "%s: is a pipe or device, not a regular file (save it to a "
				    "file first)", path);
	if (!S_ISREG(st.st_mode) && !(streams && stream))
		return ql_error_set(err, "%s: not a regular file%s", path,
				    streams ? ", FIFO or character device" : "");
	/* O_NONBLOCK: if the name now is a FIFO, do not wait on it; regular
	 * files ignore the flag. A named FIFO is opened blocking (waiting for
	 * its writer is what reading it means). */
	int fd = open(path, O_RDONLY | O_CLOEXEC | (stream ? 0 : O_NONBLOCK));
	if (fd < 0)
		return ql_error_set(err, "%s: %s", path, strerror(errno));
	int rc;
	if (fstat(fd, &st) < 0) {
		rc = ql_error_set(err, "%s: %s", path, strerror(errno));
	} else if (S_ISREG(st.st_mode)) {
		rc = map_fd(fd, path, &st, map, size, err);
	} else if (streams && (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode))) {
		int fl = fcntl(fd, F_GETFL);
		if (fl >= 0)
			fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
		rc = read_stream(fd, path, &st, map, size, err);
	} else {
		rc = ql_error_set(err, "%s: not a regular file", path);
	}
	close(fd);
	return rc;
}

static atomic_bool streams_allowed = true;

bool ql_source_allow_streams(bool allow)
{
	return atomic_exchange(&streams_allowed, allow);
}

int ql_map_file(const char *path, const uint8_t **map, uint64_t *size, ql_error *err)
{
	return map_any(path, atomic_load(&streams_allowed), map, size, err);
}

int ql_map_regular(const char *path, const uint8_t **map, uint64_t *size, ql_error *err)
{
	return map_any(path, false, map, size, err);
}

/* Dropping mapped pages (MADV_DONTNEED, or munmap) costs about 75 ms per
 * GiB of pages the mapping holds on one core here (every page table entry
 * and page reference undone), and it is serial: `qlens quantize` on 64M
 * floats spent a fifth of its wall time on 2 threads unmapping the input.
 * Parts of one mapping drop at once on several threads, so a big range is
 * split into `threads` parts (each at least 8 MiB), run as the quantizer's
 * jobs are (threadpool.h). */
typedef struct drop_range {
	uintptr_t lo, hi, page;
	int64_t parts;
} drop_range;

static void drop_part(void *arg, int64_t k)
{
	const drop_range *d = arg;
	uintptr_t step = (d->hi - d->lo) / (uintptr_t)d->parts;
	uintptr_t a = k ? (d->lo + step * (uintptr_t)k) & ~(d->page - 1) : d->lo;
	uintptr_t b = k + 1 < d->parts ? (d->lo + step * (uintptr_t)(k + 1)) & ~(d->page - 1) : d->hi;
	if (b > a)
		madvise((void *)a, b - a, MADV_DONTNEED);
}

/* [lo, hi): whole pages of a file mapping. */
static void drop_pages(uintptr_t lo, uintptr_t hi, int threads)
{
	const uintptr_t min_part = (uintptr_t)8 << 20;
	if (hi <= lo)
		return;
	int64_t parts = threads < 1 ? 1 : threads;
	if ((uintptr_t)parts > (hi - lo) / min_part)
		parts = (hi - lo) / min_part > 0 ? (int64_t)((hi - lo) / min_part) : 1;
	drop_range d = {lo, hi, (uintptr_t)sysconf(_SC_PAGESIZE), parts};
	ql_run_jobs((int)parts, parts, drop_part, &d);
}

void ql_unmap_file(const uint8_t *map, uint64_t size, int threads)
{
	if (!map)
		return;
	if (registry_remove(map)) {
		free((void *)map);
		return;
	}
	ql_map_guard_remove(map);
	if (threads > 1) /* the pages first, on several threads; then the mapping */
		drop_pages((uintptr_t)map,
			   ((uintptr_t)map + (uintptr_t)size) & ~((uintptr_t)sysconf(_SC_PAGESIZE) - 1),
			   threads);
	munmap((void *)map, (size_t)size);
}

/* --- building the tensor list (for backends) ---------------------------- */

/* Asks for transparent huge pages over the 2 MiB-aligned inside of a
 * large array: a list of 80,000 tensors is 32 MB, and its 8,000 first-touch
 * faults of 4 KiB pages were a fifth of opening such a file. (Not on an
 * array that realloc may grow: the advice splits its mapping, and glibc
 * can then no longer grow it in place.) */
static void advise_huge(void *p, size_t n)
{
#ifdef MADV_HUGEPAGE
	const uintptr_t huge = (uintptr_t)2 << 20;
	uintptr_t a = ((uintptr_t)p + huge - 1) & ~(huge - 1);
	uintptr_t e = ((uintptr_t)p + n) & ~(huge - 1);
	if (e > a)
		madvise((void *)a, e - a, MADV_HUGEPAGE);
#else
	(void)p, (void)n;
#endif
}

ql_source_entry *ql_source_add(ql_source *src, ql_error *err)
{
	if (src->count == src->cap) {
		size_t cap = src->cap ? src->cap * 2 : 16;
		if (cap > SIZE_MAX / sizeof *src->tensors) {
			ql_error_set(err, "too many tensors");
			return NULL;
		}
		ql_source_entry *p = realloc(src->tensors, cap * sizeof *p);
		if (!p) {
			ql_error_set(err, "out of memory");
			return NULL;
		}
		src->tensors = p;
		src->cap = cap;
	}
	ql_source_entry *e = &src->tensors[src->count++];
	memset(e, 0, sizeof *e);
	return e;
}

int ql_source_reserve(ql_source *src, size_t n, ql_error *err)
{
	if (src->tensors || n == 0)
		return 0;
	if (n > SIZE_MAX / sizeof *src->tensors)
		return ql_error_set(err, "too many tensors");
	src->tensors = malloc(n * sizeof *src->tensors);
	if (!src->tensors)
		return ql_error_set(err, "out of memory");
	src->cap = n;
	if (n * sizeof *src->tensors >= ((size_t)4 << 20))
		advise_huge(src->tensors, n * sizeof *src->tensors);
	return 0;
}

int ql_source_add_meta(ql_source *src, const char *key, const char *value, ql_error *err)
{
	if (src->meta_count == src->meta_cap) {
		size_t cap = src->meta_cap ? src->meta_cap * 2 : 8;
		if (cap > SIZE_MAX / sizeof *src->meta)
			return ql_error_set(err, "too many metadata entries");
		ql_meta *p = realloc(src->meta, cap * sizeof *p);
		if (!p)
			return ql_error_set(err, "out of memory");
		src->meta = p;
		src->meta_cap = cap;
	}
	char *k = strdup(key), *v = strdup(value);
	if (!k || !v) {
		free(k);
		free(v);
		return ql_error_set(err, "out of memory");
	}
	src->meta[src->meta_count++] = (ql_meta){ .key = k, .value = v };
	return 0;
}

/* --- the name index ------------------------------------------------------- */

/* Eight bytes at a time, each word mixed in by a multiply, the length
 * and a final avalanche (MurmurHash3's fmix64) so that both the low bits
 * (the slot) and the high ones (the tag) depend on every byte. FNV-1a's
 * multiply per byte made hashing 80,000 names a sixteenth of opening
 * their header. */
uint64_t ql_name_hash(const char *s)
{
	size_t n = strlen(s);
	uint64_t h = 0x9e3779b97f4a7c15ull ^ (uint64_t)n, w;
	for (; n >= 8; s += 8, n -= 8) {
		memcpy(&w, s, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdull;
		h ^= h >> 32;
	}
	w = 0;
	memcpy(&w, s, n); /* the last 0-7 bytes (as little-endian or not: any order hashes) */
	h = (h ^ w) * 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return h;
}

/* A slot holds 1 + a tensor's index in its low 32 bits and the top 32 bits
 * of the name's hash in its high ones, so a probe compares names (a cache
 * miss into the tensor list) only when the hashes agree. */
long ql_source_index_names(ql_source *src, ql_error *err)
{
	if (src->name_slots)
		return src->name_dup;
	if (src->count > UINT32_MAX - 1 || src->count > SIZE_MAX / 4 / sizeof *src->name_slots) {
		ql_error_set(err, "too many tensors");
		return -2;
	}
	size_t cap = 16;
	while (cap < 2 * src->count)
		cap *= 2;
	uint64_t *slots = calloc(cap, sizeof *slots);
	if (!slots) {
		ql_error_set(err, "out of memory");
		return -2;
	}
	/* hashes first, then the inserts with the slot each needs prefetched
	 * a few tensors ahead (the table is megabytes: each probe a miss) */
	uint64_t *hash = malloc((src->count ? src->count : 1) * sizeof *hash);
	if (!hash) {
		free(slots);
		ql_error_set(err, "out of memory");
		return -2;
	}
	for (size_t i = 0; i < src->count; i++)
		hash[i] = ql_name_hash(src->tensors[i].t.name);
	long dup = -1;
	for (size_t i = 0; i < src->count; i++) {
		if (i + 8 < src->count)
			__builtin_prefetch(&slots[(size_t)hash[i + 8] & (cap - 1)], 1);
		const char *name = src->tensors[i].t.name;
		uint64_t h = hash[i], tag = h & 0xffffffff00000000ull;
		for (size_t k = (size_t)h & (cap - 1);; k = (k + 1) & (cap - 1)) {
			if (!slots[k]) {
				slots[k] = tag | ((uint64_t)i + 1);
				break;
			}
			if ((slots[k] & 0xffffffff00000000ull) == tag &&
			    strcmp(src->tensors[(uint32_t)slots[k] - 1].t.name, name) == 0) {
				if (dup < 0)
					dup = (long)i;
				break;
			}
		}
	}
	free(hash);
	src->name_slots = slots;
	src->name_slots_cap = cap;
	src->name_dup = dup;
	return dup;
}

void ql_source_unindex_names(ql_source *src)
{
	free(src->name_slots);
	src->name_slots = NULL;
	src->name_slots_cap = 0;
}

/* --- checking what a backend filled -------------------------------------- */

static int check_entry(const ql_source *src, const ql_source_entry *e, ql_error *err)
{
	const ql_tensor *t = &e->t;
	if (memchr(t->name, '\0', sizeof t->name) == NULL)
		return ql_error_set(err, "a tensor name is not terminated");
	if (t->dtype < 0 || t->dtype >= QL_DT_COUNT)
		return ql_error_set(err, "tensor '%s': invalid dtype", t->name);
	if (t->ndim < 0 || t->ndim > QL_MAX_DIMS)
		return ql_error_set(err, "tensor '%s': %d dimensions (at most %d)", t->name,
				    t->ndim, QL_MAX_DIMS);
	int64_t n = ql_shape_elems(t->shape, t->ndim);
	if (n < 0)
		return ql_error_set(err, "tensor '%s': shape is negative or too large", t->name);
	if (n != t->nelem)
		return ql_error_set(err, "tensor '%s': element count %lld does not match its shape",
				    t->name, (long long)t->nelem);
	if (t->dtype != QL_DT_OTHER) {
		int64_t nb = ql_dtype_bytes(t->dtype, n);
		if (nb < 0)
			return ql_error_set(err, "tensor '%s': %lld elements are not a whole number of %s blocks",
					    t->name, (long long)n, ql_dtypes[t->dtype].name);
		if ((uint64_t)nb != t->nbytes)
			return ql_error_set(err, "tensor '%s': %llu bytes of data, but %s %lld elements take %lld",
					    t->name, (unsigned long long)t->nbytes,
					    ql_dtypes[t->dtype].name, (long long)n, (long long)nb);
	}
	if (!src->backend->read) {
		if (e->offset > src->size || t->nbytes > src->size - e->offset)
			return ql_error_set(err, "tensor '%s': data [%llu, +%llu) lies outside the file (%llu bytes)",
					    t->name, (unsigned long long)e->offset,
					    (unsigned long long)t->nbytes, (unsigned long long)src->size);
	}
	return 0;
}

static int check_source(ql_source *src, ql_error *err)
{
	for (size_t i = 0; i < src->count; i++)
		if (check_entry(src, &src->tensors[i], err))
			return -1;
	long dup = ql_source_index_names(src, err);
	if (dup == -2)
		return -1;
	if (dup >= 0)
		return ql_error_set(err, "tensor name '%s' appears twice", src->tensors[dup].t.name);
	return 0;
}

/* --- open / close --------------------------------------------------------- */

/* "FILE: " in front of the message, unless it is there already. */
static int error_with_path(ql_error *err, const char *path)
{
	if (!err)
		return -1;
	size_t n = strlen(path);
	if (strncmp(err->msg, path, n) == 0 && err->msg[n] == ':')
		return -1;
	return ql_error_prefix(err, "%s", path);
}

int ql_source_open(const char *path, const ql_open_opts *opts, ql_source **out, ql_error *err)
{
	*out = NULL;
	ql_source *src = calloc(1, sizeof *src);
	if (!src)
		return ql_error_set(err, "%s: out of memory", path);
	src->path = strdup(path);
	if (!src->path) {
		free(src);
		return ql_error_set(err, "%s: out of memory", path);
	}
	if (opts)
		src->opts = *opts;
	if (ql_map_file(path, &src->map, &src->size, err)) {
		free(src->path);
		free(src);
		return -1;
	}
	if (!src->map) {
		/* An empty file has no map to register; register its inode. */
		struct stat st;
		if (strcmp(path, "-") != 0 && stat(path, &st) == 0 &&
		    registry_add(src, st.st_dev, st.st_ino, false, err)) {
			free(src->path);
			free(src);
			return error_with_path(err, path);
		}
	}

	static const uint8_t nothing[1];
	const uint8_t *head = src->map ? src->map : nothing;
	for (size_t i = 0; backends[i]; i++) {
		if (backends[i]->probe(path, head, (size_t)src->size, &src->opts)) {
			src->backend = backends[i];
			break;
		}
	}
	if (!src->backend) {
		if (src->size == 0)
			ql_error_set(err, "%s: file is empty", path);
		else
			ql_error_set(err, "%s: not a tensor file qlens can read "
				     "(npy, npz, safetensors, gguf, text; --raw DTYPE for bare values)",
				     path);
		ql_source_close(src);
		return -1;
	}
	src->format = src->backend->name;
	if (src->backend->open(src, err) || check_source(src, err)) {
		error_with_path(err, path);
		ql_source_close(src);
		return -1;
	}
	*out = src;
	return 0;
}

void ql_source_close(ql_source *src)
{
	if (!src)
		return;
	if (src->backend && src->backend->close)
		src->backend->close(src);
	if (src->map)
		ql_unmap_file(src->map, src->size, src->threads);
	else
		registry_remove(src);
	for (size_t i = 0; i < src->meta_count; i++) {
		free(src->meta[i].key);
		free(src->meta[i].value);
	}
	free(src->meta);
	free(src->tensors);
	ql_source_unindex_names(src);
	free(src->path);
	free(src);
}

/* --- accessors ------------------------------------------------------------ */

void ql_source_set_threads(ql_source *src, int threads)
{
	src->threads = threads > 0 ? threads : ql_default_threads();
}

const char *ql_source_path(const ql_source *src) { return src->path; }
const char *ql_source_format(const ql_source *src) { return src->format; }
size_t ql_source_count(const ql_source *src) { return src->count; }
size_t ql_source_meta_count(const ql_source *src) { return src->meta_count; }

const ql_tensor *ql_source_tensor(const ql_source *src, size_t i)
{
	return i < src->count ? &src->tensors[i].t : NULL;
}

const ql_meta *ql_source_meta(const ql_source *src, size_t i)
{
	return i < src->meta_count ? &src->meta[i] : NULL;
}

long ql_source_find(const ql_source *src, const char *name)
{
	if (src->name_slots) {
		size_t cap = src->name_slots_cap;
		uint64_t h = ql_name_hash(name), tag = h & 0xffffffff00000000ull;
		for (size_t k = (size_t)h & (cap - 1); src->name_slots[k]; k = (k + 1) & (cap - 1)) {
			uint64_t v = src->name_slots[k];
			if ((v & 0xffffffff00000000ull) == tag &&
			    strcmp(src->tensors[(uint32_t)v - 1].t.name, name) == 0)
				return (long)(uint32_t)v - 1;
		}
		return -1;
	}
	for (size_t i = 0; i < src->count; i++)
		if (strcmp(src->tensors[i].t.name, name) == 0)
			return (long)i;
	return -1;
}

/* --- reading ---------------------------------------------------------------- */

int ql_source_read(ql_source *src, size_t i, ql_error *err)
{
	if (i >= src->count)
		return ql_error_set(err, "%s: no tensor number %zu", src->path, i);
	ql_source_entry *e = &src->tensors[i];
	if (e->t.data)
		return 0;
	if (src->backend->read) {
		if (src->backend->read(src, i, err))
			return error_with_path(err, src->path);
		if (!e->t.data && e->t.nbytes == 0) {
			static const uint8_t empty[1];
			e->t.data = empty;
		}
		if (!e->t.data)
			return ql_error_set(err, "%s: tensor '%s': no data", src->path, e->t.name);
		return 0;
	}
	if (e->t.nbytes == 0) {
		static const uint8_t empty[1];
		e->t.data = empty;
		return 0;
	}
	/* Checked at open, checked again: the list is writable by backends. */
	if (e->offset > src->size || e->t.nbytes > src->size - e->offset)
		return ql_error_set(err, "%s: tensor '%s': data lies outside the file", src->path,
				    e->t.name);
	e->t.data = src->map + e->offset;
	return 0;
}

void ql_map_release(const uint8_t *map, uint64_t size, const void *p, uint64_t n, int threads)
{
	const uint8_t *b = p;
	if (registry_is_heap(map))
		return; /* a stream's copy: its pages cannot be read again */
	if (!map || !b || n == 0 || b < map || (uint64_t)(b - map) > size || n > size - (uint64_t)(b - map))
		return;
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
	uintptr_t lo = ((uintptr_t)b + page - 1) & ~(page - 1); /* whole pages only: */
	uintptr_t hi = ((uintptr_t)b + n) & ~(page - 1);        /* neighbours keep theirs */
	if (hi > lo)
		drop_pages(lo, hi, threads);
}

void ql_source_release(ql_source *src, size_t i)
{
	if (i >= src->count)
		return;
	ql_source_entry *e = &src->tensors[i];
	if (src->backend->release) {
		src->backend->release(src, i);
		return;
	}
	const uint8_t *d = e->t.data;
	if (d && src->map && d >= src->map && (uint64_t)(d - src->map) < src->size) {
		ql_map_release(src->map, src->size, d, e->t.nbytes, src->threads);
		e->t.data = NULL; /* the next read points it at the map again */
	}
}

int ql_source_read_f32(ql_source *src, size_t i, float **out, ql_error *err)
{
	*out = NULL;
	if (ql_source_read(src, i, err))
		return -1;
	const ql_tensor *t = &src->tensors[i].t;
	if (t->nelem < 0 || (uint64_t)t->nelem > SIZE_MAX / sizeof(float))
		return ql_error_set(err, "%s: tensor '%s' is too large", src->path, t->name);
	float *buf = malloc(t->nelem ? (size_t)t->nelem * sizeof(float) : 1);
	if (!buf)
		return ql_error_set(err, "%s: tensor '%s': out of memory (%lld elements)", src->path,
				    t->name, (long long)t->nelem);
	if (ql_tensor_to_f32(t, buf, err)) {
		free(buf);
		return error_with_path(err, src->path);
	}
	*out = buf;
	return 0;
}
