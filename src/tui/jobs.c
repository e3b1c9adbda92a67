/* jobs.c — the inspector's background work (see inspect.h).
 *
 * A job runs one function in a detached thread on one tensor of an open
 * file. The screen that started it and the thread each hold a reference;
 * the screen drops its own when it moves away (ql_job_cancel also asks the
 * function to stop at its next check), the thread when the function
 * returns, and the last one frees the job and its payload. So leaving a
 * screen never waits for the work, and the work never outlives its data.
 */
#include "inspect.h"

#include <stdatomic.h>
#include <stdlib.h>

struct ql_job {
	atomic_int refs;
	atomic_bool cancel;
	atomic_int permille;
	atomic_int state;
	ql_doc *doc;
	size_t index;
	ql_job_fn fn;
	void *payload;
	void (*free_payload)(void *payload);
	ql_error err;
};

static pthread_mutex_t jobs_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t jobs_cond = PTHREAD_COND_INITIALIZER;
static int jobs_running;

void ql_inspect_wait_jobs(void)
{
	pthread_mutex_lock(&jobs_lock);
	while (jobs_running > 0)
		pthread_cond_wait(&jobs_cond, &jobs_lock);
	pthread_mutex_unlock(&jobs_lock);
}

static void unref(ql_job *j)
{
	if (!j || atomic_fetch_sub(&j->refs, 1) != 1)
		return;
	if (j->free_payload)
		j->free_payload(j->payload);
	ql_doc_unref(j->doc);
	free(j);
}

static void *run(void *arg)
{
	ql_job *j = arg;
	int rc = -1;
	if (atomic_load(&j->cancel))
		ql_error_set(&j->err, "cancelled");
	else
		rc = j->fn(j, j->doc, j->index, j->payload, &j->err);
	atomic_store(&j->state, rc == 0 ? QL_JOB_DONE : QL_JOB_FAILED);
	unref(j);
	pthread_mutex_lock(&jobs_lock);
	jobs_running--;
	pthread_cond_broadcast(&jobs_cond);
	pthread_mutex_unlock(&jobs_lock);
	return NULL;
}

ql_job *ql_job_start(ql_doc *doc, size_t index, ql_job_fn fn, void *payload,
		     void (*free_payload)(void *), ql_error *err)
{
	ql_job *j = calloc(1, sizeof *j);
	if (!j) {
		if (free_payload)
			free_payload(payload);
		ql_error_set(err, "out of memory");
		return NULL;
	}
	atomic_init(&j->refs, 2);
	atomic_init(&j->cancel, false);
	atomic_init(&j->permille, 0);
	atomic_init(&j->state, QL_JOB_RUNNING);
	j->index = index;
	j->fn = fn;
	j->payload = payload;
	j->free_payload = free_payload;
	j->doc = ql_doc_open(doc->path, err); /* shared: a reference, not a reopen */
	if (!j->doc) {
		if (free_payload)
			free_payload(payload);
		free(j);
		return NULL;
	}
	pthread_mutex_lock(&jobs_lock);
	jobs_running++;
	pthread_mutex_unlock(&jobs_lock);
	pthread_t th;
	pthread_attr_t at;
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	int rc = pthread_create(&th, &at, run, j);
	pthread_attr_destroy(&at);
	if (rc != 0) {
		pthread_mutex_lock(&jobs_lock);
		jobs_running--;
		pthread_mutex_unlock(&jobs_lock);
		atomic_store(&j->refs, 1);
		unref(j);
		ql_error_set(err, "cannot start a thread");
		return NULL;
	}
	return j;
}

void ql_job_cancel(ql_job *j)
{
	if (!j)
		return;
	atomic_store(&j->cancel, true);
	unref(j);
}

bool ql_job_progress(ql_job *j, double done)
{
	atomic_store(&j->permille, (int)(done * 1000));
	return !atomic_load(&j->cancel);
}

int ql_job_state(const ql_job *j)
{
	return atomic_load(&((ql_job *)j)->state);
}

int ql_job_permille(const ql_job *j)
{
	return atomic_load(&((ql_job *)j)->permille);
}

void *ql_job_payload(const ql_job *j)
{
	return j->payload;
}

const char *ql_job_error(const ql_job *j)
{
	return j->err.msg;
}
