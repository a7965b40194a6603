/*
 * console_story.c - one host's whole story (Enter on an offender or a
 * hit): its hits still in the ring, newest first, and the facts about
 * it: the hit counts since the start (first and last seen, distinct
 * destinations, MAC), its rate ban as the backend's bans op last read it,
 * whether its zone quarantines or lists it, and its addresses of the
 * other family (the neighbour table's at its MAC).  console_draw.c draws it.
 *
 * The story follows the pause as the areas do: while paused its hits stop
 * at the pause and its counts stay as they were.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "console.h"
#include "neighwatch.h"

bool console_host_selected(const struct console *c, struct addr *addr,
			   char zone[ZONE_NAME_MAX + 1])
{
	size_t i;

	if (c->mode == CMODE_STORY) {
		*addr = c->story_addr;
		snprintf(zone, ZONE_NAME_MAX + 1, "%s", c->story_zone);
		return true;
	}
	if ((c->area != AREA_OFFENDERS && c->area != AREA_HITS) ||
	    !console_row(c, c->area, c->view[c->area].sel, &i))
		return false;
	if (c->area == AREA_OFFENDERS) {
		*addr = c->offenders[i].addr;
		snprintf(zone, ZONE_NAME_MAX + 1, "%s", c->offenders[i].zone);
	} else {
		const struct hit *h = hit_ring_at(c->ring, i);

		*addr = h->src;
		snprintf(zone, ZONE_NAME_MAX + 1, "%s", h->zone);
	}
	return true;
}

/* The host's hits in the ring (only those older than a pause) and, unless paused, its counts. */
static void story_build(struct console *c, bool counts)
{
	size_t len = c->ring ? hit_ring_len(c->ring) : 0, n = 0;
	uint64_t total = c->ring ? hit_ring_total(c->ring) : 0;
	uint64_t upto = c->paused ? c->paused_total : total;
	size_t *rows = realloc(c->story_hits, (len ? len : 1) * sizeof(*rows));

	if (!rows)
		console_die("out of memory");
	c->story_hits = rows;
	for (size_t i = 0; i < len; i++) {
		uint64_t seq = total - 1 - i;
		const struct hit *h = hit_ring_at(c->ring, i);

		if (seq < upto && addr_equal(&h->src, &c->story_addr))
			rows[n++] = (size_t)seq;
	}
	c->nstory_hits = n;
	if (counts)
		c->story_seen = c->ring &&
				hit_stats_find(hit_ring_stats(c->ring), &c->story_addr, &c->story_stats);
}

bool console_story_open(struct console *c)
{
	if (!console_host_selected(c, &c->story_addr, c->story_zone))
		return false;
	c->mode = CMODE_STORY;
	c->story_top = 0;
	story_build(c, true);
	console_story_neighbours(c);
	return true;
}

void console_story_neighbours(struct console *c)
{
	unsigned char mac[6];
	struct error err = { 0 };
	int other = c->story_addr.family == AF_INET ? AF_INET6 : AF_INET;

	if (c->mode != CMODE_STORY || c->paused)
		return;
	if (!c->story_seen || mac_parse(c->story_stats.mac, mac, &err) < 0 ||
	    neighwatch_addrs_of(mac, other, c->story_other, STORY_OTHER_MAX, &c->nstory_other,
				&err) < 0)
		c->nstory_other = 0;
}

void console_story_update(struct console *c)
{
	if (c->mode == CMODE_STORY)
		story_build(c, !c->paused);
}

const struct hit *console_story_hit(const struct console *c, size_t i)
{
	return i < c->nstory_hits ? console_hit_of_seq(c, c->story_hits[i]) : NULL;
}

const struct offender *console_story_ban(const struct console *c)
{
	for (size_t i = 0; i < c->noffenders; i++) {
		const struct offender *o = &c->offenders[i];

		/* an IPv6 ban is the prefix that covers the host */
		if (o->banned && addr_contains(&o->addr, &c->story_addr))
			return o;
	}
	return NULL;
}

bool console_story_quarantined(const struct console *c, char *entry, size_t size)
{
	const struct zone *z = config_zone(c->cfg, c->story_zone);
	char mac[18];

	for (size_t i = 0; z && i < z->nquarantine; i++) {
		const struct quarantine *q = &z->quarantine[i];

		if (q->is_mac) {
			mac_format(q->mac, mac);
			if (!c->story_seen || strcmp(mac, c->story_stats.mac) != 0)
				continue;
		} else if (!addr_contains(&q->addr, &c->story_addr)) {
			continue;
		}
		config_quarantine_format(q, entry, size);
		return true;
	}
	return false;
}

bool console_story_device(const struct console *c)
{
	const struct zone *z = config_zone(c->cfg, c->story_zone);

	for (size_t i = 0; z && i < z->ndevices; i++)
		if (addr_equal(&z->devices[i].ip, &c->story_addr))
			return true;
	return false;
}
