/* screen_lesson.c — the lesson player.
 *
 * One step at a time, laid out by lessonview.h (the same lines --print
 * shows). PgDn / Space / Right step forward (Enter too when nothing is
 * selected), PgUp / Left back, g or digits jump; Tab selects the step's
 * widgets, quizzes and tasks in turn and Enter opens, answers or edits the
 * selected one: a screen widget opens on top (Esc comes back here), a
 * command widget that writes a file runs only then. Up and Down move over
 * a quiz's choices or scroll a long step. Progress is saved on every step
 * and answer; the lesson resumes where it was left.
 *
 * Presenter mode (p, or --present): the whole terminal, no bars, the step
 * centred and as wide as reads well, its title in a 5-row block font when
 * the terminal is large (150x40 and up); b blanks the screen; each step is
 * written to the presenter file that `qlens lesson N --notes` follows.
 */
#include "tui_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "qlens/command.h"
#include "qlens/datadir.h"
#include "qlens/lessonview.h"

typedef struct lesson_state {
	ql_lesson_run *run;
	int step, scroll, page;
	int sel;    /* selected block of the step, -1: none */
	int choice; /* cursor over the selected quiz's choices */
	bool present, blank;
	int digits; /* step number being typed, 0: none */
	double digit_ms; /* when its last digit came */
	int prompt_block;
	/* a screen widget drawn live inside the step when the window has room
	 * for it (its min_lines x min_cols); Enter focuses it, Esc leaves */
	const ql_screen_ops *wops;
	void *wst;
	int wblock;    /* its block, -1: none open */
	bool wshown;   /* drawn at the last frame */
	bool wfocused; /* keys go to it */
} lesson_state;

static const ql_lesson_block *block(lesson_state *st, int b)
{
	return &st->run->l->steps[st->step].blocks[b];
}

static bool selectable(lesson_state *st, int b)
{
	const ql_lesson_block *x = block(st, b);
	return x->kind == QL_LB_OPEN || x->kind == QL_LB_QUIZ || x->kind == QL_LB_TASK ||
	       x->kind == QL_LB_RUN;
}

/* A screen widget's arguments with the course's data paths ("assets/...")
 * found wherever qlens is installed, as a command widget's are. The
 * result is one allocation (free it). */
static char **widget_args(const ql_lesson_block *x, int *argc)
{
	int n = x->argc - 1;
	size_t size = (size_t)(n + 1) * sizeof(char *);
	char (*paths)[4096] = calloc((size_t)(n ? n : 1), sizeof *paths);
	for (int i = 0; i < n; i++)
		size += strlen(x->argv[i + 1]) + 1 + 4096;
	char **v = malloc(size);
	if (!v || !paths) {
		free(v);
		free(paths);
		return NULL;
	}
	char *o = (char *)(v + n + 1);
	for (int i = 0; i < n; i++) {
		const char *a = x->argv[i + 1];
		if ((strncmp(a, "assets/", 7) == 0 || strncmp(a, "lessons/", 8) == 0) &&
		    ql_data_path(a, paths[i], sizeof paths[i], NULL) == 0)
			a = paths[i];
		v[i] = strcpy(o, a);
		o += strlen(a) + 1;
	}
	v[n] = NULL;
	free(paths);
	*argc = n;
	return v;
}

static void *widget_open(ql_app *app, const ql_screen_ops *ops, const ql_lesson_block *x,
			 ql_error *err)
{
	int n;
	char **v = widget_args(x, &n);
	if (!v) {
		ql_error_set(err, "out of memory");
		return NULL;
	}
	void *w = ops->open(app, n, v, err);
	free(v);
	return w;
}

static int widget_push(ql_app *app, const ql_screen_ops *ops, const ql_lesson_block *x)
{
	int n;
	char **v = widget_args(x, &n);
	if (!v)
		return -1;
	int rc = ql_app_push(app, ops, n, v);
	free(v);
	return rc;
}

