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
#include "qlens/scheme_text.h"
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

/* b equals a; its codes and raw blocks are compared only if `codes` (b
 * made with no_codes has none). */
static void same_result(const ql_qresult *a, const ql_qresult *b, bool codes)
{
	size_t n = (size_t)a->nelem, ns = (size_t)a->nscales;
	assert_int_equal(a->nelem, b->nelem);
	assert_int_equal(a->nscales, b->nscales);
	if (codes && a->codes)
		assert_memory_equal(a->codes, b->codes, n);
	if (codes) {
		assert_int_equal(a->blocks_bytes, b->blocks_bytes);
		if (a->blocks_bytes)
			assert_memory_equal(a->blocks, b->blocks, a->blocks_bytes);
	}
	assert_true((a->mins == NULL) == (b->mins == NULL));
	if (a->mins)
		assert_memory_equal(a->mins, b->mins, ns * sizeof(float));
	assert_int_equal(a->nsub, b->nsub);
	if (a->sub_scales) {
		assert_memory_equal(a->sub_scales, b->sub_scales, ns * (size_t)a->nsub * sizeof(float));
		assert_memory_equal(a->sub_mins, b->sub_mins, ns * (size_t)a->nsub * sizeof(float));
	}
	assert_true(a->data_min == b->data_min && a->data_max == b->data_max);
	assert_true(a->bits_per_weight == b->bits_per_weight);
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

/* no_codes: result.codes NULL (and, for block targets, result.blocks NULL
 * and blocks_bytes 0: their codes and blocks go through per-thread scratch),
 * everything else as with codes, the storage (bytes) included. */
static void test_no_codes(void **state)
{
	(void)state;
	float *x = make_x();
	int64_t shape[2] = {ROWS, COLS};
	int elementwise = 0, blocky = 0;
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
				assert_null(b.codes);
				same_result(&a, &b, false);
				if (info->quantize_block) {
					assert_non_null(a.blocks);
					assert_null(b.blocks);
					assert_int_equal(b.blocks_bytes, 0);
					blocky++;
				} else {
					assert_non_null(a.codes);
					elementwise++;
				}
				ql_qresult_free(&a);
				ql_qresult_free(&b);
			}
			ql_avx2_enable(true);
		}
	}
	assert_true(elementwise >= 2 * 6 * 3); /* int*, uint*, fp8: tensor, ch0, ch1 */
	assert_true(blocky >= 2 * 6);          /* q8_0, q4_0, nf4, mx*, the ggml table */
	free(x);
}

/* ql_qopts.bufs: every target and scheme, AVX2 on and off, in one series
 * whose tensors change shape and alternate between no codes (a large
 * tensor, two threads) and codes kept (a small one), so buffers grow and
 * are reused: the same bits as fresh buffers; the result is borrowed
 * (ql_qresult_free frees none of it: ASan sees a double free otherwise);
 * the same tensor again allocates nothing. */
static void test_bufs(void **state)
{
	(void)state;
	float *x = make_x();
	const int64_t shapes[2][2] = {{ROWS, COLS}, {ROWS / 4, COLS / 2}};
	ql_qbufs bufs = {0};
	int runs = 0, reused = 0;
	for (int t = 0; t < ql_qdtype_count(); t++) {
		for (int k = 0; k < NSCHEMES; k++) {
			ql_scheme s;
			if (!scheme_k(t, k, &s))
				continue;
			for (int on = 0; on < 2; on++) {
				ql_avx2_enable(on);
				for (int c = 0; c < 2; c++) { /* as report, then with codes */
					const int64_t *shape = shapes[c];
					ql_error err;
					if (ql_scheme_validate(&s, shape, 2, &err))
						continue;
					bool no_codes = c == 0;
					ql_qresult a, b;
					ql_qopts oa = {.threads = 2, .no_codes = no_codes};
					ql_qopts ob = {.threads = 2, .no_codes = no_codes, .bufs = &bufs};
					assert_int_equal(ql_quantize(x, shape, 2, &s, &oa, &a, &err), 0);
					void *before[QL_QBUF_SLOTS];
					memcpy(before, bufs.ptr, sizeof before);
					size_t had = ql_qbufs_bytes(&bufs);
					assert_int_equal(ql_quantize(x, shape, 2, &s, &ob, &b, &err), 0);
					assert_true(b.borrowed);
					assert_false(a.borrowed);
					same_result(&a, &b, true);
					/* again, same tensor: not one buffer (re)allocated */
					ql_qresult_free(&b);
					size_t grown = ql_qbufs_bytes(&bufs);
					assert_int_equal(ql_quantize(x, shape, 2, &s, &ob, &b, &err), 0);
					assert_int_equal(ql_qbufs_bytes(&bufs), grown);
					same_result(&a, &b, true);
					if (had == grown && !memcmp(before, bufs.ptr, sizeof before))
						reused++;
					ql_qresult_free(&a);
					ql_qresult_free(&b);
					assert_null(b.scales);
					runs++;
				}
			}
			ql_avx2_enable(true);
		}
	}
	assert_true(runs >= 3 * 2 * 20);
	assert_true(reused > runs / 2); /* the smaller shape fits what the larger left */
	ql_qbufs_free(&bufs);
	assert_int_equal(ql_qbufs_bytes(&bufs), 0);
	free(x);
}

