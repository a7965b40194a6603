/*
 * console.h - the state of the interactive console, shared by its parts:
 *
 *   console_main.c     entry, signals, the poll() loop: the top, calls the rest
 *   console.c          what every part calls: messages, clock, curses, die()
 *   console_data.c     one refresh: interfaces, table, rates, hits, bans
 *   console_draw.c     the four areas, status and key-hint lines, overlays
 *   console_keys.c     the key tables per mode (help and hints are generated from them)
 *   console_find.c     the rows each area shows: filter, sort, pause; the search
 *   console_story.c    one host's story (Enter on an offender or a hit): its hits and facts
 *   console_change.c   plan -> confirm -> apply -> confirm countdown / rollback
 *
 * Handlers change state and return a redraw mask; only the loop draws.
 * Everything shown that came from the kernel, a log or the config is
 * passed through sanitize_text() by the drawing code.
 */
#ifndef SMTPGUARD_CONSOLE_H
#define SMTPGUARD_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "cli.h"
#include "config.h"
#include "dualstack.h"
#include "error.h"
#include "fw.h"
#include "hit.h"
#include "logsource.h"
#include "iface.h"
#include "plan.h"
#include "route.h"
#include "rule.h"
#include "watchdog.h"

enum area { AREA_ZONES, AREA_RULES, AREA_HITS, AREA_OFFENDERS, AREA_COUNT };

/* What the main loop redraws after a handler ran. */
enum redraw {
	REDRAW_NONE = 0,
	REDRAW_SCREEN = 1,	/* everything */
	REDRAW_QUIT = 2,	/* leave the loop */
};

/* Modal state: what keys mean right now. */
enum console_mode {
	CMODE_NORMAL,
	CMODE_HELP,
	CMODE_PLAN,		/* a proposed change is shown; y applies, n declines */
	CMODE_INPUT,		/* the input line is open */
	CMODE_STORY,		/* one host's story fills the areas; Esc goes back */
	CMODE_COUNT
};

/* What the input line is for. */
enum input_kind {
	INPUT_RELAY,
	INPUT_DEVICE,
	INPUT_QUARANTINE,
	INPUT_EXPORT_FORMAT,
	INPUT_EXPORT_FILE,
	INPUT_SEARCH,		/* '/', F3: jump to a row containing the text */
	INPUT_FILTER,		/* '\\', F4: show only the rows containing it (live) */
};

/*
 * A row of the zones table: a zone or one of its entries, so whatever
 * row is selected names a zone.  [general] relays are a line under the
 * table, interfaces a table of their own (neither is selectable).
 */
enum zrow_kind {
	ZROW_GLOBAL_RELAY,	/* only for console_entry_text() */
	ZROW_ZONE,
	ZROW_RELAY,
	ZROW_DEVICE,
	ZROW_QUARANTINE,
};

struct zrow {
	enum zrow_kind kind;
	size_t index;		/* relay, device or quarantine index */
	int zone;		/* zone index; -1 only for a [general] relay */
};

#define SPARK_LEN 16
#define HITS_KEEP 1000
#define TALKERS_MAX 32
#define STORY_OTHER_MAX 4

/* A row of the offenders area: a rate-ban entry or a top talker. */
struct offender {
	char zone[ZONE_NAME_MAX + 1];
	struct addr addr;
	uint64_t hits;
	long seconds_left;	/* of the ban */
	bool banned;		/* a rate-ban entry, else a top talker */
	bool escalated;		/* banned: an escalation by `watch` */
};

/* A table rule as the rules area says it: words NULL until first asked for. */
struct rule_said {
	char *words;
	char verdict[CHAIN_NAME_MAX + 8];
};

/* A row of the rules area: a chain heading or a rule of the table. */
struct rrow {
	size_t chain;		/* index in table.chains */
	long rule;		/* index in table.rules, -1 for the chain heading */
	int depth;		/* own chains expanded under their jump */
};

struct area_view {
	size_t top;		/* first row shown */
	size_t sel;		/* selected row */
	size_t rows;		/* rows the content has */
	int height;		/* rows on screen for content */
};

struct console {
	const struct fw_ops *fw;
	struct config *cfg;		/* the config in force (owned) */
	struct ruleset rs[DUALSTACK_N];	/* cfg compiled per dualstack_compile (for drift and export) */
	bool have_rs;

