/* command.c — a command typed at the explorer's ':' prompt (or run for a
 * screen, as export's write): run by the CLI's own code with its output and
 * errors captured; the output shown as a text screen (or taken by the top
 * screen), the first error line on the status line. While it runs the
 * loop draws nothing: the status line says so first, and the tty turns
 * Ctrl-C into SIGINT, which cancels it (signals.c).
 */
#include "app_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <readline/tilde.h>

#include "qlens/command.h"

static void first_line(const char *s, size_t len, char *out, size_t n)
{
	size_t i = 0;
	while (i < len && s[i] != '\n' && i + 1 < n) {
		out[i] = s[i];
		i++;
	}
	out[i] = '\0';
}

/* The screen hook of commands run at the prompt: open it on top. */
static int open_screen_here(ql_cmd_ctx *ctx, const char *screen, int argc, char **argv)
{
	ql_app *app = ctx->screen_data;
	const ql_screen_ops *ops = ql_screen_find(screen);
	if (!ops)
		return ql_fail(ctx, "no screen called '%s'", screen);
	if (ql_app_push(app, ops, argc, argv)) {
		/* the message is on the status line; the command's error says it */
		fprintf(ctx->err, "%s\n", app->msg);
		return QL_EXIT_FAIL;
	}
	return QL_EXIT_OK;
}

int ql_app_run_captured(ql_app *app, ql_cmd_ctx *ctx, int argc, char **argv, ql_captured *cap)
{
	memset(cap, 0, sizeof *cap);
	FILE *out = open_memstream(&cap->out, &cap->out_len);
	FILE *err = open_memstream(&cap->err, &cap->err_len);
	if (!out || !err) {
		if (out)
			fclose(out);
		if (err)
			fclose(err);
		free(cap->out);
		free(cap->err);
		memset(cap, 0, sizeof *cap);
		ql_app_message(app, QL_R_ERROR, "qlens: out of memory");
		return -1;
	}
	ctx->out = out;
	ctx->err = err;
	/* the loop draws nothing until the command returns: say so first, and
	 * let the tty turn Ctrl-C into SIGINT meanwhile (raw mode reads it as
	 * a key, which would wait for the end) */
	ql_app_message(app, QL_R_INFO, "running %s...  Ctrl-C stops it", argv[0]);
	ql_app_draw_frame(app);
	ctx->cancel = ql_tui_command_begin();
	if (!app->vin)
		cbreak();
	int rc = ql_command_run(ctx, argc, argv);
	if (!app->vin)
		raw();
	ql_tui_command_end();
	app->msg[0] = '\0';
	fclose(out);
	fclose(err);
	ctx->out = ctx->err = NULL;
	return rc;
}

void ql_app_run_command(ql_app *app, const char *line)
{
	ql_error err = {{0}};
	int argc = 0;
	char **argv = NULL;
	if (ql_split_words(line, &argc, &argv, &err)) {
		ql_app_message(app, QL_R_ERROR, "qlens: %s", err.msg);
		return;
	}
	if (argc == 0) {
		ql_free_words(argc, argv);
		return;
	}
	/* ~/models/w.npy as the shell reads it: Tab completes such words, and
	 * the commands open what they are given */
	for (int i = 1; i < argc; i++)
		if (argv[i][0] == '~') {
			char *full = tilde_expand(argv[i]);
			if (full) {
				free(argv[i]);
				argv[i] = full;
			}
		}
	if (strcmp(argv[0], "quit") == 0 || strcmp(argv[0], "q") == 0 ||
	    strcmp(argv[0], "exit") == 0) {
		app->quit = true;
		ql_free_words(argc, argv);
		return;
	}
	ql_cmd_ctx ctx = {.interactive = true, .progress = false, .open_screen = open_screen_here,
			  .screen_data = app};
	void *before;
	ql_app_top(app, &before);
	int depth = app->depth;
	ql_captured cap;
	int rc = ql_app_run_captured(app, &ctx, argc, argv, &cap);
	if (rc < 0) { /* no memory: said on the status line */
		ql_free_words(argc, argv);
		return;
	}
	const char *obuf = cap.out, *ebuf = cap.err;
	size_t olen = cap.out_len, elen = cap.err_len;
	/* the same screen on top: the command opened none */
	void *st;
	const ql_screen_ops *ops = ql_app_top(app, &st);
	bool same = app->depth == depth && st == before;
	char first[QL_ERROR_MAX];
	if (rc != 0) {
		first_line(ebuf, elen, first, sizeof first);
		if (first[0])
			ql_app_message(app, QL_R_ERROR, "%s", first);
		else
			ql_app_message(app, QL_R_ERROR, "qlens %s: failed (status %d)", argv[0], rc);
	} else if (same) {
		bool taken = ops->command && ops->command(app, st, argc, argv);
		if (!taken && olen)
			ql_app_show_text(app, line, obuf, olen);
		else if (elen) {
			first_line(ebuf, elen, first, sizeof first);
			ql_app_message(app, QL_R_INFO, "%s", first);
		}
	}
	free(cap.out);
	free(cap.err);
	ql_free_words(argc, argv);
}
