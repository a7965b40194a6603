/*
 * alert.c - offenders to mail and to a program, rate-limited into
 * digests, run as children without blocking the caller; see
 * include/alert.h.
 */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "alert.h"
#include "emit.h"

/* ---- the rate policy */

void alert_queue_init(struct alert_queue *q, unsigned interval)
{
	memset(q, 0, sizeof(*q));
	q->interval = interval;
}

static bool recent_has(const struct alert_queue *q, const struct hit_source *o, time_t now)
{
	for (size_t i = 0; i < q->nrecent; i++) {
		const struct alert_recent *r = &q->recent[i];

		if (now - r->when < (time_t)q->interval && addr_equal(&r->host, &o->src) &&
		    strcmp(r->zone, o->zone) == 0)
			return true;
	}
	return false;
}

static void recent_add(struct alert_queue *q, const struct hit_source *o, time_t now)
{
	struct alert_recent *r = &q->recent[q->recent_next];

	r->host = o->src;
	memcpy(r->zone, o->zone, sizeof(r->zone));
	r->when = now;
	q->recent_next = (q->recent_next + 1) % ALERT_RECENT_MAX;
	if (q->nrecent < ALERT_RECENT_MAX)
		q->nrecent++;
}

enum alert_verdict alert_queue_add(struct alert_queue *q, const struct hit_source *o, time_t now)
{
	if (recent_has(q, o, now))
		return ALERT_SKIP;
	recent_add(q, o, now);
	if (now >= q->window_end && !q->npending) {
		q->window_end = now + (time_t)q->interval;
		return ALERT_NOW;
	}
	if (q->npending < ALERT_DIGEST_MAX)
		q->pending[q->npending++] = *o;
	else
		q->more++;
	return ALERT_DIGEST;
}

time_t alert_queue_due(const struct alert_queue *q)
{
	return q->npending ? q->window_end : 0;
}

size_t alert_queue_take(struct alert_queue *q, time_t now, struct hit_source *out, size_t *more)
{
	size_t n = q->npending;

	memcpy(out, q->pending, n * sizeof(*out));
	*more = q->more;
	q->npending = q->more = 0;
	q->window_end = now + (time_t)q->interval;
	return n;
}

/* ---- the message */

static const char *zone_mode_name(const struct config *cfg, const char *zone)
{
	for (size_t i = 0; i < cfg->nzones; i++)
		if (strcmp(cfg->zones[i].name, zone) == 0)
			return mode_names[cfg->zones[i].mode];
	return "-";
}

static void time_text(time_t t, char *buf, size_t size)
{
	struct tm tm;

	if (!localtime_r(&t, &tm) || !strftime(buf, size, "%Y-%m-%dT%H:%M:%S%z", &tm))
		snprintf(buf, size, "%lld", (long long)t);
}

void alert_quarantine_line(const struct hit_source *o, char *buf, size_t size)
{
	char host[ADDR_TEXT_MAX];

	addr_format(&o->src, host, sizeof(host));
	snprintf(buf, size, "quarantine = %s", host);
}

static size_t total(const struct alert_message *m)
{
	return m->n + m->more;
}

/* Appends like snprintf, never past size; returns the new length either way. */
__attribute__((format(printf, 4, 5))) static size_t put(char *buf, size_t size, size_t len,
						     const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(len < size ? buf + len : NULL, len < size ? size - len : 0, fmt, ap);
	va_end(ap);
	return len + (n > 0 ? (size_t)n : 0);
}

