#!/bin/sh
# report.sh - `smtpguard report` on the fixture logs (no root): the hit
# list equals the first article's grep | grep | awk pipeline minus the
# forged lines, which are counted instead; rotated and gzip siblings,
# stdin, day boundaries, New Year, csv/json, usage errors.
# shellcheck disable=SC2016
. tests/lib/tap.sh

SG="${SMTPGUARD:-$(pwd)/smtpguard}"
FIX="$(pwd)/tests/fixtures/logs"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
export TZ=UTC

# The hit list of a text report: the lines between the "Port ..." heading and the blank line.
hits_of() { sed -n '/^Port /,/^ $/p' | sed '1d;$d'; }
# The article's pipeline, kept to kernel lines (the forged ones are what it cannot tell apart).
article() { # article FILE "Mon dd"
	cat "$1" | grep "Illegal port 25" | grep "$2" | grep ' kernel: ' |
		awk '{print $1" "$2" "$3" > "$12" - "$13}'
}
# The same pipeline picking SRC=/DST= by name (real lines carry MAC= and a kernel stamp).
article_by_name() { # article_by_name "Mon dd" < lines
	grep "Illegal port 25" | grep "$1" | grep ' kernel: ' |
		awk '{s = d = ""; for (i = 1; i <= NF; i++) { if ($i ~ /^SRC=/ && s == "") s = $i; if ($i ~ /^DST=/ && d == "") d = $i }
		      print $1" "$2" "$3" > "s" - "d}'
}

cat >"$TMP/sg.conf" <<EOF
[general]
wan = eth0
log_files = $TMP/missing.log, $TMP/logs/kern.log

[zone wlan]
interface = eth2
mode = log

[zone lan]
interface = eth1
mode = monitor
EOF
mkdir "$TMP/logs"
cp "$FIX/kern.log" "$FIX/kern.log.1" "$FIX/kern.log.2.gz" "$TMP/logs/"
touch -d '2026-11-20 23:59:59 UTC' "$TMP/logs/kern.log.2.gz"
touch -d '2026-11-21 12:00:00 UTC' "$TMP/logs/kern.log.1"
touch -d '2026-11-22 06:00:00 UTC' "$TMP/logs/kern.log"

# 1. the article's own format, without a config
"$SG" -c "$TMP/none.conf" report --date 2026-11-21 "$FIX/messages" >/dev/null 2>"$TMP/err"
rc=$?
if [ $rc = 2 ] && grep -q none.conf "$TMP/err"; then ok "report: a missing -c config is a usage error"; else
	fail "report: a missing -c config is a usage error" "rc=$rc" "$(cat "$TMP/err")"; fi
if [ -e /etc/smtpguard/smtpguard.conf ]; then
	diag "not run: report without a config (this machine has /etc/smtpguard/smtpguard.conf)"
