/* calib.c — choosing the clipping range of an integer quantizer.
 *
 *   minmax      the data's [min, max] (symmetric: [-absmax, absmax]).
 *   percentile  NumPy's np.percentile(x, P) with linear interpolation
 *               (symmetric: of |x|, giving [-p, p]; asymmetric: the
 *               (100 - P)-th and P-th percentiles of x).
 *   mse         the fraction k/100 (k = 1..100) of the minmax range whose
 *               round trip through the quantizer (PyTorch's qparams and
 *               the affine kernels, affine.c) has the smallest mean squared error; ties go
 *               to the wider range. Tensors of more than 2^20 values are
 *               measured on 2^20 evenly spaced samples.
 *   entropy     TensorRT's KL-divergence calibration as NVIDIA's
 *               pytorch-quantization implements it (_compute_amax_entropy):
 *               a 2048-bin histogram of |x| over [0, absmax]; for every
 *               candidate edge i = nq..2048 the reference distribution (bins
 *               0..i-1, the rest added to the last) is compared with its
 *               nq-level quantization, and the edge with the smallest KL
 *               divergence (the last such edge on ties) is the clip. nq is
 *               2^(bits-1) (128 for 8 bits, as TensorRT). Asymmetric
 *               schemes clip [min, max] to [-t, t].
 * Every method returns [0, 0] for an empty input.
 */
#include "qlens/calib.h"

#include "qlens/affine.h"
#include "qlens/stats.h"
#include "quant_avx2.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- Selection ---------------------------------------------------------- */

static void swapf(float *a, float *b)
{
	float t = *a;
	*a = *b;
	*b = t;
}

/* Puts the k-th smallest of a[0..n-1] at a[k], smaller ones before it and
 * larger ones after (Hoare's quickselect, median-of-three pivots). */
void ql_select_kth(float *a, size_t n, size_t k)
{
	size_t lo = 0, hi = n - 1;
	while (hi > lo) {
		size_t mid = lo + (hi - lo) / 2;
		if (a[mid] < a[lo])
			swapf(&a[mid], &a[lo]);
		if (a[hi] < a[lo])
			swapf(&a[hi], &a[lo]);
		if (a[hi] < a[mid])
			swapf(&a[hi], &a[mid]);
		float pivot = a[mid];
		size_t i = lo, j = hi;
		while (i <= j) {
			while (a[i] < pivot)
				i++;
			while (a[j] > pivot)
				j--;
			if (i <= j) {
				swapf(&a[i], &a[j]);
				i++;
				if (j == 0)
					break;
				j--;
			}
		}
		/* Now a[lo..j] <= pivot <= a[i..hi], and j < i. */
		if (k <= j)
			hi = j;
		else if (k >= i)
			lo = i;
		else
			return;
	}
}

int ql_percentile(const float *x, size_t n, double p, bool abs, double *out, ql_error *err)
{
	if (n == 0) {
		*out = 0;
		return 0;
	}
	float *a = malloc(n * sizeof *a);
	if (!a)
		return ql_error_set(err, "percentile: out of memory for %zu values", n);
	for (size_t i = 0; i < n; i++)
		a[i] = abs ? fabsf(x[i]) : x[i];

	/* NumPy: virtual index (n - 1) * p / 100, then linear interpolation
	 * between its neighbours (_lerp, with its t >= 0.5 form). */
	double idx = (double)(n - 1) * (p / 100.0);
	size_t k = (size_t)floor(idx);
	if (k > n - 1)
		k = n - 1;
	double t = idx - (double)k;
	size_t ranks[2] = {k, k + 1 < n ? k + 1 : k};
	float v[2];
	int rc = ql_select_ranks(a, n, ranks, 2, v, err);
	free(a);
	if (rc)
		return -1;
	double lo = v[0], hi = v[1];
	double diff = hi - lo;
	*out = t >= 0.5 ? hi - diff * (1.0 - t) : lo + diff * t;
	return 0;
}

/* ---- MSE search ------------------------------------------------------------ */

