/* test_fastpath.c — the fast kernels against the exact references they
 * replace, bit for bit.
 *
 *   - elem.h's float32 -> fp8 e4m3 / e5m2 / fp4 e2m1 encoders (and so
 *     ql_float_quantize) against ql_encode (format.c, double arithmetic,
 *     tested against PyTorch and the specs in test_format.c), through
 *     ql_float_quantize_ref; with saturation counts;
 *   - ql_mx_quantize against ql_mx_quantize_ref (the microxcaling algorithm
 *     step by step with libm), shared exponents included;
 *   - the fused Q8_0 / Q4_0 / NF4 / MX / fp8 paths of ql_quantize against the
 *     row kernels (ggml's reference algorithm) they must equal.
 *
 * Inputs: a stride through all 2^32 float32 patterns (about a million of
 * them), plus for every code of every format its value and the midpoints
 * (ties) to its neighbours, each a few ulps either way and with both signs;
 * subnormals, ±0, inf, NaNs, the saturation thresholds. With
 * QLENS_EXHAUSTIVE=1 (`make test-exhaustive`) every one of the 2^32
 * patterns goes through each encoder, and every positive finite float
 * through the MX shared exponent (threads share the work).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <float.h>
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/core/elem.h"
#include "../src/core/quant_avx2.h"
#include "qlens/format.h"
#include "qlens/quant.h"

static void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void note(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

static float f32_of(uint32_t u)
{
	float f;
	memcpy(&f, &u, sizeof f);
	return f;
}

static uint32_t bits_of(float f)
{
	uint32_t u;
	memcpy(&u, &f, sizeof u);
	return u;
}

static bool exhaustive(void)
{
	const char *e = getenv("QLENS_EXHAUSTIVE");
	return e && *e && strcmp(e, "0") != 0;
}

/* ---- Encoders ------------------------------------------------------------------ */

typedef enum { ENC_E4M3, ENC_E5M2, ENC_E2M1, ENC_COUNT } enc_id;

static const char *const enc_names[ENC_COUNT] = {"e4m3", "e5m2", "e2m1"};
static const ql_type enc_types[ENC_COUNT] = {QL_FP8_E4M3, QL_FP8_E5M2, QL_FP4_E2M1};

#define CHUNK 4096

/* Compares the fast and the reference encoding of x[0..n): e4m3 and e5m2
 * through ql_float_quantize / ql_float_quantize_ref with scale 1 (codes and
 * saturation counts), e2m1 through elem_e2m1_sat / ql_encode (fp4 saturates
 * by its own rule). Returns the number of mismatches; the first goes to
 * *bad. */
static int64_t enc_compare(enc_id id, const float *x, size_t n, uint32_t *bad)
{
	uint8_t fast[CHUNK], ref[CHUNK];
	int64_t wrong = 0;
	if (id == ENC_E2M1) {
#if QL_HAVE_AVX2_KERNELS
		/* the AVX2 encoder of the MX kernels (qelem_avx2.c), codes and count */
		if (ql_avx2_active()) {
			int64_t rs = 0;
			for (size_t i = 0; i < n; i++)
				rs += elem_saturates(x[i], ELEM_E2M1_SAT_FIRST);
			size_t m = n / 32 * 32;
			int64_t vs = ql_fp_codes_avx2(QL_FP4_E2M1, x, m, 1.0f, fast);
			for (size_t i = m; i < n; i++)
				vs += elem_saturates(x[i], ELEM_E2M1_SAT_FIRST);
			for (size_t i = 0; i < m; i++)
				if (fast[i] != elem_e2m1_sat(x[i]) && !wrong++)
					*bad = bits_of(x[i]);
			if (vs != rs && !wrong++)
				*bad = bits_of(x[0]);
		}
#endif
		for (size_t i = 0; i < n; i++) {
			unsigned st = 0;
			uint8_t r = (uint8_t)ql_encode(QL_FP4_E2M1, x[i], QL_ROUND_NEAREST_EVEN, &st);
			int rs = !isnan(x[i]) && (st & QL_ST_OVERFLOW);
			if (elem_e2m1_sat(x[i]) != r || elem_saturates(x[i], ELEM_E2M1_SAT_FIRST) != rs) {
				if (!wrong++)
					*bad = bits_of(x[i]);
			}
		}
		return wrong;
	}
	int64_t sf = ql_float_quantize(enc_types[id], x, n, 1.0f, fast);
	int64_t sr = ql_float_quantize_ref(enc_types[id], x, n, 1.0f, ref);
	for (size_t i = 0; i < n; i++) {
		if (fast[i] != ref[i] && !wrong++)
			*bad = bits_of(x[i]);
	}
	if (sf != sr) {
		/* find the value whose saturation differs */
		for (size_t i = 0; i < n; i++) {
			uint8_t a, b;
			if (ql_float_quantize(enc_types[id], &x[i], 1, 1.0f, &a) !=
			    ql_float_quantize_ref(enc_types[id], &x[i], 1, 1.0f, &b)) {
				if (!wrong++)
					*bad = bits_of(x[i]);
				break;
			}
		}
	}
	return wrong;
}

