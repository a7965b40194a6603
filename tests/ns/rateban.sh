#!/bin/sh
# rateban.sh - mode rateban on the real kernel beyond the basics of
# modes.sh: untracked traffic is no exemption, a client's own SYN
# retransmissions are not repeats, each family keeps its own xt_recent
# list and mask, and unban takes the host's own address.
. tests/lib/tap.sh
. tests/lib/netns.sh
ns_require_root
ns_setup || { fail "topology"; done_testing; exit 1; }
ns_start_servers || { fail "SMTP servers"; done_testing; exit 1; }
CONF="$NS_DIR/smtpguard.conf"
LIST4=/proc/net/xt_recent/SMTPGUARD-wlan

use_rateban() { # use_rateban "description" [extra zone lines]
	write_zones_config "$CONF" allow rateban "ban_seconds = 60
${2:-}"
	if out=$(sg -c "$CONF" apply 2>&1); then ok "$1"; else fail "$1" "$out"; fi
}

refused() { # refused FROM_NS SERVER "description"
	if send_mail "$1" "$2"; then fail "$3" "swaks from $1 to $2 got through"; else ok "$3"; fi
}

# Empty every list of the namespace (xt_recent's "/" command), so each case starts unbanned.
forget_bans() {
	for f in $(gw sh -c 'ls /proc/net/xt_recent/ 2>/dev/null'); do
		gw sh -c "echo / >/proc/net/xt_recent/$f"
	done
}

# --- 1. untracked packets are attempts, not exemptions
# From a second WLAN address: the server side of the NOTRACKed connections keeps retransmitting
# its SYN-ACK for a minute, and the client's RSTs to them must not reach the later cases' host.
NT=192.0.2.67
wlan ip addr add "$NT/26" dev eth0
use_rateban "apply rateban"
gw iptables-legacy -w -t raw -A PREROUTING -i eth2 -j NOTRACK
send_mail "$NS_WLAN" 203.0.113.25 --local-interface "$NT" || :	# the first attempt: fails closed (README)
if send_mail "$NS_WLAN" 203.0.113.25 --local-interface "$NT"; then
	fail "NOTRACK: a repeat within ban_seconds is refused" "swaks got through: untracked packets are exempt"
else
	ok "NOTRACK: a repeat within ban_seconds is refused"
fi
if gw grep -q "src=$NT " "$LIST4"; then ok "NOTRACK: the host is in $LIST4"; else
	fail "NOTRACK: the host is in $LIST4" "$(gw cat "$LIST4" 2>&1)"; fi
gw iptables-legacy -w -t raw -D PREROUTING -i eth2 -j NOTRACK
forget_bans
if send_mail "$NS_WLAN" 203.0.113.25; then ok "tracked again: the first mail passes"; else
	fail "tracked again: the first mail passes"; fi
forget_bans

# --- 2. a client's own SYN retransmission is not a repeat
# Beyond the gateway the WAN loses the first SYN to port 25 (every other one, from the first):
# the client retransmits it about 1 s later, within swaks's 10 s.
wan iptables-legacy -w -A INPUT -p tcp --dport 25 --syn -m statistic --mode nth --every 2 --packet 0 -j DROP
if send_mail "$NS_WLAN" 203.0.113.25 --timeout 10; then ok "SYN lost beyond the gateway: the retransmit delivers"; else
	fail "SYN lost beyond the gateway: the retransmit delivers" "$(gw cat "$LIST4" 2>&1)"; fi
is "$(wan iptables-legacy -w -L INPUT -v -x -n | awk '/statistic/ { print $1 }')" 1 \
	"SYN lost beyond the gateway: the WAN dropped exactly one SYN"
entry=$(gw grep 'src=192.0.2.66 ' "$LIST4")
stamps=$(printf '%s\n' "$entry" | sed 's/.*oldest_pkt: [0-9]* //' | tr ',' '\n' | grep -c '[0-9]')
if [ "$(printf '%s\n' "$entry" | grep -c .)" = 1 ] && [ "$stamps" = 1 ]; then
	ok "SYN lost beyond the gateway: the list holds the host once, with one attempt"
else
	fail "SYN lost beyond the gateway: the list holds the host once, with one attempt" "$entry"
fi
refused "$NS_WLAN" 203.0.113.25 "SYN lost beyond the gateway: a new connection is still a repeat"
wan iptables-legacy -w -D INPUT -p tcp --dport 25 --syn -m statistic --mode nth --every 2 --packet 0 -j DROP
forget_bans
# The kernel prints the connmark match and the CONNMARK target back as smtpguard writes them.
out=$(sg -c "$CONF" apply 2>&1)
case $out in *"nothing changed"*) ok "applying again changes nothing" ;;
*) fail "applying again changes nothing" "$out" ;; esac

done_testing
