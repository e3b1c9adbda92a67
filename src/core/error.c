/* error.c — filling ql_error messages (see qlens/error.h). */
#include "qlens/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Messages are one line: a control character (a newline in a tensor name
 * read from a file, say) is shown as an escape such as \n or \x01. */
static void one_line(char *msg, size_t size)
{
	char tmp[QL_ERROR_MAX];
	size_t j = 0;
	for (size_t i = 0; msg[i] && j + 1 < sizeof tmp; i++) {
		unsigned char c = (unsigned char)msg[i];
		if (c >= 0x20 && c != 0x7F) {
			tmp[j++] = (char)c;
			continue;
		}
		char esc[8];
		int k = c == '\n' ? snprintf(esc, sizeof esc, "\\n")
			: c == '\t' ? snprintf(esc, sizeof esc, "\\t")
			: snprintf(esc, sizeof esc, "\\x%02X", c);
		if (j + (size_t)k + 1 > sizeof tmp)
			break;
		memcpy(tmp + j, esc, (size_t)k);
		j += (size_t)k;
	}
	tmp[j] = '\0';
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
