/*
 * fw_counters.h - the cheap refresh: copy the kernel's current packet
 * and byte counters into a table read earlier with fw_backend()->read(),
 * without libiptc and without rendering a single rule.
 *
 * One IPT_SO_GET_INFO and one IPT_SO_GET_ENTRIES on a raw socket, then a
 * walk over the entries that maps them to t's rules by chain and
 * position.  The console calls fw_counters_refresh() on every tick and
 * fw_backend()->read() only when it returns FW_COUNTERS_STALE.
 *
 * Ownership: fw_counters_new() returns a handle the caller frees with
 * fw_counters_free(); it keeps the socket and the entries buffer between
 * refreshes.  The table stays the caller's.
 */
#ifndef SMTPGUARD_FW_COUNTERS_H
#define SMTPGUARD_FW_COUNTERS_H

#include "error.h"
#include "fw.h"

enum fw_counters_result {
	FW_COUNTERS_FRESH = 0,	/* every counter of t is now the kernel's */
	FW_COUNTERS_STALE = 1,	/* the kernel's table is no longer t: read it again */
};

struct fw_counters;

/* A handle for repeated refreshes; NULL (err filled) when out of memory. */
struct fw_counters *fw_counters_new(struct error *err);
void fw_counters_free(struct fw_counters *fc);

/*
 * Update the counters of t's rules and built-in chain policies.
 * Returns FW_COUNTERS_FRESH, FW_COUNTERS_STALE (t is left as it was:
 * the chains or rules changed since t was read, t comes from another
 * backend than libiptc, or t is IPv6), or -1 with err filled.
 *
 * A change is found by the chains' names and rule counts and, from the
 * second refresh of the same table on, by a hash of every entry without
 * its counters, so a rule replaced in place is noticed too.
 */
int fw_counters_refresh(struct fw_counters *fc, struct fw_table *t, struct error *err);

#endif
