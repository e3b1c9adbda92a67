/* test_quant.c — the affine kernels, calibration, schemes, ql_quantize and
 * the metrics, against PyTorch/NumPy golden vectors (tests/golden/quant.txt,
 * made by tests/golden/gen_quant.py) and worked examples.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qgolden.h"
#include "qlens/quant.h"
#include "qlens/stats.h"

static void check_close(double got, double want, double rel, const char *what)
{
	double tol = rel * fmax(1.0, fabs(want));
	if (!(fabs(got - want) <= tol)) {
		note("%s: got %.17g, want %.17g\n", what, got, want);
		fail();
	}
}

/* The qlens target of a PyTorch code range. */
static ql_qdtype target_of(int32_t qmin, int32_t qmax)
{
	if (qmin < 0) {
		int span = qmax - qmin;
		return span >= 250 ? QL_Q_INT8 : span >= 14 ? QL_Q_INT4 : QL_Q_INT2;
	}
	return qmax == 255 ? QL_Q_UINT8 : qmax == 15 ? QL_Q_UINT4 : QL_Q_UINT2;
}

/* ---- Golden: torch.quantize_per_tensor / fake_quantize ------------------------ */

static void test_golden_per_tensor(void **state)
{
	(void)state;
	FILE *f = qg_open();
	assert_non_null(f);
	qg_case c = {0};
	int cases = 0;
	while (qg_next(f, &c)) {
		bool pt = !strcmp(c.kind, "pt"), fq = !strcmp(c.kind, "fq");
		if (!pt && !fq)
			continue;
		const qg_array *xa = qg_arr(&c, "x"), *qa = qg_arr(&c, "q"), *ya = qg_arr(&c, "y");
		float *x = qg_floats(xa);
		size_t n = xa->n;
		float scale = (float)qg_num(&c, "scale");
		int32_t zp = (int32_t)qg_num(&c, "zp");
		int32_t qmin, qmax;
		bool is_signed;
		if (pt) {
			is_signed = !strcmp(qg_param(&c, "dtype"), "qint8");
			qmin = is_signed ? -128 : 0;
			qmax = is_signed ? 127 : 255;
		} else {
			qmin = (int32_t)qg_num(&c, "qmin");
			qmax = (int32_t)qg_num(&c, "qmax");
			is_signed = qmin < 0;
		}
		uint8_t *q = malloc(n);
		float *y = malloc(n * sizeof *y);
		if (is_signed) {
			ql_affine_quantize_s8(x, n, scale, zp, qmin, qmax, (int8_t *)q);
			ql_affine_dequantize_s8((int8_t *)q, n, scale, zp, y);
		} else {
			ql_affine_quantize_u8(x, n, scale, zp, qmin, qmax, q);
			ql_affine_dequantize_u8(q, n, scale, zp, y);
		}
		for (size_t i = 0; i < n; i++) {
			int got = is_signed ? (int)(int8_t)q[i] : (int)q[i];
			if (got != (int)qa->v[i]) {
				note("%s: x=%a scale=%a zp=%d: code %d, torch %d\n", c.head,
					    (double)x[i], (double)scale, zp, got, (int)qa->v[i]);
				fail();
			}
			check_same_float(y[i], (float)ya->v[i], "dequant", i);
		}

		/* The same through ql_quantize with a user scale and zero point. */
		ql_scheme s;
		ql_scheme_init(&s);
		s.dtype = target_of(qmin, qmax);
		s.sym = QL_ASYM;
		s.has_scale = true;
		s.scale = scale;
		s.has_zero_point = true;
		s.zero_point = zp;
		int32_t rmin, rmax;
		ql_scheme_qrange(&s, &rmin, &rmax);
		if (rmin == qmin && rmax == qmax) {
			ql_qresult r;
			ql_error err;
			int64_t shape[1] = {(int64_t)n};
			ql_qopts o = {.dequant = true};
			assert_int_equal(ql_quantize(x, shape, 1, &s, &o, &r, &err), 0);
			assert_memory_equal(r.codes, q, n);
			for (size_t i = 0; i < n; i++)
				check_same_float(r.dequant[i], (float)ya->v[i], "ql_quantize", i);
			ql_qresult_free(&r);
		}
		free(q);
		free(y);
		free(x);
		cases++;
	}
	qg_free(&c);
	fclose(f);
	assert_true(cases >= 40);
}

/* ---- Golden: torch.quantize_per_channel ------------------------------------------ */

static void test_golden_per_channel(void **state)
{
	(void)state;
	FILE *f = qg_open();
	assert_non_null(f);
	qg_case c = {0};
	int cases = 0;
	while (qg_next(f, &c)) {
		if (strcmp(c.kind, "pc"))
			continue;
		const qg_array *sh = qg_arr(&c, "shape"), *sa = qg_arr(&c, "scales"),
			       *za = qg_arr(&c, "zps"), *xa = qg_arr(&c, "x"), *qa = qg_arr(&c, "q"),
			       *ya = qg_arr(&c, "y");
		bool is_signed = !strcmp(qg_param(&c, "dtype"), "qint8");
		int axis = (int)qg_num(&c, "axis");
		int ndim = (int)sh->n;
		int64_t shape[QL_MAX_DIMS];
		int64_t inner = 1, C = (int64_t)sh->v[axis];
		for (int i = 0; i < ndim; i++)
			shape[i] = (int64_t)sh->v[i];
		for (int i = axis + 1; i < ndim; i++)
			inner *= shape[i];
		float *x = qg_floats(xa), *scales = qg_floats(sa);
		size_t n = xa->n;

		/* Element by element with the per-tensor kernel... */
		for (size_t i = 0; i < n; i++) {
			int64_t ch = ((int64_t)i / inner) % C;
			int32_t zp = (int32_t)za->v[ch];
			int got;
			float y;
			if (is_signed) {
				int8_t q;
				ql_affine_quantize_s8(&x[i], 1, scales[ch], zp, -128, 127, &q);
				ql_affine_dequantize_s8(&q, 1, scales[ch], zp, &y);
				got = q;
			} else {
				uint8_t q;
				ql_affine_quantize_u8(&x[i], 1, scales[ch], zp, 0, 255, &q);
				ql_affine_dequantize_u8(&q, 1, scales[ch], zp, &y);
				got = q;
			}
			assert_int_equal(got, (int)qa->v[i]);
			check_same_float(y, (float)ya->v[i], "per-channel dequant", i);
		}
		/* ...and with the row kernel when the channels are the last axis. */
		if (axis == ndim - 1) {
			int32_t zps[64];
			for (int64_t k = 0; k < C; k++)
				zps[k] = (int32_t)za->v[k];
			uint8_t *q = malloc(n);
			if (is_signed)
				ql_affine_quantize_rows_s8(x, n / (size_t)C, (size_t)C, scales, zps, -128,
							   127, (int8_t *)q);
			else
				ql_affine_quantize_rows_u8(x, n / (size_t)C, (size_t)C, scales, zps, 0, 255,
							   q);
			for (size_t i = 0; i < n; i++)
				assert_int_equal(is_signed ? (int)(int8_t)q[i] : (int)q[i], (int)qa->v[i]);
			free(q);
		}
		free(x);
		free(scales);
		cases++;
	}
	qg_free(&c);
	fclose(f);
	assert_int_equal(cases, 10);
}

