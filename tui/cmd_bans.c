/*
 * cmd_bans.c - `smtpguard bans [--json]` lists the hosts in the
 * rate-ban lists with their last attempt and the time left in the ban;
 * `smtpguard unban IP` removes a host from every list that holds it, so
 * its next connection passes.
 *
 * SMTPGUARD_XT_RECENT_DIR names another folder than /proc/net/xt_recent
 * (rootless tests).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "bans.h"
#include "cli.h"
#include "json.h"

static const char *bans_dir(void)
{
	const char *dir = getenv("SMTPGUARD_XT_RECENT_DIR");

	return dir && dir[0] ? dir : NULL;
}

static void bans_print_text(const struct ban *bans, size_t n)
{
	char host[ADDR_TEXT_MAX], when[32];
	struct tm tm;

	if (!n) {
		printf("No hosts in the rate-ban lists.\n");
		return;
	}
	printf("%-12s %-39s %-19s %6s  %s\n", "zone", "host", "last seen", "hits", "ban left");
	for (size_t i = 0; i < n; i++) {
		addr_format(&bans[i].addr, host, sizeof(host));
		localtime_r(&bans[i].last_seen, &tm);
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
		if (bans[i].seconds_left > 0)
			printf("%-12s %-39s %-19s %6u  %lds of %us\n", bans[i].zone, host, when,
			       bans[i].hits, bans[i].seconds_left, bans[i].ban_seconds);
		else
			printf("%-12s %-39s %-19s %6u  expired (next attempt passes)\n", bans[i].zone,
			       host, when, bans[i].hits);
	}
}

static void bans_print_json(const struct ban *bans, size_t n)
{
	char host[ADDR_TEXT_MAX], when[32];
	struct tm tm;

	putchar('[');
	for (size_t i = 0; i < n; i++) {
		addr_format(&bans[i].addr, host, sizeof(host));
		localtime_r(&bans[i].last_seen, &tm);
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S%z", &tm);
		printf("%s\n{", i ? "," : "");
		json_write_key(stdout, "zone");
		json_write_string(stdout, bans[i].zone);
		printf(",\"host\":\"%s\",\"last_seen\":\"%s\",\"hits\":%u,\"ban_seconds\":%u,"
		       "\"seconds_left\":%ld}",
		       host, when, bans[i].hits, bans[i].ban_seconds, bans[i].seconds_left);
	}
	printf("%s]\n", n ? "\n" : "");
}

int cmd_bans(struct cli *cli, int argc, char **argv)
{
	struct error err = { 0 };
	struct config *cfg;
	struct ban *bans;
	bool json = false;
	size_t n;
	int code;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = true;
		else
			return cli_usage_fail("bans", "unexpected argument '%s'", argv[i]);
	}
	cfg = cli_config_if_present(cli, &code);
	if (code != EXIT_OK)
		return code;
	if (bans_read(bans_dir(), cfg, &bans, &n, &err) < 0) {
		config_free(cfg);
		return cli_error(&err);
	}
	if (json)
		bans_print_json(bans, n);
	else
		bans_print_text(bans, n);
	free(bans);
	config_free(cfg);
	if (fflush(stdout) != 0)
		return cli_fail(EXIT_RUNTIME, "bans: cannot write to standard output");
	return EXIT_OK;
}

int cmd_unban(struct cli *cli, int argc, char **argv)
{
	struct error err = { 0 };
	struct addr a;
	char text[ADDR_TEXT_MAX];
	int removed;

	if (argc != 2)
		return cli_usage_fail("unban", "give one address");
	if (addr_parse(argv[1], &a, &err) < 0)
		return cli_fail(EXIT_USAGE, "unban: %s", err.text);
	if (a.prefix != (a.family == AF_INET ? 32u : 128u))
		return cli_fail(EXIT_USAGE, "unban: %s is a network; give one host address", argv[1]);
	addr_format(&a, text, sizeof(text));
	removed = bans_unban(bans_dir(), &a, &err);
	if (removed < 0)
		return cli_error(&err);
	if (removed == 0)
		return cli_fail(EXIT_RUNTIME,
				"unban: %s is not in any rate-ban list (smtpguard bans lists them)", text);
	printf("Removed %s from %d rate-ban list%s: its next connection passes.\n", text, removed,
	       removed == 1 ? "" : "s");
	return EXIT_OK;
}
