/* cmd_lesson.c — `qlens lessons` (the course, with progress, and its lint)
 * and `qlens lesson N` (the player; --print, --notes).
 *
 * The player itself is a screen (src/tui/screen_lesson.c), asked for
 * through the context's screen hook like `bits --tui`; everything else is
 * plain text over lessonview.h.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmds.h"
#include "qlens/args.h"
#include "qlens/command.h"
#include "qlens/datadir.h"
#include "qlens/lessonview.h"

/* The player's page: 80x24 less the title and status bars, the player's
 * header line and margins. A step must fit here without scrolling. */
enum { PAGE_COLS = 78, PAGE_LINES = 21 };

const char ql_lessons_help[] =
	"Options:\n"
	"  --check     lint every lesson: it parses, each step has a widget, quiz or\n"
	"              task, each widget's command runs,\n"
	"              each quiz's answer is computed by the core, each step fits\n"
	"              80x24 (a command's wide output may be clipped: Enter shows\n"
	"              it whole); one line per problem, status 1 if any\n"
	"\n"
	"Lists the course in lessons/ with each lesson's steps and your progress\n"
	"(kept in $XDG_STATE_HOME/qlens/lessons/). A broken lesson file is named\n"
	"with its line; the others still list and play.\n"
	"\n"
	"Examples:\n"
	"  qlens lessons\n"
	"  qlens lesson 1\n"
	"  qlens lessons --check\n";

const char ql_lesson_help[] =
	"LESSON is a number (1), a name (01-datatypes or datatypes) or the path of\n"
	"a .lesson file (a teacher's new lesson plays before it is installed).\n"
	"\n"
	"Options:\n"
	"  --print       the lesson as plain text, every widget run and every number\n"
	"                computed, quiz answers given (for handouts)\n"
	"  --width N     --print's width (default 78)\n"
	"  --present     open in presenter mode: large, centred, no bars; PgUp/PgDn\n"
	"                step, b blanks the screen\n"
	"  --notes       speaker notes of the step being presented (run it in a\n"
	"                second terminal; it follows the presenter)\n"
	"  --once        with --notes: print the current notes once and stop\n"
	"  --check       lint this lesson only (see `qlens lessons --help`)\n"
	"\n"
	"In the player: PgDn, Space, Right or Enter step forward; PgUp or Left\n"
	"back; g or digits jump to a step; Tab selects a widget, quiz or task and\n"
	"Enter opens, answers or edits it; p presenter mode; q leaves (progress is\n"
	"kept and the lesson resumes where you were).\n"
	"\n"
	"Examples:\n"
	"  qlens lesson 1\n"
	"  qlens lesson 1 --print\n"
	"  qlens lesson 3 --present      # and in another terminal:\n"
	"  qlens lesson 3 --notes\n";

/* ---- the lint -------------------------------------------------------------- */

