/*
 * iface.h - the machine's network interfaces as the console and
 * `status` show them: name, link state, addresses, packet counters.
 *
 * Read from getifaddrs() and /sys/class/net (no netlink dependency).
 * Ownership: iface_list() returns an array the caller frees with
 * iface_list_free().
 */
#ifndef SMTPGUARD_IFACE_H
#define SMTPGUARD_IFACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "error.h"

#define IFACE_MAX_ADDRS 8

struct iface {
	char name[IFACE_NAME_MAX + 1];
	bool up;		/* administratively up (IFF_UP) */
	bool carrier;		/* link detected (IFF_RUNNING) */
	struct addr addrs[IFACE_MAX_ADDRS];	/* IPv4 then IPv6, prefix = netmask length */
	size_t naddrs;
	uint64_t rx_packets, tx_packets, rx_bytes, tx_bytes;
};

/* Every interface of the current network namespace, sorted by name. */
int iface_list(struct iface **out, size_t *count, struct error *err);
void iface_list_free(struct iface *list);
/* The entry named name, or NULL. */
const struct iface *iface_find(const struct iface *list, size_t count, const char *name);
/* Whether an interface of that name, or one a "ppp+" wildcard matches, exists now. */
bool iface_exists(const char *name);

#endif
