/* ehist.c — the error histogram in one pass (qlens/stats.h: ql_ehist) and
 * the per-thread pool of them (ehist_pool.h).
 *
 * Fine bins. An error e (a double, -0 made +0) has the bits sign | 11-bit
 * exponent | 52-bit mantissa. Its fine bin is those bits >> (52 - K):
 * sign, exponent and top K mantissa bits, 2^(12 + K) bins in all, half of
 * them per sign. A magnitude's bin is [a, a + w) with w = 2^(exp - K) and
 * a a multiple of w. The counts are mapped: only the pages of bins that
 * errors reach are ever touched (errors of float pairs are 0 or between
 * 2^-149 and 2^129 in magnitude).
 *
 * Negative errors are keyed by their bits - 1 (the next smaller
 * magnitude), which makes their bins closed at the left too: e in
 * [-(a + w), -a). Every fine bin is then [v, v + w) with v a multiple of
 * w, like np.histogram's bins, so a shown bin of a width W >= w holds it
 * whole. Exponent 2047 holds the non-finite errors (counted as NaN: e is
 * made e + (e - e), which also makes -0 +0).
 */
#include "qlens/stats.h"

#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "acc_avx2.h"
#include "ehist_impl.h"
#include "ehist_pool.h"
#include "quant_avx2.h"

#if QL_HAVE_AVX2_KERNELS
#include <immintrin.h>
#endif

#define K QL_EHIST_K
#define SHIFT QL_EHIST_SHIFT
#define HALF QL_EHIST_HALF
#define NFINE (2 * HALF)
/* after the NFINE counts, one more int64 (LOW, ehist_impl.h): the least
 * nonzero finite magnitude key (key & (HALF - 1)) counted, HALF if none,
 * or QL_EHIST_LOW_UNKNOWN after counting (the counting loops do not keep
 * it: low_of() finds it); with min and max it bounds the bins merge,
 * clear and finish visit (see `used` and ranges()) */
#define COUNTS_BYTES ((size_t)(NFINE + 1) * sizeof(int64_t))
#define LOW(f) QL_EHIST_LOW(f)
_Static_assert(NFINE == QL_EHIST_NFINE, "stats.h's QL_EHIST_NFINE");

/* The only fine bins (in each half) an error of two floats can reach.
 * Such an error is 0 (bin 0), or of magnitude 2^-149 (the least
 * subnormal float) to |y| + |x| < 2^129, i.e. double exponents 874 to
 * 1151 (bins 874 << K to (1152 << K) - 1; a negative error, keyed by its
 * bits - 1, reaches down to (873 << K) + (2^K - 1) for -2^-149), or
 * non-finite: exponent 2047 (bins from 2047 << K), or -inf, whose bits - 1
 * is the largest finite negative bin, (2047 << K) - 1. So merge, finish
 * and clear visit these ranges alone: the other pages of the mapped
 * counts are never touched (on a 1M-element tensor, reading and writing
 * all 2^18 int64 bins costs more than counting the errors). */
#define USED_LO (((int64_t)873 << K) + (1 << K) - 1)
#define USED_HI ((int64_t)1152 << K)
#define USED_NF (((int64_t)2047 << K) - 1)
static const int64_t used[3][2] = {{0, 1}, {USED_LO, USED_HI}, {USED_NF, HALF}};

/* The magnitude key of a finite double (its fine bin within its half). */
static int64_t kmag(double e)
{
	uint64_t b;
	memcpy(&b, &e, sizeof b);
	return (int64_t)((b - (b >> 63)) >> SHIFT) & (HALF - 1);
}

/* LOW(f), or where it is unknown the key it stands for, found in the
 * counts: a finite error of nonzero magnitude has a key from USED_LO up to
 * that of the largest of its sign (max, or min for the negative ones), and
 * the first count from USED_LO up is the least. Typical errors (2^-40 and
 * up) are found within a few pages: far cheaper than keeping the least key
 * for every error counted, which the fused pass used to. */
