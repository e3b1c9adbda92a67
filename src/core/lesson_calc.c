/* lesson_calc.c — the numbers a lesson shows, computed by the core: a small
 * expression language over the formats and kernels ({=...} in lesson text,
 * @answer, @check), and the check of a task against a command's --json.
 */
#include "qlens/lesson.h"

#include <ctype.h>
#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qlens/affine.h"
#include "qlens/decimal.h"
#include "qlens/format.h"
#include "qlens/pack.h"

typedef struct calc {
	const char *s, *p;
	ql_error *err;
	int depth;
} calc;

static int cfail(calc *c, const char *what)
{
	return ql_error_set(c->err, "in {=%s}: %s at '%.12s'", c->s, what, c->p);
}

static void ws(calc *c)
{
	while (*c->p == ' ' || *c->p == '\t')
		c->p++;
}

static int expr(calc *c, double *v);

/* A format name as an argument: fp32, int8, ... */
static int type_arg(calc *c, ql_type *t)
{
	ws(c);
	const char *a = c->p;
	while (isalnum((unsigned char)*c->p) || *c->p == '_')
		c->p++;
	char name[32];
	snprintf(name, sizeof name, "%.*s", (int)(c->p - a), a);
	if (!name[0] || !ql_type_from_name(name, t)) {
		c->p = a;
		return cfail(c, "expected a format name (fp32, fp16, bf16, int8, ...)");
	}
	return 0;
}

static int expect(calc *c, char ch)
{
	ws(c);
	if (*c->p != ch) {
		char m[32];
		snprintf(m, sizeof m, "expected '%c'", ch);
		return cfail(c, m);
	}
	c->p++;
	return 0;
}

/* Arguments after the '(' already read: pattern letters 'n' number, 't'
 * format; '*' numbers to the ')'. */
static int args(calc *c, const char *pat, double *num, int *nn, ql_type *ty, int *nt)
{
	*nn = *nt = 0;
	for (int i = 0; pat[i]; i++) {
		if (pat[i] == '*') {
			while (1) {
				ws(c);
				if (*c->p == ')')
					break;
				if (*nn && expect(c, ',') != 0)
					return -1;
				if (*nn >= 16)
					return cfail(c, "too many arguments");
				if (expr(c, &num[(*nn)++]) != 0)
					return -1;
			}
			break;
		}
		if (i && expect(c, ',') != 0)
			return -1;
		if (pat[i] == 't' ? type_arg(c, &ty[(*nt)++]) : expr(c, &num[(*nn)++]))
			return -1;
	}
	return expect(c, ')');
}

static bool int_type(ql_type t)
{
	return ql_format_of(t)->kind == QL_KIND_INT;
}

