/* test_npz.c — the .npz and sharded-safetensors readers against files made
 * by tests/golden/gen_readers.py: numpy.savez, numpy.savez_compressed, a
 * zip written by Python's zipfile with zip64 records everywhere, and a
 * two-shard checkpoint with its model.safetensors.index.json.
 *
 * Every array is compared, bytes and decoded floats, with the same array
 * saved alone by numpy.save. Also: truncations of both archives fail
 * cleanly, reading deflated tensors one after another keeps one buffer,
 * and every file of tests/corpus/npz/ and tests/corpus/shards/ is handled.
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
	if (ql_source_open(path, NULL, &src, &err))
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


/* Tensor `name` of src equals the single array of the .npy `expect`: same
 * dtype, shape, order flags, bytes and decoded floats. */
static void check_against_npy(ql_source *src, const char *name, const char *expect)
{
	ql_error err = { "" };
	long i = ql_source_find(src, name);
	if (i < 0)
		fail_msg("no tensor %s", name);
	ql_source *ex = open_ok(golden(expect));
	const ql_tensor *te = ql_source_tensor(ex, 0);
	const ql_tensor *tg = ql_source_tensor(src, (size_t)i);
	assert_int_equal(tg->dtype, te->dtype);
	assert_int_equal(tg->ndim, te->ndim);
	for (int d = 0; d < te->ndim; d++)
		assert_int_equal(tg->shape[d], te->shape[d]);
	assert_int_equal(tg->nbytes, te->nbytes);
	assert_int_equal(tg->big_endian, te->big_endian);
	assert_int_equal(tg->fortran_order, te->fortran_order);
	if (ql_source_read(src, (size_t)i, &err) || ql_source_read(ex, 0, &err))
		fail_msg("%s: %s", name, err.msg);
	assert_memory_equal(ql_source_tensor(src, (size_t)i)->data, te->data, te->nbytes ? te->nbytes : 0);
	float *got = NULL, *want = NULL;
	if (ql_source_read_f32(src, (size_t)i, &got, &err) || ql_source_read_f32(ex, 0, &want, &err))
		fail_msg("%s: %s", name, err.msg);
	tu_assert_same_floats(got, want, te->nelem, name);
	free(got);
	free(want);
	ql_source_close(ex);
}

static const char *const npz_names[] = { "a", "b", "c", "d", "e", "f", "g", "h", "layers/0/w" };
static const char *const npz_files[] = {
	"npz_expect/a.npy", "npz_expect/b.npy", "npz_expect/c.npy", "npz_expect/d.npy",
	"npz_expect/e.npy", "npz_expect/f.npy", "npz_expect/g.npy", "npz_expect/h.npy",
	"npz_expect/layers_0_w.npy",
};

static void check_archive(const char *file, const char *members)
{
	ql_source *src = open_ok(golden(file));
	assert_string_equal(ql_source_format(src), "npz");
	assert_string_equal(meta(src, "members"), members);
	assert_int_equal(ql_source_count(src), 9);
	for (size_t k = 0; k < 9; k++) {
		assert_string_equal(ql_source_tensor(src, k)->name, npz_names[k]);
		check_against_npy(src, npz_names[k], npz_files[k]);
	}
	ql_source_close(src);
}

static void test_savez(void **state)
{
	(void)state;
	check_archive("stored.npz", "stored (savez)");
}

static void test_savez_compressed(void **state)
{
	(void)state;
	check_archive("compressed.npz", "deflated (savez_compressed)");
}

static void test_zip64(void **state)
{
	(void)state;
	ql_source *src = open_ok(golden("zip64.npz"));
	assert_int_equal(ql_source_count(src), 3);
	assert_string_equal(meta(src, "skipped"), "1 member that is not a .npy array");
	check_against_npy(src, "a", "npz_expect/a.npy");
	check_against_npy(src, "c", "npz_expect/c.npy");
	check_against_npy(src, "layers/0/w", "npz_expect/layers_0_w.npy");
	ql_source_close(src);
}

/* Members named without ".npy" that hold arrays (numpy.load reads them by
 * their whole name), stored and deflated; a text member is skipped. */