size_t alert_format_mail(const struct alert_message *m, char *buf, size_t size)
{
	const char *conf = m->cfg->path ? m->cfg->path : CONFIG_DEFAULT_PATH;
	char host[ADDR_TEXT_MAX], first[40], last[40], line[96];
	size_t len = 0;

	addr_format(&m->list[0].src, host, sizeof(host));
	len = put(buf, size, len, "To: %s\nAuto-Submitted: auto-generated\n", m->cfg->alert_mail);
	if (m->kind == ALERT_KIND_ALERT)
		len = put(buf, size, len, "Subject: smtpguard: %s in zone %s is past its alert "
					  "threshold\n\n", host, m->list[0].zone);
	else
		len = put(buf, size, len, "Subject: smtpguard: digest, %zu more hosts past their "
					  "alert threshold\n\n", total(m));
	len = put(buf, size, len, "smtpguard watch found %s past the alert threshold of %s:\n",
		  m->kind == ALERT_KIND_ALERT ? "this host" : "these hosts",
		  m->kind == ALERT_KIND_ALERT ? "its zone" : "their zones");
	for (size_t i = 0; i < m->n; i++) {
		const struct hit_source *o = &m->list[i];

		addr_format(&o->src, host, sizeof(host));
		time_text(o->first, first, sizeof(first));
		time_text(o->last, last, sizeof(last));
		alert_quarantine_line(o, line, sizeof(line));
		len = put(buf, size, len,
			  "\nhost:         %s\nMAC:          %s\nzone:         %s\nmode:         %s\n"
			  "attempts:     %llu\ndestinations: %u%s\nfirst:        %s\nlast:         %s\n"
			  "quarantine:   add the line \"%s\" to [zone %s] of %s, then run\n"
			  "              smtpguard -c %s apply\n"
			  "              (or in the console: select the host, press Q)\n",
			  host, o->mac[0] ? o->mac : "-", o->zone, zone_mode_name(m->cfg, o->zone),
			  (unsigned long long)o->attempts, o->destinations,
			  o->destinations_capped ? " or more" : "", first, last, line, o->zone, conf,
			  conf);
	}
	if (m->more)
		len = put(buf, size, len, "\n... and %zu more hosts (see smtpguard report)\n", m->more);
	return len;
}

static void emit_offender(struct emit *e, const struct config *cfg, const struct hit_source *o)
{
	char host[ADDR_TEXT_MAX], first[40], last[40], line[96];

	addr_format(&o->src, host, sizeof(host));
	time_text(o->first, first, sizeof(first));
	time_text(o->last, last, sizeof(last));
	alert_quarantine_line(o, line, sizeof(line));
	emit_object_open(e, EMIT_JSON, NULL);
	emit_str(e, EMIT_JSON, "host", host);
	emit_str(e, EMIT_JSON, "mac", o->mac);
	emit_str(e, EMIT_JSON, "zone", o->zone);
	emit_str(e, EMIT_JSON, "mode", zone_mode_name(cfg, o->zone));
	emit_u64(e, EMIT_JSON, "attempts", o->attempts);
	emit_u64(e, EMIT_JSON, "destinations", o->destinations);
	emit_bool(e, EMIT_JSON, "destinations_capped", o->destinations_capped);
	emit_str(e, EMIT_JSON, "first", first);
	emit_i64(e, EMIT_JSON, "first_epoch", o->first);
	emit_str(e, EMIT_JSON, "last", last);
	emit_i64(e, EMIT_JSON, "last_epoch", o->last);
	emit_str(e, EMIT_JSON, "quarantine", line);
	emit_object_close(e);
}

size_t alert_format_json(const struct alert_message *m, char *buf, size_t size)
{
	struct emit e;

	emit_init_buffer(&e, buf, size, EMIT_JSON);
	emit_object_open(&e, EMIT_JSON, NULL);
	emit_str(&e, EMIT_JSON, "kind", m->kind == ALERT_KIND_ALERT ? "alert" : "digest");
	emit_str(&e, EMIT_JSON, "config", m->cfg->path ? m->cfg->path : CONFIG_DEFAULT_PATH);
	emit_u64(&e, EMIT_JSON, "offenders", total(m));
	emit_array_open(&e, EMIT_JSON, "hosts", EMIT_INLINE);
	for (size_t i = 0; i < m->n; i++)
		emit_offender(&e, m->cfg, &m->list[i]);
	emit_array_close(&e);
	emit_object_close(&e);
	emit_newline(&e);
	return emit_length(&e);
}