/* ---- Golden: MinMaxObserver / PerChannelMinMaxObserver, end to end --------------- */

static void test_golden_observers(void **state)
{
	(void)state;
	FILE *f = qg_open();
	assert_non_null(f);
	qg_case c = {0};
	int cases = 0;
	while (qg_next(f, &c)) {
		bool obs = !strcmp(c.kind, "obs"), pcobs = !strcmp(c.kind, "pcobs");
		if (!obs && !pcobs)
			continue;
		const qg_array *xa = qg_arr(&c, "x"), *sa = qg_arr(&c, "scale"),
			       *za = qg_arr(&c, "zp"), *ya = qg_arr(&c, "y");
		int32_t qmin = (int32_t)qg_num(&c, "qmin"), qmax = (int32_t)qg_num(&c, "qmax");
		bool sym = qg_num(&c, "sym") != 0;
		float *x = qg_floats(xa);
		size_t n = xa->n;

		ql_scheme s;
		ql_scheme_init(&s);
		s.dtype = target_of(qmin, qmax);
		s.sym = sym ? QL_SYM : QL_ASYM;
		int64_t shape[QL_MAX_DIMS] = {(int64_t)n};
		int ndim = 1;
		if (pcobs) {
			const qg_array *sh = qg_arr(&c, "shape");
			ndim = (int)sh->n;
			for (int i = 0; i < ndim; i++)
				shape[i] = (int64_t)sh->v[i];
			s.gran = QL_GRAN_CHANNEL;
			s.axis = (int)qg_num(&c, "axis");
		} else {
			/* The kernel of the formulas alone, from the data's range. */
			float mn, mx, scale;
			int32_t zp;
			ql_range(x, n, &mn, &mx);
			ql_qparams_from_range(mn, mx, qmin, qmax, sym, &scale, &zp);
			check_same_float(scale, (float)sa->v[0], c.head, 0);
			assert_int_equal(zp, (int)za->v[0]);
		}
		int32_t rmin, rmax;
		ql_scheme_qrange(&s, &rmin, &rmax);
		assert_int_equal(rmin, qmin);
		assert_int_equal(rmax, qmax);

		ql_qresult r;
		ql_error err;
		ql_qopts o = {.dequant = true};
		assert_int_equal(ql_quantize(x, shape, ndim, &s, &o, &r, &err), 0);
		assert_int_equal(r.nscales, (int64_t)sa->n);
		for (int64_t k = 0; k < r.nscales; k++) {
			check_same_float(r.scales[k], (float)sa->v[k], "scale", (size_t)k);
			int32_t zp = r.zero_points ? r.zero_points[k] : 0;
			if (zp != (int32_t)za->v[k]) {
				note("%s: zero point %d, torch %d\n", c.head, zp, (int)za->v[k]);
				fail();
			}
		}
		for (size_t i = 0; i < n; i++)
			check_same_float(r.dequant[i], (float)ya->v[i], c.head, i);
		ql_qresult_free(&r);
		free(x);
		cases++;
	}
	qg_free(&c);
	fclose(f);
	assert_true(cases >= 80);
}

/* ---- Golden: scaled fp8 ----------------------------------------------------------- */

static void test_golden_fp8(void **state)
{
	(void)state;
	FILE *f = qg_open();
	assert_non_null(f);
	qg_case c = {0};
	int cases = 0;
	while (qg_next(f, &c)) {
		if (strcmp(c.kind, "fp8"))
			continue;
		const qg_array *xa = qg_arr(&c, "x"), *va = qg_arr(&c, "v"), *ya = qg_arr(&c, "y");
		float *x = qg_floats(xa);
		ql_scheme s;
		ql_scheme_init(&s);
		ql_error err;
		assert_int_equal(ql_scheme_parse_dtype(qg_param(&c, "fmt"), &s.dtype, &err), 0);
		ql_type fmt = ql_qdtypes[s.dtype].elem;
		int64_t shape[1] = {(int64_t)xa->n};
		ql_qresult r;
		ql_qopts o = {.dequant = true};
		assert_int_equal(ql_quantize(x, shape, 1, &s, &o, &r, &err), 0);
		check_same_float(r.scales[0], (float)qg_num(&c, "scale"), "fp8 scale", 0);
		for (size_t i = 0; i < xa->n; i++) {
			check_close(ql_decode(fmt, r.codes[i]), va->v[i], 0, "fp8 element");
			check_same_float(r.dequant[i], (float)ya->v[i], "fp8 dequant", i);
		}
		ql_qresult_free(&r);
		free(x);
		cases++;
	}
	qg_free(&c);
	fclose(f);
	assert_int_equal(cases, 2);
}

/* ---- Golden: percentiles, histograms, metrics, entropy ------------------------------ */

