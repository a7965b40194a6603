#!/bin/sh
# hits.sh - port-25 hits and bans on the real kernel: SMTP attempts from
# the WLAN through a `log`-mode zone are seen by `hits --follow` through
# NFLOG and through /dev/kmsg (LOG target; net.netfilter.nf_log_all_netns
# is switched on for this test and restored on every exit), with the
# right source, within a second; a rate-banned host is listed by `bans`
# and `unban` lets its next connection through.
. tests/lib/tap.sh
. tests/lib/netns.sh
ns_require_root
ns_setup || { fail "topology"; done_testing; exit 1; }
ns_start_servers || { fail "SMTP servers"; done_testing; exit 1; }
CONF="$NS_DIR/smtpguard.conf"
# A prefix of our own: /dev/kmsg is shared with every other namespace test.
PREFIX="SGT$$ port 25 >"

SYSCTL=/proc/sys/net/netfilter/nf_log_all_netns
old_all_netns=
restore_all_netns() {
	[ -n "$old_all_netns" ] && echo "$old_all_netns" >"$SYSCTL"
}
trap 'restore_all_netns; ns_cleanup' EXIT

# One SYN from the WLAN to the foreign mail server (dropped in log mode).
attempt() {
	ns_exec "$NS_WLAN" socat -T1 /dev/null "TCP4:203.0.113.25:25,connect-timeout=0.5" >/dev/null 2>&1
}

# `hits --follow` in the gateway, in the background: $! is smtpguard itself
# (ip netns exec execs it), so a kill reaches it and it unbinds on the way out.
follow_bg() { # follow_bg NAME [args]
	name=$1
	shift
	ns_exec "$NS_GW" true || return 1
	(exec ip netns exec "$NS_GW" "$SMTPGUARD" -c "$CONF" hits --follow "$@" \
		>"$NS_DIR/$name.out" 2>"$NS_DIR/$name.err") &
	echo $! >"$NS_DIR/$name.pid"
}

# Start `hits --follow` in the gateway; wait until it listens.
follow_start() { # follow_start NAME [args]
	follow_bg "$@" || return 1
	name=$1
	n=0
	until grep -q following "$NS_DIR/$name.err" 2>/dev/null; do
		n=$((n + 1))
		if [ $n -gt 50 ] || ! kill -0 "$(cat "$NS_DIR/$name.pid")" 2>/dev/null; then
			return 1
		fi
		sleep 0.1
	done
}
follow_stop() {
	kill "$(cat "$NS_DIR/$1.pid")" 2>/dev/null
	wait "$(cat "$NS_DIR/$1.pid")" 2>/dev/null
	rm -f "$NS_DIR/$1.pid"
}

# Milliseconds from a SYN until a hit line from 192.0.2.66 shows in FILE, or "timeout".
latency() { # latency FILE PATTERN
	before=$(grep -c "$2" "$1")
	t0=$(date +%s%3N)
	attempt &
	n=0
	while [ "$(grep -c "$2" "$1")" = "$before" ]; do
		n=$((n + 1))
		[ $n -gt 60 ] && { wait; echo timeout; return; }
		sleep 0.05
	done
	t1=$(date +%s%3N)
	wait
	echo $((t1 - t0))
}

within_second() { # within_second MS "description"
	if [ "$1" != timeout ] && [ "$1" -lt 1000 ]; then ok "$2 (${1} ms)"; else fail "$2" "latency: $1 ms"; fi
}

# ---- NFLOG
write_config "$CONF" "[zone wlan]
interface = eth2
mode = log"
sed -i "s/^log_target = log/log_target = nflog\nnflog_group = 25/; s/^log_prefix = .*/log_prefix = $PREFIX/" "$CONF"
if out=$(sg -c "$CONF" apply 2>&1); then ok "apply: wlan in log mode, NFLOG group 25"; else fail "apply (nflog)" "$out"; fi
if gw iptables-legacy -S | grep -q -- "--nflog-group 25"; then ok "the log rule is NFLOG group 25"; else
	fail "the log rule is NFLOG group 25" "$(gw iptables-legacy -S)"; fi

if follow_start nflog; then ok "hits --follow listens on NFLOG group 25"; else
	fail "hits --follow listens on NFLOG group 25" "$(cat "$NS_DIR/nflog.err")"; fi
