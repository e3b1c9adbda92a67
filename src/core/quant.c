/* quant.c — schemes, the affine and scaled-float kernels, and ql_quantize()
 * (see qlens/quant.h for the contract).
 *
 * ql_quantize() works in four steps over "units" (whatever owns one scale:
 * the whole tensor, a channel, a group, a block):
 *   1. scan:      per unit min and max, and a count of non-finite values
 *                 (any NaN/inf fails the call here, before anything else);
 *   2. calibrate: per unit clipping range -> scale and zero point;
 *   3. quantize:  codes, raw blocks, dequantized values and the error sums,
 *                 in one pass, tile by tile so the dequantized tile is still
 *                 in cache when the metrics read it;
 *   4. merge:     the per-job error sums, in job order.
 * Steps 1 to 3 are split into jobs of roughly JOB_ELEMS elements that
 * threads take in turn. Jobs never share outputs, and their sums are merged
 * in a fixed order, so results are the same with any number of threads.
 *
 * The affine kernels are written so that GCC vectorises them at -O2 (no
 * calls, no branches in the loop): round-half-even is done with the
 * 1.5·2^23 trick on a value first clamped to a range of a few hundred, which
 * is exact and is the same as rintf there. On CPUs with AVX2 the public
 * int8/uint8 kernels run the intrinsics of quant_avx2.c instead; the C here
 * stays the reference they equal bit for bit (tests/test_simd.c).
 */
#include "qlens/quant.h"

#include <float.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <unistd.h>

#include "qlens/checked.h"

#include "elem.h"
#include "quant_avx2.h"
#include "simd.h"

/* ---- The table of targets --------------------------------------------------- */

const ql_qdtype_info ql_qdtypes[QL_Q_COUNT] = {
	[QL_Q_INT8] = {.name = "int8", .kind = QL_QK_INT, .bits = 8, .is_signed = true, .elem = QL_INT8},
	[QL_Q_UINT8] = {.name = "uint8", .kind = QL_QK_INT, .bits = 8, .elem = QL_UINT8},
	[QL_Q_INT4] = {.name = "int4", .kind = QL_QK_INT, .bits = 4, .is_signed = true, .elem = QL_INT4},
	[QL_Q_UINT4] = {.name = "uint4", .kind = QL_QK_INT, .bits = 4, .elem = QL_UINT4},
	[QL_Q_INT2] = {.name = "int2", .kind = QL_QK_INT, .bits = 2, .is_signed = true, .elem = QL_INT2},
	[QL_Q_UINT2] = {.name = "uint2", .kind = QL_QK_INT, .bits = 2, .elem = QL_UINT2},
	[QL_Q_FP8_E4M3] = {.name = "fp8_e4m3", .kind = QL_QK_FLOAT, .bits = 8, .elem = QL_FP8_E4M3},
	[QL_Q_FP8_E5M2] = {.name = "fp8_e5m2", .kind = QL_QK_FLOAT, .bits = 8, .elem = QL_FP8_E5M2},
	[QL_Q_MXFP8] = {.name = "mxfp8", .kind = QL_QK_MX, .bits = 8, .elem = QL_FP8_E4M3,
			.block = QL_MX_BLOCK, .block_bytes = 1 + QL_MX_BLOCK},
	[QL_Q_MXFP4] = {.name = "mxfp4", .kind = QL_QK_MX, .bits = 4, .elem = QL_FP4_E2M1,
			.block = QL_MX_BLOCK, .block_bytes = 1 + QL_MX_BLOCK / 2},
	[QL_Q_MXINT8] = {.name = "mxint8", .kind = QL_QK_MX, .bits = 8, .is_signed = true,
			 .elem = QL_INT8, .block = QL_MX_BLOCK, .block_bytes = 1 + QL_MX_BLOCK},
	[QL_Q_NF4] = {.name = "nf4", .kind = QL_QK_NF4, .bits = 4, .elem = QL_NF4,
		      .block = QL_NF4_BLOCK},
	[QL_Q_Q8_0] = {.name = "q8_0", .kind = QL_QK_GGML, .bits = 8, .is_signed = true,
		       .elem = QL_INT8, .block = QL_QK8_0, .block_bytes = sizeof(ql_block_q8_0)},
	[QL_Q_Q4_0] = {.name = "q4_0", .kind = QL_QK_GGML, .bits = 4, .elem = QL_UINT4,
		       .block = QL_QK4_0, .block_bytes = sizeof(ql_block_q4_0)},
};

static const char *const calib_names[QL_CALIB_COUNT] = {
	[QL_CALIB_MINMAX] = "minmax",
	[QL_CALIB_PERCENTILE] = "percentile",
	[QL_CALIB_MSE] = "mse",
	[QL_CALIB_ENTROPY] = "entropy",
};

const char *ql_qdtype_name(ql_qdtype t)
{
	return (unsigned)t < QL_Q_COUNT ? ql_qdtypes[t].name : "?";
}

const char *ql_calib_name(ql_calib c)
{
	return (unsigned)c < QL_CALIB_COUNT ? calib_names[c] : "?";
}

/* min and max without a libm call (fminf/fmaxf are calls at -O2 on x86-64);
 * with a NaN first argument they return the second, like fminf/fmaxf. */
static inline float minf(float a, float b)
{
	return a < b ? a : b;
}

static inline float maxf(float a, float b)
{
	return a > b ? a : b;
}

/* ---- Schemes ------------------------------------------------------------------ */

void ql_scheme_init(ql_scheme *s)
{
	memset(s, 0, sizeof *s);
	s->dtype = QL_Q_INT8;
	s->sym = QL_SYM_DEFAULT;
	s->gran = QL_GRAN_TENSOR;
	s->calib = QL_CALIB_MINMAX;
	s->percentile = 99.9;
	s->group = 32;
}

static const struct {
	const char *alias;
	ql_qdtype t;
} dtype_aliases[] = {
	{"e4m3", QL_Q_FP8_E4M3}, {"float8_e4m3fn", QL_Q_FP8_E4M3}, {"fp8", QL_Q_FP8_E4M3},
	{"e5m2", QL_Q_FP8_E5M2}, {"float8_e5m2", QL_Q_FP8_E5M2},
	{"qint8", QL_Q_INT8},    {"quint8", QL_Q_UINT8},
};

int ql_scheme_parse_dtype(const char *word, ql_qdtype *out, ql_error *err)
{
	for (int t = 0; t < QL_Q_COUNT; t++) {
		if (!strcasecmp(word, ql_qdtypes[t].name)) {
			*out = (ql_qdtype)t;
			return 0;
		}
	}
	for (size_t i = 0; i < sizeof dtype_aliases / sizeof dtype_aliases[0]; i++) {
		if (!strcasecmp(word, dtype_aliases[i].alias)) {
			*out = dtype_aliases[i].t;
			return 0;
		}
	}
	char list[256] = "";
	for (int t = 0; t < QL_Q_COUNT; t++) {
		strncat(list, ql_qdtypes[t].name, sizeof list - strlen(list) - 1);
		if (t + 1 < QL_Q_COUNT)
			strncat(list, ", ", sizeof list - strlen(list) - 1);
	}
	return ql_error_set(err, "unknown quantization dtype '%s' (one of: %s)", word, list);
}

int ql_scheme_parse_calib(const char *word, ql_scheme *s, ql_error *err)
{
	if (!strcasecmp(word, "minmax")) {
		s->calib = QL_CALIB_MINMAX;
		return 0;
	}
	if (!strcasecmp(word, "mse")) {
		s->calib = QL_CALIB_MSE;
		return 0;
	}
	if (!strcasecmp(word, "entropy") || !strcasecmp(word, "kl")) {
		s->calib = QL_CALIB_ENTROPY;
		return 0;
	}
	if (!strncasecmp(word, "percentile", 10) && (word[10] == '\0' || word[10] == ':')) {
		double p = 99.9;
		if (word[10] == ':') {
			char *end;
			p = strtod(word + 11, &end);
			if (end == word + 11 || *end != '\0' || !isfinite(p))
				return ql_error_set(err, "'%s': the percentile must be a number, "
							 "as in percentile:99.9", word);
		}
		if (!(p >= 50.0 && p <= 100.0))
			return ql_error_set(err, "'%s': the percentile must be between 50 and 100", word);
		s->calib = QL_CALIB_PERCENTILE;
		s->percentile = p;
		return 0;
	}
	return ql_error_set(err, "unknown calibration '%s' (one of: minmax, percentile:P, mse, "
				 "entropy)", word);
}

ql_symmetry ql_scheme_symmetry(const ql_scheme *s)
{
	const ql_qdtype_info *info = &ql_qdtypes[s->dtype];
	if (info->kind != QL_QK_INT)
		return QL_SYM;
	if (s->sym != QL_SYM_DEFAULT)
		return s->sym;
	if (s->has_zero_point)
		return QL_ASYM;
	return info->is_signed ? QL_SYM : QL_ASYM;
}

void ql_scheme_qrange(const ql_scheme *s, int32_t *qmin, int32_t *qmax)
{
	const ql_qdtype_info *info = &ql_qdtypes[s->dtype];
	int b = info->bits;
	switch (info->kind) {
	case QL_QK_INT: {
		int32_t half = 1 << (b - 1);
		if (ql_scheme_symmetry(s) == QL_SYM) {
			int32_t mid = info->is_signed ? 0 : half;
			*qmin = mid - (half - 1);
			*qmax = mid + (half - 1);
		} else if (info->is_signed) {
			*qmin = -half;
			*qmax = half - 1;
		} else {
			*qmin = 0;
			*qmax = 2 * half - 1;
		}
		return;
	}
	case QL_QK_GGML:
		*qmin = s->dtype == QL_Q_Q8_0 ? -128 : 0;
		*qmax = s->dtype == QL_Q_Q8_0 ? 127 : 15;
		return;
	case QL_QK_MX:
		if (s->dtype == QL_Q_MXINT8) {
			*qmin = -127;
			*qmax = 127;
			return;
		}
		*qmin = 0;
		*qmax = (1 << b) - 1;
		return;
	case QL_QK_FLOAT:
	case QL_QK_NF4:
		*qmin = 0;
		*qmax = (1 << b) - 1;
		return;
	}
}

