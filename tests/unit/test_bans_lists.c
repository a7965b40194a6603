/*
 * test_bans_lists.c - bans and unban over the two lists of a zone
 * (SMTPGUARD-<zone>, SMTPGUARD-<zone>-IPV6-<prefix>), in a folder that
 * stands for /proc/net/xt_recent.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bans.h"
#include "tap.h"

static char dir[] = "/tmp/sg-bans-XXXXXX";
static const char *const names[] = {
	"SMTPGUARD-wlan", "SMTPGUARD-wlan-IPV6-64", "SMTPGUARD-lan-IPV6-128",
	"SMTPGUARD-wlan-IPV6-129", "SMTPGUARD-wlan-IPV6-", "SMTPGUARD-Wlan-IPV6-64",
};

static void put(const char *name, const char *text)
{
	char p[400];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	f = fopen(p, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

/* The first line of a list file: what unban wrote over it. */
static const char *first_line(const char *name)
{
	static char line[128];
	char p[400];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	line[0] = '\0';
	f = fopen(p, "r");
	if (f) {
		if (!fgets(line, sizeof(line), f))
			line[0] = '\0';
		fclose(f);
	}
	line[strcspn(line, "\n")] = '\0';
	return line;
}

static int unban(const char *host)
{
	struct error err = { 0 };
	struct addr a;

	addr_parse(host, &a, &err);
	return bans_unban(dir, &a, &err);
}

int main(void)
{
	struct error err = { 0 };
	struct ban *bans = NULL;
	char text[ADDR_TEXT_MAX];
	size_t n = 0;

	if (!mkdtemp(dir))
		return 1;
	put("SMTPGUARD-wlan", "src=192.0.2.66 ttl: 64 last_seen: 4295000000 oldest_pkt: 1 4295000000\n");
	put("SMTPGUARD-wlan-IPV6-64", "src=2001:0db8:0002:0000:0000:0000:0000:0000 ttl: 64 "
				      "last_seen: 4295000001 oldest_pkt: 1 4295000001\n");
	put("SMTPGUARD-lan-IPV6-128", "src=2001:0db8:0001:0000:0000:0000:0000:0002 ttl: 64 "
				      "last_seen: 4295000002 oldest_pkt: 1 4295000002\n");
	put("SMTPGUARD-wlan-IPV6-129", "src=2001:db8:9::1 ttl: 64 last_seen: 1 oldest_pkt: 1 1\n");
	put("SMTPGUARD-wlan-IPV6-", "src=2001:db8:9::2 ttl: 64 last_seen: 1 oldest_pkt: 1 1\n");
	put("SMTPGUARD-Wlan-IPV6-64", "src=2001:db8:9::3 ttl: 64 last_seen: 1 oldest_pkt: 1 1\n");

	if (ok(bans_read(dir, NULL, &bans, &n, &err) == 0, "bans_read: %s", err.text)) {
		is_int(n, 3, "both lists of wlan and the IPv6 list of lan; bad names skipped");
		for (size_t i = 0; i < n; i++) {
			addr_format(&bans[i].addr, text, sizeof(text));
			if (strcmp(bans[i].zone, "wlan") == 0 && bans[i].addr.family == AF_INET6)
				is_str(text, "2001:db8:2::/64", "an IPv6 ban shows the prefix of its list's mask");
			else if (strcmp(bans[i].zone, "lan") == 0)
				is_str(text, "2001:db8:1::2", "a /128 list shows hosts");
			else
				is_str(text, "192.0.2.66", "the IPv4 list of wlan");
		}
		free(bans);
	}

	is_int(unban("2001:db8:2::66"), 1, "unban of a host's own address finds its /64 entry");
	is_str(first_line("SMTPGUARD-wlan-IPV6-64"), "-2001:db8:2::", "and removes the masked entry");
	is_int(unban("2001:db8:3::66"), 0, "a host of another /64 is in no list");
	is_int(unban("2001:db8:1::2"), 1, "unban in a /128 list");
	is_str(first_line("SMTPGUARD-lan-IPV6-128"), "-2001:db8:1::2", "removes the host");
	is_int(unban("192.0.2.66"), 1, "unban of an IPv4 host");
	is_str(first_line("SMTPGUARD-wlan"), "-192.0.2.66", "in the IPv4 list");
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char p[400];

		snprintf(p, sizeof(p), "%s/%s", dir, names[i]);
		unlink(p);
	}
	rmdir(dir);
	return tap_done();
}
