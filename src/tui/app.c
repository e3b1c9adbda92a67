/* app.c — the TUI's main loop: it owns the terminal.
 *
 * Layout: a title bar (row 0), the body window (the top screen draws there),
 * and the status line (last row: key hints, a message, or the ':' prompt).
 * Overlays (the '?' help and a command's output) are drawn over the body.
 *
 * One key at a time: read it (wgetch on the status window, so the implicit
 * refresh of wgetch never repaints anything stale), turn it into an action
 * through the action table, hand it to the prompt, the overlay or the top
 * screen, then draw a frame: every window erased and redrawn, wnoutrefresh,
 * one doupdate. KEY_RESIZE is handled here only. Below 80x24 the body is a
 * "terminal too small" notice until the terminal grows.
 *
 * Signals: SIGINT/SIGTERM/SIGHUP only set a flag that the loop acts on (it
 * leaves curses and returns 128+signal); every other default-fatal signal
 * restores the terminal and re-raises (signals.c). The keyboard is in raw mode, so Ctrl-C
 * arrives as a key (quit) and Ctrl-Z is sent on to ncurses' SIGTSTP handler.
 *
 * Not here: what a screen shows (screen_*.c) and line editing (prompt.c).
 */
#include "tui_impl.h"

#include <errno.h>
#include <locale.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "qlens/command.h"
#include "qlens/decimal.h"

#define STACK_MAX 16
#define KEY_TIMEOUT_MS 250

typedef enum overlay_kind { OV_NONE, OV_TEXT } overlay_kind;

typedef struct screen_slot {
	const ql_screen_ops *ops;
	void *st;
} screen_slot;

struct ql_app {
	SCREEN *scr;
	FILE *vin, *vout;  /* the virtual terminal's files (tests) */
	ql_theme theme;
	WINDOW *title, *body, *status;
	int win_lines, win_cols; /* size the windows were made for */
	bool too_small;
	screen_slot stack[STACK_MAX];
	int depth;
	bool quit;
	char msg[QL_ERROR_MAX + 64];
	ql_role msg_role;
	overlay_kind overlay;
	char ov_title[128];
	char **ov_lines;
	int ov_count, ov_scroll, ov_hscroll; /* hscroll: characters */
	ql_prompt *prompt;
	/* timing, for QLENS_TUI_STATS and the tests */
	double t_start, first_frame_ms, key_ms_max, key_ms_sum;
	double last_frame_at; /* now_ms() of the last frame drawn */
	ql_burst burst;       /* a paste read in blocks while the prompt is open */
	long keys;
};

struct ql_tui {
	ql_app app;
};

static const ql_screen_ops *const screens[] = {&ql_screen_home, &ql_screen_bits, &ql_screen_types};

static volatile sig_atomic_t quit_signal;

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

const ql_theme *ql_app_theme(const ql_app *app)
{
	return &app->theme;
}

ql_prompt *ql_app_prompt(ql_app *app)
{
	return app->prompt;
}

void ql_app_quit(ql_app *app)
{
	app->quit = true;
}

void ql_app_message(ql_app *app, ql_role r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(app->msg, sizeof app->msg, fmt, ap);
	va_end(ap);
	app->msg_role = r;
}

static screen_slot *top(ql_app *app)
{
	return app->depth > 0 ? &app->stack[app->depth - 1] : NULL;
}

int ql_app_push(ql_app *app, const ql_screen_ops *ops, const char *arg)
{
	ql_error err = {{0}};
	if (app->depth == STACK_MAX) {
		ql_app_message(app, QL_R_ERROR, "too many screens open");
		return -1;
	}
	void *st = ops->open(app, arg, &err);
	if (!st) {
		ql_app_message(app, QL_R_ERROR, "qlens: %s", err.msg);
		return -1;
	}
	app->stack[app->depth++] = (screen_slot){ops, st};
	return 0;
}

static void pop(ql_app *app)
{
	screen_slot *s = top(app);
	if (!s)
		return;
	s->ops->close(s->st);
	app->depth--;
	if (app->depth == 0)
		app->quit = true;
}

/* ---- overlays ------------------------------------------------------------ */

static void overlay_free(ql_app *app)
{
	for (int i = 0; i < app->ov_count; i++)
		free(app->ov_lines[i]);
	free(app->ov_lines);
	app->ov_lines = NULL;
	app->ov_count = app->ov_scroll = app->ov_hscroll = 0;
	app->overlay = OV_NONE;
}

