/*
 * rule.c - the rule IR and its three text forms: one rule as
 * iptables-legacy-save prints it, the ruleset as iptables-restore
 * --noflush input, and the ruleset as a sh script.  See include/rule.h.
 *
 * The save form is the contract with the backend, which compares it
 * with what libxtables renders from the kernel: every quirk below
 * (option order, what is left out when it equals the default, how the
 * limit rate is normalised, when a prefix is quoted) was checked
 * against iptables-legacy-save 1.8.9.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "rule.h"

/* How free text is written: as iptables-save does, or as one sh word. */
enum quote_style {
	QUOTE_SAVE,
	QUOTE_SH,
};

/* A bounded string being appended to; overflow is remembered, not written. */
struct strbuf {
	char *buf;
	size_t size, len;
	bool overflow;
};

__attribute__((format(printf, 2, 3))) static void sb_printf(struct strbuf *sb, const char *fmt, ...)
{
	size_t room = sb->len < sb->size ? sb->size - sb->len : 0;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(sb->buf + (room ? sb->len : 0), room, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= room)
		sb->overflow = true;
	sb->len += n < 0 ? 0 : (size_t)n;
}

static void sb_char(struct strbuf *sb, char c)
{
	sb_printf(sb, "%c", c);
}

static bool text_only_of(const char *s, const char *allowed)
{
	return *s && s[strspn(s, allowed)] == '\0';
}

/*
 * A string option value (log prefix) the way xtables_save_string()
 * writes it: bare when it is only [A-Za-z0-9_-], else in double quotes
 * with '"', '\' and '\'' escaped by a backslash.
 */
static void sb_save_string(struct strbuf *sb, const char *s)
{
	if (text_only_of(s, "_-0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")) {
		sb_printf(sb, " %s", s);
		return;
	}
	sb_printf(sb, " \"");
	for (; *s; s++) {
		if (strchr("\"\\'", *s))
			sb_char(sb, '\\');
		sb_char(sb, *s);
	}
	sb_char(sb, '"');
}

/* One sh word: bare when harmless, else single-quoted ('\'' for a quote). */
static void sb_sh_word(struct strbuf *sb, const char *s)
{
	static const char harmless[] = "_-0123456789abcdefghijklmnopqrstuvwxyz"
				       "ABCDEFGHIJKLMNOPQRSTUVWXYZ.,:/+=@%";

	if (text_only_of(s, harmless)) {
		sb_printf(sb, " %s", s);
		return;
	}
	sb_printf(sb, " '");
	for (; *s; s++) {
		if (*s == '\'')
			sb_printf(sb, "'\\''");
		else
			sb_char(sb, *s);
	}
	sb_char(sb, '\'');
}

/* A name iptables-save prints raw (interface, chain, list name). */
static void sb_token(struct strbuf *sb, enum quote_style style, const char *s)
{
	if (style == QUOTE_SH)
		sb_sh_word(sb, s);
	else
		sb_printf(sb, " %s", s);
}

static void sb_string(struct strbuf *sb, enum quote_style style, const char *s)
{
	if (style == QUOTE_SH)
		sb_sh_word(sb, s);
	else
		sb_save_string(sb, s);
}

static void sb_addr(struct strbuf *sb, const char *opt, bool neg, const struct addr *a)
{
	char text[ADDR_TEXT_MAX];

	addr_format_save(a, text, sizeof(text));
	sb_printf(sb, "%s %s %s", neg ? " !" : "", opt, text);
}

bool rule_ports_in_tcp(const struct rule *r)
{
	return r->ports_match != PORTS_NONE && r->ports_match != PORTS_EITHER && r->nports == 1;
}

/* The ports, then --syn: in the one-port tcp match, else in a tcp match of its own. */
static void sb_ports(struct strbuf *sb, const struct rule *r)
{
	static const char *const multi_opt[] = {
		[PORTS_DST] = "--dports",
		[PORTS_SRC] = "--sports",
		[PORTS_EITHER] = "--ports",
	};
	static const char *const single_opt[] = {
		[PORTS_DST] = "--dport",
		[PORTS_SRC] = "--sport",
	};
	const char *neg = r->ports_neg ? " !" : "";
	bool in_tcp = rule_ports_in_tcp(r);

	if (in_tcp) {
		sb_printf(sb, " -m tcp%s %s %u", neg, single_opt[r->ports_match], r->ports[0]);
	} else if (r->ports_match != PORTS_NONE && r->nports) {
		sb_printf(sb, " -m multiport%s %s ", neg, multi_opt[r->ports_match]);
		for (size_t i = 0; i < r->nports; i++)
			sb_printf(sb, "%s%u", i ? "," : "", r->ports[i]);
	}
	if (r->tcp_syn)
		sb_printf(sb, "%s --tcp-flags FIN,SYN,RST,ACK SYN", in_tcp ? "" : " -m tcp");
}

