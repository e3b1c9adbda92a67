/* screen_quant.c — the quantization explorer: one tensor, one scheme, live.
 *
 * From the top of its window down:
 *   the tensor and the scheme in the command line's words;
 *   the range view: the values' histogram on a number line, the grid laid
 *     over it (every level a tick, with its code when there is room), the
 *     clipping range [ ], zero, and each calibration method's clip (M P E K);
 *   the mapping: the float axis lo .. 0 .. hi above the code axis
 *     qmin .. zero point .. qmax, aligned, with the scale;
 *   the error view: the histogram of (dequantized - original) over the whole
 *     tensor, rounding error (█, inside the grid's reach) and clipping error
 *     (▒, beyond it) stacked;
 *   the readout: qmin/qmax, scale, zero point, clip, MSE, RMSE, SQNR, max
 *     and mean |error|, cosine, clipped, bits per weight and bytes, each
 *     with the figure of the setting before ("SQNR 20.2 dB, was 38.1"), and
 *     the cursor's x -> code -> x̂.
 * Per channel or per group, Up/Down pick the unit whose values and grid the
 * range view shows; the error view stays on the whole tensor.
 *
 * Every number comes from the core (ql_quantize, ql_calibrate, ql_hist_*,
 * qview.h), computed by qx_worker.c: small tensors (up to 1M values) are
 * waited for, so a key is answered in the same frame; larger ones come in
 * when ready, a newer key cancelling the older work.
 *
 * Arguments: quantize's own words, FILE [--tensor NAME] [scheme options],
 * parsed by ql_quantize_parse (the same code as the command); none: the
 * hand-readable sample at int4.
 */
#include "tui_impl.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "qlens/datadir.h"
#include "qlens/io.h"
#include "qlens/quantize_cmd.h"
#include "quant_screen.h"

/* Up to 1M values a key waits for its result (a few ms; at most
 * QLENS_TUI_WAIT_MS, default 100, so that a loaded machine never freezes
 * the keys), and the frame after the key shows it. Larger tensors come in
 * when ready. */
#define SYNC_MAX (INT64_C(1) << 20)
#define SYNC_WAIT_MS 100

static int sync_wait_ms(void)
{
	const char *e = getenv("QLENS_TUI_WAIT_MS");
	int ms = e ? atoi(e) : SYNC_WAIT_MS;
	return ms > 0 ? ms : SYNC_WAIT_MS;
}

/* The samples of assets/samples (assets/README.md), in the order n steps
 * through them: the hand-readable one first (the explorer's default, at
 * int4: scale 0.5, every code checkable by hand), the synthetic lessons,
 * then the two real weight matrices (gnubg's with outlier input channels,
 * face-api's well-behaved conv). */
static const char *const samples[] = {
	"hand12", "synth_gaussian", "synth_laplace", "synth_uniform", "synth_bimodal", "synth_outliers",
	"gnubg_contact_hidden", "faceapi_conv64_1_conv1",
};
enum { N_SAMPLES = sizeof samples / sizeof samples[0] };


/* ---- opening a tensor ----------------------------------------------------- */

/* NaN or inf: every scheme refuses the tensor, so it is refused here,
 * before the tensor shown is let go (the worker's first job would fail and
 * leave nothing to show). The message is ql_quantize's own, as the command
 * gives it: it stops at them in its first pass. */
static int refuse_non_finite(const ql_quantize_request *rq, const ql_tensor *t, const float *x,
			     ql_error *err)
{
	int64_t i = 0;
	while (i < t->nelem && fabsf(x[i]) <= FLT_MAX)
		i++;
	if (i == t->nelem)
		return 0;
	ql_qresult r;
	ql_error e = {{0}};
	ql_qopts o = {.threads = rq->threads, .no_metrics = true};
	if (ql_quantize(x, t->shape, t->ndim, &rq->scheme, &o, &r, &e) == 0) {
		ql_qresult_free(&r);
		snprintf(e.msg, sizeof e.msg, "the value at index %lld is not finite", (long long)i);
	}
	return ql_error_set(err, "%s: tensor '%s': %s", rq->file, t->name, e.msg);
}

/* Reads the request's tensor as float32 and starts a worker on it. */
#define LOAD_NOTICE (4 << 20) /* values from which a load says it is reading */

static int load_tensor(quant_state *st, const ql_quantize_request *rq, ql_error *err);

