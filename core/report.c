/*
 * report.c - the daily port-25 report; see include/report.h.
 *
 * The text form keeps the first article's report (its heading and one
 * "May 11 11:29:51 > SRC=... - DST=..." line per hit, the same lines its
 * grep | grep | awk pipeline prints for kernel lines) and adds what the
 * pipeline could not: a per-source summary and the number of lines that
 * carried the prefix but were not written by the kernel.
 *
 * Files are read through zlib (gzread reads plain files unchanged) into
 * a bounded line buffer; a line longer than REPORT_LINE_MAX is parsed
 * from its start and the rest skipped.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "json.h"
#include "linebuf.h"
#include "report.h"
#include "sanitize.h"

#define REPORT_LINE_MAX 65536
#define REPORT_MAX_SOURCES 65536
#define REPORT_MAX_PAIRS (1 << 18)
#define REPORT_ROTATIONS 9		/* PATH.9.gz ... PATH.1 */
#define DEFAULT_PREFIX "Illegal port 25 >"

const char *const report_format_names[REPORT_FORMAT_COUNT] = {
	[REPORT_TEXT] = "text",
	[REPORT_CSV] = "csv",
	[REPORT_JSON] = "json",
};

struct report {
	struct report_options opts;
	FILE *out;
	struct hit_context ctx;
	time_t day_start, day_end;
	struct hit_stats *stats;
	uint64_t hits, untrusted, malformed;
	struct linebuf lines;
};

static time_t day_time(int year, int month, int day)
{
	struct tm tm = { .tm_year = year - 1900, .tm_mon = month - 1, .tm_mday = day,
			 .tm_isdst = -1 };

	return mktime(&tm);
}

int report_parse_date(const char *text, struct report_options *opts, struct error *err)
{
	int year, month, day, used = 0;
	struct tm tm;
	time_t t;

	if (sscanf(text, "%4d-%2d-%2d%n", &year, &month, &day, &used) != 3 || used != 10 ||
	    text[used] != '\0' || text[4] != '-' || text[7] != '-' || month < 1 || month > 12 ||
	    day < 1 || day > 31 || year < 1970)
		goto bad;
	t = day_time(year, month, day);
	if (t == (time_t)-1 || !localtime_r(&t, &tm) || tm.tm_mday != day)
		goto bad;
	opts->year = year;
	opts->month = month;
	opts->day = day;
	return 0;
bad:
	error_set(err, "report: --date %s is not a date; write it as YYYY-MM-DD, e.g. 2026-11-21",
		  text);
	err->code = EXIT_USAGE;
	return -1;
}

void report_set_yesterday(struct report_options *opts, time_t now)
{
	struct tm tm;
	time_t t;

	localtime_r(&now, &tm);
	/* noon of today minus a day: safe across daylight saving changes */
	t = day_time(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday) + 12 * 3600 - 86400;
	localtime_r(&t, &tm);
	opts->year = tm.tm_year + 1900;
	opts->month = tm.tm_mon + 1;
	opts->day = tm.tm_mday;
}

/* A CSV field: sanitized, quoted when it holds a comma, quote or space. */
static void csv_field(FILE *out, const char *s)
{
	char clean[256];

	sanitize_text(s, strlen(s), clean, sizeof(clean));
	if (!strpbrk(clean, ",\" ")) {
		fputs(clean, out);
		return;
	}
	putc('"', out);
	for (const char *p = clean; *p; p++) {
		if (*p == '"')
			putc('"', out);
		putc(*p, out);
	}
	putc('"', out);
}

static void iso_time(time_t t, char *buf, size_t size)
{
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
}

