/*
 * bans.c - the rate-ban lists in /proc/net/xt_recent; see include/bans.h.
 *
 * xt_recent prints times in jiffies, which user space cannot read
 * directly.  /proc/timer_list (root only) prints both the kernel's
 * "jiffies:" and "now at N nsecs" (CLOCK_MONOTONIC).  Jiffies start at
 * INITIAL_JIFFIES = (unsigned long)(unsigned int)(-300 * HZ) so that
 * they wrap five minutes after boot, and advance HZ per second; of the
 * HZ values Linux can be built with, the one that predicts the printed
 * jiffies from "now at" is the kernel's.  Without timer_list, HZ comes
 * from the kernel config (/proc/config.gz or /boot/config-RELEASE) and
 * jiffies are predicted from CLOCK_MONOTONIC the same way.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <zlib.h>

#include "bans.h"
#include "compile.h"
#include "testenv.h"

#define DEFAULT_BAN_SECONDS 60

static const unsigned hz_candidates[] = { 100, 250, 300, 1000, 24, 48, 128, 200, 256, 512, 1024, 1200 };

static uint64_t initial_jiffies(unsigned hz)
{
	return (uint64_t)(uint32_t)(-(int64_t)300 * hz);
}

static uint64_t predict_jiffies(unsigned hz, uint64_t mono_ns)
{
	return initial_jiffies(hz) + mono_ns / 1000000 * hz / 1000;
}

/* "jiffies:" and the first "now at" from /proc/timer_list. */
static int clock_from_timer_list(uint64_t *jiffies, uint64_t *mono_ns)
{
	FILE *f = fopen("/proc/timer_list", "re");
	char line[256];
	bool have_now = false;
	int found = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long v;

		if (!have_now && sscanf(line, "now at %llu nsecs", &v) == 1) {
			*mono_ns = v;
			have_now = true;
		} else if (sscanf(line, "jiffies: %llu", &v) == 1) {
			*jiffies = v;
			found = have_now ? 0 : -1;
			break;
		}
	}
	fclose(f);
	return found;
}

/* CONFIG_HZ=N from a kernel config file (gzip or plain; zlib reads both). */
static unsigned hz_from_config(const char *path)
{
	gzFile gz = gzopen(path, "rb");
	char line[256];
	unsigned hz = 0;

	if (!gz)
		return 0;
	while (gzgets(gz, line, sizeof(line)))
		if (sscanf(line, "CONFIG_HZ=%u", &hz) == 1)
			break;
	gzclose(gz);
	return hz;
}

int bans_clock(struct jiffies_clock *clk, struct error *err)
{
	struct timespec mono;
	uint64_t mono_ns = 0, best = UINT64_MAX;

	clock_gettime(CLOCK_REALTIME, &clk->wall);
	if (clock_from_timer_list(&clk->jiffies, &mono_ns) == 0) {
		for (size_t i = 0; i < sizeof(hz_candidates) / sizeof(hz_candidates[0]); i++) {
			uint64_t p = predict_jiffies(hz_candidates[i], mono_ns);
			uint64_t d = p > clk->jiffies ? p - clk->jiffies : clk->jiffies - p;

			if (d < best) {
				best = d;
				clk->hz = hz_candidates[i];
			}
		}
		return 0;
	}
	clk->hz = hz_from_config("/proc/config.gz");
	if (!clk->hz) {
		struct utsname u;
		char path[128 + sizeof(u.release)];

		if (uname(&u) == 0) {
			snprintf(path, sizeof(path), "/boot/config-%s", u.release);
			clk->hz = hz_from_config(path);
		}
	}
	if (!clk->hz)
		return error_set(err, "bans: cannot tell the kernel's jiffies: /proc/timer_list is not "
				      "readable and no kernel config names CONFIG_HZ; run as root");
	clock_gettime(CLOCK_MONOTONIC, &mono);
	clk->jiffies = predict_jiffies(clk->hz, (uint64_t)mono.tv_sec * 1000000000 +
							(uint64_t)mono.tv_nsec);
	return 0;
}