#define MSE_SAMPLES (1u << 20)
#define MSE_STEPS 100

#define RT_TILE 256
#define MSE_BATCH 8 /* candidates measured side by side */

/* Round-trip squared errors of the m samples through nc (1..MSE_BATCH)
 * clipping ranges [lo[c], hi[c]] into sse[c]: PyTorch's qparams and the
 * affine kernels of affine.c (int8_t codes when the range has negative
 * codes, uint8_t otherwise), a tile at a time, each candidate's errors
 * summed in sample order. The samples are x[0..m) when `all`, else sample
 * i is x[i * n / m] (gathered per tile: the fallback when no buffer could
 * hold them all). Each candidate's sum is its own chain of adds, the same
 * as measuring it alone; the chains of the batch are interleaved, so they
 * run side by side instead of one add's latency after another. */
static void roundtrip_sse(const float *x, size_t n, bool all, size_t m, const float *lo,
			  const float *hi, int nc, bool symmetric, int32_t qmin, int32_t qmax,
			  double *sse)
{
	float scale[MSE_BATCH];
	int32_t zp[MSE_BATCH];
	for (int c = 0; c < nc; c++)
		ql_qparams_from_range(lo[c], hi[c], qmin, qmax, symmetric, &scale[c], &zp[c]);
	float v[RT_TILE], yb[MSE_BATCH * RT_TILE]; /* candidate c's values at yb + c w */
	union {
		int8_t s[RT_TILE];
		uint8_t u[RT_TILE];
	} q; /* the codes, not needed after */
#if QL_HAVE_AVX2_KERNELS
	/* Units of whole blocks of 32 up to a tile (groups): each candidate's
	 * round trip by the AVX2 group kernel, every block given the
	 * candidate's scale and zero point. ql_affine_groups32_avx2 gives a
	 * block what ql_affine_qdq_* gives it (the same AVX2 codes and
	 * values, tests/test_blockspeed.c), without the per-call setup of a
	 * general length that was most of a 32-value round trip. */
	bool batch32 = m % 32 == 0 && m <= RT_TILE && ql_avx2_active();
	for (int c = 0; c < nc && batch32; c++)
		batch32 = zp[c] >= -QL_AVX2_MAX_ZP && zp[c] <= QL_AVX2_MAX_ZP;
	float bsc[RT_TILE / 32];
	int32_t bzp[RT_TILE / 32];
#endif
	double a[MSE_BATCH] = {0};
	for (size_t s0 = 0; s0 < m; s0 += RT_TILE) {
		size_t w = m - s0 < RT_TILE ? m - s0 : RT_TILE;
		const float *xs = x + s0;
		if (!all) {
			for (size_t j = 0; j < w; j++)
				v[j] = x[(size_t)((double)(s0 + j) * (double)n / (double)m)];
			xs = v;
		}
#if QL_HAVE_AVX2_KERNELS
		if (batch32) { /* w == m: one tile */
			size_t per = w / 32;
			for (int c = 0; c < nc; c++) {
				for (size_t b = 0; b < per; b++) {
					bsc[b] = scale[c];
					bzp[b] = zp[c];
				}
				ql_affine_groups32_avx2(qmin < 0, xs, (int64_t)per, bsc, bzp, qmin, qmax,
							q.u, yb + (size_t)c * w);
			}
		} else
#endif
			for (int c = 0; c < nc; c++) /* quantize + dequantize in one pass */
				if (qmin < 0)
					ql_affine_qdq_s8(xs, w, scale[c], zp[c], qmin, qmax, q.s,
							 yb + (size_t)c * w, NULL);
				else
					ql_affine_qdq_u8(xs, w, scale[c], zp[c], qmin, qmax, q.u,
							 yb + (size_t)c * w, NULL);
		const float *y[MSE_BATCH];
		for (int c = 0; c < nc; c++)
			y[c] = yb + (size_t)c * w;
		if (nc == MSE_BATCH) { /* in registers (an array stays in memory) */
			_Static_assert(MSE_BATCH == 8, "the unrolled sums");
			double a0 = a[0], a1 = a[1], a2 = a[2], a3 = a[3];
			double a4 = a[4], a5 = a[5], a6 = a[6], a7 = a[7];
			for (size_t j = 0; j < w; j++) {
				double xd = (double)xs[j];
				double e0 = (double)y[0][j] - xd, e1 = (double)y[1][j] - xd;
				double e2 = (double)y[2][j] - xd, e3 = (double)y[3][j] - xd;
				double e4 = (double)y[4][j] - xd, e5 = (double)y[5][j] - xd;
				double e6 = (double)y[6][j] - xd, e7 = (double)y[7][j] - xd;
				a0 += e0 * e0;
				a1 += e1 * e1;
				a2 += e2 * e2;
				a3 += e3 * e3;
				a4 += e4 * e4;
				a5 += e5 * e5;
				a6 += e6 * e6;
				a7 += e7 * e7;
			}
			a[0] = a0;
			a[1] = a1;
			a[2] = a2;
			a[3] = a3;
			a[4] = a4;
			a[5] = a5;
			a[6] = a6;
			a[7] = a7;
		} else {
			for (int c = 0; c < nc; c++)
				for (size_t j = 0; j < w; j++) {
					double e = (double)y[c][j] - (double)xs[j];
					a[c] += e * e;
				}
		}
	}
	for (int c = 0; c < nc; c++)
		sse[c] = a[c];
}

