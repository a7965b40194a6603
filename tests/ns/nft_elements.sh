#!/bin/sh
# nft_elements.sh - on nftables a removed relay, device or quarantine
# entry is deleted from its set as the kernel keeps it (sent through
# libnftnl, not libnftables): IPv4 and IPv6 hosts and prefixes of the
# interval sets, one of two adjacent hosts, MAC . address pairs of both
# families; mail follows each removal; apply --check stays in step.  The
# deletion is bound to the ruleset's generation: a commit to another
# table between smtpguard's read and its batch makes the kernel refuse
# the batch, and smtpguard reads again and sends it again; a change to
# smtpguard's own table in that moment is refused, nothing applied.  A
# change libnftables commits cannot be bound so: another commit next to
# it is reported in a note.
# Always on nftables (the config names the backend itself).
cd "$(dirname "$0")/../.." || exit 1
SMTPGUARD_TEST_BACKEND=nftables
. tests/lib/tap.sh
. tests/lib/netns.sh
. tests/lib/backend.sh
ns_require_root
backend_require
ns_setup || { fail "topology"; done_testing; exit 1; }
ns_start_servers || fail "SMTP servers start"
CONF="$NS_DIR/smtpguard.conf"

RELAYS_ALL="203.0.113.10, 203.0.113.25, 203.0.113.26, 203.0.113.64/27, 2001:db8:113::10, 2001:db8:113::25, 2001:db8:114::/64"
conf() { # conf RELAYS DEVICES QUARANTINE
	write_zones_config "$CONF" allow block "devices = $2
quarantine = $3"
	sed -i "s|^relays = .*|relays = $1|" "$CONF"
	sed -i '/^devices = $/d; /^quarantine = $/d' "$CONF"
}
set_of() { gw nft list set inet smtpguard "$1" | tr -d '\n\t' | tr -s ' ' | sed 's/.*elements = { *//; s/ *}.*//'; }
# apply_is NAME: the apply succeeds and apply --check finds the kernel in step
apply_is() {
	out=$(sg -c "$CONF" apply 2>&1)
	is "$?" 0 "$1: apply"
	out=$(sg -c "$CONF" apply --check 2>&1)
	is "$?" 0 "$1: apply --check in step"
}

DEV="00:02:2d:11:22:33 192.0.2.66, 00:02:2d:11:22:33 2001:db8:2::66"
QUAR="192.0.2.70, 2001:db8:2::70, 192.0.2.96/28"
conf "$RELAYS_ALL" "$DEV" "$QUAR"
apply_is "every entry"
if send_mail "$NS_WLAN" 203.0.113.25; then ok "wlan: mail to relay 203.0.113.25 passes"; else
	fail "wlan: mail to relay 203.0.113.25 passes"; fi
if send_mail6 "$NS_WLAN" "$MX6"; then ok "wlan: mail to relay $MX6 passes"; else
	fail "wlan: mail to relay $MX6 passes"; fi

# one of two adjacent hosts (their intervals touch: .25's end is .26's start)
conf "203.0.113.10, 203.0.113.26, 203.0.113.64/27, 2001:db8:113::10, 2001:db8:113::25, 2001:db8:114::/64" "$DEV" "$QUAR"
apply_is "203.0.113.25 removed"
is "$(set_of wlan_relay4)" "203.0.113.10, 203.0.113.26, 203.0.113.64/27" "wlan_relay4 keeps the others"
if send_mail "$NS_WLAN" 203.0.113.25; then fail "wlan: mail to 203.0.113.25 is dropped once it is no relay"; else
	ok "wlan: mail to 203.0.113.25 is dropped once it is no relay"; fi

conf "203.0.113.10, 203.0.113.26, 2001:db8:113::10, 2001:db8:114::/64" "$DEV" "$QUAR"
apply_is "an IPv4 prefix and an IPv6 host removed"
is "$(set_of wlan_relay4)" "203.0.113.10, 203.0.113.26" "wlan_relay4 without the /27"
is "$(set_of wlan_relay6)" "2001:db8:113::10, 2001:db8:114::/64" "wlan_relay6 without $MX6"
if send_mail6 "$NS_WLAN" "$MX6"; then fail "wlan: mail to $MX6 is dropped once it is no relay"; else
	ok "wlan: mail to $MX6 is dropped once it is no relay"; fi

conf "203.0.113.10, 2001:db8:113::10" "00:02:2d:11:22:33 192.0.2.66" "192.0.2.70"
apply_is "the IPv6 prefix, an IPv6 device, IPv6 and prefix quarantine removed"
is "$(set_of wlan_relay6)" "2001:db8:113::10" "wlan_relay6 without the /64"
is "$(set_of wlan_dev4)" "00:02:2d:11:22:33 . 192.0.2.66" "wlan_dev4 keeps its pair"
is "$(gw nft list set inet smtpguard wlan_dev6 | grep -c elements)" 0 "wlan_dev6 is empty"
is "$(set_of wlan_quar4)" "192.0.2.70" "wlan_quar4 without the /28"
is "$(gw nft list set inet smtpguard wlan_quar6 | grep -c elements)" 0 "wlan_quar6 is empty"

