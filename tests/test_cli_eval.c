/* test_cli_eval.c — `qlens eval` and `qlens divergence` run in-process
 * through the command table: JSON figures against tests/golden/eval/ (made
 * by tests/golden/gen_eval.py with NumPy), text output, and every failure
 * one line with the right exit status (2 for usage, 1 for bad input).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "evgolden.h"
#include "qlens/command.h"
#include "qlens/model.h"
#include "qlens/quant.h"
#include "testutil.h"

/* Runs `qlens ARGV...` through the command table; stdout and stderr into
 * malloc'd strings. */
static int eg_run(char **out, char **err, int argc, char **argv)
{
	size_t no, ne;
	FILE *fo = open_memstream(out, &no), *fe = open_memstream(err, &ne);
	ql_cmd_ctx ctx = { .out = fo, .err = fe, .interactive = false, .progress = false };
	int rc = ql_command_run(&ctx, argc, argv);
	fclose(fo);
	fclose(fe);
	return rc;
}

static ql_model digits;

/* --- the command ------------------------------------------------------------------ */

static void eval_fail(int want_rc, const char *want, int argc, char **argv)
{
	char *out, *err;
	int rc = eg_run(&out, &err, argc, argv);
	size_t len = strlen(err);
	if (rc != want_rc || strncmp(err, "qlens", 5) != 0 || !strstr(err, want) || len == 0 ||
	    strchr(err, '\n') != err + len - 1 || out[0])
		fail_msg("eval %s: status %d (want %d), stderr '%s' (want one line with '%s')",
			 argc > 1 ? argv[1] : "", rc, want_rc, err, want);
	free(out);
	free(err);
}

static void test_eval(void **state)
{
	(void)state;
	char *a1[] = { "eval", "digits", "int4/g32", "--json", NULL };
	char *out, *err;
	assert_int_equal(eg_run(&out, &err, 4, a1), 0);
	json_error_t je;
	json_t *j = json_loads(out, 0, &je);
	assert_non_null(j);
	json_t *r0 = json_array_get(json_object_get(j, "results"), 0);
	assert_non_null(r0);
	double acc = json_number_value(json_object_get(json_object_get(r0, "accuracy"), "original"));
	assert_true(eg_close("json accuracy", acc, digits.card_accuracy, 5e-5, 0));
	assert_int_equal(json_array_size(json_object_get(r0, "matrices")), 3);
	assert_non_null(json_object_get(json_object_get(r0, "kl"), "p99"));
	assert_non_null(json_object_get(json_object_get(r0, "flips"), "count"));
	json_decref(j);
	free(out);
	free(err);
	/* the scheme is named by the one word that gives it, as compare and
	 * report name it: int8/ch0, not the INT8/CH/sym/minmax typed */
	char *a0[] = { "eval", "digits", "INT8/CH/sym/minmax", "--json", NULL };
	assert_int_equal(eg_run(&out, &err, 4, a0), 0);
	j = json_loads(out, 0, &je);
	assert_non_null(j);
	r0 = json_array_get(json_object_get(j, "results"), 0);
	assert_string_equal(json_string_value(json_object_get(r0, "scheme")), "int8/ch0");
	json_decref(j);
	free(out);
	free(err);
	/* a sweep is sorted by bits per weight */
	char *a2[] = { "eval", "chars", "--schemes", "q8_0,int4/g32,nf4", "--keep", "embed.*", NULL };
	assert_int_equal(eg_run(&out, &err, 6, a2), 0);
	char *p1 = strstr(out, "\nnf4 "), *p2 = strstr(out, "\nint4/g32 "), *p3 = strstr(out, "\nq8_0 ");
	assert_true(p1 && p2 && p3 && p1 < p2 && p2 < p3);
	assert_non_null(strstr(out, "PPL"));
	free(out);
	free(err);
	/* one scheme in detail */
	char *a3[] = { "eval", "digits", "int8/ch0", "--act", "int8-static", NULL };
	assert_int_equal(eg_run(&out, &err, 5, a3), 0);
	assert_non_null(strstr(out, "activation scales (int8, calibrated): fc1 "));
	assert_non_null(strstr(out, "fc2.weight"));
	assert_non_null(strstr(out, "flips "));
	assert_non_null(strstr(out, "KL divergence    mean "));
	free(out);
	free(err);
	char *e1[] = { "eval", NULL };
	eval_fail(2, "which MODEL", 1, e1);
	char *e2[] = { "eval", "nosuch", NULL };
	eval_fail(1, "no such model", 2, e2);
	char *e3[] = { "eval", "digits", "--act", "int4", NULL };
	eval_fail(2, "--act takes none, int8-dynamic or int8-static", 4, e3);
	char *e4[] = { "eval", "digits", "int9", NULL };
	eval_fail(2, "int9", 3, e4);
	char *e5[] = { "eval", "digits", "int8", "--schemes", "int4", NULL };
	eval_fail(2, "not both", 5, e5);
	char *e6[] = { "eval", "digits", "--schemes", "int8,,int4", NULL };
	eval_fail(2, "empty item", 4, e6);
	char *e8[] = { "eval", "digits", "--schemes", "int8,int4/g32,", NULL };
	eval_fail(2, "empty item", 4, e8); /* a trailing comma was passed over */
	char *e7[] = { "eval", "digits", "int8", "extra", NULL };
	eval_fail(2, "third", 4, e7);
}

