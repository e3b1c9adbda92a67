/* test_views.c — the histograms ql_quantize counts in its own passes: the
 * value histogram of the scan (ql_qopts.vhist: every element or one
 * unit's) and the clipped errors of the quantize pass (ql_qopts.ehist_clip),
 * against numpy.histogram (tests/golden/views.txt, made by
 * tests/golden/gen_views.py); ql_ehist_fill onto equal bins; the error
 * split of qview.h made from them (block formats: equal to the explorer's
 * own pass, ql_qview_error_hists); and the same bits for any thread count,
 * with AVX2 on or off, every scan path.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "qlens/quantize.h"
#include "qlens/qview.h"
#include "qlens/stats.h"
#include "qgolden.h"
#include "../src/core/quant_avx2.h"

static const int THREADS[] = {1, 2, 3, 7};
#define NTHREADS (int)(sizeof THREADS / sizeof THREADS[0])

/* gen_views.py's hash_tensor(): the big tensor, made here. */
static float *hash_tensor(int64_t n)
{
	float *x = malloc((size_t)n * sizeof *x);
	for (int64_t i = 0; i < n; i++) {
		uint32_t a = (uint32_t)i * 2654435761u % 10001u;
		uint32_t b = ((uint32_t)i * 2246822519u + 1u) % 10001u;
		x[i] = (float)((int32_t)a + (int32_t)b - 10000) * 0x1p-12f;
	}
	return x;
}

/* The tensor of a "tensor" or "clip" case (stored, or the hash one). */
static float *case_tensor(const qg_case *c, int64_t *rows, int64_t *cols)
{
	*rows = (int64_t)qg_num(c, "rows");
	*cols = (int64_t)qg_num(c, "cols");
	const char *t = qg_param(c, "tensor");
	if (t && !strcmp(t, "hash"))
		return hash_tensor(*rows * *cols);
	return qg_floats(qg_arr(c, "x"));
}

static void scheme_int(ql_scheme *s, ql_qdtype t, ql_granularity g, int axis, int64_t group,
		       ql_calib calib)
{
	ql_scheme_init(s);
	s->dtype = t;
	s->gran = g;
	s->axis = axis;
	if (group)
		s->group = group;
	s->calib = calib;
	s->percentile = 99.0;
}

/* Quantizes x with s, the value histogram asked of it, and checks its
 * finished bins against a golden vhist case. */
static void check_vhist(const float *x, const int64_t *shape, const ql_scheme *s, bool one,
			int64_t unit, int threads, const qg_case *c)
{
	ql_ehist vh;
	ql_error err;
	assert_int_equal(ql_ehist_init(&vh, &err), 0);
	ql_qopts o = {.threads = threads, .vhist = &vh, .vhist_one_unit = one, .vhist_unit = unit};
	ql_qresult r;
	if (ql_quantize(x, shape, 2, s, &o, &r, &err))
		fail_msg("quantize: %s", err.msg);
	ql_qresult_free(&r);
	int bins = (int)qg_num(c, "bins"), nb = (int)qg_num(c, "nb");
	ql_hist h;
	int rc = ql_ehist_finish(&vh, bins, &h, &err);
	if (nb == 0) {
		assert_int_equal(rc, 0);
	} else {
		assert_int_equal(rc, 1);
		assert_int_equal(h.nbins, nb);
		double lo = qg_num(c, "lo"), hi = qg_num(c, "hi");
		assert_memory_equal(&h.lo, &lo, sizeof lo);
		assert_memory_equal(&h.hi, &hi, sizeof hi);
		const qg_array *cnt = qg_arr(c, "counts");
		int64_t sum = 0;
		for (int b = 0; b < nb; b++) {
			if (h.counts[b] != (int64_t)cnt->v[b])
				fail_msg("%s unit %s dtype %s gran %d threads %d bins %d: bin %d holds %lld, "
					 "numpy %lld", qg_param(c, "tensor"), qg_param(c, "unit"),
					 ql_qdtype_name(s->dtype), (int)s->gran, threads, bins, b,
					 (long long)h.counts[b], (long long)cnt->v[b]);
			sum += h.counts[b];
		}
		assert_int_equal(h.below + h.above + h.nan, 0);
		assert_int_equal(sum, vh.n);
		ql_hist_free(&h);
	}
	ql_ehist_free(&vh);
}

/* The value histogram through every scan path: chunks (per tensor, and
 * a percentile per tensor), fused channels of the first axis, channels in
 * a scan of their own (percentile), last-axis channels by rows, fused
 * groups (int4/g32's AVX2 loop; uint4/g64 the C one), groups scanned
 * apart (percentile), and the block formats' fused loops (q8_0, q4_0,
 * nf4, mxfp4) -- each with 1, 2, 3 and 7 threads, AVX2 on and off: the
 * same bins as numpy's, so the same bits every time. */
