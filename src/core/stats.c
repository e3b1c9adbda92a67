/* stats.c — error metrics, histograms and storage cost (see qlens/stats.h).
 *
 * The metric sums are kept in double precision. ql_metrics_add works on
 * four independent lanes so that the compiler can keep several sums in
 * flight (and vectorise them) without reassociating a single sum; the lanes
 * are added together at the end of each call, in a fixed order, so a given
 * input always gives the same bits.
 */
#include "qlens/stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ehist_pool.h"
#include "lanes.h"
#include "quant_avx2.h"
#include "simd.h"
#include "threadpool.h"

void ql_metrics_acc_init(ql_metrics_acc *a)
{
	memset(a, 0, sizeof *a);
}

/* The portable definition (the reference): the lanes, then the histogram. */
QL_SIMD_CLONES
static void metrics_add_c(ql_metrics_acc *a, const float *x, const float *y, size_t n)
{
	ql_lanes s;
	memset(&s, 0, sizeof s);
	ql_lanes_add(&s, x, y, n);
	ql_lanes_flush(&s, n, a);
	if (a->eh)
		ql_ehist_add(a->eh, x, y, n);
}

void ql_metrics_add(ql_metrics_acc *a, const float *x, const float *y, size_t n)
{
#if QL_HAVE_AVX2_KERNELS
	if (ql_avx2_active()) { /* acc_avx2.h's step: the same bits, one pass */
		ql_metrics_add_avx2(a, x, y, n);
		return;
	}
#endif
	metrics_add_c(a, x, y, n);
}

void ql_metrics_merge(ql_metrics_acc *a, const ql_metrics_acc *b)
{
	a->n += b->n;
	a->sum_x2 += b->sum_x2;
	a->sum_y2 += b->sum_y2;
	a->sum_xy += b->sum_xy;
	a->sum_e2 += b->sum_e2;
	a->sum_abs_e += b->sum_abs_e;
	if (b->max_abs_e > a->max_abs_e)
		a->max_abs_e = b->max_abs_e;
	a->clipped += b->clipped;
}

void ql_metrics_finish(const ql_metrics_acc *a, ql_metrics *m)
{
	memset(m, 0, sizeof *m);
	m->n = a->n;
	m->clipped = a->clipped;
	m->max_abs_err = a->max_abs_e;
	if (a->n > 0) {
		m->mse = a->sum_e2 / (double)a->n;
		m->mean_abs_err = a->sum_abs_e / (double)a->n;
	}
	m->rmse = sqrt(m->mse);

	if (a->sum_e2 == 0)
		m->sqnr_db = INFINITY;
	else if (a->sum_x2 == 0)
		m->sqnr_db = -INFINITY;
	else
		m->sqnr_db = 10.0 * log10(a->sum_x2 / a->sum_e2);

	if (a->sum_x2 == 0 && a->sum_y2 == 0)
		m->cosine = 1.0;
	else if (a->sum_x2 == 0 || a->sum_y2 == 0)
		m->cosine = 0.0;
	else {
		double c = a->sum_xy / (sqrt(a->sum_x2) * sqrt(a->sum_y2));
		m->cosine = c > 1.0 ? 1.0 : c < -1.0 ? -1.0 : c;
	}
}

void ql_metrics_compute(const float *x, const float *y, size_t n, ql_metrics *m)
{
	ql_metrics_acc a;
	ql_metrics_acc_init(&a);
	ql_metrics_add(&a, x, y, n);
	ql_metrics_finish(&a, m);
}

/* ---- Histograms ---------------------------------------------------------- */

int ql_hist_init(ql_hist *h, int nbins, double lo, double hi, ql_error *err)
{
	memset(h, 0, sizeof *h);
	if (nbins < 1 || nbins > (1 << 20))
		return ql_error_set(err, "histogram: %d bins (must be 1 to %d)", nbins, 1 << 20);
	if (!isfinite(lo) || !isfinite(hi) || lo > hi)
		return ql_error_set(err, "histogram: bad range [%g, %g]", lo, hi);
	if (lo == hi) {
		lo -= 0.5;
		hi += 0.5;
	}
	h->counts = calloc((size_t)nbins, sizeof *h->counts);
	if (!h->counts)
		return ql_error_set(err, "histogram: out of memory");
	h->nbins = nbins;
	h->lo = lo;
	h->hi = hi;
	return 0;
}

void ql_hist_free(ql_hist *h)
{
	free(h->counts);
	memset(h, 0, sizeof *h);
}

void ql_hist_clear(ql_hist *h)
{
	if (h->counts)
		memset(h->counts, 0, (size_t)h->nbins * sizeof *h->counts);
	h->below = h->above = h->nan = h->total = 0;
}

/* The bin of a finite-or-inf v, as np.histogram finds it: a first guess
 * (v - lo) * norm, then one step of correction against the exact edges
 * lo + i * w (np.linspace's), which is what makes the result exact. norm =
 * nbins / (hi - lo) and w = (hi - lo) / nbins are the caller's, computed
 * once per call rather than once per value. */
static inline int hist_bin(const ql_hist *h, double v, double norm, double w)
{
	if (v < h->lo)
		return -1;
	if (v > h->hi)
		return h->nbins;
	if (v == h->hi)
		return h->nbins - 1;
	int b = (int)((v - h->lo) * norm);
	if (b >= h->nbins)
		b = h->nbins - 1;
	if (b > 0 && v < h->lo + b * w)
		b--;
	else if (b + 1 < h->nbins && v >= h->lo + (b + 1) * w)
		b++;
	return b;
}

int ql_hist_bin(const ql_hist *h, double v)
{
	return hist_bin(h, v, h->nbins / (h->hi - h->lo), (h->hi - h->lo) / h->nbins);
}

