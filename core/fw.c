/*
 * fw.c - the backend-neutral half of include/fw.h: building and freeing
 * a table, printing it as iptables-save does, and choosing the backend.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "backend_detect.h"
#include "compile.h"
#include "compile_nft.h"
#include "config.h"
#include "fw.h"
#include "ruleparse.h"
#include "testenv.h"
#include "xlock.h"

/* The text of every rule read without one (fw_ops.read_own): a table of 10k others allocates none. */
static char fw_no_text[] = "";

static char *fw_text_copy(const char *text)
{
	return *text ? strdup(text) : fw_no_text;
}

static void fw_text_free(char *text)
{
	if (text != fw_no_text)
		free(text);
}

/* Room for n rules in t; -1 when out of memory. */
static int fw_table_reserve(struct fw_table *t, size_t n)
{
	size_t cap = t->rules_cap ? t->rules_cap : 16;
	struct fw_rule *rules;

	if (n <= t->rules_cap)
		return 0;
	while (cap < n)
		cap *= 2;
	if (!(rules = realloc(t->rules, cap * sizeof(*rules))))
		return -1;
	t->rules = rules;
	t->rules_cap = cap;
	return 0;
}

void fw_table_free(struct fw_table *t)
{
	for (size_t i = 0; i < t->nrules; i++)
		fw_text_free(t->rules[i].text);
	free(t->rules);
	free(t->chains);
	memset(t, 0, sizeof(*t));
}

const struct fw_chain *fw_table_chain(const struct fw_table *t, const char *name)
{
	for (size_t i = 0; i < t->nchains; i++)
		if (!t->chains[i].table[0] && strcmp(t->chains[i].name, name) == 0)
			return &t->chains[i];
	return NULL;
}

const struct fw_chain *fw_table_rule_chain(const struct fw_table *t, size_t i)
{
	for (size_t c = 0; c < t->nchains; c++)
		if (i >= t->chains[c].first && i < t->chains[c].first + t->chains[c].count)
			return &t->chains[c];
	return NULL;
}

int fw_table_append(struct fw_table *t, const struct fw_table *from)
{
	struct fw_chain *chains = realloc(t->chains, (t->nchains + from->nchains + 1) * sizeof(*chains));
	struct fw_rule *rules;
	size_t n = 0;

	if (!chains)
		return -1;
	t->chains = chains;
	if (fw_table_reserve(t, t->nrules + from->nrules) < 0)
		return -1;
	rules = t->rules;
	for (; n < from->nrules; n++) {
		rules[t->nrules + n] = from->rules[n];
		rules[t->nrules + n].own = false;
		if (!(rules[t->nrules + n].text = fw_text_copy(from->rules[n].text))) {
			while (n-- > 0)
				fw_text_free(rules[t->nrules + n].text);
			return -1;
		}
	}
	for (size_t c = 0; c < from->nchains; c++) {
		chains[t->nchains + c] = from->chains[c];
		chains[t->nchains + c].first += t->nrules;
	}
	t->nchains += from->nchains;
	t->nrules += from->nrules;
	t->fingerprint = (t->fingerprint ^ from->fingerprint) * 0x100000001b3ULL;
	return 0;
}

static bool fw_chain_builtin(const struct fw_chain *c)
{
	return strcmp(c->policy, "-") != 0;
}

long fw_table_add_chain(struct fw_table *t, const char *name, const char *policy,
			uint64_t packets, uint64_t bytes, bool sorted)
{
	struct fw_chain *chains, *c;
	size_t at = t->nchains;

	if (strlen(name) >= sizeof(c->name) || strlen(policy) >= sizeof(c->policy))
		return -1;
	if (sorted) {
		bool builtin = strcmp(policy, "-") != 0;

		for (at = 0; at < t->nchains; at++) {
			const struct fw_chain *o = &t->chains[at];

			if (!fw_chain_builtin(o) && (builtin || strcmp(o->name, name) > 0))
				break;
		}
	}
	chains = realloc(t->chains, (t->nchains + 1) * sizeof(*chains));
	if (!chains)
		return -1;
	t->chains = chains;
	memmove(&chains[at + 1], &chains[at], (t->nchains - at) * sizeof(*chains));
	c = &chains[at];
	memset(c, 0, sizeof(*c));
	strcpy(c->name, name);
	strcpy(c->policy, policy);
	c->packets = packets;
	c->bytes = bytes;
	c->first = at ? chains[at - 1].first + chains[at - 1].count : 0;
	t->nchains++;
	return (long)at;
}

