/* ehist_pool.h — fine error histograms for jobs on threads (private to
 * src/core; ehist.c).
 *
 * A job takes a free histogram for its run and gives it back at its end,
 * so at most one per running thread is ever made (ql_run_jobs runs at most
 * 16). Which job counts into which histogram depends on the threads'
 * timing, but the counts are integers and min/max exact, so the merged
 * result does not.
 */
#ifndef QLENS_CORE_EHIST_POOL_H
#define QLENS_CORE_EHIST_POOL_H

#include <stdatomic.h>

#include "qlens/stats.h"

#define QL_EHIST_POOL 16

typedef struct ql_ehist_pool {
	ql_ehist h[QL_EHIST_POOL]; /* made when first taken */
	atomic_int busy[QL_EHIST_POOL];
	atomic_int failed;         /* a take found none (out of memory) */
} ql_ehist_pool;

int ql_ehist_pool_init(ql_ehist_pool *p);
/* A free histogram (its slot in *slot), or NULL (out of memory: the pool
 * remembers it and ql_ehist_pool_merge fails). */
ql_ehist *ql_ehist_pool_take(ql_ehist_pool *p, int *slot);
void ql_ehist_pool_give(ql_ehist_pool *p, int slot);
/* Adds every histogram into *into; -1 if a take failed. */
int ql_ehist_pool_merge(ql_ehist_pool *p, ql_ehist *into);
void ql_ehist_pool_free(ql_ehist_pool *p);

#endif
