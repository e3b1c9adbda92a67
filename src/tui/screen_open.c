/* screen_open.c — "Open a file": a path prompt and the recent files.
 *
 * The first entry asks for a path on the bottom line (readline, Tab
 * completes file names); the others are the files opened lately (doc.c
 * keeps them under $XDG_STATE_HOME/qlens/recent), most recent first. Enter
 * opens the tree of the file (screen_file.c); o, or a path's first
 * character (/, ~ or .), opens the prompt. A file that cannot be read
 * gets its one-line message on the status line, and nothing else changes.
 * x forgets the recent file under the cursor.
 */
#include "tui_impl.h"
#include "inspect.h"

#include <stdlib.h>
#include <string.h>

typedef struct open_state {
	char *recent[QL_RECENT_MAX];
	int n;
	int sel; /* 0: type a path; 1 + i: recent[i] */
	int row_y[QL_RECENT_MAX + 1]; /* body row of each entry, for clicks */
} open_state;

static void reload(open_state *st)
{
	for (int i = 0; i < st->n; i++)
		free(st->recent[i]);
	st->n = ql_recent_load(st->recent, QL_RECENT_MAX);
	if (st->sel > st->n)
		st->sel = st->n;
}

static void *open_open(ql_app *app, int argc, char **argv, ql_error *err)
{
	(void)app;
	(void)argc;
	(void)argv;
	open_state *st = calloc(1, sizeof *st);
	if (!st) {
		ql_error_set(err, "out of memory");
		return NULL;
	}
	reload(st);
	st->sel = st->n > 0 ? 1 : 0;
	return st;
}

static void open_close(void *vst)
{
	open_state *st = vst;
	for (int i = 0; i < st->n; i++)
		free(st->recent[i]);
	free(st);
}

static void open_path(ql_app *app, open_state *st, const char *path)
{
	char *args[] = {(char *)path, NULL};
	if (ql_app_push(app, &ql_screen_file, 1, args) == 0) {
		reload(st); /* it is first now, selected for when we come back */
		st->sel = st->n > 0 ? 1 : 0;
	}
}

static void path_done(ql_app *app, void *data, const char *line)
{
	if (!line)
		return;
	while (*line == ' ')
		line++;
	size_t n = strlen(line);
	while (n > 0 && line[n - 1] == ' ')
		n--;
	if (n == 0)
		return;
	char *path = strndup(line, n);
	if (!path)
		return;
	open_path(app, data, path);
	free(path);
}

static bool open_action(ql_app *app, void *vst, ql_action a)
{
	open_state *st = vst;
	switch (a) {
	case QL_ACT_UP: st->sel = st->sel > 0 ? st->sel - 1 : 0; return true;
	case QL_ACT_DOWN: st->sel = st->sel < st->n ? st->sel + 1 : st->n; return true;
	case QL_ACT_FIRST: case QL_ACT_PAGE_UP: st->sel = 0; return true;
	case QL_ACT_LAST: case QL_ACT_PAGE_DOWN: st->sel = st->n; return true;
	case QL_ACT_PATH:
		ql_prompt_open(ql_app_prompt(app), QL_PROMPT_PATH, "open: ", NULL, path_done, st);
		return true;
	case QL_ACT_PATH_START: { /* /, ~ or .: the path's first character */
		char first[2] = {(char)ql_app_last_key(app), '\0'};
		ql_prompt_open(ql_app_prompt(app), QL_PROMPT_PATH, "open: ", first, path_done, st);
		return true;
	}
	case QL_ACT_OPEN: case QL_ACT_RIGHT:
		if (st->sel == 0)
			ql_prompt_open(ql_app_prompt(app), QL_PROMPT_PATH, "open: ", NULL, path_done, st);
		else
			open_path(app, st, st->recent[st->sel - 1]);
		return true;
	case QL_ACT_FORGET:
		if (st->sel > 0) {
			ql_recent_drop(st->recent[st->sel - 1]);
			reload(st);
		}
		return true;
	default:
		return false;
	}
}

static bool open_click(ql_app *app, void *vst, int y, int x)
{
	(void)x;
	open_state *st = vst;
	for (int i = 0; i <= st->n; i++)
		if (st->row_y[i] == y) {
			st->sel = i;
			return open_action(app, st, QL_ACT_OPEN);
		}
	return false;
}

static void open_draw(ql_app *app, void *vst, WINDOW *w)
{
	open_state *st = vst;
	const ql_theme *th = ql_app_theme(app);
	int cols = getmaxx(w), h = getmaxy(w);
	int y = 1;
	ql_put_fit(th, w, y++, 2, cols - 3, QL_R_LABEL, "Open a tensor file: .safetensors (a shard index too), .gguf, .npy, .npz, text");
	y++;
	for (int i = 0; i <= st->n; i++)
		st->row_y[i] = -1;
	for (int i = 0; i <= st->n && y < h - 3; i++, y++) {
		st->row_y[i] = y;
		bool sel = i == st->sel;
		if (sel)
			ql_fill_row(th, w, y, QL_R_SELECTED);
		ql_role r = sel ? QL_R_SELECTED : QL_R_NORMAL;
		ql_put(th, w, y, 2, 1, r, sel ? th->g.pointer : " ");
		if (i == 0)
			ql_put(th, w, y, 4, cols - 5, sel ? r : QL_R_LABEL, "Type a path...");
		else
			ql_put_path(th, w, y, 4, cols - 5, r, st->recent[i - 1]);
		if (i == 0 && st->n > 0) {
			y += 2;
			ql_put(th, w, y, 4, cols - 5, QL_R_DIM, "Recent files:");
		}
	}
	if (st->n == 0)
		ql_put(th, w, y + 1, 4, cols - 5, QL_R_DIM, "No recent files yet.");
	/* the keys: on the last row, or the last two where it is too narrow */
	const char *keys = "Enter opens; o types a path (Tab completes); x forgets a recent file. "
			   "From the shell: qlens FILE";
	int kr = ql_text_rows(th, keys, cols - 3);
	ql_put_wrapped(th, w, h - 1 - (kr > 1 ? 2 : 1), 2, cols - 3, QL_R_DIM, keys);
}

const ql_screen_ops ql_screen_open = {
	.name = "open",
	.title = "Open a file",
	.scope = QL_SC_OPEN,
	.min_lines = 10,
	.min_cols = 60,
	.open = open_open,
	.close = open_close,
	.action = open_action,
	.click = open_click,
	.draw = open_draw,
};
