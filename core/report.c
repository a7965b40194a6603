/*
 * report.c - the daily port-25 report; see include/report.h.
 *
 * The text form keeps the first article's report (its heading and one
 * "May 11 11:29:51 > SRC=... - DST=..." line per hit, the same lines its
 * grep | grep | awk pipeline prints for kernel lines) and adds what the
 * pipeline could not: a per-source summary and the number of lines that
 * carried the prefix but were not written by the kernel.
 *
 * Reading is what costs on a large log, and few of its lines are hits:
 * - a plain file is read() in large blocks (only gzip goes through zlib);
 * - each block of whole lines is searched for the log prefix (and for a
 *   backslash, which a journal line may use to escape it) and only the
 *   lines holding one are parsed: a line without either is HIT_NONE for
 *   every format hit.c reads, so the counts are the same as parsing all;
 * - a hit line starting like one dated two days or more from the day is
 *   not parsed (report_lines());
 * - in a plain regular file whose line dates are in order, the day is
 *   found by binary search and only its bytes are read (day_seek()).
 * A line longer than REPORT_LINE_MAX is parsed from its start and the
 * rest skipped, whichever way it is read.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "emit.h"
#include "linebuf.h"
#include "report.h"

#define REPORT_LINE_MAX 65536
#define REPORT_BLOCK (256 * 1024)	/* read size: well above a line, within a core's cache */
#define SEEK_MIN_SIZE (1 << 20)		/* smaller files are read whole */
#define SEEK_WINDOW 4096		/* bytes read at each probe */
#define SEEK_GRAIN (64 * 1024)		/* the day's edges are found this closely, then read */
#define SEEK_SLACK 600			/* seconds a line may be dated before one above it */
#define SEEK_DATE_MAX 48		/* a line's date is within its first bytes */
#define FAR_HEAD_LEN 7			/* "Nov  7 ", "Nov 17 ", "Nov 7 0": fixes a syslog date's day */
#define FAR_FROM_DAY (2 * 86400)
/* Bounds of the summary, within the RSS budget (16 MB) even when full. */
#define REPORT_MAX_SOURCES 16384
#define REPORT_MAX_PAIRS (1 << 17)
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
	struct emit emit;		/* the rows, in opts.format */
	struct hit_context ctx;
	time_t day_start, day_end;
	struct hit_stats *stats;
	uint64_t hits, untrusted, malformed;
	uint64_t bytes;			/* read from the files (inflated) */
	size_t plen;			/* the prefix without trailing spaces, as hit.c compares it */
	struct linebuf lines;
	char far_head[FAR_HEAD_LEN];	/* see report_lines() */
	bool far_head_set;
	time_t minute;			/* the hit lines' time text of this minute: see hit_when() */
	char minute_text[32];
	size_t minute_len;
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

static void iso_time(time_t t, char *buf, size_t size)
{
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
}

/* The CSV columns: a hit row, a source row and the counts share them. */
static const char *const report_columns[] = {
	"record", "time", "zone", "src", "dst", "sport", "dport", "in", "out", "mac",
	"attempts", "destinations", "first", "last", NULL,
};

static const enum emit_form report_forms[REPORT_FORMAT_COUNT] = {
	[REPORT_TEXT] = EMIT_TEXT,
	[REPORT_CSV] = EMIT_CSV,
	[REPORT_JSON] = EMIT_JSON,
};

static void write_heading(struct report *r)
{
	struct emit *e = &r->emit;
	char date[32];
	struct tm tm;
	time_t t = r->day_start;

	emit_init(e, r->out, report_forms[r->opts.format], report_columns);
	localtime_r(&t, &tm);
	strftime(date, sizeof(date), "%b %e %Y", &tm);
	emit_text(e, "Illegal traffic across the network\nDate : %s\n"
		     "===========================================\n \nPort", date);
	if (r->opts.cfg && r->opts.cfg->nports) {
		for (size_t i = 0; i < r->opts.cfg->nports; i++)
			emit_text(e, "%s %u", i ? "," : "", r->opts.cfg->ports[i]);
	} else {
		emit_text(e, " 25");
	}
	emit_text(e, " (virus, local smtp server,...)\n");
	snprintf(date, sizeof(date), "%04d-%02d-%02d", r->opts.year, r->opts.month, r->opts.day);
	emit_object_open(e, EMIT_JSON, NULL);
	emit_str(e, EMIT_JSON, "date", date);
	emit_array_open(e, EMIT_JSON, "hits", EMIT_LINES);
}

