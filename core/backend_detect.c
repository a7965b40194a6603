/*
 * backend_detect.c - which packet filters the host runs besides
 * smtpguard's legacy tables; see include/backend_detect.h.
 *
 * Read-only throughout: /proc files, one readlink, and netlink dumps
 * (GET requests never change nftables; no libnftnl needed for two
 * string attributes).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

#include "backend_detect.h"
#include "compile_nft.h"
#include "testenv.h"

#define BACKEND_NL_BUF 32768
#define BACKEND_NL_TIMEOUT_SECONDS 2

static const struct {
	int family;
	const char *names;
} backend_legacy_files[] = {
	{ .family = AF_INET, .names = "/proc/net/ip_tables_names" },
	{ .family = AF_INET6, .names = "/proc/net/ip6_tables_names" },
};

/* nftables' family numbers (NFPROTO_*) as nft names them. */
static const char *const backend_nft_families[] = {
	[NFPROTO_INET] = "inet",
	[NFPROTO_IPV4] = "ip",
	[NFPROTO_ARP] = "arp",
	[NFPROTO_NETDEV] = "netdev",
	[NFPROTO_BRIDGE] = "bridge",
	[NFPROTO_IPV6] = "ip6",
};

int backend_legacy_filter(int family)
{
	char line[64];
	int found = 0;
	FILE *f = NULL;

	for (size_t i = 0; i < sizeof(backend_legacy_files) / sizeof(*backend_legacy_files); i++)
		if (backend_legacy_files[i].family == family)
			f = fopen(backend_legacy_files[i].names, "re");
	if (!f)
		return -1;
	while (!found && fgets(line, sizeof(line), f))
		found = strcmp(line, "filter\n") == 0 || strcmp(line, "filter") == 0;
	fclose(f);
	return found;
}

bool backend_ipv6_enabled(void)
{
	return access("/proc/sys/net/ipv6", F_OK) == 0;
}

/* Where the `iptables` alternative points, by its last path element ("iptables-nft"). */
static void backend_alternative(struct backend_facts *out)
{
	char path[512], target[512];
	const char *base;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/iptables", testenv()->alternatives);
	n = readlink(path, target, sizeof(target) - 1);
	if (n <= 0)
		return;
	target[n] = '\0';
	base = strrchr(target, '/');
	base = base ? base + 1 : target;
	snprintf(out->alternative, sizeof(out->alternative), "%.*s", (int)sizeof(out->alternative) - 1,
		 base);
	n = (ssize_t)strlen(base);
	out->alternative_nft = (n > 4 && strcmp(base + n - 4, "-nft") == 0) ||
			       strstr(base, "nft-multi") != NULL;
}

static const char *backend_nft_family(unsigned family)
{
	if (family < sizeof(backend_nft_families) / sizeof(*backend_nft_families) &&
	    backend_nft_families[family])
		return backend_nft_families[family];
	return "?";
}

/* The string attribute type of a message's payload after its nfgenmsg, or NULL. */
static const char *backend_nl_string(const struct nlmsghdr *nh, unsigned short type)
{
	const struct nlattr *a = (const void *)((const char *)NLMSG_DATA(nh) +
						NLMSG_ALIGN(sizeof(struct nfgenmsg)));
	size_t left = nh->nlmsg_len - NLMSG_LENGTH(NLMSG_ALIGN(sizeof(struct nfgenmsg)));

	/* NLA_HDRLEN and NLA_ALIGN, in size_t (the kernel's macros mix int into it) */
	const size_t align = (size_t)NLA_ALIGNTO - 1, hdrlen = (sizeof(struct nlattr) + align) & ~align;

	while (left >= sizeof(*a) && a->nla_len >= sizeof(*a) && a->nla_len <= left) {
		size_t aligned = ((size_t)a->nla_len + align) & ~align;

		if ((a->nla_type & NLA_TYPE_MASK) == type && a->nla_len > hdrlen) {
			const char *s = (const char *)a + hdrlen;

			return memchr(s, '\0', a->nla_len - hdrlen) ? s : NULL;
		}
		if (aligned >= left)
			break;
		left -= aligned;
		a = (const void *)((const char *)a + aligned);
	}
	return NULL;
}

/* The table of facts named (family, name), added when new and room is left; NULL otherwise. */
static struct backend_nft_table *backend_nft_table(struct backend_facts *out, unsigned family,
						   const char *name, bool add)
{
	const char *fam = backend_nft_family(family);

	for (size_t i = 0; i < out->nnft; i++)
		if (strcmp(out->nft[i].family, fam) == 0 && strcmp(out->nft[i].name, name) == 0)
			return &out->nft[i];
	if (!add || out->nnft == BACKEND_NFT_TABLES_MAX)
		return NULL;
	snprintf(out->nft[out->nnft].family, sizeof(out->nft[0].family), "%s", fam);
	snprintf(out->nft[out->nnft].name, sizeof(out->nft[0].name), "%s", name);
	out->nft[out->nnft].rules = 0;
	return &out->nft[out->nnft++];
}

static bool backend_nft_filters_ip(unsigned family)
{
	return family == NFPROTO_IPV4 || family == NFPROTO_IPV6 || family == NFPROTO_INET;
}

