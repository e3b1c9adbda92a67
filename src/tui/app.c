/* app.c — the TUI's main loop: it owns the terminal.
 *
 * Layout: a title bar (row 0), the body window (the top screen draws there),
 * and the status line (last row: key hints, a message, or the ':' prompt).
 * Everything shown is a screen on one stack (QL_SCREENS in tui_impl.h),
 * the help ('?') and a command's output too; q or Esc closes the top one.
 *
 * One key at a time: read it (wgetch on the status window, so the implicit
 * refresh of wgetch never repaints anything stale), turn it into an action
 * through the action table in the active key scope (the top screen's, or
 * its focused widget's), hand it to the prompt or the top screen, then draw
 * a frame: every window erased and redrawn, wnoutrefresh, one doupdate.
 * KEY_RESIZE is handled here only. Below 80x24, or below what the top
 * screen asks for, the body is a "terminal too small" notice until the
 * terminal grows. While no key comes, a screen with background work is
 * asked every ~40 ms whether it has something new to draw (its tick).
 *
 * Signals: SIGINT/SIGTERM/SIGHUP only set a flag that the loop acts on (it
 * leaves curses and returns 128+signal; while a command runs, signals.c
 * takes them: the loop waits for it); every other default-fatal signal
 * restores the terminal and re-raises (signals.c). The keyboard is in raw mode, so Ctrl-C
 * arrives as a key (quit) and Ctrl-Z is sent on to ncurses' SIGTSTP handler.
 *
 * Not here: what a screen shows (screen_*.c), line editing (prompt.c),
 * running the prompt's commands (command.c), the virtual terminal of the
 * tests (vterm.c).
 */
#include "app_impl.h"
#include "qlens/io.h"

#include <locale.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "qlens/command.h"

#define KEY_TIMEOUT_MS 250
#define TICK_MS 40

#define QL_SCR_PTR(id, name, home) [QL_SCR_##id] = &ql_screen_##name,
const ql_screen_ops *const ql_screen_table[QL_SCR_COUNT] = {QL_SCREENS(QL_SCR_PTR)};
#undef QL_SCR_PTR
#define QL_SCR_HOME_LINE(id, name, home) [QL_SCR_##id] = home,
const char *const ql_screen_home_line[QL_SCR_COUNT] = {QL_SCREENS(QL_SCR_HOME_LINE)};
#undef QL_SCR_HOME_LINE

static volatile sig_atomic_t quit_signal;

double ql_app_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

const ql_screen_ops *ql_screen_find(const char *name)
{
	if (!name || !name[0])
		return &ql_screen_home;
	for (int i = 0; i < QL_SCR_COUNT; i++)
		if (strcmp(ql_screen_table[i]->name, name) == 0)
			return ql_screen_table[i];
	return NULL;
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

int ql_app_depth(const ql_app *app)
{
	return app->depth;
}

void ql_app_message(ql_app *app, ql_role r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(app->msg, sizeof app->msg, fmt, ap);
	va_end(ap);
	app->msg_role = r;
}

static ql_screen_slot *top(ql_app *app)
{
	return app->depth > 0 ? &app->stack[app->depth - 1] : NULL;
}

const ql_screen_ops *ql_app_top(const ql_app *app, void **st)
{
	const ql_screen_slot *s = app->depth > 0 ? &app->stack[app->depth - 1] : NULL;
	if (st)
		*st = s ? s->st : NULL;
	return s ? s->ops : NULL;
}

unsigned ql_app_key_scope(const ql_app *app)
{
	const ql_screen_slot *s = app->depth > 0 ? &app->stack[app->depth - 1] : NULL;
	if (!s)
		return 0;
	return s->ops->key_scope ? s->ops->key_scope(s->st) : s->ops->scope;
}

int ql_app_push(ql_app *app, const ql_screen_ops *ops, int argc, char **argv)
{
	ql_error err = {{0}};
	if (app->depth == QL_APP_STACK_MAX) {
		ql_app_message(app, QL_R_ERROR, "too many screens open");
		return -1;
	}
	void *st = ops->open(app, argc, argv, &err);
	if (!st) {
		ql_app_message(app, QL_R_ERROR, "qlens: %s", err.msg);
		return -1;
	}
	app->stack[app->depth++] = (ql_screen_slot){ops, st};
	if (ops->opened)
		ops->opened(app, st);
	return 0;
}

void ql_app_pop(ql_app *app)
{
	ql_screen_slot *s = top(app);
	if (!s)
		return;
	s->ops->close(s->st);
	app->depth--;
	if (app->depth == 0)
		app->quit = true;
}

void ql_app_show_text(ql_app *app, const char *title, const char *text, size_t len)
{
	ql_screen_slot *s = top(app);
	if (s && s->ops == &ql_screen_text)
		ql_app_pop(app);
	char *copy = malloc(len + 1);
	if (!copy) {
		ql_app_message(app, QL_R_ERROR, "qlens: out of memory");
		return;
	}
	memcpy(copy, text, len);
	copy[len] = '\0';
	char *args[] = {(char *)title, copy, NULL};
	ql_app_push(app, &ql_screen_text, 2, args);
	free(copy);
}

/* ---- commands from the prompt (run by command.c) ------------------------- */

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
	if (app->full)
		delwin(app->full);
	app->full = newwin(LINES, COLS, 0, 0);
	app->title = newwin(1, COLS, 0, 0);
	app->body = newwin(LINES - 2, COLS, 1, 0);
	app->status = newwin(1, COLS, LINES - 1, 0);
	if (!app->title || !app->body || !app->status || !app->full)
		return;
	keypad(app->status, TRUE);
	wtimeout(app->status, app->vin ? 0 : KEY_TIMEOUT_MS);
	app->win_lines = LINES;
	app->win_cols = COLS;
}

