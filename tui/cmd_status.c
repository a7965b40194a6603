/*
 * cmd_status.c - `smtpguard status [--json]`: zones, interfaces and
 * every rule of the filter table with its counters, own rules marked,
 * and whether the kernel is in step with the config.
 *
 * Every string that comes from the kernel or the config is printed
 * through sanitize_text() (text) or json_write_string() (JSON).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "cli.h"
#include "compile.h"
#include "fw.h"
#include "iface.h"
#include "json.h"
#include "plan.h"
#include "sanitize.h"

struct status {
	struct config *cfg;		/* NULL when the config cannot be loaded */
	struct fw_table table;
	struct iface *ifaces;
	size_t nifaces;
	struct plan plan;
	bool planned;			/* plan holds the config vs the kernel */
};

static const char *status_role(const struct status *st, const char *ifname)
{
	if (!st->cfg)
		return "-";
	for (size_t i = 0; i < st->cfg->nwan; i++)
		if (strcmp(st->cfg->wan[i], ifname) == 0)
			return "wan";
	for (size_t i = 0; i < st->cfg->nzones; i++)
		if (strcmp(st->cfg->zones[i].interface, ifname) == 0)
			return st->cfg->zones[i].name;
	return "unmanaged";
}

static void status_puts_safe(const char *s, int width)
{
	char buf[1024];

	sanitize_text(s, strlen(s), buf, sizeof(buf));
	printf("%-*s", width, buf);
}

static size_t status_count_own(const struct fw_table *t)
{
	size_t n = 0;

	for (size_t i = 0; i < t->nrules; i++)
		n += t->rules[i].own;
	return n;
}

static void status_print_text(const struct status *st, const char *backend)
{
	printf("Backend     %s (filter table: %zu rules, %zu of them smtpguard's)\n", backend,
	       st->table.nrules, status_count_own(&st->table));
	if (st->planned)
		printf("Config      %s: %s\n", st->cfg->path,
		       plan_empty(&st->plan) ? "the kernel matches it"
					     : "the kernel differs (smtpguard apply --dry-run shows how)");

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

	printf("\nRules (filter table; * marks smtpguard's own)\n  %12s %14s  %s\n", "PACKETS",
	       "BYTES", "RULE");
	for (size_t c = 0; c < st->table.nchains; c++) {
		const struct fw_chain *ch = &st->table.chains[c];

		printf("  ");
		if (strcmp(ch->policy, "-") != 0)
			printf("%12" PRIu64 " %14" PRIu64 "  ", ch->packets, ch->bytes);
		else
			printf("%12s %14s  ", "", "");
		printf(":");
		status_puts_safe(ch->name, 0);
		printf(" %s\n", ch->policy);
		for (size_t r = ch->first; r < ch->first + ch->count; r++) {
			const struct fw_rule *rule = &st->table.rules[r];

			printf("%c %12" PRIu64 " %14" PRIu64 "  ", rule->own ? '*' : ' ', rule->packets,
			       rule->bytes);
			status_puts_safe(rule->text, 0);
			putchar('\n');
		}
	}
}

static void status_print_json(const struct status *st, const char *backend)
{
	char one[ADDR_TEXT_MAX];

	printf("{");
	json_write_key(stdout, "backend");
	json_write_string(stdout, backend);
	if (st->planned) {
		printf(",");
		json_write_key(stdout, "config");
		json_write_string(stdout, st->cfg->path);
		printf(",\"in_step\":%s", plan_empty(&st->plan) ? "true" : "false");
	}
	printf(",\"interfaces\":[");
	for (size_t i = 0; i < st->nifaces; i++) {
		const struct iface *it = &st->ifaces[i];

		printf("%s{\"name\":", i ? "," : "");
		json_write_string(stdout, it->name);
		printf(",\"role\":");
		json_write_string(stdout, status_role(st, it->name));
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
			json_write_string(stdout, z->interface);
			printf(",\"mode\":\"%s\",\"relays\":%zu,\"devices\":%zu,\"quarantine\":%zu,"
			       "\"protect_gateway\":%s}",
			       mode_names[z->mode], st->cfg->nrelays + z->nrelays, z->ndevices,
			       z->nquarantine, z->protect_gateway ? "true" : "false");
		}
		printf("]");
	}
	printf(",\"chains\":[");
	for (size_t c = 0; c < st->table.nchains; c++) {
		const struct fw_chain *ch = &st->table.chains[c];

		printf("%s{\"name\":", c ? "," : "");
		json_write_string(stdout, ch->name);
		printf(",\"policy\":");
		json_write_string(stdout, ch->policy);
		printf(",\"packets\":%" PRIu64 ",\"bytes\":%" PRIu64 ",\"rules\":[", ch->packets,
		       ch->bytes);
		for (size_t r = ch->first; r < ch->first + ch->count; r++) {
			const struct fw_rule *rule = &st->table.rules[r];

			printf("%s{\"rule\":", r > ch->first ? "," : "");
			json_write_string(stdout, rule->text);
			printf(",\"packets\":%" PRIu64 ",\"bytes\":%" PRIu64 ",\"own\":%s}",
			       rule->packets, rule->bytes, rule->own ? "true" : "false");
		}
		printf("]}");
	}
	printf("]}\n");
}

int cmd_status(struct cli *cli, int argc, char **argv)
{
	const struct fw_ops *fw = fw_backend();
	struct status st = { 0 };
	struct ruleset rs;
	struct error err = { 0 };
	bool json = false;
	int code = EXIT_OK, config_code = EXIT_OK;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = true;
		else
			return cli_fail(EXIT_USAGE, "status: unknown argument '%s' (usage: status [--json])",
					argv[i]);
	}
	if (fw->read(AF_INET, &st.table, &err) < 0)
		return cli_error(&err);
	if (iface_list(&st.ifaces, &st.nifaces, &err) < 0) {
		fw_table_free(&st.table);
		return cli_error(&err);
	}
	/* The table is shown even when the config is broken; the config's error decides the exit code. */
	st.cfg = cli_load_config(cli, true, &config_code);
	plan_init(&st.plan);
	if (st.cfg) {
		ruleset_init(&rs, AF_INET);
		if (compile_ruleset(st.cfg, AF_INET, &rs, &err) < 0)
			config_code = cli_error(&err);
		else if (plan_compute(&st.table, &rs, &st.plan, &err) < 0)
			code = cli_error(&err);
		else
			st.planned = true;
		ruleset_free(&rs);
	}
	if (json)
		status_print_json(&st, fw->name);
	else
		status_print_text(&st, fw->name);
	plan_free(&st.plan);
	config_free(st.cfg);
	iface_list_free(st.ifaces);
	fw_table_free(&st.table);
	if (fflush(stdout) != 0)
		code = cli_fail(EXIT_RUNTIME, "status: cannot write to standard output");
	return code != EXIT_OK ? code : config_code;
}
