/*
 * cmd_watch.c - `smtpguard watch`: take the single-instance lock and
 * record the config's live hits in the hits log until SIGTERM or SIGINT
 * (core/watch.c).  One line on stderr when it starts and when it ends,
 * and per alert outcome and device finding (also to syslog, as alert
 * failures and devices seen with another address must be seen).
 */
#include <stdio.h>
#include <syslog.h>

#include "cli.h"
#include "watch.h"

static void watch_report(void *arg, bool failed, const char *text)
{
	fprintf(stderr, "smtpguard: watch: %s\n", text);
	syslog(failed ? LOG_ERR : LOG_INFO, "%s", text);
}

int cmd_watch(struct cli *cli, int argc, char **argv)
{
	struct error err = { 0 };
	struct watch_lock lock;
	const struct watch_counts *c;
	struct config *cfg;
	struct watch *w;
	int code = EXIT_OK;
	bool escalates = false;

	if (argc > 1)
		return cli_usage_fail("watch", "unexpected argument '%s'", argv[1]);
	cfg = cli_load_config(cli, false, &code);
	if (!cfg)
		return code;
	/*
	 * for smtpguard_drift and to never escalate a relay: a relay name
	 * that does not resolve leaves it out
	 */
	for (size_t i = 0; i < cfg->nzones; i++)
		escalates |= cfg->zones[i].escalate > 0;
	if (cfg->metrics_file[0] || escalates)
		config_resolve(cfg, NULL);
	if (watch_lock_take(&lock, &err) < 0) {
		config_free(cfg);
		return cli_error(&err);
	}
	w = watch_open(cfg, &err);
	if (!w) {
		code = cli_error(&err);
	} else {
		openlog("smtpguard-watch", LOG_PID, LOG_DAEMON);
		watch_set_report(w, watch_report, NULL);
		c = watch_counts(w);
		if (c->resume_err.text[0])
			watch_report(NULL, true, c->resume_err.text);
		else if (c->resumed_since)
			fprintf(stderr, "smtpguard: watch: resumed from the hits log: %llu hits of the "
					"alert window, %llu offenders already past their threshold\n",
				(unsigned long long)c->resumed_hits,
				(unsigned long long)c->resumed_offenders);
		fprintf(stderr, "smtpguard: watch: recording hits from %s in %s\n",
			watch_source_name(w), watch_log_path(w));
		if (cfg->metrics_file[0])
			fprintf(stderr, "smtpguard: watch: writing the metrics to %s every %u s\n",
				cfg->metrics_file, cfg->metrics_interval);
		if (watch_counts(w)->devices)
			fprintf(stderr, "smtpguard: watch: checking the kernel's neighbour table "
					"against the zones' devices\n");
		if (watch_run(w, &err) < 0)
			code = cli_error(&err);
		c = watch_counts(w);
		fprintf(stderr, "smtpguard: watch: stopped; %llu hits recorded, %llu lost by the "
				"kernel, the hits log reopened %llu time%s\n",
			(unsigned long long)c->hits, (unsigned long long)c->lost,
			(unsigned long long)c->reopened, c->reopened == 1 ? "" : "s");
		if (escalates)
			fprintf(stderr, "smtpguard: watch: %llu offenders escalated, %llu escalations "
					"failed\n", (unsigned long long)c->escalated,
				(unsigned long long)c->escalate_failed);
		if (c->devices)
			fprintf(stderr, "smtpguard: watch: %llu neighbour entries checked, %llu device "
					"findings, %llu event overruns\n",
				(unsigned long long)c->neigh.entries,
				(unsigned long long)c->neigh.findings,
				(unsigned long long)c->neigh.overruns);
		if (c->metrics_failed)
			fprintf(stderr, "smtpguard: watch: %llu of %llu metrics rewrites failed, the "
					"first: %s\n",
				(unsigned long long)c->metrics_failed,
				(unsigned long long)c->metrics_failed + c->metrics_written,
				c->metrics_err.text);
		watch_close(w);
	}
	watch_lock_release(&lock);
	config_free(cfg);
	return code;
}
