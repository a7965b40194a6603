/*
 * test_compile.c - the policy compiler, config values built in C: the
 * exact rule text for every mode, relays (general, per zone, host names,
 * duplicates), devices, quarantine, protect_gateway, several WANs and
 * ports, NFLOG, IPv6, and the configs it must refuse.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "compile.h"
#include "helpers.h"
#include "tap.h"

static struct relay general_relays[4];
static struct zone zones[4];

/* The example gateway: wan eth0, port 25, relay 203.0.113.10, LOG 1/second burst 5. */
static struct config base_config(void)
{
	struct config c = { .nwan = 1, .nports = 1, .ports = { 25 }, .log_target = LOG_TARGET_LOG,
			    .nflog_group = 25, .log_limit = { .count = 1, .unit = RATE_SECOND },
			    .log_burst = 5, .zones = zones, .relays = general_relays };

	snprintf(c.wan[0], sizeof(c.wan[0]), "eth0");
	snprintf(c.log_prefix, sizeof(c.log_prefix), "Illegal port 25 > ");
	general_relays[0] = relay("203.0.113.10");
	c.nrelays = 1;
	memset(zones, 0, sizeof(zones));
	return c;
}

static struct zone *add_zone(struct config *c, const char *name, const char *iface, enum zone_mode mode)
{
	struct zone *z = &zones[c->nzones++];

	snprintf(z->name, sizeof(z->name), "%s", name);
	snprintf(z->interface, sizeof(z->interface), "%s", iface);
	z->mode = mode;
	z->ban_seconds = 60;
	return z;
}

/* Every rule of the compiled ruleset, one per line; chains on a first line "chains: ...". */
static char *compile_text(const struct config *c, int family)
{
	struct ruleset rs;
	struct error err = { 0 };
	char *text = NULL, line[1024];
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	ruleset_init(&rs, family);
	if (compile_ruleset(c, family, &rs, &err) < 0) {
		fprintf(f, "error: %s\n", err.text);
	} else {
		fprintf(f, "chains:");
		for (size_t i = 0; i < rs.nchains; i++)
			fprintf(f, " %s", rs.chains[i]);
		fputc('\n', f);
		for (size_t i = 0; i < rs.nrules; i++) {
			if (rule_format_save(&rs.rules[i], line, sizeof(line)) < 0)
				fprintf(f, "(overflow)\n");
			else
				fprintf(f, "%s\n", line);
		}
	}
	fclose(f);
	ruleset_free(&rs);
	return text;
}

static void expect(const struct config *c, int family, const char *want, const char *what)
{
	char *got = compile_text(c, family);

	is_str(got, want, "%s", what);
	free(got);
}

static void expect_error(const struct config *c, const char *needle, const char *what)
{
	char *got = compile_text(c, AF_INET);

	ok(strncmp(got, "error: ", 7) == 0 && strstr(got, needle), "%s", what);
	if (!strstr(got, needle))
		printf("#   got: %s#   want an error with: %s\n", got, needle);
	free(got);
}

static void test_block(void)
{
	struct config c = base_config();

	add_zone(&c, "lan", "eth1", MODE_BLOCK);
	expect(&c, AF_INET,
	       "chains: SMTPGUARD-FWD SMTPGUARD-lan\n"
	       "-A FORWARD -p tcp -m multiport --ports 25 -j SMTPGUARD-FWD\n"
	       "-A SMTPGUARD-FWD -i eth1 -o eth0 -j SMTPGUARD-lan\n"
	       "-A SMTPGUARD-FWD -i eth0 -o eth1 -j SMTPGUARD-lan\n"
	       "-A SMTPGUARD-lan -d 203.0.113.10/32 -i eth1 -p tcp -m tcp --dport 25 -j RETURN\n"
	       "-A SMTPGUARD-lan -i eth1 -p tcp -m tcp --dport 25 -j DROP\n"
	       "-A SMTPGUARD-lan -s 203.0.113.10/32 -o eth1 -p tcp -m tcp --sport 25 -j RETURN\n"
	       "-A SMTPGUARD-lan -o eth1 -p tcp -m tcp --sport 25 -j DROP\n",
	       "block: relay passes both ways, the rest dropped both ways");
}