static void sb_ctstate(struct strbuf *sb, const struct rule *r)
{
	/* libxt_conntrack's order, not the order of the bits. */
	static const struct {
		unsigned bit;
		const char *name;
	} states[] = {
		{ .bit = CT_NEW, .name = "NEW" },
		{ .bit = CT_RELATED, .name = "RELATED" },
		{ .bit = CT_ESTABLISHED, .name = "ESTABLISHED" },
	};
	const char *sep = " ";

	if (!r->ctstate)
		return;
	sb_printf(sb, " -m conntrack%s --ctstate", r->ctstate_neg ? " !" : "");
	for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++) {
		if (r->ctstate & states[i].bit) {
			sb_printf(sb, "%s%s", sep, states[i].name);
			sep = ",";
		}
	}
}

static void sb_recent(struct strbuf *sb, enum quote_style style, const struct rule *r)
{
	static const char *const commands[] = {
		[RECENT_SET] = "--set",
		[RECENT_RCHECK] = "--rcheck",
		[RECENT_UPDATE] = "--update",
	};
	struct addr mask = { .family = r->family, .prefix = r->recent_mask_bits };
	unsigned char bytes[16];
	char text[INET6_ADDRSTRLEN];

	if (r->recent == RECENT_NONE)
		return;
	sb_printf(sb, " -m recent %s", commands[r->recent]);
	if (r->recent_seconds)
		sb_printf(sb, " --seconds %u", r->recent_seconds);
	sb_printf(sb, " --name");
	sb_token(sb, style, r->recent_name);
	addr_mask(&mask, bytes);
	inet_ntop(r->family, bytes, text, sizeof(text));
	sb_printf(sb, " --mask %s --rsource", text);
}

/* XT_LIMIT_SCALE units of each rate unit. */
static const struct {
	const char *name;	/* as libxt_limit prints it */
	uint32_t scale;
} limit_units[] = {
	[RATE_DAY] = { .name = "day", .scale = 10000u * 86400 },
	[RATE_HOUR] = { .name = "hour", .scale = 10000u * 3600 },
	[RATE_MINUTE] = { .name = "min", .scale = 10000u * 60 },
	[RATE_SECOND] = { .name = "sec", .scale = 10000u },
};

uint32_t rule_limit_period(const struct rate *rate)
{
	return rate->count ? limit_units[rate->unit].scale / rate->count : 0;
}

/*
 * libxt_limit prints the stored period back in the largest unit that
 * still shows it exactly enough: "120/minute" comes back as "2/sec".
 */
static void sb_limit(struct strbuf *sb, const struct rule *r)
{
	/* From the slowest unit to the fastest, as libxt_limit walks them. */
	static const enum rate_unit order[] = { RATE_DAY, RATE_HOUR, RATE_MINUTE, RATE_SECOND };
	uint32_t period = rule_limit_period(&r->limit), scale;
	size_t i;

	if (!r->has_limit)
		return;
	if (period == 0)	/* refused by the compiler; never divide by it */
		period = 1;
	for (i = 1; i < sizeof(order) / sizeof(order[0]); i++) {
		scale = limit_units[order[i]].scale;
		if (period > scale || scale / period < scale % period)
			break;
	}
	scale = limit_units[order[i - 1]].scale;
	sb_printf(sb, " -m limit --limit %u/%s", scale / period, limit_units[order[i - 1]].name);
	if (r->limit_burst != 5)
		sb_printf(sb, " --limit-burst %u", r->limit_burst);
}

static void sb_target(struct strbuf *sb, enum quote_style style, const struct rule *r)
{
	static const char *const verdicts[] = {
		[TARGET_RETURN] = "RETURN",
		[TARGET_DROP] = "DROP",
		[TARGET_ACCEPT] = "ACCEPT",
		[TARGET_LOG] = "LOG",
		[TARGET_NFLOG] = "NFLOG",
		[TARGET_CONNMARK] = "CONNMARK",
	};

	if (r->target == TARGET_JUMP) {
		sb_printf(sb, " -j");
		sb_token(sb, style, r->jump);
		return;
	}
	sb_printf(sb, " -j %s", verdicts[r->target]);
	if (r->target == TARGET_CONNMARK)
		sb_printf(sb, " --set-xmark 0x%x/0x%x", r->connmark, r->connmark_mask);
	if (r->target == TARGET_LOG && r->log_prefix[0]) {
		sb_printf(sb, " --log-prefix");
		sb_string(sb, style, r->log_prefix);
	}
	if (r->target != TARGET_NFLOG)
		return;
	if (r->log_prefix[0]) {
		sb_printf(sb, " --nflog-prefix");
		sb_string(sb, style, r->log_prefix);
	}
	if (r->nflog_group)
		sb_printf(sb, " --nflog-group %u", r->nflog_group);
	if (r->nflog_threshold)
		sb_printf(sb, " --nflog-threshold %u", r->nflog_threshold);
}

