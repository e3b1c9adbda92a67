/* commands.c — the command table and the CLI's entry point.
 *
 * One table serves the shell (`qlens bits 1/3`) and the TUI's ':' prompt
 * (`:bits 1/3`). Each command lives in its own file (cmd_NAME.c) and parses
 * its own options with args.h; this file only dispatches, prints help and
 * splits prompt lines into words.
 */
#include "qlens/command.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "qlens/cleanup.h"
#include "qlens/error.h"
#include "qlens/escape.h"
#include "qlens/io.h"

#include "cmds.h"
#include "filecmd.h"

static int cmd_help(ql_cmd_ctx *ctx, int argc, char **argv);

const ql_command ql_commands[] = {
	{"bits", "VALUE... [--types LIST] [--digits N] [--json] [--tui]",
	 "how a value is stored in each format, bit by bit, with its exact decimal",
	 ql_bits_help, ql_cmd_bits},
	{"dtypes", "[--blocks] [--types LIST] [--json]",
	 "the finfo/iinfo table of every format (eps, max, tiny, ...)", ql_dtypes_help,
	 ql_cmd_dtypes},
	{"quantize", "FILE [--tensor NAME] [SCHEME | --scheme WORD | --dtype TYPE [--sym|--asym] "
	 "[--axis N|--group N] [--calib METHOD] [--scale S [--zero-point Z]] [--scale-dtype T]] "
	 "[-o OUT] [--dequant] [--pack] [--force] [--json | --tui]",
	 "quantize a tensor of a file; show scales, errors and storage; write the result",
	 ql_quantize_help, ql_cmd_quantize},
	{"info", "FILE [--json] [--raw DTYPE [--shape SHAPE]]",
	 "what a tensor file holds: format, metadata, tensors (headers only)", ql_info_help, ql_cmd_info},
	{"report", "FILE [SCHEME | --scheme WORD | --dtype TYPE ...] [--sort name|error|size] [--json]",
	 "quantize every tensor of a file or checkpoint with one scheme; errors and sizes",
	 ql_report_help, ql_cmd_report},
	{"compare", "FILE [--tensor NAME] [--schemes LIST] [SCHEME | --scheme WORD | --dtype TYPE ...] "
	 "[--json]",
	 "one tensor, many schemes side by side, sorted by bits per weight", ql_compare_help,
	 ql_cmd_compare},
	{"convert", "FILE [--tensor NAME] --to TYPE -o OUT [--force] [--json]",
	 "cast a tensor to fp16/bf16/fp8 (or decode it to fp32) and write it, with the error",
	 ql_convert_help, ql_cmd_convert},
	{"lessons", "[--check]", "the course: every lesson with your progress (--check lints them)",
	 ql_lessons_help, ql_cmd_lessons},
	{"lesson", "LESSON [--print [--width N]|--present|--notes [--once]|--check]",
	 "play a lesson of the course (N, NAME or FILE); --print for a handout",
	 ql_lesson_help, ql_cmd_lesson},
	{"eval", "MODEL [SCHEME] [--schemes LIST] [--keep PATTERNS] [--act none|int8-dynamic|"
	 "int8-static] [--json] [--tui]",
	 "a tiny real model before and after quantization: accuracy, KL, flips, Δp",
	 ql_eval_help, ql_cmd_eval},
	{"divergence", "BASE QUANT [--labels FILE] [--json]",
	 "two models' logits files compared: KL divergence, top-1 agreement, perplexity, Δp",
	 ql_divergence_help, ql_cmd_divergence},
	{"paths", "[--json]", "where the data folders (assets, lessons) are found", ql_paths_help,
	 ql_cmd_paths},
	{"help", "[COMMAND]", "list the commands, or show one command's help",
	 "With a COMMAND, the same as `qlens COMMAND --help`.\n", cmd_help},
};
const int ql_command_count = (int)(sizeof ql_commands / sizeof ql_commands[0]);

const ql_command *ql_command_find(const char *name)
{
	for (int i = 0; i < ql_command_count; i++)
		if (strcmp(ql_commands[i].name, name) == 0)
			return &ql_commands[i];
	return NULL;
}

void ql_command_help(const ql_command *cmd, FILE *out)
{
	fprintf(out, "Usage: qlens %s %s\n%s.\n\n%s", cmd->name, cmd->synopsis, cmd->summary,
		cmd->help);
}

static void overview(FILE *out)
{
	fprintf(out, "Usage: qlens [COMMAND [ARGS...]]\n"
		     "       qlens FILE [--tensor NAME]\n"
		     "qlens: see how numbers are stored, and what quantization does to them.\n"
		     "With no COMMAND, qlens opens its full-screen explorer; with a FILE, the\n"
		     "explorer's tensor tree of that file.\n\n"
		     "Commands:\n");
	for (int i = 0; i < ql_command_count; i++)
		fprintf(out, "  %-10s %s\n", ql_commands[i].name, ql_commands[i].summary);
	fprintf(out, "\nOptions:\n"
		     "  -h, --help     this help; `qlens COMMAND --help` for a command's\n"
		     "  --version      print the version\n\n"
		     "Examples:\n"
		     "  qlens bits 1/3 --types fp32,fp16,bf16,int8\n"
		     "  qlens dtypes --json\n");
}

static int cmd_help(ql_cmd_ctx *ctx, int argc, char **argv)
{
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		ql_command_help(ql_command_find("help"), ctx->out);
		return QL_EXIT_OK;
	}
	if (argc > 2)
		return ql_usage_error(ctx, "help", "one COMMAND at a time");
	if (argc < 2) {
		overview(ctx->out);
		return QL_EXIT_OK;
	}
	const ql_command *c = ql_command_find(argv[1]);
	if (!c)
		return ql_usage_error(ctx, "help", "unknown command '%s'", argv[1]);
	ql_command_help(c, ctx->out);
	return QL_EXIT_OK;
}

