/*
 * rule_words.c - one own rule in words an administrator reads at a
 * glance ("wlan eth2 new :25 from host seen <60s"), and its verdict
 * ("drop", "log", "pass" for a return, "-> wlan"), from the rule IR, or
 * for nftables from the rule's text as compile_nft() writes it: the
 * console shows these, with the exact rule text one key away.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "rule.h"

struct words {
	char *buf;
	size_t size, len;
};

static void words_add(struct words *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void words_add(struct words *w, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (w->len >= w->size)
		return;
	if (w->len)
		w->buf[w->len++] = ' ';
	if (w->len >= w->size) {
		w->buf[w->size - 1] = '\0';
		return;
	}
	va_start(ap, fmt);
	n = vsnprintf(w->buf + w->len, w->size - w->len, fmt, ap);
	va_end(ap);
	w->len = n < 0 ? w->size : w->len + (size_t)n;
}

/* "SMTPGUARD-wlan-MAC" -> "wlan-MAC", "SMTPGUARD-FWD" -> "FWD"; other chains as they are. */
static const char *chain_short(const char *chain)
{
	size_t n = strlen(CHAIN_PREFIX);

	return strncmp(chain, CHAIN_PREFIX, n) == 0 ? chain + n : chain;
}

static void words_ports(struct words *w, const struct rule *r)
{
	static const char *const side[] = {
		[PORTS_NONE] = "", [PORTS_DST] = "", [PORTS_SRC] = "from", [PORTS_EITHER] = "either",
	};
	char list[8 * CONFIG_MAX_PORTS] = "";
	size_t n = 0;

	if (r->ports_match == PORTS_NONE)
		return;
	for (size_t i = 0; i < r->nports && n < sizeof(list); i++)
		n += (size_t)snprintf(list + n, sizeof(list) - n, "%s%u", i ? "," : "", r->ports[i]);
	words_add(w, "%s%s%s:%s", r->ports_neg ? "not " : "", side[r->ports_match],
		  *side[r->ports_match] ? " " : "", list);
}

static void words_addr(struct words *w, const char *what, bool neg, const struct addr *a)
{
	char text[ADDR_TEXT_MAX];

	addr_format(a, text, sizeof(text));
	words_add(w, "%s%s %s", neg ? "not " : "", what, text);
}

void rule_words(const struct rule *r, char *buf, size_t size)
{
	struct words w = { .buf = buf, .size = size };

	buf[0] = '\0';
	words_add(&w, "%s", chain_short(r->chain));
	if (r->in[0] || r->out[0])
		words_add(&w, "%s>%s", r->in[0] ? r->in : "*", r->out[0] ? r->out : "*");
	if (r->ctstate)
		words_add(&w, "%s%s%s%s", r->ctstate_neg ? "not " : "",
			  r->ctstate & CT_NEW ? "new" : "",
			  r->ctstate & CT_ESTABLISHED ? (r->ctstate & CT_NEW ? ",est" : "est") : "",
			  r->ctstate & CT_RELATED ? (r->ctstate != CT_RELATED ? ",rel" : "rel") : "");
	if (r->tcp_syn)
		words_add(&w, "syn");
	words_ports(&w, r);
	if (r->has_src)
		words_addr(&w, "from", r->src_neg, &r->src);
	if (r->has_dst)
		words_addr(&w, "to", r->dst_neg, &r->dst);
	if (r->has_mac) {
		char mac[18];

		mac_format(r->mac, mac);
		words_add(&w, "mac %s", mac);
	}
	if (r->has_connmark)
		words_add(&w, "marked 0x%x/0x%x", r->connmark, r->connmark_mask);
	if (r->recent == RECENT_SET)
		words_add(&w, "remember host");
	else if (r->recent != RECENT_NONE && r->recent_seconds)
		words_add(&w, "host seen <%us", r->recent_seconds);
	else if (r->recent != RECENT_NONE)
		words_add(&w, "host seen");
	if (r->has_limit) {
		char rate[32];

		rate_format(&r->limit, rate, sizeof(rate));
		words_add(&w, "at most %s burst %u", rate, r->limit_burst);
	}
	if (r->target == TARGET_LOG || r->target == TARGET_NFLOG)
		words_add(&w, "\"%s\"", r->log_prefix);
}

