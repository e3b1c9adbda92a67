/* screen_tensor.c — one tensor: what it is and what its values look like.
 *
 * Arguments: PATH --tensor NAME (or PATH NAME; PATH alone if the file holds
 * one tensor). The header (name, dtype, shape, bytes) shows at once; the
 * statistics (ql_tstats_compute: counts of NaN/inf/zeros, min, max, mean,
 * std, absmax, five percentiles), the value histogram and the per-row and
 * per-column absmax strips are computed in a background thread that reports
 * its progress; the screen asks at each tick whether there is something new.
 * Leaving the screen (q) or moving to another tensor (n, p) cancels the job:
 * it stops at its next chunk and frees what it holds, on its own, so a key
 * never waits for it. L draws the histogram's counts on a log scale.
 */
#include "tui_impl.h"
#include "inspect.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qlens/blockfmt.h"
#include "qlens/tensor.h"
#include "qlens/tstats.h"

#define HIST_BINS 128

/* ---- the background job -------------------------------------------------- */

typedef struct stats_payload {
	ql_tstats stats;
	int64_t loud[2];     /* the row and the column of largest absmax */
	double median[2];    /* the median row and column absmax */
	ql_job *job;         /* for progress */
} stats_payload;

static void stats_free(void *p)
{
	stats_payload *s = p;
	ql_tstats_free(&s->stats);
	free(s);
}

static int cmp_float(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;
	return x < y ? -1 : x > y;
}

/* The largest entry of v and its index; the median of v (sorts a copy). */
static void loudest(const float *v, int64_t n, int64_t *at, double *median)
{
	*at = 0;
	*median = 0;
	for (int64_t i = 1; i < n; i++)
		if (v[i] > v[*at])
			*at = i;
	float *c = n > 0 ? malloc((size_t)n * sizeof *c) : NULL;
	if (!c)
		return;
	memcpy(c, v, (size_t)n * sizeof *c);
	qsort(c, (size_t)n, sizeof *c, cmp_float);
	*median = n % 2 ? c[n / 2] : 0.5 * ((double)c[n / 2 - 1] + c[n / 2]);
	free(c);
}

static bool stats_progress(void *data, double done)
{
	/* decoding the tensor counts as the first tenth */
	return ql_job_progress(data, 0.1 + 0.9 * done);
}

static int stats_run(ql_job *j, ql_doc *doc, size_t index, void *payload, ql_error *err)
{
	stats_payload *p = payload;
	const ql_tensor *t = ql_source_tensor(doc->src, index);
	float *x = NULL;
	if (ql_doc_read_f32(doc, index, &x, j, 0.1, err))
		return -1;
	if (!ql_job_progress(j, 0.1)) {
		free(x);
		return ql_error_set(err, "cancelled");
	}
	/* x is ours and goes after: it is the scratch too (one tensor in memory) */
	int rc = ql_tstats_compute_inplace(x, t->shape, t->ndim, HIST_BINS, stats_progress, j, &p->stats, err);
	free(x);
	if (rc == 0) {
		loudest(p->stats.row_absmax, p->stats.rows, &p->loud[0], &p->median[0]);
		loudest(p->stats.col_absmax, p->stats.cols, &p->loud[1], &p->median[1]);
	}
	return rc;
}

void ql_draw_job_progress(const ql_theme *th, WINDOW *w, int y, const char *what, const ql_job *j)
{
	int cols = getmaxx(w), p = ql_job_permille(j);
	char line[160];
	snprintf(line, sizeof line, "%s... %d%%", what, p / 10);
	int x = 2 + ql_put(th, w, y, 2, cols - 3, QL_R_INFO, line) + 1;
	int bw = cols - x - 2 > 40 ? 40 : cols - x - 2;
	for (int i = 0; i < bw; i++)
		ql_put(th, w, y, x + i, 1, i < bw * p / 1000 ? QL_R_AXIS : QL_R_DIM,
		       i < bw * p / 1000 ? th->g.bar : th->g.bar_sub);
	ql_put_fit(th, w, y + 2, 2, cols - 3, QL_R_DIM,
	       "Keys work meanwhile: q goes back and stops it.");
}

/* ---- the screen ------------------------------------------------------------ */

