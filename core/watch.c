/*
 * watch.c - `smtpguard watch`: the loop that records every hit; see
 * include/watch.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "alert.h"
#include "escalate.h"
#include "hitslog.h"
#include "logsource.h"
#include "metrics.h"
#include "neighwatch.h"
#include "offender.h"
#include "testenv.h"
#include "watch.h"

#define WATCH_PID_FILE "watch.pid"
#define WATCH_FILE_TICK_MS 1000		/* a followed file is read at least this often */

static void watch_pid_path(char *buf, size_t size)
{
	snprintf(buf, size, "%s/%s", testenv()->run_dir, WATCH_PID_FILE);
}

static struct flock whole_file(short type)
{
	return (struct flock){ .l_type = type, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0 };
}

int watch_lock_take(struct watch_lock *l, struct error *err)
{
	struct flock fl = whole_file(F_WRLCK);
	char path[512], pid[32];
	int fd, n;

	l->fd = -1;
	watch_pid_path(path, sizeof(path));
	if (mkdir(testenv()->run_dir, 0700) < 0 && errno != EEXIST)
		return error_set(err, "watch: cannot create %s: %s", testenv()->run_dir,
				 strerror(errno));
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return error_set(err, "watch: cannot open %s: %s", path, strerror(errno));
	if (fcntl(fd, F_SETLK, &fl) < 0) {
		int e = errno;
		pid_t other = watch_running();

		close(fd);
		if (e == EAGAIN || e == EACCES)
			return error_set(err, "watch: already running (pid %ld); stop it first "
					      "(systemctl stop smtpguard-watch)", (long)other);
		return error_set(err, "watch: cannot lock %s: %s", path, strerror(e));
	}
	n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, pid, (size_t)n, 0) != n) {
		close(fd);
		return error_set(err, "watch: cannot write %s: %s", path, strerror(errno));
	}
	l->fd = fd;
	return 0;
}

void watch_lock_release(struct watch_lock *l)
{
	char path[512];

	if (l->fd < 0)
		return;
	watch_pid_path(path, sizeof(path));
	unlink(path);
	close(l->fd);
	l->fd = -1;
}

pid_t watch_running(void)
{
	struct flock fl = whole_file(F_WRLCK);
	char path[512];
	int fd;

	watch_pid_path(path, sizeof(path));
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return 0;
	if (fcntl(fd, F_GETLK, &fl) < 0)
		fl.l_type = F_UNLCK;
	close(fd);
	return fl.l_type == F_UNLCK ? 0 : fl.l_pid;
}

struct logsource *watch_open_reader(const struct hit_context *ctx, struct error *err)
{
	if (watch_running() && ctx->cfg)
		return logsource_open_file(ctx->cfg->hits_log, HIT_FORMAT_HITSLOG, false, ctx, err);
	return logsource_open_config(ctx, err);
}

/* ---- the loop */

enum watch_fd { WATCH_SIGNALS, WATCH_HITS, WATCH_METRICS, WATCH_ALERTS, WATCH_NEIGH, WATCH_NFDS };

struct watch {
	const struct config *cfg;
	struct hit_context ctx;
	struct logsource *src;
	struct hitslog *log;
	int sigfd;
	sigset_t old_mask;
	uint64_t lost_seen;	/* of logsource's count, already written */
	bool stop;
	struct error hit_err;	/* the first write failure inside the hit callback */
	bool hit_failed;
	struct watch_counts counts;
	int timerfd;		/* metrics_file's rewrites; -1 when it is off */
	struct metrics_hits hits;
	struct offender_table *offenders;
	struct alert *alert;
	struct neighwatch *neigh;	/* device watch; NULL when no zone lists devices */
	time_t resumed_last;	/* the latest hit replayed at start */
	alert_report_fn report;	/* what the alerts did, for the caller to log */
	void *report_arg;
};