static int ops_min_cols(const ql_screen_ops *ops)
{
	return ops ? ops->min_cols : 0;
}

static void widget_close(lesson_state *st)
{
	if (st->wst)
		st->wops->close(st->wst);
	st->wst = NULL;
	st->wops = NULL;
	st->wblock = -1;
	st->wshown = st->wfocused = false;
}

/* The step's first screen widget (not home, not a lesson), or -1. */
static int screen_widget(lesson_state *st, const ql_screen_ops **ops)
{
	const ql_lesson_step *s = &st->run->l->steps[st->step];
	for (int b = 0; b < s->nblocks; b++) {
		const ql_lesson_block *x = &s->blocks[b];
		const ql_screen_ops *o = x->kind == QL_LB_OPEN ? ql_screen_find(x->argv[0]) : NULL;
		if (o && o != &ql_screen_home && o != &ql_screen_lesson) {
			*ops = o;
			return b;
		}
	}
	return -1;
}

static void present_sync(lesson_state *st)
{
	if (st->present)
		ql_lesson_present_write(st->run->l->name, st->step, st->blank, NULL);
}

static void go(ql_app *app, lesson_state *st, int step)
{
	int n = st->run->l->nsteps;
	if (step >= n) {
		ql_app_message(app, QL_R_INFO, "End of the lesson. q goes back to the course.");
		step = n - 1;
	}
	if (step < 0)
		step = 0;
	if (step != st->step) {
		st->scroll = 0;
		st->sel = -1;
		st->choice = 0;
		widget_close(st);
	}
	st->step = step;
	ql_lesson_goto(st->run, step);
	present_sync(st);
}

static void *lesson_open(ql_app *app, int argc, char **argv, ql_error *err)
{
	if (argc < 1) {
		ql_error_set(err, "lesson: which one? (qlens lessons lists them)");
		return NULL;
	}
	ql_lesson *l;
	if (ql_lesson_find(argv[0], &l, err) != 0)
		return NULL;
	for (int s = 0; s < l->nsteps; s++)
		for (int b = 0; b < l->steps[s].nblocks; b++) {
			const ql_lesson_block *x = &l->steps[s].blocks[b];
			if (x->kind == QL_LB_OPEN && !ql_screen_find(x->argv[0]) &&
			    !ql_lesson_command_ok(x->argv[0])) {
				ql_error_set(err, "%s:%d: no screen or command '%s'", l->path, x->line,
					     x->argv[0]);
				ql_lesson_free(l);
				return NULL;
			}
		}
	lesson_state *st = calloc(1, sizeof *st);
	if (!st) {
		ql_lesson_free(l);
		ql_error_set(err, "out of memory");
		return NULL;
	}
	if (!(st->run = ql_lesson_run_new(l, false, true, err))) {
		free(st);
		return NULL;
	}
	st->sel = -1;
	st->wblock = -1;
	st->page = 1;
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--present") == 0)
			st->present = true;
	if (st->present) /* a class sees its quizzes unanswered, not the last run's "Not quite" */
		st->run->prog.nmarks = 0;
	st->step = st->run->prog.step;
	if (st->step > 0)
		ql_app_message(app, QL_R_INFO, "Welcome back: step %d of %d, where you left off. "
			       "g 1 Enter starts over.", st->step + 1, st->run->l->nsteps);
	go(app, st, st->step);
	return st;
}

static void lesson_close(void *vst)
{
	lesson_state *st = vst;
	widget_close(st);
	if (st->present) /* the notes stop following a closed presentation */
		ql_lesson_present_write("-", 0, false, NULL);
	ql_lesson_run_free(st->run);
	free(st);
}

