/*
 * hitslog.c - the hits log of `smtpguard watch`; see include/hitslog.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "emit.h"
#include "hitslog.h"
#include "linebuf.h"

#define HITSLOG_BUFFER (64 * 1024)	/* a batch of lines; a line is well under 1 KiB */
#define HITSLOG_LINE_MAX 2048
#define REPLAY_STEP (64 * 1024)	/* how far back each probe of the tail goes */

struct hitslog {
	char *path;
	int fd;
	dev_t dev;
	ino_t ino;
	size_t used;
	uint64_t lines, reopened;
	char buf[HITSLOG_BUFFER];
};

static int log_open_fd(struct hitslog *l, struct error *err)
{
	char dir[4096];
	struct stat st;
	int fd;

	snprintf(dir, sizeof(dir), "%s", l->path);
	if (mkdir(dirname(dir), 0750) < 0 && errno != EEXIST)
		return error_set(err, "hits log: cannot create the folder of %s: %s; create it or "
				      "set hits_log", l->path, strerror(errno));
	fd = open(l->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);
	if (fd < 0)
		return error_set(err, "hits log: cannot open %s: %s; check hits_log and the "
				      "folder's permissions", l->path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return error_set(err, "hits log: %s is not a regular file; set hits_log to a file",
				 l->path);
	}
	if (l->fd >= 0)
		close(l->fd);
	l->fd = fd;
	l->dev = st.st_dev;
	l->ino = st.st_ino;
	return 0;
}

struct hitslog *hitslog_open(const char *path, struct error *err)
{
	struct hitslog *l = calloc(1, sizeof(*l));

	if (!l || !(l->path = strdup(path))) {
		free(l);
		error_set(err, "hits log: out of memory");
		return NULL;
	}
	l->fd = -1;
	if (log_open_fd(l, err) < 0) {
		free(l->path);
		free(l);
		return NULL;
	}
	return l;
}

static int log_write_out(struct hitslog *l, struct error *err)
{
	size_t done = 0;

	while (done < l->used) {
		ssize_t n = write(l->fd, l->buf + done, l->used - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			/* Keep the lines: the next flush tries again (a full disk may get room) */
			memmove(l->buf, l->buf + done, l->used - done);
			l->used -= done;
			return error_set(err, "hits log: cannot write %s: %s", l->path,
					 strerror(errno));
		}
		done += (size_t)n;
	}
	l->used = 0;
	return 0;
}

/* Append line[0..len) and a newline to the buffer. */
static int log_add(struct hitslog *l, const char *line, size_t len, struct error *err)
{
	if (len >= HITSLOG_LINE_MAX)
		return error_set(err, "hits log: a line of %zu bytes was not written", len);
	if (l->used + len + 1 > sizeof(l->buf) && log_write_out(l, err) < 0)
		return -1;
	memcpy(l->buf + l->used, line, len);
	l->buf[l->used + len] = '\n';
	l->used += len + 1;
	l->lines++;
	return 0;
}

int hitslog_add_hit(struct hitslog *l, const struct hit *h, struct error *err)
{
	char line[HITSLOG_LINE_MAX];
	struct emit e;

	emit_init_buffer(&e, line, sizeof(line), EMIT_JSON);
	emit_object_open(&e, EMIT_JSON, NULL);
	hit_emit(&e, h);
	emit_object_close(&e);
	return log_add(l, line, emit_length(&e), err);
}

