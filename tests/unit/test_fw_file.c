/*
 * test_fw_file.c - the file fake backend: apply/read round trip, foreign
 * chains, rules and counters kept, own counters kept when unchanged,
 * remove back to the original text, errors with file:line.
 */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fw.h"
#include "plan.h"
#include "helpers.h"
#include "tap.h"

static const char original[] = "*filter\n"
			       ":INPUT ACCEPT [12:3456]\n"
			       ":FORWARD DROP [3:180]\n"
			       ":OUTPUT ACCEPT [0:0]\n"
			       ":AAA - [0:0]\n"
			       ":zz-foreign - [0:0]\n"
			       "[5:300] -A INPUT -i lo -j ACCEPT\n"
			       "[9:540] -A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n"
			       "[2:120] -A FORWARD -i eth1 -j zz-foreign\n"
			       "[0:0] -A AAA -m comment --comment \"keep -j SMTPGUARD-x me\" -j RETURN\n"
			       "[1:60] -A zz-foreign -p tcp -m tcp --dport 22 -j ACCEPT\n"
			       "COMMIT\n";

static char path[256];

/* A forward jump and one zone chain whose last rule depends on mode. */
static void ruleset_zone(struct ruleset *rs, enum rule_target last)
{
	struct rule r = { .chain = "FORWARD", .proto = IPPROTO_TCP, .ports_match = PORTS_DST,
			  .ports = { 25 }, .nports = 1, .target = TARGET_JUMP,
			  .jump = "SMTPGUARD-FWD" };

	ruleset_init(rs, AF_INET);
	ruleset_add_chain(rs, "SMTPGUARD-FWD");
	ruleset_add_chain(rs, "SMTPGUARD-wlan");
	ruleset_add_rule(rs, &r);
	r = (struct rule){ .chain = "SMTPGUARD-FWD", .in = "eth2", .target = TARGET_JUMP,
			   .jump = "SMTPGUARD-wlan" };
	ruleset_add_rule(rs, &r);
	r = (struct rule){ .chain = "SMTPGUARD-wlan", .proto = IPPROTO_TCP,
			   .ports_match = PORTS_DST, .ports = { 25 }, .nports = 1, .target = last };
	ruleset_add_rule(rs, &r);
}

/* The counters of the first rule whose text contains what, as "p:b", or "none". */
static const char *counters_of(const struct fw_table *t, const char *what)
{
	static char buf[64];

	for (size_t i = 0; i < t->nrules; i++) {
		if (strstr(t->rules[i].text, what)) {
			snprintf(buf, sizeof(buf), "%llu:%llu", (unsigned long long)t->rules[i].packets,
				 (unsigned long long)t->rules[i].bytes);
			return buf;
		}
	}
	return "none";
}