typedef struct tensor_state {
	ql_doc *doc;
	long index;
	ql_job *job;
	ql_error err;        /* the job could not start */
	int shown_permille, shown_state;
	bool log_hist;
	char word[QL_SCHEME_WORD_MAX]; /* the scheme c and b use (S sets it) */
} tensor_state;

static void tensor_close(void *vst)
{
	tensor_state *st = vst;
	if (!st)
		return;
	ql_job_cancel(st->job);
	ql_doc_unref(st->doc);
	free(st);
}

static void start(tensor_state *st)
{
	ql_job_cancel(st->job);
	st->err.msg[0] = '\0';
	stats_payload *p = calloc(1, sizeof *p);
	st->job = p ? ql_job_start(st->doc, (size_t)st->index, stats_run, p, stats_free, &st->err) : NULL;
	if (!p)
		ql_error_set(&st->err, "out of memory");
	st->shown_permille = -1;
	st->shown_state = -1;
}

static void *tensor_open(ql_app *app, int argc, char **argv, ql_error *err)
{
	(void)app;
	const char *path = NULL, *name = NULL;
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--tensor") == 0 || strcmp(argv[i], "-t") == 0) {
			if (i + 1 >= argc) {
				ql_error_set(err, "--tensor needs a tensor's name");
				return NULL;
			}
			name = argv[++i];
		} else if (!path) {
			path = argv[i];
		} else if (!name) {
			name = argv[i];
		} else {
			ql_error_set(err, "unexpected argument '%s'", argv[i]);
			return NULL;
		}
	}
	if (!path) {
		ql_error_set(err, "which file? (tensor FILE --tensor NAME)");
		return NULL;
	}
	tensor_state *st = calloc(1, sizeof *st);
	if (!st) {
		ql_error_set(err, "out of memory");
		return NULL;
	}
	if (!(st->doc = ql_doc_open(path, err)))
		goto fail;
	size_t count = ql_source_count(st->doc->src);
	if (name) {
		st->index = ql_source_find(st->doc->src, name);
		if (st->index < 0) {
			ql_error_set(err, "%s: no tensor called '%s'", path, name);
			goto fail;
		}
	} else if (count == 1) {
		st->index = 0;
	} else {
		ql_error_set(err, "%s holds %zu tensors: which one? (--tensor NAME)", path, count);
		goto fail;
	}
	snprintf(st->word, sizeof st->word, "int8");
	start(st);
	return st;
fail:
	tensor_close(st);
	return NULL;
}

/* Opens a view of this tensor: screen ops with PATH --tensor NAME and, if
 * word is not NULL, --scheme WORD. */
static void open_view(ql_app *app, tensor_state *st, const ql_screen_ops *ops, const char *word)
{
	const ql_tensor *t = ql_source_tensor(st->doc->src, (size_t)st->index);
	char *args[] = {st->doc->path, "--tensor", (char *)t->name, "--scheme", (char *)word, NULL};
	ql_app_push(app, ops, word ? 5 : 3, args);
}

static void scheme_done(ql_app *app, void *data, const char *line)
{
	tensor_state *st = data;
	ql_error err = {{0}};
	ql_scheme s;
	if (!line || !line[0])
		return;
	if (ql_scheme_parse_word(line, &s, &err)) {
		ql_app_message(app, QL_R_ERROR, "qlens: %s", err.msg);
		return;
	}
	ql_scheme_word(&s, st->word, sizeof st->word);
	open_view(app, st, &ql_screen_cells, st->word);
}

