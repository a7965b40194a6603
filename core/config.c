/*
 * config.c - the policy model's lifecycle: a config of defaults, free,
 * deep copy and compare, and the error and array helpers every
 * config_*.c file shares (config_priv.h lists who does what).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "config_priv.h"
#include "sanitize.h"

static const char *const default_log_files[] = { "/var/log/kern.log", "/var/log/messages" };

int config_place_error(struct error *err, const char *file, unsigned line, const char *fmt, ...)
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

int config_usage_error(struct error *err)
{
	if (err)
		err->code = EXIT_USAGE;
	return -1;
}

const char *config_line_note(unsigned line, char buf[32])
{
	buf[0] = '\0';
	if (line)
		snprintf(buf, 32, " (line %u)", line);
	return buf;
}

void *config_array_grow(void *array_ptr, size_t *n, size_t size)
{
	void **array = array_ptr;
	char *p = realloc(*array, (*n + 1) * size);

	if (!p)
		return NULL;
	*array = p;
	memset(p + *n * size, 0, size);
	return p + (*n)++ * size;
}

int config_out_of_memory(struct error *err)
{
	return error_set(err, "out of memory while reading the config; free some memory and "
			      "try again");
}

static void relays_free(struct relay *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(list[i].resolved);
	free(list);
}

void config_zone_init(struct zone *z)
{
	memset(z, 0, sizeof(*z));
	z->mode = MODE_MONITOR;
	z->ban_seconds = 60;
	z->ban_prefix6 = CONFIG_BAN_PREFIX6;
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
	snprintf(cfg->hits_log, sizeof(cfg->hits_log), "%s", CONFIG_HITS_LOG_DEFAULT);
	cfg->metrics_interval = 15;
	cfg->alert_interval = CONFIG_ALERT_INTERVAL_DEFAULT;
	for (size_t i = 0; i < ARRAY_SIZE(default_log_files); i++) {
		if (config_keys[KEY_LOG_FILES].add(cfg, NULL, default_log_files[i], 0, NULL) < 0) {
			config_free(cfg);
			return NULL;
		}
	}
	return cfg;
}

void config_zone_release(struct zone *z)
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
		config_zone_release(&cfg->zones[i]);
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

/* Deep copy of a relay list of n; NULL (n > 0) when out of memory. */
static struct relay *relays_copy(const struct relay *src, size_t n)
{
	struct relay *dst = mem_dup(src, n * sizeof(*src));

	for (size_t i = 0; dst && i < n; i++) {
		dst[i].resolved = mem_dup(src[i].resolved, src[i].nresolved * sizeof(struct addr));
		if (src[i].nresolved && !dst[i].resolved) {
			dst[i].nresolved = 0;
			relays_free(dst, i + 1);
			return NULL;
		}
	}
	return dst;
}

static int zone_copy(struct zone *dst, const struct zone *src)
{
	*dst = *src;
	dst->devices = mem_dup(src->devices, src->ndevices * sizeof(*src->devices));
	dst->quarantine = mem_dup(src->quarantine, src->nquarantine * sizeof(*src->quarantine));
	dst->relays = relays_copy(src->relays, src->nrelays);
	if (src->nrelays && !dst->relays)
		dst->nrelays = 0;
	if ((src->ndevices && !dst->devices) || (src->nquarantine && !dst->quarantine) ||
	    (src->nrelays && !dst->relays)) {
		config_zone_release(dst);
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
	c->relays = relays_copy(src->relays, src->nrelays);
	if (src->nrelays && !c->relays)
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
