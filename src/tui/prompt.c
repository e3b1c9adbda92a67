/* prompt.c — GNU readline on the bottom line of a curses screen.
 *
 * readline's callback interface does the editing; curses keeps the
 * terminal. The main loop hands each key to ql_prompt_key(), which queues
 * its bytes and calls rl_callback_read_char() until readline has eaten them
 * (rl_getc_function and rl_input_available_hook read the queue). readline's
 * own terminal handling is switched off: no prep/deprep of the tty, no
 * signal or SIGWINCH handlers, no LINES/COLUMNS in the environment, output
 * to /dev/null (it writes a newline there when a line is accepted). The
 * line is drawn from rl_line_buffer and rl_point at each frame.
 *
 * curses decodes the cursor keys (keypad is on for the whole program, so
 * Esc alone can cancel the prompt); they are translated here into the
 * readline functions they are bound to by default.
 *
 * A line holds at most QL_PROMPT_MAX bytes: keys that would insert more
 * are dropped, and the hint beside the line says so. The line is drawn
 * from its visible part only (the characters that fit before the cursor),
 * so a long paste costs a frame per screenful, not per character squared.
 *
 * History: command lines (not values) are kept in
 * $XDG_STATE_HOME/qlens/history (default ~/.local/state/qlens/history),
 * loaded at start, appended at each command, trimmed to 1000 lines.
 * Tab completes command names (first word), type names (after --types,
 * --type, -t, --to, and for dtypes), quantization targets (after --dtype)
 * and file paths (elsewhere).
 */
#include "tui_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <wchar.h>

#include <readline/history.h>
#include <readline/readline.h>

#include "qlens/command.h"
#include "qlens/format.h"
#include "qlens/scheme.h"

#define HISTORY_MAX 1000

struct ql_prompt {
	bool active;
	ql_prompt_kind kind;
	char label[32];
	ql_prompt_done_fn done;
	void *data;
	unsigned char queue[64];
	int qhead, qlen;
	FILE *devnull;
	char history_path[4096];
	char matches[256]; /* the last Tab's candidates, or the length notice,
			      shown beside the line */
	bool too_long;     /* keys were dropped at QL_PROMPT_MAX: matches says so */
	unsigned char mb[4]; /* a UTF-8 character arriving byte by byte */
	int mb_len, mb_need;
};

/* readline's hooks take no user pointer: the one prompt in use. */
static ql_prompt *current;
static bool got_line;
static char *line_got;

static int prompt_getc(FILE *f)
{
	(void)f;
	ql_prompt *p = current;
	if (!p || p->qlen == 0)
		return EOF;
	int c = p->queue[p->qhead];
	p->qhead = (p->qhead + 1) % (int)sizeof p->queue;
	p->qlen--;
	return c;
}

static int prompt_input_available(void)
{
	return current && current->qlen > 0;
}

static void prompt_redisplay(void)
{
	/* drawn by ql_prompt_draw() at the next frame */
}

static void line_handler(char *line)
{
	got_line = true;
	line_got = line;
	/* Leave callback mode from inside the handler, as readline allows. */
	rl_callback_handler_remove();
}

static void display_matches(char **matches, int num, int max_length)
{
	(void)max_length;
	ql_prompt *p = current;
	if (!p)
		return;
	size_t k = 0;
	p->matches[0] = '\0';
	for (int i = 1; i <= num && k + 1 < sizeof p->matches; i++)
		k += (size_t)snprintf(p->matches + k, sizeof p->matches - k, "%s%s", i > 1 ? "  " : "",
				      matches[i]);
}

/* ---- completion ---------------------------------------------------------- */

static int comp_index;
static size_t comp_len;

static char *command_generator(const char *text, int state)
{
	if (!state) {
		comp_index = 0;
		comp_len = strlen(text);
	}
	static const char *const builtins[] = {"quit"};
	while (comp_index < ql_command_count + 1) {
		int i = comp_index++;
		const char *name = i < ql_command_count ? ql_commands[i].name : builtins[0];
		if (strncmp(name, text, comp_len) == 0)
			return strdup(name);
	}
	return NULL;
}

/* Type names, completing the last entry of a comma-separated list. */
static char *type_generator(const char *text, int state)
{
	const char *last = strrchr(text, ',');
	const char *word = last ? last + 1 : text;
	size_t keep = (size_t)(word - text);
	if (!state) {
		comp_index = 0;
		comp_len = strlen(word);
	}
	while (comp_index < QL_TYPE_COUNT) {
		const char *name = ql_formats[comp_index++].name;
		if (strncmp(name, word, comp_len) == 0) {
			char *s = malloc(keep + strlen(name) + 1);
			if (!s)
				return NULL;
			memcpy(s, text, keep);
			strcpy(s + keep, name);
			return s;
		}
	}
	return NULL;
}

