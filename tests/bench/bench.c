/* bench.c — `make bench`: the quantization kernels on a 64M-element float32
 * tensor, against a memcpy of the same buffer measured in the same run.
 *
 * For each kernel it prints the best and the median time of REPS runs,
 * elements per second (of the best) and the ratio of its speed to memcpy's
 * (1.0 = as fast as copying the 256 MB input to another buffer; best to
 * best). Timed with CLOCK_MONOTONIC. The bare kernels write into buffers
 * touched once before timing; ql_quantize allocates its outputs, so its
 * times include their page faults, as a user's run does; each of its rows
 * is followed by "same, buffers reused", the outputs lent by one ql_qbufs
 * (what every tensor after the first of one report or compare pays, and
 * what a caller that quantizes again and again can have). The load average
 * is printed first: on a busy machine the numbers mean less.
 *
 *   make bench                       64M elements, threads = online CPUs
 *   make bench ARGS="-n 16 -t 1"     16M elements, one thread
 *   make bench ARGS="-k mx"          only the kernels whose name has "mx"
 *
 * It is a measurement, not a test: it prints and never fails on speed.
 */
#include <pthread.h>
#include <stdbool.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../../src/core/quant_avx2.h"
#include "qlens/blockfmt.h"
#include "qlens/io.h"
#include "qlens/mx.h"
#include "qlens/nf4.h"
#include "qlens/quant.h"
#include "qlens/qview.h"
#include "qlens/scheme_text.h"
#include "qlens/stats.h"

#define REPS 5

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

typedef struct bench {
	const char *filter; /* run only names containing this, if set */
	const float *x;
	int64_t n;
	int64_t rows, cols;
	void *dst;
	int threads;
	int cpus;
	double memcpy_rate; /* elements per second */
} bench;

/* x rounded to multiples of 1/25 (errors like a quantizer's) into b->dst,
 * for the rows that time the error sums and histogram alone. */
static float *rounded_copy(const bench *b, const float *x)
{
	float *yq = (float *)b->dst;
	for (int64_t i = 0; i < b->n; i++)
		yq[i] = roundf(x[i] * 25.0f) / 25.0f;
	return yq;
}

