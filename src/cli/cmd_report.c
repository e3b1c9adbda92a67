/* cmd_report.c — `qlens report FILE [SCHEME]`: every float tensor of a file
 * or checkpoint quantized with one scheme, like llama.cpp's quantize-stats.
 *
 * Streams: one tensor is read (float32 straight from the file's mapping,
 * other dtypes decoded to a float32 copy), quantized with ql_quantize() —
 * the kernels of `qlens quantize` — with no codes and no dequantized copy
 * kept (the metrics come out of the quantize pass), and its pages dropped
 * before the next, so peak memory is about the largest tensor, not the
 * file. ql_quantize's buffers (scales, ranges, scratch) and the float32
 * copy are reused from tensor to tensor (report_bufs), so their pages are
 * faulted once per report. Tensors that are not floats (integer dtypes), that qlens cannot
 * decode (GGUF K-quants, ...), that the scheme does not fit (q4_0 on a row
 * of 20) or that hold NaN/inf are listed as skipped with the reason.
 *
 * Totals: bytes before (as stored in the file) and after (ql_qresult.bytes),
 * and the metrics over all reported elements together (their sums merged),
 * so the overall SQNR is 10·log10(Σx² / Σe²) over the whole checkpoint.
 */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cmds.h"
#include "argcheck.h"
#include "filecmd.h"
#include "qlens/args.h"
#include "qlens/io.h"
#include "qlens/jsonw.h"
#include "qlens/quant.h"
#include "qlens/stats.h"

const char ql_report_help[] =
	"Quantizes every float tensor of FILE with one SCHEME (default int8: per\n"
	"tensor, symmetric) and reports, per tensor, its shape, the bits per weight\n"
	"(scales and zero points included), RMSE, max abs error, SQNR and cosine\n"
	"similarity; then the totals: size before and after, and SQNR, RMSE and\n"
	"cosine over all the tensors' elements together.\n"
	"\n"
	"Tensors are read and quantized one at a time (memory: about the largest\n"
	"tensor). Integer tensors, types qlens cannot decode (GGUF K-quants, ...),\n"
	"tensors the scheme does not fit and tensors holding NaN/inf are skipped and\n"
	"listed with the reason; when every tensor is skipped, report fails (status\n"
	"1) with the first one's. A progress bar shows on a terminal.\n"
	"\n"
	"Options:\n"
	"  --sort KEY           name, error (lowest SQNR first) or size (most\n"
	"                       elements first); default: file order\n"
	"  --json               one JSON object: scheme (the one word that gives\n"
	"                       this scheme), tensors (name, shape, bits_per_weight,\n"
	"                       rmse, max_abs_err, sqnr_db, cosine), skipped (name,\n"
	"                       reason), total\n"
	"  --threads N          worker threads per tensor (default: one per CPU; at most\n"
	"                       16)\n"
	"  --raw DTYPE, --shape SHAPE   FILE holds bare values (see qlens info)\n"
	"\n"
	QL_SCHEME_OPTS_HELP
	"\n"
	QL_CLI_SCHEME_HELP
	"\n"
	"Examples:\n"
	"  qlens report model.safetensors\n"
	"  qlens report model.safetensors.index.json int4/g32 --sort error\n"
	"  qlens report model.safetensors --dtype int4 --group 32   (the same scheme)\n"
	"  qlens report model.gguf q4_0 --json\n";

enum { OPT_SORT };

static const ql_opt report_opts[] = {
	QL_FILE_OPTS,
	QL_SCHEME_OPTS,
	{"sort", 0, QL_ARG_REQUIRED, OPT_SORT},
	{0},
};

enum sort_key { SORT_FILE, SORT_NAME, SORT_ERROR, SORT_SIZE };

typedef struct row {
	size_t index;       /* in the source */
	bool skipped;
	char reason[200];
	double bpw, rmse, max_err, sqnr, cosine;
	int64_t nelem;
	uint64_t bytes_before, bytes_after;
} row;

