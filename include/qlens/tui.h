/* tui.h — the full-screen face of qlens (ncurses).
 *
 * main.c decides: `qlens` with no command calls ql_tui_main(NULL, 0, NULL),
 * the home screen; a command that wants a screen (`qlens bits VALUE --tui`)
 * asks through its context's screen hook (command.h), which main.c points
 * at ql_tui_main("bits", 1, {VALUE}). The command table never includes
 * this header. The TUI owns the terminal until it returns, and always gives
 * it back clean (q, Ctrl-C, SIGTERM, fatal signals).
 *
 * The second half of this header drives the same screens without a terminal
 * program around them: the screen tests open them on newterm() over
 * /dev/null at a fixed size, feed keys, and read the screen back.
 */
#ifndef QLENS_TUI_H
#define QLENS_TUI_H

#include <stddef.h>
#include "qlens/error.h"

/* start_screen: NULL or a screen's name ("home", "bits", "types", ...);
 * argv: its arguments, as the command that asked for it got them (the bit
 * explorer's input "1/3", "0.1", "0x1p-3", "inf"; none: 1/3). Returns an
 * exit status (0 ok; 1 no terminal; 2 unknown screen or arguments the
 * screen refuses, reported as one line "qlens: ..." on stderr). */
int ql_tui_main(const char *start_screen, int argc, char **argv);

/* ---- embedding and testing ---------------------------------------------- */

typedef struct ql_tui ql_tui;

/* Opens the TUI on a virtual terminal of the given size (newterm over
 * /dev/null, terminal type `term`, e.g. "xterm-256color"), without signal
 * handlers. Colours follow NO_COLOR and the terminal type; glyphs follow the
 * locale. Draws the first frame. Returns NULL with err set on failure. */
ql_tui *ql_tui_open_virtual(const char *term, int lines, int cols,
			    const char *start_screen, const char *start_value,
			    ql_error *err);

/* The same with the screen's arguments as ql_tui_main takes them
 * (ql_tui_open_virtual's start_value is argv[0] of the bit explorer). */
ql_tui *ql_tui_open_virtual_args(const char *term, int lines, int cols, const char *start_screen,
				 int argc, char **argv, ql_error *err);

/* Lets background work report for `ms` milliseconds (what the program does
 * while no key comes); returns how many frames it drew. */
int ql_tui_idle(ql_tui *t, int ms);

/* Draws the top screen once more into a window of its own, lines x cols at
 * (y, x), over the frame: what a lesson does when it embeds a screen as a
 * widget in part of its page. */
void ql_tui_draw_embedded(ql_tui *t, int y, int x, int lines, int cols);

/* Feeds one key (a byte, or a curses KEY_* code) through the real input
 * path and draws a frame. Returns 1 once the TUI has quit, else 0. */
int ql_tui_feed_key(ql_tui *t, int key);

/* Feeds every byte of a string, one key at a time. */
int ql_tui_feed_keys(ql_tui *t, const char *keys);

/* Feeds every byte of a string at once, as a terminal sends a key's escape
 * sequence ("\033[6~" for PgDn): all are waiting when the first is read. */
int ql_tui_feed_sequence(ql_tui *t, const char *bytes);

/* Feeds a left click at screen position (y, x). */
int ql_tui_feed_click(ql_tui *t, int y, int x);

/* Resizes the virtual terminal (resizeterm queues KEY_RESIZE) and lets the
 * TUI handle it, drawing a frame. */
void ql_tui_resize(ql_tui *t, int lines, int cols);

/* Row y of the screen as UTF-8, trailing blanks removed. */
void ql_tui_row(ql_tui *t, int y, char *buf, size_t n);

/* The whole screen as UTF-8 lines, for messages when a test fails. */
void ql_tui_dump(ql_tui *t, char *buf, size_t n);

/* True if any cell of the screen is drawn with a colour pair. */
int ql_tui_uses_color(ql_tui *t);

/* Leaves the terminal and frees everything. */
void ql_tui_close(ql_tui *t);

#endif
