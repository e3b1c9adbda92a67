/* lesson_view.c — playing a lesson (lessonview.h): finding it, running
 * its widgets through the command table, quizzes, tasks and progress. The
 * layout of a step is lesson_layout.c's.
 */
#include "qlens/lessonview.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qlens/command.h"
#include "qlens/datadir.h"

#include "lesson_impl.h"

/* ---- finding a lesson --------------------------------------------------- */

bool ql_lesson_command_ok(const char *name)
{
	return ql_command_find(name) && strcmp(name, "lesson") != 0 && strcmp(name, "lessons") != 0;
}

/* The commands of @run and @try are the command table's (a screen's name
 * of @open is checked by the player, which knows the screens). */
static int validate(ql_lesson *l, ql_error *err)
{
	for (int s = 0; s < l->nsteps; s++)
		for (int b = 0; b < l->steps[s].nblocks; b++) {
			const ql_lesson_block *x = &l->steps[s].blocks[b];
			if ((x->kind == QL_LB_RUN || x->kind == QL_LB_TASK) && x->argc &&
			    !ql_lesson_command_ok(x->argv[0]))
				return ql_error_set(err, "%s:%d: '%s' is not a command a lesson can run",
						    l->path, x->line, x->argv[0]);
		}
	return 0;
}

int ql_lesson_open_file(const char *path, ql_lesson **out, ql_error *err)
{
	if (ql_lesson_load(path, out, err) != 0)
		return -1;
	if (validate(*out, err) != 0) {
		ql_lesson_free(*out);
		*out = NULL;
		return -1;
	}
	return 0;
}

int ql_lesson_find(const char *which, ql_lesson **out, ql_error *err)
{
	size_t wl = strlen(which);
	if (strchr(which, '/') || (wl > 7 && strcmp(which + wl - 7, ".lesson") == 0))
		return ql_lesson_open_file(which, out, err);
	char dir[4096], path[4400];
	if (ql_data_path("lessons", dir, sizeof dir, err) != 0)
		return -1;
	char **names;
	int n;
	if (ql_lesson_list(dir, &names, &n, err) != 0)
		return -1;
	char *end;
	long num = strtol(which, &end, 10);
	bool numeric = *which && !*end;
	int found = -1;
	for (int i = 0; i < n && found < 0; i++) {
		size_t len = strlen(names[i]) - 7; /* without .lesson */
		if (numeric ? strtol(names[i], NULL, 10) == num
			    : ((len == wl && strncmp(names[i], which, wl) == 0) ||
			       (len == wl + 3 && strncmp(names[i] + 3, which, wl) == 0)))
			found = i;
	}
	if (found < 0) {
		ql_lesson_list_free(names, n);
		return ql_error_set(err, "no lesson '%s' in %s (see 'qlens lessons')", which, dir);
	}
	snprintf(path, sizeof path, "%s/%s", dir, names[found]);
	ql_lesson_list_free(names, n);
	return ql_lesson_open_file(path, out, err);
}

/* ---- running widgets ---------------------------------------------------- */

/* Replaces every `full` in buf by `word` (never longer: a suffix of it). */
static void shorten(char *buf, const char *full, const char *word)
{
	size_t fl = strlen(full), wl = strlen(word);
	if (wl > fl)
		return;
	for (char *p = strstr(buf, full); p; p = strstr(p + wl, full)) {
		memmove(p + wl, p + fl, strlen(p + fl) + 1);
		memcpy(p, word, wl);
	}
}

int ql_lesson_exec(int argc, char **argv, bool json, char **out)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f) {
		*out = strdup("qlens: out of memory\n");
		return QL_EXIT_FAIL;
	}
	int rc;
	if (argc < 1 || !ql_lesson_command_ok(argv[0])) {
		fprintf(f, "qlens: '%s' is not a command a lesson can run\n", argc ? argv[0] : "");
		rc = QL_EXIT_USAGE;
	} else {
		char **v = calloc((size_t)argc + 2, sizeof *v);
		char (*paths)[4096] = calloc((size_t)argc, sizeof *paths);
		if (!v || !paths) {
			fprintf(f, "qlens: out of memory\n");
			rc = QL_EXIT_FAIL;
		} else {
			int n = 0;
			for (int i = 0; i < argc; i++) {
				v[n++] = argv[i];
				/* the course's data files, wherever qlens is installed */
				if ((strncmp(argv[i], "assets/", 7) == 0 ||
				     strncmp(argv[i], "lessons/", 8) == 0) &&
				    ql_data_path(argv[i], paths[i], sizeof paths[i], NULL) == 0)
					v[n - 1] = paths[i];
			}
			if (json)
				v[n++] = "--json";
			ql_cmd_ctx ctx = {.out = f, .err = f};
			rc = ql_command_run(&ctx, n, v);
			fclose(f);
			f = NULL;
			/* the output names the data files as the lesson did */
			for (int i = 0; i < argc && buf; i++)
				if (paths[i][0])
					shorten(buf, paths[i], argv[i]);
		}
		free(v);
		free(paths);
	}
	if (f)
		fclose(f);
	*out = buf;
	return rc;
}


