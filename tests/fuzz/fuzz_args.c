/* fuzz_args.c — libFuzzer target for the command line's argument parsing:
 * the input is split at newlines into words, the first naming a command
 * (bits, dtypes, quantize, info, report, compare, convert, help), and run
 * through ql_command_run() exactly as `qlens WORD...` would, with output to
 * a memory stream. Also fed to the prompt's word splitter.
 *
 * Checked for every input: no crash or sanitizer report; the exit status is
 * 0, 1 or 2; a usage error (2) or a failure (1) is one line on stderr
 * starting with "qlens"; no raw control character reaches stdout or stderr.
 *
 * File names are kept away from the real system: each run works in an
 * empty folder (and returns to where libFuzzer keeps its corpus), and any word with a '/' or equal to "-" (standard input)
 * becomes "x", so the file commands see missing files and only their
 * parsing and checks run.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "qlens/command.h"
#include "qlens/error.h"

#include <fcntl.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static char work_dir[] = "/tmp/qlens-fuzz-args-XXXXXX";
static int home_fd = -1;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	home_fd = open(".", O_RDONLY | O_DIRECTORY);
	if (home_fd < 0 || !mkdtemp(work_dir))
		abort();
	return 0;
}

static void check_stream(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c < 0x20 && c != '\n') || c == 0x7F)
			abort(); /* a raw control character reached the terminal */
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 4096)
		return 0;
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';

	/* the prompt's splitter on the whole input */
	int pc;
	char **pv;
	ql_error err;
	if (memchr(text, '\0', size) == NULL && ql_split_words(text, &pc, &pv, &err) == 0)
		ql_free_words(pc, pv);

	char *words[64];
	int argc = 0;
	for (char *p = text, *save = NULL, *w; argc < 63 && (w = strtok_r(p, "\n", &save)); p = NULL) {
		if (strchr(w, '/') || strcmp(w, "-") == 0)
			w = "x";
		words[argc++] = w;
	}
	words[argc] = NULL;
	if (argc == 0 || !ql_command_find(words[0])) {
		free(text);
		return 0;
	}
	char *out = NULL, *errs = NULL;
	size_t out_n = 0, err_n = 0;
	FILE *fo = open_memstream(&out, &out_n), *fe = open_memstream(&errs, &err_n);
	if (!fo || !fe)
		abort();
	ql_cmd_ctx ctx = { .out = fo, .err = fe, .interactive = false, .progress = false };
	if (chdir(work_dir) != 0)
		abort();
	int rc = ql_command_run(&ctx, argc, words);
	if (fchdir(home_fd) != 0)
		abort();
	fclose(fo);
	fclose(fe);
	if (rc < 0 || rc > 2)
		abort();
	if (rc != 0) {
		/* one line, "qlens ..." */
		if (err_n < 6 || strncmp(errs, "qlens", 5) != 0 || errs[err_n - 1] != '\n' ||
		    memchr(errs, '\n', err_n - 1) != NULL)
			abort();
	}
	check_stream(out, out_n);
	check_stream(errs, err_n);
	free(out);
	free(errs);
	free(text);
	return 0;
}
