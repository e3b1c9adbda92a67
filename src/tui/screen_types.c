/* screen_types.c — the format table: every format's range and precision.
 *
 * Top: the finfo/iinfo numbers of each format (ql_finfo_get), one line per
 * format. Below: the same formats on one logarithmic axis of magnitudes,
 * from the smallest subnormal (light) through the normal range (solid) to
 * the largest finite value, with eps beside each, so that fp16's narrow
 * range next to bf16's wide one shows at a glance. The axis spans every
 * format but fp64, whose range would flatten the rest; fp64's bar runs off
 * both ends, marked with arrows.
 *
 * Both halves scroll together to keep the selected format in view. Enter
 * (or a click) shows its numbers with every digit.
 *
 * After the element formats come the block formats of blockfmt.h's table
 * (q8_0 ... q6_k, iq4_xs, tq1_0, mxfp4_ggml, nvfp4): their rows give the
 * block length, bytes and bits per weight, their rows under the axis their
 * summary (a format of blocks has no one range), and Enter shows the block
 * field by field, with one block of a sample drawn as its bytes under each
 * field. Text too long for the row ends at a word with an ellipsis.
 */
#include "tui_impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qlens/blockfmt.h"
#include "qlens/decimal.h"
#include "qlens/format.h"

#define NAME_X 2
#define AXIS_X 12
#define EPS_W 15 /* " eps 9.77e-04" and a margin */
#define BLOCK_X 13 /* a block format's text: after its name (10 at most: mxfp4_ggml) and a space */

/* Rows: the element formats, then the block formats. */
static int nrows(void)
{
	return QL_TYPE_COUNT + ql_block_format_count;
}

static const ql_block_traits *row_block(int i)
{
	return i >= QL_TYPE_COUNT ? &ql_block_formats[i - QL_TYPE_COUNT] : NULL;
}

typedef struct types_state {
	int sel, top;
	int table_y, axis_y, shown; /* from the last draw, for clicks */
} types_state;

static void num(double v, char *buf, size_t n)
{
	if (isnan(v))
		snprintf(buf, n, "-");
	else if (v == 0)
		snprintf(buf, n, "0");
	else if (v == floor(v) && fabs(v) < 1e6)
		snprintf(buf, n, "%.0f", v);
	else
		snprintf(buf, n, "%.3g", v);
}

/* The lowest positive magnitude a format holds. */
static double lowest(const ql_finfo *fi)
{
	return fi->smallest_subnormal > 0 ? fi->smallest_subnormal : fi->tiny;
}

static void axis_range(double *lo, double *hi)
{
	*lo = INFINITY;
	*hi = -INFINITY;
	for (int t = 0; t < QL_TYPE_COUNT; t++) {
		if (t == QL_FP64)
			continue;
		ql_finfo fi;
		ql_finfo_get((ql_type)t, &fi);
		double a = log2(lowest(&fi)), b = log2(fi.max);
		if (a < *lo)
			*lo = a;
		if (b > *hi)
			*hi = b;
	}
}

/* Column of magnitude v on the axis [lo, hi] drawn over width cells; may
 * fall outside [0, width). */
static int axis_col(double v, double lo, double hi, int width)
{
	return (int)lround((log2(v) - lo) / (hi - lo) * (width - 1));
}

static void draw_table_row(const ql_theme *th, WINDOW *w, int y, int cols, ql_type t, bool sel)
{
	ql_finfo fi;
	ql_finfo_get(t, &fi);
	char c[8][32];
	snprintf(c[0], sizeof c[0], "%d", fi.bits);
	num(fi.eps, c[1], sizeof c[1]);
	num(fi.max, c[2], sizeof c[2]);
	num(fi.min, c[3], sizeof c[3]);
	num(fi.tiny, c[4], sizeof c[4]);
	num(fi.smallest_subnormal, c[5], sizeof c[5]);
	if (isnan(fi.eps))
		snprintf(c[6], sizeof c[6], "-");
	else
		snprintf(c[6], sizeof c[6], "%d", fi.precision);
	num(fi.levels, c[7], sizeof c[7]);
	ql_role r = sel ? QL_R_SELECTED : QL_R_NORMAL;
	if (sel)
		ql_fill_row(th, w, y, QL_R_SELECTED);
	ql_put(th, w, y, NAME_X, 9, sel ? QL_R_SELECTED : QL_R_LABEL, ql_formats[t].name);
	static const int xs[] = {12, 17, 28, 39, 50, 61, 72, 80};
	static const int ws[] = {4, 10, 10, 10, 10, 10, 6, 10};
	for (int i = 0; i < 8; i++) {
		if (xs[i] + ws[i] > cols - 1)
			break;
		int wd = ql_text_width(th, c[i]);
		ql_put(th, w, y, xs[i] + ws[i] - wd, ws[i], r, c[i]);
	}
}

