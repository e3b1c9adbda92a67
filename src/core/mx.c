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
 *
 * Two versions: ql_mx_quantize_ref is the code above, step by step with
 * libm (frexpf, ldexpf, rintf, log2f per value); ql_mx_quantize is the one
 * the program runs: floor(log2f(absmax)) from the exponent bits and a table
 * of where log2f rounds up to the next integer (made once, from log2f
 * itself), the division as a multiplication by 2^-shared_exp (the same
 * single rounding), and the branch-free element encoders of elem.h.
 * tests/test_fastpath.c checks that both give the same bytes.
 */
#include "qlens/mx.h"

#include <float.h>
#include <math.h>
#include <pthread.h>
#include <string.h>

#include "elem.h"
#include "simd.h"
#include "deq_avx2.h"

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

/* ---- Tables ------------------------------------------------------------------ */

static elem_tables tables;
/* mx_log2_up[e]: the smallest float32 bit pattern of binade e (exponent
 * field e, 1..254) whose float32 log2f rounds up to the next integer
 * (floor(log2f(a)) = e - 126 instead of e - 127), or the first pattern of
 * binade e + 1 if none does. */
static uint32_t mx_log2_up[256];
static pthread_once_t tables_once = PTHREAD_ONCE_INIT;

static int floor_log2f(float a)
{
	if (!(a <= FLT_MAX)) /* inf, NaN: not for MX, but no undefined cast */
		return 128;
	return (int)floorf(log2f(a));
}

static void tables_init(void)
{
	for (int c = 0; c < 256; c++) {
		tables.e4m3[c] = (float)ql_decode(QL_FP8_E4M3, (uint64_t)c);
		tables.e5m2[c] = (float)ql_decode(QL_FP8_E5M2, (uint64_t)c);
		tables.mx_e4m3[c] = mx_decode_elem(&mx_e4m3, (uint8_t)c);
		tables.mx_int8[c] = mx_decode_elem(&mx_int8, (uint8_t)c);
		if (c < 16)
			tables.mx_e2m1[c] = mx_decode_elem(&mx_e2m1, (uint8_t)c);
	}
	/* log2f is monotonic, so within a binade the patterns that round up form
	 * a tail; find where it starts by bisection. */
	for (uint32_t e = 1; e < 255; e++) {
		uint32_t lo = e << 23, hi = (e + 1) << 23; /* answer in [lo, hi] */
		while (lo < hi) {
			uint32_t mid = lo + (hi - lo) / 2;
			if (floor_log2f(elem_float(mid)) > (int)e - 127)
				hi = mid;
			else
				lo = mid + 1;
		}
		mx_log2_up[e] = lo;
	}
}

const elem_tables *ql_elem_tables(void)
{
	pthread_once(&tables_once, tables_init);
	return &tables;
}

/* floor(log2f(a)) of a finite a > 0, as the reference computes it. */
static int mx_floor_log2(float a)
{
	uint32_t u = elem_bits(a), e = u >> 23;
	if (e == 0) /* subnormal: rare, so the library call */
		return floor_log2f(a);
	return (int)e - 127 + (u >= mx_log2_up[e]);
}

/* The shared exponent of a block of absmax amax (amax 0: as FLT_MIN). */
static int mx_shared_exp(const mx_elem *f, float amax, bool ref)
{
	float a = amax > 0.0f ? amax : FLT_MIN;
	int se = (ref ? floor_log2f(a) : mx_floor_log2(a)) - f->emax;
	return se < -127 ? -127 : se > 127 ? 127 : se;
}

int ql_mx_shared_exp(ql_qdtype t, float amax)
{
	ql_elem_tables();
	return mx_shared_exp(mx_elem_of(t), amax, false);
}

const uint32_t *ql_mx_log2_up(void)
{
	ql_elem_tables();
	return mx_log2_up;
}

/* 2^k for k in [-127, 127], exactly (2^-127 is a float32 subnormal). */
static float pow2f(int k)
{
	return k > -127 ? elem_float((uint32_t)(k + 127) << 23) : elem_float(0x00400000u);
}

float ql_e8m0_to_f32(uint8_t e)
{
	if (e == 0xff)
		return NAN;
	return pow2f((int)e - 127);
}

/* ---- Quantize ------------------------------------------------------------------ */

int64_t ql_mx_quantize_ref(ql_qdtype t, const float *x, int64_t n, uint8_t *codes, uint8_t *e8m0)
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
		int se = mx_shared_exp(f, amax, true);
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

/* One block of the fast path: x / 2^se is x * 2^-se (both exact powers of
 * two, so the one rounding is the same), then the element encoders of
 * elem.h. MXINT8: |x / 2^se| < 2 for finite x (se >= floor(log2 absmax)),
 * so x * 64 / 2^se is below 128 in magnitude and adding 1.5 * 2^23 rounds it
 * to an integer (ties to even, like rintf) that the low bits then hold. */
