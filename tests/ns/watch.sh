#!/bin/sh
# watch.sh - `smtpguard watch` on the real kernel, log_target = nflog and
# no console: the zombie's hits are in the hits log and in the report of
# today; a hits log renamed in the middle of a flood loses nothing (the
# lines of both files plus the "lost" lines equal the NFLOG rule's packet
# counter); a second watch refuses; kill -9 and a restart record again.
. tests/lib/tap.sh
. tests/lib/netns.sh
. tests/lib/hitslog.sh
ns_require_root
ns_setup || { fail "topology"; done_testing; exit 1; }
ns_start_servers || { fail "SMTP servers"; done_testing; exit 1; }
trap 'ns_cleanup' EXIT
CONF="$NS_DIR/smtpguard.conf"
LOG="$NS_DIR/log/hits.log"

config() { # config WLAN_MODE
	write_config "$CONF" "[zone wlan]
interface = eth2
mode = $1"
	sed -i "s|^log_target = log|log_target = nflog\nlog_limit = 10000/second\nlog_burst = 10000\nhits_log = $LOG|" "$CONF"
}

# watch in the gateway, in the background: $! is smtpguard itself (ip netns exec execs it).
watch_start() { # watch_start NAME
	(exec ip netns exec "$NS_GW" "$SMTPGUARD" -c "$CONF" watch 2>"$NS_DIR/$1.err") &
	echo $! >"$NS_DIR/watch.pid"
	# listening once it said so (bounded: 5 s)
	wait_until 5 grep -q "recording hits" "$NS_DIR/$1.err"
}

config log
if out=$(sg -c "$CONF" apply 2>&1); then ok "apply: wlan in log mode, NFLOG"; else fail "apply" "$out"; fi
if watch_start w1; then ok "watch starts and binds the NFLOG group"; else fail "watch starts" "$(cat "$NS_DIR/w1.err")"; fi

# ---- the zombie's hits are recorded, and reported for today
send_mail "$NS_WLAN" 203.0.113.25 && fail "log mode drops the zombie's mail"
if wait_until 5 grep -q '"src":"192.0.2.66","dst":"203.0.113.25"' "$LOG"; then
	ok "the zombie's hit is in the hits log"
else
	fail "the zombie's hit is in the hits log" "$(cat "$LOG" 2>&1)"
fi
for files in "$LOG" ""; do
	out=$(sg -c "$CONF" report --date "$(date +%F)" $files 2>&1)
	what="report of today (${files:-no files named}) lists the hit"
	case $out in
	*"SRC=192.0.2.66 - DST=203.0.113.25"*) ok "$what" ;;
	*) fail "$what" "$out" ;;
	esac
done

# ---- hits --follow while watch runs reads the hits log (the group is watch's)
(exec ip netns exec "$NS_GW" "$SMTPGUARD" -c "$CONF" hits --follow >"$NS_DIR/follow.out" 2>"$NS_DIR/follow.err") &
echo $! >"$NS_DIR/follow.pid"
if wait_until 5 grep -q "following $LOG" "$NS_DIR/follow.err"; then ok "hits --follow follows the hits log while watch runs"; else
	fail "hits --follow follows the hits log while watch runs" "$(cat "$NS_DIR/follow.err")"; fi
wlan socat -T1 /dev/null "TCP4:203.0.113.25:25,connect-timeout=0.5" >/dev/null 2>&1
if wait_until 5 grep -q " wlan dropped eth2>eth0 SRC=192.0.2.66 DST=203.0.113.25 TCP" "$NS_DIR/follow.out"; then
	ok "hits --follow shows a new hit from the log"
else
	fail "hits --follow shows a new hit from the log" "$(cat "$NS_DIR/follow.out" "$NS_DIR/follow.err")"
fi
kill "$(cat "$NS_DIR/follow.pid")"
wait "$(cat "$NS_DIR/follow.pid")" 2>/dev/null
rm -f "$NS_DIR/follow.pid"

# ---- a second watch refuses: one line, exit 1
out=$(sg -c "$CONF" watch 2>&1)
rc=$?
if [ $rc = 1 ] && [ "$(printf '%s\n' "$out" | wc -l)" = 1 ] && printf '%s' "$out" | grep -q "already running (pid $(cat "$NS_DIR/watch.pid"))"; then
	ok "a second watch: exit 1, one line naming the running one"
else
	fail "a second watch: exit 1, one line naming the running one" "rc=$rc" "$out"
fi

# ---- a rename in the middle of a flood loses nothing
config monitor
sg -c "$CONF" apply >/dev/null 2>&1 || fail "apply monitor"
before_pkts=$(nflog_packets)
before_lines=$(hit_lines "$LOG")
before_lost=$(lost_sum "$LOG")
# the flood: 4000 attempts, held halfway until the rename below
hit_flood 4000 "$LOG.1"
wait_until 10 sh -c '[ "$(grep -c . "$1")" -gt 500 ]' sh "$LOG" || fail "the flood reaches the hits log"
mv "$LOG" "$LOG.1"
wait $flood
after_pkts=$(nflog_packets)
logged=$((after_pkts - before_pkts))
# every packet logged is written or counted lost (bounded: 10 s)
total() { echo $(($(hit_lines "$LOG.1" "$LOG") + $(lost_sum "$LOG.1" "$LOG") - before_lines - before_lost)); }
n=0
while [ "$(total)" -lt "$logged" ] && [ $n -lt 100 ]; do n=$((n + 1)); sleep 0.1; done
got=$(total)
if [ "$logged" -gt 1000 ] && [ "$got" = "$logged" ] && [ -s "$LOG" ]; then
	ok "rename mid-flood: $logged logged by the kernel = lines in both files + lost ($(lost_sum "$LOG.1" "$LOG"))"
else
	fail "rename mid-flood: lines + lost = the kernel's count" "kernel $logged, recorded $got" "$(cat "$NS_DIR/w1.err")"
fi

# ---- kill -9 and restart
kill -9 "$(cat "$NS_DIR/watch.pid")"
wait "$(cat "$NS_DIR/watch.pid")" 2>/dev/null
if [ -f "$SMTPGUARD_RUN_DIR/watch.pid" ] && watch_start w2; then
	ok "after kill -9 the stale pid file does not stop a restart"
else
	fail "after kill -9 watch starts again" "$(cat "$NS_DIR/w2.err")"
fi
before=$(hit_lines "$LOG")
wlan socat -T1 /dev/null "TCP4:198.51.100.2:25,connect-timeout=1" >/dev/null 2>&1
if wait_until 5 sh -c '[ "$(grep -c "\"src\":\"192.0.2.66\"" "$1")" -gt "$2" ]' sh "$LOG" "$before"; then
	ok "the restarted watch records new hits"
else
	fail "the restarted watch records new hits" "$(cat "$NS_DIR/w2.err")"
fi

# ---- SIGTERM ends it cleanly
kill "$(cat "$NS_DIR/watch.pid")"
wait "$(cat "$NS_DIR/watch.pid")"
rc=$?
if [ $rc = 0 ] && grep -q "stopped; [0-9]* hits recorded" "$NS_DIR/w2.err" && [ ! -e "$SMTPGUARD_RUN_DIR/watch.pid" ]; then
	ok "SIGTERM: exit 0, a summary line, the pid file removed"
else
	fail "SIGTERM: exit 0, a summary line, the pid file removed" "rc=$rc" "$(cat "$NS_DIR/w2.err")"
fi
rm -f "$NS_DIR/watch.pid"
sg -c "$CONF" remove >/dev/null 2>&1
done_testing
