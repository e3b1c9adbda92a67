/* writer.c — writing tensor files safely (ql_writer_*, see qlens/io.h).
 *
 * The output's extension picks the format: ".npy" (one tensor, no
 * metadata) or ".safetensors". Tensors are collected first — their data is
 * referenced, not copied, so callers keep it alive until ql_writer_close()
 * or ql_writer_abort() — then written in one go:
 *
 *   1. a temporary file is created beside the destination (same folder, so
 *      the rename below cannot cross file systems), mode 0666 & ~umask, or
 *      the permissions of the file it replaces;
 *   2. the format's serializer writes it; it is flushed and fsync()ed;
 *   3. it is renamed over the destination, and the folder is fsync()ed.
 * Any failure removes the temporary file and leaves the destination as it
 * was. An existing destination is replaced only with force, and never when
 * it is a file open as an input (same device and inode as a mapped source),
 * force or not. Both are checked at open and again just before the rename;
 * without force the rename itself refuses a destination made in between
 * (ql_writer_place: RENAME_NOREPLACE), so of writers racing to one new
 * name exactly one wins.
 * While the temporary file exists it is registered with qlens/cleanup.h,
 * so a SIGINT/TERM/HUP/QUIT in the middle removes it too.
 */
#include "source_impl.h"
#include "writer_impl.h"

#include "qlens/cleanup.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef enum wformat { WF_NPY, WF_SAFETENSORS } wformat;

struct ql_writer {
	char *path;
	bool force;
	wformat format;
	ql_wtensor *tensors;
	size_t count, cap;
	ql_meta *meta;
	size_t meta_count, meta_cap;
};

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* May path be (re)written? Refuses inputs always, existing files without force. */
static int check_destination(const char *path, bool force, ql_error *err)
{
	struct stat st;
	if (stat(path, &st) < 0) {
		if (errno != ENOENT)
			return ql_error_set(err, "%s: %s", path, strerror(errno));
		/* Nothing there, or a symlink to nothing: the rename would
		 * replace the link itself, so it counts as existing. */
		if (lstat(path, &st) < 0)
			return 0;
		if (!force)
			return ql_error_set(err, "%s: already exists (a dangling symbolic link; "
					    "use --force to replace it)", path);
		return 0;
	}
	if (S_ISDIR(st.st_mode))
		return ql_error_set(err, "%s: is a directory", path);
	if (ql_file_is_open_input(st.st_dev, st.st_ino))
		return ql_error_set(err, "%s: is an input file; qlens never overwrites its input", path);
	if (!force)
		return ql_error_set(err, "%s: already exists (use --force to replace it)", path);
	if (!S_ISREG(st.st_mode))
		return ql_error_set(err, "%s: exists and is not a regular file", path);
	return 0;
}

int ql_writer_open(const char *path, bool force, ql_writer **out, ql_error *err)
{
	*out = NULL;
	wformat fmt;
	if (ends_with(path, ".npy"))
		fmt = WF_NPY;
	else if (ends_with(path, ".safetensors"))
		fmt = WF_SAFETENSORS;
	else
		return ql_error_set(err, "%s: cannot tell which format to write (name it .npy or .safetensors)",
				    path);
	if (check_destination(path, force, err))
		return -1;
	ql_writer *w = calloc(1, sizeof *w);
	if (!w || !(w->path = strdup(path))) {
		free(w);
		return ql_error_set(err, "%s: out of memory", path);
	}
	w->force = force;
	w->format = fmt;
	*out = w;
	return 0;
}

