/*
 * fw_counters.h - libiptc's cheap refresh (struct fw_counters_ops in
 * include/fw.h, fw_iptc_ops.counters): copy the kernel's current packet
 * and byte counters into an IPv4 table read earlier with read(),
 * without libiptc and without rendering a single rule.
 *
 * One IPT_SO_GET_INFO and one IPT_SO_GET_ENTRIES on a raw socket, then a
 * walk over the entries that maps them to t's rules by chain and
 * position.  The console refreshes this way on every tick and reads the
 * table again only when the refresh returns FW_COUNTERS_STALE.
 *
 * Ownership: fw_counters_new() returns a handle the caller frees with
 * fw_counters_free(); it keeps the socket and the entries buffer between
 * refreshes.  The table stays the caller's.
 */
#ifndef SMTPGUARD_FW_COUNTERS_H
#define SMTPGUARD_FW_COUNTERS_H

#include "error.h"
#include "fw.h"

/* A handle for repeated refreshes; NULL (err filled) when out of memory. */
struct fw_counters *fw_counters_new(struct error *err);
void fw_counters_free(struct fw_counters *fc);

/*
 * Update the counters of t's rules and built-in chain policies.
 * Returns FW_COUNTERS_FRESH, FW_COUNTERS_STALE (t is left as it was:
 * the chains or rules changed since t was read, or t is IPv6), or -1
 * with err filled.  t must come from fw_iptc_ops.read().
 *
 * A change is found by the chains' names and rule counts and, from the
 * second refresh of the same table on, by a hash of every entry without
 * its counters, so a rule replaced in place is noticed too.
 */
int fw_counters_refresh(struct fw_counters *fc, struct fw_table *t, struct error *err);

/*
 * Whether the filter table's size, rule count or chain layout differs
 * from the last refresh's (one IPT_SO_GET_INFO, nothing copied per rule);
 * true when there was no refresh yet or the kernel does not answer.  A
 * rule replaced by one of the same size is not seen: refresh() sees it.
 */
bool fw_counters_moved(struct fw_counters *fc);

/* The four above, as fw_iptc_ops offers them. */
extern const struct fw_counters_ops fw_counters_iptc;

#endif
