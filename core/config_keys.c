/*
 * config_keys.c - the table of keys of smtpguard.conf: for each, how a
 * value is set (scalar keys) or added item by item (list keys, with
 * their duplicate and overlap checks), how it is printed back, and its
 * one line of help.  The reader, config_equal and config_save all work
 * from this table.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "config_priv.h"

static const char *const log_target_names[] = {
	[LOG_TARGET_LOG] = "log",
	[LOG_TARGET_NFLOG] = "nflog",
};

const char *const config_backend_names[CONFIG_BACKEND_COUNT] = {
	[CONFIG_BACKEND_AUTO] = "auto",
	[CONFIG_BACKEND_IPTABLES] = "iptables",
	[CONFIG_BACKEND_NFTABLES] = "nftables",
};

static const char *const bool_true[] = { "yes", "true", "on", "1" };
static const char *const bool_false[] = { "no", "false", "off", "0" };

static int relays_add(struct config *cfg, struct zone *z, const char *item, unsigned line,
		      struct error *err)
{
	struct relay **list = z ? &z->relays : &cfg->relays;
	size_t *n = z ? &z->nrelays : &cfg->nrelays;
	struct relay r = { 0 }, *slot;
	char at[32];

	if (config_relay_parse(item, &r, err) < 0)
		return -1;
	r.line = line;
	for (size_t i = 0; i < *n; i++) {
		const struct relay *e = &(*list)[i];

		if (config_relay_same(e, &r))
			return error_set(err, "%s is listed twice%s; keep one", r.text,
					 config_line_note(e->line, at));
		if (!e->is_name && !r.is_name &&
		    (addr_contains(&e->addr, &r.addr) || addr_contains(&r.addr, &e->addr)))
			return error_set(err, "%s overlaps %s%s; keep the wider one", r.text,
					 e->text, config_line_note(e->line, at));
	}
	slot = config_array_grow(list, n, sizeof(**list));
	if (!slot)
		return config_out_of_memory(err);
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
	slot = config_array_grow(&cfg->log_files, &cfg->nlog_files, sizeof(*slot));
	if (!slot)
		return config_out_of_memory(err);
	*slot = strdup(item);
	if (!*slot) {
		cfg->nlog_files--;
		return config_out_of_memory(err);
	}
	return 0;
}

static int devices_add(struct config *cfg, struct zone *z, const char *item, unsigned line,
		       struct error *err)
{
	struct device d, *slot;
	char text[ADDR_TEXT_MAX];

	if (config_device_parse(item, &d, err) < 0)
		return -1;
	for (size_t i = 0; i < z->ndevices; i++) {
		if (addr_equal(&z->devices[i].ip, &d.ip)) {
			addr_format(&d.ip, text, sizeof(text));
			return error_set(err, "%s is listed twice; an address belongs to one "
					      "device, keep one",
					 text);
		}
	}
	slot = config_array_grow(&z->devices, &z->ndevices, sizeof(*slot));
	if (!slot)
		return config_out_of_memory(err);
	*slot = d;
	return 0;
}

static int quarantine_add(struct config *cfg, struct zone *z, const char *item, unsigned line,
			  struct error *err)
{
	struct quarantine q, *slot;
	char text[ADDR_TEXT_MAX], other[ADDR_TEXT_MAX];

	if (config_quarantine_parse(item, &q, err) < 0)
		return -1;
	config_quarantine_format(&q, text, sizeof(text));
	for (size_t i = 0; i < z->nquarantine; i++) {
		const struct quarantine *e = &z->quarantine[i];

		if (config_quarantine_equal(e, &q))
			return error_set(err, "%s is listed twice; keep one", text);
		if (!e->is_mac && !q.is_mac &&
		    (addr_contains(&e->addr, &q.addr) || addr_contains(&q.addr, &e->addr))) {
			config_quarantine_format(e, other, sizeof(other));
			return error_set(err, "%s overlaps %s; keep the wider one", text, other);
		}
	}
	slot = config_array_grow(&z->quarantine, &z->nquarantine, sizeof(*slot));
	if (!slot)
		return config_out_of_memory(err);
	*slot = q;
	return 0;
}

unsigned *config_uint_field(const struct config_key *k, const struct config *cfg,
			    const struct zone *z)
{
	return (unsigned *)(k->zone ? (const char *)z + k->offset : (const char *)cfg + k->offset);
}

int config_set_uint(const struct config_key *k, struct config *cfg, struct zone *z,
		    const char *value, struct error *err)
{
	if (config_uint_parse(value, k->min, k->max, config_uint_field(k, cfg, z)) < 0)
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

static int set_backend(const struct config_key *k, struct config *cfg, struct zone *z,
		       const char *value, struct error *err)
{
	for (size_t i = 0; i < ARRAY_SIZE(config_backend_names); i++) {
		if (strcmp(value, config_backend_names[i]) == 0) {
			cfg->backend = (enum config_backend)i;
			return 0;
		}
	}
	return error_set(err, "'%s' is not a backend; write auto, iptables or nftables", value);
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
	if (config_log_prefix_check(text, err) < 0)
		return -1;
	memcpy(cfg->log_prefix, text, len + 1);
	return 0;
}

/* A path key (offset: a char[CONFIG_PATH_MAX + 1] of struct config): absolute, one line. */
static int set_path(const struct config_key *k, struct config *cfg, struct zone *z,
		    const char *value, struct error *err)
{
	size_t len = strlen(value);

	if (value[0] != '/' || len > CONFIG_PATH_MAX)
		return error_set(err, "'%s' is not an absolute path of at most %d bytes; write "
				      "one like /var/log/smtpguard/hits.log",
				 value, CONFIG_PATH_MAX);
	memcpy((char *)cfg + k->offset, value, len + 1);
	return 0;
}