/* A record's start: {"time":"...+01:00","epoch":N (a hit's form, whole seconds). */
static void log_record_open(struct emit *e, char *line, size_t size, time_t when)
{
	char stamp[64], zone[8];
	struct tm tm;

	localtime_r(&when, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S.000000", &tm);
	strftime(zone, sizeof(zone), "%z", &tm);
	snprintf(stamp + strlen(stamp), sizeof(stamp) - strlen(stamp), "%.3s:%s", zone, zone + 3);
	emit_init_buffer(e, line, size, EMIT_JSON);
	emit_object_open(e, EMIT_JSON, NULL);
	emit_str(e, EMIT_JSON, "time", stamp);
	emit_i64(e, EMIT_JSON, "epoch", when);
}

int hitslog_add_lost(struct hitslog *l, uint64_t n, const char *source, time_t when,
		     struct error *err)
{
	char line[HITSLOG_LINE_MAX];
	struct emit e;

	log_record_open(&e, line, sizeof(line), when);
	emit_u64(&e, EMIT_JSON, "lost", n);
	emit_str(&e, EMIT_JSON, "source", source);
	emit_object_close(&e);
	return log_add(l, line, emit_length(&e), err);
}

int hitslog_add_escalated(struct hitslog *l, const struct hit_source *o, time_t when,
			  struct error *err)
{
	char line[HITSLOG_LINE_MAX], host[ADDR_TEXT_MAX];
	struct emit e;

	addr_format(&o->src, host, sizeof(host));
	log_record_open(&e, line, sizeof(line), when);
	emit_u64(&e, EMIT_JSON, "escalated", o->escalated);
	emit_str(&e, EMIT_JSON, "zone", o->zone);
	emit_str(&e, EMIT_JSON, "host", host);
	emit_str(&e, EMIT_JSON, "mac", o->mac);
	emit_u64(&e, EMIT_JSON, "attempts", o->attempts);
	emit_object_close(&e);
	return log_add(l, line, emit_length(&e), err);
}

/* Open the path again when it no longer names the open file (checked before writing). */
int hitslog_flush(struct hitslog *l, struct error *err)
{
	struct stat st;

	if (stat(l->path, &st) < 0 || st.st_dev != l->dev || st.st_ino != l->ino) {
		if (log_open_fd(l, err) < 0)
			return -1;
		l->reopened++;
	}
	return log_write_out(l, err);
}

int hitslog_reopen(struct hitslog *l, struct error *err)
{
	if (log_open_fd(l, err) < 0)
		return -1;
	l->reopened++;
	return log_write_out(l, err);
}

uint64_t hitslog_lines(const struct hitslog *l)
{
	return l->lines;
}

uint64_t hitslog_reopened(const struct hitslog *l)
{
	return l->reopened;
}

const char *hitslog_path(const struct hitslog *l)
{
	return l->path;
}

void hitslog_close(struct hitslog *l)
{
	if (!l)
		return;
	log_write_out(l, NULL);
	if (l->fd >= 0)
		close(l->fd);
	free(l->path);
	free(l);
}

/* The "epoch" of a record line; false when it has none. */
static bool line_epoch(const char *line, size_t len, time_t *out)
{
	static const char key[] = "\"epoch\":";
	const char *p = memmem(line, len, key, sizeof(key) - 1), *end = line + len;
	long long t = 0;

	if (!p)
		return false;
	for (p += sizeof(key) - 1; p < end && *p >= '0' && *p <= '9' && t < 100000000000LL; p++)
		t = t * 10 + (*p - '0');
	*out = (time_t)t;
	return p < end && (*p == ',' || *p == '}');
}

/* Where reading must start to see every line dated since or later: a line start, 0 for the whole file. */
static off_t replay_start(int fd, off_t size, time_t since)
{
	char buf[HITSLOG_LINE_MAX * 2];

	for (off_t at = size; at > 0;) {
		const char *line, *nl;
		ssize_t n;
		time_t t;

		at = at > REPLAY_STEP ? at - REPLAY_STEP : 0;
		if (!at)
			return 0;
		n = pread(fd, buf, sizeof(buf), at);
		if (n <= 0 || !(nl = memchr(buf, '\n', (size_t)n)))
			continue;
		line = nl + 1;
		nl = memchr(line, '\n', (size_t)(buf + n - line));
		if (nl && line_epoch(line, (size_t)(nl - line), &t) &&
		    t < since - HITSLOG_REPLAY_SLACK)
			return at + (line - buf);
	}
	return 0;
}

struct replay {
	const struct hit_context *ctx;
	time_t since;
	void (*fn)(void *arg, const struct hit *h);
	void *arg;
	long hits;
};

static void replay_line(void *arg, const char *line, size_t len)
{
	struct replay *r = arg;
	struct hit h;

	if (hit_parse_line(line, len, HIT_FORMAT_HITSLOG, r->ctx, &h) == HIT_OK &&
	    h.time >= r->since) {
		r->fn(r->arg, &h);
		r->hits++;
	}
}

long hitslog_replay(const char *path, time_t since, const struct hit_context *ctx,
		    void (*fn)(void *arg, const struct hit *h), void *arg, struct error *err)
{
	struct replay r = { .ctx = ctx, .since = since, .fn = fn, .arg = arg };
	struct linebuf lb;
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW), saved = 0;
	ssize_t n = 0;

	if (fd < 0 && errno == ENOENT)
		return 0;
	if (fd < 0 || fstat(fd, &st) < 0 || lseek(fd, replay_start(fd, st.st_size, since),
						    SEEK_SET) < 0) {
		saved = errno;
		if (fd >= 0)
			close(fd);
		error_set(err, "hits log: cannot read %s: %s", path, strerror(saved));
		return -1;
	}
	if (linebuf_init(&lb, HITSLOG_LINE_MAX) < 0) {
		close(fd);
		error_set(err, "hits log: out of memory");
		return -1;
	}
	for (;;) {
		size_t room;
		char *at = linebuf_space(&lb, &room);

		n = read(fd, at, room);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		linebuf_commit(&lb, (size_t)n, replay_line, &r);
	}
	saved = errno;
	linebuf_finish(&lb, replay_line, &r);
	linebuf_free(&lb);
	close(fd);
	if (n < 0) {
		error_set(err, "hits log: cannot read %s: %s", path, strerror(saved));
		return -1;
	}
	return r.hits;
}