int bans_parse_line(const char *line, size_t len, const struct jiffies_clock *clk,
		    struct ban *out)
{
	char buf[512], host[INET6_ADDRSTRLEN];
	unsigned long long last;
	unsigned ttl, oldest;
	uint64_t ago_jiffies;
	long ago;
	int used = 0;
	unsigned hits = 0;
	const char *p;

	if (len >= sizeof(buf) || clk->hz == 0)
		return -1;
	memcpy(buf, line, len);
	buf[len] = '\0';
	if (sscanf(buf, "src=%45s ttl: %u last_seen: %llu oldest_pkt: %u%n", host, &ttl, &last,
		   &oldest, &used) != 4)
		return -1;
	memset(&out->addr, 0, sizeof(out->addr));
	out->addr.family = strchr(host, ':') ? AF_INET6 : AF_INET;
	out->addr.prefix = out->addr.family == AF_INET ? 32 : 128;
	if (inet_pton(out->addr.family, host, out->addr.bytes) != 1)
		return -1;
	/* the stamps: " 4295000, 4295100, 4295123" */
	for (p = buf + used; *p;) {
		char *end;

		while (*p == ' ' || *p == ',')
			p++;
		if (!*p || *p == '\n')
			break;
		strtoull(p, &end, 10);
		if (end == p)
			return -1;
		hits++;
		p = end;
	}
	ago_jiffies = clk->jiffies >= last ? clk->jiffies - last : 0;
	ago = (long)(ago_jiffies / clk->hz);
	out->last_seen = clk->wall.tv_sec - ago;
	out->hits = hits;
	out->seconds_left = ago < (long)out->ban_seconds ? (long)out->ban_seconds - ago : 0;
	return 0;
}

unsigned bans_zone_seconds(const struct config *cfg, const char *zone, unsigned otherwise)
{
	for (size_t i = 0; cfg && i < cfg->nzones; i++)
		if (strcmp(cfg->zones[i].name, zone) == 0)
			return cfg->zones[i].ban_seconds;
	return otherwise;
}

/* A list of ours, and the mask its IPv6 entries were stored with. */
struct ban_list {
	char zone[ZONE_NAME_MAX + 1];
	unsigned prefix6;
	bool escalation;	/* SMTPGUARD-<zone>-ESC[-IPV6] */
};

/* The list's window: the zone's ban_seconds, or its escalate time for an escalation list. */
static unsigned list_seconds(const struct config *cfg, const struct ban_list *l)
{
	for (size_t i = 0; cfg && i < cfg->nzones; i++)
		if (strcmp(cfg->zones[i].name, l->zone) == 0)
			return l->escalation ? cfg->zones[i].escalate : cfg->zones[i].ban_seconds;
	return DEFAULT_BAN_SECONDS;
}

/* Cut an escalation list's suffix off name[0..*len): true when it had one. */
static bool list_escalation(const char *name, size_t *len)
{
	static const char *const suffixes[] = { COMPILE_ESC6_SUFFIX, COMPILE_ESC_SUFFIX };

	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		size_t n = strlen(suffixes[i]);

		if (*len > n && strcmp(name + *len - n, suffixes[i]) == 0) {
			*len -= n;
			return true;
		}
	}
	return false;
}

/*
 * "SMTPGUARD-<zone>", "SMTPGUARD-<zone>-IPV6-<prefix>" or an escalation
 * list "SMTPGUARD-<zone>-ESC[-IPV6]" (include/compile.h); other names are not ours.  IPv6 entries of a list without the infix
 * (written by an older smtpguard) are taken as hosts.
 */
