/*
 * console_options.c - the console command's options, a table that both
 * programs hold: the console parses it, and smtpguard --help lists it
 * without loading the console.
 */
#include <stddef.h>

#include "console.h"

const struct console_option console_options[] = {
	{ "--no-color", "no colours (as NO_COLOR=1 in the environment)",
	  offsetof(struct console, no_color) },
	{ "--no-mouse", "leave the mouse to the terminal (copy and paste)",
	  offsetof(struct console, no_mouse) },
	{ "--readonly", "show everything, refuse every change (a wall display)",
	  offsetof(struct console, readonly) },
};
const size_t console_noptions = sizeof(console_options) / sizeof(console_options[0]);
