/*
 * xlock.h - the xtables lock: the same flock() on /run/xtables.lock (or
 * $XTABLES_LOCKFILE) that iptables takes, so that our read-modify-commit
 * never interleaves with an iptables command.
 *
 * xlock_acquire() waits up to SMTPGUARD_LOCK_WAIT seconds (default 10;
 * both variables are read in include/testenv.h); on timeout the error
 * (code ERROR_LOCK_BUSY) names the holder when /proc/locks shows it.
 * xlock_release() closes the descriptor, which drops the lock.
 *
 * xlock_hold() takes it for the process until the matching
 * xlock_unhold() (holds nest): meanwhile xlock_acquire() succeeds at once
 * and xlock_release() leaves it held.  A forked child does not hold it.
 */
#ifndef SMTPGUARD_XLOCK_H
#define SMTPGUARD_XLOCK_H

#include <stdbool.h>

#include "error.h"

struct xlock {
	int fd;		/* -1 when not held */
};

int xlock_acquire(struct xlock *l, struct error *err);
void xlock_release(struct xlock *l);
int xlock_hold(struct error *err);
void xlock_unhold(void);
/* Whether this process holds it through xlock_hold(). */
bool xlock_holding(void);

#endif
