#!/bin/sh
# nft_conflict.sh - on nftables, a change someone else makes to table
# inet smtpguard (a rule added by `nft`, an element added to a relay set)
# between the plan apply made and its commit is refused, never
# overwritten: exit 1, one line, the foreign change still there and
# nothing else changed.  gdb stops smtpguard at its second libnftables
# call (the first read the plan; the second is what comes next: the
# check before the commit, or on a build without it the commit itself)
# and the change is made there, so the test needs no timing.  A control
# run through the same stop with no change applies.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/tap.sh
. tests/lib/netns.sh
. tests/lib/nft.sh
ns_require_root
nft_require
command -v gdb >/dev/null 2>&1 || { echo "1..0 # SKIP no gdb"; exit 0; }
ns_setup || { fail "topology"; done_testing; exit 1; }
CONF="$NS_DIR/smtpguard.conf"

conf() { # conf LAN_MODE WLAN_MODE
	write_zones_config "$CONF" "$1" "$2"
	sed -i "/^confirm = /a backend = nftables" "$CONF"
}
table() { gw nft -s list table inet smtpguard 2>/dev/null; }

# Run `apply` under gdb; at the second libnftables call run the shell
# command $1 in the gateway, then let it go on.  Exit code in $code, stderr in $err.
apply_with_writer() { # apply_with_writer 'nft command'
	printf '%s\n' "$1" >"$NS_DIR/writer.sh"
	# LeakSanitizer cannot run under ptrace: off for this run of the ASan build.
	gw env ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" gdb -q -batch \
		-ex 'set breakpoint pending on' -ex 'break nft_run_cmd_from_buffer' -ex 'ignore 1 1' \
		-ex "run -c $CONF apply </dev/null >$NS_DIR/out 2>$NS_DIR/err" \
		-ex "shell sh $NS_DIR/writer.sh" -ex 'delete' -ex continue -ex 'print $_exitcode' \
		"$SMTPGUARD" >"$NS_DIR/gdb.out" 2>&1
	code=$(tail -1 "$NS_DIR/gdb.out" | sed -n 's/^\$1 = //p')
	err=$(cat "$NS_DIR/err")
}

conf block block
check "apply lan and wlan block" sg -c "$CONF" apply

# --- a rule added to an own chain in the window
conf block monitor
foreign='ip saddr 192.0.2.99 counter drop'
apply_with_writer "ip netns exec $NS_GW nft add rule inet smtpguard zone_wlan $foreign
ip netns exec $NS_GW nft -s list table inet smtpguard >$NS_DIR/expected"
is "$code" 1 "a rule added meanwhile: apply exits 1"
is "$err" "smtpguard: table inet smtpguard was changed by another writer since the plan was made (+ $foreign): nothing applied; run apply again" \
	"a rule added meanwhile: one line saying what changed and what to do"
if table | grep -qF "$foreign"; then ok "a rule added meanwhile: it is still there"; else
	fail "a rule added meanwhile: it is still there" "$(table)"; fi
is "$(table)" "$(cat "$NS_DIR/expected")" "a rule added meanwhile: nothing else changed"
is "$(cat "$NS_DIR/out")" "" "a rule added meanwhile: no plan printed as applied"
gw nft delete rule inet smtpguard zone_wlan handle \
	"$(gw nft -a list chain inet smtpguard zone_wlan | sed -n "s/.*$foreign # handle //p")"

# --- an element added to a relay set in the window (from block again, whatever the above left)
conf block block
check "apply lan and wlan block again" sg -c "$CONF" apply
conf block monitor
apply_with_writer "ip netns exec $NS_GW nft add element inet smtpguard wlan_relay4 { 203.0.113.77 }
ip netns exec $NS_GW nft -s list table inet smtpguard >$NS_DIR/expected"
is "$code" 1 "an element added meanwhile: apply exits 1"
case $err in
"smtpguard: table inet smtpguard was changed by another writer since the plan was made ("*"203.0.113.77"*"): nothing applied; run apply again")
	ok "an element added meanwhile: one line naming it" ;;
*) fail "an element added meanwhile: one line naming it" "$err" ;;
esac
is "$(printf '%s\n' "$err" | wc -l)" 1 "an element added meanwhile: one line"
if gw nft list set inet smtpguard wlan_relay4 | grep -q 203.0.113.77; then
	ok "an element added meanwhile: it is still there"
else
	fail "an element added meanwhile: it is still there" "$(gw nft list set inet smtpguard wlan_relay4)"
fi
is "$(table)" "$(cat "$NS_DIR/expected")" "an element added meanwhile: nothing else changed"
gw nft delete element inet smtpguard wlan_relay4 { 203.0.113.77 }

# --- control: the same stop, nobody writes, the change is applied
apply_with_writer "true"
is "$code" 0 "nobody else writes: apply exits 0"
if table | grep -q 'iifname "eth2" tcp dport 25 ct state new limit rate 1/second counter log'; then
	ok "nobody else writes: the monitor rules are in place"
else
	fail "nobody else writes: the monitor rules are in place" "$err $(table)"
fi
out=$(sg -c "$CONF" apply --check 2>&1)
is "$?" 0 "nobody else writes: apply --check is in step afterwards"
done_testing
