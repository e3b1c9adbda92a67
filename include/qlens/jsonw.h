/* jsonw.h — a small streaming JSON writer for --json output.
 *
 *   ql_jsonw j;
 *   ql_jsonw_init(&j, stdout);
 *   ql_json_begin_object(&j);
 *   ql_json_key(&j, "type");  ql_json_string(&j, "fp16");
 *   ql_json_key(&j, "value"); ql_json_number(&j, 0.333251953125);
 *   ql_json_end_object(&j);
 *   ql_jsonw_finish(&j);     // newline
 *
 * Commas and indentation are handled here. Numbers are written in the
 * shortest form that reads back as the same double; NaN and ±inf, which JSON
 * cannot hold, are written as null. Strings are escaped by the one rule of
 * qlens/escape.h (QL_ESC_JSON): always valid UTF-8 JSON.
 */
#ifndef QLENS_JSONW_H
#define QLENS_JSONW_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define QL_JSONW_DEPTH 32

typedef struct ql_jsonw {
	FILE *f;
	int depth;
	bool first[QL_JSONW_DEPTH]; /* nothing written yet at this level */
	bool after_key;
	bool pretty;
} ql_jsonw;

void ql_jsonw_init(ql_jsonw *j, FILE *f);
void ql_json_begin_object(ql_jsonw *j);
void ql_json_end_object(ql_jsonw *j);
void ql_json_begin_array(ql_jsonw *j);
void ql_json_end_array(ql_jsonw *j);
void ql_json_key(ql_jsonw *j, const char *key);
void ql_json_string(ql_jsonw *j, const char *s);
void ql_json_number(ql_jsonw *j, double v);
/* v[0..n) as an array of numbers (ql_json_number's texts), or with w the
 * array of pairs [v[i], w[i]]; the texts of a long array are made on up to
 * `threads` threads (0: one per CPU), the bytes the same on any count. */
void ql_json_f32_array(ql_jsonw *j, const float *v, const float *w, int64_t n, int threads);
void ql_json_int(ql_jsonw *j, int64_t v);
void ql_json_bool(ql_jsonw *j, bool v);
void ql_json_null(ql_jsonw *j);
void ql_jsonw_finish(ql_jsonw *j);

/* The text of v that ql_json_number writes: "%.*g" with the least p in
 * 1..17 that strtod reads back as v, found by exact integer arithmetic
 * (src/cli/shortest.c) in well under a microsecond; "-0.0" for -0 (so it
 * reads back as a float) and "null" for NaN and ±inf. out holds at least
 * 32 bytes (25 are used at most). Returns the text's length. */
int ql_shortest_g(double v, char *out);

#endif
