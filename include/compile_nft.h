/*
 * compile_nft.h - the nftables compiler: a validated, resolved config in,
 * the whole table inet smtpguard out, both families, as `nft -f` input in
 * the form `nft -s list table inet smtpguard` prints it.  Pure: no I/O
 * but the stream given, no library of the backend.
 */
#ifndef SMTPGUARD_COMPILE_NFT_H
#define SMTPGUARD_COMPILE_NFT_H

#include <stdio.h>

#include "config.h"
#include "error.h"

#define COMPILE_NFT_FAMILY "inet"
#define COMPILE_NFT_TABLE "smtpguard"
#define COMPILE_NFT_ZONE_CHAIN "zone_"	/* + the zone's name: its rules */

/*
 * Write the table's description ("table inet smtpguard { ... }") to out.
 * A config that filters nothing gives a table with no sets and chains.
 * -1 with err (a bad config: EXIT_USAGE; a write error).
 */
int compile_nft(const struct config *cfg, FILE *out, struct error *err);

/* The name of a zone's dynamic rate-ban set of family ("<zone>_ban4", "<zone>_ban6"). */
void compile_nft_ban_set(const char *zone, int family, char *buf, size_t size);
/* The name of a zone's escalation set of family ("<zone>_esc4", "<zone>_esc6"; `watch` adds to it). */
void compile_nft_esc_set(const char *zone, int family, char *buf, size_t size);

#endif
