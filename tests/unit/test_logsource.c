/*
 * test_logsource.c - following a log file (append, partial lines,
 * rename rotation, copytruncate, forged lines), a flood through the
 * ring with bounded batches and exact counts, and the bans list parser
 * with a fixed jiffies clock.  No root needed.
 */
#include <arpa/inet.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bans.h"
#include "logsource.h"
#include "tap.h"

static struct zone zones[] = {
	{ .name = "wlan", .interface = "eth2", .mode = MODE_LOG },
};
static struct config cfg = { .zones = zones, .nzones = 1, .log_prefix = "Illegal port 25 >" };

static char dir[] = "/tmp/sg-logsource-XXXXXX";
static char path[256];

struct seen {
	int n;
	char last_src[ADDR_TEXT_MAX];
};

static void on_hit(void *arg, const struct hit *h)
{
	struct seen *s = arg;

	s->n++;
	addr_format(&h->src, s->last_src, sizeof(s->last_src));
}

static void ring_push(void *arg, const struct hit *h)
{
	hit_ring_push(arg, h);
}

static void append(const char *file, const char *text)
{
	FILE *f = fopen(file, "a");

	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static void hit_line(char *buf, size_t size, int host)
{
	snprintf(buf, size,
		 "Nov 22 11:29:51 gw kernel: Illegal port 25 > IN=eth2 OUT=eth0 SRC=192.0.2.%d "
		 "DST=203.0.113.25 PROTO=TCP SPT=40000 DPT=25\n",
		 host);
}

/* Read until nothing more arrives; returns hits delivered. */
static int drain(struct logsource *src, struct seen *s)
{
	struct error err = { 0 };
	int total = 0, n;

	while ((n = logsource_read(src, on_hit, s, &err)) > 0)
		total += n;
	return n < 0 ? -1 : total;
}

static void test_follow(void)
{
	struct hit_context ctx;
	struct error err = { 0 };
	struct logsource *src;
	struct seen s = { 0 };
	struct pollfd pfd;
	char line[256], rotated[300];

	hit_context_init(&ctx, &cfg);
	snprintf(path, sizeof(path), "%s/kern.log", dir);
	hit_line(line, sizeof(line), 1);
	append(path, line);		/* before the open: not followed */
	src = logsource_open_file(path, HIT_FORMAT_SYSLOG, false, &ctx, &err);
	if (!ok(src != NULL, "follow opens %s: %s", path, err.text))
		return;
	ok(logsource_fd(src) >= 0 && logsource_kind(src) == LOGSOURCE_FILE, "file source has a poll fd");
	is_int(drain(src, &s), 0, "lines before the open are not delivered");

	hit_line(line, sizeof(line), 2);
	append(path, line);
	pfd = (struct pollfd){ .fd = logsource_fd(src), .events = POLLIN };
	is_int(poll(&pfd, 1, 1000), 1, "appending wakes poll()");
	is_int(drain(src, &s), 1, "an appended line is one hit");
	is_str(s.last_src, "192.0.2.2", "with its source");

	/* a line written in two pieces is delivered once, when complete */
	append(path, "Nov 22 11:29:52 gw kernel: Illegal port 25 > IN=eth2 OUT=eth0 SRC=192.0.2.3 ");
	is_int(drain(src, &s), 0, "half a line waits");
	append(path, "DST=203.0.113.25 PROTO=TCP SPT=1 DPT=25\n");
	is_int(drain(src, &s), 1, "the completed line is delivered");

	append(path, "Nov 22 11:29:53 gw root: Illegal port 25 > IN=eth2 OUT=eth0 SRC=192.0.2.99 "
		     "DST=203.0.113.25 PROTO=TCP SPT=1 DPT=25\n");
	is_int(drain(src, &s), 0, "a forged line is not a hit");
	is_int(logsource_counts(src)->untrusted, 1, "it is counted as untrusted");

	/* rotation by rename: the rest of the old file, then the new one from its start */
	snprintf(rotated, sizeof(rotated), "%s.1", path);
	hit_line(line, sizeof(line), 4);
	append(path, line);
	rename(path, rotated);
	hit_line(line, sizeof(line), 5);
	append(rotated, line);		/* written late to the old file, still ours */
	hit_line(line, sizeof(line), 6);
	append(path, line);
	is_int(drain(src, &s), 3, "rename: old file's tail and new file's lines");
	is_str(s.last_src, "192.0.2.6", "new file's line came last");
	is_int(logsource_counts(src)->reopened, 1, "one reopen counted");

	/* copytruncate: the file shrinks, reading restarts at 0 (noticed when it is shorter
	 * than what was read, so the file grows a little first, as a live log does) */
	hit_line(line, sizeof(line), 8);
	append(path, line);
	is_int(drain(src, &s), 1, "another line before the truncate");
	ok(truncate(path, 0) == 0, "truncate in place");
	hit_line(line, sizeof(line), 7);
	append(path, line);
	is_int(drain(src, &s), 1, "truncate: the new content is read from the start");
	is_str(s.last_src, "192.0.2.7", "truncate: right line");
	logsource_close(src);
	unlink(rotated);
}

static void test_flood(void)
{
	struct hit_context ctx;
	struct error err = { 0 };
	struct hit_ring *ring = hit_ring_new(100, 256);
	struct hit_source top[3];
	struct logsource *src;
	char line[256];
	int calls = 0, n, max_batch = 0;
	FILE *f;

	hit_context_init(&ctx, &cfg);
	snprintf(path, sizeof(path), "%s/flood.log", dir);
	f = fopen(path, "w");
	if (!ok(f && ring, "flood file and ring"))
		return;
	for (int i = 0; i < 100000; i++) {
		hit_line(line, sizeof(line), i % 10 == 0 ? 67 : 66);
		fputs(line, f);
	}
	fclose(f);
	src = logsource_open_file(path, HIT_FORMAT_SYSLOG, true, &ctx, &err);
	if (!ok(src != NULL, "flood source opens"))
		return;
	while ((n = logsource_read(src, ring_push, ring, &err)) > 0) {
		calls++;
		if (n > max_batch)
			max_batch = n;
	}
	ok(calls > 1 && max_batch < 100000, "100000 lines arrive in bounded batches (%d calls, at most %d)",
	   calls, max_batch);
	is_int(hit_ring_total(ring), 100000, "every hit counted");
	is_int(hit_ring_len(ring), 100, "ring memory stays at its capacity");
	hit_stats_top(hit_ring_stats(ring), top, 3);
	is_int(top[0].attempts, 90000, "top talker exact");
	is_int(top[1].attempts, 10000, "second talker exact");
	logsource_close(src);
	hit_ring_free(ring);
	unlink(path);
}

static void test_backfill(void)
{
	struct hit_context ctx;
	struct error err = { 0 };
	struct hit_ring *ring = hit_ring_new(5, 16);
	char *files[1], line[256];
	struct config c = cfg;
	uint64_t untrusted = 0;

	snprintf(path, sizeof(path), "%s/back.log", dir);
	for (int i = 1; i <= 30; i++) {
		hit_line(line, sizeof(line), i);
		append(path, line);
	}
	append(path, "Nov 22 11:30:00 gw root: Illegal port 25 > IN=eth2 OUT=eth0 SRC=192.0.2.99 "
		     "DST=203.0.113.25 PROTO=TCP SPT=1 DPT=25\n");
	files[0] = path;
	c.log_files = files;
	c.nlog_files = 1;
	hit_context_init(&ctx, &c);
	if (!ok(ring && logsource_backfill(&ctx, ring, 0, &untrusted, &err) == 0, "backfill reads %s",
		path))
		return;
	is_int(hit_ring_total(ring), 30, "backfill: every trusted hit");
	ok(hit_ring_at(ring, 0) && hit_ring_at(ring, 0)->src.bytes[3] == 30, "backfill: newest last line");
	is_int(untrusted, 1, "backfill: forged line counted");
	hit_ring_clear(ring);
	is_int(logsource_backfill(&ctx, ring, 300, NULL, &err), 0, "backfill of the tail only");
	ok(hit_ring_total(ring) >= 1 && hit_ring_total(ring) <= 3, "tail of 300 bytes holds the last lines (%llu)",
	   (unsigned long long)hit_ring_total(ring));
	hit_ring_free(ring);
	unlink(path);
}

static void test_bans_parse(void)
{
	struct jiffies_clock clk = { .jiffies = 4295191646ULL, .hz = 250, .wall = { .tv_sec = 100000 } };
	static const char v4[] = "src=192.0.2.66 ttl: 64 last_seen: 4295189146 oldest_pkt: 3 4295186646, "
				 "4295188146, 4295189146\n";
	static const char v6[] = "src=2001:0db8:0000:0000:0000:0000:0000:0066 ttl: 0 last_seen: 4295141646 "
				 "oldest_pkt: 1 4295141646\n";
	struct ban b = { .ban_seconds = 60 };
	char a[ADDR_TEXT_MAX];

	is_int(bans_parse_line(v4, sizeof(v4) - 1, &clk, &b), 0, "xt_recent IPv4 line parses");
	addr_format(&b.addr, a, sizeof(a));
	is_str(a, "192.0.2.66", "host");
	is_int(b.hits, 3, "three packets remembered");
	is_int(b.last_seen, 100000 - 10, "2500 jiffies at HZ 250 is 10 s ago");
	is_int(b.seconds_left, 50, "50 s left of a 60 s ban");
	is_int(bans_parse_line(v6, sizeof(v6) - 1, &clk, &b), 0, "xt_recent IPv6 line parses");
	addr_format(&b.addr, a, sizeof(a));
	is_str(a, "2001:db8::66", "IPv6 host");
	is_int(b.seconds_left, 0, "200 s ago: the ban expired");
	is_int(bans_parse_line("garbage\n", 8, &clk, &b), -1, "junk is refused");
	is_int(bans_parse_line("src=999.0.2.1 ttl: 1 last_seen: 1 oldest_pkt: 1 1\n", 49, &clk, &b), -1,
	       "bad address refused");
}

static void test_bans_dir(void)
{
	char d[300], p[400];
	struct error err = { 0 };
	struct ban *bans = NULL;
	struct addr a;
	size_t n = 99;

	snprintf(d, sizeof(d), "%s/xt_recent", dir);
	mkdir(d, 0700);
	snprintf(p, sizeof(p), "%s/SMTPGUARD-wlan", d);
	append(p, "src=192.0.2.66 ttl: 64 last_seen: 4295000000 oldest_pkt: 1 4295000000\n");
	snprintf(p, sizeof(p), "%s/OTHER", d);
	append(p, "src=192.0.2.2 ttl: 64 last_seen: 4295000000 oldest_pkt: 1 4295000000\n");
	if (!ok(bans_read(d, &cfg, &bans, &n, &err) == 0, "bans_read on a folder: %s", err.text))
		return;
	is_int(n, 1, "only SMTPGUARD-* lists are read");
	ok(n == 1 && strcmp(bans[0].zone, "wlan") == 0, "zone from the list name");
	free(bans);
	addr_parse("192.0.2.9", &a, &err);
	is_int(bans_unban(d, &a, &err), 0, "unban of a host in no list removes nothing");
	snprintf(d, sizeof(d), "%s/none", dir);
	ok(bans_read(d, &cfg, &bans, &n, &err) == 0 && n == 0, "no xt_recent folder: no bans, no error");
}

int main(void)
{
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	setenv("TZ", "UTC", 1);
	test_follow();
	test_flood();
	test_backfill();
	test_bans_parse();
	test_bans_dir();
	{
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		ok(system(cmd) == 0, "temporary folder removed");
	}
	return tap_done();
}
