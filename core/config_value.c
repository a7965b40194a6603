/*
 * config_value.c - the parsers of single values of smtpguard.conf and
 * of the console's edits: numbers, modes, rates, log prefixes, relays,
 * devices and quarantined hosts.  No config, no I/O: text in, value or
 * error out.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "config.h"
#include "config_priv.h"

const char *const mode_names[MODE_COUNT] = {
	[MODE_ALLOW] = "allow", [MODE_MONITOR] = "monitor", [MODE_BLOCK] = "block",
	[MODE_LOG] = "log",	[MODE_RATEBAN] = "rateban",
};

static const char *const rate_unit_names[] = {
	[RATE_SECOND] = "second",
	[RATE_MINUTE] = "minute",
	[RATE_HOUR] = "hour",
	[RATE_DAY] = "day",
};

static const struct {
	const char *name;
	enum rate_unit unit;
} rate_unit_aliases[] = {
	{ "second", RATE_SECOND }, { "sec", RATE_SECOND }, { "s", RATE_SECOND },
	{ "minute", RATE_MINUTE }, { "min", RATE_MINUTE }, { "m", RATE_MINUTE },
	{ "hour", RATE_HOUR },	   { "h", RATE_HOUR },	   { "day", RATE_DAY },
	{ "d", RATE_DAY },
};

int config_uint_parse(const char *text, unsigned min, unsigned max, unsigned *out)
{
	size_t len = strlen(text);
	unsigned long v = 0;

	if (len == 0 || len > 10 || strspn(text, "0123456789") != len)
		return -1;
	for (size_t i = 0; i < len; i++)
		v = v * 10 + (unsigned long)(text[i] - '0');
	if (v < min || v > max)
		return -1;
	*out = (unsigned)v;
	return 0;
}

int mode_parse(const char *text, enum zone_mode *out)
{
	for (int m = 0; m < MODE_COUNT; m++) {
		if (strcmp(text, mode_names[m]) == 0) {
			*out = (enum zone_mode)m;
			return 0;
		}
	}
	return -1;
}

int rate_parse(const char *text, struct rate *out, struct error *err)
{
	const char *slash = strchr(text, '/');
	char count[16];
	unsigned n;

	if (slash && (size_t)(slash - text) < sizeof(count)) {
		memcpy(count, text, (size_t)(slash - text));
		count[slash - text] = '\0';
		for (size_t i = 0; i < ARRAY_SIZE(rate_unit_aliases); i++) {
			if (strcmp(slash + 1, rate_unit_aliases[i].name) == 0 &&
			    config_uint_parse(count, 1, RATE_COUNT_MAX, &n) == 0) {
				out->count = n;
				out->unit = rate_unit_aliases[i].unit;
				return 0;
			}
		}
	}
	return error_set(err, "'%s' is not a rate; write COUNT/UNIT with COUNT 1..%d and UNIT "
			      "second, minute, hour or day, like 1/second",
			 text, RATE_COUNT_MAX);
}

void rate_format(const struct rate *r, char *buf, size_t size)
{
	snprintf(buf, size, "%u/%s", r->count, rate_unit_names[r->unit]);
}

static const unsigned rate_unit_seconds[] = {
	[RATE_SECOND] = 1, [RATE_MINUTE] = 60, [RATE_HOUR] = 3600, [RATE_DAY] = 86400,
};

int duration_parse(const char *text, unsigned max, unsigned *out, struct error *err)
{
	size_t digits = strspn(text, "0123456789");
	const char *unit = text + digits;
	char count[11];
	unsigned n, scale = 1;
	bool known = *unit == '\0';

	for (size_t i = 0; !known && i < ARRAY_SIZE(rate_unit_aliases); i++) {
		if (strcmp(unit, rate_unit_aliases[i].name) == 0) {
			scale = rate_unit_seconds[rate_unit_aliases[i].unit];
			known = true;
		}
	}
	if (known && digits > 0 && digits < sizeof(count)) {
		memcpy(count, text, digits);
		count[digits] = '\0';
		if (config_uint_parse(count, 1, max / scale, &n) == 0) {
			*out = n * scale;
			return 0;
		}
	}
	return error_set(err, "'%s' is not a duration of 1s..%ud; write a number with s, min, h "
			      "or d, like 90s, 10min or 1h",
			 text, max / 86400);
}

void duration_format(unsigned seconds, char *buf, size_t size)
{
	static const char *const short_names[] = {
		[RATE_SECOND] = "s", [RATE_MINUTE] = "min", [RATE_HOUR] = "h", [RATE_DAY] = "d",
	};
	int u = RATE_DAY;

	while (u > RATE_SECOND && (seconds == 0 || seconds % rate_unit_seconds[u] != 0))
		u--;
	snprintf(buf, size, "%u%s", seconds / rate_unit_seconds[u], short_names[u]);
}

int alert_threshold_parse(const char *text, struct alert_threshold *out, struct error *err)
{
	const char *slash = strchr(text, '/');
	char count[16];
	struct alert_threshold t;
	struct error why = { 0 };

	if (strcmp(text, "off") == 0) {
		*out = (struct alert_threshold){ 0 };
		return 0;
	}
	if (slash && (size_t)(slash - text) < sizeof(count)) {
		memcpy(count, text, (size_t)(slash - text));
		count[slash - text] = '\0';
		if (config_uint_parse(count, 1, RATE_COUNT_MAX, &t.count) == 0 &&
		    duration_parse(slash + 1, CONFIG_DURATION_MAX, &t.period, &why) == 0) {
			*out = t;
			return 0;
		}
	}
	return error_set(err, "'%s' is not a threshold; write COUNT/DURATION with COUNT 1..%d, "
			      "like 20/10min, or off",
			 text, RATE_COUNT_MAX);
}

void alert_threshold_format(const struct alert_threshold *t, char *buf, size_t size)
{
	char period[16];

	if (!t->count) {
		snprintf(buf, size, "off");
		return;
	}
	duration_format(t->period, period, sizeof(period));
	snprintf(buf, size, "%u/%s", t->count, period);
}

#define ESCALATE_ACTION "quarantine-smtp"

int escalate_parse(const char *text, unsigned *seconds, struct error *err)
{
	size_t n = strlen(ESCALATE_ACTION);
	struct error why = { 0 };

	if (strcmp(text, "off") == 0) {
		*seconds = 0;
		return 0;
	}
	if (strncmp(text, ESCALATE_ACTION, n) == 0 && (text[n] == ' ' || text[n] == '\t') &&
	    duration_parse(text + n + strspn(text + n, " \t"), CONFIG_DURATION_MAX, seconds,
			   &why) == 0)
		return 0;
	return error_set(err, "'%s' is not an escalation; write off or " ESCALATE_ACTION
			      " DURATION with DURATION 1s..%ud, like " ESCALATE_ACTION " 24h",
			 text, CONFIG_DURATION_MAX / 86400);
}

void escalate_format(unsigned seconds, char *buf, size_t size)
{
	char d[16];

	if (!seconds) {
		snprintf(buf, size, "off");
		return;
	}
	duration_format(seconds, d, sizeof(d));
	snprintf(buf, size, ESCALATE_ACTION " %s", d);
}

int config_log_prefix_check(const char *s, struct error *err)
{
	size_t len = strlen(s);

	if (len == 0)
		return error_set(err, "the prefix is empty; the report and the console find "
				      "log lines by it, so keep one, like \"%s\"",
				 DEFAULT_LOG_PREFIX);
	if (len > LOG_PREFIX_MAX)
		return error_set(err, "\"%s\" is %zu bytes, more than the %d the kernel's LOG "
				      "target takes; shorten it",
				 s, len, LOG_PREFIX_MAX);
	for (size_t i = 0; i < len; i++) {
		if (s[i] < ' ' || s[i] > '~' || s[i] == '"')
			return error_set(err, "the prefix may hold only printable ASCII "
					      "characters and no '\"'; write it like \"%s\"",
					 DEFAULT_LOG_PREFIX);
		if (s[i] == ';' && i > 0 && (s[i - 1] == ' ' || s[i - 1] == '\t'))
			return error_set(err, "a ';' after a space would start a comment in the "
					      "file; remove the space or the ';'");
	}
	return 0;
}

/* RFC 1123 host name whose last label is not all digits (so "300.1.1.1" is not one). */
static bool hostname_valid(const char *s)
{
	size_t len = strlen(s), label = 0;
	bool alpha = false;

	if (len > 1 && s[len - 1] == '.')
		len--;	/* a fully qualified name */
	if (len == 0 || len > 253)
		return false;
	for (size_t i = 0; i <= len; i++) {
		char c = i < len ? s[i] : '\0';

		if (c == '.' || c == '\0') {
			if (label == 0 || s[i - 1] == '-')
				return false;
			label = 0;
			if (c == '.')
				alpha = false;
			continue;
		}
		if (!isascii((unsigned char)c) || !(isalnum((unsigned char)c) || c == '-'))
			return false;
		if (c == '-' && label == 0)
			return false;
		if (isalpha((unsigned char)c) || c == '-')
			alpha = true;
		if (++label > 63)
			return false;
	}
	return alpha;
}

