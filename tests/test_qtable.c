/* test_qtable.c — the type table drives ql_quantize (scheme.h, blockfmt.h).
 *
 * Registers nothing: walks every entry of ql_block_formats[] that has a
 * quantizer through ql_quantize by its --dtype word and checks the result
 * against the entry's own row functions, called here directly: raw blocks
 * byte for byte equal to quantize_row_ref's, dequantized values equal to
 * dequantize_row's of those blocks, codes and scales equal to the entry's
 * unpackers, the clipped count equal to the reference's, bits per weight
 * equal to the block's. A format that lands in the table with a
 * quantize_row_ref is checked here without a line of this file changing.
 * Then every target of the type table: its entry is complete, and
 * ql_qresult_dequantize (through the entry's dequantize) gives back the
 * values ql_quantize dequantized.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "qlens/blockfmt.h"
#include "qlens/quant.h"
#include "../src/core/quant_avx2.h"

/* Deterministic values with the edge cases in the first block: ±0, a
 * subnormal, ties of the grid, all-equal and all-zero blocks. */
static void fill(float *x, int64_t n, int64_t block, unsigned seed)
{
	uint64_t s = 0x9e3779b97f4a7c15ull ^ seed;
	for (int64_t i = 0; i < n; i++) {
		s = s * 6364136223846793005ull + 1442695040888963407ull;
		double u = (double)(s >> 11) / 9007199254740992.0;
		x[i] = (float)((u - 0.5) * 4.0 * (1 + (i % 7)));
	}
	const float edge[] = {0.0f, -0.0f, 1e-40f, -1e-40f, 0.5f, -0.5f, 1.5f, 2.5f, -8.0f, 7.0f};
	for (int i = 0; i < 10 && i < n; i++)
		x[i] = edge[i];
	if (n >= 3 * block) {
		for (int64_t i = block; i < 2 * block; i++)
			x[i] = 0.375f; /* all equal */
		for (int64_t i = 2 * block; i < 3 * block; i++)
			x[i] = 0.0f;  /* all zero */
	}
}

static void check_format(const ql_block_traits *bf, int64_t rows, int64_t blocks_per_row,
			 int threads)
{
	int64_t k = blocks_per_row * bf->block, n = rows * k, nb = n / bf->block;
	float *x = malloc((size_t)n * sizeof *x);
	assert_non_null(x);
	fill(x, n, bf->block, (unsigned)(rows * 31 + bf->block));

	uint8_t *ref = malloc((size_t)(nb * bf->bytes));
	float *yref = malloc((size_t)n * sizeof *yref);
	assert_non_null(ref);
	assert_non_null(yref);
	int64_t clipped = 0;
	for (int64_t r = 0; r < rows; r++)
		clipped += bf->quantize_row_ref(x + r * k, ref + r * blocks_per_row * bf->bytes, k);
	bf->dequantize_row(ref, yref, n);

	ql_scheme s;
	ql_scheme_init(&s);
	ql_error err = {0};
	assert_int_equal(ql_scheme_parse_dtype(bf->name, &s.dtype, &err), 0);
	const ql_qdtype_info *info = ql_qdtype_of(s.dtype);
	assert_non_null(info);
	assert_string_equal(info->name, bf->name);
	assert_int_equal(info->block, bf->block);
	assert_int_equal(info->block_bytes, bf->bytes);

	int64_t shape[2] = {rows, k};
	ql_qopts o = {.dequant = true, .threads = threads};
	ql_qresult res;
	assert_int_equal(ql_quantize(x, shape, 2, &s, &o, &res, &err), 0);
	assert_int_equal(res.blocks_bytes, (size_t)(nb * bf->bytes));
	assert_memory_equal(res.blocks, ref, res.blocks_bytes);
	assert_memory_equal(res.dequant, yref, (size_t)n * sizeof *yref);
	assert_int_equal(res.metrics.clipped, clipped);
	assert_int_equal(res.nscales, nb);
	assert_true(res.bits_per_weight == ql_block_bits_per_weight(bf));
	assert_int_equal(res.bytes, (uint64_t)(nb * bf->bytes));

	/* The metrics are those of x against the reference's values (summed in
	 * tiles and jobs, so the last bits of the sums may differ). */
	ql_metrics m;
	ql_metrics_compute(x, yref, (size_t)n, &m);
	assert_true(fabs(res.metrics.mse - m.mse) <= 1e-12 * m.mse);
	assert_true(res.metrics.max_abs_err == m.max_abs_err);

	uint8_t codes[1024];
	assert_true(bf->block <= 1024);
	if (bf->codes_row) {
		assert_non_null(res.codes);
		assert_int_equal(res.codes_signed, bf->codes_signed);
		for (int64_t b = 0; b < nb; b++) {
			bf->codes_row(ref + b * bf->bytes, codes);
			assert_memory_equal(res.codes + b * bf->block, codes, (size_t)bf->block);
			for (int j = 0; j < bf->block; j++) {
				int32_t c = bf->codes_signed ? (int8_t)codes[j] : codes[j];
				assert_true(c >= res.qmin && c <= res.qmax);
			}
		}
	} else {
		assert_null(res.codes);
	}
	if (bf->scales_row) {
		float sub_d[256], sub_m[256];
		assert_true(bf->nsub <= 256);
		assert_int_equal(res.nsub, bf->nsub);
		for (int64_t b = 0; b < nb; b++) {
			float d = -1, dmin = -1;
			bf->scales_row(ref + b * bf->bytes, &d, &dmin, sub_d, sub_m);
			assert_true(memcmp(&res.scales[b], &d, sizeof d) == 0);
			if (bf->has_min)
				assert_true(memcmp(&res.mins[b], &dmin, sizeof d) == 0);
			if (bf->nsub) {
				assert_memory_equal(res.sub_scales + b * bf->nsub, sub_d,
						    (size_t)bf->nsub * sizeof *sub_d);
				assert_memory_equal(res.sub_mins + b * bf->nsub, sub_m,
						    (size_t)bf->nsub * sizeof *sub_m);
			}
		}
	}

	/* ql_qresult_dequantize goes through the table too. */
	float *y2 = malloc((size_t)n * sizeof *y2);
	assert_non_null(y2);
	ql_qresult_dequantize(&res, y2);
	assert_memory_equal(y2, yref, (size_t)n * sizeof *y2);

	free(y2);
	ql_qresult_free(&res);
	free(ref);
	free(yref);
	free(x);
}

