/*
 * fuzz_report.c - libFuzzer target for the daily report over a stream
 * (include/report.h): any bytes, split into lines, fed to a report of
 * one day.  The first byte picks one of four reports (text, csv, json,
 * ulogd LOGEMU lines; with and without a config).  The output must stay
 * inert: no control byte but the newline, no raw C1 or bidi control, valid UTF-8.
 *
 * A report sets up bounded tables of 64k sources and 1M pairs, which
 * under ASan costs a large part of a second; so each report lives for
 * REPORT_INPUTS inputs and is then finished, checked and started anew.
 * A crash found this way replays alone (the streaming path holds no
 * state across lines but the tables).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "fuzz.h"
#include "report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REPORT_INPUTS 512
#define REPORT_KINDS 4

static const char fuzz_conf[] = "[general]\n"
				"wan = eth0\n"
				"log_prefix = Illegal port 25 >\n"
				"[zone wlan]\n"
				"interface = eth2\n"
				"mode = log\n";

struct fuzz_report {
	struct report *r;
	FILE *out;
	char *text;
	size_t len;
	size_t checked;		/* bytes of text already found inert */
	unsigned inputs;
};

static struct config *fuzz_cfg;
static struct fuzz_report reports[REPORT_KINDS];

static void fuzz_report_start(struct fuzz_report *f, unsigned kind)
{
	static const enum report_format formats[REPORT_KINDS] = { REPORT_TEXT, REPORT_CSV,
								   REPORT_JSON, REPORT_TEXT };
	struct report_options opts = {
		.year = 2026, .month = 11, .day = 22,
		.format = formats[kind],
		.cfg = kind == 1 ? NULL : fuzz_cfg,
		.file_format = kind == 3 ? HIT_FORMAT_LOGEMU : HIT_FORMAT_AUTO,
	};
	struct error err = { 0 };

	f->out = open_memstream(&f->text, &f->len);
	fuzz_assert(f->out != NULL);
	f->r = report_new(&opts, f->out, &err);
	fuzz_assert(f->r != NULL);
	f->inputs = 0;
	f->checked = 0;
}

/* Check what the report wrote since the last check: hits are streamed as they are added. */
static void fuzz_report_check(struct fuzz_report *f)
{
	fflush(f->out);
	fuzz_check_inert(f->text + f->checked, f->len - f->checked, true);
	f->checked = f->len;
}

static void fuzz_report_end(struct fuzz_report *f)
{
	struct error err = { 0 };

	fuzz_assert(report_finish(f->r, &err) == 0);
	fuzz_report_check(f);
	report_free(f->r);
	fclose(f->out);
	free(f->text);
	memset(f, 0, sizeof(*f));
}

/* At exit (the end of a replay, or of a fuzzing run) the summaries are checked too. */
static void fuzz_report_end_all(void)
{
	for (size_t i = 0; i < REPORT_KINDS; i++)
		if (reports[i].r)
			fuzz_report_end(&reports[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_report *f;
	struct error err = { 0 };

	if (!fuzz_cfg) {
		fuzz_cfg = config_parse(fuzz_conf, sizeof(fuzz_conf) - 1, "fuzz.conf", &err);
		fuzz_assert(fuzz_cfg != NULL);
		atexit(fuzz_report_end_all);
	}
	if (size < 1)
		return 0;
	f = &reports[data[0] % REPORT_KINDS];
	if (!f->r)
		fuzz_report_start(f, data[0] % REPORT_KINDS);
	for (size_t i = 1; i < size;) {
		const uint8_t *nl = memchr(data + i, '\n', size - i);
		size_t n = nl ? (size_t)(nl - (data + i)) : size - i;

		report_add_line(f->r, (const char *)data + i, n);
		i += n + 1;
	}
	fuzz_report_check(f);
	if (++f->inputs >= REPORT_INPUTS)
		fuzz_report_end(f);
	return 0;
}
