/* test_qrow.c — the AVX2 row quantizers of Q8_0 and Q4_0 (src/core/qrow_avx2.c)
 * against ggml's reference loops as blocks.c writes them
 * (ql_quantize_row_q8_0_ref / _q4_0_ref, themselves checked against ggml's
 * bytes by test_ggml_blocks), bit for bit: every byte of every block and
 * Q4_0's clipped count.
 *
 * The inputs, block by block: random data, exact ties and the floats 1 ulp
 * either side (for Q8_0's round-half-away and Q4_0's truncation of
 * x * id + 8.5), ±0 and all-zero blocks, subnormals, tiny normals around
 * where the kernels' fast paths end (2^-119, 2^-123), huge values up to
 * FLT_MAX, every exponent, all-equal blocks, the largest magnitude twice with
 * both signs (Q4_0 keeps the first), a code 16 capped at 15, and NaN / ±inf.
 * Lengths from 0 to 1031 blocks (tails that are not a multiple of the 8
 * blocks of a group or the 64 of a chunk), the output at every even byte
 * offset from a 64-byte boundary, with and without streaming stores; bytes
 * before and after the output must stay untouched. Then the public row
 * functions with the AVX2 kernels on and off. And all of them against
 * tests/golden/qrow.txt: bytes from a vectorised NumPy port of ggml's
 * reference (tests/golden/gen_qrow.py), over every kind of block above
 * laid out across chunks, groups and tails.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "../src/core/quant_avx2.h"
#include "qgolden.h"
#include "qlens/blocks.h"

static uint64_t rng = 0x2545f4914f6cdd1dull;

static uint32_t next_u32(void)
{
	return tu_next_u32(&rng);
}

static float uniform(void)
{
	return tu_uniform(&rng);
}

#define bits_f tu_bits_f

static float sgn(void)
{
	return (next_u32() & 1) ? -1.0f : 1.0f;
}

/* A finite float with a random sign and mantissa, exponent field in [e0, e1]. */
static float rand_exp(uint32_t e0, uint32_t e1)
{
	uint32_t e = e0 + next_u32() % (e1 - e0 + 1);
	return bits_f((next_u32() & 0x807fffffu) | e << 23);
}

/* k + 0.5 (k in [-lo, hi)) or a float 1 ulp either side of it. */
static float near_half(int lo, int hi)
{
	float t = (float)((int)(next_u32() % (uint32_t)(lo + hi)) - lo) + 0.5f;
	int w = (int)(next_u32() % 3);
	return w == 0 ? t : nextafterf(t, w == 1 ? INFINITY : -INFINITY);
}

enum { KINDS = 17 };

