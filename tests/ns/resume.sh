#!/bin/sh
# resume.sh - `smtpguard watch` restarted (kill -9, as a crash or an OOM kill
# would) resumes from its hits log: an offender already alerted is not
# alerted again when its attempts go on after the restart, while a new
# offender still is; the start line says what was resumed.  Real kernel,
# NFLOG, alert_command.
. tests/lib/tap.sh
. tests/lib/netns.sh
. tests/lib/watchcmd.sh
ns_require_root
ns_setup || { fail "topology"; done_testing; exit 1; }
ns_start_servers || { fail "SMTP servers"; done_testing; exit 1; }
trap 'ns_cleanup' EXIT
CONF="$NS_DIR/smtpguard.conf"
LOG="$NS_DIR/log/hits.log"
alert_cmd_script "$NS_DIR/cmd.sh"
write_config "$CONF" "[zone wlan]
interface = eth2
mode = monitor
alert_threshold = 3/1min"
sed -i "s|^log_target = log|log_target = nflog\nlog_limit = 10000/second\nlog_burst = 10000\nhits_log = $LOG\nalert_command = $NS_DIR/cmd.sh\nalert_interval = 5s|" "$CONF"
if out=$(sg -c "$CONF" apply 2>&1); then ok "apply: wlan monitored over NFLOG"; else fail "apply" "$out"; fi

watch_start() { # watch_start ERRFILE: start watch, wait (bounded: 5 s) for its start line
	(exec ip netns exec "$NS_GW" "$SMTPGUARD" -c "$CONF" watch 2>"$1") &
	echo $! >"$NS_DIR/watch.pid"
	wait_until 5 grep -q "recording hits" "$1"
}
attempt() { # attempt SOURCE: one connection to the WAN host's closed port 25 (refused at once)
	wlan socat -T1 /dev/null "TCP4:198.51.100.2:25,connect-timeout=1,bind=$1" >/dev/null 2>&1
}
recorded() { # recorded SOURCE N: the hits log holds at least N hits of SOURCE (bounded: 10 s)
	wait_until 10 sh -c '[ "$(grep -c "\"src\":\"$1\"" "$3")" -ge "$2" ]' sh "$1" "$2" "$LOG"
}
wlan ip addr add 192.0.2.70/26 dev eth0

if watch_start "$NS_DIR/watch1.err"; then ok "watch runs"; else fail "watch runs" "$(cat "$NS_DIR/watch1.err")"; fi
for i in 1 2 3 4; do attempt 192.0.2.66; done
if wait_until 15 test -e "$NS_DIR/cmd.0.json" && grep -q '"host":"192.0.2.66"' "$NS_DIR/cmd.0.json"; then
	ok "192.0.2.66 past 3/1min: alerted"
else
	fail "192.0.2.66 alerted" "$(cat "$NS_DIR/watch1.err")"
fi
recorded 192.0.2.66 4
kill -9 "$(cat "$NS_DIR/watch.pid")"
wait "$(cat "$NS_DIR/watch.pid")" 2>/dev/null

if watch_start "$NS_DIR/watch2.err"; then ok "watch runs again after kill -9"; else fail "watch runs again" "$(cat "$NS_DIR/watch2.err")"; fi
line=$(grep "resumed from the hits log" "$NS_DIR/watch2.err")
case $line in
*": 4 hits of the alert window, 1 offenders already past their threshold")
	ok "the start line says what was resumed: $line" ;;
*) fail "the start line says what was resumed" "$(cat "$NS_DIR/watch2.err")" ;;
esac
# the alerted host goes on, then a new host goes past the threshold
for i in 1 2 3 4; do attempt 192.0.2.66; done
recorded 192.0.2.66 8
for i in 1 2 3 4; do attempt 192.0.2.70; done
# its alert (at once, or in the digest when the 5 s interval is still open; bounded: 20 s)
if wait_until 20 test -e "$NS_DIR/cmd.1.json" && grep -q '"host":"192.0.2.70"' "$NS_DIR/cmd.1.json"; then
	ok "a new offender after the restart is alerted"
else
	fail "a new offender after the restart is alerted" "$(cat "$NS_DIR"/cmd.*.json 2>/dev/null)" "$(cat "$NS_DIR/watch2.err")"
fi
if ! grep -q '192.0.2.66' "$NS_DIR/cmd.1.json" 2>/dev/null && [ ! -e "$NS_DIR/cmd.2.json" ]; then
	ok "the host alerted before the restart is not alerted again"
else
	fail "the host alerted before the restart is not alerted again" "$(cat "$NS_DIR"/cmd.*.json 2>/dev/null)"
fi

watch_stop
sg -c "$CONF" remove >/dev/null 2>&1
done_testing
