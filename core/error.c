/* error.c - filling struct error; see include/error.h. */
#include <stdarg.h>
#include <stdio.h>

#include "error.h"

int error_set(struct error *err, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return -1;
	va_start(ap, fmt);
	vsnprintf(err->text, sizeof(err->text), fmt, ap);
	va_end(ap);
	err->code = EXIT_RUNTIME;
	return -1;
}

int error_at(struct error *err, const char *file, unsigned line, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!err)
		return -1;
	n = snprintf(err->text, sizeof(err->text), "%s:%u: ", file, line);
	if (n < 0 || (size_t)n >= sizeof(err->text))
		n = 0;
	va_start(ap, fmt);
	vsnprintf(err->text + n, sizeof(err->text) - (size_t)n, fmt, ap);
	va_end(ap);
	err->code = EXIT_USAGE;
	return -1;
}
