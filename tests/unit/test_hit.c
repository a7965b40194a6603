/*
 * test_hit.c - the LOG line parser over the corpus in
 * tests/fixtures/logs/lines.txt (every format, forged, truncated, huge
 * and junk lines, each with its expected result), then the ring and the
 * per-source counts.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hit.h"
#include "sanitize.h"
#include "tap.h"

static struct zone zones[] = {
	{ .name = "wlan", .interface = "eth2", .mode = MODE_RATEBAN },
	{ .name = "lan", .interface = "eth1", .mode = MODE_MONITOR },
};
static struct config cfg = { .zones = zones, .nzones = 2, .log_prefix = "Illegal port 25 >" };

static char prefix[HIT_PREFIX_MAX + 1];

static time_t utc(const char *text)
{
	struct tm tm = { 0 };

	if (!strptime(text, "%Y-%m-%dT%H:%M:%S", &tm))
		return (time_t)-1;
	return timegm(&tm);
}

static void underscores(char *s)
{
	for (; *s; s++)
		if (*s == '_')
			*s = ' ';
}

static void context_set(struct hit_context *ctx, char *spec)
{
	for (char *kv = strtok(spec, " "); kv; kv = strtok(NULL, " ")) {
		if (strncmp(kv, "now=", 4) == 0) {
			ctx->now = utc(kv + 4);
		} else if (strncmp(kv, "boot=", 5) == 0) {
			ctx->boot.tv_sec = utc(kv + 5);
			ctx->boot.tv_nsec = 0;
		} else if (strncmp(kv, "prefix=", 7) == 0) {
			snprintf(prefix, sizeof(prefix), "%s", kv + 7);
			underscores(prefix);
			ctx->prefix = prefix;
		}
	}
}

static const char *const result_names[] = {
	[HIT_NONE] = "none",
	[HIT_OK] = "ok",
	[HIT_UNTRUSTED] = "untrusted",
	[HIT_MALFORMED] = "malformed",
};

/* The value of one field of h as the corpus writes it. */
static void field_text(const struct hit *h, const char *key, char *buf, size_t size)
{
	char tmp[256];
	struct tm tm;

	buf[0] = '\0';
	if (strcmp(key, "time") == 0) {
		gmtime_r(&h->time, &tm);
		strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
	} else if (strcmp(key, "usec") == 0) {
		snprintf(buf, size, "%ld", h->usec);
	} else if (strcmp(key, "in") == 0) {
		sanitize_text(h->in, strlen(h->in), buf, size);
	} else if (strcmp(key, "out") == 0) {
		sanitize_text(h->out, strlen(h->out), buf, size);
	} else if (strcmp(key, "src") == 0) {
		addr_format(&h->src, buf, size);
	} else if (strcmp(key, "dst") == 0) {
		addr_format(&h->dst, buf, size);
	} else if (strcmp(key, "sport") == 0) {
		snprintf(buf, size, "%u", h->sport);
	} else if (strcmp(key, "dport") == 0) {
		snprintf(buf, size, "%u", h->dport);
	} else if (strcmp(key, "proto") == 0) {
		snprintf(buf, size, "%u", h->proto);
	} else if (strcmp(key, "mac") == 0) {
		if (h->has_src_mac)
			mac_format(h->src_mac, tmp);
		snprintf(buf, size, "%s", h->has_src_mac ? tmp : "-");
	} else if (strcmp(key, "zone") == 0) {
		snprintf(buf, size, "%s", h->zone);
	} else if (strcmp(key, "action") == 0) {
		snprintf(buf, size, "%s", hit_action_names[h->action]);
	} else if (strcmp(key, "prefix") == 0) {
		snprintf(buf, size, "%s", h->prefix);
	} else {
		snprintf(buf, size, "(unknown key %s)", key);
	}
}

