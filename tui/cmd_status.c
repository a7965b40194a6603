/*
 * cmd_status.c - `smtpguard status [--json]`: zones, interfaces, what
 * else filters on the host (nftables), every rule of the IPv4 and the
 * IPv6 filter table with its counters, own rules marked, and whether
 * the kernel is in step with the config in each family.
 *
 * Text and JSON come from one printer (emit.h), which sanitizes every
 * string from the kernel or the config in both.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "backend_detect.h"
#include "cli.h"
#include "dualstack.h"
#include "emit.h"
#include "fw.h"
#include "iface.h"
#include "plan.h"
#include "route.h"

struct status {
	struct config *cfg;		/* NULL when the config cannot be loaded */
	struct fw_table table[DUALSTACK_N];	/* dualstack_families order */
	struct iface *ifaces;
	size_t nifaces;
	struct plan plan[DUALSTACK_N];
	bool planned;			/* plan holds the config vs the kernel */
	struct backend_facts facts;
	struct route_uplink *uplinks;	/* not in wan (with a config) */
	size_t nuplinks;
};

/* How each family's rules are marked in the text form: own rules of IPv6 as "*6". */
static const struct {
	const char *title;
	char family_mark;	/* after the own marker, so IPv6 rows never read as IPv4 ones */
} status_families[DUALSTACK_N] = {
	{ .title = "Rules (IPv4 filter table; * marks smtpguard's own)", .family_mark = ' ' },
	{ .title = "Rules (IPv6 filter table; *6 marks smtpguard's own, 6 the others)",
	  .family_mark = '6' },
};

static const char *status_role(const struct status *st, const char *ifname)
{
	if (!st->cfg)
		return "-";
	if (config_is_wan(st->cfg, ifname))
		return "wan";
	for (size_t i = 0; i < st->cfg->nzones; i++)
		if (ifname_match(st->cfg->zones[i].interface, ifname))
			return st->cfg->zones[i].name;
	return "unmanaged";
}

static size_t status_count_own(const struct fw_table *t)
{
	size_t n = 0;

	for (size_t i = 0; i < t->nrules; i++)
		n += t->rules[i].own;
	return n;
}

/* What backend_detect() found, and what it means for smtpguard's rules. */
static void status_print_facts(struct emit *e, const struct backend_facts *f)
{
	bool in_use = backend_nft_in_use(f);	/* then the kernel evaluates both */

	emit_object_open(e, EMIT_JSON, "legacy_tables");
	emit_bool(e, EMIT_JSON, "ipv4", f->legacy_ip4 > 0);
	emit_bool(e, EMIT_JSON, "ipv6", f->legacy_ip6 > 0);
	emit_object_close(e);
	emit_object_open(e, EMIT_JSON, "nftables");
	emit_str(e, EMIT_JSON, "iptables_alternative", f->alternative);
	emit_bool(e, EMIT_JSON, "alternative_nft", f->alternative_nft);
	emit_bool(e, EMIT_JSON, "queried", f->nft_queried);
	if (!f->nft_queried)
		emit_text(e, "nftables    unknown (the nftables tables could not be listed)");
	else
		emit_text(e, "nftables    %zu table%s, %zu rule%s in ip/ip6/inet tables", f->nnft,
			  f->nnft == 1 ? "" : "s", f->nft_rules, f->nft_rules == 1 ? "" : "s");
	emit_array_open(e, EMIT_JSON, "tables", EMIT_INLINE);
	for (size_t i = 0; i < f->nnft; i++) {
		emit_object_open(e, EMIT_JSON, NULL);
		emit_text(e, "%s", i ? ", " : ": ");
		emit_strf(e, EMIT_ANY, "family", "%s ", f->nft[i].family);
		emit_strf(e, EMIT_ANY, "name", "%s", f->nft[i].name);
		emit_u64f(e, EMIT_ANY, "rules", " (%" PRIu64 ")", f->nft[i].rules);
		emit_object_close(e);
	}
	emit_array_close(e);
	emit_strf(e, EMIT_TEXT, "iptables_alternative", "; iptables is %s\n",
		  f->alternative[0] ? f->alternative : "unknown");
	emit_u64(e, EMIT_JSON, "ip_rules", f->nft_rules);
	emit_bool(e, EMIT_JSON, "in_use", in_use);
	emit_bool(e, EMIT_JSON, "both_evaluated", in_use);
	if (in_use)
		emit_text(e, "            both nftables and smtpguard's legacy tables are evaluated: "
			     "a drop in either wins\n");
	emit_object_close(e);
}

