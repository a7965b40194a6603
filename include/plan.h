/*
 * plan.h - the difference between the own chains in a table and a
 * ruleset: which chains to create, rebuild or delete and which jumps to
 * insert or delete, printed as "+ rule" / "- rule" lines for
 * apply --dry-run and the console's plan view.  Pure.
 *
 * Ownership: plan_free() releases the lines and names.
 */
#ifndef SMTPGUARD_PLAN_H
#define SMTPGUARD_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "error.h"
#include "fw.h"
#include "rule.h"

struct plan_line {
	char op;		/* '+' added, '-' removed, ':' chain created, 'X' chain deleted */
	char *text;		/* iptables-save form (owned) */
};

#define PLAN_NOTE_MAX 256

struct plan {
	struct plan_line *lines;
	size_t nlines, cap;
	char (*rebuild)[CHAIN_NAME_MAX + 1];	/* own chains whose rules change (created or flushed+refilled) */
	size_t nrebuild;
	char (*drop)[CHAIN_NAME_MAX + 1];	/* own chains to delete */
	size_t ndrop;
	bool jumps_change;	/* the jumps in FORWARD/INPUT differ */
	uint64_t base_own;	/* own_fingerprint of the table the plan was computed against */
	char note[PLAN_NOTE_MAX];	/* an applying backend's remark for the user ("": none) */
};

void plan_init(struct plan *p);
void plan_free(struct plan *p);
/*
 * When desired->expect_set and current's own rules are not the ones the
 * caller planned against, fails with err->code ERROR_CONFLICT.
 */
int plan_compute(const struct fw_table *current, const struct ruleset *desired, struct plan *out,
		 struct error *err);
bool plan_empty(const struct plan *p);
/* Append one line (text copied); for a backend that plans in its own terms (fw_ops.whole). */
int plan_add_line(struct plan *p, char op, const char *text, struct error *err);
int plan_write(const struct plan *p, FILE *out);

#endif
