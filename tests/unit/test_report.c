/*
 * test_report.c - the report over lines fed in memory: dates, day
 * boundaries, New Year, summary order and counts, untrusted and
 * malformed lines, the three formats, the default file list.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "report.h"
#include "tap.h"

static struct zone zones[] = {
	{ .name = "wlan", .interface = "eth2", .mode = MODE_RATEBAN },
	{ .name = "lan", .interface = "eth1", .mode = MODE_MONITOR },
};
static struct config cfg = { .zones = zones, .nzones = 2, .log_prefix = "Illegal port 25 >",
			     .ports = { 25 }, .nports = 1 };

static const char *const day_lines[] = {
	"Nov 20 23:59:59 gw kernel: Illegal port 25 > IN=eth2 OUT=eth0 SRC=192.0.2.66 DST=203.0.113.1 PROTO=TCP SPT=1 DPT=25",
	"Nov 21 00:00:00 gw kernel: Illegal port 25 > IN=eth2 OUT=eth0 MAC=00:16:3e:00:00:01:00:02:2d:11:22:33:08:00 SRC=192.0.2.66 DST=203.0.113.1 PROTO=TCP SPT=1 DPT=25",
	"Nov 21 08:00:00 gw kernel: [123.456] Illegal port 25 > IN=eth1 OUT=eth0 SRC=192.0.2.2 DST=203.0.113.9 PROTO=TCP SPT=2 DPT=25",
	"Nov 21 09:00:00 gw root: Illegal port 25 > IN=eth2 OUT=eth0 SRC=192.0.2.70 DST=203.0.113.1 PROTO=TCP SPT=3 DPT=25",
	"Nov 21 10:00:00 gw kernel: Illegal port 25 > IN=eth2 OUT=eth0 SRC=192.0.2.66 DST=203.0.113.2 PROTO=TCP SPT=4 DPT=25",
	"Nov 21 11:00:00 gw kernel: Illegal port 25 > IN=eth2 OUT=eth0 SRC=192.0.2.66 DST=203.0.113.2 PROTO=TCP SPT=5 DPT=25",
	"Nov 21 12:00:00 gw kernel: Illegal port 25 > IN=eth2 OUT=eth0 DST=203.0.113.2 PROTO=TCP SPT=5 DPT=25",
	"Nov 21 13:00:00 gw kernel: [UFW BLOCK] IN=eth0 OUT= SRC=198.51.100.9 DST=198.51.100.1 PROTO=TCP SPT=1 DPT=23",
	"2026-11-21T23:59:59.999999+00:00 gw kernel: Illegal port 25 > IN=eth2 OUT=eth0 SRC=192.0.2.67 DST=203.0.113.1 PROTO=TCP SPT=6 DPT=25",
	"Nov 22 00:00:00 gw kernel: Illegal port 25 > IN=eth2 OUT=eth0 SRC=192.0.2.66 DST=203.0.113.1 PROTO=TCP SPT=7 DPT=25",
};

/* Run a report of the lines for date in format; returns the output (caller frees). */
static char *run(const char *date, enum report_format format, const char *const *lines, size_t n,
		 struct report **keep)
{
	struct report_options opts = { .format = format, .cfg = &cfg };
	struct error err = { 0 };
	struct report *r;
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	if (!out || report_parse_date(date, &opts, &err) < 0)
		return NULL;
	r = report_new(&opts, out, &err);
	if (!r) {
		fclose(out);
		free(text);
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		report_add_line(r, lines[i], strlen(lines[i]));
	report_finish(r, &err);
	fclose(out);
	if (keep)
		*keep = r;
	else
		report_free(r);
	return text;
}

static void test_dates(void)
{
	struct report_options o = { 0 };
	struct error err = { 0 };
	struct tm tm = { .tm_year = 127, .tm_mon = 0, .tm_mday = 1, .tm_hour = 0, .tm_min = 5 };

	ok(report_parse_date("2026-11-21", &o, &err) == 0 && o.year == 2026 && o.month == 11 &&
		   o.day == 21,
	   "2026-11-21 parses");
	ok(report_parse_date("2028-02-29", &o, &err) == 0, "leap day parses");
	ok(report_parse_date("2026-02-29", &o, &err) < 0 && err.code == EXIT_USAGE,
	   "2026-02-29 is refused as a usage error");
	ok(report_parse_date("2026-11-21x", &o, &err) < 0, "trailing junk refused");
	ok(report_parse_date("26-11-21", &o, &err) < 0, "short year refused");
	ok(report_parse_date("2026-1-021", &o, &err) < 0, "misplaced dash refused");
	ok(strstr(err.text, "YYYY-MM-DD") != NULL, "the error says the format");
	report_set_yesterday(&o, timegm(&tm));
	ok(o.year == 2026 && o.month == 12 && o.day == 31, "yesterday on Jan 1 is Dec 31 of last year");
}

static void test_text(void)
{
	struct report *r = NULL;
	char *t = run("2026-11-21", REPORT_TEXT, day_lines, sizeof(day_lines) / sizeof(day_lines[0]), &r);

	if (!ok(t && r, "text report runs"))
		return;
	ok(strstr(t, "Illegal traffic across the network\nDate : Nov 21 2026\n") != NULL, "heading");
	ok(strstr(t, "Port 25 (virus, local smtp server,...)\n"
		     "Nov 21 00:00:00 > SRC=192.0.2.66 - DST=203.0.113.1\n"
		     "Nov 21 08:00:00 > SRC=192.0.2.2 - DST=203.0.113.9\n"
		     "Nov 21 10:00:00 > SRC=192.0.2.66 - DST=203.0.113.2\n"
		     "Nov 21 11:00:00 > SRC=192.0.2.66 - DST=203.0.113.2\n"
		     "Nov 21 23:59:59 > SRC=192.0.2.67 - DST=203.0.113.1\n \n") != NULL,
	   "the day's hits, first and last second included, neighbours and forged out");
	is_int(report_hits(r), 5, "five hits");
	is_int(report_untrusted(r), 1, "one forged line");
	ok(strstr(t, "Untrusted lines skipped: 1 ") != NULL, "untrusted count printed");
	ok(strstr(t, "Malformed kernel lines skipped: 1\n") != NULL, "malformed kernel line counted");
	{
		const char *a = strstr(t, "wlan         192.0.2.66 "), *b = strstr(t, "lan          192.0.2.2 ");

		ok(a && b && a < b, "summary sorted by attempts, zones from the interfaces");
		ok(a && strstr(a, "00:02:2d:11:22:33        3            2  00:00:00  11:00:00\n") == a + 53,
		   "row: MAC, attempts, distinct destinations, first, last");
	}
	free(t);
	report_free(r);
}

static void test_new_year(void)
{
	static const char *const lines[] = {
		"Dec 31 23:59:58 gw kernel: Illegal port 25 > IN=eth2 OUT=eth0 SRC=192.0.2.66 DST=203.0.113.1 PROTO=TCP SPT=1 DPT=25",
		"Jan  1 00:00:01 gw kernel: Illegal port 25 > IN=eth2 OUT=eth0 SRC=192.0.2.67 DST=203.0.113.1 PROTO=TCP SPT=1 DPT=25",
	};
	char *t = run("2026-12-31", REPORT_TEXT, lines, 2, NULL);

	ok(t && strstr(t, "Dec 31 23:59:58 > SRC=192.0.2.66") && !strstr(t, "SRC=192.0.2.67"),
	   "Dec 31 report: the Dec 31 line only");
	free(t);
	t = run("2027-01-01", REPORT_TEXT, lines, 2, NULL);
	ok(t && strstr(t, "Jan 1 00:00:01 > SRC=192.0.2.67") && !strstr(t, "SRC=192.0.2.66"),
	   "Jan 1 report: the Jan 1 line only (the Dec 31 line is last year's)");
	free(t);
	t = run("2026-12-30", REPORT_TEXT, lines, 2, NULL);
	ok(t && !strstr(t, "> SRC="), "Dec 30: none");
	free(t);
}

static void test_machine_formats(void)
{
	size_t n = sizeof(day_lines) / sizeof(day_lines[0]);
	char *t = run("2026-11-21", REPORT_CSV, day_lines, n, NULL);

	ok(t && strstr(t, "record,time,zone,src,dst,sport,dport,in,out,mac,attempts,destinations,first,last\n") == t,
	   "csv header");
	ok(t && strstr(t, "\nhit,2026-11-21T00:00:00,wlan,192.0.2.66,203.0.113.1,1,25,eth2,eth0,00:02:2d:11:22:33,,,,\n"),
	   "csv hit row");
	ok(t && strstr(t, "\nsource,,wlan,192.0.2.66,,,,,,00:02:2d:11:22:33,3,2,2026-11-21T00:00:00,2026-11-21T11:00:00\n"),
	   "csv source row");
	ok(t && strstr(t, "\nuntrusted,,,,,,,,,,1,,,\n"), "csv untrusted row");
	free(t);
	t = run("2026-11-21", REPORT_JSON, day_lines, n, NULL);
	ok(t && strncmp(t, "{\"date\":\"2026-11-21\",\"hits\":[\n{\"time\":\"2026-11-21T00:00:00.000000", 64) == 0,
	   "json starts with the date and the first hit");
	ok(t && strstr(t, "],\"sources\":[\n{\"zone\":\"wlan\",\"src\":\"192.0.2.66\",\"mac\":\"00:02:2d:11:22:33\","
			  "\"attempts\":3,\"destinations\":2,"),
	   "json sources");
	ok(t && strstr(t, "],\"attempts\":5,\"untrusted\":1,\"malformed\":1,\"overflow\":0}\n"), "json totals");
	free(t);
	t = run("2026-11-25", REPORT_JSON, day_lines, n, NULL);
	is_str(t, "{\"date\":\"2026-11-25\",\"hits\":[],\"sources\":[],\"attempts\":0,\"untrusted\":0,"
		  "\"malformed\":0,\"overflow\":0}\n",
	       "json of a day without hits");
	free(t);
}

static void touch(const char *dir, const char *name, time_t mtime)
{
	char p[512];
	struct timespec times[2] = { { mtime, 0 }, { mtime, 0 } };
	int fd;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd >= 0) {
		futimens(fd, times);
		close(fd);
	}
}