static int64_t low_of(const ql_ehist *f)
{
	int64_t low = LOW(f);
	if (low != QL_EHIST_LOW_UNKNOWN)
		return low;
	low = HALF;
	for (int64_t s = 0; s < 2; s++) {
		if (!(s ? f->min < 0 : f->max > 0))
			continue; /* no finite error of this sign but 0 */
		const int64_t *c = f->counts + s * HALF;
		int64_t top = kmag(s ? f->min : f->max);
		for (int64_t k = USED_LO; k <= top && k < low; k++)
			if (c[k]) {
				low = k;
				break;
			}
	}
	return low;
}

/* The bins of half s of f that may hold counts, as `used` narrowed by what
 * f has seen: its finite errors of that sign have magnitude keys from
 * `low` (low_of(f): the least nonzero one) to the key of max (positive) or
 * of min (negative), as the key grows with the magnitude; 0 and the
 * non-finite bins are always visited. */
static void ranges(const ql_ehist *f, int64_t s, int64_t low, int64_t r[3][2])
{
	memcpy(r, used, sizeof used);
	double far = s ? -f->min : f->max; /* the largest finite magnitude of the sign */
	int64_t lo = low < USED_LO ? USED_LO : low > USED_HI ? USED_HI : low;
	int64_t hi = far > 0 ? kmag(s ? f->min : f->max) + 1 : lo;
	r[1][0] = lo;
	r[1][1] = hi < lo ? lo : hi > USED_HI ? USED_HI : hi;
}

int ql_ehist_init(ql_ehist *f, ql_error *err)
{
	memset(f, 0, sizeof *f);
	/* mapped, not calloc'ed: glibc's calloc serves 2 MiB from the heap
	 * (and clears it all) once a block that size was freed, and a fresh
	 * mapping's pages cost nothing until touched: see `used` */
	void *m = mmap(NULL, COUNTS_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);
	if (m == MAP_FAILED)
		return ql_error_set(err, "error histogram: out of memory");
#ifdef MADV_NOHUGEPAGE
	/* where huge pages are on by default, one touch would clear 2 MiB */
	madvise(m, COUNTS_BYTES, MADV_NOHUGEPAGE);
#endif
	f->counts = m;
	LOW(f) = HALF;
	f->min = INFINITY;
	f->max = -INFINITY;
	return 0;
}

void ql_ehist_free(ql_ehist *f)
{
	if (f->counts)
		munmap(f->counts, COUNTS_BYTES);
	memset(f, 0, sizeof *f);
}

void ql_ehist_clear(ql_ehist *f)
{
	if (f->counts) {
		int64_t low = low_of(f);
		for (int64_t s = 0; s < 2; s++) {
			int64_t r[3][2];
			ranges(f, s, low, r);
			for (int k = 0; k < 3; k++)
				memset(f->counts + s * HALF + r[k][0], 0,
				       (size_t)(r[k][1] - r[k][0]) * sizeof *f->counts);
		}
		LOW(f) = HALF;
	}
	f->min = INFINITY;
	f->max = -INFINITY;
	f->n = 0;
}

/* Up to CH errors at a time: their fine bins computed first (four at a
 * time in the AVX2 path), then counted one by one. */
#define CH 256

/* The portable reference: fine bins of n errors into idx, their finite
 * range into *mnp, *mxp. */
static void ehist_chunk_c(const float *x, const float *y, size_t n, uint32_t *idx, double *mnp,
			  double *mxp)
{
	double mn = *mnp, mx = *mxp;
	for (size_t i = 0; i < n; i++) {
		double d = (double)y[i] - (double)x[i];
		/* d itself where finite (-0 - -0 = +0, and -0 + +0 = +0), NaN
		 * where not (inf - inf), which the range passes over */
		double e = d + (d - d);
		uint64_t b;
		memcpy(&b, &e, sizeof b);
		idx[i] = (uint32_t)((b - (b >> 63)) >> SHIFT);
		mn = e < mn ? e : mn;
		mx = e > mx ? e : mx;
	}
	*mnp = mn;
	*mxp = mx;
}

#if QL_HAVE_AVX2_KERNELS
/* Eight errors at a time by the fused step (acc_avx2.h: the same keys and
 * range as the C loop), the rest by the C loop. */
QL_ACC_TARGET static void ehist_add_avx2(ql_ehist *f, const float *x, const float *y, size_t n)
{
	ql_acc_eh h;
	ql_acc_eh_begin(&h, f);
	size_t i = 0;
	for (; i + 8 <= n; i += 8)
		ql_acc_add8p(NULL, &h, x + i, y + i);
	ql_acc_eh_end(&h, x + i, y + i, n - i);
}
#endif

