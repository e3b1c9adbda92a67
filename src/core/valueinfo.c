/* valueinfo.c — the figures of one stored value (valueinfo.h), from the
 * format module's encoders, decoder, classifier and neighbours. */
#include "qlens/valueinfo.h"

#include <float.h>
#include <math.h>

void ql_value_info_code(ql_type t, uint64_t code, double input, unsigned status,
			ql_value_info *vi)
{
	const ql_format *f = &ql_formats[t];
	*vi = (ql_value_info){ .type = t, .input = input, .code = code, .status = status };
	double s = ql_decode(t, code);
	vi->stored = s;
	vi->cls = ql_classify(t, code);
	vi->exact = s == input || (isnan(s) && isnan(input));
	vi->error = s - input;
	vi->rel_error = input != 0 && isfinite(input) && isfinite(vi->error)
				? vi->error / fabs(input) : NAN;
	vi->ulp = NAN;
	vi->ulp_is_step = f->kind == QL_KIND_INT;
	if (isnan(s) || isinf(s))
		return;
	/* away from zero (+0 counts as positive), unless that is the end of
	 * the range or an infinity: then toward zero */
	int away = signbit(s) ? -1 : 1;
	uint64_t nb;
	if (ql_next(t, code, away, &nb) && isfinite(ql_decode(t, nb)))
		vi->ulp = fabs(ql_decode(t, nb) - s);
	else if (ql_next(t, code, -away, &nb) && isfinite(ql_decode(t, nb)))
		vi->ulp = fabs(s - ql_decode(t, nb));
}

void ql_value_info_of(ql_type t, double x, ql_conversion conv, ql_value_info *vi)
{
	const ql_format *f = &ql_formats[t];
	bool is_int = f->kind == QL_KIND_INT;
	unsigned st = 0;
	uint64_t code = is_int && conv == QL_CONV_ROUND ? ql_encode(t, x, QL_ROUND_NEAREST_EVEN, &st)
						       : ql_cast(t, x, &st);
	ql_value_info_code(t, code, x, st, vi);
	/* PyTorch's torch.tensor(x, dtype=...) for the narrow floats: x to fp32
	 * first, then to the format. Only finite x within fp32's range. */
	if (!is_int && t != QL_FP64 && t != QL_FP32 && f->torch_name && isfinite(x) &&
	    fabs(x) <= FLT_MAX) {
		double via = (double)(float)x;
		if (via != x) {
			vi->torch_code = ql_cast(t, via, NULL);
			vi->torch_differs = vi->torch_code != code;
		}
	}
}
