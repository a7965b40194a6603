/*
 * console_data.c - what one refresh of the console reads: the
 * interfaces, the filter table (once), per-rule and per-zone rates, the
 * rate-ban lists and top talkers; and the live hit source.
 *
 * Rates compare the current read with the previous one: a rule is
 * matched to its previous self by chain and text (same position first,
 * so an unchanged table costs one comparison per rule).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "bans.h"
#include "console.h"
#include "watch.h"

#define BACKFILL_BYTES (1 << 20)
#define EXPAND_DEPTH 4

static void *console_alloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);

	if (!p)
		console_die("out of memory");
	return p;
}

/* A live hit: its action follows the zone's mode in force now, not at start. */
static void console_hit_push(void *arg, const struct hit *h)
{
	struct console *c = arg;
	struct hit now = *h;
	const struct zone *z;

	hit_set_zone(&now, c->cfg);
	hit_ring_push(c->ring, &now);
	z = config_zone(c->cfg, now.zone);
	if (z && z - c->cfg->zones < CONFIG_MAX_ZONES)
		c->zone_hits[z - c->cfg->zones]++;
}

void console_sources_open(struct console *c)
{
	struct hit_context ctx;
	struct error err = { 0 };

	c->ring = hit_ring_new(HITS_KEEP, 4096);
	c->source_cfg = config_copy(c->cfg);
	if (!c->ring || !c->source_cfg)
		console_die("out of memory");
	/* the sources keep a pointer to this config: it must not change under them */
	hit_context_init(&ctx, c->source_cfg);
	/* The recent past from the log files, then live from the configured source. */
	if (c->cfg->nlog_files > 0)
		logsource_backfill(&ctx, c->ring, BACKFILL_BYTES, NULL, &err);
	c->source = watch_open_reader(&ctx, &err);
	if (!c->source)
		snprintf(c->source_error, sizeof(c->source_error), "%s", err.text);
}

int console_source_fd(const struct console *c)
{
	return c->source ? logsource_fd(c->source) : -1;
}

void console_hits_read(struct console *c)
{
	struct error err = { 0 };

	if (c->source && logsource_read(c->source, console_hit_push, c, &err) < 0)
		snprintf(c->source_error, sizeof(c->source_error), "%s", err.text);
}

static void rrows_add(struct console *c, size_t *cap, size_t chain, long rule, int depth)
{
	if (c->nrrows == *cap) {
		*cap = *cap ? *cap * 2 : 64;
		c->rrows = realloc(c->rrows, *cap * sizeof(*c->rrows));
		if (!c->rrows)
			console_die("out of memory");
	}
	c->rrows[c->nrrows++] = (struct rrow){ .chain = chain, .rule = rule, .depth = depth };
}

/* A chain's rules, own chains (and those an own rule jumps to) expanded under the jump. */
static void rrows_chain(struct console *c, size_t *cap, size_t ci, int depth)
{
	const struct fw_chain *ch = &c->table.chains[ci];

	for (size_t i = ch->first; i < ch->first + ch->count; i++) {
		char target[CHAIN_NAME_MAX + 4];
		const struct fw_chain *sub;

		rrows_add(c, cap, ci, (long)i, depth);
		fw_rule_target(c->table.rules[i].text, target, sizeof(target));
		if (depth < EXPAND_DEPTH && !ch->table[0] &&
		    (chain_is_own(target) || c->table.rules[i].own) &&
		    (sub = fw_table_chain(&c->table, target)))
			rrows_chain(c, cap, (size_t)(sub - c->table.chains), depth + 1);
	}
}

/* The path a chain is on: its hook (nftables' base chains), else a built-in chain's name. */
static const char *chain_path(const struct fw_chain *ch)
{
	return ch->hook[0] ? ch->hook : strcmp(ch->policy, "-") != 0 ? ch->name : "";
}

/*
 * The two paths a mail passes, named alike by every backend but for
 * case (nftables' hooks: forward, input); on each, its chains in the
 * order the kernel runs them (priority; the own table first at equal).
 */
