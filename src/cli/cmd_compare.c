/* cmd_compare.c — `qlens compare FILE --tensor NAME`: one tensor quantized
 * with many schemes, side by side, sorted by bits per weight.
 *
 * The tensor is read and decoded once; each scheme runs through
 * ql_quantize() (the kernels of `qlens quantize`), so every row's metrics
 * are exactly what `qlens quantize --json` reports for that scheme. A
 * scheme that does not fit the tensor (q4_0 on a row of 20) shows its
 * reason instead of numbers.
 */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cmds.h"
#include "argcheck.h"
#include "filecmd.h"
#include "qlens/args.h"
#include "qlens/io.h"
#include "qlens/jsonw.h"
#include "qlens/quant.h"
#include "qlens/scheme.h"
#include "qlens/stats.h"

/* A list that teaches: per tensor vs per channel, group sizes, the
 * codebook, llama.cpp's blocks, a float format and a microscaling one. */
#define DEFAULT_SCHEMES QL_COMPARE_SCHEMES
#define MAX_SCHEMES 64

const char ql_compare_help[] =
	"Quantizes one tensor of FILE with each scheme of LIST and shows them side\n"
	"by side, sorted by bits per weight (scales and zero points included):\n"
	"storage, RMSE, max abs error, SQNR, cosine similarity, clipped values.\n"
	"\n"
	"Options:\n"
	"  --schemes LIST       scheme words separated by commas (default:\n"
	"                       " DEFAULT_SCHEMES ")\n"
	"  --json               one JSON object: tensor, shape, schemes (scheme: the\n"
	"                       one word that gives it, description, bits_per_weight,\n"
	"                       bytes, and metrics as in qlens quantize --json)\n"
	QL_FILE_OPTS_HELP
	"\n"
	QL_SCHEME_OPTS_HELP
	"  (also a second word after FILE). With --schemes, this scheme is added to\n"
	"  LIST; without, it is the only one.\n"
	"\n"
	QL_CLI_SCHEME_HELP
	"\n"
	"Examples:\n"
	"  qlens compare w.npy\n"
	"  qlens compare model.safetensors -t layers.0.mlp.weight --schemes int8,int4/g32,nf4\n"
	"  qlens compare model.gguf -t blk.0.ffn_up.weight --json\n";

enum { OPT_SCHEMES };

static const ql_opt compare_opts[] = {
	QL_FILE_OPTS,
	QL_SCHEME_OPTS,
	{"schemes", 0, QL_ARG_REQUIRED, OPT_SCHEMES},
	{0},
};

typedef struct entry {
	char word[64];
	char desc[160];
	ql_scheme scheme;
	bool failed;
	char reason[200];
	double bpw;
	uint64_t bytes;
	ql_metrics m;
} entry;

static int cmp_entries(const void *pa, const void *pb)
{
	const entry *a = pa, *b = pb;
	return ql_scheme_rank(!a->failed, a->bpw, a->m.sqnr_db, !b->failed, b->bpw, b->m.sqnr_db);
}

/* Splits LIST into entries after the *n already there, parsing each scheme
 * (each entry's word is the canonical one). */
static int parse_list(ql_cmd_ctx *ctx, const char *cmd, const char *list, entry *e, int *n)
{
	const char *p = list;
	while (*p) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		if (len == 0)
			return ql_usage_error(ctx, cmd, "--schemes: an empty item in '%s'", list);
		if (len >= sizeof e->word)
			return ql_usage_error(ctx, cmd, "--schemes: '%.*s' is too long", (int)len, p);
		if (*n == MAX_SCHEMES)
			return ql_usage_error(ctx, cmd, "--schemes: at most %d schemes", MAX_SCHEMES);
		entry *x = &e[(*n)++];
		memcpy(x->word, p, len);
		x->word[len] = '\0';
		ql_error err = { "" };
		if (ql_scheme_parse_word(x->word, &x->scheme, &err))
			return ql_usage_error(ctx, cmd, "%s", err.msg);
		ql_scheme_word(&x->scheme, x->word, sizeof x->word);
		ql_scheme_describe(&x->scheme, x->desc, sizeof x->desc);
		p += len;
		if (*p == ',')
			p++;
	}
	if (*n == 0)
		return ql_usage_error(ctx, cmd, "--schemes: the list is empty");
	return -1;
}

/* The one scheme given as a word or as options, as an entry. Options are
 * checked alone here (against the tensor later, like every entry). */
