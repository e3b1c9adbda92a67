/* scheme.c — the type table of quantization targets, schemes, their words
 * and checks (qlens/scheme.h). The behaviour the table points to lives with
 * the kernels (qtarget.c, quantize_fast.c); this file only names it.
 */
#include "qlens/scheme.h"

#include <float.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "qlens/blockfmt.h"
#include "qlens/blocks.h"
#include "qlens/mx.h"
#include "qlens/nf4.h"
#include "qtarget.h"

/* ---- The table of targets --------------------------------------------------- */

#define INT_TARGET .kind = QL_QK_INT, .dequantize = ql_qt_dequantize_scaled, \
	.describe = ql_qt_describe_scaled, .fast_units = ql_qt_fast_int_groups
#define FLOAT_TARGET .kind = QL_QK_FLOAT, .bits = 8, .qmin = 0, .qmax = 255, \
	.dequantize = ql_qt_dequantize_scaled, .describe = ql_qt_describe_scaled
#define MX_TARGET(B) .kind = QL_QK_MX, .block = QL_MX_BLOCK, .block_bytes = 1 + (B), \
	.raw_unit_bytes = 1 + (B), .quantize_block = ql_qt_block_mx, \
	.dequantize = ql_qt_dequantize_mx, .describe = ql_qt_describe_block, \
	.fast_units = ql_qt_fast_mx
#define GGML_TARGET(QK, T) .kind = QL_QK_GGML, .block = (QK), .block_bytes = sizeof(T), \
	.raw_unit_bytes = sizeof(T), .quantize_block = ql_qt_block_ggml, \
	.dequantize = ql_qt_dequantize_ggml, .describe = ql_qt_describe_block

const ql_qdtype_info ql_qdtypes[QL_Q_COUNT] = {
	[QL_Q_INT8] = {.name = "int8", INT_TARGET, .bits = 8, .is_signed = true, .elem = QL_INT8, .bfmt = -1},
	[QL_Q_UINT8] = {.name = "uint8", INT_TARGET, .bits = 8, .elem = QL_UINT8, .bfmt = -1},
	[QL_Q_INT4] = {.name = "int4", INT_TARGET, .bits = 4, .is_signed = true, .elem = QL_INT4, .bfmt = -1},
	[QL_Q_UINT4] = {.name = "uint4", INT_TARGET, .bits = 4, .elem = QL_UINT4, .bfmt = -1},
	[QL_Q_INT2] = {.name = "int2", INT_TARGET, .bits = 2, .is_signed = true, .elem = QL_INT2, .bfmt = -1},
	[QL_Q_UINT2] = {.name = "uint2", INT_TARGET, .bits = 2, .elem = QL_UINT2, .bfmt = -1},
	/* No number format of their own in format.h: the code lives in a byte. */
	[QL_Q_INT7] = {.name = "int7", INT_TARGET, .bits = 7, .is_signed = true, .elem = QL_INT8, .bfmt = -1},
	[QL_Q_UINT7] = {.name = "uint7", INT_TARGET, .bits = 7, .elem = QL_UINT8, .bfmt = -1},
	[QL_Q_INT6] = {.name = "int6", INT_TARGET, .bits = 6, .is_signed = true, .elem = QL_INT8, .bfmt = -1},
	[QL_Q_UINT6] = {.name = "uint6", INT_TARGET, .bits = 6, .elem = QL_UINT8, .bfmt = -1},
	[QL_Q_INT5] = {.name = "int5", INT_TARGET, .bits = 5, .is_signed = true, .elem = QL_INT8, .bfmt = -1},
	[QL_Q_UINT5] = {.name = "uint5", INT_TARGET, .bits = 5, .elem = QL_UINT8, .bfmt = -1},
	[QL_Q_INT3] = {.name = "int3", INT_TARGET, .bits = 3, .is_signed = true, .elem = QL_INT8, .bfmt = -1},
	[QL_Q_UINT3] = {.name = "uint3", INT_TARGET, .bits = 3, .elem = QL_UINT8, .bfmt = -1},
	[QL_Q_FP8_E4M3] = {.name = "fp8_e4m3", FLOAT_TARGET, .elem = QL_FP8_E4M3, .elem_max = 448.0f,
			   .bfmt = -1},
	[QL_Q_FP8_E5M2] = {.name = "fp8_e5m2", FLOAT_TARGET, .elem = QL_FP8_E5M2,
			   .elem_max = 57344.0f, .bfmt = -1},
	[QL_Q_MXFP8] = {.name = "mxfp8", MX_TARGET(QL_MX_BLOCK), .bits = 8, .elem = QL_FP8_E4M3,
			.qmin = 0, .qmax = 255, .elem_max = 448.0f, .bfmt = -1},
	[QL_Q_MXFP4] = {.name = "mxfp4", MX_TARGET(QL_MX_BLOCK / 2), .bits = 4, .elem = QL_FP4_E2M1,
			.qmin = 0, .qmax = 15, .elem_max = 6.0f, .bfmt = -1},
	[QL_Q_MXINT8] = {.name = "mxint8", MX_TARGET(QL_MX_BLOCK), .bits = 8, .is_signed = true,
			 .elem = QL_INT8, .qmin = -127, .qmax = 127, .elem_max = 127.0f / 64.0f,
			 .bfmt = -1},
	[QL_Q_NF4] = {.name = "nf4", .kind = QL_QK_NF4, .bits = 4, .elem = QL_NF4,
		      .block = QL_NF4_BLOCK, .qmin = 0, .qmax = 15, .elem_max = 1.0f,
		      .raw_unit_bytes = QL_NF4_BLOCK / 2, .raw_packed = true, .flat_blocks = true,
		      .scales_stored = true,
		      .quantize_block = ql_qt_block_nf4, .dequantize = ql_qt_dequantize_nf4,
		      .describe = ql_qt_describe_block, .fast_units = ql_qt_fast_nf4, .bfmt = -1},
	[QL_Q_Q8_0] = {.name = "q8_0", GGML_TARGET(QL_QK8_0, ql_block_q8_0), .bits = 8,
		       .is_signed = true, .elem = QL_INT8, .qmin = -128, .qmax = 127,
		       .fast_units = ql_qt_fast_q8_0, .bfmt = -2},
	[QL_Q_Q4_0] = {.name = "q4_0", GGML_TARGET(QL_QK4_0, ql_block_q4_0), .bits = 4,
		       .elem = QL_UINT4, .qmin = 0, .qmax = 15, .fast_units = ql_qt_fast_q4_0,
		       .bfmt = -2},
};

