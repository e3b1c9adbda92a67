/* cmd_divergence.c — `qlens divergence BASE QUANT [--labels FILE]`: the
 * output statistics of divergence.h for logits a user brings from their
 * own model.
 *
 * BASE and QUANT hold logits of shape [tokens, vocab] (or [1, tokens,
 * vocab]) as F32, F16 or BF16 in .npy or .safetensors (the only tensor, or
 * one called "logits"). They are read through the tensor-source interface
 * (memory-mapped) and decoded a block of rows at a time; after each block
 * its pages are released, so memory stays a few megabytes for any length.
 * Rows of a block are computed on worker threads and added in order, so
 * the figures do not depend on the thread count.
 */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmds.h"
#include "divstats.h"
#include "filecmd.h"
#include "qlens/args.h"
#include "qlens/divergence.h"
#include "qlens/io.h"
#include "qlens/jsonw.h"
#include "qlens/quant.h"

#define BLOCK_ROWS 32
#define MAX_THREADS 8

const char ql_divergence_help[] =
	"Compares two models' outputs over the same tokens: BASE (the original\n"
	"model's logits) and QUANT (the quantized model's), each of shape [tokens,\n"
	"vocab] as float32, float16 or bfloat16 in a .npy or .safetensors file (the\n"
	"only tensor, or one named 'logits'). Prints the statistics of\n"
	"llama-perplexity --kl-divergence, computed in double precision with a\n"
	"stable log-softmax:\n"
	"\n"
	"  KL divergence KL(base || quant) per token: mean ± uncertainty, median,\n"
	"    p90, p99, max (nats)\n"
	"  top-1 agreement: tokens whose most likely next token is the same\n"
	"    (\"same top p\") and how many changed\n"
	"  with --labels: perplexity of each, their ln ratio, flips (the top-1\n"
	"    answer went from correct to wrong or back), and Δp, the change of the\n"
	"    correct token's probability (mean, RMS, percentiles)\n"
	"\n"
	"Options:\n"
	"  --labels FILE   the correct token of each row: integer ids, shape [tokens]\n"
	"                  (row i's label is the token that follows position i)\n"
	"  --json          one JSON object: base, quant, tokens, vocab and the\n"
	"                  statistics (kl, top1, perplexity, flips, delta_p)\n"
	"  --threads N     worker threads (default: one per CPU; at most 8)\n"
	"\n"
	"Rows are streamed: memory stays small for any number of tokens. Shapes or\n"
	"vocabularies that differ, a NaN or inf logit, or a label out of range stop\n"
	"it with one line and exit status 1.\n"
	"\n"
	"Examples:\n"
	"  qlens divergence base_logits.npy q4_logits.npy\n"
	"  qlens divergence base.safetensors quant.safetensors --labels tokens.npy --json\n";

enum { OPT_LABELS };

static const ql_opt div_opts[] = {
	{"labels", 0, QL_ARG_REQUIRED, OPT_LABELS},
	QL_RUN_OPTS,
	{0},
};

/* One logits file, open. */
typedef struct logits_file {
	const char *path;
	ql_source *src;
	size_t index;
	const ql_tensor *t;
	int64_t rows, vocab;
} logits_file;

static long pick(ql_cmd_ctx *ctx, ql_source *src)
{
	return ql_cli_pick_role(ctx, src, "logits");
}

static int open_logits(ql_cmd_ctx *ctx, const char *path, logits_file *f)
{
	f->path = path;
	if (ql_cli_open(ctx, path, NULL, &f->src))
		return -1;
	long i = pick(ctx, f->src);
	if (i < 0)
		return -1;
	f->index = (size_t)i;
	f->t = ql_source_tensor(f->src, f->index);
	const ql_tensor *t = f->t;
	if (t->dtype != QL_DT_F32 && t->dtype != QL_DT_F16 && t->dtype != QL_DT_BF16)
		return ql_fail(ctx, "%s: tensor '%s' is %s; logits must be F32, F16 or BF16", path,
			       t->name, ql_cli_dtype_name(t)), -1;
	char shape[160];
	ql_shape_string(t, shape, sizeof shape);
	if (!(t->ndim == 2 || (t->ndim == 3 && t->shape[0] == 1)) || t->nelem == 0)
		return ql_fail(ctx, "%s: tensor '%s' is %s; logits must be [tokens, vocab] with "
			       "neither empty", path, t->name, shape), -1;
	f->rows = t->shape[t->ndim - 2];
	f->vocab = t->shape[t->ndim - 1];
	return 0;
}

