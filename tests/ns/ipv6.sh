#!/bin/sh
# ipv6.sh - no escape over IPv6: every mode from the WLAN over IPv6
# behaves as over IPv4 on the real kernel (ip6tables-legacy through
# libip6tc), rate-ban bans a whole /64, the relay stays reachable, a
# client that falls back from IPv6 to IPv4 is stopped on both, foreign
# IPv6 rules survive apply and remove, the IPv6 export round-trips
# through ip6tables-legacy-restore, an unconfirmed change rolls both
# families back, and a failing IPv4 commit puts IPv6 back.  On nftables
# both families are one table inet smtpguard: the /64 is an element of
# the set wlan_ban6, the export round-trips through nft -f, and the
# checks about two tables committed one after the other are skipped.
# backends: iptables nftables
. tests/lib/tap.sh
. tests/lib/netns.sh
. tests/lib/backend.sh
ns_require_root
backend_require
ns_setup || { fail "topology"; done_testing; exit 1; }
ns_start_servers || { fail "SMTP servers"; done_testing; exit 1; }
CONF="$NS_DIR/smtpguard.conf"
WLAN6=2001:db8:2::66
WLAN6B=2001:db8:2::67	# the same /64
WLAN6C=2001:db8:3::66	# another /64 on the same WLAN
gw ip addr add 2001:db8:3::1/64 dev eth2 nodad
wlan ip addr add "$WLAN6B/64" dev eth0 nodad
wlan ip addr add "$WLAN6C/64" dev eth0 nodad
wan ip -6 route add 2001:db8:3::/64 via 2001:db8:100::1

use_mode() { # use_mode MODE [extra zone lines]
	write_zones_config "$CONF" allow "$1" "ban_seconds = 30
${2:-}"
	sed -i "s/^relays = .*/relays = 203.0.113.10, $RELAY6/" "$CONF"
	if out=$(sg -c "$CONF" apply 2>&1); then ok "apply mode $1"; else fail "apply mode $1" "$out"; fi
}

# mail6 FROM_ADDR SERVER: one mail over IPv6 from a given WLAN address; 0 when delivered.
mail6() { send_mail6 "$NS_WLAN" "$2" --local-interface "$1"; }
delivers6() { # delivers6 SERVER "description" [FROM_ADDR]
	if mail6 "${3:-$WLAN6}" "$1"; then ok "$2"; else fail "$2" "swaks over IPv6 to $1 failed"; fi
}
refused6() {
	if mail6 "${3:-$WLAN6}" "$1"; then fail "$2" "swaks over IPv6 to $1 got through"; else ok "$2"; fi
}

# Packet counter of the own IPv6 rule whose text is $1, from `smtpguard status` ("*6" rows;
# on nftables "*": one rule of the table inet serves both families).
counter6() {
	if on_nft; then mark='*'; else mark='*6'; fi
	sg -c "$CONF" status | awk -v m="$mark" -v r="$1" '
		$1 == m { t = $0; sub(/^\*6? *[0-9]+ +[0-9]+  /, "", t); if (t == r) { print $2; found = 1 } }
		END { if (!found) print "missing" }'
}
# The jumps to the own rules on this backend.
if on_nft; then
	jumps() { gw_own | grep -c 'jump guard'; }
else
	jumps() { gw ip6tables-legacy -S FORWARD | grep -c SMTPGUARD; }
fi

# --- the path works before any rule: otherwise every "refused" below would prove nothing
delivers6 "$MX6" "no rules: WLAN reaches the IPv6 mail server"
if http_get6 "$NS_WLAN" "$MX6" "$WLAN6"; then ok "no rules: WLAN reaches port 80 over IPv6"; else
	fail "no rules: WLAN reaches port 80 over IPv6"; fi

# --- foreign IPv6 rules first: they must survive everything below
if on_nft; then
	nft_load_foreign
	gw nft add rule inet filter forward ip6 saddr 2001:db8:100::99 udp dport 53 drop
else
	gw ip6tables-legacy -w -N FOREIGN6
	gw ip6tables-legacy -w -A FOREIGN6 -s 2001:db8:100::99/128 -j DROP
	gw ip6tables-legacy -w -A FORWARD -p udp --dport 53 -j FOREIGN6
	gw ip6tables-legacy -w -A INPUT -p tcp --dport 22 -m conntrack --ctstate NEW -j ACCEPT
fi
before4=$(gw_save)
before6=$(gw_save6)
before=$(gw_firewall)

# --- allow
use_mode allow
delivers6 "$MX6" "allow: IPv6 mail passes"
is "$(jumps)" 0 "allow: no IPv6 jump when no zone filters"

