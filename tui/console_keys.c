/*
 * console_keys.c - every key of the console: one const table per mode
 * (main, plan view, input line, help; the help screen and the hint lines
 * are generated from them) and the handlers.
 *
 * Edits are made on a copy of the config with the same config_*_add /
 * _remove calls the core validates with; a refused edit changes
 * nothing and shows the reason.  A valid edit goes to change_propose().
 */
#include <ctype.h>
#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "atomicfile.h"
#include "bans.h"
#include "console.h"

#define CTRL(k) ((k) & 0x1f)
#define KEY_ESCAPE 27

/* ---- moving around ---- */

static int key_area_next(struct console *c)
{
	c->area = (enum area)((c->area + 1) % AREA_COUNT);
	return REDRAW_SCREEN;
}

static int key_area_prev(struct console *c)
{
	c->area = (enum area)((c->area + AREA_COUNT - 1) % AREA_COUNT);
	return REDRAW_SCREEN;
}

static int key_area_zones(struct console *c) { c->area = AREA_ZONES; return REDRAW_SCREEN; }
static int key_area_rules(struct console *c) { c->area = AREA_RULES; return REDRAW_SCREEN; }
static int key_area_hits(struct console *c) { c->area = AREA_HITS; return REDRAW_SCREEN; }
static int key_area_offenders(struct console *c) { c->area = AREA_OFFENDERS; return REDRAW_SCREEN; }

/* Move the selection of the current area by delta rows (clamped). */
static int view_move(struct console *c, long delta)
{
	struct area_view *v = &c->view[c->area];
	long sel = (long)v->sel + delta;

	if (v->rows == 0)
		return REDRAW_NONE;
	if (sel < 0)
		sel = 0;
	if (sel >= (long)v->rows)
		sel = (long)v->rows - 1;
	v->sel = (size_t)sel;
	return REDRAW_SCREEN;
}

static long view_page(const struct console *c)
{
	return c->view[c->area].height > 1 ? c->view[c->area].height - 1 : 1;
}

static int key_up(struct console *c) { return view_move(c, -1); }
static int key_down(struct console *c) { return view_move(c, 1); }
static int key_page_up(struct console *c) { return view_move(c, -view_page(c)); }
static int key_page_down(struct console *c) { return view_move(c, view_page(c)); }
static int key_home(struct console *c) { return view_move(c, -(long)c->view[c->area].rows); }
static int key_end(struct console *c) { return view_move(c, (long)c->view[c->area].rows); }

/* Left/Right scroll the rules' text sideways: long rules can be read whole. */
static int key_right(struct console *c)
{
	if (c->rules_shift < 1024)
		c->rules_shift += 8;
	c->area = AREA_RULES;
	return REDRAW_SCREEN;
}

static int key_left(struct console *c)
{
	c->rules_shift = c->rules_shift >= 8 ? c->rules_shift - 8 : 0;
	c->area = AREA_RULES;
	return REDRAW_SCREEN;
}

static int key_zoom(struct console *c)
{
	c->zoom = !c->zoom;
	return REDRAW_SCREEN;
}

static int key_rules_text(struct console *c)
{
	c->rules_text = !c->rules_text;
	c->rules_shift = 0;
	c->area = AREA_RULES;
	return REDRAW_SCREEN;
}

static int key_help(struct console *c)
{
	c->mode = CMODE_HELP;
	c->help_top = 0;
	return REDRAW_SCREEN;
}

static int key_redraw(struct console *c)
{
	clearok(curscr, TRUE);
	return REDRAW_SCREEN;
}

/* ---- zone edits ---- */

/* The selected zone in an editable copy of the config, or NULL with a message. */
static struct zone *zone_edit(struct console *c, struct config **copy)
{
	int zi = console_zone_selected(c);

	if (zi < 0 || (size_t)zi >= c->cfg->nzones) {
		console_message(c, true,
				"select a zone first (Tab to the zones area, arrows to a zone)");
		return NULL;
	}
	*copy = config_copy(c->cfg);
	if (!*copy)
		console_die("out of memory");
	return &(*copy)->zones[zi];
}

/* Propose zone zi of the config in force in mode. */
static int mode_propose(struct console *c, int zi, enum zone_mode mode)
{
	struct config *copy = config_copy(c->cfg);
	struct zone *z;
	char what[96];
	int r;

	if (!copy)
		console_die("out of memory");
	z = &copy->zones[zi];
	z->mode = mode;
	snprintf(what, sizeof(what), "zone %s: mode %s -> %s", z->name,
		 mode_names[c->cfg->zones[zi].mode], mode_names[mode]);
	r = change_propose(c, copy, what);
	if (c->mode == CMODE_PLAN)
		c->mode_zone = zi;
	return r;
}

/* The selected zone's next mode; in the plan view of a mode, the one after the proposed. */
static int key_mode(struct console *c)
{
	bool again = c->mode == CMODE_PLAN;
	int zi = again ? c->mode_zone : console_zone_selected(c);
	enum zone_mode next;

	if (zi < 0) {
		console_message(c, true,
				"select a zone first (Tab to the zones area, arrows to a zone)");
		return REDRAW_SCREEN;
	}
	next = (enum zone_mode)(((again ? c->proposed : c->cfg)->zones[zi].mode + 1) % MODE_COUNT);
	if (again)
		change_decline(c);
	return mode_propose(c, zi, next);
}

