/*
 * cmd_apply.c - `smtpguard apply [--dry-run | --check] [--confirm SECS]`
 * and `smtpguard confirm`.
 *
 * The config is compiled to one ruleset per address family; --dry-run
 * prints the plans against the tables as they are, --check exits 3 when
 * either has one, and an apply hands both to guard_apply() (with
 * --confirm, a watchdog is armed first): the backend re-reads each
 * table inside the xtables lock and commits it once, IPv6 first; when
 * the IPv4 commit fails, IPv6 is put back.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cli.h"
#include "dualstack.h"
#include "fw.h"
#include "guard.h"
#include "iface.h"
#include "plan.h"
#include "watchdog.h"

/* An interface that does not exist yet is only a warning: it may appear later (ppp0, wlan0). */
static void apply_warn_interfaces(const struct config *cfg)
{
	for (size_t i = 0; i < cfg->nwan; i++)
		if (!iface_exists(cfg->wan[i]))
			fprintf(stderr, "smtpguard: warning: WAN interface %s does not exist now; "
					"its rules take effect when it appears\n", cfg->wan[i]);
	for (size_t i = 0; i < cfg->nzones; i++)
		if (!iface_exists(cfg->zones[i].interface))
			fprintf(stderr, "smtpguard: warning: interface %s of zone %s (%s:%u) does not "
					"exist now; its rules take effect when it appears\n",
				cfg->zones[i].interface, cfg->zones[i].name, cfg->path,
				cfg->zones[i].line);
}

/* Wait for "yes" on the terminal while the watchdog pid waits; true when it came. */
static bool apply_ask_yes(pid_t pid, unsigned seconds)
{
	char line[64];
	struct pollfd pfd = { .fd = 0, .events = POLLIN };

	printf("Type yes within %u s to keep this change; anything else rolls it back.\n"
	       "(smtpguard confirm from another shell keeps it too.)\n> ", seconds);
	fflush(stdout);
	while (watchdog_outcome(pid, NULL) == WATCHDOG_WAITING) {
		int n = poll(&pfd, 1, 200);

		if (n > 0) {
			if (!fgets(line, sizeof(line), stdin))
				return false;
			return strcmp(line, "yes\n") == 0 || strcmp(line, "yes") == 0;
		}
	}
	return false;
}

/*
 * Print the watchdog's word o (the first line after lead), then each new
 * one until its work is over: a terminal user learns when the rollback
 * is really committed.  The exit code of apply --confirm.
 */
static int apply_follow(pid_t pid, const char *lead, enum watchdog_outcome o, struct error *why)
{
	enum watchdog_outcome shown = WATCHDOG_WAITING;
	char text[ERROR_TEXT_MAX + 128];

	for (;;) {
		if (o != shown) {
			printf("%s%s.\n", lead, watchdog_describe(o, why, text, sizeof(text)));
			fflush(stdout);
			lead = "";
			shown = o;
		}
		if (watchdog_outcome_over(o))
			return o == WATCHDOG_CONFIRMED ? EXIT_OK : EXIT_RUNTIME;
		usleep(200000);
		*why = (struct error){ 0 };
		o = watchdog_outcome(pid, why);
	}
}

/* A failed apply: its error, then what the watchdog (if one was armed) says. */
static int apply_failed(const struct guard *g, const struct error *err)
{
	char text[ERROR_TEXT_MAX + 128];
	int rc = cli_error(err);

	if (g->done != GUARD_HALF_APPLIED || g->watchdog < 0)
		return rc;
	return cli_fail(rc, "%s", watchdog_describe(g->said, &g->why, text, sizeof(text)));
}

/* apply --confirm once applied: ask, then confirm or roll back, and report the watchdog's word. */
static int apply_confirm_ask(pid_t pid, unsigned seconds)
{
	struct error err = { 0 };
	enum watchdog_outcome o;

	if (!isatty(0)) {
		printf("Applied; rolls back in %u s unless someone runs: smtpguard confirm\n", seconds);
		return EXIT_OK;
	}
	if (apply_ask_yes(pid, seconds)) {
		if (watchdog_confirm(pid, &o, &err) < 0)
			return cli_error(&err);
		if (o == WATCHDOG_CONFIRMED) {
			printf("Confirmed: the change stays.\n");
			return EXIT_OK;
		}
		return apply_follow(pid, "Too late: ", o, &err);
	}
	if (watchdog_rollback(pid, &o, &err) < 0)
		return cli_error(&err);
	return apply_follow(pid, "Not confirmed: ", o, &err);
}