static float load_elem(const ql_tensor *t, int64_t k)
{
	const uint8_t *p = (const uint8_t *)t->data;
	if (t->dtype == QL_DT_F32) {
		uint8_t b[4];
		memcpy(b, p + k * 4, 4);
		if (t->big_endian) {
			uint8_t s0 = b[0], s1 = b[1];
			b[0] = b[3], b[1] = b[2], b[2] = s1, b[3] = s0;
		}
		float v;
		memcpy(&v, b, 4);
		return v;
	}
	uint16_t h;
	memcpy(&h, p + k * 2, 2);
	if (t->big_endian)
		h = (uint16_t)(h << 8 | h >> 8);
	if (t->dtype == QL_DT_F16)
		return ql_f32_from_fp16(h);
	uint32_t u = (uint32_t)h << 16;
	float v;
	memcpy(&v, &u, 4);
	return v;
}

/* Rows [r0, r0 + n) into out[n * vocab]; -1 (and the place) at a value
 * that is not finite. */
static int decode_rows(const logits_file *f, int64_t r0, int64_t n, float *out, int64_t *bad,
		       float *badv)
{
	const ql_tensor *t = f->t;
	if (t->dtype == QL_DT_F32 && !t->big_endian && !t->fortran_order) {
		/* the common case: the rows are the bytes */
		memcpy(out, (const float *)t->data + r0 * f->vocab, (size_t)(n * f->vocab) * sizeof *out);
		for (int64_t k = 0; k < n * f->vocab; k++)
			if (!isfinite(out[k])) {
				*bad = r0 * f->vocab + k;
				*badv = out[k];
				return -1;
			}
		return 0;
	}
	for (int64_t r = 0; r < n; r++)
		for (int64_t c = 0; c < f->vocab; c++) {
			int64_t k = t->fortran_order ? c * f->rows + (r0 + r) : (r0 + r) * f->vocab + c;
			float v = load_elem(t, k);
			if (!isfinite(v)) {
				*bad = (r0 + r) * f->vocab + c;
				*badv = v;
				return -1;
			}
			out[r * f->vocab + c] = v;
		}
	return 0;
}

static int read_labels(ql_cmd_ctx *ctx, const char *path, int64_t rows, int64_t vocab,
		       int64_t **out)
{
	ql_source *src;
	if (ql_cli_open(ctx, path, NULL, &src))
		return -1;
	int rc = -1;
	long i = ql_cli_pick_role(ctx, src, "labels");
	if (i < 0)
		goto out;
	const ql_tensor *t = ql_source_tensor(src, (size_t)i);
	ql_error err = { "" };
	if (t->dtype == QL_DT_OTHER || ql_dtypes[t->dtype].is_float || t->dtype == QL_DT_BOOL) {
		ql_fail(ctx, "%s: tensor '%s' is %s; labels must be integer token ids", path, t->name,
			ql_cli_dtype_name(t));
		goto out;
	}
	if (t->nelem != rows || t->ndim < 1 || t->shape[t->ndim - 1] != rows) {
		char shape[160];
		ql_shape_string(t, shape, sizeof shape);
		ql_fail(ctx, "%s: tensor '%s' is %s; the logits have %lld tokens, so labels must be "
			"[%lld]", path, t->name, shape, (long long)rows, (long long)rows);
		goto out;
	}
	if (ql_source_read(src, (size_t)i, &err)) {
		ql_fail(ctx, "%s", err.msg);
		goto out;
	}
	int64_t *lab = malloc((size_t)(rows ? rows : 1) * sizeof *lab);
	if (!lab) {
		ql_fail(ctx, "out of memory");
		goto out;
	}
	size_t w = (size_t)ql_dtypes[t->dtype].block_bytes;
	bool sign = t->dtype == QL_DT_I8 || t->dtype == QL_DT_I16 || t->dtype == QL_DT_I32 ||
		    t->dtype == QL_DT_I64;
	for (int64_t k = 0; k < rows; k++) {
		const uint8_t *p = (const uint8_t *)t->data + (size_t)k * w;
		uint64_t u = 0;
		for (size_t b = 0; b < w; b++)
			u |= (uint64_t)p[t->big_endian ? w - 1 - b : b] << (8 * b);
		bool neg = sign && (u >> (8 * w - 1)) & 1;
		if (neg && w < 8)
			u |= ~(uint64_t)0 << (8 * w); /* sign-extended: -1 reads as -1 */
		if (neg) {
			ql_fail(ctx, "%s: label %lld is negative (%lld); labels are classes in [0, %lld)",
				path, (long long)k, (long long)(int64_t)u, (long long)vocab);
			free(lab);
			goto out;
		}
		if (u >= (uint64_t)vocab) {
			ql_fail(ctx, "%s: label %lld is %llu, outside the vocabulary [0, %lld)", path,
				(long long)k, (unsigned long long)u, (long long)vocab);
			free(lab);
			goto out;
		}
		lab[k] = (int64_t)u;
	}
	*out = lab;
	rc = 0;
out:
	ql_source_close(src);
	return rc;
}

