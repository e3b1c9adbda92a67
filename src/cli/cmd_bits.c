/* cmd_bits.c — `qlens bits`: how values are stored in each format.
 *
 * For each VALUE and each format: the bits grouped sign | exponent |
 * mantissa, the hex code, the stored value with N digits after the point
 * (exact, or correctly rounded when N is smaller than the exact expansion),
 * the class and the error against the input. Every number comes from the
 * format core (format.h) and decimal.h; this file only lays them out.
 */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cmds.h"
#include "qlens/args.h"
#include "qlens/command.h"
#include "qlens/decimal.h"
#include "qlens/escape.h"
#include "qlens/format.h"
#include "qlens/jsonw.h"
#include "qlens/valueinfo.h"

const char ql_bits_help[] =
	"VALUE is a decimal or scientific number (0.1, -2.5e-3), a fraction (1/3),\n"
	"a hex float (0x1.8p-2), inf, -inf or nan. Negative values need no `--`.\n"
	"The value is first read as a double (fp64), as Python does; each format\n"
	"then rounds that double to nearest, ties to even.\n"
	"\n"
	"Options:\n"
	"  -t, --types LIST   formats to show, comma-separated, or `all`\n"
	"                     (default: every format). Names: fp64 fp32 fp16 bf16\n"
	"                     fp8_e4m3 fp8_e5m2 fp6_e2m3 fp6_e3m2 fp4_e2m1 e8m0 int8\n"
	"                     uint8 int4 uint4 int2 uint2 nf4\n"
	"  -d, --digits N     digits after the point (default 60; `exact` for every\n"
	"                     digit). Fewer digits than the exact value has are\n"
	"                     rounded half to even, like Python's format(x, '.Nf').\n"
	"  --hex CODE         a raw bit pattern instead of a value (repeatable);\n"
	"      --type T       the format CODE belongs to (required with --hex)\n"
	"  --int MODE         how float -> integer formats convert: `cast` (default:\n"
	"                     truncate toward zero, like torch.tensor(x, dtype=int8)\n"
	"                     and C) or `round` (nearest, ties to even, as\n"
	"                     quantization rounds x/scale)\n"
	"  --json             one JSON array: an object per value and format with\n"
	"                     input, type, bits, hex, value (exact decimal), class,\n"
	"                     abs_error, rel_error, status\n"
	"  --tui              open the bit explorer on the first VALUE\n"
	"\n"
	"Overflow: fp32/fp16/bf16/fp8_e5m2 give inf; fp8_e4m3 (no inf) gives NaN\n"
	"beyond 448 after rounding, as PyTorch's cast does; fp6/fp4/e8m0/ints/nf4\n"
	"saturate. Where PyTorch's conversion, which goes through fp32 first, would\n"
	"store a different code (double rounding), a note says so.\n"
	"\n"
	"Examples:\n"
	"  qlens bits 1/3 --types fp32,fp16,bf16,int8\n"
	"  qlens bits -2.5e-3 448 465 --types fp8_e4m3 --digits 10\n"
	"  qlens bits --hex 0x3eaaaaab --type fp32 --types fp32,bf16\n"
	"  qlens bits 0.1 --json\n";

enum { OPT_TYPES, OPT_DIGITS, OPT_HEX, OPT_TYPE, OPT_INT, OPT_JSON, OPT_TUI };

static const ql_opt bits_opts[] = {
	{"types", 't', QL_ARG_REQUIRED, OPT_TYPES},
	{"digits", 'd', QL_ARG_REQUIRED, OPT_DIGITS},
	{"hex", 0, QL_ARG_REQUIRED, OPT_HEX},
	{"type", 0, QL_ARG_REQUIRED, OPT_TYPE},
	{"int", 0, QL_ARG_REQUIRED, OPT_INT},
	{"json", 0, QL_ARG_NONE, OPT_JSON},
	{"tui", 0, QL_ARG_NONE, OPT_TUI},
	{0},
};

typedef struct input {
	const char *text;  /* as typed */
	bool is_hex;
	uint64_t code;     /* with is_hex */
	double value;
} input;

typedef struct bits_opts_t {
	ql_type types[QL_TYPE_COUNT * 4];
	int ntypes;
	int digits;       /* -1: exact */
	bool int_round;
	bool json;
} bits_cfg;

/* One format's view of one value: the core's ql_value_info, which the bit
 * explorer prints too. */
static void make_row(const bits_cfg *cfg, ql_type t, double x, ql_value_info *r)
{
	ql_value_info_of(t, x, cfg->int_round ? QL_CONV_ROUND : QL_CONV_CAST, r);
}