size_t alert_format_env(const struct alert_message *m, char *buf, size_t size)
{
	const struct hit_source *o = &m->list[0];
	char host[ADDR_TEXT_MAX], first[40], last[40];
	size_t len = 0;

	addr_format(&o->src, host, sizeof(host));
	time_text(o->first, first, sizeof(first));
	time_text(o->last, last, sizeof(last));
	len = put(buf, size, len, "SMTPGUARD_KIND=%s%c",
		  m->kind == ALERT_KIND_ALERT ? "alert" : "digest", 0) ;
	len = put(buf, size, len, "SMTPGUARD_CONFIG=%s%c",
		  m->cfg->path ? m->cfg->path : CONFIG_DEFAULT_PATH, 0);
	len = put(buf, size, len, "SMTPGUARD_OFFENDERS=%zu%c", total(m), 0);
	len = put(buf, size, len, "SMTPGUARD_HOST=%s%cSMTPGUARD_MAC=%s%cSMTPGUARD_ZONE=%s%c", host,
		  0, o->mac, 0, o->zone, 0);
	len = put(buf, size, len, "SMTPGUARD_MODE=%s%cSMTPGUARD_ATTEMPTS=%llu%c",
		  zone_mode_name(m->cfg, o->zone), 0, (unsigned long long)o->attempts, 0);
	len = put(buf, size, len, "SMTPGUARD_DESTINATIONS=%u%cSMTPGUARD_FIRST=%s%c"
				  "SMTPGUARD_LAST=%s%cSMTPGUARD_HOSTS=",
		  o->destinations, 0, first, 0, last, 0);
	for (size_t i = 0; i < m->n; i++) {
		addr_format(&m->list[i].src, host, sizeof(host));
		len = put(buf, size, len, "%s%s", i ? " " : "", host);
	}
	len = put(buf, size, len, "%c%c", 0, 0);
	return len;
}

/* ---- running it */

enum alert_channel { CHANNEL_MAIL, CHANNEL_COMMAND, CHANNEL_COUNT };

static const char *const channel_names[CHANNEL_COUNT] = {
	[CHANNEL_MAIL] = "sendmail", [CHANNEL_COMMAND] = "alert_command",
};

struct alert_job {
	bool used;
	enum alert_channel channel;
	char what[128];		/* "alert about 192.0.2.66", "digest of 19 hosts" */
	char *input, *env;	/* stdin; env: "NAME=value\0"..."\0" (command only) */
	size_t input_len;
	pid_t pid;		/* 0: waiting for retry_at */
	time_t deadline, retry_at;
	unsigned tries;
};

struct alert {
	const struct config *cfg;
	alert_report_fn report;
	void *arg;
	int epfd, sigfd, timerfd;
	sigset_t old_mask;
	struct alert_queue queue;
	struct alert_job jobs[ALERT_JOBS_MAX];
	struct alert_counts counts;
};