/*
 * The widest prefix a relay or a quarantined host may be, per family.
 * Relays: an IPv4 /8 and an IPv6 /32 (a regional registry's usual
 * allocation to one ISP) are as wide as one provider's mail relays can
 * be.  Quarantine: an IPv4 /16 and an IPv6 /48 (one site) are already
 * far more than a client zone's hosts; wider would cut off networks,
 * not hosts.
 */
enum prefix_list { PREFIX_RELAYS, PREFIX_QUARANTINE };

static const struct {
	unsigned min4, min6;
	const char *all;	/* for a /0 */
	const char *wide;	/* for any other prefix wider than the limit */
	const char *hint;
} prefix_limits[] = {
	[PREFIX_RELAYS] = {
		.min4 = 8, .min6 = 32,
		.all = "would let every host reach port 25 of the whole internet",
		.wide = "would open port 25 to a large part of the internet",
		.hint = "list your ISP's relays instead",
	},
	[PREFIX_QUARANTINE] = {
		.min4 = 16, .min6 = 48,
		.all = "would cut every host off",
		.wide = "is a network, not a host",
		.hint = "list the hosts (an IPv6 host by its /64) or their MACs instead",
	},
};

/* a (as text) is refused when it is wider than list's limit for its family. */
static int prefix_check(enum prefix_list list, const struct addr *a, const char *text,
			struct error *err)
{
	unsigned min = a->family == AF_INET ? prefix_limits[list].min4 : prefix_limits[list].min6;

