#!/bin/sh
# flood.sh - a flood of logged port-25 connections from the WLAN: the
# console keeps counting the hits and still answers a key at once.
# backends: iptables nftables
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/tap.sh
. tests/lib/netns.sh
. tests/lib/backend.sh
. tests/lib/tmux.sh
backend_require
console_sandbox
write_config "$CONF" "[zone wlan]
interface = eth2
mode = monitor"
sed -i 's/^log_target = log/log_target = nflog\nlog_limit = 10000\/second\nlog_burst = 10000/' "$CONF"
check "config applies" sg -c "$CONF" apply

tmux_start 100 30 "ip netns exec $NS_GW $SMTPGUARD -c $CONF" || fail "tmux starts"
if tmux_wait 'zone wlan' 10 start; then ok "console starts"; else fail "console starts"; fi

# bash connects without forking; the WAN host refuses at once: thousands of NEW
# connections to port 25 a second, each logged.
wlan bash -c 'end=$((SECONDS + 8)); while [ $SECONDS -lt $end ]; do
	: 3<>/dev/tcp/198.51.100.2/25; done' 2>/dev/null &
echo $! >"$NS_DIR/flood.pid"
# The flood is under way once the console has counted a hundred hits (bounded: 10 s).
tmux_wait '[0-9]{3,} from NFLOG group 25' 10 flooding >/dev/null

start=$(date +%s%N)
tmux_keys '?'
if tmux_wait 'console keys' 3 help; then
	ms=$((($(date +%s%N) - start) / 1000000))
	if [ "$ms" -lt 1500 ]; then ok "a key is answered within ${ms} ms during the flood"; else fail "a key is answered within 1.5 s during the flood" "took ${ms} ms"; fi
else
	fail "a key is answered during the flood"
fi
tmux_keys Escape
wait "$(cat "$NS_DIR/flood.pid")" 2>/dev/null
# The last hits are drawn within the console's refresh (bounded: 10 s).
tmux_wait '[0-9]{4,} from NFLOG group 25' 10 counted >/dev/null
total=$(tmux_capture after | sed -n 's/.* \([0-9][0-9]*\) from NFLOG group 25.*/\1/p' | head -1)
if [ "${total:-0}" -ge 1000 ] 2>/dev/null; then ok "the flood's hits are counted ($total)"; else fail "the flood's hits are counted" "got: ${total:-none}"; fi
if tmux_capture talker | grep -Eq '192\.0\.2\.66 +wlan +[0-9.]+K? +top talker'; then ok "the flooding host is the top talker"; else fail "the flooding host is the top talker"; fi
tmux_keys q
if tmux_wait_dead 15; then ok "q quits after the flood"; else fail "q quits after the flood"; fi
is "$(tmux_dead)" 0 "exit status 0"
done_testing
