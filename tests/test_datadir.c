/* test_datadir.c — finding data files (datadir.h): the override, the source
 * tree above the binary, the installed folder, in that order; bad names and
 * short buffers refused with a message. Each case builds its own folders
 * under /tmp, so what is found is known without looking at the real tree;
 * one case runs the real search from this test binary, which make test runs
 * from build/asan/tests inside the checkout. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "qlens/datadir.h"
#include "testutil.h"

static char tmp[256];

static void mkdirs(const char *rel)
{
	char path[1024];
	snprintf(path, sizeof path, "%s/%s", tmp, rel);
	for (char *p = path + strlen(tmp) + 1; *p; p++) {
		if (*p == '/') {
			*p = '\0';
			mkdir(path, 0755);
			*p = '/';
		}
	}
	mkdir(path, 0755);
}

static void touch(const char *rel)
{
	char path[1024];
	snprintf(path, sizeof path, "%s/%s", tmp, rel);
	tu_spew(path, "x", 1);
}

static const char *at(const char *rel)
{
	static char bufs[64][1024]; /* roots keep pointers into these */
	static int k;
	char *b = bufs[k++ % 64];
	snprintf(b, 1024, "%s/%s", tmp, rel);
	return b;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

/* A checkout (src/, with the mark, a lesson, an asset and build folders),
 * an installed folder and an override folder, each holding different
 * files. */