/* The largest finite value of a scaled float target. */
static float float_target_max(ql_qdtype t)
{
	return t == QL_Q_FP8_E5M2 ? 57344.0f : 448.0f;
}

int ql_scheme_validate(const ql_scheme *s, const int64_t *shape, int ndim, ql_error *err)
{
	if ((unsigned)s->dtype >= QL_Q_COUNT)
		return ql_error_set(err, "unknown quantization dtype");
	const ql_qdtype_info *info = &ql_qdtypes[s->dtype];
	const char *name = info->name;
	bool blocky = info->kind == QL_QK_MX || info->kind == QL_QK_NF4 || info->kind == QL_QK_GGML;

	if ((unsigned)s->calib >= QL_CALIB_COUNT)
		return ql_error_set(err, "unknown calibration method");
	if (s->gran == QL_GRAN_GROUP && (s->group < 1 || s->group > QL_MAX_GROUP))
		return ql_error_set(err, "--group must be at least 1 and at most %lld (got %lld)",
				    (long long)QL_MAX_GROUP, (long long)s->group);
	if (blocky && (s->gran == QL_GRAN_CHANNEL || s->gran == QL_GRAN_GROUP))
		return ql_error_set(err, "%s has its own blocks of %d: --axis and --group do not apply",
				    name, info->block);
	if (info->kind != QL_QK_INT && s->sym == QL_ASYM)
		return ql_error_set(err, "%s is symmetric only: --asym applies to integer targets", name);
	if (blocky && s->calib != QL_CALIB_MINMAX)
		return ql_error_set(err, "%s takes no calibration: each block's scale comes from its "
					 "absmax", name);
	if (info->kind == QL_QK_FLOAT &&
	    (s->calib == QL_CALIB_MSE || s->calib == QL_CALIB_ENTROPY))
		return ql_error_set(err, "--calib %s is for integer targets (%s takes minmax or "
					 "percentile)", calib_names[s->calib], name);
	if (s->calib == QL_CALIB_PERCENTILE && !(s->percentile >= 50.0 && s->percentile <= 100.0))
		return ql_error_set(err, "the percentile must be between 50 and 100 (got %g)",
				    s->percentile);
	if (s->has_scale) {
		if (blocky)
			return ql_error_set(err, "--scale does not apply to %s: its scales come from "
						 "its blocks", name);
		if (s->gran != QL_GRAN_TENSOR)
			return ql_error_set(err, "--scale gives one scale for the whole tensor: it "
						 "cannot be combined with --axis or --group");
		if (!isfinite(s->scale) || !(s->scale > 0.0f))
			return ql_error_set(err, "--scale must be a positive finite number (got %g)",
					    (double)s->scale);
		if (1.0f / s->scale > FLT_MAX)
			return ql_error_set(err, "--scale %g is too small: its inverse overflows "
						 "float32", (double)s->scale);
	}
	if (s->has_zero_point) {
		if (info->kind != QL_QK_INT)
			return ql_error_set(err, "--zero-point applies to integer targets, not %s", name);
		if (!s->has_scale)
			return ql_error_set(err, "--zero-point needs --scale");
		if (ql_scheme_symmetry(s) != QL_ASYM)
			return ql_error_set(err, "--zero-point needs an asymmetric scheme (--asym)");
		int32_t qmin, qmax;
		ql_scheme_qrange(s, &qmin, &qmax);
		if (s->zero_point < qmin || s->zero_point > qmax)
			return ql_error_set(err, "--zero-point %ld is outside the code range [%ld, %ld] "
						 "of %s", (long)s->zero_point, (long)qmin, (long)qmax,
					    name);
	}
	if (!shape)
		return 0;

	if (ndim < 0 || ndim > QL_MAX_DIMS)
		return ql_error_set(err, "a tensor of %d dimensions (at most %d)", ndim, QL_MAX_DIMS);
	if (ql_shape_elems(shape, ndim) < 0)
		return ql_error_set(err, "bad tensor shape (negative or too large)");
	if (s->gran == QL_GRAN_CHANNEL) {
		if (ndim == 0)
			return ql_error_set(err, "--axis %d: a scalar has no axes", s->axis);
		if (s->axis < -ndim || s->axis >= ndim)
			return ql_error_set(err, "--axis %d is out of range for a %d-d tensor (axes 0..%d "
						 "or -%d..-1)", s->axis, ndim, ndim - 1, ndim);
	}
	if (info->kind == QL_QK_GGML) {
		int64_t last = ndim ? shape[ndim - 1] : 1;
		if (last % info->block)
			return ql_error_set(err, "%s needs the last axis to be a multiple of %d (it is "
						 "%lld)", name, info->block, (long long)last);
	}
	return 0;
}

int ql_scheme_describe(const ql_scheme *s, char *buf, size_t n)
{
	const ql_qdtype_info *info = &ql_qdtypes[s->dtype];
	switch (info->kind) {
	case QL_QK_MX:
	case QL_QK_NF4:
	case QL_QK_GGML:
		return snprintf(buf, n, "%s blocks of %d", info->name, info->block);
	default:
		break;
	}
	char gran[64], calib[48];
	if (s->gran == QL_GRAN_CHANNEL)
		snprintf(gran, sizeof gran, "per-channel axis %d", s->axis);
	else if (s->gran == QL_GRAN_GROUP)
		snprintf(gran, sizeof gran, "per-group %lld", (long long)s->group);
	else
		snprintf(gran, sizeof gran, "per-tensor");
	if (s->has_scale && s->has_zero_point)
		snprintf(calib, sizeof calib, "scale %g zero-point %ld", (double)s->scale,
			 (long)s->zero_point);
	else if (s->has_scale)
		snprintf(calib, sizeof calib, "scale %g", (double)s->scale);
	else if (s->calib == QL_CALIB_PERCENTILE)
		snprintf(calib, sizeof calib, "percentile:%g", s->percentile);
	else
		snprintf(calib, sizeof calib, "%s", ql_calib_name(s->calib));
	if (info->kind == QL_QK_FLOAT)
		return snprintf(buf, n, "%s %s %s", info->name, gran, calib);
	return snprintf(buf, n, "%s %s %s %s", info->name,
			ql_scheme_symmetry(s) == QL_SYM ? "sym" : "asym", gran, calib);
}

/* ---- Affine kernels ------------------------------------------------------------- */

void ql_qparams_from_range(float lo, float hi, int32_t qmin, int32_t qmax, bool symmetric,
			   float *scale, int32_t *zero_point)
{
	float lo_neg = minf(lo, 0.0f), hi_pos = maxf(hi, 0.0f);
	float s;
	int32_t zp;
	if (symmetric) {
		float amax = maxf(-lo_neg, hi_pos);
		s = amax / ((float)(qmax - qmin) / 2.0f);
		s = maxf(s, FLT_EPSILON);
		zp = (qmin + qmax) / 2;
	} else {
		s = (hi_pos - lo_neg) / (float)(qmax - qmin);
		s = maxf(s, FLT_EPSILON);
		float z = (float)qmin - rintf(lo_neg / s);
		z = z < (float)qmin ? (float)qmin : z > (float)qmax ? (float)qmax : z;
		zp = (int32_t)z;
	}
	*scale = s;
	*zero_point = zp;
}

#define RNE_MAGIC 12582912.0f /* 1.5 × 2^23: v + M - M rounds v to nearest even */

/* The code of one value; *clip is set to 1 if the clamp changed it. The
 * clamp to [lo, hi] first (which also sends NaN to lo) keeps |v| small,
 * where the magic-number rounding is exact. */
static inline float affine_code(float v, float lo, float hi, float zpf, float qminf, float qmaxf,
				int *clip)
{
	v = v > lo ? v : lo;
	v = v < hi ? v : hi;
	float r = (v + RNE_MAGIC) - RNE_MAGIC;
	float q = zpf + r;
	*clip = (q < qminf) | (q > qmaxf);
	q = q > qminf ? q : qminf;
	q = q < qmaxf ? q : qmaxf;
	return q;
}

/* VB values at a time with a fixed trip count and restrict pointers: that is
 * what lets GCC's -O2 ("very cheap") vectoriser take the loop whole. */
#define VB 16

#define DEFINE_AFFINE_BLOCK(NAME, T)                                                              \
	static inline int NAME(const float *restrict x, T *restrict q, float inv, float lo,       \
			       float hi, float zpf, float qminf, float qmaxf)                     \
	{                                                                                         \
		int clipped = 0;                                                                  \
		for (int j = 0; j < VB; j++) {                                                    \
			int c;                                                                    \
			float v = affine_code(x[j] * inv, lo, hi, zpf, qminf, qmaxf, &c);         \
			clipped += c;                                                             \
			q[j] = (T)(int)v;                                                         \
		}                                                                                 \
		return clipped;                                                                   \
	}

DEFINE_AFFINE_BLOCK(affine_block_s8, int8_t)
DEFINE_AFFINE_BLOCK(affine_block_u8, uint8_t)

#define DEFINE_AFFINE_KERNEL(NAME, BLOCK, T)                                                      \
	QL_SIMD_CLONES int64_t NAME(const float *x, size_t n, float scale, int32_t zp, int32_t qmin,             \
		     int32_t qmax, T *q)                                                           \
	{                                                                                         \
		const float inv = 1.0f / scale;                                                   \
		const float zpf = (float)zp, qminf = (float)qmin, qmaxf = (float)qmax;            \
		const float lo = qminf - zpf - 1.0f, hi = qmaxf - zpf + 1.0f;                     \
		int64_t clipped = 0;                                                              \
		size_t i = 0;                                                                     \
		for (; i + VB <= n; i += VB)                                                      \
			clipped += BLOCK(x + i, q + i, inv, lo, hi, zpf, qminf, qmaxf);           \
		for (; i < n; i++) {                                                              \
			int c;                                                                    \
			float v = affine_code(x[i] * inv, lo, hi, zpf, qminf, qmaxf, &c);         \
			clipped += c;                                                             \
			q[i] = (T)(int)v;                                                         \
		}                                                                                 \
		return clipped;                                                                   \
	}

