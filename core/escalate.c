/*
 * escalate.c - which offenders `watch` escalates; see include/escalate.h.
 */
#include <string.h>

#include "escalate.h"

static bool relays_hold(const struct relay *list, size_t n, const struct addr *a)
{
	for (size_t i = 0; i < n; i++) {
		if (!list[i].is_name && addr_contains(&list[i].addr, a))
			return true;
		for (size_t j = 0; list[i].is_name && j < list[i].nresolved; j++)
			if (addr_contains(&list[i].resolved[j], a))
				return true;
	}
	return false;
}

unsigned escalate_decide(const struct config *cfg, const struct hit_source *o)
{
	const struct zone *z = NULL;

	for (size_t i = 0; i < cfg->nzones && !z; i++)
		if (strcmp(cfg->zones[i].name, o->zone) == 0)
			z = &cfg->zones[i];
	if (!z || !z->escalate || relays_hold(cfg->relays, cfg->nrelays, &o->src) ||
	    relays_hold(z->relays, z->nrelays, &o->src))
		return 0;
	for (size_t i = 0; i < z->ndevices; i++)
		if (addr_equal(&z->devices[i].ip, &o->src))
			return 0;
	return z->escalate;
}
