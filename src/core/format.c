/* format.c — the number-format table and exact encode/decode for each format.
 *
 * Everything is driven by ql_formats[]: a float format is a sign bit, an
 * exponent field and a mantissa field with a bias, a NaN style and an
 * overflow rule; the same few functions serve fp32 and fp4 alike. Encoding
 * rounds in double arithmetic that is exact: the input is scaled by a power
 * of two so that the format's last mantissa bit has weight 1, then rounded to
 * an integer (rint/trunc), so no intermediate rounding ever happens.
 *
 * Overflow rules (what a finite value too large for the format becomes):
 *   fp64 fp32 fp16 bf16 fp8_e5m2  -> ±inf (IEEE 754, and PyTorch's casts)
 *   fp8_e4m3 (e4m3fn)             -> NaN: it has no inf; PyTorch's cast gives
 *                                    NaN for values that round above 448
 *                                    (464 -> 448, but 465 -> NaN)
 *   fp6_e2m3 fp6_e3m2 fp4_e2m1    -> ±max: no inf or NaN codes (OCP MX spec:
 *                                    conversions saturate)
 *   e8m0                          -> 2^127 (saturates); it has no zero and no
 *                                    sign: 0 and negatives are invalid
 *   ints, nf4                     -> clamp to the end of the range
 * Rounding toward zero never overflows to inf: it saturates (IEEE 754 too).
 *
 * NaN: encoding keeps the sign and the top payload bits and sets the quiet
 * bit, as IEEE 754 hardware conversions do. (PyTorch instead returns one
 * canonical NaN: 0x7E00 for fp16, 0x7FC0 for bf16.) Formats without NaN
 * store a NaN input as +0 and report QL_ST_INVALID.
 */
#include "qlens/format.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The NF4 codebook: bitsandbytes' get_4bit_type("nf4") (functional.py),
 * quantiles of N(0, 1) normalised to [-1, 1], as float32. */
const float ql_nf4_levels[16] = {
	-1.0f,
	-0.6961928009986877f,
	-0.5250730514526367f,
	-0.39491748809814453f,
	-0.28444138169288635f,
	-0.18477343022823334f,
	-0.09105003625154495f,
	0.0f,
	0.07958029955625534f,
	0.16093020141124725f,
	0.24611230194568634f,
	0.33791524171829224f,
	0.44070982933044434f,
	0.5626170039176941f,
	0.7229568362236023f,
	1.0f,
};

/* bitsandbytes' dQuantizeNF4 decision thresholds (midpoints between
 * neighbouring levels, as float32 literals in its kernel): a value x gets
 * the code equal to the number of thresholds it is strictly greater than. */
static const float nf4_thresholds[15] = {
	-0.8480964004993439f,  -0.6106329262256622f, -0.4599952697753906f,
	-0.33967943489551544f, -0.23460740596055984f, -0.13791173323988914f,
	-0.045525018125772476f, 0.03979014977812767f, 0.1202552504837513f,
	0.2035212516784668f,   0.2920137718319893f,  0.3893125355243683f,
	0.5016634166240692f,   0.6427869200706482f,  0.8614784181118011f,
};

#define FLOAT_FMT(nm, ttl, b, e, m, bi, inf, nanstyle, ovf, torch, rule)                      \
	{                                                                                     \
		.name = nm, .title = ttl, .kind = QL_KIND_FLOAT, .bits = b, .sign_bits = 1,   \
		.exp_bits = e, .man_bits = m, .bias = bi, .has_inf = inf, .nan = nanstyle,    \
		.overflow = ovf, .torch_name = torch, .overflow_rule = rule,                  \
	}

#define INT_FMT(nm, ttl, b, lo, hi, torch)                                                    \
	{                                                                                     \
		.name = nm, .title = ttl, .kind = QL_KIND_INT, .bits = b, .man_bits = b,      \
		.nan = QL_NAN_NONE, .overflow = QL_OVERFLOW_SATURATE, .imin = lo, .imax = hi, \
		.torch_name = torch,                                                          \
		.overflow_rule = "out-of-range values clamp to the ends of the range",        \
	}

static const char ieee_rule[] = "values that round beyond the largest finite value become ±inf";