static void test_no_suffix(void **state)
{
	(void)state;
	ql_source *src = open_ok(golden("nosuffix.npz"));
	assert_int_equal(ql_source_count(src), 2);
	assert_string_equal(meta(src, "skipped"), "1 member that is not a .npy array");
	assert_string_equal(meta(src, "members"), "stored and deflated");
	check_against_npy(src, "bare_a", "npz_expect/a.npy");
	check_against_npy(src, "bare_c", "npz_expect/c.npy");
	ql_source_close(src);
}

static void test_empty_archive(void **state)
{
	(void)state;
	ql_source *src = open_ok(golden("empty.npz"));
	assert_int_equal(ql_source_count(src), 0);
	ql_source_close(src);
}

/* Deflated tensors are inflated one at a time: reading the next one drops
 * the previous buffer (its data pointer goes back to NULL). */
static void test_one_buffer(void **state)
{
	(void)state;
	ql_source *src = open_ok(golden("compressed.npz"));
	ql_error err = { "" };
	assert_int_equal(ql_source_read(src, 0, &err), 0);
	assert_non_null(ql_source_tensor(src, 0)->data);
	assert_int_equal(ql_source_read(src, 1, &err), 0);
	assert_null(ql_source_tensor(src, 0)->data);
	assert_non_null(ql_source_tensor(src, 1)->data);
	assert_int_equal(ql_source_read(src, 0, &err), 0);
	assert_non_null(ql_source_tensor(src, 0)->data);
	ql_source_close(src);
}

static void test_shards(void **state)
{
	(void)state;
	static const char *const names[] = {
		"model.embed_tokens.weight", "model.layers.0.w", "model.layers.1.w", "lm_head.weight",
	};
	/* the index, and either shard, open the whole checkpoint */
	static const char *const entry[] = {
		"sharded/model.safetensors.index.json",
		"sharded/model-00001-of-00002.safetensors",
		"sharded/model-00002-of-00002.safetensors",
	};
	for (size_t e = 0; e < 3; e++) {
		ql_source *src = open_ok(golden(entry[e]));
		assert_string_equal(ql_source_format(src), "safetensors-sharded");
		assert_string_equal(meta(src, "shards"), "2");
		assert_string_equal(meta(src, "total_size"), "416");
		assert_string_equal(meta(src, "format"), "pt");
		assert_int_equal(ql_source_count(src), 4);
		for (size_t i = 0; i < 4; i++) {
			char expect[300];
			snprintf(expect, sizeof expect, "sharded/expect_%s.npy", names[i]);
			ql_error err = { "" };
			float *got = NULL, *want = NULL;
			long k = ql_source_find(src, names[i]);
			assert_true(k >= 0);
			ql_source *ex = open_ok(golden(expect));
			if (ql_source_read_f32(src, (size_t)k, &got, &err) ||
			    ql_source_read_f32(ex, 0, &want, &err))
				fail_msg("%s", err.msg);
			tu_assert_same_floats(got, want, ql_source_tensor(ex, 0)->nelem, names[i]);
			free(got);
			free(want);
			ql_source_close(ex);
		}
		assert_int_equal(ql_source_tensor(src, ql_source_find(src, "model.layers.0.w"))->dtype,
				 QL_DT_F16);
		ql_source_close(src);
	}
}

static void truncations(const char *file)
{
	FILE *f = fopen(golden(file), "rb");
	assert_non_null(f);
	static uint8_t buf[1 << 16];
	size_t n = fread(buf, 1, sizeof buf, f);
	fclose(f);
	assert_true(n > 100 && n < sizeof buf);
	char tmp[] = "/tmp/qlens-test-npz-XXXXXX.npz";
	int fd = mkstemps(tmp, 4);
	assert_true(fd >= 0);
	for (size_t len = 0; len < n; len++) {
		tu_rewrite_fd(fd, buf, len);
		ql_source *src = NULL;
		ql_error err = { "" };
		if (ql_source_open(tmp, NULL, &src, &err) == 0) {
			/* A cut inside the trailing comment area cannot happen
			 * (numpy writes none): every prefix must fail. */
			ql_source_close(src);
			fail_msg("%s: a %zu-byte prefix opened", file, len);
		}
		assert_true(strncmp(err.msg, tmp, strlen(tmp)) == 0);
	}
	close(fd);
	unlink(tmp);
}