static void test_vhist_golden(void **state)
{
	(void)state;
	FILE *f = qg_open_named("views.txt");
	assert_non_null(f);
	qg_case c = {0};
	float *x = NULL;
	int64_t shape[2] = {0, 0};
	int cases = 0, runs = 0;
	while (qg_next(f, &c)) {
		if (!strcmp(c.kind, "tensor")) {
			free(x);
			x = case_tensor(&c, &shape[0], &shape[1]);
			continue;
		}
		if (strcmp(c.kind, "vhist"))
			continue;
		assert_true(shape[0] == (int64_t)qg_num(&c, "rows"));
		const char *unit = qg_param(&c, "unit");
		ql_scheme s[9];
		int ns = 0;
		bool one = true;
		int64_t u = 0;
		if (!strcmp(unit, "all")) {
			one = false;
			scheme_int(&s[ns++], QL_Q_INT8, QL_GRAN_TENSOR, 0, 0, QL_CALIB_MINMAX);
			scheme_int(&s[ns++], QL_Q_INT8, QL_GRAN_TENSOR, 0, 0, QL_CALIB_PERCENTILE);
			scheme_int(&s[ns++], QL_Q_INT8, QL_GRAN_CHANNEL, 0, 0, QL_CALIB_MINMAX);
			scheme_int(&s[ns++], QL_Q_INT8, QL_GRAN_CHANNEL, 1, 0, QL_CALIB_MINMAX);
			scheme_int(&s[ns++], QL_Q_INT4, QL_GRAN_GROUP, 0, 32, QL_CALIB_MINMAX);
			scheme_int(&s[ns++], QL_Q_UINT4, QL_GRAN_GROUP, 0, 64, QL_CALIB_PERCENTILE);
			scheme_int(&s[ns++], QL_Q_Q8_0, QL_GRAN_TENSOR, 0, 0, QL_CALIB_MINMAX);
			scheme_int(&s[ns++], QL_Q_NF4, QL_GRAN_TENSOR, 0, 0, QL_CALIB_MINMAX);
			scheme_int(&s[ns++], QL_Q_MXFP4, QL_GRAN_TENSOR, 0, 0, QL_CALIB_MINMAX);
		} else {
			char name[16];
			long k;
			assert_int_equal(sscanf(unit, "%15[^:]:%ld", name, &k), 2);
			u = k;
			if (!strcmp(name, "ch0")) {
				scheme_int(&s[ns++], QL_Q_INT8, QL_GRAN_CHANNEL, 0, 0, QL_CALIB_MINMAX);
				scheme_int(&s[ns++], QL_Q_INT8, QL_GRAN_CHANNEL, 0, 0, QL_CALIB_PERCENTILE);
			} else if (!strcmp(name, "ch1")) {
				scheme_int(&s[ns++], QL_Q_INT8, QL_GRAN_CHANNEL, -1, 0, QL_CALIB_MINMAX);
				scheme_int(&s[ns++], QL_Q_UINT8, QL_GRAN_CHANNEL, 1, 0, QL_CALIB_PERCENTILE);
			} else if (!strcmp(name, "g32")) {
				scheme_int(&s[ns++], QL_Q_INT4, QL_GRAN_GROUP, 0, 32, QL_CALIB_MINMAX);
				scheme_int(&s[ns++], QL_Q_INT8, QL_GRAN_GROUP, 0, 32, QL_CALIB_PERCENTILE);
			} else {
				assert_string_equal(name, "q4_0");
				scheme_int(&s[ns++], QL_Q_Q4_0, QL_GRAN_TENSOR, 0, 0, QL_CALIB_MINMAX);
			}
		}
		for (int k = 0; k < ns; k++) {
			if (ql_qdtype_of(s[k].dtype)->quantize_block) {
				s[k].calib = QL_CALIB_MINMAX;
				if (shape[1] % 32 && s[k].dtype != QL_Q_NF4)
					continue; /* rows of whole blocks only */
			}
			for (int on = 0; on < 2; on++) {
				ql_avx2_enable(on);
				/* (below 4 jobs of 64K values ql_quantize runs one thread) */
				int nt = shape[0] * shape[1] >= (1 << 18) ? NTHREADS : 1;
				for (int t = 0; t < nt; t++) {
					check_vhist(x, shape, &s[k], one, u, THREADS[t], &c);
					runs++;
				}
			}
		}
		ql_avx2_enable(true);
		cases++;
	}
	free(x);
	qg_free(&c);
	fclose(f);
	assert_int_equal(cases, 8 * 7);
	assert_true(runs > 150);
}

