/* filecmd.h — what the file commands (info, report, compare, convert) share
 * (private to src/cli): opening a file with a one-line error, choosing a
 * tensor, the options they share (the scheme in both languages), a
 * progress bar, and small text helpers.
 */
#ifndef QLENS_CLI_FILECMD_H
#define QLENS_CLI_FILECMD_H

#include <stdbool.h>
#include <stdio.h>

#include "qlens/args.h"
#include "qlens/command.h"
#include "qlens/error.h"
#include "qlens/io.h"
#include "qlens/quant.h"
#include "qlens/scheme_text.h"

/* The commands (cmd_info.c, cmd_report.c, cmd_compare.c, cmd_convert.c). */
int ql_cmd_info(ql_cmd_ctx *ctx, int argc, char **argv);
extern const char ql_info_help[];
int ql_cmd_report(ql_cmd_ctx *ctx, int argc, char **argv);
extern const char ql_report_help[];
int ql_cmd_compare(ql_cmd_ctx *ctx, int argc, char **argv);
extern const char ql_compare_help[];
int ql_cmd_convert(ql_cmd_ctx *ctx, int argc, char **argv);
extern const char ql_convert_help[];
/* `qlens FILE [--tensor NAME]` (cmd_open.c): argv[0] is FILE. */
int ql_cmd_open_file(ql_cmd_ctx *ctx, int argc, char **argv);
/* The word names a file rather than a command (exists, or has '/' or '.'). */
bool ql_cli_names_file(const char *word);

/* Opens FILE; on failure prints "qlens: FILE: what is wrong" and returns
 * QL_EXIT_FAIL (0 on success). */
int ql_cli_open(ql_cmd_ctx *ctx, const char *file, const ql_open_opts *opts, ql_source **out);

/* The index of tensor `name` (or of the only tensor when name is NULL).
 * Otherwise prints which tensors there are and returns -1. */
long ql_cli_pick_tensor(ql_cmd_ctx *ctx, const ql_source *src, const char *name);
/* The only tensor of src, or else the one named `role` ("logits",
 * "labels"): for commands without --tensor. Fails with a line that says so,
 * and lists the names, when there is neither. */
long ql_cli_pick_role(ql_cmd_ctx *ctx, const ql_source *src, const char *role);

/* The dtype as files spell it ("F32", "Q4_0", or a GGUF type's own name). */
const char *ql_cli_dtype_name(const ql_tensor *t);

/* Tensor i as float32: straight from the file's mapping when it is float32
 * in C order, little endian and aligned (then release it with
 * ql_source_release when done), else decoded into *copy, which grows to
 * *cap floats and is the caller's to free (reused across calls: its pages
 * are faulted once). NULL with a message ("FILE: ...") on failure. */
const float *ql_cli_read_floats(ql_source *src, size_t i, float **copy, size_t *cap,
				ql_error *err);

/* --- the options the file commands share --------------------------------------
 *
 * quantize, report, compare (and the commands to come) take the same words
 * for the same things, handled once here:
 *
 *   FILE                 the first positional word
 *   -t, --tensor NAME    --raw DTYPE, --shape SHAPE, --json, --threads N, --help
 *   the scheme, in either language (not both at once):
 *     -s, --scheme WORD  or a second positional word: int4/g32/asym/mse
 *     -d, --dtype TYPE --sym --asym --axis N --group N --calib METHOD
 *     --scale S --zero-point Z --scale-dtype T
 *
 * A command puts QL_FILE_OPTS (and QL_SCHEME_OPTS if it takes a scheme) in
 * its ql_opt table beside its own options, and in its loop hands every word
 * to ql_fileopts_take first:
 *
 *   ql_fileopts fo;
 *   ql_fileopts_init(&fo, argv[0], QL_FO_SCHEME_ONE);
 *   while ((id = ql_args_next(&a)) != QL_ARGS_END) {
 *       int rc = ql_fileopts_take(ctx, &fo, id, &a);
 *       if (rc == QL_FO_TAKEN) continue;
 *       if (rc != QL_FO_NOT_MINE) return rc;       // usage error, or --help
 *       switch (id) { ...the command's own options... }
 *   }
 *   if ((rc = ql_fileopts_finish(ctx, &fo)) >= 0) return rc;
 *   ...fo.file, fo.tensor, fo.open, fo.json, fo.threads, fo.scheme...
 */

