/* test_ruleparse.c - rule_parse_save() reads back every kind of rule rule_format_save() writes. */
#include <string.h>
#include <sys/socket.h>

#include "ruleparse.h"
#include "tap.h"

static struct rule base(const char *chain)
{
	struct rule r = { .family = AF_INET, .proto = 6, .target = TARGET_DROP };

	strcpy(r.chain, chain);
	strcpy(r.in, "eth2");
	r.ports_match = PORTS_DST;
	r.ports[0] = 25;
	r.nports = 1;
	return r;
}

static void round_trip(const struct rule *r, const char *what)
{
	char first[1024], second[1024];
	struct rule back;
	struct error err = { 0 };

	ok(rule_format_save(r, first, sizeof(first)) > 0, "%s: formats", what);
	if (!ok(rule_parse_save(first, r->family, &back, &err) == 0, "%s: parses back", what)) {
		printf("#   %s\n#   %s\n", first, err.text);
		return;
	}
	rule_format_save(&back, second, sizeof(second));
	is_str(second, first, "%s: same text after the round trip", what);
}

int main(void)
{
	struct rule r;
	struct error err = { 0 };

	r = base("SMTPGUARD-wlan");
	round_trip(&r, "tcp dport drop");

	r = base("SMTPGUARD-wlan");
	r.ports_match = PORTS_SRC;
	strcpy(r.in, "");
	strcpy(r.out, "eth2");
	r.has_src = true;
	addr_parse("203.0.113.16/28", &r.src, NULL);
	r.target = TARGET_RETURN;
	round_trip(&r, "reply relay return");

	r = base("FORWARD");
	strcpy(r.in, "");
	r.ports_match = PORTS_EITHER;
	r.ports[1] = 587;
	r.nports = 2;
	r.target = TARGET_JUMP;
	strcpy(r.jump, "SMTPGUARD-FWD");
	round_trip(&r, "multiport jump");

	r = base("SMTPGUARD-wlan");
	r.ctstate = CT_NEW;
	r.ctstate_neg = true;
	r.target = TARGET_RETURN;
	round_trip(&r, "negated conntrack");

	r = base("SMTPGUARD-wlan");
	r.recent = RECENT_UPDATE;
	strcpy(r.recent_name, "SMTPGUARD-wlan");
	r.recent_seconds = 60;
	r.recent_mask_bits = 32;
	round_trip(&r, "recent update");

	r = base("SMTPGUARD-wlan");
	r.recent = RECENT_RCHECK;
	strcpy(r.recent_name, "SMTPGUARD-wlan");
	r.recent_seconds = 60;
	r.recent_mask_bits = 32;
	r.has_limit = true;
	r.limit.count = 1;
	r.limit.unit = RATE_SECOND;
	r.limit_burst = 5;
	r.target = TARGET_LOG;
	strcpy(r.log_prefix, "Illegal port 25 > ");
	round_trip(&r, "recent + limit + LOG with a spaced prefix");

	r = base("SMTPGUARD-wlan");
	r.has_limit = true;
	r.limit.count = 3;
	r.limit.unit = RATE_MINUTE;
	r.limit_burst = 10;
	r.target = TARGET_NFLOG;
	strcpy(r.log_prefix, "it's \"hi\" \\");
	r.nflog_group = 25;
	r.nflog_threshold = 16;
	round_trip(&r, "NFLOG with quotes and backslash in the prefix");

	r = base("SMTPGUARD-wlan-mac");
	r.proto = 0;
	r.ports_match = PORTS_NONE;
	r.nports = 0;
	strcpy(r.in, "");
	r.has_src = true;
	addr_parse("192.0.2.66", &r.src, NULL);
	r.has_mac = true;
	mac_parse("00:02:2d:11:22:33", r.mac, NULL);
	r.target = TARGET_RETURN;
	round_trip(&r, "device pair");

	r = base("SMTPGUARD-wlan");
	r.tcp_syn = true;
	r.recent = RECENT_UPDATE;
	strcpy(r.recent_name, "SMTPGUARD-wlan");
	r.recent_seconds = 60;
	r.recent_mask_bits = 32;
	round_trip(&r, "--syn in the one-port tcp match");
	r.ports[1] = 587;
	r.nports = 2;
	round_trip(&r, "--syn after multiport");
	ok(rule_parse_save("-A SMTPGUARD-wlan -p tcp -m multiport --dports 25,587 -m tcp --tcp-flags "
			   "FIN,SYN,RST,ACK SYN -j DROP", AF_INET, &r, &err) == 0 && r.tcp_syn &&
	   r.nports == 2, "--tcp-flags FIN,SYN,RST,ACK SYN reads as tcp_syn, the ports kept");
	ok(rule_parse_save("-A SMTPGUARD-wlan -p tcp -m tcp --dport 25 -j DROP", AF_INET, &r, &err) == 0 &&
	   !r.tcp_syn, "no --tcp-flags reads as any flags");
	ok(rule_parse_save("-A SMTPGUARD-wlan -p tcp -m tcp ! --tcp-flags FIN,SYN,RST,ACK SYN -j DROP",
			   AF_INET, &r, &err) < 0, "negated --tcp-flags is refused");
	ok(rule_parse_save("-A SMTPGUARD-wlan -p tcp -m tcp --tcp-flags SYN,ACK SYN -j DROP", AF_INET,
			   &r, &err) < 0, "other --tcp-flags than --syn are refused");
	ok(rule_parse_save("-A SMTPGUARD-wlan -p tcp -m multiport --dports 25,587 --tcp-flags "
			   "FIN,SYN,RST,ACK SYN -j DROP", AF_INET, &r, &err) < 0,
	   "--tcp-flags outside -m tcp is refused");
	ok(rule_parse_save("-A SMTPGUARD-wlan -p tcp -m tcp --tcp-flags FIN,SYN,RST,ACK", AF_INET, &r,
			   &err) < 0, "--tcp-flags without its second argument is refused");

	ok(rule_parse_save("-A SMTPGUARD-wlan -m comment --comment x -j DROP", AF_INET, &r, &err) < 0,
	   "a match smtpguard never writes is refused");
	ok(strstr(err.text, "edited by hand") != NULL, "the refusal says why");
	ok(rule_parse_save("-A SMTPGUARD-wlan -j SOMEONE-ELSES", AF_INET, &r, &err) < 0,
	   "a jump to a foreign chain is refused");
	ok(rule_parse_save("-A SMTPGUARD-wlan -j LOG --log-prefix \"open", AF_INET, &r, &err) < 0,
	   "an unterminated string is refused");
	return tap_done();
}