	/* Refresh data. */
	struct fw_table table, prev_table;
	bool have_table, have_prev;
	double *rule_rate;		/* pkts/s per table rule */
	/*
	 * The other tables' chains on the hooks (a backend with
	 * read_others): read every others_every full reads, appended to
	 * each table read; their rates are over the time between their reads.
	 */
	struct fw_table others;
	bool have_others;
	unsigned others_ticks, others_every;
	double *others_rate;
	struct timespec others_read;
	struct iface *ifaces, *prev_ifaces;
	size_t nifaces, nprev_ifaces;
	struct route_uplink *uplinks;	/* routes out that bypass wan (owned) */
	size_t nuplinks;
	struct timespec last_read, prev_read;
	struct fw_counters *counters;	/* the cheap counter refresh (owned; NULL until first used) */
	/* Packets sent into each zone's chain, per family (IPv4 every tick, IPv6 on full reads). */
	uint64_t zone_packets[2][CONFIG_MAX_ZONES];
	bool have_v6;
	/* every interface's packets (rx + tx) as of the last table or counter read: while they
	 * stay the same no packet reached the table, and the counters are not read */
	uint64_t table_packets;
	bool ifaces_fresh;		/* the last interface read succeeded */
	unsigned quiet_ticks;		/* refreshes since the last table or counter read */
	uint64_t v6_packets;		/* the same as of the last IPv6 read */
	unsigned v6_ticks;		/* refreshes since the last IPv6 read */
	/* each zone's hits per refresh, oldest first, and since the last refresh */
	unsigned spark[CONFIG_MAX_ZONES][SPARK_LEN];
	unsigned zone_hits[CONFIG_MAX_ZONES];
	char table_error[ERROR_TEXT_MAX];

	struct rrow *rrows;
	size_t nrrows;
	/* each table rule in words and its verdict (console_rule_words), made when first asked
	 * for and kept while the table's fingerprint stays (owned) */
	struct rule_said *said;
	size_t nsaid;
	uint64_t said_fingerprint;
	bool drift;			/* the kernel's own rules differ from cfg */

	struct hit_ring *ring;		/* recent hits, newest first */
	struct config *source_cfg;	/* the sources' config, outlives them (owned) */
	struct logsource *source;	/* live log source, NULL when none */
	pid_t watch_pid;		/* `smtpguard watch` running (read at refresh), 0 none */
	char source_error[ERROR_TEXT_MAX];

	struct offender *offenders;
	size_t noffenders;

	struct zrow *zrows;
	size_t nzrows;

	/* View. */
	enum area area;
	struct area_view view[AREA_COUNT];
	enum console_mode mode;
	size_t rules_shift;		/* columns the rules' text is scrolled (Right/Left) */
	bool rules_text;		/* rules as iptables text instead of words (t) */
	bool zoom;			/* the selected area fills the screen (z, Enter) */
	size_t help_top;
	bool color;
	/* htop's habits (console_find.c): the rows shown per area, indices into rrows, hit
	 * sequence numbers or offenders (owned); rules, hits and offenders only */
	size_t *shown[AREA_COUNT];
	char search[256];		/* the last search ('/', F3; n, N go on) */
	char filter[AREA_COUNT][256];	/* only rows containing it are shown ('\\', F4) */
	unsigned sort[AREA_COUNT];	/* the column hits and offenders are sorted by (<, >, F6) */
	bool paused;			/* Z: the screen frozen, the hits still read */
	uint64_t paused_total;		/* hits read when paused: newer ones are not shown */
	/* the story of one host (console_story.c), as of the last unpaused update */
	struct addr story_addr;
	char story_zone[ZONE_NAME_MAX + 1];
	struct hit_source story_stats;	/* attempts, destinations, first/last seen, MAC */
	bool story_seen;		/* story_stats holds the host (it has hit since the start) */
	size_t *story_hits;		/* its hits in the ring as sequence numbers, newest first (owned) */
	size_t nstory_hits;
	size_t story_top;		/* first of its hits shown */
	/* the host's addresses of the other family at its MAC in the neighbour table */
	struct addr story_other[STORY_OTHER_MAX];
	size_t nstory_other;
	/* options (console_options[]) */
	bool no_color, no_mouse, readonly;
	char message[ERROR_TEXT_MAX];
	bool message_error;
	bool quit_armed;		/* q pressed once with unsaved changes */

	/* Input line. */
	enum input_kind input_kind;
	char input[256];
	size_t input_len;
	int input_zone;			/* zone the input is for, -1 = [general] */
	char input_check[ERROR_TEXT_MAX];/* why the current text is refused, "" if fine */
	bool export_sh;

	/* Change in progress (console_change.c). */
	struct config *proposed;	/* edited copy shown in the plan (owned) */
	char proposed_what[128];
	int mode_zone;			/* zone whose mode is proposed (m cycles on), or -1 */
	bool proposed_is_file;		/* the proposal is the config as saved (a): nothing to save */
	struct plan plans[DUALSTACK_N];	/* the proposal's plan per family (dualstack order) */
	bool have_plan;
	size_t plan_top;
	struct config *rollback;	/* config before the unconfirmed change (owned) */
	pid_t watchdog;			/* the pending change's rollback watchdog */
	enum watchdog_outcome watchdog_said;	/* its last word the console reported */
	bool watchdog_seen;		/* a change is pending (ours or another shell's), as last read */
	unsigned watchdog_left;		/* its seconds to the deadline, as last read */
	bool unsaved;			/* cfg differs from the file */
	bool rollback_unsaved;		/* unsaved as it was before the pending change */
	time_t last_apply;

	unsigned delay_tenths;
};

