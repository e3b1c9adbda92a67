/* tui_impl.h — what the TUI's modules share (private to src/tui).
 *
 *   app.c          the main loop: owns the terminal, the windows, the screen
 *                  stack, resizes, signals, the title and status lines, key
 *                  dispatch through the action table, prompt commands
 *   vterm.c        the virtual terminal the screen tests drive (tui.h)
 *   plot.c         bars and axes: glyphs and scaling for the screens' plots
 *   qx_worker.c    the quantization explorer's background computation (qx.h)
 *   keys.c         the action table (QL_ACTIONS below): keys, hints, help
 *   screen_text.c  the pager, the output screen (a command's output) and
 *                  the help screen ('?': the keys of the screen below)
 *   theme.c        semantic colour roles, monochrome set, glyphs, text output
 *   prompt.c       GNU readline's callback interface on the bottom line
 *   screen_*.c     one screen each: a state, an action handler, a draw
 *
 * A screen never reads keys and never refreshes the terminal: app.c turns a
 * key into a ql_action and calls the screen's action(), then asks every
 * window to draw itself and calls doupdate() once per frame. Screens are
 * listed once, in QL_SCREENS below.
 */
#ifndef QLENS_TUI_IMPL_H
#define QLENS_TUI_IMPL_H

#include <curses.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "qlens/error.h"
#include "qlens/tui.h"

/* The smallest terminal the program is laid out for; a screen may ask for
 * more (min_lines, min_cols, counted in its own window). */
#define QL_TUI_MIN_COLS 80
#define QL_TUI_MIN_LINES 24

/* ---- actions (keys.c) ---------------------------------------------------- */

/* ---- the screens -------------------------------------------------------- */

/* X(ID, name, HOME): every screen, once. From this list come the screen
 * ids, the key scopes (QL_SC_ID), the declarations of ql_screen_name, the
 * screen table (app.c: ql_screen_table[]) and the home menu (HOME is the
 * screen's line there; NULL: not on the menu). A new screen is one line
 * here, its file screen_name.c, and its actions in QL_ACTIONS. */
#define QL_SCREENS(X) \
	X(HOME, home, NULL) \
	X(BITS, bits, "one number in fp32, fp16, bf16, int8 and more, bit by bit") \
	X(TYPES, types, "range and precision of every format, on one axis") \
	X(QUANT, quantize, "a tensor's range, the grid, clipping and the error, live") \
	X(LESSON, lesson, NULL) \
	X(EVAL, eval, "a tiny real model before and after quantization: accuracy, KL, flips") \
	X(OPEN, open, "a checkpoint: tensor tree, statistics, cells, blocks (qlens FILE)") \
	X(FILE, file, NULL) \
	X(TENSOR, tensor, NULL) \
	X(CELLS, cells, NULL) \
	X(BLOCKS, blocks, NULL) \
	X(COMPARE, compare, NULL) \
	X(HELP, help, NULL) \
	X(TEXT, text, NULL)

typedef enum ql_screen_id {
#define QL_SCR_ENUM(id, name, home) QL_SCR_##id,
	QL_SCREENS(QL_SCR_ENUM)
#undef QL_SCR_ENUM
	QL_SCR_COUNT
} ql_screen_id;

/* Where an action applies: everywhere, movement, or one screen (a widget
 * embedded in another screen keeps its own screen's scope). A key is looked
 * up in the active scope first (the focused widget's, else the top
 * screen's), then in the shared ones. */
enum {
	QL_SC_GLOBAL = 1u << 0, /* anywhere (quit, help, prompt) */
	QL_SC_NAV = 1u << 1,    /* movement, handed to the screen */
#define QL_SC_ENUM(id, name, home) QL_SC_##id = 1u << (2 + QL_SCR_##id),
	QL_SCREENS(QL_SC_ENUM)
#undef QL_SC_ENUM
};

/* X(ID, SCOPE, KEY1, KEY2, KEY3, HINT, HELP)
 * HINT is the word shown after the first key on the status bar (NULL: not
 * shown there); HELP is the line of the '?' screen. 0 means no key. */