static void test_every_block_format(void **state)
{
	(void)state;
	int walked = 0;
	for (int i = 0; i < ql_block_format_count; i++) {
		const ql_block_traits *bf = &ql_block_formats[i];
		if (!bf->quantize_row_ref) {
			ql_qdtype t;
			ql_error err = {0};
			/* decode-only formats are no targets */
			assert_int_not_equal(ql_scheme_parse_dtype(bf->name, &t, &err), 0);
			continue;
		}
		/* with the fused AVX2 loops where a format has them, and without:
		 * the table's generic path */
		for (int on = 1; on >= 0; on--) {
			ql_avx2_enable(on);
			check_format(bf, 1, 1, 1);
			check_format(bf, 3, 5, 1);
			/* big enough for several jobs on several threads */
			int64_t per_row = (4096 + bf->block - 1) / bf->block;
			check_format(bf, 80, per_row, 3);
		}
		ql_avx2_enable(true);
		walked++;
	}
	assert_true(walked >= 2); /* q8_0 and q4_0 at least */
}

/* Every target's entry is complete, and a small tensor goes through with the
 * default scheme: ql_qresult_dequantize equals result.dequant. */
static void test_every_target(void **state)
{
	(void)state;
	assert_true(ql_qdtype_count() >= QL_Q_COUNT);
	assert_null(ql_qdtype_of((ql_qdtype)ql_qdtype_count()));
	for (int t = 0; t < ql_qdtype_count(); t++) {
		const ql_qdtype_info *info = ql_qdtype_of((ql_qdtype)t);
		assert_non_null(info);
		assert_non_null(info->name);
		assert_non_null(info->dequantize);
		assert_non_null(info->describe);
		assert_true(info->bits >= 1 && info->bits <= 8);
		if (info->quantize_block) {
			assert_true(info->block > 0);
			assert_true(info->raw_unit_bytes > 0);
		}
		/* a fixed code range where the target has codes (a block format
		 * without codes_row has none) */
		bool codes = info->bfmt < 0 || ql_block_formats[info->bfmt].codes_row;
		if (info->kind != QL_QK_INT && codes)
			assert_true(info->qmin < info->qmax);
		ql_qdtype back;
		ql_error err = {0};
		assert_int_equal(ql_scheme_parse_dtype(info->name, &back, &err), 0);
		assert_int_equal((int)back, t);

		/* rows of 64, or of one block where blocks are longer */
		int64_t last = info->block > 64 ? info->block : 64;
		int64_t shape[2] = {4, last};
		float *x = malloc((size_t)(4 * last) * sizeof *x);
		float *y = malloc((size_t)(4 * last) * sizeof *y);
		assert_non_null(x);
		assert_non_null(y);
		fill(x, 4 * last, last, (unsigned)t);
		ql_scheme s;
		ql_scheme_init(&s);
		s.dtype = (ql_qdtype)t;
		ql_qopts o = {.dequant = true, .threads = 1};
		ql_qresult r;
		assert_int_equal(ql_quantize(x, shape, 2, &s, &o, &r, &err), 0);
		ql_qresult_dequantize(&r, y);
		assert_memory_equal(y, r.dequant, (size_t)(4 * last) * sizeof *y);
		char desc[128];
		assert_true(ql_scheme_describe(&r.scheme, desc, sizeof desc) > 0);
		assert_non_null(strstr(desc, info->name));
		ql_qresult_free(&r);
		free(x);
		free(y);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_block_format),
		cmocka_unit_test(test_every_target),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