int ql_writer_add(ql_writer *w, const char *name, ql_dtype dtype, const int64_t *shape, int ndim,
		  const void *data, ql_error *err)
{
	if (w->format == WF_NPY && w->count == 1)
		return ql_error_set(err, "%s: a .npy file holds one tensor (use .safetensors for '%s')",
				    w->path, name);
	if (!name[0] || strlen(name) >= sizeof(((ql_tensor *)0)->name))
		return ql_error_set(err, "%s: tensor name '%.40s' is empty or too long", w->path, name);
	if (w->format == WF_SAFETENSORS && strcmp(name, "__metadata__") == 0)
		return ql_error_set(err, "%s: '__metadata__' cannot name a tensor", w->path);
	for (size_t i = 0; i < w->count; i++)
		if (strcmp(w->tensors[i].name, name) == 0)
			return ql_error_set(err, "%s: tensor '%s' added twice", w->path, name);
	if (dtype < 0 || dtype >= QL_DT_COUNT || ql_dtypes[dtype].block_elems != 1)
		return ql_error_set(err, "%s: tensor '%s': cannot write dtype %s", w->path, name,
				    dtype >= 0 && dtype < QL_DT_COUNT ? ql_dtypes[dtype].name : "?");
	if (ndim < 0 || ndim > QL_MAX_DIMS)
		return ql_error_set(err, "%s: tensor '%s': %d dimensions (at most %d)", w->path, name,
				    ndim, QL_MAX_DIMS);
	int64_t nelem = ql_shape_elems(shape, ndim);
	int64_t nbytes = nelem < 0 ? -1 : ql_dtype_bytes(dtype, nelem);
	if (nbytes < 0)
		return ql_error_set(err, "%s: tensor '%s': shape is negative or too large", w->path, name);
	if (nbytes > 0 && !data)
		return ql_error_set(err, "%s: tensor '%s': no data", w->path, name);
	if (w->count == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 8;
		ql_wtensor *p = realloc(w->tensors, cap * sizeof *p);
		if (!p)
			return ql_error_set(err, "%s: out of memory", w->path);
		w->tensors = p;
		w->cap = cap;
	}
	ql_wtensor *t = &w->tensors[w->count];
	memset(t, 0, sizeof *t);
	if (!(t->name = strdup(name)))
		return ql_error_set(err, "%s: out of memory", w->path);
	t->dtype = dtype;
	t->ndim = ndim;
	if (ndim)
		memcpy(t->shape, shape, (size_t)ndim * sizeof *shape);
	t->nelem = nelem;
	t->nbytes = (uint64_t)nbytes;
	t->data = data;
	w->count++;
	return 0;
}

int ql_writer_meta(ql_writer *w, const char *key, const char *value, ql_error *err)
{
	if (w->format == WF_NPY)
		return ql_error_set(err, "%s: a .npy file cannot hold metadata", w->path);
	for (size_t i = 0; i < w->meta_count; i++)
		if (strcmp(w->meta[i].key, key) == 0)
			return ql_error_set(err, "%s: metadata key '%s' set twice", w->path, key);
	if (w->meta_count == w->meta_cap) {
		size_t cap = w->meta_cap ? w->meta_cap * 2 : 8;
		ql_meta *p = realloc(w->meta, cap * sizeof *p);
		if (!p)
			return ql_error_set(err, "%s: out of memory", w->path);
		w->meta = p;
		w->meta_cap = cap;
	}
	char *k = strdup(key), *v = strdup(value);
	if (!k || !v) {
		free(k);
		free(v);
		return ql_error_set(err, "%s: out of memory", w->path);
	}
	w->meta[w->meta_count++] = (ql_meta){ .key = k, .value = v };
	return 0;
}

void ql_writer_abort(ql_writer *w)
{
	if (!w)
		return;
	for (size_t i = 0; i < w->count; i++)
		free(w->tensors[i].name);
	for (size_t i = 0; i < w->meta_count; i++) {
		free(w->meta[i].key);
		free(w->meta[i].value);
	}
	free(w->tensors);
	free(w->meta);
	free(w->path);
	free(w);
}

/* The folder of path ("." for a bare name), malloc'd. */
static char *folder_of(const char *path)
{
	char *copy = strdup(path);
	if (!copy)
		return NULL;
	char *dir = strdup(dirname(copy));
	free(copy);
	return dir;
}

