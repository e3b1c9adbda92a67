/* screen_cells.c — a quantized tensor value by value.
 *
 * Arguments: PATH --tensor NAME [--scheme WORD] (default int8). The tensor
 * is quantized in the background by ql_quantize (qjob.c), the function
 * `qlens quantize` runs. The view is a 2-D slice: two axes as rows and
 * columns (the last two to start; a takes the next pair), every other axis
 * at an index (i goes to any index: "row,col" or one number per axis). Each cell shows one of the original
 * value, the code, the dequantized value and the error (v cycles); the
 * cursor's cell shows all four below the grid with its scale, zero point
 * and group, whose cells are marked in the grid. H shades the cells by
 * |value| (by |error| when errors are shown): colour where there is
 * colour, glyph density always. E jumps to the largest error, S takes a new
 * scheme, b opens the blocks view, w writes the result as `qlens quantize
 * -o` does.
 */
#include "tui_impl.h"
#include "inspect.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { SHOW_ORIG, SHOW_CODE, SHOW_DEQ, SHOW_ERR, SHOW_COUNT };
static const char *const show_names[SHOW_COUNT] = {"original", "code", "dequantized", "error"};

typedef struct cells_state {
	ql_doc *doc;
	long index;
	ql_scheme scheme;
	ql_job *job;
	ql_error err;
	int shown_state;
	int show;
	bool heat;
	/* the slice: axis ax_r as rows, ax_c as columns, every other axis at
	 * its index in at[] (at[ax_r] and at[ax_c] follow the cursor) */
	int ax_r, ax_c;
	int64_t at[QL_MAX_DIMS];
	int64_t rows, cols;
	int64_t cr, cc, vr, vc;          /* cursor and the top-left cell shown */
	int page_rows, page_cols;
	const ql_qjob *top_of; /* the heat map's scale: of this result ... */
	int top_show;          /* ... in this mode */
	double top;
} cells_state;

static const ql_tensor *tensor(const cells_state *st)
{
	return ql_source_tensor(st->doc->src, (size_t)st->index);
}

static void start(cells_state *st)
{
	ql_job_cancel(st->job);
	st->err.msg[0] = '\0';
	st->job = ql_qjob_start(st->doc, (size_t)st->index, &st->scheme, &st->err);
	st->shown_state = -1;
	st->top_of = NULL;
}

/* Rows and columns from the axes (a 1-D tensor is one row, a scalar one
 * cell). */
static void set_axes(cells_state *st)
{
	const ql_tensor *t = tensor(st);
	st->rows = st->ax_r >= 0 ? t->shape[st->ax_r] : 1;
	st->cols = st->ax_c >= 0 ? t->shape[st->ax_c] : 1;
}

static void cells_close(void *vst)
{
	cells_state *st = vst;
	if (!st)
		return;
	ql_job_cancel(st->job);
	ql_doc_unref(st->doc);
	free(st);
}

/* PATH --tensor NAME [--scheme WORD]: shared by the cells and blocks views. */
int ql_inspect_parse_target(int argc, char **argv, ql_doc **doc, long *index, ql_scheme *s,
			    ql_error *err)
{
	const char *path = NULL, *name = NULL, *word = NULL;
	for (int i = 0; i < argc; i++) {
		bool more = i + 1 < argc;
		if ((!strcmp(argv[i], "--tensor") || !strcmp(argv[i], "-t")) && more)
			name = argv[++i];
		else if (!strcmp(argv[i], "--scheme") && more)
			word = argv[++i];
		else if (!path)
			path = argv[i];
		else
			return ql_error_set(err, "unexpected argument '%s'", argv[i]);
	}
	if (!path)
		return ql_error_set(err, "which file? (FILE --tensor NAME [--scheme WORD])");
	ql_scheme_init(s);
	if (word && ql_scheme_parse_word(word, s, err))
		return -1;
	if (!(*doc = ql_doc_open(path, err)))
		return -1;
	size_t count = ql_source_count((*doc)->src);
	*index = name ? ql_source_find((*doc)->src, name) : count == 1 ? 0 : -1;
	if (*index < 0) {
		if (name)
			ql_error_set(err, "%s: no tensor called '%s'", path, name);
		else
			ql_error_set(err, "%s holds %zu tensors: which one? (--tensor NAME)", path, count);
		ql_doc_unref(*doc);
		*doc = NULL;
		return -1;
	}
	return 0;
}

