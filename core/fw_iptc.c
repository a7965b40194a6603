/*
 * fw_iptc.c - the real backend: the IPv4 and IPv6 filter tables through
 * libip4tc and libip6tc (iptables-legacy, ip6tables-legacy).  The only
 * file that includes libiptc and xtables.
 *
 * One code path serves both families: struct fw_iptc_family holds what
 * differs (libiptc's per-family functions and the entry's ip part), as
 * iptables' own struct xtc_ops does.  Each family's table is a commit of
 * its own; include/dualstack.h commits the pair.
 *
 * read() renders every rule the way iptables-legacy-save (or
 * ip6tables-legacy-save) does, using the libxtables extensions' own save
 * functions, so foreign rules come out byte for byte as the
 * administrator knows them; read_own() reads smtpguard's own rules back by
 * decoding their entries into the rule IR instead, so a plan loads no
 * extension.  apply() builds kernel entries from the rule
 * IR, edits one libiptc snapshot taken under the xtables lock and
 * commits it once; own chains whose rules are unchanged are not touched,
 * so they keep their counters.  A read never opens a table the kernel
 * does not hold yet: opening one creates it (include/backend_detect.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libiptc/libip6tc.h>
#include <libiptc/libiptc.h>
#include <xtables.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/xt_LOG.h>
#include <linux/netfilter/xt_NFLOG.h>
#include <linux/netfilter/xt_connmark.h>
#include <linux/netfilter/xt_conntrack.h>
#include <linux/netfilter/xt_limit.h>
#include <linux/netfilter/xt_mac.h>
#include <linux/netfilter/xt_multiport.h>
#include <linux/netfilter/xt_recent.h>
#include <linux/netfilter/xt_tcpudp.h>

#include "backend_detect.h"
#include "bans.h"
#include "fw.h"
#include "fw_counters.h"
#include "plan.h"
#include "xlock.h"

#define FW_IPTC_ENTRY_MAX 2048
#define FW_IPTC_LOG_LEVEL 4	/* LOG_WARNING, what iptables' LOG defaults to */

/* The family-neutral view of an entry's header. */
struct fw_iptc_head {
	const void *ip;		/* struct ipt_ip / ip6t_ip6, what the extensions' save() take */
	uint16_t target_offset;
	uint64_t packets, bytes;
	bool go_to;		/* -g rather than -j */
};

/* What differs between the IPv4 and the IPv6 filter table. */
struct fw_iptc_family {
	int family;
	uint8_t nfproto;
	const char *label;	/* "IPv4" / "IPv6" in sentences */
	const char *module;	/* the kernel module of the legacy tables */
	const struct xtc_ops *ops;
	const void *(*first_rule)(const char *chain, struct xtc_handle *h);
	const void *(*next_rule)(const void *e, struct xtc_handle *h);
	const char *(*get_target)(const void *e, struct xtc_handle *h);
	int (*insert_entry)(const char *chain, const void *e, unsigned pos, struct xtc_handle *h);
	int (*append_entry)(const char *chain, const void *e, struct xtc_handle *h);
	int (*delete_num_entry)(const char *chain, unsigned pos, struct xtc_handle *h);
	int (*delete_chain)(const char *chain, struct xtc_handle *h);
	int (*get_references)(unsigned *n, const char *chain, struct xtc_handle *h);
	size_t entry_size;
	size_t ip_size;		/* the entry's ip part, from its start to invflags */
	struct fw_iptc_head (*head)(const void *e);
	void (*print_ip)(FILE *out, const void *e);	/* -s, -d, -i, -o, -p (and -f) */
	void (*build_ip)(const struct rule *r, void *e);
	void (*decode_ip)(const void *e, struct rule *r);
	void (*set_offsets)(void *e, uint16_t target_offset, uint16_t next_offset);
};

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

/* The family libxtables looks extensions up for (fw_iptc_xtables_init). */
static const struct fw_iptc_family *fw_iptc_xtables_family;

/*
 * Whether the kernel knows revision rev of an extension: libxtables asks
 * before it registers an extension's library.  xtables_compatible_revision
 * answers the same but writes "Warning: Extension owner revision 0 not
 * supported, missing kernel module?" to stderr: once one family's lookup
 * has registered owner revision 1 (the only one the kernel has), the other
 * family's lookup asks again for its own revision 0.  As the library does,
 * revision 0 counts as known when the kernel cannot say; smtpguard only
 * prints entries the kernel already holds, so there is nothing to report.
 */
static int fw_iptc_compat_rev(const char *name, uint8_t revision, int opt)
{
	const struct fw_iptc_family *f = fw_iptc_xtables_family;
	struct xt_get_revision rev = { .revision = revision };
	socklen_t len = sizeof(rev);
	int fd = socket(f->family, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW), known;

	if (fd < 0)
		return revision == 0;
	snprintf(rev.name, sizeof(rev.name), "%s", name);
	known = getsockopt(fd, f->family == AF_INET ? IPPROTO_IP : IPPROTO_IPV6, opt, &rev, &len) >= 0;
	close(fd);
	return known || revision == 0;
}

static struct xtables_globals fw_iptc_globals = {
	.program_name = "smtpguard",
	.program_version = SMTPGUARD_VERSION,
	.exit_err = fw_iptc_xtables_exit,
	.compat_rev = fw_iptc_compat_rev,
};

/* libxtables for f's family: extensions of both families stay registered, lookups follow nfproto. */
static int fw_iptc_xtables_init(const struct fw_iptc_family *f, struct error *err)
{
	static bool ready;

	fw_iptc_xtables_family = f;
	if (!ready && xtables_init_all(&fw_iptc_globals, f->nfproto) < 0)
		return error_set(err, "cannot initialise libxtables; reinstall the libxtables12 "
				      "package (or check XTABLES_LIBDIR)");
	ready = true;
	xtables_set_nfproto(f->nfproto);
	return 0;
}

static void fw_iptc_print_addr4(FILE *out, char opt, struct in_addr addr, struct in_addr mask,
				bool invert)
{
	uint32_t hmask = ntohl(mask.s_addr), host = ~hmask;
	unsigned len = (unsigned)__builtin_popcount(hmask);
	char text[48], *p = text;	/* printf would be a third of reading a table of addresses */

	if (!mask.s_addr && !addr.s_addr && !invert)
		return;
	if (invert) {
		*p++ = ' ';
		*p++ = '!';
	}
	*p++ = ' ';
	*p++ = '-';
	*p++ = opt;
	*p++ = ' ';
	p = addr_ipv4_text((const unsigned char *)&addr.s_addr, p);
	*p++ = '/';
	if ((host & (host + 1)) == 0) {	/* contiguous: a prefix length */
		if (len >= 10)
			*p++ = (char)('0' + len / 10);
		*p++ = (char)('0' + len % 10);
	} else {
		p = addr_ipv4_text((const unsigned char *)&mask.s_addr, p);
	}
	fwrite_unlocked(text, 1, (size_t)(p - text), out);
}

/* As ip6tables-save: a prefix length, or the mask when it is not contiguous. */
static void fw_iptc_print_addr6(FILE *out, char opt, const struct in6_addr *addr,
				const struct in6_addr *mask, bool invert)
{
	char text[INET6_ADDRSTRLEN];
	int len = xtables_ip6mask_to_cidr(mask);

	if (!invert && len == 0)
		return;
	fprintf(out, "%s -%c %s", invert ? " !" : "", opt,
		inet_ntop(AF_INET6, addr, text, sizeof(text)));
	if (len < 0)
		fprintf(out, "/%s", inet_ntop(AF_INET6, mask, text, sizeof(text)));
	else
		fprintf(out, "/%d", len);
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
				fputc_unlocked('+', out);
			break;
		}
		if (name[i])
			fputc_unlocked(name[i], out);
	}
}

