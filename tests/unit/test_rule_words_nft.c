/*
 * test_rule_words_nft.c - the own nftables rules in words: each form
 * compile_nft() writes reads as the iptables rule of the same meaning
 * does (zone first, in>out, ports, match words, the verdict apart), and a
 * token of any other form is kept as it is.
 */
#include <string.h>

#include "rule.h"
#include "tap.h"

static void said(const char *chain, const char *text, const char *words, const char *verdict)
{
	char w[RULE_TEXT_MAX], v[64];

	rule_words_nft(chain, text, w, sizeof(w), v, sizeof(v));
	is_str(w, words, "words of %s", text);
	is_str(v, verdict, "verdict of %s", text);
}

int main(void)
{
	said("forward", "iifname \"eth2\" oifname \"eth0\" counter jump zone_wlan", "forward eth2>eth0",
	     "-> wlan");
	said("forward", "tcp dport 25 counter jump guard", "forward :25", "-> guard");
	said("zone_wlan", "iifname \"eth2\" tcp dport 25 counter drop", "wlan eth2>* :25", "drop");
	said("zone_lan", "iifname \"eth1\" tcp dport { 25, 587 } ip daddr @lan_relay4 counter return",
	     "lan eth1>* :25,587 to @lan_relay4", "pass");
	said("zone_guest", "oifname \"eth3\" tcp sport { 25, 587 } ip6 saddr @guest_relay6 counter return",
	     "guest *>eth3 from :25,587 from @guest_relay6", "pass");
	said("zone_lan",
	     "iifname \"eth1\" tcp dport 25 ct state new limit rate 1/second counter log prefix "
	     "\"Illegal port 25 > \" group 25 queue-threshold 16",
	     "lan eth1>* :25 new at most 1/second \"Illegal port 25 > \"", "log");
	said("zone_wlan",
	     "iifname \"eth2\" tcp dport 25 tcp flags syn / fin,syn,rst,ack ip saddr @wlan_ban4 "
	     "update @wlan_ban4 { ip saddr timeout 1m } counter drop",
	     "wlan eth2>* :25 syn from @wlan_ban4 remember host", "drop");
	said("zone_wlan", "iifname \"eth2\" tcp dport 25 ct state established,related counter return",
	     "wlan eth2>* :25 est,rel", "pass");
	said("zone_wlan", "iifname \"eth2\" tcp dport 25 ct mark & 0x00800000 == 0x00800000 counter return",
	     "wlan eth2>* :25 marked 0x00800000", "pass");
	said("zone_wlan",
	     "iifname \"eth2\" tcp dport 25 tcp flags syn / fin,syn,rst,ack update @wlan_ban4 "
	     "{ ip saddr timeout 1m } counter ct mark set ct mark | 0x00800000",
	     "wlan eth2>* :25 syn remember host", "mark");
	said("zone_lan", "iifname \"eth1\" ether saddr . ip saddr != @lan_dev4 counter drop",
	     "lan eth1>* mac+ip not in @lan_dev4", "drop");
	said("zone_lan", "iifname \"eth1\" ether saddr @lan_quarmac counter drop", "lan eth1>* mac @lan_quarmac",
	     "drop");
	said("zone_lan", "oifname \"eth1\" ip6 daddr @lan_quar6 counter drop", "lan *>eth1 to @lan_quar6", "drop");
	/* not a form of ours: its tokens stay */
	said("zone_lan", "iifname \"eth1\" meta mark 0x1 counter accept", "lan eth1>* meta mark 0x1", "accept");
	return tap_done();
}
