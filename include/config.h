/*
 * config.h - the policy model: /etc/smtpguard/smtpguard.conf, parsed
 * (inih), validated, edited and saved.
 *
 * Ownership: config_load() returns a struct config the caller frees
 * with config_free(); every string and array in it belongs to it.
 * config_copy() makes an independent deep copy (the console edits a
 * copy, plans the change against the original, and keeps one of them).
 * Strings delivered by inih callbacks are copied, never kept.
 */
#ifndef SMTPGUARD_CONFIG_H
#define SMTPGUARD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "error.h"

#define CONFIG_DEFAULT_PATH "/etc/smtpguard/smtpguard.conf"
#define CONFIG_MAX_PORTS 15		/* what one multiport match holds */
#define CONFIG_MAX_WAN 8
#define CONFIG_MAX_ZONES 32
#define LOG_PREFIX_MAX 29		/* the kernel's LOG prefix limit, without NUL */
#define RELAY_TEXT_MAX 256
#define CONFIG_PATH_MAX 1023		/* hits_log and other single paths */
#define CONFIG_HITS_LOG_DEFAULT "/var/log/smtpguard/hits.log"
#define CONFIG_ALERT_MAIL_MAX 254		/* an address (RFC 5321's path limit) */
#define CONFIG_ALERT_INTERVAL_DEFAULT 3600	/* seconds */
#define CONFIG_DURATION_MAX (30u * 86400u)	/* the longest alert period or interval: 30d */
/*
 * The default rate-ban mask of IPv6 hosts (ban_prefix6): the host's own
 * address, so one abusive host does not cut off the other hosts of its
 * /64 (a LAN).  A zone whose hosts rotate privacy addresses sets
 * ban_prefix6 = 64.  (IPv4 hosts are always banned by address.)
 */
#define CONFIG_BAN_PREFIX6 128

enum zone_mode {
	MODE_ALLOW,
	MODE_MONITOR,
	MODE_BLOCK,
	MODE_LOG,
	MODE_RATEBAN,
	MODE_COUNT
};

enum log_target {
	LOG_TARGET_LOG,		/* kernel LOG -> syslog, /dev/kmsg */
	LOG_TARGET_NFLOG,	/* NFLOG group -> libnetfilter_log / ulogd2 */
};

/* The backend key of [general]: which firewall smtpguard writes (include/fw.h chooses). */
enum config_backend {
	CONFIG_BACKEND_AUTO,		/* decided from what the host uses */
	CONFIG_BACKEND_IPTABLES,	/* the legacy tables, through libiptc */
	CONFIG_BACKEND_NFTABLES,	/* table inet smtpguard, through libnftables */
	CONFIG_BACKEND_COUNT
};

extern const char *const config_backend_names[CONFIG_BACKEND_COUNT];

enum rate_unit { RATE_SECOND, RATE_MINUTE, RATE_HOUR, RATE_DAY };

struct rate {
	unsigned count;		/* e.g. 1 */
	enum rate_unit unit;	/* per second, minute, hour, day */
};

/* alert_threshold: more than count guarded-port attempts within period seconds; count 0 = off. */
struct alert_threshold {
	unsigned count;
	unsigned period;
};

/*
 * A relay as written: an address, a prefix or a host name.  Names are
 * resolved by config_resolve() at apply time into addrs (both families).
 */
struct relay {
	char text[RELAY_TEXT_MAX];
	bool is_name;
	struct addr addr;	/* valid when !is_name */
	struct addr *resolved;	/* owned; filled by config_resolve() for names */
	size_t nresolved;
	unsigned line;		/* config line it came from, 0 when added at run time */
};

struct device {
	unsigned char mac[6];
	struct addr ip;		/* a host address */
};

/* A quarantined host: an address or prefix, or a device by its MAC (whatever its address). */
struct quarantine {
	bool is_mac;
	struct addr addr;	/* !is_mac */
	unsigned char mac[6];	/* is_mac */
};

struct zone {
	char name[ZONE_NAME_MAX + 1];
	char interface[IFACE_NAME_MAX + 1];
	enum zone_mode mode;
	struct relay *relays;	/* extra relays of this zone */
	size_t nrelays;
	bool protect_gateway;
	unsigned ban_seconds;	/* rateban window, 1..86400, default 60 */
	unsigned ban_prefix6;	/* IPv6 rateban bans this prefix of a host, 1..128, default 128 (0 = default) */
	struct device *devices;	/* when ndevices > 0 only these pairs may forward to the WAN */
	size_t ndevices;
	struct quarantine *quarantine;	/* hosts whose forwarded traffic is dropped */
	size_t nquarantine;
	struct alert_threshold alert_threshold;	/* `watch` alerts past it; off by default */
	unsigned escalate;	/* escalate = quarantine-smtp: seconds an offender's guarded ports are dropped; 0 = off */
	unsigned line;		/* line of the [zone NAME] header */
};

