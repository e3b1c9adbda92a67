/* kq_fast.h — faster versions of the k-quant and IQ4 scale searches
 * (kq_fast.c) that give the reference's results bit for bit: see there. */
#ifndef QLENS_CORE_KQ_FAST_H
#define QLENS_CORE_KQ_FAST_H

#include <stdbool.h>
#include <stdint.h>

/* ql_kq_make_qkx2 for groups of 32 (Q4_K, Q5_K) and of 16 (Q2_K). */
float ql_kq_make_qkx2_32(int nmax, const float *x, const float *weights, uint8_t *L,
			 float *the_min, float rmin, float rdelta, int nstep);
float ql_kq_make_qkx2_16_mad(int nmax, const float *x, const float *weights, uint8_t *L,
			     float *the_min, float rmin, float rdelta, int nstep);
/* ql_kq_make_qx for groups of 16 (Q6_K). */
float ql_kq_make_qx_16(int nmax, const float *x, int8_t *L);

/* IQ4: for 32 values xb with weights w, the level index of each id * xb[j]
 * (into Lb, unless NULL) and the sums sumqx = sum w*q*x, sumq2 = sum w*q*q
 * in index order; the same as iq4.c's scalar loop. */
void ql_iq4_codes_sums_32(const float *xb, const float *w, float id, uint8_t *Lb,
			  float *sumqx, float *sumq2);
/* Level indices of s * x[j] for 32 values. */
void ql_iq4_codes_32(const float *x, float s, uint8_t *L);

#endif
