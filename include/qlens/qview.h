/* qview.h — what the quantization explorer shows about one ql_quantize()
 * result, computed here in the core so that the screen only places it:
 *
 *   - which scale (unit: tensor, channel, group or block) each element uses,
 *     and an element subset of one unit;
 *   - the grid: every value a unit's codes dequantize to, from the kernels
 *     themselves (affine, scaled float, MX, NF4, Q8_0/Q4_0), sorted;
 *   - the error split in two: rounding error (the element was inside the
 *     grid's reach) and clipping error (it was beyond), as two histograms
 *     over one range;
 *   - the clip every calibration method would choose, side by side;
 *   - the scheme as the command line's options.
 *
 *   ql_qresult r;   // from ql_quantize with opts.dequant set
 *   ql_hist rnd, clp;
 *   ql_qview_error_hists(x, &r, 64, &rnd, &clp, NULL, &err);
 *
 * "Beyond the grid's reach": for the affine integer schemes exactly what
 * the kernel clamps (zp + rint(x * (1 / scale)) outside [qmin, qmax], so
 * the clipping histogram's total equals r.metrics.clipped); for the
 * scaled floats what the kernel saturates (asked of the kernel, element
 * by element: again r.metrics.clipped in all); for the block formats,
 * whose kernels count their clamps per block, a value beyond the
 * outermost level by more than half the outermost step (the scaled grid
 * saturates there).
 *
 * The histograms' bins are those of ql_ehist_finish (stats.h): a
 * power-of-two width with 0 on an edge, counts exact. ql_quantize can
 * count both in its own pass (ql_qopts.ehist and .ehist_clip, integer
 * and scaled-float targets): ql_qview_split_hists then makes the two
 * without a pass over the data.
 */
#ifndef QLENS_QVIEW_H
#define QLENS_QVIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "qlens/error.h"
#include "qlens/quant.h"
#include "qlens/stats.h"

/* The most levels a grid has (fp8: 256 codes). */
#define QL_QVIEW_MAX_LEVELS 256

/* The unit (index into r->scales) element i (C order) uses. */
int64_t ql_qview_unit_of(const ql_qresult *r, int64_t i);

/* Copies the elements of x that use `unit` into out (room for r->nelem);
 * returns how many. */
int64_t ql_qview_gather(const ql_qresult *r, const float *x, int64_t unit, float *out);

/* The distinct finite values the codes of `unit` dequantize to, ascending,
 * into lv[max]; returns how many (at most QL_QVIEW_MAX_LEVELS). The code of
 * lv[i] goes to codes[i] when codes is not NULL (signed targets: the int8
 * value). */
int ql_qview_levels(const ql_qresult *r, int64_t unit, double *lv, int32_t *codes, int max);

/* Whether element i (value x[i]) was beyond the grid's reach (see top). */
bool ql_qview_is_clipped(const ql_qresult *r, int64_t i, float xi);

/* A block-format target's (kind MX, NF4, GGML) grid at scale 1 reaches
 * from *lo to *hi: halfway past its outermost levels. A unit's value
 * beyond that times the unit's scale saturates: it is clipped (what
 * ql_qview_error_hists and ql_qopts.ehist_clip count as such). -inf/inf
 * where there is no one grid per unit (the k-quants). Needs only r's
 * scheme, qmin and qmax. */
void ql_qview_reach(const ql_qresult *r, double *lo, double *hi);

/* The errors r->dequant[i] - x[i], rounding and clipping apart, in two
 * histograms over the same edges: at most nbins bins of a power-of-two
 * width, 0 on an edge (those of ql_ehist_finish for all the errors; when
 * every error is 0, two bins [-0.5, 0) and [0, 0.5]). One pass over the
 * data. Needs r->dequant. `cancel`, if not NULL, is read between chunks:
 * when it becomes nonzero the function stops and returns 1 (nothing to
 * free). Returns 0, or -1 with a message. */
int ql_qview_error_hists(const float *x, const ql_qresult *r, int nbins, ql_hist *round,
			 ql_hist *clip, const volatile int *cancel, ql_error *err);

/* The same two from fine histograms counted already: `all` the errors
 * (ql_qopts.ehist), `clip` those of the clamped elements
 * (ql_qopts.ehist_clip; NULL: none). The rounding histogram is all minus
 * clip, bin by bin. Returns 0, or -1 with a message (bad nbins, no
 * memory). */
int ql_qview_split_hists(const ql_ehist *all, const ql_ehist *clip, int nbins, ql_hist *round,
			 ql_hist *clipped, ql_error *err);

/* A histogram drawn on `width` columns over [lo, hi] (out[width]): each
 * bin's count spread over the columns its [edge, edge) overlaps, in
 * proportion to the overlap, so that bins wider than a column (the fine
 * histograms' power-of-two bins, zoomed in) draw as a level run, not as
 * one column in several. Counts outside [lo, hi] are left out. */
void ql_qview_columns(const ql_hist *h, double lo, double hi, int width, double *out);

/* A histogram of unequal bins: the fine bins of a ql_ehist that hold
 * something (stats.h), ascending. Their counts are exact and their widths
 * are relative (1/64 to 1/128 of the magnitude of their values: narrow near
 * 0, wide far from it), so a zoomed view keeps the detail of the values
 * near 0 that bins of one width, set by the largest value, would lose. */
typedef struct ql_vbins {
	int64_t n;        /* bins */
	double *lo, *w;   /* bin i holds the values in [lo[i], lo[i] + w[i]) (w 0: just lo);
	                     the outer two are cut to the values' min and max, the last
	                     one closed: [lo, max] (just max when it is on the edge) */
	int64_t *count;
	int64_t total;    /* all the counts, non-finite ones (not in the bins) too */
} ql_vbins;

/* The fine bins of f into *b (free with ql_vbins_free). Returns 0, or -1
 * with a message (no memory). */
int ql_qview_fine_bins(const ql_ehist *f, ql_vbins *b, ql_error *err);
/* A copy of a (into *b). */
int ql_vbins_copy(const ql_vbins *a, ql_vbins *b, ql_error *err);
void ql_vbins_free(ql_vbins *b);
/* As ql_qview_columns, for unequal bins: each bin's count spread over the
 * columns it overlaps in proportion (a bin of width 0 whole into the
 * column of its value). */
void ql_qview_fine_columns(const ql_vbins *b, double lo, double hi, int width, double *out);

/* The clipping range each calibration method chooses for n values, for a
 * scheme's symmetry and code range (as ql_quantize would for one scale):
 * lo[m], hi[m] for every ql_calib m; percentile uses s->percentile. */
int ql_qview_calib_marks(const float *x, size_t n, const ql_scheme *s, int32_t qmin, int32_t qmax,
			 float lo[QL_CALIB_COUNT], float hi[QL_CALIB_COUNT], ql_error *err);

/* The value that x becomes in `unit` (quantize then dequantize, one value,
 * through that unit's scale), and its code; for the block formats the
 * nearest level of the unit. Returns 0, or -1 if x is not finite. */
int ql_qview_point(const ql_qresult *r, int64_t unit, float x, int32_t *code, float *xhat);

/* The scheme as `qlens quantize` options that reproduce it:
 * "--dtype int4 --sym --group 32 --calib mse". snprintf-style return. */
int ql_qview_scheme_args(const ql_scheme *s, char *buf, size_t n);

#endif