/* console.c */
/* Fatal: run the hook registered with console_on_die(), restore the terminal, print, exit 1. */
void console_die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
/* What console_die() runs first, on c (NULL: nothing); one at a time. */
void console_on_die(struct console *c, void (*hook)(struct console *c));
void console_message(struct console *c, bool error, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
double console_now(void);
void console_curses_start(struct console *c);
void console_curses_end(void);

/* console_data.c */
void console_sources_open(struct console *c);
void console_refresh(struct console *c);
/* Make cfg (owned from now on) the config in force; the old one is freed. */
void console_config_set(struct console *c, struct config *cfg);
int console_zone_selected(const struct console *c);
void console_hits_read(struct console *c);
int console_source_fd(const struct console *c);
void console_data_free(struct console *c);

/* console_find.c */
/* Rebuild the rows each area shows (filter, sort, pause): before each layout. */
void console_rows_update(struct console *c);
/* The index of shown row i of area a in rrows, the ring (0 = newest) or offenders; false if none. */
bool console_row(const struct console *c, enum area a, size_t i, size_t *idx);
/* The hit pushed after seq others, NULL when the ring no longer holds it. */
const struct hit *console_hit_of_seq(const struct console *c, size_t seq);
/* Select the next (dir > 0), previous (dir < 0) or this or the next (0) row of the selected
 * area containing c->search; false when none does. */
bool console_search(struct console *c, int dir);
/* The next (delta > 0) or previous sort column of the selected area; false if it has none. */
bool console_sort_step(struct console *c, int delta);
/* The name of area a's sort column, NULL when it has none. */
const char *console_sort_name(const struct console *c, enum area a);

/* console_story.c */
/* The host of the selected offender or hit (in a story: its host); false when none is selected. */
bool console_host_selected(const struct console *c, struct addr *addr,
			   char zone[ZONE_NAME_MAX + 1]);
/* Open the story of the host selected in the offenders or hits area; false with a message if none. */
bool console_story_open(struct console *c);
/* Rebuild the story's hits and facts (not while paused): before each layout. */
void console_story_update(struct console *c);
/* Look the story's host's other family up in the neighbour table (its MAC): at open and refresh. */
void console_story_neighbours(struct console *c);
/* The story's ban: the rate-ban entry covering the host, NULL when it has none. */
const struct offender *console_story_ban(const struct console *c);
/* Whether the story's host is quarantined in its zone; *entry gets the entry's text. */
bool console_story_quarantined(const struct console *c, char *entry, size_t size);
/* Whether the story's host is a listed device of its zone. */
bool console_story_device(const struct console *c);
/* The hit the story shows at row i (0 = newest), NULL past its end. */
const struct hit *console_story_hit(const struct console *c, size_t i);

/* console_draw.c */
/* Word the rules in sight (all: every rule) that are not yet, once per table: before reading them. */
void console_rules_say(struct console *c, bool all);
/* Drop every rule's words (the console ends). */
void console_rules_unsay(struct console *c);
/* A table rule in words and its verdict (own rules from the rule IR, others their text). */
void console_rule_words(const struct console *c, const struct fw_rule *fr, char *words,
			size_t wsize, char *verdict, size_t vsize);
/* The area at screen row y, and the content row under it (-1: its title or headings). */
bool console_area_at(const struct console *c, int y, enum area *a, int *row);
/* Fit the views to the screen (heights, scroll positions, plan_top): before each draw. */
void console_layout(struct console *c);
/* Draw the model as it is; reads the watchdog's state from c, never the watchdog. */
void console_draw(const struct console *c);

/* console_keys.c */
struct console_key {
	int key;		/* curses key code */
	const char *name;	/* as shown: "q", "Tab", "F1" */
	const char *label;	/* in the mode's hint line; NULL: not there */
	const char *help;	/* one line on the help screen; NULL: an alias, not listed */
	int (*handler)(struct console *c);
	bool (*offered)(const struct console *c);	/* NULL: always; else only when true */
	bool changes;		/* changes the kernel, the config or a file: refused by --readonly */
};

/* The keys of one mode; a key not in the table (or not offered) goes to other. */
struct console_keymap {
	const char *title;	/* heading on the help screen; NULL for the main keys (first) */
	const struct console_key *keys;
	size_t nkeys;
	int (*other)(struct console *c, int key);
};

extern const struct console_keymap console_keymaps[CMODE_COUNT];
int console_key(struct console *c, int key);
/* Line i of the help screen (every mode's keys) into buf, or NULL past the end. */
const char *console_help_line(size_t i, char *buf, size_t size, bool *heading);
/* The text of a relay, device or quarantine row as the config_*_remove calls take it. */
void console_entry_text(const struct config *cfg, const struct zrow *row, char *buf, size_t size);

/* console_change.c: the only place that applies, confirms and rolls back. */
/* Fatal paths (console_die) roll back an unconfirmed change from now on. */
void change_init(struct console *c);
/* The console ends: roll back an unconfirmed change; fatal paths no longer do. */
void change_quit(struct console *c);
int change_propose(struct console *c, struct config *edited, const char *what);
int change_accept(struct console *c);
int change_decline(struct console *c);
int change_confirm(struct console *c);
int change_rollback(struct console *c, const char *why);
int change_tick(struct console *c);
/* Read the watchdog's countdown into watchdog_seen/_left: at each refresh and tick, not per frame. */
void change_watch(struct console *c);
bool change_pending(const struct console *c);

#endif