static bool plan_of_mode(const struct console *c)
{
	return c->mode_zone >= 0;
}

static int key_gateway(struct console *c)
{
	struct config *copy;
	struct zone *z = zone_edit(c, &copy);
	char what[96];

	if (!z)
		return REDRAW_SCREEN;
	z->protect_gateway = !z->protect_gateway;
	snprintf(what, sizeof(what), "zone %s: protect_gateway %s", z->name,
		 z->protect_gateway ? "yes" : "no");
	return change_propose(c, copy, what);
}

static int input_open(struct console *c, enum input_kind kind, int zone)
{
	c->mode = CMODE_INPUT;
	c->input_kind = kind;
	c->input_zone = zone;
	c->input_len = 0;
	c->input[0] = '\0';
	c->input_check[0] = '\0';
	c->message[0] = '\0';
	return REDRAW_SCREEN;
}

static int key_relay(struct console *c)
{
	/* a zone's relay when a zone is selected, else one for every zone */
	return input_open(c, INPUT_RELAY, console_zone_selected(c));
}

static int input_open_zone(struct console *c, enum input_kind kind)
{
	int zi = console_zone_selected(c);

	if (zi < 0) {
		console_message(c, true,
				"select a zone first (Tab to the zones area, arrows to a zone)");
		return REDRAW_SCREEN;
	}
	return input_open(c, kind, zi);
}

static int key_device(struct console *c) { return input_open_zone(c, INPUT_DEVICE); }
static int key_quarantine_add(struct console *c) { return input_open_zone(c, INPUT_QUARANTINE); }

/*
 * The three lists of a zone (relays also in [general]) with the core
 * calls that validate and edit them, indexed by enum input_kind.
 */
struct list_edit {
	const char *what;
	enum config_list list;
};

static const struct list_edit list_edits[] = {
	[INPUT_RELAY] = { .what = "relay", .list = CONFIG_LIST_RELAYS },
	[INPUT_DEVICE] = { .what = "device", .list = CONFIG_LIST_DEVICES },
	[INPUT_QUARANTINE] = { .what = "quarantine", .list = CONFIG_LIST_QUARANTINE },
};

/* Which list a row of the zones area is an entry of; -1 for none. */
static const int zrow_lists[] = {
	[ZROW_ZONE] = -1,
	[ZROW_GLOBAL_RELAY] = INPUT_RELAY, [ZROW_RELAY] = INPUT_RELAY,
	[ZROW_DEVICE] = INPUT_DEVICE, [ZROW_QUARANTINE] = INPUT_QUARANTINE,
};

void console_entry_text(const struct config *cfg, const struct zrow *row, char *buf, size_t size)
{
	const struct zone *z;
	char mac[18], ip[ADDR_TEXT_MAX];

	buf[0] = '\0';
	if (row->kind == ZROW_GLOBAL_RELAY) {
		snprintf(buf, size, "%s", cfg->relays[row->index].text);
		return;
	}
	if (row->zone < 0)
		return;
	z = &cfg->zones[row->zone];
	if (row->kind == ZROW_RELAY) {
		snprintf(buf, size, "%s", z->relays[row->index].text);
	} else if (row->kind == ZROW_DEVICE) {
		mac_format(z->devices[row->index].mac, mac);
		addr_format(&z->devices[row->index].ip, ip, sizeof(ip));
		snprintf(buf, size, "%s %s", mac, ip);
	} else if (row->kind == ZROW_QUARANTINE) {
		config_quarantine_format(&z->quarantine[row->index], buf, size);
	}
}

static int key_delete(struct console *c)
{
	const struct zrow *row = NULL;
	const struct list_edit *list;
	struct config *copy;
	struct zone *z = NULL;
	struct error err = { 0 };
	char text[RELAY_TEXT_MAX + 32], what[RELAY_TEXT_MAX + 64];

	if (c->area == AREA_ZONES && c->view[AREA_ZONES].sel < c->nzrows)
		row = &c->zrows[c->view[AREA_ZONES].sel];
	if (!row || zrow_lists[row->kind] < 0) {
		console_message(c, true,
				"Del removes the selected relay, device or quarantined host "
				"of the zones area: select one");
		return REDRAW_SCREEN;
	}
	list = &list_edits[zrow_lists[row->kind]];
	console_entry_text(c->cfg, row, text, sizeof(text));
	copy = config_copy(c->cfg);
	if (!copy)
		console_die("out of memory");
	if (row->zone >= 0)
		z = &copy->zones[row->zone];
	if (config_list_remove(copy, z, list->list, text, &err) < 0) {
		config_free(copy);
		console_message(c, true, "%s", err.text);
		return REDRAW_SCREEN;
	}
	snprintf(what, sizeof(what), "%s: remove %s %s", z ? z->name : "all zones", list->what,
		 text);
	return change_propose(c, copy, what);
}

/* ---- offenders ---- */