#define QL_ACTIONS(X) \
	X(QUIT, QL_SC_GLOBAL, 'q', 27, 0, "back", "Go back; on the home screen, quit") \
	X(FORCE_QUIT, QL_SC_GLOBAL, 3, 0, 0, NULL, "Quit qlens at once") \
	X(HELP, QL_SC_GLOBAL, '?', KEY_F(1), 0, "help", "Show this help") \
	X(PROMPT, QL_SC_GLOBAL, ':', 0, 0, "command", "Command prompt: the CLI's commands (Tab completes, Up recalls)") \
	X(REDRAW, QL_SC_GLOBAL, 12, 0, 0, NULL, "Redraw the whole screen") \
	X(SUSPEND, QL_SC_GLOBAL, 26, 0, 0, NULL, "Suspend qlens (fg brings it back)") \
	X(FLIP, QL_SC_BITS, ' ', 0, 0, "flip", "Flip the bit under the cursor; that row's value becomes the input") \
	X(STEP_UP, QL_SC_BITS, '+', '=', 0, "next", "Step the row to the next representable value") \
	X(STEP_DOWN, QL_SC_BITS, '-', '_', 0, "prev", "Step the row to the previous representable value") \
	X(EDIT, QL_SC_BITS, 'e', 0, 0, "edit", "Type a new input (0.1, 1/3, -2.5e-3, 0x1.8p-2, inf, nan); Enter too") \
	X(MORE, QL_SC_BITS, 'f', 0, 0, "formats", "Cycle in the next format (fp8, fp6, fp4, int4, nf4, fp64, ...)") \
	X(DROP, QL_SC_BITS, 'x', 0, 0, NULL, "Remove the format under the cursor (not the first four)") \
	X(DIGITS, QL_SC_BITS, 'd', 0, 0, "digits", "Show every digit of the exact values, or as many as fit") \
	X(BITS_DOWN, QL_SC_QUANT, 'b', 0, 0, "bits", "One bit fewer: 8 -> 7 -> 6 -> 5 -> 4 -> 3 -> 2 (then 8 again)") \
	X(BITS_UP, QL_SC_QUANT, 'B', 0, 0, NULL, "One bit more: 2 -> 3 -> ... -> 8") \
	X(SYMMETRY, QL_SC_QUANT, 's', 0, 0, "sym", "Symmetric or asymmetric range") \
	X(SIGNED, QL_SC_QUANT, 'u', 0, 0, NULL, "Signed or unsigned integer codes (int4 <-> uint4)") \
	X(GRANULARITY, QL_SC_QUANT, 'g', 0, 0, "gran", "Granularity: per tensor, per channel (each axis), per group of 32, 64, 128, 256") \
	X(FAMILY, QL_SC_QUANT, 't', 0, 0, "format", "Format, in turn: int, fp8_e4m3, fp8_e5m2, mxfp8, mxfp4, mxint8, nf4, q8_0, q4_0") \
	X(CALIB, QL_SC_QUANT, 'c', 0, 0, "calib", "Calibration: minmax, percentile, mse, entropy (each one's clip is marked: M P E K)") \
	X(PCT_DOWN, QL_SC_QUANT, 'p', 0, 0, NULL, "Percentile P down (99.99, 99.9, 99.5, 99, 98, 95, 90)") \
	X(PCT_UP, QL_SC_QUANT, 'P', 0, 0, NULL, "Percentile P up") \
	X(CLIP_LO_DOWN, QL_SC_QUANT, '[', 0, 0, "clip", "Manual clip: lo left (integer formats, per tensor)") \
	X(CLIP_LO_UP, QL_SC_QUANT, ']', 0, 0, NULL, "Manual clip: lo right") \
	X(CLIP_HI_DOWN, QL_SC_QUANT, '{', 0, 0, NULL, "Manual clip: hi left") \
	X(CLIP_HI_UP, QL_SC_QUANT, '}', 0, 0, NULL, "Manual clip: hi right") \
	X(CLIP_SYM, QL_SC_QUANT, '=', 0, 0, NULL, "Manual clip: symmetric again, [-m, m] with m the larger end") \
	X(CLIP_AUTO, QL_SC_QUANT, 'a', 0, 0, NULL, "Back to the calibration's clip") \
	X(OUTLIER, QL_SC_QUANT, 'o', 0, 0, "outlier", "Add or remove one outlier (10 x the tensor's absmax, mid-tensor)") \
	X(LOG_COUNTS, QL_SC_QUANT, 'L', 0, 0, NULL, "Linear or log counts in both histograms") \
	X(ZOOM_IN, QL_SC_QUANT, 'z', 0, 0, "zoom", "Zoom in on the cursor") \
	X(ZOOM_OUT, QL_SC_QUANT, 'Z', 0, 0, NULL, "Zoom out") \
	X(PAN_LEFT, QL_SC_QUANT, '<', ',', 0, NULL, "Pan left") \
	X(PAN_RIGHT, QL_SC_QUANT, '>', '.', 0, NULL, "Pan right") \
	X(SAMPLE, QL_SC_QUANT, 'n', 0, 0, "sample", "Next sample tensor (assets/samples)") \
	X(OPEN_FILE, QL_SC_QUANT, 'f', 0, 0, NULL, "Open a file: FILE [--tensor NAME] [quantize's scheme options]") \
	X(EV_MODEL, QL_SC_EVAL, 'm', 0, 0, "model", "Switch the model: digits or chars") \
	X(EV_NEXT, QL_SC_EVAL, 's', '>', 0, "scheme", "Next scheme") \
	X(EV_PREV, QL_SC_EVAL, 'S', '<', 0, NULL, "Previous scheme") \
	X(EV_ACT, QL_SC_EVAL, 'a', 0, 0, "activations", "Activations: none, int8-dynamic, int8-static") \
	X(UP, QL_SC_NAV, KEY_UP, 'k', 0, NULL, "Move up") \
	X(DOWN, QL_SC_NAV, KEY_DOWN, 'j', 0, NULL, "Move down") \
	X(LEFT, QL_SC_NAV, KEY_LEFT, 'h', 0, NULL, "Move left (in the bit explorer: to the next bit up)") \
	X(RIGHT, QL_SC_NAV, KEY_RIGHT, 'l', 0, NULL, "Move right") \
	X(PAGE_DOWN, QL_SC_NAV, KEY_NPAGE, ' ', 0, NULL, "Page down / step forward") \
	X(PAGE_UP, QL_SC_NAV, KEY_PPAGE, 0, 0, NULL, "Page up / step back") \
	X(FIRST, QL_SC_NAV, KEY_HOME, 'g', 0, NULL, "Go to the first entry") \
	X(LAST, QL_SC_NAV, KEY_END, 'G', 0, NULL, "Go to the last entry") \
	X(PATH, QL_SC_OPEN, 'o', 0, 0, "path", "Type a file's path (Tab completes)") \
	X(PATH_START, QL_SC_OPEN, '/', '~', '.', NULL, "Type a path that starts with this key: /, ~ or .") \
	X(FORGET, QL_SC_OPEN, 'x', KEY_DC, 0, NULL, "Remove the file under the cursor from the recent list") \
	X(SORT, QL_SC_FILE, 's', 0, 0, "sort", "Sort by name (layer 2 before 10) or by size") \
	X(FILTER, QL_SC_FILE, '/', 0, 0, "filter", "Show only tensors whose name contains the text (as you type; Enter keeps it, Esc puts the one before back)") \
	X(META, QL_SC_FILE, 'm', 0, 0, "metadata", "Show the file's metadata (GGUF key/values, safetensors __metadata__)") \
	X(EXPAND_ALL, QL_SC_FILE, '*', 0, 0, "all", "Expand every group, or collapse them all") \
	X(COLLAPSE, QL_SC_FILE, KEY_BACKSPACE, 0, 0, NULL, "Collapse the group (or go to the parent group)") \
	X(HIST_LOG, QL_SC_TENSOR, 'L', 0, 0, "log", "Histogram counts on a log scale, or linear") \
	X(NEXT_TENSOR, QL_SC_TENSOR, 'n', 0, 0, "next", "The next tensor of the file") \
	X(PREV_TENSOR, QL_SC_TENSOR, 'p', 'N', 0, "prev", "The previous tensor of the file") \
	X(CELLS, QL_SC_TENSOR, 'c', 0, 0, "cells", "Quantize the tensor and show it value by value (the cells view)") \
	X(COMPARE, QL_SC_TENSOR, 'C', 0, 0, "compare", "Compare quantization schemes on this tensor") \
	X(EXPLORE, QL_SC_TENSOR, 'e', 0, 0, "explore", "Open the quantization explorer on this tensor with the scheme (the cells view until there is one)") \
	X(BLOCKS, QL_SC_TENSOR | QL_SC_CELLS, 'b', 0, 0, "blocks", "The blocks view: raw bytes and decoded fields of the block formats") \
	X(SCHEME, QL_SC_TENSOR | QL_SC_CELLS | QL_SC_BLOCKS, 'S', 0, 0, "scheme", "Type a scheme word (int4/g32, q4_0, nf4, uint8/asym/ch ...)") \
	X(SHOW, QL_SC_CELLS, 'v', 0, 0, "show", "Show the original values, the codes, the dequantized values or the errors") \
	X(HEAT, QL_SC_CELLS, 'H', 0, 0, "heat", "Heat map: shade the cells by |value| (or |error|), or back to numbers") \
	X(AXES, QL_SC_CELLS, 'a', 0, 0, "axes", "Show another pair of axes as rows and columns (3-D and more)") \
	X(WORST, QL_SC_CELLS | QL_SC_BLOCKS, 'E', 0, 0, "worst", "Go to the largest error") \
	X(GOTO, QL_SC_CELLS | QL_SC_BLOCKS, 'i', 0, 0, "index", "Go to an index (row,col or every axis; a block number in the blocks view)") \
	X(EXPORT, QL_SC_CELLS | QL_SC_COMPARE, 'w', 0, 0, "write", "Write the quantized tensor, as qlens quantize -o writes it") \
	X(OPEN, QL_SC_NAV, '\n', '\r', KEY_ENTER, "open", "Open the entry under the cursor") \
	X(L_NEXT, QL_SC_LESSON, KEY_NPAGE, ' ', KEY_RIGHT, "next", "Next step (PgDn, Space, Right; Enter too when nothing is selected)") \
	X(L_PREV, QL_SC_LESSON, KEY_PPAGE, KEY_LEFT, 0, "prev", "Previous step") \
	X(L_ENTER, QL_SC_LESSON, '\n', '\r', KEY_ENTER, NULL, "Open the selected widget, answer the selected quiz, edit and run the selected task; nothing selected: next step") \
	X(L_SELECT, QL_SC_LESSON, '\t', KEY_BTAB, 0, "select", "Select the next widget, quiz or task of the step (Shift-Tab: the one before)") \
	X(L_GOTO, QL_SC_LESSON, 'g', 0, 0, "go to", "Go to a step by its number (typing digits jumps too: 1, then 2 for step 12)") \
	X(L_DIGIT1, QL_SC_LESSON, '1', '2', '3', NULL, "Jump to step 1, 2, 3 (two digits within 1.5 s: 12)") \
	X(L_DIGIT2, QL_SC_LESSON, '4', '5', '6', NULL, "Jump to step 4, 5, 6") \
	X(L_DIGIT3, QL_SC_LESSON, '7', '8', '9', NULL, "Jump to step 7, 8, 9 (0 after a digit: 10, 20)") \
	X(L_DIGIT0, QL_SC_LESSON, '0', 0, 0, NULL, "A second digit 0 (step 10)") \
	X(L_PRESENT, QL_SC_LESSON, 'p', 0, 0, "present", "Presenter mode on or off: large, centred, no bars") \
	X(L_BLANK, QL_SC_LESSON, 'b', 0, 0, NULL, "Blank the screen (presenter mode); b again shows it") \
	X(L_EDIT, QL_SC_LESSON, 'e', 0, 0, NULL, "Edit the selected task's command")

