/* cmd_hits.c - placeholder until its owner lands it. */
#include "cli.h"

int cmd_hits(struct cli *cli, int argc, char **argv)
{
	return cli_fail(EXIT_RUNTIME, "hits: not built yet");
}

