/* screen_bits.c — the bit explorer: one value, bit by bit, in many formats.
 *
 * One input value (a double, typed as 1/3, 0.1, 0x1p-3, inf, nan...) and one
 * row per format: the bits as cells coloured by field, the hex code, the
 * class, the exact stored value, the error against the input and the
 * spacing to the next value. Every number comes from the core: ql_cast
 * (what PyTorch and C do: floats round to nearest even, ints truncate),
 * ql_decode, ql_next, ql_explain, ql_decimal_exact.
 *
 * The cursor sits on one bit of one row. Space flips it, + and - step that
 * row to its neighbour value; either way that row's new value becomes the
 * input of every row (the edited row keeps its exact pattern, so NaN
 * payloads survive). 'f' cycles in the other formats, 'x' drops one, 'd'
 * shows every digit, 'e' or Enter types a new value.
 */
#include "tui_impl.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qlens/decimal.h"
#include "qlens/format.h"
#include "qlens/valueinfo.h"

#define LABEL_X 2  /* row labels */
#define BITS_X 12  /* first bit cell */
#define HEADER_H 3 /* input line, legend, blank */
#define FOOTER_H 3 /* blank, explanation (two lines) */
#define ERR_W 44   /* the widest error text: "err +9.93e-09  rel +2.98e-08  ulp 2.98e-08" */
#define MIN_DIGITS 40

static const ql_type base_rows[] = {QL_FP32, QL_FP16, QL_BF16, QL_INT8};
enum { N_BASE = sizeof base_rows / sizeof base_rows[0] };

/* The order 'f' brings the other formats in (fp64 last: it is the widest). */
static const ql_type more_order[] = {
	QL_FP8_E4M3, QL_FP8_E5M2, QL_FP6_E2M3, QL_FP6_E3M2, QL_FP4_E2M1, QL_E8M0, QL_UINT8,
	QL_INT4, QL_UINT4, QL_INT2, QL_UINT2, QL_NF4, QL_FP64,
};

typedef struct row_hit {
	int y0, y1;   /* body rows the format takes (y0: the bits) */
	int row;      /* index into rows[] */
} row_hit;

typedef struct bits_state {
	char text[256];          /* the input as typed, or as a flip left it */
	double input;
	ql_type rows[QL_TYPE_COUNT];
	int nrows;
	int src_type;            /* the row last edited bit by bit, or -1 */
	uint64_t src_code;
	int cur_row, cur_bit;    /* cur_bit counts from the most significant */
	int top;                 /* first row on screen */
	bool all_digits;
	row_hit hits[QL_TYPE_COUNT];
	int nhits;
} bits_state;

/* ---- the model ----------------------------------------------------------- */

static uint64_t row_code(const bits_state *st, ql_type t, unsigned *status)
{
	if (status)
		*status = 0;
	if ((int)t == st->src_type)
		return st->src_code;
	return ql_cast(t, st->input, status);
}

static int set_input_text(bits_state *st, const char *text, ql_error *err)
{
	double v;
	if (ql_parse_value(text, &v, err))
		return -1;
	snprintf(st->text, sizeof st->text, "%s", text);
	st->input = v;
	st->src_type = -1;
	return 0;
}

/* A row now holds `code`: its value becomes everyone's input. */
static void set_from_code(bits_state *st, ql_type t, uint64_t code)
{
	double v = ql_decode(t, code);
	st->src_type = (int)t;
	st->src_code = code;
	st->input = v;
	ql_decimal_short(v, st->text, sizeof st->text);
}

static bool has_row(const bits_state *st, ql_type t)
{
	for (int i = 0; i < st->nrows; i++)
		if (st->rows[i] == t)
			return true;
	return false;
}

static void clamp_cursor(bits_state *st)
{
	if (st->cur_row >= st->nrows)
		st->cur_row = st->nrows - 1;
	if (st->cur_row < 0)
		st->cur_row = 0;
	int bits = ql_formats[st->rows[st->cur_row]].bits;
	if (st->cur_bit >= bits)
		st->cur_bit = bits - 1;
	if (st->cur_bit < 0)
		st->cur_bit = 0;
}

/* ---- bit layout ---------------------------------------------------------- */

/* Column of bit b (0 = most significant) from the first cell: a gap after
 * the sign and after the exponent. */
