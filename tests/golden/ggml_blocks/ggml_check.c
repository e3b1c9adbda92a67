/* ggml_check.c — compares qlens's block kernels with ggml's own, built from
 * ggml's source outside this repository (see make_golden.sh): for every
 * format, every input set below, qlens's quantize_row_*_ref bytes must equal
 * ggml's, and qlens's dequantize_row_* floats must equal ggml's bit for bit
 * on ggml's blocks and on random bytes (every scale pattern, NaN and inf
 * scales included). With -w DIR it also writes the golden files
 * DIR/NAME.in.f32 (inputs) and DIR/NAME.q (ggml's blocks) that
 * tests/test_ggml_blocks.c reads.
 *
 * Not part of the build: it needs ggml-quants.c, ggml-common.h and
 * ggml-impl.h from a ggml checkout. Only ggml's public row functions are
 * called; the few ggml symbols ggml-quants.c needs besides are stubbed.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qlens/blockfmt.h"
#include "qlens/ggml_blocks.h"

/* ggml's row functions (ggml-quants.h), as untyped pointers */
typedef void (*gq_fn)(const float *x, void *y, int64_t k);
typedef void (*gd_fn)(const void *x, float *y, int64_t k);
#define GGML_DECL(n) \
	void quantize_row_##n##_ref(const float *, void *, int64_t); \
	void dequantize_row_##n(const void *, float *, int64_t);
GGML_DECL(q4_0) GGML_DECL(q4_1) GGML_DECL(q5_0) GGML_DECL(q5_1) GGML_DECL(q8_0)
GGML_DECL(q2_K) GGML_DECL(q3_K) GGML_DECL(q4_K) GGML_DECL(q5_K) GGML_DECL(q6_K) GGML_DECL(q8_K)
GGML_DECL(iq4_nl) GGML_DECL(iq4_xs) GGML_DECL(tq1_0) GGML_DECL(tq2_0) GGML_DECL(mxfp4) GGML_DECL(nvfp4)

/* what ggml-quants.c calls outside itself (never reached by the row functions) */
void ggml_abort(const char *file, int line, const char *fmt, ...);
void ggml_abort(const char *file, int line, const char *fmt, ...) { (void)fmt; fprintf(stderr, "abort %s:%d\n", file, line); abort(); }
size_t ggml_row_size(int type, int64_t ne);
size_t ggml_row_size(int type, int64_t ne) { (void)type; (void)ne; abort(); }
const char *ggml_type_name(int type);
const char *ggml_type_name(int type) { (void)type; return "?"; }
size_t ggml_type_size(int type);
size_t ggml_type_size(int type) { (void)type; abort(); }

static const struct { const char *name; gq_fn q; gd_fn d; } ggml_fns[] = {
	{ "q4_0", (gq_fn)quantize_row_q4_0_ref, (gd_fn)dequantize_row_q4_0 },
	{ "q4_1", (gq_fn)quantize_row_q4_1_ref, (gd_fn)dequantize_row_q4_1 },
	{ "q5_0", (gq_fn)quantize_row_q5_0_ref, (gd_fn)dequantize_row_q5_0 },
	{ "q5_1", (gq_fn)quantize_row_q5_1_ref, (gd_fn)dequantize_row_q5_1 },
	{ "q8_0", (gq_fn)quantize_row_q8_0_ref, (gd_fn)dequantize_row_q8_0 },
	{ "q2_k", (gq_fn)quantize_row_q2_K_ref, (gd_fn)dequantize_row_q2_K },
	{ "q3_k", (gq_fn)quantize_row_q3_K_ref, (gd_fn)dequantize_row_q3_K },
	{ "q4_k", (gq_fn)quantize_row_q4_K_ref, (gd_fn)dequantize_row_q4_K },
	{ "q5_k", (gq_fn)quantize_row_q5_K_ref, (gd_fn)dequantize_row_q5_K },
	{ "q6_k", (gq_fn)quantize_row_q6_K_ref, (gd_fn)dequantize_row_q6_K },
	{ "q8_k", (gq_fn)quantize_row_q8_K_ref, (gd_fn)dequantize_row_q8_K },
	{ "iq4_nl", (gq_fn)quantize_row_iq4_nl_ref, (gd_fn)dequantize_row_iq4_nl },
	{ "iq4_xs", (gq_fn)quantize_row_iq4_xs_ref, (gd_fn)dequantize_row_iq4_xs },
	{ "tq1_0", (gq_fn)quantize_row_tq1_0_ref, (gd_fn)dequantize_row_tq1_0 },
	{ "tq2_0", (gq_fn)quantize_row_tq2_0_ref, (gd_fn)dequantize_row_tq2_0 },
	{ "mxfp4_ggml", (gq_fn)quantize_row_mxfp4_ref, (gd_fn)dequantize_row_mxfp4 },
	{ "nvfp4", (gq_fn)quantize_row_nvfp4_ref, (gd_fn)dequantize_row_nvfp4 },
};

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint32_t next32(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 16);
}
static float uniform(void) { return (next32() + 0.5f) / 4294967296.0f; }
static float gauss(void)
{
	float u = uniform(), v = uniform();
	return sqrtf(-2.0f * logf(u)) * cosf(6.2831853f * v);
}