/* The block formats of blockfmt.h that have a quantizer and no built-in
 * target of their name become targets QL_Q_COUNT, QL_Q_COUNT + 1, ...; their
 * entries are made once, from the block table. (bfmt -2 above: "look it up
 * by name", done here too.) */
#define MAX_TARGETS (QL_Q_COUNT + 64)

static ql_qdtype_info all_targets[MAX_TARGETS];
static int n_targets;
static pthread_once_t targets_once = PTHREAD_ONCE_INIT;

static void targets_init(void)
{
	memcpy(all_targets, ql_qdtypes, sizeof ql_qdtypes);
	n_targets = QL_Q_COUNT;
	for (int t = 0; t < QL_Q_COUNT; t++) {
		all_targets[t].id = (ql_qdtype)t;
		if (all_targets[t].bfmt != -2)
			continue;
		const ql_block_traits *bf = ql_block_find(all_targets[t].name);
		all_targets[t].bfmt = bf ? (int)(bf - ql_block_formats) : -1;
	}
	for (int i = 0; i < ql_block_format_count && n_targets < MAX_TARGETS; i++) {
		const ql_block_traits *bf = &ql_block_formats[i];
		bool known = false;
		for (int t = 0; t < QL_Q_COUNT; t++)
			known |= !strcasecmp(ql_qdtypes[t].name, bf->name);
		if (known || !bf->quantize_row_ref)
			continue;
		/* code width: what the codes' range needs, as a packable 1, 2, 4 or 8 */
		int bits = 1;
		while (bits < 8 && ((int64_t)1 << bits) < (int64_t)bf->qmax - bf->qmin + 1)
			bits *= 2;
		all_targets[n_targets++] = (ql_qdtype_info){
			.name = bf->name, .kind = QL_QK_GGML, .block = bf->block,
			.block_bytes = bf->bytes, .raw_unit_bytes = bf->bytes,
			.quantize_block = ql_qt_block_ggml, .dequantize = ql_qt_dequantize_ggml,
			.describe = ql_qt_describe_block, .bits = bits,
			.is_signed = bf->codes_signed, .elem = bf->codes_signed ? QL_INT8 : QL_UINT8,
			.qmin = bf->qmin, .qmax = bf->qmax, .bfmt = i, .id = (ql_qdtype)n_targets,
		};
	}
}

const ql_qdtype_info *ql_qdtype_of(ql_qdtype t)
{
	pthread_once(&targets_once, targets_init);
	return (unsigned)t < (unsigned)n_targets ? &all_targets[t] : NULL;
}

int ql_qdtype_count(void)
{
	pthread_once(&targets_once, targets_init);
	return n_targets;
}

