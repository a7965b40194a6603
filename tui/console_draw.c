/*
 * console_draw.c - draws the console: the status line, the four areas
 * (zones and interfaces, rules, hits, offenders) stacked, the message or
 * input line and the key-hint line; the help screen and the plan view
 * take the areas' place.
 *
 * console_layout() is the only step here that writes the model: the
 * windows' sizes become the views' heights and scroll positions.
 * console_draw() then only reads it.  Each part is a curses window,
 * erased and redrawn in full, then written with one doupdate(): curses
 * sends only what changed, so nothing flickers.  Every string that came from outside (kernel, log,
 * config, errors quoting them) goes through sanitize_text() in put().
 */
#include <ctype.h>
#include <curses.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <wchar.h>

#include "console.h"
#include "ruleparse.h"
#include "sanitize.h"

#define TEXT_MAX 1024

enum part { PART_STATUS, PART_MESSAGE, PART_HINTS, PART_COUNT };

static WINDOW *area_win[AREA_COUNT], *part_win[PART_COUNT];
static int layout_lines, layout_cols;
/* the areas are sized to their rows when they can be: a change of these lays out again */
static size_t layout_zrows, layout_rrows, layout_ifaces;
static bool layout_zoom;
static enum area layout_area;

/* Column layouts, shared by the heading row and the data rows (each fits 80 columns). */
#define ZONES_FMT "%-10s %-9s %-8s %-9s %6s %7s %5s %7s %7s"
#define IFACES_FMT "%-12s %-11s %-5s %-24s %7s %7s"
#define RULES_HEAD_FMT "%8s %8s %6s  %s"
#define WORDS_FMT "%6s %6s %-8s %s"
/* the address columns are hits_addr_width() wide: an address never runs into the next column */
#define HITS_FMT "%-8.8s %-8.8s %-*s %-17.17s %-*s "
#define HITS_FIXED 45		/* the other columns and the spaces, ACTION's 7 included */
#define HITS_ACTION_X(aw) (HITS_FIXED - 7 + 2 * (aw))
#define ADDR_COLUMN_MAX 39	/* the longest IPv6 host address */
#define OFFENDERS_FMT "%-15s %-12s %6s  %s"

static const char *const area_titles[AREA_COUNT] = {
	[AREA_ZONES] = "1 Zones and interfaces",
	[AREA_RULES] = "2 Rules",
	[AREA_HITS] = "3 Port-25 hits",
	[AREA_OFFENDERS] = "4 Offenders",
};

/* The hits' address columns: 17 at 80 columns, as wide as an IPv6 address (39) from 123 on. */
static int hits_addr_width(void)
{
	int w = (COLS - HITS_FIXED) / 2;

	return w < 15 ? 15 : w > ADDR_COLUMN_MAX ? ADDR_COLUMN_MAX : w;
}

/* text cut to width columns in the middle, marked '~' (both ends of an address tell). */
static const char *cut_middle(const char *text, int width, char *buf, size_t size)
{
	size_t len = strlen(text), w = (size_t)width, head = (w - 1) / 2;

	if (len <= w || w < 3)
		snprintf(buf, size, "%s", text);
	else
		snprintf(buf, size, "%.*s~%s", (int)head, text, text + len - (w - 1 - head));
	return buf;
}

/* The column headings of each area, for the row under its title. */
static void area_heading(const struct console *c, enum area a, char *buf, size_t size)
{
	/* a backend with one rule for both families (nftables' inet table) counts them together */
	if (a == AREA_ZONES)
		snprintf(buf, size, ZONES_FMT, "ZONE", "INTERFACE", "MODE", "GATEWAY", "RELAYS",
			 "DEVICES", "QUAR", c->fw->whole ? "V4+V6" : "V4 PKTS", "V6 PKTS");
	else if (a == AREA_RULES && c->rules_text)
		snprintf(buf, size, RULES_HEAD_FMT, "PKTS", "BYTES", "PKT/S",
			 "RULE (* own; others dimmed, read-only; t: in words)");
	else if (a == AREA_RULES)
		snprintf(buf, size, WORDS_FMT, "PKTS", "PKT/S", "VERDICT",
			 "RULE (t: exact rule text; Left/Right scroll)");
	else if (a == AREA_HITS)
		snprintf(buf, size, HITS_FMT "%s", "TIME", "ZONE", hits_addr_width(), "SOURCE", "MAC",
			 hits_addr_width(), "DESTINATION", "ACTION");
	else
		snprintf(buf, size, OFFENDERS_FMT, "HOST", "ZONE", "HITS", "STATE");
}

/* Bytes of s that fit in cols terminal columns (s is sanitized UTF-8). */
static size_t text_fit(const char *s, int cols)
{
	mbstate_t st = { 0 };
	size_t i = 0, len = strlen(s);
	int used = 0;

	while (i < len) {
		wchar_t wc;
		size_t n = mbrtowc(&wc, s + i, len - i, &st);
		int w;

		if (n == (size_t)-1 || n == (size_t)-2 || n == 0)
			break;
		w = wcwidth(wc);
		if (w < 0)
			w = 1;
		if (used + w > cols)
			break;
		used += w;
		i += n;
	}
	return i;
}

/* Write text (sanitized here) at y,x, cut at the window's right edge. */
static void put(WINDOW *w, int y, int x, attr_t attr, const char *text)
{
	char clean[TEXT_MAX];
	int cols = getmaxx(w) - x;

	if (cols <= 0 || y >= getmaxy(w))
		return;
	sanitize_text(text, strlen(text), clean, sizeof(clean));
	wattron(w, attr);
	mvwaddnstr(w, y, x, clean, (int)text_fit(clean, cols));
	wattroff(w, attr);
}

/*
 * A field for a fixed-width column: sanitized first, so its escapes
 * count in the width and cannot push the next column.
 */
static const char *field(const char *text, char *buf, size_t size)
{
	sanitize_text(text, strlen(text), buf, size);
	return buf;
}