static bool stop(const volatile int *cancel)
{
	return cancel && *cancel;
}

/* false when cancelled (between two batches of candidates). Sampled
 * tensors have their samples gathered once: one cache line a sample from
 * all over the tensor, which had been most of the time when gathered
 * again for each of the 100 candidates. */
static bool calib_mse(const float *x, size_t n, bool symmetric, int32_t qmin, int32_t qmax,
		      float lo0, float hi0, float *lo, float *hi, const volatile int *cancel)
{
	size_t m = n > MSE_SAMPLES ? MSE_SAMPLES : n;
	bool all = n <= MSE_SAMPLES;
	float *samples = NULL;
	if (!all && (samples = malloc(m * sizeof *samples))) {
		for (size_t i = 0; i < m; i++)
			samples[i] = x[(size_t)((double)i * (double)n / (double)m)];
		x = samples;
		all = true;
	}
	double best = INFINITY;
	*lo = lo0;
	*hi = hi0;
	bool done = true;
	for (int k = MSE_STEPS; k >= 1; k -= MSE_BATCH) {
		if (stop(cancel)) {
			done = false;
			break;
		}
		int nc = k < MSE_BATCH ? k : MSE_BATCH;
		float l[MSE_BATCH], h[MSE_BATCH];
		double sse[MSE_BATCH];
		for (int c = 0; c < nc; c++) {
			float a = (float)(k - c) / MSE_STEPS;
			l[c] = lo0 * a;
			h[c] = hi0 * a;
		}
		roundtrip_sse(x, n, all, m, l, h, nc, symmetric, qmin, qmax, sse);
		for (int c = 0; c < nc; c++)
			if (sse[c] < best) { /* strict: on ties the wider range (seen first) stays */
				best = sse[c];
				*lo = l[c];
				*hi = h[c];
			}
	}
	free(samples);
	return done;
}

/* ---- Entropy (KL divergence) ----------------------------------------------- */

#define ENTROPY_BINS 2048
#define TERM_CACHE 32 /* counts whose KL terms are kept per level */

/* Only the non-empty bins enter the sums: an empty bin has p = q = 0, adds
 * nothing to the totals (x + 0.0 is x) and no term to the divergence, so
 * visiting the non-empty bins in increasing order does the same floating-
 * point operations in the same order as visiting all i bins, and gives the
 * same bits. The counts are integers, so the tail (Σ counts[i..]) is exact
 * in any order and is kept as a running suffix sum. That makes each
 * candidate edge O(non-empty bins + nq) instead of O(2048): a per-channel
 * calibration of a few values per channel took ~20 ms a channel before. */