static void watch_resume_hit(void *arg, const struct hit *h)
{
	struct watch *w = arg;
	struct hit_source o;

	if (offender_add(w->offenders, h, &o)) {
		alert_replay_offender(w->alert, &o, h->time);
		w->counts.resumed_offenders++;
	}
	if (h->time > w->resumed_last)
		w->resumed_last = h->time;
}

/* See watch_open() in include/watch.h.  A log that cannot be read back is said, never fatal. */
static void watch_resume(struct watch *w)
{
	const struct config *cfg = w->cfg;
	unsigned window = 0;
	long n;

	for (size_t i = 0; i < cfg->nzones; i++)
		if (cfg->zones[i].alert_threshold.count && cfg->zones[i].alert_threshold.period > window)
			window = cfg->zones[i].alert_threshold.period;
	if (!window)
		return;
	if ((cfg->alert_mail[0] || cfg->alert_command[0]) && cfg->alert_interval > window)
		window = cfg->alert_interval;
	w->counts.resumed_since = time(NULL) - (time_t)window;
	n = hitslog_replay(cfg->hits_log, w->counts.resumed_since, &w->ctx, watch_resume_hit, w,
			   &w->counts.resume_err);
	if (n > 0)
		w->counts.resumed_hits = (uint64_t)n;
	alert_replay_end(w->alert, w->resumed_last);
}

/* The first rewrite at once, then every metrics_interval seconds. */
static int watch_metrics_timer(struct watch *w, struct error *err)
{
	struct itimerspec its = {
		.it_value = { .tv_nsec = 1 },
		.it_interval = { .tv_sec = (time_t)w->cfg->metrics_interval },
	};

	w->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (w->timerfd < 0 || timerfd_settime(w->timerfd, 0, &its, NULL) < 0)
		return error_set(err, "watch: cannot set the metrics timer: %s", strerror(errno));
	return 0;
}

static void watch_alert_report(void *arg, bool failed, const char *text)
{
	struct watch *w = arg;

	if (w->report)
		w->report(w->report_arg, failed, text);
}

void watch_set_report(struct watch *w, alert_report_fn report, void *arg)
{
	w->report = report;
	w->report_arg = arg;
}

struct watch *watch_open(const struct config *cfg, struct error *err)
{
	struct watch *w = calloc(1, sizeof(*w));
	sigset_t mask;

	if (!w) {
		error_set(err, "watch: out of memory");
		return NULL;
	}
	w->cfg = cfg;
	w->sigfd = -1;
	w->timerfd = -1;
	w->hits.since = time(NULL);
	hit_context_init(&w->ctx, cfg);
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &mask, &w->old_mask) < 0 ||
	    (w->sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK)) < 0) {
		error_set(err, "watch: cannot take signals: %s", strerror(errno));
		watch_close(w);
		return NULL;
	}
	if (cfg->metrics_file[0] && watch_metrics_timer(w, err) < 0) {
		watch_close(w);
		return NULL;
	}
	w->offenders = offender_table_new(cfg, OFFENDER_HOSTS_DEFAULT);
	if (!w->offenders) {
		error_set(err, "watch: out of memory");
		watch_close(w);
		return NULL;
	}
	w->alert = alert_new(cfg, watch_alert_report, w, err);
	w->log = w->alert ? hitslog_open(cfg->hits_log, err) : NULL;
	if (w->log)
		watch_resume(w);
	if (w->log && neighwatch_wanted(cfg) && !(w->neigh = neighwatch_open(cfg, err))) {
		watch_close(w);
		return NULL;
	}
	w->counts.devices = w->neigh != NULL;
	if (!w->log || !(w->src = logsource_open_config(&w->ctx, err))) {
		watch_close(w);
		return NULL;
	}
	return w;
}

const char *watch_source_name(const struct watch *w)
{
	return logsource_name(w->src);
}

const char *watch_log_path(const struct watch *w)
{
	return hitslog_path(w->log);
}

const struct watch_counts *watch_counts(const struct watch *w)
{
	return &w->counts;
}

