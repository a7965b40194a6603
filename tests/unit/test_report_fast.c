/*
 * test_report_fast.c - the report's fast reading (report_add_file: block
 * reads, the prefix search, the skip of far-off dates, the day search)
 * gives the same report, byte for byte, as the same file fed one line
 * at a time to report_add_line: on generated logs with hits across the
 * read blocks' edges, over-long lines, escaped journal lines, several
 * days (first and last second of each), a day missing, dates slightly
 * out of order, and a file whose days are out of order (read whole).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "report.h"
#include "tap.h"

#define LINE_MAX_REPORT 65536		/* report.c's REPORT_LINE_MAX: longer lines are cut */
#define BLOCK (256 * 1024)		/* report.c's REPORT_BLOCK: the read size */

static struct zone zones[] = {
	{ .name = "wlan", .interface = "eth2", .mode = MODE_LOG },
	{ .name = "lan", .interface = "eth1", .mode = MODE_MONITOR },
};
static struct config cfg = { .zones = zones, .nzones = 2, .log_prefix = "Illegal port 25 >",
			     .ports = { 25 }, .nports = 1 };

static char dir[] = "/tmp/sg-report-fast-XXXXXX";
static unsigned seed = 25;

static unsigned rnd(unsigned n)
{
	seed = seed * 1103515245u + 12345u;
	return (seed >> 8) % n;
}

/* ---- the two ways to read a file */

struct run {
	char *text;
	size_t len;
	uint64_t hits, bytes;
};

static int run_start(struct run *run, const char *date, FILE **out, struct report **r)
{
	struct report_options opts = { .format = REPORT_TEXT, .cfg = &cfg };
	struct error err = { 0 };

	memset(run, 0, sizeof(*run));
	*out = open_memstream(&run->text, &run->len);
	if (!*out || report_parse_date(date, &opts, &err) < 0)
		return -1;
	*r = report_new(&opts, *out, &err);
	return *r ? 0 : -1;
}

static void run_end(struct run *run, FILE *out, struct report *r)
{
	struct error err = { 0 };

	report_finish(r, &err);
	run->hits = report_hits(r);
	run->bytes = report_bytes_read(r);
	report_free(r);
	fclose(out);
}

static void run_fast(struct run *run, const char *path, const char *date)
{
	struct error err = { 0 };
	struct report *r;
	FILE *out;

	if (run_start(run, date, &out, &r) < 0)
		return;
	if (report_add_file(r, path, &err) < 0)
		printf("# %s\n", err.text);
	run_end(run, out, r);
}

/* The reference: every line of the file (read whole, plain or gzip), cut as the report cuts it. */
static void run_lines(struct run *run, const char *path, const char *date)
{
	gzFile gz = gzopen(path, "rb");
	size_t size = 0, cap = 1 << 20;
	char *data = malloc(cap);
	struct report *r;
	FILE *out;
	int n;

	if (!gz || !data || run_start(run, date, &out, &r) < 0)
		return;
	while ((n = gzread(gz, data + size, (unsigned)(cap - size))) > 0) {
		size += (size_t)n;
		if (size == cap)
			data = realloc(data, cap *= 2);
	}
	gzclose(gz);
	for (char *p = data, *end = data + size; p < end;) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = (size_t)((nl ? nl : end) - p);

		report_add_line(r, p, len < LINE_MAX_REPORT ? len : LINE_MAX_REPORT);
		p = nl ? nl + 1 : end;
	}
	free(data);
	run_end(run, out, r);
}

/* Both ways agree on path for date; returns the reference's hits. */
static uint64_t same_report(const char *path, const char *date, const char *what,
			    struct run *fast_out)
{
	struct run fast, lines;
	size_t i = 0;

	run_fast(&fast, path, date);
	run_lines(&lines, path, date);
	if (fast.text && lines.text)
		while (i < fast.len && i < lines.len && fast.text[i] == lines.text[i])
			i++;
	if (!ok(fast.text && lines.text && fast.len == lines.len && i == fast.len,
		"%s, %s: the same report as line by line (%llu hits)", what, date,
		(unsigned long long)lines.hits) &&
	    fast.text && lines.text) {
		printf("#   first difference at byte %zu of %zu/%zu\n#   fast:  %.120s\n#   lines: %.120s\n",
		       i, fast.len, lines.len, fast.text + i, lines.text + i);
	}
	free(fast.text);
	free(lines.text);
	if (fast_out)
		*fast_out = fast;
	return lines.hits;
}