/* load_tensor, and the 'reading ...' note it may show taken away after */
static int load(quant_state *st, const ql_quantize_request *rq, ql_error *err)
{
	st->noted = false;
	int rc = load_tensor(st, rq, err);
	if (st->noted)
		ql_app_message_clear(st->app);
	return rc;
}

static int load_tensor(quant_state *st, const ql_quantize_request *rq, ql_error *err)
{
	ql_source *src = NULL;
	float *x = NULL;
	if (ql_source_open(rq->file, rq->open.raw_dtype ? &rq->open : NULL, &src, err))
		return -1;
	long idx = rq->tensor ? ql_source_find(src, rq->tensor) : ql_source_count(src) == 1 ? 0 : -1;
	if (idx < 0) {
		char list[300] = "";
		size_t n = ql_source_count(src), k = 0;
		for (size_t i = 0; i < n && k + 40 < sizeof list; i++)
			k += (size_t)snprintf(list + k, sizeof list - k, "%s%s", i ? ", " : "",
					      ql_source_tensor(src, i)->name);
		if (k + 40 >= sizeof list)
			snprintf(list + k, sizeof list - k, ", ...");
		if (n == 0)
			ql_error_set(err, "%s: holds no tensors", rq->file);
		else if (rq->tensor)
			ql_error_set(err, "%s: no tensor '%s' (it has: %s)", rq->file, rq->tensor, list);
		else
			ql_error_set(err, "%s: has %zu tensors; choose one with --tensor NAME (%s)", rq->file, n,
				     list);
		ql_source_close(src);
		return -1;
	}
	const ql_tensor *t = ql_source_tensor(src, (size_t)idx);
	if (st->app && t->nelem >= LOAD_NOTICE) {
		/* reading and checking a big tensor takes a moment on this
		 * thread (0.5 s for 64M values): say so on the screen shown */
		char note[320];
		snprintf(note, sizeof note, "reading %s (%lld values)...", t->name,
			 (long long)t->nelem);
		ql_app_message_now(st->app, QL_R_INFO, note);
		st->noted = true;
	}
	if (ql_scheme_validate(&rq->scheme, t->shape, t->ndim, err) ||
	    ql_source_read_f32(src, (size_t)idx, &x, err)) {
		ql_source_close(src);
		return -1;
	}
	if (refuse_non_finite(rq, t, x, err)) {
		free(x);
		ql_source_close(src);
		return -1;
	}
	float mn, mx;
	if (!ql_range(x, (size_t)t->nelem, &mn, &mx))
		mn = mx = 0;
	float big = 10.0f * fmaxf(fabsf(mn), fabsf(mx));
	qx_worker *w = qx_worker_new(x, t->shape, t->ndim, t->nelem / 2, big > 0 ? big : 1.0f, err);
	if (!w) {
		ql_source_close(src);
		return -1;
	}
	qx_worker_free(st->w);
	qx_result_free(st->res);
	st->w = w;
	st->res = NULL;
	st->have_prev = false;
	snprintf(st->file, sizeof st->file, "%s", rq->file);
	snprintf(st->tensor, sizeof st->tensor, "%s", t->name);
	st->ndim = t->ndim;
	st->n = t->nelem;
	memcpy(st->shape, t->shape, sizeof st->shape);
	size_t k = 0;
	st->shape_text[0] = '\0';
	for (int d = 0; d < t->ndim && k < sizeof st->shape_text; d++)
		k += (size_t)snprintf(st->shape_text + k, sizeof st->shape_text - k, "%s%lld", d ? "x" : "",
				      (long long)t->shape[d]);
	ql_source_close(src);
	st->scheme = st->good = rq->scheme;
	st->threads = rq->threads;
	st->outlier = st->manual = false;
	st->unit = 0;
	st->zoom = 1;
	st->cursor = -1;
	return 0;
}

/* argv as quantize takes it (without the command's name). */
static int load_args(quant_state *st, int argc, char **argv, ql_error *err)
{
	char **words = calloc((size_t)argc + 2, sizeof *words);
	char *ebuf = NULL;
	size_t elen = 0;
	FILE *ef = open_memstream(&ebuf, &elen);
	if (!words || !ef) {
		free(words);
		if (ef)
			fclose(ef);
		free(ebuf);
		return ql_error_set(err, "out of memory");
	}
	words[0] = "quantize";
	for (int i = 0; i < argc; i++)
		words[i + 1] = argv[i];
	ql_cmd_ctx ctx = {.out = ef, .err = ef, .interactive = true};
	ql_quantize_request rq;
	int rc = ql_quantize_parse(&ctx, argc + 1, words, &rq);
	fclose(ef);
	if (rc) {
		size_t l = strcspn(ebuf, "\n");
		ql_error_set(err, "%.*s", (int)l, strncmp(ebuf, "qlens ", 6) ? ebuf : ebuf + 6);
	} else {
		rc = load(st, &rq, err);
	}
	free(ebuf);
	free(words);
	return rc ? -1 : 0;
}

