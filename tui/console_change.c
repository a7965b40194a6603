/*
 * console_change.c - the one place where the console changes the
 * kernel: an edited config is planned against the table, shown, applied
 * on 'y' and, when cfg->confirm is set, kept only if confirmed in time.
 *
 * The countdown is the watchdog's, armed by guard_apply() (include/guard.h)
 * with a snapshot of the own rules before anything changes, so a crash,
 * kill or dropped SSH session still ends with the snapshot restored.
 * 'c' here or `smtpguard confirm` in another shell keeps the
 * change; q, a signal or the deadline restores it.  The watchdog alone
 * decides; the console reports its word (watchdog_outcome()) and
 * follows which config is in force.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "console.h"
#include "dualstack.h"
#include "guard.h"
#include "watchdog.h"

bool change_pending(const struct console *c)
{
	return c->rollback != NULL;
}

void change_watch(struct console *c)
{
	c->watchdog_left = 0;
	c->watchdog_seen = watchdog_pending(&c->watchdog_left);
}

/*
 * Compile cfg for both families and make the kernel's own rules match
 * it - only if they are still the ones the shown plan was made against -
 * guarded by a watchdog of confirm seconds (0: none).
 */
static int change_commit(struct console *c, const struct config *cfg, unsigned confirm,
			 struct guard *g, char note[PLAN_NOTE_MAX], struct error *err)
{
	struct ruleset rs[DUALSTACK_N];
	struct plan done[DUALSTACK_N];
	int rc;

	*g = (struct guard){ .watchdog = -1, .done = GUARD_NOT_APPLIED };
	rc = dualstack_compile(cfg, rs, err);
	for (size_t i = 0; rc == 0 && c->have_plan && i < DUALSTACK_N; i++) {
		rs[i].expect_set = true;
		rs[i].expect_own = c->plans[i].base_own;
	}
	note[0] = '\0';
	if (rc == 0) {
		rc = guard_apply(c->fw, rs, confirm, done, g, err);
		for (size_t i = 0; rc == 0 && i < DUALSTACK_N; i++)
			if (done[i].note[0])
				memcpy(note, done[i].note, sizeof(done[i].note));
		dualstack_plans_free(done);
	}
	dualstack_rulesets_free(rs);
	c->watchdog = g->watchdog;
	c->watchdog_said = g->said;
	if (rc == 0)
		c->last_apply = time(NULL);
	return rc;
}

static void change_clear_proposal(struct console *c)
{
	config_free(c->proposed);
	c->proposed = NULL;
	if (c->have_plan)
		dualstack_plans_free(c->plans);
	c->have_plan = false;
	c->plan_top = 0;
	c->mode = CMODE_NORMAL;
}

int change_propose(struct console *c, struct config *edited, const char *what)
{
	struct ruleset rs[DUALSTACK_N];
	struct error err = { 0 };
	int rc;

	c->mode_zone = -1;
	c->proposed_is_file = false;
	if (change_pending(c)) {
		config_free(edited);
		console_message(c, true,
				"a change is waiting for confirmation: press c to keep it first");
		return REDRAW_SCREEN;
	}
	rc = config_validate(edited, &err);
	if (rc == 0)
		rc = config_resolve(edited, &err);
	if (rc == 0) {
		/* both tables read fresh: the plan is what y would commit */
		rc = dualstack_compile(edited, rs, &err);
		if (rc == 0)
			rc = dualstack_plan(c->fw, rs, c->plans, &err);
		else
			for (size_t i = 0; i < DUALSTACK_N; i++)
				plan_init(&c->plans[i]);
		dualstack_rulesets_free(rs);
		c->have_plan = true;
	}
	if (rc < 0) {
		config_free(edited);
		change_clear_proposal(c);
		console_message(c, true, "%s: %s", what, err.text);
		return REDRAW_SCREEN;
	}
	c->proposed = edited;
	c->plan_top = 0;
	snprintf(c->proposed_what, sizeof(c->proposed_what), "%s", what);
	c->mode = CMODE_PLAN;
	c->message[0] = '\0';	/* the plan view says what it is and which keys answer */
	return REDRAW_SCREEN;
}