/* A unit out of range counts nothing; a value histogram and an error
 * histogram together, and the clipped errors with it, leave the result's
 * codes and sums as they are without. */
static void test_vhist_options(void **state)
{
	(void)state;
	enum { R = 40, C = 50 };
	static float x[R * C];
	for (int i = 0; i < R * C; i++)
		x[i] = (float)((i * 7919) % 1001 - 500) / 100.0f;
	int64_t shape[2] = {R, C};
	ql_scheme s;
	scheme_int(&s, QL_Q_INT4, QL_GRAN_CHANNEL, 1, 0, QL_CALIB_PERCENTILE);
	s.percentile = 80;
	ql_error err;
	ql_ehist vh, eh, ch;
	assert_int_equal(ql_ehist_init(&vh, &err), 0);
	assert_int_equal(ql_ehist_init(&eh, &err), 0);
	assert_int_equal(ql_ehist_init(&ch, &err), 0);
	const int64_t bad_units[] = {-1, C, INT64_MAX};
	for (size_t k = 0; k < sizeof bad_units / sizeof bad_units[0]; k++) {
		ql_qopts o = {.vhist = &vh, .vhist_one_unit = true, .vhist_unit = bad_units[k]};
		ql_qresult r;
		assert_int_equal(ql_quantize(x, shape, 2, &s, &o, &r, &err), 0);
		assert_int_equal(vh.n, 0);
		ql_qresult_free(&r);
	}
	ql_qresult plain, with;
	ql_qopts o0 = {.dequant = true};
	assert_int_equal(ql_quantize(x, shape, 2, &s, &o0, &plain, &err), 0);
	ql_qopts o1 = {.dequant = true, .vhist = &vh, .ehist = &eh, .ehist_clip = &ch};
	assert_int_equal(ql_quantize(x, shape, 2, &s, &o1, &with, &err), 0);
	assert_memory_equal(plain.codes, with.codes, R * C);
	assert_memory_equal(plain.dequant, with.dequant, R * C * sizeof(float));
	assert_memory_equal(&plain.sums, &with.sums, offsetof(ql_metrics_acc, eh));
	assert_int_equal(vh.n, R * C);
	assert_int_equal(eh.n, R * C);
	assert_true(with.metrics.clipped > 0);
	assert_int_equal(ch.n, with.metrics.clipped);
	ql_qresult_free(&plain);
	ql_qresult_free(&with);
	ql_ehist_free(&vh);
	ql_ehist_free(&eh);
	ql_ehist_free(&ch);
}

/* ql_ehist_fill onto np.histogram's equal bins: exactly numpy's counts
 * when it reports nothing inexact, and it reports exactly the values in
 * fine bins that reach over an edge (numpy's edges, bisected). */
static void test_vfill_golden(void **state)
{
	(void)state;
	FILE *f = qg_open_named("views.txt");
	assert_non_null(f);
	qg_case c = {0};
	float *x = NULL;
	int64_t shape[2] = {0, 0};
	ql_ehist vh;
	ql_error err;
	assert_int_equal(ql_ehist_init(&vh, &err), 0);
	int cases = 0, exact = 0;
	while (qg_next(f, &c)) {
		if (!strcmp(c.kind, "tensor")) {
			free(x);
			x = case_tensor(&c, &shape[0], &shape[1]);
			if (!strcmp(qg_param(&c, "tensor"), "fillsrc")) {
				ql_ehist_clear(&vh);
				ql_scheme s;
				scheme_int(&s, QL_Q_INT8, QL_GRAN_TENSOR, 0, 0, QL_CALIB_MINMAX);
				ql_qopts o = {.vhist = &vh};
				ql_qresult r;
				assert_int_equal(ql_quantize(x, shape, 2, &s, &o, &r, &err), 0);
				ql_qresult_free(&r);
			}
			continue;
		}
		if (strcmp(c.kind, "vfill"))
			continue;
		int nb = (int)qg_num(&c, "nbins");
		ql_hist h;
		assert_int_equal(ql_hist_init(&h, nb, qg_num(&c, "flo"), qg_num(&c, "fhi"), &err), 0);
		int64_t inexact = ql_ehist_fill(&vh, &h);
		assert_int_equal(inexact, (int64_t)qg_num(&c, "inexact"));
		const qg_array *cnt = qg_arr(&c, "counts");
		int64_t off = 0, sum = 0;
		for (int b = 0; b < nb; b++) {
			int64_t d = h.counts[b] - (int64_t)cnt->v[b];
			off += d < 0 ? -d : d;
			sum += h.counts[b];
		}
		int64_t db = h.below - (int64_t)qg_num(&c, "below"),
			da = h.above - (int64_t)qg_num(&c, "above");
		off += (db < 0 ? -db : db) + (da < 0 ? -da : da);
		if (inexact == 0) {
			assert_int_equal(off, 0);
			exact++;
		}
		/* each inexact value is off by one in two places at most */
		assert_true(off <= 2 * inexact);
		assert_int_equal(sum + h.below + h.above, shape[0] * shape[1]);
		assert_int_equal(h.total, shape[0] * shape[1]);
		ql_hist_free(&h);
		cases++;
	}
	ql_ehist_free(&vh);
	free(x);
	qg_free(&c);
	fclose(f);
	assert_int_equal(cases, 6);
	(void)exact;
}

