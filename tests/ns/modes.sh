#!/bin/sh
# modes.sh - every mode of doc/design.md on the real kernel, with real SMTP
# traffic through the test gateway: what passes, what is dropped, and
# the counters `status` shows for the packets sent.  On nftables the
# foreign table accepts port 25 (smtpguard's drop must still win), the
# rule texts are nft's, and the export round-trips through nft -f.
# backends: iptables nftables
. tests/lib/tap.sh
. tests/lib/netns.sh
. tests/lib/backend.sh
ns_require_root
backend_require
ns_setup || { fail "topology"; done_testing; exit 1; }
ns_start_servers || { fail "SMTP servers"; done_testing; exit 1; }
CONF="$NS_DIR/smtpguard.conf"

# One connection attempt of exactly one SYN (the first retransmission
# would come after 1 s): 0 when the connection is established.
probe() { # probe FROM_NS ADDR PORT
	ns_exec "$1" socat -T1 /dev/null "TCP4:$2:$3,connect-timeout=0.5" >/dev/null 2>&1
}

# Packet counter of the own rule whose text is $1, from `smtpguard status`.
counter() {
	sg -c "$CONF" status | awk -v r="$1" '
		$1 == "*" { t = $0; sub(/^\* +[0-9]+ +[0-9]+  /, "", t); if (t == r) { print $2; found = 1 } }
		END { if (!found) print "missing" }'
}

use_mode() { # use_mode MODE [extra zone lines]
	write_zones_config "$CONF" allow "$1" "ban_seconds = 30
${2:-}"
	if out=$(sg -c "$CONF" apply 2>&1); then
		ok "apply mode $1"
	else
		fail "apply mode $1" "$out"
	fi
}

delivers() { # delivers FROM_NS SERVER "description"
	if send_mail "$1" "$2"; then ok "$3"; else fail "$3" "swaks from $1 to $2 failed"; fi
}
refused() {
	if send_mail "$1" "$2"; then fail "$3" "swaks from $1 to $2 got through"; else ok "$3"; fi
}

# The own rules' texts as `status` shows them on this backend.
if on_nft; then
	reply_rule='oifname "eth2" tcp sport 25 counter drop'
	log_drop_rule='iifname "eth2" tcp dport 25 limit rate 1/second counter log prefix "Illegal port 25 > "'
	jumps() { gw_own | grep -c 'jump guard'; }
else
	reply_rule='-A SMTPGUARD-wlan -o eth2 -p tcp -m tcp --sport 25 -j DROP'
	log_drop_rule='-A SMTPGUARD-wlan -i eth2 -p tcp -m tcp --dport 25 -m limit --limit 1/sec -j LOG --log-prefix "Illegal port 25 > "'
	jumps() { gw iptables-legacy -S FORWARD | grep -c SMTPGUARD; }
fi

# --- foreign rules first: they must survive everything below
if on_nft; then
	nft_load_foreign
	foreign_add 53
else
	gw iptables-legacy -w -N FOREIGN-TEST
	gw iptables-legacy -w -A FOREIGN-TEST -s 198.51.100.99/32 -j DROP
	gw iptables-legacy -w -A FORWARD -p udp --dport 53 -j FOREIGN-TEST
	gw iptables-legacy -w -A INPUT -p tcp --dport 22 -m conntrack --ctstate NEW -j ACCEPT
fi
before=$(gw_firewall)

# --- allow
use_mode allow
delivers "$NS_WLAN" 203.0.113.25 "allow: WLAN reaches a foreign mail server"
is "$(jumps)" 0 "allow: no jump when no zone filters"

# --- monitor
use_mode monitor
delivers "$NS_WLAN" 203.0.113.25 "monitor: mail passes"
c=$(counter "$WLAN_LOG_RULE")
is "$c" 1 "monitor: the log rule counted the one new connection"
if on_nft; then
	skip "monitor: the jump is rule 1 of FORWARD" "nftables: the own base chain shares no chain with others"
else
	is "$(gw iptables-legacy -S FORWARD 2>/dev/null | sed -n 2p)" \
		"-A FORWARD -p tcp -m multiport --ports 25 -j SMTPGUARD-FWD" "monitor: the jump is rule 1 of FORWARD"
fi

# --- block
use_mode block
refused "$NS_WLAN" 203.0.113.25 "block: WLAN cannot reach a foreign mail server"
delivers "$NS_WLAN" 203.0.113.10 "block: WLAN reaches the ISP relay"
delivers "$NS_LAN" 203.0.113.25 "block: the LAN zone (allow) is not affected"
check "block: port 80 from WLAN unaffected" http_get "$NS_WLAN" 203.0.113.25
c0=$(counter "$WLAN_DROP_RULE")
for i in 1 2 3; do probe "$NS_WLAN" 203.0.113.25 25; done
c1=$(counter "$WLAN_DROP_RULE")
if [ "$c0" != missing ] && [ "$c1" != missing ] && [ $((c1 - c0)) -eq 3 ]; then
	ok "block: three SYNs sent, the drop counter rose by three"
else
	fail "block: three SYNs sent, the drop counter rose by three" "before $c0 after $c1"
fi
is "$(counter "$reply_rule")" 0 "block: the reply-direction rule exists (article 1)"

# idempotence: a second apply changes nothing and keeps counters
out=$(sg -c "$CONF" apply 2>&1)
case $out in *"nothing changed"*) ok "block: applying again changes nothing" ;;
*) fail "block: applying again changes nothing" "$out" ;; esac
is "$(counter "$WLAN_DROP_RULE")" "$c1" "block: counters kept by the idempotent apply"

