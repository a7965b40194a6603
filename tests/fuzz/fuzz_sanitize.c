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

#include "sanitize.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_assert(int cond)
{
	if (!cond)
		abort();
}

/* Length of the valid, shown UTF-8 character at s, 0 when it must not reach a terminal. */
static size_t fuzz_char_ok(const unsigned char *s, size_t n)
{
	size_t len;
	uint32_t cp;

	if (s[0] >= 0x20 && s[0] < 0x7f)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1fu;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0fu;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07u;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3fu);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0x80 && cp <= 0x9f) ||
	    (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) ||
	    cp == 0x2028 || cp == 0x2029)
		return 0;
	return len;
}

static void fuzz_check_inert(const char *text, size_t len)
{
	const unsigned char *s = (const unsigned char *)text;

	for (size_t i = 0; i < len;) {
		size_t step = fuzz_char_ok(s + i, len - i);

		fuzz_assert(step > 0);
		i += step;
	}
}

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
	fuzz_check_inert(out, full);

	/* A short buffer holds a prefix of the full result that is itself inert. */
	cut = size ? data[0] % sizeof(small) : 0;
	fuzz_assert(sanitize_text(src, size, small, cut) == full);
	if (cut > 0) {
		size_t n = strlen(small);

		fuzz_assert(n < cut && memcmp(small, out, n) == 0);
		fuzz_check_inert(small, n);
	}
	free(out);
	return 0;
}
