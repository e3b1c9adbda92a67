/* test_tui_harden.c — the explorer's ':' prompt against hostile input, on a
 * virtual terminal (ql_tui_open_virtual, as test_tui.c).
 *
 * - No leak after prompt use: reverse search (Ctrl-R) with a multibyte
 *   character, again, then Esc and quit. LeakSanitizer runs at exit with
 *   readline's frames NOT suppressed (test_tui.c suppresses them), so a
 *   prompt lost by cancelling inside a search fails this suite.
 * - The line limit: a line longer than QL_PROMPT_MAX (4096 bytes) is cut
 *   with a notice; the command still runs.
 * - Tensor names with newline, ESC/OSC, BEL, C1, bidi overrides, invalid
 *   UTF-8 and 200 characters reach the output pane escaped, by the same
 *   rule as the command line (qlens/escape.h); so do the inspector's tree
 *   and every other screen (they draw through ql_put, which escapes).
 * - A FIFO, as the file to open or at the prompt, is refused at once, not
 *   waited on (no key could end the wait).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curses.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "qlens/io.h"
#include "qlens/tui.h"
#include "testutil.h"

/* ncurses keeps its terminfo and key tables for the life of the process;
 * readline is deliberately not listed here. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:libncursesw\nleak:libtinfo\n";
}

enum { W = 80, H = 24 };

static char dir[256];

static int setup(void **state)
{
	(void)state;
	setenv("INPUTRC", "/dev/null", 1);
	unsetenv("NO_COLOR");
	setlocale(LC_CTYPE, "C.UTF-8");
	if (tu_make_tmpdir(dir, sizeof dir, "tuiharden"))
		return -1;
	setenv("XDG_STATE_HOME", dir, 1);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[512];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static char screen_buf[65536];

static const char *screen(ql_tui *t)
{
	ql_tui_dump(t, screen_buf, sizeof screen_buf);
	return screen_buf;
}

static void expect_text(ql_tui *t, const char *s)
{
	if (!strstr(screen(t), s))
		fail_msg("not on screen: '%s'; the screen:\n%s", s, screen_buf);
}

static ql_tui *open_home(void)
{
	ql_error err = {{0}};
	ql_tui *t = ql_tui_open_virtual("xterm-256color", H, W, NULL, NULL, &err);
	if (!t)
		fail_msg("ql_tui_open_virtual: %s", err.msg);
	return t;
}

static void test_search_cancel_no_leak(void **state)
{
	(void)state;
	ql_tui *t = open_home();
	/* ':' Ctrl-R é Ctrl-R Esc, twice, then a normal command, then quit */
	for (int i = 0; i < 2; i++) {
		assert_int_equal(ql_tui_feed_keys(t, ":\x12\xc3\xa9\x12"), 0);
		assert_int_equal(ql_tui_feed_key(t, 27), 0);
	}
	assert_int_equal(ql_tui_feed_keys(t, ":\x12" "bits\x1b"), 0);
	assert_int_equal(ql_tui_feed_keys(t, ":dtypes\r"), 0);
	expect_text(t, "fp8_e4m3");
	assert_int_equal(ql_tui_feed_key(t, 'q'), 0);
	ql_tui_feed_key(t, 'q');
	ql_tui_close(t);
	/* LeakSanitizer reports at exit */
}

static void test_line_limit(void **state)
{
	(void)state;
	ql_tui *t = open_home();
	assert_int_equal(ql_tui_feed_keys(t, ":bits 0.1"), 0);
	for (int i = 0; i < 4200; i++)
		assert_int_equal(ql_tui_feed_key(t, ' '), 0);
	expect_text(t, "line too long: at most 4096 bytes");
	assert_int_equal(ql_tui_feed_key(t, '\r'), 0);
	expect_text(t, "0.0999755859375"); /* fp16(0.1): the command ran */
	ql_tui_close(t);
}

/* A safetensors file whose tensor names hold what a terminal must never
 * receive raw. */
static void write_evil(const char *path)
{
	static const char *const names[] = {
		"nl\\nname", "esc\\u001b[2Jx", "osc\\u001b]0;PWNED\\u0007", "c1\\u009b31m",
		"bidi\\u202eevil",
		"long_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
	};
	enum { N = sizeof names / sizeof names[0] };
	char hdr[2048];
	size_t k = 0;
	k += (size_t)snprintf(hdr + k, sizeof hdr - k, "{");
	for (int i = 0; i < N; i++)
		k += (size_t)snprintf(hdr + k, sizeof hdr - k,
				      "%s\"%s\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[%d,%d]}",
				      i ? "," : "", names[i], 8 * i, 8 * i + 8);
	k += (size_t)snprintf(hdr + k, sizeof hdr - k, "}");
	/* plus one name with invalid UTF-8: not valid JSON, so not in a safetensors
	 * header; the text backend names its tensor after the file instead */
	uint8_t buf[4096];
	uint64_t hl = k;
	memcpy(buf, &hl, 8);
	memcpy(buf + 8, hdr, k);
	float v[2 * N];
	for (int i = 0; i < 2 * N; i++)
		v[i] = (float)i - 3.5f;
	memcpy(buf + 8 + k, v, sizeof v);
	tu_spew(path, buf, 8 + k + sizeof v);
}

