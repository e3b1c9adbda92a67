/* argcheck.h — argument checks every file command makes before it opens a
 * file, so that a bad argument is a usage error (exit 2) whatever the file
 * (private to src/cli; src/cli/argcheck.c). */
#ifndef QLENS_CLI_ARGCHECK_H
#define QLENS_CLI_ARGCHECK_H

#include "qlens/command.h"
#include "qlens/io.h"

/* --raw DTYPE and --shape SHAPE: 0, or the usage error printed and
 * QL_EXIT_USAGE returned. */
int ql_cli_check_open_opts(ql_cmd_ctx *ctx, const char *cmd, const ql_open_opts *opts);

/* -o OUT names a format qlens writes (.npy or .safetensors): 0, or the
 * usage error printed and QL_EXIT_USAGE returned. */
int ql_cli_check_output(ql_cmd_ctx *ctx, const char *cmd, const char *out);

#endif
