#!/bin/sh
# rateban.sh - mode rateban on the real kernel beyond the basics of
# modes.sh: only SYNs are attempts (untracked and invalid packets are
# neither exempt nor counted), a client's own SYN
# retransmissions are not repeats, each family keeps its own xt_recent
# list and mask, and unban takes the host's own address.  On nftables the
# lists are the sets wlan_ban4/wlan_ban6 of table inet smtpguard (an
# element per host or prefix, with ban_seconds as its timeout; no count of
# attempts), the mask is in the rule, and the export is restored with nft -f.
# The test's own fixtures (NOTRACK, the counted RST, the WAN's lost SYN)
# stay legacy iptables rules in the raw table and the WAN namespace.
# backends: iptables nftables
. tests/lib/tap.sh
. tests/lib/netns.sh
. tests/lib/backend.sh
ns_require_root
backend_require
ns_setup || { fail "topology"; done_testing; exit 1; }
ns_start_servers || { fail "SMTP servers"; done_testing; exit 1; }
CONF="$NS_DIR/smtpguard.conf"
LIST4=/proc/net/xt_recent/SMTPGUARD-wlan
WLAN6=2001:db8:2::66
WLAN6B=2001:db8:2::67	# the same /64
WLAN6C=2001:db8:3::66	# another /64, the same /32
gw ip addr add 2001:db8:3::1/64 dev eth2 nodad
wlan ip addr add "$WLAN6B/64" dev eth0 nodad
wlan ip addr add "$WLAN6C/64" dev eth0 nodad
wan ip -6 route add 2001:db8:3::/64 via 2001:db8:100::1

use_rateban() { # use_rateban "description" [extra zone lines]
	write_zones_config "$CONF" allow rateban "ban_seconds = 60
${2:-}"
	if out=$(sg -c "$CONF" apply 2>&1); then ok "$1"; else fail "$1" "$out"; fi
}

refused() { # refused FROM_NS SERVER "description"
	if send_mail "$1" "$2"; then fail "$3" "swaks from $1 to $2 got through"; else ok "$3"; fi
}

# Every ban list of the gateway, for a failure's detail.
dump() {
	if on_nft; then gw nft list table inet smtpguard 2>&1 | sed -n '/set wlan_ban/,/}/p'
	else gw sh -c 'cd /proc/net/xt_recent && grep . *'; fi
}
mail6() { send_mail6 "$NS_WLAN" "$MX6" --local-interface "$1"; }
delivers6() { # delivers6 FROM_ADDR "description"
	if mail6 "$1"; then ok "$2"; else fail "$2" "swaks from $1 failed; $(dump)"; fi
}
refused6() {
	if mail6 "$1"; then fail "$2" "swaks from $1 got through; $(dump)"; else ok "$2"; fi
}
lists() {
	if on_nft; then gw_own | sed -n 's/^[[:space:]]*set \([^ ]*\) {$/\1/p'
	else gw sh -c 'ls /proc/net/xt_recent/ 2>/dev/null'; fi | tr '\n' ' '
}
# No own rule left, so the kernel frees every list: the next apply creates them afresh.
fresh() { out=$(sg -c "$CONF" remove 2>&1) || fail "remove" "$out"; }

# Empty every list of the namespace (xt_recent's "/" command), so each case starts unbanned.
forget_bans() {
	if on_nft; then
		gw nft list table inet smtpguard >/dev/null 2>&1 || return 0
		for f in wlan_ban4 wlan_ban6; do gw nft flush set inet smtpguard "$f"; done
		return
	fi
	for f in $(gw sh -c 'ls /proc/net/xt_recent/ 2>/dev/null'); do
		gw sh -c "echo / >/proc/net/xt_recent/$f"
	done
}

# listed_once HOST: HOST has one line in $LIST4 with one timestamp (one counted attempt); sets entry.
# On nftables: HOST is an element of wlan_ban4 with the timeout ban_seconds (a set counts nothing).
listed_once() {
	if on_nft; then
		entry=$(gw nft list set inet smtpguard wlan_ban4)
		case $entry in *"$1 timeout 1m expires"*) return 0 ;; *) return 1 ;; esac
	fi
	entry=$(gw grep "src=$1 " "$LIST4")
	stamps=$(printf '%s\n' "$entry" | sed 's/.*oldest_pkt: [0-9]* //' | tr ',' '\n' | grep -c '[0-9]')
	[ "$(printf '%s\n' "$entry" | grep -c .)" = 1 ] && [ "$stamps" = 1 ]
}