static void fw_iptc_print_proto(FILE *out, uint16_t proto, bool invert)
{
	const struct protoent *pe;

	if (!proto)
		return;
	fputs_unlocked(invert ? " ! -p " : " -p ", out);
	for (size_t i = 0; xtables_chain_protos[i].name; i++) {
		if (xtables_chain_protos[i].num == proto) {
			fputs_unlocked(xtables_chain_protos[i].name, out);
			return;
		}
	}
	if ((pe = getprotobynumber(proto)))
		fputs_unlocked(pe->p_name, out);
	else
		fprintf(out, "%u", proto);
}

/* The interface and protocol part, alike in both families (as iptables' save_rule_details). */
static void fw_iptc_print_common(FILE *out, const char *in, const unsigned char *in_mask,
				 const char *outif, const unsigned char *out_mask, uint16_t proto,
				 uint8_t invflags)
{
	fw_iptc_print_iface(out, 'i', in, in_mask, invflags & IPT_INV_VIA_IN);
	fw_iptc_print_iface(out, 'o', outif, out_mask, invflags & IPT_INV_VIA_OUT);
	fw_iptc_print_proto(out, proto, invflags & XT_INV_PROTO);
}

static void fw_ip4_print_ip(FILE *out, const void *entry)
{
	const struct ipt_ip *ip = &((const struct ipt_entry *)entry)->ip;

	fw_iptc_print_addr4(out, 's', ip->src, ip->smsk, ip->invflags & IPT_INV_SRCIP);
	fw_iptc_print_addr4(out, 'd', ip->dst, ip->dmsk, ip->invflags & IPT_INV_DSTIP);
	fw_iptc_print_common(out, ip->iniface, ip->iniface_mask, ip->outiface, ip->outiface_mask,
			     ip->proto, ip->invflags);
	if (ip->flags & IPT_F_FRAG)
		fputs_unlocked(ip->invflags & IPT_INV_FRAG ? " ! -f" : " -f", out);
}

static void fw_ip6_print_ip(FILE *out, const void *entry)
{
	const struct ip6t_ip6 *ip = &((const struct ip6t_entry *)entry)->ipv6;

	fw_iptc_print_addr6(out, 's', &ip->src, &ip->smsk, ip->invflags & IP6T_INV_SRCIP);
	fw_iptc_print_addr6(out, 'd', &ip->dst, &ip->dmsk, ip->invflags & IP6T_INV_DSTIP);
	fw_iptc_print_common(out, ip->iniface, ip->iniface_mask, ip->outiface, ip->outiface_mask,
			     ip->proto, ip->invflags);
}

/*
 * An extension of the family being rendered, looked up by name and
 * revision once per process: a table uses few, and libxtables' lookups
 * walk its lists with strcmp for every match of every rule.
 */
struct fw_iptc_ext {
	bool target;
	uint8_t nfproto, revision;
	char name[XT_EXTENSION_MAXNAMELEN];
	void *any;	/* the extension of that name (NULL: libxtables has none) */
	void *exact;	/* ... of that revision, which saves the entry (NULL: none) */
};

static const struct fw_iptc_ext *fw_iptc_ext_find(bool target, const char *name, uint8_t revision)
{
	static struct fw_iptc_ext seen[32];
	static size_t nseen;
	uint8_t nfproto = fw_iptc_xtables_family->nfproto;
	struct fw_iptc_ext *x = &seen[nseen < 32 ? nseen : 31];

	for (size_t i = 0; i < nseen; i++)
		if (seen[i].target == target && seen[i].nfproto == nfproto &&
		    seen[i].revision == revision && strcmp(seen[i].name, name) == 0)
			return &seen[i];
	*x = (struct fw_iptc_ext){ .target = target, .nfproto = nfproto, .revision = revision };
	snprintf(x->name, sizeof(x->name), "%s", name);
	if (target) {
		struct xtables_target *t = xtables_find_target(name, XTF_TRY_LOAD);

		x->any = t;
		x->exact = t ? xtables_find_target_revision(name, XTF_TRY_LOAD, t, revision) : NULL;
	} else {
		struct xtables_match *m = xtables_find_match(name, XTF_TRY_LOAD, NULL);

		x->any = m;
		x->exact = m ? xtables_find_match_revision(name, XTF_TRY_LOAD, m, revision) : NULL;
	}
	if (nseen < 32)	/* a full cache keeps answering, through its last entry */
		nseen++;
	return x;
}

/* " -m NAME" and its options, written to stdout (see fw_iptc_fill). */
static void fw_iptc_print_match(const struct fw_iptc_head *head, const struct xt_entry_match *m)
{
	const char *name = m->u.user.name;
	const struct fw_iptc_ext *x = fw_iptc_ext_find(false, name, m->u.user.revision);
	struct xtables_match *match = x->any, *mt = x->exact, *shown = mt ? mt : match;

	if (!match) {
		printf(" -m %s (unknown match)", name);
		return;
	}
	/* The library of the entry's revision saves it; without one the name still shows. */
	fputs_unlocked(" -m ", stdout);
	fputs_unlocked(shown->alias ? shown->alias(m) : name, stdout);
	if (mt && mt->save)
		mt->save(head->ip, m);
	else if (match->save)
		fputs_unlocked(" [unsupported revision]", stdout);
}

static void fw_iptc_print_target(const struct fw_iptc_family *f, const void *e,
				 const struct fw_iptc_head *head, struct xtc_handle *h)
{
	const char *verdict = f->get_target(e, h);
	const struct xt_entry_target *t = (const void *)((const char *)e + head->target_offset);
	const struct fw_iptc_ext *x;
	struct xtables_target *target, *tg, *shown;

	if (!t->u.user.name[0]) {	/* a standard verdict or a jump */
		if (verdict && *verdict) {
			fputs_unlocked(head->go_to ? " -g " : " -j ", stdout);
			fputs_unlocked(verdict, stdout);
		}
		return;
	}
	x = fw_iptc_ext_find(true, t->u.user.name, t->u.user.revision);
	if (!(target = x->any)) {
		printf(" -j %s (unknown target)", t->u.user.name);
		return;
	}
	tg = x->exact;
	shown = tg ? tg : target;
	fputs_unlocked(" -j ", stdout);
	fputs_unlocked(shown->alias ? shown->alias(t) : verdict, stdout);
	if (tg && tg->save)
		tg->save(head->ip, t);
	else if (target->save)
		fputs_unlocked(" [unsupported revision]", stdout);
}

/*
 * One rule as iptables-save prints it, into mem from its start (the text
 * is mem's buffer, NUL-terminated, until the next rule); -1 when out of
 * memory.  The extensions' save functions print to stdout and take no
 * stream, so the caller has stdout point at mem (fw_iptc_fill).  mem is
 * this thread's alone: the printers use stdio's unlocked calls.
 */
static int fw_iptc_render(const struct fw_iptc_family *f, const void *e, const char *chain,
			  struct xtc_handle *h, FILE *mem)
{
	struct fw_iptc_head head = f->head(e);

	rewind(mem);
	fputs_unlocked("-A ", mem);
	fputs_unlocked(chain, mem);
	f->print_ip(mem, e);
	for (size_t off = f->entry_size; off < head.target_offset;) {
		const struct xt_entry_match *m = (const void *)((const char *)e + off);

		if (m->u.match_size < sizeof(*m))
			break;
		fw_iptc_print_match(&head, m);
		off += m->u.match_size;
	}
	fw_iptc_print_target(f, e, &head, h);
	fputc_unlocked('\0', mem);
	return fflush(mem) == 0 && !ferror(mem) ? 0 : -1;
}

static bool fw_iptc_decode(const struct fw_iptc_family *f, const void *e, const char *chain,
			   const char *verdict, struct rule *r);

/* What fw_iptc_fill() carries from chain to chain. */
struct fw_iptc_fill {
	const struct fw_iptc_family *f;
	struct xtc_handle *h;
	bool all;
	struct fw_table *out;
	FILE *mem;	/* where fw_iptc_render() writes; text is its buffer */
	char *text;
	size_t len;
	unsigned jumps;	/* rules read so far that jump to an own chain */
};

