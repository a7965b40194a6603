/*
 * config_save.c - writing a config back to its file; see config_save()
 * in include/config.h.
 *
 * The text the config was read from (cfg->source) is the template: its
 * comments, blank lines and unchanged keys are copied byte for byte.  A
 * key whose value changed is rewritten on its first line, keeping the
 * text before the value and an inline "; comment" (in its column when
 * there is room); its other lines (repeats, continuations) are dropped.
 * Sections of removed zones are dropped, keys that are new in a section
 * go after its last key, new zones at the end.  Every line stays within
 * what the reader takes: a comment that no longer fits goes above its
 * key, a list wraps.  The result is read back before it is written: a
 * save never leaves a file that loads as something else.
 */
#include <stdlib.h>
#include <string.h>

#include "atomicfile.h"
#include "config.h"
#include "config_priv.h"

#define SAVE_WIDTH 100	/* lists wrap onto indented lines beyond this column */

struct save {
	FILE *out;
	const struct config *cfg;	/* what to write */
	const struct config *old;	/* what cfg->source says, NULL without a source */
	const struct config *def;	/* the defaults */
	struct zone defzone;
	const char *eol;
	size_t col;			/* column of the output, 0 at the start of a line */
};

static const struct zone *zone_find(const struct config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->nzones; i++)
		if (strcmp(cfg->zones[i].name, name) == 0)
			return &cfg->zones[i];
	return NULL;
}

static void save_text(struct save *s, const char *text, size_t len)
{
	fwrite(text, 1, len, s->out);
	for (size_t i = 0; i < len; i++)
		s->col = text[i] == '\n' ? 0 : s->col + 1;
}

static void save_eol(struct save *s)
{
	fputs(s->eol, s->out);
	s->col = 0;
}

static void save_pad(struct save *s, size_t col)
{
	while (s->col < col) {
		fputc(' ', s->out);
		s->col++;
	}
}

/*
 * prefix, then value; a list wraps after a ',' onto lines indented like
 * the value; comment (may be NULL) ends the first line, at column
 * comment_col when the value leaves room.
 */
static void save_key_line(struct save *s, const char *prefix, size_t prefix_len,
			  const char *value, bool list, const char *comment, size_t comment_col)
{
	size_t indent = prefix_len > 24 ? 8 : prefix_len;
	size_t comment_len = comment ? strlen(comment) : 0;
	const char *p = value;
	bool first = true;

	if (s->col)
		save_eol(s);
	/*
	 * A comment that cannot share the first line within the reader's limit goes above it.
	 * After the value's first item the line holds " " and the comment, or, when more
	 * items follow, ", " and the comment.
	 */
	if (comment && prefix_len + strcspn(value, ",") + (list && strstr(value, ", ") ? 2 : 1) +
				   comment_len > CONFIG_LINE_MAX) {
		save_text(s, comment, comment_len);
		save_eol(s);
		comment = NULL;
	}
	save_text(s, prefix, prefix_len);
	while (*p) {
		const char *sep = list ? strstr(p, ", ") : NULL;
		size_t n = sep ? (size_t)(sep - p) : strlen(p);
		/* on the first line, the comment must still fit after this item and its ", " or " " */
		size_t end = s->col + 2 + n + (sep ? 2 : 1);
		bool no_room = first && comment &&
			       (end > comment_col ? end : comment_col) + comment_len > CONFIG_LINE_MAX;

		if (p != value) {
			if (s->col + 2 + n > SAVE_WIDTH || no_room) {
				save_text(s, ",", 1);
				if (first && comment) {
					save_text(s, " ", 1);
					save_pad(s, comment_col);
					save_text(s, comment, strlen(comment));
				}
				first = false;
				save_eol(s);
				/* a long host name still fits its line, with its ',' */
				save_pad(s, indent + n + 1 <= CONFIG_LINE_MAX ? indent : 1);
			} else {
				save_text(s, ", ", 2);
			}
		}
		save_text(s, p, n);
		p += n + (sep ? 2 : 0);
	}
	if (first && comment) {
		save_text(s, " ", 1);
		save_pad(s, comment_col);
		save_text(s, comment, strlen(comment));
	}
	save_eol(s);
}

static void save_new_key(struct save *s, const struct config_key *k, const char *value)
{
	char prefix[64];
	int n = snprintf(prefix, sizeof(prefix), "%s = ", k->name);

	save_key_line(s, prefix, (size_t)n, value, k->add != NULL, NULL, 0);
}

