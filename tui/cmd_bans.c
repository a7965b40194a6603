/*
 * cmd_bans.c - `smtpguard bans [--json]` lists the hosts in the
 * rate-ban lists with their last attempt and the time left in the ban,
 * and the hosts `watch` escalated (marked so, with the time left);
 * `smtpguard unban IP` removes a host from every list that holds it, so
 * its next connection passes.
 * The backend keeps the lists (struct fw_bans_ops in include/fw.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "bans.h"
#include "cli.h"
#include "emit.h"

/* One row of text or one JSON object per host. */
static void bans_print(const struct ban *bans, size_t n, enum emit_form form)
{
	char host[ADDR_TEXT_MAX], when[32];
	struct emit e;
	struct tm tm;

	emit_init(&e, stdout, form, NULL);
	if (!n)
		emit_text(&e, "No hosts in the rate-ban lists.\n");
	else
		emit_text(&e, "%-12s %-39s %-19s %6s  %s\n", "zone", "host", "last seen", "hits",
			  "ban left");
	emit_array_open(&e, EMIT_JSON, NULL, EMIT_LINES_END);
	for (size_t i = 0; i < n; i++) {
		const struct ban *b = &bans[i];

		addr_format(&b->addr, host, sizeof(host));
		localtime_r(&b->last_seen, &tm);
		emit_object_open(&e, EMIT_JSON, NULL);
		emit_strf(&e, EMIT_ANY, "zone", "%-12s ", b->zone);
		emit_strf(&e, EMIT_ANY, "host", "%-39s ", host);
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
		emit_strf(&e, EMIT_TEXT, "last_seen", "%-19s ", when);
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S%z", &tm);
		emit_str(&e, EMIT_JSON, "last_seen", when);
		if (b->hits) {
			emit_u64f(&e, EMIT_ANY, "hits", "%6" PRIu64 "  ", b->hits);
		} else {	/* the backend does not count them */
			emit_text(&e, "%6s  ", "-");
			emit_null(&e, "hits");
		}
		emit_u64(&e, EMIT_JSON, "ban_seconds", b->ban_seconds);
		emit_i64(&e, EMIT_JSON, "seconds_left", b->seconds_left);
		emit_bool(&e, EMIT_JSON, "escalated", b->escalated);
		if (b->seconds_left > 0)
			emit_text(&e, "%lds of %us%s\n", b->seconds_left, b->ban_seconds,
				  b->escalated ? " (escalated)" : "");
		else if (b->escalated)
			emit_text(&e, "escalation expired (next attempt passes)\n");
		else
			emit_text(&e, "expired (next attempt passes)\n");
		emit_object_close(&e);
	}
	emit_array_close(&e);
	if (emit_is(&e, EMIT_JSON))
		emit_newline(&e);
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
	if (fw_backend()->bans->read(cfg, &bans, &n, &err) < 0) {
		config_free(cfg);
		return cli_error(&err);
	}
	bans_print(bans, n, json ? EMIT_JSON : EMIT_TEXT);
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
	struct config *cfg;
	int removed, code;

	if (argc != 2)
		return cli_usage_fail("unban", "give one address");
	if (addr_parse(argv[1], &a, &err) < 0)
		return cli_fail(EXIT_USAGE, "unban: %s", err.text);
	if (a.prefix != (a.family == AF_INET ? 32u : 128u))
		return cli_fail(EXIT_USAGE, "unban: %s is a network; give one host address", argv[1]);
	addr_format(&a, text, sizeof(text));
	cfg = cli_config_if_present(cli, &code);	/* its backend key chooses the lists */
	config_free(cfg);
	if (code != EXIT_OK)
		return code;
	removed = fw_backend()->bans->unban(&a, &err);
	if (removed < 0)
		return cli_error(&err);
	if (removed == 0)
		return cli_fail(EXIT_RUNTIME,
				"unban: %s is not in any rate-ban list (smtpguard bans lists them)", text);
	printf("Removed %s from %d rate-ban list%s: its next connection passes.\n", text, removed,
	       removed == 1 ? "" : "s");
	return EXIT_OK;
}
