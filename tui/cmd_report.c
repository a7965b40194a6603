/*
 * cmd_report.c - `smtpguard report [--date YYYY-MM-DD | --yesterday]
 * [--format text|csv|json] [FILE...]`: the daily port-25 report, from
 * the config's log files (and their rotated siblings) or the files
 * named ("-" = standard input).  Works without a config when files are
 * named: zones are then unknown ("-").
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "report.h"

struct config *cli_config_if_present(struct cli *cli, int *code)
{
	*code = EXIT_OK;
	if (!cli->config_given && access(cli->config_path, F_OK) < 0 && errno == ENOENT)
		return NULL;
	return cli_load_config(cli, false, code);
}

static int report_format_parse(const char *text, enum report_format *out)
{
	for (int f = 0; f < REPORT_FORMAT_COUNT; f++) {
		if (strcmp(text, report_format_names[f]) == 0) {
			*out = (enum report_format)f;
			return 0;
		}
	}
	return -1;
}

int cmd_report(struct cli *cli, int argc, char **argv)
{
	static const struct option options[] = {
		{ "date", required_argument, NULL, 'd' },
		{ "yesterday", no_argument, NULL, 'y' },
		{ "format", required_argument, NULL, 'f' },
		{ 0 },
	};
	struct report_options opts = { .format = REPORT_TEXT, .file_format = HIT_FORMAT_AUTO };
	struct error err = { 0 };
	struct config *cfg;
	struct report *r;
	char **defaults = NULL;
	bool dated = false;
	int opt, code = EXIT_OK;

	/*
	 * With TZ unset, glibc stats /etc/localtime at every mktime() (the
	 * parser's, once per hour of log); TZ naming that same file is read
	 * once.  The zone is the same.
	 */
	if (!getenv("TZ"))
		setenv("TZ", ":/etc/localtime", 1);
	report_set_yesterday(&opts, time(NULL));
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (opt) {
		case 'd':
			if (dated)
				return cli_fail(EXIT_USAGE, "report: give one of --date and --yesterday");
			if (report_parse_date(optarg, &opts, &err) < 0)
				return cli_error(&err);
			dated = true;
			break;
		case 'y':
			if (dated)
				return cli_fail(EXIT_USAGE, "report: give one of --date and --yesterday");
			dated = true;
			break;
		case 'f':
			if (report_format_parse(optarg, &opts.format) < 0)
				return cli_fail(EXIT_USAGE, "report: unknown format '%s'; use text, csv or json",
						optarg);
			break;
		default:
			return cli_usage_fail("report", "unknown option '%s'", argv[optind - 1]);
		}
	}
	cfg = cli_config_if_present(cli, &code);
	if (code != EXIT_OK)
		return code;
	if (optind >= argc && !cfg)
		return cli_fail(EXIT_USAGE, "report: no config at %s and no files named; pass -c FILE or "
					    "the log files to read",
				cli->config_path);
	opts.cfg = cfg;
	/* ulogd2 writes NFLOG hits as LOGEMU lines, which only it writes to its file. */
	if (cfg && cfg->log_target == LOG_TARGET_NFLOG)
		opts.file_format = HIT_FORMAT_LOGEMU;
	if (optind >= argc) {
		defaults = report_default_files(cfg, &opts, &err);
		if (!defaults) {
			config_free(cfg);
			return cli_error(&err);
		}
	}
	r = report_new(&opts, stdout, &err);
	if (!r) {
		code = cli_error(&err);
	} else {
		char **files = defaults ? defaults : argv + optind;

		for (int i = 0; files[i] && code == EXIT_OK; i++)
			if (report_add_file(r, files[i], &err) < 0)
				code = cli_error(&err);
		if (code == EXIT_OK && report_finish(r, &err) < 0)
			code = cli_error(&err);
	}
	report_free(r);
	report_files_free(defaults);
	config_free(cfg);
	return code;
}
