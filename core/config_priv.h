/*
 * config_priv.h - what the config_*.c files share: the table of keys
 * (how each is parsed and printed), the line map of a parsed text
 * (which lets a save rewrite only the lines whose value changed), the
 * value parsers and the helpers for errors and arrays.
 * Not for other modules: they use include/config.h.
 *
 *   config.c           lifecycle: defaults, free, copy, compare; shared helpers
 *   config_value.c     value parsers: numbers, rates, relays, devices, quarantine
 *   config_keys.c      the key table: how each key is set, listed and printed
 *   config_read.c      the reader (inih) and config_load
 *   config_validate.c  checks that need the whole model
 *   config_edit.c      the console's edits: zones and list items
 *   config_resolve.c   relay host names -> addresses (DNS)
 *   config_save.c      writing it back
 */
#ifndef SMTPGUARD_CONFIG_PRIV_H
#define SMTPGUARD_CONFIG_PRIV_H

#include <ini.h>
#include <stdio.h>

#include "config.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define RATE_COUNT_MAX 10000			/* the limit match's scale */
#define DEFAULT_LOG_PREFIX "Illegal port 25 > "

/* Longest line, line end aside: inih's buffer needs room for "\r\n\0". */
#define CONFIG_LINE_MAX (INI_MAX_LINE - 3)
#define CONFIG_ITEM_MAX 180	/* longest list item, so that "key = ITEM" fits one line */

struct config_key {
	const char *name;
	bool zone;	/* a key of [zone NAME]; else of [general] */
	bool always;	/* written to a new section even when it holds the default */
	/* Scalar keys: parse value into cfg (z for zone keys). */
	int (*set)(const struct config_key *k, struct config *cfg, struct zone *z,
		   const char *value, struct error *err);
	/* List keys: add one comma-separated item; repeated keys and continuation lines append. */
	int (*add)(struct config *cfg, struct zone *z, const char *item, unsigned line,
		   struct error *err);
	/* Print the value as the file holds it (list items joined by ", "). */
	void (*print)(const struct config_key *k, const struct config *cfg, const struct zone *z,
		      FILE *out);
	size_t offset;		/* unsigned numbers: offsetof the field */
	unsigned min, max;	/* unsigned numbers: range */
	const char *help;	/* one line: what it does, the values it takes */
};

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
	KEY_BACKEND,
	KEY_LOG_FILES,
	KEY_HITS_LOG,
	KEY_METRICS_FILE,
	KEY_METRICS_INTERVAL,
	KEY_ALERT_MAIL,
	KEY_ALERT_COMMAND,
	KEY_ALERT_INTERVAL,
	KEY_ZONE_INTERFACE,
	KEY_ZONE_MODE,
	KEY_ZONE_RELAYS,
	KEY_ZONE_PROTECT_GATEWAY,
	KEY_ZONE_BAN_SECONDS,
	KEY_ZONE_BAN_PREFIX6,
	KEY_ZONE_DEVICES,
	KEY_ZONE_QUARANTINE,
	KEY_ZONE_ALERT_THRESHOLD,
	KEY_ZONE_ESCALATE,
	KEY_COUNT
};

extern const struct config_key config_keys[];
extern const size_t config_nkeys;

/* The value of key k as config_save writes it; caller frees.  NULL when out of memory. */
char *config_key_value(const struct config_key *k, const struct config *cfg,
		       const struct zone *z);

enum config_line_kind {
	CONFIG_LINE_OTHER,	/* blank, comment, or before the first section */
	CONFIG_LINE_HEADER,	/* [general], [zone NAME] */
	CONFIG_LINE_KEY,	/* key = value */
	CONFIG_LINE_CONT,	/* an indented line continuing the key above */
};

struct config_line {
	size_t start, len;	/* bytes of the text, line end included */
	enum config_line_kind kind;
	int section;		/* index in config_map.sections, -1 before the first */
	int key;		/* index in config_keys for KEY and CONT lines, else -1 */
};

struct config_section {
	bool zone;
	char name[ZONE_NAME_MAX + 1];	/* zone name; "" for [general] */
};

/* Owned arrays; config_map_free() releases them. */
struct config_map {
	struct config_line *lines;
	size_t nlines;
	struct config_section *sections;
	size_t nsections;
};

/* config_parse() that also fills map (when not NULL) on success. */
struct config *config_parse_map(const char *text, size_t len, const char *name,
				struct config_map *map, struct error *err);
void config_map_free(struct config_map *map);

/* The unsigned field of key k (a .set = config_set_uint key) in cfg or z. */
unsigned *config_uint_field(const struct config_key *k, const struct config *cfg,
			    const struct zone *z);
/* .set of the unsigned keys: a whole number k->min..k->max. */
int config_set_uint(const struct config_key *k, struct config *cfg, struct zone *z,
		    const char *value, struct error *err);

/* Value parsers (config_value.c); each returns -1 with err on bad input. */
int config_uint_parse(const char *text, unsigned min, unsigned max, unsigned *out);
int config_log_prefix_check(const char *s, struct error *err);
int config_relay_parse(const char *text, struct relay *out, struct error *err);
bool config_relay_same(const struct relay *a, const struct relay *b);
int config_device_parse(const char *item, struct device *out, struct error *err);
int config_quarantine_parse(const char *item, struct quarantine *q, struct error *err);
bool config_quarantine_equal(const struct quarantine *a, const struct quarantine *b);

/* -1 with err when z escalates without an alert_threshold (nothing would escalate). */
int config_escalate_check(const struct zone *z, struct error *err);
/* An error in user input: code EXIT_USAGE, "FILE:LINE: " when the place is known. */
int config_place_error(struct error *err, const char *file, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Set err's code to EXIT_USAGE; returns -1. */
int config_usage_error(struct error *err);
int config_out_of_memory(struct error *err);
/* " (line N)" or "" when the item was not read from the file. */
const char *config_line_note(unsigned line, char buf[32]);
/* Grow *array (of *n elements of size) by one zeroed element; NULL when out of memory. */
void *config_array_grow(void *array_ptr, size_t *n, size_t size);
/* Free what z owns (not z itself). */
void config_zone_release(struct zone *z);

/* A config holding every default and no zone; caller frees with config_free(). */
struct config *config_new_default(void);
/* Fill z with the defaults of a zone (no interface, mode monitor, nothing listed). */
void config_zone_init(struct zone *z);

#endif