typedef struct report {
	ql_cmd_ctx *ctx;
	const ql_source *src;
	bool json;
	int name_width;
	size_t printed;
} report;

static enum sort_key sort_by;
static const ql_source *sort_src;

static int cmp_rows(const void *pa, const void *pb)
{
	const row *a = pa, *b = pb;
	if (a->skipped != b->skipped)
		return a->skipped ? 1 : -1;
	switch (sort_by) {
	case SORT_NAME:
		return strcmp(ql_source_tensor(sort_src, a->index)->name,
			      ql_source_tensor(sort_src, b->index)->name);
	case SORT_ERROR:
		if (a->sqnr != b->sqnr)
			return a->sqnr < b->sqnr ? -1 : 1;
		break;
	case SORT_SIZE:
		if (a->nelem != b->nelem)
			return a->nelem > b->nelem ? -1 : 1;
		break;
	case SORT_FILE:
		break;
	}
	return a->index < b->index ? -1 : a->index > b->index;
}

/* The buffers one report reuses from tensor to tensor, each grown to the
 * largest tensor's need: ql_quantize's outputs and scratch, and the float32
 * copy of tensors that are not float32 in the file. Their pages are faulted
 * once per report, not once per tensor. */
typedef struct report_bufs {
	ql_qbufs q;
	float *x;
	size_t xcap; /* floats */
} report_bufs;

/* Quantizes tensor i; fills r (reported or skipped) and merges its sums
 * into total. Returns -1 only on a failure that ends the report. */
static int run_tensor(ql_source *src, size_t i, const ql_scheme *s, int threads,
		      const volatile int *cancel, row *r, ql_metrics_acc *total, report_bufs *bufs,
		      ql_error *err)
{
	const ql_tensor *t = ql_source_tensor(src, i);
	memset(r, 0, sizeof *r);
	r->index = i;
	r->nelem = t->nelem;
	r->bytes_before = t->nbytes;
	if (t->dtype == QL_DT_OTHER || !ql_dtypes[t->dtype].is_float) {
		r->skipped = true;
		snprintf(r->reason, sizeof r->reason, "%s is not a float dtype qlens decodes",
			 ql_cli_dtype_name(t));
		return 0;
	}
	ql_error e = { "" };
	if (ql_scheme_validate(s, t->shape, t->ndim, &e)) {
		r->skipped = true;
		snprintf(r->reason, sizeof r->reason, "%.199s", e.msg);
		return 0;
	}
	/* float32 in C order is quantized straight from the file's mapping;
	 * anything else is decoded into a float32 copy. No dequantized copy
	 * and no codes are kept: the metrics and their sums come out of the
	 * quantize pass itself. */
	const float *xin = ql_cli_read_floats(src, i, &bufs->x, &bufs->xcap, err);
	if (!xin)
		return -1; /* a damaged file: stop */
	if (xin == bufs->x)
		ql_source_release(src, i); /* a copy: the file's pages can go */
	ql_qopts qo = { .no_codes = true, .threads = threads, .bufs = &bufs->q, .cancel = cancel };
	ql_qresult q;
	int qrc = ql_quantize(xin, t->shape, t->ndim, s, &qo, &q, &e);
	if (!qrc && ql_qresult_check(&q, &e)) {
		ql_qresult_free(&q); /* never reported as an answer */
		qrc = -1;
	}
	if (xin != bufs->x)
		ql_source_release(src, i); /* done with the mapped pages */
	if (qrc) {
		r->skipped = true;
		snprintf(r->reason, sizeof r->reason, "%.199s", e.msg);
		return 0;
	}
	ql_metrics_merge(total, &q.sums);
	r->bpw = q.bits_per_weight;
	r->rmse = q.metrics.rmse;
	r->max_err = q.metrics.max_abs_err;
	r->sqnr = q.metrics.sqnr_db;
	r->cosine = q.metrics.cosine;
	r->bytes_after = q.bytes;
	ql_qresult_free(&q);
	return 0;
}

