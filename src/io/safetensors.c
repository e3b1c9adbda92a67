/* safetensors.c — Hugging Face .safetensors files: read (backend
 * "safetensors") and write.
 *
 * Layout: 8 bytes N (u64, little-endian), N bytes of UTF-8 JSON, the data.
 * The JSON is an object: each key is a tensor name mapped to
 * {"dtype": "F32", "shape": [2, 3], "data_offsets": [BEGIN, END]} (offsets
 * into the data section), plus an optional "__metadata__" object of string
 * values. Data is little-endian, C order.
 *
 * Reading makes every check of the reference reader (huggingface/safetensors,
 * tensor.rs: read_metadata and Metadata::validate):
 *   - the file holds at least the 8-byte length; N <= 100,000,000; 8 + N
 *     fits in the file;
 *   - the header is valid UTF-8, starts with '{' and is a JSON object (we
 *     also refuse duplicate keys, which the reference would silently merge);
 *   - sorted by offsets, tensors are contiguous from 0 (BEGIN equals the
 *     previous END, END >= BEGIN), prod(shape) * dtype size does not
 *     overflow and equals END - BEGIN;
 *   - the last END is exactly the end of the file.
 * Dtypes qlens cannot decode but the format defines (C64, F8_E8M0, F4, F6_*)
 * are listed as OTHER with their sizes checked the same way.
 *
 * Tensors are listed in offset order. The header is read by our own strict
 * JSON parser (jsonp.h: no tree, no allocation per tensor, ~10x faster than
 * jansson on a header of 80,000 tensors); writing uses jansson.
 */
#include "source_impl.h"
#include "writer_impl.h"
#include "jsonp.h"

#include <errno.h>
#include <stddef.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define ST_HEADER_MAX 100000000u /* the reference's MAX_HEADER_SIZE */

/* --- reading ----------------------------------------------------------------- */

static bool st_probe(const char *path, const uint8_t *head, size_t n, const ql_open_opts *opts)
{
	if (opts && opts->raw_dtype)
		return false;
	size_t len = strlen(path);
	bool ext = len >= 12 && strcmp(path + len - 12, ".safetensors") == 0;
	if (ext)
		return true;
	/* no extension: a plausible length followed by '{' */
	if (n < 9)
		return false;
	uint64_t hlen = 0;
	for (int i = 7; i >= 0; i--)
		hlen = hlen << 8 | head[i];
	return hlen >= 2 && hlen <= ST_HEADER_MAX && hlen <= n - 8 && head[8] == '{';
}

/* Strict UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF. */
static bool valid_utf8(const uint8_t *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		/* runs of ASCII, eight bytes at a time */
		while (n - i >= 8) {
			uint64_t w;
			memcpy(&w, s + i, 8);
			if (w & 0x8080808080808080ull)
				break;
			i += 8;
		}
		if (i == n)
			break;
		uint8_t c = s[i];
		if (c < 0x80) {
			i++;
			continue;
		}
		size_t len;
		uint32_t cp, min;
		if ((c & 0xe0) == 0xc0) {
			len = 2, cp = c & 0x1f, min = 0x80;
		} else if ((c & 0xf0) == 0xe0) {
			len = 3, cp = c & 0x0f, min = 0x800;
		} else if ((c & 0xf8) == 0xf0) {
			len = 4, cp = c & 0x07, min = 0x10000;
		} else {
			return false;
		}
		if (n - i < len)
			return false;
		for (size_t k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += len;
	}
	return true;
}

/* Dtypes the format defines that qlens lists without decoding: bits each. */
static const struct {
	const char *name;
	int bits;
} other_dtypes[] = {
	{ "C64", 64 }, { "F8_E8M0", 8 }, { "F4", 4 }, { "F6_E2M3", 6 }, { "F6_E3M2", 6 },
};

/* Where a tensor's data lies, by its index in src->tensors. */
typedef struct st_span {
	uint64_t begin, end;
	size_t index;
} st_span;

typedef struct st_parse {
	ql_jp j;
	ql_source *src;
	st_span *spans;
	size_t nspans, cap;
	bool bad;        /* a semantic error is in err; the JSON is still checked */
	ql_error *err;
	int last_dtype;  /* the dtype the previous tensor had, tried first (-1: none) */
} st_parse;

/* Records the first semantic error; parsing goes on checking the JSON
 * only, so a syntax error anywhere still wins (as when jansson parsed the
 * whole text first). */
