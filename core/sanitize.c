/*
 * sanitize.c - make untrusted text inert for a terminal; see include/sanitize.h.
 *
 * The input is walked one character at a time: printable ASCII and
 * valid UTF-8 (shortest form, no surrogates, at most U+10FFFF) pass;
 * C0 controls, DEL and bytes that are not valid UTF-8 become \xNN;
 * C1 controls, bidi overrides and the line/paragraph separators become
 * \uNNNN.  Escaping ESC alone is enough to defuse CSI, OSC and DCS
 * sequences: what follows it is plain printable text.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "sanitize.h"

/* Code points shown escaped even though they are valid UTF-8. */
static bool sanitize_hidden(uint32_t cp)
{
	return (cp >= 0x80 && cp <= 0x9f) ||		/* C1 controls */
	       (cp >= 0x202a && cp <= 0x202e) ||	/* bidi embeddings and overrides */
	       (cp >= 0x2066 && cp <= 0x2069) ||	/* bidi isolates */
	       cp == 0x2028 || cp == 0x2029;		/* line and paragraph separators */
}

/*
 * Length of the valid UTF-8 sequence at s (at most n bytes) and its code
 * point in *cp; 0 when the bytes there are not a valid sequence.
 */
static size_t sanitize_utf8(const unsigned char *s, size_t n, uint32_t *cp)
{
	size_t len, i;
	uint32_t c, min;

	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2, c = s[0] & 0x1f, min = 0x80;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3, c = s[0] & 0x0f, min = 0x800;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4, c = s[0] & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

size_t sanitize_text(const char *src, size_t len, char *dst, size_t size)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t in = 0, out = 0, written = 0;

	while (in < len) {
		char esc[12];
		const char *piece = esc;
		size_t plen, step;
		uint32_t cp;
		bool run = s[in] >= 0x20 && s[in] < 0x7f;

		if (run) {	/* printable ASCII: one piece, which may be cut */
			piece = src + in;
			for (step = 1; in + step < len && s[in + step] >= 0x20 && s[in + step] < 0x7f;
			     step++)
				;
			plen = step;
		} else if ((step = sanitize_utf8(s + in, len - in, &cp)) == 0) {
			plen = (size_t)snprintf(esc, sizeof(esc), "\\x%02x", s[in]);
			step = 1;
		} else if (sanitize_hidden(cp)) {
			plen = (size_t)snprintf(esc, sizeof(esc), "\\u%04x", (unsigned)cp);
		} else {
			piece = src + in;
			plen = step;
		}
		/* Whole characters only, and none after the first that did not fit. */
		if (written == out && out + 1 < size) {
			size_t room = size - out - 1, n = plen <= room ? plen : run ? room : 0;

			memcpy(dst + out, piece, n);
			written += n;
		}
		out += plen;
		in += step;
	}
	if (size > 0)
		dst[written] = '\0';
	return out;
}
