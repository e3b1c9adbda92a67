/* test_tui_lesson.c — the lesson player on a virtual terminal.
 *
 * Keys in, screen text out, as test_tui.c does: stepping forward and back
 * (every key the issue names), resuming after a restart, a right and a
 * wrong answer (multiple choice and numeric), a task met, entering a
 * screen widget and coming back with Esc, a command widget's whole output,
 * presenter mode (no bars, centred, b blanks) with the notes following it,
 * and, for every lesson of the course, every step drawn in full at 80x24
 * and in presenter mode at 80x24 and 200x60.
 *
 * The expected numbers are the core's own: each step's lines come from
 * ql_lesson_render, and tests/lessons.sh checks those against PyTorch.
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
#include <unistd.h>

#include "qlens/command.h"
#include "qlens/lessonview.h"
#include "qlens/tui.h"
#include "testutil.h"

const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:libncursesw\nleak:libtinfo\nleak:libreadline\n";
}

static char state_dir[256];
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

static void key(ql_tui *t, int k)
{
	assert_int_equal(ql_tui_feed_key(t, k), 0);
}

static void keys(ql_tui *t, const char *s)
{
	assert_int_equal(ql_tui_feed_keys(t, s), 0);
}

static ql_tui *open_lesson(int lines, int cols, const char *which, bool present)
{
	ql_error err = {{0}};
	char *argv[] = {(char *)which, present ? "--present" : NULL, NULL};
	ql_tui *t = ql_tui_open_virtual_args("xterm-256color", lines, cols, "lesson",
					     present ? 2 : 1, argv, &err);
	if (!t)
		fail_msg("open lesson %s: %s", which, err.msg);
	return t;
}

static void reset_state(void)
{
	char cmd[600];
	snprintf(cmd, sizeof cmd, "rm -rf '%s/qlens'", state_dir);
	assert_int_equal(system(cmd), 0);
}

static int setup_env(void **state)
{
	(void)state;
	setenv("INPUTRC", "/dev/null", 1);
	unsetenv("NO_COLOR");
	setlocale(LC_CTYPE, "C.UTF-8");
	snprintf(state_dir, sizeof state_dir, "/tmp/qlens-test-lesson-XXXXXX");
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

static void test_forward_back(void **state)
{
	(void)state;
	reset_state();
	ql_tui *t = open_lesson(24, 80, "1", false);
	expect_text(t, "One third, four ways");
	expect_text(t, "step 1/11");
	expect_text(t, "0.333333343267440795898437500000000000000000000000000000000000");
	key(t, KEY_NPAGE);
	expect_text(t, "Every digit counts");
	expect_text(t, "step 2/11");
	key(t, ' ');
	expect_text(t, "step 3/11");
	key(t, KEY_RIGHT);
	expect_text(t, "step 4/11");
	key(t, '\r'); /* nothing selected: Enter steps too */
	expect_text(t, "step 5/11");
	key(t, KEY_PPAGE);
	expect_text(t, "step 4/11");
	key(t, KEY_LEFT);
	expect_text(t, "step 3/11");
	key(t, '1'); /* digits jump */
	expect_text(t, "step 1/11");
	key(t, KEY_PPAGE); /* nothing before the first */
	expect_text(t, "step 1/11");
	keys(t, "10");
	expect_text(t, "step 10/11");
	keys(t, "g7\r");
	expect_text(t, "step 7/11");
	keys(t, "g99\r");
	expect_text(t, "steps go from 1 to 11");
	expect_text(t, "step 7/11");
	key(t, KEY_HOME); /* the first step, as the help says (it asked for a step) */
	expect_text(t, "step 1/11");
	expect_no_text(t, "go to step:");
	key(t, KEY_END);
	expect_text(t, "Sources");
	key(t, ' ');
	expect_text(t, "End of the lesson");
	/* q goes back (to nothing here: the TUI quits) */
	assert_int_equal(ql_tui_feed_key(t, 'q'), 1);
	ql_tui_close(t);
}

