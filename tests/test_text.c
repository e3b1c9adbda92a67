/* test_text.c — the text and raw readers against files made by
 * tests/golden/gen_readers.py, whose expected float32 values are NumPy's
 * float32 of Python's float() of each number.
 *
 * Text: rows and columns, comments, blank lines, CR LF and a byte-order
 * mark, hex floats, nan/inf/-0, subnormals, a trailing comma, the C locale
 * whatever LC_NUMERIC says; refused with a line number: ragged rows, words,
 * values beyond float32, doubled commas, files with no numbers.
 * Raw: --raw DTYPE --shape, sizes that do not match, unknown dtypes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ftw.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <unistd.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qlens/io.h"
#include "testutil.h"

static char dir[1024];

static const char *golden(const char *name)
{
	static char path[2048];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	return path;
}

static ql_source *open_with(const char *path, const ql_open_opts *opts)
{
	ql_source *src = NULL;
	ql_error err = { "" };
	if (ql_source_open(path, opts, &src, &err))
		fail_msg("%s: %s", path, err.msg);
	return src;
}

/* Opening fails, and the one-line message names the file and says `what`. */
static void refused(const char *file, const ql_open_opts *opts, const char *what)
{
	ql_source *src = NULL;
	ql_error err = { "" };
	const char *path = golden(file);
	if (ql_source_open(path, opts, &src, &err) == 0) {
		ql_source_close(src);
		fail_msg("%s opened", file);
	}
	if (strncmp(err.msg, path, strlen(path)) != 0 || !strstr(err.msg, what) || strchr(err.msg, '\n'))
		fail_msg("%s: message \"%s\" lacks \"%s\"", file, err.msg, what);
}


/* Source tensor 0 matches the single array of the .npy expect file. */
static void check(ql_source *src, const char *expect, int ndim, int64_t d0, int64_t d1)
{
	const ql_tensor *t = ql_source_tensor(src, 0);
	assert_int_equal(t->ndim, ndim);
	assert_int_equal(t->shape[0], d0);
	if (ndim > 1)
		assert_int_equal(t->shape[1], d1);
	ql_error err = { "" };
	float *got = NULL, *want = NULL;
	ql_source *ex = open_with(golden(expect), NULL);
	if (ql_source_read_f32(src, 0, &got, &err) || ql_source_read_f32(ex, 0, &want, &err))
		fail_msg("%s", err.msg);
	assert_int_equal(ql_source_tensor(ex, 0)->nelem, t->nelem);
	tu_assert_same_floats(got, want, t->nelem, expect);
	free(got);
	free(want);
	ql_source_close(ex);
}

static void test_grid(void **state)
{
	(void)state;
	ql_source *src = open_with(golden("grid.txt"), NULL);
	assert_string_equal(ql_source_format(src), "text");
	assert_int_equal(ql_source_count(src), 1);
	assert_string_equal(ql_source_tensor(src, 0)->name, "grid");
	assert_int_equal(ql_source_tensor(src, 0)->dtype, QL_DT_F32);
	check(src, "grid_expect.npy", 2, 3, 3);
	ql_source_close(src);
}

static void test_line_crlf_bom(void **state)
{
	(void)state;
	ql_source *src = open_with(golden("line.csv"), NULL);
	check(src, "line_expect.npy", 1, 5, 0);
	ql_source_close(src);
}

static void test_column(void **state)
{
	(void)state;
	ql_source *src = open_with(golden("column.txt"), NULL);
	const ql_tensor *t = ql_source_tensor(src, 0);
	assert_int_equal(t->ndim, 2);
	assert_int_equal(t->shape[0], 4);
	assert_int_equal(t->shape[1], 1);
	ql_source_close(src);
}

/* A decimal-comma locale must not change how numbers read. An installed
 * one is used if there is one; otherwise one is made with localedef (from
 * the i18n sources of Debian's libc-bin / locales) into a scratch folder
 * named by LOCPATH; if neither works the test is skipped, never passed
 * without a decimal comma in force. */
static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

static bool decimal_comma(void)
{
	const struct lconv *lc = localeconv();
	return lc && lc->decimal_point && strcmp(lc->decimal_point, ",") == 0;
}

