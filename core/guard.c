/*
 * guard.c - the guarded apply (snapshot, arm, apply, stand down or roll
 * back); see include/guard.h.
 */
#include "guard.h"

/* Arm a watchdog with the own rules as fw has them now; its pid, or -1 with err. */
static pid_t guard_arm(const struct fw_ops *fw, unsigned seconds, struct error *err)
{
	struct ruleset previous[DUALSTACK_N];
	pid_t pid = -1;

	if (dualstack_snapshot(fw, previous, err) == 0)
		pid = watchdog_arm(fw, previous, seconds, err);
	dualstack_rulesets_free(previous);
	return pid;
}

/*
 * Under one hold of the lock (fw_hold): the snapshot, the plans and the
 * commits share one read of each table.  0 applied, 1 not (err filled,
 * done[] as dualstack_apply left it), -1 refused before any change.
 */
static int guard_change(const struct fw_ops *fw, const struct ruleset rs[DUALSTACK_N],
			unsigned seconds, struct plan done[DUALSTACK_N], struct guard *g,
			struct error *err)
{
	for (size_t i = 0; i < DUALSTACK_N; i++)
		plan_init(&done[i]);
	if (fw_hold(err) < 0)
		return -1;
	if (fw_backend_exclusive(fw, err) < 0)
		goto refused;
	if (seconds > 0) {
		g->watchdog = guard_arm(fw, seconds, err);
		if (g->watchdog < 0)
			goto refused;
		g->said = WATCHDOG_WAITING;
	}
	g->done = dualstack_apply(fw, rs, done, err) == 0 ? GUARD_APPLIED : GUARD_NOT_APPLIED;
	fw_unhold();
	return g->done == GUARD_APPLIED ? 0 : 1;
refused:
	fw_unhold();
	return -1;
}

int guard_apply(const struct fw_ops *fw, const struct ruleset rs[DUALSTACK_N], unsigned seconds,
		struct plan done[DUALSTACK_N], struct guard *g, struct error *err)
{
	int rc;

	*g = (struct guard){ .watchdog = -1, .done = GUARD_NOT_APPLIED, .said = WATCHDOG_NONE };
	rc = guard_change(fw, rs, seconds, done, g, err);
	if (rc <= 0)
		return rc;
	g->done = dualstack_plans_empty(done) ? GUARD_NOT_APPLIED : GUARD_HALF_APPLIED;
	if (g->watchdog < 0)
		return -1;
	/* the lock is free again: the watchdog takes it to restore */
	if (g->done == GUARD_NOT_APPLIED) {
		/* nothing changed: stand it down (should that fail, it restores the same rules) */
		watchdog_confirm(g->watchdog, &g->said, &g->why);
	} else if (watchdog_rollback(g->watchdog, &g->said, &g->why) < 0) {
		g->said = WATCHDOG_GONE;
	}
	return -1;
}
