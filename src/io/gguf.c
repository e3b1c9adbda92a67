/* gguf.c — the GGUF backend: llama.cpp / ggml model files, versions 2 and 3.
 *
 * Layout (ggml docs/gguf.md), all little-endian:
 *   "GGUF"  u32 version  u64 tensor_count  u64 kv_count
 *   kv_count × { string key, u32 value_type, value }
 *   tensor_count × { string name, u32 n_dims, u64 dims[n_dims] (fastest
 *                    first), u32 ggml_type, u64 offset (from data start) }
 *   padding to general.alignment (default 32), then the tensor data.
 * A string is u64 length + bytes (UTF-8, no NUL). An array value is u32
 * element type, u64 count, elements; arrays nest.
 *
 * What qlens does with it: every metadata value is summarised into one
 * printable line (long strings and arrays shortened); shapes are turned into
 * NumPy order (GGUF's dims reversed: the last NumPy axis is GGUF's ne[0]);
 * F32/F16/BF16, the integer/F64 types and every block format of blockfmt.h's
 * table (Q8_0 ... Q5_1, the k-quants, IQ4_NL/XS, TQ1_0/TQ2_0, MXFP4, NVFP4)
 * map onto ql_dtype and can be decoded; every other ggml type is listed as
 * QL_DT_OTHER with its ggml name and its exact byte size, so `info` and the
 * offsets check still work.
 *
 * Not handled: version 1 (u32 counts; refused), big-endian files (refused).
 * Every count, length and offset is checked against the bytes that remain
 * before it is used, so a lying header fails cleanly instead of allocating
 * or reading past the map.
 */
#include "source_impl.h"

#include "qlens/blockfmt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- ggml types ----------------------------------------------------------- */

#define QK_K 256

/* One row per ggml_type value: its name, elements per block, bytes per block
 * and what qlens stores it as. A NULL name is a value ggml never used or has
 * removed from GGUF files. */
typedef struct ggml_type_info {
	const char *name;
	int blck;
	int size;
	ql_dtype dtype; /* QL_DT_OTHER: listed, not decoded */
} ggml_type_info;

static const ggml_type_info ggml_types[] = {
	[0] = { "F32", 1, 4, QL_DT_F32 },
	[1] = { "F16", 1, 2, QL_DT_F16 },
	[2] = { "Q4_0", 32, 18, QL_DT_Q4_0 },   /* fp16 d, 16 bytes of nibbles */
	[3] = { "Q4_1", 32, 20, QL_DT_Q4_1 },   /* fp16 d, fp16 m, 16 bytes */
	[6] = { "Q5_0", 32, 22, QL_DT_Q5_0 },   /* fp16 d, u32 high bits, 16 bytes */
	[7] = { "Q5_1", 32, 24, QL_DT_Q5_1 },   /* fp16 d, fp16 m, u32, 16 bytes */
	[8] = { "Q8_0", 32, 34, QL_DT_Q8_0 },   /* fp16 d, 32 int8 */
	[9] = { "Q8_1", 32, 36, QL_DT_OTHER },  /* fp16 d, fp16 s, 32 int8 */
	[10] = { "Q2_K", QK_K, 84, QL_DT_OTHER },
	[11] = { "Q3_K", QK_K, 110, QL_DT_OTHER },
	[12] = { "Q4_K", QK_K, 144, QL_DT_OTHER },
	[13] = { "Q5_K", QK_K, 176, QL_DT_OTHER },
	[14] = { "Q6_K", QK_K, 210, QL_DT_OTHER },
	[15] = { "Q8_K", QK_K, 292, QL_DT_OTHER },
	[16] = { "IQ2_XXS", QK_K, 66, QL_DT_OTHER },
	[17] = { "IQ2_XS", QK_K, 74, QL_DT_OTHER },
	[18] = { "IQ3_XXS", QK_K, 98, QL_DT_OTHER },
	[19] = { "IQ1_S", QK_K, 50, QL_DT_OTHER },
	[20] = { "IQ4_NL", 32, 18, QL_DT_OTHER },
	[21] = { "IQ3_S", QK_K, 110, QL_DT_OTHER },
	[22] = { "IQ2_S", QK_K, 82, QL_DT_OTHER },
	[23] = { "IQ4_XS", QK_K, 136, QL_DT_OTHER },
	[24] = { "I8", 1, 1, QL_DT_I8 },
	[25] = { "I16", 1, 2, QL_DT_I16 },
	[26] = { "I32", 1, 4, QL_DT_I32 },
	[27] = { "I64", 1, 8, QL_DT_I64 },
	[28] = { "F64", 1, 8, QL_DT_F64 },
	[29] = { "IQ1_M", QK_K, 56, QL_DT_OTHER },
	[30] = { "BF16", 1, 2, QL_DT_BF16 },
	/* 31-33 and 36-38: interleaved layouts older llama.cpp wrote to files */
	[31] = { "Q4_0_4_4", 32, 18, QL_DT_OTHER },
	[32] = { "Q4_0_4_8", 32, 18, QL_DT_OTHER },
	[33] = { "Q4_0_8_8", 32, 18, QL_DT_OTHER },
	[34] = { "TQ1_0", QK_K, 54, QL_DT_OTHER },
	[35] = { "TQ2_0", QK_K, 66, QL_DT_OTHER },
	[36] = { "IQ4_NL_4_4", 32, 18, QL_DT_OTHER },
	[37] = { "IQ4_NL_4_8", 32, 18, QL_DT_OTHER },
	[38] = { "IQ4_NL_8_8", 32, 18, QL_DT_OTHER },
	[39] = { "MXFP4", 32, 17, QL_DT_OTHER },  /* e8m0 scale, 16 bytes of e2m1 */
	[40] = { "NVFP4", 64, 36, QL_DT_OTHER },  /* 4 ue4m3 scales, 32 bytes of e2m1 */
	[41] = { "Q1_0", 128, 18, QL_DT_OTHER },  /* fp16 d, 128 sign bits */
	[42] = { "Q2_0", 64, 18, QL_DT_OTHER },   /* fp16 d, 64 2-bit codes */
};
#define GGML_TYPE_COUNT (sizeof ggml_types / sizeof ggml_types[0])

