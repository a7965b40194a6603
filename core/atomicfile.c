/* atomicfile.c - all-or-nothing file writes; see include/atomicfile.h. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomicfile.h"

static void atomicfile_release(struct atomicfile *af)
{
	free(af->path);
	free(af->tmp);
	af->path = af->tmp = NULL;
	af->fp = NULL;
}

int atomicfile_open(struct atomicfile *af, const char *path, struct error *err)
{
	struct stat st;
	int fd;

	af->fp = NULL;
	af->path = af->tmp = NULL;
	if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode))
		return error_set(err, "%s is a symbolic link; refusing to write through it "
				      "(write to the link's target directly)", path);
	if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode))
		return error_set(err, "%s is not a regular file; choose another name", path);
	af->path = strdup(path);
	if (!af->path || asprintf(&af->tmp, "%s.XXXXXX", path) < 0) {
		af->tmp = NULL;
		atomicfile_release(af);
		return error_set(err, "out of memory writing %s", path);
	}
	fd = mkostemp(af->tmp, O_CLOEXEC);
	if (fd < 0) {
		int e = errno;

		error_set(err, "cannot create a file next to %s: %s", path, strerror(e));
		atomicfile_release(af);
		return -1;
	}
	if (fchmod(fd, 0600) < 0 || !(af->fp = fdopen(fd, "w"))) {
		error_set(err, "cannot write %s: %s", af->tmp, strerror(errno));
		close(fd);
		unlink(af->tmp);
		atomicfile_release(af);
		return -1;
	}
	return 0;
}

static int atomicfile_sync_dir(const char *path)
{
	char *copy = strdup(path);
	int fd, rc = -1;

	if (!copy)
		return -1;
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		rc = fsync(fd);
		close(fd);
	}
	free(copy);
	return rc;
}

int atomicfile_commit(struct atomicfile *af, struct error *err)
{
	struct stat st;
	int fd = fileno(af->fp);

	if (fflush(af->fp) != 0 || ferror(af->fp) || fsync(fd) < 0)
		goto fail;
	if (stat(af->path, &st) == 0 && fchown(fd, st.st_uid, st.st_gid) < 0)
		goto fail;
	if (fclose(af->fp) != 0) {
		af->fp = NULL;
		goto fail;
	}
	af->fp = NULL;
	if (rename(af->tmp, af->path) < 0)
		goto fail;
	atomicfile_sync_dir(af->path);
	atomicfile_release(af);
	return 0;
fail:
	error_set(err, "cannot write %s: %s; the old file is unchanged", af->path, strerror(errno));
	atomicfile_abort(af);
	return -1;
}

void atomicfile_abort(struct atomicfile *af)
{
	if (af->fp)
		fclose(af->fp);
	if (af->tmp)
		unlink(af->tmp);
	atomicfile_release(af);
}