typedef enum ql_action {
	QL_ACT_NONE,
#define QL_ACT_ENUM(id, scope, k1, k2, k3, hint, help) QL_ACT_##id,
	QL_ACTIONS(QL_ACT_ENUM)
#undef QL_ACT_ENUM
	QL_ACT_COUNT
} ql_action;

typedef struct ql_action_info {
	const char *name; /* "STEP_UP" */
	unsigned scope;
	int keys[3];
	const char *hint;
	const char *help;
} ql_action_info;

extern const ql_action_info ql_action_table[QL_ACT_COUNT];

/* The action `key` means for a screen of scope `scope`, or QL_ACT_NONE. */
ql_action ql_action_for_key(unsigned scope, int key);

/* A key's name for people: "q", "Esc", "Space", "Enter", "PgDn", "Ctrl-C". */
const char *ql_key_label(int key, bool utf8, char *buf, size_t n);

/* The longest escape sequence read as one (longer ones are dropped). */
#define QL_KEY_SEQ_MAX 32

/* Decodes the bytes that followed an Esc, seq[0..n) (keys as wgetch gives
 * them), as a CSI or SS3 escape sequence: xterm's, rxvt's, the Linux
 * console's, whatever the terminal type says. Returns -1 if more bytes are
 * needed; 0 if they do not start one (the Esc was a lone Esc, and seq[0]
 * is a key of its own); else how many of them the sequence takes, with
 * *key its key (KEY_NPAGE...), or ERR for a sequence that is no key here
 * (a mouse report, Shift-F5): dropped, not an Esc and some letters. */
