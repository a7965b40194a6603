#!/bin/sh
# report_days.sh - `smtpguard report` on a generated multi-day syslog
# (tests/bench/gen-syslog.sh, rootless): on the last day of a 7-day file
# (cron's morning case) and a middle day, in zones of whole hours, of
# 45 minutes and with daylight saving, the hit list is byte for byte the
# first article's grep | grep | awk; the file (read by seeking to the
# day) and the same bytes through a pipe (every line read) give the same
# report in text, CSV and JSON; and a run stats /etc/localtime at most
# once, not once per hour of log (strace).
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/tap.sh
SG=${SMTPGUARD:-./smtpguard}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/sg-days.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

# The hit list of a text report: the lines between the "Port ..." heading and the blank line.
hits_of() { sed -n '/^Port /,/^ $/p' | sed '1d;$d'; }

for zone in UTC Asia/Kathmandu America/New_York; do
	export TZ=$zone
	# 8 MB: above the size from which the report seeks to the day
	sh tests/bench/gen-syslog.sh 8 7 >"$TMP/syslog"
	for ago in 1 4; do
		day=$(date -d "$ago days ago" +%F)
		label=$(LC_ALL=C date -d "$ago days ago" '+%b %e')
		what="$zone, $day (day $((8 - ago)) of 7)"
		grep 'Illegal port 25' "$TMP/syslog" | grep "$label" |
			awk '{print $1" "$2" "$3" > "$12" - "$13}' >"$TMP/article"
		"$SG" report --date "$day" "$TMP/syslog" >"$TMP/report" 2>&1
		hits_of <"$TMP/report" >"$TMP/hits"
		if [ -s "$TMP/article" ] && cmp -s "$TMP/hits" "$TMP/article"; then
			ok "$what: the hit list is the article pipeline's ($(wc -l <"$TMP/article") lines)"
		else
			fail "$what: the hit list is the article pipeline's" "$(diff "$TMP/article" "$TMP/hits" | head -5)"
		fi
		for format in text csv json; do
			"$SG" report --date "$day" --format "$format" "$TMP/syslog" >"$TMP/seek" 2>&1
			"$SG" report --date "$day" --format "$format" - <"$TMP/syslog" >"$TMP/scan" 2>&1
			if cmp -s "$TMP/seek" "$TMP/scan"; then ok "$what: $format, seeking = reading every line"
			else fail "$what: $format, seeking = reading every line" "$(diff "$TMP/scan" "$TMP/seek" | head -5)"; fi
		done
	done
done

# TZ unset is the common case (cron): glibc would stat /etc/localtime at each mktime().
if ! command -v strace >/dev/null 2>&1 || ! strace -f -qq -o /dev/null true 2>/dev/null; then
	diag "not run: strace is missing or cannot trace here"
else
	unset TZ
	day=$(date -d '1 day ago' +%F)
	sh tests/bench/gen-syslog.sh 8 7 >"$TMP/syslog"
	# LeakSanitizer cannot run under ptrace: off for this run of the ASan build (check-asan)
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
		strace -f -qq -e trace=stat,newfstatat,statx -o "$TMP/trace" \
		"$SG" report --date "$day" "$TMP/syslog" >/dev/null 2>&1
	n=$(grep -c '"/etc/localtime"' "$TMP/trace")
	if [ "$n" -le 1 ]; then ok "TZ unset: /etc/localtime is looked at $n time(s), not per hour of log"
	else fail "TZ unset: /etc/localtime is looked at once at most" "stat calls on it: $n"; fi
fi
done_testing
