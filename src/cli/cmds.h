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

#endif