# --- monitor: logged (NFLOG), passes
use_mode monitor
delivers6 "$MX6" "monitor: IPv6 mail passes"
n=$(counter6 "$WLAN_LOG_RULE")
case $n in '' | missing | 0) fail "monitor: the IPv6 log rule counted the connection" "counter: $n" ;;
*) ok "monitor: the IPv6 log rule counted the connection ($n)" ;; esac

# --- block: dropped both ways, relay allowed, other ports untouched
use_mode block
refused6 "$MX6" "block: IPv6 mail to a foreign server is dropped"
delivers6 "$RELAY6" "block: IPv6 mail to the relay passes"
if http_get6 "$NS_WLAN" "$MX6" "$WLAN6"; then ok "block: port 80 over IPv6 still works"; else
	fail "block: port 80 over IPv6 still works"; fi
n=$(counter6 "$WLAN_DROP_RULE")
case $n in '' | missing | 0) fail "block: the IPv6 drop rule counted the attempt" "counter: $n" ;;
*) ok "block: the IPv6 drop rule counted the attempt ($n)" ;; esac

# --- a client that falls back from IPv6 to IPv4 (as MTAs do) is stopped on both
delivered_before=$(wc -l <"$NS_DIR/delivered")
if mail6 "$WLAN6" "$MX6" || send_mail "$NS_WLAN" 203.0.113.25 -4; then
	fail "block: a client falling back from IPv6 to IPv4 is stopped on both"
else
	ok "block: a client falling back from IPv6 to IPv4 is stopped on both"
fi
is "$(wc -l <"$NS_DIR/delivered")" "$delivered_before" "block: nothing reached a foreign server by either family"

# --- log: dropped, logged with hits (NFLOG, IPv6 source)
use_mode log
sed -i "s/^log_target = log/log_target = nflog\nnflog_group = 26/" "$CONF"
if out=$(sg -c "$CONF" apply 2>&1); then ok "apply log mode with NFLOG"; else fail "apply log mode with NFLOG" "$out"; fi
(exec ip netns exec "$NS_GW" "$SMTPGUARD" -c "$CONF" hits --follow >"$NS_DIR/hits.out" 2>"$NS_DIR/hits.err") &
echo $! >"$NS_DIR/hits.pid"
n=0
until grep -q following "$NS_DIR/hits.err" 2>/dev/null || [ $n -gt 50 ]; do n=$((n + 1)); sleep 0.1; done
refused6 "$MX6" "log: IPv6 mail to a foreign server is dropped"
wait_until 5 grep -q "SRC=$WLAN6 " "$NS_DIR/hits.out"
kill "$(cat "$NS_DIR/hits.pid")" 2>/dev/null
wait "$(cat "$NS_DIR/hits.pid")" 2>/dev/null
rm -f "$NS_DIR/hits.pid"
line=$(grep -m1 "SRC=$WLAN6 " "$NS_DIR/hits.out")
case $line in
*" wlan dropped eth2>eth0 SRC=$WLAN6 DST=$MX6 TCP SPT="*" DPT=25"*) ok "log: the IPv6 hit shows zone, source and destination" ;;
*) fail "log: the IPv6 hit shows zone, source and destination" "line: $line" "$(head -5 "$NS_DIR/hits.out" "$NS_DIR/hits.err")" ;;
esac

# --- rateban: a /64 shares one ban; another /64 does not; the relay is never banned
use_mode rateban "ban_prefix6 = 64"
delivers6 "$MX6" "rateban: the first IPv6 mail of a host passes"
refused6 "$MX6" "rateban: a second one within ban_seconds is dropped"
refused6 "$MX6" "rateban: another address of the same /64 is banned too" "$WLAN6B"
delivers6 "$MX6" "rateban: a host in another /64 is not" "$WLAN6C"
delivers6 "$RELAY6" "rateban: the relay stays reachable for the banned /64"
if on_nft; then
	if gw nft list set inet smtpguard wlan_ban6 | grep -q 'elements = { 2001:db8:2:: timeout'; then
		ok "rateban: the set wlan_ban6 holds the /64 (2001:db8:2::)"
	else
		fail "rateban: the set wlan_ban6 holds the /64 (2001:db8:2::)" "$(gw nft list set inet smtpguard wlan_ban6)"
	fi
elif gw grep -q "src=2001:0db8:0002:0000:0000:0000:0000:0000 " /proc/net/xt_recent/SMTPGUARD-wlan-IPV6-64; then
	ok "rateban: the list holds the /64 (2001:db8:2::)"
else
	fail "rateban: the list holds the /64 (2001:db8:2::)" "$(gw cat /proc/net/xt_recent/SMTPGUARD-wlan-IPV6-64)"
fi

