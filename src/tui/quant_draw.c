/* quant_draw.c — the quantization explorer's picture (see screen_quant.c).
 *
 * It places what the worker computed: histograms through plot.c, the grid's
 * levels and codes, the clip and calibration marks, the mapping, and the
 * readout. The rows shared out: the header (2), the value histogram, the
 * axis (ticks, codes, values, marks: 4), the mapping (2), the error
 * histogram and its axis, and the readout (5); the two histograms take what
 * is left, 3 to 2, so a taller window shows them taller.
 */
#include "quant_screen.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>


static const char *num(double v, char *buf, size_t n)
{
	if (v == 0)
		snprintf(buf, n, "0");
	else
		snprintf(buf, n, "%.4g", v);
	return buf;
}

/* One row's labels: the plot columns taken so far, so that a label goes
 * only where it overwrites nothing (the more important ones placed first;
 * one that does not fit is left out). */
enum { FREE, TEXT, MARK };
typedef struct lane {
	const ql_theme *th;
	WINDOW *w;
	int y, x0, width;
	char used[1024]; /* FREE, TEXT (kept apart by a gap) or MARK (a glyph) */
} lane;

static void lane_init(lane *l, const ql_theme *th, WINDOW *w, int y, int x0, int width)
{
	memset(l, 0, sizeof *l);
	l->th = th;
	l->w = w;
	l->y = y;
	l->x0 = x0;
	l->width = width < 1024 ? width : 1024;
}

/* Whether columns [x, x + n) are inside the plot and free, and `gap`
 * columns either side free of other text (a mark may be next to it:
 * "-7 ├", "▲0"). */
static bool lane_fits(const lane *l, int x, int n, int gap)
{
	if (x < 0 || x + n > l->width)
		return false;
	for (int c = x - gap; c < x + n + gap; c++)
		if (c >= 0 && c < l->width &&
		    (l->used[c] == TEXT || (l->used[c] == MARK && c >= x && c < x + n)))
			return false;
	return true;
}

/* Puts s at plot column x if it fits there (see lane_fits); whether it
 * did. */
static bool lane_put(lane *l, int x, int gap, ql_role r, const char *s)
{
	int tw = ql_text_width(l->th, s);
	if (!lane_fits(l, x, tw, gap))
		return false;
	ql_put(l->th, l->w, l->y, l->x0 + x, tw, r, s);
	for (int c = x; c < x + tw; c++)
		l->used[c] = TEXT;
	return true;
}

/* A mark at column c (an axis glyph, the cursor): drawn whatever is
 * there, and taken. */
static void lane_mark(lane *l, int c, ql_role r, const char *g)
{
	if (c < 0 || c >= l->width)
		return;
	ql_put(l->th, l->w, l->y, l->x0 + c, 1, r, g);
	l->used[c] = MARK;
}

/* The top line: the file's name, and the tensor's when it is not the
 * file's, in width columns (the tensor's alone where both do not fit, and
 * it ends at a word where it must). */
static void draw_title(const ql_theme *th, WINDOW *w, int width, const quant_state *st)
{
	char line[1200];
	const char *base = strrchr(st->file, '/');
	base = base ? base + 1 : st->file;
	size_t stem = strcspn(base, ".");
	bool same = strlen(st->tensor) == stem && strncmp(base, st->tensor, stem) == 0;
	snprintf(line, sizeof line, "%s%s%s [%s] %lld values", base, same ? "" : " : ",
		 same ? "" : st->tensor, st->shape_text, (long long)st->n);
	if (!same && ql_text_width(th, line) > width)
		snprintf(line, sizeof line, "%s [%s] %lld values", st->tensor, st->shape_text, (long long)st->n);
	ql_put_fit(th, w, 0, 1, width, QL_R_LABEL, line);
}