typedef struct sweep_job {
	enc_id id;
	uint64_t from, to, step; /* patterns from, from + step, ... < to */
	int64_t wrong;
	uint32_t bad;
} sweep_job;

static void *sweep_run(void *arg)
{
	sweep_job *j = arg;
	float x[CHUNK];
	size_t k = 0;
	for (uint64_t u = j->from; u < j->to; u += j->step) {
		x[k++] = f32_of((uint32_t)u);
		if (k == CHUNK || u + j->step >= j->to) {
			uint32_t b = 0;
			int64_t w = enc_compare(j->id, x, k, &b);
			if (w && !j->wrong)
				j->bad = b;
			j->wrong += w;
			k = 0;
		}
	}
	return NULL;
}

/* Sweeps [0, 2^32) with a step on two threads. */
static void sweep(enc_id id, uint64_t step)
{
	enum { T = 2 };
	sweep_job jobs[T];
	pthread_t tid[T];
	uint64_t total = (UINT64_C(1) << 32) / step, half = total / T * step;
	for (int t = 0; t < T; t++) {
		jobs[t] = (sweep_job){id, t * half, t == T - 1 ? UINT64_C(1) << 32 : (t + 1) * half,
				      step, 0, 0};
		assert_int_equal(pthread_create(&tid[t], NULL, sweep_run, &jobs[t]), 0);
	}
	int64_t wrong = 0;
	for (int t = 0; t < T; t++) {
		pthread_join(tid[t], NULL);
		if (jobs[t].wrong && !wrong)
			note("%s: %lld mismatches, the first at 0x%08x (%a)\n", enc_names[id],
			     (long long)jobs[t].wrong, jobs[t].bad, (double)f32_of(jobs[t].bad));
		wrong += jobs[t].wrong;
	}
	assert_int_equal(wrong, 0);
}

/* Every code's value and the midpoints to its neighbour, ±3 ulps, both
 * signs; the saturation thresholds; zeros, subnormals, inf, NaNs. */
static size_t edge_values(enc_id id, float *out, size_t max)
{
	ql_type t = enc_types[id];
	int ncodes = 1 << ql_format_of(t)->bits;
	size_t k = 0;
	float base[1024];
	size_t nb = 0;
	double prev = -1;
	for (int c = 0; c < ncodes / 2; c++) { /* the positive codes, in order of value */
		double d = ql_decode(t, (uint64_t)c);
		if (!isfinite(d))
			continue;
		base[nb++] = (float)d;
		if (prev >= 0)
			base[nb++] = (float)((prev + d) / 2); /* exact: few bits */
		prev = d;
	}
	base[nb++] = (float)(prev * 1.5);
	base[nb++] = f32_of(ELEM_E4M3_SAT_FIRST);
	base[nb++] = f32_of(ELEM_E5M2_SAT_FIRST);
	base[nb++] = f32_of(ELEM_E2M1_SAT_FIRST);
	base[nb++] = FLT_MIN;
	base[nb++] = FLT_MAX;
	base[nb++] = 0x1p-149f;
	base[nb++] = 1.0f;
	for (size_t i = 0; i < nb; i++) {
		uint32_t u = bits_of(base[i]);
		for (int d = -3; d <= 3; d++) {
			uint32_t v = u + (uint32_t)d;
			if ((int64_t)u + d < 0 || v > 0x7f800000u || k + 2 > max)
				continue;
			out[k++] = f32_of(v);
			out[k++] = f32_of(v | 0x80000000u);
		}
	}
	const uint32_t special[] = {0x7f800000u, 0xff800000u, 0x7fc00000u, 0xffc00000u, 0x7f800001u,
				    0xff800001u, 0x7fa00000u, 0x7fe00000u, 0x7fbfffffu, 0xffffffffu,
				    0x00000001u, 0x807fffffu};
	for (size_t i = 0; i < sizeof special / sizeof special[0] && k < max; i++)
		out[k++] = f32_of(special[i]);
	return k;
}

