/* jsonp.c — the strict JSON pull parser of jsonp.h. */
#include "jsonp.h"

#include <string.h>

void ql_jp_init(ql_jp *j, const void *text, size_t n)
{
	j->base = j->p = text;
	j->end = j->base + n;
	j->depth = 0;
	j->msg = NULL;
	j->at = 0;
}

int ql_jp_fail(ql_jp *j, const char *msg)
{
	if (!j->msg) {
		j->msg = msg;
		j->at = (size_t)(j->p - j->base);
	}
	return -1;
}

static void skip_blank(ql_jp *j)
{
	const uint8_t *p = j->p, *e = j->end;
	while (p < e && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
		p++;
	j->p = p;
}

int ql_jp_peek(ql_jp *j)
{
	if (j->msg)
		return -1;
	skip_blank(j);
	return j->p < j->end ? *j->p : -1;
}

int ql_jp_begin(ql_jp *j, char open)
{
	int c = ql_jp_peek(j);
	if (c != open)
		return ql_jp_fail(j, c < 0 ? "unexpected end of text"
				  : open == '{' ? "expected an object" : "expected an array");
	if (j->depth >= QL_JP_MAX_DEPTH)
		return ql_jp_fail(j, "nested too deeply");
	j->depth++;
	j->p++;
	return 0;
}

/* After an item of an object or array: ',' (more follow) or the closing
 * byte. Returns 1, 0 or -1. */
static int next(ql_jp *j, bool *first, char close)
{
	int c = ql_jp_peek(j);
	if (c < 0)
		return ql_jp_fail(j, "unexpected end of text");
	if (*first) {
		*first = false;
		if (c == close) {
			j->p++;
			j->depth--;
			return 0;
		}
		return 1;
	}
	if (c == close) {
		j->p++;
		j->depth--;
		return 0;
	}
	if (c != ',')
		return ql_jp_fail(j, close == '}' ? "expected ',' or '}'" : "expected ',' or ']'");
	j->p++;
	if (ql_jp_peek(j) < 0)
		return ql_jp_fail(j, "unexpected end of text");
	return 1;
}

int ql_jp_next_key(ql_jp *j, bool *first, ql_jp_str *key)
{
	int r = next(j, first, '}');
	if (r <= 0)
		return r;
	if (*j->p != '"')
		return ql_jp_fail(j, "expected a string key");
	if (ql_jp_string(j, key))
		return -1;
	if (ql_jp_peek(j) != ':')
		return ql_jp_fail(j, "expected ':' after a key");
	j->p++;
	return 1;
}

int ql_jp_next_item(ql_jp *j, bool *first)
{
	return next(j, first, ']');
}

static int hex4(const uint8_t *p, const uint8_t *e, uint32_t *out)
{
	if (e - p < 4)
		return -1;
	uint32_t v = 0;
	for (int i = 0; i < 4; i++) {
		uint8_t c = p[i];
		uint32_t d;
		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10u;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10u;
		else
			return -1;
		v = v << 4 | d;
	}
	*out = v;
	return 0;
}

static size_t utf8_len(uint32_t cp)
{
	return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
}

/* A \u escape at p (pointing at the 'u'): its code point, surrogate pairs
 * joined, and how many bytes after p it took. */
static int unicode_escape(ql_jp *j, const uint8_t *p, uint32_t *cp, size_t *used)
{
	uint32_t hi, lo;
	if (hex4(p + 1, j->end, &hi)) {
		j->p = p;
		return ql_jp_fail(j, "invalid \\u escape");
	}
	if (hi >= 0xdc00 && hi <= 0xdfff) {
		j->p = p;
		return ql_jp_fail(j, "lone low surrogate in a \\u escape");
	}
	if (hi < 0xd800 || hi > 0xdbff) {
		*cp = hi;
		*used = 5;
		return 0;
	}
	if (j->end - p < 7 || p[5] != '\\' || p[6] != 'u' || hex4(p + 7, j->end, &lo) ||
	    lo < 0xdc00 || lo > 0xdfff) {
		j->p = p;
		return ql_jp_fail(j, "lone high surrogate in a \\u escape");
	}
	*cp = 0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00);
	*used = 11;
	return 0;
}