static void corpus_check(const char *header, const char *line, size_t len, unsigned lineno,
			 const struct hit_context *ctx)
{
	char spec[1024], got[256];
	char *fmt, *want, *kv;
	enum hit_format format = HIT_FORMAT_COUNT;
	enum hit_result r;
	struct hit h;

	snprintf(spec, sizeof(spec), "%s", header);
	fmt = strtok(spec, " ");
	want = strtok(NULL, " ");
	for (int f = 0; f < HIT_FORMAT_COUNT; f++)
		if (fmt && strcmp(fmt, hit_format_names[f]) == 0)
			format = (enum hit_format)f;
	if (!ok(format != HIT_FORMAT_COUNT && want, "line %u: record header '%s' is valid", lineno,
		header))
		return;
	memset(&h, 0x5a, sizeof(h));
	r = hit_parse_line(line, len, format, ctx, &h);
	is_str(result_names[r], want, "line %u: %s line parses as %s", lineno, fmt, want);
	if (r == HIT_OK)
		ok(h.trusted && (h.format == format || format == HIT_FORMAT_AUTO),
		   "line %u: a hit is marked trusted with its source", lineno);
	if (r == HIT_UNTRUSTED)
		ok(!h.trusted, "line %u: an untrusted line is marked untrusted", lineno);
	while (r != HIT_NONE && r != HIT_MALFORMED && (kv = strtok(NULL, " "))) {
		char *eq = strchr(kv, '=');

		if (!eq)
			continue;
		*eq = '\0';
		if (strcmp(kv, "prefix") == 0)
			underscores(eq + 1);
		field_text(&h, kv, got, sizeof(got));
		is_str(got, eq + 1, "line %u: %s", lineno, kv);
	}
}

static void corpus_run(const char *path)
{
	struct hit_context ctx;
	char header[1024] = "";
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	unsigned lineno = 0, records = 0;
	bool pending = false;
	FILE *f = fopen(path, "rb");

	hit_context_init(&ctx, &cfg);
	if (!ok(f != NULL, "corpus %s opens", path))
		return;
	while ((n = getline(&line, &cap, f)) >= 0) {
		lineno++;
		if (pending) {
			corpus_check(header, line, (size_t)n, lineno, &ctx);
			pending = false;
			records++;
			continue;
		}
		if (n > 0 && line[n - 1] == '\n')
			line[--n] = '\0';
		if (line[0] == '%' && line[1] == ' ') {
			context_set(&ctx, line + 2);
		} else if (line[0] == '@' && line[1] == ' ') {
			snprintf(header, sizeof(header), "%s", line + 2);
			pending = true;
		}
	}
	free(line);
	fclose(f);
	ok(records >= 80 && !pending, "corpus has %u complete records", records);
}

static void test_kmsg_record(void)
{
	static const char rec[] = "4,77,1000001,-;Illegal port 25 > IN=eth2 OUT=eth0 SRC=192.0.2.66 "
				  "DST=203.0.113.25 PROTO=TCP SPT=1 DPT=25\n SUBSYSTEM=net\n DEVICE=+net:eth2\n";
	struct hit_context ctx;
	struct hit h;

	hit_context_init(&ctx, &cfg);
	ctx.boot.tv_sec = 1000;
	ctx.boot.tv_nsec = 999999000;
	is_int(hit_parse_line(rec, sizeof(rec) - 1, HIT_FORMAT_KMSG, &ctx, &h), HIT_OK,
	       "kmsg record with continuation lines parses");
	is_int(h.dport, 25, "kmsg: dictionary lines after the message are not fields");
	is_int(h.time, 1002, "kmsg: boot time + stamp carries into the seconds");
	is_int(h.usec, 0, "kmsg: microseconds carried");
}

static void test_output(void)
{
	static const char line[] = "Nov 22 11:29:51 gw kernel: Illegal port 25 > IN=e\x1b[2Jth OUT=eth0 "
				   "MAC=00:16:3e:00:00:01:00:02:2d:11:22:33:08:00 SRC=192.0.2.66 "
				   "DST=203.0.113.25 PROTO=TCP SPT=53827 DPT=25";
	struct hit_context ctx;
	char buf[512];
	struct hit h;
	char *json = NULL;
	size_t jlen = 0;
	FILE *mem;

	hit_context_init(&ctx, &cfg);
	ctx.now = utc("2026-11-22T12:00:00");
	if (!ok(hit_parse_line(line, sizeof(line) - 1, HIT_FORMAT_SYSLOG, &ctx, &h) == HIT_OK,
		"line with an escape sequence in IN= parses"))
		return;
	hit_format_line(&h, buf, sizeof(buf));
	ok(!strchr(buf, '\x1b'), "formatted line carries no raw ESC");
	is_str(buf, "2026-11-22 11:29:51 - - e\\x1b[2Jth>eth0 SRC=192.0.2.66 DST=203.0.113.25 TCP "
		    "SPT=53827 DPT=25 MAC=00:02:2d:11:22:33",
	       "formatted line");
	mem = open_memstream(&json, &jlen);
	hit_write_json(&h, mem);
	fclose(mem);
	ok(json && strstr(json, "\"src\":\"192.0.2.66\"") && strstr(json, "\"in\":\"e\\\\x1b[2Jth\"") &&
		   strstr(json, "\"time\":\"2026-11-22T11:29:51.000000+00:00\"") && json[jlen - 1] == '}',
	   "JSON object carries the control byte sanitized: %s", json ? json : "(null)");
	free(json);
}

