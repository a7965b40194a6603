#!/bin/sh
# readonce.sh - `smtpguard status --json` reads each legacy filter table
# once when it shows the rules and plans against them (strace counts
# IPT_SO_GET_ENTRIES / IP6T_SO_GET_ENTRIES), with the backend pinned and
# with auto, whose probe reads each table without rendering it.
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

# reads FAMILY_OPT: the GET_ENTRIES calls of one status --json run, "IPv4 IPv6"
reads() {
	gw strace -f -qq -e trace=getsockopt -o "$NS_DIR/trace" "$SMTPGUARD" -c "$CONF" status --json >/dev/null 2>&1
	echo "$(grep -c 'IPT_SO_GET_ENTRIES' "$NS_DIR/trace") $(grep -c 'IP6T_SO_GET_ENTRIES' "$NS_DIR/trace")"
}

write_zones_config "$CONF" allow block
sed -i 's/^\[general\]$/[general]\nbackend = iptables/' "$CONF"
if out=$(sg -c "$CONF" apply 2>&1); then ok "apply"; else fail "apply" "$out"; fi
is "$(reads)" "1 1" "backend = iptables: status reads each table once"
write_zones_config "$CONF" allow block
is "$(reads)" "2 2" "backend = auto: the choice's probe and status's read, once each"
done_testing