int change_accept(struct console *c)
{
	struct error err = { 0 };
	struct config *old = c->cfg, *edited = c->proposed;
	unsigned confirm = old->confirm;
	char note[PLAN_NOTE_MAX];
	struct guard g;

	if (!edited)
		return REDRAW_NONE;
	if (dualstack_plans_empty(c->plans)) {
		/* nothing for the kernel: only the config changes, no countdown */
		c->proposed = NULL;
		console_config_set(c, edited);
		c->unsaved |= !c->proposed_is_file;
		console_message(c, false, "%s: no rule changes%s", c->proposed_what,
				c->unsaved ? " (s saves the config)" : "");
		change_clear_proposal(c);
		return REDRAW_SCREEN;
	}
	if (change_commit(c, edited, confirm, &g, note, &err) < 0) {
		char what[sizeof(c->proposed_what)], text[ERROR_TEXT_MAX + 128];

		if (g.done == GUARD_HALF_APPLIED && g.watchdog >= 0) {
			/* the armed watchdog was asked to put the previous rules back now */
			console_message(c, true, "%s not applied: %s; %s", c->proposed_what, err.text,
					watchdog_describe(g.said, &g.why, text, sizeof(text)));
			change_clear_proposal(c);
			return REDRAW_SCREEN;
		}
		if (err.code == ERROR_CONFLICT) {
			/* plan the same edit again against the table as it is now */
			snprintf(what, sizeof(what), "%s", c->proposed_what);
			c->proposed = NULL;
			change_clear_proposal(c);
			change_propose(c, edited, what);
			console_message(c, true, "%s", err.text);
			return REDRAW_SCREEN;
		}
		console_message(c, true, "%s not applied: %s", c->proposed_what, err.text);
		change_clear_proposal(c);
		return REDRAW_SCREEN;
	}
	c->proposed = NULL;
	if (confirm > 0) {
		/* keep the old config to go back to; console_config_set would free it */
		c->cfg = edited;
		c->rollback = old;
		c->rollback_unsaved = c->unsaved;
		console_message(c, false,
				"%s applied: press c within %u s to keep it, or it is rolled back%s%s",
				c->proposed_what, confirm, note[0] ? "; note: " : "", note);
	} else {
		console_message(c, false, "%s applied%s%s%s", c->proposed_what,
				c->proposed_is_file ? "" : " (s saves it to the config file)",
				note[0] ? "; note: " : "", note);
	}
	console_config_set(c, edited);
	c->unsaved |= !c->proposed_is_file;
	change_clear_proposal(c);
	console_refresh(c);
	return REDRAW_SCREEN;
}

int change_decline(struct console *c)
{
	console_message(c, false, "%s cancelled: nothing was applied", c->proposed_what);
	change_clear_proposal(c);
	return REDRAW_SCREEN;
}

/* The pending change is over: the console follows the config now in force. */
static void change_end(struct console *c, bool kept)
{
	if (kept) {
		config_free(c->rollback);
	} else {
		console_config_set(c, c->rollback);
		c->unsaved = c->rollback_unsaved;
	}
	c->rollback = NULL;
	console_refresh(c);
	change_watch(c);
}

/*
 * Report the watchdog's word o: confirmed keeps the change, rolled back
 * (or a watchdog gone) ends it, a rollback under way is shown and stays
 * pending.  reason says what led here.
 */
static int change_follow(struct console *c, enum watchdog_outcome o, const struct error *why,
			 const char *reason)
{
	char text[ERROR_TEXT_MAX + 128];

	c->watchdog_said = o;
	if (o == WATCHDOG_CONFIRMED) {
		change_end(c, true);
		console_message(c, false, "change kept (%s)", reason);
	} else if (o == WATCHDOG_ROLLED_BACK) {
		change_end(c, false);
		console_message(c, true, "change rolled back: %s", reason);
	} else if (watchdog_outcome_over(o)) {
		change_end(c, false);
		console_message(c, true, "%s", watchdog_describe(WATCHDOG_GONE, why, text, sizeof(text)));
	} else {
		console_message(c, true, "%s: %s", reason, watchdog_describe(o, why, text, sizeof(text)));
	}
	return REDRAW_SCREEN;
}

int change_confirm(struct console *c)
{
	struct error err = { 0 };
	enum watchdog_outcome o;
	char reason[600];

	if (!change_pending(c)) {
		console_message(c, false, "no change is waiting for confirmation");
		return REDRAW_SCREEN;
	}
	if (watchdog_confirm(c->watchdog, &o, &err) < 0) {
		console_message(c, true, "%s", err.text);
		return REDRAW_SCREEN;
	}
	if (o == WATCHDOG_CONFIRMED)
		snprintf(reason, sizeof(reason), "s saves it to %s", c->cfg->path);
	else
		snprintf(reason, sizeof(reason), "confirmed too late");
	return change_follow(c, o, &err, reason);
}

int change_rollback(struct console *c, const char *why)
{
	struct error err = { 0 };
	enum watchdog_outcome o;

	if (!change_pending(c))
		return REDRAW_NONE;
	if (watchdog_rollback(c->watchdog, &o, &err) < 0) {
		console_message(c, true, "rollback failed (%s): %s", why, err.text);
		return REDRAW_SCREEN;
	}
	return change_follow(c, o, &err, why);
}

static void change_on_die(struct console *c)
{
	change_rollback(c, "the console is ending");
}

void change_init(struct console *c)
{
	console_on_die(c, change_on_die);
}

void change_quit(struct console *c)
{
	change_rollback(c, "the console is ending");
	console_on_die(NULL, NULL);
}

/* The watchdog ends on its own at the deadline, or when someone runs `smtpguard confirm`. */
int change_tick(struct console *c)
{
	struct error why = { 0 };
	enum watchdog_outcome o;
	char reason[64];

	if (!change_pending(c))
		return REDRAW_NONE;
	change_watch(c);
	o = watchdog_outcome(c->watchdog, &why);
	if (o == WATCHDOG_WAITING || (o == c->watchdog_said && !watchdog_outcome_over(o)))
		return REDRAW_NONE;
	if (o == WATCHDOG_CONFIRMED)
		return change_follow(c, o, &why, "confirmed from another shell");
	snprintf(reason, sizeof(reason), "not confirmed within %u s", c->rollback->confirm);
	return change_follow(c, o, &why, reason);
}
