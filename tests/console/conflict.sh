#!/bin/sh
# conflict.sh - two administrators: while the console shows a plan,
# another smtpguard changes the rules.  'y' must not overwrite that
# change silently: the console reports the conflict, plans the same edit
# against the table as it is now, and applies only on a second 'y'.
# On nftables the oracle is the table inet smtpguard, and the conflict is
# caught by the backend's check before the commit (its own message; "applied" alone
# would match its "nothing applied", so the second y waits for the change's own line).
# backends: iptables nftables
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/tap.sh
. tests/lib/netns.sh
. tests/lib/backend.sh
. tests/lib/tmux.sh
backend_require
console_sandbox
write_zones_config "$CONF" monitor monitor
check "config applies" sg -c "$CONF" apply
OTHER="$NS_DIR/other.conf"
sed 's/^mode = monitor$/mode = block/' "$CONF" >"$OTHER"	# the other admin blocks both zones
if on_nft; then
	lan_drop='iifname "eth1" tcp dport 25 counter drop'
	wlan_log='iifname "eth2" tcp dport 25 limit rate 1/second counter log prefix "Illegal port 25 > "'
	has_rule() { gw_own | sed 's/^[[:space:]]*//' | grep -Fxq -- "$1"; }
	conflict_said='table inet smtpguard was changed by another writer since the plan was made: nothing applied'
else
	lan_drop='-A SMTPGUARD-lan -i eth1 -p tcp -m tcp --dport 25 -j DROP'
	wlan_log='-A SMTPGUARD-wlan -i eth2 -p tcp -m tcp --dport 25 -m limit --limit 1/sec -j LOG --log-prefix "Illegal port 25 > "'
	has_rule() { gw_save | grep -Fxq -- "$1"; }
	conflict_said='changed since this plan was shown'
fi

tmux_start 100 30 "ip netns exec $NS_GW $SMTPGUARD -c $CONF" || fail "tmux starts"
tmux_wait 'zone wlan' 10 start >/dev/null || fail "console starts"
tmux_keys Down m m
if tmux_wait 'Plan: zone wlan: mode monitor -> log' 5 plan; then ok "the console shows a plan"; else fail "the console shows a plan"; fi

check "meanwhile another smtpguard applies its own change" sg -c "$OTHER" apply
tmux_keys y
if tmux_wait "$conflict_said" 5 conflict; then ok "y reports the conflict"; else fail "y reports the conflict"; fi
if has_rule "$lan_drop"; then ok "the other administrator's change is still in the kernel"; else
	fail "the other administrator's change is still in the kernel" "$(gw_own)"; fi
if has_rule "$wlan_log"; then fail "nothing of the console's plan was applied"; else
	ok "nothing of the console's plan was applied"; fi
if tmux_wait 'Plan: zone wlan' 5 replan; then ok "the edit is planned again against the new table"; else
	fail "the edit is planned again against the new table"; fi
tmux_keys y
if tmux_wait 'mode monitor -> log applied' 5 applied; then ok "a second y applies the new plan"; else fail "a second y applies the new plan"; fi
if has_rule "$wlan_log"; then ok "the console's change is in the kernel now"; else
	fail "the console's change is in the kernel now" "$(gw_own)"; fi
tmux_keys q
if tmux_wait 'q again quits' 5 unsaved; then ok "q first says the change is not saved"; else
	fail "q first says the change is not saved"; fi
tmux_keys q
if tmux_wait_dead 5; then ok "q (twice: the change is unsaved) quits"; else fail "q (twice: the change is unsaved) quits"; fi
done_testing