void ql_app_show_text(ql_app *app, const char *title, const char *text, size_t len)
{
	overlay_free(app);
	snprintf(app->ov_title, sizeof app->ov_title, "%s", title);
	size_t cap = 16;
	app->ov_lines = malloc(cap * sizeof *app->ov_lines);
	if (!app->ov_lines)
		return;
	size_t i = 0;
	while (i < len) {
		size_t j = i;
		while (j < len && text[j] != '\n')
			j++;
		if ((size_t)app->ov_count == cap) {
			char **nl = realloc(app->ov_lines, 2 * cap * sizeof *nl);
			if (!nl)
				break;
			app->ov_lines = nl;
			cap *= 2;
		}
		/* Tabs become spaces to the next multiple of 8. */
		size_t tabs = 0;
		for (size_t k = i; k < j; k++)
			tabs += text[k] == '\t';
		char *line = malloc(j - i + tabs * 8 + 1);
		if (!line)
			break;
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
		app->ov_lines[app->ov_count++] = line;
		i = j + 1;
	}
	app->overlay = OV_TEXT;
}

/* "  KEYS           text", padded by columns (key names may be Unicode)
 * and wrapped to the overlay's width. */
static void help_line(ql_app *app, FILE *f, const char *keys, const char *text)
{
	enum { KEYS_W = 15 };
	int width = COLS - 4 - 2 - KEYS_W - 1;
	int pad = KEYS_W - ql_text_width(&app->theme, keys);
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

/* The help overlay, made from the action table and the command table. */
static void show_help(ql_app *app)
{
	screen_slot *s = top(app);
	unsigned scope = s->ops->scope;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return;
	for (int pass = 0; pass < 2; pass++) {
		fprintf(f, pass == 0 ? "%s\n" : "\nEverywhere\n", s->ops->title);
		for (int a = 1; a < QL_ACT_COUNT; a++) {
			const ql_action_info *ai = &ql_action_table[a];
			bool mine = (ai->scope & scope) != 0;
			bool shared = (ai->scope & (QL_SC_GLOBAL | QL_SC_NAV)) != 0;
			if (pass == 0 ? !mine : !shared)
				continue;
			char keys[64] = "", lab[24];
			for (int k = 0; k < 3; k++) {
				if (!ai->keys[k])
					continue;
				/* Space belongs to the screen when the screen binds it. */
				if (pass == 1 && ql_action_for_key(scope, ai->keys[k]) != (ql_action)a)
					continue;
				if (k && (ai->keys[k] == '\r' || ai->keys[k] == KEY_ENTER))
					continue;
				size_t kl = strlen(keys);
				snprintf(keys + kl, sizeof keys - kl, "%s%s", kl ? " " : "",
					 ql_key_label(ai->keys[k], app->theme.utf8, lab, sizeof lab));
			}
			if (keys[0])
				help_line(app, f, keys, ai->help);
		}
	}
	fprintf(f, "\nMouse: click a bit to flip it, a list entry to open it; the wheel scrolls.\n");
	fprintf(f, "\nCommands at the ':' prompt (the same as on the shell line)\n");
	for (int i = 0; i < ql_command_count; i++)
		help_line(app, f, ql_commands[i].name, ql_commands[i].summary);
	help_line(app, f, "quit", "leave qlens");
	fclose(f);
	ql_app_show_text(app, "Help", buf, len);
	free(buf);
}

static int overlay_page(ql_app *app)
{
	int h = app->body ? getmaxy(app->body) - 2 : 1;
	return h > 1 ? h : 1;
}

static void overlay_action(ql_app *app, ql_action a)
{
	int page = overlay_page(app);
	int max = app->ov_count - page;
	if (max < 0)
		max = 0;
	switch (a) {
	case QL_ACT_QUIT:
	case QL_ACT_HELP:
	case QL_ACT_OPEN:
		overlay_free(app);
		return;
	case QL_ACT_UP: app->ov_scroll--; break;
	case QL_ACT_DOWN: app->ov_scroll++; break;
	case QL_ACT_PAGE_UP: app->ov_scroll -= page; break;
	case QL_ACT_PAGE_DOWN: case QL_ACT_FLIP: app->ov_scroll += page; break;
	case QL_ACT_FIRST: app->ov_scroll = 0; break;
	case QL_ACT_LAST: app->ov_scroll = max; break;
	case QL_ACT_LEFT: app->ov_hscroll = app->ov_hscroll > 8 ? app->ov_hscroll - 8 : 0; break;
	case QL_ACT_RIGHT: app->ov_hscroll += 8; break;
	default: return;
	}
	if (app->ov_scroll > max)
		app->ov_scroll = max;
	if (app->ov_scroll < 0)
		app->ov_scroll = 0;
}

static void draw_overlay(ql_app *app, WINDOW *w)
{
	const ql_theme *th = &app->theme;
	const ql_glyphs *g = &th->g;
	int h = getmaxy(w), cols = getmaxx(w);
	for (int y = 0; y < h; y++)
		ql_fill_row(th, w, y, QL_R_NORMAL);
	/* the frame */
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
	char t[200];
	snprintf(t, sizeof t, " %s ", app->ov_title);
	ql_put(th, w, 0, 2, cols - 4, QL_R_FRAME, t);
	int page = h - 2;
	bool cut_right = false;
	int longest = 0;
	for (int i = 0; i < app->ov_count; i++) {
		int n = 0;
		for (const char *q = app->ov_lines[i]; *q; q++)
			n += (*q & 0xC0) != 0x80;
		if (n > longest)
			longest = n;
	}
	if (app->ov_hscroll > longest - (cols - 4))
		app->ov_hscroll = longest - (cols - 4) > 0 ? longest - (cols - 4) : 0;
	for (int i = 0; i < page && app->ov_scroll + i < app->ov_count; i++) {
		const char *line = app->ov_lines[app->ov_scroll + i];
		/* skip ov_hscroll characters (UTF-8 sequences count once) */
		for (int k = 0; k < app->ov_hscroll && *line; k++)
			do
				line++;
			while ((*line & 0xC0) == 0x80);
		ql_put(th, w, 1 + i, 2, cols - 4, QL_R_NORMAL, line);
		cut_right |= ql_text_width(th, line) > cols - 4;
	}
	if (app->ov_hscroll > 0)
		ql_put(th, w, h - 1, 2, 1, QL_R_FRAME, g->more_left);
	if (cut_right)
		ql_put(th, w, h - 1, 3, 1, QL_R_FRAME, g->more_right);
	if (app->ov_count > page) {
		snprintf(t, sizeof t, " %d-%d of %d ", app->ov_scroll + 1,
			 app->ov_scroll + page < app->ov_count ? app->ov_scroll + page : app->ov_count,
			 app->ov_count);
		ql_put(th, w, h - 1, cols - 2 - ql_text_width(th, t), -1, QL_R_FRAME, t);
	}
}

/* ---- commands from the prompt ------------------------------------------- */

static void first_line(const char *s, size_t len, char *out, size_t n)
{
	size_t i = 0;
	while (i < len && s[i] != '\n' && i + 1 < n) {
		out[i] = s[i];
		i++;
	}
	out[i] = '\0';
}

void ql_app_run_command(ql_app *app, const char *line)
{
	ql_error err = {{0}};
	int argc = 0;
	char **argv = NULL;
	if (ql_split_words(line, &argc, &argv, &err)) {
		ql_app_message(app, QL_R_ERROR, "qlens: %s", err.msg);
		return;
	}
	if (argc == 0) {
		ql_free_words(argc, argv);
		return;
	}
	if (strcmp(argv[0], "quit") == 0 || strcmp(argv[0], "q") == 0 ||
	    strcmp(argv[0], "exit") == 0) {
		app->quit = true;
		ql_free_words(argc, argv);
		return;
	}
	char *obuf = NULL, *ebuf = NULL;
	size_t olen = 0, elen = 0;
	FILE *out = open_memstream(&obuf, &olen);
	FILE *errf = open_memstream(&ebuf, &elen);
	if (!out || !errf) {
		if (out)
			fclose(out);
		if (errf)
			fclose(errf);
		ql_app_message(app, QL_R_ERROR, "qlens: out of memory");
		ql_free_words(argc, argv);
		return;
	}
	ql_cmd_ctx ctx = {.out = out, .err = errf, .interactive = true, .progress = false};
	int rc = ql_command_run(&ctx, argc, argv);
	fclose(out);
	fclose(errf);
	char first[QL_ERROR_MAX];
	if (rc != 0) {
		first_line(ebuf, elen, first, sizeof first);
		if (first[0])
			ql_app_message(app, QL_R_ERROR, "%s", first);
		else
			ql_app_message(app, QL_R_ERROR, "qlens %s: failed (status %d)", argv[0], rc);
	} else {
		screen_slot *s = top(app);
		bool taken = s->ops->command && s->ops->command(app, s->st, argc, argv);
		if (!taken && olen)
			ql_app_show_text(app, line, obuf, olen);
		else if (elen) {
			first_line(ebuf, elen, first, sizeof first);
			ql_app_message(app, QL_R_INFO, "%s", first);
		}
	}
	free(obuf);
	free(ebuf);
	ql_free_words(argc, argv);
}

static void command_done(ql_app *app, void *data, const char *line)
{
	(void)data;
	if (line)
		ql_app_run_command(app, line);
}

/* ---- drawing ------------------------------------------------------------- */

static void make_windows(ql_app *app)
{
	if (app->title)
		delwin(app->title);
	if (app->body)
		delwin(app->body);
	if (app->status)
		delwin(app->status);
	app->title = newwin(1, COLS, 0, 0);
	app->body = newwin(LINES - 2, COLS, 1, 0);
	app->status = newwin(1, COLS, LINES - 1, 0);
	if (!app->title || !app->body || !app->status)
		return;
	keypad(app->status, TRUE);
	wtimeout(app->status, app->vin ? 0 : KEY_TIMEOUT_MS);
	app->win_lines = LINES;
	app->win_cols = COLS;
}

static void draw_too_small(ql_app *app)
{
	const ql_theme *th = &app->theme;
	char a[96], b[96];
	werase(stdscr);
	snprintf(a, sizeof a, "Terminal too small: %d%s%d", COLS, th->g.times, LINES);
	snprintf(b, sizeof b, "qlens needs at least %d%s%d.", QL_TUI_MIN_COLS, th->g.times,
		 QL_TUI_MIN_LINES);
	const char *c = "Make the window larger, or press q to quit.";
	int y = LINES / 2 - 1;
	if (y < 0)
		y = 0;
	const char *lines[] = {a, b, c};
	for (int i = 0; i < 3; i++) {
		int wd = ql_text_width(th, lines[i]);
		int x = (COLS - wd) / 2;
		ql_put(th, stdscr, y + i, x < 0 ? 0 : x, -1, i == 0 ? QL_R_WARN : QL_R_NORMAL, lines[i]);
	}
	wnoutrefresh(stdscr);
	curs_set(0);
	doupdate();
}

static void draw_title(ql_app *app)
{
	const ql_theme *th = &app->theme;
	WINDOW *w = app->title;
	werase(w);
	ql_fill_row(th, w, 0, QL_R_TITLE);
	char t[256];
	size_t k = (size_t)snprintf(t, sizeof t, " qlens");
	for (int i = 0; i < app->depth && k < sizeof t; i++)
		k += (size_t)snprintf(t + k, sizeof t - k, " %s %s", th->g.pointer,
				      app->stack[i].ops->title);
	ql_put(th, w, 0, 0, -1, QL_R_TITLE, t);
	const char *right = app->depth > 1 ? "? help  : command  q back " : "? help  : command  q quit ";
	int rw = ql_text_width(th, right);
	if (ql_text_width(th, t) + rw + 2 <= getmaxx(w))
		ql_put(th, w, 0, getmaxx(w) - rw, -1, QL_R_TITLE, right);
	wnoutrefresh(w);
}

/* Hints: the screen's own actions with a hint word, then the shared ones. */
static void draw_hints(ql_app *app, WINDOW *w)
{
	const ql_theme *th = &app->theme;
	unsigned scope = app->overlay ? 0 : top(app)->ops->scope;
	int x = 1, cols = getmaxx(w);
	char lab[24];
	if (app->overlay) {
		x += ql_put(th, w, 0, x, -1, QL_R_KEY, th->utf8 ? "↑↓ PgUp PgDn" : "Up Down PgUp PgDn");
		x += ql_put(th, w, 0, x, -1, QL_R_STATUS, " scroll  ");
		x += ql_put(th, w, 0, x, -1, QL_R_KEY, th->utf8 ? "←→" : "Left Right");
		x += ql_put(th, w, 0, x, -1, QL_R_STATUS, " sideways  ");
		x += ql_put(th, w, 0, x, -1, QL_R_KEY, "q");
		ql_put(th, w, 0, x, -1, QL_R_STATUS, " close");
		return;
	}
	for (int pass = 0; pass < 2; pass++) {
		for (int a = 1; a < QL_ACT_COUNT; a++) {
			const ql_action_info *ai = &ql_action_table[a];
			if (!ai->hint)
				continue;
			bool mine = (ai->scope & scope & ~(unsigned)(QL_SC_GLOBAL | QL_SC_NAV)) != 0;
			bool shared = (ai->scope & QL_SC_GLOBAL) != 0;
			if (pass == 0 ? !mine : !shared)
				continue;
			const char *hint = ai->hint;
			if (a == QL_ACT_QUIT && app->depth == 1)
				hint = "quit";
			ql_key_label(ai->keys[0], th->utf8, lab, sizeof lab);
			int need = ql_text_width(th, lab) + 1 + ql_text_width(th, hint) + 2;
			if (x + need > cols)
				return;
			x += ql_put(th, w, 0, x, -1, QL_R_KEY, lab);
			x += ql_put(th, w, 0, x, -1, QL_R_STATUS, " ");
			x += ql_put(th, w, 0, x, -1, QL_R_STATUS, hint);
			x += ql_put(th, w, 0, x, -1, QL_R_STATUS, "  ");
		}
	}
}

static void draw_frame(ql_app *app)
{
	app->too_small = LINES < QL_TUI_MIN_LINES || COLS < QL_TUI_MIN_COLS;
	if (app->too_small) {
		draw_too_small(app);
		return;
	}
	if (!app->body || app->win_lines != LINES || app->win_cols != COLS)
		make_windows(app);
	if (!app->title || !app->body || !app->status)
		return;
	const ql_theme *th = &app->theme;
	draw_title(app);

	werase(app->body);
	screen_slot *s = top(app);
	if (s)
		s->ops->draw(app, s->st, app->body);
	if (app->overlay)
		draw_overlay(app, app->body);
	wnoutrefresh(app->body);

	WINDOW *w = app->status;
	werase(w);
	bool editing = ql_prompt_active(app->prompt);
	if (editing) {
		ql_prompt_draw(app->prompt, th, w);
	} else if (app->msg[0]) {
		ql_fill_row(th, w, 0, app->msg_role == QL_R_ERROR ? QL_R_ERROR : QL_R_STATUS);
		ql_put(th, w, 0, 0, -1, app->msg_role, app->msg);
	} else {
		draw_hints(app, w);
	}
	wnoutrefresh(w); /* last: the cursor stays where the prompt left it */
	curs_set(editing ? 1 : 0);
	doupdate();
}

/* ---- keys ---------------------------------------------------------------- */

static WINDOW *input_window(ql_app *app)
{
	return !app->too_small && app->status ? app->status : stdscr;
}

/* One key. Esc is always Esc (back, or cancel the prompt): a terminal's
 * Alt-x arrives as Esc x too, and telling the two apart by timing breaks on
 * pasted or scripted input, so there are no Alt bindings. */
static int read_key(ql_app *app)
{
	if (ql_burst_pending(&app->burst)) {
		int k = ql_burst_key(&app->burst, STDIN_FILENO);
		if (k != ERR)
			return k;
	}
	return wgetch(input_window(app));
}

static void handle_click(ql_app *app)
{
	MEVENT ev;
	if (getmouse(&ev) != OK)
		return;
	screen_slot *s = top(app);
	if (ev.bstate & BUTTON4_PRESSED) {
		if (app->overlay)
			overlay_action(app, QL_ACT_UP);
		else
			s->ops->action(app, s->st, QL_ACT_UP);
		return;
	}
#ifdef BUTTON5_PRESSED
	if (ev.bstate & BUTTON5_PRESSED) {
		if (app->overlay)
			overlay_action(app, QL_ACT_DOWN);
		else
			s->ops->action(app, s->st, QL_ACT_DOWN);
		return;
	}
#endif
	if (!(ev.bstate & (BUTTON1_PRESSED | BUTTON1_CLICKED)))
		return;
	if (app->overlay) {
		overlay_free(app);
		return;
	}
	int y = ev.y, x = ev.x;
	if (app->body && wmouse_trafo(app->body, &y, &x, FALSE) && s->ops->click)
		s->ops->click(app, s->st, y, x);
}

static void suspend(ql_app *app)
{
	if (app->vin)
		return;
	/* ncurses' own SIGTSTP handler leaves and re-enters curses mode. */
	raise(SIGTSTP);
}

static void handle_key(ql_app *app, int key)
{
	if (key == KEY_RESIZE)
		return; /* the next frame lays out for the new size */
	if (ql_prompt_active(app->prompt)) {
		ql_prompt_key(app->prompt, app, key);
		return;
	}
	app->msg[0] = '\0';
	screen_slot *s = top(app);
	if (key == KEY_MOUSE) {
		if (!app->too_small)
			handle_click(app);
		return;
	}
	ql_action a = ql_action_for_key(app->overlay ? QL_SC_NAV : s->ops->scope, key);
	if (a == QL_ACT_FORCE_QUIT) {
		app->quit = true;
		return;
	}
	if (app->too_small) {
		if (a == QL_ACT_QUIT)
			app->quit = true;
		return;
	}
	switch (a) {
	case QL_ACT_SUSPEND:
		suspend(app);
		return;
	case QL_ACT_REDRAW:
		clearok(curscr, TRUE);
		return;
	case QL_ACT_PROMPT:
		ql_prompt_open(app->prompt, QL_PROMPT_COMMAND, ":", NULL, command_done, NULL);
		return;
	default:
		break;
	}
	if (app->overlay) {
		overlay_action(app, a);
		return;
	}
	switch (a) {
	case QL_ACT_QUIT:
		pop(app);
		return;
	case QL_ACT_HELP:
		show_help(app);
		return;
	case QL_ACT_NONE:
		return;
	default:
		s->ops->action(app, s->st, a);
	}
}

/* ---- setting up and tearing down ---------------------------------------- */

static const ql_screen_ops *screen_by_name(const char *name)
{
	if (!name || !name[0])
		return &ql_screen_home;
	for (size_t i = 0; i < sizeof screens / sizeof screens[0]; i++)
		if (strcmp(screens[i]->name, name) == 0)
			return screens[i];
	return NULL;
}

static void curses_modes(void)
{
	raw();
	noecho();
	nonl();
	intrflush(stdscr, FALSE);
	keypad(stdscr, TRUE);
	set_escdelay(25);
	mousemask(BUTTON1_PRESSED | BUTTON4_PRESSED
#ifdef BUTTON5_PRESSED
			  | BUTTON5_PRESSED
#endif
		  , NULL);
	mouseinterval(0);
	curs_set(0);
}

/* Everything after newterm(): modes, theme, prompt, first screen. */
static int app_start(ql_app *app, const ql_screen_ops *ops, const char *value, ql_error *err)
{
	curses_modes();
	ql_theme_init(&app->theme);
	app->prompt = ql_prompt_new();
	if (!app->prompt)
		return ql_error_set(err, "cannot set up the prompt (out of memory)");
	if (ql_app_push(app, ops, ops == &ql_screen_bits ? value : NULL))
		return ql_error_set(err, "%s", app->msg);
	draw_frame(app);
	app->first_frame_ms = now_ms() - app->t_start;
	return 0;
}

static void app_finish(ql_app *app)
{
	while (app->depth > 0) {
		screen_slot *s = top(app);
		s->ops->close(s->st);
		app->depth--;
	}
	overlay_free(app);
	ql_prompt_free(app->prompt);
	app->prompt = NULL;
	if (app->title)
		delwin(app->title);
	if (app->body)
		delwin(app->body);
	if (app->status)
		delwin(app->status);
	app->title = app->body = app->status = NULL;
}

/* At most one frame per FRAME_MS while keys keep coming. */
#define FRAME_MS 16

/* True if another key arrives within wait_ms (0: is one already there?).
 * A paste or keys typed ahead then cost one frame per FRAME_MS, not one per
 * key: a 100 KB paste is drawn a handful of times, not 100,000. */
static bool key_waiting(ql_app *app, int wait_ms)
{
	if (ql_burst_pending(&app->burst))
		return true;
	WINDOW *w = input_window(app);
	int delay = wgetdelay(w);
	wtimeout(w, wait_ms);
	int k = wgetch(w);
	wtimeout(w, delay);
	if (k == ERR)
		return false;
	ungetch(k);
	return true;
}

/* A paste into the prompt: the bytes already waiting are read in blocks
 * (burst.c) and the printable ones handed straight to the prompt; the
 * first other byte stops it and comes back through read_key() as a key.
 * Real terminal only. */
static void prompt_burst(ql_app *app)
{
	if (app->vin)
		return;
	while (ql_prompt_active(app->prompt)) {
		if (!ql_burst_pending(&app->burst) && !ql_burst_fill(&app->burst, STDIN_FILENO))
			return;
		int c;
		while (ql_prompt_active(app->prompt) && (c = ql_burst_printable(&app->burst)) >= 0)
			ql_prompt_key(app->prompt, app, c);
		if (ql_burst_pending(&app->burst))
			return; /* a control byte or a key: read_key() takes it */
	}
}

static void one_key(ql_app *app, int key)
{
	double t0 = now_ms();
	handle_key(app, key);
	prompt_burst(app);
	double waited = 0;
	if (!app->quit) {
		/* Right after a frame, give the next key of a burst a moment to
		 * arrive (real terminal only: the tests draw every key). */
		double since = t0 - app->last_frame_at;
		int wait = !app->vin && since < FRAME_MS ? (int)(FRAME_MS - since) + 1 : 0;
		double w0 = wait ? now_ms() : 0;
		bool more = key_waiting(app, wait);
		waited = wait ? now_ms() - w0 : 0;
		if (!more) {
			draw_frame(app);
			app->last_frame_at = now_ms();
		}
	}
	double dt = now_ms() - t0 - waited; /* the explorer's own time, not the wait */
	app->keys++;
	app->key_ms_sum += dt;
	if (dt > app->key_ms_max)
		app->key_ms_max = dt;
}

static void on_quit_signal(int sig)
{
	quit_signal = sig;
}

static void set_handler(int sig, void (*fn)(int), int flags, struct sigaction *old)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = fn;
	sa.sa_flags = flags;
	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, old);
}