static void text_header(report *rp)
{
	fprintf(rp->ctx->out, "%-*s  %-16s %7s %11s %11s %9s %10s\n", rp->name_width, "NAME",
		"SHAPE", "BITS/W", "RMSE", "MAX ERR", "SQNR dB", "COSINE");
}

static void text_row(report *rp, const row *r)
{
	const ql_tensor *t = ql_source_tensor(rp->src, r->index);
	FILE *out = rp->ctx->out;
	char shape[160];
	ql_shape_string(t, shape, sizeof shape);
	ql_cli_put_line_safe(out, t->name);
	size_t l = ql_cli_text_width(t->name);
	fprintf(out, "%*s  %-16s ", (int)(l < (size_t)rp->name_width ? (size_t)rp->name_width - l : 0),
		"", shape);
	if (r->skipped) {
		fputs("skipped: ", out);
		ql_cli_put_line_safe(out, r->reason);
		fputc('\n', out);
		return;
	}
	fprintf(out, "%7.3f %11.4g %11.4g %9.2f %10.6f\n", r->bpw, r->rmse, r->max_err, r->sqnr,
		r->cosine);
}

static void json_report(report *rp, const char *scheme, const char *desc, const row *rows,
			size_t n, const ql_metrics *tm, uint64_t before, uint64_t after,
			int64_t elems, size_t reported)
{
	ql_jsonw j;
	ql_jsonw_init(&j, rp->ctx->out);
	ql_json_begin_object(&j);
	ql_json_key(&j, "file");
	ql_json_string(&j, ql_source_path(rp->src));
	ql_json_key(&j, "scheme");
	ql_json_string(&j, scheme);
	ql_json_key(&j, "description");
	ql_json_string(&j, desc);
	ql_json_key(&j, "tensors");
	ql_json_begin_array(&j);
	for (size_t i = 0; i < n; i++) {
		if (rows[i].skipped)
			continue;
		const ql_tensor *t = ql_source_tensor(rp->src, rows[i].index);
		ql_json_begin_object(&j);
		ql_json_key(&j, "name");
		ql_json_string(&j, t->name);
		ql_json_key(&j, "dtype");
		ql_json_string(&j, ql_cli_dtype_name(t));
		ql_json_key(&j, "shape");
		ql_json_begin_array(&j);
		for (int d = 0; d < t->ndim; d++)
			ql_json_int(&j, t->shape[d]);
		ql_json_end_array(&j);
		ql_json_key(&j, "elements");
		ql_json_int(&j, t->nelem);
		ql_json_key(&j, "bits_per_weight");
		ql_json_number(&j, rows[i].bpw);
		ql_json_key(&j, "rmse");
		ql_json_number(&j, rows[i].rmse);
		ql_json_key(&j, "max_abs_err");
		ql_json_number(&j, rows[i].max_err);
		ql_json_key(&j, "sqnr_db");
		ql_json_number(&j, rows[i].sqnr);
		ql_json_key(&j, "cosine");
		ql_json_number(&j, rows[i].cosine);
		ql_json_key(&j, "bytes_before");
		ql_json_int(&j, (int64_t)rows[i].bytes_before);
		ql_json_key(&j, "bytes_after");
		ql_json_int(&j, (int64_t)rows[i].bytes_after);
		ql_json_end_object(&j);
	}
	ql_json_end_array(&j);
	ql_json_key(&j, "skipped");
	ql_json_begin_array(&j);
	for (size_t i = 0; i < n; i++) {
		if (!rows[i].skipped)
			continue;
		ql_json_begin_object(&j);
		ql_json_key(&j, "name");
		ql_json_string(&j, ql_source_tensor(rp->src, rows[i].index)->name);
		ql_json_key(&j, "reason");
		ql_json_string(&j, rows[i].reason);
		ql_json_end_object(&j);
	}
	ql_json_end_array(&j);
	ql_json_key(&j, "total");
	ql_json_begin_object(&j);
	ql_json_key(&j, "tensors");
	ql_json_int(&j, (int64_t)reported);
	ql_json_key(&j, "elements");
	ql_json_int(&j, elems);
	ql_json_key(&j, "bytes_before");
	ql_json_int(&j, (int64_t)before);
	ql_json_key(&j, "bytes_after");
	ql_json_int(&j, (int64_t)after);
	ql_json_key(&j, "bits_per_weight");
	ql_json_number(&j, elems ? (double)after * 8 / (double)elems : 0);
	ql_json_key(&j, "rmse");
	ql_json_number(&j, tm->rmse);
	ql_json_key(&j, "max_abs_err");
	ql_json_number(&j, tm->max_abs_err);
	ql_json_key(&j, "sqnr_db");
	ql_json_number(&j, tm->sqnr_db);
	ql_json_key(&j, "cosine");
	ql_json_number(&j, tm->cosine);
	ql_json_end_object(&j);
	ql_json_end_object(&j);
	ql_jsonw_finish(&j);
}

