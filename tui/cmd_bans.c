/* cmd_bans.c - placeholder until its owner lands it. */
#include "cli.h"

int cmd_bans(struct cli *cli, int argc, char **argv)
{
	return cli_fail(EXIT_RUNTIME, "bans: not built yet");
}

int cmd_unban(struct cli *cli, int argc, char **argv)
{
	return cli_fail(EXIT_RUNTIME, "unban: not built yet");
}

