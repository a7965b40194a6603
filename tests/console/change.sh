#!/bin/sh
# change.sh - changes from the console reach the kernel only through
# plan -> y -> confirm: a declined change and an unconfirmed one leave
# the kernel's rules as they were; a confirmed switch to block stops the
# WLAN's mail; s saves the config, e exports; SIGTERM with a change
# pending rolls it back before the console ends.  On nftables the oracle
# is the table inet smtpguard, and its one drop rule serves both families.
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
sed -i 's/^log_target = log/log_target = nflog/; s/^confirm = 0/confirm = 4/' "$CONF"
check "config applies" sg -c "$CONF" apply
# The filter table without any counters (chain policies count traffic too).
if on_nft; then
	rules() { gw_own; }
	drop='iifname "eth2" tcp dport 25 counter drop'
	has_drop() { gw_own | grep -q -- "^[[:space:]]*$drop\$"; }
else
	rules() { gw_save | sed 's/\[[0-9]*:[0-9]*\]/[0:0]/'; }
	drop='-A SMTPGUARD-wlan -i eth2 -p tcp -m tcp --dport 25 -j DROP'
	has_drop() { gw_save | grep -Fxq -- "$drop"; }
fi
monitor_rules=$(rules)

tmux_start 100 30 "ip netns exec $NS_GW $SMTPGUARD -c $CONF" || fail "tmux starts"
if tmux_wait 'zone wlan' 10 start; then ok "console starts"; else fail "console starts"; fi

# Declined: the plan is shown, n cancels, the kernel is untouched.
tmux_keys Down m
if tmux_wait 'Plan: zone wlan: mode monitor -> block' 5 plan; then ok "m shows the plan of the mode change"; else fail "m shows the plan of the mode change"; fi
if tmux_capture plan-lines | grep -Fq -- "+ $drop"; then ok "the plan lists the DROP rule"; else fail "the plan lists the DROP rule"; fi
tmux_keys m
if tmux_wait 'Plan: zone wlan: mode monitor -> log' 5 plan-next; then ok "m in the plan proposes the next mode"; else fail "m in the plan proposes the next mode"; fi
tmux_keys n
if tmux_wait 'cancelled: nothing was applied' 5 declined; then ok "n declines"; else fail "n declines"; fi
is "$(rules)" "$monitor_rules" "a declined change leaves the kernel as it was"

# Unconfirmed: applied, then rolled back by the countdown.
tmux_keys m
tmux_wait 'Plan: zone wlan' 5 plan2 >/dev/null
tmux_keys y
if tmux_wait 'pending: rollback in [0-9]+s' 5 pending; then ok "y applies with a countdown"; else fail "y applies with a countdown"; fi
if has_drop; then ok "the kernel has the block rules while pending"; else fail "the kernel has the block rules while pending"; fi
if tmux_wait 'rolled back: not confirmed' 10 rolled-back; then ok "the unconfirmed change is rolled back"; else fail "the unconfirmed change is rolled back"; fi
is "$(rules)" "$monitor_rules" "an unconfirmed change leaves the kernel as it was"
if tmux_capture after-rollback | grep -Eq '^wlan +eth2 +monitor'; then ok "the screen shows monitor again"; else fail "the screen shows monitor again"; fi

# Confirmed: block stays, the WLAN's mail to the internet fails, the relay still works.
tmux_keys m
tmux_wait 'Plan: zone wlan' 5 plan3 >/dev/null
tmux_keys y
tmux_wait 'pending: rollback' 5 pending2 >/dev/null
tmux_keys c
if tmux_wait 'change kept' 5 kept; then ok "c keeps the change"; else fail "c keeps the change"; fi
sleep 5
if has_drop; then ok "the block rules stay after the deadline"; else fail "the block rules stay after the deadline"; fi
if on_nft; then
	if send_mail6 "$NS_WLAN" "$MX6"; then fail "IPv6 is blocked too, as apply does it"; else
		ok "IPv6 is blocked too, as apply does it"; fi
elif gw ip6tables-legacy-save -t filter | grep -Fxq -- "$drop"; then
	ok "IPv6 is blocked too, as apply does it"
else
	fail "IPv6 is blocked too, as apply does it" "$(gw ip6tables-legacy-save -t filter)"