static void test_default_files(void)
{
	char dir[] = "/tmp/sg-report-XXXXXX", base[300], want[2048], got[2048] = "", cmd[64];
	struct report_options o = { 0 };
	struct error err = { 0 };
	char *files[1] = { base };
	struct config c = cfg;
	char **list;
	time_t day;

	if (!ok(mkdtemp(dir) != NULL, "temporary folder"))
		return;
	report_parse_date("2026-11-21", &o, &err);
	day = 1795219200;	/* 2026-11-21T00:00:00Z */
	touch(dir, "kern.log", day + 90000);
	touch(dir, "kern.log.1", day + 40000);
	touch(dir, "kern.log.2.gz", day + 100);
	touch(dir, "kern.log.3.gz", day - 100);	/* ended before the day */
	touch(dir, "messages", day + 90000);
	snprintf(base, sizeof(base), "%s/kern.log", dir);
	c.log_files = files;
	c.nlog_files = 1;
	list = report_default_files(&c, &o, &err);
	for (char **f = list; f && *f; f++) {
		strncat(got, strrchr(*f, '/') + 1, sizeof(got) - strlen(got) - 2);
		strcat(got, " ");
	}
	snprintf(want, sizeof(want), "kern.log.2.gz kern.log.1 kern.log ");
	is_str(got, want, "rotated siblings that may hold the day, oldest first");
	report_files_free(list);
	snprintf(base, sizeof(base), "%s/nothing.log", dir);
	list = report_default_files(&c, &o, &err);
	ok(!list && err.code == EXIT_USAGE && strstr(err.text, "log_files"), "no log file: usage error");
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ok(system(cmd) == 0, "temporary folder removed");
}

int main(void)
{
	setenv("TZ", "UTC", 1);
	tzset();
	test_dates();
	test_text();
	test_new_year();
	test_machine_formats();
	test_default_files();
	return tap_done();
}
