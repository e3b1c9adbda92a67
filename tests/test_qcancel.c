/* test_qcancel.c — ql_quantize's progress counter and cancel flag
 * (ql_qopts.progress, .cancel): the jobs counted for each kind of plan, a
 * result unchanged by watching it, a cancel set before the call or from
 * another thread mid-run stopping it within a job's time with "cancelled"
 * and nothing to free.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "qlens/calib.h"
#include "qlens/quantize.h"

#define JOB (1 << 16) /* the driver's job size (qplan.h JOB_ELEMS) */

static float *make(int64_t n)
{
	float *x = malloc((size_t)n * sizeof *x);
	uint32_t s = 12345;
	for (int64_t i = 0; i < n; i++) {
		s = s * 1664525u + 1013904223u;
		x[i] = ((float)(s >> 8) / 16777216.0f - 0.5f) * 4.0f;
	}
	return x;
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Watching changes nothing: the same codes, scales and metrics with the
 * counter and an unset flag as without; at the end done == total, and
 * total is the jobs of every pass the plan runs. */
static void test_progress_counts(void **state)
{
	(void)state;
	const int64_t rows = 64, cols = 4 * JOB / 64 * 3; /* 12 jobs of values */
	const int64_t n = rows * cols, chunks = (n + JOB - 1) / JOB;
	float *x = make(n);
	int64_t shape[2] = {rows, cols};
	static const struct {
		const char *what;
		ql_qdtype dt;
		ql_granularity gran;
		ql_calib calib;
		int64_t jobs; /* -1: only check done == total > 0 */
	} cases[] = {
		/* per tensor, minmax: the scan, then the quantize pass */
		{"int8 per tensor", QL_Q_INT8, QL_GRAN_TENSOR, QL_CALIB_MINMAX, 2 * 12},
		/* a whole-tensor calibration counts as one pass more */
		{"int5 per tensor mse", QL_Q_INT5, QL_GRAN_TENSOR, QL_CALIB_MSE, 3 * 12},
		/* groups, minmax: one fused pass */
		{"int3 groups", QL_Q_INT3, QL_GRAN_GROUP, QL_CALIB_MINMAX, -1},
		{"int4 per channel percentile", QL_Q_INT4, QL_GRAN_CHANNEL, QL_CALIB_PERCENTILE, -1},
		{"q4_0", QL_Q_Q4_0, QL_GRAN_TENSOR, QL_CALIB_MINMAX, -1},
	};
	assert_int_equal(chunks, 12);
	for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
		ql_scheme s;
		ql_scheme_init(&s);
		s.dtype = cases[k].dt;
		s.gran = cases[k].gran;
		s.group = 64;
		s.axis = 0;
		s.calib = cases[k].calib;
		ql_qresult a, b;
		ql_error err;
		ql_qopts plain = {.dequant = true, .threads = 2};
		assert_int_equal(ql_quantize(x, shape, 2, &s, &plain, &a, &err), 0);
		ql_qprogress prog;
		atomic_init(&prog.done, 0);
		atomic_init(&prog.total, 0);
		volatile int cancel = 0;
		ql_qopts watched = {.dequant = true, .threads = 2, .progress = &prog,
				    .cancel = &cancel};
		assert_int_equal(ql_quantize(x, shape, 2, &s, &watched, &b, &err), 0);
		long long done = atomic_load(&prog.done), total = atomic_load(&prog.total);
		if (done != total || total <= 0 || (cases[k].jobs >= 0 && total != cases[k].jobs))
			fail_msg("%s: done %lld of %lld (want %lld)", cases[k].what, done, total,
				 (long long)cases[k].jobs);
		assert_memory_equal(a.codes, b.codes, (size_t)n);
		assert_memory_equal(a.scales, b.scales, (size_t)a.nscales * sizeof *a.scales);
		assert_memory_equal(a.dequant, b.dequant, (size_t)n * sizeof *a.dequant);
		assert_true(a.metrics.mse == b.metrics.mse);
		assert_int_equal(a.metrics.clipped, b.metrics.clipped);
		ql_qresult_free(&a);
		ql_qresult_free(&b);
	}
	free(x);
}

