/* test_qwrite.c — writing a quantized tensor (qwrite.h): what is written
 * reads back, through qlens's readers (checked against numpy and the
 * safetensors reference by test_npy and test_safetensors), as the very
 * arrays of the ql_qresult: codes (plain and packed, unpacked here by hand),
 * scales, zero points, raw blocks, dequantized values, and metadata whose
 * scheme word gives the scheme back. And the rules: one tensor a file, a
 * .npy needs the dequantized values, no output over an existing file
 * without force, nothing left behind on abort. (`qlens quantize -o` end to
 * end, against PyTorch's codes: test_quantize_cli.) */
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
#include "qlens/qwrite.h"
#include "qlens/scheme_text.h"
#include "testutil.h"

static char dir[256];

static int setup(void **state)
{
	(void)state;
	return tu_make_tmpdir(dir, sizeof dir, "qwrite");
}

static int teardown(void **state)
{
	(void)state;
	tu_remove_tmpdir(dir);
	return 0;
}

/* 4 x 6 values with a negative and a positive side, quantized by word. */
static void quantize(const char *word, ql_qresult *r)
{
	static float x[24];
	for (int i = 0; i < 24; i++)
		x[i] = (float)((i * 7 % 11) - 4) * 0.37f + (i == 5 ? 3.0f : 0.0f);
	int64_t shape[2] = { 4, 6 };
	ql_scheme s;
	ql_error err = { "" };
	if (ql_scheme_parse_word(word, &s, &err))
		fail_msg("%s", err.msg);
	ql_qopts qo = { .dequant = true, .threads = 1 };
	if (ql_quantize(x, shape, 2, &s, &qo, r, &err))
		fail_msg("%s: %s", word, err.msg);
}

static const ql_tensor *find(ql_source *src, const char *name, bool read)
{
	long i = ql_source_find(src, name);
	if (i < 0)
		fail_msg("no tensor %s", name);
	ql_error err = { "" };
	if (read && ql_source_read(src, (size_t)i, &err))
		fail_msg("%s", err.msg);
	return ql_source_tensor(src, (size_t)i);
}

static const char *meta_of(ql_source *src, const char *key)
{
	for (size_t i = 0; i < ql_source_meta_count(src); i++)
		if (!strcmp(ql_source_meta(src, i)->key, key))
			return ql_source_meta(src, i)->value;
	fail_msg("no metadata %s", key);
	return NULL;
}

static void write_one(const char *path, const char *name, const ql_qresult *r, bool pack,
		      bool dequant)
{
	ql_qwriter *q;
	ql_error err = { "" };
	if (ql_qwriter_open(path, true, &q, &err))
		fail_msg("%s", err.msg);
	ql_qwrite_opts o = { .pack = pack, .dequant = dequant };
	if (ql_qwriter_add(q, name, r, &o, &err))
		fail_msg("%s", err.msg);
	if (ql_qwriter_close(q, &err))
		fail_msg("%s", err.msg);
}

