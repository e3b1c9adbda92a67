/* test_tui_eval.c — the evaluation screen, in-process on a virtual terminal:
 * it opens on a model and a scheme, shows the figures `qlens eval`
 * computes (the same core, so the same numbers), the digits gallery with the
 * flipped digits first, the chars text and greedy samples, and keys change
 * the scheme, the model and the activations while the work runs in the
 * background (a key returns before the result is there).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "qlens/eval.h"
#include "qlens/scheme_text.h"
#include "qlens/tui.h"

static char state_dir[64];

static int setup(void **state)
{
	(void)state;
	const char *dir = getenv("QLENS_SRCDIR");
	if (dir && chdir(dir) != 0)
		return -1;
	setenv("INPUTRC", "/dev/null", 1);
	unsetenv("NO_COLOR");
	setlocale(LC_CTYPE, "C.UTF-8");
	snprintf(state_dir, sizeof state_dir, "/tmp/qlens-test-tuieval-XXXXXX");
	if (!mkdtemp(state_dir))
		return -1;
	setenv("XDG_STATE_HOME", state_dir, 1);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char p[128];
	snprintf(p, sizeof p, "%s/qlens/history", state_dir);
	unlink(p);
	snprintf(p, sizeof p, "%s/qlens", state_dir);
	rmdir(p);
	rmdir(state_dir);
	return 0;
}

static char screen[65536];

static const char *text(ql_tui *t)
{
	ql_tui_dump(t, screen, sizeof screen);
	return screen;
}

/* Lets the worker finish: idles until `want` is on screen (60 s at most:
 * a loaded machine running ASan builds is slow). */
static void wait_for(ql_tui *t, const char *want)
{
	for (int i = 0; i < 1200; i++) {
		if (strstr(text(t), want) && !strstr(screen, "computing"))
			return;
		ql_tui_idle(t, 50);
	}
	print_message("%s", text(t));
	fail_msg("never on screen: '%s'", want);
}

/* The figures qlens eval computes for (model, scheme). */
static void figures(const char *model, const char *scheme, ql_div_stats *s)
{
	ql_model m;
	ql_error err = { "" };
	assert_int_equal(ql_model_load(model, &m, &err), 0);
	ql_eval_ctx *c;
	assert_int_equal(ql_eval_ctx_new(&m, &c, &err), 0);
	ql_scheme sc;
	assert_int_equal(ql_scheme_parse_word(scheme, &sc, &err), 0);
	ql_eval_result r;
	assert_int_equal(ql_eval_run(c, &sc, NULL, &r, &err), 0);
	*s = r.stats;
	ql_eval_result_free(&r);
	ql_eval_ctx_free(c);
	ql_model_free(&m);
}

static void test_digits(void **state)
{
	(void)state;
	char *args[] = { "digits", "int2/g32" };
	ql_error err = { "" };
	ql_tui *t = ql_tui_open_virtual_args("xterm-256color", 30, 100, "eval", 2, args, &err);
	assert_non_null(t);
	wait_for(t, "accuracy");
	ql_div_stats s;
	figures("digits", "int2/g32", &s);
	char want[200];
	snprintf(want, sizeof want, "accuracy %.2f%% → %.2f%%   flips %lld", 100 * s.acc_base,
		 100 * s.acc_quant, (long long)s.flips);
	if (!strstr(text(t), want)) {
		print_message("%s", screen);
		fail_msg("not on screen: '%s'", want);
	}
	assert_non_null(strstr(screen, "int2/g32: 3.00 bits/weight"));
	assert_non_null(strstr(screen, "original     quantized"));
	assert_non_null(strstr(screen, "█")); /* digits drawn with blocks */
	/* int2 flips digits: the first tile is a flip (label → two answers that
	 * differ in correctness); the panel shows its ten classes */
	assert_true(s.flips > 0);
	assert_non_null(strstr(screen, "bars p(label) orig|quant; flips first"));
	/* the first tile is the most interesting: a flip (int2 has 86); a click
	 * on the second selects it, and the panel follows */
	char before[128];
	const char *p = strstr(screen, "test #");
	assert_non_null(p);
	snprintf(before, sizeof before, "%.12s", p);
	assert_int_equal(ql_tui_feed_click(t, 8, 13), 0);
	p = strstr(text(t), "test #");
	assert_non_null(p);
	assert_true(strncmp(p, before, strlen(before)) != 0);
	/* the next scheme: a key returns at once, the figures follow */
	ql_tui_feed_key(t, 's');
	wait_for(t, "int8: 8.01 bits/weight"); /* the list wraps around */
	/* activations */
	ql_tui_feed_key(t, 'a');
	wait_for(t, "activations int8-dynamic");
	ql_tui_close(t);
}