static void test_log(void)
{
	struct config c = base_config();

	add_zone(&c, "lan", "eth1", MODE_LOG);
	expect(&c, AF_INET,
	       "chains: SMTPGUARD-FWD SMTPGUARD-lan\n"
	       "-A FORWARD -p tcp -m multiport --ports 25 -j SMTPGUARD-FWD\n"
	       "-A SMTPGUARD-FWD -i eth1 -o eth0 -j SMTPGUARD-lan\n"
	       "-A SMTPGUARD-FWD -i eth0 -o eth1 -j SMTPGUARD-lan\n"
	       "-A SMTPGUARD-lan -d 203.0.113.10/32 -i eth1 -p tcp -m tcp --dport 25 -j RETURN\n"
	       "-A SMTPGUARD-lan -i eth1 -p tcp -m tcp --dport 25 -m limit --limit 1/sec -j LOG --log-prefix \"Illegal port 25 > \"\n"
	       "-A SMTPGUARD-lan -i eth1 -p tcp -m tcp --dport 25 -j DROP\n"
	       "-A SMTPGUARD-lan -s 203.0.113.10/32 -o eth1 -p tcp -m tcp --sport 25 -j RETURN\n"
	       "-A SMTPGUARD-lan -o eth1 -p tcp -m tcp --sport 25 -j DROP\n",
	       "log: block with a rate-limited LOG just before the outbound DROP");
}

static void test_monitor(void)
{
	struct config c = base_config();

	add_zone(&c, "lan", "eth1", MODE_MONITOR);
	expect(&c, AF_INET,
	       "chains: SMTPGUARD-FWD SMTPGUARD-lan\n"
	       "-A FORWARD -p tcp -m multiport --ports 25 -j SMTPGUARD-FWD\n"
	       "-A SMTPGUARD-FWD -i eth1 -o eth0 -j SMTPGUARD-lan\n"
	       "-A SMTPGUARD-lan -d 203.0.113.10/32 -i eth1 -p tcp -m tcp --dport 25 -j RETURN\n"
	       "-A SMTPGUARD-lan -i eth1 -p tcp -m tcp --dport 25 -m conntrack --ctstate NEW -m limit --limit 1/sec -j LOG --log-prefix \"Illegal port 25 > \"\n",
	       "monitor: new connections logged, nothing dropped, no reply dispatch");
}

static void test_rateban(void)
{
	struct config c = base_config();
	struct zone *z = add_zone(&c, "wlan", "eth2", MODE_RATEBAN);

	z->ban_seconds = 90;
	expect(&c, AF_INET,
	       "chains: SMTPGUARD-FWD SMTPGUARD-wlan\n"
	       "-A FORWARD -p tcp -m multiport --ports 25 -j SMTPGUARD-FWD\n"
	       "-A SMTPGUARD-FWD -i eth2 -o eth0 -j SMTPGUARD-wlan\n"
	       "-A SMTPGUARD-wlan -d 203.0.113.10/32 -i eth2 -p tcp -m tcp --dport 25 -j RETURN\n"
	       "-A SMTPGUARD-wlan -i eth2 -p tcp -m tcp --dport 25 -m conntrack --ctstate RELATED,ESTABLISHED -j RETURN\n"
	       "-A SMTPGUARD-wlan -i eth2 -p tcp -m tcp --dport 25 -m connmark --mark 0x800000/0x800000 -j RETURN\n"
	       "-A SMTPGUARD-wlan -i eth2 -p tcp -m tcp --dport 25 --tcp-flags FIN,SYN,RST,ACK SYN -m recent --rcheck --seconds 90 --name SMTPGUARD-wlan --mask 255.255.255.255 --rsource -m limit --limit 1/sec -j LOG --log-prefix \"Illegal port 25 > \"\n"
	       "-A SMTPGUARD-wlan -i eth2 -p tcp -m tcp --dport 25 --tcp-flags FIN,SYN,RST,ACK SYN -m recent --update --seconds 90 --name SMTPGUARD-wlan --mask 255.255.255.255 --rsource -j DROP\n"
	       "-A SMTPGUARD-wlan -i eth2 -p tcp -m tcp --dport 25 --tcp-flags FIN,SYN,RST,ACK SYN -m recent --set --name SMTPGUARD-wlan --mask 255.255.255.255 --rsource -j CONNMARK --set-xmark 0x800000/0x800000\n",
	       "rateban: article 2 with one recent list per zone");
}

