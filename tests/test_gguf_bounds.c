/* test_gguf_bounds.c — the GGUF reader's data-section bounds, byte by byte,
 * on files built here with a known layout (ggml's docs/gguf.md, v3):
 *
 *   - two tensors, F32 [16] at data offset 0 and Q8_0 [32] (one 34-byte
 *     block) at offset 64: every truncation from the header's end to one
 *     byte short of the last tensor's end is refused with one line naming
 *     the file; the exact length opens and reads back the values. A reader
 *     whose bounds were off by one byte would open one of them and read
 *     past the end of the mapped file, which ASan cannot see;
 *   - a metadata-only file whose last string ends exactly at the end of the
 *     file opens (there is no data section to bound).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "qlens/io.h"
#include "testutil.h"

typedef struct buf {
	uint8_t b[1024];
	size_t n;
} buf;

static void put(buf *b, const void *p, size_t n)
{
	assert_true(b->n + n <= sizeof b->b);
	memcpy(b->b + b->n, p, n);
	b->n += n;
}
static void u32(buf *b, uint32_t v) { uint8_t x[4]; for (int i = 0; i < 4; i++) x[i] = (uint8_t)(v >> 8 * i); put(b, x, 4); }
static void u64(buf *b, uint64_t v) { uint8_t x[8]; for (int i = 0; i < 8; i++) x[i] = (uint8_t)(v >> 8 * i); put(b, x, 8); }
static void str(buf *b, const char *s) { u64(b, strlen(s)); put(b, s, strlen(s)); }

enum { GGUF_F32 = 0, GGUF_Q8_0 = 8, GGUF_KV_STRING = 8, ALIGN = 32 };

static char dir[256];

static int setup(void **state)
{
	(void)state;
	return tu_make_tmpdir(dir, sizeof dir, "gguf-bounds");
}

static int teardown(void **state)
{
	(void)state;
	tu_remove_tmpdir(dir);
	return 0;
}

/* Writes the first len bytes of b to DIR/t.gguf; opens it and reads every
 * tensor. 0 when all of that worked. */
static int try_open(const buf *b, size_t len, ql_error *err, float *first16)
{
	char path[512];
	snprintf(path, sizeof path, "%s/t.gguf", dir);
	tu_spew(path, b->b, len);
	ql_source *src;
	if (ql_source_open(path, NULL, &src, err))
		return -1;
	int rc = 0;
	for (size_t i = 0; i < ql_source_count(src) && rc == 0; i++) {
		float *x = NULL;
		rc = ql_source_read_f32(src, i, &x, err);
		if (rc == 0 && i == 0 && first16)
			memcpy(first16, x, 16 * sizeof *x);
		free(x);
	}
	ql_source_close(src);
	return rc;
}

static void test_truncated_data(void **state)
{
	(void)state;
	buf b = { .n = 0 };
	put(&b, "GGUF", 4);
	u32(&b, 3);
	u64(&b, 2); /* tensors */
	u64(&b, 1); /* key/values */
	str(&b, "general.name");
	u32(&b, GGUF_KV_STRING);
	str(&b, "bounds");
	str(&b, "a");
	u32(&b, 1);
	u64(&b, 16);
	u32(&b, GGUF_F32);
	u64(&b, 0);
	str(&b, "b");
	u32(&b, 1);
	u64(&b, 32);
	u32(&b, GGUF_Q8_0);
	u64(&b, 64);
	size_t header_end = b.n;
	while (b.n % ALIGN)
		put(&b, "", 1);
	size_t data_start = b.n;
	for (int i = 0; i < 16; i++) {
		float v = (float)i - 7.5f;
		put(&b, &v, 4);
	}
	uint8_t block[34] = { 0x00, 0x3c }; /* d = 1.0 (fp16), then 32 codes */
	for (int i = 0; i < 32; i++)
		block[2 + i] = (uint8_t)(int8_t)(i - 16);
	put(&b, block, sizeof block);
	size_t end = data_start + 64 + sizeof block;
	assert_int_equal(b.n, end);

	ql_error err = { "" };
	float got[16];
	if (try_open(&b, end, &err, got))
		fail_msg("the whole file: %s", err.msg);
	for (int i = 0; i < 16; i++)
		assert_true(got[i] == (float)i - 7.5f);
	char path[512];
	snprintf(path, sizeof path, "%s/t.gguf", dir);
	int refused = 0;
	for (size_t len = header_end; len < end; len++) {
		ql_error e = { "" };
		if (try_open(&b, len, &e, NULL) == 0)
			fail_msg("%zu of %zu bytes (data from %zu) opened and read", len, end, data_start);
		if (strncmp(e.msg, path, strlen(path)) || strchr(e.msg, '\n'))
			fail_msg("%zu bytes: message '%s'", len, e.msg);
		refused++;
	}
	assert_true(refused >= 64);
	/* padding after the data is fine */
	put(&b, "\0\0\0\0\0\0\0", 7);
	assert_int_equal(try_open(&b, b.n, &err, NULL), 0);
}

static void test_metadata_only(void **state)
{
	(void)state;
	buf b = { .n = 0 };
	put(&b, "GGUF", 4);
	u32(&b, 3);
	u64(&b, 0);
	u64(&b, 2);
	str(&b, "general.architecture");
	u32(&b, GGUF_KV_STRING);
	str(&b, "none");
	str(&b, "general.name");
	u32(&b, GGUF_KV_STRING);
	str(&b, "ends here");
	assert_true(b.n % ALIGN != 0); /* no padding: the string is the last byte */
	ql_error err = { "" };
	if (try_open(&b, b.n, &err, NULL))
		fail_msg("a metadata-only file ending with its last string: %s", err.msg);
	char path[512];
	snprintf(path, sizeof path, "%s/t.gguf", dir);
	ql_source *src;
	assert_int_equal(ql_source_open(path, NULL, &src, &err), 0);
	assert_int_equal(ql_source_count(src), 0);
	bool found = false;
	for (size_t i = 0; i < ql_source_meta_count(src); i++)
		found |= !strcmp(ql_source_meta(src, i)->key, "general.name") &&
			 strstr(ql_source_meta(src, i)->value, "ends here");
	assert_true(found);
	ql_source_close(src);
	/* one byte short of that string: refused */
	assert_int_equal(try_open(&b, b.n - 1, &err, NULL), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_truncated_data),
		cmocka_unit_test(test_metadata_only),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