static int calib_entropy(const float *x, size_t n, int nq, float amax, float *t_out,
			 ql_error *err)
{
	ql_hist h;
	if (ql_hist_init(&h, ENTROPY_BINS, 0.0, amax, err))
		return -1;
	for (size_t i = 0; i < n; i++) {
		int b = ql_hist_bin(&h, fabs((double)x[i]));
		h.counts[b < ENTROPY_BINS ? b : ENTROPY_BINS - 1]++;
	}

	double *qsum = malloc((size_t)nq * sizeof *qsum);
	int *qcnt = malloc((size_t)nq * sizeof *qcnt);
	int *nz = malloc(ENTROPY_BINS * sizeof *nz);  /* the non-empty bins, increasing */
	int *dig = malloc(ENTROPY_BINS * sizeof *dig); /* their quantized bin, by position in nz */
	int64_t *suffix = malloc((ENTROPY_BINS + 1) * sizeof *suffix); /* Σ counts[k..] */
	if (!qsum || !qcnt || !nz || !dig || !suffix) {
		free(qsum), free(qcnt), free(nz), free(dig), free(suffix);
		ql_hist_free(&h);
		return ql_error_set(err, "entropy calibration: out of memory");
	}
	int nnz = 0;
	for (int k = 0; k < ENTROPY_BINS; k++)
		if (h.counts[k] != 0)
			nz[nnz++] = k;
	suffix[ENTROPY_BINS] = 0;
	for (int k = ENTROPY_BINS - 1; k >= 0; k--)
		suffix[k] = suffix[k + 1] + h.counts[k];

	double best = INFINITY;
	int best_i = ENTROPY_BINS;
	double edge_w = (double)amax / ENTROPY_BINS;
	double cache[TERM_CACHE];          /* the term of count c in the level visited */
	int64_t stamp[TERM_CACHE] = {0};   /* which level visit cache[c] is of */
	int64_t stamp_level = 0;
	int below = 0; /* the non-empty bins under i: nz[0..below) */
	for (int i = nq; i <= ENTROPY_BINS; i++) {
		while (below < nnz && nz[below] < i)
			below++;
		double tail = (double)suffix[i]; /* the outliers: Σ counts[i..] */
		/* np.digitize(range(i), np.linspace(0, i, nq + 1)) - 1 */
		double step = (double)i / nq;
		memset(qsum, 0, (size_t)nq * sizeof *qsum);
		memset(qcnt, 0, (size_t)nq * sizeof *qcnt);
		/* bin k's level is the greatest d < nq with d == 0 or
		 * (double)k >= d * step (what np.digitize gives, and a division
		 * then a correction either way used to find); it grows with k,
		 * so one walk up the levels serves the bins in increasing order */
		int d = 0;
		double run = 0; /* level d's sum so far, kept out of memory */
		for (int j = 0; j < below; j++) {
			int k = nz[j];
			if (d + 1 < nq && (double)k >= (d + 1) * step) {
				qsum[d] = run;
				do
					d++;
				while (d + 1 < nq && (double)k >= (d + 1) * step);
				run = 0;
			}
			dig[j] = d;
			run += (double)h.counts[k];
			qcnt[d]++;
		}
		qsum[d] = run;
		/* a level's mean, the same division the sums below made per bin */
		for (int l = 0; l < nq; l++)
			if (qcnt[l])
				qsum[l] /= qcnt[l];
		/* bin i-1 is non-empty in p when it holds values or a tail */
		bool last_in = below > 0 && nz[below - 1] == i - 1;
		double qtotal = 0;
		for (int j = 0; j < below; j++)
			qtotal += qsum[dig[j]];
		/* Σ p: integers below 2^53, exact in any order: every value, the
		 * tail included, whichever bin holds it */
		double ptotal = (double)suffix[0];
		double kl = 0;
		if (ptotal > 0 && qtotal > 0) {
			/* Within a level q is one value, so a bin's term p log(p / q)
			 * depends on its count alone: the terms of small counts are
			 * kept for the level being visited (stamp: a number new at
			 * every level of every candidate) and added again, the same
			 * double, in the same order. Sparse histograms, such as one
			 * channel's, repeat counts 1, 2, 3 within a level: many
			 * logarithms were repeats. The bin that takes the tail is
			 * always computed. */
			int lv = -1;
			double qk = 0;
			for (int j = 0; j < below; j++) {
				int k = nz[j];
				if (dig[j] != lv) {
					lv = dig[j];
					qk = qsum[lv] / qtotal;
					stamp_level++;
				}
				int64_t c = h.counts[k];
				double term;
				if (k != i - 1 && c < TERM_CACHE && stamp[c] == stamp_level) {
					term = cache[c];
				} else {
					double pk = ((double)c + (k == i - 1 ? tail : 0.0)) / ptotal;
					term = qk > 0 ? pk * log(pk / qk) : INFINITY;
					if (k != i - 1 && c < TERM_CACHE) {
						cache[c] = term;
						stamp[c] = stamp_level;
					}
				}
				kl += term;
			}
			if (!last_in && tail > 0)
				kl += INFINITY; /* p[i-1] > 0 where q[i-1] = 0 */
		}
		if (kl <= best) { /* <=: the last minimum, as pytorch-quantization */
			best = kl;
			best_i = i;
		}
	}
	*t_out = (float)(best_i * edge_w);
	if (best_i == ENTROPY_BINS)
		*t_out = amax;

	free(qsum), free(qcnt), free(nz), free(dig), free(suffix);
	ql_hist_free(&h);
	return 0;
}

