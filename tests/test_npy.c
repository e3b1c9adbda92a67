/* test_npy.c — .npy reading and writing, and ql_writer's safety rules.
 *
 * References that do not share qlens's code:
 *   - files written by numpy 1.24 (tests/golden/files/, made by
 *     tests/golden/gen_files.py) with the float32 values numpy's own
 *     astype(float32) gives (FILE.f32), covering every dtype, both byte
 *     orders, Fortran order, versions 1.0/2.0/3.0, 0-d and empty arrays;
 *   - np.save's exact bytes (npsave_*.npy), which the writer must reproduce;
 *   - malformed files (tests/corpus/, made by tests/corpus/gen_corpus.py),
 *     each with the error it must produce; and every truncation of valid
 *     files, made here.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "qlens/io.h"
#include "../src/io/writer_impl.h"
#include "testutil.h"
#include "qlens/tensor.h"

#define GOLDEN "tests/golden/files/"
#define CORPUS "tests/corpus/"

/* --- helpers ------------------------------------------------------------------------ */

static char tmpdir[64];

static int make_tmpdir(void **state)
{
	(void)state;
	return tu_make_tmpdir(tmpdir, sizeof tmpdir, "npy");
}

static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	int n = 0;
	struct dirent *e;
	while (d && (e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	if (d)
		closedir(d);
	return n;
}

static int remove_tmpdir(void **state)
{
	(void)state;
	tu_remove_tmpdir(tmpdir);
	return 0;
}

/* Same float32, bit for bit; NaN matches NaN of the same sign. */
static bool same_f32(float a, float b)
{
	if (isnan(a) || isnan(b))
		return isnan(a) && isnan(b) && signbit(a) == signbit(b);
	uint32_t x, y;
	memcpy(&x, &a, 4);
	memcpy(&y, &b, 4);
	return x == y;
}

/* Opening must fail with one line "PATH: ...want...". */
static void expect_open_error(const char *path, const char *want)
{
	ql_source *src = (ql_source *)1;
	ql_error err = {{0}};
	int rc = ql_source_open(path, NULL, &src, &err);
	if (rc == 0) {
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

/* Runs fn on every manifest line for files ending in ext. */
typedef struct mcase {
	char file[128], tensor[256], dtype[32];
	int fortran, ndim;
	int64_t shape[QL_MAX_DIMS];
} mcase;

static int for_manifest(const char *ext, void (*fn)(const mcase *c))
{
	FILE *f = fopen(GOLDEN "manifest.txt", "r");
	assert_non_null(f);
	char line[1024];
	int count = 0;
	while (fgets(line, sizeof line, f)) {
		if (line[0] == '#')
			continue;
		mcase c = {0};
		int off = 0;
		assert_int_equal(sscanf(line, "%127s %255s %31s %d %d%n", c.file, c.tensor, c.dtype,
					&c.fortran, &c.ndim, &off), 5);
		for (int i = 0; i < c.ndim; i++) {
			long long d;
			int k = 0;
			assert_int_equal(sscanf(line + off, "%lld%n", &d, &k), 1);
			c.shape[i] = d;
			off += k;
		}
		size_t n = strlen(c.file), e = strlen(ext);
		if (n >= e && strcmp(c.file + n - e, ext) == 0) {
			fn(&c);
			count++;
		}
	}
	fclose(f);
	return count;
}

/* --- reading -------------------------------------------------------------------------- */

static void check_golden(const mcase *c)
{
	char path[256], expath[300];
	snprintf(path, sizeof path, GOLDEN "%s", c->file);
	ql_source *src;
	ql_error err;
	if (ql_source_open(path, NULL, &src, &err))
		fail_msg("%s", err.msg);
	assert_string_equal(ql_source_format(src), "npy");
	assert_int_equal(ql_source_count(src), 1);
	long i = ql_source_find(src, c->tensor);
	assert_int_equal(i, 0);
	const ql_tensor *t = ql_source_tensor(src, 0);
	assert_string_equal(ql_dtypes[t->dtype].name, c->dtype);
	assert_int_equal(t->ndim, c->ndim);
	for (int d = 0; d < c->ndim; d++)
		assert_int_equal(t->shape[d], c->shape[d]);
	assert_int_equal(t->fortran_order, c->fortran != 0);
	float *x;
	if (ql_source_read_f32(src, 0, &x, &err))
		fail_msg("%s", err.msg);
	snprintf(expath, sizeof expath, "%s.f32", path);
	size_t n;
	uint8_t *want = tu_slurp(expath, &n);
	assert_non_null(want);
	assert_int_equal(n, (size_t)t->nelem * 4);
	for (int64_t k = 0; k < t->nelem; k++) {
		float w;
		memcpy(&w, want + 4 * k, 4);
		if (!same_f32(x[k], w))
			fail_msg("%s[%lld]: got %a, numpy says %a", c->file, (long long)k, (double)x[k],
				 (double)w);
	}
	free(want);
	free(x);
	ql_source_close(src);
}

static void test_golden_files(void **state)
{
	(void)state;
	int n = for_manifest(".npy", check_golden);
	assert_true(n >= 30);
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
		if (n < 4 || strcmp(line + n - 4, ".npy") != 0)
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

/* Every prefix of a valid file fails cleanly; so does one byte more. */
static void truncate_all(const char *golden)
{
	size_t n;
	uint8_t *data = tu_slurp(golden, &n);
	assert_non_null(data);
	char path[256];
	snprintf(path, sizeof path, "%s/cut.npy", tmpdir);
	for (size_t len = 0; len < n; len++) {
		tu_spew(path, data, len);
		ql_source *src;
		ql_error err;
		if (ql_source_open(path, NULL, &src, &err) == 0) {
			ql_source_close(src);
			fail_msg("%s cut to %zu of %zu bytes opened", golden, len, n);
		}
		assert_int_equal(strncmp(err.msg, path, strlen(path)), 0);
	}
	uint8_t *more = malloc(n + 1);
	memcpy(more, data, n);
	more[n] = 0;
	tu_spew(path, more, n + 1);
	expect_open_error(path, "bytes after the array");
	free(more);
	free(data);
	unlink(path);
}

static void test_truncations(void **state)
{
	(void)state;
	truncate_all(GOLDEN "f4_le.npy");
	truncate_all(GOLDEN "fortran_i2_be.npy");
	truncate_all(GOLDEN "v2_f8.npy");
	truncate_all(GOLDEN "v3_f8.npy");
	truncate_all(GOLDEN "scalar.npy");
}

static void test_missing_file(void **state)
{
	(void)state;
	expect_open_error("tests/corpus/no-such-file.npy", "No such file");
	expect_open_error("tests/corpus", "is a directory");
}

/* --- writing -------------------------------------------------------------------------- */

/* The writer reproduces np.save byte for byte. */
static void write_like_numpy(const char *name, ql_dtype dt, const int64_t *shape, int ndim,
			     const void *data)
{
	char path[256], golden[256];
	snprintf(path, sizeof path, "%s/%s.npy", tmpdir, name);
	snprintf(golden, sizeof golden, GOLDEN "%s.npy", name);
	ql_writer *w;
	ql_error err;
	if (ql_writer_open(path, false, &w, &err) || ql_writer_add(w, name, dt, shape, ndim, data, &err) ||
	    ql_writer_close(w, &err))
		fail_msg("%s", err.msg);
	size_t a, b;
	uint8_t *mine = tu_slurp(path, &a), *theirs = tu_slurp(golden, &b);
	assert_non_null(mine);
	assert_non_null(theirs);
	assert_int_equal(a, b);
	assert_memory_equal(mine, theirs, a);
	free(mine);
	free(theirs);
	unlink(path);
}

static void test_write_matches_numpy(void **state)
{
	(void)state;
	float f[6] = {0, 0.5f, 1, 1.5f, 2, 2.5f};
	int64_t s23[] = {2, 3};
	write_like_numpy("npsave_f4", QL_DT_F32, s23, 2, f);
	int64_t i8 = -7;
	write_like_numpy("npsave_i8_scalar", QL_DT_I64, NULL, 0, &i8);
	uint8_t b[3] = {1, 0, 1};
	int64_t s3[] = {3};
	write_like_numpy("npsave_b1", QL_DT_BOOL, s3, 1, b);
	int64_t s04[] = {0, 4};
	write_like_numpy("npsave_empty", QL_DT_F16, s04, 2, NULL);
	uint16_t u[24];
	for (int i = 0; i < 24; i++)
		u[i] = (uint16_t)i;
	int64_t s1234[] = {1, 2, 3, 4};
	write_like_numpy("npsave_u2_4d", QL_DT_U16, s1234, 4, u);
}

/* Every npy dtype survives a write and a read, bytes unchanged. */
static void test_roundtrip_all_dtypes(void **state)
{
	(void)state;
	static const ql_dtype dts[] = {QL_DT_BOOL, QL_DT_U8, QL_DT_I8, QL_DT_U16, QL_DT_I16,
				       QL_DT_U32, QL_DT_I32, QL_DT_U64, QL_DT_I64, QL_DT_F16,
				       QL_DT_F32, QL_DT_F64};
	uint8_t data[5 * 7 * 8];
	for (size_t i = 0; i < sizeof data; i++)
		data[i] = (uint8_t)(i * 37 + 11);
	int64_t shape[] = {5, 7};
	char path[256];
	snprintf(path, sizeof path, "%s/rt.npy", tmpdir);
	for (size_t k = 0; k < sizeof dts / sizeof dts[0]; k++) {
		if (dts[k] == QL_DT_BOOL)
			for (size_t i = 0; i < 35; i++)
				data[i] &= 1;
		ql_writer *w;
		ql_error err;
		if (ql_writer_open(path, true, &w, &err) ||
		    ql_writer_add(w, "rt", dts[k], shape, 2, data, &err) || ql_writer_close(w, &err))
			fail_msg("%s: %s", ql_dtypes[dts[k]].name, err.msg);
		ql_source *src;
		if (ql_source_open(path, NULL, &src, &err))
			fail_msg("%s: %s", ql_dtypes[dts[k]].name, err.msg);
		const ql_tensor *t = ql_source_tensor(src, 0);
		assert_int_equal(t->dtype, dts[k]);
		assert_int_equal(t->ndim, 2);
		assert_int_equal(t->shape[0], 5);
		assert_int_equal(t->shape[1], 7);
		assert_int_equal(ql_source_read(src, 0, &err), 0);
		assert_int_equal(t->nbytes, 35 * (uint64_t)ql_dtypes[dts[k]].block_bytes);
		assert_memory_equal(t->data, data, (size_t)t->nbytes);
		ql_source_close(src);
	}
	unlink(path);
}

static void test_writer_rules(void **state)
{
	(void)state;
	char path[256], other[256];
	snprintf(path, sizeof path, "%s/keep.npy", tmpdir);
	snprintf(other, sizeof other, "%s/x.txt", tmpdir);
	float v[2] = {1, 2};
	int64_t s[] = {2};
	ql_writer *w;
	ql_error err;
	int before = count_entries(tmpdir);

	/* a new file */
	assert_int_equal(ql_writer_open(path, false, &w, &err), 0);
	assert_int_equal(ql_writer_add(w, "a", QL_DT_F32, s, 1, v, &err), 0);
	/* npy holds one tensor and no metadata */
	assert_int_equal(ql_writer_add(w, "b", QL_DT_F32, s, 1, v, &err), -1);
	assert_non_null(strstr(err.msg, "holds one tensor"));
	assert_int_equal(ql_writer_meta(w, "k", "v", &err), -1);
	assert_int_equal(ql_writer_close(w, &err), 0);
	size_t n0;
	uint8_t *orig = tu_slurp(path, &n0);

	/* exists: refused without force, file unchanged */
	assert_int_equal(ql_writer_open(path, false, &w, &err), -1);
	assert_non_null(strstr(err.msg, "already exists"));
	assert_non_null(strstr(err.msg, "--force"));

	/* an input, open: refused even with force */
	ql_source *src;
	assert_int_equal(ql_source_open(path, NULL, &src, &err), 0);
	assert_int_equal(ql_writer_open(path, true, &w, &err), -1);
	assert_non_null(strstr(err.msg, "input"));
	/* ... also when it becomes an input after the writer was opened */
	ql_source_close(src);
	assert_int_equal(ql_writer_open(path, true, &w, &err), 0);
	assert_int_equal(ql_source_open(path, NULL, &src, &err), 0);
	float v2[2] = {3, 4};
	assert_int_equal(ql_writer_add(w, "a", QL_DT_F32, s, 1, v2, &err), 0);
	assert_int_equal(ql_writer_close(w, &err), -1);
	assert_non_null(strstr(err.msg, "input"));
	ql_source_close(src);
	size_t n1;
	uint8_t *now = tu_slurp(path, &n1);
	assert_int_equal(n0, n1);
	assert_memory_equal(orig, now, n0);
	free(now);

	/* force replaces a closed file */
	assert_int_equal(ql_writer_open(path, true, &w, &err), 0);
	assert_int_equal(ql_writer_add(w, "a", QL_DT_F32, s, 1, v2, &err), 0);
	assert_int_equal(ql_writer_close(w, &err), 0);
	now = tu_slurp(path, &n1);
	assert_int_equal(n0, n1);
	assert_memory_equal(now + n1 - 8, v2, 8);
	free(now);
	free(orig);

	/* a dtype npy lacks fails at close and leaves nothing behind */
	snprintf(other, sizeof other, "%s/bf.npy", tmpdir);
	uint16_t h[2] = {0x3f80, 0x4000};
	assert_int_equal(ql_writer_open(other, false, &w, &err), 0);
	assert_int_equal(ql_writer_add(w, "bf", QL_DT_BF16, s, 1, h, &err), 0);
	assert_int_equal(ql_writer_close(w, &err), -1);
	assert_non_null(strstr(err.msg, "npy cannot hold BF16"));
	assert_int_equal(access(other, F_OK), -1);
	assert_int_equal(count_entries(tmpdir), before + 1); /* keep.npy only */

	/* the extension decides the format */
	assert_int_equal(ql_writer_open("out.bin", false, &w, &err), -1);
	assert_non_null(strstr(err.msg, ".npy or .safetensors"));
	/* a folder that does not exist */
	assert_int_equal(ql_writer_open("/nonexistent-dir/x.npy", false, &w, &err), 0);
	assert_int_equal(ql_writer_add(w, "a", QL_DT_F32, s, 1, v, &err), 0);
	assert_int_equal(ql_writer_close(w, &err), -1);
	assert_non_null(strstr(err.msg, "/nonexistent-dir/x.npy: "));
	/* abort writes nothing */
	snprintf(other, sizeof other, "%s/aborted.npy", tmpdir);
	assert_int_equal(ql_writer_open(other, false, &w, &err), 0);
	assert_int_equal(ql_writer_add(w, "a", QL_DT_F32, s, 1, v, &err), 0);
	ql_writer_abort(w);
	assert_int_equal(access(other, F_OK), -1);
	unlink(path);
}

/* An output name of up to NAME_MAX bytes is written: the temporary file
 * beside it, ".NAME.XXXXXX", is 8 bytes longer, so its NAME is cut. */
static void test_writer_long_name(void **state)
{
	(void)state;
	char name[NAME_MAX + 1], path[sizeof tmpdir + NAME_MAX + 2];
	float v[2] = {1, 2};
	int64_t s[] = {2};
	ql_writer *w;
	ql_error err;
	int before = count_entries(tmpdir);
	for (size_t len = NAME_MAX - 9; len <= NAME_MAX; len++) {
		memset(name, 'a', len - 4);
		memcpy(name + len - 4, ".npy", 5);
		snprintf(path, sizeof path, "%s/%s", tmpdir, name);
		assert_int_equal(ql_writer_open(path, false, &w, &err), 0);
		assert_int_equal(ql_writer_add(w, "a", QL_DT_F32, s, 1, v, &err), 0);
		if (ql_writer_close(w, &err))
			fail_msg("%zu-byte name: %s", len, err.msg);
		assert_int_equal(access(path, F_OK), 0);
		assert_int_equal(count_entries(tmpdir), before + 1); /* no temporary left */
		unlink(path);
	}
}

/* A file replaced with force keeps its permissions (a private output stays
 * private); a new one gets 0666 less the umask. */
static void test_writer_keeps_mode(void **state)
{
	(void)state;
	char path[256];
	snprintf(path, sizeof path, "%s/mode.npy", tmpdir);
	float v[2] = {1, 2};
	int64_t s[] = {2};
	ql_writer *w;
	ql_error err;
	mode_t mask = umask(022);
	const mode_t modes[] = {0644, 0600, 0640, 0444};
	for (size_t k = 0; k < sizeof modes / sizeof modes[0]; k++) {
		assert_int_equal(ql_writer_open(path, k > 0, &w, &err), 0);
		assert_int_equal(ql_writer_add(w, "a", QL_DT_F32, s, 1, v, &err), 0);
		assert_int_equal(ql_writer_close(w, &err), 0);
		struct stat st;
		assert_int_equal(stat(path, &st), 0);
		assert_int_equal(st.st_mode & 0777, k ? modes[k - 1] : 0644);
		assert_int_equal(chmod(path, modes[k]), 0);
	}
	umask(mask);
	unlink(path);
}

/* Placing the finished file without force never replaces a destination,
 * even one made after the writer's last check (another writer racing to
 * the same new name): it fails with EEXIST and both files stay as they
 * were; with force it replaces. A plain rename would replace it. */
static void test_writer_place_no_replace(void **state)
{
	(void)state;
	char tmp[256], dst[256];
	snprintf(tmp, sizeof tmp, "%s/.place.tmp", tmpdir);
	snprintf(dst, sizeof dst, "%s/place.npy", tmpdir);
	FILE *f = fopen(tmp, "w");
	assert_non_null(f);
	fputs("new", f);
	fclose(f);
	f = fopen(dst, "w");
	assert_non_null(f);
	fputs("theirs", f);
	fclose(f);
	errno = 0;
	assert_int_equal(ql_writer_place(tmp, dst, false), -1);
	assert_int_equal(errno, EEXIST);
	char buf[16] = "";
	f = fopen(dst, "r");
	assert_non_null(f);
	assert_non_null(fgets(buf, sizeof buf, f));
	fclose(f);
	assert_string_equal(buf, "theirs");
	assert_int_equal(access(tmp, F_OK), 0); /* the caller removes it */
	assert_int_equal(ql_writer_place(tmp, dst, true), 0);
	f = fopen(dst, "r");
	assert_non_null(f);
	assert_non_null(fgets(buf, sizeof buf, f));
	fclose(f);
	assert_string_equal(buf, "new");
	assert_int_equal(access(tmp, F_OK), -1);
	/* a new name: placed, the temporary name gone */
	unlink(dst);
	f = fopen(tmp, "w");
	assert_non_null(f);
	fclose(f);
	assert_int_equal(ql_writer_place(tmp, dst, false), 0);
	assert_int_equal(access(dst, F_OK), 0);
	assert_int_equal(access(tmp, F_OK), -1);
	unlink(dst);
}

/* Random byte flips of a valid file: opening and decoding either works or
 * fails with a message; never a crash (ASan/UBSan watch). Fixed seed. */
static void test_mutations(void **state)
{
	(void)state;
	tu_byte_flips(GOLDEN "fortran_i2_be.npy", tmpdir, "npy", 3000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden_files),
		cmocka_unit_test(test_corpus),
		cmocka_unit_test(test_truncations),
		cmocka_unit_test(test_mutations),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_write_matches_numpy),
		cmocka_unit_test(test_roundtrip_all_dtypes),
		cmocka_unit_test(test_writer_rules),
		cmocka_unit_test(test_writer_long_name),
		cmocka_unit_test(test_writer_keeps_mode),
		cmocka_unit_test(test_writer_place_no_replace),
	};
	return cmocka_run_group_tests(tests, make_tmpdir, remove_tmpdir);
}
