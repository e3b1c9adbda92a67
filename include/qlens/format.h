/* format.h — every number format qlens knows, bit by bit.
 *
 * One table (ql_formats[], designated initialisers, indexed by ql_type)
 * describes each format: its fields, bias, special values and overflow rule.
 * The functions below work from that table alone:
 *
 *   code = ql_encode(QL_FP16, 1.0 / 3, QL_ROUND_NEAREST_EVEN, &status);
 *   value = ql_decode(QL_FP16, code);            -> 0.333251953125, exactly
 *
 * A "code" is the format's bit pattern, right-aligned in a uint64_t (an
 * int4 code 0xF is -1). Decoding is exact: every value of every format here
 * is a double. Encoding rounds a double to the format.
 *
 * Two different operations turn a float into an integer format, and the
 * core keeps them apart:
 *   - a CAST (ql_cast): what torch.tensor(x, dtype=torch.int8) and C's
 *     (int8_t)x do: truncate toward zero. int8(1/3) = 0.
 *   - ROUNDING (ql_encode with QL_ROUND_NEAREST_EVEN): what quantization
 *     does to x / scale before clamping: nearest integer, ties to even.
 * For float formats ql_cast is ql_encode with round-to-nearest-even.
 *
 * Not here: scales, zero points and blocks (quant.h), tensors (tensor.h).
 */
#ifndef QLENS_FORMAT_H
#define QLENS_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum ql_type {
	QL_FP64,
	QL_FP32,
	QL_FP16,
	QL_BF16,
	QL_FP8_E4M3,
	QL_FP8_E5M2,
	QL_FP6_E2M3,
	QL_FP6_E3M2,
	QL_FP4_E2M1,
	QL_E8M0,
	QL_INT8,
	QL_UINT8,
	QL_INT4,
	QL_UINT4,
	QL_INT2,
	QL_UINT2,
	QL_NF4,
	QL_TYPE_COUNT
} ql_type;

typedef enum ql_kind {
	QL_KIND_FLOAT,    /* sign, exponent, mantissa */
	QL_KIND_SCALE,    /* e8m0: exponent only, unsigned, 2^(e - 127) */
	QL_KIND_INT,      /* two's complement or unsigned integer */
	QL_KIND_CODEBOOK, /* an index into a table of values (nf4) */
} ql_kind;

/* What ql_encode does with a finite value whose rounded magnitude exceeds
 * the largest finite value of the format. */
typedef enum ql_overflow {
	QL_OVERFLOW_INF,      /* IEEE: becomes ±inf (fp64 fp32 fp16 bf16 e5m2) */
	QL_OVERFLOW_NAN,      /* becomes NaN (e4m3fn, like PyTorch's cast) */
	QL_OVERFLOW_SATURATE, /* clamps to ±max (fp6, fp4, ints, nf4, e8m0) */
} ql_overflow;

/* Which codes are NaN. */
typedef enum ql_nan_style {
	QL_NAN_NONE,  /* no NaN code (fp6, fp4, ints, nf4) */
	QL_NAN_IEEE,  /* exponent all ones and mantissa non-zero */
	QL_NAN_FN,    /* only exponent and mantissa all ones (e4m3fn: S.1111.111) */
	QL_NAN_ALL1,  /* the all-ones code (e8m0: 0xFF) */
} ql_nan_style;

typedef enum ql_class {
	QL_CLASS_ZERO,
	QL_CLASS_SUBNORMAL,
	QL_CLASS_NORMAL,
	QL_CLASS_INF,
	QL_CLASS_NAN,
	QL_CLASS_INTEGER, /* a non-zero integer code */
	QL_CLASS_LEVEL,   /* a non-zero codebook entry */
} ql_class;

typedef enum ql_round {
	QL_ROUND_NEAREST_EVEN, /* IEEE default: nearest, ties to even */
	QL_ROUND_TOWARD_ZERO,  /* truncation: drop the bits that do not fit */
} ql_round;

/* ql_encode's status bits (OR-ed). */
enum {
	QL_ST_INEXACT = 1u << 0,   /* the stored value differs from the input */
	QL_ST_OVERFLOW = 1u << 1,  /* beyond the largest finite value */
	QL_ST_UNDERFLOW = 1u << 2, /* non-zero input stored as zero */
	QL_ST_INVALID = 1u << 3,   /* NaN/inf/sign the format cannot store */
};