static void test_names_escaped(void **state)
{
	(void)state;
	char path[512], line[700];
	snprintf(path, sizeof path, "%s/evil.safetensors", dir);
	write_evil(path);
	ql_tui *t = open_home();
	snprintf(line, sizeof line, ":info %s\r", path);
	assert_int_equal(ql_tui_feed_keys(t, line), 0);
	expect_text(t, "nl\\nname");
	expect_text(t, "esc\\x1B[2Jx");
	expect_text(t, "osc\\x1B]0;PWNED\\x07");
	expect_text(t, "c1\\u{009B}31m");
	expect_text(t, "bidi\\u{202E}evil");
	ql_tui_feed_key(t, 'q');
	/* the error path: a message that lists the names, on the status line
	 * (80 columns: a short path, so the first names fit) */
	char cwd[512];
	assert_non_null(getcwd(cwd, sizeof cwd));
	assert_int_equal(chdir(dir), 0);
	assert_int_equal(ql_tui_feed_keys(t, ":quantize evil.safetensors -t x\r"), 0);
	assert_int_equal(chdir(cwd), 0);
	expect_text(t, "no tensor 'x' (it has: nl\\nname, esc\\x1B[2Jx");
	/* no cell holds a control character */
	for (const unsigned char *p = (const unsigned char *)screen(t); *p; p++)
		assert_true(*p >= 0x20 || *p == '\n');
	assert_null(strstr(screen_buf, "\xc2\x9b"));
	assert_null(strstr(screen_buf, "\xe2\x80\xae"));
	ql_tui_close(t);
}

/* The inspector's tree draws the names through ql_put, which shows them by
 * the same rule (theme.c's walk_text escapes first): the same text as the
 * CLI, and no control, C1 or bidi character in any cell. */
static void test_tree_names_escaped(void **state)
{
	(void)state;
	char path[512];
	snprintf(path, sizeof path, "%s/evil.safetensors", dir);
	write_evil(path);
	ql_error err = {{0}};
	char *args[] = {path, NULL};
	ql_tui *t = ql_tui_open_virtual_args("xterm-256color", H, W, "file", 1, args, &err);
	if (!t)
		fail_msg("ql_tui_open_virtual_args: %s", err.msg);
	expect_text(t, "nl\\nname");
	expect_text(t, "esc\\x1B[2Jx");
	expect_text(t, "osc\\x1B]0;PWNED\\x07");
	expect_text(t, "c1\\u{009B}31m");
	expect_text(t, "bidi\\u{202E}evil");
	for (const unsigned char *p = (const unsigned char *)screen(t); *p; p++)
		assert_true(*p >= 0x20 || *p == '\n');
	assert_null(strstr(screen_buf, "\xc2\x9b"));
	assert_null(strstr(screen_buf, "\xe2\x80\xae"));
	ql_tui_close(t);
}

/* A FIFO is refused at once: the explorer owns the terminal in raw mode, so
 * no key could stop a wait for the FIFO's writer. Before, a FIFO named as
 * the file to open, or to a command at the ':' prompt, froze the explorer
 * until another process wrote to it. alarm() makes such a wait a failure. */
static void test_fifo_not_waited(void **state)
{
	(void)state;
	char path[512], line[600];
	snprintf(path, sizeof path, "%s/fifo.npy", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	alarm(20);
	ql_error err = {{0}};
	char *args[] = {path, NULL};
	ql_tui *t = ql_tui_open_virtual_args("xterm-256color", H, W, "file", 1, args, &err);
	assert_null(t);
	assert_non_null(strstr(err.msg, "is a pipe or device, not a regular file"));
	t = open_home();
	snprintf(line, sizeof line, ":info %s", path);
	assert_int_equal(ql_tui_feed_keys(t, line), 0);
	assert_int_equal(ql_tui_feed_key(t, '\r'), 0);
	expect_text(t, "is a pipe or device");
	ql_tui_close(t);
	alarm(0);
	/* the command line reads streams again once the explorer is gone */
	assert_true(ql_source_allow_streams(true));
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_search_cancel_no_leak),
		cmocka_unit_test(test_line_limit),
		cmocka_unit_test(test_names_escaped),
		cmocka_unit_test(test_tree_names_escaped),
		cmocka_unit_test(test_fifo_not_waited),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
