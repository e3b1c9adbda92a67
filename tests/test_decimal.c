/* test_decimal.c — exact decimal text and value parsing (decimal.h) against
 * independent references.
 *
 *   - Python's decimal.Decimal(x), format(x, '.Nf'), repr(x) and float()
 *     (tests/golden/decimal.txt, made by tests/golden/gen_format.py);
 *   - glibc's printf("%.*f"), which prints the exact binary value rounded
 *     half to even, for many random doubles of every magnitude;
 *   - strtod, for round trips;
 *   - the notes' 1/3 example, as printed in the issue.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qlens/decimal.h"

#include "half_ref.h"
#include "testutil.h"

#define LINE_MAX_LEN 4096

static uint64_t bits_f64(double d)
{
	uint64_t u;
	memcpy(&u, &d, sizeof u);
	return u;
}

static double f64_of(uint64_t u)
{
	double d;
	memcpy(&d, &u, sizeof d);
	return d;
}

static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* A random finite double: any bit pattern (every exponent equally likely),
 * NaN and inf skipped. */
static double random_double(uint64_t *s)
{
	for (;;) {
		double d = f64_of(rng_next(s));
		if (isfinite(d))
			return d;
	}
}


/* Significant digits of a decimal text ("1e+16" -> 1, "100.0" -> 1,
 * "0.000123" -> 3, "1.25e-07" -> 3). */
static int sig_digits(const char *s)
{
	char d[64];
	int n = 0;
	for (; *s && *s != 'e' && *s != 'E'; s++)
		if (*s >= '0' && *s <= '9' && n < 63)
			d[n++] = *s;
	int a = 0;
	while (a < n && d[a] == '0')
		a++;
	while (n > a && d[n - 1] == '0')
		n--;
	return n - a;
}

/* --- against Python ------------------------------------------------------------ */

static void test_golden(void **state)
{
	FILE *f = tu_golden_open("decimal.txt");
	static char line[LINE_MAX_LEN], got[LINE_MAX_LEN];
	int counts[4] = {0};
	while (tu_golden_line(f, line, sizeof line)) {
		char kind[8];
		unsigned long long u;
		int digits, off = 0;
		if (sscanf(line, "exact %llx %n", &u, &off) == 1 && off) {
			double x = f64_of(u);
			size_t n = ql_decimal_exact(x, got, sizeof got);
			if (strcmp(got, line + off) != 0)
				fail_msg("exact(%a):\n  got  %s\n  want %s", x, got, line + off);
			assert_int_equal(n, strlen(line + off));
			counts[0]++;
		} else if (sscanf(line, "fixed %llx %d %n", &u, &digits, &off) == 2 && off) {
			double x = f64_of(u);
			size_t n = ql_decimal_fixed(x, digits, got, sizeof got);
			if (strcmp(got, line + off) != 0)
				fail_msg("fixed(%a, %d):\n  got  %s\n  want %s", x, digits, got, line + off);
			assert_int_equal(n, strlen(line + off));
			counts[1]++;
		} else if (sscanf(line, "short %llx %n", &u, &off) == 1 && off) {
			/* the shortest text: reads back as x, with as many
			 * significant digits as Python's repr (not necessarily
			 * the same spelling: "100" vs "100.0") */
			double x = f64_of(u);
			ql_decimal_short(x, got, sizeof got);
			char *end;
			double back = strtod(got, &end);
			assert_int_equal(*end, '\0');
			if (bits_f64(back) != u)
				fail_msg("short(%a) = %s reads back as %a", x, got, back);
			if (x != 0 && sig_digits(got) != sig_digits(line + off))
				fail_msg("short(%a) = %s, Python's repr %s", x, got, line + off);
			counts[2]++;
		} else if (sscanf(line, "parse %7s", kind) == 1) {
			/* "parse TEXT BITS": TEXT has no spaces */
			char text[256];
			assert_int_equal(sscanf(line, "parse %255s %llx", text, &u), 2);
			double v = -1;
			ql_error err = {{0}};
			if (ql_parse_value(text, &v, &err) != 0)
				fail_msg("parse(%s) failed: %s", text, err.msg);
			if (bits_f64(v) != u)
				fail_msg("parse(%s) = %a, Python %a", text, v, f64_of(u));
			counts[3]++;
		} else {
			fail_msg("bad golden line: %.80s", line);
		}
	}
	fclose(f);
	assert_true(counts[0] > 150 && counts[1] > 1500 && counts[2] > 150 && counts[3] > 20);
}

/* --- against glibc's printf ---------------------------------------------------- */

/* printf's exact digits, trailing zeros of the fraction and a bare point
 * removed: the same text ql_decimal_exact promises. */
