/* screen_compare.c — `qlens compare` as a picture.
 *
 * Arguments: PATH --tensor NAME [--schemes LIST] (the command's default
 * list without one). Every scheme is run by ql_quantize in the background,
 * one after the other (cancelled between two by moving away). One row per
 * scheme, in `qlens compare`'s order (by bits per weight, the higher SQNR
 * first among equals): its bits per weight and its SQNR, each as a bar,
 * and a rate-distortion plot below: bits per weight across, SQNR up, each
 * scheme its row's number at its point (schemes on one spot share a
 * label). Up/Down pick a scheme, Enter opens the quantization
 * explorer with it (the cells view where there is none), w writes the
 * tensor quantized with it (as `qlens quantize -o`).
 */
#include "tui_impl.h"
#include "inspect.h"
#include "qlens/scheme.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_SCHEMES QL_COMPARE_SCHEMES
#define MAX_SCHEMES 24

typedef struct cmp_row {
	ql_scheme scheme;
	char word[QL_SCHEME_WORD_MAX];
	int order;       /* its place in the list given */
	bool ok;
	double bpw, sqnr, rmse, max_err;
	char why[160];   /* why it failed */
} cmp_row;

typedef struct cmp_payload {
	cmp_row rows[MAX_SCHEMES];
	int n;
	int done;
} cmp_payload;

/* `qlens compare`'s order: by bits per weight, the higher SQNR first
 * among equals, the schemes that failed last; then as listed. */
static int by_bits(const void *pa, const void *pb)
{
	const cmp_row *a = pa, *b = pb;
	int r = ql_scheme_rank(a->ok, a->bpw, a->sqnr, b->ok, b->bpw, b->sqnr);
	return r ? r : a->order - b->order;
}

static int cmp_run(ql_job *j, ql_doc *doc, size_t index, void *payload, ql_error *err)
{
	cmp_payload *p = payload;
	const ql_tensor *t = ql_source_tensor(doc->src, index);
	float *x = NULL;
	if (ql_doc_read_f32(doc, index, &x, j, 0.1, err))
		return -1;
	int rc = 0;
	for (int i = 0; i < p->n; i++) {
		if (!ql_job_progress(j, 0.1 + 0.9 * i / p->n)) {
			rc = ql_error_set(err, "cancelled");
			break;
		}
		cmp_row *r = &p->rows[i];
		ql_qresult q;
		ql_error e = {{0}};
		ql_qopts o = {.dequant = false, .threads = 0, .no_metrics = false};
		if (ql_scheme_validate(&r->scheme, t->shape, t->ndim, &e) ||
		    ql_quantize(x, t->shape, t->ndim, &r->scheme, &o, &q, &e) ||
		    (ql_qresult_check(&q, &e) && (ql_qresult_free(&q), 1))) {
			snprintf(r->why, sizeof r->why, "%.159s", e.msg);
			/* NaN/inf: every scheme refuses; say it once, as the command does */
			if (strstr(e.msg, "not finite")) {
				rc = ql_error_set(err, "%s", e.msg);
				break;
			}
			continue;
		}
		r->ok = true;
		r->bpw = q.bits_per_weight;
		r->sqnr = q.metrics.sqnr_db;
		r->rmse = q.metrics.rmse;
		r->max_err = q.metrics.max_abs_err;
		ql_qresult_free(&q);
		p->done = i + 1;
	}
	free(x);
	if (rc == 0)
		qsort(p->rows, (size_t)p->n, sizeof p->rows[0], by_bits);
	ql_job_progress(j, 1.0);
	return rc;
}

typedef struct compare_state {
	ql_doc *doc;
	long index;
	ql_job *job;
	ql_error err;
	int shown_state, shown_permille;
	int sel;
	int n;
	ql_scheme schemes[MAX_SCHEMES];
} compare_state;

static void compare_close(void *vst)
{
	compare_state *st = vst;
	if (!st)
		return;
	ql_job_cancel(st->job);
	ql_doc_unref(st->doc);
	free(st);
}

