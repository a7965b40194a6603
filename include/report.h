/*
 * report.h - the daily port-25 report (`smtpguard report`): the hits of
 * one local day read from log files (plain, rotated, gzip, or stdin),
 * streamed out as they are read (the first article's list), then a
 * summary per source host sorted by attempts and the number of
 * hit-shaped lines skipped because the kernel did not write them.
 *
 * Streaming and bounded: hits are written as they are found; only the
 * per-source table (hit_stats, bounded) is kept.
 *
 * Ownership: report_new() returns a report freed with report_free();
 * cfg and out must outlive it.
 */
#ifndef SMTPGUARD_REPORT_H
#define SMTPGUARD_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "config.h"
#include "error.h"
#include "hit.h"

enum report_format {
	REPORT_TEXT,
	REPORT_CSV,
	REPORT_JSON,
	REPORT_FORMAT_COUNT
};

extern const char *const report_format_names[REPORT_FORMAT_COUNT];	/* "text", "csv", "json" */

struct report_options {
	int year, month, day;		/* the local day reported */
	enum report_format format;
	const struct config *cfg;	/* may be NULL: zones "-", prefix "Illegal port 25 >" */
	enum hit_format file_format;	/* HIT_FORMAT_AUTO, or LOGEMU for ulogd files */
};

struct report;

/* Parse "YYYY-MM-DD" into opts' day; -1 with err (code 2) when it is not a date. */
int report_parse_date(const char *text, struct report_options *opts, struct error *err);
/* Set opts' day to yesterday in local time relative to now. */
void report_set_yesterday(struct report_options *opts, time_t now);

/* Start a report: writes the heading to out. */
struct report *report_new(const struct report_options *opts, FILE *out, struct error *err);

/*
 * Read one file ("-" = stdin; gzip content is inflated) and write its
 * hits of the day.  A plain regular file whose lines are dated in order
 * (up to 10 minutes back) is searched for the day and only that part is
 * read; when the probes find lines without a date or out of order, it
 * is read whole.
 */
int report_add_file(struct report *r, const char *path, struct error *err);
/* Feed one line (tests, fuzzing). */
void report_add_line(struct report *r, const char *line, size_t len);

/*
 * The files to read by default: for the first of cfg's log_files that
 * exists, its rotated siblings that may hold the day (PATH.N.gz ...
 * PATH.1, PATH.gz, oldest first) and PATH itself.  Returns a
 * NULL-terminated array the caller frees with report_files_free().
 */
char **report_default_files(const struct config *cfg, const struct report_options *opts,
			    struct error *err);
void report_files_free(char **files);

/* Write the per-source summary and the untrusted count; finishes the output. */
int report_finish(struct report *r, struct error *err);

uint64_t report_hits(const struct report *r);
uint64_t report_untrusted(const struct report *r);
/* Bytes of the files read so far (inflated): less than their size when the day was searched. */
uint64_t report_bytes_read(const struct report *r);

void report_free(struct report *r);

#endif
