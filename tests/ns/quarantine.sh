#!/bin/sh
# quarantine.sh - a quarantined host loses every forwarded packet, not only
# its traffic to the WAN: the WLAN host cannot reach the LAN host's ports
# 25 and 80 (nor the LAN it) over IPv4 and IPv6, an unquarantined address
# of the same zone still can, and a quarantine by MAC holds when the host
# takes another free address of its subnet.  On nftables the oracle is
# `nft list table inet smtpguard`: the chain guard's drops on the sets
# wlan_quar4/wlan_quar6/wlan_quarmac and their elements.
# backends: iptables nftables
. tests/lib/tap.sh
. tests/lib/netns.sh
. tests/lib/backend.sh
ns_require_root
backend_require
ns_setup || { fail "topology"; done_testing; exit 1; }
CONF="$NS_DIR/smtpguard.conf"
LAN6=2001:db8:1::2
WLAN_MAC=00:02:2d:11:22:33	# eth0 of the wlan namespace (netns.sh)

# Listeners on the LAN host (ports 25 and 80, both families) and on the WLAN host (port 80).
listen() { # listen NS NAME SOCAT_ADDRESS
	ns_exec "$1" socat "$3,reuseaddr,fork" SYSTEM:true >/dev/null 2>&1 &
	echo $! >"$NS_DIR/$2.pid"
}
for p in 25 80; do
	listen "$NS_LAN" "lan4-$p" "TCP4-LISTEN:$p,bind=192.0.2.2"
	listen "$NS_LAN" "lan6-$p" "TCP6-LISTEN:$p,bind=[$LAN6],ipv6only=1"
done
listen "$NS_WLAN" wlan4-80 "TCP4-LISTEN:80,bind=192.0.2.66"
wlan ip addr add 192.0.2.67/26 dev eth0
wlan ip addr add 2001:db8:2::67/64 dev eth0 nodad
for p in 25 80; do
	ns_wait_connect "$NS_WLAN" TCP4 192.0.2.2 "$p" && ns_wait_connect "$NS_WLAN" TCP6 "[$LAN6]" "$p" ||
		{ fail "listeners on the LAN host"; done_testing; exit 1; }
done
ns_wait_connect "$NS_LAN" TCP4 192.0.2.66 80 || { fail "listener on the WLAN host"; done_testing; exit 1; }

# One connection attempt from FROM_NS (source SRC when given): 0 when it is established.
# A dropped SYN fails after the 1 s connect timeout.
reach() { # reach FROM_NS TCP4|TCP6 ADDR PORT [SRC]
	ns_exec "$1" socat -T1 /dev/null "$2:$3:$4,connect-timeout=1${5:+,bind=$5}" >/dev/null 2>&1
}
cut_off() { # cut_off "description" reach-args...
	desc=$1
	shift
	if reach "$@"; then fail "$desc" "connected: $*"; else ok "$desc"; fi
}
reaches() { # reaches "description" reach-args...
	desc=$1
	shift
	if reach "$@"; then ok "$desc"; else fail "$desc" "no connection: $*"; fi
}
use_quarantine() { # use_quarantine LIST
	write_zones_config "$CONF" allow allow "quarantine = $1"
	if out=$(sg -c "$CONF" apply 2>&1); then ok "apply quarantine = $1"; else
		fail "apply quarantine = $1" "$out"; fi
}
before=$(gw_firewall)

# --- by address: the host is cut off from the LAN too, in both families and both directions
use_quarantine "192.0.2.66, 2001:db8:2::66"
cut_off "address: the quarantined host cannot reach the LAN host's port 25" "$NS_WLAN" TCP4 192.0.2.2 25 192.0.2.66
cut_off "address: nor its port 80" "$NS_WLAN" TCP4 192.0.2.2 80 192.0.2.66
cut_off "address: nor port 25 over IPv6" "$NS_WLAN" TCP6 "[$LAN6]" 25 "[2001:db8:2::66]"
cut_off "address: nor port 80 over IPv6" "$NS_WLAN" TCP6 "[$LAN6]" 80 "[2001:db8:2::66]"
cut_off "address: the LAN host cannot reach the quarantined host" "$NS_LAN" TCP4 192.0.2.66 80
reaches "control: an unquarantined address of the zone reaches the LAN host's port 25" \
	"$NS_WLAN" TCP4 192.0.2.2 25 192.0.2.67
