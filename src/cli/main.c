/* main.c — qlens's entry point, and the one place that knows both faces:
 * with no arguments it starts the TUI; otherwise it runs a command
 * (ql_main, commands.c) whose screen hook starts the TUI when the command
 * asks for a screen (`qlens bits 0.1 --tui`). The command table itself
 * never calls the TUI, so the tests link it without this file.
 */
#include <locale.h>
#include <stdio.h>
#include <unistd.h>

#include "qlens/command.h"
#include "qlens/tui.h"

static int start_tui(ql_cmd_ctx *ctx, const char *screen, int argc, char **argv)
{
	fflush(ctx->out);
	return ql_tui_main(screen, argc, argv);
}

int main(int argc, char **argv)
{
	setlocale(LC_ALL, "");
	setlocale(LC_NUMERIC, "C"); /* numbers in output and input always use "." */
	if (argc < 2)
		return ql_tui_main(NULL, 0, NULL);
	ql_cmd_ctx ctx = {
		.out = stdout,
		.err = stderr,
		.interactive = false,
		.progress = isatty(STDERR_FILENO),
		.open_screen = start_tui,
		.screen_data = NULL,
	};
	return ql_main(&ctx, argc, argv);
}