int ql_jp_string(ql_jp *j, ql_jp_str *s)
{
	int c = ql_jp_peek(j);
	if (c != '"')
		return ql_jp_fail(j, c < 0 ? "unexpected end of text" : "expected a string");
	const uint8_t *p = j->p + 1, *e = j->end;
	*s = (ql_jp_str){ .raw = p };
	size_t len = 0;
	for (;;) {
		/* the plain run up to the next quote, backslash or control byte */
		const uint8_t *q = p;
		/* eight bytes at a time while none is a quote, a backslash or
		 * below 0x20 (the usual test for a zero byte, three times) */
		const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
		while (e - q >= 8) {
			uint64_t w;
			memcpy(&w, q, 8);
			uint64_t a = w ^ (ones * '"'), b = w ^ (ones * '\\');
			if ((((a - ones) & ~a) | ((b - ones) & ~b) | ((w - ones * 0x20) & ~w)) & highs)
				break;
			q += 8;
		}
		while (q < e && *q != '"' && *q != '\\' && *q >= 0x20)
			q++;
		len += (size_t)(q - p);
		p = q;
		if (p == e) {
			j->p = p;
			return ql_jp_fail(j, "unterminated string");
		}
		if (*p == '"')
			break;
		if (*p < 0x20) {
			j->p = p;
			return ql_jp_fail(j, "control character in a string");
		}
		/* a backslash */
		s->escaped = true;
		if (e - p < 2) {
			j->p = p;
			return ql_jp_fail(j, "unterminated string");
		}
		switch (p[1]) {
		case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
			len++;
			p += 2;
			break;
		case 'u': {
			uint32_t cp;
			size_t used;
			if (unicode_escape(j, p + 1, &cp, &used))
				return -1;
			if (cp == 0)
				s->has_nul = true;
			len += utf8_len(cp);
			p += 1 + used;
			break;
		}
		default:
			j->p = p;
			return ql_jp_fail(j, "invalid escape in a string");
		}
	}
	s->raw_len = (size_t)(p - s->raw);
	s->len = len;
	j->p = p + 1;
	return 0;
}

void ql_jp_decode(const ql_jp_str *s, char *out)
{
	if (!s->escaped) {
		memcpy(out, s->raw, s->len);
		out[s->len] = '\0';
		return;
	}
	const uint8_t *p = s->raw, *e = s->raw + s->raw_len;
	char *o = out;
	while (p < e) {
		if (*p != '\\') {
			*o++ = (char)*p++;
			continue;
		}
		uint8_t c = p[1];
		p += 2;
		switch (c) {
		case 'b': *o++ = '\b'; break;
		case 'f': *o++ = '\f'; break;
		case 'n': *o++ = '\n'; break;
		case 'r': *o++ = '\r'; break;
		case 't': *o++ = '\t'; break;
		case 'u': {
			/* validated by ql_jp_string: 4 hex digits, pairs complete */
			uint32_t cp = 0, lo = 0;
			hex4(p, e, &cp);
			p += 4;
			if (cp >= 0xd800 && cp <= 0xdbff) {
				hex4(p + 2, e, &lo);
				p += 6;
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			}
			if (cp < 0x80) {
				*o++ = (char)cp;
			} else if (cp < 0x800) {
				*o++ = (char)(0xc0 | cp >> 6);
				*o++ = (char)(0x80 | (cp & 0x3f));
			} else if (cp < 0x10000) {
				*o++ = (char)(0xe0 | cp >> 12);
				*o++ = (char)(0x80 | (cp >> 6 & 0x3f));
				*o++ = (char)(0x80 | (cp & 0x3f));
			} else {
				*o++ = (char)(0xf0 | cp >> 18);
				*o++ = (char)(0x80 | (cp >> 12 & 0x3f));
				*o++ = (char)(0x80 | (cp >> 6 & 0x3f));
				*o++ = (char)(0x80 | (cp & 0x3f));
			}
			break;
		}
		default: *o++ = (char)c; break; /* " \ / */
		}
	}
	*o = '\0';
}

