/*
 * test_config.c - the config reader against the whole bad-input
 * catalogue (each error at its exact line, with its key phrase), the
 * accepted forms, the edit functions, resolve, and config_save's round
 * trip (comments kept, mode 0600, owner kept, symlink refused).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "helpers.h"
#include "tap.h"

#define GEN "[general]\nwan = eth0\n"	/* two lines every good config starts with */

static char tmpdir[64];

static struct config *parse(const char *text, struct error *err)
{
	return config_parse(text, strlen(text), "t.conf", err);
}

/* text must be refused at line (0: no line) with phrase in the message and exit code 2. */
static void bad_len(const char *what, const char *text, size_t len, unsigned line,
		    const char *phrase)
{
	struct error err = { 0 };
	struct config *cfg = config_parse(text, len, "t.conf", &err);
	char want[32];

	ok(cfg == NULL, "%s: refused", what);
	config_free(cfg);
	if (line)
		snprintf(want, sizeof(want), "t.conf:%u: ", line);
	else
		snprintf(want, sizeof(want), "t.conf: ");
	if (!ok(strncmp(err.text, want, strlen(want)) == 0 && strstr(err.text, phrase),
		"%s: '%s...%s'", what, want, phrase))
		printf("#   got: %s\n", err.text);
	is_int(err.code, EXIT_USAGE, "%s: exit code 2", what);
}

static void bad(const char *what, const char *text, unsigned line, const char *phrase)
{
	bad_len(what, text, strlen(text), line, phrase);
}

static struct config *good(const char *what, const char *text)
{
	struct error err = { 0 };
	struct config *cfg = parse(text, &err);

	if (!ok(cfg != NULL, "%s: accepted", what))
		printf("#   %s\n", err.text);
	return cfg;
}