static int call(calc *c, const char *name, double *v)
{
	double a[16];
	ql_type t[2];
	int nn, nt;
	unsigned status;
	ql_finfo fi;
	static const struct { const char *name; double (*fn)(double); } one[] = {
		{"abs", fabs}, {"sqrt", sqrt}, {"log2", log2}, {"log10", log10}, {"ln", log},
		{"exp", exp}, {"floor", floor}, {"ceil", ceil}, {"rint", rint},
	};
	for (size_t i = 0; i < sizeof one / sizeof one[0]; i++)
		if (strcmp(name, one[i].name) == 0) {
			if (args(c, "n", a, &nn, t, &nt) != 0)
				return -1;
			*v = one[i].fn(a[0]);
			return 0;
		}
	if (strcmp(name, "cast") == 0 || strcmp(name, "round") == 0) {
		if (args(c, "tn", a, &nn, t, &nt) != 0)
			return -1;
		uint64_t code = name[0] == 'c' ? ql_cast(t[0], a[0], &status)
				: ql_encode(t[0], a[0], QL_ROUND_NEAREST_EVEN, &status);
		*v = ql_decode(t[0], code);
		return 0;
	}
	if (strcmp(name, "quant") == 0) {
		if (args(c, "nnnt", a, &nn, t, &nt) != 0)
			return -1;
		if (!int_type(t[0]))
			return cfail(c, "quant() takes an integer format");
		if (!(a[1] > 0) || !isfinite(a[1]) || a[2] != rint(a[2]))
			return cfail(c, "quant(x, scale, zero_point, T): scale > 0, integer zero point");
		ql_finfo_get(t[0], &fi);
		float x = (float)a[0];
		if (fi.min < 0) {
			int8_t q;
			ql_affine_quantize_s8(&x, 1, (float)a[1], (int32_t)a[2], (int32_t)fi.min,
					      (int32_t)fi.max, &q);
			*v = q;
		} else {
			uint8_t q;
			ql_affine_quantize_u8(&x, 1, (float)a[1], (int32_t)a[2], (int32_t)fi.min,
					      (int32_t)fi.max, &q);
			*v = q;
		}
		return 0;
	}
	if (strcmp(name, "dequant") == 0) {
		if (args(c, "nnn", a, &nn, t, &nt) != 0)
			return -1;
		*v = (double)(((float)a[0] - (float)a[2]) * (float)a[1]);
		return 0;
	}
	if (strcmp(name, "symscale") == 0) {
		if (args(c, "nt", a, &nn, t, &nt) != 0)
			return -1;
		ql_finfo_get(t[0], &fi);
		*v = (double)((float)a[0] / (float)fi.max);
		return 0;
	}
	if (strcmp(name, "ascale") == 0 || strcmp(name, "azp") == 0) {
		if (args(c, "nnt", a, &nn, t, &nt) != 0)
			return -1;
		if (!int_type(t[0]))
			return cfail(c, "ascale()/azp() take an integer format");
		ql_finfo_get(t[0], &fi);
		float s;
		int32_t z;
		ql_qparams_from_range((float)a[0], (float)a[1], (int32_t)fi.min, (int32_t)fi.max, false,
				      &s, &z);
		*v = name[1] == 's' ? (double)s : (double)z;
		return 0;
	}
	static const char *const info[] = {"max", "min", "eps", "tiny", "subnormal", "bits"};
	for (size_t i = 0; i < sizeof info / sizeof info[0]; i++)
		if (strcmp(name, info[i]) == 0) {
			if (args(c, "t", a, &nn, t, &nt) != 0)
				return -1;
			ql_finfo_get(t[0], &fi);
			double r[] = {fi.max, fi.min, fi.eps, fi.tiny, fi.smallest_subnormal, fi.bits};
			*v = r[i];
			return 0;
		}
	if (strcmp(name, "pack") == 0) {
		if (args(c, "n*", a, &nn, t, &nt) != 0)
			return -1;
		int bits = (int)a[0];
		if (a[0] != 1 && a[0] != 2 && a[0] != 4)
			return cfail(c, "pack(bits, codes...): bits is 1, 2 or 4");
		if (nn - 1 != 8 / bits)
			return cfail(c, "pack() takes 8/bits codes: one byte");
		uint8_t codes[8], out;
		for (int i = 1; i < nn; i++) {
			if (a[i] != rint(a[i]) || a[i] < -(1 << (bits - 1)) || a[i] >= (1 << bits))
				return cfail(c, "a code does not fit in its bits");
			codes[i - 1] = (uint8_t)((int)a[i] & ((1 << bits) - 1));
		}
		ql_pack_bits(codes, (size_t)(nn - 1), bits, &out);
		*v = out;
		return 0;
	}
	char what[64];
	snprintf(what, sizeof what, "unknown function %s()", name);
	return cfail(c, what);
}