static void printf_exact(double x, char *buf, size_t n)
{
	snprintf(buf, n, "%.1100f", x);
	char *p = strchr(buf, '.');
	if (p) {
		char *e = buf + strlen(buf);
		while (e > p + 1 && e[-1] == '0')
			*--e = '\0';
		if (e == p + 1)
			*p = '\0';
	}
}

static void test_printf_exact(void **state)
{
	static char want[2048], got[2048];
	uint64_t s = 0x853C49E6748FEA9Bu;
	for (int i = 0; i < 4000; i++) {
		double x = random_double(&s);
		if (i % 4 == 1) /* a subnormal */
			x = f64_of(rng_next(&s) & 0x800FFFFFFFFFFFFFu);
		if (i % 4 == 2) /* near 1 */
			x = ldexp(1.0 + (double)(rng_next(&s) >> 11) / 9007199254740992.0,
				  (int)(rng_next(&s) % 80) - 40);
		if (x == 0)
			continue;
		printf_exact(x, want, sizeof want);
		size_t n = ql_decimal_exact(x, got, sizeof got);
		if (strcmp(got, want) != 0)
			fail_msg("exact(%a):\n  got  %s\n  want %s", x, got, want);
		assert_int_equal(n, strlen(want));
		assert_true(n < QL_DECIMAL_MAX);
		/* the exact text reads back as x */
		ql_error err;
		double back;
		assert_int_equal(ql_parse_value(got, &back, &err), 0);
		assert_true(bits_f64(back) == bits_f64(x));
	}
}

static void test_printf_fixed(void **state)
{
	static char want[2048], got[2048];
	uint64_t s = 0xDA942042E4DD58B5u;
	for (int i = 0; i < 30000; i++) {
		double x = random_double(&s);
		int digits;
		switch (i % 5) {
		case 0: digits = (int)(rng_next(&s) % 21); break;
		case 1: digits = 60; break;
		case 2: digits = (int)(rng_next(&s) % 1101); break;
		case 3: /* values with few digits: many exact ties */
			x = ldexp((double)(int64_t)(rng_next(&s) % 2001) - 1000, -(int)(rng_next(&s) % 12));
			digits = (int)(rng_next(&s) % 12);
			break;
		default: /* moderate magnitudes */
			x = ldexp(1.0 + (double)(rng_next(&s) >> 11) / 9007199254740992.0,
				  (int)(rng_next(&s) % 120) - 60);
			if (rng_next(&s) & 1)
				x = -x;
			digits = (int)(rng_next(&s) % 70);
			break;
		}
		snprintf(want, sizeof want, "%.*f", digits, x);
		size_t n = ql_decimal_fixed(x, digits, got, sizeof got);
		if (strcmp(got, want) != 0)
			fail_msg("fixed(%a, %d):\n  got  %s\n  want %s", x, digits, got, want);
		assert_int_equal(n, strlen(want));
	}
	/* the longest text there is: -max with 1100 digits */
	double x = -1.7976931348623157e308;
	snprintf(want, sizeof want, "%.1100f", x);
	assert_int_equal(ql_decimal_fixed(x, 1100, got, sizeof got), strlen(want));
	assert_string_equal(got, want);
}

/* --- fixed cases ---------------------------------------------------------------- */

