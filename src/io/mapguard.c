/* mapguard.c — a file that shrinks while it is mapped.
 *
 * qlens reads tensor files through read-only mappings. If another process
 * truncates the file meanwhile, touching a page past the new end raises
 * SIGBUS, which would kill qlens with no word. Every mapping is recorded
 * here (address, length, and its file name already escaped for the
 * terminal), and the SIGBUS handler installed by ql_map_guard_install()
 * looks the faulting address up: inside a mapping, it removes the
 * registered temporary outputs (qlens/cleanup.h), prints
 * "qlens: FILE: changed while it was being read" and exits with status 1
 * (once: when several threads fault at the same time, the first reports
 * and the others wait for its exit);
 * anywhere else it is a real bug, and the default action runs.
 *
 * The tables are static or chained on by ql_map_guard_add and never
 * freed, so the handler needs no lock and no allocation; a slot's fields
 * are written before its flag is set.
 */
#include "source_impl.h"

#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "qlens/cleanup.h"
#include "qlens/escape.h"

#define SLOTS 256

struct region {
	const uint8_t *addr;
	uint64_t size;
	char msg[320]; /* "qlens: FILE: changed while it was being read\n" */
	size_t msg_len;
};

/* SLOTS mappings; when they are taken another table is chained on (and
 * never freed: the handler may be walking it), so a checkpoint of more
 * than SLOTS shards has every one listed. */
static struct table {
	struct region regions[SLOTS];
	volatile sig_atomic_t used[SLOTS];
	struct table *volatile next;
} first;

void ql_map_guard_add(const uint8_t *addr, uint64_t size, const char *path)
{
	if (!addr || !size)
		return;
	for (struct table *t = &first; t; t = t->next) {
		for (int i = 0; i < SLOTS; i++) {
			if (t->used[i] || !__sync_bool_compare_and_swap(&t->regions[i].addr, NULL, addr))
				continue;
			char name[240];
			ql_escape_short(path, name, sizeof name);
			struct region *r = &t->regions[i];
			r->size = size;
			int n = snprintf(r->msg, sizeof r->msg,
					 "qlens: %s: changed while it was being read\n", name);
			r->msg_len = n > 0 && (size_t)n < sizeof r->msg ? (size_t)n : strlen(r->msg);
			atomic_signal_fence(memory_order_seq_cst);
			t->used[i] = 1;
			return;
		}
		if (!t->next) {
			struct table *more = calloc(1, sizeof *more);
			if (more && !__sync_bool_compare_and_swap(&t->next, NULL, more))
				free(more); /* another thread chained one first */
			/* out of memory: this mapping goes unlisted (a fault in it kills) */
		}
	}
}

void ql_map_guard_remove(const uint8_t *addr)
{
	if (!addr)
		return;
	for (struct table *t = &first; t; t = t->next) {
		for (int i = 0; i < SLOTS; i++) {
			if (t->used[i] && t->regions[i].addr == addr) {
				t->used[i] = 0;
				atomic_signal_fence(memory_order_seq_cst);
				__sync_bool_compare_and_swap(&t->regions[i].addr, addr, NULL);
				return;
			}
		}
	}
}

/* Set by the first thread that reports: with several threads reading the
 * cut file, each faults, and only one may print the line. */
static volatile int reporting;

bool ql_map_guard_message(const void *fault)
{
	const uint8_t *p = fault;
	for (const struct table *t = &first; t; t = t->next) {
		for (int i = 0; i < SLOTS; i++) {
			if (!t->used[i])
				continue;
			const struct region *r = &t->regions[i];
			if (p >= r->addr && (uint64_t)(p - r->addr) < r->size) {
				if (__sync_lock_test_and_set(&reporting, 1))
					for (;;)
						pause(); /* the reporter's _exit ends this thread too */
				ssize_t w = write(STDERR_FILENO, r->msg, r->msg_len);
				(void)w;
				return true;
			}
		}
	}
	return false;
}

static void on_sigbus(int sig, siginfo_t *info, void *ctx)
{
	(void)ctx;
	if (ql_map_guard_message(info->si_addr)) {
		ql_cleanup_run();
		_exit(1);
	}
	/* Not one of our mappings: a real fault. Die of it as usual (the
	 * faulting access runs again, now with the default action). */
	signal(sig, SIG_DFL);
}

void ql_map_guard_install(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_sigbus;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, NULL);
}
