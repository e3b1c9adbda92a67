/* qwrite.h — writing a quantized tensor (a ql_qresult) to a file, the one
 * layout `qlens quantize -o` writes and the explorer exports.
 *
 *   ql_qwriter *q;
 *   if (ql_qwriter_open("w_int4.safetensors", force, &q, &err)) ...fail...
 *   ...quantize (opening first fails fast on an existing output)...
 *   if (ql_qwriter_add(q, "w", &result, &(ql_qwrite_opts){ .pack = true }, &err))
 *       { ql_qwriter_abort(q); ...fail... }
 *   if (ql_qwriter_close(q, &err)) ...fail...
 *
 * OUT.safetensors holds, for the tensor NAME:
 *   NAME.q          the codes, one per element: I8 (signed codes) or U8, the
 *                   tensor's shape; with pack, sub-byte codes packed densely,
 *                   lowest bits first (int4: element 2i in the low nibble),
 *                   as U8 [bytes]; absent for block formats without
 *                   per-element codes (their blocks hold everything)
 *   NAME.scale      F32 (F16 or BF16 with scale:fp16/bf16: the scales are
 *                   values of that type, so exactly), the scales' shape
 *   NAME.zero_point I32, the scales' shape (asymmetric integer schemes)
 *   NAME.blocks     U8, the raw blocks of the ggml formats (q8_0, q4_0,
 *                   q4_k, ...), nf4 and the MX formats in their reference
 *                   byte layout
 *   NAME.dequant    F32, the tensor's shape (with dequant)
 * and in __metadata__: qlens.scheme (ql_scheme_describe), qlens.scheme_word
 * (the one word that gives the scheme), qlens.tensor, qlens.dtype,
 * qlens.symmetric, qlens.granularity, qlens.calibration, qlens.packed,
 * qlens.qmin, qlens.qmax, qlens.axis or qlens.group, qlens.version.
 * A .safetensors file holds one quantized tensor (the metadata is its own).
 * OUT.npy holds the dequantized tensor (F32), which the result must have.
 *
 * The writer is io.h's: a temporary file renamed into place, never over an
 * input, over an existing file only with force. The result's arrays are
 * referenced until close or abort: keep the ql_qresult alive until then.
 */
#ifndef QLENS_QWRITE_H
#define QLENS_QWRITE_H

#include <stdbool.h>

#include "qlens/error.h"
#include "qlens/quant.h"

typedef struct ql_qwriter ql_qwriter;

typedef struct ql_qwrite_opts {
	bool pack;    /* NAME.q packed (sub-byte codes only) */
	bool dequant; /* also NAME.dequant (the result must have it) */
} ql_qwrite_opts;

int ql_qwriter_open(const char *path, bool force, ql_qwriter **out, ql_error *err);
/* Whether ql_qwriter_add with options o needs the result's dequantized
 * values (o->dequant, or a .npy file, which holds them alone): quantize
 * with ql_qopts.dequant exactly then. */
bool ql_qwriter_needs_dequant(const ql_qwriter *q, const ql_qwrite_opts *o);
/* Adds the quantized tensor `name` (o may be NULL: no packing, no dequant). */
int ql_qwriter_add(ql_qwriter *q, const char *name, const ql_qresult *r, const ql_qwrite_opts *o,
		   ql_error *err);
/* Writes and renames into place; frees q. On failure nothing is left behind. */
int ql_qwriter_close(ql_qwriter *q, ql_error *err);
/* Frees q without writing. */
void ql_qwriter_abort(ql_qwriter *q);

#endif
