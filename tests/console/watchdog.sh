#!/bin/sh
# watchdog.sh - the console's pending change when the xtables lock is
# busy at the deadline: it says the rollback waits for the lock (not
# "kept"), s saves nothing, and once the lock is free the old rules
# and the old config are back.  On nftables (whose commit takes the same
# lock) the oracle is nft list ruleset beside the legacy tables.
# backends: iptables nftables
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/tap.sh
. tests/lib/netns.sh
. tests/lib/backend.sh
. tests/lib/tmux.sh
backend_require
console_sandbox
trap 'rm -f "$NS_DIR/hold"; tmux_cleanup; ns_cleanup' EXIT
write_zones_config "$CONF" monitor monitor
sed -i 's/^confirm = 0/confirm = 2/' "$CONF"
check "config applies" sg -c "$CONF" apply
saved=$(cat "$CONF")
monitor_rules=$(gw_firewall)

# Hold the namespace's xtables lock until the file hold goes; 0 once held (bounded: 5 s).
hold_lock() {
	: >"$NS_DIR/hold"
	(
		flock -x 9
		while [ -e "$NS_DIR/hold" ]; do sleep 0.1; done
	) 9>"$XTABLES_LOCKFILE" &
	n=0
	while flock -n "$XTABLES_LOCKFILE" true; do
		n=$((n + 1))
		[ $n -gt 50 ] && return 1
		sleep 0.1
	done
}

# Each rollback try waits 1 s for the lock (the watchdog inherits this).
tmux_start 110 30 "ip netns exec $NS_GW env SMTPGUARD_LOCK_WAIT=1 $SMTPGUARD -c $CONF" || fail "tmux starts"
tmux_wait 'zone wlan' 10 start >/dev/null || fail "console starts"
tmux_keys Down m
tmux_wait 'Plan: zone wlan: mode monitor -> block' 5 plan >/dev/null
tmux_keys y
if tmux_wait 'pending: rollback in' 5 pending; then ok "y applies with a countdown"; else fail "y applies with a countdown"; fi
hold_lock || fail "the test holds the xtables lock"
# deadline 2 s, then a 1 s try: the busy lock shows within 10 s
if tmux_wait 'the xtables lock is busy; retrying' 10 busy; then ok "the console says the rollback waits for the lock"; else
	fail "the console says the rollback waits for the lock"; fi
if gw_own | grep -Fq -- "$WLAN_DROP_RULE"; then ok "lock busy: the kernel still has the new rules"; else fail "lock busy: the kernel still has the new rules"; fi
if grep -q 'change kept' "$TMUX_RAW"; then fail "lock busy: the console never says the change was kept"; else
	ok "lock busy: the console never says the change was kept"; fi
tmux_keys s
if tmux_wait 'nothing to save' 5 save-refused; then ok "s saves nothing while the change is rolled back"; else
	fail "s saves nothing while the change is rolled back"; fi
is "$(cat "$CONF")" "$saved" "the config file is unchanged"
rm -f "$NS_DIR/hold"
# tries 1, 2, 4 s apart: committed within 15 s of the release
if tmux_wait 'change rolled back: not confirmed within 2 s' 15 rolled-back; then ok "the console reports the rollback once committed"; else
	fail "the console reports the rollback once committed"; fi
is "$(gw_firewall)" "$monitor_rules" "the kernel has the old rules again"
if tmux_wait '^wlan +eth2 +monitor' 2 monitor; then ok "the screen shows monitor again"; else fail "the screen shows monitor again"; fi
tmux_keys q
tmux_wait_dead 10
is "$(cat "$CONF")" "$saved" "the config file is still unchanged"
done_testing