/* Problems of one loaded lesson, one line each on ctx->err; returns count. */
static int lint_lesson(ql_cmd_ctx *ctx, ql_lesson *l)
{
	int problems = 0;
	ql_error err = {""};
	char *path = strdup(l->path);
	ql_lesson_run *r = ql_lesson_run_new(l, false, false, &err);
	if (!r) {
		(void)ql_fail(ctx, "%s: %s", path, err.msg);
		free(path);
		return 1;
	}
	if (l->nsources == 0) {
		(void)ql_fail(ctx, "%s: no @source (each lesson ends with its sources)", path);
		problems++;
	}
	for (int s = 0; s < l->nsteps; s++) {
		const ql_lesson_step *st = &l->steps[s];
		for (int b = 0; b < st->nblocks; b++) {
			const ql_lesson_block *x = &st->blocks[b];
			int rc = 0;
			double v;
			if (x->kind == QL_LB_RUN && !x->writes) {
				const char *out = ql_lesson_output(r, s, b, false, &rc);
				if (rc != 0) {
					(void)ql_fail(ctx, "%s:%d: the widget's command failed: %.*s",
						path, x->line, (int)strcspn(out ? out : "", "\n"), out ? out : "");
					problems++;
				}
			}
			if (x->kind == QL_LB_OPEN && !x->writes && ql_lesson_command_ok(x->argv[0])) {
				char *out;
				rc = ql_lesson_exec(x->argc, x->argv, false, &out);
				if (rc != 0) {
					(void)ql_fail(ctx, "%s:%d: the widget's command failed: %.*s",
						path, x->line, (int)strcspn(out, "\n"), out);
					problems++;
				}
				free(out);
			}
			if (x->kind == QL_LB_QUIZ && x->answer && ql_lesson_quiz_value(x, &v, &err) != 0) {
				(void)ql_fail(ctx, "%s:%d: %s", path, x->line, err.msg);
				problems++;
			}
			if (x->kind == QL_LB_QUIZ && x->answer) {
				/* the core's answer, typed in, must be marked right */
				char typed[64];
				ql_lesson_format(v, "g17", typed, sizeof typed, NULL);
				if (ql_lesson_answer_text(r, s, b, typed) != 'r') {
					(void)ql_fail(ctx, "%s:%d: the answer %s is not accepted", path,
						x->line, typed);
					problems++;
				}
				ql_lesson_mark_set(&r->prog, s, b, 0);
			}
			if (x->kind == QL_LB_TASK) {
				char *line = ql_lesson_task_line(r, s, b);
				if (ql_lesson_task_try(r, s, b, line ? line : "", &err) != 0 ||
				    r->blocks[s][b].check_err) {
					(void)ql_fail(ctx, "%s:%d: the task's command: %s", path, x->line,
						r->blocks[s][b].check_err ? r->blocks[s][b].check_err : err.msg);
					problems++;
				} else if (r->blocks[s][b].met) {
					(void)ql_fail(ctx, "%s:%d: the task is met before the learner "
						"does anything", path, x->line);
					problems++;
				}
				r->blocks[s][b].checked = false;
				free(line);
			}
		}
		/* each step has something to do (the sources' step aside) */
		int todo = 0;
		for (int b = 0; b < st->nblocks; b++)
			todo += st->blocks[b].kind == QL_LB_RUN || st->blocks[b].kind == QL_LB_OPEN ||
				st->blocks[b].kind == QL_LB_QUIZ || st->blocks[b].kind == QL_LB_TASK;
		if (!todo && !(s == l->nsteps - 1 && l->nsources)) {
			(void)ql_fail(ctx, "%s:%d: step %d has nothing to do (a widget, quiz or "
				"task)", path, st->line, s + 1);
			problems++;
		}
		ql_lv_lines ls;
		if (ql_lesson_render(r, s, PAGE_COLS, &ls, &err) != 0) {
			(void)ql_fail(ctx, "%s:%d: %s", path, st->line, err.msg);
			problems++;
			continue;
		}
		if (ls.n > PAGE_LINES) {
			(void)ql_fail(ctx, "%s:%d: step %d is %d lines; at 80x24 %d fit", path,
				st->line, s + 1, ls.n, PAGE_LINES);
			problems++;
		}
		for (int i = 0; i < ls.n; i++) {
			if (ls.v[i].role == QL_LV_OUTPUT)
				continue; /* clipped, and whole in the player's pager */
			int w = ql_lv_width(ls.v[i].text);
			if (w > PAGE_COLS) {
				(void)ql_fail(ctx, "%s:%d: step %d, line %d is %d columns; at 80x24 "
					"%d fit: %.40s...", path, st->line, s + 1, i + 1, w, PAGE_COLS,
					ls.v[i].text);
				problems++;
				break;
			}
		}
		ql_lv_lines_free(&ls);
	}
	if (l->nsteps < 1) {
		(void)ql_fail(ctx, "%s: no steps", path);
		problems++;
	}
	ql_lesson_run_free(r);
	free(path);
	return problems;
}

/* ---- qlens lessons ----------------------------------------------------------- */

static void progress_words(const ql_lesson *l, char *buf, size_t n)
{
	ql_lesson_progress p;
	int quizzes = 0, right = 0, tasks = 0, done = 0;
	if (ql_lesson_progress_load(l->name, &p, NULL) != 0)
		memset(&p, 0, sizeof p);
	for (int s = 0; s < l->nsteps; s++)
		for (int b = 0; b < l->steps[s].nblocks; b++) {
			ql_lesson_kind k = l->steps[s].blocks[b].kind;
			char m = ql_lesson_mark_get(&p, s, b);
			quizzes += k == QL_LB_QUIZ;
			right += k == QL_LB_QUIZ && m == 'r';
			tasks += k == QL_LB_TASK;
			done += k == QL_LB_TASK && m == 'd';
		}
	int seen = p.seen > l->nsteps ? l->nsteps : p.seen;
	if (seen == 0)
		snprintf(buf, n, "not started, %d steps", l->nsteps);
	else if (seen == l->nsteps)
		snprintf(buf, n, "all %d steps seen, quizzes %d/%d, tasks %d/%d", l->nsteps, right,
			 quizzes, done, tasks);
	else
		snprintf(buf, n, "step %d of %d, quizzes %d/%d, tasks %d/%d", p.step + 1, l->nsteps,
			 right, quizzes, done, tasks);
}