ql_lesson_run *ql_lesson_run_new(ql_lesson *l, bool print, bool save, ql_error *err)
{
	ql_lesson_run *r = calloc(1, sizeof *r);
	if (r)
		r->blocks = calloc((size_t)l->nsteps, sizeof *r->blocks);
	if (!r || !r->blocks) {
		free(r);
		ql_lesson_free(l);
		ql_error_set(err, "out of memory");
		return NULL;
	}
	r->l = l;
	r->print = print;
	r->save = save;
	for (int s = 0; s < l->nsteps; s++) {
		r->blocks[s] = calloc((size_t)l->steps[s].nblocks + 1, sizeof **r->blocks);
		if (!r->blocks[s]) {
			ql_lesson_run_free(r);
			ql_error_set(err, "out of memory");
			return NULL;
		}
		for (int b = 0; b < l->steps[s].nblocks; b++)
			r->blocks[s][b].picked = -1;
	}
	if (save) {
		ql_error e;
		if (ql_lesson_progress_load(l->name, &r->prog, &e) != 0)
			memset(&r->prog, 0, sizeof r->prog); /* unreadable: start over */
		if (r->prog.step >= l->nsteps)
			r->prog.step = l->nsteps - 1;
	}
	return r;
}

void ql_lesson_run_free(ql_lesson_run *r)
{
	if (!r)
		return;
	for (int s = 0; s < r->l->nsteps && r->blocks; s++) {
		for (int b = 0; r->blocks[s] && b < r->l->steps[s].nblocks; b++) {
			ql_lv_block *x = &r->blocks[s][b];
			free(x->out);
			free(x->check_err);
			free(x->entered);
			ql_lesson_free_words(x->argc, x->argv);
		}
		free(r->blocks[s]);
	}
	free(r->blocks);
	ql_lesson_free(r->l);
	free(r);
}

static void save(ql_lesson_run *r)
{
	if (r->save)
		ql_lesson_progress_save(r->l->name, &r->prog, NULL); /* best effort */
}

void ql_lesson_goto(ql_lesson_run *r, int step)
{
	if (step < 0)
		step = 0;
	if (step >= r->l->nsteps)
		step = r->l->nsteps - 1;
	r->prog.step = step;
	if (r->prog.seen < step + 1)
		r->prog.seen = step + 1;
	save(r);
}

const char *ql_lesson_output(ql_lesson_run *r, int step, int block, bool confirm, int *rc)
{
	const ql_lesson_block *b = &r->l->steps[step].blocks[block];
	ql_lv_block *x = blk(r, step, block);
	if (!x->ran) {
		if (b->writes && (!confirm || r->print))
			return NULL;
		x->rc = ql_lesson_exec(b->argc, b->argv, false, &x->out);
		x->ran = true;
	}
	if (rc)
		*rc = x->rc;
	return x->out;
}

/* ---- quizzes and tasks -------------------------------------------------- */

int ql_lesson_quiz_value(const ql_lesson_block *b, double *v, ql_error *err)
{
	if (!b->answer)
		return ql_error_set(err, "not a numeric quiz");
	return ql_lesson_calc(b->answer, v, err);
}

static char mark(ql_lesson_run *r, int step, int block, bool right)
{
	char m = right ? 'r' : 'w';
	ql_lesson_mark_set(&r->prog, step, block, m);
	save(r);
	return m;
}

char ql_lesson_answer_choice(ql_lesson_run *r, int step, int block, int choice)
{
	const ql_lesson_block *b = &r->l->steps[step].blocks[block];
	blk(r, step, block)->picked = choice;
	return mark(r, step, block, choice == b->right);
}

