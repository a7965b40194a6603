#!/bin/sh
# noise.sh - no library noise: with another tool's `owner` rules in both
# filter tables (the kernel has only revision 1 of xt_owner, libxt_owner
# also offers revision 0 per family), apply, apply --check, --dry-run,
# status and remove write nothing to stderr, and the foreign rules come
# out of apply and remove byte for byte.
# On nftables the legacy tables keep those rules (smtpguard still reads them, to find own
# rules left there) beside a foreign inet filter table, and the own table replaces the jump.
# backends: iptables nftables
. tests/lib/tap.sh
. tests/lib/netns.sh
. tests/lib/backend.sh
ns_require_root
backend_require
ns_setup || { fail "topology"; done_testing; exit 1; }
CONF="$NS_DIR/smtpguard.conf"
write_zones_config "$CONF" allow block

gw iptables-legacy -w -A OUTPUT -m owner --uid-owner 0 -j ACCEPT
gw ip6tables-legacy -w -A OUTPUT -m owner --uid-owner 0 -j ACCEPT
# Extensions the library has several revisions of, in both families.
gw iptables-legacy -w -A INPUT -p tcp --dport 22 -m conntrack --ctstate NEW -j ACCEPT
gw ip6tables-legacy -w -A INPUT -p tcp --dport 22 -m conntrack --ctstate NEW -m limit --limit 5/min -j ACCEPT
if on_nft; then nft_load_foreign; fi
before4=$(gw_save)
before6=$(gw_save6)
before=$(gw_firewall)
owner_rule='-A OUTPUT -m owner --uid-owner 0 -j ACCEPT'

# quiet "description" ARGS...: exit 0 and an empty stderr.
quiet() {
	desc=$1
	shift
	sg -c "$CONF" "$@" >"$NS_DIR/out" 2>"$NS_DIR/err"
	rc=$?
	if [ "$rc" = 0 ] && [ ! -s "$NS_DIR/err" ]; then ok "$desc"; else
		fail "$desc" "exit $rc" "$(cat "$NS_DIR/err")"; fi
}

quiet "apply --dry-run: exit 0, nothing on stderr" apply --dry-run
quiet "apply: exit 0, nothing on stderr" apply
if on_nft; then
	is "$(gw_own | grep -c 'tcp dport 25 counter jump guard')" 1 "apply: the jump of the own forward chain is in place"
else
	is "$(gw iptables-legacy -S FORWARD | sed -n 2p)" \
		"-A FORWARD -p tcp -m multiport --ports 25 -j SMTPGUARD-FWD" "apply: the IPv4 jump is in place"
fi
quiet "apply --check: exit 0, nothing on stderr" apply --check
quiet "status: exit 0, nothing on stderr" status
if on_nft; then
	skip "status: every foreign rule of both families as iptables-save prints it" \
		"nftables: status lists only the table inet smtpguard"
else
	missing=$(printf '%s\n%s\n' "$before4" "$before6" | grep '^-A' | while IFS= read -r r; do
		grep -qF -- "$r" "$NS_DIR/out" || echo "$r"; done)
	is "$missing" "" "status: every foreign rule of both families as iptables-save prints it"
fi
quiet "status --json: exit 0, nothing on stderr" status --json
is "$(gw_save | grep -c -- "$owner_rule")" 1 "apply: the IPv4 owner rule is kept"
is "$(gw_save6 | grep -c -- "$owner_rule")" 1 "apply: the IPv6 owner rule is kept"
quiet "remove: exit 0, nothing on stderr" remove
is "$(gw_save)" "$before4" "remove: the IPv4 table as before, byte for byte"
is "$(gw_save6)" "$before6" "remove: the IPv6 table as before, byte for byte"
if on_nft; then is "$(gw_firewall)" "$before" "remove: nft list ruleset as before"; fi
done_testing
