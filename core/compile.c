/*
 * compile.c - the policy compiler: a validated, resolved config in, one
 * family's ruleset out.  Pure: no I/O.  See include/compile.h.
 *
 * The layout (P = the guarded ports, ZI = a zone's interface, W = each
 * WAN interface, R = the general and the zone's relays of the family):
 *
 *   FORWARD 1       -p tcp -m multiport --ports P -j SMTPGUARD-FWD
 *                   (no port match when a zone has devices or quarantine)
 *   INPUT 1         -p tcp <dport P> -j SMTPGUARD-IN   (a zone protects the gateway)
 *   SMTPGUARD-FWD   first the quarantine of every zone, whatever the other
 *                   interface (the WAN, another zone, any other LAN):
 *                     -s Q -i ZI -j DROP and -d Q -o ZI -j DROP per address Q,
 *                     -i ZI -m mac --mac-source M -j DROP per MAC M (every packet
 *                     the device sends, whatever its address; so no connection
 *                     to or from it completes);
 *                   then -i ZI -o W -j SMTPGUARD-<zone>, and -i W -o ZI for the
 *                   zones whose chain filters the reply direction
 *   SMTPGUARD-IN    -i ZI -p tcp <dport P> -j DROP
 *   SMTPGUARD-<zone>  devices (SMTPGUARD-<zone>-MAC), the mode's rules
 *
 * Nothing is ever ACCEPTed: allowed traffic RETURNs to the admin's own
 * FORWARD rules.  Every rule of a zone chain names ZI as -i (outbound)
 * or -o (reply), so the two dispatch directions never mix.
 */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "compile.h"

#define LIMIT_DAY (10000u * 86400)	/* a day's period in XT_LIMIT_SCALE units */

/* What one zone chain is built from. */
struct zone_build {
	const struct config *cfg;
	const struct zone *zone;
	struct ruleset *rs;
	struct error *err;
	char chain[CHAIN_NAME_MAX + 1];
	struct addr_list relays;	/* owned, R(zone) of the family */
};

struct mode_layout {
	bool reply;	/* filters replies from guarded ports: needs the W -> ZI dispatch */
	int (*build)(struct zone_build *zb);
};

void compile_zone_chain(const char *zone, char buf[CHAIN_NAME_MAX + 1])
{
	snprintf(buf, CHAIN_NAME_MAX + 1, CHAIN_PREFIX "%s", zone);
}

void compile_recent_list(const char *zone, int family, unsigned prefix6,
			 char buf[RECENT_NAME_MAX + 1])
{
	if (family == AF_INET6)
		snprintf(buf, RECENT_NAME_MAX + 1, CHAIN_PREFIX "%s" COMPILE_LIST6_INFIX "%u", zone,
			 prefix6);
	else
		snprintf(buf, RECENT_NAME_MAX + 1, CHAIN_PREFIX "%s", zone);
}

void compile_escalate_list(const char *zone, int family, char buf[RECENT_NAME_MAX + 1])
{
	snprintf(buf, RECENT_NAME_MAX + 1, CHAIN_PREFIX "%s%s", zone,
		 family == AF_INET6 ? COMPILE_ESC6_SUFFIX : COMPILE_ESC_SUFFIX);
}

/*
 * The device allow-list chain.  "-MAC" is upper case on purpose: zone
 * names are lower case, so "SMTPGUARD-x-MAC" can never be the chain of a
 * zone named "x-mac" (as "SMTPGUARD-x-mac" could).
 */
static void compile_mac_chain(const char *zone, char buf[CHAIN_NAME_MAX + 1])
{
	snprintf(buf, CHAIN_NAME_MAX + 1, CHAIN_PREFIX "%s-MAC", zone);
}

static int compile_emit(struct ruleset *rs, const struct rule *r, struct error *err)
{
	if (!ruleset_add_rule(rs, r))
		return error_set(err, "out of memory compiling the rules for chain %s; "
				      "free some memory and try again", r->chain);
	return 0;
}

static int compile_chain(struct ruleset *rs, const char *name, struct error *err)
{
	if (ruleset_add_chain(rs, name) < 0)
		return error_set(err, "out of memory creating chain %s; "
				      "free some memory and try again", name);
	return 0;
}