int ql_tui_main(const char *start_screen, const char *start_value)
{
	static const int quit_sigs[] = {SIGINT, SIGTERM, SIGHUP};
	struct sigaction old_quit[3];
	ql_error err = {{0}};
	ql_app *app;
	double t0 = now_ms();

	const ql_screen_ops *ops = screen_by_name(start_screen);
	if (!ops) {
		fprintf(stderr, "qlens: no screen called '%s'\n", start_screen);
		return QL_EXIT_USAGE;
	}
	if (start_value) {
		double v;
		if (ql_parse_value(start_value, &v, &err)) {
			fprintf(stderr, "qlens bits: %s\n", err.msg);
			return QL_EXIT_USAGE;
		}
		ops = &ql_screen_bits;
	}
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		fprintf(stderr, "qlens: the explorer needs a terminal; try `qlens --help` for the commands\n");
		return QL_EXIT_FAIL;
	}
	setlocale(LC_CTYPE, "");
	app = calloc(1, sizeof *app);
	if (!app) {
		fprintf(stderr, "qlens: out of memory\n");
		return QL_EXIT_FAIL;
	}
	app->t_start = t0;
	quit_signal = 0;
	for (int i = 0; i < 3; i++)
		set_handler(quit_sigs[i], on_quit_signal, 0, &old_quit[i]);
	ql_tui_signals_save_tty();

	int rc = QL_EXIT_OK;
	app->scr = newterm(NULL, stdout, stdin);
	if (!app->scr) {
		const char *term = getenv("TERM");
		fprintf(stderr, "qlens: cannot use the terminal type '%s'\n", term ? term : "");
		rc = QL_EXIT_FAIL;
		goto out;
	}
	ql_tui_signals_install();
	if (app_start(app, ops, start_value, &err)) {
		app_finish(app);
		endwin();
		fprintf(stderr, "qlens: %s\n", err.msg);
		rc = QL_EXIT_FAIL;
		goto out_screen;
	}
	while (!app->quit && !quit_signal) {
		int key = read_key(app);
		if (quit_signal)
			break;
		if (key == ERR)
			continue;
		one_key(app, key);
	}
	app_finish(app);
	endwin();
	if (quit_signal)
		rc = 128 + quit_signal;
	if (getenv("QLENS_TUI_STATS"))
		fprintf(stderr, "qlens: first frame %.2f ms; %ld keys, %.3f ms mean, %.3f ms max per key, "
			"%.2f ms in all\n", app->first_frame_ms, app->keys,
			app->keys ? app->key_ms_sum / (double)app->keys : 0.0, app->key_ms_max,
			app->key_ms_sum);
