/* metrics.c - the metrics in the Prometheus text format; see include/metrics.h. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "atomicfile.h"
#include "bans.h"
#include "compile.h"
#include "compile_nft.h"
#include "metrics.h"
#include "ruleparse.h"

#define METRICS_NO_ZONE "-"

const char *const metrics_verdict_names[METRICS_VERDICT_COUNT] = {
	[METRICS_DROP] = "drop",     [METRICS_LOG] = "log",	  [METRICS_RETURN] = "return",
	[METRICS_JUMP] = "jump",     [METRICS_ACCEPT] = "accept", [METRICS_MARK] = "mark",
};

static const enum metrics_verdict target_verdicts[] = {
	[TARGET_RETURN] = METRICS_RETURN, [TARGET_DROP] = METRICS_DROP,
	[TARGET_ACCEPT] = METRICS_ACCEPT, [TARGET_JUMP] = METRICS_JUMP,
	[TARGET_LOG] = METRICS_LOG,	  [TARGET_NFLOG] = METRICS_LOG,
	[TARGET_CONNMARK] = METRICS_MARK,
};

static const char *const family_labels[METRICS_FAMILIES] = { "ipv4", "ipv6", "inet" };

/* The index of the zone named name in cfg, else that of "-" (cfg->nzones). */
static size_t metrics_zone_index(const struct config *cfg, const char *name)
{
	size_t i = 0;

	while (i < cfg->nzones && strcmp(cfg->zones[i].name, name) != 0)
		i++;
	return i;
}

static const char *metrics_zone_name(const struct config *cfg, size_t i)
{
	return i < cfg->nzones ? cfg->zones[i].name : METRICS_NO_ZONE;
}

void metrics_hits_add(struct metrics_hits *h, const struct config *cfg, const struct hit *hit)
{
	h->count[metrics_zone_index(cfg, hit->zone)][hit->action]++;
}

/* The zone whose chain is chain (SMTPGUARD-<zone> or its -MAC chain), else "-". */
static size_t metrics_chain_zone(const struct config *cfg, const char *chain)
{
	char name[CHAIN_NAME_MAX + 1];
	size_t i = 0, len;

	for (; i < cfg->nzones; i++) {
		compile_zone_chain(cfg->zones[i].name, name);
		len = strlen(name);
		if (strncmp(chain, name, len) == 0 &&
		    (chain[len] == '\0' || strcmp(chain + len, "-MAC") == 0))
			break;
	}
	return i;
}

/* The zone whose interface is iface, else "-". */
static size_t metrics_iface_zone(const struct config *cfg, const char *iface)
{
	size_t i = 0;

	while (i < cfg->nzones && (!iface[0] || strcmp(cfg->zones[i].interface, iface) != 0))
		i++;
	return i;
}

/*
 * A zone's own chain; in SMTPGUARD-FWD and -IN the zone jumped to, or
 * the zone of the in- or else the out-interface (quarantine, replies);
 * the jumps in the built-in chains belong to no zone.
 */
static size_t metrics_rule_zone(const struct config *cfg, const struct rule *r)
{
	size_t z;

	if (strcmp(r->chain, CHAIN_FWD) != 0 && strcmp(r->chain, CHAIN_IN) != 0)
		return metrics_chain_zone(cfg, r->chain);
	if (r->target == TARGET_JUMP)
		return metrics_chain_zone(cfg, r->jump);
	z = metrics_iface_zone(cfg, r->in);
	return z < cfg->nzones ? z : metrics_iface_zone(cfg, r->out);
}

int metrics_add_table(struct metrics *m, const struct fw_table *t, size_t family,
		      struct error *err)
{
	for (size_t i = 0; i < t->nrules; i++) {
		const struct fw_rule *fr = &t->rules[i];
		struct metrics_sum *s;
		struct rule r;

		if (!fr->own)
			continue;
		if (rule_parse_save(fr->text, t->family, &r, err) < 0)
			return -1;
		s = &m->rules[metrics_rule_zone(m->cfg, &r)][family][target_verdicts[r.target]];
		s->packets += fr->packets;
		s->bytes += fr->bytes;
		s->any = true;
	}
	return 0;
}

/* ---- nftables: rules of table inet smtpguard in nft's text ---- */

/* What compile_nft writes after a rule's "counter". */
static const struct {
	const char *statement;
	enum metrics_verdict verdict;
} nft_verdicts[] = {
	{ "drop", METRICS_DROP },     { "return", METRICS_RETURN },  { "accept", METRICS_ACCEPT },
	{ "jump ", METRICS_JUMP },    { "goto ", METRICS_JUMP },     { "log ", METRICS_LOG },
	{ "ct mark set ", METRICS_MARK },
};

