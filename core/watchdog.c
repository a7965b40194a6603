/*
 * watchdog.c - the rollback watchdog of confirmed changes; see
 * include/watchdog.h.
 *
 * Lifetime: the armer forks twice (the middle child exits at once, so
 * the watchdog is re-parented and in a session of its own), then waits
 * on a pipe until the watchdog holds its lock and has written the
 * pending file; only then may the armer change the firewall.  The
 * watchdog waits with sigtimedwait() against CLOCK_MONOTONIC, so a
 * wall-clock jump neither fires nor delays it.  SIGUSR1 confirms;
 * SIGUSR2, SIGTERM and SIGINT roll back at once; SIGHUP is ignored.
 * Once it has decided, signals change nothing: a late confirm finds the
 * decision in the outcome file.  The watchdog holds both families'
 * rulesets and the backend it was armed with; the rollback goes through
 * dualstack_apply(), as every apply does.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "atomicfile.h"
#include "plan.h"
#include "testenv.h"
#include "watchdog.h"

#define WAIT_GONE_SECONDS 30
#define RETRY_FIRST_SECONDS 1
#define RETRY_MAX_SECONDS 30

/* The outcome file's state words, indexed by enum watchdog_outcome (NULL: never written). */
static const char *const watchdog_words[] = {
	[WATCHDOG_NONE] = NULL,
	[WATCHDOG_WAITING] = "waiting",
	[WATCHDOG_CONFIRMED] = "confirmed",
	[WATCHDOG_ROLLING_BACK] = "rolling-back",
	[WATCHDOG_LOCK_BUSY] = "lock-busy",
	[WATCHDOG_RETRYING] = "retrying",
	[WATCHDOG_ROLLED_BACK] = "rolled-back",
	[WATCHDOG_GONE] = NULL,
};

#define NWORDS (sizeof(watchdog_words) / sizeof(watchdog_words[0]))

static const char *watchdog_dir(void)
{
	return testenv()->run_dir;
}

static void watchdog_path(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "%s/%s", watchdog_dir(), name);
}

static double monotonic_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The pending file's pid and deadline; -1 when there is none. */
static int watchdog_read_pending(pid_t *pid, double *deadline)
{
	char path[512];
	FILE *f;
	long p = 0;
	int n;

	watchdog_path(path, sizeof(path), "pending");
	f = fopen(path, "re");
	if (!f)
		return -1;
	n = fscanf(f, "pid %ld deadline %lf", &p, deadline);
	fclose(f);
	if (n != 2 || p <= 1)
		return -1;
	*pid = (pid_t)p;
	return 0;
}

/* True when the watchdog lock is held by someone (an armed watchdog). */
static bool watchdog_lock_held(void)
{
	char path[512];
	int fd;
	bool held;

	watchdog_path(path, sizeof(path), "watchdog.lock");
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return false;
	held = flock(fd, LOCK_EX | LOCK_NB) < 0 && errno == EWOULDBLOCK;
	close(fd);
	return held;
}

/* In the watchdog: replace the outcome file (readers see the old or the new one). */
static void watchdog_outcome_write(enum watchdog_outcome o, const struct error *why)
{
	struct atomicfile af;
	char path[512];

	watchdog_path(path, sizeof(path), "outcome");
	if (atomicfile_open(&af, path, NULL) < 0)
		return;
	fprintf(af.fp, "pid %ld\nstate %s\n", (long)getpid(), watchdog_words[o]);
	if (why && why->text[0])
		fprintf(af.fp, "error %s\n", why->text);
	atomicfile_commit(&af, NULL);
}

/* The state the outcome file gives the watchdog pid (any when 0); NONE when it names another. */
static enum watchdog_outcome watchdog_outcome_read(pid_t pid, struct error *why)
{
	char path[512], line[ERROR_TEXT_MAX + 16], word[32];
	enum watchdog_outcome o = WATCHDOG_NONE;
	long p = -1;
	FILE *f;

	watchdog_path(path, sizeof(path), "outcome");
	if (!(f = fopen(path, "re")))
		return WATCHDOG_NONE;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (sscanf(line, "pid %ld", &p) == 1)
			continue;
		if (sscanf(line, "state %31s", word) == 1) {
			for (size_t i = 0; i < NWORDS; i++)
				if (watchdog_words[i] && strcmp(watchdog_words[i], word) == 0)
					o = (enum watchdog_outcome)i;
		} else if (strncmp(line, "error ", 6) == 0 && why) {
			snprintf(why->text, sizeof(why->text), "%.*s", (int)sizeof(why->text) - 1, line + 6);
		}
	}
	fclose(f);
	return pid && p != (long)pid ? WATCHDOG_NONE : o;
}