/* The clipped errors counted in the quantize pass, against numpy: the
 * elements a given scale's clamp changes, their errors' histogram on the
 * edges of all the errors', and the rounding one all minus clipped; the
 * same with the dequantized copy kept or not, 1/2/3/7 threads, AVX2 on and
 * off, and the same from qview's one pass of its own. */
static void test_clip_golden(void **state)
{
	(void)state;
	FILE *f = qg_open_named("views.txt");
	assert_non_null(f);
	qg_case c = {0};
	int cases = 0;
	while (qg_next(f, &c)) {
		if (strcmp(c.kind, "clip"))
			continue;
		int64_t shape[2];
		float *x = case_tensor(&c, &shape[0], &shape[1]);
		ql_scheme s;
		ql_error err;
		ql_scheme_init(&s);
		assert_int_equal(ql_scheme_parse_dtype(qg_param(&c, "dtype"), &s.dtype, &err), 0);
		s.sym = !strcmp(qg_param(&c, "sym"), "sym") ? QL_SYM : QL_ASYM;
		s.has_scale = true;
		s.scale = (float)qg_num(&c, "scale");
		if (s.sym == QL_ASYM) {
			s.has_zero_point = true;
			s.zero_point = (int32_t)qg_num(&c, "zp");
		}
		const int bins = (int)qg_num(&c, "bins"), nb = (int)qg_num(&c, "nb");
		const int64_t want_clipped = (int64_t)qg_num(&c, "clipped");
		const qg_array *all = qg_arr(&c, "all"), *clp = qg_arr(&c, "clip");
		for (int on = 0; on < 2; on++) {
			ql_avx2_enable(on);
			for (int t = 0; t < NTHREADS; t++) {
				for (int deq = 0; deq < 2; deq++) {
					ql_ehist eh, ch;
					assert_int_equal(ql_ehist_init(&eh, &err), 0);
					assert_int_equal(ql_ehist_init(&ch, &err), 0);
					ql_qopts o = {.threads = THREADS[t], .dequant = deq, .ehist = &eh,
						      .ehist_clip = &ch};
					ql_qresult r;
					assert_int_equal(ql_quantize(x, shape, 2, &s, &o, &r, &err), 0);
					if (ql_qdtype_of(s.dtype)->kind == QL_QK_INT) {
						assert_int_equal(r.qmin, (int32_t)qg_num(&c, "qmin"));
						assert_int_equal(r.qmax, (int32_t)qg_num(&c, "qmax"));
					}
					assert_int_equal(r.metrics.clipped, want_clipped);
					assert_int_equal(ch.n, want_clipped);
					ql_hist hr, hc;
					assert_int_equal(ql_qview_split_hists(&eh, &ch, bins, &hr, &hc, &err), 0);
					assert_int_equal(hr.nbins, nb);
					double lo = qg_num(&c, "lo"), hi = qg_num(&c, "hi");
					assert_memory_equal(&hr.lo, &lo, sizeof lo);
					assert_memory_equal(&hr.hi, &hi, sizeof hi);
					assert_memory_equal(&hc.lo, &lo, sizeof lo);
					for (int b = 0; b < nb; b++) {
						if (hc.counts[b] != (int64_t)clp->v[b] ||
						    hr.counts[b] != (int64_t)(all->v[b] - clp->v[b]))
							fail_msg("%s scale %g: bin %d: clipped %lld (numpy %lld), "
								 "rounding %lld (numpy %lld)", qg_param(&c, "dtype"),
								 (double)s.scale, b, (long long)hc.counts[b],
								 (long long)clp->v[b], (long long)hr.counts[b],
								 (long long)(all->v[b] - clp->v[b]));
					}
					assert_int_equal(hr.below + hr.above + hc.below + hc.above, 0);
					assert_int_equal(hc.total, want_clipped);
					assert_int_equal(hr.total + hc.total, shape[0] * shape[1]);
					if (deq) { /* qview's own pass finds the same */
						ql_hist qr, qc;
						assert_int_equal(ql_qview_error_hists(x, &r, bins, &qr, &qc, NULL,
										      &err), 0);
						assert_int_equal(qr.nbins, nb);
						assert_memory_equal(qr.counts, hr.counts, (size_t)nb * 8);
						assert_memory_equal(qc.counts, hc.counts, (size_t)nb * 8);
						ql_hist_free(&qr);
						ql_hist_free(&qc);
					}
					ql_hist_free(&hr);
					ql_hist_free(&hc);
					ql_qresult_free(&r);
					ql_ehist_free(&eh);
					ql_ehist_free(&ch);
				}
			}
		}
		ql_avx2_enable(true);
		free(x);
		cases++;
	}
	qg_free(&c);
	fclose(f);
	assert_int_equal(cases, 11);
}