static void *compare_open(ql_app *app, int argc, char **argv, ql_error *err)
{
	(void)app;
	const char *list = DEFAULT_SCHEMES;
	char *rest[8];
	int n = 0;
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--schemes") && i + 1 < argc)
			list = argv[++i];
		else if (n < 7)
			rest[n++] = argv[i];
	}
	rest[n] = NULL;
	compare_state *st = calloc(1, sizeof *st);
	if (!st) {
		ql_error_set(err, "out of memory");
		return NULL;
	}
	ql_scheme unused;
	if (ql_inspect_parse_target(n, rest, &st->doc, &st->index, &unused, err)) {
		free(st);
		return NULL;
	}
	cmp_payload *p = calloc(1, sizeof *p);
	if (!p) {
		ql_error_set(err, "out of memory");
		compare_close(st);
		return NULL;
	}
	for (const char *s = list; *s && p->n < MAX_SCHEMES;) {
		size_t len = strcspn(s, ",");
		char word[QL_SCHEME_WORD_MAX];
		snprintf(word, sizeof word, "%.*s", (int)(len < sizeof word ? len : sizeof word - 1), s);
		if (ql_scheme_parse_word(word, &p->rows[p->n].scheme, err)) {
			free(p);
			compare_close(st);
			return NULL;
		}
		ql_scheme_word(&p->rows[p->n].scheme, p->rows[p->n].word, sizeof p->rows[p->n].word);
		p->rows[p->n].order = p->n;
		st->schemes[p->n] = p->rows[p->n].scheme;
		p->n++;
		s += len + (s[len] == ',');
	}
	st->n = p->n;
	st->shown_state = -1;
	st->job = ql_job_start(st->doc, (size_t)st->index, cmp_run, p, free, err);
	if (!st->job) {
		compare_close(st);
		return NULL;
	}
	return st;
}

/* The scheme of the selected row: the rows are in bits-per-weight order
 * once the results are in, in the list's order before. */
static const ql_scheme *selected(const compare_state *st)
{
	if (st->job && ql_job_state(st->job) == QL_JOB_DONE)
		return &((const cmp_payload *)ql_job_payload(st->job))->rows[st->sel].scheme;
	return &st->schemes[st->sel];
}

static bool compare_action(ql_app *app, void *vst, ql_action a)
{
	compare_state *st = vst;
	switch (a) {
	case QL_ACT_UP: st->sel = st->sel > 0 ? st->sel - 1 : 0; return true;
	case QL_ACT_DOWN: st->sel = st->sel < st->n - 1 ? st->sel + 1 : st->n - 1; return true;
	case QL_ACT_FIRST: st->sel = 0; return true;
	case QL_ACT_LAST: st->sel = st->n - 1; return true;
	case QL_ACT_OPEN:
		ql_inspect_explore(app, st->doc, st->index, selected(st));
		return true;
	case QL_ACT_EXPORT:
		ql_inspect_export(app, st->doc, st->index, selected(st));
		return true;
	default:
		return false;
	}
}

static bool compare_tick(ql_app *app, void *vst)
{
	(void)app;
	compare_state *st = vst;
	return st->job && (ql_job_state(st->job) != st->shown_state ||
			   ql_job_permille(st->job) / 10 != st->shown_permille / 10);
}

static void bar(const ql_theme *th, WINDOW *w, int y, int x, int width, double share, ql_role r)
{
	int full = (int)floor(share * width + 0.5);
	full = full < 0 ? 0 : full > width ? width : full;
	for (int i = 0; i < width; i++)
		ql_put(th, w, y, x + i, 1, i < full ? r : QL_R_DIM, i < full ? th->g.bar : " ");
}

/* The rate-distortion plot at rows y .. y + ph - 1, its axis under them
 * and the bits under the axis: each scheme its row's number, at its bits
 * per weight (across, from the whole number below the fewest to the one
 * above the most) and SQNR (up). Schemes on one spot share a label
 * ("2,3,4": int4/g128, nf4 and q4_0 all at 4.5 bits and ~20 dB), and a
 * label that would touch another moves right (left at the edge) to the
 * next free place on its row, so that every number shows. */
