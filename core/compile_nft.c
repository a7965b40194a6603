/*
 * compile_nft.c - the nftables compiler: the whole table inet smtpguard
 * for both families.  Pure: writes only to the stream it is given.  See
 * include/compile_nft.h.
 *
 * The layout mirrors core/compile.c's (P = the guarded ports, ZI = a
 * zone's interface, W = each WAN interface):
 *
 *   sets      <zone>_relay4/6 (filtering modes; interval), <zone>_dev4/6
 *             (ether_addr . address, a device list), <zone>_quar4/6
 *             (interval) and <zone>_quarmac (quarantine), <zone>_ban4/6
 *             (rateban: dynamic, timeout), <zone>_esc4/6 (escalate: hosts
 *             `watch` adds with a timeout; kept like the bans)
 *   forward   hook forward: tcp dport P jump guard, tcp sport P (dport
 *             not P) jump guard; one unrestricted jump when a zone has
 *             devices or quarantine
 *   input     hook input (a zone protects the gateway):
 *             iifname ZI tcp dport P drop
 *   guard     the quarantine of every zone, then iifname ZI oifname W
 *             jump zone_<zone> (and iifname W oifname ZI for the modes
 *             that filter replies)
 *   zone_<zone>  the device check, the mode's rules
 *
 * Lists are set elements, so a list edit changes elements, not rules.
 * Every rule counts; nothing is ever accepted (return leaves the table's
 * chain, the base chains' policy is accept, and the administrator's own
 * tables decide).  Everything is written as `nft -s list` prints it.
 */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "compile.h"
#include "compile_nft.h"

#define NFT_DEFAULT_BURST 5u	/* nft's limit burst, which it does not print */
#define NFT_DYNSET_SIZE 65535u	/* the size nft gives a dynamic set */
#define NFT_NAME_MAX 64

struct nft_family {
	int family;
	const char *suffix;	/* of the set names */
	const char *type;	/* of an address set */
	const char *proto;	/* of the address matches */
};

static const struct nft_family nft_families[] = {
	{ AF_INET, "4", "ipv4_addr", "ip" },
	{ AF_INET6, "6", "ipv6_addr", "ip6" },
};
#define NFT_NFAMILIES (sizeof(nft_families) / sizeof(nft_families[0]))

struct nft_build {
	const struct config *cfg;
	FILE *out;
	struct error *err;
	char ports[CONFIG_MAX_PORTS * 8 + 8];	/* "25" or "{ 25, 587 }" */
	size_t items;	/* sets and chains written so far */
};

/* One zone's rules: its chain's match prefixes and set names. */
struct nft_zone {
	struct nft_build *b;
	const struct zone *zone;
	char in[IFACE_NAME_MAX + CONFIG_MAX_PORTS * 8 + 40];	/* iifname "ZI" tcp dport P */
	char out[IFACE_NAME_MAX + CONFIG_MAX_PORTS * 8 + 40];	/* oifname "ZI" tcp sport P */
};

struct nft_mode {
	void (*rules)(struct nft_zone *nz);
};

static void nft_ifname(const char *name, char buf[IFACE_NAME_MAX + 1])
{
	size_t len = strlen(name);

	snprintf(buf, IFACE_NAME_MAX + 1, "%s", name);
	if (len > 0 && buf[len - 1] == '+')
		buf[len - 1] = '*';	/* iptables' wildcard is nft's '*' */
}

