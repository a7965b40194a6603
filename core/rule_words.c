/*
 * rule_words.c - one own rule in words an administrator reads at a
 * glance ("wlan eth2 new :25 from host seen <60s"), and its verdict
 * ("drop", "log", "pass" for a return, "-> wlan"), both from the rule IR: the console shows
 * these, with the exact iptables text one key away.
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