static void write_heading(struct report *r)
{
	char date[32];
	struct tm tm;
	time_t t = r->day_start;

	localtime_r(&t, &tm);
	switch (r->opts.format) {
	case REPORT_TEXT:
		strftime(date, sizeof(date), "%b %e %Y", &tm);
		fprintf(r->out, "Illegal traffic across the network\nDate : %s\n", date);
		fputs("===========================================\n \nPort", r->out);
		if (r->opts.cfg && r->opts.cfg->nports) {
			for (size_t i = 0; i < r->opts.cfg->nports; i++)
				fprintf(r->out, "%s %u", i ? "," : "", r->opts.cfg->ports[i]);
		} else {
			fputs(" 25", r->out);
		}
		fputs(" (virus, local smtp server,...)\n", r->out);
		break;
	case REPORT_CSV:
		fputs("record,time,zone,src,dst,sport,dport,in,out,mac,attempts,destinations,first,"
		      "last\n",
		      r->out);
		break;
	case REPORT_JSON:
		fprintf(r->out, "{\"date\":\"%04d-%02d-%02d\",\"hits\":[", r->opts.year,
			r->opts.month, r->opts.day);
		break;
	default:
		break;
	}
}

static void write_hit(struct report *r, const struct hit *h)
{
	char src[ADDR_TEXT_MAX], dst[ADDR_TEXT_MAX], when[32], mac[18];
	struct tm tm;

	addr_format(&h->src, src, sizeof(src));
	addr_format(&h->dst, dst, sizeof(dst));
	switch (r->opts.format) {
	case REPORT_TEXT:
		/* As the article's awk prints it: "$1 $2 $3 > SRC=... - DST=..." */
		localtime_r(&h->time, &tm);
		strftime(when, sizeof(when), "%b %d %H:%M:%S", &tm);
		if (when[4] == '0')
			memmove(when + 4, when + 5, strlen(when + 4));
		fprintf(r->out, "%s > SRC=%s - DST=%s\n", when, src, dst);
		break;
	case REPORT_CSV:
		iso_time(h->time, when, sizeof(when));
		fprintf(r->out, "hit,%s,%s,%s,%s,%u,%u,", when, h->zone, src, dst, h->sport,
			h->dport);
		csv_field(r->out, h->in);
		putc(',', r->out);
		csv_field(r->out, h->out);
		if (h->has_src_mac)
			mac_format(h->src_mac, mac);
		fprintf(r->out, ",%s,,,,\n", h->has_src_mac ? mac : "");
		break;
	case REPORT_JSON:
		if (r->hits > 1)
			putc(',', r->out);
		fputs("\n", r->out);
		hit_write_json(h, r->out);
		break;
	default:
		break;
	}
}

struct report *report_new(const struct report_options *opts, FILE *out, struct error *err)
{
	struct report *r = calloc(1, sizeof(*r));

	if (!r) {
		error_set(err, "report: out of memory");
		return NULL;
	}
	r->opts = *opts;
	r->out = out;
	r->day_start = day_time(opts->year, opts->month, opts->day);
	r->day_end = day_time(opts->year, opts->month, opts->day + 1);
	hit_context_init(&r->ctx, opts->cfg);
	/* Year-less dates are read as of the day after the report's day. */
	r->ctx.now = r->day_start + 36 * 3600;
	if (!r->ctx.prefix || !r->ctx.prefix[0])
		r->ctx.prefix = DEFAULT_PREFIX;
	r->stats = hit_stats_new(REPORT_MAX_SOURCES, REPORT_MAX_PAIRS);
	if (!r->stats || linebuf_init(&r->lines, REPORT_LINE_MAX) < 0 ||
	    r->day_start == (time_t)-1) {
		report_free(r);
		error_set(err, "report: out of memory");
		return NULL;
	}
	write_heading(r);
	return r;
}

void report_add_line(struct report *r, const char *line, size_t len)
{
	struct hit h;

	switch (hit_parse_line(line, len, r->opts.file_format, &r->ctx, &h)) {
	case HIT_OK:
		if (h.time < r->day_start || h.time >= r->day_end)
			return;
		r->hits++;
		hit_stats_add(r->stats, &h);
		write_hit(r, &h);
		break;
	case HIT_UNTRUSTED:
		if (h.time >= r->day_start && h.time < r->day_end)
			r->untrusted++;
		break;
	case HIT_MALFORMED:
		if (h.time >= r->day_start && h.time < r->day_end)
			r->malformed++;
		break;
	default:
		break;
	}
}

static void report_line(void *arg, const char *line, size_t len)
{
	report_add_line(arg, line, len);
}

