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
 * This header is an umbrella: it includes the module headers below, so
 * `#include "qlens/quant.h"` gives all of them.
 *
 *   scheme.h    targets, schemes, their words and checks      (scheme.c)
 *   quantize.h  ql_quantize and its result                    (quantize*.c)
 *   affine.h    PyTorch's affine int8/int4/int2 kernels        (affine.c)
 *   scaled.h    scaled-float (fp8) kernels                    (scaled.c)
 *   calib.h     clipping-range calibration                     (calib.c)
 *   blocks.h    llama.cpp blocks (the table: blockfmt.h)       (blocks.c)
 *   mx.h        OCP microscaling                               (mx.c)
 *   nf4.h       bitsandbytes NF4                               (nf4.c)
 *   pack.h      bit packing                                    (pack.c)
 *
 * Not here: reading and writing files (io.h), the number formats themselves
 * (format.h), metrics and histograms (stats.h).
 */
#ifndef QLENS_QUANT_H
#define QLENS_QUANT_H

#include "qlens/error.h"
#include "qlens/format.h"
#include "qlens/stats.h"
#include "qlens/tensor.h"

#include "qlens/scheme.h"
#include "qlens/quantize.h"
#include "qlens/affine.h"
#include "qlens/scaled.h"
#include "qlens/calib.h"
#include "qlens/blocks.h"
#include "qlens/mx.h"
#include "qlens/nf4.h"
#include "qlens/pack.h"

#endif
