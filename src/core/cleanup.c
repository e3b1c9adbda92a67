/* cleanup.c — temporary files removed on a terminating signal (see
 * qlens/cleanup.h).
 *
 * The table is fixed-size and static so that the handler touches nothing
 * but it: a slot's path is written completely before its flag is set, and
 * the handler only reads slots whose flag is set. unlink() and _exit() are
 * async-signal-safe.
 */
#include "qlens/cleanup.h"

#include <limits.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

static char paths[QL_CLEANUP_SLOTS][PATH_MAX];
static volatile sig_atomic_t in_use[QL_CLEANUP_SLOTS];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static const int signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};

int ql_cleanup_add(const char *path)
{
	size_t n = strlen(path);
	if (n >= PATH_MAX)
		return -1;
	int slot = -1;
	pthread_mutex_lock(&lock);
	for (int i = 0; i < QL_CLEANUP_SLOTS; i++) {
		if (!in_use[i]) {
			memcpy(paths[i], path, n + 1);
			__atomic_signal_fence(__ATOMIC_SEQ_CST); /* the path before the flag */
			in_use[i] = 1;
			slot = i;
			break;
		}
	}
	pthread_mutex_unlock(&lock);
	return slot;
}

void ql_cleanup_remove(int slot)
{
	if (slot < 0 || slot >= QL_CLEANUP_SLOTS)
		return;
	pthread_mutex_lock(&lock);
	in_use[slot] = 0;
	pthread_mutex_unlock(&lock);
}

void ql_cleanup_run(void)
{
	for (int i = 0; i < QL_CLEANUP_SLOTS; i++) {
		if (in_use[i]) {
			unlink(paths[i]);
			in_use[i] = 0;
		}
	}
}

static void on_signal(int sig)
{
	ql_cleanup_run();
	_exit(128 + sig);
}

void ql_cleanup_install_handlers(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof signals / sizeof signals[0]; i++)
		sigaddset(&sa.sa_mask, signals[i]); /* one handler at a time */
	for (size_t i = 0; i < sizeof signals / sizeof signals[0]; i++) {
		struct sigaction old;
		/* A signal ignored by whoever started us (nohup) stays ignored. */
		if (sigaction(signals[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN)
			continue;
		sigaction(signals[i], &sa, NULL);
	}
}

void ql_cleanup_block(sigset_t *old)
{
	sigset_t set;
	sigemptyset(&set);
	for (size_t i = 0; i < sizeof signals / sizeof signals[0]; i++)
		sigaddset(&set, signals[i]);
	pthread_sigmask(SIG_BLOCK, &set, old);
}

void ql_cleanup_unblock(const sigset_t *old)
{
	pthread_sigmask(SIG_SETMASK, old, NULL);
}