static int add_one(ql_cmd_ctx *ctx, const ql_fileopts *fo, entry *e, int *n)
{
	if (*n == MAX_SCHEMES)
		return ql_usage_error(ctx, fo->cmd, "at most %d schemes", MAX_SCHEMES);
	entry *x = &e[(*n)++];
	x->scheme = fo->scheme;
	ql_error err = { "" };
	if (ql_scheme_validate(&x->scheme, NULL, 0, &err))
		return ql_fail(ctx, "%s: %s", fo->file, err.msg);
	ql_scheme_word(&x->scheme, x->word, sizeof x->word);
	ql_scheme_describe(&x->scheme, x->desc, sizeof x->desc);
	return -1;
}

static void json_metrics(ql_jsonw *j, const ql_metrics *m)
{
	ql_json_key(j, "metrics");
	ql_json_begin_object(j);
	ql_json_key(j, "mse");
	ql_json_number(j, m->mse);
	ql_json_key(j, "rmse");
	ql_json_number(j, m->rmse);
	ql_json_key(j, "sqnr_db");
	ql_json_number(j, m->sqnr_db);
	ql_json_key(j, "max_abs_err");
	ql_json_number(j, m->max_abs_err);
	ql_json_key(j, "mean_abs_err");
	ql_json_number(j, m->mean_abs_err);
	ql_json_key(j, "cosine");
	ql_json_number(j, m->cosine);
	ql_json_key(j, "clipped");
	ql_json_int(j, m->clipped);
	ql_json_end_object(j);
}

static void print_json(FILE *out, const char *file, const ql_tensor *t, const entry *e, int n)
{
	ql_jsonw j;
	ql_jsonw_init(&j, out);
	ql_json_begin_object(&j);
	ql_json_key(&j, "file");
	ql_json_string(&j, file);
	ql_json_key(&j, "tensor");
	ql_json_string(&j, t->name);
	ql_json_key(&j, "dtype");
	ql_json_string(&j, ql_cli_dtype_name(t));
	ql_json_key(&j, "shape");
	ql_json_begin_array(&j);
	for (int d = 0; d < t->ndim; d++)
		ql_json_int(&j, t->shape[d]);
	ql_json_end_array(&j);
	ql_json_key(&j, "schemes");
	ql_json_begin_array(&j);
	for (int i = 0; i < n; i++) {
		ql_json_begin_object(&j);
		ql_json_key(&j, "scheme");
		ql_json_string(&j, e[i].word);
		ql_json_key(&j, "description");
		ql_json_string(&j, e[i].desc);
		if (e[i].failed) {
			ql_json_key(&j, "error");
			ql_json_string(&j, e[i].reason);
		} else {
			ql_json_key(&j, "bits_per_weight");
			ql_json_number(&j, e[i].bpw);
			ql_json_key(&j, "bytes");
			ql_json_int(&j, (int64_t)e[i].bytes);
			json_metrics(&j, &e[i].m);
		}
		ql_json_end_object(&j);
	}
	ql_json_end_array(&j);
	ql_json_end_object(&j);
	ql_jsonw_finish(&j);
}

static void print_text(FILE *out, const char *file, const ql_tensor *t, const entry *e, int n)
{
	char shape[160];
	ql_shape_string(t, shape, sizeof shape);
	fputs("tensor  ", out);
	ql_cli_put_line_safe(out, t->name);
	fprintf(out, "  (%s, %s, %" PRId64 " elements, %" PRIu64 " bytes)  in ",
		ql_cli_dtype_name(t), shape, t->nelem, t->nbytes);
	ql_cli_put_line_safe(out, file);
	fputs("\n\n", out);
	int w = 6;
	for (int i = 0; i < n; i++) {
		int l = (int)strlen(e[i].word);
		w = l > w ? l : w;
	}
	fprintf(out, "%-*s %7s %12s %11s %11s %9s %10s %9s\n", w, "SCHEME", "BITS/W", "BYTES", "RMSE",
		"MAX ERR", "SQNR dB", "COSINE", "CLIPPED");
	for (int i = 0; i < n; i++) {
		fprintf(out, "%-*s ", w, e[i].word);
		if (e[i].failed) {
			fputs("cannot: ", out);
			ql_cli_put_line_safe(out, e[i].reason);
			fputc('\n', out);
			continue;
		}
		fprintf(out, "%7.3f %12" PRIu64 " %11.4g %11.4g %9.2f %10.6f %9" PRId64 "\n", e[i].bpw,
			e[i].bytes, e[i].m.rmse, e[i].m.max_abs_err, e[i].m.sqnr_db, e[i].m.cosine,
			e[i].m.clipped);
	}
	fputc('\n', out);
	for (int i = 0; i < n; i++)
		fprintf(out, "  %-*s %s\n", w, e[i].word, e[i].desc);
}