const ql_format ql_formats[QL_TYPE_COUNT] = {
	[QL_FP64] = FLOAT_FMT("fp64", "IEEE 754 binary64 (double)", 64, 11, 52, 1023, true,
			      QL_NAN_IEEE, QL_OVERFLOW_INF, "torch.float64", ieee_rule),
	[QL_FP32] = FLOAT_FMT("fp32", "IEEE 754 binary32 (single)", 32, 8, 23, 127, true,
			      QL_NAN_IEEE, QL_OVERFLOW_INF, "torch.float32", ieee_rule),
	[QL_FP16] = FLOAT_FMT("fp16", "IEEE 754 binary16 (half)", 16, 5, 10, 15, true,
			      QL_NAN_IEEE, QL_OVERFLOW_INF, "torch.float16", ieee_rule),
	[QL_BF16] = FLOAT_FMT("bf16", "bfloat16 (fp32's exponent, 7-bit mantissa)", 16, 8, 7,
			      127, true, QL_NAN_IEEE, QL_OVERFLOW_INF, "torch.bfloat16", ieee_rule),
	[QL_FP8_E4M3] = FLOAT_FMT("fp8_e4m3", "OCP FP8 E4M3 (e4m3fn: no inf)", 8, 4, 3, 7, false,
				  QL_NAN_FN, QL_OVERFLOW_NAN, "torch.float8_e4m3fn",
				  "no inf: values that round beyond 448 become NaN (PyTorch's "
				  "cast); scaled quantization saturates to ±448 instead"),
	[QL_FP8_E5M2] = FLOAT_FMT("fp8_e5m2", "OCP FP8 E5M2 (IEEE-like)", 8, 5, 2, 15, true,
				  QL_NAN_IEEE, QL_OVERFLOW_INF, "torch.float8_e5m2", ieee_rule),
	[QL_FP6_E2M3] = FLOAT_FMT("fp6_e2m3", "OCP MX FP6 E2M3", 6, 2, 3, 1, false, QL_NAN_NONE,
				  QL_OVERFLOW_SATURATE, NULL,
				  "no inf or NaN: values beyond ±7.5 saturate to ±7.5"),
	[QL_FP6_E3M2] = FLOAT_FMT("fp6_e3m2", "OCP MX FP6 E3M2", 6, 3, 2, 3, false, QL_NAN_NONE,
				  QL_OVERFLOW_SATURATE, NULL,
				  "no inf or NaN: values beyond ±28 saturate to ±28"),
	[QL_FP4_E2M1] = FLOAT_FMT("fp4_e2m1", "OCP MX FP4 E2M1", 4, 2, 1, 1, false, QL_NAN_NONE,
				  QL_OVERFLOW_SATURATE, "torch.float4_e2m1fn_x2",
				  "no inf or NaN: values beyond ±6 saturate to ±6"),
	[QL_E8M0] = {
		.name = "e8m0", .title = "OCP MX E8M0 scale (2^(e-127), unsigned)",
		.kind = QL_KIND_SCALE, .bits = 8, .exp_bits = 8, .bias = 127,
		.nan = QL_NAN_ALL1, .overflow = QL_OVERFLOW_SATURATE,
		.torch_name = "torch.float8_e8m0fnu",
		.overflow_rule = "powers of two only: values round to the nearest power of two "
				 "and saturate at 2^127 and 2^-127; no zero, no sign",
	},
	[QL_INT8] = INT_FMT("int8", "signed 8-bit integer", 8, -128, 127, "torch.int8"),
	[QL_UINT8] = INT_FMT("uint8", "unsigned 8-bit integer", 8, 0, 255, "torch.uint8"),
	[QL_INT4] = INT_FMT("int4", "signed 4-bit integer", 4, -8, 7, NULL),
	[QL_UINT4] = INT_FMT("uint4", "unsigned 4-bit integer", 4, 0, 15, NULL),
	[QL_INT2] = INT_FMT("int2", "signed 2-bit integer", 2, -2, 1, NULL),
	[QL_UINT2] = INT_FMT("uint2", "unsigned 2-bit integer", 2, 0, 3, NULL),
	[QL_NF4] = {
		.name = "nf4", .title = "NormalFloat4 (bitsandbytes codebook)",
		.kind = QL_KIND_CODEBOOK, .bits = 4, .man_bits = 4, .nan = QL_NAN_NONE,
		.overflow = QL_OVERFLOW_SATURATE, .levels = ql_nf4_levels,
		.overflow_rule = "a lookup of 16 levels in [-1, 1]: values beyond ±1 take the "
				 "end levels (blocks are scaled by their absmax first)",
	},
};

