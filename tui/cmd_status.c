/*
 * cmd_status.c - `smtpguard status [--json]`: zones, interfaces, what
 * else filters on the host (nftables), every rule of the IPv4 and the
 * IPv6 filter table with its counters, own rules marked, and whether
 * the kernel is in step with the config in each family.
 *
 * Every string that comes from the kernel or the config is printed
 * through sanitize_text(), in JSON too (then json_write_string()).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "backend_detect.h"
#include "cli.h"
#include "dualstack.h"
#include "fw.h"
#include "iface.h"
#include "json.h"
#include "plan.h"
#include "route.h"
#include "sanitize.h"

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

static void status_puts_safe(const char *s, int width)
{
	char buf[1024];

	sanitize_text(s, strlen(s), buf, sizeof(buf));
	printf("%-*s", width, buf);
}

/* A JSON string of text from the kernel or the config, sanitized first (no bidi or controls). */
static void status_json_string(const char *s)
{
	char buf[RULE_TEXT_MAX * 4];

	sanitize_text(s, strlen(s), buf, sizeof(buf));
	json_write_string(stdout, buf);
}

static size_t status_count_own(const struct fw_table *t)
{
	size_t n = 0;

	for (size_t i = 0; i < t->nrules; i++)
		n += t->rules[i].own;
	return n;
}

static void status_print_facts(const struct backend_facts *f)
{
	printf("nftables    ");
	if (!f->nft_queried) {
		printf("unknown (the nftables tables could not be listed)");
	} else {
		printf("%zu table%s, %zu rule%s in ip/ip6/inet tables", f->nnft, f->nnft == 1 ? "" : "s",
		       f->nft_rules, f->nft_rules == 1 ? "" : "s");
		for (size_t i = 0; i < f->nnft; i++)
			printf("%s%s %s (%zu)", i ? ", " : ": ", f->nft[i].family, f->nft[i].name,
			       f->nft[i].rules);
	}
	printf("; iptables is %s\n", f->alternative[0] ? f->alternative : "unknown");
	if (backend_nft_in_use(f))
		printf("            both nftables and smtpguard's legacy tables are evaluated: "
		       "a drop in either wins\n");
}

static void status_print_rules(const struct fw_table *t, size_t family)
{
	printf("\n%s\n  %12s %14s  %s\n", status_families[family].title, "PACKETS", "BYTES", "RULE");
	for (size_t c = 0; c < t->nchains; c++) {
		const struct fw_chain *ch = &t->chains[c];

		printf(" %c", status_families[family].family_mark);
		if (strcmp(ch->policy, "-") != 0)
			printf("%12" PRIu64 " %14" PRIu64 "  ", ch->packets, ch->bytes);
		else
			printf("%12s %14s  ", "", "");
		printf(":");
		status_puts_safe(ch->name, 0);
		printf(" %s\n", ch->policy);
		for (size_t r = ch->first; r < ch->first + ch->count; r++) {
			const struct fw_rule *rule = &t->rules[r];

			printf("%c%c%12" PRIu64 " %14" PRIu64 "  ", rule->own ? '*' : ' ',
			       status_families[family].family_mark, rule->packets, rule->bytes);
			status_puts_safe(rule->text, 0);
			putchar('\n');
		}
	}
}

