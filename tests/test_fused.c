/* test_fused.c — what the quantize pass gives callers that want only the
 * error (qlens report): the same numbers with any thread count, and the
 * same numbers whether codes are kept or not (ql_qopts.no_codes), and the
 * error histogram counted in the same pass (ql_qopts.ehist).
 *
 * Every target of the type table, with the default scheme, per channel on
 * either axis and per group of 32 where the scheme fits, on 301 x 1024
 * values (more than four jobs, so the threads really split it), with the
 * AVX2 kernels on and off.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "qlens/quant.h"
#include "../src/core/quant_avx2.h"

enum { ROWS = 301, COLS = 1024, NSCHEMES = 4 };

static float *make_x(void)
{
	size_t n = (size_t)ROWS * COLS;
	float *x = malloc(n * sizeof *x);
	assert_non_null(x);
	uint32_t seed = 12345;
	for (size_t i = 0; i < n; i++) {
		seed = seed * 1664525u + 1013904223u;
		float u = (float)((int32_t)seed >> 8) * (1.0f / 8388608.0f); /* [-1, 1) */
		x[i] = u * (0.25f + (float)(i / COLS % 5)) + (i % 97 == 0 ? 3.0f : 0.0f);
		if (i % 1001 == 0)
			x[i] = i % 2 ? -0.0f : 0.0f;
	}
	return x;
}

/* Scheme k of target t; false where it does not fit. */
static bool scheme_k(int t, int k, ql_scheme *s)
{
	ql_scheme_init(s);
	s->dtype = (ql_qdtype)t;
	if (k == 1 || k == 2) {
		s->gran = QL_GRAN_CHANNEL;
		s->axis = k - 1;
	} else if (k == 3) {
		s->gran = QL_GRAN_GROUP;
		s->group = 32;
	}
	int64_t shape[2] = {ROWS, COLS};
	ql_error err;
	return ql_scheme_validate(s, shape, 2, &err) == 0;
}

static void same_result(const ql_qresult *a, const ql_qresult *b, bool codes)
{
	size_t n = (size_t)a->nelem, ns = (size_t)a->nscales;
	assert_int_equal(a->nelem, b->nelem);
	assert_int_equal(a->nscales, b->nscales);
	if (codes && a->codes)
		assert_memory_equal(a->codes, b->codes, n);
	assert_int_equal(a->blocks_bytes, b->blocks_bytes);
	if (a->blocks_bytes)
		assert_memory_equal(a->blocks, b->blocks, a->blocks_bytes);
	assert_memory_equal(a->scales, b->scales, ns * sizeof(float));
	assert_memory_equal(a->clip_lo, b->clip_lo, ns * sizeof(float));
	assert_memory_equal(a->clip_hi, b->clip_hi, ns * sizeof(float));
	assert_true((a->zero_points == NULL) == (b->zero_points == NULL));
	if (a->zero_points)
		assert_memory_equal(a->zero_points, b->zero_points, ns * sizeof(int32_t));
	assert_memory_equal(&a->metrics, &b->metrics, sizeof a->metrics);
	assert_memory_equal(&a->sums, &b->sums, sizeof a->sums);
	assert_int_equal(a->bytes, b->bytes);
}

/* 1, 2, 3 and 7 threads: every output and every sum the same bits. */
static void test_any_thread_count(void **state)
{
	(void)state;
	float *x = make_x();
	int64_t shape[2] = {ROWS, COLS};
	const int threads[] = {1, 2, 3, 7};
	int runs = 0;
	for (int t = 0; t < ql_qdtype_count(); t++) {
		for (int k = 0; k < NSCHEMES; k++) {
			ql_scheme s;
			if (!scheme_k(t, k, &s))
				continue;
			for (int on = 0; on < 2; on++) {
				ql_avx2_enable(on);
				ql_qresult r0;
				ql_error err;
				ql_qopts o = {.threads = 1};
				assert_int_equal(ql_quantize(x, shape, 2, &s, &o, &r0, &err), 0);
				assert_int_equal(r0.sums.n, r0.nelem);
				for (int i = 1; i < 4; i++) {
					ql_qresult r;
					o.threads = threads[i];
					assert_int_equal(ql_quantize(x, shape, 2, &s, &o, &r, &err), 0);
					same_result(&r0, &r, true);
					ql_qresult_free(&r);
					runs++;
				}
				ql_qresult_free(&r0);
			}
			ql_avx2_enable(true);
		}
	}
	assert_true(runs >= 3 * 2 * 20);
	free(x);
}