static bool list_parse(const char *name, struct ban_list *out)
{
	size_t n = strlen(CHAIN_PREFIX), len;
	const char *infix;
	unsigned prefix = 128;
	int used = 0;

	if (strncmp(name, CHAIN_PREFIX, n) != 0)
		return false;
	name += n;
	infix = strstr(name, COMPILE_LIST6_INFIX);
	len = infix ? (size_t)(infix - name) : strlen(name);
	out->escalation = !infix && list_escalation(name, &len);
	if (infix && (sscanf(infix + strlen(COMPILE_LIST6_INFIX), "%3u%n", &prefix, &used) != 1 ||
		      infix[strlen(COMPILE_LIST6_INFIX) + (size_t)used] != '\0' || prefix < 1 ||
		      prefix > 128))
		return false;
	if (len > ZONE_NAME_MAX)
		return false;
	memcpy(out->zone, name, len);
	out->zone[len] = '\0';
	out->prefix6 = prefix;
	return zonename_check(out->zone, NULL) == 0;
}

/* An entry's address as a prefix of the list's mask ("2001:db8:2::/64"; IPv4 hosts as they are). */
static void ban_mask(struct ban *b, const struct ban_list *l)
{
	if (b->addr.family == AF_INET6)
		b->addr.prefix = l->prefix6;
}

static int ban_order(const void *a, const void *b)
{
	const struct ban *x = a, *y = b;

	if (x->last_seen != y->last_seen)
		return x->last_seen > y->last_seen ? -1 : 1;
	return strcmp(x->zone, y->zone);
}

void bans_sort(struct ban *bans, size_t n)
{
	if (n)
		qsort(bans, n, sizeof(*bans), ban_order);
}

/* Append the entries of one list file to *out. */
static int list_read(const char *dir, const char *name, const struct ban_list *l,
		     const struct jiffies_clock *clk, unsigned ban_seconds, struct ban **out,
		     size_t *n, size_t *cap, struct error *err)
{
	char path[4096], *line = NULL;
	size_t linecap = 0;
	ssize_t len;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "re");
	if (!f)
		return error_set(err, "bans: cannot read %s: %s; run as root", path, strerror(errno));
	while ((len = getline(&line, &linecap, f)) > 0) {
		struct ban b = { .ban_seconds = ban_seconds, .escalated = l->escalation };

		snprintf(b.zone, sizeof(b.zone), "%s", l->zone);
		if (bans_parse_line(line, (size_t)len, clk, &b) < 0)
			continue;
		ban_mask(&b, l);
		if (*n == *cap) {
			size_t ncap = *cap ? *cap * 2 : 16;
			struct ban *grown = realloc(*out, ncap * sizeof(*grown));

			if (!grown) {
				free(line);
				fclose(f);
				return error_set(err, "bans: out of memory");
			}
			*out = grown;
			*cap = ncap;
		}
		(*out)[(*n)++] = b;
	}
	free(line);
	fclose(f);
	return 0;
}

int bans_read(const char *dir, const struct config *cfg, struct ban **out, size_t *n,
	      struct error *err)
{
	struct jiffies_clock clk;
	struct dirent *d;
	size_t cap = 0;
	DIR *dp;

	*out = NULL;
	*n = 0;
	dp = opendir(dir);
	if (!dp) {
		/* xt_recent not loaded: no rateban rule was ever applied */
		if (errno == ENOENT)
			return 0;
		return error_set(err, "bans: cannot read %s: %s; run as root", dir, strerror(errno));
	}
	if (bans_clock(&clk, err) < 0) {
		closedir(dp);
		return -1;
	}
	while ((d = readdir(dp))) {
		struct ban_list l;

		if (!list_parse(d->d_name, &l))
			continue;
		if (list_read(dir, d->d_name, &l, &clk, list_seconds(cfg, &l), out, n, &cap,
			      err) < 0) {
			closedir(dp);
			free(*out);
			*out = NULL;
			*n = 0;
			return -1;
		}
	}
	closedir(dp);
	bans_sort(*out, *n);
	return 0;
}

