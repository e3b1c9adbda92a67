/* jsonp.h — a small, strict, bounds-checked JSON pull parser (private to
 * src/io), for the safetensors header and the sharded checkpoint's index.
 *
 * It reads RFC 8259 JSON from a buffer that need not be NUL-terminated and
 * builds no tree: the caller walks objects and arrays with the functions
 * below and takes what it wants (keys, strings, integers); everything else
 * is validated and skipped with ql_jp_skip(). Nothing is allocated.
 *
 * What it accepts is what Python's json module accepts (json.loads on the
 * UTF-8 bytes), except, on purpose (tests/golden/jsonp/gen_jsonp.py
 * records both sides for every case):
 *   - NaN, Infinity, -Infinity: rejected (not JSON; Python takes them);
 *   - a \u escape of a lone surrogate (\ud800 without its low half, or a
 *     low half alone): rejected, its code point has no UTF-8 form (Python
 *     makes a str it cannot encode);
 *   - nesting deeper than QL_JP_MAX_DEPTH: rejected (Python raises
 *     RecursionError near 1000 levels);
 *   - duplicate keys: this parser does not see them; its callers reject
 *     them where they look keys up (Python keeps the last one).
 * UTF-8 validity of the bytes is the caller's check (the safetensors
 * reader checks the whole header first); unescaped control characters
 * (below 0x20) inside strings are rejected, as Python's strict mode does.
 *
 * Errors: every function returns -1 (or false) after setting j->msg to a
 * static text and j->at to the byte offset; once set, the error sticks.
 */
#ifndef QLENS_JSONP_H
#define QLENS_JSONP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define QL_JP_MAX_DEPTH 512

typedef struct ql_jp {
	const uint8_t *base, *p, *end;
	int depth;
	const char *msg; /* NULL while all is well */
	size_t at;       /* byte offset of the error */
} ql_jp;

/* A string as it stands in the text, between its quotes. */
typedef struct ql_jp_str {
	const uint8_t *raw; /* after the opening quote */
	size_t raw_len;     /* up to the closing quote */
	size_t len;         /* bytes once decoded (UTF-8) */
	bool escaped;       /* holds a backslash escape (else decoded == raw) */
	bool has_nul;       /* decodes to a string with a U+0000 in it */
} ql_jp_str;

/* What a number token is. */
typedef enum ql_jp_num {
	QL_JP_INT,      /* an integer in [INT64_MIN, INT64_MAX]; "-0" is 0 */
	QL_JP_BIGINT,   /* an integer outside int64 */
	QL_JP_REAL,     /* has a fraction or an exponent */
} ql_jp_num;

void ql_jp_init(ql_jp *j, const void *text, size_t n);
/* Sets the error (if none is set yet); returns -1. */
int ql_jp_fail(ql_jp *j, const char *msg);

/* The next non-blank byte, not consumed; -1 at the end of the text. */
int ql_jp_peek(ql_jp *j);

/* Objects: ql_jp_begin(j, '{'), then while ql_jp_next_key(j, &first, &key)
 * returns 1, read the key's value. 0 means the closing '}' was consumed.
 * Arrays: ql_jp_begin(j, '['), then while ql_jp_next_item(j, &first) is 1,
 * read one value. first must start true. */
int ql_jp_begin(ql_jp *j, char open);
int ql_jp_next_key(ql_jp *j, bool *first, ql_jp_str *key);
int ql_jp_next_item(ql_jp *j, bool *first);

/* A string value (fails if the next value is not a string). */
int ql_jp_string(ql_jp *j, ql_jp_str *s);
/* Writes the decoded string and a NUL to out, which holds s->len + 1. */
void ql_jp_decode(const ql_jp_str *s, char *out);
/* True if s decodes to exactly the NUL-terminated lit. */
bool ql_jp_str_is(const ql_jp_str *s, const char *lit);

/* A number value: its kind, and in *v its value when kind is QL_JP_INT.
 * text and text_len: the token as written. */
int ql_jp_number(ql_jp *j, ql_jp_num *kind, int64_t *v, const uint8_t **text, size_t *text_len);

/* Validates and skips one value of any kind. start and len (if not NULL):
 * its text, from its first byte to its last. */
int ql_jp_skip(ql_jp *j, const uint8_t **start, size_t *len);

/* Fails unless only blanks are left. */
int ql_jp_finish(ql_jp *j);

#endif