/* The size the program needs now: 80x24, or more if the top screen's
 * window must be larger. */
static void needed_size(ql_app *app, int *lines, int *cols)
{
	ql_screen_slot *s = top(app);
	*lines = QL_TUI_MIN_LINES;
	*cols = QL_TUI_MIN_COLS;
	if (s && s->ops->min_lines + 2 > *lines)
		*lines = s->ops->min_lines + 2;
	if (s && s->ops->min_cols > *cols)
		*cols = s->ops->min_cols;
}

static void draw_too_small(ql_app *app, int need_lines, int need_cols)
{
	const ql_theme *th = &app->theme;
	char a[96], b[96];
	werase(stdscr);
	snprintf(a, sizeof a, "Terminal too small: %d%s%d", COLS, th->g.times, LINES);
	snprintf(b, sizeof b, "qlens needs at least %d%s%d.", need_cols, th->g.times, need_lines);
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

static int put_hint(ql_app *app, WINDOW *w, int x, const char *keys, const char *what)
{
	const ql_theme *th = &app->theme;
	if (x + ql_text_width(th, keys) + 1 + ql_text_width(th, what) + 2 > getmaxx(w))
		return -1;
	x += ql_put(th, w, 0, x, -1, QL_R_KEY, keys);
	x += ql_put(th, w, 0, x, -1, QL_R_STATUS, " ");
	x += ql_put(th, w, 0, x, -1, QL_R_STATUS, what);
	x += ql_put(th, w, 0, x, -1, QL_R_STATUS, "  ");
	return x;
}

/* Hints: the active scope's actions with a hint word, then the shared
 * ones; a pager's scrolling keys. */
static void draw_hints(ql_app *app, WINDOW *w)
{
	const ql_theme *th = &app->theme;
	unsigned scope = ql_app_key_scope(app);
	int x = 1;
	char lab[24];
	if (scope & (QL_SC_TEXT | QL_SC_HELP)) {
		x = put_hint(app, w, x, th->utf8 ? "↑↓ PgUp PgDn" : "Up Down PgUp PgDn", "scroll");
		if (x > 0)
			x = put_hint(app, w, x, th->utf8 ? "←→" : "Left Right", "sideways");
		if (x > 0)
			put_hint(app, w, x, "q", "close");
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
			if ((x = put_hint(app, w, x, lab, hint)) < 0)
				return;
		}
	}
}

/* The message on the status line; one too long for it goes on in the rows
 * above (drawn over the bottom of `above`, the window under the status
 * line), broken at spaces, so that all of it can be read until the next
 * key. Call before `above` is refreshed. */