/*
 * true when the list file holds an entry covering the host addr (the
 * entry is addr under the list's mask), with that entry in *entry.
 */
static bool list_holds(const char *path, const struct ban_list *l, const struct addr *addr,
		       struct addr *entry)
{
	static const struct jiffies_clock any = { .hz = 1 };
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	bool found = false;
	FILE *f = fopen(path, "re");

	if (!f)
		return false;
	while (!found && (len = getline(&line, &cap, f)) > 0) {
		struct ban b = { 0 };

		if (bans_parse_line(line, (size_t)len, &any, &b) < 0)
			continue;
		ban_mask(&b, l);
		found = addr_contains(&b.addr, addr);
		if (found)
			*entry = b.addr;
	}
	free(line);
	fclose(f);
	return found;
}

int bans_unban(const char *dir, const struct addr *addr, struct error *err)
{
	char path[4096], text[INET6_ADDRSTRLEN + 3];
	struct dirent *d;
	int removed = 0;
	DIR *dp;

	dp = opendir(dir);
	if (!dp)
		return errno == ENOENT ? 0 :
					 error_set(err, "unban: cannot read %s: %s; run as root", dir,
						   strerror(errno));
	while ((d = readdir(dp))) {
		struct ban_list l;
		struct addr entry;
		int fd;
		ssize_t w;

		if (!list_parse(d->d_name, &l))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
		if (!list_holds(path, &l, addr, &entry))
			continue;
		/* the kernel removes the entry it stored: the address under the list's mask */
		text[0] = '-';
		inet_ntop(entry.family, entry.bytes, text + 1, INET6_ADDRSTRLEN);
		strcat(text, "\n");
		fd = open(path, O_WRONLY | O_CLOEXEC);
		w = fd < 0 ? -1 : write(fd, text, strlen(text));
		if (w < 0 || (size_t)w != strlen(text)) {
			int e = errno;

			if (fd >= 0)
				close(fd);
			closedir(dp);
			return error_set(err, "unban: cannot write %s: %s; run as root", path,
					 strerror(e));
		}
		close(fd);
		removed++;
	}
	closedir(dp);
	return removed;
}

int bans_escalate(const char *dir, const char *zone, const struct addr *addr, struct error *err)
{
	char name[RECENT_NAME_MAX + 1], path[4096], text[INET6_ADDRSTRLEN + 3];
	ssize_t w;
	int fd, e;

	compile_escalate_list(zone, addr->family, name);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	text[0] = '+';
	inet_ntop(addr->family, addr->bytes, text + 1, INET6_ADDRSTRLEN);
	strcat(text, "\n");
	fd = open(path, O_WRONLY | O_CLOEXEC);
	w = fd < 0 ? -1 : write(fd, text, strlen(text));
	e = errno;
	if (fd >= 0)
		close(fd);
	if (w >= 0 && (size_t)w == strlen(text))
		return 0;
	if (fd < 0 && e == ENOENT)
		return error_set(err, "escalate: no list %s: the rules of zone %s with escalate are "
				      "not applied; run smtpguard apply", path, zone);
	return error_set(err, "escalate: cannot write %s: %s; run as root", path, strerror(e));
}

static int bans_xt_recent_read(const struct config *cfg, struct ban **out, size_t *n,
			       struct error *err)
{
	return bans_read(testenv()->xt_recent_dir, cfg, out, n, err);
}

static int bans_xt_recent_unban(const struct addr *addr, struct error *err)
{
	return bans_unban(testenv()->xt_recent_dir, addr, err);
}

int bans_xt_recent_escalate(const char *zone, const struct addr *addr, unsigned seconds,
			    struct error *err)
{
	(void)seconds;
	return bans_escalate(testenv()->xt_recent_dir, zone, addr, err);
}

const struct fw_bans_ops bans_xt_recent = {
	.read = bans_xt_recent_read,
	.unban = bans_xt_recent_unban,
};