DEFINE_AFFINE_KERNEL(ql_affine_quantize_s8_c, affine_block_s8, int8_t)
DEFINE_AFFINE_KERNEL(ql_affine_quantize_u8_c, affine_block_u8, uint8_t)

/* The AVX2 kernels (quant_avx2.c) when the CPU has them; else the C above. */
static inline bool use_avx2(int32_t zp)
{
	return QL_HAVE_AVX2_KERNELS && zp >= -QL_AVX2_MAX_ZP && zp <= QL_AVX2_MAX_ZP &&
	       ql_avx2_active();
}

int64_t ql_affine_quantize_s8(const float *x, size_t n, float scale, int32_t zp, int32_t qmin,
			      int32_t qmax, int8_t *q)
{
#if QL_HAVE_AVX2_KERNELS
	if (use_avx2(zp))
		return ql_affine_quantize_s8_avx2(x, n, scale, zp, qmin, qmax, q);
#endif
	return ql_affine_quantize_s8_c(x, n, scale, zp, qmin, qmax, q);
}

int64_t ql_affine_quantize_u8(const float *x, size_t n, float scale, int32_t zp, int32_t qmin,
			      int32_t qmax, uint8_t *q)
{
#if QL_HAVE_AVX2_KERNELS
	if (use_avx2(zp))
		return ql_affine_quantize_u8_avx2(x, n, scale, zp, qmin, qmax, q);
#endif
	return ql_affine_quantize_u8_c(x, n, scale, zp, qmin, qmax, q);
}

#define DEFINE_DEQUANT_KERNEL(NAME, T)                                                            \
	static inline void NAME##_block(const T *restrict q, float *restrict y, float scale,      \
					float zpf)                                                \
	{                                                                                         \
		for (int j = 0; j < VB; j++)                                                      \
			y[j] = ((float)q[j] - zpf) * scale;                                       \
	}                                                                                         \
	QL_SIMD_CLONES void NAME(const T *q, size_t n, float scale, int32_t zp, float *y)         \
	{                                                                                         \
		const float zpf = (float)zp;                                                      \
		size_t i = 0;                                                                     \
		for (; i + VB <= n; i += VB)                                                      \
			NAME##_block(q + i, y + i, scale, zpf);                                   \
		for (; i < n; i++)                                                                \
			y[i] = ((float)q[i] - zpf) * scale;                                       \
	}

/* (q - zp) is a small integer, exact in float32 either way. */
DEFINE_DEQUANT_KERNEL(ql_affine_dequantize_s8, int8_t)
DEFINE_DEQUANT_KERNEL(ql_affine_dequantize_u8, uint8_t)

/* ql_metrics_add's four double lanes, kept across the tiles of a fused call
 * so that the sums come out as one ql_metrics_add(acc, x, y, n) would give
 * (element i into lane i % 4; each tile but the last is a multiple of 4). */
typedef struct metric_lanes {
	double sx2[4], sy2[4], sxy[4], se2[4], sae[4], mae[4];
} metric_lanes;

static void metric_lanes_add(metric_lanes *s, const float *x, const float *y, size_t n)
{
	size_t i = 0;
	for (; i + 4 <= n; i += 4) {
		for (int l = 0; l < 4; l++) {
			double xv = x[i + l], yv = y[i + l];
			double e = yv - xv;
			double ae = fabs(e);
			s->sx2[l] += xv * xv;
			s->sy2[l] += yv * yv;
			s->sxy[l] += xv * yv;
			s->se2[l] += e * e;
			s->sae[l] += ae;
			s->mae[l] = ae > s->mae[l] ? ae : s->mae[l];
		}
	}
	for (int l = 0; i < n; i++, l++) {
		double xv = x[i], yv = y[i];
		double e = yv - xv;
		double ae = fabs(e);
		s->sx2[l] += xv * xv;
		s->sy2[l] += yv * yv;
		s->sxy[l] += xv * yv;
		s->se2[l] += e * e;
		s->sae[l] += ae;
		s->mae[l] = ae > s->mae[l] ? ae : s->mae[l];
	}
}

static void metric_lanes_flush(const metric_lanes *s, size_t n, ql_metrics_acc *acc)
{
	for (int l = 0; l < 4; l++) {
		acc->sum_x2 += s->sx2[l];
		acc->sum_y2 += s->sy2[l];
		acc->sum_xy += s->sxy[l];
		acc->sum_e2 += s->se2[l];
		acc->sum_abs_e += s->sae[l];
		if (s->mae[l] > acc->max_abs_e)
			acc->max_abs_e = s->mae[l];
	}
	acc->n += (int64_t)n;
}

#define QDQ_TILE 256 /* a multiple of 4 */

/* The portable fused kernel: a tile quantized, dequantized (into y, or a
 * tile here) and summed while still in cache. */
#define DEFINE_QDQ_C(NAME, T, QUANT, DEQUANT)                                                     \
	int64_t NAME(const float *x, size_t n, float scale, int32_t zp, int32_t qmin,             \
		     int32_t qmax, T *q, float *y, ql_metrics_acc *acc)                            \
	{                                                                                         \
		metric_lanes s;                                                                   \
		memset(&s, 0, sizeof s);                                                          \
		float tile[QDQ_TILE];                                                             \
		int64_t clipped = 0;                                                              \
		for (size_t t = 0; t < n; t += QDQ_TILE) {                                        \
			size_t w = n - t < QDQ_TILE ? n - t : QDQ_TILE;                           \
			clipped += QUANT(x + t, w, scale, zp, qmin, qmax, q + t);                 \
			if (!y && !acc)                                                           \
				continue;                                                         \
			float *yt = y ? y + t : tile;                                             \
			DEQUANT(q + t, w, scale, zp, yt);                                         \
			if (acc)                                                                  \
				metric_lanes_add(&s, x + t, yt, w);                               \
		}                                                                                 \
		if (acc)                                                                          \
			metric_lanes_flush(&s, n, acc);                                           \
		return clipped;                                                                   \
	}

DEFINE_QDQ_C(ql_affine_qdq_s8_c, int8_t, ql_affine_quantize_s8_c, ql_affine_dequantize_s8)
DEFINE_QDQ_C(ql_affine_qdq_u8_c, uint8_t, ql_affine_quantize_u8_c, ql_affine_dequantize_u8)

int64_t ql_affine_qdq_s8(const float *x, size_t n, float scale, int32_t zp, int32_t qmin,
			 int32_t qmax, int8_t *q, float *y, ql_metrics_acc *acc)
{
#if QL_HAVE_AVX2_KERNELS
	if (use_avx2(zp))
		return ql_affine_qdq_s8_avx2(x, n, scale, zp, qmin, qmax, q, y, acc);
#endif
	return ql_affine_qdq_s8_c(x, n, scale, zp, qmin, qmax, q, y, acc);
}

int64_t ql_affine_qdq_u8(const float *x, size_t n, float scale, int32_t zp, int32_t qmin,
			 int32_t qmax, uint8_t *q, float *y, ql_metrics_acc *acc)
{
#if QL_HAVE_AVX2_KERNELS
	if (use_avx2(zp))
		return ql_affine_qdq_u8_avx2(x, n, scale, zp, qmin, qmax, q, y, acc);
#endif
	return ql_affine_qdq_u8_c(x, n, scale, zp, qmin, qmax, q, y, acc);
}

/* Per-column parameters of the row kernels: 1/scale, zero point and the
 * pre-clamp bounds of each column. */
typedef struct col_params {
	float *inv, *zpf, *lo, *hi;
} col_params;

static void col_params_fill(const col_params *p, const float *scale, const int32_t *zp, size_t n,
			    int32_t qmin, int32_t qmax)
{
	for (size_t j = 0; j < n; j++) {
		float z = zp ? (float)zp[j] : 0.0f;
		p->inv[j] = 1.0f / scale[j];
		p->zpf[j] = z;
		p->lo[j] = (float)qmin - z - 1.0f;
		p->hi[j] = (float)qmax - z + 1.0f;
	}
}

/* One row of w columns with their own parameters. */
#define DEFINE_COLS_SPAN(NAME, T)                                                                 \
	static inline int NAME##_block(const float *restrict x, T *restrict q,                    \
				       const float *restrict inv, const float *restrict zpf,       \
				       const float *restrict lo, const float *restrict hi,         \
				       float qminf, float qmaxf)                                   \
	{                                                                                         \
		int clipped = 0;                                                                  \
		for (int j = 0; j < VB; j++) {                                                    \
			int c;                                                                    \
			float v = affine_code(x[j] * inv[j], lo[j], hi[j], zpf[j], qminf, qmaxf,  \
					      &c);                                                \
			clipped += c;                                                             \
			q[j] = (T)(int)v;                                                         \
		}                                                                                 \
		return clipped;                                                                   \
	}                                                                                         \
	static int64_t NAME(const float *x, size_t w, const col_params *p, size_t c0,             \
			    float qminf, float qmaxf, T *q)                                       \
	{                                                                                         \
		int64_t clipped = 0;                                                              \
		size_t j = 0;                                                                     \
		for (; j + VB <= w; j += VB)                                                      \
			clipped += NAME##_block(x + j, q + j, p->inv + c0 + j, p->zpf + c0 + j,   \
						p->lo + c0 + j, p->hi + c0 + j, qminf, qmaxf);     \
		for (; j < w; j++) {                                                              \
			int c;                                                                    \
			size_t k = c0 + j;                                                        \
			float v = affine_code(x[j] * p->inv[k], p->lo[k], p->hi[k], p->zpf[k],    \
					      qminf, qmaxf, &c);                                  \
			clipped += c;                                                             \
			q[j] = (T)(int)v;                                                         \
		}                                                                                 \
		return clipped;                                                                   \
	}

