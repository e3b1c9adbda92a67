/* npy.c — NumPy .npy files: read (backend "npy") and write.
 *
 * A .npy file is the magic "\x93NUMPY", a major and minor version, the
 * header length (2 bytes little-endian in 1.0, 4 bytes in 2.0 and 3.0), a
 * header that is a Python dict literal such as
 *
 *     {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }
 *
 * padded with spaces and ended by '\n', then the array's bytes. See
 * numpy/lib/format.py (NEP 1). The header is parsed strictly: exactly the
 * three keys, each once, Python string/bool/tuple syntax and nothing else —
 * no eval. Version 3.0 only differs by allowing UTF-8 in the header, which a
 * plain numeric array never contains.
 *
 * Read: dtypes f2 f4 f8 i1 u1 i2 u2 i4 u4 i8 u8 b1 in either byte order, C
 * or Fortran order, 0-d and empty arrays. Refused with a message: object
 * arrays (pickles), structured dtypes, strings, complex, datetimes.
 * Write: version 1.0 (a header of at most 8 dimensions always fits its
 * 16-bit length), C order, host byte order, padded as np.save pads.
 */
#include "source_impl.h"
#include "npy.h"
#include "writer_impl.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NPY_MAGIC "\x93NUMPY"
#define NPY_MAGIC_LEN 6
#define NPY_PREAMBLE_V1 10 /* magic, 2 version bytes, 2 length bytes */
#define NPY_PREAMBLE_V2 12 /* ... 4 length bytes */

/* --- the header's dict literal ------------------------------------------- */

typedef struct cursor {
	const char *p, *end;
} cursor;

static void skip_space(cursor *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
		c->p++;
}

static bool eat(cursor *c, char ch)
{
	skip_space(c);
	if (c->p < c->end && *c->p == ch) {
		c->p++;
		return true;
	}
	return false;
}

/* A Python string literal in single or double quotes, without escapes. */
static int parse_string(cursor *c, char *buf, size_t n, ql_error *err)
{
	skip_space(c);
	if (c->p >= c->end || (*c->p != '\'' && *c->p != '"'))
		return ql_error_set(err, "npy header: expected a quoted string");
	char q = *c->p++;
	const char *close = memchr(c->p, q, (size_t)(c->end - c->p));
	if (!close)
		return ql_error_set(err, "npy header: unterminated string");
	size_t len = (size_t)(close - c->p);
	if (memchr(c->p, '\\', len))
		return ql_error_set(err, "npy header: escape sequences in strings are not supported");
	if (len >= n)
		return ql_error_set(err, "npy header: string is too long");
	memcpy(buf, c->p, len);
	buf[len] = '\0';
	c->p = close + 1;
	return 0;
}

static bool word_at(cursor *c, const char *w)
{
	size_t n = strlen(w);
	if ((size_t)(c->end - c->p) < n || memcmp(c->p, w, n) != 0)
		return false;
	/* a whole word: not "Truex" */
	if ((size_t)(c->end - c->p) > n && (isalnum((unsigned char)c->p[n]) || c->p[n] == '_'))
		return false;
	c->p += n;
	return true;
}

static int parse_bool(cursor *c, bool *out, ql_error *err)
{
	skip_space(c);
	if (word_at(c, "True"))
		*out = true;
	else if (word_at(c, "False"))
		*out = false;
	else
		return ql_error_set(err, "npy header: 'fortran_order' must be True or False");
	return 0;
}

/* A non-negative decimal integer (an old Python 2 'L' suffix allowed). */
static int parse_dim(cursor *c, int64_t *out, ql_error *err)
{
	skip_space(c);
	if (c->p < c->end && *c->p == '-')
		return ql_error_set(err, "npy header: negative dimension in 'shape'");
	if (c->p >= c->end || !isdigit((unsigned char)*c->p))
		return ql_error_set(err, "npy header: 'shape' must be a tuple of integers");
	int64_t v = 0;
	while (c->p < c->end && isdigit((unsigned char)*c->p)) {
		int d = *c->p++ - '0';
		if (v > (INT64_MAX - d) / 10)
			return ql_error_set(err, "npy header: dimension in 'shape' is too large");
		v = v * 10 + d;
	}
	if (c->p < c->end && (*c->p == 'L' || *c->p == 'l'))
		c->p++;
	*out = v;
	return 0;
}

