/*
 * alert.h - `watch`'s alerts about offenders (include/offender.h) and
 * about listed devices seen with another address (include/neighwatch.h):
 * a mail through the local sendmail interface (alert_mail) and a program
 * (alert_command), both run without a shell.
 *
 * Rate: at most one alert per host per alert_interval.  The first
 * offender when no interval is open is alerted at once and opens one;
 * the offenders found while it is open are collected (up to
 * ALERT_DIGEST_MAX in full, the rest counted) and sent as ONE digest at
 * its end, which opens the next interval.  A storm of 500 zombies gives
 * one alert and one digest.  Device findings share the interval (and the
 * digest); they are remembered by (zone, IP, MAC) as seen, so the same
 * pair is reported once per interval.
 *
 * Running: each channel is a child with the message on a pipe; the
 * children are reaped through a SIGCHLD signalfd and timed by a timerfd,
 * both behind one epoll descriptor (alert_fd()) that the caller's poll
 * loop watches, so nothing here blocks recording.  A child that exits
 * non-zero, dies or runs longer than ALERT_CHILD_TIMEOUT is a failure:
 * reported, and retried after ALERT_RETRY_FIRST seconds, doubled each
 * time, ALERT_TRIES_MAX tries in all; at most ALERT_JOBS_MAX messages
 * wait (the oldest is given up, reported, when more come).
 *
 * Errors are values: every outcome goes to the report callback (watch
 * logs it); nothing here prints.
 *
 * Ownership: alert_new() returns an alert freed by alert_free(); cfg
 * must outlive it.
 */
#ifndef SMTPGUARD_ALERT_H
#define SMTPGUARD_ALERT_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "config.h"
#include "error.h"
#include "hit.h"
#include "neighwatch.h"

#define ALERT_DIGEST_MAX 64
#define ALERT_RECENT_MAX 1024		/* hosts remembered as alerted within the interval */
#define ALERT_JOBS_MAX 16
#define ALERT_TRIES_MAX 5
#define ALERT_RETRY_FIRST 10		/* seconds */
#define ALERT_CHILD_TIMEOUT 60		/* seconds */

/* ---- the rate policy (no I/O) */

enum alert_verdict {
	ALERT_NOW,	/* send an alert about this host now */
	ALERT_DIGEST,	/* collected for the digest at alert_queue_due() */
	ALERT_SKIP,	/* alerted (or collected) within the interval already */
};

struct alert_recent {
	struct addr host;		/* an offender, or the IP a device was seen with */
	char zone[ZONE_NAME_MAX + 1];
	bool device;
	unsigned char mac[6];		/* device: the MAC it was seen with */
	time_t when;
};

struct alert_queue {
	unsigned interval;			/* seconds */
	time_t window_end;			/* the open interval ends; <= now: none open */
	struct hit_source pending[ALERT_DIGEST_MAX];
	size_t npending;
	size_t more;				/* collected beyond ALERT_DIGEST_MAX */
	struct neigh_finding devices[ALERT_DIGEST_MAX];	/* device findings for the digest */
	size_t ndevices, more_devices;
	struct alert_recent recent[ALERT_RECENT_MAX];	/* a ring */
	size_t nrecent, recent_next;
};

void alert_queue_init(struct alert_queue *q, unsigned interval);
enum alert_verdict alert_queue_add(struct alert_queue *q, const struct hit_source *o, time_t now);
enum alert_verdict alert_queue_add_device(struct alert_queue *q, const struct neigh_finding *f,
					  time_t now);
/* When the digest is due; 0 when none is collected. */
time_t alert_queue_due(const struct alert_queue *q);
/* Take the collected device findings (as below, without opening an interval): before alert_queue_take(). */
size_t alert_queue_take_devices(struct alert_queue *q, struct neigh_finding *out, size_t *more);
/* Take the collected digest (copied to out, up to ALERT_DIGEST_MAX; *more the rest) and open the next interval. */
size_t alert_queue_take(struct alert_queue *q, time_t now, struct hit_source *out, size_t *more);

/* ---- the message */

/* ALERT: list[0], one offender; DEVICE: devices[0], one finding; DIGEST: both lists. */
enum alert_kind { ALERT_KIND_ALERT, ALERT_KIND_DIGEST, ALERT_KIND_DEVICE };

struct alert_message {
	enum alert_kind kind;
	const struct config *cfg;
	const struct hit_source *list;
	size_t n;
	size_t more;	/* offenders beyond the list */
	const struct neigh_finding *devices;
	size_t ndevices;
	size_t more_devices;	/* findings beyond devices */
};

/* The mail sendmail -t reads (headers, blank line, body) into buf like snprintf. */
size_t alert_format_mail(const struct alert_message *m, char *buf, size_t size);
/* One JSON object and a newline, into buf like snprintf. */
size_t alert_format_json(const struct alert_message *m, char *buf, size_t size);
/* "NAME=value\0" strings, ended by an empty one, into buf; the length with the last NUL. */
size_t alert_format_env(const struct alert_message *m, char *buf, size_t size);
/* The config line that quarantines host (without the section): "quarantine = 192.0.2.66". */
void alert_quarantine_line(const struct hit_source *o, char *buf, size_t size);

/* ---- running it */

typedef void (*alert_report_fn)(void *arg, bool failed, const char *text);

struct alert_counts {
	unsigned long sent, failed, given_up;
};

struct alert;

/* NULL with err when nothing can be set up; an alert with no channel does nothing. */
struct alert *alert_new(const struct config *cfg, alert_report_fn report, void *arg,
			struct error *err);
int alert_fd(const struct alert *a);
void alert_offender(struct alert *a, const struct hit_source *o);
/*
 * A device finding: rate-limited as offenders are, even with no channel
 * (the caller logs each one with the verdict); sent when a channel is set.
 */
enum alert_verdict alert_device(struct alert *a, const struct neigh_finding *f);
/*
 * Resuming at start from the hits log: offender o went past its
 * threshold at when, under a watch that ran before, which alerted it or
 * collected it for a digest.  The queue takes it as that watch did and
 * nothing is sent; a digest that was due before when was that watch's
 * to send and is dropped.  alert_replay_end(a, last): the replay's
 * latest hit was dated last; a digest due by then is dropped likewise,
 * one due later (or while no watch ran) is sent when due.
 */
void alert_replay_offender(struct alert *a, const struct hit_source *o, time_t when);
void alert_replay_end(struct alert *a, time_t last);
/* The fd is readable: reap children, send what is due, retry.  -1 only when the fds fail. */
int alert_on_event(struct alert *a, struct error *err);
const struct alert_counts *alert_counts(const struct alert *a);
/* Kill and reap what still runs. */
void alert_free(struct alert *a);

#endif