/* Block b (32 values) of kind `kind`. */
static void make_block(float *x, int kind, int b)
{
	for (int j = 0; j < 32; j++) {
		float v;
		switch (kind) {
		case 0: v = (uniform() - 0.5f) * 6.0f; break;
		case 1: /* Q8_0: amax 127, so d = 1 and id = 1: ties and 1 ulp off */
			v = j == b % 32 ? 127.0f * sgn() : near_half(127, 127);
			break;
		case 2: /* the same under a power-of-two scale */
			v = (j == 7 ? -127.0f : near_half(126, 126)) * 0x1p-20f;
			break;
		case 3: v = sgn() * 0.0f; break; /* all ±0 */
		case 4: v = j % 3 ? sgn() * 0.0f : (uniform() - 0.5f); break;
		case 5: v = rand_exp(0, 0); break; /* subnormals and zeros */
		case 6: v = rand_exp(1, 8); break; /* tiny normals */
		case 7: v = rand_exp(250, 254); break; /* huge */
		case 8: v = rand_exp(0, 254); break; /* every exponent */
		case 9: v = (b & 1) ? -3.25f : 7e-3f; break; /* all equal */
		case 10: /* the largest magnitude twice, both signs, in either order */
			v = j == 3 + b % 5 ? ((b & 1) ? 5.0f : -5.0f)
			    : j == 20      ? ((b & 1) ? -5.0f : 5.0f)
					   : (uniform() - 0.5f) * 9.0f;
			break;
		case 11: /* Q4_0: max -8, so d = 1, id = 1, w = x + 8.5: ties, 1 ulp off */
			v = j == b % 32 ? -8.0f : near_half(8, 8);
			if (v > 8.0f || v < -8.0f)
				v = 0.25f;
			break;
		case 12: /* Q4_0: max +8 (d = -1): x = -8 gives code 16, capped */
			v = j == b % 32 ? 8.0f : j % 5 == 0 ? -8.0f : near_half(7, 7);
			break;
		case 13: /* amax 1 ulp around 2^-119 (Q8_0's edge) or 2^-123 (Q4_0's) */
			v = (uniform() - 0.5f) * 0x1p-124f;
			if (j == b % 32) {
				float e = (b & 8) ? 0x1p-119f : 0x1p-123f;
				v = (b % 3 == 0)   ? e
				    : (b % 3 == 1) ? nextafterf(e, 0.0f)
						   : nextafterf(e, 1.0f);
				v *= sgn();
			}
			break;
		case 14: /* FLT_MAX and its neighbours */
			v = j == b % 32 ? FLT_MAX * sgn() : rand_exp(240, 254);
			break;
		case 15: /* one non-finite value */
			v = (uniform() - 0.5f);
			if (j == b % 32)
				v = b % 3 == 0 ? NAN : b % 3 == 1 ? INFINITY : -INFINITY;
			break;
		default: /* only non-negative, one exact ±0 */
			v = j == b % 32 ? sgn() * 0.0f : uniform();
			break;
		}
		x[j] = v;
	}
}

#if QL_HAVE_AVX2_KERNELS

static float *make_input(int64_t nb, int shift)
{
	float *x = malloc((size_t)(nb > 0 ? nb : 1) * 32 * sizeof *x);
	assert_non_null(x);
	for (int64_t b = 0; b < nb; b++)
		make_block(x + b * 32, (int)((b + shift) % KINDS), (int)b);
	return x;
}

static const int64_t lengths[] = {0, 1, 7, 8, 9, 15, 63, 64, 65, 127, 128, 129, 200, 1031};
#define NLEN (sizeof lengths / sizeof lengths[0])

enum { PAD = 128 };

/* An output of nb blocks of `size` bytes at byte offset off from a 64-byte
 * boundary, PAD canary bytes either side. */
static unsigned char *out_buf(int64_t nb, size_t size, unsigned char **base)
{
	size_t total = (size_t)nb * size + 2 * PAD + 64;
	*base = aligned_alloc(64, (total + 63) / 64 * 64);
	assert_non_null(*base);
	memset(*base, 0xa5, (total + 63) / 64 * 64);
	return *base;
}

static void check_canary(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		assert_int_equal(p[i], 0xa5);
}

static void test_q8_0_row_avx2(void **state)
{
	(void)state;
	if (!ql_avx2_active())
		skip();
	for (size_t l = 0; l < NLEN; l++) {
		const int64_t nb = lengths[l];
		for (int off = 0; off < 64; off += 2) {
			float *x = make_input(nb, off);
			ql_block_q8_0 *r = malloc((size_t)(nb > 0 ? nb : 1) * sizeof *r);
			assert_non_null(r);
			ql_quantize_row_q8_0_ref(x, r, nb * 32);
			for (int stream = 0; stream < 2; stream++) {
				unsigned char *base;
				out_buf(nb, sizeof *r, &base);
				ql_block_q8_0 *a = (ql_block_q8_0 *)(void *)(base + PAD + off);
				ql_q8_0_row_avx2_stream(x, a, nb, stream);
				assert_memory_equal(a, r, (size_t)nb * sizeof *r);
				check_canary(base, PAD + (size_t)off);
				check_canary((unsigned char *)(a + nb), PAD);
				free(base);
			}
			free(r);
			free(x);
		}
	}
}