bool ql_jp_str_is(const ql_jp_str *s, const char *lit)
{
	size_t n = strlen(lit);
	if (s->len != n)
		return false;
	if (!s->escaped)
		return memcmp(s->raw, lit, n) == 0;
	char buf[64];
	if (n >= sizeof buf)
		return false; /* callers compare with short key names only */
	ql_jp_decode(s, buf);
	return memcmp(buf, lit, n) == 0;
}

static bool is_digit(const uint8_t *p, const uint8_t *e)
{
	return p < e && *p >= '0' && *p <= '9';
}

int ql_jp_number(ql_jp *j, ql_jp_num *kind, int64_t *v, const uint8_t **text, size_t *text_len)
{
	int c = ql_jp_peek(j);
	if (c != '-' && !(c >= '0' && c <= '9'))
		return ql_jp_fail(j, c < 0 ? "unexpected end of text" : "expected a number");
	const uint8_t *p = j->p, *e = j->end, *start = p;
	bool neg = false;
	if (*p == '-') {
		neg = true;
		p++;
	}
	if (!is_digit(p, e)) {
		j->p = p;
		return ql_jp_fail(j, "invalid number");
	}
	uint64_t mag = 0;
	bool big = false;
	if (*p == '0') {
		p++;
	} else {
		while (is_digit(p, e)) {
			uint64_t d = (uint64_t)(*p - '0');
			if (mag > (UINT64_MAX - d) / 10)
				big = true;
			else
				mag = mag * 10 + d;
			p++;
		}
	}
	bool real = false;
	if (p < e && *p == '.') {
		p++;
		if (!is_digit(p, e)) {
			j->p = p;
			return ql_jp_fail(j, "invalid number");
		}
		while (is_digit(p, e))
			p++;
		real = true;
	}
	if (p < e && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < e && (*p == '+' || *p == '-'))
			p++;
		if (!is_digit(p, e)) {
			j->p = p;
			return ql_jp_fail(j, "invalid number");
		}
		while (is_digit(p, e))
			p++;
		real = true;
	}
	j->p = p;
	if (text) {
		*text = start;
		*text_len = (size_t)(p - start);
	}
	if (real) {
		*kind = QL_JP_REAL;
	} else if (big || mag > (neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX)) {
		*kind = QL_JP_BIGINT;
	} else {
		*kind = QL_JP_INT;
		if (v)
			*v = neg ? (mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag) : (int64_t)mag;
	}
	return 0;
}

static int literal(ql_jp *j, const char *word)
{
	size_t n = strlen(word);
	if ((size_t)(j->end - j->p) < n || memcmp(j->p, word, n) != 0)
		return ql_jp_fail(j, "invalid token");
	j->p += n;
	return 0;
}

static int skip_value(ql_jp *j)
{
	int c = ql_jp_peek(j);
	bool first = true;
	int r;
	ql_jp_str s;
	switch (c) {
	case '{':
		if (ql_jp_begin(j, '{'))
			return -1;
		while ((r = ql_jp_next_key(j, &first, &s)) == 1)
			if (skip_value(j))
				return -1;
		return r;
	case '[':
		if (ql_jp_begin(j, '['))
			return -1;
		while ((r = ql_jp_next_item(j, &first)) == 1)
			if (skip_value(j))
				return -1;
		return r;
	case '"':
		return ql_jp_string(j, &s);
	case 't':
		return literal(j, "true");
	case 'f':
		return literal(j, "false");
	case 'n':
		return literal(j, "null");
	case -1:
		return ql_jp_fail(j, "unexpected end of text");
	default: {
		ql_jp_num k;
		if (c == '-' || (c >= '0' && c <= '9'))
			return ql_jp_number(j, &k, NULL, NULL, NULL);
		return ql_jp_fail(j, "invalid token");
	}
	}
}

int ql_jp_skip(ql_jp *j, const uint8_t **start, size_t *len)
{
	if (ql_jp_peek(j) < 0)
		return ql_jp_fail(j, "unexpected end of text");
	const uint8_t *s = j->p;
	if (skip_value(j))
		return -1;
	if (start) {
		*start = s;
		*len = (size_t)(j->p - s);
	}
	return 0;
}

int ql_jp_finish(ql_jp *j)
{
	if (j->msg)
		return -1;
	if (ql_jp_peek(j) >= 0)
		return ql_jp_fail(j, "trailing garbage after the value");
	return 0;
}
