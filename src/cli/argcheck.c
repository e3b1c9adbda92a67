/* argcheck.c — argument checks shared by the file commands (see argcheck.h). */
#include "argcheck.h"

#include <string.h>

#include "qlens/error.h"

int ql_cli_check_open_opts(ql_cmd_ctx *ctx, const char *cmd, const ql_open_opts *opts)
{
	ql_error err = { "" };
	if (ql_open_opts_check(opts, &err))
		return ql_usage_error(ctx, cmd, "%s", err.msg);
	return 0;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n >= k && strcmp(s + n - k, suffix) == 0;
}

int ql_cli_check_output(ql_cmd_ctx *ctx, const char *cmd, const char *out)
{
	if (out && !ends_with(out, ".npy") && !ends_with(out, ".safetensors"))
		return ql_usage_error(ctx, cmd, "-o %s: the output must end in .npy or .safetensors",
				      out);
	return 0;
}
