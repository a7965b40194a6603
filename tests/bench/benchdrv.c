/*
 * benchdrv.c - the timing half of `make bench` (tests/bench/run.sh),
 * built against build/libsmtpguard.a.
 *
 *   benchdrv counters N    N rounds, each: one fw_counters_refresh(), one
 *                          fw_backend()->read(), one `iptables-legacy-save -c`
 *                          and one `iptables-legacy -L -v -n -x`, side by side;
 *                          prints the median microseconds of each, then
 *                          whether the fast path's counters equal read()'s
 *   benchdrv idle SECONDS  once a second for SECONDS (the console's default refresh):
 *                          one fw_counters_refresh() and one read(); prints the
 *                          CPU each costs (user+system) as % of one core
 *   benchdrv verify        TAP checks of fw_counters_refresh() against read() on a
 *                          live table: counters move, a rule replaced in place or
 *                          added is noticed (tests/bench/counters.sh)
 *   benchdrv nftread N     N rounds, each: the console's refresh of the own table
 *                          on nftables (fw_nft_ops.read() of table inet smtpguard,
 *                          then bans->read()), its read of the other tables' hooked
 *                          chains (read_others()), `nft -j list ruleset` and `nft list
 *                          ruleset`, side by side; prints the median microseconds
 *   benchdrv run -- CMD... run CMD once (stdout and stderr to /dev/null) and
 *                          print "wall_ms cpu_ms maxrss_kb exit_status"
 *
 * Refuses to run unless SMTPGUARD_BENCH_NS names the network namespace it
 * is in (/run/netns/NAME is this process's namespace): never on the host.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fw.h"
#include "fw_counters.h"

struct run_result {
	double wall_ms, cpu_ms;
	long maxrss_kb;
	int status;
};

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/*
 * Spawn argv with output discarded; wait4 gives the child's CPU and peak
 * RSS (its reaped children included).  posix_spawn, not fork: a fork
 * would make every page of ours copy-on-write and charge the faults to
 * the next in-process refresh.
 */
static struct run_result run(char **argv)
{
	struct run_result r = { .status = -1 };
	posix_spawn_file_actions_t fa;
	struct rusage ru;
	double start = now_ms();
	int status, rc;
	pid_t pid;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);
	rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0 || wait4(pid, &status, 0, &ru) < 0)
		return r;
	r.wall_ms = now_ms() - start;
	r.cpu_ms = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
		   (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
	r.maxrss_kb = ru.ru_maxrss;
	r.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	return r;
}

static int die(const char *what, const struct error *err)
{
	fprintf(stderr, "benchdrv: %s: %s\n", what, err->text);
	return 1;
}

/* 0 when every rule and policy counter of a equals b's. */
static int counters_differ(const struct fw_table *a, const struct fw_table *b)
{
	if (a->nrules != b->nrules || a->nchains != b->nchains)
		return 1;
	for (size_t i = 0; i < a->nrules; i++)
		if (a->rules[i].packets != b->rules[i].packets || a->rules[i].bytes != b->rules[i].bytes)
			return 1;
	for (size_t i = 0; i < a->nchains; i++)
		if (a->chains[i].packets != b->chains[i].packets || a->chains[i].bytes != b->chains[i].bytes)
			return 1;
	return 0;
}

static int bench_counters(size_t n)
{
	static char *save[] = { "iptables-legacy-save", "-c", "-t", "filter", NULL };
	static char *list[] = { "iptables-legacy", "-w", "-L", "-v", "-n", "-x", NULL };
	const struct fw_ops *fw = fw_backend();
	struct fw_table t = { 0 }, check = { 0 };
	struct error err = { 0 };
	struct fw_counters *fc = fw_counters_new(&err);
	double *fast = calloc(n, sizeof(double)), *slow = calloc(n, sizeof(double));
	double *peer_save = calloc(n, sizeof(double)), *peer_list = calloc(n, sizeof(double));
	int stale = 0, rc;

	if (!fc || !fast || !slow || !peer_save || !peer_list)
		return die("setup", &err);
	if (fw->read(AF_INET, &t, &err) < 0)
		return die("read", &err);
	for (size_t i = 0; i < n; i++) {
		struct fw_table again = { 0 };
		double start = now_ms();

		rc = fw_counters_refresh(fc, &t, &err);
		fast[i] = (now_ms() - start) * 1e3;
		if (rc < 0)
			return die("refresh", &err);
		stale += rc == FW_COUNTERS_STALE;
		start = now_ms();
		if (fw->read(AF_INET, &again, &err) < 0)
			return die("read", &err);
		slow[i] = (now_ms() - start) * 1e3;
		fw_table_free(&again);
		peer_save[i] = run(save).wall_ms * 1e3;
		peer_list[i] = run(list).wall_ms * 1e3;
	}
	/* The table is idle here: a refresh right after a read must give read's counters. */
	if (fw->read(AF_INET, &check, &err) < 0 || fw_counters_refresh(fc, &t, &err) < 0)
		return die("check", &err);
	printf("fast_us %.1f\nread_us %.1f\nsave_us %.1f\nlist_us %.1f\nrules %zu\nstale %d\nsame %s\n",
	       median(fast, n), median(slow, n), median(peer_save, n), median(peer_list, n),
	       t.nrules, stale, counters_differ(&t, &check) ? "no" : "yes");
	fw_table_free(&t);
	fw_table_free(&check);
	fw_counters_free(fc);
	free(fast);
	free(slow);
	free(peer_save);
	free(peer_list);
	return 0;
}

