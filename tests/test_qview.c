/* test_qview.c — the quantization explorer's numbers (qview.h).
 *
 * Against PyTorch and NumPy (tests/golden/gen_quant_tui.py ->
 * tests/golden/quant_tui.txt) on the hand-readable sample
 * assets/samples/hand12.npy: the int4 grid's every level, each value's code,
 * which values a manual clip clamps, the percentile mark. Against index
 * arithmetic written out here: which scale each element uses. And the
 * scheme's options read back by quantize's own parser give the scheme.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qlens/command.h"
#include "qlens/io.h"
#include "qlens/quantize_cmd.h"
#include "qlens/qview.h"

static char golden_text[8192];

static const char *golden(const char *key)
{
	static char out[1024];
	size_t kl = strlen(key);
	for (const char *p = golden_text; *p;) {
		const char *e = strchr(p, '\n');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		if (len > kl && strncmp(p, key, kl) == 0 && p[kl] == '\t') {
			size_t vl = len - kl - 1 < sizeof out - 1 ? len - kl - 1 : sizeof out - 1;
			memcpy(out, p + kl + 1, vl);
			out[vl] = '\0';
			return out;
		}
		p += len + (e != NULL);
	}
	fail_msg("no golden value '%s'", key);
	return "";
}

static float hand12_x[12];

static int setup(void **state)
{
	(void)state;
	const char *dir = getenv("QLENS_SRCDIR");
	char path[512];
	snprintf(path, sizeof path, "%s/tests/golden/quant_tui.txt", dir ? dir : ".");
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	size_t n = fread(golden_text, 1, sizeof golden_text - 1, f);
	golden_text[n] = '\0';
	fclose(f);
	snprintf(path, sizeof path, "%s/assets/samples/hand12.npy", dir ? dir : ".");
	ql_source *src;
	ql_error err;
	float *x;
	if (ql_source_open(path, NULL, &src, &err) || ql_source_read_f32(src, 0, &x, &err))
		return -1;
	memcpy(hand12_x, x, sizeof hand12_x);
	free(x);
	ql_source_close(src);
	return 0;
}

static void quantize_hand12(const ql_scheme *s, ql_qresult *r)
{
	int64_t shape[1] = {12};
	ql_qopts o = {.dequant = true, .threads = 1};
	ql_error err;
	if (ql_quantize(hand12_x, shape, 1, s, &o, r, &err))
		fail_msg("ql_quantize: %s", err.msg);
}

/* The int4 grid: fifteen levels k * scale, each with its code, exactly;
 * each value's code as PyTorch's kernel gives it. */
static void test_hand12_grid(void **state)
{
	(void)state;
	ql_scheme s;
	ql_scheme_init(&s);
	s.dtype = QL_Q_INT4;
	ql_qresult r;
	quantize_hand12(&s, &r);
	double lv[QL_QVIEW_MAX_LEVELS];
	int32_t codes[QL_QVIEW_MAX_LEVELS];
	int n = ql_qview_levels(&r, 0, lv, codes, QL_QVIEW_MAX_LEVELS);
	assert_int_equal(n, 15);
	char *p = (char *)golden("hand12_levels");
	for (int i = 0; i < n; i++) {
		double want = strtod(p, &p);
		assert_true(lv[i] == want);
		assert_int_equal(codes[i], i - 7);
	}
	p = (char *)golden("hand12_codes");
	for (int i = 0; i < 12; i++) {
		long want = strtol(p, &p, 10);
		int32_t code;
		float xh;
		assert_int_equal(ql_qview_point(&r, 0, hand12_x[i], &code, &xh), 0);
		assert_int_equal(code, want);
		assert_int_equal(code, (int8_t)r.codes[i]);
		assert_true(xh == r.dequant[i]);
	}
	int32_t code;
	float xh;
	assert_int_equal(ql_qview_point(&r, 0, NAN, &code, &xh), -1);
	assert_int_equal(ql_qview_point(&r, 1, 0.5f, &code, &xh), -1);
	ql_qresult_free(&r);
}

/* A manual clip [-1, 1] (scale 1/7): the values the clamp changes are the
 * clipping histogram, the rest the rounding one, and the first agrees with
 * the kernel's own count. */
