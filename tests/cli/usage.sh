#!/bin/sh
# usage.sh - usage errors (rootless): a bad option or argument of any
# command is exit 2 with one line on stderr and nothing on stdout, and
# the synopsis that line quotes is the one `smtpguard --help` lists
# (both come from the command table of tui/main.c); the console is a
# program of its own that smtpguard starts.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/tap.sh
SG=${SMTPGUARD:-./smtpguard}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/sg-usage.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
CONF=tests/compile/design.conf

"$SG" --help >"$TMP/help" 2>&1

# one_line RC PATTERN NAME COMMAND...: COMMAND exits RC with one stderr line matching PATTERN
# and nothing on stdout
one_line() {
	want=$1 pattern=$2 name=$3
	shift 3
	"$@" >"$TMP/out" 2>"$TMP/err"
	rc=$?
	if [ "$rc" = "$want" ] && [ ! -s "$TMP/out" ] && [ "$(wc -l <"$TMP/err")" = 1 ] &&
		grep -q "$pattern" "$TMP/err"; then
		ok "$name"
	else
		fail "$name" "exit $rc" "stderr: $(cat "$TMP/err")" "stdout: $(cat "$TMP/out")"
	fi
}

usage_error() { # usage_error COMMAND ARGS...: the command's usage error
	one_line 2 "^smtpguard: $1: " "$*: exit 2, one line on stderr, nothing on stdout" "$SG" -c "$CONF" "$@"
	synopsis=$(sed -n 's/.*(usage: smtpguard \(.*\))$/\1/p' "$TMP/err")
	if [ -n "$synopsis" ] && grep -qF "  $synopsis " "$TMP/help"; then
		ok "$*: the line quotes the synopsis of --help"
	else
		fail "$*: the line quotes the synopsis of --help" "stderr: $(cat "$TMP/err")"
	fi
}

usage_error apply --bogus
usage_error apply extra
usage_error status --bogus
usage_error export --bogus
usage_error hits --bogus
usage_error bans --bogus
usage_error unban
usage_error report --bogus
# the console's options are parsed by the console program, which smtpguard starts
usage_error console --bogus

# The console is a program of its own: the commands never load ncurses, and
# smtpguard without its console beside it says so in one line (exit 1).
needed=$(readelf -d "$SG" | grep NEEDED)
if [ -n "$needed" ] && ! printf '%s\n' "$needed" | grep -qE 'curses|tinfo'; then
	ok "smtpguard is not linked against ncurses"
else
	fail "smtpguard is not linked against ncurses" "$needed"
fi
mkdir "$TMP/alone"
cp "$SG" "$TMP/alone/smtpguard"
one_line 1 "^smtpguard: cannot start the console $TMP/alone/smtpguard-console: " \
	"without smtpguard-console beside it: exit 1, one line naming it" "$TMP/alone/smtpguard" -c "$CONF" console
done_testing