/*
 * "May 11 11:29:51" of t, as the first article's awk printed it from
 * the syslog date ("May  1" written "May 1").  strftime() runs once a
 * minute: within one (UTC) minute only the seconds change, as every
 * zone's offset and its changes are whole minutes (checked: else no
 * reuse).  Returns the length written to buf[32].
 */
static size_t hit_when(struct report *r, time_t t, char *buf)
{
	time_t minute = t - (t % 60 + 60) % 60;
	struct tm tm;
	size_t n;

	if (r->minute_len && r->minute == minute) {
		unsigned sec = (unsigned)(t - minute);

		memcpy(buf, r->minute_text, r->minute_len);
		buf[r->minute_len - 2] = (char)('0' + sec / 10);
		buf[r->minute_len - 1] = (char)('0' + sec % 10);
		return r->minute_len;
	}
	localtime_r(&t, &tm);
	n = strftime(buf, 32, "%b %d %H:%M:%S", &tm);
	if (n > 4 && buf[4] == '0') {
		memmove(buf + 4, buf + 5, n - 4);
		n--;
	}
	r->minute_len = 0;
	if (n >= 2 && n < sizeof(r->minute_text) && tm.tm_sec == t - minute) {
		memcpy(r->minute_text, buf, n);
		r->minute_len = n;
		r->minute = minute;
	}
	return n;
}

/*
 * A hit: in text the line of the article's awk, "$1 $2 $3 > SRC=... -
 * DST=..."; in CSV and JSON the hit's own fields (hit_emit()).  The
 * text line is put together here (times and addresses are printable).
 */
static void write_hit(struct report *r, const struct hit *h)
{
	static const char src[] = " > SRC=", dst[] = " - DST=";
	struct emit *e = &r->emit;
	char line[32 + 2 * ADDR_TEXT_MAX + sizeof(src) + sizeof(dst)];
	size_t n;

	if (emit_is(e, EMIT_TEXT)) {
		n = hit_when(r, h->time, line);
		memcpy(line + n, src, sizeof(src) - 1);
		n += sizeof(src) - 1;
		addr_format(&h->src, line + n, ADDR_TEXT_MAX);
		n += strlen(line + n);
		memcpy(line + n, dst, sizeof(dst) - 1);
		n += sizeof(dst) - 1;
		addr_format(&h->dst, line + n, ADDR_TEXT_MAX);
		n += strlen(line + n);
		line[n++] = '\n';
		emit_text_bytes(e, line, n);
		return;
	}
	emit_object_open(e, EMIT_CSV | EMIT_JSON, NULL);
	emit_str(e, EMIT_CSV, "record", "hit");
	hit_emit(e, h);
	emit_object_close(e);
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
	r->plen = strlen(r->ctx.prefix);
	while (r->plen && r->ctx.prefix[r->plen - 1] == ' ')
		r->plen--;
	r->stats = hit_stats_new(REPORT_MAX_SOURCES, REPORT_MAX_PAIRS);
	if (!r->stats || linebuf_init(&r->lines, REPORT_BLOCK) < 0 ||
	    r->day_start == (time_t)-1) {
		report_free(r);
		error_set(err, "report: out of memory");
		return NULL;
	}
	write_heading(r);
	return r;
}

/* Count and write one line's hit of the day; returns what the parser made of it, and its time. */
static enum hit_result add_line(struct report *r, const char *line, size_t len, time_t *t)
{
	struct hit h;
	enum hit_result res = hit_parse_line(line, len, r->opts.file_format, &r->ctx, &h);
	bool in_day;

	if (res == HIT_NONE)
		return res;
	*t = h.time;
	in_day = h.time >= r->day_start && h.time < r->day_end;
	switch (res) {
	case HIT_OK:
		if (!in_day)
			break;
		r->hits++;
		hit_stats_add(r->stats, &h);
		write_hit(r, &h);
		break;
	case HIT_UNTRUSTED:
		r->untrusted += in_day;
		break;
	case HIT_MALFORMED:
		r->malformed += in_day;
		break;
	default:
		break;
	}
	return res;
}

