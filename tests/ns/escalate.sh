#!/bin/sh
# escalate.sh - staged enforcement on the real kernel: wlan and lan
# monitored over NFLOG with alert_threshold = 3/1min and escalate =
# quarantine-smtp 20s, `smtpguard watch` running.  The zombie goes past the
# threshold: watch escalates it into the zone's escalation list (the
# xt_recent list SMTPGUARD-wlan-ESC, dropped by an --rcheck --seconds 20
# rule; on nftables the element of set wlan_esc4 of table inet smtpguard,
# with a timeout), the hits log keeps the evidence, the alert and stderr
# say so; its next mail is refused while a LAN host and the zombie itself
# still send through the relay; the LAN host, a listed device, goes past
# the threshold too and is never escalated.  `bans` (text and --json) lists
# the escalation with the time left; after the 20 s the kernel lets the
# zombie pass again on its own.  A second offender is escalated the same
# way and `unban` deletes its entry early.
# backends: iptables nftables
. tests/lib/tap.sh
. tests/lib/netns.sh
. tests/lib/backend.sh
. tests/lib/watchcmd.sh
ns_require_root
backend_require
ns_setup || { fail "topology"; done_testing; exit 1; }
ns_start_servers || { fail "SMTP servers"; done_testing; exit 1; }
trap 'ns_cleanup' EXIT
CONF="$NS_DIR/smtpguard.conf"
LOG="$NS_DIR/log/hits.log"
ESC=20
alert_cmd_script "$NS_DIR/cmd.sh"

write_config "$CONF" "[zone lan]
interface = eth1
mode = monitor
devices = 00:06:25:aa:bb:01 192.0.2.2
alert_threshold = 3/1min
escalate = quarantine-smtp ${ESC}s

[zone wlan]
interface = eth2
mode = monitor
alert_threshold = 3/1min
escalate = quarantine-smtp ${ESC}s"
sed -i "s|^log_target = log|log_target = nflog\nlog_limit = 10000/second\nlog_burst = 10000\nhits_log = $LOG\nalert_command = $NS_DIR/cmd.sh\nalert_interval = 1s|" "$CONF"
if out=$(sg -c "$CONF" apply 2>&1); then ok "apply on $TEST_BACKEND: escalate = quarantine-smtp ${ESC}s"; else fail "apply" "$out"; fi

# The oracle: a zone's IPv4 escalation list, the xt_recent list SMTPGUARD-<zone>-ESC or the
# set <zone>_esc4 of table inet smtpguard.
esc_list() { # esc_list ZONE
	if on_nft; then gw nft list set inet smtpguard "$1_esc4" 2>&1; else
		gw cat "/proc/net/xt_recent/SMTPGUARD-$1-ESC" 2>&1; fi
}
in_esc() { # in_esc ZONE HOST: the list holds HOST (on nftables: an element with a timeout)
	if on_nft; then esc_list "$1" | grep -q "elements = {.*\\b$2 timeout"; else
		esc_list "$1" | grep -q "^src=$2 "; fi
}
esc_empty() { # esc_empty ZONE: the list exists (a set with timeouts) and holds no host
	if on_nft; then
		esc_list "$1" | grep -q "flags dynamic,timeout" && ! esc_list "$1" | grep -q elements
	else
		gw test -f "/proc/net/xt_recent/SMTPGUARD-$1-ESC" && [ -z "$(esc_list "$1")" ]
	fi
}
if on_nft; then
	if esc_empty wlan && gw nft -s list table inet smtpguard | grep -q 'iifname "eth2" tcp dport 25 ip saddr @wlan_esc4 counter drop'; then
		ok "zone_wlan drops hosts of wlan_esc4, which exists, empty, with timeouts"
	else
		fail "the escalation rule and its empty set are in the kernel" "$(gw nft list table inet smtpguard)"
	fi
elif gw_save | grep -q -- "--rcheck --seconds $ESC --name SMTPGUARD-wlan-ESC .* -j DROP" && esc_empty wlan; then
	ok "the zone chain drops hosts of SMTPGUARD-wlan-ESC, which exists, empty"
else
	fail "the escalation rule and its empty list are in the kernel" "$(gw_save)" "$(esc_list wlan)"
