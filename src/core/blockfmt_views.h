/* blockfmt_views.h — one block's per-element codes and its scales, for the
 * formats of ggml_blocks.h (blockfmt_views.c): blockfmt.h's codes_row and
 * scales_row entries, which ql_quantize's results are filled from. */
#ifndef QLENS_CORE_BLOCKFMT_VIEWS_H
#define QLENS_CORE_BLOCKFMT_VIEWS_H

#include <stdint.h>

#define QL_BV(n) \
	void ql_bv_##n##_codes(const void *block, uint8_t *codes); \
	void ql_bv_##n##_scales(const void *block, float *d, float *dmin, float *sub_d, float *sub_m);
QL_BV(q2_k)
QL_BV(q3_k)
QL_BV(q4_k)
QL_BV(q5_k)
QL_BV(q6_k)
QL_BV(q8_k)
QL_BV(iq4_nl)
QL_BV(iq4_xs)
QL_BV(tq1_0)
QL_BV(tq2_0)
QL_BV(mxfp4)
QL_BV(nvfp4)
#undef QL_BV

#endif