static int primary(calc *c, double *v)
{
	ws(c);
	if (++c->depth > 64)
		return cfail(c, "nested too deeply");
	int rc;
	if (*c->p == '(') {
		c->p++;
		rc = expr(c, v) != 0 ? -1 : expect(c, ')');
	} else if (*c->p == '-' || *c->p == '+') {
		bool neg = *c->p++ == '-';
		rc = primary(c, v);
		if (neg)
			*v = -*v;
	} else if (isdigit((unsigned char)*c->p) || *c->p == '.') {
		char *end;
		*v = strtod(c->p, &end);
		if (end == c->p)
			rc = cfail(c, "bad number");
		else
			c->p = end, rc = 0;
	} else if (isalpha((unsigned char)*c->p)) {
		const char *a = c->p;
		while (isalnum((unsigned char)*c->p) || *c->p == '_')
			c->p++;
		char name[32];
		snprintf(name, sizeof name, "%.*s", (int)(c->p - a), a);
		ws(c);
		if (strcmp(name, "inf") == 0)
			*v = INFINITY, rc = 0;
		else if (strcmp(name, "nan") == 0)
			*v = NAN, rc = 0;
		else if (*c->p != '(')
			c->p = a, rc = cfail(c, "unknown name");
		else
			c->p++, rc = call(c, name, v);
	} else {
		rc = cfail(c, "expected a number");
	}
	c->depth--;
	if (rc == 0) {
		ws(c);
		if (*c->p == '^') {
			c->p++;
			double e;
			if (primary(c, &e) != 0)
				return -1;
			*v = pow(*v, e);
		}
	}
	return rc;
}

static int term(calc *c, double *v)
{
	if (primary(c, v) != 0)
		return -1;
	for (;;) {
		ws(c);
		char op = *c->p;
		if (op != '*' && op != '/')
			return 0;
		c->p++;
		double r;
		if (primary(c, &r) != 0)
			return -1;
		*v = op == '*' ? *v * r : *v / r;
	}
}

static int expr(calc *c, double *v)
{
	if (term(c, v) != 0)
		return -1;
	for (;;) {
		ws(c);
		char op = *c->p;
		if (op != '+' && op != '-')
			return 0;
		c->p++;
		double r;
		if (term(c, &r) != 0)
			return -1;
		*v = op == '+' ? *v + r : *v - r;
	}
}

int ql_lesson_calc(const char *text, double *out, ql_error *err)
{
	calc c = {.s = text, .p = text, .err = err};
	if (expr(&c, out) != 0)
		return -1;
	ws(&c);
	if (*c.p)
		return cfail(&c, "unexpected text");
	return 0;
}

int ql_lesson_format(double v, const char *spec, char *buf, size_t n, ql_error *err)
{
	if (!spec[0]) {
		if (isfinite(v) && v == rint(v) && fabs(v) < 1e15)
			snprintf(buf, n, "%.0f", v + 0.0);
		else
			snprintf(buf, n, "%.6g", v);
		return 0;
	}
	if (strcmp(spec, "exact") == 0) {
		ql_decimal_exact(v, buf, n);
		return 0;
	}
	if (strcmp(spec, ",") == 0) {
		if (!(fabs(v) < 1e18))
			return ql_error_set(err, "{=, ...}: %g is not a printable integer", v);
		char d[32];
		long long k = llrint(v);
		snprintf(d, sizeof d, "%lld", k < 0 ? -k : k);
		size_t len = strlen(d), o = 0;
		if (k < 0 && o + 1 < n)
			buf[o++] = '-';
		for (size_t i = 0; i < len && o + 2 < n; i++) {
			buf[o++] = d[i];
			if ((len - 1 - i) % 3 == 0 && i + 1 < len)
				buf[o++] = ',';
		}
		buf[o] = '\0';
		return 0;
	}
	char *end;
	long k = strtol(spec + 1, &end, 10);
	if ((spec[0] == '.' || spec[0] == 'g') && end != spec + 1 && !*end && k >= 0 && k <= 100) {
		if (spec[0] == '.')
			ql_decimal_fixed(v, (int)k, buf, n);
		else
			snprintf(buf, n, "%.*g", k ? (int)k : 1, v);
		return 0;
	}
	return ql_error_set(err, "unknown number format '%s' (use .N, gN, exact or ,)", spec);
}