static void test_error_split(void **state)
{
	(void)state;
	ql_scheme s;
	ql_scheme_init(&s);
	s.dtype = QL_Q_INT4;
	s.has_scale = true;
	s.scale = 1.0f / 7.0f;
	ql_qresult r;
	quantize_hand12(&s, &r);
	ql_hist rnd, clp;
	ql_error err;
	assert_int_equal(ql_qview_error_hists(hand12_x, &r, 16, &rnd, &clp, NULL, &err), 0);
	long want = atol(golden("clip1_clipped"));
	assert_int_equal(clp.total, want);
	assert_int_equal(r.metrics.clipped, want);
	assert_int_equal(rnd.total + clp.total, 12);
	assert_int_equal(rnd.below + rnd.above + clp.below + clp.above, 0);
	char *p = (char *)golden("clip1_clipped_index");
	bool clipped[12] = {false};
	for (long k = 0; k < want; k++)
		clipped[strtol(p, &p, 10)] = true;
	for (int i = 0; i < 12; i++)
		assert_int_equal(ql_qview_is_clipped(&r, i, hand12_x[i]), clipped[i]);
	ql_hist_free(&rnd);
	ql_hist_free(&clp);
	/* a cancelled run stops and frees */
	volatile int cancel = 1;
	assert_int_equal(ql_qview_error_hists(hand12_x, &r, 16, &rnd, &clp, &cancel, &err), 1);
	ql_qresult_free(&r);
	/* all-equal data: no error at all, one bin of zeros */
	float z[5] = {0.25f, 0.25f, 0.25f, 0.25f, 0.25f};
	int64_t shape[1] = {5};
	ql_scheme_init(&s);
	ql_qopts o = {.dequant = true};
	assert_int_equal(ql_quantize(z, shape, 1, &s, &o, &r, &err), 0);
	assert_int_equal(ql_qview_error_hists(z, &r, 8, &rnd, &clp, NULL, &err), 0);
	assert_int_equal(rnd.total, 5);
	assert_int_equal(clp.total, 0);
	ql_hist_free(&rnd);
	ql_hist_free(&clp);
	ql_qresult_free(&r);
}

/* Which scale each element uses, written out: per channel of each axis,
 * per group (a shorter last group), NF4's flat blocks of 64. */
static void test_units(void **state)
{
	(void)state;
	enum { R = 3, C = 70 };
	static float x[R * C];
	for (int i = 0; i < R * C; i++)
		x[i] = (float)((i * 37) % 101) / 50.0f - 1.0f;
	int64_t shape[2] = {R, C};
	ql_error err;
	struct {
		ql_qdtype t;
		ql_granularity g;
		int axis;
		int64_t group;
	} cases[] = {
		{QL_Q_INT8, QL_GRAN_CHANNEL, 0, 0}, {QL_Q_INT8, QL_GRAN_CHANNEL, 1, 0},
		{QL_Q_INT4, QL_GRAN_GROUP, 0, 32}, {QL_Q_NF4, QL_GRAN_BLOCK, 0, 0},
		{QL_Q_INT8, QL_GRAN_TENSOR, 0, 0},
	};
	for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
		ql_scheme s;
		ql_scheme_init(&s);
		s.dtype = cases[k].t;
		s.gran = cases[k].g;
		s.axis = cases[k].axis;
		s.group = cases[k].group ? cases[k].group : 32;
		ql_qresult r;
		assert_int_equal(ql_quantize(x, shape, 2, &s, NULL, &r, &err), 0);
		int64_t count[256] = {0};
		for (int i = 0; i < R * C; i++) {
			int row = i / C, col = i % C;
			int64_t want = cases[k].g == QL_GRAN_TENSOR ? 0
				     : cases[k].g == QL_GRAN_CHANNEL ? (cases[k].axis ? col : row)
				     : cases[k].g == QL_GRAN_GROUP ? row * 3 + col / 32
								   : i / 64;
			assert_int_equal(ql_qview_unit_of(&r, i), want);
			assert_true(want < r.nscales);
			count[want]++;
		}
		static float out[R * C];
		for (int64_t u = 0; u < r.nscales; u++)
			assert_int_equal(ql_qview_gather(&r, x, u, out), count[u]);
		ql_qresult_free(&r);
	}
	/* the gather, run by run, against the filter of every element by
	 * ql_qview_unit_of, in order: 3-D channels of each axis, ragged groups,
	 * Q8_0 blocks, NF4's flat blocks over rows, one unit past the last */
	enum { A = 3, B = 5, D = 96 };
	static float y[A * B * D], got[A * B * D], want[A * B * D];
	for (int i = 0; i < A * B * D; i++)
		y[i] = (float)((i * 7919) % 1009) / 500.0f - 1.0f;
	int64_t shape3[3] = {A, B, D};
	struct {
		ql_qdtype t;
		ql_granularity g;
		int axis;
		int64_t group;
	} more[] = {
		{QL_Q_INT8, QL_GRAN_CHANNEL, 0, 0}, {QL_Q_INT8, QL_GRAN_CHANNEL, 1, 0},
		{QL_Q_INT8, QL_GRAN_CHANNEL, 2, 0}, {QL_Q_INT4, QL_GRAN_GROUP, 0, 40},
		{QL_Q_INT4, QL_GRAN_GROUP, 0, 96}, {QL_Q_Q8_0, QL_GRAN_BLOCK, 0, 0},
		{QL_Q_NF4, QL_GRAN_BLOCK, 0, 0}, {QL_Q_INT8, QL_GRAN_TENSOR, 0, 0},
	};
	for (size_t k = 0; k < sizeof more / sizeof more[0]; k++) {
		ql_scheme s;
		ql_scheme_init(&s);
		s.dtype = more[k].t;
		s.gran = more[k].g;
		s.axis = more[k].axis;
		s.group = more[k].group ? more[k].group : 32;
		ql_qresult r;
		assert_int_equal(ql_quantize(y, shape3, 3, &s, NULL, &r, &err), 0);
		for (int64_t u = 0; u <= r.nscales; u++) {
			int64_t nw = 0;
			for (int64_t i = 0; i < A * B * D; i++)
				if (ql_qview_unit_of(&r, i) == u)
					want[nw++] = y[i];
			int64_t ng = ql_qview_gather(&r, y, u, got);
			assert_int_equal(ng, nw);
			assert_memory_equal(got, want, (size_t)nw * sizeof *got);
		}
		ql_qresult_free(&r);
	}
}