static void test_golden_stats(void **state)
{
	(void)state;
	FILE *f = qg_open();
	assert_non_null(f);
	qg_case c = {0};
	int cases = 0;
	while (qg_next(f, &c)) {
		const qg_array *xa = qg_arr(&c, "x");
		if (!xa)
			continue;
		float *x = qg_floats(xa);
		size_t n = xa->n;
		ql_error err;
		if (!strcmp(c.kind, "pct")) {
			const qg_array *p = qg_arr(&c, "p"), *v = qg_arr(&c, "v"), *va = qg_arr(&c, "va");
			for (size_t k = 0; k < p->n; k++) {
				double got;
				assert_int_equal(ql_percentile(x, n, p->v[k], false, &got, &err), 0);
				check_close(got, v->v[k], 1e-15, "percentile");
				assert_int_equal(ql_percentile(x, n, p->v[k], true, &got, &err), 0);
				check_close(got, va->v[k], 1e-15, "percentile of |x|");
			}
			cases++;
		} else if (!strcmp(c.kind, "hist")) {
			const qg_array *cnt = qg_arr(&c, "counts");
			ql_hist h;
			assert_int_equal(ql_hist_init(&h, (int)qg_num(&c, "bins"), qg_num(&c, "lo"),
						      qg_num(&c, "hi"), &err), 0);
			ql_hist_add(&h, x, n);
			for (int b = 0; b < h.nbins; b++)
				assert_int_equal(h.counts[b], (int64_t)cnt->v[b]);
			assert_int_equal(h.below, (int64_t)qg_num(&c, "below"));
			assert_int_equal(h.above, (int64_t)qg_num(&c, "above"));
			assert_int_equal(h.total, (int64_t)n);
			ql_hist_free(&h);
			cases++;
		} else if (!strcmp(c.kind, "metrics")) {
			float *y = qg_floats(qg_arr(&c, "y"));
			ql_metrics m;
			ql_metrics_compute(x, y, n, &m);
			check_close(m.mse, qg_num(&c, "mse"), 1e-12, "mse");
			check_close(m.rmse, sqrt(qg_num(&c, "mse")), 1e-12, "rmse");
			check_close(m.sqnr_db, qg_num(&c, "sqnr"), 1e-12, "sqnr");
			check_close(m.max_abs_err, qg_num(&c, "maxabs"), 0, "max abs");
			check_close(m.mean_abs_err, qg_num(&c, "meanabs"), 1e-12, "mean abs");
			check_close(m.cosine, qg_num(&c, "cosine"), 1e-12, "cosine");
			free(y);
			cases++;
		} else if (!strcmp(c.kind, "entropy")) {
			float lo, hi;
			assert_int_equal(ql_calibrate(x, n, QL_CALIB_ENTROPY, 0, true, -127, 127, &lo,
						      &hi, &err), 0);
			check_same_float(hi, (float)qg_num(&c, "amax"), "entropy amax", 0);
			assert_true(lo == -hi);
			cases++;
		}
		free(x);
	}
	qg_free(&c);
	fclose(f);
	assert_int_equal(cases, 4 + 3 + 3 + 2 + 6); /* entropy: 2 dense, 6 of few values */
}

/* ---- Worked examples ------------------------------------------------------------- */

/* The absmax example of the Visual Guide: α = 10.8, s = 127 / 10.8; 3.08 and
 * 3.02 both become 36. */
static void test_absmax_example(void **state)
{
	(void)state;
	float x[] = {10.8f, 3.08f, 3.02f, -10.8f, 0.0f, 1.0f};
	int64_t shape[1] = {6};
	ql_scheme s;
	ql_scheme_init(&s);
	ql_qresult r;
	ql_error err;
	assert_int_equal(ql_quantize(x, shape, 1, &s, NULL, &r, &err), 0);
	check_same_float(r.scales[0], 10.8f / 127.0f, "scale", 0);
	assert_null(r.zero_points);
	int8_t *q = (int8_t *)r.codes;
	assert_int_equal(q[0], 127);
	assert_int_equal(q[1], 36);
	assert_int_equal(q[2], 36);
	assert_int_equal(q[3], -127);
	assert_int_equal(q[4], 0);
	assert_int_equal(q[5], 12); /* 1 × 11.759 = 11.76 -> 12 */
	assert_int_equal(r.qmin, -127);
	assert_int_equal(r.qmax, 127);
	assert_int_equal(r.metrics.clipped, 0);
	ql_qresult_free(&r);

	/* far beyond the grid: saturated and counted (PyTorch 1.13 wraps these) */
	float big[4] = {1e30f, -3.4e38f, 1.4e-45f, 127.4f};
	int8_t qb[4];
	assert_int_equal(ql_affine_quantize_s8(big, 4, 0.1f, 0, -128, 127, qb), 3);
	assert_int_equal(qb[0], 127);
	assert_int_equal(qb[1], -128);
	assert_int_equal(qb[2], 0);
	assert_int_equal(qb[3], 127);
	uint8_t ub[4];
	assert_int_equal(ql_affine_quantize_u8(big, 4, 1.0f, 3, 0, 15, ub), 3);
	assert_int_equal(ub[0], 15);
	assert_int_equal(ub[1], 0);
	assert_int_equal(ub[2], 3);
}

static void test_packing(void **state)
{
	(void)state;
	uint8_t codes[] = {1, 0, 3, 2};
	uint8_t out[2] = {0xee, 0xee};
	ql_pack_bits(codes, 4, 2, out);
	assert_int_equal(out[0], 177);
	assert_int_equal(out[1], 0xee); /* nothing written past the end */

	/* int4: low nibble first, sign-extended on the way back, odd count */
	int8_t s4[5] = {-8, 7, -1, 0, 5};
	uint8_t p4[3];
	assert_int_equal(ql_packed_bytes(5, 4), 3);
	ql_pack_bits((uint8_t *)s4, 5, 4, p4);
	assert_int_equal(p4[0], 0x78);
	assert_int_equal(p4[1], 0x0f);
	assert_int_equal(p4[2], 0x05);
	int8_t back[5];
	ql_unpack_bits(p4, 5, 4, true, (uint8_t *)back);
	assert_memory_equal(back, s4, 5);
	uint8_t ub[5];
	ql_unpack_bits(p4, 5, 4, false, ub);
	assert_int_equal(ub[0], 8);
	assert_int_equal(ub[2], 15);

	/* int2, 7 values: two bytes, the last with its top bits zero */
	int8_t s2[7] = {-2, -1, 0, 1, 1, 0, -1};
	uint8_t p2[2];
	ql_pack_bits((uint8_t *)s2, 7, 2, p2);
	assert_int_equal(p2[0], 0x2 | 0x3 << 2 | 0x0 << 4 | 0x1 << 6);
	assert_int_equal(p2[1], 0x1 | 0x0 << 2 | 0x3 << 4);
	int8_t b2[7];
	ql_unpack_bits(p2, 7, 2, true, (uint8_t *)b2);
	assert_memory_equal(b2, s2, 7);
	assert_int_equal(ql_packed_bytes(0, 2), 0);
	assert_int_equal(ql_packed_bytes(9, 8), 9);
}