static void test_q4_0_row_avx2(void **state)
{
	(void)state;
	if (!ql_avx2_active())
		skip();
	for (size_t l = 0; l < NLEN; l++) {
		const int64_t nb = lengths[l];
		for (int off = 0; off < 64; off += 2) {
			float *x = make_input(nb, off);
			ql_block_q4_0 *r = malloc((size_t)(nb > 0 ? nb : 1) * sizeof *r);
			assert_non_null(r);
			const int64_t rclip = ql_quantize_row_q4_0_ref(x, r, nb * 32);
			for (int stream = 0; stream < 2; stream++) {
				unsigned char *base;
				out_buf(nb, sizeof *r, &base);
				ql_block_q4_0 *a = (ql_block_q4_0 *)(void *)(base + PAD + off);
				assert_int_equal(ql_q4_0_row_avx2_stream(x, a, nb, stream), rclip);
				assert_memory_equal(a, r, (size_t)nb * sizeof *r);
				check_canary(base, PAD + (size_t)off);
				check_canary((unsigned char *)(a + nb), PAD);
				free(base);
			}
			free(r);
			free(x);
		}
	}
}

/* Q4_0's clipped count is not trivially zero here (a planted miscount
 * must show). */
static void test_q4_0_clips_counted(void **state)
{
	(void)state;
	enum { NB = 640 };
	float *x = malloc(NB * 32 * sizeof *x);
	ql_block_q4_0 *r = malloc(NB * sizeof *r);
	assert_true(x && r);
	for (int b = 0; b < NB; b++)
		make_block(x + b * 32, 12, b);
	const int64_t rclip = ql_quantize_row_q4_0_ref(x, r, NB * 32);
	assert_true(rclip >= NB / 2); /* about one a block */
	ql_block_q4_0 *a = malloc(NB * sizeof *a);
	assert_non_null(a);
	assert_int_equal(ql_quantize_row_q4_0(x, a, NB * 32), rclip);
	assert_memory_equal(a, r, NB * sizeof *r);
	free(a);
	free(r);
	free(x);
}

#else

static void test_q8_0_row_avx2(void **state)
{
	(void)state;
	skip();
}
#define test_q4_0_row_avx2 test_q8_0_row_avx2
#define test_q4_0_clips_counted test_q8_0_row_avx2

#endif

/* The public row functions, AVX2 on (where the CPU has it) and off, over
 * every kind in long runs of one kind (so whole chunks are fast or not). */
static void test_public_rows(void **state)
{
	(void)state;
	enum { NB = 17 * 64 + 5 };
	float *x = malloc(NB * 32 * sizeof *x);
	ql_block_q8_0 *r8 = malloc(NB * sizeof *r8), *a8 = malloc(NB * sizeof *a8);
	ql_block_q4_0 *r4 = malloc(NB * sizeof *r4), *a4 = malloc(NB * sizeof *a4);
	assert_true(x && r8 && a8 && r4 && a4);
	for (int b = 0; b < NB; b++)
		make_block(x + b * 32, (b / 64) % KINDS, b);
	ql_quantize_row_q8_0_ref(x, r8, NB * 32);
	const int64_t clip = ql_quantize_row_q4_0_ref(x, r4, NB * 32);
	for (int on = 0; on < 2; on++) {
		ql_avx2_enable(on);
		memset(a8, 0x55, NB * sizeof *a8);
		memset(a4, 0x55, NB * sizeof *a4);
		assert_int_equal(ql_quantize_row_q8_0(x, a8, NB * 32), 0);
		assert_memory_equal(a8, r8, NB * sizeof *a8);
		assert_int_equal(ql_quantize_row_q4_0(x, a4, NB * 32), clip);
		assert_memory_equal(a4, r4, NB * sizeof *a4);
	}
	ql_avx2_enable(true);
	free(x);
	free(r8);
	free(a8);
	free(r4);
	free(a4);
}

/* Block b of the golden Q8_0 / Q4_0 arrays against what the kernel made. */
static void check_q8(const ql_block_q8_0 *a, const qg_array *d, const qg_array *q, int64_t nb,
		     const char *who)
{
	assert_int_equal(d->n, (size_t)nb);
	assert_int_equal(q->n, (size_t)nb * 32);
	for (int64_t b = 0; b < nb; b++) {
		bool ok = a[b].d == (uint16_t)d->v[b];
		for (int j = 0; j < 32; j++)
			ok = ok && (int)a[b].qs[j] == (int)q->v[b * 32 + j];
		if (!ok) {
			note("%s: q8_0 block %lld differs from the golden bytes\n", who, (long long)b);
			fail();
		}
	}
}

