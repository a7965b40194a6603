/*
 * dualstack.c - both address families as one change; see
 * include/dualstack.h.  Everything here goes through struct fw_ops, so
 * the file fake and libiptc behave alike.
 */
#include <stdio.h>
#include <sys/socket.h>

#include "backend_detect.h"
#include "compile.h"
#include "dualstack.h"
#include "ruleparse.h"

const int dualstack_families[DUALSTACK_N] = { AF_INET, AF_INET6 };

static const char *const dualstack_tools[DUALSTACK_N] = { "iptables", "ip6tables" };

const char *dualstack_label(int family)
{
	return family == AF_INET6 ? "IPv6" : "IPv4";
}

void dualstack_rulesets_free(struct ruleset rs[DUALSTACK_N])
{
	for (size_t i = 0; i < DUALSTACK_N; i++)
		ruleset_free(&rs[i]);
}

/* A kernel without IPv6 (ipv6.disable=1) gets an empty IPv6 ruleset: IPv6 is no way around it. */
int dualstack_compile(const struct config *cfg, struct ruleset rs[DUALSTACK_N], struct error *err)
{
	const struct fw_ops *fw = fw_backend();

	for (size_t i = 0; i < DUALSTACK_N; i++)
		ruleset_init(&rs[i], dualstack_families[i]);
	if (fw->whole)
		return (rs[0].whole = fw->whole->compile(cfg, err)) ? 0 : -1;
	for (size_t i = 0; i < DUALSTACK_N; i++) {
		if (dualstack_families[i] == AF_INET6 && !backend_ipv6_enabled())
			continue;
		if (compile_ruleset(cfg, dualstack_families[i], &rs[i], err) < 0)
			return -1;
	}
	return 0;
}

void dualstack_tables_free(struct fw_table t[DUALSTACK_N])
{
	for (size_t i = 0; i < DUALSTACK_N; i++)
		fw_table_free(&t[i]);
}

/* Both tables with every rule (all), or with what the own rules need (fw_ops.read_own). */
static int dualstack_read_some(const struct fw_ops *fw, bool all, struct fw_table t[DUALSTACK_N],
			       struct error *err)
{
	int (*read)(int, struct fw_table *, struct error *) = all || !fw->read_own ? fw->read
										  : fw->read_own;

	for (size_t i = 0; i < DUALSTACK_N; i++) {
		if (read(dualstack_families[i], &t[i], err) < 0) {
			while (i-- > 0)
				fw_table_free(&t[i]);
			return -1;
		}
	}
	return 0;
}

int dualstack_read(const struct fw_ops *fw, struct fw_table t[DUALSTACK_N], struct error *err)
{
	return dualstack_read_some(fw, true, t, err);
}

int dualstack_snapshot(const struct fw_ops *fw, struct ruleset prev[DUALSTACK_N], struct error *err)
{
	struct fw_table t[DUALSTACK_N];
	int rc = 0;

	for (size_t i = 0; i < DUALSTACK_N; i++)
		ruleset_init(&prev[i], dualstack_families[i]);
	if (fw->whole)
		return fw->whole->snapshot(&prev[0].whole, err);
	if (dualstack_read_some(fw, false, t, err) < 0)
		return -1;
	for (size_t i = 0; i < DUALSTACK_N && rc == 0; i++)
		rc = ruleset_from_table(&t[i], &prev[i], err);
	dualstack_tables_free(t);
	return rc;
}

void dualstack_plans_free(struct plan p[DUALSTACK_N])
{
	for (size_t i = 0; i < DUALSTACK_N; i++)
		plan_free(&p[i]);
}

int dualstack_plan(const struct fw_ops *fw, const struct ruleset rs[DUALSTACK_N],
		   struct plan out[DUALSTACK_N], struct error *err)
{
	struct fw_table t[DUALSTACK_N];
	int rc;

	for (size_t i = 0; i < DUALSTACK_N; i++)
		plan_init(&out[i]);
	if (fw->whole)
		return fw->whole->plan(rs[0].whole, &out[0], err);
	if (dualstack_read_some(fw, false, t, err) < 0)
		return -1;
	rc = dualstack_plan_tables(t, rs, out, err);
	dualstack_tables_free(t);
	return rc;
}