	if (a->prefix == 0)
		return error_set(err, "%s %s; %s", text, prefix_limits[list].all,
				 prefix_limits[list].hint);
	if (a->prefix < min)
		return error_set(err, "%s is wider than a /%u and %s; %s", text, min,
				 prefix_limits[list].wide, prefix_limits[list].hint);
	return 0;
}

/* A relay as written: an address or network (not too wide), or a host name. */
int config_relay_parse(const char *text, struct relay *out, struct error *err)
{
	struct relay r = { 0 };
	bool numeric = strspn(text, "0123456789.") == strlen(text) || strpbrk(text, ":/") ||
		       text[0] == '!';

	if (!numeric && hostname_valid(text)) {
		if (strlen(text) > CONFIG_ITEM_MAX)
			return error_set(err, "the host name %.40s... is %zu characters, longer than the "
					      "%d a config line holds; give its address instead",
					 text, strlen(text), CONFIG_ITEM_MAX);
		r.is_name = true;
		snprintf(r.text, sizeof(r.text), "%s", text);
		*out = r;
		return 0;
	}
	if (!numeric)
		return error_set(err, "'%s' is neither an address, a network nor a host name; "
				      "write a relay like 203.0.113.10, 203.0.113.16/28 or "
				      "smtp.example.net",
				 text);
	if (addr_parse(text, &r.addr, err) < 0)
		return -1;
	addr_format(&r.addr, r.text, sizeof(r.text));
	if (prefix_check(PREFIX_RELAYS, &r.addr, r.text, err) < 0)
		return -1;
	*out = r;
	return 0;
}

bool config_relay_same(const struct relay *a, const struct relay *b)
{
	if (a->is_name != b->is_name)
		return false;
	return a->is_name ? strcasecmp(a->text, b->text) == 0 : addr_equal(&a->addr, &b->addr);
}

/* "MAC IP": the pair as one item. */
int config_device_parse(const char *item, struct device *out, struct error *err)
{
	char mac[24], ip[ADDR_TEXT_MAX], extra;
	struct device d;

	if (sscanf(item, "%23s %63s %c", mac, ip, &extra) != 2)
		return error_set(err, "'%s' is not a device; write a MAC address and an IP "
				      "address separated by a space, like "
				      "00:02:2d:11:22:33 192.0.2.66, and separate devices by ','",
				 item);
	if (mac_parse(mac, d.mac, err) < 0 || addr_parse(ip, &d.ip, err) < 0)
		return -1;
	if (d.ip.prefix != (d.ip.family == AF_INET ? 32u : 128u))
		return error_set(err, "%s is a network; a device has one host address", ip);
	*out = d;
	return 0;
}

void config_quarantine_format(const struct quarantine *q, char *buf, size_t size)
{
	char mac[18];

	if (q->is_mac) {
		mac_format(q->mac, mac);
		snprintf(buf, size, "%s", mac);
	} else {
		addr_format(&q->addr, buf, size);
	}
}

/*
 * Six groups split by five ':' (no "::") or five '-' can only be a MAC: an
 * IPv6 address without "::" has seven ':'.  Anything else is an address.
 */
int config_quarantine_parse(const char *item, struct quarantine *q, struct error *err)
{
	size_t colons = 0, dashes = 0;
	struct error why = { 0 };
	char text[ADDR_TEXT_MAX];

	memset(q, 0, sizeof(*q));
	for (const char *p = item; *p; p++) {
		colons += *p == ':';
		dashes += *p == '-';
	}
	if ((colons == 5 && !strstr(item, "::")) || dashes == 5) {
		q->is_mac = true;
		return mac_parse(item, q->mac, err);
	}
	if (addr_parse(item, &q->addr, &why) < 0)
		return error_set(err, "%s (a quarantined host is an address, a prefix or a MAC like "
				      "00:02:2d:11:22:33)", why.text);
	addr_format(&q->addr, text, sizeof(text));
	return prefix_check(PREFIX_QUARANTINE, &q->addr, text, err);
}

bool config_quarantine_equal(const struct quarantine *a, const struct quarantine *b)
{
	if (a->is_mac || b->is_mac)
		return a->is_mac == b->is_mac && memcmp(a->mac, b->mac, sizeof(a->mac)) == 0;
	return addr_equal(&a->addr, &b->addr);
}
