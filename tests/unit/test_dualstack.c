/*
 * test_dualstack.c - both families as one change, on the file fake
 * (PATH for IPv4, PATH.6 for IPv6): compile, apply, plan, snapshot,
 * remove; IPv6 commits first and is put back when IPv4 fails; the
 * nftables warning of backend_detect.h from given facts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "backend_detect.h"
#include "config.h"
#include "dualstack.h"
#include "helpers.h"
#include "tap.h"

static char dir[64], path4[128], path6[128];

static struct config *load(const char *text)
{
	char conf[160];
	struct error err = { 0 };
	struct config *cfg;

	snprintf(conf, sizeof(conf), "%s/smtpguard.conf", dir);
	spit(conf, text);
	cfg = config_load(conf, &err);
	if (!cfg || config_validate(cfg, &err) < 0 || config_resolve(cfg, &err) < 0) {
		printf("# config: %s\n", err.text);
		config_free(cfg);
		return NULL;
	}
	return cfg;
}

static const char conf_text[] = "[general]\n"
				"wan = eth0\n"
				"ports = 25\n"
				"relays = 203.0.113.10, 2001:db8:113::10\n"
				"[zone wlan]\n"
				"interface = eth2\n"
				"mode = rateban\n"
				"quarantine = 2001:db8:2::70\n";

static void test_apply_both(const struct config *cfg)
{
	const struct fw_ops *fw = &fw_file_ops;
	struct ruleset rs[DUALSTACK_N], prev[DUALSTACK_N];
	struct plan done[DUALSTACK_N], again[DUALSTACK_N];
	struct error err = { 0 };
	char *t4, *t6;

	is_int(dualstack_compile(cfg, rs, &err), 0, "both families compile");
	is_int(rs[0].family, AF_INET, "the first ruleset is IPv4");
	is_int(rs[1].family, AF_INET6, "the second is IPv6");
	is_int(dualstack_apply(fw, rs, done, &err), 0, "apply both%s%s", *err.text ? ": " : "", err.text);
	ok(!plan_empty(&done[0]) && !plan_empty(&done[1]), "each family's plan changed something");
	t4 = slurp(path4);
	t6 = slurp(path6);
	ok(strstr(t4, "-A SMTPGUARD-wlan -d 203.0.113.10/32") && !strstr(t4, "2001:db8"),
	   "the IPv4 file holds the IPv4 rules only");
	ok(strstr(t6, "-A SMTPGUARD-FWD -s 2001:db8:2::70/128 -i eth2 -j DROP") &&
		   strstr(t6, "--mask ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff --rsource") && !strstr(t6, "203.0.113"),
	   "the IPv6 file holds the IPv6 rules, rate-ban by host");
	free(t4);
	free(t6);
	is_int(dualstack_plan(fw, rs, again, &err), 0, "plan both");
	ok(dualstack_plans_empty(again), "right after apply both families are in step");
	dualstack_plans_free(again);
	is_int(dualstack_snapshot(fw, prev, &err), 0, "snapshot both%s%s", *err.text ? ": " : "", err.text);
	is_int(prev[1].nrules, rs[1].nrules, "the IPv6 snapshot holds every own IPv6 rule");
	dualstack_rulesets_free(prev);
	dualstack_plans_free(done);
	dualstack_rulesets_free(rs);
}

/*
 * IPv6 commits first.  An unreadable IPv4 file: the IPv4 commit fails
 * after IPv6 changed, and IPv6 is put back.  An unreadable IPv6 file:
 * nothing changes.
 */
