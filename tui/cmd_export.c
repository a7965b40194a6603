/*
 * cmd_export.c - `smtpguard export [--format restore|sh|nft] [--family 4|6]
 * [-o FILE]` and `smtpguard remove`.
 *
 * export needs no root: it prints one family's compiled ruleset, the
 * same one apply would commit (IPv4 by default: iptables-legacy-restore
 * input; --family 6 for ip6tables-legacy-restore), or with --format nft
 * the nftables backend's whole table inet smtpguard (both families,
 * input for nft -f).  remove applies the
 * empty ruleset to both families, which deletes the own chains and
 * jumps and nothing else.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "atomicfile.h"
#include "cli.h"
#include "compile_nft.h"
#include "dualstack.h"
#include "fw.h"
#include "plan.h"
#include "watchdog.h"

struct export_format {
	const char *name;
	int (*write)(const struct config *cfg, const struct ruleset *rs, FILE *out,
		     struct error *err);
	bool families;	/* holds both families: --family does not apply */
};

static int export_restore(const struct config *cfg, const struct ruleset *rs, FILE *out,
			  struct error *err)
{
	return ruleset_write_restore(rs, out);
}

static int export_sh(const struct config *cfg, const struct ruleset *rs, FILE *out,
		     struct error *err)
{
	return ruleset_write_sh(rs, out);
}

static int export_nft(const struct config *cfg, const struct ruleset *rs, FILE *out,
		      struct error *err)
{
	return compile_nft(cfg, out, err);
}

static const struct export_format export_formats[] = {
	{ .name = "restore", .write = export_restore },
	{ .name = "sh", .write = export_sh },
	{ .name = "nft", .write = export_nft, .families = true },
};

static const struct export_format *export_format_find(const char *name)
{
	for (size_t i = 0; i < sizeof(export_formats) / sizeof(export_formats[0]); i++)
		if (strcmp(export_formats[i].name, name) == 0)
			return &export_formats[i];
	return NULL;
}

int cmd_export(struct cli *cli, int argc, char **argv)
{
	static const struct option options[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "family", required_argument, NULL, 'F' },
		{ 0 },
	};
	const struct export_format *format = &export_formats[0];
	const char *output = NULL;
	int family = AF_INET;
	bool family_given = false;
	struct config *cfg;
	struct ruleset rs;
	struct error err = { 0 };
	int opt, code = EXIT_OK;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "o:", options, NULL)) != -1) {
		if (opt == 'f') {
			format = export_format_find(optarg);
			if (!format)
				return cli_fail(EXIT_USAGE, "export: unknown format '%s'; use restore, sh or nft",
						optarg);
		} else if (opt == 'o') {
			output = optarg;
		} else if (opt == 'F' && (strcmp(optarg, "4") == 0 || strcmp(optarg, "6") == 0)) {
			family = optarg[0] == '6' ? AF_INET6 : AF_INET;
			family_given = true;
		} else if (opt == 'F') {
			return cli_fail(EXIT_USAGE, "export: unknown family '%s'; use 4 or 6", optarg);
		} else {
			return cli_usage_fail("export", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cli_fail(EXIT_USAGE, "export: unexpected argument '%s'", argv[optind]);
	if (family_given && format->families)
		return cli_fail(EXIT_USAGE, "export: --format %s holds both families; drop --family",
				format->name);
	if (cli_compile_family(cli, family, &cfg, &rs, &code) < 0)
		return code;
	if (!output || strcmp(output, "-") == 0) {
		if (format->write(cfg, &rs, stdout, &err) < 0 || fflush(stdout) != 0)
			code = err.text[0] ? cli_error(&err)
					   : cli_fail(EXIT_RUNTIME, "export: cannot write to standard output");
	} else {
		struct atomicfile af;

		if (atomicfile_open(&af, output, &err) < 0)
			code = cli_error(&err);
		else if (format->write(cfg, &rs, af.fp, &err) < 0) {
			atomicfile_abort(&af);
			code = err.text[0] ? cli_error(&err)
					   : cli_fail(EXIT_RUNTIME, "export: cannot write %s", output);
		} else if (atomicfile_commit(&af, &err) < 0)
			code = cli_error(&err);
	}
	ruleset_free(&rs);
	config_free(cfg);
	return code;
}

int cmd_remove(struct cli *cli, int argc, char **argv)
{
	struct ruleset empty[DUALSTACK_N];
	struct plan plan[DUALSTACK_N];
	struct error err = { 0 };
	struct config *cfg;
	int code = EXIT_OK;

	if (argc > 1)
		return cli_fail(EXIT_USAGE, "remove: takes no arguments");
	/* the config names the backend to remove from; without one, the default's */
	cfg = cli_config_if_present(cli, &code);
	config_free(cfg);
	if (code != EXIT_OK)
		return code;
	if (watchdog_pending(NULL))
		return cli_fail(EXIT_RUNTIME, "remove: a change is waiting for confirmation; run smtpguard "
					      "confirm (or let it roll back) first");
	/* held from before the backend choice's probe, whose read the removal is then made against */
	if (fw_hold(&err) < 0)
		return cli_error(&err);
	for (size_t i = 0; i < DUALSTACK_N; i++)
		ruleset_init(&empty[i], dualstack_families[i]);
	if (dualstack_apply(fw_backend(), empty, plan, &err) < 0)
		code = cli_error(&err);
	else if (dualstack_plans_empty(plan) && fw_backend_exclusive(fw_backend(), &err) < 0)
		/* none here, but in the other backend: saying "nothing to remove" would mislead */
		code = cli_fail(EXIT_RUNTIME, "remove: no smtpguard rules in %s (the config's "
					      "backend); %s", fw_backend()->name, err.text);
	else if (dualstack_plans_empty(plan))
		printf("No smtpguard rules in the kernel: nothing to remove.\n");
	else {
		dualstack_plans_write(plan, stdout);
		cli_plan_notes(plan, DUALSTACK_N);
	}
	fw_unhold();
	dualstack_plans_free(plan);
	dualstack_rulesets_free(empty);
	return code;
}