static void rrows_build(struct console *c)
{
	static const char *const paths[] = { "FORWARD", "INPUT" };
	size_t cap = 0, *order = console_alloc(c->table.nchains + 1, sizeof(*order));

	c->nrrows = 0;
	if (!c->have_table) {
		free(order);
		return;
	}
	for (size_t p = 0; p < sizeof(paths) / sizeof(paths[0]); p++) {
		size_t n = 0;

		for (size_t ci = 0; ci < c->table.nchains; ci++) {
			const struct fw_chain *ch = &c->table.chains[ci];
			size_t at = n++;

			if (strcasecmp(chain_path(ch), paths[p]) != 0) {
				n--;
				continue;
			}
			while (at > 0 && c->table.chains[order[at - 1]].priority > ch->priority) {
				order[at] = order[at - 1];
				at--;
			}
			order[at] = ci;
		}
		for (size_t i = 0; i < n; i++) {
			rrows_add(c, &cap, order[i], -1, 0);
			rrows_chain(c, &cap, order[i], 1);
		}
	}
	free(order);
}

static const char *rule_chain_name(const struct fw_table *t, size_t rule)
{
	const struct fw_chain *ch = fw_table_rule_chain(t, rule);

	return ch ? ch->name : "";
}

/* Packets per second of each rule since the previous read. */
static void rule_rates(struct console *c, double elapsed)
{
	const struct fw_table *t = &c->table, *p = &c->prev_table;

	free(c->rule_rate);
	c->rule_rate = console_alloc(t->nrules, sizeof(*c->rule_rate));
	if (!c->have_prev || elapsed <= 0)
		return;
	for (size_t i = 0; i < t->nrules; i++) {
		const struct fw_rule *r = &t->rules[i], *old = NULL;

		if (i < p->nrules && strcmp(p->rules[i].text, r->text) == 0)
			old = &p->rules[i];
		for (size_t j = 0; !old && j < p->nrules; j++)
			if (strcmp(p->rules[j].text, r->text) == 0 &&
			    strcmp(rule_chain_name(p, j), rule_chain_name(t, i)) == 0)
				old = &p->rules[j];
		if (old && r->packets >= old->packets)
			c->rule_rate[i] = (double)(r->packets - old->packets) / elapsed;
	}
}

/* Each zone's hits since the previous refresh, into its sparkline. */
static void zone_sparks(struct console *c)
{
	for (size_t z = 0; z < CONFIG_MAX_ZONES; z++) {
		memmove(c->spark[z], c->spark[z] + 1, (SPARK_LEN - 1) * sizeof(c->spark[z][0]));
		c->spark[z][SPARK_LEN - 1] = c->zone_hits[z];
		c->zone_hits[z] = 0;
	}
}

/*
 * Whether the kernel's own rules differ from the config's: a backend
 * with one description for both families plans it through the backend
 * (which reads its own rules), the others plan IPv4 against the table
 * just read.
 */
static void drift_check(struct console *c)
{
	struct plan p[DUALSTACK_N];
	struct error err = { 0 };
	int rc;

	c->drift = false;
	if (!c->have_table || !c->have_rs)
		return;
	if (c->fw->whole) {
		rc = dualstack_plan(c->fw, c->rs, p, &err);
	} else {
		for (size_t i = 0; i < DUALSTACK_N; i++)
			plan_init(&p[i]);
		rc = plan_compute(&c->table, &c->rs[0], &p[0], &err);
	}
	if (rc == 0)
		c->drift = !dualstack_plans_empty(p);
	dualstack_plans_free(p);
}

/* Packets of the dispatch rules that jump to each zone's chain in t, into out[]. */
static void zone_packets_sum(const struct console *c, const struct fw_table *t, uint64_t *out)
{
	char target[CHAIN_NAME_MAX + 4];

	memset(out, 0, CONFIG_MAX_ZONES * sizeof(*out));
	for (size_t i = 0; i < t->nrules; i++) {
		if (!t->rules[i].own)
			continue;
		fw_rule_target(t->rules[i].text, target, sizeof(target));
		for (size_t z = 0; z < c->cfg->nzones && z < CONFIG_MAX_ZONES; z++)
			if (fw_is_zone_chain(target, c->cfg->zones[z].name))
				out[z] += t->rules[i].packets;
	}
}

/*
 * The IPv6 table (no counter-only refresh): just the per-zone sums are
 * kept.  Read with each full IPv4 read and, while packets move, every
 * V6_EVERY refreshes at most.
 */
#define V6_EVERY 5

static void zone_packets_v6(struct console *c, uint64_t packets)
{
	struct fw_table t6 = { 0 };
	struct error err = { 0 };

	c->v6_packets = packets;
	c->v6_ticks = 0;
	c->have_v6 = !c->fw->whole && c->fw->read(AF_INET6, &t6, &err) == 0;
	if (!c->have_v6)
		return;
	zone_packets_sum(c, &t6, c->zone_packets[1]);
	fw_table_free(&t6);
}