int ql_key_sequence(const int *seq, int n, int *key);

/* ---- theme (theme.c) ----------------------------------------------------- */

typedef enum ql_role {
	QL_R_NORMAL,
	QL_R_TITLE,    /* top bar */
	QL_R_STATUS,   /* bottom line with hints */
	QL_R_KEY,      /* a key name in a hint */
	QL_R_ERROR,    /* a failed command's message */
	QL_R_INFO,     /* a neutral message */
	QL_R_DIM,      /* secondary text */
	QL_R_LABEL,    /* row labels, table headers */
	QL_R_VALUE,    /* an exact stored value */
	QL_R_SIGN,     /* sign bit cells */
	QL_R_EXP,      /* exponent bit cells */
	QL_R_MAN,      /* mantissa bit cells */
	QL_R_INT,      /* integer and codebook bit cells */
	QL_R_CURSOR,   /* the bit under the cursor */
	QL_R_SELECTED, /* the selected list entry */
	QL_R_GOOD,     /* exact, no error */
	QL_R_WARN,     /* overflow, underflow, NaN */
	QL_R_AXIS,     /* normal range on the log axis */
	QL_R_AXIS_SUB, /* subnormal range on the log axis */
	QL_R_FRAME,    /* pager borders and titles */
	QL_R_COUNT
} ql_role;

