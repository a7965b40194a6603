/* test_error.c - error_set/error_at: the place, the code, and a cut that never splits UTF-8. */
#include <string.h>

#include "error.h"
#include "tap.h"

int main(void)
{
	struct error err;
	char long_text[ERROR_TEXT_MAX * 2];
	size_t len;

	is_int(error_set(&err, "cannot %s", "read"), -1, "error_set returns -1");
	is_str(err.text, "cannot read", "error_set formats");
	is_int(err.code, EXIT_RUNTIME, "error_set is a runtime failure");
	error_at(&err, "a.conf", 7, "ports: %d is not a port", 0);
	is_str(err.text, "a.conf:7: ports: 0 is not a port", "error_at names file and line");
	is_int(err.code, EXIT_USAGE, "error_at is a usage/config error");

	/* 'x' then two-byte characters: the cut lands inside one for one of the two parities. */
	for (int shift = 0; shift < 4; shift++) {
		memset(long_text, 'x', (size_t)shift);
		for (size_t i = (size_t)shift; i + 2 < sizeof(long_text); i += 2)
			memcpy(long_text + i, "\xc3\xa9", 2);
		long_text[sizeof(long_text) - 2] = '\0';
		error_set(&err, "%s", long_text);
		len = strlen(err.text);
		ok(len < ERROR_TEXT_MAX && len >= ERROR_TEXT_MAX - 4, "shift %d: cut near the end (%zu)", shift, len);
		ok(len == (size_t)shift || ((len - (size_t)shift) % 2 == 0), "shift %d: no half character at the end", shift);
	}
	return tap_done();
}
