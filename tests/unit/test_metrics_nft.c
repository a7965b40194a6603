/*
 * test_metrics_nft.c - core/metrics.c on the nftables backend's rules
 * (nft text of table inet smtpguard, as fw_nft's read() gives them):
 * zone from the zone_<zone> chain, the zone jumped to, no zone for the
 * jumps to guard, else the in- or out-interface (an iptables '+' wildcard
 * is nft's '*'); family from ip / ip6, inet for a rule of both; the
 * verdict after "counter"; a rule without one (added by hand) left out.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "helpers.h"
#include "metrics.h"
#include "tap.h"

static struct zone zones[] = {
	{ .name = "lan", .interface = "eth1", .mode = MODE_BLOCK },
	{ .name = "wlan", .interface = "wg+", .mode = MODE_RATEBAN },
};
static struct config cfg = { .zones = zones, .nzones = 2 };

static const struct {
	const char *chain, *rule;
	uint64_t packets;
} rows[] = {
	{ "forward", "tcp dport 25 counter jump guard", 100 },
	{ "input", "iifname \"eth1\" tcp dport 25 counter drop", 7 },
	{ "guard", "iifname \"wg*\" ip saddr @wlan_quar4 counter drop", 3 },
	{ "guard", "oifname \"wg*\" ip6 daddr @wlan_quar6 counter drop", 2 },
	{ "guard", "iifname \"eth1\" oifname \"eth0\" counter jump zone_lan", 40 },
	{ "guard", "iifname \"wg*\" oifname \"eth0\" counter jump zone_wlan", 60 },
	{ "zone_lan", "iifname \"eth1\" tcp dport 25 ip daddr @lan_relay4 counter return", 11 },
	{ "zone_lan", "iifname \"eth1\" tcp dport 25 ip6 daddr @lan_relay6 counter return", 5 },
	{ "zone_lan", "iifname \"eth1\" tcp dport 25 counter drop", 20 },
	{ "zone_lan", "iifname \"eth1\" tcp dport 26 drop", 1000 },	/* by hand, no counter */
	{ "zone_wlan", "iifname \"wg*\" tcp dport 25 ip saddr @wlan_ban4 limit rate 1/second counter log prefix \"x\"", 4 },
	{ "zone_wlan", "iifname \"wg*\" tcp dport 25 tcp flags syn / fin,syn,rst,ack update @wlan_ban4 { ip saddr timeout 2m } counter ct mark set ct mark | 0x00800000", 9 },
	{ "zone_old", "iifname \"eth7\" tcp dport 25 counter drop", 8 },
};

int main(void)
{
	struct fw_table t;
	struct metrics m = { .cfg = &cfg };
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	fw_table_init_empty(&t, AF_INET);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct fw_chain *c = fw_table_chain(&t, rows[i].chain);
		long ci = c ? (long)(c - t.chains) : fw_table_add_chain(&t, rows[i].chain, "-", 0, 0, false);

		fw_table_insert_rule(&t, (size_t)ci, SIZE_MAX, rows[i].rule, rows[i].packets, 0);
	}
	fw_table_finish(&t);
	for (size_t i = 0; i < t.nrules; i++)
		t.rules[i].own = true;
	metrics_add_nft_table(&m, &t);
	f = open_memstream(&text, &len);
	metrics_write(&m, f);
	fclose(f);

#define HAS(z, fam, v, n) has_line(text, "smtpguard_rule_packets_total{zone=\"" z "\",family=\"" fam "\",verdict=\"" v "\"} " n)
	ok(HAS("-", "inet", "jump", "100"), "forward's jump to guard: zone -, family inet");
	ok(HAS("lan", "inet", "drop", "27"), "lan's drops: input (protect, by interface) and its chain");
	ok(HAS("wlan", "ipv4", "drop", "3") && HAS("wlan", "ipv6", "drop", "2"),
	   "quarantine in guard: the zone of iifname or oifname \"wg*\" (wg+), family by ip / ip6");
	ok(HAS("lan", "inet", "jump", "40") && HAS("wlan", "inet", "jump", "60"),
	   "guard's jumps: the zone jumped to");
	ok(HAS("lan", "ipv4", "return", "11") && HAS("lan", "ipv6", "return", "5"),
	   "the relays' returns per family");
	ok(HAS("wlan", "ipv4", "log", "4") && HAS("wlan", "ipv4", "mark", "9"),
	   "log and ct mark set (rate-ban) verdicts");
	ok(HAS("-", "inet", "drop", "8"), "a chain of a zone no longer configured: zone -");
	ok(!strstr(text, "1000"), "a rule without counter (by hand) is left out");
	free(text);
	fw_table_free(&t);
	return tap_done();
}
