/* blockfmt_views.c — the codes and scales inside one block of each format of
 * ggml_blocks.h, in element order, for ql_quantize's results (codes to
 * show and write with -o, scales to report):
 *
 *   codes: the stored integer of each element before its scale is applied
 *     (Q2_K 0..3, Q3_K 0..7 = q + 4, Q4_K 0..15, Q5_K 0..31, Q6_K 0..63 =
 *     q + 32, Q8_K int8, IQ4 indices into the 16 levels, TQ trits 0..2 =
 *     t + 1, FP4 E2M1 codes);
 *   scales: d (the super-block scale), dmin where the format has mins, and
 *     the nsub sub-block scales and mins as the numbers they multiply by
 *     (d * sc, dmin * m; mins 0 where the format has none). NVFP4 has no super-block scale (d = 1) and its four
 *     UE4M3 scales as sub-block scales; MXFP4's d is 2^(e - 127).
 *
 * Each walks the block the way its dequantizer does (kquants.c, iq4.c,
 * tquants.c, ggml_fp4.c), so codes[i] is the code of the value the
 * dequantizer writes at i; test_ggml_blocks.c checks that decoding the
 * codes with these scales gives the dequantizer's values.
 */
#include "blockfmt_views.h"

#include <math.h>
#include <string.h>

#include "qlens/ggml_blocks.h"

static float h2f(uint16_t h) { return ql_f32_from_fp16(h); }

/* per 128 values, 32 bytes of 2-bit fields: element 32j + l of the 128 in
 * bits 2j..2j+1 of byte l */
static void two_bit(const uint8_t *qs, int n, uint8_t *c)
{
	for (int h = 0; h < n / 128; h++)
		for (int j = 0; j < 4; j++)
			for (int l = 0; l < 32; l++)
				c[128 * h + 32 * j + l] = (qs[32 * h + l] >> (2 * j)) & 3;
}

void ql_bv_q2_k_codes(const void *block, uint8_t *codes)
{
	two_bit(((const ql_block_q2_k *)block)->qs, QL_QK_K, codes);
}

void ql_bv_q2_k_scales(const void *block, float *d, float *dmin, float *sub_d, float *sub_m)
{
	const ql_block_q2_k *b = block;
	*d = h2f(b->d);
	*dmin = h2f(b->dmin);
	for (int j = 0; j < 16; j++) {
		sub_d[j] = *d * (b->scales[j] & 0xF);
		sub_m[j] = *dmin * (b->scales[j] >> 4);
	}
}

void ql_bv_q3_k_codes(const void *block, uint8_t *codes)
{
	const ql_block_q3_k *b = block;
	two_bit(b->qs, QL_QK_K, codes);
	for (int e = 0; e < QL_QK_K; e++)
		codes[e] = (uint8_t)(codes[e] | ((b->hmask[e % 32] >> (e / 32)) & 1) << 2);
}

void ql_bv_q3_k_scales(const void *block, float *d, float *dmin, float *sub_d, float *sub_m)
{
	const ql_block_q3_k *b = block;
	*d = h2f(b->d);
	for (int j = 0; j < 16; j++) {
		int lo = j < 8 ? b->scales[j] & 0xF : b->scales[j - 8] >> 4;
		int hi = (b->scales[8 + j % 4] >> (2 * (j / 4))) & 3;
		sub_d[j] = *d * ((lo | hi << 4) - 32);
		sub_m[j] = 0.0f;
	}
}

static void nibbles_64(const uint8_t *qs, uint8_t *c)
{
	for (int g = 0; g < QL_QK_K / 64; g++)
		for (int l = 0; l < 32; l++) {
			c[64 * g + l] = qs[32 * g + l] & 0xF;
			c[64 * g + 32 + l] = qs[32 * g + l] >> 4;
		}
}

