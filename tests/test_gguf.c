/* test_gguf.c — the GGUF reader against files written by
 * tests/golden/gen_readers.py (by hand, following ggml's docs/gguf.md), with
 * the decoded Q8_0/Q4_0/Q4_1/Q5_0/Q5_1 values computed there by Python ports
 * of ggml's dequantize_row_* functions.
 *
 * Also: every truncation of a valid file fails cleanly, and every file of
 * tests/corpus/gguf/ (malformed on purpose) fails with a message naming it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "qlens/ggml_blocks.h"
#include "qlens/io.h"
#include "testutil.h"

static char dir[1024];

static const char *golden(const char *name)
{
	static char path[2048];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	return path;
}

static ql_source *open_ok(const char *path)
{
	ql_source *src = NULL;
	ql_error err = { "" };
	int rc = ql_source_open(path, NULL, &src, &err);
	if (rc)
		fail_msg("%s: %s", path, err.msg);
	return src;
}

static const char *meta(ql_source *src, const char *key)
{
	for (size_t i = 0; i < ql_source_meta_count(src); i++)
		if (strcmp(ql_source_meta(src, i)->key, key) == 0)
			return ql_source_meta(src, i)->value;
	fail_msg("no metadata %s", key);
	return NULL;
}


/* Reads `name` from src as floats and compares with the expected .npy. */
static void check_values(ql_source *src, const char *name, const char *expect_file)
{
	ql_error err = { "" };
	long i = ql_source_find(src, name);
	assert_true(i >= 0);
	float *got = NULL, *want = NULL;
	if (ql_source_read_f32(src, (size_t)i, &got, &err))
		fail_msg("%s: %s", name, err.msg);
	ql_source *ex = open_ok(golden(expect_file));
	assert_int_equal(ql_source_count(ex), 1);
	const ql_tensor *te = ql_source_tensor(ex, 0);
	const ql_tensor *tg = ql_source_tensor(src, (size_t)i);
	assert_int_equal(te->nelem, tg->nelem);
	assert_int_equal(te->ndim, tg->ndim);
	for (int d = 0; d < te->ndim; d++)
		assert_int_equal(te->shape[d], tg->shape[d]);
	if (ql_source_read_f32(ex, 0, &want, &err))
		fail_msg("%s: %s", expect_file, err.msg);
	tu_assert_same_floats(got, want, te->nelem, name);
	free(got);
	free(want);
	ql_source_close(ex);
}

typedef struct expect_tensor {
	const char *name;
	ql_dtype dtype;
	const char *other;
	int ndim;
	int64_t shape[3];
	uint64_t nbytes;
} expect_tensor;

static void test_v3_listing(void **state)
{
	(void)state;
	ql_source *src = open_ok(golden("tiny_v3.gguf"));
	assert_string_equal(ql_source_format(src), "gguf");
	static const expect_tensor want[] = {
		{ "token_embd.weight", QL_DT_F32, "", 2, { 3, 8 }, 96 },
		{ "blk.0.cube", QL_DT_F32, "", 3, { 4, 3, 2 }, 96 },
		{ "blk.0.attn_norm.weight", QL_DT_F16, "", 2, { 2, 4 }, 16 },
		{ "output_norm.weight", QL_DT_BF16, "", 1, { 6 }, 12 },
		{ "blk.0.ffn_up.weight", QL_DT_Q8_0, "", 2, { 4, 64 }, 8 * 34 },
		{ "blk.0.ffn_down.weight", QL_DT_Q4_0, "", 2, { 4, 64 }, 8 * 18 },
		{ "blk.0.q4_1", QL_DT_Q4_1, "", 2, { 4, 32 }, 4 * 20 },
		{ "blk.0.q5_0", QL_DT_Q5_0, "", 1, { 64 }, 2 * 22 },
		{ "blk.0.q5_1", QL_DT_Q5_1, "", 2, { 2, 32 }, 2 * 24 },
		{ "blk.0.attn_q.weight", QL_DT_Q4_K, "", 2, { 2, 256 }, 2 * 144 },
		{ "blk.0.mxfp4", QL_DT_MXFP4, "", 1, { 64 }, 2 * 17 },
		{ "positions", QL_DT_I32, "", 1, { 5 }, 20 },
		{ "empty", QL_DT_F32, "", 2, { 4, 0 }, 0 },
	};
	size_t n = sizeof want / sizeof want[0];
	assert_int_equal(ql_source_count(src), n);
	for (size_t i = 0; i < n; i++) {
		const ql_tensor *t = ql_source_tensor(src, i);
		assert_string_equal(t->name, want[i].name);
		assert_int_equal(t->dtype, want[i].dtype);
		if (want[i].dtype == QL_DT_OTHER)
			assert_string_equal(t->other_name, want[i].other);
		assert_int_equal(t->ndim, want[i].ndim);
		for (int d = 0; d < t->ndim; d++)
			assert_int_equal(t->shape[d], want[i].shape[d]);
		assert_int_equal(t->nbytes, want[i].nbytes);
	}
	ql_source_close(src);
}

