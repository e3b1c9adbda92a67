/* ehist.c — the error histogram in one pass (qlens/stats.h: ql_ehist) and
 * the per-thread pool of them (ehist_pool.h).
 *
 * Fine bins. An error e (a double) has the bits sign | 11-bit exponent |
 * 52-bit mantissa; its magnitude bits m = bits & ~sign grow with |e|. The
 * fine bin of a magnitude is m >> (52 - K): exponent and top K mantissa
 * bits, a bin [a, a + w) with w = 2^(exp - K) and a a multiple of w.
 * Errors of float pairs are 0 or at least 2^-149 and below 2^129 in
 * magnitude, so only the biased exponents E0 + 1 .. E0 + ROWS - 2 occur:
 * row 0 (2^-150) holds just the zeros, the last row everything from
 * 2^129 up (inf and NaN: the non-finite errors).
 *
 * Negative errors are keyed by m - 1 (the next smaller magnitude), which
 * makes their bins closed at the left too: e in [-(a + w), -a). Every fine
 * bin is then [v, v + w) with v a multiple of w, like np.histogram's bins,
 * so a shown bin of a width W >= w holds it whole.
 */
#include "qlens/stats.h"

#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "ehist_pool.h"
#include "simd.h"

#define K QL_EHIST_K
#define E0 873                       /* biased exponent of row 0: 2^-150 */
#define ROWS 280                     /* rows 0 .. 279 (2^129 and up) */
#define TOP ((int64_t)(ROWS - 1) << K) /* the non-finite bin of a half */
#define HALF (TOP + 1)               /* bins per sign */
#define NFINE (2 * HALF)
#define MAG_MASK 0x7fffffffffffffffULL
#define EXP_INF 0x7ff0000000000000ULL

int ql_ehist_init(ql_ehist *f, ql_error *err)
{
	memset(f, 0, sizeof *f);
	f->counts = calloc((size_t)NFINE, sizeof *f->counts);
	if (!f->counts)
		return ql_error_set(err, "error histogram: out of memory");
	f->min = INFINITY;
	f->max = -INFINITY;
	return 0;
}

void ql_ehist_free(ql_ehist *f)
{
	free(f->counts);
	memset(f, 0, sizeof *f);
}

void ql_ehist_clear(ql_ehist *f)
{
	if (f->counts)
		memset(f->counts, 0, (size_t)NFINE * sizeof *f->counts);
	f->min = INFINITY;
	f->max = -INFINITY;
	f->n = 0;
}

/* Up to CH errors at a time: their fine bins computed in a loop the
 * compiler vectorises, then counted one by one. */
#define CH 256

QL_SIMD_CLONES
static void ehist_chunk(const float *restrict x, const float *restrict y, size_t n,
			uint32_t *restrict idx, double *mnp, double *mxp)
{
	double mn = *mnp, mx = *mxp;
	for (size_t i = 0; i < n; i++) {
		double e = (double)y[i] - (double)x[i];
		uint64_t b;
		memcpy(&b, &e, sizeof b);
		uint64_t m = b & MAG_MASK;
		uint64_t neg = (b >> 63) & (uint64_t)(m != 0);
		int64_t k = (int64_t)((m - neg) >> (52 - K)) - ((int64_t)E0 << K);
		k = k < 0 ? 0 : k;
		k = k > TOP ? TOP : k;
		idx[i] = (uint32_t)(k + (int64_t)neg * HALF);
		double ef = m < EXP_INF ? e : 0.0; /* non-finite: not in the range */
		mn = ef < mn ? ef : mn;
		mx = ef > mx ? ef : mx;
	}
	*mnp = mn;
	*mxp = mx;
}

void ql_ehist_add(ql_ehist *f, const float *x, const float *y, size_t n)
{
	uint32_t idx[CH];
	int64_t *restrict c = f->counts;
	double mn = f->min, mx = f->max;
	for (size_t i = 0; i < n; i += CH) {
		size_t w = n - i < CH ? n - i : CH;
		ehist_chunk(x + i, y + i, w, idx, &mn, &mx);
		for (size_t j = 0; j < w; j++)
			c[idx[j]]++;
	}
	f->min = mn;
	f->max = mx;
	f->n += (int64_t)n;
}

void ql_ehist_merge(ql_ehist *a, const ql_ehist *b)
{
	for (int64_t i = 0; i < NFINE; i++)
		a->counts[i] += b->counts[i];
	a->min = b->min < a->min ? b->min : a->min;
	a->max = b->max > a->max ? b->max : a->max;
	a->n += b->n;
}

