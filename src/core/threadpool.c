/* threadpool.c — the driver's jobs on a few threads (threadpool.h). */
#include "threadpool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

typedef struct pool_task {
	void (*fn)(void *arg, int64_t job);
	void *arg;
	int64_t njobs;
	atomic_llong next;
} pool_task;

static void *pool_worker(void *p)
{
	pool_task *t = p;
	for (;;) {
		long long j = atomic_fetch_add(&t->next, 1);
		if (j >= t->njobs)
			break;
		t->fn(t->arg, (int64_t)j);
	}
	return NULL;
}

/* Runs fn(arg, j) for j in [0, njobs) on up to `threads` threads. */
void ql_run_jobs(int threads, int64_t njobs, void (*fn)(void *, int64_t), void *arg)
{
	pool_task t = {.fn = fn, .arg = arg, .njobs = njobs};
	atomic_init(&t.next, 0);
	if (threads > njobs)
		threads = (int)njobs;
	pthread_t tid[16];
	int started = 0;
	for (int i = 1; i < threads && i < 16; i++) {
		if (pthread_create(&tid[started], NULL, pool_worker, &t) == 0)
			started++;
	}
	pool_worker(&t); /* this thread works too; if no thread started, it does it all */
	for (int i = 0; i < started; i++)
		pthread_join(tid[i], NULL);
}

int ql_default_threads(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n < 1 ? 1 : n > 16 ? 16 : (int)n;
}