int main(void)
{
	const struct fw_ops *fw;
	struct ruleset drop, accept, empty;
	struct fw_table t;
	struct plan p;
	struct error err = { 0 };
	char *text, *after_first, *dir = strdup("/tmp/test_fw_file.XXXXXX");
	const struct fw_chain *fwd;

	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof(path), "%s/table", dir);
	setenv("SMTPGUARD_FAKE_TABLE", path, 1);
	fw = fw_backend();
	is_str(fw->name, "file", "SMTPGUARD_FAKE_TABLE selects the fake");
	ruleset_zone(&drop, TARGET_DROP);
	ruleset_zone(&accept, TARGET_ACCEPT);
	ruleset_init(&empty, AF_INET);

	/* A missing file is an empty table. */
	ok(fw->read(AF_INET, &t, &err) == 0, "reading a missing file works");
	is_int(t.nchains, 3, "three built-in chains");
	is_int(t.nrules, 0, "no rules");
	fw_table_free(&t);

	/* Apply onto a table with foreign chains, rules and counters. */
	spit(path, original);
	plan_init(&p);
	ok(fw->apply(&drop, &p, &err) == 0, "apply works: %s", err.text);
	ok(!plan_empty(&p) && p.nrebuild == 2, "apply reports what it did");
	plan_free(&p);
	ok(fw->read(AF_INET, &t, &err) == 0, "read after apply");
	fwd = fw_table_chain(&t, "FORWARD");
	ok(fwd && t.rules[fwd->first].own, "the jump is rule 1 of FORWARD");
	is_str(counters_of(&t, "-A FORWARD -m conntrack"), "9:540", "foreign rule counters kept");
	is_str(counters_of(&t, "-A zz-foreign"), "1:60", "foreign chain counters kept");
	ok(fw_table_chain(&t, "FORWARD")->packets == 3, "policy counters kept");
	is_str(counters_of(&t, "-j SMTPGUARD-FWD"), "0:0", "the new jump has [0:0]");
	ok(!t.rules[fw_table_chain(&t, "AAA")->first].own, "a quoted -j in a comment is not a jump");
	is_str(t.chains[3].name, "AAA", "user chains stay sorted: AAA");
	is_str(t.chains[4].name, "SMTPGUARD-FWD", "new chains go where libiptc puts them");
	is_str(t.chains[6].name, "zz-foreign", "... before zz-foreign");
	fw_table_free(&t);

	/* The fingerprint ignores counters but not rules. */
	{
		uint64_t before;
		char *changed;

		fw->read(AF_INET, &t, &err);
		before = t.fingerprint;
		fw_table_free(&t);
		text = slurp(path);
		changed = strstr(text, "[9:540]");
		ok(changed != NULL, "setup: a foreign rule's counters");
		if (changed)
			memcpy(changed, "[8:540]", 7);
		spit(path, text);
		fw->read(AF_INET, &t, &err);
		ok(t.fingerprint == before, "the fingerprint ignores counters");
		fw_table_free(&t);
		if ((changed = strstr(text, "--dport 22")))
			changed[9] = '3';
		spit(path, text);
		fw->read(AF_INET, &t, &err);
		ok(t.fingerprint != before, "the fingerprint changes with a rule");
		fw_table_free(&t);
		if (changed)
			changed[9] = '2';
		if ((changed = strstr(text, "[8:540]")))
			memcpy(changed, "[9:540]", 7);
		spit(path, text);
		free(text);
	}

	/* Round trip: the text written is the text read back. */
	text = slurp(path);
	fw->read(AF_INET, &t, &err);
	{
		char *again = NULL;
		size_t len = 0;
		FILE *mem = open_memstream(&again, &len);

		fw_table_write_save(&t, true, mem);
		fclose(mem);
		is_str(again, text, "read then write_save reproduces the file");
		free(again);
	}
	fw_table_free(&t);

	/* Traffic on an own rule; the same ruleset again changes nothing and keeps it. */
	{
		char *hit = strstr(text, "[0:0] -A SMTPGUARD-wlan");
		char *fwd_hit = strstr(text, "[0:0] -A SMTPGUARD-FWD");

		ok(hit && fwd_hit, "setup: the own rules are in the file");
		if (hit && fwd_hit) {
			memcpy(hit, "[7:7]", 5);
			memcpy(fwd_hit, "[4:4]", 5);
			spit(path, text);
		}
	}
	free(text);
	after_first = slurp(path);
	plan_init(&p);
	ok(fw->apply(&drop, &p, &err) == 0 && plan_empty(&p), "the same ruleset again is a no-op");
	plan_free(&p);
	text = slurp(path);
	is_str(text, after_first, "a no-op apply leaves the file byte for byte");
	free(text);

	/* A mode change rebuilds the zone chain only: its counters reset, the others kept. */
	plan_init(&p);
	fw->apply(&accept, &p, &err);
	is_int(p.nrebuild, 1, "a mode change rebuilds one chain");
	plan_free(&p);
	fw->read(AF_INET, &t, &err);
	is_str(counters_of(&t, "-A SMTPGUARD-wlan"), "0:0", "the rebuilt chain starts at [0:0]");
	is_str(counters_of(&t, "-A SMTPGUARD-wlan -p tcp -m tcp --dport 25 -j ACCEPT"), "0:0",
	       "with the new rule");
	is_str(counters_of(&t, "-A SMTPGUARD-FWD"), "4:4", "an unchanged own chain keeps its counters");
	is_str(counters_of(&t, "-A FORWARD -m conntrack"), "9:540", "foreign counters still kept");
	fw_table_free(&t);

	/* Remove: back to the original text. */
	plan_init(&p);
	ok(fw->apply(&empty, &p, &err) == 0 && p.ndrop == 2, "remove drops both chains");
	plan_free(&p);
	text = slurp(path);
	is_str(text, original, "after remove the file is the original, byte for byte");
	free(text);
	free(after_first);

	/* A malformed line is an error with file:line. */
	spit(path, "*filter\n:INPUT ACCEPT [0:0]\n-A NOPE -j DROP\nCOMMIT\n");
	ok(fw->read(AF_INET, &t, &err) < 0, "a rule of an unknown chain is refused");
	ok(strstr(err.text, ":3: ") != NULL, "the error names line 3: %s", err.text);
	spit(path, "*filter\n:INPUT ACCEPT [x:0]\nCOMMIT\n");
	ok(fw->read(AF_INET, &t, &err) < 0 && strstr(err.text, ":2: "), "bad counters refused at line 2");

	unlink(path);
	snprintf(path, sizeof(path), "%s/table.lock", dir);
	unlink(path);
	rmdir(dir);
	free(dir);
	ruleset_free(&drop);
	ruleset_free(&accept);
	ruleset_free(&empty);
	return tap_done();
}
