/*
 * dynlib.c - a shared library opened on first use; see include/dynlib.h.
 */
#include <dlfcn.h>
#include <string.h>

#include "dynlib.h"

int dynlib_load(struct dynlib *lib, struct error *err)
{
	void *handle;
	const char *why;

	if (lib->handle)
		return 0;
	if (!(handle = dlopen(lib->soname, RTLD_NOW | RTLD_LOCAL))) {
		why = dlerror();
		return error_set(err, "cannot load %s (%s); install the %s package, or %s",
				 lib->soname, why ? why : "no reason given", lib->package,
				 lib->instead);
	}
	for (size_t i = 0; i < lib->count; i++) {
		void *fn = dlsym(handle, lib->symbols[i].name);

		if (!fn) {
			dlclose(handle);
			return error_set(err, "%s has no %s; install the %s package of this "
					      "release, or %s", lib->soname, lib->symbols[i].name,
					 lib->package, lib->instead);
		}
		/* POSIX lets a function's address travel as a void *, which dlsym() returns */
		memcpy((char *)lib->calls + lib->symbols[i].offset, &fn, sizeof(fn));
	}
	lib->handle = handle;
	return 0;
}
