#!/bin/sh
# hits.sh - `smtpguard hits` on a log file and `bans`/`unban` on a
# stand-in for /proc/net/xt_recent (SMTPGUARD_XT_RECENT_DIR), no root:
# recent hits with zones, sanitized, JSON; ban times from jiffies;
# usage errors.  The live sources are tested in tests/ns/hits.sh.
. tests/lib/tap.sh

SG="${SMTPGUARD:-$(pwd)/smtpguard}"
FIX="$(pwd)/tests/fixtures/logs"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
export TZ=UTC

cp "$FIX/kern.log" "$TMP/kern.log"
printf 'Nov 22 05:59:00 gw kernel: Illegal port 25 > IN=eth2 OUT=eth0 MAC=00:16:3e:00:00:01:00:02:2d:11:22:33:08:00 SRC=192.0.2.66 DST=203.0.113.7 LEN=60 PROTO=TCP SPT=1234 DPT=25\n' >>"$TMP/kern.log"
printf 'Nov 22 05:59:30 gw kernel: Illegal port 25 > IN=e\033]0;pwned\007th2 OUT=eth0 SRC=192.0.2.80 DST=203.0.113.7 PROTO=TCP SPT=1 DPT=25\n' >>"$TMP/kern.log"
printf 'Nov 22 05:59:59 gw root: Illegal port 25 > IN=eth2 OUT=eth0 SRC=192.0.2.99 DST=203.0.113.7 PROTO=TCP SPT=1 DPT=25\n' >>"$TMP/kern.log"
# backend pinned: the xt_recent reader is under test, and auto would look at this host's firewall.
cat >"$TMP/sg.conf" <<EOF
[general]
wan = eth0
log_files = $TMP/kern.log
backend = iptables

[zone wlan]
interface = eth2
mode = log
ban_seconds = 120
EOF

out=$("$SG" -c "$TMP/sg.conf" hits 2>"$TMP/err")
is "$?" 0 "hits exits 0"
is "$(printf '%s\n' "$out" | wc -l)" 20 "the 20 most recent hits"
want=$(grep -a ' kernel: .*Illegal port 25 > ' "$TMP/kern.log" | tail -20 | sed 's/.* SRC=\([^ ]*\) .*/\1/')
is "$(printf '%s\n' "$out" | sed 's/.* SRC=\([^ ]*\) .*/\1/')" "$want" "oldest first, forged line left out"
is "$(printf '%s\n' "$out" | grep 'DST=203.0.113.7 ' | head -1)" \
	"2026-11-22 05:59:00 wlan dropped eth2>eth0 SRC=192.0.2.66 DST=203.0.113.7 TCP SPT=1234 DPT=25 MAC=00:02:2d:11:22:33" \
	"a hit line: time, zone, action, interfaces, addresses, ports, MAC"
if printf '%s\n' "$out" | grep -q "$(printf '\033')"; then fail "no raw ESC reaches the terminal"; else
	ok "no raw ESC reaches the terminal"; fi
if printf '%s\n' "$out" | grep -qF 'e\x1b]0;pwned\x07th2>eth0'; then ok "control bytes shown escaped"; else
	fail "control bytes shown escaped" "$(printf '%s\n' "$out" | tail -1)"; fi
json=$("$SG" -c "$TMP/sg.conf" hits --json)
is "$(printf '%s\n' "$json" | grep -c '^{"time":"2026-.*"dport":25,"prefix":"Illegal port 25 >"}$')" 20 "--json: one object per line"
"$SG" -c "$TMP/sg.conf" hits --bogus >/dev/null 2>&1
is "$?" 2 "hits --bogus: usage error"
"$SG" -c "$TMP/missing.conf" hits >/dev/null 2>&1
is "$?" 2 "hits without a config: usage error"

