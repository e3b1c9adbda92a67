/* test_safetensors.c — .safetensors reading and writing, and the float32
 * decoding of every storage dtype (tensor.c).
 *
 * References that do not share qlens's code:
 *   - tests/golden/files/all_dtypes.safetensors, written by hand from the
 *     format's specification by tests/golden/gen_files.py, with expected
 *     float32 values from numpy (ints, F16/F32/F64), torch (BF16) and the
 *     published E4M3/E5M2 definitions (all 256 fp8 codes);
 *   - the byte vectors of the reference implementation's own serialization
 *     tests (huggingface/safetensors, tensor.rs: test_serialization,
 *     test_serialization_forced_alignement, test_empty), which the writer
 *     must reproduce exactly;
 *   - format.c's ql_decode (itself checked against PyTorch in test_format)
 *     for all 65536 fp16 and bf16 codes in both byte orders;
 *   - hand-made Q8_0/Q4_0 blocks for the block decoders, aligned or not;
 *   - the malformed corpus (tests/corpus/) and every truncation of a valid
 *     file.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "qlens/format.h"
#include "qlens/io.h"
#include "testutil.h"
#include "qlens/quant.h"
#include "qlens/tensor.h"

#define GOLDEN "tests/golden/files/"
#define CORPUS "tests/corpus/"

/* --- helpers ------------------------------------------------------------------------ */

static char tmpdir[64];

static int make_tmpdir(void **state)
{
	(void)state;
	return tu_make_tmpdir(tmpdir, sizeof tmpdir, "st");
}

static int remove_tmpdir(void **state)
{
	(void)state;
	tu_remove_tmpdir(tmpdir);
	return 0;
}

static bool same_f32(float a, float b)
{
	if (isnan(a) || isnan(b))
		return isnan(a) && isnan(b) && signbit(a) == signbit(b);
	uint32_t x, y;
	memcpy(&x, &a, 4);
	memcpy(&y, &b, 4);
	return x == y;
}

static void expect_open_error(const char *path, const char *want)
{
	ql_source *src = (ql_source *)1;
	ql_error err = {{0}};
	if (ql_source_open(path, NULL, &src, &err) == 0) {
		ql_source_close(src);
		fail_msg("%s: opened, but should fail with '%s'", path, want);
	}
	assert_null(src);
	size_t n = strlen(path);
	if (strncmp(err.msg, path, n) != 0 || strncmp(err.msg + n, ": ", 2) != 0)
		fail_msg("%s: error does not start with the path: '%s'", path, err.msg);
	if (strchr(err.msg, '\n'))
		fail_msg("%s: error is not one line: '%s'", path, err.msg);
	if (!strstr(err.msg, want))
		fail_msg("%s: error '%s' does not contain '%s'", path, err.msg, want);
}

/* --- reading -------------------------------------------------------------------------- */

typedef struct mcase {
	char file[128], tensor[256], dtype[32];
	int ndim;
	int64_t shape[QL_MAX_DIMS];
} mcase;

