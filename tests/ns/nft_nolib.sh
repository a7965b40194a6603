#!/bin/sh
# nft_nolib.sh - libnftables is opened only when the nftables backend needs
# it.  With the library unreadable (/dev/null bound over it, in a mount
# namespace of the gateway's commands alone), backend = nftables fails in
# one line that names the package and changes nothing, while `--version`
# and an apply with backend = iptables work as before.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/tap.sh
. tests/lib/netns.sh
. tests/lib/nft.sh
ns_require_root
nft_require
command -v unshare >/dev/null 2>&1 || { echo "1..0 # SKIP no unshare (util-linux)"; exit 0; }
LIB=$(ldconfig -p | awk '/libnftables\.so\.1 / { print $NF; exit }')
[ -n "$LIB" ] || { echo "1..0 # SKIP libnftables.so.1 is not installed"; exit 0; }
LIB=$(readlink -f "$LIB")
ns_setup || { fail "topology"; done_testing; exit 1; }
CONF="$NS_DIR/smtpguard.conf"

# nolib CMD...: CMD in the gateway, the library replaced by an empty file for it alone
nolib() {
	# shellcheck disable=SC2016 # expanded by the inner shell
	gw unshare -m --propagation private sh -c 'mount --bind /dev/null "$1" && shift && exec "$@"' \
		sh "$LIB" "$@"
}
conf() { # conf BACKEND
	write_zones_config "$CONF" allow block
	sed -i "/^confirm = /a backend = $1" "$CONF"
}

out=$(nolib "$SMTPGUARD" --version 2>&1)
is "$?" 0 "without libnftables, smtpguard --version runs"
is "$out" "smtpguard $(cat VERSION)" "... and prints its version"

conf nftables
nolib "$SMTPGUARD" -c "$CONF" apply >"$NS_DIR/out" 2>"$NS_DIR/err"
is "$?" 1 "without libnftables, apply with backend = nftables exits 1"
is "$(wc -l <"$NS_DIR/err")" 1 "... saying it in one line"
if grep -q "^smtpguard: cannot load libnftables\.so\.1 (.*); install the libnftables1 package, or set backend = iptables$" "$NS_DIR/err"; then
	ok "... that names the library, the package and the other backend"
else
	fail "... that names the library, the package and the other backend" "$(cat "$NS_DIR/err")"
fi
if gw nft list tables 2>/dev/null | grep -q smtpguard; then
	fail "... and creates no table" "$(gw nft list tables)"
else
	ok "... and creates no table"
fi
is "$(gw_save | grep -c SMTPGUARD)" 0 "... and no legacy rule either"

conf iptables
nolib "$SMTPGUARD" -c "$CONF" apply >"$NS_DIR/out" 2>"$NS_DIR/err"
is "$?" 0 "without libnftables, apply with backend = iptables works"
if gw_save | grep -q -- '-A SMTPGUARD-wlan .*-j DROP'; then
	ok "... and its rules are in the legacy table"
else
	fail "... and its rules are in the legacy table" "$(cat "$NS_DIR/err")"
fi
if [ -s "$LIB" ] && nft --version >/dev/null 2>&1; then
	ok "the library is untouched outside those commands"
else
	fail "the library is untouched outside those commands" "$(ls -l "$LIB")"
fi
done_testing