static void test_known(void **state)
{
	char buf[QL_DECIMAL_MAX];
	ql_decimal_exact(1.0 / 3, buf, sizeof buf);
	assert_string_equal(buf, "0.333333333333333314829616256247390992939472198486328125");
	ql_decimal_exact((double)(1.0f / 3), buf, sizeof buf);
	assert_string_equal(buf, "0.3333333432674407958984375");
	ql_decimal_exact(0.1, buf, sizeof buf);
	assert_string_equal(buf, "0.1000000000000000055511151231257827021181583404541015625");
	ql_decimal_exact(1e23, buf, sizeof buf);
	assert_string_equal(buf, "99999999999999991611392");
	ql_decimal_exact(0.0, buf, sizeof buf);
	assert_string_equal(buf, "0");
	ql_decimal_exact(-0.0, buf, sizeof buf);
	assert_string_equal(buf, "-0");
	ql_decimal_exact(1.0, buf, sizeof buf);
	assert_string_equal(buf, "1");
	ql_decimal_exact(-2.5, buf, sizeof buf);
	assert_string_equal(buf, "-2.5");
	ql_decimal_exact(INFINITY, buf, sizeof buf);
	assert_string_equal(buf, "inf");
	ql_decimal_exact(-INFINITY, buf, sizeof buf);
	assert_string_equal(buf, "-inf");
	ql_decimal_exact(NAN, buf, sizeof buf);
	assert_string_equal(buf, "nan");
	/* the smallest subnormal: 1074 digits after the point, 751 significant */
	size_t n = ql_decimal_exact(5e-324, buf, sizeof buf);
	assert_int_equal(n, 2 + 1074);
	assert_true(strncmp(buf, "0.000", 5) == 0);
	assert_string_equal(buf + n - 4, "5625"); /* 5^1074 ends in 5625 */

	/* the notes' 1/3 in fp64, fp32, fp16, bf16 and int8, 60 digits each */
	static const struct {
		double v;
		const char *text;
	} notes[] = {
		{1.0 / 3, "0.333333333333333314829616256247390992939472198486328125000000"},
		{(double)(1.0f / 3), "0.333333343267440795898437500000000000000000000000000000000000"},
		{0.333251953125, "0.333251953125000000000000000000000000000000000000000000000000"},
		{0.333984375, "0.333984375000000000000000000000000000000000000000000000000000"},
		{0.0, "0.000000000000000000000000000000000000000000000000000000000000"},
	};
	for (size_t i = 0; i < sizeof notes / sizeof notes[0]; i++) {
		ql_decimal_fixed(notes[i].v, 60, buf, sizeof buf);
		assert_string_equal(buf, notes[i].text);
	}
	/* fp16's 1/3, through the compiler, is the notes' value */
	assert_true((double)half_ref_to_f32(half_ref_from_f32(1.0f / 3)) == 0.333251953125);

	/* rounding: half to even on the exact value */
	static const struct {
		double x;
		int digits;
		const char *text;
	} fixed[] = {
		{0.5, 0, "0"},     {1.5, 0, "2"},      {2.5, 0, "2"},      {-0.5, 0, "-0"},
		{-2.5, 0, "-2"},   {0.125, 2, "0.12"}, {0.375, 2, "0.38"}, {2.675, 2, "2.67"},
		{1.005, 2, "1.00"}, {9.5, 0, "10"},    {999.5, 0, "1000"}, {0.95, 1, "0.9"},
		{-0.0, 3, "-0.000"}, {0.0, 0, "0"},    {1e-5, 3, "0.000"}, {-1e-5, 3, "-0.000"},
		{0.0005, 3, "0.001"}, /* 0.0005 is a little above 5e-4 */
		{0x1.0624dd2f1a9fbp-11, 3, "0.000"}, /* the double below it */
		{123.456, 1, "123.5"}, {1e22, 0, "10000000000000000000000"},
		{INFINITY, 3, "inf"}, {-INFINITY, 0, "-inf"}, {NAN, 5, "nan"},
	};
	for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
		ql_decimal_fixed(fixed[i].x, fixed[i].digits, buf, sizeof buf);
		if (strcmp(buf, fixed[i].text) != 0)
			fail_msg("fixed(%a, %d) = %s, want %s", fixed[i].x, fixed[i].digits, buf,
				 fixed[i].text);
	}

	ql_decimal_short(0.1, buf, sizeof buf);
	assert_string_equal(buf, "0.1");
	ql_decimal_short(1e-7, buf, sizeof buf);
	assert_string_equal(buf, "1e-07");
	ql_decimal_short(1.0 / 3, buf, sizeof buf);
	assert_string_equal(buf, "0.3333333333333333");
	ql_decimal_short(INFINITY, buf, sizeof buf);
	assert_string_equal(buf, "inf");
	ql_decimal_short(NAN, buf, sizeof buf);
	assert_string_equal(buf, "nan");
}

/* snprintf's convention: at most n bytes with the NUL, the full length back. */
static void test_buffers(void **state)
{
	const char *full = "0.333333333333333314829616256247390992939472198486328125";
	char buf[16];
	memset(buf, 'x', sizeof buf);
	assert_int_equal(ql_decimal_exact(1.0 / 3, buf, 8), strlen(full));
	assert_string_equal(buf, "0.33333");
	assert_int_equal(buf[8], 'x');
	assert_int_equal(ql_decimal_exact(1.0 / 3, NULL, 0), strlen(full));
	assert_int_equal(ql_decimal_fixed(1.0 / 3, 60, NULL, 0), 62);
	assert_int_equal(ql_decimal_fixed(-1.0 / 3, 60, buf, 1), 63);
	assert_string_equal(buf, "");
	assert_int_equal(ql_decimal_short(0.1, buf, 2), 3);
	assert_string_equal(buf, "0");
	assert_int_equal(ql_decimal_exact(-INFINITY, buf, 3), 4);
	assert_string_equal(buf, "-i");
}

/* --- parsing --------------------------------------------------------------------- */