typedef struct ql_format {
	const char *name;        /* "fp16": the name on the command line */
	const char *title;       /* "IEEE 754 binary16 (half)" */
	ql_kind kind;
	int bits;                /* total width */
	int sign_bits;           /* 0 or 1 */
	int exp_bits;            /* exponent field width (0 for ints) */
	int man_bits;            /* mantissa field width; value bits for ints */
	int bias;                /* exponent bias */
	bool has_inf;
	ql_nan_style nan;
	ql_overflow overflow;
	int64_t imin, imax;      /* integer range (ints only) */
	const float *levels;     /* codebook values by code (codebook only) */
	const char *overflow_rule; /* one sentence for users */
	const char *torch_name;  /* "torch.float16", or NULL if PyTorch lacks it */
} ql_format;

extern const ql_format ql_formats[QL_TYPE_COUNT];

/* The NF4 codebook of bitsandbytes (float32 values, code order). */
extern const float ql_nf4_levels[16];

static inline const ql_format *ql_format_of(ql_type t) { return &ql_formats[t]; }

/* Looks a format up by name ("fp16", also "half", "float16", "bfloat16",
 * "e4m3"...). Returns false if unknown. */
bool ql_type_from_name(const char *name, ql_type *out);

/* Parses a comma-separated list of names into out[] (at most max entries).
 * Returns the count; -1 with the offending name in *bad (unknown or empty);
 * -2 when the list has more than max entries. */
int ql_type_list(const char *list, ql_type *out, int max, const char **bad,
		 size_t *bad_len);

/* All ones in the format's width. */
static inline uint64_t ql_code_mask(ql_type t)
{
	int b = ql_formats[t].bits;
	return b >= 64 ? ~UINT64_C(0) : (UINT64_C(1) << b) - 1;
}

/* The fields of a code. For ints and codebooks, sign = 0, exp = 0 and man =
 * the whole code. */
void ql_fields(ql_type t, uint64_t code, unsigned *sign, uint64_t *exp, uint64_t *man);

/* Exact value of a code (codes outside the width are masked). NaN codes
 * decode to a NaN with the code's sign. */
double ql_decode(ql_type t, uint64_t code);

/* Rounds x to the format. status (may be NULL) receives QL_ST_* bits. */
uint64_t ql_encode(ql_type t, double x, ql_round mode, unsigned *status);

/* The conversion PyTorch and C perform: floats round to nearest even, ints
 * truncate toward zero (and saturate: out of range is undefined in C and
 * wraps in PyTorch; qlens clamps and reports QL_ST_OVERFLOW). */
uint64_t ql_cast(ql_type t, double x, unsigned *status);

ql_class ql_classify(ql_type t, uint64_t code);
const char *ql_class_name(ql_class c);

/* The neighbouring code one step up (dir > 0) or down (dir < 0) in value.
 * Returns false at the ends (largest finite value has no finite successor;
 * inf has none; NaN has none). From ±0, up is the smallest positive value. */
bool ql_next(ql_type t, uint64_t code, int dir, uint64_t *out);

/* The torch.finfo / torch.iinfo fields, for every format. */
typedef struct ql_finfo {
	int bits;
	double eps;                /* next value after 1.0, minus 1.0 */
	double max;                /* largest finite value */
	double min;                /* most negative finite value */
	double tiny;               /* = smallest_normal (torch's name) */
	double smallest_normal;
	double smallest_subnormal; /* 0 if the format has no subnormals */
	double resolution;         /* 10^-floor(-log10(eps)) */
	int precision;             /* floor(-log10(eps)) decimal digits */
	int exp_bits, man_bits, bias;
	double levels;             /* number of distinct finite values (±0 once) */
} ql_finfo;

void ql_finfo_get(ql_type t, ql_finfo *fi);

/* Explains a code in one line of plain words, e.g.
 *   "+1 × 2^(125 - 127) × 1.01010101010101010101011b = 0.3333333432674407958984375"
 * With utf8 false, ASCII only ("x" for "×"). Returns the length the full
 * text needs (snprintf-style). */
int ql_explain(ql_type t, uint64_t code, bool utf8, char *buf, size_t n);

/* Writes the code as '0'/'1' characters, most significant first, with
 * `sep` (if non-zero) between sign, exponent and mantissa fields. */
void ql_bits_string(ql_type t, uint64_t code, char sep, char *buf, size_t n);

#endif
