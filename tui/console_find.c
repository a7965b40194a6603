/*
 * console_find.c - htop's habits over the rules, hits and offenders
 * areas: the rows each area shows (filtered by text, sorted by a column,
 * hits frozen while paused) and the search that jumps to a row.
 *
 * A row of the hits area is kept as the hit's sequence number (hits ever
 * pushed before it), not its place in the ring: new hits do not move the
 * selection, and a paused screen shows only the hits older than the pause.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "console.h"

/* A sort column: compares rows a and b (indices into the area's data); NULL: as read. */
struct sort_column {
	const char *name;
	int (*cmp)(const struct console *c, size_t a, size_t b);
};

const struct hit *console_hit_of_seq(const struct console *c, size_t seq)
{
	uint64_t total = hit_ring_total(c->ring);

	if (seq >= total || total - 1 - seq >= hit_ring_len(c->ring))
		return NULL;
	return hit_ring_at(c->ring, (size_t)(total - 1 - seq));
}

/* A shown row's hit for the sort: the rows are built from the ring, an empty hit only if not. */
static const struct hit *hit_row(const struct console *c, size_t seq)
{
	static const struct hit none;
	const struct hit *h = console_hit_of_seq(c, seq);

	return h ? h : &none;
}

static int hit_cmp_source(const struct console *c, size_t a, size_t b)
{
	return addr_compare(&hit_row(c, a)->src, &hit_row(c, b)->src);
}

static int hit_cmp_destination(const struct console *c, size_t a, size_t b)
{
	return addr_compare(&hit_row(c, a)->dst, &hit_row(c, b)->dst);
}

static int hit_cmp_zone(const struct console *c, size_t a, size_t b)
{
	return strcmp(hit_row(c, a)->zone, hit_row(c, b)->zone);
}

static int hit_cmp_action(const struct console *c, size_t a, size_t b)
{
	return (int)hit_row(c, b)->action - (int)hit_row(c, a)->action;
}

static int off_cmp_hits(const struct console *c, size_t a, size_t b)
{
	uint64_t x = c->offenders[a].hits, y = c->offenders[b].hits;

	return x < y ? 1 : x > y ? -1 : 0;
}

static int off_cmp_host(const struct console *c, size_t a, size_t b)
{
	return addr_compare(&c->offenders[a].addr, &c->offenders[b].addr);
}

static int off_cmp_zone(const struct console *c, size_t a, size_t b)
{
	return strcmp(c->offenders[a].zone, c->offenders[b].zone);
}

static const struct sort_column hit_columns[] = {
	{ "time", NULL }, { "source", hit_cmp_source }, { "destination", hit_cmp_destination },
	{ "zone", hit_cmp_zone }, { "action", hit_cmp_action },
};

static const struct sort_column offender_columns[] = {
	{ "state", NULL }, { "hits", off_cmp_hits }, { "host", off_cmp_host }, { "zone", off_cmp_zone },
};

static const struct {
	const struct sort_column *columns;
	size_t n;
} sorts[AREA_COUNT] = {
	[AREA_HITS] = { hit_columns, sizeof(hit_columns) / sizeof(hit_columns[0]) },
	[AREA_OFFENDERS] = { offender_columns,
			     sizeof(offender_columns) / sizeof(offender_columns[0]) },
};

const char *console_sort_name(const struct console *c, enum area a)
{
	return sorts[a].n ? sorts[a].columns[c->sort[a] % sorts[a].n].name : NULL;
}

bool console_sort_step(struct console *c, int delta)
{
	size_t n = sorts[c->area].n;

	if (!n)
		return false;
	c->sort[c->area] = (unsigned)((c->sort[c->area] + (delta > 0 ? 1 : n - 1)) % n);
	c->view[c->area].sel = c->view[c->area].top = 0;
	return true;
}

/* The text of one row as the search and the filter read it. */
static void row_text(const struct console *c, enum area a, size_t idx, char *buf, size_t size)
{
	char src[ADDR_TEXT_MAX], dst[ADDR_TEXT_MAX], mac[18] = "";

	buf[0] = '\0';
	if (a == AREA_RULES && idx < c->nrrows) {
		const struct rrow *r = &c->rrows[idx];
		char words[RULE_TEXT_MAX], verdict[CHAIN_NAME_MAX + 8];

		if (r->rule < 0) {
			snprintf(buf, size, "%s %s", c->table.chains[r->chain].table,
				 c->table.chains[r->chain].name);
			return;
		}
		console_rule_words(c, &c->table.rules[r->rule], words, sizeof(words), verdict,
				   sizeof(verdict));
		snprintf(buf, size, "%s %s %s", verdict, words, c->table.rules[r->rule].text);
	} else if (a == AREA_HITS) {
		const struct hit *h = console_hit_of_seq(c, idx);
		char when[16];
		struct tm tm;

		if (!h)
			return;
		localtime_r(&h->time, &tm);
		strftime(when, sizeof(when), "%H:%M:%S", &tm);
		addr_format(&h->src, src, sizeof(src));
		addr_format(&h->dst, dst, sizeof(dst));
		if (h->has_src_mac)
			mac_format(h->src_mac, mac);
		snprintf(buf, size, "%s %s %s %s %s %s", when, h->zone, src, h->has_src_mac ? mac : h->mac,
			 dst, hit_action_names[h->action]);
	} else if (a == AREA_OFFENDERS && idx < c->noffenders) {
		const struct offender *o = &c->offenders[idx];

		addr_format(&o->addr, src, sizeof(src));
		snprintf(buf, size, "%s %s %s", src, o->zone, o->banned ? "banned" : "top talker");
	}
}