static void test_golden_all_dtypes(void **state)
{
	(void)state;
	const char *path = GOLDEN "all_dtypes.safetensors";
	ql_source *src;
	ql_error err;
	if (ql_source_open(path, NULL, &src, &err))
		fail_msg("%s", err.msg);
	assert_string_equal(ql_source_format(src), "safetensors");

	FILE *f = fopen(GOLDEN "manifest.txt", "r");
	assert_non_null(f);
	char line[1024];
	size_t seen = 0;
	while (fgets(line, sizeof line, f)) {
		mcase c = {0};
		int fortran, off = 0;
		if (line[0] == '#' ||
		    sscanf(line, "%127s %255s %31s %d %d%n", c.file, c.tensor, c.dtype, &fortran, &c.ndim,
			   &off) != 5 ||
		    strcmp(c.file, "all_dtypes.safetensors") != 0)
			continue;
		for (int i = 0; i < c.ndim; i++) {
			long long d;
			int k = 0;
			assert_int_equal(sscanf(line + off, "%lld%n", &d, &k), 1);
			c.shape[i] = d;
			off += k;
		}
		/* listed in the order of their data (the manifest's order) */
		long i = ql_source_find(src, c.tensor);
		assert_int_equal(i, (long)seen);
		const ql_tensor *t = ql_source_tensor(src, (size_t)i);
		assert_string_equal(ql_dtypes[t->dtype].name, c.dtype);
		assert_int_equal(t->ndim, c.ndim);
		for (int d = 0; d < c.ndim; d++)
			assert_int_equal(t->shape[d], c.shape[d]);
		float *x;
		if (ql_source_read_f32(src, (size_t)i, &x, &err))
			fail_msg("%s", err.msg);
		char expath[512];
		snprintf(expath, sizeof expath, "%s.%s.f32", path, c.tensor);
		size_t n;
		uint8_t *want = tu_slurp(expath, &n);
		assert_non_null(want);
		assert_int_equal(n, (size_t)t->nelem * 4);
		for (int64_t k = 0; k < t->nelem; k++) {
			float w;
			memcpy(&w, want + 4 * k, 4);
			if (!same_f32(x[k], w))
				fail_msg("%s[%lld]: got %a, want %a", c.tensor, (long long)k, (double)x[k],
					 (double)w);
		}
		free(want);
		free(x);
		seen++;
	}
	fclose(f);
	assert_int_equal(seen, 17);
	assert_int_equal(ql_source_count(src), seen);

	assert_int_equal(ql_source_meta_count(src), 2);
	const ql_meta *m0 = ql_source_meta(src, 0), *m1 = ql_source_meta(src, 1);
	assert_string_equal(m0->key, "format");
	assert_string_equal(m0->value, "pt");
	assert_string_equal(m1->key, "note");
	assert_string_equal(m1->value, "gr\xc3\xbc\xc3\x9f" "e \xe2\x9c\x93");
	assert_int_equal(ql_source_find(src, "nope"), -1);
	ql_source_close(src);
}

static void test_no_tensors(void **state)
{
	(void)state;
	ql_source *src;
	ql_error err;
	assert_int_equal(ql_source_open(GOLDEN "no_tensors.safetensors", NULL, &src, &err), 0);
	assert_int_equal(ql_source_count(src), 0);
	assert_int_equal(ql_source_meta_count(src), 0);
	ql_source_close(src);
	assert_int_equal(ql_source_open(GOLDEN "only_meta.safetensors", NULL, &src, &err), 0);
	assert_int_equal(ql_source_count(src), 0);
	assert_int_equal(ql_source_meta_count(src), 1);
	assert_int_equal(ql_source_read(src, 0, &err), -1);
	ql_source_close(src);
}

static void test_corpus(void **state)
{
	(void)state;
	FILE *f = fopen(CORPUS "MANIFEST", "r");
	assert_non_null(f);
	char line[512];
	int count = 0;
	while (fgets(line, sizeof line, f)) {
		if (line[0] == '#')
			continue;
		line[strcspn(line, "\n")] = '\0';
		char *tab = strchr(line, '\t');
		assert_non_null(tab);
		*tab = '\0';
		size_t n = strlen(line);
		if (n < 12 || strcmp(line + n - 12, ".safetensors") != 0)
			continue;
		assert_true(strlen(tab + 1) > 0);
		char path[600];
		snprintf(path, sizeof path, CORPUS "%s", line);
		expect_open_error(path, tab + 1);
		count++;
	}
	fclose(f);
	assert_true(count >= 35);
}