/* ---- generated logs */

static int hit_line(char *buf, size_t size, const char *when, size_t pad)
{
	static const char filler[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
				     "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

	return snprintf(buf, size,
			"%s gw kernel: Illegal port 25 > IN=eth%u OUT=eth0 SRC=192.0.2.%u "
			"DST=203.0.113.%u LEN=60 TTL=63 PROTO=TCP SPT=%u DPT=25 %.*s\n",
			when, 1 + rnd(2), 2 + rnd(100), 1 + rnd(200), 1024 + rnd(60000),
			(int)(pad % sizeof(filler)), filler);
}

/* One line that is not a hit of ours, pad bytes of text at its end. */
static int other_line(char *buf, size_t size, const char *when, size_t pad)
{
	static const char *const kinds[] = {
		"kernel: [UFW BLOCK] IN=eth0 OUT= MAC=00:16:3e:00:00:01:00:16:3e:00:00:02:08:00 "
		"SRC=198.51.100.7 DST=198.51.100.1 PROTO=TCP SPT=4 DPT=23",
		"sshd[812]: Failed password for invalid user admin from 203.0.113.5",
		"root: Illegal port 25 > IN=eth2 OUT=eth0 SRC=192.0.2.99 DST=203.0.113.1",
		"kernel: Illegal port 25 > IN=eth2 OUT=eth0 DST=203.0.113.1",
		"smbd[9]: share \\\\srv\\mail unavailable",
		"CRON[1000]: (root) CMD (debian-sa1 > /dev/null)",
	};
	static char filler[400];
	/* mostly plain lines; a few forged (root:), malformed (no SRC) and backslash lines */
	unsigned k = rnd(100);
	size_t kind = k < 40 ? 0 : k < 75 ? 1 : k < 77 ? 2 : k < 79 ? 3 : k < 80 ? 4 : 5;

	if (!filler[0])
		memset(filler, 'x', sizeof(filler) - 1);

	return snprintf(buf, size, "%s gw %s %.*s\n", when, kinds[kind], (int)(pad % sizeof(filler)),
			filler);
}

struct gen {
	FILE *f;
	long off;
	bool boundary_hits;	/* every line across a BLOCK edge is a hit */
};

static void put(struct gen *g, const char *line, int n)
{
	fwrite(line, 1, (size_t)n, g->f);
	g->off += n;
}

static bool crosses(const struct gen *g, int n)
{
	return g->off / BLOCK != (g->off + n - 1) / BLOCK;
}

/* One generated line dated when, 4% hits; across a BLOCK edge only a hit when boundary_hits. */
static void gen_line(struct gen *g, const char *when)
{
	char line[1024];
	int len = rnd(100) < 4 ? hit_line(line, sizeof(line), when, rnd(200))
			       : other_line(line, sizeof(line), when, rnd(300));

	while (g->boundary_hits && crosses(g, len) && !strstr(line, "kernel: Illegal"))
		len = hit_line(line, sizeof(line), when, rnd(200));
	put(g, line, len);
}

/* A day of mday: a hit at its first and last second, n lines between, some dated up to jitter s back. */
static void gen_day(struct gen *g, int mday, int n, int jitter)
{
	char when[32], line[1024];

	snprintf(when, sizeof(when), "Nov %2d 00:00:00", mday);
	put(g, line, hit_line(line, sizeof(line), when, rnd(40)));
	for (int i = 1; i < n; i++) {
		int s = (int)((long)i * 86399 / n);

		if (jitter && rnd(50) == 0)
			s = s > jitter ? s - (int)rnd((unsigned)jitter) : s;
		snprintf(when, sizeof(when), "Nov %2d %02d:%02d:%02d", mday, s / 3600, s / 60 % 60, s % 60);
		gen_line(g, when);
	}
	snprintf(when, sizeof(when), "Nov %2d 23:59:59", mday);
	put(g, line, hit_line(line, sizeof(line), when, rnd(40)));
}

/* Generated lines, then a not-hit line ending exactly at offset to. */
static void gen_until(struct gen *g, long to, const char *when)
{
	char line[1024];
	int n = snprintf(line, sizeof(line), "%s gw sshd[1]: ", when);
	long room;

	while (to - g->off > 1000)
		gen_line(g, when);
	room = to - g->off - n - 1;
	if (room < 0)
		return;
	memset(line + n, 'p', (size_t)room);
	line[n + room] = '\n';
	put(g, line, n + (int)room + 1);
}

static FILE *gen_open(struct gen *g, const char *path, bool boundary_hits)
{
	*g = (struct gen){ .f = fopen(path, "w"), .boundary_hits = boundary_hits };
	return g->f;
}

/* ---- the tests */

/*
 * One day, read whole in blocks: the prefix across a block edge, a hit
 * ending at one, a hit starting at one, every other line across an edge
 * a hit; over-long lines; a journal line whose prefix is escaped.
 */
static void test_blocks(void)
{
	const char *when = "Nov  5 12:00:00";
	char path[300], gzpath[310], line[1024];
	static char huge[300 * 1024];
	const int header = (int)strlen("Nov  5 12:00:00 gw kernel: ");
	struct run fast;
	struct gen g;
	gzFile gz;
	int n;

	snprintf(path, sizeof(path), "%s/blocks.log", dir);
	if (!ok(gen_open(&g, path, true), "write %s", path))
		return;
	gen_day(&g, 5, 300, 0);
	/* the prefix across the edge, 5 bytes before it */
	gen_until(&g, 3L * BLOCK - 5 - header, when);
	put(&g, line, hit_line(line, sizeof(line), when, 0));
	/* a hit whose newline is the last byte before the edge */
	n = hit_line(line, sizeof(line), when, 10);
	gen_until(&g, 4L * BLOCK - n, when);
	put(&g, line, n);
	/* a hit that starts at the edge */
	gen_until(&g, 5L * BLOCK, when);
	put(&g, line, hit_line(line, sizeof(line), when, 3));
	/* over-long lines: a hit cut at the line limit, the prefix only after the cut, longer than a block */
	n = hit_line(huge, sizeof(huge), when, 0);
	huge[n - 1] = ' ';
	memset(huge + n, 'y', 70000);
	put(&g, huge, n + 70000);
	put(&g, "\n", 1);
	memset(huge, 'z', sizeof(huge));
	put(&g, huge, LINE_MAX_REPORT + 10);
	put(&g, line, hit_line(line, sizeof(line), when, 0) - 1);
	put(&g, "\n", 1);
	put(&g, huge, sizeof(huge));
	put(&g, "\n", 1);
	/* DST= only after the cut: malformed */
	n = snprintf(huge, sizeof(huge), "%s gw kernel: Illegal port 25 > IN=eth2 OUT=eth0 "
					 "SRC=192.0.2.80 X=", when);
	memset(huge + n, 'w', LINE_MAX_REPORT - 2 - (size_t)n);
	put(&g, huge, LINE_MAX_REPORT - 2);
	put(&g, " DST=203.0.113.9 PROTO=TCP SPT=1 DPT=25\n", 40);
	n = hit_line(huge, sizeof(huge), when, 0);
	huge[n - 1] = ' ';
	memset(huge + n, 'q', sizeof(huge) - (size_t)n);
	put(&g, huge, sizeof(huge));
	put(&g, "\n", 1);
	/* journal lines: the prefix escaped (found by its backslash), and a forged one */
	n = snprintf(line, sizeof(line),
		     "{\"MESSAGE\":\"Illegal port 25 \\u003e IN=eth2 OUT=eth0 SRC=192.0.2.70 "
		     "DST=203.0.113.7 PROTO=TCP SPT=9 DPT=25\",\"_TRANSPORT\":\"kernel\","
		     "\"__REALTIME_TIMESTAMP\":\"%lld000000\"}\n",
		     1793880000LL);
	put(&g, line, n);
	n = snprintf(line, sizeof(line),
		     "{\"MESSAGE\":\"Illegal\\u0020port 25 > IN=eth2 OUT=eth0 SRC=192.0.2.71 "
		     "DST=203.0.113.7\",\"_TRANSPORT\":\"stdout\",\"__REALTIME_TIMESTAMP\":\"%lld000000\"}\n",
		     1793880000LL);
	put(&g, line, n);
	gen_day(&g, 5, 12000, 0);
	put(&g, line, hit_line(line, sizeof(line), "Nov  5 23:59:59", 0) - 1);	/* no last newline */
	fclose(g.f);
	ok(g.off > 8L * BLOCK, "the day spans %ld blocks", g.off / BLOCK);

	ok(same_report(path, "2026-11-05", "one day in blocks", &fast) > 100, "it has hits");
	is_int(fast.bytes, g.off, "a file of one day is read whole");
	same_report(path, "2026-11-04", "one day in blocks", NULL);

	/* the same through zlib */
	snprintf(gzpath, sizeof(gzpath), "%s.gz", path);
	gz = gzopen(gzpath, "wb1");
	if (ok(gz != NULL, "write %s", gzpath)) {
		FILE *f = fopen(path, "r");
		size_t got;

		while (f && (got = fread(huge, 1, sizeof(huge), f)) > 0)
			gzwrite(gz, huge, (unsigned)got);
		if (f)
			fclose(f);
		gzclose(gz);
		same_report(gzpath, "2026-11-05", "the same day gzipped", NULL);
	}
}

/* Days 1-10 of November without the 6th, in order (dates up to 5 minutes back), or not. */
static long gen_days(const char *path, const int *days, int ndays, int jitter)
{
	struct gen g;

	if (!gen_open(&g, path, false))
		return -1;
	for (int i = 0; i < ndays; i++)
		gen_day(&g, days[i], 5000, jitter);
	fclose(g.f);
	return g.off;
}

static void test_day_search(void)
{
	static const int in_order[] = { 1, 2, 3, 4, 5, 7, 8, 9, 10 };
	static const int rotated[] = { 7, 8, 9, 10, 1, 2, 3, 4, 5 };
	static const char *const dates[] = { "2026-10-31", "2026-11-01", "2026-11-04", "2026-11-05",
					     "2026-11-06", "2026-11-07", "2026-11-10", "2026-11-11" };
	char path[300], what[64];
	struct run fast;
	long size;

	for (int jitter = 0; jitter <= 300; jitter += 300) {
		snprintf(path, sizeof(path), "%s/days-%d.log", dir, jitter);
		size = gen_days(path, in_order, 9, jitter);
		if (!ok(size > 4 << 20, "9 days in order, %d s back at most: %ld bytes", jitter, size))
			continue;
		snprintf(what, sizeof(what), "days in order, %d s back at most", jitter);
		for (size_t i = 0; i < sizeof(dates) / sizeof(dates[0]); i++) {
			uint64_t hits = same_report(path, dates[i], what, &fast);

			if (strcmp(dates[i], "2026-11-04") == 0) {
				ok(hits > 100, "Nov 4 has hits (%llu)", (unsigned long long)hits);
				ok(fast.bytes < (uint64_t)size / 4,
				   "Nov 4 is found by search: %llu of %ld bytes read",
				   (unsigned long long)fast.bytes, size);
			}
			if (strcmp(dates[i], "2026-11-06") == 0) {
				is_int(hits, 0, "the missing day is empty");
				ok(fast.bytes < (uint64_t)size / 4, "and is found by search (%llu bytes)",
				   (unsigned long long)fast.bytes);
			}
			if (strcmp(dates[i], "2026-10-31") == 0 || strcmp(dates[i], "2026-11-11") == 0)
				is_int(hits, 0, "%s: a day outside the file is empty", dates[i]);
		}
	}

	snprintf(path, sizeof(path), "%s/rotated.log", dir);
	size = gen_days(path, rotated, 9, 0);
	same_report(path, "2026-11-04", "days out of order", &fast);
	is_int(fast.bytes, size, "days out of order: the probes see it and read it whole");
	same_report(path, "2026-11-09", "days out of order", NULL);
}

int main(void)
{
	char cmd[64];

	setenv("TZ", "UTC", 1);
	if (!ok(mkdtemp(dir) != NULL, "temporary folder"))
		return tap_done();
	test_blocks();
	test_day_search();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ok(system(cmd) == 0, "temporary folder removed");
	return tap_done();
}