static void *cells_open(ql_app *app, int argc, char **argv, ql_error *err)
{
	(void)app;
	cells_state *st = calloc(1, sizeof *st);
	if (!st) {
		ql_error_set(err, "out of memory");
		return NULL;
	}
	if (ql_inspect_parse_target(argc, argv, &st->doc, &st->index, &st->scheme, err)) {
		free(st);
		return NULL;
	}
	const ql_tensor *t = tensor(st);
	st->ax_c = t->ndim - 1;
	st->ax_r = t->ndim - 2;
	set_axes(st);
	st->show = SHOW_CODE;
	start(st);
	return st;
}

static const ql_qjob *result(const cells_state *st)
{
	return st->job && ql_job_state(st->job) == QL_JOB_DONE ? ql_job_payload(st->job) : NULL;
}

static int64_t flat(const cells_state *st, int64_t r, int64_t c)
{
	const ql_tensor *t = tensor(st);
	int64_t f = 0;
	for (int d = 0; d < t->ndim; d++) {
		int64_t i = d == st->ax_r ? r : d == st->ax_c ? c : st->at[d];
		f = f * t->shape[d] + i;
	}
	return f;
}

/* Puts the cursor on flat index i (its slice too). */
static void go_flat(cells_state *st, int64_t i)
{
	const ql_tensor *t = tensor(st);
	if (i < 0 || i >= t->nelem)
		return;
	for (int d = t->ndim - 1; d >= 0; d--) {
		st->at[d] = i % t->shape[d];
		i /= t->shape[d];
	}
	st->cr = st->ax_r >= 0 ? st->at[st->ax_r] : 0;
	st->cc = st->ax_c >= 0 ? st->at[st->ax_c] : 0;
}

static void goto_done(ql_app *app, void *data, const char *line)
{
	cells_state *st = data;
	if (!line || !line[0])
		return;
	const ql_tensor *t = tensor(st);
	int64_t idx[QL_MAX_DIMS];
	int n = 0;
	const char *p = line;
	while (*p && n < QL_MAX_DIMS) {
		char *end;
		long long v = strtoll(p, &end, 10);
		if (end == p)
			break;
		idx[n++] = v;
		p = end;
		while (*p == ',' || *p == ' ' || *p == '[' || *p == ']')
			p++;
	}
	if (*p || n == 0) {
		ql_app_message(app, QL_R_ERROR, "qlens: '%s' is not an index (row,col or one number per axis)", line);
		return;
	}
	int64_t f = 0;
	if (n == t->ndim) {
		for (int d = 0; d < n; d++) {
			if (idx[d] < 0 || idx[d] >= t->shape[d]) {
				ql_app_message(app, QL_R_ERROR, "qlens: index %lld of axis %d is outside 0..%lld",
					       (long long)idx[d], d, (long long)t->shape[d] - 1);
				return;
			}
			f = f * t->shape[d] + idx[d];
		}
	} else if (n == 2 || n == 1) {
		int64_t r = n == 2 ? idx[0] : 0, c = idx[n - 1];
		if (r < 0 || r >= st->rows || c < 0 || c >= st->cols) {
			ql_app_message(app, QL_R_ERROR, "qlens: [%lld, %lld] is outside the %lldx%lld slice",
				       (long long)r, (long long)c, (long long)st->rows, (long long)st->cols);
			return;
		}
		f = flat(st, r, c);
	} else {
		ql_app_message(app, QL_R_ERROR, "qlens: give row,col or %d numbers", t->ndim);
		return;
	}
	go_flat(st, f);
}

