/* cmd_eval.c — `qlens eval MODEL [SCHEME]`: a tiny real model's outputs
 * before and after quantizing its weights (eval.h), one scheme in detail
 * or a sweep of schemes in one table.
 */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cmds.h"
#include "divstats.h"
#include "filecmd.h"
#include "qlens/args.h"
#include "qlens/escape.h"
#include "qlens/eval.h"
#include "qlens/jsonw.h"
#include "qlens/model.h"
#include "qlens/scheme_text.h"

#define MAX_SCHEMES 64

const char ql_eval_help[] =
	"Quantizes the weight matrices of MODEL with SCHEME (default int8) through the\n"
	"kernels of qlens quantize, runs the held-out test set with the original\n"
	"float32 weights and with the quantized ones, and compares the outputs:\n"
	"\n"
	"  accuracy (digits) or perplexity (chars) of both, and the change\n"
	"  KL divergence of the output distributions: mean ± uncertainty, median,\n"
	"    p90, p99, max (nats; llama-perplexity --kl-divergence's formulas)\n"
	"  flips: test inputs whose answer went from correct to wrong or wrong to\n"
	"    correct (\"Accuracy is Not All You Need\"); top-1 changes of any kind\n"
	"  Δp: the change of the correct answer's probability (mean, RMS,\n"
	"    percentiles) and \"same top p\"\n"
	"  per weight matrix: bits per weight, SQNR and cosine (tensor metrics)\n"
	"\n"
	"MODEL is digits (an MLP on the UCI handwritten digits), chars (a\n"
	"character-level language model on an English word list), or a model\n"
	"directory of the same layout (see assets/models/README.md).\n"
	"\n"
	"Options:\n"
	"  --schemes LIST     sweep schemes (comma-separated) into one table, sorted\n"
	"                     by bits per weight\n"
	"  --keep PATTERNS    keep matrices whose names match (fnmatch, comma-\n"
	"                     separated, e.g. 'fc1.*,fc3.*') in float32\n"
	"  --act MODE         activations: none (default), int8-dynamic (each layer's\n"
	"                     input quantized per row at run time), int8-static (one\n"
	"                     scale per layer, calibrated on the calibration split\n"
	"                     with the scheme's calibration method)\n"
	"  --json             one JSON object: model, results (one per scheme)\n"
	"  --tui              open the evaluation screen on MODEL and SCHEME instead\n"
	"  --threads N        worker threads (default: one per CPU; at most 8)\n"
	"\n"
	QL_CLI_SCHEME_HELP
	"\n"
	"Examples:\n"
	"  qlens eval digits int4/g32\n"
	"  qlens eval chars q4_0 --keep embed.weight\n"
	"  qlens eval digits --schemes int8,int8/ch0,int4/g32,int2/g32,nf4,q4_0\n"
	"  qlens eval digits int8/ch0 --act int8-static --json\n";

enum { OPT_SCHEMES, OPT_KEEP, OPT_ACT, OPT_TUI };

static const ql_opt eval_opts[] = {
	{"schemes", 0, QL_ARG_REQUIRED, OPT_SCHEMES},
	{"keep", 0, QL_ARG_REQUIRED, OPT_KEEP},
	{"act", 0, QL_ARG_REQUIRED, OPT_ACT},
	{"tui", 0, QL_ARG_NONE, OPT_TUI},
	QL_RUN_OPTS,
	{0},
};

typedef struct entry {
	char word[64];
	char desc[160];
	ql_scheme scheme;
	ql_eval_result r;
} entry;

static int cmp_entries(const void *pa, const void *pb)
{
	const entry *a = pa, *b = pb;
	if (a->r.bits_per_weight != b->r.bits_per_weight)
		return a->r.bits_per_weight < b->r.bits_per_weight ? -1 : 1;
	return strcmp(a->word, b->word);
}

