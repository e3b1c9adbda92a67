/* test_dequant_rows.c — the row dequantizers of blocks.c (built as AVX2
 * and baseline clones, the AVX2 one chosen on this machine when it has
 * AVX2) against ggml's dequantize_row_* written out here in plain scalar C
 * with an fp16 conversion that is not qlens's (half_ref.h): equal bit for
 * bit over blocks whose d (and m) run through all 65536 fp16 patterns —
 * zeros of both signs, subnormals, infinities, NaNs — with random codes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "qlens/blocks.h"
#include "half_ref.h"

enum { NB = 65536 }; /* one block per fp16 pattern */

static uint32_t seed = 2024;
static uint8_t rnd8(void)
{
	seed = seed * 1664525u + 1013904223u;
	return (uint8_t)(seed >> 24);
}

static void fill(void *p, size_t n)
{
	uint8_t *b = p;
	for (size_t i = 0; i < n; i++)
		b[i] = rnd8();
}

static uint32_t qh32(const uint8_t *qh)
{
	uint32_t v;
	memcpy(&v, qh, 4); /* little-endian machine: ggml's memcpy too */
	return v;
}

static void test_q8_0(void **state)
{
	(void)state;
	ql_block_q8_0 *b = malloc(NB * sizeof *b);
	float *y = malloc((size_t)NB * 32 * sizeof *y), *r = malloc((size_t)NB * 32 * sizeof *r);
	assert_non_null(b);
	assert_non_null(y);
	assert_non_null(r);
	fill(b, NB * sizeof *b);
	for (int i = 0; i < NB; i++) {
		b[i].d = (uint16_t)i;
		const float d = half_ref_to_f32(b[i].d);
		for (int j = 0; j < 32; j++)
			r[i * 32 + j] = b[i].qs[j] * d;
	}
	ql_dequantize_row_q8_0(b, y, (int64_t)NB * 32);
	assert_memory_equal(y, r, (size_t)NB * 32 * sizeof *y);
	free(b);
	free(y);
	free(r);
}

static void test_q4(void **state)
{
	(void)state;
	size_t n = (size_t)NB * 32;
	ql_block_q4_0 *b0 = malloc(NB * sizeof *b0);
	ql_block_q4_1 *b1 = malloc(NB * sizeof *b1);
	float *y = malloc(n * sizeof *y), *r = malloc(n * sizeof *r);
	assert_true(b0 && b1 && y && r);
	fill(b0, NB * sizeof *b0);
	fill(b1, NB * sizeof *b1);
	for (int i = 0; i < NB; i++) {
		b0[i].d = (uint16_t)i;
		const float d = half_ref_to_f32(b0[i].d);
		for (int j = 0; j < 16; j++) {
			const int x0 = (b0[i].qs[j] & 0x0F) - 8;
			const int x1 = (b0[i].qs[j] >> 4) - 8;
			r[i * 32 + j] = x0 * d;
			r[i * 32 + j + 16] = x1 * d;
		}
	}
	ql_dequantize_row_q4_0(b0, y, (int64_t)n);
	assert_memory_equal(y, r, n * sizeof *y);
	for (int i = 0; i < NB; i++) {
		b1[i].d = (uint16_t)i;
		b1[i].m = (uint16_t)(i * 40503u); /* every m pattern too, in another order */
		const float d = half_ref_to_f32(b1[i].d), m = half_ref_to_f32(b1[i].m);
		for (int j = 0; j < 16; j++) {
			const int x0 = b1[i].qs[j] & 0x0F;
			const int x1 = b1[i].qs[j] >> 4;
			float a = x0 * d, c = x1 * d; /* no fused multiply-add, as ggml built */
			r[i * 32 + j] = a + m;
			r[i * 32 + j + 16] = c + m;
		}
	}
	ql_dequantize_row_q4_1(b1, y, (int64_t)n);
	assert_memory_equal(y, r, n * sizeof *y);
	free(b0);
	free(b1);
	free(y);
	free(r);
}

static void test_q5(void **state)
{
	(void)state;
	size_t n = (size_t)NB * 32;
	ql_block_q5_0 *b0 = malloc(NB * sizeof *b0);
	ql_block_q5_1 *b1 = malloc(NB * sizeof *b1);
	float *y = malloc(n * sizeof *y), *r = malloc(n * sizeof *r);
	assert_true(b0 && b1 && y && r);
	fill(b0, NB * sizeof *b0);
	fill(b1, NB * sizeof *b1);
	for (int i = 0; i < NB; i++) {
		b0[i].d = (uint16_t)i;
		const float d = half_ref_to_f32(b0[i].d);
		const uint32_t qh = qh32(b0[i].qh);
		for (int j = 0; j < 16; j++) {
			const uint8_t xh_0 = ((qh >> (j + 0)) << 4) & 0x10;
			const uint8_t xh_1 = ((qh >> (j + 12))) & 0x10;
			const int32_t x0 = ((b0[i].qs[j] & 0x0F) | xh_0) - 16;
			const int32_t x1 = ((b0[i].qs[j] >> 4) | xh_1) - 16;
			r[i * 32 + j] = x0 * d;
			r[i * 32 + j + 16] = x1 * d;
		}
	}
	ql_dequantize_row_q5_0(b0, y, (int64_t)n);
	assert_memory_equal(y, r, n * sizeof *y);
	for (int i = 0; i < NB; i++) {
		b1[i].d = (uint16_t)i;
		b1[i].m = (uint16_t)(i * 40503u);
		const float d = half_ref_to_f32(b1[i].d), m = half_ref_to_f32(b1[i].m);
		const uint32_t qh = qh32(b1[i].qh);
		for (int j = 0; j < 16; j++) {
			const uint8_t xh_0 = ((qh >> (j + 0)) << 4) & 0x10;
			const uint8_t xh_1 = ((qh >> (j + 12))) & 0x10;
			const int x0 = (b1[i].qs[j] & 0x0F) | xh_0;
			const int x1 = (b1[i].qs[j] >> 4) | xh_1;
			float a = x0 * d, c = x1 * d;
			r[i * 32 + j] = a + m;
			r[i * 32 + j + 16] = c + m;
		}
	}
	ql_dequantize_row_q5_1(b1, y, (int64_t)n);
	assert_memory_equal(y, r, n * sizeof *y);
	free(b0);
	free(b1);
	free(y);
	free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_q8_0),
		cmocka_unit_test(test_q4),
		cmocka_unit_test(test_q5),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