/* --- the command --------------------------------------------------------------- */

static char tmpdir[64];

/* DIR/NAME as a .safetensors of the given header (without the length) and
 * data. */
static void write_st(const char *dir, const char *name, const char *header, const void *data,
		     size_t bytes)
{
	char path[256];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	uint64_t n = strlen(header);
	fwrite(&n, 8, 1, f); /* little-endian, as every host qlens builds on */
	fwrite(header, 1, n, f);
	fwrite(data, 1, bytes, f);
	fclose(f);
}

/* A classifier so sure and so wrong that its cross-entropy, 2000 nats, has
 * a perplexity e^2000 beyond double: the text gave "inf -> inf nats",
 * exp then log. */
static void test_huge_loss(void **state)
{
	(void)state;
	char dir[128];
	snprintf(dir, sizeof dir, "%s/sure", tmpdir);
	assert_int_equal(mkdir(dir, 0700), 0);
	const float w[4] = { 1000, -1000, 0, 0 }; /* fc1.weight [2, 1], fc1.bias [2] */
	write_st(dir, "model.safetensors",
		 "{\"__metadata__\":{\"qlens.kind\":\"classifier\",\"qlens.activation\":"
		 "\"relu\"},\"fc1.weight\":{\"dtype\":\"F32\",\"shape\":[2,1],\"data_offsets\":"
		 "[0,8]},\"fc1.bias\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}",
		 w, sizeof w);
	const float d[8] = { 1, 1, 1, 1, 1, 1, 1, 1 }; /* x = 1, label 1: logits 1000, -1000 */
	write_st(dir, "data.safetensors",
		 "{\"test.x\":{\"dtype\":\"F32\",\"shape\":[2,1],\"data_offsets\":[0,8]},"
		 "\"test.y\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]},"
		 "\"calib.x\":{\"dtype\":\"F32\",\"shape\":[2,1],\"data_offsets\":[16,24]},"
		 "\"calib.y\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[24,32]}}",
		 d, sizeof d);
	char *argv[] = { "eval", dir, "int8", NULL };
	char *out, *err;
	if (eg_run(&out, &err, 3, argv) != 0)
		fail_msg("eval %s: %s", dir, err);
	if (!strstr(out, "cross-entropy    2000.00000 -> 2000.00000 nats  (+0.00000 ± 0.00000)"))
		fail_msg("no finite cross-entropy line in:\n%s", out);
	free(out);
	free(err);
	const char *names[] = { "model.safetensors", "data.safetensors" };
	char p[256];
	for (int i = 0; i < 2; i++) {
		snprintf(p, sizeof p, "%s/%s", dir, names[i]);
		unlink(p);
	}
	rmdir(dir);
}

static int setup(void **state)
{
	(void)state;
	const char *dir = getenv("QLENS_SRCDIR");
	if (dir && chdir(dir) != 0)
		return -1;
	ql_error e = { "" };
	if (ql_model_load("digits", &digits, &e)) {
		fprintf(stderr, "%s\n", e.msg);
		return -1;
	}
	snprintf(tmpdir, sizeof tmpdir, "/tmp/qlens-div-XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	const char *names[] = { "nan.npy", "short.npy", "labels_bad.npy", "i32.npy", "one.npy",
				"le_b.npy", "le_q.npy", "be_b.npy", "be_q.npy", "f16_b.npy", "f16_q.npy",
				"lab_be.npy" };
	char p[256];
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		snprintf(p, sizeof p, "%s/%s", tmpdir, names[i]);
		unlink(p);
	}
	rmdir(tmpdir);
	ql_model_free(&digits);
	return 0;
}

static const char *gpath(const char *file)
{
	static char buf[4][512];
	static int k;
	const char *dir = getenv("QLENS_SRCDIR");
	k = (k + 1) % 4;
	snprintf(buf[k], sizeof buf[k], "%s/tests/golden/eval/%s", dir ? dir : ".", file);
	return buf[k];
}

