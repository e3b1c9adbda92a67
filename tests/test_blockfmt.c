/* test_blockfmt.c — the block-format table (blockfmt.h): every entry is
 * consistent (fields add up to the block's bytes, look-ups find it by name,
 * storage dtype and GGUF id), and its row functions round-trip through the
 * storage dtype's own description. Per-format numbers are in test_blocks.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>

#include "qlens/blockfmt.h"

static void test_table_consistent(void **state)
{
	(void)state;
	assert_true(ql_block_format_count >= 5);
	for (int i = 0; i < ql_block_format_count; i++) {
		const ql_block_traits *t = &ql_block_formats[i];
		int sum = 0;
		for (int f = 0; f < t->nfields; f++)
			sum += t->fields[f].bytes;
		assert_int_equal(sum, t->bytes);
		assert_ptr_equal(ql_block_find(t->name), t);
		assert_ptr_equal(ql_block_for_dtype(t->dtype), t);
		if (t->ggml_type >= 0)
			assert_ptr_equal(ql_block_for_ggml(t->ggml_type), t);
		/* The storage dtype describes the same block. */
		assert_int_equal(ql_dtypes[t->dtype].block_elems, t->block);
		assert_int_equal(ql_dtypes[t->dtype].block_bytes, t->bytes);
		assert_non_null(t->dequantize_row);
		assert_non_null(t->summary);
	}
	assert_null(ql_block_find("q9_9"));
	assert_ptr_equal(ql_block_find("Q8_0"), ql_block_find("q8_0"));
	assert_null(ql_block_for_ggml(0)); /* F32 is no block format */
}

static void test_bits_per_weight(void **state)
{
	(void)state;
	assert_true(ql_block_bits_per_weight(ql_block_find("q8_0")) == 8.5);
	assert_true(ql_block_bits_per_weight(ql_block_find("q4_0")) == 4.5);
	assert_true(ql_block_bits_per_weight(ql_block_find("q5_1")) == 6.0);
}

/* Every format with a quantizer: quantize two blocks, dequantize them, and
 * the error is within a step of the block's scale (loose: a smoke
 * check that the table wires the right functions; exact bytes are checked
 * per format against golden vectors). */
static void test_round_trip(void **state)
{
	(void)state;
	for (int i = 0; i < ql_block_format_count; i++) {
		const ql_block_traits *t = &ql_block_formats[i];
		if (!t->quantize_row_ref)
			continue;
		int64_t k = 2 * t->block;
		float *x = malloc(k * sizeof *x), *y = malloc(k * sizeof *y);
		unsigned char *b = malloc(2 * t->bytes), *b2 = malloc(2 * t->bytes);
		assert_non_null(x);
		assert_non_null(y);
		assert_non_null(b);
		assert_non_null(b2);
		for (int64_t j = 0; j < k; j++)
			x[j] = sinf((float)j * 0.37f) * (j < t->block ? 1.0f : 100.0f);
		t->quantize_row_ref(x, b, k);
		ql_block_quantizer(t)(x, b2, k);
		assert_memory_equal(b, b2, 2 * t->bytes);
		t->dequantize_row(b, y, k);
		/* ternary and 2-bit formats can be off by half the block's range;
		 * Q3_K's clipped codes (-4..3) and MXFP4's saturation at 6 x 2^e
		 * (absmax just under a power of two) by a quarter */
		float tol = ql_block_bits_per_weight(t) < 3.0 ? 0.55f : 0.3f;
		for (int64_t j = 0; j < k; j++)
			if (!(fabsf(y[j] - x[j]) <= (j < t->block ? tol : 100.0f * tol)))
				fail_msg("%s: value %lld is %g, was %g", t->name, (long long)j, y[j], x[j]);
		free(x);
		free(y);
		free(b);
		free(b2);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_consistent),
		cmocka_unit_test(test_bits_per_weight),
		cmocka_unit_test(test_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
