/*
 * compile.h - the policy compiler: a validated, resolved config in, a
 * ruleset out.  Pure: no I/O, no root, no libiptc.  The same ruleset
 * feeds apply, apply --dry-run, export and the console's plan view.
 */
#ifndef SMTPGUARD_COMPILE_H
#define SMTPGUARD_COMPILE_H

#include "config.h"
#include "error.h"
#include "rule.h"

/*
 * The connmark bit rate-ban sets on the connection whose first packet it
 * counted, so that the client's retransmitted SYNs (still NEW: no reply
 * yet) are not counted as repeats.  Only this bit is set or tested (it is
 * its own mask); the other bits of the connmark stay the admin's.
 */
#define COMPILE_RATEBAN_CONNMARK 0x00800000u

#define COMPILE_NFLOG_THRESHOLD 16u	/* packets the kernel batches per NFLOG message */

/* A zone has a chain and its dispatch for a filtering mode or a device list. */
bool compile_zone_needs_chain(const struct zone *z);
/* Its chain also sees the replies (WAN -> zone) in the modes that filter them. */
bool compile_zone_needs_reply(const struct zone *z);

/* The checks every backend's compiler makes first: the ports and the log limit. */
int compile_check(const struct config *cfg, struct error *err);

/* Addresses; addrs is owned (free() it). */
struct addr_list {
	struct addr *addrs;
	size_t n;
};

/*
 * A zone's relays of family: the general ones and the zone's, resolved
 * names expanded, none covered by an earlier one.  -1 with err (a name
 * not resolved, out of memory).
 */
int compile_zone_relays(const struct config *cfg, const struct zone *z, int family,
			struct addr_list *out, struct error *err);

/* Fill rs (initialised by the caller with ruleset_init) with family's rules for cfg. */
int compile_ruleset(const struct config *cfg, int family, struct ruleset *rs, struct error *err);

/* Name of a zone's chain (and of its IPv4 rate-ban list): "SMTPGUARD-<zone>". */
void compile_zone_chain(const char *zone, char buf[CHAIN_NAME_MAX + 1]);

/*
 * True when r has the form of a jump compile_ruleset puts in a built-in
 * chain: FORWARD to SMTPGUARD-FWD or INPUT to SMTPGUARD-IN, matching
 * nothing or only TCP ports.  Any other rule that jumps into an own chain
 * (an interface, an address, another built-in chain, a user chain) is
 * someone else's.
 */
bool compile_is_own_jump(const struct rule *r);

/*
 * The kernel keeps one mask per xt_recent list, the mask of the rule that
 * created it, so each family has a list of its own and the IPv6 name
 * holds the mask: "SMTPGUARD-<zone>" (IPv4, by address) and
 * "SMTPGUARD-<zone>-IPV6-<prefix6>".  A changed ban_prefix6 is a changed
 * rule, which apply replaces and apply --check reports; the new rules
 * create a fresh list with the new mask.  The infix is upper case, so it
 * can never be part of a zone name.
 */
#define COMPILE_LIST6_INFIX "-IPV6-"
void compile_recent_list(const char *zone, int family, unsigned prefix6,
			 char buf[RECENT_NAME_MAX + 1]);

/*
 * A zone's escalation list of family (escalate = quarantine-smtp):
 * "SMTPGUARD-<zone>-ESC" (IPv4) and "SMTPGUARD-<zone>-ESC-IPV6", hosts
 * by their full address.  `watch` adds an offender by writing to it; the
 * zone chain drops the guarded ports of a host added within the
 * escalate time, so the kernel expires it on its own.  Upper case: never
 * a zone's rate-ban list.
 */
#define COMPILE_ESC_SUFFIX "-ESC"
#define COMPILE_ESC6_SUFFIX "-ESC-IPV6"
void compile_escalate_list(const char *zone, int family, char buf[RECENT_NAME_MAX + 1]);

#endif