static double jnum(json_t *root, const char *obj, const char *key)
{
	json_t *o = obj ? json_object_get(root, obj) : root;
	json_t *v = o ? json_object_get(o, key) : NULL;
	if (!v)
		fail_msg("JSON has no %s.%s", obj ? obj : "", key);
	return json_number_value(v);
}

static void check_json(const char *head, json_t *j)
{
	FILE *f = eg_open("divfiles.txt");
	assert_non_null(f);
	eg_case c;
	bool found = false;
	while (eg_next(f, &c)) {
		if (strncmp(c.head, head, strlen(head)) == 0) {
			static const struct { const char *obj, *key, *golden; } map[] = {
				{ "kl", "mean", "kld_mean" },       { "kl", "uncertainty", "kld_unc" },
				{ "kl", "median", "kld_median" },   { "kl", "p90", "kld_p90" },
				{ "kl", "p99", "kld_p99" },         { "kl", "max", "kld_max" },
				{ "top1", "same", "same_top" },     { "top1", "same_p", "same_top_p" },
				{ "perplexity", "original", "ppl_base" },
				{ "perplexity", "quantized", "ppl_quant" },
				{ "perplexity", "ln_ratio", "ln_ppl_ratio" },
				{ "flips", "count", "flips" },      { "delta_p", "mean", "dp_mean" },
				{ "delta_p", "rms", "dp_rms" },     { "delta_p", "median", "dp_median" },
				{ "delta_p", "p1", "dp_p01" },      { "delta_p", "p99", "dp_p99" },
			};
			for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
				double want;
				assert_true(eg_expect(&c, map[i].golden, &want));
				char what[100];
				snprintf(what, sizeof what, "%s %s.%s", head, map[i].obj, map[i].key);
				assert_true(eg_close(what, jnum(j, map[i].obj, map[i].key), want, 1e-9,
						     1e-9));
			}
			found = true;
		}
		eg_free(&c);
	}
	fclose(f);
	assert_true(found);
}

static void run_json(const char *head, const char *b, const char *q, const char *l)
{
	char *argv[] = { "divergence", (char *)b, (char *)q, "--labels", (char *)l, "--json",
			 "--threads", "2", NULL };
	char *out, *err;
	int rc = eg_run(&out, &err, 8, argv);
	if (rc != 0)
		fail_msg("divergence %s %s: status %d: %s", b, q, rc, err);
	json_error_t je;
	json_t *j = json_loads(out, 0, &je);
	if (!j)
		fail_msg("not JSON (%s): %s", je.text, out);
	assert_int_equal((int64_t)jnum(j, NULL, "tokens"), 97);
	assert_int_equal((int64_t)jnum(j, NULL, "vocab"), 300);
	check_json(head, j);
	json_decref(j);
	free(out);
	free(err);
}

static void test_divergence(void **state)
{
	(void)state;
	run_json("f32", gpath("div_base.npy"), gpath("div_quant.npy"), gpath("div_labels.npy"));
	run_json("f16", gpath("div_base_f16.safetensors"), gpath("div_quant_f16.safetensors"),
		 gpath("div_labels.npy"));
	/* the text form says the same things */
	char *argv[] = { "divergence", (char *)gpath("div_base.npy"), (char *)gpath("div_quant.npy"),
			 NULL };
	char *out, *err;
	assert_int_equal(eg_run(&out, &err, 3, argv), 0);
	assert_non_null(strstr(out, "KL divergence    mean"));
	assert_non_null(strstr(out, "no labels"));
	assert_null(strstr(out, "flips  "));
	free(out);
	free(err);
}

/* A float32 .npy of rows x cols (C order) with the given values. */
static void write_npy(const char *name, const char *descr, int64_t rows, int64_t cols,
		      const void *data, size_t bytes)
{
	char path[256];
	snprintf(path, sizeof path, "%s/%s", tmpdir, name);
	bool fortran = strncmp(descr, "F:", 2) == 0; /* "F:>f4": Fortran order */
	if (fortran)
		descr += 2;
	FILE *f = tu_npy_create(path, descr, fortran, rows, cols);
	fwrite(data, 1, bytes, f);
	fclose(f);
}

static void expect_fail(int want_rc, const char *want, int argc, char **argv)
{
	char *out, *err;
	int rc = eg_run(&out, &err, argc, argv);
	size_t len = strlen(err);
	if (rc != want_rc || strncmp(err, "qlens", 5) != 0 || !strstr(err, want) || len == 0 ||
	    strchr(err, '\n') != err + len - 1 || out[0])
		fail_msg("divergence %s %s: status %d (want %d), stderr '%s' (want one line with "
			 "'%s')", argc > 1 ? argv[1] : "", argc > 2 ? argv[2] : "", rc, want_rc, err,
			 want);
	free(out);
	free(err);
}