typedef struct ql_glyphs {
	const char *ellipsis, *hline, *vline, *tl, *tr, *bl, *br;
	const char *bar, *bar_sub, *more_left, *more_right, *pointer, *times, *sep;
} ql_glyphs;

typedef struct ql_theme {
	bool color;   /* colour pairs in use */
	bool utf8;    /* the locale's codeset is UTF-8 */
	ql_glyphs g;
} ql_theme;

/* Decides colour (has_colors() and no NO_COLOR) and glyphs (nl_langinfo),
 * and sets up the colour pairs. Call after newterm()/initscr(). */
void ql_theme_init(ql_theme *th);
attr_t ql_theme_attr(const ql_theme *th, ql_role r);

/* Writes UTF-8 text at (y, x), at most maxw columns (clipped at the window's
 * edge too). In ASCII mode, known symbols become ASCII ("×" -> "x", "…" ->
 * "...") and other non-ASCII characters '?'. Control characters are
 * skipped. Returns the columns written. */
int ql_put(const ql_theme *th, WINDOW *w, int y, int x, int maxw, ql_role r, const char *s);

/* ql_put, but text wider than maxw ends at a word with an ellipsis
 * ("one number in fp32, fp16…") instead of being cut mid-word. */
int ql_put_fit(const ql_theme *th, WINDOW *w, int y, int x, int maxw, ql_role r, const char *s);

/* A file's path: whole where it fits, else an ellipsis and its end, from a
 * '/' where one is left ("…/inspect/model.safetensors"): the file's name
 * is what matters. */
int ql_put_path(const ql_theme *th, WINDOW *w, int y, int x, int maxw, ql_role r, const char *path);

