/*
 * fw_iptc.c - the real backend: the IPv4 filter table through libiptc
 * (iptables-legacy).  The only file that includes libiptc and xtables.
 *
 * read() renders every rule the way iptables-legacy-save does, using
 * the libxtables extensions' own save functions, so foreign rules come
 * out byte for byte as the administrator knows them.  apply() builds
 * kernel entries from the rule IR, edits one libiptc snapshot taken
 * under the xtables lock and commits it once; own chains whose rules
 * are unchanged are not touched, so they keep their counters.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <libiptc/libiptc.h>
#include <xtables.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/xt_LOG.h>
#include <linux/netfilter/xt_NFLOG.h>
#include <linux/netfilter/xt_conntrack.h>
#include <linux/netfilter/xt_limit.h>
#include <linux/netfilter/xt_mac.h>
#include <linux/netfilter/xt_multiport.h>
#include <linux/netfilter/xt_recent.h>
#include <linux/netfilter/xt_tcpudp.h>

#include "fw.h"
#include "plan.h"
#include "xlock.h"

#define FW_IPTC_ENTRY_MAX 2048
#define FW_IPTC_LOG_LEVEL 4	/* LOG_WARNING, what iptables' LOG defaults to */
#define CAP_NET_ADMIN_BIT 12

/* ---- rendering (read) ---- */

/*
 * libxtables calls this on a fatal error inside an extension and
 * expects it never to return; there is no caller to hand an error to,
 * so this is the one place in the core that writes to stderr.
 */