/* Random bytes and mutated lines: results stay in range, fields stay bounded. */
static void test_junk(void)
{
	static const char base[] = "Nov 22 11:29:51 gw kernel: [1.0] Illegal port 25 > IN=eth2 OUT=eth0 "
				   "MAC=00:16:3e:00:00:01:00:02:2d:11:22:33:08:00 SRC=192.0.2.66 "
				   "DST=203.0.113.25 PROTO=TCP SPT=53827 DPT=25";
	static const enum hit_format formats[] = { HIT_FORMAT_AUTO, HIT_FORMAT_SYSLOG, HIT_FORMAT_KMSG,
						    HIT_FORMAT_JOURNAL, HIT_FORMAT_LOGEMU };
	static const char head[] = "Nov 22 11:29:51 gw kernel: Illegal port 25 > ";
	struct hit_context ctx;
	size_t bad = 0, hits = 0;
	char *big;
	struct hit h;

	hit_context_init(&ctx, &cfg);
	srand(25);
	for (int i = 0; i < 20000; i++) {
		char buf[sizeof(base)];
		size_t len = (size_t)rand() % sizeof(base);
		enum hit_result r;

		memcpy(buf, base, sizeof(buf));
		for (int k = rand() % 4; k > 0; k--)
			buf[rand() % (int)sizeof(base)] = (char)(rand() % 256);
		r = hit_parse_line(buf, len, formats[i % 5], &ctx, &h);
		if (r > HIT_MALFORMED)
			bad++;
		if (r == HIT_OK) {
			hits++;
			if (strnlen(h.in, sizeof(h.in)) >= sizeof(h.in) ||
			    strnlen(h.prefix, sizeof(h.prefix)) >= sizeof(h.prefix) ||
			    strnlen(h.mac, sizeof(h.mac)) >= sizeof(h.mac) ||
			    (h.src.family != AF_INET && h.src.family != AF_INET6))
				bad++;
		}
	}
	ok(bad == 0 && hits > 0, "20000 mutated lines: results in range, fields bounded (%zu hits)",
	   hits);

	big = malloc(1 << 20);
	if (!big)
		return;
	memcpy(big, head, sizeof(head) - 1);
	for (size_t i = sizeof(head) - 1; i < 1 << 20; i++)
		big[i] = "IN= SRC=1.2.3.4 "[(i - sizeof(head) + 1) % 16];
	is_int(hit_parse_line(big, 1 << 20, HIT_FORMAT_SYSLOG, &ctx, &h), HIT_MALFORMED,
	       "a 1 MiB line of repeated fields is malformed (no DST), not a crash");
	free(big);
}

static struct hit make_hit(const char *src, const char *dst, time_t t)
{
	struct hit h = { .time = t, .proto = 6, .dport = 25 };

	h.src.family = h.dst.family = AF_INET;
	h.src.prefix = h.dst.prefix = 32;
	inet_pton(AF_INET, src, h.src.bytes);
	inet_pton(AF_INET, dst, h.dst.bytes);
	snprintf(h.zone, sizeof(h.zone), "wlan");
	return h;
}

