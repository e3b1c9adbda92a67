/* args.c — the commands' option parser (see qlens/args.h). */
#include "qlens/args.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void ql_args_init(ql_args *a, int argc, char **argv, const ql_opt *opts)
{
	memset(a, 0, sizeof *a);
	a->argc = argc;
	a->argv = argv;
	a->i = 1; /* argv[0] is the command */
	a->opts = opts;
}

bool ql_args_is_negative_number(const char *s)
{
	if (s[0] != '-')
		return false;
	s++;
	if (isdigit((unsigned char)s[0]) || (s[0] == '.' && isdigit((unsigned char)s[1])))
		return true;
	return strcasecmp(s, "inf") == 0 || strcasecmp(s, "infinity") == 0 ||
	       strcasecmp(s, "nan") == 0;
}

static const ql_opt *find_long(const ql_opt *opts, const char *name, size_t len)
{
	for (const ql_opt *o = opts; o && o->name; o++)
		if (strlen(o->name) == len && strncmp(o->name, name, len) == 0)
			return o;
	return NULL;
}

static const ql_opt *find_short(const ql_opt *opts, char c)
{
	for (const ql_opt *o = opts; o && o->name; o++)
		if (o->short_name && o->short_name == c)
			return o;
	return NULL;
}

int ql_args_next(ql_args *a)
{
	a->value = NULL;
	a->option = NULL;
	if (a->i >= a->argc)
		return QL_ARGS_END;
	char *w = a->argv[a->i++];
	if (a->opts_done || w[0] != '-' || w[1] == '\0' || ql_args_is_negative_number(w)) {
		a->value = w;
		return QL_ARGS_POSITIONAL;
	}
	if (strcmp(w, "--") == 0) {
		a->opts_done = true;
		return ql_args_next(a);
	}
	a->option = w;
	const ql_opt *o;
	const char *inline_val = NULL;
	if (w[1] == '-') {
		const char *name = w + 2;
		const char *eq = strchr(name, '=');
		size_t len = eq ? (size_t)(eq - name) : strlen(name);
		if (len == 4 && strncmp(name, "help", 4) == 0)
			return QL_ARGS_HELP;
		o = find_long(a->opts, name, len);
		if (!o) {
			snprintf(a->error, sizeof a->error, "unknown option '--%.*s'",
				 (int)(len > 80 ? 80 : len), name);
			return QL_ARGS_ERROR;
		}
		if (eq)
			inline_val = eq + 1;
	} else {
		if (w[1] == 'h' && w[2] == '\0')
			return QL_ARGS_HELP;
		o = find_short(a->opts, w[1]);
		if (!o) {
			/* the whole word: w[1] may be the first byte of a UTF-8 letter */
			snprintf(a->error, sizeof a->error, "unknown option '%.80s'", w);
			return QL_ARGS_ERROR;
		}
		if (w[2])
			inline_val = w + 2; /* -oOUT */
	}
	if (o->has_arg == QL_ARG_NONE) {
		if (inline_val && w[1] == '-') {
			snprintf(a->error, sizeof a->error, "option '--%s' takes no value", o->name);
			return QL_ARGS_ERROR;
		}
		if (inline_val) {
			snprintf(a->error, sizeof a->error, "unknown option '%s'", w);
			return QL_ARGS_ERROR;
		}
		return o->id;
	}
	if (inline_val) {
		a->value = inline_val;
	} else if (a->i < a->argc) {
		a->value = a->argv[a->i++];
	} else {
		snprintf(a->error, sizeof a->error, "option '--%s' needs a value", o->name);
		return QL_ARGS_ERROR;
	}
	return o->id;
}

bool ql_parse_int(const char *s, long min, long max, long *out)
{
	char *end;
	errno = 0;
	if (!s || !*s || isspace((unsigned char)*s))
		return false;
	long v = strtol(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return false;
	*out = v;
	return true;
}