/* Logits so sure and so wrong that perplexity passes a double (a mean
 * -log p of 2000 nats): the line gives the exponents, not "inf ± -nan". */
static void test_div_huge_perplexity(void **state)
{
	(void)state;
	const float b[4] = { 1000, -1000, 1000, -1000 }, q[4] = { 500, -500, 500, -500 };
	const int32_t lab[2] = { 1, 1 };
	write_npy("hp_b.npy", "<f4", 2, 2, b, sizeof b);
	write_npy("hp_q.npy", "<f4", 2, 2, q, sizeof q);
	write_npy("hp_l.npy", "<i4", 2, 0, lab, sizeof lab);
	char pb[256], pq[256], pl[256];
	snprintf(pb, sizeof pb, "%s/hp_b.npy", tmpdir);
	snprintf(pq, sizeof pq, "%s/hp_q.npy", tmpdir);
	snprintf(pl, sizeof pl, "%s/hp_l.npy", tmpdir);
	char *argv[] = { "divergence", pb, pq, "--labels", pl, NULL };
	char *out, *err;
	if (eg_run(&out, &err, 5, argv) != 0)
		fail_msg("divergence: %s", err);
	if (!strstr(out, "perplexity       e^2000.00000 -> e^1000.00000  (too large for a double; "
			 "ln ratio -1000.00000)"))
		fail_msg("no perplexity line of exponents in:\n%s", out);
	assert_null(strstr(out, "nan"));
	free(out);
	free(err);
}

static void test_errors(void **state)
{
	(void)state;
	float x[4 * 5];
	for (int i = 0; i < 20; i++)
		x[i] = (float)i * 0.25f;
	x[13] = NAN;
	write_npy("nan.npy", "<f4", 4, 5, x, sizeof x);
	x[13] = 1;
	write_npy("one.npy", "<f4", 4, 5, x, sizeof x);
	write_npy("short.npy", "<f4", 5, 4, x, sizeof x);
	int32_t lab[4] = { 0, 4, 5, 1 };
	write_npy("labels_bad.npy", "<i4", 4, 0, lab, sizeof lab);
	write_npy("i32.npy", "<i4", 4, 0, lab, sizeof lab);
	char p[6][256];
	const char *names[] = { "nan.npy", "one.npy", "short.npy", "labels_bad.npy", "i32.npy",
				"missing.npy" };
	for (int i = 0; i < 6; i++)
		snprintf(p[i], sizeof p[i], "%s/%s", tmpdir, names[i]);
	char *a1[] = { "divergence", p[1], p[0], NULL };
	expect_fail(1, "logit [2, 3] is NaN", 3, a1);
	char *a2[] = { "divergence", p[1], p[2], NULL };
	expect_fail(1, "the same tokens and vocabulary", 3, a2);
	char *a3[] = { "divergence", p[1], p[1], "--labels", p[3], NULL };
	expect_fail(1, "label 2 is 5, outside the vocabulary [0, 5)", 5, a3);
	char *a4[] = { "divergence", p[4], p[1], NULL };
	expect_fail(1, "logits must be F32, F16 or BF16", 3, a4);
	char *a5[] = { "divergence", p[5], p[1], NULL };
	expect_fail(1, "missing.npy", 3, a5);
	char *a6[] = { "divergence", p[1], NULL };
	expect_fail(2, "two logits files", 2, a6);
	char *a7[] = { "divergence", p[1], p[1], p[1], NULL };
	expect_fail(2, "third", 4, a7);
	char *a8[] = { "divergence", p[1], p[1], "--bogus", NULL };
	expect_fail(2, "--bogus", 4, a8);
	char *a9[] = { "divergence", p[1], p[1], "--labels", p[1], NULL };
	expect_fail(1, "labels must be integer token ids", 5, a9);
	/* a negative label reads as itself, whatever its width (it printed as
	 * 18446744073709551615 or 255) */
	int64_t neg64[4] = { 0, 1, -1, 2 };
	int8_t neg8[4] = { 0, 1, 2, -3 };
	write_npy("neg64.npy", "<i8", 4, 0, neg64, sizeof neg64);
	write_npy("neg8.npy", "|i1", 4, 0, neg8, sizeof neg8);
	char n64[256], n8[256];
	snprintf(n64, sizeof n64, "%s/neg64.npy", tmpdir);
	snprintf(n8, sizeof n8, "%s/neg8.npy", tmpdir);
	char *a10[] = { "divergence", p[1], p[1], "--labels", n64, NULL };
	expect_fail(1, "label 2 is negative (-1)", 5, a10);
	char *a11[] = { "divergence", p[1], p[1], "--labels", n8, NULL };
	expect_fail(1, "label 3 is negative (-3)", 5, a11);
	/* several tensors, none called logits: divergence has no --tensor, so
	 * the line must not point at one */
	const char *many = gpath("../files/all_dtypes.safetensors");
	char *a12[] = { "divergence", (char *)many, p[1], NULL };
	expect_fail(1, "none named 'logits'", 3, a12);
	char *a13[] = { "divergence", p[1], p[1], "--labels", (char *)many, NULL };
	expect_fail(1, "none named 'labels'", 5, a13);
	/* the same file twice is fine: KL 0 */
	char *ok[] = { "divergence", p[1], p[1], "--json", NULL };
	char *out, *err;
	assert_int_equal(eg_run(&out, &err, 4, ok), 0);
	assert_non_null(strstr(out, "\"mean\": 0"));
	free(out);
	free(err);
}