/* Quantization targets (--dtype): int4, int5, q4_0, nf4, mxfp4, q6_k... */
static char *target_generator(const char *text, int state)
{
	if (!state) {
		comp_index = 0;
		comp_len = strlen(text);
	}
	while (comp_index < ql_qdtype_count()) {
		const char *name = ql_qdtype_name((ql_qdtype)comp_index++);
		if (name && strncmp(name, text, comp_len) == 0)
			return strdup(name);
	}
	return NULL;
}

/* What the word being completed names, from the one before it: 1 number
 * formats (a list), 2 a quantization target, 0 neither. */
static int wants_types(int start)
{
	/* The words before the one being completed. */
	char buf[512];
	int n = start < (int)sizeof buf - 1 ? start : (int)sizeof buf - 1;
	memcpy(buf, rl_line_buffer, (size_t)n);
	buf[n] = '\0';
	char *words[64];
	int nw = 0;
	for (char *tok = strtok(buf, " \t"); tok && nw < 64; tok = strtok(NULL, " \t"))
		words[nw++] = tok;
	if (nw == 0)
		return false;
	const char *prev = words[nw - 1];
	if (strcmp(prev, "--dtype") == 0)
		return 2;
	if (strcmp(prev, "--types") == 0 || strcmp(prev, "-t") == 0 || strcmp(prev, "--type") == 0 ||
	    strcmp(prev, "--to") == 0)
		return 1;
	return strcmp(words[0], "dtypes") == 0 && prev[0] == '-';
}

static char **complete(const char *text, int start, int end)
{
	(void)end;
	rl_attempted_completion_over = 1; /* no default fallback */
	if (current && current->kind == QL_PROMPT_PATH)
		return rl_completion_matches(text, rl_filename_completion_function);
	int first = 0;
	while (first < start && (rl_line_buffer[first] == ' ' || rl_line_buffer[first] == '\t'))
		first++;
	if (first == start)
		return rl_completion_matches(text, command_generator);
	int kind = wants_types(start);
	if (kind) {
		rl_completion_append_character = strchr(text, ',') ? '\0' : ' ';
		return rl_completion_matches(text, kind == 2 ? target_generator : type_generator);
	}
	return rl_completion_matches(text, rl_filename_completion_function);
}

/* ---- history file -------------------------------------------------------- */

static int mkdir_p(char *path)
{
	for (char *s = path + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		int r = mkdir(path, 0700);
		*s = '/';
		if (r && errno != EEXIST)
			return -1;
	}
	return mkdir(path, 0700) && errno != EEXIST ? -1 : 0;
}

static void history_setup(ql_prompt *p)
{
	const char *state = getenv("XDG_STATE_HOME");
	const char *home = getenv("HOME");
	char dir[4000];
	if (state && state[0] == '/')
		snprintf(dir, sizeof dir, "%s/qlens", state);
	else if (home && home[0])
		snprintf(dir, sizeof dir, "%s/.local/state/qlens", home);
	else
		return;
	if (mkdir_p(dir))
		return;
	snprintf(p->history_path, sizeof p->history_path, "%s/history", dir);
	int fd = open(p->history_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0) {
		p->history_path[0] = '\0';
		return;
	}
	close(fd);
	read_history(p->history_path);
}

const char *ql_prompt_history_path(const ql_prompt *p)
{
	return p->history_path;
}

/* ---- the prompt ---------------------------------------------------------- */

ql_prompt *ql_prompt_new(void)
{
	ql_prompt *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	p->devnull = fopen("/dev/null", "w");
	rl_readline_name = "qlens";
	rl_catch_signals = 0;
	rl_catch_sigwinch = 0;
	rl_change_environment = 0;
	rl_prep_term_function = NULL;
	rl_deprep_term_function = NULL;
	rl_getc_function = prompt_getc;
	rl_input_available_hook = prompt_input_available;
	rl_redisplay_function = prompt_redisplay;
	rl_completion_display_matches_hook = display_matches;
	rl_attempted_completion_function = complete;
	if (p->devnull)
		rl_outstream = p->devnull;
	rl_variable_bind("bell-style", "none");
	rl_variable_bind("enable-bracketed-paste", "off");
	rl_variable_bind("show-all-if-ambiguous", "on");
	using_history();
	stifle_history(HISTORY_MAX);
	history_setup(p);
	current = p;
	return p;
}

