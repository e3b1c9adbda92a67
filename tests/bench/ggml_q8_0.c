/* ggml_q8_0.c — the driver of scripts/bench_ggml_q8_0.sh: ggml's own
 * quantize_row_q8_0 (its SIMD one, from a ggml build's libggml-cpu.a),
 * ggml's quantize_row_q8_0_ref, and qlens's ql_quantize_row_q8_0 on the same
 * 64M floats (bench.c's pseudo-normal data), one thread, against memcpy of
 * the same buffer, all in one run and interleaved (round r times each in
 * turn), best of REPS rounds; then the same for Q4_0 (ggml's CPU
 * quantize_row_q4_0 is its reference loop: it has no SIMD one). For each:
 * wall ms, CPU ms of the thread, ratio to memcpy's speed (best wall to best
 * wall; also by CPU time), and whether its bytes equal ggml's reference
 * bytes; then qlens's Q8_0 speed over ggml's SIMD one (wall and CPU);
 * last, every dequantizer both have (dequantizers() below).
 *
 * Not built by the Makefile: the script compiles it against a ggml build
 * found outside this repository. No ggml code is copied here; only the
 * prototypes of functions ggml exports are declared.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "qlens/blockfmt.h"
#include "qlens/blocks.h"

/* ggml-cpu (arch/x86/quants.c) and ggml-base (ggml-quants.c), by name */
void quantize_row_q8_0(const float *x, void *y, int64_t k);
void quantize_row_q8_0_ref(const float *x, void *y, int64_t k);
void quantize_row_q4_0(const float *x, void *y, int64_t k);
void quantize_row_q4_0_ref(const float *x, void *y, int64_t k);

/* ggml-base's dequantizers (ggml-quants.c: what ggml's type traits call
 * to_float, compiled as ggml's build compiles them) */
#define DEQ(name) void dequantize_row_##name(const void *x, float *y, int64_t k);
DEQ(q8_0) DEQ(q4_0) DEQ(q4_1) DEQ(q5_0) DEQ(q5_1) DEQ(q2_K) DEQ(q3_K) DEQ(q4_K) DEQ(q5_K)
DEQ(q6_K) DEQ(q8_K) DEQ(iq4_nl) DEQ(iq4_xs) DEQ(tq1_0) DEQ(tq2_0) DEQ(mxfp4) DEQ(nvfp4)
#undef DEQ

typedef void (*deq_fn)(const void *x, float *y, int64_t k);
static const struct {
	const char *qlens; /* ql_block_find's name */
	deq_fn ggml;
} deqs[] = {
	{"q8_0", dequantize_row_q8_0},     {"q4_0", dequantize_row_q4_0},
	{"q4_1", dequantize_row_q4_1},     {"q5_0", dequantize_row_q5_0},
	{"q5_1", dequantize_row_q5_1},     {"q2_k", dequantize_row_q2_K},
	{"q3_k", dequantize_row_q3_K},     {"q4_k", dequantize_row_q4_K},
	{"q5_k", dequantize_row_q5_K},     {"q6_k", dequantize_row_q6_K},
	{"q8_k", dequantize_row_q8_K},     {"iq4_nl", dequantize_row_iq4_nl},
	{"iq4_xs", dequantize_row_iq4_xs}, {"tq1_0", dequantize_row_tq1_0},
	{"tq2_0", dequantize_row_tq2_0},   {"mxfp4_ggml", dequantize_row_mxfp4},
	{"nvfp4", dequantize_row_nvfp4},
};

#define REPS 7