# send_tcp FROM_ADDR TO_ADDR PORT FLAGS: one bare TCP segment (no connection) from the WLAN,
# source port 1025 (outside the ephemeral range), FLAGS the header's flag byte (4 = RST).
send_tcp() {
	wlan perl -MSocket -e '
		my ($src, $dst, $dport, $flags) = @ARGV;
		my $tcp = pack("nnNNCCnnn", 1025, $dport, 12345, 0, 5 << 4, $flags, 1024, 0, 0);
		my $sum = 0;
		$sum += $_ for unpack("n*", inet_aton($src) . inet_aton($dst) . pack("CCn", 0, 6, length $tcp) . $tcp);
		$sum = ($sum & 0xffff) + ($sum >> 16) while $sum >> 16;
		substr($tcp, 16, 2) = pack("n", ~$sum & 0xffff);
		socket(my $s, PF_INET, SOCK_RAW, 6) or die "socket: $!\n";
		bind($s, sockaddr_in(0, inet_aton($src))) or die "bind: $!\n";
		send($s, $tcp, 0, sockaddr_in(0, inet_aton($dst))) or die "send: $!\n";' "$@"
}

# --- 1. only SYNs are attempts: untracked (NOTRACK) and invalid packets are no exemption,
# and no attempt either.  From other WLAN addresses than the later cases' host.
NT=192.0.2.67
wlan ip addr add "$NT/26" dev eth0
NT2=192.0.2.69	# the stray RST's host
wlan ip addr add "$NT2/26" dev eth0
V4B=192.0.2.68	# another IPv4 host of the WLAN for case 3
wlan ip addr add "$V4B/26" dev eth0
use_rateban "apply rateban"
gw iptables-legacy -w -t raw -A PREROUTING -i eth2 -j NOTRACK
if send_mail "$NS_WLAN" 203.0.113.25 --local-interface "$NT"; then ok "NOTRACK: the first mail of a host is delivered"; else
	fail "NOTRACK: the first mail of a host is delivered" "$(dump)"; fi
if listed_once "$NT"; then ok "NOTRACK: after a whole SMTP session the host is listed with one attempt (its SYN)"; else
	fail "NOTRACK: after a whole SMTP session the host is listed with one attempt (its SYN)" "$entry"; fi
if send_mail "$NS_WLAN" 203.0.113.25 --local-interface "$NT"; then
	fail "NOTRACK: a repeat within ban_seconds is refused" "swaks got through: untracked packets are exempt"
else
	ok "NOTRACK: a repeat within ban_seconds is refused"
fi
gw iptables-legacy -w -t raw -D PREROUTING -i eth2 -j NOTRACK

# Tracked again: a RST that belongs to no connection is INVALID; it must not use up the host's
# first mail.  The gateway counts it in raw PREROUTING; the mail's SYN follows it on the same
# link, so it has passed the zone chain before the SYN does.
RST_RULE="PREROUTING -s $NT2 -p tcp --sport 1025 --tcp-flags ALL RST"
gw iptables-legacy -w -t raw -A $RST_RULE
if out=$(send_tcp "$NT2" 203.0.113.25 25 4 2>&1); then ok "stray RST: sent"; else fail "stray RST: sent" "$out"; fi
if send_mail "$NS_WLAN" 203.0.113.25 --local-interface "$NT2"; then ok "stray RST: the host's first mail is still delivered"; else
	fail "stray RST: the host's first mail is still delivered" "$(dump)"; fi
is "$(gw iptables-legacy -w -t raw -L PREROUTING -v -x -n | awk '/1025/ { print $1 }')" 1 "stray RST: the gateway saw it"
if listed_once "$NT2"; then ok "stray RST: the host is listed with one attempt (the mail's SYN)"; else
	fail "stray RST: the host is listed with one attempt (the mail's SYN)" "$entry"; fi