static void draw_header(const ql_theme *th, WINDOW *w, int cols, const quant_state *st)
{
	char line[1200], words[256], desc[160];
	draw_title(th, w, cols - 2, st);
	const ql_scheme *s = st->res ? &st->res->r.scheme : &st->scheme;
	ql_qview_scheme_args(s, words, sizeof words);
	ql_scheme_describe(s, desc, sizeof desc);
	/* the options first, then the added outlier (the top line's right end
	 * is the cursor's), then their description when it fits whole */
	const char *out = st->outlier ? "   +1 outlier (o removes it)" : "";
	int n = snprintf(line, sizeof line, "%s%s   (%s)", words, out, desc);
	if (n > cols - 2)
		snprintf(line, sizeof line, "%s%s", words, out);
	ql_put(th, w, 1, 1, cols - 2, QL_R_VALUE, line);
}

/* The view's [vlo, vhi]: the values' axis zoomed around the centre. */
static void view(quant_state *st, double *vlo, double *vhi)
{
	const qx_result *res = st->res;
	if (st->zoom <= 1)
		st->centre = (res->lo + res->hi) / 2;
	double span = (res->hi - res->lo) / st->zoom;
	*vlo = st->centre - span / 2;
	*vhi = st->centre + span / 2;
}

/* The smallest "round" step (1, 2, 4, 5, 8, 10, 16, 20, 25, 32, 50, 64,
 * 100, 128, ...) of at least min: the grid's ticks and labels go by it, so
 * int8's read 0, 32, 64, 96 rather than whatever happened to fit. */
static int round_step(int min)
{
	static const int base[] = {1, 2, 4, 5, 8, 10, 16, 20, 25, 32, 50, 64};
	for (long scale = 1;; scale *= 100) {
		for (size_t i = 0; i < sizeof base / sizeof base[0]; i++)
			if (base[i] * scale >= min)
				return (int)(base[i] * scale);
		if (scale > 1000000)
			return min;
	}
}

/* Whether labels on every m-th level from `zero` fit side by side. */
static bool labels_fit(const qx_result *res, int zero, int m, double vlo, double vhi, int width)
{
	int free_from = 0;
	for (int i = 0; i < res->nlevels; i++) {
		if ((i - zero) % m)
			continue;
		int c = ql_plot_col(res->levels[i], vlo, vhi, width);
		if (c < 0 || c >= width)
			continue;
		char lab[16];
		int lw = snprintf(lab, sizeof lab, "%d", (int)res->codes[i]), lx = c - lw / 2;
		lx = lx < 0 ? 0 : lx + lw > width ? width - lw : lx;
		if (lx < free_from)
			return false;
		free_from = lx + lw + 1;
	}
	return true;
}

/* Ticks for the levels, with codes under them: every level when they are a
 * few columns apart, else every k-th counted from zero, k a round step; the
 * codes on every m-th, m the smallest round multiple of k whose labels all
 * fit (so they step evenly). */
static void draw_grid(const ql_theme *th, WINDOW *w, int y, int x0, int width, const qx_result *res,
		      double vlo, double vhi)
{
	for (int c = 0; c < width; c++)
		ql_put(th, w, y, x0 + c, 1, QL_R_DIM, th->g.hline);
	int shown = 0, zero = 0;
	for (int i = 0; i < res->nlevels; i++) {
		int c = ql_plot_col(res->levels[i], vlo, vhi, width);
		shown += c >= 0 && c < width;
		if (fabs(res->levels[i]) < fabs(res->levels[zero]))
			zero = i;
	}
	int k = 1;
	while (shown / k > width / 2)
		k = round_step(k + 1);
	int m = k;
	while (m < res->nlevels && !labels_fit(res, zero, m, vlo, vhi, width)) {
		int next = round_step(m + 1);
		while (next % k)
			next = round_step(next + 1);
		m = next;
	}
	for (int i = 0; i < res->nlevels; i++) {
		if ((i - zero) % k)
			continue;
		int c = ql_plot_col(res->levels[i], vlo, vhi, width);
		if (c < 0 || c >= width)
			continue;
		ql_put(th, w, y, x0 + c, 1, QL_R_AXIS, th->utf8 ? "┴" : "+");
		if ((i - zero) % m)
			continue;
		char lab[16];
		int lw = snprintf(lab, sizeof lab, "%d", (int)res->codes[i]), lx = c - lw / 2;
		lx = lx < 0 ? 0 : lx + lw > width ? width - lw : lx;
		ql_put(th, w, y + 1, x0 + lx, lw, QL_R_DIM, lab);
	}
	const ql_qresult *r = &res->r;
	if (r->nscales > 0) {
		int cl = ql_plot_col(r->clip_lo[res->unit], vlo, vhi, width);
		int ch = ql_plot_col(r->clip_hi[res->unit], vlo, vhi, width);
		if (cl >= 0 && cl < width)
			ql_put(th, w, y, x0 + cl, 1, QL_R_WARN, "[");
		if (ch >= 0 && ch < width)
			ql_put(th, w, y, x0 + ch, 1, QL_R_WARN, "]");
	}
}

