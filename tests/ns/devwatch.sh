#!/bin/sh
# devwatch.sh - device watch on the real kernel: zone wlan lists the WLAN
# host's pair (00:02:2d:11:22:33 192.0.2.66, and 2001:db8:2::66), watch
# runs with an alert_command; the listed pair in the gateway's neighbour
# table (at start and as an event) raises nothing; the WLAN host taking
# another MAC raises exactly one alert naming 192.0.2.66, the listed and
# the seen MAC; the same pair again raises no second alert within
# alert_interval; IPv6 ND and a listed MAC with another IP are found too
# (collected for the digest, as the interval is open).
. tests/lib/tap.sh
. tests/lib/netns.sh
. tests/lib/watchcmd.sh
ns_require_root
ns_setup || { fail "topology"; done_testing; exit 1; }
trap 'ns_cleanup' EXIT
CONF="$NS_DIR/smtpguard.conf"
LOG="$NS_DIR/log/hits.log"
ERR="$NS_DIR/watch.err"
LISTED=00:02:2d:11:22:33
OTHER=00:02:2d:99:99:99

# the alert command: stdin and the SMTPGUARD_* variables into numbered files
alert_cmd_script "$NS_DIR/cmd.sh"
write_config "$CONF" "[zone wlan]
interface = eth2
mode = monitor
devices = $LISTED 192.0.2.66, $LISTED 2001:db8:2::66"
sed -i "s|^log_target = log|log_target = nflog\nhits_log = $LOG\nalert_command = $NS_DIR/cmd.sh\nalert_interval = 1h|" "$CONF"

gw_neigh() { gw ip neigh show "$1" dev eth2; }
alerts() { ls "$NS_DIR"/cmd.*.json 2>/dev/null | wc -l; }
lines() { grep -c "$1" "$ERR"; }

# the gateway learns the listed pair, both families (a refused connection needs the neighbour)
wlan socat -T1 /dev/null TCP4:192.0.2.65:25,connect-timeout=1 2>/dev/null
wlan socat -T1 /dev/null "TCP6:[2001:db8:2::1]:25,connect-timeout=1" 2>/dev/null
# bounded: 5 s
if wait_until 5 sh -c 'ip netns exec "$1" ip neigh show 192.0.2.66 dev eth2 | grep -q "$2" &&
	ip netns exec "$1" ip neigh show 2001:db8:2::66 dev eth2 | grep -q "$2"' sh "$NS_GW" "$LISTED"; then
	ok "the gateway's neighbour table holds the listed pair (ARP and ND)"
else
	fail "the gateway learns the listed pair" "$(gw ip neigh show dev eth2)"
fi

(exec ip netns exec "$NS_GW" "$SMTPGUARD" -c "$CONF" watch 2>"$ERR") &
echo $! >"$NS_DIR/watch.pid"
# bounded: 5 s
if wait_until 5 grep -q "recording hits" "$ERR" && grep -q "checking the kernel's neighbour table" "$ERR"; then
	ok "watch runs and checks the neighbour table"
else
	fail "watch runs with device watch" "$(cat "$ERR")"
fi

# ---- the listed pair as an event (a state change), then the WLAN host takes another MAC
gw ip neigh replace 192.0.2.66 lladdr "$LISTED" dev eth2 nud stale
wlan ip link set eth0 address "$OTHER"
# its ARP request for the gateway carries the new MAC: the gateway's entry follows
wlan ip neigh flush dev eth0
wlan socat -T1 /dev/null TCP4:192.0.2.65:25,connect-timeout=1 2>/dev/null
# the alert (bounded: 10 s); the events come in order, so the listed pair's event was checked before
if wait_until 10 test -e "$NS_DIR/cmd.0.json"; then
	ok "192.0.2.66 with another MAC: alert_command ran"
else
	fail "192.0.2.66 with another MAC: an alert" "$(cat "$ERR")" "$(gw_neigh 192.0.2.66)"
