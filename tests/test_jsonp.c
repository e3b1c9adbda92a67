/* test_jsonp.c — the JSON pull parser (src/io/jsonp.c) and the safetensors
 * header reader on it, against Python's json module.
 *
 * Golden files from tests/golden/jsonp/gen_jsonp.py:
 *   values.txt:  each JSON text, what Python makes of it (canonical form)
 *                or that qlens must refuse it; the parser's walk is printed
 *                in the same canonical form and compared.
 *   headers.txt: whole safetensors headers through ql_source_open: the
 *                tensor names in data order and the metadata, or a piece
 *                of the error message.
 * Plus: every prefix of a good header fails cleanly (never reads past the
 * text: ASan), and a generated header of 20,000 tensors reads back.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/io/jsonp.h"
#include "qlens/io.h"
#include "testutil.h"

#define LINE_MAX_LEN 60000

static size_t unhex(const char *h, uint8_t *out)
{
	size_t n = 0;
	if (strcmp(h, "-") == 0)
		return 0;
	for (; h[0] && h[1]; h += 2) {
		unsigned v;
		sscanf(h, "%2x", &v);
		out[n++] = (uint8_t)v;
	}
	return n;
}

static void put_hex(FILE *f, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%02x", (uint8_t)s[i]);
}

static int canon_string(ql_jp *j, FILE *f)
{
	ql_jp_str s;
	if (ql_jp_string(j, &s))
		return -1;
	char *buf = malloc(s.len + 1);
	assert_non_null(buf);
	ql_jp_decode(&s, buf);
	fputs("s:", f);
	put_hex(f, buf, s.len);
	free(buf);
	return 0;
}

/* The value at j in gen_jsonp.py's canonical form. */
static int canon(ql_jp *j, FILE *f)
{
	int c = ql_jp_peek(j);
	bool first = true;
	int r;
	ql_jp_str key;
	switch (c) {
	case '{':
		if (ql_jp_begin(j, '{'))
			return -1;
		fputc('{', f);
		while ((r = ql_jp_next_key(j, &first, &key)) == 1) {
			char *buf = malloc(key.len + 1);
			assert_non_null(buf);
			ql_jp_decode(&key, buf);
			fputs("s:", f);
			put_hex(f, buf, key.len);
			free(buf);
			fputc(':', f);
			if (canon(j, f))
				return -1;
			fputc(',', f);
		}
		if (r < 0)
			return -1;
		fputc('}', f);
		return 0;
	case '[':
		if (ql_jp_begin(j, '['))
			return -1;
		fputc('[', f);
		while ((r = ql_jp_next_item(j, &first)) == 1) {
			if (canon(j, f))
				return -1;
			fputc(',', f);
		}
		if (r < 0)
			return -1;
		fputc(']', f);
		return 0;
	case '"':
		return canon_string(j, f);
	case '-': case '0': case '1': case '2': case '3': case '4':
	case '5': case '6': case '7': case '8': case '9': {
		ql_jp_num kind;
		int64_t v = 0;
		const uint8_t *t;
		size_t n;
		if (ql_jp_number(j, &kind, &v, &t, &n))
			return -1;
		char num[512];
		snprintf(num, sizeof num, "%.*s", (int)(n < sizeof num ? n : sizeof num - 1), (const char *)t);
		if (kind == QL_JP_INT)
			fprintf(f, "i:%lld", (long long)v);
		else if (kind == QL_JP_BIGINT)
			fprintf(f, "b:%.*s", (int)n, (const char *)t);
		else
			fprintf(f, "r:%.17g", strtod(num, NULL));
		return 0;
	}
	default: {
		const uint8_t *t;
		size_t n;
		if (ql_jp_skip(j, &t, &n))
			return -1;
		fputc(t[0], f); /* t, f or n */
		return 0;
	}
	}
}

/* gen_jsonp.py joins items with ','; the walk above puts one after each:
 * drop every ',' before a closing bracket. */
static void tidy(char *s)
{
	char *o = s;
	for (char *p = s; *p; p++) {
		if (*p == ',' && (p[1] == ']' || p[1] == '}'))
			continue;
		*o++ = *p;
	}
	*o = '\0';
}

