/*
 * config_priv.h - what config.c shares with config_save.c: the table of
 * keys (how each is parsed and printed) and the line map of a parsed
 * text, which lets a save rewrite only the lines whose value changed.
 * Not for other modules: they use include/config.h.
 */
#ifndef SMTPGUARD_CONFIG_PRIV_H
#define SMTPGUARD_CONFIG_PRIV_H

#include <ini.h>
#include <stdio.h>

#include "config.h"

/* Longest line, line end aside: inih's buffer needs room for "\r\n\0". */
#define CONFIG_LINE_MAX (INI_MAX_LINE - 3)

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

/* A config holding every default and no zone; caller frees with config_free(). */
struct config *config_new_default(void);
/* Fill z with the defaults of a zone (no interface, mode monitor, nothing listed). */
void config_zone_init(struct zone *z);

#endif