static void test_catalogue(void)
{
	char *big;

	bad("unknown key", GEN "ports = 25\nport = 25\n", 4, "unknown key port in [general]; "
							     "the keys there are wan, ports");
	bad("unknown zone key", GEN "[zone lan]\ninterface = eth1\nmodes = block\n", 5,
	    "unknown key modes in [zone]");
	bad("unknown section", GEN "\n[zones lan]\ninterface = eth1\n", 4,
	    "unknown section [zones lan]; the sections are [general] and [zone NAME]");
	bad("[zone] without name", GEN "[zone]\n", 3, "[zone] has no name");
	bad("duplicate zone",
	    GEN "[zone lan]\ninterface = eth1\n[zone lan]\ninterface = eth2\n", 5,
	    "zone lan is defined twice (first at line 3)");
	bad("duplicate [general]", GEN "[general]\nports = 25\n", 3, "[general] appears twice");
	bad("zone without interface", GEN "[zone lan]\nmode = block\n", 3,
	    "zone lan has no interface");
	bad("empty zone section", GEN "; nothing\n[zone lan]\n", 4, "zone lan has no interface");
	bad("two zones on one interface",
	    GEN "[zone lan]\ninterface = eth1\n\n[zone wlan]\ninterface = eth1\n", 6,
	    "zone wlan: interface eth1 is already the interface of zone lan (line 3)");
	bad("zone on a WAN interface", "[general]\nwan = eth0, ppp0\n[zone lan]\ninterface = ppp0\n",
	    3, "zone lan: interface ppp0 is a WAN interface");
	bad("relay 300.1.1.1/33", GEN "relays = 300.1.1.1/33\n", 3,
	    "relays: 300.1.1.1 is not an IPv4 address");
	bad("relay 1.2.3.4/", GEN "relays = 203.0.113.4/\n", 3,
	    "relays: 203.0.113.4/: a '/' must be followed by a prefix length 0..32");
	bad("relay with host bits", GEN "relays = 203.0.113.5/24\n", 3,
	    "203.0.113.5/24 has host bits set; write 203.0.113.0/24");
	bad("relay negation", GEN "relays = !203.0.113.5\n", 3, "negations");
	bad("relay 0.0.0.0/0", GEN "\nrelays = 203.0.113.10, 0.0.0.0/0\n", 4,
	    "relays: 0.0.0.0/0 would let every host reach port 25 of the whole internet; list "
	    "your ISP's relays instead");
	bad("relay ::/0", GEN "[zone lan]\ninterface = eth1\nrelays = ::/0\n", 5,
	    "::/0 would let every host reach port 25");
	bad("relay wider than /8", GEN "relays = 192.0.0.0/7\n", 3, "wider than a /8");
	bad("relay wider than /32 (IPv6)", GEN "relays = 2000::/3\n", 3, "wider than a /32");
	bad("duplicate relay", GEN "relays = 203.0.113.10\nrelays = 203.0.113.10\n", 4,
	    "relays: 203.0.113.10 is listed twice (line 3); keep one");
	bad("duplicate relay name", GEN "relays = smtp.example.net, SMTP.example.net\n", 3,
	    "is listed twice");
	bad("overlapping relays", GEN "relays = 203.0.113.16/28,\n  203.0.113.20\n", 4,
	    "203.0.113.20 overlaps 203.0.113.16/28 (line 3)");
	bad("relay junk", GEN "relays = smtp_relay!\n", 3, "relays: 'smtp_relay!' is neither");
	bad("relay name with bad label", GEN "relays = -smtp.example.net\n", 3, "is neither");
	bad("quarantine overlap",
	    GEN "[zone lan]\ninterface = eth1\nquarantine = 192.0.2.0/28\nquarantine = 192.0.2.5\n",
	    6, "quarantine: 192.0.2.5 overlaps 192.0.2.0/28; keep the wider one");
	bad("quarantine 1.2.3.4/", GEN "[zone lan]\ninterface = eth1\nquarantine = 192.0.2.4/\n",
	    5, "prefix length");
	bad("MAC too short",
	    GEN "[zone lan]\ninterface = eth1\ndevices = 00:02:2d:11:22 192.0.2.66\n", 5,
	    "devices: 00:02:2d:11:22 has 5 group(s); a MAC address has 6");
	bad("MAC too long",
	    GEN "[zone lan]\ninterface = eth1\ndevices = 00:02:2d:11:22:33:44 192.0.2.66\n", 5,
	    "has 7 group(s)");
	bad("device without IP", GEN "[zone lan]\ninterface = eth1\ndevices = 00:02:2d:11:22:33\n",
	    5, "is not a device");
	bad("device with a network",
	    GEN "[zone lan]\ninterface = eth1\ndevices = 00:02:2d:11:22:33 192.0.2.0/26\n", 5,
	    "is a network");
	bad("device IP twice",
	    GEN "[zone lan]\ninterface = eth1\ndevices = 00:02:2d:11:22:33 192.0.2.66\n"
		"devices = 00:02:2d:11:22:34 192.0.2.66\n",
	    6, "192.0.2.66 is listed twice");
	bad("port 0", GEN "ports = 25, 0\n", 3, "ports: port '0' is not a TCP port; write a "
						"decimal number 1..65535");
	bad("port 65536", GEN "ports = 65536\n", 3, "1..65535");
	bad("duplicate port", GEN "ports = 25, 587, 25\n", 3, "port 25 is listed twice");
	bad("16 ports", GEN "ports = 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16\n", 3, "more than 15");
	bad("empty list item", GEN "ports = 25,,587\n", 3, "an empty item between commas");
	bad("empty file", "", 1, "the file is empty");
	bad_len("NUL byte", GEN "\0ports = 25\n", sizeof(GEN "\0ports = 25\n") - 1, 3,
		"contains a NUL byte at line 3");
	bad_len("binary file", "\x7f" "ELF\x02\x01\x01\0\0\0", 10, 1, "NUL byte at line 1");
	bad("missing [general]", "; only a comment\n\n[zone lan]\ninterface = eth1\n", 0,
	    "there is no [general] section");
	bad("wan missing", "; x\n[general]\nports = 25\n", 2, "[general] has no wan");
	bad("wan twice in the list", "[general]\nwan = eth0, eth0\n", 2, "eth0 is listed twice");
	bad("9 WAN interfaces", "[general]\nwan = a,b,c,d,e,f,g,h,i\n", 2, "more than 8 WAN");
	bad("bad WAN name", "[general]\nwan = eth0:1\n", 2, "not an interface name");
	bad("zone name too long", GEN "[zone abcdefghijklm]\ninterface = eth1\n", 3,
	    "zone name 'abcdefghijklm' must be 1..12 characters");
	bad("zone name with upper case", GEN "[zone Lan]\ninterface = eth1\n", 3,
	    "must be 1..12 characters of a-z");
	bad("zone name with a dot", GEN "[zone a.b]\ninterface = eth1\n", 3, "1..12 characters");
	bad("scalar key twice", GEN "[zone lan]\ninterface = eth1\nmode = block\nmode = log\n", 6,
	    "mode is set twice (first at line 5); keep one");
	bad("scalar continued", GEN "[zone lan]\ninterface = eth1\nmode = block\n   log\n", 6,
	    "takes one value");
	bad("key outside a section", "wan = eth0\n[general]\n", 1, "outside any section");
	bad("a line without =", GEN "ports 25\n", 3, "neither a [section] header nor a key = value");
	bad("an unclosed header", GEN "[zone lan\ninterface = eth1\n", 3, "neither a [section]");
	bad("text after a header", GEN "[zone lan] eth1\ninterface = eth1\n", 3,
	    "text after the section header");
	bad("bad mode", GEN "[zone lan]\ninterface = eth1\nmode = drop\n", 5,
	    "mode: 'drop' is not a mode; write allow, monitor, block, log or rateban");
	bad("bad boolean", GEN "[zone lan]\ninterface = eth1\nprotect_gateway = maybe\n", 5,
	    "is not yes or no");
	bad("ban_seconds 0", GEN "[zone lan]\ninterface = eth1\nban_seconds = 0\n", 5,
	    "ban_seconds: '0' is not a whole number 1..86400");
	bad("ban_seconds 86401", GEN "[zone lan]\ninterface = eth1\nban_seconds = 86401\n", 5,
	    "1..86400");
	bad("nflog_group 65536", GEN "nflog_group = 65536\n", 3, "0..65535");
	bad("nflog_group -1", GEN "nflog_group = -1\n", 3, "0..65535");
	bad("log_burst 0", GEN "log_burst = 0\n", 3, "1..10000");
	bad("confirm 3601", GEN "confirm = 3601\n", 3, "0..3600");
	bad("confirm 1e3", GEN "confirm = 1e3\n", 3, "0..3600");
	bad("metrics_interval 0", GEN "metrics_interval = 0\n", 3, "1..3600");
	bad("metrics_file relative", GEN "metrics_file = smtpguard.prom\n", 3, "not an absolute path");
	bad("log_target", GEN "log_target = syslog\n", 3, "write log (kernel log) or nflog");
	bad("log_limit unit", GEN "log_limit = 1/fortnight\n", 3, "is not a rate");
	bad("log_limit 0", GEN "log_limit = 0/second\n", 3, "is not a rate");
	bad("log_prefix too long", GEN "log_prefix = \"123456789012345678901234567890\"\n", 3,
	    "30 bytes, more than the 29");
	bad("log_prefix with a quote", GEN "log_prefix = a\"b\n", 3, "no '\"'");
	bad("log_prefix empty", GEN "log_prefix = \"\"\n", 3, "the prefix is empty");
	bad("log_prefix with a control", GEN "log_prefix = a\tb\n", 3, "printable ASCII");
	bad("relative log file", GEN "log_files = kern.log\n", 3, "not an absolute path");
	bad("indented header", GEN "relays = 203.0.113.10\n  [zone lan]\n", 4,
	    "an indented line continues relays; write section headers at the start");
	bad("unbalanced quote in a name", GEN "[zone lan]\ninterface = \"eth1\n", 4,
	    "not an interface name");
	bad("escape sequence in a key", GEN "\x1b[2Jwan = eth1\n", 3, "unknown key \\x1b[2Jwan");
	bad("interface too long", GEN "[zone lan]\ninterface = abcdefghijklmnop\n", 4,
	    "must be 1..15 characters");

	/* Lines inih would cut: 197 bytes pass, 198 are refused, so is a 10 MB line. */
	big = malloc(10 * 1024 * 1024 + 64);
	strcpy(big, GEN "; ");
	memset(big + strlen(big), 'x', 195);
	strcpy(big + strlen(GEN) + 197, "\n");
	config_free(good("a 197-byte comment line", big));
	strcpy(big, GEN "; ");
	memset(big + strlen(big), 'x', 196);
	strcpy(big + strlen(GEN) + 198, "\r\n");
	bad("a 198-byte line", big, 3, "line 3 is 198 bytes, longer than the 197");
	strcpy(big, GEN "\nrelays = ");
	memset(big + strlen(big), '1', 10 * 1024 * 1024);
	strcpy(big + strlen(GEN) + 10 + 10 * 1024 * 1024, "\n");
	bad("a 10 MB line", big, 4, "longer than the 197 a line may be; split it");
	free(big);
}

