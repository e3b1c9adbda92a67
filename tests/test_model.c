/* test_model.c — the shipped models, their forward passes and `qlens eval`,
 * against an independent NumPy forward pass.
 *
 * tests/golden/gen_eval.py runs both models (assets/models/) in NumPy float64
 * from the float32 weights: logits of 24 test examples each, accuracy and
 * perplexity on the whole test split; and whole evaluations: the weights
 * quantized by PyTorch's quantize_per_channel (int8/ch0) and by a port of
 * the same symmetric kernel per group of 32 (int4/g32), with and without
 * int8 dynamic activations, compared with llama-perplexity's statistics.
 * Here the C forward pass (float32) must give the same logits to float32
 * accuracy, the same accuracy and the same counts of flips, and the same
 * statistics to a relative 1e-3.
 *
 * Also: the model cards' figures, the float32 "scheme" (everything kept),
 * thread-count independence, static calibration, --keep, loading errors,
 * (the command: test_cli_eval.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "evgolden.h"
#include "qlens/eval.h"
#include "qlens/io.h"
#include "qlens/model.h"

static ql_model digits, chars;

static int setup(void **state)
{
	(void)state;
	const char *dir = getenv("QLENS_SRCDIR");
	if (dir && chdir(dir) != 0)
		return -1;
	ql_error err = { "" };
	if (ql_model_load("digits", &digits, &err) || ql_model_load("chars", &chars, &err)) {
		fprintf(stderr, "%s\n", err.msg);
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	ql_model_free(&digits);
	ql_model_free(&chars);
	return 0;
}

static const ql_model *model_named(const char *name)
{
	return strcmp(name, "digits") == 0 ? &digits : &chars;
}

static float *run_float(const ql_model *m)
{
	float *l = malloc((size_t)(m->test.n * m->nout) * sizeof *l);
	ql_model_forward(m, NULL, &m->test, NULL, l);
	return l;
}

static void test_shapes(void **state)
{
	(void)state;
	assert_int_equal(digits.kind, QL_MODEL_CLASSIFIER);
	assert_int_equal(digits.nlayers, 3);
	assert_int_equal(digits.in_dim, 64);
	assert_int_equal(digits.nout, 10);
	assert_int_equal(digits.test.n, 400);
	assert_int_equal(digits.calib.n, 200);
	assert_int_equal(chars.kind, QL_MODEL_CHARLM);
	assert_int_equal(chars.context, 4);
	assert_int_equal(chars.vocab, 28);
	assert_int_equal(chars.nout, 28);
	assert_int_equal(chars.embed, 0);
	assert_string_equal(chars.mats[0].name, "embed.weight");
	assert_int_equal(chars.vocab_chars[0], '\n');
	assert_int_equal(chars.vocab_chars[1], 'a');
	assert_true(chars.test.n > 5000);
	/* a model directory by its path is the same model */
	ql_model d;
	ql_error err = { "" };
	assert_int_equal(ql_model_load("assets/models/digits/", &d, &err), 0);
	assert_string_equal(d.name, "digits");
	assert_int_equal(d.test.n, digits.test.n);
	assert_memory_equal(d.mats[1].w, digits.mats[1].w, 64 * 128 * sizeof(float));
	ql_model_free(&d);
}