/* The input sets, n values each (n a multiple of 256). */
enum { N = 4096, NG = 512 };
static const char *const set_names[] = {
	"random", "weights", "outliers", "zero", "constant", "tiny", "huge", "signed_zero",
	"subnormal", "ties", "mixed_blocks", "nonfinite",
};
#define NSETS (int)(sizeof set_names / sizeof set_names[0])

/* set s is the same for every format: the generator restarts per set */
static void make_set(int s, float *x)
{
	rng = 0x9E3779B97F4A7C15ull + (uint64_t)s * 0x2545F4914F6CDD1Dull;
	for (int i = 0; i < N; i++) {
		switch (s) {
		case 0: x[i] = 2.0f * uniform() - 1.0f; break;
		case 1: x[i] = 0.02f * gauss(); break; /* weight-like */
		case 2: x[i] = 0.02f * gauss() * (next32() % 97 == 0 ? 40.0f : 1.0f); break;
		case 3: x[i] = 0.0f; break;
		case 4: x[i] = (i / 256) % 2 ? -0.75f : 3.0f; break;
		case 5: x[i] = 1e-6f * gauss(); break;
		case 6: x[i] = 6e4f * gauss() * ((i / 32) % 3 ? 1.0f : 1e30f); break;
		case 7: x[i] = (next32() & 1) ? -0.0f : 0.0f; break;
		case 8: { uint32_t b = next32() & 0x807fffffu; memcpy(&x[i], &b, 4); } break;
		case 9: x[i] = (float)((int)(next32() % 33) - 16) * 0.125f; break; /* on-grid and halves */
		case 10: { /* each block of 32 its own kind */
			int kind = (i / 32) % 6;
			float g = gauss();
			x[i] = kind == 0 ? 0.0f : kind == 1 ? g * 1e-20f : kind == 2 ? g * 1e20f
			     : kind == 3 ? (i % 32 == 5 ? 1.0f : 0.0f) : kind == 4 ? 1e-38f * g : g;
			break;
		}
		case 11: {
			float g = gauss();
			uint32_t r = next32() % 200;
			x[i] = r == 0 ? NAN : r == 1 ? INFINITY : r == 2 ? -INFINITY : g;
			break;
		}
		}
	}
}

/* ggml's IQ4_NL leaves the codes of a block with d = 0 (all |x| < 1e-15) to
 * whatever its scratch array held (uninitialised stack for a row's first
 * block): those codes are not comparable, and decode to 0 either way. */
static void mask_iq4_nl_zero_blocks(unsigned char *a, unsigned char *b, size_t n)
{
	for (size_t i = 0; i + 18 <= n; i += 18)
		if (a[i] == 0 && a[i + 1] == 0 && b[i] == 0 && b[i + 1] == 0)
			memcpy(a + i + 2, b + i + 2, 16);
}

