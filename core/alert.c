/*
 * alert.c - offenders to mail and to a program, rate-limited into
 * digests, run as children without blocking the caller; see
 * include/alert.h.
 */
#include <errno.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "alert.h"
#include "emit.h"
#include "testenv.h"

/* ---- the rate policy */

void alert_queue_init(struct alert_queue *q, unsigned interval)
{
	memset(q, 0, sizeof(*q));
	q->interval = interval;
}

/* What the interval remembers: an offender (mac NULL), or a device seen at (host, mac). */
struct recent_key {
	const struct addr *host;
	const char *zone;
	const unsigned char *mac;
};

static bool recent_has(const struct alert_queue *q, const struct recent_key *k, time_t now)
{
	for (size_t i = 0; i < q->nrecent; i++) {
		const struct alert_recent *r = &q->recent[i];

		if (now - r->when < (time_t)q->interval && addr_equal(&r->host, k->host) &&
		    strcmp(r->zone, k->zone) == 0 && r->device == (k->mac != NULL) &&
		    (!k->mac || memcmp(r->mac, k->mac, sizeof(r->mac)) == 0))
			return true;
	}
	return false;
}

static void recent_add(struct alert_queue *q, const struct recent_key *k, time_t now)
{
	struct alert_recent *r = &q->recent[q->recent_next];

	memset(r, 0, sizeof(*r));
	r->host = *k->host;
	snprintf(r->zone, sizeof(r->zone), "%s", k->zone);
	r->device = k->mac != NULL;
	if (k->mac)
		memcpy(r->mac, k->mac, sizeof(r->mac));
	r->when = now;
	q->recent_next = (q->recent_next + 1) % ALERT_RECENT_MAX;
	if (q->nrecent < ALERT_RECENT_MAX)
		q->nrecent++;
}

/* Remembered now: at once when no interval is open and nothing waits, else for the digest. */
static enum alert_verdict queue_verdict(struct alert_queue *q, const struct recent_key *k,
					time_t now)
{
	if (recent_has(q, k, now))
		return ALERT_SKIP;
	recent_add(q, k, now);
	if (now >= q->window_end && !q->npending && !q->ndevices) {
		q->window_end = now + (time_t)q->interval;
		return ALERT_NOW;
	}
	return ALERT_DIGEST;
}

enum alert_verdict alert_queue_add(struct alert_queue *q, const struct hit_source *o, time_t now)
{
	struct recent_key k = { .host = &o->src, .zone = o->zone };
	enum alert_verdict v = queue_verdict(q, &k, now);

	if (v == ALERT_DIGEST && q->npending < ALERT_DIGEST_MAX)
		q->pending[q->npending++] = *o;
	else if (v == ALERT_DIGEST)
		q->more++;
	return v;
}

enum alert_verdict alert_queue_add_device(struct alert_queue *q, const struct neigh_finding *f,
					  time_t now)
{
	struct recent_key k = { .host = &f->seen_ip, .zone = f->zone, .mac = f->seen_mac };
	enum alert_verdict v = queue_verdict(q, &k, now);

	if (v == ALERT_DIGEST && q->ndevices < ALERT_DIGEST_MAX)
		q->devices[q->ndevices++] = *f;
	else if (v == ALERT_DIGEST)
		q->more_devices++;
	return v;
}

time_t alert_queue_due(const struct alert_queue *q)
{
	return q->npending || q->ndevices ? q->window_end : 0;
}

size_t alert_queue_take_devices(struct alert_queue *q, struct neigh_finding *out, size_t *more)
{
	size_t n = q->ndevices;

	memcpy(out, q->devices, n * sizeof(*out));
	*more = q->more_devices;
	q->ndevices = q->more_devices = 0;
	return n;
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

static size_t device_total(const struct alert_message *m)
{
	return m->ndevices + m->more_devices;
}

static const char *const change_names[] = {
	[NEIGH_NOTHING] = "-", [NEIGH_IP_MOVED] = "ip-moved", [NEIGH_MAC_MOVED] = "mac-moved",
};

/* The one fact a device alert is about: the listed IP (taken by another MAC) or the listed MAC. */
static void device_subject(const struct neigh_finding *f, char *buf, size_t size)
{
	if (f->change == NEIGH_IP_MOVED) {
		addr_format(&f->seen_ip, buf, size);
	} else {
		char mac[18];

		mac_format(f->listed.mac, mac);
		snprintf(buf, size, "%s", mac);
	}
}

static size_t mail_offenders(const struct alert_message *m, char *buf, size_t size, size_t len)
{
	const char *conf = m->cfg->path ? m->cfg->path : CONFIG_DEFAULT_PATH;
	char host[ADDR_TEXT_MAX], first[40], last[40], line[96];

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
		if (o->escalated) {
			char d[16];

			duration_format(o->escalated, d, sizeof(d));
			len = put(buf, size, len, "escalated:    its guarded ports are dropped for %s "
						  "(escalate); smtpguard unban %s lifts it\n", d, host);
		}
	}
	if (m->more)
		len = put(buf, size, len, "\n... and %zu more hosts (see smtpguard report)\n", m->more);
	return len;
}