/* A flag already set: nothing runs, -1 with "cancelled", nothing to free. */
static void test_cancel_before(void **state)
{
	(void)state;
	const int64_t n = 8 * JOB;
	float *x = make(n);
	int64_t shape[1] = {n};
	ql_scheme s;
	ql_scheme_init(&s);
	for (int calib = 0; calib < 2; calib++) {
		s.calib = calib ? QL_CALIB_MSE : QL_CALIB_MINMAX;
		s.gran = calib ? QL_GRAN_TENSOR : QL_GRAN_GROUP;
		ql_qprogress prog;
		atomic_init(&prog.done, 0);
		atomic_init(&prog.total, 0);
		volatile int cancel = 1;
		ql_qopts o = {.dequant = true, .threads = 2, .progress = &prog, .cancel = &cancel};
		ql_qresult r;
		ql_error err;
		assert_int_equal(ql_quantize(x, shape, 1, &s, &o, &r, &err), -1);
		assert_string_equal(err.msg, "cancelled");
		assert_null(r.codes);
		assert_null(r.scales);
		assert_null(r.dequant);
		assert_int_equal(atomic_load(&prog.done), 0);
		assert_true(atomic_load(&prog.total) > 0);
	}
	free(x);
}

typedef struct canceller {
	ql_qprogress *prog;
	volatile int *cancel;
	long long at;      /* cancel once this many jobs are done */
	double set_ms;     /* when it did */
} canceller;

static void *cancel_thread(void *arg)
{
	canceller *c = arg;
	while (atomic_load(&c->prog->done) < c->at) {
		struct timespec ts = {0, 100000};
		nanosleep(&ts, NULL);
	}
	c->set_ms = now_ms();
	*c->cancel = 1;
	return NULL;
}

/* From another thread, mid-run: ql_quantize stops with "cancelled" before
 * the end (done < total), soon after the flag (within a few jobs' time),
 * and a run after it is whole. 16M values, one thread: 512 jobs. */
static void test_cancel_mid_run(void **state)
{
	(void)state;
	const int64_t n = 256 * JOB;
	float *x = make(n);
	int64_t shape[2] = {4096, n / 4096};
	ql_scheme s;
	ql_scheme_init(&s);
	s.dtype = QL_Q_INT5;
	s.gran = QL_GRAN_CHANNEL;
	s.axis = 0;
	s.calib = QL_CALIB_PERCENTILE;
	int stopped = 0;
	for (int attempt = 0; attempt < 4 && !stopped; attempt++) {
		ql_qprogress prog;
		atomic_init(&prog.done, 0);
		atomic_init(&prog.total, 0);
		volatile int cancel = 0;
		canceller c = {&prog, &cancel, 3, 0};
		pthread_t th;
		assert_int_equal(pthread_create(&th, NULL, cancel_thread, &c), 0);
		ql_qopts o = {.dequant = true, .threads = 1, .progress = &prog, .cancel = &cancel};
		ql_qresult r;
		ql_error err;
		int rc = ql_quantize(x, shape, 2, &s, &o, &r, &err);
		double end = now_ms();
		pthread_join(th, NULL);
		long long done = atomic_load(&prog.done), total = atomic_load(&prog.total);
		print_message("attempt %d: rc %d, %lld of %lld jobs, returned %.1f ms after the flag\n",
			      attempt, rc, done, total, end - c.set_ms);
		if (rc == 0) { /* it finished before the flag was seen: try again */
			ql_qresult_free(&r);
			continue;
		}
		assert_string_equal(err.msg, "cancelled");
		assert_null(r.codes);
		assert_true(done >= 3 && done < total);
		assert_true(end - c.set_ms < 2000); /* a few jobs, even under ASan on a busy machine */
		stopped++;
	}
	assert_int_equal(stopped, 1);
	/* the plan leaves nothing behind: a whole run afterwards */
	ql_qresult r;
	ql_error err;
	volatile int cancel = 0;
	ql_qopts o = {.threads = 2, .cancel = &cancel};
	assert_int_equal(ql_quantize(x, shape, 2, &s, &o, &r, &err), 0);
	assert_int_equal(r.nscales, 4096);
	ql_qresult_free(&r);
	free(x);
}

/* The whole-tensor mse search (100 candidates over up to 1M samples, one
 * thread) stops between two candidates: a cancel once the scan is done
 * returns in a small part of the search's time; ql_calibrate_cancel with
 * the flag clear gives ql_calibrate's clip, with it set "cancelled". */