struct config {
	char *path;		/* file it was loaded from (owned) */
	char wan[CONFIG_MAX_WAN][IFACE_NAME_MAX + 1];
	size_t nwan;
	uint16_t ports[CONFIG_MAX_PORTS];
	size_t nports;
	struct relay *relays;	/* relays every zone may reach */
	size_t nrelays;
	enum log_target log_target;
	unsigned nflog_group;	/* 0..65535 */
	char log_prefix[LOG_PREFIX_MAX + 1];
	struct rate log_limit;
	unsigned log_burst;	/* 1..10000 */
	unsigned confirm;	/* seconds, 0 = off */
	enum config_backend backend;
	char **log_files;	/* owned, nlog_files strings */
	size_t nlog_files;
	char hits_log[CONFIG_PATH_MAX + 1];	/* where `watch` records hits (absolute) */
	char metrics_file[CONFIG_PATH_MAX + 1];	/* `watch`'s Prometheus textfile (absolute), "" = off */
	unsigned metrics_interval;	/* seconds between its rewrites, 1..3600 */
	char alert_mail[CONFIG_ALERT_MAIL_MAX + 1];	/* "" = no mail */
	char alert_command[CONFIG_PATH_MAX + 1];	/* "" = none; else absolute */
	unsigned alert_interval;	/* seconds: at most one alert per host this often */
	struct zone *zones;
	size_t nzones;
	char *source;		/* the file's text as read, kept so config_save() keeps comments */
};

/*
 * One line on key name of [general] (zone false) or of [zone NAME]: what
 * it does and the values it takes (static text).  NULL for an unknown key.
 */
const char *config_key_help(bool zone, const char *name);

/* Names of the modes, indexed by enum zone_mode ("allow", ...). */
extern const char *const mode_names[MODE_COUNT];
int mode_parse(const char *text, enum zone_mode *out);

/* "1/second", "10/minute", "3/hour", "1/day" (also sec/min/s/m/h/d). */
int rate_parse(const char *text, struct rate *out, struct error *err);
/* "1/second": the long unit name, as config_save() writes it. */
void rate_format(const struct rate *r, char *buf, size_t size);
/* "90s", "10min", "1h", "7d" (the rate units; a bare number is seconds) into seconds 1..max. */
int duration_parse(const char *text, unsigned max, unsigned *out, struct error *err);
/* seconds in the largest unit that divides them exactly: "10min", "5s", "1h". */
void duration_format(unsigned seconds, char *buf, size_t size);
/* "20/10min" (COUNT/DURATION) or "off". */
int alert_threshold_parse(const char *text, struct alert_threshold *out, struct error *err);
void alert_threshold_format(const struct alert_threshold *t, char *buf, size_t size);
/* "off" (0) or "quarantine-smtp DURATION" (its seconds, 1s..CONFIG_DURATION_MAX). */
int escalate_parse(const char *text, unsigned *seconds, struct error *err);
void escalate_format(unsigned seconds, char *buf, size_t size);

/*
 * Read and validate a config file.  Every fault is reported as
 * "FILE:LINE: key: what is wrong; what to do" with exit code 2, and
 * nothing is returned.  Relay host names are not resolved here.
 */
struct config *config_load(const char *path, struct error *err);
/* The same from a string (tests, fuzzing); name is used in messages. */
struct config *config_parse(const char *text, size_t len, const char *name, struct error *err);
void config_free(struct config *cfg);
struct config *config_copy(const struct config *cfg);
/* Same policy: every key and zone equal (path, source, lines and resolved addresses aside). */
bool config_equal(const struct config *a, const struct config *b);

/* Checks that need the whole model (zone on a WAN, two zones on one interface, ...). */
int config_validate(const struct config *cfg, struct error *err);

/* Resolve every relay host name (getaddrinfo); an unresolvable name is an error naming its line. */
int config_resolve(struct config *cfg, struct error *err);

/*
 * Write cfg to path atomically: a temporary file in the same folder,
 * fsync, rename; mode 0600, owner kept, a symlink at path refused.
 * Comments and blank lines of cfg->source are kept; changed values are
 * rewritten in place, new keys and sections appended.
 */
int config_save(const struct config *cfg, const char *path, struct error *err);

/* Lookup and edits used by the console; each validates and returns -1 with err on bad input. */
struct zone *config_zone(struct config *cfg, const char *name);
/* The zone whose interface (a name or a "wg+" wildcard) the interface ifname is, or NULL. */
struct zone *config_zone_by_interface(struct config *cfg, const char *ifname);
/* Whether ifname is one of wan (names or wildcards). */
bool config_is_wan(const struct config *cfg, const char *ifname);
/*
 * The lists edited item by item; relays also in [general] (z NULL), the
 * others of a zone only.  Items are written as in the config: a relay
 * ("203.0.113.10", "203.0.113.16/28", "smtp.example.net"), a device
 * ("MAC IP"), a quarantined host (IP, CIDR or MAC).
 */
enum config_list { CONFIG_LIST_RELAYS, CONFIG_LIST_DEVICES, CONFIG_LIST_QUARANTINE, CONFIG_LIST_COUNT };
int config_list_add(struct config *cfg, struct zone *z, enum config_list list, const char *text,
		    struct error *err);
int config_list_remove(struct config *cfg, struct zone *z, enum config_list list,
		       const char *text, struct error *err);
/* "192.0.2.70", "192.0.2.72/30" or "00:02:2d:11:22:33", as the config and the console write it. */
void config_quarantine_format(const struct quarantine *q, char *buf, size_t size);
/* A new zone (mode monitor, nothing listed) on ifname; valid until the next zone add/remove. */
struct zone *config_zone_add(struct config *cfg, const char *name, const char *ifname,
			     struct error *err);
int config_zone_remove(struct config *cfg, const char *name, struct error *err);

#endif