/* ---- Entry point -------------------------------------------------------------- */

int ql_calibrate(const float *x, size_t n, ql_calib m, double percentile, bool symmetric,
		 int32_t qmin, int32_t qmax, float *lo, float *hi, ql_error *err)
{
	return ql_calibrate_cancel(x, n, m, percentile, symmetric, qmin, qmax, lo, hi, NULL, err);
}

int ql_calibrate_cancel(const float *x, size_t n, ql_calib m, double percentile, bool symmetric,
			int32_t qmin, int32_t qmax, float *lo, float *hi, const volatile int *cancel,
			ql_error *err)
{
	*lo = *hi = 0.0f;
	if (n == 0)
		return 0;

	float mn = x[0], mx = x[0];
	for (size_t i = 1; i < n; i++) {
		mn = x[i] < mn ? x[i] : mn;
		mx = x[i] > mx ? x[i] : mx;
	}
	float amax = fmaxf(fabsf(mn), fabsf(mx));
	float lo0 = symmetric ? -amax : mn, hi0 = symmetric ? amax : mx;

	switch (m) {
	case QL_CALIB_MINMAX:
	case QL_CALIB_COUNT:
		*lo = lo0;
		*hi = hi0;
		return 0;
	case QL_CALIB_PERCENTILE: {
		double a, b;
		if (symmetric) {
			if (ql_percentile(x, n, percentile, true, &a, err))
				return -1;
			*lo = -(float)a;
			*hi = (float)a;
		} else {
			if (ql_percentile(x, n, 100.0 - percentile, false, &a, err) ||
			    ql_percentile(x, n, percentile, false, &b, err))
				return -1;
			*lo = (float)a;
			*hi = (float)b;
		}
		return 0;
	}
	case QL_CALIB_MSE:
		if (!calib_mse(x, n, symmetric, qmin, qmax, lo0, hi0, lo, hi, cancel))
			return ql_error_set(err, "cancelled");
		return 0;
	case QL_CALIB_ENTROPY: {
		if (amax == 0.0f)
			return 0;
		int nq = (int)((qmax - qmin + 2) / 2); /* 2^(bits-1): 128 for 8 bits */
		if (nq < 1)
			nq = 1;
		float t = amax;
		if (calib_entropy(x, n, nq, amax, &t, err))
			return -1;
		*lo = symmetric ? -t : fmaxf(mn, -t);
		*hi = symmetric ? t : fminf(mx, t);
		return 0;
	}
	}
	return 0;
}