static bool row_matches(const struct console *c, enum area a, size_t idx, const char *text)
{
	char buf[RULE_TEXT_MAX * 2 + 64];

	if (!text[0])
		return true;
	row_text(c, a, idx, buf, sizeof(buf));
	return strcasestr(buf, text) != NULL;
}

/* The rows of area a before filtering: how many, and the index of each. */
static size_t rows_all(const struct console *c, enum area a, size_t i)
{
	if (a != AREA_HITS)
		return i;
	/* newest first; while paused, only the hits older than the pause */
	return (size_t)((c->paused ? c->paused_total : hit_ring_total(c->ring)) - 1 - i);
}

static size_t rows_count(const struct console *c, enum area a)
{
	if (a == AREA_RULES)
		return c->nrrows;
	if (a == AREA_OFFENDERS)
		return c->noffenders;
	if (!c->ring)
		return 0;
	if (c->paused) {
		uint64_t since = hit_ring_total(c->ring) - c->paused_total;
		size_t len = hit_ring_len(c->ring);

		return since >= len ? 0 : len - (size_t)since;
	}
	return hit_ring_len(c->ring);
}

static const struct console *sort_console;
static enum area sort_area;

static int rows_cmp(const void *x, const void *y)
{
	size_t a = *(const size_t *)x, b = *(const size_t *)y;
	int d = sorts[sort_area].columns[sort_console->sort[sort_area] % sorts[sort_area].n].cmp(
		sort_console, a, b);

	if (d)
		return d;
	/* ties keep the order as read (hits: newest first) */
	return sort_area == AREA_HITS ? (a < b) - (a > b) : (a > b) - (a < b);
}

void console_rows_update(struct console *c)
{
	if (c->filter[AREA_RULES][0])
		console_rules_say(c, true);
	for (int a = AREA_RULES; a < AREA_COUNT; a++) {
		size_t n = rows_count(c, (enum area)a), k = 0;
		size_t *rows = realloc(c->shown[a], (n ? n : 1) * sizeof(*rows));

		if (!rows)
			console_die("out of memory");
		c->shown[a] = rows;
		for (size_t i = 0; i < n; i++) {
			size_t idx = rows_all(c, (enum area)a, i);

			if (row_matches(c, (enum area)a, idx, c->filter[a]))
				rows[k++] = idx;
		}
		if (sorts[a].n && sorts[a].columns[c->sort[a] % sorts[a].n].cmp) {
			sort_console = c;
			sort_area = (enum area)a;
			qsort(rows, k, sizeof(*rows), rows_cmp);
		}
		c->view[a].rows = k;
		if (c->view[a].sel >= k)
			c->view[a].sel = k ? k - 1 : 0;
	}
	console_story_update(c);
}

bool console_row(const struct console *c, enum area a, size_t i, size_t *idx)
{
	if (a == AREA_ZONES || !c->shown[a] || i >= c->view[a].rows)
		return false;
	*idx = c->shown[a][i];
	if (a == AREA_HITS) {
		const struct hit *h = console_hit_of_seq(c, *idx);

		if (!h)
			return false;
		*idx = (size_t)(hit_ring_total(c->ring) - 1 - *idx);
		return true;
	}
	return *idx < (a == AREA_RULES ? c->nrrows : c->noffenders);
}

bool console_search(struct console *c, int dir)
{
	struct area_view *v = &c->view[c->area];

	if (c->area == AREA_ZONES || !c->search[0] || v->rows == 0)
		return false;
	if (c->area == AREA_RULES)
		console_rules_say(c, true);
	for (size_t step = dir == 0 ? 0 : 1; step <= v->rows; step++) {
		size_t i = (v->sel + (dir < 0 ? v->rows - step % v->rows : step)) % v->rows;

		if (row_matches(c, c->area, c->shown[c->area][i], c->search)) {
			v->sel = i;
			return true;
		}
	}
	return false;
}
