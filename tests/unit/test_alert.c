/*
 * test_alert.c - alerts without root: the alert keys (alert_threshold,
 * alert_interval, alert_mail, alert_command), the sliding window of
 * core/offender.c with its bounded table.
 */
#include <string.h>

#include "../tap.h"
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

int main(void)
{
	test_keys();
	test_window();
	test_bounded();
	return tap_done();
}
