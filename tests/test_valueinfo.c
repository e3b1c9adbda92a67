/* test_valueinfo.c — what qlens shows about one stored value (valueinfo.h),
 * against independent references:
 *
 *   - numpy's direct conversions np.float32(x) / np.float16(x), their values
 *     and np.spacing, and PyTorch's torch.tensor(x, dtype=float16/bfloat16)
 *     (through fp32): tests/golden/valueinfo.txt, made by
 *     tests/golden/gen_valueinfo.py;
 *   - hand-worked cases for the error, the relative error, ±0, infinities,
 *     NaN, saturation, integer casts and roundings and their steps, the top
 *     of e4m3's range, and a given code (the bit explorer's flipped bits).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qlens/valueinfo.h"
#include "testutil.h"

static bool same_double(double a, double b)
{
	return (isnan(a) && isnan(b)) || (a == b && signbit(a) == signbit(b));
}

static void test_golden(void **state)
{
	(void)state;
	FILE *f = tu_golden_open("valueinfo.txt");
	char line[512];
	int n = 0, differs = 0;
	while (tu_golden_line(f, line, sizeof line)) {
		char type[16], xs[64], code[32], stored[64], ulp[64], torch[32];
		if (sscanf(line, "%15s %63s %31s %63s %63s %31s", type, xs, code, stored, ulp, torch) != 6)
			fail_msg("bad golden line '%s'", line);
		ql_type t;
		if (!ql_type_from_name(type, &t))
			fail_msg("unknown type '%s'", type);
		double x = tu_golden_double(xs);
		ql_value_info vi;
		ql_value_info_of(t, x, QL_CONV_CAST, &vi);
		if (strcmp(code, "-")) {
			if (vi.code != strtoull(code, NULL, 16))
				fail_msg("%s(%s): code %llx, numpy %s", type, xs, (unsigned long long)vi.code, code);
			if (!same_double(vi.stored, tu_golden_double(stored)))
				fail_msg("%s(%s): stored %a, numpy %s", type, xs, vi.stored, stored);
			if (!same_double(vi.ulp, tu_golden_double(ulp)))
				fail_msg("%s(%s): ulp %a, numpy %s", type, xs, vi.ulp, ulp);
			assert_true(same_double(vi.error, vi.stored - x));
		}
		if (strcmp(torch, "-")) {
			uint64_t tc = strtoull(torch, NULL, 16);
			if (vi.torch_differs != (tc != vi.code))
				fail_msg("%s(%s): torch_differs %d, PyTorch stores %s, qlens %llx", type, xs,
					 vi.torch_differs, torch, (unsigned long long)vi.code);
			if (vi.torch_differs && vi.torch_code != tc)
				fail_msg("%s(%s): torch_code %llx, PyTorch %s", type, xs,
					 (unsigned long long)vi.torch_code, torch);
			differs += vi.torch_differs;
		} else {
			assert_false(vi.torch_differs);
		}
		n++;
	}
	fclose(f);
	assert_true(n > 1000);
	assert_true(differs > 50); /* the file has double roundings of both kinds */
}

/* 1/3 in fp16: the notes' example. */
static void test_one_third(void **state)
{
	(void)state;
	ql_value_info vi;
	ql_value_info_of(QL_FP16, 1.0 / 3.0, QL_CONV_CAST, &vi);
	assert_int_equal(vi.code, 0x3555);
	assert_true(vi.stored == 0x1.554p-2);
	assert_true(vi.error == 0x1.554p-2 - 1.0 / 3.0);
	assert_true(vi.rel_error == vi.error / (1.0 / 3.0));
	assert_true(vi.rel_error < 0);
	assert_true(vi.ulp == 0x1p-12);
	assert_false(vi.ulp_is_step);
	assert_false(vi.exact);
	assert_int_equal(vi.cls, QL_CLASS_NORMAL);
	assert_true(vi.status & QL_ST_INEXACT);
}

