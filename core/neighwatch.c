/*
 * neighwatch.c - the kernel's neighbour table against the zones'
 * devices, from a NETLINK_ROUTE socket; see include/neighwatch.h.
 */
#include <errno.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "neighwatch.h"

#define NEIGH_STATES (NUD_REACHABLE | NUD_STALE | NUD_DELAY | NUD_PROBE | NUD_PERMANENT)
#define NEIGH_RCVBUF (1 << 20)	/* a busy LAN's churn between two reads */

bool neighwatch_wanted(const struct config *cfg)
{
	for (size_t i = 0; i < cfg->nzones; i++)
		if (cfg->zones[i].ndevices)
			return true;
	return false;
}

static bool link_local6(const struct addr *a)
{
	return a->family == AF_INET6 && a->bytes[0] == 0xfe && (a->bytes[1] & 0xc0) == 0x80;
}

static const struct zone *zone_of(const struct config *cfg, const char *ifname)
{
	for (size_t i = 0; i < cfg->nzones; i++)
		if (ifname_match(cfg->zones[i].interface, ifname))
			return &cfg->zones[i];
	return NULL;
}

enum neigh_change neighwatch_check(const struct config *cfg, const char *ifname,
				   const struct addr *ip, const unsigned char mac[6],
				   struct neigh_finding *out)
{
	const struct zone *z = zone_of(cfg, ifname);
	const struct device *ip_dev = NULL, *mac_dev = NULL;
	enum neigh_change c;

	for (size_t i = 0; z && i < z->ndevices; i++) {
		const struct device *d = &z->devices[i];
		bool same_ip = addr_equal(&d->ip, ip), same_mac = memcmp(d->mac, mac, 6) == 0;

		if (same_ip && same_mac)
			return NEIGH_NOTHING;
		if (same_ip && !ip_dev)
			ip_dev = d;
		if (same_mac && d->ip.family == ip->family && !mac_dev)
			mac_dev = d;
	}
	if (ip_dev)
		c = NEIGH_IP_MOVED;
	else if (mac_dev && !link_local6(ip))
		c = NEIGH_MAC_MOVED;
	else
		return NEIGH_NOTHING;
	memset(out, 0, sizeof(*out));
	out->change = c;
	snprintf(out->zone, sizeof(out->zone), "%s", z->name);
	snprintf(out->ifname, sizeof(out->ifname), "%s", ifname);
	out->listed = *(ip_dev ? ip_dev : mac_dev);
	out->seen_ip = *ip;
	memcpy(out->seen_mac, mac, 6);
	return c;
}

void neighwatch_describe(const struct neigh_finding *f, char *buf, size_t size)
{
	char ip[ADDR_TEXT_MAX], listed_ip[ADDR_TEXT_MAX], mac[18], listed_mac[18];

	addr_format(&f->seen_ip, ip, sizeof(ip));
	addr_format(&f->listed.ip, listed_ip, sizeof(listed_ip));
	mac_format(f->seen_mac, mac);
	mac_format(f->listed.mac, listed_mac);
	if (f->change == NEIGH_IP_MOVED)
		snprintf(buf, size, "%s in zone %s seen with MAC %s on %s, listed with %s", ip,
			 f->zone, mac, f->ifname, listed_mac);
	else
		snprintf(buf, size, "%s in zone %s seen with IP %s on %s, listed with %s",
			 listed_mac, f->zone, ip, f->ifname, listed_ip);
}