conf "203.0.113.10, 2001:db8:113::10" "" ""
apply_is "the IPv4 device and quarantine removed"
table=$(gw nft list table inet smtpguard)
case $table in
*00:02:2d:11:22:33* | *192.0.2.70*) fail "no device or quarantine entry is left in the table" "$table" ;;
*) ok "no device or quarantine entry is left in the table" ;;
esac

# --- the generation: gdb stops apply where its deletion batch is sent (fw_nft_nl_elements(), after
# the table's last read; the build's -g lets gdb find it) and has another writer commit there.
command -v gdb >/dev/null 2>&1 || { skip "the generation checks" "no gdb"; done_testing; exit 0; }
# gdb_apply WRITER [BREAK]: apply under gdb, WRITER run at the first stop at BREAK (the element
# batch by default); prints the stops and apply's exit status.
gdb_apply() {
	cat >"$NS_DIR/gen.gdb" <<GDB
set breakpoint pending on
set confirm off
set \$hits = 0
break ${2:-fw_nft_nl_elements}
commands
silent
set \$hits = \$hits + 1
if \$hits == 1
shell $1
end
continue
end
run -c $CONF apply </dev/null >$NS_DIR/out 2>$NS_DIR/err
printf "batches %d exit %d\n", \$hits, \$_exitcode
GDB
	# LeakSanitizer cannot run under ptrace: off for these runs of the ASan build (check-asan)
	gw env ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" gdb -q -batch \
		-x "$NS_DIR/gen.gdb" "$SMTPGUARD" 2>&1 | grep '^batches'
}
conf "203.0.113.10, 203.0.113.25, 2001:db8:113::10" "" ""
check "a relay added back" sg -c "$CONF" apply
conf "203.0.113.10, 2001:db8:113::10" "" ""
is "$(gdb_apply "nft add table ip sgt_other")" "batches 2 exit 0" \
	"a commit to another table in between: the batch is refused for the generation, then sent again"
is "$(set_of wlan_relay4)" "203.0.113.10" "wlan_relay4 lost the relay after the second batch"
if gw nft list table ip sgt_other >/dev/null 2>&1; then ok "the other writer's table is there"; else
	fail "the other writer's table is there"; fi

conf "203.0.113.10, 203.0.113.25, 2001:db8:113::10" "" ""
check "the relay added again" sg -c "$CONF" apply
conf "203.0.113.10, 2001:db8:113::10" "" ""
is "$(gdb_apply "nft add element inet smtpguard wlan_relay4 { 203.0.113.99 }")" "batches 1 exit 1" \
	"a change to smtpguard's table in between: refused after one batch, exit 1"
if grep -q 'changed by another writer' "$NS_DIR/err"; then ok "the error says another writer changed the table"; else
	fail "the error says another writer changed the table" "$(cat "$NS_DIR/err")"; fi
is "$(set_of wlan_relay4)" "203.0.113.10, 203.0.113.25, 203.0.113.99" \
	"nothing applied: the other writer's element and the relay are both there"

# --- a change libnftables commits (a mode change) cannot be bound to the generation: when the
# generation after it is not the one before plus its own, apply says so.  gdb stops at the
# libnftables call that gets smtpguard's batch (its text starts "add table inet smtpguard";
# the second argument, in rsi on x86-64).
write_zones_config "$CONF" allow log
out=$(sg -c "$CONF" apply 2>&1)
is "$?" 0 "a mode change alone: apply"
case $out in *"note:"*) fail "a mode change alone: no note" "$out" ;; *) ok "a mode change alone: no note" ;; esac
write_zones_config "$CONF" allow block
is "$(gdb_apply "nft add table ip sgt_note" 'nft_run_cmd_from_buffer if $_memeq($rsi, "add table inet smtpguard", 24)')" \
	"batches 1 exit 0" "a mode change with another commit at its own: applied"
if grep -q 'note: another nftables commit came while table inet smtpguard was changed' "$NS_DIR/err"; then
	ok "apply says another commit came, and what to run"
else
	fail "apply says another commit came, and what to run" "$(cat "$NS_DIR/err")"
fi
if gw nft -s list chain inet smtpguard zone_wlan | grep -q 'tcp dport 25 counter drop'; then ok "the block mode is in force"; else
	fail "the block mode is in force" "$(gw nft list chain inet smtpguard zone_wlan)"; fi
done_testing
