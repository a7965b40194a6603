/*
 * atomicfile.h - write a file so that readers see the old or the new
 * content, never a mixture: a temporary file in the same folder
 * (O_EXCL | O_NOFOLLOW, mode 0600), fsync, rename over the target,
 * fsync of the folder.  A symlink at the target is refused, never
 * followed; the owner of an existing target is kept.
 *
 * Usage: atomicfile_open(), write to af.fp, then atomicfile_commit()
 * or atomicfile_abort().  Both release everything.
 */
#ifndef SMTPGUARD_ATOMICFILE_H
#define SMTPGUARD_ATOMICFILE_H

#include <stdio.h>

#include "error.h"

struct atomicfile {
	FILE *fp;
	char *path;	/* owned */
	char *tmp;	/* owned */
};

int atomicfile_open(struct atomicfile *af, const char *path, struct error *err);
int atomicfile_commit(struct atomicfile *af, struct error *err);
void atomicfile_abort(struct atomicfile *af);

#endif
