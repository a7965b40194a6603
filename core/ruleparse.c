/*
 * ruleparse.c - read own rules back from iptables-save text; see
 * include/ruleparse.h.  A line is split into words (iptables-save
 * quotes strings with '"' and escapes quotes and '\' with '\'), then each
 * option is looked up in a table and applied to the rule.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "ruleparse.h"

#define MAX_WORDS 64
#define WORD_MAX 256

struct words {
	char word[MAX_WORDS][WORD_MAX];
	size_t count;
};

static int words_split(const char *line, struct words *w, struct error *err)
{
	const char *p = line;

	w->count = 0;
	for (;;) {
		size_t n = 0;
		char *out;

		while (*p == ' ')
			p++;
		if (!*p || *p == '\n')
			return 0;
		if (w->count == MAX_WORDS)
			return error_set(err, "rule has more than %d words: %.60s", MAX_WORDS, line);
		out = w->word[w->count++];
		if (*p == '"') {
			for (p++; *p && *p != '"'; p++) {
				if (*p == '\\' && p[1])	/* iptables escapes '"', '\\' and '\'' */
					p++;
				if (n + 1 >= WORD_MAX)
					return error_set(err, "rule has an over-long string: %.60s", line);
				out[n++] = *p;
			}
			if (*p != '"')
				return error_set(err, "rule has an unterminated string: %.60s", line);
			p++;
		} else {
			for (; *p && *p != ' ' && *p != '\n'; p++) {
				if (n + 1 >= WORD_MAX)
					return error_set(err, "rule has an over-long word: %.60s", line);
				out[n++] = *p;
			}
		}
		out[n] = '\0';
	}
}

static int number_parse(const char *text, unsigned long max, unsigned *out)
{
	char *end;
	unsigned long v;

	if (*text < '0' || *text > '9')
		return -1;
	errno = 0;
	v = strtoul(text, &end, 10);
	if (errno || *end || v > max)
		return -1;
	*out = (unsigned)v;
	return 0;
}

static int ports_parse(struct rule *r, enum port_match match, const char *list)
{
	char copy[WORD_MAX];
	char *save = NULL;

	r->ports_match = match;
	r->nports = 0;
	strcpy(copy, list);
	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		unsigned port;

		if (r->nports == CONFIG_MAX_PORTS || number_parse(tok, 65535, &port) < 0 || port == 0)
			return -1;
		r->ports[r->nports++] = (uint16_t)port;
	}
	return r->nports ? 0 : -1;
}

static int ctstate_parse(struct rule *r, const char *list)
{
	static const struct { const char *name; unsigned bit; } states[] = {
		{ "NEW", CT_NEW }, { "ESTABLISHED", CT_ESTABLISHED }, { "RELATED", CT_RELATED },
	};
	char copy[WORD_MAX];
	char *save = NULL;

	strcpy(copy, list);
	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		size_t i;

		for (i = 0; i < sizeof(states) / sizeof(states[0]); i++)
			if (strcmp(tok, states[i].name) == 0)
				break;
		if (i == sizeof(states) / sizeof(states[0]))
			return -1;
		r->ctstate |= states[i].bit;
	}
	return r->ctstate ? 0 : -1;
}

/* "255.255.255.255" or "ffff:ffff:ffff:ffff::" -> prefix length of a contiguous mask. */
static int mask_parse(struct rule *r, const char *text)
{
	struct addr a;
	unsigned bits = 0;
	size_t len;

	if (addr_parse(text, &a, NULL) < 0)
		return -1;
	len = a.family == AF_INET ? 4 : 16;
	for (size_t i = 0; i < len; i++) {
		unsigned char b = a.bytes[i];

		while (b & 0x80) {
			bits++;
			b = (unsigned char)(b << 1);
		}
		if (b)
			return -1;
		if (a.bytes[i] != 0xff && i + 1 < len && a.bytes[i + 1])
			return -1;
	}
	r->recent_mask_bits = bits;
	return 0;
}

static int name_copy(char *dst, size_t size, const char *src)
{
	if (strlen(src) >= size)
		return -1;
	strcpy(dst, src);
	return 0;
}

struct parse_state {
	struct rule *r;
	bool neg;
	const char *module;	/* the last "-m NAME" */
	const char *arg2;	/* the second argument of a two-argument option */
};