static int port_cmp(const void *a, const void *b)
{
	return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

static void nft_ports(const struct config *cfg, char *buf, size_t size)
{
	uint16_t ports[CONFIG_MAX_PORTS];
	size_t len = 0;

	memcpy(ports, cfg->ports, cfg->nports * sizeof(ports[0]));
	qsort(ports, cfg->nports, sizeof(ports[0]), port_cmp);
	if (cfg->nports == 1) {
		snprintf(buf, size, "%u", ports[0]);
		return;
	}
	len += (size_t)snprintf(buf, size, "{ ");
	for (size_t i = 0; i < cfg->nports && len < size; i++)
		len += (size_t)snprintf(buf + len, size - len, "%s%u", i ? ", " : "", ports[i]);
	if (len < size)
		snprintf(buf + len, size - len, " }");
}

/* "2m", "1m30s", "1d": a timeout as nft prints it. */
static void nft_timeout(unsigned seconds, char *buf, size_t size)
{
	static const struct {
		unsigned seconds;
		char unit;
	} units[] = { { 86400, 'd' }, { 3600, 'h' }, { 60, 'm' }, { 1, 's' } };
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]) && len < size; i++) {
		if (seconds < units[i].seconds)
			continue;
		len += (size_t)snprintf(buf + len, size - len, "%u%c", seconds / units[i].seconds,
					units[i].unit);
		seconds %= units[i].seconds;
	}
}

static void nft_set_name(const char *zone, const char *kind, const char *suffix, char *buf,
			 size_t size)
{
	snprintf(buf, size, "%s_%s%s", zone, kind, suffix);
}

void compile_nft_ban_set(const char *zone, int family, char *buf, size_t size)
{
	nft_set_name(zone, "ban", family == AF_INET6 ? "6" : "4", buf, size);
}

void compile_nft_esc_set(const char *zone, int family, char *buf, size_t size)
{
	nft_set_name(zone, "esc", family == AF_INET6 ? "6" : "4", buf, size);
}

static void nft_item(struct nft_build *b)
{
	if (b->items++)
		fputc('\n', b->out);
}

static int addr_cmp(const void *a, const void *b)
{
	return addr_compare(a, b);
}

/* Drop the addresses another one covers, then sort: an interval set's elements as nft lists them. */
static void addr_list_canon(struct addr_list *l)
{
	size_t n = 0;

	for (size_t i = 0; i < l->n; i++) {
		bool covered = false;

		for (size_t j = 0; j < l->n && !covered; j++)
			covered = j != i && addr_contains(&l->addrs[j], &l->addrs[i]) &&
				  (!addr_equal(&l->addrs[j], &l->addrs[i]) || j < i);
		if (!covered)
			l->addrs[n++] = l->addrs[i];
	}
	l->n = n;
	if (n > 1)
		qsort(l->addrs, n, sizeof(l->addrs[0]), addr_cmp);
}

static void nft_set_head(struct nft_build *b, const char *name, const char *type,
			 const char *flags)
{
	nft_item(b);
	fprintf(b->out, "\tset %s {\n\t\ttype %s\n", name, type);
	if (flags)
		fprintf(b->out, "\t\tflags %s\n", flags);
}

/* An interval set of addresses of one family. */
static void nft_addr_set(struct nft_build *b, const char *name, const struct nft_family *f,
			 struct addr_list *l)
{
	char text[INET6_ADDRSTRLEN + 8];

	addr_list_canon(l);
	nft_set_head(b, name, f->type, "interval");
	for (size_t i = 0; i < l->n; i++) {
		addr_format(&l->addrs[i], text, sizeof(text));
		fprintf(b->out, "%s%s", i ? ", " : "\t\telements = { ", text);
	}
	fprintf(b->out, "%s\t}\n", l->n ? " }\n" : "");
}

static int addr_list_push(struct addr_list *l, const struct addr *a, struct error *err)
{
	struct addr *n = realloc(l->addrs, (l->n + 1) * sizeof(*n));

	if (!n)
		return error_set(err, "out of memory compiling the nftables sets; free some "
				      "memory and try again");
	l->addrs = n;
	l->addrs[l->n++] = *a;
	return 0;
}

