/*
 * cli.c - what the subcommands share: printing an error as one inert
 * line, loading the config, compiling it, the nftables warning.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "backend_detect.h"
#include "cli.h"
#include "compile.h"
#include "dualstack.h"
#include "fw.h"
#include "plan.h"
#include "route.h"
#include "sanitize.h"

/* "smtpguard: TEXT" on stderr, TEXT through sanitize_text(): it may quote what the user typed. */
static void cli_print_error(const char *text)
{
	char safe[ERROR_TEXT_MAX * 4];

	sanitize_text(text, strlen(text), safe, sizeof(safe));
	fprintf(stderr, "smtpguard: %s\n", safe);
}

int cli_error(const struct error *err)
{
	cli_print_error(err->text);
	/* codes past the exit codes (ERROR_CONFLICT, ERROR_LOCK_BUSY) are runtime failures */
	return err->code > 0 && err->code <= EXIT_TOO_LATE ? err->code : EXIT_RUNTIME;
}

int cli_fail(int code, const char *fmt, ...)
{
	char text[ERROR_TEXT_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	cli_print_error(text);
	return code;
}

int cli_usage_fail(const char *name, const char *fmt, ...)
{
	char text[ERROR_TEXT_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	return cli_fail(EXIT_USAGE, "%s: %s (usage: smtpguard %s %s)", name, text, name,
			cli_usage(name));
}

void cli_plan_notes(const struct plan *plans, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (plans[i].note[0])
			cli_fail(EXIT_OK, "note: %s", plans[i].note);
}

void cli_uplink_warn(const struct config *cfg)
{
	struct route_uplink *up;
	struct error err = { 0 };
	char dst[ADDR_TEXT_MAX];
	size_t n;

	if (route_unguarded(cfg, &up, &n, &err) < 0) {
		cli_fail(EXIT_OK, "warning: %s; cannot tell whether traffic leaves other than through wan",
			 err.text);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		addr_format(&up[i].dst, dst, sizeof(dst));
		cli_fail(EXIT_OK, "warning: %s leaves through %s (route to %s), which is not in wan: "
				  "smtpguard does not filter it; add %s to wan in %s",
			 dualstack_label(up[i].family), up[i].iface,
			 up[i].dst.prefix ? dst : "default", up[i].iface, cfg->path);
	}
	free(up);
}

void cli_fake_warn(void)
{
	const char *fake = fw_fake_table();

	if (fake)
		cli_fail(EXIT_OK, "SMTPGUARD_FAKE_TABLE is set: using the file %s instead of the "
				  "kernel's firewall; unset it for a real run", fake);
}

struct config *cli_load_config(struct cli *cli, bool resolve, int *code)
{
	struct error err = { 0 };
	struct config *cfg = config_load(cli->config_path, &err);

	if (cfg && config_validate(cfg, &err) == 0 && (!resolve || config_resolve(cfg, &err) == 0)) {
		fw_backend_choose(cfg);
		return cfg;
	}
	config_free(cfg);
	if (!cli->config_given && strstr(err.text, "No such file")) {
		*code = cli_fail(EXIT_USAGE,
				 "no config at %s; copy conf/smtpguard.conf there and edit it, or pass -c FILE",
				 cli->config_path);
		return NULL;
	}
	*code = cli_error(&err);
	return NULL;
}

int cli_compile_family(struct cli *cli, int family, struct config **cfg_out, struct ruleset *rs,
		       int *code)
{
	struct error err = { 0 };
	struct config *cfg = cli_load_config(cli, true, code);

	if (!cfg)
		return -1;
	ruleset_init(rs, family);
	if (compile_ruleset(cfg, family, rs, &err) < 0) {
		ruleset_free(rs);
		config_free(cfg);
		*code = cli_error(&err);
		return -1;
	}
	*cfg_out = cfg;
	return 0;
}

void cli_backend_warn(const struct backend_facts *facts)
{
	struct backend_facts detected;
	char line[ERROR_TEXT_MAX];

	if (fw_backend()->whole)	/* smtpguard itself is on nftables: nothing else to warn of */
		return;
	if (!facts) {
		backend_detect(&detected, fw_backend()->kernel);
		facts = &detected;
	}
	if (*backend_warning(facts, line, sizeof(line)))
		cli_print_error(line);
}