static void draw_plot(const ql_theme *th, WINDOW *w, int y, int ph, int pw, const cmp_payload *p, int sel,
		      double min_sqnr, double max_sqnr)
{
	const int x0 = 10, span = pw - 3; /* room for a two-digit label at the end */
	double lo = floor(fmin(min_sqnr, max_sqnr) / 5) * 5, hi = ceil(max_sqnr / 5) * 5;
	if (hi <= lo)
		hi = lo + 5;
	double bmin = INFINITY, bmax = 0;
	for (int i = 0; i < p->n; i++)
		if (p->rows[i].ok) {
			bmin = fmin(bmin, p->rows[i].bpw);
			bmax = fmax(bmax, p->rows[i].bpw);
		}
	double xmin = floor(bmin), xmax = ceil(bmax);
	if (xmax <= xmin)
		xmax = xmin + 1;
	char line[64];
	for (int k = 0; k < ph; k++) {
		ql_put(th, w, y + k, x0 - 1, 1, QL_R_FRAME, th->g.vline);
		if (k == 0 || k == ph - 1) {
			snprintf(line, sizeof line, "%7.0f", k == 0 ? hi : lo);
			ql_put(th, w, y + k, 1, 8, QL_R_DIM, line);
		}
	}
	ql_put(th, w, y + ph, x0 - 1, 1, QL_R_FRAME, th->g.bl);
	for (int i = 0; i < pw; i++)
		ql_put(th, w, y + ph, x0 + i, 1, QL_R_FRAME, th->g.hline);
	/* whole bits, each number where its value plots (every 2nd, 4th ...
	 * where they would crowd) */
	int step = 1;
	while (step < 64 && span * step / (xmax - xmin) < 4)
		step *= 2;
	ql_put(th, w, y + ph + 1, 1, 7, QL_R_DIM, "bits/w");
	for (double b = ceil(xmin / step) * step; b <= xmax; b += step) {
		int x = x0 + (int)lround((b - xmin) / (xmax - xmin) * span);
		ql_put(th, w, y + ph, x, 1, QL_R_FRAME, th->utf8 ? "┴" : "+");
		snprintf(line, sizeof line, "%.0f", b);
		ql_put(th, w, y + ph + 1, x, 3, QL_R_DIM, line);
	}
	/* the points: one label per spot, placed left to right */
	int gx[MAX_SCHEMES], gy[MAX_SCHEMES], gn[MAX_SCHEMES], gm[MAX_SCHEMES][MAX_SCHEMES], ng = 0;
	for (int i = 0; i < p->n; i++) {
		const cmp_row *r = &p->rows[i];
		if (!r->ok)
			continue;
		double sq = isfinite(r->sqnr) ? r->sqnr : hi;
		int px = x0 + (int)lround((r->bpw - xmin) / (xmax - xmin) * span);
		int py = y + (int)floor((hi - sq) / (hi - lo) * (ph - 1) + 0.5);
		py = py < y ? y : py > y + ph - 1 ? y + ph - 1 : py;
		int g = 0;
		while (g < ng && (gx[g] != px || gy[g] != py))
			g++;
		if (g == ng) {
			gx[g] = px;
			gy[g] = py;
			gn[ng++] = 0;
		}
		gm[g][gn[g]++] = i;
	}
	int cols = getmaxx(w);
	unsigned char *used = calloc((size_t)ph * (size_t)cols, 1);
	if (!used)
		return;
	for (int g = 0; g < ng; g++) {
		char lab[MAX_SCHEMES * 4] = "";
		size_t k = 0;
		for (int m = 0; m < gn[g]; m++)
			k += (size_t)snprintf(lab + k, sizeof lab - k, "%s%d", m ? "," : "", gm[g][m] + 1);
		int len = (int)k, row = gy[g] - y;
		unsigned char *u = used + (size_t)row * (size_t)cols;
		/* free: no label in [x - 1, x + len], the gap included */
		int x = -1;
		for (int d = 0; x < 0 && d < cols; d++)
			for (int sgn = 1; sgn >= -1 && x < 0; sgn -= 2) {
				int c = gx[g] + sgn * d;
				if (c < x0 || c + len > cols - 1 || (d == 0 && sgn < 0))
					continue;
				bool ok = true;
				for (int j = c - 1; j <= c + len && ok; j++)
					ok = j < 0 || j >= cols || !u[j];
				if (ok)
					x = c;
			}
		if (x < 0)
			continue;
		memset(u + x, 1, (size_t)len);
		for (int m = 0; m < gn[g]; m++) {
			int i = gm[g][m];
			if (m)
				x += ql_put(th, w, gy[g], x, 1, QL_R_DIM, ",");
			snprintf(line, sizeof line, "%d", i + 1);
			x += ql_put(th, w, gy[g], x, 2, i == sel ? QL_R_CURSOR : QL_R_VALUE, line);
		}
	}
	free(used);
}

