/*
 * regress.h - replay the inputs kept in tests/fuzz/regress/TARGET/ (what
 * fuzzing and the terminal-safety corpus once broke) through a fuzz
 * target's own checks, in the unit tests: each input runs in a child
 * process, so a crash or a failed check (abort) is one "not ok".
 * The child exits normally, so a target's atexit checks run too.
 */
#ifndef SMTPGUARD_REGRESS_H
#define SMTPGUARD_REGRESS_H

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tap.h"

typedef int (*regress_fn)(const uint8_t *data, size_t size);

/* The whole file at path in a malloc'd buffer the caller frees; NULL when it cannot be read. */
static inline uint8_t *regress_read(const char *path, size_t *size)
{
	FILE *fp = fopen(path, "rb");
	uint8_t *data = NULL;
	long len;

	if (!fp)
		return NULL;
	if (fseek(fp, 0, SEEK_END) == 0 && (len = ftell(fp)) >= 0 && fseek(fp, 0, SEEK_SET) == 0 &&
	    (data = malloc((size_t)len + 1)) && fread(data, 1, (size_t)len, fp) == (size_t)len) {
		*size = (size_t)len;
	} else {
		free(data);
		data = NULL;
	}
	fclose(fp);
	return data;
}

static inline int regress_run(const char *dir, regress_fn one)
{
	struct dirent **names;
	int n = scandir(dir, &names, NULL, alphasort), inputs = 0;

	if (!ok(n >= 0, "%s can be read", dir))
		return tap_done();
	for (int i = 0; i < n; i++) {
		char path[512];
		size_t size = 0;
		uint8_t *data;
		pid_t pid;
		int status = -1;

		if (names[i]->d_name[0] == '.') {
			free(names[i]);
			continue;
		}
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		free(names[i]);
		inputs++;
		if (!ok((data = regress_read(path, &size)) != NULL, "%s can be read", path))
			continue;
		fflush(stdout);
		pid = fork();
		if (pid == 0) {
			one(data, size);
			exit(0);
		}
		if (pid > 0)
			waitpid(pid, &status, 0);
		ok(pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
		   "%s passes (%zu bytes)", path, size);
		free(data);
	}
	free(names);
	ok(inputs > 0, "%s holds regression inputs (%d)", dir, inputs);
	return tap_done();
}

#endif