/* Fine histograms as bits: every count, min, max and n. */
static void assert_ehist_equal(const ql_ehist *a, const ql_ehist *b)
{
	assert_int_equal(a->n, b->n);
	assert_memory_equal(&a->min, &b->min, sizeof a->min);
	assert_memory_equal(&a->max, &b->max, sizeof a->max);
	assert_memory_equal(a->counts, b->counts, QL_EHIST_NFINE * sizeof *a->counts);
}

/* Calibrated schemes (where the scales come from the data: last-axis
 * channels by rows, first-axis channels, groups, fp8): the clipped errors
 * and the value histogram the same bits for 1/2/3/7 threads and AVX2 on
 * or off; the clipped ones exactly the kernel's count; the split the same
 * as qview's own pass, element by element. Values with the edge cases:
 * +-0, subnormals, ties at half steps, a huge and a tiny scale. */
/* Block formats (whose kernels count clamps per block): the clipped errors
 * their jobs find in the pass (ql_qopts.ehist_clip) split the errors
 * exactly as the explorer's own pass after quantizing did
 * (ql_qview_error_hists): the same bins, counts, below/above, nan and
 * total, on every thread count, AVX2 on and off; without dequant the
 * clipped histogram stays empty. Outliers make every format clip. */
static void assert_same_hist(const ql_hist *a, const ql_hist *b, const char *what)
{
	if (a->nbins != b->nbins || memcmp(&a->lo, &b->lo, sizeof a->lo) ||
	    memcmp(&a->hi, &b->hi, sizeof a->hi) || a->below != b->below ||
	    a->above != b->above || a->nan != b->nan || a->total != b->total)
		fail_msg("%s: histograms differ (nbins %d/%d, total %lld/%lld, below %lld/%lld, "
			 "above %lld/%lld)",
			 what, a->nbins, b->nbins, (long long)a->total, (long long)b->total,
			 (long long)a->below, (long long)b->below, (long long)a->above,
			 (long long)b->above);
	for (int k = 0; k < a->nbins; k++)
		if (a->counts[k] != b->counts[k])
			fail_msg("%s: bin %d: %lld, want %lld", what, k, (long long)a->counts[k],
				 (long long)b->counts[k]);
}

static void test_clip_blocks(void **state)
{
	(void)state;
	enum { R = 96, C = 256 };
	const int64_t shape[2] = {R, C};
	float *x = hash_tensor((int64_t)R * C);
	for (int64_t i = 0; i < (int64_t)R * C; i += 97)
		x[i] *= (i / 97) % 3 ? 9.0f : -13.0f; /* outliers: some blocks saturate */
	static const char *const types[] = {"q8_0", "q4_0", "nf4", "mxfp4", "mxfp8", "mxint8",
					    "q4_k"};
	int64_t clipped_formats = 0;
	ql_error err;
	for (size_t k = 0; k < sizeof types / sizeof types[0]; k++) {
		ql_scheme s;
		ql_scheme_init(&s);
		assert_int_equal(ql_scheme_parse_dtype(types[k], &s.dtype, &err), 0);
		for (int on = 0; on < 2; on++) {
			ql_avx2_enable(on);
			for (int t = 0; t < NTHREADS; t++) {
				for (int deq = 1; deq >= 0; deq--) {
					ql_ehist eh, ch;
					assert_int_equal(ql_ehist_init(&eh, &err), 0);
					assert_int_equal(ql_ehist_init(&ch, &err), 0);
					ql_qopts o = {.threads = THREADS[t], .dequant = deq, .ehist = &eh,
						      .ehist_clip = &ch};
					ql_qresult r;
					if (ql_quantize(x, shape, 2, &s, &o, &r, &err))
						fail_msg("%s: %s", types[k], err.msg);
					if (!deq) {
						assert_int_equal(ch.n, 0);
					} else {
						char what[96];
						snprintf(what, sizeof what, "%s, %d threads, avx2 %d", types[k],
							 THREADS[t], on);
						ql_hist hr, hc, wr, wc;
						assert_int_equal(ql_qview_split_hists(&eh, &ch, 48, &hr, &hc,
										      &err), 0);
						assert_int_equal(ql_qview_error_hists(x, &r, 48, &wr, &wc, NULL,
										      &err), 0);
						assert_same_hist(&hr, &wr, what);
						assert_same_hist(&hc, &wc, what);
						if (on && t == 0 && hc.total > 0)
							clipped_formats++;
						ql_hist_free(&hr);
						ql_hist_free(&hc);
						ql_hist_free(&wr);
						ql_hist_free(&wc);
					}
					ql_qresult_free(&r);
					ql_ehist_free(&eh);
					ql_ehist_free(&ch);
				}
			}
		}
	}
	ql_avx2_enable(true);
	/* not a comparison of empty histograms: q4_0, nf4 and the MX formats
	 * clip something here (q8_0's absmax scale clips nothing, q4_k has
	 * no one grid) */
	assert_true(clipped_formats >= 4);
	free(x);
}