static size_t mail_devices(const struct alert_message *m, char *buf, size_t size, size_t len)
{
	const char *conf = m->cfg->path ? m->cfg->path : CONFIG_DEFAULT_PATH;
	char seen_ip[ADDR_TEXT_MAX], listed_ip[ADDR_TEXT_MAX], seen_mac[18], listed_mac[18], when[40];

	len = put(buf, size, len, "smtpguard watch saw %s in the kernel's neighbour table with "
				  "another address:\n",
		  m->kind == ALERT_KIND_DEVICE ? "a listed device" : "listed devices");
	for (size_t i = 0; i < m->ndevices; i++) {
		const struct neigh_finding *f = &m->devices[i];

		addr_format(&f->seen_ip, seen_ip, sizeof(seen_ip));
		addr_format(&f->listed.ip, listed_ip, sizeof(listed_ip));
		mac_format(f->seen_mac, seen_mac);
		mac_format(f->listed.mac, listed_mac);
		time_text(f->when, when, sizeof(when));
		len = put(buf, size, len,
			  "\nseen:         %s %s\nlisted:       %s %s\nchange:       the listed %s "
			  "with another %s\nzone:         %s\ninterface:    %s\ntime:         %s\n"
			  "what to do:   another machine may use the address; if the device itself\n"
			  "              changed, correct its pair in devices of [zone %s] of %s\n"
			  "              and run smtpguard -c %s apply\n",
			  seen_mac, seen_ip, listed_mac, listed_ip,
			  f->change == NEIGH_IP_MOVED ? "IP" : "MAC",
			  f->change == NEIGH_IP_MOVED ? "MAC" : "IP", f->zone, f->ifname, when, f->zone,
			  conf, conf);
	}
	if (m->more_devices)
		len = put(buf, size, len, "\n... and %zu more devices\n", m->more_devices);
	return len;
}

size_t alert_format_mail(const struct alert_message *m, char *buf, size_t size)
{
	size_t len = 0;

	len = put(buf, size, len, "To: %s\nAuto-Submitted: auto-generated\n", m->cfg->alert_mail);
	if (m->kind == ALERT_KIND_ALERT) {
		char host[ADDR_TEXT_MAX];

		addr_format(&m->list[0].src, host, sizeof(host));
		len = put(buf, size, len, "Subject: smtpguard: %s in zone %s is past its alert "
					  "threshold\n\n", host, m->list[0].zone);
	} else if (m->kind == ALERT_KIND_DEVICE) {
		char text[256];

		neighwatch_describe(&m->devices[0], text, sizeof(text));
		len = put(buf, size, len, "Subject: smtpguard: %s\n\n", text);
	} else {
		len = put(buf, size, len, "Subject: smtpguard: digest");
		if (total(m))
			len = put(buf, size, len, ", %zu more hosts past their alert threshold",
				  total(m));
		if (device_total(m))
			len = put(buf, size, len, "%s %zu devices seen with another address",
				  total(m) ? " and" : ",", device_total(m));
		len = put(buf, size, len, "\n\n");
	}
	if (m->n)
		len = mail_offenders(m, buf, size, len);
	if (m->n && m->ndevices)
		len = put(buf, size, len, "\n");
	if (m->ndevices)
		len = mail_devices(m, buf, size, len);
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
	emit_u64(e, EMIT_JSON, "escalated_seconds", o->escalated);
	emit_str(e, EMIT_JSON, "quarantine", line);
	emit_object_close(e);
}

static void emit_device(struct emit *e, const struct neigh_finding *f)
{
	char ip[ADDR_TEXT_MAX], mac[18], when[40];

	emit_object_open(e, EMIT_JSON, NULL);
	emit_str(e, EMIT_JSON, "change", change_names[f->change]);
	emit_str(e, EMIT_JSON, "zone", f->zone);
	emit_str(e, EMIT_JSON, "interface", f->ifname);
	mac_format(f->listed.mac, mac);
	emit_str(e, EMIT_JSON, "listed_mac", mac);
	addr_format(&f->listed.ip, ip, sizeof(ip));
	emit_str(e, EMIT_JSON, "listed_ip", ip);
	mac_format(f->seen_mac, mac);
	emit_str(e, EMIT_JSON, "seen_mac", mac);
	addr_format(&f->seen_ip, ip, sizeof(ip));
	emit_str(e, EMIT_JSON, "seen_ip", ip);
	time_text(f->when, when, sizeof(when));
	emit_str(e, EMIT_JSON, "time", when);
	emit_i64(e, EMIT_JSON, "time_epoch", f->when);
	emit_object_close(e);
}

