/* screen_home.c — the home screen: the course, then what there is to
 * explore.
 *
 * First the lessons of lessons/ (each with its progress; a broken file is
 * listed with its error and the others still open), then the screens that
 * have a home line in QL_SCREENS (tui_impl.h): each entry its title and
 * that line. A screen joins the menu by its line there. Arrow/vi keys
 * move, Enter or a click opens, q quits.
 */
#include "tui_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qlens/datadir.h"
#include "qlens/lesson.h"

#define HOME_LESSONS_MAX 40

typedef struct home_entry {
	const ql_screen_ops *ops;
	const char *what;
	char *path;  /* a lesson: its file */
	char *label; /* a lesson: "N  Title" */
	char *error; /* a broken lesson: why */
	char name[128]; /* a lesson: its name, for its progress file */
	int nsteps;
} home_entry;

typedef struct home_state {
	home_entry entries[QL_SCR_COUNT + HOME_LESSONS_MAX];
	int n, sel, nlessons;
	int first_y; /* body row of the first entry, for clicks */
	int col_lessons, col_explore; /* where each list's descriptions start */
	int ys[QL_SCR_COUNT + HOME_LESSONS_MAX];
} home_state;

/* A lesson's progress, read again at every frame (a small file), so the
 * list is current when a lesson closes. */
static void progress_line(const home_entry *e, char *buf, size_t n)
{
	ql_lesson_progress p;
	if (ql_lesson_progress_load(e->name, &p, NULL) != 0 || p.seen == 0)
		snprintf(buf, n, "%d steps", e->nsteps);
	else if (p.seen >= e->nsteps)
		snprintf(buf, n, "%d steps, all seen", e->nsteps);
	else
		snprintf(buf, n, "%d steps, at step %d", e->nsteps, p.step + 1);
}

static void load_lessons(home_state *st)
{
	char dir[4096], path[4400];
	char **names;
	int n;
	if (ql_data_path("lessons", dir, sizeof dir, NULL) != 0 ||
	    ql_lesson_list(dir, &names, &n, NULL) != 0)
		return;
	for (int i = 0; i < n && st->n < HOME_LESSONS_MAX; i++) {
		home_entry *e = &st->entries[st->n];
		ql_lesson *l;
		ql_error err = {""};
		char label[200];
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		memset(e, 0, sizeof *e);
		if (ql_lesson_load(path, &l, &err) != 0) {
			snprintf(label, sizeof label, "%.*s", (int)(strlen(names[i]) - 7), names[i]);
			e->error = strdup(err.msg);
			e->what = "cannot be opened: Enter says why";
		} else {
			snprintf(label, sizeof label, "%d  %s", l->number, l->title);
			e->path = strdup(path);
			snprintf(e->name, sizeof e->name, "%s", l->name);
			e->nsteps = l->nsteps;
			ql_lesson_free(l);
		}
		e->label = strdup(label);
		st->n++;
		st->nlessons++;
	}
	ql_lesson_list_free(names, n);
}

static void *home_open(ql_app *app, int argc, char **argv, ql_error *err)
{
	(void)app;
	(void)argc;
	(void)argv;
	home_state *st = calloc(1, sizeof *st);
	if (!st) {
		ql_error_set(err, "out of memory");
		return NULL;
	}
	load_lessons(st);
	for (int i = 0; i < QL_SCR_COUNT; i++)
		if (ql_screen_home_line[i])
			st->entries[st->n++] =
				(home_entry){.ops = ql_screen_table[i], .what = ql_screen_home_line[i]};
	return st;
}

static void home_close(void *vst)
{
	home_state *st = vst;
	for (int i = 0; i < st->nlessons; i++) {
		home_entry *e = &st->entries[i];
		free(e->path);
		free(e->label);
		free(e->error);
	}
	free(st);
}

static void home_open_entry(ql_app *app, home_state *st, int i)
{
	home_entry *e = &st->entries[i];
	if (e->ops) {
		ql_app_push(app, e->ops, 0, NULL);
	} else if (e->error) {
		ql_app_message(app, QL_R_ERROR, "qlens: %s", e->error);
	} else {
		char *args[] = {e->path, NULL};
		ql_app_push(app, &ql_screen_lesson, 1, args);
	}
}