static int load_sample(quant_state *st, int i, ql_error *err)
{
	char rel[128], path[4096];
	snprintf(rel, sizeof rel, "assets/samples/%s.npy", samples[i]);
	if (ql_data_path(rel, path, sizeof path, err))
		return -1;
	ql_quantize_request rq = {.file = path};
	ql_scheme_init(&rq.scheme);
	if (i == 0)
		rq.scheme.dtype = QL_Q_INT4;
	if (load(st, &rq, err))
		return -1;
	st->sample = i;
	return 0;
}

/* ---- computing ------------------------------------------------------------ */

static bool same_scheme(const ql_scheme *a, const ql_scheme *b)
{
	return a->dtype == b->dtype && a->sym == b->sym && a->gran == b->gran && a->axis == b->axis &&
	       a->group == b->group && a->calib == b->calib && a->percentile == b->percentile &&
	       a->has_scale == b->has_scale && a->scale == b->scale &&
	       a->has_zero_point == b->has_zero_point && a->zero_point == b->zero_point;
}

/* An error on the status line, in full (a long one goes on in the rows
 * above it) until the next key. */
static void say_error(ql_app *app, quant_state *st, const char *msg)
{
	(void)st;
	ql_app_message(app, QL_R_ERROR, "qlens: %s", msg);
}

/* Takes what the worker has finished: a newer result, or the marks. */
static bool take(ql_app *app, quant_state *st)
{
	bool changed = false;
	qx_result *r = qx_take(st->w, st->res ? st->res->gen : 0);
	if (r && r->failed) {
		say_error(app, st, r->err.msg);
		snprintf(st->failure, sizeof st->failure, "%s", r->err.msg);
		st->failed = r->gen;
		if (r->gen == st->want)
			st->scheme = st->good; /* back to what is shown */
		qx_result_free(r);
		r = NULL;
		changed = true;
	}
	if (r) {
		/* "was": the figures of the setting before; picking another unit
		 * to look at changes no setting */
		if (st->res && (!same_scheme(&st->res->job.scheme, &r->job.scheme) ||
				st->res->job.outlier != r->job.outlier)) {
			st->prev = st->res->r.metrics;
			st->prev_bpw = st->res->r.bits_per_weight;
			st->prev_bytes = st->res->r.bytes;
			st->prev_scale = st->res->r.nscales ? st->res->r.scales[0] : 0;
			st->have_prev = true;
		}
		qx_result_free(st->res);
		st->res = r;
		st->good = r->job.scheme;
		if (r->gen == st->want) /* the unit clamped to those there are */
			st->unit = r->unit;
		changed = true;
	}
	if (st->res && qx_take_marks(st->w, st->res))
		changed = true;
	return changed;
}