static void test_accepted(void)
{
	struct config *cfg, *lf;
	struct error err = { 0 };

	cfg = good("minimal config", "[general]\nwan = eth0\n");
	if (cfg) {
		is_int(cfg->nports, 1, "default ports: one");
		is_int(cfg->ports[0], 25, "default port 25");
		is_int(cfg->log_target, LOG_TARGET_LOG, "default log_target log");
		is_int(cfg->nflog_group, 25, "default nflog_group 25");
		is_str(cfg->log_prefix, "Illegal port 25 > ", "default prefix keeps its space");
		ok(cfg->log_limit.count == 1 && cfg->log_limit.unit == RATE_SECOND,
		   "default log_limit 1/second");
		is_int(cfg->log_burst, 5, "default log_burst 5");
		is_int(cfg->confirm, 60, "default confirm 60");
		is_str(cfg->metrics_file, "", "default metrics_file empty (off)");
		is_int(cfg->metrics_interval, 15, "default metrics_interval 15");
		ok(cfg->nlog_files == 2 && strcmp(cfg->log_files[0], "/var/log/kern.log") == 0 &&
			   strcmp(cfg->log_files[1], "/var/log/messages") == 0,
		   "default log_files");
		is_int(cfg->nzones, 0, "no zones");
		is_str(cfg->path, "t.conf", "path is the name given");
		is_str(cfg->source, "[general]\nwan = eth0\n", "source is kept");
	}
	config_free(cfg);

	cfg = good("zone defaults", GEN "[zone lan]\ninterface = eth1\n");
	if (cfg && cfg->nzones == 1) {
		struct zone *z = &cfg->zones[0];

		is_int(z->mode, MODE_MONITOR, "default mode is monitor");
		ok(!z->protect_gateway, "default protect_gateway no");
		is_int(z->ban_seconds, 60, "default ban_seconds 60");
		is_int(z->line, 3, "zone line is its header's");
		ok(config_zone(cfg, "lan") == z, "config_zone finds lan");
		ok(config_zone(cfg, "wlan") == NULL, "config_zone: no wlan");
		ok(config_zone_by_interface(cfg, "eth1") == z, "config_zone_by_interface eth1");
		ok(config_zone_by_interface(cfg, "eth2") == NULL, "no zone on eth2");
	}
	config_free(cfg);

	lf = good("LF file", "; c\n[general]\nwan = eth0, eth3\nports = 25, 587\n[zone lan]\n"
			     "interface = eth1\nmode = block\n");
	cfg = good("CRLF file", "; c\r\n[general]\r\nwan = eth0, eth3\r\nports = 25, 587\r\n"
				"[zone lan]\r\ninterface = eth1\r\nmode = block\r\n");
	ok(lf && cfg && config_equal(lf, cfg), "CRLF reads like LF");
	config_free(cfg);
	cfg = good("UTF-8 in comments and a BOM",
		   "\xef\xbb\xbf; Gateway für die Büros — ☃\n[general]\n# Zweig ✓\nwan = eth0, eth3 "
		   "; Uplink ü\nports = 25, 587\n[zone lan]\ninterface = eth1\nmode = block\n");
	ok(lf && cfg && config_equal(lf, cfg), "comments in UTF-8 change nothing");
	config_free(cfg);
	cfg = good("no final newline", "[general]\nwan = eth0, eth3\nports = 25, 587\n[zone lan]\n"
				       "interface = eth1\nmode = block");
	ok(lf && cfg && config_equal(lf, cfg), "the last line needs no newline");
	config_free(cfg);
	config_free(lf);

	cfg = good("lists over several lines",
		   GEN "relays = 203.0.113.10,\n  203.0.113.11\n\n; between\nrelays = 203.0.113.12,\n"
		       "\t2001:db8::25, smtp.example.net,\n[zone lan]\ninterface = eth1\n"
		       "devices = 00:02:2d:11:22:33 192.0.2.2 , 00-06-25-AA-BB-CC 192.0.2.3\n"
		       "quarantine = 192.0.2.40/30\nquarantine = 192.0.2.50\n");
	if (cfg) {
		is_int(cfg->nrelays, 5, "continuation and repeated key append: 5 relays");
		is_str(cfg->relays[1].text, "203.0.113.11", "relay from a continuation line");
		is_int(cfg->relays[1].line, 4, "its line is the continuation's");
		is_str(cfg->relays[3].text, "2001:db8::25", "IPv6 relay");
		ok(cfg->relays[4].is_name && !cfg->relays[3].is_name, "host name relay kept as name");
		is_int(cfg->relays[4].line, 8, "the name's line");
		is_int(cfg->zones[0].ndevices, 2, "two devices");
		ok(cfg->zones[0].devices[1].mac[0] == 0x00 && cfg->zones[0].devices[1].mac[5] == 0xcc,
		   "MAC with '-' read");
		is_int(cfg->zones[0].nquarantine, 2, "two quarantine entries");
	}
	config_free(cfg);

	cfg = good("values", GEN "ports = 25, 465, 587\nlog_target = nflog\nnflog_group = 0\n"
				 "log_prefix = SMTP drop:\nlog_limit = 3/min\nlog_burst = 10000\n"
				 "confirm = 0\nlog_files = /var/log/syslog\n"
				 "metrics_file = /run/m.prom\nmetrics_interval = 3600\n"
				 "[zone x-1_b]\ninterface = wlp3s0.100\nmode = rateban\n"
				 "protect_gateway = On\nban_seconds = 86400\n");
	if (cfg) {
		is_int(cfg->nports, 3, "three ports replace the default");
		is_int(cfg->log_target, LOG_TARGET_NFLOG, "nflog");
		is_int(cfg->nflog_group, 0, "group 0");
		is_str(cfg->log_prefix, "SMTP drop: ", "a bare prefix keeps its words and gets the separating space");
		ok(cfg->log_limit.count == 3 && cfg->log_limit.unit == RATE_MINUTE, "3/min");
		is_int(cfg->confirm, 0, "confirm 0 = off");
		is_str(cfg->metrics_file, "/run/m.prom", "metrics_file");
		is_int(cfg->metrics_interval, 3600, "metrics_interval 3600");
		ok(cfg->nlog_files == 1 && strcmp(cfg->log_files[0], "/var/log/syslog") == 0,
		   "log_files replace the default");
		is_int(cfg->zones[0].mode, MODE_RATEBAN, "rateban");
		ok(cfg->zones[0].protect_gateway, "On is yes");
	}
	config_free(cfg);

	cfg = good("quoted values", "[general]\nwan = \"eth0, eth3\"\n"
				    "relays = \"smtp.example.net.\"\n");
	if (cfg)
		ok(cfg->nwan == 2 && strcmp(cfg->wan[1], "eth3") == 0 && cfg->relays[0].is_name,
		   "quotes around any value are dropped; a fully qualified name is a name");
	config_free(cfg);

	cfg = good("quoted prefix", GEN "log_prefix = \"SMTPGUARD \"   ; keep the space\n");
	if (cfg)
		is_str(cfg->log_prefix, "SMTPGUARD ", "quotes keep the trailing space");
	config_free(cfg);

	cfg = config_load("conf/smtpguard.conf", &err);
	if (!ok(cfg != NULL, "the example conf/smtpguard.conf loads"))
		printf("#   %s\n", err.text);
	if (cfg) {
		struct zone *w = config_zone(cfg, "wlan"), *l = config_zone(cfg, "lan");

		ok(cfg->nwan == 1 && strcmp(cfg->wan[0], "eth0") == 0, "example: wan eth0");
		ok(l && l->mode == MODE_BLOCK && strcmp(l->interface, "eth1") == 0,
		   "example: zone lan on eth1, block");
		ok(w && w->mode == MODE_RATEBAN && strcmp(w->interface, "eth2") == 0 &&
			   w->protect_gateway && w->ndevices == 2 && w->nquarantine == 3 &&
			   w->quarantine[2].is_mac,
		   "example: zone wlan on eth2, rateban, devices, quarantine (two addresses, a MAC)");
	}
	config_free(cfg);
}

