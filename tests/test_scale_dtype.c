/* test_scale_dtype.c — --scale-dtype fp32|fp16|bf16 for the affine integer
 * schemes (scheme.h's scale_dtype): the rounding of a scale to its storage
 * type (values from NumPy: np.float16(x), and bf16 as the top half of the
 * float32 bits rounded to nearest even, as torch.tensor(x).bfloat16()), the
 * scales ql_quantize picks are of that type, the codes are those of the
 * stored scale (the same as quantizing with that scale given), the zero
 * point comes from the rounded scale, bits per weight count the type's
 * width (int4 per group of 32 with fp16 scales: 4.5), and the scheme word
 * round-trips. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "qlens/blocks.h"
#include "qlens/quant.h"
#include "qlens/scheme_text.h"

static void test_round(void **state)
{
	(void)state;
	/* np.float16(0.1) = 0.0999755859375; np.float16(1/3) = 0.333251953125 */
	assert_true(ql_scale_round(0.1f, QL_SCALE_FP16) == 0.0999755859375f);
	assert_true(ql_scale_round(1.0f / 3.0f, QL_SCALE_FP16) == 0.333251953125f);
	/* torch.tensor(1/3).bfloat16() = 0.333984375; 0.1 -> 0.10009765625 */
	assert_true(ql_scale_round(1.0f / 3.0f, QL_SCALE_BF16) == 0.333984375f);
	assert_true(ql_scale_round(0.1f, QL_SCALE_BF16) == 0.10009765625f);
	/* kept usable: never 0, never inf */
	assert_true(ql_scale_round(1e-9f, QL_SCALE_FP16) == 0x1p-24f);
	assert_true(ql_scale_round(1e6f, QL_SCALE_FP16) == 65504.0f);
	assert_true(ql_scale_round(1e-45f, QL_SCALE_BF16) == 0x1p-133f);
	assert_true(ql_scale_round(3.4028235e38f, QL_SCALE_BF16) == 0x1.fep127f);
	assert_true(ql_scale_round(0.1f, QL_SCALE_FP32) == 0.1f);
}

static float *data(int64_t n)
{
	float *x = malloc((size_t)n * sizeof *x);
	assert_non_null(x);
	uint32_t r = 99;
	for (int64_t i = 0; i < n; i++) {
		r = r * 1664525u + 1013904223u;
		x[i] = ((float)(r >> 8) / 16777216.0f - 0.5f) * (1.0f + (float)(i % 7));
	}
	return x;
}

static void test_group_fp16(void **state)
{
	(void)state;
	int64_t shape[2] = {16, 256};
	float *x = data(16 * 256);
	ql_scheme s;
	ql_error err = {0};
	assert_int_equal(ql_scheme_parse_word("int4/g32/scale:fp16", &s, &err), 0);
	assert_int_equal(s.scale_dtype, QL_SCALE_FP16);
	ql_qresult r;
	ql_qopts o = {.dequant = true};
	assert_int_equal(ql_quantize(x, shape, 2, &s, &o, &r, &err), 0);
	assert_int_equal(r.nscales, 16 * 8);
	for (int64_t i = 0; i < r.nscales; i++) /* every scale is an fp16 value */
		assert_true(ql_f32_from_fp16(ql_fp16_from_f32(r.scales[i])) == r.scales[i]);
	/* the codes are those of the stored scale: rint(x / s) the way the
	 * kernel computes it (x * (1 / s)), clamped to [-7, 7] */
	for (int64_t i = 0; i < 16 * 256; i++) {
		float sc = r.scales[i / 32];
		float v = rintf(x[i] * (1.0f / sc));
		v = v < -7 ? -7 : v > 7 ? 7 : v;
		assert_int_equal((int8_t)r.codes[i], (int)v);
		assert_true(r.dequant[i] == (float)(int8_t)r.codes[i] * sc);
	}
	/* 4 bits + 16 / 32 for the scales: 4.5, as DeepLearning.AI's course counts */
	assert_true(r.bits_per_weight == 4.5);
	ql_qresult_free(&r);

	s.scale_dtype = QL_SCALE_FP32;
	assert_int_equal(ql_quantize(x, shape, 2, &s, &o, &r, &err), 0);
	assert_true(r.bits_per_weight == 5.0);
	ql_qresult_free(&r);
	free(x);
}

/* per tensor: calibrated with bf16 scales = quantized with that scale given */
static void test_tensor_bf16_equals_given_scale(void **state)
{
	(void)state;
	int64_t shape[2] = {8, 100};
	float *x = data(800);
	ql_scheme s;
	ql_scheme_init(&s);
	s.scale_dtype = QL_SCALE_BF16;
	ql_qresult a, b;
	ql_qopts o = {.dequant = true};
	ql_error err = {0};
	assert_int_equal(ql_quantize(x, shape, 2, &s, &o, &a, &err), 0);
	uint32_t u;
	memcpy(&u, &a.scales[0], sizeof u);
	assert_int_equal(u & 0xffff, 0); /* a bf16 value */
	ql_scheme g;
	ql_scheme_init(&g);
	g.has_scale = true;
	g.scale = a.scales[0];
	assert_int_equal(ql_quantize(x, shape, 2, &g, &o, &b, &err), 0);
	assert_memory_equal(a.codes, b.codes, 800);
	assert_memory_equal(a.dequant, b.dequant, 800 * sizeof(float));
	assert_true(a.bits_per_weight == 8.0 + 16.0 / 800.0);
	ql_qresult_free(&a);
	ql_qresult_free(&b);
	free(x);
}

/* asymmetric: the zero point is computed from the rounded scale */
static void test_asym_zero_point(void **state)
{
	(void)state;
	float s;
	int32_t zp;
	ql_qparams_from_range_sd(-0.3f, 1.7f, 0, 255, false, QL_SCALE_FP16, &s, &zp);
	float want = ql_scale_round(2.0f / 255.0f, QL_SCALE_FP16);
	assert_true(s == want);
	assert_int_equal(zp, (int32_t)(0 - rintf(-0.3f / want)));
}

static void test_word_and_validation(void **state)
{
	(void)state;
	ql_scheme s;
	ql_error err = {0};
	char buf[QL_SCHEME_WORD_MAX];
	assert_int_equal(ql_scheme_parse_word("uint8/ch0/scale:bf16", &s, &err), 0);
	ql_scheme_word(&s, buf, sizeof buf);
	assert_string_equal(buf, "uint8/ch0/scale:bf16");
	assert_int_equal(ql_scheme_parse_word("int8/scale:fp32", &s, &err), 0);
	ql_scheme_word(&s, buf, sizeof buf);
	assert_string_equal(buf, "int8");
	/* block and float formats have their own scale formats */
	assert_int_not_equal(ql_scheme_parse_word("q4_0/scale:fp16", &s, &err), 0);
	assert_non_null(strstr(err.msg, "affine integer"));
	assert_int_not_equal(ql_scheme_parse_word("fp8_e4m3/scale:bf16", &s, &err), 0);
	assert_int_not_equal(ql_scheme_parse_word("int8/scale:fp8", &s, &err), 0);
	assert_non_null(strstr(err.msg, "fp32, fp16 or bf16"));
	ql_scheme_init(&s);
	s.scale_dtype = QL_SCALE_FP16;
	ql_scheme_describe(&s, buf, sizeof buf);
	assert_string_equal(buf, "int8 sym per-tensor minmax scale fp16");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round),
		cmocka_unit_test(test_group_fp16),
		cmocka_unit_test(test_tensor_bf16_equals_given_scale),
		cmocka_unit_test(test_asym_zero_point),
		cmocka_unit_test(test_word_and_validation),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
