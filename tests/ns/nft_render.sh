#!/bin/sh
# tests/ns/nft_render.sh - the nftables golden tables against the kernel (root, TAP).
#
# Each tests/compile/NAME.nft is loaded with `nft -f` into the test
# gateway namespace, beside a foreign `inet filter` table; `nft -s list
# table inet smtpguard` must then print it byte for byte (nft wraps long
# element lists over several lines: joined before comparing), and the
# foreign table must be unchanged.  This proves compile_nft() writes the
# kernel's own form, which drift detection compares with.  nft runs only
# inside the namespace.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/tap.sh
. tests/lib/netns.sh
. tests/lib/nft.sh
ns_require_root
nft_require
ns_setup || { fail "namespace topology"; done_testing; exit; }

dir=tests/compile

# An element list nft wrapped ("a,\n\t\t\t     b }") on one line, as compile_nft writes it.
unwrap() {
	awk '{ if (held != "") { sub(/^[ \t]+/, ""); $0 = held " " $0; held = "" }
	       if ($0 ~ /,$/) { held = $0; next } print }'
}

nft_load_foreign || fail "a foreign inet filter table loads"
gw nft -s list table inet filter >"$NS_DIR/foreign.before"

for want in "$dir"/*.nft; do
	name=$(basename "$want" .nft)
	gw nft delete table inet smtpguard 2>/dev/null
	if ! gw nft -f "$want" 2>"$NS_DIR/err"; then
		fail "$name: nft -f loads $name.nft" "$(cat "$NS_DIR/err")"
		continue
	fi
	gw nft -s list table inet smtpguard | unwrap >"$NS_DIR/got"
	if cmp -s "$want" "$NS_DIR/got"; then
		ok "$name: nft lists $name.nft byte for byte"
	else
		fail "$name: nft lists $name.nft byte for byte" "$(diff -u "$want" "$NS_DIR/got")"
	fi
done
gw nft delete table inet smtpguard
gw nft -s list table inet filter >"$NS_DIR/foreign.after"
check "the foreign inet filter table is unchanged" cmp -s "$NS_DIR/foreign.before" "$NS_DIR/foreign.after"
done_testing