/* The host selected in the offenders or hits area (or the story's), else a message. */
static bool host_selected(struct console *c, struct addr *addr, char zone[ZONE_NAME_MAX + 1])
{
	if (console_host_selected(c, addr, zone))
		return true;
	console_message(c, true, "select a host in the offenders or hits area first (Tab)");
	return false;
}

/* Enter: the selected host's story in the offenders and hits areas, else the zoom. */
static int key_enter(struct console *c)
{
	if (c->area != AREA_OFFENDERS && c->area != AREA_HITS)
		return key_zoom(c);
	if (!console_story_open(c))
		console_message(c, true, "no host selected: this area has no rows yet");
	return REDRAW_SCREEN;
}

static int key_unban(struct console *c)
{
	struct addr a;
	char zone[ZONE_NAME_MAX + 1], text[ADDR_TEXT_MAX];
	struct error err = { 0 };
	int n;

	if (!host_selected(c, &a, zone))
		return REDRAW_SCREEN;
	addr_format(&a, text, sizeof(text));
	n = c->fw->bans->unban(&a, &err);
	if (n < 0)
		console_message(c, true, "%s", err.text);
	else if (n == 0)
		console_message(c, false, "%s is not in any rate-ban list", text);
	else
		console_message(c, false, "%s unbanned from %d list%s", text, n, n == 1 ? "" : "s");
	console_refresh(c);
	return REDRAW_SCREEN;
}

/* Plan adding entry to list of zone (the selected host's), "zone Z: <verb> <entry>". */
static int host_list_propose(struct console *c, const char *zone, const char *host,
			     enum config_list list, const char *entry, const char *verb)
{
	struct config *copy = config_copy(c->cfg);
	struct zone *z;
	struct error err = { 0 };
	char what[128];

	if (!copy)
		console_die("out of memory");
	z = config_zone(copy, zone);
	if (!z) {
		config_free(copy);
		console_message(c, true, "%s came from no configured zone: cannot %s it", host, verb);
		return REDRAW_SCREEN;
	}
	if (config_list_add(copy, z, list, entry, &err) < 0) {
		config_free(copy);
		console_message(c, true, "%s", err.text);
		return REDRAW_SCREEN;
	}
	snprintf(what, sizeof(what), "zone %s: %s %s", z->name, verb, entry);
	return change_propose(c, copy, what);
}

static int key_quarantine_host(struct console *c)
{
	struct addr a;
	char zone[ZONE_NAME_MAX + 1], text[ADDR_TEXT_MAX];

	if (!host_selected(c, &a, zone))
		return REDRAW_SCREEN;
	addr_format(&a, text, sizeof(text));
	return host_list_propose(c, zone, text, CONFIG_LIST_QUARANTINE, text, "quarantine");
}

/* d in a story: the host's MAC (of its hits) and address as a device of its zone. */
static int key_device_host(struct console *c)
{
	char text[ADDR_TEXT_MAX], entry[18 + 1 + ADDR_TEXT_MAX];

	addr_format(&c->story_addr, text, sizeof(text));
	if (!c->story_seen || !c->story_stats.mac[0]) {
		console_message(c, true, "no MAC of %s in its hits: add it with d in the zones area",
				text);
		return REDRAW_SCREEN;
	}
	if (console_story_device(c)) {
		console_message(c, false, "%s is already a device of zone %s", text, c->story_zone);
		return REDRAW_SCREEN;
	}
	snprintf(entry, sizeof(entry), "%s %s", c->story_stats.mac, text);
	return host_list_propose(c, c->story_zone, text, CONFIG_LIST_DEVICES, entry,
				 "add device");
}

/* ---- apply, confirm, save, export, quit ---- */

static int key_apply(struct console *c)
{
	struct config *copy = config_copy(c->cfg);
	int r;

	if (!copy)
		console_die("out of memory");
	r = change_propose(c, copy, "apply the config");
	/* the config as the file has it: applying it leaves nothing to save */
	c->proposed_is_file = !c->unsaved;
	return r;
}

static int key_confirm(struct console *c)
{
	return change_confirm(c);
}

static int key_save(struct console *c)
{
	struct error err = { 0 };

	if (change_pending(c)) {
		console_message(c, true, c->watchdog_said == WATCHDOG_WAITING
				? "confirm the change first (c), then save"
				: "the change is being rolled back: nothing to save");
		return REDRAW_SCREEN;
	}
	if (config_save(c->cfg, c->cfg->path, &err) < 0) {
		console_message(c, true, "%s", err.text);
		return REDRAW_SCREEN;
	}
	c->unsaved = false;
	console_message(c, false, "config saved to %s", c->cfg->path);
	return REDRAW_SCREEN;
}

/* The file line of an export, with smtpguard-rules.<form> to start from. */
static int export_file_open(struct console *c, const char *form)
{
	input_open(c, INPUT_EXPORT_FILE, -1);
	snprintf(c->input, sizeof(c->input), "smtpguard-rules.%s", form);
	c->input_len = strlen(c->input);
	return REDRAW_SCREEN;
}

/* A backend with one description of both families exports that (no iptables form is in force). */
static int key_export(struct console *c)
{
	if (c->fw->whole)
		return export_file_open(c, c->fw->name);
	return input_open(c, INPUT_EXPORT_FORMAT, -1);
}