static void putf(WINDOW *w, int y, int x, attr_t attr, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static void putf(WINDOW *w, int y, int x, attr_t attr, const char *fmt, ...)
{
	char buf[TEXT_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	put(w, y, x, attr, buf);
}

static attr_t style(const struct console *c, int pair, attr_t mono)
{
	return c->color ? (attr_t)COLOR_PAIR(pair) : mono;
}

/* Fill row y with attr (a selection bar). */
static void bar(WINDOW *w, int y, attr_t attr)
{
	wattron(w, attr);
	mvwhline(w, y, 0, ' ', getmaxx(w));
	wattroff(w, attr);
}

/* 1234 -> "1234", 12345 -> "12K", ... for narrow columns. */
static void human(uint64_t v, char *buf, size_t size)
{
	static const char units[] = "KMGTPE";
	size_t u = 0;
	double d = (double)v;

	if (v < 100000) {
		snprintf(buf, size, "%llu", (unsigned long long)v);
		return;
	}
	do {
		d /= 1000;
		u++;
	} while (d >= 1000 && u < sizeof(units) - 1);
	snprintf(buf, size, "%.1f%c", d, units[u - 1]);
}

/* ---- layout ---- */

static void layout_free(void)
{
	for (int a = 0; a < AREA_COUNT; a++)
		if (area_win[a])
			delwin(area_win[a]), area_win[a] = NULL;
	for (int p = 0; p < PART_COUNT; p++)
		if (part_win[p])
			delwin(part_win[p]), part_win[p] = NULL;
}

/* Rows the zones area wants: title, the zones table (heading, rows, [general] relays), the interfaces table. */
static int zones_want(const struct console *c)
{
	return 3 + (int)c->nzrows + (c->cfg->nrelays > 0) + (int)c->nifaces;
}

/* Rows of the zones table shown in a zones window of h rows: the zones first, then an interface or more. */
static int zones_table_rows(const struct console *c, int h)
{
	int rows = h - 2 - (c->cfg->nrelays > 0) - (c->nifaces ? 2 : 0);

	if (rows > (int)c->nzrows)
		rows = (int)c->nzrows;
	return rows < 1 ? 1 : rows;
}

/* Rows an area wants beside the others: the zones area up to 2/5 of the screen. */
static int area_want(const struct console *c, enum area a)
{
	int most = (LINES - 3) * 2 / 5;

	if (a != AREA_ZONES)
		return 2 + (int)c->view[a].rows;
	return zones_want(c) < most ? zones_want(c) : most;
}

static void part_windows(void)
{
	part_win[PART_STATUS] = newwin(1, COLS, 0, 0);
	part_win[PART_MESSAGE] = newwin(1, COLS, LINES - 2, 0);
	part_win[PART_HINTS] = newwin(1, COLS, LINES - 1, 0);
	for (int p = 0; p < PART_COUNT; p++)
		if (!part_win[p])
			console_die("cannot lay out the screen (%dx%d)", COLS, LINES);
}

/*
 * Zoomed: the selected area alone.  Else every area gets a title, its
 * headings and a row (hits and offenders two).  The zones area then grows to show its
 * tables (up to 2/5 of the screen; z shows all): it holds what the
 * operator changes.
 * The rest goes round-robin to the areas with more rows than they
 * show, then to hits and rules.
 */
static void layout(struct console *c)
{
	static const int least[AREA_COUNT] = {
		[AREA_ZONES] = 3, [AREA_RULES] = 3, [AREA_HITS] = 4, [AREA_OFFENDERS] = 4,
	};
	int h[AREA_COUNT], y = 1, left = LINES - 3;
	bool gave = true;

	layout_free();
	for (int a = 0; a < AREA_COUNT; a++) {
		h[a] = c->zoom ? (a == (int)c->area ? left : 0) : least[a];
		left -= h[a];
	}
	while (left > 0 && h[AREA_ZONES] < area_want(c, AREA_ZONES))
		h[AREA_ZONES]++, left--;
	while (left > 0 && gave) {
		gave = false;
		for (int a = 0; a < AREA_COUNT && left > 0; a++) {
			if (h[a] < area_want(c, (enum area)a)) {
				h[a]++, left--;
				gave = true;
			}
		}
	}
	for (int a = AREA_HITS; left > 0; a = a == AREA_HITS ? AREA_RULES : AREA_HITS)
		h[a]++, left--;
	for (int a = 0; a < AREA_COUNT; a++) {
		if (h[a] == 0)
			continue;
		area_win[a] = newwin(h[a], COLS, y, 0);
		y += h[a];
		if (!area_win[a])
			console_die("cannot lay out the screen (%dx%d)", COLS, LINES);
	}
	part_windows();
	layout_lines = LINES;
	layout_cols = COLS;
	layout_zrows = c->nzrows;
	layout_rrows = c->nrrows;
	layout_ifaces = c->nifaces;
	layout_zoom = c->zoom;
	layout_area = c->area;
}

/* ---- areas ---- */

/* The first content row of an area's window: under the title, and the headings when there is room. */
static int area_first_row(WINDOW *w)
{
	return getmaxy(w) >= 3 ? 2 : 1;
}

/*
 * The title row (highlighted when the area is selected), extra text at
 * its right, and the column headings when the area has room for them.
 * Returns the first content row.
 */
static int draw_title(const struct console *c, WINDOW *w, enum area a, const char *extra)
{
	attr_t attr = c->area == a ? style(c, 1, A_REVERSE) | A_BOLD : A_BOLD | A_UNDERLINE;
	int y0 = area_first_row(w);
	char heading[160], title[160];
	const char *sort = console_sort_name(c, a);
	int n = snprintf(title, sizeof(title), "%s", area_titles[a]);

	if (sort && c->sort[a])
		n += snprintf(title + n, sizeof(title) - (size_t)n, "  sorted by %s", sort);
	if (c->filter[a][0])
		snprintf(title + n, sizeof(title) - (size_t)n, "  filter \"%s\"", c->filter[a]);
	bar(w, 0, c->area == a ? attr : A_NORMAL);
	put(w, 0, 0, attr, title);
	if (extra && *extra) {
		int x = getmaxx(w) - (int)strlen(extra) - 1;

		if (x > (int)strlen(title) + 2)
			put(w, 0, x, attr, extra);
	}
	if (y0 == 2) {
		area_heading(c, a, heading, sizeof(heading));
		put(w, 1, 0, A_BOLD, heading);
	}
	return y0;
}

/* Keep the selection visible. */
static void view_scroll(struct area_view *v)
{
	if (v->height <= 0)
		return;
	if (v->sel < v->top)
		v->top = v->sel;
	if (v->sel >= v->top + (size_t)v->height)
		v->top = v->sel - (size_t)v->height + 1;
	if (v->rows <= (size_t)v->height)
		v->top = 0;
}

static attr_t row_attr(const struct console *c, enum area a, size_t i)
{
	if (i != c->view[a].sel)
		return A_NORMAL;
	if (c->area == a)
		return style(c, 1, A_REVERSE);
	return a == AREA_ZONES ? A_BOLD : A_NORMAL;
}

static const char *iface_role(const struct console *c, const char *name, char *buf, size_t size)
{
	const struct zone *z;

	if (config_is_wan(c->cfg, name))
		return "wan";
	z = config_zone_by_interface(c->cfg, name);
	if (!z)
		return "unmanaged";
	snprintf(buf, size, "zone %s", z->name);
	return buf;
}

static double iface_elapsed(const struct console *c)
{
	return (double)(c->last_read.tv_sec - c->prev_read.tv_sec) +
	       (double)(c->last_read.tv_nsec - c->prev_read.tv_nsec) / 1e9;
}

static void draw_iface(const struct console *c, WINDOW *w, int y, attr_t attr, const struct iface *it)
{
	const struct iface *old = iface_find(c->prev_ifaces, c->nprev_ifaces, it->name);
	char role[32], addrs[160] = "", rx[16] = "-", tx[16] = "-", name[4 * IFACE_NAME_MAX + 1];
	double el = iface_elapsed(c);
	size_t n = 0;

	for (size_t i = 0; i < it->naddrs; i++) {
		char a[ADDR_TEXT_MAX];

		if (it->addrs[i].family != AF_INET)
			continue;
		addr_format_save(&it->addrs[i], a, sizeof(a));
		n += (size_t)snprintf(addrs + n, sizeof(addrs) - n, "%s%s", n ? "," : "", a);
		if (n >= sizeof(addrs))
			break;
	}
	if (old && el > 0 && it->rx_packets >= old->rx_packets &&
	    it->tx_packets >= old->tx_packets) {
		snprintf(rx, sizeof(rx), "%.0f", (double)(it->rx_packets - old->rx_packets) / el);
		snprintf(tx, sizeof(tx), "%.0f", (double)(it->tx_packets - old->tx_packets) / el);
	}
	putf(w, y, 0, attr, IFACES_FMT, field(it->name, name, sizeof(name)),
	     iface_role(c, it->name, role, sizeof(role)),
	     !it->up ? "down" : it->carrier ? "up" : "nocar", addrs[0] ? addrs : "-", rx, tx);
}

static void draw_zone(const struct console *c, WINDOW *w, int y, attr_t attr, const struct zone *z)
{
	attr_t mode_attr = z->mode == MODE_ALLOW ? style(c, 4, A_BOLD) : style(c, 3, A_BOLD);
	size_t zi = (size_t)(z - c->cfg->zones);
	char v4[16], v6[16] = "-", relays[16], devices[16], quar[16];

	human(zi < CONFIG_MAX_ZONES ? c->zone_packets[0][zi] : 0, v4, sizeof(v4));
	if (c->have_v6 && zi < CONFIG_MAX_ZONES)
		human(c->zone_packets[1][zi], v6, sizeof(v6));
	snprintf(relays, sizeof(relays), "%zu", z->nrelays);
	snprintf(devices, sizeof(devices), "%zu", z->ndevices);
	snprintf(quar, sizeof(quar), "%zu", z->nquarantine);
	putf(w, y, 0, attr, ZONES_FMT, z->name, z->interface, "", z->protect_gateway ? "protected" : "open",
	     relays, devices, quar, v4, v6);
	putf(w, y, 21, attr | mode_attr, "%-8s", mode_names[z->mode]);
}

static const char *const zrow_names[] = {
	[ZROW_GLOBAL_RELAY] = "relay", [ZROW_RELAY] = "relay",
	[ZROW_DEVICE] = "device", [ZROW_QUARANTINE] = "quarantine",
};

/* The zones table (a zone and its entries per row, the selection moves here) and the interfaces table. */
static void draw_zones(const struct console *c)
{
	WINDOW *w = area_win[AREA_ZONES];
	const struct area_view *v = &c->view[AREA_ZONES];
	int zh = zones_table_rows(c, getmaxy(w)), y0 = draw_title(c, w, AREA_ZONES, NULL), y = y0;
	char text[RELAY_TEXT_MAX + 32], line[TEXT_MAX];

	if (c->nzrows == 0)
		put(w, y0, 0, A_DIM, "no zones configured");
	for (; y < y0 + zh && v->top + (size_t)(y - y0) < c->nzrows; y++) {
		size_t i = v->top + (size_t)(y - y0);
		const struct zrow *r = &c->zrows[i];
		attr_t attr = row_attr(c, AREA_ZONES, i);

		if (attr != A_NORMAL)
			bar(w, y, attr);
		if (r->kind == ZROW_ZONE) {
			draw_zone(c, w, y, attr, &c->cfg->zones[r->index]);
		} else {
			console_entry_text(c->cfg, r, text, sizeof(text));
			putf(w, y, 2, attr, "%s %s", zrow_names[r->kind], text);
		}
	}
	y = y0 + zh;
	if (c->cfg->nrelays > 0) {
		size_t n = (size_t)snprintf(line, sizeof(line), "relays of every zone:");

		for (size_t i = 0; i < c->cfg->nrelays && n < sizeof(line); i++)
			n += (size_t)snprintf(line + n, sizeof(line) - n, " %s", c->cfg->relays[i].text);
		put(w, y++, 0, A_NORMAL, line);
	}
	if (c->nifaces == 0 || y >= getmaxy(w))
		return;
	snprintf(line, sizeof(line), IFACES_FMT, "INTERFACE", "ROLE", "LINK", "ADDRESSES", "RX/s",
		 "TX/s");
	put(w, y++, 0, A_BOLD, line);
	for (size_t i = 0; i < c->nifaces && y < getmaxy(w); i++)
		draw_iface(c, w, y++, A_NORMAL, &c->ifaces[i]);
}

/* The per-zone hit-rate sparklines ("wlan[ .:#]") for the rules title. */
static void sparks_format(const struct console *c, char *buf, size_t size)
{
	static const char levels[] = " .:-=+*#";
	size_t n = 0;

	buf[0] = '\0';
	for (size_t z = 0; z < c->cfg->nzones && z < CONFIG_MAX_ZONES && n < size; z++) {
		unsigned max = 0;
		char line[SPARK_LEN + 1];

		for (int i = 0; i < SPARK_LEN; i++)
			if (c->spark[z][i] > max)
				max = c->spark[z][i];
		for (int i = 0; i < SPARK_LEN; i++) {
			unsigned v = c->spark[z][i];

			/* 0 is blank, the rest scaled to the window's busiest refresh */
			line[i] = levels[v ? 1 + v * (sizeof(levels) - 3) / max : 0];
		}
		line[SPARK_LEN] = '\0';
		n += (size_t)snprintf(buf + n, size - n, "%s%s[%s]", n ? " " : "",
				      c->cfg->zones[z].name, line);
	}
}

/* Where a rule's text starts when the area is scrolled shift columns to the right. */
static size_t rule_shift(const char *text, size_t shift)
{
	size_t len = strlen(text);

	return shift < len ? shift : len;
}

/*
 * A rule in words and its verdict: own rules from the rule IR (or, in
 * nftables' form, from their text); a foreign rule (or one outside
 * smtpguard's grammar) keeps its text, with the target it jumps to as
 * the verdict.
 */
static void rule_say(const struct console *c, const struct fw_rule *fr, char *words,
		     size_t wsize, char *verdict, size_t vsize)
{
	struct rule r;
	struct error err = { 0 };

	const struct fw_chain *ch = fw_table_rule_chain(&c->table, (size_t)(fr - c->table.rules));

	if (fr->own && rule_parse_save(fr->text, c->table.family, &r, &err) == 0) {
		rule_words(&r, words, wsize);
		rule_verdict(&r, verdict, vsize);
		return;
	}
	if (fr->own && ch && strncmp(fr->text, "-A ", 3) != 0) {	/* nftables' form */
		rule_words_nft(ch->name, fr->text, words, wsize, verdict, vsize);
		return;
	}
	snprintf(words, wsize, "%s", fr->text);
	fw_rule_target(fr->text, verdict, vsize);
	if (verdict[0] && fw_table_chain(&c->table, verdict)) {
		memmove(verdict + 3, verdict, strnlen(verdict, vsize - 4) + 1);
		memcpy(verdict, "-> ", 3);
		verdict[vsize - 1] = '\0';
	} else {
		for (char *p = verdict; *p; p++)
			*p = (char)tolower((unsigned char)*p);
	}
}

void console_rules_unsay(struct console *c)
{
	for (size_t i = 0; i < c->nsaid; i++)
		free(c->said[i].words);
	free(c->said);
	c->said = NULL;
	c->nsaid = 0;
}

/* Word table rule ri if not yet. */
static void rule_said_make(struct console *c, long ri)
{
	char words[RULE_TEXT_MAX];

	if (ri < 0 || (size_t)ri >= c->nsaid || c->said[ri].words)
		return;
	rule_say(c, &c->table.rules[ri], words, sizeof(words), c->said[ri].verdict,
		 sizeof(c->said[ri].verdict));
	if (!(c->said[ri].words = strdup(words)))
		console_die("out of memory");
}

void console_rules_say(struct console *c, bool all)
{
	const struct area_view *v = &c->view[AREA_RULES];

	if (!c->have_table) {
		console_rules_unsay(c);
		return;
	}
	if (c->nsaid != c->table.nrules || c->said_fingerprint != c->table.fingerprint) {
		console_rules_unsay(c);
		c->said = calloc(c->table.nrules ? c->table.nrules : 1, sizeof(*c->said));
		if (!c->said)
			console_die("out of memory");
		c->nsaid = c->table.nrules;
		c->said_fingerprint = c->table.fingerprint;
	}
	for (size_t i = 0; all && i < c->nrrows; i++)
		rule_said_make(c, c->rrows[i].rule);
	for (size_t i = v->top; !all && v->height > 0 && i < v->top + (size_t)v->height; i++) {
		size_t ri;

		if (console_row(c, AREA_RULES, i, &ri))
			rule_said_make(c, c->rrows[ri].rule);
	}
}

void console_rule_words(const struct console *c, const struct fw_rule *fr, char *words,
			size_t wsize, char *verdict, size_t vsize)
{
	size_t i = (size_t)(fr - c->table.rules);

	if (c->have_table && c->nsaid == c->table.nrules && c->said_fingerprint == c->table.fingerprint &&
	    i < c->nsaid && c->said[i].words) {
		snprintf(words, wsize, "%s", c->said[i].words);
		snprintf(verdict, vsize, "%s", c->said[i].verdict);
		return;
	}
	rule_say(c, fr, words, wsize, verdict, vsize);
}

static attr_t verdict_attr(const struct console *c, const char *verdict)
{
	if (strcmp(verdict, "drop") == 0 || strcmp(verdict, "reject") == 0)
		return style(c, 2, A_BOLD);
	if (strcmp(verdict, "log") == 0)
		return style(c, 4, A_BOLD);
	return strcmp(verdict, "accept") == 0 ? style(c, 3, A_BOLD) : A_BOLD;
}

static void draw_rule(const struct console *c, WINDOW *w, int y, attr_t attr, const struct rrow *r)
{
	const struct fw_rule *fr = &c->table.rules[r->rule];
	double rate = c->rule_rate ? c->rule_rate[r->rule] : 0.0;
	char pk[16], by[16], words[RULE_TEXT_MAX], verdict[CHAIN_NAME_MAX + 8], rt[16];
	const char *text;
	int x;

	/* an nftables rule without a counter statement has no packets to show: it says so */
	human(fr->packets, pk, sizeof(pk));
	human(fr->bytes, by, sizeof(by));
	snprintf(rt, sizeof(rt), "%.1f", rate);
	if (fr->uncounted) {
		snprintf(pk, sizeof(pk), "no ctr");
		snprintf(by, sizeof(by), "-");
		snprintf(rt, sizeof(rt), "-");
	}
	if (!fr->own && attr == A_NORMAL)
		attr = style(c, 5, A_DIM);
	if (c->rules_text) {
		putf(w, y, 0, attr, "%8s %8s %6s %c%*s%s", pk, by, rt, fr->own ? '*' : ' ',
		     2 * (r->depth - 1), "", fr->text + rule_shift(fr->text, c->rules_shift));
		return;
	}
	console_rule_words(c, fr, words, sizeof(words), verdict, sizeof(verdict));
	putf(w, y, 0, attr, "%6s %6s ", pk, rt);
	x = getcurx(w);
	putf(w, y, x, attr | (attr == A_NORMAL ? verdict_attr(c, verdict) : A_BOLD), "%-8s", verdict);
	x = getcurx(w) + 1;
	text = words + rule_shift(words, c->rules_shift);
	putf(w, y, x, attr, "%*s%s", c->rules_shift ? 0 : 2 * (r->depth - 1), "", text);
}

static void draw_rules(const struct console *c)
{
	WINDOW *w = area_win[AREA_RULES];
	const struct area_view *v = &c->view[AREA_RULES];
	char sparks[256];

	sparks_format(c, sparks, sizeof(sparks));
	int y0 = draw_title(c, w, AREA_RULES, sparks);
	if (!c->have_table) {
		putf(w, y0, 0, style(c, 2, A_BOLD), "cannot read the filter table: %s",
		     c->table_error);
		return;
	}
	for (int y = y0; y < getmaxy(w) && v->top + (size_t)(y - y0) < v->rows; y++) {
		size_t i = v->top + (size_t)(y - y0), ri;
		attr_t attr = row_attr(c, AREA_RULES, i);
		char pk[16];

		if (!console_row(c, AREA_RULES, i, &ri))
			continue;
		const struct rrow *r = &c->rrows[ri];
		const struct fw_chain *ch = &c->table.chains[r->chain];
		if (attr != A_NORMAL)
			bar(w, y, attr);
		if (r->rule < 0 && ch->hook[0]) {
			/* nftables counts no policy; another table's chain is dimmed as its rules are */
			putf(w, y, 0, attr | (ch->table[0] && attr == A_NORMAL ? style(c, 5, A_DIM) : A_BOLD),
			     "%s%s%s (hook %s, priority %d, policy %s)", ch->table, ch->table[0] ? " " : "",
			     ch->name, ch->hook, ch->priority, ch->policy);
			continue;
		}
		if (r->rule < 0) {
			human(ch->packets, pk, sizeof(pk));
			putf(w, y, 0, attr | A_BOLD, "%s (policy %s, %s packets)", ch->name,
			     ch->policy, pk);
			continue;
		}
		draw_rule(c, w, y, attr, r);
	}
}

static void draw_hits(const struct console *c)
{
	WINDOW *w = area_win[AREA_HITS];
	const struct area_view *v = &c->view[AREA_HITS];
	char extra[ERROR_TEXT_MAX + 64];
	size_t n = v->rows;

	if (c->source)
		snprintf(extra, sizeof(extra), "%llu from %s",
			 (unsigned long long)(c->ring ? hit_ring_total(c->ring) : 0),
			 logsource_name(c->source));
	else
		snprintf(extra, sizeof(extra), "no live source");
	int y0 = draw_title(c, w, AREA_HITS, extra);
	if (n == 0) {
		put(w, y0, 0, A_DIM, c->filter[AREA_HITS][0] ? "no hit matches the filter (Esc clears it)"
				     : c->source_error[0] ? c->source_error : "no port-25 hits yet");
		return;
	}
	for (int y = y0; y < getmaxy(w) && v->top + (size_t)(y - y0) < n; y++) {
		size_t i = v->top + (size_t)(y - y0), ri;
		attr_t attr = row_attr(c, AREA_HITS, i);
		char when[16], src[ADDR_TEXT_MAX], dst[ADDR_TEXT_MAX];
		char srccut[ADDR_TEXT_MAX], dstcut[ADDR_TEXT_MAX];
		int aw = hits_addr_width();
		char mac[4 * HIT_MAC_TEXT_MAX + 1];
		char zone[4 * ZONE_NAME_MAX + 1];
		struct tm tm;

		if (!console_row(c, AREA_HITS, i, &ri))
			continue;
		const struct hit *h = hit_ring_at(c->ring, ri);
		if (attr != A_NORMAL)
			bar(w, y, attr);
		localtime_r(&h->time, &tm);
		strftime(when, sizeof(when), "%H:%M:%S", &tm);
		addr_format(&h->src, src, sizeof(src));
		addr_format(&h->dst, dst, sizeof(dst));
		if (h->has_src_mac)
			mac_format(h->src_mac, mac);
		else
			field(h->mac[0] ? h->mac : "-", mac, sizeof(mac));
		putf(w, y, 0, attr, HITS_FMT, when,
		     field(h->zone[0] ? h->zone : "-", zone, sizeof(zone)), aw,
		     cut_middle(src, aw, srccut, sizeof(srccut)), mac, aw,
		     cut_middle(dst, aw, dstcut, sizeof(dstcut)));
		put(w, y, HITS_ACTION_X(aw),
		    attr | (h->action == HIT_ACTION_DROPPED ? style(c, 2, A_BOLD) : A_NORMAL),
		    hit_action_names[h->action]);
	}
}

static void draw_offenders(const struct console *c)
{
	WINDOW *w = area_win[AREA_OFFENDERS];
	const struct area_view *v = &c->view[AREA_OFFENDERS];

	int y0 = draw_title(c, w, AREA_OFFENDERS, "u unban  Q quarantine");
	if (v->rows == 0) {
		put(w, y0, 0, A_DIM, c->filter[AREA_OFFENDERS][0]
				     ? "no offender matches the filter (Esc clears it)"
				     : "no banned hosts, no port-25 talkers yet");
		return;
	}
	for (int y = y0; y < getmaxy(w) && v->top + (size_t)(y - y0) < v->rows; y++) {
		size_t i = v->top + (size_t)(y - y0), oi;
		attr_t attr = row_attr(c, AREA_OFFENDERS, i);
		char a[ADDR_TEXT_MAX], state[48], hits[24], zone[4 * ZONE_NAME_MAX + 1];

		if (!console_row(c, AREA_OFFENDERS, i, &oi))
			continue;
		const struct offender *o = &c->offenders[oi];
		if (attr != A_NORMAL)
			bar(w, y, attr);
		addr_format(&o->addr, a, sizeof(a));
		if (!o->banned)
			snprintf(state, sizeof(state), "top talker");
		else if (o->seconds_left > 0)
			snprintf(state, sizeof(state), "%s, %lds left",
				 o->escalated ? "escalated" : "banned", o->seconds_left);
		else
			snprintf(state, sizeof(state), "%s expired",
				 o->escalated ? "escalation" : "ban");
		if (o->banned && !o->hits)	/* the backend does not count them (nftables) */
			snprintf(hits, sizeof(hits), "-");
		else
			human(o->hits, hits, sizeof(hits));
		putf(w, y, 0, attr, OFFENDERS_FMT, a,
		     field(o->zone[0] ? o->zone : "-", zone, sizeof(zone)), hits, state);
	}
}

/* ---- overlays: help and plan, drawn over the areas ---- */

/* The areas' windows as one region: rows 1 .. LINES-3. */
static void region_clear(void)
{
	for (int a = 0; a < AREA_COUNT; a++)
		if (area_win[a])
			werase(area_win[a]);
}

/* Put line number i of the region (across the stacked windows). */
static void region_put(int i, attr_t attr, const char *text)
{
	for (int a = 0; a < AREA_COUNT; a++) {
		int h = area_win[a] ? getmaxy(area_win[a]) : 0;

		if (i < h) {
			put(area_win[a], i, 0, attr, text);
			return;
		}
		i -= h;
	}
}

static int region_height(void)
{
	int h = 0;

	for (int a = 0; a < AREA_COUNT; a++)
		h += area_win[a] ? getmaxy(area_win[a]) : 0;
	return h;
}

/*
 * One line, whole, wrapped at spaces (the rest indented by indent): the
 * operator reads every rule of a plan before saying y, and all the help.
 */
static int wrap_put(int y, int rows, attr_t attr, const char *text, int indent)
{
	char clean[TEXT_MAX], line[TEXT_MAX];
	size_t len = sanitize_text(text, strlen(text), clean, sizeof(clean)), at = 0;

	if (len >= sizeof(clean))
		len = strlen(clean);
	do {
		size_t width = (size_t)(COLS - (at ? indent + 1 : 1)), n = len - at;

		if (n > width) {
			n = width;
			while (n > width / 2 && clean[at + n] != ' ')
				n--;
		}
		snprintf(line, sizeof(line), "%*s%.*s", at ? indent : 0, "", (int)n, clean + at);
		region_put(y++, attr, line);
		at += n;
		while (at < len && clean[at] == ' ')
			at++;
	} while (at < len && y < rows - 1);
	return y;
}

static void draw_help(const struct console *c)
{
	int rows = region_height(), y = 0;
	char line[256];
	bool heading;

	region_clear();
	region_put(y++, A_BOLD,
		   "smtpguard console keys (any other key closes this help; Up/Down scroll)");
	for (size_t i = c->help_top; y < rows && console_help_line(i, line, sizeof(line), &heading);
	     i++)
		y = wrap_put(y, rows + 1, heading ? A_BOLD : A_NORMAL, line, 9);
}

/* "y applies, n cancels": the labels of map's keys offered now. */
static void keys_hint(const struct console *c, const struct console_keymap *map, char *buf,
		      size_t size)
{
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < map->nkeys && n < size; i++) {
		const struct console_key *k = &map->keys[i];

		if (k->label && (!k->offered || k->offered(c)))
			n += (size_t)snprintf(buf + n, size - n, "%s%s %s", n ? ", " : "", k->name,
					      k->label);
	}
}

/* The proposal's plan, each family's changes under its heading, from line plan_top on. */
static void draw_plan(const struct console *c)
{
	int rows = region_height(), y = 0;
	char line[TEXT_MAX];
	unsigned confirm = c->cfg->confirm;
	size_t k = 0;

	region_clear();
	snprintf(line, sizeof(line), "Plan: %s", c->proposed_what);
	region_put(y++, A_BOLD, line);
	if (dualstack_plans_empty(c->plans))
		region_put(y++, A_NORMAL, "  no rule changes (the kernel already matches)");
	for (size_t f = 0; f < DUALSTACK_N; f++) {
		const struct plan *p = &c->plans[f];

		if (plan_empty(p))
			continue;
		if (k++ >= c->plan_top && y < rows - 1) {
			snprintf(line, sizeof(line), "%s:", dualstack_label(dualstack_families[f]));
			region_put(y++, A_BOLD | A_UNDERLINE, line);
		}
		for (size_t i = 0; i < p->nlines; i++) {
			const struct plan_line *l = &p->lines[i];
			attr_t attr = l->op == '+' ? style(c, 3, A_BOLD) :
				      l->op == '-' || l->op == 'X' ? style(c, 2, A_BOLD) : A_NORMAL;

			if (k++ < c->plan_top || y >= rows - 1)
				continue;
			snprintf(line, sizeof(line), "%c %s", l->op, l->text);
			y = wrap_put(y, rows, attr, line, 4);
		}
	}
	keys_hint(c, &console_keymaps[CMODE_PLAN], line, sizeof(line));
	if (confirm > 0)
		snprintf(line + strlen(line), sizeof(line) - strlen(line),
			 "; after y, c within %u s keeps it, else it is rolled back", confirm);
	region_put(rows - 1, style(c, 4, A_BOLD), line);
}

/* ---- a host's story ---- */

#define STORY_HITS_FMT "%-8s %-*s %s"
#define STORY_DESTS 6

static void story_when(time_t t, char *buf, size_t size)
{
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(buf, size, "%H:%M:%S", &tm);
}

/* The destinations of its hits in memory, most hit first: "203.0.113.25 (12), ...". */
static void story_destinations(const struct console *c, char *buf, size_t size)
{
	struct { struct addr dst; size_t n; } d[STORY_DESTS] = { 0 };
	size_t nd = 0, other = 0, n = 0;
	char a[ADDR_TEXT_MAX];

	for (size_t i = 0; i < c->nstory_hits; i++) {
		const struct hit *h = console_story_hit(c, i);
		size_t k = 0;

		if (!h)
			continue;
		while (k < nd && !addr_equal(&d[k].dst, &h->dst))
			k++;
		if (k == nd && nd == STORY_DESTS) {
			other++;
			continue;
		}
		if (k == nd)
			d[nd++].dst = h->dst;
		d[k].n++;
		/* keep the most hit first: move it up past those it now passes */
		for (; k > 0 && d[k].n > d[k - 1].n; k--) {
			struct addr t = d[k].dst;
			size_t tn = d[k].n;

			d[k] = d[k - 1];
			d[k - 1].dst = t;
			d[k - 1].n = tn;
		}
	}
	buf[0] = '\0';
	for (size_t k = 0; k < nd && n < size; k++) {
		addr_format(&d[k].dst, a, sizeof(a));
		n += (size_t)snprintf(buf + n, size - n, "%s%s (%zu)", k ? ", " : "", a, d[k].n);
	}
	if (other && n < size)
		snprintf(buf + n, size - n, ", %zu to others", other);
}

static void draw_story(const struct console *c)
{
	const struct offender *ban = console_story_ban(c);
	const struct hit_source *st = &c->story_stats;
	const struct zone *z = config_zone(c->cfg, c->story_zone);
	int rows = region_height(), y = 0;
	char line[TEXT_MAX], dests[TEXT_MAX / 2], a[ADDR_TEXT_MAX], first[16], last[16];
	char entry[RELAY_TEXT_MAX];
	size_t n;

	region_clear();
	addr_format(&c->story_addr, a, sizeof(a));
	n = (size_t)snprintf(line, sizeof(line), "Host %s  zone %s  MAC %s", a,
			     c->story_zone[0] ? c->story_zone : "-",
			     c->story_seen && st->mac[0] ? st->mac : "unknown");
	for (size_t i = 0; i < c->nstory_other && n < sizeof(line); i++) {
		addr_format(&c->story_other[i], a, sizeof(a));
		n += (size_t)snprintf(line + n, sizeof(line) - n, "%s%s", i ? "," : "  also ", a);
	}
	region_put(y++, style(c, 1, A_REVERSE) | A_BOLD, line);
	if (c->story_seen) {
		story_when(st->first, first, sizeof(first));
		story_when(st->last, last, sizeof(last));
		snprintf(line, sizeof(line), "attempts %llu to %u%s destination%s, first seen %s, last seen %s",
			 (unsigned long long)st->attempts, st->destinations,
			 st->destinations_capped ? "+" : "", st->destinations == 1 ? "" : "s", first,
			 last);
	} else {
		snprintf(line, sizeof(line), "attempts: none since the console started");
	}
	y = wrap_put(y, rows, A_NORMAL, line, 2);
	if (ban && ban->seconds_left > 0)
		snprintf(line, sizeof(line), "ban: banned in %s, %lds left (u unbans)", ban->zone,
			 ban->seconds_left);
	else if (ban)
		snprintf(line, sizeof(line), "ban: ban expired in %s (a new attempt passes)", ban->zone);
	else
		snprintf(line, sizeof(line), "ban: not banned (zone %s in %s mode)",
			 c->story_zone[0] ? c->story_zone : "-", z ? mode_names[z->mode] : "no");
	region_put(y++, ban && ban->seconds_left > 0 ? style(c, 2, A_BOLD) : A_NORMAL, line);
	if (console_story_quarantined(c, entry, sizeof(entry)))
		snprintf(line, sizeof(line), "quarantine: quarantined as %s in %s", entry, z->name);
	else
		snprintf(line, sizeof(line), "quarantine: no%s; device: %s", z ? " (Q quarantines)" : "",
			 console_story_device(c) ? "listed" : z ? "not listed (d adds it)" : "not listed");
	region_put(y++, A_NORMAL, line);
	story_destinations(c, dests, sizeof(dests));
	snprintf(line, sizeof(line), "destinations: %s", dests);
	y = wrap_put(y, rows, A_NORMAL, line, 2);
	snprintf(line, sizeof(line), "%zu hit%s in memory, newest first", c->nstory_hits,
		 c->nstory_hits == 1 ? "" : "s");
	if (y < rows)
		region_put(y++, A_BOLD, line);
	snprintf(line, sizeof(line), STORY_HITS_FMT, "TIME", ADDR_COLUMN_MAX, "DESTINATION", "ACTION");
	if (y < rows)
		region_put(y++, A_BOLD, line);
	for (size_t i = c->story_top; y < rows; i++) {
		const struct hit *h = console_story_hit(c, i);

		if (!h)
			break;
		story_when(h->time, first, sizeof(first));
		addr_format(&h->dst, a, sizeof(a));
		snprintf(line, sizeof(line), STORY_HITS_FMT, first, ADDR_COLUMN_MAX, a,
			 hit_action_names[h->action]);
		region_put(y++, h->action == HIT_ACTION_DROPPED ? style(c, 2, A_BOLD) : A_NORMAL,
			   line);
	}
}

/* ---- status, message and hint lines ---- */

static void draw_status(const struct console *c)
{
	WINDOW *w = part_win[PART_STATUS];
	char line[TEXT_MAX], when[16] = "never";
	size_t own = 0;
	int x;

	for (size_t i = 0; c->have_table && i < c->table.nrules; i++)
		own += c->table.rules[i].own;
	if (c->last_apply) {
		struct tm tm;

		localtime_r(&c->last_apply, &tm);
		strftime(when, sizeof(when), "%H:%M:%S", &tm);
	}
	bar(w, 0, A_REVERSE);
	put(w, 0, 0, A_REVERSE | A_BOLD, "smtpguard ");
	x = getcurx(w) + 1;
	/* the state that needs the operator first, so a narrow screen keeps it */
	if (change_pending(c) && c->watchdog_said != WATCHDOG_WAITING)
		put(w, 0, x, style(c, 2, A_BOLD) | A_REVERSE, "rolling back ");
	else if (change_pending(c))
		putf(w, 0, x, style(c, 4, A_BOLD) | A_REVERSE,
		     "pending: rollback in %us, c keeps ", c->watchdog_left);
	else if (c->watchdog_seen)
		putf(w, 0, x, style(c, 4, A_BOLD) | A_REVERSE,
		     "another shell's change rolls back in %us (smtpguard confirm keeps it) ",
		     c->watchdog_left);
	else if (!c->have_table)
		put(w, 0, x, style(c, 2, A_BOLD) | A_REVERSE, "table unreadable ");
	else if (c->drift)
		put(w, 0, x, style(c, 4, A_BOLD) | A_REVERSE,
		    "kernel differs from config: a applies ");
	else if (c->nuplinks)
		putf(w, 0, x, style(c, 4, A_BOLD) | A_REVERSE,
		     "unguarded uplink %s (IPv%c): add it to wan ", c->uplinks[0].iface,
		     c->uplinks[0].family == AF_INET6 ? '6' : '4');
	x = getcurx(w) > x ? getcurx(w) + 1 : x;
	snprintf(line, sizeof(line), "%s%s  rules %zu (own %zu)  applied %s  watch %s%s%s%s",
		 c->fw->name, fw_fake_table() ? " (SMTPGUARD_FAKE_TABLE, not the kernel)" : "",
		 c->have_table ? c->table.nrules : 0, own, when, c->watch_pid ? "on" : "off",
		 c->unsaved ? "  unsaved" : "", c->paused ? "  paused (Z resumes)" : "",
		 c->readonly ? "  read-only" : "");
	put(w, 0, x, A_REVERSE, line);
}

static const struct input_info {
	const char *prompt;
	const char *fine;	/* shown while the text is acceptable */
} inputs[] = {
	[INPUT_RELAY] = { .prompt = "Add relay (IP, CIDR or host name)",
			  .fine = "ok: Enter shows the plan, Esc cancels" },
	[INPUT_DEVICE] = { .prompt = "Add device (MAC IP)",
			   .fine = "ok: Enter shows the plan, Esc cancels" },
	[INPUT_QUARANTINE] = { .prompt = "Quarantine host (IP, CIDR or MAC)",
			       .fine = "ok: Enter shows the plan, Esc cancels" },
	[INPUT_EXPORT_FORMAT] = { .prompt = "Export format (restore or sh)",
				  .fine = "ok: Enter asks for the file, Esc cancels" },
	[INPUT_EXPORT_FILE] = { .prompt = "Export to file",
				.fine = "ok: Enter writes it (0600, atomically), Esc cancels" },
	[INPUT_SEARCH] = { .prompt = "Search", .fine = "Enter or F3: the next row, Esc closes" },
	[INPUT_FILTER] = { .prompt = "Filter", .fine = "Enter keeps it, Esc clears it" },
};

/* Bytes from s on that make its last cols columns at most (s sanitized UTF-8). */
static size_t text_tail(const char *s, int cols)
{
	size_t len = strlen(s), i = 0;

	while (i < len && text_fit(s + i, cols) < len - i)
		do
			i++;
		while ((s[i] & 0xC0) == 0x80);
	return i;
}

/*
 * A message at x of the message line: one longer than the line goes on
 * over the hint line, broken at a space; one longer than both keeps its
 * start and its end ("..." between), as every message says what to do
 * last.  True when it took the hint line.
 */
static bool put_message(int x, attr_t attr, const char *text)
{
	WINDOW *w = part_win[PART_MESSAGE], *next = part_win[PART_HINTS];
	char clean[TEXT_MAX];
	const char *rest;
	size_t len, fit, brk;
	int cols = getmaxx(w) - x, cols2 = getmaxx(next);

	if (cols <= 0)
		return false;
	len = sanitize_text(text, strlen(text), clean, sizeof(clean));
	len = len < sizeof(clean) ? len : strlen(clean);
	fit = text_fit(clean, cols);
	for (brk = fit; fit < len && brk > fit / 2 && clean[brk] != ' ';)
		brk--;
	if (fit < len && clean[brk] != ' ')
		brk = fit;
	wattron(w, attr);
	mvwaddnstr(w, 0, x, clean, (int)brk);
	wattroff(w, attr);
	if (brk == len)
		return false;
	rest = clean + brk + (clean[brk] == ' ');
	wattron(next, attr);
	if (text_fit(rest, cols2) == strlen(rest)) {
		mvwaddstr(next, 0, 0, rest);
	} else {
		const char *end = rest + text_tail(rest, cols2 - 4);
		const char *word = strchr(end, ' ');

		mvwaddstr(next, 0, 0, "... ");
		/* from a word's start when one begins in its first half */
		waddstr(next, word && (size_t)(word - end) < strlen(end) / 2 ? word + 1 : end);
	}
	wattroff(next, attr);
	return true;
}

/* The message line; true when a long message took the hint line too. */
static bool draw_message(const struct console *c)
{
	WINDOW *w = part_win[PART_MESSAGE];
	char line[TEXT_MAX];

	if (c->mode == CMODE_INPUT) {
		const char *zone = c->input_zone >= 0 ? c->cfg->zones[c->input_zone].name : "";
		int x;

		snprintf(line, sizeof(line), "%s%s%s: ", inputs[c->input_kind].prompt,
			 *zone ? " to " : "", zone);
		put(w, 0, 0, A_BOLD, line);
		x = getcurx(w);
		put(w, 0, x, A_UNDERLINE, c->input);
		x = getcurx(w);
		put(w, 0, x, A_REVERSE, " ");
		if (c->message[0] || c->input_check[0])
			return put_message(x + 2, style(c, 2, A_BOLD),
					   c->message[0] ? c->message : c->input_check);
		put(w, 0, x + 2, style(c, 3, A_NORMAL), inputs[c->input_kind].fine);
		return false;
	}
	return c->message[0] &&
	       put_message(0, c->message_error ? style(c, 2, A_BOLD) : A_BOLD, c->message);
}

static void draw_hints(const struct console *c)
{
	const struct console_keymap *map =
		&console_keymaps[c->mode == CMODE_STORY ? CMODE_STORY : CMODE_NORMAL];
	WINDOW *w = part_win[PART_HINTS];
	int x = 0;

	for (size_t i = 0; i < map->nkeys && x < COLS; i++) {
		const struct console_key *k = &map->keys[i];

		if (!k->label)
			continue;
		put(w, 0, x, A_BOLD, k->name);
		x = getcurx(w);
		put(w, 0, x, style(c, 1, A_REVERSE), k->label);
		x = getcurx(w) + 1;
		if (x >= COLS - 1)
			break;
	}
}

/* Lines the plan view scrolls through: each non-empty family's heading and lines. */
static size_t plan_total(const struct console *c)
{
	size_t total = 0;

	for (size_t f = 0; f < DUALSTACK_N; f++)
		total += plan_empty(&c->plans[f]) ? 0 : c->plans[f].nlines + 1;
	return total;
}

static bool screen_too_small(void)
{
	return LINES < 16 || COLS < 40;
}

void console_layout(struct console *c)
{
	size_t total = plan_total(c);

	if (c->plan_top >= total)
		c->plan_top = total ? total - 1 : 0;
	console_rows_update(c);
	if (screen_too_small()) {
		layout_free();
		layout_lines = 0;
		return;
	}
	if (LINES != layout_lines || COLS != layout_cols || c->nzrows != layout_zrows ||
	    c->nrrows != layout_rrows || c->nifaces != layout_ifaces || c->zoom != layout_zoom ||
	    (c->zoom && c->area != layout_area) || !area_win[c->area])
		layout(c);
	for (int a = 0; a < AREA_COUNT; a++) {
		WINDOW *w = area_win[a];

		if (!w)
			continue;	/* zoomed out of sight: keeps its last height */
		c->view[a].height = a == AREA_ZONES ? zones_table_rows(c, getmaxy(w))
						    : getmaxy(w) - area_first_row(w);
		view_scroll(&c->view[a]);
	}
	/* the rules in sight in words, once per table (the filter and the search word them all) */
	console_rules_say(c, false);
}

bool console_area_at(const struct console *c, int y, enum area *a, int *row)
{
	for (int i = 0; i < AREA_COUNT; i++) {
		WINDOW *w = area_win[i];
		int top = w ? getbegy(w) : 0;

		if (!w || y < top || y >= top + getmaxy(w))
			continue;
		*a = (enum area)i;
		*row = y - top - area_first_row(w);
		if (*row >= c->view[i].height)
			*row = -1;
		return true;
	}
	return false;
}

void console_draw(const struct console *c)
{
	if (screen_too_small() || !area_win[c->area]) {
		/* too small for the areas: say so until the terminal grows */
		erase();
		mvprintw(0, 0, "smtpguard: the terminal is %dx%d; 80x24 is the least", COLS, LINES);
		refresh();
		return;
	}
	static void (*const draw_area[AREA_COUNT])(const struct console *c) = {
		[AREA_ZONES] = draw_zones, [AREA_RULES] = draw_rules,
		[AREA_HITS] = draw_hits, [AREA_OFFENDERS] = draw_offenders,
	};

	region_clear();
	for (int p = 0; p < PART_COUNT; p++)
		werase(part_win[p]);
	if (c->mode == CMODE_HELP) {
		draw_help(c);
	} else if (c->mode == CMODE_PLAN) {
		draw_plan(c);
	} else if (c->mode == CMODE_STORY) {
		draw_story(c);
	} else {
		for (int a = 0; a < AREA_COUNT; a++)
			if (area_win[a])
				draw_area[a](c);
	}
	draw_status(c);
	if (!draw_message(c))
		draw_hints(c);
	for (int a = 0; a < AREA_COUNT; a++)
		if (area_win[a])
			wnoutrefresh(area_win[a]);
	for (int p = 0; p < PART_COUNT; p++)
		wnoutrefresh(part_win[p]);
	doupdate();
}
