#!/bin/sh
# escalate.sh - staged enforcement on the real kernel (iptables backend):
# wlan monitored over NFLOG with alert_threshold = 3/1min and escalate =
# quarantine-smtp 20s, `smtpguard watch` running.  The zombie goes past the
# threshold: watch escalates it (the evidence in the hits log, the alert
# says so), its next mail is refused while a LAN host and the zombie itself
# still send through the relay; `bans` lists it as escalated with the time
# left; after the 20 s the kernel lets it pass again on its own.  A second
# offender is escalated the same way and `unban` lifts it early.
. tests/lib/tap.sh
. tests/lib/netns.sh
. tests/lib/watchcmd.sh
ns_require_root
ns_setup || { fail "topology"; done_testing; exit 1; }
ns_start_servers || { fail "SMTP servers"; done_testing; exit 1; }
trap 'ns_cleanup' EXIT
CONF="$NS_DIR/smtpguard.conf"
LOG="$NS_DIR/log/hits.log"
ESC=20
alert_cmd_script "$NS_DIR/cmd.sh"

write_config "$CONF" "[zone wlan]
interface = eth2
mode = monitor
alert_threshold = 3/1min
escalate = quarantine-smtp ${ESC}s"
sed -i "s|^log_target = log|log_target = nflog\nlog_limit = 10000/second\nlog_burst = 10000\nhits_log = $LOG\nalert_command = $NS_DIR/cmd.sh\nalert_interval = 1s|" "$CONF"
if out=$(sg -c "$CONF" apply 2>&1); then ok "apply: wlan monitored, escalate = quarantine-smtp ${ESC}s"; else fail "apply" "$out"; fi
if gw_save | grep -q -- "--rcheck --seconds $ESC --name SMTPGUARD-wlan-ESC .* -j DROP"; then
	ok "the zone chain drops hosts of SMTPGUARD-wlan-ESC"
else
	fail "the escalation rule is in the kernel" "$(gw_save)"
fi
(exec ip netns exec "$NS_GW" "$SMTPGUARD" -c "$CONF" watch 2>"$NS_DIR/watch.err") &
echo $! >"$NS_DIR/watch.pid"
# bounded: 5 s
if wait_until 5 grep -q "recording hits" "$NS_DIR/watch.err"; then ok "watch runs"; else fail "watch runs" "$(cat "$NS_DIR/watch.err")"; fi

attempt() { # attempt [SOURCE]: one connection to the WAN host's closed port 25 (refused at once)
	wlan socat -T1 /dev/null "TCP4:198.51.100.2:25,connect-timeout=1${1:+,bind=$1}" >/dev/null 2>&1
}
escalated() { # escalated HOST: the hits log holds its escalation
	grep -q "\"escalated\":$ESC,\"zone\":\"wlan\",\"host\":\"$1\"" "$LOG"
}

# ---- round 1: past the threshold, escalated, refused, expires on its own
if send_mail "$NS_WLAN" 203.0.113.25; then ok "before: the zombie's mail passes (monitor)"; else fail "before: the zombie's mail passes"; fi
for i in 1 2 3 4; do attempt; done
# bounded: 10 s
if wait_until 10 escalated 192.0.2.66; then
	ok "past 3/1min: watch escalated 192.0.2.66 (an escalated record in the hits log)"
else
	fail "watch escalated the zombie" "$(cat "$NS_DIR/watch.err")" "$(tail -3 "$LOG")"
fi
t0=$(date +%s)
if send_mail "$NS_WLAN" 203.0.113.25; then fail "escalated: the zombie's next mail is refused"; else ok "escalated: the zombie's next mail is refused"; fi
if send_mail "$NS_LAN" 203.0.113.10; then ok "escalated: a LAN host still sends through the relay"; else fail "a LAN host sends through the relay"; fi
if send_mail "$NS_WLAN" 203.0.113.10; then ok "escalated: the zombie still reaches the relay"; else fail "the zombie reaches the relay"; fi
bans=$(sg -c "$CONF" bans 2>&1)
left=$(printf '%s\n' "$bans" | sed -n 's/^wlan  *192\.0\.2\.66 .* \([0-9]*\)s of '"$ESC"'s (escalated)$/\1/p')
if [ -n "$left" ] && [ "$left" -ge 1 ] && [ "$left" -le "$ESC" ]; then
	ok "bans: 192.0.2.66 escalated, ${left}s of ${ESC}s left"
else
	fail "bans lists the escalated host with the time left" "$bans"
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
# the kernel expires it: bounded by the escalation plus 15 s (each try waits up to 3 s)
if wait_until $((ESC + 15)) send_mail "$NS_WLAN" 203.0.113.25; then
	waited=$(($(date +%s) - t0))
	if [ "$waited" -ge $((ESC - 3)) ]; then ok "after ${ESC}s the zombie's mail passes again (after ${waited}s)"; else
		fail "it passed again only after the escalation" "after ${waited}s"; fi
else
	fail "after ${ESC}s the zombie's mail passes again" "$(gw_save)"
fi

# ---- round 2: another offender, lifted early by unban
wlan ip addr add 192.0.2.67/26 dev eth0
for i in 1 2 3 4; do attempt 192.0.2.67; done
# bounded: 10 s
if wait_until 10 escalated 192.0.2.67; then ok "a second offender, 192.0.2.67, escalated"; else fail "a second offender escalated" "$(cat "$NS_DIR/watch.err")"; fi
if send_mail "$NS_WLAN" 203.0.113.25 --local-interface 192.0.2.67; then
	fail "escalated: 192.0.2.67's mail is refused"
else
	ok "escalated: 192.0.2.67's mail is refused"
fi
if out=$(sg -c "$CONF" unban 192.0.2.67 2>&1); then ok "unban 192.0.2.67: $out"; else fail "unban 192.0.2.67" "$out"; fi
if send_mail "$NS_WLAN" 203.0.113.25 --local-interface 192.0.2.67; then
	ok "after unban its next mail passes at once"
else
	fail "after unban its next mail passes" "$(sg -c "$CONF" bans 2>&1)"
fi

watch_stop
if grep -q "2 offenders escalated, 0 escalations failed" "$NS_DIR/watch.err"; then
	ok "watch's stop line counts 2 escalations"
else
	fail "watch's stop line counts the escalations" "$(cat "$NS_DIR/watch.err")"
fi
sg -c "$CONF" remove >/dev/null 2>&1
done_testing