/* "()", "(3,)", "(3, 4)", "(3, 4,)". "(3)" is an int in Python, not a tuple. */
static int parse_shape(cursor *c, int64_t *shape, int *ndim, ql_error *err)
{
	if (!eat(c, '('))
		return ql_error_set(err, "npy header: 'shape' must be a tuple");
	int n = 0;
	bool comma = false;
	while (!eat(c, ')')) {
		if (n > 0 && !comma)
			return ql_error_set(err, "npy header: expected ',' or ')' in 'shape'");
		if (n == QL_MAX_DIMS)
			return ql_error_set(err, "npy header: more than %d dimensions", QL_MAX_DIMS);
		if (parse_dim(c, &shape[n], err))
			return -1;
		n++;
		comma = eat(c, ',');
	}
	if (n == 1 && !comma)
		return ql_error_set(err, "npy header: 'shape' must be a tuple ('(N,)' for one dimension)");
	*ndim = n;
	return 0;
}

/* '<f4' and friends onto a dtype. */
static int parse_descr(const char *d, ql_dtype *dt, bool *big, ql_error *err)
{
	static const struct {
		const char *code;
		ql_dtype dtype;
	} codes[] = {
		{ "f2", QL_DT_F16 }, { "f4", QL_DT_F32 }, { "f8", QL_DT_F64 },
		{ "i1", QL_DT_I8 },  { "u1", QL_DT_U8 },  { "i2", QL_DT_I16 },
		{ "u2", QL_DT_U16 }, { "i4", QL_DT_I32 }, { "u4", QL_DT_U32 },
		{ "i8", QL_DT_I64 }, { "u8", QL_DT_U64 }, { "b1", QL_DT_BOOL },
	};
	char order = d[0];
	if (order != '<' && order != '>' && order != '|' && order != '=')
		return ql_error_set(err, "npy header: descr '%s' has no byte order", d);
	const char *code = d + 1;
	for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
		if (strcmp(code, codes[i].code) != 0)
			continue;
		int size = ql_dtypes[codes[i].dtype].block_bytes;
		if (order == '|' && size != 1)
			return ql_error_set(err, "npy header: descr '%s' lacks a byte order", d);
		*dt = codes[i].dtype;
		/* '=' is the writer's native order; every platform numpy writes
		 * '=' on in practice is little-endian. */
		*big = order == '>' && size > 1;
		return 0;
	}
	switch (code[0]) {
	case 'O':
		return ql_error_set(err, "object arrays are not supported (they hold pickled Python objects)");
	case 'c':
		return ql_error_set(err, "complex arrays ('%s') are not supported", d);
	case 'U':
	case 'S':
	case 'a':
		return ql_error_set(err, "string arrays ('%s') are not supported", d);
	case 'M':
	case 'm':
		return ql_error_set(err, "datetime arrays ('%s') are not supported", d);
	case 'V':
		return ql_error_set(err, "void/structured arrays ('%s') are not supported", d);
	default:
		return ql_error_set(err, "unsupported npy dtype '%s' (qlens reads f2 f4 f8 i1 u1 i2 u2 i4 u4 i8 u8 b1)", d);
	}
}

typedef ql_npy_header npy_header;

