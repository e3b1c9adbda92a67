/* cmd_dtypes.c — `qlens dtypes`: the finfo/iinfo table of every format.
 *
 * Float formats get torch.finfo's fields (bits eps max min tiny
 * smallest_normal smallest_subnormal resolution) plus their field widths and
 * bias; integer formats torch.iinfo's (bits min max); the NF4 codebook its
 * levels. The numbers come from ql_finfo_get(); numbers are printed in the
 * shortest form that reads back exactly, as Python's repr does.
 */
#include <math.h>
#include <string.h>

#include "cmds.h"
#include "dtypes_blocks.h"
#include "qlens/args.h"
#include "qlens/command.h"
#include "qlens/decimal.h"
#include "qlens/format.h"
#include "qlens/jsonw.h"

const char ql_dtypes_help[] =
	"Options:\n"
	"  -t, --types LIST   only these formats (comma-separated; default: all)\n"
	"  --blocks           the block formats instead (q8_0 ... q6_k, iq4_xs, tq1_0,\n"
	"                     mxfp4_ggml, nvfp4): block length, bytes field by\n"
	"                     field, bits per weight; --types then names block formats\n"
	"  --json             an object keyed by type name; float formats have\n"
	"                     bits, exponent_bits, mantissa_bits, bias, eps, max, min,\n"
	"                     tiny, smallest_normal, smallest_subnormal, resolution;\n"
	"                     integer formats bits, min, max\n"
	"\n"
	"eps is the gap between 1 and the next value; tiny = smallest_normal;\n"
	"resolution = 10^-floor(-log10(eps)). For fp64, fp32, fp16, bf16, int8 and\n"
	"uint8 these equal torch.finfo / torch.iinfo.\n"
	"\n"
	"Examples:\n"
	"  qlens dtypes\n"
	"  qlens dtypes --types fp16,bf16 --json\n"
	"  qlens dtypes --blocks --types q4_k,q6_k\n";

enum { OPT_TYPES, OPT_JSON, OPT_BLOCKS };

static const ql_opt dtypes_opts[] = {
	{"types", 't', QL_ARG_REQUIRED, OPT_TYPES},
	{"json", 0, QL_ARG_NONE, OPT_JSON},
	{"blocks", 0, QL_ARG_NONE, OPT_BLOCKS},
	{0},
};

static const char *num(double v, char *buf, size_t n)
{
	if (isnan(v)) {
		snprintf(buf, n, "-");
		return buf;
	}
	ql_decimal_short(v, buf, n);
	return buf;
}

enum { NCOL = 11 };

