#!/bin/sh
# nft.sh - the console on the nftables backend at 80x24: right after an
# apply that apply --check finds in step the status line says no drift,
# and the rules area shows the table's hooked chains and what they jump
# to; the zones table counts a zone's packets; a change by another writer
# is then seen as drift; e writes the
# nftables form, the same text as export --format nft, and says so; and
# the backend's long conflict message is readable to its end (wrapped
# over the message and hint lines), not cut at the screen's edge.
# Always on nftables: the config it writes names the backend itself.
set -u
cd "$(dirname "$0")/../.." || exit 1
SMTPGUARD_TEST_BACKEND=nftables
. tests/lib/tap.sh
. tests/lib/netns.sh
. tests/lib/backend.sh
. tests/lib/tmux.sh
backend_require
console_sandbox
write_zones_config "$CONF" allow block
grep -qx 'backend = nftables' "$CONF" || fail "the config names backend = nftables" "$(cat "$CONF")"
check "config applies" sg -c "$CONF" apply
check "apply --check: in step" sg -c "$CONF" apply --check

tmux_start 80 24 "ip netns exec $NS_GW $SMTPGUARD -c $CONF" || fail "tmux starts"
# The first screen with the table read (bounded: 10 s under load).
if tmux_wait_all 10 start '^smtpguard .*nftables +rules [1-9]' '^wlan +eth2 +block'; then
	ok "console starts on nftables"
else
	fail "console starts on nftables"
fi
status=$(tmux_capture status | head -1)
case $status in
*"kernel differs"*) fail "no drift right after an apply in step" "$status" ;;
*) ok "no drift right after an apply in step" ;;
esac
# The rules area: the hooked chain, and the chains it jumps to expanded under it.
# (the rules in words: the jump to guard, and guard's jumps to the zones' chains under it)
if tmux_wait_all 10 rules '^forward \(hook forward, priority 0, policy accept\)' '-> guard +forward :25' \
	'-> (lan|wlan) +guard eth'; then
	ok "the rules area shows chain forward and the chains it jumps to"
else
	fail "the rules area shows chain forward and the chains it jumps to"
fi
# The zones table counts the zone's traffic (the jump into zone_wlan) once mail was tried (bounded: 10 s).
send_mail "$NS_WLAN" 203.0.113.25 || true
if tmux_wait '^wlan +eth2 +block +[a-z]+ +[0-9]+ +[0-9]+ +[0-9]+ +[1-9][0-9]*' 10 zone-packets; then
	ok "the zones table counts the WLAN's packets on nftables"
else
	fail "the zones table counts the WLAN's packets on nftables" "$(tmux_capture zone-packets | grep '^wlan')"
fi

# e writes the nftables form (no format question: the iptables forms are not what is in force).
tmux_keys e
if tmux_wait 'Export to file: smtpguard-rules\.nftables' 5 export-prompt; then
	ok "e asks for the file, smtpguard-rules.nftables by default"
else
	fail "e asks for the file, smtpguard-rules.nftables by default"
fi
tmux_keys C-u
tmux_type "$NS_DIR/rules.nft"
tmux_keys Enter
if tmux_wait 'exported to .*rules\.nft \(nftables format, both families\)' 5 exported; then
	ok "e says it wrote the nftables format"
else
	fail "e says it wrote the nftables format"
	tmux_keys Escape	# the question left open must not take the keys below
fi
sg -c "$CONF" export --format nft >"$NS_DIR/cli.nft"
if cmp -s "$NS_DIR/cli.nft" "$NS_DIR/rules.nft"; then
	ok "the export is the text of export --format nft"
else
	fail "the export is the text of export --format nft" "$(diff "$NS_DIR/cli.nft" "$NS_DIR/rules.nft" 2>&1)"
fi

# Another writer blocks lan too: a real difference, seen at the latest when the quiet table is
# read again (every 10 refreshes of 1 s; bounded at 30 s under load).
OTHER="$NS_DIR/other.conf"
sed 's/^mode = allow$/mode = block/' "$CONF" >"$OTHER"
check "another writer applies" sg -c "$OTHER" apply
if tmux_wait '^smtpguard +kernel differs from config' 30 drift; then
	ok "a change by another writer shows as drift"
else
	fail "a change by another writer shows as drift"
fi

# A plan, then the other writer changes the table back: y is refused with the backend's long
# message, which must be readable to its end at 80 columns.
tmux_keys Down m
if tmux_wait 'Plan: zone wlan' 5 plan; then ok "m shows a plan"; else fail "m shows a plan"; fi
check "the other writer changes the table again" sg -c "$CONF" apply
tmux_keys y
if tmux_wait_all 5 conflict 'changed by another writer' 'run apply again'; then
	ok "the conflict message is shown to its end at 80 columns"
else
	fail "the conflict message is shown to its end at 80 columns"
fi
tmux_keys n
tmux_keys q
tmux_wait 'q again quits' 3 unsaved >/dev/null && tmux_keys q
if tmux_wait_dead 10; then ok "q quits"; else fail "q quits"; fi
done_testing