static void select_next(lesson_state *st, int dir)
{
	int n = st->run->l->steps[st->step].nblocks;
	int b = st->sel;
	for (int k = 0; k <= n; k++) {
		b += dir;
		if (b >= n)
			b = -1;
		if (b < -1)
			b = n - 1;
		if (b == -1 || selectable(st, b))
			break;
	}
	st->sel = b;
	st->choice = 0;
	if (b >= 0) {
		const ql_lesson_block *x = block(st, b);
		char m = ql_lesson_mark_get(&st->run->prog, st->step, b);
		if (x->kind == QL_LB_QUIZ && m && st->run->blocks[st->step][b].picked >= 0)
			st->choice = st->run->blocks[st->step][b].picked;
	}
}

static void answer_done(ql_app *app, void *data, const char *line)
{
	lesson_state *st = data;
	if (!line || st->prompt_block < 0)
		return;
	char m = ql_lesson_answer_text(st->run, st->step, st->prompt_block, line);
	ql_app_message(app, m == 'r' ? QL_R_GOOD : QL_R_WARN, m == 'r' ? "Right!" : "Not quite.");
}

static void task_done(ql_app *app, void *data, const char *line)
{
	lesson_state *st = data;
	if (!line || st->prompt_block < 0)
		return;
	ql_error err = {""};
	if (ql_lesson_task_try(st->run, st->step, st->prompt_block, line, &err) != 0) {
		ql_app_message(app, QL_R_ERROR, "%s", err.msg);
		return;
	}
	const ql_lv_block *x = &st->run->blocks[st->step][st->prompt_block];
	if (x->met)
		ql_app_message(app, QL_R_GOOD, "Task done!");
	else if (x->check_err)
		ql_app_message(app, QL_R_ERROR, "%s", x->check_err);
	else
		ql_app_message(app, QL_R_WARN, "Not yet: change the command and try again (Enter).");
}

static void goto_done(ql_app *app, void *data, const char *line)
{
	lesson_state *st = data;
	if (!line)
		return;
	char *end;
	long n = strtol(line, &end, 10);
	if (end == line || *end || n < 1 || n > st->run->l->nsteps) {
		ql_app_message(app, QL_R_ERROR, "steps go from 1 to %d", st->run->l->nsteps);
		return;
	}
	go(app, st, (int)n - 1);
}

static void enter(ql_app *app, lesson_state *st)
{
	if (st->sel < 0) {
		go(app, st, st->step + 1);
		return;
	}
	const ql_lesson_block *x = block(st, st->sel);
	char label[64];
	switch (x->kind) {
	case QL_LB_OPEN: {
		const ql_screen_ops *ops = ql_screen_find(x->argv[0]);
		if (st->wshown && st->wblock == st->sel) {
			/* drawn in the step: the keys go to it until Esc */
			st->wfocused = true;
			ql_app_message(app, QL_R_INFO, "Keys go to the %s now; Esc comes back to the step.",
				       st->wops->title);
			return;
		}
		if (ops && ops != &ql_screen_home && ops != &ql_screen_lesson) {
			widget_push(app, ops, x);
			return;
		}
		/* a command's output in the pager (Enter was the confirmation
		 * of one that writes a file: the step says so) */
		char *out;
		int rc = ql_lesson_exec(x->argc, x->argv, false, &out);
		if (rc == 0)
			ql_app_show_text(app, x->argv[0], out, strlen(out));
		else
			ql_app_message(app, QL_R_ERROR, "%.*s", (int)strcspn(out, "\n"), out);
		free(out);
		return;
	}
	case QL_LB_RUN: {
		/* a file-writing widget runs now (Enter is the confirmation);
		 * one that ran shows its whole output in the pager */
		bool ran = st->run->blocks[st->step][st->sel].ran;
		int rc;
		const char *out = ql_lesson_output(st->run, st->step, st->sel, true, &rc);
		if (out && rc != 0)
			ql_app_message(app, QL_R_ERROR, "%.*s", (int)strcspn(out, "\n"), out);
		else if (out && (ran || !x->writes))
			ql_app_show_text(app, x->text, out, strlen(out));
		return;
	}
	case QL_LB_QUIZ:
		if (x->answer) {
			st->prompt_block = st->sel;
			ql_prompt_open(ql_app_prompt(app), QL_PROMPT_VALUE, "your answer: ", NULL,
				       answer_done, st);
		} else {
			char m = ql_lesson_answer_choice(st->run, st->step, st->sel, st->choice);
			ql_app_message(app, m == 'r' ? QL_R_GOOD : QL_R_WARN,
				       m == 'r' ? "Right!" : "Not quite: read the hint and try another.");
		}
		return;
	case QL_LB_TASK: {
		char *line = ql_lesson_task_line(st->run, st->step, st->sel);
		st->prompt_block = st->sel;
		snprintf(label, sizeof label, "qlens ");
		ql_prompt_open(ql_app_prompt(app), QL_PROMPT_VALUE, label, line, task_done, st);
		free(line);
		return;
	}
	default:
		go(app, st, st->step + 1);
	}
}

