/* test_lesson.c — the lesson parser, its expressions and the progress files.
 *
 * Expressions and text expansions are checked against PyTorch/NumPy values
 * (tests/golden/gen_lesson.py -> tests/golden/lesson.txt); the parser on a
 * good lesson and on one broken line per rule (each message names the file
 * and line); progress and presenter files round-trip in a scratch folder;
 * a FIFO or device is refused, not waited on.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "qlens/lesson.h"
#include "testutil.h"

static char *golden_text;

static void load_golden(void)
{
	const char *dir = getenv("QLENS_SRCDIR");
	char path[512];
	size_t n;
	snprintf(path, sizeof path, "%s/tests/golden/lesson.txt", dir ? dir : ".");
	golden_text = (char *)tu_slurp(path, &n);
	assert_non_null(golden_text);
	golden_text[n - 1] = '\0'; /* the last newline */
}

static void test_calc_golden(void **state)
{
	(void)state;
	int checked = 0;
	char *copy = strdup(golden_text), *save = NULL;
	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "text\t", 5) == 0)
			continue;
		char *tab = strchr(line, '\t');
		assert_non_null(tab);
		*tab = '\0';
		double want = strtod(tab + 1, NULL), got;
		ql_error err = {""};
		if (ql_lesson_calc(line, &got, &err) != 0)
			fail_msg("%s: %s", line, err.msg);
		if (!(got == want || (isnan(got) && isnan(want))))
			fail_msg("%s = %a, PyTorch says %a", line, got, want);
		checked++;
	}
	free(copy);
	assert_true(checked > 40);
}

static void test_expand_golden(void **state)
{
	(void)state;
	int checked = 0;
	char *copy = strdup(golden_text), *save = NULL;
	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "text\t", 5) != 0)
			continue;
		char *src = line + 5, *tab = strchr(src, '\t');
		*tab = '\0';
		char *out;
		ql_error err = {""};
		if (ql_lesson_expand(src, &out, &err) != 0)
			fail_msg("%s: %s", src, err.msg);
		if (strcmp(out, tab + 1) != 0)
			fail_msg("'%s'\n -> '%s'\n want '%s'", src, out, tab + 1);
		free(out);
		checked++;
	}
	free(copy);
	assert_int_equal(checked, 9);
}

static void test_calc_errors(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"", "1 +", "(1", "cast(fp99, 1)", "foo(1)", "quant(1, 0, 0, int8)",
		"quant(1, 0.1, 0, fp32)", "pack(3, 1, 2)", "pack(4, 16, 0)", "pack(4, 1)",
		"1 2", "x", "max(int8", "cast(fp32 1)", "bogus(3)", "((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((1",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		double v;
		ql_error err = {""};
		if (ql_lesson_calc(bad[i], &v, &err) == 0)
			fail_msg("'%s' was accepted (= %g)", bad[i], v);
		assert_non_null(strstr(err.msg, "in {="));
	}
	/* an unknown function is named */
	ql_error ferr = {""};
	double v;
	assert_int_equal(ql_lesson_calc("2 * bogus(3)", &v, &ferr), -1);
	assert_non_null(strstr(ferr.msg, "unknown function bogus()"));
	/* edge values: ±0, inf, NaN go through */
	assert_int_equal(ql_lesson_calc("cast(fp32, -0)", &v, NULL), 0);
	assert_true(v == 0 && signbit(v));
	assert_int_equal(ql_lesson_calc("cast(fp16, inf)", &v, NULL), 0);
	assert_true(isinf(v));
	assert_int_equal(ql_lesson_calc("cast(fp32, nan)", &v, NULL), 0);
	assert_true(isnan(v));
	assert_int_equal(ql_lesson_calc("cast(fp16, 2^-25)", &v, NULL), 0); /* tie to 0 */
	assert_true(v == 0);
	assert_int_equal(ql_lesson_calc("cast(fp16, 2^-24)", &v, NULL), 0); /* smallest subnormal */
	assert_true(v == ldexp(1, -24));
	char buf[64];
	assert_int_equal(ql_lesson_format(NAN, "", buf, sizeof buf, NULL), 0);
	assert_string_equal(buf, "nan");
	assert_int_equal(ql_lesson_format(-0.0, "", buf, sizeof buf, NULL), 0);
	assert_string_equal(buf, "0");
	assert_int_equal(ql_lesson_format(-1234567, ",", buf, sizeof buf, NULL), 0);
	assert_string_equal(buf, "-1,234,567");
	assert_int_equal(ql_lesson_format(1, "%", buf, sizeof buf, NULL), -1);
	char *out;
	assert_int_equal(ql_lesson_expand("no close {= 1", &out, NULL), -1);
	assert_int_equal(ql_lesson_expand("plain text, no numbers", &out, NULL), 0);
	assert_string_equal(out, "plain text, no numbers");
	free(out);
}