int cmd_apply(struct cli *cli, int argc, char **argv)
{
	static const struct option options[] = {
		{ "dry-run", no_argument, NULL, 'n' },
		{ "check", no_argument, NULL, 'k' },
		{ "confirm", required_argument, NULL, 'C' },
		{ 0 },
	};
	bool dry_run = false, check = false;
	long confirm = -1;
	const struct fw_ops *fw;
	struct config *cfg;
	struct ruleset rs[DUALSTACK_N];
	struct plan plan[DUALSTACK_N] = { { 0 } };	/* empty: an early failure frees them too */
	struct error err = { 0 };
	struct guard guard;
	int opt, code = EXIT_OK;
	char *end;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (opt) {
		case 'n': dry_run = true; break;
		case 'k': check = true; break;
		case 'C':
			errno = 0;
			confirm = strtol(optarg, &end, 10);
			if (errno || *end || end == optarg || confirm < 1 || confirm > 3600)
				return cli_fail(EXIT_USAGE, "apply: --confirm needs seconds, 1 to 3600");
			break;
		default:
			return cli_usage_fail("apply", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cli_usage_fail("apply", "unexpected argument '%s'", argv[optind]);
	if (dry_run && check)
		return cli_fail(EXIT_USAGE, "apply: --dry-run and --check exclude each other");
	if (confirm > 0 && (dry_run || check))
		return cli_fail(EXIT_USAGE, "apply: --confirm applies a change; it cannot go with --dry-run or --check");

	if (!dry_run && !check && watchdog_pending(NULL))
		return cli_fail(EXIT_RUNTIME, "apply: a change is waiting for confirmation or being rolled "
					      "back; run smtpguard confirm (or let it roll back) first");
	if (!(cfg = cli_load_config(cli, true, &code)))
		return code;
	/*
	 * A change holds the lock from before the backend choice's probe
	 * (compile asks for the backend), whose read it is then made against.
	 */
	if (!dry_run && !check && fw_hold(&err) < 0) {
		config_free(cfg);
		return cli_error(&err);
	}
	if (dualstack_compile(cfg, rs, &err) < 0) {
		fw_unhold();
		dualstack_rulesets_free(rs);
		config_free(cfg);
		return cli_error(&err);
	}
	fw = fw_backend();	/* the config chose it */
	if (dry_run || check) {
		if (dualstack_plan(fw, rs, plan, &err) < 0) {
			code = cli_error(&err);
		} else if (dualstack_plans_empty(plan)) {
			printf("The kernel's rules match %s: nothing to change.\n", cfg->path);
		} else {
			dualstack_plans_write(plan, stdout);
			code = check ? EXIT_DRIFT : EXIT_OK;
		}
	} else {
		int rc = guard_apply(fw, rs, confirm > 0 ? (unsigned)confirm : 0, plan, &guard, &err);

		fw_unhold();	/* before waiting for a confirmation: a rollback takes the lock */
		if (rc < 0) {
			code = apply_failed(&guard, &err);
		} else if (dualstack_plans_empty(plan) && confirm <= 0) {
			printf("The kernel's rules already match %s: nothing changed.\n", cfg->path);
		} else {
			dualstack_plans_write(plan, stdout);
			cli_plan_notes(plan, DUALSTACK_N);
			if (confirm > 0)
				code = apply_confirm_ask(guard.watchdog, (unsigned)confirm);
		}
	}
	/* Warnings only once the firewall was reached: a "need root" error stays one line. */
	if (code == EXIT_OK || code == EXIT_DRIFT) {
		apply_warn_interfaces(cfg);
		cli_uplink_warn(cfg);
		cli_backend_warn(fw_backend_facts());	/* an iptables apply changes none of them */
	}
	dualstack_plans_free(plan);
	dualstack_rulesets_free(rs);
	config_free(cfg);
	return code;
}

int cmd_confirm(struct cli *cli, int argc, char **argv)
{
	struct error err = { 0 };
	enum watchdog_outcome o;
	char text[ERROR_TEXT_MAX + 128];

	if (argc > 1)
		return cli_fail(EXIT_USAGE, "confirm: takes no arguments");
	if (watchdog_confirm(0, &o, &err) < 0)
		return cli_error(&err);
	if (o == WATCHDOG_CONFIRMED) {
		printf("Confirmed: the pending change stays.\n");
		return EXIT_OK;
	}
	return cli_fail(EXIT_TOO_LATE, "confirm: too late, the deadline had passed: %s",
			watchdog_describe(o, &err, text, sizeof(text)));
}