static int parse_header(const char *text, size_t len, npy_header *h, ql_error *err)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)text[i];
		if (ch == 0 || ch >= 0x80)
			return ql_error_set(err, "npy header contains a byte 0x%02x that is not printable ASCII", ch);
	}
	cursor c = { text, text + len };
	if (!eat(&c, '{'))
		return ql_error_set(err, "npy header is not a dict (does not start with '{')");
	bool seen_descr = false, seen_fortran = false, seen_shape = false;
	bool comma = true;
	while (!eat(&c, '}')) {
		if (!comma)
			return ql_error_set(err, "npy header: expected ',' or '}'");
		char key[32];
		skip_space(&c);
		if (c.p >= c.end)
			return ql_error_set(err, "npy header: dict is not closed");
		if (parse_string(&c, key, sizeof key, err))
			return -1;
		if (!eat(&c, ':'))
			return ql_error_set(err, "npy header: expected ':' after '%s'", key);
		if (strcmp(key, "descr") == 0) {
			if (seen_descr)
				return ql_error_set(err, "npy header: key 'descr' appears twice");
			seen_descr = true;
			skip_space(&c);
			if (c.p < c.end && *c.p == '[')
				return ql_error_set(err, "structured dtypes (a list in 'descr') are not supported");
			char descr[32];
			if (parse_string(&c, descr, sizeof descr, err))
				return -1;
			if (parse_descr(descr, &h->dtype, &h->big, err))
				return -1;
		} else if (strcmp(key, "fortran_order") == 0) {
			if (seen_fortran)
				return ql_error_set(err, "npy header: key 'fortran_order' appears twice");
			seen_fortran = true;
			if (parse_bool(&c, &h->fortran, err))
				return -1;
		} else if (strcmp(key, "shape") == 0) {
			if (seen_shape)
				return ql_error_set(err, "npy header: key 'shape' appears twice");
			seen_shape = true;
			if (parse_shape(&c, h->shape, &h->ndim, err))
				return -1;
		} else {
			return ql_error_set(err, "npy header: unexpected key '%s'", key);
		}
		comma = eat(&c, ',');
	}
	if (!seen_descr || !seen_fortran || !seen_shape)
		return ql_error_set(err, "npy header lacks the key '%s'",
				    !seen_descr ? "descr" : !seen_fortran ? "fortran_order" : "shape");
	skip_space(&c);
	if (c.p != c.end)
		return ql_error_set(err, "npy header: unexpected text after the dict");
	return 0;
}

/* --- the backend ------------------------------------------------------------ */

static bool npy_probe(const char *path, const uint8_t *head, size_t n, const ql_open_opts *opts)
{
	if (opts && opts->raw_dtype)
		return false;
	return n >= NPY_MAGIC_LEN && memcmp(head, NPY_MAGIC, NPY_MAGIC_LEN) == 0;
}

/* The file's stem: "dir/w.npy" names its tensor "w". */
static void stem_of(const char *path, char *buf, size_t n)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	size_t len = strlen(base);
	if (len > 4 && strcmp(base + len - 4, ".npy") == 0)
		len -= 4;
	if (len >= n)
		len = n - 1;
	memcpy(buf, base, len);
	buf[len] = '\0';
	if (len == 0)
		snprintf(buf, n, "array");
}

int ql_npy_parse_header(const uint8_t *m, uint64_t size, ql_npy_header *h, ql_error *err)
{
	if (size < NPY_MAGIC_LEN || memcmp(m, NPY_MAGIC, NPY_MAGIC_LEN) != 0)
		return ql_error_set(err, "not a .npy array (no \\x93NUMPY magic)");
	if (size < NPY_PREAMBLE_V1)
		return ql_error_set(err, "npy preamble is truncated (%llu bytes)", (unsigned long long)size);
	int major = m[6], minor = m[7];
	uint64_t hlen, start;
	if (major == 1) {
		hlen = (uint64_t)m[8] | (uint64_t)m[9] << 8;
		start = NPY_PREAMBLE_V1;
	} else if (major == 2 || major == 3) {
		if (size < NPY_PREAMBLE_V2)
			return ql_error_set(err, "npy preamble is truncated (%llu bytes)", (unsigned long long)size);
		hlen = (uint64_t)m[8] | (uint64_t)m[9] << 8 | (uint64_t)m[10] << 16 | (uint64_t)m[11] << 24;
		start = NPY_PREAMBLE_V2;
	} else {
		return ql_error_set(err, "npy version %d.%d is not supported (1.0, 2.0, 3.0 are)", major, minor);
	}
	if (minor != 0)
		return ql_error_set(err, "npy version %d.%d is not supported (1.0, 2.0, 3.0 are)", major, minor);
	if (hlen > size - start)
		return ql_error_set(err, "npy header is truncated: it says %llu bytes, the file has %llu after the preamble",
				    (unsigned long long)hlen, (unsigned long long)(size - start));
	memset(h, 0, sizeof *h);
	if (parse_header((const char *)m + start, (size_t)hlen, h, err))
		return -1;
	h->data_offset = start + hlen;
	return 0;
}

