/* test_scheme_text.c — schemes as one word (scheme_text.h): parsing, the
 * canonical word, the round trip word -> scheme -> word over every valid
 * combination of dtype, symmetry, granularity, calibration, scale and zero
 * point, and the messages for bad words. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "qlens/scheme_text.h"

/* Two schemes that quantize the same way: what ql_quantize reads of them. */
static void assert_same(const ql_scheme *a, const ql_scheme *b, const char *what)
{
	if (a->dtype != b->dtype || ql_scheme_symmetry(a) != ql_scheme_symmetry(b) ||
	    a->gran != b->gran || (a->gran == QL_GRAN_CHANNEL && a->axis != b->axis) ||
	    (a->gran == QL_GRAN_GROUP && a->group != b->group) || a->calib != b->calib ||
	    (a->calib == QL_CALIB_PERCENTILE && a->percentile != b->percentile) ||
	    a->has_scale != b->has_scale || (a->has_scale && memcmp(&a->scale, &b->scale, 4)) ||
	    a->has_zero_point != b->has_zero_point ||
	    (a->has_zero_point && a->zero_point != b->zero_point))
		fail_msg("%s: the schemes differ", what);
	int32_t lo1, hi1, lo2, hi2;
	ql_scheme_qrange(a, &lo1, &hi1);
	ql_scheme_qrange(b, &lo2, &hi2);
	assert_int_equal(lo1, lo2);
	assert_int_equal(hi1, hi2);
}

static void parse_ok(const char *word, ql_scheme *s)
{
	ql_error err = { "" };
	if (ql_scheme_parse_word(word, s, &err))
		fail_msg("'%s': %s", word, err.msg);
}

/* Words as users write them, their fields, and the word printed back. */
static void test_words(void **state)
{
	(void)state;
	static const struct {
		const char *word, *canon;
		ql_qdtype dtype;
		ql_symmetry sym; /* resolved */
		ql_granularity gran;
		long long arg;   /* axis or group */
		ql_calib calib;
	} cases[] = {
		{ "int8", "int8", QL_Q_INT8, QL_SYM, QL_GRAN_TENSOR, 0, QL_CALIB_MINMAX },
		{ "int8/ch", "int8/ch0", QL_Q_INT8, QL_SYM, QL_GRAN_CHANNEL, 0, QL_CALIB_MINMAX },
		{ "int8/ch0", "int8/ch0", QL_Q_INT8, QL_SYM, QL_GRAN_CHANNEL, 0, QL_CALIB_MINMAX },
		{ "int8/ch-1", "int8/ch-1", QL_Q_INT8, QL_SYM, QL_GRAN_CHANNEL, -1, QL_CALIB_MINMAX },
		{ "int8/sym", "int8", QL_Q_INT8, QL_SYM, QL_GRAN_TENSOR, 0, QL_CALIB_MINMAX },
		{ "uint8", "uint8", QL_Q_UINT8, QL_ASYM, QL_GRAN_TENSOR, 0, QL_CALIB_MINMAX },
		{ "uint8/asym/ch", "uint8/ch0", QL_Q_UINT8, QL_ASYM, QL_GRAN_CHANNEL, 0, QL_CALIB_MINMAX },
		{ "uint8/sym", "uint8/sym", QL_Q_UINT8, QL_SYM, QL_GRAN_TENSOR, 0, QL_CALIB_MINMAX },
		{ "int4/g32", "int4/g32", QL_Q_INT4, QL_SYM, QL_GRAN_GROUP, 32, QL_CALIB_MINMAX },
		{ "int4/g32/asym/mse", "int4/asym/g32/mse", QL_Q_INT4, QL_ASYM, QL_GRAN_GROUP, 32, QL_CALIB_MSE },
		{ "INT4/MSE/G128", "int4/g128/mse", QL_Q_INT4, QL_SYM, QL_GRAN_GROUP, 128, QL_CALIB_MSE },
		{ "int2/entropy", "int2/entropy", QL_Q_INT2, QL_SYM, QL_GRAN_TENSOR, 0, QL_CALIB_ENTROPY },
		{ "int8/kl", "int8/entropy", QL_Q_INT8, QL_SYM, QL_GRAN_TENSOR, 0, QL_CALIB_ENTROPY },
		{ "int8/minmax", "int8", QL_Q_INT8, QL_SYM, QL_GRAN_TENSOR, 0, QL_CALIB_MINMAX },
		{ "int8/percentile", "int8/percentile:99.9", QL_Q_INT8, QL_SYM, QL_GRAN_TENSOR, 0, QL_CALIB_PERCENTILE },
		{ "fp8_e4m3/percentile:99.99", "fp8_e4m3/percentile:99.99", QL_Q_FP8_E4M3, QL_SYM, QL_GRAN_TENSOR, 0, QL_CALIB_PERCENTILE },
		{ "e5m2/ch1", "fp8_e5m2/ch1", QL_Q_FP8_E5M2, QL_SYM, QL_GRAN_CHANNEL, 1, QL_CALIB_MINMAX },
		{ "nf4", "nf4", QL_Q_NF4, QL_SYM, QL_GRAN_TENSOR, 0, QL_CALIB_MINMAX },
		{ "q4_0", "q4_0", QL_Q_Q4_0, QL_SYM, QL_GRAN_TENSOR, 0, QL_CALIB_MINMAX },
		{ "q8_0", "q8_0", QL_Q_Q8_0, QL_SYM, QL_GRAN_TENSOR, 0, QL_CALIB_MINMAX },
		{ "mxfp4", "mxfp4", QL_Q_MXFP4, QL_SYM, QL_GRAN_TENSOR, 0, QL_CALIB_MINMAX },
		{ "mxint8", "mxint8", QL_Q_MXINT8, QL_SYM, QL_GRAN_TENSOR, 0, QL_CALIB_MINMAX },
		{ "int8/scale:0.1", "int8/scale:0.1", QL_Q_INT8, QL_SYM, QL_GRAN_TENSOR, 0, QL_CALIB_MINMAX },
		{ "uint8/scale:0.333333343/zp:128", "uint8/scale:0.33333334/zp:128", QL_Q_UINT8, QL_ASYM, QL_GRAN_TENSOR, 0, QL_CALIB_MINMAX },
		{ "int8/scale:0x1p-7/zp:-3", "int8/asym/scale:0.0078125/zp:-3", QL_Q_INT8, QL_ASYM, QL_GRAN_TENSOR, 0, QL_CALIB_MINMAX },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		ql_scheme s;
		parse_ok(cases[i].word, &s);
		assert_int_equal(s.dtype, cases[i].dtype);
		assert_int_equal(ql_scheme_symmetry(&s), cases[i].sym);
		assert_int_equal(s.gran, cases[i].gran);
		if (s.gran == QL_GRAN_CHANNEL)
			assert_int_equal(s.axis, cases[i].arg);
		if (s.gran == QL_GRAN_GROUP)
			assert_int_equal(s.group, cases[i].arg);
		assert_int_equal(s.calib, cases[i].calib);
		char w[QL_SCHEME_WORD_MAX];
		assert_int_equal(ql_scheme_word(&s, w, sizeof w), (int)strlen(cases[i].canon));
		if (strcmp(w, cases[i].canon))
			fail_msg("'%s' printed as '%s', want '%s'", cases[i].word, w, cases[i].canon);
	}
	ql_scheme s;
	parse_ok("uint8/scale:0.33333334/zp:128", &s);
	assert_true(s.scale == (float)(1.0 / 3.0));
	parse_ok("int8/percentile:99.9", &s);
	assert_true(s.percentile == 99.9);
}

