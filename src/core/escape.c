/* escape.c — the one escaping rule for file and user strings (see
 * qlens/escape.h). */
#include "qlens/escape.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* Decodes one UTF-8 sequence at p; returns its length (1-4) and the code
 * point, or 0 when the bytes are not valid UTF-8 (overlong, surrogate,
 * beyond U+10FFFF, truncated). */
static int utf8_decode(const unsigned char *p, uint32_t *cp)
{
	unsigned char c = p[0];
	int n;
	uint32_t v, min;
	if (c < 0x80) {
		*cp = c;
		return 1;
	} else if (c >= 0xC2 && c <= 0xDF) {
		n = 2, v = c & 0x1F, min = 0x80;
	} else if (c >= 0xE0 && c <= 0xEF) {
		n = 3, v = c & 0x0F, min = 0x800;
	} else if (c >= 0xF0 && c <= 0xF4) {
		n = 4, v = c & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	for (int i = 1; i < n; i++) {
		if ((p[i] & 0xC0) != 0x80) /* also stops at the terminating NUL */
			return 0;
		v = (v << 6) | (p[i] & 0x3F);
	}
	if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
		return 0;
	*cp = v;
	return n;
}

/* Code points that are valid but must not reach a terminal as they are:
 * C1 controls, and those that reorder or break the line shown. */
static bool is_hidden(uint32_t cp)
{
	return (cp >= 0x80 && cp <= 0x9F) || cp == 0x200E || cp == 0x200F || cp == 0x2028 ||
	       cp == 0x2029 || (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

/* The escaped form of the character at p into out (at most 12 bytes, not
 * terminated); *used is how many input bytes it takes. Returns the output
 * length. */
static size_t escape_one(const unsigned char *p, ql_esc_mode mode, char *out, size_t *used)
{
	static const char hex[] = "0123456789abcdef";
	static const char HEX[] = "0123456789ABCDEF";
	uint32_t cp;
	int n = utf8_decode(p, &cp);
	*used = n ? (size_t)n : 1;
	if (n == 0) {
		if (mode == QL_ESC_JSON) {
			memcpy(out, "\\ufffd", 6);
			return 6;
		}
		out[0] = '\\', out[1] = 'x', out[2] = HEX[p[0] >> 4], out[3] = HEX[p[0] & 15];
		return 4;
	}
	if (cp < 0x20 || cp == 0x7F) {
		char e = cp == '\n' ? 'n' : cp == '\t' ? 't' : cp == '\r' ? 'r' : 0;
		if (mode == QL_ESC_JSON && !e)
			e = cp == '\b' ? 'b' : cp == '\f' ? 'f' : 0;
		if (e) {
			out[0] = '\\', out[1] = e;
			return 2;
		}
		if (mode == QL_ESC_TERM) {
			out[0] = '\\', out[1] = 'x', out[2] = HEX[cp >> 4], out[3] = HEX[cp & 15];
			return 4;
		}
		memcpy(out, "\\u00", 4);
		out[4] = hex[cp >> 4], out[5] = hex[cp & 15];
		return 6;
	}
	if (is_hidden(cp)) {
		size_t k = 0;
		out[k++] = '\\', out[k++] = 'u';
		if (mode == QL_ESC_TERM)
			out[k++] = '{';
		for (int sh = 12; sh >= 0; sh -= 4)
			out[k++] = (mode == QL_ESC_TERM ? HEX : hex)[(cp >> sh) & 15];
		if (mode == QL_ESC_TERM)
			out[k++] = '}';
		return k;
	}
	if (mode == QL_ESC_JSON && (cp == '"' || cp == '\\')) {
		out[0] = '\\', out[1] = (char)cp;
		return 2;
	}
	memcpy(out, p, (size_t)n);
	return (size_t)n;
}

size_t ql_escape(char *dst, size_t cap, const char *s, ql_esc_mode mode)
{
	size_t len = 0, kept = 0;
	bool cut = false;
	for (const unsigned char *p = (const unsigned char *)s; *p;) {
		char e[16];
		size_t used, k = escape_one(p, mode, e, &used);
		if (!cut && len + k < cap) {
			memcpy(dst + len, e, k);
			kept = len + k;
		} else {
			cut = true;
		}
		len += k;
		p += used;
	}
	if (cap)
		dst[kept] = '\0';
	return len;
}

/* Printable ASCII that every mode passes through as it is. */
static bool plain(unsigned char c, ql_esc_mode mode)
{
	return c >= 0x20 && c < 0x7F && !(mode == QL_ESC_JSON && (c == '"' || c == '\\'));
}

void ql_escape_fputs(FILE *f, const char *s, ql_esc_mode mode)
{
	for (const unsigned char *p = (const unsigned char *)s; *p;) {
		/* a run of plain bytes in one write (80,000 tensor names in
		 * `qlens info` were a write per byte) */
		const unsigned char *q = p;
		while (plain(*q, mode))
			q++;
		if (q > p) {
			fwrite(p, 1, (size_t)(q - p), f);
			p = q;
			continue;
		}
		char e[16];
		size_t used, k = escape_one(p, mode, e, &used);
		fwrite(e, 1, k, f);
		p += used;
	}
}

const char *ql_escape_short(const char *s, char *buf, size_t n)
{
	if (n == 0)
		return buf;
	if (ql_escape(buf, n, s, QL_ESC_TERM) < n || n < 4)
		return buf;
	/* Cut short: make room for "..." at a whole escape or character. */
	size_t len = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p;) {
		char e[16];
		size_t used, k = escape_one(p, QL_ESC_TERM, e, &used);
		if (len + k + 3 >= n)
			break;
		len += k;
		p += used;
	}
	memcpy(buf + len, "...", 4);
	return buf;
}