static void test_truncations(void **state)
{
	(void)state;
	size_t n;
	uint8_t *data = tu_slurp(GOLDEN "all_dtypes.safetensors", &n);
	assert_non_null(data);
	char path[256];
	snprintf(path, sizeof path, "%s/cut.safetensors", tmpdir);
	for (size_t len = 0; len < n; len++) {
		tu_spew(path, data, len);
		ql_source *src;
		ql_error err;
		if (ql_source_open(path, NULL, &src, &err) == 0) {
			ql_source_close(src);
			fail_msg("cut to %zu of %zu bytes opened", len, n);
		}
		assert_int_equal(strncmp(err.msg, path, strlen(path)), 0);
	}
	uint8_t *more = malloc(n + 1);
	memcpy(more, data, n);
	more[n] = 0;
	tu_spew(path, more, n + 1);
	expect_open_error(path, "data section is");
	/* a lying header length, every value from 0 to past the end */
	uint64_t hlen = 0;
	for (int i = 7; i >= 0; i--)
		hlen = hlen << 8 | data[i];
	for (uint64_t v = 0; v < hlen + 64; v++) {
		if (v == hlen)
			continue;
		memcpy(more, data, n);
		for (int i = 0; i < 8; i++)
			more[i] = (uint8_t)(v >> (8 * i));
		tu_spew(path, more, n);
		ql_source *src;
		ql_error err;
		if (ql_source_open(path, NULL, &src, &err) == 0) {
			ql_source_close(src);
			fail_msg("header length %llu (true %llu) opened", (unsigned long long)v,
				 (unsigned long long)hlen);
		}
	}
	free(more);
	free(data);
	unlink(path);
}

/* --- writing ---------------------------------------------------------------------------- */

static void write_and_compare(const char *name, const float *v, const int64_t *shape, int ndim,
			      const char *mkey, const char *mval, const uint8_t *want, size_t wn)
{
	char path[256];
	snprintf(path, sizeof path, "%s/ref.safetensors", tmpdir);
	ql_writer *w;
	ql_error err;
	assert_int_equal(ql_writer_open(path, true, &w, &err), 0);
	if (name && ql_writer_add(w, name, QL_DT_F32, shape, ndim, v, &err))
		fail_msg("%s", err.msg);
	if (mkey && ql_writer_meta(w, mkey, mval, &err))
		fail_msg("%s", err.msg);
	if (ql_writer_close(w, &err))
		fail_msg("%s", err.msg);
	size_t n;
	uint8_t *got = tu_slurp(path, &n);
	assert_int_equal(n, wn);
	assert_memory_equal(got, want, wn);
	free(got);
	/* and it reads back */
	ql_source *src;
	if (ql_source_open(path, NULL, &src, &err))
		fail_msg("%s", err.msg);
	ql_source_close(src);
	unlink(path);
}

/* The reference crate's serialization test vectors (tensor.rs). */
static void test_write_matches_reference(void **state)
{
	(void)state;
	static const uint8_t ser[] = {
		64, 0, 0, 0, 0, 0, 0, 0, 123, 34, 97, 116, 116, 110, 46, 48, 34, 58, 123, 34, 100,
		116, 121, 112, 101, 34, 58, 34, 70, 51, 50, 34, 44, 34, 115, 104, 97, 112, 101, 34,
		58, 91, 49, 44, 50, 44, 51, 93, 44, 34, 100, 97, 116, 97, 95, 111, 102, 102, 115,
		101, 116, 115, 34, 58, 91, 48, 44, 50, 52, 93, 125, 125, 0, 0, 0, 0, 0, 0, 128, 63,
		0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0, 160, 64};
	static const uint8_t aligned[] = {
		72, 0, 0, 0, 0, 0, 0, 0, 123, 34, 97, 116, 116, 110, 48, 34, 58, 123, 34, 100, 116,
		121, 112, 101, 34, 58, 34, 70, 51, 50, 34, 44, 34, 115, 104, 97, 112, 101, 34, 58,
		91, 49, 44, 49, 44, 50, 44, 51, 93, 44, 34, 100, 97, 116, 97, 95, 111, 102, 102,
		115, 101, 116, 115, 34, 58, 91, 48, 44, 50, 52, 93, 125, 125, 32, 32, 32, 32, 32,
		32, 32, 0, 0, 0, 0, 0, 0, 128, 63, 0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0,
		160, 64};
	static const uint8_t empty[] = {8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32};
	static const uint8_t meta[] = {
		40, 0, 0, 0, 0, 0, 0, 0, 123, 34, 95, 95, 109, 101, 116, 97, 100, 97, 116, 97, 95,
		95, 34, 58, 123, 34, 102, 114, 97, 109, 101, 119, 111, 114, 107, 34, 58, 34, 112,
		116, 34, 125, 125, 32, 32, 32, 32, 32};
	float v[6] = {0, 1, 2, 3, 4, 5};
	int64_t s123[] = {1, 2, 3}, s1123[] = {1, 1, 2, 3};
	write_and_compare("attn.0", v, s123, 3, NULL, NULL, ser, sizeof ser);
	write_and_compare("attn0", v, s1123, 4, NULL, NULL, aligned, sizeof aligned);
	write_and_compare(NULL, NULL, NULL, 0, NULL, NULL, empty, sizeof empty);
	write_and_compare(NULL, NULL, NULL, 0, "framework", "pt", meta, sizeof meta);
}