static void test_truncations(void **state)
{
	(void)state;
	truncations("stored.npz");
	truncations("compressed.npz");
}

/* Flipping each byte of the compressed archive, one at a time: opening and
 * reading every tensor either works or fails with one line. */
static void test_byte_flips(void **state)
{
	(void)state;
	FILE *f = fopen(golden("compressed.npz"), "rb");
	assert_non_null(f);
	static uint8_t buf[1 << 16];
	size_t n = fread(buf, 1, sizeof buf, f);
	fclose(f);
	char tmp[] = "/tmp/qlens-test-npzf-XXXXXX.npz";
	int fd = mkstemps(tmp, 4);
	assert_true(fd >= 0);
	for (size_t pos = 0; pos < n; pos += 3) {
		uint8_t saved = buf[pos];
		buf[pos] ^= 0x5A;
		tu_rewrite_fd(fd, buf, n);
		buf[pos] = saved;
		ql_source *src = NULL;
		ql_error err = { "" };
		if (ql_source_open(tmp, NULL, &src, &err))
			continue;
		for (size_t i = 0; i < ql_source_count(src); i++) {
			float *v = NULL;
			if (ql_source_read_f32(src, i, &v, &err) == 0)
				free(v);
			else
				assert_null(strchr(err.msg, '\n'));
		}
		ql_source_close(src);
	}
	close(fd);
	unlink(tmp);
}

/* Opens one corpus file: bad_* must fail to open (one line), badread_*
 * must open and then fail to read, ok_* must open. */
static void corpus_file(const char *path, const char *base)
{
	ql_source *src = NULL;
	ql_error err = { "" };
	bool bad = strncmp(base, "bad_", 4) == 0, badread = strncmp(base, "badread_", 8) == 0;
	if (ql_source_open(path, NULL, &src, &err)) {
		assert_null(strchr(err.msg, '\n'));
		if (!bad)
			fail_msg("%s: %s", base, err.msg);
		return;
	}
	if (bad) {
		ql_source_close(src);
		fail_msg("%s opened, but it is malformed", base);
	}
	bool failed = false;
	for (size_t i = 0; i < ql_source_count(src); i++) {
		float *v = NULL;
		if (ql_source_read_f32(src, i, &v, &err) == 0)
			free(v);
		else
			failed = true;
	}
	ql_source_close(src);
	if (badread && !failed)
		fail_msg("%s: read cleanly, but its data is damaged", base);
}

static void run_corpus(const char *sub, bool folders)
{
	char cdir[1200];
	const char *srcdir = getenv("QLENS_SRCDIR");
	snprintf(cdir, sizeof cdir, "%s/tests/corpus/%s", srcdir ? srcdir : ".", sub);
	DIR *d = opendir(cdir);
	if (!d)
		fail_msg("no corpus folder %s", cdir);
	struct dirent *de;
	int seen = 0;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		char path[2400];
		if (folders)
			snprintf(path, sizeof path, "%s/%s/model.safetensors.index.json", cdir, de->d_name);
		else
			snprintf(path, sizeof path, "%s/%s", cdir, de->d_name);
		corpus_file(path, de->d_name);
		seen++;
	}
	closedir(d);
	assert_true(seen >= 10);
}

static void test_corpus(void **state)
{
	(void)state;
	char probe[1200];
	const char *srcdir = getenv("QLENS_SRCDIR");
	snprintf(probe, sizeof probe, "%s/tests/corpus/npz", srcdir ? srcdir : ".");
	if (access(probe, F_OK) != 0)
		skip();
	run_corpus("npz", false);
	run_corpus("shards", true);
}

int main(void)
{
	const char *srcdir = getenv("QLENS_SRCDIR");
	snprintf(dir, sizeof dir, "%s/tests/golden/readers", srcdir ? srcdir : ".");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_savez),
		cmocka_unit_test(test_savez_compressed),
		cmocka_unit_test(test_zip64),
		cmocka_unit_test(test_no_suffix),
		cmocka_unit_test(test_empty_archive),
		cmocka_unit_test(test_one_buffer),
		cmocka_unit_test(test_shards),
		cmocka_unit_test(test_truncations),
		cmocka_unit_test(test_byte_flips),
		cmocka_unit_test(test_corpus),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