void report_add_line(struct report *r, const char *line, size_t len)
{
	time_t t;

	add_line(r, line, len, &t);
}

/* ---- reading: the lines that may be hits, and where the day is */

#ifdef __SSE2__
/* Bytes at p that start the prefix by its first and last byte (k = plen - 1), or are a backslash. */
static inline __m128i candidates16(const char *p, size_t k, __m128i first, __m128i last,
				   __m128i backslash)
{
	__m128i a = _mm_loadu_si128((const void *)p), b = _mm_loadu_si128((const void *)(p + k));

	return _mm_or_si128(_mm_and_si128(_mm_cmpeq_epi8(a, first), _mm_cmpeq_epi8(b, last)),
			    _mm_cmpeq_epi8(a, backslash));
}
#endif

/*
 * The first byte in [p, end) that can make its line more than HIT_NONE
 * to hit_parse_line(): the start of the prefix, or a backslash.  Tests
 * the prefix's first and last bytes at 64 positions at a time.
 */
static const char *find_candidate(const char *p, const char *end, const char *prefix,
				  size_t plen)
{
#ifdef __SSE2__
	const __m128i first = _mm_set1_epi8(prefix[0]), last = _mm_set1_epi8(prefix[plen - 1]);
	const __m128i backslash = _mm_set1_epi8('\\');
	const size_t k = plen - 1;

	/* 64 bytes a round: most rounds end at one test of the four masks together */
	for (; end - p >= (ptrdiff_t)(k + 64); p += 64) {
		__m128i m0 = candidates16(p, k, first, last, backslash);
		__m128i m1 = candidates16(p + 16, k, first, last, backslash);
		__m128i m2 = candidates16(p + 32, k, first, last, backslash);
		__m128i m3 = candidates16(p + 48, k, first, last, backslash);
		uint64_t mask;

		if (!_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(m0, m1), _mm_or_si128(m2, m3))))
			continue;
		mask = (uint64_t)(unsigned)_mm_movemask_epi8(m0) |
		       (uint64_t)(unsigned)_mm_movemask_epi8(m1) << 16 |
		       (uint64_t)(unsigned)_mm_movemask_epi8(m2) << 32 |
		       (uint64_t)(unsigned)_mm_movemask_epi8(m3) << 48;
		for (; mask; mask &= mask - 1) {
			const char *at = p + __builtin_ctzll(mask);

			if (*at == '\\' || memcmp(at, prefix, plen) == 0)
				return at;
		}
	}
#endif
	for (; p < end; p++)
		if (*p == '\\' ||
		    (*p == prefix[0] && (size_t)(end - p) >= plen && memcmp(p, prefix, plen) == 0))
			return p;
	return NULL;
}

/*
 * Whole lines (linebuf_lines_fn): parse those find_candidate() points
 * into, cut as linebuf would.  In a log of many days most of those are
 * hits of other days: a line that starts as one whose classic syslog
 * date was two days or more from the day is not parsed.  The parser
 * reads that date (month, day of month) from the first FAR_HEAD_LEN
 * bytes alone, so both lines fall on the same date, whose times (of
 * either year the year-less date may be given) are all far from the day.
 */
