#!/bin/sh
# story_device.sh - a host's story shows its address of the other family
# (the gateway's neighbour table at its MAC), both ways; d in the story
# adds the host (the MAC of its hits and its address) to its zone's
# devices through the plan: nothing changes before y, the kernel's MAC
# chain lists the pair after it, the config gets the line only when
# saved, and the pair forwards while the same MAC with another address
# does not.  --readonly refuses d.  (On nftables the pair is an element of
# the zone's device set.)
# backends: iptables nftables
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/tap.sh
. tests/lib/netns.sh
. tests/lib/backend.sh
. tests/lib/tmux.sh
backend_require
console_sandbox
console_apply_nflog monitor monitor

start() { # start NAME [options]: the console at 80x24, -d 1 (0.1 s refresh)
	tmux_start 80 24 "ip netns exec $NS_GW $SMTPGUARD -d 1 $2 -c $CONF" || fail "tmux starts ($1)"
	# bounded waits: 10 s for the first screen, 5 s for each key's answer and each hit
	tmux_wait '^4 Offenders' 10 "$1-start" >/dev/null || fail "the console starts ($1)"
}
# Enter on the host's offender row opens its story (the search finds the row).
story_of() { tmux_keys F5 /; tmux_type "$1"; tmux_keys Enter Enter; }
start main ""
# Mail over both families: hits with the WLAN host's MAC, and both its addresses in the
# gateway's neighbour table.
check "the WLAN host mails over IPv6" send_mail6 "$NS_WLAN" "$MX6"
check "the WLAN host mails over IPv4" send_mail "$NS_WLAN" 203.0.113.25
tmux_wait_all 5 offenders '192\.0\.2\.66 +wlan' '2001:db8:2::66 +wlan' >/dev/null ||
	fail "both of the host's addresses are in the offenders area"

story_of 192.0.2.66
if tmux_wait_all 5 story '^Host 192\.0\.2\.66 +zone wlan +MAC 00:02:2d:11:22:33 +also 2001:db8:2::66' \
	'device: not listed \(d adds it\)' 'Esc.*Back.*d.*Device'; then
	ok "the IPv4 host's story shows its IPv6 address (neighbour table) and offers d"
else
	fail "the IPv4 host's story shows its IPv6 address (neighbour table) and offers d"
fi
tmux_keys Escape
story_of 2001:db8:2::66
if tmux_wait '^Host 2001:db8:2::66 +zone wlan +MAC 00:02:2d:11:22:33 +also 192\.0\.2\.66' 5 story6; then
	ok "the IPv6 host's story shows its IPv4 address"
else
	fail "the IPv6 host's story shows its IPv4 address"
fi
tmux_keys Escape

story_of 192.0.2.66
tmux_wait '^Host 192\.0\.2\.66' 5 story-again >/dev/null || fail "the story opens again"
before=$(gw_firewall | sed 's/\[[0-9]*:[0-9]*\]/[0:0]/')
tmux_keys d
if tmux_wait 'Plan: zone wlan: add device 00:02:2d:11:22:33 192\.0\.2\.66' 5 plan; then
	ok "d plans the host as a device of its zone"
else
	fail "d plans the host as a device of its zone"
fi
is "$(gw_firewall | sed 's/\[[0-9]*:[0-9]*\]/[0:0]/')" "$before" "the plan alone leaves the kernel as it was"
tmux_keys y
if tmux_wait 'add device 00:02:2d:11:22:33 192\.0\.2\.66 applied' 5 applied; then
	ok "y applies the device change"
else
	fail "y applies the device change"
fi
if gw_device wlan 00:02:2d:11:22:33 192.0.2.66; then
	ok "the kernel lists the pair as a device of wlan"
else
	fail "the kernel lists the pair as a device of wlan" "$(gw_firewall)"
fi
if grep -q '^devices' "$CONF"; then fail "the config is not written before s"; else ok "the config is not written before s"; fi
tmux_keys s
tmux_wait 'config saved' 5 saved >/dev/null
if grep -Eq '^devices = 00:02:2d:11:22:33 192\.0\.2\.66$' "$CONF"; then
	ok "s saves the device line in the config"
else
	fail "s saves the device line in the config" "$(grep -n devices "$CONF")"
fi
# Behaves as a listed device: the pair forwards; the same MAC with another address does not.
check "the listed pair's mail passes" send_mail "$NS_WLAN" 203.0.113.25
wlan ip addr add 192.0.2.67/26 dev eth0
if send_mail "$NS_WLAN" 203.0.113.25 --local-interface 192.0.2.67; then
	fail "the same MAC from an unlisted address cannot forward"
else
	ok "the same MAC from an unlisted address cannot forward"
fi
wlan ip addr del 192.0.2.67/26 dev eth0
story_of 192.0.2.66
if tmux_wait 'device: listed' 5 listed; then ok "the story says the host is a listed device"; else
	fail "the story says the host is a listed device"; fi
tmux_keys Escape q
tmux_wait_dead 10 || fail "q quits"

# --readonly: d in a story is refused, no plan.
start ro --readonly
check "the WLAN host mails once more" send_mail "$NS_WLAN" 203.0.113.25
tmux_wait '192\.0\.2\.66 +wlan' 5 ro-offender >/dev/null || fail "the host is in the offenders area (read-only)"
story_of 192.0.2.66
tmux_wait '^Host 192\.0\.2\.66' 5 ro-story >/dev/null || fail "the story opens read-only"
tmux_keys d
if tmux_wait 'read-only: started with --readonly' 5 ro-d && ! tmux_capture ro-plan | grep -q 'Plan:'; then
	ok "--readonly refuses d in the story"
else
	fail "--readonly refuses d in the story"
fi
tmux_keys Escape q
tmux_wait_dead 10 || fail "q quits (read-only)"
done_testing