static struct rule rule_new(int family, const char *chain)
{
	struct rule r = { .family = family };

	snprintf(r.chain, sizeof(r.chain), "%s", chain);
	return r;
}

static void rule_ports(struct rule *r, const struct config *cfg, enum port_match match)
{
	r->proto = IPPROTO_TCP;
	r->ports_match = match;
	memcpy(r->ports, cfg->ports, cfg->nports * sizeof(cfg->ports[0]));
	r->nports = cfg->nports;
}

static void rule_jump(struct rule *r, const char *chain)
{
	r->target = TARGET_JUMP;
	snprintf(r->jump, sizeof(r->jump), "%s", chain);
}

/* Quarantine entries that make rules in family: its addresses and every MAC. */
static size_t quarantine_count(const struct zone *z, int family)
{
	size_t n = 0;

	for (size_t i = 0; i < z->nquarantine; i++)
		n += z->quarantine[i].is_mac || z->quarantine[i].addr.family == family;
	return n;
}

/*
 * Devices restrict the zone in every family: with only IPv4 pairs
 * listed, IPv6 from the zone to the WAN is dropped (no listed pair).
 */
static bool zone_unrestricted_jump(const struct zone *z, int family)
{
	return z->ndevices > 0 || quarantine_count(z, family) > 0;
}

bool compile_zone_needs_chain(const struct zone *z)
{
	return z->mode != MODE_ALLOW || z->ndevices > 0;
}

static int mode_monitor(struct zone_build *zb);
static int mode_block(struct zone_build *zb);
static int mode_log(struct zone_build *zb);
static int mode_rateban(struct zone_build *zb);

static const struct mode_layout mode_layouts[MODE_COUNT] = {
	[MODE_ALLOW] = { .reply = false, .build = NULL },
	[MODE_MONITOR] = { .reply = false, .build = mode_monitor },
	[MODE_BLOCK] = { .reply = true, .build = mode_block },
	[MODE_LOG] = { .reply = true, .build = mode_log },
	[MODE_RATEBAN] = { .reply = false, .build = mode_rateban },
};

bool compile_zone_needs_reply(const struct zone *z)
{
	return mode_layouts[z->mode].reply;
}

/* The kernel's limit match holds a period of at least 1 and a burst that refills within a day. */
static int compile_check_limit(const struct config *cfg, struct error *err)
{
	const char *file = cfg->path ? cfg->path : "the config";
	uint32_t period = rule_limit_period(&cfg->log_limit);
	char rate[32];

	rate_format(&cfg->log_limit, rate, sizeof(rate));
	if (period == 0) {
		error_set(err, "%s: log_limit %s is faster than the kernel's limit match can "
			       "count (at most 10000/second); use a lower log_limit", file, rate);
	} else if ((uint64_t)period * cfg->log_burst > LIMIT_DAY) {
		error_set(err, "%s: log_limit %s with log_burst %u is more than the kernel's "
			       "limit match holds (the burst must refill within a day); lower "
			       "log_burst or raise log_limit", file, rate, cfg->log_burst);
	} else {
		return 0;
	}
	if (err)
		err->code = EXIT_USAGE;
	return -1;
}

/* Append a to list unless an address already there covers it. */
static int relays_add(struct addr_list *list, const struct addr *a, int family, size_t *cap,
		      const char *zone, struct error *err)
{
	struct addr *n;

	if (a->family != family)
		return 0;
	for (size_t i = 0; i < list->n; i++)
		if (addr_contains(&list->addrs[i], a))
			return 0;
	if (list->n == *cap || !list->addrs) {
		*cap = list->n ? list->n * 2 : 8;
		n = realloc(list->addrs, *cap * sizeof(*n));
		if (!n)
			return error_set(err, "out of memory collecting the relays of zone %s; "
					      "free some memory and try again", zone);
		list->addrs = n;
	}
	list->addrs[list->n++] = *a;
	return 0;
}

