/*
 * fwdriver.c - drives the firewall backend directly for tests/ns/backend.sh
 * (built by that script against build/libsmtpguard.a), with hand-built
 * rulesets that use every match and target the writer knows.
 *
 *   fwdriver read            the table as read(), iptables-save -c form
 *   fwdriver readown         the rules read_own() gives a text, one a line
 *   fwdriver apply SET       apply ruleset SET (1: every match, 2: one zone changed)
 *   fwdriver remove          apply the empty ruleset
 *   fwdriver format SET      rule_format_save of each rule of SET, as iptables-save prints them
 *   fwdriver fingerprint     the table's fingerprint
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "fw.h"
#include "plan.h"

static struct addr host(const char *text, unsigned prefix)
{
	struct addr a = { .family = AF_INET, .prefix = prefix };

	inet_pton(AF_INET, text, a.bytes);
	return a;
}

static struct rule base(const char *chain)
{
	struct rule r = { .family = AF_INET };

	snprintf(r.chain, sizeof(r.chain), "%s", chain);
	return r;
}

static void add(struct ruleset *rs, const struct rule *r)
{
	if (!ruleset_add_rule(rs, r)) {
		fprintf(stderr, "fwdriver: cannot add a rule to %s\n", r->chain);
		exit(1);
	}
}

static void ports(struct rule *r, enum port_match m, bool neg, uint16_t a, uint16_t b)
{
	r->proto = IPPROTO_TCP;
	r->ports_match = m;
	r->ports_neg = neg;
	r->ports[r->nports++] = a;
	if (b)
		r->ports[r->nports++] = b;
}

/* Set 1: every match and target; set 2: the same with the wlan zone changed. */
static void build(struct ruleset *rs, int set)
{
	static const unsigned char mac[6] = { 0x00, 0x02, 0x2d, 0x11, 0x22, 0x33 };
	struct rule r;

	ruleset_add_chain(rs, "SMTPGUARD-FWD");
	ruleset_add_chain(rs, "SMTPGUARD-IN");
	ruleset_add_chain(rs, "SMTPGUARD-wlan");
	ruleset_add_chain(rs, "SMTPGUARD-lan");

	r = base("FORWARD");
	ports(&r, PORTS_EITHER, false, 25, 587);
	r.target = TARGET_JUMP;
	strcpy(r.jump, "SMTPGUARD-FWD");
	add(rs, &r);
	/* the jumps have the form compile_ruleset gives them: only ports (compile_is_own_jump) */
	r = base("INPUT");
	ports(&r, PORTS_DST, false, 25, 0);
	r.target = TARGET_JUMP;
	strcpy(r.jump, "SMTPGUARD-IN");
	add(rs, &r);

	r = base("SMTPGUARD-FWD");
	strcpy(r.in, "eth2");
	strcpy(r.out, "eth0");
	r.target = TARGET_JUMP;
	strcpy(r.jump, "SMTPGUARD-wlan");
	add(rs, &r);
	r = base("SMTPGUARD-FWD");
	strcpy(r.in, "eth1");
	strcpy(r.out, "eth0");
	r.target = TARGET_JUMP;
	strcpy(r.jump, "SMTPGUARD-lan");
	add(rs, &r);

	r = base("SMTPGUARD-IN");
	r.has_dst = true;
	r.dst = host("192.0.2.65", 32);
	r.target = TARGET_DROP;
	add(rs, &r);

	/* wlan: devices, relays, rate-ban (set 1) or plain block (set 2) */
	r = base("SMTPGUARD-wlan");
	r.has_src = true;
	r.src = host("192.0.2.66", 32);
	r.has_mac = true;
	memcpy(r.mac, mac, 6);
	r.target = TARGET_RETURN;
	add(rs, &r);
	r = base("SMTPGUARD-wlan");
	r.has_dst = true;
	r.dst = host("203.0.113.16", 28);
	ports(&r, PORTS_DST, false, 25, 0);
	r.target = TARGET_ACCEPT;
	add(rs, &r);
	r = base("SMTPGUARD-wlan");
	ports(&r, PORTS_SRC, false, 25, 0);
	r.ctstate = CT_ESTABLISHED | CT_RELATED;
	r.target = TARGET_RETURN;
	add(rs, &r);
	if (set == 1) {
		r = base("SMTPGUARD-wlan");
		ports(&r, PORTS_DST, false, 25, 587);
		r.ctstate = CT_NEW;
		r.recent = RECENT_UPDATE;
		strcpy(r.recent_name, "SMTPGUARD-wlan");
		r.recent_seconds = 60;
		r.recent_mask_bits = 32;
		r.has_limit = true;
		r.limit = (struct rate){ .count = 1, .unit = RATE_SECOND };
		r.limit_burst = 5;
		r.target = TARGET_LOG;
		strcpy(r.log_prefix, "Illegal port 25 > ");
		add(rs, &r);
		r.has_limit = false;
		r.target = TARGET_DROP;
		add(rs, &r);
		r = base("SMTPGUARD-wlan");
		ports(&r, PORTS_DST, false, 25, 587);
		r.ctstate = CT_NEW;
		r.recent = RECENT_SET;
		strcpy(r.recent_name, "SMTPGUARD-wlan");
		r.recent_mask_bits = 32;
		r.target = TARGET_ACCEPT;
		add(rs, &r);
	} else {
		r = base("SMTPGUARD-wlan");
		ports(&r, PORTS_DST, false, 25, 0);
		r.target = TARGET_DROP;
		add(rs, &r);
	}

	/* lan: negations, NFLOG with a group, threshold and limit */
	r = base("SMTPGUARD-lan");
	r.has_dst = true;
	r.dst_neg = true;
	r.dst = host("198.51.100.0", 24);
	ports(&r, PORTS_DST, true, 25, 0);
	r.target = TARGET_RETURN;
	add(rs, &r);
	r = base("SMTPGUARD-lan");
	r.has_src = true;
	r.src_neg = true;
	r.src = host("192.0.2.0", 26);
	r.ctstate = CT_NEW;
	r.ctstate_neg = true;
	r.target = TARGET_RETURN;
	add(rs, &r);
	r = base("SMTPGUARD-lan");
	ports(&r, PORTS_DST, false, 25, 0);
	r.has_limit = true;
	r.limit = (struct rate){ .count = 10, .unit = RATE_MINUTE };
	r.limit_burst = 3;
	r.target = TARGET_NFLOG;
	strcpy(r.log_prefix, "lan \"quoted\" 25");
	r.nflog_group = 25;
	r.nflog_threshold = 4;
	add(rs, &r);
	r = base("SMTPGUARD-lan");
	ports(&r, PORTS_DST, false, 25, 0);
	r.has_limit = true;
	r.limit = (struct rate){ .count = 3, .unit = RATE_HOUR };
	r.limit_burst = 5;
	r.target = TARGET_NFLOG;
	add(rs, &r);
	r = base("SMTPGUARD-lan");
	ports(&r, PORTS_DST, false, 25, 0);
	r.has_limit = true;
	r.limit = (struct rate){ .count = 1, .unit = RATE_DAY };
	r.limit_burst = 1;
	r.target = TARGET_LOG;
	add(rs, &r);
}

