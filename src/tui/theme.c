/* theme.c — colours by meaning, a monochrome set, glyphs, and text output.
 *
 * Screens ask for a role (QL_R_EXP: "an exponent bit"), never a colour. Each
 * role has a colour pair plus attributes, and a monochrome column used when
 * the terminal has no colours or NO_COLOR is set (https://no-color.org): the
 * monochrome column alone must keep every distinction readable.
 *
 * Glyphs are Unicode when the locale's codeset is UTF-8 and ASCII otherwise;
 * ql_put() also turns the few symbols the core prints ("×", "…", "→") into
 * ASCII in that case, so LANG=C never shows mojibake.
 */
#include "tui_impl.h"

#include "qlens/escape.h"

#include <langinfo.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

typedef struct ql_role_style {
	short fg, bg;  /* colour pair (-1: terminal default) */
	attr_t attr;   /* added to the pair */
	attr_t mono;   /* everything, when there is no colour */
} ql_role_style;

static const ql_role_style role_styles[QL_R_COUNT] = {
	[QL_R_NORMAL] = {-1, -1, A_NORMAL, A_NORMAL},
	[QL_R_TITLE] = {COLOR_BLACK, COLOR_CYAN, A_NORMAL, A_REVERSE},
	[QL_R_STATUS] = {-1, -1, A_NORMAL, A_NORMAL},
	[QL_R_KEY] = {COLOR_CYAN, -1, A_BOLD, A_BOLD},
	[QL_R_ERROR] = {COLOR_WHITE, COLOR_RED, A_BOLD, A_REVERSE | A_BOLD},
	[QL_R_INFO] = {COLOR_GREEN, -1, A_BOLD, A_BOLD},
	[QL_R_DIM] = {-1, -1, A_DIM, A_DIM},
	[QL_R_LABEL] = {COLOR_YELLOW, -1, A_BOLD, A_BOLD},
	[QL_R_VALUE] = {-1, -1, A_BOLD, A_NORMAL},
	[QL_R_SIGN] = {COLOR_WHITE, COLOR_MAGENTA, A_BOLD, A_BOLD | A_UNDERLINE},
	[QL_R_EXP] = {COLOR_BLACK, COLOR_GREEN, A_NORMAL, A_UNDERLINE},
	[QL_R_MAN] = {COLOR_WHITE, COLOR_BLUE, A_NORMAL, A_NORMAL},
	[QL_R_INT] = {COLOR_BLACK, COLOR_CYAN, A_NORMAL, A_NORMAL},
	[QL_R_CURSOR] = {COLOR_BLACK, COLOR_YELLOW, A_BOLD, A_REVERSE | A_BOLD},
	[QL_R_SELECTED] = {COLOR_BLACK, COLOR_YELLOW, A_NORMAL, A_REVERSE},
	[QL_R_GOOD] = {COLOR_GREEN, -1, A_NORMAL, A_NORMAL},
	[QL_R_WARN] = {COLOR_RED, -1, A_BOLD, A_BOLD},
	[QL_R_AXIS] = {COLOR_GREEN, -1, A_NORMAL, A_NORMAL},
	[QL_R_AXIS_SUB] = {COLOR_YELLOW, -1, A_NORMAL, A_DIM},
	[QL_R_FRAME] = {COLOR_CYAN, -1, A_BOLD, A_BOLD},
};

static const ql_glyphs glyphs_utf8 = {
	.ellipsis = "…", .hline = "─", .vline = "│", .tl = "┌", .tr = "┐", .bl = "└", .br = "┘",
	.bar = "█", .bar_sub = "░", .more_left = "◀", .more_right = "▶", .pointer = "▸",
	.times = "×", .sep = "·",
};

static const ql_glyphs glyphs_ascii = {
	.ellipsis = "...", .hline = "-", .vline = "|", .tl = "+", .tr = "+", .bl = "+", .br = "+",
	.bar = "#", .bar_sub = ":", .more_left = "<", .more_right = ">", .pointer = ">",
	.times = "x", .sep = "-",
};