/* --- names ---------------------------------------------------------------- */

static const struct {
	const char *alias;
	ql_type type;
} aliases[] = {
	{"double", QL_FP64},     {"float64", QL_FP64},      {"f64", QL_FP64},
	{"float", QL_FP32},      {"float32", QL_FP32},      {"f32", QL_FP32},
	{"half", QL_FP16},       {"float16", QL_FP16},      {"f16", QL_FP16},
	{"bfloat16", QL_BF16},   {"e4m3", QL_FP8_E4M3},     {"fp8", QL_FP8_E4M3},
	{"float8_e4m3fn", QL_FP8_E4M3}, {"e4m3fn", QL_FP8_E4M3}, {"e5m2", QL_FP8_E5M2},
	{"float8_e5m2", QL_FP8_E5M2},   {"e2m3", QL_FP6_E2M3},  {"e3m2", QL_FP6_E3M2},
	{"fp4", QL_FP4_E2M1},    {"e2m1", QL_FP4_E2M1},     {"float8_e8m0fnu", QL_E8M0},
	{"i8", QL_INT8},         {"u8", QL_UINT8},          {"i4", QL_INT4},
	{"u4", QL_UINT4},        {"i2", QL_INT2},           {"u2", QL_UINT2},
};

bool ql_type_from_name(const char *name, ql_type *out)
{
	for (int t = 0; t < QL_TYPE_COUNT; t++) {
		if (strcasecmp(name, ql_formats[t].name) == 0) {
			*out = (ql_type)t;
			return true;
		}
	}
	for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++) {
		if (strcasecmp(name, aliases[i].alias) == 0) {
			*out = aliases[i].type;
			return true;
		}
	}
	return false;
}

int ql_type_list(const char *list, ql_type *out, int max, const char **bad, size_t *bad_len)
{
	int n = 0;
	const char *p = list;
	for (;;) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		char name[32];
		bool ok = len > 0 && len < sizeof name;
		if (ok && n >= max)
			return -2; /* a known name or not: the list is too long */
		if (ok) {
			memcpy(name, p, len);
			name[len] = '\0';
			ok = ql_type_from_name(name, &out[n]);
		}
		if (!ok) {
			if (bad)
				*bad = p;
			if (bad_len)
				*bad_len = len;
			return -1;
		}
		n++;
		if (!end)
			return n;
		p = end + 1;
	}
}

/* --- fields ---------------------------------------------------------------- */

static uint64_t low_mask(int bits)
{
	return bits >= 64 ? ~UINT64_C(0) : (UINT64_C(1) << bits) - 1;
}

void ql_fields(ql_type t, uint64_t code, unsigned *sign, uint64_t *exp, uint64_t *man)
{
	const ql_format *f = &ql_formats[t];
	code &= ql_code_mask(t);
	unsigned s = 0;
	uint64_t e = 0, m = code;
	if (f->kind == QL_KIND_FLOAT) {
		s = (unsigned)(code >> (f->bits - 1)) & 1u;
		e = (code >> f->man_bits) & low_mask(f->exp_bits);
		m = code & low_mask(f->man_bits);
	} else if (f->kind == QL_KIND_SCALE) {
		e = code;
		m = 0;
	}
	if (sign)
		*sign = s;
	if (exp)
		*exp = e;
	if (man)
		*man = m;
}

static bool float_is_nan(const ql_format *f, uint64_t e, uint64_t m)
{
	uint64_t emax = low_mask(f->exp_bits);
	switch (f->nan) {
	case QL_NAN_IEEE: return e == emax && m != 0;
	case QL_NAN_FN: return e == emax && m == low_mask(f->man_bits);
	default: return false;
	}
}

static bool float_is_inf(const ql_format *f, uint64_t e, uint64_t m)
{
	return f->has_inf && e == low_mask(f->exp_bits) && m == 0;
}

/* --- decode ---------------------------------------------------------------- */

static double bits_to_double(uint64_t u)
{
	double d;
	memcpy(&d, &u, sizeof d);
	return d;
}

static uint64_t double_to_bits(double d)
{
	uint64_t u;
	memcpy(&u, &d, sizeof u);
	return u;
}

