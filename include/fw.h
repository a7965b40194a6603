/*
 * fw.h - the firewall backend: read the filter table, make the tool's
 * own chains and jumps match a ruleset.
 *
 * Two implementations sit behind struct fw_ops: the libiptc writer
 * (core/fw_iptc.c, the only file that includes libiptc/xtables) and a
 * file-backed fake (core/fw_file.c) that keeps the table as
 * iptables-save text, so the console and most tests run without root.
 * The fake is never the proof that a feature works: namespace tests
 * run the real one.
 *
 * Ownership: fw_table_free() releases everything read into a table.
 */
#ifndef SMTPGUARD_FW_H
#define SMTPGUARD_FW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "rule.h"

struct backend_facts;

struct fw_rule {
	char *text;		/* iptables-save form "-A CHAIN ..." (owned; "" is shared, never freed) */
	uint64_t packets, bytes;
	bool own;		/* in an own chain, or one of smtpguard's jumps to one */
	bool uncounted;		/* nftables: the rule has no counter statement, packets mean nothing */
};

struct fw_chain {
	char name[CHAIN_NAME_MAX + 4];
	char policy[16];	/* "ACCEPT"/"DROP" for built-in chains, "-" for user chains */
	uint64_t packets, bytes;/* policy counters (built-in chains) */
	size_t first, count;	/* its rules: table->rules[first .. first + count) */
	/*
	 * nftables base chains: the hook ("forward", "input", ...; "" for
	 * iptables' chains and nftables' regular ones) and its priority;
	 * a chain of another table names it ("ip filter"; "" in the own one).
	 */
	char hook[16];
	int priority;
	char table[48];
};

struct fw_table {
	int family;
	struct fw_chain *chains;
	size_t nchains;
	struct fw_rule *rules;
	size_t nrules;
	size_t rules_cap;	/* rules allocated (fw.c's to keep) */
	uint64_t fingerprint;	/* hash of every rule and chain, counters excluded */
	uint64_t own_fingerprint;	/* the same of the own chains and jumps (with their positions) */
};

void fw_table_free(struct fw_table *t);
const struct fw_chain *fw_table_chain(const struct fw_table *t, const char *name);
/* The chain rule i of t is in (NULL when i is past the rules). */
const struct fw_chain *fw_table_rule_chain(const struct fw_table *t, size_t i);

/* The table as iptables-save -c / without counters would print it (the filter table only). */
int fw_table_write_save(const struct fw_table *t, bool counters, FILE *out);

/*
 * For the backends (fw_file.c, fw_iptc.c): building a table.  Rules are
 * kept grouped by chain, in chain order.  text is copied.
 * fw_table_add_chain() appends (sorted = false, the order the kernel
 * gave) or puts a user chain where libiptc puts a new one (sorted =
 * true: after the built-in chains, by name); returns the chain's index
 * or -1.  pos (SIZE_MAX = append) counts from the chain's first rule.
 */
long fw_table_add_chain(struct fw_table *t, const char *name, const char *policy,
			uint64_t packets, uint64_t bytes, bool sorted);
int fw_table_insert_rule(struct fw_table *t, size_t chain, size_t pos, const char *text,
			 uint64_t packets, uint64_t bytes);
void fw_table_delete_rule(struct fw_table *t, size_t chain, size_t pos);
void fw_table_delete_chain(struct fw_table *t, size_t chain);
/*
 * Append from's chains and rules to t, every rule not own (another
 * table's, for the rule view), t's fingerprint then covering them too;
 * -1 when out of memory (t as it was).
 */
int fw_table_append(struct fw_table *t, const struct fw_table *from);
/* The table of a host that never loaded the filter table: the three built-in chains, ACCEPT, no rules. */
int fw_table_init_empty(struct fw_table *t, int family);
/* Set every rule's own flag and the fingerprint; call once the table is complete. */
void fw_table_finish(struct fw_table *t);
/* Whether this process has CAP_NET_ADMIN (true when it cannot tell: the kernel will say). */
bool fw_has_net_admin(void);
/* The one need-root line every kernel backend gives: "need root (CAP_NET_ADMIN) to <what> the firewall; ...". */
int fw_need_root(struct error *err, const char *what);
/* Whether chain is zone's own chain in either backend's naming ("SMTPGUARD-<zone>", "zone_<zone>"). */
bool fw_is_zone_chain(const char *chain, const char *zone);
/*
 * The chain or target a rule text jumps to ("-j X" / "-g X", or nft's
 * "jump X" / "goto X", or its last verdict statement: "accept", "drop",
 * ...; quotes respected) into buf, "" if none.
 */
