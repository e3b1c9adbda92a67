/* text.c — the text backend: numbers typed or pasted into a file.
 *
 *   # weights of a tiny layer
 *   0.5, -1.25, 3e-2
 *   1    2      nan
 *
 * Numbers are separated by commas and/or white space; each non-empty line
 * is one row. Several rows make a 2-D tensor [rows, columns] (every row must
 * have the same count: a ragged row is refused with its line number); a
 * single line makes a 1-D tensor. `#` starts a comment to the end of the
 * line. Numbers are read in the C locale whatever the user's locale is
 * (decimal point, not comma): decimal, scientific, hex floats, inf, nan.
 * A file written on Windows (CR LF) or with a UTF-8 byte-order mark reads
 * the same.
 *
 * The values are rounded to float32 (the precision the kernels work in) and
 * held in memory: the tensor is named after the file's stem and has dtype
 * F32. A finite number beyond float32's range is refused rather than
 * silently made infinite.
 *
 * Claimed by extension (.txt .csv .tsv .text .dat) or, for other names, when
 * the first bytes look like numbers or a comment (this backend is probed
 * last).
 */
#include "source_impl.h"

#include <errno.h>
#include <float.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define TOKEN_MAX 128 /* longest number text accepted */

typedef struct text_state {
	float *values;
} text_state;

static bool has_ext(const char *path, const char *ext)
{
	size_t n = strlen(path), m = strlen(ext);
	return n > m && strcasecmp(path + n - m, ext) == 0;
}

static bool text_probe(const char *path, const uint8_t *head, size_t n, const ql_open_opts *opts)
{
	(void)opts;
	static const char *const exts[] = { ".txt", ".csv", ".tsv", ".text", ".dat" };
	for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++)
		if (has_ext(path, exts[i]))
			return true;
	/* Sniff: printable ASCII only, and the first visible character starts a
	 * number or a comment. */
	size_t look = n < 512 ? n : 512;
	size_t i = 0;
	if (look >= 3 && memcmp(head, "\xEF\xBB\xBF", 3) == 0)
		i = 3;
	for (size_t j = i; j < look; j++)
		if (!(head[j] == '\n' || head[j] == '\r' || head[j] == '\t' ||
		      (head[j] >= 0x20 && head[j] < 0x7F)))
			return false;
	while (i < look && (head[i] == ' ' || head[i] == '\t' || head[i] == '\r' || head[i] == '\n'))
		i++;
	if (i == look)
		return false;
	char ch = (char)head[i];
	return (ch >= '0' && ch <= '9') || ch == '-' || ch == '+' || ch == '.' || ch == '#';
}