/* Every combination the options can make: if it is valid, its word parses
 * back to a scheme that quantizes the same way, and prints the same word. */
static void test_round_trip(void **state)
{
	(void)state;
	static const ql_symmetry syms[] = { QL_SYM_DEFAULT, QL_SYM, QL_ASYM };
	static const float scales[] = { 0.1f, 1.0f / 3.0f, 0x1p-23f, 3.4e38f, 1e-30f };
	static const double pcts[] = { 99.9, 50, 100, 99.99999, 97.123456789012345 };
	int valid = 0;
	for (int d = 0; d < QL_Q_COUNT; d++)
	for (int y = 0; y < 3; y++)
	for (int g = 0; g < 5; g++)
	for (int c = 0; c < QL_CALIB_COUNT + 4; c++)
	for (int sc = 0; sc < 3; sc++) {
		ql_scheme s;
		ql_scheme_init(&s);
		s.dtype = (ql_qdtype)d;
		s.sym = syms[y];
		if (g == 1) { s.gran = QL_GRAN_CHANNEL; s.axis = 0; }
		if (g == 2) { s.gran = QL_GRAN_CHANNEL; s.axis = -2; }
		if (g == 3) { s.gran = QL_GRAN_GROUP; s.group = 1; }
		if (g == 4) { s.gran = QL_GRAN_GROUP; s.group = 1LL << 40; }
		if (c < QL_CALIB_COUNT) {
			s.calib = (ql_calib)c;
		} else {
			s.calib = QL_CALIB_PERCENTILE;
			s.percentile = pcts[c - QL_CALIB_COUNT];
		}
		if (sc >= 1) { s.has_scale = true; s.scale = scales[(d + c) % 5]; }
		if (sc == 2) {
			int32_t lo, hi;
			s.has_zero_point = true;
			ql_scheme_qrange(&s, &lo, &hi);
			s.zero_point = hi; /* an edge of the code range */
		}
		if (ql_scheme_validate(&s, NULL, 0, NULL))
			continue;
		valid++;
		char w[QL_SCHEME_WORD_MAX], w2[QL_SCHEME_WORD_MAX];
		ql_scheme_word(&s, w, sizeof w);
		ql_scheme back;
		parse_ok(w, &back);
		assert_same(&s, &back, w);
		ql_scheme_word(&back, w2, sizeof w2);
		assert_string_equal(w, w2);
	}
	assert_true(valid > 200);
}

