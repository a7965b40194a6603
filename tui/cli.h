/*
 * cli.h - what every subcommand gets from the program entry (main.c).
 *
 * main() parses the global options (-c FILE, anywhere on the line),
 * picks the subcommand from its table and calls its run function with
 * the remaining arguments (argv[0] is the subcommand's name).  A run
 * function returns an exit code from include/error.h and prints its
 * own errors: one line on stderr, "smtpguard: ..." (cli_error()).
 */
#ifndef SMTPGUARD_CLI_H
#define SMTPGUARD_CLI_H

#include <stdbool.h>

#include "config.h"
#include "error.h"
#include "rule.h"

struct cli {
	const char *config_path;	/* -c FILE, or CONFIG_DEFAULT_PATH */
	bool config_given;		/* -c was on the command line */
	unsigned delay_tenths;		/* -d for the console, tenths of a second */
};

struct cli_command {
	const char *name;
	const char *usage;	/* argument synopsis, e.g. "[--json]" */
	const char *help;	/* one line for --help */
	int (*run)(struct cli *cli, int argc, char **argv);
};

/* Print "smtpguard: <text>" on stderr and return err->code (or 1). */
int cli_error(const struct error *err);
/* Print "smtpguard: <formatted>" on stderr, through sanitize_text(), and return code. */
int cli_fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Load, validate (and when resolve is true, resolve) the config named by cli; NULL after printing the error. */
struct config *cli_load_config(struct cli *cli, bool resolve, int *code);
/*
 * As cli_load_config without resolving, for commands that also work
 * without a config: NULL with *code EXIT_OK when no -c was given and
 * the default file does not exist (defined in cmd_report.c).
 */
struct config *cli_config_if_present(struct cli *cli, int *code);
/* The synopsis of command name's arguments, from the table of main.c ("" for an unknown name). */
const char *cli_usage(const char *name);
/*
 * A usage error of command name, one line: "smtpguard: NAME: <formatted>
 * (usage: smtpguard NAME SYNOPSIS)"; returns EXIT_USAGE.
 */
int cli_usage_fail(const char *name, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Load, validate, resolve and compile family's ruleset (AF_INET or AF_INET6); -1 (and *code)
 * after printing the error.  On success the caller owns *cfg (config_free) and rs (ruleset_free). */
int cli_compile_family(struct cli *cli, int family, struct config **cfg, struct ruleset *rs,
		       int *code);
/*
 * The startup warning of apply and status when nftables filters on this
 * host too (include/backend_detect.h), one line on stderr; facts may be
 * NULL (detected here).
 */
struct backend_facts;
void cli_backend_warn(const struct backend_facts *facts);

/* Each applied plan's note from the backend (struct plan.note), one stderr line each. */
struct plan;
void cli_plan_notes(const struct plan *plans, size_t n);

/* One stderr warning per uplink that is not in wan (include/route.h). */
void cli_uplink_warn(const struct config *cfg);

/* One stderr line when SMTPGUARD_FAKE_TABLE puts a file in place of the kernel (every command). */
void cli_fake_warn(void);

/* An option of the console command (smtpguard --help lists them from console_options). */
struct console_option {
	const char *name;	/* "--readonly" */
	const char *help;
	size_t flag;		/* offset of the bool it sets in the console's state */
};

extern const struct console_option console_options[];
extern const size_t console_noptions;

int cmd_console(struct cli *cli, int argc, char **argv);
int cmd_apply(struct cli *cli, int argc, char **argv);
int cmd_confirm(struct cli *cli, int argc, char **argv);
int cmd_status(struct cli *cli, int argc, char **argv);
int cmd_export(struct cli *cli, int argc, char **argv);
int cmd_remove(struct cli *cli, int argc, char **argv);
int cmd_hits(struct cli *cli, int argc, char **argv);
int cmd_bans(struct cli *cli, int argc, char **argv);
int cmd_unban(struct cli *cli, int argc, char **argv);
int cmd_report(struct cli *cli, int argc, char **argv);
int cmd_watch(struct cli *cli, int argc, char **argv);
int cmd_metrics(struct cli *cli, int argc, char **argv);

#endif
