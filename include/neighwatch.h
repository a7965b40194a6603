/*
 * neighwatch.h - device watch, arpwatch's job for the MAC filter: the
 * kernel's neighbour table (ARP and IPv6 ND, as `ip monitor neigh` sees
 * it) checked against the devices (MAC and IP pairs) of the zone of the
 * interface.  A finding is a listed IP seen with another MAC, or a
 * listed MAC seen with another IP of the same family (IPv6 link-local
 * addresses never count: every device has one beside its listed
 * address).
 *
 * Two halves: neighwatch_check() and neighwatch_parse() are pure (no
 * I/O, unit-tested without root); struct neighwatch is a NETLINK_ROUTE
 * socket subscribed to RTNLGRP_NEIGH that dumps the table once when
 * opened and then reads its changes, a row of watch's poll loop.
 * Rate limits and alerts are include/alert.h's.
 *
 * Ownership: neighwatch_open() returns a neighwatch the caller ends
 * with neighwatch_close(); cfg must outlive it.
 */
#ifndef SMTPGUARD_NEIGHWATCH_H
#define SMTPGUARD_NEIGHWATCH_H

#include <linux/netlink.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "addr.h"
#include "config.h"
#include "error.h"

enum neigh_change {
	NEIGH_NOTHING,		/* not a listed IP or MAC, or a listed pair as listed */
	NEIGH_IP_MOVED,		/* a listed IP with another MAC */
	NEIGH_MAC_MOVED,	/* a listed MAC with another IP */
};

struct neigh_finding {
	enum neigh_change change;
	char zone[ZONE_NAME_MAX + 1];
	char ifname[IFACE_NAME_MAX + 1];
	struct device listed;		/* the pair of the config */
	struct addr seen_ip;		/* what the kernel's table holds */
	unsigned char seen_mac[6];
	time_t when;			/* set by the reader, not by neighwatch_check() */
};

/* Whether any zone lists devices (device watch has something to do). */
bool neighwatch_wanted(const struct config *cfg);

/* The neighbour ip at mac on interface ifname against its zone's devices; out filled unless NEIGH_NOTHING. */
enum neigh_change neighwatch_check(const struct config *cfg, const char *ifname,
				   const struct addr *ip, const unsigned char mac[6],
				   struct neigh_finding *out);

/* "192.0.2.66 in zone wlan seen with MAC 00:02:2d:99:99:99 on eth2, listed with 00:02:2d:11:22:33" */
void neighwatch_describe(const struct neigh_finding *f, char *buf, size_t size);

struct neigh_seen {
	int ifindex;
	struct addr ip;
	unsigned char mac[6];
};

/*
 * One netlink message: true with *out for an RTM_NEWNEIGH of AF_INET or
 * AF_INET6 with a destination, a 6-byte link-layer address and a state
 * of REACHABLE, STALE, DELAY, PROBE or PERMANENT; false for anything else
 * (FAILED, INCOMPLETE, NOARP, deletions, other messages, short ones).
 */
bool neighwatch_parse(const struct nlmsghdr *nlh, struct neigh_seen *out);

struct neighwatch_counts {
	uint64_t entries;	/* neighbour entries checked */
	uint64_t findings;	/* of them, findings passed on */
	uint64_t overruns;	/* the socket overflowed: events lost, the table dumped again */
	uint64_t errors;	/* the kernel refused a request (a dump while one ran) */
};

typedef void (*neighwatch_fn)(void *arg, const struct neigh_finding *f);

/*
 * The addresses of family the neighbour table holds at mac (IPv6
 * link-local ones left out), at most max into out, *n of them: one dump
 * of the table on a socket of its own.  0, or -1 with err.
 */
int neighwatch_addrs_of(const unsigned char mac[6], int family, struct addr *out, size_t max,
			size_t *n, struct error *err);

struct neighwatch;

/* Subscribe to the neighbour events and ask for the whole table; NULL with err when it fails. */
struct neighwatch *neighwatch_open(const struct config *cfg, struct error *err);
int neighwatch_fd(const struct neighwatch *nw);
/* Read what is there (non-blocking), fn for each finding; -1 with err when the socket fails. */
int neighwatch_read(struct neighwatch *nw, neighwatch_fn fn, void *arg, struct error *err);
const struct neighwatch_counts *neighwatch_counts(const struct neighwatch *nw);
void neighwatch_close(struct neighwatch *nw);

#endif
