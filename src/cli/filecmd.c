/* filecmd.c — helpers shared by the file commands (see filecmd.h). */
#include "filecmd.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "qlens/args.h"

int ql_cli_open(ql_cmd_ctx *ctx, const char *file, const ql_open_opts *opts, ql_source **out)
{
	ql_error err = { "" };
	if (ql_source_open(file, opts, out, &err))
		return ql_fail(ctx, "%s", err.msg);
	return 0;
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
	size_t len = 0, shown = 0;
	list[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		const char *tn = ql_source_tensor(src, i)->name;
		if (len + strlen(tn) + 3 >= sizeof list - 32)
			break;
		len += (size_t)snprintf(list + len, sizeof list - len, "%s%s", i ? ", " : "", tn);
		shown++;
	}
	if (shown < n)
		snprintf(list + len, sizeof list - len, ", ... and %zu more", n - shown);
	if (!name)
		ql_fail(ctx, "%s: has %zu tensors; choose one with --tensor NAME (%s)",
			ql_source_path(src), n, list);
	else
		ql_fail(ctx, "%s: no tensor '%s' (it has: %s)", ql_source_path(src), name, list);
	return -1;
}

const char *ql_cli_dtype_name(const ql_tensor *t)
{
	if (t->dtype == QL_DT_OTHER && t->other_name[0])
		return t->other_name;
	return ql_dtypes[t->dtype].name;
}

int ql_cli_parse_scheme(const char *word, ql_scheme *s, ql_error *err)
{
	ql_scheme_init(s);
	char buf[128];
	if (strlen(word) >= sizeof buf)
		return ql_error_set(err, "scheme '%.40s...' is too long", word);
	snprintf(buf, sizeof buf, "%s", word);
	char *save = NULL;
	char *part = strtok_r(buf, "/", &save);
	if (!part)
		return ql_error_set(err, "empty scheme");
	if (ql_scheme_parse_dtype(part, &s->dtype, err))
		return -1;
	bool gran = false;
	while ((part = strtok_r(NULL, "/", &save)) != NULL) {
		long v;
		if (!strcasecmp(part, "sym")) {
			s->sym = QL_SYM;
		} else if (!strcasecmp(part, "asym")) {
			s->sym = QL_ASYM;
		} else if (!strncasecmp(part, "ch", 2)) {
			if (gran)
				return ql_error_set(err, "scheme '%s': one of /chN or /gN", word);
			v = 0;
			if (part[2] && !ql_parse_int(part + 2, -QL_MAX_DIMS, QL_MAX_DIMS - 1, &v))
				return ql_error_set(err, "scheme '%s': '%s' needs an axis, as in ch0", word, part);
			s->gran = QL_GRAN_CHANNEL;
			s->axis = (int)v;
			gran = true;
		} else if ((part[0] == 'g' || part[0] == 'G') && part[1]) {
			if (gran)
				return ql_error_set(err, "scheme '%s': one of /chN or /gN", word);
			if (!ql_parse_int(part + 1, 1, 1L << 40, &v))
				return ql_error_set(err, "scheme '%s': '%s' needs a group size of at least 1, "
						    "as in g32", word, part);
			s->gran = QL_GRAN_GROUP;
			s->group = v;
			gran = true;
		} else if (!strncasecmp(part, "scale:", 6)) { /* scale:fp16: the scales' type */
			if (ql_scheme_parse_scale_dtype(part + 6, &s->scale_dtype, err))
				return ql_error_prefix(err, "scheme '%s'", word);
		} else if (ql_scheme_parse_calib(part, s, err)) {
			return ql_error_prefix(err, "scheme '%s': '%s' is not a modifier (sym, asym, chN, "
					       "gN, scale:fp16|bf16 or a calibration)", word, part);
		}
	}
	if (ql_scheme_validate(s, NULL, 0, err))
		return ql_error_prefix(err, "scheme '%s'", word);
	return 0;
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
	fprintf(p->ctx->err, "\r[%s] %zu/%zu %.40s\033[K", bar, i, n, what);
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
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '\n')
			fputs("\\n", out);
		else if (*p == '\t')
			fputs("\\t", out);
		else if (*p < 0x20 || *p == 0x7F)
			fprintf(out, "\\x%02X", *p);
		else
			fputc(*p, out);
	}
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
