/* tstats.c — a tensor's statistics, histogram and row/column absmax (see
 * qlens/tstats.h).
 *
 * Pass 1 over x: the counts, min, max, sum, absmax per row and column, and a
 * copy of the finite values. Pass 2 over the copy: the sum of squared
 * deviations (two passes: no cancellation for data far from zero) and, in
 * the same sweep, the histogram (np.histogram's equal bins over [min, max]
 * need pass 1's range, as the deviations need its mean; so it is counted
 * there, slice by slice while the slice is in cache, not in a sweep of its
 * own). Last, the percentiles: the ranks they need (two per
 * percentile: the neighbours NumPy interpolates between) are selected by
 * ql_select_ranks (select.c): two more passes over the copy, not a sort,
 * nor a quickselect per rank (which made them most of the time). Work is done in
 * chunks between which progress is reported and cancellation is honoured.
 * ql_tstats_compute_inplace uses the input itself as the copy: no second
 * tensor in memory when the caller is done with the values anyway.
 */
#include "qlens/calib.h"
#include "qlens/tstats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

const double ql_tstats_pcts[QL_TSTATS_NPCT] = {0.1, 1.0, 50.0, 99.0, 99.9};

#define CHUNK ((size_t)1 << 20)
#define SLICE ((size_t)1 << 14) /* pass 2's step: 64 KB of floats, a divisor of CHUNK */

typedef struct job {
	ql_tstats_progress_fn fn;
	void *data;
	double total, done;
} job;

/* Adds work done; false if the caller cancelled. */
static bool step(job *j, double work)
{
	j->done += work;
	if (!j->fn)
		return true;
	double f = j->total > 0 ? j->done / j->total : 1.0;
	return j->fn(j->data, f > 1.0 ? 1.0 : f);
}

/* NumPy's linear percentiles of the m values of a (reordered). */
static bool percentiles(float *a, size_t m, double *out, job *j)
{
	size_t ranks[2 * QL_TSTATS_NPCT];
	double t[QL_TSTATS_NPCT];
	for (int i = 0; i < QL_TSTATS_NPCT; i++) {
		double idx = (double)(m - 1) * (ql_tstats_pcts[i] / 100.0);
		size_t k = (size_t)floor(idx);
		if (k > m - 1)
			k = m - 1;
		t[i] = idx - (double)k;
		ranks[2 * i] = k;
		ranks[2 * i + 1] = k + 1 < m ? k + 1 : k;
	}
	float v[2 * QL_TSTATS_NPCT];
	ql_error err;
	if (ql_select_ranks(a, m, ranks, 2 * QL_TSTATS_NPCT, v, &err))
		return false; /* not reached: the ranks are < m */
	if (!step(j, 3.0 * (double)m))
		return false;
	for (int i = 0; i < QL_TSTATS_NPCT; i++) {
		double lo = v[2 * i], hi = v[2 * i + 1];
		double diff = hi - lo;
		/* np.lib's _lerp, with its t >= 0.5 form */
		out[i] = t[i] >= 0.5 ? hi - diff * (1.0 - t[i]) : lo + diff * t[i];
	}
	return true;
}

void ql_tstats_free(ql_tstats *s)
{
	ql_hist_free(&s->hist);
	free(s->row_absmax);
	free(s->col_absmax);
	memset(s, 0, sizeof *s);
}

/* The work of both entry points: a is the scratch for the finite values,
 * x itself or a copy (pass 1 writes a[m] only after reading x[i], m <= i). */
static int compute(const float *x, float *a, bool own_a, const int64_t *shape, int ndim, int nbins,
		   ql_tstats_progress_fn progress, void *data, ql_tstats *s, ql_error *err);

int ql_tstats_compute(const float *x, const int64_t *shape, int ndim, int nbins,
		      ql_tstats_progress_fn progress, void *data, ql_tstats *s, ql_error *err)
{
	int64_t n = 1;
	for (int d = 0; d < ndim; d++)
		n *= shape[d];
	float *a = malloc((n > 0 ? (size_t)n : 1) * sizeof *a);
	if (!a) {
		memset(s, 0, sizeof *s);
		return ql_error_set(err, "statistics: out of memory for %lld values", (long long)n);
	}
	return compute(x, a, true, shape, ndim, nbins, progress, data, s, err);
}