/* Every dtype, mixed widths (data stays aligned), metadata, scalars and
 * empty tensors survive a write and a read. */
static void test_roundtrip_all_dtypes(void **state)
{
	(void)state;
	static const ql_dtype dts[] = {QL_DT_BOOL, QL_DT_U8, QL_DT_I8, QL_DT_F8_E5M2,
				       QL_DT_F8_E4M3, QL_DT_I16, QL_DT_U16, QL_DT_F16,
				       QL_DT_BF16, QL_DT_I32, QL_DT_U32, QL_DT_F32,
				       QL_DT_F64, QL_DT_I64, QL_DT_U64};
	enum { N = sizeof dts / sizeof dts[0] };
	uint8_t data[3 * 5 * 8];
	for (size_t i = 0; i < sizeof data; i++)
		data[i] = (uint8_t)(i * 29 + 3);
	uint8_t bools[15];
	for (int i = 0; i < 15; i++)
		bools[i] = (uint8_t)(i % 3 == 0);
	int64_t shape[] = {3, 5}, empty_shape[] = {4, 0};
	char path[256];
	snprintf(path, sizeof path, "%s/rt.safetensors", tmpdir);
	ql_writer *w;
	ql_error err;
	assert_int_equal(ql_writer_open(path, false, &w, &err), 0);
	for (int k = 0; k < N; k++) {
		char name[64];
		snprintf(name, sizeof name, "t.%s", ql_dtypes[dts[k]].name);
		if (ql_writer_add(w, name, dts[k], shape, 2, dts[k] == QL_DT_BOOL ? bools : data, &err))
			fail_msg("%s", err.msg);
	}
	assert_int_equal(ql_writer_add(w, "scalar", QL_DT_I16, NULL, 0, data, &err), 0);
	assert_int_equal(ql_writer_add(w, "empty", QL_DT_F64, empty_shape, 2, NULL, &err), 0);
	assert_int_equal(ql_writer_add(w, "scalar", QL_DT_I16, NULL, 0, data, &err), -1);
	assert_non_null(strstr(err.msg, "added twice"));
	assert_int_equal(ql_writer_add(w, "__metadata__", QL_DT_I16, NULL, 0, data, &err), -1);
	assert_int_equal(ql_writer_add(w, "q", QL_DT_Q8_0, shape, 2, data, &err), -1);
	assert_int_equal(ql_writer_meta(w, "qlens.scheme", "int8 sym per-tensor minmax", &err), 0);
	assert_int_equal(ql_writer_meta(w, "unicode", "\xc3\xa9t\xc3\xa9", &err), 0);
	assert_int_equal(ql_writer_meta(w, "unicode", "again", &err), -1);
	if (ql_writer_close(w, &err))
		fail_msg("%s", err.msg);

	ql_source *src;
	if (ql_source_open(path, NULL, &src, &err))
		fail_msg("%s", err.msg);
	assert_int_equal(ql_source_count(src), N + 2);
	for (int k = 0; k < N; k++) {
		char name[64];
		snprintf(name, sizeof name, "t.%s", ql_dtypes[dts[k]].name);
		long i = ql_source_find(src, name);
		assert_true(i >= 0);
		assert_int_equal(ql_source_read(src, (size_t)i, &err), 0);
		const ql_tensor *t = ql_source_tensor(src, (size_t)i);
		assert_int_equal(t->dtype, dts[k]);
		assert_int_equal(t->ndim, 2);
		size_t size = (size_t)ql_dtypes[dts[k]].block_bytes;
		assert_int_equal(t->nbytes, 15 * size);
		assert_int_equal((uintptr_t)t->data % size, 0); /* aligned in the map */
		assert_memory_equal(t->data, dts[k] == QL_DT_BOOL ? bools : data, t->nbytes);
	}
	long i = ql_source_find(src, "scalar");
	assert_true(i >= 0);
	const ql_tensor *t = ql_source_tensor(src, (size_t)i);
	assert_int_equal(t->ndim, 0);
	assert_int_equal(t->nelem, 1);
	i = ql_source_find(src, "empty");
	t = ql_source_tensor(src, (size_t)i);
	assert_int_equal(t->nelem, 0);
	assert_int_equal(t->shape[0], 4);
	float *x;
	assert_int_equal(ql_source_read_f32(src, (size_t)i, &x, &err), 0);
	free(x);
	assert_int_equal(ql_source_meta_count(src), 2);
	assert_string_equal(ql_source_meta(src, 0)->key, "qlens.scheme");
	assert_string_equal(ql_source_meta(src, 1)->value, "\xc3\xa9t\xc3\xa9");
	/* the open file is an input now: no writer may replace it */
	assert_int_equal(ql_writer_open(path, true, &w, &err), -1);
	assert_non_null(strstr(err.msg, "never overwrites its input"));
	ql_source_close(src);
	unlink(path);
}