void rule_verdict(const struct rule *r, char *buf, size_t size)
{
	static const char *const names[] = {
		[TARGET_RETURN] = "pass", [TARGET_DROP] = "drop", [TARGET_ACCEPT] = "accept",
		[TARGET_LOG] = "log", [TARGET_NFLOG] = "log", [TARGET_CONNMARK] = "mark",
	};

	if (r->target == TARGET_JUMP)
		snprintf(buf, size, "-> %s", chain_short(r->jump));
	else
		snprintf(buf, size, "%s", names[r->target]);
}

/* ---- nftables: the own table's rules, read token by token ---- */

#define NFT_TOKENS_MAX 64

/*
 * Split text into tokens at spaces; a quoted string and a { .. } group
 * are one token each.  Tokens point into buf (a copy of text); returns
 * how many.
 */
static size_t nft_tokens(const char *text, char *buf, size_t size, char *tok[NFT_TOKENS_MAX])
{
	size_t n = 0;
	char *p = buf;

	snprintf(buf, size, "%s", text);
	while (*p && n < NFT_TOKENS_MAX) {
		char close = *p == '"' ? '"' : *p == '{' ? '}' : ' ';
		char *end;

		if (*p == ' ') {
			p++;
			continue;
		}
		tok[n++] = p;
		end = strchr(p + (close != ' '), close);
		if (!end)
			break;
		p = end + (close != ' ');
		if (*p)
			*p++ = '\0';
	}
	return n;
}

/* A token without its quotes, or a { a, b } group as "a,b", into out. */
static void nft_plain(const char *tok, char *out, size_t size)
{
	size_t n = 0;

	for (const char *p = tok; *p && n + 1 < size; p++)
		if (!strchr("\"{} ", *p))
			out[n++] = *p;
	out[n] = '\0';
}

static bool nft_is(char *const *tok, size_t n, size_t i, const char *a, const char *b)
{
	return i < n && strcmp(tok[i], a) == 0 && (!b || (i + 1 < n && strcmp(tok[i + 1], b) == 0));
}

/* "zone_wlan" -> "wlan"; the other chains as they are. */
static const char *nft_chain_short(const char *chain)
{
	return strncmp(chain, "zone_", 5) == 0 ? chain + 5 : chain;
}