double ql_decode(ql_type t, uint64_t code)
{
	const ql_format *f = &ql_formats[t];
	code &= ql_code_mask(t);
	if (t == QL_FP64)
		return bits_to_double(code);

	unsigned s;
	uint64_t e, m;
	ql_fields(t, code, &s, &e, &m);
	switch (f->kind) {
	case QL_KIND_FLOAT: {
		double v;
		if (float_is_nan(f, e, m)) {
			/* Keep the payload, aligned to the top of a double's mantissa. */
			uint64_t payload = f->man_bits ? m << (52 - f->man_bits) : 0;
			if (f->nan == QL_NAN_FN || payload == 0)
				payload = UINT64_C(1) << 51;
			return bits_to_double((uint64_t)s << 63 | UINT64_C(0x7FF) << 52 | payload);
		}
		if (float_is_inf(f, e, m))
			v = INFINITY;
		else if (e == 0)
			v = ldexp((double)m, 1 - f->bias - f->man_bits);
		else
			v = ldexp((double)((UINT64_C(1) << f->man_bits) | m),
				  (int)e - f->bias - f->man_bits);
		return s ? -v : v;
	}
	case QL_KIND_SCALE:
		return code == 0xFF ? NAN : ldexp(1.0, (int)code - f->bias);
	case QL_KIND_INT:
		if (f->imin < 0 && (code >> (f->bits - 1)) & 1)
			return (double)((int64_t)code - ((int64_t)1 << f->bits));
		return (double)code;
	case QL_KIND_CODEBOOK:
		return f->levels[code];
	}
	return NAN;
}

/* --- encode ---------------------------------------------------------------- */

static double float_max(const ql_format *f)
{
	int emax_field = (int)low_mask(f->exp_bits) - (f->nan == QL_NAN_IEEE ? 1 : 0);
	uint64_t mmax = low_mask(f->man_bits) - (f->nan == QL_NAN_FN ? 1 : 0);
	return ldexp((double)((UINT64_C(1) << f->man_bits) | mmax), emax_field - f->bias - f->man_bits);
}

static uint64_t float_pack(const ql_format *f, unsigned s, uint64_t e, uint64_t m)
{
	return (uint64_t)s << (f->bits - 1) | e << f->man_bits | m;
}

static uint64_t float_nan_code(const ql_format *f, unsigned s, double x)
{
	if (f->nan == QL_NAN_FN)
		return float_pack(f, s, low_mask(f->exp_bits), low_mask(f->man_bits));
	/* IEEE: top payload bits, quiet bit set. */
	uint64_t payload = (double_to_bits(x) & low_mask(52)) >> (52 - f->man_bits);
	payload |= UINT64_C(1) << (f->man_bits - 1);
	return float_pack(f, s, low_mask(f->exp_bits), payload);
}

/* A finite value beyond the format's range, under the format's rule. */
static uint64_t float_overflow(const ql_format *f, unsigned s, ql_round mode, double x, unsigned *st)
{
	*st |= QL_ST_OVERFLOW | QL_ST_INEXACT;
	ql_overflow rule = f->overflow;
	if (mode == QL_ROUND_TOWARD_ZERO && rule != QL_OVERFLOW_NAN)
		rule = QL_OVERFLOW_SATURATE;
	switch (rule) {
	case QL_OVERFLOW_INF: return float_pack(f, s, low_mask(f->exp_bits), 0);
	case QL_OVERFLOW_NAN:
		if (mode == QL_ROUND_NEAREST_EVEN)
			return float_nan_code(f, s, x);
		/* fallthrough: truncation of a too-large value still saturates */
	case QL_OVERFLOW_SATURATE: break;
	}
	int emax_field = (int)low_mask(f->exp_bits) - (f->nan == QL_NAN_IEEE ? 1 : 0);
	uint64_t mmax = low_mask(f->man_bits) - (f->nan == QL_NAN_FN ? 1 : 0);
	return float_pack(f, s, (uint64_t)emax_field, mmax);
}