static int key_quit(struct console *c)
{
	if (c->unsaved && !change_pending(c) && !c->quit_armed) {
		c->quit_armed = true;
		console_message(c, true,
				"the applied change is not saved to %s: s saves, q again quits "
				"(the rules stay in the kernel)",
				c->cfg->path);
		return REDRAW_SCREEN;
	}
	c->message[0] = '\0';	/* what q said is no error to repeat on the way out */
	return REDRAW_QUIT;
}

/* ---- htop's habits: search, filter, sort, pause, mouse ---- */

static bool area_findable(struct console *c)
{
	if (c->area != AREA_ZONES)
		return true;
	console_message(c, true, "search and filter work in the rules, hits and offenders areas "
				 "(2, 3, 4 or Tab)");
	return false;
}

static int key_search(struct console *c)
{
	return area_findable(c) ? input_open(c, INPUT_SEARCH, -1) : REDRAW_SCREEN;
}

static int search_step(struct console *c, int dir)
{
	if (!c->search[0])
		console_message(c, true, "nothing to search for yet: / or F3 first");
	else if (!console_search(c, dir))
		console_message(c, true, "\"%s\" is in no row of this area", c->search);
	return REDRAW_SCREEN;
}

static int key_search_next(struct console *c) { return search_step(c, 1); }
static int key_search_prev(struct console *c) { return search_step(c, -1); }

static int key_filter(struct console *c)
{
	if (!area_findable(c))
		return REDRAW_SCREEN;
	input_open(c, INPUT_FILTER, -1);
	snprintf(c->input, sizeof(c->input), "%s", c->filter[c->area]);
	c->input_len = strlen(c->input);
	return REDRAW_SCREEN;
}

/* Esc: the selected area's filter is cleared. */
static int key_unfilter(struct console *c)
{
	if (c->filter[c->area][0])
		console_message(c, false, "filter \"%s\" cleared", c->filter[c->area]);
	c->filter[c->area][0] = '\0';
	return REDRAW_SCREEN;
}

static int sort_step(struct console *c, int delta)
{
	if (!console_sort_step(c, delta))
		console_message(c, true, "the hits and offenders areas sort (3, 4 or Tab)");
	return REDRAW_SCREEN;
}

static int key_sort_next(struct console *c) { return sort_step(c, 1); }
static int key_sort_prev(struct console *c) { return sort_step(c, -1); }

/* Z: the screen stays as it is; the kernel counts and the hits are read on; Z again catches up. */
static int key_pause(struct console *c)
{
	c->paused = !c->paused;
	c->paused_total = c->ring ? hit_ring_total(c->ring) : 0;
	if (!c->paused)
		console_refresh(c);
	return REDRAW_SCREEN;
}

/*
 * A click selects the area under it, and the row.  A key already waiting behind
 * the report ends ncurses' run unmerged: getmouse then gives the release first and
 * the press after it (newest first), so every queued event is read.
 */
static int key_mouse(struct console *c)
{
	MEVENT ev;
	enum area a;
	int row, y = -1;

	while (getmouse(&ev) == OK)
		if (y < 0 && (ev.bstate & (BUTTON1_PRESSED | BUTTON1_CLICKED)))
			y = ev.y;
	if (y < 0 || !console_area_at(c, y, &a, &row))
		return REDRAW_NONE;
	c->area = a;
	if (row >= 0 && c->view[a].top + (size_t)row < c->view[a].rows)
		c->view[a].sel = c->view[a].top + (size_t)row;
	return REDRAW_SCREEN;
}

