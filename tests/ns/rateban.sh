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
WLAN6=2001:db8:2::66
WLAN6B=2001:db8:2::67	# the same /64
WLAN6C=2001:db8:3::66	# another /64, the same /32
gw ip addr add 2001:db8:3::1/64 dev eth2 nodad
wlan ip addr add "$WLAN6B/64" dev eth0 nodad
wlan ip addr add "$WLAN6C/64" dev eth0 nodad
wan ip -6 route add 2001:db8:3::/64 via 2001:db8:100::1

use_rateban() { # use_rateban "description" [extra zone lines]
	write_zones_config "$CONF" allow rateban "ban_seconds = 60
${2:-}"
	if out=$(sg -c "$CONF" apply 2>&1); then ok "$1"; else fail "$1" "$out"; fi
}

refused() { # refused FROM_NS SERVER "description"
	if send_mail "$1" "$2"; then fail "$3" "swaks from $1 to $2 got through"; else ok "$3"; fi
}

mail6() { send_mail6 "$NS_WLAN" "$MX6" --local-interface "$1"; }
delivers6() { # delivers6 FROM_ADDR "description"
	if mail6 "$1"; then ok "$2"; else fail "$2" "swaks from $1 failed; $(gw sh -c 'cd /proc/net/xt_recent && grep . *')"; fi
}
refused6() {
	if mail6 "$1"; then fail "$2" "swaks from $1 got through; $(gw sh -c 'cd /proc/net/xt_recent && grep . *')"; else ok "$2"; fi
}
lists() { gw sh -c 'ls /proc/net/xt_recent/ 2>/dev/null' | tr '\n' ' '; }
# No own rule left, so the kernel frees every list: the next apply creates them afresh.
fresh() { out=$(sg -c "$CONF" remove 2>&1) || fail "remove" "$out"; }

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
V4B=192.0.2.68	# another IPv4 host of the WLAN for case 3, away from the NOTRACK leftovers
wlan ip addr add "$V4B/26" dev eth0
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

# --- 3. one list, and one mask, per family
is "$(lists)" "SMTPGUARD-wlan SMTPGUARD-wlan-IPV6-128 " "each family has its own list, the IPv6 one named with its mask"
fresh
use_rateban "ban_prefix6 = 16: apply" "ban_prefix6 = 16"
delivers6 "$WLAN6" "ban_prefix6 = 16: the first IPv6 mail passes"
refused6 "$WLAN6C" "ban_prefix6 = 16: another /64 of the /16 is banned"
if send_mail "$NS_WLAN" 203.0.113.25; then ok "ban_prefix6 = 16: the first IPv4 mail passes"; else
	fail "ban_prefix6 = 16: the first IPv4 mail passes"; fi
if send_mail "$NS_WLAN" 203.0.113.25 --local-interface "$V4B"; then
	ok "ban_prefix6 = 16: IPv4 hosts are still banned one by one"
else
	fail "ban_prefix6 = 16: IPv4 hosts are still banned one by one" "$(gw sh -c 'cd /proc/net/xt_recent && grep . *')"
fi

# A changed ban_prefix6 is out of step, and takes effect on apply.
fresh
use_rateban "ban_prefix6 = 128: apply" "ban_prefix6 = 128"
delivers6 "$WLAN6" "ban_prefix6 = 128: the first IPv6 mail passes"
write_zones_config "$CONF" allow rateban "ban_seconds = 60
ban_prefix6 = 64"
sg -c "$CONF" apply --check >/dev/null 2>&1
is "$?" 3 "ban_prefix6 128 -> 64: apply --check says out of step"
use_rateban "ban_prefix6 128 -> 64: apply" "ban_prefix6 = 64"
delivers6 "$WLAN6" "ban_prefix6 = 64: the first IPv6 mail passes"
refused6 "$WLAN6B" "ban_prefix6 = 64: the same /64 is banned at once (the new mask is in effect)"
is "$(lists)" "SMTPGUARD-wlan SMTPGUARD-wlan-IPV6-64 " "ban_prefix6 128 -> 64: the /128 list is gone"

# Restored IPv4 first (as netfilter-persistent does): IPv6 is still banned by its own mask.
fresh
forget_bans
sg -c "$CONF" export --format restore -o "$NS_DIR/export.rules"
sg -c "$CONF" export --format restore --family 6 -o "$NS_DIR/export.rules6"
gw iptables-legacy-restore -w --noflush <"$NS_DIR/export.rules"
gw ip6tables-legacy-restore -w --noflush <"$NS_DIR/export.rules6"
delivers6 "$WLAN6" "IPv4 restored first: the first IPv6 mail passes"
delivers6 "$WLAN6C" "IPv4 restored first: another /64 is not banned (no /32 mask)"
refused6 "$WLAN6B" "IPv4 restored first: the same /64 is banned"
out=$(sg -c "$CONF" apply --check 2>&1)
is "$?" 0 "IPv4 restored first: apply --check says in step"
fresh

# --- 4. IPv6: by default one host is banned, not its /64; unban takes the host's own address
use_rateban "default ban_prefix6: apply"
delivers6 "$WLAN6" "default ban_prefix6: the first IPv6 mail passes"
refused6 "$WLAN6" "default ban_prefix6: its repeat is refused"
delivers6 "$WLAN6B" "default ban_prefix6: a neighbour in the same /64 is not banned"
out=$(sg -c "$CONF" unban "$WLAN6" 2>&1)
is "$?" 0 "default ban_prefix6: unban of the host"
delivers6 "$WLAN6" "default ban_prefix6: after unban the host may send again"
fresh
use_rateban "ban_prefix6 = 64: apply" "ban_prefix6 = 64"
delivers6 "$WLAN6" "ban_prefix6 = 64: the first IPv6 mail passes"
refused6 "$WLAN6B" "ban_prefix6 = 64: the whole /64 is banned"
out=$(sg -c "$CONF" unban "$WLAN6B" 2>&1)
is "$?" 0 "ban_prefix6 = 64: unban takes a host's own address, not only the prefix ($out)"
delivers6 "$WLAN6" "ban_prefix6 = 64: after unban the /64 may send again"
fresh

done_testing
