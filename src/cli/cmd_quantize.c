/* cmd_quantize.c — `qlens quantize`: quantize one tensor of a file, show what
 * it cost, and optionally write the result.
 *
 * Reads the tensor through io.h (mmapped; float32 C-order data is used in
 * place, anything else decoded to float32 once), runs the scheme with
 * ql_quantize() — the same kernels the lessons and the TUI use —
 * and reports the scheme, scales and zero points (summarised when there are
 * many), the calibration's chosen range, the error metrics, the storage
 * cost and a small histogram of the errors. -o writes a .safetensors with
 * the quantized representation, or a .npy with the dequantized tensor,
 * through ql_qwriter (qwrite.h: the layout the explorer exports too).
 */
#include <errno.h>
#include <float.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "argcheck.h"
#include "cmds.h"
#include "filecmd.h"
#include "qlens/args.h"
#include "qlens/command.h"
#include "qlens/decimal.h"
#include "qlens/escape.h"
#include "qlens/format.h"
#include "qlens/io.h"
#include "qlens/jsonw.h"
#include "qlens/quant.h"
#include "qlens/quantize_cmd.h"
#include "qlens/qwrite.h"
#include "qlens/scheme_text.h"
#include "qlens/stats.h"

const char ql_quantize_help[] =
	"Quantizes one tensor of FILE (.npy, .safetensors, .gguf, .npz, text, or\n"
	"--raw) and reports the scale(s), zero point(s), the range calibration\n"
	"chose, the error metrics and the storage cost.\n"
	"\n"
	"Which tensor:\n"
	QL_FILE_OPTS_HELP
	"\n"
	QL_SCHEME_OPTS_HELP
	"  (also a second word after FILE: qlens quantize w.npy int4/g32)\n"
	"\n"
	"Output:\n"
	"  -o, --output OUT     OUT.safetensors: the quantized representation, for a\n"
	"                       tensor NAME: NAME.q (codes, I8 or U8, the input's\n"
	"                       shape), NAME.scale (F32), NAME.zero_point (I32,\n"
	"                       asymmetric only), NAME.blocks (U8, the raw blocks of\n"
	"                       the ggml formats (q8_0, q4_0, q4_k, ...), the MX\n"
	"                       formats and nf4, in the reference byte layout),\n"
	"                       NAME.dequant (with --dequant), and the scheme in\n"
	"                       __metadata__ (keys qlens.*).\n"
	"                       OUT.npy: the dequantized tensor (F32).\n"
	"  --dequant            also write NAME.dequant (F32, the input's shape)\n"
	"  --pack               write NAME.q packed: sub-byte codes densely, lowest bits\n"
	"                       first (int4: element 2i in the low nibble; 3, 5, 6, 7\n"
	"                       bits: one bit stream, codes across bytes), as U8 [bytes]\n"
	"  -f, --force          replace OUT if it exists (never the input file)\n"
	"  --json               print one JSON object: tensor, shape, dtype, scheme\n"
	"                       (with word: the one word that gives it), qmin, qmax,\n"
	"                       scale, zero_point, calibration, metrics (mse rmse\n"
	"                       sqnr_db max_abs_err mean_abs_err cosine clipped),\n"
	"                       bits_per_weight, bytes, error_histogram, output\n"
	"                       (the file -o wrote, or null)\n"
	"  --tui                open the quantization explorer on this tensor and\n"
	"                       scheme instead (in the TUI: on top of the screens)\n"
	"\n"
	"The kernel is PyTorch's: q = clamp(zp + round_half_even(x * (1/scale)),\n"
	"qmin, qmax) in float32, so codes match torch.quantize_per_tensor and\n"
	"quantize_per_channel for the same scale and zero point; q8_0 and q4_0 match\n"
	"llama.cpp's reference quantizers byte for byte. A tensor holding NaN or inf\n"
	"is refused. An all-zero range gets the smallest scale (2^-23), as PyTorch.\n"
	"\n"
	QL_CLI_SCHEME_HELP
	"\n"
	"Examples:\n"
	"  qlens quantize w.npy\n"
	"  qlens quantize model.safetensors --tensor layers.0.weight --dtype int4 --group 32\n"
	"  qlens quantize model.safetensors --tensor layers.0.weight int4/g32   (the same)\n"
	"  qlens quantize w.npy --dtype uint8 --asym --axis 0 --calib percentile:99.9 --json\n"
	"  qlens quantize w.npy --dtype q4_0 -o w_q4_0.safetensors --dequant\n"
	"  qlens quantize w.npy --dtype nf4 -o w_nf4.npy --force\n";

