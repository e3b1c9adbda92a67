/* test_quantize_cli.c — `qlens quantize` end to end: runs $QLENS_BIN on small
 * files and checks what it writes, prints and returns.
 *
 * The expected codes, scales and zero points come from PyTorch (torch 1.13:
 * quantize_per_tensor / quantize_per_channel with MinMaxObserver and
 * PerChannelMinMaxObserver qparams, fake_quantize_per_tensor_affine for
 * int4 groups) and from Python ports of ggml's Q8_0/Q4_0 reference
 * quantizers, all made by tests/golden/gen_quantize_cli.py into
 * tests/golden/quantize/. The outputs are read back with qlens's own
 * readers, which test_npy and test_safetensors check against numpy and the
 * safetensors reference.
 *
 * Also: --json keys and values, --pack, -o .npy, and the rules: errors are
 * one line with exit status 1 (2 for usage), an existing output is not
 * replaced without --force, the input is never replaced.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <jansson.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "qlens/io.h"
#include "qlens/pack.h"
#include "qlens/tensor.h"

#define G "tests/golden/quantize/"

static char tmpdir[64];
static const char *bin;

static int setup(void **state)
{
	(void)state;
	bin = getenv("QLENS_BIN");
	if (!bin || access(bin, X_OK) != 0) {
		fprintf(stderr, "QLENS_BIN is not set to the qlens binary\n");
		return -1;
	}
	snprintf(tmpdir, sizeof tmpdir, "/tmp/qlens-qcli-XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	DIR *d = opendir(tmpdir);
	struct dirent *e;
	char path[512];
	while (d && (e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(path, sizeof path, "%s/%s", tmpdir, e->d_name);
		unlink(path);
	}
	if (d)
		closedir(d);
	rmdir(tmpdir);
	return 0;
}

static char *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long len = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *buf = malloc((size_t)len + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)len, f), (size_t)len);
	buf[len] = '\0';
	fclose(f);
	if (n)
		*n = (size_t)len;
	return buf;
}

/* Runs `qlens quantize ARGS` (args: a shell-safe string); returns the exit
 * status; *out / *err get stdout and stderr (free them). */