static void check_edges(enc_id id)
{
	static float x[8192];
	size_t n = edge_values(id, x, sizeof x / sizeof x[0]);
	assert_true(n > 100);
	for (size_t s = 0; s < n; s += CHUNK) {
		uint32_t bad = 0;
		size_t w = n - s < CHUNK ? n - s : CHUNK;
		int64_t wrong = enc_compare(id, x + s, w, &bad);
		if (wrong)
			note("%s edges: %lld mismatches, the first at 0x%08x (%a)\n", enc_names[id],
			     (long long)wrong, bad, (double)f32_of(bad));
		assert_int_equal(wrong, 0);
	}
}

static void test_encoders(void **state)
{
	(void)state;
	for (int id = 0; id < ENC_COUNT; id++) {
		check_edges((enc_id)id);
		sweep((enc_id)id, exhaustive() ? 1 : 4093);
	}
}

/* Some hand-checked codes, so that a shared mistake of both paths shows. */
static void test_encoder_examples(void **state)
{
	(void)state;
	assert_int_equal(elem_e4m3_sat(448.0f), 0x7e);
	assert_int_equal(elem_e4m3_sat(464.0f), 0x7e);   /* tie, down to even */
	assert_int_equal(elem_e4m3_sat(1e9f), 0x7e);      /* saturates */
	assert_int_equal(elem_e4m3_sat(-INFINITY), 0xfe);
	assert_int_equal(elem_e4m3_sat(NAN) & 0x7f, 0x7f);
	assert_int_equal(elem_e4m3_sat(0x1p-9f), 0x01);   /* smallest subnormal */
	assert_int_equal(elem_e4m3_sat(0x1p-10f), 0x00);  /* tie to even: 0 */
	assert_int_equal(elem_e4m3_sat(0x1.8p-9f), 0x02); /* tie to even: 2 */
	assert_int_equal(elem_e4m3_sat(-0.0f), 0x80);
	assert_int_equal(elem_e4m3_sat(1.0f), 0x38);
	assert_int_equal(elem_e5m2_sat(57344.0f), 0x7b);
	assert_int_equal(elem_e5m2_sat(61440.0f), 0x7b); /* would round to inf: max */
	assert_int_equal(elem_e5m2_sat(61439.996f), 0x7b);
	assert_int_equal(elem_e5m2_sat(0x1p-16f), 0x01);
	assert_int_equal(elem_e5m2_sat(1.0f), 0x3c);
	assert_int_equal(elem_e2m1_sat(5.0f), 0x6);  /* tie between 4 and 6: 4 (even) */
	assert_int_equal(elem_e2m1_sat(6.9f), 0x7);
	assert_int_equal(elem_e2m1_sat(-0.25f), 0x8); /* tie between 0 and 0.5: -0 */
	assert_int_equal(elem_e2m1_sat(0.75f), 0x2);  /* tie between 0.5 and 1: 1 */
	assert_int_equal(elem_e2m1_sat(-3.5f), 0xe);  /* tie 3 and 4: 4 */
	assert_int_equal(elem_saturates(7.0f, ELEM_E2M1_SAT_FIRST), 1);
	assert_int_equal(elem_saturates(6.99f, ELEM_E2M1_SAT_FIRST), 0);
	assert_int_equal(elem_saturates(464.0f, ELEM_E4M3_SAT_FIRST), 0);
}

/* ---- MX -------------------------------------------------------------------------- */

static const ql_qdtype mx_types[3] = {QL_Q_MXFP8, QL_Q_MXFP4, QL_Q_MXINT8};

/* ql_mx_quantize vs ql_mx_quantize_ref on x[0..n); 0 if the same. */
static int mx_compare(ql_qdtype t, const float *x, int64_t n, int64_t *where)
{
	size_t nb = (size_t)(n + QL_MX_BLOCK - 1) / QL_MX_BLOCK;
	uint8_t *c1 = malloc((size_t)n + 1), *c2 = malloc((size_t)n + 1);
	uint8_t *e1 = malloc(nb + 1), *e2 = malloc(nb + 1);
	int64_t s1 = ql_mx_quantize(t, x, n, c1, e1);
	int64_t s2 = ql_mx_quantize_ref(t, x, n, c2, e2);
	int bad = s1 != s2;
	*where = -1;
	for (size_t b = 0; b < nb && *where < 0; b++) {
		if (e1[b] != e2[b])
			*where = (int64_t)b * QL_MX_BLOCK;
	}
	for (int64_t i = 0; i < n && *where < 0; i++) {
		if (c1[i] != c2[i])
			*where = i;
	}
	bad |= *where >= 0;
	free(c1);
	free(c2);
	free(e1);
	free(e2);
	return bad;
}

