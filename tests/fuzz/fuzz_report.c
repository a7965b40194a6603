/*
 * fuzz_report.c - libFuzzer target for the daily report over a stream
 * (include/report.h): any bytes, split into lines, fed to a report of
 * one day in the format the first byte picks.  The output must stay
 * inert: no control byte but the newline, no ESC, whatever the lines hold.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char fuzz_conf[] = "[general]\n"
				"wan = eth0\n"
				"log_prefix = Illegal port 25 >\n"
				"[zone wlan]\n"
				"interface = eth2\n"
				"mode = log\n";

static struct config *fuzz_cfg;

static void fuzz_assert(int cond)
{
	if (!cond)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct report_options opts = { .year = 2026, .month = 11, .day = 22 };
	struct error err = { 0 };
	struct report *r;
	char *text = NULL;
	size_t len = 0;
	FILE *out;

	if (!fuzz_cfg) {
		fuzz_cfg = config_parse(fuzz_conf, sizeof(fuzz_conf) - 1, "fuzz.conf", &err);
		fuzz_assert(fuzz_cfg != NULL);
	}
	if (size < 1)
		return 0;
	opts.format = (enum report_format)(data[0] % REPORT_FORMAT_COUNT);
	opts.cfg = data[0] & 0x80 ? NULL : fuzz_cfg;
	opts.file_format = data[0] & 0x40 ? HIT_FORMAT_LOGEMU : HIT_FORMAT_AUTO;
	out = open_memstream(&text, &len);
	fuzz_assert(out != NULL);
	r = report_new(&opts, out, &err);
	fuzz_assert(r != NULL);
	for (size_t i = 1; i < size;) {
		const uint8_t *nl = memchr(data + i, '\n', size - i);
		size_t n = nl ? (size_t)(nl - (data + i)) : size - i;

		report_add_line(r, (const char *)data + i, n);
		i += n + 1;
	}
	fuzz_assert(report_finish(r, &err) == 0);
	fuzz_assert(report_untrusted(r) <= size);
	report_free(r);
	fclose(out);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];

		fuzz_assert(c == '\n' || (c >= 0x20 && c != 0x7f));
		/* a raw C1 control (U+0080-009F) */
		fuzz_assert(!(c == 0xc2 && i + 1 < len && (unsigned char)text[i + 1] <= 0x9f &&
			      (unsigned char)text[i + 1] >= 0x80));
	}
	free(text);
	return 0;
}
