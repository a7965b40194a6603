/*
 * test_rule.c - rule_format_save() against the exact lines
 * iptables-legacy-save 1.8.9 printed for the same rules (checked in a
 * namespace; tests/ns/render.sh re-checks the golden files against the
 * kernel), and the restore and sh writers.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include "rule.h"
#include "helpers.h"
#include "tap.h"

static struct rule base(int family, const char *chain)
{
	struct rule r = { .family = family };

	snprintf(r.chain, sizeof(r.chain), "%s", chain);
	return r;
}

static void ports(struct rule *r, enum port_match m, const uint16_t *p, size_t n)
{
	r->proto = IPPROTO_TCP;
	r->ports_match = m;
	memcpy(r->ports, p, n * sizeof(*p));
	r->nports = n;
}

static const char *fmt(const struct rule *r)
{
	static char buf[1024];

	if (rule_format_save(r, buf, sizeof(buf)) < 0)
		return "(overflow)";
	return buf;
}

static const uint16_t p25[] = { 25 }, p25_587[] = { 25, 587 };

static void test_ip_part(void)
{
	struct rule r = base(AF_INET, "SMTPGUARD-wlan");

	r.target = TARGET_DROP;
	is_str(fmt(&r), "-A SMTPGUARD-wlan -j DROP", "bare rule");
	r.has_src = true;
	r.src = ip("192.0.2.70");
	snprintf(r.in, sizeof(r.in), "eth2");
	is_str(fmt(&r), "-A SMTPGUARD-wlan -s 192.0.2.70/32 -i eth2 -j DROP", "host source is /32");
	r = base(AF_INET, "SMTPGUARD-wlan");
	r.has_src = r.src_neg = true;
	r.src = ip("192.0.2.1");
	r.has_dst = r.dst_neg = true;
	r.dst = ip("198.51.100.0/24");
	snprintf(r.in, sizeof(r.in), "eth2");
	snprintf(r.out, sizeof(r.out), "eth0");
	r.target = TARGET_ACCEPT;
	is_str(fmt(&r), "-A SMTPGUARD-wlan ! -s 192.0.2.1/32 ! -d 198.51.100.0/24 -i eth2 -o eth0 -j ACCEPT",
	       "negated addresses, both interfaces, order -s -d -i -o");
}

static void test_ports(void)
{
	struct rule r = base(AF_INET, "SMTPGUARD-IN");

	snprintf(r.in, sizeof(r.in), "eth2");
	ports(&r, PORTS_DST, p25, 1);
	r.target = TARGET_DROP;
	is_str(fmt(&r), "-A SMTPGUARD-IN -i eth2 -p tcp -m tcp --dport 25 -j DROP", "one dport: tcp match");
	ports(&r, PORTS_DST, p25_587, 2);
	r.has_dst = true;
	r.dst = ip("203.0.113.16/28");
	r.target = TARGET_RETURN;
	is_str(fmt(&r), "-A SMTPGUARD-IN -d 203.0.113.16/28 -i eth2 -p tcp -m multiport --dports 25,587 -j RETURN",
	       "several dports: multiport");
	r = base(AF_INET, "SMTPGUARD-wlan");
	snprintf(r.out, sizeof(r.out), "eth2");
	ports(&r, PORTS_SRC, p25, 1);
	r.target = TARGET_DROP;
	is_str(fmt(&r), "-A SMTPGUARD-wlan -o eth2 -p tcp -m tcp --sport 25 -j DROP", "one sport");
	ports(&r, PORTS_SRC, p25_587, 2);
	is_str(fmt(&r), "-A SMTPGUARD-wlan -o eth2 -p tcp -m multiport --sports 25,587 -j DROP",
	       "several sports");
	r = base(AF_INET, "FORWARD");
	ports(&r, PORTS_EITHER, p25, 1);
	r.target = TARGET_JUMP;
	snprintf(r.jump, sizeof(r.jump), CHAIN_FWD);
	is_str(fmt(&r), "-A FORWARD -p tcp -m multiport --ports 25 -j SMTPGUARD-FWD",
	       "either direction, one port, still multiport");
	ports(&r, PORTS_EITHER, p25_587, 2);
	is_str(fmt(&r), "-A FORWARD -p tcp -m multiport --ports 25,587 -j SMTPGUARD-FWD", "either, two ports");
	r = base(AF_INET, "SMTPGUARD-wlan");
	ports(&r, PORTS_DST, p25, 1);
	r.ports_neg = true;
	r.target = TARGET_RETURN;
	is_str(fmt(&r), "-A SMTPGUARD-wlan -p tcp -m tcp ! --dport 25 -j RETURN", "negated dport");
	ports(&r, PORTS_DST, (const uint16_t[]){ 25, 26 }, 2);
	is_str(fmt(&r), "-A SMTPGUARD-wlan -p tcp -m multiport ! --dports 25,26 -j RETURN",
	       "negated multiport");
	r = base(AF_INET, "SMTPGUARD-wlan");
	ports(&r, PORTS_DST, p25, 1);
	r.tcp_syn = true;
	r.target = TARGET_DROP;
	is_str(fmt(&r), "-A SMTPGUARD-wlan -p tcp -m tcp --dport 25 --tcp-flags FIN,SYN,RST,ACK SYN -j DROP",
	       "--syn after the one dport, in the same tcp match");
	ports(&r, PORTS_DST, p25_587, 2);
	is_str(fmt(&r), "-A SMTPGUARD-wlan -p tcp -m multiport --dports 25,587 -m tcp --tcp-flags FIN,SYN,RST,ACK SYN -j DROP",
	       "--syn after multiport, in a tcp match of its own");
	r.ports_match = PORTS_NONE;
	r.nports = 0;
	is_str(fmt(&r), "-A SMTPGUARD-wlan -p tcp -m tcp --tcp-flags FIN,SYN,RST,ACK SYN -j DROP",
	       "--syn without ports");
}

static void test_mac_conntrack(void)
{
	struct rule r = base(AF_INET, "SMTPGUARD-wlan-MAC");
	const unsigned char mac[6] = { 0x00, 0x02, 0x2d, 0xAA, 0xbb, 0x33 };

	r.has_src = true;
	r.src = ip("192.0.2.66");
	r.has_mac = true;
	memcpy(r.mac, mac, 6);
	r.target = TARGET_RETURN;
	is_str(fmt(&r), "-A SMTPGUARD-wlan-MAC -s 192.0.2.66/32 -m mac --mac-source 00:02:2d:aa:bb:33 -j RETURN",
	       "mac in lower case");
	r = base(AF_INET, "SMTPGUARD-wlan");
	snprintf(r.in, sizeof(r.in), "eth2");
	ports(&r, PORTS_DST, p25, 1);
	r.ctstate = CT_NEW;
	r.ctstate_neg = true;
	r.target = TARGET_RETURN;
	is_str(fmt(&r), "-A SMTPGUARD-wlan -i eth2 -p tcp -m tcp --dport 25 -m conntrack ! --ctstate NEW -j RETURN",
	       "negated ctstate");
	r.ctstate = CT_ESTABLISHED | CT_RELATED | CT_NEW;
	r.ctstate_neg = false;
	is_str(fmt(&r), "-A SMTPGUARD-wlan -i eth2 -p tcp -m tcp --dport 25 -m conntrack --ctstate NEW,RELATED,ESTABLISHED -j RETURN",
	       "ctstate list in libxt_conntrack's order");
}

static void test_recent_limit_log(void)
{
	struct rule r = base(AF_INET, "SMTPGUARD-wlan");

	snprintf(r.in, sizeof(r.in), "eth2");
	ports(&r, PORTS_DST, p25, 1);
	r.recent = RECENT_RCHECK;
	snprintf(r.recent_name, sizeof(r.recent_name), "SMTPGUARD-wlan");
	r.recent_seconds = 60;
	r.recent_mask_bits = 32;
	r.has_limit = true;
	r.limit = (struct rate){ .count = 1, .unit = RATE_SECOND };
	r.limit_burst = 5;
	r.target = TARGET_LOG;
	snprintf(r.log_prefix, sizeof(r.log_prefix), "Illegal port 25 > ");
	is_str(fmt(&r),
	       "-A SMTPGUARD-wlan -i eth2 -p tcp -m tcp --dport 25 -m recent --rcheck --seconds 60 "
	       "--name SMTPGUARD-wlan --mask 255.255.255.255 --rsource -m limit --limit 1/sec -j LOG "
	       "--log-prefix \"Illegal port 25 > \"",
	       "rcheck + limit + LOG, burst 5 left out");
	r.recent = RECENT_SET;
	r.recent_seconds = 0;
	r.recent_mask_bits = 24;
	r.has_limit = false;
	r.target = TARGET_RETURN;
	is_str(fmt(&r),
	       "-A SMTPGUARD-wlan -i eth2 -p tcp -m tcp --dport 25 -m recent --set --name SMTPGUARD-wlan "
	       "--mask 255.255.255.0 --rsource -j RETURN",
	       "set without seconds, /24 mask");
	r = base(AF_INET, "SMTPGUARD-x");
	r.has_limit = true;
	r.target = TARGET_LOG;
	r.limit = (struct rate){ .count = 10, .unit = RATE_MINUTE };
	r.limit_burst = 3;
	snprintf(r.log_prefix, sizeof(r.log_prefix), "x");
	is_str(fmt(&r), "-A SMTPGUARD-x -m limit --limit 10/min --limit-burst 3 -j LOG --log-prefix x",
	       "per minute, burst shown, plain prefix unquoted");
	r.limit = (struct rate){ .count = 120, .unit = RATE_MINUTE };
	r.limit_burst = 5;
	snprintf(r.log_prefix, sizeof(r.log_prefix), "a_b-9");
	is_str(fmt(&r), "-A SMTPGUARD-x -m limit --limit 2/sec -j LOG --log-prefix a_b-9",
	       "120/minute normalised to 2/sec");
	r.limit = (struct rate){ .count = 7, .unit = RATE_HOUR };
	r.log_prefix[0] = '\0';
	is_str(fmt(&r), "-A SMTPGUARD-x -m limit --limit 7/hour -j LOG", "7/hour, empty prefix left out");
	r.limit = (struct rate){ .count = 1, .unit = RATE_DAY };
	r.limit_burst = 1;
	snprintf(r.log_prefix, sizeof(r.log_prefix), "ab c");
	is_str(fmt(&r), "-A SMTPGUARD-x -m limit --limit 1/day --limit-burst 1 -j LOG --log-prefix \"ab c\"",
	       "1/day");
	r.limit = (struct rate){ .count = 1, .unit = RATE_MINUTE };
	r.limit_burst = 5;
	snprintf(r.log_prefix, sizeof(r.log_prefix), "q\"x%%y'\\");
	is_str(fmt(&r), "-A SMTPGUARD-x -m limit --limit 1/min -j LOG --log-prefix \"q\\\"x%y\\'\\\\\"",
	       "prefix quoting escapes \" ' and backslash");
	is_int(rule_limit_period(&(struct rate){ .count = 1, .unit = RATE_SECOND }), 10000, "1/s period");
	is_int(rule_limit_period(&(struct rate){ .count = 20000, .unit = RATE_SECOND }), 0,
	       "too fast: period 0");
}

static void test_nflog(void)
{
	struct rule r = base(AF_INET, "SMTPGUARD-wlan");

	snprintf(r.in, sizeof(r.in), "eth2");
	ports(&r, PORTS_DST, p25, 1);
	r.target = TARGET_NFLOG;
	snprintf(r.log_prefix, sizeof(r.log_prefix), "Illegal port 25 > ");
	r.nflog_group = 25;
	r.nflog_threshold = 16;
	is_str(fmt(&r),
	       "-A SMTPGUARD-wlan -i eth2 -p tcp -m tcp --dport 25 -j NFLOG --nflog-prefix \"Illegal port 25 > \" "
	       "--nflog-group 25 --nflog-threshold 16",
	       "NFLOG with prefix, group, threshold");
	r.nflog_group = 0;
	r.nflog_threshold = 0;
	snprintf(r.log_prefix, sizeof(r.log_prefix), "x");
	is_str(fmt(&r), "-A SMTPGUARD-wlan -i eth2 -p tcp -m tcp --dport 25 -j NFLOG --nflog-prefix x",
	       "NFLOG group 0 and default threshold left out");
}

static void test_ipv6(void)
{
	struct rule r = base(AF_INET6, "SMTPGUARD-wlan");

	r.has_src = true;
	r.src = ip("2001:db8::1");
	r.has_dst = true;
	r.dst = ip("2001:db8:1::/48");
	snprintf(r.in, sizeof(r.in), "eth2");
	ports(&r, PORTS_DST, p25, 1);
	r.recent = RECENT_UPDATE;
	snprintf(r.recent_name, sizeof(r.recent_name), "SMTPGUARD-wlan");
	r.recent_seconds = 60;
	r.recent_mask_bits = 64;
	r.target = TARGET_DROP;
	is_str(fmt(&r),
	       "-A SMTPGUARD-wlan -s 2001:db8::1/128 -d 2001:db8:1::/48 -i eth2 -p tcp -m tcp --dport 25 "
	       "-m recent --update --seconds 60 --name SMTPGUARD-wlan --mask ffff:ffff:ffff:ffff:: --rsource -j DROP",
	       "IPv6 addresses and /64 recent mask as ip6tables-legacy-save prints them");
}

static void test_small_buffer(void)
{
	struct rule r = base(AF_INET, "SMTPGUARD-wlan");
	char buf[8];

	r.target = TARGET_DROP;
	is_int(rule_format_save(&r, buf, sizeof(buf)), -1, "too small a buffer: -1");
	is_int(strlen(buf) < sizeof(buf), 1, "and the buffer stays terminated");
	is_int(rule_format_save(&r, (char[32]){ 0 }, 32), (int)strlen("-A SMTPGUARD-wlan -j DROP"),
	       "length returned");
}

static void test_ruleset(void)
{
	struct ruleset rs;
	struct rule r;
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	ruleset_init(&rs, AF_INET);
	ok(chain_is_own("SMTPGUARD-FWD") && !chain_is_own("SMTPGUARD-") && !chain_is_own("FORWARD"),
	   "chain_is_own");
	is_int(ruleset_add_chain(&rs, "FORWARD"), -1, "a built-in chain is not an own chain");
	is_int(ruleset_add_chain(&rs, "SMTPGUARD-0123456789abcdefghij"), -1, "29 characters refused");
	is_int(ruleset_add_chain(&rs, CHAIN_FWD), 0, "add own chain");
	is_int(ruleset_add_chain(&rs, CHAIN_FWD), 0, "adding it again");
	is_int(rs.nchains, 1, "is a no-op");
	r = base(AF_INET, "SMTPGUARD-nope");
	r.target = TARGET_DROP;
	ok(ruleset_add_rule(&rs, &r) == NULL, "rule in an unknown chain refused");
	ruleset_add_chain(&rs, "SMTPGUARD-lan");
	r = base(AF_INET, "FORWARD");
	ports(&r, PORTS_EITHER, p25, 1);
	r.target = TARGET_JUMP;
	snprintf(r.jump, sizeof(r.jump), CHAIN_FWD);
	ok(ruleset_add_rule(&rs, &r) != NULL, "jump added");
	r = base(AF_INET, CHAIN_FWD);
	snprintf(r.in, sizeof(r.in), "eth1");
	snprintf(r.out, sizeof(r.out), "eth0");
	r.target = TARGET_JUMP;
	snprintf(r.jump, sizeof(r.jump), "SMTPGUARD-lan");
	ruleset_add_rule(&rs, &r);
	r = base(AF_INET, "SMTPGUARD-lan");
	snprintf(r.in, sizeof(r.in), "eth1");
	ports(&r, PORTS_DST, p25, 1);
	r.has_limit = true;
	r.limit = (struct rate){ .count = 1, .unit = RATE_SECOND };
	r.limit_burst = 5;
	r.target = TARGET_LOG;
	snprintf(r.log_prefix, sizeof(r.log_prefix), "it's 25 > ");
	ruleset_add_rule(&rs, &r);
	is_int(rs.nrules, 3, "three rules");

	f = open_memstream(&text, &len);
	is_int(ruleset_write_restore(&rs, f), 0, "restore written");
	fclose(f);
	is_str(strstr(text, "*filter\n"),
	       "*filter\n"
	       ":SMTPGUARD-FWD - [0:0]\n"
	       ":SMTPGUARD-lan - [0:0]\n"
	       "-I FORWARD 1 -p tcp -m multiport --ports 25 -j SMTPGUARD-FWD\n"
	       "-A SMTPGUARD-FWD -i eth1 -o eth0 -j SMTPGUARD-lan\n"
	       "-A SMTPGUARD-lan -i eth1 -p tcp -m tcp --dport 25 -m limit --limit 1/sec -j LOG --log-prefix \"it\\'s 25 > \"\n"
	       "COMMIT\n",
	       "restore file: chains, jumps inserted, own rules appended");
	free(text);

	f = open_memstream(&text, &len);
	is_int(ruleset_write_sh(&rs, f), 0, "sh written");
	fclose(f);
	is_str(text,
	       "#!/bin/sh\n"
	       "# smtpguard ruleset as iptables-legacy -w commands (smtpguard export --format sh).\n"
	       "set -e\n"
	       "iptables-legacy -w -N SMTPGUARD-FWD 2>/dev/null || iptables-legacy -w -F SMTPGUARD-FWD\n"
	       "iptables-legacy -w -N SMTPGUARD-lan 2>/dev/null || iptables-legacy -w -F SMTPGUARD-lan\n"
	       "iptables-legacy -w -A SMTPGUARD-FWD -i eth1 -o eth0 -j SMTPGUARD-lan\n"
	       "iptables-legacy -w -A SMTPGUARD-lan -i eth1 -p tcp -m tcp --dport 25 -m limit --limit 1/sec -j LOG --log-prefix 'it'\\''s 25 > '\n"
	       "iptables-legacy -w -C FORWARD -p tcp -m multiport --ports 25 -j SMTPGUARD-FWD 2>/dev/null ||\n"
	       "\tiptables-legacy -w -I FORWARD 1 -p tcp -m multiport --ports 25 -j SMTPGUARD-FWD\n",
	       "sh script: chains, own rules, then guarded jump inserts; prefix single-quoted");
	free(text);
	ruleset_free(&rs);
	is_int(rs.nrules + rs.nchains, 0, "freed ruleset is empty");
}

/* Several jumps in one built-in chain keep their order: -I CHAIN 1, 2, ... per chain. */
static void test_restore_positions(void)
{
	static const char *const chains[] = { "FORWARD", "INPUT", "FORWARD" };
	struct ruleset rs;
	struct rule r;
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	ruleset_init(&rs, AF_INET);
	ruleset_add_chain(&rs, CHAIN_FWD);
	for (size_t i = 0; i < 3; i++) {
		r = base(AF_INET, chains[i]);
		r.target = TARGET_JUMP;
		snprintf(r.jump, sizeof(r.jump), CHAIN_FWD);
		snprintf(r.in, sizeof(r.in), "eth%zu", i);
		ruleset_add_rule(&rs, &r);
	}
	f = open_memstream(&text, &len);
	ruleset_write_restore(&rs, f);
	fclose(f);
	is_str(strstr(text, "-I"),
	       "-I FORWARD 1 -i eth0 -j SMTPGUARD-FWD\n"
	       "-I INPUT 1 -i eth1 -j SMTPGUARD-FWD\n"
	       "-I FORWARD 2 -i eth2 -j SMTPGUARD-FWD\n"
	       "COMMIT\n",
	       "jump positions counted per built-in chain");
	free(text);
	ruleset_free(&rs);
}

int main(void)
{
	test_ip_part();
	test_ports();
	test_mac_conntrack();
	test_recent_limit_log();
	test_nflog();
	test_ipv6();
	test_small_buffer();
	test_ruleset();
	test_restore_positions();
	return tap_done();
}