/* The view's ends and 0 under the grid, and the cursor's ▲ (first: a
 * label under it is left out until the cursor moves on). */
static void draw_value_labels(const ql_theme *th, WINDOW *w, int y, int x0, int width,
			      const quant_state *st, double vlo, double vhi)
{
	char a[32], b[32];
	lane l;
	lane_init(&l, th, w, y, x0, width);
	if (st->cursor >= 0 && st->cursor < width)
		lane_mark(&l, st->cursor, QL_R_CURSOR, th->utf8 ? "▲" : "^");
	lane_put(&l, 0, 1, QL_R_DIM, num(vlo, a, sizeof a));
	num(vhi, b, sizeof b);
	lane_put(&l, width - ql_text_width(th, b), 1, QL_R_DIM, b);
	int z = ql_plot_col(0.0, vlo, vhi, width);
	if (z >= 0 && z < width)
		lane_put(&l, z, 1, QL_R_LABEL, "0");
}

/* Each calibration's clip: M(inmax) P(ercentile) E (mse) K (entropy, KL). */
static void draw_marks(const ql_theme *th, WINDOW *w, int y, int x0, int width, const qx_result *res,
		       double vlo, double vhi)
{
	static const char letter[QL_CALIB_COUNT] = {'M', 'P', 'E', 'K'};
	if (!res->have_marks) {
		if (ql_qdtype_of(res->r.scheme.dtype)->kind != QL_QK_INT)
			return;
		ql_put(th, w, y, x0, width, QL_R_DIM,
		       res->unit_n > QX_MARKS_MAX ? "calibration marks: only up to 16M values"
						 : "calibration marks: computing...");
		return;
	}
	bool used[1024] = {false};
	for (int m = 0; m < QL_CALIB_COUNT; m++) {
		char s[2] = {letter[m], 0};
		/* the one in use stands out; with a manual clip none is */
		ql_role r = m == (int)res->r.scheme.calib && !res->r.scheme.has_scale ? QL_R_WARN
										     : QL_R_INFO;
		for (int end = 0; end < 2; end++) {
			double v = end ? res->mark_hi[m] : res->mark_lo[m];
			int c = ql_plot_col(v, vlo, vhi, width);
			if (v == 0 || c < 0 || c >= width)
				continue;
			/* marks on one column step aside, towards the middle */
			int dir = end ? -1 : 1;
			while (c >= 0 && c < width && c < 1024 && used[c])
				c += dir;
			if (c < 0 || c >= width || c >= 1024)
				continue;
			used[c] = true;
			ql_put(th, w, y, x0 + c, 1, r, s);
		}
	}
}

/* A label ending just left of column c, or just right of it when there is
 * no room (then inside the axis); and the other way round. Left out where
 * it would overwrite the axis's marks or another label. */
static void label_left(lane *l, int c, const char *s)
{
	int tw = ql_text_width(l->th, s);
	if (!lane_put(l, c - tw - 1, 1, QL_R_VALUE, s))
		lane_put(l, c + 1, 1, QL_R_VALUE, s);
}