/* The console's nftables refresh (tui/console_data.c: table_read(), offenders_read()) against nft. */
static int bench_nftread(size_t n)
{
	static char *json[] = { "nft", "-j", "list", "ruleset", NULL };
	static char *text[] = { "nft", "list", "ruleset", NULL };
	const struct fw_ops *fw = &fw_nft_ops;
	struct error err = { 0 };
	double *rd = calloc(n, sizeof(double)), *bans = calloc(n, sizeof(double));
	double *pj = calloc(n, sizeof(double)), *pt = calloc(n, sizeof(double));
	double *others = calloc(n, sizeof(double));
	const char *failed = rd && bans && pj && pt && others ? NULL : "setup";
	size_t rules = 0;

	for (size_t i = 0; i < n && !failed; i++) {
		struct fw_table t = { 0 };
		struct ban *b = NULL;
		size_t nb = 0;
		double start = now_ms();

		if (fw->read(AF_INET, &t, &err) < 0) {
			failed = "read";
			break;
		}
		rd[i] = (now_ms() - start) * 1e3;
		rules = t.nrules;
		fw_table_free(&t);
		start = now_ms();
		if (fw->bans->read(NULL, &b, &nb, &err) < 0) {
			failed = "bans read";
			break;
		}
		bans[i] = (now_ms() - start) * 1e3;
		free(b);
		start = now_ms();
		if (fw->read_others(&t, &err) < 0) {
			failed = "read_others";
			break;
		}
		others[i] = (now_ms() - start) * 1e3;
		fw_table_free(&t);
		pj[i] = run(json).wall_ms * 1e3;
		pt[i] = run(text).wall_ms * 1e3;
	}
	if (!failed)
		printf("read_us %.1f\nbans_us %.1f\nothers_us %.1f\njson_us %.1f\nlist_us %.1f\nrules %zu\n",
		       median(rd, n), median(bans, n), median(others, n), median(pj, n), median(pt, n),
		       rules);
	free(rd);
	free(bans);
	free(pj);
	free(pt);
	free(others);
	return failed ? die(failed, &err) : 0;
}

/* True when this process runs in the namespace SMTPGUARD_BENCH_NS names. */
static bool in_bench_netns(void)
{
	const char *name = getenv("SMTPGUARD_BENCH_NS");
	char path[256];
	struct stat ours, named;

	if (!name || !*name || strchr(name, '/'))
		return false;
	snprintf(path, sizeof(path), "/run/netns/%s", name);
	return stat("/proc/self/ns/net", &ours) == 0 && stat(path, &named) == 0 &&
	       ours.st_dev == named.st_dev && ours.st_ino == named.st_ino;
}

static double cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int bench_idle(unsigned seconds)
{
	const struct fw_ops *fw = fw_backend();
	struct fw_table t = { 0 };
	struct error err = { 0 };
	struct fw_counters *fc = fw_counters_new(&err);
	double fast = 0, slow = 0, start = now_ms();

	if (!fc || fw->read(AF_INET, &t, &err) < 0)
		return die("idle", &err);
	for (unsigned i = 0; i < seconds; i++) {
		struct fw_table again = { 0 };
		double c = cpu_ms(), tick = start + 1000.0 * (i + 1);

		if (fw_counters_refresh(fc, &t, &err) < 0)
			return die("refresh", &err);
		fast += cpu_ms() - c;
		c = cpu_ms();
		if (fw->read(AF_INET, &again, &err) < 0)
			return die("read", &err);
		slow += cpu_ms() - c;
		fw_table_free(&again);
		while (now_ms() < tick) {
			long long ns = (long long)((tick - now_ms()) * 1e6);
			struct timespec ts = { .tv_sec = ns / 1000000000, .tv_nsec = ns % 1000000000 };

			nanosleep(&ts, NULL);
		}
	}
	printf("fast_pct %.3f\nread_pct %.3f\n", fast / (seconds * 10.0), slow / (seconds * 10.0));
	fw_table_free(&t);
	fw_counters_free(fc);
	return 0;
}

