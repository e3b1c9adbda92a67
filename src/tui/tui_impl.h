/* tui_impl.h — what the TUI's modules share (private to src/tui).
 *
 *   app.c          the main loop: owns the terminal, the windows, the screen
 *                  stack, resizes, signals, overlays (help, command output),
 *                  the status line, and key dispatch through the action table
 *   keys.c         the action table (QL_ACTIONS below): keys, hints, help
 *   theme.c        semantic colour roles, monochrome set, glyphs, text output
 *   prompt.c       GNU readline's callback interface on the bottom line
 *   screen_*.c     one screen each: a state, an action handler, a draw
 *
 * A screen never reads keys and never refreshes the terminal: app.c turns a
 * key into a ql_action and calls the screen's action(), then asks every
 * window to draw itself and calls doupdate() once per frame.
 */
#ifndef QLENS_TUI_IMPL_H
#define QLENS_TUI_IMPL_H

#include <curses.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "qlens/error.h"
#include "qlens/tui.h"

/* The smallest terminal the screens are laid out for. */
#define QL_TUI_MIN_COLS 80
#define QL_TUI_MIN_LINES 24

/* ---- actions (keys.c) ---------------------------------------------------- */

/* Where an action applies. A key is looked up in the top screen's scope
 * first, then in the shared ones. */
enum {
	QL_SC_GLOBAL = 1u << 0, /* anywhere (quit, help, prompt) */
	QL_SC_NAV = 1u << 1,    /* movement, handed to the screen or overlay */
	QL_SC_HOME = 1u << 2,
	QL_SC_BITS = 1u << 3,
	QL_SC_TYPES = 1u << 4,
};

/* X(ID, SCOPE, KEY1, KEY2, KEY3, HINT, HELP)
 * HINT is the word shown after the first key on the status bar (NULL: not
 * shown there); HELP is the line of the '?' overlay. 0 means no key. */
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
	X(UP, QL_SC_NAV, KEY_UP, 'k', 0, NULL, "Move up") \
	X(DOWN, QL_SC_NAV, KEY_DOWN, 'j', 0, NULL, "Move down") \
	X(LEFT, QL_SC_NAV, KEY_LEFT, 'h', 0, NULL, "Move left (in the bit explorer: to the next bit up)") \
	X(RIGHT, QL_SC_NAV, KEY_RIGHT, 'l', 0, NULL, "Move right") \
	X(PAGE_DOWN, QL_SC_NAV, KEY_NPAGE, ' ', 0, NULL, "Page down / step forward") \
	X(PAGE_UP, QL_SC_NAV, KEY_PPAGE, 0, 0, NULL, "Page up / step back") \
	X(FIRST, QL_SC_NAV, KEY_HOME, 'g', 0, NULL, "Go to the first entry") \
	X(LAST, QL_SC_NAV, KEY_END, 'G', 0, NULL, "Go to the last entry") \
	X(OPEN, QL_SC_NAV, '\n', '\r', KEY_ENTER, "open", "Open the entry under the cursor")

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
	QL_R_FRAME,    /* overlay borders and titles */
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

/* Display width of UTF-8 text as ql_put would draw it. */
int ql_text_width(const ql_theme *th, const char *s);

/* Fills row y of w with blanks in role r. */
void ql_fill_row(const ql_theme *th, WINDOW *w, int y, ql_role r);

/* ---- the application (app.c) -------------------------------------------- */

typedef struct ql_app ql_app;

/* A screen: a small state plus a handful of functions (see the top). */
typedef struct ql_screen_ops {
	const char *name;  /* "bits": for ql_tui_main's start_screen */
	const char *title; /* "Bit explorer": on the title bar */
	unsigned scope;    /* QL_SC_*: which actions it receives */
	/* Makes the state; arg is the screen's start argument (may be NULL). */
	void *(*open)(ql_app *app, const char *arg, ql_error *err);
	void (*close)(void *st);
	/* Handles an action; returns true if it did. */
	bool (*action)(ql_app *app, void *st, ql_action a);
	/* A click at (y, x) inside the body window; returns true if handled. */
	bool (*click)(ql_app *app, void *st, int y, int x);
	/* Draws the whole body window (already erased). */
	void (*draw)(ql_app *app, void *st, WINDOW *w);
	/* After a prompt command succeeded: the screen may take it over
	 * (e.g. `bits 0.1` on the bit explorer sets the input). Returns true if
	 * it did, and the command's output is then not shown. May be NULL. */
	bool (*command)(ql_app *app, void *st, int argc, char **argv);
} ql_screen_ops;

extern const ql_screen_ops ql_screen_home;
extern const ql_screen_ops ql_screen_bits;
extern const ql_screen_ops ql_screen_types;

/* The theme in use. */
const ql_theme *ql_app_theme(const ql_app *app);

/* Opens a screen on top of the stack. Returns 0 or -1 (message shown). */
int ql_app_push(ql_app *app, const ql_screen_ops *ops, const char *arg);

/* Shows one line on the status line until the next key. */
void ql_app_message(ql_app *app, ql_role r, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Shows text in the scrollable output overlay. */
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

/* ---- the prompt (prompt.c) ---------------------------------------------- */

/* The longest line the prompt takes, in bytes: a command line is far
 * shorter; a paste beyond it is cut with a notice. */
#define QL_PROMPT_MAX 4096

typedef enum ql_prompt_kind {
	QL_PROMPT_COMMAND, /* ':' — runs a command, kept in the history file */
	QL_PROMPT_VALUE,   /* a value for a screen; not kept */
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
 * through ql_command_run with output captured. */
void ql_app_run_command(ql_app *app, const char *line);

#endif