static void label_right(lane *l, int c, const char *s)
{
	int tw = ql_text_width(l->th, s);
	if (!lane_put(l, c + 2, 1, QL_R_VALUE, s))
		lane_put(l, c - tw - 1, 1, QL_R_VALUE, s);
}

/* lo -> qmin, 0 -> zero point, hi -> qmax on aligned columns. */
static void draw_mapping(const ql_theme *th, WINDOW *w, int y, int x0, int width, const qx_result *res,
			 double vlo, double vhi)
{
	const ql_qresult *r = &res->r;
	if (r->nscales == 0)
		return;
	int64_t u = res->unit;
	double lo = r->clip_lo[u], hi = r->clip_hi[u];
	int cl = ql_plot_col(lo, vlo, vhi, width), ch = ql_plot_col(hi, vlo, vhi, width);
	cl = cl < 0 ? 0 : cl >= width ? width - 1 : cl;
	ch = ch < 0 ? 0 : ch >= width ? width - 1 : ch;
	lane row[2];
	for (int k = 0; k < 2; k++) {
		lane_init(&row[k], th, w, y + k, x0, width);
		for (int c = cl; c <= ch; c++)
			ql_put(th, w, y + k, x0 + c, 1, QL_R_AXIS, th->g.hline);
		lane_mark(&row[k], cl, QL_R_AXIS, th->utf8 ? "├" : "|");
		lane_mark(&row[k], ch, QL_R_AXIS, th->utf8 ? "┤" : "|");
	}
	/* the marks first, then the ends' labels, then the zero point's */
	int z = ql_plot_col(0.0, vlo, vhi, width);
	if (z > cl && z < ch)
		lane_mark(&row[0], z, QL_R_LABEL, th->utf8 ? "┼" : "0");
	bool affine = ql_qdtype_of(r->scheme.dtype)->kind == QL_QK_INT && r->qmax > r->qmin;
	int32_t zp = r->zero_points ? r->zero_points[u] : (r->qmin + r->qmax) / 2;
	if (affine) {
		int cz = cl + (int)lround((double)(zp - r->qmin) / (r->qmax - r->qmin) * (ch - cl));
		if (cz > cl && cz < ch)
			lane_mark(&row[1], cz, QL_R_LABEL, th->utf8 ? "┼" : "z");
	}
	char a[48], t[64];
	label_left(&row[0], cl, num(lo, a, sizeof a));
	label_right(&row[0], ch, num(hi, a, sizeof a));
	if (affine)
		snprintf(t, sizeof t, "%d", (int)r->qmin);
	else
		snprintf(t, sizeof t, "code %d", (int)r->qmin);
	label_left(&row[1], cl, t);
	snprintf(t, sizeof t, "%d", (int)r->qmax);
	label_right(&row[1], ch, t);
	if (ql_qdtype_of(r->scheme.dtype)->kind == QL_QK_INT)
		snprintf(t, sizeof t, " zero point %d ", (int)zp);
	else
		snprintf(t, sizeof t, " levels uneven: see the ticks ");
	int mid = (cl + ch) / 2 + 2;
	if (mid + ql_text_width(th, t) < ch - 4)
		lane_put(&row[1], mid, 0, QL_R_DIM, t);
}

