/* testenv.c - the test seams of the environment, read in one place; see include/testenv.h. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "testenv.h"

#define TESTENV_LOCK_WAIT_MAX 3600

static const char *testenv_path(const char *name, const char *fallback)
{
	const char *v = getenv(name);

	return v && *v ? v : fallback;
}

static unsigned testenv_seconds(const char *name, unsigned fallback)
{
	const char *s = getenv(name);
	char *end;
	unsigned long v;

	if (!s || !*s)
		return fallback;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > TESTENV_LOCK_WAIT_MAX)
		return fallback;
	return (unsigned)v;
}

static bool loaded;

void testenv_reload(void)
{
	loaded = false;
}

const struct testenv *testenv(void)
{
	static struct testenv env;

	if (!loaded) {
		env = (struct testenv){
			.fake_table = testenv_path("SMTPGUARD_FAKE_TABLE", NULL),
			.run_dir = testenv_path("SMTPGUARD_RUN_DIR", "/run/smtpguard"),
			.alternatives = testenv_path("SMTPGUARD_ALTERNATIVES", "/etc/alternatives"),
			.xt_recent_dir = testenv_path("SMTPGUARD_XT_RECENT_DIR", "/proc/net/xt_recent"),
			.sendmail = testenv_path("SMTPGUARD_SENDMAIL", "/usr/sbin/sendmail"),
			.xtables_lockfile = testenv_path("XTABLES_LOCKFILE", "/run/xtables.lock"),
			.lock_wait = testenv_seconds("SMTPGUARD_LOCK_WAIT", 10),
		};
		loaded = true;
	}
	return &env;
}
