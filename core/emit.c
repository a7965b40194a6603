/*
 * emit.c - text, CSV and JSON from one call per field; see include/emit.h.
 *
 * Every piece of output goes through emit_put(), so a FILE and a buffer
 * get the same bytes.  A string value is sanitized first (sanitize.h):
 * what is left are printable characters and valid UTF-8, so JSON needs
 * only '"' and '\' escaped, and CSV quoting when it holds a comma, a
 * quote or a space.
 */
#include <stdarg.h>
#include <string.h>

#include "emit.h"
#include "sanitize.h"

static void emit_put(struct emit *e, const char *p, size_t n)
{
	if (e->out) {
		fwrite_unlocked(p, 1, n, e->out);	/* one thread writes a stream */
		return;
	}
	if (e->written == e->len && e->len + n < e->size) {
		memcpy(e->buf + e->written, p, n);
		e->written += n;
		e->buf[e->written] = '\0';
	}
	e->len += n;
}

static void emit_puts(struct emit *e, const char *s)
{
	emit_put(e, s, strlen(s));
}

void emit_init(struct emit *e, FILE *out, enum emit_form form, const char *const *columns)
{
	memset(e, 0, offsetof(struct emit, cell_at));
	e->out = out;
	e->form = form;
	if (form != EMIT_CSV || !columns)
		return;
	e->columns = columns;
	while (columns[e->ncolumns] && e->ncolumns < EMIT_COLUMNS_MAX)
		e->ncolumns++;
	for (size_t i = 0; i < e->ncolumns; i++) {
		if (i)
			emit_put(e, ",", 1);
		emit_puts(e, columns[i]);
	}
	emit_put(e, "\n", 1);
}

void emit_init_buffer(struct emit *e, char *buf, size_t size, enum emit_form form)
{
	emit_init(e, NULL, form, NULL);
	e->buf = buf;
	e->size = size;
	if (size)
		buf[0] = '\0';
}

size_t emit_length(const struct emit *e)
{
	return e->len;
}

bool emit_is(const struct emit *e, unsigned kinds)
{
	return ((unsigned)e->form & kinds) != 0;
}

/* The innermost level that wrote its bracket; NULL at the top. */
static struct emit_level *emit_open_level(struct emit *e)
{
	for (unsigned d = e->depth; d > 0; d--)
		if (e->level[d - 1].open)
			return &e->level[d - 1];
	return NULL;
}

/* len bytes of s at buf + at (room checked by the caller); the new end. */
static size_t emit_join(char *buf, size_t at, const char *s, size_t len)
{
	memcpy(buf + at, s, len);
	return at + len;
}

/*
 * A JSON member or element: comma, line break, "key": and the value
 * (quoted and escaped when quote), in one write when it fits: a status
 * of 10k rules is 60k members.
 */
static void emit_json_member(struct emit *e, const char *key, const char *value, bool quote)
{
	struct emit_level *l = emit_open_level(e);
	char buf[512];
	size_t n = 0, klen = key ? strlen(key) : 0, vlen = value ? strlen(value) : 0;

	if (l) {
		if (l->any)
			buf[n++] = ',';
		if (l->array && l->layout != EMIT_INLINE)
			buf[n++] = '\n';
		l->any = true;
	}
	if (key && l && !l->array) {
		if (n + klen + 3 > sizeof(buf)) {
			emit_put(e, buf, n);
			n = 0;
			emit_put(e, "\"", 1);
			emit_put(e, key, klen);
		} else {
			buf[n++] = '"';
			n = emit_join(buf, n, key, klen);
		}
		buf[n++] = '"';
		buf[n++] = ':';
	}
	if (value && n + vlen + 2 <= sizeof(buf) && (!quote || !value[strcspn(value, "\"\\")])) {
		if (quote)
			buf[n++] = '"';
		n = emit_join(buf, n, value, vlen);
		if (quote)
			buf[n++] = '"';
		value = NULL;
	}
	emit_put(e, buf, n);
	if (!value)
		return;
	if (!quote) {
		emit_put(e, value, vlen);
		return;
	}
	emit_put(e, "\"", 1);
	for (size_t k; *value; value += k) {
		k = strcspn(value, "\"\\");
		emit_put(e, value, k);
		if (value[k]) {
			emit_put(e, "\\", 1);
			emit_put(e, value + k, 1);
			k++;
		}
	}
	emit_put(e, "\"", 1);
}

