/*
 * error.h - errors as values.
 *
 * The core never prints.  A failing function fills a caller-owned
 * struct error with one sentence that says what failed, where (file:line
 * when the fault is in a file the user wrote) and what to do, and
 * returns -1.  The caller shows it: stderr for subcommands, the message
 * line in the console.
 */
#ifndef SMTPGUARD_ERROR_H
#define SMTPGUARD_ERROR_H

#define ERROR_TEXT_MAX 512

struct error {
	char text[ERROR_TEXT_MAX];
	int code;	/* exit code the command should end with: 1 runtime, 2 usage/config */
};

/* Exit codes of the command line (doc/design.md). */
enum exit_code {
	EXIT_OK = 0,
	EXIT_RUNTIME = 1,
	EXIT_USAGE = 2,
	EXIT_DRIFT = 3,
	EXIT_TOO_LATE = 4,	/* confirm came too late: the change is being or was rolled back */
};

/* Not an exit code: smtpguard's rules changed between a shown plan and its commit. */
#define ERROR_CONFLICT 10
/* Not an exit code (a command ends with 1): the xtables lock stayed busy past its wait. */
#define ERROR_LOCK_BUSY 11

/* Fill err (if not NULL) with a formatted sentence, code EXIT_RUNTIME. Returns -1. */
int error_set(struct error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* As error_set, prefixed with "file:line: " and code EXIT_USAGE (a fault in user input). */
int error_at(struct error *err, const char *file, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
