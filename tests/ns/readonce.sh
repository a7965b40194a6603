#!/bin/sh
# readonce.sh - each legacy filter table is read once per command (strace
# counts IPT_SO_GET_ENTRIES / IP6T_SO_GET_ENTRIES): `smtpguard status
# --json`, which shows the rules and plans against them, and `smtpguard
# apply` of a mode toggle among foreign rules, whose probe (backend =
# auto), rollback snapshot, plan and commit share one read taken under the
# xtables lock; with the backend pinned and with auto; and `smtpguard remove`.  apply reads its own
# rules back without loading a libxtables extension (strace sees no
# libxt_*.so opened): it decodes the entries it wrote.
. tests/lib/tap.sh
. tests/lib/netns.sh
ns_require_root
if ! command -v strace >/dev/null 2>&1; then
	diag "not run: strace is missing"
	done_testing
	exit 0
fi
ns_setup || { fail "topology"; done_testing; exit 1; }
CONF="$NS_DIR/smtpguard.conf"

# reads ARGS...: the GET_ENTRIES calls of one smtpguard run, "IPv4 IPv6" (its output in $NS_DIR/out)
reads() {
	# LeakSanitizer cannot run under ptrace: off for these runs of the ASan build (check-asan)
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
		gw strace -f -qq -e trace=getsockopt,openat -o "$NS_DIR/trace" "$SMTPGUARD" -c "$CONF" "$@" >"$NS_DIR/out" 2>&1
	echo "$(grep -c 'IPT_SO_GET_ENTRIES' "$NS_DIR/trace") $(grep -c 'IP6T_SO_GET_ENTRIES' "$NS_DIR/trace")"
}
# the libxtables extensions the last reads run opened
extensions() { grep -o '/xtables/lib[^/"]*\.so' "$NS_DIR/trace" | tr '\n' ' '; }
# config BACKEND WLAN_MODE: the two zones, wlan in WLAN_MODE, the backend line unless auto
config() {
	write_zones_config "$CONF" allow "$2"
	[ "$1" = auto ] || sed -i "s/^\[general\]$/[general]\nbackend = $1/" "$CONF"
}
# foreign: the administrator's rules of both families, as save prints them, ours left out
foreign() {
	{ gw_save; gw_save6; } | grep -e '192.0.2.77' -e '2001:db8::77'
}

gw iptables-legacy -A INPUT -s 192.0.2.77/32 -j ACCEPT
# REJECT: an extension whose library differs between the families
gw iptables-legacy -A FORWARD -s 192.0.2.77/32 -p tcp -m tcp --dport 25 -j REJECT --reject-with icmp-port-unreachable
gw ip6tables-legacy -A INPUT -s 2001:db8::77/128 -j ACCEPT
before=$(foreign)
config iptables block
if out=$(sg -c "$CONF" apply 2>&1); then ok "apply"; else fail "apply" "$out"; fi
is "$(reads status --json)" "1 1" "backend = iptables: status reads each table once"
config auto block
is "$(reads status --json)" "1 1" "backend = auto: status answers the choice's probe from its own read"
reject=$(gw_save | grep -e '-j REJECT')
if [ -n "$reject" ] && grep -qF "\"rule\":\"$reject\"" "$NS_DIR/out"; then
	ok "backend = auto: status shows the IPv4 REJECT rule as iptables-legacy-save does"
else
	fail "backend = auto: status shows the IPv4 REJECT rule as iptables-legacy-save does" \
		"save: $reject; status: $(grep -o '"rule":"[^"]*REJECT[^"]*"' "$NS_DIR/out")"
fi

# the toggle: block <-> rateban of wlan
for backend in iptables auto; do
	config "$backend" rateban
	is "$(reads apply)" "1 1" "backend = $backend: apply block -> rateban reads each table once"
	is "$(extensions)" "" "backend = $backend: ... and loads no libxtables extension"
	if gw_save | grep -q -- '-m recent' && gw_save6 | grep -q -- '-m recent'; then
		ok "backend = $backend: rateban is in both kernel tables"
	else
		fail "backend = $backend: rateban is in both kernel tables" "$(cat "$NS_DIR/out")"
	fi
	config "$backend" block
	is "$(reads apply)" "1 1" "backend = $backend: apply rateban -> block reads each table once"
	is "$(extensions)" "" "backend = $backend: ... and loads no libxtables extension"
	if gw_save | grep -q -- '-m recent'; then
		fail "backend = $backend: rateban is gone again" "$(gw_save)"
	else
		ok "backend = $backend: rateban is gone again"
	fi
	is "$(reads apply)" "1 1" "backend = $backend: an apply with nothing to change reads each table once"
	grep -q 'nothing changed' "$NS_DIR/out" || fail "backend = $backend: nothing to change" "$(cat "$NS_DIR/out")"
	is "$(foreign)" "$before" "backend = $backend: the foreign rules are as they were"
done
# the read-only looks at a change: the probe's read is the one planned against
for backend in iptables auto; do
	config "$backend" rateban
	for opt in --check --dry-run; do
		is "$(reads apply "$opt")" "1 1" "backend = $backend: apply $opt reads each table once"
		grep -q -- '-m recent' "$NS_DIR/out" ||
			fail "backend = $backend: apply $opt shows the rateban rules" "$(cat "$NS_DIR/out")"
	done
done
# remove: the probe's read under the lock is the one the removal is made against
for backend in iptables auto; do
	config "$backend" block
	sg -c "$CONF" apply >/dev/null 2>&1
	is "$(reads remove)" "1 1" "backend = $backend: remove reads each table once"
	if gw_save | grep -q SMTPGUARD; then fail "backend = $backend: remove removed the own rules" "$(gw_save)"; else
		ok "backend = $backend: remove removed the own rules"; fi
	is "$(foreign)" "$before" "backend = $backend: remove left the foreign rules as they were"
done
done_testing
