#!/bin/sh
# faketable.sh - SMTPGUARD_FAKE_TABLE left in root's environment: every
# command says on stderr that a file stands in for the kernel, status
# (text and JSON) shows it, and the kernel's tables are not what changed;
# without the variable the same apply reaches the kernel, with no such line.
# On nftables the kernel side is nft list ruleset (gw_firewall) and the own table.
# backends: iptables nftables
. tests/lib/tap.sh
. tests/lib/netns.sh
. tests/lib/backend.sh
ns_require_root
backend_require
ns_setup || { fail "topology"; done_testing; exit 1; }
CONF="$NS_DIR/smtpguard.conf"
FAKE="$NS_DIR/fake.rules"
write_zones_config "$CONF" allow block
warning="smtpguard: SMTPGUARD_FAKE_TABLE is set: using the file $FAKE instead of the kernel's firewall; unset it for a real run"
before=$(gw_firewall)

for cmd in "apply" "apply --check" "status" "remove"; do
	# shellcheck disable=SC2086
	SMTPGUARD_FAKE_TABLE=$FAKE sg -c "$CONF" $cmd >"$NS_DIR/out" 2>"$NS_DIR/err"
	is "$(head -n 1 "$NS_DIR/err")" "$warning" "$cmd with SMTPGUARD_FAKE_TABLE: the first stderr line says so"
	if [ "$cmd" = status ]; then
		case $(head -n 1 "$NS_DIR/out") in
		"Backend     file (SMTPGUARD_FAKE_TABLE is set): SMTPGUARD_FAKE_TABLE=$FAKE, not the kernel's firewall:"*) ok "status: the Backend line names the file" ;;
		*) fail "status: the Backend line names the file" "$(head -n 1 "$NS_DIR/out")" ;;
		esac
	fi
	is "$(gw_firewall)" "$before" "$cmd with SMTPGUARD_FAKE_TABLE: the kernel's firewall (both families) is unchanged"
	[ "$cmd" = apply ] && SMTPGUARD_FAKE_TABLE=$FAKE sg -c "$CONF" apply >/dev/null 2>&1
done
SMTPGUARD_FAKE_TABLE=$FAKE sg -c "$CONF" status --json >"$NS_DIR/out" 2>/dev/null
case $(cat "$NS_DIR/out") in
*"\"backend\":\"file\",\"backend_reason\":\"SMTPGUARD_FAKE_TABLE is set\",\"fake_table\":\"$FAKE\""*) ok "status --json: fake_table names the file" ;;
*) fail "status --json: fake_table names the file" "$(head -c 300 "$NS_DIR/out")" ;;
esac

# Without the variable: the kernel, and no warning.
sg -c "$CONF" apply >"$NS_DIR/out" 2>"$NS_DIR/err"
is "$(cat "$NS_DIR/err")" "" "apply without SMTPGUARD_FAKE_TABLE: nothing on stderr"
if on_nft; then
	is "$(gw_own | grep -c 'tcp dport 25 counter jump guard')" 1 "apply without SMTPGUARD_FAKE_TABLE: the kernel has the jump"
	backend='"backend":"nftables","backend_reason":"'
else
	is "$(gw iptables-legacy -S FORWARD | sed -n 2p)" "-A FORWARD -p tcp -m multiport --ports 25 -j SMTPGUARD-FWD" \
		"apply without SMTPGUARD_FAKE_TABLE: the kernel has the jump"
	backend='"backend":"iptables-legacy","backend_reason":"auto: '
fi
sg -c "$CONF" status --json >"$NS_DIR/out" 2>/dev/null
case $(cat "$NS_DIR/out") in
*"$backend"*'"fake_table":null'*) ok "status --json: fake_table is null for the kernel" ;;
*) fail "status --json: fake_table is null for the kernel" "$(head -c 300 "$NS_DIR/out")" ;;
esac
sg -c "$CONF" remove >/dev/null 2>&1
done_testing
