/*
 * dynlib.h - a shared library opened when a feature first needs it.
 *
 * Every library linked into smtpguard is mapped and relocated before
 * main(), by every command.  The ones only one feature uses (the
 * nftables backend's, the NFLOG reader's) are opened through dynlib
 * instead, so that a command which does not use them does not pay for
 * them: on an iptables host, `apply` then loads what `iptables` does,
 * plus the config parser and the console.
 *
 * The caller owns a struct of function pointers, one per call it makes,
 * and a table of where each symbol goes in it (DYNLIB_FIELD and
 * DYNLIB_SYMBOL build both from one list, so that each pointer has its
 * function's exact type from the library's header).
 */
#ifndef SMTPGUARD_DYNLIB_H
#define SMTPGUARD_DYNLIB_H

#include <stddef.h>

#include "error.h"

/* A member of the caller's struct: a pointer to the library function name. */
#define DYNLIB_FIELD(name) __typeof__(name) *(name);
/* Its entry in the table: the symbol and where its pointer goes in struct type. */
#define DYNLIB_SYMBOL(type, name) { #name, offsetof(type, name) },

struct dynlib_symbol {
	const char *name;
	size_t offset;		/* of its pointer in the caller's struct */
};

struct dynlib {
	const char *soname;		/* "libnftables.so.1" */
	const char *package;		/* the Debian package that installs it */
	const char *instead;		/* the way around it, ending the error: "set backend = iptables" */
	const struct dynlib_symbol *symbols;
	size_t count;
	void *calls;			/* the caller's struct, filled by dynlib_load() */
	void *handle;			/* set by dynlib_load(); never closed */
};

/*
 * Open lib and fill every pointer of lib->calls, once per process (again
 * it returns 0 at once).  -1 with err naming the library, its package and
 * lib->instead when it cannot be opened or lacks a symbol; then nothing
 * stays loaded and a later call tries again.
 */
int dynlib_load(struct dynlib *lib, struct error *err);

#endif