int report_add_file(struct report *r, const char *path, struct error *err)
{
	bool is_stdin = strcmp(path, "-") == 0;
	int fd = is_stdin ? dup(STDIN_FILENO) : open(path, O_RDONLY | O_CLOEXEC);
	gzFile gz;
	int n, zerr;

	if (fd < 0)
		return error_set(err, "report: cannot open %s: %s; check the path or pass files to read",
				 is_stdin ? "standard input" : path, strerror(errno));
	gz = gzdopen(fd, "rb");
	if (!gz) {
		close(fd);
		return error_set(err, "report: cannot read %s: out of memory", path);
	}
	gzbuffer(gz, 128 * 1024);
	for (;;) {
		size_t room;
		char *at = linebuf_space(&r->lines, &room);

		n = gzread(gz, at, (unsigned)room);
		if (n <= 0)
			break;
		linebuf_commit(&r->lines, (size_t)n, report_line, r);
	}
	linebuf_finish(&r->lines, report_line, r);
	/* A truncated gzip file ends with Z_BUF_ERROR after the data it had. */
	gzerror(gz, &zerr);
	if (n < 0 || (zerr != Z_OK && zerr != Z_STREAM_END)) {
		int e;
		const char *msg = gzerror(gz, &e);

		error_set(err, "report: cannot read %s: %s; is it a complete gzip file?",
			  is_stdin ? "standard input" : path,
			  e == Z_ERRNO ? strerror(errno) : msg);
		gzclose(gz);
		return -1;
	}
	gzclose(gz);
	return 0;
}

static bool file_may_hold(const char *path, time_t day_start)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_mtime >= day_start;
}

static int files_push(char ***files, size_t *n, const char *path)
{
	char **grown = realloc(*files, (*n + 2) * sizeof(**files));

	if (!grown)
		return -1;
	*files = grown;
	grown[*n] = strdup(path);
	if (!grown[*n])
		return -1;
	grown[++*n] = NULL;
	return 0;
}

char **report_default_files(const struct config *cfg, const struct report_options *opts,
			    struct error *err)
{
	time_t day_start = day_time(opts->year, opts->month, opts->day);
	const char *base = NULL;
	char **files = NULL;
	size_t n = 0;
	char path[4096];
	struct stat st;

	for (size_t i = 0; cfg && i < cfg->nlog_files && !base; i++)
		if (stat(cfg->log_files[i], &st) == 0)
			base = cfg->log_files[i];
	if (!base) {
		error_set(err, "report: none of the log_files in %s exists; set log_files, pass the "
			       "files to read, or pipe the journal: journalctl -k -o json | smtpguard "
			       "report -",
			  cfg && cfg->path ? cfg->path : "the config");
		err->code = EXIT_USAGE;
		return NULL;
	}
	/* Oldest first, so the hits come out in time order. */
	for (int k = REPORT_ROTATIONS; k >= 0; k--) {
		char number[16] = "";

		if (k)
			snprintf(number, sizeof(number), ".%d", k);
		for (int gz = 1; gz >= 0; gz--) {
			snprintf(path, sizeof(path), "%s%s%s", base, number, gz ? ".gz" : "");
			if (file_may_hold(path, day_start) && files_push(&files, &n, path) < 0) {
				report_files_free(files);
				error_set(err, "report: out of memory");
				return NULL;
			}
		}
	}
	if (!files && files_push(&files, &n, base) < 0) {
		error_set(err, "report: out of memory");
		return NULL;
	}
	return files;
}

void report_files_free(char **files)
{
	if (!files)
		return;
	for (char **f = files; *f; f++)
		free(*f);
	free(files);
}