static void test_locale(void **state)
{
	(void)state;
	const char *locales[] = { "de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8", "fr_FR.utf8" };
	bool set = false;
	for (size_t i = 0; i < 4 && !set; i++)
		set = setlocale(LC_NUMERIC, locales[i]) && decimal_comma();
	char tmp[] = "/tmp/qlens-locale-XXXXXX";
	bool made = false;
	if (!set && access("/usr/share/i18n/locales/de_DE", R_OK) == 0 && mkdtemp(tmp)) {
		made = true;
		char cmd[256];
		snprintf(cmd, sizeof cmd, "localedef -i de_DE -f UTF-8 %s/de_DE.UTF-8 >/dev/null 2>&1",
			 tmp);
		if (system(cmd) == 0) {
			setenv("LOCPATH", tmp, 1);
			set = setlocale(LC_NUMERIC, "de_DE.UTF-8") && decimal_comma();
		}
	}
	if (set) {
		assert_true(strtod("1.5", NULL) == 1.0); /* the locale is in force... */
		ql_source *src = open_with(golden("grid.txt"), NULL);
		check(src, "grid_expect.npy", 2, 3, 3); /* ...and qlens reads 1.5 all the same */
		ql_source_close(src);
	}
	setlocale(LC_NUMERIC, "C");
	unsetenv("LOCPATH");
	if (made)
		nftw(tmp, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	if (!set)
		skip(); /* no decimal-comma locale here, and none could be made */
}

static void test_refused(void **state)
{
	(void)state;
	refused("ragged.txt", NULL, "line 3 has 2 values, but line 1 has 3");
	refused("word.txt", NULL, "line 2: 'abc' is not a number");
	refused("huge.txt", NULL, "line 1: 1e39 is beyond float32's range");
	refused("comments_only.txt", NULL, "no numbers");
	refused("double_comma.csv", NULL, "line 1: a comma with no number before it");
}

static void test_raw(void **state)
{
	(void)state;
	ql_open_opts o = { .raw_dtype = "fp16", .raw_shape = "4x8" };
	ql_source *src = open_with(golden("bare.bin"), &o);
	assert_string_equal(ql_source_format(src), "raw");
	assert_string_equal(ql_source_tensor(src, 0)->name, "bare");
	assert_int_equal(ql_source_tensor(src, 0)->dtype, QL_DT_F16);
	check(src, "bare_expect.npy", 2, 4, 8);
	ql_source_close(src);

	/* the safetensors spelling works too; no --shape: 1-D */
	ql_open_opts o2 = { .raw_dtype = "F16" };
	src = open_with(golden("bare.bin"), &o2);
	assert_int_equal(ql_source_tensor(src, 0)->ndim, 1);
	assert_int_equal(ql_source_tensor(src, 0)->shape[0], 32);
	ql_source_close(src);

	/* 64 bytes as bytes: 2x32 u8 */
	ql_open_opts o3 = { .raw_dtype = "uint8", .raw_shape = "2,32" };
	src = open_with(golden("bare.bin"), &o3);
	assert_int_equal(ql_source_tensor(src, 0)->nelem, 64);
	ql_source_close(src);

	/* --raw wins over a format the file would otherwise be read as */
	ql_open_opts o4 = { .raw_dtype = "u8" };
	src = open_with(golden("grid_expect.npy"), &o4);
	assert_string_equal(ql_source_format(src), "raw");
	ql_source_close(src);

	ql_open_opts bad1 = { .raw_dtype = "fp16", .raw_shape = "4x9" };
	refused("bare.bin", &bad1, "the file has 64 bytes, but 4x9 F16 takes 72");
	ql_open_opts bad2 = { .raw_dtype = "float7" };
	refused("bare.bin", &bad2, "--raw float7: unknown dtype");
	ql_open_opts bad3 = { .raw_dtype = "f32", .raw_shape = "4xx8" };
	refused("bare.bin", &bad3, "--shape 4xx8");
	ql_open_opts bad4 = { .raw_dtype = "f32", .raw_shape = "99999999999x99999999999" };
	refused("bare.bin", &bad4, "too many elements");
	ql_open_opts bad5 = { .raw_dtype = "q8_0", .raw_shape = "16" };
	refused("bare.bin", &bad5, "not a whole number of Q8_0 blocks");
}

int main(void)
{
	const char *srcdir = getenv("QLENS_SRCDIR");
	snprintf(dir, sizeof dir, "%s/tests/golden/readers", srcdir ? srcdir : ".");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_grid),
		cmocka_unit_test(test_line_crlf_bom),
		cmocka_unit_test(test_column),
		cmocka_unit_test(test_locale),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_raw),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
