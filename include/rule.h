/*
 * rule.h - the rule IR: what the compiler produces, what the writer
 * turns into kernel entries, and what dry-run, export and the console's
 * plan view print.  Deliberately small: only the matches smtpguard uses.
 *
 * A ruleset owns its arrays; ruleset_free() releases them.  Rules of a
 * built-in chain (FORWARD, INPUT) are the jumps the writer inserts at
 * position 1; rules of own chains are appended in order.
 */
#ifndef SMTPGUARD_RULE_H
#define SMTPGUARD_RULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "addr.h"
#include "config.h"

#define CHAIN_NAME_MAX 28		/* iptables' limit for a chain name */
#define CHAIN_PREFIX "SMTPGUARD-"
#define CHAIN_FWD "SMTPGUARD-FWD"
#define CHAIN_IN "SMTPGUARD-IN"
#define RECENT_NAME_MAX 199
#define RULE_TEXT_MAX 2048		/* room for any rule_format_save line */

enum rule_target {
	TARGET_RETURN,
	TARGET_DROP,
	TARGET_ACCEPT,
	TARGET_JUMP,		/* to rule.jump */
	TARGET_LOG,		/* log_prefix, kernel log level 4 */
	TARGET_NFLOG,		/* nflog_group, log_prefix, nflog_threshold */
	TARGET_CONNMARK,	/* --set-xmark connmark/connmark_mask: sets those bits, continues */
};

enum port_match {
	PORTS_NONE,
	PORTS_DST,		/* one port: -m tcp --dport; several: -m multiport --dports */
	PORTS_SRC,		/* --sport / --sports */
	PORTS_EITHER,		/* -m multiport --ports (jumps) */
};

enum ct_state_bits {
	CT_NEW = 1,
	CT_ESTABLISHED = 2,
	CT_RELATED = 4,
};

enum recent_cmd {
	RECENT_NONE,
	RECENT_SET,
	RECENT_RCHECK,
	RECENT_UPDATE,
};

struct rule {
	int family;			/* AF_INET or AF_INET6 */
	char chain[CHAIN_NAME_MAX + 1];
	char in[IFACE_NAME_MAX + 1];	/* "" = any */
	char out[IFACE_NAME_MAX + 1];
	bool has_src, src_neg;
	struct addr src;
	bool has_dst, dst_neg;
	struct addr dst;
	uint8_t proto;			/* 0 = any, else IPPROTO_TCP */

	enum port_match ports_match;
	bool ports_neg;
	uint16_t ports[CONFIG_MAX_PORTS];
	size_t nports;
	/*
	 * --syn: of FIN,SYN,RST,ACK only SYN is set (ECN bits ignored), a
	 * connection attempt.  In the tcp match of a single port, else in a
	 * tcp match of its own after the ports (where iptables puts it).
	 */
	bool tcp_syn;

	bool has_mac;
	unsigned char mac[6];

	unsigned ctstate;		/* ct_state_bits, 0 = no conntrack match */
	bool ctstate_neg;

	bool has_connmark;		/* -m connmark --mark connmark/connmark_mask */
	uint32_t connmark, connmark_mask;	/* also what TARGET_CONNMARK sets */

	enum recent_cmd recent;
	char recent_name[RECENT_NAME_MAX + 1];
	unsigned recent_seconds;	/* 0 = none (for SET) */
	unsigned recent_mask_bits;	/* rsource mask: 32 for IPv4 hosts, 64 for IPv6 /64 */

	bool has_limit;
	struct rate limit;
	unsigned limit_burst;

	enum rule_target target;
	char jump[CHAIN_NAME_MAX + 1];	/* TARGET_JUMP */
	char log_prefix[LOG_PREFIX_MAX + 1];
	unsigned nflog_group;
	unsigned nflog_threshold;	/* 0 = kernel default (1) */
};

struct ruleset {
	int family;
	char (*chains)[CHAIN_NAME_MAX + 1];	/* own chains, in creation order (may be empty chains) */
	size_t nchains;
	struct rule *rules;		/* jumps first, then each own chain's rules in order */
	size_t nrules;
	size_t cap_chains, cap_rules;
	/*
	 * Set by a caller that showed a plan before applying (the console):
	 * plan_compute() refuses a table whose own_fingerprint is no longer
	 * expect_own, so a change made meanwhile by another smtpguard or by
	 * hand is reported, never silently overwritten.
	 */
	bool expect_set;
	uint64_t expect_own;
	/*
	 * A backend that describes both families as one (fw_ops.whole):
	 * that description, in the first family's ruleset (owned; NULL:
	 * none, or a per-family backend).
	 */
	char *whole;
};

void ruleset_init(struct ruleset *rs, int family);
void ruleset_free(struct ruleset *rs);
int ruleset_add_chain(struct ruleset *rs, const char *name);
struct rule *ruleset_add_rule(struct ruleset *rs, const struct rule *r);

/*
 * True when name is a chain smtpguard creates: SMTPGUARD-FWD, SMTPGUARD-IN,
 * SMTPGUARD-<zone> and SMTPGUARD-<zone>-MAC (zone names are lower case).
 * Other names under the prefix (an administrator's SMTPGUARD-LOCAL) are
 * not its own: never changed, never deleted.
 */
bool chain_is_own(const char *name);

/*
 * One rule as iptables-save prints it, e.g.
 *   "-A SMTPGUARD-wlan -i eth2 -p tcp -m tcp --dport 25 -j DROP"
 * byte for byte the same as iptables-legacy-save for the same kernel entry.
 * Returns the length, or -1 if buf is too small.
 */
int rule_format_save(const struct rule *r, char *buf, size_t size);

/*
 * r in words for the console ("wlan eth2>* new :25 host seen <60s") and
 * its verdict ("drop", "log", "accept", "pass" (returns), "-> wlan").
 */
void rule_words(const struct rule *r, char *buf, size_t size);
void rule_verdict(const struct rule *r, char *buf, size_t size);
/*
 * The same for an own rule of nftables' table, from its text in chain
 * ("zone_wlan", "forward"; `nft list` form without counters), as
 * compile_nft() writes them; a token of another form is kept as it is.
 */
void rule_words_nft(const char *chain, const char *text, char *words, size_t wsize, char *verdict,
		    size_t vsize);

/* True when r's ports go in the tcp match (one port, one side), else in multiport. */
bool rule_ports_in_tcp(const struct rule *r);

/*
 * The limit match's period for rate, as iptables stores it: XT_LIMIT_SCALE
 * (10000) units per second divided by the rate, so 1/second is 10000;
 * 0 when the rate is faster than that can express.
 */
uint32_t rule_limit_period(const struct rate *rate);

/* The whole ruleset as iptables-restore --noflush input (chains, flush, rules, COMMIT). */
int ruleset_write_restore(const struct ruleset *rs, FILE *out);
/* The same as a sh script of iptables-legacy commands (as the first article writes them). */
int ruleset_write_sh(const struct ruleset *rs, FILE *out);

#endif