static double clock_s(clockid_t c)
{
	struct timespec ts;
	clock_gettime(c, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

typedef struct row {
	const char *name;
	double wall, cpu; /* best of the rounds */
} row;

enum { MEMCPY, GGML_SIMD, GGML_REF, QLENS, GGML_Q4, QLENS_Q4, NROWS };

/* Every block format both have: blocks of the first 1M floats made by
 * qlens's quantizer (ggml's reference bytes), repeated over n floats; then
 * ggml's dequantize_row_* and qlens's (as ql_block_traits dispatches it:
 * AVX2 where there is a CPU for it), interleaved, best of REPS, against
 * memcpy of n floats; the floats compared bit for bit. 1 when all equal. */
static int dequantizers(const float *x, float *dst, int64_t n)
{
	float *out = malloc((size_t)n * sizeof *out);
	if (!out) {
		fprintf(stderr, "ggml_q8_0: out of memory\n");
		return 0;
	}
	memset(out, 1, (size_t)n * sizeof *out);
	const int64_t m = (int64_t)1 << 20 < n ? (int64_t)1 << 20 : n;
	int all_same = 1;
	printf("dequantize, %lld M floats written, one thread (blocks repeated from 1M "
	       "quantized floats)\n", (long long)(n >> 20));
	printf("  %-12s %12s %12s %12s %12s %10s  %s\n", "format", "ggml ms", "qlens ms",
	       "ggml x mcpy", "qlens x mcpy", "qlens/ggml", "floats equal");
	for (size_t f = 0; f < sizeof deqs / sizeof deqs[0]; f++) {
		const ql_block_traits *t = ql_block_find(deqs[f].qlens);
		if (!t || n % t->block || m % t->block)
			continue;
		const int64_t nb = n / t->block, mb = m / t->block;
		uint8_t *blk = malloc((size_t)nb * (size_t)t->bytes);
		if (!blk) {
			fprintf(stderr, "ggml_q8_0: out of memory\n");
			free(out);
			return 0;
		}
		ql_block_quantizer(t)(x, blk, m);
		for (int64_t b = mb; b < nb; b += mb)
			memcpy(blk + b * t->bytes, blk, (size_t)((nb - b < mb ? nb - b : mb) * t->bytes));
		double best[3] = {1e9, 1e9, 1e9}; /* memcpy, ggml, qlens */
		for (int r = 0; r < REPS; r++) {
			for (int k = 0; k < 3; k++) {
				double w0 = clock_s(CLOCK_MONOTONIC);
				if (k == 0)
					memcpy(out, x, (size_t)n * sizeof *x);
				else if (k == 1)
					deqs[f].ggml(blk, dst, n);
				else
					t->dequantize_row(blk, out, n);
				double w = clock_s(CLOCK_MONOTONIC) - w0;
				best[k] = w < best[k] ? w : best[k];
			}
		}
		int same = memcmp(dst, out, (size_t)n * sizeof *out) == 0;
		all_same &= same;
		printf("  %-12s %12.1f %12.1f %12.2f %12.2f %10.2f  %s\n", t->name, best[1] * 1e3,
		       best[2] * 1e3, best[0] / best[1], best[0] / best[2], best[1] / best[2],
		       same ? "yes" : "NO");
		free(blk);
	}
	free(out);
	return all_same;
}

int main(int argc, char **argv)
{
	int64_t mega = argc > 1 ? atol(argv[1]) : 64;
	if (mega < 1)
		mega = 1;
	const int64_t n = mega << 20, nb = n / 32;
	float *x = malloc((size_t)n * sizeof *x), *dst = malloc((size_t)n * sizeof *dst);
	ql_block_q8_0 *ref = malloc((size_t)nb * sizeof *ref), *out = malloc((size_t)nb * sizeof *out);
	ql_block_q4_0 *ref4 = malloc((size_t)nb * sizeof *ref4);
	if (!x || !dst || !ref || !out || !ref4) {
		fprintf(stderr, "ggml_q8_0: out of memory\n");
		return 1;
	}
	uint32_t seed = 1;
	for (int64_t i = 0; i < n; i++) {
		float s = 0;
		for (int k = 0; k < 4; k++) {
			seed = seed * 1664525u + 1013904223u;
			s += (float)(seed >> 8) * (1.0f / 16777216.0f);
		}
		x[i] = (s - 2.0f) * (0.5f + (float)((i / 4096) % 7));
	}
	memset(dst, 1, (size_t)n * sizeof *dst);
	memset(out, 1, (size_t)nb * sizeof *out);
	quantize_row_q8_0_ref(x, ref, n);
	quantize_row_q4_0_ref(x, ref4, n);

	row rows[NROWS] = {{"memcpy (the yardstick)", 1e9, 1e9},
			   {"ggml quantize_row_q8_0 (SIMD)", 1e9, 1e9},
			   {"ggml quantize_row_q8_0_ref", 1e9, 1e9},
			   {"qlens ql_quantize_row_q8_0", 1e9, 1e9},
			   {"ggml quantize_row_q4_0 (= its ref)", 1e9, 1e9},
			   {"qlens ql_quantize_row_q4_0", 1e9, 1e9}};
	int same[NROWS] = {0};
	for (int r = 0; r < REPS; r++) {
		for (int k = 0; k < NROWS; k++) {
			if (k != MEMCPY)
				memset(out, 0x55, (size_t)nb * sizeof *out);
			double w0 = clock_s(CLOCK_MONOTONIC), c0 = clock_s(CLOCK_THREAD_CPUTIME_ID);
			switch (k) {
			case MEMCPY: memcpy(dst, x, (size_t)n * sizeof *x); break;
			case GGML_SIMD: quantize_row_q8_0(x, out, n); break;
			case GGML_REF: quantize_row_q8_0_ref(x, out, n); break;
			case QLENS: ql_quantize_row_q8_0(x, out, n); break;
			case GGML_Q4: quantize_row_q4_0(x, out, n); break;
			default: ql_quantize_row_q4_0(x, (ql_block_q4_0 *)(void *)out, n); break;
			}
			double w = clock_s(CLOCK_MONOTONIC) - w0, c = clock_s(CLOCK_THREAD_CPUTIME_ID) - c0;
			rows[k].wall = w < rows[k].wall ? w : rows[k].wall;
			rows[k].cpu = c < rows[k].cpu ? c : rows[k].cpu;
			if (k >= GGML_Q4)
				same[k] = memcmp(out, ref4, (size_t)nb * sizeof *ref4) == 0;
			else if (k != MEMCPY)
				same[k] = memcmp(out, ref, (size_t)nb * sizeof *out) == 0;
		}
	}
	double load[3] = {0};
	if (getloadavg(load, 3) < 0)
		load[0] = load[1] = load[2] = -1;
	printf("%lld M floats, one thread, best of %d interleaved rounds; load average %.2f %.2f "
	       "%.2f\n", (long long)mega, REPS, load[0], load[1], load[2]);
	printf("  %-36s %9s %9s %10s %9s  %s\n", "kernel", "wall ms", "cpu ms", "x memcpy",
	       "(by cpu)", "bytes = ggml ref");
	for (int k = 0; k < NROWS; k++)
		printf("  %-36s %9.1f %9.1f %10.2f %9.2f  %s\n", rows[k].name, rows[k].wall * 1e3,
		       rows[k].cpu * 1e3, rows[MEMCPY].wall / rows[k].wall,
		       rows[MEMCPY].cpu / rows[k].cpu,
		       k == MEMCPY ? "" : same[k] ? "yes" : "no");
	printf("  qlens Q8_0 over ggml's SIMD Q8_0: %.2fx by wall time, %.2fx by CPU time\n",
	       rows[GGML_SIMD].wall / rows[QLENS].wall, rows[GGML_SIMD].cpu / rows[QLENS].cpu);
	int deq_same = dequantizers(x, dst, n);
	free(ref4);
	free(x);
	free(dst);
	free(ref);
	free(out);
	return same[QLENS] && same[QLENS_Q4] && deq_same ? 0 : 1;
}
