/* test_cli_cancel.c — ql_cmd_ctx.cancel, the TUI's Ctrl-C on a command run
 * at its ':' prompt (the prompt runs it on the UI thread): quantize, report
 * and compare stop with "cancelled" and status 1 once it is set, print no
 * result, and run whole with it clear. The tmux side (the note on the
 * status line, Ctrl-C, SIGTERM and SIGHUP mid-command) is in
 * tests/tui_signals.sh.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qlens/command.h"
#include "testutil.h"

/* Runs words (NULL-terminated) with ctx.cancel at *flag; returns the
 * status, *out and *err what the command printed (free them). */
static int run(const volatile int *flag, char **out, char **err, char **words)
{
	int argc = 0;
	while (words[argc])
		argc++;
	size_t olen = 0, elen = 0;
	FILE *o = open_memstream(out, &olen), *e = open_memstream(err, &elen);
	assert_non_null(o);
	assert_non_null(e);
	ql_cmd_ctx ctx = {.out = o, .err = e, .interactive = true, .cancel = flag};
	int rc = ql_command_run(&ctx, argc, words);
	fclose(o);
	fclose(e);
	return rc;
}

static void test_cancel(void **state)
{
	(void)state;
	char file[512];
	const char *src = getenv("QLENS_SRCDIR");
	snprintf(file, sizeof file, "%s/assets/samples/synth_gaussian.npy", src ? src : ".");
	char *cmds[][8] = {
		{"quantize", file, "int4/g32/mse", NULL},
		{"report", file, "int4/g32", NULL},
		{"compare", file, NULL},
	};
	for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
		char *out, *err;
		volatile int flag = 0;
		int rc = run(&flag, &out, &err, cmds[i]);
		if (rc != 0)
			fail_msg("%s with the flag clear: status %d, %s", cmds[i][0], rc, err);
		assert_true(strlen(out) > 0);
		free(out);
		free(err);

		flag = 1;
		rc = run(&flag, &out, &err, cmds[i]);
		if (rc != QL_EXIT_FAIL || !strstr(err, "cancelled"))
			fail_msg("%s with the flag set: status %d, stderr '%s'", cmds[i][0], rc, err);
		/* no result: quantize's readout, report's total, compare's table */
		assert_null(strstr(out, "sqnr"));
		assert_null(strstr(out, "total"));
		assert_null(strstr(out, "BITS/W        BYTES"));
		free(out);
		free(err);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cancel),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