static const char *const kind_names[] = {
	[ALERT_KIND_ALERT] = "alert", [ALERT_KIND_DIGEST] = "digest", [ALERT_KIND_DEVICE] = "device",
};

size_t alert_format_json(const struct alert_message *m, char *buf, size_t size)
{
	struct emit e;

	emit_init_buffer(&e, buf, size, EMIT_JSON);
	emit_object_open(&e, EMIT_JSON, NULL);
	emit_str(&e, EMIT_JSON, "kind", kind_names[m->kind]);
	emit_str(&e, EMIT_JSON, "config", m->cfg->path ? m->cfg->path : CONFIG_DEFAULT_PATH);
	if (m->kind != ALERT_KIND_DEVICE) {
		emit_u64(&e, EMIT_JSON, "offenders", total(m));
		emit_array_open(&e, EMIT_JSON, "hosts", EMIT_INLINE);
		for (size_t i = 0; i < m->n; i++)
			emit_offender(&e, m->cfg, &m->list[i]);
		emit_array_close(&e);
	}
	if (m->kind != ALERT_KIND_ALERT) {
		emit_u64(&e, EMIT_JSON, "device_findings", device_total(m));
		emit_array_open(&e, EMIT_JSON, "devices", EMIT_INLINE);
		for (size_t i = 0; i < m->ndevices; i++)
			emit_device(&e, &m->devices[i]);
		emit_array_close(&e);
	}
	emit_object_close(&e);
	emit_newline(&e);
	return emit_length(&e);
}

/* A finding's SMTPGUARD_* variables; SMTPGUARD_ZONE unless an offender's came first (a digest). */
static size_t env_device(const struct neigh_finding *f, bool zone, char *buf, size_t size,
			 size_t len)
{
	char seen_ip[ADDR_TEXT_MAX], listed_ip[ADDR_TEXT_MAX], seen_mac[18], listed_mac[18], when[40];

	addr_format(&f->seen_ip, seen_ip, sizeof(seen_ip));
	addr_format(&f->listed.ip, listed_ip, sizeof(listed_ip));
	mac_format(f->seen_mac, seen_mac);
	mac_format(f->listed.mac, listed_mac);
	time_text(f->when, when, sizeof(when));
	len = put(buf, size, len, "SMTPGUARD_CHANGE=%s%cSMTPGUARD_INTERFACE=%s%c",
		  change_names[f->change], 0, f->ifname, 0);
	if (zone)
		len = put(buf, size, len, "SMTPGUARD_ZONE=%s%c", f->zone, 0);
	len = put(buf, size, len, "SMTPGUARD_LISTED_MAC=%s%cSMTPGUARD_LISTED_IP=%s%c", listed_mac, 0,
		  listed_ip, 0);
	return put(buf, size, len, "SMTPGUARD_SEEN_MAC=%s%cSMTPGUARD_SEEN_IP=%s%cSMTPGUARD_TIME=%s%c",
		   seen_mac, 0, seen_ip, 0, when, 0);
}