static int write_file(const char *dir, const char *name, const char *ext, const void *p, size_t n)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s.%s", dir, name, ext);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(p, 1, n, f) != n) {
		perror(path);
		return -1;
	}
	return fclose(f);
}

#include <time.h>

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* -b: the speed of ggml's reference quantizer and qlens's (the fast one if
 * the table has it) on 4M weight-like values, best of 3, one thread. */
static int bench(void)
{
	enum { NB = 1 << 22 };
	float *x = malloc(NB * sizeof *x);
	unsigned char *out = malloc(NB * 2);
	if (!x || !out)
		return 2;
	for (int i = 0; i < NB; i++)
		x[i] = 0.02f * gauss();
	printf("%-10s %12s %12s %12s %7s\n", "format", "ggml M/s", "qlens ref", "qlens M/s", "ratio");
	for (size_t f = 0; f < sizeof ggml_fns / sizeof ggml_fns[0]; f++) {
		const ql_block_traits *t = ql_block_find(ggml_fns[f].name);
		double best[3] = { 1e9, 1e9, 1e9 };
		for (int r = 0; r < 3; r++) {
			double t0 = now();
			ggml_fns[f].q(x, out, NB);
			double t1 = now();
			ql_block_quantizer(t)(x, out, NB);
			double t2 = now();
			t->quantize_row_ref(x, out, NB);
			double t3 = now();
			best[0] = t1 - t0 < best[0] ? t1 - t0 : best[0];
			best[1] = t2 - t1 < best[1] ? t2 - t1 : best[1];
			best[2] = t3 - t2 < best[2] ? t3 - t2 : best[2];
		}
		printf("%-10s %12.1f %12.1f %12.1f %7.2f\n", t->name, NB / best[0] / 1e6,
		       NB / best[2] / 1e6, NB / best[1] / 1e6, best[0] / best[1]);
	}
	free(x);
	free(out);
	return 0;
}

/* -f FILE: the values of a raw little-endian float32 file (e.g. real model
 * weights), cut to a multiple of 256, through every format both ways. */
