/* cmd_paths.c — `qlens paths`: where this qlens finds its data files
 * (assets/, lessons/), found the way every reader of them finds them:
 * ql_data_path (datadir.h). For users asking "where are the lessons?" and
 * for checking an installation from any directory.
 */
#include <limits.h>
#include <string.h>

#include "cmds.h"
#include "qlens/args.h"
#include "qlens/command.h"
#include "qlens/datadir.h"
#include "qlens/error.h"
#include "qlens/jsonw.h"

const char ql_paths_help[] =
	"Where the data folders are: assets/ (sample tensors) and lessons/, looked\n"
	"for in this order:\n"
	"  1. $QLENS_DATADIR, when set (then only there)\n"
	"  2. the source tree this qlens was built in (folders above the binary)\n"
	"  3. the installed folder, " "$(PREFIX)/share/qlens" "\n"
	"A folder that is not found is shown with where it was looked for.\n"
	"\n"
	"Options:\n"
	"  --json             an object: installed (the compiled-in folder), and\n"
	"                     assets and lessons (each a path, or null)\n"
	"\n"
	"Exit status 0 when every folder is found, 1 otherwise.\n";

static const ql_opt paths_opts[] = {
	{"json", 0, QL_ARG_NONE, 0},
	{0},
};

static const char *const folders[] = { "assets", "lessons" };
enum { NFOLDERS = sizeof folders / sizeof folders[0] };

int ql_cmd_paths(ql_cmd_ctx *ctx, int argc, char **argv)
{
	bool json = false;
	ql_args a;
	ql_args_init(&a, argc, argv, paths_opts);
	int id;
	while ((id = ql_args_next(&a)) != QL_ARGS_END) {
		if (id == QL_ARGS_ERROR)
			return ql_usage_error(ctx, argv[0], "%s", a.error);
		if (id == QL_ARGS_HELP) {
			ql_command_help(ql_command_find(argv[0]), ctx->out);
			return QL_EXIT_OK;
		}
		if (id == QL_ARGS_POSITIONAL)
			return ql_usage_error(ctx, argv[0], "takes no arguments ('%s')", a.value);
		json = true;
	}
	char path[NFOLDERS][PATH_MAX];
	ql_error err[NFOLDERS];
	bool found[NFOLDERS], all = true;
	for (int i = 0; i < NFOLDERS; i++) {
		found[i] = ql_data_path(folders[i], path[i], sizeof path[i], &err[i]) == 0;
		all = all && found[i];
	}
	if (json) {
		ql_jsonw j;
		ql_jsonw_init(&j, ctx->out);
		ql_json_begin_object(&j);
		ql_json_key(&j, "installed");
		ql_json_string(&j, ql_data_installed_dir());
		for (int i = 0; i < NFOLDERS; i++) {
			ql_json_key(&j, folders[i]);
			if (found[i])
				ql_json_string(&j, path[i]);
			else
				ql_json_null(&j);
		}
		ql_json_end_object(&j);
		ql_jsonw_finish(&j);
	} else {
		for (int i = 0; i < NFOLDERS; i++)
			fprintf(ctx->out, "%-10s%s\n", folders[i], found[i] ? path[i] : err[i].msg);
		fprintf(ctx->out, "%-10s%s\n", "installed", ql_data_installed_dir());
	}
	return all ? QL_EXIT_OK : QL_EXIT_FAIL;
}