bool watchdog_outcome_over(enum watchdog_outcome o)
{
	return o == WATCHDOG_NONE || o == WATCHDOG_CONFIRMED || o == WATCHDOG_ROLLED_BACK ||
	       o == WATCHDOG_GONE;
}

enum watchdog_outcome watchdog_outcome(pid_t pid, struct error *why)
{
	/* the lock first: a watchdog that let it go had written its last word before */
	bool held = watchdog_lock_held();
	enum watchdog_outcome o = watchdog_outcome_read(pid, why);

	if (!held && !watchdog_outcome_over(o))
		return WATCHDOG_GONE;
	return o;
}

const char *watchdog_describe(enum watchdog_outcome o, const struct error *why, char *buf,
			      size_t size)
{
	static const char *const text[] = {
		[WATCHDOG_NONE] = "no change is waiting for confirmation",
		[WATCHDOG_WAITING] = "waiting for confirmation",
		[WATCHDOG_CONFIRMED] = "confirmed: the change stays",
		[WATCHDOG_ROLLING_BACK] = "rolling back",
		[WATCHDOG_LOCK_BUSY] = "rolling back, the xtables lock is busy; retrying",
		[WATCHDOG_RETRYING] = "could not roll back yet",
		[WATCHDOG_ROLLED_BACK] = "rolled back: the previous rules are restored",
		/* one sentence, parenthesized so that no comma looks missing */
		[WATCHDOG_GONE] = ("could not roll back: the watchdog ended before the previous "
				   "rules were restored; run smtpguard apply or smtpguard remove"),
	};

	if (o == WATCHDOG_RETRYING)
		snprintf(buf, size, "%s (%s); retrying", text[o],
			 why && why->text[0] ? why->text : "an error");
	else
		snprintf(buf, size, "%s", text[o]);
	return buf;
}

bool watchdog_pending(unsigned *seconds_left)
{
	pid_t pid;
	double deadline, left;

	if (!watchdog_lock_held() || watchdog_read_pending(&pid, &deadline) < 0)
		return false;
	left = deadline - monotonic_now();
	if (seconds_left)
		*seconds_left = left > 0 ? (unsigned)(left + 0.999) : 0;
	return true;
}

/* One try at putting previous back. */
static int watchdog_restore(const struct fw_ops *fw, const struct ruleset *previous,
			    struct error *err)
{
	struct plan plan[DUALSTACK_N];
	int rc = dualstack_apply(fw, previous, plan, err);

	dualstack_plans_free(plan);
	return rc;
}

/* Roll back until it is committed: a pause between tries, doubling up to RETRY_MAX_SECONDS. */
static void watchdog_roll_back(const struct fw_ops *fw, const struct ruleset *previous,
			       const char *why)
{
	unsigned pause = RETRY_FIRST_SECONDS, tries = 1;
	struct error err = { 0 };

	watchdog_outcome_write(WATCHDOG_ROLLING_BACK, NULL);
	while (watchdog_restore(fw, previous, &err) < 0) {
		bool busy = err.code == ERROR_LOCK_BUSY;

		watchdog_outcome_write(busy ? WATCHDOG_LOCK_BUSY : WATCHDOG_RETRYING, &err);
		syslog(LOG_ERR, "rollback try %u failed (%s); next try in %u s", tries, err.text, pause);
		sleep(pause);
		pause = pause * 2 > RETRY_MAX_SECONDS ? RETRY_MAX_SECONDS : pause * 2;
		tries++;
		err = (struct error){ 0 };
	}
	watchdog_outcome_write(WATCHDOG_ROLLED_BACK, NULL);
	syslog(LOG_WARNING, "change %s: previous rules restored (try %u)", why, tries);
}

static void watchdog_run(const struct fw_ops *fw, const struct ruleset *previous, double deadline,
			 int lock_fd)
{
	struct timespec wait;
	sigset_t set;
	siginfo_t info;
	char path[512];
	int sig = 0;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	for (;;) {
		double left = deadline - monotonic_now();

		if (left <= 0)
			break;
		wait.tv_sec = (time_t)left;
		wait.tv_nsec = (long)((left - (double)wait.tv_sec) * 1e9);
		sig = sigtimedwait(&set, &info, &wait);
		if (sig > 0 || (sig < 0 && errno != EINTR && errno != EAGAIN))
			break;
		sig = 0;
	}
	openlog("smtpguard", LOG_PID, LOG_DAEMON);
	if (sig == SIGUSR1) {
		watchdog_outcome_write(WATCHDOG_CONFIRMED, NULL);
		syslog(LOG_INFO, "change confirmed");
	} else {
		watchdog_roll_back(fw, previous, sig ? "cancelled" : "not confirmed in time");
	}
	watchdog_path(path, sizeof(path), "pending");
	unlink(path);
	close(lock_fd);
	_exit(0);
}

