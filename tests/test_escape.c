/* test_escape.c — the one escaping rule (src/core/escape.c): every string
 * from a file or a user reaches the terminal or a JSON string through it.
 *
 * Terminal mode is checked against expected text written out by hand from
 * the rule in qlens/escape.h; JSON mode against an independent parser
 * (jansson, strict RFC 8259): every escaped string must parse, and a valid
 * UTF-8 string must read back unchanged. Also: cutting short never splits
 * an escape or a character, and escaping twice changes nothing.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qlens/error.h"
#include "qlens/escape.h"

static void term_is(const char *in, const char *want)
{
	char buf[512];
	size_t n = ql_escape(buf, sizeof buf, in, QL_ESC_TERM);
	assert_string_equal(buf, want);
	assert_int_equal(n, strlen(want));
	/* the same through the stream form */
	char *mem = NULL;
	size_t memlen = 0;
	FILE *f = open_memstream(&mem, &memlen);
	assert_non_null(f);
	ql_escape_fputs(f, in, QL_ESC_TERM);
	fclose(f);
	assert_string_equal(mem, want);
	free(mem);
	/* idempotent: messages are escaped where made and where printed */
	char again[512];
	ql_escape(again, sizeof again, buf, QL_ESC_TERM);
	assert_string_equal(again, buf);
}

static void test_term(void **state)
{
	(void)state;
	term_is("", "");
	term_is("layers.0.weight", "layers.0.weight");
	term_is("a\nb", "a\\nb");
	term_is("tab\there\r", "tab\\there\\r");
	term_is("\x1b[31mred\x1b[0m", "\\x1B[31mred\\x1B[0m");           /* CSI */
	term_is("\x1b]0;PWNED\x07", "\\x1B]0;PWNED\\x07");               /* OSC + BEL */
	term_is("del\x7f", "del\\x7F");
	term_is("caf\xc3\xa9 \xe2\x86\x92 \xf0\x9f\x98\x80", "caf\xc3\xa9 \xe2\x86\x92 \xf0\x9f\x98\x80");
	term_is("c1\xc2\x9b" "2J", "c1\\u{009B}2J");                      /* C1 CSI */
	term_is("bidi\xe2\x80\xae" "cba", "bidi\\u{202E}cba");            /* RIGHT-TO-LEFT OVERRIDE */
	term_is("ls\xe2\x80\xa8" "x", "ls\\u{2028}x");
	term_is("bad\xff\xfe", "bad\\xFF\\xFE");                          /* invalid bytes */
	term_is("over\xc0\xaf", "over\\xC0\\xAF");                        /* overlong '/' */
	term_is("sur\xed\xa0\x80", "sur\\xED\\xA0\\x80");                 /* a surrogate */
	term_is("cut\xe2\x82", "cut\\xE2\\x82");                          /* truncated sequence */
	term_is("big\xf4\x90\x80\x80", "big\\xF4\\x90\\x80\\x80");        /* > U+10FFFF */
	term_is("back\\slash", "back\\slash");                           /* left alone */
}

/* The JSON form parses with jansson and, for valid UTF-8, reads back the
 * same string. */
static void json_round_trip(const char *in, bool valid_utf8)
{
	char esc[1024], doc[1100];
	size_t n = ql_escape(esc, sizeof esc, in, QL_ESC_JSON);
	assert_true(n < sizeof esc);
	snprintf(doc, sizeof doc, "[\"%s\"]", esc);
	json_error_t je;
	json_t *v = json_loads(doc, 0, &je);
	if (!v)
		fail_msg("jansson rejects %s: %s", doc, je.text);
	const char *back = json_string_value(json_array_get(v, 0));
	assert_non_null(back);
	if (valid_utf8)
		assert_string_equal(back, in);
	/* nothing in the output is a raw control byte or invalid UTF-8 */
	for (const unsigned char *p = (const unsigned char *)esc; *p; p++)
		assert_true(*p >= 0x20 && *p != 0x7F);
	json_decref(v);
}

static void test_json(void **state)
{
	(void)state;
	json_round_trip("plain", true);
	json_round_trip("quote\"back\\slash", true);
	json_round_trip("nl\ncr\rtab\tbs\bff\f", true);
	json_round_trip("\x01\x1b]0;x\x07\x7f", true);
	json_round_trip("caf\xc3\xa9 \xf0\x9f\x98\x80", true);
	json_round_trip("c1\xc2\x85 bidi\xe2\x80\xae", true);
	json_round_trip("bad\xff tail\xe2\x82", false);
	char esc[64];
	ql_escape(esc, sizeof esc, "a\x01\xff\xc2\x9b\"", QL_ESC_JSON);
	assert_string_equal(esc, "a\\u0001\\ufffd\\u009b\\\"");
}

/* Cut short: the result is a prefix of whole escapes, and the return value
 * is the full length. */
static void test_cut(void **state)
{
	(void)state;
	const char *in = "ab\ncd\xc3\xa9\x1b";
	char full[64];
	size_t need = ql_escape(full, sizeof full, in, QL_ESC_TERM);
	assert_string_equal(full, "ab\\ncd\xc3\xa9\\x1B");
	for (size_t cap = 1; cap <= need + 1; cap++) {
		char buf[64];
		memset(buf, '#', sizeof buf);
		assert_int_equal(ql_escape(buf, cap, in, QL_ESC_TERM), need);
		size_t got = strlen(buf);
		assert_true(got < cap);
		assert_memory_equal(buf, full, got);
		/* never in the middle of "\n", "é" or "\x1B" */
		static const size_t cuts[] = {0, 1, 2, 4, 5, 6, 8, 12};
		bool whole = false;
		for (size_t k = 0; k < sizeof cuts / sizeof cuts[0]; k++)
			whole |= got == cuts[k];
		assert_true(whole);
	}
	char s[12];
	ql_escape_short("0123456789abcdef", s, sizeof s);
	assert_string_equal(s, "01234567...");
	ql_escape_short("short", s, sizeof s);
	assert_string_equal(s, "short");
	ql_escape_short("\x1b\x1b\x1b", s, sizeof s);
	assert_string_equal(s, "\\x1B\\x1B...");
}

/* Error messages are made one line by the same rule. */
static void test_error_messages(void **state)
{
	(void)state;
	ql_error err;
	ql_error_set(&err, "no tensor '%s'", "x\n\x1b[2Jy\xff");
	assert_string_equal(err.msg, "no tensor 'x\\n\\x1B[2Jy\\xFF'");
	ql_error_prefix(&err, "%s", "f\x07.npy");
	assert_string_equal(err.msg, "f\\x07.npy: no tensor 'x\\n\\x1B[2Jy\\xFF'");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_term),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_cut),
		cmocka_unit_test(test_error_messages),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