static void compare_draw(ql_app *app, void *vst, WINDOW *w)
{
	compare_state *st = vst;
	const ql_theme *th = ql_app_theme(app);
	int h = getmaxy(w), cols = getmaxx(w);
	const ql_tensor *t = ql_source_tensor(st->doc->src, (size_t)st->index);
	char line[1024];
	/* what SQNR stands for where it fits whole */
	snprintf(line, sizeof line, "%s %s %d schemes: bits per weight against SQNR (signal to quantization noise)",
		 t->name, th->g.sep, st->n);
	if (ql_text_width(th, line) > cols - 2)
		*strstr(line, " (signal") = '\0';
	ql_put_fit(th, w, 0, 1, cols - 2, QL_R_LABEL, line);
	st->shown_state = ql_job_state(st->job);
	st->shown_permille = ql_job_permille(st->job);
	if (st->shown_state == QL_JOB_RUNNING) {
		ql_draw_job_progress(th, w, 2, "Quantizing with each scheme", st->job);
		return;
	}
	if (st->shown_state == QL_JOB_FAILED) {
		snprintf(line, sizeof line, "Cannot compare: %s", ql_job_error(st->job));
		ql_put_wrapped(th, w, 2, 2, cols - 4, QL_R_ERROR, line);
		return;
	}
	const cmp_payload *p = ql_job_payload(st->job);
	double max_bpw = 0, max_sqnr = 0, min_sqnr = INFINITY;
	for (int i = 0; i < p->n; i++)
		if (p->rows[i].ok) {
			max_bpw = fmax(max_bpw, p->rows[i].bpw);
			if (isfinite(p->rows[i].sqnr)) {
				max_sqnr = fmax(max_sqnr, p->rows[i].sqnr);
				min_sqnr = fmin(min_sqnr, p->rows[i].sqnr);
			}
		}
	if (!isfinite(min_sqnr))
		min_sqnr = 0;
	/* the table */
	int bw = (cols - 48) / 2;
	bw = bw < 6 ? 6 : bw > 30 ? 30 : bw;
	int y = 2;
	snprintf(line, sizeof line, "   %-18s %9s %-*s %9s", "scheme", "bits/w", bw, "", "SQNR dB");
	ql_put(th, w, y++, 1, cols - 2, QL_R_DIM, line);
	for (int i = 0; i < p->n; i++, y++) {
		const cmp_row *r = &p->rows[i];
		bool sel = i == st->sel;
		if (sel)
			ql_fill_row(th, w, y, QL_R_SELECTED);
		ql_role base = sel ? QL_R_SELECTED : QL_R_NORMAL;
		snprintf(line, sizeof line, "%c%2d %-18s", sel ? '>' : ' ', i + 1, r->word);
		ql_put(th, w, y, 0, 23, base, line);
		if (!r->ok) {
			snprintf(line, sizeof line, "not possible here: %s", r->why);
			ql_put_fit(th, w, y, 24, cols - 25, sel ? base : QL_R_DIM, line);
			continue;
		}
		snprintf(line, sizeof line, "%8.3f", r->bpw);
		ql_put(th, w, y, 24, 9, base, line);
		bar(th, w, y, 34, bw, max_bpw > 0 ? r->bpw / max_bpw : 0, QL_R_AXIS);
		if (isfinite(r->sqnr))
			snprintf(line, sizeof line, "%8.2f", r->sqnr);
		else
			snprintf(line, sizeof line, "%8s", r->sqnr > 0 ? "exact" : "-inf");
		ql_put(th, w, y, 35 + bw, 9, base, line);
		bar(th, w, y, 45 + bw, bw, max_sqnr > 0 ? (isfinite(r->sqnr) ? r->sqnr : max_sqnr) / max_sqnr : 0,
		    QL_R_GOOD);
	}
	/* the rate-distortion plot */
	y++;
	int ph = h - y - 3, pw = cols - 12;
	if (ph < 3 || max_bpw <= 0)
		return;
	ql_put_fit(th, w, y++, 1, cols - 2, QL_R_LABEL,
		   "SQNR dB (up) against bits per weight (across); Enter: explore the scheme");
	draw_plot(th, w, y, ph, pw, p, st->sel, min_sqnr, max_sqnr);
}

const ql_screen_ops ql_screen_compare = {
	.name = "compare",
	.title = "Compare",
	.scope = QL_SC_COMPARE,
	.min_lines = 20,
	.min_cols = 70,
	.open = compare_open,
	.close = compare_close,
	.action = compare_action,
	.draw = compare_draw,
	.tick = compare_tick,
};
