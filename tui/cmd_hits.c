/*
 * cmd_hits.c - `smtpguard hits [--follow] [--json]`: the recent port-25
 * hits from the config's log files, and with --follow the new ones as
 * they happen, from the config's live source (/dev/kmsg or the log file
 * for log_target = log, the NFLOG group for nflog), or from the hits
 * log while `smtpguard watch` runs.  One sanitized line,
 * or one JSON object, per hit.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "emit.h"
#include "logsource.h"
#include "watch.h"

#define HITS_RECENT 20			/* hits shown before following */
#define HITS_BACKFILL_BYTES (8u << 20)	/* of each log file's tail */

static volatile sig_atomic_t hits_stop;

static void hits_on_signal(int sig)
{
	hits_stop = sig;
}

struct hits_out {
	struct emit emit;	/* text: one sanitized line per hit; JSON: one object per line */
	bool failed;		/* stdout went away */
};

static void hits_print(void *arg, const struct hit *h)
{
	struct hits_out *o = arg;

	emit_object_open(&o->emit, EMIT_JSON, NULL);
	hit_emit(&o->emit, h);
	emit_object_close(&o->emit);
	emit_newline(&o->emit);
	if (ferror(stdout))
		o->failed = true;
}

static int hits_follow(struct hit_context *ctx, struct hits_out *o)
{
	struct sigaction sa = { .sa_handler = hits_on_signal };
	struct error err = { 0 };
	struct logsource *src = watch_open_reader(ctx, &err);
	const struct logsource_counts *c;
	int code = EXIT_OK;

	if (!src)
		return cli_error(&err);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	fprintf(stderr, "smtpguard: following %s (Ctrl-C to stop)\n", logsource_name(src));
	while (!hits_stop && !o->failed) {
		struct pollfd pfd = { .fd = logsource_fd(src), .events = POLLIN };
		int n = poll(&pfd, 1, 1000);	/* a file's rotation is checked at least every second */

		if (n < 0 && errno != EINTR) {
			code = cli_fail(EXIT_RUNTIME, "hits: poll failed: %s", strerror(errno));
			break;
		}
		if (logsource_read(src, hits_print, o, &err) < 0) {
			code = cli_error(&err);
			break;
		}
		if (fflush(stdout) != 0)
			o->failed = true;
	}
	c = logsource_counts(src);
	if (c->untrusted || c->lost)
		fprintf(stderr, "smtpguard: %llu hits; %llu untrusted lines ignored; %llu records lost "
				"by the kernel\n",
			(unsigned long long)c->hits, (unsigned long long)c->untrusted,
			(unsigned long long)c->lost);
	logsource_close(src);
	return code;
}

int cmd_hits(struct cli *cli, int argc, char **argv)
{
	struct hits_out o;
	struct error err = { 0 };
	struct hit_context ctx;
	struct hit_ring *ring;
	struct config *cfg;
	bool follow = false, json = false;
	int code = EXIT_OK;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--follow") == 0 || strcmp(argv[i], "-f") == 0)
			follow = true;
		else if (strcmp(argv[i], "--json") == 0)
			json = true;
		else
			return cli_usage_fail("hits", "unexpected argument '%s'", argv[i]);
	}
	cfg = cli_load_config(cli, false, &code);
	if (!cfg)
		return code;
	emit_init(&o.emit, stdout, json ? EMIT_JSON : EMIT_TEXT, NULL);
	o.failed = false;
	hit_context_init(&ctx, cfg);
	ring = hit_ring_new(HITS_RECENT, 64);
	if (!ring) {
		config_free(cfg);
		return cli_fail(EXIT_RUNTIME, "hits: out of memory");
	}
	if (logsource_backfill(&ctx, ring, HITS_BACKFILL_BYTES, NULL, &err) < 0) {
		code = cli_error(&err);
	} else {
		for (size_t i = hit_ring_len(ring); i > 0; i--)
			hits_print(&o, hit_ring_at(ring, i - 1));
		if (fflush(stdout) != 0 || o.failed)
			code = cli_fail(EXIT_RUNTIME, "hits: cannot write to standard output");
		else if (follow)
			code = hits_follow(&ctx, &o);
	}
	hit_ring_free(ring);
	config_free(cfg);
	return code;
}
