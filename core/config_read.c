/*
 * config_read.c - reading smtpguard.conf with inih (config_load,
 * config_parse).
 *
 * inih is fed through ini_parse_stream() from the text we read
 * ourselves, one line per reader call, so we know the line of every
 * callback and of every [section] header (inih does not report headers
 * of empty sections).  Before inih sees the text it is checked for NUL
 * bytes and for lines longer than inih's buffer, which inih would
 * silently cut.  The first fault stops the parse.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "config_priv.h"

#define CONFIG_FILE_MAX (1024 * 1024)

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
	config_place_error(p->err, p->name, p->line, "%s", text);
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
	sec = config_array_grow(&p->map.sections, &p->map.nsections, sizeof(*sec));
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
	z = config_array_grow(&cfg->zones, &cfg->nzones, sizeof(*z));
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
	ml = config_array_grow(&p->map.lines, &p->map.nlines, sizeof(*ml));
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
		if (strlen(item) > CONFIG_ITEM_MAX)
			return error_set(err, "an item is longer than %d characters; shorten it",
					 CONFIG_ITEM_MAX);
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
		return config_place_error(err, name, 1, "the file is empty; start from the example "
						 "smtpguard.conf, which lists every key");
	for (size_t i = 0; i <= len; i++) {
		if (i < len && text[i] == '\0')
			return config_place_error(err, name, line, "contains a NUL byte at line %u; this "
							    "is not a text config, check the file "
							    "name",
					   line);
		if (i == len || text[i] == '\n') {
			size_t n = i - start;

			if (n && text[i - 1] == '\r')
				n--;
			if (n > CONFIG_LINE_MAX)
				return config_place_error(err, name, line,
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
		return config_place_error(p->err, p->name, 0,
				   "there is no [general] section; add one with at least "
				   "wan = (your uplink interface)");
	if (cfg->nwan == 0)
		return config_place_error(p->err, p->name, p->general_line,
				   "[general] has no wan; name the uplink interface(s), like "
				   "wan = eth0");
	for (size_t i = 0; i < cfg->nzones; i++)
		if (!cfg->zones[i].interface[0])
			return config_place_error(p->err, p->name, cfg->zones[i].line,
					   "zone %s has no interface; add interface = (the "
					   "interface its clients are on)",
					   cfg->zones[i].name);
	/* at the escalate line itself; config_validate() knows only the zone's */
	for (size_t l = 0; l < p->map.nlines; l++) {
		const struct config_line *ml = &p->map.lines[l];
		struct error e = { 0 };

		if (ml->kind != CONFIG_LINE_KEY || ml->key != KEY_ZONE_ESCALATE || ml->section < 0)
			continue;
		for (size_t i = 0; i < cfg->nzones; i++)
			if (strcmp(cfg->zones[i].name, p->map.sections[ml->section].name) == 0 &&
			    config_escalate_check(&cfg->zones[i], &e) < 0)
				return config_place_error(p->err, p->name, (unsigned)l + 1,
							  "zone %s: %s", cfg->zones[i].name, e.text);
	}
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
		return config_usage_error(err), NULL;
	}
	if (fstat(fd, &st) < 0) {
		error_set(err, "cannot read %s: %s; check the file", path, strerror(errno));
		close(fd);
		return NULL;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > CONFIG_FILE_MAX) {
		if (S_ISDIR(st.st_mode))
			config_place_error(err, path, 0, "is a directory; give the config file, like "
						  "%s/smtpguard.conf",
				    path);
		else if (!S_ISREG(st.st_mode))
			config_place_error(err, path, 0, "is not a regular file (a device, FIFO or "
						  "socket); give the config file");
		else
			config_place_error(err, path, 0, "is %lld bytes, more than the %d a config may "
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
		config_place_error(err, path, 0, "grew beyond %d bytes while being read; check the file",
			    CONFIG_FILE_MAX);
	else
		cfg = config_parse(text, len, path, err);
	free(text);
	close(fd);
	return cfg;
}
