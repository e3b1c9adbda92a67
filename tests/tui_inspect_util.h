/* tui_inspect_util.h — what the inspector's screen suites share
 * (test_tui_inspect.c, test_tui_views.c): the screen read back and
 * searched, opening a screen with arguments, feeding keys, waiting for
 * background work, running a CLI command in-process, reading a tensor, and
 * the pinned environment (INPUTRC=/dev/null, a fresh XDG_STATE_HOME, a
 * UTF-8 locale). Static inline: each suite uses what it needs.
 */
#ifndef QLENS_TESTS_TUI_INSPECT_UTIL_H
#define QLENS_TESTS_TUI_INSPECT_UTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curses.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include "qlens/command.h"
#include "qlens/io.h"
#include "qlens/tui.h"
#include "testutil.h"

const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:libncursesw\nleak:libtinfo\nleak:libreadline\n";
}

static char state_dir[256];
static char model[512], tstats_dir[512];

static char row_buf[4096];

static inline const char *row(ql_tui *t, int y)
{
	ql_tui_row(t, y, row_buf, sizeof row_buf);
	return row_buf;
}

static inline void dump(ql_tui *t)
{
	static char buf[65536];
	ql_tui_dump(t, buf, sizeof buf);
	print_message("%s", buf);
}

static inline int find_row(ql_tui *t, int from, const char *s)
{
	for (int y = from; y < LINES; y++)
		if (strstr(row(t, y), s))
			return y;
	return -1;
}

static inline void expect_text(ql_tui *t, const char *s)
{
	if (find_row(t, 0, s) < 0) {
		dump(t);
		fail_msg("not on screen: '%s'", s);
	}
}

static inline void expect_no_text(ql_tui *t, const char *s)
{
	int y = find_row(t, 0, s);
	if (y >= 0) {
		dump(t);
		fail_msg("on screen (row %d) but should not be: '%s'", y, s);
	}
}

/* Rows y and y + 1 read together (the first one's trailing blanks and the
 * second's leading ones as one space): a text wrapped over two rows. */
static inline const char *two_rows(ql_tui *t, int y)
{
	static char both[8192], first[4096];
	snprintf(first, sizeof first, "%s", row(t, y)); /* row() reuses its buffer */
	return tu_join_rows(first, row(t, y + 1), both, sizeof both);
}

/* Row y shows text whole, or its beginning to the end of a word and then
 * the ellipsis ell ("…", "..."), nothing after it: never a cut word. */
static inline void expect_fitted(ql_tui *t, int y, const char *text, const char *ell)
{
	int ok = tu_fitted(row(t, y), text, ell);
	if (ok < 0) {
		dump(t);
		fail_msg("row %d lacks '%.12s'", y, text);
	} else if (!ok) {
		dump(t);
		fail_msg("row %d: '%s' is not cut at a word with '%s'", y, text, ell);
	}
}

static inline int count_rows(ql_tui *t, const char *s)
{
	int n = 0;
	for (int y = 0; y < LINES; y++)
		n += strstr(row(t, y), s) != NULL;
	return n;
}

static inline ql_tui *open_args(int lines, int cols, const char *screen, int argc, char **argv)
{
	ql_error err = {{0}};
	ql_tui *t = ql_tui_open_virtual_args("xterm-256color", lines, cols, screen, argc, argv, &err);
	if (!t)
		fail_msg("ql_tui_open_virtual_args: %s", err.msg);
	return t;
}

static inline ql_tui *open_file(int lines, int cols, const char *path)
{
	char *args[] = {(char *)path, NULL};
	return open_args(lines, cols, "file", 1, args);
}

static inline void key(ql_tui *t, int k)
{
	assert_int_equal(ql_tui_feed_key(t, k), 0);
}

static inline void keys(ql_tui *t, const char *s)
{
	assert_int_equal(ql_tui_feed_keys(t, s), 0);
}

/* Lets the background statistics finish (at most 10 s). */
static inline void wait_stats(ql_tui *t)
{
	for (int i = 0; i < 1000 && find_row(t, 0, "Computing statistics") >= 0; i++)
		ql_tui_idle(t, 10);
	if (find_row(t, 0, "Computing statistics") >= 0) {
		dump(t);
		fail_msg("the statistics did not finish");
	}
}

static inline int setup_env(void **state)
{
	(void)state;
	setenv("INPUTRC", "/dev/null", 1);
	unsetenv("NO_COLOR");
	setlocale(LC_CTYPE, "C.UTF-8");
	snprintf(state_dir, sizeof state_dir, "/tmp/qlens-test-inspect-XXXXXX");
	if (!mkdtemp(state_dir))
		return -1;
	setenv("XDG_STATE_HOME", state_dir, 1);
	const char *src = getenv("QLENS_SRCDIR");
	snprintf(model, sizeof model, "%s/tests/golden/inspect/model.safetensors", src ? src : ".");
	snprintf(tstats_dir, sizeof tstats_dir, "%s/tests/golden/tstats", src ? src : ".");
	return 0;
}

static inline int teardown_env(void **state)
{
	(void)state;
	char cmd[512];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", state_dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Runs a CLI command in-process (the command table); its status. */
static inline int run_cli(int argc, char **argv)
{
	char *obuf = NULL, *ebuf = NULL;
	size_t olen = 0, elen = 0;
	FILE *out = open_memstream(&obuf, &olen), *err = open_memstream(&ebuf, &elen);
	ql_cmd_ctx ctx = {.out = out, .err = err, .interactive = false, .progress = false};
	int rc = ql_command_run(&ctx, argc, argv);
	fclose(out);
	fclose(err);
	if (rc)
		print_message("%s: %s", argv[0], ebuf);
	free(obuf);
	free(ebuf);
	return rc;
}

/* Tensor `name` of a file, its bytes copied (malloc'd) and its shape. */
static inline void *read_tensor(const char *path, const char *name, ql_tensor *desc)
{
	ql_error err = {{0}};
	ql_source *src = NULL;
	if (ql_source_open(path, NULL, &src, &err))
		fail_msg("%s", err.msg);
	long i = ql_source_find(src, name);
	if (i < 0)
		fail_msg("%s: no %s", path, name);
	if (ql_source_read(src, (size_t)i, &err))
		fail_msg("%s", err.msg);
	*desc = *ql_source_tensor(src, (size_t)i);
	void *copy = malloc(desc->nbytes + 1);
	assert_non_null(copy);
	memcpy(copy, desc->data, desc->nbytes);
	desc->data = copy;
	ql_source_close(src);
	return copy;
}

static inline void wait_ready(ql_tui *t, const char *busy)
{
	for (int i = 0; i < 1000 && find_row(t, 0, busy) >= 0; i++)
		ql_tui_idle(t, 10);
	if (find_row(t, 0, busy) >= 0) {
		dump(t);
		fail_msg("still '%s'", busy);
	}
}

/* The cells view's codes and scales are those `qlens quantize -o` writes:
 * int4/g32 and uint8/asym/ch0 on a 32x96 F32 tensor, cells all over it
 * (corners, a group's edges, the largest error). */
#endif
