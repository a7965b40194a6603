/* test_plan.c - plan_compute on hand-made tables and rulesets (pure, no kernel). */
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "plan.h"
#include "tap.h"

/* A zone chain with its jump, in two modes: block (one DROP) or monitor (LOG). */
static void ruleset_zone(struct ruleset *rs, const char *mode)
{
	struct rule r = { .family = AF_INET, .chain = "FORWARD", .target = TARGET_JUMP,
			  .jump = "SMTPGUARD-FWD", .proto = IPPROTO_TCP,
			  .ports_match = PORTS_DST, .ports = { 25 }, .nports = 1 };

	ruleset_init(rs, AF_INET);
	ruleset_add_chain(rs, "SMTPGUARD-FWD");
	ruleset_add_chain(rs, "SMTPGUARD-wlan");
	ruleset_add_rule(rs, &r);
	r = (struct rule){ .family = AF_INET, .chain = "SMTPGUARD-FWD", .in = "eth2",
			   .target = TARGET_JUMP, .jump = "SMTPGUARD-wlan" };
	ruleset_add_rule(rs, &r);
	r = (struct rule){ .family = AF_INET, .chain = "SMTPGUARD-wlan", .proto = IPPROTO_TCP,
			   .ports_match = PORTS_DST, .ports = { 25 }, .nports = 1,
			   .has_dst = true, .target = TARGET_ACCEPT };
	r.dst = (struct addr){ .family = AF_INET, .bytes = { 203, 0, 113, 10 }, .prefix = 32 };
	ruleset_add_rule(rs, &r);
	r.has_dst = false;
	if (strcmp(mode, "block") == 0) {
		r.target = TARGET_DROP;
	} else {
		r.target = TARGET_LOG;
		strcpy(r.log_prefix, "Illegal port 25 > ");
	}
	ruleset_add_rule(rs, &r);
	r.target = TARGET_RETURN;
	ruleset_add_rule(rs, &r);
}

/* The table apply would leave for rs, with a foreign chain and foreign rules around it. */
static void table_of(struct fw_table *t, const struct ruleset *rs, bool jump_second)
{
	char text[1024];

	memset(t, 0, sizeof(*t));
	t->family = AF_INET;
	fw_table_add_chain(t, "INPUT", "ACCEPT", 10, 1000, false);
	fw_table_add_chain(t, "FORWARD", "DROP", 0, 0, false);
	fw_table_add_chain(t, "OUTPUT", "ACCEPT", 0, 0, false);
	fw_table_add_chain(t, "FOREIGN", "-", 0, 0, false);
	fw_table_insert_rule(t, 1, SIZE_MAX, "-A FORWARD -j FOREIGN", 7, 70);
	fw_table_insert_rule(t, 3, SIZE_MAX, "-A FOREIGN -p tcp -m tcp --dport 22 -j ACCEPT", 1, 60);
	for (size_t c = 0; c < rs->nchains; c++)
		fw_table_add_chain(t, rs->chains[c], "-", 0, 0, true);
	for (size_t i = 0; i < rs->nrules; i++) {
		const struct fw_chain *ch = fw_table_chain(t, rs->rules[i].chain);

		rule_format_save(&rs->rules[i], text, sizeof(text));
		fw_table_insert_rule(t, (size_t)(ch - t->chains),
				     chain_is_own(ch->name) ? SIZE_MAX : (size_t)jump_second, text, 3, 180);
	}
	fw_table_finish(t);
}

static bool plan_mentions(const struct plan *p, const char *what)
{
	for (size_t i = 0; i < p->nlines; i++)
		if (strstr(p->lines[i].text, what))
			return true;
	return false;
}

static size_t plan_count(const struct plan *p, char op)
{
	size_t n = 0;

	for (size_t i = 0; i < p->nlines; i++)
		n += p->lines[i].op == op;
	return n;
}

