/* doc.c — files open in the inspector, and the recent-files list (see
 * inspect.h).
 *
 * A file opened twice (its tree, then one of its tensors on top) is one
 * ql_source: screens take a reference and drop it when they close; the
 * last one closes the source. Background threads read tensor data under the
 * doc's own lock and release the pages after, so memory follows what is on
 * screen, not the file's size.
 *
 * Recent files: one absolute path per line in $XDG_STATE_HOME/qlens/recent
 * (default ~/.local/state/qlens/recent), most recent first, rewritten
 * through a temporary file renamed into place.
 */
#include "inspect.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define DOCS_MAX 32

static pthread_mutex_t docs_lock = PTHREAD_MUTEX_INITIALIZER;
static ql_doc *docs[DOCS_MAX];

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

ql_doc *ql_doc_open(const char *path, ql_error *err)
{
	pthread_mutex_lock(&docs_lock);
	for (int i = 0; i < DOCS_MAX; i++)
		if (docs[i] && strcmp(docs[i]->path, path) == 0) {
			docs[i]->refs++;
			ql_doc *d = docs[i];
			pthread_mutex_unlock(&docs_lock);
			return d;
		}
	pthread_mutex_unlock(&docs_lock);

	ql_doc *d = calloc(1, sizeof *d);
	if (!d || !(d->path = strdup(path))) {
		free(d);
		ql_error_set(err, "out of memory");
		return NULL;
	}
	double t0 = now_ms();
	if (ql_source_open(path, NULL, &d->src, err)) {
		free(d->path);
		free(d);
		return NULL;
	}
	d->open_ms = now_ms() - t0;
	pthread_mutex_init(&d->lock, NULL);
	d->refs = 1;
	pthread_mutex_lock(&docs_lock);
	for (int i = 0; i < DOCS_MAX; i++)
		if (!docs[i]) {
			docs[i] = d;
			break;
		}
	pthread_mutex_unlock(&docs_lock);
	return d; /* a 33rd file is simply not shared */
}

void ql_doc_unref(ql_doc *d)
{
	if (!d)
		return;
	pthread_mutex_lock(&docs_lock);
	bool last = --d->refs == 0;
	if (last)
		for (int i = 0; i < DOCS_MAX; i++)
			if (docs[i] == d)
				docs[i] = NULL;
	pthread_mutex_unlock(&docs_lock);
	if (!last)
		return;
	ql_source_close(d->src);
	pthread_mutex_destroy(&d->lock);
	free(d->path);
	free(d);
}

#define DECODE_CHUNK ((int64_t)1 << 22) /* a multiple of every block length */

int ql_doc_read_f32(ql_doc *d, size_t i, float **out, ql_job *j, double share, ql_error *err)
{
	*out = NULL;
	pthread_mutex_lock(&d->lock);
	if (j && !ql_job_progress(j, 0)) {
		pthread_mutex_unlock(&d->lock);
		return ql_error_set(err, "cancelled");
	}
	const ql_tensor *t = ql_source_tensor(d->src, i);
	const ql_dtype_info *di = &ql_dtypes[t->dtype];
	bool chunked = j && !t->fortran_order && t->dtype != QL_DT_OTHER && t->nelem > DECODE_CHUNK &&
		       DECODE_CHUNK % di->block_elems == 0;
	int rc;
	if (!chunked) {
		rc = ql_source_read_f32(d->src, i, out, err);
	} else if ((rc = ql_source_read(d->src, i, err)) == 0) {
		/* in pieces, so a big tensor shows progress and can be left */
		float *buf = malloc((size_t)t->nelem * sizeof *buf);
		if (!buf)
			rc = ql_error_set(err, "%s: tensor '%s': out of memory (%lld elements)", d->path,
					  t->name, (long long)t->nelem);
		for (int64_t at = 0; rc == 0 && at < t->nelem; at += DECODE_CHUNK) {
			ql_tensor piece = *t;
			int64_t n = t->nelem - at < DECODE_CHUNK ? t->nelem - at : DECODE_CHUNK;
			piece.ndim = 1;
			piece.shape[0] = n;
			piece.nelem = n;
			piece.nbytes = (uint64_t)(n / di->block_elems * di->block_bytes);
			piece.data = (const uint8_t *)t->data + at / di->block_elems * di->block_bytes;
			if (ql_tensor_to_f32(&piece, buf + at, err))
				rc = ql_error_prefix(err, "%s", d->path);
			else if (!ql_job_progress(j, share * (double)(at + n) / (double)t->nelem))
				rc = ql_error_set(err, "cancelled");
		}
		if (rc)
			free(buf);
		else
			*out = buf;
	}
	ql_source_release(d->src, i);
	pthread_mutex_unlock(&d->lock);
	return rc;
}

/* ---- recent files -------------------------------------------------------- */

static int state_dir(char *buf, size_t n)
{
	const char *state = getenv("XDG_STATE_HOME");
	const char *home = getenv("HOME");
	if (state && state[0] == '/')
		snprintf(buf, n, "%s/qlens", state);
	else if (home && home[0])
		snprintf(buf, n, "%s/.local/state/qlens", home);
	else
		return -1;
	/* make it and its parents */
	for (char *s = buf + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		int r = mkdir(buf, 0700);
		*s = '/';
		if (r && errno != EEXIST)
			return -1;
	}
	return mkdir(buf, 0700) && errno != EEXIST ? -1 : 0;
}

int ql_recent_load(char **paths, int max)
{
	char dir[PATH_MAX], file[PATH_MAX + 16];
	if (state_dir(dir, sizeof dir))
		return 0;
	snprintf(file, sizeof file, "%s/recent", dir);
	FILE *f = fopen(file, "r");
	if (!f)
		return 0;
	int n = 0;
	char line[PATH_MAX + 2];
	while (n < max && fgets(line, sizeof line, f)) {
		line[strcspn(line, "\n")] = '\0';
		if (!line[0])
			continue;
		if (!(paths[n] = strdup(line)))
			break;
		n++;
	}
	fclose(f);
	return n;
}

static void save(char **paths, int n)
{
	char dir[PATH_MAX], file[PATH_MAX + 16], tmp[PATH_MAX + 32];
	if (state_dir(dir, sizeof dir))
		return;
	snprintf(file, sizeof file, "%s/recent", dir);
	snprintf(tmp, sizeof tmp, "%s/recent.%ld", dir, (long)getpid());
	FILE *f = fopen(tmp, "w");
	if (!f)
		return;
	for (int i = 0; i < n; i++)
		fprintf(f, "%s\n", paths[i]);
	if (fclose(f) == 0)
		rename(tmp, file);
	else
		unlink(tmp);
}

static void update(const char *path, bool add)
{
	char abs[PATH_MAX];
	if (!realpath(path, abs))
		snprintf(abs, sizeof abs, "%s", path);
	if (strchr(abs, '\n'))
		return;
	char *paths[QL_RECENT_MAX + 1];
	int n = ql_recent_load(paths, QL_RECENT_MAX);
	char *out[QL_RECENT_MAX + 1];
	int k = 0;
	if (add)
		out[k++] = abs;
	for (int i = 0; i < n; i++)
		if (strcmp(paths[i], abs) != 0 && k < QL_RECENT_MAX)
			out[k++] = paths[i];
	save(out, k);
	for (int i = 0; i < n; i++)
		free(paths[i]);
}

void ql_recent_add(const char *path)
{
	update(path, true);
}

void ql_recent_drop(const char *path)
{
	update(path, false);
}