static int relays_add_list(struct addr_list *out, const struct relay *list, size_t count,
			   int family, size_t *cap, const char *zone, struct error *err)
{
	for (size_t i = 0; i < count; i++) {
		const struct relay *rl = &list[i];

		if (!rl->is_name) {
			if (relays_add(out, &rl->addr, family, cap, zone, err) < 0)
				return -1;
			continue;
		}
		if (rl->nresolved == 0)
			return error_set(err, "relay %s has no address: its name was not "
					      "resolved; resolve relay names (config_resolve) "
					      "before compiling", rl->text);
		for (size_t j = 0; j < rl->nresolved; j++)
			if (relays_add(out, &rl->resolved[j], family, cap, zone, err) < 0)
				return -1;
	}
	return 0;
}

int compile_zone_relays(const struct config *cfg, const struct zone *z, int family,
			struct addr_list *out, struct error *err)
{
	size_t cap = 0;

	*out = (struct addr_list){ 0 };
	if (relays_add_list(out, cfg->relays, cfg->nrelays, family, &cap, z->name, err) < 0 ||
	    relays_add_list(out, z->relays, z->nrelays, family, &cap, z->name, err) < 0) {
		free(out->addrs);
		*out = (struct addr_list){ 0 };
		return -1;
	}
	return 0;
}

static struct rule zone_rule(const struct zone_build *zb)
{
	return rule_new(zb->rs->family, zb->chain);
}

/* "-i ZI -p tcp <dport P>": a connection from the zone to a guarded port. */
static struct rule zone_outbound(const struct zone_build *zb)
{
	struct rule r = zone_rule(zb);

	snprintf(r.in, sizeof(r.in), "%s", zb->zone->interface);
	rule_ports(&r, zb->cfg, PORTS_DST);
	return r;
}

/* "-o ZI -p tcp <sport P>": a packet from a guarded port back to the zone. */
static struct rule zone_reply(const struct zone_build *zb)
{
	struct rule r = zone_rule(zb);

	snprintf(r.out, sizeof(r.out), "%s", zb->zone->interface);
	rule_ports(&r, zb->cfg, PORTS_SRC);
	return r;
}

/* Turn r into the rate-limited LOG or NFLOG rule of the config. */
static void rule_log(struct rule *r, const struct config *cfg)
{
	r->has_limit = true;
	r->limit = cfg->log_limit;
	r->limit_burst = cfg->log_burst;
	snprintf(r->log_prefix, sizeof(r->log_prefix), "%s", cfg->log_prefix);
	if (cfg->log_target == LOG_TARGET_NFLOG) {
		r->target = TARGET_NFLOG;
		r->nflog_group = cfg->nflog_group;
		r->nflog_threshold = COMPILE_NFLOG_THRESHOLD;
	} else {
		r->target = TARGET_LOG;
	}
}

static int zone_emit(struct zone_build *zb, const struct rule *r)
{
	return compile_emit(zb->rs, r, zb->err);
}

/* "-d r -i ZI -p tcp <dport P> -j RETURN" per relay. */
static int zone_relays_outbound(struct zone_build *zb)
{
	for (size_t i = 0; i < zb->relays.n; i++) {
		struct rule r = zone_outbound(zb);

		r.has_dst = true;
		r.dst = zb->relays.addrs[i];
		r.target = TARGET_RETURN;
		if (zone_emit(zb, &r) < 0)
			return -1;
	}
	return 0;
}

/*
 * The head of every filtering mode: the relays return, then a host
 * `watch` escalated within the zone's escalate time is dropped
 * (include/compile.h).  Devices were checked before (the -MAC jump).
 */
static int zone_head(struct zone_build *zb)
{
	struct rule r = zone_outbound(zb);

	if (zone_relays_outbound(zb) < 0)
		return -1;
	if (!zb->zone->escalate)
		return 0;
	r.recent = RECENT_RCHECK;
	r.recent_seconds = zb->zone->escalate;
	r.recent_mask_bits = zb->rs->family == AF_INET6 ? 128 : 32;
	compile_escalate_list(zb->zone->name, zb->rs->family, r.recent_name);
	r.target = TARGET_DROP;
	return zone_emit(zb, &r);
}

static int mode_monitor(struct zone_build *zb)
{
	struct rule r = zone_outbound(zb);

	if (zone_head(zb) < 0)
		return -1;
	r.ctstate = CT_NEW;
	rule_log(&r, zb->cfg);
	return zone_emit(zb, &r);
}