static void test_forward_golden(void **state)
{
	(void)state;
	FILE *f = eg_open("model.txt");
	assert_non_null(f);
	eg_case c;
	int seen = 0;
	while (eg_next(f, &c)) {
		char name[32];
		int k, V;
		assert_int_equal(sscanf(c.head, "%31s %d %d", name, &k, &V), 3);
		const ql_model *m = model_named(name);
		assert_int_equal(V, m->nout);
		size_t ni, nl;
		double *idx = eg_numbers(eg_line(&c, "index"), &ni);
		double *want = eg_numbers(eg_line(&c, "logits"), &nl);
		assert_int_equal(ni, (size_t)k);
		assert_int_equal(nl, (size_t)(k * V));
		float *l = run_float(m);
		int bad = 0;
		for (int i = 0; i < k; i++)
			for (int v = 0; v < V; v++) {
				char what[64];
				snprintf(what, sizeof what, "%s logit [%d, %d]", name, (int)idx[i], v);
				bad += !eg_close(what, l[(int64_t)idx[i] * V + v], want[i * V + v], 3e-5, 3e-6);
			}
		assert_int_equal(bad, 0);
		/* accuracy and perplexity of the whole split */
		double acc_want, ppl_want;
		acc_want = strtod(eg_line(&c, "accuracy"), NULL);
		ppl_want = strtod(eg_line(&c, "perplexity"), NULL);
		int64_t correct = 0;
		double nll = 0;
		for (int64_t i = 0; i < m->test.n; i++) {
			const float *row = l + i * V;
			ql_div_row r;
			ql_div_row_compute(row, row, V, m->test.y[i], &r);
			correct += r.top_base == m->test.y[i];
			nll += r.nll_base;
		}
		assert_true(eg_close("accuracy", (double)correct / (double)m->test.n, acc_want, 0, 0));
		assert_true(eg_close("perplexity", exp(nll / (double)m->test.n), ppl_want, 0, 1e-6));
		fprintf(stderr, "%s: accuracy %.4f, perplexity %.4f as NumPy's\n", name,
			(double)correct / (double)m->test.n, exp(nll / (double)m->test.n));
		free(l);
		free(idx);
		free(want);
		eg_free(&c);
		seen++;
	}
	fclose(f);
	assert_int_equal(seen, 2);
}

/* Threads split examples only: 1, 2 and 3 threads give the same bits. */
static void test_threads(void **state)
{
	(void)state;
	const ql_model *ms[2] = { &digits, &chars };
	for (int k = 0; k < 2; k++) {
		const ql_model *m = ms[k];
		size_t n = (size_t)(m->test.n * m->nout);
		float *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b);
		ql_act_opts act = { .mode = QL_ACTQ_INT8_DYNAMIC };
		ql_model_forward_range(m, NULL, &m->test, 0, m->test.n, &act, 1, a);
		static const int counts[] = { 2, 3, 64 }; /* 64: more than it runs */
		for (int ti = 0; ti < 3; ti++) {
			ql_model_forward_range(m, NULL, &m->test, 0, m->test.n, &act, counts[ti], b);
			assert_memory_equal(a, b, n * sizeof *a);
		}
		/* a range is the same rows as the whole */
		ql_model_forward_range(m, NULL, &m->test, 17, 33, &act, 2, b);
		assert_memory_equal(a + 17 * m->nout, b, (size_t)(33 * m->nout) * sizeof *a);
		free(a);
		free(b);
	}
}

/* The model cards' figures (written by the training scripts from PyTorch)
 * come back from the float32 forward pass, and an eval that keeps every
 * matrix in float32 changes nothing. */
static void test_cards(void **state)
{
	(void)state;
	const ql_model *ms[2] = { &digits, &chars };
	for (int k = 0; k < 2; k++) {
		const ql_model *m = ms[k];
		ql_eval_ctx *c;
		ql_error err = { "" };
		assert_int_equal(ql_eval_ctx_new(m, &c, &err), 0);
		ql_scheme s;
		ql_scheme_init(&s);
		ql_eval_opts o = { .keep = "*" };
		ql_eval_result r;
		assert_int_equal(ql_eval_run(c, &s, &o, &r, &err), 0);
		assert_true(r.stats.kld_max == 0.0 && r.stats.kld_min == 0.0);
		assert_int_equal(r.stats.flips, 0);
		assert_int_equal(r.stats.top_changed, 0);
		assert_true(r.bits_per_weight == 32.0);
		for (int i = 0; i < r.nmats; i++)
			assert_true(r.mats[i].kept && strstr(r.mats[i].why, "--keep"));
		if (m->kind == QL_MODEL_CLASSIFIER) {
			assert_false(isnan(m->card_accuracy));
			assert_true(eg_close("card accuracy", r.stats.acc_base, m->card_accuracy, 5e-5, 0));
		} else {
			assert_false(isnan(m->card_perplexity));
			assert_true(eg_close("card perplexity", r.stats.ppl_base, m->card_perplexity,
					     5e-5, 1e-5));
		}
		ql_eval_result_free(&r);
		ql_eval_ctx_free(c);
	}
}

