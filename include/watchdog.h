/*
 * watchdog.h - confirmed changes: a change that is not confirmed in
 * time is rolled back, even when smtpguard is killed, the SSH session
 * drops or the wall clock jumps.
 *
 * watchdog_arm() forks a detached process (its own session, no
 * terminal, SIGHUP ignored) that holds the previous own ruleset in
 * memory and a lock in the run directory, and waits on the monotonic
 * clock.  watchdog_confirm() - from this process or any shell - tells
 * it to stand down; otherwise at the deadline it applies the previous
 * ruleset through the same backend call as every apply (so foreign
 * rules added meanwhile stay).  watchdog_rollback() asks for the
 * rollback now.  Only one change can be pending at a time.
 *
 * Run directory: $SMTPGUARD_RUN_DIR or /run/smtpguard (mode 0700):
 *   watchdog.lock  held by the armed watchdog
 *   pending        "pid PID\ndeadline SECONDS\n" (CLOCK_MONOTONIC)
 */
#ifndef SMTPGUARD_WATCHDOG_H
#define SMTPGUARD_WATCHDOG_H

#include <stdbool.h>
#include <sys/types.h>

#include "dualstack.h"
#include "error.h"
#include "rule.h"

/* Arm a watchdog that restores previous unless confirmed within seconds. */
int watchdog_arm(const struct ruleset *previous, unsigned seconds, struct error *err);
/* The same for both address families (dualstack_snapshot()), restored by dualstack_apply(). */
int watchdog_arm_dualstack(const struct ruleset previous[DUALSTACK_N], unsigned seconds,
			   struct error *err);

/* Confirm the pending change; -1 with err when none is pending. Waits until the watchdog is gone. */
int watchdog_confirm(struct error *err);

/* Roll the pending change back now and wait until it is done; -1 when none is pending. */
int watchdog_rollback(struct error *err);

/* Whether a change is pending; *seconds_left (may be NULL) gets the time to the deadline. */
bool watchdog_pending(unsigned *seconds_left);

#endif