static void test_safetensors_plain(void **state)
{
	(void)state;
	ql_qresult r;
	quantize("int4/asym/g3", &r);
	char path[512];
	snprintf(path, sizeof path, "%s/w.safetensors", dir);
	write_one(path, "w", &r, false, true);
	ql_source *src;
	ql_error err = { "" };
	assert_int_equal(ql_source_open(path, NULL, &src, &err), 0);
	const ql_tensor *t = find(src, "w.q", true);
	assert_int_equal(t->dtype, QL_DT_I8);
	assert_int_equal(t->ndim, 2);
	assert_int_equal(t->shape[0], 4);
	assert_int_equal(t->shape[1], 6);
	assert_memory_equal(t->data, r.codes, 24);
	t = find(src, "w.scale", true);
	assert_int_equal(t->dtype, QL_DT_F32);
	assert_int_equal(t->nelem, r.nscales);
	assert_int_equal(r.nscales, 8);
	assert_memory_equal(t->data, r.scales, (size_t)r.nscales * 4);
	t = find(src, "w.zero_point", true);
	assert_int_equal(t->dtype, QL_DT_I32);
	assert_memory_equal(t->data, r.zero_points, (size_t)r.nscales * 4);
	t = find(src, "w.dequant", true);
	assert_memory_equal(t->data, r.dequant, 24 * 4);
	assert_true(ql_source_find(src, "w.blocks") < 0);
	assert_string_equal(meta_of(src, "qlens.scheme_word"), "int4/asym/g3");
	assert_string_equal(meta_of(src, "qlens.scheme"), "int4 asym per-group 3 minmax");
	assert_string_equal(meta_of(src, "qlens.granularity"), "group");
	assert_string_equal(meta_of(src, "qlens.group"), "3");
	assert_string_equal(meta_of(src, "qlens.qmin"), "-8");
	assert_string_equal(meta_of(src, "qlens.qmax"), "7");
	assert_string_equal(meta_of(src, "qlens.packed"), "false");
	ql_scheme back;
	assert_int_equal(ql_scheme_parse_word(meta_of(src, "qlens.scheme_word"), &back, &err), 0);
	assert_int_equal(back.dtype, r.scheme.dtype);
	assert_int_equal(back.group, 3);
	ql_source_close(src);
	ql_qresult_free(&r);
}

/* Packed int4: two codes a byte, the even element in the low nibble. */
static void test_safetensors_packed(void **state)
{
	(void)state;
	ql_qresult r;
	quantize("uint4/ch0", &r);
	char path[512];
	snprintf(path, sizeof path, "%s/p.safetensors", dir);
	write_one(path, "p", &r, true, false);
	ql_source *src;
	ql_error err = { "" };
	assert_int_equal(ql_source_open(path, NULL, &src, &err), 0);
	const ql_tensor *t = find(src, "p.q", true);
	assert_int_equal(t->dtype, QL_DT_U8);
	assert_int_equal(t->ndim, 1);
	assert_int_equal(t->shape[0], 12);
	const uint8_t *b = t->data;
	for (int i = 0; i < 24; i++)
		assert_int_equal((b[i / 2] >> (4 * (i % 2))) & 15, r.codes[i]);
	assert_true(ql_source_find(src, "p.dequant") < 0);
	assert_string_equal(meta_of(src, "qlens.packed"), "true");
	assert_string_equal(meta_of(src, "qlens.axis"), "0");
	ql_source_close(src);
	ql_qresult_free(&r);
}

/* A block format: its raw blocks, byte for byte. */
static void test_safetensors_blocks(void **state)
{
	(void)state;
	ql_qresult r;
	quantize("nf4", &r);
	assert_non_null(r.blocks);
	char path[512];
	snprintf(path, sizeof path, "%s/b.safetensors", dir);
	write_one(path, "b", &r, false, false);
	ql_source *src;
	ql_error err = { "" };
	assert_int_equal(ql_source_open(path, NULL, &src, &err), 0);
	const ql_tensor *t = find(src, "b.blocks", true);
	assert_int_equal(t->nelem, (int64_t)r.blocks_bytes);
	assert_memory_equal(t->data, r.blocks, r.blocks_bytes);
	assert_string_equal(meta_of(src, "qlens.scheme_word"), "nf4");
	ql_source_close(src);
	ql_qresult_free(&r);
}

/* fp16/bf16 scales (scale:fp16, scale:bf16) are written in their own type:
 * the stored bits are the scales' (bf16: the float's upper half; fp16: the
 * reader's decode gives the scale back exactly, since the scales were
 * rounded to fp16 before quantizing). */