reaches "control: ... and over IPv6" "$NS_WLAN" TCP6 "[$LAN6]" 25 "[2001:db8:2::67]"
if on_nft; then
	t=$(gw_own)
	q4=$(gw nft list set inet smtpguard wlan_quar4)
	q6=$(gw nft list set inet smtpguard wlan_quar6)
	case $t in *'iifname "eth2" ip saddr @wlan_quar4 counter drop'*'oifname "eth2" ip daddr @wlan_quar4 counter drop'*'iifname "eth2" ip6 saddr @wlan_quar6 counter drop'*'oifname "eth2" ip6 daddr @wlan_quar6 counter drop'*)
		case $q4$q6 in *"elements = { 192.0.2.66 }"*"elements = { 2001:db8:2::66 }"*)
			ok "address: nft shows both DROP rules per family on the quarantine sets, which hold the host" ;;
		*) fail "address: nft shows both DROP rules per family on the quarantine sets, which hold the host" "$q4" "$q6" ;; esac ;;
	*) fail "address: nft shows both DROP rules per family on the quarantine sets, which hold the host" "$t" ;; esac
	if gw nft list chain inet smtpguard forward | grep -q '^[[:space:]]*counter packets [0-9]* bytes [0-9]* jump guard$'; then
		ok "address: the forward jump has no port restriction"
	else
		fail "address: the forward jump has no port restriction" "$(gw nft list chain inet smtpguard forward)"
	fi
else
	case $(gw_save) in *"-A SMTPGUARD-FWD -s 192.0.2.66/32 -i eth2 -j DROP"*"-A SMTPGUARD-FWD -d 192.0.2.66/32 -o eth2 -j DROP"*)
		ok "address: iptables-legacy-save shows both DROP rules in SMTPGUARD-FWD" ;;
	*) fail "address: iptables-legacy-save shows both DROP rules in SMTPGUARD-FWD" "$(gw_save)" ;; esac
	case $(gw iptables-legacy -S FORWARD | sed -n 2p) in "-A FORWARD -j SMTPGUARD-FWD")
		ok "address: the FORWARD jump has no port restriction" ;;
	*) fail "address: the FORWARD jump has no port restriction" "$(gw iptables-legacy -S FORWARD)" ;; esac
fi

# --- by MAC: the host takes another free address of its subnet and is still cut off
wlan ip addr add 192.0.2.70/26 dev eth0
use_quarantine "00:02:2d:11:22:99"
reaches "control: another MAC quarantined, the host at its new address reaches the LAN" \
	"$NS_WLAN" TCP4 192.0.2.2 25 192.0.2.70
use_quarantine "$WLAN_MAC"
cut_off "MAC: at its new address the host cannot reach the LAN host's port 25" "$NS_WLAN" TCP4 192.0.2.2 25 192.0.2.70
cut_off "MAC: nor its port 80" "$NS_WLAN" TCP4 192.0.2.2 80 192.0.2.70
cut_off "MAC: nor port 25 over IPv6 from another address" "$NS_WLAN" TCP6 "[$LAN6]" 25 "[2001:db8:2::67]"
cut_off "MAC: the LAN host's connection to it never completes" "$NS_LAN" TCP4 192.0.2.66 80
if on_nft; then
	case $(gw_own) in *'iifname "eth2" ether saddr @wlan_quarmac counter drop'*)
		case $(gw nft list set inet smtpguard wlan_quarmac) in *"elements = { $WLAN_MAC }"*)
			ok "MAC: nft shows the MAC rule and the set wlan_quarmac holds the MAC" ;;
		*) fail "MAC: nft shows the MAC rule and the set wlan_quarmac holds the MAC" \
			"$(gw nft list set inet smtpguard wlan_quarmac)" ;; esac ;;
	*) fail "MAC: nft shows the MAC rule and the set wlan_quarmac holds the MAC" "$(gw_own)" ;; esac
	skip "MAC: ip6tables-legacy-save shows it too" "nftables: one rule of the table inet serves both families"
else
	rule="-A SMTPGUARD-FWD -i eth2 -m mac --mac-source $WLAN_MAC -j DROP"
	case $(gw_save) in *"$rule"*) ok "MAC: iptables-legacy-save shows the MAC rule" ;;
	*) fail "MAC: iptables-legacy-save shows the MAC rule" "$(gw_save)" ;; esac
	case $(gw_save6) in *"$rule"*) ok "MAC: ip6tables-legacy-save shows it too" ;;
	*) fail "MAC: ip6tables-legacy-save shows it too" "$(gw_save6)" ;; esac
fi
if out=$(sg -c "$CONF" apply --check 2>&1); then ok "MAC: apply --check is in step"; else
	fail "MAC: apply --check is in step" "$out"; fi
case $(sg -c "$CONF" apply 2>&1) in *"nothing changed"*) ok "MAC: applying again changes nothing" ;;
*) fail "MAC: applying again changes nothing" ;; esac

# --- lifted: the host works again and the table is as before
out=$(sg -c "$CONF" remove 2>&1) || fail "remove" "$out"
reaches "after remove: the host reaches the LAN host again" "$NS_WLAN" TCP4 192.0.2.2 25 192.0.2.70
is "$(gw_firewall)" "$before" "remove: the firewall (both families) as before"
done_testing
