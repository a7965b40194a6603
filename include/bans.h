/*
 * bans.h - the hosts in iptables' rate-ban lists: /proc/net/xt_recent/SMTPGUARD-<zone>
 * (IPv4) and SMTPGUARD-<zone>-IPV6-<ban_prefix6> (IPv6), two lists per
 * rateban zone, and the escalation lists SMTPGUARD-<zone>-ESC and
 * SMTPGUARD-<zone>-ESC-IPV6 of a zone with escalate (include/compile.h).  The backends that write -m recent
 * rules list them through bans_xt_recent (struct fw_bans_ops, include/fw.h),
 * in SMTPGUARD_XT_RECENT_DIR when include/testenv.h has it.  An IPv6 entry is the prefix of that
 * length: bans print it so, and unban removes the entry that covers a host.
 *
 * The kernel prints each entry as
 *   "src=192.0.2.66 ttl: 64 last_seen: 4295123 oldest_pkt: 3 4295000, 4295100, 4295123"
 * with times in jiffies.  A jiffies clock (the kernel's jiffies now and
 * HZ, see bans_clock()) turns them into wall-clock times and the
 * seconds left in a ban.
 *
 * Ownership: bans_read() returns an array the caller frees with free().
 */
#ifndef SMTPGUARD_BANS_H
#define SMTPGUARD_BANS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "addr.h"
#include "config.h"
#include "error.h"
#include "fw.h"

struct ban {
	char zone[ZONE_NAME_MAX + 1];
	struct addr addr;		/* an IPv4 host, or the banned IPv6 prefix */
	time_t last_seen;		/* wall clock */
	unsigned hits;			/* packets the list remembers for this host; 0: not counted (nftables) */
	unsigned ban_seconds;		/* the zone's window (60 when the zone is not in the config) */
	long seconds_left;		/* of the ban; 0 when expired (a new attempt passes) */
	bool escalated;			/* in the zone's escalation list (ban_seconds: its escalate time) */
};

/* The kernel's jiffies at a moment, its HZ, and the wall time of that moment. */
struct jiffies_clock {
	uint64_t jiffies;
	unsigned hz;
	struct timespec wall;
};

/*
 * Sample the kernel's jiffies now (/proc/timer_list "jiffies:", root
 * only) and HZ (from the same file: jiffies advance HZ per second of
 * its "now at" monotonic time, counted from INITIAL_JIFFIES).
 */
int bans_clock(struct jiffies_clock *clk, struct error *err);

/*
 * Parse one line of a list into *out (zone and ban_seconds set by the
 * caller, used for seconds_left).  Returns 0, or -1 for a line that is
 * not an entry.
 */
int bans_parse_line(const char *line, size_t len, const struct jiffies_clock *clk,
		    struct ban *out);

/*
 * Every host in every SMTPGUARD-* list under dir, newest first.  cfg (may be NULL) gives each zone's ban_seconds.
 * No lists at all is not an error (*n = 0).
 */
int bans_read(const char *dir, const struct config *cfg, struct ban **out, size_t *n,
	      struct error *err);

/*
 * Remove the host addr from every SMTPGUARD-* list under dir that holds
 * it, under the list's mask (an IPv6 host's own address removes the entry
 * of its banned prefix).  Returns how many lists held it (0: it was not banned
 * anywhere), or -1 with err.
 */
int bans_unban(const char *dir, const struct addr *addr, struct error *err);

/*
 * Escalate host addr in zone: write "+ADDR" to its escalation list
 * under dir (include/compile.h; the rules hold the time, so seconds is
 * not written).  The list exists once the zone's rules are applied.
 */
int bans_escalate(const char *dir, const char *zone, const struct addr *addr, struct error *err);
/* The zone's ban_seconds in cfg (may be NULL), otherwise when it has no such zone. */
unsigned bans_zone_seconds(const struct config *cfg, const char *zone, unsigned otherwise);

/* Newest first (then by zone): the order every backend's read() gives. */
void bans_sort(struct ban *bans, size_t n);

/* bans_read() and bans_unban() on testenv()->xt_recent_dir. */
extern const struct fw_bans_ops bans_xt_recent;
/* bans_escalate() on testenv()->xt_recent_dir: struct fw_ops.escalate of the xt_recent backends. */
int bans_xt_recent_escalate(const char *zone, const struct addr *addr, unsigned seconds,
			    struct error *err);

#endif