/* --- decoding (tensor.c) ------------------------------------------------------------------ */

static void decode_all16(ql_dtype dt, ql_type ref)
{
	enum { N = 65536 };
	uint8_t *le = malloc(2 * N), *be = malloc(2 * N);
	float *out = malloc(4 * N);
	for (int c = 0; c < N; c++) {
		le[2 * c] = (uint8_t)c, le[2 * c + 1] = (uint8_t)(c >> 8);
		be[2 * c] = (uint8_t)(c >> 8), be[2 * c + 1] = (uint8_t)c;
	}
	ql_tensor t = {.name = "all", .dtype = dt, .ndim = 2, .shape = {256, 256}, .nelem = N,
		       .nbytes = 2 * N, .data = le};
	ql_error err;
	for (int pass = 0; pass < 2; pass++) {
		t.data = pass ? be : le;
		t.big_endian = pass;
		assert_int_equal(ql_tensor_to_f32(&t, out, &err), 0);
		for (int c = 0; c < N; c++) {
			float want = (float)ql_decode(ref, (uint64_t)c);
			if (!same_f32(out[c], want))
				fail_msg("%s code 0x%04x: got %a, ql_decode says %a",
					 ql_dtypes[dt].name, c, (double)out[c], (double)want);
		}
	}
	free(le);
	free(be);
	free(out);
}

static void test_decode_every_half_code(void **state)
{
	(void)state;
	decode_all16(QL_DT_F16, QL_FP16);
	decode_all16(QL_DT_BF16, QL_BF16);
}

/* Q8_0 and Q4_0 blocks by hand (ggml's layout), at an aligned and an odd
 * address. */