DEFINE_COLS_SPAN(cols_span_s8, int8_t)
DEFINE_COLS_SPAN(cols_span_u8, uint8_t)

#define COL_TILE 256

#define DEFINE_ROWS_KERNEL(NAME, SPAN, T)                                                         \
	QL_SIMD_CLONES int64_t NAME(const float *x, size_t rows, size_t c, const float *scale,                   \
		     const int32_t *zp, int32_t qmin, int32_t qmax, T *q)                          \
	{                                                                                         \
		float buf[4][COL_TILE];                                                           \
		col_params p = {buf[0], buf[1], buf[2], buf[3]};                                  \
		int64_t clipped = 0;                                                              \
		for (size_t c0 = 0; c0 < c; c0 += COL_TILE) {                                     \
			size_t w = c - c0 < COL_TILE ? c - c0 : COL_TILE;                         \
			col_params_fill(&p, scale + c0, zp ? zp + c0 : NULL, w, qmin, qmax);      \
			for (size_t r = 0; r < rows; r++)                                         \
				clipped += SPAN(x + r * c + c0, w, &p, 0, (float)qmin,            \
						(float)qmax, q + r * c + c0);                     \
		}                                                                                 \
		return clipped;                                                                   \
	}

DEFINE_ROWS_KERNEL(ql_affine_quantize_rows_s8, cols_span_s8, int8_t)
DEFINE_ROWS_KERNEL(ql_affine_quantize_rows_u8, cols_span_u8, uint8_t)

/* ---- Scaled float kernels ---------------------------------------------------------- */

int64_t ql_float_quantize_ref(ql_type fmt, const float *x, size_t n, float scale, uint8_t *codes)
{
	const float inv = 1.0f / scale;
	const double max = fmt == QL_FP8_E5M2 ? 57344.0 : fmt == QL_FP8_E4M3 ? 448.0 : INFINITY;
	int64_t sat = 0;
	for (size_t i = 0; i < n; i++) {
		double v = (double)(x[i] * inv);
		unsigned st = 0;
		if (fabs(v) > max) {
			/* Beyond max before rounding; it may still round down to max. */
			uint64_t c = ql_encode(fmt, v, QL_ROUND_NEAREST_EVEN, &st);
			if (st & QL_ST_OVERFLOW || !isfinite(ql_decode(fmt, c))) {
				sat++;
				v = v > 0 ? max : -max;
			}
		}
		codes[i] = (uint8_t)ql_encode(fmt, v, QL_ROUND_NEAREST_EVEN, &st);
	}
	return sat;
}

/* The fast path: elem.h's encoders, VB values at a time. */
#define DEFINE_FLOAT_BLOCK(NAME, ENC, SAT)                                                        \
	static inline int NAME(const float *restrict x, uint8_t *restrict c, float inv)           \
	{                                                                                         \
		int sat = 0;                                                                      \
		for (int j = 0; j < VB; j++) {                                                    \
			float v = x[j] * inv;                                                     \
			c[j] = ENC(v);                                                            \
			sat += elem_saturates(v, SAT);                                            \
		}                                                                                 \
		return sat;                                                                       \
	}

DEFINE_FLOAT_BLOCK(float_block_e4m3, elem_e4m3_sat, ELEM_E4M3_SAT_FIRST)
DEFINE_FLOAT_BLOCK(float_block_e5m2, elem_e5m2_sat, ELEM_E5M2_SAT_FIRST)

QL_SIMD_CLONES
int64_t ql_float_quantize(ql_type fmt, const float *x, size_t n, float scale, uint8_t *codes)
{
	if (fmt != QL_FP8_E4M3 && fmt != QL_FP8_E5M2)
		return ql_float_quantize_ref(fmt, x, n, scale, codes);
	const float inv = 1.0f / scale;
	const bool e4 = fmt == QL_FP8_E4M3;
	int64_t sat = 0;
	size_t i = 0;
	for (; i + VB <= n; i += VB)
		sat += e4 ? float_block_e4m3(x + i, codes + i, inv)
			  : float_block_e5m2(x + i, codes + i, inv);
	for (; i < n; i++) {
		float v = x[i] * inv;
		codes[i] = e4 ? elem_e4m3_sat(v) : elem_e5m2_sat(v);
		sat += elem_saturates(v, e4 ? ELEM_E4M3_SAT_FIRST : ELEM_E5M2_SAT_FIRST);
	}
	return sat;
}

void ql_float_dequantize(ql_type fmt, const uint8_t *codes, size_t n, float scale, float *y)
{
	float own[256];
	const float *lut;
	if (fmt == QL_FP8_E4M3 || fmt == QL_FP8_E5M2) {
		const elem_tables *t = ql_elem_tables();
		lut = fmt == QL_FP8_E4M3 ? t->e4m3 : t->e5m2;
	} else {
		for (int c = 0; c < 256; c++)
			own[c] = (float)ql_decode(fmt, (uint64_t)c);
		lut = own;
	}
	for (size_t i = 0; i < n; i++)
		y[i] = lut[codes[i]] * scale;
}

/* ---- Threads ------------------------------------------------------------------------ */

typedef struct pool_task {
	void (*fn)(void *arg, int64_t job);
	void *arg;
	int64_t njobs;
	atomic_llong next;
} pool_task;

static void *pool_worker(void *p)
{
	pool_task *t = p;
	for (;;) {
		long long j = atomic_fetch_add(&t->next, 1);
		if (j >= t->njobs)
			break;
		t->fn(t->arg, (int64_t)j);
	}
	return NULL;
}

/* Runs fn(arg, j) for j in [0, njobs) on up to `threads` threads. */
static void run_jobs(int threads, int64_t njobs, void (*fn)(void *, int64_t), void *arg)
{
	pool_task t = {.fn = fn, .arg = arg, .njobs = njobs};
	atomic_init(&t.next, 0);
	if (threads > njobs)
		threads = (int)njobs;
	pthread_t tid[16];
	int started = 0;
	for (int i = 1; i < threads && i < 16; i++) {
		if (pthread_create(&tid[started], NULL, pool_worker, &t) == 0)
			started++;
	}
	pool_worker(&t); /* this thread works too; if no thread started, it does it all */
	for (int i = 0; i < started; i++)
		pthread_join(tid[i], NULL);
}

static int default_threads(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n < 1 ? 1 : n > 16 ? 16 : (int)n;
}

/* ---- ql_quantize ---------------------------------------------------------------------- */

#define JOB_ELEMS (1 << 16) /* elements per job, about */
#define TILE 1024           /* elements dequantized at a time for the metrics */

typedef enum { TRAV_CHUNKS, TRAV_CHANNELS, TRAV_GROUPS } traversal;

typedef struct plan {
	const float *x;
	ql_qresult *r;
	const ql_qdtype_info *info;
	ql_qdtype dtype;
	bool sym;
	int32_t qmin, qmax;
	ql_calib calib;
	double percentile;

	traversal trav;
	int64_t n;
	int64_t outer, C, inner;        /* TRAV_CHANNELS */
	int64_t rows, L, G, ngroups;    /* TRAV_GROUPS: unit u = (u / ngroups, u % ngroups) */
	int64_t nunits;                 /* scan units (chunks, channels, groups) */
	int64_t units_per_job, njobs;
	int64_t cal_per_job, cal_njobs; /* calibration jobs: ranges of scale units */
	/* Channels along the last axis go by rows instead: each job takes
	 * rows_per_job whole rows, with its own per-column min/max (jmin/jmax,
	 * C per job, merged after the scan). */
	bool by_rows;
	int64_t rows_per_job;
	float *jmin, *jmax;
	col_params cp;                  /* per column 1/scale etc., for by_rows */
	bool no_metrics;
	bool fused;                     /* scan + calibrate + quantize unit by unit */

	float *umin, *umax;             /* per scan unit */
	int64_t *bad;                   /* per job: non-finite values seen */
	ql_metrics_acc *acc;            /* per job */
	int *job_err;                   /* per job: calibration failed */
} plan;

/* The contiguous element range of group unit u. */
static void group_span(const plan *p, int64_t u, int64_t *start, int64_t *len)
{
	int64_t r = u / p->ngroups, g = u % p->ngroups;
	*start = r * p->L + g * p->G;
	int64_t left = p->L - g * p->G;
	*len = left < p->G ? left : p->G;
}

/* Job `job` of ranges of `per` out of `total`: [a, b). */
static void part(int64_t job, int64_t per, int64_t total, int64_t *a, int64_t *b)
{
	*a = job * per;
	*b = *a + per;
	if (*b > total)
		*b = total;
}

static void job_units(const plan *p, int64_t job, int64_t *u0, int64_t *u1)
{
	if (p->by_rows)
		part(job, p->rows_per_job, p->outer, u0, u1);
	else
		part(job, p->units_per_job, p->nunits, u0, u1);
}

/* -- 1. scan -- */

static inline void scan_block(const float *restrict x, float *restrict lo, float *restrict hi,
			      int *restrict bad)
{
	for (int j = 0; j < VB; j++) {
		float v = x[j];
		bad[j] += !(fabsf(v) <= FLT_MAX);
		lo[j] = v < lo[j] ? v : lo[j];
		hi[j] = v > hi[j] ? v : hi[j];
	}
}

