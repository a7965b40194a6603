/* cmd_report.c - placeholder until its owner lands it. */
#include "cli.h"

int cmd_report(struct cli *cli, int argc, char **argv)
{
	return cli_fail(EXIT_RUNTIME, "report: not built yet");
}

