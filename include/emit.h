/*
 * emit.h - one printer per record, after iproute2's json_print.c: each
 * field of a record is written by one call that carries its key (the
 * JSON member, the CSV column) and its text layout, and comes out in
 * the form the command was asked for (text, CSV or JSON), escaped the
 * same way in every form: a string passes sanitize_text() first (so a
 * terminal, a spreadsheet and a JSON reader all see it inert), then JSON
 * escaping or CSV quoting.
 *
 * kinds (enum emit_form bits) says in which forms a call writes:
 * EMIT_ANY, or some of them where the forms' layouts differ.  A text
 * layout is a printf format taking exactly the value; the macros have
 * the compiler check it.
 *
 * In JSON, objects and arrays nest (up to EMIT_DEPTH_MAX) and the
 * commas come by themselves.  In CSV, an object opened with EMIT_CSV in
 * kinds is a row: each field goes to the column of its key (see
 * emit_init()), fields without a column are left out, and the row is
 * written when the object closes.  In text, objects and arrays write
 * nothing.
 *
 * Nothing is allocated: struct emit holds a CSV row; it may live on the
 * stack.  The output goes to a FILE, or to a buffer like snprintf
 * (emit_init_buffer()).
 */
#ifndef SMTPGUARD_EMIT_H
#define SMTPGUARD_EMIT_H

#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum emit_form {
	EMIT_TEXT = 1,
	EMIT_CSV = 2,
	EMIT_JSON = 4,
	EMIT_ANY = EMIT_TEXT | EMIT_CSV | EMIT_JSON,
};

/* How an array lays out its elements in JSON. */
enum emit_array_layout {
	EMIT_INLINE,	/* [a,b] */
	EMIT_LINES,	/* [\na,\nb] */
	EMIT_LINES_END,	/* [\na,\nb\n], and [] when empty */
};

#define EMIT_DEPTH_MAX 8
#define EMIT_COLUMNS_MAX 16
#define EMIT_ROW_MAX 2048	/* bytes of one CSV row; further cells are left empty */
#define EMIT_VALUE_MAX 8192	/* of a sanitized string; longer ones are cut at a character */

struct emit_level {
	bool open;		/* the bracket was written (JSON) */
	bool array;
	bool any;		/* a member or element was written in it */
	enum emit_array_layout layout;
};

struct emit {
	FILE *out;		/* NULL: the buffer below */
	char *buf;
	size_t size, written;
	size_t len;		/* the whole output's length, like snprintf's result */
	enum emit_form form;
	unsigned depth;
	struct emit_level level[EMIT_DEPTH_MAX];
	const char *const *columns;	/* CSV */
	size_t ncolumns, column_hint;
	bool row_open;
	unsigned row_depth;
	size_t row_len;
	uint16_t cell_at[EMIT_COLUMNS_MAX], cell_len[EMIT_COLUMNS_MAX];
	char row[EMIT_ROW_MAX];
	char clean[EMIT_VALUE_MAX];	/* the string being written, sanitized */
};

/* Write to out in form; CSV: columns (NULL-terminated, at most EMIT_COLUMNS_MAX) and the header line. */
void emit_init(struct emit *e, FILE *out, enum emit_form form, const char *const *columns);
/* Write to buf[0..size) like snprintf: whole pieces only, always NUL-terminated when size > 0. */
void emit_init_buffer(struct emit *e, char *buf, size_t size, enum emit_form form);
/* The length the whole output has (or would have had with room). */
size_t emit_length(const struct emit *e);
bool emit_is(const struct emit *e, unsigned kinds);

/* key: the member's name inside an object, NULL inside an array or at the top. */
void emit_object_open(struct emit *e, unsigned kinds, const char *key);
void emit_object_close(struct emit *e);
void emit_array_open(struct emit *e, unsigned kinds, const char *key,
		     enum emit_array_layout layout);
void emit_array_close(struct emit *e);

/*
 * The fields; a string is sanitized in every form.  The ...f forms take
 * the layout in text too (fmt); the others write in CSV and JSON only.
 */
#define emit_strf(e, kinds, key, fmt, value) \
	((void)sizeof(printf(fmt, (const char *)(value))), emit_str_(e, kinds, key, fmt, value))
#define emit_u64f(e, kinds, key, fmt, value) \
	((void)sizeof(printf(fmt, (uint64_t)(value))), emit_u64_(e, kinds, key, fmt, value))
#define emit_i64f(e, kinds, key, fmt, value) \
	((void)sizeof(printf(fmt, (int64_t)(value))), emit_i64_(e, kinds, key, fmt, value))
#define emit_str(e, kinds, key, value) emit_str_(e, (unsigned)(kinds) & ~(unsigned)EMIT_TEXT, key, NULL, value)
#define emit_u64(e, kinds, key, value) emit_u64_(e, (unsigned)(kinds) & ~(unsigned)EMIT_TEXT, key, NULL, value)
#define emit_i64(e, kinds, key, value) emit_i64_(e, (unsigned)(kinds) & ~(unsigned)EMIT_TEXT, key, NULL, value)
void emit_str_(struct emit *e, unsigned kinds, const char *key, const char *fmt, const char *value);
void emit_u64_(struct emit *e, unsigned kinds, const char *key, const char *fmt, uint64_t value);
void emit_i64_(struct emit *e, unsigned kinds, const char *key, const char *fmt, int64_t value);
/* true/false in JSON and CSV; text shows its own words (emit_str). */
void emit_bool(struct emit *e, unsigned kinds, const char *key, bool value);
/* null in JSON. */
void emit_null(struct emit *e, const char *key);

/* Text only: headings and prose around the records (fmt's arguments are not sanitized). */
void emit_text(struct emit *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Text only: n bytes as they are, unformatted and not sanitized (the caller made them). */
void emit_text_bytes(struct emit *e, const char *p, size_t n);
/* A line break in every form: ends a record of JSON lines or a text line. */
void emit_newline(struct emit *e);

#endif