/* Ids of the shared options: above every command's own. */
enum {
	QL_FO_TENSOR = 1000, QL_FO_RAW, QL_FO_SHAPE, QL_FO_JSON, QL_FO_THREADS,
	QL_FO_SCHEME, QL_FO_DTYPE, QL_FO_SYM, QL_FO_ASYM, QL_FO_AXIS, QL_FO_GROUP,
	QL_FO_CALIB, QL_FO_SCALE, QL_FO_ZP, QL_FO_SCALE_DTYPE,
};

/* --json and --threads N alone, for commands whose positional words are not
 * FILE [SCHEME] (eval MODEL, divergence BASE QUANT): they take their
 * positional words themselves and hand every other result of ql_args_next
 * to ql_fileopts_take (which answers --help and argument errors too), with
 * no ql_fileopts_finish. */
#define QL_RUN_OPTS \
	{"json", 0, QL_ARG_NONE, QL_FO_JSON}, \
	{"threads", 0, QL_ARG_REQUIRED, QL_FO_THREADS}

#define QL_FILE_OPTS \
	{"tensor", 't', QL_ARG_REQUIRED, QL_FO_TENSOR}, \
	{"raw", 0, QL_ARG_REQUIRED, QL_FO_RAW}, \
	{"shape", 0, QL_ARG_REQUIRED, QL_FO_SHAPE}, \
	QL_RUN_OPTS

#define QL_SCHEME_OPTS \
	{"scheme", 's', QL_ARG_REQUIRED, QL_FO_SCHEME}, \
	{"dtype", 'd', QL_ARG_REQUIRED, QL_FO_DTYPE}, \
	{"sym", 0, QL_ARG_NONE, QL_FO_SYM}, \
	{"asym", 0, QL_ARG_NONE, QL_FO_ASYM}, \
	{"axis", 0, QL_ARG_REQUIRED, QL_FO_AXIS}, \
	{"group", 0, QL_ARG_REQUIRED, QL_FO_GROUP}, \
	{"calib", 0, QL_ARG_REQUIRED, QL_FO_CALIB}, \
	{"scale", 0, QL_ARG_REQUIRED, QL_FO_SCALE}, \
	{"zero-point", 0, QL_ARG_REQUIRED, QL_FO_ZP}, \
	{"scale-dtype", 0, QL_ARG_REQUIRED, QL_FO_SCALE_DTYPE}

/* What a command does with a scheme. */
typedef enum ql_fo_scheme_use {
	QL_FO_SCHEME_NONE, /* takes none (info, convert): no second positional */
	QL_FO_SCHEME_ONE,  /* one scheme, int8 when none is given */
} ql_fo_scheme_use;

enum { QL_FO_TAKEN = -10, QL_FO_NOT_MINE = -11 };

typedef struct ql_fileopts {
	const char *cmd;          /* for messages: "report" */
	ql_fo_scheme_use use;
	const char *file;         /* NULL until given */
	const char *tensor;       /* --tensor, or NULL */
	ql_open_opts open;        /* --raw, --shape */
	bool json;
	int threads;              /* 0: one per CPU */
	const char *scheme_word;  /* --scheme or the second positional word */
	bool scheme_positional;   /* it was the second positional word */
	bool scheme_given;        /* a scheme in either language */
	ql_scheme scheme;         /* the scheme, after ql_fileopts_finish */
	/* the options seen, for their rules */
	const char *opt_seen;     /* the first scheme option given ("--dtype") */
	bool saw_axis, saw_group, saw_sym, saw_asym;
} ql_fileopts;

void ql_fileopts_init(ql_fileopts *fo, const char *cmd, ql_fo_scheme_use use);

/* Takes one result of ql_args_next: QL_FO_TAKEN when it was a shared option
 * or positional word, QL_FO_NOT_MINE for the command's own options, or an
 * exit status to return at once (a usage error was printed; or --help was
 * printed: QL_EXIT_OK). */
int ql_fileopts_take(ql_cmd_ctx *ctx, ql_fileopts *fo, int id, const ql_args *a);