static void draw_block_row(const ql_theme *th, WINDOW *w, int y, int cols,
			   const ql_block_traits *b, bool sel)
{
	char c[160];
	snprintf(c, sizeof c, "%g bits/weight: %d values in %d bytes (Enter: its layout)",
		 ql_block_bits_per_weight(b), b->block, b->bytes);
	if (sel)
		ql_fill_row(th, w, y, QL_R_SELECTED);
	ql_put(th, w, y, NAME_X, BLOCK_X - NAME_X - 1, sel ? QL_R_SELECTED : QL_R_LABEL, b->name);
	ql_put_fit(th, w, y, BLOCK_X, cols - BLOCK_X - 1, sel ? QL_R_SELECTED : QL_R_NORMAL, c);
}

static void draw_table_header(const ql_theme *th, WINDOW *w, int y, int cols)
{
	static const char *const h[] = {"bits", "eps", "max", "min", "tiny", "subnormal", "digits", "values"};
	static const int xs[] = {12, 17, 28, 39, 50, 61, 72, 80};
	static const int ws[] = {4, 10, 10, 10, 10, 10, 6, 10};
	ql_put(th, w, y, NAME_X, -1, QL_R_LABEL, "format");
	for (int i = 0; i < 8; i++) {
		if (xs[i] + ws[i] > cols - 1)
			break;
		int wd = ql_text_width(th, h[i]);
		ql_put(th, w, y, xs[i] + ws[i] - wd, -1, QL_R_LABEL, h[i]);
	}
}

static void draw_axis_row(const ql_theme *th, WINDOW *w, int y, int cols, ql_type t, bool sel,
			  double lo, double hi)
{
	ql_finfo fi;
	ql_finfo_get(t, &fi);
	int width = cols - AXIS_X - EPS_W;
	ql_put(th, w, y, NAME_X, 9, sel ? QL_R_SELECTED : QL_R_LABEL, ql_formats[t].name);
	int a = axis_col(lowest(&fi), lo, hi, width);
	int n = axis_col(fi.tiny, lo, hi, width);
	int b = axis_col(fi.max, lo, hi, width);
	if (b < a)
		b = a;
	for (int x = a; x <= b; x++) {
		if (x < 0 || x >= width)
			continue;
		bool sub = fi.smallest_subnormal > 0 && x < n;
		ql_put(th, w, y, AXIS_X + x, 1, sub ? QL_R_AXIS_SUB : QL_R_AXIS,
		       sub ? th->g.bar_sub : th->g.bar);
	}
	if (a < 0)
		ql_put(th, w, y, AXIS_X - 1, 1, QL_R_WARN, th->g.more_left);
	if (b >= width)
		ql_put(th, w, y, AXIS_X + width, 1, QL_R_WARN, th->g.more_right);
	char e[40], v[24];
	num(fi.eps, v, sizeof v);
	snprintf(e, sizeof e, "eps %s", v);
	ql_put(th, w, y, AXIS_X + width + 2, EPS_W - 2, sel ? QL_R_SELECTED : QL_R_DIM, e);
}

/* Powers of ten under the axis, as many as fit without touching. */
static void draw_ticks(const ql_theme *th, WINDOW *w, int y, int cols, double lo, double hi)
{
	int width = cols - AXIS_X - EPS_W;
	int kmin = (int)ceil(lo / log2(10.0)), kmax = (int)floor(hi / log2(10.0));
	int next_free = 0;
	int step = 10;
	while (step < 100 && (kmax - kmin) / step * 7 > width)
		step += 10;
	for (int k = kmin - (kmin % step + step) % step; k <= kmax; k += step) {
		if (k < kmin)
			continue;
		char lab[16];
		if (k == 0)
			snprintf(lab, sizeof lab, "1");
		else
			snprintf(lab, sizeof lab, "1e%d", k);
		int x = axis_col(pow(10.0, k), lo, hi, width);
		int lw = (int)strlen(lab);
		int lx = x - lw / 2;
		if (lx < next_free || lx + lw > width)
			continue;
		ql_put(th, w, y, AXIS_X + x, 1, QL_R_DIM, "|");
		ql_put(th, w, y + 1, AXIS_X + lx, -1, QL_R_DIM, lab);
		next_free = lx + lw + 1;
	}
}

