/* screen_eval.c — the evaluation screen: a tiny real model (eval.h) before
 * and after quantizing its weights, as `qlens eval` measures it.
 *
 * Top: the model, the scheme and the activation mode (m, s/S, a change
 * them), the storage and each matrix's SQNR (tensor metrics), then the
 * output metrics: accuracy or perplexity of both models, flips, top-1
 * changes, KL divergence and Δp. Below, for digits: a gallery of test
 * digits drawn with half-block glyphs, the flipped ones first and in the
 * warning colour, each with bars of the correct class's probability under
 * both models; for the selected one (arrows or a click) each class's
 * probability under the original and the quantized model. For chars: the held-out
 * text with each character shaded by the KL divergence of its prediction,
 * and greedy continuations of a few prompts by both models side by side.
 *
 * Every change starts the evaluation on a worker thread; the screen keeps
 * showing the last result (marked as computing) and picks the new one up
 * in its tick, so keys never wait. Only one worker runs; a change made
 * while it runs is started when it ends (the latest one only).
 */
#include "tui_impl.h"

#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qlens/eval.h"
#include "qlens/model.h"
#include "qlens/scheme_text.h"

#define NSCHEMES_MAX 12
#define NPROMPTS 4
#define SAMPLE_LEN 24
#define PANEL_W 30

static const char *const model_names[2] = { "digits", "chars" };
static const char *const default_schemes[] = { "int8",  "int8/ch0", "q8_0", "fp8_e4m3",
					       "int4/g32", "q4_0",   "nf4",  "mxfp4",
					       "int4/g128", "int2/g32" };
static const char *const prompts[NPROMPTS] = { "", "th", "qu", "pre" };

typedef struct job {
	int model;
	int scheme;
	ql_act_quant act;
} job;

typedef struct eval_state {
	char schemes[NSCHEMES_MAX][QL_SCHEME_WORD_MAX];
	int nschemes;
	job want;                 /* what the keys asked for */
	/* the worker's (touched by the UI thread only when it is not running) */
	ql_model models[2];
	bool loaded[2];
	ql_eval_ctx *ctx[2];
	pthread_t thread;
	bool running, joinable;
	atomic_bool finished;
	job job;                  /* what the worker runs */
	ql_eval_result next;
	int next_rc;
	ql_error next_err;
	int32_t next_samples[2][NPROMPTS][SAMPLE_LEN];
	/* what is shown */
	bool have;
	job shown;
	ql_eval_result res;
	int32_t samples[2][NPROMPTS][SAMPLE_LEN]; /* [original, quantized] */
	int64_t *order;           /* digits: test examples, the interesting first */
	char error[QL_ERROR_MAX];
	int sel, top;             /* gallery selection / text scroll */
	int per_row, gallery_y, gallery_rows; /* the gallery as last drawn */
} eval_state;

/* ---- the worker ------------------------------------------------------------ */

static void encode_prompt(const ql_model *m, const char *p, int32_t *tok, int *n)
{
	*n = 0;
	for (; *p; p++) {
		const char *c = strchr(m->vocab_chars, *p);
		if (c && *p)
			tok[(*n)++] = (int32_t)(c - m->vocab_chars);
	}
}

static void *worker(void *arg)
{
	eval_state *st = arg;
	job j = st->job;
	ql_error *err = &st->next_err;
	st->next_rc = -1;
	ql_model *m = &st->models[j.model];
	if (!st->loaded[j.model]) {
		if (ql_model_load(model_names[j.model], m, err))
			goto out;
		if (ql_eval_ctx_new(m, &st->ctx[j.model], err)) {
			ql_model_free(m);
			goto out;
		}
		st->loaded[j.model] = true;
	}
	ql_scheme s;
	if (ql_scheme_parse_word(st->schemes[j.scheme], &s, err))
		goto out;
	ql_eval_opts o = { .act = j.act, .keep_logits = true };
	if (ql_eval_run(st->ctx[j.model], &s, &o, &st->next, err))
		goto out;
	if (m->kind == QL_MODEL_CHARLM) {
		ql_act_opts act = { .mode = j.act, .scales = st->next.act_scales };
		for (int p = 0; p < NPROMPTS; p++) {
			int32_t tok[16];
			int n;
			encode_prompt(m, prompts[p], tok, &n);
			ql_model_greedy(m, NULL, NULL, tok, n, SAMPLE_LEN, st->next_samples[0][p]);
			ql_model_greedy(m, (const float *const *)st->next.deq, &act, tok, n,
					SAMPLE_LEN, st->next_samples[1][p]);
		}
	}
	st->next_rc = 0;
out:
	atomic_store(&st->finished, true);
	return NULL;
}