static int bit_col(ql_type t, int b)
{
	const ql_format *f = &ql_formats[t];
	if (f->kind != QL_KIND_FLOAT)
		return b;
	int col = b;
	if (f->sign_bits && b >= f->sign_bits)
		col++;
	if (f->man_bits && b >= f->sign_bits + f->exp_bits)
		col++;
	return col;
}

static int bits_width(ql_type t)
{
	return bit_col(t, ql_formats[t].bits - 1) + 1;
}

static ql_role bit_role(ql_type t, int b)
{
	const ql_format *f = &ql_formats[t];
	switch (f->kind) {
	case QL_KIND_FLOAT:
		return b < f->sign_bits ? QL_R_SIGN : b < f->sign_bits + f->exp_bits ? QL_R_EXP : QL_R_MAN;
	case QL_KIND_SCALE:
		return QL_R_EXP;
	default:
		return QL_R_INT;
	}
}

static const char *field_name(ql_type t, int b)
{
	switch (bit_role(t, b)) {
	case QL_R_SIGN: return "sign";
	case QL_R_EXP: return "exponent";
	case QL_R_MAN: return "mantissa";
	default: return ql_formats[t].kind == QL_KIND_CODEBOOK ? "code" : "value";
	}
}

/* The bit of format `to` that plays the part bit b plays in `from`, for
 * moving the cursor between rows: sign to sign, exponent bits counted from
 * their lowest (same weight), mantissa bits from their highest (same
 * fraction), integers from the lowest. */
static int map_bit(ql_type from, int b, ql_type to)
{
	const ql_format *f = &ql_formats[from], *g = &ql_formats[to];
	if (f->kind == QL_KIND_FLOAT && g->kind == QL_KIND_FLOAT) {
		int k;
		switch (bit_role(from, b)) {
		case QL_R_SIGN:
			return 0;
		case QL_R_EXP:
			k = f->sign_bits + f->exp_bits - 1 - b;
			return g->sign_bits + g->exp_bits - 1 - (k < g->exp_bits ? k : g->exp_bits - 1);
		default:
			k = b - f->sign_bits - f->exp_bits;
			if (g->man_bits == 0)
				return g->bits - 1;
			return g->sign_bits + g->exp_bits + (k < g->man_bits ? k : g->man_bits - 1);
		}
	}
	int k = f->bits - 1 - b;
	return g->bits - 1 - (k < g->bits ? k : g->bits - 1);
}

static void move_row(bits_state *st, int to)
{
	if (to < 0 || to >= st->nrows || to == st->cur_row)
		return;
	st->cur_bit = map_bit(st->rows[st->cur_row], st->cur_bit, st->rows[to]);
	st->cur_row = to;
}

/* ---- texts --------------------------------------------------------------- */

/* "err -8.14e-05  rel -2.44e-04  ulp 2.44e-04", or "exact  ulp ...": the
 * figures of ql_value_info, as `qlens bits` prints them. */
static void error_text(const ql_value_info *vi, char *buf, size_t n)
{
	size_t k;
	double e = vi->error;
	if (vi->exact)
		k = (size_t)snprintf(buf, n, "exact");
	else if (!isfinite(e))
		k = (size_t)snprintf(buf, n, "err %s", isnan(e) ? "nan" : e > 0 ? "+inf" : "-inf");
	else {
		k = (size_t)snprintf(buf, n, "err %+.2e", e);
		if (!isnan(vi->rel_error) && k < n)
			k += (size_t)snprintf(buf + k, n - k, "  rel %+.2e", vi->rel_error);
	}
	if (k >= n || isnan(vi->ulp))
		return;
	if (vi->ulp_is_step)
		snprintf(buf + k, n - k, "  step %.0f", vi->ulp);
	else
		snprintf(buf + k, n - k, "  ulp %.2e", vi->ulp);
}

static void class_text(ql_type t, uint64_t code, unsigned status, char *buf, size_t n)
{
	size_t k = (size_t)snprintf(buf, n, "%s", ql_class_name(ql_classify(t, code)));
	static const struct {
		unsigned bit;
		const char *word;
	} flags[] = {{QL_ST_OVERFLOW, "overflow"}, {QL_ST_UNDERFLOW, "underflow"}, {QL_ST_INVALID, "invalid"}};
	for (size_t i = 0; i < sizeof flags / sizeof flags[0] && k < n; i++)
		if (status & flags[i].bit)
			k += (size_t)snprintf(buf + k, n - k, ", %s", flags[i].word);
}