static int sem_error(st_parse *ps, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int sem_error(st_parse *ps, const char *fmt, ...)
{
	if (!ps->bad && ps->err) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(ps->err->msg, sizeof ps->err->msg, fmt, ap);
		va_end(ap);
	}
	ps->bad = true;
	return 0;
}

/* A JSON integer that fits in [0, INT64_MAX] ("-0" is 0, as jansson and
 * Python read it); anything else, valid JSON, is skipped and false. */
static int get_u64(ql_jp *j, bool *ok, uint64_t *out)
{
	int c = ql_jp_peek(j);
	*ok = false;
	if (c == '-' || (c >= '0' && c <= '9')) {
		ql_jp_num kind;
		int64_t v;
		if (ql_jp_number(j, &kind, &v, NULL, NULL))
			return -1;
		if (kind == QL_JP_INT && v >= 0) {
			*ok = true;
			*out = (uint64_t)v;
		}
		return 0;
	}
	return ql_jp_skip(j, NULL, NULL);
}

static void dup_key(st_parse *ps, const char *what)
{
	ps->j.at = (size_t)(ps->j.p - ps->j.base);
	ps->j.msg = what;
}

/* Checks what one entry said, in the order jansson's reader did. */
static void check_tensor(st_parse *ps, ql_source_entry *e, st_span *sp, const ql_jp_str *jd,
			 int shape_state, int bad_dim, int ndims, int offs_state)
{
	ql_tensor *t = &e->t;
	const char *name = t->name;
	if (!jd || shape_state == 0 || offs_state == 0) {
		sem_error(ps, "tensor '%s': missing \"%s\"", name,
			  !jd ? "dtype" : shape_state == 0 ? "shape" : "data_offsets");
		return;
	}
	if (jd->raw == NULL) {
		sem_error(ps, "tensor '%s': \"dtype\" is not a string", name);
		return;
	}
	char dname[40];
	if (jd->len < sizeof dname && !jd->has_nul)
		ql_jp_decode(jd, dname);
	else
		snprintf(dname, sizeof dname, "%.32s", (const char *)jd->raw);
	int other_bits = 0;
	/* a safetensors dtype, spelt exactly (ql_dtype_from_name's
	 * case-insensitive search was 3% of opening 80,000 tensors) */
	bool known = false;
	if (ps->last_dtype >= 0 && jd->len < sizeof dname &&
	    strcmp(dname, ql_dtypes[ps->last_dtype].name) == 0) { /* most tensors share it */
		t->dtype = (ql_dtype)ps->last_dtype;
		known = true;
	}
	for (int d = 0; d < QL_DT_COUNT && !known && jd->len < sizeof dname; d++)
		if (d != QL_DT_OTHER && ql_dtypes[d].block_elems == 1 && ql_dtypes[d].name &&
		    strcmp(dname, ql_dtypes[d].name) == 0) {
			t->dtype = (ql_dtype)d;
			known = true;
			ps->last_dtype = d;
		}
	if (known) {
		/* a safetensors dtype */
	} else {
		for (size_t i = 0; i < sizeof other_dtypes / sizeof other_dtypes[0]; i++)
			if (strcmp(dname, other_dtypes[i].name) == 0)
				other_bits = other_dtypes[i].bits;
		if (!other_bits || jd->len >= sizeof dname) {
			sem_error(ps, "tensor '%s': unknown dtype \"%.32s\"", name, dname);
			return;
		}
		t->dtype = QL_DT_OTHER;
		snprintf(t->other_name, sizeof t->other_name, "%.31s", dname);
	}
	if (shape_state < 0) {
		sem_error(ps, "tensor '%s': \"shape\" is not an array", name);
		return;
	}
	if (ndims > QL_MAX_DIMS) {
		sem_error(ps, "tensor '%s': %d dimensions (qlens handles at most %d)", name, ndims,
			  QL_MAX_DIMS);
		return;
	}
	if (bad_dim >= 0) {
		sem_error(ps, "tensor '%s': shape[%d] is not a non-negative integer", name, bad_dim);
		return;
	}
	t->ndim = ndims;
	if (offs_state < 0) {
		sem_error(ps, "tensor '%s': \"data_offsets\" is not [BEGIN, END]", name);
		return;
	}
	if (sp->end < sp->begin) {
		sem_error(ps, "tensor '%s': data_offsets end before they begin", name);
		return;
	}
	t->nelem = ql_shape_elems(t->shape, t->ndim);
	if (t->nelem < 0) {
		sem_error(ps, "tensor '%s': shape overflows", name);
		return;
	}
	if (other_bits) {
		if ((uint64_t)t->nelem > UINT64_MAX / (uint64_t)other_bits) {
			sem_error(ps, "tensor '%s': size overflows", name);
			return;
		}
		uint64_t bits = (uint64_t)t->nelem * (uint64_t)other_bits;
		if (bits % 8) {
			sem_error(ps, "tensor '%s': %s data is not a whole number of bytes", name, dname);
			return;
		}
		t->nbytes = bits / 8;
	} else {
		int64_t nb = ql_dtype_bytes(t->dtype, t->nelem);
		if (nb < 0) {
			sem_error(ps, "tensor '%s': size overflows", name);
			return;
		}
		t->nbytes = (uint64_t)nb;
	}
	if (sp->end - sp->begin != t->nbytes)
		sem_error(ps, "tensor '%s': data_offsets span %llu bytes, but %lld %s elements take %llu",
			  name, (unsigned long long)(sp->end - sp->begin), (long long)t->nelem, dname,
			  (unsigned long long)t->nbytes);
}