static bool tensor_action(ql_app *app, void *vst, ql_action a)
{
	tensor_state *st = vst;
	long count = (long)ql_source_count(st->doc->src);
	switch (a) {
	case QL_ACT_CELLS:
		open_view(app, st, &ql_screen_cells, st->word);
		return true;
	case QL_ACT_COMPARE:
		open_view(app, st, &ql_screen_compare, NULL);
		return true;
	case QL_ACT_EXPLORE: {
		ql_scheme s;
		if (ql_scheme_parse_word(st->word, &s, NULL) == 0)
			ql_inspect_explore(app, st->doc, st->index, &s);
		return true;
	}
	case QL_ACT_BLOCKS: {
		/* a tensor stored in a block format: its own blocks */
		const ql_tensor *t = ql_source_tensor(st->doc->src, (size_t)st->index);
		const ql_qdtype_info *qi = NULL;
		ql_scheme s;
		bool block_scheme = ql_scheme_parse_word(st->word, &s, NULL) == 0 && (qi = ql_qdtype_of(s.dtype)) &&
				    (qi->block_bytes > 0 || qi->raw_packed);
		if (ql_block_for_dtype(t->dtype))
			open_view(app, st, &ql_screen_blocks, NULL);
		else
			open_view(app, st, &ql_screen_blocks, block_scheme ? st->word : "q4_0");
		return true;
	}
	case QL_ACT_SCHEME:
		ql_prompt_open(ql_app_prompt(app), QL_PROMPT_VALUE, "scheme: ", st->word, scheme_done, st);
		return true;
	case QL_ACT_HIST_LOG:
		st->log_hist = !st->log_hist;
		return true;
	case QL_ACT_NEXT_TENSOR:
	case QL_ACT_PREV_TENSOR: {
		long i = st->index + (a == QL_ACT_NEXT_TENSOR ? 1 : -1);
		if (i >= 0 && i < count) {
			st->index = i;
			start(st);
		}
		return true;
	}
	default:
		return false;
	}
}

static bool tensor_tick(ql_app *app, void *vst)
{
	(void)app;
	tensor_state *st = vst;
	if (!st->job)
		return false;
	int s = ql_job_state(st->job), p = ql_job_permille(st->job);
	if (s == st->shown_state && (s != QL_JOB_RUNNING || p / 10 == st->shown_permille / 10))
		return false;
	return true;
}

static void num(double v, char *buf, size_t n)
{
	snprintf(buf, n, "%.6g", v);
}

/* "[3, 17]" for flat index i of t. */
static void index_string(const ql_tensor *t, int64_t i, char *buf, size_t n)
{
	int64_t idx[QL_MAX_DIMS];
	for (int d = t->ndim - 1; d >= 0; d--) {
		idx[d] = t->shape[d] ? i % t->shape[d] : 0;
		i = t->shape[d] ? i / t->shape[d] : 0;
	}
	size_t k = (size_t)snprintf(buf, n, "[");
	for (int d = 0; d < t->ndim && k < n; d++)
		k += (size_t)snprintf(buf + k, n - k, "%s%lld", d ? ", " : "", (long long)idx[d]);
	if (k < n)
		snprintf(buf + k, n - k, "]");
}

static void pair(const ql_theme *th, WINDOW *w, int y, int x, int wd, const char *label, const char *value, ql_role r)
{
	ql_put(th, w, y, x, 8, QL_R_LABEL, label);
	ql_put(th, w, y, x + 9, wd - 9, r, value);
}