/* The keys of section z (NULL: [general]) not in the source whose value is not the default. */
static int save_missing_keys(struct save *s, const struct zone *z, const size_t *first,
			     bool new_zone)
{
	for (size_t k = 0; k < config_nkeys; k++) {
		const struct config_key *key = &config_keys[k];
		char *value, *deflt;
		bool write;

		if (key->zone != (z != NULL) || (first && first[k]))
			continue;
		value = config_key_value(key, s->cfg, z);
		deflt = config_key_value(key, s->def, &s->defzone);
		write = value && deflt && (strcmp(value, deflt) != 0 || (new_zone && key->always));
		if (write)
			save_new_key(s, key, value);
		free(value);
		free(deflt);
		if (!value || !deflt)
			return -1;
	}
	return 0;
}

/*
 * Rewrite the line text[0..len) of key with value.  Its text before the
 * value is kept unless the value's first item would not fit after it
 * within the reader's limit: then the line starts "key = ".  An inline
 * comment stays (above the line when it no longer fits on it).
 */
static void save_rewrite(struct save *s, const char *text, size_t len,
			 const struct config_key *key, const char *value)
{
	char line[CONFIG_LINE_MAX + 1], canonical[64];
	const char *eq, *comment = NULL, *prefix = line;
	size_t prefix_len;

	if (len >= sizeof(line))
		len = sizeof(line) - 1;
	memcpy(line, text, len);
	line[len] = '\0';
	eq = strpbrk(line, "=:");
	prefix_len = eq ? (size_t)(eq - line) + 1 : len;
	prefix_len += strspn(line + prefix_len, " \t");
	for (const char *c = eq ? eq + 1 : line + len; *c; c++) {
		if (*c == ';' && (c[-1] == ' ' || c[-1] == '\t')) {
			comment = c;
			break;
		}
	}
	if (prefix_len + strcspn(value, ",") + 1 > CONFIG_LINE_MAX) {
		prefix = canonical;
		prefix_len = (size_t)snprintf(canonical, sizeof(canonical), "%s = ", key->name);
	}
	save_key_line(s, prefix, prefix_len, value, key->add != NULL, comment,
		      comment && prefix == line ? (size_t)(comment - line) : 0);
}

/* The comment lines right above header line h describe its section: they go with it. */
static void save_drop_comment_above(const struct save *s, const struct config_map *map, size_t h,
				    bool *drop)
{
	while (h-- > 0) {
		const struct config_line *ln = &map->lines[h];
		const char *text = s->cfg->source + ln->start;
		size_t blank = strspn(text, " \t");

		if (ln->kind != CONFIG_LINE_OTHER || blank >= ln->len ||
		    (text[blank] != ';' && text[blank] != '#'))
			return;
		drop[h] = true;
	}
}

struct save_section {
	const struct zone *z;		/* in the new config; NULL for [general] or a removed zone */
	const struct zone *oldz;
	bool removed;
	size_t last;			/* 1 + index of its last header or key line */
	size_t *first;			/* per key: 1 + index of its first line, 0 when absent */
};