static void digit(ql_app *app, lesson_state *st)
{
	int d = ql_app_last_key(app) - '0';
	if (d < 0 || d > 9)
		return;
	int n = st->run->l->nsteps;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	double now = (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
	int v = st->digits * 10 + d;
	/* a second digit within 1.5 s makes a two-digit step number */
	if (st->digits == 0 || v > n || now - st->digit_ms > 1500)
		v = d;
	st->digit_ms = now;
	st->digits = v;
	if (v >= 1 && v <= n)
		go(app, st, v - 1);
}

static bool lesson_action(ql_app *app, void *vst, ql_action a)
{
	lesson_state *st = vst;
	if (st->wfocused) {
		if (a == QL_ACT_QUIT) {
			st->wfocused = false;
			return true;
		}
		if (a == QL_ACT_HELP)
			return false; /* the help screen, of the widget's keys */
		return st->wops->action(app, st->wst, a);
	}
	bool keep_digits = false;
	bool handled = true;
	const ql_lesson_block *x = st->sel >= 0 ? block(st, st->sel) : NULL;
	bool choosing = x && x->kind == QL_LB_QUIZ && !x->answer;
	if (st->blank && a != QL_ACT_L_BLANK && a != QL_ACT_QUIT && a != QL_ACT_FORCE_QUIT) {
		/* any key while blanked first brings the slide back */
		st->blank = false;
		present_sync(st);
		if (a != QL_ACT_L_NEXT && a != QL_ACT_L_PREV)
			return true;
	}
	switch (a) {
	case QL_ACT_L_NEXT: go(app, st, st->step + 1); break;
	case QL_ACT_L_PREV: go(app, st, st->step - 1); break;
	case QL_ACT_L_ENTER: case QL_ACT_L_EDIT: enter(app, st); break;
	case QL_ACT_L_SELECT:
		select_next(st, ql_app_last_key(app) == KEY_BTAB ? -1 : 1);
		break;
	case QL_ACT_UP:
		if (choosing)
			st->choice = st->choice > 0 ? st->choice - 1 : 0;
		else
			st->scroll = st->scroll > 0 ? st->scroll - 1 : 0;
		break;
	case QL_ACT_DOWN:
		if (choosing)
			st->choice = st->choice < x->nchoices - 1 ? st->choice + 1 : st->choice;
		else
			st->scroll++;
		break;
	case QL_ACT_FIRST: go(app, st, 0); break; /* Home: the first step, as End is the last */
	case QL_ACT_L_GOTO:
		ql_prompt_open(ql_app_prompt(app), QL_PROMPT_VALUE, "go to step: ", NULL, goto_done, st);
		break;
	case QL_ACT_LAST: go(app, st, st->run->l->nsteps - 1); break;
	case QL_ACT_L_DIGIT0: case QL_ACT_L_DIGIT1: case QL_ACT_L_DIGIT2: case QL_ACT_L_DIGIT3:
		digit(app, st);
		keep_digits = true;
		break;
	case QL_ACT_L_PRESENT:
		st->present = !st->present;
		st->blank = false;
		if (st->present)
			present_sync(st);
		break;
	case QL_ACT_L_BLANK:
		if (st->present) {
			st->blank = !st->blank;
			present_sync(st);
		} else {
			ql_app_message(app, QL_R_INFO, "b blanks the screen in presenter mode (p)");
		}
		break;
	default: handled = false;
	}
	if (!keep_digits)
		st->digits = 0;
	return handled;
}

static ql_role role_of(ql_lv_role r)
{
	switch (r) {
	case QL_LV_TITLE: return QL_R_LABEL;
	case QL_LV_HEADING: return QL_R_LABEL;
	case QL_LV_CODE: return QL_R_VALUE;
	case QL_LV_OUTPUT: return QL_R_NORMAL;
	case QL_LV_WIDGET: return QL_R_INFO;
	case QL_LV_QUIZ: return QL_R_LABEL;
	case QL_LV_CHOICE: return QL_R_NORMAL;
	case QL_LV_RIGHT: return QL_R_GOOD;
	case QL_LV_WRONG: return QL_R_WARN;
	case QL_LV_DIM: return QL_R_DIM;
	case QL_LV_ERROR: return QL_R_ERROR;
	default: return QL_R_NORMAL;
	}
}

typedef struct span_ctx {
	ql_app *app;
	WINDOW *w;
	int y, x, maxx;
	ql_role role;
} span_ctx;

static void draw_span(void *vctx, const char *s, size_t n, unsigned attrs)
{
	span_ctx *c = vctx;
	char buf[1024];
	snprintf(buf, sizeof buf, "%.*s", (int)(n < sizeof buf - 1 ? n : sizeof buf - 1), s);
	ql_role r = attrs & QL_LV_INLINE_CODE ? QL_R_VALUE : c->role;
	const ql_theme *th = ql_app_theme(c->app);
	int wd = c->maxx - c->x;
	if (wd <= 0)
		return;
	if (attrs & QL_LV_EMPH)
		wattron(c->w, A_BOLD);
	c->x += ql_put(th, c->w, c->y, c->x, wd, r, buf);
	if (attrs & QL_LV_EMPH)
		wattroff(c->w, A_BOLD);
}

static void draw_line(ql_app *app, WINDOW *w, const ql_lv_line *ln, int y, int x, int maxx,
		      bool selected)
{
	ql_role r = role_of(ln->role);
	if (selected)
		r = QL_R_SELECTED;
	span_ctx c = {app, w, y, x, maxx, r};
	unsigned a = ln->attrs;
	if (ln->role == QL_LV_TITLE || ln->role == QL_LV_HEADING)
		wattron(w, A_BOLD);
	if (ln->role == QL_LV_TEXT || ln->role == QL_LV_TITLE || ln->role == QL_LV_HEADING ||
	    ln->role == QL_LV_QUIZ || ln->role == QL_LV_CHOICE)
		ql_lv_spans(ln->text, &a, draw_span, &c);
	else
		ql_put(ql_app_theme(app), w, y, x, maxx - x, r, ln->text);
	if (ln->role == QL_LV_TITLE || ln->role == QL_LV_HEADING)
		wattroff(w, A_BOLD);
}

typedef struct strip_ctx {
	char *buf;
	size_t o, n;
} strip_ctx;

/* Collects text without its markup (for the block-font title). */
static void strip_span(void *vctx, const char *s, size_t n, unsigned attrs)
{
	(void)attrs;
	strip_ctx *c = vctx;
	if (c->o + n + 1 > c->n)
		n = c->n - c->o - 1;
	memcpy(c->buf + c->o, s, n);
	c->o += n;
	c->buf[c->o] = '\0';
}

/* The step's screen widget, live below the text from row y when the
 * window has room for the screen's smallest size; else nothing (Enter then
 * opens it as a screen of its own). */
static void draw_widget(ql_app *app, lesson_state *st, WINDOW *w, int y, int x0, int cols)
{
	const ql_screen_ops *ops = NULL;
	int b = screen_widget(st, &ops);
	int h = getmaxy(w) - (st->present ? 1 : 0) - y;
	int x = x0 > 1 ? x0 - 1 : 0;
	int wd = cols - x - (x0 > 1 ? x0 - 1 : 0);
	if (wd < ops_min_cols(ops))
		x = 0, wd = cols;
	st->wshown = false;
	if (b < 0 || y < 0 || h < ops->min_lines || wd < ops->min_cols) {
		st->wfocused = false;
		return;
	}
	if (!st->wst || st->wblock != b) {
		widget_close(st);
		const ql_lesson_block *xb = block(st, b);
		ql_error err = {""};
		st->wst = widget_open(app, ops, xb, &err);
		if (!st->wst)
			return;
		st->wops = ops;
		st->wblock = b;
	}
	if (h > ops->min_lines + 4)
		h = ops->min_lines + 4;
	WINDOW *sub = derwin(w, h, wd, y, x);
	if (!sub)
		return;
	st->wops->draw(app, st->wst, sub);
	delwin(sub);
	st->wshown = true;
}

static void lesson_draw(ql_app *app, void *vst, WINDOW *w)
{
	lesson_state *st = vst;
	const ql_theme *th = ql_app_theme(app);
	int h = getmaxy(w), cols = getmaxx(w);
	if (st->present && st->blank)
		return;
	const ql_lesson *l = st->run->l;
	int width, x0, top, rows;
	if (st->present) {
		width = cols >= 88 ? (cols - 8 < 110 ? cols - 8 : 110) : cols - 2;
		top = 0;
		rows = h - 1;
	} else {
		width = cols - 2;
		top = 1;
		rows = h - 1;
	}
	ql_lv_lines ls;
	ql_error err = {""};
	if (ql_lesson_render(st->run, st->step, width, &ls, &err) != 0) {
		ql_put_wrapped(th, w, 1, 1, cols - 2, QL_R_ERROR, err.msg);
		return;
	}
	/* presenter mode on a large terminal: the title in the block font,
	 * when it fits, and the rest below it */
	int skip = 0, big_w = -1;
	char plain[256] = "";
	if (st->present && cols >= 150 && h >= 40) {
		while (skip < ls.n && ls.v[skip].role == QL_LV_TITLE) {
			unsigned a = 0;
			strip_ctx sc = {plain, strlen(plain), sizeof plain};
			if (skip && sc.o + 1 < sc.n)
				plain[sc.o++] = ' ', plain[sc.o] = '\0';
			ql_lv_spans(ls.v[skip].text, &a, strip_span, &sc);
			skip++;
		}
		big_w = ql_bigfont_width(plain);
		if (big_w <= 0 || big_w > cols - 4) {
			skip = 0;
			big_w = -1;
		} else {
			rows -= QL_BIGFONT_ROWS; /* the step's blank line follows */
		}
	}
	st->page = rows;
	int body_n = ls.n - skip;
	int max_scroll = body_n > rows ? body_n - rows : 0;
	if (st->scroll > max_scroll)
		st->scroll = max_scroll;
	/* keep the selected block in view */
	if (st->sel >= 0) {
		int first = -1, last = -1;
		for (int i = 0; i < ls.n; i++)
			if (ls.v[i].block == st->sel) {
				if (first < 0)
					first = i;
				last = i;
			}
		first -= skip;
		last -= skip;
		if (last >= st->scroll + rows)
			st->scroll = last - rows + 1;
		if (first >= 0 && first < st->scroll)
			st->scroll = first;
	}
	char counter[64];
	snprintf(counter, sizeof counter, "%d/%d", st->step + 1, l->nsteps);
	if (st->present) {
		int widest = 0;
		for (int i = 0; i < ls.n; i++) {
			int wd = ql_lv_width(ls.v[i].text);
			widest = wd > widest ? wd : widest;
		}
		if (widest > width)
			widest = width;
		x0 = (cols - widest) / 2;
		int n = body_n - st->scroll < rows ? body_n - st->scroll : rows;
		/* room under the text for a live screen widget, when it fits */
		const ql_screen_ops *wo = NULL;
		int need = screen_widget(st, &wo) >= 0 && cols >= wo->min_cols ? wo->min_lines + 1 : 0;
		if (big_w > 0)
			need += QL_BIGFONT_ROWS;
		top = n + need <= rows + (big_w > 0 ? QL_BIGFONT_ROWS : 0) ? (rows - n - need) / 2 : (rows - n) / 2;
		if (top < 0)
			top = 0;
		if (big_w > 0) {
			ql_bigfont_draw(th, w, top, (cols - big_w) / 2, QL_R_LABEL, plain);
			top += QL_BIGFONT_ROWS;
		}
		ql_put(th, w, h - 1, cols - ql_text_width(th, counter) - 1, -1, QL_R_DIM, counter);
	} else {
		x0 = 1;
		char head[300];
		snprintf(head, sizeof head, "%s", l->title);
		ql_fill_row(th, w, 0, QL_R_FRAME);
		ql_put_fit(th, w, 0, 1, cols - 30, QL_R_FRAME, head);
		char right[96];
		snprintf(right, sizeof right, "%s%s  step %s ",
			 st->scroll < max_scroll ? (th->utf8 ? "↓ more  " : "v more  ") : "",
			 st->scroll > 0 ? (th->utf8 ? "↑" : "^") : "", counter);
		ql_put(th, w, 0, cols - ql_text_width(th, right), -1, QL_R_FRAME, right);
	}
	int wy = -1;
	for (int i = 0; i < rows && st->scroll + i < body_n; i++) {
		wy = top + i + 2;
		const ql_lv_line *ln = &ls.v[skip + st->scroll + i];
		bool in_sel = st->sel >= 0 && ln->block == st->sel;
		bool sel_line = in_sel && (ln->role == QL_LV_CHOICE ? ln->choice == st->choice
					   : ln->role == QL_LV_WIDGET || ln->role == QL_LV_QUIZ);
		if (in_sel && x0 > 0)
			ql_put(th, w, top + i, x0 - 1, 1, QL_R_SELECTED, th->g.pointer);
		draw_line(app, w, ln, top + i, x0, x0 + width, sel_line);
		if (ql_lv_width(ln->text) > width && x0 + width < cols)
			ql_put(th, w, top + i, x0 + width, 1, QL_R_DIM, th->g.more_right);
	}
	ql_lv_lines_free(&ls);
	draw_widget(app, st, w, wy, x0, cols);
}

static unsigned lesson_key_scope(const void *vst)
{
	const lesson_state *st = vst;
	if (st->wfocused && st->wops)
		return st->wops->key_scope ? st->wops->key_scope(st->wst) : st->wops->scope;
	return QL_SC_LESSON;
}

/* A live widget's background work (the quantization explorer's worker). */
static bool lesson_tick(ql_app *app, void *vst)
{
	lesson_state *st = vst;
	return st->wst && st->wops->tick && st->wops->tick(app, st->wst);
}

static bool lesson_fullscreen(const void *vst)
{
	const lesson_state *st = vst;
	return st->present;
}

const ql_screen_ops ql_screen_lesson = {
	.name = "lesson",
	.title = "Lesson",
	.scope = QL_SC_LESSON,
	.min_lines = 22,
	.min_cols = 80,
	.open = lesson_open,
	.close = lesson_close,
	.action = lesson_action,
	.draw = lesson_draw,
	.key_scope = lesson_key_scope,
	.tick = lesson_tick,
	.fullscreen = lesson_fullscreen,
};