/* The rules of chain, out's chain c, into out (see fw_iptc_fill). */
static int fw_iptc_fill_chain(struct fw_iptc_fill *fl, size_t c, const char *chain, bool builtin)
{
	const struct fw_iptc_family *f = fl->f;
	bool own_chain = chain_is_own(chain);
	char own_text[RULE_TEXT_MAX];
	struct rule r;

	for (const void *e = f->first_rule(chain, fl->h); e; e = f->next_rule(e, fl->h)) {
		const char *target = own_chain && fl->all ? NULL : f->get_target(e, fl->h);
		bool jump = target && chain_is_own(target), shown = fl->all || own_chain || jump;
		struct fw_iptc_head head = { 0 };
		const char *text = "";

		fl->jumps += jump;
		if (!shown && !builtin)
			continue;	/* read_own: a user chain's rule that is not a jump to ours */
		if (shown)
			head = f->head(e);
		if (shown && !fl->all && fw_iptc_decode(f, e, chain, target, &r) &&
		    rule_format_save(&r, own_text, sizeof(own_text)) >= 0)
			text = own_text;
		else if (shown && fw_iptc_render(f, e, chain, fl->h, fl->mem) < 0)
			return -1;
		else if (shown)
			text = fl->text;	/* mem's buffer, set by the render's flush */
		if (fw_table_insert_rule(fl->out, c, SIZE_MAX, text, head.packets, head.bytes) < 0)
			return -1;
	}
	return 0;
}

/* How many rules jump to an own chain, as libiptc counted them when it read the table. */
static unsigned fw_iptc_own_references(const struct fw_iptc_family *f, struct xtc_handle *h)
{
	unsigned total = 0, n;

	for (const char *chain = f->ops->first_chain(h); chain; chain = f->ops->next_chain(h))
		if (chain_is_own(chain) && f->get_references(&n, chain, h))
			total += n;
	return total;
}

/*
 * The filter table of handle h into out: every rule rendered (all), or
 * only what fw_ops.read_own needs: the own chains' rules and every jump
 * to one (found from libiptc's target name) decoded or rendered, the
 * built-in chains' other rules with text "" and no counters, and of the
 * other chains no other rule.  A table's bulk is in those other chains,
 * and they are not walked at all when libiptc's count of the jumps to
 * the own chains is met by the built-in and own chains' rules.
 */
static int fw_iptc_fill(const struct fw_iptc_family *f, struct xtc_handle *h, bool all,
			struct fw_table *out, struct error *err)
{
	struct fw_iptc_fill fl = { .f = f, .h = h, .all = all, .out = out };
	unsigned references = all ? 0 : fw_iptc_own_references(f, h);
	bool skipped = false;
	FILE *saved = stdout;
	const char *chain;
	size_t c = 0;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	out->family = f->family;
	if (!(fl.mem = open_memstream(&fl.text, &fl.len)))
		goto nomem;
	/* stdout is mem while the rules render (glibc lets it be assigned; nothing else writes) */
	fflush(stdout);
	stdout = fl.mem;
	/* each chain, then its rules: a rule is then added at the table's end, in constant time */
	for (chain = f->ops->first_chain(h); chain && rc == 0; chain = f->ops->next_chain(h), c++) {
		struct xt_counters cnt = { 0 };
		bool builtin = f->ops->builtin(chain, h);
		const char *policy = builtin ? f->ops->get_policy(chain, &cnt, h) : NULL;

		if (fw_table_add_chain(out, chain, policy ? policy : "-", cnt.pcnt, cnt.bcnt,
				       false) < 0)
			rc = -1;
		else if (!all && !builtin && !chain_is_own(chain))
			skipped = true;
		else
			rc = fw_iptc_fill_chain(&fl, c, chain, builtin);
	}
	/* some other chain jumps to an own one (the plan refuses to delete that chain): find it */
	c = 0;
	for (chain = f->ops->first_chain(h); skipped && fl.jumps < references && chain && rc == 0;
	     chain = f->ops->next_chain(h), c++)
		if (!f->ops->builtin(chain, h) && !chain_is_own(chain))
			rc = fw_iptc_fill_chain(&fl, c, chain, false);
	stdout = saved;
	fclose(fl.mem);
	free(fl.text);
	if (rc < 0)
		goto nomem;
	fw_table_finish(out);
	if (!all)
		out->fingerprint = 0;	/* not the table's: most rules were not rendered */
	return 0;
nomem:
	fw_table_free(out);
	return error_set(err, "out of memory reading the firewall");
}

/* ---- preconditions ---- */

static struct xtc_handle *fw_iptc_open(const struct fw_iptc_family *f, const char *what,
				       struct error *err)
{
	struct xtc_handle *h;
	int e;

	if (!fw_has_net_admin()) {
		fw_need_root(err, what);
		return NULL;
	}
	if (fw_iptc_xtables_init(f, err) < 0)
		return NULL;
	/* A change loads the family's module as iptables does; a read never gets here without it. */
	if (backend_legacy_filter(f->family) < 0)
		xtables_load_ko(xtables_modprobe_program, false);
	if ((h = f->ops->init("filter")))
		return h;
	e = errno;
	if (backend_legacy_filter(f->family) < 0)
		error_set(err, "cannot %s the %s firewall: the %s kernel module is missing "
			       "(%s); load it with 'modprobe %s' or use a kernel that has it",
			  what, f->label, f->module, f->ops->strerror(e), f->module);
	else if (e == EPERM || e == EACCES)
		fw_need_root(err, what);
	else
		error_set(err, "cannot open the %s filter table to %s it: %s", f->label, what,
			  f->ops->strerror(e));
	return NULL;
}

/*
 * Each family's handle kept so that a command reads each table once.
 * While this process holds the xtables lock (fw_hold) the first read of
 * a family serves every later read, probe and apply of it until apply
 * changes the handle or the hold ends (fw_iptc_forget).  Outside a hold
 * the backend probe keeps its handle for the next read of the family
 * only, which takes it: a console's later reads are fresh.
 */
static struct fw_iptc_kept {
	struct xtc_handle *h;
	bool locked;	/* read under the hold */
} fw_iptc_kept[2];	/* IPv4, IPv6 (fw_iptc_families' order) */

static struct fw_iptc_kept *fw_iptc_kept_of(const struct fw_iptc_family *f)
{
	return &fw_iptc_kept[f->family == AF_INET6];
}

/*
 * A handle of f's table: the kept one when it was read the way this call
 * would read, else a fresh one.  A change (change) is made against a read
 * under the lock: the hold's, or its own.
 */
static struct xtc_handle *fw_iptc_get(const struct fw_iptc_family *f, const char *what,
				      bool change, struct error *err)
{
	struct fw_iptc_kept *k = fw_iptc_kept_of(f);
	bool locked = xlock_holding();
	struct xtc_handle *h = k->h;

	if (h && k->locked == locked && (locked || !change)) {
		if (!locked)
			k->h = NULL;
		/* the extensions render for the family last opened: this one's again */
		if (fw_iptc_xtables_init(f, err) < 0) {
			f->ops->free(h);
			k->h = NULL;
			return NULL;
		}
		return h;
	}
	if (h)
		f->ops->free(h);	/* read outside the lock, or a parent's before a fork */
	k->h = NULL;
	if ((h = fw_iptc_open(f, what, err)) && locked)
		*k = (struct fw_iptc_kept){ .h = h, .locked = true };
	return h;
}

/* Done reading h: it stays kept under a hold, is kept for the next read when keep, else freed. */
static void fw_iptc_put(const struct fw_iptc_family *f, struct xtc_handle *h, bool keep)
{
	struct fw_iptc_kept *k = fw_iptc_kept_of(f);

	if (h == k->h)
		return;
	if (keep && !k->h)
		*k = (struct fw_iptc_kept){ .h = h, .locked = false };
	else
		f->ops->free(h);
}