gw iptables-legacy -w -t raw -D $RST_RULE
forget_bans
if send_mail "$NS_WLAN" 203.0.113.25; then ok "tracked again: the first mail passes"; else
	fail "tracked again: the first mail passes"; fi
forget_bans

# --- 2. a client's own SYN retransmission is not a repeat
# Beyond the gateway the WAN loses the first SYN to port 25 (every other one, from the first):
# the client retransmits it about 1 s later, within swaks's 10 s.
wan iptables-legacy -w -A INPUT -p tcp --dport 25 --syn -m statistic --mode nth --every 2 --packet 0 -j DROP
if send_mail "$NS_WLAN" 203.0.113.25 --timeout 10; then ok "SYN lost beyond the gateway: the retransmit delivers"; else
	fail "SYN lost beyond the gateway: the retransmit delivers" "$(dump)"; fi
is "$(wan iptables-legacy -w -L INPUT -v -x -n | awk '/statistic/ { print $1 }')" 1 \
	"SYN lost beyond the gateway: the WAN dropped exactly one SYN"
if listed_once 192.0.2.66; then
	ok "SYN lost beyond the gateway: the list holds the host once, with one attempt"
else
	fail "SYN lost beyond the gateway: the list holds the host once, with one attempt" "$entry"
fi
refused "$NS_WLAN" 203.0.113.25 "SYN lost beyond the gateway: a new connection is still a repeat"
wan iptables-legacy -w -D INPUT -p tcp --dport 25 --syn -m statistic --mode nth --every 2 --packet 0 -j DROP
forget_bans
# The kernel prints the connmark match and the CONNMARK target back as smtpguard writes them.
out=$(sg -c "$CONF" apply 2>&1)
case $out in *"nothing changed"*) ok "applying again changes nothing" ;;
*) fail "applying again changes nothing" "$out" ;; esac

# --- 3. one list, and one mask, per family
if on_nft; then
	is "$(lists | tr ' ' '\n' | grep ban | tr '\n' ' ')" "wlan_ban4 wlan_ban6 " "each family has its own set"
else
	is "$(lists)" "SMTPGUARD-wlan SMTPGUARD-wlan-IPV6-128 " "each family has its own list, the IPv6 one named with its mask"
fi
fresh
use_rateban "ban_prefix6 = 16: apply" "ban_prefix6 = 16"
delivers6 "$WLAN6" "ban_prefix6 = 16: the first IPv6 mail passes"
refused6 "$WLAN6C" "ban_prefix6 = 16: another /64 of the /16 is banned"
if send_mail "$NS_WLAN" 203.0.113.25; then ok "ban_prefix6 = 16: the first IPv4 mail passes"; else
	fail "ban_prefix6 = 16: the first IPv4 mail passes"; fi
if send_mail "$NS_WLAN" 203.0.113.25 --local-interface "$V4B"; then
	ok "ban_prefix6 = 16: IPv4 hosts are still banned one by one"
else
	fail "ban_prefix6 = 16: IPv4 hosts are still banned one by one" "$(dump)"
fi

# A changed ban_prefix6 is out of step, and takes effect on apply.
fresh
use_rateban "ban_prefix6 = 128: apply" "ban_prefix6 = 128"
delivers6 "$WLAN6" "ban_prefix6 = 128: the first IPv6 mail passes"
write_zones_config "$CONF" allow rateban "ban_seconds = 60
ban_prefix6 = 64"
sg -c "$CONF" apply --check >/dev/null 2>&1
is "$?" 3 "ban_prefix6 128 -> 64: apply --check says out of step"
use_rateban "ban_prefix6 128 -> 64: apply" "ban_prefix6 = 64"
delivers6 "$WLAN6" "ban_prefix6 = 64: the first IPv6 mail passes"
refused6 "$WLAN6B" "ban_prefix6 = 64: the same /64 is banned at once (the new mask is in effect)"
if on_nft; then
	case $(gw_own) in *"ip6 saddr & ffff:ffff:ffff:ffff:: == @wlan_ban6 update @wlan_ban6 { ip6 saddr & ffff:ffff:ffff:ffff:: timeout 1m }"*)
		ok "ban_prefix6 128 -> 64: the rules mask the source to its /64" ;;
	*) fail "ban_prefix6 128 -> 64: the rules mask the source to its /64" "$(gw_own)" ;; esac