/* Unicode symbols that qlens (and the core's explanations) print, and their
 * ASCII spelling. */
static const struct {
	const char *utf8, *ascii;
} translit[] = {
	{"×", "x"}, {"…", "..."}, {"→", "->"}, {"←", "<-"}, {"↑", "^"}, {"↓", "v"},
	{"−", "-"}, {"±", "+-"}, {"≈", "~"}, {"≤", "<="}, {"≥", ">="}, {"·", "-"},
	{"—", "--"}, {"–", "-"}, {"▸", ">"}, {"█", "#"}, {"░", ":"}, {"◀", "<"},
	{"▶", ">"}, {"─", "-"}, {"│", "|"}, {"∞", "inf"}, {"Δ", "d"}, {"²", "^2"},
	{"⁻", "^-"}, {"₂", "_2"},
};

void ql_theme_init(ql_theme *th)
{
	const char *nc = getenv("NO_COLOR");
	const char *cs = nl_langinfo(CODESET);

	th->utf8 = cs && (strcmp(cs, "UTF-8") == 0 || strcmp(cs, "utf8") == 0);
	th->g = th->utf8 ? glyphs_utf8 : glyphs_ascii;
	th->color = has_colors() && !(nc && nc[0]);
	if (!th->color)
		return;
	start_color();
	use_default_colors();
	for (int r = 0; r < QL_R_COUNT; r++)
		init_pair((short)(r + 1), role_styles[r].fg, role_styles[r].bg);
}

attr_t ql_theme_attr(const ql_theme *th, ql_role r)
{
	if (!th->color)
		return role_styles[r].mono;
	return COLOR_PAIR(r + 1) | role_styles[r].attr;
}

/* Decodes one UTF-8 character; returns its length (1 for a stray byte). */
static int utf8_next(const char *s, uint32_t *cp)
{
	const unsigned char *u = (const unsigned char *)s;
	int len = u[0] < 0x80 ? 1 : (u[0] >> 5) == 6 ? 2 : (u[0] >> 4) == 14 ? 3 : (u[0] >> 3) == 30 ? 4 : 0;
	if (len == 0) {
		*cp = 0xFFFD;
		return 1;
	}
	uint32_t c = len == 1 ? u[0] : u[0] & (0x3F >> (len - 1));
	for (int i = 1; i < len; i++) {
		if ((u[i] & 0xC0) != 0x80) {
			*cp = 0xFFFD;
			return i;
		}
		c = c << 6 | (u[i] & 0x3F);
	}
	*cp = c;
	return len;
}

/* Walks s, already escaped (printable ASCII and valid UTF-8 without
 * controls), as ql_put draws it. For each piece calls emit(piece, bytes,
 * cols) unless emit is NULL; stops before exceeding maxw columns. Returns
 * the columns used. */
static int walk_escaped(const ql_theme *th, const char *s, int maxw,
			void (*emit)(void *ctx, const char *p, int n), void *ctx)
{
	int cols = 0;
	while (*s) {
		uint32_t cp;
		int n = utf8_next(s, &cp);
		const char *piece = s;
		int plen = n, w;
		if (cp < 0x20 || cp == 0x7F) { /* not after ql_escape; kept as a guard */
			s += n;
			continue;
		}
		if (cp < 0x80) {
			w = 1;
		} else if (th->utf8) {
			int cw = cp == 0xFFFD ? 1 : wcwidth((wchar_t)cp);
			if (cw < 0) {
				piece = "?";
				plen = 1;
				cw = 1;
			}
			w = cw;
		} else {
			piece = "?";
			plen = 1;
			for (size_t i = 0; i < sizeof translit / sizeof translit[0]; i++) {
				size_t l = strlen(translit[i].utf8);
				if (strncmp(s, translit[i].utf8, l) == 0) {
					piece = translit[i].ascii;
					plen = (int)strlen(piece);
					n = (int)l;
					break;
				}
			}
			w = plen;
		}
		if (cols + w > maxw)
			break;
		if (emit)
			emit(ctx, piece, plen);
		cols += w;
		s += n;
	}
	return cols;
}

