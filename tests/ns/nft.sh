#!/bin/sh
# nft.sh - a host whose nftables hold rules, or whose `iptables` is the
# nft variant: status and apply say so in one line (both are evaluated;
# a drop in either wins), status --json carries the facts, and the
# read-only commands (status, apply --dry-run, remove with nothing to
# remove) never create a legacy table: /proc/net/ip{,6}_tables_names of
# the namespace stay empty.  smtpguard never touches the nft rules.
. tests/lib/tap.sh
ns_require_root() {
	if [ "$(id -u)" != 0 ]; then
		echo "1..0 # SKIP needs root (network namespaces)"
		exit 0
	fi
}
ns_require_root
SG=${SMTPGUARD:-$(pwd)/smtpguard}
NS="sg-nft-$$"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/sg-nft.XXXXXX")
cleanup() {
	ip netns del "$NS" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP
export XTABLES_LOCKFILE="$TMP/xtables.lock" SMTPGUARD_RUN_DIR="$TMP/run"
export SMTPGUARD_ALTERNATIVES="$TMP/alternatives"
mkdir -p "$SMTPGUARD_ALTERNATIVES"

if ! command -v nft >/dev/null 2>&1; then
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q nftables >"$TMP/apt.log" 2>&1
fi
if ! command -v nft >/dev/null 2>&1; then
	fail "the nftables package is installed" "$(tail -3 "$TMP/apt.log")"
	done_testing
	exit 1
fi
ip netns add "$NS" || { fail "namespace $NS"; done_testing; exit 1; }
in_ns() { ip netns exec "$NS" "$@"; }
in_ns ip link set lo up
in_ns ip link add eth0 type veth peer name eth2

cat >"$TMP/smtpguard.conf" <<'EOF'
[general]
wan = eth0
ports = 25
relays = 203.0.113.10, 2001:db8:113::10
confirm = 0

[zone wlan]
interface = eth2
mode = block
EOF
chmod 600 "$TMP/smtpguard.conf"
sg() { in_ns "$SG" -c "$TMP/smtpguard.conf" "$@"; }
legacy_tables() { in_ns cat /proc/net/ip_tables_names /proc/net/ip6_tables_names 2>/dev/null | tr '\n' ' '; }

# --- the nft backend holds a table with a rule; `iptables` is the legacy one
ln -sf /usr/sbin/iptables-legacy "$SMTPGUARD_ALTERNATIVES/iptables"
in_ns nft add table inet fw
in_ns nft add chain inet fw guard '{ type filter hook forward priority 0; policy accept; }'
in_ns nft add rule inet fw guard tcp dport 25 counter drop
nft_before=$(in_ns nft list ruleset)
is "$(legacy_tables)" "" "no legacy table in the namespace to begin with"

sg status >"$TMP/out" 2>"$TMP/err"
is "$?" 0 "status: exit 0"
if [ "$(wc -l <"$TMP/err")" = 1 ] &&
	grep -q "^smtpguard: warning: nftables filters on this host too (nft tables with rules: inet fw);.*the kernel evaluates both, and a drop in either wins$" "$TMP/err"; then
	ok "status: one warning line names the nft table and says a drop in either wins"
else
	fail "status: one warning line names the nft table and says a drop in either wins" "$(cat "$TMP/err")"
fi
if grep -q "^nftables    1 table, 1 rule in ip/ip6/inet tables: inet fw (1); iptables is iptables-legacy$" "$TMP/out" &&
	grep -q "a drop in either wins" "$TMP/out"; then
	ok "status: the nftables line shows the facts"
else
	fail "status: the nftables line shows the facts" "$(head -5 "$TMP/out")"
fi
is "$(legacy_tables)" "" "status created no legacy table"

sg status --json >"$TMP/json" 2>/dev/null
if grep -q '"legacy_tables":{"ipv4":false,"ipv6":false},"nftables":{"iptables_alternative":"iptables-legacy","alternative_nft":false,"queried":true,"tables":\[{"family":"inet","name":"fw","rules":1}\],"ip_rules":1,"in_use":true,"both_evaluated":true}' "$TMP/json"; then
	ok "status --json carries the backend facts"
else
	fail "status --json carries the backend facts" "$(head -c 400 "$TMP/json")"
fi

sg apply --dry-run >"$TMP/out" 2>"$TMP/err"
is "$?" 0 "apply --dry-run: exit 0"
if grep -q "a drop in either wins" "$TMP/err"; then ok "apply --dry-run warns at startup"; else
	fail "apply --dry-run warns at startup" "$(cat "$TMP/err")"; fi
is "$(legacy_tables)" "" "apply --dry-run created no legacy table"
out=$(sg remove 2>/dev/null)
is "$out" "No smtpguard rules in the kernel: nothing to remove." "remove with nothing applied: nothing to do"
is "$(legacy_tables)" "" "remove created no legacy table"

# --- apply writes the legacy tables, warns, and leaves nft alone
sg apply >"$TMP/out" 2>"$TMP/err"
is "$?" 0 "apply: exit 0"
if grep -q "a drop in either wins" "$TMP/err"; then ok "apply warns at startup"; else
	fail "apply warns at startup" "$(cat "$TMP/err")"; fi
is "$(legacy_tables)" "filter filter " "apply made the IPv4 and IPv6 legacy filter tables"
is "$(in_ns nft list ruleset)" "$nft_before" "the nft table is as it was"
sg remove >/dev/null 2>&1

# --- `iptables` is iptables-nft, no nft rules, legacy tables empty: backend = auto picks nftables
in_ns nft delete table inet fw
ln -sf /usr/sbin/iptables-nft "$SMTPGUARD_ALTERNATIVES/iptables"
sg status --json >"$TMP/out" 2>"$TMP/err"
if grep -q '"backend": *"nftables", *"backend_reason": *"auto: iptables is iptables-nft and the legacy tables are empty"' "$TMP/out"; then
	ok "iptables-nft as the alternative: auto picks nftables and says why"
else
	fail "iptables-nft as the alternative: auto picks nftables and says why" "$(head -c 300 "$TMP/out")" "$(cat "$TMP/err")"
fi

# --- neither: no warning
ln -sf /usr/sbin/iptables-legacy "$SMTPGUARD_ALTERNATIVES/iptables"
sg status >/dev/null 2>"$TMP/err"
is "$(cat "$TMP/err")" "" "legacy alternative and no nft rules: no warning"
done_testing
