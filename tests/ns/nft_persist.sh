#!/bin/sh
# nft_persist.sh - smtpguard across a reboot of an nftables gateway, as
# Debian persists it: the administrator saves the whole ruleset into
# nftables.conf (`nft list ruleset`, smtpguard's table and a live rate-ban
# element with it), the reboot empties the kernel, nftables.service loads
# the file (`flush ruleset` first), then smtpguard's unit applies: exactly
# one inet smtpguard, as applied; the administrator's inet filter and the
# ip filter table iptables-nft wrote (docker) survive; `apply --check`
# tells in-step (0) from drift (3); the unit's ExecStart/ExecReload/
# ExecStop, run by hand within its capabilities, do what they say.
# The nftables twin of persist.sh.
cd "$(dirname "$0")/../.." || exit 1
SMTPGUARD_TEST_BACKEND=nftables
. tests/lib/tap.sh
. tests/lib/netns.sh
. tests/lib/backend.sh
nft_ns_setup
CONF="$NS_DIR/smtpguard.conf"
write_zones_config "$CONF" block rateban "protect_gateway = yes
quarantine = 192.0.2.70"

# smtpguard's table without counters and without the rate-ban's elements (the kernel's, timed)
own() { gw nft -s list table inet smtpguard 2>/dev/null | grep -v '^[[:space:]]*elements = .* timeout '; }
# every table but smtpguard's, without counters
others() { gw nft -s list ruleset | awk '/^table inet smtpguard \{/ { skip = 1 } !skip { print } /^}/ { skip = 0 }'; }
check_is() { # check_is WANT "description": the exit code of apply --check
	out=$(sg -c "$CONF" apply --check 2>&1)
	rc=$?
	if [ "$rc" = "$1" ]; then ok "$2"; else fail "$2" "got $rc, want $1: $out"; fi
}
as_applied() { # as_applied "description": smtpguard's table is as after the first apply
	own >"$NS_DIR/now"
	if d=$(printf '%s\n' "$applied" | diff -u - "$NS_DIR/now"); then ok "$1"; else fail "$1" "$d"; fi
}

# --- the administrator's table and docker's (iptables-nft) were there first
nft_load_foreign || fail "the administrator's inet filter loads"
gw iptables-nft -N DOCKER-USER && gw iptables-nft -A DOCKER-USER -j RETURN &&
	gw iptables-nft -I FORWARD -j DOCKER-USER || fail "iptables-nft writes docker's chain"
foreign=$(others)

check "apply" sg -c "$CONF" apply
applied=$(own)
if [ -n "$applied" ]; then ok "apply made table inet smtpguard"; else fail "apply made table inet smtpguard"; fi
check_is 0 "apply --check: 0 right after apply"
# a live ban: wlan's second mail within ban_seconds is dropped and its host is in wlan_ban4
send_mail "$NS_WLAN" 203.0.113.25 || true
send_mail "$NS_WLAN" 203.0.113.25 || true
if gw nft list set inet smtpguard wlan_ban4 | grep -q '192\.0\.2\.66 .*expires'; then
	ok "wlan_ban4 holds the zombie with its timeout"
else
	fail "wlan_ban4 holds the zombie with its timeout" "$(gw nft list set inet smtpguard wlan_ban4)"
fi

# --- the administrator saves everything; the reboot empties the kernel; nftables.service loads
{ echo "flush ruleset"; gw nft list ruleset; } >"$NS_DIR/nftables.conf"
check "the saved ruleset holds smtpguard's table" grep -q '^table inet smtpguard {' "$NS_DIR/nftables.conf"
gw nft flush ruleset
is "$(gw nft list ruleset)" "" "the reboot left no rules"
if out=$(gw nft -f "$NS_DIR/nftables.conf" 2>&1); then ok "nft -f of the saved ruleset"; else
	fail "nft -f of the saved ruleset" "$out"; fi
as_applied "the load brought smtpguard's table back as applied"
check_is 0 "apply --check: 0 on the loaded table"

check "apply after the load (the unit at boot)" sg -c "$CONF" apply
as_applied "after load + apply smtpguard's table is as after the first apply"
is "$(gw nft list tables | grep -c 'inet smtpguard')" 1 "exactly one table inet smtpguard"
is "$(others)" "$foreign" "the administrator's and docker's tables survive, unchanged"
if gw nft list set inet smtpguard wlan_ban4 | grep -q '192\.0\.2\.66'; then
	ok "the ban in force came back with the saved file and the apply kept it"
else
	fail "the ban in force came back with the saved file and the apply kept it" "$(gw nft list set inet smtpguard wlan_ban4)"
fi
check "a second apply" sg -c "$CONF" apply
as_applied "a second apply changes nothing"

# --- drift: someone deletes an own rule by hand
h=$(gw nft -a list chain inet smtpguard zone_wlan | sed -n 's/^		.* # handle \([0-9]*\)$/\1/p' | head -1)
if [ -n "$h" ] && gw nft delete rule inet smtpguard zone_wlan handle "$h"; then
	check_is 3 "apply --check: 3 after a rule of zone_wlan was deleted by hand"
	check "apply repairs the drift" sg -c "$CONF" apply
	as_applied "the repaired table is as applied"
	check_is 0 "apply --check: 0 after the repair"
else
	fail "delete an own rule by hand" "$(gw nft -a list chain inet smtpguard zone_wlan)"
fi

# --- the unit's commands, run by hand in the gateway within its capability bounding set
stop=$(unit_cmd ExecStop)
start=$(unit_cmd ExecStart)
reload=$(unit_cmd ExecReload)
# shellcheck disable=SC2086 # the unit's command line, word-split as systemd would
check "ExecStop: $stop" unit_sandbox $stop -c "$CONF"
is "$(own)" "" "ExecStop removed table inet smtpguard"
is "$(others)" "$foreign" "ExecStop kept the administrator's and docker's tables"
# shellcheck disable=SC2086
check "ExecStart: $start" unit_sandbox $start -c "$CONF"
as_applied "ExecStart applied the rules"
# shellcheck disable=SC2086
check "ExecReload: $reload" unit_sandbox $reload -c "$CONF"
as_applied "ExecReload on an applied table changes nothing"
done_testing
