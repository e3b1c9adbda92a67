/* datadir.h — where qlens's data files (assets/..., lessons/...) are.
 *
 *   char path[4096];
 *   if (ql_data_path("lessons/01-bits.lesson", path, sizeof path, &err))
 *       ...fail: err says where it looked...
 *
 * A data file is named by its path relative to the data folder ("assets/x",
 * "lessons/"); the folder is found, in this order:
 *
 *   1. $QLENS_DATADIR when it is set and not empty. It is an override: when
 *      the file is not there the search stops with an error naming it (a
 *      misspelt override must not silently fall back to other files).
 *   2. The source tree the running binary lives in: the folders above
 *      /proc/self/exe (up to four levels: build/qlens, build/asan/qlens,
 *      build/asan/tests/test_x) that hold include/qlens/datadir.h, i.e. a
 *      qlens checkout. So `make run` and the tests use the tree's files.
 *   3. The installed folder, $(PREFIX)/share/qlens, compiled in by the
 *      Makefile as QLENS_DATADIR.
 *
 * The result is the first of these that holds `rel` (a file or a folder).
 * Core module: no terminal, no allocation, nothing printed.
 */
#ifndef QLENS_DATADIR_H
#define QLENS_DATADIR_H

#include <stddef.h>

#include "qlens/error.h"

/* Where to look, for ql_data_path_from; a NULL or empty member is skipped. */
typedef struct ql_data_roots {
	const char *env;       /* the override folder ($QLENS_DATADIR) */
	const char *exe;       /* absolute path of the running binary */
	const char *installed; /* the installed data folder */
} ql_data_roots;

/* Finds `rel` with the real roots (above) and writes its full path into
 * out[n]. 0 on success; -1 with err set when rel is absolute, empty or has
 * a ".." part, when no root holds it, or when the path does not fit. */
int ql_data_path(const char *rel, char *out, size_t n, ql_error *err);

/* The same search over the given roots (what ql_data_path uses; tests give
 * their own). */
int ql_data_path_from(const ql_data_roots *roots, const char *rel, char *out, size_t n,
		      ql_error *err);

/* The installed data folder compiled in ($(PREFIX)/share/qlens). */
const char *ql_data_installed_dir(void);

#endif
