/*
 * test_emit.c - one call per field gives text, CSV and JSON, escaped
 * the same way; every record's printer keeps a hostile value inert.
 */
#include <stdlib.h>
#include <string.h>

#include "emit.h"
#include "tap.h"

static const char hostile[] = "a\"b\\c,d \x1b[2J\xe2\x80\xae";
static const char *const columns[] = { "record", "name", "count", "flag", NULL };

/* Run one record in form through a memory stream; the caller frees the text. */
static char *run(enum emit_form form, void (*record)(struct emit *))
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	struct emit e;

	if (!out)
		abort();
	emit_init(&e, out, form, columns);
	record(&e);
	fclose(out);
	return text;
}

static void two_rows(struct emit *e)
{
	emit_object_open(e, EMIT_JSON, NULL);
	emit_array_open(e, EMIT_JSON, "rows", EMIT_LINES_END);
	for (unsigned i = 0; i < 2; i++) {
		emit_object_open(e, EMIT_ANY, NULL);
		emit_u64f(e, EMIT_ANY, "count", "%" PRIu64 " ", i + 1);
		emit_str(e, EMIT_CSV, "record", "row");
		emit_strf(e, EMIT_ANY, "name", "[%-6s]\n", i ? hostile : "x");
		emit_bool(e, EMIT_ANY, "flag", i);
		emit_object_close(e);
	}
	emit_array_close(e);
	emit_null(e, "none");
	emit_i64f(e, EMIT_JSON, "left", "%" PRId64, -3);
	emit_object_close(e);
	emit_newline(e);
}

static void empty(struct emit *e)
{
	emit_object_open(e, EMIT_JSON, NULL);
	emit_array_open(e, EMIT_JSON, "a", EMIT_LINES_END);
	emit_array_close(e);
	emit_array_open(e, EMIT_JSON, "b", EMIT_LINES);
	emit_array_close(e);
	emit_text(e, "text %d\n", 1);
	emit_object_close(e);
}

int main(void)
{
	char *text, buf[16];
	struct emit e;

	text = run(EMIT_JSON, two_rows);
	is_str(text, "{\"rows\":[\n{\"count\":1,\"name\":\"x\",\"flag\":false},\n"
		     "{\"count\":2,\"name\":\"a\\\"b\\\\c,d \\\\x1b[2J\\\\u202e\",\"flag\":true}\n],"
		     "\"none\":null,\"left\":-3}\n",
	       "JSON: commas, lines, the hostile string sanitized then escaped");
	free(text);
	text = run(EMIT_CSV, two_rows);
	is_str(text, "record,name,count,flag\nrow,x,1,false\nrow,\"a\"\"b\\c,d \\x1b[2J\\u202e\",2,true\n\n",
	       "CSV: header, cells in column order, the hostile string sanitized then quoted");
	free(text);
	text = run(EMIT_TEXT, two_rows);
	is_str(text, "1 [x     ]\n2 [a\"b\\c,d \\x1b[2J\\u202e]\n\n",
	       "text: the layouts, the hostile string sanitized");
	free(text);
	text = run(EMIT_JSON, empty);
	is_str(text, "{\"a\":[],\"b\":[]}", "JSON: empty arrays stay on one line");
	free(text);
	text = run(EMIT_TEXT, empty);
	is_str(text, "text 1\n", "text: prose only in text");
	free(text);

	emit_init_buffer(&e, buf, sizeof(buf), EMIT_TEXT);
	emit_strf(&e, EMIT_TEXT, "a", "%s ", "0123456789");
	emit_strf(&e, EMIT_TEXT, "b", "%s", "abcdef");
	emit_strf(&e, EMIT_TEXT, "c", "%s", "x");
	is_str(buf, "0123456789 ", "buffer: whole pieces only, none after one that did not fit");
	is_int(emit_length(&e), 18, "buffer: the length the whole output has");
	return tap_done();
}