/* ---- drawing ------------------------------------------------------------- */

typedef struct painter {
	const ql_theme *th;
	WINDOW *w;    /* NULL: only measure */
	int ymax;     /* rows at or after this are not drawn */
} painter;

static int put(const painter *p, int y, int x, int maxw, ql_role r, const char *s)
{
	if (p->w && y < p->ymax)
		return ql_put(p->th, p->w, y, x, maxw, r, s);
	int wd = ql_text_width(p->th, s);
	return maxw >= 0 && wd > maxw ? maxw : wd;
}

/* Writes s from (y, x) in lines of at most width columns; returns the
 * number of lines. */
static int put_wrapped(const painter *p, int y, int x, int width, ql_role r, const char *s)
{
	int lines = 0;
	size_t len = strlen(s);
	size_t at = 0;
	char chunk[512];
	if (width < 1)
		width = 1;
	if ((size_t)width >= sizeof chunk)
		width = (int)sizeof chunk - 1;
	do {
		size_t take = len - at < (size_t)width ? len - at : (size_t)width;
		memcpy(chunk, s + at, take);
		chunk[take] = '\0';
		put(p, y + lines, x, width, r, chunk);
		at += take;
		lines++;
	} while (at < len);
	return lines;
}

/* Draws (or measures) row i at body row y; returns its height. */
static int draw_row(bits_state *st, const painter *p, int cols, int i, int y)
{
	ql_type t = st->rows[i];
	const ql_format *f = &ql_formats[t];
	const ql_theme *th = p->th;
	unsigned status;
	uint64_t code = row_code(st, t, &status);
	double stored = ql_decode(t, code);
	bool cur = i == st->cur_row;
	int h = 1;

	/* line 1: label, bits, hex, class */
	if (cur)
		put(p, y, 0, 2, QL_R_LABEL, th->g.pointer);
	put(p, y, LABEL_X, BITS_X - LABEL_X - 1, cur ? QL_R_SELECTED : QL_R_LABEL, f->name);
	for (int b = 0; b < f->bits; b++) {
		char cell[2] = {(char)('0' + ((code >> (f->bits - 1 - b)) & 1)), 0};
		ql_role r = cur && b == st->cur_bit ? QL_R_CURSOR : bit_role(t, b);
		put(p, y, BITS_X + bit_col(t, b), 1, r, cell);
	}
	char hex[24], cls[64], tail[96];
	snprintf(hex, sizeof hex, "0x%0*" PRIX64, (f->bits + 3) / 4, code);
	class_text(t, code, status, cls, sizeof cls);
	snprintf(tail, sizeof tail, "%s  %s", hex, cls);
	int x = BITS_X + bits_width(t) + 2;
	bool tail_inline = x + ql_text_width(th, tail) <= cols;
	ql_class c = ql_classify(t, code);
	ql_role crole = (c == QL_CLASS_NAN || c == QL_CLASS_INF || (status & (QL_ST_OVERFLOW | QL_ST_UNDERFLOW | QL_ST_INVALID)))
				? QL_R_WARN : QL_R_DIM;
	if (tail_inline) {
		x += put(p, y, x, -1, QL_R_NORMAL, hex);
		put(p, y, x + 2, -1, crole, cls);
	}

	/* line 2 (and more): value, error */
	char val[QL_DECIMAL_MAX], err[128];
	ql_decimal_exact(stored, val, sizeof val);
	ql_value_info vi;
	ql_value_info_code(t, code, st->input, status, &vi);
	error_text(&vi, err, sizeof err);
	int y2 = y + 1;
	x = BITS_X;
	if (!tail_inline) {
		x += put(p, y2, x, -1, QL_R_NORMAL, hex);
		x += 2;
		x += put(p, y2, x, -1, crole, cls);
		x += 2;
	}
	x += put(p, y2, x, 2, QL_R_DIM, "= ");
	int errw = ql_text_width(th, err);
	bool exact = strncmp(err, "exact", 5) == 0;
	ql_role erole = exact ? QL_R_GOOD : QL_R_NORMAL;
	int room = cols - x - 1;
	int vlen = (int)strlen(val);
	/* A layout that does not move as the values change: the error shares
	 * the value's line only where 40 digits still fit beside it. */
	bool one_line = room - ERR_W - 2 >= MIN_DIGITS;
	int vroom = one_line ? room - ERR_W - 2 : room;
	if (st->all_digits && vlen > vroom) {
		/* every digit, wrapped; the error on a line of its own */
		int n = put_wrapped(p, y2, x, room, QL_R_VALUE, val);
		put(p, y2 + n, cols - 1 - errw, -1, erole, err);
		return h + n + 1;
	}
	if (vlen > vroom) {
		/* as many digits as fit, then an ellipsis */
		int el = ql_text_width(th, th->g.ellipsis);
		char cut[512];
		int keep = vroom - el < (int)sizeof cut - 1 ? vroom - el : (int)sizeof cut - 1;
		memcpy(cut, val, (size_t)(keep > 0 ? keep : 0));
		cut[keep > 0 ? keep : 0] = '\0';
		int wx = x + put(p, y2, x, -1, QL_R_VALUE, cut);
		put(p, y2, wx, -1, QL_R_DIM, th->g.ellipsis);
	} else {
		put(p, y2, x, vroom, QL_R_VALUE, val);
	}
	if (one_line) {
		put(p, y2, cols - 1 - errw, -1, erole, err);
		return h + 1;
	}
	put(p, y2 + 1, cols - 1 - errw, -1, erole, err);
	return h + 2;
}