/* A path key that may be empty (off). */
static int set_path_or_off(const struct config_key *k, struct config *cfg, struct zone *z,
			   const char *value, struct error *err)
{
	if (!value[0]) {
		*((char *)cfg + k->offset) = '\0';
		return 0;
	}
	return set_path(k, cfg, z, value, err);
}

/*
 * A mail address or local user, empty for off: it goes into the To:
 * header sendmail -t reads, so no spaces, commas, controls or quotes
 * (one recipient, no header injection), and no leading '-' (an option).
 */
static int set_alert_mail(const struct config_key *k, struct config *cfg, struct zone *z,
			  const char *value, struct error *err)
{
	size_t len = strlen(value);

	if (len > CONFIG_ALERT_MAIL_MAX || value[0] == '-' ||
	    strspn(value, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
			  ".-_+@=") != len)
		return error_set(err, "'%s' is not one mail address; write a local user like root "
				      "or an address like admin@example.net (letters, digits and "
				      ".-_+@= only), or leave it empty for no mail",
				 value);
	memcpy(cfg->alert_mail, value, len + 1);
	return 0;
}

static int set_alert_interval(const struct config_key *k, struct config *cfg, struct zone *z,
			      const char *value, struct error *err)
{
	return duration_parse(value, CONFIG_DURATION_MAX, &cfg->alert_interval, err);
}

static int set_alert_threshold(const struct config_key *k, struct config *cfg, struct zone *z,
			       const char *value, struct error *err)
{
	return alert_threshold_parse(value, &z->alert_threshold, err);
}