static void start(eval_state *st)
{
	if (st->running)
		return;
	st->job = st->want;
	memset(&st->next, 0, sizeof st->next);
	st->next_err.msg[0] = '\0';
	atomic_store(&st->finished, false);
	st->running = true;
	st->joinable = pthread_create(&st->thread, NULL, worker, st) == 0;
	if (!st->joinable)
		worker(st); /* no thread: do it now; the tick picks it up */
}

static bool same_job(job a, job b)
{
	return a.model == b.model && a.scheme == b.scheme && a.act == b.act;
}

/* 2: flipped (correct <-> wrong), 1: another top-1 change, 0: same answer. */
static int interest(const eval_state *st, int64_t i)
{
	const ql_div_row *r = &st->res.rows[i];
	int32_t y = st->models[st->shown.model].test.y[i];
	bool cb = r->top_base == y, cq = r->top_quant == y;
	return cb != cq ? 2 : r->top_base != r->top_quant ? 1 : 0;
}

/* Orders the digits: flipped first, then other top-1 changes, then by KL. */
static int cmp_interest(const void *pa, const void *pb, void *ctx)
{
	const eval_state *st = ctx;
	int64_t a = *(const int64_t *)pa, b = *(const int64_t *)pb;
	int ia = interest(st, a), ib = interest(st, b);
	if (ia != ib)
		return ib - ia;
	double ka = st->res.rows[a].kld, kb = st->res.rows[b].kld;
	if (ka != kb)
		return ka < kb ? 1 : -1;
	return a < b ? -1 : a > b;
}

static bool eval_tick(ql_app *app, void *vst)
{
	eval_state *st = vst;
	if (!st->running || !atomic_load(&st->finished))
		return false;
	if (st->joinable)
		pthread_join(st->thread, NULL);
	st->running = false;
	if (st->next_rc == 0) {
		ql_eval_result_free(&st->res);
		st->res = st->next;
		memset(&st->next, 0, sizeof st->next);
		memcpy(st->samples, st->next_samples, sizeof st->samples);
		bool new_model = !st->have || st->shown.model != st->job.model;
		st->shown = st->job;
		st->have = true;
		st->error[0] = '\0';
		const ql_model *m = &st->models[st->shown.model];
		free(st->order);
		st->order = malloc((size_t)m->test.n * sizeof *st->order);
		if (st->order) {
			for (int64_t i = 0; i < m->test.n; i++)
				st->order[i] = i;
			if (m->kind == QL_MODEL_CLASSIFIER)
				qsort_r(st->order, (size_t)m->test.n, sizeof *st->order, cmp_interest, st);
		}
		if (new_model)
			st->sel = st->top = 0;
	} else {
		ql_eval_result_free(&st->next);
		snprintf(st->error, sizeof st->error, "%s", st->next_err.msg);
		ql_app_message(app, QL_R_ERROR, "%s", st->next_err.msg);
	}
	if (!same_job(st->want, st->job))
		start(st);
	return true;
}

/* ---- open / close / keys ----------------------------------------------------- */

