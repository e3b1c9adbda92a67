/* test_signals.c — signals during the command line's work.
 *
 * 1. SIGINT, SIGTERM, SIGHUP and SIGQUIT while `quantize -o OUT` writes:
 *    the temporary .OUT.XXXXXX is removed, the exit status is 128 + the
 *    signal, and an existing OUT is left exactly as it was. The command
 *    runs in a child (ql_main, as the program does); the parent watches
 *    the folder, freezes the child with SIGSTOP the moment the temporary
 *    file exists (so the signal lands mid-write every time, not by luck),
 *    sends the signal and lets it go on.
 * 2. SIGBUS from a file truncated while mapped: one line
 *    "qlens: FILE: changed while it was being read" and exit status 1,
 *    also with more files mapped than the guard's first table holds.
 * 3. A fault that is not in a mapped file still kills with SIGBUS (the
 *    guard hides no real bug).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "qlens/command.h"
#include "qlens/io.h"
#include "testutil.h"

static char dir[128];

static int setup(void **state)
{
	(void)state;
	return tu_make_tmpdir(dir, sizeof dir, "signals");
}

static int teardown(void **state)
{
	(void)state;
	tu_remove_tmpdir(dir);
	return 0;
}

/* A float32 .npy of n elements, written with qlens's writer. */
static void make_npy(const char *path, int64_t n)
{
	float *x = malloc((size_t)n * sizeof *x);
	assert_non_null(x);
	uint32_t s = 12345;
	for (int64_t i = 0; i < n; i++) {
		s = s * 1664525u + 1013904223u;
		x[i] = (float)((int32_t)s >> 8) / 65536.0f;
	}
	ql_writer *w;
	ql_error err;
	int64_t shape[2] = {n / 1024, 1024};
	if (ql_writer_open(path, true, &w, &err) ||
	    ql_writer_add(w, "w", QL_DT_F32, shape, 2, x, &err) || ql_writer_close(w, &err))
		fail_msg("%s", err.msg);
	free(x);
}

/* Names in dir that start with prefix. */
static int count_prefix(const char *prefix)
{
	DIR *d = opendir(dir);
	assert_non_null(d);
	struct dirent *e;
	int n = 0;
	while ((e = readdir(d)))
		n += strncmp(e->d_name, prefix, strlen(prefix)) == 0;
	closedir(d);
	return n;
}

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

static pid_t spawn_main(char **argv, const char *errfile)
{
	int argc = 0;
	while (argv[argc])
		argc++;
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* whatever cmocka or the shell set, start as a program does */
		const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGBUS};
		for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
			signal(sigs[i], SIG_DFL);
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		int fd = open("/dev/null", O_WRONLY);
		dup2(fd, STDOUT_FILENO);
		int efd = open(errfile ? errfile : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0644);
		dup2(efd, STDERR_FILENO);
		ql_cmd_ctx ctx = {.out = stdout, .err = stderr}; /* as main.c, less the screens */
		_exit(ql_main(&ctx, argc, argv));
	}
	return pid;
}

static void signal_during_write(int sig)
{
	char in[256], out[256], err[256];
	snprintf(in, sizeof in, "%s/big.npy", dir);
	snprintf(out, sizeof out, "%s/out.safetensors", dir);
	snprintf(err, sizeof err, "%s/stderr", dir);
	if (access(in, F_OK) != 0)
		make_npy(in, (int64_t)4 << 20); /* 16 MB: the write takes a moment */
	tu_spew(out, "old contents", 12);
	char *argv[] = {"qlens", "quantize", in, "-o", out, "--force", "--dequant", NULL};

	for (int attempt = 0; attempt < 8; attempt++) {
		pid_t pid = spawn_main(argv, err);
		bool hit = false;
		for (int t = 0; t < 60000 && !hit; t++) {
			if (count_prefix(".out.safetensors.") > 0) {
				kill(pid, SIGSTOP);
				/* still there once frozen: the signal lands mid-write */
				hit = count_prefix(".out.safetensors.") > 0;
				if (!hit)
					kill(pid, SIGCONT);
				break;
			}
			int st;
			if (waitpid(pid, &st, WNOHANG) == pid) {
				pid = -1;
				break;
			}
			sleep_ms(1);
		}
		if (!hit) {
			if (pid > 0)
				waitpid(pid, NULL, 0);
			tu_spew(out, "old contents", 12);
			continue;
		}
		kill(pid, sig);
		kill(pid, SIGCONT);
		int st;
		assert_int_equal(waitpid(pid, &st, 0), pid);
		if (WIFSIGNALED(st))
			fail_msg("signal %d: the child died of signal %d instead of exiting", sig,
				 WTERMSIG(st));
		assert_true(WIFEXITED(st));
		assert_int_equal(WEXITSTATUS(st), 128 + sig);
		assert_int_equal(count_prefix(".out.safetensors."), 0);
		size_t n;
		uint8_t *o = tu_slurp(out, &n);
		assert_non_null(o);
		assert_int_equal(n, 12);
		assert_memory_equal(o, "old contents", 12);
		free(o);
		return;
	}
	fail_msg("signal %d: never caught the write in progress", sig);
}

static void test_sigint(void **s) { (void)s; signal_during_write(SIGINT); }
static void test_sigterm(void **s) { (void)s; signal_during_write(SIGTERM); }
static void test_sighup(void **s) { (void)s; signal_during_write(SIGHUP); }
static void test_sigquit(void **s) { (void)s; signal_during_write(SIGQUIT); }

