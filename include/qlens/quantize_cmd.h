/* quantize_cmd.h — the words of `qlens quantize`, parsed once (cmd_quantize.c)
 * for the command and for the TUI's quantization explorer, so that
 * `qlens quantize FILE ... --tui` and `:quantize FILE ... --tui` open the
 * explorer on exactly the tensor and scheme the command would use.
 */
#ifndef QLENS_QUANTIZE_CMD_H
#define QLENS_QUANTIZE_CMD_H

#include "qlens/command.h"
#include "qlens/io.h"
#include "qlens/quant.h"

typedef struct ql_quantize_request {
	const char *file;   /* FILE (points into argv) */
	const char *tensor; /* --tensor NAME, or NULL */
	ql_open_opts open;  /* --raw DTYPE --shape SHAPE */
	ql_scheme scheme;   /* --dtype --sym/--asym --axis/--group --calib --scale ... */
	int threads;        /* --threads N, 0 = automatic */
} ql_quantize_request;

/* Parses argv (argv[0] = "quantize") as the command does. Returns 0, or the
 * command's exit status with its one-line message on ctx->err. Output
 * options (-o, --json, ...) are accepted and ignored. */
int ql_quantize_parse(ql_cmd_ctx *ctx, int argc, char **argv, ql_quantize_request *rq);

#endif