int ql_cmd_compare(ql_cmd_ctx *ctx, int argc, char **argv)
{
	const char *cmd = argv[0], *list = NULL;
	ql_fileopts fo;
	ql_fileopts_init(&fo, cmd, QL_FO_SCHEME_ONE);
	ql_args a;
	ql_args_init(&a, argc, argv, compare_opts);
	int id;
	while ((id = ql_args_next(&a)) != QL_ARGS_END) {
		int rc = ql_fileopts_take(ctx, &fo, id, &a);
		if (rc == QL_FO_TAKEN)
			continue;
		if (rc != QL_FO_NOT_MINE)
			return rc;
		if (id == OPT_SCHEMES)
			list = a.value;
	}
	int rc = ql_fileopts_finish(ctx, &fo);
	if (rc >= 0)
		return rc;
	const char *file = fo.file, *tensor = fo.tensor;
	bool json = fo.json;
	int threads = fo.threads;
	entry *e = calloc(MAX_SCHEMES, sizeof *e);
	if (!e)
		return ql_fail(ctx, "out of memory");
	/* --schemes LIST, then the one scheme given as a word or options; neither:
	 * the default list */
	int n = 0;
	rc = -1;
	if (list || !fo.scheme_given)
		rc = parse_list(ctx, cmd, list ? list : DEFAULT_SCHEMES, e, &n);
	if (rc < 0 && fo.scheme_given)
		rc = add_one(ctx, &fo, e, &n);
	if (rc >= 0) {
		free(e);
		return rc;
	}
	ql_source *src = NULL;
	float *x = NULL;
	size_t xcap = 0;
	ql_qbufs bufs = {0};
	rc = QL_EXIT_FAIL;
	if (ql_cli_open(ctx, file, &fo.open, &src))
		goto out;
	ql_source_set_threads(src, threads); /* its pages dropped on as many */
	long ti = ql_cli_pick_tensor(ctx, src, tensor);
	if (ti < 0)
		goto out;
	const ql_tensor *t = ql_source_tensor(src, (size_t)ti);
	ql_error err = { "" };
	/* A tensor named on the command line is taken whatever its dtype, as
	 * `quantize` takes it: integers read as float32 (`report`, which sweeps
	 * a whole file, skips them and says so). float32 is read straight from
	 * the mapping; every scheme keeps no codes or blocks and reuses one
	 * set of buffers (memory: the tensor and its scales). */
	const float *xin = ql_cli_read_floats(src, (size_t)ti, &x, &xcap, &err);
	if (!xin) {
		ql_fail(ctx, "%s", err.msg);
		goto out;
	}
	ql_progress pr;
	ql_progress_start(&pr, ctx, n, t->nelem >= (1 << 22));
	int ok = 0;
	for (int i = 0; i < n; i++) {
		if (ctx->cancel && *ctx->cancel) {
			ql_progress_end(&pr);
			rc = ql_fail(ctx, "%s: cancelled", file);
			goto out;
		}
		ql_progress_step(&pr, i, (size_t)i + 1, (size_t)n, e[i].word);
		ql_qopts qo = { .threads = threads, .no_codes = true, .bufs = &bufs,
				.cancel = ctx->cancel };
		ql_qresult q;
		ql_error qe = { "" };
		if (ql_scheme_validate(&e[i].scheme, t->shape, t->ndim, &qe) ||
		    ql_quantize(xin, t->shape, t->ndim, &e[i].scheme, &qo, &q, &qe) ||
		    (ql_qresult_check(&q, &qe) && (ql_qresult_free(&q), 1))) {
			e[i].failed = true;
			snprintf(e[i].reason, sizeof e[i].reason, "%.199s", qe.msg);
			continue;
		}
		e[i].bpw = q.bits_per_weight;
		e[i].bytes = q.bytes;
		e[i].m = q.metrics;
		ql_qresult_free(&q);
		ok++;
	}
	ql_progress_end(&pr);
	qsort(e, (size_t)n, sizeof *e, cmp_entries);
	if (ok == 0) { /* a failure: its one line, and nothing on stdout */
		rc = ql_fail(ctx, "%s: tensor '%s': no scheme could quantize it (%s)", file, t->name,
			     e[0].reason);
		goto out;
	}
	if (json)
		print_json(ctx->out, file, t, e, n);
	else
		print_text(ctx->out, file, t, e, n);
	rc = QL_EXIT_OK;
out:
	ql_qbufs_free(&bufs);
	free(x);
	free(e);
	ql_source_close(src);
	return rc;
}
