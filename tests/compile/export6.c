/*
 * export6.c - test driver: the IPv6 ruleset of a config as
 * ip6tables-legacy-restore input, which `smtpguard export` does not
 * offer yet.  Built and run by tests/compile/run.sh (golden file) and
 * tests/ns/render.sh (against the kernel).  Usage: export6 CONFIG
 */
#include <stdio.h>
#include <sys/socket.h>

#include "compile.h"

int main(int argc, char **argv)
{
	struct error err = { 0 };
	struct config *cfg;
	struct ruleset rs;
	int rc = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: export6 CONFIG\n");
		return EXIT_USAGE;
	}
	cfg = config_load(argv[1], &err);
	if (!cfg || config_validate(cfg, &err) < 0 || config_resolve(cfg, &err) < 0) {
		fprintf(stderr, "export6: %s\n", err.text);
		config_free(cfg);
		return err.code ? err.code : EXIT_RUNTIME;
	}
	ruleset_init(&rs, AF_INET6);
	if (compile_ruleset(cfg, AF_INET6, &rs, &err) < 0) {
		fprintf(stderr, "export6: %s\n", err.text);
		rc = err.code ? err.code : EXIT_RUNTIME;
	} else if (ruleset_write_restore(&rs, stdout) < 0) {
		rc = EXIT_RUNTIME;
	}
	ruleset_free(&rs);
	config_free(cfg);
	return rc;
}