static const struct console_key normal_keys[] = {
	{ .key = KEY_F(1), .name = "F1", .label = "Help",
	  .help = "this help (also ?)", .handler = key_help },
	{ .key = '?', .name = "?",
	  .help = "this help", .handler = key_help },
	{ .key = KEY_F(3), .name = "F3", .label = "Search",
	  .help = "search the selected area (rules, hits, offenders) for text (also /)",
	  .handler = key_search },
	{ .key = '/', .name = "/", .handler = key_search },
	{ .key = 'n', .name = "n",
	  .help = "the next row the search finds (N: the previous)", .handler = key_search_next },
	{ .key = 'N', .name = "N", .handler = key_search_prev },
	{ .key = KEY_F(4), .name = "F4", .label = "Filter",
	  .help = "show only the selected area's rows containing a text (also \\; Esc clears)",
	  .handler = key_filter },
	{ .key = '\\', .name = "\\", .handler = key_filter },
	{ .key = KEY_ESCAPE, .name = "Esc",
	  .help = "clear the selected area's filter", .handler = key_unfilter },
	{ .key = KEY_F(6), .name = "F6", .label = "Sort",
	  .help = "sort the hits or offenders by the next column (also >; < the previous)",
	  .handler = key_sort_next },
	{ .key = '>', .name = ">", .handler = key_sort_next },
	{ .key = '<', .name = "<", .handler = key_sort_prev },
	{ .key = 'Z', .name = "Z",
	  .help = "pause: the screen stays as it is while the kernel counts; Z again catches up",
	  .handler = key_pause },
	{ .key = KEY_MOUSE, .name = "click",
	  .help = "select the area and the row clicked (not with --no-mouse)", .handler = key_mouse },
	{ .key = '\t', .name = "Tab", .label = "Area",
	  .help = "select the next area (Shift-Tab: previous)", .handler = key_area_next },
	{ .key = 'm', .name = "m", .label = "Mode",
	  .help = "the selected zone's next mode (allow monitor block log rateban); again: next",
	  .handler = key_mode, .changes = true },
	{ .key = 'g', .name = "g",
	  .help = "toggle protect_gateway of the selected zone", .handler = key_gateway,
	  .changes = true },
	{ .key = 'r', .name = "r",
	  .help = "add a relay to the selected zone (to every zone when no zone is selected)",
	  .handler = key_relay, .changes = true },
	{ .key = 'd', .name = "d",
	  .help = "add a device (MAC IP) to the selected zone", .handler = key_device,
	  .changes = true },
	{ .key = 'x', .name = "x",
	  .help = "add a quarantined host to the selected zone", .handler = key_quarantine_add,
	  .changes = true },
	{ .key = KEY_DC, .name = "Del",
	  .help = "remove the selected relay, device or quarantined host", .handler = key_delete,
	  .changes = true },
	{ .key = 'u', .name = "u", .label = "Unban",
	  .help = "unban the selected offender (or hit's source)", .handler = key_unban,
	  .changes = true },
	{ .key = 'Q', .name = "Q",
	  .help = "quarantine the selected offender (or hit's source) in its zone",
	  .handler = key_quarantine_host, .changes = true },
	{ .key = 'a', .name = "a",
	  .help = "apply the config as it is (when the kernel is out of step)",
	  .handler = key_apply, .changes = true },
	{ .key = 'c', .name = "c", .label = "Confirm",
	  .help = "keep an applied change before the countdown rolls it back",
	  .handler = key_confirm, .changes = true },
	{ .key = 's', .name = "s", .label = "Save",
	  .help = "save the config file (after confirmation)", .handler = key_save,
	  .changes = true },
	{ .key = 'e', .name = "e",
	  .help = "export the ruleset to a file (restore or sh; on nftables its table)",
	  .handler = key_export,
	  .changes = true },
	{ .key = CTRL('l'), .name = "^L",
	  .help = "redraw the screen", .handler = key_redraw },
	{ .key = KEY_F(10), .name = "F10", .label = "Quit",
	  .help = "quit (an unconfirmed change is rolled back; also q)", .handler = key_quit },
	{ .key = 'q', .name = "q", .handler = key_quit },
	{ .key = KEY_BTAB, .name = "S-Tab",
	  .help = "select the previous area", .handler = key_area_prev },
	{ .key = KEY_F(2), .name = "F2",
	  .help = "select the zones and interfaces area (also 1)", .handler = key_area_zones },
	{ .key = KEY_F(5), .name = "F5",
	  .help = "select the offenders area (also 4)", .handler = key_area_offenders },
	{ .key = '1', .name = "1",
	  .help = "zones and interfaces area", .handler = key_area_zones },
	{ .key = '2', .name = "2",
	  .help = "rules area", .handler = key_area_rules },
	{ .key = '3', .name = "3",
	  .help = "hits area", .handler = key_area_hits },
	{ .key = '4', .name = "4",
	  .help = "offenders area", .handler = key_area_offenders },
	{ .key = KEY_UP, .name = "Up",
	  .help = "select the row above", .handler = key_up },
	{ .key = KEY_DOWN, .name = "Down",
	  .help = "select the row below", .handler = key_down },
	{ .key = 'k', .name = "k",
	  .help = "select the row above", .handler = key_up },
	{ .key = 'j', .name = "j",
	  .help = "select the row below", .handler = key_down },
	{ .key = '\r', .name = "Enter",
	  .help = "the selected offender's or hit source's whole story; in the other areas zoom",
	  .handler = key_enter },
	{ .key = '\n', .name = "Enter", .handler = key_enter },
	{ .key = KEY_ENTER, .name = "Enter", .handler = key_enter },
	{ .key = 'z', .name = "z",
	  .help = "zoom: the selected area fills the screen; again: back",
	  .handler = key_zoom },
	{ .key = 't', .name = "t",
	  .help = "rules in words (verdict first) or as the exact rule text (iptables or nft)",
	  .handler = key_rules_text },
	{ .key = KEY_RIGHT, .name = "Right",
	  .help = "scroll the rules' text left, to read long rules", .handler = key_right },
	{ .key = KEY_LEFT, .name = "Left",
	  .help = "scroll the rules' text back", .handler = key_left },
	{ .key = KEY_PPAGE, .name = "PgUp",
	  .help = "one page up", .handler = key_page_up },
	{ .key = KEY_NPAGE, .name = "PgDn",
	  .help = "one page down", .handler = key_page_down },
	{ .key = KEY_HOME, .name = "Home",
	  .help = "first row", .handler = key_home },
	{ .key = KEY_END, .name = "End",
	  .help = "last row", .handler = key_end },
};

/* ---- a host's story ---- */

static int story_close(struct console *c)
{
	c->mode = CMODE_NORMAL;
	return REDRAW_SCREEN;
}