static void test_bits_per_weight(void **state)
{
	(void)state;
	assert_true(ql_bits_per_weight(4, 32, 1, 16, 0, 0) == 4.5);
	assert_true(ql_bits_per_weight(8, 32, 1, 16, 0, 0) == 8.5);
	assert_true(ql_bits_per_weight(4, 64, 1, 32, 0, 0) == 4.5);
	assert_true(ql_bits_per_weight(4, 0, 1, 16, 0, 0) == 0.0);

	/* as written by ql_quantize */
	float x[64];
	for (int i = 0; i < 64; i++)
		x[i] = (float)i - 31.5f;
	int64_t shape[2] = {2, 32};
	ql_scheme s;
	ql_scheme_init(&s);
	s.dtype = QL_Q_Q4_0;
	ql_qresult r;
	ql_error err;
	assert_int_equal(ql_quantize(x, shape, 2, &s, NULL, &r, &err), 0);
	assert_true(r.bits_per_weight == 4.5);
	assert_int_equal(r.bytes, 36);
	ql_qresult_free(&r);
	s.dtype = QL_Q_INT4;
	s.gran = QL_GRAN_GROUP;
	s.group = 32;
	assert_int_equal(ql_quantize(x, shape, 2, &s, NULL, &r, &err), 0);
	assert_true(r.bits_per_weight == 5.0); /* float32 scales as written */
	ql_qresult_free(&r);
	s.dtype = QL_Q_MXFP4;
	s.gran = QL_GRAN_TENSOR;
	assert_int_equal(ql_quantize(x, shape, 2, &s, NULL, &r, &err), 0);
	assert_true(r.bits_per_weight == 4.25);
	ql_qresult_free(&r);
}

/* ---- Schemes --------------------------------------------------------------------- */

static void expect_invalid(const ql_scheme *s, const int64_t *shape, int ndim, const char *part)
{
	ql_error err = {{0}};
	assert_int_equal(ql_scheme_validate(s, shape, ndim, &err), -1);
	if (!strstr(err.msg, part)) {
		note("message '%s' lacks '%s'\n", err.msg, part);
		fail();
	}
}

static void test_schemes(void **state)
{
	(void)state;
	ql_scheme s;
	ql_error err;
	char buf[128];
	int64_t shape[2] = {4, 33};

	ql_scheme_init(&s);
	ql_scheme_describe(&s, buf, sizeof buf);
	assert_string_equal(buf, "int8 sym per-tensor minmax");
	assert_int_equal(ql_scheme_parse_dtype("INT4", &s.dtype, &err), 0);
	assert_int_equal(s.dtype, QL_Q_INT4);
	s.gran = QL_GRAN_GROUP;
	s.group = 32;
	ql_scheme_describe(&s, buf, sizeof buf);
	assert_string_equal(buf, "int4 sym per-group 32 minmax");
	assert_int_equal(ql_scheme_parse_dtype("uint8", &s.dtype, &err), 0);
	s.gran = QL_GRAN_CHANNEL;
	s.axis = 0;
	assert_int_equal(ql_scheme_parse_calib("percentile:99.9", &s, &err), 0);
	ql_scheme_describe(&s, buf, sizeof buf);
	assert_string_equal(buf, "uint8 asym per-channel axis 0 percentile:99.9");
	assert_int_equal(ql_scheme_parse_dtype("q4_0", &s.dtype, &err), 0);
	ql_scheme_describe(&s, buf, sizeof buf);
	assert_string_equal(buf, "q4_0 blocks of 32");

	assert_int_equal(ql_scheme_parse_dtype("int9", &s.dtype, &err), -1);
	assert_non_null(strstr(err.msg, "int9"));
	assert_int_equal(ql_scheme_parse_calib("median", &s, &err), -1);
	assert_int_equal(ql_scheme_parse_calib("percentile:abc", &s, &err), -1);
	assert_int_equal(ql_scheme_parse_calib("percentile:101", &s, &err), -1);
	assert_int_equal(ql_scheme_parse_calib("mse", &s, &err), 0);
	assert_int_equal(s.calib, QL_CALIB_MSE);
	assert_int_equal(ql_scheme_parse_calib("entropy", &s, &err), 0);
	assert_int_equal(s.calib, QL_CALIB_ENTROPY);

	ql_scheme_init(&s);
	s.gran = QL_GRAN_GROUP;
	s.group = 0;
	expect_invalid(&s, NULL, 0, "--group must be at least 1");
	ql_scheme_init(&s);
	s.gran = QL_GRAN_CHANNEL;
	s.axis = 2;
	expect_invalid(&s, shape, 2, "--axis 2 is out of range");
	s.axis = -3;
	expect_invalid(&s, shape, 2, "out of range");
	s.axis = -1;
	assert_int_equal(ql_scheme_validate(&s, shape, 2, &err), 0);
	ql_scheme_init(&s);
	s.dtype = QL_Q_FP8_E4M3;
	s.sym = QL_ASYM;
	expect_invalid(&s, NULL, 0, "symmetric only");
	ql_scheme_init(&s);
	s.dtype = QL_Q_Q8_0;
	expect_invalid(&s, shape, 2, "multiple of 32");
	s.gran = QL_GRAN_GROUP;
	expect_invalid(&s, NULL, 0, "do not apply");
	ql_scheme_init(&s);
	s.has_scale = true;
	s.scale = 0.0f;
	expect_invalid(&s, NULL, 0, "positive finite");
	s.scale = 0.5f;
	s.gran = QL_GRAN_CHANNEL;
	expect_invalid(&s, NULL, 0, "whole tensor");
	ql_scheme_init(&s);
	s.has_zero_point = true;
	s.zero_point = 3;
	expect_invalid(&s, NULL, 0, "needs --scale");
	s.has_scale = true;
	s.scale = 0.5f;
	s.dtype = QL_Q_UINT8;
	s.zero_point = 300;
	expect_invalid(&s, NULL, 0, "outside the code range [0, 255]");
	s.zero_point = 3;
	s.sym = QL_SYM;
	expect_invalid(&s, NULL, 0, "asymmetric");
	ql_scheme_init(&s);
	s.dtype = QL_Q_FP8_E5M2;
	s.calib = QL_CALIB_MSE;
	expect_invalid(&s, NULL, 0, "integer targets");
	ql_scheme_init(&s);
	s.dtype = QL_Q_NF4;
	s.calib = QL_CALIB_PERCENTILE;
	expect_invalid(&s, NULL, 0, "no calibration");

	/* ql_quantize refuses the same schemes */
	float x[4 * 33] = {0};
	ql_qresult r;
	ql_scheme_init(&s);
	s.dtype = QL_Q_Q4_0;
	assert_int_equal(ql_quantize(x, shape, 2, &s, NULL, &r, &err), -1);
	assert_null(r.codes);

	/* code ranges */
	int32_t qmin, qmax;
	ql_scheme_init(&s);
	s.dtype = QL_Q_UINT8;
	s.sym = QL_SYM;
	ql_scheme_qrange(&s, &qmin, &qmax);
	assert_int_equal(qmin, 1);
	assert_int_equal(qmax, 255);
	s.dtype = QL_Q_INT2;
	ql_scheme_qrange(&s, &qmin, &qmax);
	assert_int_equal(qmin, -1);
	assert_int_equal(qmax, 1);
	s.sym = QL_ASYM;
	ql_scheme_qrange(&s, &qmin, &qmax);
	assert_int_equal(qmin, -2);
	assert_int_equal(qmax, 1);
}