out_screen:
	delscreen(app->scr);
out:
	for (int i = 0; i < 3; i++)
		sigaction(quit_sigs[i], &old_quit[i], NULL);
	ql_tui_signals_remove();
	free(app);
	return rc;
}

/* ---- the virtual terminal (tests) --------------------------------------- */

ql_tui *ql_tui_open_virtual(const char *term, int lines, int cols, const char *start_screen,
			    const char *start_value, ql_error *err)
{
	const ql_screen_ops *ops = screen_by_name(start_screen);
	if (!ops) {
		ql_error_set(err, "no screen called '%s'", start_screen);
		return NULL;
	}
	if (start_value)
		ops = &ql_screen_bits;
	ql_tui *t = calloc(1, sizeof *t);
	if (!t) {
		ql_error_set(err, "out of memory");
		return NULL;
	}
	ql_app *app = &t->app;
	app->t_start = now_ms();
	app->vin = fopen("/dev/null", "r");
	app->vout = fopen("/dev/null", "w");
	if (!app->vin || !app->vout) {
		ql_error_set(err, "/dev/null: %s", strerror(errno));
		goto fail;
	}
	use_env(FALSE); /* the size is ours, not the environment's */
	app->scr = newterm(term, app->vout, app->vin);
	if (!app->scr) {
		ql_error_set(err, "cannot use the terminal type '%s'", term ? term : "");
		goto fail;
	}
	set_term(app->scr);
	resizeterm(lines, cols);
	if (app_start(app, ops, start_value, err)) {
		app_finish(app);
		endwin();
		delscreen(app->scr);
		app->scr = NULL;
		goto fail;
	}
	return t;
fail:
	if (app->vin)
		fclose(app->vin);
	if (app->vout)
		fclose(app->vout);
	free(t);
	return NULL;
}