static void test_decode_blocks(void **state)
{
	(void)state;
	uint8_t buf[1 + 2 * 34];
	uint8_t *q8 = buf + 1; /* odd address */
	/* block 0: d = 0.5 (fp16 0x3800), codes -16..15; block 1: d = 0, codes 1 */
	q8[0] = 0x00, q8[1] = 0x38;
	for (int j = 0; j < 32; j++)
		q8[2 + j] = (uint8_t)(int8_t)(j - 16);
	q8[34] = 0, q8[35] = 0;
	for (int j = 0; j < 32; j++)
		q8[36 + j] = 1;
	ql_tensor t = {.name = "q8", .dtype = QL_DT_Q8_0, .ndim = 2, .shape = {2, 32}, .nelem = 64,
		       .nbytes = 68, .data = q8};
	float out[64];
	ql_error err;
	for (int pass = 0; pass < 2; pass++) {
		if (pass) { /* the same bytes, aligned */
			static uint16_t aligned[34];
			memcpy(aligned, q8, 68);
			t.data = aligned;
		}
		assert_int_equal(ql_tensor_to_f32(&t, out, &err), 0);
		for (int j = 0; j < 32; j++)
			assert_true(out[j] == (float)(j - 16) * 0.5f);
		for (int j = 32; j < 64; j++)
			assert_true(out[j] == 0.0f);
	}
	/* Q4_0: d = -2 (0xC000); byte j holds element j (low) and j + 16 (high) */
	uint8_t q4[18] = {0x00, 0xC0};
	for (int j = 0; j < 16; j++)
		q4[2 + j] = (uint8_t)(j | (15 - j) << 4);
	ql_tensor t4 = {.name = "q4", .dtype = QL_DT_Q4_0, .ndim = 1, .shape = {32}, .nelem = 32,
			.nbytes = 18, .data = q4};
	assert_int_equal(ql_tensor_to_f32(&t4, out, &err), 0);
	for (int j = 0; j < 16; j++) {
		assert_true(out[j] == (float)(j - 8) * -2.0f);
		assert_true(out[j + 16] == (float)(15 - j - 8) * -2.0f);
	}
	/* not a whole number of blocks */
	t4.nelem = 31, t4.shape[0] = 31;
	assert_int_equal(ql_tensor_to_f32(&t4, out, &err), -1);
	assert_non_null(strstr(err.msg, "whole number"));
	/* OTHER */
	ql_tensor to = {.name = "o", .dtype = QL_DT_OTHER, .other_name = "IQ2_XXS", .ndim = 1,
			.shape = {4}, .nelem = 4, .nbytes = 4, .data = q4};
	assert_int_equal(ql_tensor_to_f32(&to, out, &err), -1);
	assert_non_null(strstr(err.msg, "cannot decode IQ2_XXS"));
}

static void test_dtype_helpers(void **state)
{
	(void)state;
	ql_dtype d;
	assert_true(ql_dtype_from_name("f16", &d) && d == QL_DT_F16);
	assert_true(ql_dtype_from_name("Q4_0", &d) && d == QL_DT_Q4_0);
	assert_true(ql_dtype_from_name("f8_e4m3", &d) && d == QL_DT_F8_E4M3);
	assert_false(ql_dtype_from_name("OTHER", &d));
	assert_false(ql_dtype_from_name("F17", &d));
	ql_type ty;
	assert_true(ql_dtype_format(QL_DT_BF16, &ty) && ty == QL_BF16);
	assert_true(ql_dtype_format(QL_DT_F8_E5M2, &ty) && ty == QL_FP8_E5M2);
	assert_false(ql_dtype_format(QL_DT_I32, &ty));
	for (int i = 0; i < QL_DT_COUNT; i++)
		assert_non_null(ql_dtypes[i].name);

	int64_t s[QL_MAX_DIMS] = {3, 4, 5};
	assert_int_equal(ql_shape_elems(s, 3), 60);
	assert_int_equal(ql_shape_elems(s, 0), 1);
	int64_t big[] = {INT64_C(1) << 32, INT64_C(1) << 31};
	assert_int_equal(ql_shape_elems(big, 2), -1); /* 2^63 does not fit */
	int64_t fits[] = {INT64_C(1) << 31, INT64_C(1) << 31};
	assert_int_equal(ql_shape_elems(fits, 2), INT64_C(1) << 62);
	int64_t neg[] = {2, -1};
	assert_int_equal(ql_shape_elems(neg, 2), -1);
	int64_t zero[] = {1 << 20, 0, 1 << 20};
	assert_int_equal(ql_shape_elems(zero, 3), 0);
	/* An empty shape whose other dimensions multiply past int64 is refused,
	 * as NumPy refuses np.empty((2**62, 0, 2**62)) ("array is too big"):
	 * code that walks a shape multiplies the dimensions around an axis. */
	int64_t zero_huge[] = {INT64_MAX, 0, INT64_MAX};
	assert_int_equal(ql_shape_elems(zero_huge, 3), -1);
	assert_int_equal(ql_shape_elems(s, QL_MAX_DIMS + 1), -1);

	assert_int_equal(ql_dtype_bytes(QL_DT_F32, 10), 40);
	assert_int_equal(ql_dtype_bytes(QL_DT_Q4_0, 64), 36);
	assert_int_equal(ql_dtype_bytes(QL_DT_Q8_0, 33), -1);
	assert_int_equal(ql_dtype_bytes(QL_DT_F64, INT64_MAX / 4), -1);
	assert_int_equal(ql_dtype_bytes(QL_DT_OTHER, 4), -1);

	ql_tensor t = {.ndim = 3, .shape = {4, 8, 16}};
	char buf[64];
	ql_shape_string(&t, buf, sizeof buf);
	assert_string_equal(buf, "4x8x16");
	t.ndim = 0;
	ql_shape_string(&t, buf, sizeof buf);
	assert_string_equal(buf, "scalar");
	t.ndim = 2;
	t.shape[0] = 123456, t.shape[1] = 7;
	ql_shape_string(&t, buf, 5);
	assert_int_equal(strlen(buf) < 5, 1);
}