/* Each attribute after the ndmsg, in size_t (the kernel's RTA_* macros mix int into it). */
static void neigh_attrs(const struct nlmsghdr *nlh, const struct ndmsg *nd, struct neigh_seen *s,
			bool *dst, bool *lladdr)
{
	const size_t align = (size_t)RTA_ALIGNTO - 1;
	const struct rtattr *rta = (const void *)((const char *)nd + NLMSG_ALIGN(sizeof(*nd)));
	size_t left = nlh->nlmsg_len - NLMSG_LENGTH(sizeof(*nd));

	while (left >= sizeof(*rta) && rta->rta_len >= sizeof(*rta) && rta->rta_len <= left) {
		size_t n = rta->rta_len - sizeof(*rta), aligned = ((size_t)rta->rta_len + align) & ~align;
		const void *data = (const char *)rta + sizeof(*rta);

		if (rta->rta_type == NDA_DST && n == (nd->ndm_family == AF_INET ? 4u : 16u)) {
			s->ip.family = nd->ndm_family;
			s->ip.prefix = (unsigned)n * 8;
			memcpy(s->ip.bytes, data, n);
			*dst = true;
		} else if (rta->rta_type == NDA_LLADDR && n == 6) {
			memcpy(s->mac, data, 6);
			*lladdr = true;
		}
		if (aligned >= left)
			break;
		left -= aligned;
		rta = (const void *)((const char *)rta + aligned);
	}
}

bool neighwatch_parse(const struct nlmsghdr *nlh, struct neigh_seen *out)
{
	const struct ndmsg *nd = NLMSG_DATA(nlh);
	struct neigh_seen s = { 0 };
	bool dst = false, lladdr = false;

	if (nlh->nlmsg_type != RTM_NEWNEIGH || nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*nd)) ||
	    (nd->ndm_family != AF_INET && nd->ndm_family != AF_INET6) ||
	    !(nd->ndm_state & NEIGH_STATES))
		return false;
	neigh_attrs(nlh, nd, &s, &dst, &lladdr);
	if (!dst || !lladdr)
		return false;
	s.ifindex = nd->ndm_ifindex;
	*out = s;
	return true;
}

/* ---- the socket */

struct neighwatch {
	const struct config *cfg;
	int fd;
	struct neighwatch_counts counts;
};

/* Ask for the whole table (both families); its entries come in like events. */
static int neighwatch_dump(struct neighwatch *nw, struct error *err)
{
	struct {
		struct nlmsghdr nlh;
		struct ndmsg nd;
	} req = {
		.nlh = { .nlmsg_len = NLMSG_LENGTH(sizeof(struct ndmsg)), .nlmsg_type = RTM_GETNEIGH,
			 .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP, .nlmsg_seq = 1 },
		.nd = { .ndm_family = AF_UNSPEC },
	};
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };

	if (sendto(nw->fd, &req, req.nlh.nlmsg_len, 0, (struct sockaddr *)&kernel,
		   sizeof(kernel)) < 0)
		return error_set(err, "device watch: cannot ask for the neighbour table: %s",
				 strerror(errno));
	return 0;
}

struct neighwatch *neighwatch_open(const struct config *cfg, struct error *err)
{
	struct sockaddr_nl local = { .nl_family = AF_NETLINK, .nl_groups = 1u << (RTNLGRP_NEIGH - 1) };
	struct neighwatch *nw = calloc(1, sizeof(*nw));
	int rcvbuf = NEIGH_RCVBUF;

	if (!nw) {
		error_set(err, "device watch: out of memory");
		return NULL;
	}
	nw->cfg = cfg;
	nw->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);
	if (nw->fd < 0 || bind(nw->fd, (struct sockaddr *)&local, sizeof(local)) < 0) {
		error_set(err, "device watch: cannot subscribe to the neighbour table: %s",
			  strerror(errno));
		neighwatch_close(nw);
		return NULL;
	}
	/* a smaller buffer only means more overruns, which are counted and mended */
	setsockopt(nw->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (neighwatch_dump(nw, err) < 0) {
		neighwatch_close(nw);
		return NULL;
	}
	return nw;
}

int neighwatch_fd(const struct neighwatch *nw)
{
	return nw->fd;
}

const struct neighwatch_counts *neighwatch_counts(const struct neighwatch *nw)
{
	return &nw->counts;
}

