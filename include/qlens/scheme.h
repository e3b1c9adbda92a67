/* scheme.h — quantization targets and schemes (scheme.c).
 *
 * The targets (int8 ... nf4, the ggml block formats, the MX formats) are one
 * table, ql_qdtypes[] (plus one entry per block format of blockfmt.h that
 * has a quantizer, see ql_qdtype_count); a scheme (ql_scheme) says what to
 * quantize to and how: a target, symmetric or asymmetric, per tensor / per
 * channel / per group, and how the clipping range is calibrated. This file
 * has the words of the command line for them (--dtype, --calib), their
 * checks and their one-line description. The conventions every kernel shares
 * are at the top of quant.h.
 */
#ifndef QLENS_SCHEME_H
#define QLENS_SCHEME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "qlens/error.h"
#include "qlens/format.h"
#include "qlens/stats.h"

/* ---- Targets ----------------------------------------------------------- */

typedef enum ql_qdtype {
	QL_Q_INT8,
	QL_Q_UINT8,
	QL_Q_INT4,
	QL_Q_UINT4,
	QL_Q_INT2,
	QL_Q_UINT2,
	QL_Q_INT7,     /* the other widths of the affine grid, 2..8 bits: one */
	QL_Q_UINT7,    /* code per byte in memory, `bits` bits each packed */
	QL_Q_INT6,
	QL_Q_UINT6,
	QL_Q_INT5,
	QL_Q_UINT5,
	QL_Q_INT3,
	QL_Q_UINT3,
	QL_Q_FP8_E4M3, /* scaled float: scale = absmax / 448 */
	QL_Q_FP8_E5M2, /* scaled float: scale = absmax / 57344 */
	QL_Q_MXFP8,    /* OCP MX: e8m0 scale per 32, fp8 e4m3 elements */
	QL_Q_MXFP4,    /* OCP MX: e8m0 scale per 32, fp4 e2m1 elements */
	QL_Q_MXINT8,   /* OCP MX: e8m0 scale per 32, int8 elements (k / 64) */
	QL_Q_NF4,      /* bitsandbytes NF4: absmax per 64, 16-level codebook */
	QL_Q_Q8_0,     /* llama.cpp Q8_0: fp16 d per 32, int8 codes */
	QL_Q_Q4_0,     /* llama.cpp Q4_0: fp16 d per 32, 4-bit codes */
	QL_Q_COUNT
} ql_qdtype;

typedef enum ql_qkind {
	QL_QK_INT,   /* affine integer: scale and zero point */
	QL_QK_FLOAT, /* a float format times a float32 scale */
	QL_QK_MX,    /* OCP microscaling block */
	QL_QK_NF4,   /* codebook times block absmax */
	QL_QK_GGML,  /* llama.cpp block */
} ql_qkind;

struct ql_scheme;
struct ql_qresult;
struct ql_block_traits;
struct ql_qdtype_info;

/* What quantizing one block unit gives (the block targets' quantize_block). */
typedef struct ql_qunit {
	uint8_t *codes;      /* len codes, or NULL when the target gives none */
	uint8_t *raw;        /* the unit's raw bytes (raw_unit_bytes of them) */
	float *y;            /* len dequantized values */
	float *scale;        /* the unit's scale (a super-block's d) */
	float *min;          /* its minimum (dmin), NULL if the result has none */
	float *sub_scales;   /* nsub sub-block scales, NULL if none */
	float *sub_mins;     /* nsub sub-block minimums, NULL if none */
	int64_t clipped;     /* added to: values whose code was clamped */
} ql_qunit;

/* One block unit x[0..len) (len <= block; only the last of a row or of the
 * tensor is shorter) of target t; bf is t's block format (blockfmt.h) or
 * NULL for targets that are not in that table. */
typedef void (*ql_qblock_fn)(const struct ql_qdtype_info *t, const struct ql_block_traits *bf,
			     const float *x, int64_t len, ql_qunit *u);

