/* filecmd.c — helpers shared by the file commands (see filecmd.h). */
#include "filecmd.h"

#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "argcheck.h"
#include "qlens/args.h"
#include "qlens/decimal.h"
#include "qlens/escape.h"

int ql_cli_open(ql_cmd_ctx *ctx, const char *file, const ql_open_opts *opts, ql_source **out)
{
	ql_error err = { "" };
	if (ql_source_open(file, opts, out, &err))
		return ql_fail(ctx, "%s", err.msg);
	return 0;
}

/* The names of src's tensors, ", "-separated, into list (cut short with
 * "... and N more"). */
static void tensor_list(const ql_source *src, char *list, size_t cap)
{
	size_t n = ql_source_count(src), len = 0, shown = 0;
	list[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		const char *tn = ql_source_tensor(src, i)->name;
		if (len + strlen(tn) + 3 >= cap - 32)
			break;
		len += (size_t)snprintf(list + len, cap - len, "%s%s", i ? ", " : "", tn);
		shown++;
	}
	if (shown < n)
		snprintf(list + len, cap - len, ", ... and %zu more", n - shown);
}

long ql_cli_pick_tensor(ql_cmd_ctx *ctx, const ql_source *src, const char *name)
{
	size_t n = ql_source_count(src);
	if (name) {
		long i = ql_source_find(src, name);
		if (i >= 0)
			return i;
	} else if (n == 1) {
		return 0;
	}
	if (n == 0) {
		ql_fail(ctx, "%s: holds no tensors", ql_source_path(src));
		return -1;
	}
	char list[400];
	tensor_list(src, list, sizeof list);
	if (!name)
		ql_fail(ctx, "%s: has %zu tensors; choose one with --tensor NAME (%s)",
			ql_source_path(src), n, list);
	else
		ql_fail(ctx, "%s: no tensor '%s' (it has: %s)", ql_source_path(src), name, list);
	return -1;
}

long ql_cli_pick_role(ql_cmd_ctx *ctx, const ql_source *src, const char *role)
{
	size_t n = ql_source_count(src);
	if (n == 1)
		return 0;
	long i = ql_source_find(src, role);
	if (i >= 0)
		return i;
	if (n == 0) {
		ql_fail(ctx, "%s: holds no tensors", ql_source_path(src));
		return -1;
	}
	char list[400];
	tensor_list(src, list, sizeof list);
	ql_fail(ctx, "%s: has %zu tensors and none named '%s'; give a file with one tensor, or "
		     "name it '%s' (it has: %s)",
		ql_source_path(src), n, role, role, list);
	return -1;
}

const char *ql_cli_dtype_name(const ql_tensor *t)
{
	if (t->dtype == QL_DT_OTHER && t->other_name[0])
		return t->other_name;
	return ql_dtypes[t->dtype].name;
}

const float *ql_cli_read_floats(ql_source *src, size_t i, float **copy, size_t *cap,
				ql_error *err)
{
	if (ql_source_read(src, i, err))
		return NULL;
	const ql_tensor *t = ql_source_tensor(src, i);
	if (t->dtype == QL_DT_F32 && !t->big_endian && (!t->fortran_order || t->ndim <= 1) &&
	    __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ && (uintptr_t)t->data % _Alignof(float) == 0)
		return t->data;
	if (t->nelem < 0 || (uint64_t)t->nelem > SIZE_MAX / sizeof(float)) {
		ql_error_set(err, "%s: tensor '%s' is too large", ql_source_path(src), t->name);
		return NULL;
	}
	size_t need = t->nelem ? (size_t)t->nelem : 1;
	if (*cap < need) {
		free(*copy);
		*copy = malloc(need * sizeof **copy);
		*cap = *copy ? need : 0;
		if (!*copy) {
			ql_error_set(err, "%s: tensor '%s': out of memory (%lld elements)",
				     ql_source_path(src), t->name, (long long)t->nelem);
			return NULL;
		}
	}
	if (ql_tensor_to_f32(t, *copy, err)) {
		ql_error_prefix(err, "%s", ql_source_path(src));
		return NULL;
	}
	return *copy;
}

/* --- shared options ------------------------------------------------------------ */

void ql_fileopts_init(ql_fileopts *fo, const char *cmd, ql_fo_scheme_use use)
{
	memset(fo, 0, sizeof *fo);
	fo->cmd = cmd;
	fo->use = use;
	ql_scheme_init(&fo->scheme);
}

/* Notes the first scheme option, for "a word or options, not both". */
static void scheme_opt(ql_fileopts *fo, const ql_args *a)
{
	fo->scheme_given = true;
	if (!fo->opt_seen)
		fo->opt_seen = a->option;
}

