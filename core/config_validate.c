/*
 * config_validate.c - the checks that need the whole model (a zone on a
 * WAN interface, two zones on one interface, values out of range), run
 * after every read and before every save.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "config_priv.h"

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
	return config_place_error(err, cfg->path, z->line, "zone %s: %s", z->name, text);
}

static int uint_keys_check(const struct config *cfg, const struct zone *z, struct error *err)
{
	for (size_t k = 0; k < config_nkeys; k++) {
		const struct config_key *key = &config_keys[k];
		unsigned v;

		if (key->set != config_set_uint || key->zone != (z != NULL))
			continue;
		v = *config_uint_field(key, cfg, z);
		if (v < key->min || v > key->max)
			return config_place_error(err, cfg->path, z ? z->line : 0,
					   "%s%s%s = %u is out of range; write %u..%u",
					   z ? "zone " : "", z ? z->name : "", key->name, v,
					   key->min, key->max);
	}
	return 0;
}

int config_escalate_check(const struct zone *z, struct error *err)
{
	if (z->escalate && !z->alert_threshold.count)
		return error_set(err, "escalate needs alert_threshold: only an offender past it is "
				      "escalated; set alert_threshold (like 20/10min) or escalate = off");
	return 0;
}

int config_validate(const struct config *cfg, struct error *err)
{
	struct error e = { 0 };

	if (cfg->nwan == 0)
		return config_place_error(err, cfg->path, 0, "wan: no uplink interface; name it, like "
						      "wan = eth0");
	if (cfg->nports == 0)
		return config_place_error(err, cfg->path, 0, "ports: no port to guard; write ports = 25");
	if (config_log_prefix_check(cfg->log_prefix, &e) < 0)
		return config_place_error(err, cfg->path, 0, "log_prefix: %s", e.text);
	if (cfg->log_limit.count < 1 || cfg->log_limit.count > RATE_COUNT_MAX ||
	    (unsigned)cfg->log_limit.unit > RATE_DAY)
		return config_place_error(err, cfg->path, 0, "log_limit: the rate is out of range; "
						      "write 1..%d per second, minute, hour or day",
				   RATE_COUNT_MAX);
	if ((unsigned)cfg->log_target > LOG_TARGET_NFLOG)
		return config_place_error(err, cfg->path, 0, "log_target: write log or nflog");
	if (uint_keys_check(cfg, NULL, err) < 0)
		return -1;
	if (cfg->nzones > CONFIG_MAX_ZONES)
		return config_place_error(err, cfg->path, 0, "more than %d zones; merge some",
				   CONFIG_MAX_ZONES);
	for (size_t i = 0; i < cfg->nzones; i++) {
		const struct zone *z = &cfg->zones[i];

		if (zonename_check(z->name, &e) < 0)
			return config_place_error(err, cfg->path, z->line, "%s", e.text);
		if ((unsigned)z->mode >= MODE_COUNT)
			return zone_error(cfg, z, err, "the mode is unknown; write allow, "
						       "monitor, block, log or rateban");
		if (uint_keys_check(cfg, z, err) < 0)
			return -1;
		if (ifname_check(z->interface, &e) < 0)
			return zone_error(cfg, z, err, "interface: %s", e.text);
		if (config_escalate_check(z, &e) < 0)
			return zone_error(cfg, z, err, "%s", e.text);
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
						  config_line_note(o->line, at));
			if (ifname_overlap(o->interface, z->interface))
				return zone_error(cfg, z, err,
						  "interface %s is already the interface of zone "
						  "%s%s (interface = %s); give each zone its own "
						  "interface",
						  z->interface, o->name, config_line_note(o->line, at),
						  o->interface);
		}
	}
	return 0;
}