static void draw_message(ql_app *app, WINDOW *above)
{
	const ql_theme *th = &app->theme;
	WINDOW *w = app->status;
	int cols = getmaxx(w);
	ql_role fill = app->msg_role == QL_R_ERROR ? QL_R_ERROR : QL_R_STATUS;
	int rows = ql_text_rows(th, app->msg, cols);
	int extra = rows - 1, first = getbegy(w) - getbegy(above) - extra;
	if (first < 0) { /* taller than the screen: its end is what is cut */
		extra += first;
		first = 0;
	}
	const char *p = app->msg;
	for (int k = 0; k < extra && *p; k++) {
		const char *next;
		size_t cut = ql_wrap_cut(th, p, cols, &next);
		char line[sizeof app->msg];
		snprintf(line, sizeof line, "%.*s", (int)cut, p);
		ql_fill_row(th, above, first + k, fill);
		ql_put(th, above, first + k, 0, cols, app->msg_role, line);
		p = next;
	}
	ql_fill_row(th, w, 0, fill);
	ql_put_fit(th, w, 0, 0, cols, app->msg_role, p);
}

void ql_app_message_now(ql_app *app, ql_role r, const char *text)
{
	ql_app_message(app, r, "%s", text);
	ql_app_draw_frame(app);
	doupdate();
}

void ql_app_message_clear(ql_app *app)
{
	app->msg[0] = '\0';
}

void ql_app_draw_frame(ql_app *app)
{
	int need_lines, need_cols;
	needed_size(app, &need_lines, &need_cols);
	app->too_small = LINES < need_lines || COLS < need_cols;
	if (app->too_small) {
		draw_too_small(app, need_lines, need_cols);
		return;
	}
	if (!app->body || app->win_lines != LINES || app->win_cols != COLS)
		make_windows(app);
	if (!app->title || !app->body || !app->status || !app->full)
		return;
	const ql_theme *th = &app->theme;
	ql_screen_slot *s = top(app);
	bool editing = ql_prompt_active(app->prompt);
	if (s && s->ops->fullscreen && s->ops->fullscreen(s->st)) {
		/* the whole terminal is the screen's (presenter mode): no bars,
		 * but a prompt or a message still shows on the last row */
		werase(app->full);
		s->ops->draw(app, s->st, app->full);
		if (editing || app->msg[0]) {
			werase(app->status);
			if (editing)
				ql_prompt_draw(app->prompt, th, app->status);
			else
				draw_message(app, app->full);
		}
		wnoutrefresh(app->full);
		if (editing || app->msg[0])
			wnoutrefresh(app->status);
		curs_set(editing ? 1 : 0);
		doupdate();
		return;
	}
	draw_title(app);

	werase(app->body);
	if (s)
		s->ops->draw(app, s->st, app->body);

	WINDOW *w = app->status;
	werase(w);
	if (editing) {
		ql_prompt_draw(app->prompt, th, w);
	} else if (app->msg[0]) {
		draw_message(app, app->body);
	} else {
		draw_hints(app, w);
	}
	wnoutrefresh(app->body);
	wnoutrefresh(w); /* last: the cursor stays where the prompt left it */
	curs_set(editing ? 1 : 0);
	doupdate();
}

/* ---- keys ---------------------------------------------------------------- */

static WINDOW *input_window(ql_app *app)
{
	return !app->too_small && app->status ? app->status : stdscr;
}

/* After an Esc: the rest of an escape sequence that curses did not decode
 * (its terminal type does not describe the key: vt100 has no PgUp, and
 * tmux sends ESC [ 1 ~ for Home whatever TERM says), as its key, or ERR
 * for one that is no key here (dropped); else 27, a lone Esc, with the
 * keys read after it given back. curses has already waited ESCDELAY for
 * the bytes after the Esc if the terminal type has a key beginning with
 * one; each further byte gets as long (none on the virtual terminal). */
