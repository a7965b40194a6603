#!/bin/sh
# uplink.sh - an uplink outside wan is named: with a tunnel-like interface
# carrying an IPv6 route the config does not guard, apply warns
# on stderr (interface, family, what to do), status and status --json
# list it and the console's status line shows it; without the route, and on
# the plain topology, nothing is said.  The same on both backends.
# backends: iptables nftables
. tests/lib/tap.sh
. tests/lib/netns.sh
. tests/lib/backend.sh
. tests/lib/tmux.sh
ns_require_root
backend_require
ns_setup || { fail "topology"; done_testing; exit 1; }
trap 'tmux_cleanup; ns_cleanup' EXIT
mkdir -p -m 700 "$SMTPGUARD_RUN_DIR"
CONF="$NS_DIR/smtpguard.conf"
write_zones_config "$CONF" allow block
warning="smtpguard: warning: IPv6 leaves through tun6 (route to 2001:db8:200::/48), which is not in wan: smtpguard does not filter it; add tun6 to wan in $CONF"

sg -c "$CONF" apply >/dev/null 2>"$NS_DIR/err"
is "$(cat "$NS_DIR/err")" "" "plain topology: apply says nothing on stderr"
case $(sg -c "$CONF" status 2>/dev/null) in
*"Uplinks     every route out leaves through wan"*) ok "plain topology: status says every route leaves through wan" ;;
*) fail "plain topology: status says every route leaves through wan" ;;
esac
case $(sg -c "$CONF" status --json 2>/dev/null) in
*'"unguarded_uplinks":[]'*) ok "plain topology: unguarded_uplinks is empty" ;;
*) fail "plain topology: unguarded_uplinks is empty" ;;
esac

# A veth pair inside the gateway stands in for the tunnel (this kernel may lack the dummy and
# sit modules); its peer end carries nothing but link-local routes.
gw ip link add tun6 type veth peer name tun6p
gw ip link set tun6p up
gw ip link set tun6 up
gw ip -6 addr add 2001:db8:ff::1/64 dev tun6 nodad
is "$(sg -c "$CONF" status --json 2>/dev/null | grep -c '"unguarded_uplinks":\[\]')" 1 \
	"an interface with only its own connected network is no uplink"
gw ip -6 route add 2001:db8:200::/48 dev tun6

sg -c "$CONF" apply >/dev/null 2>"$NS_DIR/err"
is "$(cat "$NS_DIR/err")" "$warning" "apply: one warning line names tun6, IPv6 and what to do"
sg -c "$CONF" apply --check >/dev/null 2>"$NS_DIR/err"
is "$(cat "$NS_DIR/err")" "$warning" "apply --check: the same warning"
case $(sg -c "$CONF" status 2>/dev/null) in
*"Uplinks     tun6 (IPv6): not in wan, not filtered; add them to wan"*) ok "status: the Uplinks line names tun6 (IPv6)" ;;
*) fail "status: the Uplinks line names tun6 (IPv6)" "$(sg -c "$CONF" status 2>&1 | grep Uplinks)" ;;
esac
case $(sg -c "$CONF" status --json 2>/dev/null) in
*'"unguarded_uplinks":[{"interface":"tun6","family":"ipv6"}]'*) ok "status --json: unguarded_uplinks lists tun6, ipv6" ;;
*) fail "status --json: unguarded_uplinks lists tun6, ipv6" ;;
esac

# The console's status line says so too (bounded: 10 s for the first screen).
tmux_start 100 30 "ip netns exec $NS_GW $SMTPGUARD -c $CONF" || fail "tmux starts"
if tmux_wait 'unguarded uplink tun6 \(IPv6\): add it to wan' 10 console; then
	ok "console: the status line names the unguarded uplink"
else
	fail "console: the status line names the unguarded uplink"
fi
tmux_keys q
tmux_wait_dead 10 || fail "console quits"

# A second default route through it counts too, and listing it in wan ends the warning.
gw ip -6 route del 2001:db8:200::/48 dev tun6
gw ip -6 route add default dev tun6 metric 2000
sg -c "$CONF" apply --check >/dev/null 2>"$NS_DIR/err"
case $(cat "$NS_DIR/err") in
*"IPv6 leaves through tun6 (route to default)"*) ok "a second default route through tun6 is named" ;;
*) fail "a second default route through tun6 is named" "$(cat "$NS_DIR/err")" ;;
esac
sed -i 's/^wan = eth0$/wan = eth0, tun6/' "$CONF"
sg -c "$CONF" apply >/dev/null 2>"$NS_DIR/err"
is "$(cat "$NS_DIR/err")" "" "tun6 in wan: no warning"
sed -i 's/^wan = eth0, tun6$/wan = eth0, tun+/' "$CONF"
sg -c "$CONF" apply --check >/dev/null 2>"$NS_DIR/err"
is "$(cat "$NS_DIR/err")" "" "a wan wildcard tun+ covers tun6: no warning"
sg -c "$CONF" remove >/dev/null 2>&1
done_testing