static void scheme_done(ql_app *app, void *data, const char *line)
{
	cells_state *st = data;
	ql_error err = {{0}};
	ql_scheme s;
	if (!line || !line[0])
		return;
	if (ql_scheme_parse_word(line, &s, &err)) {
		ql_app_message(app, QL_R_ERROR, "qlens: %s", err.msg);
		return;
	}
	st->scheme = s;
	start(st);
}

static bool cells_action(ql_app *app, void *vst, ql_action a)
{
	cells_state *st = vst;
	const ql_qjob *q = result(st);
	int pr = st->page_rows > 1 ? st->page_rows : 1;
	switch (a) {
	case QL_ACT_UP: st->cr--; break;
	case QL_ACT_DOWN: st->cr++; break;
	case QL_ACT_LEFT: st->cc--; break;
	case QL_ACT_RIGHT: st->cc++; break;
	case QL_ACT_PAGE_UP: st->cr -= pr; break;
	case QL_ACT_PAGE_DOWN: st->cr += pr; break;
	case QL_ACT_FIRST: st->cr = 0; st->cc = 0; break;
	case QL_ACT_LAST: st->cr = st->rows - 1; break;
	case QL_ACT_SHOW: st->show = (st->show + 1) % SHOW_COUNT; break;
	case QL_ACT_HEAT: st->heat = !st->heat; break;
	case QL_ACT_AXES: {
		/* the next pair of axes (rows < columns), keeping the element */
		const ql_tensor *t = tensor(st);
		if (t->ndim < 3) { /* the key is on the status line: say why it does nothing */
			ql_app_message(app, QL_R_INFO, "a: this tensor has %d ax%s, all shown (a picks "
				       "other axes from 3-D on)", t->ndim, t->ndim == 1 ? "is" : "es");
			break;
		}
		int64_t cur = flat(st, st->cr, st->cc);
		do {
			if (++st->ax_c >= t->ndim) {
				if (++st->ax_r >= t->ndim - 1)
					st->ax_r = 0;
				st->ax_c = st->ax_r + 1;
			}
		} while (st->ax_c <= st->ax_r);
		set_axes(st);
		go_flat(st, cur);
		st->vr = st->vc = 0;
		break;
	}
	case QL_ACT_WORST:
		if (q && q->worst >= 0)
			go_flat(st, q->worst);
		break;
	case QL_ACT_GOTO:
		ql_prompt_open(ql_app_prompt(app), QL_PROMPT_VALUE, "index: ", NULL, goto_done, st);
		break;
	case QL_ACT_SCHEME: {
		char w[QL_SCHEME_WORD_MAX];
		ql_scheme_word(&st->scheme, w, sizeof w);
		ql_prompt_open(ql_app_prompt(app), QL_PROMPT_VALUE, "scheme: ", w, scheme_done, st);
		break;
	}
	case QL_ACT_BLOCKS: {
		char w[QL_SCHEME_WORD_MAX], blk[32];
		ql_scheme_word(&st->scheme, w, sizeof w);
		snprintf(blk, sizeof blk, "%lld", (long long)flat(st, st->cr, st->cc));
		char *args[] = {st->doc->path, "--tensor", (char *)tensor(st)->name, "--scheme", w,
				"--element", blk, NULL};
		ql_app_push(app, &ql_screen_blocks, 7, args);
		break;
	}
	case QL_ACT_EXPORT:
		ql_inspect_export(app, st->doc, st->index, &st->scheme);
		break;
	default:
		return false;
	}
	if (st->cr >= st->rows)
		st->cr = st->rows - 1;
	if (st->cc >= st->cols)
		st->cc = st->cols - 1;
	if (st->cr < 0)
		st->cr = 0;
	if (st->cc < 0)
		st->cc = 0;
	return true;
}

static bool cells_tick(ql_app *app, void *vst)
{
	(void)app;
	cells_state *st = vst;
	return st->job && ql_job_state(st->job) != st->shown_state;
}

/* The code of element i as text: decimal for integer and codebook codes,
 * hex for float bit patterns. */
