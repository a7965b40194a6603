/*
 * test_testenv.c - the test seams are read once, from the environment,
 * with their defaults; an empty variable is an unset one; the backend
 * the fake table picks says what it can do through struct fw_ops.
 */
#include <stdlib.h>

#include "fw.h"
#include "tap.h"
#include "testenv.h"

int main(void)
{
	const struct testenv *env;

	setenv("SMTPGUARD_FAKE_TABLE", "/tmp/sg-testenv/table", 1);
	setenv("SMTPGUARD_RUN_DIR", "/tmp/sg-testenv/run", 1);
	setenv("SMTPGUARD_ALTERNATIVES", "", 1);
	setenv("SMTPGUARD_XT_RECENT_DIR", "/tmp/sg-testenv/xt", 1);
	setenv("SMTPGUARD_LOCK_WAIT", "10s", 1);
	unsetenv("XTABLES_LOCKFILE");
	env = testenv();
	is_str(env->fake_table, "/tmp/sg-testenv/table", "SMTPGUARD_FAKE_TABLE");
	is_str(env->run_dir, "/tmp/sg-testenv/run", "SMTPGUARD_RUN_DIR");
	is_str(env->alternatives, "/etc/alternatives", "an empty SMTPGUARD_ALTERNATIVES is the default");
	is_str(env->xt_recent_dir, "/tmp/sg-testenv/xt", "SMTPGUARD_XT_RECENT_DIR");
	is_str(env->xtables_lockfile, "/run/xtables.lock", "no XTABLES_LOCKFILE: iptables' default");
	is_int(env->lock_wait, 10, "a SMTPGUARD_LOCK_WAIT that is not a number is the default");

	setenv("SMTPGUARD_RUN_DIR", "/elsewhere", 1);
	unsetenv("SMTPGUARD_FAKE_TABLE");
	is_str(testenv()->run_dir, "/tmp/sg-testenv/run", "read once: a later change is not seen");
	is_str(fw_fake_table(), "/tmp/sg-testenv/table", "read once: the fake table stays");

	ok(!fw_backend()->kernel, "the fake table's backend is not the kernel");
	ok(fw_backend()->bans != NULL, "it lists bans as iptables does (xt_recent)");
	ok(fw_backend()->counters == NULL, "it has no cheap counter refresh");
	return tap_done();
}
