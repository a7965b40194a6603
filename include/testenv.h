/*
 * testenv.h - the environment variables that point smtpguard at a test
 * sandbox instead of the host, all read here and nowhere else.
 *
 *   SMTPGUARD_FAKE_TABLE=FILE   the file fake backend (core/fw_file.c) instead of
 *                               the kernel's tables; every command says so on stderr
 *   SMTPGUARD_RUN_DIR=DIR       the watchdog's run directory (default /run/smtpguard)
 *   SMTPGUARD_ALTERNATIVES=DIR  where the `iptables` alternative is looked up
 *                               (default /etc/alternatives)
 *   SMTPGUARD_XT_RECENT_DIR=DIR the rate-ban lists (default /proc/net/xt_recent)
 *   SMTPGUARD_SENDMAIL=PATH     the sendmail interface alerts are mailed through
 *                               (default /usr/sbin/sendmail)
 *   SMTPGUARD_LOCK_WAIT=SECS    how long to wait for the xtables lock, 0..3600 (default 10;
 *                               anything else is the default)
 *   XTABLES_LOCKFILE=FILE       the xtables lock (default /run/xtables.lock), as
 *                               iptables itself honours it
 *
 * An empty variable is an unset one.  The values are read once, on the
 * first call of testenv(): main() makes that call before anything else,
 * so every part of one run (CLI and console alike) sees the same seams.
 * Nothing to free; the strings are the environment's.
 */
#ifndef SMTPGUARD_TESTENV_H
#define SMTPGUARD_TESTENV_H

struct testenv {
	const char *fake_table;		/* NULL: the kernel */
	const char *run_dir;
	const char *alternatives;
	const char *xt_recent_dir;
	const char *sendmail;
	const char *xtables_lockfile;
	unsigned lock_wait;		/* seconds */
};

const struct testenv *testenv(void);
/* Read the environment again at the next testenv(): for unit tests that change it between cases. */
void testenv_reload(void);

#endif