static void eval_close(void *vst)
{
	eval_state *st = vst;
	if (!st)
		return;
	if (st->running && st->joinable)
		pthread_join(st->thread, NULL);
	ql_eval_result_free(&st->next);
	ql_eval_result_free(&st->res);
	for (int k = 0; k < 2; k++)
		if (st->loaded[k]) {
			ql_eval_ctx_free(st->ctx[k]);
			ql_model_free(&st->models[k]);
		}
	free(st->order);
	free(st);
}

/* Arguments as `qlens eval` takes them: [MODEL [SCHEME]] [--act MODE]
 * (a bare int8-dynamic / int8-static / none works too). A scheme not in
 * the list is added to it. Fills *j; 0, or -1 with a message. */
static int parse_args(eval_state *st, int argc, char **argv, job *j, ql_error *err)
{
	int pos = 0;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--act") == 0 && i + 1 < argc)
			a = argv[++i];
		ql_act_quant act;
		if (ql_act_quant_parse(a, &act) == 0) {
			j->act = act;
			continue;
		}
		if (pos == 0) {
			if (strcmp(a, "digits") && strcmp(a, "chars"))
				return ql_error_set(err, "the evaluation screen has the models digits and "
						    "chars, not '%s'", a);
			j->model = strcmp(a, "chars") == 0;
		} else if (pos == 1) {
			ql_scheme s;
			if (ql_scheme_parse_word(a, &s, err))
				return -1;
			int k = 0;
			while (k < st->nschemes && strcmp(st->schemes[k], a) != 0)
				k++;
			if (k == st->nschemes) {
				if (k == NSCHEMES_MAX)
					k = NSCHEMES_MAX - 1; /* the last slot is the user's */
				snprintf(st->schemes[k], QL_SCHEME_WORD_MAX, "%s", a);
				st->nschemes = k + 1;
			}
			j->scheme = k;
		} else {
			return ql_error_set(err, "eval screen: unexpected '%s'", a);
		}
		pos++;
	}
	return 0;
}

static void *eval_open(ql_app *app, int argc, char **argv, ql_error *err)
{
	eval_state *st = calloc(1, sizeof *st);
	if (!st) {
		ql_error_set(err, "out of memory");
		return NULL;
	}
	for (size_t i = 0; i < sizeof default_schemes / sizeof default_schemes[0]; i++)
		snprintf(st->schemes[st->nschemes++], QL_SCHEME_WORD_MAX, "%s", default_schemes[i]);
	st->want = (job){ 0, 4, QL_ACTQ_NONE }; /* digits int4/g32 */
	st->per_row = 1;
	if (parse_args(st, argc, argv, &st->want, err)) {
		free(st);
		return NULL;
	}
	start(st);
	return st;
}

static int64_t shown_count(const eval_state *st)
{
	return st->have ? st->models[st->shown.model].test.n : 0;
}

static bool eval_action(ql_app *app, void *vst, ql_action a)
{
	eval_state *st = vst;
	job before = st->want;
	switch (a) {
	case QL_ACT_EV_MODEL: st->want.model ^= 1; break;
	case QL_ACT_EV_NEXT: st->want.scheme = (st->want.scheme + 1) % st->nschemes; break;
	case QL_ACT_EV_PREV:
		st->want.scheme = (st->want.scheme + st->nschemes - 1) % st->nschemes;
		break;
	case QL_ACT_EV_ACT: st->want.act = (ql_act_quant)((st->want.act + 1) % QL_ACTQ_COUNT); break;
	case QL_ACT_LEFT: st->sel--; break;
	case QL_ACT_RIGHT: st->sel++; break;
	case QL_ACT_UP: st->sel -= st->per_row; st->top--; break;
	case QL_ACT_DOWN: st->sel += st->per_row; st->top++; break;
	case QL_ACT_PAGE_DOWN: st->sel += 3 * st->per_row; st->top += 10; break;
	case QL_ACT_PAGE_UP: st->sel -= 3 * st->per_row; st->top -= 10; break;
	case QL_ACT_FIRST: st->sel = st->top = 0; break;
	case QL_ACT_LAST: st->sel = (int)shown_count(st) - 1; st->top = 1 << 20; break;
	default: return false;
	}
	int64_t n = shown_count(st);
	if (st->sel >= n)
		st->sel = (int)n - 1;
	if (st->sel < 0)
		st->sel = 0;
	if (st->top < 0)
		st->top = 0;
	if (!same_job(before, st->want))
		start(st);
	return true;
}

