/*
 * fuzz_sanitize.c - libFuzzer target for sanitize_text(), the one gate
 * before the terminal.  Checks what the header promises for any bytes:
 * the result holds no C0/C1 control, DEL, ESC, bidi override or invalid
 * UTF-8; it is the same whatever the buffer size, only cut at a
 * character boundary; and the return value is the full length.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "sanitize.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *src = (const char *)data;
	size_t full = sanitize_text(src, size, NULL, 0);
	char *out = malloc(full + 1);
	char small[64];
	size_t cut;

	fuzz_assert(out != NULL);
	fuzz_assert(full >= size);
	fuzz_assert(sanitize_text(src, size, out, full + 1) == full);
	fuzz_assert(strlen(out) == full);
	fuzz_check_inert(out, full, false);

	/* A short buffer holds a prefix of the full result that is itself inert. */
	cut = size ? data[0] % sizeof(small) : 0;
	fuzz_assert(sanitize_text(src, size, small, cut) == full);
	if (cut > 0) {
		size_t n = strlen(small);

		fuzz_assert(n < cut && memcmp(small, out, n) == 0);
		fuzz_check_inert(small, n, false);
	}
	free(out);
	return 0;
}
