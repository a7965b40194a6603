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

#define HITSLOG_BUFFER (64 * 1024)	/* a batch of lines; a line is well under 1 KiB */
#define HITSLOG_LINE_MAX 2048

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