static void test_values(void **state)
{
	(void)state;
	FILE *g = tu_golden_open("jsonp/values.txt");
	char *line = malloc(LINE_MAX_LEN);
	uint8_t *text = malloc(LINE_MAX_LEN / 2);
	assert_non_null(line);
	assert_non_null(text);
	int cases = 0, ok = 0, rejected = 0;
	while (tu_golden_line(g, line, LINE_MAX_LEN)) {
		char *hex = strtok(line, "\t"), *py = strtok(NULL, "\t"), *want = strtok(NULL, "\t"),
		     *expect = strtok(NULL, "\t");
		assert_non_null(expect);
		size_t n = unhex(hex, text);
		/* the parser must work on exactly n bytes: copy them to a buffer
		 * of that size so ASan sees any read past the end */
		uint8_t *exact = malloc(n ? n : 1);
		assert_non_null(exact);
		memcpy(exact, text, n);
		ql_jp j;
		ql_jp_init(&j, exact, n);
		char *out = NULL;
		size_t outlen = 0;
		FILE *f = open_memstream(&out, &outlen);
		assert_non_null(f);
		int rc = canon(&j, f);
		if (rc == 0)
			rc = ql_jp_finish(&j);
		fclose(f);
		if (strcmp(want, "ok") == 0) {
			if (rc != 0)
				fail_msg("case %s (Python: %s): refused: %s at %zu", hex, py, j.msg, j.at);
			tidy(out);
			if (strcmp(out, expect) != 0)
				fail_msg("case %s: got %s, Python %s", hex, out, expect);
			ok++;
		} else if (strcmp(want, "reject") == 0) {
			if (rc == 0)
				fail_msg("case %s (Python: %s): accepted as %s", hex, py, out);
			assert_non_null(j.msg);
			assert_true(j.at <= n);
			rejected++;
		} /* "utf8": bytes the callers refuse before parsing; any outcome
		   * but a crash or an overread is fine here */
		free(out);
		free(exact);
		cases++;
	}
	fclose(g);
	free(line);
	free(text);
	assert_true(cases >= 100);
	assert_true(ok >= 40 && rejected >= 50);
}

/* The safetensors reader on whole headers. */
static void test_headers(void **state)
{
	(void)state;
	char dir[256];
	assert_int_equal(tu_make_tmpdir(dir, sizeof dir, "jsonp"), 0);
	char path[300];
	snprintf(path, sizeof path, "%s/h.safetensors", dir);
	FILE *g = tu_golden_open("jsonp/headers.txt");
	char *line = malloc(LINE_MAX_LEN);
	uint8_t *file = malloc(LINE_MAX_LEN);
	assert_non_null(line);
	assert_non_null(file);
	int cases = 0;
	while (tu_golden_line(g, line, LINE_MAX_LEN)) {
		char *hex = strtok(line, "\t"), *want = strtok(NULL, "\t"), *detail = strtok(NULL, "\t"),
		     *data = strtok(NULL, "\t");
		assert_non_null(data);
		size_t n = unhex(hex, file + 8);
		for (int i = 0; i < 8; i++)
			file[i] = (uint8_t)((uint64_t)n >> (8 * i));
		size_t nd = (size_t)atol(data);
		memset(file + 8 + n, 0x5a, nd);
		tu_spew(path, file, 8 + n + nd);
		ql_source *src = NULL;
		ql_error err = { 0 };
		int rc = ql_source_open(path, NULL, &src, &err);
		if (strcmp(want, "error") == 0) {
			if (rc == 0)
				fail_msg("header %s: opened, want an error with \"%s\"", hex, detail);
			if (!strstr(err.msg, detail))
				fail_msg("header %s: \"%s\" does not say \"%s\"", hex, err.msg, detail);
			assert_null(strchr(err.msg, '\n'));
		} else {
			if (rc != 0)
				fail_msg("header %s: %s", hex, err.msg);
			char *got = NULL;
			size_t gl = 0;
			FILE *f = open_memstream(&got, &gl);
			for (size_t i = 0; i < ql_source_count(src); i++) {
				const char *name = ql_source_tensor(src, i)->name;
				if (i)
					fputc(',', f);
				put_hex(f, name, strlen(name));
				assert_int_equal(ql_source_find(src, name), (long)i);
			}
			fputc(';', f);
			for (size_t i = 0; i < ql_source_meta_count(src); i++) {
				const ql_meta *m = ql_source_meta(src, i);
				if (i)
					fputc(',', f);
				put_hex(f, m->key, strlen(m->key));
				fputc('=', f);
				put_hex(f, m->value, strlen(m->value));
			}
			fclose(f);
			if (strcmp(got, detail) != 0)
				fail_msg("header %s: got %s, want %s", hex, got, detail);
			free(got);
			assert_int_equal(ql_source_find(src, "no such tensor"), -1);
			ql_source_close(src);
		}
		cases++;
	}
	fclose(g);
	free(line);
	free(file);
	tu_remove_tmpdir(dir);
	assert_true(cases >= 50);
}

