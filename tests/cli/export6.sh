#!/bin/sh
# export6.sh - `export --family 6` (rootless): the IPv6 ruleset of a
# config as ip6tables-legacy-restore input equals the compiler's golden
# file, the sh form drives ip6tables-legacy, --family 4 is the default,
# and anything else is a usage error.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/tap.sh
SG=${SMTPGUARD:-./smtpguard}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/sg-export6.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
CONF=tests/compile/ipv6.conf

if "$SG" -c "$CONF" export --family 6 >"$TMP/rules6" 2>"$TMP/err" &&
	cmp -s "$TMP/rules6" tests/compile/ipv6.rules6; then
	ok "export --family 6 equals tests/compile/ipv6.rules6"
else
	fail "export --family 6 equals tests/compile/ipv6.rules6" "$(cat "$TMP/err")" \
		"$(diff -u tests/compile/ipv6.rules6 "$TMP/rules6")"
fi
"$SG" -c "$CONF" export --family 4 >"$TMP/rules4" 2>&1
"$SG" -c "$CONF" export >"$TMP/default" 2>&1
if cmp -s "$TMP/rules4" tests/compile/ipv6.rules && cmp -s "$TMP/default" "$TMP/rules4"; then
	ok "--family 4 is the IPv4 ruleset and the default"
else
	fail "--family 4 is the IPv4 ruleset and the default" "$(diff -u tests/compile/ipv6.rules "$TMP/rules4")"
fi
"$SG" -c "$CONF" export --format sh --family 6 -o "$TMP/rules6.sh" 2>"$TMP/err"
is "$?" 0 "export --format sh --family 6 -o FILE"
check "the sh export is valid sh" sh -n "$TMP/rules6.sh"
is "$(grep -c '^ip6tables-legacy -w -A ' "$TMP/rules6.sh")" "$(grep -c '^-A ' tests/compile/ipv6.rules6)" \
	"the sh export appends every IPv6 rule with ip6tables-legacy"
is "$(grep -c '^iptables-legacy' "$TMP/rules6.sh")" 0 "and never calls iptables-legacy"
"$SG" -c "$CONF" export --family 5 >"$TMP/out" 2>"$TMP/err"
is "$?" 2 "--family 5: exit 2"
if [ ! -s "$TMP/out" ] && grep -q "unknown family '5'; use 4 or 6" "$TMP/err"; then
	ok "--family 5: one line naming the choices, nothing written"
else
	fail "--family 5: one line naming the choices, nothing written" "$(cat "$TMP/err")"
fi
done_testing
