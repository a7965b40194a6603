#!/bin/sh
# usage.sh - usage errors (rootless): a bad option or argument of any
# command is exit 2 with one line on stderr and nothing on stdout, and
# the synopsis that line quotes is the one `smtpguard --help` lists
# (both come from the command table of tui/main.c).
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/tap.sh
SG=${SMTPGUARD:-./smtpguard}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/sg-usage.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
CONF=tests/compile/design.conf

"$SG" --help >"$TMP/help" 2>&1

usage_error() { # usage_error COMMAND ARGS...: the command's usage error
	cmd=$1
	"$SG" -c "$CONF" "$@" >"$TMP/out" 2>"$TMP/err"
	rc=$?
	synopsis=$(sed -n 's/.*(usage: smtpguard \(.*\))$/\1/p' "$TMP/err")
	if [ "$rc" = 2 ] && [ ! -s "$TMP/out" ] && [ "$(wc -l <"$TMP/err")" = 1 ] &&
		grep -q "^smtpguard: $cmd: " "$TMP/err"; then
		ok "$*: exit 2, one line on stderr, nothing on stdout"
	else
		fail "$*: exit 2, one line on stderr, nothing on stdout" "exit $rc" \
			"stderr: $(cat "$TMP/err")" "stdout: $(cat "$TMP/out")"
	fi
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
done_testing
