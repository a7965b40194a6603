/*
 * watch.h - `smtpguard watch`: the one consumer of the config's live hit
 * source (NFLOG group, /dev/kmsg or a followed log file), recording every
 * hit in the hits log (include/hitslog.h) until SIGTERM or SIGINT;
 * SIGHUP reopens the hits log.
 *
 * One poll() over a table of event sources (the hit source, a
 * signalfd, a timerfd that rewrites metrics_file every metrics_interval
 * seconds with include/metrics.h's text, the hits series counted here
 * since the start, the alerts' children, and when a zone lists devices
 * include/neighwatch.h's netlink socket, whose findings go to the
 * alerts and to the report callback), no timeout unless the hit source is
 * a file (logsource wants a read each second there): idle costs nothing.
 *
 * Single instance: watch_lock_take() holds a POSIX write lock on
 * <run dir>/watch.pid (with the pid in it) for the life of the process;
 * the kernel drops it when the process dies, kill -9 included, so a
 * stale file never blocks a restart.  Readers ask watch_running(),
 * which tests the lock (F_GETLK) without taking it.
 *
 * Ownership: watch_open() returns a watch the caller ends with
 * watch_close(); cfg must outlive it.
 */
#ifndef SMTPGUARD_WATCH_H
#define SMTPGUARD_WATCH_H

#include <stdint.h>
#include <sys/types.h>

#include "alert.h"
#include "config.h"
#include "error.h"
#include "neighwatch.h"

struct watch_lock {
	int fd;
};

/* Take the lock; -1 with err ("already running (pid N)") when another watch holds it. */
int watch_lock_take(struct watch_lock *l, struct error *err);
void watch_lock_release(struct watch_lock *l);
/* The pid of the running watch, 0 when none runs (or the run dir is not readable). */
pid_t watch_running(void);

/*
 * The live hits for a reader (`hits --follow`, the console): the hits
 * log followed from its end while watch runs (it holds the source: an
 * NFLOG group has one reader), else logsource_open_config().
 * Never call it inside watch: closing any fd of the pid file would drop
 * the process's lock.
 */
struct hit_context;
struct logsource;
struct logsource *watch_open_reader(const struct hit_context *ctx, struct error *err);

struct watch_counts {
	uint64_t hits;		/* recorded */
	uint64_t lost;		/* the kernel dropped before they were read */
	uint64_t reopened;	/* hits log reopenings (rename seen, SIGHUP) */
	uint64_t metrics_written, metrics_failed;	/* rewrites of metrics_file */
	struct error metrics_err;	/* the first failed one's reason */
	uint64_t escalated, escalate_failed;	/* offenders escalated; escalations refused */
	bool devices;			/* device watch runs (a zone lists devices) */
	struct neighwatch_counts neigh;	/* its neighbour entries and findings */
	/* resumed at start from the hits log (watch_open()): */
	time_t resumed_since;		/* the window replayed from; 0 = none (no alert_threshold) */
	uint64_t resumed_hits, resumed_offenders;
	struct error resume_err;	/* .text set when the hits log could not be read back */
};

struct watch;

/*
 * Open the live source and the hits log, block the signals watch_run()
 * takes.  When a zone has an alert_threshold, first resume from the hits
 * log: the hits of the longest alert window (the zones' periods, and
 * alert_interval when alerts are sent) rebuild the offender counts and
 * the alert rate, so a restart neither forgets an offender's attempts
 * nor alerts again about one already alerted; nothing is escalated or
 * sent for them (the watch that recorded them did that).
 */
struct watch *watch_open(const struct config *cfg, struct error *err);
const char *watch_source_name(const struct watch *w);
const char *watch_log_path(const struct watch *w);
/* Where the alerts' outcomes (sent, failed, retried) and device findings go: the caller logs them. */
void watch_set_report(struct watch *w, alert_report_fn report, void *arg);
/* Record until SIGTERM or SIGINT (0), or a failure (-1 with err). */
int watch_run(struct watch *w, struct error *err);
const struct watch_counts *watch_counts(const struct watch *w);
void watch_close(struct watch *w);

#endif
