/* test_cli_jsonw.c — the JSON writer's numbers (src/cli/jsonw.c): each is
 * the shortest %.*g, p = 1..17, that strtod reads back as the same double.
 * The writer finds its digits by exact integer arithmetic
 * (src/cli/shortest.c, ql_shortest_g); checked here against the
 * definition itself, snprintf and strtod for p = 1, 2, ... over random
 * doubles, float32 values (what most of qlens's numbers are), every power
 * of two and of ten and their neighbours (the interval below a power of
 * two is half as wide: p digits may read back where p + 1 do not),
 * subnormals (wide intervals: ties at the ends), short decimals, exact
 * halves (%.*g rounds them to even) and the extremes. Also -0 and the
 * non-finite.
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

/* What the writer prints when fill(writer, arg) writes a document: a
 * string to free. */
static char *document(void (*fill)(ql_jsonw *, const void *), const void *arg, size_t *lenp)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	ql_jsonw j;
	ql_jsonw_init(&j, f);
	fill(&j, arg);
	assert_int_equal(fclose(f), 0);
	*lenp = len;
	return buf;
}

static void one_number(ql_jsonw *j, const void *v)
{
	ql_json_number(j, *(const double *)v);
}

/* What the writer prints for v alone. */
static void written(double v, char *out, size_t n)
{
	size_t len;
	char *buf = document(one_number, &v, &len);
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
	for (int e = -323; e <= 308; e++) { /* powers of ten, both sides */
		char t[16];
		snprintf(t, sizeof t, "1e%d", e);
		double p = strtod(t, NULL);
		check(p);
		check(nextafter(p, 0));
		check(nextafter(p, INFINITY));
		check((double)(float)p);
	}
	for (int k = 1; k < 400; k += 2) /* exact halves at every digit count */
		for (int e = -20; e <= 60; e += 3)
			check(ldexp(k, e) * 5);
	for (int i = 0; i < 3000; i++) { /* subnormals: intervals of one 2^-1075 */
		uint64_t b = next() >> (12 + i % 52);
		double v;
		memcpy(&v, &b, sizeof v);
		check(v);
	}
	const double extremes[] = {DBL_MAX, -DBL_MAX, DBL_MIN, DBL_TRUE_MIN, 0x1.fffffffffffffp-1023,
				   FLT_MAX, FLT_MIN, 0x1p-149, 0.1, 1.0 / 3, 5e-324, 1e23, 9007199254740993.0};
	for (size_t i = 0; i < sizeof extremes / sizeof extremes[0]; i++)
		check(extremes[i]);
	assert_true(checked > 75000);
}

/* The layout: Python's json.dumps(doc, indent=2) byte for byte (the same
 * document), nesting, empty containers and the last newline included. */
static void layout_doc(ql_jsonw *j, const void *arg)
{
	(void)arg;
	ql_json_begin_object(j);
	ql_json_key(j, "a");
	ql_json_begin_array(j);
	ql_json_int(j, 1);
	ql_json_begin_array(j);
	ql_json_end_array(j);
	ql_json_begin_object(j);
	ql_json_end_object(j);
	ql_json_begin_object(j);
	ql_json_key(j, "b");
	ql_json_begin_array(j);
	ql_json_bool(j, true);
	ql_json_null(j);
	ql_json_string(j, "x\"y");
	ql_json_end_array(j);
	ql_json_end_object(j);
	ql_json_end_array(j);
	ql_json_key(j, "c");
	ql_json_begin_object(j);
	ql_json_key(j, "d");
	ql_json_number(j, -0.5);
	ql_json_end_object(j);
	ql_json_end_object(j);
	ql_jsonw_finish(j);
}

static void test_layout(void **state)
{
	(void)state;
	size_t len;
	char *buf = document(layout_doc, NULL, &len);
	assert_string_equal(buf, "{\n"
				 "  \"a\": [\n"
				 "    1,\n"
				 "    [],\n"
				 "    {},\n"
				 "    {\n"
				 "      \"b\": [\n"
				 "        true,\n"
				 "        null,\n"
				 "        \"x\\\"y\"\n"
				 "      ]\n"
				 "    }\n"
				 "  ],\n"
				 "  \"c\": {\n"
				 "    \"d\": -0.5\n"
				 "  }\n"
				 "}\n");
	free(buf);
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
	written(1e21, got, sizeof got); /* %g's switch to an exponent */
	assert_string_equal(got, "1e+21");
	written(123456.0, got, sizeof got);
	assert_string_equal(got, "123456");
	written(1e-5, got, sizeof got);
	assert_string_equal(got, "1e-05");
	written(0.0001, got, sizeof got);
	assert_string_equal(got, "0.0001");
	written(-5e-324, got, sizeof got);
	assert_string_equal(got, "-5e-324");
	written(DBL_MAX, got, sizeof got);
	assert_string_equal(got, "1.7976931348623157e+308");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_numbers_shortest),
		cmocka_unit_test(test_numbers_special),
		cmocka_unit_test(test_layout),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