static void test_safetensors_scale16(void **state)
{
	(void)state;
	const char *words[] = { "int4/asym/g3/scale:fp16", "uint8/ch0/scale:bf16" };
	for (int k = 0; k < 2; k++) {
		ql_qresult r;
		quantize(words[k], &r);
		char path[512];
		snprintf(path, sizeof path, "%s/s16.safetensors", dir);
		write_one(path, "w", &r, false, false);
		ql_source *src;
		ql_error err = { "" };
		assert_int_equal(ql_source_open(path, NULL, &src, &err), 0);
		long i = ql_source_find(src, "w.scale");
		assert_true(i >= 0);
		const ql_tensor *t = find(src, "w.scale", true);
		assert_int_equal(t->dtype, k == 0 ? QL_DT_F16 : QL_DT_BF16);
		assert_int_equal(t->nelem, r.nscales);
		if (k == 1)
			for (int64_t j = 0; j < r.nscales; j++) {
				uint32_t u;
				uint16_t h;
				memcpy(&u, &r.scales[j], 4);
				memcpy(&h, (const uint8_t *)t->data + 2 * j, 2);
				assert_int_equal(h, u >> 16);
				assert_int_equal(u & 0xffff, 0); /* the scale is a bf16 value */
			}
		float *back = NULL;
		assert_int_equal(ql_source_read_f32(src, (size_t)i, &back, &err), 0);
		assert_memory_equal(back, r.scales, (size_t)r.nscales * 4);
		free(back);
		assert_string_equal(meta_of(src, "qlens.scheme_word"), words[k]);
		ql_source_close(src);
		ql_qresult_free(&r);
	}
}

static void test_npy(void **state)
{
	(void)state;
	ql_qresult r;
	quantize("int8", &r);
	char path[512];
	snprintf(path, sizeof path, "%s/d.npy", dir);
	write_one(path, "d", &r, false, false);
	ql_source *src;
	ql_error err = { "" };
	assert_int_equal(ql_source_open(path, NULL, &src, &err), 0);
	assert_int_equal(ql_source_count(src), 1);
	ql_source_read(src, 0, &err);
	const ql_tensor *t = ql_source_tensor(src, 0);
	assert_int_equal(t->dtype, QL_DT_F32);
	assert_memory_equal(t->data, r.dequant, 24 * 4);
	ql_source_close(src);
	ql_qresult_free(&r);
}

static void test_rules(void **state)
{
	(void)state;
	ql_qresult r;
	quantize("int8", &r);
	char path[512];
	snprintf(path, sizeof path, "%s/rules.safetensors", dir);
	ql_qwriter *q;
	ql_error err = { "" };
	/* one tensor a file */
	assert_int_equal(ql_qwriter_open(path, false, &q, &err), 0);
	assert_int_equal(ql_qwriter_add(q, "a", &r, NULL, &err), 0);
	assert_int_equal(ql_qwriter_add(q, "b", &r, NULL, &err), -1);
	assert_non_null(strstr(err.msg, "one tensor"));
	/* abort: nothing written */
	ql_qwriter_abort(q);
	assert_int_equal(access(path, F_OK), -1);
	/* an existing file needs force */
	write_one(path, "a", &r, false, false);
	assert_int_equal(ql_qwriter_open(path, false, &q, &err), -1);
	assert_non_null(strstr(err.msg, path));
	/* without dequantized values: no .npy, no NAME.dequant */
	free(r.dequant);
	r.dequant = NULL;
	snprintf(path, sizeof path, "%s/none.npy", dir);
	assert_int_equal(ql_qwriter_open(path, false, &q, &err), 0);
	assert_int_equal(ql_qwriter_add(q, "x", &r, NULL, &err), -1);
	assert_non_null(strstr(err.msg, "no dequantized values"));
	ql_qwriter_abort(q);
	snprintf(path, sizeof path, "%s/none.safetensors", dir);
	assert_int_equal(ql_qwriter_open(path, false, &q, &err), 0);
	ql_qwrite_opts o = { .dequant = true };
	assert_int_equal(ql_qwriter_add(q, "x", &r, &o, &err), -1);
	ql_qwriter_abort(q);
	ql_qwriter_abort(NULL);
	ql_qresult_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_safetensors_plain),
		cmocka_unit_test(test_safetensors_packed),
		cmocka_unit_test(test_safetensors_blocks),
		cmocka_unit_test(test_safetensors_scale16),
		cmocka_unit_test(test_npy),
		cmocka_unit_test(test_rules),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
