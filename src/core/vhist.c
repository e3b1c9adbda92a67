/* vhist.c — a fine histogram of values (qlens/stats.h: ql_ehist_add_values):
 * the ql_ehist of the errors of 0 against them, e = x - 0 = x (the same
 * double, -0 counted as +0), so its bins, merge and finish are the error
 * histogram's. ql_quantize counts one in its scan pass (ql_qopts.vhist).
 */
#include "qlens/stats.h"

#include <math.h>

enum { ZCH = 1024 };
static const float zeros[ZCH];

void ql_ehist_add_values(ql_ehist *f, const float *x, size_t n)
{
	for (size_t i = 0; i < n; i += ZCH) {
		size_t w = n - i < ZCH ? n - i : ZCH;
		ql_ehist_add(f, zeros, x + i, w);
	}
}

/* ---- onto given bins (ql_ehist_fill) ---- */

typedef struct fill {
	const ql_ehist *f;
	ql_hist *h;
	int64_t inexact;
} fill;

static void fill_bin(void *arg, double v, double w, int64_t c)
{
	fill *a = arg;
	ql_hist *h = a->h;
	h->total += c;
	if (isnan(v)) {
		h->nan += c;
		return;
	}
	/* the fine bin's values: [v, v + w), narrowed by what f has seen (its
	 * finite min and max) */
	double last = v;
	if (w > 0) {
		last = nextafter(v + w, v);
		v = v < a->f->min ? a->f->min : v;
		last = last > a->f->max ? a->f->max : last;
	}
	int j = ql_hist_bin(h, v);
	if (ql_hist_bin(h, last) != j)
		a->inexact += c;
	if (j < 0)
		h->below += c;
	else if (j >= h->nbins)
		h->above += c;
	else
		h->counts[j] += c;
}

int64_t ql_ehist_fill(const ql_ehist *f, ql_hist *h)
{
	if (!h->counts || h->nbins < 1)
		return 0;
	fill a = {f, h, 0};
	ql_ehist_each(f, fill_bin, &a);
	return a.inexact;
}
