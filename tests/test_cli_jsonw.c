/* test_cli_jsonw.c — the JSON writer's numbers (src/cli/jsonw.c): each is
 * the shortest %.*g, p = 1..17, that strtod reads back as the same double,
 * which the writer finds by trying 16 and 15 digits and then a binary
 * search (a digit count by digit count walk at powers of two). Checked
 * here against the walk itself over random doubles, float32 values (what
 * most of qlens's numbers are), every power of two and its neighbours,
 * short decimals, subnormals and the extremes. Also -0 and the non-finite.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qlens/jsonw.h"
#include "testutil.h"

/* What the writer prints for v alone. */
static void written(double v, char *out, size_t n)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	ql_jsonw j;
	ql_jsonw_init(&j, f);
	ql_json_number(&j, v);
	assert_int_equal(fclose(f), 0);
	assert_true(len < n);
	memcpy(out, buf, len + 1);
	free(buf);
}

/* The definition: the first p from 1 up that reads back. */
static void shortest(double v, char *out, size_t n)
{
	for (int p = 1; p <= 17; p++) {
		snprintf(out, n, "%.*g", p, v);
		if (strtod(out, NULL) == v)
			return;
	}
	assert_true(false); /* 17 digits always read back */
}

static int checked;

static void check(double v)
{
	if (!isfinite(v) || v == 0)
		return;
	char got[64], want[64];
	written(v, got, sizeof got);
	shortest(v, want, sizeof want);
	if (strcmp(got, want) != 0) {
		fprintf(stderr, "%a: wrote %s, shortest is %s\n", v, got, want);
		fail();
	}
	checked++;
}

static uint64_t rng = 0x2545f4914f6cdd1dull;

static uint64_t next(void)
{
	uint64_t hi = tu_next_u32(&rng);
	return hi << 32 | tu_next_u32(&rng);
}

static void test_numbers_shortest(void **state)
{
	(void)state;
	checked = 0;
	for (int i = 0; i < 30000; i++) { /* any bits */
		uint64_t b = next();
		double v;
		memcpy(&v, &b, sizeof v);
		check(v);
	}
	for (int i = 0; i < 30000; i++) { /* float32 values, the usual case */
		uint32_t b = (uint32_t)next();
		float f;
		memcpy(&f, &b, sizeof f);
		check((double)f);
	}
	for (int e = -1074; e <= 1023; e++) { /* powers of two, both sides */
		double p = ldexp(1.0, e);
		check(p);
		check(-p);
		check(nextafter(p, 0));
		check(nextafter(p, INFINITY));
		check((double)(float)p);
	}
	for (int k = 1; k <= 2000; k++) /* short decimals */
		for (int e = -8; e <= 8; e += 4)
			check(k * pow(10, e));
	const double extremes[] = {DBL_MAX, -DBL_MAX, DBL_MIN, DBL_TRUE_MIN, 0x1.fffffffffffffp-1023,
				   FLT_MAX, FLT_MIN, 0x1p-149, 0.1, 1.0 / 3, 5e-324, 1e23, 9007199254740993.0};
	for (size_t i = 0; i < sizeof extremes / sizeof extremes[0]; i++)
		check(extremes[i]);
	assert_true(checked > 70000);
}

static void test_numbers_special(void **state)
{
	(void)state;
	char got[64];
	written(-0.0, got, sizeof got);
	assert_string_equal(got, "-0.0");
	written(0.0, got, sizeof got);
	assert_string_equal(got, "0");
	written(NAN, got, sizeof got);
	assert_string_equal(got, "null");
	written(-INFINITY, got, sizeof got);
	assert_string_equal(got, "null");
	written(0.5, got, sizeof got);
	assert_string_equal(got, "0.5");
	written(0.1f, got, sizeof got);
	assert_string_equal(got, "0.10000000149011612");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_numbers_shortest),
		cmocka_unit_test(test_numbers_special),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