/* ---- ql_quantize: bad and edge inputs ---------------------------------------------- */

static void test_nonfinite_refused(void **state)
{
	(void)state;
	float x[100];
	for (int i = 0; i < 100; i++)
		x[i] = (float)i;
	x[37] = NAN;
	x[80] = INFINITY;
	int64_t shape[2] = {10, 10};
	ql_scheme s;
	ql_error err;
	ql_qresult r;
	for (int t = 0; t < QL_Q_COUNT; t++) {
		ql_scheme_init(&s);
		s.dtype = (ql_qdtype)t;
		if (t == QL_Q_Q8_0 || t == QL_Q_Q4_0)
			continue; /* 10 is not a multiple of 32 */
		assert_int_equal(ql_quantize(x, shape, 2, &s, NULL, &r, &err), -1);
		if (!strstr(err.msg, "2 values are not finite (the first at index 37")) {
			note("%s: %s\n", ql_qdtype_name((ql_qdtype)t), err.msg);
			fail();
		}
		assert_null(r.codes);
	}
	/* per channel too */
	ql_scheme_init(&s);
	s.gran = QL_GRAN_CHANNEL;
	s.axis = 1;
	x[80] = -INFINITY;
	assert_int_equal(ql_quantize(x, shape, 2, &s, NULL, &r, &err), -1);
	assert_non_null(strstr(err.msg, "not finite"));
}

static void test_empty_and_zero(void **state)
{
	(void)state;
	ql_scheme s;
	ql_error err;
	ql_qresult r;
	ql_qopts o = {.dequant = true};

	/* empty tensors, every granularity */
	int64_t shape[2] = {0, 5};
	for (int g = 0; g < 3; g++) {
		ql_scheme_init(&s);
		s.gran = (ql_granularity)g;
		s.axis = 1;
		s.group = 2;
		assert_int_equal(ql_quantize(NULL, shape, 2, &s, &o, &r, &err), 0);
		assert_int_equal(r.nelem, 0);
		assert_int_equal(r.metrics.n, 0);
		assert_true(r.metrics.mse == 0);
		assert_true(isinf(r.metrics.sqnr_db) && r.metrics.sqnr_db > 0);
		assert_true(r.metrics.cosine == 1.0);
		assert_true(r.bits_per_weight == 0.0);
		if (g == QL_GRAN_CHANNEL) { /* nothing: no channel gets a scale */
			assert_int_equal(r.nscales, 0);
			assert_int_equal(r.scale_ndim, 1);
			assert_int_equal(r.scale_shape[0], 0);
		}
		ql_qresult_free(&r);
	}
	/* a shape that asks for 2^62 channels (or groups) of nothing: none made,
	 * along any axis, at once (it used to allocate a scale per channel) */
	int64_t huge[3] = {(int64_t)1 << 31, (int64_t)1 << 31, 0};
	for (int g = 1; g < 3; g++)
		for (int ax = 0; ax < 3; ax++) {
			ql_scheme_init(&s);
			s.gran = (ql_granularity)g;
			s.axis = ax;
			s.group = 32;
			s.calib = ax == 1 ? QL_CALIB_MSE : QL_CALIB_MINMAX;
			assert_int_equal(ql_quantize(NULL, huge, 3, &s, &o, &r, &err), 0);
			assert_int_equal(r.nelem, 0);
			assert_int_equal(r.nscales, 0);
			ql_qresult_free(&r);
		}
	int64_t huge2[2] = {(int64_t)1 << 62, 0};
	ql_scheme_init(&s);
	s.gran = QL_GRAN_CHANNEL;
	assert_int_equal(ql_quantize(NULL, huge2, 2, &s, &o, &r, &err), 0);
	assert_int_equal(r.nscales, 0);
	ql_qresult_free(&r);
	ql_scheme_init(&s);
	s.dtype = QL_Q_NF4;
	assert_int_equal(ql_quantize(NULL, shape, 2, &s, &o, &r, &err), 0);
	assert_int_equal(r.nscales, 0);
	ql_qresult_free(&r);

	/* all zero: the scale is FLT_EPSILON (PyTorch's eps), codes are the zero
	 * point, values come back as exact zeros */
	float z[6] = {0, -0.0f, 0, 0, 0, 0};
	int64_t s6[1] = {6};
	for (int t = QL_Q_INT8; t <= QL_Q_Q4_0; t++) {
		ql_scheme_init(&s);
		s.dtype = (ql_qdtype)t;
		int64_t s32[1] = {32};
		float z32[32] = {0};
		bool blk = t == QL_Q_Q8_0 || t == QL_Q_Q4_0;
		assert_int_equal(ql_quantize(blk ? z32 : z, blk ? s32 : s6, 1, &s, &o, &r, &err), 0);
		for (int64_t i = 0; i < r.nelem; i++)
			assert_true(r.dequant[i] == 0.0f);
		assert_true(r.metrics.mse == 0.0);
		assert_true(r.metrics.cosine == 1.0);
		if (ql_qdtypes[t].kind == QL_QK_INT)
			check_same_float(r.scales[0], FLT_EPSILON, ql_qdtype_name((ql_qdtype)t), 0);
		ql_qresult_free(&r);
	}

	/* all equal: the range is [0, v] or [-v, v], so v is exact */
	float e[5] = {1.75f, 1.75f, 1.75f, 1.75f, 1.75f};
	int64_t s5[1] = {5};
	for (int sym = 0; sym < 2; sym++) {
		ql_scheme_init(&s);
		s.dtype = QL_Q_UINT8;
		s.sym = sym ? QL_SYM : QL_ASYM;
		assert_int_equal(ql_quantize(e, s5, 1, &s, &o, &r, &err), 0);
		for (int i = 0; i < 5; i++)
			assert_true(fabsf(r.dequant[i] - 1.75f) <= r.scales[0] / 2);
		ql_qresult_free(&r);
	}

	/* a scalar (0-d) tensor */
	float one = -2.5f;
	ql_scheme_init(&s);
	assert_int_equal(ql_quantize(&one, NULL, 0, &s, &o, &r, &err), 0);
	assert_int_equal(r.nelem, 1);
	assert_int_equal((int8_t)r.codes[0], -127);
	assert_true(r.dequant[0] == -2.5f);
	ql_qresult_free(&r);
}