fi
if send_mail "$NS_WLAN" 203.0.113.25; then fail "mail from the WLAN to the internet is blocked"; else ok "mail from the WLAN to the internet is blocked"; fi
check "mail from the WLAN through the relay passes" send_mail "$NS_WLAN" 203.0.113.10
check "no watchdog is left pending" test ! -e "$SMTPGUARD_RUN_DIR/pending"

# s saves (mode 0600), e exports a shell script (on nftables the table, both families: no format question).
tmux_keys s
if tmux_wait 'config saved to' 5 saved; then ok "s saves"; else fail "s saves"; fi
if awk '/^\[zone wlan\]/ { z = 1 } z && /^mode *= *block/ { found = 1 } END { exit !found }' "$CONF"; then
	ok "the saved config has mode = block for wlan"
else
	fail "the saved config has mode = block for wlan" "$(cat "$CONF")"
fi
is "$(stat -c %a "$CONF")" 600 "the saved config is mode 600"
tmux_keys e
if ! on_nft; then
	tmux_type sh
	tmux_keys Enter
fi
tmux_keys C-u
tmux_type "$NS_DIR/rules.sh"
tmux_keys Enter
if tmux_wait 'exported to' 5 exported; then ok "e exports"; else fail "e exports"; fi
if on_nft; then
	if grep -Fq -- "$drop" "$NS_DIR/rules.sh" 2>/dev/null && grep -q 'chain zone_wlan' "$NS_DIR/rules.sh"; then
		ok "the export holds the block rules"
	else
		fail "the export holds the block rules"
	fi
elif grep -q 'SMTPGUARD-wlan' "$NS_DIR/rules.sh" 2>/dev/null && grep -q 'DROP' "$NS_DIR/rules.sh"; then
	ok "the export holds the block rules"
else
	fail "the export holds the block rules"
fi

# `smtpguard confirm` from another shell keeps the console's pending change.
tmux_keys m
tmux_wait 'Plan: zone wlan: mode block -> log' 5 plan-other >/dev/null
tmux_keys y
tmux_wait 'pending: rollback' 5 pending-other >/dev/null
check "smtpguard confirm from another shell" sg -c "$CONF" confirm
if tmux_wait 'confirmed from another shell' 5 other; then ok "the console sees the change kept"; else fail "the console sees the change kept"; fi
if tmux_wait '^wlan +eth2 +log' 2 other-mode; then ok "the zone shows log"; else fail "the zone shows log"; fi
tmux_keys m m m m
tmux_wait 'Plan: zone wlan: mode log -> block' 5 plan-back >/dev/null
tmux_keys y
tmux_wait 'pending: rollback' 5 pending-back >/dev/null
tmux_keys c
tmux_wait 'change kept' 5 kept-back >/dev/null

# A change pending when SIGTERM arrives is rolled back, and the console ends cleanly.
blocked_rules=$(rules)
tmux_keys m
tmux_wait 'Plan: zone wlan: mode block -> log' 5 plan4 >/dev/null
tmux_keys y
tmux_wait 'pending: rollback' 5 pending3 >/dev/null
# the console only (ip netns exec execs it); its watchdog is left alone
kill -TERM "$(tmux_pid)"
if tmux_wait_dead 20; then ok "SIGTERM ends the console"; else fail "SIGTERM ends the console"; fi
is "$(tmux_dead)" 0 "exit status 0 after SIGTERM"
is "$(rules)" "$blocked_rules" "the pending change was rolled back on SIGTERM"
check "no watchdog is left pending after SIGTERM" test ! -e "$SMTPGUARD_RUN_DIR/pending"

# The same when the SSH session drops (SIGHUP) with a change pending.
tmux_start 100 30 "ip netns exec $NS_GW $SMTPGUARD -c $CONF" || fail "tmux starts"
tmux_wait 'zone wlan' 10 restart >/dev/null
tmux_keys Down m
tmux_wait 'Plan: zone wlan: mode block -> log' 5 plan5 >/dev/null
tmux_keys y
tmux_wait 'pending: rollback' 5 pending4 >/dev/null
kill -HUP "$(tmux_pid)"
if tmux_wait_dead 20; then ok "SIGHUP ends the console"; else fail "SIGHUP ends the console"; fi
is "$(rules)" "$blocked_rules" "the pending change was rolled back on SIGHUP"
done_testing