/* Reads every queued key through the real path, then draws. */
static int drain(ql_tui *t)
{
	ql_app *app = &t->app;
	int key;
	while (!app->quit && (key = read_key(app)) != ERR)
		one_key(app, key);
	return app->quit ? 1 : 0;
}

int ql_tui_feed_key(ql_tui *t, int key)
{
	if (t->app.quit)
		return 1;
	ungetch(key);
	return drain(t);
}

int ql_tui_feed_keys(ql_tui *t, const char *keys)
{
	for (const unsigned char *p = (const unsigned char *)keys; *p; p++)
		if (ql_tui_feed_key(t, *p))
			return 1;
	return t->app.quit ? 1 : 0;
}

int ql_tui_feed_click(ql_tui *t, int y, int x)
{
	MEVENT ev = {.id = 0, .x = x, .y = y, .z = 0, .bstate = BUTTON1_PRESSED};
	if (t->app.quit)
		return 1;
	ungetmouse(&ev);
	return drain(t);
}

void ql_tui_resize(ql_tui *t, int lines, int cols)
{
	resizeterm(lines, cols);
	drain(t);
	draw_frame(&t->app);
}

static size_t utf8_put(uint32_t c, char *o)
{
	if (c < 0x80) {
		o[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		o[0] = (char)(0xC0 | c >> 6);
		o[1] = (char)(0x80 | (c & 0x3F));
		return 2;
	}
	if (c < 0x10000) {
		o[0] = (char)(0xE0 | c >> 12);
		o[1] = (char)(0x80 | (c >> 6 & 0x3F));
		o[2] = (char)(0x80 | (c & 0x3F));
		return 3;
	}
	o[0] = (char)(0xF0 | c >> 18);
	o[1] = (char)(0x80 | (c >> 12 & 0x3F));
	o[2] = (char)(0x80 | (c >> 6 & 0x3F));
	o[3] = (char)(0x80 | (c & 0x3F));
	return 4;
}

void ql_tui_row(ql_tui *t, int y, char *buf, size_t n)
{
	(void)t;
	wchar_t w[1024];
	size_t k = 0;
	if (n == 0)
		return;
	buf[0] = '\0';
	if (y < 0 || y >= LINES)
		return;
	int got = mvwinnwstr(curscr, y, 0, w, COLS < 1023 ? COLS : 1023);
	if (got == ERR)
		return;
	for (int i = 0; i < got && w[i]; i++) {
		char tmp[4];
		size_t l = utf8_put((uint32_t)w[i], tmp);
		if (k + l + 1 > n)
			break;
		memcpy(buf + k, tmp, l);
		k += l;
	}
	while (k > 0 && buf[k - 1] == ' ')
		k--;
	buf[k] = '\0';
}

void ql_tui_dump(ql_tui *t, char *buf, size_t n)
{
	size_t k = 0;
	if (n == 0)
		return;
	buf[0] = '\0';
	for (int y = 0; y < LINES && k + 1 < n; y++) {
		char row[4096];
		ql_tui_row(t, y, row, sizeof row);
		k += (size_t)snprintf(buf + k, n - k, "%2d|%s\n", y, row);
		if (k >= n)
			k = n - 1;
	}
}

int ql_tui_uses_color(ql_tui *t)
{
	(void)t;
	for (int y = 0; y < LINES; y++)
		for (int x = 0; x < COLS; x++) {
			cchar_t cc;
			wchar_t wc[CCHARW_MAX + 1];
			attr_t at;
			short pair = 0;
			if (mvwin_wch(curscr, y, x, &cc) == ERR)
				continue;
			if (getcchar(&cc, wc, &at, &pair, NULL) != ERR && pair != 0)
				return 1;
		}
	return 0;
}

void ql_tui_close(ql_tui *t)
{
	if (!t)
		return;
	ql_app *app = &t->app;
	app_finish(app);
	endwin();
	delscreen(app->scr);
	fclose(app->vin);
	fclose(app->vout);
	free(t);
}
