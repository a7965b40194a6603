/*
 * hit.c - one kernel LOG line (or the packet part of an NFLOG message)
 * into a struct hit; see include/hit.h.
 *
 * The line is walked once, left to right, as spans (pointer + length)
 * into the caller's bytes: no NUL-terminated copies per field, no
 * regular expressions, no allocation.  Every value is bounded and
 * checked before it is converted; an over-long field makes the line
 * malformed rather than being cut into something else.
 *
 * Trust comes from the header, never from the message: "kernel:" tag in
 * a syslog file, facility 0 in /dev/kmsg, _TRANSPORT=kernel in the
 * journal.  A line that carries our prefix anywhere but fails that test
 * is HIT_UNTRUSTED so it can be counted.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "emit.h"
#include "hit.h"

#define HOST_MAX 255		/* a syslog host name field */
#define TAG_MAX 64		/* a syslog tag field ("kernel:", "sshd[123]:") */
#define JOURNAL_MESSAGE_MAX 4096
#define FUTURE_SLACK (31 * 86400)	/* a year-less date later than now + this is last year's */

const char *const hit_format_names[HIT_FORMAT_COUNT] = {
	[HIT_FORMAT_AUTO] = "auto",
	[HIT_FORMAT_SYSLOG] = "syslog",
	[HIT_FORMAT_KMSG] = "kmsg",
	[HIT_FORMAT_JOURNAL] = "journal",
	[HIT_FORMAT_LOGEMU] = "logemu",
	[HIT_FORMAT_NFLOG] = "nflog",
	[HIT_FORMAT_HITSLOG] = "hitslog",
};

const char *const hit_action_names[HIT_ACTION_COUNT] = {
	[HIT_ACTION_UNKNOWN] = "-",
	[HIT_ACTION_LOGGED] = "logged",
	[HIT_ACTION_DROPPED] = "dropped",
};

static const enum hit_action mode_actions[MODE_COUNT] = {
	[MODE_ALLOW] = HIT_ACTION_LOGGED,
	[MODE_MONITOR] = HIT_ACTION_LOGGED,
	[MODE_BLOCK] = HIT_ACTION_DROPPED,
	[MODE_LOG] = HIT_ACTION_DROPPED,
	[MODE_RATEBAN] = HIT_ACTION_DROPPED,
};

static const char *const month_names[12] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
};

struct span {
	const char *p;
	size_t n;
};

static bool span_is(struct span s, const char *lit)
{
	size_t n = strlen(lit);

	return s.n == n && memcmp(s.p, lit, n) == 0;
}

/* Decimal digits only, value <= max. */
static bool span_uint(struct span s, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;

	if (s.n == 0 || s.n > 20)
		return false;
	for (size_t i = 0; i < s.n; i++) {
		if (s.p[i] < '0' || s.p[i] > '9')
			return false;
		if (v > (max - (unsigned long)(s.p[i] - '0')) / 10)
			return false;
		v = v * 10 + (unsigned long)(s.p[i] - '0');
	}
	*out = v;
	return true;
}

static bool span_addr(struct span s, struct addr *out)
{
	char buf[INET6_ADDRSTRLEN];
	int family;

	if (s.n == 0 || s.n >= sizeof(buf))
		return false;
	memcpy(buf, s.p, s.n);
	buf[s.n] = '\0';
	family = memchr(s.p, ':', s.n) ? AF_INET6 : AF_INET;
	memset(out, 0, sizeof(*out));
	if (inet_pton(family, buf, out->bytes) != 1)
		return false;
	out->family = family;
	out->prefix = family == AF_INET ? 32 : 128;
	return true;
}

/* Copy a span into a fixed field; false when it does not fit. */
static bool span_copy(struct span s, char *dst, size_t size)
{
	if (s.n >= size)
		return false;
	memcpy(dst, s.p, s.n);
	dst[s.n] = '\0';
	return true;
}

/* n bytes "xx:xx:..." at s into mac[0..n); false unless exactly that shape. */
static bool hex_bytes(const char *s, size_t len, unsigned char *mac, size_t n)
{
	if (len != n * 3 - 1)
		return false;
	for (size_t i = 0; i < n; i++) {
		int hi = addr_hex_digit(s[i * 3]), lo = addr_hex_digit(s[i * 3 + 1]);

		if (hi < 0 || lo < 0 || (i + 1 < n && s[i * 3 + 2] != ':'))
			return false;
		mac[i] = (unsigned char)(hi << 4 | lo);
	}
	return true;
}

/* ---- the packet part: "PREFIX IN=eth2 OUT=eth0 MAC=... SRC=... DST=... PROTO=TCP SPT=.. DPT=.." */

enum field_id { F_IN, F_OUT, F_MAC, F_MACSRC, F_SRC, F_DST, F_PROTO, F_SPT, F_DPT, F_COUNT };

