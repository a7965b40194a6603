/*
 * test_escalate.c - escalation without root: the zone key escalate
 * (values, defaults, refused without alert_threshold at its line), the
 * decision (relays and listed devices are never escalated), and the
 * xt_recent escalation lists in a stand-in folder: written, listed as
 * escalated with the time left, lifted by unban.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../tap.h"
#include "bans.h"
#include "config.h"
#include "escalate.h"
#include "helpers.h"

static const char base[] = "[general]\nwan = eth0\nrelays = 203.0.113.10\n\n"
			   "[zone wlan]\ninterface = eth2\nmode = log\n%s\n";

static struct config *conf(const char *zone, struct error *err)
{
	char text[1024];

	snprintf(text, sizeof(text), base, zone);
	return config_parse(text, strlen(text), "t.conf", err);
}

static void test_key(void)
{
	static const struct {
		const char *value;
		unsigned seconds;
		const char *printed;
	} good[] = {
		{ "off", 0, "off" },
		{ "quarantine-smtp 90s", 90, "quarantine-smtp 90s" },
		{ "quarantine-smtp 10min", 600, "quarantine-smtp 10min" },
		{ "quarantine-smtp\t24h", 86400, "quarantine-smtp 1d" },
		{ "quarantine-smtp 7d", 7 * 86400, "quarantine-smtp 7d" },
	};
	static const char *const bad[] = {
		"on", "quarantine-smtp", "quarantine-smtp 0s", "quarantine-smtp 31d",
		"quarantine-smtp 10 years", "quarantine 1h", "quarantine-smtp1h", "24h",
	};
	struct error err = { 0 };
	struct config *c = conf("", &err);
	char line[128], buf[64];

	ok(c && c->zones[0].escalate == 0, "escalate is off by default");
	config_free(c);
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(line, sizeof(line), "alert_threshold = 3/1min\nescalate = %s", good[i].value);
		c = conf(line, &err);
		ok(c && c->zones[0].escalate == good[i].seconds, "escalate = %s is %u s", good[i].value,
		   good[i].seconds);
		escalate_format(good[i].seconds, buf, sizeof(buf));
		ok(strcmp(buf, good[i].printed) == 0, "and prints as %s (%s)", good[i].printed, buf);
		config_free(c);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(line, sizeof(line), "alert_threshold = 3/1min\nescalate = %s", bad[i]);
		c = conf(line, &err);
		ok(!c && strstr(err.text, "t.conf:9:") && strstr(err.text, "is not an escalation"),
		   "escalate = %s refused at its line (%s)", bad[i], err.text);
		config_free(c);
	}
	/* the threshold after the key is fine; no threshold at all is refused at the key's line */
	c = conf("escalate = quarantine-smtp 1h\nalert_threshold = 3/1min", &err);
	ok(c && c->zones[0].escalate == 3600, "alert_threshold after escalate is accepted");
	config_free(c);
	c = conf("protect_gateway = no\nescalate = quarantine-smtp 1h", &err);
	ok(!c && strstr(err.text, "t.conf:9: zone wlan: escalate needs alert_threshold"),
	   "escalate without alert_threshold refused at the escalate line (%s)", err.text);
	config_free(c);
	c = conf("alert_threshold = off\nescalate = quarantine-smtp 1h", &err);
	ok(!c && strstr(err.text, "escalate needs alert_threshold"),
	   "escalate with alert_threshold = off refused (%s)", err.text);
	config_free(c);
}

static struct hit_source offender(const char *zone, const char *host)
{
	struct hit_source o = { .src = ip(host) };

	snprintf(o.zone, sizeof(o.zone), "%s", zone);
	return o;
}

static void test_decide(void)
{
	struct error err = { 0 };
	struct config *c = conf("relays = 192.0.2.80/29\ndevices = 00:02:2d:11:22:33 192.0.2.66\n"
				"alert_threshold = 3/1min\nescalate = quarantine-smtp 20s\n"
				"[zone lan]\ninterface = eth1\nmode = log\nalert_threshold = 3/1min",
				&err);
	static const struct {
		const char *zone, *host;
		unsigned want;
		const char *what;
	} cases[] = {
		{ "wlan", "192.0.2.67", 20, "an offender of the zone is escalated for 20 s" },
		{ "wlan", "192.0.2.66", 0, "a listed device's IP is never escalated" },
		{ "wlan", "192.0.2.81", 0, "a host in the zone's relays is never escalated" },
		{ "wlan", "203.0.113.10", 0, "a general relay is never escalated" },
		{ "lan", "192.0.2.2", 0, "a zone without escalate escalates nobody" },
		{ "", "192.0.2.67", 0, "a host of no zone is not escalated" },
	};

	if (!ok(c, "a config with an escalating zone (%s)", err.text))
		return;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct hit_source o = offender(cases[i].zone, cases[i].host);

		is_int(escalate_decide(c, &o), cases[i].want, "%s", cases[i].what);
	}
	config_free(c);
}