/* ---- Round trips at every granularity against a reference in the test ------------- */

/* Reference: for each element, the scale unit it belongs to. */
static int64_t unit_of(const ql_scheme *s, const int64_t *shape, int ndim, int64_t i)
{
	if (s->gran == QL_GRAN_CHANNEL) {
		int64_t inner = 1;
		for (int k = s->axis + 1; k < ndim; k++)
			inner *= shape[k];
		return (i / inner) % shape[s->axis];
	}
	if (s->gran == QL_GRAN_GROUP) {
		int64_t L = shape[ndim - 1], ng = (L + s->group - 1) / s->group;
		return (i / L) * ng + (i % L) / s->group;
	}
	return 0;
}

static void roundtrip_case(const float *x, const int64_t *shape, int ndim, const ql_scheme *s)
{
	ql_qresult r;
	ql_error err;
	ql_qopts o = {.dequant = true, .threads = 2};
	if (ql_quantize(x, shape, ndim, s, &o, &r, &err)) {
		note("%s\n", err.msg);
		fail();
	}
	int64_t n = r.nelem;
	/* per unit min/max, then the formulas, then the kernel, element by element */
	float *mn = malloc((size_t)r.nscales * sizeof *mn), *mx = malloc((size_t)r.nscales * sizeof *mx);
	for (int64_t u = 0; u < r.nscales; u++) {
		mn[u] = INFINITY;
		mx[u] = -INFINITY;
	}
	for (int64_t i = 0; i < n; i++) {
		int64_t u = unit_of(&r.scheme, shape, ndim, i);
		mn[u] = fminf(mn[u], x[i]);
		mx[u] = fmaxf(mx[u], x[i]);
	}
	bool sym = r.scheme.sym == QL_SYM;
	for (int64_t i = 0; i < n; i++) {
		int64_t u = unit_of(&r.scheme, shape, ndim, i);
		float lo = sym ? -fmaxf(fabsf(mn[u]), fabsf(mx[u])) : mn[u];
		float hi = sym ? -lo : mx[u];
		float scale;
		int32_t zp;
		ql_qparams_from_range(lo, hi, r.qmin, r.qmax, sym, &scale, &zp);
		check_same_float(r.scales[u], scale, "unit scale", (size_t)u);
		if (r.zero_points)
			assert_int_equal(r.zero_points[u], zp);
		else
			assert_int_equal(zp, 0);
		uint8_t q;
		float y;
		if (r.codes_signed) {
			ql_affine_quantize_s8(&x[i], 1, scale, zp, r.qmin, r.qmax, (int8_t *)&q);
			ql_affine_dequantize_s8((int8_t *)&q, 1, scale, zp, &y);
		} else {
			ql_affine_quantize_u8(&x[i], 1, scale, zp, r.qmin, r.qmax, &q);
			ql_affine_dequantize_u8(&q, 1, scale, zp, &y);
		}
		assert_int_equal(r.codes[i], q);
		check_same_float(r.dequant[i], y, "dequant", (size_t)i);
		/* the round trip is within half a step (nothing is clipped by minmax) */
		assert_true(fabsf(y - x[i]) <= scale * 0.5f * (1 + 1e-6f));
	}
	float *d = malloc((size_t)(n ? n : 1) * sizeof *d);
	ql_qresult_dequantize(&r, d);
	for (int64_t i = 0; i < n; i++)
		check_same_float(d[i], r.dequant[i], "ql_qresult_dequantize", (size_t)i);
	ql_metrics m;
	ql_metrics_compute(x, r.dequant, (size_t)n, &m);
	check_close(r.metrics.mse, m.mse, 1e-9, "fused mse");
	check_close(r.metrics.cosine, m.cosine, 1e-12, "fused cosine");
	check_close(r.metrics.max_abs_err, m.max_abs_err, 0, "fused max");
	assert_int_equal(r.metrics.clipped, 0);
	free(d);
	free(mn);
	free(mx);
	ql_qresult_free(&r);
}