static int run(char **out, char **err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int run(char **out, char **err, const char *fmt, ...)
{
	char args[2048], cmd[4096], o[300], e[300];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(args, sizeof args, fmt, ap);
	va_end(ap);
	snprintf(o, sizeof o, "%s/stdout", tmpdir);
	snprintf(e, sizeof e, "%s/stderr", tmpdir);
	snprintf(cmd, sizeof cmd, "%s quantize %s >%s 2>%s", bin, args, o, e);
	int st = system(cmd);
	assert_true(WIFEXITED(st));
	char *so = slurp(o, NULL), *se = slurp(e, NULL);
	if (out)
		*out = so;
	else
		free(so);
	if (err)
		*err = se;
	else
		free(se);
	return WEXITSTATUS(st);
}

/* A failure: status rc, nothing on stdout, one line on stderr starting
 * "qlens" and containing want. */
static void expect_fail(int rc_want, const char *want, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void expect_fail(int rc_want, const char *want, const char *fmt, ...)
{
	char args[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(args, sizeof args, fmt, ap);
	va_end(ap);
	char *out, *err;
	int rc = run(&out, &err, "%s", args);
	if (rc != rc_want || strncmp(err, "qlens", 5) != 0 || !strstr(err, want) ||
	    strchr(err, '\n') != err + strlen(err) - 1 || out[0])
		fail_msg("quantize %s: status %d (want %d), stderr '%s' (want one line with '%s'), stdout '%.80s'",
			 args, rc, rc_want, err, want, out);
	free(out);
	free(err);
}

/* The named tensor of a file, decoded raw (bytes) with its description. */
typedef struct loaded {
	ql_source *src;
	const ql_tensor *t;
} loaded;

static loaded load(const char *path, const char *name)
{
	loaded l = {0};
	ql_error err;
	if (ql_source_open(path, NULL, &l.src, &err))
		fail_msg("%s", err.msg);
	long i = name ? ql_source_find(l.src, name) : 0;
	if (i < 0)
		fail_msg("%s: no tensor %s", path, name);
	if (ql_source_read(l.src, (size_t)i, &err))
		fail_msg("%s", err.msg);
	l.t = ql_source_tensor(l.src, (size_t)i);
	return l;
}

/* Tensor `name` of `path` holds the same dtype, shape and bytes as the .npy
 * golden `gold` (shape check skipped when gold_shape is false). */
static void expect_same(const char *path, const char *name, const char *gold, bool gold_shape)
{
	loaded a = load(path, name), b = load(gold, NULL);
	if (a.t->dtype != b.t->dtype)
		fail_msg("%s %s: dtype %s, golden %s", path, name, ql_dtypes[a.t->dtype].name,
			 ql_dtypes[b.t->dtype].name);
	if (gold_shape) {
		assert_int_equal(a.t->ndim, b.t->ndim);
		for (int d = 0; d < a.t->ndim; d++)
			assert_int_equal(a.t->shape[d], b.t->shape[d]);
	}
	assert_int_equal(a.t->nbytes, b.t->nbytes);
	if (memcmp(a.t->data, b.t->data, a.t->nbytes) != 0) {
		for (uint64_t k = 0; k < a.t->nbytes; k++)
			if (((const uint8_t *)a.t->data)[k] != ((const uint8_t *)b.t->data)[k])
				fail_msg("%s %s differs from %s at byte %llu", path, name, gold,
					 (unsigned long long)k);
	}
	ql_source_close(a.src);
	ql_source_close(b.src);
}

static const char *meta(const ql_source *src, const char *key)
{
	for (size_t i = 0; i < ql_source_meta_count(src); i++)
		if (!strcmp(ql_source_meta(src, i)->key, key))
			return ql_source_meta(src, i)->value;
	return NULL;
}

/* --- against PyTorch ------------------------------------------------------------------ */

static void test_int8_per_tensor(void **state)
{
	(void)state;
	char out[256];
	snprintf(out, sizeof out, "%s/a.safetensors", tmpdir);
	char *so;
	assert_int_equal(run(&so, NULL, G "x.npy -o %s --dequant", out), 0);
	assert_non_null(strstr(so, "int8 sym per-tensor minmax"));
	assert_non_null(strstr(so, "wrote "));
	free(so);
	expect_same(out, "x.q", G "int8_sym.q.npy", true);
	expect_same(out, "x.scale", G "int8_sym.scale.npy", true);
	expect_same(out, "x.dequant", G "int8_sym.dequant.npy", true);
	loaded l = load(out, "x.q");
	assert_int_equal(ql_source_find(l.src, "x.zero_point"), -1);
	assert_int_equal(ql_source_find(l.src, "x.blocks"), -1);
	assert_string_equal(meta(l.src, "qlens.scheme"), "int8 sym per-tensor minmax");
	assert_string_equal(meta(l.src, "qlens.tensor"), "x");
	ql_source_close(l.src);
}

static void test_uint8_per_channel(void **state)
{
	(void)state;
	char out[256];
	snprintf(out, sizeof out, "%s/b.safetensors", tmpdir);
	assert_int_equal(run(NULL, NULL, G "x.npy --dtype uint8 --asym --axis 0 -o %s", out), 0);
	expect_same(out, "x.q", G "uint8_asym_ch0.q.npy", true);
	expect_same(out, "x.scale", G "uint8_asym_ch0.scale.npy", true);
	expect_same(out, "x.zero_point", G "uint8_asym_ch0.zero_point.npy", true);
	/* negative axes count from the end: -2 is axis 0 here */
	assert_int_equal(run(NULL, NULL, G "x.npy -d uint8 --asym --axis -2 -o %s --force", out), 0);
	expect_same(out, "x.q", G "uint8_asym_ch0.q.npy", true);
}

static void test_int4_groups(void **state)
{
	(void)state;
	char out[256];
	snprintf(out, sizeof out, "%s/c.safetensors", tmpdir);
	assert_int_equal(run(NULL, NULL, G "x.npy --dtype int4 --group 32 --dequant -o %s", out), 0);
	expect_same(out, "x.q", G "int4_g32.q.npy", true);
	expect_same(out, "x.scale", G "int4_g32.scale.npy", true);
	expect_same(out, "x.dequant", G "int4_g32.dequant.npy", true);

	/* --pack: two codes a byte, element 2i in the low nibble */
	char packed[256];
	snprintf(packed, sizeof packed, "%s/c_packed.safetensors", tmpdir);
	assert_int_equal(run(NULL, NULL, G "x.npy --dtype int4 --group 32 --pack -o %s", packed), 0);
	loaded p = load(packed, "x.q"), g = load(G "int4_g32.q.npy", NULL);
	assert_int_equal(p.t->dtype, QL_DT_U8);
	assert_int_equal(p.t->ndim, 1);
	assert_int_equal(p.t->nbytes, 120);
	const uint8_t *pb = p.t->data;
	const int8_t *codes = g.t->data;
	for (int i = 0; i < 120; i++)
		assert_int_equal(pb[i], (uint8_t)((codes[2 * i] & 0xF) | (codes[2 * i + 1] & 0xF) << 4));
	assert_string_equal(meta(p.src, "qlens.packed"), "true");
	ql_source_close(p.src);
	ql_source_close(g.src);
}

/* --dtype int5: the 5-bit grid [-15, 15]; --pack writes one LSB-first bit
 * stream of 5 bits a code (240 codes: 150 bytes) that unpacks to the
 * unpacked NAME.q (the kernel itself is checked against PyTorch in
 * test_qbits.c). */
static void test_int5_pack(void **state)
{
	(void)state;
	char out[256], packed[256];
	snprintf(out, sizeof out, "%s/i5.safetensors", tmpdir);
	snprintf(packed, sizeof packed, "%s/i5_packed.safetensors", tmpdir);
	char *so;
	assert_int_equal(run(&so, NULL, G "x.npy --dtype int5 --group 32 --json"), 0);
	assert_non_null(strstr(so, "\"qmin\": -15"));
	assert_non_null(strstr(so, "\"qmax\": 15"));
	assert_non_null(strstr(so, "int5 sym per-group 32 minmax"));
	free(so);
	assert_int_equal(run(NULL, NULL, G "x.npy --dtype int5 --group 32 -o %s", out), 0);
	assert_int_equal(run(NULL, NULL, G "x.npy -d int5 --group 32 --pack -o %s", packed), 0);
	loaded p = load(packed, "x.q"), u = load(out, "x.q");
	assert_int_equal(u.t->dtype, QL_DT_I8);
	assert_int_equal(u.t->nbytes, 240);
	assert_int_equal(p.t->dtype, QL_DT_U8);
	assert_int_equal(p.t->nbytes, 150);
	uint8_t back[240];
	ql_unpack_bits(p.t->data, 240, 5, true, back);
	assert_memory_equal(back, u.t->data, 240);
	for (int i = 0; i < 240; i++)
		assert_true(abs(((const int8_t *)u.t->data)[i]) <= 15);
	ql_source_close(p.src);
	ql_source_close(u.src);
}

static void test_user_scale(void **state)
{
	(void)state;
	char out[256];
	snprintf(out, sizeof out, "%s/d.safetensors", tmpdir);
	assert_int_equal(run(NULL, NULL, G "x.npy --asym --scale 0.25 --zero-point 3 -o %s", out), 0);
	expect_same(out, "x.q", G "scale025.q.npy", true);
	loaded l = load(out, "x.zero_point");
	assert_int_equal(l.t->ndim, 0);
	assert_int_equal(*(const int32_t *)l.t->data, 3);
	ql_source_close(l.src);
}

/* The blocks of ggml's reference quantizers, byte for byte. */
static void test_ggml_blocks(void **state)
{
	(void)state;
	static const char *const types[] = {"q8_0", "q4_0"};
	for (int k = 0; k < 2; k++) {
		char out[256], gold[256];
		snprintf(out, sizeof out, "%s/%s.safetensors", tmpdir, types[k]);
		snprintf(gold, sizeof gold, G "%s.blocks", types[k]);
		assert_int_equal(run(NULL, NULL, G "xb.npy --dtype %s -o %s", types[k], out), 0);
		size_t n;
		char *want = slurp(gold, &n);
		loaded l = load(out, "xb.blocks");
		assert_int_equal(l.t->nbytes, n);
		assert_memory_equal(l.t->data, want, n);
		loaded q = load(out, "xb.q");
		assert_int_equal(q.t->ndim, 2);
		assert_int_equal(q.t->shape[1], 64);
		free(want);
		ql_source_close(l.src);
		ql_source_close(q.src);
	}
}

/* -o FILE.npy is the dequantized tensor: the same floats as NAME.dequant. */
static void test_npy_output(void **state)
{
	(void)state;
	char a[256], b[256];
	snprintf(a, sizeof a, "%s/nf4.safetensors", tmpdir);
	snprintf(b, sizeof b, "%s/nf4.npy", tmpdir);
	assert_int_equal(run(NULL, NULL, G "xb.npy --dtype nf4 --dequant -o %s", a), 0);
	assert_int_equal(run(NULL, NULL, G "xb.npy --dtype nf4 -o %s", b), 0);
	loaded x = load(a, "xb.dequant"), y = load(b, NULL);
	assert_string_equal(y.t->name, "nf4");
	assert_int_equal(y.t->dtype, QL_DT_F32);
	assert_int_equal(y.t->ndim, 2);
	assert_int_equal(x.t->nbytes, y.t->nbytes);
	assert_memory_equal(x.t->data, y.t->data, x.t->nbytes);
	ql_source_close(x.src);
	ql_source_close(y.src);
	expect_fail(2, "--pack applies", G "xb.npy --dtype int4 --pack -o %s/p.npy", tmpdir);
}

static void test_json(void **state)
{
	(void)state;
	char *so;
	assert_int_equal(run(&so, NULL, G "x.npy --json"), 0);
	json_error_t je;
	json_t *j = json_loads(so, 0, &je);
	if (!j)
		fail_msg("not JSON: %s\n%s", je.text, so);
	static const char *const keys[] = {"tensor", "shape", "dtype", "scheme", "qmin", "qmax",
					   "scale", "zero_point", "calibration", "metrics",
					   "bits_per_weight", "bytes"};
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		if (!json_object_get(j, keys[i]))
			fail_msg("--json lacks '%s'", keys[i]);
	static const char *const mkeys[] = {"mse", "rmse", "sqnr_db", "max_abs_err", "mean_abs_err",
					    "cosine", "clipped"};
	json_t *m = json_object_get(j, "metrics");
	for (size_t i = 0; i < sizeof mkeys / sizeof mkeys[0]; i++)
		if (!json_object_get(m, mkeys[i]))
			fail_msg("--json metrics lack '%s'", mkeys[i]);
	assert_string_equal(json_string_value(json_object_get(j, "tensor")), "x");
	assert_string_equal(json_string_value(json_object_get(j, "dtype")), "F32");
	assert_int_equal(json_array_size(json_object_get(j, "shape")), 2);
	assert_int_equal(json_integer_value(json_object_get(j, "qmin")), -127);
	assert_int_equal(json_integer_value(json_object_get(j, "qmax")), 127);
	assert_int_equal(json_integer_value(json_object_get(j, "zero_point")), 0);
	assert_true(json_is_object(json_object_get(j, "scheme")));
	json_t *cal = json_object_get(j, "calibration");
	assert_string_equal(json_string_value(json_object_get(cal, "method")), "minmax");
	assert_int_equal(json_array_size(json_object_get(cal, "range")), 2);
	/* the scale is PyTorch's float32 scale, printed exactly */
	loaded s = load(G "int8_sym.scale.npy", NULL);
	float want = *(const float *)s.t->data;
	assert_true((float)json_real_value(json_object_get(j, "scale")) == want);
	ql_source_close(s.src);

	/* every value, not only the keys: the metrics against PyTorch's
	 * dequantized tensor (int8_sym.dequant.npy), summed here in long double */
	loaded xs = load(G "x.npy", NULL), dq = load(G "int8_sym.dequant.npy", NULL);
	const float *x = xs.t->data, *y = dq.t->data;
	int64_t n = xs.t->nelem;
	assert_int_equal(n, 240);
	long double se = 0, sx = 0, sy = 0, sxy = 0, sae = 0, mae = 0;
	double lo = x[0], hi = x[0];
	for (int64_t i = 0; i < n; i++) {
		long double e = (long double)y[i] - x[i];
		se += e * e;
		sae += fabsl(e);
		mae = fabsl(e) > mae ? fabsl(e) : mae;
		sx += (long double)x[i] * x[i];
		sy += (long double)y[i] * y[i];
		sxy += (long double)x[i] * y[i];
		lo = x[i] < lo ? x[i] : lo;
		hi = x[i] > hi ? x[i] : hi;
	}
	ql_source_close(xs.src);
	ql_source_close(dq.src);
	struct { const char *key; double want; } mv[] = {
		{ "mse", (double)(se / n) },
		{ "rmse", sqrt((double)(se / n)) },
		{ "sqnr_db", 10.0 * log10((double)(sx / se)) },
		{ "max_abs_err", (double)mae },
		{ "mean_abs_err", (double)(sae / n) },
		{ "cosine", (double)(sxy / sqrtl(sx * sy)) },
	};
	for (size_t i = 0; i < sizeof mv / sizeof mv[0]; i++) {
		double got = json_number_value(json_object_get(m, mv[i].key));
		if (!(fabs(got - mv[i].want) <= 1e-12 * fabs(mv[i].want)))
			fail_msg("metrics.%s = %.17g, want %.17g", mv[i].key, got, mv[i].want);
	}
	assert_int_equal(json_integer_value(json_object_get(m, "clipped")), 0);
	/* storage: 240 one-byte codes and one float32 scale */
	assert_int_equal(json_integer_value(json_object_get(j, "bytes")), 244);
	assert_true(json_number_value(json_object_get(j, "bits_per_weight")) == 244.0 * 8 / 240);
	/* the data range is the data's, the chosen range symmetric around 0 */
	json_t *dr = json_object_get(cal, "data_range"), *rg = json_object_get(cal, "range");
	assert_true(json_number_value(json_array_get(dr, 0)) == lo);
	assert_true(json_number_value(json_array_get(dr, 1)) == hi);
	double amax = fabs(lo) > fabs(hi) ? fabs(lo) : fabs(hi);
	assert_true(json_number_value(json_array_get(rg, 0)) == -amax);
	assert_true(json_number_value(json_array_get(rg, 1)) == amax);
	/* the scheme, and the word that gives it */
	json_t *sc = json_object_get(j, "scheme");
	assert_string_equal(json_string_value(json_object_get(sc, "dtype")), "int8");
	assert_true(json_is_true(json_object_get(sc, "symmetric")));
	assert_string_equal(json_string_value(json_object_get(sc, "granularity")), "tensor");
	assert_string_equal(json_string_value(json_object_get(sc, "word")), "int8");
	/* the histogram counts every element once */
	json_t *counts = json_object_get(json_object_get(j, "error_histogram"), "counts");
	json_int_t total = 0;
	for (size_t i = 0; i < json_array_size(counts); i++)
		total += json_integer_value(json_array_get(counts, i));
	assert_int_equal(total, 240);
	json_decref(j);
	free(so);

	/* per channel: arrays of scales and zero points */
	assert_int_equal(run(&so, NULL, G "x.npy --dtype uint8 --asym --axis 0 --json"), 0);
	j = json_loads(so, 0, &je);
	assert_non_null(j);
	assert_int_equal(json_array_size(json_object_get(j, "scale")), 6);
	assert_int_equal(json_array_size(json_object_get(j, "zero_point")), 6);
	loaded z = load(G "uint8_asym_ch0.zero_point.npy", NULL);
	for (int i = 0; i < 6; i++)
		assert_int_equal(json_integer_value(json_array_get(json_object_get(j, "zero_point"), (size_t)i)),
				 ((const int32_t *)z.t->data)[i]);
	ql_source_close(z.src);
	json_decref(j);
	free(so);
}

/* --- rules and errors -------------------------------------------------------------------- */

static void test_no_overwrite(void **state)
{
	(void)state;
	char in[256], out[256];
	snprintf(in, sizeof in, "%s/in.npy", tmpdir);
	snprintf(out, sizeof out, "%s/out.safetensors", tmpdir);
	size_t n0;
	char *x = slurp(G "x.npy", &n0);
	FILE *f = fopen(in, "wb");
	fwrite(x, 1, n0, f);
	fclose(f);

	/* the input is never replaced, with or without --force, by any path */
	expect_fail(1, "never overwrites its input", "%s -o %s", in, in);
	expect_fail(1, "never overwrites its input", "%s -o %s --force", in, in);
	expect_fail(1, "never overwrites its input", "%s -o %s/./in.npy --force", in, tmpdir);
	char link[300];
	snprintf(link, sizeof link, "%s/link.npy", tmpdir);
	assert_int_equal(symlink(in, link), 0);
	expect_fail(1, "never overwrites its input", "%s -o %s --force", in, link);
	unlink(link);
	size_t n1;
	char *now = slurp(in, &n1);
	assert_int_equal(n0, n1);
	assert_memory_equal(x, now, n0);
	free(now);

	/* an existing output needs --force */
	assert_int_equal(run(NULL, NULL, "%s -o %s", in, out), 0);
	struct stat st0, st1;
	assert_int_equal(stat(out, &st0), 0);
	char *before = slurp(out, &n0);
	expect_fail(1, "already exists", "%s --dtype int4 -o %s", in, out);
	now = slurp(out, &n1);
	assert_int_equal(n0, n1);
	assert_memory_equal(before, now, n0);
	free(now);
	assert_int_equal(run(NULL, NULL, "%s --dtype int4 -o %s --force", in, out), 0);
	assert_int_equal(stat(out, &st1), 0);
	loaded l = load(out, "in.q");
	assert_string_equal(meta(l.src, "qlens.dtype"), "int4");
	ql_source_close(l.src);
	free(before);
	free(x);
	/* nothing but what we wrote is left in the folder (no temporary files) */
	DIR *d = opendir(tmpdir);
	struct dirent *e;
	while ((e = readdir(d)))
		if (e->d_name[0] == '.' && strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			fail_msg("left behind: %s", e->d_name);
	closedir(d);
}

static void test_errors(void **state)
{
	(void)state;
	expect_fail(1, "no-such.npy: No such file", "%s/no-such.npy", tmpdir);
	expect_fail(1, "tests/corpus/bad_truncated.npy: npy data is truncated",
		    "tests/corpus/bad_truncated.npy");
	expect_fail(1, "tests/corpus/bad_overlap.safetensors:", "tests/corpus/bad_overlap.safetensors");
	/* several tensors: choose one; unknown names list the real ones */
	expect_fail(1, "choose one with --tensor", "tests/golden/files/all_dtypes.safetensors");
	expect_fail(1, "no tensor 'nope' (it has: x_F16, x_F32", "tests/golden/files/all_dtypes.safetensors --tensor nope");
	expect_fail(1, "holds no tensors", "tests/golden/files/no_tensors.safetensors");
	/* impossible schemes: status 1, the file and the problem */
	/* what the scheme says on its own is an argument error (issue 15) */
	expect_fail(2, "qlens quantize: --group must be at least 1", G "x.npy --group 0");
	expect_fail(2, "group", G "x.npy --group -3");
	expect_fail(1, "axis", G "x.npy --axis 2"); /* depends on the tensor */
	expect_fail(1, "32", G "x.npy --dtype q8_0"); /* 40 is not a multiple of 32 */
	expect_fail(2, "scale", G "x.npy --scale 0");
	expect_fail(1, "not finite", "tests/golden/files/f4_le.npy");
	/* usage errors: status 2 */
	expect_fail(2, "which FILE", "%s", "");
	expect_fail(2, "qlens quantize:", G "x.npy --dtype int9");
	expect_fail(2, "qlens quantize:", G "x.npy --calib median");
	expect_fail(2, "qlens quantize:", G "x.npy --group x");
	expect_fail(2, "exclude each other", G "x.npy --axis 0 --group 4");
	expect_fail(2, "exclude each other", G "x.npy --sym --asym");
	expect_fail(2, "--dequant applies to -o", G "x.npy --dequant");
	expect_fail(2, "--pack applies to -o", G "x.npy --pack");
	expect_fail(2, "both set the symmetry", G "x.npy int4/sym/asym");
	expect_fail(2, "qlens quantize:", G "x.npy --bogus");
	expect_fail(2, "one FILE at a time", G "x.npy " G "xb.npy");
	/* help */
	char *so;
	assert_int_equal(run(&so, NULL, "--help"), 0);
	assert_non_null(strstr(so, "Usage: qlens quantize"));
	assert_non_null(strstr(so, "Examples:"));
	free(so);
}

/* Choosing a tensor by name in a multi-tensor file; an int tensor works too. */
static void test_tensor_choice(void **state)
{
	(void)state;
	char *so;
	assert_int_equal(run(&so, NULL, "tests/golden/files/all_dtypes.safetensors --tensor x_I16 --json"), 0);
	json_t *j = json_loads(so, 0, NULL);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "tensor")), "x_I16");
	assert_string_equal(json_string_value(json_object_get(j, "dtype")), "I16");
	json_decref(j);
	free(so);
	/* an empty tensor quantizes to nothing, without failing */
	assert_int_equal(run(&so, NULL, "tests/golden/files/empty.npy"), 0);
	assert_non_null(strstr(so, "0 elements"));
	free(so);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_int8_per_tensor),
		cmocka_unit_test(test_uint8_per_channel),
		cmocka_unit_test(test_int4_groups),
		cmocka_unit_test(test_int5_pack),
		cmocka_unit_test(test_user_scale),
		cmocka_unit_test(test_ggml_blocks),
		cmocka_unit_test(test_npy_output),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_no_overwrite),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_tensor_choice),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