/* A click on a digit of the gallery selects it. */
static bool eval_click(ql_app *app, void *vst, int y, int x)
{
	eval_state *st = vst;
	if (!st->have || st->models[st->shown.model].kind != QL_MODEL_CLASSIFIER)
		return false;
	int r = (y - st->gallery_y) / 6, c = x / 10;
	if (y < st->gallery_y || r >= st->gallery_rows || c >= st->per_row)
		return false;
	int64_t k = (int64_t)(st->top + r) * st->per_row + c;
	if (k >= shown_count(st))
		return false;
	st->sel = (int)k;
	return true;
}

/* ---- drawing ------------------------------------------------------------------ */

static void put(ql_app *app, WINDOW *w, int y, int x, int maxw, ql_role r, const char *fmt, ...)
	__attribute__((format(printf, 7, 8)));

static void put(ql_app *app, WINDOW *w, int y, int x, int maxw, ql_role r, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	ql_put(ql_app_theme(app), w, y, x, maxw, r, buf);
}

static void put_figures(ql_app *app, WINDOW *w, int y, int cols, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* A line of figures ("label value  label value") from column 0: too wide
 * for the window, its runs of spaces become one, then a note of words in
 * brackets at its end goes ("(nats)"), and then it ends at a word with an
 * ellipsis; never a figure cut short. */
static void put_figures(ql_app *app, WINDOW *w, int y, int cols, const char *fmt, ...)
{
	const ql_theme *th = ql_app_theme(app);
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (ql_text_width(th, buf) > cols) {
		char *o = buf;
		for (const char *p = buf; *p; p++)
			if (*p != ' ' || p == buf || p[-1] != ' ')
				*o++ = *p;
		*o = '\0';
		char *note = strrchr(buf, '(');
		if (ql_text_width(th, buf) > cols && note && note > buf && o[-1] == ')' &&
		    !strpbrk(note, "0123456789"))
			note[-1] = '\0';
	}
	ql_put_fit(th, w, y, 0, cols, QL_R_NORMAL, buf);
}

/* A bar of p in [0, 1] over `width` cells, in eighths where UTF-8 allows. */
static void bar(ql_app *app, WINDOW *w, int y, int x, int width, double p, ql_role r)
{
	const ql_theme *th = ql_app_theme(app);
	static const char *const eighths[8] = { "", "▏", "▎", "▍", "▌", "▋", "▊", "▉" };
	int units = (int)(p * width * 8 + 0.5);
	for (int c = 0; c < width; c++, units -= 8) {
		const char *g = units >= 8 ? th->g.bar : units > 0 ? (th->utf8 ? eighths[units] : "")
								   : "";
		ql_put(th, w, y, x + c, 1, r, *g ? g : " ");
	}
}

static void draw_header(ql_app *app, eval_state *st, WINDOW *w, int cols)
{
	const ql_theme *th = ql_app_theme(app);
	int x = 0;
	x += ql_put(th, w, 0, x, cols, QL_R_LABEL, "model ");
	x += ql_put(th, w, 0, x, cols - x, QL_R_VALUE, model_names[st->want.model]);
	x += ql_put(th, w, 0, x, cols - x, QL_R_LABEL, "   scheme ");
	char sch[80];
	snprintf(sch, sizeof sch, "%s %s %s", th->g.more_left, st->schemes[st->want.scheme],
		 th->g.more_right);
	x += ql_put(th, w, 0, x, cols - x, QL_R_VALUE, sch);
	x += ql_put(th, w, 0, x, cols - x, QL_R_LABEL, "   activations ");
	x += ql_put(th, w, 0, x, cols - x, QL_R_VALUE, ql_act_quant_name(st->want.act));
	if (st->running)
		ql_put(th, w, 0, x + 3, cols - x - 3, QL_R_WARN, "computing…");
}

static void draw_figures(ql_app *app, eval_state *st, WINDOW *w, int cols)
{
	const ql_model *m = &st->models[st->shown.model];
	const ql_eval_result *r = &st->res;
	const ql_div_stats *s = &r->stats;
	int x = 0;
	char buf[96];
	snprintf(buf, sizeof buf, "%s: %.2f bits/weight   SQNR dB", st->schemes[st->shown.scheme],
		 r->bits_per_weight);
	x += ql_put(ql_app_theme(app), w, 1, x, cols, QL_R_LABEL, buf);
	for (int k = 0; k < r->nmats && x < cols; k++) {
		if (r->mats[k].kept)
			snprintf(buf, sizeof buf, "  %s kept", r->mats[k].name);
		else
			snprintf(buf, sizeof buf, "  %s %.1f", r->mats[k].name, r->mats[k].metrics.sqnr_db);
		char *dot = strstr(buf, ".weight");
		if (dot)
			memmove(dot, dot + 7, strlen(dot + 7) + 1);
		x += ql_put(ql_app_theme(app), w, 1, x, cols - x, QL_R_NORMAL, buf);
	}
	/* ✓ and ✗ have no ASCII look-alike: words instead */
	bool utf8 = ql_app_theme(app)->utf8;
	if (m->kind == QL_MODEL_CLASSIFIER)
		put_figures(app, w, 2, cols,
		    "accuracy %.2f%% → %.2f%%   flips %lld (%.2f%%: %lld %s, %lld %s)",
		    100 * s->acc_base, 100 * s->acc_quant, (long long)s->flips, 100 * s->flip_rate,
		    (long long)s->flips_to_wrong, utf8 ? "✓→✗" : "now wrong",
		    (long long)s->flips_to_right, utf8 ? "✗→✓" : "now right");
	else
		put_figures(app, w, 2, cols,
		    "perplexity %.4f → %.4f (%+.4f)   top-1 changed %lld of %lld (%.1f%%)",
		    s->ppl_base, s->ppl_quant, s->ppl_quant - s->ppl_base, (long long)s->top_changed,
		    (long long)s->n, 100.0 * (double)s->top_changed / (double)s->n);
	put_figures(app, w, 3, cols,
	    "KL mean %.3g ± %.2g  median %.2g  p90 %.2g  p99 %.2g  max %.2g  (nats)",
	    s->kld_mean, s->kld_unc, s->kld_median, s->kld_p90, s->kld_p99, s->kld_max);
	put_figures(app, w, 4, cols,
	    "Δp (correct answer)  mean %+.2f%% ± %.2f%%  RMS %.2f%%   same top %.2f%%",
	    100 * s->dp_mean, 100 * s->dp_unc, 100 * s->dp_rms, 100 * s->same_top_p);
}

/* One 8x8 digit in 4 rows of half blocks (top pixel, bottom pixel). */
static void draw_digit(ql_app *app, WINDOW *w, int y, int x, const float *px, ql_role r)
{
	const ql_theme *th = ql_app_theme(app);
	for (int row = 0; row < 4; row++)
		for (int c = 0; c < 8; c++) {
			bool t = px[(2 * row) * 8 + c] >= 0.35f, b = px[(2 * row + 1) * 8 + c] >= 0.35f;
			const char *g = t && b ? (th->utf8 ? "█" : "#") : t ? (th->utf8 ? "▀" : "\"")
							 : b ? (th->utf8 ? "▄" : ",") : " ";
			ql_put(th, w, y + row, x + c, 1, r, g);
		}
}

static void draw_digits(ql_app *app, eval_state *st, WINDOW *w, int y0, int lines, int cols)
{
	const ql_model *m = &st->models[st->shown.model];
	int gw = cols - PANEL_W - 1, per_row = gw / 10, rows = (lines - 1) / 6;
	if (per_row < 1 || rows < 1 || !st->order)
		return;
	st->per_row = per_row;
	st->gallery_y = y0;
	st->gallery_rows = rows;
	int64_t n = m->test.n;
	/* keep the selection in view */
	int sel_row = st->sel / per_row;
	if (sel_row < st->top)
		st->top = sel_row;
	if (sel_row >= st->top + rows)
		st->top = sel_row - rows + 1;
	for (int r = 0; r < rows; r++)
		for (int c = 0; c < per_row; c++) {
			int64_t k = (int64_t)(st->top + r) * per_row + c;
			if (k >= n)
				break;
			int64_t i = st->order[k];
			const ql_div_row *d = &st->res.rows[i];
			int flip = interest(st, i);
			ql_role role = flip == 2 ? QL_R_WARN : flip == 1 ? QL_R_VALUE : QL_R_NORMAL;
			int y = y0 + r * 6, x = c * 10;
			draw_digit(app, w, y, x, m->test.x + i * 64, role);
			put(app, w, y + 4, x, 9, k == st->sel ? QL_R_SELECTED : role, "%d %lld→%lld",
			    m->test.y[i], (long long)d->top_base, (long long)d->top_quant);
			/* p(label): original, quantized */
			bar(app, w, y + 5, x, 4, d->p_base, QL_R_GOOD);
			bar(app, w, y + 5, x + 5, 4, d->p_quant, flip == 2 ? QL_R_WARN : QL_R_GOOD);
		}
	put(app, w, y0 + lines - 1, 0, gw, QL_R_DIM,
	    "label orig→quant, bars p(label) orig|quant; flips first");
	/* the selected digit's probabilities */
	int64_t i = st->order[st->sel < n ? st->sel : 0];
	int px = gw + 1;
	const float *lb = st->ctx[st->shown.model]->base_logits + i * m->nout;
	const float *lq = st->res.quant_logits + i * m->nout;
	put(app, w, y0, px, PANEL_W, QL_R_LABEL, "test #%lld, label %d", (long long)i, m->test.y[i]);
	put(app, w, y0 + 1, px, PANEL_W, QL_R_DIM, "KL %.3g", st->res.rows[i].kld);
	put(app, w, y0 + 2, px, PANEL_W, QL_R_LABEL, "  original     quantized");
	double mb = lb[0], mq = lq[0], sb = 0, sq = 0;
	for (int64_t v = 1; v < m->nout; v++) {
		mb = lb[v] > mb ? lb[v] : mb;
		mq = lq[v] > mq ? lq[v] : mq;
	}
	for (int64_t v = 0; v < m->nout; v++) {
		sb += exp(lb[v] - mb);
		sq += exp(lq[v] - mq);
	}
	for (int64_t v = 0; v < m->nout && 3 + v < lines; v++) {
		double pb = exp(lb[v] - mb) / sb, pq = exp(lq[v] - mq) / sq;
		int y = y0 + 3 + (int)v;
		ql_role r = v == m->test.y[i] ? QL_R_GOOD : QL_R_NORMAL;
		put(app, w, y, px, 2, r, "%lld", (long long)v);
		bar(app, w, y, px + 2, 7, pb, r);
		put(app, w, y, px + 9, 5, QL_R_DIM, "%4.2f", pb);
		bar(app, w, y, px + 15, 7, pq, r);
		put(app, w, y, px + 22, 5, QL_R_DIM, "%4.2f", pq);
	}
}

static ql_role kl_role(const ql_div_stats *s, double k)
{
	return k <= s->kld_median ? QL_R_DIM : k <= s->kld_p90 ? QL_R_NORMAL
		 : k <= s->kld_p99 ? QL_R_VALUE : QL_R_WARN;
}

static void draw_chars(ql_app *app, eval_state *st, WINDOW *w, int y0, int lines, int cols)
{
	const ql_theme *th = ql_app_theme(app);
	const ql_model *m = &st->models[st->shown.model];
	int text_lines = lines - NPROMPTS - 3;
	if (text_lines < 1)
		return;
	/* lines of the text, wrapped at cols; st->top is the first shown */
	int64_t n = m->test.n, i = 0;
	int line = 0;
	while (i < n && line < st->top + text_lines) {
		int64_t end = i, last_space = -1;
		while (end < n && end - i < cols) {
			if (m->test.tokens[end] == 0)
				last_space = end;
			end++;
		}
		if (end < n && last_space > i)
			end = last_space + 1;
		if (line >= st->top)
			for (int64_t k = i; k < end; k++) {
				char c[2] = { m->test.tokens[k] ? m->vocab_chars[m->test.tokens[k]] : ' ', 0 };
				ql_role r = kl_role(&st->res.stats, st->res.rows[k].kld);
				/* a space the model found hard, made visible: · or
				 * _ (not ·'s ASCII -, which reads as a hyphen:
				 * "ferris-peasant") */
				ql_put(th, w, y0 + line - st->top, (int)(k - i), 1, r,
				       c[0] == ' ' && r == QL_R_WARN ? (th->utf8 ? "·" : "_") : c);
			}
		i = end;
		line++;
	}
	if (i >= n && st->top > line - 1)
		st->top = line > 0 ? line - 1 : 0;
	int y = y0 + text_lines;
	put(app, w, y, 0, cols, QL_R_DIM,
	    "shade = KL of each character's prediction: ≤ median, ≤ p90, ≤ p99, above p99");
	put(app, w, y + 1, 0, cols, QL_R_LABEL, "%-8s %-26s %s", "prompt", "original (greedy)",
	    "quantized (greedy)");
	for (int p = 0; p < NPROMPTS; p++) {
		char a[SAMPLE_LEN + 1], b[SAMPLE_LEN + 1];
		for (int k = 0; k < SAMPLE_LEN; k++) {
			int32_t ta = st->samples[0][p][k], tb = st->samples[1][p][k];
			a[k] = ta ? m->vocab_chars[ta] : ' ';
			b[k] = tb ? m->vocab_chars[tb] : ' ';
		}
		a[SAMPLE_LEN] = b[SAMPLE_LEN] = '\0';
		int yy = y + 2 + p;
		put(app, w, yy, 0, 9, QL_R_VALUE, "%s", *prompts[p] ? prompts[p] : "(start)");
		put(app, w, yy, 9, 26, QL_R_NORMAL, "%s%s", prompts[p], a);
		put(app, w, yy, 36, cols - 36, strcmp(a, b) ? QL_R_WARN : QL_R_NORMAL, "%s%s",
		    prompts[p], b);
	}
}

static void eval_draw(ql_app *app, void *vst, WINDOW *w)
{
	eval_state *st = vst;
	int lines = getmaxy(w), cols = getmaxx(w);
	draw_header(app, st, w, cols);
	if (!st->have) {
		put(app, w, 2, 0, cols, st->error[0] ? QL_R_ERROR : QL_R_DIM, "%s",
		    st->error[0] ? st->error : "loading the model and running the test set…");
		return;
	}
	draw_figures(app, st, w, cols);
	const ql_model *m = &st->models[st->shown.model];
	if (m->kind == QL_MODEL_CLASSIFIER)
		draw_digits(app, st, w, 6, lines - 6, cols);
	else
		draw_chars(app, st, w, 6, lines - 6, cols);
}

const ql_screen_ops ql_screen_eval = {
	.name = "eval",
	.title = "Model evaluation",
	.scope = QL_SC_EVAL,
	.min_lines = QL_TUI_MIN_LINES - 2,
	.min_cols = QL_TUI_MIN_COLS,
	.open = eval_open,
	.close = eval_close,
	.action = eval_action,
	.click = eval_click,
	.draw = eval_draw,
	.command = NULL, /* `:eval MODEL SCHEME --tui` opens another one */
	.tick = eval_tick,
};
