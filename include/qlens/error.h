/* error.h — errors as values.
 *
 * Core functions that can fail return 0 on success and -1 on failure, and
 * fill a caller-owned ql_error with one line that names the file, tensor and
 * reason ("w.npy: header is truncated"). Only main() decides to print it
 * ("qlens: " prefix) and to exit. A NULL ql_error pointer is allowed: the
 * message is then dropped.
 */
#ifndef QLENS_ERROR_H
#define QLENS_ERROR_H

#include <stddef.h>

#define QL_ERROR_MAX 512

typedef struct ql_error {
	char msg[QL_ERROR_MAX]; /* one line, no trailing newline, no "qlens: " */
} ql_error;

/* Sets err->msg from a printf format; returns -1 so callers can write
 * `return ql_error_set(err, "...")`. */
int ql_error_set(ql_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Prefixes an existing message: "PREFIX: old message". Returns -1. */
int ql_error_prefix(ql_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