static void text_table(FILE *out, const ql_type *types, int n)
{
	/* Floats: cells first, then columns as wide as their widest cell. */
	static const char *const head[NCOL] = {"float", "bits", "exp", "man", "bias", "eps", "max",
					       "min", "tiny=smallest_normal", "smallest_subnormal",
					       "resolution"};
	char cells[QL_TYPE_COUNT * 4 + 1][NCOL][40];
	int rows = 0, width[NCOL] = {0};
	for (int c = 0; c < NCOL; c++)
		snprintf(cells[0][c], 40, "%s", head[c]);
	rows = 1;
	for (int i = 0; i < n; i++) {
		const ql_format *f = &ql_formats[types[i]];
		if (f->kind != QL_KIND_FLOAT && f->kind != QL_KIND_SCALE)
			continue;
		ql_finfo fi;
		ql_finfo_get(types[i], &fi);
		char (*r)[40] = cells[rows++];
		snprintf(r[0], 40, "%s", f->name);
		snprintf(r[1], 40, "%d", fi.bits);
		snprintf(r[2], 40, "%d", fi.exp_bits);
		snprintf(r[3], 40, "%d", fi.man_bits);
		snprintf(r[4], 40, "%d", fi.bias);
		num(fi.eps, r[5], 40);
		num(fi.max, r[6], 40);
		num(fi.min, r[7], 40);
		num(fi.tiny, r[8], 40);
		if (fi.smallest_subnormal > 0)
			num(fi.smallest_subnormal, r[9], 40);
		else
			snprintf(r[9], 40, "-");
		num(fi.resolution, r[10], 40);
	}
	for (int y = 0; y < rows; y++)
		for (int c = 0; c < NCOL; c++)
			if ((int)strlen(cells[y][c]) > width[c])
				width[c] = (int)strlen(cells[y][c]);
	for (int y = 0; rows > 1 && y < rows; y++) {
		for (int c = 0; c < NCOL; c++) {
			bool right = c >= 1 && c <= 4;
			int w = c == NCOL - 1 ? 0 : width[c]; /* no trailing blanks */
			fprintf(out, "%s%*s", c ? "  " : "", right ? w : -w, cells[y][c]);
		}
		fputc('\n', out);
	}
	if (rows > 1)
		fprintf(out, "(eps: the gap above 1; min = -max except e8m0, which has no sign; "
			     "resolution = 10^-floor(-log10(eps)))\n");

	char b[4][40];
	bool header = false;
	for (int i = 0; i < n; i++) {
		const ql_format *f = &ql_formats[types[i]];
		if (f->kind != QL_KIND_INT)
			continue;
		if (!header) {
			fprintf(out, "%s%-9s %4s %6s %6s\n", n > 1 ? "\n" : "", "integer", "bits", "min",
				"max");
			header = true;
		}
		fprintf(out, "%-9s %4d %6lld %6lld\n", f->name, f->bits, (long long)f->imin,
			(long long)f->imax);
	}
	for (int i = 0; i < n; i++) {
		const ql_format *f = &ql_formats[types[i]];
		if (f->kind != QL_KIND_CODEBOOK)
			continue;
		ql_finfo fi;
		ql_finfo_get(types[i], &fi);
		fprintf(out, "%s%s: %d bits, %g levels from %s to %s, smallest positive %s:\n ",
			n > 1 ? "\n" : "", f->name, fi.bits, fi.levels, num(fi.min, b[0], 40),
			num(fi.max, b[1], 40), num(fi.tiny, b[2], 40));
		for (int c = 0; c < (1 << f->bits); c++)
			fprintf(out, " %s", num(f->levels[c], b[3], 40));
		fputc('\n', out);
	}
	bool any_float = false;
	for (int i = 0; i < n; i++)
		any_float |= ql_formats[types[i]].kind == QL_KIND_FLOAT;
	if (any_float)
		fprintf(out, "\nOverflow: fp64/fp32/fp16/bf16/fp8_e5m2 -> inf; fp8_e4m3 -> NaN; "
			     "fp6/fp4/e8m0 saturate.\n");
}