/* What qlens report holds besides its input (no_codes, bufs): for the
 * schemes of its README table, at most a fifth of the tensor's float32
 * bytes (per-unit scales and ranges, a few jobs of scratch). A kept code or
 * raw block array (a quarter or more) fails it. */
static void test_report_memory(void **state)
{
	(void)state;
	enum { R = 1024, C = 4096 };
	size_t n = (size_t)R * C;
	float *x = malloc(n * sizeof *x);
	assert_non_null(x);
	for (size_t i = 0; i < n; i++)
		x[i] = (float)((int)(i * 2654435761u % 2001) - 1000) * 1e-3f;
	const char *words[] = {"int8", "int8/ch", "uint8/asym/ch", "int4/g32", "q4_0",
			       "q8_0", "nf4", "mxfp4", "mxfp8", "q4_k"};
	int64_t shape[2] = {R, C};
	for (size_t w = 0; w < sizeof words / sizeof *words; w++) {
		ql_scheme s;
		ql_error err;
		ql_scheme_init(&s);
		assert_int_equal(ql_scheme_parse_word(words[w], &s, &err), 0);
		ql_qbufs bufs = {0};
		ql_qopts o = {.threads = 2, .no_codes = true, .bufs = &bufs};
		ql_qresult r;
		assert_int_equal(ql_quantize(x, shape, 2, &s, &o, &r, &err), 0);
		assert_null(r.codes);
		assert_null(r.blocks);
		assert_true(r.bytes > 0);
		size_t held = ql_qbufs_bytes(&bufs);
		print_message("%-14s holds %5.1f%% of the tensor\n", words[w],
			      100.0 * (double)held / (double)(n * sizeof(float)));
		assert_true(held <= n * sizeof(float) / 5);
		ql_qresult_free(&r);
		ql_qbufs_free(&bufs);
	}
	free(x);
}

/* The error histogram counted in the quantize pass (ql_qopts.ehist):
 * the same histogram with 1, 2, 3 and 7 threads, with and without the
 * dequantized copy, with and without codes kept (no_codes), with the
 * AVX2 kernels on and off (4 runs covering each pair of those); equal to the
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
					/* run 2 keeps no codes or blocks (qlens report's way) */
					ql_qopts o = {.threads = threads[i], .ehist = &eh,
						      .dequant = i % 2, .no_metrics = i == 3,
						      .no_codes = i == 2};
					ql_qresult r;
					assert_int_equal(ql_quantize(x, shape, 2, &s, &o, &r, &err), 0);
					if (i == 2) {
						assert_memory_equal(&plain[0].metrics, &r.metrics,
								    sizeof r.metrics);
						assert_memory_equal(&plain[0].sums, &r.sums, sizeof r.sums);
					} else {
						same_result(&plain[i % 2], &r, true);
					}
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
		cmocka_unit_test(test_bufs),
		cmocka_unit_test(test_report_memory),
		cmocka_unit_test(test_error_hist_in_pass),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