/* Seconds since the previous refresh; the refresh time becomes now. */
static double table_tick(struct console *c)
{
	c->prev_read = c->last_read;
	clock_gettime(CLOCK_MONOTONIC, &c->last_read);
	return (double)(c->last_read.tv_sec - c->prev_read.tv_sec) +
	       (double)(c->last_read.tv_nsec - c->prev_read.tv_nsec) / 1e9;
}

/*
 * Once a table is read only its counters are fetched (two getsockopt
 * calls, no rendering): the rules are the same, so each rule's rate is
 * its own counter's growth, and the backend's hash of the rules says
 * when someone changed them (FW_COUNTERS_STALE: read it again).
 */
static bool counters_open(struct console *c)
{
	struct error err = { 0 };

	/* the refresh knows the backend's own table, not the other tables appended to it */
	if (!c->have_table || !c->fw->counters || c->fw->read_others)
		return false;
	return c->counters || (c->counters = c->fw->counters->open(&err));
}

static bool table_refresh_counters(struct console *c)
{
	struct error err = { 0 };
	uint64_t *before;
	double elapsed;

	if (!counters_open(c))
		return false;
	before = console_alloc(c->table.nrules + 1, sizeof(*before));
	for (size_t i = 0; i < c->table.nrules; i++)
		before[i] = c->table.rules[i].packets;
	if (c->fw->counters->refresh(c->counters, &c->table, &err) != FW_COUNTERS_FRESH) {
		free(before);
		return false;
	}
	elapsed = table_tick(c);
	for (size_t i = 0; i < c->table.nrules; i++)
		c->rule_rate[i] = elapsed > 0 && c->table.rules[i].packets >= before[i]
			? (double)(c->table.rules[i].packets - before[i]) / elapsed : 0;
	free(before);
	zone_packets_sum(c, &c->table, c->zone_packets[0]);
	return true;
}

/* Packets every interface of this namespace received and sent, as read at this refresh. */
static uint64_t ifaces_packets(const struct console *c)
{
	uint64_t n = 0;

	for (size_t i = 0; i < c->nifaces; i++)
		n += c->ifaces[i].rx_packets + c->ifaces[i].tx_packets;
	return n;
}

/*
 * No packet in or out of any interface since the last read: no counter
 * of the INPUT and FORWARD paths moved, so the read is skipped, the
 * rates are 0 and the counters as read hold until now.  A table of
 * another size or layout (the backend's moved(): another shell's
 * change) is read at once; one edited in place at the latest every
 * TABLE_QUIET_MAX refreshes.
 */
#define TABLE_QUIET_MAX 10

static bool table_quiet(struct console *c, uint64_t packets)
{
	if (!c->have_table || !c->ifaces_fresh || packets != c->table_packets ||
	    ++c->quiet_ticks >= TABLE_QUIET_MAX ||
	    (c->counters && c->fw->counters->moved(c->counters)))
		return false;
	table_tick(c);
	memset(c->rule_rate, 0, c->table.nrules * sizeof(*c->rule_rate));
	return true;
}

/*
 * The other tables' chains on the hooks, appended to t (just read):
 * their listing costs what `nft list ruleset` does (2 s at 10k foreign
 * rules here), so it is taken with the first read and then every
 * OTHERS_EVERY full reads (while packets move, every 10 s), or less
 * often when it is slow: at most OTHERS_SHARE of the time goes to it.
 * The copy kept is appended in between; a failed listing keeps it.
 */
#define OTHERS_EVERY 10
#define OTHERS_SHARE 50		/* 1/50: 2% of a core */

