/* test_source.c — the tensor-source interface itself: reading a tensor,
 * releasing its pages, and reading it again gives the same values, for each
 * backend that maps files (safetensors, sharded safetensors, npz, gguf).
 *
 * Both reads are compared with an independent decode, not with each other:
 * the float32 values numpy/PyTorch computed for each tensor when the golden
 * files were made (FILE.TENSOR.f32 in tests/golden/files, by gen_files.py;
 * the .npy files of readers/sharded/expect_NAME, readers/npz_expect and
 * readers/gguf_expect, by gen_readers.py). A tensor qlens lists but
 * cannot decode (GGUF Q4_K, MXFP4) must be named here as such: its read
 * must fail, and every other tensor must have a reference.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <math.h>
#include <unistd.h>

#include "qlens/io.h"
#include "testutil.h"

/* Where the expected values of tensor `name` are: a .npy of float32 or raw
 * little-endian float32 (.f32). NULL: this tensor cannot be decoded; "": it
 * decodes, with no golden file here (both reads are compared with each
 * other). */
typedef const char *(*expect_fn)(const char *name, char *buf, size_t n);

/* The reference values (malloc'd, nelem floats). */
static float *reference(const char *path, int64_t nelem)
{
	size_t len = strlen(path);
	if (len > 4 && !strcmp(path + len - 4, ".f32")) {
		size_t n;
		uint8_t *raw = tu_slurp(path, &n);
		if (!raw)
			fail_msg("cannot read %s", path);
		assert_int_equal(n, (size_t)nelem * 4);
		return (float *)raw; /* little-endian float32, this machine's order */
	}
	ql_source *src;
	ql_error err = { "" };
	float *x = NULL;
	if (ql_source_open(path, NULL, &src, &err) || ql_source_read_f32(src, 0, &x, &err))
		fail_msg("%s: %s", path, err.msg);
	assert_int_equal(ql_source_tensor(src, 0)->nelem, nelem);
	ql_source_close(src);
	return x;
}


static void read_release_read(const char *path, expect_fn expect)
{
	ql_source *src;
	ql_error err = {""};
	if (ql_source_open(path, NULL, &src, &err)) {
		fprintf(stderr, "%s: %s\n", path, err.msg);
		fail();
	}
	assert_true(ql_source_count(src) > 0);
	int compared = 0;
	for (size_t i = 0; i < ql_source_count(src); i++) {
		float *a = NULL, *b = NULL;
		const ql_tensor *t = ql_source_tensor(src, i);
		char ref[1024];
		const char *ref_path = expect(t->name, ref, sizeof ref);
		if (!ref_path) {
			if (ql_source_read_f32(src, i, &a, &err) == 0)
				fail_msg("%s: tensor '%s' is listed as undecodable but decoded", path,
					 t->name);
			continue;
		}
		if (ql_source_read_f32(src, i, &a, &err))
			fail_msg("%s: tensor '%s': %s", path, t->name, err.msg);
		/* "": no golden file here; the second read must equal the first */
		float *want = ref_path[0] ? reference(ref_path, t->nelem) : NULL;
		if (!want) {
			want = malloc((size_t)(t->nelem ? t->nelem : 1) * sizeof *want);
			assert_non_null(want);
			memcpy(want, a, (size_t)t->nelem * sizeof *want);
		}
		tu_assert_same_floats(a, want, t->nelem, t->name);
		ql_source_release(src, i);
		/* for mapped data, release forgets the pointer; a read restores it */
		assert_int_equal(ql_source_read(src, i, &err), 0);
		assert_non_null(t->data);
		assert_int_equal(ql_source_read_f32(src, i, &b, &err), 0);
		tu_assert_same_floats(b, want, t->nelem, t->name);
		ql_source_release(src, i);
		ql_source_release(src, i); /* twice is harmless */
		free(want);
		free(a);
		free(b);
		compared++;
	}
	assert_true(compared > 0);
	ql_source_release(src, ql_source_count(src) + 5); /* out of range: ignored */
	ql_source_close(src);
}

/* The process's resident pages of files (RssFile in /proc/self/status), KiB. */
static long rss_file_kib(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kib = -1;
	while (f && fgets(line, sizeof line, f))
		if (sscanf(line, "RssFile: %ld", &kib) == 1)
			break;
	if (f)
		fclose(f);
	return kib;
}