static void expect_bad(const char *word, const char *part)
{
	ql_scheme s;
	ql_error err = { "" };
	assert_int_equal(ql_scheme_parse_word(word, &s, &err), -1);
	if (!strstr(err.msg, part))
		fail_msg("'%s': message \"%s\" lacks \"%s\"", word ? word : "(null)", err.msg, part);
}

static void test_bad_words(void **state)
{
	(void)state;
	expect_bad("", "empty scheme");
	expect_bad(NULL, "empty scheme");
	expect_bad("/", "no dtype");
	expect_bad("int9", "unknown quantization dtype 'int9'");
	expect_bad("int8/g0", "needs a group size of at least 1");
	expect_bad("int8/g-4", "needs a group size");
	expect_bad("int8/gx", "needs a group size");
	expect_bad("int8/chx", "needs an axis");
	expect_bad("int8/ch99", "needs an axis");
	expect_bad("int8/ch0/g32", "one of /chN or /gN");
	expect_bad("int8/g32/ch", "one of /chN or /gN");
	expect_bad("int8/fast", "'fast' is not a modifier");
	/* a kind said twice: the last used to win unseen (the options refuse
	 * --sym --asym; the word now does too) */
	expect_bad("int4/sym/asym", "'sym' and 'asym' both set the symmetry");
	expect_bad("int4/percentile:99/mse", "'percentile:99' and 'mse' both set the calibration");
	expect_bad("int8/scale:fp16/scale:bf16", "both set the scales' type");
	expect_bad("int8/scale:0.5/scale:0.25", "both set the scale (scale:S)");
	expect_bad("uint8/zp:3/zp:4", "both set the zero point");
	expect_bad("int8/sym/SYM", "'SYM' is given twice");
	expect_bad("int8/percentile:40", "between 50 and 100");
	expect_bad("int8/percentile:x", "must be a number");
	/* a percentile out of range is a calibration with a bad P, not "not a
	 * modifier" (the line said both) */
	expect_bad("int8/percentile:0", "scheme 'int8/percentile:0': 'percentile:0': the "
		   "percentile must be between 50 and 100");
	expect_bad("q4_0/g32", "own blocks");
	expect_bad("nf4/asym", "symmetric only");
	expect_bad("fp8_e4m3/mse", "integer targets");
	expect_bad("int8/scale:0", "positive finite");
	expect_bad("int8/scale:-1", "positive finite");
	expect_bad("int8/scale:abc", "int8/scale:abc");
	expect_bad("int8/zp:3", "needs --scale");
	expect_bad("int8/scale:1/zp:1e3", "integer zero point");
	expect_bad("uint8/scale:1/zp:256", "outside the code range");
	expect_bad("int8/sym/scale:1/zp:0", "asymmetric");
	char longw[300];
	memset(longw, 'a', sizeof longw - 1);
	longw[sizeof longw - 1] = '\0';
	expect_bad(longw, "too long");
}

/* A small buffer gets a cut, terminated word and the full length back. */
static void test_short_buffer(void **state)
{
	(void)state;
	ql_scheme s;
	parse_ok("int4/g32/asym/mse", &s);
	char w[8];
	assert_int_equal(ql_scheme_word(&s, w, sizeof w), (int)strlen("int4/asym/g32/mse"));
	assert_string_equal(w, "int4/as");
}

/* compare's order, one rule for its table and the explorer's comparison */
static void test_rank(void **state)
{
	(void)state;
	assert_true(ql_scheme_rank(true, 4.5, 20, false, 0, 0) < 0);  /* ran first */
	assert_true(ql_scheme_rank(false, 0, 0, true, 8, 40) > 0);
	assert_true(ql_scheme_rank(false, 1, 2, false, 3, 4) == 0);   /* both failed: as listed */
	assert_true(ql_scheme_rank(true, 4.5, 10, true, 5.0, 30) < 0); /* fewer bits first */
	assert_true(ql_scheme_rank(true, 4.5, 20.6, true, 4.5, 21.2) > 0); /* then more dB */
	assert_true(ql_scheme_rank(true, 4.5, 21.2, true, 4.5, 21.2) == 0);
	assert_true(ql_scheme_rank(true, 4.5, NAN, true, 4.5, -5) > 0); /* NaN after numbers */
	assert_true(ql_scheme_rank(true, 4.5, 1, true, 4.5, NAN) < 0);
	assert_true(ql_scheme_rank(true, 4.5, NAN, true, 4.5, NAN) == 0);
	assert_true(ql_scheme_rank(true, 4.5, INFINITY, true, 4.5, 90) < 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_words),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_bad_words),
		cmocka_unit_test(test_rank),
		cmocka_unit_test(test_short_buffer),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
