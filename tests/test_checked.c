/* test_checked.c — overflow-checked sizes (qlens/checked.h), the shape
 * rule that makes them safe to multiply, and the last check on a
 * quantization result (ql_qresult_check).
 *
 * The expected values are plain arithmetic, written out: 2^62 * 2 does not
 * fit in int64, ceil(7 / 2^62) is 1, a group larger than a row gives one
 * scale per row.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "qlens/checked.h"
#include "qlens/quant.h"
#include "qlens/tensor.h"

static void test_arith(void **state)
{
	(void)state;
	int64_t r;
	assert_true(ql_mul_i64(INT64_C(1) << 31, INT64_C(1) << 31, &r));
	assert_int_equal(r, INT64_C(1) << 62);
	assert_false(ql_mul_i64(INT64_C(1) << 62, 2, &r));
	assert_false(ql_mul_i64(INT64_MIN, -1, &r));
	assert_true(ql_add_i64(INT64_MAX - 1, 1, &r));
	assert_false(ql_add_i64(INT64_MAX, 1, &r));
	uint64_t u;
	assert_false(ql_mul_u64(UINT64_C(1) << 32, UINT64_C(1) << 32, &u));
	assert_false(ql_add_u64(UINT64_MAX, 1, &u));
	size_t z;
	assert_false(ql_mul_size(SIZE_MAX / 2 + 1, 2, &z));
	/* ceil without a + b - 1 */
	assert_int_equal(ql_ceil_div_i64(0, 5), 0);
	assert_int_equal(ql_ceil_div_i64(10, 5), 2);
	assert_int_equal(ql_ceil_div_i64(11, 5), 3);
	assert_int_equal(ql_ceil_div_i64(7, INT64_MAX), 1);
	assert_int_equal(ql_ceil_div_i64(INT64_MAX, INT64_MAX), 1);
	assert_int_equal(ql_ceil_div_i64(INT64_MAX, 1), INT64_MAX);
}

/* An empty tensor whose other dimensions multiply past int64 is refused:
 * code that walks a shape multiplies the dimensions around an axis. */
static void test_shape_elems(void **state)
{
	(void)state;
	int64_t ok[3] = {0, 1 << 20, 1 << 20};
	assert_int_equal(ql_shape_elems(ok, 3), 0);
	int64_t bad[3] = {0, INT64_C(1) << 40, INT64_C(1) << 40};
	assert_int_equal(ql_shape_elems(bad, 3), -1);
	int64_t big[2] = {INT64_C(1) << 31, INT64_C(1) << 31};
	assert_int_equal(ql_shape_elems(big, 2), INT64_C(1) << 62);
	int64_t over[2] = {INT64_C(1) << 32, INT64_C(1) << 31};
	assert_int_equal(ql_shape_elems(over, 2), -1);
	int64_t neg[2] = {4, -1};
	assert_int_equal(ql_shape_elems(neg, 2), -1);
}

/* A group larger than a row: one scale per row, the row's absmax / 127. */
static void test_huge_group(void **state)
{
	(void)state;
	float x[64];
	for (int i = 0; i < 64; i++)
		x[i] = (float)(i % 8) - 3.0f + (float)(i / 8);
	int64_t shape[2] = {8, 8};
	ql_scheme s;
	ql_scheme_init(&s);
	s.gran = QL_GRAN_GROUP;
	s.group = QL_MAX_GROUP;
	ql_qresult r;
	ql_error err;
	assert_int_equal(ql_quantize(x, shape, 2, &s, NULL, &r, &err), 0);
	assert_int_equal(r.nscales, 8);
	assert_int_equal(ql_qresult_check(&r, &err), 0);
	for (int row = 0; row < 8; row++) {
		float amax = fmaxf(fabsf(-3.0f + (float)row), fabsf(4.0f + (float)row));
		assert_float_equal(r.scales[row], amax / 127.0f, 1e-7);
	}
	ql_qresult_free(&r);
	/* beyond the limit, and the old overflow: refused with the limit named */
	s.group = INT64_MAX;
	assert_int_equal(ql_scheme_validate(&s, shape, 2, &err), -1);
	assert_non_null(strstr(err.msg, "1099511627776"));
	s.group = 0;
	assert_int_equal(ql_scheme_validate(&s, NULL, 0, &err), -1);
}

static void test_result_check(void **state)
{
	(void)state;
	ql_error err;
	float scale = 0.5f;
	ql_qresult r;
	memset(&r, 0, sizeof r);
	r.nelem = 0; /* empty: fine, by design */
	assert_int_equal(ql_qresult_check(&r, &err), 0);
	r.nelem = 64; /* elements and no scale: the old "scale (none)" */
	r.data_min = INFINITY;
	r.data_max = -INFINITY;
	assert_int_equal(ql_qresult_check(&r, &err), -1);
	r.nscales = 1;
	r.scales = &scale;
	assert_int_equal(ql_qresult_check(&r, &err), -1); /* range [inf, -inf] */
	r.data_min = -1.0f;
	r.data_max = 2.0f;
	assert_int_equal(ql_qresult_check(&r, &err), 0);
	scale = -0.35f; /* Q4_0: d = max / -8 can be negative */
	assert_int_equal(ql_qresult_check(&r, &err), 0);
	scale = NAN;
	assert_int_equal(ql_qresult_check(&r, &err), -1);
	scale = -INFINITY;
	assert_int_equal(ql_qresult_check(&r, &err), -1);
	/* an fp16 d that overflowed on huge values is the input's doing: said
	 * so, not called an internal error; the same for a dmin (q4_k) and for
	 * a result whose dequantized values are not finite (NaN metrics) */
	assert_null(strstr(err.msg, "internal"));
	assert_non_null(strstr(err.msg, "too large"));
	scale = 0.5f;
	float dmin = INFINITY;
	r.mins = &dmin;
	assert_int_equal(ql_qresult_check(&r, &err), -1);
	assert_non_null(strstr(err.msg, "too large"));
	dmin = 0.25f;
	assert_int_equal(ql_qresult_check(&r, &err), 0);
	r.metrics.mse = NAN;
	assert_int_equal(ql_qresult_check(&r, &err), -1);
	assert_non_null(strstr(err.msg, "not finite"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_arith),
		cmocka_unit_test(test_shape_elems),
		cmocka_unit_test(test_huge_group),
		cmocka_unit_test(test_result_check),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