int ql_cmd_lessons(ql_cmd_ctx *ctx, int argc, char **argv)
{
	static const ql_opt opts[] = {{"check", 0, QL_ARG_NONE, 1}, {0}};
	bool check = false;
	ql_args a;
	ql_args_init(&a, argc, argv, opts);
	for (int id; (id = ql_args_next(&a)) != QL_ARGS_END;) {
		if (id == QL_ARGS_HELP) {
			ql_command_help(ql_command_find("lessons"), ctx->out);
			return QL_EXIT_OK;
		}
		if (id == QL_ARGS_ERROR)
			return ql_usage_error(ctx, "lessons", "%s", a.error);
		if (id == QL_ARGS_POSITIONAL)
			return ql_usage_error(ctx, "lessons", "unexpected '%s'", a.value);
		check = true;
	}
	char dir[4096], path[4400];
	ql_error err = {""};
	char **names;
	int n;
	if (ql_data_path("lessons", dir, sizeof dir, &err) != 0 ||
	    ql_lesson_list(dir, &names, &n, &err) != 0)
		return ql_fail(ctx, "%s", err.msg);
	int bad = 0;
	if (!check)
		fprintf(ctx->out, "The course (qlens lesson N opens one):\n\n");
	for (int i = 0; i < n; i++) {
		ql_lesson *l;
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		if (ql_lesson_open_file(path, &l, &err) != 0) {
			(void)ql_fail(ctx, "%s", err.msg);
			bad++;
			continue;
		}
		if (check) {
			bad += lint_lesson(ctx, l) != 0;
			continue;
		}
		char prog[128];
		progress_words(l, prog, sizeof prog);
		fprintf(ctx->out, "%2d  %-34s  %s\n", l->number, l->title, prog);
		ql_lesson_free(l);
	}
	if (check)
		fprintf(ctx->out, "%d lessons checked, %d with problems\n", n, bad);
	ql_lesson_list_free(names, n);
	if (n == 0)
		return ql_fail(ctx, "%s: no lessons (files NN-name.lesson)", dir);
	return bad ? QL_EXIT_FAIL : QL_EXIT_OK;
}

/* ---- qlens lesson N --notes ---------------------------------------------------- */

static volatile sig_atomic_t notes_stop;
static void on_stop(int sig)
{
	(void)sig;
	notes_stop = 1;
}

static void show_notes(ql_cmd_ctx *ctx, const ql_lesson *l, int step, bool blank, bool clear)
{
	if (clear)
		fputs("\033[H\033[2J", ctx->out);
	if (step >= l->nsteps)
		step = l->nsteps - 1;
	const ql_lesson_step *st = &l->steps[step];
	char *title = NULL;
	if (ql_lesson_expand(st->title, &title, NULL) != 0)
		title = NULL;
	fprintf(ctx->out, "%s -- step %d of %d%s\n%s\n\n", l->title, step + 1, l->nsteps,
		blank ? " (screen blanked)" : "", title ? title : st->title);
	free(title);
	fprintf(ctx->out, "%s\n", st->notes ? st->notes : "(no notes for this step)");
	if (step + 1 < l->nsteps)
		fprintf(ctx->out, "\nNext: %s\n", l->steps[step + 1].title);
	fflush(ctx->out);
}