/* Everything after "-A CHAIN": the ip part, the matches in IR order, the target. */
static void sb_rule_body(struct strbuf *sb, enum quote_style style, const struct rule *r)
{
	if (r->has_src)
		sb_addr(sb, "-s", r->src_neg, &r->src);
	if (r->has_dst)
		sb_addr(sb, "-d", r->dst_neg, &r->dst);
	if (r->in[0]) {
		sb_printf(sb, " -i");
		sb_token(sb, style, r->in);
	}
	if (r->out[0]) {
		sb_printf(sb, " -o");
		sb_token(sb, style, r->out);
	}
	if (r->proto == IPPROTO_TCP)
		sb_printf(sb, " -p tcp");
	else if (r->proto)
		sb_printf(sb, " -p %u", r->proto);
	sb_ports(sb, r);
	if (r->has_mac) {
		char mac[18];

		mac_format(r->mac, mac);
		sb_printf(sb, " -m mac --mac-source %s", mac);
	}
	sb_ctstate(sb, r);
	if (r->has_connmark) {
		/* libxt_connmark leaves out a full mask */
		sb_printf(sb, " -m connmark --mark 0x%x", r->connmark);
		if (r->connmark_mask != UINT32_MAX)
			sb_printf(sb, "/0x%x", r->connmark_mask);
	}
	sb_recent(sb, style, r);
	sb_limit(sb, r);
	sb_target(sb, style, r);
}

int rule_format_save(const struct rule *r, char *buf, size_t size)
{
	struct strbuf sb = { .buf = buf, .size = size };

	if (size)
		buf[0] = '\0';
	sb_printf(&sb, "-A %s", r->chain);
	sb_rule_body(&sb, QUOTE_SAVE, r);
	return sb.overflow ? -1 : (int)sb.len;
}

void ruleset_init(struct ruleset *rs, int family)
{
	memset(rs, 0, sizeof(*rs));
	rs->family = family;
}

void ruleset_free(struct ruleset *rs)
{
	free(rs->chains);
	free(rs->rules);
	free(rs->whole);
	ruleset_init(rs, rs->family);
}

bool chain_is_own(const char *name)
{
	static const char mac[] = "-MAC";
	const char *rest = name + strlen(CHAIN_PREFIX);
	char zone[ZONE_NAME_MAX + 1];
	size_t len;

	if (strncmp(name, CHAIN_PREFIX, strlen(CHAIN_PREFIX)) != 0)
		return false;
	if (strcmp(rest, "FWD") == 0 || strcmp(rest, "IN") == 0)
		return true;
	len = strlen(rest);
	if (len > strlen(mac) && strcmp(rest + len - strlen(mac), mac) == 0)
		len -= strlen(mac);	/* SMTPGUARD-<zone>-MAC */
	if (len == 0 || len > ZONE_NAME_MAX)
		return false;
	memcpy(zone, rest, len);
	zone[len] = '\0';
	return zonename_check(zone, NULL) == 0;
}

static bool chain_is_builtin(const char *name)
{
	return strcmp(name, "INPUT") == 0 || strcmp(name, "FORWARD") == 0 ||
	       strcmp(name, "OUTPUT") == 0;
}

static bool ruleset_has_chain(const struct ruleset *rs, const char *name)
{
	for (size_t i = 0; i < rs->nchains; i++)
		if (strcmp(rs->chains[i], name) == 0)
			return true;
	return false;
}

/* array (of *cap elements of size each) grown so that one more fits, or NULL. */
static void *ruleset_grow(void *array, size_t *cap, size_t count, size_t size)
{
	size_t ncap;
	void *n;

	if (count < *cap)
		return array;
	ncap = *cap ? *cap * 2 : 16;
	n = realloc(array, ncap * size);
	if (n)
		*cap = ncap;
	return n;
}

/* -1 when name is not an own chain name or does not fit; adding a chain twice adds it once. */
int ruleset_add_chain(struct ruleset *rs, const char *name)
{
	char(*chains)[CHAIN_NAME_MAX + 1];

	if (!chain_is_own(name) || strlen(name) > CHAIN_NAME_MAX)
		return -1;
	if (ruleset_has_chain(rs, name))
		return 0;
	chains = ruleset_grow(rs->chains, &rs->cap_chains, rs->nchains, sizeof(*rs->chains));
	if (!chains)
		return -1;
	rs->chains = chains;
	strcpy(rs->chains[rs->nchains++], name);
	return 0;
}

