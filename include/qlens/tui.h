/* tui.h — the full-screen face of qlens (ncurses).
 *
 * `qlens` with no command calls ql_tui_main(NULL, NULL): the home screen.
 * `qlens bits VALUE --tui` calls ql_tui_main("bits", VALUE): the bit
 * explorer on VALUE. The TUI owns the terminal until it returns, and always
 * gives it back clean (q, Ctrl-C, SIGTERM, fatal signals).
 *
 * The second half of this header drives the same screens without a terminal
 * program around them: the screen tests open them on newterm() over
 * /dev/null at a fixed size, feed keys, and read the screen back.
 */
#ifndef QLENS_TUI_H
#define QLENS_TUI_H

#include <stddef.h>
#include "qlens/error.h"

/* start_screen: NULL or "home", "bits", "types". start_value: the bit
 * explorer's input ("1/3", "0.1", "0x1p-3", "inf"); NULL means 1/3.
 * Returns an exit status (0 ok; 1 no terminal; 2 unknown screen or bad
 * value, reported as one line "qlens: ..." on stderr before the terminal is
 * touched). */
int ql_tui_main(const char *start_screen, const char *start_value);

/* ---- embedding and testing ---------------------------------------------- */

typedef struct ql_tui ql_tui;

/* Opens the TUI on a virtual terminal of the given size (newterm over
 * /dev/null, terminal type `term`, e.g. "xterm-256color"), without signal
 * handlers. Colours follow NO_COLOR and the terminal type; glyphs follow the
 * locale. Draws the first frame. Returns NULL with err set on failure. */
ql_tui *ql_tui_open_virtual(const char *term, int lines, int cols,
			    const char *start_screen, const char *start_value,
			    ql_error *err);

/* Feeds one key (a byte, or a curses KEY_* code) through the real input
 * path and draws a frame. Returns 1 once the TUI has quit, else 0. */
int ql_tui_feed_key(ql_tui *t, int key);

/* Feeds every byte of a string, one key at a time. */
int ql_tui_feed_keys(ql_tui *t, const char *keys);

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