static int setup(void **state)
{
	(void)state;
	if (tu_make_tmpdir(tmp, sizeof tmp, "datadir"))
		return -1;
	mkdirs("src/include/qlens");
	touch("src/include/qlens/datadir.h");
	mkdirs("src/lessons");
	touch("src/lessons/01.lesson");
	mkdirs("src/assets");
	touch("src/assets/both.npy");
	mkdirs("src/build/asan/tests");
	mkdirs("share/qlens/assets");
	touch("share/qlens/assets/both.npy");
	touch("share/qlens/assets/installed_only.npy");
	mkdirs("share/qlens/lessons");
	mkdirs("over/assets");
	touch("over/assets/over.npy");
	mkdirs("deep/a/b/c/d/e");
	touch("deep/include"); /* not the mark: a file, not include/qlens/datadir.h */
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return nftw(tmp, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void expect_found(const ql_data_roots *r, const char *rel, const char *want)
{
	char out[1024];
	ql_error err = { "" };
	int rc = ql_data_path_from(r, rel, out, sizeof out, &err);
	if (rc)
		fail_msg("%s: %s", rel, err.msg);
	assert_string_equal(out, want);
}

static void expect_error(const ql_data_roots *r, const char *rel, const char *part)
{
	char out[1024] = "unchanged";
	ql_error err = { "" };
	assert_int_equal(ql_data_path_from(r, rel, out, sizeof out, &err), -1);
	if (!strstr(err.msg, part))
		fail_msg("error \"%s\" lacks \"%s\"", err.msg, part);
}

/* From the binary of each build folder, the tree's files win over the
 * installed ones; what only the installed folder has is found there. */
static void test_tree_then_installed(void **state)
{
	(void)state;
	const char *exes[] = { "src/build/qlens", "src/build/asan/qlens",
			       "src/build/asan/tests/test_x" };
	for (size_t i = 0; i < sizeof exes / sizeof exes[0]; i++) {
		ql_data_roots r = { NULL, at(exes[i]), at("share/qlens") };
		expect_found(&r, "assets/both.npy", at("src/assets/both.npy"));
		expect_found(&r, "lessons/01.lesson", at("src/lessons/01.lesson"));
		expect_found(&r, "lessons", at("src/lessons"));
		expect_found(&r, "assets/installed_only.npy", at("share/qlens/assets/installed_only.npy"));
	}
}

/* An installed binary (no tree above it) uses the installed folder. */
static void test_installed_binary(void **state)
{
	(void)state;
	ql_data_roots r = { "", at("bin/qlens"), at("share/qlens") };
	expect_found(&r, "assets/both.npy", at("share/qlens/assets/both.npy"));
	expect_found(&r, "lessons", at("share/qlens/lessons"));
	expect_error(&r, "lessons/01.lesson", "data file not found");
	expect_error(&r, "lessons/01.lesson", at("share/qlens"));
}

/* A tree deeper than four folders above the binary is not looked for; a
 * file named like the mark's folder is not the mark. */
static void test_tree_levels(void **state)
{
	(void)state;
	ql_data_roots r = { NULL, at("deep/a/b/c/d/e/qlens"), NULL };
	expect_error(&r, "lessons", "no data folder");
	mkdirs("deep/a/include/qlens");
	touch("deep/a/include/qlens/datadir.h");
	mkdirs("deep/a/lessons");
	/* deep/a is four folders above deep/a/b/c/d/e: the last level looked at */
	expect_found(&r, "lessons", at("deep/a/lessons"));
	ql_data_roots r5 = { NULL, at("deep/a/b/c/d/e/f/qlens"), NULL };
	expect_error(&r5, "lessons", "no data folder");
}

/* The override wins, and is final: no fall back to the tree or the
 * installed folder when the file is not in it. */
static void test_override(void **state)
{
	(void)state;
	ql_data_roots r = { at("over"), at("src/build/qlens"), at("share/qlens") };
	expect_found(&r, "assets/over.npy", at("over/assets/over.npy"));
	expect_error(&r, "assets/both.npy", "not in $QLENS_DATADIR");
	expect_error(&r, "assets/both.npy", at("over"));
	char slash[1024];
	snprintf(slash, sizeof slash, "%s/", at("over"));
	ql_data_roots rs = { slash, NULL, NULL };
	expect_found(&rs, "assets/over.npy", at("over/assets/over.npy"));
}

static void test_bad_names(void **state)
{
	(void)state;
	ql_data_roots r = { NULL, at("src/build/qlens"), at("share/qlens") };
	const char *bad[] = { "", "/etc/passwd", "..", "../src/assets/both.npy",
			      "assets/../../share/qlens/assets/both.npy", "assets/.." };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		expect_error(&r, bad[i], "not a data file name");
	expect_error(&r, NULL, "not a data file name");
	/* dots that are not a parent step are names */
	expect_found(&r, "./assets/both.npy", at("src/./assets/both.npy"));
	ql_data_roots none = { NULL, NULL, NULL };
	expect_error(&none, "assets/both.npy", "no data folder");
	ql_data_roots relexe = { NULL, "build/qlens", NULL };
	expect_error(&relexe, "assets/both.npy", "no data folder");
}

/* A path that does not fit is an error, never a cut path. */
static void test_short_buffer(void **state)
{
	(void)state;
	ql_data_roots r = { NULL, at("src/build/qlens"), NULL };
	const char *want = at("src/assets/both.npy");
	size_t len = strlen(want);
	char out[1024];
	ql_error err = { "" };
	assert_int_equal(ql_data_path_from(&r, "assets/both.npy", out, len, &err), -1);
	assert_non_null(strstr(err.msg, "too long"));
	assert_int_equal(ql_data_path_from(&r, "assets/both.npy", out, len + 1, &err), 0);
	assert_string_equal(out, want);
	char huge[5000];
	memset(huge, 'a', sizeof huge - 1);
	huge[sizeof huge - 1] = '\0';
	expect_error(&r, huge, "too long");
}

/* The real search from this binary: the override through the environment,
 * then (without it) the checkout this suite was built in. */
static void test_real(void **state)
{
	(void)state;
	char out[PATH_MAX];
	ql_error err = { "" };
	setenv("QLENS_DATADIR", at("over"), 1);
	assert_int_equal(ql_data_path("assets/over.npy", out, sizeof out, &err), 0);
	assert_string_equal(out, at("over/assets/over.npy"));
	unsetenv("QLENS_DATADIR");

	const char *src = getenv("QLENS_SRCDIR");
	char want[PATH_MAX], got[PATH_MAX], mark[PATH_MAX];
	snprintf(mark, sizeof mark, "%s/include/qlens/datadir.h", src && *src ? src : ".");
	if (!realpath(mark, want))
		fail_msg("cannot resolve %s", mark);
	if (ql_data_path("include/qlens/datadir.h", out, sizeof out, &err))
		fail_msg("%s", err.msg);
	if (!realpath(out, got))
		fail_msg("cannot resolve %s", out);
	assert_string_equal(got, want);
	assert_true(ql_data_installed_dir()[0] == '/');
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tree_then_installed),
		cmocka_unit_test(test_installed_binary),
		cmocka_unit_test(test_tree_levels),
		cmocka_unit_test(test_override),
		cmocka_unit_test(test_bad_names),
		cmocka_unit_test(test_short_buffer),
		cmocka_unit_test(test_real),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