/* Fine bin k (0 < k < TOP) of a half: its lower magnitude edge a, width w. */
static void fine_bin(int64_t k, double *a, double *w)
{
	int be = (int)(k >> K) + E0;
	int64_t mant = k & ((1 << K) - 1);
	*w = ldexp(1.0, be - 1023 - K);
	*a = ldexp((double)((1 << K) + mant), be - 1023 - K);
}

/* Bins of width W (a power of two) over [lo, hi]. */
static double nbins_for(double lo, double hi, double W)
{
	return ceil(hi / W) - floor(lo / W);
}

int ql_ehist_finish(const ql_ehist *f, int nbins, ql_hist *h, ql_error *err)
{
	memset(h, 0, sizeof *h);
	if (nbins < 1 || nbins > (1 << 20))
		return ql_error_set(err, "histogram: %d bins (must be 1 to %d)", nbins, 1 << 20);
	if (f->n == 0 || !f->counts)
		return 0;
	double lo = f->min < 0 ? f->min : 0.0, hi = f->max > 0 ? f->max : 0.0;
	if (lo == 0 && hi == 0)
		return 0;
	/* the widest fine bin that holds something: W may not be narrower */
	double wmin = 0;
	for (int64_t s = 0; s < 2; s++)
		for (int64_t k = TOP - 1; k > 0; k--)
			if (f->counts[s * HALF + k]) {
				double a, w;
				fine_bin(k, &a, &w);
				wmin = w > wmin ? w : wmin;
				break;
			}
	if (lo < 0 && hi > 0 && nbins < 2)
		nbins = 2; /* 0 is an edge */
	int ex;
	frexp((hi - lo) / nbins, &ex); /* (hi - lo) / nbins < 2^ex */
	double W = ldexp(1.0, ex);
	if (W < wmin)
		W = wmin;
	while (nbins_for(lo, hi, W) > nbins)
		W *= 2;
	while (W / 2 >= wmin && nbins_for(lo, hi, W / 2) <= nbins)
		W /= 2;
	double base = floor(lo / W);
	int nb = (int)nbins_for(lo, hi, W);
	if (ql_hist_init(h, nb, base * W, ceil(hi / W) * W, err))
		return -1;
	for (int64_t s = 0; s < 2; s++) {
		for (int64_t k = 0; k < TOP; k++) {
			int64_t c = f->counts[s * HALF + k];
			if (!c)
				continue;
			double v = 0; /* the fine bin's left edge */
			if (k > 0) {
				double a, w;
				fine_bin(k, &a, &w);
				v = s ? -(a + w) : a;
			}
			double j = floor(v / W) - base;
			if (j == nb) /* the maximum on the last edge: the closed bin */
				j = nb - 1;
			if (j < 0)
				h->below += c;
			else if (j >= nb)
				h->above += c;
			else
				h->counts[(int)j] += c;
		}
		h->nan += f->counts[s * HALF + TOP];
	}
	h->total = f->n;
	return 1;
}

/* ---- the pool: one fine histogram per running job ---- */

int ql_ehist_pool_init(ql_ehist_pool *p)
{
	memset(p, 0, sizeof *p);
	for (int i = 0; i < QL_EHIST_POOL; i++)
		atomic_init(&p->busy[i], 0);
	return 0;
}

ql_ehist *ql_ehist_pool_take(ql_ehist_pool *p, int *slot)
{
	for (int i = 0; i < QL_EHIST_POOL; i++) {
		int want = 0;
		if (atomic_compare_exchange_strong(&p->busy[i], &want, 1)) {
			if (!p->h[i].counts && ql_ehist_init(&p->h[i], NULL)) {
				atomic_store(&p->busy[i], 0);
				break;
			}
			*slot = i;
			return &p->h[i];
		}
	}
	atomic_store(&p->failed, 1);
	*slot = -1;
	return NULL;
}

void ql_ehist_pool_give(ql_ehist_pool *p, int slot)
{
	if (slot >= 0)
		atomic_store(&p->busy[slot], 0);
}

int ql_ehist_pool_merge(ql_ehist_pool *p, ql_ehist *into)
{
	if (atomic_load(&p->failed))
		return -1;
	for (int i = 0; i < QL_EHIST_POOL; i++)
		if (p->h[i].counts)
			ql_ehist_merge(into, &p->h[i]);
	return 0;
}

void ql_ehist_pool_free(ql_ehist_pool *p)
{
	for (int i = 0; i < QL_EHIST_POOL; i++)
		ql_ehist_free(&p->h[i]);
}
