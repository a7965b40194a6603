/*
 * offender.c - sliding-window attempt counts per (zone, host) in a fixed
 * table; see include/offender.h.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "offender.h"

struct offender_slot {
	struct hit_source s;		/* the facts since the window began */
	uint32_t buckets[OFFENDER_BUCKETS];
	int64_t newest;			/* index (time / width) of the newest bucket */
	uint32_t dests[OFFENDER_DESTS];	/* hashes of distinct destinations */
	bool used, offender;
};

struct offender_table {
	const struct config *cfg;
	struct offender_slot *slots;
	size_t nslots, nused, evicted;
};

struct offender_table *offender_table_new(const struct config *cfg, size_t max_hosts)
{
	struct offender_table *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->cfg = cfg;
	t->nslots = max_hosts > OFFENDER_PROBES ? max_hosts : OFFENDER_PROBES;
	t->slots = calloc(t->nslots, sizeof(*t->slots));
	if (!t->slots) {
		free(t);
		return NULL;
	}
	return t;
}

void offender_table_free(struct offender_table *t)
{
	if (!t)
		return;
	free(t->slots);
	free(t);
}

size_t offender_count(const struct offender_table *t)
{
	return t->nused;
}

size_t offender_evicted(const struct offender_table *t)
{
	return t->evicted;
}

static const struct zone *zone_named(const struct config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->nzones; i++)
		if (strcmp(cfg->zones[i].name, name) == 0)
			return &cfg->zones[i];
	return NULL;
}

/* The slot of (zone, src): its own, a free one, or the stalest of the probed ones, evicted. */
static struct offender_slot *slot_find(struct offender_table *t, const struct hit *h)
{
	uint32_t hash = (uint32_t)addr_hash(addr_hash_bytes(ADDR_HASH_SEED, h->zone, strlen(h->zone)),
					    &h->src);
	struct offender_slot *free_slot = NULL, *stalest = NULL;

	for (size_t k = 0; k < OFFENDER_PROBES; k++) {
		struct offender_slot *s = &t->slots[(hash + k) % t->nslots];

		if (!s->used) {
			if (!free_slot)
				free_slot = s;
			continue;
		}
		if (addr_equal(&s->s.src, &h->src) && strcmp(s->s.zone, h->zone) == 0)
			return s;
		if (!stalest || s->s.last < stalest->s.last)
			stalest = s;
	}
	if (free_slot) {
		t->nused++;
		return free_slot;
	}
	t->evicted++;
	memset(stalest, 0, sizeof(*stalest));
	return stalest;
}

static void dest_add(struct offender_slot *s, const struct addr *dst)
{
	uint32_t hash = (uint32_t)addr_hash(ADDR_HASH_SEED, dst) | 1u;	/* 0 marks a free entry */

	for (size_t i = 0; i < OFFENDER_DESTS; i++) {
		if (s->dests[i] == hash)
			return;
		if (!s->dests[i]) {
			s->dests[i] = hash;
			s->s.destinations++;
			return;
		}
	}
	s->s.destinations_capped = true;
}

bool offender_add(struct offender_table *t, const struct hit *h, struct hit_source *out)
{
	const struct zone *z = h->trusted && h->zone[0] ? zone_named(t->cfg, h->zone) : NULL;
	const struct alert_threshold *th = z ? &z->alert_threshold : NULL;
	unsigned width, nbuckets;
	uint64_t sum = 0;
	struct offender_slot *s;
	int64_t idx;

	if (!th || !th->count)
		return false;
	width = (th->period + OFFENDER_BUCKETS - 1) / OFFENDER_BUCKETS;
	if (!width)
		width = 1;
	nbuckets = (th->period + width - 1) / width;
	idx = (int64_t)h->time / width;
	s = slot_find(t, h);
	if (s->used && idx > s->newest) {
		/* clear the buckets that slid out; a window emptied whole starts the host afresh */
		for (int64_t i = s->newest + 1; i <= idx && i <= s->newest + OFFENDER_BUCKETS; i++)
			s->buckets[i % OFFENDER_BUCKETS] = 0;
		s->newest = idx;
		for (unsigned i = 0; i < nbuckets; i++)
			sum += s->buckets[(uint64_t)(idx - (int64_t)i) % OFFENDER_BUCKETS];
		if (!sum)
			memset(s, 0, sizeof(*s));
	}
	if (!s->used) {
		s->used = true;
		s->newest = idx;
		s->s.src = h->src;
		memcpy(s->s.zone, h->zone, sizeof(s->s.zone));
		s->s.first = h->time;
	}
	if (idx > s->newest - (int64_t)nbuckets)	/* older than the window: facts only */
		s->buckets[(uint64_t)idx % OFFENDER_BUCKETS]++;
	s->s.attempts++;
	if (h->time > s->s.last)
		s->s.last = h->time;
	if (h->has_src_mac)
		mac_format(h->src_mac, s->s.mac);
	dest_add(s, &h->dst);
	if (s->offender)
		return false;
	sum = 0;
	for (unsigned i = 0; i < nbuckets; i++)
		sum += s->buckets[(uint64_t)(s->newest - (int64_t)i) % OFFENDER_BUCKETS];
	if (sum <= th->count)
		return false;
	s->offender = true;
	*out = s->s;
	return true;
}