/* One entry of the type table: what a target is and what it does. */
typedef struct ql_qdtype_info {
	const char *name;   /* "int4": the word for --dtype */
	ql_qkind kind;
	int bits;           /* bits of one element code */
	bool is_signed;     /* codes are two's complement (stored as int8_t) */
	ql_type elem;       /* the element's number format (format.h) */
	int block;          /* fixed block length (32, 64), 0 if the scheme chooses */
	int block_bytes;    /* bytes of one raw block (ggml, MX), 0 if none */

	/* -- behaviour: the driver reads these instead of branching on the target -- */
	int32_t qmin, qmax; /* the code range of a target whose range is fixed
	                       (every kind but QL_QK_INT, whose range comes from
	                       the symmetry: ql_scheme_qrange) */
	float elem_max;     /* largest element magnitude (fp8: 448, 57344; 0 if none) */
	int raw_unit_bytes; /* raw bytes one block unit owns (block_bytes; NF4: 32) */
	bool raw_packed;    /* the raw bytes are the codes packed densely over the
	                       whole tensor (NF4): a short last unit owns fewer */
	bool flat_blocks;   /* blocks run over the flattened tensor, not row by
	                       row, and the scales are 1-d (NF4, as bitsandbytes) */
	bool scales_stored; /* the scales are stored beside the raw bytes (NF4's
	                       absmax), so count in the bytes */
	ql_qblock_fn quantize_block;                    /* block targets; NULL otherwise */
	void (*dequantize)(const struct ql_qdtype_info *t, const struct ql_qresult *r,
			   float *out); /* a whole result of this target */
	int (*describe)(const struct ql_scheme *s, char *buf, size_t n);
	/* The driver's fused loop over whole blocks (AVX2), private to
	 * src/core; returns false where it does not apply. NULL: none. It
	 * counts acc->eh (the error histogram) where it adds the sums. */
	bool (*fast_units)(void *plan, int64_t u0, int64_t u1, ql_metrics_acc *acc);
	int bfmt;           /* index in ql_block_formats[] (blockfmt.h), -1 if none */
	ql_qdtype id;       /* the target's own number (set by ql_qdtype_of) */
} ql_qdtype_info;

/* The built-in targets. Block formats of blockfmt.h that have a quantizer
 * and are not among them are targets too, numbered from QL_Q_COUNT on
 * (ql_qdtype_count() of all): read every target through ql_qdtype_of. */
extern const ql_qdtype_info ql_qdtypes[QL_Q_COUNT];

/* The entry of target t (built-in or from the block table); NULL if t is
 * not a target. */
const ql_qdtype_info *ql_qdtype_of(ql_qdtype t);
/* How many targets there are: QL_Q_COUNT plus the block formats added. */
int ql_qdtype_count(void);

/* ---- Schemes ----------------------------------------------------------- */

typedef enum ql_symmetry {
	QL_SYM_DEFAULT, /* signed ints, floats, blocks: symmetric; unsigned ints: asymmetric */
	QL_SYM,         /* zero point fixed at the middle of the grid */
	QL_ASYM,        /* range [min(x,0), max(x,0)] onto [qmin, qmax] */
} ql_symmetry;

typedef enum ql_granularity {
	QL_GRAN_TENSOR,  /* one scale */
	QL_GRAN_CHANNEL, /* one scale per index along `axis` */
	QL_GRAN_GROUP,   /* one scale per `group` consecutive elements of the last
	                    axis; the last group of a row may be shorter */
	QL_GRAN_BLOCK,   /* the format's own blocks (MX, NF4, Q8_0, Q4_0) */
} ql_granularity;

typedef enum ql_calib {
	QL_CALIB_MINMAX,     /* the data's min and max */
	QL_CALIB_PERCENTILE, /* the P-th percentile (of |x| if symmetric; of x and
	                        the (100-P)-th if asymmetric), NumPy's linear rule */
	QL_CALIB_MSE,        /* the clip (a fraction of the minmax range) that
	                        minimises the round-trip MSE */
	QL_CALIB_ENTROPY,    /* TensorRT's KL-divergence method on a 2048-bin
	                        histogram of |x| */
	QL_CALIB_COUNT
} ql_calib;

/* The type an affine scheme's scales are stored in (--scale-dtype): the
 * scale is rounded to it before quantizing, so the codes and errors are
 * those of the stored scale, and it is counted at its width. */