void fw_rule_target(const char *text, char *buf, size_t size);

struct plan;
struct ban;
struct config;
struct addr;
struct fw_counters;

enum fw_counters_result {
	FW_COUNTERS_FRESH = 0,	/* every counter of the table is now the kernel's */
	FW_COUNTERS_STALE = 1,	/* the kernel's table is no longer the one read: read it again */
};

/*
 * A backend's cheap refresh: copy the kernel's current packet and byte
 * counters into a table read earlier with read(), without reading the
 * rules again.  open() makes a handle for repeated refreshes (NULL, err
 * filled, when out of memory), refresh() returns an fw_counters_result
 * or -1 with err, close() frees the handle.  moved() tells, cheaper
 * than a refresh, whether the table's size or layout is no longer the
 * one of the last refresh (true when it cannot tell).  libiptc's is
 * include/fw_counters.h.
 */
struct fw_counters_ops {
	struct fw_counters *(*open)(struct error *err);
	int (*refresh)(struct fw_counters *fc, struct fw_table *t, struct error *err);
	bool (*moved)(struct fw_counters *fc);
	void (*close)(struct fw_counters *fc);
};

/*
 * The rate-ban lists the rules of a rateban zone fill (include/bans.h
 * for xt_recent's; the nftables backend reads its sets' elements).
 * read(): every banned host, newest first, in an array the caller frees
 * (cfg, may be NULL, gives each zone's ban_seconds; no lists is *n = 0).
 * unban(): remove host addr from every list that holds it; returns how
 * many did (0: none), or -1 with err.
 */
struct fw_bans_ops {
	int (*read)(const struct config *cfg, struct ban **out, size_t *n, struct error *err);
	int (*unban)(const struct addr *addr, struct error *err);
};

/*
 * A backend.  Code outside the backends asks it what it can do through
 * these members and never compares with a particular backend.
 *
 * Two families: read() and apply() take one family's table at a time,
 * because iptables keeps IPv4 and IPv6 in separate kernel tables that
 * commit separately.  include/dualstack.h makes the pair one change on
 * top of them (IPv6 first, put back should IPv4 fail): that is how both
 * backends here commit two families, and every caller goes through
 * dualstack_apply() rather than apply() to change the rules.  A backend
 * that commits both families in one transaction (an nftables inet
 * table) plugs in behind dualstack_apply(): it adds an optional
 * two-family apply to this struct, and dualstack_apply() calls that,
 * when set, instead of the commit-and-undo sequence, so no caller
 * changes.
 */
struct fw_whole_ops {
	/* cfg's description (malloc'ed; the caller frees), or NULL with err. */
	char *(*compile)(const struct config *cfg, struct error *err);
	/*
	 * The own rules as they are now, as a description apply() restores:
	 * 0 with *out malloc'ed, or NULL when there are none; -1 with err.
	 */
	int (*snapshot)(char **out, struct error *err);
	/*
	 * What apply(desc) would change ("+"/"-" lines), without changing
	 * anything; out->base_own is the fingerprint of the own rules it was
	 * made against (what a caller that shows the plan puts in expect_own).
	 */
	int (*plan)(const char *desc, struct plan *out, struct error *err);
	/*
	 * Make the own rules rs->whole (NULL: none at all) in one
	 * transaction, changing only the chains and set elements that
	 * differ; done as plan().  Refused with ERROR_CONFLICT, nothing
	 * changed, when the own rules are not the ones planned against:
	 * rs->expect_own when rs->expect_set, and in any case the ones this
	 * call read first (see the backend for what window remains).
	 */
	int (*apply)(const struct ruleset *rs, struct plan *done, struct error *err);
};

