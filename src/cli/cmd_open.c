/* cmd_open.c — `qlens FILE [--tensor NAME]`: the explorer on a file.
 *
 * Not a command of the table: ql_main comes here when the first word is no
 * command but names a file (it exists, or has a '/' or a '.'). The file is
 * opened here first, headers only, so a missing or malformed file (or an
 * unknown tensor) is one line "qlens: FILE: what is wrong" and exit status
 * 1 before any screen; then the screen hook opens the inspector's tree
 * (screen "file"), straight on the tensor with --tensor.
 */
#include "filecmd.h"

#include <string.h>
#include <unistd.h>

bool ql_cli_names_file(const char *word)
{
	return access(word, F_OK) == 0 || strchr(word, '/') || strchr(word, '.');
}

int ql_cmd_open_file(ql_cmd_ctx *ctx, int argc, char **argv)
{
	const char *file = argv[0], *tensor = NULL;
	for (int i = 1; i < argc; i++) {
		if ((strcmp(argv[i], "--tensor") == 0 || strcmp(argv[i], "-t") == 0) && i + 1 < argc) {
			tensor = argv[++i];
		} else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			/* what a usage error points to: the usage, which has FILE's line */
			char *help[] = {"qlens", "--help", NULL};
			return ql_main(ctx, 2, help);
		} else
			return ql_usage_error(ctx, "FILE", "unexpected argument '%s' (qlens FILE [--tensor NAME])",
					      argv[i]);
	}
	/* The explorer opens FILE again and reads regular files only (io.h): a
	 * FIFO this check drained would leave it waiting for a writer. */
	ql_source *src = NULL;
	bool streams = ql_source_allow_streams(false);
	int rc = ql_cli_open(ctx, file, NULL, &src);
	ql_source_allow_streams(streams);
	if (rc)
		return QL_EXIT_FAIL;
	long found = tensor ? ql_source_find(src, tensor) : 0;
	ql_source_close(src);
	if (found < 0)
		return ql_fail(ctx, "%s: no tensor called '%s' (qlens info %s lists them)", file, tensor, file);
	return ql_cmd_open_screen(ctx, "file", argc, argv);
}