/* Read the other tables again; their rates are over the time since the last read. */
static void others_refresh(struct console *c)
{
	struct fw_table o;
	struct error err = { 0 };
	struct timespec start, now;
	double elapsed, took;

	clock_gettime(CLOCK_MONOTONIC, &start);
	if (c->fw->read_others(&o, &err) < 0)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	took = (double)(now.tv_sec - start.tv_sec) + (double)(now.tv_nsec - start.tv_nsec) / 1e9;
	c->others_every = took * OTHERS_SHARE > OTHERS_EVERY ? (unsigned)(took * OTHERS_SHARE)
							      : OTHERS_EVERY;
	elapsed = (double)(now.tv_sec - c->others_read.tv_sec) +
		  (double)(now.tv_nsec - c->others_read.tv_nsec) / 1e9;
	free(c->others_rate);
	c->others_rate = console_alloc(o.nrules + 1, sizeof(*c->others_rate));
	for (size_t i = 0; c->have_others && i < o.nrules && i < c->others.nrules; i++)
		if (strcmp(o.rules[i].text, c->others.rules[i].text) == 0 &&
		    o.rules[i].packets >= c->others.rules[i].packets)
			c->others_rate[i] = (double)(o.rules[i].packets - c->others.rules[i].packets) / elapsed;
	if (c->have_others)
		fw_table_free(&c->others);
	c->others = o;
	c->have_others = true;
	c->others_read = now;
}

static void table_others(struct console *c, struct fw_table *t)
{
	if (!c->fw->read_others)
		return;
	if (!c->have_others || ++c->others_ticks >= c->others_every) {
		c->others_ticks = 0;
		others_refresh(c);
	}
	if (c->have_others && fw_table_append(t, &c->others) < 0)
		console_die("out of memory");
}

static void table_read(struct console *c)
{
	struct fw_table t = { 0 };
	struct error err = { 0 };
	uint64_t packets = ifaces_packets(c);
	double elapsed = 0;

	if (++c->v6_ticks >= V6_EVERY && packets != c->v6_packets)
		zone_packets_v6(c, packets);
	if (table_quiet(c, packets))
		return;
	c->quiet_ticks = 0;
	c->table_packets = packets;
	if (table_refresh_counters(c))
		return;
	if (c->fw->read(AF_INET, &t, &err) < 0) {
		snprintf(c->table_error, sizeof(c->table_error), "%s", err.text);
		return;
	}
	table_others(c, &t);
	c->table_error[0] = '\0';
	if (c->have_prev)
		fw_table_free(&c->prev_table);
	c->prev_table = c->table;
	c->have_prev = c->have_table;
	c->table = t;
	c->have_table = true;
	elapsed = table_tick(c);
	rule_rates(c, c->have_prev ? elapsed : 0);
	if (c->have_others)
		memcpy(c->rule_rate + (t.nrules - c->others.nrules), c->others_rate,
		       c->others.nrules * sizeof(*c->rule_rate));
	zone_packets_sum(c, &c->table, c->zone_packets[0]);
	zone_packets_v6(c, packets);
	rrows_build(c);
	drift_check(c);
	/* the hash that tells a rule replaced in place is taken now, not a refresh later */
	if (counters_open(c) && c->fw->counters->refresh(c->counters, &c->table, &err) != FW_COUNTERS_FRESH)
		c->quiet_ticks = TABLE_QUIET_MAX;	/* changed already: read again next time */
}

static void ifaces_read(struct console *c)
{
	struct iface *list;
	size_t n;
	struct error err = { 0 };

	c->ifaces_fresh = iface_list(&list, &n, &err) == 0;
	if (!c->ifaces_fresh)
		return;
	iface_list_free(c->prev_ifaces);
	c->prev_ifaces = c->ifaces;
	c->nprev_ifaces = c->nifaces;
	c->ifaces = list;
	c->nifaces = n;
	free(c->uplinks);
	c->uplinks = NULL;
	c->nuplinks = 0;
	if (c->cfg && route_unguarded(c->cfg, &c->uplinks, &c->nuplinks, &err) < 0)
		c->nuplinks = 0;
}

static void offenders_read(struct console *c)
{
	struct hit_source top[TALKERS_MAX];
	struct ban *bans = NULL;
	size_t nbans = 0, ntop = 0, k = 0;
	struct error err = { 0 };

	if (c->fw->bans->read(c->cfg, &bans, &nbans, &err) < 0)
		nbans = 0;
	if (c->ring)
		ntop = hit_stats_top(hit_ring_stats(c->ring), top, TALKERS_MAX);
	free(c->offenders);
	c->offenders = console_alloc(nbans + ntop, sizeof(*c->offenders));
	for (size_t i = 0; i < nbans; i++, k++) {
		struct offender *o = &c->offenders[k];

		snprintf(o->zone, sizeof(o->zone), "%s", bans[i].zone);
		o->addr = bans[i].addr;
		o->hits = bans[i].hits;
		o->seconds_left = bans[i].seconds_left;
		o->banned = true;
		o->escalated = bans[i].escalated;
	}
	for (size_t i = 0; i < ntop; i++, k++) {
		struct offender *o = &c->offenders[k];

		snprintf(o->zone, sizeof(o->zone), "%s", top[i].zone);
		o->addr = top[i].src;
		o->hits = top[i].attempts;
	}
	c->noffenders = k;
	c->view[AREA_OFFENDERS].rows = k;
	free(bans);
}

