/* test_tui.c — the real screens on a virtual terminal.
 *
 * Each test opens the TUI in-process on newterm() over /dev/null at a fixed
 * size (ql_tui_open_virtual), feeds keys through the same input path the
 * program uses, and reads the screen back from curses (mvwinnwstr on
 * curscr) to compare with expected text. The numbers looked for come from
 * PyTorch (tests/golden/gen_tui.py -> tests/golden/tui.txt).
 *
 * The environment is pinned: INPUTRC=/dev/null (no user key bindings),
 * XDG_STATE_HOME a fresh temporary folder (the prompt's history), a UTF-8
 * locale unless a test asks for LANG=C, and NO_COLOR only where wanted.
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
#include <time.h>
#include <unistd.h>

#include "qlens/command.h"
#include "qlens/tui.h"
#include "testutil.h"

/* ncurses and readline keep a few allocations for the life of the process
 * (terminfo, key tables); they are not ours to free. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:libncursesw\nleak:libtinfo\nleak:libreadline\n";
}

enum { W = 80, H = 24 };

static char state_dir[256];

/* ---- golden values ------------------------------------------------------- */

static char golden_text[16384];

static const char *golden(const char *key)
{
	static char out[512];
	size_t kl = strlen(key);
	for (const char *p = golden_text; *p;) {
		const char *e = strchr(p, '\n');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		if (len > kl && strncmp(p, key, kl) == 0 && p[kl] == '\t') {
			size_t vl = len - kl - 1 < sizeof out - 1 ? len - kl - 1 : sizeof out - 1;
			memcpy(out, p + kl + 1, vl);
			out[vl] = '\0';
			return out;
		}
		p += len + (e != NULL);
	}
	fail_msg("no golden value '%s' in tests/golden/tui.txt", key);
	return "";
}

static void load_golden(void)
{
	const char *dir = getenv("QLENS_SRCDIR");
	char path[512];
	snprintf(path, sizeof path, "%s/tests/golden/tui.txt", dir ? dir : ".");
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	size_t n = fread(golden_text, 1, sizeof golden_text - 1, f);
	golden_text[n] = '\0';
	fclose(f);
}

/* ---- screen helpers ------------------------------------------------------ */

static char row_buf[4096];

static const char *row(ql_tui *t, int y)
{
	ql_tui_row(t, y, row_buf, sizeof row_buf);
	return row_buf;
}

static void dump(ql_tui *t)
{
	static char buf[65536];
	ql_tui_dump(t, buf, sizeof buf);
	print_message("%s", buf);
}

/* The first row at or after `from` that contains s, or -1. */
static int find_row(ql_tui *t, int from, const char *s)
{
	for (int y = from; y < LINES; y++)
		if (strstr(row(t, y), s))
			return y;
	return -1;
}

static void expect_text(ql_tui *t, const char *s)
{
	if (find_row(t, 0, s) < 0) {
		dump(t);
		fail_msg("not on screen: '%s'", s);
	}
}

static void expect_no_text(ql_tui *t, const char *s)
{
	int y = find_row(t, 0, s);
	if (y >= 0) {
		dump(t);
		fail_msg("on screen (row %d) but should not be: '%s'", y, s);
	}
}

/* Row y contains s. */
static void expect_row(ql_tui *t, int y, const char *s)
{
	if (!strstr(row(t, y), s)) {
		dump(t);
		fail_msg("row %d lacks '%s'", y, s);
	}
}

/* Row y shows "= VALUE" as a whole number (followed by a space or the end). */
static void expect_stored(ql_tui *t, int y, const char *value)
{
	char pat[1024];
	snprintf(pat, sizeof pat, "= %s", value);
	const char *r = row(t, y);
	for (const char *p = r; (p = strstr(p, pat)); p++) {
		char after = p[strlen(pat)];
		if (after == ' ' || after == '\0')
			return;
	}
	dump(t);
	fail_msg("row %d lacks '%s'", y, pat);
}

/* The status line shows s: on its row, or in the row above where a long
 * message goes on. */
static void expect_status(ql_tui *t, const char *s)
{
	if (!strstr(row(t, H - 1), s) && !strstr(row(t, H - 2), s)) {
		dump(t);
		fail_msg("no '%s' on the status line", s);
	}
}

/* Row y shows text whole, or its beginning to the end of a word and then
 * the ellipsis ell ("…", "..."), nothing after it: never a cut word. */
static void expect_fitted(ql_tui *t, int y, const char *text, const char *ell)
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

static ql_tui *open_at(int lines, int cols, const char *screen, const char *value)
{
	ql_error err = {{0}};
	ql_tui *t = ql_tui_open_virtual("xterm-256color", lines, cols, screen, value, &err);
	if (!t)
		fail_msg("ql_tui_open_virtual: %s", err.msg);
	return t;
}

static ql_tui *open_bits(void)
{
	return open_at(H, W, "bits", NULL);
}

/* The row of a format's bits: "  fp16      0 01101 ..." (or "▸ fp16" on the
 * cursor's row, "> fp16" in ASCII). */