/* Leaves readline's callback mode, also from the middle of a search
 * (Ctrl-R): rl_callback_sigcleanup() ends the search and restores the
 * prompt it saved, which removing the handler alone would leak. */
static void leave_readline(void)
{
	rl_callback_sigcleanup();
	rl_callback_handler_remove();
}

void ql_prompt_free(ql_prompt *p)
{
	if (!p)
		return;
	if (p->active)
		leave_readline();
	if (p->history_path[0])
		history_truncate_file(p->history_path, HISTORY_MAX);
	clear_history();
	if (rl_outstream == p->devnull)
		rl_outstream = NULL;
	if (p->devnull)
		fclose(p->devnull);
	if (current == p)
		current = NULL;
	free(p);
}

bool ql_prompt_active(const ql_prompt *p)
{
	return p && p->active;
}

const char *ql_prompt_text(const ql_prompt *p)
{
	return p && p->active && rl_line_buffer ? rl_line_buffer : "";
}

void ql_prompt_open(ql_prompt *p, ql_prompt_kind kind, const char *label, const char *initial,
		    ql_prompt_done_fn done, void *data)
{
	current = p;
	p->active = true;
	p->kind = kind;
	snprintf(p->label, sizeof p->label, "%s", label ? label : "");
	p->done = done;
	p->data = data;
	p->qlen = p->qhead = 0;
	p->matches[0] = '\0';
	p->too_long = false;
	p->mb_len = p->mb_need = 0;
	got_line = false;
	line_got = NULL;
	rl_callback_handler_install(p->label, line_handler);
	if (initial && initial[0])
		rl_insert_text(initial);
}

static void push_bytes(ql_prompt *p, const char *s, int n)
{
	for (int i = 0; i < n && p->qlen < (int)sizeof p->queue; i++) {
		p->queue[(p->qhead + p->qlen) % (int)sizeof p->queue] = (unsigned char)s[i];
		p->qlen++;
	}
}

static void finish(ql_prompt *p, ql_app *app, char *line)
{
	p->active = false;
	p->matches[0] = '\0';
	p->too_long = false;
	if (line && line[0] && p->kind == QL_PROMPT_COMMAND) {
		HIST_ENTRY *last = history_length > 0 ? history_get(history_base + history_length - 1) : NULL;
		if (!last || strcmp(last->line, line) != 0) {
			add_history(line);
			if (p->history_path[0])
				append_history(1, p->history_path);
		}
	}
	/* ~/models/w.npy as the shell reads it: readline's completion
	 * expands the ~, but the line keeps it, and open() would not */
	if (line && line[0] == '~' && p->kind == QL_PROMPT_PATH) {
		char *full = tilde_expand(line);
		if (full) {
			free(line);
			line = full;
		}
	}
	if (p->done)
		p->done(app, p->data, line);
	free(line);
}