static void emit_push(struct emit *e, unsigned kinds, const char *key, bool array,
		      enum emit_array_layout layout)
{
	struct emit_level *l;
	bool json = e->form == EMIT_JSON && (kinds & EMIT_JSON);

	if (e->depth == EMIT_DEPTH_MAX)
		return;
	if (json)
		emit_json_member(e, key, array ? "[" : "{", false);
	l = &e->level[e->depth++];
	*l = (struct emit_level){ .open = json, .array = array, .layout = layout };
	if (e->form == EMIT_CSV && (kinds & EMIT_CSV) && !array && !e->row_open) {
		e->row_open = true;
		e->row_depth = e->depth;
		e->row_len = 0;
		memset(e->cell_len, 0, sizeof(e->cell_len));
	}
}

static void emit_csv_row(struct emit *e)
{
	for (size_t i = 0; i < e->ncolumns; i++) {
		if (i)
			emit_put(e, ",", 1);
		emit_put(e, e->row + e->cell_at[i], e->cell_len[i]);
	}
	emit_put(e, "\n", 1);
	e->row_open = false;
}

static void emit_pop(struct emit *e)
{
	struct emit_level *l;

	if (!e->depth)
		return;
	l = &e->level[e->depth - 1];
	if (l->open) {
		if (l->any && l->layout == EMIT_LINES_END)
			emit_put(e, "\n", 1);
		emit_put(e, l->array ? "]" : "}", 1);
	}
	if (e->row_open && e->row_depth == e->depth)
		emit_csv_row(e);
	e->depth--;
}

void emit_object_open(struct emit *e, unsigned kinds, const char *key)
{
	emit_push(e, kinds, key, false, EMIT_INLINE);
}

void emit_object_close(struct emit *e)
{
	emit_pop(e);
}

void emit_array_open(struct emit *e, unsigned kinds, const char *key, enum emit_array_layout layout)
{
	emit_push(e, kinds, key, true, layout);
}

void emit_array_close(struct emit *e)
{
	emit_pop(e);
}

/*
 * Set the cell of key's column in the open row; a key without a column
 * is left out.  Rows write their fields in the same order, so the search
 * starts after the column found last.
 */
static void emit_csv_cell(struct emit *e, const char *key, const char *text, size_t n)
{
	for (size_t k = 0; k < e->ncolumns; k++) {
		size_t i = (e->column_hint + k) % e->ncolumns;

		if (e->columns[i][0] != key[0] || strcmp(e->columns[i], key) != 0)
			continue;
		e->column_hint = i + 1;
		if (!e->row_open || e->row_len + n > sizeof(e->row))
			return;
		memmove(e->row + e->row_len, text, n);
		e->cell_at[i] = (uint16_t)e->row_len;
		e->cell_len[i] = (uint16_t)n;
		e->row_len += n;
		return;
	}
}

static void emit_vtext(struct emit *e, const char *fmt, va_list ap)
{
	size_t room = e->written == e->len && e->size > e->written ? e->size - e->written : 0;
	int n;

	if (e->out) {
		vfprintf(e->out, fmt, ap);
		return;
	}
	n = vsnprintf(room ? e->buf + e->written : NULL, room, fmt, ap);
	if (n < 0)
		return;
	if ((size_t)n < room)
		e->written += (size_t)n;
	else if (room)
		e->buf[e->written] = '\0';	/* whole pieces only */
	e->len += (size_t)n;
}

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
/* The text layout fmt of one value; the macros of emit.h had the compiler check fmt against it. */
static void emit_text_value(struct emit *e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit_vtext(e, fmt, ap);
	va_end(ap);
}
#pragma GCC diagnostic pop