static void status_print_config(struct emit *e, const struct status *st)
{
	const char *sep = "";

	emit_strf(e, EMIT_ANY, "config", "Config      %s: ", st->cfg->path);
	emit_bool(e, EMIT_JSON, "in_step", dualstack_plans_empty(st->plan));
	if (dualstack_plans_empty(st->plan)) {
		emit_text(e, "the kernel matches it (IPv4 and IPv6)\n");
		return;
	}
	emit_text(e, "the kernel differs in");
	for (size_t i = 0; i < DUALSTACK_N; i++) {
		if (plan_empty(&st->plan[i]))
			continue;
		emit_text(e, "%s %s", sep, dualstack_label(dualstack_families[i]));
		sep = " and";
	}
	emit_text(e, " (smtpguard apply --dry-run shows how)\n");
}

static void status_print_uplinks(struct emit *e, const struct status *st)
{
	emit_text(e, "Uplinks     ");
	emit_array_open(e, EMIT_JSON, "unguarded_uplinks", EMIT_INLINE);
	for (size_t i = 0; i < st->nuplinks; i++) {
		emit_object_open(e, EMIT_JSON, NULL);
		emit_text(e, "%s", i ? ", " : "");
		emit_strf(e, EMIT_ANY, "interface", "%s", st->uplinks[i].iface);
		emit_str(e, EMIT_JSON, "family", st->uplinks[i].family == AF_INET6 ? "ipv6" : "ipv4");
		emit_text(e, " (%s)", dualstack_label(st->uplinks[i].family));
		emit_object_close(e);
	}
	emit_array_close(e);
	emit_text(e, st->nuplinks ? ": not in wan, not filtered; add them to wan\n"
				  : "every route out leaves through wan\n");
}

static void status_print_interfaces(struct emit *e, const struct status *st)
{
	emit_text(e, "\nInterfaces\n  %-15s %-12s %-5s %-34s %12s %12s\n", "NAME", "ROLE", "LINK",
		  "ADDRESSES", "RX PACKETS", "TX PACKETS");
	emit_array_open(e, EMIT_JSON, "interfaces", EMIT_INLINE);
	for (size_t i = 0; i < st->nifaces; i++) {
		const struct iface *it = &st->ifaces[i];
		char addrs[256] = "", one[ADDR_TEXT_MAX];

		emit_object_open(e, EMIT_JSON, NULL);
		emit_strf(e, EMIT_ANY, "name", "  %-15s", it->name);
		emit_strf(e, EMIT_ANY, "role", " %-12s", status_role(st, it->name));
		emit_strf(e, EMIT_TEXT, "link", " %-5s",
			  !it->up ? "down" : it->carrier ? "up" : "no-carrier");
		emit_bool(e, EMIT_JSON, "up", it->up);
		emit_bool(e, EMIT_JSON, "carrier", it->carrier);
		emit_array_open(e, EMIT_JSON, "addresses", EMIT_INLINE);
		for (size_t k = 0; k < it->naddrs; k++) {
			addr_format_save(&it->addrs[k], one, sizeof(one));
			emit_str(e, EMIT_JSON, NULL, one);
			if (strlen(addrs) + strlen(one) + 2 < sizeof(addrs))
				snprintf(addrs + strlen(addrs), sizeof(addrs) - strlen(addrs), "%s%s",
					 k ? " " : "", one);
		}
		emit_array_close(e);
		emit_strf(e, EMIT_TEXT, "addresses", " %-34s", addrs);
		emit_u64f(e, EMIT_ANY, "rx_packets", " %12" PRIu64, it->rx_packets);
		emit_u64f(e, EMIT_ANY, "tx_packets", " %12" PRIu64 "\n", it->tx_packets);
		emit_object_close(e);
	}
	emit_array_close(e);
}