/* the 6-bit scale and min of sub-block j (kquants.c's scale_min_k4) */
static void k4(const uint8_t *q, int j, int *sc, int *m)
{
	if (j < 4) {
		*sc = q[j] & 63;
		*m = q[j + 4] & 63;
	} else {
		*sc = (q[j + 4] & 0xF) | (q[j - 4] >> 6) << 4;
		*m = (q[j + 4] >> 4) | (q[j] >> 6) << 4;
	}
}

static void k4_scales(const uint8_t *packed, uint16_t hd, uint16_t hmin, float *d, float *dmin,
		      float *sub_d, float *sub_m)
{
	*d = h2f(hd);
	*dmin = h2f(hmin);
	for (int j = 0; j < 8; j++) {
		int sc, m;
		k4(packed, j, &sc, &m);
		sub_d[j] = *d * sc;
		sub_m[j] = *dmin * m;
	}
}

void ql_bv_q4_k_codes(const void *block, uint8_t *codes)
{
	nibbles_64(((const ql_block_q4_k *)block)->qs, codes);
}

void ql_bv_q4_k_scales(const void *block, float *d, float *dmin, float *sub_d, float *sub_m)
{
	const ql_block_q4_k *b = block;
	k4_scales(b->scales, b->d, b->dmin, d, dmin, sub_d, sub_m);
}

void ql_bv_q5_k_codes(const void *block, uint8_t *codes)
{
	const ql_block_q5_k *b = block;
	nibbles_64(b->qs, codes);
	for (int g = 0; g < QL_QK_K / 64; g++)
		for (int l = 0; l < 32; l++) {
			codes[64 * g + l] |= (uint8_t)(((b->qh[l] >> (2 * g)) & 1) << 4);
			codes[64 * g + 32 + l] |= (uint8_t)(((b->qh[l] >> (2 * g + 1)) & 1) << 4);
		}
}

void ql_bv_q5_k_scales(const void *block, float *d, float *dmin, float *sub_d, float *sub_m)
{
	const ql_block_q5_k *b = block;
	k4_scales(b->scales, b->d, b->dmin, d, dmin, sub_d, sub_m);
}

void ql_bv_q6_k_codes(const void *block, uint8_t *codes)
{
	const ql_block_q6_k *b = block;
	for (int h = 0; h < 2; h++) {
		const uint8_t *ql = b->ql + 64 * h, *qh = b->qh + 32 * h;
		uint8_t *c = codes + 128 * h;
		for (int l = 0; l < 32; l++) {
			c[l] = (uint8_t)((ql[l] & 0xF) | ((qh[l] >> 0) & 3) << 4);
			c[l + 32] = (uint8_t)((ql[l + 32] & 0xF) | ((qh[l] >> 2) & 3) << 4);
			c[l + 64] = (uint8_t)((ql[l] >> 4) | ((qh[l] >> 4) & 3) << 4);
			c[l + 96] = (uint8_t)((ql[l + 32] >> 4) | ((qh[l] >> 6) & 3) << 4);
		}
	}
}

void ql_bv_q6_k_scales(const void *block, float *d, float *dmin, float *sub_d, float *sub_m)
{
	const ql_block_q6_k *b = block;
	*d = h2f(b->d);
	for (int j = 0; j < 16; j++) {
		sub_d[j] = *d * b->scales[j];
		sub_m[j] = 0.0f;
	}
}

void ql_bv_q8_k_codes(const void *block, uint8_t *codes)
{
	memcpy(codes, ((const ql_block_q8_k *)block)->qs, QL_QK_K);
}

void ql_bv_q8_k_scales(const void *block, float *d, float *dmin, float *sub_d, float *sub_m)
{
	memcpy(d, block, sizeof *d); /* the block's float32 d, wherever the block sits */
}

static void nibbles_32(const uint8_t *qs, uint8_t *c)
{
	for (int j = 0; j < 16; j++) {
		c[j] = qs[j] & 0xF;
		c[j + 16] = qs[j] >> 4;
	}
}

