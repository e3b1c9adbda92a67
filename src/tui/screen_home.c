/* screen_home.c — the home screen: what there is to explore.
 *
 * A list of the screens that have a home line in QL_SCREENS (tui_impl.h):
 * each entry its title and that line. A screen joins the menu by its line
 * there. Arrow/vi keys move, Enter or a click opens, q quits.
 */
#include "tui_impl.h"

#include <stdlib.h>

typedef struct home_entry {
	const ql_screen_ops *ops;
	const char *what;
} home_entry;

typedef struct home_state {
	home_entry entries[QL_SCR_COUNT];
	int n, sel;
	int first_y; /* body row of the first entry, for clicks */
} home_state;

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
	for (int i = 0; i < QL_SCR_COUNT; i++)
		if (ql_screen_home_line[i])
			st->entries[st->n++] = (home_entry){ql_screen_table[i], ql_screen_home_line[i]};
	return st;
}

static void home_close(void *st)
{
	free(st);
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
		ql_app_push(app, st->entries[st->sel].ops, 0, NULL);
		return true;
	default: return false;
	}
}

static bool home_click(ql_app *app, void *vst, int y, int x)
{
	(void)x;
	home_state *st = vst;
	int i = y - st->first_y;
	if (i < 0 || i >= st->n)
		return false;
	st->sel = i;
	ql_app_push(app, st->entries[i].ops, 0, NULL);
	return true;
}

static void home_draw(ql_app *app, void *vst, WINDOW *w)
{
	home_state *st = vst;
	const ql_theme *th = ql_app_theme(app);
	int cols = getmaxx(w);
	int y = 1;
	ql_put(th, w, y++, 2, -1, QL_R_LABEL, "qlens: see how numbers are stored, and what quantization does to them");
	y++;
	ql_put(th, w, y++, 2, -1, QL_R_NORMAL, "Pick something to explore:");
	y++;
	st->first_y = y;
	for (int i = 0; i < st->n; i++, y++) {
		bool sel = i == st->sel;
		if (sel)
			ql_fill_row(th, w, y, QL_R_SELECTED);
		ql_role r = sel ? QL_R_SELECTED : QL_R_NORMAL;
		ql_put(th, w, y, 2, 1, r, sel ? th->g.pointer : " ");
		int x = 4;
		x += ql_put(th, w, y, x, -1, sel ? QL_R_SELECTED : QL_R_LABEL, st->entries[i].ops->title);
		x = x < 22 ? 22 : x + 2;
		ql_put(th, w, y, x, cols - x - 1, r, st->entries[i].what);
	}
	y += 2;
	static const char *const tips[] = {
		"Enter opens the entry (or click it); q or Esc goes back, and quits from here.",
		"Type : for a command, as on the shell line:  :bits 0.1   :dtypes   :help",
		"Up recalls earlier commands, Tab completes them. ? lists every key.",
	};
	for (size_t i = 0; i < sizeof tips / sizeof tips[0]; i++)
		ql_put(th, w, y++, 2, cols - 3, QL_R_DIM, tips[i]);
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