/* One tensor's entry: the value of key `name` (already decoded). */
static int parse_tensor(st_parse *ps, const char *name)
{
	ql_jp *j = &ps->j;
	if (ps->bad)
		return ql_jp_skip(j, NULL, NULL);
	if (ql_jp_peek(j) != '{') {
		if (ql_jp_skip(j, NULL, NULL))
			return -1;
		return sem_error(ps, "tensor '%s': its entry is not an object", name);
	}
	ql_source_entry *e = ql_source_add(ps->src, ps->err);
	if (!e)
		return -1;
	if (ps->nspans == ps->cap) {
		size_t cap = ps->cap ? ps->cap * 2 : 64;
		st_span *p = realloc(ps->spans, cap * sizeof *p);
		if (!p)
			return ql_error_set(ps->err, "out of memory");
		ps->spans = p;
		ps->cap = cap;
	}
	st_span *sp = &ps->spans[ps->nspans++];
	*sp = (st_span){ .index = ps->src->count - 1 };
	ql_tensor *t = &e->t;
	strcpy(t->name, name);

	ql_jp_str dtype = { 0 };
	bool have_dtype = false;
	int shape_state = 0, offs_state = 0; /* 0 missing, 1 good, -1 not the right kind */
	int bad_dim = -1, ndims = 0;
	bool first = true;
	ql_jp_str key;
	int r;
	if (ql_jp_begin(j, '{'))
		return -1;
	while ((r = ql_jp_next_key(j, &first, &key)) == 1) {
		if (ql_jp_str_is(&key, "dtype")) {
			if (have_dtype)
				return dup_key(ps, "duplicate key \"dtype\""), -1;
			have_dtype = true;
			if (ql_jp_peek(j) == '"') {
				if (ql_jp_string(j, &dtype))
					return -1;
			} else if (ql_jp_skip(j, NULL, NULL)) {
				return -1;
			}
		} else if (ql_jp_str_is(&key, "shape")) {
			if (shape_state)
				return dup_key(ps, "duplicate key \"shape\""), -1;
			if (ql_jp_peek(j) != '[') {
				shape_state = -1;
				if (ql_jp_skip(j, NULL, NULL))
					return -1;
				continue;
			}
			shape_state = 1;
			bool f2 = true;
			if (ql_jp_begin(j, '['))
				return -1;
			while ((r = ql_jp_next_item(j, &f2)) == 1) {
				uint64_t d = 0;
				bool ok;
				if (get_u64(j, &ok, &d))
					return -1;
				if (ndims < QL_MAX_DIMS)
					t->shape[ndims] = (int64_t)d;
				if (!ok && bad_dim < 0)
					bad_dim = ndims;
				if (ndims < INT32_MAX)
					ndims++;
			}
			if (r < 0)
				return -1;
		} else if (ql_jp_str_is(&key, "data_offsets")) {
			if (offs_state)
				return dup_key(ps, "duplicate key \"data_offsets\""), -1;
			if (ql_jp_peek(j) != '[') {
				offs_state = -1;
				if (ql_jp_skip(j, NULL, NULL))
					return -1;
				continue;
			}
			offs_state = 1;
			bool f2 = true;
			int n = 0;
			if (ql_jp_begin(j, '['))
				return -1;
			while ((r = ql_jp_next_item(j, &f2)) == 1) {
				uint64_t v = 0;
				bool ok;
				if (get_u64(j, &ok, &v))
					return -1;
				if (!ok)
					offs_state = -1;
				if (n == 0)
					sp->begin = v;
				else if (n == 1)
					sp->end = v;
				if (n < 3)
					n++;
			}
			if (r < 0)
				return -1;
			if (n != 2)
				offs_state = -1;
		} else if (ql_jp_skip(j, NULL, NULL)) {
			return -1;
		}
	}
	if (r < 0)
		return -1;
	check_tensor(ps, e, sp, have_dtype ? &dtype : NULL, shape_state, bad_dim, ndims, offs_state);
	return 0;
}

