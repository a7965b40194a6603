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

int guard_apply(const struct fw_ops *fw, const struct ruleset rs[DUALSTACK_N], unsigned seconds,
		struct plan done[DUALSTACK_N], struct guard *g, struct error *err)
{
	*g = (struct guard){ .watchdog = -1, .done = GUARD_NOT_APPLIED, .said = WATCHDOG_NONE };
	if (fw_backend_exclusive(fw, err) < 0) {
		for (size_t i = 0; i < DUALSTACK_N; i++)
			plan_init(&done[i]);
		return -1;
	}
	if (seconds > 0) {
		g->watchdog = guard_arm(fw, seconds, err);
		if (g->watchdog < 0) {
			for (size_t i = 0; i < DUALSTACK_N; i++)
				plan_init(&done[i]);
			return -1;
		}
		g->said = WATCHDOG_WAITING;
	}
	if (dualstack_apply(fw, rs, done, err) == 0) {
		g->done = GUARD_APPLIED;
		return 0;
	}
	g->done = dualstack_plans_empty(done) ? GUARD_NOT_APPLIED : GUARD_HALF_APPLIED;
	if (g->watchdog < 0)
		return -1;
	if (g->done == GUARD_NOT_APPLIED) {
		/* nothing changed: stand it down (should that fail, it restores the same rules) */
		watchdog_confirm(g->watchdog, &g->said, &g->why);
	} else if (watchdog_rollback(g->watchdog, &g->said, &g->why) < 0) {
		g->said = WATCHDOG_GONE;
	}
	return -1;
}