static void status_print_zones(struct emit *e, const struct config *cfg)
{
	emit_text(e, "\nZones\n  %-12s %-15s %-8s %6s %8s %11s  %s\n", "ZONE", "INTERFACE", "MODE",
		  "RELAYS", "DEVICES", "QUARANTINE", "GATEWAY PORT 25");
	emit_array_open(e, EMIT_JSON, "zones", EMIT_INLINE);
	for (size_t i = 0; i < cfg->nzones; i++) {
		const struct zone *z = &cfg->zones[i];

		emit_object_open(e, EMIT_JSON, NULL);
		emit_strf(e, EMIT_ANY, "name", "  %-12s", z->name);
		emit_strf(e, EMIT_ANY, "interface", " %-15s", z->interface);
		emit_strf(e, EMIT_ANY, "mode", " %-8s", mode_names[z->mode]);
		emit_u64f(e, EMIT_ANY, "relays", " %6" PRIu64, cfg->nrelays + z->nrelays);
		emit_u64f(e, EMIT_ANY, "devices", " %8" PRIu64, z->ndevices);
		emit_u64f(e, EMIT_ANY, "quarantine", " %11" PRIu64, z->nquarantine);
		emit_strf(e, EMIT_TEXT, "protect_gateway", "  %s\n",
			  z->protect_gateway ? "protected" : "open");
		emit_bool(e, EMIT_JSON, "protect_gateway", z->protect_gateway);
		emit_object_close(e);
	}
	emit_array_close(e);
}

/* One family's table: "chains" in JSON, a table of rules with counters in text. */
static void status_print_chains(struct emit *e, const struct fw_table *t, size_t family,
				bool whole)
{
	char mark = status_families[family].family_mark;

	emit_text(e, "\n%s\n  %12s %14s  %s\n",
		  whole ? "Rules (table inet smtpguard, IPv4 and IPv6; all smtpguard's)"
			: status_families[family].title,
		  "PACKETS", "BYTES", "RULE");
	emit_array_open(e, EMIT_JSON, "chains", EMIT_INLINE);
	for (size_t c = 0; c < t->nchains; c++) {
		const struct fw_chain *ch = &t->chains[c];

		emit_object_open(e, EMIT_JSON, NULL);
		emit_text(e, " %c", mark);
		if (strcmp(ch->policy, "-") != 0)
			emit_text(e, "%12" PRIu64 " %14" PRIu64 "  ", ch->packets, ch->bytes);
		else
			emit_text(e, "%12s %14s  ", "", "");
		emit_strf(e, EMIT_ANY, "name", ":%s", ch->name);
		emit_strf(e, EMIT_ANY, "policy", " %s\n", ch->policy);
		emit_u64(e, EMIT_JSON, "packets", ch->packets);
		emit_u64(e, EMIT_JSON, "bytes", ch->bytes);
		emit_array_open(e, EMIT_JSON, "rules", EMIT_INLINE);
		for (size_t r = ch->first; r < ch->first + ch->count; r++) {
			const struct fw_rule *rule = &t->rules[r];

			emit_object_open(e, EMIT_JSON, NULL);
			emit_str(e, EMIT_JSON, "rule", rule->text);
			emit_text(e, "%c%c", rule->own ? '*' : ' ', mark);
			emit_u64f(e, EMIT_ANY, "packets", "%12" PRIu64 " ", rule->packets);
			emit_u64f(e, EMIT_ANY, "bytes", "%14" PRIu64 "  ", rule->bytes);
			emit_strf(e, EMIT_TEXT, "rule", "%s\n", rule->text);
			emit_bool(e, EMIT_JSON, "own", rule->own);
			emit_object_close(e);
		}
		emit_array_close(e);
		emit_object_close(e);
	}
	emit_array_close(e);
}

