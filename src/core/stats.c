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

#include "lanes.h"
#include "simd.h"
#include "threadpool.h"

void ql_metrics_acc_init(ql_metrics_acc *a)
{
	memset(a, 0, sizeof *a);
}

QL_SIMD_CLONES
void ql_metrics_add(ql_metrics_acc *a, const float *x, const float *y, size_t n)
{
	ql_lanes s;
	memset(&s, 0, sizeof s);
	ql_lanes_add(&s, x, y, n);
	ql_lanes_flush(&s, n, a);
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

/* ql_error_hist_mt's jobs: JOB values each; every job keeps its own range
 * and its own integer counts, so neither the thread count nor the order in
 * which threads take the jobs can change a result. */
#define EH_JOB (1 << 16)

typedef struct eh_plan {
	const float *x, *y;
	size_t n;
	ql_hist *h;
	double *lo, *hi;   /* per job: the errors' range (with 0) */
	int64_t *counts;   /* per job: below, nbins bins, above, NaN */
	double norm, w;
} eh_plan;

QL_SIMD_CLONES
static void eh_range(const float *restrict x, const float *restrict y, size_t n, double *lo,
		     double *hi)
{
	double a = 0, b = 0;
	for (size_t i = 0; i < n; i++) {
		double e = (double)y[i] - (double)x[i];
		a = e < a ? e : a;
		b = e > b ? e : b;
	}
	*lo = a;
	*hi = b;
}

static void eh_range_job(void *arg, int64_t job)
{
	eh_plan *p = arg;
	size_t a = (size_t)job * EH_JOB, len = p->n - a < EH_JOB ? p->n - a : EH_JOB;
	eh_range(p->x + a, p->y + a, len, &p->lo[job], &p->hi[job]);
}

static void eh_count_job(void *arg, int64_t job)
{
	eh_plan *p = arg;
	size_t a = (size_t)job * EH_JOB, len = p->n - a < EH_JOB ? p->n - a : EH_JOB;
	ql_hist h = *p->h;
	int64_t *c = p->counts + (size_t)job * (size_t)(h.nbins + 3);
	h.counts = c + 1;
	h.below = h.above = h.nan = h.total = 0;
	ql_hist_add_error(&h, p->x + a, p->y + a, len);
	c[0] = h.below;
	c[h.nbins + 1] = h.above;
	c[h.nbins + 2] = h.nan;
}

int ql_error_hist_mt(ql_hist *h, const float *x, const float *y, size_t n, int nbins,
		     int threads, ql_error *err)
{
	memset(h, 0, sizeof *h);
	if (n == 0)
		return 0;
	size_t njobs = (n + EH_JOB - 1) / EH_JOB;
	if (threads < 1)
		threads = ql_default_threads();
	eh_plan p = {.x = x, .y = y, .n = n, .h = h};
	p.lo = malloc(2 * njobs * sizeof *p.lo);
	if (!p.lo)
		return ql_error_set(err, "histogram: out of memory");
	p.hi = p.lo + njobs;
	ql_run_jobs(threads, (int64_t)njobs, eh_range_job, &p);
	double lo = 0, hi = 0;
	for (size_t j = 0; j < njobs; j++) {
		lo = p.lo[j] < lo ? p.lo[j] : lo;
		hi = p.hi[j] > hi ? p.hi[j] : hi;
	}
	free(p.lo);
	if (lo == 0 && hi == 0)
		return 0;
	if (ql_hist_init(h, nbins, lo, hi, err))
		return -1;
	/* the counts of every job in one block, zeroed (ql_hist_add_error adds) */
	p.counts = calloc(njobs * (size_t)(nbins + 3), sizeof *p.counts);
	if (!p.counts) {
		ql_hist_free(h);
		return ql_error_set(err, "histogram: out of memory");
	}
	ql_run_jobs(threads, (int64_t)njobs, eh_count_job, &p);
	for (size_t j = 0; j < njobs; j++) {
		const int64_t *c = p.counts + j * (size_t)(nbins + 3);
		h->below += c[0];
		for (int b = 0; b < nbins; b++)
			h->counts[b] += c[b + 1];
		h->above += c[nbins + 1];
		h->nan += c[nbins + 2];
	}
	h->total = (int64_t)n;
	free(p.counts);
	return 1;
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
