/* mx.c — OCP Microscaling (MX v1.0) block formats: MXFP8 (e4m3), MXFP4
 * (e2m1) and MXINT8, blocks of 32 values sharing one e8m0 scale.
 *
 * Per block, as in the spec's conversion (section 6.3) and its reference
 * code (microsoft/microxcaling, mx/mx_ops.py _quantize_mx):
 *   shared_exp = floor(log2(absmax)) - emax_elem     (absmax 0: as if it
 *                                                     were 2^-126, FLT_MIN)
 *   shared_exp clamped to [-127, 127]; the scale is 2^shared_exp, stored as
 *   the e8m0 code shared_exp + 127;
 *   each element x / 2^shared_exp is rounded to the element grid, to
 *   nearest, ties to even, subnormals kept, and saturated to ±max_elem.
 * floor(log2(absmax)) is computed as the reference computes it, with
 * float32 log2 (log2f) then floor: for an absmax a hair below a power of
 * two the float32 logarithm rounds up to the integer, and so does the
 * exponent (the element then lands on the top of its grid, not above it).
 *
 * Element formats: e4m3 (bias 7, max 448, emax 8), e2m1 (bias 1, max 6,
 * emax 2), int8 (two's complement k meaning k / 64, saturated to ±127/64,
 * emax 0). Ties: the reference code's default "nearest" rounds ties away
 * from zero; qlens uses ties-to-even as the spec and the issue ask (its
 * round="even" mode). The two differ only on exact ties.
 */
#include "qlens/quant.h"

#include <float.h>
#include <math.h>
#include <string.h>

typedef struct mx_elem {
	int exp_bits;  /* 0 for int8 */
	int man_bits;  /* fraction bits (int8: 6, the point position) */
	int bias;
	int emax;      /* exponent of the largest normal */
	float max;     /* largest finite magnitude */
	int bits;      /* code width */
} mx_elem;

static const mx_elem mx_e4m3 = {4, 3, 7, 8, 448.0f, 8};
static const mx_elem mx_e2m1 = {2, 1, 1, 2, 6.0f, 4};
static const mx_elem mx_int8 = {0, 6, 0, 0, 127.0f / 64.0f, 8};

static const mx_elem *mx_elem_of(ql_qdtype t)
{
	switch (t) {
	case QL_Q_MXFP8: return &mx_e4m3;
	case QL_Q_MXFP4: return &mx_e2m1;
	default: return &mx_int8;
	}
}

float ql_e8m0_to_f32(uint8_t e)
{
	if (e == 0xff)
		return NAN;
	return ldexpf(1.0f, (int)e - 127);
}

/* Rounds v (already divided by the block scale) to the element grid; returns
 * the code and sets *sat if the clamp to ±max changed the rounded value. */
static uint8_t mx_encode_elem(const mx_elem *f, float v, int *sat)
{
	if (f->exp_bits == 0) {
		float r = rintf(v * 64.0f);
		if (r > 127.0f) {
			r = 127.0f;
			(*sat)++;
		} else if (r < -127.0f) {
			r = -127.0f;
			(*sat)++;
		}
		return (uint8_t)(int8_t)r;
	}

	unsigned sign = signbit(v) ? 1u : 0u;
	float a = fabsf(v);
	uint8_t sbit = (uint8_t)(sign << (f->bits - 1));
	if (a == 0.0f)
		return sbit;

	const int emin = 1 - f->bias; /* exponent of the smallest normal */
	int e;
	frexpf(a, &e);
	e -= 1; /* a in [2^e, 2^(e+1)) */
	if (e < emin)
		e = emin;
	/* Steps of 2^(e - man_bits): scaling by a power of two is exact. */
	float q = ldexpf(rintf(ldexpf(a, f->man_bits - e)), e - f->man_bits);
	if (q > f->max) {
		q = f->max;
		(*sat)++;
	}
	if (q == 0.0f)
		return sbit;

	int qe;
	float m = frexpf(q, &qe); /* q = m × 2^qe, m in [0.5, 1) */
	qe -= 1;
	unsigned expf_, man;
	if (qe < emin) { /* subnormal: q = man × 2^(emin - man_bits) */
		expf_ = 0;
		man = (unsigned)ldexpf(q, f->man_bits - emin);
	} else {
		expf_ = (unsigned)(qe + f->bias);
		man = (unsigned)ldexpf(m * 2.0f - 1.0f, f->man_bits);
	}
	return (uint8_t)(sbit | expf_ << f->man_bits | man);
}

static float mx_decode_elem(const mx_elem *f, uint8_t code)
{
	if (f->exp_bits == 0)
		return (float)(int8_t)code / 64.0f;
	unsigned sign = (code >> (f->bits - 1)) & 1;
	unsigned e = (code >> f->man_bits) & ((1u << f->exp_bits) - 1);
	unsigned m = code & ((1u << f->man_bits) - 1);
	float v;
	if (e == 0)
		v = ldexpf((float)m, 1 - f->bias - f->man_bits);
	else
		v = ldexpf((float)(m | 1u << f->man_bits), (int)e - f->bias - f->man_bits);
	/* e4m3 S.1111.111 is NaN; MX never produces it (saturation). */
	if (f->exp_bits == 4 && e == 15 && m == 7)
		v = NAN;
	return sign ? -v : v;
}

float ql_mx_elem_value(ql_qdtype t, uint8_t code)
{
	return mx_decode_elem(mx_elem_of(t), code);
}

int64_t ql_mx_quantize(ql_qdtype t, const float *x, int64_t n, uint8_t *codes, uint8_t *e8m0)
{
	const mx_elem *f = mx_elem_of(t);
	int64_t saturated = 0;

	for (int64_t b = 0; b * QL_MX_BLOCK < n; b++) {
		int64_t start = b * QL_MX_BLOCK;
		int64_t len = n - start < QL_MX_BLOCK ? n - start : QL_MX_BLOCK;
		float amax = 0.0f;
		for (int64_t j = 0; j < len; j++)
			amax = fmaxf(amax, fabsf(x[start + j]));

		/* An all-zero block: the reference takes log2 of the smallest
		 * normal float instead of 0 (shared exp -126 - emax, clamped). */
		int se = (int)floorf(log2f(amax > 0.0f ? amax : FLT_MIN)) - f->emax;
		if (se < -127)
			se = -127;
		if (se > 127)
			se = 127;
		e8m0[b] = (uint8_t)(se + 127);

		/* x / 2^se, as the reference divides by 2**shared_exp in float32;
		 * for se = -127 the divisor is a subnormal float, still exact. */
		const float div = ldexpf(1.0f, se);
		int sat = 0;
		for (int64_t j = 0; j < len; j++)
			codes[start + j] = mx_encode_elem(f, x[start + j] / div, &sat);
		saturated += sat;
	}
	return saturated;
}

void ql_mx_dequantize(ql_qdtype t, const uint8_t *codes, const uint8_t *e8m0, int64_t n, float *y)
{
	const mx_elem *f = mx_elem_of(t);
	float lut[256];
	for (int c = 0; c < (1 << f->bits); c++)
		lut[c] = mx_decode_elem(f, (uint8_t)c);

	const unsigned mask = (1u << f->bits) - 1;
	for (int64_t b = 0; b * QL_MX_BLOCK < n; b++) {
		int64_t start = b * QL_MX_BLOCK;
		int64_t len = n - start < QL_MX_BLOCK ? n - start : QL_MX_BLOCK;
		const float scale = ql_e8m0_to_f32(e8m0[b]);
		for (int64_t j = 0; j < len; j++)
			y[start + j] = lut[codes[start + j] & mask] * scale;
	}
}