static const char good[] =
	"title: A test lesson\n"
	"summary: what it is\n"
	"@source Somebody, https://example.org\n"
	"\n"
	"--- First step\n"
	"Some *prose* that goes\n"
	"on over lines with {= 2 + 2}.\n"
	"\n"
	"# A heading\n"
	"- an item\n"
	"  continued\n"
	"```\n"
	"code line 1\n"
	"\n"
	"   code line 3\n"
	"```\n"
	"@run bits 1/3 --types 'fp32,fp16'\n"
	"@note Say hello.\n"
	"@note Then this.\n"
	"; a comment\n"
	"\\@not a directive\n"
	"--- Second step\n"
	"@quiz What is int8(1/3)?\n"
	"@choice 1\n"
	"@right 0\n"
	"@hint A cast truncates.\n"
	"@explain It is {= cast(int8, 1/3)}.\n"
	"@quiz The code of 0.5?\n"
	"@answer quant(0.5, 0.01, 3, int8) +- 0.5\n"
	"@task Get SQNR above 25 dB\n"
	"@try quantize w.npy --dtype int4\n"
	"@check metrics.sqnr_db > 20 + 5\n"
	"@keep --dtype int4\n"
	"@open bits 0.1\n"
	"@run quantize w.npy -o out.npy\n";

static void test_parse_good(void **state)
{
	(void)state;
	ql_lesson *l;
	ql_error err = {""};
	if (ql_lesson_parse("lessons/07-test.lesson", good, strlen(good), &l, &err) != 0)
		fail_msg("%s", err.msg);
	assert_string_equal(l->name, "07-test");
	assert_int_equal(l->number, 7);
	assert_string_equal(l->title, "A test lesson");
	assert_string_equal(l->summary, "what it is");
	assert_int_equal(l->nsources, 1);
	assert_int_equal(l->nsteps, 3); /* the sources are the last step */
	assert_string_equal(l->steps[2].title, "Sources");
	assert_int_equal(l->steps[2].nblocks, 1);
	assert_string_equal(l->steps[2].blocks[0].text, "Somebody, https://example.org");
	ql_lesson_step *s = &l->steps[0];
	assert_string_equal(s->title, "First step");
	assert_int_equal(s->nblocks, 6);
	assert_int_equal(s->blocks[0].kind, QL_LB_TEXT);
	assert_string_equal(s->blocks[0].text, "Some *prose* that goes on over lines with {= 2 + 2}.");
	assert_int_equal(s->blocks[1].kind, QL_LB_HEADING);
	assert_string_equal(s->blocks[1].text, "A heading");
	assert_int_equal(s->blocks[2].kind, QL_LB_LIST);
	assert_string_equal(s->blocks[2].text, "an item continued");
	assert_int_equal(s->blocks[3].kind, QL_LB_CODE);
	assert_string_equal(s->blocks[3].text, "code line 1\n\n   code line 3");
	assert_int_equal(s->blocks[4].kind, QL_LB_RUN);
	assert_int_equal(s->blocks[4].argc, 4);
	assert_string_equal(s->blocks[4].argv[3], "fp32,fp16");
	assert_false(s->blocks[4].writes);
	assert_int_equal(s->blocks[4].line, 17);
	assert_int_equal(s->blocks[5].kind, QL_LB_TEXT);
	assert_string_equal(s->blocks[5].text, "@not a directive");
	assert_string_equal(s->notes, "Say hello.\nThen this.");
	s = &l->steps[1];
	assert_int_equal(s->nblocks, 5);
	ql_lesson_block *q = &s->blocks[0];
	assert_int_equal(q->kind, QL_LB_QUIZ);
	assert_int_equal(q->nchoices, 2);
	assert_int_equal(q->right, 1);
	assert_string_equal(q->hint, "A cast truncates.");
	q = &s->blocks[1];
	assert_non_null(q->answer);
	assert_true(q->tol == 0.5);
	ql_lesson_block *t = &s->blocks[2];
	assert_int_equal(t->kind, QL_LB_TASK);
	assert_string_equal(t->check_key, "metrics.sqnr_db");
	assert_int_equal(t->check_op, QL_OP_GT);
	assert_int_equal(t->nkeep, 1);
	assert_int_equal(s->blocks[3].kind, QL_LB_OPEN);
	assert_true(s->blocks[4].writes);

	/* the task's check against JSON results */
	bool met;
	double v;
	assert_int_equal(ql_lesson_check(t, "{\"metrics\": {\"sqnr_db\": 25.5}}", &met, &v, NULL), 0);
	assert_true(met);
	assert_true(v == 25.5);
	assert_int_equal(ql_lesson_check(t, "{\"metrics\": {\"sqnr_db\": 25}}", &met, &v, NULL), 0);
	assert_false(met);
	ql_error e2 = {""};
	assert_int_equal(ql_lesson_check(t, "{\"metrics\": {}}", &met, &v, &e2), -1);
	assert_non_null(strstr(e2.msg, "metrics.sqnr_db"));
	assert_int_equal(ql_lesson_check(t, "not json", &met, &v, NULL), -1);
	char *w1[] = {"quantize", "w.npy", "--dtype", "int4", "--group", "32"};
	char *w2[] = {"quantize", "w.npy", "--dtype", "int8", "int4"};
	assert_true(ql_lesson_keeps(t, 6, w1));
	assert_false(ql_lesson_keeps(t, 5, w2));
	ql_lesson_free(l);
}