static void report_lines(void *arg, const char *p, size_t n)
{
	struct report *r = arg;
	const char *end = p + n;

	while (p < end) {
		const char *at = r->plen ? find_candidate(p, end, r->ctx.prefix, r->plen) : p;
		const char *start, *nl;
		size_t len;
		time_t t;

		if (!at)
			return;
		start = memrchr(p, '\n', (size_t)(at - p));
		start = start ? start + 1 : p;
		nl = memchr(at, '\n', (size_t)(end - at));
		p = nl ? nl + 1 : end;
		len = (size_t)((nl ? nl : end) - start);
		if (len > REPORT_LINE_MAX)
			len = REPORT_LINE_MAX;
		if (r->far_head_set && len >= FAR_HEAD_LEN &&
		    memcmp(start, r->far_head, FAR_HEAD_LEN) == 0)
			continue;
		/* A line starting with a letter has a classic date if any: kmsg and journal lines do not */
		if (add_line(r, start, len, &t) != HIT_NONE && len >= FAR_HEAD_LEN &&
		    ((*start >= 'A' && *start <= 'Z') || (*start >= 'a' && *start <= 'z')) &&
		    r->opts.file_format != HIT_FORMAT_KMSG && r->opts.file_format != HIT_FORMAT_JOURNAL &&
		    (t < r->day_start - FAR_FROM_DAY || t >= r->day_end + FAR_FROM_DAY)) {
			memcpy(r->far_head, start, FAR_HEAD_LEN);
			r->far_head_set = true;
		}
	}
}

/*
 * The time hit.c gives the date at the head of line[0..len): the date
 * alone (up to the first space after its first ':'), then a host, a tag
 * and the prefix, which the parser counts as an untrusted hit of that
 * time.  So a probe reads dates exactly as the report does, year
 * inference included.
 */
static bool line_time(const struct report *r, const char *line, size_t len, time_t *t)
{
	static const char tail[] = " h x: ";
	char buf[SEEK_DATE_MAX + sizeof(tail) + HIT_PREFIX_MAX];
	const char *colon = memchr(line, ':', len < SEEK_DATE_MAX ? len : SEEK_DATE_MAX);
	const char *space = colon ? memchr(colon, ' ', (size_t)(line + len - colon)) : NULL;
	size_t n = space ? (size_t)(space - line) : 0;
	struct hit h;

	if (!space || n > SEEK_DATE_MAX || r->plen > HIT_PREFIX_MAX)
		return false;
	memcpy(buf, line, n);
	memcpy(buf + n, tail, sizeof(tail) - 1);
	memcpy(buf + n + sizeof(tail) - 1, r->ctx.prefix, r->plen);
	if (hit_parse_line(buf, n + sizeof(tail) - 1 + r->plen, HIT_FORMAT_SYSLOG, &r->ctx, &h) !=
	    HIT_UNTRUSTED)
		return false;
	*t = h.time;
	return true;
}

struct probe {
	off_t at;	/* a line start */
	time_t t;	/* its date */
};

enum probe_result { PROBE_LINE, PROBE_END, PROBE_BAD };

/*
 * The first line starting at or after off (base: the first line's
 * offset).  PROBE_END when none starts before the end of the file;
 * PROBE_BAD when a line in the window has no date, or dates in it go
 * back more than SEEK_SLACK.
 */
static enum probe_result probe_at(const struct report *r, int fd, off_t off, off_t base,
				  struct probe *out)
{
	char buf[SEEK_WINDOW];
	off_t at = off > base ? off - 1 : base;
	ssize_t n = pread(fd, buf, sizeof(buf), at);
	const char *p = buf, *end, *nl;
	time_t t, top = 0;
	bool first = true;

	if (n < 0)
		return PROBE_BAD;
	end = buf + n;
	if (off > base) {	/* buf[0] is the byte before off */
		nl = memchr(buf, '\n', (size_t)n);
		p = nl ? nl + 1 : end;
	}
	if (p == end)
		return n < (ssize_t)sizeof(buf) ? PROBE_END : PROBE_BAD;
	for (; p < end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl && !first)
			break;	/* cut by the window */
		if (!line_time(r, p, (size_t)((nl ? nl : end) - p), &t))
			return PROBE_BAD;
		if (first) {
			*out = (struct probe){ .at = at + (p - buf), .t = t };
			top = t;
			first = false;
		} else if (t < top - SEEK_SLACK) {
			return PROBE_BAD;
		} else if (t > top) {
			top = t;
		}
		if (!nl)
			break;
	}
	return PROBE_LINE;
}

/*
 * Binary search between lo (a line dated before t) and hi (the end, or
 * a line dated t or later) until they are SEEK_GRAIN apart.  False when
 * a probe contradicts the order.
 */
static bool day_bound(const struct report *r, int fd, off_t base, time_t t, struct probe *lo,
		      struct probe *hi)
{
	off_t hi_off = hi->at;	/* the first line starting at or after it is hi */