# ---- bans on a stand-in folder, times against the kernel's jiffies now
mkdir "$TMP/xt"
export SMTPGUARD_XT_RECENT_DIR="$TMP/xt"
is "$("$SG" -c "$TMP/sg.conf" bans)" "No hosts in the rate-ban lists." "no lists: no hosts"
is "$("$SG" -c "$TMP/sg.conf" bans --json)" "[]" "no lists: empty JSON array"
if J=$(sed -n 's/^jiffies: *//p' /proc/timer_list 2>/dev/null | head -1) && [ -n "$J" ]; then
	hz=$(zcat /proc/config.gz 2>/dev/null | sed -n 's/^CONFIG_HZ=//p')
	[ -n "$hz" ] || hz=$(sed -n 's/^CONFIG_HZ=//p' "/boot/config-$(uname -r)" 2>/dev/null)
	if [ -n "$hz" ]; then
		printf 'src=192.0.2.66 ttl: 64 last_seen: %s oldest_pkt: 2 %s, %s\n' $((J - 10 * hz)) $((J - 20 * hz)) $((J - 10 * hz)) >"$TMP/xt/SMTPGUARD-wlan"
		printf 'src=192.0.2.67 ttl: 64 last_seen: %s oldest_pkt: 1 %s\n' $((J - 500 * hz)) $((J - 500 * hz)) >>"$TMP/xt/SMTPGUARD-wlan"
		printf 'src=192.0.2.2 ttl: 64 last_seen: %s oldest_pkt: 1 %s\n' "$J" "$J" >"$TMP/xt/OTHER"
		out=$("$SG" -c "$TMP/sg.conf" bans)
		row=$(printf '%s\n' "$out" | grep '^wlan  *192\.0\.2\.66 ')
		left=$(printf '%s\n' "$row" | sed -n 's/.*  \([0-9]*\)s of 120s$/\1/p')
		if [ -n "$left" ] && [ "$left" -ge 108 ] && [ "$left" -le 110 ]; then
			ok "HZ $hz: 10 s ago leaves 110 s of the zone's 120 s ban ($left)"; else fail "ban left from jiffies" "$out"; fi
		is "$(printf '%s\n' "$row" | awk '{print $5}')" 2 "hits remembered per host"
		if printf '%s\n' "$out" | grep -q '^wlan  *192\.0\.2\.67 .*expired'; then ok "an old entry shows as expired"; else
			fail "an old entry shows as expired" "$out"; fi
		if printf '%s\n' "$out" | grep -q '192\.0\.2\.2 '; then fail "only SMTPGUARD-* lists are read" "$out"; else
			ok "only SMTPGUARD-* lists are read"; fi
		is "$(printf '%s\n' "$out" | sed -n 2p | awk '{print $2}')" 192.0.2.66 "newest first"
	else
		diag "not run: ban times (no CONFIG_HZ in /proc/config.gz or /boot)"
	fi
else
	diag "not run: ban times (/proc/timer_list needs root)"
fi
"$SG" -c "$TMP/sg.conf" unban 192.0.2.9 >/dev/null 2>"$TMP/err"
rc=$?
if [ $rc = 1 ] && grep -q "192.0.2.9 is not in any rate-ban list" "$TMP/err"; then ok "unban of a host not listed: exit 1"; else
	fail "unban of a host not listed: exit 1" "rc=$rc" "$(cat "$TMP/err")"; fi
for bad in "" "192.0.2.1 192.0.2.2" 300.1.1.1 2001:db8::/64 "-x"; do
	# shellcheck disable=SC2086
	"$SG" -c "$TMP/sg.conf" unban $bad >/dev/null 2>"$TMP/err"
	rc=$?
	if [ $rc = 2 ] && [ "$(wc -l <"$TMP/err")" = 1 ]; then ok "unban '$bad': usage error, one line"; else
		fail "unban '$bad': usage error, one line" "rc=$rc" "$(cat "$TMP/err")"; fi
done
"$SG" -c "$TMP/sg.conf" bans --bogus >/dev/null 2>&1
is "$?" 2 "bans --bogus: usage error"

done_testing
