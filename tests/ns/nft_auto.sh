#!/bin/sh
# nft_auto.sh - a gateway whose `iptables` is iptables-nft with empty
# legacy tables, config without a backend key (auto): every command
# that is done on nftables works there without naming the backend:
# apply (status says nftables and why), apply --check, apply --confirm
# and confirm, export --format nft (the applied table), bans and unban
# (rateban, both families), remove (nft list ruleset as before); metrics
# says in one line that it is not done yet.  The legacy tables stay
# empty, and sixteen other (empty) tables listed first do not hide
# smtpguard's own from auto.  nft runs only inside the namespaces.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/tap.sh
. tests/lib/netns.sh
. tests/lib/nft.sh
nft_ns_setup
CONF="$NS_DIR/smtpguard.conf"
ln -sf /usr/sbin/iptables-nft "$SMTPGUARD_ALTERNATIVES/iptables"

conf() { # conf WLAN_MODE: no backend key
	write_zones_config "$CONF" allow "$1" "ban_seconds = 30"
	sed -i "s/^relays = .*/relays = 203.0.113.10, $RELAY6/" "$CONF"
}
table() { gw nft -s list table inet smtpguard 2>/dev/null; }
pending_gone() { [ ! -f "$SMTPGUARD_RUN_DIR/pending" ]; }

conf block
# sixteen empty tables listed before smtpguard's: auto finds its own table past them
for i in 01 02 03 04 05 06 07 08 09 10 11 12 13 14 15 16; do gw nft add table ip "sgx$i"; done
before=$(gw nft -s list ruleset)
if sg -c "$CONF" status --json 2>/dev/null | grep -q '"backend_reason": *"auto: iptables is iptables-nft and the legacy tables are empty"'; then
	ok "before apply: auto picks nftables for iptables-nft with empty legacy tables"
else
	fail "before apply: auto picks nftables for iptables-nft with empty legacy tables"
fi
legacy="$(gw_save)$(gw_save6)"

out=$(sg -c "$CONF" apply 2>&1)
is "$?" 0 "apply with backend = auto: exit 0"
if table | grep -q 'chain forward'; then ok "apply wrote table inet smtpguard"; else
	fail "apply wrote table inet smtpguard" "$out"; fi
is "$(gw_save)$(gw_save6)" "$legacy" "apply left the legacy tables empty"
if send_mail "$NS_WLAN" 203.0.113.25; then fail "block: IPv4 mail is dropped"; else ok "block: IPv4 mail is dropped"; fi
# once applied, the reason is smtpguard's own table, not "the host's rules are in nftables"
if sg -c "$CONF" status --json | grep -q '"backend": *"nftables", *"backend_reason": *"auto: smtpguard.s table inet smtpguard is in nftables"'; then
	ok "status --json: nftables, and why"
else
	fail "status --json: nftables, and why" "$(sg -c "$CONF" status --json | head -c 300)"
fi
sg -c "$CONF" apply --check >/dev/null 2>&1
is "$?" 0 "apply --check: in step, exit 0"

# export --format nft is the applied table (block mode: no set holds elements)
if sg -c "$CONF" export --format nft >"$NS_DIR/export.nft" 2>"$NS_DIR/err"; then
	is "$(cat "$NS_DIR/export.nft")" "$(table)" "export --format nft is the table as the kernel lists it"
else
	fail "export --format nft is the table as the kernel lists it" "$(cat "$NS_DIR/err")"
fi

# --- apply --confirm, then confirm: the change stays once the watchdog is gone
block_table=$(table)
conf rateban
out=$(sg -c "$CONF" apply --confirm 3 </dev/null 2>&1)
is "$?" 0 "apply --confirm 3 applies"
out=$(sg confirm 2>&1)
is "$?" 0 "confirm: exit 0"
# bounded: the watchdog stands down at once; a rollback could only come from a pending change
if wait_until 6 pending_gone; then ok "confirm: nothing is pending any more"; else
	fail "confirm: nothing is pending any more" "$out"; fi
if [ "$(table)" != "$block_table" ] && table | grep -q 'set wlan_ban4'; then
	ok "confirm: the rateban table stays"
else
	fail "confirm: the rateban table stays" "$(table)"
fi

# --- bans and unban
send_mail "$NS_WLAN" 203.0.113.25 >/dev/null 2>&1
send_mail6 "$NS_WLAN" "$MX6" >/dev/null 2>&1
out=$(sg -c "$CONF" bans 2>&1)
if printf '%s\n' "$out" | grep -Eq '^wlan +192\.0\.2\.66 ' && printf '%s\n' "$out" | grep -Eq '^wlan +2001:db8:2::66 '; then
	ok "bans: both hosts under wlan"
else
	fail "bans: both hosts under wlan" "$out"
fi
# metrics on the backend auto found: the two bans, no drift (never an "edited by hand?" error)
out=$(sg -c "$CONF" metrics 2>&1)
is "$?" 0 "metrics on nftables: exit 0"
case $out in
*'smtpguard_banned_hosts{zone="wlan"} 2'*'smtpguard_drift 0'*) ok "metrics on nftables: 2 banned hosts in wlan, drift 0" ;;
*) fail "metrics on nftables: 2 banned hosts in wlan, drift 0" "$out" ;;
esac
out=$(sg -c "$CONF" unban 192.0.2.66 2>&1)
is "$?" 0 "unban 192.0.2.66: exit 0"
if send_mail "$NS_WLAN" 203.0.113.25; then ok "unban: the next IPv4 mail passes"; else
	fail "unban: the next IPv4 mail passes"; fi

# --- remove
out=$(sg -c "$CONF" remove 2>&1)
is "$?" 0 "remove: exit 0"
is "$(gw nft -s list ruleset)" "$before" "remove: nft list ruleset as before the first apply"
is "$(gw_save)$(gw_save6)" "$legacy" "the legacy tables stayed empty throughout"
done_testing