static void status_print_text(const struct status *st, const char *backend)
{
	const char *fake = fw_fake_table();

	printf("Backend     %s:", backend);
	if (fake) {
		printf(" SMTPGUARD_FAKE_TABLE=");
		status_puts_safe(fake, 0);
		printf(", not the kernel's firewall:");
	}
	for (size_t i = 0; i < DUALSTACK_N; i++)
		printf("%s %s filter table %zu rules (%zu of them smtpguard's)", i ? "," : "",
		       dualstack_label(dualstack_families[i]), st->table[i].nrules,
		       status_count_own(&st->table[i]));
	printf("\n");
	status_print_facts(&st->facts);
	if (st->planned && st->cfg) {
		const char *sep = "";

		printf("Config      %s: ", st->cfg->path);
		if (dualstack_plans_empty(st->plan)) {
			printf("the kernel matches it (IPv4 and IPv6)\n");
		} else {
			printf("the kernel differs in");
			for (size_t i = 0; i < DUALSTACK_N; i++) {
				if (plan_empty(&st->plan[i]))
					continue;
				printf("%s %s", sep, dualstack_label(dualstack_families[i]));
				sep = " and";
			}
			printf(" (smtpguard apply --dry-run shows how)\n");
		}
	}

	if (st->cfg) {
		printf("Uplinks     ");
		for (size_t i = 0; i < st->nuplinks; i++)
			printf("%s%s (%s)", i ? ", " : "", st->uplinks[i].iface,
			       dualstack_label(st->uplinks[i].family));
		printf(st->nuplinks ? ": not in wan, not filtered; add them to wan\n"
				    : "every route out leaves through wan\n");
	}
	printf("\nInterfaces\n  %-15s %-12s %-5s %-34s %12s %12s\n", "NAME", "ROLE", "LINK",
	       "ADDRESSES", "RX PACKETS", "TX PACKETS");
	for (size_t i = 0; i < st->nifaces; i++) {
		const struct iface *it = &st->ifaces[i];
		char addrs[256] = "", one[ADDR_TEXT_MAX];

		for (size_t k = 0; k < it->naddrs; k++) {
			addr_format_save(&it->addrs[k], one, sizeof(one));
			if (strlen(addrs) + strlen(one) + 2 < sizeof(addrs))
				snprintf(addrs + strlen(addrs), sizeof(addrs) - strlen(addrs), "%s%s",
					 k ? " " : "", one);
		}
		printf("  ");
		status_puts_safe(it->name, 15);
		printf(" %-12s %-5s %-34s %12" PRIu64 " %12" PRIu64 "\n", status_role(st, it->name),
		       !it->up ? "down" : it->carrier ? "up" : "no-carrier", addrs, it->rx_packets,
		       it->tx_packets);
	}

	if (st->cfg) {
		printf("\nZones\n  %-12s %-15s %-8s %6s %8s %11s  %s\n", "ZONE", "INTERFACE", "MODE",
		       "RELAYS", "DEVICES", "QUARANTINE", "GATEWAY PORT 25");
		for (size_t i = 0; i < st->cfg->nzones; i++) {
			const struct zone *z = &st->cfg->zones[i];

			printf("  %-12s %-15s %-8s %6zu %8zu %11zu  %s\n", z->name, z->interface,
			       mode_names[z->mode], st->cfg->nrelays + z->nrelays, z->ndevices,
			       z->nquarantine, z->protect_gateway ? "protected" : "open");
		}
	}
	for (size_t i = 0; i < DUALSTACK_N; i++)
		status_print_rules(&st->table[i], i);
}

static void status_print_chains_json(const struct fw_table *t)
{
	printf("\"chains\":[");
	for (size_t c = 0; c < t->nchains; c++) {
		const struct fw_chain *ch = &t->chains[c];

		printf("%s{\"name\":", c ? "," : "");
		status_json_string(ch->name);
		printf(",\"policy\":");
		status_json_string(ch->policy);
		printf(",\"packets\":%" PRIu64 ",\"bytes\":%" PRIu64 ",\"rules\":[", ch->packets,
		       ch->bytes);
		for (size_t r = ch->first; r < ch->first + ch->count; r++) {
			const struct fw_rule *rule = &t->rules[r];

			printf("%s{\"rule\":", r > ch->first ? "," : "");
			status_json_string(rule->text);
			printf(",\"packets\":%" PRIu64 ",\"bytes\":%" PRIu64 ",\"own\":%s}",
			       rule->packets, rule->bytes, rule->own ? "true" : "false");
		}
		printf("]}");
	}
	printf("]");
}

/* "nftables": what backend_detect() found, and what it means for smtpguard's rules. */
static void status_print_facts_json(const struct backend_facts *f)
{
	printf(",\"legacy_tables\":{\"ipv4\":%s,\"ipv6\":%s}", f->legacy_ip4 > 0 ? "true" : "false",
	       f->legacy_ip6 > 0 ? "true" : "false");
	printf(",\"nftables\":{\"iptables_alternative\":");
	status_json_string(f->alternative);
	printf(",\"alternative_nft\":%s,\"queried\":%s,\"tables\":[",
	       f->alternative_nft ? "true" : "false", f->nft_queried ? "true" : "false");
	for (size_t i = 0; i < f->nnft; i++) {
		printf("%s{\"family\":\"%s\",\"name\":", i ? "," : "", f->nft[i].family);
		status_json_string(f->nft[i].name);
		printf(",\"rules\":%zu}", f->nft[i].rules);
	}
	printf("],\"ip_rules\":%zu,\"in_use\":%s,\"both_evaluated\":%s}", f->nft_rules,
	       backend_nft_in_use(f) ? "true" : "false", backend_nft_in_use(f) ? "true" : "false");
}

