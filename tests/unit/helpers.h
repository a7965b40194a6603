/*
 * helpers.h - what several unit tests build their cases from: an
 * address or a relay from text, a whole file read or written
 * (the fake tables of SMTPGUARD_FAKE_TABLE, configs), a whole line found.
 */
#ifndef SMTPGUARD_TEST_HELPERS_H
#define SMTPGUARD_TEST_HELPERS_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "config.h"

/* text as an address; a typo in a test is said, not hidden. */
static inline struct addr ip(const char *text)
{
	struct addr a = { 0 };
	struct error err;

	if (addr_parse(text, &a, &err) < 0)
		printf("# bad address in test: %s\n", text);
	return a;
}

/* A relay given by its address. */
static inline struct relay relay(const char *text)
{
	struct relay r = { .addr = ip(text) };

	snprintf(r.text, sizeof(r.text), "%s", text);
	return r;
}

/* The file at path (up to 64 KiB), NUL-terminated; "" when unreadable.  Caller frees. */
static inline char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = calloc(1, 65536);

	if (f && buf) {
		size_t n = fread(buf, 1, 65535, f);

		buf[n] = '\0';
	}
	if (f)
		fclose(f);
	return buf;
}

/* Replace the file at path with text. */
static inline void spit(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

/* Whether line is a whole line of text (followed by its newline). */
static inline bool has_line(const char *text, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = text; (p = strstr(p, line)); p += n)
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return true;
	return false;
}

#endif
