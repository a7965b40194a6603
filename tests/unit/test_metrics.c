/*
 * test_metrics.c - the Prometheus text of core/metrics.c: own rules
 * summed per zone, family and verdict (the jumps of the built-in chains
 * under zone "-", foreign rules left out), HELP and TYPE before each
 * metric, every sample line in the format's grammar, label values
 * escaped, watch's hits per zone and action; metrics_file rewritten
 * atomically (the old content replaced whole, 0644, no temporary file
 * left, a symlink refused).
 */
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers.h"
#include "metrics.h"
#include "tap.h"

static struct zone zones[] = {
	{ .name = "lan", .interface = "eth1", .mode = MODE_MONITOR },
	{ .name = "wlan", .interface = "eth2", .mode = MODE_LOG },
};
static struct config cfg = { .zones = zones, .nzones = 2 };

static const struct {
	const char *chain, *rule;
	uint64_t packets, bytes;
} rows[] = {
	{ "FORWARD", "-A FORWARD -i eth9 -j ACCEPT", 1000, 99000 },	/* someone else's */
	{ "FORWARD", "-A FORWARD -j SMTPGUARD-FWD", 50, 5000 },
	{ "SMTPGUARD-FWD", "-A SMTPGUARD-FWD -s 192.0.2.70/32 -i eth2 -j DROP", 3, 180 },
	{ "SMTPGUARD-FWD", "-A SMTPGUARD-FWD -i eth1 -o eth0 -j SMTPGUARD-lan", 10, 600 },
	{ "SMTPGUARD-FWD", "-A SMTPGUARD-FWD -i eth2 -o eth0 -j SMTPGUARD-wlan", 20, 1200 },
	{ "SMTPGUARD-FWD", "-A SMTPGUARD-FWD -i eth0 -o eth2 -j SMTPGUARD-wlan", 5, 300 },
	{ "SMTPGUARD-lan", "-A SMTPGUARD-lan -d 203.0.113.10/32 -i eth1 -p tcp -m tcp --dport 25 -j RETURN", 2, 120 },
	{ "SMTPGUARD-wlan", "-A SMTPGUARD-wlan -i eth2 -j SMTPGUARD-wlan-MAC", 25, 1500 },
	{ "SMTPGUARD-wlan", "-A SMTPGUARD-wlan -i eth2 -p tcp -m tcp --dport 25 -m limit --limit 1/sec -j LOG --log-prefix \"Illegal port 25 > \"", 6, 360 },
	{ "SMTPGUARD-wlan", "-A SMTPGUARD-wlan -i eth2 -p tcp -m tcp --dport 25 -j DROP", 4, 240 },
	{ "SMTPGUARD-wlan-MAC", "-A SMTPGUARD-wlan-MAC -j DROP", 1, 60 },
};

static void table_build(struct fw_table *t)
{
	fw_table_init_empty(t, AF_INET);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		long c = fw_table_chain(t, rows[i].chain) ?
				 (long)(fw_table_chain(t, rows[i].chain) - t->chains) :
				 fw_table_add_chain(t, rows[i].chain, "-", 0, 0, true);

		fw_table_insert_rule(t, (size_t)c, SIZE_MAX, rows[i].rule, rows[i].packets,
				     rows[i].bytes);
	}
	fw_table_finish(t);
}

/* m's text, from a memory stream (caller frees). */
static char *text_of(const struct metrics *m)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (f) {
		metrics_write(m, f);
		fclose(f);
	}
	return buf;
}

/* Every sample line in the grammar; every metric's HELP and TYPE before its first sample. */
static void check_grammar(const char *text, const char *what)
{
	regex_t re;
	char *copy = strdup(text), *save = NULL, last_type[128] = "";
	bool good = true;

	regcomp(&re, "^smtpguard_[a-z_]+(\\{[^}]*\\})? [0-9.e+-]+$", REG_EXTENDED | REG_NOSUB);
	for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		if (strncmp(l, "# TYPE ", 7) == 0) {
			snprintf(last_type, sizeof(last_type), "%.*s", (int)strcspn(l + 7, " "), l + 7);
		} else if (l[0] != '#') {
			good &= regexec(&re, l, 0, NULL, 0) == 0 &&
				strncmp(l, last_type, strlen(last_type)) == 0 && last_type[0];
			if (!good) {
				printf("# bad line: %s\n", l);
				break;
			}
		}
	}
	ok(good, "%s: every sample parses and follows its metric's TYPE", what);
	regfree(&re);
	free(copy);
}