static int notes(ql_cmd_ctx *ctx, ql_lesson *l, bool once)
{
	char name[128] = "", last_name[128] = "";
	int step = 0, last_step = -1;
	bool blank = false, last_blank = false;
	bool tty = isatty(fileno(ctx->out)) && !once;
	ql_error err = {""};
	notes_stop = 0;
	struct sigaction sa = {.sa_handler = on_stop}, old_int, old_term;
	if (!once) {
		sigaction(SIGINT, &sa, &old_int);
		sigaction(SIGTERM, &sa, &old_term);
	}
	bool waiting_shown = false;
	while (!notes_stop) {
		bool have = ql_lesson_present_read(name, sizeof name, &step, &blank, &err) == 0 &&
			    strcmp(name, l->name) == 0;
		if (have && (step != last_step || blank != last_blank || strcmp(name, last_name))) {
			show_notes(ctx, l, step, blank, tty);
			last_step = step;
			last_blank = blank;
			snprintf(last_name, sizeof last_name, "%s", name);
			waiting_shown = false;
		} else if (!have && (!waiting_shown || once)) {
			if (tty)
				fputs("\033[H\033[2J", ctx->out);
			fprintf(ctx->out, "Waiting for %s to be presented (qlens lesson %d --present)...\n",
				l->name, l->number);
			fflush(ctx->out);
			waiting_shown = true;
			last_step = -1;
		}
		if (once)
			break;
		struct timespec ts = {0, 200 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	if (!once) {
		sigaction(SIGINT, &old_int, NULL);
		sigaction(SIGTERM, &old_term, NULL);
	}
	return QL_EXIT_OK;
}

/* ---- qlens lesson N ---------------------------------------------------------------- */

int ql_cmd_lesson(ql_cmd_ctx *ctx, int argc, char **argv)
{
	enum { O_PRINT, O_PRESENT, O_NOTES, O_ONCE, O_WIDTH, O_CHECK };
	static const ql_opt opts[] = {
		{"print", 0, QL_ARG_NONE, O_PRINT},   {"present", 0, QL_ARG_NONE, O_PRESENT},
		{"notes", 0, QL_ARG_NONE, O_NOTES},   {"once", 0, QL_ARG_NONE, O_ONCE},
		{"width", 0, QL_ARG_REQUIRED, O_WIDTH}, {"check", 0, QL_ARG_NONE, O_CHECK},
		{0},
	};
	bool print = false, present = false, notes_mode = false, once = false, check = false;
	bool saw_width = false;
	long width = PAGE_COLS;
	const char *which = NULL;
	ql_args a;
	ql_args_init(&a, argc, argv, opts);
	for (int id; (id = ql_args_next(&a)) != QL_ARGS_END;) {
		switch (id) {
		case QL_ARGS_HELP: ql_command_help(ql_command_find("lesson"), ctx->out); return QL_EXIT_OK;
		case QL_ARGS_ERROR: return ql_usage_error(ctx, "lesson", "%s", a.error);
		case QL_ARGS_POSITIONAL:
			if (which)
				return ql_usage_error(ctx, "lesson", "one lesson at a time ('%s')", a.value);
			which = a.value;
			break;
		case O_PRINT: print = true; break;
		case O_PRESENT: present = true; break;
		case O_NOTES: notes_mode = true; break;
		case O_ONCE: once = true; break;
		case O_CHECK: check = true; break;
		case O_WIDTH:
			if (!ql_parse_int(a.value, 40, 400, &width))
				return ql_usage_error(ctx, "lesson", "--width takes 40 to 400, not '%s'", a.value);
			saw_width = true;
			break;
		}
	}
	if (!which)
		return ql_usage_error(ctx, "lesson", "which lesson? (a number, a name or a file)");
	if (print + present + notes_mode + check > 1)
		return ql_usage_error(ctx, "lesson", "--print, --present, --notes and --check go alone");
	if (once && !notes_mode)
		return ql_usage_error(ctx, "lesson", "--once goes with --notes");
	if (saw_width && !print) /* the player and presenter fit the terminal */
		return ql_usage_error(ctx, "lesson", "--width goes with --print");
	/* at the explorer's prompt it would follow the presenter until Ctrl-C,
	 * the explorer waiting and its screen unchanged */
	if (notes_mode && !once && ctx->interactive)
		return ql_usage_error(ctx, "lesson", "--notes follows the presenter in a terminal of "
				      "its own; here, --notes --once shows the notes once");
	ql_error err = {""};
	ql_lesson *l;
	if (ql_lesson_find(which, &l, &err) != 0)
		return ql_fail(ctx, "%s", err.msg);
	if (check) {
		int p = lint_lesson(ctx, l);
		fprintf(ctx->out, "%s: %d problem%s\n", which, p, p == 1 ? "" : "s");
		return p ? QL_EXIT_FAIL : QL_EXIT_OK;
	}
	if (notes_mode) {
		int rc = notes(ctx, l, once);
		ql_lesson_free(l);
		return rc;
	}
	if (print) {
		ql_lesson_run *r = ql_lesson_run_new(l, true, false, &err);
		if (!r)
			return ql_fail(ctx, "%s", err.msg);
		int rc = ql_lesson_print(r, (int)width, ctx->out, &err);
		ql_lesson_run_free(r);
		return rc ? ql_fail(ctx, "%s", err.msg) : QL_EXIT_OK;
	}
	/* the player: give the screen the file itself, found once here */
	char *path = strdup(l->path);
	ql_lesson_free(l);
	char *sargv[] = {path, present ? "--present" : NULL, NULL};
	int rc = ql_cmd_open_screen(ctx, "lesson", present ? 2 : 1, sargv);
	free(path);
	return rc;
}