fi
: >"$NS_DIR/watch.err"	# there before watch_start reads it
if watch_start "$CONF" "$NS_DIR/watch.err"; then ok "watch runs"; else fail "watch runs" "$(cat "$NS_DIR/watch.err")"; fi

attempt() { # attempt NS [SOURCE]: one connection to the WAN host's closed port 25 (refused at once)
	ns_exec "$1" socat -T1 /dev/null "TCP4:198.51.100.2:25,connect-timeout=1${2:+,bind=$2}" >/dev/null 2>&1
}
escalated() { # escalated HOST [ZONE]: the hits log holds its escalation (in ZONE; any when none)
	grep -q "\"escalated\":$ESC,\"zone\":\"${2:-[a-z]*}\",\"host\":\"$1\"" "$LOG"
}
offender() { # offender HOST: watch has alerted it (alone or in a digest)
	cat "$NS_DIR"/cmd.*.json 2>/dev/null | grep -q "\"host\":\"$1\""
}

# ---- round 1: past the threshold, escalated, refused, the relay still passes
if send_mail "$NS_WLAN" 203.0.113.25; then ok "before: the zombie's mail passes (monitor)"; else fail "before: the zombie's mail passes"; fi
for _ in 1 2 3 4; do attempt "$NS_WLAN"; done
# bounded: 10 s
if wait_until 10 escalated 192.0.2.66 wlan; then
	ok "past 3/1min: watch escalated 192.0.2.66 (an escalated record in the hits log)"
else
	fail "watch escalated the zombie" "$(cat "$NS_DIR/watch.err")" "$(tail -3 "$LOG")"
fi
t0=$(date +%s)
if in_esc wlan 192.0.2.66; then ok "192.0.2.66 is in wlan's escalation list"; else fail "192.0.2.66 in wlan's escalation list" "$(esc_list wlan)"; fi
if send_mail "$NS_WLAN" 203.0.113.25; then fail "escalated: the zombie's next mail is refused"; else ok "escalated: the zombie's next mail is refused"; fi
if send_mail "$NS_LAN" 203.0.113.10; then ok "escalated: a LAN host still sends through the relay"; else fail "a LAN host sends through the relay"; fi
if send_mail "$NS_WLAN" 203.0.113.10; then ok "escalated: the zombie still reaches the relay"; else fail "the zombie reaches the relay"; fi

# ---- bans lists the escalation, text and JSON; the alert, stderr and report say so
bans=$(sg -c "$CONF" bans 2>&1)
left=$(printf '%s\n' "$bans" | sed -n 's/^wlan  *192\.0\.2\.66 .* \([0-9]*\)s of '"$ESC"'s (escalated)$/\1/p')
if [ -n "$left" ] && [ "$left" -ge 1 ] && [ "$left" -le "$ESC" ]; then
	ok "bans: 192.0.2.66 escalated, ${left}s of ${ESC}s left"
else
	fail "bans lists the escalated host with the time left" "$bans" "$(esc_list wlan)"
fi
if sg -c "$CONF" bans --json | grep -q '"host":"192.0.2.66".*"escalated":true'; then
	ok "bans --json: escalated true"
else
	fail "bans --json marks it escalated" "$(sg -c "$CONF" bans --json 2>&1)"
fi
# the alert (bounded: 10 s)
if wait_until 10 grep -qs '"host":"192.0.2.66".*"escalated_seconds":'"$ESC" "$NS_DIR/cmd.0.json" &&
	grep -qx "SMTPGUARD_ESCALATED=$ESC" "$NS_DIR/cmd.0.env"; then
	ok "the alert says it was escalated for ${ESC}s"
else
	fail "the alert says it was escalated" "$(cat "$NS_DIR"/cmd.0.* 2>&1)"
fi
if grep -q "escalate: 192.0.2.66 in zone wlan: guarded ports dropped for ${ESC}s" "$NS_DIR/watch.err"; then
	ok "watch says so on stderr"
else
	fail "watch says so on stderr" "$(cat "$NS_DIR/watch.err")"
fi
if out=$(sg -c "$CONF" report --date "$(date +%F)" "$LOG" 2>&1) && printf '%s\n' "$out" | grep -q "192.0.2.66"; then
	ok "report reads the hits log with the escalated record"