static void test_resume(void **state)
{
	(void)state;
	reset_state();
	ql_tui *t = open_lesson(24, 80, "2", false);
	keys(t, "   ");
	expect_text(t, "step 4/9");
	ql_tui_close(t);
	t = open_lesson(24, 80, "what", false);
	expect_text(t, "step 4/9");
	expect_text(t, "Codes and dequantization");
	expect_text(t, "Welcome back: step 4 of 9");
	ql_tui_close(t);
	ql_lesson_progress p;
	assert_int_equal(ql_lesson_progress_load("02-what", &p, NULL), 0);
	assert_int_equal(p.step, 3);
	assert_int_equal(p.seen, 4);
}

static void test_quiz_choice(void **state)
{
	(void)state;
	reset_state();
	ql_tui *t = open_lesson(24, 80, "1", false);
	key(t, '2');
	expect_text(t, "Which format is closest to 1/3?");
	key(t, '\t'); /* the quiz is the step's only item */
	key(t, '\r'); /* a) fp16: wrong */
	expect_text(t, "Not quite: try again.");
	expect_text(t, "Hint: Count the threes");
	expect_no_text(t, "Right!");
	key(t, KEY_DOWN);
	key(t, '\r'); /* b) fp32 */
	expect_text(t, "Right!");
	expect_text(t, "fp32 has 23 mantissa bits");
	expect_no_text(t, "Hint:");
	ql_tui_close(t);
	ql_lesson_progress p;
	assert_int_equal(ql_lesson_progress_load("01-datatypes", &p, NULL), 0);
	assert_int_equal(ql_lesson_mark_get(&p, 1, 5), 'r');
}

/* A presentation shows the quizzes unanswered: the learner's last wrong
 * answer on this machine ("Not quite", the hint) is not projected. */
static void test_present_fresh_quiz(void **state)
{
	(void)state;
	reset_state();
	ql_tui *t = open_lesson(24, 80, "1", false);
	key(t, '2');
	key(t, '\t');
	key(t, '\r'); /* a) fp16: wrong, kept in the progress */
	expect_text(t, "Not quite: try again.");
	ql_tui_close(t);
	t = open_lesson(24, 80, "1", true);
	expect_text(t, "Which format is closest to 1/3?");
	expect_no_text(t, "Not quite");
	expect_no_text(t, "Hint:");
	ql_tui_close(t);
}

static void test_quiz_numeric(void **state)
{
	(void)state;
	reset_state();
	ql_tui *t = open_lesson(24, 80, "2", false);
	key(t, '3');
	expect_text(t, "What is the int8 code of 0.5 with scale 0.01 and zero point 3?");
	expect_text(t, "Your answer: (Tab selects this quiz, Enter types it)");
	key(t, '\t');
	key(t, '\r');
	expect_text(t, "your answer:");
	keys(t, "50\r");
	expect_text(t, "Not quite");
	expect_text(t, "Your answer: 50");
	expect_text(t, "Hint: Round 0.5 / 0.01 first");
	key(t, '\r');
	keys(t, "50+3\r"); /* an expression is read too */
	expect_text(t, "Right! It is 53");
	ql_tui_close(t);
}

static void test_task_met(void **state)
{
	(void)state;
	reset_state();
	ql_tui *t = open_lesson(24, 80, "3", false);
	key(t, '6');
	expect_text(t, "Task: Quantize this heavy-tailed tensor to int4");
	expect_text(t, "Goal: metrics.sqnr_db > 14.");
	key(t, '\t');
	key(t, '\r'); /* the command, to edit */
	expect_text(t, "qlens quantize assets/samples/synth_laplace.npy --dtype int4");
	keys(t, "\r"); /* as it is: not met */
	expect_text(t, "Not yet: metrics.sqnr_db = 10.2109 (goal: metrics.sqnr_db > 14)");
	expect_text(t, "Hint: Add --calib mse");
	/* dropping a word the task keeps is refused */
	key(t, '\r');
	keys(t, "\025quantize assets/samples/synth_laplace.npy --dtype int8\r");
	expect_text(t, "the task asks to keep: --dtype int4");
	key(t, '\r');
	keys(t, " --calib mse\r");
	expect_text(t, "Done! metrics.sqnr_db = 15.6517");
	expect_text(t, "Task done!");
	ql_tui_close(t);
	ql_lesson_progress p;
	assert_int_equal(ql_lesson_progress_load("03-basics", &p, NULL), 0);
	assert_int_equal(ql_lesson_mark_get(&p, 5, 0), 'd');
}