static uint64_t encode_float(const ql_format *f, double x, ql_round mode, unsigned *st)
{
	unsigned s = signbit(x) ? 1u : 0u;
	if (isnan(x)) {
		if (f->nan == QL_NAN_NONE) {
			*st |= QL_ST_INVALID;
			return 0;
		}
		return float_nan_code(f, s, x);
	}
	if (isinf(x)) {
		if (f->has_inf)
			return float_pack(f, s, low_mask(f->exp_bits), 0);
		*st |= QL_ST_INVALID; /* e4m3fn: NaN (PyTorch's cast); fp6/fp4: ±max */
		return float_overflow(f, s, mode, x, st);
	}
	if (x == 0)
		return float_pack(f, s, 0, 0);

	double a = fabs(x);
	int emin = 1 - f->bias;
	int e = ilogb(a);
	int q = (e > emin ? e : emin) - f->man_bits; /* weight of the last mantissa bit */
	double scaled = ldexp(a, -q);                /* exact: a power-of-two scaling */
	double r = mode == QL_ROUND_NEAREST_EVEN ? nearbyint(scaled) : trunc(scaled);
	if (r != scaled)
		*st |= QL_ST_INEXACT;
	if (r == 0) {
		*st |= QL_ST_UNDERFLOW | QL_ST_INEXACT;
		return float_pack(f, s, 0, 0);
	}
	if (ldexp(r, q) > float_max(f))
		return float_overflow(f, s, mode, x, st);

	uint64_t ri = (uint64_t)r, hidden = UINT64_C(1) << f->man_bits;
	if (ri < hidden) /* subnormal (only when q is the subnormal quantum) */
		return float_pack(f, s, 0, ri);
	int ebits = q + f->man_bits;
	if (ri == hidden << 1) { /* rounded up into the next binade */
		ri = hidden;
		ebits++;
	}
	return float_pack(f, s, (uint64_t)(ebits + f->bias), ri - hidden);
}

static uint64_t encode_e8m0(const ql_format *f, double x, ql_round mode, unsigned *st)
{
	if (isnan(x))
		return 0xFF;
	if (x <= 0) {
		*st |= QL_ST_INVALID | QL_ST_INEXACT;
		if (x == 0) {
			*st |= QL_ST_UNDERFLOW;
			return 0;
		}
		x = -x;
	}
	if (isinf(x)) {
		*st |= QL_ST_OVERFLOW | QL_ST_INEXACT;
		return 0xFE;
	}
	int e = ilogb(x);
	double frac = ldexp(x, -e); /* in [1, 2) */
	if (frac != 1.0)
		*st |= QL_ST_INEXACT;
	long code = (long)e + f->bias;
	/* Nearest power of two in value: the midpoint of [2^e, 2^(e+1)] is 1.5 * 2^e. */
	if (mode == QL_ROUND_NEAREST_EVEN && (frac > 1.5 || (frac == 1.5 && (code & 1))))
		code++;
	if (code > 0xFE) {
		*st |= QL_ST_OVERFLOW | QL_ST_INEXACT;
		return 0xFE;
	}
	if (code < 0) {
		*st |= QL_ST_UNDERFLOW | QL_ST_INEXACT;
		return 0;
	}
	return (uint64_t)code;
}

static uint64_t encode_int(const ql_format *f, double x, ql_round mode, unsigned *st)
{
	if (isnan(x)) {
		*st |= QL_ST_INVALID;
		return 0;
	}
	if (isinf(x))
		*st |= QL_ST_INVALID; /* clamped below, but an int has no inf */
	double r = mode == QL_ROUND_NEAREST_EVEN ? nearbyint(x) : trunc(x);
	if (r != x)
		*st |= QL_ST_INEXACT;
	if (r == 0 && x != 0)
		*st |= QL_ST_UNDERFLOW;
	int64_t v;
	if (r < (double)f->imin) {
		v = f->imin;
		*st |= QL_ST_OVERFLOW | QL_ST_INEXACT;
	} else if (r > (double)f->imax) {
		v = f->imax;
		*st |= QL_ST_OVERFLOW | QL_ST_INEXACT;
	} else {
		v = (int64_t)r;
	}
	return (uint64_t)v & low_mask(f->bits);
}