static int nft_relay_sets(struct nft_build *b, const struct zone *z)
{
	char name[NFT_NAME_MAX];

	for (size_t i = 0; i < NFT_NFAMILIES; i++) {
		struct addr_list l;

		if (compile_zone_relays(b->cfg, z, nft_families[i].family, &l, b->err) < 0)
			return -1;
		nft_set_name(z->name, "relay", nft_families[i].suffix, name, sizeof(name));
		nft_addr_set(b, name, &nft_families[i], &l);
		free(l.addrs);
	}
	return 0;
}

static void nft_device_sets(struct nft_build *b, const struct zone *z)
{
	char name[NFT_NAME_MAX], type[32], mac[18], ip[INET6_ADDRSTRLEN];

	for (size_t i = 0; i < NFT_NFAMILIES; i++) {
		size_t n = 0;

		nft_set_name(z->name, "dev", nft_families[i].suffix, name, sizeof(name));
		snprintf(type, sizeof(type), "ether_addr . %s", nft_families[i].type);
		nft_set_head(b, name, type, NULL);
		for (size_t d = 0; d < z->ndevices; d++) {
			if (z->devices[d].ip.family != nft_families[i].family)
				continue;
			mac_format(z->devices[d].mac, mac);
			addr_format(&z->devices[d].ip, ip, sizeof(ip));
			fprintf(b->out, "%s%s . %s", n++ ? ", " : "\t\telements = { ", mac, ip);
		}
		fprintf(b->out, "%s\t}\n", n ? " }\n" : "");
	}
}

static int nft_quarantine_sets(struct nft_build *b, const struct zone *z)
{
	char name[NFT_NAME_MAX], mac[18];
	size_t n = 0;

	for (size_t i = 0; i < NFT_NFAMILIES; i++) {
		struct addr_list l = { 0 };

		for (size_t q = 0; q < z->nquarantine; q++)
			if (!z->quarantine[q].is_mac &&
			    z->quarantine[q].addr.family == nft_families[i].family &&
			    addr_list_push(&l, &z->quarantine[q].addr, b->err) < 0) {
				free(l.addrs);
				return -1;
			}
		nft_set_name(z->name, "quar", nft_families[i].suffix, name, sizeof(name));
		nft_addr_set(b, name, &nft_families[i], &l);
		free(l.addrs);
	}
	nft_set_name(z->name, "quarmac", "", name, sizeof(name));
	nft_set_head(b, name, "ether_addr", NULL);
	for (size_t q = 0; q < z->nquarantine; q++) {
		if (!z->quarantine[q].is_mac)
			continue;
		mac_format(z->quarantine[q].mac, mac);
		fprintf(b->out, "%s%s", n++ ? ", " : "\t\telements = { ", mac);
	}
	fprintf(b->out, "%s\t}\n", n ? " }\n" : "");
	return 0;
}

/* Dynamic sets with timeouts, one per family, named by set_name (the bans, the escalations). */
static void nft_ban_sets(struct nft_build *b, const struct zone *z,
			 void (*set_name)(const char *, int, char *, size_t))
{
	char name[NFT_NAME_MAX];

	for (size_t i = 0; i < NFT_NFAMILIES; i++) {
		set_name(z->name, nft_families[i].family, name, sizeof(name));
		nft_set_head(b, name, nft_families[i].type, NULL);
		fprintf(b->out, "\t\tsize %u\n\t\tflags dynamic,timeout\n\t}\n", NFT_DYNSET_SIZE);
	}
}

static int nft_sets(struct nft_build *b)
{
	for (size_t i = 0; i < b->cfg->nzones; i++) {
		const struct zone *z = &b->cfg->zones[i];

		if (z->mode != MODE_ALLOW && nft_relay_sets(b, z) < 0)
			return -1;
		if (z->ndevices)
			nft_device_sets(b, z);
		if (z->nquarantine && nft_quarantine_sets(b, z) < 0)
			return -1;
		if (z->mode == MODE_RATEBAN)
			nft_ban_sets(b, z, compile_nft_ban_set);
		if (z->escalate && z->mode != MODE_ALLOW)
			nft_ban_sets(b, z, compile_nft_esc_set);
	}
	return 0;
}