ms=$(latency "$NS_DIR/nflog.out" "SRC=192.0.2.66 ")
within_second "$ms" "NFLOG: a hit appears within a second of the SYN"
line=$(grep -m1 "SRC=192.0.2.66 " "$NS_DIR/nflog.out")
case $line in
*" wlan dropped eth2>eth0 SRC=192.0.2.66 DST=203.0.113.25 TCP SPT="*" DPT=25 MAC=00:02:2d:11:22:33") ok "NFLOG hit: zone, action, interfaces, source, destination, port, MAC" ;;
*) fail "NFLOG hit: zone, action, interfaces, source, destination, port, MAC" "$line" ;;
esac
if send_mail "$NS_WLAN" 203.0.113.25; then fail "log mode drops the mail"; else ok "log mode drops the mail"; fi

# a second listener on the same group is told who holds it
follow_bg busy
busy=$(cat "$NS_DIR/busy.pid")
wait_until 5 sh -c '! kill -0 "$1" 2>/dev/null' sh "$busy"
if kill -0 "$busy" 2>/dev/null; then
	follow_stop busy
	fail "a second listener on a held group exits"
else
	wait "$busy"
	rc=$?
	if [ $rc = 1 ] && grep -q "held by another process" "$NS_DIR/busy.err"; then ok "a held group: exit 1, says so"; else
		fail "a held group: exit 1, says so" "rc=$rc" "$(cat "$NS_DIR/busy.err")"; fi
fi
follow_stop nflog
# the group is bound only while listening: a new listener gets it at once
if follow_start nflog2; then ok "after the listener quit the group is free again"; else
	fail "after the listener quit the group is free again" "$(cat "$NS_DIR/nflog2.err")"; fi
follow_stop nflog2
# root without CAP_NET_ADMIN (a container, a unit that drops it) is told so, not that the group is held
out=$(gw setpriv --bounding-set=-net_admin --inh-caps=-net_admin -- "$SMTPGUARD" -c "$CONF" hits --follow 2>&1 </dev/null)
rc=$?
case $rc:$out in
"1:smtpguard: hits: cannot bind NFLOG group 25: this process lacks CAP_NET_ADMIN;"*) ok "root without CAP_NET_ADMIN: exit 1, says the capability is missing" ;;
*) fail "root without CAP_NET_ADMIN: exit 1, says the capability is missing" "rc=$rc" "$out" ;;
esac

follow_start json --json || fail "hits --follow --json starts" "$(cat "$NS_DIR/json.err")"
attempt
wait_until 5 grep -q '"src":"192.0.2.66"' "$NS_DIR/json.out"
follow_stop json
if grep -q '"zone":"wlan","action":"dropped","source":"nflog","in":"eth2","out":"eth0","mac":"00:02:2d:11:22:33","src":"192.0.2.66","dst":"203.0.113.25","proto":"TCP"' "$NS_DIR/json.out"; then
	ok "--json: one object per hit"; else fail "--json: one object per hit" "$(head -3 "$NS_DIR/json.out")"; fi

# ---- LOG target through /dev/kmsg
old_all_netns=$(cat "$SYSCTL" 2>/dev/null)
if [ -z "$old_all_netns" ]; then
	fail "net.netfilter.nf_log_all_netns exists (LOG in a namespace needs it)"
else
	echo 1 >"$SYSCTL"
	write_config "$CONF" "[zone wlan]