typedef struct sfield {
	const char *key;
	size_t off;
	bool is_int;
} sfield;

#define SD(k) { #k, offsetof(ql_div_stats, k), false }
#define SI(k) { #k, offsetof(ql_div_stats, k), true }

static const sfield sfields[] = {
	SD(kld_mean), SD(kld_unc), SD(kld_median), SD(kld_p90), SD(kld_p99), SD(kld_max),
	SI(same_top), SD(ppl_base), SD(ppl_quant), SD(ln_ppl_ratio), SI(correct_base),
	SI(correct_quant), SI(flips), SI(flips_to_wrong), SI(flips_to_right), SD(dp_mean),
	SD(dp_rms), SD(dp_median), SD(dp_p01), SD(dp_p99), SD(dp_min), SD(dp_max),
};

static void test_eval_golden(void **state)
{
	(void)state;
	FILE *f = eg_open("evalcases.txt");
	assert_non_null(f);
	eg_case c;
	int seen = 0;
	while (eg_next(f, &c)) {
		char name[32], scheme[32], act[32];
		assert_int_equal(sscanf(c.head, "%31s %31s %31s", name, scheme, act), 3);
		const ql_model *m = model_named(name);
		ql_scheme s;
		ql_scheme_init(&s);
		if (strcmp(scheme, "int8/ch0") == 0) {
			s.gran = QL_GRAN_CHANNEL;
			s.axis = 0;
		} else {
			assert_string_equal(scheme, "int4/g32");
			s.dtype = QL_Q_INT4;
			s.gran = QL_GRAN_GROUP;
			s.group = 32;
		}
		ql_eval_opts o = { 0 };
		assert_int_equal(ql_act_quant_parse(act, &o.act), 0);
		ql_eval_ctx *ec;
		ql_error err = { "" };
		assert_int_equal(ql_eval_ctx_new(m, &ec, &err), 0);
		ql_eval_result r;
		if (ql_eval_run(ec, &s, &o, &r, &err))
			fail_msg("%s: %s", c.head, err.msg);
		int bad = 0;
		for (int i = 0; i < c.nlines; i++) {
			if (strcmp(c.name[i], "sqnr") != 0)
				continue;
			char mat[64];
			double want;
			assert_int_equal(sscanf(c.rest[i], "%63s %lf", mat, &want), 2);
			bool found = false;
			for (int k = 0; k < r.nmats; k++)
				if (strcmp(r.mats[k].name, mat) == 0) {
					char what[400];
					snprintf(what, sizeof what, "%s: %s SQNR", c.head, mat);
					bad += !eg_close(what, r.mats[k].metrics.sqnr_db, want, 1e-6, 1e-9);
					assert_false(r.mats[k].kept);
					found = true;
				}
			assert_true(found);
		}
		for (size_t i = 0; i < sizeof sfields / sizeof sfields[0]; i++) {
			double want, got;
			assert_true(eg_expect(&c, sfields[i].key, &want));
			const char *p = (const char *)&r.stats + sfields[i].off;
			if (sfields[i].is_int) {
				int64_t v;
				memcpy(&v, p, sizeof v);
				got = (double)v;
			} else {
				memcpy(&got, p, sizeof got);
			}
			char what[400];
			snprintf(what, sizeof what, "%s: %s", c.head, sfields[i].key);
			bad += sfields[i].is_int ? !eg_close(what, got, want, 0, 0)
						 : !eg_close(what, got, want, 2e-6, 1e-3);
		}
		if (bad)
			fail_msg("%s: %d figures differ from NumPy's", c.head, bad);
		fprintf(stderr, "%s: KL %.3g, flips %lld, accuracy %.4f, perplexity %.4f as NumPy's\n",
			c.head, r.stats.kld_mean, (long long)r.stats.flips, r.stats.acc_quant,
			r.stats.ppl_quant);
		ql_eval_result_free(&r);
		ql_eval_ctx_free(ec);
		eg_free(&c);
		seen++;
	}
	fclose(f);
	assert_int_equal(seen, 6);
}

/* Static activation scales with minmax: each layer's scale is the absmax
 * of its calibration inputs / 127; the first layer's inputs are the data. */