static inline void hist_count(ql_hist *h, double v, double norm, double w)
{
	if (isnan(v)) {
		h->nan++;
		return;
	}
	int b = hist_bin(h, v, norm, w);
	if (b < 0)
		h->below++;
	else if (b >= h->nbins)
		h->above++;
	else
		h->counts[b]++;
}

void ql_hist_add(ql_hist *h, const float *x, size_t n)
{
	const double norm = h->nbins / (h->hi - h->lo), w = (h->hi - h->lo) / h->nbins;
	h->total += n;
	for (size_t i = 0; i < n; i++)
		hist_count(h, x[i], norm, w);
}

/* Few bins (the usual case): four private sets of counters, so that runs of
 * values landing in the same bin do not wait on each other's increments;
 * summed at the end. Same counts as hist_count one value at a time. */
#define LANES 4
#define SMALL_BINS 256

void ql_hist_add_error(ql_hist *h, const float *x, const float *y, size_t n)
{
	const double norm = h->nbins / (h->hi - h->lo), w = (h->hi - h->lo) / h->nbins;
	h->total += n;
	if (h->nbins > SMALL_BINS) {
		for (size_t i = 0; i < n; i++)
			hist_count(h, (double)y[i] - (double)x[i], norm, w);
		return;
	}
	/* slot 0 below, 1..nbins the bins, nbins + 1 above, nbins + 2 NaN */
	int64_t c[LANES][SMALL_BINS + 3];
	memset(c, 0, sizeof c);
	size_t i = 0;
	for (; i + LANES <= n; i += LANES) {
		for (int l = 0; l < LANES; l++) {
			double v = (double)y[i + l] - (double)x[i + l];
			int slot = isnan(v) ? h->nbins + 2 : hist_bin(h, v, norm, w) + 1;
			c[l][slot]++;
		}
	}
	for (; i < n; i++) {
		double v = (double)y[i] - (double)x[i];
		c[0][isnan(v) ? h->nbins + 2 : hist_bin(h, v, norm, w) + 1]++;
	}
	for (int l = 0; l < LANES; l++) {
		h->below += c[l][0];
		for (int b = 0; b < h->nbins; b++)
			h->counts[b] += c[l][b + 1];
		h->above += c[l][h->nbins + 1];
		h->nan += c[l][h->nbins + 2];
	}
}

/* ql_error_hist_mt's jobs: JOB values each, counted into the fine
 * histogram the job takes from the pool. */
#define EH_JOB (1 << 16)

typedef struct eh_plan {
	const float *x, *y;
	size_t n;
	ql_ehist_pool pool;
} eh_plan;

static void eh_job(void *arg, int64_t job)
{
	eh_plan *p = arg;
	size_t a = (size_t)job * EH_JOB, len = p->n - a < EH_JOB ? p->n - a : EH_JOB;
	int slot;
	ql_ehist *f = ql_ehist_pool_take(&p->pool, &slot);
	if (f)
		ql_ehist_add(f, p->x + a, p->y + a, len);
	ql_ehist_pool_give(&p->pool, slot);
}

int ql_error_hist_mt(ql_hist *h, const float *x, const float *y, size_t n, int nbins,
		     int threads, ql_error *err)
{
	memset(h, 0, sizeof *h);
	if (nbins < 1 || nbins > (1 << 20))
		return ql_error_set(err, "histogram: %d bins (must be 1 to %d)", nbins, 1 << 20);
	if (n == 0)
		return 0;
	size_t njobs = (n + EH_JOB - 1) / EH_JOB;
	if (threads < 1)
		threads = ql_default_threads();
	eh_plan *p = malloc(sizeof *p);
	ql_ehist all;
	if (!p)
		return ql_error_set(err, "histogram: out of memory");
	p->x = x;
	p->y = y;
	p->n = n;
	ql_ehist_pool_init(&p->pool);
	int rc = -1;
	if (ql_ehist_init(&all, err) == 0) {
		ql_run_jobs(threads, (int64_t)njobs, eh_job, p);
		if (ql_ehist_pool_merge(&p->pool, &all))
			ql_error_set(err, "histogram: out of memory");
		else
			rc = ql_ehist_finish(&all, nbins, h, err);
		ql_ehist_free(&all);
	}
	ql_ehist_pool_free(&p->pool);
	free(p);
	return rc;
}

int ql_error_hist(ql_hist *h, const float *x, const float *y, size_t n, int nbins, ql_error *err)
{
	return ql_error_hist_mt(h, x, y, n, nbins, 1, err);
}

bool ql_range(const float *x, size_t n, float *min, float *max)
{
	bool any = false;
	float lo = 0, hi = 0;
	for (size_t i = 0; i < n; i++) {
		float v = x[i];
		if (isnan(v))
			continue;
		if (!any) {
			lo = hi = v;
			any = true;
		} else {
			lo = v < lo ? v : lo;
			hi = v > hi ? v : hi;
		}
	}
	*min = lo;
	*max = hi;
	return any;
}

/* ---- Storage cost ------------------------------------------------------------ */

double ql_bits_per_weight(int elem_bits, int64_t n, int64_t nscales, int scale_bits,
			  int64_t nzp, int zp_bits)
{
	if (n <= 0)
		return 0.0;
	double extra = (double)nscales * scale_bits + (double)nzp * zp_bits;
	return elem_bits + extra / (double)n;
}

int64_t ql_worst_error_index(const float *x, const float *y, size_t n)
{
	int64_t at = -1;
	double worst = -1;
	for (size_t i = 0; i < n; i++) {
		double e = fabs((double)y[i] - (double)x[i]);
		if (e > worst) {
			worst = e;
			at = (int64_t)i;
		}
	}
	return at;
}