static void test_second_fails(void)
{
	const struct fw_ops *fw = &fw_file_ops;
	struct ruleset empty[DUALSTACK_N];
	struct plan done[DUALSTACK_N];
	struct error err = { 0 };
	char *four = slurp(path4), *six = slurp(path6), *after;

	for (size_t i = 0; i < DUALSTACK_N; i++)
		ruleset_init(&empty[i], dualstack_families[i]);
	spit(path4, "*filter\n:INPUT ACCEPT [0:0]\nthis is not a rule\nCOMMIT\n");
	is_int(dualstack_apply(fw, empty, done, &err), -1, "remove fails when IPv4 cannot be read");
	ok(strstr(err.text, "/table:3:") && strstr(err.text, "the IPv6 rules were left as they were"),
	   "the error names the IPv4 file and says IPv6 was put back: %s", err.text);
	after = slurp(path6);
	is_str(after, six, "the IPv6 table is as it was before");
	ok(plan_empty(&done[0]) && plan_empty(&done[1]), "done reports no change");
	free(after);
	spit(path4, four);

	spit(path6, "*filter\n:INPUT ACCEPT [0:0]\nthis is not a rule\nCOMMIT\n");
	is_int(dualstack_apply(fw, empty, done, &err), -1, "remove fails when IPv6 cannot be read");
	ok(strstr(err.text, "/table.6:3:") != NULL, "the error names the IPv6 file: %s", err.text);
	after = slurp(path4);
	is_str(after, four, "IPv4 was not touched");
	free(after);
	spit(path6, six);

	is_int(dualstack_apply(fw, empty, done, &err), 0, "with the files repaired, remove works");
	after = slurp(path4);
	ok(!strstr(after, "SMTPGUARD"), "remove cleared IPv4");
	free(after);
	after = slurp(path6);
	ok(!strstr(after, "SMTPGUARD"), "and IPv6");
	free(after);
	dualstack_plans_free(done);
	dualstack_rulesets_free(empty);
	free(four);
	free(six);
}

static void test_warning(void)
{
	struct backend_facts f = { 0 };
	char buf[ERROR_TEXT_MAX];

	ok(!backend_nft_in_use(&f), "no facts: nftables not in use");
	is_str(backend_warning(&f, buf, sizeof(buf)), "", "no warning");
	snprintf(f.alternative, sizeof(f.alternative), "iptables-nft");
	f.alternative_nft = true;
	ok(backend_nft_in_use(&f), "the nft alternative means nftables is in use");
	is_str(backend_warning(&f, buf, sizeof(buf)), "",
	       "no warning while the tables could not be listed (no privileges)");
	f.nft_queried = true;
	f.nnft = 2;
	snprintf(f.nft[0].family, sizeof(f.nft[0].family), "ip");
	snprintf(f.nft[0].name, sizeof(f.nft[0].name), "filter");
	f.nft[0].rules = 3;
	snprintf(f.nft[1].family, sizeof(f.nft[1].family), "inet");
	snprintf(f.nft[1].name, sizeof(f.nft[1].name), "empty");
	f.nft_rules = 3;
	is_str(backend_warning(&f, buf, sizeof(buf)),
	       "warning: nftables filters on this host too (iptables is iptables-nft; nft tables "
	       "with rules: ip filter); smtpguard's rules are in the legacy iptables tables "
	       "(iptables-legacy -S and ip6tables-legacy -S show them): the kernel evaluates both, "
	       "and a drop in either wins",
	       "the warning names the alternative and the tables with rules, in one line");
	f.alternative_nft = false;
	f.nft_rules = 0;
	f.nft[0].rules = 0;
	ok(!backend_nft_in_use(&f), "legacy alternative and empty nft tables: not in use");
}

int main(void)
{
	struct config *cfg;

	snprintf(dir, sizeof(dir), "/tmp/test_dualstack.XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	snprintf(path4, sizeof(path4), "%s/table", dir);
	snprintf(path6, sizeof(path6), "%s/table.6", dir);
	setenv("SMTPGUARD_FAKE_TABLE", path4, 1);
	cfg = load(conf_text);
	ok(cfg != NULL, "the config loads");
	if (cfg) {
		test_apply_both(cfg);
		test_second_fails();
	}
	test_warning();
	config_free(cfg);
	for (const char *const *n = (const char *const[]){ "table", "table.6", "table.lock",
							   "table.6.lock", "smtpguard.conf", NULL };
	     *n; n++) {
		char p[200];

		snprintf(p, sizeof(p), "%s/%s", dir, *n);
		unlink(p);
	}
	rmdir(dir);
	return tap_done();
}