static void draw_errors(const ql_theme *th, WINDOW *w, int y, int x0, int width, int rows,
			const quant_state *st)
{
	const qx_result *res = st->res;
	double a[1024], b[1024];
	if (width > 1024)
		width = 1024;
	double lo = res->err_round.lo, hi = res->err_round.hi;
	ql_qview_columns(&res->err_round, lo, hi, width, a);
	ql_qview_columns(&res->err_clip, lo, hi, width, b);
	if (res->r.metrics.max_abs_err == 0) {
		/* every error is 0: one bar at 0, not the bin [0, 0.5] that
		 * holds them (qview.h) spread over half the axis */
		int z = ql_plot_col(0.0, lo, hi, width);
		double ta = 0, tb = 0;
		for (int c = 0; c < width; c++) {
			ta += a[c];
			tb += b[c];
			a[c] = b[c] = 0;
		}
		if (z >= 0 && z < width) {
			a[z] = ta;
			b[z] = tb;
		}
	}
	ql_plot_bars(th, w, y, x0, rows, a, b, width, st->logc, QL_R_GOOD, QL_R_WARN);
	char l[48], r[48], legend[160];
	lane ln;
	lane_init(&ln, th, w, y + rows, x0, width);
	lane_put(&ln, 0, 0, QL_R_DIM, num(lo, l, sizeof l));
	num(hi, r, sizeof r);
	lane_put(&ln, width - ql_text_width(th, r), 1, QL_R_DIM, r);
	/* the legend centred under 0, moved in to keep two columns from the
	 * ends' labels; when it does not fit whole, without its first words,
	 * then without the log note, then without both */
	int z = ql_plot_col(0.0, lo, hi, width);
	for (int v = 0; v < 4; v++) {
		snprintf(legend, sizeof legend, "%s%s rounding  %s clipping%s",
			 v % 2 ? "" : th->utf8 ? "error = x\u0302 - x   " : "error = xhat - x   ",
			 th->utf8 ? "█" : "#", th->utf8 ? "▒" : "x", st->logc && v < 2 ? "  (log counts)" : "");
		int tw = ql_text_width(th, legend);
		int first = ql_text_width(th, l) + 2, last = width - ql_text_width(th, r) - 2 - tw;
		int lx = z - tw / 2;
		lx = lx > last ? last : lx;
		lx = lx < first ? first : lx;
		if (lane_put(&ln, lx, 2, QL_R_LABEL, legend))
			break;
	}
}

/* The readout, item after item, wrapped at the window's edge. */
typedef struct flow {
	const ql_theme *th;
	WINDOW *w;
	int y, x, x0, right, y_end;
	bool dry; /* only count the rows */
} flow;

static void item(flow *f, ql_role r, const char *s)
{
	int tw = ql_text_width(f->th, s);
	if (f->x > f->x0 && f->x + tw > f->right) {
		f->y++;
		f->x = f->x0;
	}
	if (f->y >= f->y_end)
		return;
	if (f->dry) {
		f->x += tw + 3;
		return;
	}
	f->x += ql_put(f->th, f->w, f->y, f->x, f->right - f->x, r, s) + 3;
}

static void metric(flow *f, const char *name, double v, bool have_prev, double was, const char *unit)
{
	char a[32], b[32], s[128];
	if (have_prev)
		snprintf(s, sizeof s, "%s %s%s, was %s", name, num(v, a, sizeof a), unit, num(was, b, sizeof b));
	else
		snprintf(s, sizeof s, "%s %s%s", name, num(v, a, sizeof a), unit);
	item(f, QL_R_NORMAL, s);
}

/* The readout in `rows` rows from y; with dry, nothing drawn: returns the
 * rows it takes. */