static void test_allow(void)
{
	struct config c = base_config();
	struct zone *z = add_zone(&c, "lan", "eth1", MODE_ALLOW);

	expect(&c, AF_INET, "chains:\n", "allow only: empty ruleset (remove everything)");
	z->protect_gateway = true;
	expect(&c, AF_INET,
	       "chains: SMTPGUARD-IN\n"
	       "-A INPUT -p tcp -m tcp --dport 25 -j SMTPGUARD-IN\n"
	       "-A SMTPGUARD-IN -i eth1 -p tcp -m tcp --dport 25 -j DROP\n",
	       "allow + protect_gateway: only the INPUT side");
}

static void test_devices_quarantine(void)
{
	struct config c = base_config();
	struct zone *z = add_zone(&c, "wlan", "eth2", MODE_ALLOW);
	struct device dev[2] = {
		{ .mac = { 0x00, 0x02, 0x2d, 0x11, 0x22, 0x33 }, .ip = ip("192.0.2.66") },
		{ .mac = { 0x00, 0x06, 0x25, 0xaa, 0xbb, 0xcc }, .ip = ip("192.0.2.67") },
	};
	struct quarantine q[3] = { { .addr = ip("192.0.2.70") }, { .addr = ip("2001:db8::70") },
				   { .is_mac = true, .mac = { 0x00, 0x02, 0x2d, 0x11, 0x22, 0x99 } } };

	z->devices = dev;
	z->ndevices = 2;
	expect(&c, AF_INET,
	       "chains: SMTPGUARD-FWD SMTPGUARD-wlan SMTPGUARD-wlan-MAC\n"
	       "-A FORWARD -j SMTPGUARD-FWD\n"
	       "-A SMTPGUARD-FWD -i eth2 -o eth0 -j SMTPGUARD-wlan\n"
	       "-A SMTPGUARD-wlan -i eth2 -j SMTPGUARD-wlan-MAC\n"
	       "-A SMTPGUARD-wlan-MAC -s 192.0.2.66/32 -m mac --mac-source 00:02:2d:11:22:33 -j RETURN\n"
	       "-A SMTPGUARD-wlan-MAC -s 192.0.2.67/32 -m mac --mac-source 00:06:25:aa:bb:cc -j RETURN\n"
	       "-A SMTPGUARD-wlan-MAC -j DROP\n",
	       "devices in allow mode: unrestricted jump, MAC chain ending in DROP");
	z->quarantine = q;
	z->nquarantine = 2;
	z->mode = MODE_BLOCK;
	expect(&c, AF_INET,
	       "chains: SMTPGUARD-FWD SMTPGUARD-wlan SMTPGUARD-wlan-MAC\n"
	       "-A FORWARD -j SMTPGUARD-FWD\n"
	       "-A SMTPGUARD-FWD -s 192.0.2.70/32 -i eth2 -j DROP\n"
	       "-A SMTPGUARD-FWD -d 192.0.2.70/32 -o eth2 -j DROP\n"
	       "-A SMTPGUARD-FWD -i eth2 -o eth0 -j SMTPGUARD-wlan\n"
	       "-A SMTPGUARD-FWD -i eth0 -o eth2 -j SMTPGUARD-wlan\n"
	       "-A SMTPGUARD-wlan -i eth2 -j SMTPGUARD-wlan-MAC\n"
	       "-A SMTPGUARD-wlan -d 203.0.113.10/32 -i eth2 -p tcp -m tcp --dport 25 -j RETURN\n"
	       "-A SMTPGUARD-wlan -i eth2 -p tcp -m tcp --dport 25 -j DROP\n"
	       "-A SMTPGUARD-wlan -s 203.0.113.10/32 -o eth2 -p tcp -m tcp --sport 25 -j RETURN\n"
	       "-A SMTPGUARD-wlan -o eth2 -p tcp -m tcp --sport 25 -j DROP\n"
	       "-A SMTPGUARD-wlan-MAC -s 192.0.2.66/32 -m mac --mac-source 00:02:2d:11:22:33 -j RETURN\n"
	       "-A SMTPGUARD-wlan-MAC -s 192.0.2.67/32 -m mac --mac-source 00:06:25:aa:bb:cc -j RETURN\n"
	       "-A SMTPGUARD-wlan-MAC -j DROP\n",
	       "quarantine in FWD before any dispatch, then devices, then the mode; IPv6 "
	       "quarantine left out of IPv4");
	z->ndevices = 0;
	z->mode = MODE_MONITOR;
	z->nquarantine = 1;
	expect(&c, AF_INET,
	       "chains: SMTPGUARD-FWD SMTPGUARD-wlan\n"
	       "-A FORWARD -j SMTPGUARD-FWD\n"
	       "-A SMTPGUARD-FWD -s 192.0.2.70/32 -i eth2 -j DROP\n"
	       "-A SMTPGUARD-FWD -d 192.0.2.70/32 -o eth2 -j DROP\n"
	       "-A SMTPGUARD-FWD -i eth2 -o eth0 -j SMTPGUARD-wlan\n"
	       "-A SMTPGUARD-wlan -d 203.0.113.10/32 -i eth2 -p tcp -m tcp --dport 25 -j RETURN\n"
	       "-A SMTPGUARD-wlan -i eth2 -p tcp -m tcp --dport 25 -m conntrack --ctstate NEW -m limit --limit 1/sec -j LOG --log-prefix \"Illegal port 25 > \"\n",
	       "quarantine in monitor mode: FWD drops both directions of every interface pair");
	z->mode = MODE_ALLOW;
	z->quarantine = &q[1];
	z->nquarantine = 2;
	expect(&c, AF_INET,
	       "chains: SMTPGUARD-FWD\n"
	       "-A FORWARD -j SMTPGUARD-FWD\n"
	       "-A SMTPGUARD-FWD -i eth2 -m mac --mac-source 00:02:2d:11:22:99 -j DROP\n",
	       "a MAC quarantine in allow mode: one FWD rule, unrestricted jump, no zone chain");
	expect(&c, AF_INET6,
	       "chains: SMTPGUARD-FWD\n"
	       "-A FORWARD -j SMTPGUARD-FWD\n"
	       "-A SMTPGUARD-FWD -s 2001:db8::70/128 -i eth2 -j DROP\n"
	       "-A SMTPGUARD-FWD -d 2001:db8::70/128 -o eth2 -j DROP\n"
	       "-A SMTPGUARD-FWD -i eth2 -m mac --mac-source 00:02:2d:11:22:99 -j DROP\n",
	       "a MAC quarantine holds in IPv6 too");
}

