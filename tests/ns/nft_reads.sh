#!/bin/sh
# nft_reads.sh - what an apply reads from the kernel does not grow with
# the firewall's foreign rules: a mode toggle, a relay added and one
# removed (sent as set element deletions through libnftnl), with
# 2,000 foreign rules in table inet filter (tests/bench/gen-nft-rules.sh:
# 500 anonymous sets among them), read at most 8 KiB more than the same
# changes with none (reading the foreign table's declarations is about
# 80 KiB).  strace counts the bytes of every recvmsg of the apply.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/tap.sh
. tests/lib/netns.sh
. tests/lib/nft.sh
ns_require_root
nft_require
command -v strace >/dev/null 2>&1 || { echo "1..0 # SKIP no strace"; exit 0; }
ns_setup || { fail "topology"; done_testing; exit 1; }
CONF="$NS_DIR/smtpguard.conf"
SLACK=8192

conf() { # conf WLAN_MODE RELAYS
	write_zones_config "$CONF" block "$1"
	sed -i "s/^relays = .*/relays = $2/; /^confirm = /a backend = nftables" "$CONF"
}
# The bytes one apply of the current config reads from the kernel (empty when it fails).
apply_reads() {
	# LeakSanitizer cannot run under ptrace: off for these runs of the ASan build (check-asan)
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
		gw strace -f -qq -e trace=recvmsg -s0 -o "$NS_DIR/trace" "$SMTPGUARD" -c "$CONF" apply \
		>"$NS_DIR/apply.log" 2>&1 || return
	awk '$NF ~ /^[0-9]+$/ { s += $NF } END { print s + 0 }' "$NS_DIR/trace"
}
# check_reads WHAT WITHOUT WITH: WITH is at most SLACK bytes above WITHOUT.
check_reads() {
	if [ -n "$2" ] && [ -n "$3" ] && [ "$3" -le $(($2 + SLACK)) ]; then
		ok "$1 reads $3 bytes with 2000 foreign rules, $2 with none"
	else
		fail "$1 reads at most $SLACK bytes more with 2000 foreign rules than with none" \
			"without: '$2' with: '$3' $(cat "$NS_DIR/apply.log")"
	fi
}

conf block 203.0.113.10
check "apply" sg -c "$CONF" apply
conf log 203.0.113.10
mode0=$(apply_reads)
conf log "203.0.113.10, 203.0.113.11"
relay0=$(apply_reads)
conf log 203.0.113.10
remove0=$(apply_reads)

sh tests/bench/gen-nft-rules.sh 2000 >"$NS_DIR/foreign.nft"
check "2000 foreign rules loaded" gw nft -f "$NS_DIR/foreign.nft"
conf block 203.0.113.10
mode1=$(apply_reads)
check_reads "a mode toggle" "$mode0" "$mode1"
if gw nft list chain inet smtpguard zone_wlan | grep -q 'log prefix'; then
	fail "zone_wlan is back to block (no log rule)" "$(gw nft list chain inet smtpguard zone_wlan)"
else
	ok "zone_wlan is back to block (no log rule)"
fi
conf block "203.0.113.10, 203.0.113.11"
relay1=$(apply_reads)
check_reads "a relay added" "$relay0" "$relay1"
if gw nft list set inet smtpguard wlan_relay4 | grep -q '203\.0\.113\.11'; then
	ok "wlan_relay4 holds the new relay"
else
	fail "wlan_relay4 holds the new relay" "$(gw nft list set inet smtpguard wlan_relay4)"
fi
conf block 203.0.113.10
remove1=$(apply_reads)
check_reads "a relay removed" "$remove0" "$remove1"
if gw nft list set inet smtpguard wlan_relay4 | grep -q '203\.0\.113\.11'; then
	fail "wlan_relay4 no longer holds the removed relay" "$(gw nft list set inet smtpguard wlan_relay4)"
else
	ok "wlan_relay4 no longer holds the removed relay"
fi
is "$(gw nft list table inet filter | grep -c 'counter')" 2000 "the foreign table keeps its 2000 rules"
out=$(sg -c "$CONF" apply --check 2>&1)
is "$?" 0 "apply --check: in step"
done_testing