static int story_scroll(struct console *c, long delta)
{
	long top = (long)c->story_top + delta;

	if (top >= (long)c->nstory_hits)
		top = (long)c->nstory_hits - 1;
	c->story_top = top > 0 ? (size_t)top : 0;
	return REDRAW_SCREEN;
}

static int story_down(struct console *c) { return story_scroll(c, 1); }
static int story_up(struct console *c) { return story_scroll(c, -1); }
static int story_page_down(struct console *c) { return story_scroll(c, 10); }
static int story_page_up(struct console *c) { return story_scroll(c, -10); }
static int story_home(struct console *c) { return story_scroll(c, -(long)c->nstory_hits); }

static int story_other(struct console *c, int key)
{
	if (key < 0x80 && isprint(key))
		console_message(c, true, "no action on '%c' in the story: Esc goes back",
				key);
	return REDRAW_SCREEN;
}

/* The story's hint line is made of its labels; u, Q and d act on the story's host. */
static const struct console_key story_keys[] = {
	{ .key = KEY_ESCAPE, .name = "Esc", .label = "Back",
	  .help = "back to the areas (also q, Enter)", .handler = story_close },
	{ .key = 'q', .name = "q", .handler = story_close },
	{ .key = '\r', .name = "Enter", .handler = story_close },
	{ .key = '\n', .name = "Enter", .handler = story_close },
	{ .key = KEY_ENTER, .name = "Enter", .handler = story_close },
	{ .key = 'u', .name = "u", .label = "Unban",
	  .help = "unban the host (from every rate-ban list)", .handler = key_unban,
	  .changes = true },
	{ .key = 'Q', .name = "Q", .label = "Quarantine",
	  .help = "plan the host's quarantine in its zone", .handler = key_quarantine_host,
	  .changes = true },
	{ .key = 'd', .name = "d", .label = "Device",
	  .help = "plan adding the host (its MAC and address) to its zone's devices",
	  .handler = key_device_host, .changes = true },
	{ .key = 'Z', .name = "Z", .label = "Pause",
	  .help = "pause: the story stays as it is; Z again catches up", .handler = key_pause },
	{ .key = KEY_DOWN, .name = "Down", .help = "scroll the hits (also j, PgDn)",
	  .handler = story_down },
	{ .key = 'j', .name = "j", .handler = story_down },
	{ .key = KEY_NPAGE, .name = "PgDn", .handler = story_page_down },
	{ .key = KEY_UP, .name = "Up", .help = "scroll back (also k, PgUp, Home)",
	  .handler = story_up },
	{ .key = 'k', .name = "k", .handler = story_up },
	{ .key = KEY_PPAGE, .name = "PgUp", .handler = story_page_up },
	{ .key = KEY_HOME, .name = "Home", .handler = story_home },
};

/* ---- the input line ---- */

/* Try the input on a copy; returns the edited copy (caller owns) or NULL with input_check set. */
static struct config *input_try(struct console *c)
{
	struct config *copy;
	struct zone *z = NULL;
	struct error err = { 0 };

	c->input_check[0] = '\0';
	if (c->input_len == 0) {
		snprintf(c->input_check, sizeof(c->input_check), "type a value, Esc cancels");
		return NULL;
	}
	copy = config_copy(c->cfg);
	if (!copy)
		console_die("out of memory");
	if (c->input_zone >= 0)
		z = &copy->zones[c->input_zone];
	if (config_list_add(copy, z, list_edits[c->input_kind].list, c->input, &err) < 0) {
		snprintf(c->input_check, sizeof(c->input_check), "%s", err.text);
		config_free(copy);
		return NULL;
	}
	return copy;
}

static void input_check(struct console *c)
{
	if (c->input_kind == INPUT_EXPORT_FORMAT) {
		bool fine = strcmp(c->input, "restore") == 0 || strcmp(c->input, "sh") == 0;

		snprintf(c->input_check, sizeof(c->input_check), "%s",
			 fine ? "" : "type restore or sh");
	} else if (c->input_kind == INPUT_EXPORT_FILE) {
		snprintf(c->input_check, sizeof(c->input_check), "%s",
			 c->input_len ? "" : "type a file name");
	} else if (c->input_kind == INPUT_SEARCH) {
		snprintf(c->search, sizeof(c->search), "%s", c->input);
		snprintf(c->input_check, sizeof(c->input_check), "%s",
			 !c->input_len || console_search(c, 0) ? "" : "in no row of this area");
	} else if (c->input_kind == INPUT_FILTER) {
		/* live, as htop: the rows narrow as the text is typed */
		snprintf(c->filter[c->area], sizeof(c->filter[c->area]), "%s", c->input);
		c->input_check[0] = '\0';
	} else {
		config_free(input_try(c));
	}
}