/* walk_escaped over s shown by escape.h's one rule (QL_ESC_TERM), so a name
 * with a control character, a bidi override or invalid UTF-8 reads in the
 * TUI exactly as the CLI prints it (\x1b, \u{202E}, \xff), and nothing
 * raw reaches the terminal. */
static int walk_text(const ql_theme *th, const char *s, int maxw,
		     void (*emit)(void *ctx, const char *p, int n), void *ctx)
{
	char buf[512];
	size_t need = ql_escape(buf, sizeof buf, s, QL_ESC_TERM);
	if (need < sizeof buf)
		return walk_escaped(th, buf, maxw, emit, ctx);
	char *big = malloc(need + 1);
	if (!big) /* cut short at a whole escape: still safe to show */
		return walk_escaped(th, buf, maxw, emit, ctx);
	ql_escape(big, need + 1, s, QL_ESC_TERM);
	int cols = walk_escaped(th, big, maxw, emit, ctx);
	free(big);
	return cols;
}

static void emit_to_window(void *ctx, const char *p, int n)
{
	waddnstr((WINDOW *)ctx, p, n);
}

int ql_put(const ql_theme *th, WINDOW *w, int y, int x, int maxw, ql_role r, const char *s)
{
	int room = getmaxx(w) - x;
	if (y < 0 || y >= getmaxy(w) || x < 0 || room <= 0 || !s)
		return 0;
	if (maxw < 0 || maxw > room)
		maxw = room;
	wmove(w, y, x);
	wattrset(w, ql_theme_attr(th, r));
	/* The last cell of the last row would scroll a window that may scroll;
	 * ours never do (scrollok is off), so it is safe to fill it. */
	int n = walk_text(th, s, maxw, emit_to_window, w);
	wattrset(w, A_NORMAL);
	return n;
}

int ql_text_width(const ql_theme *th, const char *s)
{
	return walk_text(th, s, 1 << 30, NULL, NULL);
}

/* maxw (-1: no limit) cut to the room left in w's row from x; 0 when
 * there is none. */
static int room_from(WINDOW *w, int x, int maxw)
{
	int room = getmaxx(w) - x;
	if (room <= 0)
		return 0;
	return maxw < 0 || maxw > room ? room : maxw;
}

int ql_put_fit(const ql_theme *th, WINDOW *w, int y, int x, int maxw, ql_role r, const char *s)
{
	if (!s || (maxw = room_from(w, x, maxw)) == 0)
		return 0;
	if (ql_text_width(th, s) <= maxw)
		return ql_put(th, w, y, x, maxw, r, s);
	int ew = ql_text_width(th, th->g.ellipsis);
	if (maxw <= ew) /* no room for any text before it */
		return ql_put(th, w, y, x, maxw, r, s);
	/* The longest prefix ending before a space that leaves room for the
	 * ellipsis; a text with no such space is cut where it must be. */
	char buf[1024];
	size_t cut = 0;
	for (size_t i = 1; s[i] && i < sizeof buf; i++) {
		if (s[i] != ' ' || s[i - 1] == ' ')
			continue;
		memcpy(buf, s, i);
		buf[i] = 0;
		if (ql_text_width(th, buf) + ew > maxw)
			break;
		cut = i;
	}
	int n;
	if (cut) {
		while (cut > 1 && strchr(",;:( ", s[cut - 1]))
			cut--; /* "quantization:" reads better as "quantization…" */
		memcpy(buf, s, cut);
		buf[cut] = 0;
		n = ql_put(th, w, y, x, maxw - ew, r, buf);
	} else {
		n = ql_put(th, w, y, x, maxw - ew, r, s);
	}
	return n + ql_put(th, w, y, x + n, ew, r, th->g.ellipsis);
}

