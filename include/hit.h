/*
 * hit.h - a port-25 hit: one packet the kernel logged with the LOG or
 * NFLOG target, parsed from a log line or an NFLOG message; and the
 * bounded memory that keeps them: a ring of the newest hits and exact
 * per-source counts (the top talkers).
 *
 * The parser reads a line once, left to right, without regular
 * expressions or allocations; it never trusts a field's length (every
 * value is bounded and checked).  A line is a hit only when it comes
 * from the kernel: see enum hit_format for what each source guarantees.
 */
#ifndef SMTPGUARD_HIT_H
#define SMTPGUARD_HIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "addr.h"
#include "config.h"

struct emit;

#define HIT_PREFIX_MAX 64	/* longer prefixes are cut (the kernel's own limit is 29) */
#define HIT_MAC_TEXT_MAX 95	/* the LOG target's MAC= field: dst:src:type, link-layer dependent */

/*
 * Where a line comes from, which decides whether it can be trusted:
 * - /dev/kmsg: the kernel writes facility 0 only itself (user writes are
 *   forced to LOG_USER), so a facility-0 record is the kernel's.  It is
 *   a ring: records overwritten before they are read are lost (counted).
 * - the journal: _TRANSPORT=kernel is set by journald, never by clients.
 * - a syslog file: only as good as its "kernel:" tag.  The tag on
 *   `logger -t kernel` lines is indistinguishable; what the file cannot
 *   prove, the parser cannot either.  Lines with another tag are counted
 *   as untrusted.
 * - NFLOG: messages come from the kernel over netlink; a LOGEMU file
 *   is trusted because only ulogd writes it (keep it root-only).
 */
enum hit_format {
	HIT_FORMAT_AUTO,	/* per line: kmsg record, journal JSON, else a syslog file line */
	HIT_FORMAT_SYSLOG,	/* a syslog file (classic or RFC 3339 dates, journalctl -o short-iso):
				 * trusted only when tagged "kernel:" */
	HIT_FORMAT_KMSG,	/* /dev/kmsg records: trusted only with facility 0 */
	HIT_FORMAT_JOURNAL,	/* journalctl -o json: trusted only with _TRANSPORT=kernel */
	HIT_FORMAT_LOGEMU,	/* ulogd2 LOGEMU file ("DATE HOST PREFIX IN=..."): written only by
				 * ulogd from its NFLOG group, trusted */
	HIT_FORMAT_NFLOG,	/* built from an NFLOG message (logsource), trusted */
	HIT_FORMAT_HITSLOG,	/* the hits log `watch` writes (core/hitslog.c): one hit_emit()
				 * JSON object per line, trusted (only watch writes it, root-only);
				 * read in every format but kmsg, as no other line starts with '{'
				 * there (a journal line that is no journal record is tried too) */
	HIT_FORMAT_COUNT
};

/* What the zone's rule did with the packet, from the zone's mode. */
enum hit_action {
	HIT_ACTION_UNKNOWN,	/* no config, or the interface is not a zone's */
	HIT_ACTION_LOGGED,	/* monitor (and allow): logged and passed */
	HIT_ACTION_DROPPED,	/* block, log, rateban: dropped */
	HIT_ACTION_COUNT
};

extern const char *const hit_format_names[HIT_FORMAT_COUNT];	/* "auto", "syslog", ... */
extern const char *const hit_action_names[HIT_ACTION_COUNT];	/* "-", "logged", "dropped" */

struct hit {
	time_t time;			/* wall clock, seconds */
	long usec;			/* 0..999999; 0 when the source has whole seconds */
	enum hit_format format;		/* the source it was read from */
	bool trusted;			/* written by the kernel (see enum hit_format) */
	char prefix[HIT_PREFIX_MAX + 1];	/* log prefix, trailing spaces removed */
	char in[IFACE_NAME_MAX + 1];	/* "" when absent */
	char out[IFACE_NAME_MAX + 1];
	char mac[HIT_MAC_TEXT_MAX + 1];	/* MAC= as logged, "" when absent */
	bool has_src_mac;		/* the MAC field is Ethernet (dst:src:type) */
	unsigned char src_mac[6];
	struct addr src, dst;		/* hosts (full prefix); IPv4 or IPv6 */
	uint8_t proto;			/* IPPROTO_TCP, IPPROTO_UDP, ...; 0 when unknown */
	uint16_t sport, dport;		/* 0 when absent */
	char zone[ZONE_NAME_MAX + 1];	/* zone of the in-interface, "" when unknown */
	enum hit_action action;
};

/* What the parser needs besides the line. */
struct hit_context {
	const struct config *cfg;	/* may be NULL: zone "" and action unknown */
	time_t now;			/* reference for year-less syslog dates (a December
					 * line read in January belongs to last year) */
	struct timespec boot;		/* wall time of boot, for /dev/kmsg timestamps */
	const char *prefix;		/* only lines with this log prefix are hits (compared
					 * without trailing spaces); NULL or "" = any prefix */
};