int ql_fileopts_take(ql_cmd_ctx *ctx, ql_fileopts *fo, int id, const ql_args *a)
{
	const char *cmd = fo->cmd;
	ql_scheme *s = &fo->scheme;
	ql_error err = { "" };
	long v;
	double d;
	switch (id) {
	case QL_ARGS_ERROR:
		return ql_usage_error(ctx, cmd, "%s", a->error);
	case QL_ARGS_HELP:
		ql_command_help(ql_command_find(cmd), ctx->out);
		return QL_EXIT_OK;
	case QL_ARGS_POSITIONAL:
		if (!fo->file) {
			fo->file = a->value;
		} else if (fo->use == QL_FO_SCHEME_NONE) {
			return ql_usage_error(ctx, cmd, "one FILE at a time ('%s' and '%s')", fo->file,
					      a->value);
		} else if (!fo->scheme_word) {
			fo->scheme_word = a->value;
			fo->scheme_positional = true;
		} else {
			return ql_usage_error(ctx, cmd, "unexpected '%s' (FILE [SCHEME])", a->value);
		}
		return QL_FO_TAKEN;
	case QL_FO_TENSOR: fo->tensor = a->value; return QL_FO_TAKEN;
	case QL_FO_RAW: fo->open.raw_dtype = a->value; return QL_FO_TAKEN;
	case QL_FO_SHAPE: fo->open.raw_shape = a->value; return QL_FO_TAKEN;
	case QL_FO_JSON: fo->json = true; return QL_FO_TAKEN;
	case QL_FO_THREADS:
		if (!ql_parse_int(a->value, 1, 256, &v))
			return ql_usage_error(ctx, cmd, "--threads needs an integer from 1 to 256, not '%s'",
					      a->value);
		fo->threads = (int)v;
		return QL_FO_TAKEN;
	case QL_FO_SCHEME:
		if (fo->scheme_word)
			return ql_usage_error(ctx, cmd, "one scheme word ('%s' and '%s')", fo->scheme_word,
					      a->value);
		fo->scheme_word = a->value;
		return QL_FO_TAKEN;
	case QL_FO_DTYPE:
		scheme_opt(fo, a);
		if (ql_scheme_parse_dtype(a->value, &s->dtype, &err))
			return ql_usage_error(ctx, cmd, "%s", err.msg);
		return QL_FO_TAKEN;
	case QL_FO_SYM: scheme_opt(fo, a); fo->saw_sym = true; s->sym = QL_SYM; return QL_FO_TAKEN;
	case QL_FO_ASYM: scheme_opt(fo, a); fo->saw_asym = true; s->sym = QL_ASYM; return QL_FO_TAKEN;
	case QL_FO_AXIS:
		scheme_opt(fo, a);
		if (!ql_parse_int(a->value, -QL_MAX_DIMS, QL_MAX_DIMS - 1, &v))
			return ql_usage_error(ctx, cmd, "--axis needs an integer from %d to %d, not '%s'",
					      -QL_MAX_DIMS, QL_MAX_DIMS - 1, a->value);
		fo->saw_axis = true;
		s->gran = QL_GRAN_CHANNEL;
		s->axis = (int)v;
		return QL_FO_TAKEN;
	case QL_FO_GROUP:
		scheme_opt(fo, a);
		/* 0 and negatives parse: the scheme check says what is wrong */
		if (!ql_parse_int(a->value, LONG_MIN, LONG_MAX, &v))
			return ql_usage_error(ctx, cmd, "--group needs an integer, not '%s'", a->value);
		fo->saw_group = true;
		s->gran = QL_GRAN_GROUP;
		s->group = v;
		return QL_FO_TAKEN;
	case QL_FO_CALIB:
		scheme_opt(fo, a);
		if (ql_scheme_parse_calib(a->value, s, &err))
			return ql_usage_error(ctx, cmd, "%s", err.msg);
		return QL_FO_TAKEN;
	case QL_FO_SCALE:
		scheme_opt(fo, a);
		if (ql_parse_value(a->value, &d, &err))
			return ql_usage_error(ctx, cmd, "--scale: %s", err.msg);
		s->has_scale = true;
		s->scale = (float)d;
		return QL_FO_TAKEN;
	case QL_FO_SCALE_DTYPE:
		scheme_opt(fo, a);
		if (ql_scheme_parse_scale_dtype(a->value, &s->scale_dtype, &err))
			return ql_usage_error(ctx, cmd, "--scale-dtype: %s", err.msg);
		return QL_FO_TAKEN;
	case QL_FO_ZP:
		scheme_opt(fo, a);
		if (!ql_parse_int(a->value, INT32_MIN, INT32_MAX, &v))
			return ql_usage_error(ctx, cmd, "--zero-point needs an integer, not '%s'", a->value);
		s->has_zero_point = true;
		s->zero_point = (int32_t)v;
		return QL_FO_TAKEN;
	default:
		return QL_FO_NOT_MINE;
	}
}