int ql_put_path(const ql_theme *th, WINDOW *w, int y, int x, int maxw, ql_role r, const char *path)
{
	if (!path || (maxw = room_from(w, x, maxw)) == 0)
		return 0;
	int ew = ql_text_width(th, th->g.ellipsis);
	if (ql_text_width(th, path) <= maxw || maxw <= ew)
		return ql_put(th, w, y, x, maxw, r, path);
	/* the longest tail that fits, from a '/' where there is one */
	const char *tail = NULL;
	for (const char *p = path + 1; *p; p++) {
		if ((*p & 0xC0) == 0x80 || ql_text_width(th, p) + ew > maxw)
			continue;
		tail = p;
		break;
	}
	if (!tail)
		return ql_put(th, w, y, x, maxw, r, th->g.ellipsis);
	const char *slash = strchr(tail, '/');
	if (slash && slash[1])
		tail = slash;
	int n = ql_put(th, w, y, x, ew, r, th->g.ellipsis);
	return n + ql_put(th, w, y, x + n, maxw - n, r, tail);
}

/* The longest prefix of s (len bytes) no wider than width that ends at a
 * space after a word (at_spaces) or between two characters; 0 if none. */
static size_t fit_prefix(const ql_theme *th, const char *s, size_t len, int width, bool at_spaces)
{
	char buf[1024];
	size_t cut = 0;
	for (size_t i = 1; i <= len && i < sizeof buf; i++) {
		if (at_spaces ? i == len || s[i] != ' ' || s[i - 1] == ' '
			      : i < len && ((unsigned char)s[i] & 0xC0) == 0x80)
			continue;
		memcpy(buf, s, i);
		buf[i] = 0;
		if (ql_text_width(th, buf) > width)
			break;
		cut = i;
	}
	return cut;
}

size_t ql_wrap_cut(const ql_theme *th, const char *s, int width, const char **next)
{
	size_t len = strlen(s), cut = len;
	if (ql_text_width(th, s) > width) {
		/* the last space the line reaches; none: a word wider than the
		 * line, cut between two characters as far along as it reaches */
		cut = fit_prefix(th, s, len, width, true);
		if (!cut)
			cut = fit_prefix(th, s, len, width, false);
		if (!cut) /* not one character fits: take one anyway, so the text advances */
			for (cut = 1; cut < len && ((unsigned char)s[cut] & 0xC0) == 0x80; cut++)
				;
	}
	if (next) {
		const char *p = s + cut;
		while (*p == ' ')
			p++;
		*next = p;
	}
	return cut;
}

int ql_text_rows(const ql_theme *th, const char *s, int width)
{
	int rows = 0;
	while (s && *s) {
		ql_wrap_cut(th, s, width, &s);
		rows++;
	}
	return rows;
}

int ql_put_wrapped(const ql_theme *th, WINDOW *w, int y, int x, int width, ql_role r, const char *text)
{
	const char *p = text;
	int rows = 0;
	while (p && *p && y + rows < getmaxy(w)) {
		const char *next;
		size_t cut = ql_wrap_cut(th, p, width, &next);
		if (*next && y + rows == getmaxy(w) - 1) { /* the last row: the rest, fitted */
			ql_put_fit(th, w, y + rows++, x, width, r, p);
			break;
		}
		char line[1024];
		snprintf(line, sizeof line, "%.*s", (int)(cut < sizeof line ? cut : sizeof line - 1), p);
		ql_put(th, w, y + rows++, x, width, r, line);
		p = next;
	}
	return rows;
}

void ql_fill_row(const ql_theme *th, WINDOW *w, int y, ql_role r)
{
	int cols = getmaxx(w);
	if (y < 0 || y >= getmaxy(w))
		return;
	wattrset(w, ql_theme_attr(th, r));
	mvwhline(w, y, 0, ' ', cols);
	wattrset(w, A_NORMAL);
}