# --- log
use_mode log
refused "$NS_WLAN" 203.0.113.25 "log: WLAN cannot reach a foreign mail server"
delivers "$NS_WLAN" 203.0.113.10 "log: WLAN reaches the ISP relay"
c=$(counter "$log_drop_rule")
if [ "$c" != missing ] && [ "$c" -ge 1 ]; then ok "log: the dropped attempt was logged first ($c)"; else
	fail "log: the dropped attempt was logged first" "counter $c"; fi

# --- rateban
use_mode rateban
delivers "$NS_WLAN" 203.0.113.25 "rateban: the first connection passes"
refused "$NS_WLAN" 203.0.113.25 "rateban: a repeat within ban_seconds is dropped"
if on_nft; then
	if gw nft list set inet smtpguard wlan_ban4 | grep -q '192\.0\.2\.66'; then
		ok "rateban: the host is in the set wlan_ban4"
	else
		fail "rateban: the host is in the set wlan_ban4" "$(gw nft list set inet smtpguard wlan_ban4)"
	fi
elif gw grep -q 'src=192.0.2.66' /proc/net/xt_recent/SMTPGUARD-wlan; then
	ok "rateban: the host is in /proc/net/xt_recent/SMTPGUARD-wlan"
else
	fail "rateban: the host is in /proc/net/xt_recent/SMTPGUARD-wlan"
fi
delivers "$NS_WLAN" 203.0.113.10 "rateban: the relay is never banned"
delivers "$NS_LAN" 203.0.113.25 "rateban: another zone is not banned"

# --- protect_gateway
gw socat TCP4-LISTEN:25,bind=192.0.2.65,reuseaddr,fork "EXEC:sh $(pwd)/tests/lib/smtp-sink.sh" >/dev/null 2>&1 &
echo $! >"$NS_DIR/gwsmtp.pid"
ns_wait_connect "$NS_GW" TCP4 192.0.2.65 25
use_mode allow "protect_gateway = yes"
refused "$NS_WLAN" 192.0.2.65 "protect_gateway: WLAN cannot reach the gateway's port 25"
if on_nft; then
	skip "protect_gateway: the INPUT jump is rule 1" "nftables: the own base chain input shares no chain with others"
else
	case $(gw iptables-legacy -S INPUT | sed -n 2p) in
	"-A INPUT -p tcp "*"25 -j SMTPGUARD-IN") ok "protect_gateway: the INPUT jump is rule 1" ;;
	*) fail "protect_gateway: the INPUT jump is rule 1" "$(gw iptables-legacy -S INPUT)" ;;
	esac
fi

# --- devices
use_mode block "devices = 00:02:2d:11:22:33 192.0.2.66"
check "devices: a listed MAC+IP pair forwards" http_get "$NS_WLAN" 203.0.113.25
use_mode block "devices = 00:02:2d:99:99:99 192.0.2.66"
if http_get "$NS_WLAN" 203.0.113.25; then fail "devices: an unlisted pair cannot forward"; else
	ok "devices: an unlisted pair cannot forward"; fi

# --- quarantine
use_mode allow "quarantine = 192.0.2.66"
if http_get "$NS_WLAN" 203.0.113.25; then fail "quarantine: the host's traffic is dropped"; else
	ok "quarantine: the host's traffic is dropped"; fi
check "quarantine: other zones unaffected" http_get "$NS_LAN" 203.0.113.25

# --- export round trip: restore into a namespace that never saw smtpguard
use_mode log "relays = 203.0.113.16/28"
if on_nft; then
	sg -c "$CONF" export --format nft -o "$NS_DIR/export.nft"
	lan nft -f "$NS_DIR/export.nft"
	if [ "$(gw_own)" = "$(lan nft -s list table inet smtpguard)" ] && [ -n "$(gw_own)" ]; then
		ok "export --format nft round-trips through nft -f"
	else
		fail "export --format nft round-trips through nft -f" \
			"$(gw_own >"$NS_DIR/g"; lan nft -s list table inet smtpguard >"$NS_DIR/l"; diff "$NS_DIR/g" "$NS_DIR/l")"
	fi
else
	sg -c "$CONF" export --format restore -o "$NS_DIR/export.rules"
	lan iptables-legacy-restore --noflush <"$NS_DIR/export.rules"
	own() { grep -E 'SMTPGUARD' | grep -v '^#'; }
	if [ "$(gw_save | own)" = "$(lan iptables-legacy-save -t filter | own)" ] && [ -n "$(gw_save | own)" ]; then
		ok "export --format restore round-trips through iptables-legacy-restore"
	else
		fail "export --format restore round-trips through iptables-legacy-restore" \
			"$(gw_save | own >"$NS_DIR/g"; lan iptables-legacy-save -t filter | own >"$NS_DIR/l"; diff "$NS_DIR/g" "$NS_DIR/l")"
	fi
fi

# --- remove: the firewall as before the first apply, foreign rules byte for byte
out=$(sg -c "$CONF" remove 2>&1) || fail "remove" "$out"
after=$(gw_firewall)
if [ "$before" = "$after" ]; then ok "remove restores the table as it was before the first apply"; else
	fail "remove restores the table as it was before the first apply" "$(printf '%s\n' "$before" >"$NS_DIR/b"; printf '%s\n' "$after" >"$NS_DIR/a"; diff "$NS_DIR/b" "$NS_DIR/a")"; fi
done_testing