static void test_roundtrip_granularities(void **state)
{
	(void)state;
	const int64_t shapes[][3] = {{3, 5, 7}, {1, 1, 1}, {2, 1, 33}, {4, 9, 1}};
	uint32_t seed = 12345;
	for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++) {
		int64_t n = shapes[k][0] * shapes[k][1] * shapes[k][2];
		float *x = malloc((size_t)n * sizeof *x);
		for (int64_t i = 0; i < n; i++) {
			seed = seed * 1664525u + 1013904223u;
			x[i] = ((float)(seed >> 8) / (float)(1 << 24) - 0.3f) * 7.0f;
		}
		for (int t = QL_Q_INT8; t <= QL_Q_UINT2; t++) {
			for (int sym = QL_SYM; sym <= QL_ASYM; sym++) {
				ql_scheme s;
				ql_scheme_init(&s);
				s.dtype = (ql_qdtype)t;
				s.sym = (ql_symmetry)sym;
				roundtrip_case(x, shapes[k], 3, &s);
				s.gran = QL_GRAN_CHANNEL;
				for (int ax = -3; ax < 3; ax++) {
					s.axis = ax;
					roundtrip_case(x, shapes[k], 3, &s);
				}
				s.gran = QL_GRAN_GROUP;
				const int64_t groups[] = {1, 2, 4, 7, 32, 100};
				for (size_t g = 0; g < 6; g++) {
					s.group = groups[g];
					roundtrip_case(x, shapes[k], 3, &s);
				}
			}
		}
		free(x);
	}
}

/* Same answer with one thread and with several, on a tensor big enough to be
 * split into many jobs. */
static void test_threads_deterministic(void **state)
{
	(void)state;
	int64_t shape[2] = {512, 1000};
	int64_t n = shape[0] * shape[1];
	float *x = malloc((size_t)n * sizeof *x);
	uint32_t seed = 7;
	for (int64_t i = 0; i < n; i++) {
		seed = seed * 1664525u + 1013904223u;
		x[i] = (float)(int32_t)seed / 2147483648.0f * (1.0f + (float)(i % 1000) / 100.0f);
	}
	const ql_granularity gs[] = {QL_GRAN_TENSOR, QL_GRAN_CHANNEL, QL_GRAN_CHANNEL, QL_GRAN_GROUP};
	for (int k = 0; k < 4; k++) {
		ql_scheme s;
		ql_scheme_init(&s);
		s.dtype = k == 3 ? QL_Q_INT4 : QL_Q_UINT8;
		s.gran = gs[k];
		s.axis = k == 2 ? 1 : 0;
		s.group = 64;
		ql_qresult a, b;
		ql_error err;
		ql_qopts o1 = {.threads = 1}, o2 = {.threads = 2};
		assert_int_equal(ql_quantize(x, shape, 2, &s, &o1, &a, &err), 0);
		assert_int_equal(ql_quantize(x, shape, 2, &s, &o2, &b, &err), 0);
		assert_memory_equal(a.codes, b.codes, (size_t)n);
		assert_memory_equal(a.scales, b.scales, (size_t)a.nscales * sizeof(float));
		assert_memory_equal(&a.metrics, &b.metrics, sizeof a.metrics);
		ql_qresult_free(&a);
		ql_qresult_free(&b);
	}
	free(x);
}

/* ---- Calibration ---------------------------------------------------------------------- */

static void test_calibration(void **state)
{
	(void)state;
	/* 1000 small values and one outlier: percentile and mse clip it away */
	enum { N = 1001 };
	float x[N];
	for (int i = 0; i < N - 1; i++)
		x[i] = (float)((i % 200) - 100) / 100.0f;
	x[N - 1] = 50.0f;
	int64_t shape[1] = {N};
	ql_scheme s;
	ql_error err;
	ql_qresult mm, r;
	ql_scheme_init(&s);
	assert_int_equal(ql_quantize(x, shape, 1, &s, NULL, &mm, &err), 0);
	assert_true(mm.clip_hi[0] == 50.0f && mm.clip_lo[0] == -50.0f);
	assert_true(mm.data_min == -1.0f && mm.data_max == 50.0f);

	assert_int_equal(ql_scheme_parse_calib("percentile:99", &s, &err), 0);
	assert_int_equal(ql_quantize(x, shape, 1, &s, NULL, &r, &err), 0);
	double p;
	ql_percentile(x, N, 99, true, &p, &err);
	assert_true(r.clip_hi[0] == (float)p);
	assert_true(r.clip_hi[0] < 1.0f);
	assert_true(r.metrics.clipped >= 1);
	ql_qresult_free(&r);

	/* mse: with int8 one outlier at 50 costs more clipped than kept (MSE keeps
	 * it); with int4 and an outlier at 3 clipping wins */
	s.calib = QL_CALIB_MSE;
	assert_int_equal(ql_quantize(x, shape, 1, &s, NULL, &r, &err), 0);
	assert_true(r.clip_hi[0] == 50.0f);
	ql_qresult_free(&r);
	x[N - 1] = 3.0f;
	s.dtype = QL_Q_INT4;
	assert_int_equal(ql_quantize(x, shape, 1, &s, NULL, &r, &err), 0);
	assert_true(r.clip_hi[0] < 3.0f && r.clip_hi[0] >= 0.9f);
	assert_true(r.metrics.clipped >= 1);
	ql_qresult mm4;
	s.calib = QL_CALIB_MINMAX;
	assert_int_equal(ql_quantize(x, shape, 1, &s, NULL, &mm4, &err), 0);
	assert_true(r.metrics.mse < mm4.metrics.mse);
	ql_qresult_free(&mm4);
	ql_qresult_free(&r);
	s.dtype = QL_Q_INT8;
	x[N - 1] = 50.0f;

	s.calib = QL_CALIB_ENTROPY;
	assert_int_equal(ql_quantize(x, shape, 1, &s, NULL, &r, &err), 0);
	assert_true(r.clip_hi[0] > 0.0f && r.clip_hi[0] <= 50.0f);
	ql_qresult_free(&r);

	/* asymmetric percentile: the two tails */
	ql_scheme_init(&s);
	s.dtype = QL_Q_UINT8;
	assert_int_equal(ql_scheme_parse_calib("percentile:90", &s, &err), 0);
	assert_int_equal(ql_quantize(x, shape, 1, &s, NULL, &r, &err), 0);
	double lo, hi;
	ql_percentile(x, N, 10, false, &lo, &err);
	ql_percentile(x, N, 90, false, &hi, &err);
	assert_true(r.clip_lo[0] == (float)lo && r.clip_hi[0] == (float)hi);
	ql_qresult_free(&r);

	/* per channel: each channel calibrated alone */
	int64_t shape2[2] = {7, 143};
	s.gran = QL_GRAN_CHANNEL;
	s.axis = 0;
	assert_int_equal(ql_quantize(x, shape2, 2, &s, NULL, &r, &err), 0);
	for (int c = 0; c < 7; c++) {
		ql_percentile(x + c * 143, 143, 90, false, &hi, &err);
		assert_true(r.clip_hi[c] == (float)hi);
	}
	ql_qresult_free(&r);
	ql_qresult_free(&mm);

	/* empty input */
	float a, b;
	assert_int_equal(ql_calibrate(x, 0, QL_CALIB_ENTROPY, 0, true, -127, 127, &a, &b, &err), 0);
	assert_true(a == 0.0f && b == 0.0f);
}