/* Display width of UTF-8 text as ql_put would draw it. */
int ql_text_width(const ql_theme *th, const char *s);

/* Text over as many rows as it needs, broken at spaces (a word wider than
 * width is cut between two characters); on the window's last row the rest
 * is fitted as ql_put_fit does. Returns the rows used. */
int ql_put_wrapped(const ql_theme *th, WINDOW *w, int y, int x, int width, ql_role r, const char *text);

/* The rows ql_put_wrapped takes for s at width (no window's end). */
int ql_text_rows(const ql_theme *th, const char *s, int width);

/* The first line of s wrapped at width: its length in bytes; *next (may be
 * NULL) is where the next line starts, past the spaces at the break. */
size_t ql_wrap_cut(const ql_theme *th, const char *s, int width, const char **next);

/* Fills row y of w with blanks in role r. */
void ql_fill_row(const ql_theme *th, WINDOW *w, int y, ql_role r);

/* ---- large titles (bigfont.c) --------------------------------------------- */

#define QL_BIGFONT_ROWS 5
/* Columns text takes in the 5x5 block font (6 per character), or -1 when
 * it holds a character beyond ASCII. */
int ql_bigfont_width(const char *text);
/* Draws text in the block font with its top-left corner at (y, x). */
void ql_bigfont_draw(const ql_theme *th, WINDOW *w, int y, int x, ql_role r, const char *text);

/* ---- the application (app.c) -------------------------------------------- */

typedef struct ql_app ql_app;

/* A screen: a small state plus a handful of functions (see the top). A
 * screen draws into whatever window it is given (the body, or a part of a
 * lesson's page when embedded as a widget): it sizes itself from getmaxy()
 * and getmaxx() of that window, never from LINES and COLS. */
typedef struct ql_screen_ops {
	const char *name;  /* "bits": for `qlens ... --tui` and ql_tui_main */
	const char *title; /* "Bit explorer": on the title bar */
	unsigned scope;    /* QL_SC_*: which actions it receives */
	int min_lines, min_cols; /* the smallest window it can draw in */
	/* Makes the state from the screen's arguments, as a command takes
	 * them (argv[0] is the first argument, not a name; argc may be 0). */
	void *(*open)(ql_app *app, int argc, char **argv, ql_error *err);
	void (*close)(void *st);
	/* Handles an action; returns true if it did. */
	bool (*action)(ql_app *app, void *st, ql_action a);
	/* A click at (y, x) inside the screen's window; true if handled. May
	 * be NULL. */
	bool (*click)(ql_app *app, void *st, int y, int x);
	/* Draws into w (already erased), all of it. */
	void (*draw)(ql_app *app, void *st, WINDOW *w);
	/* After a prompt command succeeded: the screen may take it over
	 * (e.g. `bits 0.1` on the bit explorer sets the input). Returns true if
	 * it did, and the command's output is then not shown. May be NULL. */
	bool (*command)(ql_app *app, void *st, int argc, char **argv);
	/* The scope of the keys right now, when it depends on the state (a
	 * focused widget's); NULL means `scope`. */
	unsigned (*key_scope)(const void *st);
	/* Called about every 50 ms while the screen is on top, for work that
	 * finishes in the background; returns true if the screen must be
	 * redrawn. May be NULL. */
	bool (*tick)(ql_app *app, void *st);
	/* Called once when the screen is on the stack, after open: it may open
	 * another screen on top (`qlens FILE --tensor NAME`). May be NULL. */
	void (*opened)(ql_app *app, void *st);
	/* True when the screen wants the whole terminal, no title or status
	 * bar (presenter mode). May be NULL. */
	bool (*fullscreen)(const void *st);
} ql_screen_ops;

#define QL_SCR_DECL(id, name, home) extern const ql_screen_ops ql_screen_##name;
QL_SCREENS(QL_SCR_DECL)
#undef QL_SCR_DECL

/* Every screen, by id (app.c, made from QL_SCREENS). */
extern const ql_screen_ops *const ql_screen_table[QL_SCR_COUNT];
/* The home menu's line of each screen (NULL: not listed). */
extern const char *const ql_screen_home_line[QL_SCR_COUNT];

