#!/bin/sh
# nft_modes.sh - the nftables backend (backend = nftables) on the real
# kernel: every mode over IPv4 and IPv6 with real SMTP beside a foreign
# inet filter table that accepts port 25 (smtpguard's drop still wins),
# counters in status, apply twice a no-op, apply --check, a rollback of
# an unconfirmed change, the refusal to switch backends with own rules
# in place, and remove leaving `nft list ruleset` as it was.  The legacy
# tables (ns_setup creates them empty) stay empty.  nft runs only inside
# the namespaces.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/tap.sh
. tests/lib/netns.sh
. tests/lib/nft.sh
nft_ns_setup
CONF="$NS_DIR/smtpguard.conf"

conf() { # conf WLAN_MODE [backend]
	write_zones_config "$CONF" allow "$1" "ban_seconds = 30"
	sed -i "s/^relays = .*/relays = 203.0.113.10, $RELAY6/; /^confirm = /a backend = ${2:-nftables}" "$CONF"
}
use_mode() {
	conf "$1"
	if out=$(sg -c "$CONF" apply 2>&1); then ok "apply mode $1"; else fail "apply mode $1" "$out"; fi
}
delivers() { if send_mail "$NS_WLAN" "$1"; then ok "$2"; else fail "$2" "swaks to $1 failed"; fi; }
refused() { if send_mail "$NS_WLAN" "$1"; then fail "$2" "swaks to $1 got through"; else ok "$2"; fi; }
delivers6() { if send_mail6 "$NS_WLAN" "$1"; then ok "$2"; else fail "$2" "swaks to $1 failed"; fi; }
refused6() { if send_mail6 "$NS_WLAN" "$1"; then fail "$2" "swaks to $1 got through"; else ok "$2"; fi; }
# Packet counter of the own rule whose text (nft, "counter" without its numbers) is $1, from status.
counter() {
	sg -c "$CONF" status | awk -v r="$1" '
		$1 == "*" { t = $0; sub(/^\* +[0-9]+ +[0-9]+  /, "", t); if (t == r) { print $2; found = 1 } }
		END { if (!found) print "missing" }'
}
table() { gw nft -s list table inet smtpguard 2>/dev/null; }

nft_load_foreign || fail "a foreign inet filter table loads"
before=$(gw nft -s list ruleset)
legacy="$(gw_save)$(gw_save6)"
foreign=$(gw nft -s list table inet filter)

# --- every mode, both families
use_mode allow
delivers 203.0.113.25 "allow: IPv4 mail passes"
delivers6 "$MX6" "allow: IPv6 mail passes"

use_mode monitor
delivers 203.0.113.25 "monitor: IPv4 mail passes"
delivers6 "$MX6" "monitor: IPv6 mail passes"

use_mode block
drop='iifname "eth2" tcp dport 25 counter drop'
c0=$(counter "$drop")
refused 203.0.113.25 "block: IPv4 mail to a foreign server is dropped despite the foreign accept"
refused6 "$MX6" "block: IPv6 mail to a foreign server is dropped"
delivers 203.0.113.10 "block: the IPv4 relay passes"
delivers6 "$RELAY6" "block: the IPv6 relay passes"
check "block: port 80 untouched" http_get "$NS_WLAN" 203.0.113.25
c1=$(counter "$drop")
if [ "$c0" != missing ] && [ "$c1" != missing ] && [ "$c1" -gt "$c0" ]; then
	ok "block: the drop counter in status rose"
else
	fail "block: the drop counter in status rose" "before $c0 after $c1"
fi
if sg -c "$CONF" status --json | grep -q '"backend": *"nftables", *"backend_reason": *"backend = nftables in the config"'; then
	ok "status --json names the backend and why"
else
	fail "status --json names the backend and why" "$(sg -c "$CONF" status --json | head -c 300)"
fi

use_mode log
refused 203.0.113.25 "log: IPv4 mail is dropped"
refused6 "$MX6" "log: IPv6 mail is dropped"
delivers 203.0.113.10 "log: the IPv4 relay passes"

use_mode rateban
delivers 203.0.113.25 "rateban: the first IPv4 connection passes"
refused 203.0.113.25 "rateban: a repeat within ban_seconds is dropped"
delivers6 "$MX6" "rateban: the first IPv6 connection passes"
refused6 "$MX6" "rateban: an IPv6 repeat is dropped"
if gw nft list set inet smtpguard wlan_ban4 | grep -q '192.0.2.66'; then
	ok "rateban: the host is in wlan_ban4"
else
	fail "rateban: the host is in wlan_ban4" "$(gw nft list set inet smtpguard wlan_ban4)"
fi

# --- bans lists the rate-ban sets' elements, unban deletes one (the next mail passes)
out=$(sg -c "$CONF" bans 2>&1)
for host in 192.0.2.66 2001:db8:2::66; do
	re=$(printf '%s' "$host" | sed 's/\./\\./g')
	if printf '%s\n' "$out" | grep -Eq "^wlan +$re +[0-9-]+ [0-9:]+ +- +[0-9]+s of 30s\$"; then
		ok "bans: $host under wlan with its time left of 30 s"
	else
		fail "bans: $host under wlan with its time left of 30 s" "$out"
	fi
done
json=$(sg -c "$CONF" bans --json)
if [ -n "$json" ] && printf '%s\n' "$json" | jq -e 'length == 2 and all(.[]; .zone == "wlan" and .ban_seconds == 30
	and .seconds_left > 0 and .seconds_left <= 30 and .hits == null)' >/dev/null; then
	ok "bans --json parses: both hosts, ban_seconds 30, seconds left"