/* Text or JSON; in JSON the IPv4 table stays at the top level ("chains", as before IPv6), IPv6 is under "ipv6". */
static void status_print(const struct status *st, const struct fw_ops *fw, enum emit_form form)
{
	const char *fake = fw_fake_table();
	bool whole = fw->whole != NULL;
	struct emit e;

	emit_init(&e, stdout, form, NULL);
	emit_object_open(&e, EMIT_JSON, NULL);
	emit_strf(&e, EMIT_ANY, "backend", "Backend     %s", fw->name);
	emit_strf(&e, EMIT_ANY, "backend_reason", " (%s):", fw_backend_reason());
	if (fake)
		emit_strf(&e, EMIT_ANY, "fake_table",
			  " SMTPGUARD_FAKE_TABLE=%s, not the kernel's firewall:", fake);
	else
		emit_null(&e, "fake_table");
	if (whole)
		emit_text(&e, " table inet smtpguard %zu rules (IPv4 and IPv6)", st->table[0].nrules);
	for (size_t i = 0; i < DUALSTACK_N && !whole; i++)
		emit_text(&e, "%s %s filter table %zu rules (%zu of them smtpguard's)", i ? "," : "",
			  dualstack_label(dualstack_families[i]), st->table[i].nrules,
			  status_count_own(&st->table[i]));
	emit_text(&e, "\n");
	status_print_facts(&e, &st->facts);
	if (st->planned && st->cfg)
		status_print_config(&e, st);
	if (st->cfg)
		status_print_uplinks(&e, st);
	status_print_interfaces(&e, st);
	if (st->cfg)
		status_print_zones(&e, st->cfg);
	for (size_t i = 0; i < DUALSTACK_N; i++) {
		if (i == 1) {
			emit_object_open(&e, EMIT_JSON, "ipv6");
			if (st->planned)
				emit_bool(&e, EMIT_JSON, "in_step", plan_empty(&st->plan[1]));
		}
		if (!whole || i == 0 || emit_is(&e, EMIT_JSON))
			status_print_chains(&e, &st->table[i], i, whole);
		if (i == 1)
			emit_object_close(&e);
	}
	emit_object_close(&e);
	if (emit_is(&e, EMIT_JSON))
		emit_newline(&e);
}

int cmd_status(struct cli *cli, int argc, char **argv)
{
	const struct fw_ops *fw;
	struct status st = { 0 };
	struct ruleset rs[DUALSTACK_N];
	struct error err = { 0 };
	bool json = false;
	int code = EXIT_OK, config_code = EXIT_OK;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = true;
		else
			return cli_usage_fail("status", "unknown argument '%s'", argv[i]);
	}
	/*
	 * The config first: it chooses the backend.  The tables are shown even
	 * when it is broken; its error decides the exit code.
	 */
	st.cfg = cli_load_config(cli, true, &config_code);
	fw = fw_backend();
	/* Before any table is opened: a read must not create a legacy table (backend_detect.h). */
	backend_detect(&st.facts, fw->kernel);
	if (dualstack_read(fw, st.table, &err) < 0) {
		config_free(st.cfg);
		return cli_error(&err);
	}
	cli_backend_warn(&st.facts);
	if (iface_list(&st.ifaces, &st.nifaces, &err) < 0) {
		config_free(st.cfg);
		dualstack_tables_free(st.table);
		return cli_error(&err);
	}
	for (size_t i = 0; i < DUALSTACK_N; i++)
		plan_init(&st.plan[i]);
	if (st.cfg && route_unguarded(st.cfg, &st.uplinks, &st.nuplinks, &err) < 0)
		code = cli_error(&err);
	if (st.cfg) {
		if (dualstack_compile(st.cfg, rs, &err) < 0) {
			config_code = cli_error(&err);
		} else {
			/* against the tables shown: one read of each (nftables plans its own way) */
			st.planned = (fw->whole ? dualstack_plan(fw, rs, st.plan, &err)
						: dualstack_plan_tables(st.table, rs, st.plan, &err)) == 0;
			if (!st.planned)
				code = cli_error(&err);
		}
		dualstack_rulesets_free(rs);
	}
	status_print(&st, fw, json ? EMIT_JSON : EMIT_TEXT);
	dualstack_plans_free(st.plan);
	config_free(st.cfg);
	iface_list_free(st.ifaces);
	free(st.uplinks);
	dualstack_tables_free(st.table);
	if (fflush(stdout) != 0)
		code = cli_fail(EXIT_RUNTIME, "status: cannot write to standard output");
	return code != EXIT_OK ? code : config_code;
}
