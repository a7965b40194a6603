/*
 * hitstats.c - bounded memory for hits: per-source counts (open
 * addressing, fixed size) and the ring of the newest hits; see
 * include/hit.h.  Nothing allocates after _new(), so a flood costs
 * time per hit, never memory.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "hit.h"

struct source_slot {
	struct hit_source s;
	bool used;
};

/* A (source, destination) pair seen, for distinct destination counts. */
struct pair_slot {
	uint32_t source;	/* index + 1 into sources; 0 = empty */
	int family;
	unsigned char dst[16];
};

struct hit_stats {
	struct source_slot *sources;
	size_t nslots, nused, max_sources;
	struct pair_slot *pairs;
	size_t npair_slots, npairs, max_pairs;
	uint64_t attempts, overflow;
};

struct hit_ring {
	struct hit *hits;
	size_t capacity, head, len;	/* head: where the next push goes */
	uint64_t total;
	struct hit_stats *stats;
};


static size_t table_size(size_t n)
{
	size_t size = 16;

	while (size < n * 2)
		size *= 2;
	return size;
}

struct hit_stats *hit_stats_new(size_t max_sources, size_t max_pairs)
{
	struct hit_stats *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->max_sources = max_sources ? max_sources : 1;
	s->max_pairs = max_pairs;
	s->nslots = table_size(s->max_sources);
	s->npair_slots = max_pairs ? table_size(max_pairs) : 0;
	s->sources = calloc(s->nslots, sizeof(*s->sources));
	s->pairs = s->npair_slots ? calloc(s->npair_slots, sizeof(*s->pairs)) : NULL;
	if (!s->sources || (s->npair_slots && !s->pairs)) {
		hit_stats_free(s);
		return NULL;
	}
	return s;
}

void hit_stats_free(struct hit_stats *s)
{
	if (!s)
		return;
	free(s->sources);
	free(s->pairs);
	free(s);
}

void hit_stats_clear(struct hit_stats *s)
{
	memset(s->sources, 0, s->nslots * sizeof(*s->sources));
	if (s->pairs)
		memset(s->pairs, 0, s->npair_slots * sizeof(*s->pairs));
	s->nused = s->npairs = 0;
	s->attempts = s->overflow = 0;
}

static bool same_host(const struct addr *a, int family, const unsigned char bytes[16])
{
	return a->family == family && memcmp(a->bytes, bytes, family == AF_INET6 ? 16 : 4) == 0;
}

/* The slot of src, a free slot for it, or NULL when the table is full. */
static struct source_slot *source_find(struct hit_stats *s, const struct addr *src)
{
	size_t mask = s->nslots - 1;
	size_t i = (size_t)addr_hash(ADDR_HASH_SEED, src) & mask;

	for (;; i = (i + 1) & mask) {
		struct source_slot *slot = &s->sources[i];

		if (!slot->used)
			return s->nused < s->max_sources ? slot : NULL;
		if (same_host(&slot->s.src, src->family, src->bytes))
			return slot;
	}
}

/* Record (source index, dst); true when the pair is new. */
static bool pair_add(struct hit_stats *s, uint32_t source, const struct addr *dst, bool *full)
{
	size_t mask = s->npair_slots - 1;
	uint64_t h = addr_hash(ADDR_HASH_SEED ^ source, dst);

	*full = false;
	for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
		struct pair_slot *p = &s->pairs[i];

		if (!p->source) {
			if (s->npairs >= s->max_pairs) {
				*full = true;
				return false;
			}
			p->source = source;
			p->family = dst->family;
			memcpy(p->dst, dst->bytes, sizeof(p->dst));
			s->npairs++;
			return true;
		}
		if (p->source == source && p->family == dst->family &&
		    memcmp(p->dst, dst->bytes, sizeof(p->dst)) == 0)
			return false;
	}
}