enum hit_result {
	HIT_NONE,		/* not a LOG/NFLOG packet line (or another prefix): ignore */
	HIT_OK,			/* a trusted hit, *out filled */
	HIT_UNTRUSTED,		/* looks like a hit but the kernel did not write it: count it,
				 * never report it; *out filled with trusted = false */
	HIT_MALFORMED,		/* from the kernel with our prefix, but SRC/DST are missing or
				 * invalid: *out has only time, usec, format and trusted */
};

/* Fill ctx with cfg, now = time(NULL), the boot time and cfg's log_prefix. */
void hit_context_init(struct hit_context *ctx, const struct config *cfg);

/*
 * Parse line[0..len) (no NUL needed; a trailing newline is ignored).
 * *out is written for every result but HIT_NONE; for HIT_UNTRUSTED the
 * time is what the (forgeable) header claims and the packet fields are
 * zero when the forger wrote no valid packet.
 */
enum hit_result hit_parse_line(const char *line, size_t len, enum hit_format format,
			       const struct hit_context *ctx, struct hit *out);

/*
 * Parse only the packet part: "PREFIX IN=... OUT=... SRC=... DST=...",
 * as a LOG line carries it after its header.  Sets the zone and action
 * from ctx; leaves time, format and trusted to the caller.
 */
enum hit_result hit_parse_packet(const char *msg, size_t len, const struct hit_context *ctx,
				 struct hit *out);

/* Zone and action for h->in from cfg (cfg may be NULL). */
void hit_set_zone(struct hit *h, const struct config *cfg);

/*
 * The fields of one hit, into the object or row the caller opened: in
 * text one line (no newline, fields sanitized):
 * "2026-11-22 11:29:51 wlan dropped eth2>eth0 SRC=192.0.2.66 DST=203.0.113.25 TCP SPT=53827 DPT=25 MAC=..."
 * in JSON time, epoch, zone, action, source, in, out, mac, src, dst,
 * proto, sport, dport, prefix; in CSV the columns of those keys (time
 * without the fraction and offset).
 */
void hit_emit(struct emit *e, const struct hit *h);
/* hit_emit()'s text line into buf; returns its whole length like snprintf. */
int hit_format_line(const struct hit *h, char *buf, size_t size);
/* hit_emit()'s JSON object (no newline). */
void hit_write_json(const struct hit *h, FILE *out);

/*
 * Per-source counts (core/hitstats.c): one entry per source address,
 * exact for every source the table holds.  The table is bounded: when
 * max_sources are in use, attempts of new sources are counted in
 * overflow_attempts instead (so the totals stay exact).  Distinct
 * destinations are counted in a bounded set of (source, destination)
 * pairs; once it is full a source's count becomes a lower bound
 * (destinations_capped).
 *
 * Ownership: hit_stats_new() returns a table the caller frees with
 * hit_stats_free(); hit_stats_top() copies into the caller's array.
 */
struct hit_source {
	struct addr src;
	char zone[ZONE_NAME_MAX + 1];	/* zone of its latest hit, "" unknown */
	char mac[18];			/* source MAC of its latest hit, "" unknown */
	uint64_t attempts;
	unsigned destinations;		/* distinct DST */
	bool destinations_capped;
	time_t first, last;
	unsigned escalated;		/* seconds `watch` escalated it for (include/escalate.h); 0 = not */
};

struct hit_stats;

struct hit_stats *hit_stats_new(size_t max_sources, size_t max_pairs);
void hit_stats_free(struct hit_stats *s);
void hit_stats_add(struct hit_stats *s, const struct hit *h);
void hit_stats_clear(struct hit_stats *s);
uint64_t hit_stats_attempts(const struct hit_stats *s);	/* every hit added */
uint64_t hit_stats_overflow(const struct hit_stats *s);	/* attempts of sources that did not fit */
size_t hit_stats_count(const struct hit_stats *s);		/* sources held */
/* Copy the n sources with most attempts (ties: latest last first) into out; returns how many. */
size_t hit_stats_top(const struct hit_stats *s, struct hit_source *out, size_t n);
/* Copy src's counts into *out; false when the table holds no such source. */
bool hit_stats_find(const struct hit_stats *s, const struct addr *src, struct hit_source *out);

/*
 * The ring of the newest hits, with its own hit_stats over every hit
 * ever pushed (so the top talkers stay exact when old hits drop out).
 * Pushing never allocates and never blocks.
 *
 * Ownership: hit_ring_new() returns a ring freed with hit_ring_free();
 * hit_ring_at() points into the ring, valid until the next push.
 */
struct hit_ring;

struct hit_ring *hit_ring_new(size_t capacity, size_t max_sources);
void hit_ring_free(struct hit_ring *r);
void hit_ring_push(struct hit_ring *r, const struct hit *h);
size_t hit_ring_len(const struct hit_ring *r);
const struct hit *hit_ring_at(const struct hit_ring *r, size_t i);	/* 0 = newest */
uint64_t hit_ring_total(const struct hit_ring *r);			/* hits ever pushed */
const struct hit_stats *hit_ring_stats(const struct hit_ring *r);
void hit_ring_clear(struct hit_ring *r);

#endif