static void test_wans_ports_relays(void)
{
	struct config c = base_config();
	struct relay zrel[3];
	struct addr resolved[2] = { ip("198.51.100.25"), ip("2001:db8::25") };
	struct zone *z;

	snprintf(c.wan[1], sizeof(c.wan[1]), "ppp0");
	c.nwan = 2;
	c.ports[1] = 587;
	c.nports = 2;
	general_relays[1] = relay("203.0.113.16/28");
	general_relays[2] = (struct relay){ .text = "mail.example.test", .is_name = true,
					    .resolved = resolved, .nresolved = 2, .line = 4 };
	c.nrelays = 3;
	zrel[0] = relay("203.0.113.20");	/* inside 203.0.113.16/28: no second rule */
	zrel[1] = relay("203.0.113.10");	/* a general relay again */
	zrel[2] = relay("192.0.2.200");
	z = add_zone(&c, "lan", "eth1", MODE_BLOCK);
	z->relays = zrel;
	z->nrelays = 3;
	z->protect_gateway = true;
	add_zone(&c, "wlan", "eth2", MODE_ALLOW)->protect_gateway = true;
	expect(&c, AF_INET,
	       "chains: SMTPGUARD-FWD SMTPGUARD-IN SMTPGUARD-lan\n"
	       "-A FORWARD -p tcp -m multiport --ports 25,587 -j SMTPGUARD-FWD\n"
	       "-A INPUT -p tcp -m multiport --dports 25,587 -j SMTPGUARD-IN\n"
	       "-A SMTPGUARD-FWD -i eth1 -o eth0 -j SMTPGUARD-lan\n"
	       "-A SMTPGUARD-FWD -i eth0 -o eth1 -j SMTPGUARD-lan\n"
	       "-A SMTPGUARD-FWD -i eth1 -o ppp0 -j SMTPGUARD-lan\n"
	       "-A SMTPGUARD-FWD -i ppp0 -o eth1 -j SMTPGUARD-lan\n"
	       "-A SMTPGUARD-IN -i eth1 -p tcp -m multiport --dports 25,587 -j DROP\n"
	       "-A SMTPGUARD-IN -i eth2 -p tcp -m multiport --dports 25,587 -j DROP\n"
	       "-A SMTPGUARD-lan -d 203.0.113.10/32 -i eth1 -p tcp -m multiport --dports 25,587 -j RETURN\n"
	       "-A SMTPGUARD-lan -d 203.0.113.16/28 -i eth1 -p tcp -m multiport --dports 25,587 -j RETURN\n"
	       "-A SMTPGUARD-lan -d 198.51.100.25/32 -i eth1 -p tcp -m multiport --dports 25,587 -j RETURN\n"
	       "-A SMTPGUARD-lan -d 192.0.2.200/32 -i eth1 -p tcp -m multiport --dports 25,587 -j RETURN\n"
	       "-A SMTPGUARD-lan -i eth1 -p tcp -m multiport --dports 25,587 -j DROP\n"
	       "-A SMTPGUARD-lan -s 203.0.113.10/32 -o eth1 -p tcp -m multiport --sports 25,587 -j RETURN\n"
	       "-A SMTPGUARD-lan -s 203.0.113.16/28 -o eth1 -p tcp -m multiport --sports 25,587 -j RETURN\n"
	       "-A SMTPGUARD-lan -s 198.51.100.25/32 -o eth1 -p tcp -m multiport --sports 25,587 -j RETURN\n"
	       "-A SMTPGUARD-lan -s 192.0.2.200/32 -o eth1 -p tcp -m multiport --sports 25,587 -j RETURN\n"
	       "-A SMTPGUARD-lan -o eth1 -p tcp -m multiport --sports 25,587 -j DROP\n",
	       "two WANs, two ports, general + zone + resolved relays, duplicates and covered relays once");
	expect(&c, AF_INET6,
	       "chains: SMTPGUARD-FWD SMTPGUARD-IN SMTPGUARD-lan\n"
	       "-A FORWARD -p tcp -m multiport --ports 25,587 -j SMTPGUARD-FWD\n"
	       "-A INPUT -p tcp -m multiport --dports 25,587 -j SMTPGUARD-IN\n"
	       "-A SMTPGUARD-FWD -i eth1 -o eth0 -j SMTPGUARD-lan\n"
	       "-A SMTPGUARD-FWD -i eth0 -o eth1 -j SMTPGUARD-lan\n"
	       "-A SMTPGUARD-FWD -i eth1 -o ppp0 -j SMTPGUARD-lan\n"
	       "-A SMTPGUARD-FWD -i ppp0 -o eth1 -j SMTPGUARD-lan\n"
	       "-A SMTPGUARD-IN -i eth1 -p tcp -m multiport --dports 25,587 -j DROP\n"
	       "-A SMTPGUARD-IN -i eth2 -p tcp -m multiport --dports 25,587 -j DROP\n"
	       "-A SMTPGUARD-lan -d 2001:db8::25/128 -i eth1 -p tcp -m multiport --dports 25,587 -j RETURN\n"
	       "-A SMTPGUARD-lan -i eth1 -p tcp -m multiport --dports 25,587 -j DROP\n"
	       "-A SMTPGUARD-lan -s 2001:db8::25/128 -o eth1 -p tcp -m multiport --sports 25,587 -j RETURN\n"
	       "-A SMTPGUARD-lan -o eth1 -p tcp -m multiport --sports 25,587 -j DROP\n",
	       "IPv6 ruleset: only the IPv6 address of the resolved relay");
	general_relays[2].nresolved = 0;
	expect_error(&c, "relay mail.example.test has no address",
		     "an unresolved relay name is an error naming it");
}

