/* cmd_convert.c — `qlens convert FILE --tensor NAME --to TYPE -o OUT`: one
 * tensor cast to another float format and written to .npy or .safetensors,
 * with the error the cast introduces.
 *
 * The tensor is decoded to float32 (any readable dtype: a GGUF Q4_0 tensor
 * gives its dequantized values), then every value is rounded to TYPE the
 * way PyTorch's .to(dtype) does (round to nearest even; fp16/bf16 overflow
 * to inf; fp8_e4m3 — "e4m3fn", no inf — overflows to NaN; fp8_e5m2 to inf)
 * with format.h's ql_cast, the same conversion `qlens bits` shows. The
 * error is measured between the float32 values and the converted ones over
 * the elements where both are finite; overflows, underflows to zero and
 * NaN are counted. --to fp32 writes the decoded values themselves.
 *
 * F64 sources are first rounded to float32 (the precision qlens works in).
 */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cmds.h"
#include "argcheck.h"
#include "filecmd.h"
#include "qlens/args.h"
#include "qlens/format.h"
#include "qlens/io.h"
#include "qlens/jsonw.h"
#include "qlens/stats.h"

const char ql_convert_help[] =
	"Casts one tensor of FILE to another float format and writes it to OUT,\n"
	"reporting the error the cast introduces (RMSE, max abs error, SQNR,\n"
	"cosine; values that overflowed, underflowed to zero or are NaN).\n"
	"\n"
	"Options:\n"
	"  -t, --tensor NAME    the tensor (needed when FILE has more than one)\n"
	"  --to TYPE            fp32, fp16, bf16, fp8_e4m3 or fp8_e5m2; fp32 writes\n"
	"                       the decoded values of any readable tensor (a GGUF\n"
	"                       Q4_0 one included)\n"
	"  -o, --output OUT     OUT.npy or OUT.safetensors (bf16 and fp8 need\n"
	"                       .safetensors: NumPy has no such dtypes)\n"
	"  -f, --force          replace OUT if it exists (never the input file)\n"
	"  --json               one JSON object: tensor, shape, from, to, output,\n"
	"                       bytes, metrics (mse rmse sqnr_db max_abs_err\n"
	"                       mean_abs_err cosine), overflow, underflow, nan\n"
	"  --raw DTYPE, --shape SHAPE   FILE holds bare values (see qlens info)\n"
	"\n"
	"Rounding is to nearest, ties to even, as PyTorch's .to(): fp16 and bf16\n"
	"overflow to inf, fp8_e4m3 (e4m3fn, no inf) overflows to NaN, fp8_e5m2 to\n"
	"inf.\n"
	"\n"
	"Examples:\n"
	"  qlens convert model.safetensors -t lm_head.weight --to bf16 -o head.safetensors\n"
	"  qlens convert model.gguf -t blk.0.ffn_up.weight --to fp32 -o ffn_up.npy\n";

enum { OPT_TO, OPT_OUTPUT, OPT_FORCE };

static const ql_opt convert_opts[] = {
	{"tensor", 't', QL_ARG_REQUIRED, QL_FO_TENSOR},
	{"to", 0, QL_ARG_REQUIRED, OPT_TO},
	{"output", 'o', QL_ARG_REQUIRED, OPT_OUTPUT},
	{"force", 'f', QL_ARG_NONE, OPT_FORCE},
	{"json", 0, QL_ARG_NONE, QL_FO_JSON},
	{"raw", 0, QL_ARG_REQUIRED, QL_FO_RAW},
	{"shape", 0, QL_ARG_REQUIRED, QL_FO_SHAPE},
	{0},
};

typedef struct target {
	ql_type type;
	ql_dtype dtype;
	int bytes;
} target;

static bool target_of(const char *name, target *t)
{
	ql_type ty;
	if (!ql_type_from_name(name, &ty))
		return false;
	switch (ty) {
	case QL_FP32: *t = (target){ ty, QL_DT_F32, 4 }; return true;
	case QL_FP16: *t = (target){ ty, QL_DT_F16, 2 }; return true;
	case QL_BF16: *t = (target){ ty, QL_DT_BF16, 2 }; return true;
	case QL_FP8_E4M3: *t = (target){ ty, QL_DT_F8_E4M3, 1 }; return true;
	case QL_FP8_E5M2: *t = (target){ ty, QL_DT_F8_E5M2, 1 }; return true;
	default: return false;
	}
}

typedef struct counts {
	int64_t overflow, underflow, nan;
	ql_metrics m;
} counts;