/* Whether the word w ("ip6") is one of text's space-separated words. */
static bool nft_has_word(const char *text, const char *w)
{
	size_t n = strlen(w);

	for (const char *p = strstr(text, w); p; p = strstr(p + 1, w))
		if ((p == text || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
			return true;
	return false;
}

/* The quoted interface after key ("iifname ") in text, nft's '*' wildcard back as '+'; "" when none. */
static void nft_iface(const char *text, const char *key, char buf[IFACE_NAME_MAX + 1])
{
	const char *p = strstr(text, key);
	size_t n = 0;

	buf[0] = '\0';
	if (!p || p[strlen(key)] != '"')
		return;
	p += strlen(key) + 1;
	n = strcspn(p, "\"");
	if (n > IFACE_NAME_MAX)
		return;
	memcpy(buf, p, n);
	buf[n] = '\0';
	if (n && buf[n - 1] == '*')
		buf[n - 1] = '+';
}

/*
 * A rule's zone: that of its chain zone_<zone>, the zone it jumps to,
 * no zone for the other jumps (forward's and input's to guard), else
 * that of its in- or out-interface (quarantine, protect_gateway).
 */
static size_t nft_rule_zone(const struct config *cfg, const char *chain, const char *text,
			    const char *verdict)
{
	static const char zone_chain[] = COMPILE_NFT_ZONE_CHAIN;
	char iface[IFACE_NAME_MAX + 1];
	size_t z;

	if (!strncmp(chain, zone_chain, sizeof(zone_chain) - 1))
		return metrics_zone_index(cfg, chain + sizeof(zone_chain) - 1);
	if (!strncmp(verdict, "jump ", 5) || !strncmp(verdict, "goto ", 5))
		return !strncmp(verdict + 5, zone_chain, sizeof(zone_chain) - 1)
			       ? metrics_zone_index(cfg, verdict + 5 + sizeof(zone_chain) - 1)
			       : cfg->nzones;
	nft_iface(text, "iifname ", iface);
	z = metrics_iface_zone(cfg, iface);
	if (z < cfg->nzones)
		return z;
	nft_iface(text, "oifname ", iface);
	return metrics_iface_zone(cfg, iface);
}

void metrics_add_nft_table(struct metrics *m, const struct fw_table *t)
{
	for (size_t c = 0; c < t->nchains; c++)
		for (size_t i = t->chains[c].first; i < t->chains[c].first + t->chains[c].count; i++) {
			const struct fw_rule *fr = &t->rules[i];
			const char *verdict = strstr(fr->text, " counter ");
			size_t v = 0, f;
			struct metrics_sum *s;

			if (!fr->own || !verdict)
				continue;
			verdict += strlen(" counter ");
			while (v < sizeof(nft_verdicts) / sizeof(nft_verdicts[0]) &&
			       strncmp(verdict, nft_verdicts[v].statement,
				       strlen(nft_verdicts[v].statement)) != 0)
				v++;
			if (v == sizeof(nft_verdicts) / sizeof(nft_verdicts[0]))
				continue;
			f = nft_has_word(fr->text, "ip6") ? 1
			    : nft_has_word(fr->text, "ip") ? 0 : METRICS_FAMILY_INET;
			s = &m->rules[nft_rule_zone(m->cfg, t->chains[c].name, fr->text, verdict)][f]
				     [nft_verdicts[v].verdict];
			s->packets += fr->packets;
			s->bytes += fr->bytes;
			s->any = true;
		}
}

static int metrics_count_bans(struct metrics *m, const struct fw_ops *fw, struct error *err)
{
	struct ban *bans;
	size_t n;

	if (!fw->bans)
		return 0;
	if (fw->bans->read(m->cfg, &bans, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (bans[i].seconds_left > 0)
			m->bans[metrics_zone_index(m->cfg, bans[i].zone)]++;
	free(bans);
	return 0;
}

int metrics_collect(const struct config *cfg, const struct fw_ops *fw,
		    const struct metrics_hits *hits, struct metrics *m, struct error *err)
{
	struct fw_table t[DUALSTACK_N];
	struct ruleset rs[DUALSTACK_N];
	struct plan p[DUALSTACK_N];
	int rc = -1;

	memset(m, 0, sizeof(*m));
	m->cfg = cfg;
	m->hits = hits;
	if (dualstack_read(fw, t, err) < 0)
		return -1;
	for (size_t i = 0; i < DUALSTACK_N; i++) {
		plan_init(&p[i]);
		if (fw->whole)	/* nft text, both families in the first table */
			metrics_add_nft_table(m, &t[i]);
		else if (metrics_add_table(m, &t[i], i, err) < 0)
			goto out;
	}
	/* a relay name that does not resolve now leaves the drift unknown, the rest is exported */
	if (dualstack_compile(cfg, rs, NULL) == 0) {
		m->drift_known = !fw->whole || dualstack_plan(fw, rs, p, NULL) == 0;
		for (size_t i = 0; !fw->whole && i < DUALSTACK_N && m->drift_known; i++)
			m->drift_known = plan_compute(&t[i], &rs[i], &p[i], NULL) == 0;
		m->drift = !dualstack_plans_empty(p);
	}
	dualstack_rulesets_free(rs);
	rc = metrics_count_bans(m, fw, err);
out:
	dualstack_plans_free(p);
	dualstack_tables_free(t);
	return rc;
}

bool metrics_escape_label(const char *value, char *buf, size_t size)
{
	size_t n = 0;

	for (const char *c = value; *c; c++) {
		const char *out = *c == '\\' ? "\\\\" : *c == '"' ? "\\\"" : *c == '\n' ? "\\n" : NULL;
		size_t len = out ? 2 : 1;

		if (n + len >= size)
			return false;
		memcpy(buf + n, out ? out : c, len);
		n += len;
	}
	if (n >= size)
		return false;
	buf[n] = '\0';
	return true;
}

static void metrics_head(FILE *out, const char *name, const char *type, const char *help)
{
	fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* name{zone="Z"[,rest]} value: the zone label escaped, rest already text. */
static void metrics_zone_sample(FILE *out, const char *name, const char *zone, const char *rest,
				uint64_t value)
{
	char label[4 * ZONE_NAME_MAX + 8];

	if (!metrics_escape_label(zone, label, sizeof(label)))
		snprintf(label, sizeof(label), "%s", METRICS_NO_ZONE);
	fprintf(out, "%s{zone=\"%s\"%s} %" PRIu64 "\n", name, label, rest, value);
}

static void metrics_write_rules(const struct metrics *m, FILE *out, bool bytes)
{
	const char *name = bytes ? "smtpguard_rule_bytes_total" : "smtpguard_rule_packets_total";
	char rest[64];

	metrics_head(out, name, "counter",
		     bytes ? "Bytes matched by smtpguard's own rules, per zone, family and verdict."
			   : "Packets matched by smtpguard's own rules, per zone, family and verdict.");
	for (size_t z = 0; z <= m->cfg->nzones; z++)
		for (size_t f = 0; f < METRICS_FAMILIES; f++)
			for (size_t v = 0; v < METRICS_VERDICT_COUNT; v++) {
				const struct metrics_sum *s = &m->rules[z][f][v];

				if (!s->any)
					continue;
				snprintf(rest, sizeof(rest), ",family=\"%s\",verdict=\"%s\"",
					 family_labels[f], metrics_verdict_names[v]);
				metrics_zone_sample(out, name, metrics_zone_name(m->cfg, z), rest,
						    bytes ? s->bytes : s->packets);
			}
}

static void metrics_write_hits(const struct metrics_hits *h, const struct config *cfg, FILE *out)
{
	char rest[32];

	metrics_head(out, "smtpguard_hits_total", "counter",
		     "Hits recorded by smtpguard watch since it started, per zone and action.");
	for (size_t z = 0; z <= cfg->nzones; z++)
		for (size_t a = 0; a < HIT_ACTION_COUNT; a++) {
			if (z == cfg->nzones && !h->count[z][a])
				continue;	/* "-" only once it has hits */
			snprintf(rest, sizeof(rest), ",action=\"%s\"", hit_action_names[a]);
			metrics_zone_sample(out, "smtpguard_hits_total", metrics_zone_name(cfg, z),
					    rest, h->count[z][a]);
		}
	metrics_head(out, "smtpguard_hits_lost_total", "counter",
		     "Hits the kernel dropped before smtpguard watch read them, since it started.");
	fprintf(out, "smtpguard_hits_lost_total %" PRIu64 "\n", h->lost);
	metrics_head(out, "smtpguard_watch_start_time_seconds", "gauge",
		     "When smtpguard watch started, seconds since the epoch.");
	fprintf(out, "smtpguard_watch_start_time_seconds %lld\n", (long long)h->since);
}

int metrics_write(const struct metrics *m, FILE *out)
{
	metrics_write_rules(m, out, false);
	metrics_write_rules(m, out, true);
	metrics_head(out, "smtpguard_banned_hosts", "gauge",
		     "Hosts in a zone's rate-ban lists whose ban runs now.");
	for (size_t z = 0; z < m->cfg->nzones; z++)
		metrics_zone_sample(out, "smtpguard_banned_hosts", metrics_zone_name(m->cfg, z), "",
				    m->bans[z]);
	if (m->drift_known) {
		metrics_head(out, "smtpguard_drift", "gauge",
			     "1 when the kernel's own rules are out of step with the config, else 0.");
		fprintf(out, "smtpguard_drift %d\n", m->drift ? 1 : 0);
	}
	if (m->hits)
		metrics_write_hits(m->hits, m->cfg, out);
	return ferror(out) ? -1 : 0;
}

int metrics_write_file(const struct metrics *m, const char *path, struct error *err)
{
	struct atomicfile af;

	if (atomicfile_open(&af, path, err) < 0)
		return -1;
	/* node_exporter reads it as another user: the metrics are no secret */
	if (fchmod(fileno(af.fp), 0644) < 0 || metrics_write(m, af.fp) < 0) {
		atomicfile_abort(&af);
		return error_set(err, "metrics: cannot write %s", path);
	}
	return atomicfile_commit(&af, err);
}