fi
if grep -q "\"kind\":\"device\".*\"change\":\"ip-moved\",\"zone\":\"wlan\",\"interface\":\"eth2\",\"listed_mac\":\"$LISTED\",\"listed_ip\":\"192.0.2.66\",\"seen_mac\":\"$OTHER\",\"seen_ip\":\"192.0.2.66\"" "$NS_DIR/cmd.0.json" &&
	grep -qx SMTPGUARD_KIND=device "$NS_DIR/cmd.0.env" && grep -qx "SMTPGUARD_SEEN_MAC=$OTHER" "$NS_DIR/cmd.0.env" &&
	grep -qx "SMTPGUARD_LISTED_MAC=$LISTED" "$NS_DIR/cmd.0.env" && grep -qx SMTPGUARD_SEEN_IP=192.0.2.66 "$NS_DIR/cmd.0.env" &&
	grep -qx SMTPGUARD_INTERFACE=eth2 "$NS_DIR/cmd.0.env" && grep -qx SMTPGUARD_ZONE=wlan "$NS_DIR/cmd.0.env"; then
	ok "the alert names 192.0.2.66, the listed MAC, the seen MAC, zone and interface (JSON and environment)"
else
	fail "the alert's facts" "$(cat "$NS_DIR"/cmd.0.*)"
fi
if [ "$(lines ": alerting")" = 1 ] && [ "$(alerts)" = 1 ] &&
	grep -q "device: 192.0.2.66 in zone wlan seen with MAC $OTHER on eth2, listed with $LISTED: alerting" "$ERR"; then
	ok "exactly one alert, and none for the listed pair (at start and as an event)"
else
	fail "exactly one alert" "$(cat "$ERR")"
fi

# ---- the same pair again: a state change of the entry, seen (bounded: 5 s) but not alerted again
gw ip neigh replace 192.0.2.66 lladdr "$OTHER" dev eth2 nud permanent
if wait_until 5 grep -q "device: 192.0.2.66 in zone wlan seen with MAC $OTHER on eth2, listed with $LISTED: reported within alert_interval already" "$ERR" &&
	[ "$(lines ": alerting")" = 1 ] && [ "$(alerts)" = 1 ]; then
	ok "the same (zone, IP, MAC) again within alert_interval: no second alert"
else
	fail "the same pair again: no second alert" "$(cat "$ERR")"
fi

# ---- IPv6 ND and a listed MAC with another IP: found, for the digest of the open interval (bounded: 5 s)
gw ip -6 neigh replace 2001:db8:2::66 lladdr "$OTHER" dev eth2 nud reachable
gw ip neigh replace 192.0.2.70 lladdr "$LISTED" dev eth2 nud reachable
if wait_until 5 grep -q "device: 2001:db8:2::66 in zone wlan seen with MAC $OTHER on eth2, listed with $LISTED: for the digest" "$ERR"; then
	ok "IPv6: 2001:db8:2::66 with another MAC found (for the digest)"
else
	fail "IPv6: 2001:db8:2::66 with another MAC" "$(cat "$ERR")"
fi
if wait_until 5 grep -q "device: $LISTED in zone wlan seen with IP 192.0.2.70 on eth2, listed with 192.0.2.66: for the digest" "$ERR"; then
	ok "the listed MAC with another IP found (for the digest)"
else
	fail "the listed MAC with another IP" "$(cat "$ERR")"
fi

watch_stop
entries=$(sed -n 's/.*watch: \([0-9]*\) neighbour entries checked.*/\1/p' "$ERR")
findings=$(sed -n 's/.*neighbour entries checked, \([0-9]*\) device findings.*/\1/p' "$ERR")
if [ "${entries:-0}" -ge 5 ] && [ "${findings:-0}" -ge 4 ] && [ "$(alerts)" = 1 ]; then
	ok "watch stopped: $entries neighbour entries checked, $findings findings, still one alert"
else
	fail "watch's counts at the end" "$(cat "$ERR")"
fi
done_testing