static void test_calibrated_identity(void **state)
{
	(void)state;
	enum { R = 700, C = 450 }; /* 315000 values: 5 jobs */
	float *x = hash_tensor((int64_t)R * C);
	x[3] = 0.0f;
	x[4] = -0.0f;
	x[5] = 1e-40f;
	x[6] = -1e-45f;
	for (int i = 0; i < C; i++) /* column 7: tiny values, a tiny scale */
		x[(int64_t)(i % R) * C + 7] = (float)(i - 200) * 1e-38f;
	for (int i = 0; i < R; i++) /* row 9: huge values */
		x[(int64_t)9 * C + i % C] = (float)(i - 300) * 1e30f;
	int64_t shape[2] = {R, C};
	struct {
		ql_qdtype t;
		ql_granularity g;
		int axis;
		int64_t group;
		ql_calib cal;
	} cases[] = {
		{QL_Q_INT4, QL_GRAN_CHANNEL, 1, 0, QL_CALIB_PERCENTILE},
		{QL_Q_UINT8, QL_GRAN_CHANNEL, -1, 0, QL_CALIB_MINMAX},
		{QL_Q_INT8, QL_GRAN_CHANNEL, 0, 0, QL_CALIB_PERCENTILE},
		{QL_Q_INT4, QL_GRAN_GROUP, 0, 32, QL_CALIB_MINMAX},
		{QL_Q_INT2, QL_GRAN_GROUP, 0, 50, QL_CALIB_PERCENTILE},
		{QL_Q_FP8_E4M3, QL_GRAN_TENSOR, 0, 0, QL_CALIB_PERCENTILE},
		{QL_Q_FP8_E5M2, QL_GRAN_CHANNEL, 1, 0, QL_CALIB_PERCENTILE},
	};
	ql_error err;
	for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
		ql_scheme s;
		scheme_int(&s, cases[k].t, cases[k].g, cases[k].axis, cases[k].group, cases[k].cal);
		s.percentile = 90;
		if (cases[k].t == QL_Q_UINT8)
			s.sym = QL_ASYM;
		ql_ehist ref_c, ref_v;
		bool have_ref = false;
		for (int on = 0; on < 2; on++) {
			ql_avx2_enable(on);
			for (int t = 0; t < NTHREADS; t++) {
				ql_ehist eh, ch, vh;
				assert_int_equal(ql_ehist_init(&eh, &err), 0);
				assert_int_equal(ql_ehist_init(&ch, &err), 0);
				assert_int_equal(ql_ehist_init(&vh, &err), 0);
				ql_qopts o = {.threads = THREADS[t], .dequant = true, .ehist = &eh,
					      .ehist_clip = &ch, .vhist = &vh, .vhist_one_unit = true,
					      .vhist_unit = 7};
				ql_qresult r;
				if (ql_quantize(x, shape, 2, &s, &o, &r, &err))
					fail_msg("case %zu: %s", k, err.msg);
				assert_int_equal(ch.n, r.metrics.clipped);
				if (k == 0)
					assert_true(r.metrics.clipped > 1000);
				/* the unit's values: the gathered ones, counted apart */
				float *g = malloc((size_t)R * C * sizeof *g);
				int64_t ng = ql_qview_gather(&r, x, 7, g);
				ql_ehist gv;
				assert_int_equal(ql_ehist_init(&gv, &err), 0);
				ql_ehist_add_values(&gv, g, (size_t)ng);
				assert_ehist_equal(&vh, &gv);
				ql_ehist_free(&gv);
				free(g);
				if (t == 0 && on == 0) {
					ql_hist qr, qc, hr, hc;
					assert_int_equal(ql_qview_error_hists(x, &r, 512, &qr, &qc, NULL, &err), 0);
					assert_int_equal(ql_qview_split_hists(&eh, &ch, 512, &hr, &hc, &err), 0);
					assert_int_equal(qr.nbins, hr.nbins);
					assert_memory_equal(qr.counts, hr.counts, (size_t)hr.nbins * 8);
					assert_memory_equal(qc.counts, hc.counts, (size_t)hr.nbins * 8);
					assert_int_equal(qc.total, r.metrics.clipped);
					ql_hist_free(&qr);
					ql_hist_free(&qc);
					ql_hist_free(&hr);
					ql_hist_free(&hc);
				}
				if (!have_ref) {
					ref_c = ch;
					ref_v = vh;
					have_ref = true;
				} else {
					assert_ehist_equal(&ch, &ref_c);
					assert_ehist_equal(&vh, &ref_v);
					ql_ehist_free(&ch);
					ql_ehist_free(&vh);
				}
				ql_ehist_free(&eh);
				ql_qresult_free(&r);
			}
		}
		ql_avx2_enable(true);
		ql_ehist_free(&ref_c);
		ql_ehist_free(&ref_v);
	}
	free(x);
}