static void neighwatch_message(struct neighwatch *nw, const struct nlmsghdr *nlh,
			       neighwatch_fn fn, void *arg)
{
	char ifname[IF_NAMESIZE];
	struct neigh_finding f;
	struct neigh_seen s;

	if (nlh->nlmsg_type == NLMSG_ERROR) {
		const struct nlmsgerr *e = NLMSG_DATA(nlh);

		if (nlh->nlmsg_len >= NLMSG_LENGTH(sizeof(*e)) && e->error)
			nw->counts.errors++;
		return;
	}
	if (!neighwatch_parse(nlh, &s) || !if_indextoname((unsigned)s.ifindex, ifname))
		return;
	nw->counts.entries++;
	if (neighwatch_check(nw->cfg, ifname, &s.ip, s.mac, &f) == NEIGH_NOTHING)
		return;
	f.when = time(NULL);
	nw->counts.findings++;
	fn(arg, &f);
}

/* One reply of the dump into out (new addresses of family at mac); true at its end. */
static bool neighwatch_addrs_message(const struct nlmsghdr *h, const unsigned char mac[6],
				     int family, struct addr *out, size_t max, size_t *n)
{
	struct neigh_seen s;

	if (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR)
		return true;
	if (!neighwatch_parse(h, &s) || s.ip.family != family || memcmp(s.mac, mac, 6) != 0 ||
	    link_local6(&s.ip))
		return false;
	for (size_t i = 0; i < *n; i++)
		if (addr_equal(&out[i], &s.ip))
			return false;
	if (*n < max)
		out[(*n)++] = s.ip;
	return false;
}

int neighwatch_addrs_of(const unsigned char mac[6], int family, struct addr *out, size_t max,
			size_t *n, struct error *err)
{
	_Alignas(struct nlmsghdr) char buf[32768];
	struct neighwatch nw = { .fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE) };
	struct timeval wait = { .tv_sec = 1 };	/* the kernel answers a dump at once */
	bool done = false;

	*n = 0;
	if (nw.fd < 0)
		return error_set(err, "neighbour table: cannot open a netlink socket: %s",
				 strerror(errno));
	setsockopt(nw.fd, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof(wait));
	if (neighwatch_dump(&nw, err) < 0) {
		close(nw.fd);
		return -1;
	}
	while (!done) {
		ssize_t got = recv(nw.fd, &buf, sizeof(buf), 0);
		size_t len = got > 0 ? (size_t)got : 0;

		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			error_set(err, "neighbour table: cannot read it: %s",
				  got < 0 ? strerror(errno) : "end of data");
			close(nw.fd);
			return -1;
		}
		for (const struct nlmsghdr *h = (const void *)buf; !done && NLMSG_OK(h, len);
		     h = NLMSG_NEXT(h, len))
			done = neighwatch_addrs_message(h, mac, family, out, max, n);
	}
	close(nw.fd);
	return 0;
}

int neighwatch_read(struct neighwatch *nw, neighwatch_fn fn, void *arg, struct error *err)
{
	_Alignas(struct nlmsghdr) char buf[32768];

	for (;;) {
		ssize_t n = recv(nw->fd, &buf, sizeof(buf), 0);
		size_t len = n > 0 ? (size_t)n : 0;

		if (n < 0 && errno == ENOBUFS) {
			/* events were lost: the whole table again, so no change goes unchecked */
			nw->counts.overruns++;
			if (neighwatch_dump(nw, err) < 0)
				return -1;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n < 0)
			return error_set(err, "device watch: cannot read the neighbour events: %s",
					 strerror(errno));
		for (const struct nlmsghdr *h = (const void *)buf; NLMSG_OK(h, len);
		     h = NLMSG_NEXT(h, len))
			neighwatch_message(nw, h, fn, arg);
	}
}

void neighwatch_close(struct neighwatch *nw)
{
	if (!nw)
		return;
	if (nw->fd >= 0)
		close(nw->fd);
	free(nw);
}