#define KEY(s) { s, sizeof(s) - 1 }
static const struct span field_keys[F_COUNT] = {
	[F_IN] = KEY("IN"), [F_OUT] = KEY("OUT"), [F_MAC] = KEY("MAC"), [F_MACSRC] = KEY("MACSRC"),
	[F_SRC] = KEY("SRC"), [F_DST] = KEY("DST"), [F_PROTO] = KEY("PROTO"), [F_SPT] = KEY("SPT"),
	[F_DPT] = KEY("DPT"),
};
#undef KEY

static const struct {
	const char *name;
	uint8_t number;
} proto_names[] = {
	{ "TCP", IPPROTO_TCP },   { "UDP", IPPROTO_UDP },	  { "ICMP", IPPROTO_ICMP },
	{ "ICMPv6", IPPROTO_ICMPV6 }, { "UDPLITE", IPPROTO_UDPLITE }, { "SCTP", IPPROTO_SCTP },
};

static bool proto_parse(struct span s, uint8_t *out)
{
	unsigned long v;

	for (size_t i = 0; i < sizeof(proto_names) / sizeof(proto_names[0]); i++) {
		if (span_is(s, proto_names[i].name)) {
			*out = proto_names[i].number;
			return true;
		}
	}
	if (!span_uint(s, 255, &v))
		return false;
	*out = (uint8_t)v;
	return true;
}

/* Offset of "IN=" starting the packet fields, or len when there is none. */
static size_t packet_start(const char *msg, size_t len, const char *prefix, size_t plen)
{
	size_t i = 0;

	if (plen) {
		if (len < plen || memcmp(msg, prefix, plen) != 0)
			return len;
		i = plen;
		while (i < len && msg[i] == ' ')
			i++;
		return len - i >= 3 && memcmp(msg + i, "IN=", 3) == 0 ? i : len;
	}
	/* No prefix to anchor on: the first "IN=<no space> OUT=" */
	for (; i + 3 <= len; i++) {
		const char *sp;

		if (memcmp(msg + i, "IN=", 3) != 0)
			continue;
		sp = memchr(msg + i, ' ', len - i);
		if (sp && (size_t)(msg + len - sp) > 4 && memcmp(sp + 1, "OUT=", 4) == 0)
			return i;
	}
	return len;
}

static size_t prefix_trimmed_len(const char *prefix)
{
	size_t n = prefix ? strlen(prefix) : 0;

	while (n && prefix[n - 1] == ' ')
		n--;
	return n;
}

void hit_set_zone(struct hit *h, const struct config *cfg)
{
	h->zone[0] = '\0';
	h->action = HIT_ACTION_UNKNOWN;
	if (!cfg || !h->in[0])
		return;
	for (size_t i = 0; i < cfg->nzones; i++) {
		const struct zone *z = &cfg->zones[i];

		if (ifname_match(z->interface, h->in)) {
			memcpy(h->zone, z->name, sizeof(h->zone));
			h->action = mode_actions[z->mode];
			return;
		}
	}
}

enum hit_result hit_parse_packet(const char *msg, size_t len, const struct hit_context *ctx,
				 struct hit *out)
{
	const char *prefix = ctx ? ctx->prefix : NULL;
	size_t plen = prefix_trimmed_len(prefix);
	size_t start = packet_start(msg, len, prefix, plen);
	struct span field[F_COUNT];
	bool seen[F_COUNT] = { false };
	struct hit h;
	size_t i, n;

	if (start >= len)
		return HIT_NONE;
	memset(&h, 0, sizeof(h));
	n = start;
	while (n && msg[n - 1] == ' ')
		n--;
	if (n > HIT_PREFIX_MAX)
		n = HIT_PREFIX_MAX;
	memcpy(h.prefix, msg, n);

	for (i = start; i < len;) {
		const char *sp = memchr(msg + i, ' ', len - i);
		size_t tok = i, eq;
		const char *at;

		i = sp ? (size_t)(sp - msg) : len;
		/* An ICMP error quotes the offending packet in brackets: not ours. */
		if (msg[tok] == '[')
			break;
		at = memchr(msg + tok, '=', i - tok);
		eq = at ? (size_t)(at - msg) : i;
		for (int f = 0; f < F_COUNT && eq < i; f++) {
			if (!seen[f] && eq - tok == field_keys[f].n && msg[tok] == field_keys[f].p[0] &&
			    memcmp(msg + tok, field_keys[f].p, eq - tok) == 0) {
				seen[f] = true;
				field[f] = (struct span){ msg + eq + 1, i - eq - 1 };
				break;
			}
		}
		while (i < len && msg[i] == ' ')
			i++;
	}