static void hex_string(ql_type t, uint64_t code, char *buf, size_t n)
{
	int width = (ql_formats[t].bits + 3) / 4;
	snprintf(buf, n, "0x%0*" PRIx64, width, code);
}

static void status_words(unsigned st, char *buf, size_t n)
{
	buf[0] = '\0';
	static const struct {
		unsigned bit;
		const char *word;
	} words[] = {
		{QL_ST_INEXACT, "inexact"},
		{QL_ST_OVERFLOW, "overflow"},
		{QL_ST_UNDERFLOW, "underflow"},
		{QL_ST_INVALID, "invalid"},
	};
	size_t k = 0;
	for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
		if (st & words[i].bit)
			k += (size_t)snprintf(buf + k, k < n ? n - k : 0, "%s%s", k ? "," : "",
					      words[i].word);
	}
	if (k == 0)
		snprintf(buf, n, "exact");
}

static void value_text(const bits_cfg *cfg, double v, char *buf, size_t n)
{
	if (cfg->digits < 0)
		ql_decimal_exact(v, buf, n);
	else
		ql_decimal_fixed(v, cfg->digits, buf, n);
}

static void print_text_row(FILE *out, const bits_cfg *cfg, const ql_value_info *r)
{
	const ql_format *f = &ql_formats[r->type];
	char bits[96], hex[24], val[QL_DECIMAL_MAX + 8];
	ql_bits_string(r->type, r->code, '|', bits, sizeof bits);
	/* spaces around the field separators read better */
	char spaced[160];
	size_t k = 0;
	for (const char *p = bits; *p && k + 4 < sizeof spaced; p++) {
		if (*p == '|') {
			memcpy(spaced + k, " | ", 3);
			k += 3;
		} else {
			spaced[k++] = *p;
		}
	}
	spaced[k] = '\0';
	hex_string(r->type, r->code, hex, sizeof hex);
	value_text(cfg, r->stored, val, sizeof val);
	fprintf(out, "%-9s %s  %s  %s\n", f->name, spaced, hex, ql_class_name(r->cls));
	fprintf(out, "          %s\n", val);

	char err[64], rel[64], ulp[48];
	if (isnan(r->error) && r->exact) { /* inf - inf is NaN too: say which */
		snprintf(err, sizeof err, "none (%s stored as %s)",
			 isinf(r->stored) ? (r->stored > 0 ? "inf" : "-inf") : "NaN",
			 isinf(r->stored) ? "itself" : "NaN");
		rel[0] = '\0';
	} else {
		snprintf(err, sizeof err, "%+.10g", r->error);
		if (!isnan(r->rel_error))
			snprintf(rel, sizeof rel, " (relative %+.2e)", r->rel_error);
		else
			rel[0] = '\0';
	}
	if (isnan(r->ulp))
		ulp[0] = '\0';
	else if (r->ulp_is_step)
		snprintf(ulp, sizeof ulp, "  step %.0f", r->ulp);
	else
		snprintf(ulp, sizeof ulp, "  ulp %.2e", r->ulp);
	char st[64];
	status_words(r->status, st, sizeof st);
	fprintf(out, "          error %s%s%s  [%s]", err, rel, ulp, st);
	if (f->kind == QL_KIND_INT)
		fprintf(out, "  %s", cfg->int_round ? "rounded to nearest even"
					       : "cast: truncates toward zero");
	if ((r->status & QL_ST_OVERFLOW) && f->kind == QL_KIND_INT && !cfg->int_round)
		fprintf(out, " (clamped; PyTorch's cast wraps around)");
	fputc('\n', out);
	if (r->torch_differs) {
		char th[24];
		hex_string(r->type, r->torch_code, th, sizeof th);
		fprintf(out, "          note: PyTorch converts through fp32 first and stores %s "
			     "(double rounding)\n", th);
	}
}

