/* quant.h — quantization: schemes, the one entry point, and the kernels.
 *
 * A scheme (ql_scheme) says what to quantize to and how: a target
 * (int8 ... nf4, q8_0, q4_0, the MX formats), symmetric or asymmetric,
 * per tensor / per channel / per group, and how the clipping range is
 * calibrated. ql_quantize() runs a scheme over a float32 tensor and returns
 * everything a caller may want to show or write: codes, scales, zero points,
 * raw blocks, the dequantized tensor, the range calibration chose and the
 * error metrics (stats.h), all from one pass over the data where possible.
 *
 *   ql_scheme s;
 *   ql_scheme_init(&s);                       // int8 sym per-tensor minmax
 *   s.dtype = QL_Q_INT4; s.gran = QL_GRAN_GROUP; s.group = 32;
 *   ql_qresult r;
 *   if (ql_quantize(x, shape, ndim, &s, NULL, &r, &err)) ...fail...
 *   ...r.codes, r.scales, r.metrics.sqnr_db...
 *   ql_qresult_free(&r);
 *
 * The kernels it is built from are public too. Who calls them besides
 * ql_quantize: the ggml row dequantizers, tensor.c (decoding GGUF's Q8_0
 * ... Q5_1 tensors) and the block-format table (blockfmt.c); the row
 * quantizers, blockfmt.c; the affine kernels, calibration (calib.c, through
 * ql_qparams_from_range) and the benchmark. The CLI and the TUI call only
 * ql_quantize and the scheme functions. Conventions they all share:
 *
 *   - Affine integer quantization is PyTorch's: with inv = 1.0f / scale
 *     (float32), q = clamp(zp + rint(x * inv), qmin, qmax), rint = round half
 *     to even, all in float32 arithmetic: bit-identical to
 *     torch.quantize_per_tensor / quantize_per_channel given the same float32
 *     scale and zero point. Dequantize: (q - zp) * scale.
 *   - Ranges become parameters with PyTorch's MinMaxObserver formulas (see
 *     ql_qparams_from_range). Symmetric schemes use the restricted code range
 *     [-(2^(b-1)-1), 2^(b-1)-1] (int8: [-127, 127], scale = absmax / 127,
 *     zero point 0); unsigned symmetric schemes are the same grid shifted by
 *     2^(b-1) (uint8: codes [1, 255], zero point 128).
 *   - A zero range (an all-zero tensor, channel or group) never divides by
 *     zero: like PyTorch, the scale is floored at FLT_EPSILON (2^-23), so
 *     every code is the zero point and dequantizes to exactly 0. In the block
 *     formats an all-zero block gets d = 0 (Q8_0, Q4_0, as ggml), absmax 0
 *     (NF4: every code is 7, the level 0.0) or the scale the MX reference
 *     gives (2^-127; 2^-126 for mxint8), and dequantizes to zeros.
 *   - NaN and ±inf inputs are refused: ql_quantize fails with "N values are
 *     not finite (first at index I)" before writing anything. The low-level
 *     kernels do not check; their result for non-finite input is unspecified
 *     (but never undefined behaviour).
 *   - Empty tensors (a zero in the shape) work: no codes, scales for every
 *     channel/group there is (a zero range each), metrics of an empty set
 *     (see stats.h).
 *
 * Codes are stored one per element in a byte: the two's-complement byte for
 * signed formats (int8_t), the unsigned code otherwise. ql_pack_bits packs
 * sub-byte codes densely.
 *
 * Not here: reading and writing files (io.h), the number formats themselves
 * (format.h), metrics and histograms (stats.h).
 */
#ifndef QLENS_QUANT_H
#define QLENS_QUANT_H

#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "qlens/error.h"
#include "qlens/format.h"
#include "qlens/stats.h"
#include "qlens/tensor.h"

/* ---- Targets ----------------------------------------------------------- */