static int set_escalate(const struct config_key *k, struct config *cfg, struct zone *z,
			const char *value, struct error *err)
{
	return escalate_parse(value, &z->escalate, err);
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
	fprintf(out, "%u", *config_uint_field(k, cfg, z));
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

static void print_path(const struct config_key *k, const struct config *cfg,
		       const struct zone *z, FILE *out)
{
	fputs((const char *)cfg + k->offset, out);
}

static void print_alert_mail(const struct config_key *k, const struct config *cfg,
			     const struct zone *z, FILE *out)
{
	fputs(cfg->alert_mail, out);
}

static void print_alert_interval(const struct config_key *k, const struct config *cfg,
				 const struct zone *z, FILE *out)
{
	char buf[16];

	duration_format(cfg->alert_interval, buf, sizeof(buf));
	fputs(buf, out);
}

static void print_alert_threshold(const struct config_key *k, const struct config *cfg,
				  const struct zone *z, FILE *out)
{
	char buf[32];

	alert_threshold_format(&z->alert_threshold, buf, sizeof(buf));
	fputs(buf, out);
}

static void print_escalate(const struct config_key *k, const struct config *cfg,
			   const struct zone *z, FILE *out)
{
	char buf[40];

	escalate_format(z->escalate, buf, sizeof(buf));
	fputs(buf, out);
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

static void print_backend(const struct config_key *k, const struct config *cfg,
			  const struct zone *z, FILE *out)
{
	fputs(config_backend_names[cfg->backend], out);
}

const struct config_key config_keys[KEY_COUNT] = {
	[KEY_WAN] = { .name = "wan", .add = wan_add, .print = print_wan,
		      .help = "uplink interface(s), comma-separated (required)" },
	[KEY_PORTS] = { .name = "ports", .add = ports_add, .print = print_ports,
			.help = "guarded TCP destination ports, 1..15 of them (default 25)" },
	[KEY_RELAYS] = { .name = "relays", .add = relays_add, .print = print_relays,
			 .help = "mail relays every zone may reach: address, CIDR or host name" },
	[KEY_LOG_TARGET] = { .name = "log_target", .set = set_log_target,
			     .print = print_log_target, .help = "log | nflog (default log)" },
	[KEY_NFLOG_GROUP] = { .name = "nflog_group", .set = config_set_uint, .print = print_uint,
			      .offset = offsetof(struct config, nflog_group), .min = 0,
			      .max = 65535, .help = "NFLOG group 0..65535 (default 25)" },
	[KEY_LOG_PREFIX] = { .name = "log_prefix", .set = set_log_prefix,
			     .print = print_log_prefix,
			     .help = "prefix of every log line, at most 29 bytes, quoted to keep "
				     "a trailing space" },
	[KEY_LOG_LIMIT] = { .name = "log_limit", .set = set_log_limit, .print = print_log_limit,
			    .help = "rate limit of every log rule (default 1/second)" },
	[KEY_LOG_BURST] = { .name = "log_burst", .set = config_set_uint, .print = print_uint,
			    .offset = offsetof(struct config, log_burst), .min = 1,
			    .max = 10000, .help = "burst of the log rate limit, 1..10000 (default 5)" },
	[KEY_CONFIRM] = { .name = "confirm", .set = config_set_uint, .print = print_uint,
			  .offset = offsetof(struct config, confirm), .min = 0, .max = 3600,
			  .help = "seconds before an unconfirmed change is rolled back, 0 = off "
				  "(default 60)" },
	[KEY_BACKEND] = { .name = "backend", .set = set_backend, .print = print_backend,
			  .help = "auto | iptables (legacy tables) | nftables (table inet "
				  "smtpguard) (default auto)" },
	[KEY_LOG_FILES] = { .name = "log_files", .add = log_files_add, .print = print_log_files,
			    .help = "where the report and the console look for log lines" },
	[KEY_HITS_LOG] = { .name = "hits_log", .set = set_path, .print = print_path,
			   .offset = offsetof(struct config, hits_log),
			   .help = "where `watch` records every hit; report, hits and the console "
				   "read it (default " CONFIG_HITS_LOG_DEFAULT ")" },
	[KEY_METRICS_FILE] = { .name = "metrics_file", .set = set_path_or_off, .print = print_path,
			       .offset = offsetof(struct config, metrics_file),
			       .help = "where `watch` keeps the metrics (Prometheus textfile), "
				       "empty = off (default off)" },
	[KEY_METRICS_INTERVAL] = { .name = "metrics_interval", .set = config_set_uint,
				   .print = print_uint,
				   .offset = offsetof(struct config, metrics_interval), .min = 1,
				   .max = 3600, .help = "seconds between rewrites of metrics_file, "
							"1..3600 (default 15)" },
	[KEY_ALERT_MAIL] = { .name = "alert_mail", .set = set_alert_mail, .print = print_alert_mail,
			     .help = "`watch` mails offenders to this address through "
				     "/usr/sbin/sendmail -t (default empty: no mail)" },
	[KEY_ALERT_COMMAND] = { .name = "alert_command", .set = set_path_or_off,
				.print = print_path, .offset = offsetof(struct config, alert_command),
				.help = "a program `watch` runs per alert: facts in SMTPGUARD_* "
					"variables and JSON on stdin (default empty: none)" },
	[KEY_ALERT_INTERVAL] = { .name = "alert_interval", .set = set_alert_interval,
				 .print = print_alert_interval,
				 .help = "at most one alert per host this often, more offenders go "
					 "into one digest, like 1h or 90s (default 1h)" },
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
	[KEY_ZONE_BAN_SECONDS] = { .name = "ban_seconds", .zone = true, .set = config_set_uint,
				   .print = print_uint,
				   .offset = offsetof(struct zone, ban_seconds), .min = 1,
				   .max = 86400, .help = "rateban window, 1..86400 (default 60)" },
	[KEY_ZONE_BAN_PREFIX6] = { .name = "ban_prefix6", .zone = true, .set = config_set_uint,
				   .print = print_uint,
				   .offset = offsetof(struct zone, ban_prefix6), .min = 1,
				   .max = 128, .help = "IPv6 rateban bans the host's /N, 1..128 (default 128)" },
	[KEY_ZONE_DEVICES] = { .name = "devices", .zone = true, .add = devices_add,
			       .print = print_devices,
			       .help = "\"MAC IP\" pairs; when set only they may reach the WAN" },
	[KEY_ZONE_QUARANTINE] = { .name = "quarantine", .zone = true, .add = quarantine_add,
				  .print = print_quarantine,
				  .help = "hosts or networks whose forwarded traffic is dropped" },
	[KEY_ZONE_ALERT_THRESHOLD] = { .name = "alert_threshold", .zone = true,
				       .set = set_alert_threshold, .print = print_alert_threshold,
				       .help = "COUNT/DURATION: a host with more guarded-port "
					       "attempts within DURATION is an offender `watch` "
					       "alerts about, like 20/10min (default off)" },
	[KEY_ZONE_ESCALATE] = { .name = "escalate", .zone = true, .set = set_escalate,
				.print = print_escalate,
				.help = "off | quarantine-smtp DURATION: `watch` drops an offender's "
					"guarded ports that long, like quarantine-smtp 24h; needs "
					"alert_threshold (default off)" },
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
