/*
 * backend_detect.h - what else filters packets on this host, found
 * without changing anything, before any libiptc call.
 *
 * smtpguard writes the legacy tables (ip_tables, ip6_tables).  A host
 * whose `iptables` is the nft variant, or whose nftables tables hold
 * rules, runs both: the kernel evaluates every hook of both, and a drop
 * in either wins.  Opening a legacy table that does not exist creates
 * it (and iptables-nft then warns on every call), so read-only callers
 * ask backend_legacy_filter() first.
 *
 * Facts come from /proc/net/ip{,6}_tables_names, the `iptables`
 * alternative ($SMTPGUARD_ALTERNATIVES, default /etc/alternatives: the
 * test sandbox names its own) and a read-only netlink dump of the
 * nftables tables and rules (NFT_MSG_GETTABLE / GETRULE, needs
 * CAP_NET_ADMIN).  Nothing to free.
 */
#ifndef SMTPGUARD_BACKEND_DETECT_H
#define SMTPGUARD_BACKEND_DETECT_H

#include <stdbool.h>
#include <stddef.h>

#define BACKEND_NFT_TABLES_MAX 16

struct backend_nft_table {
	char family[8];		/* "ip", "ip6", "inet", "arp", "bridge", "netdev" */
	char name[64];
	size_t rules;
};

struct backend_facts {
	int legacy_ip4, legacy_ip6;	/* backend_legacy_filter() of each family */
	char alternative[64];		/* where `iptables` points, "iptables-nft"; "" unknown */
	bool alternative_nft;
	bool nft_queried;		/* the netlink dump answered (false: no CAP_NET_ADMIN, no nf_tables) */
	struct backend_nft_table nft[BACKEND_NFT_TABLES_MAX];
	size_t nnft;			/* tables listed (at most BACKEND_NFT_TABLES_MAX) */
	size_t nft_rules;		/* rules in tables of families ip, ip6 and inet */
	bool nft_own;			/* table inet smtpguard exists (listed in nft[] or not) */
};

/* 1 when the legacy filter table of family (AF_INET/AF_INET6) exists, 0 when not, -1 when its module is not loaded. */
int backend_legacy_filter(int family);

/* False when the kernel has no IPv6 (ipv6.disable=1): then IPv6 is no way around the rules. */
bool backend_ipv6_enabled(void);

/*
 * Everything above; what cannot be learnt stays empty.  Never fails.
 * query_kernel false (the file fake backend) leaves the nftables dump
 * out, so rootless tests never talk to the host's netfilter.
 */
void backend_detect(struct backend_facts *out, bool query_kernel);

/*
 * Whether smtpguard's nftables table exists: 1, 0, or -1 when nf_tables
 * cannot be asked.  One dump of the tables, none of the rules: what a
 * command on the other backend asks before it changes anything.
 */
int backend_nft_own(void);

/* True when nftables filters here too: `iptables` is the nft variant or nft tables hold ip/ip6/inet rules. */
bool backend_nft_in_use(const struct backend_facts *f);

/*
 * The one-line warning for startup ("" when nftables is not in use, or
 * when the dump could not be made: then the command is about to fail
 * for want of privileges anyway).  Returns buf.
 */
const char *backend_warning(const struct backend_facts *f, char *buf, size_t size);

#endif
