/* error.c — filling ql_error messages (see qlens/error.h). */
#include "qlens/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "qlens/escape.h"

/* Messages are one line: a control character (a newline in a tensor name
 * read from a file, say), a terminal escape or invalid UTF-8 is shown
 * escaped, by the one rule of qlens/escape.h. */
static void one_line(char *msg, size_t size)
{
	char tmp[QL_ERROR_MAX];
	ql_escape(tmp, sizeof tmp, msg, QL_ESC_TERM);
	snprintf(msg, size, "%s", tmp);
}

int ql_error_set(ql_error *err, const char *fmt, ...)
{
	if (!err)
		return -1;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof err->msg, fmt, ap);
	va_end(ap);
	one_line(err->msg, sizeof err->msg);
	return -1;
}

int ql_error_prefix(ql_error *err, const char *fmt, ...)
{
	if (!err)
		return -1;
	char prefix[QL_ERROR_MAX], old[QL_ERROR_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof prefix, fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof old);
	size_t k = strlen(prefix);
	if (k > sizeof err->msg - 3)
		k = sizeof err->msg - 3;
	memcpy(err->msg, prefix, k);
	memcpy(err->msg + k, ": ", 2);
	k += 2;
	size_t rest = strlen(old);
	if (rest > sizeof err->msg - 1 - k)
		rest = sizeof err->msg - 1 - k;
	memcpy(err->msg + k, old, rest);
	err->msg[k + rest] = '\0';
	one_line(err->msg, sizeof err->msg);
	return -1;
}
