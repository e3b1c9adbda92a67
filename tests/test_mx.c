/* test_mx.c — OCP MX saturation at the edge of the element grid (mx.h).
 *
 * MXINT8's elements are k / 64 with k in [-127, 127] (the OCP spec: the
 * code -128 is not used). A block whose absmax is a NEGATIVE 1.999·2^k has
 * shared exponent k, and x / 2^k = -1.999 is -127.936 / 64: rounding alone
 * would give -128. It must saturate to -127, in the fast kernel, in the
 * reference one and through ql_quantize, and the count of saturated values
 * must say so.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "qlens/quant.h"

static void check_block(float lead, int want_code)
{
	float x[QL_MX_BLOCK];
	for (int j = 0; j < QL_MX_BLOCK; j++)
		x[j] = lead * (float)(j % 5) / 8.0f; /* smaller, both signs through lead */
	x[0] = lead;
	x[7] = -lead / 3.0f;
	uint8_t fast[QL_MX_BLOCK], ref[QL_MX_BLOCK], e_fast, e_ref;
	int64_t sf = ql_mx_quantize(QL_Q_MXINT8, x, QL_MX_BLOCK, fast, &e_fast);
	int64_t sr = ql_mx_quantize_ref(QL_Q_MXINT8, x, QL_MX_BLOCK, ref, &e_ref);
	assert_int_equal(e_fast, e_ref);
	assert_memory_equal(fast, ref, sizeof fast);
	assert_int_equal(sf, sr);
	assert_int_equal(sf, 1); /* the lead, and only it */
	assert_int_equal((int8_t)fast[0], want_code);
	for (int j = 0; j < QL_MX_BLOCK; j++)
		assert_true((int8_t)fast[j] >= -127 && (int8_t)fast[j] <= 127);
	/* the scale is 2^k: floor(log2 |lead|) */
	assert_true(ql_e8m0_to_f32(e_fast) == ldexpf(1.0f, ilogbf(lead)));

	/* through ql_quantize: codes, raw block bytes, clipped count */
	int64_t shape[1] = {QL_MX_BLOCK};
	ql_scheme s;
	ql_scheme_init(&s);
	s.dtype = QL_Q_MXINT8;
	ql_qresult r;
	ql_error err;
	ql_qopts o = {.dequant = true, .threads = 1};
	assert_int_equal(ql_quantize(x, shape, 1, &s, &o, &r, &err), 0);
	assert_int_equal((int8_t)r.codes[0], want_code);
	assert_int_equal((int8_t)r.blocks[1], want_code);
	assert_int_equal(r.metrics.clipped, 1);
	assert_true(r.dequant[0] == (float)want_code / 64.0f * r.scales[0]);
	for (int64_t i = 0; i < r.nelem; i++)
		assert_true((int8_t)r.codes[i] >= r.qmin);
	assert_int_equal(r.qmin, -127);
	ql_qresult_free(&r);
}

static void test_mxint8_never_minus_128(void **state)
{
	(void)state;
	const int ks[] = {-120, -10, -1, 0, 1, 7, 100};
	for (size_t i = 0; i < sizeof ks / sizeof ks[0]; i++) {
		float lead = ldexpf(1.999f, ks[i]);
		check_block(-lead, -127);
		check_block(lead, 127);
	}
	/* the largest float below 2·2^k too */
	check_block(-nextafterf(2.0f, 0.0f), -127);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mxint8_never_minus_128),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
