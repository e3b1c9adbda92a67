/* test_qx.c — the quantization explorer's background worker (src/tui/qx.h).
 *
 * Jobs on a 4M-value tensor, submitted faster than they finish: only the
 * newest one's result comes out, the older ones are dropped (skipped or
 * cancelled), and that result equals ql_quantize's own on the same data.
 * Freeing the worker while it computes returns at once.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../src/tui/qx.h"

enum { N = 1 << 22 };

static float *make(void)
{
	float *x = malloc(N * sizeof *x);
	assert_non_null(x);
	for (int i = 0; i < N; i++)
		x[i] = (float)((i * 2654435761u) % 2001u) / 1000.0f - 1.0f;
	return x;
}

static double ms_since(const struct timespec *a)
{
	struct timespec b;
	clock_gettime(CLOCK_MONOTONIC, &b);
	return (double)(b.tv_sec - a->tv_sec) * 1e3 + (double)(b.tv_nsec - a->tv_nsec) / 1e6;
}

static void test_newest_wins(void **state)
{
	(void)state;
	int64_t shape[1] = {N};
	ql_error err;
	qx_worker *w = qx_worker_new(make(), shape, 1, N / 2, 10.0f, &err);
	assert_non_null(w);
	static const ql_qdtype seq[] = {QL_Q_INT8, QL_Q_INT4, QL_Q_INT2, QL_Q_UINT8, QL_Q_INT4};
	unsigned last = 0;
	for (size_t k = 0; k < sizeof seq / sizeof seq[0]; k++) {
		qx_job job = {.unit = 0, .threads = 1};
		ql_scheme_init(&job.scheme);
		job.scheme.dtype = seq[k];
		last = qx_submit(w, &job);
	}
	assert_true(qx_wait(w, last, 60000));
	qx_result *r = qx_take(w, 0);
	assert_non_null(r);
	assert_int_equal(r->gen, last);
	assert_false(r->failed);
	assert_int_equal(r->r.scheme.dtype, QL_Q_INT4);
	unsigned published, dropped;
	qx_counts(w, &published, &dropped);
	assert_int_equal(published + dropped, 5);
	assert_true(dropped >= 3);
	/* the same figures as ql_quantize on its own */
	float *x = make();
	ql_scheme s;
	ql_scheme_init(&s);
	s.dtype = QL_Q_INT4;
	ql_qresult ref;
	assert_int_equal(ql_quantize(x, shape, 1, &s, NULL, &ref, &err), 0);
	assert_true(ref.metrics.mse == r->r.metrics.mse);
	assert_true(ref.scales[0] == r->r.scales[0]);
	assert_int_equal(r->err_round.total + r->err_clip.total, N);
	ql_qresult_free(&ref);
	free(x);
	qx_result_free(r);
	/* freeing while a job runs does not wait for it */
	qx_job job = {.unit = 0, .threads = 1};
	ql_scheme_init(&job.scheme);
	job.scheme.calib = QL_CALIB_MSE;
	qx_submit(w, &job);
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	qx_worker_free(w);
	assert_true(ms_since(&t0) < 50);
}

/* A newer job stops the running ql_quantize mid-run (ql_qopts.cancel), not
 * after it: the newer one starts within a few of its 64K-value jobs, much
 * sooner than the older one would have taken; meanwhile qx_progress climbs
 * from 0 to 100. Per channel with a percentile, one thread: three passes of
 * 64 jobs each. */
static void test_cancel_mid_run(void **state)
{
	(void)state;
	int64_t shape[2] = {1024, N / 1024};
	ql_error err;
	qx_worker *w = qx_worker_new(make(), shape, 2, N / 2, 10.0f, &err);
	assert_non_null(w);
	qx_job job = {.unit = 0, .threads = 1};
	ql_scheme_init(&job.scheme);
	job.scheme.gran = QL_GRAN_CHANNEL;
	job.scheme.axis = 0;
	job.scheme.calib = QL_CALIB_PERCENTILE;
	/* once, so that the calibration marks of these values are made (their
	 * thread would compete with the timings below) */
	unsigned g = qx_submit(w, &job);
	assert_true(qx_wait(w, g, 60000));
	qx_result *r0 = qx_take(w, 0);
	assert_non_null(r0);
	for (int k = 0; k < 1200 && !qx_take_marks(w, r0); k++) {
		struct timespec ts = {0, 50000000};
		nanosleep(&ts, NULL);
	}
	assert_true(r0->have_marks);
	qx_result_free(r0);
	/* alone: how long the whole ql_quantize takes, and its progress */
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	g = qx_submit(w, &job);
	int seen_mid = 0, last_pct = -1;
	unsigned sg;
	for (;;) {
		const char *st = qx_stage(w, &sg);
		int pct = qx_progress(w);
		if (sg == g && !strcmp(st, "quantizing") && pct > 0 && pct < 100) {
			seen_mid++;
			assert_true(pct >= last_pct);
			last_pct = pct;
		}
		if (sg == g && !strcmp(st, "histograms"))
			break;
		if (qx_wait(w, g, 0))
			break;
		struct timespec ts = {0, 200000};
		nanosleep(&ts, NULL);
	}
	double full = ms_since(&t0);
	assert_true(qx_wait(w, g, 60000));
	qx_result_free(qx_take(w, 0));
	print_message("ql_quantize alone: %.1f ms, progress seen %d times mid-run (last %d%%)\n", full,
		      seen_mid, last_pct);
	assert_true(seen_mid >= 2);

	/* again, and a newer job once it is 5% of the way: without the cancel
	 * reaching ql_quantize the newer one would wait the other 95% */
	g = qx_submit(w, &job);
	while (!(qx_stage(w, &sg), sg == g && qx_progress(w) >= 5)) {
		struct timespec ts = {0, 100000};
		nanosleep(&ts, NULL);
	}
	job.scheme.dtype = QL_Q_INT5;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	unsigned g2 = qx_submit(w, &job);
	while (!(qx_stage(w, &sg), sg == g2)) {
		struct timespec ts = {0, 100000};
		nanosleep(&ts, NULL);
	}
	double switch_ms = ms_since(&t0);
	print_message("the newer job started %.1f ms after its submission\n", switch_ms);
	assert_true(switch_ms < full * 0.5);
	assert_true(qx_wait(w, g2, 60000));
	qx_result *r = qx_take(w, 0);
	assert_non_null(r);
	assert_int_equal(r->gen, g2);
	assert_int_equal(r->r.scheme.dtype, QL_Q_INT5);
	qx_result_free(r);
	unsigned published, dropped;
	qx_counts(w, &published, &dropped);
	assert_int_equal(published, 3);
	assert_int_equal(dropped, 1);
	qx_worker_free(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_newest_wins),
		cmocka_unit_test(test_cancel_mid_run),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
