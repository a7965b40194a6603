/*
 * test_guard.c - guard_apply() on the file fake with a real watchdog
 * (SMTPGUARD_RUN_DIR in a temporary directory): unguarded and guarded
 * applies, a rollback, a watchdog that cannot be armed, a conflict that
 * changes nothing (the watchdog stands down) and a half-applied change
 * (the watchdog rolls back at once).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config.h"
#include "guard.h"
#include "tap.h"
#include "testenv.h"

static char dir[64];
static pid_t parent;
static unsigned ipv6_applies;

/* The fake, except that in this process IPv4 commits fail and IPv6 commits after the first. */
static int flaky_apply(const struct ruleset *rs, struct plan *done, struct error *err)
{
	if (getpid() == parent &&
	    (rs->family == AF_INET || (rs->family == AF_INET6 && ipv6_applies++ > 0)))
		return error_set(err, "injected %s failure", rs->family == AF_INET ? "IPv4" : "IPv6");
	return fw_file_ops.apply(rs, done, err);
}

static const struct fw_ops flaky_ops = { .name = "flaky", .read = NULL, .apply = flaky_apply };

/* True when the kernel (the fake) has exactly the own rules of rs. */
static bool in_step(const struct ruleset rs[DUALSTACK_N])
{
	struct plan p[DUALSTACK_N];
	struct error err = { 0 };
	bool same = dualstack_plan(&fw_file_ops, rs, p, &err) == 0 && dualstack_plans_empty(p);

	dualstack_plans_free(p);
	return same;
}

static void test_guard(const struct ruleset rs[DUALSTACK_N], struct ruleset empty[DUALSTACK_N])
{
	struct fw_ops flaky = flaky_ops;
	struct plan done[DUALSTACK_N];
	struct guard g;
	struct error err = { 0 };
	unsigned left = 0;
	char run[128], bad[160];
	FILE *f;

	is_int(guard_apply(&fw_file_ops, rs, 0, done, &g, &err), 0, "unguarded apply%s", err.text);
	ok(g.done == GUARD_APPLIED && g.watchdog < 0 && g.said == WATCHDOG_NONE,
	   "unguarded: applied, no watchdog");
	ok(!dualstack_plans_empty(done) && in_step(rs), "the rules are in");
	dualstack_plans_free(done);

	is_int(guard_apply(&fw_file_ops, empty, 30, done, &g, &err), 0, "guarded remove%s", err.text);
	ok(g.done == GUARD_APPLIED && g.watchdog > 0 && g.said == WATCHDOG_WAITING,
	   "guarded: applied, a watchdog waits");
	ok(watchdog_pending(&left), "a change is pending");
	ok(left > 0 && left <= 30, "the countdown runs (%u s left)", left);
	ok(in_step(empty), "the rules are out");
	dualstack_plans_free(done);
	is_int(watchdog_rollback(g.watchdog, &g.said, &err), 0, "ask the watchdog to roll back");
	is_int(g.said, WATCHDOG_ROLLED_BACK, "it rolled back");
	ok(in_step(rs) && !watchdog_pending(NULL), "the rules are back, nothing pending");

	snprintf(run, sizeof(run), "%s/run", dir);
	snprintf(bad, sizeof(bad), "%s/afile", dir);
	f = fopen(bad, "w");	/* a regular file where the run directory's parent should be */
	if (f)
		fclose(f);
	snprintf(bad, sizeof(bad), "%s/afile/run", dir);
	setenv("SMTPGUARD_RUN_DIR", bad, 1);
	testenv_reload();
	is_int(guard_apply(&fw_file_ops, empty, 30, done, &g, &err), -1, "no run directory: fails");
	ok(g.done == GUARD_NOT_APPLIED && g.watchdog < 0 && strstr(err.text, "cannot create"),
	   "nothing armed, nothing applied: %s", err.text);
	ok(dualstack_plans_empty(done) && in_step(rs), "the rules stay");
	dualstack_plans_free(done);
	setenv("SMTPGUARD_RUN_DIR", run, 1);
	testenv_reload();

	for (size_t i = 0; i < DUALSTACK_N; i++) {
		empty[i].expect_set = true;
		empty[i].expect_own = 1;	/* not the table's: someone changed it meanwhile */
	}
	is_int(guard_apply(&fw_file_ops, empty, 30, done, &g, &err), -1, "a conflict fails");
	is_int(err.code, ERROR_CONFLICT, "its code is kept: %s", err.text);
	ok(g.done == GUARD_NOT_APPLIED && g.watchdog > 0 && g.said == WATCHDOG_CONFIRMED,
	   "nothing changed: the watchdog was stood down");
	ok(!watchdog_pending(NULL) && in_step(rs), "nothing pending, the rules stay");
	dualstack_plans_free(done);
	for (size_t i = 0; i < DUALSTACK_N; i++)
		empty[i].expect_set = false;

	flaky.read = fw_file_ops.read;
	is_int(guard_apply(&flaky, empty, 30, done, &g, &err), -1, "IPv4 and the IPv6 put-back fail");
	ok(g.done == GUARD_HALF_APPLIED && strstr(err.text, "could not be put back"),
	   "half applied: %s", err.text);
	is_int(g.said, WATCHDOG_ROLLED_BACK, "the watchdog was asked to roll back, and did");
	ok(in_step(rs) && !watchdog_pending(NULL), "the rules are back, nothing pending");
	dualstack_plans_free(done);
}

int main(void)
{
	struct ruleset rs[DUALSTACK_N], empty[DUALSTACK_N];
	struct error err = { 0 };
	struct config *cfg;
	char path[160];
	FILE *f;

	parent = getpid();
	snprintf(dir, sizeof(dir), "/tmp/test_guard.XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof(path), "%s/table", dir);
	setenv("SMTPGUARD_FAKE_TABLE", path, 1);
	snprintf(path, sizeof(path), "%s/run", dir);
	setenv("SMTPGUARD_RUN_DIR", path, 1);
	snprintf(path, sizeof(path), "%s/smtpguard.conf", dir);
	f = fopen(path, "w");
	if (!f)
		return 1;
	fputs("[general]\nwan = eth0\nrelays = 203.0.113.10, 2001:db8:113::10\n"
	      "[zone wlan]\ninterface = eth2\nmode = block\n", f);
	fclose(f);
	cfg = config_load(path, &err);
	ok(cfg && config_validate(cfg, &err) == 0 && dualstack_compile(cfg, rs, &err) == 0,
	   "the config compiles%s", err.text);
	for (size_t i = 0; i < DUALSTACK_N; i++)
		ruleset_init(&empty[i], dualstack_families[i]);
	if (cfg)
		test_guard(rs, empty);
	dualstack_rulesets_free(rs);
	dualstack_rulesets_free(empty);
	config_free(cfg);
	for (const char *const *n = (const char *const[]){ "table", "table.6", "table.lock",
							   "table.6.lock", "smtpguard.conf", "afile",
							   "run/watchdog.lock", "run/outcome", "run",
							   NULL };
	     *n; n++) {
		snprintf(path, sizeof(path), "%s/%s", dir, *n);
		remove(path);
	}
	rmdir(dir);
	return tap_done();
}