/* ---- Metrics edge cases ----------------------------------------------------------------- */

static void test_metrics_edges(void **state)
{
	(void)state;
	ql_metrics m;
	float x[3] = {1, 2, 3}, z[3] = {0, 0, 0};
	ql_metrics_compute(x, x, 3, &m);
	assert_true(m.mse == 0 && isinf(m.sqnr_db) && m.sqnr_db > 0 && m.cosine == 1.0);
	ql_metrics_compute(x, z, 3, &m);
	assert_true(m.cosine == 0.0);
	check_close(m.sqnr_db, 0.0, 1e-12, "sqnr of zeros");
	ql_metrics_compute(z, x, 3, &m);
	assert_true(isinf(m.sqnr_db) && m.sqnr_db < 0);
	ql_metrics_compute(z, z, 3, &m);
	assert_true(m.cosine == 1.0 && m.mse == 0);

	ql_hist h;
	ql_error err;
	assert_int_equal(ql_hist_init(&h, 0, 0, 1, &err), -1);
	assert_int_equal(ql_hist_init(&h, 4, 1, 0, &err), -1);
	assert_int_equal(ql_hist_init(&h, 4, 2, 2, &err), 0); /* widened to [1.5, 2.5] */
	float v[4] = {2, 2, NAN, 1.5f};
	ql_hist_add(&h, v, 4);
	assert_int_equal(h.counts[2], 2);
	assert_int_equal(h.counts[0], 1);
	assert_int_equal(h.nan, 1);
	ql_hist_clear(&h);
	assert_int_equal(h.counts[2], 0);
	float y[2] = {2.5f, 1.0f};
	ql_hist_add_error(&h, y, v, 2); /* errors v - y: -0.5 and 1, both below 1.5 */
	assert_int_equal(h.below, 2);
	assert_int_equal(h.total, 2);
	ql_hist_free(&h);
}

/* ql_hist_add_error (counters in lanes) against the plain definition: each
 * error y - x, in double, binned by ql_hist_bin; NaNs, values off both ends,
 * exact edges, and lengths that are not a multiple of the lane count. */
static void test_hist_error_lanes(void **state)
{
	(void)state;
	enum { N = 1003 };
	float x[N], y[N];
	uint32_t r = 12345;
	for (int i = 0; i < N; i++) {
		r = r * 1664525u + 1013904223u;
		x[i] = (float)((int)(r >> 8) % 2001 - 1000) / 256.0f;
		y[i] = x[i] + (float)((int)(r % 41) - 20) / 8.0f; /* errors on exact edges too */
	}
	y[5] = NAN;
	y[17] = x[17] + 100.0f;
	y[18] = x[18] - 100.0f;
	for (int bins = 1; bins <= 300; bins += 37) {
		for (size_t n = 0; n <= N; n += (n < 9 ? 1 : 331)) {
			ql_hist h;
			assert_int_equal(ql_hist_init(&h, bins, -2.5, 2.5, NULL), 0);
			ql_hist_add_error(&h, x, y, n);
			int64_t want[301] = {0}, below = 0, above = 0, nan = 0;
			for (size_t i = 0; i < n; i++) {
				double v = (double)y[i] - (double)x[i];
				if (isnan(v)) {
					nan++;
					continue;
				}
				int b = ql_hist_bin(&h, v);
				if (b < 0)
					below++;
				else if (b >= bins)
					above++;
				else
					want[b]++;
			}
			for (int b = 0; b < bins; b++)
				assert_int_equal(h.counts[b], want[b]);
			assert_int_equal(h.below, below);
			assert_int_equal(h.above, above);
			assert_int_equal(h.nan, nan);
			assert_int_equal(h.total, (int64_t)n);
			ql_hist_free(&h);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden_per_tensor),
		cmocka_unit_test(test_golden_per_channel),
		cmocka_unit_test(test_golden_observers),
		cmocka_unit_test(test_golden_fp8),
		cmocka_unit_test(test_golden_stats),
		cmocka_unit_test(test_absmax_example),
		cmocka_unit_test(test_packing),
		cmocka_unit_test(test_bits_per_weight),
		cmocka_unit_test(test_schemes),
		cmocka_unit_test(test_nonfinite_refused),
		cmocka_unit_test(test_empty_and_zero),
		cmocka_unit_test(test_roundtrip_granularities),
		cmocka_unit_test(test_threads_deterministic),
		cmocka_unit_test(test_calibration),
		cmocka_unit_test(test_metrics_edges),
		cmocka_unit_test(test_hist_error_lanes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