static bool is_space(uint8_t ch) { return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\v' || ch == '\f'; }

/* The values so far, grown by doubling. */
typedef struct values {
	float *v;
	size_t n, cap;
} values;

static int values_push(values *vs, float x, ql_error *err)
{
	if (vs->n == vs->cap) {
		size_t cap = vs->cap ? vs->cap * 2 : 256;
		if (cap > SIZE_MAX / sizeof(float))
			return ql_error_set(err, "too many numbers");
		float *p = realloc(vs->v, cap * sizeof *p);
		if (!p)
			return ql_error_set(err, "out of memory");
		vs->v = p;
		vs->cap = cap;
	}
	vs->v[vs->n++] = x;
	return 0;
}

/* Parses one number token (not NUL-terminated) in the C locale. */
static int parse_number(const uint8_t *s, size_t len, locale_t c_locale, unsigned long line,
			float *out, ql_error *err)
{
	char tok[TOKEN_MAX + 1];
	if (len > TOKEN_MAX)
		return ql_error_set(err, "line %lu: a number of %zu characters is too long", line, len);
	memcpy(tok, s, len);
	tok[len] = '\0';
	for (size_t i = 0; i < len; i++) {
		if (tok[i] < 0x20 || tok[i] >= 0x7F) {
			return ql_error_set(err, "line %lu: a value contains a byte 0x%02X that is "
					    "not part of a number", line, (unsigned char)tok[i]);
		}
	}
	char *end;
	errno = 0;
	double d = strtod_l(tok, &end, c_locale);
	if (end == tok || *end != '\0')
		return ql_error_set(err, "line %lu: '%s' is not a number", line, tok);
	if (errno == ERANGE && isinf(d))
		return ql_error_set(err, "line %lu: %s is beyond float32's range", line, tok);
	if (isfinite(d) && fabs(d) > FLT_MAX) {
		/* The float32 rounding of d: values a hair above FLT_MAX round
		 * down to it; anything else overflows. */
		float f = (float)d;
		if (isinf(f))
			return ql_error_set(err, "line %lu: %s is beyond float32's range", line, tok);
	}
	*out = (float)d;
	return 0;
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

/* The file's name without folder and extension: "w.txt" -> "w". */
static void stem(const char *path, char *out, size_t n)
{
	const char *b = base_name(path);
	const char *dot = strrchr(b, '.');
	size_t len = dot && dot != b ? (size_t)(dot - b) : strlen(b);
	if (len >= n)
		len = n - 1;
	memcpy(out, b, len);
	out[len] = '\0';
	if (!out[0])
		snprintf(out, n, "tensor");
}

static int text_parse(ql_source *src, values *vs, size_t *rows_out, size_t *cols_out,
		      locale_t loc, ql_error *err)
{
	if (!src->map)
		return ql_error_set(err, "no numbers in the file (it is empty)");
	const uint8_t *p = src->map, *end = src->map + src->size;
	if (src->size >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
		p += 3;
	unsigned long line = 0, first_line = 0;
	size_t rows = 0, cols = 0;
	while (p < end) {
		line++;
		const uint8_t *eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol)
			eol = end;
		const uint8_t *hash = memchr(p, '#', (size_t)(eol - p));
		const uint8_t *stop = hash ? hash : eol;
		size_t count = 0;
		bool want_value = false; /* just after a comma */
		const uint8_t *q = p;
		while (q < stop) {
			if (is_space(*q)) {
				q++;
				continue;
			}
			if (*q == ',') {
				if (count == 0 || want_value)
					return ql_error_set(err, "line %lu: a comma with no number "
							    "before it", line);
				want_value = true;
				q++;
				continue;
			}
			if (*q == '\0')
				return ql_error_set(err, "line %lu: a NUL byte: this is not a text file",
						    line);
			const uint8_t *t = q;
			while (q < stop && !is_space(*q) && *q != ',')
				q++;
			float x = 0;
			if (parse_number(t, (size_t)(q - t), loc, line, &x, err) ||
			    values_push(vs, x, err))
				return -1;
			count++;
			want_value = false;
		}
		/* A comma at the end of a line ("1, 2, 3,") is tolerated. */
		if (count) {
			if (rows == 0) {
				cols = count;
				first_line = line;
			} else if (count != cols) {
				return ql_error_set(err, "line %lu has %zu values, but line %lu has %zu "
						    "(every row needs the same count)",
						    line, count, first_line, cols);
			}
			rows++;
		}
		p = eol < end ? eol + 1 : end;
	}
	if (rows == 0)
		return ql_error_set(err, "no numbers in the file");
	*rows_out = rows;
	*cols_out = cols;
	return 0;
}

static int text_open(ql_source *src, ql_error *err)
{
	locale_t loc = newlocale(LC_ALL_MASK, "C", (locale_t)0);
	if (loc == (locale_t)0)
		return ql_error_set(err, "cannot create the C locale");
	values vs = { 0 };
	size_t rows = 0, cols = 0;
	int rc = text_parse(src, &vs, &rows, &cols, loc, err);
	freelocale(loc);
	if (rc) {
		free(vs.v);
		return -1;
	}
	text_state *st = calloc(1, sizeof *st);
	ql_source_entry *e = st ? ql_source_add(src, err) : NULL;
	if (!e) {
		free(st);
		free(vs.v);
		return st ? -1 : ql_error_set(err, "out of memory");
	}
	st->values = vs.v;
	src->priv = st;
	ql_tensor *t = &e->t;
	stem(src->path, t->name, sizeof t->name);
	t->dtype = QL_DT_F32;
	if (rows == 1) {
		t->ndim = 1;
		t->shape[0] = (int64_t)cols;
	} else {
		t->ndim = 2;
		t->shape[0] = (int64_t)rows;
		t->shape[1] = (int64_t)cols;
	}
	t->nelem = (int64_t)vs.n;
	t->nbytes = (uint64_t)vs.n * sizeof(float);
	return ql_source_add_meta(src, "layout", rows == 1 ? "one line: 1-D" : "one row per line: 2-D",
				  err);
}

static int text_read(ql_source *src, size_t i, ql_error *err)
{
	text_state *st = src->priv;
	if (i != 0 || !st)
		return ql_error_set(err, "no tensor number %zu", i);
	src->tensors[0].t.data = st->values;
	return 0;
}

static void text_close(ql_source *src)
{
	text_state *st = src->priv;
	if (st) {
		free(st->values);
		free(st);
		src->priv = NULL;
	}
}

const ql_source_backend ql_backend_text = {
	.name = "text",
	.probe = text_probe,
	.open = text_open,
	.read = text_read,
	.close = text_close,
};