static void code_text(const ql_qresult *r, int64_t i, char *buf, size_t n)
{
	if (!r->codes) {
		snprintf(buf, n, "-");
		return;
	}
	const ql_qdtype_info *qi = ql_qdtype_of(r->scheme.dtype);
	if (qi && ql_formats[qi->elem].kind == QL_KIND_FLOAT)
		snprintf(buf, n, "0x%02x", r->codes[i]);
	else if (r->codes_signed)
		snprintf(buf, n, "%d", (int)(int8_t)r->codes[i]);
	else
		snprintf(buf, n, "%u", (unsigned)r->codes[i]);
}

/* What cell i shows, in at most width columns (9: "-9.48e-38" is the
 * widest error; a value has fewer digits where its exponent needs them). */
static void cell_text(const cells_state *st, const ql_qjob *q, int64_t i, int width, char *buf, size_t n)
{
	switch (st->show) {
	case SHOW_ORIG: ql_fmt_fit((double)q->x[i], width, buf, n); break;
	case SHOW_CODE: code_text(&q->r, i, buf, n); break;
	case SHOW_DEQ: ql_fmt_fit((double)q->r.dequant[i], width, buf, n); break;
	default: snprintf(buf, n, "%.2e", (double)q->r.dequant[i] - (double)q->x[i]); break;
	}
}

/* What group element i belongs to, in words. */
static void group_text(const cells_state *st, const ql_qresult *r, int64_t i, char *buf, size_t n)
{
	const ql_qdtype_info *qi = ql_qdtype_of(r->scheme.dtype);
	int64_t si = ql_qjob_scale_index(r, i);
	int64_t last = r->ndim ? r->shape[r->ndim - 1] : 1;
	switch (r->scheme.gran) {
	case QL_GRAN_TENSOR:
		snprintf(buf, n, "one scale for the tensor");
		break;
	case QL_GRAN_CHANNEL:
		snprintf(buf, n, "channel %lld of axis %d", (long long)si, r->scheme.axis);
		break;
	default: {
		int64_t g = r->scheme.gran == QL_GRAN_GROUP ? r->scheme.group : qi ? qi->block : 32;
		if (qi && qi->flat_blocks && r->scheme.gran == QL_GRAN_BLOCK) {
			snprintf(buf, n, "block %lld: elements %lld..%lld (flat)", (long long)si,
				 (long long)(si * g), (long long)((si + 1) * g - 1));
		} else {
			int64_t c0 = (i % last) / g * g, c1 = c0 + g < last ? c0 + g - 1 : last - 1;
			snprintf(buf, n, "%s %lld: columns %lld..%lld of its row",
				 r->scheme.gran == QL_GRAN_GROUP ? "group" : "block", (long long)si,
				 (long long)c0, (long long)c1);
		}
	}
	}
}

static void index_text(const ql_tensor *t, int64_t i, char *buf, size_t n)
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