static void draw_header(bits_state *st, const painter *p, int cols)
{
	const ql_theme *th = p->th;
	char val[QL_DECIMAL_MAX];
	int x = put(p, 0, LABEL_X, -1, QL_R_LABEL, "input");
	x = BITS_X;
	x += put(p, 0, x, cols / 3, QL_R_VALUE, st->text);
	ql_decimal_exact(st->input, val, sizeof val);
	if (strcmp(val, st->text) != 0) {
		/* what the text reads as: the nearest double */
		x += put(p, 0, x, -1, QL_R_DIM, "  → ");
		int room = cols - x - 1;
		if ((int)strlen(val) > room) {
			int el = ql_text_width(th, th->g.ellipsis);
			if (room > el)
				val[room - el] = '\0';
			x += put(p, 0, x, -1, QL_R_NORMAL, val);
			put(p, 0, x, -1, QL_R_DIM, th->g.ellipsis);
		} else {
			put(p, 0, x, -1, QL_R_NORMAL, val);
		}
	}
	/* legend and where the cursor is */
	x = BITS_X;
	x += put(p, 1, x, -1, QL_R_SIGN, "sign");
	x += 1;
	x += put(p, 1, x, -1, QL_R_EXP, "exponent");
	x += 1;
	x += put(p, 1, x, -1, QL_R_MAN, "mantissa");
	x += 1;
	x += put(p, 1, x, -1, QL_R_INT, "integer");
	ql_type t = st->rows[st->cur_row];
	char where[128];
	snprintf(where, sizeof where, "cursor: %s bit %d (%s)", ql_formats[t].name,
		 ql_formats[t].bits - 1 - st->cur_bit, field_name(t, st->cur_bit));
	int ww = ql_text_width(th, where);
	if (x + 3 + ww < cols)
		put(p, 1, cols - 1 - ww, -1, QL_R_DIM, where);
}

static void draw_footer(bits_state *st, const painter *p, int cols, int h)
{
	ql_type t = st->rows[st->cur_row];
	const ql_format *f = &ql_formats[t];
	unsigned status;
	uint64_t code = row_code(st, t, &status);
	char ex[QL_DECIMAL_MAX + 256], line[2 * QL_DECIMAL_MAX + 1024];
	ql_explain(t, code, p->th->utf8, ex, sizeof ex);
	if (f->kind == QL_KIND_INT && (status & QL_ST_INEXACT)) {
		char v[64];
		ql_decimal_short(ql_decode(t, code), v, sizeof v);
		snprintf(line, sizeof line, "%s: cast truncates toward zero, so %s becomes %s. %s", f->name,
			 st->text, v, ex);
	}
	else
		snprintf(line, sizeof line, "%s: %s", f->name, ex);
	int y = h - 2;
	int width = cols - LABEL_X - 1;
	int len = (int)strlen(line);
	if (ql_text_width(p->th, line) <= width) {
		put(p, y, LABEL_X, width, QL_R_NORMAL, line);
		return;
	}
	/* two lines: break at the last space that fits */
	int cut = width < len ? width : len;
	while (cut > 0 && line[cut] != ' ')
		cut--;
	if (cut == 0)
		cut = width;
	char first[sizeof line];
	memcpy(first, line, (size_t)cut);
	first[cut] = '\0';
	put(p, y, LABEL_X, width, QL_R_NORMAL, first);
	const char *rest = line + cut + (line[cut] == ' ');
	if (ql_text_width(p->th, rest) > width) {
		int el = ql_text_width(p->th, p->th->g.ellipsis);
		int x = LABEL_X + 2 + put(p, y + 1, LABEL_X + 2, width - 2 - el, QL_R_NORMAL, rest);
		put(p, y + 1, x, -1, QL_R_DIM, p->th->g.ellipsis);
	} else {
		put(p, y + 1, LABEL_X + 2, width - 2, QL_R_NORMAL, rest);
	}
}