static int opt_chain(struct parse_state *st, const char *arg)
{
	return name_copy(st->r->chain, sizeof(st->r->chain), arg);
}

static int opt_src(struct parse_state *st, const char *arg)
{
	st->r->has_src = true;
	st->r->src_neg = st->neg;
	return addr_parse(arg, &st->r->src, NULL) < 0 || st->r->src.family != st->r->family ? -1 : 0;
}

static int opt_dst(struct parse_state *st, const char *arg)
{
	st->r->has_dst = true;
	st->r->dst_neg = st->neg;
	return addr_parse(arg, &st->r->dst, NULL) < 0 || st->r->dst.family != st->r->family ? -1 : 0;
}

static int opt_in(struct parse_state *st, const char *arg)
{
	return st->neg ? -1 : name_copy(st->r->in, sizeof(st->r->in), arg);
}

static int opt_out(struct parse_state *st, const char *arg)
{
	return st->neg ? -1 : name_copy(st->r->out, sizeof(st->r->out), arg);
}

static int opt_proto(struct parse_state *st, const char *arg)
{
	if (st->neg || strcmp(arg, "tcp") != 0)
		return -1;
	st->r->proto = 6;
	return 0;
}

static int opt_module(struct parse_state *st, const char *arg)
{
	static const char *const known[] = { "tcp", "multiport", "mac", "conntrack", "connmark",
					     "recent", "limit" };

	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strcmp(arg, known[i]) == 0) {
			st->module = known[i];
			return st->neg ? -1 : 0;
		}
	return -1;
}

static int opt_port(struct parse_state *st, const char *arg, enum port_match match, bool multi)
{
	if (!st->module || strcmp(st->module, multi ? "multiport" : "tcp") != 0)
		return -1;
	st->r->ports_neg = st->neg;
	return ports_parse(st->r, match, arg) < 0 || (!multi && st->r->nports != 1) ? -1 : 0;
}

static int opt_dport(struct parse_state *st, const char *arg) { return opt_port(st, arg, PORTS_DST, false); }
static int opt_sport(struct parse_state *st, const char *arg) { return opt_port(st, arg, PORTS_SRC, false); }
static int opt_dports(struct parse_state *st, const char *arg) { return opt_port(st, arg, PORTS_DST, true); }
static int opt_sports(struct parse_state *st, const char *arg) { return opt_port(st, arg, PORTS_SRC, true); }
static int opt_ports(struct parse_state *st, const char *arg) { return opt_port(st, arg, PORTS_EITHER, true); }

/* Only --syn, as libxt_tcp saves it: "--tcp-flags FIN,SYN,RST,ACK SYN". */
static int opt_tcp_flags(struct parse_state *st, const char *arg)
{
	if (st->neg || !st->module || strcmp(st->module, "tcp") != 0 || st->r->tcp_syn ||
	    strcmp(arg, "FIN,SYN,RST,ACK") != 0 || strcmp(st->arg2, "SYN") != 0)
		return -1;
	st->r->tcp_syn = true;
	return 0;
}

static int opt_mac(struct parse_state *st, const char *arg)
{
	st->r->has_mac = true;
	return st->neg ? -1 : mac_parse(arg, st->r->mac, NULL);
}

static int opt_ctstate(struct parse_state *st, const char *arg)
{
	st->r->ctstate_neg = st->neg;
	return ctstate_parse(st->r, arg);
}

/* "0x800000/0x800000" or "0x800000" (a full mask), as libxt_connmark prints them. */
static int mark_parse(struct rule *r, const char *text)
{
	unsigned long long v, m = UINT32_MAX;
	char *end;

	errno = 0;
	v = strtoull(text, &end, 16);
	if (strncmp(text, "0x", 2) != 0 || errno || v > UINT32_MAX)
		return -1;
	if (*end == '/') {
		text = end + 1;
		m = strtoull(text, &end, 16);
		if (strncmp(text, "0x", 2) != 0 || errno || m > UINT32_MAX)
			return -1;
	}
	if (*end)
		return -1;
	r->connmark = (uint32_t)v;
	r->connmark_mask = (uint32_t)m;
	return 0;
}