	while (hi_off - lo->at > SEEK_GRAIN) {
		off_t mid = lo->at + (hi_off - lo->at) / 2;
		struct probe p = { 0 };

		switch (probe_at(r, fd, mid, base, &p)) {
		case PROBE_BAD:
			return false;
		case PROBE_END:
			hi_off = mid;
			continue;
		default:
			break;
		}
		if (p.t < lo->t - SEEK_SLACK || p.t - SEEK_SLACK > hi->t)
			return false;
		if (p.t >= t) {
			hi_off = mid;
			*hi = p;
		} else if (p.at < hi_off) {
			*lo = p;
		} else {
			return false;	/* dated before t, after a line dated t or later */
		}
	}
	return true;
}

/*
 * The part of a plain file (its lines from base to size) that may hold
 * the day, [*from, *to), both line starts.  Assumes what the probes
 * check: lines dated in order, or at most SEEK_SLACK earlier than a line
 * above them (several writers).  Then every line before a line dated
 * before day_start - SEEK_SLACK is dated before the day, and every line
 * after one dated day_end + SEEK_SLACK or later is after it.  False:
 * read it all.
 */
static bool day_seek(const struct report *r, int fd, off_t base, off_t size, off_t *from,
		     off_t *to)
{
	struct probe first = { 0 }, last = { 0 }, lo, hi;

	if (size - base < SEEK_MIN_SIZE || !r->plen ||
	    (r->opts.file_format != HIT_FORMAT_AUTO && r->opts.file_format != HIT_FORMAT_SYSLOG &&
	     r->opts.file_format != HIT_FORMAT_LOGEMU) ||
	    probe_at(r, fd, base, base, &first) != PROBE_LINE ||
	    probe_at(r, fd, size - SEEK_WINDOW / 2, base, &last) != PROBE_LINE ||
	    last.t < first.t - SEEK_SLACK)
		return false;
	lo = first;
	hi = (struct probe){ .at = size, .t = last.t };
	if (first.t < r->day_start - SEEK_SLACK &&
	    !day_bound(r, fd, base, r->day_start - SEEK_SLACK, &lo, &hi))
		return false;
	*from = lo.at;
	hi = (struct probe){ .at = size, .t = last.t };
	if (lo.t >= r->day_end + SEEK_SLACK)
		hi = lo;
	else if (!day_bound(r, fd, base, r->day_end + SEEK_SLACK, &lo, &hi))
		return false;
	*to = hi.at;
	return true;
}

/* Read fd's bytes [from, to) (to < 0: to the end) through the line buffer; -1 with errno. */
static int read_plain(struct report *r, int fd, off_t from, off_t to)
{
	if (lseek(fd, from, SEEK_SET) < 0)
		return -1;
	for (;;) {
		size_t room;
		char *at = linebuf_space(&r->lines, &room);
		ssize_t n;

		if (to >= 0 && (off_t)room > to - from)
			room = (size_t)(to - from);
		if (!room)
			break;
		n = read(fd, at, room);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		from += n;
		r->bytes += (uint64_t)n;
		linebuf_commit_lines(&r->lines, (size_t)n, report_lines, r);
	}
	linebuf_finish_lines(&r->lines, report_lines, r);
	return 0;
}

/* Read fd through zlib (which passes plain bytes through: pipes); closes fd. */
static int read_gzip(struct report *r, int fd, const char *name, struct error *err)
{
	gzFile gz = gzdopen(fd, "rb");
	int n, zerr;

	if (!gz) {
		close(fd);
		return error_set(err, "report: cannot read %s: out of memory", name);
	}
	gzbuffer(gz, 128 * 1024);
	for (;;) {
		size_t room;
		char *at = linebuf_space(&r->lines, &room);

		n = gzread(gz, at, (unsigned)room);
		if (n <= 0)
			break;
		r->bytes += (uint64_t)n;
		linebuf_commit_lines(&r->lines, (size_t)n, report_lines, r);
	}
	linebuf_finish_lines(&r->lines, report_lines, r);
	/* A truncated gzip file ends with Z_BUF_ERROR after the data it had. */
	gzerror(gz, &zerr);
	if (n < 0 || (zerr != Z_OK && zerr != Z_STREAM_END)) {
		int e;
		const char *msg = gzerror(gz, &e);

		error_set(err, "report: cannot read %s: %s; is it a complete gzip file?", name,
			  e == Z_ERRNO ? strerror(errno) : msg);
		gzclose(gz);
		return -1;
	}
	gzclose(gz);
	return 0;
}