static void test_rules(void)
{
	struct fw_table t;
	struct metrics m = { .cfg = &cfg, .drift_known = true, .drift = true };
	struct error err = { 0 };
	char *text;

	table_build(&t);
	ok(metrics_add_table(&m, &t, 0, &err) == 0, "own rules counted (%s)", err.text);
	text = text_of(&m);
	ok(has_line(text, "smtpguard_rule_packets_total{zone=\"wlan\",family=\"ipv4\",verdict=\"drop\"} 8"),
	   "wlan's drops: quarantine (FWD, by interface), the zone chain and its MAC chain");
	ok(has_line(text, "smtpguard_rule_bytes_total{zone=\"wlan\",family=\"ipv4\",verdict=\"drop\"} 480"),
	   "their bytes");
	ok(has_line(text, "smtpguard_rule_packets_total{zone=\"wlan\",family=\"ipv4\",verdict=\"jump\"} 50"),
	   "wlan's jumps: both ways into its chain, and to its MAC chain");
	ok(has_line(text, "smtpguard_rule_packets_total{zone=\"wlan\",family=\"ipv4\",verdict=\"log\"} 6"),
	   "wlan's log rule");
	ok(has_line(text, "smtpguard_rule_packets_total{zone=\"lan\",family=\"ipv4\",verdict=\"return\"} 2"),
	   "lan's relay return");
	ok(has_line(text, "smtpguard_rule_packets_total{zone=\"-\",family=\"ipv4\",verdict=\"jump\"} 50"),
	   "FORWARD's jump: zone -");
	ok(!strstr(text, "1000") && !strstr(text, "accept"), "the foreign rule is left out");
	ok(!strstr(text, "verdict=\"return\"} 0") && !strstr(text, "ipv6"),
	   "no series for a kind of rule that does not exist");
	ok(has_line(text, "# HELP smtpguard_drift 1 when the kernel's own rules are out of step with the config, else 0.") &&
		   has_line(text, "# TYPE smtpguard_drift gauge") && has_line(text, "smtpguard_drift 1"),
	   "drift 1 with HELP and TYPE");
	ok(has_line(text, "smtpguard_banned_hosts{zone=\"lan\"} 0"), "bans per zone, 0 too");
	ok(!strstr(text, "smtpguard_hits_total"), "no hits series outside watch");
	check_grammar(text, "rules");
	free(text);
	m.drift_known = false;
	text = text_of(&m);
	ok(!strstr(text, "smtpguard_drift "), "an unknown drift is left out, not guessed");
	free(text);
	fw_table_free(&t);
}

static void test_hits(void)
{
	struct metrics_hits h = { .lost = 7, .since = 1795429791 };
	struct metrics m = { .cfg = &cfg, .hits = &h };
	struct hit wlan = { .zone = "wlan", .action = HIT_ACTION_DROPPED }, other = { 0 };
	char *text;

	for (int i = 0; i < 3; i++)
		metrics_hits_add(&h, &cfg, &wlan);
	metrics_hits_add(&h, &cfg, &other);
	text = text_of(&m);
	ok(has_line(text, "smtpguard_hits_total{zone=\"wlan\",action=\"dropped\"} 3"), "wlan dropped 3");
	ok(has_line(text, "smtpguard_hits_total{zone=\"lan\",action=\"logged\"} 0"), "lan's series at 0");
	ok(has_line(text, "smtpguard_hits_total{zone=\"-\",action=\"-\"} 1"), "a hit of no zone under -");
	ok(has_line(text, "smtpguard_hits_lost_total 7"), "lost");
	ok(has_line(text, "smtpguard_watch_start_time_seconds 1795429791"), "start time");
	ok(has_line(text, "# TYPE smtpguard_hits_total counter"), "hits are a counter");
	check_grammar(text, "hits");
	free(text);
}

static void test_escape(void)
{
	char buf[32];

	ok(metrics_escape_label("a\\b\"c\nd", buf, sizeof(buf)) && strcmp(buf, "a\\\\b\\\"c\\nd") == 0,
	   "backslash, quote and newline escaped: %s", buf);
	ok(metrics_escape_label("wlan", buf, sizeof(buf)) && strcmp(buf, "wlan") == 0, "plain stays");
	ok(!metrics_escape_label("\"\"\"", buf, 6), "too long for the buffer: false");
}

static void test_file(const char *dir)
{
	struct metrics m = { .cfg = &cfg, .drift_known = true };
	struct error err = { 0 };
	char path[256], link[256], cmd[512], *text;
	struct stat st;

	snprintf(path, sizeof(path), "%s/smtpguard.prom", dir);
	spit(path, "old content that is much longer than nothing\n");
	ok(metrics_write_file(&m, path, &err) == 0, "written (%s)", err.text);
	text = slurp(path);
	ok(!strstr(text, "old content") && has_line(text, "smtpguard_drift 0"), "replaced whole");
	free(text);
	ok(stat(path, &st) == 0 && (st.st_mode & 07777) == 0644, "0644: node_exporter reads it");
	snprintf(cmd, sizeof(cmd), "test \"$(ls -A %s)\" = smtpguard.prom", dir);
	ok(system(cmd) == 0, "no temporary file left beside it");
	snprintf(link, sizeof(link), "%s/link.prom", dir);
	if (symlink(path, link) < 0)
		printf("# symlink: failed\n");
	m.drift = true;
	ok(metrics_write_file(&m, link, &err) < 0 && strstr(err.text, "symbolic link"),
	   "a symlink is refused: %s", err.text);
	text = slurp(path);
	ok(has_line(text, "smtpguard_drift 0"), "its target is unchanged");
	free(text);
}

int main(void)
{
	char dir[] = "/tmp/test_metrics.XXXXXX";
	char cmd[64];

	if (!mkdtemp(dir))
		return 1;
	test_rules();
	test_hits();
	test_escape();
	test_file(dir);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
	return tap_done();
}
