/*
 * launch.c - `smtpguard console` in the command-line program.  The console
 * is a program of its own, smtpguard-console, installed beside this one,
 * so that what scripts, cron and systemd run never loads ncurses.  It is
 * started in this process (exec) with the global options main() parsed,
 * then the console's own, so both programs read one command line alike.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

#define CONSOLE_PROGRAM "smtpguard-console"

/* The console's path: this program's folder as the kernel knows it, not argv[0]. */
static int console_path(char *out, size_t size)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;

	if (n < 0)
		return -1;
	self[n] = '\0';
	slash = strrchr(self, '/');
	if (!slash || (size_t)snprintf(out, size, "%.*s/%s", (int)(slash - self), self,
				       CONSOLE_PROGRAM) >= size) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

int cmd_console(struct cli *cli, int argc, char **argv)
{
	char path[PATH_MAX], delay[16];
	char **args = calloc((size_t)argc + 6, sizeof(*args));
	int n = 0, code;

	if (!args)
		return cli_fail(EXIT_RUNTIME, "out of memory");
	if (console_path(path, sizeof(path)) < 0) {
		code = cli_fail(EXIT_RUNTIME, "cannot find the console: /proc/self/exe: %s; "
					      "run smtpguard-console from smtpguard's folder", strerror(errno));
		free(args);
		return code;
	}
	snprintf(delay, sizeof(delay), "%u", cli->delay_tenths);
	args[n++] = path;
	if (cli->config_given) {
		args[n++] = "-c";
		args[n++] = (char *)cli->config_path;
	}
	args[n++] = "-d";
	args[n++] = delay;
	for (int i = 0; i < argc; i++)	/* argv[0] is "console" */
		args[n++] = argv[i];
	args[n] = NULL;
	execv(path, args);
	code = cli_fail(EXIT_RUNTIME, "cannot start the console %s: %s; it is installed beside "
				      "smtpguard (make install)", path, strerror(errno));
	free(args);
	return code;
}