/* The same logits as little-endian C order, big-endian Fortran order and
 * (exactly representable) float16: the same figures to the last digit. */
static void test_layouts(void **state)
{
	(void)state;
	enum { T = 13, V = 7 };
	float b[T * V], q[T * V];
	uint32_t bb[T * V], qb[T * V];   /* big-endian, Fortran order */
	uint16_t bh[T * V], qh[T * V];   /* float16 */
	int32_t lab[T], labbe[T];
	for (int r = 0; r < T; r++) {
		lab[r] = (r * 5) % V;
		labbe[r] = (int32_t)__builtin_bswap32((uint32_t)lab[r]);
		for (int c = 0; c < V; c++) {
			/* multiples of 1/8 up to 8: exact in float16 */
			b[r * V + c] = (float)(((r * 7 + c * 3) % 17) - 8) / 8.0f * 8.0f;
			q[r * V + c] = b[r * V + c] + (float)((r + c) % 3 - 1) * 0.125f;
		}
	}
	for (int r = 0; r < T; r++)
		for (int c = 0; c < V; c++) {
			uint32_t u, v;
			memcpy(&u, &b[r * V + c], 4);
			memcpy(&v, &q[r * V + c], 4);
			bb[c * T + r] = __builtin_bswap32(u);
			qb[c * T + r] = __builtin_bswap32(v);
			bh[r * V + c] = ql_fp16_from_f32(b[r * V + c]);
			qh[r * V + c] = ql_fp16_from_f32(q[r * V + c]);
		}
	write_npy("le_b.npy", "<f4", T, V, b, sizeof b);
	write_npy("le_q.npy", "<f4", T, V, q, sizeof q);
	write_npy("be_b.npy", "F:>f4", T, V, bb, sizeof bb);
	write_npy("be_q.npy", "F:>f4", T, V, qb, sizeof qb);
	write_npy("f16_b.npy", "<f2", T, V, bh, sizeof bh);
	write_npy("f16_q.npy", "<f2", T, V, qh, sizeof qh);
	write_npy("labels_bad.npy", "<i4", T, 0, lab, sizeof lab);
	write_npy("lab_be.npy", ">i4", T, 0, labbe, sizeof labbe);
	char p[8][256];
	const char *names[] = { "le_b.npy", "le_q.npy", "be_b.npy", "be_q.npy", "f16_b.npy",
				"f16_q.npy", "labels_bad.npy", "lab_be.npy" };
	for (int i = 0; i < 8; i++)
		snprintf(p[i], sizeof p[i], "%s/%s", tmpdir, names[i]);
	char *outs[3];
	for (int k = 0; k < 3; k++) {
		char *argv[] = { "divergence", p[2 * k], p[2 * k + 1], "--labels", p[k == 1 ? 7 : 6],
				 "--json", NULL };
		char *err;
		assert_int_equal(eg_run(&outs[k], &err, 6, argv), 0);
		free(err);
		/* drop the file names: the rest must be the same */
		char *tok = strstr(outs[k], "\"tokens\"");
		assert_non_null(tok);
		memmove(outs[k], tok, strlen(tok) + 1);
	}
	assert_string_equal(outs[0], outs[1]);
	assert_string_equal(outs[0], outs[2]);
	for (int k = 0; k < 3; k++)
		free(outs[k]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_eval),
		cmocka_unit_test(test_divergence),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_layouts),
		cmocka_unit_test(test_huge_loss),
		cmocka_unit_test(test_div_huge_perplexity),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