static void test_parse(void **state)
{
	static const struct {
		const char *text;
		double v;
	} ok[] = {
		{"0.1", 0.1},        {"-2.5e-3", -2.5e-3},   {"1/3", 1.0 / 3},
		{"-22/7", -22.0 / 7}, {"0x1.8p-2", 0.375},   {" 1/3 ", 1.0 / 3},
		{"\t42\n", 42},      {"inf", INFINITY},      {"-inf", -INFINITY},
		{"+inf", INFINITY},  {"1e-320", 1e-320},     {"-0", -0.0},
		{"1/-3", -1.0 / 3},  {"0x1p-1074", 0x1p-1074}, {"3/4", 0.75},
		{"1e-7/3", 1e-7 / 3}, {"2.5/0.5", 5},
	};
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		double v = 12345;
		ql_error err = {{0}};
		if (ql_parse_value(ok[i].text, &v, &err) != 0)
			fail_msg("parse('%s') failed: %s", ok[i].text, err.msg);
		if (bits_f64(v) != bits_f64(ok[i].v))
			fail_msg("parse('%s') = %a, want %a", ok[i].text, v, ok[i].v);
	}
	double v;
	assert_int_equal(ql_parse_value("nan", &v, NULL), 0);
	assert_true(isnan(v));

	static const char *const bad[] = {
		"", "   ", "abc", "1/", "/3", "1//3", "1/0", "0x", "1e", "--1", "1.2.3", "1 2",
		"1/3/4", "one", "0.1x", "x0.1", ".", "+", "-", "1/ 3x", "nan(123)", "0b101",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ql_error err = {{0}};
		v = 12345;
		if (ql_parse_value(bad[i], &v, &err) != -1)
			fail_msg("parse('%s') accepted it as %a", bad[i], v);
		assert_true(err.msg[0] != '\0');
		assert_null(strchr(err.msg, '\n'));
		char quoted[64];
		snprintf(quoted, sizeof quoted, "'%s'", bad[i]);
		if (!strstr(err.msg, quoted))
			fail_msg("parse('%s'): message '%s' does not quote the input", bad[i], err.msg);
		assert_int_equal(ql_parse_value(bad[i], &v, NULL), -1); /* NULL err is allowed */
	}
	/* a very long input is read whole, as Python's float() reads it (it was
	 * refused as "not a number" past 2799 characters) */
	static char longtext[5000];
	memset(longtext, '1', sizeof longtext - 1);
	ql_error err = {{0}};
	if (ql_parse_value(longtext, &v, &err) != 0)
		fail_msg("parse(5000 ones) failed: %s", err.msg);
	assert_true(isinf(v) && v > 0);
	static char third[6000]; /* "0.333...3": the double nearest 1/3 */
	memset(third, '3', sizeof third - 1);
	third[0] = '0', third[1] = '.';
	assert_int_equal(ql_parse_value(third, &v, NULL), 0);
	assert_true(bits_f64(v) == bits_f64(1.0 / 3));
	third[1] = '/'; /* "0/333...3" */
	assert_int_equal(ql_parse_value(third, &v, NULL), 0);
	assert_true(v == 0);
	third[1] = '.';
	third[3000] = 'x'; /* still not a number when long */
	assert_int_equal(ql_parse_value(third, &v, NULL), -1);
}

/* Round trips of random doubles: short and exact text and %a read back as
 * the same double. */
static void test_round_trips(void **state)
{
	uint64_t s = 0x1234567890ABCDEFu;
	char buf[QL_DECIMAL_MAX];
	for (int i = 0; i < 100000; i++) {
		double x = random_double(&s), back;
		ql_decimal_short(x, buf, sizeof buf);
		assert_int_equal(ql_parse_value(buf, &back, NULL), 0);
		if (bits_f64(back) != bits_f64(x))
			fail_msg("short(%a) = %s reads back as %a", x, buf, back);
		assert_true(sig_digits(buf) <= 17);
		/* not shorter possible: one digit fewer does not read back */
		int d = sig_digits(buf);
		if (d > 1) {
			char fewer[64];
			snprintf(fewer, sizeof fewer, "%.*e", d - 2, x);
			assert_true(strtod(fewer, NULL) != x);
		}
		snprintf(buf, sizeof buf, "%a", x);
		assert_int_equal(ql_parse_value(buf, &back, NULL), 0);
		assert_true(bits_f64(back) == bits_f64(x));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden),
		cmocka_unit_test(test_printf_exact),
		cmocka_unit_test(test_printf_fixed),
		cmocka_unit_test(test_known),
		cmocka_unit_test(test_buffers),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_round_trips),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