static int escape_key(ql_app *app, WINDOW *w)
{
	int seq[QL_KEY_SEQ_MAX], n = 0, key = ERR, used;
	int delay = wgetdelay(w);
	wtimeout(w, app->vin ? 0 : get_escdelay());
	while ((used = ql_key_sequence(seq, n, &key)) < 0) {
		int k = wgetch(w);
		if (k == ERR)
			break; /* cut off: a lone Esc and keys */
		seq[n++] = k;
	}
	wtimeout(w, delay);
	if (used > 0)
		return key;
	for (int i = n; i-- > 0;)
		ungetch(seq[i]);
	return 27;
}

/* One key. Esc is always Esc (back, or cancel the prompt): a terminal's
 * Alt-x arrives as Esc x too, and telling the two apart by timing breaks on
 * pasted or scripted input, so there are no Alt bindings. Only an Esc that
 * starts an escape sequence (ESC [ or ESC O, then the sequence's bytes
 * without a pause) is a key of its own, or nothing. */
int ql_app_read_key(ql_app *app)
{
	if (ql_burst_pending(&app->burst)) {
		int k = ql_burst_key(&app->burst, STDIN_FILENO);
		if (k != ERR)
			return k;
	}
	WINDOW *w = input_window(app);
	ql_screen_slot *s = top(app);
	if (!app->vin)
		wtimeout(w, s && s->ops->tick ? TICK_MS : KEY_TIMEOUT_MS);
	for (;;) {
		int k = wgetch(w);
		/* vt220's and rxvt's terminfo call ESC [ 1 ~ and ESC [ 4 ~ Find
		 * and Select, the keys where a PC keyboard has Home and End (and
		 * what xterm-style terminals, tmux among them, send for those) */
		if (k == KEY_FIND)
			return KEY_HOME;
		if (k == KEY_SELECT)
			return KEY_END;
		if (k != 27)
			return k;
		k = escape_key(app, w);
		if (k != ERR)
			return k;
		/* A sequence dropped: the frame that a key before it skipped
		 * (key_waiting saw this one coming) is drawn now. */
		ql_app_draw_frame(app);
	}
}

bool ql_app_tick(ql_app *app)
{
	ql_screen_slot *s = top(app);
	if (!s || !s->ops->tick || app->quit || !s->ops->tick(app, s->st))
		return false;
	ql_app_draw_frame(app);
	return true;
}

static void handle_click(ql_app *app)
{
	MEVENT ev;
	if (getmouse(&ev) != OK)
		return;
	ql_screen_slot *s = top(app);
	if (ev.bstate & BUTTON4_PRESSED) {
		s->ops->action(app, s->st, QL_ACT_UP);
		return;
	}
#ifdef BUTTON5_PRESSED
	if (ev.bstate & BUTTON5_PRESSED) {
		s->ops->action(app, s->st, QL_ACT_DOWN);
		return;
	}
#endif
	if (!(ev.bstate & (BUTTON1_PRESSED | BUTTON1_CLICKED)))
		return;
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

int ql_app_last_key(const ql_app *app)
{
	return app->last_key;
}

static void handle_key(ql_app *app, int key)
{
	app->last_key = key;
	if (key == KEY_RESIZE)
		return; /* the next frame lays out for the new size */
	if (ql_prompt_active(app->prompt)) {
		if (key == 26) /* Ctrl-Z, Ctrl-L: as everywhere (readline does nothing) */
			suspend(app);
		else if (key == 12)
			clearok(curscr, TRUE);
		else
			ql_prompt_key(app->prompt, app, key);
		return;
	}
	app->msg[0] = '\0';
	ql_screen_slot *s = top(app);
	if (key == KEY_MOUSE) {
		if (!app->too_small)
			handle_click(app);
		return;
	}
	ql_action a = ql_action_for_key(ql_app_key_scope(app), key);
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
	case QL_ACT_NONE:
		return;
	default:
		break;
	}
	/* The screen first: a pager closes itself on ?, a screen may take q. */
	if (s->ops->action(app, s->st, a))
		return;
	if (a == QL_ACT_QUIT)
		ql_app_pop(app);
	else if (a == QL_ACT_HELP)
		ql_app_push(app, &ql_screen_help, 0, NULL);
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
 * first other byte stops it and comes back through ql_app_read_key() as a
 * key. Real terminal only. */
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
			return; /* a control byte or a key: ql_app_read_key() takes it */
	}
}