static void types_draw(ql_app *app, void *vst, WINDOW *w)
{
	types_state *st = vst;
	const ql_theme *th = ql_app_theme(app);
	int h = getmaxy(w), cols = getmaxx(w);
	/* table: header + shown rows; blank; axis title; shown rows; 2 tick rows */
	int shown = (h - 5) / 2;
	if (shown > nrows())
		shown = nrows();
	if (shown < 1)
		shown = 1;
	if (st->sel < st->top)
		st->top = st->sel;
	if (st->sel >= st->top + shown)
		st->top = st->sel - shown + 1;
	if (st->top > nrows() - shown)
		st->top = nrows() - shown;
	st->shown = shown;

	int y = 0;
	draw_table_header(th, w, y++, cols);
	st->table_y = y;
	for (int i = 0; i < shown; i++) {
		int r = st->top + i;
		if (row_block(r))
			draw_block_row(th, w, y++, cols, row_block(r), r == st->sel);
		else
			draw_table_row(th, w, y++, cols, (ql_type)r, r == st->sel);
	}
	if (shown < nrows()) {
		char more[48];
		snprintf(more, sizeof more, "formats %d-%d of %d", st->top + 1, st->top + shown, nrows());
		ql_put(th, w, y, cols - 1 - ql_text_width(th, more), -1, QL_R_DIM, more);
	}
	y++;

	double lo, hi;
	axis_range(&lo, &hi);
	char title[160];
	snprintf(title, sizeof title, "log axis of magnitudes: %s subnormal %s normal   (fp64 runs off both ends)",
		 th->g.bar_sub, th->g.bar);
	ql_put(th, w, y++, NAME_X, cols - NAME_X - 1, QL_R_LABEL, title);
	st->axis_y = y;
	for (int i = 0; i < shown; i++) {
		int r = st->top + i;
		if (row_block(r)) { /* a block format has no single range: its summary */
			ql_put(th, w, y, NAME_X, BLOCK_X - NAME_X - 1, r == st->sel ? QL_R_SELECTED : QL_R_LABEL,
			       row_block(r)->name);
			ql_put_fit(th, w, y++, BLOCK_X, cols - BLOCK_X - 1, QL_R_DIM, row_block(r)->summary);
		} else {
			draw_axis_row(th, w, y++, cols, (ql_type)r, r == st->sel, lo, hi);
		}
	}
	draw_ticks(th, w, y, cols, lo, hi);
}

static void show_details(ql_app *app, ql_type t)
{
	const ql_format *f = &ql_formats[t];
	ql_finfo fi;
	ql_finfo_get(t, &fi);
	char *buf = NULL, v[QL_DECIMAL_MAX];
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	if (!out)
		return;
	fprintf(out, "%s: %s, %d bits", f->name, f->title, f->bits);
	if (f->kind == QL_KIND_FLOAT)
		fprintf(out, " (1 sign, %d exponent with bias %d, %d mantissa)", f->exp_bits, f->bias, f->man_bits);
	fprintf(out, "\n\n");
	static const char *const names[] = {"eps", "max", "min", "tiny (smallest normal)", "smallest subnormal"};
	const double vals[] = {fi.eps, fi.max, fi.min, fi.tiny, fi.smallest_subnormal};
	for (int i = 0; i < 5; i++) {
		if (isnan(vals[i]))
			snprintf(v, sizeof v, "none");
		else
			ql_decimal_exact(vals[i], v, sizeof v);
		fprintf(out, "  %-22s %s\n", names[i], v);
	}
	if (!isnan(fi.eps))
		fprintf(out, "  %-22s %d (resolution %g)\n", "decimal digits", fi.precision, fi.resolution);
	fprintf(out, "  %-22s %.17g\n", "distinct finite values", fi.levels);
	fprintf(out, "\nOverflow: %s\n", f->overflow_rule);
	if (f->torch_name)
		fprintf(out, "PyTorch: %s\n", f->torch_name);
	fclose(out);
	ql_app_show_text(app, f->name, buf, len);
	free(buf);
}

