#!/bin/sh
# nft_escalate.sh - staged enforcement on the nftables backend, as
# escalate.sh on iptables: wlan and lan monitored over NFLOG with
# alert_threshold = 3/1min and escalate = quarantine-smtp 20s, `smtpguard
# watch` running.  The zombie goes past the threshold: watch puts it in
# wlan_esc4 of table inet smtpguard with a timeout (nft list set is the
# oracle), the hits log keeps the evidence, its next mail is refused while
# it still reaches the relay; the LAN host, a listed device, goes past the
# threshold too and is never escalated.  `bans` (text and --json) lists the
# escalation with the time left, `unban` deletes the element; after the
# 20 s the kernel lets the zombie pass again on its own.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/tap.sh
. tests/lib/netns.sh
. tests/lib/nft.sh
. tests/lib/watchcmd.sh
nft_ns_setup
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
sed -i "s|^log_target = log|log_target = nflog\nlog_limit = 10000/second\nlog_burst = 10000\nhits_log = $LOG\nalert_command = $NS_DIR/cmd.sh\nalert_interval = 1s|; /^confirm = /a backend = nftables" "$CONF"
if out=$(sg -c "$CONF" apply 2>&1); then ok "apply: escalate = quarantine-smtp ${ESC}s on nftables"; else fail "apply" "$out"; fi
esc_set() { gw nft list set inet smtpguard "$1" 2>&1; }
in_set() { # in_set SET HOST: the set holds an element HOST with a timeout
	esc_set "$1" | grep -q "elements = {.*\\b$2 timeout"
}
if esc_set wlan_esc4 | grep -q "flags dynamic,timeout" && ! esc_set wlan_esc4 | grep -q elements; then
	ok "wlan_esc4 exists, empty, with timeouts"
else
	fail "wlan_esc4 exists, empty" "$(esc_set wlan_esc4)"
fi
if watch_start "$CONF" "$NS_DIR/watch.err"; then ok "watch runs"; else fail "watch runs" "$(cat "$NS_DIR/watch.err")"; fi

attempt() { # attempt NS [SOURCE]: one connection to the WAN host's closed port 25 (refused at once)
	ns_exec "$1" socat -T1 /dev/null "TCP4:198.51.100.2:25,connect-timeout=1${2:+,bind=$2}" >/dev/null 2>&1
}
escalated() { # escalated HOST: the hits log holds its escalation
	grep -q "\"escalated\":$ESC,\"zone\":\"[a-z]*\",\"host\":\"$1\"" "$LOG"
}
offender() { # offender HOST: watch has alerted it (alone or in a digest)
	cat "$NS_DIR"/cmd.*.json 2>/dev/null | grep -q "\"host\":\"$1\""
}

# ---- past the threshold: escalated in wlan_esc4, refused, the relay still passes
if send_mail "$NS_WLAN" 203.0.113.25; then ok "before: the zombie's mail passes (monitor)"; else fail "before: the zombie's mail passes"; fi
for i in 1 2 3 4; do attempt "$NS_WLAN"; done
# bounded: 10 s
if wait_until 10 escalated 192.0.2.66; then
	ok "past 3/1min: watch escalated 192.0.2.66 (an escalated record in the hits log)"
else
	fail "watch escalated the zombie" "$(cat "$NS_DIR/watch.err")" "$(tail -3 "$LOG")"
fi
t0=$(date +%s)
if in_set wlan_esc4 192.0.2.66; then ok "192.0.2.66 is an element of wlan_esc4 with a timeout"; else fail "192.0.2.66 in wlan_esc4" "$(esc_set wlan_esc4)"; fi
if send_mail "$NS_WLAN" 203.0.113.25; then fail "escalated: the zombie's next mail is refused"; else ok "escalated: the zombie's next mail is refused"; fi
if send_mail "$NS_WLAN" 203.0.113.10; then ok "escalated: the zombie still reaches the relay"; else fail "the zombie reaches the relay"; fi