static void json_table(FILE *out, const ql_type *types, int n)
{
	ql_jsonw j;
	ql_jsonw_init(&j, out);
	ql_json_begin_object(&j);
	for (int i = 0; i < n; i++) {
		const ql_format *f = &ql_formats[types[i]];
		ql_finfo fi;
		ql_finfo_get(types[i], &fi);
		ql_json_key(&j, f->name);
		ql_json_begin_object(&j);
		ql_json_key(&j, "kind");
		ql_json_string(&j, f->kind == QL_KIND_INT ? "int" : f->kind == QL_KIND_CODEBOOK ? "codebook"
				   : f->kind == QL_KIND_SCALE ? "scale" : "float");
		ql_json_key(&j, "title");
		ql_json_string(&j, f->title);
		ql_json_key(&j, "bits");
		ql_json_int(&j, fi.bits);
		if (f->kind == QL_KIND_INT) {
			ql_json_key(&j, "min");
			ql_json_int(&j, f->imin);
			ql_json_key(&j, "max");
			ql_json_int(&j, f->imax);
		} else {
			if (f->kind != QL_KIND_CODEBOOK) {
				ql_json_key(&j, "exponent_bits");
				ql_json_int(&j, fi.exp_bits);
				ql_json_key(&j, "mantissa_bits");
				ql_json_int(&j, fi.man_bits);
				ql_json_key(&j, "bias");
				ql_json_int(&j, fi.bias);
			}
			ql_json_key(&j, "eps");
			ql_json_number(&j, fi.eps);
			ql_json_key(&j, "max");
			ql_json_number(&j, fi.max);
			ql_json_key(&j, "min");
			ql_json_number(&j, fi.min);
			ql_json_key(&j, "tiny");
			ql_json_number(&j, fi.tiny);
			ql_json_key(&j, "smallest_normal");
			ql_json_number(&j, fi.smallest_normal);
			ql_json_key(&j, "smallest_subnormal");
			if (fi.smallest_subnormal > 0)
				ql_json_number(&j, fi.smallest_subnormal);
			else /* none (e8m0): the table's '-', not a value 0 it cannot hold */
				ql_json_null(&j);
			ql_json_key(&j, "resolution");
			ql_json_number(&j, fi.resolution);
			ql_json_key(&j, "has_inf");
			ql_json_bool(&j, f->has_inf);
			ql_json_key(&j, "has_nan");
			ql_json_bool(&j, f->nan != QL_NAN_NONE);
		}
		ql_json_key(&j, "levels");
		ql_json_number(&j, fi.levels);
		if (f->kind == QL_KIND_CODEBOOK) {
			ql_json_key(&j, "values");
			ql_json_begin_array(&j);
			for (int c = 0; c < (1 << f->bits); c++)
				ql_json_number(&j, f->levels[c]);
			ql_json_end_array(&j);
		}
		ql_json_key(&j, "overflow");
		ql_json_string(&j, f->overflow_rule);
		ql_json_key(&j, "torch");
		if (f->torch_name)
			ql_json_string(&j, f->torch_name);
		else
			ql_json_null(&j);
		ql_json_end_object(&j);
	}
	ql_json_end_object(&j);
	ql_jsonw_finish(&j);
}

/* --types before --blocks names block formats: is --blocks further on? */
static bool dtypes_blocks_later(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--blocks") == 0)
			return true;
	return false;
}

int ql_cmd_dtypes(ql_cmd_ctx *ctx, int argc, char **argv)
{
	ql_type types[QL_TYPE_COUNT * 4];
	int n = 0;
	bool json = false, blocks = false;
	const char *list = NULL;
	ql_args a;
	ql_args_init(&a, argc, argv, dtypes_opts);
	int id;
	while ((id = ql_args_next(&a)) != QL_ARGS_END) {
		switch (id) {
		case QL_ARGS_HELP: ql_command_help(ql_command_find("dtypes"), ctx->out); return 0;
		case QL_ARGS_ERROR: return ql_usage_error(ctx, "dtypes", "%s", a.error);
		case QL_ARGS_POSITIONAL:
			return ql_usage_error(ctx, "dtypes", "unexpected argument '%s'", a.value);
		case OPT_BLOCKS: blocks = true; break;
		case OPT_TYPES: {
			list = a.value;
			if (blocks)
				break; /* block format names, checked below */
			const char *bad;
			size_t bad_len;
			n = ql_type_list(a.value, types, QL_TYPE_COUNT * 4, &bad, &bad_len);
			if (n == -2)
				return ql_usage_error(ctx, "dtypes", "--types lists more than %d formats",
						      QL_TYPE_COUNT * 4);
			if (n < 0 && !dtypes_blocks_later(argc, argv))
				return ql_usage_error(ctx, "dtypes", "unknown type '%.*s' in --types",
						      (int)bad_len, bad);
			break;
		}
		case OPT_JSON: json = true; break;
		}
	}
	if (blocks) {
		const char *bad;
		size_t bad_len;
		if (ql_dtypes_blocks(ctx->out, json, list, &bad, &bad_len))
			return ql_usage_error(ctx, "dtypes", "unknown block format '%.*s' in --types",
					      (int)bad_len, bad);
		return QL_EXIT_OK;
	}
	if (n == 0)
		for (int t = 0; t < QL_TYPE_COUNT; t++)
			types[n++] = (ql_type)t;
	if (json)
		json_table(ctx->out, types, n);
	else
		text_table(ctx->out, types, n);
	return QL_EXIT_OK;
}