int fw_table_insert_rule(struct fw_table *t, size_t chain, size_t pos, const char *text,
			 uint64_t packets, uint64_t bytes)
{
	struct fw_chain *c = &t->chains[chain];
	struct fw_rule *rules;
	size_t at;
	char *copy = fw_text_copy(text);

	if (!copy)
		return -1;
	if (fw_table_reserve(t, t->nrules + 1) < 0) {
		fw_text_free(copy);
		return -1;
	}
	rules = t->rules;
	if (pos > c->count)
		pos = c->count;
	at = c->first + pos;
	memmove(&rules[at + 1], &rules[at], (t->nrules - at) * sizeof(*rules));
	rules[at] = (struct fw_rule){ .text = copy, .packets = packets, .bytes = bytes };
	t->nrules++;
	c->count++;
	for (size_t i = chain + 1; i < t->nchains; i++)
		t->chains[i].first++;
	return 0;
}

void fw_table_delete_rule(struct fw_table *t, size_t chain, size_t pos)
{
	struct fw_chain *c = &t->chains[chain];
	size_t at = c->first + pos;

	fw_text_free(t->rules[at].text);
	memmove(&t->rules[at], &t->rules[at + 1], (t->nrules - at - 1) * sizeof(*t->rules));
	t->nrules--;
	c->count--;
	for (size_t i = chain + 1; i < t->nchains; i++)
		t->chains[i].first--;
}

void fw_table_delete_chain(struct fw_table *t, size_t chain)
{
	while (t->chains[chain].count)
		fw_table_delete_rule(t, chain, 0);
	memmove(&t->chains[chain], &t->chains[chain + 1],
		(t->nchains - chain - 1) * sizeof(*t->chains));
	t->nchains--;
}

int fw_table_init_empty(struct fw_table *t, int family)
{
	static const char *const builtins[] = { "INPUT", "FORWARD", "OUTPUT" };

	memset(t, 0, sizeof(*t));
	t->family = family;
	for (size_t i = 0; i < sizeof(builtins) / sizeof(*builtins); i++) {
		if (fw_table_add_chain(t, builtins[i], "ACCEPT", 0, 0, false) < 0) {
			fw_table_free(t);
			return -1;
		}
	}
	fw_table_finish(t);
	return 0;
}

/* nftables' verdict statements that take no chain; the last one of a rule is its verdict. */
static bool fw_nft_verdict(const char *word, size_t len)
{
	static const char *const verdicts[] = { "accept", "drop", "reject", "return", "queue",
						"continue" };

	if (len < 4 || len > 8)	/* shorter or longer than every verdict */
		return false;
	for (size_t i = 0; i < sizeof(verdicts) / sizeof(verdicts[0]); i++)
		if (strncmp(word, verdicts[i], len) == 0 && !verdicts[i][len])
			return true;
	return false;
}

void fw_rule_target(const char *text, char *buf, size_t size)
{
	const char *p = text;
	bool next_is_target = false;

	if (size)
		*buf = '\0';
	while (*p) {
		const char *start;
		size_t len;

		while (*p == ' ')
			p++;
		start = p;
		if (*p == '"') {	/* a quoted argument, with \" and \\ escapes */
			for (p++; *p && *p != '"'; p++)
				if (*p == '\\' && p[1])
					p++;
			if (*p)
				p++;
		}
		while (*p && *p != ' ')
			p++;
		len = (size_t)(p - start);
		if (next_is_target) {
			if (len < size) {
				memcpy(buf, start, len);
				buf[len] = '\0';
			}
			return;
		}
		if (fw_nft_verdict(start, len) && len < size) {
			memcpy(buf, start, len);
			buf[len] = '\0';
		}
		next_is_target = (len == 2 && (!strncmp(start, "-j", 2) || !strncmp(start, "-g", 2))) ||
				 (len == 4 && (!strncmp(start, "jump", 4) || !strncmp(start, "goto", 4)));
	}
}

/*
 * Whether a rule of a built-in chain that jumps to target is smtpguard's:
 * only the forms it writes are (compile_is_own_jump); an administrator's
 * "-A INPUT -j SMTPGUARD-FWD" is theirs.
 */
static bool fw_rule_is_own_jump(const struct fw_table *t, const char *text, const char *target)
{
	struct rule r;

	return chain_is_own(target) && rule_parse_save(text, t->family, &r, NULL) == 0 &&
	       compile_is_own_jump(&r);
}

/*
 * A 64-bit hash of s after h, eight bytes a step (a table of 10k rules
 * is a megabyte of text, read at every refresh); the length ends each
 * string, so consecutive strings cannot run into one another.
 */