static void cells_draw(ql_app *app, void *vst, WINDOW *w)
{
	cells_state *st = vst;
	const ql_theme *th = ql_app_theme(app);
	int h = getmaxy(w), cols = getmaxx(w);
	const ql_tensor *t = tensor(st);
	char line[1024], word[QL_SCHEME_WORD_MAX];
	ql_scheme_word(&st->scheme, word, sizeof word);
	snprintf(line, sizeof line, "%s %s %s", t->name, th->g.sep, word);
	int hx = 1 + ql_put_fit(th, w, 0, 1, cols - 2, QL_R_LABEL, line);
	if (!st->job) {
		ql_put_wrapped(th, w, 2, 2, cols - 4, QL_R_ERROR, st->err.msg);
		return;
	}
	st->shown_state = ql_job_state(st->job);
	if (st->shown_state == QL_JOB_RUNNING) {
		ql_draw_job_progress(th, w, 2, "Quantizing", st->job);
		return;
	}
	if (st->shown_state == QL_JOB_FAILED) {
		snprintf(line, sizeof line, "Cannot quantize %s: %s", t->name, ql_job_error(st->job));
		int n = ql_put_wrapped(th, w, 2, 2, cols - 4, QL_R_ERROR, line);
		ql_put(th, w, 3 + n, 2, cols - 3, QL_R_DIM, "S types another scheme; q goes back.");
		return;
	}
	const ql_qjob *q = ql_job_payload(st->job);
	const ql_qresult *r = &q->r;
	/* what the cells show beside the name; the figures under it */
	snprintf(line, sizeof line, " %s showing %s", th->g.sep, show_names[st->show]);
	ql_put_fit(th, w, 0, hx, cols - 1 - hx, QL_R_NORMAL, line);
	if (t->nelem == 0) {
		ql_put_fit(th, w, 1, 1, cols - 2, QL_R_NORMAL, "no values, so no error");
		ql_put(th, w, 3, 2, cols - 3, QL_R_DIM, "The tensor is empty.");
		return;
	}
	char wt[64] = "";
	if (q->worst >= 0)
		index_text(t, q->worst, wt, sizeof wt);
	snprintf(line, sizeof line, "SQNR %.1f dB %s %.4g bits/w %s max |err| %.3g at %s", r->metrics.sqnr_db,
		 th->g.sep, r->bits_per_weight, th->g.sep, r->metrics.max_abs_err, wt);
	ql_put_fit(th, w, 1, 1, cols - 2, QL_R_NORMAL, line);

	/* the grid */
	int lab = 7, cw = st->heat ? 2 : 10;
	int grid_y = 3, info_h = 4;
	int nr = h - grid_y - info_h, nc = (cols - lab - 1) / cw;
	if (nr < 1)
		nr = 1;
	if (nc < 1)
		nc = 1;
	st->page_rows = nr;
	st->page_cols = nc;
	if (st->cr < st->vr)
		st->vr = st->cr;
	if (st->cr >= st->vr + nr)
		st->vr = st->cr - nr + 1;
	if (st->cc < st->vc)
		st->vc = st->cc;
	if (st->cc >= st->vc + nc)
		st->vc = st->cc - nc + 1;
	char buf[64];
	for (int c = 0; c < nc && st->vc + c < st->cols; c++) {
		if (st->heat && (st->vc + c) % 8)
			continue;
		snprintf(buf, sizeof buf, "%lld", (long long)(st->vc + c));
		ql_put(th, w, grid_y - 1, lab + c * cw + (st->heat ? 0 : cw - 1 - (int)strlen(buf)), cw * (st->heat ? 8 : 1), QL_R_DIM, buf);
	}
	int64_t cur = flat(st, st->cr, st->cc);
	int64_t cur_scale = ql_qjob_scale_index(r, cur);
	if (st->heat && (st->top_of != q || st->top_show != st->show)) {
		/* shade against the largest |value| (|error|) of the tensor,
		 * found once per result and mode, not at every frame */
		double top = 0;
		for (int64_t i = 0; i < r->nelem; i++) {
			double v = st->show == SHOW_ERR ? fabs((double)r->dequant[i] - q->x[i])
				   : fabs(st->show == SHOW_DEQ ? (double)r->dequant[i] : (double)q->x[i]);
			top = v > top ? v : top;
		}
		st->top = top;
		st->top_of = q;
		st->top_show = st->show;
	}
	double top = st->top;
	static const char *const shade_u[5] = {"  ", "░░", "▒▒", "▓▓", "██"};
	static const char *const shade_a[5] = {"  ", "..", "::", "++", "##"};
	for (int rr = 0; rr < nr && st->vr + rr < st->rows; rr++) {
		int y = grid_y + rr;
		int64_t row = st->vr + rr;
		snprintf(buf, sizeof buf, "%lld", (long long)row);
		ql_put(th, w, y, lab - 1 - (int)strlen(buf), lab, QL_R_DIM, buf);
		for (int c = 0; c < nc && st->vc + c < st->cols; c++) {
			int64_t i = flat(st, row, st->vc + c);
			bool is_cur = i == cur;
			bool same = ql_qjob_scale_index(r, i) == cur_scale && r->scheme.gran != QL_GRAN_TENSOR;
			ql_role role = is_cur ? QL_R_CURSOR : same ? QL_R_EXP : QL_R_NORMAL;
			int x = lab + c * cw;
			if (st->heat) {
				double v = st->show == SHOW_ERR ? fabs((double)r->dequant[i] - q->x[i])
					   : fabs(st->show == SHOW_DEQ ? (double)r->dequant[i] : (double)q->x[i]);
				int lv = top > 0 ? (int)ceil(v / top * 4) : 0;
				lv = lv < 0 ? 0 : lv > 4 ? 4 : lv;
				ql_role hr = is_cur ? QL_R_CURSOR : lv >= 4 ? QL_R_WARN : lv >= 2 ? QL_R_AXIS : same ? QL_R_EXP : QL_R_NORMAL;
				ql_put(th, w, y, x, 2, hr, (th->utf8 ? shade_u : shade_a)[lv]);
			} else {
				cell_text(st, q, i, cw - 1, buf, sizeof buf);
				char cell[80];
				snprintf(cell, sizeof cell, "%*s", cw - 1, buf);
				ql_put(th, w, y, x, cw - 1, role, cell);
			}
		}
	}

	/* the cursor's cell, all four, and its scale */
	int y = h - info_h;
	char at[96], code[32], grp[160];
	index_text(t, cur, at, sizeof at);
	code_text(r, cur, code, sizeof code);
	snprintf(line, sizeof line, "%s  original %.6g  code %s  dequantized %.6g  error %.2e", at,
		 (double)q->x[cur], code, (double)r->dequant[cur], (double)r->dequant[cur] - (double)q->x[cur]);
	ql_put_fit(th, w, y, 1, cols - 2, QL_R_VALUE, line);
	group_text(st, r, cur, grp, sizeof grp);
	int64_t si = cur_scale < r->nscales ? cur_scale : 0;
	char zp[32] = "";
	if (r->zero_points)
		snprintf(zp, sizeof zp, "  zero point %d", (int)r->zero_points[si]);
	snprintf(line, sizeof line, "scale %.6g%s  (%s; %lld scale%s)", r->scales ? (double)r->scales[si] : 0.0, zp,
		 grp, (long long)r->nscales, r->nscales == 1 ? "" : "s");
	ql_put_fit(th, w, y + 1, 1, cols - 2, QL_R_NORMAL, line);
	char slice[256] = "";
	if (t->ndim > 2) {
		size_t k = (size_t)snprintf(slice, sizeof slice, "[");
		for (int d = 0; d < t->ndim && k < sizeof slice; d++) {
			if (d == st->ax_r || d == st->ax_c)
				k += (size_t)snprintf(slice + k, sizeof slice - k, "%s%s", d ? ", " : "",
						      d == st->ax_r ? "rows" : "cols");
			else
				k += (size_t)snprintf(slice + k, sizeof slice - k, "%s%lld", d ? ", " : "",
						      (long long)st->at[d]);
		}
		if (k < sizeof slice)
			snprintf(slice + k, sizeof slice - k, "] (a: other axes, i: another slice)");
	} else {
		snprintf(slice, sizeof slice, "rows x columns");
	}
	snprintf(line, sizeof line, "%lld x %lld: %s; marked: the cursor's %s",
		 (long long)st->rows, (long long)st->cols, slice,
		 r->scheme.gran == QL_GRAN_TENSOR ? "tensor" : r->scheme.gran == QL_GRAN_CHANNEL ? "channel" :
		 r->scheme.gran == QL_GRAN_BLOCK ? "block" : "group");
	ql_put_wrapped(th, w, y + 2, 1, cols - 2, QL_R_DIM, line); /* the last two rows */
}

const ql_screen_ops ql_screen_cells = {
	.name = "cells",
	.title = "Cells",
	.scope = QL_SC_CELLS,
	.min_lines = 14,
	.min_cols = 70,
	.open = cells_open,
	.close = cells_close,
	.action = cells_action,
	.draw = cells_draw,
	.tick = cells_tick,
};