void ql_app_one_key(ql_app *app, int key)
{
	double t0 = ql_app_now_ms();
	handle_key(app, key);
	prompt_burst(app);
	double waited = 0;
	if (!app->quit) {
		/* Right after a frame, give the next key of a burst a moment to
		 * arrive (real terminal only: the tests draw every key). */
		double since = t0 - app->last_frame_at;
		int wait = !app->vin && since < FRAME_MS ? (int)(FRAME_MS - since) + 1 : 0;
		double w0 = wait ? ql_app_now_ms() : 0;
		bool more = key_waiting(app, wait);
		waited = wait ? ql_app_now_ms() - w0 : 0;
		if (!more) {
			ql_app_draw_frame(app);
			app->last_frame_at = ql_app_now_ms();
		}
	}
	double dt = ql_app_now_ms() - t0 - waited; /* the explorer's own time, not the wait */
	app->keys++;
	app->key_ms_sum += dt;
	if (dt > app->key_ms_max)
		app->key_ms_max = dt;
}

/* ---- setting up and tearing down ---------------------------------------- */

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

int ql_app_start(ql_app *app, const ql_screen_ops *ops, int argc, char **argv, ql_error *err)
{
	ql_source_allow_streams(false); /* no key could stop a wait on a FIFO (io.h) */
	curses_modes();
	ql_theme_init(&app->theme);
	app->prompt = ql_prompt_new();
	if (!app->prompt)
		return ql_error_set(err, "cannot set up the prompt (out of memory)");
	if (ql_app_push(app, ops, argc, argv))
		return ql_error_set(err, "%s", strncmp(app->msg, "qlens: ", 7) ? app->msg : app->msg + 7);
	ql_app_draw_frame(app);
	app->first_frame_ms = ql_app_now_ms() - app->t_start;
	return 0;
}

void ql_app_finish(ql_app *app)
{
	while (app->depth > 0) {
		ql_screen_slot *s = top(app);
		s->ops->close(s->st);
		app->depth--;
	}
	ql_prompt_free(app->prompt);
	app->prompt = NULL;
	if (app->title)
		delwin(app->title);
	if (app->body)
		delwin(app->body);
	if (app->status)
		delwin(app->status);
	if (app->full)
		delwin(app->full);
	app->title = app->body = app->status = app->full = NULL;
	ql_source_allow_streams(true);
}

static void on_quit_signal(int sig)
{
	if (!ql_tui_signals_quit_request(sig))
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

int ql_tui_main(const char *start_screen, int argc, char **argv)
{
	static const int quit_sigs[] = {SIGINT, SIGTERM, SIGHUP};
	struct sigaction old_quit[3];
	ql_error err = {{0}};
	ql_app *app;
	double t0 = ql_app_now_ms();

	const ql_screen_ops *ops = ql_screen_find(start_screen);
	if (!ops) {
		fprintf(stderr, "qlens: no screen called '%s'\n", start_screen);
		return QL_EXIT_USAGE;
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
	/* A terminal type that cannot move the cursor (TERM=dumb: Emacs'
	 * shell, some CI logs) would show every frame as lines run together. */
	const char *cup = tigetstr("cup");
	if (!cup || cup == (const char *)-1) {
		const char *term = getenv("TERM");
		endwin();
		fprintf(stderr, "qlens: the explorer needs a terminal that can move the cursor, and "
			"TERM=%s cannot; try `qlens --help` for the commands\n", term ? term : "");
		rc = QL_EXIT_FAIL;
		goto out_screen;
	}
	ql_tui_signals_install();
	if (ql_app_start(app, ops, argc, argv, &err)) {
		ql_app_finish(app);
		endwin();
		fprintf(stderr, "qlens: %s\n", err.msg);
		rc = QL_EXIT_FAIL; /* the command checked its arguments: a file or model that will not open */
		goto out_screen;
	}
	while (!app->quit && !quit_signal) {
		int key = ql_app_read_key(app);
		if (quit_signal)
			break;
		if (key == ERR)
			ql_app_tick(app);
		else
			ql_app_one_key(app, key);
	}
	ql_app_finish(app);
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