/* `limit rate ... counter log ...`: the rate-limited log of the config. */
static void nft_log(const struct nft_build *b)
{
	const struct config *cfg = b->cfg;
	char rate[32];

	rate_format(&cfg->log_limit, rate, sizeof(rate));
	fprintf(b->out, " limit rate %s", rate);
	if (cfg->log_burst != NFT_DEFAULT_BURST)
		fprintf(b->out, " burst %u packets", cfg->log_burst);
	fprintf(b->out, " counter log prefix \"%s\"", cfg->log_prefix);
	if (cfg->log_target == LOG_TARGET_NFLOG)
		fprintf(b->out, " group %u queue-threshold %u", cfg->nflog_group,
			COMPILE_NFLOG_THRESHOLD);
	fputc('\n', b->out);
}

static void nft_relays_return(struct nft_zone *nz, bool reply)
{
	for (size_t i = 0; i < NFT_NFAMILIES; i++)
		fprintf(nz->b->out, "\t\t%s %s %saddr @%s_relay%s counter return\n",
			reply ? nz->out : nz->in, nft_families[i].proto, reply ? "s" : "d",
			nz->zone->name, nft_families[i].suffix);
}

/* Every filtering mode starts so: the relays return, then escalated hosts are dropped. */
static void nft_zone_head(struct nft_zone *nz)
{
	char set[NFT_NAME_MAX];

	nft_relays_return(nz, false);
	for (size_t i = 0; nz->zone->escalate && i < NFT_NFAMILIES; i++) {
		compile_nft_esc_set(nz->zone->name, nft_families[i].family, set, sizeof(set));
		fprintf(nz->b->out, "\t\t%s %s saddr @%s counter drop\n", nz->in,
			nft_families[i].proto, set);
	}
}

static void nft_monitor(struct nft_zone *nz)
{
	nft_zone_head(nz);
	fprintf(nz->b->out, "\t\t%s ct state new", nz->in);
	nft_log(nz->b);
}

static void nft_block_rules(struct nft_zone *nz, bool log)
{
	nft_zone_head(nz);
	if (log) {
		fprintf(nz->b->out, "\t\t%s", nz->in);
		nft_log(nz->b);
	}
	fprintf(nz->b->out, "\t\t%s counter drop\n", nz->in);
	nft_relays_return(nz, true);
	fprintf(nz->b->out, "\t\t%s counter drop\n", nz->out);
}

static void nft_block(struct nft_zone *nz)
{
	nft_block_rules(nz, false);
}

static void nft_logmode(struct nft_zone *nz)
{
	nft_block_rules(nz, true);
}

/*
 * Article 2 with a dynamic set per zone and family (see compile.c's
 * mode_rateban): a SYN from a host in the set is logged, refreshes its
 * ban (update: as xt_recent's --update) and is dropped; any other SYN
 * enters the host for ban_seconds and marks its connection, whose
 * retransmitted SYNs then return on the mark.
 */
