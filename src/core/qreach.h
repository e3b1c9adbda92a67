/* qreach.h — where a block-format unit clips (private to src/core): the
 * grid's reach at scale 1 (ql_qview_reach: beyond it a value saturates)
 * times the unit's scale, as the float bounds both the explorer's pass
 * (qview.c) and ql_quantize's jobs (quantize_units.c) compare with, so
 * the two find the same clipped elements. */
#ifndef QLENS_CORE_QREACH_H
#define QLENS_CORE_QREACH_H

static inline void ql_reach_unit(double rlo, double rhi, float scale, float *lo, float *hi)
{
	double a = rlo * scale, b = rhi * scale;
	*lo = (float)(a < b ? a : b);
	*hi = (float)(a < b ? b : a);
}

#endif