/* ql_qview_columns: a bin wider than a column spreads evenly over the
 * columns it covers, narrower ones go whole into theirs, and what lies
 * in [lo, hi] is all drawn. */
static void test_columns(void **state)
{
	(void)state;
	ql_hist h;
	ql_error err;
	assert_int_equal(ql_hist_init(&h, 4, 0.0, 8.0, &err), 0); /* bins of 2 */
	h.counts[0] = 8;
	h.counts[1] = 4;
	h.counts[3] = 2;
	double out[16];
	ql_qview_columns(&h, 0.0, 8.0, 8, out); /* columns of 1: each bin over two */
	const double want[8] = {4, 4, 2, 2, 0, 0, 1, 1};
	for (int i = 0; i < 8; i++)
		assert_true(out[i] == want[i]);
	ql_qview_columns(&h, 0.0, 8.0, 2, out); /* columns of 4: two bins each */
	assert_true(out[0] == 12 && out[1] == 2);
	ql_qview_columns(&h, 1.0, 5.0, 4, out); /* zoomed: half of bin 0, half of bin 2 */
	assert_true(out[0] == 4 && out[1] == 2 && out[2] == 2 && out[3] == 0);
	ql_qview_columns(&h, 8.0, 8.0, 4, out); /* an empty range draws nothing */
	assert_true(out[0] == 0 && out[3] == 0);
	ql_hist_free(&h);
}

/* The fine bins as the explorer draws them: ascending, apart, each count
 * the number of values between its edges (counted here by comparing the
 * values with the edges, not by their bits), the non-finite ones left out
 * of the bins but in the total; drawn on columns, every count lands. */
