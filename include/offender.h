/*
 * offender.h - who is past a zone's alert_threshold: `watch` counts each
 * host's guarded-port attempts per zone in a sliding window and reports
 * a host once when it goes past the threshold.
 *
 * The window is cut into at most OFFENDER_BUCKETS slots of
 * ceil(period / OFFENDER_BUCKETS) seconds (at least 1 s): counts are
 * exact to within one slot.  A host whose window has emptied (quiet for
 * a whole period) starts afresh and can become an offender again.
 *
 * Memory is bounded: a fixed table of max_hosts entries allocated once,
 * keyed by (zone, address), found within OFFENDER_PROBES slots of its
 * hash; when none of them is free the entry seen longest ago among them
 * is evicted (a flood of new sources costs the oldest quiet entries,
 * never memory).  Distinct destinations are counted up to
 * OFFENDER_DESTS (then destinations_capped).
 *
 * Ownership: offender_table_new() returns a table freed with
 * offender_table_free(); cfg must outlive it.
 */
#ifndef SMTPGUARD_OFFENDER_H
#define SMTPGUARD_OFFENDER_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "hit.h"

#define OFFENDER_BUCKETS 16
#define OFFENDER_PROBES 8
#define OFFENDER_DESTS 16
#define OFFENDER_HOSTS_DEFAULT 4096

struct offender_table;

struct offender_table *offender_table_new(const struct config *cfg, size_t max_hosts);
void offender_table_free(struct offender_table *t);
/*
 * Count hit h (trusted, of a zone with a threshold; others are ignored).
 * True when its host has just gone past its zone's threshold: *out holds
 * the facts since the host's window began (attempts, destinations,
 * first and last time, zone, MAC of its latest hit).
 */
bool offender_add(struct offender_table *t, const struct hit *h, struct hit_source *out);
/* Hosts held, and entries evicted to make room. */
size_t offender_count(const struct offender_table *t);
size_t offender_evicted(const struct offender_table *t);

#endif