static void test_edges(void **state)
{
	(void)state;
	ql_value_info vi;
	/* ±0: exact, no relative error, the smallest subnormal as spacing */
	ql_value_info_of(QL_FP16, -0.0, QL_CONV_CAST, &vi);
	assert_int_equal(vi.code, 0x8000);
	assert_true(vi.exact);
	assert_true(vi.error == 0 && isnan(vi.rel_error));
	assert_true(vi.ulp == 0x1p-24);
	assert_int_equal(vi.cls, QL_CLASS_ZERO);
	/* overflow to inf: infinite error, no relative error, no spacing */
	ql_value_info_of(QL_FP16, 70000.0, QL_CONV_CAST, &vi);
	assert_int_equal(vi.code, 0x7c00);
	assert_true(isinf(vi.error) && vi.error > 0);
	assert_true(isnan(vi.rel_error) && isnan(vi.ulp));
	assert_true(vi.status & QL_ST_OVERFLOW);
	/* inf stored as inf: exact; inf - inf is no number */
	ql_value_info_of(QL_FP32, -INFINITY, QL_CONV_CAST, &vi);
	assert_true(vi.exact && isnan(vi.error) && isnan(vi.rel_error));
	/* NaN stored as NaN: exact */
	ql_value_info_of(QL_BF16, NAN, QL_CONV_CAST, &vi);
	assert_true(vi.exact && isnan(vi.error) && isnan(vi.ulp));
	assert_int_equal(vi.cls, QL_CLASS_NAN);
	assert_false(vi.torch_differs);
	/* a saturating format: inf in, the largest value out */
	ql_value_info_of(QL_FP4_E2M1, INFINITY, QL_CONV_CAST, &vi);
	assert_true(vi.stored == 6.0);
	assert_true(isinf(vi.error) && vi.error < 0 && isnan(vi.rel_error));
	assert_true(vi.ulp == 2.0); /* 6 is the top: the spacing toward zero, to 4 */
	/* e4m3's top: 448, whose neighbour up is NaN: spacing toward zero */
	ql_value_info_of(QL_FP8_E4M3, 448.0, QL_CONV_CAST, &vi);
	assert_true(vi.exact && vi.ulp == 32.0);
	/* fp16's top: 65504; the next up is inf */
	ql_value_info_of(QL_FP16, 65504.0, QL_CONV_CAST, &vi);
	assert_true(vi.exact && vi.ulp == 32.0);
	/* a subnormal */
	ql_value_info_of(QL_FP16, 1e-7, QL_CONV_CAST, &vi);
	assert_int_equal(vi.cls, QL_CLASS_SUBNORMAL);
	assert_true(vi.ulp == 0x1p-24);
	/* fp64 holds the input exactly */
	ql_value_info_of(QL_FP64, 0.1, QL_CONV_CAST, &vi);
	assert_true(vi.exact && vi.error == 0 && vi.rel_error == 0 && !vi.torch_differs);
}

/* Integer formats: a cast truncates, a rounding goes to nearest even; the
 * spacing is a grid step. */
static void test_integers(void **state)
{
	(void)state;
	ql_value_info vi;
	ql_value_info_of(QL_INT8, 2.5, QL_CONV_CAST, &vi);
	assert_true(vi.stored == 2.0 && vi.error == -0.5 && vi.rel_error == -0.2);
	assert_true(vi.ulp == 1.0 && vi.ulp_is_step);
	ql_value_info_of(QL_INT8, 2.5, QL_CONV_ROUND, &vi);
	assert_true(vi.stored == 2.0); /* tie to even */
	ql_value_info_of(QL_INT8, 3.5, QL_CONV_ROUND, &vi);
	assert_true(vi.stored == 4.0);
	ql_value_info_of(QL_INT8, -1.0 / 3.0, QL_CONV_CAST, &vi);
	assert_true(vi.stored == 0.0 && (vi.status & QL_ST_UNDERFLOW));
	ql_value_info_of(QL_INT8, 300.0, QL_CONV_CAST, &vi);
	assert_true(vi.stored == 127.0 && (vi.status & QL_ST_OVERFLOW));
	assert_true(vi.ulp == 1.0); /* the top: one step down */
	ql_value_info_of(QL_INT8, -300.0, QL_CONV_CAST, &vi);
	assert_true(vi.stored == -128.0 && vi.ulp == 1.0);
	ql_value_info_of(QL_UINT2, 3.0, QL_CONV_CAST, &vi);
	assert_true(vi.exact && vi.ulp == 1.0);
}

/* A given code (flipped bits, --hex): no conversion, the status as given. */
static void test_given_code(void **state)
{
	(void)state;
	ql_value_info vi;
	ql_value_info_code(QL_FP32, 0x3eaaaaab, 1.0 / 3.0, 0, &vi);
	assert_true(vi.stored == (double)(1.0f / 3.0f));
	assert_int_equal(vi.status, 0);
	assert_true(vi.error == vi.stored - 1.0 / 3.0);
	assert_true(vi.ulp == 0x1p-25);
	assert_false(vi.torch_differs);
	ql_value_info_code(QL_FP16, 0x7e00, 1.0, QL_ST_INVALID, &vi);
	assert_int_equal(vi.cls, QL_CLASS_NAN);
	assert_true(isnan(vi.error) && !vi.exact && vi.status == QL_ST_INVALID);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden),
		cmocka_unit_test(test_one_third),
		cmocka_unit_test(test_edges),
		cmocka_unit_test(test_integers),
		cmocka_unit_test(test_given_code),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