QL_SIMD_CLONES
static void scan_span(const float *x, int64_t len, float *mn, float *mx, int64_t *bad)
{
	if (len < 4 * VB && len % 8 == 0 && len > 0) {
		/* Blocks of 32, 64 and short groups: 8 lanes. Equal values have the
		 * same bits but for +0 and -0, where the one met first wins in
		 * order; so a zero result is redone in order below. */
		float l8[8], h8[8];
		int nb8[8] = {0};
		for (int j = 0; j < 8; j++) {
			l8[j] = INFINITY;
			h8[j] = -INFINITY;
		}
		for (int64_t i = 0; i < len; i += 8) {
			for (int j = 0; j < 8; j++) {
				float v = x[i + j];
				nb8[j] += !(fabsf(v) <= FLT_MAX);
				l8[j] = v < l8[j] ? v : l8[j];
				h8[j] = v > h8[j] ? v : h8[j];
			}
		}
		float l = *mn, h = *mx;
		int nb = 0;
		for (int j = 0; j < 8; j++) {
			l = l8[j] < l ? l8[j] : l;
			h = h8[j] > h ? h8[j] : h;
			nb += nb8[j];
		}
		if (l != 0.0f && h != 0.0f) {
			*mn = l;
			*mx = h;
			*bad += nb;
			return;
		}
	}
	if (len < 4 * VB) { /* short spans (groups, blocks): no lanes to set up */
		float l = *mn, h = *mx;
		int64_t nb = 0;
		for (int64_t i = 0; i < len; i++) {
			float v = x[i];
			nb += !(fabsf(v) <= FLT_MAX);
			l = v < l ? v : l;
			h = v > h ? v : h;
		}
		*mn = l;
		*mx = h;
		*bad += nb;
		return;
	}
	float lo[VB], hi[VB];
	int nb[VB];
	for (int j = 0; j < VB; j++) {
		lo[j] = INFINITY;
		hi[j] = -INFINITY;
		nb[j] = 0;
	}
	int64_t i = 0;
	while (i + VB <= len) {
		/* at most 2^20 blocks between flushes of the int counts */
		int64_t end = len - i > ((int64_t)VB << 20) ? i + ((int64_t)VB << 20) : len;
		for (; i + VB <= end; i += VB)
			scan_block(x + i, lo, hi, nb);
		for (int j = 0; j < VB; j++) {
			*bad += nb[j];
			nb[j] = 0;
		}
	}
	for (; i < len; i++) {
		float v = x[i];
		*bad += !(fabsf(v) <= FLT_MAX);
		lo[0] = v < lo[0] ? v : lo[0];
		hi[0] = v > hi[0] ? v : hi[0];
	}
	for (int j = 0; j < VB; j++) {
		*mn = minf(*mn, lo[j]);
		*mx = maxf(*mx, hi[j]);
	}
}

static void scan_job(void *arg, int64_t job)
{
	plan *p = arg;
	int64_t u0, u1, bad = 0;
	job_units(p, job, &u0, &u1);
	if (p->by_rows) {
		/* rows [u0, u1), every column, into this job's own min/max */
		float *mn = p->jmin + job * p->C, *mx = p->jmax + job * p->C;
		for (int64_t c = 0; c < p->C; c++) {
			mn[c] = INFINITY;
			mx[c] = -INFINITY;
		}
		for (int64_t o = u0; o < u1; o++) {
			const float *xr = p->x + o * p->C;
			int nb[VB] = {0};
			int64_t c = 0;
			for (; c + VB <= p->C; c += VB)
				scan_block(xr + c, mn + c, mx + c, nb);
			for (; c < p->C; c++) {
				float v = xr[c];
				bad += !(fabsf(v) <= FLT_MAX);
				mn[c] = v < mn[c] ? v : mn[c];
				mx[c] = v > mx[c] ? v : mx[c];
			}
			for (int j = 0; j < VB; j++)
				bad += nb[j];
		}
		u0 = u1 = 0; /* (the loops below then do nothing) */
	}
	for (int64_t u = u0; u < u1; u++) {
		p->umin[u] = INFINITY;
		p->umax[u] = -INFINITY;
	}
	if (p->trav == TRAV_CHUNKS) {
		for (int64_t u = u0; u < u1; u++) {
			int64_t s = u * JOB_ELEMS, len = p->n - s < JOB_ELEMS ? p->n - s : JOB_ELEMS;
			scan_span(p->x + s, len, &p->umin[u], &p->umax[u], &bad);
		}
	} else if (p->trav == TRAV_GROUPS) {
		for (int64_t u = u0; u < u1; u++) {
			int64_t s, len;
			group_span(p, u, &s, &len);
			scan_span(p->x + s, len, &p->umin[u], &p->umax[u], &bad);
		}
	} else {
		for (int64_t o = 0; o < p->outer; o++)
			for (int64_t c = u0; c < u1; c++)
				scan_span(p->x + (o * p->C + c) * p->inner, p->inner, &p->umin[c],
					  &p->umax[c], &bad);
	}
	p->bad[job] = bad;
}

/* -- 2. calibrate -- */

/* Copies the elements of scale unit u (channel or group) into buf. */
static int64_t gather_unit(const plan *p, int64_t u, float *buf)
{
	if (p->trav == TRAV_GROUPS) {
		int64_t s, len;
		group_span(p, u, &s, &len);
		memcpy(buf, p->x + s, (size_t)len * sizeof *buf);
		return len;
	}
	int64_t k = 0;
	for (int64_t o = 0; o < p->outer; o++) {
		memcpy(buf + k, p->x + (o * p->C + u) * p->inner, (size_t)p->inner * sizeof *buf);
		k += p->inner;
	}
	return k;
}

/* Scale (and zero point) of unit u from its clipping range. */
static void unit_params(plan *p, int64_t u, float lo, float hi)
{
	ql_qresult *r = p->r;
	r->clip_lo[u] = lo;
	r->clip_hi[u] = hi;
	if (p->info->kind == QL_QK_FLOAT) {
		float amax = maxf(fabsf(lo), fabsf(hi));
		float s = amax / float_target_max(p->dtype);
		r->scales[u] = amax == 0.0f ? 1.0f : maxf(s, FLT_MIN);
		return;
	}
	int32_t zp;
	ql_qparams_from_range(lo, hi, p->qmin, p->qmax, p->sym, &r->scales[u], &zp);
	if (r->zero_points)
		r->zero_points[u] = zp;
}

static void calib_job(void *arg, int64_t job)
{
	plan *p = arg;
	int64_t u0, u1;
	part(job, p->cal_per_job, p->nunits, &u0, &u1);
	float *buf = NULL;
	p->job_err[job] = 0;
	if (p->calib != QL_CALIB_MINMAX) {
		int64_t cap = p->trav == TRAV_GROUPS ? p->G : p->outer * p->inner;
		buf = malloc((size_t)(cap ? cap : 1) * sizeof *buf);
		if (!buf) {
			p->job_err[job] = 1;
			return;
		}
	}
	for (int64_t u = u0; u < u1; u++) {
		float lo, hi;
		if (!buf) {
			lo = p->umin[u] == INFINITY ? 0.0f : p->umin[u];
			hi = p->umax[u] == -INFINITY ? 0.0f : p->umax[u];
			if (p->sym) {
				float a = maxf(fabsf(lo), fabsf(hi));
				lo = -a;
				hi = a;
			}
		} else {
			int64_t k = gather_unit(p, u, buf);
			if (ql_calibrate(buf, (size_t)k, p->calib, p->percentile, p->sym, p->qmin,
					 p->qmax, &lo, &hi, NULL)) {
				p->job_err[job] = 1;
				break;
			}
		}
		unit_params(p, u, lo, hi);
	}
	free(buf);
}

/* -- 3. quantize -- */

/* Quantizes x[0..len) (element offset off) with scale unit s; adds errors. */
/* Quantizes x[off, off + len) with scale unit s. The dequantized values go
 * to result.dequant, or to `defer` (len <= TILE) when the caller adds the
 * errors of several short spans at once, or else to a tile here whose
 * errors are added at once. */
static void quant_span(plan *p, int64_t off, int64_t len, int64_t s, ql_metrics_acc *acc,
		       float *defer)
{
	ql_qresult *r = p->r;
	const float *x = p->x + off;
	uint8_t *codes = r->codes + off;
	float tile[TILE];
	const float scale = r->scales[s];
	const int32_t z = r->zero_points ? r->zero_points[s] : 0;

	for (int64_t t = 0; t < len; t += TILE) {
		int64_t w = len - t < TILE ? len - t : TILE;
		float *y = r->dequant ? r->dequant + off + t : defer ? defer + t : tile;
		bool deq = !p->no_metrics || r->dequant || defer;
		if (p->info->kind == QL_QK_FLOAT) {
			acc->clipped += ql_float_quantize(p->info->elem, x + t, (size_t)w, scale,
							  codes + t);
			if (deq)
				ql_float_dequantize(p->info->elem, codes + t, (size_t)w, scale, y);
			if (!p->no_metrics && !defer)
				ql_metrics_add(acc, x + t, y, (size_t)w);
			continue;
		}
		/* Affine: one fused pass; the dequantized values are stored only
		 * if someone reads them, the sums are those of ql_metrics_add. */
		float *yo = r->dequant || defer ? y : NULL;
		ql_metrics_acc *sums = !p->no_metrics && !defer ? acc : NULL;
		if (p->info->is_signed)
			acc->clipped += ql_affine_qdq_s8(x + t, (size_t)w, scale, z, p->qmin, p->qmax,
							 (int8_t *)(codes + t), yo, sums);
		else
			acc->clipped += ql_affine_qdq_u8(x + t, (size_t)w, scale, z, p->qmin, p->qmax,
							 codes + t, yo, sums);
	}
}

/* Channels along the last axis: columns [c0, c1) of row o. */
QL_SIMD_CLONES
static void quant_cols(plan *p, int64_t o, ql_metrics_acc *acc)
{
	ql_qresult *r = p->r;
	const float qminf = (float)p->qmin, qmaxf = (float)p->qmax;
	for (int64_t t = 0; t < p->C; t += TILE) {
		int64_t w = p->C - t < TILE ? p->C - t : TILE;
		int64_t off = o * p->C + t;
		float tile[TILE];
		float *y = r->dequant ? r->dequant + off : tile;
		if (p->info->is_signed)
			acc->clipped += cols_span_s8(p->x + off, (size_t)w, &p->cp, (size_t)t, qminf,
						     qmaxf, (int8_t *)r->codes + off);
		else
			acc->clipped += cols_span_u8(p->x + off, (size_t)w, &p->cp, (size_t)t, qminf,
						     qmaxf, r->codes + off);
		if (p->no_metrics && !r->dequant)
			continue;
		const float *zpf = p->cp.zpf + t, *sc = r->scales + t;
		if (p->info->is_signed) {
			const int8_t *q = (const int8_t *)r->codes + off;
			for (int64_t j = 0; j < w; j++)
				y[j] = ((float)q[j] - zpf[j]) * sc[j];
		} else {
			const uint8_t *q = r->codes + off;
			for (int64_t j = 0; j < w; j++)
				y[j] = ((float)q[j] - zpf[j]) * sc[j];
		}
		if (!p->no_metrics)
			ql_metrics_add(acc, p->x + off, y, (size_t)w);
	}
}

