#!/bin/sh
# wildcard.sh - iptables' interface wildcard ("ppp+", "wg+") on the real
# kernel: the gateway's WAN link is renamed ppp0 and its WLAN link wg0,
# the config names them `wan = ppp+` and `interface = wg+`, and the block
# mode must really drop (swaks, counters), show as -o ppp+ / -i wg+ in
# iptables-legacy-save, be in step for apply --check, change nothing on a
# second apply, and leave the table as before on remove.  On nftables
# the wildcard is nft's prefix match: iifname "wg*" / oifname "ppp*" in
# `nft list table inet smtpguard`.
# backends: iptables nftables
. tests/lib/tap.sh
. tests/lib/netns.sh
. tests/lib/backend.sh
ns_require_root
backend_require
ns_setup || { fail "topology"; done_testing; exit 1; }
CONF="$NS_DIR/smtpguard.conf"

# Rename a gateway link; keep its addresses and put the routes a down link loses back.
gw_rename() { # gw_rename OLD NEW
	gw sysctl -qw "net.ipv6.conf.$1.keep_addr_on_down=1" &&
		gw ip link set "$1" down && gw ip link set "$1" name "$2" && gw ip link set "$2" up
}
{ gw_rename eth0 ppp0 && gw_rename eth2 wg0 &&
	gw ip route replace default via 198.51.100.2 &&
	gw ip -6 route replace default via 2001:db8:100::2 &&
	ns_start_servers; } || { fail "topology with ppp0 and wg0"; done_testing; exit 1; }

write_config "$CONF" "[zone lan]
interface = eth1
mode = allow

[zone wlan]
interface = wg+
mode = block"
sed -i 's/^wan = .*/wan = ppp+/; s/^relays = .*/relays = 203.0.113.10, 2001:db8:113::10/' "$CONF"
before=$(gw_firewall)

# Packet counter of the own rule ("*" IPv4, "*6" IPv6; on nftables "*" counts both families)
# whose text is $2, from `smtpguard status`.
counter() { # counter MARK RULE
	sg -c "$CONF" status | awk -v m="$1" -v r="$2" '
		$1 == m { t = $0; sub(/^\*6? +[0-9]+ +[0-9]+  /, "", t); if (t == r) { print $2; found = 1 } }
		END { if (!found) print "missing" }'
}

# The path works before any rule: otherwise every "dropped" below would prove nothing.
check "no rules: WLAN reaches the mail server over ppp0" send_mail "$NS_WLAN" 203.0.113.25
check "no rules: WLAN reaches the mail server over IPv6" send_mail6 "$NS_WLAN" "$MX6"

if out=$(sg -c "$CONF" apply 2>&1); then ok "apply wan = ppp+, interface = wg+"; else
	fail "apply wan = ppp+, interface = wg+" "$out"; fi
case $out in *"does not exist"*) fail "no warning: ppp0 and wg0 match the wildcards" "$out" ;;
*) ok "no warning: ppp0 and wg0 match the wildcards" ;; esac

if on_nft; then
	drop='iifname "wg*" tcp dport 25 counter drop'
	dispatch='iifname "wg*" oifname "ppp*" counter jump zone_wlan'
	mark6='*'
	case $(gw_own) in *"$dispatch"*"$drop"*) ok "nft list table inet smtpguard shows the prefix matches wg* and ppp*" ;;
	*) fail "nft list table inet smtpguard shows the prefix matches wg* and ppp*" "$(gw_own)" ;; esac
	skip "ip6tables-legacy-save shows -i wg+ -o ppp+" "nftables: one table for both families (above)"
	for f in iptables ip6tables; do
		skip "$f-legacy -C finds the entry $f builds for -i wg+ -o ppp+" "nftables: no xtables entry"
	done
