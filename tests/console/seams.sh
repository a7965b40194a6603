#!/bin/sh
# seams.sh - the console honours the same test seams as the CLI: with
# SMTPGUARD_XT_RECENT_DIR naming a stand-in for /proc/net/xt_recent, the
# offenders area lists the stand-in's bans (as `smtpguard bans` does) and
# u unbans there, not in the kernel's lists.
# backends: iptables (the seam is xt_recent's; nftables keeps its bans in sets)
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/tap.sh
. tests/lib/netns.sh
. tests/lib/tmux.sh
console_sandbox
write_config "$CONF" "[zone wlan]
interface = eth2
mode = rateban
ban_seconds = 120"
check "config applies" sg -c "$CONF" apply

J=$(sed -n 's/^jiffies: *//p' /proc/timer_list | head -1)
XT="$NS_DIR/xt_recent"
mkdir -p "$XT"
printf 'src=192.0.2.88 ttl: 64 last_seen: %s oldest_pkt: 1 %s\n' "$J" "$J" >"$XT/SMTPGUARD-wlan"
if gw env SMTPGUARD_XT_RECENT_DIR="$XT" "$SMTPGUARD" -c "$CONF" bans | grep -q '^wlan  *192\.0\.2\.88 '; then
	ok "bans lists the stand-in's host"
else
	fail "bans lists the stand-in's host"
fi

tmux_start 100 30 "ip netns exec $NS_GW env SMTPGUARD_XT_RECENT_DIR=$XT $SMTPGUARD -c $CONF" || fail "tmux starts"
if tmux_wait '^wlan +eth2 +rateban' 10 start; then ok "console starts"; else fail "console starts"; fi
# The offenders area is read on the console's refresh: 10 s bound for the first one.
if tmux_wait '192\.0\.2\.88 +wlan +[0-9]+ +banned, [0-9]+s left' 10 banned; then
	ok "the offenders area shows the stand-in's ban"
else
	fail "the offenders area shows the stand-in's ban"
fi
tmux_keys F5
tmux_keys Home u
if tmux_wait '192\.0\.2\.88 unbanned' 5 unban; then ok "u unbans the host"; else fail "u unbans the host"; fi
# bans_unban writes the kernel's "-ADDR" command into the list it found the host in.
if grep -q '^-192\.0\.2\.88$' "$XT/SMTPGUARD-wlan"; then
	ok "the unban went to the stand-in list"
else
	fail "the unban went to the stand-in list" "$(cat "$XT/SMTPGUARD-wlan")"
fi
tmux_keys q
done_testing
