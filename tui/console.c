/* console.c - placeholder until its owner lands it. */
#include "cli.h"

int cmd_console(struct cli *cli, int argc, char **argv)
{
	return cli_fail(EXIT_RUNTIME, "console: not built yet");
}