int dualstack_plan_tables(const struct fw_table t[DUALSTACK_N], const struct ruleset rs[DUALSTACK_N],
			  struct plan out[DUALSTACK_N], struct error *err)
{
	int rc = 0;

	for (size_t i = 0; i < DUALSTACK_N && rc == 0; i++)
		rc = plan_compute(&t[i], &rs[i], &out[i], err);
	return rc;
}

/* Indexes into the arrays, in commit order (see dualstack.h for why IPv6 is first). */
enum { DUALSTACK_FIRST = 1, DUALSTACK_SECOND = 0 };

/*
 * The own rules of the first family before the change, for putting them
 * back should the second commit fail; false when they cannot be had (a
 * hand-edited own chain): the change goes ahead, only that rollback is
 * not possible.
 */
static bool dualstack_snapshot_first(const struct fw_ops *fw, struct ruleset *prev,
				     struct error *err)
{
	struct fw_table t;
	bool ok;

	ruleset_init(prev, dualstack_families[DUALSTACK_FIRST]);
	if ((fw->read_own ? fw->read_own : fw->read)(dualstack_families[DUALSTACK_FIRST], &t, err) < 0)
		return false;
	ok = ruleset_from_table(&t, prev, err) == 0;
	fw_table_free(&t);
	return ok;
}

int dualstack_apply(const struct fw_ops *fw, const struct ruleset rs[DUALSTACK_N],
		    struct plan done[DUALSTACK_N], struct error *err)
{
	const char *first = dualstack_label(dualstack_families[DUALSTACK_FIRST]);
	struct ruleset prev;
	struct plan undone;
	struct error why = { 0 }, undo = { 0 };
	bool have_prev;
	int rc = -1;

	for (size_t i = 0; i < DUALSTACK_N; i++)
		plan_init(&done[i]);
	if (fw->whole)	/* one transaction: both families change together or not at all */
		return fw->whole->apply(&rs[0], &done[0], err);
	have_prev = dualstack_snapshot_first(fw, &prev, &undo);
	if (fw->apply(&rs[DUALSTACK_FIRST], &done[DUALSTACK_FIRST], err) < 0)
		goto out;
	if (fw->apply(&rs[DUALSTACK_SECOND], &done[DUALSTACK_SECOND], &why) == 0) {
		rc = 0;
		goto out;
	}
	plan_init(&undone);
	if (plan_empty(&done[DUALSTACK_FIRST]) ||
	    (have_prev && fw->apply(&prev, &undone, &undo) == 0)) {
		error_set(err, "%s; the %s rules were left as they were", why.text, first);
		plan_free(&done[DUALSTACK_FIRST]);
		plan_init(&done[DUALSTACK_FIRST]);
	} else {
		/* done[FIRST] stays: it is what the kernel was left with */
		error_set(err, "%s; the %s rules were changed and could not be put back (%s): fix "
			       "the cause and run smtpguard apply again, or smtpguard remove",
			  why.text, first, undo.text);
	}
	if (err)
		err->code = why.code;
	plan_free(&undone);
out:
	ruleset_free(&prev);
	return rc;
}

bool dualstack_plans_empty(const struct plan p[DUALSTACK_N])
{
	for (size_t i = 0; i < DUALSTACK_N; i++)
		if (!plan_empty(&p[i]))
			return false;
	return true;
}

int dualstack_plans_write(const struct plan p[DUALSTACK_N], FILE *out)
{
	const struct fw_ops *fw = fw_backend();

	for (size_t i = 0; i < DUALSTACK_N; i++) {
		if (plan_empty(&p[i]))
			continue;
		if (fw->whole)
			fprintf(out, "IPv4 and IPv6 (%s):\n", fw->name);
		else
			fprintf(out, "%s (%s):\n", dualstack_label(dualstack_families[i]),
				dualstack_tools[i]);
		if (plan_write(&p[i], out) < 0)
			return -1;
	}
	return ferror(out) ? -1 : 0;
}