/* One block-format unit (Q8_0/Q4_0 block, MX block, NF4 block). */
static void quant_block(plan *p, int64_t u, ql_metrics_acc *acc, float *defer)
{
	ql_qresult *r = p->r;
	int64_t s, len;
	group_span(p, u, &s, &len);
	const float *x = p->x + s;
	uint8_t *codes = r->codes + s;
	float tile[QL_NF4_BLOCK];
	float *y = r->dequant ? r->dequant + s : defer ? defer : tile;
	float amax = maxf(fabsf(p->umin[u]), fabsf(p->umax[u]));
	if (len == 0)
		amax = 0;

	switch (p->dtype) {
	case QL_Q_Q8_0: {
		ql_block_q8_0 *b = (ql_block_q8_0 *)r->blocks + u;
		ql_quantize_row_q8_0(x, b, QL_QK8_0);
		memcpy(codes, b->qs, QL_QK8_0);
		ql_dequantize_row_q8_0(b, y, QL_QK8_0);
		r->scales[u] = ql_f32_from_fp16(b->d);
		break;
	}
	case QL_Q_Q4_0: {
		ql_block_q4_0 *b = (ql_block_q4_0 *)r->blocks + u;
		acc->clipped += ql_quantize_row_q4_0(x, b, QL_QK4_0);
		for (int j = 0; j < QL_QK4_0 / 2; j++) {
			codes[j] = b->qs[j] & 0x0f;
			codes[j + QL_QK4_0 / 2] = b->qs[j] >> 4;
		}
		ql_dequantize_row_q4_0(b, y, QL_QK4_0);
		r->scales[u] = ql_f32_from_fp16(b->d);
		break;
	}
	case QL_Q_MXFP8:
	case QL_Q_MXFP4:
	case QL_Q_MXINT8: {
		uint8_t e;
		acc->clipped += ql_mx_quantize(p->dtype, x, len, codes, &e);
		ql_mx_dequantize(p->dtype, codes, &e, len, y);
		r->scales[u] = ql_e8m0_to_f32(e);
		uint8_t *raw = r->blocks + (size_t)u * (size_t)p->info->block_bytes;
		memset(raw, 0, (size_t)p->info->block_bytes);
		raw[0] = e;
		if (p->dtype == QL_Q_MXFP4 && len == QL_MX_BLOCK) {
			for (int j = 0; j < QL_MX_BLOCK / 2; j++)
				raw[1 + j] = (uint8_t)((codes[j] & 0x0f) | (codes[j + 16] & 0x0f) << 4);
		} else if (p->dtype == QL_Q_MXFP4) {
			for (int64_t j = 0; j < len; j++)
				raw[1 + j % 16] |= (uint8_t)((codes[j] & 0x0f) << (j < 16 ? 0 : 4));
		} else {
			memcpy(raw + 1, codes, (size_t)len);
		}
		break;
	}
	case QL_Q_NF4: {
		float am;
		ql_nf4_quantize(x, len, codes, &am);
		ql_nf4_dequantize(codes, &am, len, y);
		r->scales[u] = am;
		for (int64_t j = 0; j + 1 < len; j += 2)
			r->blocks[(s + j) / 2] = (uint8_t)(codes[j] << 4 | codes[j + 1]);
		if (len & 1)
			r->blocks[(s + len - 1) / 2] = (uint8_t)(codes[len - 1] << 4);
		break;
	}
	default:
		break;
	}
	r->clip_lo[u] = -amax;
	r->clip_hi[u] = amax;
	if (!defer)
		ql_metrics_add(acc, x, y, (size_t)len);
}

/* The contiguous element range of scale unit u when units are contiguous
 * (groups and blocks; channels of the first axis). */
static void unit_span(const plan *p, int64_t u, int64_t *start, int64_t *len)
{
	if (p->trav == TRAV_GROUPS) {
		group_span(p, u, start, len);
	} else {
		*start = u * p->inner;
		*len = p->inner;
	}
}

/* Fused calibration (minmax, contiguous units): the unit's range is taken
 * just before it is quantized, while its values are still in cache. Returns
 * false at a non-finite value (the caller reports it). */
static bool calib_unit_fused(plan *p, int64_t u, int64_t start, int64_t len)
{
	int64_t bad = 0;
	p->umin[u] = INFINITY;
	p->umax[u] = -INFINITY;
	scan_span(p->x + start, len, &p->umin[u], &p->umax[u], &bad);
	if (bad)
		return false;
	if (p->info->kind == QL_QK_MX || p->info->kind == QL_QK_NF4 || p->info->kind == QL_QK_GGML)
		return true;
	float lo = len ? p->umin[u] : 0.0f, hi = len ? p->umax[u] : 0.0f;
	if (p->sym) {
		float a = maxf(fabsf(lo), fabsf(hi));
		lo = -a;
		hi = a;
	}
	unit_params(p, u, lo, hi);
	return true;
}

/* Units [u0, u1) of contiguous spans (groups, blocks, first-axis channels).
 * Short units are quantized into a shared tile whose errors are added once
 * it is full, not unit by unit. */
static void quant_groups(plan *p, int64_t u0, int64_t u1, ql_metrics_acc *acc, bool blocky)
{
	ql_qresult *r = p->r;
#if QL_HAVE_AVX2_KERNELS
	/* Q8_0, Q4_0, NF4 in whole blocks: one AVX2 call does all of the loop below, with
	 * the metric sums flushed where it flushes them (every block when the
	 * dequantized values are kept or no tile is used, else every tile). */
	if (p->dtype == QL_Q_Q8_0 && p->fused && p->G == QL_QK8_0 && p->L % QL_QK8_0 == 0 &&
	    ql_avx2_active()) {
		int64_t s0 = u0 * QL_QK8_0, nb = u1 - u0;
		bool tiled = !r->dequant && !p->no_metrics;
		int64_t done = ql_q8_0_blocks_avx2(p->x + s0, nb, (ql_block_q8_0 *)r->blocks + u0,
						   (int8_t *)r->codes + s0, p->umin + u0,
						   p->umax + u0, r->clip_lo + u0, r->clip_hi + u0,
						   r->scales + u0, r->dequant ? r->dequant + s0 : NULL,
						   acc, tiled ? TILE / QL_QK8_0 : 1);
		if (done < nb)
			p->bad[acc - p->acc] = 1;
		return;
	}
	if (p->dtype == QL_Q_Q4_0 && p->fused && p->G == QL_QK4_0 && p->L % QL_QK4_0 == 0 &&
	    ql_avx2_active()) {
		int64_t s0 = u0 * QL_QK4_0, nb = u1 - u0, clipped = 0;
		bool tiled = !r->dequant && !p->no_metrics;
		int64_t done = ql_q4_0_blocks_avx2(p->x + s0, nb, (ql_block_q4_0 *)r->blocks + u0,
						   r->codes + s0, p->umin + u0, p->umax + u0,
						   r->clip_lo + u0, r->clip_hi + u0, r->scales + u0,
						   r->dequant ? r->dequant + s0 : NULL, acc,
						   tiled ? TILE / QL_QK4_0 : 1, &clipped);
		acc->clipped += clipped;
		if (done < nb)
			p->bad[acc - p->acc] = 1;
		return;
	}
	/* NF4: whole blocks only (a short last block goes the C way, and with
	 * it the rest of its job, so the sums keep their order) */
	if (p->dtype == QL_Q_NF4 && p->fused && p->G == QL_NF4_BLOCK &&
	    (p->L % QL_NF4_BLOCK == 0 || u1 < p->nunits) && ql_avx2_active()) {
		int64_t s0 = u0 * QL_NF4_BLOCK, nb = u1 - u0;
		bool tiled = !r->dequant && !p->no_metrics;
		int64_t done = ql_nf4_blocks_avx2(p->x + s0, nb, r->blocks + s0 / 2, r->codes + s0,
						  p->umin + u0, p->umax + u0, r->clip_lo + u0,
						  r->clip_hi + u0, r->scales + u0,
						  r->dequant ? r->dequant + s0 : NULL, acc,
						  tiled ? TILE / QL_NF4_BLOCK : 1);
		if (done < nb)
			p->bad[acc - p->acc] = 1;
		return;
	}
	/* MX in whole blocks: the ranges, then a tile of blocks at a time
	 * through the (multi-block) MX kernels, the sums flushed as above */
	if (p->info->kind == QL_QK_MX && p->fused && p->G == QL_MX_BLOCK &&
	    p->L % QL_MX_BLOCK == 0 && ql_avx2_active()) {
		const int64_t bb = p->info->block_bytes;
		float ytile[TILE];
		for (int64_t u = u0; u < u1; u += TILE / QL_MX_BLOCK) {
			int64_t k = u1 - u < TILE / QL_MX_BLOCK ? u1 - u : TILE / QL_MX_BLOCK;
			int64_t s = u * QL_MX_BLOCK, w = k * QL_MX_BLOCK;
			if (ql_block_ranges_avx2(p->x + s, k, p->umin + u, p->umax + u, r->clip_lo + u,
						 r->clip_hi + u) < k) {
				p->bad[acc - p->acc] = 1;
				return;
			}
			uint8_t e[TILE / QL_MX_BLOCK];
			uint8_t *codes = r->codes + s;
			acc->clipped += ql_mx_quantize(p->dtype, p->x + s, w, codes, e);
			float *y = r->dequant ? r->dequant + s : ytile;
			ql_mx_dequantize(p->dtype, codes, e, w, y);
			for (int64_t b = 0; b < k; b++) {
				const uint8_t *cb = codes + b * QL_MX_BLOCK;
				uint8_t *raw = r->blocks + (size_t)((u + b) * bb);
				r->scales[u + b] = ql_e8m0_to_f32(e[b]);
				raw[0] = e[b];
				if (p->dtype == QL_Q_MXFP4)
					for (int j = 0; j < QL_MX_BLOCK / 2; j++)
						raw[1 + j] = (uint8_t)((cb[j] & 0x0f) |
								       (cb[j + 16] & 0x0f) << 4);
				else
					memcpy(raw + 1, cb, QL_MX_BLOCK);
			}
			bool tiled = !r->dequant && !p->no_metrics;
			ql_metrics_add_runs_avx2(acc, p->x + s, y, w, tiled ? w : QL_MX_BLOCK);
		}
		return;
	}
#endif
	float tile[TILE];
	int64_t tstart = -1, tend = -1; /* the elements now in the tile */
	bool defer_ok = !r->dequant && !p->no_metrics;

	for (int64_t u = u0; u < u1; u++) {
		int64_t s, len;
		unit_span(p, u, &s, &len);
		if (p->fused && !calib_unit_fused(p, u, s, len)) {
			p->bad[acc - p->acc] = 1;
			break;
		}
		bool defer = defer_ok && len <= TILE;
		if (defer && tstart >= 0 && s + len - tstart > TILE) {
			ql_metrics_add(acc, p->x + tstart, tile, (size_t)(tend - tstart));
			tstart = -1;
		}
		if (defer && tstart < 0)
			tstart = tend = s;
		float *y = defer ? tile + (s - tstart) : NULL;
		if (blocky)
			quant_block(p, u, acc, y);
		else
			quant_span(p, s, len, u, acc, y);
		if (defer)
			tend = s + len;
	}
	if (tstart >= 0)
		ql_metrics_add(acc, p->x + tstart, tile, (size_t)(tend - tstart));
}