static void test_nflog(void)
{
	struct config c = base_config();

	c.log_target = LOG_TARGET_NFLOG;
	c.nflog_group = 7;
	c.log_limit = (struct rate){ .count = 6, .unit = RATE_MINUTE };
	c.log_burst = 10;
	c.nrelays = 0;
	add_zone(&c, "lan", "eth1", MODE_MONITOR);
	expect(&c, AF_INET,
	       "chains: SMTPGUARD-FWD SMTPGUARD-lan\n"
	       "-A FORWARD -p tcp -m multiport --ports 25 -j SMTPGUARD-FWD\n"
	       "-A SMTPGUARD-FWD -i eth1 -o eth0 -j SMTPGUARD-lan\n"
	       "-A SMTPGUARD-lan -i eth1 -p tcp -m tcp --dport 25 -m conntrack --ctstate NEW -m limit --limit 6/min --limit-burst 10 -j NFLOG --nflog-prefix \"Illegal port 25 > \" --nflog-group 7 --nflog-threshold 16\n",
	       "nflog target with group and threshold 16, rate and burst from the config");
}

static void test_ipv6_rateban_devices(void)
{
	struct config c = base_config();
	struct zone *z = add_zone(&c, "wlan", "eth2", MODE_RATEBAN);
	struct device dev = { .mac = { 0x00, 0x02, 0x2d, 0x11, 0x22, 0x33 }, .ip = ip("192.0.2.66") };
	struct relay zrel = relay("2001:db8:25::/64");

	z->devices = &dev;
	z->ndevices = 1;
	z->relays = &zrel;
	z->nrelays = 1;
	expect(&c, AF_INET6,
	       "chains: SMTPGUARD-FWD SMTPGUARD-wlan SMTPGUARD-wlan-MAC\n"
	       "-A FORWARD -j SMTPGUARD-FWD\n"
	       "-A SMTPGUARD-FWD -i eth2 -o eth0 -j SMTPGUARD-wlan\n"
	       "-A SMTPGUARD-wlan -i eth2 -j SMTPGUARD-wlan-MAC\n"
	       "-A SMTPGUARD-wlan -d 2001:db8:25::/64 -i eth2 -p tcp -m tcp --dport 25 -j RETURN\n"
	       "-A SMTPGUARD-wlan -i eth2 -p tcp -m tcp --dport 25 -m conntrack --ctstate RELATED,ESTABLISHED -j RETURN\n"
	       "-A SMTPGUARD-wlan -i eth2 -p tcp -m tcp --dport 25 -m connmark --mark 0x800000/0x800000 -j RETURN\n"
	       "-A SMTPGUARD-wlan -i eth2 -p tcp -m tcp --dport 25 --tcp-flags FIN,SYN,RST,ACK SYN -m recent --rcheck --seconds 60 --name SMTPGUARD-wlan-IPV6-128 --mask ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff --rsource -m limit --limit 1/sec -j LOG --log-prefix \"Illegal port 25 > \"\n"
	       "-A SMTPGUARD-wlan -i eth2 -p tcp -m tcp --dport 25 --tcp-flags FIN,SYN,RST,ACK SYN -m recent --update --seconds 60 --name SMTPGUARD-wlan-IPV6-128 --mask ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff --rsource -j DROP\n"
	       "-A SMTPGUARD-wlan -i eth2 -p tcp -m tcp --dport 25 --tcp-flags FIN,SYN,RST,ACK SYN -m recent --set --name SMTPGUARD-wlan-IPV6-128 --mask ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff --rsource -j CONNMARK --set-xmark 0x800000/0x800000\n"
	       "-A SMTPGUARD-wlan-MAC -j DROP\n",
	       "IPv6 rateban: /128 mask, IPv6 relays only, no IPv6 device pair so the MAC chain drops all");
}