static void nft_rateban(struct nft_zone *nz)
{
	FILE *out = nz->b->out;
	unsigned prefix6 = nz->zone->ban_prefix6 ? nz->zone->ban_prefix6 : CONFIG_BAN_PREFIX6;
	char timeout[32], set[NFT_NAME_MAX], key[INET6_ADDRSTRLEN + 16], lookup[sizeof(key) + NFT_NAME_MAX + 8];

	nft_zone_head(nz);
	fprintf(out, "\t\t%s ct state established,related counter return\n", nz->in);
	fprintf(out, "\t\t%s ct mark & 0x%08x == 0x%08x counter return\n", nz->in,
		COMPILE_RATEBAN_CONNMARK, COMPILE_RATEBAN_CONNMARK);
	nft_timeout(nz->zone->ban_seconds, timeout, sizeof(timeout));
	for (size_t i = 0; i < NFT_NFAMILIES; i++) {
		const struct nft_family *f = &nft_families[i];

		compile_nft_ban_set(nz->zone->name, f->family, set, sizeof(set));
		if (f->family == AF_INET6 && prefix6 < 128) {
			struct addr mask = { .family = AF_INET6, .prefix = prefix6 };
			char text[INET6_ADDRSTRLEN];

			addr_mask(&mask, mask.bytes);
			mask.prefix = 128;
			addr_format(&mask, text, sizeof(text));
			snprintf(key, sizeof(key), "ip6 saddr & %s", text);
			snprintf(lookup, sizeof(lookup), "%s == @%s", key, set);
		} else {
			snprintf(key, sizeof(key), "%s saddr", f->proto);
			snprintf(lookup, sizeof(lookup), "%s @%s", key, set);
		}
		fprintf(out, "\t\t%s tcp flags syn / fin,syn,rst,ack %s", nz->in, lookup);
		nft_log(nz->b);
		fprintf(out, "\t\t%s tcp flags syn / fin,syn,rst,ack %s update @%s { %s timeout %s } "
			     "counter drop\n", nz->in, lookup, set, key, timeout);
		fprintf(out, "\t\t%s tcp flags syn / fin,syn,rst,ack update @%s { %s timeout %s } "
			     "counter ct mark set ct mark | 0x%08x\n", nz->in, set, key, timeout,
			COMPILE_RATEBAN_CONNMARK);
	}
}

static const struct nft_mode nft_modes[MODE_COUNT] = {
	[MODE_ALLOW] = { .rules = NULL },
	[MODE_MONITOR] = { .rules = nft_monitor },
	[MODE_BLOCK] = { .rules = nft_block },
	[MODE_LOG] = { .rules = nft_logmode },
	[MODE_RATEBAN] = { .rules = nft_rateban },
};

/* Only listed MAC+address pairs of each family pass; no pair listed drops the family. */
static void nft_devices(struct nft_zone *nz, const char *ifname)
{
	for (size_t i = 0; i < NFT_NFAMILIES; i++)
		fprintf(nz->b->out, "\t\tiifname \"%s\" ether saddr . %s saddr != @%s_dev%s "
				    "counter drop\n", ifname, nft_families[i].proto,
			nz->zone->name, nft_families[i].suffix);
}

static void nft_zone_chain(struct nft_build *b, const struct zone *z)
{
	struct nft_zone nz = { .b = b, .zone = z };
	char ifname[IFACE_NAME_MAX + 1];

	nft_ifname(z->interface, ifname);
	snprintf(nz.in, sizeof(nz.in), "iifname \"%s\" tcp dport %s", ifname, b->ports);
	snprintf(nz.out, sizeof(nz.out), "oifname \"%s\" tcp sport %s", ifname, b->ports);
	nft_item(b);
	fprintf(b->out, "\tchain zone_%s {\n", z->name);
	if (z->ndevices)
		nft_devices(&nz, ifname);
	if (nft_modes[z->mode].rules)
		nft_modes[z->mode].rules(&nz);
	fprintf(b->out, "\t}\n");
}

static void nft_quarantine_rules(struct nft_build *b, const struct zone *z)
{
	char ifname[IFACE_NAME_MAX + 1];

	nft_ifname(z->interface, ifname);
	for (size_t i = 0; i < NFT_NFAMILIES; i++) {
		const struct nft_family *f = &nft_families[i];

		fprintf(b->out, "\t\tiifname \"%s\" %s saddr @%s_quar%s counter drop\n", ifname,
			f->proto, z->name, f->suffix);
		fprintf(b->out, "\t\toifname \"%s\" %s daddr @%s_quar%s counter drop\n", ifname,
			f->proto, z->name, f->suffix);
	}
	fprintf(b->out, "\t\tiifname \"%s\" ether saddr @%s_quarmac counter drop\n", ifname,
		z->name);
}