static void test_cancel_calibration(void **state)
{
	(void)state;
	const int64_t n = 16 * JOB;
	float *x = make(n);
	int64_t shape[1] = {n};
	float lo, hi, lo2, hi2;
	ql_error err;
	volatile int flag = 0;
	assert_int_equal(ql_calibrate(x, (size_t)n, QL_CALIB_MSE, 99.9, true, -7, 7, &lo, &hi, &err), 0);
	assert_int_equal(ql_calibrate_cancel(x, (size_t)n, QL_CALIB_MSE, 99.9, true, -7, 7, &lo2, &hi2,
					     &flag, &err), 0);
	assert_true(lo == lo2 && hi == hi2);
	flag = 1;
	assert_int_equal(ql_calibrate_cancel(x, (size_t)n, QL_CALIB_MSE, 99.9, true, -7, 7, &lo2, &hi2,
					     &flag, &err), -1);
	assert_string_equal(err.msg, "cancelled");

	ql_scheme s;
	ql_scheme_init(&s);
	s.dtype = QL_Q_INT4;
	s.calib = QL_CALIB_MSE;
	ql_qresult r;
	double t0 = now_ms();
	ql_qopts plain = {.threads = 1};
	assert_int_equal(ql_quantize(x, shape, 1, &s, &plain, &r, &err), 0);
	double full = now_ms() - t0;
	ql_qresult_free(&r);

	ql_qprogress prog;
	atomic_init(&prog.done, 0);
	atomic_init(&prog.total, 0);
	volatile int cancel = 0;
	canceller c = {&prog, &cancel, 16, 0}; /* the scan's 16 jobs: then the search */
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, cancel_thread, &c), 0);
	ql_qopts o = {.threads = 1, .progress = &prog, .cancel = &cancel};
	int rc = ql_quantize(x, shape, 1, &s, &o, &r, &err);
	double end = now_ms();
	pthread_join(th, NULL);
	print_message("mse search: whole %.1f ms; cancelled after the scan, returned %.1f ms after "
		      "the flag\n", full, end - c.set_ms);
	assert_int_equal(rc, -1);
	assert_string_equal(err.msg, "cancelled");
	assert_true(end - c.set_ms < full / 4);
	free(x);
}

/* cancel_thread, then 20 ms more: the next pass has begun by then. */
static void *cancel_later_thread(void *arg)
{
	canceller *c = arg;
	while (atomic_load(&c->prog->done) < c->at) {
		struct timespec ts = {0, 100000};
		nanosleep(&ts, NULL);
	}
	struct timespec ts = {0, 20000000};
	nanosleep(&ts, NULL);
	c->set_ms = now_ms();
	*c->cancel = 1;
	return NULL;
}

/* Per group, each unit's calibration is checked too: the entropy search
 * on a group of 32 takes about half a millisecond, so a job's 2048 groups
 * kept a cancel waiting for a second (the TUI prompt's Ctrl-C on int4/g32
 * entropy). Cancelled while the groups are calibrated, it returns within a
 * few groups' time. */
static void test_cancel_unit_calibration(void **state)
{
	(void)state;
	const int64_t n = JOB; /* one job of values: 2048 groups, one calibration job */
	float *x = make(n);
	int64_t shape[1] = {n};
	ql_scheme s;
	ql_scheme_init(&s);
	s.dtype = QL_Q_INT4;
	s.gran = QL_GRAN_GROUP;
	s.group = 32;
	s.calib = QL_CALIB_ENTROPY;
	ql_qprogress prog;
	atomic_init(&prog.done, 0);
	atomic_init(&prog.total, 0);
	volatile int cancel = 0;
	canceller c = {&prog, &cancel, 1, 0}; /* the scan's one job: then the groups */
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, cancel_later_thread, &c), 0);
	ql_qopts o = {.threads = 1, .progress = &prog, .cancel = &cancel};
	ql_qresult r;
	ql_error err;
	double t0 = now_ms();
	int rc = ql_quantize(x, shape, 1, &s, &o, &r, &err);
	double end = now_ms();
	pthread_join(th, NULL);
	print_message("entropy per group: cancelled %.1f ms after the start, returned %.1f ms after "
		      "the flag\n", c.set_ms - t0, end - c.set_ms);
	assert_int_equal(rc, -1);
	assert_string_equal(err.msg, "cancelled");
	assert_true(end - c.set_ms < 50);
	free(x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_progress_counts),
		cmocka_unit_test(test_cancel_before),
		cmocka_unit_test(test_cancel_mid_run),
		cmocka_unit_test(test_cancel_calibration),
		cmocka_unit_test(test_cancel_unit_calibration),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