/* Every prefix of a header is refused with one line, never read past. */
static void test_truncated(void **state)
{
	(void)state;
	static const char h[] =
		"{\"__metadata__\":{\"k\\u00e9\":\"v\\ud83d\\ude00\"},"
		"\"a.b\":{\"dtype\":\"F32\",\"shape\":[2,1],\"data_offsets\":[0,8],\"x\":[1.5e3,-0,true,null]},"
		"\"c\":{\"dtype\":\"U8\",\"shape\":[],\"data_offsets\":[8,9]}}";
	size_t n = sizeof h - 1;
	for (size_t k = 0; k < n; k++) {
		uint8_t *exact = malloc(k ? k : 1);
		assert_non_null(exact);
		memcpy(exact, h, k);
		ql_jp j;
		ql_jp_init(&j, exact, k);
		int rc = ql_jp_skip(&j, NULL, NULL);
		if (rc == 0)
			rc = ql_jp_finish(&j);
		assert_int_equal(rc, -1);
		assert_non_null(j.msg);
		free(exact);
	}
	ql_jp j;
	ql_jp_init(&j, h, n);
	assert_int_equal(ql_jp_skip(&j, NULL, NULL), 0);
	assert_int_equal(ql_jp_finish(&j), 0);
}

/* A .safetensors file at path: the header's length, the header (hl
 * bytes), then `data` zero bytes of data. */
static void write_st(const char *path, const char *hdr, size_t hl, uint64_t data)
{
	uint8_t *file = calloc(1, 8 + hl + data);
	assert_non_null(file);
	for (int i = 0; i < 8; i++)
		file[i] = (uint8_t)((uint64_t)hl >> (8 * i));
	memcpy(file + 8, hdr, hl);
	tu_spew(path, file, 8 + hl + data);
	free(file);
}

/* A header of 20,000 tensors, keys in name order, data in reverse: read
 * back in data order, every name found by ql_source_find. */
static void test_many(void **state)
{
	(void)state;
	enum { N = 20000 };
	char dir[256], path[300];
	assert_int_equal(tu_make_tmpdir(dir, sizeof dir, "jsonp"), 0);
	snprintf(path, sizeof path, "%s/many.safetensors", dir);
	char *hdr = NULL;
	size_t hl = 0;
	FILE *f;
	/* offsets: tensor i has 1 + i % 3 elements; lay them out from the last */
	uint64_t *off = calloc(N + 1, sizeof *off);
	assert_non_null(off);
	uint64_t pos = 0;
	for (int i = N - 1; i >= 0; i--) {
		off[i] = pos;
		pos += 2 * (uint64_t)(1 + i % 3);
	}
	f = open_memstream(&hdr, &hl);
	fputc('{', f);
	for (int i = 0; i < N; i++)
		fprintf(f, "%s\"layers.%05d.w\":{\"dtype\":\"F16\",\"shape\":[%d],\"data_offsets\":[%llu,%llu]}",
			i ? "," : "", i, 1 + i % 3, (unsigned long long)off[i],
			(unsigned long long)(off[i] + 2 * (uint64_t)(1 + i % 3)));
	fputc('}', f);
	fclose(f);
	write_st(path, hdr, hl, pos);
	ql_source *src;
	ql_error err;
	if (ql_source_open(path, NULL, &src, &err))
		fail_msg("%s", err.msg);
	assert_int_equal(ql_source_count(src), N);
	for (int i = 0; i < N; i++) {
		char name[32];
		snprintf(name, sizeof name, "layers.%05d.w", N - 1 - i);
		assert_string_equal(ql_source_tensor(src, (size_t)i)->name, name);
		assert_int_equal(ql_source_find(src, name), i);
		assert_int_equal(ql_source_tensor(src, (size_t)i)->shape[0], 1 + (N - 1 - i) % 3);
	}
	ql_source_close(src);
	free(hdr);
	free(off);
	tu_remove_tmpdir(dir);
}