static void nft_guard_chain(struct nft_build *b)
{
	const struct config *cfg = b->cfg;
	char zi[IFACE_NAME_MAX + 1], w[IFACE_NAME_MAX + 1];

	nft_item(b);
	fprintf(b->out, "\tchain guard {\n");
	for (size_t i = 0; i < cfg->nzones; i++)
		if (cfg->zones[i].nquarantine)
			nft_quarantine_rules(b, &cfg->zones[i]);
	for (size_t i = 0; i < cfg->nzones; i++) {
		const struct zone *z = &cfg->zones[i];

		if (!compile_zone_needs_chain(z))
			continue;
		nft_ifname(z->interface, zi);
		for (size_t j = 0; j < cfg->nwan; j++) {
			nft_ifname(cfg->wan[j], w);
			fprintf(b->out, "\t\tiifname \"%s\" oifname \"%s\" counter jump zone_%s\n",
				zi, w, z->name);
			if (compile_zone_needs_reply(z))
				fprintf(b->out, "\t\tiifname \"%s\" oifname \"%s\" counter jump "
						"zone_%s\n", w, zi, z->name);
		}
	}
	fprintf(b->out, "\t}\n");
}

static void nft_base_chain(struct nft_build *b, const char *hook)
{
	nft_item(b);
	fprintf(b->out, "\tchain %s {\n\t\ttype filter hook %s priority filter; policy accept;\n",
		hook, hook);
}

static void nft_forward_chain(struct nft_build *b, bool unrestricted)
{
	nft_base_chain(b, "forward");
	if (unrestricted)
		fprintf(b->out, "\t\tcounter jump guard\n");
	else
		fprintf(b->out, "\t\ttcp dport %s counter jump guard\n"
				"\t\ttcp sport %s tcp dport != %s counter jump guard\n",
			b->ports, b->ports, b->ports);
	fprintf(b->out, "\t}\n");
}

static void nft_input_chain(struct nft_build *b)
{
	char ifname[IFACE_NAME_MAX + 1];

	nft_base_chain(b, "input");
	for (size_t i = 0; i < b->cfg->nzones; i++) {
		if (!b->cfg->zones[i].protect_gateway)
			continue;
		nft_ifname(b->cfg->zones[i].interface, ifname);
		fprintf(b->out, "\t\tiifname \"%s\" tcp dport %s counter drop\n", ifname, b->ports);
	}
	fprintf(b->out, "\t}\n");
}

int compile_nft(const struct config *cfg, FILE *out, struct error *err)
{
	struct nft_build b = { .cfg = cfg, .out = out, .err = err };
	bool forward = false, unrestricted = false, input = false;

	if (compile_check(cfg, err) < 0)
		return -1;
	nft_ports(cfg, b.ports, sizeof(b.ports));
	for (size_t i = 0; i < cfg->nzones; i++) {
		const struct zone *z = &cfg->zones[i];

		forward |= compile_zone_needs_chain(z) || z->nquarantine > 0;
		unrestricted |= z->ndevices > 0 || z->nquarantine > 0;
		input |= z->protect_gateway;
	}
	fprintf(out, "table " COMPILE_NFT_FAMILY " " COMPILE_NFT_TABLE " {\n");
	if (nft_sets(&b) < 0)
		return -1;
	if (forward)
		nft_forward_chain(&b, unrestricted);
	if (input)
		nft_input_chain(&b);
	if (forward)
		nft_guard_chain(&b);
	for (size_t i = 0; i < cfg->nzones; i++)
		if (compile_zone_needs_chain(&cfg->zones[i]))
			nft_zone_chain(&b, &cfg->zones[i]);
	fprintf(out, "}\n");
	if (ferror(out))
		return error_set(err, "cannot write the nftables table: the output failed; "
				      "check the disk or the pipe and try again");
	return 0;
}