/* Messages carry names from files and words from the user: formatted
 * whole, then escaped by the one rule (qlens/escape.h), so they stay one
 * line and cannot reach the terminal as control sequences. */
static void put_escaped(FILE *f, const char *fmt, va_list ap)
{
	char *msg = NULL;
	if (vasprintf(&msg, fmt, ap) < 0) {
		fputs("(out of memory)", f);
		return;
	}
	ql_escape_fputs(f, msg, QL_ESC_TERM);
	free(msg);
}

int ql_usage_error(ql_cmd_ctx *ctx, const char *cmd, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(ctx->err, "qlens %s: ", cmd);
	put_escaped(ctx->err, fmt, ap);
	fprintf(ctx->err, " (see 'qlens %s --help')\n", cmd);
	va_end(ap);
	return QL_EXIT_USAGE;
}

int ql_fail(ql_cmd_ctx *ctx, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("qlens: ", ctx->err);
	put_escaped(ctx->err, fmt, ap);
	fputc('\n', ctx->err);
	va_end(ap);
	return QL_EXIT_FAIL;
}

int ql_command_run(ql_cmd_ctx *ctx, int argc, char **argv)
{
	if (argc < 1)
		return QL_EXIT_OK;
	const ql_command *c = ql_command_find(argv[0]);
	if (!c) {
		fputs("qlens: unknown command '", ctx->err);
		ql_escape_fputs(ctx->err, argv[0], QL_ESC_TERM);
		fputs("' (see 'qlens --help')\n", ctx->err);
		return QL_EXIT_USAGE;
	}
	return c->run(ctx, argc, argv);
}

/* --- prompt lines ----------------------------------------------------------- */

void ql_free_words(int argc, char **argv)
{
	if (!argv)
		return;
	for (int i = 0; i < argc; i++)
		free(argv[i]);
	free(argv);
}

int ql_split_words(const char *line, int *argc_out, char ***argv_out, struct ql_error *err)
{
	size_t len = strlen(line);
	char **argv = calloc(len / 2 + 2, sizeof *argv);
	char *word = malloc(len + 1);
	int argc = 0;
	if (!argv || !word) {
		free(argv);
		free(word);
		return ql_error_set(err, "out of memory");
	}
	const char *p = line;
	for (;;) {
		while (isspace((unsigned char)*p))
			p++;
		if (!*p)
			break;
		size_t k = 0;
		char quote = 0;
		while (*p && (quote || !isspace((unsigned char)*p))) {
			if (quote) {
				if (*p == quote)
					quote = 0;
				else if (*p == '\\' && quote == '"' && p[1])
					word[k++] = *++p;
				else
					word[k++] = *p;
			} else if (*p == '\'' || *p == '"') {
				quote = *p;
			} else if (*p == '\\' && p[1]) {
				word[k++] = *++p;
			} else {
				word[k++] = *p;
			}
			p++;
		}
		if (quote) {
			ql_free_words(argc, argv);
			free(word);
			return ql_error_set(err, "unbalanced %s quote", quote == '"' ? "double" : "single");
		}
		word[k] = '\0';
		argv[argc++] = strdup(word);
	}
	free(word);
	argv[argc] = NULL;
	*argc_out = argc;
	*argv_out = argv;
	return 0;
}

/* --- main ------------------------------------------------------------------- */

int ql_cmd_open_screen(ql_cmd_ctx *ctx, const char *screen, int argc, char **argv)
{
	if (!ctx->open_screen)
		return ql_fail(ctx, "no full-screen explorer here (--tui needs the qlens program on a terminal)");
	return ctx->open_screen(ctx, screen, argc, argv);
}

int ql_main(ql_cmd_ctx *ctx, int argc, char **argv)
{
	const char *first = argc < 2 ? "--help" : argv[1];
	int rc;
	if ((strcmp(first, "--help") == 0 || strcmp(first, "-h") == 0) && argc > 2) {
		rc = cmd_help(ctx, argc - 1, argv + 1); /* qlens --help CMD: as qlens help CMD */
	} else if (strcmp(first, "--help") == 0 || strcmp(first, "-h") == 0) {
		overview(ctx->out);
		rc = QL_EXIT_OK;
	} else if (strcmp(first, "--version") == 0 || strcmp(first, "-V") == 0) {
		fprintf(ctx->out, "qlens %s\n", QLENS_VERSION);
		rc = QL_EXIT_OK;
	} else if (first[0] == '-') {
		fputs("qlens: unknown option '", ctx->err);
		ql_escape_fputs(ctx->err, first, QL_ESC_TERM);
		fputs("' (see 'qlens --help')\n", ctx->err);
		return QL_EXIT_USAGE;
	} else {
		ql_cleanup_install_handlers(); /* temporary files go on SIGINT/TERM/HUP/QUIT */
		ql_map_guard_install();        /* a file truncated under us: one line, exit 1 */
		rc = !ql_command_find(first) && ql_cli_names_file(first)
			     ? ql_cmd_open_file(ctx, argc - 1, argv + 1)
			     : ql_command_run(ctx, argc - 1, argv + 1);
	}
	/* --help > /dev/full must fail too: every path checks the flush. */
	if (fflush(ctx->out) != 0 || ferror(ctx->out)) {
		fprintf(ctx->err, "qlens: writing the output failed: %s\n", strerror(errno));
		return QL_EXIT_FAIL;
	}
	return rc;
}
