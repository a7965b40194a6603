/* error.c - filling struct error; see include/error.h. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "error.h"

/* A sentence cut at the buffer's end must not end inside a UTF-8 character. */
static void error_trim(char *text, size_t size)
{
	size_t len = strlen(text), lead = len;
	unsigned char c;
	size_t need;

	if (len + 1 < size)
		return;
	while (lead > 0 && len - lead < 4 && ((unsigned char)text[lead - 1] & 0xc0) == 0x80)
		lead--;
	if (lead == 0)
		return;
	c = (unsigned char)text[lead - 1];
	need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
	if (lead - 1 + need > len)
		text[lead - 1] = '\0';
}

int error_set(struct error *err, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return -1;
	va_start(ap, fmt);
	vsnprintf(err->text, sizeof(err->text), fmt, ap);
	va_end(ap);
	error_trim(err->text, sizeof(err->text));
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
	error_trim(err->text, sizeof(err->text));
	err->code = EXIT_USAGE;
	return -1;
}