static void print_json_row(ql_jsonw *j, const bits_cfg *cfg, const input *in,
			   const ql_value_info *r)
{
	char bits[96], hex[24], val[QL_DECIMAL_MAX + 8], st[64];
	ql_bits_string(r->type, r->code, 0, bits, sizeof bits);
	hex_string(r->type, r->code, hex, sizeof hex);
	ql_decimal_exact(r->stored, val, sizeof val);
	unsigned s;
	uint64_t e, m;
	ql_fields(r->type, r->code, &s, &e, &m);
	ql_json_begin_object(j);
	ql_json_key(j, "input");
	ql_json_string(j, in->text);
	ql_json_key(j, "input_value");
	ql_json_number(j, in->value);
	ql_json_key(j, "type");
	ql_json_string(j, ql_formats[r->type].name);
	ql_json_key(j, "bits");
	ql_json_string(j, bits);
	ql_json_key(j, "hex");
	ql_json_string(j, hex);
	ql_json_key(j, "sign");
	ql_json_int(j, s);
	ql_json_key(j, "exponent");
	ql_json_int(j, (int64_t)e);
	ql_json_key(j, "mantissa");
	ql_json_int(j, (int64_t)m);
	ql_json_key(j, "value");
	ql_json_string(j, val);
	if (cfg->digits >= 0) {
		ql_decimal_fixed(r->stored, cfg->digits, val, sizeof val);
		ql_json_key(j, "value_fixed");
		ql_json_string(j, val);
	}
	ql_json_key(j, "class");
	ql_json_string(j, ql_class_name(r->cls));
	ql_json_key(j, "error");
	ql_json_number(j, r->error);
	ql_json_key(j, "abs_error");
	ql_json_number(j, fabs(r->error));
	ql_json_key(j, "rel_error");
	ql_json_number(j, in->value != 0 ? fabs(r->error / in->value) : NAN);
	ql_json_key(j, r->ulp_is_step ? "step" : "ulp");
	ql_json_number(j, r->ulp);
	ql_json_key(j, "status");
	status_words(r->status, st, sizeof st);
	ql_json_string(j, st);
	if (ql_formats[r->type].kind == QL_KIND_INT) {
		ql_json_key(j, "conversion");
		ql_json_string(j, cfg->int_round ? "round" : "cast");
	}
	if (r->torch_differs) {
		hex_string(r->type, r->torch_code, hex, sizeof hex);
		ql_json_key(j, "torch_hex");
		ql_json_string(j, hex);
	}
	ql_json_end_object(j);
}

static int parse_hex(const char *text, ql_type t, uint64_t *code, char *why, size_t n)
{
	const char *p = text;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
		p += 2;
	if (!*p || strlen(p) > 16 || strspn(p, "0123456789abcdefABCDEF") != strlen(p)) {
		snprintf(why, n, "'%s' is not a hex bit pattern", text);
		return -1;
	}
	uint64_t v = strtoull(p, NULL, 16);
	if (v & ~ql_code_mask(t)) {
		snprintf(why, n, "'%s' does not fit in %s's %d bits", text, ql_formats[t].name,
			 ql_formats[t].bits);
		return -1;
	}
	*code = v;
	return 0;
}

