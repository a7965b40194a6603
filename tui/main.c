/*
 * main.c - program entry: global options, the subcommand table, --help.
 *
 * Global options (-c FILE, -d TENTHS, -h, -V) are accepted anywhere on
 * the line, before or after the subcommand; everything else is handed
 * to the subcommand's run function with argv[0] set to its name.
 * Both programs are built from it: smtpguard, whose console command
 * starts the console (launch.c), and smtpguard-console, which holds it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "testenv.h"

static const struct cli_command commands[] = {
	{ .name = "console", .usage = "[-d TENTHS] [--no-color] [--no-mouse] [--readonly]",
	  .help = "the interactive console (the default)", .run = cmd_console },
	{ .name = "apply", .usage = "[--dry-run | --check] [--confirm SECS]",
	  .help = "make the kernel's IPv4 and IPv6 rules match the config", .run = cmd_apply },
	{ .name = "confirm", .usage = "",
	  .help = "keep a change that is waiting for confirmation", .run = cmd_confirm },
	{ .name = "status", .usage = "[--json]",
	  .help = "zones, interfaces, nftables, IPv4 and IPv6 rules with counters",
	  .run = cmd_status },
	{ .name = "export", .usage = "[--format restore|sh|nft] [--family 4|6] [-o FILE]",
	  .help = "a family's ruleset (4 default) as (ip6)tables-restore input or sh",
	  .run = cmd_export },
	{ .name = "remove", .usage = "",
	  .help = "delete smtpguard's chains and jumps, nothing else", .run = cmd_remove },
	{ .name = "hits", .usage = "[--follow] [--json]",
	  .help = "recent port-25 log hits", .run = cmd_hits },
	{ .name = "bans", .usage = "[--json]",
	  .help = "hosts in the rate-ban lists", .run = cmd_bans },
	{ .name = "unban", .usage = "IP",
	  .help = "remove a host from the rate-ban lists", .run = cmd_unban },
	{ .name = "report", .usage = "[--date YYYY-MM-DD | --yesterday] [--format text|csv|json] [FILE...]",
	  .help = "the daily port-25 abuse report", .run = cmd_report },
	{ .name = "watch", .usage = "",
	  .help = "record every hit in the hits log until stopped (systemd: smtpguard-watch)",
	  .run = cmd_watch },
	{ .name = "metrics", .usage = "",
	  .help = "counters, bans and drift once, Prometheus text format", .run = cmd_metrics },
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage_print(FILE *out)
{
	fprintf(out, "usage: smtpguard [-c FILE] [COMMAND] [OPTIONS]\n\n"
		     "Keeps LAN and Wi-Fi hosts from sending mail straight to the internet (TCP port 25).\n\n"
		     "Commands:\n");
	for (size_t i = 0; i < NCOMMANDS; i++) {
		char synopsis[96];

		snprintf(synopsis, sizeof(synopsis), "%s %s", commands[i].name, commands[i].usage);
		fprintf(out, "  %-44s %s\n", synopsis, commands[i].help);
	}
	fprintf(out, "\nGlobal options, before or after the command:\n"
		     "  -c, --config FILE   the config (default %s)\n"
		     "  -d TENTHS           console refresh interval in tenths of a second (default 10)\n"
		     "  -h, --help          this text\n"
		     "  -V, --version       the version\n\n"
		     "Console options:\n",
		CONFIG_DEFAULT_PATH);
	for (size_t i = 0; i < console_noptions; i++)
		fprintf(out, "  %-19s %s\n", console_options[i].name, console_options[i].help);
	fprintf(out, "\nExit codes: 0 success, 1 runtime failure, 2 usage or config error,\n"
		     "            3 apply --check found the kernel out of step with the config,\n"
		     "            4 confirm came too late (the change is being or was rolled back).\n");
}

static const struct cli_command *command_find(const char *name)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

const char *cli_usage(const char *name)
{
	const struct cli_command *c = command_find(name);

	return c ? c->usage : "";
}

/* Parse "-d N": tenths of a second, 1..600. */
static int delay_parse(const char *text, unsigned *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(text, &end, 10);
	if (errno || end == text || *end || v < 1 || v > 600)
		return -1;
	*out = (unsigned)v;
	return 0;
}

int main(int argc, char **argv)
{
	struct cli cli = { .config_path = CONFIG_DEFAULT_PATH, .delay_tenths = 10 };
	const struct cli_command *cmd = NULL;
	char **rest = calloc((size_t)argc + 2, sizeof(*rest));
	int nrest = 1, code;
	bool dashdash = false;

	(void)testenv();	/* the test seams, read once before anything else runs */
	if (!rest)
		return cli_fail(EXIT_RUNTIME, "out of memory");
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (dashdash) {
			rest[nrest++] = argv[i];
		} else if (strcmp(a, "--") == 0) {
			dashdash = true;
			rest[nrest++] = argv[i];
		} else if (strcmp(a, "-c") == 0 || strcmp(a, "--config") == 0) {
			if (i + 1 >= argc) {
				code = cli_fail(EXIT_USAGE, "%s needs a file name (smtpguard --help)", a);
				goto out;
			}
			cli.config_path = argv[++i];
			cli.config_given = true;
		} else if (strncmp(a, "--config=", 9) == 0) {
			cli.config_path = a + 9;
			cli.config_given = true;
		} else if (strcmp(a, "-d") == 0) {
			if (i + 1 >= argc || delay_parse(argv[i + 1], &cli.delay_tenths) < 0) {
				code = cli_fail(EXIT_USAGE, "-d needs tenths of a second, 1 to 600");
				goto out;
			}
			i++;
		} else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			usage_print(stdout);
			code = EXIT_OK;
			goto out;
		} else if (strcmp(a, "-V") == 0 || strcmp(a, "--version") == 0) {
			printf("smtpguard %s\n", SMTPGUARD_VERSION);
			code = EXIT_OK;
			goto out;
		} else if (!cmd && a[0] != '-') {
			cmd = command_find(a);
			if (!cmd) {
				code = cli_fail(EXIT_USAGE, "unknown command '%s' (smtpguard --help lists them)", a);
				goto out;
			}
		} else {
			rest[nrest++] = argv[i];
		}
	}
	if (!cmd)
		cmd = &commands[0];
	rest[0] = (char *)cmd->name;
	rest[nrest] = NULL;
	if (cmd->run != cmd_console)
		cli_fake_warn();	/* the console warns itself: it may be another program */
	code = cmd->run(&cli, nrest, rest);
out:
	free(rest);
	return code;
}
