/*
 * guard.h - the guarded apply: the start of every confirm countdown.
 *
 * guard_apply() is the one sequence every front end runs to change the
 * kernel (apply and apply --confirm, the console's y; watch's
 * escalations; both backends): refuse when the other backend holds own
 * rules (fw_backend_exclusive()), snapshot the own rules of
 * both families, arm the rollback watchdog with it (include/watchdog.h),
 * apply both families through the backend (dualstack_apply()), and when
 * that fails: stand the watchdog down if nothing was left changed, else
 * ask it to roll back now and keep its answer.  The watchdog is armed
 * before anything changes, so a kill or hangup at any later point still
 * ends with the snapshot restored.  It prints nothing; the front ends
 * report g.done and g.said in the words of watchdog_describe().
 */
#ifndef SMTPGUARD_GUARD_H
#define SMTPGUARD_GUARD_H

#include <sys/types.h>

#include "dualstack.h"
#include "error.h"
#include "fw.h"
#include "plan.h"
#include "rule.h"
#include "watchdog.h"

/* What guard_apply() did. */
enum guard_done {
	GUARD_NOT_APPLIED,	/* nothing is left changed; no watchdog waits (none armed, or stood down) */
	GUARD_APPLIED,		/* committed; an armed watchdog waits for confirmation */
	GUARD_HALF_APPLIED,	/* the apply failed and left a family changed; an armed
				 * watchdog was asked to roll back now: its answer in said */
};

struct guard {
	pid_t watchdog;			/* the armed watchdog, -1 when none was armed */
	enum guard_done done;
	/*
	 * The watchdog's last answer: WAITING after APPLIED, CONFIRMED after
	 * the stand-down, the rollback's state after HALF_APPLIED (GONE when
	 * it could not be reached); NONE without a watchdog.  why: its failed
	 * try (RETRYING) or why it could not be reached.
	 */
	enum watchdog_outcome said;
	struct error why;
};

/*
 * Make both families' own rules rs through fw, guarded by a watchdog
 * that rolls back unless confirmed within seconds (0: unguarded, no
 * watchdog).  done[] (initialised here; dualstack_plans_free) holds what
 * is in the kernel as changed, as dualstack_apply() says.  0 when
 * applied; -1 with err (the step that failed says so; its code is kept,
 * e.g. ERROR_CONFLICT) and *g saying what was left.
 */
int guard_apply(const struct fw_ops *fw, const struct ruleset rs[DUALSTACK_N], unsigned seconds,
		struct plan done[DUALSTACK_N], struct guard *g, struct error *err);

#endif