static uint64_t fw_hash(uint64_t h, const char *s)
{
	size_t n = strlen(s);
	uint64_t w;

	for (; n >= 8; s += 8, n -= 8) {
		memcpy(&w, s, 8);
		h = (h ^ w) * 0x9e3779b97f4a7c15ULL;
		h ^= h >> 32;
	}
	w = 0;
	memcpy(&w, s, n);
	h = (h ^ w ^ (uint64_t)n << 56) * 0x9e3779b97f4a7c15ULL;
	return h ^ h >> 32;
}

void fw_table_finish(struct fw_table *t)
{
	uint64_t h = 0xcbf29ce484222325ULL, own = h;
	char target[CHAIN_NAME_MAX + 4], position[32];

	for (size_t c = 0; c < t->nchains; c++) {
		const struct fw_chain *ch = &t->chains[c];
		bool own_chain = chain_is_own(ch->name);

		h = fw_hash(fw_hash(h, ch->name), ch->policy);
		for (size_t i = ch->first; i < ch->first + ch->count; i++) {
			struct fw_rule *r = &t->rules[i];

			/* only a built-in chain's rule that names an own chain can be an own jump */
			r->own = own_chain;
			if (!own_chain && fw_chain_builtin(ch) && strstr(r->text, CHAIN_PREFIX)) {
				fw_rule_target(r->text, target, sizeof(target));
				r->own = fw_rule_is_own_jump(t, r->text, target);
			}
			h = fw_hash(h, r->text);
			if (r->own) {
				snprintf(position, sizeof(position), "%zu", i - ch->first);
				own = fw_hash(fw_hash(own, position), r->text);
			}
		}
		if (own_chain)
			own = fw_hash(own, ch->name);
	}
	t->fingerprint = h;
	t->own_fingerprint = own;
}

int fw_table_write_save(const struct fw_table *t, bool counters, FILE *out)
{
	fputs("*filter\n", out);
	for (size_t c = 0; c < t->nchains; c++) {
		const struct fw_chain *ch = &t->chains[c];

		fprintf(out, ":%s %s [%" PRIu64 ":%" PRIu64 "]\n", ch->name, ch->policy, ch->packets,
			ch->bytes);
	}
	for (size_t c = 0; c < t->nchains; c++) {
		const struct fw_chain *ch = &t->chains[c];

		for (size_t i = ch->first; i < ch->first + ch->count; i++) {
			const struct fw_rule *r = &t->rules[i];

			if (counters)
				fprintf(out, "[%" PRIu64 ":%" PRIu64 "] ", r->packets, r->bytes);
			fprintf(out, "%s\n", r->text);
		}
	}
	fputs("COMMIT\n", out);
	return ferror(out) ? -1 : 0;
}

#define FW_CAP_NET_ADMIN_BIT 12

bool fw_is_zone_chain(const char *chain, const char *zone)
{
	char own[CHAIN_NAME_MAX + 1];
	size_t n = strlen(COMPILE_NFT_ZONE_CHAIN);

	compile_zone_chain(zone, own);
	return strcmp(chain, own) == 0 ||
	       (strncmp(chain, COMPILE_NFT_ZONE_CHAIN, n) == 0 && strcmp(chain + n, zone) == 0);
}

/* Read once: smtpguard never changes its capabilities. */
bool fw_has_net_admin(void)
{
	static int known = -1;
	char line[256];
	unsigned long long caps = 0;
	bool found = false;
	FILE *f;

	if (known >= 0)
		return known;
	if (!(f = fopen("/proc/self/status", "re")))
		return true;	/* cannot tell: let the kernel say */
	while (!found && fgets(line, sizeof(line), f))
		if ((found = strncmp(line, "CapEff:", 7) == 0))
			caps = strtoull(line + 7, NULL, 16);
	fclose(f);
	known = !found || (caps >> FW_CAP_NET_ADMIN_BIT) & 1;
	return known;
}

int fw_need_root(struct error *err, const char *what)
{
	return error_set(err, "need root (CAP_NET_ADMIN) to %s the firewall; run smtpguard as root",
			 what);
}

const char *fw_fake_table(void)
{
	return testenv()->fake_table;
}

static const struct fw_ops *fw_chosen = &fw_iptc_ops;
static const char *fw_reason = "the default";
static bool fw_auto_pending;