struct fw_ops {
	const char *name;	/* for the status line: "iptables-legacy", "file", "nftables" */
	bool kernel;		/* changes the kernel's firewall (false: a stand-in for tests) */
	/* Read the filter table of family (AF_INET or AF_INET6). */
	int (*read)(int family, struct fw_table *out, struct error *err);
	/*
	 * As read() for what the own rules need (a snapshot of them, a
	 * plan): the own chains and every rule that jumps to one are read as
	 * read() has them; every other rule of a built-in chain is there, at
	 * its position, with text "" and no counters; the other chains hold
	 * only their jumps to an own chain; fingerprint is 0
	 * (own_fingerprint is read()'s).  NULL: read().
	 */
	int (*read_own)(int family, struct fw_table *out, struct error *err);
	/*
	 * Make the own chains and jumps exactly rs (an empty rs removes
	 * them), in one read-modify-commit under the xtables lock, from a
	 * read taken under it (fw_hold's, or its own); foreign chains and
	 * rules are never changed.  Own chains whose rules are unchanged
	 * keep their counters.  What was changed is returned in done (may
	 * be NULL).
	 */
	int (*apply)(const struct ruleset *rs, struct plan *done, struct error *err);
	/*
	 * For the rule view: the base chains on the forward and input hooks
	 * of every table but the own one (fw_chain.table names it), their
	 * rules as read() gives them, counters included.  NULL: read()
	 * already has every rule on those hooks (iptables' filter table).
	 */
	int (*read_others)(struct fw_table *out, struct error *err);
	const struct fw_counters_ops *counters;	/* NULL: no cheap refresh, read() again */
	const struct fw_bans_ops *bans;
	/*
	 * Add host addr to zone's escalation list (include/compile.h) for
	 * seconds: one write, no commit, watchdog or lock; the kernel expires
	 * it.  -1 with err (the zone's rules are not applied, no root).
	 */
	int (*escalate)(const char *zone, const struct addr *addr, unsigned seconds,
			struct error *err);
	/*
	 * Set by a backend that keeps both families in one description and
	 * commits them in one transaction (nftables' inet table): dualstack
	 * then compiles, snapshots, plans and applies through it, carrying
	 * the description in the first family's ruleset (struct
	 * ruleset.whole).  read() gives the own rules as the first family's
	 * table, the second family's empty.  NULL: per family, as above.
	 */
	const struct fw_whole_ops *whole;
};

/*
 * The backend in force: the file fake when SMTPGUARD_FAKE_TABLE names
 * one (include/testenv.h, rootless tests), else the one the config's
 * backend key chose (fw_backend_choose()), else libiptc.  The only
 * place that names a backend.
 */
const struct fw_ops *fw_backend(void);
/*
 * Choose the backend from cfg's backend key; auto decides from what the
 * host uses (include/backend_detect.h), when fw_backend() or
 * fw_backend_reason() is first called, so that commands that never ask
 * (report, hits, export) never read the host's firewall.  Once per
 * process, after the config is loaded.  Never fails: what cannot be
 * learnt leaves iptables.
 */
void fw_backend_choose(const struct config *cfg);
/* Why the backend in force was chosen, for status ("backend = nftables in the config"). */
const char *fw_backend_reason(void);
/*
 * What auto's choice learnt of the host (owned here), or NULL when the
 * config named the backend or auto has not chosen yet: a command that
 * warns about the host afterwards need not ask the kernel again.
 */
const struct backend_facts *fw_backend_facts(void);
/*
 * 0 when no other kernel backend than fw has own rules in the kernel;
 * else -1 with err naming what to run, so both are never active at once.
 */
int fw_backend_exclusive(const struct fw_ops *fw, struct error *err);
/*
 * The fake's file when SMTPGUARD_FAKE_TABLE selects it, else NULL.  Every
 * command says so on stderr and status shows it: a leftover variable must
 * never make a real run silently change a file instead of the kernel.
 */
const char *fw_fake_table(void);

/*
 * Hold the xtables lock until the matching fw_unhold() (holds nest), so
 * that a change reads each table once: meanwhile the legacy backend keeps
 * the table it read first, the backend choice's probe included, for every
 * read and apply until it commits.  Taken before anything asks for the
 * backend, the probe's read is then the one the change is made against.
 * No hold (0) for the file fake or without CAP_NET_ADMIN (the backend
 * says so); -1 with err when the lock cannot be had.
 */
int fw_hold(struct error *err);
void fw_unhold(void);

/*
 * Whether the legacy filter table of family holds rules (*any_rules) and
 * own ones (a rule of an own chain or a built-in chain's jump to one),
 * without rendering them; -1 when it cannot be read.
 */
int fw_iptc_owns(int family, bool *any_rules, bool *own, struct error *err);
/* Free the tables fw_iptc kept for the hold that ends. */
void fw_iptc_forget(void);

extern const struct fw_ops fw_iptc_ops;
extern const struct fw_ops fw_file_ops;
extern const struct fw_ops fw_nft_ops;

#endif