size_t alert_format_env(const struct alert_message *m, char *buf, size_t size)
{
	char host[ADDR_TEXT_MAX];
	size_t len = 0;

	len = put(buf, size, len, "SMTPGUARD_KIND=%s%c", kind_names[m->kind], 0);
	len = put(buf, size, len, "SMTPGUARD_CONFIG=%s%c",
		  m->cfg->path ? m->cfg->path : CONFIG_DEFAULT_PATH, 0);
	len = put(buf, size, len, "SMTPGUARD_OFFENDERS=%zu%c", total(m), 0);
	if (m->n) {
		const struct hit_source *o = &m->list[0];
		char first[40], last[40];

		addr_format(&o->src, host, sizeof(host));
		time_text(o->first, first, sizeof(first));
		time_text(o->last, last, sizeof(last));
		len = put(buf, size, len, "SMTPGUARD_HOST=%s%cSMTPGUARD_MAC=%s%cSMTPGUARD_ZONE=%s%c",
			  host, 0, o->mac, 0, o->zone, 0);
		len = put(buf, size, len, "SMTPGUARD_MODE=%s%cSMTPGUARD_ATTEMPTS=%llu%c",
			  zone_mode_name(m->cfg, o->zone), 0, (unsigned long long)o->attempts, 0);
		len = put(buf, size, len, "SMTPGUARD_DESTINATIONS=%u%cSMTPGUARD_FIRST=%s%c"
					  "SMTPGUARD_LAST=%s%c",
			  o->destinations, 0, first, 0, last, 0);
		len = put(buf, size, len, "SMTPGUARD_ESCALATED=%u%c", o->escalated, 0);
	}
	len = put(buf, size, len, "SMTPGUARD_HOSTS=");
	for (size_t i = 0; i < m->n; i++) {
		addr_format(&m->list[i].src, host, sizeof(host));
		len = put(buf, size, len, "%s%s", i ? " " : "", host);
	}
	len = put(buf, size, len, "%cSMTPGUARD_DEVICE_FINDINGS=%zu%c", 0, device_total(m), 0);
	if (m->ndevices)
		len = env_device(&m->devices[0], !m->n, buf, size, len);
	len = put(buf, size, len, "%c", 0);
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
	char what[128];		/* "alert about 192.0.2.66 in zone wlan", "digest of 19 hosts" */
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

/*
 * Fork and exec the job's program with its input on a socket pair (not a
 * pipe: a program that exits without reading must not SIGPIPE watch);
 * false when it could not start.
 */
static bool job_start(struct alert *a, struct alert_job *j, time_t now)
{
	const char *path = j->channel == CHANNEL_MAIL ? testenv()->sendmail : a->cfg->alert_command;
	char *const mail_argv[] = { (char *)path, (char *)"-t", (char *)"-oi", NULL };
	char *const cmd_argv[] = { (char *)a->cfg->alert_command, NULL };
	int fds[2];
	ssize_t w;

	j->tries++;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0)
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
	/* the input is far below a socket's buffer: this send does not wait */
	w = send(fds[1], j->input, j->input_len, MSG_NOSIGNAL | MSG_DONTWAIT);
	close(fds[1]);
	/* EPIPE: the program ended without reading it; its exit status, reaped later, tells */
	if (w != (ssize_t)j->input_len && !(w < 0 && errno == EPIPE))
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

/* "alert about 192.0.2.66 in zone wlan", "device alert about ...", "digest of 19 hosts" */
static void message_what(const struct alert_message *m, char *buf, size_t size)
{
	char subject[ADDR_TEXT_MAX];

	if (m->kind == ALERT_KIND_ALERT) {
		addr_format(&m->list[0].src, subject, sizeof(subject));
		snprintf(buf, size, "alert about %s in zone %s", subject, m->list[0].zone);
	} else if (m->kind == ALERT_KIND_DEVICE) {
		device_subject(&m->devices[0], subject, sizeof(subject));
		snprintf(buf, size, "device alert about %s in zone %s", subject, m->devices[0].zone);
	} else if (!device_total(m)) {
		snprintf(buf, size, "digest of %zu host%s", total(m), total(m) == 1 ? "" : "s");
	} else {
		snprintf(buf, size, "digest of %zu host%s and %zu device%s", total(m),
			 total(m) == 1 ? "" : "s", device_total(m), device_total(m) == 1 ? "" : "s");
	}
}

static void send_message(struct alert *a, const struct alert_message *m, time_t now)
{
	for (int c = 0; c < CHANNEL_COUNT; c++) {
		struct alert_job *j;
		size_t len, envlen = 0;

		if (!*(c == CHANNEL_MAIL ? a->cfg->alert_mail : a->cfg->alert_command))
			continue;
		j = job_slot(a);
		j->used = true;
		j->channel = (enum alert_channel)c;
		message_what(m, j->what, sizeof(j->what));
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

/* A digest due by when was sent by the watch that ran then: forget it. */
static void replay_drop_due(struct alert *a, time_t when)
{
	struct hit_source list[ALERT_DIGEST_MAX];
	struct neigh_finding devices[ALERT_DIGEST_MAX];
	time_t due = alert_queue_due(&a->queue);
	size_t more;

	if (due && due <= when) {
		alert_queue_take_devices(&a->queue, devices, &more);
		alert_queue_take(&a->queue, due, list, &more);
	}
}

void alert_replay_offender(struct alert *a, const struct hit_source *o, time_t when)
{
	if (!a->cfg->alert_mail[0] && !a->cfg->alert_command[0])
		return;
	replay_drop_due(a, when);
	alert_queue_add(&a->queue, o, when);
}

void alert_replay_end(struct alert *a, time_t last)
{
	replay_drop_due(a, last);
	arm(a);
}

enum alert_verdict alert_device(struct alert *a, const struct neigh_finding *f)
{
	struct alert_message m = { .kind = ALERT_KIND_DEVICE, .cfg = a->cfg, .devices = f,
				   .ndevices = 1 };
	time_t now = time(NULL);
	enum alert_verdict v = alert_queue_add_device(&a->queue, f, now);

	if (v == ALERT_NOW)
		send_message(a, &m, now);	/* no channel: nothing to run */
	arm(a);
	return v;
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
		struct neigh_finding devices[ALERT_DIGEST_MAX];
		struct alert_message m = { .kind = ALERT_KIND_DIGEST, .cfg = a->cfg, .list = list,
					   .devices = devices };

		m.ndevices = alert_queue_take_devices(&a->queue, devices, &m.more_devices);
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
