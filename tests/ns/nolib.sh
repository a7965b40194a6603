#!/bin/sh
# nolib.sh - the libraries only one feature uses are opened when it first
# needs them: libnftables, libnftnl and libmnl by the nftables backend,
# libnetfilter_log by the NFLOG reader.  With a library unreadable
# (/dev/null bound over it, in a mount namespace of the gateway's commands
# alone), the feature fails in one line that names the library and the
# package and changes nothing, while `--version` and an apply with
# backend = iptables work with all four gone.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/tap.sh
. tests/lib/netns.sh
. tests/lib/nft.sh
ns_require_root
nft_require
command -v unshare >/dev/null 2>&1 || { echo "1..0 # SKIP no unshare (util-linux)"; exit 0; }
# lib SONAME: the file the dynamic loader opens for it
lib() { readlink -f "$(ldconfig -p | awk -v so="$1" '$1 == so { print $NF; exit }')"; }
NFTABLES=$(lib libnftables.so.1) NFTNL=$(lib libnftnl.so.11) MNL=$(lib libmnl.so.0)
NFLOG=$(lib libnetfilter_log.so.1)
for f in "$NFTABLES" "$NFTNL" "$MNL" "$NFLOG"; do
	[ -f "$f" ] || { echo "1..0 # SKIP a library is not installed: '$f'"; exit 0; }
done
ns_setup || { fail "topology"; done_testing; exit 1; }
CONF="$NS_DIR/smtpguard.conf"

# nolib "FILE..." CMD...: CMD in the gateway, each FILE replaced by an empty file for it alone
nolib() {
	files=$1
	shift
	# shellcheck disable=SC2016 # expanded by the inner shell
	gw unshare -m --propagation private sh -c \
		'for f in $1; do mount --bind /dev/null "$f" || exit 125; done; shift; exec "$@"' \
		sh "$files" "$@"
}
conf() { # conf BACKEND [nflog]
	write_zones_config "$CONF" allow block
	sed -i "/^confirm = /a backend = $1" "$CONF"
	if [ "${2:-}" = nflog ]; then
		sed -i 's/^log_target = log$/log_target = nflog\nnflog_group = 25/' "$CONF"
	fi
}
# one_line NAME PATTERN: the command's stderr is one line matching PATTERN
one_line() {
	is "$(wc -l <"$NS_DIR/err")" 1 "... saying it in one line"
	if grep -q "$2" "$NS_DIR/err"; then ok "... $1"; else fail "... $1" "$(cat "$NS_DIR/err")"; fi
}
no_table() {
	if gw nft list tables 2>/dev/null | grep -q smtpguard; then
		fail "... and creates no table" "$(gw nft list tables)"
	else
		ok "... and creates no table"
	fi
	is "$(gw_save | grep -c SMTPGUARD)" 0 "... and no legacy rule either"
}
ALL="$NFTABLES $NFTNL $MNL $NFLOG"

out=$(nolib "$ALL" "$SMTPGUARD" --version 2>&1)
is "$?" 0 "without the nftables and NFLOG libraries, smtpguard --version runs"
is "$out" "smtpguard $(cat VERSION)" "... and prints its version"

for l in "libnftables.so.1 $NFTABLES" "libnftnl.so.11 $NFTNL" "libmnl.so.0 $MNL"; do
	name=${l%% *} file=${l#* }
	conf nftables
	nolib "$file" "$SMTPGUARD" -c "$CONF" apply >"$NS_DIR/out" 2>"$NS_DIR/err"
	is "$?" 1 "without $name, apply with backend = nftables exits 1"
	# libnftables needs the other two: the loader names the one missing in parentheses
	one_line "that names the library, the package and the other backend" \
		"^smtpguard: cannot load lib[a-z_]*\.so\.[0-9]* (.*${name%%.so*}.*); install the lib[a-z0-9-]* package, or set backend = iptables$"
	no_table
done

conf iptables
nolib "$ALL" "$SMTPGUARD" -c "$CONF" apply >"$NS_DIR/out" 2>"$NS_DIR/err"
is "$?" 0 "without the nftables and NFLOG libraries, apply with backend = iptables works"
if gw_save | grep -q -- '-A SMTPGUARD-wlan .*-j DROP'; then
	ok "... and its rules are in the legacy table"
else
	fail "... and its rules are in the legacy table" "$(cat "$NS_DIR/err")"
fi

conf iptables nflog
nolib "$NFLOG" "$SMTPGUARD" -c "$CONF" hits --follow >"$NS_DIR/out" 2>"$NS_DIR/err" </dev/null
is "$?" 1 "without libnetfilter_log, hits --follow with log_target = nflog exits 1"
one_line "that names the library, the package and the other log target" \
	"^smtpguard: cannot load libnetfilter_log\.so\.1 (.*); install the libnetfilter-log1 package, or set log_target = log$"

if [ -s "$NFTABLES" ] && [ -s "$NFTNL" ] && [ -s "$MNL" ] && [ -s "$NFLOG" ] &&
	nft --version >/dev/null 2>&1; then
	ok "the libraries are untouched outside those commands"
else
	fail "the libraries are untouched outside those commands" "$(ls -l $ALL)"
fi
done_testing