/* The error split over many units (the unit of each element found by
 * counters there, by ql_qview_unit_of here): per channel of either axis and
 * per group with a percentile clip (the clipping total is the kernel's own
 * count), MX blocks of a row that 32 does not divide (saturation), Q4_0. */
static void test_split_units(void **state)
{
	(void)state;
	enum { R = 4, C = 96 };
	static float x[R * C];
	for (int i = 0; i < R * C; i++)
		x[i] = (float)(((i * 7919) % 1009) - 504) / 100.0f * ((i % 13) ? 0.1f : 1.0f);
	int64_t shape[2] = {R, C};
	struct {
		ql_qdtype t;
		ql_granularity g;
		int axis;
		int64_t group;
	} cases[] = {
		{QL_Q_INT4, QL_GRAN_CHANNEL, 0, 0}, {QL_Q_INT4, QL_GRAN_CHANNEL, 1, 0},
		{QL_Q_UINT4, QL_GRAN_GROUP, 0, 40}, {QL_Q_MXFP4, QL_GRAN_BLOCK, 0, 0},
		{QL_Q_Q4_0, QL_GRAN_BLOCK, 0, 0}, {QL_Q_NF4, QL_GRAN_BLOCK, 0, 0},
	};
	for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
		ql_scheme s;
		ql_scheme_init(&s);
		s.dtype = cases[k].t;
		s.gran = cases[k].g;
		s.axis = cases[k].axis;
		if (cases[k].group)
			s.group = cases[k].group;
		if (ql_qdtypes[s.dtype].kind == QL_QK_INT) {
			s.calib = QL_CALIB_PERCENTILE;
			s.percentile = 80;
		}
		ql_qresult r;
		ql_qopts o = {.dequant = true};
		ql_error err;
		assert_int_equal(ql_quantize(x, shape, 2, &s, &o, &r, &err), 0);
		ql_hist rnd, clp;
		assert_int_equal(ql_qview_error_hists(x, &r, 32, &rnd, &clp, NULL, &err), 0);
		int64_t n = 0;
		for (int i = 0; i < R * C; i++)
			n += ql_qview_is_clipped(&r, i, x[i]);
		assert_int_equal(clp.total, r.metrics.clipped ? n : 0);
		assert_int_equal(rnd.total + clp.total, R * C);
		if (ql_qdtypes[s.dtype].kind == QL_QK_INT) {
			assert_true(r.metrics.clipped > 0);
			assert_int_equal(clp.total, r.metrics.clipped);
		}
		ql_hist_free(&rnd);
		ql_hist_free(&clp);
		ql_qresult_free(&r);
	}
}