char ql_lesson_answer_text(ql_lesson_run *r, int step, int block, const char *text)
{
	const ql_lesson_block *b = &r->l->steps[step].blocks[block];
	ql_lv_block *x = blk(r, step, block);
	free(x->entered);
	x->entered = strdup(text);
	double want, got;
	/* what the learner types is read as a number or an expression */
	if (ql_lesson_quiz_value(b, &want, NULL) != 0 || ql_lesson_calc(text, &got, NULL) != 0)
		return mark(r, step, block, false);
	bool ok = got == want || fabs(got - want) <= b->tol || (isnan(got) && isnan(want));
	return mark(r, step, block, ok);
}

static void task_words(ql_lesson_run *r, int step, int block)
{
	const ql_lesson_block *b = &r->l->steps[step].blocks[block];
	ql_lv_block *x = blk(r, step, block);
	if (x->argv)
		return;
	x->argv = calloc((size_t)b->argc + 1, sizeof *x->argv);
	if (!x->argv)
		return;
	for (int i = 0; i < b->argc; i++)
		x->argv[i] = strdup(b->argv[i]);
	x->argc = b->argc;
}

char *ql_lesson_task_line(ql_lesson_run *r, int step, int block)
{
	task_words(r, step, block);
	ql_lv_block *x = blk(r, step, block);
	size_t n = 1;
	for (int i = 0; i < x->argc; i++)
		n += strlen(x->argv[i]) * 2 + 3;
	char *s = malloc(n), *o = s;
	if (!s)
		return NULL;
	for (int i = 0; i < x->argc; i++) {
		const char *w = x->argv[i];
		bool q = !*w || strpbrk(w, " \t'\"\\");
		if (i)
			*o++ = ' ';
		if (q)
			*o++ = '\'';
		for (; *w; w++) {
			if (*w == '\'')
				o += sprintf(o, "'\\''");
			else
				*o++ = *w;
		}
		if (q)
			*o++ = '\'';
	}
	*o = '\0';
	return s;
}

void ql_lesson_task_check(ql_lesson_run *r, int step, int block)
{
	const ql_lesson_block *b = &r->l->steps[step].blocks[block];
	ql_lv_block *x = blk(r, step, block);
	task_words(r, step, block);
	char *out = NULL;
	free(x->check_err);
	x->check_err = NULL;
	x->checked = true;
	x->met = false;
	int rc = ql_lesson_exec(x->argc, x->argv, true, &out);
	ql_error e = {""};
	if (rc != 0) {
		/* the command's own one-line message */
		size_t k = out ? strcspn(out, "\n") : 0;
		x->check_err = out ? strndup(out, k) : strdup("the command failed");
	} else if (ql_lesson_check(b, out, &x->met, &x->value, &e) != 0) {
		x->check_err = strdup(e.msg);
	}
	free(out);
	if (x->met) {
		ql_lesson_mark_set(&r->prog, step, block, 'd');
		save(r);
	}
}

int ql_lesson_task_try(ql_lesson_run *r, int step, int block, const char *line, ql_error *err)
{
	const ql_lesson_block *b = &r->l->steps[step].blocks[block];
	int argc;
	char **argv;
	if (ql_lesson_split(line, &argc, &argv, err) != 0)
		return -1;
	const char *why = NULL;
	if (argc < 1 || strcmp(argv[0], b->argv[0]) != 0)
		why = "keep the task's command";
	else if (!ql_lesson_keeps(b, argc, argv))
		why = "the task asks to keep";
	else if (ql_lesson_words_write(argc, argv))
		why = "a task writes no file";
	if (why) {
		if (strcmp(why, "the task asks to keep") == 0) {
			char k[256] = "";
			for (int i = 0; i < b->nkeep; i++)
				snprintf(k + strlen(k), sizeof k - strlen(k), "%s%s", i ? ", " : "", b->keep[i]);
			ql_error_set(err, "%s: %s", why, k);
		} else {
			ql_error_set(err, "%s (%s)", why, b->argv[0]);
		}
		ql_lesson_free_words(argc, argv);
		return -1;
	}
	ql_lv_block *x = blk(r, step, block);
	ql_lesson_free_words(x->argc, x->argv);
	x->argc = argc;
	x->argv = argv;
	ql_lesson_task_check(r, step, block);
	return 0;
}