static const char *const eighths_utf8[9] = {" ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
static const char *const eighths_ascii[9] = {" ", " ", ".", ".", ":", ":", "#", "#", "#"};

/* One column of height h (cells) filled to `level` of 1, at x, from row
 * y0 + h - 1 upwards. */
static void column(const ql_theme *th, WINDOW *w, int y0, int h, int x, double level, ql_role r)
{
	int e = (int)floor(level * h * 8 + 0.5);
	if (level > 0 && e == 0)
		e = 1;
	const char *const *g = th->utf8 ? eighths_utf8 : eighths_ascii;
	for (int k = 0; k < h; k++) {
		int cell = e - 8 * k;
		cell = cell < 0 ? 0 : cell > 8 ? 8 : cell;
		if (cell)
			ql_put(th, w, y0 + h - 1 - k, x, 1, r, g[cell]);
	}
}

/* A strip of max |x| per row or column, bucketed to width cells (the max of
 * each bucket), as one line of eighth blocks scaled to the largest. */
static void strip(const ql_theme *th, WINDOW *w, int y, int x, int width, const float *v, int64_t n, double top)
{
	const char *const *g = th->utf8 ? eighths_utf8 : eighths_ascii;
	if (n <= 0 || width <= 0)
		return;
	int cells = n < width ? (int)n : width;
	for (int c = 0; c < cells; c++) {
		int64_t a = (int64_t)c * n / cells, b = (int64_t)(c + 1) * n / cells;
		float m = 0;
		for (int64_t i = a; i < b; i++)
			m = v[i] > m ? v[i] : m;
		int e = top > 0 ? (int)floor(m / top * 8 + 0.5) : 0;
		if (m > 0 && e == 0)
			e = 1;
		ql_put(th, w, y, x + c, 1, e >= 8 && m >= top ? QL_R_WARN : QL_R_AXIS, g[e > 8 ? 8 : e]);
	}
}

static void draw_stats(const ql_theme *th, WINDOW *w, tensor_state *st, const ql_tstats *s, int y, int cols)
{
	const ql_tensor *t = ql_source_tensor(st->doc->src, (size_t)st->index);
	char v[64], u[64];
	int cw = cols / 2 > 40 ? 40 : cols / 2;
	int x2 = 2 + cw;
	num(s->min, v, sizeof v);
	pair(th, w, y, 2, cw, "min", v, QL_R_VALUE);
	num(s->max, v, sizeof v);
	pair(th, w, y++, x2, cw, "max", v, QL_R_VALUE);
	num(s->mean, v, sizeof v);
	pair(th, w, y, 2, cw, "mean", v, QL_R_VALUE);
	num(s->std, v, sizeof v);
	pair(th, w, y++, x2, cw, "std", v, QL_R_VALUE);
	num(s->absmax, v, sizeof v);
	pair(th, w, y, 2, cw, "absmax", v, QL_R_VALUE);
	snprintf(v, sizeof v, "%lld (%.2f%%)", (long long)s->zeros, s->n ? 100.0 * (double)s->zeros / (double)s->n : 0.0);
	pair(th, w, y++, x2, cw, "zeros", v, QL_R_VALUE);
	bool bad = s->nan || s->posinf || s->neginf;
	snprintf(v, sizeof v, "%lld", (long long)s->nan);
	pair(th, w, y, 2, cw, "NaN", v, s->nan ? QL_R_WARN : QL_R_VALUE);
	snprintf(v, sizeof v, "+%lld -%lld", (long long)s->posinf, (long long)s->neginf);
	pair(th, w, y++, x2, cw, "inf", v, s->posinf || s->neginf ? QL_R_WARN : QL_R_VALUE);
	for (int i = 0; i < QL_TSTATS_NPCT; i += 2) {
		snprintf(u, sizeof u, "p%g", ql_tstats_pcts[i]);
		num(s->pct[i], v, sizeof v);
		pair(th, w, y, 2, cw, u, v, QL_R_VALUE);
		if (i + 1 < QL_TSTATS_NPCT) {
			snprintf(u, sizeof u, "p%g", ql_tstats_pcts[i + 1]);
			num(s->pct[i + 1], v, sizeof v);
			pair(th, w, y, x2, cw, u, v, QL_R_VALUE);
		}
		y++;
	}
	if (bad) {
		char at[128], msg[256];
		index_string(t, s->first_nonfinite, at, sizeof at);
		snprintf(msg, sizeof msg, "over the %lld finite values; first NaN/inf at %s: quantizing refuses it",
			 (long long)s->finite, at);
		ql_put_fit(th, w, y, 2, cols - 3, QL_R_WARN, msg);
	}
}

static void draw_hist(const ql_theme *th, WINDOW *w, tensor_state *st, const ql_tstats *s, int y, int h, int cols)
{
	if (!s->hist.counts || s->finite == 0 || h < 2)
		return;
	/* display columns: the largest divisor of HIST_BINS that fits */
	int width = HIST_BINS;
	while (width > 8 && width > cols - 4)
		width /= 2;
	int per = HIST_BINS / width;
	double top = 0;
	double val[HIST_BINS];
	for (int c = 0; c < width; c++) {
		int64_t sum = 0;
		for (int k = 0; k < per; k++)
			sum += s->hist.counts[c * per + k];
		val[c] = st->log_hist ? log10(1.0 + (double)sum) : (double)sum;
		top = val[c] > top ? val[c] : top;
	}
	char title[128];
	snprintf(title, sizeof title, "Histogram of values: %d bins, %s counts (L: %s)", width,
		 st->log_hist ? "log" : "linear", st->log_hist ? "linear" : "log");
	ql_put(th, w, y, 2, cols - 3, QL_R_LABEL, title);
	for (int c = 0; c < width; c++)
		column(th, w, y + 1, h - 2, 2 + c, top > 0 ? val[c] / top : 0, QL_R_AXIS);
	char lo[32], hi[32];
	num(s->hist.lo, lo, sizeof lo);
	num(s->hist.hi, hi, sizeof hi);
	ql_put(th, w, y + h - 1, 2, width, QL_R_DIM, lo);
	ql_put(th, w, y + h - 1, 2 + width - (int)strlen(hi), (int)strlen(hi), QL_R_DIM, hi);
}

static void draw_strips(const ql_theme *th, WINDOW *w, const stats_payload *j, int y, int cols)
{
	const ql_tstats *s = &j->stats;
	int width = cols - 14;
	const char *what[2] = {"row absmax", "col absmax"};
	const float *v[2] = {s->row_absmax, s->col_absmax};
	int64_t n[2] = {s->rows, s->cols};
	for (int k = 0; k < 2; k++, y++) {
		ql_put(th, w, y, 2, 11, QL_R_LABEL, what[k]);
		if (n[k] <= 1) {
			ql_put(th, w, y, 14, width, QL_R_DIM, n[k] == 1 ? "one" : "none");
			continue;
		}
		int64_t at = j->loud[k];
		double med = j->median[k];
		char note[96];
		snprintf(note, sizeof note, " %s %lld: %.4g (%.1fx median)", k ? "col" : "row", (long long)at,
			 (double)v[k][at], med > 0 ? v[k][at] / med : 0.0);
		int nw = (int)strlen(note);
		strip(th, w, y, 14, width - nw > 8 ? width - nw : 8, v[k], n[k], v[k][at]);
		int sw = (int)(n[k] < width - nw ? n[k] : width - nw);
		ql_put(th, w, y, 14 + (sw > 8 ? sw : 8), nw, QL_R_DIM, note);
	}
}

static void tensor_draw(ql_app *app, void *vst, WINDOW *w)
{
	tensor_state *st = vst;
	const ql_theme *th = ql_app_theme(app);
	int h = getmaxy(w), cols = getmaxx(w);
	const ql_tensor *t = ql_source_tensor(st->doc->src, (size_t)st->index);
	char shape[128], el[32], by[32], line[1024];
	ql_shape_string(t, shape, sizeof shape);
	ql_fmt_count(t->nelem, el, sizeof el);
	ql_fmt_bytes(t->nbytes, by, sizeof by);
	ql_put_fit(th, w, 0, 1, cols - 2, QL_R_LABEL, t->name);
	snprintf(line, sizeof line, "%s %s shape %s %s %lld elements%s%s%s %s %s %s tensor %ld of %zu",
		 t->dtype == QL_DT_OTHER ? t->other_name : ql_dtypes[t->dtype].name, th->g.sep, shape,
		 th->g.sep, (long long)t->nelem, t->nelem >= 1000 ? " (" : "", t->nelem >= 1000 ? el : "",
		 t->nelem >= 1000 ? ")" : "", th->g.sep, by, th->g.sep, st->index + 1,
		 ql_source_count(st->doc->src));
	ql_put_fit(th, w, 1, 1, cols - 2, QL_R_NORMAL, line);

	ql_job *j = st->job;
	if (!j) {
		ql_put_wrapped(th, w, 3, 2, cols - 4, QL_R_ERROR, st->err.msg);
		return;
	}
	int state = ql_job_state(j);
	st->shown_state = state;
	st->shown_permille = ql_job_permille(j);
	if (state == QL_JOB_RUNNING) {
		ql_draw_job_progress(th, w, 3, "Computing statistics", j);
		return;
	}
	if (state == QL_JOB_FAILED) {
		snprintf(line, sizeof line, "Cannot compute the statistics: %s", ql_job_error(j));
		ql_put_wrapped(th, w, 3, 2, cols - 4, QL_R_ERROR, line);
		return;
	}
	const stats_payload *sp = ql_job_payload(j);
	const ql_tstats *s = &sp->stats;
	draw_stats(th, w, st, s, 3, cols);
	int y = 3 + 7 + (s->nan || s->posinf || s->neginf);
	int strips_y = h - 2;
	draw_hist(th, w, st, s, y, strips_y - y, cols);
	draw_strips(th, w, sp, strips_y, cols);
}

const ql_screen_ops ql_screen_tensor = {
	.name = "tensor",
	.title = "Tensor",
	.scope = QL_SC_TENSOR,
	.min_lines = 20,
	.min_cols = 70,
	.open = tensor_open,
	.close = tensor_close,
	.action = tensor_action,
	.draw = tensor_draw,
	.tick = tensor_tick,
};