/* Whether the legacy filter table of either family holds own chains or jumps (never creates one). */
static bool fw_legacy_owns(bool *any_rules)
{
	bool own = false;

	*any_rules = false;
	for (size_t i = 0; i < 2; i++) {
		int family = i ? AF_INET6 : AF_INET;
		bool rules, owned;
		struct error err = { 0 };

		if (backend_legacy_filter(family) != 1 || fw_iptc_owns(family, &rules, &owned, &err) < 0)
			continue;
		*any_rules = *any_rules || rules;
		own = own || owned;
	}
	return own;
}

/* The own table inet smtpguard among the facts' nft tables (NULL: not there). */
/*
 * auto: the rules of include/fw.h's fw_backend_choose(), in order
 * (README "IPv6 and nftables"): where smtpguard's own rules are, then
 * what the host uses; smtpguard's own table is not the host's rules.
 */
static struct backend_facts fw_auto_facts;
static bool fw_auto_facts_set;

static void fw_choose_auto(void)
{
	struct backend_facts f;
	bool legacy_rules, legacy_own = fw_legacy_owns(&legacy_rules);

	backend_detect(&f, true);
	fw_auto_facts = f;
	fw_auto_facts_set = true;
	if (legacy_own) {
		fw_chosen = &fw_iptc_ops;
		fw_reason = "auto: smtpguard's chains are in the legacy tables";
	} else if (f.nft_own) {
		fw_chosen = &fw_nft_ops;
		fw_reason = "auto: smtpguard's table inet smtpguard is in nftables";
	} else if (legacy_rules) {
		fw_chosen = &fw_iptc_ops;
		fw_reason = "auto: the legacy iptables tables hold rules";
	} else if (*f.alternative && !f.alternative_nft) {
		fw_chosen = &fw_iptc_ops;
		fw_reason = "auto: iptables is the legacy variant";
	} else if (f.nft_queried && f.nft_rules > 0) {
		fw_chosen = &fw_nft_ops;
		fw_reason = "auto: the host's rules are in nftables";
	} else if (f.alternative_nft) {
		fw_chosen = &fw_nft_ops;
		fw_reason = "auto: iptables is iptables-nft and the legacy tables are empty";
	} else if (f.legacy_ip4 < 0 && f.legacy_ip6 < 0 && !*f.alternative) {
		fw_chosen = &fw_nft_ops;
		fw_reason = "auto: the kernel has no legacy tables loaded and no iptables alternative";
	} else {
		fw_chosen = &fw_iptc_ops;
		fw_reason = "auto: the legacy tables are there and nftables holds no rules";
	}
}

const struct backend_facts *fw_backend_facts(void)
{
	return fw_auto_facts_set ? &fw_auto_facts : NULL;
}

void fw_backend_choose(const struct config *cfg)
{
	fw_auto_pending = false;
	if (fw_fake_table())
		return;
	switch (cfg->backend) {
	case CONFIG_BACKEND_IPTABLES:
		fw_chosen = &fw_iptc_ops;
		fw_reason = "backend = iptables in the config";
		break;
	case CONFIG_BACKEND_NFTABLES:
		fw_chosen = &fw_nft_ops;
		fw_reason = "backend = nftables in the config";
		break;
	default:
		fw_auto_pending = true;	/* looked at once a command asks for the backend */
		break;
	}
}

/* auto's look at the host's firewall, on the first question only. */
static void fw_choose_pending(void)
{
	if (fw_auto_pending) {
		fw_auto_pending = false;
		fw_choose_auto();
	}
}

const char *fw_backend_reason(void)
{
	if (fw_fake_table())
		return "SMTPGUARD_FAKE_TABLE is set";
	fw_choose_pending();
	return fw_reason;
}

int fw_backend_exclusive(const struct fw_ops *fw, struct error *err)
{
	bool any;

	if (!fw->kernel)
		return 0;
	if (fw != &fw_iptc_ops && fw_legacy_owns(&any))
		return error_set(err, "own rules exist in the legacy iptables tables; run `smtpguard "
				      "remove` with backend = iptables first");
	/* no answer (no nf_tables): then no table of ours either */
	if (fw != &fw_nft_ops && backend_nft_own() == 1)
		return error_set(err, "own rules exist in nftables (table inet smtpguard); run "
				      "`smtpguard remove` with backend = nftables first");
	return 0;
}

int fw_hold(struct error *err)
{
	if (fw_fake_table() || !fw_has_net_admin())
		return 0;
	return xlock_hold(err);
}

void fw_unhold(void)
{
	xlock_unhold();
	if (!xlock_holding())
		fw_iptc_forget();
}

const struct fw_ops *fw_backend(void)
{
	if (fw_fake_table())
		return &fw_file_ops;
	fw_choose_pending();
	return fw_chosen;
}