static int format_row(ql_tui *t, const char *name)
{
	size_t n = strlen(name);
	for (int y = 1; y < LINES - 1; y++) {
		const char *p = row(t, y);
		if (strncmp(p, "▸", 3) == 0)
			p += 3;
		else if (*p == '>')
			p++;
		while (*p == ' ')
			p++;
		if (strncmp(p, name, n) == 0 && p[n] == ' ' && (p - row_buf) <= 4)
			return y;
	}
	dump(t);
	fail_msg("no row for %s", name);
	return -1;
}

static void key(ql_tui *t, int k)
{
	assert_int_equal(ql_tui_feed_key(t, k), 0);
}

static void keys(ql_tui *t, const char *s)
{
	assert_int_equal(ql_tui_feed_keys(t, s), 0);
}

static int setup_env(void **state)
{
	(void)state;
	setenv("INPUTRC", "/dev/null", 1);
	unsetenv("NO_COLOR");
	setlocale(LC_CTYPE, "C.UTF-8");
	snprintf(state_dir, sizeof state_dir, "/tmp/qlens-test-tui-XXXXXX");
	if (!mkdtemp(state_dir))
		return -1;
	setenv("XDG_STATE_HOME", state_dir, 1);
	return 0;
}

static int teardown_env(void **state)
{
	(void)state;
	char cmd[512];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", state_dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* ---- tests --------------------------------------------------------------- */

static void test_home(void **state)
{
	(void)state;
	ql_tui *t = open_at(H, W, NULL, NULL);
	expect_row(t, 0, "qlens");
	expect_row(t, 0, "Home");
	expect_text(t, "Bit explorer");
	expect_text(t, "Format table");
	expect_text(t, ":bits 0.1");
	expect_row(t, H - 1, "? help");
	expect_row(t, H - 1, "q quit");
	/* the course comes first: its first lesson is selected; Down moves
	 * on to the bit explorer and past it, Up comes back, Enter opens */
	expect_text(t, "The course, in order:");
	assert_true(find_row(t, 0, "0  Why quantize") < find_row(t, 0, "Bit explorer"));
	assert_non_null(strstr(row(t, find_row(t, 0, "0  Why quantize")), "▸"));
	int y = find_row(t, 0, "Bit explorer");
	assert_null(strstr(row(t, y), "▸"));
	for (int i = 0; i < 40 && !strstr(row(t, y), "▸"); i++)
		key(t, KEY_DOWN);
	assert_non_null(strstr(row(t, y), "▸"));
	key(t, KEY_DOWN);
	assert_null(strstr(row(t, y), "▸"));
	assert_non_null(strstr(row(t, y + 1), "▸"));
	key(t, 'k');
	assert_non_null(strstr(row(t, y), "▸"));
	key(t, '\r');
	expect_row(t, 0, "Bit explorer");
	/* q goes back, q on home quits */
	key(t, 'q');
	expect_row(t, 0, "Home");
	assert_int_equal(ql_tui_feed_key(t, 'q'), 1);
	ql_tui_close(t);
}

static void test_home_click_opens(void **state)
{
	(void)state;
	ql_tui *t = open_at(H, W, NULL, NULL);
	int y = find_row(t, 0, "Format table");
	assert_int_equal(ql_tui_feed_click(t, y, 10), 0);
	expect_row(t, 0, "Format table");
	expect_text(t, "eps");
	ql_tui_close(t);
}

static void test_bits_one_third(void **state)
{
	(void)state;
	ql_tui *t = open_bits();
	expect_row(t, 1, "1/3");
	expect_row(t, 1, golden("input_1_3"));
	static const char *const names[] = {"fp32", "fp16", "bf16"};
	for (int i = 0; i < 3; i++) {
		char k[64];
		int y = format_row(t, names[i]);
		snprintf(k, sizeof k, "%s_1_3_bits", names[i]);
		expect_row(t, y, golden(k));
		snprintf(k, sizeof k, "%s_1_3_hex", names[i]);
		expect_row(t, y, golden(k));
		expect_row(t, y, "normal");
		snprintf(k, sizeof k, "%s_1_3_value", names[i]);
		expect_stored(t, y + 1, golden(k));
	}
	int y16 = format_row(t, "fp16");
	char u[64];
	snprintf(u, sizeof u, "ulp %s", golden("fp16_1_3_ulp"));
	/* at 80 columns the error has a line of its own */
	expect_row(t, y16 + 2, u);
	expect_row(t, y16 + 2, "err -8.14e-05");
	expect_row(t, y16 + 2, "rel -2.44e-04");
	int y8 = format_row(t, "int8");
	expect_row(t, y8, "0x00");
	expect_stored(t, y8 + 1, golden("int8_1_3_value"));
	expect_row(t, y8 + 2, "step 1");
	/* the cursor starts on fp16; the explanation line is about it */
	expect_text(t, "fp16: +1 × 2^(13 - 15) × 1.0101010101b = 0.333251953125");
	expect_text(t, "cursor: fp16 bit 15 (sign)");
	/* the int8 row explains the cast */
	key(t, KEY_DOWN);
	key(t, KEY_DOWN);
	expect_text(t, "int8: cast truncates toward zero, so 1/3 becomes 0");
	ql_tui_close(t);
}

static void test_bits_flip(void **state)
{
	(void)state;
	ql_tui *t = open_bits();
	/* the cursor is on fp16's sign bit */
	key(t, ' ');
	int y16 = format_row(t, "fp16");
	expect_row(t, y16, golden("flip_sign_fp16_bits"));
	expect_stored(t, y16 + 1, golden("flip_sign_fp16"));
	expect_row(t, y16 + 2, "exact");
	/* its value is everyone's input now */
	expect_row(t, 1, golden("flip_sign_fp16"));
	expect_stored(t, format_row(t, "bf16") + 1, golden("flip_sign_bf16"));
	expect_stored(t, format_row(t, "fp32") + 1, golden("flip_sign_fp32"));
	/* flip it back */
	key(t, ' ');
	expect_row(t, y16, golden("fp16_1_3_bits"));
	/* a click on the last cell flips the lowest mantissa bit */
	const char *r = row(t, y16);
	const char *cells = strstr(r, golden("fp16_1_3_bits"));
	assert_non_null(cells);
	/* columns, not bytes: the cursor's pointer "▸" is three bytes wide */
	int x = -1;
	for (const char *q = r; q <= cells; q++)
		x += (*q & 0xC0) != 0x80;
	x += (int)strlen(golden("fp16_1_3_bits")) - 1;
	assert_int_equal(ql_tui_feed_click(t, y16, x), 0);
	expect_stored(t, y16 + 1, golden("flip_lsb_fp16"));
	expect_text(t, "cursor: fp16 bit 0 (mantissa)");
	/* vi keys move the cursor */
	key(t, 'h');
	expect_text(t, "cursor: fp16 bit 1 (mantissa)");
	/* moving between rows keeps the bit's part: fp16's mantissa bit 1 is
	 * the 9th after the point, fp32's bit 14 */
	key(t, 'k');
	expect_text(t, "cursor: fp32 bit 14 (mantissa)");
	key(t, 'j');
	key(t, 'j');
	expect_text(t, "cursor: bf16 bit 0 (mantissa)");
	for (int i = 0; i < 10; i++)
		key(t, 'l');
	key(t, 'g');
	expect_text(t, "cursor: bf16 bit 15 (sign)");
	for (int i = 0; i < 8; i++)
		key(t, 'l');
	expect_text(t, "cursor: bf16 bit 7 (exponent)");
	/* the exponent's lowest bit (weight 2^0) in each format */
	key(t, 'k');
	expect_text(t, "cursor: fp16 bit 10 (exponent)");
	key(t, 'k');
	expect_text(t, "cursor: fp32 bit 23 (exponent)");
	ql_tui_close(t);
}

static void test_bits_step(void **state)
{
	(void)state;
	ql_tui *t = open_bits();
	int y16 = format_row(t, "fp16");
	key(t, '+');
	expect_stored(t, y16 + 1, golden("fp16_next"));
	expect_row(t, y16, golden("fp16_next_hex"));
	key(t, '-');
	key(t, '-');
	expect_stored(t, y16 + 1, golden("fp16_prev"));
	key(t, '-');
	expect_stored(t, y16 + 1, golden("fp16_prev2"));
	/* at the top of fp16 there is no next value */
	ql_tui_close(t);
	t = open_at(H, W, "bits", "65504");
	y16 = format_row(t, "fp16");
	expect_row(t, y16, "0x7BFF");
	key(t, '+');
	expect_row(t, H - 1, "fp16 has no value above 65504");
	expect_row(t, y16, "0x7BFF");
	/* the infinities and NaN */
	ql_tui_close(t);
	t = open_at(H, W, "bits", "1e6");
	y16 = format_row(t, "fp16");
	expect_row(t, y16, "inf, overflow");
	expect_row(t, y16, "0x7C00");
	ql_tui_close(t);
	t = open_at(H, W, "bits", "nan");
	expect_row(t, format_row(t, "fp32"), "nan");
	expect_text(t, "fp16: NaN");
	ql_tui_close(t);
}

static void test_bits_more_formats(void **state)
{
	(void)state;
	ql_tui *t = open_bits();
	key(t, 'f');
	format_row(t, "fp8_e4m3");
	expect_text(t, "cursor: fp8_e4m3 bit");
	/* all the way round: 13 more, then back to four */
	for (int i = 1; i < 13; i++)
		key(t, 'f');
	format_row(t, "fp64");
	expect_text(t, golden("fp64_1_3_hex"));
	key(t, 'f');
	expect_row(t, H - 1, "back to fp32, fp16, bf16 and int8");
	expect_no_text(t, "fp8_e4m3");
	/* 'x' drops an added one */
	key(t, 'f');
	key(t, 'x');
	expect_no_text(t, "fp8_e4m3");
	ql_tui_close(t);
	/* fewer rows after x: the view is filled again from above, not one
	 * row and blank lines under it ("rows 5-5 of 5") */
	t = open_bits();
	keys(t, "ffffxxx");
	format_row(t, "fp8_e4m3");
	format_row(t, "fp16");
	format_row(t, "bf16");
	format_row(t, "int8");
	expect_text(t, "rows 2-5 of 5");
	/* and all of them when the window grows */
	ql_tui_resize(t, 40, W);
	format_row(t, "fp32");
	expect_no_text(t, "rows ");
	ql_tui_resize(t, H, W);
	/* 'd' shows every digit of a long value */
	ql_tui_close(t);
	t = open_at(H, W, "bits", "1e-40");
	int y32 = format_row(t, "fp32");
	expect_row(t, y32, "subnormal");
	const char *want = golden("fp32_1e-40_value");
	/* as many digits as fit, then an ellipsis */
	char head[40];
	snprintf(head, sizeof head, "%.30s", want);
	expect_row(t, y32 + 1, head);
	expect_row(t, y32 + 1, "…");
	/* 'd': every digit, wrapped over the lines under the bits */
	key(t, 'd');
	char all[2048] = "";
	for (int yy = y32 + 1; yy < H - 1; yy++) {
		const char *r = row(t, yy);
		const char *p = strstr(r, yy == y32 + 1 ? "= " : "  ");
		if (!p || strstr(r, "err ") || r[0] == '\0')
			break;
		p += 2;
		while (*p == ' ')
			p++;
		strncat(all, p, sizeof all - strlen(all) - 1);
	}
	assert_string_equal(all, want);
	key(t, 'd');
	expect_row(t, y32 + 1, "…");
	ql_tui_close(t);
}

static void test_edit_value(void **state)
{
	(void)state;
	ql_tui *t = open_bits();
	key(t, 'e');
	expect_row(t, H - 1, "value: 1/3");
	key(t, 21); /* Ctrl-U: readline's unix-line-discard */
	keys(t, "0.1\r");
	expect_row(t, 1, "0.1");
	expect_stored(t, format_row(t, "fp16") + 1, golden("fp16_0_1_value"));
	/* a bad value: the error on the status line, the screen unchanged */
	key(t, '\r');
	expect_row(t, H - 1, "value: 0.1");
	key(t, 21);
	keys(t, "abc\r");
	expect_row(t, H - 1, "qlens bits:");
	expect_row(t, H - 1, "abc");
	expect_stored(t, format_row(t, "fp16") + 1, golden("fp16_0_1_value"));
	/* Esc cancels */
	key(t, 'e');
	keys(t, "99");
	key(t, 27);
	expect_stored(t, format_row(t, "fp16") + 1, golden("fp16_0_1_value"));
	ql_tui_close(t);
}

static void test_prompt_command_and_history(void **state)
{
	(void)state;
	ql_tui *t = open_at(H, W, NULL, NULL);
	key(t, ':');
	expect_row(t, H - 1, ":");
	keys(t, "bits 0.1\r");
	/* the command's own output, in the output pane */
	expect_text(t, "bits 0.1");
	expect_text(t, golden("fp16_0_1_value"));
	expect_text(t, golden("fp32_0_1_value"));
	key(t, 'q');
	expect_no_text(t, golden("fp16_0_1_value"));
	/* Up recalls it */
	key(t, ':');
	key(t, KEY_UP);
	expect_row(t, H - 1, ":bits 0.1");
	key(t, 27);
	/* kept in the history file */
	char path[512], line[256] = "";
	snprintf(path, sizeof path, "%s/qlens/history", state_dir);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	int found = 0;
	while (fgets(line, sizeof line, f))
		found |= strcmp(line, "bits 0.1\n") == 0;
	fclose(f);
	assert_true(found);
	ql_tui_close(t);
	/* and across runs */
	t = open_at(H, W, NULL, NULL);
	key(t, ':');
	key(t, KEY_UP);
	expect_row(t, H - 1, ":bits 0.1");
	/* Enter runs it again; on the bit explorer it sets the input (the
	 * course is listed first on home: down to the bit explorer) */
	key(t, 27);
	for (int i = 0; i < 40 && !strstr(row(t, find_row(t, 0, "Bit explorer")), "▸"); i++)
		key(t, KEY_DOWN);
	key(t, '\r');
	expect_row(t, 0, "Bit explorer");
	key(t, ':');
	key(t, KEY_UP);
	key(t, '\r');
	expect_row(t, 1, "0.1");
	expect_stored(t, format_row(t, "bf16") + 1, golden("bf16_0_1_value"));
	/* Ctrl-R shows that it searches, and End ends the search, as in bash:
	 * the text typed after it goes on the line found (it went to the
	 * search, unseen, and the found command ran without it) */
	key(t, ':');
	key(t, 0x12);
	keys(t, "bits 0");
	expect_row(t, H - 1, "reverse-i-search");
	key(t, KEY_END);
	keys(t, "25");
	expect_row(t, H - 1, ":bits 0.125");
	key(t, '\r');
	expect_row(t, 1, "0.125");
	ql_tui_close(t);
}

static void test_output_pane_scrolls(void **state)
{
	(void)state;
	ql_tui *t = open_at(H, W, NULL, NULL);
	key(t, ':');
	keys(t, "dtypes\r");
	expect_text(t, "fp16");
	expect_text(t, "65504");
	/* wider than the pane: Right shows the rest, Left comes back */
	expect_no_text(t, "-1.7976931348623157e+308");
	for (int i = 0; i < 5; i++)
		key(t, KEY_RIGHT);
	expect_text(t, "-1.7976931348623157e+308");
	for (int i = 0; i < 5; i++)
		key(t, KEY_LEFT);
	expect_no_text(t, "-1.7976931348623157e+308");
	/* down to the integers */
	key(t, KEY_END);
	expect_text(t, "uint2");
	key(t, 'g');
	expect_text(t, "fp64");
	key(t, 27);
	expect_no_text(t, "65504");
	expect_text(t, "Pick something to explore");
	ql_tui_close(t);
}

static void test_prompt_error(void **state)
{
	(void)state;
	ql_tui *t = open_bits();
	char before[4096];
	snprintf(before, sizeof before, "%s", row(t, format_row(t, "fp16") + 1));
	key(t, ':');
	keys(t, "bits abc\r");
	expect_status(t, "qlens bits");
	expect_status(t, "abc");
	assert_string_equal(row(t, format_row(t, "fp16") + 1), before);
	/* the next key clears it */
	key(t, 'l');
	expect_row(t, H - 1, "flip");
	key(t, ':');
	keys(t, "nosuchcommand\r");
	expect_row(t, H - 1, "nosuchcommand");
	assert_string_equal(row(t, format_row(t, "fp16") + 1), before);
	/* an unbalanced quote */
	key(t, ':');
	keys(t, "bits \"1\r");
	expect_row(t, H - 1, "qlens:");
	/* a message wider than the status line goes on in the row above it,
	 * broken at a space: all of it is there to read, until the next key */
	char above[4096];
	snprintf(above, sizeof above, "%s", row(t, H - 2));
	key(t, ':');
	keys(t, "bits\r");
	char both[8192];
	char first[1024];
	snprintf(first, sizeof first, "%s", row(t, H - 2));
	tu_join_rows(first, row(t, H - 1), both, sizeof both);
	assert_string_equal(both,
			    "qlens bits: give a VALUE (e.g. 1/3) or --hex CODE --type T (see 'qlens bits --help')");
	key(t, 'l');
	assert_string_equal(row(t, H - 2), above);
	expect_row(t, H - 1, "flip");
	/* a word wider than the line is cut where the line ends, not after
	 * its first letter (it went down one letter per row and its end, the
	 * reason, was lost) */
	char cmd[300];
	snprintf(cmd, sizeof cmd, "quantize /tmp/%0150d.npy\r", 0);
	key(t, ':');
	keys(t, cmd);
	char rows3[8192], two[8192], r0[1024];
	snprintf(r0, sizeof r0, "%s", row(t, H - 3));
	snprintf(first, sizeof first, "%s", row(t, H - 2));
	tu_join_rows(first, row(t, H - 1), two, sizeof two);
	tu_join_rows(r0, two, rows3, sizeof rows3);
	if (!strstr(rows3, "No such file or directory")) {
		dump(t);
		fail_msg("the reason is not on the last rows: '%s'", rows3);
	}
	key(t, 'l');
	/* :quit quits */
	key(t, ':');
	keys(t, "quit");
	assert_int_equal(ql_tui_feed_key(t, '\r'), 1);
	ql_tui_close(t);
}

static void test_completion(void **state)
{
	(void)state;
	ql_tui *t = open_at(H, W, NULL, NULL);
	key(t, ':');
	keys(t, "dty\tx");
	expect_row(t, H - 1, ":dtypes x");
	key(t, 21);
	keys(t, "bits 1 --types bf\tx");
	expect_row(t, H - 1, ":bits 1 --types bf16 x");
	key(t, 21);
	keys(t, "bits 1 --types fp32,fp1\t");
	expect_row(t, H - 1, "--types fp32,fp16");
	key(t, 21);
	keys(t, "bits 1 --types fp8\t");
	expect_row(t, H - 1, "fp8_e4m3");
	expect_row(t, H - 1, "fp8_e5m2");
	key(t, 21);
	/* --dtype takes a quantization target, not a number format: q4_0 and
	 * int5 are offered, fp16 (which --dtype refuses) is not */
	keys(t, "quantize w.npy --dtype q4_\t");
	expect_row(t, H - 1, "q4_0");
	expect_row(t, H - 1, "q4_k");
	key(t, 21);
	keys(t, "quantize w.npy --dtype int5\tx");
	expect_row(t, H - 1, ":quantize w.npy --dtype int5 x");
	key(t, 21);
	keys(t, "quantize w.npy --dtype fp1\tx");
	expect_row(t, H - 1, ":quantize w.npy --dtype fp1x");
	key(t, 21);
	/* file paths */
	keys(t, "dtypes tests/golden/gen_t\t");
	expect_row(t, H - 1, "tests/golden/gen_tui.py");
	key(t, 27);
	ql_tui_close(t);
}

static void test_help_overlay(void **state)
{
	(void)state;
	ql_tui *t = open_bits();
	key(t, '?');
	expect_text(t, "Help");
	expect_text(t, "Flip the bit under the cursor");
	expect_text(t, "Space");
	/* the commands follow the keys: page down until they show (the list
	 * grows with the commands; its end is clamped) */
	for (int i = 0; i < 6 && find_row(t, 0, "dtypes   ") < 0; i++)
		key(t, KEY_NPAGE);
	expect_text(t, "dtypes   ");
	key(t, 'q');
	expect_no_text(t, "Flip the bit under the cursor");
	expect_row(t, 0, "Bit explorer");
	ql_tui_close(t);
}

static void test_types_screen(void **state)
{
	(void)state;
	ql_tui *t = open_at(H, W, "types", NULL);
	expect_row(t, 0, "Format table");
	static const char *const names[] = {"fp32", "fp16", "bf16"};
	for (int i = 0; i < 3; i++) {
		char k[32];
		int y = find_row(t, 1, names[i]);
		assert_true(y > 0);
		snprintf(k, sizeof k, "%s_eps", names[i]);
		expect_row(t, y, golden(k));
		snprintf(k, sizeof k, "%s_max", names[i]);
		expect_row(t, y, golden(k));
		snprintf(k, sizeof k, "%s_tiny", names[i]);
		expect_row(t, y, golden(k));
	}
	/* fp16's range is narrower than bf16's on the shared axis */
	int a16 = -1, abf = -1;
	for (int y = find_row(t, 1, "log axis"); y > 0 && y < H; y++) {
		if (strstr(row(t, y), " fp16 ") == row_buf + 1)
			a16 = y;
		if (strstr(row(t, y), " bf16 ") == row_buf + 1)
			abf = y;
	}
	assert_true(a16 > 0 && abf > 0);
	int n16 = 0, nbf = 0;
	for (const char *p = row(t, a16); (p = strstr(p, "█")); p += 3)
		n16++;
	for (const char *p = row(t, abf); (p = strstr(p, "█")); p += 3)
		nbf++;
	assert_true(n16 > 3);
	assert_true(nbf > 4 * n16);
	expect_row(t, a16, "eps 0.000977");
	/* Enter shows every digit */
	key(t, '\r');
	expect_text(t, "0.000000059604644775390625");
	expect_text(t, "65504");
	key(t, 'q');
	/* int8 further down */
	for (int i = 0; i < 10; i++)
		key(t, 'j');
	int y8 = find_row(t, 1, " int8 ");
	assert_true(y8 > 0);
	expect_row(t, y8, golden("int8_max"));
	expect_row(t, y8, golden("int8_min"));
	/* the block formats follow, from blockfmt.h's table; Enter draws one
	 * block as its bytes, field by field */
	key(t, 'G');
	expect_text(t, "nvfp4");
	expect_text(t, "4.5 bits/weight: 64 values in 36 bytes");
	/* each row: the name, a space, its numbers in the table and its
	 * summary under the axis, either ending at a word with an ellipsis
	 * where it is too long for 80 columns (mxfp4_ggml's) */
	int nv = find_row(t, 1, " nvfp4 "), nv2 = find_row(t, nv + 1, " nvfp4 ");
	int mx = find_row(t, 1, " mxfp4_ggml "), mx2 = find_row(t, mx + 1, " mxfp4_ggml ");
	assert_true(nv > 0 && nv2 > nv && mx > 0 && mx2 > mx);
	expect_fitted(t, mx, "4.25 bits/weight: 32 values in 17 bytes (Enter: its layout)", "…");
	expect_fitted(t, nv2, "NVIDIA's NVFP4 as ggml stores it: e2m1, ue4m3 scale per 16", "…");
	expect_fitted(t, mx2, "ggml's MXFP4 (GGUF): OCP's layout, ggml's rounding (qlens's mxfp4 is OCP's)", "…");
	expect_row(t, mx2, "…");
	key(t, '\r');
	expect_text(t, "nvfp4 (NVFP4, GGUF type 40): 64 values in 36 bytes, 4.5 bits per weight");
	expect_text(t, "ue4m3 x 4");
	expect_text(t, "One block of a sample");
	key(t, 'q');
	ql_tui_close(t);
}

static void test_resize(void **state)
{
	(void)state;
	ql_tui *t = open_bits();
	ql_tui_resize(t, 20, 60);
	expect_text(t, "Terminal too small: 60×20");
	expect_text(t, "80×24");
	/* keys other than quit do nothing meanwhile */
	key(t, ' ');
	ql_tui_resize(t, H, W);
	expect_no_text(t, "too small");
	expect_row(t, format_row(t, "fp16"), golden("fp16_1_3_bits"));
	/* bigger: more room, same content */
	ql_tui_resize(t, 40, 120);
	expect_row(t, format_row(t, "fp16"), golden("fp16_1_3_bits"));
	expect_row(t, 39, "? help");
	/* q quits from the too-small screen too */
	ql_tui_resize(t, 10, 30);
	assert_int_equal(ql_tui_feed_key(t, 'q'), 1);
	ql_tui_close(t);
}

static void test_monochrome(void **state)
{
	(void)state;
	ql_tui *t = open_bits();
	assert_true(ql_tui_uses_color(t));
	ql_tui_close(t);
	setenv("NO_COLOR", "1", 1);
	t = open_bits();
	assert_false(ql_tui_uses_color(t));
	expect_row(t, format_row(t, "fp16"), golden("fp16_1_3_bits"));
	key(t, ' ');
	expect_row(t, format_row(t, "fp16"), golden("flip_sign_fp16_bits"));
	ql_tui_close(t);
	unsetenv("NO_COLOR");
	/* a terminal without colours at all */
	t = open_at(H, W, "bits", NULL);
	ql_tui_close(t);
	ql_error err = {{0}};
	t = ql_tui_open_virtual("vt100", H, W, "bits", NULL, &err);
	assert_non_null(t);
	assert_false(ql_tui_uses_color(t));
	ql_tui_close(t);
}

static void test_ascii_locale(void **state)
{
	(void)state;
	setlocale(LC_CTYPE, "C");
	ql_tui *t = open_bits();
	expect_text(t, "fp16: +1 x 2^(13 - 15) x 1.0101010101b = 0.333251953125");
	for (int y = 0; y < H; y++)
		for (const unsigned char *p = (const unsigned char *)row(t, y); *p; p++)
			if (*p >= 0x80) {
				dump(t);
				fail_msg("non-ASCII on row %d under LANG=C", y);
			}
	ql_tui_resize(t, 20, 60);
	expect_text(t, "Terminal too small: 60x20");
	ql_tui_close(t);
	/* text too long for its row ends at a word with "..." */
	t = open_at(H, W, "types", NULL);
	key(t, 'G');
	int mx = find_row(t, find_row(t, 1, " mxfp4_ggml ") + 1, " mxfp4_ggml ");
	expect_fitted(t, mx, "ggml's MXFP4 (GGUF): OCP's layout, ggml's rounding (qlens's mxfp4 is OCP's)", "...");
	expect_row(t, mx, "...");
	ql_tui_close(t);
	setlocale(LC_CTYPE, "C.UTF-8");
}

static void test_ctrl_c_and_bad_start(void **state)
{
	(void)state;
	ql_tui *t = open_bits();
	assert_int_equal(ql_tui_feed_key(t, 3), 1);
	ql_tui_close(t);
	ql_error err = {{0}};
	assert_null(ql_tui_open_virtual("xterm", H, W, "bits", "abc", &err));
	assert_non_null(strstr(err.msg, "abc"));
	assert_null(ql_tui_open_virtual("xterm", H, W, "nosuch", NULL, &err));
	assert_non_null(strstr(err.msg, "nosuch"));
}

static void seq(ql_tui *t, const char *bytes)
{
	assert_int_equal(ql_tui_feed_sequence(t, bytes), 0);
}

/* The step a lesson shows: "step N/M" on row 1. */
static int lesson_step(ql_tui *t)
{
	const char *p = strstr(row(t, 1), "step ");
	if (!p) {
		dump(t);
		fail_msg("no step on row 1");
	}
	return atoi(p + 5);
}

/* Keys whose escape sequences the terminal type does not describe (vt100
 * has no PgUp, Home or End; tmux sends ESC [ 1 ~ for Home whatever TERM
 * says): they are those keys, an unknown sequence is nothing, and only a
 * lone Esc is Esc. They were all Esc: PgUp in a lesson went back to home,
 * End on home quit. */
static void test_escape_sequences(void **state)
{
	(void)state;
	/* (not linux: its terminfo has no size, which the virtual terminal
	 * needs; tui_smoke.sh runs it) */
	static const char *const terms[] = {"vt100", "vt220", "screen", "rxvt", "xterm-256color"};
	static const char *const homes[] = {"\033[H", "\033[1~", "\033OH", "\033[7~"};
	static const char *const ends[] = {"\033[F", "\033[4~", "\033OF", "\033[8~"};
	for (size_t i = 0; i < sizeof terms / sizeof terms[0]; i++) {
		ql_error err = {{0}};
		ql_tui *t = ql_tui_open_virtual(terms[i], H, W, NULL, NULL, &err);
		if (!t) {
			if (i > 0 && i < 4) { /* vt100 and xterm-256color must be there */
				print_message("%s: skipped (%s)\n", terms[i], err.msg);
				continue;
			}
			fail_msg("%s: %s", terms[i], err.msg);
		}
		int first = find_row(t, 0, "0  Why quantize");
		int last = find_row(t, 0, "Open a file");
		for (size_t k = 0; k < sizeof homes / sizeof homes[0]; k++) {
			seq(t, ends[k]);
			expect_row(t, 0, "Home");
			if (!strstr(row(t, last), "▸")) {
				dump(t);
				fail_msg("%s: End as %s did not reach the last entry", terms[i], ends[k] + 1);
			}
			seq(t, homes[k]);
			if (!strstr(row(t, first), "▸")) {
				dump(t);
				fail_msg("%s: Home as %s did not reach the first entry", terms[i], homes[k] + 1);
			}
		}
		key(t, '\r');
		expect_row(t, 0, "Lesson");
		int step = lesson_step(t);
		seq(t, "\033[6~");
		assert_int_equal(lesson_step(t), step + 1);
		seq(t, "\033[5~");
		assert_int_equal(lesson_step(t), step);
		expect_row(t, 0, "Lesson");
		/* Shift-F5, a mouse report (SGR, X10), Ctrl-Up, a DA reply:
		 * nothing; keys around them still count */
		seq(t, "\033[15;2~\033[<0;10;5M\033[M !!\033[?62;22c\033[6~");
		expect_row(t, 0, "Lesson");
		assert_int_equal(lesson_step(t), step + 1);
		/* an Esc and a key sent together are Esc (back) and the key */
		seq(t, "\033?");
		expect_row(t, 0, "Help");
		key(t, 'q');
		assert_null(strstr(row(t, 0), "Lesson"));
		/* ESC [ and no more: an Esc, and '[' (nothing here) */
		key(t, '\r');
		expect_row(t, 0, "Lesson");
		seq(t, "\033[");
		expect_row(t, 0, "Home");
		assert_null(strstr(row(t, 0), "Lesson"));
		assert_int_equal(ql_tui_feed_key(t, 27), 1);
		ql_tui_close(t);
	}
}

/* A command asks for a screen through its context's hook: at the prompt
 * the hook opens it on top; without a hook the command says there is no
 * explorer; with one, the hook gets the screen's name and arguments. */
static char hook_screen[32], hook_arg[32];
static int hook_argc;

static int record_hook(ql_cmd_ctx *ctx, const char *screen, int argc, char **argv)
{
	(void)ctx;
	snprintf(hook_screen, sizeof hook_screen, "%s", screen);
	snprintf(hook_arg, sizeof hook_arg, "%s", argc > 0 ? argv[0] : "");
	hook_argc = argc;
	return 7;
}

static void test_screen_hook(void **state)
{
	(void)state;
	ql_tui *t = open_at(H, W, NULL, NULL);
	key(t, ':');
	keys(t, "bits 0.1 --tui\r");
	expect_row(t, 0, "Home");
	expect_row(t, 0, "Bit explorer");
	expect_row(t, 1, "0.1");
	expect_stored(t, format_row(t, "bf16") + 1, golden("bf16_0_1_value"));
	/* a bad value opens nothing and says why */
	key(t, ':');
	keys(t, "bits zz --tui\r");
	expect_status(t, "zz");
	key(t, 'q');
	expect_row(t, 0, "Home");
	expect_no_text(t, "Bit explorer >");
	/* '?' is a screen of its own, on top, closed by q */
	key(t, '?');
	expect_row(t, 0, "Help");
	key(t, 'q');
	expect_text(t, "Pick something to explore");
	ql_tui_close(t);

	char *obuf = NULL, *ebuf = NULL;
	size_t olen = 0, elen = 0;
	FILE *out = open_memstream(&obuf, &olen), *err = open_memstream(&ebuf, &elen);
	ql_cmd_ctx ctx = {.out = out, .err = err};
	char *argv[] = {"bits", "0.5", "--tui", NULL};
	assert_int_equal(ql_command_run(&ctx, 3, argv), 1);
	fflush(err);
	assert_non_null(strstr(ebuf, "no full-screen explorer"));
	ctx.open_screen = record_hook;
	assert_int_equal(ql_command_run(&ctx, 3, argv), 7);
	assert_string_equal(hook_screen, "bits");
	assert_string_equal(hook_arg, "0.5");
	assert_int_equal(hook_argc, 1);
	fclose(out);
	fclose(err);
	free(obuf);
	free(ebuf);
}

static double ms_since(const struct timespec *a)
{
	struct timespec b;
	clock_gettime(CLOCK_MONOTONIC, &b);
	return (double)(b.tv_sec - a->tv_sec) * 1e3 + (double)(b.tv_nsec - a->tv_nsec) / 1e6;
}

static void test_speed(void **state)
{
	(void)state;
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ql_tui *t = open_bits();
	double first = ms_since(&t0);
	static const int seq[] = {' ', '+', '-', KEY_LEFT, KEY_DOWN, 'f', KEY_UP, 'd', 'd', ' '};
	double worst = 0, sum = 0;
	int n = 0;
	for (int r = 0; r < 20; r++)
		for (size_t i = 0; i < sizeof seq / sizeof seq[0]; i++) {
			clock_gettime(CLOCK_MONOTONIC, &t0);
			key(t, seq[i]);
			double d = ms_since(&t0);
			sum += d;
			n++;
			if (d > worst)
				worst = d;
		}
	ql_tui_close(t);
	print_message("first frame %.2f ms; per key %.3f ms mean, %.3f ms worst (%d keys; ASan build)\n",
		      first, sum / n, worst, n);
	/* ASan and UBSan slow this build several times; the plain build's
	 * numbers are in the report. A frame is 16 ms. */
	assert_true(first < 250);
	assert_true(sum / n < 16);
}

int main(void)
{
	load_golden();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_home),
		cmocka_unit_test(test_home_click_opens),
		cmocka_unit_test(test_bits_one_third),
		cmocka_unit_test(test_bits_flip),
		cmocka_unit_test(test_bits_step),
		cmocka_unit_test(test_bits_more_formats),
		cmocka_unit_test(test_edit_value),
		cmocka_unit_test(test_prompt_command_and_history),
		cmocka_unit_test(test_output_pane_scrolls),
		cmocka_unit_test(test_prompt_error),
		cmocka_unit_test(test_completion),
		cmocka_unit_test(test_help_overlay),
		cmocka_unit_test(test_types_screen),
		cmocka_unit_test(test_resize),
		cmocka_unit_test(test_monochrome),
		cmocka_unit_test(test_ascii_locale),
		cmocka_unit_test(test_ctrl_c_and_bad_start),
		cmocka_unit_test(test_escape_sequences),
		cmocka_unit_test(test_screen_hook),
		cmocka_unit_test(test_speed),
	};
	return cmocka_run_group_tests(tests, setup_env, teardown_env);
}