/* After the last word: FILE was given, --shape goes with --raw, the scheme
 * options obey their rules (--axis or --group, --sym or --asym, a word or
 * options), and fo->scheme is the scheme (a word is parsed and checked
 * alone; options are checked later, against the tensor). Returns -1 when
 * the command goes on, or the exit status of the usage error it printed. */
int ql_fileopts_finish(ql_cmd_ctx *ctx, ql_fileopts *fo);

/* The shared options' help lines (string literals, for help texts). */
#define QL_FILE_OPTS_HELP \
	"  -t, --tensor NAME    the tensor (needed when FILE has more than one; a\n" \
	"                       .npy file's tensor is named after the file)\n" \
	"  --raw DTYPE          FILE holds bare values of DTYPE (F32, F16, I8, ...)\n" \
	"  --shape SHAPE        their shape for --raw, e.g. 4x8\n" \
	"  --threads N          worker threads (default: one per CPU; at most 16)\n"

#define QL_SCHEME_OPTS_HELP \
	"The scheme, as one word or as options (not both):\n" \
	"  -s, --scheme WORD    e.g. int4/g32/asym/mse (see below)\n" \
	"  -d, --dtype TYPE     int8 uint8 int4 uint4 int2 uint2 fp8_e4m3 fp8_e5m2\n" \
	"                       mxfp8 mxfp4 mxint8 nf4, and the ggml block formats\n" \
	"                       q8_0 q4_0 q4_k q6_k ... (qlens dtypes --blocks)\n" \
	"                       (default int8); int7 int6 int5 int3 and uint7 ...\n" \
	"                       uint3: the affine grid of that many bits\n" \
	"  --sym                symmetric: scale = absmax / qmax, zero point fixed\n" \
	"                       (the default for signed integers, floats and blocks)\n" \
	"  --asym               asymmetric: [min(x,0), max(x,0)] onto [qmin, qmax]\n" \
	"                       (the default for unsigned integers)\n" \
	"  --axis N             one scale per index along axis N (negative: from the\n" \
	"                       end); per channel\n" \
	"  --group N            one scale per N consecutive elements of the last axis\n" \
	"                       (a shorter last group when N does not divide it;\n" \
	"                       N from 1 to 2^40 = 1099511627776)\n" \
	"                       (neither --axis nor --group: one scale per tensor;\n" \
	"                       mxfp8/mxfp4/mxint8, nf4 and the ggml formats use\n" \
	"                       their own blocks)\n" \
	"  --calib METHOD       minmax (default), percentile:P (P = 99.9 if omitted),\n" \
	"                       mse (the clip that minimises the round-trip MSE), or\n" \
	"                       entropy (TensorRT's KL-divergence method)\n" \
	"  --scale S            use this scale instead of calibrating (per tensor)\n" \
	"  --zero-point Z       and this zero point (asymmetric schemes)\n" \
	"  --scale-dtype T      fp32 (default), fp16 or bf16: the scales are rounded to\n" \
	"                       T before quantizing, written as T by -o and counted\n" \
	"                       at its width (int4 per group of 32 with fp16 scales:\n" \
	"                       4.5 bits per weight); integer dtypes\n"

/* The help paragraph on the one-word syntax. */
#define QL_CLI_SCHEME_HELP QL_SCHEME_WORD_HELP

/* A progress bar on ctx->err (only when ctx->progress): "[####....] 3/10 NAME". */
typedef struct ql_progress {
	ql_cmd_ctx *ctx;
	bool on;
	double total, done;
	int last_width;
} ql_progress;

void ql_progress_start(ql_progress *p, ql_cmd_ctx *ctx, double total, bool want);
void ql_progress_step(ql_progress *p, double done, size_t i, size_t n, const char *what);
void ql_progress_end(ql_progress *p);

/* Writes s escaped for the terminal (qlens/escape.h): one line. */
void ql_cli_put_line_safe(FILE *out, const char *s);
/* The columns s takes as ql_cli_put_line_safe prints it (escapes
 * included; one per character): for padding tables. */
size_t ql_cli_text_width(const char *s);

/* The shortest %g text that reads back as the same double / float. */
const char *ql_cli_num(double v, char *buf, size_t n);

#endif