void ql_bv_iq4_nl_codes(const void *block, uint8_t *codes)
{
	nibbles_32(((const ql_block_iq4_nl *)block)->qs, codes);
}

void ql_bv_iq4_nl_scales(const void *block, float *d, float *dmin, float *sub_d, float *sub_m)
{
	*d = h2f(((const ql_block_iq4_nl *)block)->d);
}

void ql_bv_iq4_xs_codes(const void *block, uint8_t *codes)
{
	const ql_block_iq4_xs *b = block;
	for (int ib = 0; ib < QL_QK_K / 32; ib++)
		nibbles_32(b->qs + 16 * ib, codes + 32 * ib);
}

void ql_bv_iq4_xs_scales(const void *block, float *d, float *dmin, float *sub_d, float *sub_m)
{
	const ql_block_iq4_xs *b = block;
	*d = h2f(b->d);
	for (int ib = 0; ib < QL_QK_K / 32; ib++) {
		int ls = ((b->scales_l[ib / 2] >> 4 * (ib % 2)) & 0xf) | ((b->scales_h >> 2 * ib) & 3) << 4;
		sub_d[ib] = *d * (ls - 32);
		sub_m[ib] = 0.0f;
	}
}

/* trit n of a TQ1_0 byte, 0..2 (tquants.c) */
static uint8_t tq1_trit(uint8_t byte, int n)
{
	static const uint8_t pow3[5] = { 1, 3, 9, 27, 81 };
	uint8_t q = (uint8_t)(byte * pow3[n]);
	return (uint8_t)((q * 3) >> 8);
}

void ql_bv_tq1_0_codes(const void *block, uint8_t *codes)
{
	const ql_block_tq1_0 *b = block;
	int e = 0;
	for (int n = 0; n < 5; n++)
		for (int m = 0; m < 32; m++)
			codes[e++] = tq1_trit(b->qs[m], n);
	for (int n = 0; n < 5; n++)
		for (int m = 0; m < 16; m++)
			codes[e++] = tq1_trit(b->qs[32 + m], n);
	for (int n = 0; n < 4; n++)
		for (int j = 0; j < 4; j++)
			codes[e++] = tq1_trit(b->qh[j], n);
}

void ql_bv_tq1_0_scales(const void *block, float *d, float *dmin, float *sub_d, float *sub_m)
{
	*d = h2f(((const ql_block_tq1_0 *)block)->d);
}

void ql_bv_tq2_0_codes(const void *block, uint8_t *codes)
{
	two_bit(((const ql_block_tq2_0 *)block)->qs, QL_QK_K, codes);
}

void ql_bv_tq2_0_scales(const void *block, float *d, float *dmin, float *sub_d, float *sub_m)
{
	*d = h2f(((const ql_block_tq2_0 *)block)->d);
}

void ql_bv_mxfp4_codes(const void *block, uint8_t *codes)
{
	nibbles_32(((const ql_block_mxfp4 *)block)->qs, codes);
}

void ql_bv_mxfp4_scales(const void *block, float *d, float *dmin, float *sub_d, float *sub_m)
{
	*d = 2.0f * ql_e8m0_to_f32_half(((const ql_block_mxfp4 *)block)->e);
}

void ql_bv_nvfp4_codes(const void *block, uint8_t *codes)
{
	const ql_block_nvfp4 *b = block;
	for (int s = 0; s < 4; s++)
		for (int j = 0; j < 8; j++) {
			codes[16 * s + j] = b->qs[8 * s + j] & 0xF;
			codes[16 * s + 8 + j] = b->qs[8 * s + j] >> 4;
		}
}

void ql_bv_nvfp4_scales(const void *block, float *d, float *dmin, float *sub_d, float *sub_m)
{
	const ql_block_nvfp4 *b = block;
	*d = 1.0f;
	for (int s = 0; s < 4; s++) {
		sub_d[s] = 2.0f * ql_ue4m3_to_f32_half(b->d[s]);
		sub_m[s] = 0.0f;
	}
}