static void test_ring(void)
{
	struct hit_ring *r = hit_ring_new(100, 64);
	struct hit_source top[4], one;
	struct hit h;
	char a[ADDR_TEXT_MAX];
	size_t n;

	if (!ok(r != NULL, "ring created"))
		return;
	for (int i = 0; i < 10000; i++) {
		const char *src = i % 10 < 5 ? "192.0.2.66" : i % 10 < 8 ? "192.0.2.67" : "192.0.2.2";
		char dst[32];

		snprintf(dst, sizeof(dst), "203.0.113.%d", i % 7);
		h = make_hit(src, dst, 1000 + i);
		hit_ring_push(r, &h);
	}
	is_int(hit_ring_len(r), 100, "ring keeps only its capacity");
	is_int(hit_ring_total(r), 10000, "ring counts every push");
	is_int(hit_ring_at(r, 0)->time, 1000 + 9999, "index 0 is the newest hit");
	is_int(hit_ring_at(r, 99)->time, 1000 + 9900, "index 99 is the oldest kept");
	ok(hit_ring_at(r, 100) == NULL, "past the end is NULL");
	n = hit_stats_top(hit_ring_stats(r), top, 4);
	is_int(n, 3, "three sources");
	addr_format(&top[0].src, a, sizeof(a));
	is_str(a, "192.0.2.66", "top talker first");
	is_int(top[0].attempts, 5000, "its count is exact after the ring dropped old hits");
	is_int(top[1].attempts, 3000, "second talker exact");
	is_int(top[2].attempts, 2000, "third talker exact");
	is_int(top[0].destinations, 7, "distinct destinations");
	is_int(top[0].first, 1000, "first seen");
	is_int(top[2].last, 1000 + 9999, "last seen");
	ok(hit_stats_find(hit_ring_stats(r), &top[2].src, &one) && one.attempts == 2000 &&
	   one.destinations == 7 && one.last == 1000 + 9999, "find: one source's counts");
	h = make_hit("192.0.2.99", "203.0.113.1", 0);
	ok(!hit_stats_find(hit_ring_stats(r), &h.src, &one), "find: a source never seen");
	hit_ring_clear(r);
	is_int(hit_ring_len(r) + hit_stats_count(hit_ring_stats(r)), 0, "clear empties ring and counts");
	hit_ring_free(r);
}

static void test_stats_bounds(void)
{
	struct hit_stats *s = hit_stats_new(2, 3);
	struct hit_source top[3];
	struct hit h;

	if (!ok(s != NULL, "bounded stats created"))
		return;
	for (int i = 0; i < 10; i++) {
		char dst[32];

		snprintf(dst, sizeof(dst), "203.0.113.%d", i);
		h = make_hit(i < 6 ? "192.0.2.66" : i < 8 ? "192.0.2.67" : "192.0.2.68", dst, i);
		hit_stats_add(s, &h);
	}
	is_int(hit_stats_count(s), 2, "table holds max_sources");
	is_int(hit_stats_overflow(s), 2, "the third source's attempts are counted as overflow");
	is_int(hit_stats_attempts(s), 10, "total attempts exact");
	hit_stats_top(s, top, 3);
	is_int(top[0].attempts, 6, "held source still exact");
	ok(top[0].destinations == 3 && top[0].destinations_capped,
	   "destinations stop at the pair bound and say so");
	hit_stats_free(s);
}

/* Year-less local dates across daylight saving changes (the parser caches an hour's start). */
static void test_dst(void)
{
	static const struct {
		const char *stamp;
		long long want;		/* UTC seconds */
	} cases[] = {
		{ "Mar 29 01:59:59", 1774745999 },	/* 00:59:59Z, CET */
		{ "Mar 29 03:00:00", 1774746000 },	/* 01:00:00Z, CEST: one second later */
		{ "Mar 29 03:30:00", 1774747800 },
		{ "Oct 25 01:59:59", 1792886399 },	/* 23:59:59Z, CEST */
		{ "Oct 25 03:00:00", 1792893600 },	/* 02:00:00Z, CET */
		{ "Oct 25 03:00:01", 1792893601 },
	};
	struct hit_context ctx;
	char line[256];
	struct hit h;

	if (access("/usr/share/zoneinfo/Europe/Berlin", R_OK) != 0) {
		printf("# not run: daylight saving (no tzdata)\n");
		return;
	}
	setenv("TZ", "Europe/Berlin", 1);
	tzset();
	hit_context_init(&ctx, &cfg);
	ctx.now = 1795346991;	/* 2026-11-22 */
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(line, sizeof(line), "%s gw kernel: Illegal port 25 > IN=eth2 OUT=eth0 "
			 "SRC=192.0.2.66 DST=203.0.113.25 PROTO=TCP SPT=1 DPT=25", cases[i].stamp);
		is_int(hit_parse_line(line, strlen(line), HIT_FORMAT_SYSLOG, &ctx, &h) == HIT_OK ?
			       (long long)h.time : -1,
		       cases[i].want, "Europe/Berlin %s", cases[i].stamp);
	}
	setenv("TZ", "UTC", 1);
	tzset();
}

int main(int argc, char **argv)
{
	setenv("TZ", "UTC", 1);
	tzset();
	corpus_run(argc > 1 ? argv[1] : "tests/fixtures/logs/lines.txt");
	test_kmsg_record();
	test_output();
	test_junk();
	test_ring();
	test_stats_bounds();
	test_dst();
	return tap_done();
}