int report_add_file(struct report *r, const char *path, struct error *err)
{
	bool is_stdin = strcmp(path, "-") == 0;
	const char *name = is_stdin ? "standard input" : path;
	int fd = is_stdin ? dup(STDIN_FILENO) : open(path, O_RDONLY | O_CLOEXEC);
	unsigned char magic[2];
	struct stat st;
	off_t base, from, to = -1;
	int rc;

	if (fd < 0)
		return error_set(err, "report: cannot open %s: %s; check the path or pass files to read",
				 name, strerror(errno));
	/* A regular file that is not gzip is read directly, from where stdin stands. */
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (base = lseek(fd, 0, SEEK_CUR)) < 0 ||
	    (pread(fd, magic, 2, base) == 2 && magic[0] == 0x1f && magic[1] == 0x8b))
		return read_gzip(r, fd, name, err);
	from = base;
	if (!day_seek(r, fd, base, st.st_size, &from, &to))
		to = -1;
	rc = read_plain(r, fd, from, to);
	if (rc < 0)
		error_set(err, "report: cannot read %s: %s", name, strerror(errno));
	close(fd);
	return rc;
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

/* Push path's rotated siblings that may hold the day, oldest first, then path; -1 out of memory. */
static int files_push_rotated(char ***files, size_t *n, const char *base, time_t day_start)
{
	char path[4096];
	size_t had = *n;

	for (int k = REPORT_ROTATIONS; k >= 0; k--) {
		char number[16] = "";

		if (k)
			snprintf(number, sizeof(number), ".%d", k);
		for (int gz = 1; gz >= 0; gz--) {
			snprintf(path, sizeof(path), "%s%s%s", base, number, gz ? ".gz" : "");
			if (file_may_hold(path, day_start) && files_push(files, n, path) < 0)
				return -1;
		}
	}
	return *n == had ? files_push(files, n, base) : 0;
}

char **report_default_files(const struct config *cfg, const struct report_options *opts,
			    struct error *err)
{
	time_t day_start = day_time(opts->year, opts->month, opts->day);
	const char *base = NULL;
	bool hits_log = false;
	char **files = NULL;
	size_t n = 0;
	struct stat st;