	if (!seen[F_IN] || !seen[F_SRC] || !seen[F_DST] ||
	    !span_copy(field[F_IN], h.in, sizeof(h.in)) ||
	    (seen[F_OUT] && !span_copy(field[F_OUT], h.out, sizeof(h.out))) ||
	    !span_addr(field[F_SRC], &h.src) || !span_addr(field[F_DST], &h.dst) ||
	    h.src.family != h.dst.family)
		return HIT_MALFORMED;
	if (seen[F_PROTO] && !proto_parse(field[F_PROTO], &h.proto))
		return HIT_MALFORMED;
	for (int f = F_SPT; f <= F_DPT; f++) {
		unsigned long v;

		if (!seen[f])
			continue;
		if (!span_uint(field[f], 65535, &v))
			return HIT_MALFORMED;
		*(f == F_SPT ? &h.sport : &h.dport) = (uint16_t)v;
	}
	if (seen[F_MAC] && span_copy(field[F_MAC], h.mac, sizeof(h.mac)))
		/* Ethernet: destination, source, EtherType */
		if (field[F_MAC].n == 14 * 3 - 1) {
			unsigned char hdr[14];

			if (hex_bytes(field[F_MAC].p, field[F_MAC].n, hdr, 14)) {
				memcpy(h.src_mac, hdr + 6, 6);
				h.has_src_mac = true;
			}
		}
	if (seen[F_MACSRC] && hex_bytes(field[F_MACSRC].p, field[F_MACSRC].n, h.src_mac, 6))
		h.has_src_mac = true;
	hit_set_zone(&h, ctx ? ctx->cfg : NULL);
	*out = h;
	return HIT_OK;
}

/* ---- dates */

static bool digits(const char *p, const char *end, size_t n, int *out)
{
	int v = 0;

	if ((size_t)(end - p) < n)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return false;
		v = v * 10 + (p[i] - '0');
	}
	*out = v;
	return true;
}

/*
 * Local time from fields, or (time_t)-1.  A log's lines come in runs of
 * the same hour, and mktime() is the parser's costliest call: the start
 * of the last hour is kept (per thread).  Daylight saving changes on
 * hour boundaries, so minutes and seconds add linearly within an hour.
 */
static time_t local_time(int year, int mon, int mday, int hour, int min, int sec)
{
	static _Thread_local struct {
		int year, mon, mday, hour;
		time_t start;
		bool valid;
	} last;
	struct tm tm = {
		.tm_year = year - 1900, .tm_mon = mon, .tm_mday = mday,
		.tm_hour = hour, .tm_isdst = -1,
	};

	if (!last.valid || last.year != year || last.mon != mon || last.mday != mday ||
	    last.hour != hour) {
		last.start = mktime(&tm);
		last.valid = false;
		/* Feb 30 and the like are not dates */
		if (last.start == (time_t)-1 || tm.tm_mday != mday || tm.tm_mon != mon)
			return (time_t)-1;
		/* an hour skipped by daylight saving: as mktime normalised it, uncached */
		if (tm.tm_hour != hour)
			return last.start + min * 60 + sec;
		last.year = year;
		last.mon = mon;
		last.mday = mday;
		last.hour = hour;
		last.valid = true;
	}
	return last.start + min * 60 + sec;
}

/*
 * "May 11 11:29:51" / "May  1 11:29:51" (syslog, ctime): no year; the
 * year is now's, or last year's when that would put it more than a
 * month ahead of now.
 */
static const char *date_classic(const char *p, const char *end, time_t now, time_t *t)
{
	int mon = -1, mday, hour, min, sec, width;
	struct tm ref;

	if (end - p < 15)
		return NULL;
	for (int i = 0; i < 12; i++)
		if (memcmp(p, month_names[i], 3) == 0)
			mon = i;
	if (mon < 0 || p[3] != ' ')
		return NULL;
	p += 4;
	if (*p == ' ')
		p++;
	width = p + 1 < end && p[1] >= '0' && p[1] <= '9' ? 2 : 1;
	if (!digits(p, end, (size_t)width, &mday) || mday < 1 || mday > 31)
		return NULL;
	p += width;
	if (end - p < 9 || p[0] != ' ' || p[3] != ':' || p[6] != ':' ||
	    !digits(p + 1, end, 2, &hour) || !digits(p + 4, end, 2, &min) ||
	    !digits(p + 7, end, 2, &sec) || hour > 23 || min > 59 || sec > 60)
		return NULL;
	localtime_r(&now, &ref);
	*t = local_time(ref.tm_year + 1900, mon, mday, hour, min, sec);
	if (*t != (time_t)-1 && *t > now + FUTURE_SLACK)
		*t = local_time(ref.tm_year + 1899, mon, mday, hour, min, sec);
	return *t == (time_t)-1 ? NULL : p + 9;
}

