/* valueinfo.h — everything qlens shows about one stored value.
 *
 *   ql_value_info vi;
 *   ql_value_info_of(QL_FP16, 1.0 / 3, QL_CONV_CAST, &vi);
 *   // vi.code 0x3555, vi.stored 0.333251953125, vi.error -8.138e-05,
 *   // vi.rel_error -2.44e-04, vi.ulp 2.44e-04 (0x1p-12), vi.cls normal,
 *   // vi.torch_differs false
 *
 * `qlens bits` and the bit explorer both print from this struct, so the
 * two faces cannot compute a figure two ways. Core module: no I/O.
 */
#ifndef QLENS_VALUEINFO_H
#define QLENS_VALUEINFO_H

#include <stdbool.h>
#include <stdint.h>

#include "qlens/format.h"

/* How a float becomes an integer format (float formats always round to
 * nearest even): a cast truncates toward zero, as torch.tensor(x,
 * dtype=torch.int8) and C do; a rounding is what quantization does. */
typedef enum ql_conversion {
	QL_CONV_CAST,
	QL_CONV_ROUND,
} ql_conversion;

typedef struct ql_value_info {
	ql_type type;
	double input;       /* the value that was converted */
	uint64_t code;      /* the stored bit pattern */
	unsigned status;    /* QL_ST_* of the conversion (0 for a given code) */
	double stored;      /* the exact value of code (a double holds every
	                       format's values exactly) */
	ql_class cls;
	bool exact;         /* stored == input, or both NaN */
	double error;       /* stored - input: NaN when either is NaN or both
	                       are the same infinity; +-inf when one is */
	double rel_error;   /* error / |input| (signed); NaN when input is 0 or
	                       not finite, or error is not finite */
	double ulp;         /* the spacing at stored: to the next value away
	                       from zero, or toward zero at the top of the
	                       range; NaN for NaN and inf */
	bool ulp_is_step;   /* integer formats: the spacing is a grid step */
	bool torch_differs; /* PyTorch converts a Python float to fp16, bf16
	                       and fp8 through fp32; that rounds twice here */
	uint64_t torch_code; /* what PyTorch stores then (when torch_differs) */
} ql_value_info;

/* Converts x to format t (ql_cast, or ql_encode to nearest even for
 * QL_CONV_ROUND of an integer format) and describes the result. */
void ql_value_info_of(ql_type t, double x, ql_conversion conv, ql_value_info *vi);

/* Describes a given code of t against an input value (the bit explorer's
 * row whose bits were flipped; `bits --hex`). status is stored as given;
 * there is no PyTorch conversion to compare with (torch_differs false). */
void ql_value_info_code(ql_type t, uint64_t code, double input, unsigned status,
			ql_value_info *vi);

#endif