#define MX_RNE_MAGIC 12582912.0f /* 1.5 * 2^23 */
#define MX_RNE_MAGIC_BITS 0x4b400000u

static inline __attribute__((always_inline)) int mx_block_fp8(const float *restrict x, uint8_t *restrict c, float inv)
{
	int sat = 0;
	for (int j = 0; j < QL_MX_BLOCK; j++) {
		float v = x[j] * inv;
		c[j] = elem_e4m3_sat(v);
		sat += elem_saturates(v, ELEM_E4M3_SAT_FIRST);
	}
	return sat;
}

static inline __attribute__((always_inline)) int mx_block_fp4(const float *restrict x, uint8_t *restrict c, float inv)
{
	int sat = 0;
	for (int j = 0; j < QL_MX_BLOCK; j++) {
		float v = x[j] * inv;
		c[j] = elem_e2m1_sat(v);
		sat += elem_saturates(v, ELEM_E2M1_SAT_FIRST);
	}
	return sat;
}

static inline __attribute__((always_inline)) int mx_block_int8(const float *restrict x, uint8_t *restrict c, float inv)
{
	int sat = 0;
	for (int j = 0; j < QL_MX_BLOCK; j++) {
		float v = x[j] * inv;
		/* (no clamps on v: GCC would split the loop at them and not
		 * vectorise it; none is needed for finite x, see above) */
		int k = (int)(elem_bits(v * 64.0f + MX_RNE_MAGIC) - MX_RNE_MAGIC_BITS);
		sat += (k > 127) | (k < -127);
		k = k < 127 ? k : 127;
		k = k > -127 ? k : -127;
		c[j] = (uint8_t)k;
	}
	return sat;
}

QL_SIMD_CLONES
int64_t ql_mx_quantize(ql_qdtype t, const float *x, int64_t n, uint8_t *codes, uint8_t *e8m0)
{
	const mx_elem *f = mx_elem_of(t);
	int64_t saturated = 0;
	ql_elem_tables();

	for (int64_t b = 0; b * QL_MX_BLOCK < n; b++) {
		int64_t start = b * QL_MX_BLOCK;
		int64_t len = n - start < QL_MX_BLOCK ? n - start : QL_MX_BLOCK;
		/* A short last block goes through a zero-padded copy. */
		float pad[QL_MX_BLOCK] = {0};
		uint8_t out[QL_MX_BLOCK];
		const float *xb = x + start;
		if (len < QL_MX_BLOCK) {
			memcpy(pad, xb, (size_t)len * sizeof *pad);
			xb = pad;
		}
		/* absmax on the bit patterns (finite values order as integers) */
		uint32_t amax_bits = 0;
		for (int j = 0; j < QL_MX_BLOCK; j++) {
			uint32_t a = elem_bits(xb[j]) & 0x7fffffffu;
			amax_bits = a > amax_bits ? a : amax_bits;
		}
		int se = mx_shared_exp(f, elem_float(amax_bits), false);
		e8m0[b] = (uint8_t)(se + 127);
		const float inv = pow2f(-se);
		uint8_t *c = len < QL_MX_BLOCK ? out : codes + start;
		int sat = t == QL_Q_MXFP8 ? mx_block_fp8(xb, c, inv)
			: t == QL_Q_MXFP4 ? mx_block_fp4(xb, c, inv)
					  : mx_block_int8(xb, c, inv);
		if (len < QL_MX_BLOCK)
			memcpy(codes + start, out, (size_t)len);
		saturated += sat;
	}
	return saturated;
}

void ql_mx_dequantize(ql_qdtype t, const uint8_t *codes, const uint8_t *e8m0, int64_t n, float *y)
{
#if QL_HAVE_AVX2_KERNELS
	if (ql_deq_avx2_active()) {
		ql_mx_dequantize_avx2(t, codes, e8m0, n, y);
		return;
	}
#endif
	const elem_tables *tb = ql_elem_tables();
	const float *lut = t == QL_Q_MXFP8 ? tb->mx_e4m3 : t == QL_Q_MXFP4 ? tb->mx_e2m1
									 : tb->mx_int8;
	const unsigned mask = t == QL_Q_MXFP4 ? 0x0f : 0xff;
	for (int64_t b = 0; b * QL_MX_BLOCK < n; b++) {
		int64_t start = b * QL_MX_BLOCK;
		int64_t len = n - start < QL_MX_BLOCK ? n - start : QL_MX_BLOCK;
		const float scale = ql_e8m0_to_f32(e8m0[b]);
		for (int64_t j = 0; j < len; j++) {
			/* An element that is NaN (e4m3 S.1111.111) stays that NaN,
			 * its sign kept, also under a NaN scale (e8m0 0xFF): x86
			 * returns whichever NaN operand came first, and which that is
			 * would be up to the compiler. */
			const float v = lut[codes[start + j] & mask];
			y[start + j] = v != v ? v : v * scale;
		}
	}
}
