/* test_dynlib.c - dynlib_load(): a library's calls filled once; a missing library or symbol said, nothing kept. */
#include <string.h>
#include <zlib.h>

#include "dynlib.h"
#include "tap.h"

#define Z_CALLS(X) X(zlibVersion) X(crc32)

struct z_calls {
	Z_CALLS(DYNLIB_FIELD)
};

#define Z_SYMBOL(name) DYNLIB_SYMBOL(struct z_calls, name)
static const struct dynlib_symbol z_symbols[] = {
	Z_CALLS(Z_SYMBOL)
};
static const struct dynlib_symbol z_and_missing[] = {
	Z_SYMBOL(zlibVersion)
	{ "smtpguard_no_such_call", offsetof(struct z_calls, crc32) },
};

int main(void)
{
	struct z_calls z = { 0 };
	struct dynlib zlib = { "libz.so.1", "zlib1g", "do without", z_symbols, 2, &z, NULL };
	struct dynlib absent = { "libsmtpguard-none.so.9", "smtpguard-none", "set x = y", z_symbols,
				 2, &z, NULL };
	struct dynlib partial = { "libz.so.1", "zlib1g", "set x = y", z_and_missing, 2, &z, NULL };
	struct error err = { 0 };

	is_int(dynlib_load(&zlib, &err), 0, "libz.so.1 loads");
	ok(zlib.handle != NULL, "... and is kept");
	ok(z.zlibVersion && strcmp(z.zlibVersion(), ZLIB_VERSION) == 0,
	   "its zlibVersion is the one the header names (%s)", ZLIB_VERSION);
	ok(z.crc32 && z.crc32(0, (const Bytef *)"123456789", 9) == 0xcbf43926UL,
	   "its crc32 computes the check value");
	is_int(dynlib_load(&zlib, &err), 0, "a second load returns at once");

	is_int(dynlib_load(&absent, &err), -1, "a library that is not installed is refused");
	ok(strncmp(err.text, "cannot load libsmtpguard-none.so.9 (", 36) == 0 &&
		   strstr(err.text, "); install the smtpguard-none package, or set x = y") != NULL,
	   "... naming it, why, its package and the way around: %s", err.text);
	ok(absent.handle == NULL, "... and nothing is kept");

	is_int(dynlib_load(&partial, &err), -1, "a library without a needed call is refused");
	is_str(err.text, "libz.so.1 has no smtpguard_no_such_call; install the zlib1g package of "
			 "this release, or set x = y", "... naming the call");
	ok(partial.handle == NULL, "... and nothing is kept, so a later call tries again");
	return tap_done();
}