/* The IPv4 table stays at the top level ("chains", as before IPv6); IPv6 is under "ipv6". */
static void status_print_json(const struct status *st, const char *backend)
{
	char one[ADDR_TEXT_MAX];

	printf("{");
	json_write_key(stdout, "backend");
	status_json_string(backend);
	printf(",\"fake_table\":");
	if (fw_fake_table())
		status_json_string(fw_fake_table());
	else
		printf("null");
	status_print_facts_json(&st->facts);
	if (st->planned && st->cfg) {
		printf(",");
		json_write_key(stdout, "config");
		status_json_string(st->cfg->path);
		printf(",\"in_step\":%s", dualstack_plans_empty(st->plan) ? "true" : "false");
	}
	if (st->cfg) {
		printf(",\"unguarded_uplinks\":[");
		for (size_t i = 0; i < st->nuplinks; i++) {
			printf("%s{\"interface\":", i ? "," : "");
			status_json_string(st->uplinks[i].iface);
			printf(",\"family\":\"%s\"}", st->uplinks[i].family == AF_INET6 ? "ipv6" : "ipv4");
		}
		printf("]");
	}
	printf(",\"interfaces\":[");
	for (size_t i = 0; i < st->nifaces; i++) {
		const struct iface *it = &st->ifaces[i];

		printf("%s{\"name\":", i ? "," : "");
		status_json_string(it->name);
		printf(",\"role\":");
		status_json_string(status_role(st, it->name));
		printf(",\"up\":%s,\"carrier\":%s,\"addresses\":[", it->up ? "true" : "false",
		       it->carrier ? "true" : "false");
		for (size_t k = 0; k < it->naddrs; k++) {
			addr_format_save(&it->addrs[k], one, sizeof(one));
			printf("%s\"%s\"", k ? "," : "", one);
		}
		printf("],\"rx_packets\":%" PRIu64 ",\"tx_packets\":%" PRIu64 "}", it->rx_packets,
		       it->tx_packets);
	}
	printf("]");
	if (st->cfg) {
		printf(",\"zones\":[");
		for (size_t i = 0; i < st->cfg->nzones; i++) {
			const struct zone *z = &st->cfg->zones[i];

			printf("%s{\"name\":\"%s\",\"interface\":", i ? "," : "", z->name);
			status_json_string(z->interface);
			printf(",\"mode\":\"%s\",\"relays\":%zu,\"devices\":%zu,\"quarantine\":%zu,"
			       "\"protect_gateway\":%s}",
			       mode_names[z->mode], st->cfg->nrelays + z->nrelays, z->ndevices,
			       z->nquarantine, z->protect_gateway ? "true" : "false");
		}
		printf("]");
	}
	printf(",");
	status_print_chains_json(&st->table[0]);
	printf(",\"ipv6\":{");
	if (st->planned)
		printf("\"in_step\":%s,", plan_empty(&st->plan[1]) ? "true" : "false");
	status_print_chains_json(&st->table[1]);
	printf("}}\n");
}

int cmd_status(struct cli *cli, int argc, char **argv)
{
	const struct fw_ops *fw = fw_backend();
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
	/* Before any table is opened: a read must not create a legacy table (backend_detect.h). */
	backend_detect(&st.facts, fw == &fw_iptc_ops);
	if (dualstack_read(fw, st.table, &err) < 0)
		return cli_error(&err);
	cli_backend_warn(&st.facts);
	if (iface_list(&st.ifaces, &st.nifaces, &err) < 0) {
		dualstack_tables_free(st.table);
		return cli_error(&err);
	}
	/* The tables are shown even when the config is broken; the config's error decides the exit code. */
	st.cfg = cli_load_config(cli, true, &config_code);
	for (size_t i = 0; i < DUALSTACK_N; i++)
		plan_init(&st.plan[i]);
	if (st.cfg && route_unguarded(st.cfg, &st.uplinks, &st.nuplinks, &err) < 0)
		code = cli_error(&err);
	if (st.cfg) {
		if (dualstack_compile(st.cfg, rs, &err) < 0) {
			config_code = cli_error(&err);
		} else {
			st.planned = true;
			for (size_t i = 0; i < DUALSTACK_N && st.planned; i++)
				if (plan_compute(&st.table[i], &rs[i], &st.plan[i], &err) < 0) {
					code = cli_error(&err);
					st.planned = false;
				}
		}
		dualstack_rulesets_free(rs);
	}
	if (json)
		status_print_json(&st, fw->name);
	else
		status_print_text(&st, fw->name);
	dualstack_plans_free(st.plan);
	config_free(st.cfg);
	iface_list_free(st.ifaces);
	free(st.uplinks);
	dualstack_tables_free(st.table);
	if (fflush(stdout) != 0)
		code = cli_fail(EXIT_RUNTIME, "status: cannot write to standard output");
	return code != EXIT_OK ? code : config_code;
}
