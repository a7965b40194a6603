/*
 * test_escalate.c - escalation without root: the zone key escalate
 * (values, defaults, refused without alert_threshold at its line), and
 * saving it back.
 */
#include <string.h>

#include "../tap.h"
#include "config.h"
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

int main(void)
{
	test_key();
	return tap_done();
}