enum { OPT_OUTPUT, OPT_DEQUANT, OPT_PACK, OPT_FORCE, OPT_TUI };

static const ql_opt quantize_opts[] = {
	QL_FILE_OPTS,
	QL_SCHEME_OPTS,
	{"output", 'o', QL_ARG_REQUIRED, OPT_OUTPUT},
	{"dequant", 0, QL_ARG_NONE, OPT_DEQUANT},
	{"pack", 0, QL_ARG_NONE, OPT_PACK},
	{"force", 'f', QL_ARG_NONE, OPT_FORCE},
	{"tui", 0, QL_ARG_NONE, OPT_TUI},
	{0},
};

typedef struct qopts {
	const char *file, *tensor, *output;
	ql_open_opts open;
	ql_scheme scheme;
	bool dequant, pack, force, json, tui;
	int threads;
} qopts;

/* Progress lines on a terminal, for tensors big enough to take a moment. */
#define PROGRESS_MIN_ELEMS (1 << 22)

static void progress(ql_cmd_ctx *ctx, bool on, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void progress(ql_cmd_ctx *ctx, bool on, const char *fmt, ...)
{
	if (!on)
		return;
	va_list ap;
	va_start(ap, fmt);
	char *msg = NULL; /* holds the tensor's name: escaped like every name */
	if (vasprintf(&msg, fmt, ap) >= 0) {
		fputs("\rqlens: ", ctx->err);
		ql_escape_fputs(ctx->err, msg, QL_ESC_TERM);
		fputs("\033[K", ctx->err);
		fflush(ctx->err);
		free(msg);
	}
	va_end(ap);
}

static void progress_done(ql_cmd_ctx *ctx, bool on)
{
	if (on) {
		fputs("\r\033[K", ctx->err);
		fflush(ctx->err);
	}
}

/* The share done, on the progress line, while a long ql_quantize runs: a
 * thread of its own reads ql_qprogress every TICK_MS (every pass counts,
 * the calibration's included) and prints nothing for the first
 * TICK_QUIET ticks, so a quick tensor shows only "quantizing NAME...". */
#define TICK_MS 200
#define JSON_NOTE_SCALES 100000 /* scales from which --json says it is writing */
#define TICK_QUIET 2

typedef struct ticker {
	ql_cmd_ctx *ctx;
	const char *name;
	ql_qprogress prog;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool stop, started, printed;
	pthread_t th;
} ticker;

static void *tick_run(void *arg)
{
	ticker *t = arg;
	struct timespec due;
	clock_gettime(CLOCK_REALTIME, &due);
	pthread_mutex_lock(&t->mu);
	for (int n = 1; !t->stop; n++) {
		due.tv_nsec += TICK_MS * 1000000L;
		if (due.tv_nsec >= 1000000000L) {
			due.tv_sec++;
			due.tv_nsec -= 1000000000L;
		}
		while (!t->stop && pthread_cond_timedwait(&t->cv, &t->mu, &due) == 0)
			; /* woken early: only `stop` ends the wait */
		long long total = atomic_load(&t->prog.total), done = atomic_load(&t->prog.done);
		if (!t->stop && n > TICK_QUIET && total > 0) {
			progress(t->ctx, true, "quantizing %s... %lld%%", t->name,
				 (done < total ? done : total) * 100 / total);
			t->printed = true;
		}
	}
	pthread_mutex_unlock(&t->mu);
	return NULL;
}

/* Starts t's thread when `on` (stderr a terminal; any size: a small
 * tensor can calibrate for seconds); without it, or if it cannot start,
 * the line stays as it is. */
static void tick_start(ticker *t, bool on, ql_cmd_ctx *ctx, const char *name)
{
	memset(t, 0, sizeof *t);
	atomic_init(&t->prog.done, 0);
	atomic_init(&t->prog.total, 0);
	if (!on)
		return;
	t->ctx = ctx;
	t->name = name;
	if (pthread_mutex_init(&t->mu, NULL))
		return;
	if (pthread_cond_init(&t->cv, NULL)) {
		pthread_mutex_destroy(&t->mu);
		return;
	}
	t->started = pthread_create(&t->th, NULL, tick_run, t) == 0;
	if (!t->started) {
		pthread_cond_destroy(&t->cv);
		pthread_mutex_destroy(&t->mu);
	}
}

static void tick_stop(ticker *t)
{
	if (!t->started)
		return;
	pthread_mutex_lock(&t->mu);
	t->stop = true;
	pthread_cond_signal(&t->cv);
	pthread_mutex_unlock(&t->mu);
	pthread_join(t->th, NULL);
	pthread_cond_destroy(&t->cv);
	pthread_mutex_destroy(&t->mu);
	t->started = false;
}

/* The shortest text that reads back as the same float32. */
static const char *f32_text(float v, char *buf, size_t n)
{
	if (isnan(v))
		snprintf(buf, n, "nan");
	else if (isinf(v))
		snprintf(buf, n, v < 0 ? "-inf" : "inf");
	else
		for (int p = 1; p <= 9; p++) {
			snprintf(buf, n, "%.*g", p, (double)v);
			if (strtof(buf, NULL) == v)
				break;
		}
	return buf;
}

/* The zero point of every scale when r has no array of them: the middle of
 * the grid for symmetric integer schemes. False for non-integer targets. */
static bool implied_zero_point(const ql_qresult *r, int32_t *zp)
{
	if (ql_qdtype_of(r->scheme.dtype)->kind != QL_QK_INT)
		return false;
	*zp = (r->qmin + r->qmax) / 2;
	return true;
}

/* --- parsing --------------------------------------------------------------------- */

/* Parses argv into *o. Returns -1 to go on, or the exit status (a usage
 * error was printed, or --help: in the shell the help, on a screen
 * (on_screen) a usage error). */
static int parse_args(ql_cmd_ctx *ctx, int argc, char **argv, qopts *o, bool on_screen)
{
	const char *cmd = argv[0];
	ql_fileopts fo;
	ql_fileopts_init(&fo, cmd, QL_FO_SCHEME_ONE);
	ql_args a;
	ql_args_init(&a, argc, argv, quantize_opts);
	int id;
	while ((id = ql_args_next(&a)) != QL_ARGS_END) {
		if (id == QL_ARGS_HELP && on_screen)
			return ql_usage_error(ctx, cmd, "--help is for the shell");
		int rc = ql_fileopts_take(ctx, &fo, id, &a);
		if (rc == QL_FO_TAKEN)
			continue;
		if (rc != QL_FO_NOT_MINE)
			return rc;
		switch (id) {
		case OPT_OUTPUT: o->output = a.value; break;
		case OPT_DEQUANT: o->dequant = true; break;
		case OPT_PACK: o->pack = true; break;
		case OPT_FORCE: o->force = true; break;
		case OPT_TUI: o->tui = true; break;
		}
	}
	int rc = ql_fileopts_finish(ctx, &fo);
	if (rc >= 0)
		return rc;
	o->file = fo.file;
	o->tensor = fo.tensor;
	o->open = fo.open;
	o->scheme = fo.scheme;
	o->json = fo.json;
	o->threads = fo.threads;
	if (ql_cli_check_output(ctx, cmd, o->output))
		return QL_EXIT_USAGE;
	if ((o->pack || o->dequant) && o->output) {
		size_t n = strlen(o->output);
		if (n >= 4 && strcmp(o->output + n - 4, ".npy") == 0 && o->pack)
			return ql_usage_error(ctx, cmd, "--pack applies to -o FILE.safetensors (a .npy "
						       "output is the dequantized tensor)");
	}
	if (o->pack && !o->output)
		return ql_usage_error(ctx, cmd, "--pack applies to -o FILE.safetensors");
	if (o->dequant && !o->output) /* it was ignored without a word */
		return ql_usage_error(ctx, cmd, "--dequant applies to -o FILE.safetensors (it adds "
					       "NAME.dequant)");
	if (o->tui && (o->output || o->json))
		return ql_usage_error(ctx, cmd, "--tui shows the result on screen; -o and --json are for the shell");
	return -1; /* parsed; go on */
}

int ql_quantize_parse(ql_cmd_ctx *ctx, int argc, char **argv, ql_quantize_request *rq)
{
	qopts o = {0};
	int rc = parse_args(ctx, argc, argv, &o, true);
	if (rc >= 0)
		return rc;
	rq->file = o.file;
	rq->tensor = o.tensor;
	rq->open = o.open;
	rq->scheme = o.scheme;
	rq->threads = o.threads;
	return QL_EXIT_OK;
}

/* --tui: the quantization explorer on the same words but --tui (the screen
 * parses them with ql_quantize_parse, so its scheme is the CLI's). */
static int open_explorer(ql_cmd_ctx *ctx, int argc, char **argv)
{
	char **args = calloc((size_t)argc + 1, sizeof *args);
	int n = 0;
	if (!args)
		return ql_fail(ctx, "out of memory");
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--tui") != 0)
			args[n++] = argv[i];
	int rc = ql_cmd_open_screen(ctx, "quantize", n, args);
	free(args);
	return rc;
}

/* "qlens: FILE: no tensor 'x' (it has: a, b, c, ... and 12 more)" */
static int unknown_tensor(ql_cmd_ctx *ctx, const ql_source *src, const char *name)
{
	char list[400];
	size_t len = 0, n = ql_source_count(src), shown = 0;
	list[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		const char *tn = ql_source_tensor(src, i)->name;
		if (len + strlen(tn) + 3 >= sizeof list - 24)
			break;
		len += (size_t)snprintf(list + len, sizeof list - len, "%s%s", i ? ", " : "", tn);
		shown++;
	}
	if (shown < n)
		snprintf(list + len, sizeof list - len, ", ... and %zu more", n - shown);
	if (n == 0)
		return ql_fail(ctx, "%s: holds no tensors", ql_source_path(src));
	if (!name)
		return ql_fail(ctx, "%s: has %zu tensors; choose one with --tensor NAME (%s)",
			       ql_source_path(src), n, list);
	return ql_fail(ctx, "%s: no tensor '%s' (it has: %s)", ql_source_path(src), name, list);
}

/* --- text output ------------------------------------------------------------------- */

static void summary_f32(FILE *out, const char *label, const float *v, int64_t n)
{
	char b[40];
	if (n == 1) {
		fprintf(out, "%-13s%s\n", label, f32_text(v[0], b, sizeof b));
		return;
	}
	if (n == 0) {
		fprintf(out, "%-13s(none)\n", label);
		return;
	}
	float lo = v[0], hi = v[0];
	double sum = 0;
	for (int64_t i = 0; i < n; i++) {
		lo = v[i] < lo ? v[i] : lo;
		hi = v[i] > hi ? v[i] : hi;
		sum += v[i];
	}
	char c[40];
	fprintf(out, "%-13s%" PRId64 " values: min %s, max %s, mean %.6g\n", label, n,
		f32_text(lo, b, sizeof b), f32_text(hi, c, sizeof c), sum / (double)n);
	fprintf(out, "%-13s", "");
	int64_t show = n < 6 ? n : 6;
	for (int64_t i = 0; i < show; i++)
		fprintf(out, "%s%s", i ? ", " : "", f32_text(v[i], b, sizeof b));
	fprintf(out, "%s\n", show < n ? ", ..." : "");
}

static void summary_i32(FILE *out, const char *label, const int32_t *v, int64_t n)
{
	if (n == 1) {
		fprintf(out, "%-13s%" PRId32 "\n", label, v[0]);
		return;
	}
	if (n == 0)
		return;
	int32_t lo = v[0], hi = v[0];
	for (int64_t i = 0; i < n; i++) {
		lo = v[i] < lo ? v[i] : lo;
		hi = v[i] > hi ? v[i] : hi;
	}
	fprintf(out, "%-13s%" PRId64 " values: min %" PRId32 ", max %" PRId32 "\n%-13s", label, n, lo,
		hi, "");
	int64_t show = n < 8 ? n : 8;
	for (int64_t i = 0; i < show; i++)
		fprintf(out, "%s%" PRId32, i ? ", " : "", v[i]);
	fprintf(out, "%s\n", show < n ? ", ..." : "");
}

enum { HIST_BINS = 11, HIST_WIDTH = 40 };

static void print_hist(FILE *out, const ql_hist *h)
{
	int64_t top = 0;
	for (int i = 0; i < h->nbins; i++)
		top = h->counts[i] > top ? h->counts[i] : top;
	double w = (h->hi - h->lo) / h->nbins;
	fprintf(out, "error histogram (dequantized - original):\n");
	for (int i = 0; i < h->nbins; i++) {
		int bar = top ? (int)((h->counts[i] * HIST_WIDTH + top - 1) / top) : 0;
		char lo[24], hi[24];
		snprintf(lo, sizeof lo, "[%+.4g,", h->lo + i * w);
		snprintf(hi, sizeof hi, "%+.4g%c", i == h->nbins - 1 ? h->hi : h->lo + (i + 1) * w,
			 i == h->nbins - 1 ? ']' : ')');
		fprintf(out, "  %-13s %-12s %-*.*s %" PRId64 "\n", lo, hi, HIST_WIDTH, bar,
			"########################################", h->counts[i]);
	}
	if (h->below || h->above)
		fprintf(out, "  (%" PRId64 " below, %" PRId64 " above the range)\n", h->below, h->above);
}

static void print_text(FILE *out, const qopts *o, const ql_tensor *t, const ql_qresult *r,
		       const ql_hist *h, bool have_hist, const char *wrote)
{
	char shape[128], desc[160], b1[40], b2[40];
	ql_shape_string(t, shape, sizeof shape);
	ql_scheme_describe(&r->scheme, desc, sizeof desc);
	fprintf(out, "%-13s", "tensor");
	ql_escape_fputs(out, t->name, QL_ESC_TERM);
	fprintf(out, "  (%s, %s, %" PRId64 " elements)  in ", ql_dtypes[t->dtype].name, shape,
		t->nelem);
	ql_escape_fputs(out, o->file, QL_ESC_TERM);
	fputc('\n', out);
	char word[QL_SCHEME_WORD_MAX];
	ql_scheme_word(&r->scheme, word, sizeof word);
	fprintf(out, "%-13s%s  (%s)\n", "scheme", desc, word);
	fprintf(out, "%-13s[%" PRId32 ", %" PRId32 "]\n", "codes", r->qmin, r->qmax);
	summary_f32(out, "scale", r->scales, r->nscales);
	if (r->scheme.scale_dtype == QL_SCALE_FP16 || r->scheme.scale_dtype == QL_SCALE_BF16) {
		/* a scale the type cannot hold is its largest: say so, or the
		 * clipping below has no visible cause */
		ql_finfo fi;
		ql_finfo_get(r->scheme.scale_dtype == QL_SCALE_FP16 ? QL_FP16 : QL_BF16, &fi);
		float top = (float)fi.max;
		int64_t at = 0;
		for (int64_t i = 0; i < r->nscales; i++)
			at += r->scales[i] == top;
		if (at && r->metrics.clipped > 0)
			fprintf(out, "%-13s%" PRId64 " of %" PRId64 " at %s's largest, %.9g: the range "
				     "needs more, so values beyond it clip\n", "", at, r->nscales,
				r->scheme.scale_dtype == QL_SCALE_FP16 ? "fp16" : "bf16", (double)top);
	}
	int32_t zp;
	if (r->zero_points)
		summary_i32(out, "zero point", r->zero_points, r->nscales);
	else if (implied_zero_point(r, &zp))
		fprintf(out, "%-13s%" PRId32 "%s\n", "zero point", zp, r->nscales > 1 ? " (all)" : "");

	const char *method = ql_calib_name(r->calib);
	if (r->scheme.has_scale)
		method = "given --scale";
	if (r->scheme.calib == QL_CALIB_PERCENTILE && !r->scheme.has_scale) {
		snprintf(desc, sizeof desc, "percentile:%g", r->scheme.percentile);
		method = desc;
	}
	fprintf(out, "%-13s%s; data range [%s, %s]", "calibration", method,
		f32_text(r->data_min, b1, sizeof b1), f32_text(r->data_max, b2, sizeof b2));
	if (r->nscales == 1 && r->clip_lo && r->clip_hi) {
		fprintf(out, ", chose [%s, %s]\n", f32_text(r->clip_lo[0], b1, sizeof b1),
			f32_text(r->clip_hi[0], b2, sizeof b2));
	} else if (r->nscales > 1 && r->clip_lo && r->clip_hi) {
		float lo = r->clip_lo[0], hi = r->clip_hi[0];
		for (int64_t i = 1; i < r->nscales; i++) {
			lo = r->clip_lo[i] < lo ? r->clip_lo[i] : lo;
			hi = r->clip_hi[i] > hi ? r->clip_hi[i] : hi;
		}
		fprintf(out, ", chose %" PRId64 " ranges within [%s, %s]\n", r->nscales,
			f32_text(lo, b1, sizeof b1), f32_text(hi, b2, sizeof b2));
	} else {
		fputc('\n', out);
	}

	const ql_metrics *m = &r->metrics;
	fprintf(out, "%-13s%.6g\n", "mse", m->mse);
	fprintf(out, "%-13s%.6g\n", "rmse", m->rmse);
	fprintf(out, "%-13s%.4f dB\n", "sqnr", m->sqnr_db);
	fprintf(out, "%-13s%.6g\n", "max |error|", m->max_abs_err);
	fprintf(out, "%-13s%.6g\n", "mean |error|", m->mean_abs_err);
	fprintf(out, "%-13s%.9f\n", "cosine", m->cosine);
	fprintf(out, "%-13s%" PRId64 " of %" PRId64 " (%.3g%%)\n", "clipped", m->clipped, r->nelem,
		r->nelem ? 100.0 * (double)m->clipped / (double)r->nelem : 0.0);
	uint64_t f32_bytes = (uint64_t)r->nelem * 4;
	fprintf(out, "%-13s%.4g bits per weight, %" PRIu64 " bytes", "storage", r->bits_per_weight,
		r->bytes);
	if (!f32_bytes && r->bytes) /* an empty tensor's scale: no "infx larger" */
		fprintf(out, " (float32: 0 bytes)");
	else if (r->bytes >= f32_bytes && r->bytes)
		/* a few values with their scales can outweigh float32 (mxfp4 on
		 * a last axis of 3): no "0.706x smaller" */
		fprintf(out, " (float32: %" PRIu64 " bytes, %.3gx larger)", f32_bytes,
			(double)r->bytes / (double)f32_bytes);
	else if (r->bytes)
		fprintf(out, " (float32: %" PRIu64 " bytes, %.3gx smaller)", f32_bytes,
			(double)f32_bytes / (double)r->bytes);
	fputc('\n', out);
	if (have_hist)
		print_hist(out, h);
	else if (r->nelem)
		fprintf(out, "error histogram: every value is reconstructed exactly\n");
	if (wrote) {
		fputs("wrote ", out);
		ql_escape_fputs(out, wrote, QL_ESC_TERM);
		fputc('\n', out);
	}
}

/* --- JSON output ------------------------------------------------------------------- */

static void print_json(FILE *out, const qopts *o, const ql_tensor *t, const ql_qresult *r,
		       const ql_hist *h, bool have_hist, const char *wrote)
{
	ql_jsonw j;
	ql_jsonw_init(&j, out);
	ql_json_begin_object(&j);
	ql_json_key(&j, "file");
	ql_json_string(&j, o->file);
	ql_json_key(&j, "tensor");
	ql_json_string(&j, t->name);
	ql_json_key(&j, "shape");
	ql_json_begin_array(&j);
	for (int i = 0; i < t->ndim; i++)
		ql_json_int(&j, t->shape[i]);
	ql_json_end_array(&j);
	ql_json_key(&j, "dtype");
	ql_json_string(&j, ql_dtypes[t->dtype].name);

	char desc[160];
	ql_scheme_describe(&r->scheme, desc, sizeof desc);
	const ql_scheme *s = &r->scheme;
	ql_json_key(&j, "scheme");
	ql_json_begin_object(&j);
	ql_json_key(&j, "dtype");
	ql_json_string(&j, ql_qdtype_name(s->dtype));
	ql_json_key(&j, "symmetric");
	ql_json_bool(&j, ql_scheme_symmetry(s) == QL_SYM);
	ql_json_key(&j, "granularity");
	ql_json_string(&j, ql_granularity_name(s->gran));
	ql_json_key(&j, "axis");
	if (s->gran == QL_GRAN_CHANNEL)
		ql_json_int(&j, s->axis);
	else
		ql_json_null(&j);
	ql_json_key(&j, "group");
	if (s->gran == QL_GRAN_GROUP)
		ql_json_int(&j, s->group);
	else if (s->gran == QL_GRAN_BLOCK && ql_qdtype_of(s->dtype)->block)
		ql_json_int(&j, ql_qdtype_of(s->dtype)->block);
	else
		ql_json_null(&j);
	ql_json_key(&j, "calibration");
	ql_json_string(&j, s->has_scale ? "scale" : ql_calib_name(s->calib));
	ql_json_key(&j, "description");
	ql_json_string(&j, desc);
	char word[QL_SCHEME_WORD_MAX];
	ql_scheme_word(s, word, sizeof word);
	ql_json_key(&j, "word");
	ql_json_string(&j, word);
	ql_json_end_object(&j);

	ql_json_key(&j, "qmin");
	ql_json_int(&j, r->qmin);
	ql_json_key(&j, "qmax");
	ql_json_int(&j, r->qmax);
	bool one = r->scale_ndim == 0;
	ql_json_key(&j, "scale");
	if (one && r->nscales == 1)
		ql_json_number(&j, (double)r->scales[0]);
	else
		ql_json_f32_array(&j, r->scales, NULL, r->nscales, o->threads);
	ql_json_key(&j, "zero_point");
	int32_t zp;
	if (r->zero_points) {
		if (one && r->nscales == 1) {
			ql_json_int(&j, r->zero_points[0]);
		} else {
			ql_json_begin_array(&j);
			for (int64_t i = 0; i < r->nscales; i++)
				ql_json_int(&j, r->zero_points[i]);
			ql_json_end_array(&j);
		}
	} else if (implied_zero_point(r, &zp)) {
		ql_json_int(&j, zp);
	} else {
		ql_json_null(&j);
	}

	ql_json_key(&j, "calibration");
	ql_json_begin_object(&j);
	ql_json_key(&j, "method");
	ql_json_string(&j, s->has_scale ? "scale" : ql_calib_name(r->calib));
	if (s->calib == QL_CALIB_PERCENTILE && !s->has_scale) {
		ql_json_key(&j, "percentile");
		ql_json_number(&j, s->percentile);
	}
	ql_json_key(&j, "data_range");
	ql_json_begin_array(&j);
	ql_json_number(&j, (double)r->data_min);
	ql_json_number(&j, (double)r->data_max);
	ql_json_end_array(&j);
	ql_json_key(&j, "range");
	if (r->clip_lo && r->clip_hi && r->nscales == 1 && one) {
		ql_json_begin_array(&j);
		ql_json_number(&j, (double)r->clip_lo[0]);
		ql_json_number(&j, (double)r->clip_hi[0]);
		ql_json_end_array(&j);
	} else if (r->clip_lo && r->clip_hi) {
		ql_json_f32_array(&j, r->clip_lo, r->clip_hi, r->nscales, o->threads);
	} else {
		ql_json_null(&j);
	}
	ql_json_end_object(&j);

	const ql_metrics *m = &r->metrics;
	ql_json_key(&j, "metrics");
	ql_json_begin_object(&j);
	ql_json_key(&j, "mse");
	ql_json_number(&j, m->mse);
	ql_json_key(&j, "rmse");
	ql_json_number(&j, m->rmse);
	ql_json_key(&j, "sqnr_db");
	ql_json_number(&j, m->sqnr_db);
	ql_json_key(&j, "max_abs_err");
	ql_json_number(&j, m->max_abs_err);
	ql_json_key(&j, "mean_abs_err");
	ql_json_number(&j, m->mean_abs_err);
	ql_json_key(&j, "cosine");
	ql_json_number(&j, m->cosine);
	ql_json_key(&j, "clipped");
	ql_json_int(&j, m->clipped);
	ql_json_end_object(&j);
	ql_json_key(&j, "bits_per_weight");
	ql_json_number(&j, r->bits_per_weight);
	ql_json_key(&j, "bytes");
	ql_json_int(&j, (int64_t)r->bytes);

	ql_json_key(&j, "error_histogram");
	if (have_hist) {
		ql_json_begin_object(&j);
		ql_json_key(&j, "lo");
		ql_json_number(&j, h->lo);
		ql_json_key(&j, "hi");
		ql_json_number(&j, h->hi);
		ql_json_key(&j, "counts");
		ql_json_begin_array(&j);
		for (int i = 0; i < h->nbins; i++)
			ql_json_int(&j, h->counts[i]);
		ql_json_end_array(&j);
		ql_json_end_object(&j);
	} else {
		ql_json_null(&j);
	}
	ql_json_key(&j, "output");
	if (wrote)
		ql_json_string(&j, wrote);
	else
		ql_json_null(&j);
	ql_json_end_object(&j);
	ql_jsonw_finish(&j);
}

/* --- the command ------------------------------------------------------------------------ */

int ql_cmd_quantize(ql_cmd_ctx *ctx, int argc, char **argv)
{
	qopts o = {0};
	int rc = parse_args(ctx, argc, argv, &o, false);
	if (rc >= 0)
		return rc;
	if (o.tui)
		return open_explorer(ctx, argc, argv);

	ql_error err = {{0}};
	ql_source *src = NULL;
	ql_qwriter *w = NULL;
	float *x = NULL;
	ql_qresult r;
	bool have_r = false, have_hist = false;
	ql_hist h = {0};
	const char *wrote = NULL;

	if (ql_source_open(o.file, o.open.raw_dtype ? &o.open : NULL, &src, &err)) {
		rc = ql_fail(ctx, "%s", err.msg);
		goto out;
	}
	/* the mapping's pages are dropped at the end on as many threads as
	 * the quantizing had (on 64M floats: 20 ms on one, 10 on two) */
	ql_source_set_threads(src, o.threads);
	long idx;
	if (o.tensor)
		idx = ql_source_find(src, o.tensor);
	else
		idx = ql_source_count(src) == 1 ? 0 : -1;
	if (idx < 0) {
		rc = unknown_tensor(ctx, src, o.tensor);
		goto out;
	}
	const ql_tensor *t = ql_source_tensor(src, (size_t)idx);
	if (ql_scheme_validate(&o.scheme, t->shape, t->ndim, &err)) {
		rc = ql_fail(ctx, "%s: tensor '%s': %s", o.file, t->name, err.msg);
		goto out;
	}
	if (o.output && ql_qwriter_open(o.output, o.force, &w, &err)) {
		rc = ql_fail(ctx, "%s", err.msg);
		goto out;
	}
	bool show = ctx->progress && t->nelem >= PROGRESS_MIN_ELEMS;
	progress(ctx, show, "reading %s (%" PRId64 " elements)...", t->name, t->nelem);
	const float *xin = NULL;
	if (ql_source_read(src, (size_t)idx, &err)) {
		progress_done(ctx, show);
		rc = ql_fail(ctx, "%s", err.msg);
		goto out;
	}
	if (t->dtype == QL_DT_F32 && !t->big_endian && (!t->fortran_order || t->ndim <= 1) &&
	    __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ && (uintptr_t)t->data % _Alignof(float) == 0) {
		xin = t->data; /* float32 in C order already: quantize straight from the map */
	} else if (ql_source_read_f32(src, (size_t)idx, &x, &err)) {
		progress_done(ctx, show);
		rc = ql_fail(ctx, "%s", err.msg);
		goto out;
	} else {
		xin = x;
	}
	progress(ctx, show, "quantizing %s...", t->name);
	/* The error histogram is counted in the quantize pass itself; the
	 * codes and the dequantized values are kept only when -o writes them
	 * (what is printed needs neither: on 64M elements the codes alone
	 * were 64 MB of fresh pages). */
	ql_ehist eh;
	if (ql_ehist_init(&eh, &err)) {
		progress_done(ctx, show);
		rc = ql_fail(ctx, "%s", err.msg);
		goto out;
	}
	ql_qwrite_opts wo = { .pack = o.pack, .dequant = o.dequant };
	ticker tk;
	tick_start(&tk, ctx->progress, ctx, t->name);
	ql_qopts qo = { .dequant = w && ql_qwriter_needs_dequant(w, &wo), .threads = o.threads,
			.no_codes = !w, .ehist = &eh, .progress = tk.started ? &tk.prog : NULL,
			.cancel = ctx->cancel };
	int qrc = ql_quantize(xin, t->shape, t->ndim, &o.scheme, &qo, &r, &err);
	tick_stop(&tk);
	if (tk.printed && !show) /* a small tensor's long calibration: its line goes */
		progress_done(ctx, true);
	int hrc = qrc ? 0 : ql_ehist_finish(&eh, HIST_BINS, &h, &err);
	ql_ehist_free(&eh);
	if (qrc || hrc < 0) {
		if (!qrc)
			ql_qresult_free(&r);
		progress_done(ctx, show);
		rc = ql_fail(ctx, "%s: tensor '%s': %s", o.file, t->name, err.msg);
		goto out;
	}
	have_r = true;
	have_hist = hrc > 0;
	if (ql_qresult_check(&r, &err)) {
		progress_done(ctx, show);
		rc = ql_fail(ctx, "%s: tensor '%s': %s", o.file, t->name, err.msg);
		goto out;
	}
	if (w) {
		progress(ctx, show, "writing %s...", o.output);
		int wrc = ql_qwriter_add(w, t->name, &r, &wo, &err);
		if (wrc) {
			progress_done(ctx, show);
			ql_qwriter_abort(w);
			w = NULL;
			rc = ql_fail(ctx, "%s", err.msg);
			goto out;
		}
		wrc = ql_qwriter_close(w, &err);
		w = NULL;
		if (wrc) {
			progress_done(ctx, show);
			rc = ql_fail(ctx, "%s", err.msg);
			goto out;
		}
		wrote = o.output;
	}
	progress_done(ctx, show);
	if (o.json) {
		/* a million scales are seconds of shortest-digit numbers (64M
		 * values in q4_0: 6M numbers, 17 s): say so on the terminal,
		 * unless the JSON goes to it too */
		bool says = ctx->progress && r.nscales >= JSON_NOTE_SCALES &&
			    !isatty(fileno(ctx->out));
		progress(ctx, says, "writing the JSON of %lld scales...", (long long)r.nscales);
		print_json(ctx->out, &o, t, &r, &h, have_hist, wrote);
		fflush(ctx->out);
		progress_done(ctx, says);
	} else
		print_text(ctx->out, &o, t, &r, &h, have_hist, wrote);
	rc = QL_EXIT_OK;
out:
	ql_qwriter_abort(w);
	if (have_hist)
		ql_hist_free(&h);
	if (have_r)
		ql_qresult_free(&r);
	free(x);
	ql_source_close(src);
	return rc;
}