/* --- metadata value types ------------------------------------------------ */

enum {
	GGUF_UINT8, GGUF_INT8, GGUF_UINT16, GGUF_INT16, GGUF_UINT32, GGUF_INT32,
	GGUF_FLOAT32, GGUF_BOOL, GGUF_STRING, GGUF_ARRAY, GGUF_UINT64, GGUF_INT64,
	GGUF_FLOAT64, GGUF_TYPE_COUNT
};

static const char *const gguf_type_names[GGUF_TYPE_COUNT] = {
	"u8", "i8", "u16", "i16", "u32", "i32", "f32", "bool", "string", "array",
	"u64", "i64", "f64",
};

/* Bytes of a fixed-size value; 0 for string and array. */
static const int gguf_type_size[GGUF_TYPE_COUNT] = {
	1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8,
};

#define GGUF_DEFAULT_ALIGNMENT 32
#define GGUF_MAX_DEPTH 8        /* arrays of arrays of ...: deeper is refused */
#define GGUF_MAX_KEY 65535      /* the spec's limit on key length */
#define META_STRING_MAX 120     /* characters of a string shown */
#define META_ARRAY_SHOW 8       /* elements of an array shown */
#define META_VALUE_MAX 512      /* bytes of a summarised value */

/* --- a bounds-checked cursor over the header ----------------------------- */

typedef struct cursor {
	const uint8_t *base, *p, *end;
	ql_error *err;
} cursor;

static uint64_t cur_offset(const cursor *c) { return (uint64_t)(c->p - c->base); }
static uint64_t cur_left(const cursor *c) { return (uint64_t)(c->end - c->p); }

static int need(cursor *c, uint64_t n, const char *what)
{
	if (cur_left(c) < n)
		return ql_error_set(c->err, "header is truncated at byte %llu (reading %s)",
				    (unsigned long long)cur_offset(c), what);
	return 0;
}

