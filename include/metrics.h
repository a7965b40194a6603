/*
 * metrics.h - smtpguard's metrics in the Prometheus text format (what
 * node_exporter's textfile collector reads): `smtpguard metrics` prints
 * them once, `watch` rewrites metrics_file with them (atomically, by
 * rename) every metrics_interval seconds.
 *
 *   smtpguard_rule_packets_total{zone,family,verdict}  counter
 *   smtpguard_rule_bytes_total{zone,family,verdict}    counter
 *       the kernel's counters of the own rules of both families, summed
 *       per zone and verdict (only combinations that have a rule); on
 *       nftables a rule that matches both families is family "inet"
 *   smtpguard_banned_hosts{zone}   gauge: hosts whose rate ban runs now
 *   smtpguard_drift                gauge: 1 when the kernel's own rules
 *                                  are out of step with the config (left
 *                                  out when it cannot be compiled: a relay
 *                                  name that does not resolve)
 *   smtpguard_hits_total{zone,action}    counter  \  written by watch only:
 *   smtpguard_hits_lost_total            counter   } counted since
 *   smtpguard_watch_start_time_seconds   gauge    /  it started
 *
 * Labels are bounded: zone is a zone of the config, or "-" for rules and
 * hits of no zone (the jumps in FORWARD and INPUT, chains of zones the
 * config no longer has, hits from other interfaces); family is ipv4,
 * ipv6 or (nftables) inet; verdict one of metrics_verdict_names (drop, log (LOG or NFLOG),
 * return, jump (to an own chain), accept, mark (rate-ban's CONNMARK));
 * action one of hit_action_names ("-", logged, dropped).  No per-host
 * label.
 *
 * Ownership: everything is the caller's; struct metrics holds no pointer
 * it owns.
 */
#ifndef SMTPGUARD_METRICS_H
#define SMTPGUARD_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "config.h"
#include "dualstack.h"
#include "error.h"
#include "fw.h"
#include "hit.h"

#define METRICS_ZONES (CONFIG_MAX_ZONES + 1)	/* the config's zones in order, then "-" */
/* ipv4, ipv6 (dualstack_families order), then inet: an nftables rule that matches both */
#define METRICS_FAMILIES (DUALSTACK_N + 1)
#define METRICS_FAMILY_INET DUALSTACK_N

enum metrics_verdict {
	METRICS_DROP,
	METRICS_LOG,
	METRICS_RETURN,
	METRICS_JUMP,
	METRICS_ACCEPT,
	METRICS_MARK,
	METRICS_VERDICT_COUNT
};

extern const char *const metrics_verdict_names[METRICS_VERDICT_COUNT];

/* What watch counts while it runs. */
struct metrics_hits {
	uint64_t count[METRICS_ZONES][HIT_ACTION_COUNT];
	uint64_t lost;
	time_t since;
};

struct metrics_sum {
	uint64_t packets, bytes;
	bool any;		/* a rule of this kind exists */
};

struct metrics {
	const struct config *cfg;
	struct metrics_sum rules[METRICS_ZONES][METRICS_FAMILIES][METRICS_VERDICT_COUNT];
	unsigned bans[METRICS_ZONES];
	bool drift;
	bool drift_known;	/* false: cfg could not be compiled (a relay name not resolved) */
	const struct metrics_hits *hits;	/* NULL: not watch, the hits series are left out */
};

/* Count one hit of watch's (zone "-" when it has none of cfg's). */
void metrics_hits_add(struct metrics_hits *h, const struct config *cfg, const struct hit *hit);

/*
 * Fill m from the backend: both tables' own rules (fw->read), the bans
 * (fw->bans) and the plan of cfg against the tables (drift).  hits may
 * be NULL.  -1 with err when a read fails.
 */
int metrics_collect(const struct config *cfg, const struct fw_ops *fw,
		    const struct metrics_hits *hits, struct metrics *m, struct error *err);

/* Add one table's own rules (family index in dualstack_families order) to m; -1 when one does not parse. */
int metrics_add_table(struct metrics *m, const struct fw_table *t, size_t family,
		      struct error *err);

/*
 * Add the own rules of the nftables backend (fw_nft's read(): chains of
 * table inet smtpguard, rules in nft's text, "counter" without numbers)
 * to m.  A rule without one of the verdicts compile_nft writes after its
 * counter (one added by hand) is left out; drift says it is there.
 */
void metrics_add_nft_table(struct metrics *m, const struct fw_table *t);

/* The text format on out; -1 when out fails. */
int metrics_write(const struct metrics *m, FILE *out);
/* The same into path by atomicfile (include/atomicfile.h): readers see the old or the new file. */
int metrics_write_file(const struct metrics *m, const char *path, struct error *err);

/* A label value escaped as the format wants (\\, \", \n) into buf; false when it does not fit. */
bool metrics_escape_label(const char *value, char *buf, size_t size);

#endif