static void test_widgets(void **state)
{
	(void)state;
	reset_state();
	ql_tui *t = open_lesson(24, 80, "1", false);
	key(t, '3');
	expect_text(t, "[ bits 1/3 ]  Tab, then Enter opens it; Esc comes back");
	key(t, '\t');
	key(t, '\r');
	expect_text(t, "Bit explorer"); /* the real screen, on top */
	expect_no_text(t, "Sign, exponent, mantissa");
	key(t, ' '); /* its own keys: Space flips a bit */
	key(t, 27);
	expect_text(t, "Sign, exponent, mantissa");
	expect_text(t, "step 3/11");
	/* a command widget: Enter shows its whole output in the pager */
	key(t, '1');
	key(t, '\t');
	key(t, '\r');
	expect_text(t, "bits 1/3 --types fp32,fp16,bf16,int8 --digits 60");
	expect_text(t, "int8      00000000  0x00  zero");
	/* the pager scrolls sideways to the clipped end (it stops there: the
	 * int8 line is 108 columns since bits prints the step and the signed
	 * relative error, so two presses of 8 no longer reach it) */
	for (int i = 0; i < 6; i++)
		key(t, KEY_RIGHT);
	expect_text(t, "truncates toward zero");
	key(t, 'q');
	expect_text(t, "One third, four ways");
	ql_tui_close(t);
}

/* On a large terminal the screen widget is drawn live in the step; Enter
 * gives it the keys, Esc takes them back, and the step stays. */
static void test_inline_widget(void **state)
{
	(void)state;
	reset_state();
	ql_tui *t = open_lesson(60, 200, "1", true);
	key(t, '3');
	expect_text(t, "A float is sign");
	expect_text(t, "cursor: fp16 bit 15"); /* the bit explorer, live */
	expect_text(t, "= 0.333251953125");
	key(t, ' '); /* not focused: Space is the next step... */
	expect_text(t, "torch.finfo and torch.iinfo describe");
	key(t, KEY_PPAGE);
	key(t, '\t');
	key(t, '\r'); /* focus the widget */
	key(t, ' ');   /* its Space: flip the sign bit */
	expect_text(t, "= -0.333251953125");
	expect_text(t, "A float is sign"); /* still in the step */
	key(t, 27);    /* Esc: the keys come back */
	expect_text(t, "A float is sign");
	expect_text(t, "= -0.333251953125");
	key(t, KEY_NPAGE);
	expect_text(t, "torch.finfo and torch.iinfo describe");
	ql_tui_close(t);

	/* the quantization explorer, whose results come from a worker: the
	 * lesson passes its ticks on */
	t = open_lesson(60, 200, "3", true);
	key(t, '6');
	ql_tui_idle(t, 3000);
	expect_text(t, "Or live: the explorer");
	expect_text(t, "SQNR 10.21 dB");
	key(t, '\t');
	key(t, '\t');
	key(t, '\r');
	key(t, 'c'); /* its key: the next calibration */
	ql_tui_idle(t, 3000);
	expect_no_text(t, "SQNR 10.21 dB");
	expect_text(t, "int4 sym per-tensor percentile");
	key(t, 27);
	expect_text(t, "Or live: the explorer");
	ql_tui_close(t);
}

static void test_writing_widget_asks(void **state)
{
	(void)state;
	reset_state();
	char cwd[4096], dir[256];
	assert_non_null(getcwd(cwd, sizeof cwd));
	assert_int_equal(tu_make_tmpdir(dir, sizeof dir, "lesson-w"), 0);
	ql_tui *t = open_lesson(24, 80, "6", false);
	assert_int_equal(chdir(dir), 0);
	key(t, '7'); /* the Export step */
	expect_text(t, "(writes a file: Tab selects it, Enter runs it)");
	assert_int_equal(access("hand12_int4.safetensors", F_OK), -1);
	key(t, '\t');
	key(t, '\r'); /* the confirmation */
	assert_int_equal(access("hand12_int4.safetensors", F_OK), 0);
	expect_text(t, "storage      6.667 bits per weight");
	ql_tui_close(t);
	assert_int_equal(chdir(cwd), 0);
	tu_remove_tmpdir(dir);
}

