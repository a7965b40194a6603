/*
 * logsource.h - live sources of hits for the console and
 * `smtpguard hits --follow`: /dev/kmsg (LOG target), a log file
 * followed across rotation (rename and truncate), and an NFLOG group
 * (libnetfilter_log; the group is bound only while the source is open).
 *
 * Every source has one fd for poll(); logsource_read() never blocks:
 * it handles what is ready (at most a bounded batch, so a flood cannot
 * stall the caller) and hands each trusted hit to a callback.  Lines
 * the kernel did not write are counted, never delivered; records the
 * kernel dropped before we read them (kmsg overrun, NFLOG ENOBUFS) are
 * counted as lost.
 *
 * Ownership: logsource_open_*() return a source the caller closes with
 * logsource_close(); the context's config must outlive the source.
 * The hit passed to the callback lives only for the call.
 */
#ifndef SMTPGUARD_LOGSOURCE_H
#define SMTPGUARD_LOGSOURCE_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "error.h"
#include "hit.h"

enum logsource_kind {
	LOGSOURCE_KMSG,
	LOGSOURCE_FILE,
	LOGSOURCE_NFLOG,
};

struct logsource_counts {
	uint64_t lines;		/* lines or messages read */
	uint64_t hits;		/* trusted hits delivered */
	uint64_t untrusted;	/* hit-shaped lines the kernel did not write */
	uint64_t malformed;	/* lines with our prefix that did not parse */
	uint64_t lost;		/* records dropped by the kernel before we read them */
	uint64_t reopened;	/* file rotations followed */
};

typedef void (*logsource_hit_fn)(void *arg, const struct hit *h);

struct logsource;

/* /dev/kmsg, non-blocking, positioned at the end (only new records). */
struct logsource *logsource_open_kmsg(const struct hit_context *ctx, struct error *err);

/*
 * Follow path: from its end (from_start false) or its beginning.  When
 * the file is renamed away (a new inode at path) the rest of the old
 * one is read, then the new one from its start; when it shrinks, it is
 * read again from 0.  format: HIT_FORMAT_SYSLOG or HIT_FORMAT_LOGEMU.
 */
struct logsource *logsource_open_file(const char *path, enum hit_format format, bool from_start,
				      const struct hit_context *ctx, struct error *err);

/*
 * Bind NFLOG group (0..65535) and listen.  A group another process
 * holds (ulogd2, another smtpguard) is an error that says so, as is a
 * missing libnetfilter_log (opened here, on the first call).
 */
struct logsource *logsource_open_nflog(unsigned group, const struct hit_context *ctx,
				       struct error *err);

/*
 * The live source the config names: log_target = nflog -> its NFLOG
 * group; log -> /dev/kmsg when readable, else the first readable of
 * log_files followed from its end.
 */
struct logsource *logsource_open_config(const struct hit_context *ctx, struct error *err);

/* For poll() (POLLIN).  Files: an inotify fd on the file's folder. */
int logsource_fd(const struct logsource *src);
enum logsource_kind logsource_kind(const struct logsource *src);
/* "/dev/kmsg", "NFLOG group 25", the file's path. */
const char *logsource_name(const struct logsource *src);

/*
 * Read what is ready, without blocking, and call fn for each trusted
 * hit.  Returns the number of hits delivered (0 when nothing was
 * ready), or -1 with err.  Call it when the fd is readable, and at
 * least once a second for files (rotation is checked on each call).
 */
int logsource_read(struct logsource *src, logsource_hit_fn fn, void *arg, struct error *err);

const struct logsource_counts *logsource_counts(const struct logsource *src);

void logsource_close(struct logsource *src);

/*
 * Read the configured log_files (the first that exists) from the start
 * and push every trusted hit into ring: the "recent hits" before live
 * following starts.  Only the last max_bytes of the file are read
 * (0 = all).  Untrusted lines are added to *untrusted (may be NULL).
 */
int logsource_backfill(const struct hit_context *ctx, struct hit_ring *ring, size_t max_bytes,
		       uint64_t *untrusted, struct error *err);

#endif
