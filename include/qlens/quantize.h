/* quantize.h — the one entry point, ql_quantize() (quantize.c), and what it
 * returns. See quant.h for the conventions every kernel follows.
 */
#ifndef QLENS_QUANTIZE_H
#define QLENS_QUANTIZE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "qlens/error.h"
#include "qlens/scheme.h"
#include "qlens/stats.h"
#include "qlens/tensor.h"

/* ---- The entry point ---------------------------------------------------- */

/* How far a ql_quantize has come, in jobs of about 64K values: `total` is
 * set once the work is planned (every pass over the tensor counts its jobs),
 * `done` counts the finished ones, from any thread. Zero it before the
 * call; read it from another thread while it runs (done * 100 / total). */
typedef struct ql_qprogress {
	atomic_llong done;
	atomic_llong total;
} ql_qprogress;

/* Reusable storage for a series of ql_quantize calls (qlens report): zero
 * it, point ql_qopts.bufs at it, quantize tensor after tensor, then
 * ql_qbufs_free. Every output and scratch array ql_quantize needs comes
 * from its slots, each grown to the largest need so far and kept, so the
 * pages of fresh buffers are faulted once per series, not once per tensor.
 * A result made with bufs points into them (result.borrowed): it is valid
 * until the next ql_quantize with the same bufs or ql_qbufs_free, and
 * ql_qresult_free frees none of it. One series at a time per ql_qbufs. */
enum { QL_QBUF_SLOTS = 24 };
typedef struct ql_qbufs {
	void *ptr[QL_QBUF_SLOTS];
	size_t cap[QL_QBUF_SLOTS];  /* bytes */
} ql_qbufs;

/* Frees what b holds and empties it (b itself is the caller's). */
void ql_qbufs_free(ql_qbufs *b);
/* Bytes b holds now, over all its slots. */
size_t ql_qbufs_bytes(const ql_qbufs *b);

typedef struct ql_qopts {
	bool dequant;   /* keep the dequantized tensor in result.dequant */
	int threads;    /* worker threads; 0 = one per online CPU (at most 16) */
	bool no_metrics; /* skip the error sums (result.metrics stays zero but
	                    for clipped): faster when only codes are wanted */
	ql_qprogress *progress; /* optional: jobs done and in all */
	const volatile int *cancel; /* optional: once *cancel is non-zero, no
	                    new job starts and ql_quantize returns -1 with
	                    "cancelled" and nothing to free (checked between jobs
	                    and passes, so within one job's time) */
	bool no_codes;   /* keep no codes (result.codes NULL) and, for block
	                    targets, no raw blocks either (result.blocks NULL,
	                    blocks_bytes 0): scales, metrics and storage
	                    (result.bytes) as usual, codes and blocks made a tile
	                    or a job at a time in per-thread scratch and dropped;
	                    for callers that want the error only (qlens report) */
	ql_qbufs *bufs;  /* optional: take every buffer from here (see above) */
	ql_ehist *ehist; /* optional (initialised by the caller): the errors
	                    y - x are counted into it in the quantize pass
	                    itself, on every thread (stats.h; implies the
	                    metrics, whatever no_metrics says). Block targets
	                    keep their fused loop where a row dequantizer
	                    decodes its blocks (q8_0, q4_0; not with no_codes),
	                    else take their portable path. */
	/* The value histogram, in the scan pass (optional, initialised by the
	 * caller): the values x themselves are counted into it (as errors
	 * against 0: ql_ehist_finish then gives power-of-two bins with 0 on
	 * an edge, ql_ehist_fill any others), on every thread, merged so that
	 * the result is the same for any thread count. All of them, or with
	 * vhist_one_unit only those of scale unit vhist_unit (the channel,
	 * group or block of index vhist_unit in result.scales; none if out
	 * of range). */
	ql_ehist *vhist;
	bool vhist_one_unit;
	int64_t vhist_unit;
	/* The clipped errors (optional, initialised by the caller; implies the
	 * metrics): the errors y - x of the elements the kernel clamped (the
	 * very elements metrics.clipped counts), counted in the quantize pass
	 * from the tile just made. The rounding errors are then ehist minus
	 * ehist_clip, bin by bin (qview.h). Integer (affine) and scaled float
	 * targets: the elements their kernels clamp. The block formats (kind
	 * MX, NF4, GGML), whose kernels count clamps per block: when any was
	 * counted, the elements beyond their unit's reach (ql_qview_reach),
	 * found by each job in its blocks just made, from the kept
	 * dequantized values (with dequant only; without, it stays empty):
	 * what ql_qview_error_hists finds in a pass of its own. */
	ql_ehist *ehist_clip;
} ql_qopts;

typedef struct ql_qresult {
	ql_scheme scheme;          /* as run: symmetry resolved, axis >= 0 */
	int ndim;
	int64_t shape[QL_MAX_DIMS];
	int64_t nelem;
	int32_t qmin, qmax;        /* the clamp range (ql_scheme_qrange) */

	/* One code per element, C order (NULL for a block format of
	 * blockfmt.h that has no codes_row). int8_t values for signed targets
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
	ql_metrics_acc sums;       /* the sums behind it, merged in job order:
	                              merge them to total several tensors */
	double bits_per_weight;    /* bytes * 8 / nelem (0 for an empty tensor) */
	uint64_t bytes;            /* storage as written: codes packed to their
	                              bit width + float32 scales + int32 zero
	                              points, or the raw blocks (+ NF4 absmax) */

	/* Nested scales of block formats that have them (blockfmt.h's
	 * scales_row): per block, its minimum (dmin; q4_1's m) beside the
	 * scale in `scales`, and nsub sub-block scales and minimums as the
	 * values they multiply by. NULL / 0 where the format has none. */
	float *mins;               /* nscales, or NULL */
	int nsub;                  /* sub-blocks per block */
	float *sub_scales;         /* nscales * nsub, or NULL */
	float *sub_mins;           /* nscales * nsub, or NULL */
	bool borrowed;             /* the arrays are ql_qopts.bufs' (not freed
	                              by ql_qresult_free) */
} ql_qresult;

/* Quantizes x (nelem = product of shape floats, C order) with scheme s.
 * opts may be NULL (no dequant copy, automatic threads). On success fills
 * *out (free it with ql_qresult_free) and returns 0; on failure returns -1
 * with a message, and *out holds nothing to free. */
int ql_quantize(const float *x, const int64_t *shape, int ndim, const ql_scheme *s,
		const ql_qopts *opts, ql_qresult *out, ql_error *err);
void ql_qresult_free(ql_qresult *r);

/* 0 if r is an answer that may be shown or written; -1 with a message when
 * it holds elements but no scales, a non-finite data range, a non-finite
 * scale or minimum (a block format's fp16 d or dmin overflowed on huge
 * values), or metrics that are not finite (src/core/qcheck.c). Every
 * caller of ql_quantize checks with it. */
int ql_qresult_check(const ql_qresult *r, ql_error *err);

/* Dequantizes r's codes with its scales/zero points into out[r->nelem]. */
void ql_qresult_dequantize(const ql_qresult *r, float *out);

#endif