/* Data order with ties: 6,000 tensors, a third of them empty (begin =
 * end, sharing their begin with a neighbour), keys in a shuffled order,
 * offsets up to megabytes (every pass of the sort): read back by begin,
 * then end, then name, as a plain sort of the same triples gives. */
typedef struct tri {
	uint64_t begin, end;
	char name[24];
} tri;

static int cmp_tri(const void *a, const void *b)
{
	const tri *x = a, *y = b;
	if (x->begin != y->begin)
		return x->begin < y->begin ? -1 : 1;
	if (x->end != y->end)
		return x->end < y->end ? -1 : 1;
	return strcmp(x->name, y->name);
}

static void test_ties(void **state)
{
	(void)state;
	enum { N = 6000 };
	char dir[256], path[300];
	assert_int_equal(tu_make_tmpdir(dir, sizeof dir, "jsonp"), 0);
	snprintf(path, sizeof path, "%s/ties.safetensors", dir);
	tri *t = calloc(N, sizeof *t);
	assert_non_null(t);
	uint64_t rng = 99, pos = 0;
	for (int i = 0; i < N; i++) {
		uint32_t r = tu_next_u32(&rng);
		uint64_t bytes = r % 3 == 0 ? 0 : 2 * (1 + (r >> 8) % 2048);
		t[i].begin = pos;
		t[i].end = pos + bytes;
		pos += bytes;
		snprintf(t[i].name, sizeof t[i].name, "t%05u", tu_next_u32(&rng) % 100000);
		t[i].name[0] = (char)('a' + i % 7); /* names unique: index appended below */
		size_t l = strlen(t[i].name);
		snprintf(t[i].name + l, sizeof t[i].name - l, ".%d", i);
	}
	for (int i = N - 1; i > 0; i--) { /* the keys in a shuffled order */
		int j = (int)(tu_next_u32(&rng) % (uint32_t)(i + 1));
		tri w = t[i];
		t[i] = t[j];
		t[j] = w;
	}
	char *hdr = NULL;
	size_t hl = 0;
	FILE *f = open_memstream(&hdr, &hl);
	fputc('{', f);
	for (int i = 0; i < N; i++)
		fprintf(f, "%s\"%s\":{\"dtype\":\"F16\",\"shape\":[%llu],\"data_offsets\":[%llu,%llu]}",
			i ? "," : "", t[i].name, (unsigned long long)((t[i].end - t[i].begin) / 2),
			(unsigned long long)t[i].begin, (unsigned long long)t[i].end);
	fputc('}', f);
	fclose(f);
	write_st(path, hdr, hl, pos);
	qsort(t, N, sizeof *t, cmp_tri);
	ql_source *src;
	ql_error err;
	if (ql_source_open(path, NULL, &src, &err))
		fail_msg("%s", err.msg);
	assert_int_equal(ql_source_count(src), N);
	for (int i = 0; i < N; i++)
		if (strcmp(ql_source_tensor(src, (size_t)i)->name, t[i].name))
			fail_msg("tensor %d: '%s', want '%s'", i, ql_source_tensor(src, (size_t)i)->name,
				 t[i].name);
	ql_source_close(src);
	free(hdr);
	free(t);
	tu_remove_tmpdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_ties),
		cmocka_unit_test(test_headers),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_many),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