static void bits_draw(ql_app *app, void *vst, WINDOW *w)
{
	bits_state *st = vst;
	const ql_theme *th = ql_app_theme(app);
	int h = getmaxy(w), cols = getmaxx(w);
	int y0 = HEADER_H, area = h - HEADER_H - FOOTER_H;
	painter measure = {th, NULL, 0};
	painter paint = {th, w, h - FOOTER_H};
	painter full = {th, w, h};

	clamp_cursor(st);
	/* Scroll so the cursor's row is on screen, whole ... */
	if (st->top > st->cur_row)
		st->top = st->cur_row;
	for (;;) {
		int used = 0;
		for (int i = st->top; i <= st->cur_row; i++)
			used += draw_row(st, &measure, cols, i, 0) + (i > st->top);
		if (used <= area || st->top == st->cur_row)
			break;
		st->top++;
	}
	/* ... and no rows left scrolled off above while there is room below
	 * the last (after x drops rows, or the window grows) */
	while (st->top > 0) {
		int used = 0;
		for (int i = st->top - 1; i < st->nrows && used <= area; i++)
			used += draw_row(st, &measure, cols, i, 0) + (i > st->top - 1);
		if (used > area)
			break;
		st->top--;
	}
	draw_header(st, &full, cols);
	st->nhits = 0;
	int y = y0;
	for (int i = st->top; i < st->nrows && y < y0 + area; i++) {
		int rh = draw_row(st, &paint, cols, i, y);
		st->hits[st->nhits++] = (row_hit){y, y + rh - 1, i};
		y += rh + 1;
	}
	if (st->top > 0 || y - 1 > y0 + area || (st->nhits && st->hits[st->nhits - 1].row < st->nrows - 1)) {
		char more[64];
		snprintf(more, sizeof more, "rows %d-%d of %d", st->top + 1,
			 st->nhits ? st->hits[st->nhits - 1].row + 1 : st->top + 1, st->nrows);
		put(&full, HEADER_H - 1, cols - 1 - ql_text_width(th, more), -1, QL_R_DIM, more);
	}
	draw_footer(st, &full, cols, h);
}

/* ---- keys, clicks, commands ---------------------------------------------- */

static void value_done(ql_app *app, void *data, const char *line)
{
	bits_state *st = data;
	ql_error err = {{0}};
	if (!line)
		return;
	if (set_input_text(st, line, &err))
		ql_app_message(app, QL_R_ERROR, "qlens bits: %s", err.msg);
}

static void flip(ql_app *app, bits_state *st)
{
	(void)app;
	ql_type t = st->rows[st->cur_row];
	int bits = ql_formats[t].bits;
	uint64_t code = row_code(st, t, NULL) ^ (UINT64_C(1) << (bits - 1 - st->cur_bit));
	set_from_code(st, t, code);
}

static void step(ql_app *app, bits_state *st, int dir)
{
	ql_type t = st->rows[st->cur_row];
	uint64_t code = row_code(st, t, NULL), next;
	if (!ql_next(t, code, dir, &next)) {
		char val[64];
		ql_decimal_short(ql_decode(t, code), val, sizeof val);
		ql_app_message(app, QL_R_INFO, "%s has no value %s %s", ql_formats[t].name,
			       dir > 0 ? "above" : "below", val);
		return;
	}
	set_from_code(st, t, next);
}

static void more(ql_app *app, bits_state *st)
{
	for (size_t i = 0; i < sizeof more_order / sizeof more_order[0]; i++) {
		if (has_row(st, more_order[i]))
			continue;
		st->rows[st->nrows++] = more_order[i];
		st->cur_row = st->nrows - 1;
		return;
	}
	/* every format is in: back to the first four */
	st->nrows = N_BASE;
	if (st->src_type >= 0 && !has_row(st, (ql_type)st->src_type))
		st->src_type = -1;
	st->cur_row = 0;
	st->top = 0;
	ql_app_message(app, QL_R_INFO, "back to fp32, fp16, bf16 and int8; f brings the others in again");
}