int ql_fileopts_finish(ql_cmd_ctx *ctx, ql_fileopts *fo)
{
	const char *cmd = fo->cmd;
	if (!fo->file)
		return ql_usage_error(ctx, cmd, "which FILE?");
	if (fo->open.raw_shape && !fo->open.raw_dtype)
		return ql_usage_error(ctx, cmd, "--shape goes with --raw DTYPE");
	if (ql_cli_check_open_opts(ctx, cmd, &fo->open)) /* --raw NOPE, --shape 4x: before any file */
		return QL_EXIT_USAGE;
	if (fo->scheme_word && fo->opt_seen)
		return ql_usage_error(ctx, cmd, "the scheme '%s' and %s: give the scheme one way, as "
				      "a word or as options", fo->scheme_word, fo->opt_seen);
	if (fo->saw_axis && fo->saw_group)
		return ql_usage_error(ctx, cmd, "--axis and --group exclude each other");
	if (fo->saw_sym && fo->saw_asym)
		return ql_usage_error(ctx, cmd, "--sym and --asym exclude each other");
	if (fo->scheme.has_zero_point && !fo->scheme.has_scale)
		return ql_usage_error(ctx, cmd, "--zero-point goes with --scale");
	if (fo->scheme_word) {
		ql_error err = { "" };
		if (ql_scheme_parse_word(fo->scheme_word, &fo->scheme, &err)) {
			/* `quantize a.npy b.npy`: a second file, not a bad scheme */
			if (fo->scheme_positional && access(fo->scheme_word, F_OK) == 0)
				return ql_usage_error(ctx, cmd, "one FILE at a time ('%s' and '%s')",
						      fo->file, fo->scheme_word);
			return ql_usage_error(ctx, cmd, "%s", err.msg);
		}
		fo->scheme_given = true;
	}
	/* What the scheme says on its own (--group 0, --scale nan, --asym with
	 * fp8, ...) is an argument error (exit 2); what depends on the tensor
	 * (an axis it lacks) is checked once it is read. */
	ql_error err = { "" };
	if (fo->use != QL_FO_SCHEME_NONE && ql_scheme_validate(&fo->scheme, NULL, 0, &err))
		return ql_usage_error(ctx, cmd, "%s", err.msg);
	return -1;
}

/* --- progress ---------------------------------------------------------------- */

#define BAR 24

void ql_progress_start(ql_progress *p, ql_cmd_ctx *ctx, double total, bool want)
{
	p->ctx = ctx;
	p->on = want && ctx->progress;
	p->total = total > 0 ? total : 1;
	p->done = 0;
	p->last_width = 0;
}

void ql_progress_step(ql_progress *p, double done, size_t i, size_t n, const char *what)
{
	if (!p->on)
		return;
	int fill = (int)(BAR * (done / p->total));
	if (fill > BAR)
		fill = BAR;
	char bar[BAR + 1];
	for (int k = 0; k < BAR; k++)
		bar[k] = k < fill ? '#' : '.';
	bar[BAR] = '\0';
	char name[44]; /* a tensor name from the file: escaped, and short */
	ql_escape_short(what, name, sizeof name);
	fprintf(p->ctx->err, "\r[%s] %zu/%zu %s\033[K", bar, i, n, name);
	fflush(p->ctx->err);
}

void ql_progress_end(ql_progress *p)
{
	if (!p->on)
		return;
	fputs("\r\033[K", p->ctx->err);
	fflush(p->ctx->err);
}

/* --- text --------------------------------------------------------------------- */

void ql_cli_put_line_safe(FILE *out, const char *s)
{
	ql_escape_fputs(out, s, QL_ESC_TERM);
}

size_t ql_cli_text_width(const char *s)
{
	char small[512], *buf = small;
	size_t need = ql_escape(small, sizeof small, s, QL_ESC_TERM);
	if (need >= sizeof small && (buf = malloc(need + 1)) != NULL)
		ql_escape(buf, need + 1, s, QL_ESC_TERM);
	if (!buf) /* out of memory: the bytes, as before */
		return strlen(s);
	size_t w = 0;
	for (const unsigned char *p = (const unsigned char *)buf; *p; p++)
		w += (*p & 0xC0) != 0x80; /* a character per lead byte */
	if (buf != small)
		free(buf);
	return w;
}

const char *ql_cli_num(double v, char *buf, size_t n)
{
	if (isnan(v))
		snprintf(buf, n, "nan");
	else if (isinf(v))
		snprintf(buf, n, v < 0 ? "-inf" : "inf");
	else
		for (int p = 1; p <= 17; p++) {
			snprintf(buf, n, "%.*g", p, v);
			if (strtod(buf, NULL) == v)
				break;
		}
	return buf;
}