int ql_cmd_report(ql_cmd_ctx *ctx, int argc, char **argv)
{
	const char *cmd = argv[0];
	enum sort_key sort = SORT_FILE;
	ql_fileopts fo;
	ql_fileopts_init(&fo, cmd, QL_FO_SCHEME_ONE);
	ql_args a;
	ql_args_init(&a, argc, argv, report_opts);
	int id;
	while ((id = ql_args_next(&a)) != QL_ARGS_END) {
		int rc = ql_fileopts_take(ctx, &fo, id, &a);
		if (rc == QL_FO_TAKEN)
			continue;
		if (rc != QL_FO_NOT_MINE)
			return rc;
		if (id == OPT_SORT) {
			if (!strcasecmp(a.value, "name"))
				sort = SORT_NAME;
			else if (!strcasecmp(a.value, "error"))
				sort = SORT_ERROR;
			else if (!strcasecmp(a.value, "size"))
				sort = SORT_SIZE;
			else
				return ql_usage_error(ctx, cmd, "--sort takes name, error or size, not '%s'",
						      a.value);
		}
	}
	int frc = ql_fileopts_finish(ctx, &fo);
	if (frc >= 0)
		return frc;
	if (fo.tensor)
		return ql_usage_error(ctx, cmd, "--tensor: report takes every tensor (for one, see "
				      "qlens quantize or qlens compare)");
	const char *file = fo.file;
	const ql_scheme s = fo.scheme;
	bool json = fo.json;
	int threads = fo.threads;
	ql_error err = { "" };
	/* options are checked here, alone: a scheme no tensor could take is an
	 * error, not a report of every tensor skipped */
	if (ql_scheme_validate(&s, NULL, 0, &err))
		return ql_fail(ctx, "%s: %s", file, err.msg);
	char scheme_word[QL_SCHEME_WORD_MAX];
	ql_scheme_word(&s, scheme_word, sizeof scheme_word);
	char desc[160];
	ql_scheme_describe(&s, desc, sizeof desc);

	ql_source *src;
	if (ql_cli_open(ctx, file, &fo.open, &src))
		return QL_EXIT_FAIL;
	ql_source_set_threads(src, threads); /* each tensor's pages dropped on as many */
	size_t n = ql_source_count(src);
	if (n == 0) { /* nothing to report: not a total of nothing ("SQNR inf") */
		ql_source_close(src);
		return ql_fail(ctx, "%s: holds no tensors", file);
	}
	row *rows = calloc(n, sizeof *rows);
	if (!rows) {
		ql_source_close(src);
		return ql_fail(ctx, "%s: out of memory", file);
	}
	report rp = { .ctx = ctx, .src = src, .json = json, .name_width = 4 };
	double total_elems = 0;
	for (size_t i = 0; i < n; i++) {
		const ql_tensor *t = ql_source_tensor(src, i);
		int l = (int)ql_cli_text_width(t->name);
		rp.name_width = l > rp.name_width ? l : rp.name_width;
		total_elems += (double)t->nelem;
	}
	rp.name_width = rp.name_width > 48 ? 48 : rp.name_width;
	bool stream = !json && sort == SORT_FILE;
	if (!json) {
		fputs("file    ", ctx->out);
		ql_cli_put_line_safe(ctx->out, file);
		fprintf(ctx->out, " (%s, %zu tensors)\nscheme  %s  (%s)\n\n", ql_source_format(src), n,
			scheme_word, desc);
		if (stream)
			text_header(&rp);
	}

	ql_progress pr;
	ql_progress_start(&pr, ctx, total_elems, total_elems >= (1 << 22) || n > 64);
	ql_metrics_acc total;
	ql_metrics_acc_init(&total);
	double done = 0;
	int rc = QL_EXIT_OK;
	report_bufs bufs = { .xcap = 0 };
	for (size_t i = 0; i < n; i++) {
		const ql_tensor *t = ql_source_tensor(src, i);
		ql_progress_step(&pr, done, i + 1, n, t->name);
		if (run_tensor(src, i, &s, threads, ctx->cancel, &rows[i], &total, &bufs, &err)) {
			ql_progress_end(&pr);
			fflush(ctx->out);
			rc = ql_fail(ctx, "%s", err.msg);
			goto out;
		}
		if (ctx->cancel && *ctx->cancel) {
			ql_progress_end(&pr);
			fflush(ctx->out);
			rc = ql_fail(ctx, "%s: cancelled", file);
			goto out;
		}
		done += (double)t->nelem;
		if (stream) {
			ql_progress_end(&pr);
			text_row(&rp, &rows[i]);
			fflush(ctx->out);
		}
	}
	ql_progress_end(&pr);

	uint64_t before = 0, after = 0;
	int64_t elems = 0;
	size_t reported = 0;
	for (size_t i = 0; i < n; i++) {
		if (rows[i].skipped)
			continue;
		reported++;
		before += rows[i].bytes_before;
		after += rows[i].bytes_after;
		elems += rows[i].nelem;
	}
	ql_metrics tm;
	ql_metrics_finish(&total, &tm);
	if (sort != SORT_FILE) {
		sort_by = sort;
		sort_src = src;
		qsort(rows, n, sizeof *rows, cmp_rows);
	}
	if (reported == 0) {
		/* nothing quantized: not a total of nothing ("SQNR inf dB, cosine
		 * 1"); the text's rows, already out, say why each was skipped */
		const row *first = &rows[0]; /* n > 0, all skipped */
		for (size_t i = 0; i < n; i++)
			if (rows[i].index < first->index)
				first = &rows[i]; /* the file's first, whatever the sort */
		if (!json && !stream) {
			text_header(&rp);
			for (size_t i = 0; i < n; i++)
				text_row(&rp, &rows[i]);
		}
		fflush(ctx->out);
		rc = ql_fail(ctx, "%s: no tensor could be quantized with %s (%zu skipped; %s: %s%s)",
			     file, scheme_word, n, ql_source_tensor(src, first->index)->name,
			     first->reason, n > 1 ? "; and others" : "");
		goto out;
	}
	if (json) {
		json_report(&rp, scheme_word, desc, rows, n, &tm, before, after, elems, reported);
	} else {
		if (!stream) {
			text_header(&rp);
			for (size_t i = 0; i < n; i++)
				text_row(&rp, &rows[i]);
		}
		fprintf(ctx->out, "\ntotal   %zu tensors quantized, %zu skipped; %" PRId64 " elements\n",
			reported, n - reported, elems);
		fprintf(ctx->out, "size    %" PRIu64 " -> %" PRIu64 " bytes", before, after);
		if (elems)
			fprintf(ctx->out, " (%.3f bits per weight, %.1f%% of the original)",
				(double)after * 8 / (double)elems,
				before ? 100.0 * (double)after / (double)before : 0.0);
		fprintf(ctx->out, "\nerror   SQNR %.2f dB, RMSE %.4g, max %.4g, cosine %.6f (all "
			"elements together)\n", tm.sqnr_db, tm.rmse, tm.max_abs_err, tm.cosine);
	}
out:
	ql_qbufs_free(&bufs.q);
	free(bufs.x);
	free(rows);
	ql_source_close(src);
	return rc;
}