static int cmp_cstr(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* "__metadata__": null, or an object of string values. */
static int parse_metadata(st_parse *ps)
{
	ql_jp *j = &ps->j;
	ql_source *src = ps->src;
	int c = ql_jp_peek(j);
	if (ps->bad || c == 'n' || c != '{') {
		if (ql_jp_skip(j, NULL, NULL))
			return -1;
		if (c != 'n' && c != '{')
			sem_error(ps, "\"__metadata__\" is not an object");
		return 0;
	}
	size_t meta0 = src->meta_count;
	bool first = true;
	ql_jp_str key, val;
	int r;
	if (ql_jp_begin(j, '{'))
		return -1;
	while ((r = ql_jp_next_key(j, &first, &key)) == 1) {
		if (ps->bad) {
			if (ql_jp_skip(j, NULL, NULL))
				return -1;
			continue;
		}
		char *k = malloc(key.len + 1);
		if (!k)
			return ql_error_set(ps->err, "out of memory");
		ql_jp_decode(&key, k);
		if (ql_jp_peek(j) != '"') {
			sem_error(ps, "\"__metadata__\" value for '%s' is not a string", k);
			free(k);
			if (ql_jp_skip(j, NULL, NULL))
				return -1;
			continue;
		}
		if (ql_jp_string(j, &val)) {
			free(k);
			return -1;
		}
		if (key.has_nul || val.has_nul) {
			sem_error(ps, "\"__metadata__\" %s for '%s' holds a NUL (\\u0000)",
				  key.has_nul ? "key" : "value", k);
			free(k);
			continue;
		}
		char *v = malloc(val.len + 1);
		if (!v) {
			free(k);
			return ql_error_set(ps->err, "out of memory");
		}
		ql_jp_decode(&val, v);
		int rc = ql_source_add_meta(src, k, v, ps->err);
		free(k);
		free(v);
		if (rc)
			return -1;
	}
	if (r < 0 || ps->bad)
		return r < 0 ? -1 : 0;
	/* duplicate keys: sorted copies of the key pointers */
	size_t n = src->meta_count - meta0;
	if (n < 2)
		return 0;
	const char **keys = malloc(n * sizeof *keys);
	if (!keys)
		return ql_error_set(ps->err, "out of memory");
	for (size_t i = 0; i < n; i++)
		keys[i] = src->meta[meta0 + i].key;
	qsort(keys, n, sizeof *keys, cmp_cstr);
	for (size_t i = 1; i < n; i++)
		if (strcmp(keys[i - 1], keys[i]) == 0) {
			sem_error(ps, "safetensors header is not valid JSON: duplicate key '%.200s' in \"__metadata__\"",
				  keys[i]);
			break;
		}
	free(keys);
	return 0;
}

/* *d = *s, but only the name's bytes up to its NUL (the name array is
 * 256 bytes, most of a 400-byte entry, and names are short). */
_Static_assert(offsetof(ql_source_entry, t.name) == 0 &&
	       offsetof(ql_source_entry, t.dtype) == sizeof ((ql_tensor *)0)->name,
	       "move_entry: the name comes first and the rest follows it");

static void move_entry(ql_source_entry *d, const ql_source_entry *s)
{
	size_t off = offsetof(ql_source_entry, t.dtype);
	memcpy(d->t.name, s->t.name, strlen(s->t.name) + 1);
	memcpy((char *)d + off, (const char *)s + off, sizeof *d - off);
}

static int cmp_span(const void *a, const void *b, void *arg)
{
	const st_span *x = a, *y = b;
	if (x->begin != y->begin)
		return x->begin < y->begin ? -1 : 1;
	if (x->end != y->end)
		return x->end < y->end ? -1 : 1;
	const ql_source_entry *t = arg;
	return strcmp(t[x->index].t.name, t[y->index].t.name);
}

/* Spans into cmp_span's order: by begin with a radix sort (stable, 11
 * bits a pass, the passes whose digit every begin shares skipped: offsets
 * below 8 GiB take 3), then the runs of equal begins (empty tensors) by
 * insertion. qsort_r's merge sort with cmp_span took a tenth of opening a
 * header of 80,000 tensors. */
static void sort_spans(st_span *s, size_t k, const ql_source_entry *t)
{
	enum { BITS = 11, R = 1 << BITS };
	st_span *tmp = malloc(k * sizeof *tmp);
	if (!tmp) {
		qsort_r(s, k, sizeof *s, cmp_span, (void *)t);
		return;
	}
	uint64_t any = 0, all = ~(uint64_t)0;
	for (size_t i = 0; i < k; i++) {
		any |= s[i].begin;
		all &= s[i].begin;
	}
	st_span *a = s, *b = tmp;
	for (int shift = 0; shift < 64; shift += BITS) {
		if ((((any ^ all) >> shift) & (R - 1)) == 0)
			continue; /* every begin has this digit */
		size_t count[R] = {0};
		for (size_t i = 0; i < k; i++)
			count[(a[i].begin >> shift) & (R - 1)]++;
		size_t at = 0;
		for (size_t d = 0; d < R; d++) {
			size_t c = count[d];
			count[d] = at;
			at += c;
		}
		for (size_t i = 0; i < k; i++)
			b[count[(a[i].begin >> shift) & (R - 1)]++] = a[i];
		st_span *w = a;
		a = b;
		b = w;
	}
	if (a != s)
		memcpy(s, a, k * sizeof *s);
	free(tmp);
	for (size_t i = 1; i < k; i++) /* equal begins: by end, then name */
		if (s[i].begin == s[i - 1].begin)
			for (size_t j = i; j > 0 && s[j].begin == s[j - 1].begin &&
					   cmp_span(&s[j - 1], &s[j], (void *)t) > 0;
			     j--) {
				st_span w = s[j];
				s[j] = s[j - 1];
				s[j - 1] = w;
			}
}

/* The root object: tensors into src->tensors (in the file's key order),
 * their data spans into ps->spans. */
static int parse_root(st_parse *ps)
{
	ql_jp *j = &ps->j;
	bool first = true, have_meta = false;
	ql_jp_str key;
	int r;
	char name[sizeof ((ql_tensor *)0)->name];
	if (ql_jp_begin(j, '{'))
		return -1;
	while ((r = ql_jp_next_key(j, &first, &key)) == 1) {
		if (ql_jp_str_is(&key, "__metadata__")) {
			if (have_meta)
				return dup_key(ps, "duplicate key \"__metadata__\""), -1;
			have_meta = true;
			if (parse_metadata(ps))
				return -1;
			continue;
		}
		if (!ps->bad && key.len >= sizeof name) {
			char *full = malloc(key.len + 1);
			if (full)
				ql_jp_decode(&key, full);
			sem_error(ps, "tensor name '%.40s...' is longer than %zu bytes", full ? full : "",
				  sizeof name - 1);
			free(full);
		} else if (!ps->bad) {
			ql_jp_decode(&key, name);
			if (key.has_nul)
				sem_error(ps, "tensor name '%s' holds a NUL (\\u0000)", name);
		}
		if (ps->bad) {
			if (ql_jp_skip(j, NULL, NULL))
				return -1;
			continue;
		}
		if (parse_tensor(ps, name))
			return -1;
	}
	if (r < 0)
		return -1;
	return ql_jp_finish(j);
}

static int st_open(ql_source *src, ql_error *err)
{
	const uint8_t *m = src->map;
	if (src->size < 8)
		return ql_error_set(err, "safetensors file is shorter than its 8-byte header length");
	uint64_t n = 0;
	for (int i = 7; i >= 0; i--)
		n = n << 8 | m[i];
	if (n > ST_HEADER_MAX)
		return ql_error_set(err, "safetensors header length %llu is over the 100 MB limit",
				    (unsigned long long)n);
	if (n > src->size - 8)
		return ql_error_set(err, "safetensors header is truncated: it says %llu bytes, the file has %llu",
				    (unsigned long long)n, (unsigned long long)(src->size - 8));
	const uint8_t *h = m + 8;
	if (!valid_utf8(h, (size_t)n))
		return ql_error_set(err, "safetensors header is not valid UTF-8");
	if (n == 0 || h[0] != '{')
		return ql_error_set(err, "safetensors header does not start with '{'");

	/* Every tensor has a "data_offsets" key: counting them sizes the list
	 * in one allocation (an escaped spelling only means it grows later). */
	size_t est = 0;
	for (const uint8_t *p = h, *e = h + n;
	     (p = memmem(p, (size_t)(e - p), "\"data_offsets\"", 14)) != NULL; p += 14)
		est++;
	/* (a tensor's entry takes at least 49 bytes; keys of that name in
	 * values qlens skips must not make the list larger than that) */
	if (est > n / 48 + 1)
		est = (size_t)(n / 48 + 1);
	if (ql_source_reserve(src, est, err))
		return -1;
	ql_error scratch;
	st_parse ps = { .src = src, .err = err ? err : &scratch, .last_dtype = -1 };
	if (est && (ps.spans = malloc(est * sizeof *ps.spans)) != NULL)
		ps.cap = est;
	ql_jp_init(&ps.j, h, (size_t)n);
	int rc = -1;
	if (parse_root(&ps)) {
		if (ps.j.msg)
			ql_error_set(err, "safetensors header is not valid JSON: %s (at byte %zu)", ps.j.msg,
				     ps.j.at);
		goto out;
	}
	if (ps.bad)
		goto out;
	/* into data order (the usual file is in it already) */
	size_t k = ps.nspans;
	bool sorted = true;
	for (size_t i = 1; i < k && sorted; i++)
		sorted = cmp_span(&ps.spans[i - 1], &ps.spans[i], src->tensors) < 0;
	if (!sorted) {
		sort_spans(ps.spans, k, src->tensors);
		/* tensors[i] = old tensors[spans[i].index], in place, cycle by
		 * cycle (a second 400-byte-per-tensor array cost its page faults) */
		ql_source_entry *t = src->tensors, tmp;
		for (size_t i = 0; i < k; i++) {
			if (ps.spans[i].index == SIZE_MAX || ps.spans[i].index == i)
				continue;
			move_entry(&tmp, &t[i]);
			size_t at = i;
			for (;;) {
				size_t from = ps.spans[at].index;
				ps.spans[at].index = SIZE_MAX;
				if (from == i) {
					move_entry(&t[at], &tmp);
					break;
				}
				/* the entry the step after this one reads, asked for
				 * now: each is a miss (the list is 32 MB for 80,000) */
				size_t next = ps.spans[from].index;
				if (next != SIZE_MAX && next != i) {
					const char *nx = (const char *)&t[next];
					__builtin_prefetch(nx);
					__builtin_prefetch(nx + offsetof(ql_source_entry, t.dtype));
					__builtin_prefetch(nx + offsetof(ql_source_entry, t.dtype) + 64);
				}
				move_entry(&t[at], &t[from]);
				at = from;
			}
		}
	}
	/* duplicate names first: a JSON error, as jansson's was */
	long dup = ql_source_index_names(src, err);
	if (dup == -2)
		goto out;
	if (dup >= 0) {
		ql_error_set(err, "safetensors header is not valid JSON: duplicate key '%s'",
			     src->tensors[dup].t.name);
		goto out;
	}
	uint64_t data_start = 8 + n, pos = 0;
	for (size_t i = 0; i < k; i++) {
		const st_span *sp = &ps.spans[i];
		if (sp->begin != pos) {
			const char *name = src->tensors[i].t.name;
			if (sp->begin < pos)
				ql_error_set(err, "tensor '%s': data overlaps the previous tensor's", name);
			else
				ql_error_set(err, "tensor '%s': %llu-byte gap before its data", name,
					     (unsigned long long)(sp->begin - pos));
			goto out;
		}
		pos = sp->end;
	}
	if (pos != src->size - data_start) {
		ql_error_set(err, "safetensors data section is %llu bytes but the tensors cover %llu",
			     (unsigned long long)(src->size - data_start), (unsigned long long)pos);
		goto out;
	}
	for (size_t i = 0; i < k; i++)
		src->tensors[i].offset = data_start + ps.spans[i].begin;
	rc = 0;
out:
	free(ps.spans);
	return rc;
}

const ql_source_backend ql_backend_safetensors = {
	.name = "safetensors",
	.probe = st_probe,
	.open = st_open,
};

/* --- writing -------------------------------------------------------------------- */

typedef struct order_item {
	size_t index;
	int size;
} order_item;

/* Widest elements first (so every tensor's data stays aligned), stable. */
static int cmp_order(const void *a, const void *b)
{
	const order_item *x = a, *y = b;
	if (x->size != y->size)
		return x->size > y->size ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

int ql_safetensors_write(FILE *f, const ql_wtensor *t, size_t count, const ql_meta *meta,
			 size_t meta_count, ql_error *err)
{
	for (size_t i = 0; i < count; i++)
		if (ql_dtypes[t[i].dtype].block_elems != 1)
			return ql_error_set(err, "tensor '%s': safetensors has no %s dtype", t[i].name,
					    ql_dtypes[t[i].dtype].name);
	order_item *order = malloc((count ? count : 1) * sizeof *order);
	json_t *root = json_object();
	char *text = NULL;
	int rc = -1;
	if (!order || !root) {
		ql_error_set(err, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < count; i++)
		order[i] = (order_item){ .index = i, .size = ql_dtypes[t[i].dtype].block_bytes };
	qsort(order, count, sizeof *order, cmp_order);

	if (meta_count) {
		json_t *jm = json_object();
		if (!jm || json_object_set_new(root, "__metadata__", jm)) {
			ql_error_set(err, "out of memory");
			goto out;
		}
		for (size_t i = 0; i < meta_count; i++)
			if (json_object_set_new(jm, meta[i].key, json_string(meta[i].value))) {
				ql_error_set(err, "metadata '%s' is not valid UTF-8", meta[i].key);
				goto out;
			}
	}
	/* offsets in data order; header keys in the order tensors were added */
	uint64_t *begin = calloc(count ? count : 1, sizeof *begin);
	if (!begin) {
		ql_error_set(err, "out of memory");
		goto out;
	}
	uint64_t pos = 0;
	for (size_t k = 0; k < count; k++) {
		begin[order[k].index] = pos;
		pos += t[order[k].index].nbytes;
	}
	for (size_t i = 0; i < count; i++) {
		json_t *shape = json_array();
		for (int d = 0; shape && d < t[i].ndim; d++)
			json_array_append_new(shape, json_integer(t[i].shape[d]));
		json_t *offs = json_pack("[II]", (json_int_t)begin[i], (json_int_t)(begin[i] + t[i].nbytes));
		json_t *info = json_pack("{s:s, s:o, s:o}", "dtype", ql_dtypes[t[i].dtype].name,
					 "shape", shape, "data_offsets", offs);
		if (!info || json_object_set_new(root, t[i].name, info)) {
			free(begin);
			ql_error_set(err, "tensor '%s': cannot build its header entry (name not UTF-8?)",
				     t[i].name);
			goto out;
		}
	}
	free(begin);
	size_t len = json_dumpb(root, NULL, 0, JSON_COMPACT);
	text = malloc(len + 8);
	if (!text || json_dumpb(root, text, len, JSON_COMPACT) != len) {
		ql_error_set(err, "out of memory");
		goto out;
	}
	size_t pad = (8 - len % 8) % 8;
	memset(text + len, ' ', pad);
	uint64_t hlen = len + pad;
	uint8_t pre[8];
	for (int i = 0; i < 8; i++)
		pre[i] = (uint8_t)(hlen >> (8 * i));
	if (fwrite(pre, 1, 8, f) != 8 || fwrite(text, 1, (size_t)hlen, f) != hlen) {
		ql_error_set(err, "write failed: %s", strerror(errno));
		goto out;
	}
	for (size_t k = 0; k < count; k++) {
		const ql_wtensor *w = &t[order[k].index];
		if (w->nbytes && fwrite(w->data, 1, (size_t)w->nbytes, f) != w->nbytes) {
			ql_error_set(err, "write failed: %s", strerror(errno));
			goto out;
		}
	}
	rc = 0;
out:
	free(text);
	free(order);
	json_decref(root);
	return rc;
}
