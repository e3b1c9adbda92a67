/* command.h — the command table shared by the CLI and the TUI's ':' prompt.
 *
 * Every command (bits, dtypes, quantize, ...) is one entry of ql_commands[]
 * (src/cli/commands.c): a name, its usage and help text, and a run function
 * that parses its own arguments and writes to ctx->out / ctx->err. The shell
 * line `qlens bits 1/3` and the prompt line `:bits 1/3` run the same
 * function with the same words.
 *
 * Exit statuses: 0 success, 1 failure (bad file, impossible scheme), 2 usage
 * error. Errors are one line on ctx->err: "qlens: FILE: what is wrong" or
 * "qlens bits: what is wrong".
 */
#ifndef QLENS_COMMAND_H
#define QLENS_COMMAND_H

#include <stdbool.h>
#include <stdio.h>

enum { QL_EXIT_OK = 0, QL_EXIT_FAIL = 1, QL_EXIT_USAGE = 2 };

struct ql_cmd_ctx;

/* How a command asks for a screen (`bits 0.1 --tui`, `quantize w.npy
 * --tui`) without knowing the TUI: the command table never calls the TUI.
 * From the shell (main.c) the hook starts the TUI on that screen and
 * returns its exit status; at the TUI's prompt it opens the screen on top
 * of the others. argv are the screen's arguments (argv[0] is the first of
 * them), which it parses as the command does. */
typedef int (*ql_screen_hook)(struct ql_cmd_ctx *ctx, const char *screen, int argc,
			      char **argv);

typedef struct ql_cmd_ctx {
	FILE *out;        /* results */
	FILE *err;        /* one-line errors, progress */
	bool interactive; /* run from the TUI prompt */
	bool progress;    /* err is a terminal: progress bars allowed */
	ql_screen_hook open_screen; /* NULL: no screens here (tests, pipes) */
	void *screen_data;          /* for open_screen (inside the TUI: its state) */
	const volatile int *cancel; /* optional: once non-zero, quantize, report and
				       compare stop between jobs and fail with
				       "cancelled" (the TUI's Ctrl-C) */
} ql_cmd_ctx;

/* Calls ctx->open_screen, or fails with "qlens: no full-screen explorer
 * here" when there is none. */
int ql_cmd_open_screen(ql_cmd_ctx *ctx, const char *screen, int argc, char **argv);

/* argv[0] is the command's name; argv[argc] is NULL. */
typedef int (*ql_cmd_fn)(ql_cmd_ctx *ctx, int argc, char **argv);

typedef struct ql_command {
	const char *name;     /* "bits" */
	const char *synopsis; /* "VALUE... [--types LIST] [--digits N] [--json]" */
	const char *summary;  /* one line for the command list */
	const char *help;     /* the body of `qlens NAME --help` */
	ql_cmd_fn run;
} ql_command;

extern const ql_command ql_commands[];
extern const int ql_command_count;

const ql_command *ql_command_find(const char *name);

/* Runs argv (argv[0] = command name). Unknown command: usage error. */
int ql_command_run(ql_cmd_ctx *ctx, int argc, char **argv);

/* Prints `Usage: qlens NAME SYNOPSIS` and the help text. */
void ql_command_help(const ql_command *cmd, FILE *out);

/* Usage error: prints "qlens NAME: message" (+ a hint to --help) on
 * ctx->err and returns QL_EXIT_USAGE. */
int ql_usage_error(ql_cmd_ctx *ctx, const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Failure: prints "qlens: message" on ctx->err and returns QL_EXIT_FAIL. */
int ql_fail(ql_cmd_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Splits a prompt line into words the way a shell would (single and double
 * quotes, backslash escapes). *argv is malloc'd (free with ql_free_words).
 * Returns 0, or -1 with a message (unbalanced quote). */
struct ql_error;
int ql_split_words(const char *line, int *argc, char ***argv, struct ql_error *err);
void ql_free_words(int argc, char **argv);

/* The command line: `qlens COMMAND ARGS...`, --help, --version, with the
 * output and the screen hook of ctx. argv[0] is the program's name. (With
 * no arguments main.c starts the TUI instead; here they get the overview.) */
int ql_main(ql_cmd_ctx *ctx, int argc, char **argv);

#endif