__attribute__((format(printf, 3, 4))) static void say(struct alert *a, bool failed,
						   const char *fmt, ...)
{
	char text[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	a->report(a->arg, failed, text);
}

static void job_free(struct alert_job *j)
{
	free(j->input);
	free(j->env);
	memset(j, 0, sizeof(*j));
}

/* Fork and exec the job's program with its input on a pipe; false when it could not start. */
static bool job_start(struct alert *a, struct alert_job *j, time_t now)
{
	const char *path = j->channel == CHANNEL_MAIL ? ALERT_SENDMAIL : a->cfg->alert_command;
	char *const mail_argv[] = { (char *)ALERT_SENDMAIL, (char *)"-t", (char *)"-oi", NULL };
	char *const cmd_argv[] = { (char *)a->cfg->alert_command, NULL };
	int fds[2];
	ssize_t w;

	j->tries++;
	if (pipe2(fds, O_CLOEXEC) < 0)
		return false;
	j->pid = fork();
	if (j->pid == 0) {
		sigset_t none;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		if (dup2(fds[0], 0) < 0 || dup2(2, 1) < 0)
			_exit(127);
		for (char *e = j->env; e && *e; e += strlen(e) + 1)
			putenv(e);
		execv(path, j->channel == CHANNEL_MAIL ? mail_argv : cmd_argv);
		_exit(127);
	}
	close(fds[0]);
	if (j->pid < 0) {
		j->pid = 0;
		close(fds[1]);
		return false;
	}
	/* the input is far below a pipe's 64 KiB: this write does not wait */
	fcntl(fds[1], F_SETFL, O_NONBLOCK);
	w = write(fds[1], j->input, j->input_len);
	close(fds[1]);
	if (w != (ssize_t)j->input_len)
		say(a, true, "%s: %s: its input was cut (%s)", channel_names[j->channel], j->what,
		    w < 0 ? strerror(errno) : "short write");
	j->deadline = now + ALERT_CHILD_TIMEOUT;
	return true;
}

/* A try failed: retry later, or give up after the last. */
static void job_failed(struct alert *a, struct alert_job *j, const char *why, time_t now)
{
	a->counts.failed++;
	j->pid = 0;
	if (j->tries >= ALERT_TRIES_MAX) {
		a->counts.given_up++;
		say(a, true, "%s: %s failed (%s), try %u of %u: given up", channel_names[j->channel],
		    j->what, why, j->tries, ALERT_TRIES_MAX);
		job_free(j);
		return;
	}
	j->retry_at = now + ((time_t)ALERT_RETRY_FIRST << (j->tries - 1));
	say(a, true, "%s: %s failed (%s), try %u of %u: retrying in %llds",
	    channel_names[j->channel], j->what, why, j->tries, ALERT_TRIES_MAX,
	    (long long)(j->retry_at - now));
}

static void job_run(struct alert *a, struct alert_job *j, time_t now)
{
	if (!job_start(a, j, now))
		job_failed(a, j, strerror(errno), now);
}

static struct alert_job *job_slot(struct alert *a)
{
	struct alert_job *oldest = &a->jobs[0];

	for (size_t i = 0; i < ALERT_JOBS_MAX; i++) {
		if (!a->jobs[i].used)
			return &a->jobs[i];
		if (a->jobs[i].pid == 0 && oldest->pid != 0)
			oldest = &a->jobs[i];
	}
	if (oldest->pid)
		kill(oldest->pid, SIGKILL);	/* reaped when its SIGCHLD comes: unknown then */
	a->counts.given_up++;
	say(a, true, "%s: %s given up: more than %d alerts waiting", channel_names[oldest->channel],
	    oldest->what, ALERT_JOBS_MAX);
	job_free(oldest);
	return oldest;
}

static void send_message(struct alert *a, const struct alert_message *m, time_t now)
{
	char host[ADDR_TEXT_MAX];

	addr_format(&m->list[0].src, host, sizeof(host));
	for (int c = 0; c < CHANNEL_COUNT; c++) {
		struct alert_job *j;
		size_t len, envlen = 0;

		if (!*(c == CHANNEL_MAIL ? a->cfg->alert_mail : a->cfg->alert_command))
			continue;
		j = job_slot(a);
		j->used = true;
		j->channel = (enum alert_channel)c;
		if (m->kind == ALERT_KIND_ALERT)
			snprintf(j->what, sizeof(j->what), "alert about %s in zone %s", host,
				 m->list[0].zone);
		else
			snprintf(j->what, sizeof(j->what), "digest of %zu hosts", m->n + m->more);
		len = c == CHANNEL_MAIL ? alert_format_mail(m, NULL, 0) : alert_format_json(m, NULL, 0);
		j->input = malloc(len + 1);
		if (c == CHANNEL_COMMAND) {
			envlen = alert_format_env(m, NULL, 0) + 1;
			j->env = malloc(envlen);
		}
		if (!j->input || (c == CHANNEL_COMMAND && !j->env)) {
			say(a, true, "%s: %s: out of memory, not sent", channel_names[c], j->what);
			job_free(j);
			continue;
		}
		j->input_len = c == CHANNEL_MAIL ? alert_format_mail(m, j->input, len + 1)
						 : alert_format_json(m, j->input, len + 1);
		if (j->env)
			alert_format_env(m, j->env, envlen);
		job_run(a, j, now);
	}
}

/* Arm the timer for the earliest of: the digest, a retry, a child's deadline. */
static void arm(struct alert *a)
{
	time_t next = alert_queue_due(&a->queue);
	struct itimerspec its = { 0 };

	for (size_t i = 0; i < ALERT_JOBS_MAX; i++) {
		const struct alert_job *j = &a->jobs[i];
		time_t t = j->pid ? j->deadline : j->retry_at;

		if (j->used && (!next || t < next))
			next = t;
	}
	its.it_value.tv_sec = next;
	if (next && its.it_value.tv_sec <= 0)
		its.it_value.tv_sec = 1;
	timerfd_settime(a->timerfd, TFD_TIMER_ABSTIME, &its, NULL);
}

struct alert *alert_new(const struct config *cfg, alert_report_fn report, void *arg,
			struct error *err)
{
	struct alert *a = calloc(1, sizeof(*a));
	struct epoll_event ev = { .events = EPOLLIN };
	sigset_t chld;

	if (!a) {
		error_set(err, "alert: out of memory");
		return NULL;
	}
	a->cfg = cfg;
	a->report = report;
	a->arg = arg;
	a->sigfd = a->timerfd = -1;
	alert_queue_init(&a->queue, cfg->alert_interval);
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	if ((a->epfd = epoll_create1(EPOLL_CLOEXEC)) < 0 ||
	    sigprocmask(SIG_BLOCK, &chld, &a->old_mask) < 0 ||
	    (a->sigfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK)) < 0 ||
	    (a->timerfd = timerfd_create(CLOCK_REALTIME, TFD_CLOEXEC | TFD_NONBLOCK)) < 0 ||
	    epoll_ctl(a->epfd, EPOLL_CTL_ADD, a->sigfd, &ev) < 0 ||
	    epoll_ctl(a->epfd, EPOLL_CTL_ADD, a->timerfd, &ev) < 0) {
		error_set(err, "alert: cannot set up its descriptors: %s", strerror(errno));
		alert_free(a);
		return NULL;
	}
	return a;
}

