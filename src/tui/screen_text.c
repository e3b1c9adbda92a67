/* screen_text.c — the pager, and the output screen built on it.
 *
 * The pager holds lines of text in a frame with a title: arrows and PgUp /
 * PgDn scroll, Left / Right scroll sideways by 8 columns, Home / End jump.
 * The output screen (a prompt command's output, a format's details) is a
 * pager on the screen stack: q, Esc, Enter or ? close it. The help screen
 * is another: the keys of the screen below it (from the action table, in
 * that screen's scope), then the shared keys and the prompt's commands.
 */
#include "tui_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qlens/command.h"

struct ql_pager {
	char title[128];
	char **lines;
	int count, scroll, hscroll; /* hscroll: characters */
};

void ql_pager_free(ql_pager *p)
{
	if (!p)
		return;
	for (int i = 0; i < p->count; i++)
		free(p->lines[i]);
	free(p->lines);
	free(p);
}

/* One line of text[i, j) with tabs expanded to the next multiple of 8. */
static char *expand_line(const char *text, size_t i, size_t j)
{
	size_t tabs = 0;
	for (size_t k = i; k < j; k++)
		tabs += text[k] == '\t';
	char *line = malloc(j - i + tabs * 8 + 1);
	if (!line)
		return NULL;
	size_t o = 0;
	for (size_t k = i; k < j; k++) {
		if (text[k] == '\t') {
			do
				line[o++] = ' ';
			while (o % 8);
		} else {
			line[o++] = text[k];
		}
	}
	line[o] = '\0';
	return line;
}

ql_pager *ql_pager_new(const char *title, const char *text, size_t len, ql_error *err)
{
	ql_pager *p = calloc(1, sizeof *p);
	size_t cap = 16;
	if (p)
		p->lines = malloc(cap * sizeof *p->lines);
	if (!p || !p->lines)
		goto oom;
	snprintf(p->title, sizeof p->title, "%s", title ? title : "");
	for (size_t i = 0; i < len;) {
		size_t j = i;
		while (j < len && text[j] != '\n')
			j++;
		if ((size_t)p->count == cap) {
			char **nl = realloc(p->lines, 2 * cap * sizeof *nl);
			if (!nl)
				goto oom;
			p->lines = nl;
			cap *= 2;
		}
		if (!(p->lines[p->count] = expand_line(text, i, j)))
			goto oom;
		p->count++;
		i = j + 1;
	}
	return p;
oom:
	ql_pager_free(p);
	ql_error_set(err, "out of memory");
	return NULL;
}

bool ql_pager_action(ql_pager *p, ql_action a, int page)
{
	int max = p->count - page;
	if (max < 0)
		max = 0;
	switch (a) {
	case QL_ACT_UP: p->scroll--; break;
	case QL_ACT_DOWN: p->scroll++; break;
	case QL_ACT_PAGE_UP: p->scroll -= page; break;
	case QL_ACT_PAGE_DOWN: p->scroll += page; break;
	case QL_ACT_FIRST: p->scroll = 0; break;
	case QL_ACT_LAST: p->scroll = max; break;
	case QL_ACT_LEFT: p->hscroll = p->hscroll > 8 ? p->hscroll - 8 : 0; break;
	case QL_ACT_RIGHT: p->hscroll += 8; break;
	default: return false;
	}
	if (p->scroll > max)
		p->scroll = max;
	if (p->scroll < 0)
		p->scroll = 0;
	return true;
}

static void draw_box(const ql_theme *th, WINDOW *w)
{
	const ql_glyphs *g = &th->g;
	int h = getmaxy(w), cols = getmaxx(w);
	ql_put(th, w, 0, 0, 1, QL_R_FRAME, g->tl);
	ql_put(th, w, h - 1, 0, 1, QL_R_FRAME, g->bl);
	for (int x = 1; x < cols - 1; x++) {
		ql_put(th, w, 0, x, 1, QL_R_FRAME, g->hline);
		ql_put(th, w, h - 1, x, 1, QL_R_FRAME, g->hline);
	}
	ql_put(th, w, 0, cols - 1, 1, QL_R_FRAME, g->tr);
	ql_put(th, w, h - 1, cols - 1, 1, QL_R_FRAME, g->br);
	for (int y = 1; y < h - 1; y++) {
		ql_put(th, w, y, 0, 1, QL_R_FRAME, g->vline);
		ql_put(th, w, y, cols - 1, 1, QL_R_FRAME, g->vline);
	}
}

