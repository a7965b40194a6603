/*
 * hitslog.h - the hits log `smtpguard watch` writes: one line per hit,
 * hit_emit()'s JSON object (the form `hits --json` prints), and one line
 * per batch in which the kernel dropped records before they were read:
 *   {"time":"2026-11-22T11:29:51.000000+01:00","epoch":1795429791,"lost":12,"source":"NFLOG group 25"}
 * and one line per offender `watch` escalated (the evidence: who, where,
 * for how long, after how many attempts):
 *   {"time":"...","epoch":1795429791,"escalated":86400,"zone":"wlan","host":"192.0.2.66","mac":"00:02:2d:11:22:33","attempts":21}
 * hit.c reads the hit lines back (HIT_FORMAT_HITSLOG); a "lost" or an
 * "escalated" line has no "src" and is no hit to it.
 *
 * Lines are collected in a buffer and written with one write() per
 * batch to a descriptor opened with O_APPEND (so a copytruncate rotation
 * leaves no hole); before it, hitslog_flush() checks with one stat()
 * that the path still names the open file and reopens it when it was
 * renamed or removed (logrotate without copytruncate): a renamed file
 * gets no line written after the rename was seen.  Written lines survive a
 * crash of the process (they are in the kernel); not a power loss.
 *
 * Reading it back at start (hitslog_replay()): watch resumes its offender
 * windows and alert rate from the hits of the last window.  The tail is
 * found by stepping back from the end one block at a time until a line
 * dated before the window (less HITSLOG_REPLAY_SLACK: lines may be that
 * much out of order) is seen, so the cost follows the window, not the
 * file.  Only the file at path is read: hits of the window that a
 * rotation moved away are not replayed.
 *
 * Ownership: hitslog_open() returns a log the caller closes with
 * hitslog_close(); path is copied.
 */
#ifndef SMTPGUARD_HITSLOG_H
#define SMTPGUARD_HITSLOG_H

#include <stdint.h>
#include <time.h>

#include "error.h"
#include "hit.h"

struct hitslog;

/* Open (create 0640, and its folder 0750 when missing) path for appending. */
struct hitslog *hitslog_open(const char *path, struct error *err);
/* Add one hit's line; writes the buffer out when it is full. */
int hitslog_add_hit(struct hitslog *l, const struct hit *h, struct error *err);
/* Add a line saying the kernel dropped n records of source before they were read. */
int hitslog_add_lost(struct hitslog *l, uint64_t n, const char *source, time_t when,
		     struct error *err);
/* Add a line saying offender o was escalated for o->escalated seconds at when. */
int hitslog_add_escalated(struct hitslog *l, const struct hit_source *o, time_t when,
			  struct error *err);
/* Reopen the path when it no longer names the open file, then write what is buffered. */
int hitslog_flush(struct hitslog *l, struct error *err);
/* Open the path again, then write what is buffered (SIGHUP). */
int hitslog_reopen(struct hitslog *l, struct error *err);
/* Lines written since open, and reopenings (renames followed, SIGHUPs). */
uint64_t hitslog_lines(const struct hitslog *l);
uint64_t hitslog_reopened(const struct hitslog *l);
const char *hitslog_path(const struct hitslog *l);
/*
 * Call fn, in file order, for each trusted hit of the file at path dated
 * since or later.  A missing file has none.  Returns the number of hits
 * given to fn, or -1 with err when the file cannot be read.
 */
#define HITSLOG_REPLAY_SLACK 600	/* seconds */
long hitslog_replay(const char *path, time_t since, const struct hit_context *ctx,
		    void (*fn)(void *arg, const struct hit *h), void *arg, struct error *err);
/* Write what is buffered (errors dropped: nowhere to say them) and free. */
void hitslog_close(struct hitslog *l);

#endif