int ql_tstats_compute_inplace(float *x, const int64_t *shape, int ndim, int nbins,
			      ql_tstats_progress_fn progress, void *data, ql_tstats *s, ql_error *err)
{
	return compute(x, x, false, shape, ndim, nbins, progress, data, s, err);
}

static int compute(const float *x, float *a, bool own_a, const int64_t *shape, int ndim, int nbins,
		   ql_tstats_progress_fn progress, void *data, ql_tstats *s, ql_error *err)
{
	memset(s, 0, sizeof *s);
	int64_t n = 1;
	for (int d = 0; d < ndim; d++)
		n *= shape[d];
	int64_t cols = ndim > 0 ? shape[ndim - 1] : 1;
	int64_t rows = cols > 0 ? n / cols : 0;
	s->n = n;
	s->rows = rows;
	s->cols = cols;
	s->first_nonfinite = -1;
	s->row_absmax = calloc(rows > 0 ? (size_t)rows : 1, sizeof *s->row_absmax);
	s->col_absmax = calloc(cols > 0 ? (size_t)cols : 1, sizeof *s->col_absmax);
	if (!s->row_absmax || !s->col_absmax) {
		if (own_a)
			free(a);
		ql_tstats_free(s);
		return ql_error_set(err, "statistics: out of memory for %lld values", (long long)n);
	}
	/* work: pass 1 (n), pass 2 (n), about 3n for the selections */
	job j = {progress, data, 5.0 * (double)n + 1, 0};

	size_t m = 0, pending = 0;
	double sum = 0, mn = INFINITY, mx = -INFINITY;
	for (int64_t r = 0; r < rows; r++) {
		const float *row = x + r * cols;
		float ra = 0;
		for (int64_t c = 0; c < cols; c++) {
			float v = row[c];
			if (!isfinite(v)) {
				if (isnan(v))
					s->nan++;
				else if (v > 0)
					s->posinf++;
				else
					s->neginf++;
				if (s->first_nonfinite < 0)
					s->first_nonfinite = r * cols + c;
				continue;
			}
			if (v == 0)
				s->zeros++;
			a[m++] = v;
			sum += v;
			mn = v < mn ? v : mn;
			mx = v > mx ? v : mx;
			float av = fabsf(v);
			ra = av > ra ? av : ra;
			if (av > s->col_absmax[c])
				s->col_absmax[c] = av;
		}
		s->row_absmax[r] = ra;
		pending += (size_t)cols;
		if (pending >= CHUNK) {
			if (!step(&j, (double)pending))
				goto cancelled;
			pending = 0;
		}
	}
	j.done = (double)n;
	s->finite = (int64_t)m;
	if (m > 0) {
		s->min = mn;
		s->max = mx;
		s->absmax = fabs(mn) > fabs(mx) ? fabs(mn) : fabs(mx);
		s->mean = sum / (double)m;
	}
	if (nbins > 0 && ql_hist_init(&s->hist, nbins, s->min, s->max, err)) {
		if (own_a)
			free(a);
		ql_tstats_free(s);
		return -1;
	}
	if (m > 0) {
		/* pass 2: the squared deviations and the histogram (its bins need
		 * min and max, as the deviations need the mean), a slice at a time
		 * so that the histogram reads what the sum just read, in cache */
		double ss = 0;
		for (size_t i0 = 0; i0 < m; i0 += SLICE) {
			size_t i1 = m - i0 < SLICE ? m : i0 + SLICE;
			for (size_t i = i0; i < i1; i++) {
				double d = a[i] - s->mean;
				ss += d * d;
			}
			if (nbins > 0)
				ql_hist_add(&s->hist, a + i0, i1 - i0);
			if (i1 % CHUNK == 0 && !step(&j, (double)CHUNK))
				goto cancelled;
		}
		s->std = sqrt(ss / (double)m);
	}
	j.done = 2.0 * (double)n;
	if (m > 0 && !percentiles(a, m, s->pct, &j))
		goto cancelled;
	if (own_a)
		free(a);
	if (progress)
		progress(data, 1.0);
	return 0;
cancelled:
	if (own_a)
		free(a);
	ql_tstats_free(s);
	return ql_error_set(err, "cancelled");
}