static int opt_mark(struct parse_state *st, const char *arg)
{
	if (st->neg || !st->module || strcmp(st->module, "connmark") != 0)
		return -1;
	st->r->has_connmark = true;
	return mark_parse(st->r, arg);
}

static int opt_set_xmark(struct parse_state *st, const char *arg)
{
	return st->neg || st->r->target != TARGET_CONNMARK ? -1 : mark_parse(st->r, arg);
}

static int opt_recent(struct parse_state *st, enum recent_cmd cmd)
{
	if (st->neg || st->r->recent != RECENT_NONE)
		return -1;
	st->r->recent = cmd;
	return 0;
}

static int opt_set(struct parse_state *st, const char *arg) { return opt_recent(st, RECENT_SET); }
static int opt_rcheck(struct parse_state *st, const char *arg) { return opt_recent(st, RECENT_RCHECK); }
static int opt_update(struct parse_state *st, const char *arg) { return opt_recent(st, RECENT_UPDATE); }

static int opt_seconds(struct parse_state *st, const char *arg)
{
	return number_parse(arg, 86400 * 365, &st->r->recent_seconds);
}

static int opt_name(struct parse_state *st, const char *arg)
{
	return name_copy(st->r->recent_name, sizeof(st->r->recent_name), arg);
}

static int opt_mask(struct parse_state *st, const char *arg) { return mask_parse(st->r, arg); }
static int opt_rsource(struct parse_state *st, const char *arg) { return st->neg ? -1 : 0; }

static int opt_limit(struct parse_state *st, const char *arg)
{
	st->r->has_limit = true;
	if (!st->r->limit_burst)
		st->r->limit_burst = 5;
	return rate_parse(arg, &st->r->limit, NULL);
}

static int opt_burst(struct parse_state *st, const char *arg)
{
	return number_parse(arg, 10000, &st->r->limit_burst);
}

static int opt_jump(struct parse_state *st, const char *arg)
{
	static const struct { const char *name; enum rule_target target; } verdicts[] = {
		{ "RETURN", TARGET_RETURN }, { "DROP", TARGET_DROP }, { "ACCEPT", TARGET_ACCEPT },
		{ "LOG", TARGET_LOG }, { "NFLOG", TARGET_NFLOG }, { "CONNMARK", TARGET_CONNMARK },
	};

	for (size_t i = 0; i < sizeof(verdicts) / sizeof(verdicts[0]); i++)
		if (strcmp(arg, verdicts[i].name) == 0) {
			st->r->target = verdicts[i].target;
			return 0;
		}
	st->r->target = TARGET_JUMP;
	return chain_is_own(arg) ? name_copy(st->r->jump, sizeof(st->r->jump), arg) : -1;
}

static int opt_log_prefix(struct parse_state *st, const char *arg)
{
	return name_copy(st->r->log_prefix, sizeof(st->r->log_prefix), arg);
}

static int opt_nflog_group(struct parse_state *st, const char *arg)
{
	return number_parse(arg, 65535, &st->r->nflog_group);
}

static int opt_nflog_threshold(struct parse_state *st, const char *arg)
{
	return number_parse(arg, 65535, &st->r->nflog_threshold);
}

struct option_entry {
	const char *name;
	bool takes_arg;
	bool takes_arg2;	/* a second argument, in parse_state.arg2 */
	int (*apply)(struct parse_state *st, const char *arg);
};