static void run_notes(char **out)
{
	size_t len;
	FILE *f = open_memstream(out, &len);
	assert_non_null(f);
	ql_cmd_ctx ctx = {.out = f, .err = f};
	char *argv[] = {"lesson", "3", "--notes", "--once", NULL};
	assert_int_equal(ql_command_run(&ctx, 4, argv), 0);
	fclose(f);
}

static void test_presenter_and_notes(void **state)
{
	(void)state;
	reset_state();
	ql_tui *t = open_lesson(60, 200, "3", true);
	expect_no_text(t, "qlens >"); /* no title bar */
	expect_no_text(t, "? help");  /* no status bar */
	/* the title in the block font, the text centred under it */
	int yb = find_row(t, 0, "█");
	assert_true(yb > 3); /* centred vertically */
	expect_no_text(t, "Absmax: the symmetric scale");
	int y = find_row(t, 0, "The simplest scale maps");
	assert_int_equal(y, yb + 6);
	assert_true(strstr(row(t, y), "The simplest") - row_buf > 30); /* and across */
	char *notes;
	run_notes(&notes);
	assert_non_null(strstr(notes, "Quantization basics -- step 1 of 8"));
	assert_non_null(strstr(notes, "Show the formula on the board"));
	free(notes);
	key(t, KEY_NPAGE);
	expect_text(t, "After a ReLU");
	run_notes(&notes);
	assert_non_null(strstr(notes, "step 2 of 8"));
	free(notes);
	key(t, 'b'); /* blank */
	for (int r = 0; r < 60; r++)
		if (row(t, r)[0]) {
			dump(t);
			fail_msg("row %d is not blank", r);
		}
	run_notes(&notes);
	assert_non_null(strstr(notes, "(screen blanked)"));
	free(notes);
	key(t, 'b');
	expect_text(t, "After a ReLU");
	key(t, KEY_PPAGE);
	expect_text(t, "The simplest scale maps");
	/* p leaves presenter mode: the bars come back */
	key(t, 'p');
	expect_text(t, "? help");
	expect_text(t, "step 1/8");
	key(t, 'p'); /* presenting again, then closing: the notes wait */
	ql_tui_close(t);
	run_notes(&notes);
	assert_non_null(strstr(notes, "Waiting for 03-basics to be presented"));
	free(notes);
}

/* At the explorer's ':' prompt, lesson --notes (which follows the presenter
 * until it is stopped) is refused with a word on --once, instead of holding
 * the explorer; --notes --once answers in the output pane. (alarm: without
 * the check the command never returns.) */
static void test_notes_at_prompt(void **state)
{
	(void)state;
	reset_state();
	ql_tui *t = open_lesson(24, 80, "3", false);
	alarm(60);
	key(t, ':');
	keys(t, "lesson 3 --notes\r");
	alarm(0);
	expect_text(t, "in a terminal of its own");
	expect_text(t, "step 1/8"); /* the lesson is still there */
	key(t, ':');
	keys(t, "lesson 3 --notes --once\r");
	expect_text(t, "Waiting for 03-basics to be presented"); /* not in presenter mode */
	ql_tui_close(t);
}

/* Every step of every lesson is drawn whole: at 80x24 in the player (no
 * "more" marker, its last line on screen), and in presenter mode at 80x24
 * and 200x60 (title and last line on screen, nothing clipped). */