/*
 * Escalate offender o when its zone says so (include/escalate.h): one
 * write to the backend's timed list, recorded in the hits log as the
 * evidence and said through the report; a refusal is reported, never
 * stops the recording.
 */
static void watch_escalate(struct watch *w, struct hit_source *o, time_t now)
{
	const struct fw_ops *fw = fw_backend();
	unsigned seconds = escalate_decide(w->cfg, o);
	struct error why = { 0 };
	char host[ADDR_TEXT_MAX], d[16], text[ERROR_TEXT_MAX + 128];

	if (!seconds)
		return;
	addr_format(&o->src, host, sizeof(host));
	if (!(fw->escalate ? fw->escalate(o->zone, &o->src, seconds, &why) == 0
			   : error_set(&why, "the %s backend cannot escalate", fw->name) == 0)) {
		w->counts.escalate_failed++;
		snprintf(text, sizeof(text), "escalate: %s in zone %s not escalated: %s", host,
			 o->zone, why.text);
		if (w->report)
			w->report(w->report_arg, true, text);
		return;
	}
	o->escalated = seconds;
	w->counts.escalated++;
	if (hitslog_add_escalated(w->log, o, now, w->hit_failed ? NULL : &w->hit_err) < 0)
		w->hit_failed = true;
	duration_format(seconds, d, sizeof(d));
	snprintf(text, sizeof(text), "escalate: %s in zone %s: guarded ports dropped for %s "
				     "(smtpguard unban %s lifts it)", host, o->zone, d, host);
	if (w->report)
		w->report(w->report_arg, false, text);
}

static void watch_hit(void *arg, const struct hit *h)
{
	struct watch *w = arg;
	struct hit_source o;

	if (offender_add(w->offenders, h, &o)) {
		watch_escalate(w, &o, h->time);
		alert_offender(w->alert, &o);
	}

	if (hitslog_add_hit(w->log, h, w->hit_failed ? NULL : &w->hit_err) < 0) {
		w->hit_failed = true;
	} else {
		w->counts.hits++;
		metrics_hits_add(&w->hits, w->cfg, h);
	}
}

/* A batch from the hit source, then what the kernel dropped, then out to the file. */
static int watch_on_hits(struct watch *w, struct error *err)
{
	uint64_t lost;

	if (logsource_read(w->src, watch_hit, w, err) < 0)
		return -1;
	lost = logsource_counts(w->src)->lost;
	if (lost > w->lost_seen &&
	    hitslog_add_lost(w->log, lost - w->lost_seen, logsource_name(w->src), time(NULL), err) == 0) {
		w->counts.lost += lost - w->lost_seen;
		w->hits.lost = w->counts.lost;
		w->lost_seen = lost;
	}
	if (hitslog_flush(w->log, err) < 0)
		return -1;
	w->counts.reopened = hitslog_reopened(w->log);
	if (w->hit_failed) {
		*err = w->hit_err;
		return -1;
	}
	return 0;
}

static int watch_on_signal(struct watch *w, struct error *err)
{
	struct signalfd_siginfo si;

	while (read(w->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo != SIGHUP) {
			w->stop = true;
		} else if (hitslog_reopen(w->log, err) < 0) {
			return -1;
		}
	}
	w->counts.reopened = hitslog_reopened(w->log);
	return 0;
}

/*
 * Rewrite metrics_file.  A failure (the kernel's table unreadable, the
 * folder not writable) never stops the recording: it is counted, the
 * first one kept for the end, and the next tick tries again.
 */
