/* app_impl.h — the application's state, shared by app.c (the loop) and
 * vterm.c (the virtual terminal the tests drive); private to those two.
 */
#ifndef QLENS_TUI_APP_IMPL_H
#define QLENS_TUI_APP_IMPL_H

#include "tui_impl.h"

#include <stdio.h>

#define QL_APP_STACK_MAX 16

typedef struct ql_screen_slot {
	const ql_screen_ops *ops;
	void *st;
} ql_screen_slot;

struct ql_app {
	SCREEN *scr;
	FILE *vin, *vout;  /* the virtual terminal's files (tests); NULL on a tty */
	ql_theme theme;
	WINDOW *title, *body, *status;
	WINDOW *full;      /* the whole terminal, for a screen that asks for it */
	int last_key;      /* the key being handled */
	int win_lines, win_cols; /* size the windows were made for */
	bool too_small;
	ql_screen_slot stack[QL_APP_STACK_MAX];
	int depth;
	bool quit;
	char msg[QL_ERROR_MAX + 64];
	ql_role msg_role;
	ql_prompt *prompt;
	/* timing, for QLENS_TUI_STATS and the tests */
	double t_start, first_frame_ms, key_ms_max, key_ms_sum;
	long keys;
};

double ql_app_now_ms(void);
/* After newterm(): modes, theme, prompt, the first screen, the first frame. */
int ql_app_start(ql_app *app, const ql_screen_ops *ops, int argc, char **argv, ql_error *err);
/* Closes every screen and the prompt, deletes the windows (not the SCREEN). */
void ql_app_finish(ql_app *app);
/* Reads one key (ERR when none came in time). */
int ql_app_read_key(ql_app *app);
/* Handles one key and draws a frame, timed. */
void ql_app_one_key(ql_app *app, int key);
/* Lets the top screen's background work report; true if a frame was drawn. */
bool ql_app_tick(ql_app *app);
void ql_app_draw_frame(ql_app *app);

#endif