void ql_ehist_add_c(ql_ehist *f, const float *x, const float *y, size_t n)
{
	uint32_t idx[CH];
	int64_t *restrict c = f->counts;
	double mn = f->min, mx = f->max;
	for (size_t i = 0; i < n; i += CH) {
		size_t w = n - i < CH ? n - i : CH;
		ehist_chunk_c(x + i, y + i, w, idx, &mn, &mx);
		for (size_t j = 0; j < w; j++)
			c[idx[j]]++;
	}
	if (n)
		LOW(f) = QL_EHIST_LOW_UNKNOWN;
	f->min = mn;
	f->max = mx;
	f->n += (int64_t)n;
}

void ql_ehist_add(ql_ehist *f, const float *x, const float *y, size_t n)
{
#if QL_HAVE_AVX2_KERNELS
	if (ql_avx2_active()) {
		ehist_add_avx2(f, x, y, n);
		return;
	}
#endif
	ql_ehist_add_c(f, x, y, n);
}

void ql_ehist_merge(ql_ehist *a, const ql_ehist *b)
{
	int64_t la = low_of(a), lb = low_of(b);
	for (int64_t s = 0; s < 2; s++) {
		int64_t r[3][2];
		ranges(b, s, lb, r);
		for (int k = 0; k < 3; k++)
			for (int64_t i = s * HALF + r[k][0]; i < s * HALF + r[k][1]; i++)
				if (b->counts[i]) /* a's untouched pages stay so */
					a->counts[i] += b->counts[i];
	}
	LOW(a) = lb < la ? lb : la;
	a->min = b->min < a->min ? b->min : a->min;
	a->max = b->max > a->max ? b->max : a->max;
	a->n += b->n;
}

/* Fine bin k (0 < k < HALF, exponent 1..2046) of a half: its lower
 * magnitude edge a and width w. */
static void fine_bin(int64_t k, double *a, double *w)
{
	int be = (int)(k >> K);
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
	/* the widest fine bin that holds something: W may not be narrower;
	 * exponent 0 (no error of floats lies there but 0) counts as 0 */
	const int64_t FIRST = (int64_t)1 << K, NONFIN = (int64_t)2047 << K;
	_Static_assert(USED_NF == ((int64_t)2047 << K) - 1 && USED_LO > 1, "the used ranges");
	double wmin = 0;
	int64_t r[2][3][2], low = low_of(f);
	ranges(f, 0, low, r[0]);
	ranges(f, 1, low, r[1]);
	for (int64_t s = 0; s < 2; s++)
		for (int64_t k = USED_NF; k >= r[s][1][0]; k = k == USED_NF ? r[s][1][1] - 1 : k - 1)
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
		for (int q = 0; q < 3; q++) {
			for (int64_t k = r[s][q][0]; k < r[s][q][1]; k++) {
				int64_t c = f->counts[s * HALF + k];
				if (!c)
					continue;
				if (k >= NONFIN) {
					h->nan += c;
					continue;
				}
				double v = 0; /* the fine bin's left edge */
				if (k >= FIRST) {
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
		}
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

/* ---- the fine bins one by one (ql_ehist_each) ---- */

int64_t ql_ehist_each(const ql_ehist *f, ql_ehist_bin_fn fn, void *arg)
{
	if (!f->counts || f->n == 0)
		return 0;
	const int64_t FIRST = (int64_t)1 << K, NONFIN = (int64_t)2047 << K;
	int64_t visited = 0, low = low_of(f);
	for (int64_t s = 0; s < 2; s++) {
		int64_t r[3][2];
		ranges(f, s, low, r);
		for (int q = 0; q < 3; q++) {
			for (int64_t k = r[q][0]; k < r[q][1]; k++) {
				int64_t c = f->counts[s * HALF + k];
				if (!c)
					continue;
				visited++;
				if (k >= NONFIN) {
					fn(arg, NAN, 0.0, c);
				} else if (k < FIRST) {
					fn(arg, 0.0, 0.0, c);
				} else {
					double a, w;
					fine_bin(k, &a, &w);
					fn(arg, s ? -(a + w) : a, w, c);
				}
			}
		}
	}
	return visited;
}