typedef struct work {
	const float *b, *q;
	const int64_t *labels; /* for these rows, or NULL */
	int64_t vocab, first, count;
	ql_div_row *rows;
} work;

static void *run_work(void *arg)
{
	work *w = arg;
	for (int64_t r = w->first; r < w->first + w->count; r++)
		ql_div_row_compute(w->b + r * w->vocab, w->q + r * w->vocab, w->vocab,
				   w->labels ? w->labels[r] : -1, &w->rows[r]);
	return NULL;
}

static void compute_block(const float *b, const float *q, const int64_t *labels, int64_t vocab,
			  int64_t n, int threads, ql_div_row *rows)
{
	work w[MAX_THREADS];
	pthread_t tid[MAX_THREADS];
	bool started[MAX_THREADS] = { false };
	if (threads > n)
		threads = (int)n;
	int64_t per = n / threads, extra = n % threads, at = 0;
	for (int t = 0; t < threads; t++) {
		int64_t c = per + (t < extra);
		w[t] = (work){ b, q, labels, vocab, at, c, rows };
		at += c;
		if (t > 0)
			started[t] = pthread_create(&tid[t], NULL, run_work, &w[t]) == 0;
	}
	run_work(&w[0]);
	for (int t = 1; t < threads; t++) {
		if (started[t])
			pthread_join(tid[t], NULL);
		else
			run_work(&w[t]);
	}
}

static void print_json(FILE *out, const logits_file *b, const logits_file *q, const char *labels,
		       const ql_div_stats *s)
{
	ql_jsonw j;
	ql_jsonw_init(&j, out);
	ql_json_begin_object(&j);
	ql_json_key(&j, "base");
	ql_json_string(&j, b->path);
	ql_json_key(&j, "quant");
	ql_json_string(&j, q->path);
	if (labels) {
		ql_json_key(&j, "labels");
		ql_json_string(&j, labels);
	}
	ql_json_key(&j, "tokens");
	ql_json_int(&j, b->rows);
	ql_json_key(&j, "vocab");
	ql_json_int(&j, b->vocab);
	ql_cli_json_div(&j, s, 0);
	ql_json_end_object(&j);
	ql_jsonw_finish(&j);
}

