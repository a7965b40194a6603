#!/bin/sh
# offenders.sh - rateban from the console: the repeat attempt is dropped
# and logged, the host shows in the offenders area with its ban's time
# left, u unbans it (the next attempt passes), Q quarantines it through
# plan -> y -> c, and devices typed in are validated.
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
mode = rateban
ban_seconds = 120"
sed -i 's/^log_target = log/log_target = nflog/; s/^confirm = 0/confirm = 30/' "$CONF"
check "config applies" sg -c "$CONF" apply

tmux_start 100 30 "ip netns exec $NS_GW $SMTPGUARD -c $CONF" || fail "tmux starts"
if tmux_wait '^wlan +eth2 +rateban' 10 start; then ok "console starts in rateban"; else fail "console starts in rateban"; fi

check "the first attempt passes" send_mail "$NS_WLAN" 203.0.113.25
if send_mail "$NS_WLAN" 203.0.113.25; then fail "the repeat attempt is dropped"; else ok "the repeat attempt is dropped"; fi
# (nftables counts no hits per host: its HITS column says -)
if tmux_wait '192\.0\.2\.66 +wlan +([0-9]+|-) +banned, [0-9]+s left' 5 banned; then
	ok "the offenders area shows the ban with its time left"
else
	fail "the offenders area shows the ban with its time left"
fi
if tmux_wait '192\.0\.2\.66 .*203\.0\.113\.25 +dropped' 5 dropped; then ok "the drop is in the hits area"; else fail "the drop is in the hits area"; fi

# u on the offender: the list forgets it, the next attempt passes again.
tmux_keys F5
tmux_keys Home u
if tmux_wait '192\.0\.2\.66 unbanned' 5 unban; then ok "u unbans the selected offender"; else fail "u unbans the selected offender"; fi
# the kernel's lists as `smtpguard bans` reads them (xt_recent, or the nftables sets)
if bans=$(sg -c "$CONF" bans 2>&1) && ! echo "$bans" | grep -q '192\.0\.2\.66 '; then
	ok "the host is gone from the kernel's list"
else
	fail "the host is gone from the kernel's list" "$bans"
fi
check "after the unban an attempt passes" send_mail "$NS_WLAN" 203.0.113.25

# Q on the offender: quarantine through the plan.
tmux_wait '192\.0\.2\.66' 5 offender >/dev/null
tmux_keys Home Q
if tmux_wait 'Plan: zone wlan: quarantine 192\.0\.2\.66' 5 plan; then ok "Q plans the quarantine"; else fail "Q plans the quarantine"; fi
tmux_keys y
tmux_wait 'pending: rollback' 5 pending >/dev/null
tmux_keys c
if tmux_wait 'change kept' 5 kept; then ok "the quarantine is kept"; else fail "the quarantine is kept"; fi
if gw_quarantined wlan 192.0.2.66; then ok "the kernel drops the quarantined host"; else fail "the kernel drops the quarantined host" "$(gw_firewall)"; fi
if http_get "$NS_WLAN" 203.0.113.25; then fail "the quarantined host cannot reach the web"; else ok "the quarantined host cannot reach the web"; fi
if tmux_wait 'quarantine 192\.0\.2\.66' 5 listed; then ok "the zone lists the quarantined host"; else fail "the zone lists the quarantined host"; fi

# Del on the quarantine row plans its removal; n keeps it.
tmux_keys F2 Home Down DC
if tmux_wait 'Plan: wlan: remove quarantine 192\.0\.2\.66' 5 del-plan; then ok "Del plans removing the entry"; else fail "Del plans removing the entry"; fi
# its rule on iptables (-s 192.0.2.66/32), its set element on nftables
if tmux_capture del-lines | grep -q -- '^- .*192\.0\.2\.66[/ ]'; then ok "the plan removes its rule"; else fail "the plan removes its rule"; fi
tmux_keys n
tmux_wait 'cancelled' 5 del-cancelled >/dev/null

# A device: a bad MAC is refused while typing; a good pair goes to the plan.
tmux_keys F2 Home d
tmux_type '00:02:2d:11:22 192.0.2.66'
if tmux_wait 'Add device .* to wlan: 00:02:2d:11:22 192\.0\.2\.66 .*(MAC|mac)' 5 bad-mac; then
	ok "a short MAC is refused with the reason"
else
	fail "a short MAC is refused with the reason"
fi
tmux_keys C-u
tmux_type '00:02:2d:11:22:33 192.0.2.66'
if tmux_wait 'ok: Enter shows the plan' 5 good-mac; then ok "a full MAC+IP pair is accepted"; else fail "a full MAC+IP pair is accepted"; fi
tmux_keys Enter
if tmux_wait 'Plan: wlan: add device 00:02:2d:11:22:33 192\.0\.2\.66' 5 device-plan; then
	ok "the device goes to the plan"
else
	fail "the device goes to the plan"
fi
before=$(gw_firewall | sed 's/\[[0-9]*:[0-9]*\]/[0:0]/')
tmux_keys n
tmux_wait 'cancelled' 5 device-cancelled >/dev/null
is "$(gw_firewall | sed 's/\[[0-9]*:[0-9]*\]/[0:0]/')" "$before" "declining the device leaves the kernel as it was"

tmux_keys q
tmux_wait 'not saved' 5 unsaved >/dev/null
tmux_keys q
if tmux_wait_dead 15; then ok "q q quits with the change unsaved"; else fail "q q quits with the change unsaved"; fi
is "$(tmux_dead)" 0 "exit status 0"
if gw_quarantined wlan 192.0.2.66; then ok "the confirmed quarantine stays"; else fail "the confirmed quarantine stays"; fi
done_testing
