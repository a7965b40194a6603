/*
 * test_emit.c - one call per field gives text, CSV and JSON, escaped
 * the same way; every record's printer keeps a hostile value inert.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "emit.h"
#include "hit.h"
#include "report.h"
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

/* True when text has no control byte and no raw U+202E (bidi override). */
static int inert(const char *text)
{
	for (const unsigned char *p = (const unsigned char *)text; *p; p++)
		if ((*p < 0x20 && *p != '\n') || *p == 0x7f)
			return 0;
	return !strstr(text, "\xe2\x80\xae");
}

static struct hit hostile_hit;

static void hit_record(struct emit *e)
{
	emit_object_open(e, EMIT_ANY, NULL);
	emit_str(e, EMIT_CSV, "record", "hit");
	hit_emit(e, &hostile_hit);
	emit_object_close(e);
}

/* The hit's printer, in every form, with hostile text in every string field. */
static void test_hit(void)
{
	static const char *const hit_columns[] = { "record", "zone", "in", "out", "mac", NULL };
	char *text = NULL, line[512];
	size_t len = 0;
	FILE *out;
	struct emit e;

	hostile_hit = (struct hit){ .proto = 6, .sport = 1, .dport = 25 };
	strcpy(hostile_hit.zone, "z\"\x1b,\\ x");
	strcpy(hostile_hit.in, "e\"t\x1b]0;h");
	strcpy(hostile_hit.out, "o,\xe2\x80\xae");
	strcpy(hostile_hit.prefix, "p\"\x07");
	text = run(EMIT_JSON, hit_record);
	ok(text && inert(text) && strstr(text, "\"zone\":\"z\\\"\\\\x1b,\\\\ x\"") &&
		   strstr(text, "\"in\":\"e\\\"t\\\\x1b]0;h\"") &&
		   strstr(text, "\"out\":\"o,\\\\u202e\"") && strstr(text, "\"prefix\":\"p\\\"\\\\x07\""),
	   "hit, JSON: zone, in, out and prefix sanitized and escaped: %s", text ? text : "");
	free(text);
	out = open_memstream(&text, &len);
	emit_init(&e, out, EMIT_CSV, hit_columns);
	hit_record(&e);
	fclose(out);
	is_str(text, "record,zone,in,out,mac\nhit,\"z\"\"\\x1b,\\ x\",\"e\"\"t\\x1b]0;h\",\"o,\\u202e\",\n",
	       "hit, CSV: zone, in and out sanitized and quoted");
	free(text);
	hit_format_line(&hostile_hit, line, sizeof(line));
	ok(inert(line) && strstr(line, " z\"\\x1b,\\ x ") && strstr(line, " e\"t\\x1b]0;h>o,\\u202e "),
	   "hit, text: zone, in and out sanitized: %s", line);
}

/* The report's rows: a hostile IN= reaches its CSV and JSON escaped, its text not at all. */
static void test_report(void)
{
	static const char line[] = "Nov 21 10:00:00 gw kernel: Illegal port 25 > IN=e\"t,\x1b[2J OUT=eth0 "
				   "SRC=192.0.2.66 DST=203.0.113.25 PROTO=TCP SPT=1 DPT=25";
	static const char *const want[REPORT_FORMAT_COUNT] = {
		[REPORT_TEXT] = "Nov 21 10:00:00 > SRC=192.0.2.66 - DST=203.0.113.25\n",
		[REPORT_CSV] = "hit,2026-11-21T10:00:00,,192.0.2.66,203.0.113.25,1,25,\"e\"\"t,\\x1b[2J\",eth0,,,,,\n",
		[REPORT_JSON] = "\"in\":\"e\\\"t,\\\\x1b[2J\"",
	};

	for (int f = 0; f < REPORT_FORMAT_COUNT; f++) {
		struct report_options opts = { .year = 2026, .month = 11, .day = 21,
					       .format = (enum report_format)f };
		struct error err = { 0 };
		char *text = NULL;
		size_t len = 0;
		FILE *out = open_memstream(&text, &len);
		struct report *r = report_new(&opts, out, &err);

		if (!r)
			abort();
		report_add_line(r, line, sizeof(line) - 1);
		report_finish(r, &err);
		report_free(r);
		fclose(out);
		ok(text && inert(text) && strstr(text, want[f]), "report, %s: the hostile IN= inert: %s",
		   report_format_names[f], text ? text : "");
		free(text);
	}
}

int main(void)
{
	char *text, buf[16];
	struct emit e;

	setenv("TZ", "UTC", 1);
	tzset();
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
	test_hit();
	test_report();
	return tap_done();
}