static uint64_t encode_codebook(const ql_format *f, double x, ql_round mode, unsigned *st)
{
	int n = 1 << f->bits;
	if (isnan(x)) {
		*st |= QL_ST_INVALID;
		for (int c = 0; c < n; c++)
			if (f->levels[c] == 0)
				return (uint64_t)c;
		return 0;
	}
	if (isinf(x))
		*st |= QL_ST_INVALID;
	if (x < f->levels[0] || x > f->levels[n - 1])
		*st |= QL_ST_OVERFLOW;
	int code = 0;
	if (mode == QL_ROUND_NEAREST_EVEN && f->levels == ql_nf4_levels) {
		while (code < n - 1 && x > (double)nf4_thresholds[code])
			code++;
	} else if (mode == QL_ROUND_NEAREST_EVEN) {
		/* nearest level; on a tie, the lower one */
		for (int c = 1; c < n; c++)
			if (fabs(x - f->levels[c]) < fabs(x - f->levels[code]))
				code = c;
	} else {
		/* toward zero: the level nearest x that is not larger in magnitude */
		int zero = 0;
		for (int c = 0; c < n; c++)
			if (f->levels[c] == 0)
				zero = c;
		code = zero;
		for (int c = 0; c < n; c++) {
			double l = f->levels[c];
			if ((x >= 0 && l >= 0 && l <= x && l > f->levels[code]) ||
			    (x < 0 && l <= 0 && l >= x && l < f->levels[code]))
				code = c;
		}
	}
	if ((double)f->levels[code] != x)
		*st |= QL_ST_INEXACT;
	return (uint64_t)code;
}

uint64_t ql_encode(ql_type t, double x, ql_round mode, unsigned *status)
{
	const ql_format *f = &ql_formats[t];
	unsigned st = 0;
	uint64_t code = 0;
	if (t == QL_FP64) {
		code = double_to_bits(x);
	} else {
		switch (f->kind) {
		case QL_KIND_FLOAT: code = encode_float(f, x, mode, &st); break;
		case QL_KIND_SCALE: code = encode_e8m0(f, x, mode, &st); break;
		case QL_KIND_INT: code = encode_int(f, x, mode, &st); break;
		case QL_KIND_CODEBOOK: code = encode_codebook(f, x, mode, &st); break;
		}
	}
	if (status)
		*status = st;
	return code;
}

uint64_t ql_cast(ql_type t, double x, unsigned *status)
{
	ql_round mode = ql_formats[t].kind == QL_KIND_INT ? QL_ROUND_TOWARD_ZERO : QL_ROUND_NEAREST_EVEN;
	return ql_encode(t, x, mode, status);
}

/* --- classify, neighbours -------------------------------------------------- */

ql_class ql_classify(ql_type t, uint64_t code)
{
	const ql_format *f = &ql_formats[t];
	code &= ql_code_mask(t);
	unsigned s;
	uint64_t e, m;
	ql_fields(t, code, &s, &e, &m);
	switch (f->kind) {
	case QL_KIND_FLOAT:
		if (float_is_nan(f, e, m))
			return QL_CLASS_NAN;
		if (float_is_inf(f, e, m))
			return QL_CLASS_INF;
		if (e == 0)
			return m == 0 ? QL_CLASS_ZERO : QL_CLASS_SUBNORMAL;
		return QL_CLASS_NORMAL;
	case QL_KIND_SCALE: return code == 0xFF ? QL_CLASS_NAN : QL_CLASS_NORMAL;
	case QL_KIND_INT: return ql_decode(t, code) == 0 ? QL_CLASS_ZERO : QL_CLASS_INTEGER;
	case QL_KIND_CODEBOOK: return f->levels[code] == 0 ? QL_CLASS_ZERO : QL_CLASS_LEVEL;
	}
	return QL_CLASS_NAN;
}

const char *ql_class_name(ql_class c)
{
	static const char *const names[] = {
		[QL_CLASS_ZERO] = "zero",       [QL_CLASS_SUBNORMAL] = "subnormal",
		[QL_CLASS_NORMAL] = "normal",   [QL_CLASS_INF] = "inf",
		[QL_CLASS_NAN] = "nan",         [QL_CLASS_INTEGER] = "integer",
		[QL_CLASS_LEVEL] = "level",
	};
	return (unsigned)c < sizeof names / sizeof names[0] ? names[c] : "?";
}

