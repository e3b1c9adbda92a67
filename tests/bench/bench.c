/* bench.c — `make bench`: the quantization kernels on a 64M-element float32
 * tensor, against a memcpy of the same buffer measured in the same run.
 *
 * For each kernel it prints the time (best of REPS runs), elements per
 * second, and the ratio of its speed to memcpy's (1.0 = as fast as copying
 * the 256 MB input to another buffer). Timed with CLOCK_MONOTONIC; buffers
 * are touched once before timing so page faults are not counted.
 *
 *   make bench                 64M elements, threads = online CPUs
 *   make bench ARGS="-n 16 -t 1"   16M elements, one thread
 *
 * It is a measurement, not a test: it prints and never fails on speed.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "qlens/quant.h"
#include "qlens/stats.h"

#define REPS 3

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

typedef struct bench {
	const float *x;
	int64_t n;
	int64_t rows, cols;
	void *dst;
	int threads;
	double memcpy_rate; /* elements per second */
} bench;

static void report(const bench *b, const char *name, double t)
{
	double rate = (double)b->n / t;
	printf("  %-44s %8.1f ms %9.1f M elem/s  %5.2f x memcpy\n", name, t * 1e3, rate / 1e6,
	       b->memcpy_rate > 0 ? rate / b->memcpy_rate : 0);
	fflush(stdout);
}

/* The bare per-channel kernel over rows [r0, r1): channel = row (axis 0),
 * given scales, into a buffer that is already mapped. */
typedef struct kjob {
	const bench *b;
	const float *scales;
	int64_t r0, r1;
} kjob;

static void *kernel_rows(void *arg)
{
	const kjob *k = arg;
	const bench *b = k->b;
	for (int64_t r = k->r0; r < k->r1; r++)
		ql_affine_quantize_s8(b->x + r * b->cols, (size_t)b->cols, k->scales[r], 0, -127, 127,
				      (int8_t *)b->dst + r * b->cols);
	return NULL;
}

static double per_channel_kernel(const bench *b, const float *scales, int threads)
{
	pthread_t tid[16];
	kjob jobs[16];
	double t0 = now();
	for (int t = 0; t < threads; t++) {
		jobs[t] = (kjob){b, scales, b->rows * t / threads, b->rows * (t + 1) / threads};
		if (t > 0)
			pthread_create(&tid[t], NULL, kernel_rows, &jobs[t]);
	}
	kernel_rows(&jobs[0]);
	for (int t = 1; t < threads; t++)
		pthread_join(tid[t], NULL);
	return now() - t0;
}

/* Runs ql_quantize REPS times with scheme s; reports the best time. */
static void bench_scheme(const bench *b, const char *name, const ql_scheme *s, bool dequant,
			 bool metrics)
{
	double best = 1e30;
	ql_qopts o = {.dequant = dequant, .threads = b->threads, .no_metrics = !metrics};
	int64_t shape[2] = {b->rows, b->cols};
	for (int r = 0; r < REPS; r++) {
		ql_qresult res;
		ql_error err;
		double t0 = now();
		if (ql_quantize(b->x, shape, 2, s, &o, &res, &err)) {
			fprintf(stderr, "qlens-bench: %s: %s\n", name, err.msg);
			exit(1);
		}
		double t = now() - t0;
		best = t < best ? t : best;
		bool last = r == REPS - 1 || t > 2.0; /* slow ones run once */
		ql_metrics m = res.metrics;
		ql_qresult_free(&res);
		if (last) {
			report(b, name, best);
			if (metrics)
				printf("  %-44s (sqnr %.2f dB, clipped %lld)\n", "",
				       m.sqnr_db, (long long)m.clipped);
			break;
		}
	}
}

