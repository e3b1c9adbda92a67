/* datadir.c — finding data files: the override, the source tree, the
 * installed folder (see qlens/datadir.h for the order and why). */
#include "qlens/datadir.h"

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef QLENS_DATADIR
#define QLENS_DATADIR "/usr/local/share/qlens"
#endif

#define DD_PATH_MAX 4096
/* A file in this relative path marks a folder as a qlens source tree. */
#define TREE_MARK "include/qlens/datadir.h"
/* Folders above the binary's folder that may be the tree's root
 * (build/asan/tests/test_x is three above its root). */
#define TREE_LEVELS 4

const char *ql_data_installed_dir(void)
{
	return QLENS_DATADIR;
}

static bool exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

/* dir + "/" + rel into out[n]; false when it does not fit. */
static bool join(char *out, size_t n, const char *dir, const char *rel)
{
	size_t k = strlen(dir);
	while (k > 1 && dir[k - 1] == '/')
		k--;
	int w = snprintf(out, n, "%.*s/%s", (int)k, dir, rel);
	return w >= 0 && (size_t)w < n;
}

/* Relative, not empty, no ".." part: a data file stays inside its folder. */
static bool rel_ok(const char *rel)
{
	if (!rel || !*rel || rel[0] == '/')
		return false;
	for (const char *p = rel; *p;) {
		const char *e = strchr(p, '/');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		if (len == 2 && p[0] == '.' && p[1] == '.')
			return false;
		p += len;
		while (*p == '/')
			p++;
	}
	return true;
}

/* Tries dir/rel; 1 found (out filled), 0 not there, -1 too long. */
static int try_dir(const char *dir, const char *rel, char *out, size_t n)
{
	char path[DD_PATH_MAX];
	if (!join(path, sizeof path, dir, rel))
		return -1;
	if (!exists(path))
		return 0;
	size_t len = strlen(path);
	if (len + 1 > n)
		return -1;
	memcpy(out, path, len + 1);
	return 1;
}

/* The qlens checkout the binary (an absolute path) is in, if any: its root
 * into root[n]. */
static bool tree_root(const char *exe, char *root, size_t n)
{
	char dir[DD_PATH_MAX];
	if (exe[0] != '/')
		return false;
	size_t len = strlen(exe);
	if (len + 1 > sizeof dir)
		return false;
	memcpy(dir, exe, len + 1);
	for (int level = 0; level <= TREE_LEVELS; level++) {
		char *slash = strrchr(dir, '/');
		if (!slash)
			return false;
		if (slash == dir)
			dir[1] = '\0'; /* the parent is "/" */
		else
			*slash = '\0';
		char mark[DD_PATH_MAX];
		if (join(mark, sizeof mark, dir, TREE_MARK) && exists(mark)) {
			size_t k = strlen(dir);
			if (k + 1 > n)
				return false;
			memcpy(root, dir, k + 1);
			return true;
		}
		if (strcmp(dir, "/") == 0)
			return false;
	}
	return false;
}

int ql_data_path_from(const ql_data_roots *roots, const char *rel, char *out, size_t n,
		      ql_error *err)
{
	if (!rel_ok(rel))
		return ql_error_set(err, "%s: not a data file name (relative, without \"..\")",
				    rel ? rel : "(null)");
	if (strlen(rel) >= DD_PATH_MAX)
		return ql_error_set(err, "%.40s...: data file name too long", rel);
	if (!out || n == 0)
		return ql_error_set(err, "%s: no room for the path", rel);

	char looked[QL_ERROR_MAX] = "";
	size_t used = 0;
	const char *dirs[2] = { NULL, NULL };
	char root[DD_PATH_MAX];

	if (roots->env && *roots->env) {
		int r = try_dir(roots->env, rel, out, n);
		if (r > 0)
			return 0;
		if (r < 0)
			return ql_error_set(err, "%s: path too long under %s", rel, roots->env);
		return ql_error_set(err, "%s: not in $QLENS_DATADIR (%s)", rel, roots->env);
	}
	if (roots->exe && *roots->exe && tree_root(roots->exe, root, sizeof root))
		dirs[0] = root;
	if (roots->installed && *roots->installed)
		dirs[1] = roots->installed;

	for (int i = 0; i < 2; i++) {
		if (!dirs[i])
			continue;
		int r = try_dir(dirs[i], rel, out, n);
		if (r > 0)
			return 0;
		if (r < 0)
			return ql_error_set(err, "%s: path too long under %s", rel, dirs[i]);
		int w = snprintf(looked + used, sizeof looked - used, "%s%s", used ? ", " : "", dirs[i]);
		if (w > 0)
			used = (size_t)w + used < sizeof looked ? used + (size_t)w : sizeof looked - 1;
	}
	if (!used)
		return ql_error_set(err, "%s: no data folder (set QLENS_DATADIR)", rel);
	return ql_error_set(err, "%s: data file not found (looked in %s; QLENS_DATADIR overrides)",
			    rel, looked);
}

int ql_data_path(const char *rel, char *out, size_t n, ql_error *err)
{
	char exe[DD_PATH_MAX];
	ssize_t k = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (k < 0 || (size_t)k >= sizeof exe - 1)
		k = 0;
	exe[k] = '\0';
	ql_data_roots roots = {
		.env = getenv("QLENS_DATADIR"),
		.exe = exe,
		.installed = QLENS_DATADIR,
	};
	return ql_data_path_from(&roots, rel, out, n, err);
}