static bool home_action(ql_app *app, void *vst, ql_action a)
{
	home_state *st = vst;
	switch (a) {
	case QL_ACT_UP: st->sel = st->sel > 0 ? st->sel - 1 : 0; return true;
	case QL_ACT_DOWN: st->sel = st->sel < st->n - 1 ? st->sel + 1 : st->n - 1; return true;
	case QL_ACT_FIRST: case QL_ACT_PAGE_UP: st->sel = 0; return true;
	case QL_ACT_LAST: case QL_ACT_PAGE_DOWN: st->sel = st->n - 1; return true;
	case QL_ACT_OPEN: case QL_ACT_RIGHT:
		home_open_entry(app, st, st->sel);
		return true;
	default: return false;
	}
}

static bool home_click(ql_app *app, void *vst, int y, int x)
{
	(void)x;
	home_state *st = vst;
	for (int i = 0; i < st->n; i++)
		if (st->ys[i] == y) {
			st->sel = i;
			home_open_entry(app, st, i);
			return true;
		}
	return false;
}

static void home_draw(ql_app *app, void *vst, WINDOW *w)
{
	home_state *st = vst;
	const ql_theme *th = ql_app_theme(app);
	int cols = getmaxx(w);
	int y = 1;
	ql_put(th, w, y++, 2, -1, QL_R_LABEL, "qlens: see how numbers are stored, and what quantization does to them");
	y++;
	st->first_y = y;
	/* Each list's descriptions start two columns after its longest title. */
	st->col_lessons = st->col_explore = 0;
	for (int i = 0; i < st->n; i++) {
		const char *title = st->entries[i].ops ? st->entries[i].ops->title : st->entries[i].label;
		int *col = i < st->nlessons ? &st->col_lessons : &st->col_explore;
		int c = 4 + ql_text_width(th, title) + 2;
		if (c > *col)
			*col = c;
	}
	for (int i = 0; i < st->n; i++, y++) {
		if (i == 0 && st->nlessons)
			ql_put(th, w, y++, 2, -1, QL_R_NORMAL, "Pick something to explore. The course, in order:");
		if (i == st->nlessons) {
			if (i)
				y++;
			ql_put(th, w, y++, 2, -1, QL_R_NORMAL,
			       i ? "Explore on your own:" : "Pick something to explore:");
		}
		st->ys[i] = y;
		bool sel = i == st->sel;
		if (sel)
			ql_fill_row(th, w, y, QL_R_SELECTED);
		ql_role r = sel ? QL_R_SELECTED : QL_R_NORMAL;
		ql_put(th, w, y, 2, 1, r, sel ? th->g.pointer : " ");
		int x = 4;
		x += ql_put(th, w, y, x, -1, sel ? QL_R_SELECTED : QL_R_LABEL,
			    st->entries[i].ops ? st->entries[i].ops->title : st->entries[i].label);
		int col = i < st->nlessons ? st->col_lessons : st->col_explore;
		x = x < col ? col : x + 2;
		char prog[160];
		const char *what = st->entries[i].what;
		if (!what && st->entries[i].path) {
			progress_line(&st->entries[i], prog, sizeof prog);
			what = prog;
		}
		ql_put_fit(th, w, y, x, cols - x - 1, r, what ? what : "");
	}
	y++;
	static const char *const tips[] = {
		"Enter opens the entry (or click it); q or Esc goes back, and quits from here.",
		"Type : for a command, as on the shell line:  :bits 0.1   :dtypes   :help",
		"Up recalls earlier commands, Tab completes them. ? lists every key.",
	};
	for (size_t i = 0; i < sizeof tips / sizeof tips[0]; i++)
		ql_put_fit(th, w, y++, 2, cols - 3, QL_R_DIM, tips[i]);
}

const ql_screen_ops ql_screen_home = {
	.name = "home",
	.title = "Home",
	.scope = QL_SC_HOME,
	.min_lines = 14,
	.min_cols = 60,
	.open = home_open,
	.close = home_close,
	.action = home_action,
	.click = home_click,
	.draw = home_draw,
	.command = NULL,
};
