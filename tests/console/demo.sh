#!/bin/sh
# demo.sh - `make demo` (tests/demo.sh) in tmux at 80x24, as a new
# administrator meets it: the console comes up on the sandbox, the zombie's
# hits show within 10 s, the legitimate sender's mail goes through the
# relay; the zombie's story opens from the offenders area, Q plans its
# quarantine, y applies it and c keeps it (the kernel then holds it), s
# saves it; q leaves no namespace, process or folder behind (the
# rules lived in the deleted namespace).  On nftables
# (SMTPGUARD_DEMO_BACKEND=nftables, as make demo BACKEND=nftables) the
# rules are in the sandbox's table inet smtpguard and the legacy tables
# stay empty.
# backends: iptables nftables
set -u
cd "$(dirname "$0")/../.." || exit 1
BACKEND=${SMTPGUARD_TEST_BACKEND:-iptables}
. tests/lib/tap.sh
. tests/lib/tmux.sh
if [ "$(id -u)" != 0 ]; then
	echo "1..0 # SKIP needs root (network namespaces)"
	exit 0
fi
trap 'tmux_cleanup' EXIT

tmux_start 80 24 "env SMTPGUARD_DEMO_BACKEND=$BACKEND sh tests/demo.sh" || fail "tmux starts"
pid=$(tmux_pid)
prefix="sgt$pid"
dir="${TMPDIR:-/tmp}/$prefix"

if tmux_wait '^1 Zones and interfaces' 30 start; then ok "the demo opens the console"; else fail "the demo opens the console"; fi
# Where the rules are, read in the sandbox gateway itself (the oracle, not the console).
own_nft=$(ip netns exec "$prefix-gw" nft -s list table inet smtpguard 2>/dev/null | grep -c 'jump zone_wlan')
own_legacy=$(ip netns exec "$prefix-gw" iptables-legacy-save -t filter 2>/dev/null | grep -c '^-A .*SMTPGUARD-wlan')
if [ "$BACKEND" = nftables ]; then
	is "$own_nft/$own_legacy" "1/0" "the rules are in nftables (table inet smtpguard), none in the legacy tables"
else
	is "$own_nft/$own_legacy" "0/$own_legacy" "no table inet smtpguard in nftables"
	if [ "$own_legacy" -gt 0 ]; then ok "the rules are in the legacy tables"; else
		fail "the rules are in the legacy tables"; fi
fi
if tmux_wait '^wlan +eth2 +monitor' 2 zones; then ok "the WLAN zone is in monitor mode"; else fail "the WLAN zone is in monitor mode"; fi
if tmux_wait '[0-9:]{8} wlan +192\.0\.2\.66 .*203\.0\.113\.25 +logged' 10 zombie; then
	ok "the zombie's hits show within 10 s"
else
	fail "the zombie's hits show within 10 s"
fi
n=0
until grep -q 'DELIVERED 203.0.113.10' "$dir/delivered" 2>/dev/null || [ $n -ge 30 ]; do
	n=$((n + 1))
	sleep 0.5
done
check "the LAN's mail goes through the relay" grep -q 'DELIVERED 203.0.113.10' "$dir/delivered"

# The zombie's story, its quarantine and the confirmation, from the screen alone (bounded: 10 s each).
tmux_keys F5
tmux_wait '^192\.0\.2\.66 +wlan +[0-9]+ +top talker' 10 offender >/dev/null
tmux_keys Enter
if tmux_wait '^Host 192\.0\.2\.66 +zone wlan' 10 story; then ok "Enter on the zombie's offender row opens its story"; else
	fail "Enter on the zombie's offender row opens its story"; fi
tmux_keys Q
if tmux_wait 'Plan: zone wlan: quarantine 192\.0\.2\.66' 10 quarantine-plan; then ok "Q in the story plans its quarantine"; else
	fail "Q in the story plans its quarantine"; fi
tmux_keys y
tmux_wait 'pending: rollback' 10 quarantine-pending >/dev/null
tmux_keys c
if tmux_wait 'change kept' 10 quarantine-kept; then ok "y applies it and c keeps it"; else fail "y applies it and c keeps it"; fi
if [ "$BACKEND" = nftables ]; then
	quarantined=$(ip netns exec "$prefix-gw" nft list set inet smtpguard wlan_quar4 2>/dev/null | grep -c '192\.0\.2\.66')
else
	quarantined=$(ip netns exec "$prefix-gw" iptables-legacy-save -t filter 2>/dev/null | grep -c -- '-s 192\.0\.2\.66/32 .*-j DROP')
fi
if [ "${quarantined:-0}" -ge 1 ]; then ok "the kernel holds the zombie's quarantine"; else
	fail "the kernel holds the zombie's quarantine" "$(ip netns exec "$prefix-gw" iptables-legacy-save -t filter 2>&1 | grep -i quar)"; fi

# the kept change is saved (q asks for it first otherwise)
tmux_keys s
if tmux_wait 'config saved to' 10 saved; then ok "s saves the quarantine to the demo's config"; else fail "s saves the quarantine"; fi
tmux_keys q
if tmux_wait_dead 20; then ok "q ends the demo"; else fail "q ends the demo"; fi
is "$(tmux_dead)" 0 "the demo exits 0"
if ip netns list | grep -q "^$prefix-"; then fail "no namespace is left" "$(ip netns list | grep "^$prefix-")"; else ok "no namespace is left"; fi
if pgrep -f "$prefix" >/dev/null; then fail "no process is left" "$(pgrep -af "$prefix")"; else ok "no process is left"; fi
check "the sandbox folder is removed" test ! -e "$dir"
done_testing