static void check_q4(const ql_block_q4_0 *a, const qg_array *d, const qg_array *q, int64_t nb,
		     const char *who)
{
	assert_int_equal(d->n, (size_t)nb);
	assert_int_equal(q->n, (size_t)nb * 16);
	for (int64_t b = 0; b < nb; b++) {
		bool ok = a[b].d == (uint16_t)d->v[b];
		for (int j = 0; j < 16; j++)
			ok = ok && (int)a[b].qs[j] == (int)q->v[b * 16 + j];
		if (!ok) {
			note("%s: q4_0 block %lld differs from the golden bytes\n", who, (long long)b);
			fail();
		}
	}
}

static void test_golden_rows(void **state)
{
	(void)state;
	FILE *f = qg_open_named("qrow.txt");
	assert_non_null(f);
	qg_case c = {0};
	int cases = 0;
	while (qg_next(f, &c)) {
		const qg_array *xb = qg_arr(&c, "xbits"), *d8 = qg_arr(&c, "d8"),
			       *q8 = qg_arr(&c, "qs8"), *d4 = qg_arr(&c, "d4"),
			       *q4 = qg_arr(&c, "qs4"), *cl = qg_arr(&c, "clip4");
		assert_true(xb && d8 && q8 && d4 && q4 && cl && cl->n == 1);
		const int64_t nb = (int64_t)xb->n / 32, clip = (int64_t)cl->v[0];
		float *x = malloc(xb->n * sizeof *x);
		ql_block_q8_0 *a8 = malloc((size_t)nb * sizeof *a8);
		ql_block_q4_0 *a4 = malloc((size_t)nb * sizeof *a4);
		assert_true(x && a8 && a4);
		for (size_t i = 0; i < xb->n; i++) {
			uint32_t u = (uint32_t)xb->v[i];
			memcpy(&x[i], &u, sizeof u);
		}
		ql_quantize_row_q8_0_ref(x, a8, nb * 32);
		check_q8(a8, d8, q8, nb, "C reference");
		assert_int_equal(ql_quantize_row_q4_0_ref(x, a4, nb * 32), clip);
		check_q4(a4, d4, q4, nb, "C reference");
		for (int on = 0; on < 2; on++) {
			ql_avx2_enable(on);
			memset(a8, 0x55, (size_t)nb * sizeof *a8);
			ql_quantize_row_q8_0(x, a8, nb * 32);
			check_q8(a8, d8, q8, nb, on ? "public, AVX2 on" : "public, AVX2 off");
			memset(a4, 0x55, (size_t)nb * sizeof *a4);
			assert_int_equal(ql_quantize_row_q4_0(x, a4, nb * 32), clip);
			check_q4(a4, d4, q4, nb, on ? "public, AVX2 on" : "public, AVX2 off");
		}
		ql_avx2_enable(true);
#if QL_HAVE_AVX2_KERNELS
		if (ql_avx2_active()) {
			for (int stream = 0; stream < 2; stream++) {
				memset(a8, 0x55, (size_t)nb * sizeof *a8);
				ql_q8_0_row_avx2_stream(x, a8, nb, stream);
				check_q8(a8, d8, q8, nb, stream ? "AVX2, streamed" : "AVX2");
				memset(a4, 0x55, (size_t)nb * sizeof *a4);
				assert_int_equal(ql_q4_0_row_avx2_stream(x, a4, nb, stream), clip);
				check_q4(a4, d4, q4, nb, stream ? "AVX2, streamed" : "AVX2");
			}
		}
#endif
		free(x);
		free(a8);
		free(a4);
		cases++;
	}
	qg_free(&c);
	fclose(f);
	assert_int_equal(cases, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_q8_0_row_avx2),
		cmocka_unit_test(test_q4_0_row_avx2),
		cmocka_unit_test(test_q4_0_clips_counted),
		cmocka_unit_test(test_public_rows),
		cmocka_unit_test(test_golden_rows),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