static const char *const calib_names[QL_CALIB_COUNT] = {
	[QL_CALIB_MINMAX] = "minmax",
	[QL_CALIB_PERCENTILE] = "percentile",
	[QL_CALIB_MSE] = "mse",
	[QL_CALIB_ENTROPY] = "entropy",
};

const char *ql_qdtype_name(ql_qdtype t)
{
	const ql_qdtype_info *info = ql_qdtype_of(t);
	return info ? info->name : "?";
}

const char *ql_calib_name(ql_calib c)
{
	return (unsigned)c < QL_CALIB_COUNT ? calib_names[c] : "?";
}

/* ---- Schemes ------------------------------------------------------------------ */

static const char *const scale_dtype_names[] = {"fp32", "fp16", "bf16"};

int ql_scheme_parse_scale_dtype(const char *word, ql_scale_dtype *out, ql_error *err)
{
	for (int i = 0; i < 3; i++)
		if (word && strcasecmp(word, scale_dtype_names[i]) == 0) {
			*out = (ql_scale_dtype)i;
			return 0;
		}
	return ql_error_set(err, "unknown scale dtype '%s' (fp32, fp16 or bf16)", word ? word : "");
}

const char *ql_scale_dtype_name(ql_scale_dtype d)
{
	return (unsigned)d < 3 ? scale_dtype_names[d] : "?";
}

int ql_scale_dtype_bytes(ql_scale_dtype d)
{
	return d == QL_SCALE_FP32 ? 4 : 2;
}

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
	int count = ql_qdtype_count();
	for (int t = 0; t < count; t++) {
		if (!strcasecmp(word, ql_qdtype_of((ql_qdtype)t)->name)) {
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
	char list[512] = "";
	for (int t = 0; t < count; t++) {
		strncat(list, ql_qdtype_of((ql_qdtype)t)->name, sizeof list - strlen(list) - 1);
		if (t + 1 < count)
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
	const ql_qdtype_info *info = ql_qdtype_of(s->dtype);
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
	const ql_qdtype_info *info = ql_qdtype_of(s->dtype);
	if (info->kind != QL_QK_INT) {
		*qmin = info->qmin;
		*qmax = info->qmax;
		return;
	}
	int32_t half = 1 << (info->bits - 1);
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
}

int ql_scheme_validate(const ql_scheme *s, const int64_t *shape, int ndim, ql_error *err)
{
	const ql_qdtype_info *info = ql_qdtype_of(s->dtype);
	if (!info)
		return ql_error_set(err, "unknown quantization dtype");
	const char *name = info->name;
	bool blocky = info->quantize_block != NULL;

	if ((unsigned)s->calib >= QL_CALIB_COUNT)
		return ql_error_set(err, "unknown calibration method");
	if ((unsigned)s->scale_dtype > QL_SCALE_BF16)
		return ql_error_set(err, "unknown scale dtype");
	if (s->scale_dtype != QL_SCALE_FP32 && info->kind != QL_QK_INT)
		return ql_error_set(err, "--scale-dtype is for the affine integer schemes (%s has "
				    "its own scale format)", name);
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
	return ql_qdtype_of(s->dtype)->describe(s, buf, n);
}

/* The describe members of the table. */
int ql_qt_describe_block(const ql_scheme *s, char *buf, size_t n)
{
	const ql_qdtype_info *info = ql_qdtype_of(s->dtype);
	return snprintf(buf, n, "%s blocks of %d", info->name, info->block);
}

int ql_qt_describe_scaled(const ql_scheme *s, char *buf, size_t n)
{
	const ql_qdtype_info *info = ql_qdtype_of(s->dtype);
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
	return snprintf(buf, n, "%s %s %s %s%s%s", info->name,
			ql_scheme_symmetry(s) == QL_SYM ? "sym" : "asym", gran, calib,
			s->scale_dtype != QL_SCALE_FP32 ? " scale " : "",
			s->scale_dtype != QL_SCALE_FP32 ? ql_scale_dtype_name(s->scale_dtype) : "");
}

int ql_scheme_rank(bool a_ok, double a_bpw, double a_sqnr, bool b_ok, double b_bpw,
		   double b_sqnr)
{
	if (a_ok != b_ok)
		return a_ok ? -1 : 1;
	if (!a_ok)
		return 0;
	if (a_bpw != b_bpw)
		return a_bpw < b_bpw ? -1 : 1;
	if (isnan(a_sqnr) || isnan(b_sqnr))
		return isnan(a_sqnr) - isnan(b_sqnr);
	return a_sqnr > b_sqnr ? -1 : a_sqnr < b_sqnr;
}