static void zrows_add(struct console *c, size_t *cap, enum zrow_kind kind, size_t index, int zone)
{
	if (c->nzrows == *cap) {
		*cap = *cap ? *cap * 2 : 32;
		c->zrows = realloc(c->zrows, *cap * sizeof(*c->zrows));
		if (!c->zrows)
			console_die("out of memory");
	}
	c->zrows[c->nzrows++] = (struct zrow){ .kind = kind, .index = index, .zone = zone };
}

/* Each zone with its lists: what the operator changes. */
static void zrows_build(struct console *c)
{
	const struct config *cfg = c->cfg;
	size_t cap = 0;

	c->nzrows = 0;
	for (size_t zi = 0; zi < cfg->nzones; zi++) {
		const struct zone *z = &cfg->zones[zi];

		zrows_add(c, &cap, ZROW_ZONE, zi, (int)zi);
		for (size_t i = 0; i < z->nrelays; i++)
			zrows_add(c, &cap, ZROW_RELAY, i, (int)zi);
		for (size_t i = 0; i < z->ndevices; i++)
			zrows_add(c, &cap, ZROW_DEVICE, i, (int)zi);
		for (size_t i = 0; i < z->nquarantine; i++)
			zrows_add(c, &cap, ZROW_QUARANTINE, i, (int)zi);
	}
}

/* Keep a view's selection and scroll inside its rows. */
static void view_clamp(struct area_view *v)
{
	if (v->rows == 0)
		v->sel = v->top = 0;
	else if (v->sel >= v->rows)
		v->sel = v->rows - 1;
	if (v->top > v->sel)
		v->top = v->sel;
}

static void views_update(struct console *c)
{
	c->view[AREA_ZONES].rows = c->nzrows;
	c->view[AREA_RULES].rows = c->nrrows;
	c->view[AREA_HITS].rows = c->ring ? hit_ring_len(c->ring) : 0;
	for (int a = 0; a < AREA_COUNT; a++)
		view_clamp(&c->view[a]);
}

void console_refresh(struct console *c)
{
	c->watch_pid = watch_running();
	ifaces_read(c);
	table_read(c);
	console_hits_read(c);
	zone_sparks(c);
	offenders_read(c);
	zrows_build(c);
	views_update(c);
	console_story_neighbours(c);
}

int console_zone_selected(const struct console *c)
{
	if (c->view[AREA_ZONES].sel < c->nzrows)
		return c->zrows[c->view[AREA_ZONES].sel].zone;
	return -1;
}

void console_config_set(struct console *c, struct config *cfg)
{
	struct error err = { 0 };

	if (cfg != c->cfg) {
		config_free(c->cfg);
		c->cfg = cfg;
	}
	if (c->have_rs)
		dualstack_rulesets_free(c->rs);
	/* once per config: what the drift check plans and e exports */
	c->have_rs = dualstack_compile(cfg, c->rs, &err) == 0;
	if (!c->have_rs)
		dualstack_rulesets_free(c->rs);
	zrows_build(c);
	drift_check(c);
	views_update(c);
	c->quiet_ticks = TABLE_QUIET_MAX;	/* applied or rolled back: read the table at the next refresh */
}

void console_data_free(struct console *c)
{
	if (c->source)
		logsource_close(c->source);
	config_free(c->source_cfg);
	hit_ring_free(c->ring);
	if (c->have_table)
		fw_table_free(&c->table);
	if (c->have_prev)
		fw_table_free(&c->prev_table);
	if (c->have_others)
		fw_table_free(&c->others);
	free(c->others_rate);
	if (c->counters)
		c->fw->counters->close(c->counters);
	if (c->have_rs)
		dualstack_rulesets_free(c->rs);
	iface_list_free(c->ifaces);
	iface_list_free(c->prev_ifaces);
	free(c->uplinks);
	free(c->rule_rate);
	free(c->rrows);
	console_rules_unsay(c);
	free(c->zrows);
	free(c->offenders);
	free(c->story_hits);
	for (int a = 0; a < AREA_COUNT; a++)
		free(c->shown[a]);
}