interface = eth2
mode = log"
	sed -i "s/^log_prefix = .*/log_prefix = $PREFIX/" "$CONF"
	if out=$(sg -c "$CONF" apply 2>&1); then ok "apply: log mode with the LOG target"; else fail "apply (log)" "$out"; fi
	if follow_start kmsg; then ok "hits --follow reads /dev/kmsg"; else
		fail "hits --follow reads /dev/kmsg" "$(cat "$NS_DIR/kmsg.err")"; fi
	grep -q "following /dev/kmsg" "$NS_DIR/kmsg.err" && ok "the live source is /dev/kmsg" ||
		fail "the live source is /dev/kmsg" "$(cat "$NS_DIR/kmsg.err")"
	ms=$(latency "$NS_DIR/kmsg.out" "SRC=192.0.2.66 ")
	within_second "$ms" "/dev/kmsg: a hit appears within a second of the SYN"
	line=$(grep -m1 "SRC=192.0.2.66 " "$NS_DIR/kmsg.out")
	case $line in
	*" wlan dropped eth2>eth0 SRC=192.0.2.66 DST=203.0.113.25 TCP SPT="*" DPT=25 MAC=00:02:2d:11:22:33") ok "kmsg hit: zone, source, destination, MAC" ;;
	*) fail "kmsg hit: zone, source, destination, MAC" "$line" ;;
	esac
	# user space can write to /dev/kmsg, but never as the kernel
	printf '<4>%s IN=eth2 OUT=eth0 SRC=192.0.2.99 DST=203.0.113.25 PROTO=TCP SPT=1 DPT=25\n' "$PREFIX" >/dev/kmsg
	# A real hit after it: once that is shown, the forged line (earlier in /dev/kmsg) was read.
	ms=$(latency "$NS_DIR/kmsg.out" "SRC=192.0.2.66 ")
	if [ "$ms" != timeout ]; then ok "a real hit after the forged line is shown"; else
		fail "a real hit after the forged line is shown" "none within 3 s"; fi
	follow_stop kmsg
	if grep -q "SRC=192.0.2.99" "$NS_DIR/kmsg.out"; then fail "a line forged into /dev/kmsg is not a hit"; else
		ok "a line forged into /dev/kmsg is not a hit"; fi
	if grep -q "1 untrusted lines ignored" "$NS_DIR/kmsg.err"; then ok "and it is counted as untrusted"; else
		fail "and it is counted as untrusted" "$(cat "$NS_DIR/kmsg.err")"; fi
	restore_all_netns
	is "$(cat "$SYSCTL")" "$old_all_netns" "nf_log_all_netns restored"
	old_all_netns=
fi

# ---- rateban: bans and unban
write_config "$CONF" "[zone wlan]
interface = eth2
mode = rateban
ban_seconds = 60"
if out=$(sg -c "$CONF" apply 2>&1); then ok "apply: wlan in rateban mode"; else fail "apply (rateban)" "$out"; fi
is "$(sg -c "$CONF" bans)" "No hosts in the rate-ban lists." "bans: empty at first"
if send_mail "$NS_WLAN" 203.0.113.25; then ok "rateban: the first mail passes"; else fail "rateban: the first mail passes"; fi
if attempt; then fail "rateban: a repeat within the window is dropped"; else ok "rateban: a repeat within the window is dropped"; fi
out=$(sg -c "$CONF" bans)
row=$(printf '%s\n' "$out" | grep '^wlan  *192\.0\.2\.66 ')
if [ -n "$row" ]; then ok "bans lists 192.0.2.66 in zone wlan"; else fail "bans lists 192.0.2.66 in zone wlan" "$out"; fi
left=$(printf '%s\n' "$row" | sed -n 's/.*  \([0-9]*\)s of 60s$/\1/p')
if [ -n "$left" ] && [ "$left" -gt 50 ] && [ "$left" -le 60 ]; then ok "ban left is under 60 s and recent ($left s)"; else
	fail "ban left is under 60 s and recent" "$row"; fi
seen=$(printf '%s\n' "$row" | awk '{print $3" "$4}')
now=$(date '+%Y-%m-%d %H:%M')
case $seen in "$now"*) ok "last seen is now ($seen)" ;; *) fail "last seen is now" "$row" "now: $now" ;; esac
if sg -c "$CONF" bans --json | grep -q '"zone":"wlan","host":"192.0.2.66",'; then ok "bans --json"; else
	fail "bans --json" "$(sg -c "$CONF" bans --json)"; fi

sg -c "$CONF" unban 192.0.2.99 >/dev/null 2>"$NS_DIR/unban.err"
rc=$?
if [ $rc = 1 ] && grep -q "not in any rate-ban list" "$NS_DIR/unban.err"; then ok "unban of a host not listed: exit 1, says so"; else
	fail "unban of a host not listed: exit 1, says so" "rc=$rc" "$(cat "$NS_DIR/unban.err")"; fi
for bad in 192.0.2.300 192.0.2.0/24 nonsense; do
	sg -c "$CONF" unban "$bad" >/dev/null 2>&1
	is "$?" 2 "unban $bad: usage error"
done
if out=$(sg -c "$CONF" unban 192.0.2.66 2>&1); then ok "unban 192.0.2.66"; else fail "unban 192.0.2.66" "$out"; fi
if sg -c "$CONF" bans | grep -q '192\.0\.2\.66'; then fail "192.0.2.66 left the list"; else ok "192.0.2.66 left the list"; fi
if send_mail "$NS_WLAN" 203.0.113.25; then ok "after unban the next connection passes"; else
	fail "after unban the next connection passes"; fi

sg -c "$CONF" remove >/dev/null 2>&1
done_testing
