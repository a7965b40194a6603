#!/bin/sh
# ownership.sh - rules of others under the SMTPGUARD- prefix: an admin's
# own chain (SMTPGUARD-LOCAL) and its jump are left alone; a foreign
# jump into one of smtpguard's chains is left in place while the chain
# stays, and a change that would delete that chain (remove, or a config
# without it) is refused with one line naming the rule, exit 1, both
# tables unchanged.  iptables-legacy-save is the oracle.
# backends: iptables (chains of others under the SMTPGUARD- prefix and jumps into the own chains
# are xtables things: on nftables the own table inet smtpguard is smtpguard's alone, and no other
# table can jump into it; nft_conflict.sh covers changes others make inside it)
. tests/lib/tap.sh
. tests/lib/netns.sh
ns_require_root
ns_setup || { fail "topology"; done_testing; exit 1; }
CONF="$NS_DIR/smtpguard.conf"
ALLOW="$NS_DIR/allow.conf"
write_zones_config "$CONF" allow block
write_zones_config "$ALLOW" allow allow

# run ARGS...: smtpguard with the config; sets rc, out (stdout) and err (stderr).
run() {
	sg "$@" >"$NS_DIR/out" 2>"$NS_DIR/err"
	rc=$?
	out=$(cat "$NS_DIR/out")
	err=$(cat "$NS_DIR/err")
}

# applied "description" ARGS...: exit 0, nothing on stderr.
applied() {
	desc=$1
	shift
	run "$@"
	if [ "$rc" = 0 ] && [ -z "$err" ]; then ok "$desc"; else fail "$desc" "exit $rc" "$err"; fi
}

# refused "description" RULE CHAIN ARGS...: exit 1, one stderr line naming RULE and CHAIN
# with what to do, and both tables as they were.
refused() {
	desc=$1 rule=$2 chain=$3
	shift 3
	b4=$(gw_save)
	b6=$(gw_save6)
	run "$@"
	is "$rc" 1 "$desc: exit 1"
	case $err in
	*"$rule"*"$chain"*"delete that rule"*) ok "$desc: the error names the rule, the chain and what to do" ;;
	*) fail "$desc: the error names the rule, the chain and what to do" "$err" ;;
	esac
	is "$(printf '%s\n' "$err" | wc -l)" 1 "$desc: one line"
	is "$(gw_save)" "$b4" "$desc: the IPv4 table is unchanged"
	is "$(gw_save6)" "$b6" "$desc: the IPv6 table is unchanged"
}

# --- an admin chain under the prefix, which smtpguard never creates: left alone
gw iptables-legacy -w -N SMTPGUARD-LOCAL
gw iptables-legacy -w -A SMTPGUARD-LOCAL -s 198.51.100.99/32 -j DROP
gw iptables-legacy -w -A INPUT -p tcp --dport 22 -j SMTPGUARD-LOCAL
before4=$(gw_save)
before6=$(gw_save6)
applied "apply with an admin chain SMTPGUARD-LOCAL" -c "$CONF" apply
is "$(gw iptables-legacy -S SMTPGUARD-LOCAL 2>&1)" "-N SMTPGUARD-LOCAL
-A SMTPGUARD-LOCAL -s 198.51.100.99/32 -j DROP" "apply: SMTPGUARD-LOCAL and its rule are kept"
is "$(gw iptables-legacy -S INPUT | grep -c -- '-j SMTPGUARD-LOCAL')" 1 "apply: the jump to SMTPGUARD-LOCAL is kept"
run -c "$CONF" status
if printf '%s\n' "$out" | grep -q '^\*.*SMTPGUARD-LOCAL'; then
	fail "status: the admin's rules are not marked as smtpguard's" "$out"
else ok "status: the admin's rules are not marked as smtpguard's"; fi
applied "remove with an admin chain SMTPGUARD-LOCAL" -c "$CONF" remove
is "$(gw_save)" "$before4" "remove: the IPv4 table as before apply, SMTPGUARD-LOCAL included"
is "$(gw_save6)" "$before6" "remove: the IPv6 table as before apply"
gw iptables-legacy -w -D INPUT -p tcp --dport 22 -j SMTPGUARD-LOCAL
gw iptables-legacy -w -F SMTPGUARD-LOCAL
gw iptables-legacy -w -X SMTPGUARD-LOCAL

# --- a second jump into SMTPGUARD-FWD from FORWARD, and one from INPUT
applied "apply" -c "$CONF" apply
fwd9='-A FORWARD -i eth9 -j SMTPGUARD-FWD'
in_fwd='-A INPUT -j SMTPGUARD-FWD'
gw iptables-legacy -w -A FORWARD -i eth9 -j SMTPGUARD-FWD
gw iptables-legacy -w -A INPUT -j SMTPGUARD-FWD
applied "apply again with the admin's jumps into SMTPGUARD-FWD" -c "$CONF" apply
is "$(gw iptables-legacy -S | grep -c -x -e "$fwd9" -e "$in_fwd")" 2 "apply: both admin jumps are kept"
is "$(gw iptables-legacy -S FORWARD | sed -n 2p)" \
	"-A FORWARD -p tcp -m multiport --ports 25 -j SMTPGUARD-FWD" "apply: smtpguard's own jump is rule 1"
refused "remove with a foreign INPUT jump" "$in_fwd" SMTPGUARD-FWD -c "$CONF" remove
gw iptables-legacy -w -D INPUT -j SMTPGUARD-FWD
refused "a config without SMTPGUARD-FWD, with a foreign FORWARD jump" "$fwd9" SMTPGUARD-FWD -c "$ALLOW" apply
gw iptables-legacy -w -D FORWARD -i eth9 -j SMTPGUARD-FWD

# --- a foreign user chain jumping into an own chain, and an IPv6 jump
applied "apply after the refusals" -c "$CONF" apply
gw iptables-legacy -w -N ADMIN
gw iptables-legacy -w -A ADMIN -j SMTPGUARD-FWD
run -c "$CONF" apply --confirm 30 </dev/null
if [ "$rc" = 0 ] && [ -z "$err" ]; then ok "apply --confirm with a foreign chain jumping into SMTPGUARD-FWD"; else
	fail "apply --confirm with a foreign chain jumping into SMTPGUARD-FWD" "exit $rc" "$err"; fi
applied "confirm" confirm
refused "remove with a foreign chain's jump" "-A ADMIN -j SMTPGUARD-FWD" SMTPGUARD-FWD -c "$CONF" remove
gw iptables-legacy -w -F ADMIN
gw iptables-legacy -w -X ADMIN
gw ip6tables-legacy -w -A INPUT -j SMTPGUARD-wlan
refused "remove with a foreign IPv6 jump into SMTPGUARD-wlan" "-A INPUT -j SMTPGUARD-wlan" SMTPGUARD-wlan \
	-c "$CONF" remove
case $err in
IPv6*|*"IPv6 rule"*) ok "the refusal says the rule is in the IPv6 table" ;;
*) fail "the refusal says the rule is in the IPv6 table" "$err" ;;
esac
gw ip6tables-legacy -w -D INPUT -j SMTPGUARD-wlan
applied "remove once the foreign rules are gone" -c "$CONF" remove
is "$(gw_save | grep -c SMTPGUARD)" 0 "remove: no SMTPGUARD rule or chain left (IPv4)"
is "$(gw_save6 | grep -c SMTPGUARD)" 0 "remove: no SMTPGUARD rule or chain left (IPv6)"
done_testing