static void test_v3_metadata(void **state)
{
	(void)state;
	ql_source *src = open_ok(golden("tiny_v3.gguf"));
	assert_string_equal(meta(src, "GGUF.version"), "3");
	assert_string_equal(meta(src, "general.architecture"), "llama");
	assert_string_equal(meta(src, "general.name"), "tiny test model \xC3\xA9\xE4\xB8\xAD");
	assert_string_equal(meta(src, "test.u8"), "255");
	assert_string_equal(meta(src, "test.i8"), "-5");
	assert_string_equal(meta(src, "test.u16"), "65535");
	assert_string_equal(meta(src, "test.i16"), "-32768");
	assert_string_equal(meta(src, "test.u32"), "4294967295");
	assert_string_equal(meta(src, "test.i32"), "-7");
	assert_string_equal(meta(src, "test.f32"), "0.1");
	assert_string_equal(meta(src, "test.bool"), "true");
	assert_string_equal(meta(src, "test.u64"), "18446744073709551615");
	assert_string_equal(meta(src, "test.i64"), "-9223372036854775808");
	assert_string_equal(meta(src, "test.f64"), "1e-300");
	assert_string_equal(meta(src, "test.control"), "a\\nb\\tc\\x01");
	assert_string_equal(meta(src, "test.arr_i32"), "i32[100] [0, 1, 2, 3, 4, 5, 6, 7, ...]");
	assert_string_equal(meta(src, "test.arr_f32"), "f32[2] [0.5, -2]");
	assert_string_equal(meta(src, "test.arr_bool"), "bool[3] [true, false, true]");
	assert_string_equal(meta(src, "test.nested"), "array[3] [[1, 2], [], [\"a\", \"b\"]]");
	assert_string_equal(meta(src, "test.empty"), "i64[0] []");
	assert_string_equal(meta(src, "tokenizer.ggml.tokens"),
			    "string[1000] [\"<unk>\", \"<s>\", \"</s>\", \"tok0\", \"tok1\", \"tok2\", "
			    "\"tok3\", \"tok4\", ...]");
	/* 300 x's: shown shortened */
	const char *ls = meta(src, "test.long_string");
	assert_true(strlen(ls) < 200);
	assert_true(strncmp(ls, "xxxxxxxxxx", 10) == 0);
	assert_non_null(strstr(ls, "..."));
	ql_source_close(src);
}

static void test_v3_values(void **state)
{
	(void)state;
	ql_source *src = open_ok(golden("tiny_v3.gguf"));
	static const char *const names[] = {
		"token_embd.weight", "blk.0.cube", "blk.0.attn_norm.weight", "output_norm.weight",
		"blk.0.ffn_up.weight", "blk.0.ffn_down.weight", "blk.0.q4_1", "blk.0.q5_0",
		"blk.0.q5_1", "positions",
	};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		char expect[512];
		snprintf(expect, sizeof expect, "gguf_expect/%s.npy", names[i]);
		check_values(src, names[i], expect);
	}
	ql_source_close(src);
}

/* Q4_K and MXFP4 were listed-only types; now they decode through the block
 * table (their random bytes decode as ggml's dequantizers do; the values
 * are checked against ggml's and a NumPy port in test_ggml_blocks.c, and
 * the "cannot decode" refusal on an IQ2_XXS tensor there too). */
static void test_other_types(void **state)
{
	(void)state;
	ql_source *src = open_ok(golden("tiny_v3.gguf"));
	long i = ql_source_find(src, "blk.0.attn_q.weight");
	assert_true(i >= 0);
	ql_error err = { "" };
	assert_int_equal(ql_source_read(src, (size_t)i, &err), 0);
	const ql_tensor *t = ql_source_tensor(src, (size_t)i);
	assert_non_null(t->data);
	float *f = NULL;
	assert_int_equal(ql_source_read_f32(src, (size_t)i, &f, &err), 0);
	float want[512];
	ql_block_q4_k blocks[2];
	memcpy(blocks, t->data, sizeof blocks);
	ql_dequantize_row_q4_k(blocks, want, 512);
	assert_memory_equal(f, want, sizeof want);
	free(f);
	/* the empty tensor reads as nothing */
	i = ql_source_find(src, "empty");
	assert_int_equal(ql_source_read_f32(src, (size_t)i, &f, &err), 0);
	free(f);
	ql_source_close(src);
}