void ql_pager_draw(ql_pager *p, const ql_theme *th, WINDOW *w)
{
	const ql_glyphs *g = &th->g;
	int h = getmaxy(w), cols = getmaxx(w);
	draw_box(th, w);
	char t[200];
	snprintf(t, sizeof t, " %s ", p->title);
	ql_put(th, w, 0, 2, cols - 4, QL_R_FRAME, t);
	int page = h - 2;
	bool cut_right = false;
	int longest = 0;
	for (int i = 0; i < p->count; i++) {
		int n = 0;
		for (const char *q = p->lines[i]; *q; q++)
			n += (*q & 0xC0) != 0x80;
		if (n > longest)
			longest = n;
	}
	if (p->hscroll > longest - (cols - 4))
		p->hscroll = longest - (cols - 4) > 0 ? longest - (cols - 4) : 0;
	if (p->scroll > p->count - page)
		p->scroll = p->count - page > 0 ? p->count - page : 0;
	for (int i = 0; i < page && p->scroll + i < p->count; i++) {
		const char *line = p->lines[p->scroll + i];
		/* skip hscroll characters (UTF-8 sequences count once) */
		for (int k = 0; k < p->hscroll && *line; k++)
			do
				line++;
			while ((*line & 0xC0) == 0x80);
		ql_put(th, w, 1 + i, 2, cols - 4, QL_R_NORMAL, line);
		cut_right |= ql_text_width(th, line) > cols - 4;
	}
	if (p->hscroll > 0)
		ql_put(th, w, h - 1, 2, 1, QL_R_FRAME, g->more_left);
	if (cut_right)
		ql_put(th, w, h - 1, 3, 1, QL_R_FRAME, g->more_right);
	if (p->count > page) {
		snprintf(t, sizeof t, " %d-%d of %d ", p->scroll + 1,
			 p->scroll + page < p->count ? p->scroll + page : p->count, p->count);
		ql_put(th, w, h - 1, cols - 2 - ql_text_width(th, t), -1, QL_R_FRAME, t);
	}
}

/* ---- the output screen --------------------------------------------------- */

typedef struct text_state {
	ql_pager *pager;
	int page; /* lines shown at the last draw */
} text_state;

/* argv[0]: the title; argv[1]: the text (both may be missing). */
static void *text_open(ql_app *app, int argc, char **argv, ql_error *err)
{
	(void)app;
	text_state *st = calloc(1, sizeof *st);
	if (!st) {
		ql_error_set(err, "out of memory");
		return NULL;
	}
	const char *text = argc > 1 ? argv[1] : "";
	st->pager = ql_pager_new(argc > 0 ? argv[0] : "", text, strlen(text), err);
	if (!st->pager) {
		free(st);
		return NULL;
	}
	st->page = 1;
	return st;
}

static void text_close(void *vst)
{
	text_state *st = vst;
	ql_pager_free(st->pager);
	free(st);
}

/* Shared by the help screen: what a pager screen does with an action. */
static bool text_action(ql_app *app, void *vst, ql_action a)
{
	text_state *st = vst;
	switch (a) {
	case QL_ACT_OPEN:
	case QL_ACT_HELP:
		ql_app_pop(app);
		return true;
	default:
		return ql_pager_action(st->pager, a, st->page);
	}
}

static bool text_click(ql_app *app, void *vst, int y, int x)
{
	(void)vst;
	(void)y;
	(void)x;
	ql_app_pop(app);
	return true;
}

static void text_draw(ql_app *app, void *vst, WINDOW *w)
{
	text_state *st = vst;
	st->page = getmaxy(w) > 3 ? getmaxy(w) - 2 : 1;
	ql_pager_draw(st->pager, ql_app_theme(app), w);
}

const ql_screen_ops ql_screen_text = {
	.name = "text",
	.title = "Output",
	.scope = QL_SC_TEXT,
	.min_lines = 3,
	.min_cols = 20,
	.open = text_open,
	.close = text_close,
	.action = text_action,
	.click = text_click,
	.draw = text_draw,
};