static int watch_on_metrics(struct watch *w, struct error *err)
{
	struct error why = { 0 };
	struct metrics m;
	uint64_t ticks;

	if (read(w->timerfd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
		return error_set(err, "watch: metrics timer: %s", strerror(errno));
	if (metrics_collect(w->cfg, fw_backend(), &w->hits, &m, &why) < 0 ||
	    metrics_write_file(&m, w->cfg->metrics_file, &why) < 0) {
		if (!w->counts.metrics_failed++)
			w->counts.metrics_err = why;
	} else {
		w->counts.metrics_written++;
	}
	return 0;
}

static int watch_on_alerts(struct watch *w, struct error *err)
{
	return alert_on_event(w->alert, err);
}

/* What became of a device finding, by whether a channel is set and the rate's verdict. */
static const char *const device_outcomes[2][3] = {
	[false] = {
		[ALERT_NOW] = "logged only (no alert_mail or alert_command)",
		[ALERT_DIGEST] = "logged only (no alert_mail or alert_command)",
		[ALERT_SKIP] = "reported within alert_interval already",
	},
	[true] = {
		[ALERT_NOW] = "alerting",
		[ALERT_DIGEST] = "for the digest at the end of alert_interval",
		[ALERT_SKIP] = "reported within alert_interval already",
	},
};

static void watch_device(void *arg, const struct neigh_finding *f)
{
	struct watch *w = arg;
	enum alert_verdict v = alert_device(w->alert, f);
	bool channel = w->cfg->alert_mail[0] || w->cfg->alert_command[0];
	char what[256], text[384];

	neighwatch_describe(f, what, sizeof(what));
	snprintf(text, sizeof(text), "device: %s: %s", what, device_outcomes[channel][v]);
	if (w->report)
		w->report(w->report_arg, false, text);
}

static int watch_on_neigh(struct watch *w, struct error *err)
{
	int rc = neighwatch_read(w->neigh, watch_device, w, err);

	w->counts.neigh = *neighwatch_counts(w->neigh);
	return rc;
}

int watch_run(struct watch *w, struct error *err)
{
	static int (*const handlers[WATCH_NFDS])(struct watch *, struct error *) = {
		[WATCH_SIGNALS] = watch_on_signal,
		[WATCH_HITS] = watch_on_hits,
		[WATCH_METRICS] = watch_on_metrics,
		[WATCH_ALERTS] = watch_on_alerts,
		[WATCH_NEIGH] = watch_on_neigh,
	};
	struct pollfd pfd[WATCH_NFDS] = {
		[WATCH_SIGNALS] = { .fd = w->sigfd, .events = POLLIN },
		[WATCH_HITS] = { .fd = logsource_fd(w->src), .events = POLLIN },
		[WATCH_METRICS] = { .fd = w->timerfd, .events = POLLIN },	/* -1: off */
		[WATCH_ALERTS] = { .fd = alert_fd(w->alert), .events = POLLIN },
		[WATCH_NEIGH] = { .fd = w->neigh ? neighwatch_fd(w->neigh) : -1, .events = POLLIN },
	};
	int timeout = logsource_kind(w->src) == LOGSOURCE_FILE ? WATCH_FILE_TICK_MS : -1;

	while (!w->stop) {
		int n = poll(pfd, WATCH_NFDS, timeout);

		if (n < 0 && errno != EINTR)
			return error_set(err, "watch: poll failed: %s", strerror(errno));
		for (int i = 0; i < WATCH_NFDS; i++) {
			/* A file is read on each tick too: its rotation shows only then */
			bool due = n > 0 ? pfd[i].revents != 0 : n == 0 && i == WATCH_HITS;

			if (due && handlers[i](w, err) < 0)
				return -1;
		}
	}
	return hitslog_flush(w->log, err);
}

void watch_close(struct watch *w)
{
	if (!w)
		return;
	if (w->src)
		logsource_close(w->src);
	hitslog_close(w->log);
	if (w->timerfd >= 0)
		close(w->timerfd);
	neighwatch_close(w->neigh);
	alert_free(w->alert);
	offender_table_free(w->offenders);
	if (w->sigfd >= 0) {
		close(w->sigfd);
		sigprocmask(SIG_SETMASK, &w->old_mask, NULL);
	}
	free(w);
}