static int export_write(struct console *c)
{
	struct atomicfile af;
	struct error err = { 0 };
	int rc;

	if (!c->have_rs) {
		console_message(c, true, "export: the config does not compile");
		return REDRAW_SCREEN;
	}
	if (atomicfile_open(&af, c->input, &err) < 0) {
		console_message(c, true, "%s", err.text);
		return REDRAW_SCREEN;
	}
	if (c->fw->whole)	/* the description apply commits: what export --format nft prints */
		rc = fputs(c->rs[0].whole, af.fp) < 0 ? -1 : 0;
	else
		rc = c->export_sh ? ruleset_write_sh(&c->rs[0], af.fp)
				  : ruleset_write_restore(&c->rs[0], af.fp);
	if (rc < 0) {
		atomicfile_abort(&af);
		console_message(c, true, "export: cannot write %s; check the disk and try again",
				c->input);
	} else if (atomicfile_commit(&af, &err) < 0) {
		console_message(c, true, "%s", err.text);
	} else {
		char cwd[512] = "";

		/* say where a relative name went: the console may have been started anywhere */
		if (c->input[0] != '/' && !getcwd(cwd, sizeof(cwd)))
			cwd[0] = '\0';
		console_message(c, false, "ruleset exported to %s%s%s (%s format%s)", cwd,
				cwd[0] ? "/" : "", c->input,
				c->fw->whole ? c->fw->name : c->export_sh ? "sh" : "restore",
				c->fw->whole ? ", both families" : "");
	}
	return REDRAW_SCREEN;
}


static int input_submit(struct console *c)
{
	struct config *copy;
	char what[300];

	input_check(c);
	if (c->input_kind == INPUT_SEARCH || c->input_kind == INPUT_FILTER) {
		c->mode = CMODE_NORMAL;
		if (c->input_kind == INPUT_FILTER && !c->input_len)
			console_message(c, false, "filter cleared");
		else if (c->input_kind == INPUT_SEARCH && c->input_len)
			return search_step(c, 0);
		return REDRAW_SCREEN;
	}
	if (c->input_check[0]) {
		/* refused: the line stays open with the reason, nothing changed */
		console_message(c, true, "refused: %s", c->input_check);
		return REDRAW_SCREEN;
	}
	if (c->input_kind == INPUT_EXPORT_FORMAT) {
		c->export_sh = strcmp(c->input, "sh") == 0;
		return export_file_open(c, c->export_sh ? "sh" : "restore");
	}
	c->mode = CMODE_NORMAL;
	if (c->input_kind == INPUT_EXPORT_FILE)
		return export_write(c);
	copy = input_try(c);
	if (!copy)
		return REDRAW_SCREEN;
	snprintf(what, sizeof(what), "%s: add %s %s",
		 c->input_zone >= 0 ? c->cfg->zones[c->input_zone].name : "all zones",
		 list_edits[c->input_kind].what, c->input);
	return change_propose(c, copy, what);
}

/* After an edit of the input line: check the text again. */
static int input_edited(struct console *c)
{
	c->message[0] = '\0';
	input_check(c);
	return REDRAW_SCREEN;
}

static int input_cancel(struct console *c)
{
	c->mode = CMODE_NORMAL;
	if (c->input_kind == INPUT_FILTER)
		return key_unfilter(c);
	console_message(c, false, c->input_kind == INPUT_SEARCH ? "search closed"
								: "cancelled: nothing changed");
	return REDRAW_SCREEN;
}

static bool input_searching(const struct console *c)
{
	return c->input_kind == INPUT_SEARCH;
}

static int input_erase(struct console *c)
{
	if (c->input_len > 0)
		c->input[--c->input_len] = '\0';
	return input_edited(c);
}

static int input_clear(struct console *c)
{
	c->input_len = 0;
	c->input[0] = '\0';
	return input_edited(c);
}

/* Any other key on the input line: addresses, names and paths are printable ASCII only. */
static int input_insert(struct console *c, int key)
{
	if (key < 0x20 || key >= 0x7f || c->input_len + 1 >= sizeof(c->input))
		return REDRAW_NONE;
	c->input[c->input_len++] = (char)key;
	c->input[c->input_len] = '\0';
	return input_edited(c);
}

static int plan_down(struct console *c) { c->plan_top++; return REDRAW_SCREEN; }
static int plan_page_down(struct console *c) { c->plan_top += 10; return REDRAW_SCREEN; }
static int plan_up(struct console *c)
{
	if (c->plan_top > 0)
		c->plan_top--;
	return REDRAW_SCREEN;
}

static int plan_page_up(struct console *c)
{
	c->plan_top = c->plan_top >= 10 ? c->plan_top - 10 : c->plan_top > 0 ? c->plan_top - 1 : 0;
	return REDRAW_SCREEN;
}

static int help_down(struct console *c)
{
	char line[256];
	bool heading;

	if (console_help_line(c->help_top + 1, line, sizeof(line), &heading))
		c->help_top++;
	return REDRAW_SCREEN;
}

static int help_up(struct console *c)
{
	if (c->help_top > 0)
		c->help_top--;
	return REDRAW_SCREEN;
}

static int help_close(struct console *c, int key)
{
	c->mode = CMODE_NORMAL;
	return REDRAW_SCREEN;
}

static int plan_other(struct console *c, int key)
{
	return REDRAW_SCREEN;
}

static int normal_other(struct console *c, int key)
{
	if (key < 0x80 && isprint(key))
		console_message(c, true, "no action on '%c': F1 or ? lists the keys", key);
	return REDRAW_SCREEN;
}

static int key_accept(struct console *c) { return change_accept(c); }
static int key_decline(struct console *c) { return change_decline(c); }