void ql_prompt_key(ql_prompt *p, ql_app *app, int key)
{
	if (!p->active)
		return;
	current = p;
	if (!p->too_long)
		p->matches[0] = '\0';
	if (key == 27 || key == 3 || key == 7) { /* Esc, Ctrl-C, Ctrl-G: cancel */
		leave_readline();
		p->mb_len = p->mb_need = 0;
		finish(p, app, NULL);
		return;
	}
	if (p->kind == QL_PROMPT_KEY && key >= 0x20 && key < 0x7f) { /* y, n: answered */
		leave_readline();
		char *line = malloc(2);
		if (line) {
			line[0] = (char)key;
			line[1] = '\0';
		}
		finish(p, app, line);
		return;
	}
	bool history_keys = p->kind == QL_PROMPT_COMMAND;
	bool motion = key == KEY_UP || key == KEY_DOWN || key == KEY_LEFT || key == KEY_RIGHT ||
		      key == KEY_HOME || key == KEY_END || key == KEY_DC;
	if (motion && RL_ISSTATE(RL_STATE_ISEARCH)) {
		/* a motion ends a Ctrl-R search first, as in bash: readline's
		 * search ends on Esc and keeps the line found (the calls below
		 * would move in it while the search went on, and the text typed
		 * next would go to the search, unseen) */
		push_bytes(p, "\x1b", 1);
		while (p->active && p->qlen > 0 && !got_line)
			rl_callback_read_char();
	}
	switch (key) {
	case KEY_UP:
		if (history_keys)
			rl_get_previous_history(1, 0);
		return;
	case KEY_DOWN:
		if (history_keys)
			rl_get_next_history(1, 0);
		return;
	case KEY_LEFT: rl_backward_char(1, 0); return;
	case KEY_RIGHT: rl_forward_char(1, 0); return;
	case KEY_HOME: rl_beg_of_line(1, 0); return;
	case KEY_END: rl_end_of_line(1, 0); return;
	case KEY_DC: rl_delete(1, 0); return;
	case KEY_BACKSPACE: push_bytes(p, "\x7f", 1); break;
	case KEY_ENTER: push_bytes(p, "\r", 1); break;
	case KEY_MOUSE: case KEY_RESIZE: return;
	default:
		if (key >= 0 && key < 256) {
			/* Printable bytes insert; at the limit they are dropped
			 * (control keys still edit, Enter still runs). */
			if ((key >= 0x20 && key != 0x7f) && rl_end >= QL_PROMPT_MAX) {
				if (!p->too_long)
					snprintf(p->matches, sizeof p->matches,
						 "[line too long: at most %d bytes; the rest was "
						 "dropped]", QL_PROMPT_MAX);
				p->too_long = true;
				return;
			}
			p->too_long = false;
			/* A UTF-8 character goes to readline whole: a search
			 * (Ctrl-R) reads a multibyte character at once and would
			 * take half of one for a whole one. */
			unsigned char c = (unsigned char)key;
			if (p->mb_need == 0 && c >= 0xC2 && c <= 0xF4) {
				p->mb[0] = c;
				p->mb_len = 1;
				p->mb_need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
				return;
			}
			if (p->mb_need) {
				if ((c & 0xC0) == 0x80) {
					p->mb[p->mb_len++] = c;
					if (p->mb_len < p->mb_need)
						return;
					push_bytes(p, (const char *)p->mb, p->mb_len);
					p->mb_len = p->mb_need = 0;
					break;
				}
				p->mb_len = p->mb_need = 0; /* a broken sequence: dropped */
			}
			push_bytes(p, (const char *)&c, 1);
		} else {
			return; /* another curses key: nothing to edit */
		}
	}
	while (p->active && p->qlen > 0 && !got_line)
		rl_callback_read_char();
	if (got_line) {
		got_line = false;
		char *line = line_got;
		line_got = NULL;
		p->qlen = 0;
		finish(p, app, line);
	}
}

/* Columns taken by the first `bytes` bytes of s. */
static int width_of(const ql_theme *th, const char *s, int bytes)
{
	char tmp[1024];
	int n = bytes < (int)sizeof tmp - 1 ? bytes : (int)sizeof tmp - 1;
	memcpy(tmp, s, (size_t)n);
	tmp[n] = '\0';
	return ql_text_width(th, tmp);
}

void ql_prompt_draw(ql_prompt *p, const ql_theme *th, WINDOW *w)
{
	int cols = getmaxx(w);
	const char *line = rl_line_buffer ? rl_line_buffer : "";
	int len = (int)strlen(line);
	int point = rl_point < 0 ? 0 : rl_point > len ? len : rl_point;
	ql_fill_row(th, w, 0, QL_R_NORMAL);
	/* during Ctrl-R, readline's "(reverse-i-search)`dtyp': " in place of
	 * the label: the keys typed go to the search, and it must show */
	const char *label = RL_ISSTATE(RL_STATE_ISEARCH) && rl_display_prompt && rl_display_prompt[0]
				    ? rl_display_prompt : p->label;
	int x = ql_put(th, w, 0, 0, -1, QL_R_KEY, label);
	int room = cols - x - 1;
	/* Scroll the line so the editing point stays visible: walk back from
	 * it, whole characters at a time, while they fit (only the visible
	 * part is measured: the line may be QL_PROMPT_MAX bytes long). */
	int skip = point, used = 0;
	while (skip > 0) {
		int prev = skip - 1;
		while (prev > 0 && (line[prev] & 0xC0) == 0x80)
			prev--;
		int cw = width_of(th, line + prev, skip - prev);
		if (used + cw > room)
			break;
		used += cw;
		skip = prev;
	}
	ql_put(th, w, 0, x, room, QL_R_NORMAL, line + skip);
	int cx = x + used;
	if (p->matches[0]) {
		int tail = len - skip < 4 * cols ? len - skip : 4 * cols; /* what fits, at most */
		int mx = x + width_of(th, line + skip, tail) + 3;
		if (rl_end >= QL_PROMPT_MAX) {
			/* the length notice must show: over the end of the line */
			int nw = ql_text_width(th, p->matches);
			mx = cols - nw - 1 > x ? cols - nw - 1 : x;
			ql_put(th, w, 0, mx, cols - mx, QL_R_WARN, p->matches);
		} else if (mx < cols - 4) {
			ql_put(th, w, 0, mx, cols - mx, QL_R_DIM, p->matches);
		}
	}
	wmove(w, 0, cx < cols ? cx : cols - 1);
}