/* Article 1: drop outbound except to relays, and replies from non-relays. */
static int block_rules(struct zone_build *zb, bool log)
{
	struct rule r;

	if (zone_head(zb) < 0)
		return -1;
	if (log) {
		r = zone_outbound(zb);
		rule_log(&r, zb->cfg);
		if (zone_emit(zb, &r) < 0)
			return -1;
	}
	r = zone_outbound(zb);
	r.target = TARGET_DROP;
	if (zone_emit(zb, &r) < 0)
		return -1;
	for (size_t i = 0; i < zb->relays.n; i++) {
		r = zone_reply(zb);
		r.has_src = true;
		r.src = zb->relays.addrs[i];
		r.target = TARGET_RETURN;
		if (zone_emit(zb, &r) < 0)
			return -1;
	}
	r = zone_reply(zb);
	r.target = TARGET_DROP;
	return zone_emit(zb, &r);
}

static int mode_block(struct zone_build *zb)
{
	return block_rules(zb, false);
}

static int mode_log(struct zone_build *zb)
{
	return block_rules(zb, true);
}

static struct rule zone_recent(const struct zone_build *zb, enum recent_cmd cmd)
{
	struct rule r = zone_outbound(zb);
	unsigned prefix6 = zb->zone->ban_prefix6 ? zb->zone->ban_prefix6 : CONFIG_BAN_PREFIX6;

	r.tcp_syn = true;
	r.recent = cmd;
	compile_recent_list(zb->zone->name, zb->rs->family, prefix6, r.recent_name);
	r.recent_seconds = cmd == RECENT_SET ? 0 : zb->zone->ban_seconds;
	r.recent_mask_bits = zb->rs->family == AF_INET6 ? prefix6 : 32;
	return r;
}

/*
 * Article 2, one xt_recent list per zone and family: established (and related)
 * connections return at once, and so do the packets of a connection
 * already counted (its connmark bit: a retransmitted SYN is still NEW).
 * Only a SYN is an attempt - NEW, but also INVALID or UNTRACKED (NOTRACK
 * in the raw table), which conntrack cannot vouch for: from a host seen
 * within ban_seconds it is logged and dropped (--update extends the
 * ban); else the host is remembered, its connection marked, and it
 * passes.  Any other packet returns (the end of the chain): without a
 * handshake it carries no mail, and counting it would ban an untracked
 * host on its own first connection's ACK.
 */
static int mode_rateban(struct zone_build *zb)
{
	struct rule r;

	if (zone_head(zb) < 0)
		return -1;
	r = zone_outbound(zb);
	r.ctstate = CT_ESTABLISHED | CT_RELATED;
	r.target = TARGET_RETURN;
	if (zone_emit(zb, &r) < 0)
		return -1;
	r = zone_outbound(zb);
	r.has_connmark = true;
	r.connmark = r.connmark_mask = COMPILE_RATEBAN_CONNMARK;
	r.target = TARGET_RETURN;
	if (zone_emit(zb, &r) < 0)
		return -1;
	r = zone_recent(zb, RECENT_RCHECK);
	rule_log(&r, zb->cfg);
	if (zone_emit(zb, &r) < 0)
		return -1;
	r = zone_recent(zb, RECENT_UPDATE);
	r.target = TARGET_DROP;
	if (zone_emit(zb, &r) < 0)
		return -1;
	r = zone_recent(zb, RECENT_SET);
	r.target = TARGET_CONNMARK;
	r.connmark = r.connmark_mask = COMPILE_RATEBAN_CONNMARK;
	return zone_emit(zb, &r);
}

/* The zone chain's jump to SMTPGUARD-<zone>-MAC, which only listed MAC+IP pairs pass. */
static int zone_devices_jump(struct zone_build *zb, const char *mac_chain)
{
	struct rule r = zone_rule(zb);

	if (compile_chain(zb->rs, mac_chain, zb->err) < 0)
		return -1;
	snprintf(r.in, sizeof(r.in), "%s", zb->zone->interface);
	rule_jump(&r, mac_chain);
	return zone_emit(zb, &r);
}

