/*
 * console.c - what every part of the console calls: the message line,
 * the clock, curses on and off, and console_die() for fatal paths.
 *
 * console_die() calls nothing above it: the hook registered with
 * console_on_die() (the change module's rollback) runs first, then the
 * terminal is restored before anything is printed.
 */
#include <curses.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "console.h"

static struct console *die_console;
static void (*die_hook)(struct console *c);
static bool curses_on;

void console_on_die(struct console *c, void (*hook)(struct console *c))
{
	die_console = c;
	die_hook = hook;
}

double console_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void console_die(const char *fmt, ...)
{
	void (*hook)(struct console *c) = die_hook;
	va_list ap;

	die_hook = NULL;	/* a fatal path inside the hook must not run it again */
	if (hook)
		hook(die_console);
	console_curses_end();
	fputs("smtpguard: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(EXIT_RUNTIME);
}

void console_message(struct console *c, bool error, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->message, sizeof(c->message), fmt, ap);
	va_end(ap);
	c->message_error = error;
}

void console_curses_start(struct console *c)
{
	if (!initscr())
		console_die("cannot start curses on this terminal (TERM=%s)", getenv("TERM"));
	curses_on = true;
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	set_escdelay(50);
	curs_set(0);
	c->color = !c->no_color && has_colors() && !getenv("NO_COLOR");
	if (!c->no_mouse) {
		mousemask(BUTTON1_PRESSED | BUTTON1_CLICKED, NULL);
		mouseinterval(0);	/* a press selects at once: no wait for a click */
	}
	if (c->color) {
		start_color();
		use_default_colors();
		init_pair(1, COLOR_BLACK, COLOR_CYAN);	/* selected title, key names */
		init_pair(2, COLOR_RED, -1);		/* errors, drops */
		init_pair(3, COLOR_GREEN, -1);		/* own rules, fine */
		init_pair(4, COLOR_YELLOW, -1);		/* pending change, countdown */
		init_pair(5, COLOR_BLUE, -1);		/* foreign (dimmed) */
	}
}

void console_curses_end(void)
{
	if (curses_on) {
		endwin();
		curses_on = false;
	}
}