int ql_cmd_divergence(ql_cmd_ctx *ctx, int argc, char **argv)
{
	const char *cmd = argv[0], *files[2] = { NULL, NULL }, *labels_path = NULL;
	int nfiles = 0;
	ql_fileopts fo; /* --json, --threads, --help */
	ql_fileopts_init(&fo, cmd, QL_FO_SCHEME_NONE);
	ql_args a;
	ql_args_init(&a, argc, argv, div_opts);
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
			if (nfiles == 2)
				return ql_usage_error(ctx, cmd, "two files, BASE and QUANT ('%s' is a "
						      "third)", a.value);
			files[nfiles++] = a.value;
			break;
		case OPT_LABELS: labels_path = a.value; break;
		}
	}
	bool json = fo.json;
	int threads = fo.threads;
	if (nfiles < 2)
		return ql_usage_error(ctx, cmd, "needs two logits files, BASE and QUANT");
	if (threads <= 0) {
		long c = sysconf(_SC_NPROCESSORS_ONLN);
		threads = c < 1 ? 1 : (int)c;
	}
	threads = threads > MAX_THREADS ? MAX_THREADS : threads;
	logits_file f[2] = { 0 };
	int64_t *labels = NULL;
	float *buf = NULL;
	ql_div_row *rows = NULL;
	ql_div_acc acc;
	ql_div_init(&acc, labels_path != NULL);
	int rc = QL_EXIT_FAIL;
	if (open_logits(ctx, files[0], &f[0]) || open_logits(ctx, files[1], &f[1]))
		goto out;
	if (f[0].rows != f[1].rows || f[0].vocab != f[1].vocab) {
		ql_fail(ctx, "%s: logits are %lldx%lld but %s's are %lldx%lld: the same tokens and "
			"vocabulary are needed", files[1], (long long)f[1].rows,
			(long long)f[1].vocab, files[0], (long long)f[0].rows,
			(long long)f[0].vocab);
		goto out;
	}
	int64_t T = f[0].rows, V = f[0].vocab;
	if (labels_path && read_labels(ctx, labels_path, T, V, &labels))
		goto out;
	buf = malloc((size_t)(2 * BLOCK_ROWS * V) * sizeof *buf);
	rows = malloc(BLOCK_ROWS * sizeof *rows);
	if (!buf || !rows) {
		ql_fail(ctx, "out of memory (a vocabulary of %lld)", (long long)V);
		goto out;
	}
	ql_error err = { "" };
	for (int64_t r0 = 0; r0 < T; r0 += BLOCK_ROWS) {
		int64_t n = T - r0 < BLOCK_ROWS ? T - r0 : BLOCK_ROWS;
		for (int k = 0; k < 2; k++) {
			if (ql_source_read(f[k].src, f[k].index, &err)) {
				ql_fail(ctx, "%s", err.msg);
				goto out;
			}
			int64_t bad;
			float v;
			if (decode_rows(&f[k], r0, n, buf + k * BLOCK_ROWS * V, &bad, &v)) {
				ql_fail(ctx, "%s: logit [%lld, %lld] is %s; logits must be finite",
					files[k], (long long)(bad / V), (long long)(bad % V),
					isnan(v) ? "NaN" : v > 0 ? "inf" : "-inf");
				goto out;
			}
			ql_source_release(f[k].src, f[k].index);
		}
		compute_block(buf, buf + BLOCK_ROWS * V, labels ? labels + r0 : NULL, V, n, threads,
			      rows);
		for (int64_t r = 0; r < n; r++)
			if (ql_div_add(&acc, &rows[r], labels ? labels[r0 + r] : -1, &err)) {
				ql_fail(ctx, "%s", err.msg);
				goto out;
			}
	}
	ql_div_stats s;
	if (ql_div_finish(&acc, &s, &err)) {
		ql_fail(ctx, "%s", err.msg);
		goto out;
	}
	if (json) {
		print_json(ctx->out, &f[0], &f[1], labels_path, &s);
	} else {
		fputs("base    ", ctx->out);
		ql_cli_put_line_safe(ctx->out, files[0]);
		fputs("\nquant   ", ctx->out);
		ql_cli_put_line_safe(ctx->out, files[1]);
		fprintf(ctx->out, "\n%lld tokens, vocabulary %lld%s\n\n", (long long)T, (long long)V,
			labels ? ", with labels" : " (no labels: no perplexity, flips or Δp)");
		ql_cli_print_div(ctx->out, &s, 0);
	}
	rc = QL_EXIT_OK;
out:
	ql_div_free(&acc);
	free(labels);
	free(buf);
	free(rows);
	ql_source_close(f[0].src);
	ql_source_close(f[1].src);
	return rc;
}
