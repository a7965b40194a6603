/*
 * test_hitslog.c - the hits log of `watch`: a hit written by hitslog
 * reads back through hit.c (explicit format, auto, and inside a syslog
 * or LOGEMU file list) with every field; hostile values stay inert; a
 * "lost" line is no hit; the report counts the lines; a renamed log is
 * reopened before the next write and a removed one recreated; the
 * replay at watch's start gives exactly the hits of the window, found
 * from the end of a file many probe steps long, lines a little out of
 * order included.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers.h"
#include "hitslog.h"
#include "report.h"
#include "tap.h"

static struct zone zones[] = {
	{ .name = "wlan", .interface = "eth2", .mode = MODE_RATEBAN },
	{ .name = "lan", .interface = "eth1", .mode = MODE_MONITOR },
};
static struct config cfg = { .zones = zones, .nzones = 2, .log_prefix = "Illegal port 25 > ",
			     .ports = { 25 }, .nports = 1 };

static struct hit sample(void)
{
	struct hit h = { .time = 1795429791, .usec = 123456, .format = HIT_FORMAT_NFLOG,
			 .trusted = true, .prefix = "Illegal port 25 >", .in = "eth2", .out = "eth0",
			 .has_src_mac = true, .src_mac = { 0, 2, 0x2d, 0x11, 0x22, 0x33 },
			 .proto = 6, .sport = 53827, .dport = 25 };

	h.src = ip("192.0.2.66");
	h.dst = ip("203.0.113.25");
	hit_set_zone(&h, &cfg);
	return h;
}

/* The file's lines, parsed in format; returns how many were HIT_OK, the first in *first. */
static int read_back(const char *path, enum hit_format format, struct hit *first)
{
	char *text = slurp(path), *line = text, *nl;
	struct hit_context ctx;
	int n = 0;

	hit_context_init(&ctx, &cfg);
	for (; (nl = strchr(line, '\n')); line = nl + 1) {
		struct hit h;

		if (hit_parse_line(line, (size_t)(nl - line), format, &ctx, &h) == HIT_OK && n++ == 0)
			*first = h;
	}
	free(text);
	return n;
}

static void test_round_trip(const char *dir)
{
	char path[512], a[64], b[64];
	struct error err = { 0 };
	struct hit h = sample(), back = { 0 };
	struct hitslog *l;

	snprintf(path, sizeof(path), "%s/sub/hits.log", dir);
	l = hitslog_open(path, &err);
	ok(l != NULL, "open creates the folder and the file: %s", err.text);
	if (!l)
		return;
	ok(hitslog_add_hit(l, &h, &err) == 0 && hitslog_add_lost(l, 7, "NFLOG group 25", h.time, &err) == 0 &&
		   hitslog_flush(l, &err) == 0,
	   "a hit and a lost line written");
	h.src = ip("2001:db8::66");
	h.dst = ip("2001:db8:1::25");
	h.has_src_mac = false;
	memcpy(h.in, "eth1", 5);
	hit_set_zone(&h, &cfg);
	ok(hitslog_add_hit(l, &h, &err) == 0 && hitslog_flush(l, &err) == 0, "an IPv6 hit written");
	ok(hitslog_lines(l) == 3, "three lines counted");
	hitslog_close(l);

	for (int f = 0; f < 4; f++) {
		static const enum hit_format formats[] = { HIT_FORMAT_HITSLOG, HIT_FORMAT_AUTO,
							   HIT_FORMAT_SYSLOG, HIT_FORMAT_LOGEMU };

		ok(read_back(path, formats[f], &back) == 2, "%s: two hits read back, the lost line is none",
		   hit_format_names[formats[f]]);
	}
	h = sample();
	ok(back.time == h.time && back.usec == h.usec && back.trusted && back.format == HIT_FORMAT_HITSLOG,
	   "time %ld.%06ld, trusted", (long)back.time, back.usec);
	addr_format(&back.src, a, sizeof(a));
	addr_format(&back.dst, b, sizeof(b));
	ok(strcmp(a, "192.0.2.66") == 0 && strcmp(b, "203.0.113.25") == 0, "addresses %s %s", a, b);
	ok(strcmp(back.in, "eth2") == 0 && strcmp(back.out, "eth0") == 0 && back.proto == 6 &&
		   back.sport == 53827 && back.dport == 25,
	   "interfaces, protocol and ports");
	ok(back.has_src_mac && memcmp(back.src_mac, h.src_mac, 6) == 0, "source MAC");
	ok(strcmp(back.zone, "wlan") == 0 && back.action == HIT_ACTION_DROPPED &&
		   strcmp(back.prefix, "Illegal port 25 >") == 0,
	   "zone, action and prefix as recorded");

	{
		struct report_options opts = { .format = REPORT_TEXT, .cfg = &cfg,
					       .file_format = HIT_FORMAT_LOGEMU };
		struct tm tm;
		char date[16];
		FILE *out = fopen("/dev/null", "w");
		struct report *r;

		localtime_r(&h.time, &tm);
		strftime(date, sizeof(date), "%Y-%m-%d", &tm);
		report_parse_date(date, &opts, &err);
		r = report_new(&opts, out, &err);
		ok(r && report_add_file(r, path, &err) == 0 && report_hits(r) == 2,
		   "the report reads the hits log among LOGEMU files: %s", err.text);
		report_free(r);
		fclose(out);
	}
}