typedef enum ql_scale_dtype {
	QL_SCALE_FP32, /* the default */
	QL_SCALE_FP16,
	QL_SCALE_BF16,
} ql_scale_dtype;

/* The largest group size a scheme takes (2^40): the limit --group states. */
#define QL_MAX_GROUP (INT64_C(1) << 40)

typedef struct ql_scheme {
	ql_qdtype dtype;
	ql_symmetry sym;
	ql_granularity gran;
	int axis;           /* QL_GRAN_CHANNEL: the axis; negative counts from the end */
	int64_t group;      /* QL_GRAN_GROUP: elements per group, 1..QL_MAX_GROUP */
	ql_calib calib;
	double percentile;  /* QL_CALIB_PERCENTILE: P in (0, 100] */
	bool has_scale;     /* --scale: use this scale (per tensor) instead of calibrating */
	float scale;
	bool has_zero_point; /* --zero-point (asymmetric integer schemes) */
	int32_t zero_point;
	ql_scale_dtype scale_dtype; /* integer schemes: the scales' storage type */
} ql_scheme;

/* int8, default symmetry, per tensor, minmax, no user scale. */
void ql_scheme_init(ql_scheme *s);

/* Words of the command line. Each returns 0, or -1 with a message. */
int ql_scheme_parse_dtype(const char *word, ql_qdtype *out, ql_error *err);
/* "minmax", "percentile:99.9", "mse", "entropy". */
int ql_scheme_parse_calib(const char *word, ql_scheme *s, ql_error *err);

/* "fp32", "fp16", "bf16" (case-insensitive). */
int ql_scheme_parse_scale_dtype(const char *word, ql_scale_dtype *out, ql_error *err);
const char *ql_scale_dtype_name(ql_scale_dtype d);
/* Bytes of one stored scale: 4 or 2. */
int ql_scale_dtype_bytes(ql_scale_dtype d);

const char *ql_qdtype_name(ql_qdtype t);
const char *ql_calib_name(ql_calib c);

/* The symmetry the scheme resolves to (QL_SYM or QL_ASYM). */
ql_symmetry ql_scheme_symmetry(const ql_scheme *s);

/* The code range the kernel clamps to. Integer schemes: see the top of this
 * file (int4 sym: [-7, 7]; int4 asym: [-8, 7]; uint4 asym: [0, 15]).
 * Q4_0: [0, 15]; Q8_0: [-128, 127] (ggml never produces -128); MXINT8:
 * [-127, 127]; NF4 and fp formats: the code space ([0, 15], [0, 255]). */
void ql_scheme_qrange(const ql_scheme *s, int32_t *qmin, int32_t *qmax);

/* Checks a scheme, alone (shape == NULL) or against a tensor's shape:
 * group >= 1, axis in range, asymmetric only for integer targets, a user
 * scale finite and > 0 and only per tensor, a zero point inside [qmin, qmax]
 * and only for asymmetric schemes, no --axis/--group for the block formats,
 * the ggml block formats (Q8_0, Q4_0, those of blockfmt.h) need the last
 * axis to be a multiple of their block, percentile in (0, 100].
 * Returns 0, or -1 with a message such as "--group must be at least 1". */
int ql_scheme_validate(const ql_scheme *s, const int64_t *shape, int ndim, ql_error *err);

/* The schemes `qlens compare` and the explorer's comparison run when none
 * are given: one list, so the two show the same rows. */
#define QL_COMPARE_SCHEMES "int8,int8/ch0,int4/g128,int4/g32,nf4,q8_0,q4_0,q4_k,q6_k,fp8_e4m3,mxfp4"

/* `qlens compare`'s order of two results (its table and the explorer's
 * comparison): the ones that ran first, then fewer bits per weight, then
 * the higher SQNR (a NaN after every number); <0, 0 or >0 as for qsort. */
int ql_scheme_rank(bool a_ok, double a_bpw, double a_sqnr, bool b_ok, double b_bpw,
		   double b_sqnr);

/* "int4 sym per-group 32 minmax", "uint8 asym per-channel axis 0
 * percentile:99.9", "q4_0 blocks of 32", "int8 sym per-tensor scale 0.1".
 * snprintf-style return. */
int ql_scheme_describe(const ql_scheme *s, char *buf, size_t n);

#endif