static void recompute(ql_app *app, quant_state *st)
{
	ql_scheme s = st->scheme;
	if (st->manual) {
		int32_t qmin, qmax;
		float scale;
		int32_t zp;
		s.has_scale = false;
		ql_scheme_qrange(&s, &qmin, &qmax);
		bool sym = ql_scheme_symmetry(&s) == QL_SYM;
		ql_qparams_from_range(st->clip_lo, st->clip_hi, qmin, qmax, sym, &scale, &zp);
		s.has_scale = true;
		s.scale = scale;
		s.has_zero_point = !sym;
		s.zero_point = zp;
	}
	qx_job job = {.scheme = s, .outlier = st->outlier, .unit = st->unit, .threads = st->threads};
	st->want = qx_submit(st->w, &job);
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	st->submitted_ms = (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
	if (st->n <= SYNC_MAX && qx_wait(st->w, st->want, sync_wait_ms()))
		take(app, st);
}

/* ---- keys ----------------------------------------------------------------- */

static const double percentiles[] = {90, 95, 98, 99, 99.5, 99.9, 99.99};

static bool is_int(ql_qdtype t)
{
	return ql_qdtype_of(t)->kind == QL_QK_INT;
}

/* The integer target of `bits` bits and that signedness in the core's table
 * (every width 2..8 is one), or -1. */
static int int_target(int bits, bool is_signed)
{
	for (int t = 0; t < QL_Q_COUNT; t++)
		if (is_int((ql_qdtype)t) && ql_qdtype_of((ql_qdtype)t)->bits == bits &&
		    ql_qdtype_of((ql_qdtype)t)->is_signed == is_signed)
			return t;
	return -1;
}

/* b: one bit fewer, 8 -> 7 -> ... -> 2, then 8 again; B: one more, 2 -> 8,
 * then 2. The signedness stays. */
static void set_bits(quant_state *st, int dir)
{
	ql_qdtype t = st->scheme.dtype;
	if (!is_int(t)) { /* from another family: int8 */
		st->scheme.dtype = QL_Q_INT8;
		st->scheme.sym = QL_SYM_DEFAULT;
		st->scheme.gran = QL_GRAN_TENSOR;
		return;
	}
	bool sg = ql_qdtype_of((ql_qdtype)t)->is_signed;
	int bits = ql_qdtype_of((ql_qdtype)t)->bits;
	for (int k = 0; k < 7; k++) {
		bits += dir;
		if (bits < 2)
			bits = 8;
		else if (bits > 8)
			bits = 2;
		int next = int_target(bits, sg);
		if (next >= 0) {
			st->scheme.dtype = (ql_qdtype)next;
			return;
		}
	}
}

/* The next format family of the core's table (quant.h): int (at the bits
 * in use), then every other target in table order, so a format the core
 * gains joins the cycle by itself. */
static void next_family(quant_state *st)
{
	ql_qdtype t = st->scheme.dtype;
	ql_qdtype next = QL_Q_INT8;
	for (int k = 1; k <= QL_Q_COUNT; k++) {
		ql_qdtype c = (ql_qdtype)((t + k) % QL_Q_COUNT);
		if (!is_int(c)) {
			next = c;
			break;
		}
		if (c == QL_Q_INT8 && !is_int(t)) {
			next = c;
			break;
		}
	}
	if (is_int(t) && is_int(next))
		next = t; /* no other family: stay */
	st->scheme.dtype = next;
	st->scheme.sym = QL_SYM_DEFAULT;
	st->scheme.gran = (is_int(next) || ql_qdtype_of(next)->kind == QL_QK_FLOAT) ? QL_GRAN_TENSOR
										 : QL_GRAN_BLOCK;
	st->manual = false;
}

static void next_granularity(quant_state *st)
{
	ql_scheme *s = &st->scheme;
	if (!is_int(s->dtype) && ql_qdtype_of(s->dtype)->kind != QL_QK_FLOAT)
		return;
	if (s->gran == QL_GRAN_TENSOR) {
		s->gran = st->ndim > 0 ? QL_GRAN_CHANNEL : QL_GRAN_GROUP;
		s->axis = 0;
		s->group = 32;
	} else if (s->gran == QL_GRAN_CHANNEL && s->axis + 1 < st->ndim) {
		s->axis++;
	} else if (s->gran == QL_GRAN_CHANNEL || (s->gran == QL_GRAN_GROUP && s->group < 256)) {
		s->group = s->gran == QL_GRAN_CHANNEL ? 32 : s->group * 2;
		s->gran = QL_GRAN_GROUP;
	} else {
		s->gran = QL_GRAN_TENSOR;
	}
	st->unit = 0;
	st->manual = false;
}

static void clip_key(ql_app *app, quant_state *st, ql_action a)
{
	if (!st->res || !is_int(st->scheme.dtype) || st->scheme.gran != QL_GRAN_TENSOR) {
		ql_app_message(app, QL_R_INFO, "a manual clip is for integer formats per tensor (t, g)");
		return;
	}
	bool sym = ql_scheme_symmetry(&st->scheme) == QL_SYM;
	if (!st->manual) {
		st->manual = true;
		st->clip_lo = st->res->r.clip_lo[0];
		st->clip_hi = st->res->r.clip_hi[0];
	}
	float step = (float)((st->res->hi - st->res->lo) / 100.0);
	switch (a) {
	case QL_ACT_CLIP_LO_DOWN: st->clip_lo -= step; break;
	case QL_ACT_CLIP_LO_UP: st->clip_lo += step; break;
	case QL_ACT_CLIP_HI_DOWN: st->clip_hi -= step; break;
	case QL_ACT_CLIP_HI_UP: st->clip_hi += step; break;
	default: {
		float m = fmaxf(fabsf(st->clip_lo), fabsf(st->clip_hi));
		st->clip_lo = -m;
		st->clip_hi = m;
	}
	}
	if (sym) { /* one bound moves both */
		float m = (a == QL_ACT_CLIP_LO_DOWN || a == QL_ACT_CLIP_LO_UP) ? -st->clip_lo : st->clip_hi;
		st->clip_lo = -fabsf(m);
		st->clip_hi = fabsf(m);
	}
	if (st->clip_hi < 0)
		st->clip_hi = 0;
	if (st->clip_lo > 0)
		st->clip_lo = 0;
}

static void open_done(ql_app *app, void *data, const char *line)
{
	quant_state *st = data;
	ql_error err = {{0}};
	int argc = 0;
	char **argv = NULL;
	if (!line || ql_split_words(line, &argc, &argv, &err) || argc == 0 ||
	    load_args(st, argc, argv, &err)) {
		if (err.msg[0]) /* the tensor shown stays */
			say_error(app, st, err.msg);
	} else {
		st->sample = -1;
		recompute(app, st);
	}
	ql_free_words(argc, argv);
}

/* The cursor to column c of the picture last drawn: the value at that
 * column's middle. */
static void cursor_to(quant_state *st, int c)
{
	if (st->width <= 0)
		return;
	c = c < 0 ? 0 : c >= st->width ? st->width - 1 : c;
	st->cursor = c;
	st->cursor_x = st->view_lo + (c + 0.5) * (st->view_hi - st->view_lo) / st->width;
}

static bool quant_action(ql_app *app, void *vst, ql_action a)
{
	quant_state *st = vst;
	ql_error err = {{0}};
	bool again = true;
	switch (a) {
	case QL_ACT_BITS_DOWN: set_bits(st, -1); st->manual = false; break;
	case QL_ACT_BITS_UP: set_bits(st, +1); st->manual = false; break;
	case QL_ACT_SYMMETRY:
		st->scheme.sym = ql_scheme_symmetry(&st->scheme) == QL_SYM ? QL_ASYM : QL_SYM;
		st->manual = false;
		break;
	case QL_ACT_SIGNED:
		if (is_int(st->scheme.dtype)) {
			const ql_qdtype_info *qi = ql_qdtype_of(st->scheme.dtype);
			int other = int_target(qi->bits, !qi->is_signed);
			if (other >= 0)
				st->scheme.dtype = (ql_qdtype)other;
		}
		st->scheme.sym = QL_SYM_DEFAULT;
		st->manual = false;
		break;
	case QL_ACT_GRANULARITY: next_granularity(st); break;
	case QL_ACT_FAMILY: next_family(st); break;
	case QL_ACT_CALIB: {
		/* the next calibration the target takes (fp8 takes minmax and
		 * percentile only: c went to mse, was refused and stayed) */
		ql_scheme next = st->scheme;
		for (int k = 0; k < QL_CALIB_COUNT; k++) {
			next.calib = (ql_calib)((next.calib + 1) % QL_CALIB_COUNT);
			ql_error verr;
			if (ql_scheme_validate(&next, NULL, 0, &verr) == 0)
				break;
		}
		st->scheme.calib = next.calib;
		st->manual = false;
		break;
	}
	case QL_ACT_PCT_DOWN:
	case QL_ACT_PCT_UP: {
		int i = 0, n = (int)(sizeof percentiles / sizeof percentiles[0]);
		for (int k = 0; k < n; k++)
			if (percentiles[k] <= st->scheme.percentile)
				i = k;
		i += a == QL_ACT_PCT_UP ? 1 : -1;
		st->scheme.percentile = percentiles[i < 0 ? 0 : i >= n ? n - 1 : i];
		st->scheme.calib = QL_CALIB_PERCENTILE;
		st->manual = false;
		break;
	}
	case QL_ACT_CLIP_LO_DOWN: case QL_ACT_CLIP_LO_UP: case QL_ACT_CLIP_HI_DOWN:
	case QL_ACT_CLIP_HI_UP: case QL_ACT_CLIP_SYM:
		clip_key(app, st, a);
		break;
	case QL_ACT_CLIP_AUTO: st->manual = false; break;
	case QL_ACT_OUTLIER: st->outlier = !st->outlier; st->manual = false; break;
	case QL_ACT_UP: case QL_ACT_DOWN: case QL_ACT_PAGE_UP: case QL_ACT_PAGE_DOWN: {
		if (!st->res || st->res->r.nscales <= 1)
			return true; /* one scale: no unit to pick */
		int64_t step = a == QL_ACT_UP ? -1 : a == QL_ACT_DOWN ? 1 : a == QL_ACT_PAGE_UP ? -10 : 10;
		int64_t u = st->unit + step, last = st->res->r.nscales - 1;
		u = u < 0 ? 0 : u > last ? last : u;
		if (u == st->unit)
			return true;
		st->unit = u;
		break;
	}
	case QL_ACT_SAMPLE:
		if (load_sample(st, (st->sample + 1) % N_SAMPLES, &err)) {
			say_error(app, st, err.msg);
			return true;
		}
		break;
	case QL_ACT_OPEN_FILE:
		ql_prompt_open(ql_app_prompt(app), QL_PROMPT_PATH, "file: ", NULL, open_done, st);
		return true;
	default:
		again = false;
	}
	if (again) {
		recompute(app, st);
		return true;
	}
	switch (a) {
	case QL_ACT_LOG_COUNTS: st->logc = !st->logc; break;
	case QL_ACT_ZOOM_IN:
	case QL_ACT_ZOOM_OUT:
	case QL_ACT_PAN_LEFT:
	case QL_ACT_PAN_RIGHT: {
		if (!st->res)
			return true;
		double span = (st->res->hi - st->res->lo) / st->zoom;
		if (a == QL_ACT_ZOOM_IN && st->zoom < 256) {
			if (st->cursor >= 0)
				st->centre = st->cursor_x;
			st->zoom *= 2;
		} else if (a == QL_ACT_ZOOM_OUT) {
			st->zoom = st->zoom > 1 ? st->zoom / 2 : 1;
		} else {
			st->centre += (a == QL_ACT_PAN_LEFT ? -span : span) / 4;
		}
		break;
	}
	case QL_ACT_LEFT: cursor_to(st, st->cursor - 1); break;
	case QL_ACT_RIGHT: cursor_to(st, st->cursor + 1); break;
	case QL_ACT_FIRST: cursor_to(st, 0); break;
	case QL_ACT_LAST: cursor_to(st, st->width - 1); break;
	default: return false;
	}
	return true;
}

static bool quant_tick(ql_app *app, void *vst)
{
	quant_state *st = vst;
	bool busy = qx_stage(st->w, NULL)[0] != '\0';
	bool redraw = busy != st->busy; /* the progress note comes and goes */
	st->busy = busy;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	double now = (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
	if (busy && now - st->note_ms >= 250) { /* its clock moves 4 times a second */
		st->note_ms = now;
		redraw = true;
	}
	return take(app, st) || redraw;
}

static void quant_close(void *vst);

/* A click moves the cursor to that column. */
static bool quant_click(ql_app *app, void *vst, int y, int x)
{
	(void)app;
	(void)y;
	quant_state *st = vst;
	if (x < 1 || x > st->width)
		return false;
	cursor_to(st, x - 1);
	return true;
}

/* `:quantize ... --tui` arrives through the screen hook; plain `:quantize
 * FILE ...` on this screen shows its output as usual. */
static void *quant_open(ql_app *app, int argc, char **argv, ql_error *err)
{
	quant_state *st = calloc(1, sizeof *st);
	if (!st) {
		ql_error_set(err, "out of memory");
		return NULL;
	}
	st->app = app;
	if (argc == 0 ? load_sample(st, 0, err) : load_args(st, argc, argv, err)) {
		free(st);
		return NULL;
	}
	if (argc > 0)
		st->sample = -1;
	recompute(app, st);
	if (!st->res && st->failure[0]) {
		/* refused at once (NaN or inf are refused before, by load):
		 * say so, open nothing */
		ql_error_set(err, "%s: %s", st->file, st->failure);
		quant_close(st);
		return NULL;
	}
	return st;
}

static void quant_close(void *vst)
{
	quant_state *st = vst;
	qx_result_free(st->res);
	qx_worker_free(st->w);
	free(st);
}

const ql_screen_ops ql_screen_quantize = {
	.name = "quantize",
	.title = "Quantize a tensor",
	.scope = QL_SC_QUANT,
	.min_lines = QL_TUI_MIN_LINES - 2,
	.min_cols = QL_TUI_MIN_COLS,
	.open = quant_open,
	.close = quant_close,
	.action = quant_action,
	.click = quant_click,
	.draw = ql_quant_draw,
	.tick = quant_tick,
};
