/* filecmd.h — what the file commands (info, report, compare, convert) share
 * (private to src/cli): opening a file with a one-line error, choosing a
 * tensor, the compact scheme words of `report` and `compare`, a progress
 * bar, and small text helpers.
 */
#ifndef QLENS_CLI_FILECMD_H
#define QLENS_CLI_FILECMD_H

#include <stdbool.h>
#include <stdio.h>

#include "qlens/command.h"
#include "qlens/error.h"
#include "qlens/io.h"
#include "qlens/quant.h"

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

/* The dtype as files spell it ("F32", "Q4_0", or a GGUF type's own name). */
const char *ql_cli_dtype_name(const ql_tensor *t);

/* A scheme in one word, as `report` and `compare` take it:
 *   DTYPE[/MOD]...   MOD: sym | asym | ch[N] (per channel, axis N, default 0)
 *                         | gN (per group of N) | minmax | mse | entropy
 *                         | percentile:P
 * e.g. "int8", "int8/ch0", "uint8/asym/ch", "int4/g32", "int4/g128/mse",
 * "nf4", "q4_0", "fp8_e4m3", "mxfp4". Returns 0, or -1 with a message. */
int ql_cli_parse_scheme(const char *word, ql_scheme *s, ql_error *err);

/* The help paragraph describing that syntax (a string literal, so help
 * texts can include it). */
#define QL_CLI_SCHEME_HELP \
	"A SCHEME is one word: a dtype, then modifiers after slashes:\n" \
	"  DTYPE        int8 uint8 int4 uint4 int2 uint2 fp8_e4m3 fp8_e5m2 mxfp8\n" \
	"               mxfp4 mxint8 nf4 q8_0 q4_0\n" \
	"  /sym /asym   symmetric (absmax) or asymmetric (min..max) ranges\n" \
	"  /ch, /chN    one scale per channel along axis N (default 0: the rows of\n" \
	"               a weight matrix [out, in])\n" \
	"  /gN          one scale per group of N consecutive elements of the last axis\n" \
	"  /minmax /mse /entropy /percentile:P   how the clipping range is chosen\n" \
	"No /ch or /g: one scale per tensor; mx*, nf4, q8_0 and q4_0 use their own\n" \
	"blocks. Examples: int8, int8/ch0, uint8/asym/ch, int4/g32, int4/g128/mse,\n" \
	"nf4, q4_0, fp8_e4m3, mxfp4.\n"

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

/* Writes s with control characters escaped (\n, \t, \xNN): one line. */
void ql_cli_put_line_safe(FILE *out, const char *s);

/* The shortest %g text that reads back as the same double / float. */
const char *ql_cli_num(double v, char *buf, size_t n);

#endif