static void test_example_documents_every_key(void)
{
	static const char *const keys[] = { "wan",	   "ports",	     "relays",
					    "log_target",  "nflog_group",    "log_prefix",
					    "log_limit",   "log_burst",	     "confirm",
					    "log_files",   "interface",	     "mode",
					    "protect_gateway", "ban_seconds", "devices",
					    "quarantine", "metrics_file", "metrics_interval" };
	char text[16384], pat[64];
	FILE *f = fopen("conf/smtpguard.conf", "r");
	size_t n = f ? fread(text, 1, sizeof(text) - 1, f) : 0;

	if (f)
		fclose(f);
	text[n] = '\0';
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		snprintf(pat, sizeof(pat), "\n%s =", keys[i]);
		ok(strstr(text, pat) != NULL, "the example sets %s", keys[i]);
	}
}

static void test_load_files(void)
{
	char path[128], cmd[512];
	struct error err = { 0 };
	struct config *cfg;
	int fd, pipefd[2];
	pid_t pid;

	snprintf(path, sizeof(path), "%s/missing.conf", tmpdir);
	ok(config_load(path, &err) == NULL && strstr(err.text, "cannot open") &&
		   strstr(err.text, "No such file") && err.code == EXIT_USAGE,
	   "missing file: %s", err.text);
	ok(config_load(tmpdir, &err) == NULL && strstr(err.text, "is a directory"),
	   "directory: %s", err.text);
	snprintf(path, sizeof(path), "%s/zero.conf", tmpdir);
	ok(symlink("/dev/zero", path) == 0, "symlink to /dev/zero made");
	ok(config_load(path, &err) == NULL && strstr(err.text, "not a regular file") &&
		   err.code == EXIT_USAGE,
	   "symlink to /dev/zero: %s", err.text);
	snprintf(path, sizeof(path), "%s/fifo.conf", tmpdir);
	ok(mkfifo(path, 0600) == 0 && config_load(path, &err) == NULL &&
		   strstr(err.text, "not a regular file"),
	   "a FIFO is refused without hanging");
	snprintf(path, sizeof(path), "%s/huge.conf", tmpdir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ok(fd >= 0 && ftruncate(fd, 2 * 1024 * 1024) == 0, "2 MiB file made");
	close(fd);
	ok(config_load(path, &err) == NULL && strstr(err.text, "more than the 1048576"),
	   "a 2 MiB file: %s", err.text);
	snprintf(path, sizeof(path), "%s/link.conf", tmpdir);
	{
		char cwd[256];

		ok(getcwd(cwd, sizeof(cwd)) != NULL, "cwd known");
		snprintf(cmd, sizeof(cmd), "%s/conf/smtpguard.conf", cwd);
		unlink(path);
		ok(symlink(cmd, path) == 0, "symlink to the example made");
	}
	cfg = config_load(path, &err);
	ok(cfg != NULL, "a symlinked config is legitimate");
	config_free(cfg);

	/* Unreadable: as root, drop to nobody in a child to see the errno sentence. */
	snprintf(path, sizeof(path), "%s/secret.conf", tmpdir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ok(fd >= 0 && write(fd, GEN, strlen(GEN)) == (ssize_t)strlen(GEN), "secret.conf made");
	close(fd);
	chmod(path, 0000);
	chmod(tmpdir, 0755);
	ok(pipe(pipefd) == 0, "pipe");
	pid = fork();
	if (pid == 0) {
		struct error e = { 0 };

		close(pipefd[0]);
		if (geteuid() == 0 && (setgid(65534) < 0 || setuid(65534) < 0))
			_exit(3);
		if (config_load(path, &e) == NULL && write(pipefd[1], e.text, strlen(e.text)) < 0)
			_exit(4);
		_exit(e.code);
	} else {
		char text[ERROR_TEXT_MAX] = "";
		int status = 0;
		ssize_t n;

		close(pipefd[1]);
		n = read(pipefd[0], text, sizeof(text) - 1);
		text[n > 0 ? n : 0] = '\0';
		close(pipefd[0]);
		waitpid(pid, &status, 0);
		ok(strstr(text, "cannot open") && strstr(text, "Permission denied") &&
			   WIFEXITED(status) && WEXITSTATUS(status) == EXIT_USAGE,
		   "unreadable file: %s", text);
	}
	chmod(tmpdir, 0700);
}

static void test_misc_parsers(void)
{
	struct error err = { 0 };
	struct rate r;
	enum zone_mode m;
	char buf[32];

	ok(rate_parse("10/minute", &r, &err) == 0 && r.count == 10 && r.unit == RATE_MINUTE,
	   "10/minute");
	ok(rate_parse("2/h", &r, &err) == 0 && r.unit == RATE_HOUR, "2/h");
	ok(rate_parse("1/d", &r, &err) == 0 && r.unit == RATE_DAY, "1/d");
	ok(rate_parse("5/s", &r, &err) == 0 && r.unit == RATE_SECOND, "5/s");
	ok(rate_parse("10000/sec", &r, &err) == 0, "10000/sec");
	ok(rate_parse("10001/sec", &r, &err) == -1, "10001/sec refused");
	ok(rate_parse("1/", &r, &err) == -1, "1/ refused");
	ok(rate_parse("/second", &r, &err) == -1, "/second refused");
	ok(rate_parse("1 /second", &r, &err) == -1, "a space refused");
	ok(rate_parse("1", &r, &err) == -1, "no unit refused");
	r = (struct rate){ .count = 3, .unit = RATE_DAY };
	rate_format(&r, buf, sizeof(buf));
	is_str(buf, "3/day", "rate_format");
	for (int i = 0; i < MODE_COUNT; i++)
		ok(mode_parse(mode_names[i], &m) == 0 && (int)m == i, "mode %s", mode_names[i]);
	ok(mode_parse("Block", &m) == -1, "modes are lower case");
	is_str(mode_names[MODE_RATEBAN], "rateban", "mode_names[MODE_RATEBAN]");
	ok(config_key_help(true, "ban_seconds") && strstr(config_key_help(true, "ban_seconds"),
							  "1..86400"),
	   "config_key_help of a zone key");
	ok(config_key_help(false, "ban_seconds") == NULL, "ban_seconds is no [general] key");
	ok(config_key_help(false, "relays") && config_key_help(true, "relays") &&
		   strcmp(config_key_help(false, "relays"), config_key_help(true, "relays")) != 0,
	   "relays has its own help in each section");
}

static void test_edits(void)
{
	struct error err = { 0 };
	struct config *cfg = good("config to edit",
				  GEN "relays = 203.0.113.10\n[zone lan]\ninterface = eth1\n"),
		      *copy;
	struct zone *z;

	if (!cfg)
		return;
	z = config_zone(cfg, "lan");
	ok(config_list_add(cfg, NULL, CONFIG_LIST_RELAYS, "203.0.113.11", &err) == 0, "relay added to [general]");
	ok(config_list_add(cfg, NULL, CONFIG_LIST_RELAYS, "203.0.113.10", &err) == -1 &&
		   strstr(err.text, "listed twice (line 3)") && err.code == EXIT_USAGE,
	   "duplicate relay refused: %s", err.text);
	ok(config_list_add(cfg, z, CONFIG_LIST_RELAYS, "0.0.0.0/0", &err) == -1 &&
		   strstr(err.text, "whole internet"),
	   "0.0.0.0/0 refused by the edit too");
	ok(config_list_add(cfg, z, CONFIG_LIST_RELAYS, "smtp.example.net", &err) == 0 && z->nrelays == 1 &&
		   z->relays[0].is_name && z->relays[0].line == 0,
	   "name relay added to the zone, line 0");
	ok(config_list_remove(cfg, z, CONFIG_LIST_RELAYS, "SMTP.example.net", &err) == 0 && z->nrelays == 0,
	   "name relay removed, case-insensitive");
	ok(config_list_remove(cfg, z, CONFIG_LIST_RELAYS, "203.0.113.99", &err) == -1 &&
		   strstr(err.text, "not in the list of relays of zone lan") &&
		   err.code == EXIT_USAGE,
	   "removing an absent relay: %s", err.text);
	ok(config_list_remove(cfg, NULL, CONFIG_LIST_RELAYS, "203.0.113.10/32", &err) == 0 && cfg->nrelays == 1 &&
		   strcmp(cfg->relays[0].text, "203.0.113.11") == 0,
	   "relay removed by an equal form");

	ok(config_list_add(cfg, z, CONFIG_LIST_DEVICES, "00:02:2d:11:22:33 192.0.2.2", &err) == 0, "device added");
	ok(config_list_add(cfg, z, CONFIG_LIST_DEVICES, "00:02:2d:11:22:34 192.0.2.2", &err) == -1 &&
		   strstr(err.text, "listed twice"),
	   "second device on one IP refused");
	ok(config_list_add(cfg, z, CONFIG_LIST_DEVICES, "00:02:2d:11:22 192.0.2.3", &err) == -1 &&
		   strstr(err.text, "group(s)"),
	   "bad MAC refused");
	ok(config_list_remove(cfg, z, CONFIG_LIST_DEVICES, "00:02:2d:11:22:34 192.0.2.2", &err) == -1 &&
		   strstr(err.text, "not in the list of devices"),
	   "device remove needs the pair");
	ok(config_list_remove(cfg, z, CONFIG_LIST_DEVICES, "00-02-2D-11-22-33 192.0.2.2", &err) == 0 && z->ndevices == 0,
	   "device removed");

	ok(config_list_add(cfg, z, CONFIG_LIST_QUARANTINE, "192.0.2.40/30", &err) == 0, "quarantine added");
	ok(config_list_add(cfg, z, CONFIG_LIST_QUARANTINE, "192.0.2.41", &err) == -1 && strstr(err.text, "overlaps"),
	   "overlapping quarantine refused");
	ok(config_list_remove(cfg, z, CONFIG_LIST_QUARANTINE, "192.0.2.41", &err) == -1 &&
		   strstr(err.text, "not in the quarantine list"),
	   "quarantine remove of an absent entry");
	ok(config_list_remove(cfg, z, CONFIG_LIST_QUARANTINE, "192.0.2.40/30", &err) == 0 && z->nquarantine == 0,
	   "quarantine removed");

	ok(config_zone_add(cfg, "wlan", "eth0", &err) == NULL &&
		   strstr(err.text, "is a WAN interface"),
	   "zone on the WAN refused");
	ok(config_zone_add(cfg, "wlan", "eth1", &err) == NULL &&
		   strstr(err.text, "already the interface of zone lan"),
	   "zone on a used interface refused");
	ok(config_zone_add(cfg, "lan", "eth2", &err) == NULL && strstr(err.text, "already exists"),
	   "duplicate zone refused");
	ok(config_zone_add(cfg, "wlan", "eth2", &err) != NULL && cfg->nzones == 2, "zone added");
	ok(config_validate(cfg, &err) == 0, "edited config validates");

	copy = config_copy(cfg);
	ok(copy && config_equal(cfg, copy), "config_copy is equal");
	if (copy) {
		config_list_add(copy, NULL, CONFIG_LIST_RELAYS, "203.0.113.12", &err);
		ok(!config_equal(cfg, copy) && cfg->nrelays == 1, "the copy is independent");
		config_zone(copy, "wlan")->mode = MODE_LOG;
		ok(config_zone(cfg, "wlan")->mode == MODE_MONITOR, "zones are copied too");
	}
	config_free(copy);

	z = config_zone(cfg, "wlan");
	snprintf(z->interface, sizeof(z->interface), "eth0");
	ok(config_validate(cfg, &err) == -1 && strstr(err.text, "is a WAN interface"),
	   "validate: a zone moved onto the WAN: %s", err.text);
	snprintf(z->interface, sizeof(z->interface), "eth2");
	cfg->log_burst = 0;
	ok(config_validate(cfg, &err) == -1 && strstr(err.text, "log_burst = 0 is out of range"),
	   "validate: log_burst 0: %s", err.text);
	cfg->log_burst = 5;
	snprintf(cfg->log_prefix, sizeof(cfg->log_prefix), "a ;b");
	ok(config_validate(cfg, &err) == -1 && strstr(err.text, "would start a comment"),
	   "validate: a prefix that would not read back");
	snprintf(cfg->log_prefix, sizeof(cfg->log_prefix), "x ");
	ok(config_zone_remove(cfg, "wlan", &err) == 0 && cfg->nzones == 1, "zone removed");
	ok(config_zone_remove(cfg, "wlan", &err) == -1 && strstr(err.text, "no zone wlan"),
	   "removing an absent zone");
	config_free(cfg);
}

static void test_resolve(void)
{
	struct error err = { 0 };
	struct config *cfg = good("relay names", GEN "relays = localhost\n[zone lan]\n"
						     "interface = eth1\nrelays = 203.0.113.9,\n"
						     "  nosuchhost.invalid\n");

	if (!cfg)
		return;
	ok(cfg->relays[0].nresolved == 0, "config_load does not resolve");
	ok(config_resolve(cfg, &err) == -1 && strstr(err.text, "t.conf:7: relays: cannot resolve "
								"nosuchhost.invalid"),
	   "an unresolvable name is an error at its line: %s", err.text);
	ok(cfg->relays[0].nresolved >= 1, "localhost resolved to %zu address(es)",
	   cfg->relays[0].nresolved);
	config_list_remove(cfg, config_zone(cfg, "lan"), CONFIG_LIST_RELAYS, "nosuchhost.invalid", &err);
	ok(config_resolve(cfg, &err) == 0, "resolve succeeds without the bad name");
	for (size_t i = 0; i < cfg->relays[0].nresolved; i++) {
		const struct addr *a = &cfg->relays[0].resolved[i];

		ok((a->family == AF_INET && a->prefix == 32 && a->bytes[0] == 127) ||
			   (a->family == AF_INET6 && a->prefix == 128),
		   "localhost address %zu is a loopback host", i);
	}
	config_free(cfg);
}

/* The file at path, in a buffer valid until the next call (no free in the checks). */
static char *read_back(const char *path)
{
	static char buf[65536];
	FILE *f = fopen(path, "r");
	size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;

	if (f)
		fclose(f);
	buf[n] = '\0';
	return buf;
}

static void test_save(void)
{
	static const char original[] =
		"; my gateway\n"
		"[general]\n"
		"wan = eth0      ; uplink\n"
		"relays = 203.0.113.10,\n"
		"         203.0.113.11\n"
		"log_burst = 5\n"
		"\n"
		"; the office\n"
		"[zone lan]\n"
		"interface = eth1\n"
		"mode = block       ; no direct mail\n"
		"\n"
		"; the guests\n"
		"[zone guest]\n"
		"interface = eth3\n"
		"\n"
		"[zone wlan]\n"
		"interface = eth2\n"
		"mode = rateban\n"
		"# trailing comment of wlan\n";
	static const char expected[] =
		"; my gateway\n"
		"[general]\n"
		"wan = eth0      ; uplink\n"
		"relays = 203.0.113.10, 203.0.113.12\n"
		"log_burst = 5\n"
		"confirm = 30\n"
		"\n"
		"; the office\n"
		"[zone lan]\n"
		"interface = eth1\n"
		"mode = log         ; no direct mail\n"
		"protect_gateway = yes\n"
		"\n"
		"[zone wlan]\n"
		"interface = eth2\n"
		"mode = rateban\n"
		"# trailing comment of wlan\n"
		"\n"
		"[zone dmz]\n"
		"interface = eth4\n"
		"mode = monitor\n"
		"quarantine = 192.0.2.200\n";
	char path[128], link[128], other[128];
	struct error err = { 0 };
	struct config *cfg, *back;
	struct zone *z;
	struct stat st;

	snprintf(path, sizeof(path), "%s/save.conf", tmpdir);
	spit(path, original);
	chmod(path, 0644);
	cfg = config_load(path, &err);
	if (!ok(cfg != NULL, "save: the original loads"))
		return printf("#   %s\n", err.text), (void)0;
	config_list_remove(cfg, NULL, CONFIG_LIST_RELAYS, "203.0.113.11", &err);
	config_list_add(cfg, NULL, CONFIG_LIST_RELAYS, "203.0.113.12", &err);
	cfg->confirm = 30;
	z = config_zone(cfg, "lan");
	z->mode = MODE_LOG;
	z->protect_gateway = true;
	config_zone_remove(cfg, "guest", &err);
	z = config_zone_add(cfg, "dmz", "eth4", &err);
	config_list_add(cfg, z, CONFIG_LIST_QUARANTINE, "192.0.2.200", &err);
	if (geteuid() == 0)
		ok(chown(path, 65534, 65534) == 0, "save: original given to nobody");
	if (!ok(config_save(cfg, path, &err) == 0, "save: config_save succeeds"))
		printf("#   %s\n", err.text);
	is_str(read_back(path), expected, "save: comments kept, values rewritten in place, keys and "
				      "zones added and removed");
	ok(stat(path, &st) == 0 && (st.st_mode & 07777) == 0600, "save: mode 0600 after save");
	if (geteuid() == 0)
		ok(st.st_uid == 65534 && st.st_gid == 65534, "save: owner kept");
	back = config_load(path, &err);
	ok(back && config_equal(cfg, back), "save: load -> edit -> save -> load gives an equal "
					    "config");

	/* Saving an unchanged config writes the same bytes. */
	if (back) {
		ok(config_save(back, path, &err) == 0 && strcmp(read_back(path), expected) == 0,
		   "save: an unchanged config is written byte for byte");
	}
	config_free(back);

	/* Long lists wrap onto indented lines that read back. */
	z = config_zone(cfg, "lan");
	for (int i = 0; i < 20; i++) {
		char dev[64];

		snprintf(dev, sizeof(dev), "00:02:2d:11:22:%02x 192.0.2.%d", i, 10 + i);
		config_list_add(cfg, z, CONFIG_LIST_DEVICES, dev, &err);
	}
	ok(config_save(cfg, path, &err) == 0, "save: 20 devices");
	back = config_load(path, &err);
	ok(back && config_equal(cfg, back) && strstr(read_back(path), ",\n          00:02:2d"),
	   "save: a long list wraps and reads back");
	config_free(back);

	/* A symlink at the path is refused and left alone. */
	snprintf(link, sizeof(link), "%s/link-save.conf", tmpdir);
	ok(symlink(path, link) == 0, "save: symlink made");
	ok(config_save(cfg, link, &err) == -1 && strstr(err.text, "symbolic link"),
	   "save: a symlink is refused: %s", err.text);
	ok(lstat(link, &st) == 0 && S_ISLNK(st.st_mode), "save: the symlink is untouched");

	/* An invalid config is never written. */
	snprintf(cfg->wan[0], sizeof(cfg->wan[0]), "eth1");
	ok(config_save(cfg, path, &err) == -1 && strstr(err.text, "WAN interface") &&
		   strcmp(read_back(path), expected) != 0 && strstr(read_back(path), "wan = eth0"),
	   "save: an invalid config is refused, the file unchanged");
	snprintf(cfg->wan[0], sizeof(cfg->wan[0]), "eth0");

	/* Without a source text (built in memory) the save is a fresh file that reads back. */
	free(cfg->source);
	cfg->source = NULL;
	snprintf(other, sizeof(other), "%s/fresh.conf", tmpdir);
	ok(config_save(cfg, other, &err) == 0, "save: fresh file written");
	back = config_load(other, &err);
	ok(back && config_equal(cfg, back), "save: the fresh file reads back equal");
	config_free(back);
	config_free(cfg);

	/* An empty list with a comment gets its value before the comment. */
	spit(path, "[general]\nwan = eth0\nrelays = ; none yet\n");
	cfg = config_load(path, &err);
	if (cfg) {
		config_list_add(cfg, NULL, CONFIG_LIST_RELAYS, "203.0.113.10", &err);
		ok(config_save(cfg, path, &err) == 0 &&
			   strcmp(read_back(path), "[general]\nwan = eth0\nrelays = 203.0.113.10 ; none "
					       "yet\n") == 0,
		   "save: a value goes before the comment of an empty key");
	}
	config_free(cfg);

	/* CRLF files stay CRLF. */
	spit(path, "[general]\r\nwan = eth0\r\n[zone lan]\r\ninterface = eth1\r\n");
	cfg = config_load(path, &err);
	if (cfg) {
		config_zone(cfg, "lan")->mode = MODE_BLOCK;
		ok(config_save(cfg, path, &err) == 0 &&
			   strcmp(read_back(path), "[general]\r\nwan = eth0\r\n[zone lan]\r\n"
					       "interface = eth1\r\nmode = block\r\n") == 0,
		   "save: CRLF kept");
	}
	config_free(cfg);

	/* The example survives a round trip with every comment. */
	cfg = config_load("conf/smtpguard.conf", &err);
	if (cfg) {
		snprintf(other, sizeof(other), "%s/example.conf", tmpdir);
		ok(config_save(cfg, other, &err) == 0, "save: example saved");
		ok(strcmp(read_back(other), cfg->source) == 0, "save: the example is kept byte for byte");
	}
	config_free(cfg);
}

/* iptables' "ppp+" wildcard: only as the last character, and never overlapping another role. */
/* The longest line after a save; lines are counted without their newline. */
static size_t longest_line(const char *text)
{
	size_t longest = 0;

	for (const char *p = text; *p;) {
		size_t n = strcspn(p, "\n");

		longest = n > longest ? n : longest;
		p += n + (p[n] == '\n');
	}
	return longest;
}

/*
 * A list line with an inline comment right at the reader's limit, grown by
 * one item: the comment moves or the list wraps, never past the limit
 * (the fuzzer found the ", " before a wrapped comment one byte over).
 */
static void test_save_line_limit(void)
{
	enum { LINE_LIMIT = 197 };	/* what the reader takes, as the catalogue proves */
	static const char *const lists[] = {
		"203.0.113.10",
		"203.0.113.10, 203.0.113.11",
		"203.0.113.10, 203.0.113.11, 203.0.113.12",
	};
	char path[96], text[512], line[LINE_LIMIT + 1];
	struct error err = { 0 };
	int fails = 0, runs = 0;

	snprintf(path, sizeof(path), "%s/limit.conf", tmpdir);
	for (size_t l = 0; l < sizeof(lists) / sizeof(lists[0]); l++) {
		for (size_t len = LINE_LIMIT - 12; len <= LINE_LIMIT; len++) {
			int n = snprintf(line, sizeof(line), "relays = %s ; ", lists[l]);
			struct config *cfg, *back;

			memset(line + n, 'c', len - (size_t)n);
			line[len] = '\0';
			snprintf(text, sizeof(text), "[general]\nwan = eth0\n%s\n", line);
			spit(path, text);
			cfg = config_load(path, &err);
			runs++;
			if (!cfg || config_list_add(cfg, NULL, CONFIG_LIST_RELAYS, "203.0.113.99", &err) < 0 ||
			    config_save(cfg, path, &err) < 0 || longest_line(read_back(path)) > LINE_LIMIT ||
			    !strstr(read_back(path), "; ccc") || !(back = config_load(path, &err))) {
				printf("# %zu-byte line of %zu items: %s\n", len, l + 1, err.text);
				fails++;
				config_free(cfg);
				continue;
			}
			fails += !config_equal(cfg, back);
			config_free(back);
			config_free(cfg);
		}
	}
	ok(runs == 39 && fails == 0,
	   "save: %d list lines with a comment at or near the %d-byte limit, grown by one item, "
	   "all keep the comment, stay within the limit and read back (%d failed)",
	   runs, LINE_LIMIT, fails);

	/* Spaces before the '=' that leave no room for the new value: the line starts "relays = ". */
	for (int comment = 0; comment < 2; comment++) {
		struct config *cfg, *back = NULL;

		snprintf(text, sizeof(text), "[general]\nwan = eth0\nrelays%*s= %s\n", 185, "",
			 comment ? "; x" : "");
		spit(path, text);
		cfg = config_load(path, &err);
		ok(cfg && config_list_add(cfg, NULL, CONFIG_LIST_RELAYS, "203.0.113.99", &err) == 0 &&
			   config_save(cfg, path, &err) == 0 &&
			   strstr(read_back(path), comment ? "\nrelays = 203.0.113.99 ; x\n"
							   : "\nrelays = 203.0.113.99\n") &&
			   longest_line(read_back(path)) <= LINE_LIMIT && (back = config_load(path, &err)) &&
			   config_equal(cfg, back),
		   "save: a relay that no longer fits after 'relays' and 185 spaces starts a fresh "
		   "'relays = ' line%s: %s",
		   comment ? ", its inline comment kept after it" : "", err.text);
		config_free(back);
		config_free(cfg);
	}

	/* A 180-character host name wraps onto a line of its own that still fits; 181 are refused. */
	{
		char name[200], prefix[32];
		struct config *cfg, *back = NULL;

		for (size_t i = 0; i < 180; i += 10)
			memcpy(name + i, "relayhost.", 10);
		memcpy(name + 170, "example.n", 9);
		name[179] = 't';
		name[180] = '\0';
		snprintf(prefix, sizeof(prefix), "relays%16s= ", "");
		snprintf(text, sizeof(text), "[general]\nwan = eth0\n%s203.0.113.1\n", prefix);
		spit(path, text);
		cfg = config_load(path, &err);
		ok(cfg && config_list_add(cfg, NULL, CONFIG_LIST_RELAYS, name, &err) == 0 &&
			   config_save(cfg, path, &err) == 0 &&
			   longest_line(read_back(path)) <= LINE_LIMIT && (back = config_load(path, &err)) &&
			   config_equal(cfg, back),
		   "save: a 180-character host name after a 24-byte 'relays =' reads back within the "
		   "limit: %s", err.text);
		strcpy(name + 179, "et");
		ok(cfg && config_list_add(cfg, NULL, CONFIG_LIST_RELAYS, name, &err) == -1 &&
			   strstr(err.text, "181 characters, longer than the 180") && err.code == EXIT_USAGE,
		   "the console refuses a 181-character host name: %s", err.text);
		config_free(back);
		config_free(cfg);
	}
}

static void test_wildcards(void)
{
	struct config *cfg = good("wan = ppp+ and interface = wg+",
				  "[general]\nwan = ppp+\n[zone wg]\ninterface = wg+\n");
	struct error err = { 0 };

	if (cfg) {
		ok(config_zone_by_interface(cfg, "wg0") == &cfg->zones[0], "wg0 is in zone wg");
		ok(config_zone_by_interface(cfg, "wlan0") == NULL, "wlan0 is in no zone");
		ok(config_zone_add(cfg, "w2", "wg1", &err) == NULL &&
			   strstr(err.text, "already the interface of zone wg"),
		   "the console cannot add a zone on wg1 (wg+ has it): %s", err.text);
		ok(config_zone_add(cfg, "p", "ppp0", &err) == NULL &&
			   strstr(err.text, "is a WAN interface (wan = ppp+)"),
		   "the console cannot add a zone on ppp0 (wan = ppp+): %s", err.text);
		config_free(cfg);
	}
	bad("'+' inside a name", GEN "[zone lan]\ninterface = et+h1\n", 4,
	    "'+' may only end an interface name");
	bad("a lone '+'", "[general]\nwan = +\n", 2, "'+' may only end an interface name");
	bad("'++'", "[general]\nwan = ppp++\n", 2, "'+' may only end an interface name");
	bad("zone covered by a WAN wildcard", "[general]\nwan = eth+\n[zone lan]\ninterface = eth1\n",
	    3, "zone lan: interface eth1 is a WAN interface (wan = eth+)");
	bad("zones overlapping through a wildcard",
	    GEN "[zone a]\ninterface = wg+\n[zone b]\ninterface = wg0\n", 5,
	    "interface wg0 is already the interface of zone a (line 3) (interface = wg+)");
	bad("WAN listed twice through a wildcard", "[general]\nwan = ppp+, ppp0\n", 2,
	    "ppp0 is listed twice (as ppp+)");
}

/* quarantine takes MACs beside addresses, in the file and in the console's edits. */
static void test_quarantine_mac(void)
{
	struct config *cfg = good("quarantine by MAC", GEN "[zone w]\ninterface = eth2\n"
					 "quarantine = 192.0.2.70, 00:02:2D:11:22:33, 2001:db8::70\n");
	struct error err = { 0 };
	char text[ADDR_TEXT_MAX];

	if (cfg) {
		struct zone *z = &cfg->zones[0];

		ok(z->nquarantine == 3 && z->quarantine[1].is_mac && !z->quarantine[0].is_mac &&
			   !z->quarantine[2].is_mac, "two addresses and a MAC");
		config_quarantine_format(&z->quarantine[1], text, sizeof(text));
		is_str(text, "00:02:2d:11:22:33", "the MAC is written lower case, ':' separated");
		ok(config_list_add(cfg, z, CONFIG_LIST_QUARANTINE, "00-02-2d-11-22-33", &err) == -1 &&
			   strstr(err.text, "listed twice"), "the same MAC again is refused: %s", err.text);
		ok(config_list_add(cfg, z, CONFIG_LIST_QUARANTINE, "00:06:25:aa:bb:cc", &err) == 0 && z->nquarantine == 4,
		   "the console adds a MAC");
		ok(config_list_remove(cfg, z, CONFIG_LIST_QUARANTINE, "00:02:2d:11:22:33", &err) == 0 && z->nquarantine == 3,
		   "the console removes a MAC");
		config_free(cfg);
	}
	bad("quarantine MAC with a bad digit", GEN "[zone w]\ninterface = eth2\n"
		"quarantine = 00:02:2d:11:22:3g\n", 5, "is not a MAC address");
	bad("quarantine neither address nor MAC", GEN "[zone w]\ninterface = eth2\n"
		"quarantine = zombie\n", 5, "a quarantined host is an address, a prefix or a MAC");
}

/* One table of limits: relays no wider than /8 and /32, quarantine than /16 and /48. */
static void test_prefix_limits(void)
{
	struct config *cfg = good("the widest accepted prefixes",
				  GEN "relays = 10.0.0.0/8, 2001:db8::/32\n[zone w]\ninterface = eth2\n"
				  "quarantine = 192.168.0.0/16, 2001:db8:1::/48\n");
	struct error err = { 0 };

	config_free(cfg);
	bad("relay 2001::/16", GEN "\nrelays = 2001::/16\n", 4,
	    "relays: 2001::/16 is wider than a /32 and would open port 25 to a large part of the "
	    "internet; list your ISP's relays instead");
	bad("quarantine 0.0.0.0/0", GEN "[zone w]\ninterface = eth2\nquarantine = 0.0.0.0/0\n", 5,
	    "quarantine: 0.0.0.0/0 would cut every host off; list the hosts");
	bad("quarantine ::/0", GEN "[zone w]\ninterface = eth2\nquarantine = ::/0\n", 5,
	    "quarantine: ::/0 would cut every host off");
	bad("quarantine wider than /16", GEN "[zone w]\ninterface = eth2\nquarantine = 10.0.0.0/15\n",
	    5, "quarantine: 10.0.0.0/15 is wider than a /16 and is a network, not a host");
	bad("quarantine wider than /48", GEN "[zone w]\ninterface = eth2\n"
		"quarantine = 2001:db8::/47\n", 5, "2001:db8::/47 is wider than a /48");
	cfg = good("a zone", GEN "[zone w]\ninterface = eth2\n");
	if (cfg) {
		ok(config_list_add(cfg, NULL, CONFIG_LIST_RELAYS, "2001::/16", &err) == -1 &&
			   strstr(err.text, "wider than a /32") && err.code == EXIT_USAGE,
		   "the console's relay edit gives the same answer: %s", err.text);
		ok(config_list_add(cfg, &cfg->zones[0], CONFIG_LIST_QUARANTINE, "::/0", &err) == -1 &&
			   strstr(err.text, "would cut every host off") && err.code == EXIT_USAGE,
		   "the console's quarantine edit gives the same answer: %s", err.text);
		ok(cfg->nrelays == 0 && cfg->zones[0].nquarantine == 0, "nothing was added");
		config_free(cfg);
	}
}

int main(void)
{
	char cmd[128];

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_config.XXXXXX");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	test_catalogue();
	test_accepted();
	test_example_documents_every_key();
	test_load_files();
	test_misc_parsers();
	test_edits();
	test_resolve();
	test_save();
	test_save_line_limit();
	test_wildcards();
	test_quarantine_mac();
	test_prefix_limits();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", tmpdir);
	{
		struct config *bp = good("ban_prefix6", GEN "[zone w]\ninterface = eth2\nban_prefix6 = 56\n");

		if (bp) {
			is_int(bp->zones[0].ban_prefix6, 56, "ban_prefix6 = 56 is read");
			config_free(bp);
		}
		bp = good("ban_prefix6 default", GEN "[zone w]\ninterface = eth2\n");
		if (bp) {
			is_int(bp->zones[0].ban_prefix6, 128, "ban_prefix6 defaults to 128");
			config_free(bp);
		}
		bad("ban_prefix6 0", GEN "[zone w]\ninterface = eth2\nban_prefix6 = 0\n", 5, "ban_prefix6");
		bad("ban_prefix6 129", GEN "[zone w]\ninterface = eth2\nban_prefix6 = 129\n", 5, "ban_prefix6");
		ok(strstr(config_key_help(true, "ban_prefix6"), "(default 128)") != NULL,
		   "the console's help for ban_prefix6 names the default it applies");
	}
	return tap_done();
}