/* SMTPGUARD-<zone>-MAC: RETURN for each pair of the family, DROP for the rest. */
static int zone_devices_chain(struct zone_build *zb, const char *mac_chain)
{
	const struct zone *z = zb->zone;
	struct rule r;

	for (size_t i = 0; i < z->ndevices; i++) {
		if (z->devices[i].ip.family != zb->rs->family)
			continue;
		r = rule_new(zb->rs->family, mac_chain);
		r.has_src = true;
		r.src = z->devices[i].ip;
		r.has_mac = true;
		memcpy(r.mac, z->devices[i].mac, sizeof(r.mac));
		r.target = TARGET_RETURN;
		if (zone_emit(zb, &r) < 0)
			return -1;
	}
	r = rule_new(zb->rs->family, mac_chain);
	r.target = TARGET_DROP;
	return zone_emit(zb, &r);
}

/* SMTPGUARD-<zone> (and its -MAC chain), each chain's rules kept together. */
static int compile_zone(const struct config *cfg, const struct zone *z, struct ruleset *rs,
			struct error *err)
{
	struct zone_build zb = { .cfg = cfg, .zone = z, .rs = rs, .err = err };
	const struct mode_layout *layout = &mode_layouts[z->mode];
	char mac_chain[CHAIN_NAME_MAX + 1];
	int rc = -1;

	compile_zone_chain(z->name, zb.chain);
	compile_mac_chain(z->name, mac_chain);
	if (compile_chain(rs, zb.chain, err) < 0 ||
	    compile_zone_relays(cfg, z, rs->family, &zb.relays, err) < 0)
		goto out;
	if (z->ndevices && zone_devices_jump(&zb, mac_chain) < 0)
		goto out;
	if (layout->build && layout->build(&zb) < 0)
		goto out;
	if (z->ndevices && zone_devices_chain(&zb, mac_chain) < 0)
		goto out;
	rc = 0;
out:
	free(zb.relays.addrs);
	return rc;
}

static int compile_jumps(const struct config *cfg, struct ruleset *rs, bool forward,
			 bool unrestricted, bool input, struct error *err)
{
	struct rule r;

	if (forward) {
		r = rule_new(rs->family, "FORWARD");
		if (!unrestricted)
			rule_ports(&r, cfg, PORTS_EITHER);
		rule_jump(&r, CHAIN_FWD);
		if (compile_emit(rs, &r, err) < 0)
			return -1;
	}
	if (input) {
		r = rule_new(rs->family, "INPUT");
		rule_ports(&r, cfg, PORTS_DST);
		rule_jump(&r, CHAIN_IN);
		if (compile_emit(rs, &r, err) < 0)
			return -1;
	}
	return 0;
}

bool compile_is_own_jump(const struct rule *r)
{
	static const struct {
		const char *chain, *jump;
	} forms[] = {
		{ "FORWARD", CHAIN_FWD },
		{ "INPUT", CHAIN_IN },
	};

	if (r->target != TARGET_JUMP || r->in[0] || r->out[0] || r->has_src || r->has_dst ||
	    r->has_mac || r->ctstate || r->recent != RECENT_NONE || r->has_limit || r->ports_neg ||
	    r->tcp_syn)
		return false;
	if (r->proto == 0 ? r->ports_match != PORTS_NONE
			  : r->proto != IPPROTO_TCP || r->ports_match == PORTS_NONE)
		return false;
	for (size_t i = 0; i < sizeof(forms) / sizeof(*forms); i++)
		if (strcmp(r->chain, forms[i].chain) == 0 && strcmp(r->jump, forms[i].jump) == 0)
			return true;
	return false;
}

/* One quarantine entry's DROP rules in SMTPGUARD-FWD (see the layout above). */
static int compile_quarantine_entry(const struct zone *z, const struct quarantine *q,
				    struct ruleset *rs, struct error *err)
{
	struct rule r = rule_new(rs->family, CHAIN_FWD);

	r.target = TARGET_DROP;
	snprintf(r.in, sizeof(r.in), "%s", z->interface);
	if (q->is_mac) {
		r.has_mac = true;
		memcpy(r.mac, q->mac, sizeof(r.mac));
		return compile_emit(rs, &r, err);
	}
	if (q->addr.family != rs->family)
		return 0;
	r.has_src = true;
	r.src = q->addr;
	if (compile_emit(rs, &r, err) < 0)
		return -1;
	r = rule_new(rs->family, CHAIN_FWD);
	r.target = TARGET_DROP;
	snprintf(r.out, sizeof(r.out), "%s", z->interface);
	r.has_dst = true;
	r.dst = q->addr;
	return compile_emit(rs, &r, err);
}