out=$(sg -c "$CONF" bans 2>&1)
case $out in *wlan*"2001:db8:2::"*) ok "bans lists the banned /64 under its zone" ;;
*) fail "bans lists the banned /64 under its zone" "$out" ;; esac
if out=$(sg -c "$CONF" unban 2001:db8:2:: 2>&1); then ok "unban of the /64"; else fail "unban of the /64" "$out"; fi
delivers6 "$MX6" "rateban: after unban the /64 may send again" "$WLAN6B"

# --- quarantine, devices and protect_gateway over IPv6
use_mode block "quarantine = $WLAN6B"
if http_get6 "$NS_WLAN" "$MX6" "$WLAN6"; then ok "quarantine: another host still reaches port 80"; else
	fail "quarantine: another host still reaches port 80"; fi
if http_get6 "$NS_WLAN" "$MX6" "$WLAN6B"; then
	fail "quarantine: the quarantined IPv6 host reaches nothing"
else
	ok "quarantine: the quarantined IPv6 host reaches nothing"
fi
use_mode allow "devices = 00:02:2d:11:22:33 $WLAN6"
if http_get6 "$NS_WLAN" "$MX6" "$WLAN6"; then ok "devices: the listed MAC+IPv6 pair forwards"; else
	fail "devices: the listed MAC+IPv6 pair forwards"; fi
if http_get6 "$NS_WLAN" "$MX6" "$WLAN6B"; then
	fail "devices: an unlisted IPv6 address of the same MAC does not"
else
	ok "devices: an unlisted IPv6 address of the same MAC does not"
fi
gw socat TCP6-LISTEN:25,bind=[2001:db8:2::1],reuseaddr,fork EXEC:"sh $(pwd)/tests/lib/smtp-sink.sh" >/dev/null 2>&1 &
echo $! >"$NS_DIR/gwsmtp.pid"
ns_wait_connect "$NS_GW" TCP6 "[2001:db8:2::1]" 25
use_mode allow "protect_gateway = yes"
if send_mail6 "$NS_WLAN" 2001:db8:2::1; then fail "protect_gateway: the gateway's own port 25 is closed over IPv6"; else
	ok "protect_gateway: the gateway's own port 25 is closed over IPv6"; fi

# --- export round-trips: --family 6 through ip6tables-legacy-restore; on nftables the one
# table of both families through nft -f
use_mode rateban "relays = 2001:db8:26::/64
protect_gateway = yes"
if on_nft; then
	# nft lists chains in the order they were made, and the export writes input before
	# forward: the same table, compared line by line in sorted order
	applied=$(gw_own | sort)
	if sg -c "$CONF" export --format nft -o "$NS_DIR/export.nft" &&
		grep -q "elements = { $RELAY6 }" "$NS_DIR/export.nft"; then
		ok "export --format nft writes the IPv6 relay"
	else
		fail "export --format nft writes the IPv6 relay" "$(head -20 "$NS_DIR/export.nft")"
	fi
	out=$(sg -c "$CONF" remove 2>&1)
	is "$(gw_firewall)" "$before" "remove: the ruleset is as before the first apply (foreign rules kept)"
	skip "remove: and so is the IPv4 table" "nftables: one table holds both families (checked above)"
	if gw nft -f "$NS_DIR/export.nft" 2>"$NS_DIR/err"; then ok "nft -f accepts the export"; else
		fail "nft -f accepts the export" "$(cat "$NS_DIR/err")"; fi
	is "$(gw_own | sort)" "$applied" "the restored table equals what apply made"
else
	applied6=$(gw_save6)
	if sg -c "$CONF" export --format restore --family 6 -o "$NS_DIR/export6.rules" &&
		grep -q "^# smtpguard ruleset for ip6tables-legacy-restore" "$NS_DIR/export6.rules"; then
		ok "export --family 6 writes ip6tables-legacy-restore input"
	else
		fail "export --family 6 writes ip6tables-legacy-restore input" "$(head -3 "$NS_DIR/export6.rules")"
	fi
	out=$(sg -c "$CONF" remove 2>&1)
	is "$(gw_save6)" "$before6" "remove: the IPv6 table is as before the first apply (foreign rules kept)"
	is "$(gw_save)" "$before4" "remove: and so is the IPv4 table"
	if gw ip6tables-legacy-restore -w --noflush <"$NS_DIR/export6.rules" 2>"$NS_DIR/err"; then
		ok "ip6tables-legacy-restore --noflush accepts the export"
	else
		fail "ip6tables-legacy-restore --noflush accepts the export" "$(cat "$NS_DIR/err")"
	fi
	is "$(gw_save6)" "$applied6" "the restored IPv6 table equals what apply made"