static int verify_n, verify_failed;

static void verify_ok(bool pass, const char *what)
{
	verify_n++;
	verify_failed += !pass;
	printf("%sok %d - %s\n", pass ? "" : "not ", verify_n, what);
}

/* Run an iptables-legacy command; true when it exits 0. */
static bool iptables(char *rule)
{
	char *argv[64] = { "iptables-legacy", "-w" };
	size_t n = 2;

	for (char *tok = strtok(rule, " "); tok && n < 63; tok = strtok(NULL, " "))
		argv[n++] = tok;
	argv[n] = NULL;
	return run(argv).status == 0;
}

/* n UDP datagrams to 127.0.0.1:9 (the discard port), counted by OUTPUT's first rule. */
static void send_udp(int n)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(9),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	for (int i = 0; fd >= 0 && i < n; i++)
		sendto(fd, "x", 1, 0, (const struct sockaddr *)&to, sizeof(to));
	if (fd >= 0)
		close(fd);
}

static int verify(void)
{
	const struct fw_ops *fw = fw_backend();
	struct fw_table t = { 0 }, check = { 0 };
	struct error err = { 0 };
	struct fw_counters *fc = fw_counters_new(&err);
	char add[] = "-A OUTPUT -o lo -p udp -m udp --dport 9 -j ACCEPT";
	char replace[] = "-R OUTPUT 1 -o lo -p udp -m udp --dport 7 -j ACCEPT";
	char second[] = "-A OUTPUT -o lo -p udp -m udp --dport 13 -j ACCEPT";
	char chain[] = "-N BENCH-TEST";
	int rc;

	if (!fc || !iptables(add) || !iptables(chain) || fw->read(AF_INET, &t, &err) < 0)
		return die("verify setup", &err);
	const struct fw_chain *out = fw_table_chain(&t, "OUTPUT");

	verify_ok(fw_counters_refresh(fc, &t, &err) == FW_COUNTERS_FRESH, "a fresh table refreshes");
	send_udp(7);
	rc = fw_counters_refresh(fc, &t, &err);
	verify_ok(rc == FW_COUNTERS_FRESH && out && t.rules[out->first].packets == 7,
		  "7 datagrams show as 7 packets on the rule that counts them");
	verify_ok(fw->read(AF_INET, &check, &err) == 0 && !counters_differ(&t, &check),
		  "every rule and policy counter equals read()'s");
	fw_table_free(&check);
	verify_ok(iptables(replace) && fw_counters_refresh(fc, &t, &err) == FW_COUNTERS_STALE,
		  "a rule replaced in place (same shape) makes the table stale");
	fw_table_free(&t);
	verify_ok(fw->read(AF_INET, &t, &err) == 0 && fw_counters_refresh(fc, &t, &err) == FW_COUNTERS_FRESH,
		  "after a new read() the refresh is fresh again");
	verify_ok(iptables(second) && fw_counters_refresh(fc, &t, &err) == FW_COUNTERS_STALE,
		  "an added rule makes the table stale");
	fw_table_free(&t);
	fw_counters_free(fc);
	printf("1..%d\n", verify_n);
	return verify_failed != 0;
}

int main(int argc, char **argv)
{
	if (!in_bench_netns()) {
		fprintf(stderr, "benchdrv: refusing to run outside the bench's namespace "
				"(SMTPGUARD_BENCH_NS); run it through make bench\n");
		return 2;
	}
	if (argc >= 3 && strcmp(argv[1], "counters") == 0) {
		long n = strtol(argv[2], NULL, 10);

		return bench_counters(n > 0 ? (size_t)n : 1);
	}
	if (argc == 3 && strcmp(argv[1], "nftread") == 0) {
		long n = strtol(argv[2], NULL, 10);

		return bench_nftread(n > 0 ? (size_t)n : 1);
	}
	if (argc == 3 && strcmp(argv[1], "idle") == 0) {
		long n = strtol(argv[2], NULL, 10);

		return bench_idle(n > 0 ? (unsigned)n : 1);
	}
	if (argc == 2 && strcmp(argv[1], "verify") == 0)
		return verify();
	if (argc >= 4 && strcmp(argv[1], "run") == 0 && strcmp(argv[2], "--") == 0) {
		struct run_result r = run(argv + 3);

		printf("%.3f %.3f %ld %d\n", r.wall_ms, r.cpu_ms, r.maxrss_kb, r.status);
		return r.status < 0;
	}
	fprintf(stderr, "usage: benchdrv counters N | nftread N | idle SECONDS | verify | run -- CMD...\n");
	return 2;
}
