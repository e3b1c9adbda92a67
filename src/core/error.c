/* error.c — filling ql_error messages (see qlens/error.h). */
#include "qlens/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int ql_error_set(ql_error *err, const char *fmt, ...)
{
	if (!err)
		return -1;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof err->msg, fmt, ap);
	va_end(ap);
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
	snprintf(err->msg, sizeof err->msg, "%s: %s", prefix, old);
	return -1;
}