fi
sg -c "$CONF" remove >/dev/null 2>&1
sg -c "$CONF" apply >/dev/null 2>&1
sg -c "$CONF" apply --check >"$NS_DIR/out" 2>&1
is "$?" 0 "apply --check: 0 when both families are in step"
# Only an IPv6 rule goes: on nftables the relay6 rule of the chain zone_wlan.
if on_nft; then
	h=$(gw nft -a list chain inet smtpguard zone_wlan | sed -n 's/.*ip6 daddr @wlan_relay6 .* # handle \([0-9]*\)$/\1/p' | head -1)
	gw nft delete rule inet smtpguard zone_wlan handle "$h"
else
	gw ip6tables-legacy -w -D SMTPGUARD-wlan 1
fi
sg -c "$CONF" apply --check >"$NS_DIR/out" 2>&1
is "$?" 3 "apply --check: 3 when only an IPv6 rule drifted"
if on_nft; then
	skip "apply --check names the drifted family" "nftables: one table holds both families"
elif grep -q "^IPv6 (ip6tables):" "$NS_DIR/out"; then ok "apply --check names the drifted family"; else
	fail "apply --check names the drifted family" "$(cat "$NS_DIR/out")"; fi
sg -c "$CONF" apply >/dev/null 2>&1
sg -c "$CONF" status --json >"$NS_DIR/status.json"
if on_nft; then
	skip "status --json: the IPv6 table, its step and the nftables facts" "nftables: no IPv6 table of its own"
elif grep -q '"ipv6":{"in_step":true,"chains":\[' "$NS_DIR/status.json" &&
	grep -q '"nftables":{' "$NS_DIR/status.json"; then
	ok "status --json: the IPv6 table, its step and the nftables facts"
else
	fail "status --json: the IPv6 table, its step and the nftables facts" "$(head -c 600 "$NS_DIR/status.json")"
fi

# --- an unconfirmed change rolls back both families (the oracle: both legacy tables, or the
# table inet smtpguard), and IPv6 mail is dropped again
use_mode block
kept4=$(gw_save)
kept6=$(gw_save6)
kept=$(gw_own)
write_config "$CONF" "[zone wlan]
interface = eth2
mode = allow"
sg -c "$CONF" apply --confirm 2 </dev/null >/dev/null 2>&1
if on_nft; then
	if [ "$(gw_own)" != "$kept" ]; then ok "apply --confirm changed the IPv6 rules"; else
		fail "apply --confirm changed the IPv6 rules"; fi
	wait_until 6 sh -c '[ "$(ip netns exec "$1" nft -s list table inet smtpguard)" = "$2" ]' sh "$NS_GW" "$kept"
	is "$(gw_own)" "$kept" "not confirmed: the IPv6 rules are restored"
	skip "not confirmed: the IPv4 rules are restored" "nftables: one table holds both families (checked above)"
else
	if [ "$(gw_save6)" != "$kept6" ]; then ok "apply --confirm changed the IPv6 rules"; else
		fail "apply --confirm changed the IPv6 rules"; fi
	n=0
	while [ "$(gw_save6)" != "$kept6" ] && [ $n -lt 60 ]; do n=$((n + 1)); sleep 0.1; done
	is "$(gw_save6)" "$kept6" "not confirmed: the IPv6 rules are restored"
	is "$(gw_save)" "$kept4" "not confirmed: the IPv4 rules are restored"
fi
refused6 "$MX6" "not confirmed: IPv6 mail to a foreign server is dropped again"

# --- IPv6 commits first; when the IPv4 commit fails, IPv6 is put back
if on_nft; then
	for d in "a failing IPv4 commit: exit 1" "the error names IPv4 and says IPv6 was put back" \
		"a failing IPv4 commit leaves the IPv6 table as it was"; do
		skip "$d" "nftables: both families are one table in one atomic commit"
	done
else
	# A foreign chain jumping to the own SMTPGUARD-wlan keeps IPv4 from deleting it.
	gw iptables-legacy -w -N HOLD4
	gw iptables-legacy -w -A HOLD4 -j SMTPGUARD-wlan
	err=$(sg -c "$CONF" apply 2>&1 >/dev/null)
	is "$?" 1 "a failing IPv4 commit: exit 1"
	case $err in *"the IPv4 firewall was left unchanged; the IPv6 rules were left as they were"*) ok "the error names IPv4 and says IPv6 was put back" ;;
	*) fail "the error names IPv4 and says IPv6 was put back" "$err" ;; esac
	is "$(gw_save6)" "$kept6" "a failing IPv4 commit leaves the IPv6 table as it was"
	gw iptables-legacy -w -F HOLD4
	gw iptables-legacy -w -X HOLD4
fi
sg -c "$CONF" remove >/dev/null 2>&1
is "$(gw_firewall)" "$before" "finally removed: the foreign IPv6 rules are intact"
done_testing
