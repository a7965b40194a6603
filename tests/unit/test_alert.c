/*
 * test_alert.c - alerts without root: the alert keys (alert_threshold,
 * alert_interval, alert_mail, alert_command), the sliding window of
 * core/offender.c with its bounded table, the digest grouping of
 * core/alert.c, its mail, JSON and environment, and a real alert_command
 * run through the alert's fd; the replay at watch's start sends nothing
 * for what the watch before it sent, and sends a digest it left due.
 */
#include <poll.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../tap.h"
#include "alert.h"
#include "config.h"
#include "helpers.h"
#include "offender.h"

static const char base[] = "[general]\nwan = eth0\n%s\n[zone wlan]\ninterface = eth2\n%s\n";

static struct config *conf(const char *general, const char *zone, struct error *err)
{
	char text[1024];

	snprintf(text, sizeof(text), base, general, zone);
	return config_parse(text, strlen(text), "t.conf", err);
}

static struct hit hit_at(const char *src, const char *dst, time_t t)
{
	struct hit h = { .time = t, .trusted = true, .src = ip(src), .dst = ip(dst) };

	snprintf(h.zone, sizeof(h.zone), "wlan");
	return h;
}

static void test_keys(void)
{
	struct error err = { 0 };
	struct config *c = conf("", "", &err);
	char buf[32];

	ok(c && c->alert_interval == 3600 && !c->alert_mail[0] && !c->alert_command[0] &&
		   c->zones[0].alert_threshold.count == 0,
	   "defaults: alert_interval 1h, no mail, no command, threshold off");
	config_free(c);
	c = conf("alert_mail = root\nalert_command = /usr/local/bin/page\nalert_interval = 5s",
		 "alert_threshold = 20/10min", &err);
	ok(c && strcmp(c->alert_mail, "root") == 0 && c->alert_interval == 5 &&
		   strcmp(c->alert_command, "/usr/local/bin/page") == 0 &&
		   c->zones[0].alert_threshold.count == 20 &&
		   c->zones[0].alert_threshold.period == 600,
	   "alert_mail, alert_command, alert_interval = 5s, alert_threshold = 20/10min read");
	if (c)
		alert_threshold_format(&c->zones[0].alert_threshold, buf, sizeof(buf));
	is_str(c ? buf : NULL, "20/10min", "the threshold prints as written");
	config_free(c);
	duration_format(7200, buf, sizeof(buf));
	is_str(buf, "2h", "7200 s prints as 2h");
	duration_format(90, buf, sizeof(buf));
	is_str(buf, "90s", "90 s prints as 90s");

	static const struct {
		const char *general, *zone, *want;
	} bad[] = {
		{ "", "alert_threshold = 20", "is not a threshold" },
		{ "", "alert_threshold = 0/1min", "is not a threshold" },
		{ "", "alert_threshold = 20/10years", "is not a threshold" },
		{ "alert_interval = 0s", "", "is not a duration" },
		{ "alert_interval = 31d", "", "is not a duration" },
		{ "alert_mail = a@b.c, d@e.f", "", "is not one mail address" },
		{ "alert_mail = -oQ/tmp", "", "is not one mail address" },
		{ "alert_command = page", "", "is not an absolute path" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		c = conf(bad[i].general, bad[i].zone, &err);
		ok(!c && strstr(err.text, bad[i].want) && strstr(err.text, "t.conf:"),
		   "refused with file:line: %s%s (%s)", bad[i].general, bad[i].zone, err.text);
		config_free(c);
	}
}

static void test_window(void)
{
	struct error err = { 0 };
	struct config *c = conf("", "alert_threshold = 3/1min", &err);
	struct offender_table *t = c ? offender_table_new(c, 64) : NULL;
	struct hit_source o = { 0 };
	struct hit h;
	int fired = 0;

	if (!ok(t, "a table for a 3/1min zone"))
		return;
	for (int i = 0; i < 3; i++) {
		h = hit_at("192.0.2.66", i ? "203.0.113.25" : "198.51.100.2", 1000 + i);
		fired += offender_add(t, &h, &o);
	}
	ok(!fired, "3 attempts in a minute: not past 3/1min");
	h = hit_at("192.0.2.66", "203.0.113.25", 1010);
	ok(offender_add(t, &h, &o), "the 4th within the minute: an offender");
	ok(o.attempts == 4 && o.destinations == 2 && o.first == 1000 && o.last == 1010 &&
		   strcmp(o.zone, "wlan") == 0,
	   "facts: 4 attempts, 2 destinations, first 1000, last 1010, zone wlan");
	h = hit_at("192.0.2.66", "203.0.113.25", 1020);
	ok(!offender_add(t, &h, &o), "once an offender, not again while it goes on");

	/* another host, attempts spread wider than the window: never past */
	fired = 0;
	for (int i = 0; i < 10; i++) {
		h = hit_at("192.0.2.67", "203.0.113.25", 2000 + i * 25);
		fired += offender_add(t, &h, &o);
	}
	ok(!fired, "10 attempts 25 s apart: never more than 3 within a minute");
	/* quiet for a whole period: the first host starts afresh and can offend again */
	fired = 0;
	for (int i = 0; i < 4; i++) {
		h = hit_at("192.0.2.66", "203.0.113.25", 5000 + i);
		fired += offender_add(t, &h, &o);
	}
	ok(fired == 1 && o.attempts == 4 && o.first == 5000,
	   "after a quiet period: an offender again, facts counted afresh");

	h = hit_at("192.0.2.68", "203.0.113.25", 6000);
	h.trusted = false;
	fired = 0;
	for (int i = 0; i < 5; i++)
		fired += offender_add(t, &h, &o);
	ok(!fired, "untrusted lines never count");
	offender_table_free(t);
	config_free(c);
}

static void test_bounded(void)
{
	struct error err = { 0 };
	struct config *c = conf("", "alert_threshold = 3/1min", &err);
	struct offender_table *t = c ? offender_table_new(c, 64) : NULL;
	struct hit_source o;
	char src[32];
	int fired = 0;

	if (!ok(t, "a table of 64 hosts"))
		return;
	for (int i = 0; i < 5000; i++) {
		snprintf(src, sizeof(src), "10.%d.%d.1", i / 250, i % 250);
		struct hit h = hit_at(src, "203.0.113.25", 1000 + i / 100);

		fired += offender_add(t, &h, &o);
	}
	ok(offender_count(t) <= 64 && offender_evicted(t) >= 5000 - 64 && !fired,
	   "5000 sources once each: at most 64 held (%zu), the rest evicted (%zu), none offends",
	   offender_count(t), offender_evicted(t));
	for (int i = 0; i < 4; i++) {
		struct hit h = hit_at("192.0.2.66", "203.0.113.25", 1100);

		fired += offender_add(t, &h, &o);
	}
	ok(fired == 1, "a full table still finds a new offender (stalest evicted)");
	offender_table_free(t);
	config_free(c);
}

static struct hit_source offender(const char *host, time_t t)
{
	struct hit_source o = { .src = ip(host), .attempts = 4, .destinations = 2, .first = t - 10,
				.last = t };

	snprintf(o.zone, sizeof(o.zone), "wlan");
	snprintf(o.mac, sizeof(o.mac), "00:02:2d:11:22:33");
	return o;
}

static void test_digest(void)
{
	static struct alert_queue q;
	struct hit_source o, list[ALERT_DIGEST_MAX];
	char host[32];
	size_t more, n, now_count = 0, digest = 0, skip = 0;

	alert_queue_init(&q, 5);
	for (int i = 0; i < 500; i++) {
		snprintf(host, sizeof(host), "10.0.%d.%d", i / 200, i % 200 + 1);
		o = offender(host, 100);
		switch (alert_queue_add(&q, &o, 100 + i / 200)) {
		case ALERT_NOW: now_count++; break;
		case ALERT_DIGEST: digest++; break;
		case ALERT_SKIP: skip++; break;
		}
	}
	ok(now_count == 1 && digest == 499 && alert_queue_due(&q) == 105,
	   "500 offenders within a 5 s interval: 1 at once, 499 for the digest due at its end");
	o = offender("10.0.0.1", 101);
	ok(alert_queue_add(&q, &o, 101) == ALERT_SKIP, "a host alerted within the interval: skipped");
	n = alert_queue_take(&q, 105, list, &more);
	ok(n == ALERT_DIGEST_MAX && more == 499 - ALERT_DIGEST_MAX && !alert_queue_due(&q),
	   "the digest: %d in full, the rest counted (%zu), nothing left due", ALERT_DIGEST_MAX, more);
	o = offender("10.0.9.9", 106);
	ok(alert_queue_add(&q, &o, 106) == ALERT_DIGEST,
	   "the digest opened the next interval: a new offender waits for the next digest");
	o = offender("10.0.9.10", 111);
	ok(alert_queue_add(&q, &o, 111) == ALERT_DIGEST && alert_queue_due(&q) == 110,
	   "a pending digest past due still collects until sent");
	n = alert_queue_take(&q, 111, list, &more);
	o = offender("10.0.0.1", 200);
	ok(n == 2 && alert_queue_add(&q, &o, 200) == ALERT_NOW,
	   "after the interval with nothing pending the next host is alerted at once again");
}

static void test_message(void)
{
	struct error err = { 0 };
	struct config *c = conf("alert_mail = root", "mode = log\nalert_threshold = 3/1min", &err);
	struct hit_source o[2] = { offender("192.0.2.66", 1000), offender("192.0.2.67", 1000) };
	struct alert_message m = { .kind = ALERT_KIND_ALERT, .cfg = c, .list = o, .n = 1 };
	char buf[8192];
	size_t len;

	if (!ok(c, "a config with mail"))
		return;
	alert_format_mail(&m, buf, sizeof(buf));
	ok(strstr(buf, "To: root\n") && strstr(buf, "Subject: smtpguard: 192.0.2.66 in zone wlan") &&
		   strstr(buf, "host:         192.0.2.66") && strstr(buf, "zone:         wlan") &&
		   strstr(buf, "mode:         log") && strstr(buf, "attempts:     4") &&
		   strstr(buf, "destinations: 2") && strstr(buf, "00:02:2d:11:22:33") &&
		   strstr(buf, "\"quarantine = 192.0.2.66\" to [zone wlan] of t.conf") &&
		   strstr(buf, "smtpguard -c t.conf apply"),
	   "the mail: host, MAC, zone, mode, attempts, destinations, the quarantine line");
	alert_format_json(&m, buf, sizeof(buf));
	ok(strstr(buf, "{\"kind\":\"alert\",\"config\":\"t.conf\",\"offenders\":1,\"hosts\":[{"
		       "\"host\":\"192.0.2.66\",\"mac\":\"00:02:2d:11:22:33\",\"zone\":\"wlan\","
		       "\"mode\":\"log\",\"attempts\":4,\"destinations\":2,") &&
		   strstr(buf, "\"first_epoch\":990,") && strstr(buf, "\"quarantine\":\"quarantine = 192.0.2.66\"}]}\n"),
	   "the JSON of an alert");
	m = (struct alert_message){ .kind = ALERT_KIND_DIGEST, .cfg = c, .list = o, .n = 2, .more = 3 };
	len = alert_format_env(&m, buf, sizeof(buf));
	ok(len > 2 && !buf[len - 1] && !buf[len - 2], "env: ends with an empty string");
	{
		const char *all = buf;

		for (size_t i = 0; i + 1 < len; i++)	/* "A=1\0B=2\0\0" -> "A=1;B=2;\0" */
			buf[i] = buf[i] ? buf[i] : ';';
		ok(strstr(all, "SMTPGUARD_KIND=digest;") && strstr(all, "SMTPGUARD_OFFENDERS=5;") &&
			   strstr(all, "SMTPGUARD_HOST=192.0.2.66;") && strstr(all, "SMTPGUARD_ZONE=wlan;") &&
			   strstr(all, "SMTPGUARD_ATTEMPTS=4;") && strstr(all, "SMTPGUARD_MODE=log;") &&
			   strstr(all, "SMTPGUARD_HOSTS=192.0.2.66 192.0.2.67;"),
		   "env: %s", all);
	}
	alert_format_mail(&m, buf, sizeof(buf));
	ok(strstr(buf, "digest, 5 more hosts") && strstr(buf, "host:         192.0.2.67") &&
		   strstr(buf, "and 3 more hosts"),
	   "the digest mail lists both hosts and counts the rest");
	config_free(c);
}

static void reported(void *arg, bool failed, const char *text)
{
	snprintf(arg, 256, "%s%s", failed ? "FAILED " : "", text);
}

/* Poll the alert's fd until report is set (bounded: 5 s). */
static void wait_report(struct alert *a, char *report)
{
	struct error err;

	for (int i = 0; i < 50 && !report[0]; i++) {
		struct pollfd p = { .fd = alert_fd(a), .events = POLLIN };

		if (poll(&p, 1, 100) > 0)
			alert_on_event(a, &err);
	}
}

static void test_command(void)
{
	char dir[] = "/tmp/test_alert.XXXXXX", script[128], general[256], out[128], report[256] = "";
	struct error err = { 0 };
	struct config *c;
	struct alert *a;
	struct hit_source o = offender("192.0.2.66", 1000);
	char *got;

	if (!mkdtemp(dir))
		return;
	snprintf(script, sizeof(script), "%s/cmd", dir);
	snprintf(out, sizeof(out), "%s/out", dir);
	snprintf(general, sizeof(general), "alert_command = %s", script);
	snprintf(report, sizeof(report), "#!/bin/sh\n{ cat; env | grep ^SMTPGUARD_ | sort; } >%s\n",
		 out);
	spit(script, report);
	chmod(script, 0755);
	report[0] = '\0';
	c = conf(general, "alert_threshold = 3/1min", &err);
	a = c ? alert_new(c, reported, report, &err) : NULL;
	if (!ok(a, "an alert with a command"))
		return;
	alert_offender(a, &o);
	wait_report(a, report);
	got = slurp(out);
	ok(strstr(report, "alert_command: alert about 192.0.2.66 in zone wlan: accepted (exit 0)") &&
		   strstr(got, "\"host\":\"192.0.2.66\"") && strstr(got, "SMTPGUARD_HOST=192.0.2.66\n"),
	   "the command ran: JSON on stdin, SMTPGUARD_HOST set; reported: %s", report);
	free(got);
	/* a failing command: reported with its exit status and a retry */
	spit(script, "#!/bin/sh\nexit 3\n");
	report[0] = '\0';
	o = offender("192.0.2.70", 1000);
	alert_free(a);
	a = alert_new(c, reported, report, &err);
	alert_offender(a, &o);
	wait_report(a, report);
	ok(strstr(report, "FAILED alert_command: alert about 192.0.2.70 in zone wlan failed (exit 3), "
			  "try 1 of 5: retrying in 10s"),
	   "a command exiting 3: reported failed, retried later: %s", report);
	ok(alert_counts(a)->failed == 1 && alert_counts(a)->sent == 0, "counted as failed, not sent");
	alert_free(a);
	config_free(c);
	unlink(script);
	unlink(out);
	rmdir(dir);
}

/* An alert running the script dir/cmd (which keeps its stdin in dir/out), interval 5 s. */
static struct alert *replay_alert(const char *dir, struct config **c, char *report)
{
	char script[128], general[256], body[256];
	struct error err = { 0 };

	snprintf(script, sizeof(script), "%s/cmd", dir);
	snprintf(body, sizeof(body), "#!/bin/sh\ncat >>%s/out\n", dir);
	spit(script, body);
	chmod(script, 0755);
	snprintf(general, sizeof(general), "alert_command = %s\nalert_interval = 5s", script);
	*c = conf(general, "alert_threshold = 3/1min", &err);
	return *c ? alert_new(*c, reported, report, &err) : NULL;
}

static void test_replay(void)
{
	char dir[] = "/tmp/test_alert.XXXXXX", out[128], report[256] = "";
	const time_t t = time(NULL) - 100;
	struct hit_source a66 = offender("192.0.2.66", t), a70 = offender("192.0.2.70", t + 1),
			  a71 = offender("192.0.2.71", t + 11);
	struct pollfd p = { .events = POLLIN };
	struct config *c;
	struct alert *a;
	struct error err;
	char *got;

	if (!mkdtemp(dir))
		return;
	snprintf(out, sizeof(out), "%s/out", dir);
	a = replay_alert(dir, &c, report);
	if (!ok(a, "an alert with a command, interval 5 s"))
		return;
	/* 66 alerted at once by the watch before, 70 collected; it stopped before the digest was due */
	alert_replay_offender(a, &a66, t);
	alert_replay_offender(a, &a70, t + 1);
	alert_replay_end(a, t + 2);
	wait_report(a, report);
	got = slurp(out);
	ok(strstr(report, "digest") && strstr(got, "192.0.2.70") && !strstr(got, "192.0.2.66"),
	   "replay: the digest left due is sent, the host alerted before is not: %s", report);
	free(got);
	alert_free(a);
	config_free(c);
	unlink(out);

	/* the watch before sent that digest (a hit after it was due), then alerted 71 at once */
	report[0] = '\0';
	a = replay_alert(dir, &c, report);
	alert_replay_offender(a, &a66, t);
	alert_replay_offender(a, &a70, t + 1);
	alert_replay_offender(a, &a71, t + 11);
	alert_replay_end(a, t + 12);
	p.fd = alert_fd(a);
	/* nothing is due: the timer is disarmed; were it armed in the past it would fire at once (bound 1 s) */
	if (poll(&p, 1, 1000) > 0)
		alert_on_event(a, &err);
	ok(!report[0] && alert_counts(a)->sent == 0 && access(out, F_OK) != 0,
	   "replay: what the watch before sent is not sent again: %s", report);
	alert_free(a);
	config_free(c);
	snprintf(out, sizeof(out), "%s/cmd", dir);
	unlink(out);
	rmdir(dir);
}

int main(void)
{
	test_keys();
	test_window();
	test_bounded();
	test_digest();
	test_message();
	test_command();
	test_replay();
	return tap_done();
}
