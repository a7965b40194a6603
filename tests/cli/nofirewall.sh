#!/bin/sh
# nofirewall.sh - the commands that need no firewall never look at this
# host's (rootless, no namespace): report, hits, export in every format,
# usage errors, and bans/unban with backend = iptables on a stand-in
# xt_recent folder open no netfilter netlink socket and read no
# /proc/net/ip*_tables_names or /proc/net/xt_recent, whatever `auto`
# would pick here (it is decided only when a command asks for the
# firewall).  Watched with strace.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/tap.sh
SG=${SMTPGUARD:-./smtpguard}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/sg-nofw.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

if ! command -v strace >/dev/null 2>&1 || ! strace -f -qq -o /dev/null true 2>/dev/null; then
	diag "not run: strace is missing or cannot trace here"
	done_testing
	exit 0
fi

AUTO=tests/compile/design.conf	# no backend key: auto
sed 's/^\[general\]$/[general]\nbackend = iptables/' "$AUTO" >"$TMP/pinned.conf"
mkdir "$TMP/xt"
printf 'src=192.0.2.66 ttl: 64 last_seen: 4295123 oldest_pkt: 1 4295123\n' >"$TMP/xt/SMTPGUARD-wlan"

# untouched DESC COMMAND...: the command opens nothing of the host's firewall.
untouched() {
	desc=$1
	shift
	# LeakSanitizer cannot run under ptrace: off for these runs of the ASan build (check-asan)
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" SMTPGUARD_XT_RECENT_DIR="$TMP/xt" \
		strace -f -qq -e trace=socket,open,openat -o "$TMP/trace" \
		"$@" >/dev/null 2>&1
	hits=$(grep -E 'NETLINK_NETFILTER|_tables_names|/proc/net/xt_recent' "$TMP/trace")
	if [ -z "$hits" ]; then ok "$desc: the host's firewall is not read"; else
		fail "$desc: the host's firewall is not read" "$hits"; fi
}

untouched "report" "$SG" -c "$AUTO" report --date 2026-11-22 /dev/null
untouched "hits" "$SG" -c "$AUTO" hits
untouched "hits --json" "$SG" -c "$AUTO" hits --json
untouched "export" "$SG" -c "$AUTO" export
untouched "export --format sh" "$SG" -c "$AUTO" export --format sh
untouched "export --format nft" "$SG" -c "$AUTO" export --format nft
untouched "export --family 6" "$SG" -c "$AUTO" export --family 6
untouched "a usage error" "$SG" -c "$AUTO" status --bogus
untouched "bans, backend = iptables" "$SG" -c "$TMP/pinned.conf" bans
untouched "unban, backend = iptables" "$SG" -c "$TMP/pinned.conf" unban 192.0.2.66
is "$(sed -n 1p "$TMP/xt/SMTPGUARD-wlan")" "-192.0.2.66" "unban wrote to the stand-in list only"

done_testing