else
	fail "report reads the hits log" "$out"
fi

# ---- a listed device past the threshold: alerted, never escalated
for _ in 1 2 3 4; do attempt "$NS_LAN"; done
# bounded: 10 s (the alert, or the digest at the end of its 1 s interval)
if wait_until 10 offender 192.0.2.2; then ok "the listed device 192.0.2.2 is an offender"; else fail "192.0.2.2 is an offender" "$(cat "$NS_DIR/watch.err")"; fi
if escalated 192.0.2.2 || ! esc_empty lan; then
	fail "a listed device is never escalated" "$(esc_list lan)" "$(grep 192.0.2.2 "$LOG" | tail -2)"
else
	ok "a listed device is never escalated (lan's escalation list empty, no escalated record)"
fi
if send_mail "$NS_LAN" 203.0.113.25; then ok "the listed device's mail still passes"; else fail "the listed device's mail passes"; fi

# ---- the kernel expires it: bounded by the escalation plus 15 s (each try waits up to 3 s)
if wait_until $((ESC + 15)) send_mail "$NS_WLAN" 203.0.113.25; then
	waited=$(($(date +%s) - t0))
	if [ "$waited" -ge $((ESC - 3)) ]; then ok "after ${ESC}s the zombie's mail passes again (after ${waited}s)"; else
		fail "it passed again only after the escalation" "after ${waited}s"; fi
else
	fail "after ${ESC}s the zombie's mail passes again" "$(gw_save)" "$(esc_list wlan)"
fi
if ! on_nft; then
	skip "the expired element is gone from wlan's escalation list" \
		"xt_recent keeps an expired entry: the rule's --rcheck --seconds $ESC no longer matches it"
elif in_esc wlan 192.0.2.66; then
	fail "the expired element is gone from wlan_esc4" "$(esc_list wlan)"
else
	ok "the expired element is gone from wlan_esc4"
fi

# ---- round 2: another offender, lifted early by unban
wlan ip addr add 192.0.2.67/26 dev eth0
for _ in 1 2 3 4; do attempt "$NS_WLAN" 192.0.2.67; done
# bounded: 10 s
if wait_until 10 escalated 192.0.2.67 wlan; then ok "a second offender, 192.0.2.67, escalated"; else fail "a second offender escalated" "$(cat "$NS_DIR/watch.err")"; fi
if in_esc wlan 192.0.2.67; then ok "before unban: 192.0.2.67 in wlan's escalation list"; else fail "before unban: 192.0.2.67 in wlan's escalation list" "$(esc_list wlan)"; fi
if send_mail "$NS_WLAN" 203.0.113.25 --local-interface 192.0.2.67; then
	fail "escalated: 192.0.2.67's mail is refused"
else
	ok "escalated: 192.0.2.67's mail is refused"
fi
if out=$(sg -c "$CONF" unban 192.0.2.67 2>&1); then ok "unban 192.0.2.67: $out"; else fail "unban 192.0.2.67" "$out"; fi
if in_esc wlan 192.0.2.67; then
	fail "after unban: 192.0.2.67 gone from wlan's escalation list" "$(esc_list wlan)"
else
	ok "after unban: 192.0.2.67 gone from wlan's escalation list"
fi
if send_mail "$NS_WLAN" 203.0.113.25 --local-interface 192.0.2.67; then
	ok "after unban its next mail passes at once"
else
	fail "after unban its next mail passes" "$(sg -c "$CONF" bans 2>&1)"
fi
case $(sg -c "$CONF" bans 2>&1) in
*192.0.2.67*) fail "after unban: bans no longer lists 192.0.2.67" "$(sg -c "$CONF" bans 2>&1)" ;;
*) ok "after unban: bans no longer lists 192.0.2.67" ;;
esac

watch_stop
if grep -q "2 offenders escalated, 0 escalations failed" "$NS_DIR/watch.err"; then
	ok "watch's stop line counts 2 escalations"
else
	fail "watch's stop line counts the escalations" "$(cat "$NS_DIR/watch.err")"
fi
sg -c "$CONF" remove >/dev/null 2>&1
done_testing