void hit_stats_add(struct hit_stats *s, const struct hit *h)
{
	struct source_slot *slot = source_find(s, &h->src);
	bool full = true;

	s->attempts++;
	if (!slot) {
		s->overflow++;
		return;
	}
	if (!slot->used) {
		slot->used = true;
		s->nused++;
		slot->s.src = h->src;
		slot->s.first = slot->s.last = h->time;
	}
	slot->s.attempts++;
	if (h->time < slot->s.first)
		slot->s.first = h->time;
	if (h->time > slot->s.last)
		slot->s.last = h->time;
	memcpy(slot->s.zone, h->zone, sizeof(slot->s.zone));
	if (h->has_src_mac)
		mac_format(h->src_mac, slot->s.mac);
	if (s->pairs &&
	    pair_add(s, (uint32_t)(slot - s->sources) + 1, &h->dst, &full))
		slot->s.destinations++;
	else if (full)
		slot->s.destinations_capped = true;
}

uint64_t hit_stats_attempts(const struct hit_stats *s)
{
	return s->attempts;
}

uint64_t hit_stats_overflow(const struct hit_stats *s)
{
	return s->overflow;
}

size_t hit_stats_count(const struct hit_stats *s)
{
	return s->nused;
}

static int source_order(const void *a, const void *b)
{
	const struct hit_source *x = *(const struct hit_source *const *)a;
	const struct hit_source *y = *(const struct hit_source *const *)b;

	if (x->attempts != y->attempts)
		return x->attempts > y->attempts ? -1 : 1;
	if (x->last != y->last)
		return x->last > y->last ? -1 : 1;
	return memcmp(x->src.bytes, y->src.bytes, sizeof(x->src.bytes));
}

size_t hit_stats_top(const struct hit_stats *s, struct hit_source *out, size_t n)
{
	const struct hit_source **all;
	size_t k = 0;

	if (!s->nused || !n)
		return 0;
	all = malloc(s->nused * sizeof(*all));
	if (!all)
		return 0;
	for (size_t i = 0; i < s->nslots; i++)
		if (s->sources[i].used)
			all[k++] = &s->sources[i].s;
	qsort(all, k, sizeof(*all), source_order);
	if (n > k)
		n = k;
	for (size_t i = 0; i < n; i++)
		out[i] = *all[i];
	free(all);
	return n;
}

bool hit_stats_find(const struct hit_stats *s, const struct addr *src, struct hit_source *out)
{
	size_t mask = s->nslots - 1;

	for (size_t i = (size_t)addr_hash(ADDR_HASH_SEED, src) & mask; s->sources[i].used;
	     i = (i + 1) & mask) {
		if (same_host(&s->sources[i].s.src, src->family, src->bytes)) {
			*out = s->sources[i].s;
			return true;
		}
	}
	return false;
}

/* ---- the ring */

struct hit_ring *hit_ring_new(size_t capacity, size_t max_sources)
{
	struct hit_ring *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->capacity = capacity ? capacity : 1;
	r->hits = calloc(r->capacity, sizeof(*r->hits));
	r->stats = hit_stats_new(max_sources, max_sources * 8);
	if (!r->hits || !r->stats) {
		hit_ring_free(r);
		return NULL;
	}
	return r;
}

void hit_ring_free(struct hit_ring *r)
{
	if (!r)
		return;
	free(r->hits);
	hit_stats_free(r->stats);
	free(r);
}

void hit_ring_push(struct hit_ring *r, const struct hit *h)
{
	r->hits[r->head] = *h;
	r->head = (r->head + 1) % r->capacity;
	if (r->len < r->capacity)
		r->len++;
	r->total++;
	hit_stats_add(r->stats, h);
}

size_t hit_ring_len(const struct hit_ring *r)
{
	return r->len;
}

const struct hit *hit_ring_at(const struct hit_ring *r, size_t i)
{
	if (i >= r->len)
		return NULL;
	return &r->hits[(r->head + r->capacity - 1 - i) % r->capacity];
}

uint64_t hit_ring_total(const struct hit_ring *r)
{
	return r->total;
}

const struct hit_stats *hit_ring_stats(const struct hit_ring *r)
{
	return r->stats;
}

void hit_ring_clear(struct hit_ring *r)
{
	r->head = r->len = 0;
	r->total = 0;
	hit_stats_clear(r->stats);
}