int ql_lesson_expand(const char *text, char **out, ql_error *err)
{
	size_t cap = strlen(text) + 64, o = 0;
	char *r = malloc(cap);
	if (!r)
		return ql_error_set(err, "out of memory");
	for (const char *p = text; *p;) {
		const char *open = strstr(p, "{=");
		size_t lit = open ? (size_t)(open - p) : strlen(p);
		char val[QL_DECIMAL_MAX + 8] = "";
		const char *next = p + lit;
		if (open) {
			const char *close = strchr(open, '}');
			if (!close) {
				free(r);
				return ql_error_set(err, "a {= has no closing }");
			}
			char inner[512];
			snprintf(inner, sizeof inner, "%.*s", (int)(close - open - 2), open + 2);
			/* SPEC is the first word when it is not an expression's start */
			char spec[16] = "";
			const char *e = inner;
			if (inner[0] == '.' || inner[0] == 'g' || inner[0] == ',' ||
			    strncmp(inner, "exact", 5) == 0) {
				size_t sl = strcspn(inner, " ");
				if (inner[0] != 'g' || (sl > 1 && isdigit((unsigned char)inner[1]))) {
					snprintf(spec, sizeof spec, "%.*s", (int)sl, inner);
					e = inner + sl;
				}
			}
			/* a trailing >N pads on the left to N columns (tables) */
			int pad = 0;
			char *gt = strchr(spec, '>');
			if (!gt && inner[0] == '>') {
				size_t sl = strcspn(inner, " ");
				snprintf(spec, sizeof spec, "%.*s", (int)sl, inner);
				e = inner + sl;
				gt = spec;
			}
			if (gt) {
				pad = atoi(gt + 1);
				*gt = '\0';
				if (pad < 1 || pad > 60) {
					free(r);
					return ql_error_set(err, "in {=%s}: >N pads to 1..60 columns", inner);
				}
			}
			double v;
			char tmp[QL_DECIMAL_MAX - 64];
			if (ql_lesson_calc(e, &v, err) != 0 ||
			    ql_lesson_format(v, spec, tmp, sizeof tmp, err) != 0) {
				free(r);
				return -1;
			}
			size_t tl = strlen(tmp), fill = tl < (size_t)pad ? (size_t)pad - tl : 0;
			memset(val, ' ', fill);
			memcpy(val + fill, tmp, tl + 1); /* fill <= 60, tl < sizeof tmp */
			next = close + 1;
		}
		size_t need = o + lit + strlen(val) + 1;
		if (need > cap) {
			cap = need * 2;
			char *nr = realloc(r, cap);
			if (!nr) {
				free(r);
				return ql_error_set(err, "out of memory");
			}
			r = nr;
		}
		memcpy(r + o, p, lit);
		o += lit;
		memcpy(r + o, val, strlen(val));
		o += strlen(val);
		p = next;
	}
	r[o] = '\0';
	*out = r;
	return 0;
}

int ql_lesson_check(const ql_lesson_block *b, const char *json, bool *met, double *value,
		    ql_error *err)
{
	json_error_t je;
	json_t *root = json_loads(json, 0, &je);
	if (!root)
		return ql_error_set(err, "the command's --json output does not parse: %s", je.text);
	json_t *node = root;
	char key[256];
	snprintf(key, sizeof key, "%s", b->check_key);
	for (char *part = strtok(key, "."); part && node; part = strtok(NULL, ".")) {
		if (json_is_array(node)) {
			char *end;
			long i = strtol(part, &end, 10);
			node = *end ? NULL : json_array_get(node, (size_t)i);
		} else {
			node = json_object_get(node, part);
		}
	}
	if (!node || !json_is_number(node)) {
		json_decref(root);
		return ql_error_set(err, "no number '%s' in the command's result", b->check_key);
	}
	double v = json_number_value(node), want;
	json_decref(root);
	if (ql_lesson_calc(b->check_expr, &want, err) != 0)
		return -1;
	switch (b->check_op) {
	case QL_OP_LT: *met = v < want; break;
	case QL_OP_LE: *met = v <= want; break;
	case QL_OP_GT: *met = v > want; break;
	case QL_OP_GE: *met = v >= want; break;
	case QL_OP_EQ: *met = v == want; break;
	case QL_OP_NE: *met = v != want; break;
	}
	if (value)
		*value = v;
	return 0;
}
