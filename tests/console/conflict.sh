#!/bin/sh
# conflict.sh - two administrators: while the console shows a plan,
# another smtpguard changes the rules.  'y' must not overwrite that
# change silently: the console reports the conflict, plans the same edit
# against the table as it is now, and applies only on a second 'y'.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/tap.sh
. tests/lib/netns.sh
. tests/lib/tmux.sh
console_sandbox
write_zones_config "$CONF" monitor monitor
check "config applies" sg -c "$CONF" apply
OTHER="$NS_DIR/other.conf"
sed 's/^mode = monitor$/mode = block/' "$CONF" >"$OTHER"	# the other admin blocks both zones
lan_drop='-A SMTPGUARD-lan -i eth1 -p tcp -m tcp --dport 25 -j DROP'
wlan_log='-A SMTPGUARD-wlan -i eth2 -p tcp -m tcp --dport 25 -m limit --limit 1/sec -j LOG --log-prefix "Illegal port 25 > "'

tmux_start 100 30 "ip netns exec $NS_GW $SMTPGUARD -c $CONF" || fail "tmux starts"
tmux_wait 'zone wlan' 10 start >/dev/null || fail "console starts"
tmux_keys Down m m
if tmux_wait 'Plan: zone wlan: mode monitor -> log' 5 plan; then ok "the console shows a plan"; else fail "the console shows a plan"; fi

check "meanwhile another smtpguard applies its own change" sg -c "$OTHER" apply
tmux_keys y
if tmux_wait 'changed since this plan was shown' 5 conflict; then ok "y reports the conflict"; else fail "y reports the conflict"; fi
if gw_save | grep -Fxq -- "$lan_drop"; then ok "the other administrator's change is still in the kernel"; else
	fail "the other administrator's change is still in the kernel" "$(gw_save)"; fi
if gw_save | grep -Fxq -- "$wlan_log"; then fail "nothing of the console's plan was applied"; else
	ok "nothing of the console's plan was applied"; fi
if tmux_wait 'Plan: zone wlan' 5 replan; then ok "the edit is planned again against the new table"; else
	fail "the edit is planned again against the new table"; fi
tmux_keys y
if tmux_wait 'applied' 5 applied; then ok "a second y applies the new plan"; else fail "a second y applies the new plan"; fi
if gw_save | grep -Fxq -- "$wlan_log"; then ok "the console's change is in the kernel now"; else
	fail "the console's change is in the kernel now" "$(gw_save)"; fi
tmux_keys q
if tmux_wait 'q again quits' 5 unsaved; then ok "q first says the change is not saved"; else
	fail "q first says the change is not saved"; fi
tmux_keys q
if tmux_wait_dead 5; then ok "q (twice: the change is unsaved) quits"; else fail "q (twice: the change is unsaved) quits"; fi
done_testing
