/*
 * sanitize.h - the one gate every string from a log, a config or the
 * kernel passes before it is drawn or printed.
 *
 * C0/C1 controls, DEL, CR, LF, BS, escape sequences (CSI, OSC, DCS),
 * bidi overrides (U+202A-202E, U+2066-2069) and invalid UTF-8 come out
 * as visible escapes (\x1b, \u202e, ...), so a record stays one inert row.
 * Valid printable UTF-8 passes through unchanged.
 */
#ifndef SMTPGUARD_SANITIZE_H
#define SMTPGUARD_SANITIZE_H

#include <stddef.h>

/*
 * Write the sanitized form of src[0..len) to dst (always NUL-terminated
 * when size > 0, cut at a character boundary).  Returns the length the
 * full result would have, like snprintf.
 */
size_t sanitize_text(const char *src, size_t len, char *dst, size_t size);

#endif