static void write_source(struct report *r, const struct hit_source *s, bool first_source)
{
	char src[ADDR_TEXT_MAX], first[32], last[32], dests[16];
	struct tm tm;

	addr_format(&s->src, src, sizeof(src));
	snprintf(dests, sizeof(dests), "%u%s", s->destinations, s->destinations_capped ? "+" : "");
	switch (r->opts.format) {
	case REPORT_TEXT:
		localtime_r(&s->first, &tm);
		strftime(first, sizeof(first), "%H:%M:%S", &tm);
		localtime_r(&s->last, &tm);
		strftime(last, sizeof(last), "%H:%M:%S", &tm);
		fprintf(r->out, "%-12s %-39s %-17s %8llu %12s  %s  %s\n", s->zone[0] ? s->zone : "-",
			src, s->mac[0] ? s->mac : "-", (unsigned long long)s->attempts, dests, first,
			last);
		break;
	case REPORT_CSV:
		iso_time(s->first, first, sizeof(first));
		iso_time(s->last, last, sizeof(last));
		fprintf(r->out, "source,,%s,%s,,,,,,%s,%llu,%s,%s,%s\n", s->zone, src, s->mac,
			(unsigned long long)s->attempts, dests, first, last);
		break;
	case REPORT_JSON:
		iso_time(s->first, first, sizeof(first));
		iso_time(s->last, last, sizeof(last));
		fprintf(r->out,
			"%s\n{\"zone\":\"%s\",\"src\":\"%s\",\"mac\":\"%s\",\"attempts\":%llu,"
			"\"destinations\":%u,\"destinations_capped\":%s,\"first\":\"%s\",\"last\":\"%s\"}",
			first_source ? "" : ",", s->zone, src, s->mac, (unsigned long long)s->attempts,
			s->destinations, s->destinations_capped ? "true" : "false", first, last);
		break;
	default:
		break;
	}
}

int report_finish(struct report *r, struct error *err)
{
	size_t n = hit_stats_count(r->stats);
	struct hit_source *top = n ? calloc(n, sizeof(*top)) : NULL;
	uint64_t overflow = hit_stats_overflow(r->stats);

	if (n && !top)
		return error_set(err, "report: out of memory for the summary of %zu sources", n);
	n = hit_stats_top(r->stats, top, n);
	switch (r->opts.format) {
	case REPORT_TEXT:
		fprintf(r->out, " \nSources by attempts (%llu hits from %zu hosts)\n",
			(unsigned long long)r->hits, n);
		if (n)
			fprintf(r->out, "%-12s %-39s %-17s %8s %12s  %-8s  %s\n", "zone", "source",
				"MAC", "attempts", "destinations", "first", "last");
		break;
	case REPORT_JSON:
		fputs("],\"sources\":[", r->out);
		break;
	default:
		break;
	}
	for (size_t i = 0; i < n; i++)
		write_source(r, &top[i], i == 0);
	free(top);
	switch (r->opts.format) {
	case REPORT_TEXT:
		if (overflow)
			fprintf(r->out, "%llu attempts from further hosts not itemized (over %d hosts)\n",
				(unsigned long long)overflow, REPORT_MAX_SOURCES);
		fprintf(r->out,
			" \nUntrusted lines skipped: %llu (carry the log prefix but were not written by "
			"the kernel, e.g. logger)\n",
			(unsigned long long)r->untrusted);
		if (r->malformed)
			fprintf(r->out, "Malformed kernel lines skipped: %llu\n",
				(unsigned long long)r->malformed);
		break;
	case REPORT_CSV:
		fprintf(r->out, "untrusted,,,,,,,,,,%llu,,,\n", (unsigned long long)r->untrusted);
		fprintf(r->out, "malformed,,,,,,,,,,%llu,,,\n", (unsigned long long)r->malformed);
		break;
	case REPORT_JSON:
		fprintf(r->out, "],\"attempts\":%llu,\"untrusted\":%llu,\"malformed\":%llu,"
				"\"overflow\":%llu}\n",
			(unsigned long long)r->hits, (unsigned long long)r->untrusted,
			(unsigned long long)r->malformed, (unsigned long long)overflow);
		break;
	default:
		break;
	}
	if (fflush(r->out) != 0 || ferror(r->out))
		return error_set(err, "report: cannot write the report: %s", strerror(errno));
	return 0;
}

uint64_t report_hits(const struct report *r)
{
	return r->hits;
}

uint64_t report_untrusted(const struct report *r)
{
	return r->untrusted;
}

void report_free(struct report *r)
{
	if (!r)
		return;
	hit_stats_free(r->stats);
	linebuf_free(&r->lines);
	free(r);
}