/* In the watchdog: take the lock, write the pending file, tell the armer (one byte), then wait. */
static void watchdog_start(const struct fw_ops *fw, const struct ruleset *previous,
			   unsigned seconds, int ready_fd)
{
	char path[512], text[128];
	double deadline = monotonic_now() + seconds;
	sigset_t set;
	int lock_fd, fd, devnull;
	char ok = 1;

	signal(SIGHUP, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (devnull >= 0) {
		dup2(devnull, 0);
		dup2(devnull, 1);
		dup2(devnull, 2);
	}
	/* Drop every descriptor inherited from the armer (terminal, sockets, the xtables lock). */
	for (fd = 3; fd < 1024; fd++)
		if (fd != ready_fd)
			close(fd);
	if (chdir("/") < 0)
		_exit(1);
	watchdog_path(path, sizeof(path), "watchdog.lock");
	lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (lock_fd < 0 || flock(lock_fd, LOCK_EX | LOCK_NB) < 0)
		_exit(1);
	watchdog_outcome_write(WATCHDOG_WAITING, NULL);
	snprintf(text, sizeof(text), "pid %ld deadline %.3f\n", (long)getpid(), deadline);
	watchdog_path(path, sizeof(path), "pending");
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text) || fsync(fd) < 0)
		_exit(1);
	close(fd);
	if (write(ready_fd, &ok, 1) != 1)
		_exit(1);
	close(ready_fd);
	watchdog_run(fw, previous, deadline, lock_fd);
}

pid_t watchdog_arm(const struct fw_ops *fw, const struct ruleset previous[DUALSTACK_N],
		   unsigned seconds, struct error *err)
{
	int pipefd[2], status;
	pid_t middle, pid;
	double deadline;
	char ok = 0;
	ssize_t n;

	if (mkdir(watchdog_dir(), 0700) < 0 && errno != EEXIST)
		return error_set(err, "cannot create %s: %s", watchdog_dir(), strerror(errno));
	if (watchdog_lock_held())
		return error_set(err, "another change is waiting for confirmation or being rolled "
				      "back; run smtpguard confirm, or wait until it is rolled back");
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return error_set(err, "cannot start the rollback watchdog: %s", strerror(errno));
	fflush(NULL);
	middle = fork();
	if (middle < 0) {
		close(pipefd[0]);
		close(pipefd[1]);
		return error_set(err, "cannot start the rollback watchdog: %s", strerror(errno));
	}
	if (middle == 0) {
		close(pipefd[0]);
		if (setsid() < 0)
			_exit(1);
		if (fork() == 0)
			watchdog_start(fw, previous, seconds, pipefd[1]);
		_exit(0);
	}
	close(pipefd[1]);
	waitpid(middle, &status, 0);
	do
		n = read(pipefd[0], &ok, 1);
	while (n < 0 && errno == EINTR);
	close(pipefd[0]);
	if (n != 1 || ok != 1 || watchdog_read_pending(&pid, &deadline) < 0)
		return error_set(err, "the rollback watchdog did not start (is %s writable?); nothing was "
				      "changed", watchdog_dir());
	return pid;
}

/*
 * Send sig to the pending watchdog and wait (bounded) for its answer: the
 * work over, or a rollback try that failed.  Over, it is also waited for
 * to let go of its lock, so that the next change can be armed at once.
 */
static int watchdog_signal(pid_t want, int sig, enum watchdog_outcome *out, struct error *err)
{
	struct error why = { 0 };
	pid_t pid;
	double deadline, give_up;

	if (!watchdog_lock_held() || watchdog_read_pending(&pid, &deadline) < 0 ||
	    (want && pid != want)) {
		if (!want || (*out = watchdog_outcome(want, &why)) == WATCHDOG_NONE)
			return error_set(err, "no change is waiting for confirmation");
		*err = why;
		return 0;
	}
	if (kill(pid, sig) < 0)
		return error_set(err, "cannot reach the rollback watchdog (pid %ld): %s", (long)pid,
				 strerror(errno));
	give_up = monotonic_now() + WAIT_GONE_SECONDS;
	for (;;) {
		why = (struct error){ 0 };
		*out = watchdog_outcome(pid, &why);
		if (*out == WATCHDOG_LOCK_BUSY || *out == WATCHDOG_RETRYING || monotonic_now() > give_up)
			break;
		if (watchdog_outcome_over(*out) && !watchdog_lock_held())
			break;
		usleep(20000);
	}
	*err = why;
	return 0;
}

int watchdog_confirm(pid_t pid, enum watchdog_outcome *out, struct error *err)
{
	return watchdog_signal(pid, SIGUSR1, out, err);
}

int watchdog_rollback(pid_t pid, enum watchdog_outcome *out, struct error *err)
{
	return watchdog_signal(pid, SIGUSR2, out, err);
}