static void test_static_calibration(void **state)
{
	(void)state;
	float sc[QL_MODEL_MAX_LAYERS];
	ql_error err = { "" };
	assert_int_equal(ql_model_calibrate(&digits, NULL, QL_CALIB_MINMAX, 0, sc, &err), 0);
	float absmax = 0;
	for (int64_t i = 0; i < digits.calib.n * digits.in_dim; i++)
		absmax = fabsf(digits.calib.x[i]) > absmax ? fabsf(digits.calib.x[i]) : absmax;
	assert_true(sc[0] == absmax / 127.0f);
	for (int l = 1; l < digits.nlayers; l++)
		assert_true(sc[l] > 0 && isfinite(sc[l]));
	/* chars: the first layer sees embedding rows of the calibration text */
	assert_int_equal(ql_model_calibrate(&chars, NULL, QL_CALIB_MINMAX, 0, sc, &err), 0);
	const ql_model_mat *e = &chars.mats[chars.embed];
	absmax = 0;
	bool used[QL_MODEL_MAX_VOCAB] = { false };
	used[0] = true; /* the context before the start */
	for (int64_t i = 0; i + 1 < chars.calib.n; i++)
		used[chars.calib.tokens[i]] = true;
	for (int64_t t = 0; t < chars.vocab; t++)
		for (int64_t j = 0; used[t] && j < e->cols; j++)
			absmax = fmaxf(absmax, fabsf(e->w[t * e->cols + j]));
	assert_true(sc[0] == absmax / 127.0f);
	/* static int8 on the test split runs and moves the outputs a little */
	ql_eval_ctx *ec;
	assert_int_equal(ql_eval_ctx_new(&digits, &ec, &err), 0);
	ql_scheme s;
	ql_scheme_init(&s);
	ql_eval_opts o = { .act = QL_ACTQ_INT8_STATIC, .keep = "*" };
	ql_eval_result r;
	assert_int_equal(ql_eval_run(ec, &s, &o, &r, &err), 0);
	assert_true(r.act_scales[0] == sc[0] || digits.calib.n > 0);
	assert_true(r.stats.kld_mean > 0 && r.stats.kld_mean < 0.05);
	ql_eval_result_free(&r);
	ql_eval_ctx_free(ec);
}

static void test_keep(void **state)
{
	(void)state;
	assert_true(ql_eval_keep_match("fc1.*", "fc1.weight"));
	assert_false(ql_eval_keep_match("fc1.*", "fc2.weight"));
	assert_true(ql_eval_keep_match("embed.*,fc3.*", "fc3.weight"));
	assert_false(ql_eval_keep_match("", "fc3.weight"));
	assert_false(ql_eval_keep_match(NULL, "fc3.weight"));
	ql_eval_ctx *ec;
	ql_error err = { "" };
	assert_int_equal(ql_eval_ctx_new(&digits, &ec, &err), 0);
	ql_scheme s;
	ql_scheme_init(&s);
	s.dtype = QL_Q_INT2;
	s.gran = QL_GRAN_GROUP;
	s.group = 32;
	ql_eval_opts o = { .keep = "fc1.*,fc3.*" };
	ql_eval_result all, kept;
	assert_int_equal(ql_eval_run(ec, &s, NULL, &all, &err), 0);
	assert_int_equal(ql_eval_run(ec, &s, &o, &kept, &err), 0);
	assert_true(kept.mats[0].kept && !kept.mats[1].kept && kept.mats[2].kept);
	assert_true(kept.mats[0].metrics.sqnr_db > 1e300 || isinf(kept.mats[0].metrics.sqnr_db));
	/* the same fc2 either way; more bits, less damage with the ends kept */
	assert_memory_equal(&kept.mats[1].metrics, &all.mats[1].metrics, sizeof(ql_metrics));
	assert_true(kept.bits_per_weight > all.bits_per_weight);
	assert_true(kept.stats.kld_mean < all.stats.kld_mean);
	/* a scheme that cannot take a matrix keeps it and says why (an axis
	 * the 2-D matrices do not have) */
	ql_scheme bad;
	ql_scheme_init(&bad);
	bad.gran = QL_GRAN_CHANNEL;
	bad.axis = 5;
	ql_eval_result r;
	assert_int_equal(ql_eval_run(ec, &bad, NULL, &r, &err), 0);
	assert_true(r.mats[0].kept && r.mats[0].why[0] && !strstr(r.mats[0].why, "--keep"));
	assert_true(r.stats.kld_max == 0.0);
	ql_eval_result_free(&r);
	ql_eval_result_free(&all);
	ql_eval_result_free(&kept);
	ql_eval_ctx_free(ec);
}