/* Read the statement at tok[*i] into w (or verdict); *i moves past it. */
static void nft_statement(char *const *tok, size_t n, size_t *i, struct words *w, char *verdict,
			  size_t vsize)
{
	static const struct {
		const char *word, *verdict;
	} verdicts[] = {
		{ "return", "pass" }, { "drop", "drop" }, { "accept", "accept" }, { "reject", "reject" },
	};
	char v[128];
	size_t k = *i;

	if (nft_is(tok, n, k, "tcp", "dport") || nft_is(tok, n, k, "tcp", "sport")) {
		nft_plain(k + 2 < n ? tok[k + 2] : "", v, sizeof(v));
		words_add(w, "%s:%s", tok[k + 1][0] == 's' ? "from " : "", v);
		*i = k + 3;
	} else if (nft_is(tok, n, k, "tcp", "flags")) {
		words_add(w, "syn");
		*i = k + 5;
	} else if ((nft_is(tok, n, k, "ip", NULL) || nft_is(tok, n, k, "ip6", NULL)) && k + 2 < n) {
		bool neg = strcmp(tok[k + 2], "!=") == 0;

		words_add(w, "%s%s %s", neg ? "not " : "", tok[k + 1][0] == 's' ? "from" : "to",
			  k + 2 + neg < n ? tok[k + 2 + neg] : "");
		*i = k + 3 + neg;
	} else if (nft_is(tok, n, k, "ether", "saddr") && k + 5 < n && strcmp(tok[k + 2], ".") == 0) {
		bool neg = strcmp(tok[k + 5], "!=") == 0;

		words_add(w, "mac+ip %sin %s", neg ? "not " : "", k + 5 + neg < n ? tok[k + 5 + neg] : "");
		*i = k + 6 + neg;
	} else if (nft_is(tok, n, k, "ether", "saddr")) {
		words_add(w, "mac %s", k + 2 < n ? tok[k + 2] : "");
		*i = k + 3;
	} else if (nft_is(tok, n, k, "ct", "state")) {
		nft_plain(k + 2 < n ? tok[k + 2] : "", v, sizeof(v));
		words_add(w, "%s", strcmp(v, "established,related") == 0 ? "est,rel" : v);
		*i = k + 3;
	} else if (nft_is(tok, n, k, "ct", "mark") && nft_is(tok, n, k + 2, "set", NULL)) {
		snprintf(verdict, vsize, "mark");
		*i = n;
	} else if (nft_is(tok, n, k, "ct", "mark") && k + 5 < n) {
		words_add(w, "marked %s", tok[k + 5]);
		*i = k + 6;
	} else if (nft_is(tok, n, k, "limit", "rate") && k + 2 < n) {
		words_add(w, "at most %s", tok[k + 2]);
		*i = k + 3;
		if (nft_is(tok, n, *i, "burst", NULL)) {
			words_add(w, "burst %s", *i + 1 < n ? tok[*i + 1] : "");
			*i += 3;
		}
	} else if (nft_is(tok, n, k, "update", NULL) || nft_is(tok, n, k, "add", NULL)) {
		words_add(w, "remember host");
		*i = k + 3;
	} else if (nft_is(tok, n, k, "log", NULL)) {
		snprintf(verdict, vsize, "log");
		for (size_t j = k + 1; j + 1 < n; j++)
			if (strcmp(tok[j], "prefix") == 0)
				words_add(w, "%s", tok[j + 1]);
		*i = n;
	} else if ((nft_is(tok, n, k, "jump", NULL) || nft_is(tok, n, k, "goto", NULL)) && k + 1 < n) {
		snprintf(verdict, vsize, "-> %s", nft_chain_short(tok[k + 1]));
		*i = n;
	} else if (nft_is(tok, n, k, "counter", NULL)) {
		*i = k + 1;
	} else {
		for (size_t j = 0; j < sizeof(verdicts) / sizeof(verdicts[0]); j++)
			if (strcmp(tok[k], verdicts[j].word) == 0) {
				snprintf(verdict, vsize, "%s", verdicts[j].verdict);
				*i = k + 1;
				return;
			}
		words_add(w, "%s", tok[k]);	/* not a form of ours: shown as it is */
		*i = k + 1;
	}
}

void rule_words_nft(const char *chain, const char *text, char *words, size_t wsize, char *verdict,
		    size_t vsize)
{
	char buf[RULE_TEXT_MAX], in[64] = "", out[64] = "", *tok[NFT_TOKENS_MAX];
	struct words w = { .buf = words, .size = wsize };
	size_t n = nft_tokens(text, buf, sizeof(buf), tok), i = 0;

	words[0] = '\0';
	verdict[0] = '\0';
	words_add(&w, "%s", nft_chain_short(chain));
	while (i < n && (nft_is(tok, n, i, "iifname", NULL) || nft_is(tok, n, i, "oifname", NULL))) {
		nft_plain(i + 1 < n ? tok[i + 1] : "", tok[i][0] == 'i' ? in : out, sizeof(in));
		i += 2;
	}
	if (in[0] || out[0])
		words_add(&w, "%s>%s", in[0] ? in : "*", out[0] ? out : "*");
	while (i < n)
		nft_statement(tok, n, &i, &w, verdict, vsize);
}