int main(void)
{
	struct ruleset block, monitor, empty;
	struct fw_table t, none = { 0 };
	struct plan p;
	struct error err = { 0 };
	char *text = NULL;
	size_t len = 0;
	FILE *mem;

	ruleset_zone(&block, "block");
	ruleset_zone(&monitor, "monitor");
	ruleset_init(&empty, AF_INET);

	/* No change: the table already holds the ruleset. */
	table_of(&t, &block, false);
	plan_init(&p);
	ok(plan_compute(&t, &block, &p, &err) == 0, "plan of an applied ruleset computes");
	ok(plan_empty(&p), "an applied ruleset plans nothing");
	is_int(p.nlines, 0, "no lines");
	plan_free(&p);

	/* A zone's mode changes: exactly that chain is rebuilt, only the differing rule listed. */
	plan_init(&p);
	plan_compute(&t, &monitor, &p, &err);
	ok(!plan_empty(&p), "a mode change is a change");
	is_int(p.nrebuild, 1, "one chain rebuilt");
	is_str(p.nrebuild ? p.rebuild[0] : NULL, "SMTPGUARD-wlan", "the zone's chain is rebuilt");
	is_int(p.ndrop, 0, "no chain dropped");
	ok(!p.jumps_change, "jumps stay");
	is_int(plan_count(&p, '-'), 1, "one rule removed");
	is_int(plan_count(&p, '+'), 1, "one rule added");
	ok(plan_mentions(&p, "-j LOG --log-prefix \"Illegal port 25 > \""), "the LOG rule is added");
	ok(!plan_mentions(&p, "203.0.113.10"), "unchanged relay rule not listed");
	ok(!plan_mentions(&p, "FOREIGN") && !plan_mentions(&p, "--dport 22"),
	   "foreign chain and rules are never in the plan");
	mem = open_memstream(&text, &len);
	plan_write(&p, mem);
	fclose(mem);
	ok(strstr(text, "- -A SMTPGUARD-wlan -p tcp -m tcp --dport 25 -j DROP\n") != NULL,
	   "plan_write prints removed rules with '- '");
	ok(strstr(text, "\n1 rule added, 1 removed, 0 chains created, 0 deleted\n") != NULL,
	   "plan_write ends with the summary");
	free(text);
	plan_free(&p);

	/* Removal: every own chain dropped, the jump deleted, foreign untouched. */
	plan_init(&p);
	plan_compute(&t, &empty, &p, &err);
	is_int(p.ndrop, 2, "both own chains dropped");
	ok(p.jumps_change, "the jump goes");
	is_int(plan_count(&p, 'X'), 2, "two chain deletions listed");
	is_int(plan_count(&p, '+'), 0, "nothing added");
	ok(!plan_mentions(&p, "FOREIGN"), "removal leaves foreign rules out of the plan");
	plan_free(&p);
	fw_table_free(&t);

	/* From nothing: chains created before rules, jump added. */
	fw_table_add_chain(&none, "INPUT", "ACCEPT", 0, 0, false);
	fw_table_add_chain(&none, "FORWARD", "ACCEPT", 0, 0, false);
	fw_table_add_chain(&none, "OUTPUT", "ACCEPT", 0, 0, false);
	fw_table_finish(&none);
	plan_init(&p);
	plan_compute(&none, &block, &p, &err);
	is_int(p.nrebuild, 2, "both chains created");
	is_int(plan_count(&p, ':'), 2, "two chain creations listed");
	ok(p.nlines && p.lines[0].op == ':', "a chain is created before its rules");
	ok(p.jumps_change, "the jump is added");
	is_int(plan_count(&p, '+'), 5, "every rule added");
	plan_free(&p);
	fw_table_free(&none);

	/* A plan shown, then someone changed the own rules: the commit-time plan refuses. */
	table_of(&t, &block, false);
	plan_init(&p);
	plan_compute(&t, &monitor, &p, &err);
	monitor.expect_set = true;
	monitor.expect_own = p.base_own;
	plan_free(&p);
	plan_init(&p);
	ok(plan_compute(&t, &monitor, &p, &err) == 0, "the table planned against: the commit goes ahead");
	plan_free(&p);
	fw_table_free(&t);
	table_of(&t, &monitor, false);	/* another smtpguard applied monitor meanwhile */
	plan_init(&p);
	ok(plan_compute(&t, &monitor, &p, &err) < 0, "own rules changed since the plan: refused");
	is_int(err.code, ERROR_CONFLICT, "reported as a conflict");
	ok(strstr(err.text, "changed since this plan was shown") != NULL, "the sentence says why");
	plan_free(&p);
	fw_table_free(&t);
	table_of(&t, &block, true);	/* only a foreign rule inserted above the jump: own rules moved */
	plan_init(&p);
	ok(plan_compute(&t, &monitor, &p, &err) < 0, "a jump pushed down by a foreign rule is a change too");
	plan_free(&p);
	fw_table_free(&t);
	monitor.expect_set = false;

	/* The jump slipped to position 2 (a foreign rule inserted above it): it moves back to 1. */
	table_of(&t, &block, true);
	ok(t.rules[fw_table_chain(&t, "FORWARD")->first + 1].own, "setup: the jump is rule 2");
	plan_init(&p);
	plan_compute(&t, &block, &p, &err);
	ok(p.jumps_change, "a jump at position 2 is a change");
	is_int(p.nrebuild, 0, "no chain rebuilt for a moved jump");
	is_int(plan_count(&p, '-'), 1, "the old jump is deleted");
	is_int(plan_count(&p, '+'), 1, "the jump is inserted again");
	ok(!plan_mentions(&p, "-j FOREIGN"), "the foreign rule above it stays out of the plan");
	plan_free(&p);
	fw_table_free(&t);

	ruleset_free(&block);
	ruleset_free(&monitor);
	ruleset_free(&empty);
	return tap_done();
}