static int check_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		perror(path);
		return 2;
	}
	fseek(f, 0, SEEK_END);
	long len = ftell(f);
	fseek(f, 0, SEEK_SET);
	int64_t n = len / 4 / 256 * 256;
	float *x = malloc((size_t)n * sizeof *x), *yq = malloc((size_t)n * sizeof *yq);
	float *yg = malloc((size_t)n * sizeof *yg);
	unsigned char *bq = calloc(1, (size_t)n * 2), *bg = calloc(1, (size_t)n * 2);
	if (!x || !yq || !yg || !bq || !bg || fread(x, 4, (size_t)n, f) != (size_t)n)
		return 2;
	fclose(f);
	int bad = 0;
	for (size_t i = 0; i < sizeof ggml_fns / sizeof ggml_fns[0]; i++) {
		const ql_block_traits *t = ql_block_find(ggml_fns[i].name);
		size_t nbytes = (size_t)(n / t->block) * (size_t)t->bytes;
		t->quantize_row_ref(x, bq, n);
		ggml_fns[i].q(x, bg, n);
		int qr = memcmp(bq, bg, nbytes) != 0;
		ql_block_quantizer(t)(x, bq, n);
		int qf = memcmp(bq, bg, nbytes) != 0;
		t->dequantize_row(bg, yq, n);
		ggml_fns[i].d(bg, yg, n);
		int dq = memcmp(yq, yg, (size_t)n * sizeof *yq) != 0;
		printf("%-10s %lld values: ref bytes %s, fast bytes %s, decoded %s\n", t->name,
		       (long long)n, qr ? "DIFFER" : "equal", qf ? "DIFFER" : "equal",
		       dq ? "DIFFER" : "equal");
		bad += qr + qf + dq;
	}
	return bad != 0;
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "-b") == 0)
		return bench();
	if (argc == 3 && strcmp(argv[1], "-f") == 0)
		return check_file(argv[2]);
	const char *wdir = argc == 3 && strcmp(argv[1], "-w") == 0 ? argv[2] : NULL;
	static float x[N], yq[N], yg[N];
	static unsigned char bq[N * 2], bg[N * 2];
	int bad = 0, checks = 0;

	for (size_t f = 0; f < sizeof ggml_fns / sizeof ggml_fns[0]; f++) {
		const ql_block_traits *t = ql_block_find(ggml_fns[f].name);
		if (!t || !t->quantize_row_ref) {
			printf("%-10s missing in qlens's table\n", ggml_fns[f].name);
			bad++;
			continue;
		}
		size_t nbytes = (size_t)(N / t->block) * (size_t)t->bytes;
		int qbad = 0, dbad = 0, nonfinite_q = 0;
		for (int s = 0; s < NSETS; s++) {
			make_set(s, x);
			memset(bq, 0, sizeof bq);
			memset(bg, 0, sizeof bg);
			t->quantize_row_ref(x, bq, N);
			ggml_fns[f].q(x, bg, N);
			checks++;
			if (strcmp(t->name, "iq4_nl") == 0)
				mask_iq4_nl_zero_blocks(bq, bg, nbytes);
			if (memcmp(bq, bg, nbytes) != 0) {
				size_t at = 0;
				while (bq[at] == bg[at])
					at++;
				if (s == NSETS - 1) {
					nonfinite_q++;
				} else {
					printf("%-10s %-12s bytes differ at block %zu byte %zu (qlens %02x ggml %02x)\n",
					       t->name, set_names[s], at / (size_t)t->bytes, at % (size_t)t->bytes, bq[at], bg[at]);
					qbad++;
				}
			}
			t->dequantize_row(bg, yq, N);
			ggml_fns[f].d(bg, yg, N);
			if (memcmp(yq, yg, sizeof yq) != 0) {
				printf("%-10s %-12s decoded floats differ\n", t->name, set_names[s]);
				dbad++;
			}
			if (wdir && s != NSETS - 1) {
				char nm[128];
				snprintf(nm, sizeof nm, "%s_%s", t->name, set_names[s]);
				/* the goldens keep the first NG values of each set */
				if (write_file(wdir, nm, "q", bg, (size_t)(NG / t->block) * (size_t)t->bytes))
					return 2;
				if (strcmp(t->name, "q4_0") == 0 &&
				    write_file(wdir, set_names[s], "in.f32", x, NG * sizeof x[0]))
					return 2;
			}
		}
		/* random bytes: every scale bit pattern, NaN and inf scales */
		for (int r = 0; r < 64; r++) {
			if (r == 0) /* every fp16 scale code: NaN and inf included */
				for (size_t b = 0; b + 1 < nbytes; b += 2)
					bg[b] = (unsigned char)(b / 2), bg[b + 1] = (unsigned char)(b / 512);
			else
			for (size_t b = 0; b < nbytes; b++)
				bg[b] = (unsigned char)next32();
			t->dequantize_row(bg, yq, N);
			ggml_fns[f].d(bg, yg, N);
			checks++;
			if (memcmp(yq, yg, sizeof yq) != 0) {
				for (int i = 0; i < N; i++)
					if (memcmp(&yq[i], &yg[i], 4)) {
						printf("%-10s random bytes %d: value %d qlens %a ggml %a\n", t->name, r, i, yq[i], yg[i]);
						break;
					}
				dbad++;
			}
		}
		printf("%-10s quantize %s, decode %s%s\n", t->name, qbad ? "DIFFERS" : "equal",
		       dbad ? "DIFFERS" : "equal", nonfinite_q ? " (NaN/inf input: bytes differ)" : "");
		bad += qbad + dbad;
	}
	printf("%d comparisons, %d differ\n", checks, bad);
	return bad != 0;
}