/* A block format field by field, and one block of a sample (a smooth wave
 * with an outlier, quantized by the format's own quantizer) as its bytes. */
static void show_block(ql_app *app, const ql_block_traits *b)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	if (!out)
		return;
	fprintf(out, "%s (%s", b->name, ql_dtypes[b->dtype].name);
	if (b->ggml_type >= 0)
		fprintf(out, ", GGUF type %d", b->ggml_type);
	fprintf(out, "): %d values in %d bytes, %g bits per weight\n%s\n\n", b->block, b->bytes,
		ql_block_bits_per_weight(b), b->summary);
	unsigned char *raw = calloc(1, (size_t)b->bytes);
	float *x = malloc((size_t)b->block * sizeof *x);
	bool have = raw && x && b->quantize_row_ref;
	if (have) {
		for (int i = 0; i < b->block; i++)
			x[i] = 0.05f * sinf(0.37f * (float)i) + (i == 5 ? 0.2f : 0.0f);
		ql_block_quantizer(b)(x, raw, b->block);
		fprintf(out, "One block of a sample (0.05 sin(0.37 i), 0.2 at i = 5), field by field:\n\n");
	}
	int off = 0;
	for (int f = 0; f < b->nfields; f++) {
		const ql_block_field *fl = &b->fields[f];
		fprintf(out, "  %3d  %-8s %-13s %3d bytes  %s\n", off, fl->name, fl->type, fl->bytes,
			fl->meaning);
		for (int i = 0; have && i < fl->bytes; i++)
			fprintf(out, "%s%02x%s", i % 16 == 0 ? "       " : "", raw[off + i],
				i % 16 == 15 || i == fl->bytes - 1 ? "\n" : " ");
		off += fl->bytes;
	}
	if (!b->quantize_row_ref)
		fprintf(out, "\n(decode only: qlens reads this format but does not write it)\n");
	free(raw);
	free(x);
	fclose(out);
	ql_app_show_text(app, b->name, buf, len);
	free(buf);
}

static void show_row(ql_app *app, int r)
{
	if (row_block(r))
		show_block(app, row_block(r));
	else
		show_details(app, (ql_type)r);
}

static bool types_action(ql_app *app, void *vst, ql_action a)
{
	types_state *st = vst;
	switch (a) {
	case QL_ACT_UP: st->sel--; break;
	case QL_ACT_DOWN: st->sel++; break;
	case QL_ACT_PAGE_UP: st->sel -= st->shown > 1 ? st->shown : 1; break;
	case QL_ACT_PAGE_DOWN: st->sel += st->shown > 1 ? st->shown : 1; break;
	case QL_ACT_FIRST: st->sel = 0; break;
	case QL_ACT_LAST: st->sel = nrows() - 1; break;
	case QL_ACT_OPEN: case QL_ACT_RIGHT: show_row(app, st->sel); break;
	default: return false;
	}
	if (st->sel < 0)
		st->sel = 0;
	if (st->sel >= nrows())
		st->sel = nrows() - 1;
	return true;
}

static bool types_click(ql_app *app, void *vst, int y, int x)
{
	(void)x;
	types_state *st = vst;
	int i = -1;
	if (y >= st->table_y && y < st->table_y + st->shown)
		i = y - st->table_y;
	else if (y >= st->axis_y && y < st->axis_y + st->shown)
		i = y - st->axis_y;
	if (i < 0)
		return false;
	st->sel = st->top + i;
	show_row(app, st->sel);
	return true;
}

static void *types_open(ql_app *app, int argc, char **argv, ql_error *err)
{
	(void)app;
	(void)argc;
	(void)argv;
	types_state *st = calloc(1, sizeof *st);
	if (!st)
		ql_error_set(err, "out of memory");
	else
		st->sel = QL_FP16;
	return st;
}

static void types_close(void *st)
{
	free(st);
}

const ql_screen_ops ql_screen_types = {
	.name = "types",
	.title = "Format table",
	.scope = QL_SC_TYPES,
	.min_lines = QL_TUI_MIN_LINES - 2,
	.min_cols = QL_TUI_MIN_COLS,
	.open = types_open,
	.close = types_close,
	.action = types_action,
	.click = types_click,
	.draw = types_draw,
	.command = NULL,
};