typedef enum ql_qdtype {
	QL_Q_INT8,
	QL_Q_UINT8,
	QL_Q_INT4,
	QL_Q_UINT4,
	QL_Q_INT2,
	QL_Q_UINT2,
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

typedef struct ql_qdtype_info {
	const char *name;   /* "int4": the word for --dtype */
	ql_qkind kind;
	int bits;           /* bits of one element code */
	bool is_signed;     /* codes are two's complement (stored as int8_t) */
	ql_type elem;       /* the element's number format (format.h) */
	int block;          /* fixed block length (32, 64), 0 if the scheme chooses */
	int block_bytes;    /* bytes of one raw block (ggml, MX), 0 if none */
} ql_qdtype_info;

extern const ql_qdtype_info ql_qdtypes[QL_Q_COUNT];

static inline const ql_qdtype_info *ql_qdtype_of(ql_qdtype t) { return &ql_qdtypes[t]; }

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

typedef struct ql_scheme {
	ql_qdtype dtype;
	ql_symmetry sym;
	ql_granularity gran;
	int axis;           /* QL_GRAN_CHANNEL: the axis; negative counts from the end */
	int64_t group;      /* QL_GRAN_GROUP: elements per group (>= 1) */
	ql_calib calib;
	double percentile;  /* QL_CALIB_PERCENTILE: P in (0, 100] */
	bool has_scale;     /* --scale: use this scale (per tensor) instead of calibrating */
	float scale;
	bool has_zero_point; /* --zero-point (asymmetric integer schemes) */
	int32_t zero_point;
} ql_scheme;

/* int8, default symmetry, per tensor, minmax, no user scale. */
void ql_scheme_init(ql_scheme *s);

/* Words of the command line. Each returns 0, or -1 with a message. */
int ql_scheme_parse_dtype(const char *word, ql_qdtype *out, ql_error *err);
/* "minmax", "percentile:99.9", "mse", "entropy". */
int ql_scheme_parse_calib(const char *word, ql_scheme *s, ql_error *err);

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
 * Q8_0/Q4_0 need the last axis to be a multiple of 32, percentile in (0, 100].
 * Returns 0, or -1 with a message such as "--group must be at least 1". */
int ql_scheme_validate(const ql_scheme *s, const int64_t *shape, int ndim, ql_error *err);

/* "int4 sym per-group 32 minmax", "uint8 asym per-channel axis 0
 * percentile:99.9", "q4_0 blocks of 32", "int8 sym per-tensor scale 0.1".
 * snprintf-style return. */
int ql_scheme_describe(const ql_scheme *s, char *buf, size_t n);

/* ---- The entry point ---------------------------------------------------- */

typedef struct ql_qopts {
	bool dequant;   /* keep the dequantized tensor in result.dequant */
	int threads;    /* worker threads; 0 = one per online CPU (at most 16) */
	bool no_metrics; /* skip the error sums (result.metrics stays zero but
	                    for clipped): faster when only codes are wanted */
} ql_qopts;

typedef struct ql_qresult {
	ql_scheme scheme;          /* as run: symmetry resolved, axis >= 0 */
	int ndim;
	int64_t shape[QL_MAX_DIMS];
	int64_t nelem;
	int32_t qmin, qmax;        /* the clamp range (ql_scheme_qrange) */

	/* One code per element, C order. int8_t values for signed targets
	 * (int8/int4/int2, q8_0, mxint8), unsigned codes otherwise (uint*,
	 * q4_0's 0..15, nf4's 0..15, fp8/fp4 bit patterns). */
	uint8_t *codes;
	bool codes_signed;

	/* Scales, float32. Shape: scalar (ndim 0) per tensor; [C] per channel;
	 * shape[:-1] + [groups] per group and for Q8_0/Q4_0/MX blocks (the
	 * fp16 d or 2^e exactly); [ceil(n / 64)] for NF4 (the block absmax). */
	float *scales;
	int64_t nscales;
	int scale_ndim;
	int64_t scale_shape[QL_MAX_DIMS];
	/* Zero points, the scales' shape: for asymmetric integer schemes and
	 * for unsigned symmetric ones (uint8 sym: 128); NULL otherwise (0). */
	int32_t *zero_points;

	/* Raw blocks in the reference byte layout, NULL for other targets:
	 * Q8_0, Q4_0: ggml's block_q8_0 / block_q4_0, row after row.
	 * MXFP4: ggml's block_mxfp4 (e8m0 byte, 16 bytes: element j in the low
	 *        nibble, j + 16 in the high one). MXFP8 / MXINT8: the e8m0 byte
	 *        then 32 element bytes. A row whose length is not a multiple of
	 *        32 ends with a block padded with zero codes.
	 * NF4: bitsandbytes' packed data: two codes per byte, the first element
	 *        in the HIGH nibble (the absmax are the scales). */
	uint8_t *blocks;
	size_t blocks_bytes;

	float *dequant;            /* nelem floats if opts->dequant, else NULL */

	/* The calibration report: the method, the data's own range, and the
	 * clipping range chosen for each scale (nscales each; for the block
	 * formats the block's [-absmax, absmax]). */
	ql_calib calib;
	float data_min, data_max;
	float *clip_lo, *clip_hi;

	ql_metrics metrics;        /* original vs dequantized (stats.h) */
	double bits_per_weight;    /* bytes * 8 / nelem (0 for an empty tensor) */
	uint64_t bytes;            /* storage as written: codes packed to their
	                              bit width + float32 scales + int32 zero
	                              points, or the raw blocks (+ NF4 absmax) */
} ql_qresult;

/* Quantizes x (nelem = product of shape floats, C order) with scheme s.
 * opts may be NULL (no dequant copy, automatic threads). On success fills
 * *out (free it with ql_qresult_free) and returns 0; on failure returns -1
 * with a message, and *out holds nothing to free. */
int ql_quantize(const float *x, const int64_t *shape, int ndim, const ql_scheme *s,
		const ql_qopts *opts, ql_qresult *out, ql_error *err);
void ql_qresult_free(ql_qresult *r);

/* Dequantizes r's codes with its scales/zero points into out[r->nelem]. */
void ql_qresult_dequantize(const ql_qresult *r, float *out);

/* ---- Affine kernels (quant.c) ------------------------------------------ */

/* PyTorch's MinMaxObserver / PerChannelMinMaxObserver (reduce_range off,
 * eps = FLT_EPSILON) from a range [lo, hi], in float32:
 *   lo' = min(lo, 0), hi' = max(hi, 0)
 *   symmetric:  scale = max(-lo', hi') / ((qmax - qmin) / 2),
 *               zp = (qmin + qmax) / 2            (qmin + qmax is even here)
 *   asymmetric: scale = (hi' - lo') / (qmax - qmin),
 *               zp = clamp(qmin - rint(lo' / scale), qmin, qmax)
 *   and scale = max(scale, FLT_EPSILON). */
void ql_qparams_from_range(float lo, float hi, int32_t qmin, int32_t qmax, bool symmetric,
			   float *scale, int32_t *zero_point);

/* q[i] = clamp(zp + rint(x[i] * (1.0f / scale)), qmin, qmax). Returns how
 * many were clipped (the clamp changed them). -128 <= qmin <= qmax <= 255
 * with the codes' type able to hold them. */
int64_t ql_affine_quantize_s8(const float *x, size_t n, float scale, int32_t zp,
			      int32_t qmin, int32_t qmax, int8_t *q);
int64_t ql_affine_quantize_u8(const float *x, size_t n, float scale, int32_t zp,
			      int32_t qmin, int32_t qmax, uint8_t *q);
/* y[i] = (q[i] - zp) * scale, in float32. */
void ql_affine_dequantize_s8(const int8_t *q, size_t n, float scale, int32_t zp, float *y);
void ql_affine_dequantize_u8(const uint8_t *q, size_t n, float scale, int32_t zp, float *y);
/* Quantize + dequantize + error sums in one pass: q as ql_affine_quantize_*;
 * y[i] = (q[i] - zp) * scale if y is not NULL; if acc is not NULL, adds to
 * it exactly (bit for bit) what ql_metrics_add(acc, x, y, n) would, but for
 * acc->clipped, left to the caller. Returns the count clipped. */
int64_t ql_affine_qdq_s8(const float *x, size_t n, float scale, int32_t zp, int32_t qmin,
			 int32_t qmax, int8_t *q, float *y, ql_metrics_acc *acc);
int64_t ql_affine_qdq_u8(const float *x, size_t n, float scale, int32_t zp, int32_t qmin,
			 int32_t qmax, uint8_t *q, float *y, ql_metrics_acc *acc);

/* Per channel along the LAST axis: element i of each row of C uses
 * scale[i] and zp[i] (zp may be NULL for 0). x is rows × C. */
int64_t ql_affine_quantize_rows_s8(const float *x, size_t rows, size_t c, const float *scale,
				   const int32_t *zp, int32_t qmin, int32_t qmax, int8_t *q);
int64_t ql_affine_quantize_rows_u8(const float *x, size_t rows, size_t c, const float *scale,
				   const int32_t *zp, int32_t qmin, int32_t qmax, uint8_t *q);

/* Scaled float targets (fp8): code = encode(x * (1.0f / scale)) rounded to
 * nearest even and saturated to ±max of the format; value = decode(code) *
 * scale. Returns the count saturated. */
int64_t ql_float_quantize(ql_type fmt, const float *x, size_t n, float scale, uint8_t *codes);
/* The same through ql_encode, value by value (the reference for the fast
 * encoders; identical codes and count for every input, NaN and inf too). */
int64_t ql_float_quantize_ref(ql_type fmt, const float *x, size_t n, float scale, uint8_t *codes);
void ql_float_dequantize(ql_type fmt, const uint8_t *codes, size_t n, float scale, float *y);

/* ---- Calibration (calib.c) --------------------------------------------- */

/* The clipping range method m chooses for n finite values, for a target
 * with code range [qmin, qmax] (used by mse and entropy). For symmetric
 * schemes *lo = -*hi. Scratch memory is allocated inside; returns 0, or -1
 * only if it cannot be. n == 0 gives [0, 0]. */
int ql_calibrate(const float *x, size_t n, ql_calib m, double percentile, bool symmetric,
		 int32_t qmin, int32_t qmax, float *lo, float *hi, ql_error *err);

/* NumPy's np.percentile(x, p) (linear interpolation) of n values; sorts a
 * copy. Of |x| if abs is set. */
int ql_percentile(const float *x, size_t n, double p, bool abs, double *out, ql_error *err);

/* ---- llama.cpp blocks (blocks.c) ---------------------------------------- */
/* Byte layouts of ggml's ggml-common.h. fp16 fields are IEEE binary16 bits,
 * little-endian in files (these structs are used on little-endian hosts). */

#define QL_QK8_0 32
#define QL_QK4_0 32
#define QL_QK4_1 32
#define QL_QK5_0 32
#define QL_QK5_1 32

typedef struct ql_block_q8_0 {
	uint16_t d;              /* scale, fp16: absmax / 127 */
	int8_t qs[QL_QK8_0];     /* value = qs[j] * d */
} ql_block_q8_0;
static_assert(sizeof(ql_block_q8_0) == 2 + QL_QK8_0, "wrong q8_0 block size");

typedef struct ql_block_q4_0 {
	uint16_t d;              /* scale, fp16: (value of largest magnitude) / -8 */
	uint8_t qs[QL_QK4_0 / 2]; /* element j in the low nibble of qs[j], j + 16 in
	                            the high one; value = (nibble - 8) * d */
} ql_block_q4_0;
static_assert(sizeof(ql_block_q4_0) == 2 + QL_QK4_0 / 2, "wrong q4_0 block size");

typedef struct ql_block_q4_1 {
	uint16_t d;              /* scale, fp16 */
	uint16_t m;              /* minimum, fp16; value = nibble * d + m */
	uint8_t qs[QL_QK4_1 / 2]; /* nibbles as in q4_0 */
} ql_block_q4_1;
static_assert(sizeof(ql_block_q4_1) == 4 + QL_QK4_1 / 2, "wrong q4_1 block size");

typedef struct ql_block_q5_0 {
	uint16_t d;              /* scale, fp16 */
	uint8_t qh[4];           /* 5th bits: bit j of the little-endian uint32 is
	                            element j's, bit j + 16 element j + 16's */
	uint8_t qs[QL_QK5_0 / 2]; /* low 4 bits as in q4_0; value = (q - 16) * d */
} ql_block_q5_0;
static_assert(sizeof(ql_block_q5_0) == 2 + 4 + QL_QK5_0 / 2, "wrong q5_0 block size");

typedef struct ql_block_q5_1 {
	uint16_t d;              /* scale, fp16 */
	uint16_t m;              /* minimum, fp16; value = q * d + m */
	uint8_t qh[4];           /* 5th bits as in q5_0 */
	uint8_t qs[QL_QK5_1 / 2]; /* low 4 bits as in q4_0 */
} ql_block_q5_1;
static_assert(sizeof(ql_block_q5_1) == 4 + 4 + QL_QK5_1 / 2, "wrong q5_1 block size");

/* IEEE binary16 <-> float32, round to nearest even (what ggml's
 * GGML_FP32_TO_FP16 does for finite values). */
uint16_t ql_fp16_from_f32(float f);
float ql_f32_from_fp16(uint16_t h);

/* ggml's quantize_row_q8_0_ref / quantize_row_q4_0_ref, byte for byte.
 * k must be a multiple of 32. Return the count clipped (Q4_0's code 16
 * clamped to 15; Q8_0 never clips). */
int64_t ql_quantize_row_q8_0(const float *x, ql_block_q8_0 *y, int64_t k);
int64_t ql_quantize_row_q4_0(const float *x, ql_block_q4_0 *y, int64_t k);
/* The same written as ggml's reference reads (the scalar loops, roundf):
 * kept to check the fast ones against, byte for byte. */
int64_t ql_quantize_row_q8_0_ref(const float *x, ql_block_q8_0 *y, int64_t k);
int64_t ql_quantize_row_q4_0_ref(const float *x, ql_block_q4_0 *y, int64_t k);
/* ggml's dequantize_row_*: k values (a multiple of 32) from k / 32 blocks. */
void ql_dequantize_row_q8_0(const ql_block_q8_0 *x, float *y, int64_t k);
void ql_dequantize_row_q4_0(const ql_block_q4_0 *x, float *y, int64_t k);
void ql_dequantize_row_q4_1(const ql_block_q4_1 *x, float *y, int64_t k);
void ql_dequantize_row_q5_0(const ql_block_q5_0 *x, float *y, int64_t k);
void ql_dequantize_row_q5_1(const ql_block_q5_1 *x, float *y, int64_t k);

/* ---- OCP microscaling (mx.c) --------------------------------------------- */

#define QL_MX_BLOCK 32

/* Quantizes n values (blocks of 32; the last may be shorter) of an MX target
 * (QL_Q_MXFP8, QL_Q_MXFP4, QL_Q_MXINT8), as the OCP MX v1.0 spec and its
 * reference code (microsoft/microxcaling) do: per block,
 *   shared_exp = floor(log2(absmax)) - emax_elem, clamped to [-127, 127]
 *   (absmax 0 counts as 2^-126, as in the reference), scale = 2^shared_exp
 *   stored as e8m0;
 *   element = x / scale rounded to nearest even on the element grid
 *   (subnormals kept) and saturated to ±max_elem.
 * codes[n]: fp8/fp4 bit patterns, or int8 (k meaning k / 64) as int8_t.
 * e8m0[ceil(n / 32)]: the scale codes. Returns the count saturated. */
int64_t ql_mx_quantize(ql_qdtype t, const float *x, int64_t n, uint8_t *codes, uint8_t *e8m0);
/* The same, as the reference code reads (libm per element): slow, kept to
 * check the fast one against (bit-identical for finite x). */
int64_t ql_mx_quantize_ref(ql_qdtype t, const float *x, int64_t n, uint8_t *codes, uint8_t *e8m0);
void ql_mx_dequantize(ql_qdtype t, const uint8_t *codes, const uint8_t *e8m0, int64_t n, float *y);
/* Element value of one code (without the block scale). */
float ql_mx_elem_value(ql_qdtype t, uint8_t code);
/* 2^(e - 127) as a float (e8m0 0xFF, NaN, gives NaN). */
float ql_e8m0_to_f32(uint8_t e);

/* ---- NF4 (nf4.c) ---------------------------------------------------------- */

#define QL_NF4_BLOCK 64

/* bitsandbytes' quantize_4bit(quant_type="nf4", blocksize=64): per block of
 * 64 (the last may be shorter), absmax = max |x|, each x * (1 / absmax)
 * mapped to the nearest NF4 level by bnb's thresholds (dQuantizeNF4).
 * codes[n] are 0..15; absmax[ceil(n / 64)]. */
void ql_nf4_quantize(const float *x, int64_t n, uint8_t *codes, float *absmax);
/* The same, one value at a time as bnb's loop reads (to check it against). */
void ql_nf4_quantize_ref(const float *x, int64_t n, uint8_t *codes, float *absmax);
void ql_nf4_dequantize(const uint8_t *codes, const float *absmax, int64_t n, float *y);
/* The NF4 code of a value normalised to [-1, 1]. */
uint8_t ql_nf4_code(float v);

/* ---- Bit packing (pack.c) -------------------------------------------------- */

/* Bytes to hold n codes of `bits` (1, 2, 4, 8) bits. */
size_t ql_packed_bytes(size_t n, int bits);
/* Packs the low `bits` bits of each code, lowest bits first: int4/uint4 two
 * per byte (element 2i in the low nibble), int2/uint2 four per byte
 * (element 4i in bits 0-1): [1, 0, 3, 2] -> 0b10110001 = 177. The unused
 * bits of a last partial byte are 0. */
void ql_pack_bits(const uint8_t *codes, size_t n, int bits, uint8_t *out);
/* The inverse; sign_extend turns each field into a two's-complement int8
 * (int4 0xF -> -1). */
void ql_unpack_bits(const uint8_t *in, size_t n, int bits, bool sign_extend, uint8_t *codes);

#endif
