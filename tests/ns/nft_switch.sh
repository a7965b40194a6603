#!/bin/sh
# nft_switch.sh - the switch back from nftables to iptables, as the README
# promises it: with smtpguard's table inet smtpguard in place and the
# config now saying backend = iptables, apply (plain and --confirm) is
# refused with exit 1 and one line saying what to run, nothing changes
# (nft list ruleset, the legacy tables, mail still dropped); remove with
# the iptables config leaves the nft table alone; after the command the
# line names, apply with iptables works (legacy rules, real SMTP dropped
# in both families) and nftables is as before the first apply.  Then the
# refusal the other way names the legacy tables.  nft runs only inside
# the namespaces.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/tap.sh
. tests/lib/netns.sh
. tests/lib/nft.sh
nft_ns_setup
CONF="$NS_DIR/smtpguard.conf"

conf() { # conf BACKEND
	write_zones_config "$CONF" allow block
	sed -i "/^backend = /d; s/^relays = .*/relays = 203.0.113.10, $RELAY6/; /^confirm = /a backend = $1" "$CONF"
}
dropped() { # dropped "description": mail from the WLAN to a foreign server fails in both families
	if send_mail "$NS_WLAN" 203.0.113.25; then fail "$1 (IPv4)" "swaks got through"; else ok "$1 (IPv4)"; fi
	if send_mail6 "$NS_WLAN" "$MX6"; then fail "$1 (IPv6)" "swaks got through"; else ok "$1 (IPv6)"; fi
}
state() { gw nft -s list ruleset; gw_save; gw_save6; }
legacy_own() { { gw_save; gw_save6; } | grep -c SMTPGUARD; }

nft_load_foreign || fail "a foreign inet filter table loads"
nft_before=$(gw nft -s list ruleset)
legacy_before="$(gw_save)$(gw_save6)"

# --- smtpguard on nftables
conf nftables
if out=$(sg -c "$CONF" apply 2>&1); then ok "apply with backend = nftables"; else
	fail "apply with backend = nftables" "$out"; fi
dropped "nftables: mail to a foreign server is dropped"
applied=$(state)

# --- the config now says iptables: refused, in one line, nothing changed
conf iptables
want="smtpguard: own rules exist in nftables (table inet smtpguard); run \`smtpguard remove\` with backend = nftables first"
for how in "apply" "apply --confirm 2"; do
	# shellcheck disable=SC2086 # the subcommand and its option
	out=$(sg -c "$CONF" $how </dev/null 2>&1)
	is "$?" 1 "backend = iptables, own table in nftables: $how exits 1"
	is "$out" "$want" "$how: one line saying what to run"
	is "$(state)" "$applied" "$how: nftables and the legacy tables are unchanged"
	check "$how: no change is pending (no watchdog armed)" test ! -e "$SMTPGUARD_RUN_DIR/pending"
done
dropped "after the refusals: mail is still dropped"

# remove with the iptables config has nothing of its own to remove there; the nft table stays
out=$(sg -c "$CONF" remove 2>&1)
rc=$?
is "$(state)" "$applied" "remove with backend = iptables leaves the nftables table and the legacy tables"
is "$rc:$out" "1:smtpguard: remove: no smtpguard rules in iptables-legacy (the config's backend); own rules exist in nftables (table inet smtpguard); run \`smtpguard remove\` with backend = nftables first" \
	"remove with backend = iptables: exit 1, says where the rules are, not that there is nothing to remove"

# --- what the line says, then the switch
conf nftables
if out=$(sg -c "$CONF" remove 2>&1); then ok "remove with backend = nftables"; else
	fail "remove with backend = nftables" "$out"; fi
is "$(gw nft -s list ruleset)" "$nft_before" "after remove: nft list ruleset as before the first apply"
conf iptables
if out=$(sg -c "$CONF" apply 2>&1); then ok "now apply with backend = iptables works"; else
	fail "now apply with backend = iptables works" "$out"; fi
if [ "$(legacy_own)" -gt 0 ]; then ok "the own rules are in the legacy tables"; else
	fail "the own rules are in the legacy tables" "$(gw_save)"; fi
if sg -c "$CONF" status --json 2>/dev/null | grep -q '"backend": *"iptables-legacy", *"backend_reason": *"backend = iptables in the config"'; then
	ok "status --json: iptables-legacy, and why"
else
	fail "status --json: iptables-legacy, and why" "$(sg -c "$CONF" status --json 2>/dev/null | head -c 300)"
fi
dropped "iptables: mail to a foreign server is dropped"
is "$(gw nft -s list ruleset)" "$nft_before" "nftables stays as before the first apply"

# --- and the refusal the other way names the legacy tables
switched=$(state)
conf nftables
out=$(sg -c "$CONF" apply 2>&1)
is "$?" 1 "backend = nftables, own rules in the legacy tables: apply exits 1"
is "$out" "smtpguard: own rules exist in the legacy iptables tables; run \`smtpguard remove\` with backend = iptables first" \
	"the refusal names the legacy tables and what to run"
is "$(state)" "$switched" "the refused apply changed nothing"

conf iptables
sg -c "$CONF" remove >/dev/null 2>&1
is "$(gw_save)$(gw_save6)" "$legacy_before" "finally removed: the legacy tables as before"
done_testing