# ---- a listed device past the threshold: alerted, never escalated
for i in 1 2 3 4; do attempt "$NS_LAN"; done
# bounded: 10 s (the alert, or the digest at the end of its 1 s interval)
if wait_until 10 offender 192.0.2.2; then ok "the listed device 192.0.2.2 is an offender"; else fail "192.0.2.2 is an offender" "$(cat "$NS_DIR/watch.err")"; fi
if escalated 192.0.2.2 || esc_set lan_esc4 | grep -q elements; then
	fail "a listed device is never escalated" "$(esc_set lan_esc4)" "$(grep 192.0.2.2 "$LOG" | tail -2)"
else
	ok "a listed device is never escalated (lan_esc4 empty, no escalated record)"
fi
if send_mail "$NS_LAN" 203.0.113.25; then ok "the listed device's mail still passes"; else fail "the listed device's mail passes"; fi

# ---- bans lists the escalation, text and JSON
bans=$(sg -c "$CONF" bans 2>&1)
left=$(printf '%s\n' "$bans" | sed -n 's/^wlan  *192\.0\.2\.66 .* \([0-9]*\)s of '"$ESC"'s (escalated)$/\1/p')
if [ -n "$left" ] && [ "$left" -ge 1 ] && [ "$left" -le "$ESC" ]; then
	ok "bans: 192.0.2.66 escalated, ${left}s of ${ESC}s left"
else
	fail "bans lists the escalated host with the time left" "$bans" "$(esc_set wlan_esc4)"
fi
if sg -c "$CONF" bans --json | grep -q '"host":"192.0.2.66".*"escalated":true'; then
	ok "bans --json: escalated true"
else
	fail "bans --json marks it escalated" "$(sg -c "$CONF" bans --json 2>&1)"
fi

# ---- the kernel expires it: bounded by the escalation plus 15 s (each try waits up to 3 s)
if wait_until $((ESC + 15)) send_mail "$NS_WLAN" 203.0.113.25; then
	waited=$(($(date +%s) - t0))
	if [ "$waited" -ge $((ESC - 3)) ]; then ok "after ${ESC}s the zombie's mail passes again (after ${waited}s)"; else
		fail "it passed again only after the escalation" "after ${waited}s"; fi
else
	fail "after ${ESC}s the zombie's mail passes again" "$(esc_set wlan_esc4)"
fi
if in_set wlan_esc4 192.0.2.66; then fail "the expired element is gone" "$(esc_set wlan_esc4)"; else ok "the expired element is gone from wlan_esc4"; fi

# ---- another offender, lifted early by unban
wlan ip addr add 192.0.2.67/26 dev eth0
for i in 1 2 3 4; do attempt "$NS_WLAN" 192.0.2.67; done
# bounded: 10 s
if wait_until 10 escalated 192.0.2.67; then ok "a second offender, 192.0.2.67, escalated"; else fail "a second offender escalated" "$(cat "$NS_DIR/watch.err")"; fi
if in_set wlan_esc4 192.0.2.67; then ok "before unban: 192.0.2.67 in wlan_esc4"; else fail "before unban: 192.0.2.67 in wlan_esc4" "$(esc_set wlan_esc4)"; fi
if send_mail "$NS_WLAN" 203.0.113.25 --local-interface 192.0.2.67; then
	fail "escalated: 192.0.2.67's mail is refused"
else
	ok "escalated: 192.0.2.67's mail is refused"
fi
if out=$(sg -c "$CONF" unban 192.0.2.67 2>&1); then ok "unban 192.0.2.67: $out"; else fail "unban 192.0.2.67" "$out"; fi
if in_set wlan_esc4 192.0.2.67; then fail "after unban: 192.0.2.67 gone from wlan_esc4" "$(esc_set wlan_esc4)"; else ok "after unban: 192.0.2.67 gone from wlan_esc4"; fi
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