static void __attribute__((noreturn, format(printf, 2, 3)))
fw_iptc_xtables_exit(enum xtables_exittype status, const char *msg, ...)
{
	va_list ap;

	fputs("smtpguard: libxtables: ", stderr);
	va_start(ap, msg);
	vfprintf(stderr, msg, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(EXIT_RUNTIME);
}

static struct xtables_globals fw_iptc_globals = {
	.program_name = "smtpguard",
	.program_version = SMTPGUARD_VERSION,
	.exit_err = fw_iptc_xtables_exit,
	.compat_rev = xtables_compatible_revision,
};

static int fw_iptc_xtables_init(struct error *err)
{
	static bool ready;

	if (ready)
		return 0;
	if (xtables_init_all(&fw_iptc_globals, NFPROTO_IPV4) < 0)
		return error_set(err, "cannot initialise libxtables; reinstall the libxtables12 "
				      "package (or check XTABLES_LIBDIR)");
	ready = true;
	return 0;
}

static void fw_iptc_print_addr(FILE *out, char opt, struct in_addr addr, struct in_addr mask,
			       bool invert)
{
	uint32_t hmask = ntohl(mask.s_addr), host = ~hmask;
	const unsigned char *a = (const unsigned char *)&addr.s_addr;
	const unsigned char *m = (const unsigned char *)&mask.s_addr;

	if (!mask.s_addr && !addr.s_addr && !invert)
		return;
	fprintf(out, "%s -%c %u.%u.%u.%u", invert ? " !" : "", opt, a[0], a[1], a[2], a[3]);
	if ((host & (host + 1)) == 0)	/* contiguous: a prefix length */
		fprintf(out, "/%d", __builtin_popcount(hmask));
	else
		fprintf(out, "/%u.%u.%u.%u", m[0], m[1], m[2], m[3]);
}

/* As iptables-save: the mask says how much of the name counts; a shorter mask is a "+" wildcard. */
static void fw_iptc_print_iface(FILE *out, char opt, const char *name, const unsigned char *mask,
				bool invert)
{
	if (!mask[0])
		return;
	fprintf(out, "%s -%c ", invert ? " !" : "", opt);
	for (size_t i = 0; i < IFNAMSIZ; i++) {
		if (!mask[i]) {
			if (name[i - 1])
				fputc('+', out);
			break;
		}
		if (name[i])
			fputc(name[i], out);
	}
}

static void fw_iptc_print_proto(FILE *out, uint16_t proto, bool invert)
{
	const struct protoent *pe;

	if (!proto)
		return;
	fputs(invert ? " ! -p " : " -p ", out);
	for (size_t i = 0; xtables_chain_protos[i].name; i++) {
		if (xtables_chain_protos[i].num == proto) {
			fputs(xtables_chain_protos[i].name, out);
			return;
		}
	}
	if ((pe = getprotobynumber(proto)))
		fputs(pe->p_name, out);
	else
		fprintf(out, "%u", proto);
}

/* " -m NAME" and its options, written to stdout (see fw_iptc_render). */
static void fw_iptc_print_match(const struct ipt_entry *e, const struct xt_entry_match *m)
{
	const char *name = m->u.user.name;
	struct xtables_match *match = xtables_find_match(name, XTF_TRY_LOAD, NULL), *mt, *shown;

	if (!match) {
		printf(" -m %s (unknown match)", name);
		return;
	}
	/* The library of the entry's revision saves it; without one the name still shows. */
	mt = xtables_find_match_revision(name, XTF_TRY_LOAD, match, m->u.user.revision);
	shown = mt ? mt : match;
	printf(" -m %s", shown->alias ? shown->alias(m) : name);
	if (mt && mt->save)
		mt->save(&e->ip, m);
	else if (match->save)
		printf(" [unsupported revision]");
}

static void fw_iptc_print_target(const struct ipt_entry *e, struct xtc_handle *h)
{
	const char *verdict = iptc_get_target(e, h);
	const struct xt_entry_target *t = ipt_get_target((struct ipt_entry *)e);
	struct xtables_target *target, *tg, *shown;

	if (!t->u.user.name[0]) {	/* a standard verdict or a jump */
		if (verdict && *verdict)
			printf(" -%c %s", e->ip.flags & IPT_F_GOTO ? 'g' : 'j', verdict);
		return;
	}
	if (!(target = xtables_find_target(t->u.user.name, XTF_TRY_LOAD))) {
		printf(" -j %s (unknown target)", t->u.user.name);
		return;
	}
	tg = xtables_find_target_revision(t->u.user.name, XTF_TRY_LOAD, target, t->u.user.revision);
	shown = tg ? tg : target;
	printf(" -j %s", shown->alias ? shown->alias(t) : verdict);
	if (tg && tg->save)
		tg->save(&e->ip, t);
	else if (target->save)
		printf(" [unsupported revision]");
}

/* One rule as iptables-save prints it (malloc'd), or NULL when out of memory. */
static char *fw_iptc_render(const struct ipt_entry *e, const char *chain, struct xtc_handle *h)
{
	char *text = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&text, &len), *saved;

	if (!mem)
		return NULL;
	fprintf(mem, "-A %s", chain);
	fw_iptc_print_addr(mem, 's', e->ip.src, e->ip.smsk, e->ip.invflags & IPT_INV_SRCIP);
	fw_iptc_print_addr(mem, 'd', e->ip.dst, e->ip.dmsk, e->ip.invflags & IPT_INV_DSTIP);
	fw_iptc_print_iface(mem, 'i', e->ip.iniface, e->ip.iniface_mask,
			    e->ip.invflags & IPT_INV_VIA_IN);
	fw_iptc_print_iface(mem, 'o', e->ip.outiface, e->ip.outiface_mask,
			    e->ip.invflags & IPT_INV_VIA_OUT);
	fw_iptc_print_proto(mem, e->ip.proto, e->ip.invflags & XT_INV_PROTO);
	if (e->ip.flags & IPT_F_FRAG)
		fputs(e->ip.invflags & IPT_INV_FRAG ? " ! -f" : " -f", mem);
	/*
	 * The extensions' save functions print to stdout and take no
	 * stream, so stdout points at the buffer while they run (glibc
	 * lets stdout be assigned; nothing else writes to it meanwhile).
	 */
	fflush(stdout);
	saved = stdout;
	stdout = mem;
	for (size_t off = sizeof(*e); off < e->target_offset;) {
		const struct xt_entry_match *m = (const void *)((const char *)e + off);

		if (m->u.match_size < sizeof(*m))
			break;
		fw_iptc_print_match(e, m);
		off += m->u.match_size;
	}
	fw_iptc_print_target(e, h);
	stdout = saved;
	if (fclose(mem) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

/* The whole filter table of handle h into out. */
static int fw_iptc_fill(struct xtc_handle *h, struct fw_table *out, struct error *err)
{
	const char *chain;

	memset(out, 0, sizeof(*out));
	out->family = AF_INET;
	for (chain = iptc_first_chain(h); chain; chain = iptc_next_chain(h)) {
		struct xt_counters cnt = { 0 };
		const char *policy = iptc_builtin(chain, h) ? iptc_get_policy(chain, &cnt, h) : NULL;

		if (fw_table_add_chain(out, chain, policy ? policy : "-", cnt.pcnt, cnt.bcnt, false) < 0)
			goto nomem;
	}
	for (size_t c = 0; c < out->nchains; c++) {
		const struct ipt_entry *e;

		for (e = iptc_first_rule(out->chains[c].name, h); e; e = iptc_next_rule(e, h)) {
			char *text = fw_iptc_render(e, out->chains[c].name, h);
			int rc = text ? fw_table_insert_rule(out, c, SIZE_MAX, text, e->counters.pcnt,
							     e->counters.bcnt)
				      : -1;

			free(text);
			if (rc < 0)
				goto nomem;
		}
	}
	fw_table_finish(out);
	return 0;
nomem:
	fw_table_free(out);
	return error_set(err, "out of memory reading the firewall");
}

/* ---- preconditions ---- */

static bool fw_iptc_has_net_admin(void)
{
	char line[256];
	unsigned long long caps = 0;
	bool found = false;
	FILE *f = fopen("/proc/self/status", "re");

	if (!f)
		return true;	/* cannot tell: let libiptc say */
	while (!found && fgets(line, sizeof(line), f))
		found = sscanf(line, "CapEff: %llx", &caps) == 1;
	fclose(f);
	return !found || (caps >> CAP_NET_ADMIN_BIT) & 1;
}

/* 1 when the legacy filter table exists, 0 when not, -1 when ip_tables is not loaded at all. */
static int fw_iptc_filter_exists(void)
{
	char line[64];
	int found = 0;
	FILE *f = fopen("/proc/net/ip_tables_names", "re");

	if (!f)
		return -1;
	while (!found && fgets(line, sizeof(line), f))
		found = strcmp(line, "filter\n") == 0 || strcmp(line, "filter") == 0;
	fclose(f);
	return found;
}

static int fw_iptc_need_root(struct error *err, const char *what)
{
	return error_set(err, "need root (CAP_NET_ADMIN) to %s the firewall; run smtpguard as root",
			 what);
}

static struct xtc_handle *fw_iptc_open(const char *what, struct error *err)
{
	struct xtc_handle *h;
	int e;

	if (!fw_iptc_has_net_admin()) {
		fw_iptc_need_root(err, what);
		return NULL;
	}
	if (fw_iptc_xtables_init(err) < 0)
		return NULL;
	if ((h = iptc_init("filter")))
		return h;
	e = errno;
	if (fw_iptc_filter_exists() < 0)
		error_set(err, "cannot %s the firewall: the ip_tables kernel module is missing "
			       "(%s); load it with 'modprobe ip_tables' or use a kernel that has it",
			  what, iptc_strerror(e));
	else if (e == EPERM || e == EACCES)
		fw_iptc_need_root(err, what);
	else
		error_set(err, "cannot open the iptables filter table to %s it: %s", what,
			  iptc_strerror(e));
	return NULL;
}

static int fw_iptc_read(int family, struct fw_table *out, struct error *err)
{
	struct xtc_handle *h;
	int rc;

	if (family != AF_INET)
		return error_set(err, "only the IPv4 filter table can be read; use AF_INET");
	if (fw_iptc_filter_exists() <= 0) {
		/* iptc_init would create the table: report the empty one it would be. */
		if (!fw_iptc_has_net_admin())
			return fw_iptc_need_root(err, "read");
		if (fw_table_init_empty(out, AF_INET) < 0)
			return error_set(err, "out of memory reading the firewall");
		return 0;
	}
	if (!(h = fw_iptc_open("read", err)))
		return -1;
	rc = fw_iptc_fill(h, out, err);
	iptc_free(h);
	return rc;
}

/* ---- building entries (apply) ---- */

struct fw_iptc_entry {
	_Alignas(8) unsigned char buf[FW_IPTC_ENTRY_MAX];
	size_t len;
};

/*
 * Room for one match of payload size at the end of the entry, zeroed,
 * its header filled; NULL if the entry is full.  A target has the same
 * header layout (struct xt_entry_target), so targets use it too.
 */
static struct xt_entry_match *fw_iptc_add(struct fw_iptc_entry *b, const char *name,
					  uint8_t revision, size_t size)
{
	struct xt_entry_match *m = (void *)(b->buf + b->len);
	size_t total = XT_ALIGN(sizeof(*m)) + XT_ALIGN(size);

	if (b->len + total > sizeof(b->buf))
		return NULL;
	m->u.user.match_size = (uint16_t)total;
	snprintf(m->u.user.name, sizeof(m->u.user.name), "%s", name);
	m->u.user.revision = revision;
	b->len += total;
	return m;
}

/* The payload of a new match, or NULL. */
static void *fw_iptc_add_match(struct fw_iptc_entry *b, const char *name, uint8_t revision,
			       size_t size)
{
	struct xt_entry_match *m = fw_iptc_add(b, name, revision, size);

	return m ? m->data : NULL;
}

/* An IPv4 address match of the ip part: the address masked, as iptables stores it. */
static void fw_iptc_addr(const struct addr *a, struct in_addr *addr, struct in_addr *mask)
{
	unsigned char bytes[16];

	addr_mask(a, bytes);
	memcpy(&mask->s_addr, bytes, 4);
	memcpy(&addr->s_addr, a->bytes, 4);
	addr->s_addr &= mask->s_addr;
}

static void fw_iptc_ip(const struct rule *r, struct ipt_ip *ip)
{
	if (r->has_src)
		fw_iptc_addr(&r->src, &ip->src, &ip->smsk);
	if (r->has_src && r->src_neg)
		ip->invflags |= IPT_INV_SRCIP;
	if (r->has_dst)
		fw_iptc_addr(&r->dst, &ip->dst, &ip->dmsk);
	if (r->has_dst && r->dst_neg)
		ip->invflags |= IPT_INV_DSTIP;
	/* The mask covers the name and its NUL: an exact name, no wildcard. */
	snprintf(ip->iniface, sizeof(ip->iniface), "%s", r->in);
	if (r->in[0])
		memset(ip->iniface_mask, 0xff, strlen(ip->iniface) + 1);
	snprintf(ip->outiface, sizeof(ip->outiface), "%s", r->out);
	if (r->out[0])
		memset(ip->outiface_mask, 0xff, strlen(ip->outiface) + 1);
	ip->proto = r->proto;
}

static int fw_iptc_ports(struct fw_iptc_entry *b, const struct rule *r)
{
	static const uint8_t multiport_flags[] = {
		[PORTS_DST] = XT_MULTIPORT_DESTINATION,
		[PORTS_SRC] = XT_MULTIPORT_SOURCE,
		[PORTS_EITHER] = XT_MULTIPORT_EITHER,
	};
	struct xt_multiport_v1 *mp;
	struct xt_tcp *tcp;

	if (r->ports_match == PORTS_NONE || r->nports == 0)
		return 0;
	if (r->nports == 1 && r->ports_match != PORTS_EITHER) {
		uint16_t *set, *any;

		if (!(tcp = fw_iptc_add_match(b, "tcp", 0, sizeof(*tcp))))
			return -1;
		set = r->ports_match == PORTS_DST ? tcp->dpts : tcp->spts;
		any = r->ports_match == PORTS_DST ? tcp->spts : tcp->dpts;
		set[0] = set[1] = r->ports[0];
		any[0] = 0;
		any[1] = 0xffff;
		if (r->ports_neg)
			tcp->invflags = r->ports_match == PORTS_DST ? XT_TCP_INV_DSTPT : XT_TCP_INV_SRCPT;
		return 0;
	}
	if (r->nports > XT_MULTI_PORTS || !(mp = fw_iptc_add_match(b, "multiport", 1, sizeof(*mp))))
		return -1;
	mp->flags = multiport_flags[r->ports_match];
	mp->count = (uint8_t)r->nports;
	for (size_t i = 0; i < r->nports; i++)
		mp->ports[i] = r->ports[i];
	mp->invert = r->ports_neg;
	return 0;
}

static int fw_iptc_mac(struct fw_iptc_entry *b, const struct rule *r)
{
	struct xt_mac_info *mac;

	if (!r->has_mac)
		return 0;
	if (!(mac = fw_iptc_add_match(b, "mac", 0, sizeof(*mac))))
		return -1;
	memcpy(mac->srcaddr, r->mac, sizeof(mac->srcaddr));
	return 0;
}

static int fw_iptc_conntrack(struct fw_iptc_entry *b, const struct rule *r)
{
	static const struct {
		unsigned bit;
		unsigned kernel;
	} states[] = {
		{ .bit = CT_NEW, .kernel = XT_CONNTRACK_STATE_BIT(IP_CT_NEW) },
		{ .bit = CT_ESTABLISHED, .kernel = XT_CONNTRACK_STATE_BIT(IP_CT_ESTABLISHED) },
		{ .bit = CT_RELATED, .kernel = XT_CONNTRACK_STATE_BIT(IP_CT_RELATED) },
	};
	struct xt_conntrack_mtinfo3 *ct;

	if (!r->ctstate)
		return 0;
	if (!(ct = fw_iptc_add_match(b, "conntrack", 3, sizeof(*ct))))
		return -1;
	ct->match_flags = XT_CONNTRACK_STATE;
	if (r->ctstate_neg)
		ct->invert_flags = XT_CONNTRACK_STATE;
	for (size_t i = 0; i < sizeof(states) / sizeof(*states); i++)
		if (r->ctstate & states[i].bit)
			ct->state_mask |= states[i].kernel;
	return 0;
}

static int fw_iptc_recent(struct fw_iptc_entry *b, const struct rule *r)
{
	static const uint8_t commands[] = {
		[RECENT_SET] = XT_RECENT_SET,
		[RECENT_RCHECK] = XT_RECENT_CHECK,
		[RECENT_UPDATE] = XT_RECENT_UPDATE,
	};
	struct addr mask = { .family = AF_INET, .prefix = r->recent_mask_bits };
	struct xt_recent_mtinfo_v1 *rc;

	if (r->recent == RECENT_NONE)
		return 0;
	if (!(rc = fw_iptc_add_match(b, "recent", 1, sizeof(*rc))))
		return -1;
	rc->seconds = r->recent_seconds;
	rc->check_set = commands[r->recent];
	snprintf(rc->name, sizeof(rc->name), "%s", r->recent_name);
	rc->side = XT_RECENT_SOURCE;
	addr_mask(&mask, (unsigned char *)&rc->mask);
	return 0;
}

static int fw_iptc_limit(struct fw_iptc_entry *b, const struct rule *r)
{
	static const uint32_t unit_seconds[] = {
		[RATE_SECOND] = 1,
		[RATE_MINUTE] = 60,
		[RATE_HOUR] = 3600,
		[RATE_DAY] = 86400,
	};
	struct xt_rateinfo *ri;

	if (!r->has_limit)
		return 0;
	if (!r->limit.count || !(ri = fw_iptc_add_match(b, "limit", 0, sizeof(*ri))))
		return -1;
	/* Only avg and burst are ours; the rest is the kernel's state, left zero. */
	ri->avg = XT_LIMIT_SCALE * unit_seconds[r->limit.unit] / r->limit.count;
	ri->burst = r->limit_burst;
	return 0;
}

static int fw_iptc_log(struct fw_iptc_entry *b, const struct rule *r)
{
	struct xt_log_info *log = fw_iptc_add_match(b, "LOG", 0, sizeof(*log));

	if (!log)
		return -1;
	log->level = FW_IPTC_LOG_LEVEL;
	snprintf(log->prefix, sizeof(log->prefix), "%s", r->log_prefix);
	return 0;
}

static int fw_iptc_nflog(struct fw_iptc_entry *b, const struct rule *r)
{
	struct xt_nflog_info *nflog = fw_iptc_add_match(b, "NFLOG", 0, sizeof(*nflog));

	if (!nflog)
		return -1;
	nflog->group = (uint16_t)r->nflog_group;
	nflog->threshold = (uint16_t)r->nflog_threshold;	/* 0: the kernel's default */
	snprintf(nflog->prefix, sizeof(nflog->prefix), "%s", r->log_prefix);
	return 0;
}

/* A verdict or a jump: libiptc turns the name into the standard target's verdict. */
static int fw_iptc_standard(struct fw_iptc_entry *b, const struct rule *r)
{
	static const char *const verdicts[] = {
		[TARGET_RETURN] = "RETURN",
		[TARGET_DROP] = "DROP",
		[TARGET_ACCEPT] = "ACCEPT",
	};
	struct xt_standard_target *std = (void *)fw_iptc_add(b, "", 0, sizeof(std->verdict));

	if (!std)
		return -1;
	snprintf(std->target.u.user.name, sizeof(std->target.u.user.name), "%s",
		 r->target == TARGET_JUMP ? r->jump : verdicts[r->target]);
	return 0;
}

typedef int (*fw_iptc_builder)(struct fw_iptc_entry *b, const struct rule *r);

/* The matches in the order rule_format_save prints them, so the kernel lists them alike. */
static const fw_iptc_builder fw_iptc_matches[] = {
	fw_iptc_ports, fw_iptc_mac, fw_iptc_conntrack, fw_iptc_recent, fw_iptc_limit,
};

static const fw_iptc_builder fw_iptc_targets[] = {
	[TARGET_RETURN] = fw_iptc_standard,
	[TARGET_DROP] = fw_iptc_standard,
	[TARGET_ACCEPT] = fw_iptc_standard,
	[TARGET_JUMP] = fw_iptc_standard,
	[TARGET_LOG] = fw_iptc_log,
	[TARGET_NFLOG] = fw_iptc_nflog,
};

/* The kernel entry for r, in b; -1 when it does not fit (never with the IR's limits). */
static int fw_iptc_build(const struct rule *r, struct fw_iptc_entry *b)
{
	struct ipt_entry *e = (void *)b->buf;

	memset(b, 0, sizeof(*b));
	b->len = sizeof(*e);
	fw_iptc_ip(r, &e->ip);
	for (size_t i = 0; i < sizeof(fw_iptc_matches) / sizeof(*fw_iptc_matches); i++)
		if (fw_iptc_matches[i](b, r) < 0)
			return -1;
	e->target_offset = (uint16_t)b->len;
	if (fw_iptc_targets[r->target](b, r) < 0)
		return -1;
	e->next_offset = (uint16_t)b->len;
	return 0;
}

/* ---- apply ---- */

/* Fill err with what failed, libiptc's reason (errno of the call just made) and that nothing changed. */
static int fw_iptc_fail(struct error *err, const char *what, const char *chain)
{
	/* libiptc has no sentence of its own for a chain that is still a jump target. */
	const char *why = errno == EMLINK ? "another rule still jumps to it (delete that rule first)"
					  : iptc_strerror(errno);

	return error_set(err, "cannot %s %s: %s; the firewall was left unchanged", what, chain, why);
}

static int fw_iptc_put_rule(struct xtc_handle *h, const struct rule *r, bool insert, unsigned pos,
			    struct error *err)
{
	struct fw_iptc_entry b;
	const struct ipt_entry *e = (const void *)b.buf;
	xt_chainlabel chain;
	int ok;

	if (fw_iptc_build(r, &b) < 0)
		return error_set(err, "a rule of chain %s does not fit in a kernel entry; "
				      "shorten the zone's lists", r->chain);
	snprintf(chain, sizeof(chain), "%s", r->chain);
	ok = insert ? iptc_insert_entry(chain, e, pos, h) : iptc_append_entry(chain, e, h);
	return ok ? 0 : fw_iptc_fail(err, "add a rule to", r->chain);
}

/* Delete the own jumps of every built-in chain (from the last, so the numbers stay valid). */
static int fw_iptc_jumps_delete(struct xtc_handle *h, const struct fw_table *cur, struct error *err)
{
	for (size_t c = 0; c < cur->nchains; c++) {
		const struct fw_chain *ch = &cur->chains[c];

		if (strcmp(ch->policy, "-") == 0)
			continue;
		for (size_t i = ch->count; i-- > 0;)
			if (cur->rules[ch->first + i].own &&
			    !iptc_delete_num_entry(ch->name, (unsigned)i, h))
				return fw_iptc_fail(err, "delete a jump from", ch->name);
	}
	return 0;
}

/* Insert rs's jumps at the top of their built-in chains, in rs order (the first becomes rule 1). */
static int fw_iptc_jumps_insert(struct xtc_handle *h, const struct fw_table *cur,
				const struct ruleset *rs, struct error *err)
{
	for (size_t c = 0; c < cur->nchains; c++) {
		unsigned pos = 0;

		for (size_t i = 0; i < rs->nrules; i++) {
			const struct rule *r = &rs->rules[i];

			if (chain_is_own(r->chain) || strcmp(r->chain, cur->chains[c].name) != 0)
				continue;
			if (fw_iptc_put_rule(h, r, true, pos++, err) < 0)
				return -1;
		}
	}
	return 0;
}

static int fw_iptc_change(struct xtc_handle *h, const struct fw_table *cur, const struct ruleset *rs,
			  const struct plan *p, struct error *err)
{
	xt_chainlabel chain;

	/* Old jumps go first: a chain to be dropped may still be their target. */
	if (p->jumps_change && fw_iptc_jumps_delete(h, cur, err) < 0)
		return -1;
	/* Every rebuilt chain exists before any rule jumps to it. */
	for (size_t i = 0; i < p->nrebuild; i++) {
		snprintf(chain, sizeof(chain), "%s", p->rebuild[i]);
		if (!iptc_is_chain(chain, h) && !iptc_create_chain(chain, h))
			return fw_iptc_fail(err, "create chain", chain);
	}
	for (size_t i = 0; i < p->nrebuild; i++) {
		snprintf(chain, sizeof(chain), "%s", p->rebuild[i]);
		if (!iptc_flush_entries(chain, h))
			return fw_iptc_fail(err, "flush chain", chain);
		for (size_t r = 0; r < rs->nrules; r++)
			if (strcmp(rs->rules[r].chain, chain) == 0 &&
			    fw_iptc_put_rule(h, &rs->rules[r], false, 0, err) < 0)
				return -1;
	}
	/* Dropped chains may jump to each other: empty them all, then delete them. */
	for (size_t i = 0; i < p->ndrop; i++) {
		snprintf(chain, sizeof(chain), "%s", p->drop[i]);
		if (!iptc_flush_entries(chain, h))
			return fw_iptc_fail(err, "flush chain", chain);
	}
	for (size_t i = 0; i < p->ndrop; i++) {
		snprintf(chain, sizeof(chain), "%s", p->drop[i]);
		if (!iptc_delete_chain(chain, h))
			return fw_iptc_fail(err, "delete chain", chain);
	}
	return p->jumps_change ? fw_iptc_jumps_insert(h, cur, rs, err) : 0;
}

static int fw_iptc_apply(const struct ruleset *rs, struct plan *done, struct error *err)
{
	struct xlock lock;
	struct xtc_handle *h;
	struct fw_table cur;
	struct plan p;
	int rc = -1;

	if (rs->family != AF_INET)
		return error_set(err, "only IPv4 rulesets can be applied; compile for AF_INET");
	if (!fw_iptc_has_net_admin())
		return fw_iptc_need_root(err, "change");
	if (xlock_acquire(&lock, err) < 0)
		return -1;
	plan_init(&p);
	if (!(h = fw_iptc_open("change", err)))
		goto unlock;
	if (fw_iptc_fill(h, &cur, err) < 0)
		goto free_handle;
	if (plan_compute(&cur, rs, &p, err) == 0 &&
	    (plan_empty(&p) || fw_iptc_change(h, &cur, rs, &p, err) == 0)) {
		if (plan_empty(&p) || iptc_commit(h))
			rc = 0;
		else
			fw_iptc_fail(err, "commit the new rules to", "the filter table");
	}
	fw_table_free(&cur);
free_handle:
	iptc_free(h);
unlock:
	xlock_release(&lock);
	if (rc == 0 && done) {
		plan_free(done);
		*done = p;
	} else {
		plan_free(&p);
	}
	return rc;
}

const struct fw_ops fw_iptc_ops = {
	.name = "iptables-legacy",
	.read = fw_iptc_read,
	.apply = fw_iptc_apply,
};
