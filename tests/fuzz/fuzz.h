/*
 * fuzz.h - what the libFuzzer targets share: an assertion that aborts
 * (libFuzzer saves the input), and the terminal-safety check every
 * printed output must pass.
 */
#ifndef SMTPGUARD_FUZZ_H
#define SMTPGUARD_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

static inline void fuzz_assert(int cond)
{
	if (!cond)
		abort();
}

/*
 * Length of the character at s (at most n bytes) when a terminal may
 * show it: printable ASCII, or valid UTF-8 that is no C1 control, bidi
 * control or line/paragraph separator.  0 otherwise.
 */
static inline size_t fuzz_char_shown(const unsigned char *s, size_t n)
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

/* text[0..len) holds only characters a terminal may show, and newlines when newlines is true. */
static inline void fuzz_check_inert(const char *text, size_t len, bool newlines)
{
	const unsigned char *s = (const unsigned char *)text;

	for (size_t i = 0; i < len;) {
		size_t step = newlines && s[i] == '\n' ? 1 : fuzz_char_shown(s + i, len - i);

		fuzz_assert(step > 0);
		i += step;
	}
}

#endif
