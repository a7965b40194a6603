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
 * The rate-ban mask of IPv6 hosts: they rotate addresses inside their
 * /64, so the /64 is banned.  (IPv4 hosts are banned by address.)
 */
#define COMPILE_BAN_PREFIX6 64

/*
 * The connmark bit rate-ban sets on the connection whose first packet it
 * counted, so that the client's retransmitted SYNs (still NEW: no reply
 * yet) are not counted as repeats.  Only this bit is set or tested (it is
 * its own mask); the other bits of the connmark stay the admin's.
 */
#define COMPILE_RATEBAN_CONNMARK 0x00800000u

/* Fill rs (initialised by the caller with ruleset_init) with family's rules for cfg. */
int compile_ruleset(const struct config *cfg, int family, struct ruleset *rs, struct error *err);

/* Name of a zone's chain / rate-ban list: "SMTPGUARD-<zone>". */
void compile_zone_chain(const char *zone, char buf[CHAIN_NAME_MAX + 1]);

#endif