static int add_schemes(ql_cmd_ctx *ctx, const char *cmd, const char *list, entry *e, int *n)
{
	const char *p = list;
	if (!*p)
		return ql_usage_error(ctx, cmd, "--schemes: the list is empty");
	while (*p) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		if (len == 0)
			return ql_usage_error(ctx, cmd, "--schemes: an empty item in '%s'", list);
		if (len >= sizeof e->word)
			return ql_usage_error(ctx, cmd, "--schemes: '%.*s' is too long", (int)len, p);
		if (*n == MAX_SCHEMES)
			return ql_usage_error(ctx, cmd, "at most %d schemes", MAX_SCHEMES);
		entry *x = &e[(*n)++];
		memcpy(x->word, p, len);
		x->word[len] = '\0';
		ql_error err = { "" };
		if (ql_scheme_parse_word(x->word, &x->scheme, &err))
			return ql_usage_error(ctx, cmd, "%s", err.msg);
		ql_scheme_word(&x->scheme, x->word, sizeof x->word); /* as compare names it */
		ql_scheme_describe(&x->scheme, x->desc, sizeof x->desc);
		p += len;
		if (*p == ',' && !*++p) /* "int8,": the empty item after the comma */
			return ql_usage_error(ctx, cmd, "--schemes: an empty item in '%s'", list);
	}
	return -1;
}

static bool is_classifier(const ql_model *m)
{
	return m->kind == QL_MODEL_CLASSIFIER;
}

static void print_model(FILE *out, const ql_model *m)
{
	char name[256]; /* a model directory's name: escaped like every name */
	fprintf(out, "model   %s  (%s, %lld test %s", ql_escape_short(m->name, name, sizeof name),
		is_classifier(m) ? "classifier" : "character language model",
		(long long)m->test.n, is_classifier(m) ? "inputs" : "characters");
	fprintf(out, "; layers");
	for (int l = 0; l < m->nlayers; l++)
		fprintf(out, "%s%lld", l ? "→" : " ", (long long)m->in[l]);
	fprintf(out, "→%lld, %s)\n", (long long)m->nout, m->act == QL_ACT_RELU ? "relu" : "tanh");
}

static void print_one(FILE *out, const ql_model *m, const entry *e)
{
	const ql_eval_result *r = &e->r;
	print_model(out, m);
	fprintf(out, "scheme  %s  (%s)   activations: %s\n\n", e->word, e->desc,
		ql_act_quant_name(r->act));
	fprintf(out, "%-14s %10s %8s %10s %10s  %s\n", "MATRIX", "SHAPE", "BITS/W", "SQNR dB",
		"COSINE", "");
	for (int k = 0; k < r->nmats; k++) {
		const ql_eval_mat *x = &r->mats[k];
		char shape[40];
		snprintf(shape, sizeof shape, "%lldx%lld", (long long)x->rows, (long long)x->cols);
		char name[256];
		fprintf(out, "%-14s %10s %8.3f ", ql_escape_short(x->name, name, sizeof name), shape,
			x->bits_per_weight);
		if (x->kept) {
			fputs("      kept      float32  ", out);
			ql_cli_put_line_safe(out, x->why);
			fputc('\n', out);
		} else {
			fprintf(out, "%10.2f %10.6f\n", x->metrics.sqnr_db, x->metrics.cosine);
		}
	}
	fprintf(out, "%-14s %10lld %8.3f  (%" PRIu64 " bytes; biases stay float32)\n", "all",
		(long long)r->weights, r->bits_per_weight, r->bytes);
	if (r->act == QL_ACTQ_INT8_STATIC) {
		fputs("activation scales (int8, calibrated):", out);
		for (int l = 0; l < m->nlayers; l++)
			fprintf(out, " fc%d %.6g", l + 1, (double)r->act_scales[l]);
		fputc('\n', out);
	}
	fputc('\n', out);
	ql_cli_print_div(out, &r->stats, is_classifier(m));
}