static int compile_quarantine(const struct config *cfg, struct ruleset *rs, struct error *err)
{
	for (size_t i = 0; i < cfg->nzones; i++)
		for (size_t j = 0; j < cfg->zones[i].nquarantine; j++)
			if (compile_quarantine_entry(&cfg->zones[i], &cfg->zones[i].quarantine[j], rs,
						     err) < 0)
				return -1;
	return 0;
}

static int compile_dispatch(const struct config *cfg, struct ruleset *rs, struct error *err)
{
	for (size_t i = 0; i < cfg->nzones; i++) {
		const struct zone *z = &cfg->zones[i];
		char chain[CHAIN_NAME_MAX + 1];

		if (!compile_zone_needs_chain(z))
			continue;
		compile_zone_chain(z->name, chain);
		for (size_t w = 0; w < cfg->nwan; w++) {
			struct rule r = rule_new(rs->family, CHAIN_FWD);

			snprintf(r.in, sizeof(r.in), "%s", z->interface);
			snprintf(r.out, sizeof(r.out), "%s", cfg->wan[w]);
			rule_jump(&r, chain);
			if (compile_emit(rs, &r, err) < 0)
				return -1;
			if (!compile_zone_needs_reply(z))
				continue;
			snprintf(r.in, sizeof(r.in), "%s", cfg->wan[w]);
			snprintf(r.out, sizeof(r.out), "%s", z->interface);
			if (compile_emit(rs, &r, err) < 0)
				return -1;
		}
	}
	return 0;
}

static int compile_input(const struct config *cfg, struct ruleset *rs, struct error *err)
{
	for (size_t i = 0; i < cfg->nzones; i++) {
		struct rule r = rule_new(rs->family, CHAIN_IN);

		if (!cfg->zones[i].protect_gateway)
			continue;
		snprintf(r.in, sizeof(r.in), "%s", cfg->zones[i].interface);
		rule_ports(&r, cfg, PORTS_DST);
		r.target = TARGET_DROP;
		if (compile_emit(rs, &r, err) < 0)
			return -1;
	}
	return 0;
}

int compile_check(const struct config *cfg, struct error *err)
{
	if (cfg->nports == 0 || cfg->nports > CONFIG_MAX_PORTS)
		return error_set(err, "the config guards %zu ports; list 1 to %d in ports",
				 cfg->nports, CONFIG_MAX_PORTS);
	return compile_check_limit(cfg, err);
}

int compile_ruleset(const struct config *cfg, int family, struct ruleset *rs, struct error *err)
{
	bool forward = false, unrestricted = false, input = false;

	if (family != AF_INET && family != AF_INET6)
		return error_set(err, "cannot compile rules for address family %d; use AF_INET or "
				      "AF_INET6", family);
	if (compile_check(cfg, err) < 0)
		return -1;
	rs->family = family;
	for (size_t i = 0; i < cfg->nzones; i++) {
		forward |= compile_zone_needs_chain(&cfg->zones[i]) ||
			   quarantine_count(&cfg->zones[i], family) > 0;
		unrestricted |= zone_unrestricted_jump(&cfg->zones[i], family);
		input |= cfg->zones[i].protect_gateway;
	}
	if ((forward && compile_chain(rs, CHAIN_FWD, err) < 0) ||
	    (input && compile_chain(rs, CHAIN_IN, err) < 0))
		return -1;
	if (compile_jumps(cfg, rs, forward, unrestricted, input, err) < 0 ||
	    compile_quarantine(cfg, rs, err) < 0 || compile_dispatch(cfg, rs, err) < 0 ||
	    compile_input(cfg, rs, err) < 0)
		return -1;
	for (size_t i = 0; i < cfg->nzones; i++)
		if (compile_zone_needs_chain(&cfg->zones[i]) &&
		    compile_zone(cfg, &cfg->zones[i], rs, err) < 0)
			return -1;
	return 0;
}