static void test_refused(void)
{
	struct config c = base_config();
	struct ruleset rs;
	struct error err = { 0 };

	add_zone(&c, "lan", "eth1", MODE_LOG);
	c.log_limit = (struct rate){ .count = 1, .unit = RATE_DAY };
	expect_error(&c, "log_limit 1/day with log_burst 5", "1/day with burst 5 overflows the kernel's limit");
	c.log_burst = 1;
	expect(&c, AF_INET,
	       "chains: SMTPGUARD-FWD SMTPGUARD-lan\n"
	       "-A FORWARD -p tcp -m multiport --ports 25 -j SMTPGUARD-FWD\n"
	       "-A SMTPGUARD-FWD -i eth1 -o eth0 -j SMTPGUARD-lan\n"
	       "-A SMTPGUARD-FWD -i eth0 -o eth1 -j SMTPGUARD-lan\n"
	       "-A SMTPGUARD-lan -d 203.0.113.10/32 -i eth1 -p tcp -m tcp --dport 25 -j RETURN\n"
	       "-A SMTPGUARD-lan -i eth1 -p tcp -m tcp --dport 25 -m limit --limit 1/day --limit-burst 1 -j LOG --log-prefix \"Illegal port 25 > \"\n"
	       "-A SMTPGUARD-lan -i eth1 -p tcp -m tcp --dport 25 -j DROP\n"
	       "-A SMTPGUARD-lan -s 203.0.113.10/32 -o eth1 -p tcp -m tcp --sport 25 -j RETURN\n"
	       "-A SMTPGUARD-lan -o eth1 -p tcp -m tcp --sport 25 -j DROP\n",
	       "1/day with burst 1 fits");
	c.log_limit = (struct rate){ .count = 20000, .unit = RATE_SECOND };
	expect_error(&c, "faster than the kernel's limit match", "20000/second refused");
	c.log_limit = (struct rate){ .count = 1, .unit = RATE_SECOND };
	ruleset_init(&rs, AF_INET);
	is_int(compile_ruleset(&c, AF_PACKET, &rs, &err), -1, "unknown family refused");
	ruleset_free(&rs);
	c.log_limit = (struct rate){ .count = 1, .unit = RATE_DAY };
	c.log_burst = 5;
	ruleset_init(&rs, AF_INET);
	compile_ruleset(&c, AF_INET, &rs, &err);
	is_int(err.code, EXIT_USAGE, "a limit the kernel cannot hold is a config error (exit 2)");
	ruleset_free(&rs);
}

