/* args.h — a small option parser for the commands.
 *
 * Long options (--types LIST, --types=LIST), short ones (-o OUT), flags,
 * and `--` to end the options. A word that looks like a negative number
 * ("-2.5", "-1/3", "-inf", "-nan", "-0x1p-3") is a positional argument, not
 * an option, so `qlens bits -2.5` works without `--`.
 *
 *   static const ql_opt opts[] = {
 *       {"types", 't', QL_ARG_REQUIRED, OPT_TYPES},
 *       {"json", 0, QL_ARG_NONE, OPT_JSON},
 *       {0}};
 *   ql_args a;
 *   ql_args_init(&a, argc, argv, opts);
 *   int id;
 *   while ((id = ql_args_next(&a)) != QL_ARGS_END) {
 *       if (id == QL_ARGS_ERROR) return ql_usage_error(ctx, argv[0], "%s", a.error);
 *       ...a.value is the option's argument or the positional word...
 *   }
 */
#ifndef QLENS_ARGS_H
#define QLENS_ARGS_H

#include <stdbool.h>

enum { QL_ARG_NONE, QL_ARG_REQUIRED };

enum {
	QL_ARGS_END = -1,        /* no more words */
	QL_ARGS_ERROR = -2,      /* a.error says what */
	QL_ARGS_POSITIONAL = -3, /* a.value is a positional word */
	QL_ARGS_HELP = -4,       /* --help or -h (always recognised) */
};

typedef struct ql_opt {
	const char *name; /* long name without "--"; NULL ends the table */
	char short_name;  /* 0 if none */
	int has_arg;      /* QL_ARG_NONE or QL_ARG_REQUIRED */
	int id;           /* returned by ql_args_next; must be >= 0 */
} ql_opt;

typedef struct ql_args {
	int argc;
	char **argv;
	int i;            /* next word */
	const ql_opt *opts;
	bool opts_done;   /* seen "--" */
	const char *value;
	const char *option; /* the option word just parsed, for messages */
	char error[160];
} ql_args;

void ql_args_init(ql_args *a, int argc, char **argv, const ql_opt *opts);
int ql_args_next(ql_args *a);

/* True if s reads as a negative number ("-2", "-.5", "-1/3", "-inf"). */
bool ql_args_is_negative_number(const char *s);

/* Parses a whole decimal integer in [min, max]; false if not. */
bool ql_parse_int(const char *s, long min, long max, long *out);

#endif
