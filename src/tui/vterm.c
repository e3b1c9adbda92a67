/* vterm.c — the TUI on a virtual terminal, for the screen tests (tui.h).
 *
 * newterm() over /dev/null at a fixed size: the real screens, the real key
 * path (keys are queued with ungetch and read by the same ql_app_read_key
 * the program uses), and the screen read back from curscr with
 * mvwinnwstr(), so block and braille glyphs survive. resizeterm() queues
 * KEY_RESIZE as a real resize does. No signal handlers are installed.
 */
#include "app_impl.h"
#include "inspect.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct ql_tui {
	ql_app app;
};


ql_tui *ql_tui_open_virtual(const char *term, int lines, int cols, const char *start_screen,
			    const char *start_value, ql_error *err)
{
	char *args[] = {(char *)start_value, NULL};
	if (start_value && (!start_screen || !start_screen[0]))
		start_screen = "bits";
	return ql_tui_open_virtual_args(term, lines, cols, start_screen, start_value ? 1 : 0, args, err);
}

ql_tui *ql_tui_open_virtual_args(const char *term, int lines, int cols, const char *start_screen,
				 int argc, char **argv, ql_error *err)
{
	const ql_screen_ops *ops = ql_screen_find(start_screen);
	if (!ops) {
		ql_error_set(err, "no screen called '%s'", start_screen);
		return NULL;
	}
	ql_tui *t = calloc(1, sizeof *t);
	if (!t) {
		ql_error_set(err, "out of memory");
		return NULL;
	}
	ql_app *app = &t->app;
	app->t_start = ql_app_now_ms();
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
	if (ql_app_start(app, ops, argc, argv, err)) {
		ql_app_finish(app);
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
	while (!app->quit && (key = ql_app_read_key(app)) != ERR)
		ql_app_one_key(app, key);
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

int ql_tui_feed_sequence(ql_tui *t, const char *bytes)
{
	if (t->app.quit)
		return 1;
	for (size_t i = strlen(bytes); i-- > 0;)
		ungetch((unsigned char)bytes[i]);
	return drain(t);
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
	ql_app_draw_frame(&t->app);
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
	ql_app_finish(app);
	ql_inspect_wait_jobs(); /* cancelled jobs free what they hold */
	endwin();
	delscreen(app->scr);
	fclose(app->vin);
	fclose(app->vout);
	free(t);
}

int ql_tui_idle(ql_tui *t, int ms)
{
	ql_app *app = &t->app;
	double end = ql_app_now_ms() + ms;
	int frames = 0;
	while (!app->quit && ql_app_now_ms() < end) {
		if (ql_app_tick(app))
			frames++;
		else
			usleep(1000);
	}
	return frames;
}

void ql_tui_draw_embedded(ql_tui *t, int y, int x, int lines, int cols)
{
	ql_app *app = &t->app;
	void *st;
	const ql_screen_ops *ops = ql_app_top(app, &st);
	WINDOW *w = newwin(lines, cols, y, x);
	if (!ops || !w)
		return;
	werase(w);
	ops->draw(app, st, w);
	wnoutrefresh(w);
	doupdate();
	delwin(w);
}