static void test_fine_bins(void **state)
{
	(void)state;
	enum { N = 5000 };
	static float x[N];
	uint32_t seed = 7;
	for (int i = 0; i < N; i++) {
		seed = seed * 1664525u + 1013904223u;
		x[i] = ((float)(seed >> 8) / 16777216.0f - 0.5f) * (float)(1 << (i % 9));
	}
	const float special[] = {0.0f, -0.0f, 1e-40f, -1e-45f, 0.5f, -0.5f, 1.0f, -2.0f,
				 3e38f, -3e38f, 0x1.02p+0f, -0x1.02p+0f, 0x1.fep-1f};
	memcpy(x, special, sizeof special);
	ql_ehist f;
	ql_error err;
	assert_int_equal(ql_ehist_init(&f, &err), 0);
	ql_ehist_add_values(&f, x, N);
	const float nonfin[] = {INFINITY, NAN};
	ql_ehist_add_values(&f, nonfin, 2);
	ql_vbins b;
	assert_int_equal(ql_qview_fine_bins(&f, &b, &err), 0);
	assert_int_equal(b.total, N + 2);
	int64_t sum = 0;
	for (int64_t i = 0; i < b.n; i++) {
		assert_true(b.count[i] > 0);
		if (i > 0)
			assert_true(b.lo[i - 1] + b.w[i - 1] <= b.lo[i]);
		int64_t k = 0;
		for (int j = 0; j < N; j++) {
			double v = (double)x[j], e = b.lo[i] + b.w[i];
			/* the last bin closed, ending at the largest value */
			k += b.w[i] > 0 ? (v >= b.lo[i] && (v < e || (i == b.n - 1 && v == e)))
					: v == b.lo[i];
		}
		if (k != b.count[i])
			fail_msg("bin [%a, +%a): %lld counted, %lld between its edges", b.lo[i], b.w[i],
				 (long long)b.count[i], (long long)k);
		sum += b.count[i];
	}
	assert_int_equal(sum, N);
	double out[300], got = 0;
	ql_qview_fine_columns(&b, -3.5e38, 3.5e38, 300, out);
	for (int c = 0; c < 300; c++)
		got += out[c];
	assert_true(fabs(got - N) < 1e-6 * N);
	ql_qview_fine_columns(&b, 0.25, 0.75, 10, out); /* a zoomed view: only what is in it */
	got = 0;
	for (int c = 0; c < 10; c++)
		got += out[c];
	int64_t in = 0;
	for (int j = 0; j < N; j++)
		in += x[j] >= 0.25f && x[j] < 0.75f;
	assert_true(fabs(got - (double)in) < 1e-6 * N); /* 0.25 and 0.75 are fine-bin edges */
	ql_qview_fine_columns(&b, -1.0, 0.0, 4, out); /* the point 0 on the view's hi edge */
	assert_true(out[3] >= 2.0);
	ql_qview_fine_columns(&b, 0.0, 1.0, 4, out); /* and on its lo edge */
	assert_true(out[0] >= 2.0);
	ql_vbins c;
	assert_int_equal(ql_vbins_copy(&b, &c, &err), 0);
	assert_int_equal(c.n, b.n);
	assert_memory_equal(c.count, b.count, (size_t)b.n * sizeof *b.count);
	ql_vbins_free(&c);
	ql_vbins_free(&b);
	ql_ehist_free(&f);
}

/* The values' min and max on the ends of the view drawn (the explorer's
 * default view, and np.histogram's closed last bin): every count lands,
 * the largest value too, though it lies on the left edge of its fine bin
 * ([1, 1 + 2^-6), [3.5, 3.5 + 2^-5)). One value alone: its column. */
static void test_fine_bins_ends(void **state)
{
	(void)state;
	static const struct {
		float x[12];
		int n;
		double lo, hi;
	} cases[] = {
		{{-1.0f, 1.0f, 0.5f}, 3, -1.0, 1.0},
		{{3.5f, -3.1f, 2.9f, -2.25f, 1.75f, -1.25f, 1.0f, 0.75f, -0.6f, 0.25f, -0.1f, 0.0f}, 12, -3.5, 3.5},
		{{-3.1f, 2.0f}, 2, -3.1f, 2.0}, /* min inside its bin, max on an edge */
		{{3.0f}, 1, -3.0, 3.0},
		{{-2.0f}, 1, -2.0, 2.0},
	};
	for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
		ql_ehist f;
		ql_error err;
		assert_int_equal(ql_ehist_init(&f, &err), 0);
		ql_ehist_add_values(&f, cases[k].x, (size_t)cases[k].n);
		ql_vbins b;
		assert_int_equal(ql_qview_fine_bins(&f, &b, &err), 0);
		for (int width = 1; width <= 200; width += 7) {
			double out[200], sum = 0;
			ql_qview_fine_columns(&b, cases[k].lo, cases[k].hi, width, out);
			for (int c = 0; c < width; c++)
				sum += out[c];
			if (fabs(sum - cases[k].n) > 1e-9)
				fail_msg("case %zu, %d columns: %g of %d values drawn", k, width, sum, cases[k].n);
			/* the largest value in the last column, the least in the first */
			float mn = cases[k].x[0], mx = cases[k].x[0];
			for (int i = 1; i < cases[k].n; i++) {
				mn = cases[k].x[i] < mn ? cases[k].x[i] : mn;
				mx = cases[k].x[i] > mx ? cases[k].x[i] : mx;
			}
			if (mx == cases[k].hi)
				assert_true(out[width - 1] >= 1.0 - 1e-9);
			if (mn == cases[k].lo)
				assert_true(out[0] >= 1.0 - 1e-9 || width == 1);
		}
		ql_vbins_free(&b);
		ql_ehist_free(&f);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vhist_golden),
		cmocka_unit_test(test_vhist_options),
		cmocka_unit_test(test_vfill_golden),
		cmocka_unit_test(test_clip_golden),
		cmocka_unit_test(test_clip_blocks),
		cmocka_unit_test(test_calibrated_identity),
		cmocka_unit_test(test_columns),
		cmocka_unit_test(test_fine_bins),
		cmocka_unit_test(test_fine_bins_ends),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
