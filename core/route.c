/*
 * route.c - uplinks outside the config's wan list, from the kernel's
 * routing tables as /proc shows them; see include/route.h.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "iface.h"
#include "route.h"

#define ROUTE_RTF_REJECT 0x0200u
#define ROUTE_RTF_ANYCAST 0x00100000u	/* IPv6 */
#define ROUTE_RTF_LOCAL 0x80000000u	/* IPv6 */

struct route_ctx {
	const struct config *cfg;
	struct iface *ifaces;	/* read by route_connected() (listed) */
	size_t nifaces;
	bool listed;
	struct route_uplink *list;
	size_t n;
};

static bool route_iface_guarded(const struct config *cfg, const char *name)
{
	if (strcmp(name, "lo") == 0 || config_is_wan(cfg, name))
		return true;
	for (size_t i = 0; i < cfg->nzones; i++)
		if (ifname_match(cfg->zones[i].interface, name))
			return true;
	return false;
}

/*
 * A route to a network the interface has an address in is its connected
 * one.  The addresses are read at the first route that needs them: on a
 * gateway whose routes all leave through guarded interfaces, never.
 */
static int route_connected(struct route_ctx *c, const char *name, const struct addr *dst,
			   struct error *err)
{
	const struct iface *it;

	if (!c->listed && iface_list(&c->ifaces, &c->nifaces, err) < 0)
		return -1;
	c->listed = true;
	it = iface_find(c->ifaces, c->nifaces, name);
	for (size_t i = 0; it && i < it->naddrs; i++)
		if (dst->prefix > 0 && addr_contains(dst, &it->addrs[i]))
			return 1;
	return 0;
}

static int route_seen(struct route_ctx *c, const char *name, const struct addr *dst,
		      struct error *err)
{
	struct route_uplink *grown;
	int connected;

	if (route_iface_guarded(c->cfg, name))
		return 0;
	if ((connected = route_connected(c, name, dst, err)) != 0)
		return connected < 0 ? -1 : 0;
	for (size_t i = 0; i < c->n; i++)
		if (c->list[i].family == dst->family && strcmp(c->list[i].iface, name) == 0)
			return 0;
	if (!(grown = realloc(c->list, (c->n + 1) * sizeof(*grown))))
		return error_set(err, "out of memory reading the routing tables");
	c->list = grown;
	memset(&grown[c->n], 0, sizeof(grown[c->n]));
	snprintf(grown[c->n].iface, sizeof(grown[c->n].iface), "%s", name);
	grown[c->n].family = dst->family;
	grown[c->n].dst = *dst;
	c->n++;
	return 0;
}

/* "Iface Destination Gateway Flags RefCnt Use Metric Mask ...", addresses in host-order hex. */
static int route_read4(struct route_ctx *c, struct error *err)
{
	char line[512], name[IFACE_NAME_MAX + 1];
	unsigned dst, mask, flags;
	FILE *f = fopen("/proc/net/route", "re");

	if (!f)
		return 0;	/* no IPv4 */
	while (fgets(line, sizeof(line), f)) {
		struct addr a = { .family = AF_INET };

		if (sscanf(line, "%15s %x %*x %x %*d %*d %*d %x", name, &dst, &flags, &mask) != 4 ||
		    (flags & ROUTE_RTF_REJECT))
			continue;
		memcpy(a.bytes, &dst, 4);	/* the file prints the raw network-order word */
		a.prefix = (unsigned)__builtin_popcount(mask);
		if (route_seen(c, name, &a, err) < 0) {
			fclose(f);
			return -1;
		}
	}
	fclose(f);
	return 0;
}

/* "dst dstlen src srclen nexthop metric refcnt use flags iface", 32 hex digits per address. */
static int route_read6(struct route_ctx *c, struct error *err)
{
	char line[512], hex[33], name[IFACE_NAME_MAX + 1];
	unsigned len, flags;
	FILE *f = fopen("/proc/net/ipv6_route", "re");

	if (!f)
		return 0;	/* no IPv6 */
	while (fgets(line, sizeof(line), f)) {
		struct addr a = { .family = AF_INET6 };

		if (sscanf(line, "%32s %x %*s %*x %*s %*x %*x %*x %x %15s", hex, &len, &flags, name) != 4 ||
		    (flags & (ROUTE_RTF_REJECT | ROUTE_RTF_ANYCAST | ROUTE_RTF_LOCAL)) || len > 128)
			continue;
		for (size_t i = 0; i < 16; i++) {
			int hi = addr_hex_digit(hex[2 * i]), lo = hi < 0 ? -1 : addr_hex_digit(hex[2 * i + 1]);

			if (lo < 0)
				break;
			a.bytes[i] = (unsigned char)(hi << 4 | lo);
		}
		a.prefix = len;
		/* Link-local and multicast routes sit on every interface; they lead nowhere else. */
		if ((a.bytes[0] == 0xfe && (a.bytes[1] & 0xc0) == 0x80) || a.bytes[0] == 0xff)
			continue;
		if (route_seen(c, name, &a, err) < 0) {
			fclose(f);
			return -1;
		}
	}
	fclose(f);
	return 0;
}

int route_unguarded(const struct config *cfg, struct route_uplink **out, size_t *n,
		    struct error *err)
{
	struct route_ctx c = { .cfg = cfg };
	int rc;

	*out = NULL;
	*n = 0;
	rc = route_read4(&c, err) == 0 && route_read6(&c, err) == 0 ? 0 : -1;
	iface_list_free(c.ifaces);
	if (rc < 0) {
		free(c.list);
		return -1;
	}
	*out = c.list;
	*n = c.n;
	return 0;
}