static void check_lesson(int n, int lines, int cols, bool present)
{
	char which[8];
	snprintf(which, sizeof which, "%d", n);
	reset_state();
	ql_lesson *l;
	ql_error err = {""};
	if (ql_lesson_find(which, &l, &err) != 0)
		fail_msg("%s", err.msg);
	ql_lesson_run *r = ql_lesson_run_new(l, false, false, &err);
	assert_non_null(r);
	ql_tui *t = open_lesson(lines, cols, which, present);
	int width = present ? (cols >= 88 ? (cols - 8 < 110 ? cols - 8 : 110) : cols - 2) : cols - 2;
	for (int s = 0; s < l->nsteps; s++) {
		ql_lv_lines ls;
		assert_int_equal(ql_lesson_render(r, s, width, &ls, &err), 0);
		assert_true(ls.n + (present && cols >= 150 ? 5 : 0) <= (present ? lines - 1 : lines - 3));
		/* the step's title, and its last non-empty line, are on screen */
		char probe[48];
		snprintf(probe, sizeof probe, "%.40s", ls.v[0].text);
		/* on a large terminal the presenter draws it in the block font */
		bool big = present && cols >= 150 && find_row(t, 0, "█") >= 0;
		if (find_row(t, 0, probe) < 0 && !big) {
			dump(t);
			fail_msg("lesson %d step %d (%dx%d%s): no title '%s'", n, s + 1, cols, lines,
				 present ? ", presenter" : "", probe);
		}
		int last = ls.n - 1;
		while (last > 0 && !ls.v[last].text[0])
			last--;
		const char *txt = ls.v[last].text;
		while (*txt == ' ')
			txt++;
		snprintf(probe, sizeof probe, "%.20s", txt);
		if (!strpbrk(probe, "*`") && find_row(t, 0, probe) < 0) {
			dump(t);
			fail_msg("lesson %d step %d (%dx%d%s): last line '%s' not shown", n, s + 1, cols,
				 lines, present ? ", presenter" : "", probe);
		}
		if (!present) {
			expect_no_text(t, "↓ more");
			expect_no_text(t, "Terminal too small");
		}
		ql_lv_lines_free(&ls);
		key(t, KEY_NPAGE);
	}
	ql_tui_close(t);
	ql_lesson_run_free(r);
}

static void test_every_step_fits(void **state)
{
	(void)state;
	for (int n = 0; n <= 6; n++) {
		check_lesson(n, 24, 80, false);
		check_lesson(n, 24, 80, true);
		check_lesson(n, 60, 200, true);
	}
}

static void test_ascii_monochrome(void **state)
{
	(void)state;
	reset_state();
	setenv("NO_COLOR", "1", 1);
	setlocale(LC_CTYPE, "C");
	ql_tui *t = open_lesson(24, 80, "0", false);
	expect_text(t, "Models keep getting bigger");
	expect_text(t, "6,740,000,000");
	assert_int_equal(ql_tui_uses_color(t), 0);
	key(t, '\t');
	expect_text(t, ">? How many GB"); /* the ASCII pointer */
	ql_tui_close(t);
	unsetenv("NO_COLOR");
	setlocale(LC_CTYPE, "C.UTF-8");
}

static void test_home_opens_lesson(void **state)
{
	(void)state;
	reset_state();
	ql_error err = {{0}};
	ql_tui *t = ql_tui_open_virtual("xterm-256color", 24, 80, NULL, NULL, &err);
	assert_non_null(t);
	/* the home list's steps column starts after its longest title (main's
	 * 02b3c14), so the spacing follows the course, not a fixed width */
	expect_text(t, "1  Data types                          11 steps");
	key(t, KEY_DOWN);
	key(t, '\r');
	expect_text(t, "One third, four ways");
	keys(t, "  ");
	key(t, 'q');
	expect_text(t, "The course, in order:");
	expect_text(t, "11 steps, at step 3"); /* the progress, current */
	ql_tui_close(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forward_back),
		cmocka_unit_test(test_resume),
		cmocka_unit_test(test_quiz_choice),
		cmocka_unit_test(test_present_fresh_quiz),
		cmocka_unit_test(test_quiz_numeric),
		cmocka_unit_test(test_task_met),
		cmocka_unit_test(test_widgets),
		cmocka_unit_test(test_inline_widget),
		cmocka_unit_test(test_writing_widget_asks),
		cmocka_unit_test(test_presenter_and_notes),
		cmocka_unit_test(test_notes_at_prompt),
		cmocka_unit_test(test_every_step_fits),
		cmocka_unit_test(test_ascii_monochrome),
		cmocka_unit_test(test_home_opens_lesson),
	};
	return cmocka_run_group_tests(tests, setup_env, teardown_env);
}