/* The screen called `name`, or NULL. */
const ql_screen_ops *ql_screen_find(const char *name);

/* The theme in use. */
const ql_theme *ql_app_theme(const ql_app *app);

/* Opens a screen on top of the stack with its arguments. Returns 0 or -1
 * (the message shown on the status line). */
int ql_app_push(ql_app *app, const ql_screen_ops *ops, int argc, char **argv);

/* Closes the top screen (the app quits when none is left). */
void ql_app_pop(ql_app *app);

/* The top screen's operations and state (NULL when none), and the scope its
 * keys have now. */
const ql_screen_ops *ql_app_top(const ql_app *app, void **st);
unsigned ql_app_key_scope(const ql_app *app);

/* The key being handled (for screens whose action covers several keys,
 * the digits). */
int ql_app_last_key(const ql_app *app);

/* The depth of the screen stack (1: only the first screen). */
int ql_app_depth(const ql_app *app);

/* Shows one line on the status line until the next key. */
void ql_app_message(ql_app *app, ql_role r, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The same, drawn at once: for a screen about to hold the UI thread for a
 * moment (a big tensor read), so the wait has words on it. */
void ql_app_message_now(ql_app *app, ql_role r, const char *text);
/* Takes the status line's message away (the wait it told of is over). */
void ql_app_message_clear(ql_app *app);

/* Shows text on the output screen (a pager; q closes it). Replaces the
 * output screen if it is already on top. */
void ql_app_show_text(ql_app *app, const char *title, const char *text, size_t len);

/* Asks the app to quit after this key. */
void ql_app_quit(ql_app *app);

/* ---- a paste read in blocks (burst.c) -------------------------------------- */

typedef struct ql_burst {
	unsigned char buf[4096];
	int len, pos; /* bytes read, bytes used */
} ql_burst;

/* Reads what is already waiting on fd (never blocks); true if there are
 * bytes to use. */
bool ql_burst_fill(ql_burst *b, int fd);
bool ql_burst_pending(const ql_burst *b);
/* The next byte if it is printable (taken), else -1 (left). */
int ql_burst_printable(ql_burst *b);
/* The next key: a byte, or KEY_UP etc. for a cursor key's escape sequence
 * (reading the rest of a cut sequence from fd); ERR when nothing is left. */
int ql_burst_key(ql_burst *b, int fd);

/* ---- fatal signals (signals.c) --------------------------------------------- */

/* Saves the tty modes the shell had (before curses changes them). */
void ql_tui_signals_save_tty(void);
/* After newterm: every default-fatal signal except SIGINT/TERM/HUP gives
 * the terminal back, removes temporary outputs and dies as it would have. */
void ql_tui_signals_install(void);
/* Puts the previous handlers back. */
void ql_tui_signals_remove(void);
/* Around a command the loop waits for: begin gives the flag to pass as
 * ql_cmd_ctx.cancel; end says whether it was set (Ctrl-C). */
const volatile int *ql_tui_command_begin(void);
bool ql_tui_command_end(void);
/* From the SIGINT/SIGTERM/SIGHUP handler: false when no command runs (the
 * loop quits); during one, the first SIGINT sets the cancel flag (true),
 * anything else gives the terminal back and _exits with 128 + sig. */
bool ql_tui_signals_quit_request(int sig);

/* ---- the pager (screen_text.c: the help and output screens) -------------- */

typedef struct ql_pager ql_pager;

/* A pager over a copy of text (lines split at '\n', tabs expanded). */
ql_pager *ql_pager_new(const char *title, const char *text, size_t len, ql_error *err);
void ql_pager_free(ql_pager *p);
/* Scrolls; returns true if the action was a pager's. */
bool ql_pager_action(ql_pager *p, ql_action a, int page);
/* A frame with the title, the visible lines, and "N-M of K". */
void ql_pager_draw(ql_pager *p, const ql_theme *th, WINDOW *w);

/* ---- plots (plot.c) ----------------------------------------------------- */

struct ql_hist;

/* The column (0..width-1) of v on an axis [lo, hi] of width cells; -1 left
 * of it, width right of it. */
int ql_plot_col(double v, double lo, double hi, int width);

/* Sums the counts of h's bins into width columns over [lo, hi] (a bin goes
 * to the column of its centre; bins outside are left out). */
void ql_plot_columns(const struct ql_hist *h, double lo, double hi, int width, double *out);

/* Bars of width columns, bottom on row y0 + rows - 1: a[c] in role ra
 * (eighth blocks), and b[c] (may be NULL) stacked on top in role rb
 * (shaded cells); the tallest stack fills the rows; logc: log10(1 + n). */
void ql_plot_bars(const ql_theme *th, WINDOW *w, int y0, int x0, int rows, const double *a,
		  const double *b, int width, bool logc, ql_role ra, ql_role rb);

/* One row of eighth blocks (ASCII " .:-=+*#@") for n values over at most
 * width columns, each column the largest |v| of its share, scaled to the
 * largest of all: a glance at many scales, outliers standing up. The
 * column holding element `sel` is drawn in role rs. */
void ql_plot_strip(const ql_theme *th, WINDOW *w, int y, int x0, int width, const float *v, int64_t n,
		   int64_t sel, ql_role r, ql_role rs);

/* ---- the prompt (prompt.c) ---------------------------------------------- */

/* The longest line the prompt takes, in bytes: a command line is far
 * shorter; a paste beyond it is cut with a notice. */
#define QL_PROMPT_MAX 4096

typedef enum ql_prompt_kind {
	QL_PROMPT_COMMAND, /* ':' — runs a command, kept in the history file */
	QL_PROMPT_VALUE,   /* a value for a screen; not kept */
	QL_PROMPT_PATH,    /* a file's path: Tab completes file names, a leading
			      ~ or ~user is expanded; not kept */
	QL_PROMPT_KEY,     /* a question one key answers ((y/n)): the first
			      printable key is the line, no Enter needed */
} ql_prompt_kind;

/* Called with the accepted line, or NULL if the prompt was cancelled. */
typedef void (*ql_prompt_done_fn)(ql_app *app, void *data, const char *line);

typedef struct ql_prompt ql_prompt;

/* Sets readline up for use inside curses and loads the history file. */
ql_prompt *ql_prompt_new(void);
void ql_prompt_free(ql_prompt *p);

/* Starts editing on the bottom line with `label` ("" or "value: ") and the
 * initial text (may be NULL). */
void ql_prompt_open(ql_prompt *p, ql_prompt_kind kind, const char *label, const char *initial,
		    ql_prompt_done_fn done, void *data);
bool ql_prompt_active(const ql_prompt *p);
/* The text being edited ("" when the prompt is not active): a screen that
 * follows the typing (the tree's filter) reads it at each frame. */
const char *ql_prompt_text(const ql_prompt *p);

/* Hands one key to readline (bytes as they are; curses KEY_* codes are
 * translated). May call the done function. Esc cancels. */
void ql_prompt_key(ql_prompt *p, ql_app *app, int key);

/* Draws the prompt line into row 0 of w and leaves w's cursor on the
 * editing point. */
void ql_prompt_draw(ql_prompt *p, const ql_theme *th, WINDOW *w);

/* The app's one prompt, for screens that ask for a value. */
ql_prompt *ql_app_prompt(ql_app *app);

/* The history file's path (for messages and tests); "" if none. */
const char *ql_prompt_history_path(const ql_prompt *p);

/* Runs a prompt line as a CLI command (app.c): built-ins quit/q, the rest
 * through ql_app_run_captured with output captured. */
void ql_app_run_command(ql_app *app, const char *line);
/* A command's output and errors, captured (free both). */
typedef struct ql_captured {
	char *out, *err;
	size_t out_len, err_len;
} ql_captured;
/* ql_command_run for the explorer, its output and errors captured into
 * *cap (ctx's out and err are set here): the status line says it runs and
 * that Ctrl-C stops it, and Ctrl-C sets ctx->cancel meanwhile (the message
 * is cleared after). Returns its exit status, or -1 with "out of memory"
 * on the status line (nothing run, *cap empty). */
struct ql_cmd_ctx;
int ql_app_run_captured(ql_app *app, struct ql_cmd_ctx *ctx, int argc, char **argv,
			ql_captured *cap);

#endif