else
	is "$(lists)" "SMTPGUARD-wlan SMTPGUARD-wlan-IPV6-64 " "ban_prefix6 128 -> 64: the /128 list is gone"
fi

# Restored IPv4 first (as netfilter-persistent does): IPv6 is still banned by its own mask.
fresh
forget_bans
# (On nftables both families come back in one nft -f of the export.)
if on_nft; then
	sg -c "$CONF" export --format nft -o "$NS_DIR/export.nft"
	gw nft -f "$NS_DIR/export.nft"
else
	sg -c "$CONF" export --format restore -o "$NS_DIR/export.rules"
	sg -c "$CONF" export --format restore --family 6 -o "$NS_DIR/export.rules6"
	gw iptables-legacy-restore -w --noflush <"$NS_DIR/export.rules"
	gw ip6tables-legacy-restore -w --noflush <"$NS_DIR/export.rules6"
fi
delivers6 "$WLAN6" "IPv4 restored first: the first IPv6 mail passes"
delivers6 "$WLAN6C" "IPv4 restored first: another /64 is not banned (no /32 mask)"
refused6 "$WLAN6B" "IPv4 restored first: the same /64 is banned"
out=$(sg -c "$CONF" apply --check 2>&1)
is "$?" 0 "IPv4 restored first: apply --check says in step"
fresh

# --- 4. IPv6: by default one host is banned, not its /64; unban takes the host's own address
use_rateban "default ban_prefix6: apply"
delivers6 "$WLAN6" "default ban_prefix6: the first IPv6 mail passes"
refused6 "$WLAN6" "default ban_prefix6: its repeat is refused"
delivers6 "$WLAN6B" "default ban_prefix6: a neighbour in the same /64 is not banned"
out=$(sg -c "$CONF" unban "$WLAN6" 2>&1)
is "$?" 0 "default ban_prefix6: unban of the host"
delivers6 "$WLAN6" "default ban_prefix6: after unban the host may send again"
fresh
use_rateban "ban_prefix6 = 64: apply" "ban_prefix6 = 64"
delivers6 "$WLAN6" "ban_prefix6 = 64: the first IPv6 mail passes"
refused6 "$WLAN6B" "ban_prefix6 = 64: the whole /64 is banned"
out=$(sg -c "$CONF" unban "$WLAN6B" 2>&1)
is "$?" 0 "ban_prefix6 = 64: unban takes a host's own address, not only the prefix ($out)"
delivers6 "$WLAN6" "ban_prefix6 = 64: after unban the /64 may send again"
fresh

# --- 5. several ports: --syn is a tcp match of its own after multiport, in both families
write_zones_config "$CONF" allow rateban "ban_seconds = 60"
sed -i 's/^ports = 25$/ports = 25,587/' "$CONF"
if out=$(sg -c "$CONF" apply 2>&1); then ok "ports 25,587: apply"; else fail "ports 25,587: apply" "$out"; fi
if on_nft; then
	syn_rules='tcp dport { 25, 587 } tcp flags syn / fin,syn,rst,ack'
	is "$(gw_own | grep -- "$syn_rules" | grep -c '@wlan_ban4')" 3 "ports 25,587: the three IPv4 ban-set rules match SYNs only"
	is "$(gw_own | grep -- "$syn_rules" | grep -c '@wlan_ban6')" 3 "ports 25,587: the three IPv6 ban-set rules match SYNs only"
else
	syn_rules='-p tcp -m multiport --dports 25,587 -m tcp --tcp-flags FIN,SYN,RST,ACK SYN -m recent'
	is "$(gw_save | grep -c -- "$syn_rules")" 3 "ports 25,587: the three IPv4 recent rules match SYNs only"
	is "$(gw_save6 | grep -c -- "$syn_rules")" 3 "ports 25,587: the three IPv6 recent rules match SYNs only"
fi
out=$(sg -c "$CONF" apply --check 2>&1)
is "$?" 0 "ports 25,587: apply --check says in step (the kernel prints what smtpguard wrote)"
fresh

done_testing