	for (size_t i = 0; cfg && i < cfg->nlog_files && !base; i++)
		if (stat(cfg->log_files[i], &st) == 0)
			base = cfg->log_files[i];
	/* NFLOG hits reach no kernel log: watch's record is theirs (with LOG, a copy) */
	if (cfg && cfg->hits_log[0] && (!base || cfg->log_target == LOG_TARGET_NFLOG))
		hits_log = stat(cfg->hits_log, &st) == 0;
	if (!base && !hits_log) {
		error_set(err, "report: none of the log_files in %s exists, nor the hits_log; set "
			       "log_files, run smtpguard watch, pass the files to read, or pipe the "
			       "journal: journalctl -k -o json | smtpguard report -",
			  cfg && cfg->path ? cfg->path : "the config");
		err->code = EXIT_USAGE;
		return NULL;
	}
	/* Oldest first, so the hits come out in time order (within each log). */
	if ((base && files_push_rotated(&files, &n, base, day_start) < 0) ||
	    (hits_log && files_push_rotated(&files, &n, cfg->hits_log, day_start) < 0)) {
		report_files_free(files);
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

static void write_source(struct report *r, const struct hit_source *s)
{
	struct emit *e = &r->emit;
	char src[ADDR_TEXT_MAX], when[32], dests[16];
	struct tm tm;

	addr_format(&s->src, src, sizeof(src));
	snprintf(dests, sizeof(dests), "%u%s", s->destinations, s->destinations_capped ? "+" : "");
	emit_object_open(e, EMIT_CSV | EMIT_JSON, NULL);
	emit_str(e, EMIT_CSV, "record", "source");
	emit_str(e, EMIT_CSV | EMIT_JSON, "zone", s->zone);
	emit_strf(e, EMIT_TEXT, "zone", "%-12s ", s->zone[0] ? s->zone : "-");
	emit_strf(e, EMIT_ANY, "src", "%-39s ", src);
	emit_str(e, EMIT_CSV | EMIT_JSON, "mac", s->mac);
	emit_strf(e, EMIT_TEXT, "mac", "%-17s ", s->mac[0] ? s->mac : "-");
	emit_u64f(e, EMIT_ANY, "attempts", "%8" PRIu64 " ", s->attempts);
	emit_strf(e, EMIT_TEXT | EMIT_CSV, "destinations", "%12s  ", dests);
	emit_u64(e, EMIT_JSON, "destinations", s->destinations);
	emit_bool(e, EMIT_JSON, "destinations_capped", s->destinations_capped);
	localtime_r(&s->first, &tm);
	strftime(when, sizeof(when), "%H:%M:%S", &tm);
	emit_strf(e, EMIT_TEXT, "first", "%s  ", when);
	iso_time(s->first, when, sizeof(when));
	emit_str(e, EMIT_CSV | EMIT_JSON, "first", when);
	localtime_r(&s->last, &tm);
	strftime(when, sizeof(when), "%H:%M:%S", &tm);
	emit_strf(e, EMIT_TEXT, "last", "%s\n", when);
	iso_time(s->last, when, sizeof(when));
	emit_str(e, EMIT_CSV | EMIT_JSON, "last", when);
	emit_object_close(e);
}

/* A count: a CSV row of its own, a member of the JSON object (text words it itself). */
static void write_count(struct report *r, const char *key, uint64_t n)
{
	struct emit *e = &r->emit;

	emit_object_open(e, EMIT_CSV, NULL);
	emit_str(e, EMIT_CSV, "record", key);
	emit_u64(e, EMIT_CSV, "attempts", n);
	emit_object_close(e);
	emit_u64(e, EMIT_JSON, key, n);
}

int report_finish(struct report *r, struct error *err)
{
	struct emit *e = &r->emit;
	size_t n = hit_stats_count(r->stats);
	struct hit_source *top = n ? calloc(n, sizeof(*top)) : NULL;
	uint64_t overflow = hit_stats_overflow(r->stats);

	if (n && !top)
		return error_set(err, "report: out of memory for the summary of %zu sources", n);
	n = top ? hit_stats_top(r->stats, top, n) : 0;
	emit_array_close(e);
	emit_text(e, " \nSources by attempts (%" PRIu64 " hits from %zu hosts)\n", r->hits, n);
	if (n)
		emit_text(e, "%-12s %-39s %-17s %8s %12s  %-8s  %s\n", "zone", "source", "MAC",
			  "attempts", "destinations", "first", "last");
	emit_array_open(e, EMIT_JSON, "sources", EMIT_LINES);
	for (size_t i = 0; i < n; i++)
		write_source(r, &top[i]);
	free(top);
	emit_array_close(e);
	if (overflow)
		emit_text(e, "%" PRIu64 " attempts from further hosts not itemized (over %d hosts)\n",
			  overflow, REPORT_MAX_SOURCES);
	emit_u64(e, EMIT_JSON, "attempts", r->hits);
	emit_text(e, " \nUntrusted lines skipped: %" PRIu64 " (carry the log prefix but were not "
		     "written by the kernel, e.g. logger)\n", r->untrusted);
	if (r->malformed)
		emit_text(e, "Malformed kernel lines skipped: %" PRIu64 "\n", r->malformed);
	write_count(r, "untrusted", r->untrusted);
	write_count(r, "malformed", r->malformed);
	emit_u64(e, EMIT_JSON, "overflow", overflow);
	emit_object_close(e);
	if (emit_is(e, EMIT_JSON))
		emit_newline(e);
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

uint64_t report_bytes_read(const struct report *r)
{
	return r->bytes;
}

void report_free(struct report *r)
{
	if (!r)
		return;
	hit_stats_free(r->stats);
	linebuf_free(&r->lines);
	free(r);
}