/* --- loading errors ------------------------------------------------------------ */

static char tmpdir[64];
static int64_t test_rows = 2; /* rows of test.x and test.y that write_model writes */

static void write_model(const char *kind, float poison)
{
	char path[256];
	ql_writer *w;
	ql_error err = { "" };
	snprintf(path, sizeof path, "%s/model.safetensors", tmpdir);
	assert_int_equal(ql_writer_open(path, true, &w, &err), 0);
	float wt[4 * 3] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 }, b[4] = { 0 };
	wt[5] = poison;
	int64_t ws[2] = { 4, 3 }, bs[1] = { 4 };
	assert_int_equal(ql_writer_add(w, "fc1.weight", QL_DT_F32, ws, 2, wt, &err), 0);
	assert_int_equal(ql_writer_add(w, "fc1.bias", QL_DT_F32, bs, 1, b, &err), 0);
	if (kind)
		assert_int_equal(ql_writer_meta(w, "qlens.kind", kind, &err), 0);
	assert_int_equal(ql_writer_close(w, &err), 0);
	snprintf(path, sizeof path, "%s/data.safetensors", tmpdir);
	assert_int_equal(ql_writer_open(path, true, &w, &err), 0);
	float x[2 * 3] = { 0 }, y[2] = { 1, 7 }, cy[2] = { 1, 3 }; /* the writer may keep pointers */
	int64_t xs[2] = { 2, 3 }, ys[1] = { 2 }, txs[2] = { test_rows, 3 }, tys[1] = { test_rows };
	assert_int_equal(ql_writer_add(w, "test.x", QL_DT_F32, txs, 2, x, &err), 0);
	assert_int_equal(ql_writer_add(w, "test.y", QL_DT_F32, tys, 1, y, &err), 0);
	assert_int_equal(ql_writer_add(w, "calib.x", QL_DT_F32, xs, 2, x, &err), 0);
	assert_int_equal(ql_writer_add(w, "calib.y", QL_DT_F32, ys, 1, cy, &err), 0);
	assert_int_equal(ql_writer_close(w, &err), 0);
}

static void expect_load_error(const char *what, const char *want)
{
	ql_model m;
	ql_error err = { "" };
	assert_int_equal(ql_model_load(what, &m, &err), -1);
	if (!strstr(err.msg, want))
		fail_msg("loading %s: '%s' (want '%s')", what, err.msg, want);
}

static void test_load_errors(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof tmpdir, "/tmp/qlens-model-XXXXXX");
	assert_non_null(mkdtemp(tmpdir));
	expect_load_error("nosuch", "nosuch: no such model");
	expect_load_error("../etc", "no such model");
	expect_load_error(tmpdir, "model.safetensors");
	write_model(NULL, 6);
	expect_load_error(tmpdir, "qlens.kind");
	write_model("classifier", NAN);
	expect_load_error(tmpdir, "not finite");
	write_model("classifier", 6);
	expect_load_error(tmpdir, "'test.y': element 1 is 7, not a whole number in [0, 4)");
	/* an empty split says so (it said "dimension 0 of size 0, not -1") */
	test_rows = 0;
	write_model("classifier", 6);
	expect_load_error(tmpdir, "tensor 'test.x' is empty (shape [0, 3]): it needs at least one row");
	test_rows = 2;
	char p[256];
	const char *names[] = { "model.safetensors", "data.safetensors" };
	for (int i = 0; i < 2; i++) {
		snprintf(p, sizeof p, "%s/%s", tmpdir, names[i]);
		unlink(p);
	}
	rmdir(tmpdir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shapes),
		cmocka_unit_test(test_forward_golden),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_cards),
		cmocka_unit_test(test_eval_golden),
		cmocka_unit_test(test_static_calibration),
		cmocka_unit_test(test_keep),
		cmocka_unit_test(test_load_errors),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