static uint64_t load_le(const uint8_t *p, int n)
{
	uint64_t v = 0;
	for (int i = n - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static int get_u32(cursor *c, uint32_t *v, const char *what)
{
	if (need(c, 4, what))
		return -1;
	*v = (uint32_t)load_le(c->p, 4);
	c->p += 4;
	return 0;
}

static int get_u64(cursor *c, uint64_t *v, const char *what)
{
	if (need(c, 8, what))
		return -1;
	*v = load_le(c->p, 8);
	c->p += 8;
	return 0;
}

/* A string: returns its bytes (not NUL-terminated) and length. */
static int get_str(cursor *c, const uint8_t **s, uint64_t *len, const char *what)
{
	if (get_u64(c, len, what))
		return -1;
	if (*len > cur_left(c))
		return ql_error_set(c->err, "%s at byte %llu claims %llu bytes, only %llu remain",
				    what, (unsigned long long)(cur_offset(c) - 8),
				    (unsigned long long)*len, (unsigned long long)cur_left(c));
	*s = c->p;
	c->p += *len;
	return 0;
}

/* Length of the valid UTF-8 sequence at s (1-4), or 0 if invalid. */
static int utf8_seq(const uint8_t *s, uint64_t n)
{
	uint8_t b = s[0];
	int len;
	uint32_t cp;
	if (b < 0x80)
		return 1;
	else if ((b & 0xE0) == 0xC0)
		len = 2, cp = b & 0x1F;
	else if ((b & 0xF0) == 0xE0)
		len = 3, cp = b & 0x0F;
	else if ((b & 0xF8) == 0xF0)
		len = 4, cp = b & 0x07;
	else
		return 0;
	if ((uint64_t)len > n)
		return 0;
	for (int i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3F);
	}
	static const uint32_t min_cp[5] = { 0, 0, 0x80, 0x800, 0x10000 };
	if (cp < min_cp[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return len;
}

static bool utf8_valid(const uint8_t *s, uint64_t n)
{
	for (uint64_t i = 0; i < n;) {
		int k = utf8_seq(s + i, n - i);
		if (!k)
			return false;
		i += (uint64_t)k;
	}
	return true;
}

/* --- summarising values into text -------------------------------------- */

/* A bounded string builder: appends stop at the cap, "..." marks the cut. */
typedef struct sbuf {
	char buf[META_VALUE_MAX];
	size_t len;
	bool full;
} sbuf;

static void sb_add(sbuf *b, const char *s, size_t n)
{
	if (b->full)
		return;
	size_t room = sizeof b->buf - 4 - b->len; /* keep space for "..." + NUL */
	if (n > room) {
		/* cut on a UTF-8 character boundary */
		while (room > 0 && (s[room] & 0xC0) == 0x80)
			room--;
		memcpy(b->buf + b->len, s, room);
		b->len += room;
		memcpy(b->buf + b->len, "...", 4);
		b->len += 3;
		b->full = true;
		return;
	}
	memcpy(b->buf + b->len, s, n);
	b->len += n;
	b->buf[b->len] = '\0';
}

static void sb_str(sbuf *b, const char *s) { sb_add(b, s, strlen(s)); }

/* Appends a GGUF string, shortened to META_STRING_MAX characters; control
 * characters and bytes that are not UTF-8 are shown as escapes. */
static void sb_text(sbuf *b, const uint8_t *s, uint64_t n, bool quoted)
{
	if (quoted)
		sb_str(b, "\"");
	uint64_t i = 0;
	int chars = 0;
	while (i < n && chars < META_STRING_MAX && !b->full) {
		int k = utf8_seq(s + i, n - i);
		char esc[8];
		if (k == 1 && s[i] >= 0x20 && s[i] != 0x7F && !(quoted && (s[i] == '"' || s[i] == '\\'))) {
			sb_add(b, (const char *)s + i, 1);
		} else if (k > 1) {
			sb_add(b, (const char *)s + i, (size_t)k);
		} else {
			if (k == 0)
				k = 1;
			if (s[i] == '\n')
				snprintf(esc, sizeof esc, "\\n");
			else if (s[i] == '\t')
				snprintf(esc, sizeof esc, "\\t");
			else if (s[i] == '"' || s[i] == '\\')
				snprintf(esc, sizeof esc, "\\%c", s[i]);
			else
				snprintf(esc, sizeof esc, "\\x%02X", s[i]);
			sb_str(b, esc);
		}
		i += (uint64_t)k;
		chars++;
	}
	if (i < n)
		sb_str(b, "...");
	if (quoted)
		sb_str(b, "\"");
}

/* The shortest "%.Ng" that reads back as the same value. */
static void sb_float(sbuf *b, double v, bool single)
{
	char tmp[40];
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(tmp, sizeof tmp, "%.*g", prec, v);
		if (single ? (float)strtod(tmp, NULL) == (float)v : strtod(tmp, NULL) == v)
			break;
	}
	sb_str(b, tmp);
}

/* Formats one fixed-size scalar at p. Returns -1 for an invalid bool. */
static int sb_scalar(sbuf *b, uint32_t type, const uint8_t *p, ql_error *err)
{
	char tmp[32];
	uint64_t u = load_le(p, gguf_type_size[type]);
	switch (type) {
	case GGUF_UINT8: case GGUF_UINT16: case GGUF_UINT32: case GGUF_UINT64:
		snprintf(tmp, sizeof tmp, "%llu", (unsigned long long)u);
		break;
	case GGUF_INT8:
		snprintf(tmp, sizeof tmp, "%d", (int)(int8_t)u);
		break;
	case GGUF_INT16:
		snprintf(tmp, sizeof tmp, "%d", (int)(int16_t)u);
		break;
	case GGUF_INT32:
		snprintf(tmp, sizeof tmp, "%ld", (long)(int32_t)u);
		break;
	case GGUF_INT64:
		snprintf(tmp, sizeof tmp, "%lld", (long long)(int64_t)u);
		break;
	case GGUF_FLOAT32: {
		uint32_t w = (uint32_t)u;
		float f;
		memcpy(&f, &w, 4);
		sb_float(b, f, true);
		return 0;
	}
	case GGUF_FLOAT64: {
		double d;
		memcpy(&d, &u, 8);
		sb_float(b, d, false);
		return 0;
	}
	case GGUF_BOOL:
		if (u > 1)
			return ql_error_set(err, "a bool value is %u (must be 0 or 1)", (unsigned)u);
		snprintf(tmp, sizeof tmp, "%s", u ? "true" : "false");
		break;
	default:
		tmp[0] = '\0';
	}
	sb_str(b, tmp);
	return 0;
}

/* Reads (and summarises into b, unless b is NULL) one value of `type`.
 * `quoted`: strings inside arrays are shown in quotes. */
static int read_value(cursor *c, uint32_t type, int depth, sbuf *b, bool quoted)
{
	if (type >= GGUF_TYPE_COUNT)
		return ql_error_set(c->err, "unknown metadata value type %u at byte %llu", type,
				    (unsigned long long)(cur_offset(c) - 4));
	if (type == GGUF_STRING) {
		const uint8_t *s;
		uint64_t n;
		if (get_str(c, &s, &n, "a string value"))
			return -1;
		if (b)
			sb_text(b, s, n, quoted);
		return 0;
	}
	if (type != GGUF_ARRAY) {
		int sz = gguf_type_size[type];
		if (need(c, (uint64_t)sz, "a value"))
			return -1;
		if (type == GGUF_BOOL && c->p[0] > 1)
			return ql_error_set(c->err, "a bool value at byte %llu is %u (must be 0 or 1)",
					    (unsigned long long)cur_offset(c), c->p[0]);
		if (b && sb_scalar(b, type, c->p, c->err))
			return -1;
		c->p += sz;
		return 0;
	}

	/* An array: element type, count, elements. */
	if (depth >= GGUF_MAX_DEPTH)
		return ql_error_set(c->err, "arrays nested more than %d deep", GGUF_MAX_DEPTH);
	uint32_t et;
	uint64_t n;
	if (get_u32(c, &et, "an array's element type") || get_u64(c, &n, "an array's length"))
		return -1;
	if (et >= GGUF_TYPE_COUNT)
		return ql_error_set(c->err, "unknown array element type %u at byte %llu", et,
				    (unsigned long long)(cur_offset(c) - 12));
	/* Every element takes at least this many bytes: strings 8 (length),
	 * arrays 12 (type and length). */
	uint64_t min = et == GGUF_STRING ? 8 : et == GGUF_ARRAY ? 12 : (uint64_t)gguf_type_size[et];
	if (n > cur_left(c) / min)
		return ql_error_set(c->err, "an array at byte %llu claims %llu elements of %s, "
				    "more than the %llu bytes left can hold",
				    (unsigned long long)(cur_offset(c) - 12), (unsigned long long)n,
				    gguf_type_names[et], (unsigned long long)cur_left(c));
	if (b) {
		char tmp[64];
		if (depth == 0) {
			snprintf(tmp, sizeof tmp, "%s[%llu] ", gguf_type_names[et], (unsigned long long)n);
			sb_str(b, tmp);
		}
		sb_str(b, "[");
	}
	if (et != GGUF_STRING && et != GGUF_ARRAY && et != GGUF_BOOL) {
		/* fixed-size elements: show the first few, skip the rest at once */
		if (b)
			for (uint64_t i = 0; i < n && i < META_ARRAY_SHOW; i++) {
				if (i)
					sb_str(b, ", ");
				sb_scalar(b, et, c->p + i * min, c->err);
			}
		c->p += n * min;
	} else {
		for (uint64_t i = 0; i < n; i++) {
			bool show = b && i < META_ARRAY_SHOW;
			if (show && i)
				sb_str(b, ", ");
			if (read_value(c, et, depth + 1, show ? b : NULL, true))
				return -1;
		}
	}
	if (b) {
		if (n > META_ARRAY_SHOW)
			sb_str(b, ", ...");
		sb_str(b, "]");
	}
	return 0;
}

/* --- the backend ----------------------------------------------------------- */

static bool gguf_probe(const char *path, const uint8_t *head, size_t n, const ql_open_opts *opts)
{
	(void)path;
	(void)opts;
	return n >= 4 && memcmp(head, "GGUF", 4) == 0;
}

static int is_power_of_two(uint64_t v) { return v && !(v & (v - 1)); }

typedef struct key_ref {
	const uint8_t *s;
	uint64_t len;
} key_ref;

static int cmp_keys(const void *a, const void *b)
{
	const key_ref *x = a, *y = b;
	uint64_t n = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->s, y->s, (size_t)n);
	return c ? c : (x->len > y->len) - (x->len < y->len);
}

/* Duplicate keys are refused (as ggml does); sorting keeps this
 * O(n log n) however many keys a file claims. */
static int check_duplicate_keys(key_ref *keys, uint64_t n, ql_error *err)
{
	if (n < 2)
		return 0;
	qsort(keys, (size_t)n, sizeof *keys, cmp_keys);
	for (uint64_t i = 1; i < n; i++)
		if (cmp_keys(&keys[i - 1], &keys[i]) == 0)
			return ql_error_set(err, "metadata key '%.*s' appears twice",
					    keys[i].len > 200 ? 200 : (int)keys[i].len, (const char *)keys[i].s);
	return 0;
}

static int read_metadata(ql_source *src, cursor *c, uint64_t n_kv, uint64_t *alignment)
{
	key_ref *keys = NULL;
	if (n_kv) {
		keys = malloc(n_kv * sizeof *keys);
		if (!keys)
			return ql_error_set(c->err, "out of memory");
	}
	int rc = -1;
	for (uint64_t i = 0; i < n_kv; i++) {
		const uint8_t *k;
		uint64_t klen;
		uint32_t type;
		char what[64];
		snprintf(what, sizeof what, "the key of metadata entry %llu", (unsigned long long)i);
		if (get_str(c, &k, &klen, what))
			goto out;
		if (klen == 0 || klen > GGUF_MAX_KEY) {
			ql_error_set(c->err, "metadata entry %llu has a key of %llu bytes",
				     (unsigned long long)i, (unsigned long long)klen);
			goto out;
		}
		if (!utf8_valid(k, klen) || memchr(k, '\0', klen)) {
			ql_error_set(c->err, "metadata entry %llu: the key is not valid UTF-8 text",
				     (unsigned long long)i);
			goto out;
		}
		char key[256];
		snprintf(key, sizeof key, "%.*s", klen > 250 ? 250 : (int)klen, (const char *)k);
		keys[i] = (key_ref){ k, klen };
		if (get_u32(c, &type, "a metadata value type"))
			goto out;
		const uint8_t *value_at = c->p;
		sbuf b = { .len = 0 };
		b.buf[0] = '\0';
		if (read_value(c, type, 0, &b, false)) {
			ql_error_prefix(c->err, "metadata '%s'", key);
			goto out;
		}
		if (strcmp(key, "general.alignment") == 0) {
			if (type != GGUF_UINT32) {
				ql_error_set(c->err, "general.alignment is a %s, must be u32",
					     type < GGUF_TYPE_COUNT ? gguf_type_names[type] : "?");
				goto out;
			}
			uint64_t a = load_le(value_at, 4);
			if (!is_power_of_two(a)) {
				ql_error_set(c->err, "general.alignment is %llu, must be a power of two",
					     (unsigned long long)a);
				goto out;
			}
			*alignment = a;
		}
		if (ql_source_add_meta(src, key, b.buf, c->err))
			goto out;
	}
	rc = check_duplicate_keys(keys, n_kv, c->err);
out:
	free(keys);
	return rc;
}

static int read_tensor_info(ql_source *src, cursor *c, uint64_t i, uint64_t *offset)
{
	const uint8_t *s;
	uint64_t len;
	char what[64];
	snprintf(what, sizeof what, "the name of tensor %llu", (unsigned long long)i);
	if (get_str(c, &s, &len, what))
		return -1;
	if (len == 0)
		return ql_error_set(c->err, "tensor %llu has an empty name", (unsigned long long)i);
	if (len >= sizeof(((ql_tensor *)0)->name))
		return ql_error_set(c->err, "tensor %llu: name of %llu bytes (at most %zu)",
				    (unsigned long long)i, (unsigned long long)len,
				    sizeof(((ql_tensor *)0)->name) - 1);
	if (!utf8_valid(s, len) || memchr(s, '\0', len))
		return ql_error_set(c->err, "tensor %llu: name is not valid UTF-8 text",
				    (unsigned long long)i);
	ql_source_entry *e = ql_source_add(src, c->err);
	if (!e)
		return -1;
	ql_tensor *t = &e->t;
	memcpy(t->name, s, len);
	t->name[len] = '\0';

	uint32_t ndim, type;
	if (get_u32(c, &ndim, "a tensor's dimension count"))
		return -1;
	if (ndim > QL_MAX_DIMS)
		return ql_error_set(c->err, "tensor '%s': %u dimensions (at most %d)", t->name, ndim,
				    QL_MAX_DIMS);
	t->ndim = (int)ndim;
	uint64_t ne0 = 1;
	for (uint32_t d = 0; d < ndim; d++) {
		uint64_t v;
		if (get_u64(c, &v, "a tensor dimension"))
			return -1;
		if (v > (uint64_t)INT64_MAX)
			return ql_error_set(c->err, "tensor '%s': dimension %u is %llu, more than "
					    "2^63 - 1 (negative as ggml's int64)", t->name, d,
					    (unsigned long long)v);
		if (d == 0)
			ne0 = v;
		t->shape[ndim - 1 - d] = (int64_t)v; /* fastest-first -> NumPy order */
	}
	t->nelem = ql_shape_elems(t->shape, t->ndim);
	if (t->nelem < 0)
		return ql_error_set(c->err, "tensor '%s': the product of its dimensions overflows",
				    t->name);
	if (get_u32(c, &type, "a tensor type") || get_u64(c, offset, "a tensor offset"))
		return -1;
	if (type >= GGML_TYPE_COUNT || !ggml_types[type].name)
		return ql_error_set(c->err, "tensor '%s': unknown ggml type %u", t->name, type);
	const ggml_type_info *gt = &ggml_types[type];
	if (ne0 % (uint64_t)gt->blck)
		return ql_error_set(c->err, "tensor '%s': row of %llu elements is not a whole "
				    "number of %s blocks of %d", t->name, (unsigned long long)ne0,
				    gt->name, gt->blck);
	uint64_t blocks = (uint64_t)t->nelem / (uint64_t)gt->blck;
	if (blocks > UINT64_MAX / (uint64_t)gt->size)
		return ql_error_set(c->err, "tensor '%s' is too large", t->name);
	t->nbytes = blocks * (uint64_t)gt->size;
	/* the block formats qlens decodes are those of blockfmt.h's table */
	const ql_block_traits *bt = ql_block_for_ggml((int)type);
	t->dtype = bt && bt->block == gt->blck && bt->bytes == gt->size ? bt->dtype : gt->dtype;
	if (t->dtype == QL_DT_OTHER)
		snprintf(t->other_name, sizeof t->other_name, "%s", gt->name);
	return 0;
}

static int gguf_open(ql_source *src, ql_error *err)
{
	cursor c = { .base = src->map, .p = src->map, .end = src->map + src->size, .err = err };
	uint32_t version;
	uint64_t n_tensors, n_kv;
	if (need(&c, 8, "the magic and version"))
		return -1;
	c.p += 4;
	get_u32(&c, &version, "the version");
	if (version == 1)
		return ql_error_set(err, "GGUF version 1 is not supported (it predates the "
				    "64-bit counts of version 2; convert the model again with a "
				    "current llama.cpp)");
	if (version != 2 && version != 3) {
		if ((version & 0xFFFF) == 0 && version != 0)
			return ql_error_set(err, "looks like a big-endian GGUF file, which qlens "
					    "does not read");
		return ql_error_set(err, "GGUF version %u is not supported (only 2 and 3)", version);
	}
	if (get_u64(&c, &n_tensors, "the tensor count") || get_u64(&c, &n_kv, "the metadata count"))
		return -1;
	/* A tensor info takes at least 8 + 1 + 4 + 4 + 8 bytes, a key/value 8 + 1 + 4 + 1. */
	if (n_tensors > cur_left(&c) / 25)
		return ql_error_set(err, "header claims %llu tensors, more than the file can hold",
				    (unsigned long long)n_tensors);
	if (n_kv > cur_left(&c) / 14)
		return ql_error_set(err, "header claims %llu metadata entries, more than the file "
				    "can hold", (unsigned long long)n_kv);
	char ver[16];
	snprintf(ver, sizeof ver, "%u", version);
	if (ql_source_add_meta(src, "GGUF.version", ver, err))
		return -1;

	uint64_t alignment = GGUF_DEFAULT_ALIGNMENT;
	if (read_metadata(src, &c, n_kv, &alignment))
		return -1;

	uint64_t *offsets = n_tensors ? malloc(n_tensors * sizeof *offsets) : NULL;
	if (n_tensors && !offsets)
		return ql_error_set(err, "out of memory");
	int rc = -1;
	for (uint64_t i = 0; i < n_tensors; i++)
		if (read_tensor_info(src, &c, i, &offsets[i]))
			goto out;

	/* The data section starts at the next multiple of the alignment. */
	uint64_t header_end = cur_offset(&c);
	uint64_t data_start = header_end + (alignment - header_end % alignment) % alignment;
	for (uint64_t i = 0; i < n_tensors; i++) {
		ql_source_entry *e = &src->tensors[src->count - n_tensors + i];
		uint64_t off = offsets[i];
		if (off % alignment) {
			ql_error_set(err, "tensor '%s': offset %llu is not a multiple of the "
				     "alignment %llu", e->t.name, (unsigned long long)off,
				     (unsigned long long)alignment);
			goto out;
		}
		if (e->t.nbytes == 0)
			continue; /* nothing to read; offset 0 is inside any file */
		if (data_start > src->size || off > src->size - data_start ||
		    e->t.nbytes > src->size - data_start - off) {
			ql_error_set(err, "tensor '%s': %llu bytes at offset %llu of the data section "
				     "(which starts at byte %llu) lie outside the file (%llu bytes)",
				     e->t.name, (unsigned long long)e->t.nbytes, (unsigned long long)off,
				     (unsigned long long)data_start, (unsigned long long)src->size);
			goto out;
		}
		e->offset = data_start + off;
	}
	rc = 0;
out:
	free(offsets);
	return rc;
}

const ql_source_backend ql_backend_gguf = {
	.name = "gguf",
	.probe = gguf_probe,
	.open = gguf_open,
};