else
	for day in "2026-11-21:Nov 21" "2026-11-02:Nov  2" "2026-11-20:Nov 20"; do
		date=${day%%:*} label=${day#*:}
		if "$SG" report --date "$date" "$FIX/messages" >"$TMP/out" 2>"$TMP/err"; then
			ok "report --date $date FILE runs without a config"
		else
			fail "report --date $date FILE runs without a config" "$(cat "$TMP/err")"
		fi
		want=$(article "$FIX/messages" "$label")
		got=$(hits_of <"$TMP/out")
		[ -n "$want" ] || fail "article pipeline finds hits for $label"
		is "$got" "$want" "hits of $label equal the article's pipeline ($(echo "$want" | wc -l) lines)"
		forged=$(grep "Illegal port 25" "$FIX/messages" | grep "$label" | grep -vc ' kernel: ')
		is "$(sed -n 's/^Untrusted lines skipped: \([0-9]*\).*/\1/p' "$TMP/out")" "$forged" \
			"$label: forged lines are counted as untrusted ($forged)"
		if grep -q '^-  *192\.0\.2\.66 ' "$TMP/out"; then ok "$label: zones are '-' without a config"; else
			fail "$label: zones are '-' without a config" "$(tail -6 "$TMP/out")"; fi
	done
fi

# 2. heading as the article prints it
"$SG" -c "$TMP/sg.conf" report --date 2026-11-21 "$FIX/messages" >"$TMP/out"
is "$(sed -n 1p "$TMP/out")" "Illegal traffic across the network" "heading line"
is "$(sed -n 2p "$TMP/out")" "Date : Nov 21 2026" "date line"
is "$(sed -n 5p "$TMP/out")" "Port 25 (virus, local smtp server,...)" "port line"

# 3. rotated pair + gzip from the config's log_files (the first that exists)
"$SG" -c "$TMP/sg.conf" report --date 2026-11-21 >"$TMP/out" 2>"$TMP/err"
is "$?" 0 "report from the config's log files exits 0"
want=$(cat "$FIX/kern.log.1" "$FIX/kern.log" | article_by_name "Nov 21")
is "$(hits_of <"$TMP/out")" "$want" "Nov 21 from kern.log.1 + kern.log equals the pipeline ($(echo "$want" | wc -l) lines, in time order)"
is "$(hits_of <"$TMP/out" | sed -n '1p;$p' | cut -c1-15 | tr '\n' ' ')" "Nov 21 00:00:00 Nov 21 23:59:59 " \
	"day boundaries: first and last second of the day are in, neighbours out"
if grep -q '^wlan  *192\.0\.2\.66  *00:02:2d:11:22:33 ' "$TMP/out"; then ok "summary row has zone and MAC"; else
	fail "summary row has zone and MAC" "$(tail -8 "$TMP/out")"; fi
top=$(sed -n '/^zone /{n;p}' "$TMP/out" | awk '{print $2}')
is "$top" "192.0.2.66" "summary is sorted by attempts (the zombie first)"
n66=$(cat "$FIX/kern.log.1" "$FIX/kern.log" | article_by_name "Nov 21" | grep -c 'SRC=192.0.2.66 ')
is "$(grep '^wlan  *192\.0\.2\.66 ' "$TMP/out" | awk '{print $4}')" "$n66" "attempts of 192.0.2.66 are exact ($n66)"
is "$(sed -n 's/^Untrusted lines skipped: \([0-9]*\).*/\1/p' "$TMP/out")" 4 "4 forged lines across the rotated pair"

"$SG" -c "$TMP/sg.conf" report --date 2026-11-20 >"$TMP/out"
want=$( (zcat "$FIX/kern.log.2.gz"; cat "$FIX/kern.log.1") | article_by_name "Nov 20")
is "$(hits_of <"$TMP/out")" "$want" "Nov 20 reads kern.log.2.gz (zlib) and kern.log.1 ($(echo "$want" | wc -l) lines)"
"$SG" -c "$TMP/sg.conf" report --date 2026-11-21 "$TMP/logs/kern.log.2.gz" >"$TMP/out"
is "$(hits_of <"$TMP/out" | wc -l)" 0 "a file with no line of the day gives no hits"

# 4. stdin
cat "$FIX/kern.log.1" "$FIX/kern.log" | "$SG" -c "$TMP/sg.conf" report --date 2026-11-21 - >"$TMP/stdin.out"
"$SG" -c "$TMP/sg.conf" report --date 2026-11-21 "$FIX/kern.log.1" "$FIX/kern.log" >"$TMP/files.out"
if cmp -s "$TMP/stdin.out" "$TMP/files.out"; then ok "'-' reads standard input"; else
	fail "'-' reads standard input" "$(diff "$TMP/stdin.out" "$TMP/files.out" | head -5)"; fi

# 5. New Year: year-less dates belong to the year of the day asked for
"$SG" -c "$TMP/sg.conf" report --date 2026-12-31 "$FIX/newyear.log" >"$TMP/out"
is "$(hits_of <"$TMP/out")" "$(article_by_name "Dec 31" <"$FIX/newyear.log")" "Dec 31 2026: only Dec 31 lines"
"$SG" -c "$TMP/sg.conf" report --date 2027-01-01 "$FIX/newyear.log" >"$TMP/out"
is "$(hits_of <"$TMP/out")" "$(article_by_name "Jan  1" <"$FIX/newyear.log")" "Jan 1 2027: the lines after midnight"
is "$(sed -n 2p "$TMP/out")" "Date : Jan  1 2027" "Jan 1 heading"

# 6. csv and json
"$SG" -c "$TMP/sg.conf" report --date 2026-11-21 --format csv >"$TMP/out"
is "$(sed -n 1p "$TMP/out")" "record,time,zone,src,dst,sport,dport,in,out,mac,attempts,destinations,first,last" "csv header"
nhits=$(cat "$FIX/kern.log.1" "$FIX/kern.log" | article_by_name "Nov 21" | wc -l)
is "$(grep -c '^hit,2026-11-21T' "$TMP/out")" "$nhits" "csv: one hit row per hit"
is "$(grep '^source,,wlan,192.0.2.66,' "$TMP/out" | cut -d, -f11)" "$n66" "csv: source row with exact attempts"
is "$(grep '^untrusted,' "$TMP/out" | cut -d, -f11)" 4 "csv: untrusted row"
"$SG" -c "$TMP/sg.conf" report --date 2026-11-21 --format json >"$TMP/out"
is "$(grep -o '"src":"[0-9.]*","dst"' "$TMP/out" | wc -l)" "$nhits" "json: one object per hit"
if grep -q "\"attempts\":$nhits,\"untrusted\":4," "$TMP/out" && grep -q '^{"date":"2026-11-21","hits":\[' "$TMP/out"; then
	ok "json: date, totals"; else fail "json: date, totals" "$(head -c 300 "$TMP/out")"; fi
if command -v python3 >/dev/null 2>&1; then
	if python3 -m json.tool "$TMP/out" >/dev/null 2>&1; then ok "json parses"; else fail "json parses"; fi
fi

# 7. usage and runtime errors
for args in "--date 2026-02-30" "--date 21/11/2026" "--format xml" "--bogus" "--date 2026-11-21 --yesterday"; do
	# shellcheck disable=SC2086
	"$SG" -c "$TMP/sg.conf" report $args "$FIX/messages" >/dev/null 2>"$TMP/err"
	rc=$?
	if [ $rc = 2 ] && [ "$(wc -l <"$TMP/err")" = 1 ]; then ok "report $args: exit 2 with one line"; else
		fail "report $args: exit 2 with one line" "rc=$rc" "$(cat "$TMP/err")"; fi
done
"$SG" -c "$TMP/sg.conf" report --date 2026-11-21 "$TMP/nope.log" >/dev/null 2>"$TMP/err"
rc=$?
if [ $rc = 1 ] && grep -q "nope.log" "$TMP/err"; then ok "missing file: exit 1 naming it"; else
	fail "missing file: exit 1 naming it" "rc=$rc" "$(cat "$TMP/err")"; fi
printf 'Nov 21 00:00:01 gw kernel: Illegal port 25 > IN=eth2 OUT=eth0 SRC=192.0.2.66 DST=203.0.113.25 PROTO=TCP SPT=1 DPT=25\n' |
	gzip | head -c 40 >"$TMP/cut.gz"
"$SG" -c "$TMP/sg.conf" report --date 2026-11-21 "$TMP/cut.gz" >/dev/null 2>"$TMP/err"
rc=$?
if [ $rc = 1 ] && grep -q "cut.gz" "$TMP/err"; then ok "truncated gzip: exit 1 naming it"; else
	fail "truncated gzip: exit 1 naming it" "rc=$rc" "$(cat "$TMP/err")"; fi

# 7b. the default day is yesterday, as the article's cron script; no log file is a usage error
y=$(date -d yesterday '+%b %e') t=$(date '+%b %e')
{
	echo "$y 23:59:59 gw kernel: Illegal port 25 > IN=eth2 OUT=eth0 SRC=192.0.2.66 DST=203.0.113.25 PROTO=TCP SPT=1 DPT=25"
	echo "$t 00:00:01 gw kernel: Illegal port 25 > IN=eth2 OUT=eth0 SRC=192.0.2.67 DST=203.0.113.25 PROTO=TCP SPT=1 DPT=25"
} >"$TMP/recent.log"
"$SG" -c "$TMP/sg.conf" report "$TMP/recent.log" >"$TMP/out"
is "$(hits_of <"$TMP/out" | sed 's/.*SRC=\([^ ]*\).*/\1/')" 192.0.2.66 "no --date: yesterday's hits only"
"$SG" -c "$TMP/sg.conf" report --yesterday "$TMP/recent.log" >"$TMP/out2"
if cmp -s "$TMP/out" "$TMP/out2"; then ok "--yesterday is the default"; else fail "--yesterday is the default"; fi
sed "s#^log_files = .*#log_files = $TMP/none.log#" "$TMP/sg.conf" >"$TMP/nolog.conf"
"$SG" -c "$TMP/nolog.conf" report >/dev/null 2>"$TMP/err"
rc=$?
if [ $rc = 2 ] && grep -q "journalctl -k -o json" "$TMP/err"; then ok "no log file: exit 2, points to the journal"; else
	fail "no log file: exit 2, points to the journal" "rc=$rc" "$(cat "$TMP/err")"; fi

# 8. escape sequences in a log never reach the terminal raw
printf 'Nov 21 10:00:00 gw kernel: Illegal port 25 > IN=e\033[2Jth2 OUT=eth0 SRC=192.0.2.66 DST=203.0.113.25 PROTO=TCP SPT=1 DPT=25\n' >"$TMP/esc.log"
"$SG" -c "$TMP/sg.conf" report --date 2026-11-21 --format csv "$TMP/esc.log" >"$TMP/out"
if grep -q "$(printf '\033')" "$TMP/out"; then fail "csv output carries no raw ESC"; else ok "csv output carries no raw ESC"; fi

done_testing