/* ---- the help screen ----------------------------------------------------- */

/* "  KEYS           text", padded by columns (key names may be Unicode)
 * and wrapped to the pager's width. */
static void help_line(const ql_theme *th, FILE *f, int cols, const char *keys, const char *text)
{
	enum { KEYS_W = 15 };
	int width = cols - 4 - 2 - KEYS_W - 1;
	int pad = KEYS_W - ql_text_width(th, keys);
	fprintf(f, "  %s%*s", keys, pad > 0 ? pad : 1, "");
	if (width < 20)
		width = 20;
	const char *p = text;
	while (*p) {
		int n = (int)strlen(p);
		if (n > width) {
			n = width;
			while (n > 0 && p[n] != ' ')
				n--;
			if (n == 0)
				n = width;
		}
		fprintf(f, "%.*s\n", n, p);
		p += n;
		while (*p == ' ')
			p++;
		if (*p)
			fprintf(f, "  %*s", KEYS_W, "");
	}
}

/* The keys of one action that mean it in `scope`: "+ =", "↑ k". */
static void action_keys(const ql_theme *th, unsigned scope, int a, bool shared, char *keys, size_t n)
{
	const ql_action_info *ai = &ql_action_table[a];
	char lab[24];
	keys[0] = '\0';
	for (int k = 0; k < 3; k++) {
		if (!ai->keys[k])
			continue;
		/* Space belongs to the screen when the screen binds it. */
		if (shared && ql_action_for_key(scope, ai->keys[k]) != (ql_action)a)
			continue;
		if (k && (ai->keys[k] == '\r' || ai->keys[k] == KEY_ENTER))
			continue;
		size_t kl = strlen(keys);
		snprintf(keys + kl, n - kl, "%s%s", kl ? " " : "",
			 ql_key_label(ai->keys[k], th->utf8, lab, sizeof lab));
	}
}

/* The help of the screen below: its own keys, the shared ones, the
 * commands. argv is not used. */
static void *help_open(ql_app *app, int argc, char **argv, ql_error *err)
{
	(void)argc;
	(void)argv;
	const ql_theme *th = ql_app_theme(app);
	const ql_screen_ops *below = ql_app_top(app, NULL);
	unsigned scope = ql_app_key_scope(app);
	int cols = COLS; /* the text is made once, for the terminal's width */
	char *buf = NULL, keys[64];
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f) {
		ql_error_set(err, "out of memory");
		return NULL;
	}
	for (int pass = 0; pass < 2; pass++) {
		fprintf(f, pass == 0 ? "%s\n" : "\nEverywhere\n", below ? below->title : "qlens");
		for (int a = 1; a < QL_ACT_COUNT; a++) {
			const ql_action_info *ai = &ql_action_table[a];
			bool mine = (ai->scope & scope & ~(unsigned)(QL_SC_GLOBAL | QL_SC_NAV)) != 0;
			bool shared = (ai->scope & (QL_SC_GLOBAL | QL_SC_NAV)) != 0;
			if (pass == 0 ? !mine : !shared)
				continue;
			action_keys(th, scope, a, pass == 1, keys, sizeof keys);
			if (keys[0])
				help_line(th, f, cols, keys, ai->help);
		}
	}
	fprintf(f, "\nMouse: click a bit to flip it, a list entry to open it; the wheel scrolls.\n");
	fprintf(f, "\nCommands at the ':' prompt (the same as on the shell line)\n");
	for (int i = 0; i < ql_command_count; i++)
		help_line(th, f, cols, ql_commands[i].name, ql_commands[i].summary);
	help_line(th, f, cols, "quit", "leave qlens");
	fclose(f);
	text_state *st = calloc(1, sizeof *st);
	if (st)
		st->pager = ql_pager_new("Help", buf, len, err);
	else
		ql_error_set(err, "out of memory");
	free(buf);
	if (st && !st->pager) {
		free(st);
		return NULL;
	}
	if (st)
		st->page = 1;
	return st;
}

const ql_screen_ops ql_screen_help = {
	.name = "help",
	.title = "Help",
	.scope = QL_SC_HELP,
	.min_lines = 3,
	.min_cols = 20,
	.open = help_open,
	.close = text_close,
	.action = text_action,
	.click = text_click,
	.draw = text_draw,
};
