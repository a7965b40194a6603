/* xlock.c - the xtables lock, taken the way iptables takes it; see include/xlock.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "testenv.h"
#include "xlock.h"

/*
 * The pid holding an flock on the file behind fd, from /proc/locks
 * ("1: FLOCK  ADVISORY  WRITE 1234 fd:01:5678 0 EOF"), or 0.
 */
static long xlock_holder(int fd)
{
	struct stat st;
	char line[256], dev[64];
	long pid, found = 0;
	FILE *f;

	if (fstat(fd, &st) < 0 || !(f = fopen("/proc/locks", "re")))
		return 0;
	snprintf(dev, sizeof(dev), "%02x:%02x:%lu", major(st.st_dev), minor(st.st_dev),
		 (unsigned long)st.st_ino);
	while (!found && fgets(line, sizeof(line), f)) {
		char kind[16], where[64];

		if (strstr(line, "->"))	/* a waiter, not the holder */
			continue;
		if (sscanf(line, "%*s %15s %*s %*s %ld %63s", kind, &pid, where) == 3 &&
		    strcmp(kind, "FLOCK") == 0 && strcmp(where, dev) == 0)
			found = pid;
	}
	fclose(f);
	return found;
}

static int xlock_timeout(struct xlock *l, const char *path, unsigned wait, struct error *err)
{
	long pid = xlock_holder(l->fd);
	char comm[64] = "", file[64];
	FILE *f;

	close(l->fd);
	l->fd = -1;
	if (!pid) {
		error_set(err, "the xtables lock %s is still held by another program after %u s; wait "
			       "for it to finish (or raise SMTPGUARD_LOCK_WAIT) and retry", path, wait);
		goto busy;
	}
	snprintf(file, sizeof(file), "/proc/%ld/comm", pid);
	if ((f = fopen(file, "re"))) {
		if (fgets(comm, sizeof(comm), f))
			comm[strcspn(comm, "\n")] = '\0';
		fclose(f);
	}
	error_set(err, "the xtables lock %s is held by pid %ld%s%s%s for more than %u s; wait for it "
		       "to finish (or raise SMTPGUARD_LOCK_WAIT) and retry",
		  path, pid, *comm ? " (" : "", comm, *comm ? ")" : "", wait);
busy:
	if (err)
		err->code = ERROR_LOCK_BUSY;
	return -1;
}

/* The process's hold (xlock_hold): its lock, depth and taker (a forked child is not it). */
static struct {
	struct xlock lock;
	unsigned depth;
	pid_t pid;
} xlock_held = { .lock = { .fd = -1 } };

bool xlock_holding(void)
{
	return xlock_held.depth > 0 && xlock_held.pid == getpid();
}

int xlock_acquire(struct xlock *l, struct error *err)
{
	const char *path = testenv()->xtables_lockfile;
	unsigned wait = testenv()->lock_wait;
	struct timespec start, now, pause = { .tv_nsec = 50 * 1000 * 1000 };

	l->fd = -1;
	if (xlock_holding())
		return 0;
	l->fd = open(path, O_CREAT | O_RDONLY | O_CLOEXEC, 0600);
	if (l->fd < 0)
		return error_set(err, "cannot open the xtables lock %s: %s; run smtpguard as root",
				 path, strerror(errno));
	clock_gettime(CLOCK_MONOTONIC, &start);
	while (flock(l->fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK && errno != EINTR) {
			int e = errno;

			close(l->fd);
			l->fd = -1;
			return error_set(err, "cannot take the xtables lock %s: %s", path, strerror(e));
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - start.tv_sec >= (time_t)wait)
			return xlock_timeout(l, path, wait, err);
		nanosleep(&pause, NULL);
	}
	return 0;
}

void xlock_release(struct xlock *l)
{
	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
}

int xlock_hold(struct error *err)
{
	if (xlock_holding()) {
		xlock_held.depth++;
		return 0;
	}
	if (xlock_acquire(&xlock_held.lock, err) < 0)
		return -1;
	xlock_held.depth = 1;
	xlock_held.pid = getpid();
	return 0;
}

void xlock_unhold(void)
{
	if (xlock_holding() && --xlock_held.depth == 0)
		xlock_release(&xlock_held.lock);
}