/* A value already in its JSON and CSV spelling (a number, true, false, null). */
static void emit_plain(struct emit *e, unsigned kinds, const char *key, const char *value)
{
	if (!(kinds & (unsigned)e->form))
		return;
	if (e->form == EMIT_JSON)
		emit_json_member(e, key, value, false);
	else if (e->form == EMIT_CSV) {
		emit_csv_cell(e, key, value, strlen(value));
	}
}

/* s as a cell: quoted when it holds a comma, a quote or a space. */
static void emit_csv_string(struct emit *e, const char *key, const char *s)
{
	size_t n = strlen(s);
	char *cell = e->row + e->row_len;

	if (!strpbrk(s, ",\" ")) {
		emit_csv_cell(e, key, s, n);
		return;
	}
	if (e->row_len + 2 * n + 2 > sizeof(e->row))
		return;
	n = 0;
	cell[n++] = '"';
	for (; *s; s++) {
		if (*s == '"')
			cell[n++] = '"';
		cell[n++] = *s;
	}
	cell[n++] = '"';
	emit_csv_cell(e, key, cell, n);
}

void emit_str_(struct emit *e, unsigned kinds, const char *key, const char *fmt, const char *value)
{
	char *clean = e->clean;

	if (!(kinds & (unsigned)e->form) || (e->form == EMIT_TEXT && !fmt))
		return;
	sanitize_text(value, strlen(value), clean, sizeof(e->clean));
	switch (e->form) {
	case EMIT_TEXT:
		emit_text_value(e, fmt, clean);
		break;
	case EMIT_CSV:
		emit_csv_string(e, key, clean);
		break;
	case EMIT_JSON:
		emit_json_member(e, key, clean, true);
		break;
	default:
		break;
	}
}

/* value in decimal, ending at end (a NUL there); the first digit.  Counters are most of a table. */
static char *emit_decimal(char *end, uint64_t value)
{
	char *p = end;

	*p = '\0';
	do
		*--p = (char)('0' + value % 10);
	while ((value /= 10));
	return p;
}

void emit_u64_(struct emit *e, unsigned kinds, const char *key, const char *fmt, uint64_t value)
{
	char text[24];

	if (e->form == EMIT_TEXT) {
		if ((kinds & EMIT_TEXT) && fmt)
			emit_text_value(e, fmt, value);
		return;
	}
	emit_plain(e, kinds, key, emit_decimal(text + sizeof(text) - 1, value));
}

void emit_i64_(struct emit *e, unsigned kinds, const char *key, const char *fmt, int64_t value)
{
	char text[24];

	if (e->form == EMIT_TEXT) {
		if ((kinds & EMIT_TEXT) && fmt)
			emit_text_value(e, fmt, value);
		return;
	}
	snprintf(text, sizeof(text), "%" PRId64, value);
	emit_plain(e, kinds, key, text);
}

void emit_bool(struct emit *e, unsigned kinds, const char *key, bool value)
{
	emit_plain(e, kinds & ~(unsigned)EMIT_TEXT, key, value ? "true" : "false");
}

void emit_null(struct emit *e, const char *key)
{
	emit_plain(e, EMIT_JSON, key, "null");
}

void emit_text(struct emit *e, const char *fmt, ...)
{
	va_list ap;

	if (e->form != EMIT_TEXT)
		return;
	va_start(ap, fmt);
	emit_vtext(e, fmt, ap);
	va_end(ap);
}

void emit_text_bytes(struct emit *e, const char *p, size_t n)
{
	if (e->form == EMIT_TEXT)
		emit_put(e, p, n);
}

void emit_newline(struct emit *e)
{
	emit_put(e, "\n", 1);
}