static uint32_t rng = 12345;
static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng;
}

/* Blocks of every magnitude: random mantissas, exact element-grid ties,
 * an absmax just below a power of two (where log2f rounds up), subnormal
 * and zero blocks, ±0, lengths that are not multiples of 32. */
static void test_mx_blocks(void **state)
{
	(void)state;
	enum { N = 32 * 512 + 17 };
	float *x = malloc(N * sizeof *x);
	for (int round = 0; round < 40; round++) {
		for (int b = 0; b * 32 < N; b++) {
			int k = (int)(rnd() % 300) - 160; /* block magnitude 2^k */
			int kind = (int)(rnd() % 6);
			for (int j = 0; j < 32 && b * 32 + j < N; j++) {
				float v;
				if (kind == 0) { /* random pattern of that binade or below */
					uint32_t e = (uint32_t)(k + 127 > 0 ? (k + 127 < 254 ? k + 127 : 254) : 0);
					uint32_t de = rnd() % 12;
					e = e > de ? e - de : 0;
					v = f32_of(e << 23 | (rnd() & 0x7fffff));
				} else if (kind == 1) { /* ties: odd multiples of a small power of two */
					v = ldexpf((float)(2 * (int)(rnd() % 16) + 1), k - 6);
				} else if (kind == 2) { /* one just below a power of two */
					v = j == 0 ? f32_of(bits_of(ldexpf(1.0f, k)) - (rnd() % 8 + 1))
						   : ldexpf((float)(rnd() % 1000) / 1000.0f, k);
				} else if (kind == 3) { /* float32 subnormals */
					v = f32_of(rnd() & 0x7fffff);
				} else if (kind == 4) {
					v = (rnd() & 1) ? 0.0f : -0.0f;
				} else {
					v = ldexpf((float)((int)(rnd() % 2001) - 1000) / 1000.0f, k);
				}
				if (!isfinite(v))
					v = FLT_MAX;
				if (rnd() & 1)
					v = -v;
				x[b * 32 + j] = v;
			}
		}
		for (int t = 0; t < 3; t++) {
			for (int64_t n = N; n > N - 40; n -= 13) {
				int64_t where;
				if (mx_compare(mx_types[t], x, n, &where)) {
					note("%s: n %lld, differs at %lld (%a)\n", ql_qdtype_name(mx_types[t]),
					     (long long)n, (long long)where,
					     where >= 0 ? (double)x[where] : 0.0);
					fail();
				}
			}
		}
	}
	free(x);
}

/* The shared exponent of a block whose absmax is a: every power of two ±64
 * ulps, a stride through the positive floats (all of them when
 * exhaustive), in blocks of 32 that each hold one such a and smaller
 * values. */
typedef struct mxexp_job {
	uint64_t from, to, step;
	int64_t wrong;
	uint32_t bad;
} mxexp_job;

static void mxexp_chunk(mxexp_job *j, const float *a, size_t na)
{
	enum { B = 256 };
	float x[B * 32];
	for (size_t i = 0; i < na; i++) {
		float *blk = x + (i % B) * 32;
		blk[0] = a[i];
		for (int k = 1; k < 32; k++) /* elements below a, at every scale */
			blk[k] = a[i] * ((float)(k * 37 % 32) / 32.0f) * (k & 1 ? 1.0f : -1.0f);
		if (i % B == B - 1 || i == na - 1) {
			size_t nblk = i % B + 1;
			for (int t = 0; t < 3; t++) {
				int64_t where;
				if (mx_compare(mx_types[t], x, (int64_t)nblk * 32, &where)) {
					if (!j->wrong++)
						j->bad = bits_of(where >= 0 ? x[where / 32 * 32] : a[i]);
				}
			}
		}
	}
}

static void *mxexp_run(void *arg)
{
	mxexp_job *j = arg;
	float a[4096];
	size_t k = 0;
	for (uint64_t u = j->from; u < j->to; u += j->step) {
		a[k++] = f32_of((uint32_t)u);
		if (k == 4096 || u + j->step >= j->to) {
			mxexp_chunk(j, a, k);
			k = 0;
		}
	}
	return NULL;
}