/* ban_prefix6: the IPv6 rateban mask follows the zone's key; IPv4 always bans the host. */
static void test_ban_prefix6(void)
{
	struct config c = base_config();
	struct zone *z = add_zone(&c, "wlan", "eth2", MODE_RATEBAN);
	char *v6, *v4;

	z->ban_prefix6 = 56;
	v6 = compile_text(&c, AF_INET6);
	v4 = compile_text(&c, AF_INET);
	ok(v6 && strstr(v6, "--mask ffff:ffff:ffff:ff00:: --rsource") != NULL, "ban_prefix6 = 56 bans the /56");
	ok(v4 && strstr(v4, "--mask 255.255.255.255 --rsource") != NULL, "IPv4 still bans the host");
	free(v6);
	free(v4);
	z->ban_prefix6 = 0;
	v6 = compile_text(&c, AF_INET6);
	ok(v6 && strstr(v6, "--mask ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff --rsource") != NULL, "unset: the host (/128)");
	free(v6);
}

static void test_zone_chain(void)
{
	char buf[CHAIN_NAME_MAX + 1];

	compile_zone_chain("abcdefghijkl", buf);
	is_str(buf, "SMTPGUARD-abcdefghijkl", "zone chain name of a 12-character zone");
}

int main(void)
{
	test_block();
	test_log();
	test_monitor();
	test_rateban();
	test_allow();
	test_devices_quarantine();
	test_wans_ports_relays();
	test_nflog();
	test_ipv6_rateban_devices();
	test_refused();
	test_ban_prefix6();
	test_zone_chain();
	return tap_done();
}