/* no_codes: result.codes NULL for element-wise targets, everything else
 * as with codes; block targets keep theirs. */
static void test_no_codes(void **state)
{
	(void)state;
	float *x = make_x();
	int64_t shape[2] = {ROWS, COLS};
	int elementwise = 0;
	for (int t = 0; t < ql_qdtype_count(); t++) {
		const ql_qdtype_info *info = ql_qdtype_of((ql_qdtype)t);
		for (int k = 0; k < NSCHEMES; k++) {
			ql_scheme s;
			if (!scheme_k(t, k, &s))
				continue;
			for (int on = 0; on < 2; on++) {
				ql_avx2_enable(on);
				ql_qresult a, b;
				ql_error err;
				ql_qopts oa = {.threads = 2}, ob = {.threads = 2, .no_codes = true};
				assert_int_equal(ql_quantize(x, shape, 2, &s, &oa, &a, &err), 0);
				assert_int_equal(ql_quantize(x, shape, 2, &s, &ob, &b, &err), 0);
				if (info->quantize_block) {
					same_result(&a, &b, true);
				} else {
					assert_non_null(a.codes);
					assert_null(b.codes);
					same_result(&a, &b, false);
					elementwise++;
				}
				ql_qresult_free(&a);
				ql_qresult_free(&b);
			}
			ql_avx2_enable(true);
		}
	}
	assert_true(elementwise >= 2 * 6 * 3); /* int*, uint*, fp8: tensor, ch0, ch1 */
	free(x);
}

/* The error histogram counted in the quantize pass (ql_qopts.ehist):
 * the same histogram with 1, 2, 3 and 7 threads, with and without the
 * dequantized copy, with the AVX2 kernels on and off (4 runs covering
 * each pair of those); equal to the
 * histogram of the errors counted afterwards from the kept copy
 * (ql_error_hist); and asking for it changes no other result. */
static void test_error_hist_in_pass(void **state)
{
	(void)state;
	float *x = make_x();
	int64_t shape[2] = {ROWS, COLS};
	const int threads[] = {1, 2, 3, 7};
	const int nbins[] = {11, 64};
	int runs = 0;
	for (int t = 0; t < ql_qdtype_count(); t++) {
		for (int k = 0; k < NSCHEMES; k++) {
			ql_scheme s;
			if (!scheme_k(t, k, &s))
				continue;
			ql_error err;
			ql_qresult plain[2]; /* without the histogram; without, with dequant */
			for (int d = 0; d < 2; d++) {
				ql_qopts po = {.threads = 2, .dequant = d};
				assert_int_equal(ql_quantize(x, shape, 2, &s, &po, &plain[d], &err), 0);
			}
			ql_hist ref[2];
			for (int b = 0; b < 2; b++)
				assert_int_equal(ql_error_hist(&ref[b], x, plain[1].dequant,
							       (size_t)plain[1].nelem, nbins[b], &err), 1);
			{
				/* the kernels on, off, off, on: each with and without
				 * the dequantized copy */
				for (int i = 0; i < 4; i++) {
					ql_avx2_enable(i == 0 || i == 3);
					ql_ehist eh;
					assert_int_equal(ql_ehist_init(&eh, &err), 0);
					ql_qopts o = {.threads = threads[i], .ehist = &eh,
						      .dequant = i % 2, .no_metrics = i == 3};
					ql_qresult r;
					assert_int_equal(ql_quantize(x, shape, 2, &s, &o, &r, &err), 0);
					same_result(&plain[i % 2], &r, true);
					assert_int_equal(eh.n, r.nelem);
					for (int b = 0; b < 2; b++) {
						ql_hist h;
						assert_int_equal(ql_ehist_finish(&eh, nbins[b], &h, &err), 1);
						assert_int_equal(h.nbins, ref[b].nbins);
						assert_true(h.lo == ref[b].lo && h.hi == ref[b].hi);
						assert_memory_equal(h.counts, ref[b].counts,
								    (size_t)h.nbins * sizeof *h.counts);
						assert_int_equal(h.below + h.above + h.nan, 0);
						ql_hist_free(&h);
					}
					ql_ehist_free(&eh);
					ql_qresult_free(&r);
					runs++;
				}
			}
			ql_avx2_enable(true);
			for (int b = 0; b < 2; b++)
				ql_hist_free(&ref[b]);
			ql_qresult_free(&plain[0]);
			ql_qresult_free(&plain[1]);
		}
	}
	assert_true(runs >= 4 * 20);
	free(x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_any_thread_count),
		cmocka_unit_test(test_no_codes),
		cmocka_unit_test(test_error_hist_in_pass),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
