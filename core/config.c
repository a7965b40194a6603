/*
 * config.c - the policy model: reading smtpguard.conf with inih,
 * checking it, copying, comparing and editing it; see include/config.h.
 * Writing it back is config_save.c.
 *
 * inih is fed through ini_parse_stream() from the text we read
 * ourselves, one line per reader call, so we know the line of every
 * callback and of every [section] header (inih does not report headers
 * of empty sections).  Before inih sees the text it is checked for NUL
 * bytes and for lines longer than inih's buffer, which inih would
 * silently cut.  The first fault stops the parse.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compile.h"
#include "config.h"
#include "config_priv.h"
#include "sanitize.h"

#define CONFIG_FILE_MAX (1024 * 1024)
#define LIST_ITEM_MAX 180			/* so that "key = ITEM" fits one line */
#define RATE_COUNT_MAX 10000			/* the limit match's scale */

const char *const mode_names[MODE_COUNT] = {
	[MODE_ALLOW] = "allow", [MODE_MONITOR] = "monitor", [MODE_BLOCK] = "block",
	[MODE_LOG] = "log",	[MODE_RATEBAN] = "rateban",
};

static const char *const log_target_names[] = {
	[LOG_TARGET_LOG] = "log",
	[LOG_TARGET_NFLOG] = "nflog",
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

static const char *const bool_true[] = { "yes", "true", "on", "1" };
static const char *const bool_false[] = { "no", "false", "off", "0" };

static const char *const default_log_files[] = { "/var/log/kern.log", "/var/log/messages" };
#define DEFAULT_LOG_PREFIX "Illegal port 25 > "

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* An error in user input: code EXIT_USAGE, "FILE:LINE: " when the place is known. */
__attribute__((format(printf, 4, 5))) static int place_error(struct error *err, const char *file,
							     unsigned line, const char *fmt, ...)
{
	char text[ERROR_TEXT_MAX], safe[ERROR_TEXT_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	/* The sentence quotes the file, which may hold escape sequences. */
	sanitize_text(text, strlen(text), safe, sizeof(safe));
	if (file && line)
		return error_at(err, file, line, "%s", safe);
	error_set(err, "%s%s%s", file ? file : "", file ? ": " : "", safe);
	if (err)
		err->code = EXIT_USAGE;
	return -1;
}

static int usage_error(struct error *err)
{
	if (err)
		err->code = EXIT_USAGE;
	return -1;
}

/* " (line N)" or "" when the item was not read from the file. */
static const char *line_note(unsigned line, char buf[32])
{
	buf[0] = '\0';
	if (line)
		snprintf(buf, 32, " (line %u)", line);
	return buf;
}

static int uint_parse(const char *text, unsigned min, unsigned max, unsigned *out)
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
			    uint_parse(count, 1, RATE_COUNT_MAX, &n) == 0) {
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

static int log_prefix_check(const char *s, struct error *err)
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
static int relay_parse(const char *text, struct relay *out, struct error *err)
{
	struct relay r = { 0 };
	bool numeric = strspn(text, "0123456789.") == strlen(text) || strpbrk(text, ":/") ||
		       text[0] == '!';

	if (!numeric && hostname_valid(text)) {
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

static bool relay_same(const struct relay *a, const struct relay *b)
{
	if (a->is_name != b->is_name)
		return false;
	return a->is_name ? strcasecmp(a->text, b->text) == 0 : addr_equal(&a->addr, &b->addr);
}

static void relays_free(struct relay *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(list[i].resolved);
	free(list);
}

/* Grow *array (of *n elements of size) by one zeroed element; NULL when out of memory. */
static void *array_grow(void *array_ptr, size_t *n, size_t size)
{
	void **array = array_ptr;
	char *p = realloc(*array, (*n + 1) * size);

	if (!p)
		return NULL;
	*array = p;
	memset(p + *n * size, 0, size);
	return p + (*n)++ * size;
}

static int out_of_memory(struct error *err)
{
	return error_set(err, "out of memory while reading the config; free some memory and "
			      "try again");
}

static int relays_add(struct config *cfg, struct zone *z, const char *item, unsigned line,
		      struct error *err)
{
	struct relay **list = z ? &z->relays : &cfg->relays;
	size_t *n = z ? &z->nrelays : &cfg->nrelays;
	struct relay r = { 0 }, *slot;
	char at[32];

	if (relay_parse(item, &r, err) < 0)
		return -1;
	r.line = line;
	for (size_t i = 0; i < *n; i++) {
		const struct relay *e = &(*list)[i];

		if (relay_same(e, &r))
			return error_set(err, "%s is listed twice%s; keep one", r.text,
					 line_note(e->line, at));
		if (!e->is_name && !r.is_name &&
		    (addr_contains(&e->addr, &r.addr) || addr_contains(&r.addr, &e->addr)))
			return error_set(err, "%s overlaps %s%s; keep the wider one", r.text,
					 e->text, line_note(e->line, at));
	}
	slot = array_grow(list, n, sizeof(**list));
	if (!slot)
		return out_of_memory(err);
	*slot = r;
	return 0;
}

static int wan_add(struct config *cfg, struct zone *z, const char *item, unsigned line,
		   struct error *err)
{
	if (ifname_check(item, err) < 0)
		return -1;
	for (size_t i = 0; i < cfg->nwan; i++)
		if (ifname_overlap(cfg->wan[i], item))
			return error_set(err, "%s is listed twice (as %s); keep one", item,
					 cfg->wan[i]);
	if (cfg->nwan == CONFIG_MAX_WAN)
		return error_set(err, "more than %d WAN interfaces; list at most %d",
				 CONFIG_MAX_WAN, CONFIG_MAX_WAN);
	snprintf(cfg->wan[cfg->nwan++], sizeof(cfg->wan[0]), "%s", item);
	return 0;
}

static int ports_add(struct config *cfg, struct zone *z, const char *item, unsigned line,
		     struct error *err)
{
	uint16_t port;

	if (port_parse(item, &port, err) < 0)
		return -1;
	for (size_t i = 0; i < cfg->nports; i++)
		if (cfg->ports[i] == port)
			return error_set(err, "port %u is listed twice; keep one", port);
	if (cfg->nports == CONFIG_MAX_PORTS)
		return error_set(err, "more than %d ports; one multiport match holds at most %d",
				 CONFIG_MAX_PORTS, CONFIG_MAX_PORTS);
	cfg->ports[cfg->nports++] = port;
	return 0;
}

static int log_files_add(struct config *cfg, struct zone *z, const char *item, unsigned line,
			 struct error *err)
{
	char **slot;

	if (item[0] != '/')
		return error_set(err, "%s is not an absolute path; write the full path, like "
				      "/var/log/kern.log",
				 item);
	for (const char *p = item; *p; p++)
		if ((unsigned char)*p < ' ' || *p == 0x7f)
			return error_set(err, "a log file name holds a control character; "
					      "write the path as plain text");
	for (size_t i = 0; i < cfg->nlog_files; i++)
		if (strcmp(cfg->log_files[i], item) == 0)
			return error_set(err, "%s is listed twice; keep one", item);
	slot = array_grow(&cfg->log_files, &cfg->nlog_files, sizeof(*slot));
	if (!slot)
		return out_of_memory(err);
	*slot = strdup(item);
	if (!*slot) {
		cfg->nlog_files--;
		return out_of_memory(err);
	}
	return 0;
}

/* "MAC IP": the pair as one item. */
static int device_parse(const char *item, struct device *out, struct error *err)
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

static int devices_add(struct config *cfg, struct zone *z, const char *item, unsigned line,
		       struct error *err)
{
	struct device d, *slot;
	char text[ADDR_TEXT_MAX];

	if (device_parse(item, &d, err) < 0)
		return -1;
	for (size_t i = 0; i < z->ndevices; i++) {
		if (addr_equal(&z->devices[i].ip, &d.ip)) {
			addr_format(&d.ip, text, sizeof(text));
			return error_set(err, "%s is listed twice; an address belongs to one "
					      "device, keep one",
					 text);
		}
	}
	slot = array_grow(&z->devices, &z->ndevices, sizeof(*slot));
	if (!slot)
		return out_of_memory(err);
	*slot = d;
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
static int quarantine_parse(const char *item, struct quarantine *q, struct error *err)
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

static bool quarantine_equal(const struct quarantine *a, const struct quarantine *b)
{
	if (a->is_mac || b->is_mac)
		return a->is_mac == b->is_mac && memcmp(a->mac, b->mac, sizeof(a->mac)) == 0;
	return addr_equal(&a->addr, &b->addr);
}

static int quarantine_add(struct config *cfg, struct zone *z, const char *item, unsigned line,
			  struct error *err)
{
	struct quarantine q, *slot;
	char text[ADDR_TEXT_MAX], other[ADDR_TEXT_MAX];

	if (quarantine_parse(item, &q, err) < 0)
		return -1;
	config_quarantine_format(&q, text, sizeof(text));
	for (size_t i = 0; i < z->nquarantine; i++) {
		const struct quarantine *e = &z->quarantine[i];

		if (quarantine_equal(e, &q))
			return error_set(err, "%s is listed twice; keep one", text);
		if (!e->is_mac && !q.is_mac &&
		    (addr_contains(&e->addr, &q.addr) || addr_contains(&q.addr, &e->addr))) {
			config_quarantine_format(e, other, sizeof(other));
			return error_set(err, "%s overlaps %s; keep the wider one", text, other);
		}
	}
	slot = array_grow(&z->quarantine, &z->nquarantine, sizeof(*slot));
	if (!slot)
		return out_of_memory(err);
	*slot = q;
	return 0;
}

static unsigned *uint_field(const struct config_key *k, const struct config *cfg,
			    const struct zone *z)
{
	return (unsigned *)(k->zone ? (const char *)z + k->offset : (const char *)cfg + k->offset);
}

static int set_uint(const struct config_key *k, struct config *cfg, struct zone *z,
		    const char *value, struct error *err)
{
	if (uint_parse(value, k->min, k->max, uint_field(k, cfg, z)) < 0)
		return error_set(err, "'%s' is not a whole number %u..%u; write one in that range",
				 value, k->min, k->max);
	return 0;
}

static int set_log_target(const struct config_key *k, struct config *cfg, struct zone *z,
			  const char *value, struct error *err)
{
	for (size_t i = 0; i < ARRAY_SIZE(log_target_names); i++) {
		if (strcmp(value, log_target_names[i]) == 0) {
			cfg->log_target = (enum log_target)i;
			return 0;
		}
	}
	return error_set(err, "'%s' is not a log target; write log (kernel log) or nflog", value);
}

static int set_log_prefix(const struct config_key *k, struct config *cfg, struct zone *z,
			  const char *value, struct error *err)
{
	char text[LOG_PREFIX_MAX + 1];
	size_t len = strlen(value);

	if (len > LOG_PREFIX_MAX)
		return error_set(err, "the prefix is %zu bytes, more than the %d the kernel's "
				      "LOG target takes; shorten it",
				 len, LOG_PREFIX_MAX);
	memcpy(text, value, len);
	text[len] = '\0';
	/* The kernel prints the prefix right before "IN=": keep them apart, as the article's "... > " does. */
	if (len > 0 && len < LOG_PREFIX_MAX && text[len - 1] != ' ') {
		text[len++] = ' ';
		text[len] = '\0';
	}
	if (log_prefix_check(text, err) < 0)
		return -1;
	memcpy(cfg->log_prefix, text, len + 1);
	return 0;
}

static int set_log_limit(const struct config_key *k, struct config *cfg, struct zone *z,
			 const char *value, struct error *err)
{
	return rate_parse(value, &cfg->log_limit, err);
}

static int set_interface(const struct config_key *k, struct config *cfg, struct zone *z,
			 const char *value, struct error *err)
{
	if (ifname_check(value, err) < 0)
		return -1;
	snprintf(z->interface, sizeof(z->interface), "%s", value);
	return 0;
}

static int set_mode(const struct config_key *k, struct config *cfg, struct zone *z,
		    const char *value, struct error *err)
{
	if (mode_parse(value, &z->mode) < 0)
		return error_set(err, "'%s' is not a mode; write allow, monitor, block, log or "
				      "rateban",
				 value);
	return 0;
}

static int set_protect_gateway(const struct config_key *k, struct config *cfg, struct zone *z,
			       const char *value, struct error *err)
{
	for (size_t i = 0; i < ARRAY_SIZE(bool_true); i++) {
		if (strcasecmp(value, bool_true[i]) == 0 || strcasecmp(value, bool_false[i]) == 0) {
			z->protect_gateway = strcasecmp(value, bool_true[i]) == 0;
			return 0;
		}
	}
	return error_set(err, "'%s' is not yes or no; write yes or no", value);
}

static void print_uint(const struct config_key *k, const struct config *cfg, const struct zone *z,
		       FILE *out)
{
	fprintf(out, "%u", *uint_field(k, cfg, z));
}

static void print_wan(const struct config_key *k, const struct config *cfg, const struct zone *z,
		      FILE *out)
{
	for (size_t i = 0; i < cfg->nwan; i++)
		fprintf(out, "%s%s", i ? ", " : "", cfg->wan[i]);
}

static void print_ports(const struct config_key *k, const struct config *cfg,
			const struct zone *z, FILE *out)
{
	for (size_t i = 0; i < cfg->nports; i++)
		fprintf(out, "%s%u", i ? ", " : "", cfg->ports[i]);
}

static void print_relays(const struct config_key *k, const struct config *cfg,
			 const struct zone *z, FILE *out)
{
	const struct relay *list = k->zone ? z->relays : cfg->relays;
	size_t n = k->zone ? z->nrelays : cfg->nrelays;

	for (size_t i = 0; i < n; i++)
		fprintf(out, "%s%s", i ? ", " : "", list[i].text);
}

static void print_log_target(const struct config_key *k, const struct config *cfg,
			     const struct zone *z, FILE *out)
{
	fputs(log_target_names[cfg->log_target], out);
}

static void print_log_prefix(const struct config_key *k, const struct config *cfg,
			     const struct zone *z, FILE *out)
{
	fprintf(out, "\"%s\"", cfg->log_prefix);
}

static void print_log_limit(const struct config_key *k, const struct config *cfg,
			    const struct zone *z, FILE *out)
{
	char buf[32];

	rate_format(&cfg->log_limit, buf, sizeof(buf));
	fputs(buf, out);
}

static void print_log_files(const struct config_key *k, const struct config *cfg,
			    const struct zone *z, FILE *out)
{
	for (size_t i = 0; i < cfg->nlog_files; i++)
		fprintf(out, "%s%s", i ? ", " : "", cfg->log_files[i]);
}

static void print_interface(const struct config_key *k, const struct config *cfg,
			    const struct zone *z, FILE *out)
{
	fputs(z->interface, out);
}

static void print_mode(const struct config_key *k, const struct config *cfg, const struct zone *z,
		       FILE *out)
{
	fputs(mode_names[z->mode], out);
}

static void print_protect_gateway(const struct config_key *k, const struct config *cfg,
				  const struct zone *z, FILE *out)
{
	fputs(z->protect_gateway ? "yes" : "no", out);
}

static void print_devices(const struct config_key *k, const struct config *cfg,
			  const struct zone *z, FILE *out)
{
	char mac[18], ip[ADDR_TEXT_MAX];

	for (size_t i = 0; i < z->ndevices; i++) {
		mac_format(z->devices[i].mac, mac);
		addr_format(&z->devices[i].ip, ip, sizeof(ip));
		fprintf(out, "%s%s %s", i ? ", " : "", mac, ip);
	}
}

static void print_quarantine(const struct config_key *k, const struct config *cfg,
			     const struct zone *z, FILE *out)
{
	char text[ADDR_TEXT_MAX];

	for (size_t i = 0; i < z->nquarantine; i++) {
		config_quarantine_format(&z->quarantine[i], text, sizeof(text));
		fprintf(out, "%s%s", i ? ", " : "", text);
	}
}

enum config_key_id {
	KEY_WAN,
	KEY_PORTS,
	KEY_RELAYS,
	KEY_LOG_TARGET,
	KEY_NFLOG_GROUP,
	KEY_LOG_PREFIX,
	KEY_LOG_LIMIT,
	KEY_LOG_BURST,
	KEY_CONFIRM,
	KEY_LOG_FILES,
	KEY_ZONE_INTERFACE,
	KEY_ZONE_MODE,
	KEY_ZONE_RELAYS,
	KEY_ZONE_PROTECT_GATEWAY,
	KEY_ZONE_BAN_SECONDS,
	KEY_ZONE_BAN_PREFIX6,
	KEY_ZONE_DEVICES,
	KEY_ZONE_QUARANTINE,
	KEY_COUNT
};

const struct config_key config_keys[KEY_COUNT] = {
	[KEY_WAN] = { .name = "wan", .add = wan_add, .print = print_wan,
		      .help = "uplink interface(s), comma-separated (required)" },
	[KEY_PORTS] = { .name = "ports", .add = ports_add, .print = print_ports,
			.help = "guarded TCP destination ports, 1..15 of them (default 25)" },
	[KEY_RELAYS] = { .name = "relays", .add = relays_add, .print = print_relays,
			 .help = "mail relays every zone may reach: address, CIDR or host name" },
	[KEY_LOG_TARGET] = { .name = "log_target", .set = set_log_target,
			     .print = print_log_target, .help = "log | nflog (default log)" },
	[KEY_NFLOG_GROUP] = { .name = "nflog_group", .set = set_uint, .print = print_uint,
			      .offset = offsetof(struct config, nflog_group), .min = 0,
			      .max = 65535, .help = "NFLOG group 0..65535 (default 25)" },
	[KEY_LOG_PREFIX] = { .name = "log_prefix", .set = set_log_prefix,
			     .print = print_log_prefix,
			     .help = "prefix of every log line, at most 29 bytes, quoted to keep "
				     "a trailing space" },
	[KEY_LOG_LIMIT] = { .name = "log_limit", .set = set_log_limit, .print = print_log_limit,
			    .help = "rate limit of every log rule (default 1/second)" },
	[KEY_LOG_BURST] = { .name = "log_burst", .set = set_uint, .print = print_uint,
			    .offset = offsetof(struct config, log_burst), .min = 1,
			    .max = 10000, .help = "burst of the log rate limit, 1..10000 (default 5)" },
	[KEY_CONFIRM] = { .name = "confirm", .set = set_uint, .print = print_uint,
			  .offset = offsetof(struct config, confirm), .min = 0, .max = 3600,
			  .help = "seconds before an unconfirmed change is rolled back, 0 = off "
				  "(default 60)" },
	[KEY_LOG_FILES] = { .name = "log_files", .add = log_files_add, .print = print_log_files,
			    .help = "where the report and the console look for log lines" },
	[KEY_ZONE_INTERFACE] = { .name = "interface", .zone = true, .set = set_interface,
				 .print = print_interface,
				 .help = "the interface the zone's clients are on (required)" },
	[KEY_ZONE_MODE] = { .name = "mode", .zone = true, .always = true, .set = set_mode,
			    .print = print_mode,
			    .help = "allow | monitor | block | log | rateban (default monitor)" },
	[KEY_ZONE_RELAYS] = { .name = "relays", .zone = true, .add = relays_add,
			      .print = print_relays, .help = "extra relays of this zone" },
	[KEY_ZONE_PROTECT_GATEWAY] = { .name = "protect_gateway", .zone = true,
				       .set = set_protect_gateway,
				       .print = print_protect_gateway,
				       .help = "drop the zone's connections to the gateway's own "
					       "guarded ports (default no)" },
	[KEY_ZONE_BAN_SECONDS] = { .name = "ban_seconds", .zone = true, .set = set_uint,
				   .print = print_uint,
				   .offset = offsetof(struct zone, ban_seconds), .min = 1,
				   .max = 86400, .help = "rateban window, 1..86400 (default 60)" },
	[KEY_ZONE_BAN_PREFIX6] = { .name = "ban_prefix6", .zone = true, .set = set_uint,
				   .print = print_uint,
				   .offset = offsetof(struct zone, ban_prefix6), .min = 1,
				   .max = 128, .help = "IPv6 rateban bans the host's /N, 1..128 (default 64)" },
	[KEY_ZONE_DEVICES] = { .name = "devices", .zone = true, .add = devices_add,
			       .print = print_devices,
			       .help = "\"MAC IP\" pairs; when set only they may reach the WAN" },
	[KEY_ZONE_QUARANTINE] = { .name = "quarantine", .zone = true, .add = quarantine_add,
				  .print = print_quarantine,
				  .help = "hosts or networks whose forwarded traffic is dropped" },
};
const size_t config_nkeys = KEY_COUNT;

const char *config_key_help(bool zone, const char *name)
{
	for (size_t k = 0; k < config_nkeys; k++)
		if (config_keys[k].zone == zone && strcmp(config_keys[k].name, name) == 0)
			return config_keys[k].help;
	return NULL;
}

char *config_key_value(const struct config_key *k, const struct config *cfg,
		       const struct zone *z)
{
	char *text = NULL;
	size_t size;
	FILE *out = open_memstream(&text, &size);

	if (!out)
		return NULL;
	k->print(k, cfg, z, out);
	if (fclose(out) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

void config_zone_init(struct zone *z)
{
	memset(z, 0, sizeof(*z));
	z->mode = MODE_MONITOR;
	z->ban_seconds = 60;
	z->ban_prefix6 = COMPILE_BAN_PREFIX6;
}

struct config *config_new_default(void)
{
	struct config *cfg = calloc(1, sizeof(*cfg));

	if (!cfg)
		return NULL;
	cfg->ports[0] = 25;
	cfg->nports = 1;
	cfg->log_target = LOG_TARGET_LOG;
	cfg->nflog_group = 25;
	snprintf(cfg->log_prefix, sizeof(cfg->log_prefix), "%s", DEFAULT_LOG_PREFIX);
	cfg->log_limit = (struct rate){ .count = 1, .unit = RATE_SECOND };
	cfg->log_burst = 5;
	cfg->confirm = 60;
	for (size_t i = 0; i < ARRAY_SIZE(default_log_files); i++) {
		if (log_files_add(cfg, NULL, default_log_files[i], 0, NULL) < 0) {
			config_free(cfg);
			return NULL;
		}
	}
	return cfg;
}

static void zone_release(struct zone *z)
{
	relays_free(z->relays, z->nrelays);
	free(z->devices);
	free(z->quarantine);
}

void config_free(struct config *cfg)
{
	if (!cfg)
		return;
	free(cfg->path);
	relays_free(cfg->relays, cfg->nrelays);
	for (size_t i = 0; i < cfg->nlog_files; i++)
		free(cfg->log_files[i]);
	free(cfg->log_files);
	for (size_t i = 0; i < cfg->nzones; i++)
		zone_release(&cfg->zones[i]);
	free(cfg->zones);
	free(cfg->source);
	free(cfg);
}

static void *mem_dup(const void *p, size_t size)
{
	void *q;

	if (!p || size == 0)
		return NULL;
	q = malloc(size);
	if (q)
		memcpy(q, p, size);
	return q;
}

/* Deep copy of a relay list into *dst; on failure *dst is freed and NULL. */
static int relays_copy(struct relay **dst, const struct relay *src, size_t n)
{
	*dst = mem_dup(src, n * sizeof(*src));
	if (n && !*dst)
		return -1;
	for (size_t i = 0; i < n; i++) {
		(*dst)[i].resolved = mem_dup(src[i].resolved, src[i].nresolved * sizeof(struct addr));
		if (src[i].nresolved && !(*dst)[i].resolved) {
			(*dst)[i].nresolved = 0;
			relays_free(*dst, i + 1);
			*dst = NULL;
			return -1;
		}
	}
	return 0;
}

static int zone_copy(struct zone *dst, const struct zone *src)
{
	*dst = *src;
	dst->devices = mem_dup(src->devices, src->ndevices * sizeof(*src->devices));
	dst->quarantine = mem_dup(src->quarantine, src->nquarantine * sizeof(*src->quarantine));
	if (relays_copy(&dst->relays, src->relays, src->nrelays) < 0)
		dst->nrelays = 0;
	if ((src->ndevices && !dst->devices) || (src->nquarantine && !dst->quarantine) ||
	    (src->nrelays && !dst->relays)) {
		zone_release(dst);
		return -1;
	}
	return 0;
}

struct config *config_copy(const struct config *src)
{
	struct config *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	*c = *src;
	c->path = NULL;
	c->source = NULL;
	c->relays = NULL;
	c->nrelays = 0;
	c->log_files = NULL;
	c->nlog_files = 0;
	c->zones = NULL;
	c->nzones = 0;
	if ((src->path && !(c->path = strdup(src->path))) ||
	    (src->source && !(c->source = strdup(src->source))))
		goto fail;
	if (relays_copy(&c->relays, src->relays, src->nrelays) < 0)
		goto fail;
	c->nrelays = src->nrelays;
	if (src->nlog_files && !(c->log_files = calloc(src->nlog_files, sizeof(char *))))
		goto fail;
	for (; c->nlog_files < src->nlog_files; c->nlog_files++)
		if (!(c->log_files[c->nlog_files] = strdup(src->log_files[c->nlog_files])))
			goto fail;
	if (src->nzones && !(c->zones = calloc(src->nzones, sizeof(*c->zones))))
		goto fail;
	for (; c->nzones < src->nzones; c->nzones++)
		if (zone_copy(&c->zones[c->nzones], &src->zones[c->nzones]) < 0)
			goto fail;
	return c;
fail:
	config_free(c);
	return NULL;
}

static bool key_equal(const struct config_key *k, const struct config *a, const struct zone *za,
		      const struct config *b, const struct zone *zb)
{
	char *va = config_key_value(k, a, za), *vb = config_key_value(k, b, zb);
	bool same = va && vb && strcmp(va, vb) == 0;

	free(va);
	free(vb);
	return same;
}

bool config_equal(const struct config *a, const struct config *b)
{
	if (a->nzones != b->nzones)
		return false;
	for (size_t i = 0; i < a->nzones; i++)
		if (strcmp(a->zones[i].name, b->zones[i].name) != 0)
			return false;
	for (size_t k = 0; k < config_nkeys; k++) {
		const struct config_key *key = &config_keys[k];

		if (!key->zone && !key_equal(key, a, NULL, b, NULL))
			return false;
		for (size_t i = 0; key->zone && i < a->nzones; i++)
			if (!key_equal(key, a, &a->zones[i], b, &b->zones[i]))
				return false;
	}
	return true;
}

/* ---- reading ---- */

struct parser {
	struct config *cfg;
	const char *name;		/* file name for messages */
	const char *text;
	size_t len, pos;
	unsigned line;			/* of the line last handed to inih */
	enum config_line_kind kind;	/* of that line */
	long zone;			/* index in cfg->zones, -1 in [general] */
	bool in_section;
	bool key_seen;			/* a key since the header: indented lines continue it */
	unsigned general_line;
	unsigned seen[KEY_COUNT];	/* line each key of the current section was first set */
	struct config_map map;
	struct error *err;
	unsigned fail_line;		/* line of the first fault, 0 while all is well */
};

__attribute__((format(printf, 2, 3))) static bool parser_fail(struct parser *p, const char *fmt,
								 ...)
{
	char text[ERROR_TEXT_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	place_error(p->err, p->name, p->line, "%s", text);
	p->fail_line = p->line;
	return false;
}

static char *trim(char *s)
{
	char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
		*--end = '\0';
	return s;
}

static bool section_open(struct parser *p, char *header)
{
	struct config *cfg = p->cfg;
	struct config_section *sec;
	struct error e = { 0 };
	struct zone *z;
	char *name = trim(header);

	p->in_section = true;
	p->key_seen = false;
	memset(p->seen, 0, sizeof(p->seen));
	sec = array_grow(&p->map.sections, &p->map.nsections, sizeof(*sec));
	if (!sec)
		return parser_fail(p, "out of memory; free some memory and try again");
	if (strcmp(name, "general") == 0) {
		if (p->general_line)
			return parser_fail(p, "[general] appears twice (first at line %u); merge "
					      "them into one section",
					   p->general_line);
		p->general_line = p->line;
		p->zone = -1;
		return true;
	}
	if (strncmp(name, "zone", 4) != 0 || (name[4] != ' ' && name[4] != '\t' && name[4]))
		return parser_fail(p, "unknown section [%s]; the sections are [general] and "
				      "[zone NAME]",
				   name);
	name = trim(name + 4);
	if (!*name)
		return parser_fail(p, "[zone] has no name; write [zone NAME], like [zone wlan]");
	if (zonename_check(name, &e) < 0)
		return parser_fail(p, "%s (the chain SMTPGUARD-NAME must fit iptables)", e.text);
	for (size_t i = 0; i < cfg->nzones; i++)
		if (strcmp(cfg->zones[i].name, name) == 0)
			return parser_fail(p, "zone %s is defined twice (first at line %u); merge "
					      "the two sections or rename one",
					   name, cfg->zones[i].line);
	if (cfg->nzones == CONFIG_MAX_ZONES)
		return parser_fail(p, "more than %d zones; merge some", CONFIG_MAX_ZONES);
	z = array_grow(&cfg->zones, &cfg->nzones, sizeof(*z));
	if (!z)
		return parser_fail(p, "out of memory; free some memory and try again");
	config_zone_init(z);
	snprintf(z->name, sizeof(z->name), "%s", name);
	z->line = p->line;
	p->zone = (long)cfg->nzones - 1;
	sec->zone = true;
	snprintf(sec->name, sizeof(sec->name), "%s", name);
	return true;
}

/* A section header as inih sees it: '[' first (after blanks), then ']'. */
static bool reader_header(struct parser *p, char *line)
{
	char *s = line + strspn(line, " \t"), *end;
	char *rest;

	if (*s != '[')
		return true;
	end = strchr(s, ']');
	if (!end)
		return true;	/* inih reports it */
	*end = '\0';
	rest = end + 1 + strspn(end + 1, " \t\r\n");
	if (*rest && *rest != ';' && *rest != '#') {
		*end = ']';
		return parser_fail(p, "text after the section header [%s]; put it on its own "
				      "line or start it with ';'",
				   s + 1);
	}
	p->kind = CONFIG_LINE_HEADER;
	if (!section_open(p, s + 1)) {
		*end = ']';
		return false;
	}
	*end = ']';
	return true;
}

/* inih's fgets: one line of the text per call; CR of CRLF and a leading BOM dropped. */
static char *parser_read(char *str, int num, void *stream)
{
	struct parser *p = stream;
	const char *start = p->text + p->pos, *nl;
	size_t linelen, content;
	struct config_line *ml;
	char *s;

	if (p->fail_line || p->pos >= p->len)
		return NULL;
	nl = memchr(start, '\n', p->len - p->pos);
	linelen = nl ? (size_t)(nl - start) + 1 : p->len - p->pos;
	content = nl ? linelen - 1 : linelen;
	if (content && start[content - 1] == '\r')
		content--;
	p->line++;
	if (p->line == 1 && content >= 3 && memcmp(start, "\xef\xbb\xbf", 3) == 0) {
		start += 3;
		content -= 3;
	}
	/* config_parse_map() refused longer lines before inih ran. */
	if (content + 2 > (size_t)num)
		content = (size_t)num - 2;
	memcpy(str, start, content);
	str[content] = '\n';
	str[content + 1] = '\0';

	s = str + strspn(str, " \t");
	if (*s == ';' || *s == '#' || *s == '\n')
		p->kind = CONFIG_LINE_OTHER;
	else if (p->key_seen && s > str)
		p->kind = CONFIG_LINE_CONT;
	else
		p->kind = CONFIG_LINE_KEY;
	ml = array_grow(&p->map.lines, &p->map.nlines, sizeof(*ml));
	if (!ml) {
		parser_fail(p, "out of memory; free some memory and try again");
		return NULL;
	}
	ml->start = p->pos;
	ml->len = linelen;
	ml->key = -1;
	p->pos += linelen;
	if (p->kind == CONFIG_LINE_KEY && !reader_header(p, str))
		return NULL;
	ml->kind = p->kind;
	ml->section = p->in_section ? (int)p->map.nsections - 1 : -1;
	return str;
}

/* The first line of a list key replaces its default. */
static void list_reset(struct config *cfg, size_t id)
{
	if (id == KEY_PORTS)
		cfg->nports = 0;
	if (id != KEY_LOG_FILES)
		return;
	for (size_t i = 0; i < cfg->nlog_files; i++)
		free(cfg->log_files[i]);
	cfg->nlog_files = 0;
}

static const char *key_list(bool zone, char *buf, size_t size)
{
	size_t n = 0;

	buf[0] = '\0';
	for (size_t k = 0; k < config_nkeys && n < size; k++)
		if (config_keys[k].zone == zone)
			n += (size_t)snprintf(buf + n, size - n, "%s%s", n ? ", " : "",
					      config_keys[k].name);
	return buf;
}

/* Each comma-separated item of value to list key k; a trailing ',' is allowed. */
static int list_add_items(const struct config_key *k, struct config *cfg, struct zone *z,
			  char *value, unsigned line, struct error *err)
{
	char *item = value, *comma;

	for (;;) {
		comma = strchr(item, ',');
		if (comma)
			*comma = '\0';
		item = trim(item);
		if (!*item && comma)
			return error_set(err, "an empty item between commas; remove the extra ','");
		if (strlen(item) > LIST_ITEM_MAX)
			return error_set(err, "an item is longer than %d characters; shorten it",
					 LIST_ITEM_MAX);
		if (*item && k->add(cfg, z, item, line, err) < 0)
			return -1;
		if (!comma)
			return 0;
		item = comma + 1;
	}
}

static int parser_key(void *user, const char *section, const char *name, const char *value)
{
	struct parser *p = user;
	struct zone *z = p->zone >= 0 ? &p->cfg->zones[p->zone] : NULL;
	const struct config_key *k = NULL;
	struct error e = { 0 };
	char keys[256], *copy, *v;
	size_t id, len;
	int rc;

	if (p->fail_line)
		return 0;
	if (!p->in_section)
		return parser_fail(p, "%s is outside any section; put it under [general] or "
				      "[zone NAME]",
				   name);
	for (id = 0; id < config_nkeys; id++) {
		if (config_keys[id].zone == (z != NULL) && strcmp(config_keys[id].name, name) == 0) {
			k = &config_keys[id];
			break;
		}
	}
	if (!k)
		return parser_fail(p, "unknown key %s in [%s]; the keys there are %s", name,
				   z ? "zone" : "general", key_list(z != NULL, keys, sizeof(keys)));
	p->key_seen = true;
	p->map.lines[p->line - 1].key = (int)id;
	if (p->kind == CONFIG_LINE_CONT && value[0] == '[')
		return parser_fail(p, "an indented line continues %s; write section headers at "
				      "the start of the line",
				   name);
	if (!k->add && p->kind == CONFIG_LINE_CONT)
		return parser_fail(p, "%s: this indented line continues %s, which takes one "
				      "value; remove the indentation or the line",
				   name, name);
	if (!k->add && p->seen[id])
		return parser_fail(p, "%s is set twice (first at line %u); keep one", name,
				   p->seen[id]);
	if (!p->seen[id]) {
		list_reset(p->cfg, id);
		p->seen[id] = p->line;
	}
	copy = strdup(value);
	if (!copy)
		return parser_fail(p, "out of memory; free some memory and try again");
	/* Quotes keep spaces at the ends, which inih strips from a bare value. */
	v = copy;
	len = strlen(v);
	if (len >= 2 && v[0] == '"' && v[len - 1] == '"') {
		v[len - 1] = '\0';
		v++;
	}
	if (k->add)
		rc = list_add_items(k, p->cfg, z, v, p->line, &e);
	else
		rc = k->set(k, p->cfg, z, v, &e);
	free(copy);
	if (rc < 0)
		return parser_fail(p, "%s: %s", name, e.text);
	return 1;
}

void config_map_free(struct config_map *map)
{
	free(map->lines);
	free(map->sections);
	map->lines = NULL;
	map->sections = NULL;
	map->nlines = map->nsections = 0;
}

/* NUL bytes and lines inih would cut, refused with their line. */
static int text_scan(const char *text, size_t len, const char *name, struct error *err)
{
	unsigned line = 1;
	size_t start = 0;

	if (len == 0)
		return place_error(err, name, 1, "the file is empty; start from the example "
						 "smtpguard.conf, which lists every key");
	for (size_t i = 0; i <= len; i++) {
		if (i < len && text[i] == '\0')
			return place_error(err, name, line, "contains a NUL byte at line %u; this "
							    "is not a text config, check the file "
							    "name",
					   line);
		if (i == len || text[i] == '\n') {
			size_t n = i - start;

			if (n && text[i - 1] == '\r')
				n--;
			if (n > CONFIG_LINE_MAX)
				return place_error(err, name, line,
						   "line %u is %zu bytes, longer than the %d a line "
						   "may be; split it: repeat the key on a new line, "
						   "or continue the list on indented lines",
						   line, n, CONFIG_LINE_MAX);
			start = i + 1;
			line++;
		}
	}
	return 0;
}

static int parser_finish(struct parser *p)
{
	struct config *cfg = p->cfg;

	if (!p->general_line)
		return place_error(p->err, p->name, 0,
				   "there is no [general] section; add one with at least "
				   "wan = (your uplink interface)");
	if (cfg->nwan == 0)
		return place_error(p->err, p->name, p->general_line,
				   "[general] has no wan; name the uplink interface(s), like "
				   "wan = eth0");
	for (size_t i = 0; i < cfg->nzones; i++)
		if (!cfg->zones[i].interface[0])
			return place_error(p->err, p->name, cfg->zones[i].line,
					   "zone %s has no interface; add interface = (the "
					   "interface its clients are on)",
					   cfg->zones[i].name);
	return config_validate(cfg, p->err);
}

struct config *config_parse_map(const char *text, size_t len, const char *name,
				struct config_map *map, struct error *err)
{
	struct parser p = { .name = name, .text = text, .len = len, .zone = -1, .err = err };
	int rc;

	if (text_scan(text, len, name, err) < 0)
		return NULL;
	p.cfg = config_new_default();
	if (!p.cfg || !(p.cfg->path = strdup(name)) || !(p.cfg->source = malloc(len + 1))) {
		config_free(p.cfg);
		error_set(err, "out of memory reading %s; free some memory and try again", name);
		return NULL;
	}
	memcpy(p.cfg->source, text, len);
	p.cfg->source[len] = '\0';
	rc = ini_parse_stream(parser_read, &p, parser_key, &p);
	if (rc < 0 && !p.fail_line) {
		parser_fail(&p, "out of memory; free some memory and try again");
	} else if (rc > 0 && (!p.fail_line || (unsigned)rc < p.fail_line)) {
		p.line = (unsigned)rc;
		parser_fail(&p, "this line is neither a [section] header nor a key = value "
				"setting; fix it, or start it with ';' to make it a comment");
	}
	if (p.fail_line || parser_finish(&p) < 0) {
		config_map_free(&p.map);
		config_free(p.cfg);
		return NULL;
	}
	if (map)
		*map = p.map;
	else
		config_map_free(&p.map);
	return p.cfg;
}

struct config *config_parse(const char *text, size_t len, const char *name, struct error *err)
{
	return config_parse_map(text, len, name, NULL, err);
}

struct config *config_load(const char *path, struct error *err)
{
	struct config *cfg = NULL;
	struct stat st;
	char *text;
	size_t len = 0;
	ssize_t n;
	int fd;

	/* O_NONBLOCK: a FIFO must not hang us before fstat() refuses it. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		error_set(err, "cannot open %s: %s; check the path (give another with -c FILE)",
			  path, strerror(errno));
		return usage_error(err), NULL;
	}
	if (fstat(fd, &st) < 0) {
		error_set(err, "cannot read %s: %s; check the file", path, strerror(errno));
		close(fd);
		return NULL;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > CONFIG_FILE_MAX) {
		if (S_ISDIR(st.st_mode))
			place_error(err, path, 0, "is a directory; give the config file, like "
						  "%s/smtpguard.conf",
				    path);
		else if (!S_ISREG(st.st_mode))
			place_error(err, path, 0, "is not a regular file (a device, FIFO or "
						  "socket); give the config file");
		else
			place_error(err, path, 0, "is %lld bytes, more than the %d a config may "
						  "be; check the file name",
				    (long long)st.st_size, CONFIG_FILE_MAX);
		close(fd);
		return NULL;
	}
	text = malloc(CONFIG_FILE_MAX + 1);
	if (!text) {
		close(fd);
		error_set(err, "out of memory reading %s; free some memory and try again", path);
		return NULL;
	}
	while ((n = read(fd, text + len, CONFIG_FILE_MAX + 1 - len)) > 0 &&
	       len + (size_t)n <= CONFIG_FILE_MAX)
		len += (size_t)n;
	if (n < 0)
		error_set(err, "cannot read %s: %s; check the file", path, strerror(errno));
	else if (n > 0)
		place_error(err, path, 0, "grew beyond %d bytes while being read; check the file",
			    CONFIG_FILE_MAX);
	else
		cfg = config_parse(text, len, path, err);
	free(text);
	close(fd);
	return cfg;
}

__attribute__((format(printf, 4, 5))) static int zone_error(const struct config *cfg,
							    const struct zone *z,
							    struct error *err, const char *fmt,
							    ...)
{
	char text[ERROR_TEXT_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	return place_error(err, cfg->path, z->line, "zone %s: %s", z->name, text);
}

static int uint_keys_check(const struct config *cfg, const struct zone *z, struct error *err)
{
	for (size_t k = 0; k < config_nkeys; k++) {
		const struct config_key *key = &config_keys[k];
		unsigned v;

		if (key->set != set_uint || key->zone != (z != NULL))
			continue;
		v = *uint_field(key, cfg, z);
		if (v < key->min || v > key->max)
			return place_error(err, cfg->path, z ? z->line : 0,
					   "%s%s%s = %u is out of range; write %u..%u",
					   z ? "zone " : "", z ? z->name : "", key->name, v,
					   key->min, key->max);
	}
	return 0;
}

int config_validate(const struct config *cfg, struct error *err)
{
	struct error e = { 0 };

	if (cfg->nwan == 0)
		return place_error(err, cfg->path, 0, "wan: no uplink interface; name it, like "
						      "wan = eth0");
	if (cfg->nports == 0)
		return place_error(err, cfg->path, 0, "ports: no port to guard; write ports = 25");
	if (log_prefix_check(cfg->log_prefix, &e) < 0)
		return place_error(err, cfg->path, 0, "log_prefix: %s", e.text);
	if (cfg->log_limit.count < 1 || cfg->log_limit.count > RATE_COUNT_MAX ||
	    (unsigned)cfg->log_limit.unit > RATE_DAY)
		return place_error(err, cfg->path, 0, "log_limit: the rate is out of range; "
						      "write 1..%d per second, minute, hour or day",
				   RATE_COUNT_MAX);
	if ((unsigned)cfg->log_target >= ARRAY_SIZE(log_target_names))
		return place_error(err, cfg->path, 0, "log_target: write log or nflog");
	if (uint_keys_check(cfg, NULL, err) < 0)
		return -1;
	if (cfg->nzones > CONFIG_MAX_ZONES)
		return place_error(err, cfg->path, 0, "more than %d zones; merge some",
				   CONFIG_MAX_ZONES);
	for (size_t i = 0; i < cfg->nzones; i++) {
		const struct zone *z = &cfg->zones[i];

		if (zonename_check(z->name, &e) < 0)
			return place_error(err, cfg->path, z->line, "%s", e.text);
		if ((unsigned)z->mode >= MODE_COUNT)
			return zone_error(cfg, z, err, "the mode is unknown; write allow, "
						       "monitor, block, log or rateban");
		if (uint_keys_check(cfg, z, err) < 0)
			return -1;
		if (ifname_check(z->interface, &e) < 0)
			return zone_error(cfg, z, err, "interface: %s", e.text);
		for (size_t w = 0; w < cfg->nwan; w++)
			if (ifname_overlap(cfg->wan[w], z->interface))
				return zone_error(cfg, z, err,
						  "interface %s is a WAN interface (wan = %s); "
						  "give the zone the interface its clients are on",
						  z->interface, cfg->wan[w]);
		for (size_t j = 0; j < i; j++) {
			const struct zone *o = &cfg->zones[j];
			char at[32];

			if (strcmp(o->name, z->name) == 0)
				return zone_error(cfg, z, err, "defined twice%s; merge the two "
							       "or rename one",
						  line_note(o->line, at));
			if (ifname_overlap(o->interface, z->interface))
				return zone_error(cfg, z, err,
						  "interface %s is already the interface of zone "
						  "%s%s (interface = %s); give each zone its own "
						  "interface",
						  z->interface, o->name, line_note(o->line, at),
						  o->interface);
		}
	}
	return 0;
}

struct zone *config_zone(struct config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->nzones; i++)
		if (strcmp(cfg->zones[i].name, name) == 0)
			return &cfg->zones[i];
	return NULL;
}

struct zone *config_zone_by_interface(struct config *cfg, const char *ifname)
{
	for (size_t i = 0; i < cfg->nzones; i++)
		if (ifname_match(cfg->zones[i].interface, ifname))
			return &cfg->zones[i];
	return NULL;
}

bool config_is_wan(const struct config *cfg, const char *ifname)
{
	for (size_t i = 0; i < cfg->nwan; i++)
		if (ifname_match(cfg->wan[i], ifname))
			return true;
	return false;
}

struct zone *config_zone_add(struct config *cfg, const char *name, const char *ifname,
			     struct error *err)
{
	struct zone *z;

	if (zonename_check(name, err) < 0 || ifname_check(ifname, err) < 0)
		return usage_error(err), NULL;
	if (config_zone(cfg, name)) {
		error_set(err, "zone %s already exists; choose another name", name);
		return usage_error(err), NULL;
	}
	for (size_t i = 0; i < cfg->nzones; i++) {
		if (ifname_overlap(cfg->zones[i].interface, ifname)) {
			error_set(err, "%s is already the interface of zone %s (%s); give each zone "
				       "its own interface",
				  ifname, cfg->zones[i].name, cfg->zones[i].interface);
			return usage_error(err), NULL;
		}
	}
	for (size_t w = 0; w < cfg->nwan; w++) {
		if (ifname_overlap(cfg->wan[w], ifname)) {
			error_set(err, "%s is a WAN interface (wan = %s); give the zone the interface "
				       "its clients are on",
				  ifname, cfg->wan[w]);
			return usage_error(err), NULL;
		}
	}
	if (cfg->nzones == CONFIG_MAX_ZONES) {
		error_set(err, "there are already %d zones; remove one first", CONFIG_MAX_ZONES);
		return usage_error(err), NULL;
	}
	z = array_grow(&cfg->zones, &cfg->nzones, sizeof(*z));
	if (!z) {
		error_set(err, "out of memory adding zone %s", name);
		return NULL;
	}
	config_zone_init(z);
	snprintf(z->name, sizeof(z->name), "%s", name);
	snprintf(z->interface, sizeof(z->interface), "%s", ifname);
	return z;
}

int config_zone_remove(struct config *cfg, const char *name, struct error *err)
{
	struct zone *z = config_zone(cfg, name);
	size_t i;

	if (!z) {
		error_set(err, "there is no zone %s; nothing removed", name);
		return usage_error(err);
	}
	i = (size_t)(z - cfg->zones);
	zone_release(z);
	memmove(z, z + 1, (cfg->nzones - i - 1) * sizeof(*z));
	cfg->nzones--;
	return 0;
}

static const char *list_owner(const struct zone *z, char buf[32])
{
	if (!z)
		return "[general]";
	snprintf(buf, 32, "zone %s", z->name);
	return buf;
}

int config_relay_add(struct config *cfg, struct zone *z, const char *text, struct error *err)
{
	return relays_add(cfg, z, text, 0, err) < 0 ? usage_error(err) : 0;
}

int config_relay_remove(struct config *cfg, struct zone *z, const char *text, struct error *err)
{
	struct relay **list = z ? &z->relays : &cfg->relays;
	size_t *n = z ? &z->nrelays : &cfg->nrelays;
	struct relay r = { 0 };
	char owner[32];

	if (relay_parse(text, &r, err) < 0)
		return usage_error(err);
	for (size_t i = 0; i < *n; i++) {
		if (relay_same(&(*list)[i], &r)) {
			free((*list)[i].resolved);
			memmove(&(*list)[i], &(*list)[i + 1], (*n - i - 1) * sizeof(**list));
			(*n)--;
			return 0;
		}
	}
	error_set(err, "%s is not in the list of relays of %s; nothing removed", r.text,
		  list_owner(z, owner));
	return usage_error(err);
}

int config_device_add(struct zone *z, const char *text, struct error *err)
{
	return devices_add(NULL, z, text, 0, err) < 0 ? usage_error(err) : 0;
}

int config_device_remove(struct zone *z, const char *text, struct error *err)
{
	struct device d;
	char owner[32];

	if (device_parse(text, &d, err) < 0)
		return usage_error(err);
	for (size_t i = 0; i < z->ndevices; i++) {
		if (addr_equal(&z->devices[i].ip, &d.ip) &&
		    memcmp(z->devices[i].mac, d.mac, sizeof(d.mac)) == 0) {
			memmove(&z->devices[i], &z->devices[i + 1],
				(z->ndevices - i - 1) * sizeof(*z->devices));
			z->ndevices--;
			return 0;
		}
	}
	error_set(err, "%s is not in the list of devices of %s; nothing removed", text,
		  list_owner(z, owner));
	return usage_error(err);
}

int config_quarantine_add(struct zone *z, const char *text, struct error *err)
{
	return quarantine_add(NULL, z, text, 0, err) < 0 ? usage_error(err) : 0;
}

int config_quarantine_remove(struct zone *z, const char *text, struct error *err)
{
	struct quarantine q;
	char owner[32];

	if (quarantine_parse(text, &q, err) < 0)
		return usage_error(err);
	for (size_t i = 0; i < z->nquarantine; i++) {
		if (quarantine_equal(&z->quarantine[i], &q)) {
			memmove(&z->quarantine[i], &z->quarantine[i + 1],
				(z->nquarantine - i - 1) * sizeof(*z->quarantine));
			z->nquarantine--;
			return 0;
		}
	}
	error_set(err, "%s is not in the quarantine list of %s; nothing removed", text,
		  list_owner(z, owner));
	return usage_error(err);
}

/* Every address of r's name, both families, each once. */
static int relay_resolve(const struct config *cfg, struct relay *r, struct error *err)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
	struct addrinfo *res, *ai;
	struct addr *list = NULL;
	size_t n = 0;
	int rc;

	rc = getaddrinfo(r->text, NULL, &hints, &res);
	if (rc != 0) {
		place_error(err, cfg->path, r->line, "relays: cannot resolve %s: %s; check the "
						     "name and the DNS, or write the relay's "
						     "address",
			    r->text, rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
		if (err && (rc == EAI_AGAIN || rc == EAI_SYSTEM || rc == EAI_MEMORY))
			err->code = EXIT_RUNTIME;
		return -1;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		struct addr a = { .family = ai->ai_family };
		bool dup = false;

		if (ai->ai_family == AF_INET) {
			memcpy(a.bytes, &((struct sockaddr_in *)ai->ai_addr)->sin_addr, 4);
			a.prefix = 32;
		} else if (ai->ai_family == AF_INET6) {
			memcpy(a.bytes, &((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr, 16);
			a.prefix = 128;
		} else {
			continue;
		}
		for (size_t i = 0; i < n; i++)
			dup |= addr_equal(&list[i], &a);
		if (dup)
			continue;
		if (!array_grow(&list, &n, sizeof(*list))) {
			free(list);
			freeaddrinfo(res);
			return error_set(err, "out of memory resolving %s", r->text);
		}
		list[n - 1] = a;
	}
	freeaddrinfo(res);
	free(r->resolved);
	r->resolved = list;
	r->nresolved = n;
	return 0;
}

int config_resolve(struct config *cfg, struct error *err)
{
	for (size_t i = 0; i < cfg->nrelays; i++)
		if (cfg->relays[i].is_name && relay_resolve(cfg, &cfg->relays[i], err) < 0)
			return -1;
	for (size_t z = 0; z < cfg->nzones; z++)
		for (size_t i = 0; i < cfg->zones[z].nrelays; i++)
			if (cfg->zones[z].relays[i].is_name &&
			    relay_resolve(cfg, &cfg->zones[z].relays[i], err) < 0)
				return -1;
	return 0;
}