/* The percentile mark is NumPy's; minmax's is the absmax; a symmetric
 * scheme's marks are symmetric. */
static void test_marks(void **state)
{
	(void)state;
	ql_scheme s;
	ql_scheme_init(&s);
	s.dtype = QL_Q_INT4;
	float lo[QL_CALIB_COUNT], hi[QL_CALIB_COUNT];
	ql_error err;
	assert_int_equal(ql_qview_calib_marks(hand12_x, 12, &s, -7, 7, lo, hi, &err), 0);
	assert_true(hi[QL_CALIB_PERCENTILE] == (float)strtod(golden("hand12_p999"), NULL));
	assert_true(hi[QL_CALIB_MINMAX] == 3.5f);
	for (int m = 0; m < QL_CALIB_COUNT; m++)
		assert_true(lo[m] == -hi[m]);
	s.percentile = 90;
	assert_int_equal(ql_qview_calib_marks(hand12_x, 12, &s, -7, 7, lo, hi, &err), 0);
	assert_true(hi[QL_CALIB_PERCENTILE] == (float)strtod(golden("hand12_p90"), NULL));
}

/* The options the explorer shows read back, through quantize's parser, as
 * the same scheme. */
static void test_scheme_args(void **state)
{
	(void)state;
	ql_scheme cases[6];
	for (int i = 0; i < 6; i++)
		ql_scheme_init(&cases[i]);
	cases[1].dtype = QL_Q_INT4, cases[1].gran = QL_GRAN_GROUP, cases[1].group = 128;
	cases[1].calib = QL_CALIB_MSE;
	cases[2].dtype = QL_Q_UINT8, cases[2].sym = QL_ASYM, cases[2].gran = QL_GRAN_CHANNEL;
	cases[2].axis = 1, cases[2].calib = QL_CALIB_PERCENTILE, cases[2].percentile = 99.5;
	cases[3].dtype = QL_Q_NF4, cases[3].gran = QL_GRAN_BLOCK;
	cases[4].dtype = QL_Q_INT8, cases[4].sym = QL_ASYM, cases[4].has_scale = true;
	cases[4].scale = 0.0123f, cases[4].has_zero_point = true, cases[4].zero_point = -3;
	cases[5].dtype = QL_Q_INT2, cases[5].sym = QL_SYM, cases[5].calib = QL_CALIB_ENTROPY;
	for (int i = 0; i < 6; i++) {
		char line[300];
		int n = snprintf(line, sizeof line, "quantize f.npy ");
		ql_qview_scheme_args(&cases[i], line + n, sizeof line - (size_t)n);
		int argc;
		char **argv;
		ql_error err;
		assert_int_equal(ql_split_words(line, &argc, &argv, &err), 0);
		ql_cmd_ctx ctx = {.out = stdout, .err = stderr};
		ql_quantize_request rq;
		assert_int_equal(ql_quantize_parse(&ctx, argc, argv, &rq), 0);
		const ql_scheme *a = &cases[i], *b = &rq.scheme;
		assert_int_equal(a->dtype, b->dtype);
		assert_int_equal(ql_scheme_symmetry(a), ql_scheme_symmetry(b));
		if (a->gran != QL_GRAN_BLOCK)
			assert_int_equal(a->gran, b->gran);
		if (a->gran == QL_GRAN_CHANNEL)
			assert_int_equal(a->axis, b->axis);
		if (a->gran == QL_GRAN_GROUP)
			assert_int_equal(a->group, b->group);
		assert_int_equal(a->has_scale, b->has_scale);
		if (a->has_scale) {
			assert_true(a->scale == b->scale);
			assert_int_equal(a->zero_point, b->zero_point);
		} else {
			assert_int_equal(a->calib, b->calib);
			assert_true(a->percentile == b->percentile);
		}
		ql_free_words(argc, argv);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hand12_grid),
		cmocka_unit_test(test_error_split),
		cmocka_unit_test(test_units),
		cmocka_unit_test(test_split_units),
		cmocka_unit_test(test_marks),
		cmocka_unit_test(test_scheme_args),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
