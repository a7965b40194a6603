/* test_rateban_rules.c - the connmark match and CONNMARK target of rate-ban read back as written. */
#include <string.h>
#include <sys/socket.h>

#include "compile.h"
#include "ruleparse.h"
#include "tap.h"

static struct rule base(void)
{
	struct rule r = { .family = AF_INET, .proto = 6, .target = TARGET_RETURN };

	strcpy(r.chain, "SMTPGUARD-wlan");
	strcpy(r.in, "eth2");
	r.ports_match = PORTS_DST;
	r.ports[0] = 25;
	r.nports = 1;
	return r;
}

static void round_trip(const struct rule *r, const char *want, const char *what)
{
	char first[1024], second[1024];
	struct rule back;
	struct error err = { 0 };

	rule_format_save(r, first, sizeof(first));
	is_str(first, want, "%s: as iptables-save prints it", what);
	if (!ok(rule_parse_save(first, r->family, &back, &err) == 0, "%s: parses back", what)) {
		printf("#   %s\n", err.text);
		return;
	}
	rule_format_save(&back, second, sizeof(second));
	is_str(second, first, "%s: same text after the round trip", what);
}

int main(void)
{
	struct rule r = base();
	struct rule back;

	r.has_connmark = true;
	r.connmark = r.connmark_mask = COMPILE_RATEBAN_CONNMARK;
	round_trip(&r, "-A SMTPGUARD-wlan -i eth2 -p tcp -m tcp --dport 25 -m connmark --mark "
		       "0x800000/0x800000 -j RETURN", "connmark match");
	r.connmark_mask = UINT32_MAX;
	round_trip(&r, "-A SMTPGUARD-wlan -i eth2 -p tcp -m tcp --dport 25 -m connmark --mark "
		       "0x800000 -j RETURN", "connmark match, full mask");

	r = base();
	r.recent = RECENT_SET;
	strcpy(r.recent_name, "SMTPGUARD-wlan");
	r.recent_mask_bits = 32;
	r.target = TARGET_CONNMARK;
	r.connmark = r.connmark_mask = COMPILE_RATEBAN_CONNMARK;
	round_trip(&r, "-A SMTPGUARD-wlan -i eth2 -p tcp -m tcp --dport 25 -m recent --set --name "
		       "SMTPGUARD-wlan --mask 255.255.255.255 --rsource -j CONNMARK --set-xmark "
		       "0x800000/0x800000", "recent set and CONNMARK");

	ok(rule_parse_save("-A SMTPGUARD-wlan -m tcp --mark 0x1 -j RETURN", AF_INET, &back, NULL) < 0,
	   "--mark outside -m connmark is refused");
	ok(rule_parse_save("-A SMTPGUARD-wlan -j RETURN --set-xmark 0x1/0x1", AF_INET, &back, NULL) < 0,
	   "--set-xmark without -j CONNMARK is refused");
	ok(rule_parse_save("-A SMTPGUARD-wlan -m connmark --mark 12/0x1 -j RETURN", AF_INET, &back,
			   NULL) < 0, "a mark not in hex is refused");
	return tap_done();
}