static void quant_job(void *arg, int64_t job)
{
	plan *p = arg;
	int64_t u0, u1;
	job_units(p, job, &u0, &u1);
	ql_metrics_acc *acc = &p->acc[job];
	ql_metrics_acc_init(acc);
	bool blocky = p->info->kind == QL_QK_MX || p->info->kind == QL_QK_NF4 ||
		      p->info->kind == QL_QK_GGML;

	if (p->trav == TRAV_CHUNKS) {
		for (int64_t u = u0; u < u1; u++) {
			int64_t s = u * JOB_ELEMS, len = p->n - s < JOB_ELEMS ? p->n - s : JOB_ELEMS;
			quant_span(p, s, len, 0, acc, NULL);
		}
	} else if (p->trav == TRAV_GROUPS) {
		quant_groups(p, u0, u1, acc, blocky);
	} else if (p->fused) {
		quant_groups(p, u0, u1, acc, blocky);
	} else if (p->by_rows && p->info->kind == QL_QK_INT) {
		for (int64_t o = u0; o < u1; o++)
			quant_cols(p, o, acc);
	} else if (p->by_rows) {
		for (int64_t o = u0; o < u1; o++)
			for (int64_t c = 0; c < p->C; c++)
				quant_span(p, o * p->C + c, 1, c, acc, NULL);
	} else {
		for (int64_t o = 0; o < p->outer; o++)
			for (int64_t c = u0; c < u1; c++)
				quant_span(p, (o * p->C + c) * p->inner, p->inner, c, acc, NULL);
	}
}

/* -- the entry point -- */

static void *xcalloc(size_t n, size_t size)
{
	return calloc(n ? n : 1, size);
}

/* An output buffer that is written whole (codes, dequantized values). Big
 * ones are 2 MB aligned and offered to transparent huge pages: the first
 * touch of 256 MB then costs 128 page faults instead of 65536. */
static void *big_alloc(size_t size)
{
	const size_t huge = (size_t)2 << 20;
	if (size < 2 * huge)
		return malloc(size ? size : 1);
	void *ptr = NULL;
	if (posix_memalign(&ptr, huge, size))
		return NULL;
	madvise(ptr, size, MADV_HUGEPAGE); /* advice only: failure is harmless */
	return ptr;
}

void ql_qresult_free(ql_qresult *r)
{
	if (!r)
		return;
	free(r->codes);
	free(r->scales);
	free(r->zero_points);
	free(r->blocks);
	free(r->dequant);
	free(r->clip_lo);
	free(r->clip_hi);
	memset(r, 0, sizeof *r);
}

