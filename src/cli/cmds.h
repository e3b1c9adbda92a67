/* cmds.h — the command functions and help texts behind ql_commands[]
 * (private to src/cli; one pair per cmd_NAME.c). */
#ifndef QLENS_CMDS_H
#define QLENS_CMDS_H

#include "qlens/command.h"

int ql_cmd_bits(ql_cmd_ctx *ctx, int argc, char **argv);
extern const char ql_bits_help[];

int ql_cmd_dtypes(ql_cmd_ctx *ctx, int argc, char **argv);
extern const char ql_dtypes_help[];

int ql_cmd_quantize(ql_cmd_ctx *ctx, int argc, char **argv);
extern const char ql_quantize_help[];

int ql_cmd_paths(ql_cmd_ctx *ctx, int argc, char **argv);
extern const char ql_paths_help[];

int ql_cmd_lessons(ql_cmd_ctx *ctx, int argc, char **argv);
extern const char ql_lessons_help[];
int ql_cmd_lesson(ql_cmd_ctx *ctx, int argc, char **argv);
extern const char ql_lesson_help[];
int ql_cmd_eval(ql_cmd_ctx *ctx, int argc, char **argv);
extern const char ql_eval_help[];

int ql_cmd_divergence(ql_cmd_ctx *ctx, int argc, char **argv);
extern const char ql_divergence_help[];

#endif
