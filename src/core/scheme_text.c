/* scheme_text.c — a scheme as one word, parsed and printed (scheme_text.h).
 * The words of the parts (dtype names, calibrations) are quant.h's; this
 * file only splits and joins them. */
#include "qlens/scheme_text.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "qlens/decimal.h"

/* A whole decimal integer in [min, max]. */
static bool parse_long(const char *s, long long min, long long max, long long *out)
{
	if (!*s || (*s != '-' && *s != '+' && (*s < '0' || *s > '9')))
		return false;
	errno = 0;
	char *end;
	long long v = strtoll(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return false;
	*out = v;
	return true;
}

/* What a modifier sets: each may be said once in a word. */
enum { K_SYM, K_GRAN, K_SCALE_DT, K_SCALE, K_ZP, K_CALIB, K_KINDS };

static int kind_of(const char *part)
{
	if (!strcasecmp(part, "sym") || !strcasecmp(part, "asym"))
		return K_SYM;
	if (!strncasecmp(part, "ch", 2) || ((part[0] == 'g' || part[0] == 'G') && part[1]))
		return K_GRAN;
	if (!strncasecmp(part, "scale:", 6))
		return part[6] && strchr("fFbB", part[6]) ? K_SCALE_DT : K_SCALE;
	if (!strncasecmp(part, "zp:", 3))
		return K_ZP;
	return K_CALIB;
}

/* One modifier onto s; `gran` says whether /ch or /g was seen. */
static int modifier(const char *word, const char *part, ql_scheme *s, bool *gran, ql_error *err)
{
	long long v;
	if (!strcasecmp(part, "sym")) {
		s->sym = QL_SYM;
	} else if (!strcasecmp(part, "asym")) {
		s->sym = QL_ASYM;
	} else if (!strncasecmp(part, "ch", 2)) {
		if (*gran)
			return ql_error_set(err, "scheme '%s': one of /chN or /gN", word);
		v = 0;
		if (part[2] && !parse_long(part + 2, -QL_MAX_DIMS, QL_MAX_DIMS - 1, &v))
			return ql_error_set(err, "scheme '%s': '%s' needs an axis, as in ch0", word, part);
		s->gran = QL_GRAN_CHANNEL;
		s->axis = (int)v;
		*gran = true;
	} else if ((part[0] == 'g' || part[0] == 'G') && part[1]) {
		if (*gran)
			return ql_error_set(err, "scheme '%s': one of /chN or /gN", word);
		if (!parse_long(part + 1, 1, QL_MAX_GROUP, &v))
			return ql_error_set(err, "scheme '%s': '%s' needs a group size of at least 1 "
					    "and at most %lld, as in g32", word, part, (long long)QL_MAX_GROUP);
		s->gran = QL_GRAN_GROUP;
		s->group = v;
		*gran = true;
	} else if (!strncasecmp(part, "scale:", 6) && strchr("fFbB", part[6]) && part[6]) {
		/* scale:fp16, scale:bf16, scale:fp32: the scales' storage type */
		ql_error e;
		if (ql_scheme_parse_scale_dtype(part + 6, &s->scale_dtype, &e))
			return ql_error_set(err, "scheme '%s': '%s': %s", word, part, e.msg);
	} else if (!strncasecmp(part, "scale:", 6)) {
		double d;
		ql_error e;
		if (ql_parse_value(part + 6, &d, &e))
			return ql_error_set(err, "scheme '%s': '%s': %s", word, part, e.msg);
		s->has_scale = true;
		s->scale = (float)d;
	} else if (!strncasecmp(part, "zp:", 3)) {
		if (!parse_long(part + 3, INT32_MIN, INT32_MAX, &v))
			return ql_error_set(err, "scheme '%s': '%s' needs an integer zero point, as in "
					    "zp:128", word, part);
		s->has_zero_point = true;
		s->zero_point = (int32_t)v;
	} else if (ql_scheme_parse_calib(part, s, err)) {
		if (!strncasecmp(part, "percentile:", 11)) /* a calibration; its P is wrong */
			return ql_error_prefix(err, "scheme '%s'", word);
		return ql_error_prefix(err, "scheme '%s': '%s' is not a modifier (sym, asym, chN, gN, "
				       "scale:S, scale:fp16|bf16, zp:Z or a calibration)", word, part);
	}
	return 0;
}

int ql_scheme_parse_word(const char *word, ql_scheme *s, ql_error *err)
{
	ql_scheme_init(s);
	char buf[256];
	if (!word || !*word)
		return ql_error_set(err, "empty scheme");
	if (strlen(word) >= sizeof buf)
		return ql_error_set(err, "scheme '%.40s...' is too long", word);
	snprintf(buf, sizeof buf, "%s", word);
	char *save = NULL;
	char *part = strtok_r(buf, "/", &save);
	if (!part)
		return ql_error_set(err, "scheme '%s': no dtype", word);
	if (ql_scheme_parse_dtype(part, &s->dtype, err))
		return ql_error_prefix(err, "scheme '%s'", word);
	bool gran = false;
	const char *said[K_KINDS] = { 0 }; /* the part that set each kind */
	static const char *const what[K_KINDS] = {
		"the symmetry (sym or asym)", "the granularity (chN or gN)",
		"the scales' type (scale:fp16, bf16 or fp32)", "the scale (scale:S)",
		"the zero point (zp:Z)", "the calibration",
	};
	while ((part = strtok_r(NULL, "/", &save)) != NULL) {
		if (modifier(word, part, s, &gran, err))
			return -1;
		int k = kind_of(part);
		if (said[k] && !strcasecmp(said[k], part))
			return ql_error_set(err, "scheme '%s': '%s' is given twice", word, part);
		if (said[k]) /* int4/sym/asym: the last would win unseen; the options refuse it too */
			return ql_error_set(err, "scheme '%s': '%s' and '%s' both set %s; give one",
					    word, said[k], part, what[k]);
		said[k] = part;
	}
	if (ql_scheme_validate(s, NULL, 0, err))
		return ql_error_prefix(err, "scheme '%s'", word);
	return 0;
}

/* The shortest %g of v that reads back (as the parser reads it: a double,
 * then float for a scale) to the same value. */
static void shortest(char *buf, size_t n, double v, bool as_float)
{
	for (int p = 1; p <= 17; p++) {
		snprintf(buf, n, "%.*g", p, v);
		double back = strtod(buf, NULL);
		if (as_float ? (float)back == (float)v : back == v)
			return;
	}
}

int ql_scheme_word(const ql_scheme *s, char *buf, size_t n)
{
	const ql_qdtype_info *info = ql_qdtype_of(s->dtype);
	char w[QL_SCHEME_WORD_MAX * 2], num[40];
	size_t k = 0;
#define PUT(...) (k += (size_t)snprintf(w + k, k < sizeof w ? sizeof w - k : 0, __VA_ARGS__))
	PUT("%s", info->name);
	if (info->kind == QL_QK_INT) {
		ql_symmetry natural = info->is_signed ? QL_SYM : QL_ASYM;
		ql_symmetry sym = ql_scheme_symmetry(s);
		if (sym != natural)
			PUT("/%s", sym == QL_SYM ? "sym" : "asym");
	}
	if (s->gran == QL_GRAN_CHANNEL)
		PUT("/ch%d", s->axis);
	else if (s->gran == QL_GRAN_GROUP)
		PUT("/g%lld", (long long)s->group);
	if (s->calib == QL_CALIB_PERCENTILE) {
		shortest(num, sizeof num, s->percentile, false);
		PUT("/percentile:%s", num);
	} else if (s->calib != QL_CALIB_MINMAX) {
		PUT("/%s", ql_calib_name(s->calib));
	}
	if (s->has_scale) {
		shortest(num, sizeof num, (double)s->scale, true);
		PUT("/scale:%s", num);
	}
	if (s->scale_dtype != QL_SCALE_FP32)
		PUT("/scale:%s", ql_scale_dtype_name(s->scale_dtype));
	if (s->has_zero_point)
		PUT("/zp:%ld", (long)s->zero_point);
#undef PUT
	return snprintf(buf, n, "%s", w);
}

const char *ql_granularity_name(ql_granularity g)
{
	switch (g) {
	case QL_GRAN_TENSOR: return "tensor";
	case QL_GRAN_CHANNEL: return "channel";
	case QL_GRAN_GROUP: return "group";
	case QL_GRAN_BLOCK: return "block";
	}
	return "?";
}