/* The plan view's labels make its hint line ("y applies, n cancels, m the next mode"). */
static const struct console_key plan_keys[] = {
	{ .key = 'y', .name = "y", .label = "applies",
	  .help = "apply the change shown", .handler = key_accept },
	{ .key = 'Y', .name = "Y", .handler = key_accept },
	{ .key = 'n', .name = "n", .label = "cancels",
	  .help = "cancel: nothing is applied (also q, Esc)", .handler = key_decline },
	{ .key = 'N', .name = "N", .handler = key_decline },
	{ .key = 'q', .name = "q", .handler = key_decline },
	{ .key = KEY_ESCAPE, .name = "Esc", .handler = key_decline },
	{ .key = 'm', .name = "m", .label = "the next mode", .offered = plan_of_mode,
	  .help = "propose the zone's next mode instead", .handler = key_mode },
	{ .key = KEY_DOWN, .name = "Down", .help = "scroll the plan (also j)", .handler = plan_down },
	{ .key = 'j', .name = "j", .handler = plan_down },
	{ .key = KEY_UP, .name = "Up", .help = "scroll back (also k)", .handler = plan_up },
	{ .key = 'k', .name = "k", .handler = plan_up },
	{ .key = KEY_NPAGE, .name = "PgDn", .help = "ten lines on", .handler = plan_page_down },
	{ .key = KEY_PPAGE, .name = "PgUp", .help = "ten lines back", .handler = plan_page_up },
};

static const struct console_key input_keys[] = {
	{ .key = '\r', .name = "Enter", .help = "take the text: the plan, or the next question",
	  .handler = input_submit },
	{ .key = '\n', .name = "Enter", .handler = input_submit },
	{ .key = KEY_ENTER, .name = "Enter", .handler = input_submit },
	{ .key = KEY_ESCAPE, .name = "Esc", .help = "cancel: nothing changes (also ^C, ^G)",
	  .handler = input_cancel },
	{ .key = CTRL('c'), .name = "^C", .handler = input_cancel },
	{ .key = CTRL('g'), .name = "^G", .handler = input_cancel },
	{ .key = KEY_BACKSPACE, .name = "BkSp", .help = "erase the last character",
	  .handler = input_erase },
	{ .key = 127, .name = "BkSp", .handler = input_erase },
	{ .key = CTRL('h'), .name = "^H", .handler = input_erase },
	{ .key = CTRL('u'), .name = "^U", .help = "erase the whole line", .handler = input_clear },
	{ .key = KEY_F(3), .name = "F3", .help = "searching: the next row with the text",
	  .handler = key_search_next, .offered = input_searching },
};

static const struct console_key help_keys[] = {
	{ .key = KEY_DOWN, .name = "Down", .help = "scroll this help (also j)", .handler = help_down },
	{ .key = 'j', .name = "j", .handler = help_down },
	{ .key = KEY_UP, .name = "Up", .help = "scroll back (also k)", .handler = help_up },
	{ .key = 'k', .name = "k", .handler = help_up },
};

#define KEYMAP(k) .keys = (k), .nkeys = sizeof(k) / sizeof((k)[0])

const struct console_keymap console_keymaps[] = {
	[CMODE_NORMAL] = { KEYMAP(normal_keys), .other = normal_other },
	[CMODE_PLAN] = { .title = "In the plan view:", KEYMAP(plan_keys), .other = plan_other },
	[CMODE_INPUT] = { .title = "On the input line (other keys type):", KEYMAP(input_keys),
			  .other = input_insert },
	[CMODE_STORY] = { .title = "In a host's story (Enter on an offender or a hit):",
			  KEYMAP(story_keys), .other = story_other },
	[CMODE_HELP] = { .title = "On this help screen (other keys close it):", KEYMAP(help_keys),
			 .other = help_close },
};

const char *console_help_line(size_t i, char *buf, size_t size, bool *heading)
{
	static const enum console_mode order[] = { CMODE_NORMAL, CMODE_STORY, CMODE_PLAN,
						   CMODE_INPUT, CMODE_HELP };

	for (size_t m = 0; m < sizeof(order) / sizeof(order[0]); m++) {
		const struct console_keymap *map = &console_keymaps[order[m]];

		if (map->title && i-- == 0) {
			*heading = true;
			snprintf(buf, size, "%s", map->title);
			return buf;
		}
		for (size_t k = 0; k < map->nkeys; k++) {
			if (!map->keys[k].help || i-- > 0)
				continue;
			*heading = false;
			snprintf(buf, size, "  %-6s %s", map->keys[k].name, map->keys[k].help);
			return buf;
		}
	}
	return NULL;
}

int console_key(struct console *c, int key)
{
	const struct console_keymap *map = &console_keymaps[c->mode];

	if (key == KEY_RESIZE)
		return REDRAW_SCREEN;
	if (c->mode == CMODE_NORMAL && key != 'q')
		c->quit_armed = false;
	for (size_t i = 0; i < map->nkeys; i++) {
		const struct console_key *k = &map->keys[i];

		if (k->key != key || (k->offered && !k->offered(c)))
			continue;
		if (k->changes && c->readonly) {
			console_message(c, true, "read-only: started with --readonly");
			return REDRAW_SCREEN;
		}
		return k->handler(c);
	}
	return map->other(c, key);
}