static void test_v2_alignment(void **state)
{
	(void)state;
	ql_source *src = open_ok(golden("align64_v2.gguf"));
	assert_string_equal(meta(src, "GGUF.version"), "2");
	assert_string_equal(meta(src, "general.alignment"), "64");
	assert_int_equal(ql_source_count(src), 2);
	ql_error err = { "" };
	assert_int_equal(ql_source_read(src, 0, &err), 0);
	assert_int_equal(ql_source_read(src, 1, &err), 0);
	const uint8_t *a = ql_source_tensor(src, 0)->data, *b = ql_source_tensor(src, 1)->data;
	assert_int_equal((b - a) % 64, 0);
	assert_int_equal(b - a, 64);
	check_values(src, "a", "gguf_expect/v2.a.npy");
	check_values(src, "b", "gguf_expect/v2.b.npy");
	ql_source_close(src);
}

static void test_v1_refused(void **state)
{
	(void)state;
	ql_source *src = NULL;
	ql_error err = { "" };
	const char *path = golden("old_v1.gguf");
	assert_int_equal(ql_source_open(path, NULL, &src, &err), -1);
	assert_null(src);
	assert_non_null(strstr(err.msg, "version 1"));
	assert_true(strncmp(err.msg, path, strlen(path)) == 0);
}

/* Every prefix of a valid file that cuts into its data is refused (the
 * last tensor's data ends less than 32 bytes from the end; the rest is
 * padding), and nothing reads outside the map (ASan watches). */
static void test_truncations(void **state)
{
	(void)state;
	FILE *f = fopen(golden("tiny_v3.gguf"), "rb");
	assert_non_null(f);
	static uint8_t buf[1 << 16];
	size_t n = fread(buf, 1, sizeof buf, f);
	fclose(f);
	assert_true(n > 1000 && n < sizeof buf);
	char tmp[] = "/tmp/qlens-test-gguf-XXXXXX.gguf";
	int fd = mkstemps(tmp, 5);
	assert_true(fd >= 0);
	for (size_t len = 0; len < n - 32; len += len < 2048 ? 1 : 97) {
		tu_rewrite_fd(fd, buf, len);
		ql_source *src = NULL;
		ql_error err = { "" };
		if (ql_source_open(tmp, NULL, &src, &err) == 0) {
			ql_source_close(src);
			fail_msg("a %zu-byte prefix opened", len);
		}
		assert_true(strncmp(err.msg, tmp, strlen(tmp)) == 0);
		assert_null(strchr(err.msg, '\n'));
	}
	close(fd);
	unlink(tmp);
}

/* A dimension beyond int64 says what is wrong with it, not only its value
 * ("dimension 0 is 9223372036854775813" was the whole message). */
static void test_dimension_too_large(void **state)
{
	(void)state;
	char path[1200];
	const char *srcdir = getenv("QLENS_SRCDIR");
	snprintf(path, sizeof path, "%s/tests/corpus/gguf/bad_dim_negative.gguf", srcdir ? srcdir : ".");
	ql_source *src = NULL;
	ql_error err = { "" };
	assert_int_equal(ql_source_open(path, NULL, &src, &err), -1);
	if (!strstr(err.msg, "tensor 'w': dimension 0 is 9223372036854775813, more than 2^63 - 1"))
		fail_msg("%s", err.msg);
}

/* Every corpus file is refused with one line, or opens and reads cleanly. */
static void test_corpus(void **state)
{
	(void)state;
	char cdir[1200];
	const char *srcdir = getenv("QLENS_SRCDIR");
	snprintf(cdir, sizeof cdir, "%s/tests/corpus/gguf", srcdir ? srcdir : ".");
	DIR *d = opendir(cdir);
	if (!d)
		skip();
	struct dirent *de;
	int seen = 0;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		char path[2400];
		snprintf(path, sizeof path, "%s/%s", cdir, de->d_name);
		ql_source *src = NULL;
		ql_error err = { "" };
		seen++;
		if (ql_source_open(path, NULL, &src, &err)) {
			assert_true(strncmp(err.msg, path, strlen(path)) == 0);
			assert_null(strchr(err.msg, '\n'));
			continue;
		}
		if (strncmp(de->d_name, "bad_", 4) == 0)
			fail_msg("%s opened, but it is malformed", de->d_name);
		for (size_t i = 0; i < ql_source_count(src); i++) {
			float *v = NULL;
			if (ql_source_read_f32(src, i, &v, &err) == 0)
				free(v);
		}
		ql_source_close(src);
	}
	closedir(d);
	assert_true(seen > 10);
}

int main(void)
{
	const char *srcdir = getenv("QLENS_SRCDIR");
	snprintf(dir, sizeof dir, "%s/tests/golden/readers", srcdir ? srcdir : ".");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v3_listing),
		cmocka_unit_test(test_v3_metadata),
		cmocka_unit_test(test_v3_values),
		cmocka_unit_test(test_other_types),
		cmocka_unit_test(test_v2_alignment),
		cmocka_unit_test(test_v1_refused),
		cmocka_unit_test(test_truncations),
		cmocka_unit_test(test_corpus),
		cmocka_unit_test(test_dimension_too_large),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
