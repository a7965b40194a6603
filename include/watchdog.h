/*
 * watchdog.h - the confirm countdown: a change that is not confirmed in
 * time is rolled back, even when smtpguard is killed, the SSH session
 * drops, the wall clock jumps or the xtables lock is busy at the
 * deadline.  guard_apply() (include/guard.h) arms it and applies.
 *
 * watchdog_arm() forks a detached process (its own session, no
 * terminal, SIGHUP ignored) that holds the previous own rulesets in
 * memory and a lock in the run directory, and waits on the monotonic
 * clock.  watchdog_confirm() - from this process or any shell - tells
 * it to stand down; otherwise at the deadline it applies the previous
 * rulesets through the same backend call as every apply (so foreign
 * rules added meanwhile stay), and tries again, with a growing pause
 * (1 s doubling to 30 s), until that commit succeeds; each failed try
 * and the outcome go to syslog.  watchdog_rollback() asks for the
 * rollback now.  Only one change can be pending at a time.
 *
 * The watchdog alone decides (confirmed, or rolled back) and writes
 * its decision and progress to the outcome file; every front end
 * reports what that file says, in the words of watchdog_describe().
 *
 * Run directory: $SMTPGUARD_RUN_DIR or /run/smtpguard (mode 0700):
 *   watchdog.lock  held by the watchdog until its work is over
 *   pending        "pid PID\ndeadline SECONDS\n" (CLOCK_MONOTONIC), as long
 *                  as the lock is held
 *   outcome        "pid PID\nstate WORD\n[error TEXT\n]" of the last watchdog;
 *                  WORD is waiting, confirmed, rolling-back, lock-busy,
 *                  retrying or rolled-back
 */
#ifndef SMTPGUARD_WATCHDOG_H
#define SMTPGUARD_WATCHDOG_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "dualstack.h"
#include "error.h"
#include "fw.h"
#include "rule.h"

enum watchdog_outcome {
	WATCHDOG_NONE,		/* nothing is known of that watchdog */
	WATCHDOG_WAITING,	/* armed, waiting for confirmation */
	WATCHDOG_CONFIRMED,	/* stood down: the change stays */
	WATCHDOG_ROLLING_BACK,	/* rollback decided, the first try under way */
	WATCHDOG_LOCK_BUSY,	/* the last try found the xtables lock busy; it retries */
	WATCHDOG_RETRYING,	/* the last try failed otherwise (why says how); it retries */
	WATCHDOG_ROLLED_BACK,	/* the previous rules are back in the kernel */
	WATCHDOG_GONE,		/* the watchdog ended before the rollback was committed */
};

/*
 * Arm a watchdog that restores previous (both families, as
 * dualstack_snapshot() gives them) through dualstack_apply() on fw
 * unless confirmed within seconds; its pid, or -1 with err.
 */
pid_t watchdog_arm(const struct fw_ops *fw, const struct ruleset previous[DUALSTACK_N],
		   unsigned seconds, struct error *err);

/*
 * Ask the watchdog pid (0: whichever is pending) to stand down, or to roll
 * back now, and wait for its answer in *out: for a confirm CONFIRMED, or
 * a rollback state when it came too late; for a rollback ROLLED_BACK, or
 * how the first try failed.  A watchdog already over only has its outcome
 * read.  On 0, err holds the failed try's error (for RETRYING); -1 with
 * err when none is pending (pid 0) or it cannot be reached.
 */
int watchdog_confirm(pid_t pid, enum watchdog_outcome *out, struct error *err);
int watchdog_rollback(pid_t pid, enum watchdog_outcome *out, struct error *err);

/* What the watchdog pid has decided and done so far; why (may be NULL) gets the last failed try. */
enum watchdog_outcome watchdog_outcome(pid_t pid, struct error *why);
/* True once nothing more will happen: NONE, CONFIRMED, ROLLED_BACK, GONE. */
bool watchdog_outcome_over(enum watchdog_outcome o);
/* The one wording of o for every front end, e.g. "rolling back, the xtables lock is busy; retrying". */
const char *watchdog_describe(enum watchdog_outcome o, const struct error *why, char *buf,
			      size_t size);

/* Whether a change is pending (or being rolled back); *seconds_left (may be NULL) gets the time to the deadline. */
bool watchdog_pending(unsigned *seconds_left);

#endif