/* Extremes of every integer width decode as C's conversion (round to
 * nearest even above 2^24), both byte orders. */
static void test_decode_ints(void **state)
{
	(void)state;
	uint8_t le[8], be[8];
	uint64_t v = UINT64_MAX;
	for (int i = 0; i < 8; i++)
		le[i] = (uint8_t)(v >> (8 * i)), be[7 - i] = (uint8_t)(v >> (8 * i));
	ql_tensor t = {.name = "u", .dtype = QL_DT_U64, .ndim = 0, .nelem = 1, .nbytes = 8, .data = le};
	float out;
	ql_error err;
	assert_int_equal(ql_tensor_to_f32(&t, &out, &err), 0);
	assert_true(out == 18446744073709551616.0f);
	t.data = be, t.big_endian = true;
	assert_int_equal(ql_tensor_to_f32(&t, &out, &err), 0);
	assert_true(out == 18446744073709551616.0f);
	t.dtype = QL_DT_I64;
	assert_int_equal(ql_tensor_to_f32(&t, &out, &err), 0);
	assert_true(out == -1.0f);
	uint8_t i32[4] = {0x01, 0x00, 0x00, 0x01}; /* 16777217 little-endian */
	ql_tensor t2 = {.name = "i", .dtype = QL_DT_I32, .ndim = 0, .nelem = 1, .nbytes = 4, .data = i32};
	assert_int_equal(ql_tensor_to_f32(&t2, &out, &err), 0);
	assert_true(out == 16777216.0f);
	/* data shorter than the shape needs */
	t2.nbytes = 3;
	assert_int_equal(ql_tensor_to_f32(&t2, &out, &err), -1);
}

/* Random byte flips of a valid file: opening and decoding either works or
 * fails with a message; never a crash (ASan/UBSan watch). Fixed seed. */
static void test_mutations(void **state)
{
	(void)state;
	tu_byte_flips(GOLDEN "all_dtypes.safetensors", tmpdir, "safetensors", 3000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden_all_dtypes),
		cmocka_unit_test(test_no_tensors),
		cmocka_unit_test(test_corpus),
		cmocka_unit_test(test_truncations),
		cmocka_unit_test(test_mutations),
		cmocka_unit_test(test_write_matches_reference),
		cmocka_unit_test(test_roundtrip_all_dtypes),
		cmocka_unit_test(test_decode_every_half_code),
		cmocka_unit_test(test_decode_blocks),
		cmocka_unit_test(test_dtype_helpers),
		cmocka_unit_test(test_decode_ints),
	};
	return cmocka_run_group_tests(tests, make_tmpdir, remove_tmpdir);
}