int main(int argc, char **argv)
{
	int64_t mega = 64;
	int threads = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-n") && i + 1 < argc)
			mega = atol(argv[++i]);
		else if (!strcmp(argv[i], "-t") && i + 1 < argc)
			threads = atoi(argv[++i]);
		else {
			fprintf(stderr, "usage: qlens-bench [-n MEGA-ELEMENTS] [-t THREADS]\n");
			return 2;
		}
	}
	if (mega < 1)
		mega = 1;
	bench b = {.n = mega << 20, .cols = 4096, .threads = threads};
	b.rows = b.n / b.cols;
	float *x = malloc((size_t)b.n * sizeof *x);
	b.dst = malloc((size_t)b.n * sizeof(float));
	if (!x || !b.dst) {
		fprintf(stderr, "qlens-bench: out of memory\n");
		return 1;
	}
	/* roughly normal values (sum of four uniforms), a different spread per row */
	uint32_t seed = 1;
	for (int64_t i = 0; i < b.n; i++) {
		float s = 0;
		for (int k = 0; k < 4; k++) {
			seed = seed * 1664525u + 1013904223u;
			s += (float)(seed >> 8) * (1.0f / 16777216.0f);
		}
		x[i] = (s - 2.0f) * (0.5f + (float)((i / b.cols) % 7));
	}
	b.x = x;
	memset(b.dst, 1, (size_t)b.n * sizeof(float));

	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	printf("qlens-bench: %lld M float32 elements (%lld x %lld), %s threads (%ld CPUs)\n",
	       (long long)mega, (long long)b.rows, (long long)b.cols,
	       threads ? argv[argc - 1] : "auto", cpus);

	double best = 1e30;
	for (int r = 0; r < REPS + 2; r++) {
		double t0 = now();
		memcpy(b.dst, x, (size_t)b.n * sizeof *x);
		double t = now() - t0;
		best = t < best ? t : best;
	}
	b.memcpy_rate = (double)b.n / best;
	report(&b, "memcpy (the yardstick)", best);

	/* The bare kernel, one thread, one scale. */
	best = 1e30;
	for (int r = 0; r < REPS; r++) {
		double t0 = now();
		ql_affine_quantize_s8(x, (size_t)b.n, 0.01f, 0, -127, 127, (int8_t *)b.dst);
		double t = now() - t0;
		best = t < best ? t : best;
	}
	report(&b, "int8 affine kernel (1 thread, given scale)", best);

	float *scales = malloc((size_t)b.rows * sizeof *scales);
	for (int64_t r = 0; r < b.rows; r++)
		scales[r] = (2.0f * (0.5f + (float)(r % 7))) / 127.0f;
	int kt = threads > 0 ? threads : (int)sysconf(_SC_NPROCESSORS_ONLN);
	kt = kt < 1 ? 1 : kt > 16 ? 16 : kt;
	best = 1e30;
	for (int r = 0; r < REPS; r++) {
		double t = per_channel_kernel(&b, scales, kt);
		best = t < best ? t : best;
	}
	char kname[64];
	snprintf(kname, sizeof kname, "int8 per-channel kernel (%d threads, scales)", kt);
	report(&b, kname, best);
	free(scales);

	best = 1e30;
	for (int r = 0; r < REPS; r++) {
		ql_metrics m;
		double t0 = now();
		ql_metrics_compute(x, x, (size_t)b.n, &m);
		double t = now() - t0;
		best = t < best ? t : best;
	}
	report(&b, "metrics alone (1 thread)", best);

	ql_scheme s;
	ql_scheme_init(&s);
	s.gran = QL_GRAN_CHANNEL;
	s.axis = 0;
	printf("ql_quantize (scan for NaN/inf and min/max, calibrate, quantize):\n");
	bench_scheme(&b, "int8 per-channel quantize (codes only)", &s, false, false);
	bench_scheme(&b, "int8 per-channel quantize + metrics", &s, false, true);
	bench_scheme(&b, "int8 per-channel quant+dequant+metrics", &s, true, true);
	ql_scheme_init(&s);
	bench_scheme(&b, "int8 per-tensor quant+dequant+metrics", &s, true, true);
	s.dtype = QL_Q_UINT8;
	s.gran = QL_GRAN_CHANNEL;
	s.axis = 1;
	bench_scheme(&b, "uint8 asym per-channel (last axis), fused", &s, true, true);
	ql_scheme_init(&s);
	s.dtype = QL_Q_INT4;
	s.gran = QL_GRAN_GROUP;
	s.group = 32;
	bench_scheme(&b, "int4 per-group 32, fused", &s, true, true);
	const ql_qdtype blocky[] = {QL_Q_Q8_0, QL_Q_Q4_0, QL_Q_NF4, QL_Q_MXFP4, QL_Q_MXFP8,
				    QL_Q_FP8_E4M3};
	for (size_t i = 0; i < sizeof blocky / sizeof blocky[0]; i++) {
		ql_scheme_init(&s);
		s.dtype = blocky[i];
		char name[64];
		snprintf(name, sizeof name, "%s, fused", ql_qdtype_name(blocky[i]));
		bench_scheme(&b, name, &s, true, true);
	}
	free(x);
	free(b.dst);
	return 0;
}