static int write_temp(ql_writer *w, const char *dir, char **tmp_out, int *slot, ql_error *err)
{
	const char *base = strrchr(w->path, '/');
	base = base ? base + 1 : w->path;
	/* ".BASE.XXXXXX" must be a name the folder takes: a BASE within 8
	 * bytes of NAME_MAX is cut (the rename gives the file its full name). */
	int keep = (int)strnlen(base, NAME_MAX - 8);
	size_t n = strlen(dir) + (size_t)keep + 16;
	char *tmp = malloc(n);
	if (!tmp)
		return ql_error_set(err, "out of memory");
	snprintf(tmp, n, "%s/.%.*s.XXXXXX", dir, keep, base);
	/* Registered for removal on SIGINT/TERM/HUP/QUIT (qlens/cleanup.h), with
	 * those signals held off until it is, so no moment leaves it behind. */
	sigset_t old;
	ql_cleanup_block(&old);
	int fd = mkstemp(tmp);
	int e = errno;
	if (fd >= 0)
		*slot = ql_cleanup_add(tmp);
	ql_cleanup_unblock(&old);
	if (fd < 0) {
		free(tmp);
		return ql_error_set(err, "cannot create a file in %s: %s", dir, strerror(e));
	}
	/* A file replaced (--force) keeps its permissions, so a private output
	 * stays private; a new one gets 0666 less the umask, as open() would. */
	struct stat old_st;
	mode_t mode;
	if (stat(w->path, &old_st) == 0 && S_ISREG(old_st.st_mode)) {
		mode = old_st.st_mode & 0777;
	} else {
		mode_t mask = umask(0);
		umask(mask);
		mode = 0666 & ~mask;
	}
	fchmod(fd, mode);
	*tmp_out = tmp;
	FILE *f = fdopen(fd, "wb");
	if (!f) {
		e = errno;
		close(fd);
		return ql_error_set(err, "%s", strerror(e));
	}
	int rc = w->format == WF_NPY ?
		ql_npy_write(f, &w->tensors[0], err) :
		ql_safetensors_write(f, w->tensors, w->count, w->meta, w->meta_count, err);
	if (rc == 0 && fflush(f) != 0)
		rc = ql_error_set(err, "write failed: %s", strerror(errno));
	if (rc == 0 && fsync(fileno(f)) != 0)
		rc = ql_error_set(err, "fsync failed: %s", strerror(errno));
	if (fclose(f) != 0 && rc == 0)
		rc = ql_error_set(err, "write failed: %s", strerror(errno));
	return rc;
}

int ql_writer_place(const char *tmp, const char *path, bool force)
{
	if (force)
		return rename(tmp, path);
#ifdef RENAME_NOREPLACE
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS && errno != ENOTSUP)
		return -1;
#endif
	if (link(tmp, path) == 0) {
		unlink(tmp);
		return 0;
	}
	if (errno == EEXIST)
		return -1;
	return rename(tmp, path); /* no hard links here either */
}

int ql_writer_close(ql_writer *w, ql_error *err)
{
	int rc = -1;
	char *dir = NULL, *tmp = NULL;
	int slot = -1;
	if (w->format == WF_NPY && w->count != 1) {
		ql_error_set(err, "%s: nothing to write", w->path);
		goto out;
	}
	if (!(dir = folder_of(w->path))) {
		ql_error_set(err, "%s: out of memory", w->path);
		goto out;
	}
	if (write_temp(w, dir, &tmp, &slot, err)) {
		ql_error_prefix(err, "%s", w->path);
		goto out;
	}
	/* the world may have changed while we wrote */
	if (check_destination(w->path, w->force, err))
		goto out;
	if (ql_writer_place(tmp, w->path, w->force) != 0) {
		if (errno == EEXIST) /* made by another process since the check */
			ql_error_set(err, "%s: already exists (use --force to replace it)", w->path);
		else
			ql_error_set(err, "%s: cannot rename the finished file into place: %s",
				     w->path, strerror(errno));
		goto out;
	}
	ql_cleanup_remove(slot);
	slot = -1;
	free(tmp);
	tmp = NULL;
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd); /* best effort: the rename is durable once the folder is */
		close(dfd);
	}
	rc = 0;
out:
	if (tmp) {
		unlink(tmp);
		free(tmp);
	}
	ql_cleanup_remove(slot);
	free(dir);
	ql_writer_abort(w);
	return rc;
}