bool ql_next(ql_type t, uint64_t code, int dir, uint64_t *out)
{
	const ql_format *f = &ql_formats[t];
	code &= ql_code_mask(t);
	if (dir == 0) {
		*out = code;
		return true;
	}
	switch (f->kind) {
	case QL_KIND_FLOAT: {
		if (ql_classify(t, code) == QL_CLASS_NAN)
			return false;
		uint64_t sbit = UINT64_C(1) << (f->bits - 1);
		uint64_t mag = code & ~sbit;
		bool neg = (code & sbit) != 0;
		bool away = (dir > 0) != neg; /* moving away from zero */
		uint64_t next;
		if (away) {
			next = code + 1; /* same sign, one more magnitude */
			ql_class nc = ql_classify(t, next);
			if (nc == QL_CLASS_NAN || nc == QL_CLASS_INF || (mag + 1) > (sbit - 1))
				return false;
			if (ql_classify(t, code) == QL_CLASS_INF)
				return false;
		} else if (mag == 0) {
			next = (neg ? 0 : sbit) | 1; /* from ±0 to the other side */
		} else {
			next = code - 1;
		}
		*out = next;
		return true;
	}
	case QL_KIND_SCALE:
		if (code == 0xFF || (dir > 0 && code == 0xFE) || (dir < 0 && code == 0))
			return false;
		*out = dir > 0 ? code + 1 : code - 1;
		return true;
	case QL_KIND_INT: {
		double v = ql_decode(t, code) + (dir > 0 ? 1 : -1);
		if (v < (double)f->imin || v > (double)f->imax)
			return false;
		*out = ql_encode(t, v, QL_ROUND_NEAREST_EVEN, NULL);
		return true;
	}
	case QL_KIND_CODEBOOK:
		if ((dir > 0 && code == low_mask(f->bits)) || (dir < 0 && code == 0))
			return false;
		*out = dir > 0 ? code + 1 : code - 1;
		return true;
	}
	return false;
}

/* --- finfo ----------------------------------------------------------------- */

static void set_resolution(ql_finfo *fi)
{
	fi->precision = (int)floor(-log10(fi->eps));
	char text[16];
	snprintf(text, sizeof text, "1e%d", -fi->precision);
	fi->resolution = strtod(text, NULL); /* the double nearest 10^-p, like Python's 10**-p */
}

void ql_finfo_get(ql_type t, ql_finfo *fi)
{
	const ql_format *f = &ql_formats[t];
	memset(fi, 0, sizeof *fi);
	fi->bits = f->bits;
	fi->exp_bits = f->exp_bits;
	fi->man_bits = f->kind == QL_KIND_FLOAT ? f->man_bits : 0;
	fi->bias = f->bias;
	switch (f->kind) {
	case QL_KIND_FLOAT: {
		fi->eps = ldexp(1.0, -f->man_bits);
		fi->max = float_max(f);
		fi->min = -fi->max;
		fi->smallest_normal = ldexp(1.0, 1 - f->bias);
		fi->tiny = fi->smallest_normal;
		fi->smallest_subnormal = f->man_bits ? ldexp(1.0, 1 - f->bias - f->man_bits) : 0;
		/* all codes, less NaN and inf codes, less -0 */
		double codes = ldexp(1.0, f->bits);
		double specials = f->nan == QL_NAN_IEEE ? 2 * ldexp(1.0, f->man_bits)
				: f->nan == QL_NAN_FN ? 2 : 0;
		fi->levels = codes - specials - 1;
		set_resolution(fi);
		break;
	}
	case QL_KIND_SCALE:
		fi->eps = 1.0;
		fi->max = ldexp(1.0, 0xFE - f->bias);
		fi->min = ldexp(1.0, -f->bias);
		fi->smallest_normal = fi->tiny = fi->min;
		fi->levels = 255;
		set_resolution(fi);
		break;
	case QL_KIND_INT:
		fi->eps = 1.0;
		fi->max = (double)f->imax;
		fi->min = (double)f->imin;
		fi->smallest_normal = fi->tiny = 1.0;
		fi->levels = (double)(f->imax - f->imin + 1);
		set_resolution(fi);
		break;
	case QL_KIND_CODEBOOK: {
		int n = 1 << f->bits;
		fi->max = f->levels[n - 1];
		fi->min = f->levels[0];
		double tiny = INFINITY, one_next = NAN;
		for (int c = 0; c < n; c++) {
			if (f->levels[c] > 0 && f->levels[c] < tiny)
				tiny = f->levels[c];
		}
		fi->eps = one_next; /* no level above 1.0: eps is undefined */
		fi->smallest_normal = fi->tiny = tiny;
		fi->levels = n;
		fi->precision = 0;
		fi->resolution = NAN;
		break;
	}
	}
}

