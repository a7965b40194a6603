/*
 * dualstack.h - one change over both address families.
 *
 * The IPv4 and the IPv6 filter table are separate kernel tables, each
 * changed by a commit of its own (fw_ops.apply).  dualstack_apply()
 * commits IPv6, then IPv4; when the IPv4 commit fails it puts the IPv6
 * own chains back as they were before (a snapshot taken first, applied
 * through the same backend call), so the pair changes together or not
 * at all.  If that rollback fails too, the error says so.  A backend with
 * fw_ops.whole (nftables) is compiled, snapshotted, planned and applied
 * through it instead, in one transaction; its plans are in element 0.
 *
 * Arrays hold one element per family, in dualstack_families order
 * (IPv4 first, the order everything is shown in).  Ownership: the
 * caller's; the _free functions release the elements, not the arrays.
 */
#ifndef SMTPGUARD_DUALSTACK_H
#define SMTPGUARD_DUALSTACK_H

#include "config.h"
#include "error.h"
#include "fw.h"
#include "plan.h"
#include "rule.h"

#define DUALSTACK_N 2

extern const int dualstack_families[DUALSTACK_N];	/* AF_INET, AF_INET6 */

/* "IPv4" or "IPv6". */
const char *dualstack_label(int family);

/*
 * Both families' rulesets of cfg (initialised here; dualstack_rulesets_free
 * after success or not).  The IPv6 one is empty when the kernel has no IPv6.
 */
int dualstack_compile(const struct config *cfg, struct ruleset rs[DUALSTACK_N], struct error *err);
void dualstack_rulesets_free(struct ruleset rs[DUALSTACK_N]);

/* Both filter tables; on failure nothing is left to free. */
int dualstack_read(const struct fw_ops *fw, struct fw_table t[DUALSTACK_N], struct error *err);
void dualstack_tables_free(struct fw_table t[DUALSTACK_N]);

/* The own chains and jumps of both tables, as rulesets a rollback can apply (initialised here). */
int dualstack_snapshot(const struct fw_ops *fw, struct ruleset prev[DUALSTACK_N], struct error *err);

/* Each family's plan of rs against its table as it is now (plans initialised here). */
int dualstack_plan(const struct fw_ops *fw, const struct ruleset rs[DUALSTACK_N],
		   struct plan out[DUALSTACK_N], struct error *err);
/* The same against tables t the caller read (fw without whole: per-family tables). */
int dualstack_plan_tables(const struct fw_table t[DUALSTACK_N], const struct ruleset rs[DUALSTACK_N],
			  struct plan out[DUALSTACK_N], struct error *err);

/*
 * Apply both, as above; done[] (initialised here) holds what each commit
 * changed and is still in the kernel: after a failure it is empty unless
 * the first family's change could not be put back (half applied).
 */
int dualstack_apply(const struct fw_ops *fw, const struct ruleset rs[DUALSTACK_N],
		    struct plan done[DUALSTACK_N], struct error *err);

void dualstack_plans_free(struct plan p[DUALSTACK_N]);
/* True when no family's plan changes anything. */
bool dualstack_plans_empty(const struct plan p[DUALSTACK_N]);
/* Each non-empty plan under a "IPv4 (iptables):" / "IPv6 (ip6tables):" heading. */
int dualstack_plans_write(const struct plan p[DUALSTACK_N], FILE *out);

#endif