static void drop(ql_app *app, bits_state *st)
{
	if (st->cur_row < N_BASE) {
		ql_app_message(app, QL_R_INFO, "the first four formats stay; x drops the ones f added");
		return;
	}
	if ((int)st->rows[st->cur_row] == st->src_type)
		st->src_type = -1;
	memmove(&st->rows[st->cur_row], &st->rows[st->cur_row + 1],
		(size_t)(st->nrows - st->cur_row - 1) * sizeof st->rows[0]);
	st->nrows--;
	clamp_cursor(st);
}

static bool bits_action(ql_app *app, void *vst, ql_action a)
{
	bits_state *st = vst;
	switch (a) {
	case QL_ACT_LEFT: st->cur_bit--; break;
	case QL_ACT_RIGHT: st->cur_bit++; break;
	case QL_ACT_FIRST: st->cur_bit = 0; break;
	case QL_ACT_LAST: st->cur_bit = 64; break;
	case QL_ACT_UP: move_row(st, st->cur_row - 1); break;
	case QL_ACT_DOWN: move_row(st, st->cur_row + 1); break;
	case QL_ACT_PAGE_UP: move_row(st, 0); break;
	case QL_ACT_PAGE_DOWN: move_row(st, st->nrows - 1); break;
	case QL_ACT_FLIP: flip(app, st); break;
	case QL_ACT_STEP_UP: step(app, st, +1); break;
	case QL_ACT_STEP_DOWN: step(app, st, -1); break;
	case QL_ACT_EDIT:
	case QL_ACT_OPEN:
		ql_prompt_open(ql_app_prompt(app), QL_PROMPT_VALUE, "value: ", st->text, value_done, st);
		break;
	case QL_ACT_MORE: more(app, st); break;
	case QL_ACT_DROP: drop(app, st); break;
	case QL_ACT_DIGITS: st->all_digits = !st->all_digits; break;
	default: return false;
	}
	clamp_cursor(st);
	return true;
}

static bool bits_click(ql_app *app, void *vst, int y, int x)
{
	bits_state *st = vst;
	for (int k = 0; k < st->nhits; k++) {
		const row_hit *hit = &st->hits[k];
		if (y < hit->y0 || y > hit->y1)
			continue;
		st->cur_row = hit->row;
		ql_type t = st->rows[hit->row];
		if (y == hit->y0)
			for (int b = 0; b < ql_formats[t].bits; b++)
				if (x == BITS_X + bit_col(t, b)) {
					st->cur_bit = b;
					flip(app, st);
					break;
				}
		clamp_cursor(st);
		return true;
	}
	return false;
}

/* `:bits VALUE` on this screen also makes VALUE the input (the command
 * already checked it). */
static bool bits_command(ql_app *app, void *vst, int argc, char **argv)
{
	(void)app;
	bits_state *st = vst;
	if (argc != 2 || strcmp(argv[0], "bits") != 0)
		return false;
	return set_input_text(st, argv[1], NULL) == 0;
}

/* argv[0]: the input (none: 1/3). */
static void *bits_open(ql_app *app, int argc, char **argv, ql_error *err)
{
	(void)app;
	const char *arg = argc > 0 ? argv[0] : NULL;
	bits_state *st = calloc(1, sizeof *st);
	if (!st) {
		ql_error_set(err, "out of memory");
		return NULL;
	}
	memcpy(st->rows, base_rows, sizeof base_rows);
	st->nrows = N_BASE;
	st->src_type = -1;
	st->cur_row = 1; /* fp16: where 1/3 is most interesting */
	if (set_input_text(st, arg ? arg : "1/3", err)) {
		free(st);
		return NULL;
	}
	return st;
}

static void bits_close(void *st)
{
	free(st);
}

const ql_screen_ops ql_screen_bits = {
	.name = "bits",
	.title = "Bit explorer",
	.scope = QL_SC_BITS,
	.min_lines = QL_TUI_MIN_LINES - 2,
	.min_cols = QL_TUI_MIN_COLS,
	.open = bits_open,
	.close = bits_close,
	.action = bits_action,
	.click = bits_click,
	.draw = bits_draw,
	.command = bits_command,
};
