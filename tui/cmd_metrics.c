/*
 * cmd_metrics.c - `smtpguard metrics`: the metrics once, in the
 * Prometheus text format (core/metrics.c), without the hits series that
 * only a running watch counts.
 */
#include <stdio.h>

#include "cli.h"
#include "metrics.h"

int cmd_metrics(struct cli *cli, int argc, char **argv)
{
	struct error err = { 0 };
	struct config *cfg;
	struct metrics m;
	int code = EXIT_OK;

	if (argc > 1)
		return cli_usage_fail("metrics", "unexpected argument '%s'", argv[1]);
	cfg = cli_load_config(cli, false, &code);
	if (!cfg)
		return code;
	/* a relay name that does not resolve only leaves smtpguard_drift out */
	config_resolve(cfg, NULL);
	if (metrics_collect(cfg, fw_backend(), NULL, &m, &err) < 0)
		code = cli_error(&err);
	else if (metrics_write(&m, stdout) < 0 || fflush(stdout) != 0)
		code = cli_fail(EXIT_RUNTIME, "metrics: cannot write to standard output");
	config_free(cfg);
	return code;
}