static void test_chars_and_keys(void **state)
{
	(void)state;
	char *args[] = { "chars", "q4_0" };
	ql_error err = { "" };
	ql_tui *t = ql_tui_open_virtual_args("xterm-256color", 30, 100, "eval", 2, args, &err);
	assert_non_null(t);
	wait_for(t, "perplexity");
	ql_div_stats s;
	figures("chars", "q4_0", &s);
	char want[200];
	snprintf(want, sizeof want, "perplexity %.4f → %.4f", s.ppl_base, s.ppl_quant);
	if (!strstr(text(t), want)) {
		print_message("%s", screen);
		fail_msg("not on screen: '%s'", want);
	}
	assert_non_null(strstr(screen, "original (greedy)"));
	assert_non_null(strstr(screen, "(start)"));
	assert_non_null(strstr(screen, "shade = KL"));
	/* a key returns before the work is done: the frame drawn right after it
	 * already shows the new scheme, marked as computing (chars takes a
	 * tenth of a second or more) */
	ql_tui_feed_key(t, 's');
	assert_non_null(strstr(text(t), "◀ nf4 ▶"));
	assert_non_null(strstr(screen, "computing…"));
	wait_for(t, "nf4: 4.50 bits/weight");
	/* scrolling the text, and the model key back to digits */
	ql_tui_feed_key(t, 'j');
	ql_tui_feed_key(t, 'm');
	assert_non_null(strstr(text(t), "model digits"));
	wait_for(t, "accuracy");
	/* two changes while the worker runs: the screen ends on the second */
	ql_tui_feed_key(t, 's');
	ql_tui_feed_key(t, 's');
	wait_for(t, "int4/g128: 4.38 bits/weight");
	assert_int_equal(ql_tui_feed_key(t, 'q'), 1);
	ql_tui_close(t);
}

/* Every '?' on the screen is the help key's ("? help"), none a glyph
 * ql_put had no ASCII for. */
static void no_stray_question_marks(void)
{
	int q = 0, help = 0;
	for (const char *p = screen; (p = strchr(p, '?')); p++)
		q++;
	for (const char *p = screen; (p = strstr(p, "? help")); p++)
		help++;
	if (q != help) {
		print_message("%s", screen);
		fail_msg("%d '?' on screen, %d of them '? help'", q, help);
	}
}

/* Under LANG=C: the flips say which way in words (✓→✗ and ✗→✓ were
 * "?->?"), and a hard space in the chars text is '_' ('-', ·'s ASCII,
 * made "ferris-peasant"; the vocabulary has no '-' and no '_'). */
static void test_ascii(void **state)
{
	(void)state;
	setlocale(LC_CTYPE, "C");
	char *args[] = { "digits", "int2/g32" };
	ql_error err = { "" };
	ql_tui *t = ql_tui_open_virtual_args("xterm-256color", 30, 100, "eval", 2, args, &err);
	assert_non_null(t);
	wait_for(t, "accuracy");
	ql_div_stats s;
	figures("digits", "int2/g32", &s);
	char want[200];
	snprintf(want, sizeof want, "flips %lld (%.2f%%: %lld now wrong, %lld now right)",
		 (long long)s.flips, 100 * s.flip_rate, (long long)s.flips_to_wrong,
		 (long long)s.flips_to_right);
	if (!strstr(text(t), want)) {
		print_message("%s", screen);
		fail_msg("not on screen: '%s'", want);
	}
	no_stray_question_marks();
	ql_tui_feed_key(t, 'm');
	wait_for(t, "perplexity");
	no_stray_question_marks();
	/* the text: from the row under the figures to the legend */
	const char *from = strstr(screen, "same top"), *to = strstr(screen, "shade = KL");
	assert_non_null(from);
	from = strchr(from, '\n');
	assert_non_null(to);
	assert_true(from < to);
	int marks = 0;
	for (const char *p = from; p < to; p++) {
		if (*p == '-') {
			print_message("%s", screen);
			fail_msg("a '-' in the text");
		}
		marks += *p == '_';
	}
	assert_true(marks > 0); /* int2/g32 on chars: some spaces above p99 */
	ql_tui_close(t);
	setlocale(LC_CTYPE, "C.UTF-8");
}

/* At 80x24 the figures are whole: a line too wide gives up its double
 * spaces and then its "(nats)", never a number (it once ended "(nats"). */
static void test_figures_fit(void **state)
{
	(void)state;
	char *args[] = { "digits", "q4_0" }; /* its KL line is 81 wide */
	ql_error err = { "" };
	ql_tui *t = ql_tui_open_virtual_args("xterm-256color", 24, 80, "eval", 2, args, &err);
	assert_non_null(t);
	wait_for(t, "accuracy");
	ql_div_stats s;
	figures("digits", "q4_0", &s);
	char want[64];
	snprintf(want, sizeof want, "max %.2g", s.kld_max);
	const char *kl = strstr(text(t), "KL mean");
	assert_non_null(kl);
	const char *m = strstr(kl, want);
	if (!m || (m[strlen(want)] != ' ' && m[strlen(want)] != '\n') || strchr(kl, '\n') < m) {
		print_message("%s", screen);
		fail_msg("the KL line lacks '%s'", want);
	}
	const char *nats = strstr(kl, "(nats");
	if (nats && strncmp(nats, "(nats)", 6) != 0) {
		print_message("%s", screen);
		fail_msg("'(nats)' cut");
	}
	ql_tui_close(t);
}

static void test_bad_args(void **state)
{
	(void)state;
	ql_error err = { "" };
	char *a1[] = { "llama" };
	assert_null(ql_tui_open_virtual_args("xterm-256color", 30, 100, "eval", 1, a1, &err));
	assert_non_null(strstr(err.msg, "llama"));
	char *a2[] = { "digits", "int9" };
	assert_null(ql_tui_open_virtual_args("xterm-256color", 30, 100, "eval", 2, a2, &err));
	assert_non_null(strstr(err.msg, "int9"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_digits),
		cmocka_unit_test(test_chars_and_keys),
		cmocka_unit_test(test_ascii),
		cmocka_unit_test(test_figures_fit),
		cmocka_unit_test(test_bad_args),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
