#!/bin/sh
# privileges.sh - without CAP_NET_ADMIN every firewall command says so in
# one line and exits 1; `report` and `export` work as an ordinary user.
#
# Firewall commands only ever run inside a network namespace this test
# creates (unshare -n), as nobody (setpriv) or as root with
# CAP_NET_ADMIN and CAP_NET_RAW taken away.  When we are not root, an
# unprivileged user namespace stands in (unshare -U -n: no capability
# survives the exec); without one those checks are reported as not run.
. tests/lib/tap.sh
SG=${SMTPGUARD:-$(pwd)/smtpguard}
case $SG in /*) ;; *) SG=$(pwd)/$SG ;; esac
TMP=$(mktemp -d "${TMPDIR:-/tmp}/sg-priv.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
chmod 755 "$TMP"
export TZ=UTC

if [ ! -x "$SG" ]; then
	fail "the binary $SG is built (make smtpguard)"
	done_testing
	exit 1
fi

CONF="$TMP/smtpguard.conf"
cat >"$CONF" <<'EOF'
[general]
wan = eth0
ports = 25
relays = 203.0.113.10
confirm = 0

[zone wlan]
interface = eth2
mode = log
EOF
chmod 644 "$CONF"

# The ways to be without the capabilities.  As root, the fresh namespace first gets what the
# config names (eth0, eth2) and a rate-ban list holding 192.0.2.66, so that every command has
# something real to refuse; then the command runs without the capabilities.
XTABLES_LOCKFILE="$TMP/xtables.lock"
export XTABLES_LOCKFILE
in_fresh_ns() {
	unshare -n sh -c '
		ip link add eth0 type veth peer name eth2 &&
		iptables-legacy -w -A INPUT -m recent --name SMTPGUARD-wlan --set &&
		echo +192.0.2.66 >/proc/net/xt_recent/SMTPGUARD-wlan || exit 99
		exec "$@"' sh "$@"
}
as_nobody() { in_fresh_ns setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
as_root_without_caps() {
	in_fresh_ns setpriv --inh-caps=-net_admin,-net_raw --bounding-set=-net_admin,-net_raw "$@"
}
as_user_ns() { unshare -U -n "$@"; }

if [ "$(id -u)" = 0 ]; then
	ways="as_nobody as_root_without_caps"
elif unshare -U -n true 2>/dev/null; then
	ways="as_user_ns"
else
	ways=
	diag "firewall commands NOT checked: not root and no unprivileged user namespaces"
fi

# needs_root WAY DESCRIPTION ARGS...: exit 1 and one line that says root / CAP_NET_ADMIN.
needs_root() {
	way=$1 desc=$2
	shift 2
	$way "$SG" -c "$CONF" "$@" >"$TMP/out" 2>"$TMP/err"
	rc=$?
	err=$(cat "$TMP/err")
	is "$rc" 1 "$way: $desc: exit 1"
	if [ "$(wc -l <"$TMP/err")" = 1 ] && grep -Eq '^smtpguard: .*(root|CAP_NET_ADMIN)' "$TMP/err"; then
		ok "$way: $desc: one line saying it needs root"
	else
		fail "$way: $desc: one line saying it needs root" "stderr: $err"
	fi
}

for way in $ways; do
	needs_root "$way" "apply" apply
	needs_root "$way" "apply --dry-run" apply --dry-run
	needs_root "$way" "apply --check" apply --check
	needs_root "$way" "status" status
	needs_root "$way" "status --json" status --json
	needs_root "$way" "remove" remove
	# The rate-ban lists are files owned by root: root without the capabilities may still
	# write them (the kernel's rule, not ours), and anyone may read them (bans).
	[ "$way" = as_nobody ] && needs_root "$way" "unban" unban 192.0.2.66
done

# --- what an ordinary user may do
run_user() {
	if [ "$(id -u)" = 0 ]; then
		setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"
	else
		"$@"
	fi
}

LOG="$TMP/kern.log"
cat >"$LOG" <<'EOF'
2026-11-22T11:29:51+00:00 gw kernel: Illegal port 25 > IN=eth2 OUT=eth0 MAC=00:16:3e:00:00:01:00:02:2d:11:22:33:08:00 SRC=192.0.2.66 DST=203.0.113.25 LEN=60 TOS=0x00 PREC=0x00 TTL=63 ID=29159 DF PROTO=TCP SPT=53827 DPT=25 WINDOW=64240 RES=0x00 SYN URGP=0
2026-11-22T11:30:10+00:00 gw kernel: Illegal port 25 > IN=eth2 OUT=eth0 MAC=00:16:3e:00:00:01:00:02:2d:11:22:33:08:00 SRC=192.0.2.66 DST=203.0.113.26 LEN=60 TOS=0x00 PREC=0x00 TTL=63 ID=41524 DF PROTO=TCP SPT=53829 DPT=25 WINDOW=64240 RES=0x00 SYN URGP=0
2026-11-21T23:59:59+00:00 gw kernel: Illegal port 25 > IN=eth2 OUT=eth0 SRC=192.0.2.99 DST=203.0.113.25 LEN=60 TOS=0x00 PREC=0x00 TTL=63 ID=1 DF PROTO=TCP SPT=1 DPT=25 WINDOW=64240 RES=0x00 SYN URGP=0
EOF
chmod 644 "$LOG"

for cfg in "-c $CONF" ""; do
	what="report${cfg:+ -c FILE}"
	# shellcheck disable=SC2086
	run_user "$SG" $cfg report --date 2026-11-22 "$LOG" >"$TMP/out" 2>"$TMP/err"
	rc=$?
	is "$rc" 0 "as an ordinary user: $what on a readable log exits 0"
	if grep -q '192\.0\.2\.66' "$TMP/out" && ! grep -q '192\.0\.2\.99' "$TMP/out"; then
		ok "as an ordinary user: $what lists the day's source, not the day before's"
	else
		fail "as an ordinary user: $what lists the day's source, not the day before's" \
			"$(head -20 "$TMP/out")" "stderr: $(cat "$TMP/err")"
	fi
done

run_user "$SG" -c "$CONF" report --date 2026-11-22 --format csv - <"$LOG" >"$TMP/out" 2>"$TMP/err"
rc=$?
if [ $rc = 0 ] && grep -q '192\.0\.2\.66' "$TMP/out"; then
	ok "as an ordinary user: report reads stdin"
else
	fail "as an ordinary user: report reads stdin" "exit $rc" "$(cat "$TMP/err")"
fi

chmod 600 "$LOG"
if [ "$(id -u)" = 0 ]; then
	run_user "$SG" report --date 2026-11-22 "$LOG" >"$TMP/out" 2>"$TMP/err"
	rc=$?
	is "$rc" 1 "as an ordinary user: report on an unreadable log exits 1"
	if [ "$(wc -l <"$TMP/err")" = 1 ] && grep -q 'kern\.log' "$TMP/err"; then
		ok "as an ordinary user: the unreadable log is named in one line"
	else
		fail "as an ordinary user: the unreadable log is named in one line" "$(cat "$TMP/err")"
	fi
fi

run_user "$SG" -c "$CONF" export >"$TMP/out" 2>"$TMP/err"
rc=$?
if [ $rc = 0 ] && grep -q 'SMTPGUARD' "$TMP/out"; then
	ok "as an ordinary user: export prints the ruleset"
else
	fail "as an ordinary user: export prints the ruleset" "exit $rc" "$(cat "$TMP/err")"
fi

done_testing