int ql_cmd_bits(ql_cmd_ctx *ctx, int argc, char **argv)
{
	bits_cfg cfg = {.digits = 60};
	bool tui = false, have_type = false;
	ql_type hex_type = QL_FP32;
	input *ins = calloc((size_t)argc + 1, sizeof *ins);
	int nin = 0, rc = QL_EXIT_OK;
	const char *hex_texts[64];
	int nhex = 0;
	if (!ins)
		return ql_fail(ctx, "out of memory");

	ql_args a;
	ql_args_init(&a, argc, argv, bits_opts);
	int id;
	while ((id = ql_args_next(&a)) != QL_ARGS_END) {
		switch (id) {
		case QL_ARGS_HELP:
			ql_command_help(ql_command_find("bits"), ctx->out);
			goto done;
		case QL_ARGS_ERROR:
			rc = ql_usage_error(ctx, "bits", "%s", a.error);
			goto done;
		case QL_ARGS_POSITIONAL: {
			ql_error err;
			ins[nin].text = a.value;
			if (ql_parse_value(a.value, &ins[nin].value, &err)) {
				rc = ql_usage_error(ctx, "bits", "%s", err.msg);
				goto done;
			}
			nin++;
			break;
		}
		case OPT_TYPES:
			if (strcasecmp(a.value, "all") == 0) {
				cfg.ntypes = 0;
				for (int t = 0; t < QL_TYPE_COUNT; t++)
					cfg.types[cfg.ntypes++] = (ql_type)t;
				break;
			}
			const char *bad;
			size_t bad_len;
			cfg.ntypes = ql_type_list(a.value, cfg.types, QL_TYPE_COUNT * 4, &bad, &bad_len);
			if (cfg.ntypes == -2) {
				rc = ql_usage_error(ctx, "bits", "--types lists more than %d formats",
						    QL_TYPE_COUNT * 4);
				goto done;
			}
			if (cfg.ntypes < 0) {
				rc = ql_usage_error(ctx, "bits", "unknown type '%.*s' in --types",
						    (int)bad_len, bad);
				goto done;
			}
			break;
		case OPT_DIGITS: {
			long d;
			if (strcasecmp(a.value, "exact") == 0 || strcasecmp(a.value, "all") == 0) {
				cfg.digits = -1;
			} else if (ql_parse_int(a.value, 0, 1100, &d)) {
				cfg.digits = (int)d;
			} else {
				rc = ql_usage_error(ctx, "bits",
						    "--digits takes a whole number from 0 to 1100 or "
						    "'exact', not '%s'", a.value);
				goto done;
			}
			break;
		}
		case OPT_HEX:
			if (nhex == (int)(sizeof hex_texts / sizeof hex_texts[0])) {
				rc = ql_usage_error(ctx, "bits", "too many --hex patterns");
				goto done;
			}
			hex_texts[nhex++] = a.value;
			break;
		case OPT_TYPE:
			if (!ql_type_from_name(a.value, &hex_type)) {
				rc = ql_usage_error(ctx, "bits", "unknown type '%s' for --type", a.value);
				goto done;
			}
			have_type = true;
			break;
		case OPT_INT:
			if (strcasecmp(a.value, "cast") == 0 || strcasecmp(a.value, "round") == 0) {
				cfg.int_round = a.value[0] == 'r' || a.value[0] == 'R';
			} else {
				rc = ql_usage_error(ctx, "bits", "--int takes 'cast' or 'round', not '%s'",
						    a.value);
				goto done;
			}
			break;
		case OPT_JSON: cfg.json = true; break;
		case OPT_TUI: tui = true; break;
		}
	}
	if (nhex && !have_type) {
		rc = ql_usage_error(ctx, "bits", "--hex needs --type (the format the bits belong to)");
		goto done;
	}
	if (have_type && !nhex) {
		rc = ql_usage_error(ctx, "bits", "--type names the format of a --hex pattern");
		goto done;
	}
	for (int i = 0; i < nhex; i++) {
		char why[160];
		ins[nin].text = hex_texts[i];
		ins[nin].is_hex = true;
		if (parse_hex(hex_texts[i], hex_type, &ins[nin].code, why, sizeof why)) {
			rc = ql_usage_error(ctx, "bits", "%s", why);
			goto done;
		}
		ins[nin].value = ql_decode(hex_type, ins[nin].code);
		nin++;
	}
	if (nin == 0) {
		rc = ql_usage_error(ctx, "bits", "give a VALUE (e.g. 1/3) or --hex CODE --type T");
		goto done;
	}
	if (tui && cfg.json) {
		rc = ql_usage_error(ctx, "bits", "--tui shows the value on screen; --json is for the shell");
		goto done;
	}
	if (tui) {
		/* The screen comes through the context's hook: from the shell it
		 * starts the TUI, at the TUI's prompt it opens the screen there. */
		char *args[] = {(char *)ins[0].text, NULL};
		rc = ql_cmd_open_screen(ctx, "bits", 1, args);
		goto done;
	}
	if (cfg.ntypes == 0) {
		if (nhex) /* the pattern's own format first */
			cfg.types[cfg.ntypes++] = hex_type;
		for (int t = 0; t < QL_TYPE_COUNT; t++)
			if (!(nhex && (ql_type)t == hex_type))
				cfg.types[cfg.ntypes++] = (ql_type)t;
	}

	ql_jsonw j;
	if (cfg.json) {
		ql_jsonw_init(&j, ctx->out);
		ql_json_begin_array(&j);
	}
	for (int i = 0; i < nin; i++) {
		const input *in = &ins[i];
		if (!cfg.json) {
			char exact[QL_DECIMAL_MAX];
			ql_decimal_exact(in->value, exact, sizeof exact);
			/* the value as typed, escaped: strtod takes "nan\r " */
			fputs(i ? "\n" : "", ctx->out);
			ql_escape_fputs(ctx->out, in->text, QL_ESC_TERM);
			if (in->is_hex)
				fprintf(ctx->out, " (%s) = %s\n\n", ql_formats[hex_type].name, exact);
			else
				fprintf(ctx->out, " = %s (read as fp64)\n\n", exact);
		}
		for (int k = 0; k < cfg.ntypes; k++) {
			ql_value_info r;
			if (in->is_hex && cfg.types[k] == hex_type) /* the pattern itself, even a NaN payload or -0 */
				ql_value_info_code(hex_type, in->code, in->value, 0, &r);
			else
				make_row(&cfg, cfg.types[k], in->value, &r);
			if (cfg.json)
				print_json_row(&j, &cfg, in, &r);
			else
				print_text_row(ctx->out, &cfg, &r);
		}
	}
	if (cfg.json) {
		ql_json_end_array(&j);
		ql_jsonw_finish(&j);
	}
done:
	free(ins);
	return rc;
}