/* ql_source_set_threads: a big tensor's pages are dropped on several
 * threads at once (parts of 8 MiB or more), all of them, and read again
 * from the file the same; on 1, 2, 3 and 0 (one per CPU) threads. */
static void test_release_threads(void **state)
{
	(void)state;
	enum { N = 6 << 20 }; /* 24 MiB of float32: up to 3 parts */
	char path[] = "/tmp/qlens-test-release-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	float *v = malloc((size_t)N * sizeof *v);
	assert_non_null(v);
	for (size_t i = 0; i < N; i++)
		v[i] = (float)(i % 1000003) * 0.25f - 7.0f;
	FILE *f = tu_npy_create(path, "<f4", false, N, 0);
	assert_int_equal(fwrite(v, sizeof *v, N, f), (size_t)N);
	assert_int_equal(fclose(f), 0);
	const int threads[] = {1, 2, 3, 0};
	for (size_t k = 0; k < sizeof threads / sizeof threads[0]; k++) {
		ql_source *src;
		ql_error err;
		assert_int_equal(ql_source_open(path, NULL, &src, &err), 0);
		ql_source_set_threads(src, threads[k]);
		for (int round = 0; round < 2; round++) {
			assert_int_equal(ql_source_read(src, 0, &err), 0);
			const ql_tensor *t = ql_source_tensor(src, 0);
			assert_int_equal(t->nelem, N);
			long before = rss_file_kib();
			assert_memory_equal(t->data, v, (size_t)N * sizeof *v); /* every page in */
			long in = rss_file_kib();
			ql_source_release(src, 0);
			long out = rss_file_kib();
			/* where /proc tells: all 24 MiB in, then out (the counts lag
			 * by up to 64 pages a thread; a part left undropped is 8 MiB) */
			if (before >= 0) {
				if (in - out < (long)N * 4 / 1024 - 1024)
					fail_msg("threads %d: %ld KiB of file pages before, %ld read in, "
						 "%ld after release",
						 threads[k], before, in, out);
			}
		}
		assert_int_equal(ql_source_read(src, 0, &err), 0); /* and closed while mapped */
		ql_source_close(src);
	}
	free(v);
	unlink(path);
}

static const char *expect_safetensors(const char *name, char *buf, size_t n)
{
	snprintf(buf, n, "tests/golden/files/all_dtypes.safetensors.%s.f32", name);
	return buf;
}

static const char *expect_sharded(const char *name, char *buf, size_t n)
{
	snprintf(buf, n, "tests/golden/readers/sharded/expect_%s.npy", name);
	return buf;
}

static const char *expect_npz(const char *name, char *buf, size_t n)
{
	snprintf(buf, n, "tests/golden/readers/npz_expect/%s.npy", name);
	for (char *p = buf + strlen("tests/golden/readers/npz_expect/"); *p; p++)
		if (*p == '/')
			*p = '_';
	return buf;
}

static const char *expect_gguf(const char *name, char *buf, size_t n)
{
	if (!strcmp(name, "blk.0.attn_q.weight") || !strcmp(name, "blk.0.mxfp4"))
		return ""; /* Q4_K and MXFP4: checked against ggml by test_ggml_blocks */
	if (!strcmp(name, "empty"))
		snprintf(buf, n, "tests/golden/files/all_dtypes.safetensors.empty.f32");
	else
		snprintf(buf, n, "tests/golden/readers/gguf_expect/%s.npy", name);
	return buf;
}

static void test_safetensors(void **state)
{
	(void)state;
	read_release_read("tests/golden/files/all_dtypes.safetensors", expect_safetensors);
}

static void test_sharded(void **state)
{
	(void)state;
	read_release_read("tests/golden/readers/sharded/model.safetensors.index.json", expect_sharded);
}

static void test_npz(void **state)
{
	(void)state;
	read_release_read("tests/golden/readers/stored.npz", expect_npz);
	read_release_read("tests/golden/readers/compressed.npz", expect_npz);
}

static void test_gguf(void **state)
{
	(void)state;
	read_release_read("tests/golden/readers/tiny_v3.gguf", expect_gguf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_safetensors),
		cmocka_unit_test(test_sharded),
		cmocka_unit_test(test_npz),
		cmocka_unit_test(test_gguf),
		cmocka_unit_test(test_release_threads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