static void print_table(FILE *out, const ql_model *m, const entry *e, int n, ql_act_quant act)
{
	print_model(out, m);
	fprintf(out, "activations: %s\n\n", ql_act_quant_name(act));
	int w = 8;
	for (int i = 0; i < n; i++) {
		int l = (int)strlen(e[i].word);
		w = l > w ? l : w;
	}
	bool acc = is_classifier(m);
	fprintf(out, "%-*s %7s %9s %9s %10s %10s %10s %8s %8s %9s\n", w, "SCHEME", "BITS/W",
		acc ? "ACCURACY" : "PPL", acc ? "CHANGE" : "CHANGE", "KL MEAN", "KL P99", "KL MAX",
		acc ? "FLIPS" : "TOP1 CHG", "SAME TOP", "MIN SQNR");
	for (int i = 0; i < n; i++) {
		const ql_div_stats *s = &e[i].r.stats;
		double min_sqnr = INFINITY;
		for (int k = 0; k < e[i].r.nmats; k++)
			if (!e[i].r.mats[k].kept && e[i].r.mats[k].metrics.sqnr_db < min_sqnr)
				min_sqnr = e[i].r.mats[k].metrics.sqnr_db;
		fprintf(out, "%-*s %7.3f ", w, e[i].word, e[i].r.bits_per_weight);
		if (acc)
			fprintf(out, "%8.2f%% %+8.2f ", 100 * s->acc_quant,
				100 * (s->acc_quant - s->acc_base));
		else
			fprintf(out, "%9.4f %+9.4f ", s->ppl_quant, s->ppl_quant - s->ppl_base);
		fprintf(out, "%10.6f %10.6f %10.6f %8lld %7.2f%% ", s->kld_mean, s->kld_p99,
			s->kld_max, (long long)(acc ? s->flips : s->top_changed), 100 * s->same_top_p);
		if (isinf(min_sqnr))
			fprintf(out, "%9s\n", "float");
		else
			fprintf(out, "%9.2f\n", min_sqnr);
	}
	const ql_div_stats *s0 = &e[0].r.stats;
	if (acc)
		fprintf(out, "\nfloat32 accuracy %.2f%% (%lld of %lld). FLIPS: answers correct <-> wrong.\n",
			100 * s0->acc_base, (long long)s0->correct_base, (long long)s0->n);
	else
		fprintf(out, "\nfloat32 perplexity %.4f. TOP1 CHG: predictions whose top-1 changed.\n",
			s0->ppl_base);
	fputs("KL in nats; MIN SQNR: the worst quantized matrix (dB).\n", out);
}

static void json_result(ql_jsonw *j, const ql_model *m, const entry *e)
{
	const ql_eval_result *r = &e->r;
	ql_json_begin_object(j);
	ql_json_key(j, "scheme");
	ql_json_string(j, e->word);
	ql_json_key(j, "description");
	ql_json_string(j, e->desc);
	ql_json_key(j, "act");
	ql_json_string(j, ql_act_quant_name(r->act));
	ql_json_key(j, "bits_per_weight");
	ql_json_number(j, r->bits_per_weight);
	ql_json_key(j, "bytes");
	ql_json_int(j, (int64_t)r->bytes);
	ql_json_key(j, "matrices");
	ql_json_begin_array(j);
	for (int k = 0; k < r->nmats; k++) {
		const ql_eval_mat *x = &r->mats[k];
		ql_json_begin_object(j);
		ql_json_key(j, "name");
		ql_json_string(j, x->name);
		ql_json_key(j, "shape");
		ql_json_begin_array(j);
		ql_json_int(j, x->rows);
		ql_json_int(j, x->cols);
		ql_json_end_array(j);
		ql_json_key(j, "kept");
		ql_json_bool(j, x->kept);
		if (x->kept) {
			ql_json_key(j, "why");
			ql_json_string(j, x->why);
		}
		ql_json_key(j, "bits_per_weight");
		ql_json_number(j, x->bits_per_weight);
		ql_json_key(j, "sqnr_db");
		ql_json_number(j, x->metrics.sqnr_db);
		ql_json_key(j, "cosine");
		ql_json_number(j, x->metrics.cosine);
		ql_json_key(j, "mse");
		ql_json_number(j, x->metrics.mse);
		ql_json_end_object(j);
	}
	ql_json_end_array(j);
	if (r->act == QL_ACTQ_INT8_STATIC) {
		ql_json_key(j, "act_scales");
		ql_json_begin_array(j);
		for (int l = 0; l < m->nlayers; l++)
			ql_json_number(j, r->act_scales[l]);
		ql_json_end_array(j);
	}
	ql_cli_json_div(j, &r->stats, is_classifier(m));
	ql_json_end_object(j);
}