/* --- text ------------------------------------------------------------------ */

void ql_bits_string(ql_type t, uint64_t code, char sep, char *buf, size_t n)
{
	const ql_format *f = &ql_formats[t];
	code &= ql_code_mask(t);
	size_t k = 0;
	for (int i = f->bits - 1; i >= 0 && k + 1 < n; i--) {
		buf[k++] = (char)('0' + ((code >> i) & 1));
		bool field_end = f->kind == QL_KIND_FLOAT &&
				 (i == f->bits - 1 || (i == f->man_bits && f->man_bits > 0));
		if (sep && field_end && i > 0 && k + 1 < n)
			buf[k++] = sep;
	}
	if (n)
		buf[k < n ? k : n - 1] = '\0';
}

#include "qlens/decimal.h"

int ql_explain(ql_type t, uint64_t code, bool utf8, char *buf, size_t n)
{
	const ql_format *f = &ql_formats[t];
	const char *times = utf8 ? "\xc3\x97" : "x";
	const char *ne = utf8 ? "\xe2\x89\xa0" : "!=";
	code &= ql_code_mask(t);
	double v = ql_decode(t, code);
	char val[QL_DECIMAL_MAX];
	ql_decimal_exact(v, val, sizeof val);
	unsigned s;
	uint64_t e, m;
	ql_fields(t, code, &s, &e, &m);
	ql_class c = ql_classify(t, code);

	switch (f->kind) {
	case QL_KIND_FLOAT: {
		const char *sg = s ? "-1" : "+1";
		if (c == QL_CLASS_NAN)
			return f->nan == QL_NAN_FN
				? snprintf(buf, n, "NaN: S.%s is the only NaN pattern (%s has no infinity)",
					   f->exp_bits == 4 ? "1111.111" : "all ones", f->name)
				: snprintf(buf, n, "NaN: exponent all ones, mantissa %s 0 (%s NaN, payload 0x%llx)",
					   ne, (m >> (f->man_bits - 1)) & 1 ? "quiet" : "signalling",
					   (unsigned long long)m);
		if (c == QL_CLASS_INF)
			return snprintf(buf, n, "%sinf: exponent all ones, mantissa 0", s ? "-" : "+");
		if (c == QL_CLASS_ZERO)
			return snprintf(buf, n, "%s0: exponent and mantissa all zero", s ? "-" : "+");
		char mant[72];
		size_t k = 0;
		mant[k++] = c == QL_CLASS_SUBNORMAL ? '0' : '1';
		if (f->man_bits > 0) {
			mant[k++] = '.';
			for (int i = f->man_bits - 1; i >= 0; i--)
				mant[k++] = (char)('0' + ((m >> i) & 1));
		}
		mant[k] = '\0';
		if (c == QL_CLASS_SUBNORMAL)
			return snprintf(buf, n, "%s %s 2^(1 - %d) %s %sb = %s (subnormal: no hidden 1)",
					sg, times, f->bias, times, mant, val);
		return snprintf(buf, n, "%s %s 2^(%llu - %d) %s %sb = %s", sg, times,
				(unsigned long long)e, f->bias, times, mant, val);
	}
	case QL_KIND_SCALE:
		if (c == QL_CLASS_NAN)
			return snprintf(buf, n, "NaN: 0xFF is e8m0's only special code");
		return snprintf(buf, n, "2^(%llu - %d) = %s (a power of two: no sign, no mantissa)",
				(unsigned long long)e, f->bias, val);
	case QL_KIND_INT:
		if (f->imin < 0)
			return snprintf(buf, n, "two's complement: %s%lld + %lld = %s",
					(code >> (f->bits - 1)) & 1 ? "-" : "", 
					(code >> (f->bits - 1)) & 1 ? (long long)1 << (f->bits - 1) : 0LL,
					(long long)(code & low_mask(f->bits - 1)), val);
		return snprintf(buf, n, "unsigned binary: %s", val);
	case QL_KIND_CODEBOOK:
		return snprintf(buf, n, "code %llu of the %s table = %s (times the block's absmax)",
				(unsigned long long)code, f->name, val);
	}
	return snprintf(buf, n, "%s", val);
}