/* Casts x[n] into out (little-endian codes of t), counting what happened. */
static void cast_all(const float *x, int64_t n, const target *t, uint8_t *out, counts *c)
{
	ql_metrics_acc acc;
	ql_metrics_acc_init(&acc);
	enum { CHUNK = 4096 };
	float xs[CHUNK], ys[CHUNK];
	int k = 0;
	for (int64_t i = 0; i < n; i++) {
		unsigned st = 0;
		uint64_t code = ql_cast(t->type, (double)x[i], &st);
		for (int b = 0; b < t->bytes; b++)
			out[i * t->bytes + b] = (uint8_t)(code >> (8 * b));
		double y = ql_decode(t->type, code);
		if (isnan(y)) {
			if (!isnan(x[i]))
				c->overflow++;
			else
				c->nan++;
			continue;
		}
		if (isinf(y) && !isinf(x[i]))
			c->overflow++;
		if (y == 0 && x[i] != 0)
			c->underflow++;
		if (!isfinite(x[i]) || !isfinite(y))
			continue;
		xs[k] = x[i];
		ys[k] = (float)y;
		if (++k == CHUNK) {
			ql_metrics_add(&acc, xs, ys, CHUNK);
			k = 0;
		}
	}
	ql_metrics_add(&acc, xs, ys, (size_t)k);
	ql_metrics_finish(&acc, &c->m);
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

static void print_json(FILE *out, const char *file, const ql_tensor *t, const char *to,
		       const char *output, uint64_t bytes, const counts *c)
{
	ql_jsonw j;
	ql_jsonw_init(&j, out);
	ql_json_begin_object(&j);
	ql_json_key(&j, "file");
	ql_json_string(&j, file);
	ql_json_key(&j, "tensor");
	ql_json_string(&j, t->name);
	ql_json_key(&j, "shape");
	ql_json_begin_array(&j);
	for (int d = 0; d < t->ndim; d++)
		ql_json_int(&j, t->shape[d]);
	ql_json_end_array(&j);
	ql_json_key(&j, "from");
	ql_json_string(&j, ql_cli_dtype_name(t));
	ql_json_key(&j, "to");
	ql_json_string(&j, to);
	ql_json_key(&j, "output");
	ql_json_string(&j, output);
	ql_json_key(&j, "bytes");
	ql_json_int(&j, (int64_t)bytes);
	ql_json_key(&j, "metrics");
	ql_json_begin_object(&j);
	ql_json_key(&j, "mse");
	ql_json_number(&j, c->m.mse);
	ql_json_key(&j, "rmse");
	ql_json_number(&j, c->m.rmse);
	ql_json_key(&j, "sqnr_db");
	ql_json_number(&j, c->m.sqnr_db);
	ql_json_key(&j, "max_abs_err");
	ql_json_number(&j, c->m.max_abs_err);
	ql_json_key(&j, "mean_abs_err");
	ql_json_number(&j, c->m.mean_abs_err);
	ql_json_key(&j, "cosine");
	ql_json_number(&j, c->m.cosine);
	ql_json_end_object(&j);
	ql_json_key(&j, "overflow");
	ql_json_int(&j, c->overflow);
	ql_json_key(&j, "underflow");
	ql_json_int(&j, c->underflow);
	ql_json_key(&j, "nan");
	ql_json_int(&j, c->nan);
	ql_json_end_object(&j);
	ql_jsonw_finish(&j);
}

int ql_cmd_convert(ql_cmd_ctx *ctx, int argc, char **argv)
{
	const char *cmd = argv[0], *to = NULL, *output = NULL;
	bool force = false;
	ql_fileopts fo;
	ql_fileopts_init(&fo, cmd, QL_FO_SCHEME_NONE);
	ql_args a;
	ql_args_init(&a, argc, argv, convert_opts);
	int id;
	while ((id = ql_args_next(&a)) != QL_ARGS_END) {
		int rc = ql_fileopts_take(ctx, &fo, id, &a);
		if (rc == QL_FO_TAKEN)
			continue;
		if (rc != QL_FO_NOT_MINE)
			return rc;
		switch (id) {
		case OPT_TO: to = a.value; break;
		case OPT_OUTPUT: output = a.value; break;
		case OPT_FORCE: force = true; break;
		}
	}
	if (!fo.file)
		return ql_usage_error(ctx, cmd, "which FILE?");
	if (!to)
		return ql_usage_error(ctx, cmd, "--to TYPE is needed (fp32, fp16, bf16, fp8_e4m3, "
				      "fp8_e5m2)");
	if (!output)
		return ql_usage_error(ctx, cmd, "-o OUT is needed (.npy or .safetensors)");
	int frc = ql_fileopts_finish(ctx, &fo);
	if (frc >= 0)
		return frc;
	const char *file = fo.file, *tensor = fo.tensor;
	bool json = fo.json;
	target tg;
	if (!target_of(to, &tg))
		return ql_usage_error(ctx, cmd, "--to %s: not a float format qlens writes (fp32, fp16, "
				      "bf16, fp8_e4m3, fp8_e5m2)", to);
	bool npy = ends_with(output, ".npy");
	if (!npy && !ends_with(output, ".safetensors"))
		return ql_usage_error(ctx, cmd, "-o %s: the output must end in .npy or .safetensors",
				      output);
	if (npy && (tg.dtype == QL_DT_BF16 || tg.dtype == QL_DT_F8_E4M3 || tg.dtype == QL_DT_F8_E5M2))
		return ql_usage_error(ctx, cmd, "--to %s needs -o FILE.safetensors (.npy has no %s)",
				      to, ql_formats[tg.type].name);

	ql_source *src = NULL;
	float *x = NULL;
	size_t xcap = 0;
	uint8_t *y = NULL;
	ql_writer *w = NULL;
	int rc = QL_EXIT_FAIL;
	ql_error err = { "" };
	if (ql_cli_open(ctx, file, &fo.open, &src))
		goto out;
	long ti = ql_cli_pick_tensor(ctx, src, tensor);
	if (ti < 0)
		goto out;
	const ql_tensor *t = ql_source_tensor(src, (size_t)ti);
	/* A tensor named on the command line is taken whatever its dtype, as
	 * `quantize` takes it: integers read as float32 (`report`, which sweeps
	 * a whole file, skips them and says so). float32 is read straight from
	 * the mapping, not copied. */
	const float *xin = ql_cli_read_floats(src, (size_t)ti, &x, &xcap, &err);
	if (!xin) {
		ql_fail(ctx, "%s", err.msg);
		goto out;
	}
	uint64_t bytes = (uint64_t)t->nelem * (uint64_t)tg.bytes;
	y = malloc(bytes ? (size_t)bytes : 1);
	if (!y) {
		ql_fail(ctx, "%s: out of memory", file);
		goto out;
	}
	counts c = { 0 };
	cast_all(xin, t->nelem, &tg, y, &c);
	if (ql_writer_open(output, force, &w, &err) ||
	    ql_writer_add(w, t->name, tg.dtype, t->shape, t->ndim, y, &err)) {
		ql_fail(ctx, "%s", err.msg);
		goto out;
	}
	if (!npy) {
		char from[400];
		snprintf(from, sizeof from, "%s: %s (%s)", file, t->name, ql_cli_dtype_name(t));
		if (ql_writer_meta(w, "qlens.converted_from", from, &err) ||
		    ql_writer_meta(w, "qlens.converted_to", ql_formats[tg.type].name, &err)) {
			ql_fail(ctx, "%s", err.msg);
			goto out;
		}
	}
	int wrc = ql_writer_close(w, &err);
	w = NULL;
	if (wrc) {
		ql_fail(ctx, "%s", err.msg);
		goto out;
	}
	if (json) {
		print_json(ctx->out, file, t, ql_formats[tg.type].name, output, bytes, &c);
	} else {
		char shape[160];
		ql_shape_string(t, shape, sizeof shape);
		FILE *o = ctx->out;
		fputs("tensor     ", o);
		ql_cli_put_line_safe(o, t->name);
		fprintf(o, "  (%s, %s, %" PRId64 " elements)  in ", ql_cli_dtype_name(t), shape,
			t->nelem);
		ql_cli_put_line_safe(o, file);
		fprintf(o, "\nconverted  to %s -> ", ql_formats[tg.type].name);
		ql_cli_put_line_safe(o, output);
		fprintf(o, " (%" PRIu64 " bytes of data)\n", bytes);
		fprintf(o, "error      RMSE %.4g, max %.4g, SQNR %.2f dB, cosine %.8f\n", c.m.rmse,
			c.m.max_abs_err, c.m.sqnr_db, c.m.cosine);
		fprintf(o, "           %" PRId64 " overflowed, %" PRId64 " underflowed to zero, %" PRId64
			" NaN%s\n", c.overflow, c.underflow, c.nan,
			c.overflow || c.nan ? " (not finite: left out of the error above)" : "");
	}
	rc = QL_EXIT_OK;
out:
	if (w)
		ql_writer_abort(w);
	free(x);
	free(y);
	ql_source_close(src);
	return rc;
}