else
	drop='-A SMTPGUARD-wlan -i wg+ -p tcp -m tcp --dport 25 -j DROP'
	dispatch='-A SMTPGUARD-FWD -i wg+ -o ppp+ -j SMTPGUARD-wlan'
	mark6='*6'
	case $(gw_save) in *"$dispatch"*"$drop"*) ok "iptables-legacy-save shows -i wg+ -o ppp+" ;;
	*) fail "iptables-legacy-save shows -i wg+ -o ppp+" "$(gw_save)" ;; esac
	case $(gw_save6) in *"$dispatch"*"$drop"*) ok "ip6tables-legacy-save shows -i wg+ -o ppp+" ;;
	*) fail "ip6tables-legacy-save shows -i wg+ -o ppp+" "$(gw_save6)" ;; esac

	# iptables -C compares the whole kernel entry, masks included: ours is the one iptables builds.
	check "iptables-legacy -C finds the entry iptables builds for -i wg+ -o ppp+" \
		gw iptables-legacy -w -C SMTPGUARD-FWD -i wg+ -o ppp+ -j SMTPGUARD-wlan
	check "ip6tables-legacy -C finds the entry ip6tables builds for -i wg+ -o ppp+" \
		gw ip6tables-legacy -w -C SMTPGUARD-FWD -i wg+ -o ppp+ -j SMTPGUARD-wlan
fi
roles=$(sg -c "$CONF" status | awk '$1 == "ppp0" || $1 == "wg0" { print $1, $2 }' | tr '\n' ' ')
is "$roles" "ppp0 wan wg0 wlan " "status: ppp0 has the role wan, wg0 the zone wlan"

c0=$(counter '*' "$drop")
if send_mail "$NS_WLAN" 203.0.113.25; then fail "block through ppp+: WLAN mail is dropped"; else
	ok "block through ppp+: WLAN mail is dropped"; fi
c1=$(counter '*' "$drop")
if [ "$c0" != missing ] && [ "$c1" != missing ] && [ "$c1" -gt "$c0" ]; then
	ok "block through ppp+: the drop counter rose"
else
	fail "block through ppp+: the drop counter rose" "before $c0 after $c1"
fi
check "block through ppp+: the relay still works" send_mail "$NS_WLAN" 203.0.113.10
check "block through ppp+: the LAN (allow) still sends" send_mail "$NS_LAN" 203.0.113.25
if send_mail6 "$NS_WLAN" "$MX6"; then fail "block through ppp+: WLAN mail over IPv6 is dropped"; else
	ok "block through ppp+: WLAN mail over IPv6 is dropped"; fi
c6=$(counter "$mark6" "$drop")
if on_nft; then c6min=$c1; else c6min=0; fi
if [ "$c6" != missing ] && [ "$c6" -gt "$c6min" ]; then ok "block through ppp+: the IPv6 drop counter rose"; else
	fail "block through ppp+: the IPv6 drop counter rose" "counter $c6, was $c6min"; fi
if on_nft; then c1=$c6; fi

if out=$(sg -c "$CONF" apply --check 2>&1); then ok "apply --check: in step"; else
	fail "apply --check: in step" "$out"; fi
case $(sg -c "$CONF" status 2>&1) in *"$dispatch"*) ok "status shows the wildcard rule" ;;
*) fail "status shows the wildcard rule" "$(sg -c "$CONF" status 2>&1)" ;; esac
if on_nft; then format=nft; else format=restore; fi
case $(sg -c "$CONF" export --format "$format" 2>&1) in *"$dispatch"*) ok "export shows the wildcard rule" ;;
*) fail "export shows the wildcard rule" ;; esac
out=$(sg -c "$CONF" apply 2>&1)
case $out in *"nothing changed"*) ok "applying again changes nothing" ;;
*) fail "applying again changes nothing" "$out" ;; esac
is "$(counter '*' "$drop")" "$c1" "counters kept by the second apply"

out=$(sg -c "$CONF" remove 2>&1) || fail "remove" "$out"
is "$(gw_firewall)" "$before" "remove: the firewall (both families) as before"
check "after remove: WLAN mail passes again" send_mail "$NS_WLAN" 203.0.113.25
done_testing