int alert_fd(const struct alert *a)
{
	return a->epfd;
}

const struct alert_counts *alert_counts(const struct alert *a)
{
	return &a->counts;
}

void alert_offender(struct alert *a, const struct hit_source *o)
{
	struct alert_message m = { .kind = ALERT_KIND_ALERT, .cfg = a->cfg, .list = o, .n = 1 };
	time_t now = time(NULL);

	if (!a->cfg->alert_mail[0] && !a->cfg->alert_command[0])
		return;
	if (alert_queue_add(&a->queue, o, now) == ALERT_NOW)
		send_message(a, &m, now);
	arm(a);
}

static void reap(struct alert *a, time_t now)
{
	for (size_t i = 0; i < ALERT_JOBS_MAX; i++) {
		struct alert_job *j = &a->jobs[i];
		char why[64];
		int status;

		if (!j->used || !j->pid || waitpid(j->pid, &status, WNOHANG) != j->pid)
			continue;
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
			a->counts.sent++;
			say(a, false, "%s: %s: accepted (exit 0)", channel_names[j->channel], j->what);
			job_free(j);
			continue;
		}
		if (WIFEXITED(status))
			snprintf(why, sizeof(why), "exit %d%s", WEXITSTATUS(status),
				 WEXITSTATUS(status) == 127 ? ", not run" : "");
		else
			snprintf(why, sizeof(why), "killed by signal %d", WTERMSIG(status));
		job_failed(a, j, why, now);
	}
}

int alert_on_event(struct alert *a, struct error *err)
{
	struct signalfd_siginfo si;
	uint64_t ticks;
	time_t now = time(NULL), due = alert_queue_due(&a->queue);

	while (read(a->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		;
	while (read(a->timerfd, &ticks, sizeof(ticks)) == (ssize_t)sizeof(ticks))
		;
	reap(a, now);
	if (due && due <= now) {
		struct hit_source list[ALERT_DIGEST_MAX];
		struct alert_message m = { .kind = ALERT_KIND_DIGEST, .cfg = a->cfg, .list = list };

		m.n = alert_queue_take(&a->queue, now, list, &m.more);
		send_message(a, &m, now);
	}
	for (size_t i = 0; i < ALERT_JOBS_MAX; i++) {
		struct alert_job *j = &a->jobs[i];

		if (j->used && j->pid && now >= j->deadline) {
			kill(j->pid, SIGKILL);	/* its exit is reaped and counted as failed */
			j->deadline = now + ALERT_CHILD_TIMEOUT;
		} else if (j->used && !j->pid && now >= j->retry_at) {
			job_run(a, j, now);
		}
	}
	arm(a);
	return 0;
}

void alert_free(struct alert *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < ALERT_JOBS_MAX; i++) {
		if (a->jobs[i].pid) {
			kill(a->jobs[i].pid, SIGKILL);
			waitpid(a->jobs[i].pid, NULL, 0);
		}
		job_free(&a->jobs[i]);
	}
	if (a->sigfd >= 0) {
		close(a->sigfd);
		sigprocmask(SIG_SETMASK, &a->old_mask, NULL);
	}
	if (a->timerfd >= 0)
		close(a->timerfd);
	if (a->epfd >= 0)
		close(a->epfd);
	free(a);
}
