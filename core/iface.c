/*
 * iface.c - list the interfaces of the current network namespace.
 *
 * getifaddrs() gives names, flags, addresses and (AF_PACKET entries)
 * the packet counters in one call, so a refresh costs one netlink dump.
 */
#include <errno.h>
#include <ifaddrs.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netpacket/packet.h>
#include <stdlib.h>
#include <string.h>

#include "iface.h"

static struct iface *iface_get(struct iface **list, size_t *count, size_t *cap, const char *name)
{
	for (size_t i = 0; i < *count; i++)
		if (strcmp((*list)[i].name, name) == 0)
			return &(*list)[i];
	if (*count == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;
		struct iface *n = realloc(*list, ncap * sizeof(*n));

		if (!n)
			return NULL;
		*list = n;
		*cap = ncap;
	}
	struct iface *it = &(*list)[(*count)++];

	memset(it, 0, sizeof(*it));
	strncpy(it->name, name, sizeof(it->name) - 1);
	return it;
}

static void iface_add_addr(struct iface *it, const struct ifaddrs *ifa)
{
	struct addr *a;
	int family = ifa->ifa_addr->sa_family;

	if (it->naddrs == IFACE_MAX_ADDRS)
		return;
	a = &it->addrs[it->naddrs];
	memset(a, 0, sizeof(*a));
	a->family = family;
	if (family == AF_INET) {
		memcpy(a->bytes, &((const struct sockaddr_in *)(const void *)ifa->ifa_addr)->sin_addr, 4);
		a->prefix = ifa->ifa_netmask
			? addr_mask_length((const unsigned char *)&((const struct sockaddr_in *)(const void *)
								 ifa->ifa_netmask)->sin_addr, 4)
			: 32;
	} else {
		memcpy(a->bytes, &((const struct sockaddr_in6 *)(const void *)ifa->ifa_addr)->sin6_addr, 16);
		a->prefix = ifa->ifa_netmask
			? addr_mask_length((const unsigned char *)&((const struct sockaddr_in6 *)(const void *)
								 ifa->ifa_netmask)->sin6_addr, 16)
			: 128;
	}
	it->naddrs++;
}

static int iface_compare(const void *a, const void *b)
{
	return strcmp(((const struct iface *)a)->name, ((const struct iface *)b)->name);
}

/* IPv4 addresses before IPv6 ones, each family in kernel order. */
static void iface_order_addrs(struct iface *it)
{
	struct addr sorted[IFACE_MAX_ADDRS];
	size_t n = 0;

	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < it->naddrs; i++)
			if ((it->addrs[i].family == AF_INET) == (pass == 0))
				sorted[n++] = it->addrs[i];
	memcpy(it->addrs, sorted, n * sizeof(sorted[0]));
}

int iface_list(struct iface **out, size_t *count, struct error *err)
{
	struct ifaddrs *all, *ifa;
	struct iface *list = NULL, *it;
	size_t n = 0, cap = 0;

	if (getifaddrs(&all) < 0)
		return error_set(err, "cannot list the network interfaces: %s", strerror(errno));
	for (ifa = all; ifa; ifa = ifa->ifa_next) {
		it = iface_get(&list, &n, &cap, ifa->ifa_name);
		if (!it) {
			freeifaddrs(all);
			free(list);
			return error_set(err, "out of memory listing the network interfaces");
		}
		it->up = (ifa->ifa_flags & IFF_UP) != 0;
		it->carrier = (ifa->ifa_flags & IFF_RUNNING) != 0;
		if (!ifa->ifa_addr)
			continue;
		if (ifa->ifa_addr->sa_family == AF_PACKET && ifa->ifa_data) {
			const struct rtnl_link_stats *s = ifa->ifa_data;

			it->rx_packets = s->rx_packets;
			it->tx_packets = s->tx_packets;
			it->rx_bytes = s->rx_bytes;
			it->tx_bytes = s->tx_bytes;
		} else if (ifa->ifa_addr->sa_family == AF_INET || ifa->ifa_addr->sa_family == AF_INET6) {
			iface_add_addr(it, ifa);
		}
	}
	freeifaddrs(all);
	for (size_t i = 0; i < n; i++)
		iface_order_addrs(&list[i]);
	if (n > 1)
		qsort(list, n, sizeof(*list), iface_compare);
	*out = list;
	*count = n;
	return 0;
}

void iface_list_free(struct iface *list)
{
	free(list);
}

const struct iface *iface_find(const struct iface *list, size_t count, const char *name)
{
	for (size_t i = 0; i < count; i++)
		if (strcmp(list[i].name, name) == 0)
			return &list[i];
	return NULL;
}

bool iface_exists(const char *name)
{
	struct if_nameindex *all, *it;
	bool found = false;

	if (!strchr(name, '+'))
		return if_nametoindex(name) != 0;
	if (!(all = if_nameindex()))
		return true;	/* cannot tell: warn about nothing */
	for (it = all; it->if_index && !found; it++)
		found = ifname_match(name, it->if_name);
	if_freenameindex(all);
	return found;
}