static int npy_open(ql_source *src, ql_error *err)
{
	uint64_t size = src->size;
	npy_header h;
	if (ql_npy_parse_header(src->map, size, &h, err))
		return -1;

	ql_source_entry *e = ql_source_add(src, err);
	if (!e)
		return -1;
	stem_of(src->path, e->t.name, sizeof e->t.name);
	e->t.dtype = h.dtype;
	e->t.ndim = h.ndim;
	memcpy(e->t.shape, h.shape, sizeof h.shape);
	e->t.big_endian = h.big;
	e->t.fortran_order = h.fortran;
	e->t.nelem = ql_shape_elems(h.shape, h.ndim);
	if (e->t.nelem < 0)
		return ql_error_set(err, "npy shape has more elements than fit in 64 bits");
	int64_t nbytes = ql_dtype_bytes(h.dtype, e->t.nelem);
	if (nbytes < 0)
		return ql_error_set(err, "npy array is too large: its byte count overflows");
	e->t.nbytes = (uint64_t)nbytes;
	e->offset = h.data_offset;
	uint64_t avail = size - e->offset;
	if (e->t.nbytes > avail)
		return ql_error_set(err, "npy data is truncated: the shape needs %llu bytes, the file has %llu",
				    (unsigned long long)e->t.nbytes, (unsigned long long)avail);
	if (e->t.nbytes < avail)
		return ql_error_set(err, "npy file has %llu bytes after the array's data",
				    (unsigned long long)(avail - e->t.nbytes));
	return 0;
}

const ql_source_backend ql_backend_npy = {
	.name = "npy",
	.probe = npy_probe,
	.open = npy_open,
};

/* --- writing ------------------------------------------------------------------ */

static const char *npy_code(ql_dtype dt)
{
	switch (dt) {
	case QL_DT_BOOL: return "b1";
	case QL_DT_U8: return "u1";
	case QL_DT_I8: return "i1";
	case QL_DT_U16: return "u2";
	case QL_DT_I16: return "i2";
	case QL_DT_U32: return "u4";
	case QL_DT_I32: return "i4";
	case QL_DT_U64: return "u8";
	case QL_DT_I64: return "i8";
	case QL_DT_F16: return "f2";
	case QL_DT_F32: return "f4";
	case QL_DT_F64: return "f8";
	default: return NULL;
	}
}

int ql_npy_write(FILE *f, const ql_wtensor *t, ql_error *err)
{
	const char *code = npy_code(t->dtype);
	if (!code)
		return ql_error_set(err, "npy cannot hold %s data (use .safetensors)", ql_dtypes[t->dtype].name);
	char order = ql_dtypes[t->dtype].block_bytes == 1 ? '|' :
		     __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__ ? '>' : '<';
	/* the dict as numpy writes it, e.g. (3,) for one dimension */
	char dict[512];
	size_t len = (size_t)snprintf(dict, sizeof dict, "{'descr': '%c%s', 'fortran_order': False, 'shape': (",
				      order, code);
	for (int i = 0; i < t->ndim; i++)
		len += (size_t)snprintf(dict + len, sizeof dict - len, "%s%" PRId64, i ? ", " : "", t->shape[i]);
	len += (size_t)snprintf(dict + len, sizeof dict - len, "%s), }", t->ndim == 1 ? "," : "");
	/* pad with spaces so the data starts at a multiple of 64 */
	size_t total = NPY_PREAMBLE_V1 + len + 1;
	size_t pad = (64 - total % 64) % 64;
	size_t hlen = len + pad + 1;
	uint8_t pre[NPY_PREAMBLE_V1] = { 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0,
					 (uint8_t)(hlen & 0xff), (uint8_t)(hlen >> 8) };
	if (fwrite(pre, 1, sizeof pre, f) != sizeof pre || fwrite(dict, 1, len, f) != len)
		return ql_error_set(err, "write failed: %s", strerror(errno));
	for (size_t i = 0; i < pad; i++)
		if (fputc(' ', f) == EOF)
			return ql_error_set(err, "write failed: %s", strerror(errno));
	if (fputc('\n', f) == EOF)
		return ql_error_set(err, "write failed: %s", strerror(errno));
	if (t->nbytes && fwrite(t->data, 1, (size_t)t->nbytes, f) != t->nbytes)
		return ql_error_set(err, "write failed: %s", strerror(errno));
	return 0;
}