/* "2026-11-21T11:29:51[.123456](Z|+01:00|+0100)" */
static const char *date_rfc3339(const char *p, const char *end, time_t *t, long *usec)
{
	int year, mon, mday, hour, min, sec, oh, om, sign;
	struct tm tm;

	if (end - p < 20 || !digits(p, end, 4, &year) || p[4] != '-' ||
	    !digits(p + 5, end, 2, &mon) || p[7] != '-' || !digits(p + 8, end, 2, &mday) ||
	    (p[10] != 'T' && p[10] != ' ') || !digits(p + 11, end, 2, &hour) || p[13] != ':' ||
	    !digits(p + 14, end, 2, &min) || p[16] != ':' || !digits(p + 17, end, 2, &sec) ||
	    mon < 1 || mon > 12 || mday < 1 || mday > 31 || hour > 23 || min > 59 || sec > 60)
		return NULL;
	p += 19;
	*usec = 0;
	if (p < end && *p == '.') {
		long scale = 100000;

		for (p++; p < end && *p >= '0' && *p <= '9'; p++) {
			*usec += (*p - '0') * scale;
			scale /= 10;
		}
	}
	if (p >= end)
		return NULL;
	if (*p == 'Z') {
		oh = om = 0;
		sign = 1;
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p == '-' ? -1 : 1;
		if (!digits(p + 1, end, 2, &oh))
			return NULL;
		p += 3;
		if (p < end && *p == ':')
			p++;
		if (!digits(p, end, 2, &om) || oh > 23 || om > 59)
			return NULL;
		p += 2;
	} else {
		return NULL;
	}
	tm = (struct tm){ .tm_year = year - 1900, .tm_mon = mon - 1, .tm_mday = mday,
			  .tm_hour = hour, .tm_min = min, .tm_sec = sec };
	*t = timegm(&tm) - sign * (oh * 3600 + om * 60);
	return p;
}

/* Skip one space-free token of at most max bytes and the spaces after it. */
static const char *skip_token(const char *p, const char *end, size_t max, struct span *tok)
{
	const char *s = p;

	while (p < end && *p != ' ')
		p++;
	if (p == s || (size_t)(p - s) > max)
		return NULL;
	if (tok)
		*tok = (struct span){ s, (size_t)(p - s) };
	while (p < end && *p == ' ')
		p++;
	return p;
}

/* "[12345.678901] " as the kernel stamps its messages; returns p when absent. */
static const char *skip_kernel_stamp(const char *p, const char *end)
{
	const char *q = p;

	if (q >= end || *q != '[')
		return p;
	for (q++; q < end && *q == ' '; q++)
		;
	while (q < end && ((*q >= '0' && *q <= '9') || *q == '.'))
		q++;
	if (q >= end || *q != ']')
		return p;
	for (q++; q < end && *q == ' '; q++)
		;
	return q;
}

/* ---- the formats */

/*
 * A message the header says is not the kernel's: HIT_UNTRUSTED when our
 * prefix (or, without one, a packet line) appears anywhere in it.
 */
static enum hit_result untrusted(const char *msg, size_t len, const struct hit_context *ctx,
				 struct hit *out)
{
	size_t plen = prefix_trimmed_len(ctx->prefix);
	const char *at = msg;

	if (plen) {
		at = memmem(msg, len, ctx->prefix, plen);
		if (!at)
			return HIT_NONE;
	}
	if (hit_parse_packet(at, len - (size_t)(at - msg), ctx, out) != HIT_OK) {
		/* Counted even when a forger did not bother with a valid packet. */
		if (!plen)
			return HIT_NONE;
		memset(out, 0, sizeof(*out));
	}
	return HIT_UNTRUSTED;
}

/* Stamp what the header said on a parsed line; a malformed one keeps only that. */
static enum hit_result finish(enum hit_result r, struct hit *out, time_t t, long usec,
			      enum hit_format format)
{
	if (r == HIT_NONE)
		return r;
	if (r == HIT_MALFORMED)
		memset(out, 0, sizeof(*out));
	out->time = t;
	out->usec = usec;
	out->format = format;
	out->trusted = r != HIT_UNTRUSTED;
	return r;
}

static enum hit_result parse_kernel_message(const char *msg, size_t len,
					    const struct hit_context *ctx, struct hit *out)
{
	const char *end = msg + len;
	const char *p = skip_kernel_stamp(msg, end);

	return hit_parse_packet(p, (size_t)(end - p), ctx, out);
}

static enum hit_result parse_syslog(const char *p, const char *end, enum hit_format format,
				    const struct hit_context *ctx, struct hit *out)
{
	enum hit_result r;
	struct span tag;
	time_t t = 0;
	long usec = 0;
	const char *q;

	q = date_classic(p, end, ctx->now, &t);
	if (!q && format != HIT_FORMAT_LOGEMU)
		q = date_rfc3339(p, end, &t, &usec);
	if (!q || q >= end || *q != ' ')
		return HIT_NONE;
	while (q < end && *q == ' ')
		q++;
	q = skip_token(q, end, HOST_MAX, NULL);
	if (!q)
		return HIT_NONE;
	if (format == HIT_FORMAT_LOGEMU) {
		r = hit_parse_packet(q, (size_t)(end - q), ctx, out);
	} else {
		const char *msg = skip_token(q, end, TAG_MAX, &tag);

		if (msg && span_is(tag, "kernel:"))
			r = parse_kernel_message(msg, (size_t)(end - msg), ctx, out);
		else
			r = untrusted(q, (size_t)(end - q), ctx, out);
	}
	return finish(r, out, t, usec, format);
}