static void test_mx_shared_exp(void **state)
{
	(void)state;
	mxexp_job edge = {0};
	static float a[300 * 129];
	size_t k = 0;
	for (int e = 1; e < 255; e++) {
		for (int d = -64; d <= 64; d++) {
			int64_t u = ((int64_t)e << 23) + d;
			if (u > 0 && u < 0x7f800000)
				a[k++] = f32_of((uint32_t)u);
		}
	}
	mxexp_chunk(&edge, a, k);
	if (edge.wrong)
		note("mx shared exponent: %lld blocks differ, first absmax 0x%08x\n",
		     (long long)edge.wrong, edge.bad);
	assert_int_equal(edge.wrong, 0);

	enum { T = 2 };
	uint64_t step = exhaustive() ? 1 : 2039, end = 0x7f800000u;
	mxexp_job jobs[T];
	pthread_t tid[T];
	for (int t = 0; t < T; t++) {
		jobs[t] = (mxexp_job){1 + end / T * (uint64_t)t, t == T - 1 ? end : end / T * (uint64_t)(t + 1),
				      step, 0, 0};
		assert_int_equal(pthread_create(&tid[t], NULL, mxexp_run, &jobs[t]), 0);
	}
	for (int t = 0; t < T; t++) {
		pthread_join(tid[t], NULL);
		if (jobs[t].wrong)
			note("mx shared exponent: %lld blocks differ, first absmax 0x%08x\n",
			     (long long)jobs[t].wrong, jobs[t].bad);
		assert_int_equal(jobs[t].wrong, 0);
	}
}

/* ---- Q8_0, Q4_0, NF4 ------------------------------------------------------------------ */

/* Random blocks of every scale, with ties of the codes, equal magnitudes of
 * both signs (Q4_0 keeps the first), zero and subnormal blocks. */
static void fill_blocks(float *x, int64_t n)
{
	for (int64_t b = 0; b * 32 < n; b++) {
		int k = (int)(rnd() % 280) - 150;
		int kind = (int)(rnd() % 5);
		for (int j = 0; j < 32 && b * 32 + j < n; j++) {
			float v;
			if (kind == 0)
				v = ldexpf((float)((int)(rnd() % 4001) - 2000) / 2000.0f, k);
			else if (kind == 1) /* halves: roundf and (int) ties */
				v = (float)((int)(rnd() % 33) - 16) * 0.5f;
			else if (kind == 2) /* +m and -m both present */
				v = (j % 3 == 0) ? ((j & 1) ? 3.0f : -3.0f) : (float)(rnd() % 3);
			else if (kind == 3)
				v = f32_of(rnd() & 0x807fffffu);
			else
				v = (rnd() & 1) ? 0.0f : -0.0f;
			x[b * 32 + j] = isfinite(v) ? v : 1.0f;
		}
	}
}

static void test_ggml_nf4(void **state)
{
	(void)state;
	enum { NB = 4096, N = NB * 32 };
	float *x = malloc(N * sizeof *x);
	ql_block_q8_0 *a8 = malloc(NB * sizeof *a8), *b8 = malloc(NB * sizeof *b8);
	ql_block_q4_0 *a4 = malloc(NB * sizeof *a4), *b4 = malloc(NB * sizeof *b4);
	uint8_t *c1 = malloc(N), *c2 = malloc(N);
	float *m1 = malloc(N / 64 * sizeof *m1 + 4), *m2 = malloc(N / 64 * sizeof *m2 + 4);
	for (int round = 0; round < 8; round++) {
		fill_blocks(x, N);
		assert_int_equal(ql_quantize_row_q8_0(x, a8, N), ql_quantize_row_q8_0_ref(x, b8, N));
		assert_memory_equal(a8, b8, NB * sizeof *a8);
		assert_int_equal(ql_quantize_row_q4_0(x, a4, N), ql_quantize_row_q4_0_ref(x, b4, N));
		assert_memory_equal(a4, b4, NB * sizeof *a4);
		for (int64_t n = N; n > N - 200; n -= 61) {
			ql_nf4_quantize(x, n, c1, m1);
			ql_nf4_quantize_ref(x, n, c2, m2);
			assert_memory_equal(c1, c2, (size_t)n);
			assert_memory_equal(m1, m2, (size_t)(n + 63) / 64 * sizeof *m1);
		}
	}
	free(x);
	free(a8);
	free(b8);
	free(a4);
	free(b4);
	free(c1);
	free(c2);
	free(m1);
	free(m2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encoder_examples),
		cmocka_unit_test(test_encoders),
		cmocka_unit_test(test_mx_blocks),
		cmocka_unit_test(test_mx_shared_exp),
		cmocka_unit_test(test_ggml_nf4),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