static const struct option_entry option_table[] = {
	{ .name = "-A", .takes_arg = true, .apply = opt_chain },
	{ .name = "-s", .takes_arg = true, .apply = opt_src },
	{ .name = "-d", .takes_arg = true, .apply = opt_dst },
	{ .name = "-i", .takes_arg = true, .apply = opt_in },
	{ .name = "-o", .takes_arg = true, .apply = opt_out },
	{ .name = "-p", .takes_arg = true, .apply = opt_proto },
	{ .name = "-m", .takes_arg = true, .apply = opt_module },
	{ .name = "--dport", .takes_arg = true, .apply = opt_dport },
	{ .name = "--sport", .takes_arg = true, .apply = opt_sport },
	{ .name = "--dports", .takes_arg = true, .apply = opt_dports },
	{ .name = "--sports", .takes_arg = true, .apply = opt_sports },
	{ .name = "--ports", .takes_arg = true, .apply = opt_ports },
	{ .name = "--tcp-flags", .takes_arg = true, .takes_arg2 = true, .apply = opt_tcp_flags },
	{ .name = "--mac-source", .takes_arg = true, .apply = opt_mac },
	{ .name = "--ctstate", .takes_arg = true, .apply = opt_ctstate },
	{ .name = "--mark", .takes_arg = true, .apply = opt_mark },
	{ .name = "--set", .takes_arg = false, .apply = opt_set },
	{ .name = "--rcheck", .takes_arg = false, .apply = opt_rcheck },
	{ .name = "--update", .takes_arg = false, .apply = opt_update },
	{ .name = "--seconds", .takes_arg = true, .apply = opt_seconds },
	{ .name = "--name", .takes_arg = true, .apply = opt_name },
	{ .name = "--mask", .takes_arg = true, .apply = opt_mask },
	{ .name = "--rsource", .takes_arg = false, .apply = opt_rsource },
	{ .name = "--limit", .takes_arg = true, .apply = opt_limit },
	{ .name = "--limit-burst", .takes_arg = true, .apply = opt_burst },
	{ .name = "-j", .takes_arg = true, .apply = opt_jump },
	{ .name = "--log-prefix", .takes_arg = true, .apply = opt_log_prefix },
	{ .name = "--nflog-prefix", .takes_arg = true, .apply = opt_log_prefix },
	{ .name = "--nflog-group", .takes_arg = true, .apply = opt_nflog_group },
	{ .name = "--nflog-threshold", .takes_arg = true, .apply = opt_nflog_threshold },
	{ .name = "--set-xmark", .takes_arg = true, .apply = opt_set_xmark },
};

static const struct option_entry *option_find(const char *name)
{
	for (size_t i = 0; i < sizeof(option_table) / sizeof(option_table[0]); i++)
		if (strcmp(option_table[i].name, name) == 0)
			return &option_table[i];
	return NULL;
}

int rule_parse_save(const char *line, int family, struct rule *out, struct error *err)
{
	struct words *w = malloc(sizeof(*w));
	struct rule r = { .family = family };
	struct parse_state st = { .r = &r };
	int rc = 0;

	if (!w)
		return error_set(err, "out of memory reading a rule");
	if (words_split(line, w, err) < 0) {
		free(w);
		return -1;
	}
	for (size_t i = 0; i < w->count && rc == 0; i++) {
		const struct option_entry *o;
		const char *arg = NULL;

		if (strcmp(w->word[i], "!") == 0) {
			st.neg = true;
			continue;
		}
		o = option_find(w->word[i]);
		if (!o || i + o->takes_arg + o->takes_arg2 >= w->count) {
			rc = -1;
			break;
		}
		if (o->takes_arg)
			arg = w->word[++i];
		st.arg2 = o->takes_arg2 ? w->word[++i] : NULL;
		rc = o->apply(&st, arg);
		st.neg = false;
	}
	free(w);
	if (rc < 0 || !r.chain[0])
		return error_set(err, "rule is not one smtpguard writes (edited by hand?): %.200s", line);
	*out = r;
	return 0;
}

static bool table_rule_is_jump(const struct fw_table *t, size_t index)
{
	for (size_t c = 0; c < t->nchains; c++) {
		const struct fw_chain *ch = &t->chains[c];

		if (index >= ch->first && index < ch->first + ch->count)
			return !chain_is_own(ch->name);
	}
	return false;
}

int ruleset_from_table(const struct fw_table *t, struct ruleset *rs, struct error *err)
{
	struct rule r;

	for (size_t c = 0; c < t->nchains; c++)
		if (chain_is_own(t->chains[c].name) && ruleset_add_chain(rs, t->chains[c].name) < 0)
			return error_set(err, "out of memory reading the own chains");
	/* Jumps first, then the own chains' rules, as include/rule.h orders a ruleset. */
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < t->nrules; i++) {
			if (!t->rules[i].own || table_rule_is_jump(t, i) != (pass == 0))
				continue;
			if (rule_parse_save(t->rules[i].text, t->family, &r, err) < 0)
				return -1;
			if (!ruleset_add_rule(rs, &r))
				return error_set(err, "out of memory reading the own chains");
		}
	return 0;
}