static int save_from_source(struct save *s, const struct config_map *map)
{
	struct save_section *secs = calloc(map->nsections + 1, sizeof(*secs));
	size_t *firsts = calloc((map->nsections + 1) * config_nkeys, sizeof(*firsts));
	char **values = calloc((map->nsections + 1) * config_nkeys, sizeof(*values));
	signed char *changed = calloc((map->nsections + 1) * config_nkeys, 1);
	bool *drop = calloc(map->nlines + 1, sizeof(*drop));
	int rc = -1;

	if (!secs || !firsts || !values || !changed || !drop)
		goto out;
	for (size_t i = 0; i < map->nsections; i++) {
		struct save_section *sec = &secs[i];

		sec->first = firsts + i * config_nkeys;
		if (map->sections[i].zone) {
			sec->z = zone_find(s->cfg, map->sections[i].name);
			sec->oldz = zone_find(s->old, map->sections[i].name);
			sec->removed = !sec->z;
		}
	}
	for (size_t i = 0; i < map->nlines; i++) {
		const struct config_line *ln = &map->lines[i];

		if (ln->kind == CONFIG_LINE_HEADER && secs[ln->section].removed)
			save_drop_comment_above(s, map, i, drop);
		if (ln->section < 0 || ln->kind == CONFIG_LINE_OTHER)
			continue;
		secs[ln->section].last = i + 1;
		if (ln->key >= 0 && !secs[ln->section].first[ln->key])
			secs[ln->section].first[ln->key] = i + 1;
	}
	/* Which keys changed, and their new text. */
	for (size_t i = 0; i < map->nsections; i++) {
		for (size_t k = 0; k < config_nkeys && !secs[i].removed; k++) {
			const struct config_key *key = &config_keys[k];
			size_t slot = i * config_nkeys + k;
			char *was;

			if (!secs[i].first[k])
				continue;
			values[slot] = config_key_value(key, s->cfg, secs[i].z);
			was = config_key_value(key, s->old, secs[i].oldz);
			if (!values[slot] || !was) {
				free(was);
				goto out;
			}
			changed[slot] = strcmp(values[slot], was) != 0;
			free(was);
		}
	}
	for (size_t i = 0; i < map->nlines; i++) {
		const struct config_line *ln = &map->lines[i];
		const struct save_section *sec = ln->section >= 0 ? &secs[ln->section] : NULL;
		const char *text = s->cfg->source + ln->start;
		size_t slot = sec ? (size_t)ln->section * config_nkeys + (size_t)ln->key : 0;

		if ((sec && sec->removed) || drop[i])
			continue;
		if (sec && ln->key >= 0 && ln->kind != CONFIG_LINE_OTHER && changed[slot]) {
			const struct config_key *key = &config_keys[ln->key];
			char *deflt = config_key_value(key, s->def, &s->defzone);
			size_t len = ln->len;

			if (!deflt)
				goto out;
			while (len && (text[len - 1] == '\n' || text[len - 1] == '\r'))
				len--;
			if (sec->first[ln->key] == i + 1 && (*values[slot] || *deflt))
				save_rewrite(s, text, len, key, values[slot]);
			free(deflt);
		} else {
			save_text(s, text, ln->len);
		}
		if (sec && sec->last == i + 1 &&
		    save_missing_keys(s, sec->z, sec->first, false) < 0)
			goto out;
	}
	for (size_t i = 0; i < s->cfg->nzones; i++) {
		const struct zone *z = &s->cfg->zones[i];
		bool known = false;

		for (size_t j = 0; j < map->nsections; j++)
			known |= map->sections[j].zone && strcmp(map->sections[j].name, z->name) == 0;
		if (known)
			continue;
		if (s->col)
			save_eol(s);
		save_eol(s);
		fprintf(s->out, "[zone %s]%s", z->name, s->eol);
		if (save_missing_keys(s, z, NULL, true) < 0)
			goto out;
	}
	rc = 0;
out:
	for (size_t i = 0; values && i < (map->nsections + 1) * config_nkeys; i++)
		free(values[i]);
	free(values);
	free(changed);
	free(drop);
	free(firsts);
	free(secs);
	return rc;
}

static int save_fresh(struct save *s)
{
	fprintf(s->out, "; smtpguard configuration; every key is explained in the example "
			"smtpguard.conf%s%s[general]%s",
		s->eol, s->eol, s->eol);
	if (save_missing_keys(s, NULL, NULL, false) < 0)
		return -1;
	for (size_t i = 0; i < s->cfg->nzones; i++) {
		fprintf(s->out, "%s[zone %s]%s", s->eol, s->cfg->zones[i].name, s->eol);
		if (save_missing_keys(s, &s->cfg->zones[i], NULL, true) < 0)
			return -1;
	}
	return 0;
}

/* The text config_save() writes, checked to read back as cfg; caller frees. */
static char *save_render(const struct config *cfg, const char *path, struct error *err)
{
	struct save s = { .cfg = cfg, .eol = "\n" };
	struct config_map map = { 0 };
	struct config *def = config_new_default(), *old = NULL, *back;
	struct error ignored = { 0 };
	char *text = NULL;
	size_t size = 0;
	int rc;

	if (cfg->source) {
		const char *nl = strchr(cfg->source, '\n');

		if (nl && nl > cfg->source && nl[-1] == '\r')
			s.eol = "\r\n";
		old = config_parse_map(cfg->source, strlen(cfg->source), path, &map, &ignored);
	}
	s.out = open_memstream(&text, &size);
	if (!def || !s.out) {
		rc = -1;
	} else {
		s.def = def;
		s.old = old;
		config_zone_init(&s.defzone);
		rc = old ? save_from_source(&s, &map) : save_fresh(&s);
	}
	if (s.out && fclose(s.out) != 0)
		rc = -1;
	config_map_free(&map);
	config_free(old);
	config_free(def);
	if (rc < 0) {
		free(text);
		error_set(err, "out of memory writing %s; nothing was written", path);
		return NULL;
	}
	back = config_parse(text, size, path, err);
	if (!back || !config_equal(cfg, back)) {
		if (back)
			error_set(err, "the text for %s would not read back as the same config "
				       "(a bug); nothing was written",
				  path);
		free(text);
		text = NULL;
	}
	config_free(back);
	return text;
}

int config_save(const struct config *cfg, const char *path, struct error *err)
{
	struct atomicfile af;
	char *text;
	int rc;

	if (config_validate(cfg, err) < 0)
		return -1;
	text = save_render(cfg, path, err);
	if (!text)
		return -1;
	rc = atomicfile_open(&af, path, err);
	if (rc == 0) {
		fputs(text, af.fp);
		rc = atomicfile_commit(&af, err);
	}
	free(text);
	return rc;
}