/* The kernel's line for an entry just written (jiffies far in the future: seen "now"). */
static void test_lists(void)
{
	char dir[] = "/tmp/test_escalate.XXXXXX", path[256], *text;
	struct error err = { 0 };
	struct config *c = conf("alert_threshold = 3/1min\nescalate = quarantine-smtp 20s", &err);
	struct addr a = ip("192.0.2.67"), b = ip("2001:db8:1::67");
	struct ban *bans = NULL;
	size_t n = 0;

	if (!ok(c && mkdtemp(dir), "a stand-in xt_recent folder"))
		return;
	ok(bans_escalate(dir, "wlan", &a, &err) < 0 && strstr(err.text, "run smtpguard apply"),
	   "no list yet (rules not applied): refused, says what to run (%s)", err.text);
	snprintf(path, sizeof(path), "%s/SMTPGUARD-wlan-ESC", dir);
	spit(path, "");
	snprintf(path, sizeof(path), "%s/SMTPGUARD-wlan-ESC-IPV6", dir);
	spit(path, "");
	ok(bans_escalate(dir, "wlan", &a, &err) == 0 && bans_escalate(dir, "wlan", &b, &err) == 0,
	   "escalate writes to the zone's lists");
	snprintf(path, sizeof(path), "%s/SMTPGUARD-wlan-ESC", dir);
	text = slurp(path);
	is_str(text, "+192.0.2.67\n", "IPv4: +ADDR to SMTPGUARD-wlan-ESC");
	free(text);
	snprintf(path, sizeof(path), "%s/SMTPGUARD-wlan-ESC-IPV6", dir);
	text = slurp(path);
	is_str(text, "+2001:db8:1::67\n", "IPv6: +ADDR to SMTPGUARD-wlan-ESC-IPV6");
	free(text);

	/* as the kernel lists them: the zone's entries read as escalated with its time */
	spit(path, "src=2001:db8:1::67 ttl: 64 last_seen: 18446744073709551615 oldest_pkt: 1 "
		   "18446744073709551615\n");
	snprintf(path, sizeof(path), "%s/SMTPGUARD-wlan", dir);
	spit(path, "src=192.0.2.70 ttl: 64 last_seen: 18446744073709551615 oldest_pkt: 1 "
		   "18446744073709551615\n");
	if (bans_read(dir, c, &bans, &n, &err) == 0) {
		size_t esc = 0, plain = 0;

		for (size_t i = 0; i < n; i++) {
			if (bans[i].escalated && strcmp(bans[i].zone, "wlan") == 0 &&
			    bans[i].ban_seconds == 20 && bans[i].addr.family == AF_INET6)
				esc++;
			else if (!bans[i].escalated && bans[i].ban_seconds == 60)
				plain++;
		}
		ok(n == 2 && esc == 1 && plain == 1,
		   "bans: the escalation list's entry is escalated in zone wlan with 20 s, the "
		   "rate-ban list's is not (%zu entries)", n);
	} else {
		ok(0, "bans_read (%s)", err.text);
	}
	free(bans);
	is_int(bans_unban(dir, &b, &err), 1, "unban lifts the escalated host");
	snprintf(path, sizeof(path), "%s/SMTPGUARD-wlan-ESC-IPV6", dir);
	text = slurp(path);
	ok(strstr(text, "-2001:db8:1::67\n") != NULL, "by writing -ADDR to its escalation list");
	free(text);
	for (const char *const *f = (const char *const[]){ "SMTPGUARD-wlan", "SMTPGUARD-wlan-ESC",
							   "SMTPGUARD-wlan-ESC-IPV6", NULL };
	     *f; f++) {
		snprintf(path, sizeof(path), "%s/%s", dir, *f);
		unlink(path);
	}
	rmdir(dir);
	config_free(c);
}

int main(void)
{
	test_key();
	test_decide();
	test_lists();
	return tap_done();
}