/* "PRI,SEQ,USEC,FLAGS[,...];MESSAGE" (one record; continuation lines follow a newline). */
static enum hit_result parse_kmsg(const char *p, const char *end, const struct hit_context *ctx,
				  struct hit *out)
{
	const char *semi = memchr(p, ';', (size_t)(end - p));
	const char *nl, *msg, *c1, *c2;
	unsigned long pri, seq, usec;
	enum hit_result r;
	long long ns;

	if (!semi)
		return HIT_NONE;
	c1 = memchr(p, ',', (size_t)(semi - p));
	c2 = c1 ? memchr(c1 + 1, ',', (size_t)(semi - c1 - 1)) : NULL;
	if (!c2 || !span_uint((struct span){ p, (size_t)(c1 - p) }, 0xffffffffUL, &pri) ||
	    !span_uint((struct span){ c1 + 1, (size_t)(c2 - c1 - 1) }, (unsigned long)-1, &seq))
		return HIT_NONE;
	{
		const char *c3 = memchr(c2 + 1, ',', (size_t)(semi - c2 - 1));
		const char *ue = c3 ? c3 : semi;

		if (!span_uint((struct span){ c2 + 1, (size_t)(ue - c2 - 1) }, (unsigned long)-1,
			       &usec))
			return HIT_NONE;
	}
	msg = semi + 1;
	nl = memchr(msg, '\n', (size_t)(end - msg));
	if (nl)
		end = nl;
	/* The kernel forces LOG_USER on records user space writes to /dev/kmsg. */
	if (pri >> 3 != 0)
		r = untrusted(msg, (size_t)(end - msg), ctx, out);
	else
		r = parse_kernel_message(msg, (size_t)(end - msg), ctx, out);
	ns = ctx->boot.tv_nsec + (long long)(usec % 1000000) * 1000;
	return finish(r, out, ctx->boot.tv_sec + (time_t)(usec / 1000000) + (time_t)(ns / 1000000000),
		      (long)(ns % 1000000000 / 1000), HIT_FORMAT_KMSG);
}

/* ---- journalctl -o json: one object per line */

/* Skip a JSON string at p ('"'); returns the byte after the closing quote or NULL. */
static const char *json_skip_string(const char *p, const char *end)
{
	for (p++; p < end; p++) {
		if (*p == '\\')
			p++;
		else if (*p == '"')
			return p + 1;
	}
	return NULL;
}

static const char *json_skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
		p++;
	return p;
}