static void print_json(FILE *out, const ql_model *m, const entry *e, int n)
{
	ql_jsonw j;
	ql_jsonw_init(&j, out);
	ql_json_begin_object(&j);
	ql_json_key(&j, "model");
	ql_json_string(&j, m->name);
	ql_json_key(&j, "kind");
	ql_json_string(&j, is_classifier(m) ? "classifier" : "charlm");
	ql_json_key(&j, "test_examples");
	ql_json_int(&j, m->test.n);
	ql_json_key(&j, "results");
	ql_json_begin_array(&j);
	for (int i = 0; i < n; i++)
		json_result(&j, m, &e[i]);
	ql_json_end_array(&j);
	ql_json_end_object(&j);
	ql_jsonw_finish(&j);
}

int ql_cmd_eval(ql_cmd_ctx *ctx, int argc, char **argv)
{
	const char *cmd = argv[0], *model = NULL, *scheme = NULL, *list = NULL, *keep = NULL;
	ql_act_quant act = QL_ACTQ_NONE;
	bool tui = false;
	ql_fileopts fo; /* --json, --threads, --help */
	ql_fileopts_init(&fo, cmd, QL_FO_SCHEME_NONE);
	ql_args a;
	ql_args_init(&a, argc, argv, eval_opts);
	int id;
	while ((id = ql_args_next(&a)) != QL_ARGS_END) {
		if (id != QL_ARGS_POSITIONAL) {
			int rc = ql_fileopts_take(ctx, &fo, id, &a);
			if (rc == QL_FO_TAKEN)
				continue;
			if (rc != QL_FO_NOT_MINE)
				return rc;
		}
		switch (id) {
		case QL_ARGS_POSITIONAL:
			if (!model)
				model = a.value;
			else if (!scheme)
				scheme = a.value;
			else
				return ql_usage_error(ctx, cmd, "one MODEL and one SCHEME ('%s' is a third)",
						      a.value);
			break;
		case OPT_SCHEMES: list = a.value; break;
		case OPT_KEEP: keep = a.value; break;
		case OPT_TUI: tui = true; break;
		case OPT_ACT:
			if (ql_act_quant_parse(a.value, &act))
				return ql_usage_error(ctx, cmd, "--act takes none, int8-dynamic or "
						      "int8-static, not '%s'", a.value);
			break;
		}
	}
	bool json = fo.json;
	int threads = fo.threads;
	if (!model)
		return ql_usage_error(ctx, cmd, "which MODEL? (digits, chars, or a model directory)");
	if (scheme && list)
		return ql_usage_error(ctx, cmd, "a SCHEME or --schemes LIST, not both");
	if (tui) {
		if (list || keep || json)
			return ql_usage_error(ctx, cmd, "--tui takes MODEL, SCHEME and --act only");
		char *args[4] = { (char *)model, (char *)(scheme ? scheme : "int8"),
				  (char *)ql_act_quant_name(act), NULL };
		return ql_cmd_open_screen(ctx, "eval", 3, args);
	}
	entry *e = calloc(MAX_SCHEMES, sizeof *e);
	if (!e)
		return ql_fail(ctx, "out of memory");
	int n = 0, rc = add_schemes(ctx, cmd, list ? list : scheme ? scheme : "int8", e, &n);
	if (rc >= 0) {
		free(e);
		return rc;
	}
	ql_model m;
	ql_error err = { "" };
	if (ql_model_load(model, &m, &err)) {
		free(e);
		return ql_fail(ctx, "%s", err.msg);
	}
	ql_eval_ctx *ec = NULL;
	rc = QL_EXIT_FAIL;
	if (ql_eval_ctx_new(&m, &ec, &err)) {
		ql_fail(ctx, "%s", err.msg);
		goto out;
	}
	ql_eval_opts o = { .act = act, .keep = keep, .threads = threads };
	for (int i = 0; i < n; i++)
		if (ql_eval_run(ec, &e[i].scheme, &o, &e[i].r, &err)) {
			ql_fail(ctx, "%s: scheme %s: %s", m.name, e[i].word, err.msg);
			goto out;
		}
	if (n > 1)
		qsort(e, (size_t)n, sizeof *e, cmp_entries);
	if (json)
		print_json(ctx->out, &m, e, n);
	else if (n == 1 && !list)
		print_one(ctx->out, &m, &e[0]);
	else
		print_table(ctx->out, &m, e, n, act);
	rc = QL_EXIT_OK;
out:
	for (int i = 0; i < n; i++)
		ql_eval_result_free(&e[i].r);
	free(e);
	ql_eval_ctx_free(ec);
	ql_model_free(&m);
	return rc;
}
