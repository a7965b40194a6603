/*
 * console_main.c - `smtpguard [-c FILE]`: the interactive console's
 * entry, signals and the one poll() loop; the top of the console, which
 * calls every other part and is called by none.
 *
 * The loop waits on the self-pipe (signals), the terminal, the live hit
 * source and the refresh deadline.  Keys go to console_key(), which
 * returns what to redraw; the table is read once per refresh; nothing
 * but the loop draws.  Every exit path (q, SIGTERM, SIGHUP, SIGINT,
 * console_die) rolls back an unconfirmed change and restores the
 * terminal before anything is printed.
 */
#include <curses.h>
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "console.h"

static int signal_pipe[2] = { -1, -1 };

static void console_signal(int sig)
{
	int saved = errno;
	unsigned char b = (unsigned char)sig;

	if (write(signal_pipe[1], &b, 1) < 0) {
		/* the pipe is full: a signal of each kind is already queued */
	}
	errno = saved;
}

static int console_signals_init(void)
{
	static const int sigs[] = { SIGWINCH, SIGTERM, SIGHUP, SIGINT };
	struct sigaction sa = { .sa_handler = console_signal };

	if (pipe2(signal_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
		return -1;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (sigaction(sigs[i], &sa, NULL) < 0)
			return -1;
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

/* SIGWINCH: take the new size from the terminal. */
static void console_resize(void)
{
	struct winsize ws;

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0)
		resizeterm(ws.ws_row, ws.ws_col);
	clear();
}

/* Milliseconds until t (monotonic seconds), at least 0. */
static int console_ms_until(double t)
{
	double ms = (t - console_now()) * 1000.0;

	if (ms <= 0)
		return 0;
	return ms > 60000 ? 60000 : (int)ms + 1;
}

/* Read queued signals; returns REDRAW_QUIT for the ending ones. */
static int console_signals_read(struct console *c)
{
	unsigned char sigs[16];
	ssize_t n;
	int r = REDRAW_NONE;

	while ((n = read(signal_pipe[0], sigs, sizeof(sigs))) > 0) {
		for (ssize_t i = 0; i < n; i++) {
			if (sigs[i] == SIGWINCH) {
				console_resize();
				r |= REDRAW_SCREEN;
			} else {
				r |= REDRAW_QUIT;
			}
		}
	}
	return r;
}

/*
 * Keys and signals are drawn at once, before anything else is read;
 * the live hit source is read (and its hits drawn) at most every
 * HITS_SECONDS, in one batch: between two batches its descriptor is not
 * polled, so a log flood costs a few reads and screens a second and
 * never stands between a key and its answer.
 */
#define HITS_SECONDS 0.1

static void console_loop(struct console *c)
{
	double interval = c->delay_tenths / 10.0;
	double next_refresh = console_now() + interval, next_hits = 0;
	int r = REDRAW_SCREEN;

	for (;;) {
		struct pollfd fds[3] = {
			{ .fd = signal_pipe[0], .events = POLLIN },
			{ .fd = STDIN_FILENO, .events = POLLIN },
			{ .fd = console_source_fd(c), .events = POLLIN },
		};
		bool hits_due = fds[2].fd >= 0 && console_now() >= next_hits;
		int timeout;

		if (r & REDRAW_QUIT)
			return;
		if (r & REDRAW_SCREEN) {
			console_layout(c);
			console_draw(c);
		}
		r = REDRAW_NONE;
		timeout = console_ms_until(next_refresh);
		if (fds[2].fd >= 0 && !hits_due && timeout > console_ms_until(next_hits))
			timeout = console_ms_until(next_hits);
		if (change_pending(c) && timeout > 250)
			timeout = 250;	/* the countdown on screen, and the watchdog's end */
		if (poll(fds, hits_due ? 3 : 2, timeout) < 0 && errno != EINTR)
			console_die("poll failed: %s", strerror(errno));
		if (fds[0].revents & POLLIN)
			r |= console_signals_read(c);
		if (fds[1].revents & (POLLHUP | POLLERR))
			r |= REDRAW_QUIT;	/* the terminal went away (SSH dropped) */
		if (fds[1].revents & POLLIN) {
			int key;

			while ((key = getch()) != ERR && !(r & REDRAW_QUIT))
				r |= console_key(c, key) | REDRAW_SCREEN;
			continue;	/* the answer first; hits and the refresh wait a turn */
		}
		if (hits_due && (fds[2].revents & (POLLIN | POLLHUP | POLLERR))) {
			console_hits_read(c);
			next_hits = console_now() + HITS_SECONDS;
			r |= REDRAW_SCREEN;
		}
		if (console_now() >= next_refresh) {
			if (!c->paused)	/* paused (Z): the screen stays; Z again refreshes */
				console_refresh(c);
			change_watch(c);
			next_refresh = console_now() + interval;
			r |= REDRAW_SCREEN;
		}
		if (change_pending(c))
			r |= change_tick(c) | REDRAW_SCREEN;
	}
}

static int console_options_parse(struct console *c, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		size_t o = 0;

		while (o < console_noptions && strcmp(argv[i], console_options[o].name) != 0)
			o++;
		if (o == console_noptions)
			return cli_usage_fail("console", "unknown option '%s'", argv[i]);
		*(bool *)((char *)c + console_options[o].flag) = true;
	}
	return EXIT_OK;
}

int cmd_console(struct cli *cli, int argc, char **argv)
{
	static struct console con;
	struct console *c = &con;
	int code = console_options_parse(c, argc, argv);

	if (code != EXIT_OK)
		return code;
	cli_fake_warn();	/* main() leaves it to the console, which may run in its own program */
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
		return cli_fail(EXIT_USAGE, "the console needs a terminal; "
					    "use status, hits or bans in scripts");
	setlocale(LC_ALL, "");
	c->delay_tenths = cli->delay_tenths ? cli->delay_tenths : 10;
	c->cfg = cli_load_config(cli, true, &code);
	if (!c->cfg)
		return code;
	c->fw = fw_backend();
	if (console_signals_init() < 0) {
		code = cli_fail(EXIT_RUNTIME, "console: cannot set up signal handling: %s",
				strerror(errno));
		config_free(c->cfg);
		return code;
	}
	change_init(c);
	console_config_set(c, c->cfg);
	console_sources_open(c);
	console_refresh(c);
	change_watch(c);
	console_curses_start(c);
	console_loop(c);
	change_quit(c);
	console_curses_end();
	if (c->message_error && c->message[0])
		fprintf(stderr, "smtpguard: %s\n", c->message);
	console_data_free(c);
	config_free(c->cfg);
	return EXIT_OK;
}