int main(int argc, char **argv)
{
	const struct fw_ops *fw = fw_backend();
	struct error err = { 0 };
	struct ruleset rs;
	struct fw_table t;
	struct plan p;
	int set = argc > 2 ? atoi(argv[2]) : 1;

	if (argc < 2) {
		fprintf(stderr, "usage: fwdriver read|readown|apply SET|remove|format SET|fingerprint\n");
		return 2;
	}
	ruleset_init(&rs, AF_INET);
	if (strcmp(argv[1], "read") == 0 || strcmp(argv[1], "fingerprint") == 0) {
		if (fw->read(AF_INET, &t, &err) < 0)
			goto fail;
		if (argv[1][0] == 'r')
			fw_table_write_save(&t, true, stdout);
		else
			printf("%016" PRIx64 "\n", t.fingerprint);
		fw_table_free(&t);
		return 0;
	}
	if (strcmp(argv[1], "readown") == 0) {
		if (fw->read_own(AF_INET, &t, &err) < 0)
			goto fail;
		for (size_t i = 0; i < t.nrules; i++)
			if (*t.rules[i].text)
				puts(t.rules[i].text);
		fw_table_free(&t);
		return 0;
	}
	if (strcmp(argv[1], "format") == 0) {
		char buf[2048];

		build(&rs, set);
		for (size_t i = 0; i < rs.nrules; i++) {
			rule_format_save(&rs.rules[i], buf, sizeof(buf));
			puts(buf);
		}
		ruleset_free(&rs);
		return 0;
	}
	if (strcmp(argv[1], "apply") == 0)
		build(&rs, set);
	else if (strcmp(argv[1], "remove") != 0)
		return 2;
	plan_init(&p);
	if (fw->apply(&rs, &p, &err) < 0)
		goto fail;
	if (plan_empty(&p))
		printf("nothing to change\n");
	else
		plan_write(&p, stdout);
	plan_free(&p);
	ruleset_free(&rs);
	return 0;
fail:
	fprintf(stderr, "fwdriver: %s\n", err.text);
	return 1;
}