/* One message of a dump: a table to list, or a rule to count. */
static void backend_nl_message(struct backend_facts *out, const struct nlmsghdr *nh, int msg)
{
	const struct nfgenmsg *g = NLMSG_DATA(nh);
	const char *name;
	struct backend_nft_table *t;

	if (nh->nlmsg_len < NLMSG_LENGTH(sizeof(*g)))
		return;
	name = backend_nl_string(nh, msg == NFT_MSG_GETTABLE ? NFTA_TABLE_NAME : NFTA_RULE_TABLE);
	if (!name)
		return;
	if (msg == NFT_MSG_GETTABLE && g->nfgen_family == NFPROTO_INET &&
	    strcmp(name, COMPILE_NFT_TABLE) == 0)
		out->nft_own = true;
	t = backend_nft_table(out, g->nfgen_family, name, msg == NFT_MSG_GETTABLE);
	if (msg != NFT_MSG_GETRULE)
		return;
	if (t)
		t->rules++;
	if (backend_nft_filters_ip(g->nfgen_family))
		out->nft_rules++;
}

/* Dump every table (or rule) of every family; 0 when the kernel answered to the end. */
static int backend_nl_dump(int fd, int msg, struct backend_facts *out)
{
	struct {
		struct nlmsghdr nh;
		struct nfgenmsg g;
	} req = {
		.nh = { .nlmsg_len = sizeof(req), .nlmsg_type = (__u16)((NFNL_SUBSYS_NFTABLES << 8) | msg),
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP, .nlmsg_seq = (unsigned)msg },
		.g = { .nfgen_family = NFPROTO_UNSPEC, .version = NFNETLINK_V0 },
	};
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	char *buf = malloc(BACKEND_NL_BUF);
	int rc = -1;

	if (!buf)
		return -1;
	if (sendto(fd, &req, sizeof(req), 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
		goto out;
	for (;;) {
		ssize_t n = recv(fd, buf, BACKEND_NL_BUF, 0);
		const struct nlmsghdr *nh = (const void *)buf;
		size_t len = n > 0 ? (size_t)n : 0;

		if (n <= 0)
			goto out;
		for (; NLMSG_OK(nh, len); nh = NLMSG_NEXT(nh, len)) {
			if (nh->nlmsg_seq != (unsigned)msg)
				continue;
			if (nh->nlmsg_type == NLMSG_DONE) {
				rc = 0;
				goto out;
			}
			if (nh->nlmsg_type == NLMSG_ERROR)
				goto out;
			backend_nl_message(out, nh, msg);
		}
	}
out:
	free(buf);
	return rc;
}

static int backend_nl_open(void)
{
	struct timeval tv = { .tv_sec = BACKEND_NL_TIMEOUT_SECONDS };
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);

	if (fd >= 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

static void backend_nft(struct backend_facts *out)
{
	int fd = backend_nl_open();

	if (fd < 0)
		return;
	if (backend_nl_dump(fd, NFT_MSG_GETTABLE, out) == 0 &&
	    backend_nl_dump(fd, NFT_MSG_GETRULE, out) == 0) {
		out->nft_queried = true;
	} else {
		out->nnft = 0;
		out->nft_rules = 0;
		out->nft_own = false;
	}
	close(fd);
}

int backend_nft_own(void)
{
	struct backend_facts tables = { 0 };
	int fd = backend_nl_open(), rc;

	if (fd < 0)
		return -1;
	rc = backend_nl_dump(fd, NFT_MSG_GETTABLE, &tables) == 0 ? tables.nft_own : -1;
	close(fd);
	return rc;
}

void backend_detect(struct backend_facts *out, bool query_kernel)
{
	memset(out, 0, sizeof(*out));
	out->legacy_ip4 = backend_legacy_filter(AF_INET);
	out->legacy_ip6 = backend_legacy_filter(AF_INET6);
	backend_alternative(out);
	if (query_kernel)
		backend_nft(out);
}

bool backend_nft_in_use(const struct backend_facts *f)
{
	return f->alternative_nft || f->nft_rules > 0;
}

const char *backend_warning(const struct backend_facts *f, char *buf, size_t size)
{
	char tables[256] = "", what[384];
	size_t len = 0;

	if (size)
		buf[0] = '\0';
	if (!f->nft_queried || !backend_nft_in_use(f))
		return buf;
	for (size_t i = 0; i < f->nnft && len < sizeof(tables); i++)
		if (f->nft[i].rules > 0)
			len += (size_t)snprintf(tables + len, sizeof(tables) - len, "%s%s %s",
						len ? ", " : "", f->nft[i].family, f->nft[i].name);
	snprintf(what, sizeof(what), "%s%s%s%s%s", f->alternative_nft ? "iptables is " : "",
		 f->alternative_nft ? f->alternative : "", f->alternative_nft && len ? "; " : "",
		 len ? "nft tables with rules: " : "", tables);
	snprintf(buf, size,
		 "warning: nftables filters on this host too (%s); smtpguard's rules are in the "
		 "legacy iptables tables (iptables-legacy -S and ip6tables-legacy -S show them): the "
		 "kernel evaluates both, and a drop in either wins",
		 what);
	return buf;
}
