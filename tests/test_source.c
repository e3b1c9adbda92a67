/* test_source.c — the tensor-source interface itself: reading a tensor,
 * releasing its pages, and reading it again gives the same bytes, for each
 * backend that maps files (safetensors, sharded safetensors, npz, gguf). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "qlens/io.h"

static void read_release_read(const char *path)
{
	ql_source *src;
	ql_error err = {""};
	if (ql_source_open(path, NULL, &src, &err)) {
		fprintf(stderr, "%s: %s\n", path, err.msg);
		fail();
	}
	assert_true(ql_source_count(src) > 0);
	for (size_t i = 0; i < ql_source_count(src); i++) {
		float *a = NULL, *b = NULL;
		const ql_tensor *t = ql_source_tensor(src, i);
		if (ql_source_read_f32(src, i, &a, &err))
			continue; /* types qlens lists but cannot decode */
		ql_source_release(src, i);
		/* for mapped data, release forgets the pointer; a read restores it */
		assert_int_equal(ql_source_read(src, i, &err), 0);
		assert_non_null(t->data);
		assert_int_equal(ql_source_read_f32(src, i, &b, &err), 0);
		assert_memory_equal(a, b, (size_t)t->nelem * sizeof(float));
		ql_source_release(src, i);
		ql_source_release(src, i); /* twice is harmless */
		free(a);
		free(b);
	}
	ql_source_release(src, ql_source_count(src) + 5); /* out of range: ignored */
	ql_source_close(src);
}

static void test_safetensors(void **state)
{
	(void)state;
	read_release_read("tests/golden/files/all_dtypes.safetensors");
}

static void test_sharded(void **state)
{
	(void)state;
	read_release_read("tests/golden/readers/sharded/model.safetensors.index.json");
}

static void test_npz(void **state)
{
	(void)state;
	read_release_read("tests/golden/readers/stored.npz");
	read_release_read("tests/golden/readers/compressed.npz");
}

static void test_gguf(void **state)
{
	(void)state;
	read_release_read("tests/golden/readers/tiny_v3.gguf");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_safetensors),
		cmocka_unit_test(test_sharded),
		cmocka_unit_test(test_npz),
		cmocka_unit_test(test_gguf),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