static bool wanted(const bench *b, const char *name)
{
	return !b->filter || strstr(name, b->filter);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* Reports the best and the median of t[0..n). */
/* A section's heading, printed before its first row: with -k, only the
 * headings of sections that print something appear. */
static const char *pending_section;

static void section(const char *heading)
{
	pending_section = heading;
}

static void flush_section(void)
{
	if (pending_section)
		printf("%s\n", pending_section);
	pending_section = NULL;
}

static void report(const bench *b, const char *name, double *t, int n, int threads)
{
	flush_section();
	qsort(t, (size_t)n, sizeof *t, cmp_double);
	double best = t[0], med = n % 2 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2;
	double rate = (double)b->n / best;
	printf("  %-46s %2d %8.1f %8.1f %9.1f  %5.2f\n", name, threads, best * 1e3, med * 1e3,
	       rate / 1e6, b->memcpy_rate > 0 ? rate / b->memcpy_rate : 0);
	fflush(stdout);
}

/* The bare per-channel kernel over rows [r0, r1): channel = row (axis 0),
 * given scales, into a buffer that is already mapped. With `fused`, each
 * row goes through ql_affine_qdq_s8 instead, 1024 values a call as
 * ql_quantize does: quantized, dequantized and its errors summed in one
 * pass (the work of quantize + dequantize + metrics, without ql_quantize's
 * scan and allocations). */
typedef struct kjob {
	const bench *b;
	const float *scales;
	int64_t r0, r1;
	bool fused;
	ql_metrics_acc acc;
} kjob;

static void *kernel_rows(void *arg)
{
	kjob *k = arg;
	const bench *b = k->b;
	ql_metrics_acc_init(&k->acc);
	for (int64_t r = k->r0; r < k->r1; r++) {
		const float *x = b->x + r * b->cols;
		int8_t *q = (int8_t *)b->dst + r * b->cols;
		if (!k->fused) {
			k->acc.clipped += ql_affine_quantize_s8(x, (size_t)b->cols, k->scales[r], 0,
								-127, 127, q);
			continue;
		}
		for (int64_t c = 0; c < b->cols; c += 1024) {
			size_t w = (size_t)(b->cols - c < 1024 ? b->cols - c : 1024);
			k->acc.clipped += ql_affine_qdq_s8(x + c, w, k->scales[r], 0, -127, 127, q + c,
							   NULL, &k->acc);
		}
	}
	return NULL;
}

static double per_channel_kernel(const bench *b, const float *scales, int threads, bool fused)
{
	pthread_t tid[16];
	kjob jobs[16];
	double t0 = now();
	for (int t = 0; t < threads; t++) {
		jobs[t] = (kjob){b, scales, b->rows * t / threads, b->rows * (t + 1) / threads, fused,
				 {0}};
		if (t > 0)
			pthread_create(&tid[t], NULL, kernel_rows, &jobs[t]);
	}
	kernel_rows(&jobs[0]);
	for (int t = 1; t < threads; t++)
		pthread_join(tid[t], NULL);
	return now() - t0;
}

/* A block format's bare row quantizer (blockfmt.h) over rows [r0, r1). */
typedef struct bjob {
	const bench *b;
	ql_block_quantize_fn fn;
	const ql_block_traits *t;
	int64_t r0, r1;
} bjob;

static void *block_rows(void *arg)
{
	bjob *k = arg;
	const bench *b = k->b;
	size_t row_bytes = (size_t)(b->cols / k->t->block * k->t->bytes);
	for (int64_t r = k->r0; r < k->r1; r++)
		k->fn(b->x + r * b->cols, (unsigned char *)b->dst + (size_t)r * row_bytes, b->cols);
	return NULL;
}

/* The row quantizer of block format `name` (ref: ggml's loop as written;
 * else the fast one, the same bytes) on the first 2M values, 3 runs. */
static void bench_block(const bench *b, const char *name, bool ref, int threads)
{
	const ql_block_traits *t = ql_block_find(name);
	char label[64];
	snprintf(label, sizeof label, "%s row quantizer%s", name, ref ? " (reference loop)" : "");
	if (!t || !wanted(b, label))
		return;
	bench bb = *b;
	bb.rows = (b->n < (1 << 21) ? b->n : (1 << 21)) / b->cols;
	bb.n = bb.rows * b->cols;
	double tm[3];
	for (int rep = 0; rep < 3; rep++) {
		pthread_t tid[16];
		bjob jobs[16];
		double t0 = now();
		for (int k = 0; k < threads; k++) {
			jobs[k] = (bjob){&bb, ref ? t->quantize_row_ref : ql_block_quantizer(t), t,
					 bb.rows * k / threads, bb.rows * (k + 1) / threads};
			if (k > 0)
				pthread_create(&tid[k], NULL, block_rows, &jobs[k]);
		}
		block_rows(&jobs[0]);
		for (int k = 1; k < threads; k++)
			pthread_join(tid[k], NULL);
		tm[rep] = now() - t0;
	}
	report(&bb, label, tm, 3, threads);
}

/* Runs ql_quantize REPS times with scheme s (slow ones fewer times). */
/* With hist, the error histogram is counted in the pass too (ql_qopts.ehist;
 * its allocation and the 11 shown bins timed with it, as qlens quantize
 * makes them). */
/* With `reuse`, every run takes its outputs from one ql_qbufs (as report
 * and compare do): the first run pays the page faults, the others none,
 * as every tensor after the first of one command. */
static void bench_scheme_r(const bench *b, const char *name, const ql_scheme *s, bool dequant,
			   bool metrics, bool hist, bool reuse)
{
	if (!reuse && !wanted(b, name)) /* the reused row goes with its fresh one */
		return;
	double t[REPS];
	int done = 0;
	ql_qbufs bufs = {0};
	ql_qopts o = {.dequant = dequant, .threads = b->threads, .no_metrics = !metrics,
		      .bufs = reuse ? &bufs : NULL};
	int64_t shape[2] = {b->rows, b->cols};
	ql_metrics m = {0};
	double spent = 0;
	while (done < REPS && (done < 1 || spent < 10.0)) {
		ql_qresult res;
		ql_error err;
		ql_ehist eh;
		ql_hist h;
		double t0 = now();
		if (hist && ql_ehist_init(&eh, &err))
			hist = false;
		o.ehist = hist ? &eh : NULL;
		if (ql_quantize(b->x, shape, 2, s, &o, &res, &err)) {
			fprintf(stderr, "qlens-bench: %s: %s\n", name, err.msg);
			exit(1);
		}
		if (hist) {
			if (ql_ehist_finish(&eh, 11, &h, &err) > 0)
				ql_hist_free(&h);
			ql_ehist_free(&eh);
		}
		t[done] = now() - t0;
		spent += t[done++];
		m = res.metrics;
		ql_qresult_free(&res);
	}
	ql_qbufs_free(&bufs);
	report(b, name, t, done, b->threads ? b->threads : b->cpus);
	if (metrics && !reuse)
		printf("  %-46s (sqnr %.2f dB, clipped %lld)\n", "", m.sqnr_db, (long long)m.clipped);
}

/* The row with fresh buffers each run, then again with them reused. */
static void bench_scheme_h(const bench *b, const char *name, const ql_scheme *s, bool dequant,
			   bool metrics, bool hist)
{
	bench_scheme_r(b, name, s, dequant, metrics, hist, false);
	char rname[96];
	snprintf(rname, sizeof rname, "  same, buffers reused (ql_qbufs)");
	if (wanted(b, name))
		bench_scheme_r(b, rname, s, dequant, metrics, hist, true);
}

static void bench_scheme(const bench *b, const char *name, const ql_scheme *s, bool dequant,
			 bool metrics)
{
	bench_scheme_h(b, name, s, dequant, metrics, false);
}

/* The quantization explorer's work for one change (qx_worker.c), on the
 * whole tensor per tensor with a scale that clips (some of the values beyond
 * 6): ql_quantize keeping the dequantized copy, then the value histogram and
 * the error histograms split into rounding and clipping. "views" mode 0:
 * nothing but the quantize; 1: the histograms counted in its own passes
 * (ql_qopts.vhist, .ehist, .ehist_clip; finished and split after); 3: the
 * value histogram alone (ql_qopts.vhist, counted in the scan); 2: as
 * the explorer did before, in passes of their own after it: the values'
 * range, their 2048 bins, the errors' range, then every element classified
 * and its error counted (ql_hist_add_error by runs). */
static void views_before(const float *x, const ql_qresult *r, ql_hist *vh, ql_hist *er,
			 ql_hist *ec)
{
	float vmin, vmax;
	if (!ql_range(x, (size_t)r->nelem, &vmin, &vmax))
		vmin = vmax = 0;
	ql_hist_init(vh, 2048, fmin(vmin, 0), fmax(vmax, 0), NULL);
	ql_hist_add(vh, x, (size_t)r->nelem);
	const float *y = r->dequant;
	double lo = 0, hi = 0;
	for (int64_t i = 0; i < r->nelem; i++) {
		double e = (double)y[i] - (double)x[i];
		lo = e < lo ? e : lo;
		hi = e > hi ? e : hi;
	}
	ql_hist_init(er, 512, lo, hi, NULL);
	ql_hist_init(ec, 512, lo, hi, NULL);
	const float inv = 1.0f / r->scales[0], zp = r->zero_points ? (float)r->zero_points[0] : 0;
	int64_t start = 0;
	bool run = false;
	for (int64_t i = 0; i <= r->nelem; i++) {
		bool c = false;
		if (i < r->nelem) {
			float q = zp + rintf(x[i] * inv);
			c = q < (float)r->qmin || q > (float)r->qmax;
		}
		if (i == r->nelem || c != run) {
			if (i > start)
				ql_hist_add_error(run ? ec : er, x + start, y + start, (size_t)(i - start));
			start = i;
			run = c;
		}
	}
}

static void bench_views(const bench *b, const char *name, int mode)
{
	if (!wanted(b, name))
		return;
	ql_scheme s;
	ql_scheme_init(&s);
	s.has_scale = true;
	s.scale = 6.0f / 127.0f;
	int64_t shape[2] = {b->rows, b->cols};
	ql_qbufs bufs = {0};
	ql_ehist eh, ch, vh;
	ql_error err;
	if (ql_ehist_init(&eh, &err) || ql_ehist_init(&ch, &err) || ql_ehist_init(&vh, &err))
		return;
	double t[REPS];
	int64_t clipped = 0, nclip = 0;
	for (int rep = 0; rep < REPS; rep++) {
		double t0 = now();
		ql_ehist_clear(&eh);
		ql_ehist_clear(&ch);
		ql_ehist_clear(&vh);
		ql_qopts o = {.dequant = true, .threads = b->threads, .bufs = &bufs};
		if (mode == 1) {
			o.ehist = &eh;
			o.ehist_clip = &ch;
		}
		if (mode == 1 || mode == 3)
			o.vhist = &vh;
		ql_qresult r;
		if (ql_quantize(b->x, shape, 2, &s, &o, &r, &err)) {
			fprintf(stderr, "qlens-bench: %s: %s\n", name, err.msg);
			exit(1);
		}
		ql_hist v = {0}, hr = {0}, hc = {0};
		if (mode == 1) {
			if (ql_ehist_finish(&vh, 2048, &v, &err) > 0)
				ql_hist_free(&v);
			if (ql_qview_split_hists(&eh, &ch, 512, &hr, &hc, &err) == 0) {
				nclip = hc.total;
				ql_hist_free(&hr);
				ql_hist_free(&hc);
			}
		} else if (mode == 2) {
			views_before(b->x, &r, &v, &hr, &hc);
			nclip = hc.total;
			ql_hist_free(&v);
			ql_hist_free(&hr);
			ql_hist_free(&hc);
		}
		clipped = r.metrics.clipped;
		ql_qresult_free(&r);
		t[rep] = now() - t0;
	}
	ql_qbufs_free(&bufs);
	ql_ehist_free(&eh);
	ql_ehist_free(&ch);
	ql_ehist_free(&vh);
	report(b, name, t, REPS, b->threads ? b->threads : b->cpus);
	if (mode == 1 || mode == 2)
		printf("  %-46s (clipped %lld, in the clipping histogram %lld)\n", "",
		       (long long)clipped, (long long)nclip);
}

/* What `qlens report` runs per tensor: metrics, no codes or blocks kept
 * (no_codes), with fresh buffers each run or with one ql_qbufs reused by
 * every run (the first run's page faults are then the only ones). */
static void bench_report(const bench *b, const char *word)
{
	ql_scheme s;
	ql_error err;
	ql_scheme_init(&s);
	if (ql_scheme_parse_word(word, &s, &err)) {
		fprintf(stderr, "qlens-bench: %s\n", err.msg);
		exit(1);
	}
	int64_t shape[2] = {b->rows, b->cols};
	for (int reuse = 0; reuse < 2; reuse++) {
		char name[80];
		snprintf(name, sizeof name, "report %s (no codes, %s)", word,
			 reuse ? "ql_qbufs reused" : "fresh buffers");
		if (!wanted(b, name))
			continue;
		ql_qbufs bufs = {0};
		ql_qopts o = {.threads = b->threads, .no_codes = true, .bufs = reuse ? &bufs : NULL};
		double t[REPS];
		for (int r = 0; r < REPS; r++) {
			ql_qresult res;
			double t0 = now();
			if (ql_quantize(b->x, shape, 2, &s, &o, &res, &err)) {
				fprintf(stderr, "qlens-bench: %s: %s\n", name, err.msg);
				exit(1);
			}
			t[r] = now() - t0;
			ql_qresult_free(&res);
		}
		ql_qbufs_free(&bufs);
		report(b, name, t, REPS, b->threads ? b->threads : b->cpus);
	}
}

/* Fills n bytes with a fixed pseudo-random pattern. */
static void fill_bytes(uint8_t *p, size_t n)
{
	uint32_t seed = 99;
	for (size_t i = 0; i < n; i++) {
		seed = seed * 1664525u + 1013904223u;
		p[i] = (uint8_t)(seed >> 24);
	}
}

/* Times fn REPS times (single thread) and reports it under name. */
#define TIME_ROW(name, call) TIME_ROW_AFTER(name, (void)0, call)
/* The same, `prep` done first (untimed) when the row runs. */
#define TIME_ROW_AFTER(name, prep, call)                       \
	do {                                                   \
		if (!wanted(b, name))                          \
			break;                                 \
		prep;                                          \
		double tt[REPS];                               \
		for (int r_ = 0; r_ < REPS; r_++) {            \
			double t0 = now();                     \
			call;                                  \
			tt[r_] = now() - t0;                   \
		}                                              \
		report(b, name, tt, REPS, 1);                  \
	} while (0)

/* The dequantizers, one thread, over the whole tensor: each block format's
 * dequantize_row, NF4's and the MX formats' dequantizers, under the names
 * "NAME dequantize" + suffix. They read blocks of pseudo-random bytes
 * (their speed does not depend on the values) and write n floats. */
/* The bytes are made when the first row that reads them runs (with -k,
 * not at all if none does). */
static void bench_dequantizers(const bench *b, uint8_t *blk, size_t nbytes, const char *suffix)
{
	float *y = b->dst;
	char name[64];
	bool filled = false;
#define FILLED (filled ? (void)0 : (fill_bytes(blk, nbytes), (void)(filled = true)))
	for (int f = 0; f < ql_block_format_count; f++) {
		const ql_block_traits *t = &ql_block_formats[f];
		if (b->n % t->block)
			continue;
		snprintf(name, sizeof name, "%s dequantize%s", t->name, suffix);
		TIME_ROW_AFTER(name, FILLED, t->dequantize_row(blk, y, b->n));
	}
	float *absmax = malloc((size_t)(b->n / 64 + 1) * sizeof *absmax);
	if (absmax) {
		for (int64_t i = 0; i <= b->n / 64; i++)
			absmax[i] = 0.01f * (float)(1 + i % 13);
		snprintf(name, sizeof name, "nf4 dequantize%s", suffix);
		TIME_ROW_AFTER(name, FILLED, ql_nf4_dequantize(blk, absmax, b->n, y));
		free(absmax);
	}
	const ql_qdtype mx[] = {QL_Q_MXFP4, QL_Q_MXFP8, QL_Q_MXINT8};
	uint8_t *e = blk + b->n; /* n / 32 scale bytes after n code bytes */
	bool scaled = false;
	for (int m = 0; m < 3; m++) {
		snprintf(name, sizeof name, "%s dequantize%s", ql_qdtype_name(mx[m]), suffix);
		TIME_ROW_AFTER(name, if (!scaled) {
			FILLED;
			for (int64_t i = 0; i < b->n / 32; i++)
				e[i] = (uint8_t)(120 + i % 8);
			scaled = true;
		}, ql_mx_dequantize(mx[m], blk, e, b->n, y));
	}
#undef FILLED
}

/* The row kernels, one thread, over the whole tensor: Q8_0's and Q4_0's
 * quantize_row (the other formats' row quantizers: bench_block, on 2M
 * values), then every dequantizer as dispatched (AVX2 where the CPU has
 * it), then the same dequantizers' portable C references ("..., C
 * reference": the AVX2 kernels switched off). */
static void bench_rows(const bench *b)
{
	section("row kernels (one thread; dequantize: n floats written):");
	size_t nbytes = (size_t)b->n * 2; /* room for any block format here (<= 8.5 bits) */
	uint8_t *blk = malloc(nbytes);
	if (!blk) {
		fprintf(stderr, "qlens-bench: out of memory\n");
		exit(1);
	}
	/* then the same with the AVX2 kernels off: the portable C clones */
	for (int c = 0; c < 2; c++) {
		ql_avx2_enable(c == 0);
		for (int f = 0; f < ql_block_format_count; f++) {
			const ql_block_traits *t = &ql_block_formats[f];
			if (b->n % t->block || (strcmp(t->name, "q8_0") && strcmp(t->name, "q4_0")))
				continue;
			char name[64];
			snprintf(name, sizeof name, "%s quantize_row%s", t->name,
				 c ? ", C reference" : "");
			uint8_t *dst = b->dst;
			ql_block_quantize_fn q = ql_block_quantizer(t);
			TIME_ROW(name, q(b->x, dst, b->n));
		}
	}
	ql_avx2_enable(true);
	bench_dequantizers(b, blk, nbytes, "");
	ql_avx2_enable(false);
	bench_dequantizers(b, blk, nbytes, ", C reference");
	ql_avx2_enable(true);
	free(blk);
}

/* Opening a safetensors file whose header lists 80,000 small tensors
 * (about 7 MB of JSON, keys in name order, data in another order, as
 * scripts/make_big_header.py writes them): ql_source_open + close, the
 * header part of `qlens info`. x memcpy: header bytes per second over
 * memcpy's bytes per second. */
static void bench_header(const bench *b)
{
	const char *name = "safetensors header, 80,000 tensors: open";
	if (!wanted(b, name))
		return;
	enum { N = 80000 };
	char path[] = "/tmp/qlens-bench-XXXXXX";
	int fd = mkstemp(path);
	char *hdr = NULL;
	size_t hl = 0;
	FILE *f = fd >= 0 ? open_memstream(&hdr, &hl) : NULL;
	if (!f) {
		flush_section();
		printf("  %-46s (cannot make its file)\n", name);
		if (fd >= 0)
			close(fd);
		return;
	}
	static const char *const dt[] = {"F32", "F16", "BF16", "I8"};
	static const int sz[] = {4, 2, 2, 1};
	/* data order: widest dtype first, then by index */
	uint64_t base[4] = {0}, total = 0;
	for (int i = 0; i < N; i++)
		base[i % 4] += (uint64_t)sz[i % 4] * (uint64_t)(1 + i % 5);
	for (int k = 0; k < 4; k++) {
		uint64_t n = base[k];
		base[k] = total;
		total += n;
	}
	uint64_t pos[4] = {base[0], base[1], base[2], base[3]};
	fputc('{', f);
	fprintf(f, "\"__metadata__\":{\"format\":\"pt\"}");
	for (int i = 0; i < N; i++) {
		int k = i % 4;
		uint64_t nb = (uint64_t)sz[k] * (uint64_t)(1 + i % 5);
		fprintf(f, ",\"layers.%d.experts.%d.mlp.up_proj.w%d\":{\"dtype\":\"%s\",\"shape\":[%d],"
			"\"data_offsets\":[%llu,%llu]}", i / 288, i / 18 % 16, i % 18, dt[k], 1 + i % 5,
			(unsigned long long)pos[k], (unsigned long long)(pos[k] + nb));
		pos[k] += nb;
	}
	fputc('}', f);
	fclose(f);
	uint8_t len[8];
	for (int i = 0; i < 8; i++)
		len[i] = (uint8_t)((uint64_t)hl >> (8 * i));
	char *data = calloc(1, total ? total : 1);
	bool ok = data && write(fd, len, 8) == 8 && write(fd, hdr, hl) == (ssize_t)hl &&
		  write(fd, data, total) == (ssize_t)total;
	close(fd);
	free(data);
	double t[REPS];
	for (int r = 0; ok && r < REPS; r++) {
		ql_source *src;
		ql_error err;
		double t0 = now();
		if (ql_source_open(path, NULL, &src, &err)) {
			flush_section();
			printf("  %-46s %s\n", name, err.msg);
			ok = false;
			break;
		}
		ql_source_close(src);
		t[r] = now() - t0;
	}
	unlink(path);
	free(hdr);
	if (!ok)
		return;
	qsort(t, REPS, sizeof *t, cmp_double);
	double rate = (double)hl / t[0];
	flush_section();
	printf("  %-46s %2d %8.1f %8.1f %9.1f  %5.2f   (%.1f MB of JSON; column 5: MB/s)\n", name, 1,
	       t[0] * 1e3, t[REPS / 2] * 1e3, rate / 1e6,
	       b->memcpy_rate > 0 ? rate / (b->memcpy_rate * sizeof(float)) : 0, (double)hl / 1e6);
}

static void usage(void)
{
	fprintf(stderr, "usage: qlens-bench [-n MEGA-ELEMENTS] [-t THREADS] [-k NAME-PART]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	int64_t mega = 64;
	int threads = 0;
	const char *filter = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-n") && i + 1 < argc)
			mega = atol(argv[++i]);
		else if (!strcmp(argv[i], "-t") && i + 1 < argc)
			threads = atoi(argv[++i]);
		else if (!strcmp(argv[i], "-k") && i + 1 < argc)
			filter = argv[++i];
		else
			usage();
	}
	if (mega < 1)
		mega = 1;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	bench b = {.filter = filter, .n = mega << 20, .cols = 4096, .threads = threads,
		   .cpus = cpus < 1 ? 1 : cpus > 16 ? 16 : (int)cpus};
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

	double load[3] = {0};
	getloadavg(load, 3);
	printf("qlens-bench: %lld M float32 elements (%lld x %lld), %d CPUs, load average %.2f %.2f "
	       "%.2f\n", (long long)mega, (long long)b.rows, (long long)b.cols, b.cpus, load[0],
	       load[1], load[2]);
	printf("  %-46s %2s %8s %8s %9s  %5s\n", "kernel", "th", "best ms", "median", "M elem/s",
	       "x memcpy");

	double t[REPS + 2];
	for (int r = 0; r < REPS + 2; r++) {
		double t0 = now();
		memcpy(b.dst, x, (size_t)b.n * sizeof *x);
		t[r] = now() - t0;
	}
	qsort(t, REPS + 2, sizeof *t, cmp_double);
	b.memcpy_rate = (double)b.n / t[0];
	report(&b, "memcpy (the yardstick)", t, REPS + 2, 1);

	const char *name = "int8 affine kernel (given scale)";
	if (wanted(&b, name)) {
		for (int r = 0; r < REPS; r++) {
			double t0 = now();
			ql_affine_quantize_s8(x, (size_t)b.n, 0.01f, 0, -127, 127, (int8_t *)b.dst);
			t[r] = now() - t0;
		}
		report(&b, name, t, REPS, 1);
	}

	float *scales = malloc((size_t)b.rows * sizeof *scales);
	for (int64_t r = 0; r < b.rows; r++)
		scales[r] = (2.0f * (0.5f + (float)(r % 7))) / 127.0f;
	int kt = threads > 0 ? threads : b.cpus;
	kt = kt < 1 ? 1 : kt > 16 ? 16 : kt;
	for (int fused = 0; fused < 2; fused++) {
		name = fused ? "int8 per-channel kernel, quant+dequant+metrics"
			     : "int8 per-channel kernel (scales given)";
		if (!wanted(&b, name))
			continue;
		for (int r = 0; r < REPS; r++)
			t[r] = per_channel_kernel(&b, scales, kt, fused);
		report(&b, name, t, REPS, kt);
	}
	free(scales);

	name = "metrics alone";
	if (wanted(&b, name)) {
		for (int r = 0; r < REPS; r++) {
			ql_metrics m;
			double t0 = now();
			ql_metrics_compute(x, x, (size_t)b.n, &m);
			t[r] = now() - t0;
		}
		report(&b, name, t, REPS, 1);
	}

	/* the sums and the fine histogram in one step (ql_metrics_add with
	 * acc.eh: acc_avx2.h), over x against a rounded copy, in tiles */
	name = "metrics + error histogram, one step";
	if (wanted(&b, name)) {
		float *yq = rounded_copy(&b, x);
		ql_ehist eh;
		ql_error err;
		if (ql_ehist_init(&eh, &err) == 0) {
			for (int r = 0; r < REPS; r++) {
				ql_metrics_acc a;
				ql_metrics_acc_init(&a);
				ql_ehist_clear(&eh);
				a.eh = &eh;
				double t0 = now();
				for (int64_t i = 0; i < b.n; i += 1024)
					ql_metrics_add(&a, x + i, yq + i, 1024);
				t[r] = now() - t0;
			}
			ql_ehist_free(&eh);
			report(&b, name, t, REPS, 1);
		}
	}

	/* the fine error histogram over x against a rounded copy (errors like a
	 * quantizer's), in the tiles ql_quantize gives it */
	name = "error histogram alone (ql_ehist_add)";
	if (wanted(&b, name)) {
		float *yq = rounded_copy(&b, x);
		ql_ehist eh;
		ql_error err;
		if (ql_ehist_init(&eh, &err) == 0) {
			for (int r = 0; r < REPS; r++) {
				ql_ehist_clear(&eh);
				double t0 = now();
				for (int64_t i = 0; i < b.n; i += 1024)
					ql_ehist_add(&eh, x + i, yq + i, 1024);
				t[r] = now() - t0;
			}
			ql_ehist_free(&eh);
			report(&b, name, t, REPS, 1);
		}
	}

	ql_scheme s;
	ql_scheme_init(&s);
	s.gran = QL_GRAN_CHANNEL;
	s.axis = 0;
	section("ql_quantize (scan for NaN/inf and min/max, calibrate, quantize; allocates):");
	bench_scheme(&b, "int8 per-channel quantize (codes only)", &s, false, false);
	bench_scheme(&b, "int8 per-channel quant+dequant+metrics", &s, false, true);
	bench_scheme(&b, "int8 per-channel q+dq+metrics, keep dequant", &s, true, true);
	ql_scheme_init(&s);
	bench_scheme(&b, "int8 per-tensor q+dq+metrics, keep dequant", &s, true, true);
	s.dtype = QL_Q_UINT8;
	s.gran = QL_GRAN_CHANNEL;
	s.axis = 1;
	bench_scheme(&b, "uint8 asym per-channel (last axis)", &s, true, true);
	ql_scheme_init(&s);
	s.dtype = QL_Q_INT4;
	s.gran = QL_GRAN_GROUP;
	s.group = 32;
	bench_scheme(&b, "int4 per-group 32", &s, true, true);
	bench_scheme(&b, "int4 per-group 32 (codes only, no_metrics)", &s, false, false);
	/* What qlens quantize runs without -o: metrics and the error histogram
	 * in the one pass, no dequantized copy kept. */
	section("ql_quantize with the error histogram in the pass (no dequant kept):");
	ql_scheme_init(&s);
	s.gran = QL_GRAN_CHANNEL;
	s.axis = 0;
	bench_scheme_h(&b, "int8 per-channel q+dq+metrics with histogram", &s, false, true, true);
	ql_scheme_init(&s);
	bench_scheme_h(&b, "int8 per-tensor q+dq+metrics with histogram", &s, false, true, true);
	s.dtype = QL_Q_UINT8;
	s.gran = QL_GRAN_CHANNEL;
	s.axis = 1;
	bench_scheme_h(&b, "uint8 asym per-channel (last axis) with histogram", &s, false, true,
		       true);
	s.axis = 0;
	bench_scheme_h(&b, "uint8 asym per-channel (axis 0) with histogram", &s, false, true, true);
	ql_scheme_init(&s);
	s.dtype = QL_Q_INT4;
	s.gran = QL_GRAN_GROUP;
	s.group = 32;
	bench_scheme_h(&b, "int4 per-group 32 with histogram", &s, false, true, true);
	s.group = 128; /* GPTQ's and AWQ's groups */
	bench_scheme_h(&b, "int4 per-group 128 with histogram", &s, false, true, true);
	ql_scheme_init(&s);
	s.dtype = QL_Q_Q8_0;
	bench_scheme_h(&b, "q8_0 with histogram", &s, false, true, true);
	const ql_qdtype blocky[] = {QL_Q_Q8_0, QL_Q_Q4_0, QL_Q_NF4, QL_Q_MXFP4, QL_Q_MXFP8,
				    QL_Q_MXINT8, QL_Q_FP8_E4M3, QL_Q_FP8_E5M2};
	for (size_t i = 1; i < sizeof blocky / sizeof blocky[0]; i++) {
		ql_scheme_init(&s);
		s.dtype = blocky[i];
		char hname[64];
		snprintf(hname, sizeof hname, "%s with histogram", ql_qdtype_name(blocky[i]));
		bench_scheme_h(&b, hname, &s, false, true, true);
	}
	section("the explorer's work per change (int8 per tensor, a scale that clips; buffers "
		"reused):");
	bench_views(&b, "views: quantize, keep dequant (no histograms)", 0);
	bench_views(&b, "views: + value histogram in its scan", 3);
	bench_views(&b, "views: + value/error/clip hists in its passes", 1);
	bench_views(&b, "views: + the same in passes after it (before)", 2);
	section("ql_quantize, the block formats:");
	for (size_t i = 0; i < sizeof blocky / sizeof blocky[0]; i++) {
		ql_scheme_init(&s);
		s.dtype = blocky[i];
		char bname[64];
		snprintf(bname, sizeof bname, "%s (q+dq+metrics, keep dequant)",
			 ql_qdtype_name(blocky[i]));
		bench_scheme(&b, bname, &s, true, true);
		snprintf(bname, sizeof bname, "%s (codes only, no_metrics)", ql_qdtype_name(blocky[i]));
		bench_scheme(&b, bname, &s, false, false);
	}
	static const char *const reported[] = {"int8", "int4/g32", "q8_0", "q4_0", "nf4", "mxfp4"};
	section("qlens report's work per tensor (metrics, no codes kept):");
	for (size_t i = 0; i < sizeof reported / sizeof reported[0]; i++)
		bench_report(&b, reported[i]);
	section("block formats (bare row quantizers on 2M values; the reference loop is ggml's "
		"quantize_row_*_ref as written):");
	static const char *const blocks[] = {"q4_k", "q6_k", "iq4_xs", "tq2_0", "mxfp4_ggml",
					     "nvfp4"};
	for (size_t i = 0; i < sizeof blocks / sizeof blocks[0]; i++) {
		bench_block(&b, blocks[i], false, kt);
		if (ql_block_find(blocks[i])->quantize_row)
			bench_block(&b, blocks[i], true, kt);
	}
	bench_rows(&b);
	section("opening files:");
	bench_header(&b);
	free(x);
	free(b.dst);
	return 0;
}