static int draw_readout(const ql_theme *th, WINDOW *w, int y, int cols, int rows, bool dry,
			const quant_state *st)
{
	const qx_result *res = st->res;
	const ql_qresult *r = &res->r;
	const ql_metrics *m = &r->metrics;
	flow f = {th, w, y, 1, 1, cols - 1, y + rows, dry};
	char s[200], a[32], b[32], c[32];
	bool p = st->have_prev;
	snprintf(s, sizeof s, "qmin %d  qmax %d", (int)r->qmin, (int)r->qmax);
	item(&f, QL_R_VALUE, s);
	if (r->nscales == 1) {
		if (p)
			snprintf(s, sizeof s, "scale %s, was %s", num(r->scales[0], a, sizeof a),
				 num(st->prev_scale, b, sizeof b));
		else
			snprintf(s, sizeof s, "scale %s", num(r->scales[0], a, sizeof a));
	} else if (r->nscales == 0) { /* an empty tensor quantizes to nothing */
		snprintf(s, sizeof s, "no scales (no values)");
	} else {
		float mn = 0, mx = 0;
		ql_range(r->scales, (size_t)r->nscales, &mn, &mx);
		snprintf(s, sizeof s, "%lld scales %s..%s, #%lld: %s", (long long)r->nscales,
			 num(mn, a, sizeof a), num(mx, b, sizeof b), (long long)res->unit,
			 num(r->scales[res->unit], c, sizeof c));
	}
	item(&f, QL_R_VALUE, s);
	if (r->nscales > 0) {
		snprintf(s, sizeof s, "clip [%s, %s]", num(r->clip_lo[res->unit], a, sizeof a),
			 num(r->clip_hi[res->unit], b, sizeof b));
		item(&f, QL_R_VALUE, s);
	}
	f.y++;
	f.x = f.x0;
	metric(&f, "SQNR", m->sqnr_db, p, st->prev.sqnr_db, " dB");
	metric(&f, "MSE", m->mse, p, st->prev.mse, "");
	metric(&f, "RMSE", m->rmse, p, st->prev.rmse, "");
	metric(&f, "max|e|", m->max_abs_err, p, st->prev.max_abs_err, "");
	metric(&f, "mean|e|", m->mean_abs_err, p, st->prev.mean_abs_err, "");
	metric(&f, "cosine", m->cosine, p, st->prev.cosine, "");
	double pct = m->n ? 100.0 * (double)m->clipped / (double)m->n : 0;
	if (p)
		snprintf(s, sizeof s, "clipped %lld (%s%%), was %lld", (long long)m->clipped,
			 num(pct, a, sizeof a), (long long)st->prev.clipped);
	else
		snprintf(s, sizeof s, "clipped %lld (%s%%)", (long long)m->clipped, num(pct, a, sizeof a));
	item(&f, m->clipped ? QL_R_WARN : QL_R_NORMAL, s);
	if (p)
		snprintf(s, sizeof s, "bits/weight %s (%llu bytes), was %s", num(r->bits_per_weight, a, sizeof a),
			 (unsigned long long)r->bytes, num(st->prev_bpw, b, sizeof b));
	else
		snprintf(s, sizeof s, "bits/weight %s (%llu bytes)", num(r->bits_per_weight, a, sizeof a),
			 (unsigned long long)r->bytes);
	item(&f, QL_R_NORMAL, s);
	return f.y - y + 1;
}

/* x -> code -> x̂ of the value under the cursor, at the right of row 0. */
static void draw_cursor(const ql_theme *th, WINDOW *w, int cols, const quant_state *st)
{
	const qx_result *res = st->res;
	if (st->cursor < 0 || st->width <= 0)
		return;
	float x = (float)st->cursor_x, xh;
	int32_t code;
	char s[128], a[32], b[32];
	if (ql_qview_point(&res->r, res->unit, x, &code, &xh))
		return;
	snprintf(s, sizeof s, " %s %s %s code %d %s %s ", th->utf8 ? "▲" : "^", num(x, a, sizeof a),
		 th->utf8 ? "→" : "->", (int)code, th->utf8 ? "→" : "->", num(xh, b, sizeof b));
	int sx = cols - 1 - ql_text_width(th, s);
	wmove(w, 0, 0); /* the top line again, ending before it */
	wclrtoeol(w);
	draw_title(th, w, sx - 2, st);
	ql_put(th, w, 0, sx, -1, QL_R_CURSOR, s);
}

/* While the newest key's work is not in: what the worker does, how far
 * ql_quantize is (its jobs, in %), and for how long. */