else
	fail "bans --json parses: both hosts, ban_seconds 30, seconds left" "$json"
fi
out=$(sg -c "$CONF" unban 192.0.2.66 2>&1)
is "$out" "Removed 192.0.2.66 from 1 rate-ban list: its next connection passes." "unban 192.0.2.66"
if gw nft list set inet smtpguard wlan_ban4 | grep -q '192.0.2.66'; then
	fail "unban: 192.0.2.66 left wlan_ban4" "$(gw nft list set inet smtpguard wlan_ban4)"
else
	ok "unban: 192.0.2.66 left wlan_ban4"
fi
delivers 203.0.113.25 "unban: the next IPv4 mail passes"
refused6 "$MX6" "unban of the IPv4 host left the IPv6 ban in force"
out=$(sg -c "$CONF" unban 2001:db8:2::66 2>&1)
is "$?" 0 "unban 2001:db8:2::66: exit 0"
delivers6 "$MX6" "unban: the next IPv6 mail passes"
out=$(sg -c "$CONF" unban 192.0.2.9 2>&1)
is "$?" 1 "unban of a host in no set: exit 1"
is "$out" "smtpguard: unban: 192.0.2.9 is not in any rate-ban list (smtpguard bans lists them)" \
	"unban of a host in no set: one line"

# --- ban_prefix6 = 64: the set's key is the /64, bans shows it, unban takes the host's own address
conf rateban
sed -i 's/^ban_seconds = 30$/&\nban_prefix6 = 64/' "$CONF"
if out=$(sg -c "$CONF" apply 2>&1); then ok "apply rateban with ban_prefix6 = 64"; else
	fail "apply rateban with ban_prefix6 = 64" "$out"; fi
gw nft flush set inet smtpguard wlan_ban6
delivers6 "$MX6" "ban_prefix6 64: the first IPv6 connection passes"
refused6 "$MX6" "ban_prefix6 64: a repeat is dropped"
out=$(sg -c "$CONF" bans 2>&1)
if printf '%s\n' "$out" | grep -Eq '^wlan +2001:db8:2::/64 '; then ok "bans: the banned /64 is shown as a prefix"; else
	fail "bans: the banned /64 is shown as a prefix" "$out"; fi
out=$(sg -c "$CONF" unban 2001:db8:2::66 2>&1)
is "$?" 0 "unban of the host's own address in a banned /64: exit 0"
if gw nft list set inet smtpguard wlan_ban6 | grep -q 'elements'; then
	fail "unban: the /64 left wlan_ban6" "$(gw nft list set inet smtpguard wlan_ban6)"
else
	ok "unban: the /64 left wlan_ban6"
fi
delivers6 "$MX6" "unban: the next IPv6 mail from the /64 passes"
is "$(gw nft -s list table inet filter)" "$foreign" "the foreign table is unchanged after every mode"

# --- apply twice changes nothing (not even the counters: no commit)
use_mode block
t1=$(gw nft list table inet smtpguard)
out=$(sg -c "$CONF" apply 2>&1)
is "$out" "The kernel's rules already match $CONF: nothing changed." "apply again: nothing changed"
is "$(gw nft list table inet smtpguard)" "$t1" "apply again: the table and its counters are as they were"

# --- apply --check
sg -c "$CONF" apply --check >/dev/null 2>&1
is "$?" 0 "apply --check: in step, exit 0"
conf monitor
sg -c "$CONF" apply --check >/dev/null 2>&1
is "$?" 3 "apply --check: the config changed, exit 3"
is "$(table)" "$(printf '%s\n' "$t1" | sed 's/ counter packets [0-9]* bytes [0-9]*/ counter/')" \
	"apply --check changed nothing"

# --- an unconfirmed change rolls back to the previous table (one transaction)
block_table=$(table)
out=$(sg -c "$CONF" apply --confirm 2 </dev/null 2>&1)
is "$?" 0 "apply --confirm 2 applies"
if [ "$(table)" != "$block_table" ]; then ok "the monitor table is in place"; else
	fail "the monitor table is in place" "$out"; fi
rolled_back() { [ "$(table)" = "$block_table" ]; }
# bounded: the 2 s deadline plus 10 s for the watchdog's first try
if wait_until 12 rolled_back; then ok "not confirmed: the block table is back"; else
	fail "not confirmed: the block table is back" "$(table)"; fi

# --- switching backends with own rules present refuses
conf block iptables
out=$(sg -c "$CONF" apply 2>&1)
is "$?" 1 "backend = iptables with the nft table present: exit 1"
if printf '%s\n' "$out" | grep -q "own rules exist in nftables (table inet smtpguard); run .smtpguard remove. with backend = nftables first"; then
	ok "the refusal names what to run"
else
	fail "the refusal names what to run" "$out"
fi
is "$(gw_save)$(gw_save6)" "$legacy" "the refused apply left the legacy tables empty"

# --- remove
conf block
out=$(sg -c "$CONF" remove 2>&1)
is "$?" 0 "remove: exit 0"
check "remove: the table is gone" sh -c "! ip netns exec $NS_GW nft list table inet smtpguard >/dev/null 2>&1"
is "$(gw nft -s list ruleset)" "$before" "remove: nft list ruleset as before the first apply"
is "$(gw_save)$(gw_save6)" "$legacy" "the legacy tables stayed empty throughout"
done_testing