/* Encode code point cp as UTF-8 into out[*n..size). */
static void utf8_put(char *out, size_t size, size_t *n, unsigned cp)
{
	unsigned char b[4];
	size_t k;

	if (cp < 0x80) {
		b[0] = (unsigned char)cp;
		k = 1;
	} else if (cp < 0x800) {
		b[0] = (unsigned char)(0xc0 | cp >> 6);
		b[1] = (unsigned char)(0x80 | (cp & 0x3f));
		k = 2;
	} else {
		b[0] = (unsigned char)(0xe0 | cp >> 12);
		b[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (unsigned char)(0x80 | (cp & 0x3f));
		k = 3;
	}
	if (*n + k <= size) {
		memcpy(out + *n, b, k);
		*n += k;
	}
}

/* Unescape the JSON string body s (between the quotes) into out; returns the length. */
static size_t json_unescape(struct span s, char *out, size_t size)
{
	static const char simple[][2] = { { 'n', '\n' }, { 't', '\t' }, { 'r', '\r' }, { 'b', '\b' },
					  { 'f', '\f' }, { '/', '/' },	{ '\\', '\\' }, { '"', '"' } };
	size_t n = 0;

	for (size_t i = 0; i < s.n && n < size; i++) {
		char c = s.p[i];

		if (c != '\\' || i + 1 >= s.n) {
			out[n++] = c;
			continue;
		}
		c = s.p[++i];
		if (c == 'u') {
			unsigned cp = 0;
			int k;

			for (k = 0; k < 4 && i + 1 < s.n && addr_hex_digit(s.p[i + 1]) >= 0; k++)
				cp = cp << 4 | (unsigned)addr_hex_digit(s.p[++i]);
			utf8_put(out, size, &n, k == 4 ? cp : 0xfffd);
			continue;
		}
		for (size_t k = 0; k < sizeof(simple) / sizeof(simple[0]); k++)
			if (simple[k][0] == c)
				out[n++] = simple[k][1];
	}
	return n;
}

/*
 * Walk the members of the JSON object at p (one line) and call fn for
 * each: val is a string's body (escaped, str true) or a bare value's
 * text (numbers, null; a byte array as a whole).  False when p is not
 * an object.
 */
typedef void (*json_member_fn)(void *arg, struct span key, struct span val, bool str);

static bool json_members(const char *p, const char *end, json_member_fn fn, void *arg)
{
	p = json_skip_ws(p, end);
	if (p >= end || *p != '{')
		return false;
	for (p = json_skip_ws(p + 1, end); p < end && *p != '}';) {
		const char *k = p, *v;
		struct span key, val;
		bool str;

		if (*p != '"' || !(p = json_skip_string(p, end)))
			return false;
		key = (struct span){ k + 1, (size_t)(p - k - 2) };
		p = json_skip_ws(p, end);
		if (p >= end || *p != ':')
			return false;
		v = p = json_skip_ws(p + 1, end);
		str = p < end && *p == '"';
		if (str) {
			if (!(p = json_skip_string(p, end)))
				return false;
			val = (struct span){ v + 1, (size_t)(p - v - 2) };
		} else {
			while (p < end && *p != ',' && *p != '}') {
				const char *close = *p == '[' ? memchr(p, ']', (size_t)(end - p)) : p;

				p = close ? close + 1 : end;
			}
			val = (struct span){ v, (size_t)(p - v) };
			while (val.n && (val.p[val.n - 1] == ' ' || val.p[val.n - 1] == '\t'))
				val.n--;
		}
		fn(arg, key, val, str);
		p = json_skip_ws(p, end);
		if (p < end && *p == ',')
			p = json_skip_ws(p + 1, end);
	}
	return true;
}

struct journal_fields {
	struct span transport, message, stamp;
};

static void journal_member(void *arg, struct span key, struct span val, bool str)
{
	struct journal_fields *j = arg;

	if (!str)
		val = (struct span){ NULL, 0 };
	if (span_is(key, "_TRANSPORT"))
		j->transport = j->transport.p ? (struct span){ "", 0 } : val;
	else if (span_is(key, "MESSAGE"))
		j->message = val;
	else if (span_is(key, "__REALTIME_TIMESTAMP"))
		j->stamp = val;
}

static enum hit_result parse_journal(const char *p, const char *end, const struct hit_context *ctx,
				     struct hit *out)
{
	struct journal_fields j = { { NULL, 0 }, { NULL, 0 }, { NULL, 0 } };
	char msg[JOURNAL_MESSAGE_MAX];
	unsigned long usec;
	enum hit_result r;
	size_t mlen;

	if (!json_members(p, end, journal_member, &j) || !j.message.p)
		return HIT_NONE;
	mlen = json_unescape(j.message, msg, sizeof(msg));
	if (!span_is(j.transport, "kernel"))
		r = untrusted(msg, mlen, ctx, out);
	else
		r = parse_kernel_message(msg, mlen, ctx, out);
	if (!j.stamp.p || !span_uint(j.stamp, (unsigned long)-1, &usec))
		usec = (unsigned long)ctx->now * 1000000;
	return finish(r, out, (time_t)(usec / 1000000), (long)(usec % 1000000), HIT_FORMAT_JOURNAL);
}

/* ---- the hits log: hit_emit()'s JSON object, one per line */

enum hitslog_field { HL_TIME, HL_EPOCH, HL_ZONE, HL_ACTION, HL_IN, HL_OUT, HL_MAC, HL_SRC, HL_DST,
		     HL_PROTO, HL_SPORT, HL_DPORT, HL_PREFIX, HL_COUNT };

static const char *const hitslog_keys[HL_COUNT] = {
	[HL_TIME] = "time", [HL_EPOCH] = "epoch", [HL_ZONE] = "zone", [HL_ACTION] = "action",
	[HL_IN] = "in", [HL_OUT] = "out", [HL_MAC] = "mac", [HL_SRC] = "src", [HL_DST] = "dst",
	[HL_PROTO] = "proto", [HL_SPORT] = "sport", [HL_DPORT] = "dport", [HL_PREFIX] = "prefix",
};

struct hitslog_fields {
	struct span v[HL_COUNT];
	bool seen[HL_COUNT];
};

static void hitslog_member(void *arg, struct span key, struct span val, bool str)
{
	struct hitslog_fields *f = arg;

	for (int i = 0; i < HL_COUNT; i++)
		if (!f->seen[i] && span_is(key, hitslog_keys[i])) {
			f->seen[i] = true;
			f->v[i] = val;
			return;
		}
}

/* A string member unescaped into buf as a span; false when absent or too long. */
static bool hitslog_text(const struct hitslog_fields *f, int i, char *buf, size_t size,
			 struct span *out)
{
	if (!f->seen[i] || f->v[i].n >= size)
		return false;
	*out = (struct span){ buf, json_unescape(f->v[i], buf, size) };
	return true;
}

static enum hit_result parse_hitslog(const char *p, const char *end, const struct hit_context *ctx,
				     struct hit *out)
{
	struct hitslog_fields f;
	char buf[HIT_PREFIX_MAX + 1];
	size_t plen = prefix_trimmed_len(ctx ? ctx->prefix : NULL);
	unsigned long epoch, port;
	struct span s, dot;
	struct hit h;

	memset(&f, 0, sizeof(f));
	/* Without a source address it is no hit: e.g. a "lost" record */
	if (!json_members(p, end, hitslog_member, &f) || !f.seen[HL_SRC])
		return HIT_NONE;
	memset(&h, 0, sizeof(h));
	if (hitslog_text(&f, HL_PREFIX, buf, sizeof(buf), &s)) {
		while (s.n && s.p[s.n - 1] == ' ')
			s.n--;
		if (plen && (s.n != plen || memcmp(s.p, ctx->prefix, plen) != 0))
			return HIT_NONE;
		span_copy(s, h.prefix, sizeof(h.prefix));
	} else if (plen) {
		return HIT_NONE;
	}
	if (!f.seen[HL_EPOCH] || !span_uint(f.v[HL_EPOCH], (unsigned long)INT64_MAX, &epoch) ||
	    !hitslog_text(&f, HL_IN, buf, sizeof(buf), &s) || !span_copy(s, h.in, sizeof(h.in)) ||
	    (hitslog_text(&f, HL_OUT, buf, sizeof(buf), &s) && !span_copy(s, h.out, sizeof(h.out))) ||
	    !hitslog_text(&f, HL_SRC, buf, sizeof(buf), &s) || !span_addr(s, &h.src) ||
	    !hitslog_text(&f, HL_DST, buf, sizeof(buf), &s) || !span_addr(s, &h.dst) ||
	    h.src.family != h.dst.family ||
	    (hitslog_text(&f, HL_PROTO, buf, sizeof(buf), &s) && !proto_parse(s, &h.proto)))
		return finish(HIT_MALFORMED, out, 0, 0, HIT_FORMAT_HITSLOG);
	for (int i = HL_SPORT; i <= HL_DPORT; i++) {
		if (!f.seen[i])
			continue;
		if (!span_uint(f.v[i], 65535, &port))
			return finish(HIT_MALFORMED, out, (time_t)epoch, 0, HIT_FORMAT_HITSLOG);
		*(i == HL_SPORT ? &h.sport : &h.dport) = (uint16_t)port;
	}
	if (hitslog_text(&f, HL_MAC, buf, sizeof(buf), &s) &&
	    hex_bytes(s.p, s.n, h.src_mac, 6))
		h.has_src_mac = true;
	/* What the zone's rule did then, as recorded; the config of today for older records */
	hit_set_zone(&h, ctx ? ctx->cfg : NULL);
	if (hitslog_text(&f, HL_ZONE, buf, sizeof(buf), &s) && s.n &&
	    span_copy(s, h.zone, sizeof(h.zone)))
		for (int a = 0; a < HIT_ACTION_COUNT; a++)
			if (f.seen[HL_ACTION] && span_is(f.v[HL_ACTION], hit_action_names[a]))
				h.action = (enum hit_action)a;
	*out = h;
	/* "2026-11-22T11:29:51.123456+01:00": the microseconds */
	dot = (struct span){ NULL, 0 };
	if (f.seen[HL_TIME] && f.v[HL_TIME].n > 27 && f.v[HL_TIME].p[19] == '.')
		dot = (struct span){ f.v[HL_TIME].p + 20, 6 };
	return finish(HIT_OK, out, (time_t)epoch,
		      dot.p && span_uint(dot, 999999, &port) ? (long)port : 0, HIT_FORMAT_HITSLOG);
}

/* "PRI,SEQ,USEC" followed by ',' or ';' */
static bool looks_kmsg(const char *p, const char *end)
{
	for (int field = 0; field < 3; field++) {
		const char *s = p;

		while (p < end && *p >= '0' && *p <= '9')
			p++;
		if (p == s || p >= end || (*p != ',' && !(field == 2 && *p == ';')))
			return false;
		p++;
	}
	return true;
}

enum hit_result hit_parse_line(const char *line, size_t len, enum hit_format format,
			       const struct hit_context *ctx, struct hit *out)
{
	const char *end = line + len;

	while (end > line && (end[-1] == '\n' || end[-1] == '\r'))
		end--;
	if (format == HIT_FORMAT_AUTO) {
		const char *p = json_skip_ws(line, end);

		if (p < end && *p == '{') {
			enum hit_result r = parse_journal(line, end, ctx, out);

			return r != HIT_NONE ? r : parse_hitslog(line, end, ctx, out);
		}
		else if (looks_kmsg(line, end))
			format = HIT_FORMAT_KMSG;
		else
			format = HIT_FORMAT_SYSLOG;
	}
	switch (format) {
	case HIT_FORMAT_KMSG:
		return parse_kmsg(line, end, ctx, out);
	case HIT_FORMAT_JOURNAL:
		return parse_journal(line, end, ctx, out);
	case HIT_FORMAT_SYSLOG:
	case HIT_FORMAT_LOGEMU:
		/* A syslog line starts with its date: '{' is the hits log's */
		if (line < end && *line == '{')
			return parse_hitslog(line, end, ctx, out);
		return parse_syslog(line, end, format, ctx, out);
	case HIT_FORMAT_HITSLOG:
		return parse_hitslog(line, end, ctx, out);
	default:
		return HIT_NONE;
	}
}

void hit_context_init(struct hit_context *ctx, const struct config *cfg)
{
	struct timespec real, mono;

	memset(ctx, 0, sizeof(*ctx));
	ctx->cfg = cfg;
	ctx->now = time(NULL);
	ctx->prefix = cfg ? cfg->log_prefix : NULL;
	/* printk stamps count from boot on the monotonic clock (no suspend time). */
	clock_gettime(CLOCK_REALTIME, &real);
	clock_gettime(CLOCK_MONOTONIC, &mono);
	ctx->boot.tv_sec = real.tv_sec - mono.tv_sec;
	ctx->boot.tv_nsec = real.tv_nsec - mono.tv_nsec;
	if (ctx->boot.tv_nsec < 0) {
		ctx->boot.tv_nsec += 1000000000;
		ctx->boot.tv_sec--;
	}
}

/* ---- output */

static const char *proto_name(uint8_t proto, char *buf, size_t size)
{
	for (size_t i = 0; i < sizeof(proto_names) / sizeof(proto_names[0]); i++)
		if (proto_names[i].number == proto)
			return proto_names[i].name;
	snprintf(buf, size, "%u", proto);
	return buf;
}

void hit_emit(struct emit *e, const struct hit *h)
{
	char when[40], zone[8], stamp[64], addr[ADDR_TEXT_MAX], mac[18] = "", pbuf[4];
	const char *proto = proto_name(h->proto, pbuf, sizeof(pbuf));
	struct tm tm;

	/* Only the time of the form written: strftime() costs in the report's loop. */
	localtime_r(&h->time, &tm);
	strftime(when, sizeof(when), emit_is(e, EMIT_TEXT) ? "%Y-%m-%d %H:%M:%S" : "%Y-%m-%dT%H:%M:%S",
		 &tm);
	emit_strf(e, EMIT_TEXT, "time", "%s ", when);
	emit_str(e, EMIT_CSV, "time", when);
	if (emit_is(e, EMIT_JSON)) {
		strftime(zone, sizeof(zone), "%z", &tm);
		snprintf(stamp, sizeof(stamp), "%s.%06ld%.3s:%s", when, h->usec, zone, zone + 3);
		emit_str(e, EMIT_JSON, "time", stamp);
	}
	emit_i64(e, EMIT_JSON, "epoch", h->time);
	emit_str(e, EMIT_CSV | EMIT_JSON, "zone", h->zone);
	emit_strf(e, EMIT_TEXT, "zone", "%s ", h->zone[0] ? h->zone : "-");
	emit_strf(e, EMIT_ANY, "action", "%s ", hit_action_names[h->action]);
	emit_str(e, EMIT_JSON, "source", hit_format_names[h->format]);
	emit_str(e, EMIT_CSV | EMIT_JSON, "in", h->in);
	emit_strf(e, EMIT_TEXT, "in", "%s>", h->in[0] ? h->in : "-");
	emit_str(e, EMIT_CSV | EMIT_JSON, "out", h->out);
	emit_strf(e, EMIT_TEXT, "out", "%s ", h->out[0] ? h->out : "-");
	if (h->has_src_mac)
		mac_format(h->src_mac, mac);
	emit_str(e, EMIT_CSV | EMIT_JSON, "mac", mac);
	addr_format(&h->src, addr, sizeof(addr));
	emit_strf(e, EMIT_ANY, "src", "SRC=%s ", addr);
	addr_format(&h->dst, addr, sizeof(addr));
	emit_strf(e, EMIT_ANY, "dst", "DST=%s ", addr);
	emit_strf(e, EMIT_ANY, "proto", "%s ", proto);
	emit_u64f(e, EMIT_ANY, "sport", "SPT=%" PRIu64 " ", h->sport);
	emit_u64f(e, EMIT_ANY, "dport", "DPT=%" PRIu64, h->dport);
	emit_strf(e, EMIT_TEXT, "mac", " MAC=%s", mac[0] ? mac : "-");
	emit_str(e, EMIT_JSON, "prefix", h->prefix);
}

int hit_format_line(const struct hit *h, char *buf, size_t size)
{
	struct emit e;

	emit_init_buffer(&e, buf, size, EMIT_TEXT);
	hit_emit(&e, h);
	return (int)emit_length(&e);
}

void hit_write_json(const struct hit *h, FILE *out)
{
	struct emit e;

	emit_init(&e, out, EMIT_JSON, NULL);
	emit_object_open(&e, EMIT_JSON, NULL);
	hit_emit(&e, h);
	emit_object_close(&e);
}