/* h was edited (committed or not): it is no longer the kernel's table. */
static void fw_iptc_discard(const struct fw_iptc_family *f, struct xtc_handle *h)
{
	struct fw_iptc_kept *k = fw_iptc_kept_of(f);

	if (h == k->h)
		k->h = NULL;
	f->ops->free(h);
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

/* An address of the ip part, masked as iptables stores it (4 or 16 bytes of addr and mask). */
static void fw_iptc_addr(const struct addr *a, void *addr, void *mask, size_t len)
{
	unsigned char bytes[16];

	addr_mask(a, bytes);
	memcpy(mask, bytes, len);
	for (size_t i = 0; i < len; i++)
		bytes[i] &= a->bytes[i];
	memcpy(addr, bytes, len);
}

/*
 * As iptables' xtables_parse_interface: the mask covers the name and its
 * NUL (an exact name), or only the prefix of a "ppp+" wildcard, whose '+'
 * stays in the name unmasked (as iptables leaves it) and is never compared.
 */
static void fw_iptc_iface(const char *name, char *ifname, unsigned char *mask)
{
	size_t len = strlen(name);

	snprintf(ifname, IFNAMSIZ, "%s", name);
	if (len == 0)
		return;
	memset(mask, 0xff, name[len - 1] == '+' ? len - 1 : len + 1);
}

static void fw_ip4_build_ip(const struct rule *r, void *entry)
{
	struct ipt_ip *ip = &((struct ipt_entry *)entry)->ip;

	if (r->has_src)
		fw_iptc_addr(&r->src, &ip->src, &ip->smsk, 4);
	if (r->has_src && r->src_neg)
		ip->invflags |= IPT_INV_SRCIP;
	if (r->has_dst)
		fw_iptc_addr(&r->dst, &ip->dst, &ip->dmsk, 4);
	if (r->has_dst && r->dst_neg)
		ip->invflags |= IPT_INV_DSTIP;
	fw_iptc_iface(r->in, ip->iniface, ip->iniface_mask);
	fw_iptc_iface(r->out, ip->outiface, ip->outiface_mask);
	ip->proto = r->proto;
}

/* As v4, and the kernel only looks at the protocol when IP6T_F_PROTO says so. */
static void fw_ip6_build_ip(const struct rule *r, void *entry)
{
	struct ip6t_ip6 *ip = &((struct ip6t_entry *)entry)->ipv6;

	if (r->has_src)
		fw_iptc_addr(&r->src, &ip->src, &ip->smsk, 16);
	if (r->has_src && r->src_neg)
		ip->invflags |= IP6T_INV_SRCIP;
	if (r->has_dst)
		fw_iptc_addr(&r->dst, &ip->dst, &ip->dmsk, 16);
	if (r->has_dst && r->dst_neg)
		ip->invflags |= IP6T_INV_DSTIP;
	fw_iptc_iface(r->in, ip->iniface, ip->iniface_mask);
	fw_iptc_iface(r->out, ip->outiface, ip->outiface_mask);
	ip->proto = r->proto;
	if (r->proto)
		ip->flags |= IP6T_F_PROTO;
}

/*
 * The tcp match: every port of either side unless set, and --syn as
 * libxt_tcp stores it (of FIN,SYN,RST,ACK only SYN).
 */
static struct xt_tcp *fw_iptc_tcp(struct fw_iptc_entry *b, const struct rule *r)
{
	struct xt_tcp *tcp = fw_iptc_add_match(b, "tcp", 0, sizeof(*tcp));

	if (!tcp)
		return NULL;
	tcp->spts[1] = tcp->dpts[1] = 0xffff;
	if (r->tcp_syn) {
		tcp->flg_mask = TH_FIN | TH_SYN | TH_RST | TH_ACK;
		tcp->flg_cmp = TH_SYN;
	}
	return tcp;
}

/* The multiport match's side of each port_match (PORTS_NONE has none). */
static const uint8_t fw_iptc_multiport_flags[] = {
	[PORTS_DST] = XT_MULTIPORT_DESTINATION,
	[PORTS_SRC] = XT_MULTIPORT_SOURCE,
	[PORTS_EITHER] = XT_MULTIPORT_EITHER,
};

static int fw_iptc_ports(struct fw_iptc_entry *b, const struct rule *r)
{
	struct xt_multiport_v1 *mp;
	struct xt_tcp *tcp;

	if (rule_ports_in_tcp(r)) {
		uint16_t *set;

		if (!(tcp = fw_iptc_tcp(b, r)))
			return -1;
		set = r->ports_match == PORTS_DST ? tcp->dpts : tcp->spts;
		set[0] = set[1] = r->ports[0];
		if (r->ports_neg)
			tcp->invflags = r->ports_match == PORTS_DST ? XT_TCP_INV_DSTPT : XT_TCP_INV_SRCPT;
		return 0;
	}
	if (r->ports_match != PORTS_NONE && r->nports) {
		if (r->nports > XT_MULTI_PORTS ||
		    !(mp = fw_iptc_add_match(b, "multiport", 1, sizeof(*mp))))
			return -1;
		mp->flags = fw_iptc_multiport_flags[r->ports_match];
		mp->count = (uint8_t)r->nports;
		for (size_t i = 0; i < r->nports; i++)
			mp->ports[i] = r->ports[i];
		mp->invert = r->ports_neg;
	}
	return r->tcp_syn && !fw_iptc_tcp(b, r) ? -1 : 0;
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

/* The IR's conntrack states and the kernel's bits for them. */
static const struct {
	unsigned bit;
	unsigned kernel;
} fw_iptc_ct_states[] = {
	{ .bit = CT_NEW, .kernel = XT_CONNTRACK_STATE_BIT(IP_CT_NEW) },
	{ .bit = CT_ESTABLISHED, .kernel = XT_CONNTRACK_STATE_BIT(IP_CT_ESTABLISHED) },
	{ .bit = CT_RELATED, .kernel = XT_CONNTRACK_STATE_BIT(IP_CT_RELATED) },
};

static int fw_iptc_conntrack(struct fw_iptc_entry *b, const struct rule *r)
{
	struct xt_conntrack_mtinfo3 *ct;

	if (!r->ctstate)
		return 0;
	if (!(ct = fw_iptc_add_match(b, "conntrack", 3, sizeof(*ct))))
		return -1;
	ct->match_flags = XT_CONNTRACK_STATE;
	if (r->ctstate_neg)
		ct->invert_flags = XT_CONNTRACK_STATE;
	for (size_t i = 0; i < sizeof(fw_iptc_ct_states) / sizeof(*fw_iptc_ct_states); i++)
		if (r->ctstate & fw_iptc_ct_states[i].bit)
			ct->state_mask = (__u16)(ct->state_mask | fw_iptc_ct_states[i].kernel);
	return 0;
}

static int fw_iptc_connmark(struct fw_iptc_entry *b, const struct rule *r)
{
	struct xt_connmark_mtinfo1 *cm;

	if (!r->has_connmark)
		return 0;
	if (!(cm = fw_iptc_add_match(b, "connmark", 1, sizeof(*cm))))
		return -1;
	cm->mark = r->connmark;
	cm->mask = r->connmark_mask;
	return 0;
}

/* The recent match's command of each recent_cmd (RECENT_NONE has none). */
static const uint8_t fw_iptc_recent_commands[] = {
	[RECENT_SET] = XT_RECENT_SET,
	[RECENT_RCHECK] = XT_RECENT_CHECK,
	[RECENT_UPDATE] = XT_RECENT_UPDATE,
};

static int fw_iptc_recent(struct fw_iptc_entry *b, const struct rule *r)
{
	struct addr mask = { .family = r->family, .prefix = r->recent_mask_bits };
	struct xt_recent_mtinfo_v1 *rc;

	if (r->recent == RECENT_NONE)
		return 0;
	if (!(rc = fw_iptc_add_match(b, "recent", 1, sizeof(*rc))))
		return -1;
	rc->seconds = r->recent_seconds;
	rc->check_set = fw_iptc_recent_commands[r->recent];
	snprintf(rc->name, sizeof(rc->name), "%s", r->recent_name);
	rc->side = XT_RECENT_SOURCE;
	/*
	 * As iptables stores it: the family's mask, zeros after an IPv4 one.
	 * The kernel keeps one mask per list, from the rule that created it:
	 * each family has its own list (include/compile.h).
	 */
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

/*
 * --set-xmark: the bits of connmark_mask become those of connmark, the
 * rest of the mark is kept.  Revision 2, the one iptables writes and
 * libxtables prints (it calls another revision "unsupported").
 */
static int fw_iptc_connmark_set(struct fw_iptc_entry *b, const struct rule *r)
{
	struct xt_connmark_tginfo2 *cm = fw_iptc_add_match(b, "CONNMARK", 2, sizeof(*cm));

	if (!cm)
		return -1;
	cm->mode = XT_CONNMARK_SET;
	cm->ctmark = r->connmark;
	cm->ctmask = r->connmark_mask;
	return 0;
}

/* The standard targets' verdicts, as libiptc names them. */
static const char *const fw_iptc_verdicts[] = {
	[TARGET_RETURN] = "RETURN",
	[TARGET_DROP] = "DROP",
	[TARGET_ACCEPT] = "ACCEPT",
};

/* A verdict or a jump: libiptc turns the name into the standard target's verdict. */
static int fw_iptc_standard(struct fw_iptc_entry *b, const struct rule *r)
{
	struct xt_standard_target *std = (void *)fw_iptc_add(b, "", 0, sizeof(std->verdict));

	if (!std)
		return -1;
	snprintf(std->target.u.user.name, sizeof(std->target.u.user.name), "%s",
		 r->target == TARGET_JUMP ? r->jump : fw_iptc_verdicts[r->target]);
	return 0;
}

typedef int (*fw_iptc_builder)(struct fw_iptc_entry *b, const struct rule *r);

/* The matches in the order rule_format_save prints them, so the kernel lists them alike. */
static const fw_iptc_builder fw_iptc_matches[] = {
	fw_iptc_ports, fw_iptc_mac, fw_iptc_conntrack, fw_iptc_connmark, fw_iptc_recent,
	fw_iptc_limit,
};

static const fw_iptc_builder fw_iptc_targets[] = {
	[TARGET_RETURN] = fw_iptc_standard,
	[TARGET_DROP] = fw_iptc_standard,
	[TARGET_ACCEPT] = fw_iptc_standard,
	[TARGET_JUMP] = fw_iptc_standard,
	[TARGET_LOG] = fw_iptc_log,
	[TARGET_NFLOG] = fw_iptc_nflog,
	[TARGET_CONNMARK] = fw_iptc_connmark_set,
};

/* The kernel entry for r, in b; -1 when it does not fit (never with the IR's limits). */
static int fw_iptc_build(const struct fw_iptc_family *f, const struct rule *r,
			 struct fw_iptc_entry *b)
{
	uint16_t target_offset;

	memset(b, 0, sizeof(*b));
	b->len = f->entry_size;
	f->build_ip(r, b->buf);
	for (size_t i = 0; i < sizeof(fw_iptc_matches) / sizeof(*fw_iptc_matches); i++)
		if (fw_iptc_matches[i](b, r) < 0)
			return -1;
	target_offset = (uint16_t)b->len;
	if (fw_iptc_targets[r->target](b, r) < 0)
		return -1;
	f->set_offsets(b->buf, target_offset, (uint16_t)b->len);
	return 0;
}

/* ---- reading own entries back (read_own) ---- */

/*
 * An own rule is read back into the IR by the inverse of the builders
 * above, and taken only when building that rule gives the kernel's entry
 * again, byte for byte (fw_iptc_decode): its text is then what
 * rule_format_save() prints, which is iptables-save's for every rule
 * the compiler writes (tests/ns/render.sh).  A plan reads no libxtables
 * extension that way; an entry the decoders do not give back exactly
 * (one edited by hand) is rendered by libxtables as any other rule.
 */
typedef bool (*fw_iptc_decoder)(const void *data, int family, struct rule *r);

/* A tcp match: one port of one side (the other side's range whole), --syn, or both. */
static bool fw_iptc_tcp_decode(const void *data, int family, struct rule *r)
{
	const struct xt_tcp *tcp = data;
	bool dst = tcp->dpts[0] != 0 || tcp->dpts[1] != 0xffff;
	bool src = tcp->spts[0] != 0 || tcp->spts[1] != 0xffff;
	const uint16_t *set = dst ? tcp->dpts : tcp->spts;

	r->tcp_syn = tcp->flg_mask != 0;
	if (!dst && !src)
		return true;
	if ((dst && src) || r->ports_match != PORTS_NONE)
		return false;
	r->ports_match = dst ? PORTS_DST : PORTS_SRC;
	r->ports[0] = set[0];
	r->nports = 1;
	r->ports_neg = tcp->invflags != 0;
	return true;
}

static bool fw_iptc_multiport_decode(const void *data, int family, struct rule *r)
{
	const struct xt_multiport_v1 *mp = data;

	if (mp->count == 0 || mp->count > CONFIG_MAX_PORTS || r->ports_match != PORTS_NONE)
		return false;
	for (unsigned m = PORTS_DST; m <= PORTS_EITHER; m++)
		if (fw_iptc_multiport_flags[m] == mp->flags)
			r->ports_match = (enum port_match)m;
	r->nports = mp->count;
	memcpy(r->ports, mp->ports, mp->count * sizeof(*r->ports));
	r->ports_neg = mp->invert != 0;
	return r->ports_match != PORTS_NONE;
}

static bool fw_iptc_mac_decode(const void *data, int family, struct rule *r)
{
	const struct xt_mac_info *mac = data;

	r->has_mac = true;
	memcpy(r->mac, mac->srcaddr, sizeof(r->mac));
	return true;
}

static bool fw_iptc_conntrack_decode(const void *data, int family, struct rule *r)
{
	const struct xt_conntrack_mtinfo3 *ct = data;

	r->ctstate_neg = ct->invert_flags != 0;
	for (size_t i = 0; i < sizeof(fw_iptc_ct_states) / sizeof(*fw_iptc_ct_states); i++)
		if (ct->state_mask & fw_iptc_ct_states[i].kernel)
			r->ctstate |= fw_iptc_ct_states[i].bit;
	return r->ctstate != 0;
}

static bool fw_iptc_connmark_decode(const void *data, int family, struct rule *r)
{
	const struct xt_connmark_mtinfo1 *cm = data;

	r->has_connmark = true;
	r->connmark = cm->mark;
	r->connmark_mask = cm->mask;
	return true;
}

static bool fw_iptc_recent_decode(const void *data, int family, struct rule *r)
{
	const struct xt_recent_mtinfo_v1 *rc = data;

	for (unsigned c = RECENT_SET; c <= RECENT_UPDATE; c++)
		if (fw_iptc_recent_commands[c] == rc->check_set)
			r->recent = (enum recent_cmd)c;
	r->recent_seconds = rc->seconds;
	snprintf(r->recent_name, sizeof(r->recent_name), "%.*s", (int)sizeof(rc->name), rc->name);
	r->recent_mask_bits = addr_mask_length((const unsigned char *)&rc->mask,
					       family == AF_INET6 ? 16 : 4);
	return r->recent != RECENT_NONE;
}

/* The rate as a count per unit that stores the same period; its text is the period's (rule.c). */
static bool fw_iptc_limit_decode(const void *data, int family, struct rule *r)
{
	const struct xt_rateinfo *ri = data;

	r->has_limit = true;
	r->limit_burst = ri->burst;
	for (unsigned u = RATE_SECOND; u <= RATE_DAY; u++) {
		r->limit = (struct rate){ .count = 1, .unit = (enum rate_unit)u };
		if (ri->avg && (r->limit.count = rule_limit_period(&r->limit) / ri->avg) &&
		    rule_limit_period(&r->limit) == ri->avg)
			return true;
	}
	return false;
}

/* A log prefix of size bytes (NUL-padded) that fits the IR's. */
static bool fw_iptc_decode_prefix(const char *prefix, size_t size, struct rule *r)
{
	size_t n = strnlen(prefix, size);

	if (n >= sizeof(r->log_prefix))
		return false;
	memcpy(r->log_prefix, prefix, n);
	r->log_prefix[n] = '\0';
	return true;
}

static bool fw_iptc_log_decode(const void *data, int family, struct rule *r)
{
	const struct xt_log_info *log = data;

	r->target = TARGET_LOG;
	return fw_iptc_decode_prefix(log->prefix, sizeof(log->prefix), r);
}

static bool fw_iptc_nflog_decode(const void *data, int family, struct rule *r)
{
	const struct xt_nflog_info *nflog = data;

	r->target = TARGET_NFLOG;
	r->nflog_group = nflog->group;
	r->nflog_threshold = nflog->threshold;
	return fw_iptc_decode_prefix(nflog->prefix, sizeof(nflog->prefix), r);
}

static bool fw_iptc_connmark_set_decode(const void *data, int family, struct rule *r)
{
	const struct xt_connmark_tginfo2 *cm = data;

	/* the IR has one mark for the match and the target: a rule with both sets it twice alike */
	if (r->has_connmark && (r->connmark != cm->ctmark || r->connmark_mask != cm->ctmask))
		return false;
	r->target = TARGET_CONNMARK;
	r->connmark = cm->ctmark;
	r->connmark_mask = cm->ctmask;
	return true;
}

/* The matches and targets the builders write, by name and revision. */
static const struct fw_iptc_decoding {
	const char *name;
	uint8_t revision;
	size_t size;
	fw_iptc_decoder decode;
} fw_iptc_decodings[] = {
	{ "tcp", 0, sizeof(struct xt_tcp), fw_iptc_tcp_decode },
	{ "multiport", 1, sizeof(struct xt_multiport_v1), fw_iptc_multiport_decode },
	{ "mac", 0, sizeof(struct xt_mac_info), fw_iptc_mac_decode },
	{ "conntrack", 3, sizeof(struct xt_conntrack_mtinfo3), fw_iptc_conntrack_decode },
	{ "connmark", 1, sizeof(struct xt_connmark_mtinfo1), fw_iptc_connmark_decode },
	{ "recent", 1, sizeof(struct xt_recent_mtinfo_v1), fw_iptc_recent_decode },
	{ "limit", 0, sizeof(struct xt_rateinfo), fw_iptc_limit_decode },
	{ "LOG", 0, sizeof(struct xt_log_info), fw_iptc_log_decode },
	{ "NFLOG", 0, sizeof(struct xt_nflog_info), fw_iptc_nflog_decode },
	{ "CONNMARK", 2, sizeof(struct xt_connmark_tginfo2), fw_iptc_connmark_set_decode },
};

/* A match or a non-standard target (the same header) into r; false when no decoder takes it. */
static bool fw_iptc_decode_ext(const struct xt_entry_match *m, int family, struct rule *r)
{
	for (size_t i = 0; i < sizeof(fw_iptc_decodings) / sizeof(*fw_iptc_decodings); i++) {
		const struct fw_iptc_decoding *d = &fw_iptc_decodings[i];

		if (m->u.user.revision == d->revision &&
		    strncmp(m->u.user.name, d->name, sizeof(m->u.user.name)) == 0)
			return m->u.match_size == XT_ALIGN(sizeof(*m)) + XT_ALIGN(d->size) &&
			       d->decode(m->data, family, r);
	}
	return false;
}

/* The same extension, its name compared as a string (the kernel leaves the rest of the field). */
static bool fw_iptc_same_ext(const struct xt_entry_match *a, const struct xt_entry_match *b)
{
	return a->u.match_size == b->u.match_size && a->u.user.revision == b->u.user.revision &&
	       strncmp(a->u.user.name, b->u.user.name, sizeof(a->u.user.name)) == 0 &&
	       memcmp(a->data, b->data, a->u.match_size - sizeof(*a)) == 0;
}

/* The ip part into r: an address and its mask, an interface, the protocol (the builders' inverse). */
static void fw_iptc_decode_addr(int family, const void *addr, const void *mask, size_t len,
				bool *has, struct addr *a)
{
	*a = (struct addr){ .family = family };
	memcpy(a->bytes, addr, len);
	a->prefix = addr_mask_length(mask, len);
	*has = a->prefix != 0;
}

/* The interfaces and the protocol, alike in both families' ip parts. */
static void fw_iptc_decode_common(const char *in, const char *out, uint16_t proto, struct rule *r)
{
	snprintf(r->in, sizeof(r->in), "%.*s", IFNAMSIZ, in);
	snprintf(r->out, sizeof(r->out), "%.*s", IFNAMSIZ, out);
	r->proto = (uint8_t)proto;
}

static void fw_ip4_decode_ip(const void *entry, struct rule *r)
{
	const struct ipt_ip *ip = &((const struct ipt_entry *)entry)->ip;

	fw_iptc_decode_addr(AF_INET, &ip->src, &ip->smsk, 4, &r->has_src, &r->src);
	fw_iptc_decode_addr(AF_INET, &ip->dst, &ip->dmsk, 4, &r->has_dst, &r->dst);
	r->src_neg = ip->invflags & IPT_INV_SRCIP;
	r->dst_neg = ip->invflags & IPT_INV_DSTIP;
	fw_iptc_decode_common(ip->iniface, ip->outiface, ip->proto, r);
}

static void fw_ip6_decode_ip(const void *entry, struct rule *r)
{
	const struct ip6t_ip6 *ip = &((const struct ip6t_entry *)entry)->ipv6;

	fw_iptc_decode_addr(AF_INET6, &ip->src, &ip->smsk, 16, &r->has_src, &r->src);
	fw_iptc_decode_addr(AF_INET6, &ip->dst, &ip->dmsk, 16, &r->has_dst, &r->dst);
	r->src_neg = ip->invflags & IP6T_INV_SRCIP;
	r->dst_neg = ip->invflags & IP6T_INV_DSTIP;
	fw_iptc_decode_common(ip->iniface, ip->outiface, ip->proto, r);
}

/*
 * Entry e of chain, whose target libiptc names verdict, as the rule that
 * builds it exactly; false when there is none (rendered by libxtables).
 */
static bool fw_iptc_decode(const struct fw_iptc_family *f, const void *e, const char *chain,
			   const char *verdict, struct rule *r)
{
	struct fw_iptc_head head = f->head(e);
	const char *at = e;
	const struct xt_entry_target *t = (const void *)(at + head.target_offset);
	const struct xt_entry_target *built;
	struct fw_iptc_entry b;

	memset(r, 0, sizeof(*r));
	r->family = f->family;
	snprintf(r->chain, sizeof(r->chain), "%s", chain);
	f->decode_ip(e, r);
	/* a decoder takes a match only at its exact size: the walk cannot stall */
	for (size_t off = f->entry_size; off < head.target_offset;
	     off += ((const struct xt_entry_match *)(const void *)(at + off))->u.match_size)
		if (!fw_iptc_decode_ext((const void *)(at + off), f->family, r))
			return false;
	if (t->u.user.name[0]) {
		if (!fw_iptc_decode_ext((const void *)t, f->family, r))
			return false;
	} else {
		r->target = TARGET_JUMP;
		for (size_t i = 0; i < sizeof(fw_iptc_verdicts) / sizeof(*fw_iptc_verdicts); i++)
			if (strcmp(verdict, fw_iptc_verdicts[i]) == 0)
				r->target = (enum rule_target)i;
		if (r->target == TARGET_JUMP &&
		    snprintf(r->jump, sizeof(r->jump), "%s", verdict) >= (int)sizeof(r->jump))
			return false;
	}
	/* built again, the rule must be the kernel's entry: the ip part, each match, the target */
	if (fw_iptc_build(f, r, &b) < 0 || memcmp(b.buf, e, f->ip_size) != 0 ||
	    f->head(b.buf).target_offset != head.target_offset)
		return false;
	for (size_t off = f->entry_size; off < head.target_offset;) {
		const struct xt_entry_match *have = (const void *)(at + off);

		if (!fw_iptc_same_ext((const void *)(b.buf + off), have))
			return false;
		off += have->u.match_size;
	}
	built = (const void *)(b.buf + head.target_offset);
	return t->u.user.name[0] ? fw_iptc_same_ext((const void *)built, (const void *)t)
				 : built->u.target_size == t->u.target_size;
}

/* ---- the two families ---- */

static const void *fw_ip4_first_rule(const char *chain, struct xtc_handle *h)
{
	return iptc_first_rule(chain, h);
}

static const void *fw_ip4_next_rule(const void *e, struct xtc_handle *h)
{
	return iptc_next_rule(e, h);
}

static const char *fw_ip4_get_target(const void *e, struct xtc_handle *h)
{
	return iptc_get_target(e, h);
}

static int fw_ip4_insert_entry(const char *chain, const void *e, unsigned pos, struct xtc_handle *h)
{
	return iptc_insert_entry(chain, e, pos, h);
}

static int fw_ip4_append_entry(const char *chain, const void *e, struct xtc_handle *h)
{
	return iptc_append_entry(chain, e, h);
}

static int fw_ip4_delete_num_entry(const char *chain, unsigned pos, struct xtc_handle *h)
{
	return iptc_delete_num_entry(chain, pos, h);
}

static int fw_ip4_delete_chain(const char *chain, struct xtc_handle *h)
{
	return iptc_delete_chain(chain, h);
}

static int fw_ip4_get_references(unsigned *n, const char *chain, struct xtc_handle *h)
{
	return iptc_get_references(n, chain, h);
}

static struct fw_iptc_head fw_ip4_head(const void *entry)
{
	const struct ipt_entry *e = entry;

	return (struct fw_iptc_head){ .ip = &e->ip, .target_offset = e->target_offset,
				      .packets = e->counters.pcnt, .bytes = e->counters.bcnt,
				      .go_to = e->ip.flags & IPT_F_GOTO };
}

static void fw_ip4_set_offsets(void *entry, uint16_t target_offset, uint16_t next_offset)
{
	struct ipt_entry *e = entry;

	e->target_offset = target_offset;
	e->next_offset = next_offset;
}

static const void *fw_ip6_first_rule(const char *chain, struct xtc_handle *h)
{
	return ip6tc_first_rule(chain, h);
}

static const void *fw_ip6_next_rule(const void *e, struct xtc_handle *h)
{
	return ip6tc_next_rule(e, h);
}

static const char *fw_ip6_get_target(const void *e, struct xtc_handle *h)
{
	return ip6tc_get_target(e, h);
}

static int fw_ip6_insert_entry(const char *chain, const void *e, unsigned pos, struct xtc_handle *h)
{
	return ip6tc_insert_entry(chain, e, pos, h);
}

static int fw_ip6_append_entry(const char *chain, const void *e, struct xtc_handle *h)
{
	return ip6tc_append_entry(chain, e, h);
}

static int fw_ip6_delete_num_entry(const char *chain, unsigned pos, struct xtc_handle *h)
{
	return ip6tc_delete_num_entry(chain, pos, h);
}

static int fw_ip6_delete_chain(const char *chain, struct xtc_handle *h)
{
	return ip6tc_delete_chain(chain, h);
}

static int fw_ip6_get_references(unsigned *n, const char *chain, struct xtc_handle *h)
{
	return ip6tc_get_references(n, chain, h);
}

static struct fw_iptc_head fw_ip6_head(const void *entry)
{
	const struct ip6t_entry *e = entry;

	return (struct fw_iptc_head){ .ip = &e->ipv6, .target_offset = e->target_offset,
				      .packets = e->counters.pcnt, .bytes = e->counters.bcnt,
				      .go_to = e->ipv6.flags & IP6T_F_GOTO };
}

static void fw_ip6_set_offsets(void *entry, uint16_t target_offset, uint16_t next_offset)
{
	struct ip6t_entry *e = entry;

	e->target_offset = target_offset;
	e->next_offset = next_offset;
}

static const struct fw_iptc_family fw_iptc_families[] = {
	{
		.family = AF_INET,
		.nfproto = NFPROTO_IPV4,
		.label = "IPv4",
		.module = "ip_tables",
		.ops = &iptc_ops,
		.first_rule = fw_ip4_first_rule,
		.next_rule = fw_ip4_next_rule,
		.get_target = fw_ip4_get_target,
		.insert_entry = fw_ip4_insert_entry,
		.append_entry = fw_ip4_append_entry,
		.delete_num_entry = fw_ip4_delete_num_entry,
		.delete_chain = fw_ip4_delete_chain,
		.get_references = fw_ip4_get_references,
		.entry_size = sizeof(struct ipt_entry),
		.ip_size = offsetof(struct ipt_ip, invflags) + 1,
		.head = fw_ip4_head,
		.print_ip = fw_ip4_print_ip,
		.build_ip = fw_ip4_build_ip,
		.decode_ip = fw_ip4_decode_ip,
		.set_offsets = fw_ip4_set_offsets,
	},
	{
		.family = AF_INET6,
		.nfproto = NFPROTO_IPV6,
		.label = "IPv6",
		.module = "ip6_tables",
		.ops = &ip6tc_ops,
		.first_rule = fw_ip6_first_rule,
		.next_rule = fw_ip6_next_rule,
		.get_target = fw_ip6_get_target,
		.insert_entry = fw_ip6_insert_entry,
		.append_entry = fw_ip6_append_entry,
		.delete_num_entry = fw_ip6_delete_num_entry,
		.delete_chain = fw_ip6_delete_chain,
		.get_references = fw_ip6_get_references,
		.entry_size = sizeof(struct ip6t_entry),
		.ip_size = offsetof(struct ip6t_ip6, invflags) + 1,
		.head = fw_ip6_head,
		.print_ip = fw_ip6_print_ip,
		.build_ip = fw_ip6_build_ip,
		.decode_ip = fw_ip6_decode_ip,
		.set_offsets = fw_ip6_set_offsets,
	},
};

static const struct fw_iptc_family *fw_iptc_family(int family, const char *what,
						    struct error *err)
{
	for (size_t i = 0; i < sizeof(fw_iptc_families) / sizeof(*fw_iptc_families); i++)
		if (fw_iptc_families[i].family == family)
			return &fw_iptc_families[i];
	error_set(err, "cannot %s the firewall of address family %d; use AF_INET or AF_INET6", what,
		  family);
	return NULL;
}

static int fw_iptc_read_some(int family, bool all, struct fw_table *out, struct error *err)
{
	const struct fw_iptc_family *f = fw_iptc_family(family, "read", err);
	struct xtc_handle *h;
	int rc;

	if (!f)
		return -1;
	if (backend_legacy_filter(family) <= 0) {
		/* Opening the table would create it: report the empty one it would be. */
		if (!fw_has_net_admin())
			return fw_need_root(err, "read");
		if (fw_table_init_empty(out, family) < 0)
			return error_set(err, "out of memory reading the firewall");
		return 0;
	}
	if (!(h = fw_iptc_get(f, "read", false, err)))
		return -1;
	rc = fw_iptc_fill(f, h, all, out, err);
	fw_iptc_put(f, h, false);
	return rc;
}

static int fw_iptc_read(int family, struct fw_table *out, struct error *err)
{
	return fw_iptc_read_some(family, true, out, err);
}

static int fw_iptc_read_own(int family, struct fw_table *out, struct error *err)
{
	return fw_iptc_read_some(family, false, out, err);
}

/*
 * Whether family's table holds rules, and own ones (a rule of an own
 * chain, or a built-in chain's jump to one), from libiptc's parse alone:
 * the backend choice asks before every command, and rendering each rule
 * as fw_iptc_read() does costs more than the kernel's copy of the table.
 */
int fw_iptc_owns(int family, bool *any_rules, bool *own, struct error *err)
{
	const struct fw_iptc_family *f = fw_iptc_family(family, "read", err);
	struct xtc_handle *h;

	*any_rules = *own = false;
	if (!f || !(h = fw_iptc_get(f, "read", false, err)))
		return -1;
	for (const char *chain = f->ops->first_chain(h); chain; chain = f->ops->next_chain(h)) {
		bool own_chain = chain_is_own(chain), builtin = f->ops->builtin(chain, h);

		for (const void *e = f->first_rule(chain, h); e && !*own; e = f->next_rule(e, h)) {
			*any_rules = true;
			*own = own_chain || (builtin && chain_is_own(f->get_target(e, h)));
		}
	}
	fw_iptc_put(f, h, true);	/* the command's read of this table */
	return 0;
}

void fw_iptc_forget(void)
{
	for (size_t i = 0; i < sizeof(fw_iptc_kept) / sizeof(*fw_iptc_kept); i++) {
		if (fw_iptc_kept[i].h)
			fw_iptc_families[i].ops->free(fw_iptc_kept[i].h);
		fw_iptc_kept[i].h = NULL;
	}
}

/* ---- apply ---- */

/* Fill err with what failed, libiptc's reason (errno of the call just made) and that nothing changed. */
static int fw_iptc_fail(const struct fw_iptc_family *f, struct error *err, const char *what,
			const char *chain)
{
	/* libiptc has no sentence of its own for a chain that is still a jump target. */
	const char *why = errno == EMLINK ? "another rule still jumps to it (delete that rule first)"
					  : f->ops->strerror(errno);

	return error_set(err, "cannot %s %s: %s; the %s firewall was left unchanged", what, chain,
			 why, f->label);
}

static int fw_iptc_put_rule(const struct fw_iptc_family *f, struct xtc_handle *h,
			    const struct rule *r, bool insert, unsigned pos, struct error *err)
{
	struct fw_iptc_entry b;
	xt_chainlabel chain;
	int ok;

	if (fw_iptc_build(f, r, &b) < 0)
		return error_set(err, "a rule of chain %s does not fit in a kernel entry; "
				      "shorten the zone's lists", r->chain);
	snprintf(chain, sizeof(chain), "%s", r->chain);
	ok = insert ? f->insert_entry(chain, b.buf, pos, h) : f->append_entry(chain, b.buf, h);
	return ok ? 0 : fw_iptc_fail(f, err, "add a rule to", r->chain);
}

/* Delete the own jumps of every built-in chain (from the last, so the numbers stay valid). */
static int fw_iptc_jumps_delete(const struct fw_iptc_family *f, struct xtc_handle *h,
				const struct fw_table *cur, struct error *err)
{
	for (size_t c = 0; c < cur->nchains; c++) {
		const struct fw_chain *ch = &cur->chains[c];

		if (strcmp(ch->policy, "-") == 0)
			continue;
		for (size_t i = ch->count; i-- > 0;)
			if (cur->rules[ch->first + i].own &&
			    !f->delete_num_entry(ch->name, (unsigned)i, h))
				return fw_iptc_fail(f, err, "delete a jump from", ch->name);
	}
	return 0;
}

/* Insert rs's jumps at the top of their built-in chains, in rs order (the first becomes rule 1). */
static int fw_iptc_jumps_insert(const struct fw_iptc_family *f, struct xtc_handle *h,
				const struct fw_table *cur, const struct ruleset *rs,
				struct error *err)
{
	for (size_t c = 0; c < cur->nchains; c++) {
		unsigned pos = 0;

		for (size_t i = 0; i < rs->nrules; i++) {
			const struct rule *r = &rs->rules[i];

			if (chain_is_own(r->chain) || strcmp(r->chain, cur->chains[c].name) != 0)
				continue;
			if (fw_iptc_put_rule(f, h, r, true, pos++, err) < 0)
				return -1;
		}
	}
	return 0;
}

static int fw_iptc_change(const struct fw_iptc_family *f, struct xtc_handle *h,
			  const struct fw_table *cur, const struct ruleset *rs,
			  const struct plan *p, struct error *err)
{
	xt_chainlabel chain;

	/* Old jumps go first: a chain to be dropped may still be their target. */
	if (p->jumps_change && fw_iptc_jumps_delete(f, h, cur, err) < 0)
		return -1;
	/* Every rebuilt chain exists before any rule jumps to it. */
	for (size_t i = 0; i < p->nrebuild; i++) {
		snprintf(chain, sizeof(chain), "%s", p->rebuild[i]);
		if (!f->ops->is_chain(chain, h) && !f->ops->create_chain(chain, h))
			return fw_iptc_fail(f, err, "create chain", chain);
	}
	for (size_t i = 0; i < p->nrebuild; i++) {
		snprintf(chain, sizeof(chain), "%s", p->rebuild[i]);
		if (!f->ops->flush_entries(chain, h))
			return fw_iptc_fail(f, err, "flush chain", chain);
		for (size_t r = 0; r < rs->nrules; r++)
			if (strcmp(rs->rules[r].chain, chain) == 0 &&
			    fw_iptc_put_rule(f, h, &rs->rules[r], false, 0, err) < 0)
				return -1;
	}
	/* Dropped chains may jump to each other: empty them all, then delete them. */
	for (size_t i = 0; i < p->ndrop; i++) {
		snprintf(chain, sizeof(chain), "%s", p->drop[i]);
		if (!f->ops->flush_entries(chain, h))
			return fw_iptc_fail(f, err, "flush chain", chain);
	}
	for (size_t i = 0; i < p->ndrop; i++) {
		snprintf(chain, sizeof(chain), "%s", p->drop[i]);
		if (!f->delete_chain(chain, h))
			return fw_iptc_fail(f, err, "delete chain", chain);
	}
	return p->jumps_change ? fw_iptc_jumps_insert(f, h, cur, rs, err) : 0;
}

static int fw_iptc_apply(const struct ruleset *rs, struct plan *done, struct error *err)
{
	const struct fw_iptc_family *f = fw_iptc_family(rs->family, "change", err);
	struct xlock lock;
	struct xtc_handle *h;
	struct fw_table cur;
	struct plan p;
	int rc = -1;

	if (!f)
		return -1;
	if (!fw_has_net_admin())
		return fw_need_root(err, "change");
	/* Removing from a table the kernel does not hold is a no-op that must not create it. */
	if (rs->nrules == 0 && rs->nchains == 0 && backend_legacy_filter(rs->family) <= 0) {
		if (done) {
			plan_free(done);
			plan_init(done);
		}
		return 0;
	}
	if (xlock_acquire(&lock, err) < 0)
		return -1;
	plan_init(&p);
	if (!(h = fw_iptc_get(f, "change", true, err)))
		goto unlock;
	/* the plan needs the own rules, the jumps to them and the others' positions only */
	if (fw_iptc_fill(f, h, false, &cur, err) < 0) {
		fw_iptc_put(f, h, false);
		goto unlock;
	}
	rc = plan_compute(&cur, rs, &p, err);
	if (rc < 0 || plan_empty(&p)) {
		fw_iptc_put(f, h, false);	/* unchanged: still the kernel's table */
	} else {
		rc = -1;
		if (fw_iptc_change(f, h, &cur, rs, &p, err) == 0) {
			if (f->ops->commit(h))
				rc = 0;
			else
				fw_iptc_fail(f, err, "commit the new rules to", "the filter table");
		}
		fw_iptc_discard(f, h);
	}
	fw_table_free(&cur);
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
	.kernel = true,
	.read = fw_iptc_read,
	.read_own = fw_iptc_read_own,
	.apply = fw_iptc_apply,
	.counters = &fw_counters_iptc,
	.bans = &bans_xt_recent,
	.escalate = bans_xt_recent_escalate,
};