int ql_quantize(const float *x, const int64_t *shape, int ndim, const ql_scheme *s,
		const ql_qopts *opts, ql_qresult *out, ql_error *err)
{
	memset(out, 0, sizeof *out);
	if (ql_scheme_validate(s, shape, ndim, err))
		return -1;

	ql_qresult *r = out;
	const ql_qdtype_info *info = &ql_qdtypes[s->dtype];
	r->scheme = *s;
	r->scheme.sym = ql_scheme_symmetry(s);
	if (s->gran == QL_GRAN_CHANNEL && s->axis < 0)
		r->scheme.axis = s->axis + ndim;
	bool blocky = info->kind == QL_QK_MX || info->kind == QL_QK_NF4 || info->kind == QL_QK_GGML;
	if (blocky)
		r->scheme.gran = QL_GRAN_BLOCK;
	r->ndim = ndim;
	if (ndim > 0)
		memcpy(r->shape, shape, (size_t)ndim * sizeof *shape);
	r->nelem = ql_shape_elems(shape, ndim);
	ql_scheme_qrange(&r->scheme, &r->qmin, &r->qmax);
	r->codes_signed = info->is_signed;
	r->calib = s->calib;

	plan p = {
		.x = x, .r = r, .info = info, .dtype = s->dtype,
		.sym = r->scheme.sym == QL_SYM, .qmin = r->qmin, .qmax = r->qmax,
		.calib = s->calib, .percentile = s->percentile, .n = r->nelem,
	};
	int64_t n = r->nelem;
	int64_t last = ndim ? shape[ndim - 1] : 1;

	/* The units and the shape of the scales. */
	if (r->scheme.gran == QL_GRAN_TENSOR) {
		p.trav = TRAV_CHUNKS;
		p.nunits = (n + JOB_ELEMS - 1) / JOB_ELEMS;
		p.units_per_job = 1;
		r->nscales = 1;
		r->scale_ndim = 0;
	} else if (r->scheme.gran == QL_GRAN_CHANNEL) {
		int ax = r->scheme.axis;
		p.trav = TRAV_CHANNELS;
		p.outer = 1;
		p.inner = 1;
		for (int i = 0; i < ax; i++)
			p.outer *= shape[i];
		for (int i = ax + 1; i < ndim; i++)
			p.inner *= shape[i];
		p.C = shape[ax];
		p.nunits = p.C;
		int64_t per = p.outer * p.inner;
		p.units_per_job = per >= JOB_ELEMS ? 1 : per ? JOB_ELEMS / per : p.C + 1;
		if (p.inner == 1 && p.C > 0) {
			p.by_rows = true;
			p.rows_per_job = JOB_ELEMS / p.C > 1 ? JOB_ELEMS / p.C : 1;
			if ((p.outer + p.rows_per_job - 1) / p.rows_per_job > 64)
				p.rows_per_job = (p.outer + 63) / 64;
		}
		r->nscales = p.C;
		r->scale_ndim = 1;
		r->scale_shape[0] = p.C;
	} else {
		p.trav = TRAV_GROUPS;
		if (info->kind == QL_QK_NF4) {
			p.rows = 1;
			p.L = n;
			p.G = QL_NF4_BLOCK;
		} else {
			p.L = last;
			p.rows = p.L ? n / p.L : 0;
			p.G = blocky ? info->block : s->group;
		}
		p.ngroups = ql_ceil_div_i64(p.L, p.G); /* p.L + p.G - 1 overflows for a huge G */
		p.nunits = p.rows * p.ngroups;        /* <= n: a group holds at least one element */
		int64_t per = p.G < p.L ? p.G : (p.L ? p.L : 1);
		p.units_per_job = per >= JOB_ELEMS ? 1 : JOB_ELEMS / per;
		r->nscales = p.nunits;
		if (info->kind == QL_QK_NF4) {
			r->scale_ndim = 1;
			r->scale_shape[0] = p.nunits;
		} else {
			r->scale_ndim = ndim ? ndim : 1;
			for (int i = 0; i + 1 < ndim; i++)
				r->scale_shape[i] = shape[i];
			r->scale_shape[r->scale_ndim - 1] = p.ngroups;
		}
	}
	p.cal_per_job = p.units_per_job;
	p.cal_njobs = (p.nunits + p.units_per_job - 1) / p.units_per_job;
	p.njobs = p.by_rows ? (p.outer + p.rows_per_job - 1) / p.rows_per_job : p.cal_njobs;
	p.no_metrics = opts && opts->no_metrics;

	/* Outputs. */
	int64_t nu = p.nunits > r->nscales ? p.nunits : r->nscales;
	r->codes = big_alloc((size_t)n);
	r->scales = xcalloc((size_t)r->nscales, sizeof *r->scales);
	r->clip_lo = xcalloc((size_t)r->nscales, sizeof *r->clip_lo);
	r->clip_hi = xcalloc((size_t)r->nscales, sizeof *r->clip_hi);
	bool has_zp = info->kind == QL_QK_INT && (!p.sym || !info->is_signed);
	if (has_zp)
		r->zero_points = xcalloc((size_t)r->nscales, sizeof *r->zero_points);
	if (info->kind == QL_QK_GGML || info->kind == QL_QK_MX) {
		r->blocks_bytes = (size_t)p.nunits * (size_t)info->block_bytes;
		r->blocks = big_alloc(r->blocks_bytes); /* every byte is written */
	} else if (info->kind == QL_QK_NF4) {
		r->blocks_bytes = ql_packed_bytes((size_t)n, 4);
		r->blocks = big_alloc(r->blocks_bytes);
	}
	if (opts && opts->dequant)
		r->dequant = big_alloc((size_t)n * sizeof *r->dequant);
	p.umin = xcalloc((size_t)nu, sizeof *p.umin);
	p.umax = xcalloc((size_t)nu, sizeof *p.umax);
	p.bad = xcalloc((size_t)p.njobs, sizeof *p.bad);
	p.acc = xcalloc((size_t)p.njobs, sizeof *p.acc);
	p.job_err = xcalloc((size_t)(p.cal_njobs > p.njobs ? p.cal_njobs : p.njobs),
			    sizeof *p.job_err);
	if (p.by_rows) {
		p.jmin = xcalloc((size_t)(p.njobs * p.C), sizeof *p.jmin);
		p.jmax = xcalloc((size_t)(p.njobs * p.C), sizeof *p.jmax);
		float *cp = xcalloc((size_t)(4 * p.C), sizeof *cp);
		p.cp = (col_params){cp, cp + p.C, cp + 2 * p.C, cp + 3 * p.C};
	}
	int rc = -1;
	if (!r->codes || !r->scales || !r->clip_lo || !r->clip_hi ||
	    (has_zp && !r->zero_points) ||
	    (r->blocks_bytes && !r->blocks) || (opts && opts->dequant && !r->dequant) || !p.umin ||
	    !p.umax || !p.bad || !p.acc || !p.job_err ||
	    (p.by_rows && (!p.jmin || !p.jmax || !p.cp.inv))) {
		ql_error_set(err, "out of memory for a tensor of %lld values", (long long)n);
		goto done;
	}

	int threads = opts && opts->threads > 0 ? opts->threads : default_threads();
	if (n < 4 * JOB_ELEMS)
		threads = 1;

	/* Contiguous units calibrated by minmax go in one pass (steps 1-3 unit by
	 * unit); everything else in separate passes. */
	p.fused = !s->has_scale && s->calib == QL_CALIB_MINMAX &&
		  (p.trav == TRAV_GROUPS || (p.trav == TRAV_CHANNELS && !p.by_rows && p.outer == 1));
	int64_t nbad = 0, first = -1;
	if (p.fused) {
		run_jobs(threads, p.njobs, quant_job, &p);
		for (int64_t j = 0; j < p.njobs && !nbad; j++)
			nbad = p.bad[j];
	} else {
		/* 1. scan */
		run_jobs(threads, p.njobs, scan_job, &p);
		for (int64_t j = 0; j < p.njobs; j++)
			nbad += p.bad[j];
	}
	if (nbad) {
		/* Count them all and find the first, for the message. */
		nbad = 0;
		for (int64_t i = 0; i < n; i++) {
			if (!(fabsf(x[i]) <= FLT_MAX)) {
				if (first < 0)
					first = i;
				nbad++;
			}
		}
		ql_error_set(err, "%lld value%s not finite (the first at index %lld: %g); qlens "
				  "quantizes finite values only", (long long)nbad,
			     nbad == 1 ? " is" : "s are", (long long)first, (double)x[first]);
		goto done;
	}
	if (p.by_rows) {
		for (int64_t c = 0; c < p.C; c++) {
			p.umin[c] = INFINITY;
			p.umax[c] = -INFINITY;
		}
		for (int64_t j = 0; j < p.njobs; j++) {
			for (int64_t c = 0; c < p.C; c++) {
				p.umin[c] = minf(p.umin[c], p.jmin[j * p.C + c]);
				p.umax[c] = maxf(p.umax[c], p.jmax[j * p.C + c]);
			}
		}
	}
	r->data_min = r->data_max = 0.0f;
	{
		float mn = INFINITY, mx = -INFINITY;
		for (int64_t u = 0; u < p.nunits; u++) {
			mn = minf(mn, p.umin[u]);
			mx = maxf(mx, p.umax[u]);
		}
		if (n > 0) {
			r->data_min = mn;
			r->data_max = mx;
		}
	}

	/* 2. calibrate */
	if (p.fused) {
		/* done unit by unit */
	} else if (!blocky) {
		if (s->has_scale) {
			r->scales[0] = s->scale;
			int32_t zp = s->has_zero_point ? s->zero_point : p.sym ? (p.qmin + p.qmax) / 2 : 0;
			if (r->zero_points)
				r->zero_points[0] = zp;
			if (info->kind == QL_QK_FLOAT) {
				r->clip_hi[0] = float_target_max(s->dtype) * s->scale;
				r->clip_lo[0] = -r->clip_hi[0];
			} else {
				r->clip_lo[0] = (float)(p.qmin - zp) * s->scale;
				r->clip_hi[0] = (float)(p.qmax - zp) * s->scale;
			}
		} else if (p.trav == TRAV_CHUNKS) {
			float lo = r->data_min, hi = r->data_max;
			if (p.sym) {
				float a = maxf(fabsf(lo), fabsf(hi));
				lo = -a;
				hi = a;
			}
			if (s->calib != QL_CALIB_MINMAX &&
			    ql_calibrate(x, (size_t)n, s->calib, s->percentile, p.sym, p.qmin, p.qmax,
					 &lo, &hi, err))
				goto done;
			unit_params(&p, 0, lo, hi);
		} else {
			run_jobs(threads, p.cal_njobs, calib_job, &p);
			for (int64_t j = 0; j < p.cal_njobs; j++) {
				if (p.job_err[j]) {
					ql_error_set(err, "out of memory while calibrating");
					goto done;
				}
			}
		}
	}

	if (p.by_rows && info->kind == QL_QK_INT)
		col_params_fill(&p.cp, r->scales, r->zero_points, (size_t)p.C, p.qmin, p.qmax);

	/* 3. quantize, 4. merge */
	if (!p.fused)
		run_jobs(threads, p.njobs, quant_job, &p);
	ql_metrics_acc total;
	ql_metrics_acc_init(&total);
	for (int64_t j = 0; j < p.njobs; j++)
		ql_metrics_merge(&total, &p.acc[j]);
	ql_metrics_finish(&total, &r->metrics);

	/* Storage as written. */
	switch (info->kind) {
	case QL_QK_INT:
		r->bytes = ql_packed_bytes((size_t)n, info->bits) + 4 * (uint64_t)r->nscales +
			   (r->zero_points ? 4 * (uint64_t)r->nscales : 0);
		break;
	case QL_QK_FLOAT:
		r->bytes = (uint64_t)n + 4 * (uint64_t)r->nscales;
		break;
	case QL_QK_NF4:
		r->bytes = r->blocks_bytes + 4 * (uint64_t)r->nscales;
		break;
	case QL_QK_MX:
	case QL_QK_GGML:
		r->bytes = r->blocks_bytes;
		break;
	}
	r->bits_per_weight = n ? (double)r->bytes * 8.0 / (double)n : 0.0;
	rc = 0;

done:
	free(p.umin);
	free(p.umax);
	free(p.bad);
	free(p.acc);
	free(p.job_err);
	free(p.jmin);
	free(p.jmax);
	free(p.cp.inv);
	if (rc)
		ql_qresult_free(r);
	return rc;
}

void ql_qresult_dequantize(const ql_qresult *r, float *out)
{
	const ql_qdtype_info *info = &ql_qdtypes[r->scheme.dtype];
	int64_t n = r->nelem;
	if (n == 0)
		return;
	switch (info->kind) {
	case QL_QK_GGML:
		if (r->scheme.dtype == QL_Q_Q8_0)
			ql_dequantize_row_q8_0((const ql_block_q8_0 *)r->blocks, out, n);
		else
			ql_dequantize_row_q4_0((const ql_block_q4_0 *)r->blocks, out, n);
		return;
	case QL_QK_NF4:
		ql_nf4_dequantize(r->codes, r->scales, n, out);
		return;
	case QL_QK_MX: {
		int64_t L = r->ndim ? r->shape[r->ndim - 1] : 1;
		int64_t ng = (L + QL_MX_BLOCK - 1) / QL_MX_BLOCK;
		for (int64_t row = 0; row * L < n; row++) {
			for (int64_t g = 0; g < ng; g++) {
				int64_t s = row * L + g * QL_MX_BLOCK;
				int64_t len = L - g * QL_MX_BLOCK < QL_MX_BLOCK ? L - g * QL_MX_BLOCK
									  : QL_MX_BLOCK;
				uint8_t e = r->blocks[(size_t)(row * ng + g) * (size_t)info->block_bytes];
				ql_mx_dequantize(r->scheme.dtype, r->codes + s, &e, len, out + s);
			}
		}
		return;
	}
	default:
		break;
	}

	/* Affine and scaled-float: the scale index of every element. */
	const ql_scheme *s = &r->scheme;
	int64_t C = 1, inner = 1, L = 1, G = 1, ng = 1;
	if (s->gran == QL_GRAN_CHANNEL) {
		for (int i = s->axis + 1; i < r->ndim; i++)
			inner *= r->shape[i];
		C = r->shape[s->axis];
	} else if (s->gran == QL_GRAN_GROUP) {
		L = r->ndim ? r->shape[r->ndim - 1] : 1;
		G = s->group;
		ng = ql_ceil_div_i64(L, G);
	}
	for (int64_t i = 0; i < n; i++) {
		int64_t u = 0;
		if (s->gran == QL_GRAN_CHANNEL)
			u = (i / inner) % C;
		else if (s->gran == QL_GRAN_GROUP)
			u = (i / L) * ng + (i % L) / G;
		if (info->kind == QL_QK_FLOAT) {
			out[i] = (float)ql_decode(info->elem, r->codes[i]) * r->scales[u];
			continue;
		}
		int32_t q = r->codes_signed ? (int32_t)(int8_t)r->codes[i] : (int32_t)r->codes[i];
		int32_t zp = r->zero_points ? r->zero_points[u] : 0;
		out[i] = (float)(q - zp) * r->scales[u];
	}
}