/* A file truncated while it is mapped `maps` times and being read (the
 * last mapping read): the child exits 1 with the one line, not SIGBUS. */
static void truncated_while_mapped(const char *name, int64_t values, int maps)
{
	char path[256], err[256];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	snprintf(err, sizeof err, "%s/stderr", dir);
	make_npy(path, values);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int efd = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		dup2(efd, STDERR_FILENO);
		signal(SIGBUS, SIG_DFL);
		ql_map_guard_install();
		ql_source **src = calloc((size_t)maps, sizeof *src);
		ql_error e;
		if (!src)
			_exit(9);
		for (int i = 0; i < maps; i++)
			if (ql_source_open(path, NULL, &src[i], &e))
				_exit(10);
		if (truncate(path, 4096) != 0) /* another process would do this */
			_exit(11);
		float *x = NULL;
		if (ql_source_read_f32(src[maps - 1], 0, &x, &e)) /* touches every page: SIGBUS */
			_exit(12);
		_exit(13); /* read past the end without a fault: impossible */
	}
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	if (WIFSIGNALED(st))
		fail_msg("died of signal %d", WTERMSIG(st));
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 1);
	size_t n;
	char *msg = (char *)tu_slurp(err, &n);
	assert_non_null(msg);
	char want[400];
	snprintf(want, sizeof want, "qlens: %s: changed while it was being read\n", path);
	if (n != strlen(want) || memcmp(msg, want, n))
		fail_msg("stderr was:\n%.*s\nnot:\n%s", (int)n, msg, want);
	free(msg);
}

static void test_truncated_while_mapped(void **state)
{
	(void)state;
	truncated_while_mapped("shrinks.npy", (int64_t)1 << 20, 1); /* 4 MB */
}

/* The same with 300 files mapped (a checkpoint of 300 shards): the guard
 * listed 256 mappings, and a cut in any later one killed with SIGBUS. */
static void test_truncated_300th_mapping(void **state)
{
	(void)state;
	truncated_while_mapped("many.npy", (int64_t)1 << 16, 300); /* 256 KB each */
}

/* Whether process pid has path mapped (/proc/PID/maps). */
static bool has_mapped(pid_t pid, const char *path)
{
	char maps[64], line[1024];
	snprintf(maps, sizeof maps, "/proc/%d/maps", (int)pid);
	FILE *f = fopen(maps, "r");
	bool found = false;
	while (f && !found && fgets(line, sizeof line, f))
		found = strstr(line, path) != NULL;
	if (f)
		fclose(f);
	return found;
}

/* The same through the program: `quantize` of a file cut short while it
 * has it mapped (frozen with SIGSTOP once the mapping shows in
 * /proc/PID/maps, cut, let go). It must never die of the signal: either
 * its reads hit the cut (one line, exit 1) or it had read all it needed. */
static void test_truncated_cli(void **state)
{
	(void)state;
	char path[256], err[256];
	snprintf(path, sizeof path, "%s/cli.npy", dir);
	snprintf(err, sizeof err, "%s/stderr", dir);
	make_npy(path, (int64_t)4 << 20);
	char *argv[] = {"qlens", "quantize", path, "--calib", "mse", NULL};
	pid_t pid = spawn_main(argv, err);
	bool cut = false;
	for (int t = 0; t < 20000 && !cut; t++) {
		if (has_mapped(pid, path)) {
			kill(pid, SIGSTOP);
			assert_int_equal(truncate(path, 8192), 0);
			kill(pid, SIGCONT);
			cut = true;
		} else {
			sleep_ms(1);
		}
	}
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	if (WIFSIGNALED(st))
		fail_msg("died of signal %d", WTERMSIG(st));
	assert_true(cut);
	assert_true(WIFEXITED(st));
	if (WEXITSTATUS(st) == 0)
		return; /* finished its reads before the cut */
	assert_int_equal(WEXITSTATUS(st), 1);
	size_t n;
	char *msg = (char *)tu_slurp(err, &n);
	assert_non_null(msg);
	char want[400];
	snprintf(want, sizeof want, "qlens: %s: changed while it was being read\n", path);
	if (n != strlen(want) || memcmp(msg, want, n))
		fail_msg("stderr was:\n%.*s\nnot:\n%s", (int)n, msg, want);
	free(msg);
}

/* A SIGBUS outside any mapped file is not hidden. */
static void test_other_sigbus_still_fatal(void **state)
{
	(void)state;
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		signal(SIGBUS, SIG_DFL);
		ql_map_guard_install();
		int fd = open("/dev/null", O_WRONLY);
		dup2(fd, STDERR_FILENO);
		raise(SIGBUS); /* si_addr is no mapping of ours */
		_exit(0);
	}
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	/* raise() returns after the handler reset the action; the child then
	 * exits 0 — or, where the kernel re-delivers, dies of SIGBUS. Either
	 * way it did not print our message and exit 1. */
	assert_false(WIFEXITED(st) && WEXITSTATUS(st) == 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sigint),
		cmocka_unit_test(test_sigterm),
		cmocka_unit_test(test_sighup),
		cmocka_unit_test(test_sigquit),
		cmocka_unit_test(test_truncated_while_mapped),
		cmocka_unit_test(test_truncated_300th_mapping),
		cmocka_unit_test(test_truncated_cli),
		cmocka_unit_test(test_other_sigbus_still_fatal),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