/* One broken line each: the message names file:line and the reason. */
static void test_parse_errors(void **state)
{
	(void)state;
	static const struct { const char *text; int line; const char *what; } cases[] = {
		{"--- A\n", 1, "no title"},
		{"title: T\n", 1, "no steps"},
		{"title: T\nhello\n--- A\n", 2, "before the first step"},
		{"title: T\n---\n", 2, "needs a title"},
		{"title: T\n--- A\n@frobnicate x\n", 3, "unknown directive @frobnicate"},
		{"title: T\n--- A\n@run\n", 3, "needs a command"},
		{"title: T\n--- A\n@run bits 'open\n", 3, "unbalanced"},
		{"title: T\n--- A\nx {= 1 +} y\n", 3, "in {="},
		{"title: T\n--- A\n```\ncode\n", 3, "not closed"},
		/* a step's checks do not set the line back: the errors after it
		 * name their own lines (they were a few lines early) */
		{"title: T\n--- A\n@quiz Q?\n@right a\n@choice b\n\ntext\n--- B\n@frobnicate\n", 9,
		 "unknown directive"},
		{"title: T\n--- A\n@quiz Q?\n@right a\n@choice b\n--- B\ntext\n\n```\nx\n", 9,
		 "not closed"},
		{"title: T\n--- A\n@choice x\n", 3, "outside a @quiz"},
		{"title: T\n--- A\n@quiz Q?\n@choice a\n@choice b\n", 3, "one @right"},
		{"title: T\n--- A\n@quiz Q?\n@right a\n", 3, "two or more"},
		{"title: T\n--- A\n@quiz Q?\n@right a\n@right b\n", 5, "one @right"},
		{"title: T\n--- A\n@quiz Q?\n@answer 1 +\n", 4, "in {="},
		{"title: T\n--- A\n@quiz Q?\n@answer 1 +- -2\n", 4, "tolerance"},
		{"title: T\n--- A\n@quiz Q?\n@right a\n@answer 1\n", 5, "not both"},
		{"title: T\n--- A\n@task T\n@try bits 1\n", 3, "@check"},
		{"title: T\n--- A\n@task T\n@try bits 1\n@check x ~ 1\n", 5, "no comparison"},
		{"title: T\n--- A\n@task T\n@try convert w.npy -o x.npy\n@check a > 1\n", 3, "may not write"},
		{"title: T\n--- A\n@check a > 1\n", 3, "outside a @task"},
		{"title: T\n--- A\n@task T\n@try bits 1\n@check a > 1\n@check b < 2\n", 6, "one @check"},
		{"title: T\n--- A\n@hint h\n", 3, "outside"},
		{"title: T\n--- A\n@source\n", 3, "needs text"},
		{"title: T\n--- A\nx\0y\n", 0, "NUL"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		ql_lesson *l = NULL;
		ql_error err = {""};
		size_t len = strlen(cases[i].text);
		if (strstr(cases[i].what, "NUL"))
			len = 20;
		if (ql_lesson_parse("x/09-bad.lesson", cases[i].text, len, &l, &err) == 0)
			fail_msg("case %zu was accepted", i);
		char where[64];
		if (cases[i].line)
			snprintf(where, sizeof where, "x/09-bad.lesson:%d: ", cases[i].line);
		else
			snprintf(where, sizeof where, "x/09-bad.lesson: ");
		if (strncmp(err.msg, where, strlen(where)) != 0 || !strstr(err.msg, cases[i].what))
			fail_msg("case %zu: '%s' (want '%s...%s')", i, err.msg, where, cases[i].what);
	}
}

static void test_words(void **state)
{
	(void)state;
	int argc;
	char **argv;
	assert_int_equal(ql_lesson_split("  a 'b c' \"d\\\"e\" f\\ g $HOME;rm  ", &argc, &argv, NULL), 0);
	assert_int_equal(argc, 5);
	assert_string_equal(argv[1], "b c");
	assert_string_equal(argv[2], "d\"e");
	assert_string_equal(argv[3], "f g");
	assert_string_equal(argv[4], "$HOME;rm"); /* nothing is expanded */
	assert_false(ql_lesson_words_write(argc, argv));
	ql_lesson_free_words(argc, argv);
	char *o1[] = {"convert", "-ox.npy"}, *o2[] = {"convert", "--output=x"}, *o3[] = {"x", "-o", "y"};
	assert_true(ql_lesson_words_write(2, o1));
	assert_true(ql_lesson_words_write(2, o2));
	assert_true(ql_lesson_words_write(3, o3));
}

static void test_progress(void **state)
{
	(void)state;
	char dir[256], sub[300];
	assert_int_equal(tu_make_tmpdir(dir, sizeof dir, "lesson"), 0);
	snprintf(sub, sizeof sub, "%s/st", dir);
	setenv("XDG_STATE_HOME", sub, 1);
	ql_lesson_progress p, q;
	ql_error err = {""};
	assert_int_equal(ql_lesson_progress_load("01-x", &p, &err), 0);
	assert_int_equal(p.step, 0);
	assert_int_equal(p.nmarks, 0);
	p.step = 3;
	p.seen = 5;
	ql_lesson_mark_set(&p, 1, 2, 'w');
	ql_lesson_mark_set(&p, 1, 2, 'r');
	ql_lesson_mark_set(&p, 4, 0, 'd');
	assert_int_equal(ql_lesson_progress_save("01-x", &p, &err), 0);
	assert_int_equal(ql_lesson_progress_load("01-x", &q, &err), 0);
	assert_int_equal(q.step, 3);
	assert_int_equal(q.seen, 5);
	assert_int_equal(q.nmarks, 2);
	assert_int_equal(ql_lesson_mark_get(&q, 1, 2), 'r');
	assert_int_equal(ql_lesson_mark_get(&q, 4, 0), 'd');
	assert_int_equal(ql_lesson_mark_get(&q, 0, 0), 0);
	assert_int_equal(ql_lesson_progress_save("../evil", &p, &err), -1);

	/* a damaged file keeps what it can */
	char path[512];
	snprintf(path, sizeof path, "%s/qlens/lessons/01-x.progress", sub);
	tu_spew(path, "step 2\ngarbage\nmark 1 1 z\nmark 0 1 r\nstep -5\n", 43);
	assert_int_equal(ql_lesson_progress_load("01-x", &q, &err), 0);
	assert_int_equal(q.step, 2);
	assert_int_equal(q.nmarks, 1);

	char name[64];
	int step;
	bool blank;
	assert_int_equal(ql_lesson_present_read(name, sizeof name, &step, &blank, &err), -1);
	assert_non_null(strstr(err.msg, "no presentation"));
	assert_int_equal(ql_lesson_present_write("03-basics", 4, true, &err), 0);
	assert_int_equal(ql_lesson_present_read(name, sizeof name, &step, &blank, &err), 0);
	assert_string_equal(name, "03-basics");
	assert_int_equal(step, 4);
	assert_true(blank);
	char cmd[600];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

/* A FIFO or a device among the lessons is refused at once: `qlens lessons`
 * and the explorer's home list every NN-name.lesson of the folder, and a
 * FIFO there made them wait forever for a writer. alarm() makes a wait a
 * failure. */
static void test_load_not_regular(void **state)
{
	(void)state;
	char dir[256], path[300];
	assert_int_equal(tu_make_tmpdir(dir, sizeof dir, "lesson"), 0);
	snprintf(path, sizeof path, "%s/07-fifo.lesson", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	ql_lesson *l = NULL;
	ql_error err = {""};
	alarm(20);
	assert_int_equal(ql_lesson_load(path, &l, &err), -1);
	assert_non_null(strstr(err.msg, "not a regular file"));
	assert_int_equal(ql_lesson_load("/dev/zero", &l, &err), -1);
	assert_non_null(strstr(err.msg, "/dev/zero: not a regular file"));
	alarm(0);
	char cmd[600];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

/* Every course file, mutated: bytes flipped, lines cut and duplicated,
 * directives swapped. Each must parse or fail with "PATH:" and a reason;
 * ASan and UBSan watch the rest. A lesson file from anyone is safe. */
static void test_mutations(void **state)
{
	(void)state;
	const char *dir = getenv("QLENS_SRCDIR");
	char ldir[512], path[700];
	snprintf(ldir, sizeof ldir, "%s/lessons", dir ? dir : ".");
	char **names;
	int n;
	assert_int_equal(ql_lesson_list(ldir, &names, &n, NULL), 0);
	assert_true(n >= 7);
	static const char *const junk[] = {
		"@quiz", "@choice x", "@right", "@answer", "@task t", "@try", "@check a >",
		"@keep", "@run", "@open", "```", "--- ", "{=", "{= 1/0}", "{=.99999 1}", "@note",
		"{= cast(int8, nan)}", "{= pack(4, -9, 1)}", "@run lines=5-2 bits 1", "\\@x", "#",
	};
	unsigned seed = 12345;
	int ok = 0, failed = 0;
	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof path, "%s/%s", ldir, names[i]);
		size_t len;
		uint8_t *orig = tu_slurp(path, &len);
		assert_non_null(orig);
		for (int round = 0; round < 150; round++) {
			char *m = malloc(len + 64);
			memcpy(m, orig, len);
			size_t ml = len;
			seed = seed * 1103515245u + 12345u;
			int kind = (int)((seed >> 16) % 4);
			size_t at = (seed >> 8) % ml;
			if (kind == 0) {
				for (int k = 0; k < 4; k++) {
					seed = seed * 1103515245u + 12345u;
					m[(seed >> 8) % ml] ^= (char)(1u << ((seed >> 4) % 8));
				}
			} else if (kind == 1) {
				ml = at; /* cut */
			} else {
				/* a junk line at the start of some line */
				while (at > 0 && m[at - 1] != '\n')
					at--;
				const char *j = junk[(seed >> 3) % (sizeof junk / sizeof junk[0])];
				size_t jl = strlen(j);
				if (jl + 1 + ml <= len + 64) {
					memmove(m + at + jl + 1, m + at, ml - at);
					memcpy(m + at, j, jl);
					m[at + jl] = '\n';
					ml += jl + 1;
				}
			}
			ql_lesson *l = NULL;
			ql_error err = {""};
			if (ql_lesson_parse(path, m, ml, &l, &err) == 0) {
				char *out;
				for (int st = 0; st < l->nsteps; st++)
					for (int b = 0; b < l->steps[st].nblocks; b++)
						if (ql_lesson_expand(l->steps[st].blocks[b].text
								     ? l->steps[st].blocks[b].text : "",
								     &out, NULL) == 0)
							free(out);
				ql_lesson_free(l);
				ok++;
			} else {
				if (strncmp(err.msg, path, strlen(path)) != 0)
					fail_msg("message without the file: '%s'", err.msg);
				failed++;
			}
			free(m);
		}
		free(orig);
	}
	ql_lesson_list_free(names, n);
	assert_true(ok > 50 && failed > 50);
}

int main(void)
{
	load_golden();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_calc_golden),
		cmocka_unit_test(test_expand_golden),
		cmocka_unit_test(test_calc_errors),
		cmocka_unit_test(test_parse_good),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_words),
		cmocka_unit_test(test_progress),
		cmocka_unit_test(test_load_not_regular),
		cmocka_unit_test(test_mutations),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	free(golden_text);
	return rc;
}
