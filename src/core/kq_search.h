/* kq_search.h — the scale searches of ggml's k-quant reference quantizers
 * (kq_search.c), shared by kquants.c. Each follows its ggml namesake
 * operation for operation, float32 throughout. */
#ifndef QLENS_CORE_KQ_SEARCH_H
#define QLENS_CORE_KQ_SEARCH_H

#include <stdbool.h>
#include <stdint.h>

/* Below this absmax ggml takes a group to be all zero. */
#define QL_GROUP_MAX_EPS 1e-15f

/* Symmetric codes in [-nmax, nmax - 1] (stored + nmax in L) and the scale
 * that minimises the squared error weighted by x^2 (ggml's make_qx_quants
 * with rmse_type 1 and no importance weights): 19 trial scales around
 * -nmax / max. Returns the scale (0 for an all-zero group). */
float ql_kq_make_qx(int n, int nmax, const float *x, int8_t *L);

/* ggml's make_q3_quants(do_rmse = true): codes in [-nmax, nmax - 1]
 * (stored + nmax), refined one code at a time, up to 5 passes. */
float ql_kq_make_q3(int n, int nmax, const float *x, int8_t *L);

/* ggml's make_qkx2_quants: asymmetric codes in [0, nmax] with a scale and a
 * min (min <= 0, returned negated in *the_min), searching nstep + 1 trial
 * scales (nmax + rmin + rdelta * is) / (max - min) by weighted least
 * squares; use_mad weights |error| instead of error^2. Laux is scratch. */
float ql_kq_make_qkx2(int n, int nmax, const float *x, const float *weights, uint8_t *L,
		      float *the_min, uint8_t *Laux, float rmin, float rdelta, int nstep,
		      bool use_mad);

#endif
