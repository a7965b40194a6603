/*
 * addr.h - parsing and printing of the small values a config holds:
 * IPv4/IPv6 addresses and prefixes, MAC addresses, TCP ports, interface
 * names and zone names.
 *
 * Parsers take a NUL-terminated string, never trust its length, fill
 * the output only on success and return 0, or return -1 with a sentence
 * in err (no file:line: the caller adds the place).
 */
#ifndef SMTPGUARD_ADDR_H
#define SMTPGUARD_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define ADDR_TEXT_MAX 64	/* enough for "ffff:...:ffff/128" */
#define ZONE_NAME_MAX 12	/* characters, [a-z0-9_-] */
#define IFACE_NAME_MAX 15	/* IFNAMSIZ - 1 */

struct addr {
	int family;		/* AF_INET or AF_INET6 */
	unsigned char bytes[16];/* network order; IPv4 uses the first 4 */
	unsigned prefix;	/* 0..32 or 0..128; a host has the full length */
};

/*
 * "192.0.2.7", "192.0.2.0/26", "2001:db8::/64".  Host bits set below the
 * prefix are refused (the sentence names the canonical form), as are
 * "/" without a length, lengths out of range and "!" negations.
 */
int addr_parse(const char *text, struct addr *out, struct error *err);

/* Canonical text: "192.0.2.7" for a host, "192.0.2.0/26" for a network. */
void addr_format(const struct addr *a, char *buf, size_t size);

/* As iptables-save prints it: always with the prefix ("192.0.2.7/32"). */
void addr_format_save(const struct addr *a, char *buf, size_t size);

/*
 * Dotted decimal of 4 bytes into out (INET_ADDRSTRLEN), as inet_ntop()
 * writes it but without its sprintf; returns the terminating NUL.
 */
char *addr_ipv4_text(const unsigned char b[4], char *out);

/* true when a contains b (same family, a's prefix <= b's, leading bits equal). */
bool addr_contains(const struct addr *a, const struct addr *b);
bool addr_equal(const struct addr *a, const struct addr *b);
/* Order by bytes, then prefix length (qsort-like result). */
int addr_compare(const struct addr *a, const struct addr *b);
/* Host-part of length a->prefix; the prefix mask as bytes (16 bytes written). */
void addr_mask(const struct addr *a, unsigned char mask[16]);
/* The prefix length of a netmask of len bytes (its bits set). */
unsigned addr_mask_length(const unsigned char *bytes, size_t len);

/* "00:02:2d:11:22:33" (also '-' separated, any case). */
int mac_parse(const char *text, unsigned char mac[6], struct error *err);
/* The value of hex digit c (either case), or -1. */
int addr_hex_digit(char c);
/* Lower-case, colon separated, 17 characters + NUL. */
void mac_format(const unsigned char mac[6], char buf[18]);

/* "25": decimal 1..65535, no sign, no spaces. */
int port_parse(const char *text, uint16_t *out, struct error *err);

/*
 * Interface name as the kernel accepts it: 1..15 bytes, no '/', ':', space
 * or control; or iptables' wildcard, a prefix and a final '+' ("ppp+").
 */
int ifname_check(const char *name, struct error *err);
/* As the kernel matches -i/-o: "ppp+" matches every name starting with ppp, else the name only. */
bool ifname_match(const char *pattern, const char *name);
/* true when some interface name matches both a and b ("eth+" and "eth1", "wg+" and "wg0+"). */
bool ifname_overlap(const char *a, const char *b);

/* Zone name: 1..12 characters of [a-z0-9_-]. */
int zonename_check(const char *name, struct error *err);

/* FNV-1a (64 bits) of n bytes, continuing from h (start with ADDR_HASH_SEED). */
#define ADDR_HASH_SEED 0xcbf29ce484222325ULL
uint64_t addr_hash_bytes(uint64_t h, const void *p, size_t n);
/* The same over what makes an address: its family and its 4 or 16 bytes. */
uint64_t addr_hash(uint64_t h, const struct addr *a);

#endif