/* The copy in rs, or NULL when out of memory or r->chain is neither built-in nor added. */
struct rule *ruleset_add_rule(struct ruleset *rs, const struct rule *r)
{
	struct rule *rules, *copy;

	if (!chain_is_builtin(r->chain) && !ruleset_has_chain(rs, r->chain))
		return NULL;
	rules = ruleset_grow(rs->rules, &rs->cap_rules, rs->nrules, sizeof(*rs->rules));
	if (!rules)
		return NULL;
	rs->rules = rules;
	copy = &rs->rules[rs->nrules++];
	*copy = *r;
	copy->family = rs->family;
	return copy;
}

/*
 * Write "<prefix><head> CHAIN[ POS]<body>" for rule r, no line end:
 * head "-A", "-I" or "-C", pos 0 for none, prefix the sh command or "".
 */
static int rule_write(const struct rule *r, enum quote_style style, const char *prefix,
		      const char *head, unsigned pos, FILE *out)
{
	char buf[RULE_TEXT_MAX];
	struct strbuf sb = { .buf = buf, .size = sizeof(buf) };

	sb_printf(&sb, "%s%s %s", prefix, head, r->chain);
	if (pos)
		sb_printf(&sb, " %u", pos);
	sb_rule_body(&sb, style, r);
	if (sb.overflow)
		return -1;
	return fputs(buf, out) < 0 ? -1 : 0;
}

/*
 * The restore file declares every own chain (which creates it, or with
 * --noflush flushes it when it exists), fills them, and inserts the
 * jumps at the top of FORWARD/INPUT.  Restore has no "insert unless
 * present", so the file is meant, like iptables-save output, for a
 * table that holds no smtpguard jumps yet.
 */
int ruleset_write_restore(const struct ruleset *rs, FILE *out)
{
	fprintf(out,
		"# smtpguard ruleset for %s --noflush.\n"
		"# Declaring a chain flushes it; the jumps are inserted, not checked for:\n"
		"# restore this into a table without smtpguard's jumps (after smtpguard remove).\n"
		"*filter\n",
		rs->family == AF_INET6 ? "ip6tables-legacy-restore" : "iptables-legacy-restore");
	for (size_t i = 0; i < rs->nchains; i++)
		fprintf(out, ":%s - [0:0]\n", rs->chains[i]);
	for (size_t i = 0; i < rs->nrules; i++) {
		const struct rule *r = &rs->rules[i];
		unsigned pos = 1;
		int rc;

		if (chain_is_own(r->chain)) {
			rc = rule_write(r, QUOTE_SAVE, "", "-A", 0, out);
		} else {
			for (size_t j = 0; j < i; j++)
				pos += strcmp(rs->rules[j].chain, r->chain) == 0;
			rc = rule_write(r, QUOTE_SAVE, "", "-I", pos, out);
		}
		if (rc < 0 || fputc('\n', out) == EOF)
			return -1;
	}
	fprintf(out, "COMMIT\n");
	return ferror(out) ? -1 : 0;
}

/*
 * The sh form creates (or flushes) and fills the own chains first and
 * inserts the jumps last, each only when not already there and in
 * reverse order at position 1, so the script can be run twice.  On a
 * first run no packet meets a half-filled chain; a second run refills
 * each chain in turn (restore and apply change everything at once).
 */
int ruleset_write_sh(const struct ruleset *rs, FILE *out)
{
	const char *ipt = rs->family == AF_INET6 ? "ip6tables-legacy -w" : "iptables-legacy -w";
	char prefix[32];

	snprintf(prefix, sizeof(prefix), "%s ", ipt);
	fprintf(out, "#!/bin/sh\n"
		     "# smtpguard ruleset as %s commands (smtpguard export --format sh).\n"
		     "set -e\n",
		ipt);
	for (size_t i = 0; i < rs->nchains; i++)
		fprintf(out, "%s -N %s 2>/dev/null || %s -F %s\n", ipt, rs->chains[i], ipt,
			rs->chains[i]);
	for (size_t i = 0; i < rs->nrules; i++) {
		if (chain_is_own(rs->rules[i].chain) &&
		    (rule_write(&rs->rules[i], QUOTE_SH, prefix, "-A", 0, out) < 0 ||
		     fputc('\n', out) == EOF))
			return -1;
	}
	for (size_t i = rs->nrules; i-- > 0;) {
		const struct rule *r = &rs->rules[i];

		if (chain_is_own(r->chain))
			continue;
		if (rule_write(r, QUOTE_SH, prefix, "-C", 0, out) < 0 ||
		    fputs(" 2>/dev/null ||\n\t", out) < 0 ||
		    rule_write(r, QUOTE_SH, prefix, "-I", 1, out) < 0 || fputc('\n', out) == EOF)
			return -1;
	}
	return ferror(out) ? -1 : 0;
}
