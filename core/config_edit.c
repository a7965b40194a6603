/*
 * config_edit.c - the edits the console makes to a config: zones and
 * the items of the relay, device and quarantine lists.  Every edit
 * validates as the reader does (it goes through the key table) and
 * returns -1 with an EXIT_USAGE error on bad input, changing nothing.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "config_priv.h"

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
		return config_usage_error(err), NULL;
	if (config_zone(cfg, name)) {
		error_set(err, "zone %s already exists; choose another name", name);
		return config_usage_error(err), NULL;
	}
	for (size_t i = 0; i < cfg->nzones; i++) {
		if (ifname_overlap(cfg->zones[i].interface, ifname)) {
			error_set(err, "%s is already the interface of zone %s (%s); give each zone "
				       "its own interface",
				  ifname, cfg->zones[i].name, cfg->zones[i].interface);
			return config_usage_error(err), NULL;
		}
	}
	for (size_t w = 0; w < cfg->nwan; w++) {
		if (ifname_overlap(cfg->wan[w], ifname)) {
			error_set(err, "%s is a WAN interface (wan = %s); give the zone the interface "
				       "its clients are on",
				  ifname, cfg->wan[w]);
			return config_usage_error(err), NULL;
		}
	}
	if (cfg->nzones == CONFIG_MAX_ZONES) {
		error_set(err, "there are already %d zones; remove one first", CONFIG_MAX_ZONES);
		return config_usage_error(err), NULL;
	}
	z = config_array_grow(&cfg->zones, &cfg->nzones, sizeof(*z));
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
		return config_usage_error(err);
	}
	i = (size_t)(z - cfg->zones);
	config_zone_release(z);
	memmove(z, z + 1, (cfg->nzones - i - 1) * sizeof(*z));
	cfg->nzones--;
	return 0;
}

/* Where an edited list lives and what names it in messages, indexed by enum config_list. */
struct list_kind {
	const char *name;		/* "the list of relays" */
	enum config_key_id key;		/* the zone key: its .add checks and appends an item */
	size_t items, count;		/* offsetof the array and its count in struct zone */
	size_t general_items, general_count;	/* the same in struct config; 0: zones only */
	size_t size;			/* of an item */
	/* *at = index of the item text names (count when absent); -1 with err when text is no item. */
	int (*find)(const void *items, size_t n, const char *text, size_t *at, struct error *err);
};

static int relay_find(const void *items, size_t n, const char *text, size_t *at,
		      struct error *err)
{
	const struct relay *list = items;
	struct relay r;

	if (config_relay_parse(text, &r, err) < 0)
		return -1;
	for (*at = 0; *at < n && !config_relay_same(&list[*at], &r); (*at)++)
		;
	return 0;
}

/* Both the MAC and the address must match: removing a pair names the pair. */
static int device_find(const void *items, size_t n, const char *text, size_t *at,
		       struct error *err)
{
	const struct device *list = items;
	struct device d;

	if (config_device_parse(text, &d, err) < 0)
		return -1;
	for (*at = 0; *at < n; (*at)++)
		if (addr_equal(&list[*at].ip, &d.ip) && memcmp(list[*at].mac, d.mac, sizeof(d.mac)) == 0)
			break;
	return 0;
}

static int quarantine_find(const void *items, size_t n, const char *text, size_t *at,
			   struct error *err)
{
	const struct quarantine *list = items;
	struct quarantine q;

	if (config_quarantine_parse(text, &q, err) < 0)
		return -1;
	for (*at = 0; *at < n && !config_quarantine_equal(&list[*at], &q); (*at)++)
		;
	return 0;
}

static const struct list_kind list_kinds[CONFIG_LIST_COUNT] = {
	[CONFIG_LIST_RELAYS] = { .name = "the list of relays", .key = KEY_ZONE_RELAYS,
				 .items = offsetof(struct zone, relays),
				 .count = offsetof(struct zone, nrelays),
				 .general_items = offsetof(struct config, relays),
				 .general_count = offsetof(struct config, nrelays),
				 .size = sizeof(struct relay), .find = relay_find },
	[CONFIG_LIST_DEVICES] = { .name = "the list of devices", .key = KEY_ZONE_DEVICES,
				  .items = offsetof(struct zone, devices),
				  .count = offsetof(struct zone, ndevices),
				  .size = sizeof(struct device), .find = device_find },
	[CONFIG_LIST_QUARANTINE] = { .name = "the quarantine list", .key = KEY_ZONE_QUARANTINE,
				     .items = offsetof(struct zone, quarantine),
				     .count = offsetof(struct zone, nquarantine),
				     .size = sizeof(struct quarantine), .find = quarantine_find },
};

/* The kind of list, or NULL with err when z (NULL: [general]) has no such list. */
static const struct list_kind *list_kind(const struct zone *z, enum config_list list,
					 struct error *err)
{
	if ((unsigned)list >= CONFIG_LIST_COUNT || (!z && !list_kinds[list].general_items)) {
		error_set(err, "[general] has no such list; select a zone");
		config_usage_error(err);
		return NULL;
	}
	return &list_kinds[list];
}

int config_list_add(struct config *cfg, struct zone *z, enum config_list list, const char *text,
		    struct error *err)
{
	const struct list_kind *k = list_kind(z, list, err);
	const struct config_key *key;

	if (!k)
		return -1;
	key = &config_keys[z ? k->key : KEY_RELAYS];
	return key->add(cfg, z, text, 0, err) < 0 ? config_usage_error(err) : 0;
}

int config_list_remove(struct config *cfg, struct zone *z, enum config_list list,
		       const char *text, struct error *err)
{
	const struct list_kind *k = list_kind(z, list, err);
	char *owner = z ? (char *)z : (char *)cfg, *items, where[32];
	size_t *n, at;

	if (!k)
		return -1;
	memcpy(&items, owner + (z ? k->items : k->general_items), sizeof(items));
	n = (size_t *)(owner + (z ? k->count : k->general_count));
	if (k->find(items, *n, text, &at, err) < 0)
		return config_usage_error(err);
	if (at == *n) {
		if (z)
			snprintf(where, sizeof(where), "zone %s", z->name);
		error_set(err, "%s is not in %s of %s; nothing removed", text, k->name,
			  z ? where : "[general]");
		return config_usage_error(err);
	}
	if (list == CONFIG_LIST_RELAYS)
		free(((struct relay *)(void *)items)[at].resolved);
	memmove(items + at * k->size, items + (at + 1) * k->size, (*n - at - 1) * k->size);
	(*n)--;
	return 0;
}
