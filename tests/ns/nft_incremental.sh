#!/bin/sh
# nft_incremental.sh - on nftables an apply changes only what differs:
# a mode change of zone wlan replaces zone_wlan's rules (and guard's, whose
# jumps to it change) and leaves every
# other chain (its rules, their handles and counters) as it was, so the
# counters of zone lan keep counting; a relay edit is an element change
# of the relay sets (no rule handle changes, no counter restarts); sets an
# apply adds to a table made earlier leave it in step.  The
# oracle is `nft -a list table inet smtpguard` with counters and handles.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/tap.sh
. tests/lib/netns.sh
. tests/lib/nft.sh
nft_ns_setup
CONF="$NS_DIR/smtpguard.conf"

conf() { # conf LAN_MODE WLAN_MODE [general relays]
	write_zones_config "$CONF" "$1" "$2"
	sed -i "s/^relays = .*/relays = ${3:-203.0.113.10}/; /^confirm = /a backend = nftables" "$CONF"
}
# Chain $1 of the table with counters and rule handles.
chain() { gw nft -a list chain inet smtpguard "$1"; }
# The packet counter of the rule of chain $1 that ends with $2 ("counter drop").
packets() { chain "$1" | sed -n "s/.* counter packets \([0-9]*\) bytes [0-9]* ${2#counter } # handle.*/\1/p" | head -1; }
handles() { gw nft -a list table inet smtpguard | grep -o '# handle [0-9]*' | tr '\n' ' '; }

conf block block
check "apply lan and wlan block" sg -c "$CONF" apply
if send_mail "$NS_LAN" 203.0.113.25; then fail "lan: mail to a foreign server is dropped"; else
	ok "lan: mail to a foreign server is dropped"; fi
if send_mail "$NS_WLAN" 203.0.113.25; then fail "wlan: mail to a foreign server is dropped"; else
	ok "wlan: mail to a foreign server is dropped"; fi
lan_before=$(chain zone_lan)
forward_before=$(chain forward)
drops=$(packets zone_lan "counter drop")
if [ -n "$drops" ] && [ "$drops" -gt 0 ]; then ok "zone_lan's drop counted the lan mail"; else
	fail "zone_lan's drop counted the lan mail" "$lan_before"; fi

# --- wlan's mode changes: only zone_wlan is replaced
conf block monitor
out=$(sg -c "$CONF" apply 2>&1)
is "$?" 0 "apply wlan monitor"
is "$(chain zone_lan)" "$lan_before" "zone_lan: rules, handles and counters as they were"
is "$(chain forward)" "$forward_before" "forward: rules, handles and counters as they were"
if chain zone_wlan | grep -q 'counter packets 0 bytes 0 log prefix'; then ok "zone_wlan has wlan's new monitor rules"; else
	fail "zone_wlan has wlan's new monitor rules" "$(chain zone_wlan)"; fi
send_mail "$NS_LAN" 203.0.113.25
after=$(packets zone_lan "counter drop")
if [ -n "$after" ] && [ "$after" -gt "$drops" ]; then ok "zone_lan's drop counts on from $drops ($after)"; else
	fail "zone_lan's drop counts on from $drops ($after)" "$(chain zone_lan)"; fi

# --- a relay edit is an element change
handles_before=$(handles)
lan_before=$(chain zone_lan)
conf block monitor "203.0.113.10, 203.0.113.25"
out=$(sg -c "$CONF" apply 2>&1)
is "$?" 0 "apply with a second relay"
if gw nft list set inet smtpguard lan_relay4 | grep -q '203.0.113.25'; then ok "lan_relay4 holds the new relay"; else
	fail "lan_relay4 holds the new relay" "$(gw nft list set inet smtpguard lan_relay4)"; fi
is "$(handles)" "$handles_before" "relay edit: every rule handle is as it was"
is "$(chain zone_lan)" "$lan_before" "relay edit: zone_lan's counters are as they were"
if send_mail "$NS_LAN" 203.0.113.25; then ok "lan: mail to the new relay (203.0.113.25) passes"; else
	fail "lan: mail to the new relay (203.0.113.25) passes"; fi
conf block monitor
out=$(sg -c "$CONF" apply 2>&1)
is "$?" 0 "apply without it"
is "$(handles)" "$handles_before" "relay removed: every rule handle is as it was"
if gw nft list set inet smtpguard lan_relay4 | grep -q '203.0.113.25'; then
	fail "lan_relay4 no longer holds it" "$(gw nft list set inet smtpguard lan_relay4)"
else
	ok "lan_relay4 no longer holds it"
fi
out=$(sg -c "$CONF" apply --check 2>&1)
is "$?" 0 "apply --check: in step"

# --- sets made by a later apply are listed after the older ones: still in step (the order of
# sets and chains in the table is the order they were made; only the rules' order counts)
conf block rateban
check "apply wlan rateban" sg -c "$CONF" apply
echo "quarantine = 192.0.2.70" >>"$CONF"
check "apply with a quarantine (new sets)" sg -c "$CONF" apply
out=$(sg -c "$CONF" apply --check 2>&1)
is "$?" 0 "apply --check: in step with the quarantine sets made last"
out=$(sg -c "$CONF" apply 2>&1)
case $out in *"nothing changed"*) ok "a second apply changes nothing" ;; *) fail "a second apply changes nothing" "$out" ;; esac
done_testing
