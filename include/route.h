/*
 * route.h - uplinks smtpguard does not guard: interfaces that carry a
 * default route or a route to a network they are not connected to (a
 * 6in4 or WireGuard tunnel, a second uplink) but are neither a WAN
 * interface of the config, nor a zone's interface, nor lo.  Traffic that
 * leaves through them meets no rule of smtpguard's.
 *
 * Read from /proc/net/route (IPv4, main table) and /proc/net/ipv6_route.
 * Ownership: the caller frees *out with free().
 */
#ifndef SMTPGUARD_ROUTE_H
#define SMTPGUARD_ROUTE_H

#include <stddef.h>

#include "addr.h"
#include "config.h"
#include "error.h"

struct route_uplink {
	char iface[IFACE_NAME_MAX + 1];
	int family;		/* AF_INET or AF_INET6 */
	struct addr dst;	/* the first such route's destination (prefix 0: default) */
};

/* Each unguarded (interface, family) once, in the order found; *n = 0 when none. */
int route_unguarded(const struct config *cfg, struct route_uplink **out, size_t *n,
		    struct error *err);

#endif
