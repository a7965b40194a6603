/*
 * json.h - the little JSON writing the --json outputs need: strings
 * escaped per RFC 8259 (control characters as \u00XX, invalid UTF-8
 * bytes as \u00XX of the byte so the output stays valid JSON).
 */
#ifndef SMTPGUARD_JSON_H
#define SMTPGUARD_JSON_H

#include <stdio.h>

/* Write s as a quoted JSON string. */
void json_write_string(FILE *out, const char *s);
/* Write "key": as the start of a member. */
void json_write_key(FILE *out, const char *key);

#endif