static void draw_busy(const ql_theme *th, WINDOW *w, int cols, const quant_state *st)
{
	if ((st->res && st->res->gen == st->want) || st->failed == st->want)
		return; /* in, or failed: nothing is coming */
	const char *stage = qx_stage(st->w, NULL);
	char s[320], pct[16] = "";
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	double now = (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
	int p = qx_progress(st->w);
	if (p >= 0 && !strcmp(stage, "quantizing"))
		snprintf(pct, sizeof pct, " %d%%", p);
	/* for which setting: the header above still names the one shown */
	char want[128] = "a manual clip";
	if (!st->manual)
		ql_scheme_describe(&st->scheme, want, sizeof want);
	snprintf(s, sizeof s, " %s %lld values...%s %.1f s  for %s; a new key cancels it ",
		 stage[0] ? stage : "queued", (long long)st->n, pct, (now - st->submitted_ms) / 1e3,
		 want);
	ql_put(th, w, 2, 0, cols, QL_R_INFO, s);
}

void ql_quant_draw(ql_app *app, void *vst, WINDOW *w)
{
	quant_state *st = vst;
	const ql_theme *th = ql_app_theme(app);
	int h = getmaxy(w), cols = getmaxx(w);
	draw_header(th, w, cols, st);
	if (!st->res) {
		draw_busy(th, w, cols, st);
		return;
	}
	const qx_result *res = st->res;
	int x0 = 1, width = cols - 2;
	if (width > 1024)
		width = 1024;
	st->width = width;
	double vlo, vhi;
	view(st, &vlo, &vhi);
	st->view_lo = vlo;
	st->view_hi = vhi;
	/* the cursor's value at its column in this width and view; placed at
	 * 0 at first, at the nearest end when the view has left it */
	int c = ql_plot_col(st->cursor < 0 ? 0.0 : st->cursor_x, vlo, vhi, width);
	if (st->cursor < 0 || c < 0 || c >= width) {
		c = c < 0 ? 0 : c >= width ? width - 1 : c;
		st->cursor_x = vlo + (c + 0.5) * (vhi - vlo) / width;
	}
	st->cursor = c;

	/* the readout's rows: as many as its items take with the "was" figures
	 * (so that the first key does not move the pictures): 5 at 80
	 * columns, 6 with a scale summary, 2 or 3 on a wide terminal */
	quant_state with_was = *st;
	with_was.have_prev = true;
	int rrows = draw_readout(th, w, 0, cols, 100, true, &with_was);
	rrows = rrows < 2 ? 2 : rrows > 7 ? 7 : rrows;
	int rest = h - 2 - 4 - 2 - 1 - rrows;
	int vh = rest * 3 / 5, eh = rest - vh;
	if (vh < 2)
		vh = 2;
	if (eh < 2)
		eh = 2;
	int y = 2;
	if (res->r.nscales > 1) {
		/* a strip of every unit's scale, the selected one marked; below
		 * it the selected unit's values */
		ql_plot_strip(th, w, y, x0, width, res->r.scales, res->r.nscales, res->unit, QL_R_AXIS_SUB,
			      QL_R_CURSOR);
		y++;
		vh--;
	}
	double cnt[1024];
	ql_qview_fine_columns(&res->values, vlo, vhi, width, cnt);
	ql_plot_bars(th, w, y, x0, vh, cnt, NULL, width, st->logc, QL_R_AXIS, QL_R_AXIS);
	if (res->r.nscales > 1) {
		char s[96];
		snprintf(s, sizeof s, " %s %lld of %lld (Up/Down): its values and grid; %s every scale ",
			 res->r.scheme.gran == QL_GRAN_CHANNEL ? "channel" :
			 res->r.scheme.gran == QL_GRAN_GROUP ? "group" : "block",
			 (long long)res->unit, (long long)res->r.nscales, th->utf8 ? "↑" : "^");
		ql_put(th, w, y, cols - 1 - ql_text_width(th, s), -1, QL_R_DIM, s);
	}
	y += vh;
	draw_grid(th, w, y, x0, width, res, vlo, vhi);
	draw_value_labels(th, w, y + 2, x0, width, st, vlo, vhi);
	draw_marks(th, w, y + 3, x0, width, res, vlo, vhi);
	y += 4;
	draw_mapping(th, w, y, x0, width, res, vlo, vhi);
	y += 2;
	draw_errors(th, w, y, x0, width, eh, st);
	y += eh + 1;
	draw_readout(th, w, y, cols, rrows, false, st);
	draw_cursor(th, w, cols, st);
	draw_busy(th, w, cols, st); /* last: over the older result's picture */
}