static void test_hostile(void)
{
	struct hit_context ctx;
	struct hit h;
	static const char *const lines[] = {
		"{\"epoch\":1,\"zone\":\"\",\"in\":\"eth2\",\"src\":\"192.0.2.66\",\"prefix\":\"Illegal port 25 >\"}",
		"{\"epoch\":1,\"in\":\"eth2\",\"src\":\"192.0.2.66\",\"dst\":\"2001:db8::1\",\"prefix\":\"Illegal port 25 >\"}",
		"{\"epoch\":1,\"in\":\"eth2\",\"src\":\"192.0.2.66\",\"dst\":\"203.0.113.1\",\"dport\":70000,\"prefix\":\"Illegal port 25 >\"}",
		"{\"epoch\":\"x\",\"in\":\"eth2\",\"src\":\"192.0.2.66\",\"dst\":\"203.0.113.1\",\"prefix\":\"Illegal port 25 >\"}",
	};

	hit_context_init(&ctx, &cfg);
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		ok(hit_parse_line(lines[i], strlen(lines[i]), HIT_FORMAT_HITSLOG, &ctx, &h) == HIT_MALFORMED,
		   "bad record %zu is malformed", i);
	{
		static const char other[] = "{\"epoch\":1,\"in\":\"eth2\",\"src\":\"192.0.2.66\","
					    "\"dst\":\"203.0.113.1\",\"prefix\":\"other\"}";

		ok(hit_parse_line(other, strlen(other), HIT_FORMAT_HITSLOG, &ctx, &h) == HIT_NONE,
		   "another prefix is no hit");
	}
	ok(hit_parse_line("{\"epoch\":1,\"in\":\"eth2\",\"src\":\"192.0.2.66\"", 38, HIT_FORMAT_HITSLOG,
			  &ctx, &h) != HIT_OK,
	   "a cut line is no hit");
}

static void test_rotation(const char *dir)
{
	char path[512], moved[512];
	struct error err = { 0 };
	struct hit h = sample();
	struct hitslog *l;
	struct hit back;

	snprintf(path, sizeof(path), "%s/rot.log", dir);
	snprintf(moved, sizeof(moved), "%s/rot.log.1", dir);
	l = hitslog_open(path, &err);
	if (!ok(l != NULL, "open %s", path))
		return;
	hitslog_add_hit(l, &h, &err);
	hitslog_flush(l, &err);
	rename(path, moved);
	hitslog_add_hit(l, &h, &err);
	hitslog_add_hit(l, &h, &err);
	ok(hitslog_flush(l, &err) == 0 && hitslog_reopened(l) == 1, "the rename is seen at the flush");
	ok(read_back(moved, HIT_FORMAT_HITSLOG, &back) == 1 && read_back(path, HIT_FORMAT_HITSLOG, &back) == 2,
	   "lines after the rename go to the new file");
	unlink(path);
	hitslog_add_hit(l, &h, &err);
	ok(hitslog_flush(l, &err) == 0 && read_back(path, HIT_FORMAT_HITSLOG, &back) == 1,
	   "a removed log is created again");
	ok(hitslog_reopen(l, &err) == 0 && hitslog_reopened(l) == 3, "reopen on request");
	hitslog_close(l);
}

struct replayed {
	long n;
	time_t first, last;
};

static void count_replayed(void *arg, const struct hit *h)
{
	struct replayed *r = arg;

	if (!r->n++)
		r->first = h->time;
	r->last = h->time;
}

static void test_replay(const char *dir)
{
	const time_t t0 = 1795429791;
	char path[512];
	struct error err = { 0 };
	struct hit h = sample();
	struct hit_context ctx;
	struct replayed r = { 0 };
	struct hitslog *l;
	long n, expect = 0;

	hit_context_init(&ctx, &cfg);
	snprintf(path, sizeof(path), "%s/replay.log", dir);
	ok(hitslog_replay(path, t0, &ctx, count_replayed, &r, &err) == 0 && r.n == 0,
	   "replay: a missing log has no hits");
	l = hitslog_open(path, &err);
	if (!ok(l != NULL, "open %s", path))
		return;
	/* 20000 hits, one a second (about 6 MB: 90 probe steps), the 30th from the end 20 s early */
	for (long i = 0; i < 20000; i++) {
		h.time = t0 + i - (i == 19970 ? 20 : 0);
		if (h.time >= t0 + 19900)
			expect++;
		hitslog_add_hit(l, &h, &err);
		if (i % 1000 == 0)
			hitslog_add_lost(l, 1, "NFLOG group 25", h.time, &err);
	}
	ok(hitslog_flush(l, &err) == 0, "20000 hits written");
	hitslog_close(l);
	n = hitslog_replay(path, t0 + 19900, &ctx, count_replayed, &r, &err);
	ok(n == expect && r.n == expect && r.last == t0 + 19999, "replay: the %ld hits dated in the window, no more (%ld given)", expect, n);
	r = (struct replayed){ 0 };
	n = hitslog_replay(path, t0 - 5, &ctx, count_replayed, &r, &err);
	ok(n == 20000 && r.first == t0, "replay: a window older than the file gives every hit (%ld)", n);
	r = (struct replayed){ 0 };
	n = hitslog_replay(path, t0 + 30000, &ctx, count_replayed, &r, &err);
	ok(n == 0 && r.n == 0, "replay: a window after the last hit gives none (%ld)", n);
	ok(hitslog_replay(dir, t0, &ctx, count_replayed, &r, &err) < 0 && strstr(err.text, dir),
	   "replay: a log that cannot be read is an error naming it: %s", err.text);
}

int main(void)
{
	char dir[] = "/tmp/test_hitslog.XXXXXX";
	char cmd[64];

	if (!mkdtemp(dir))
		return 1;
	test_round_trip(dir);
	test_hostile();
	test_rotation(dir);
	test_replay(dir);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
	return tap_done();
}
