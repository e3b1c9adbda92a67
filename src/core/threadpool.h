/* threadpool.h — running numbered jobs on a few threads (private to the
 * core library: src/core, and src/io, which drops mapped pages with it). Threads take the next job number in turn, so which thread runs
 * a job is not fixed: jobs must not share outputs.
 */
#ifndef QLENS_CORE_THREADPOOL_H
#define QLENS_CORE_THREADPOOL_H

#include <stdint.h>

/* Runs fn(arg, j) for j in [0, njobs) on up to `threads` threads (at most
 * 16), the calling thread among them; returns when all are done. */
void ql_run_jobs(int threads, int64_t njobs, void (*fn)(void *, int64_t), void *arg);

/* One per online CPU, at most 16. */
int ql_default_threads(void);

#endif
