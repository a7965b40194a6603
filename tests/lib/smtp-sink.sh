#!/bin/sh
# smtp-sink.sh - a minimal SMTP server for one connection on stdin/stdout
# (run by socat in the test WAN namespace).  Accepts any mail and
# appends "DELIVERED <server address> <client address>" to $SINK_LOG.
# With SINK_MAILDIR set, each message's text is also saved there as
# <pid>.<n>.mail (written as .tmp first, so a .mail file is complete).
# shellcheck disable=SC2034
crlf=$(printf '\r')
say() { printf '%s\r\n' "$1"; }
say "220 ${SINK_NAME:-mx.example.test} ESMTP test sink"
while IFS= read -r line; do
	line=${line%"$crlf"}
	case $line in
	[Ee][Hh][Ll][Oo]*) say "250-${SINK_NAME:-mx.example.test}"; say "250 8BITMIME" ;;
	[Hh][Ee][Ll][Oo]*) say "250 ${SINK_NAME:-mx.example.test}" ;;
	[Mm][Aa][Ii][Ll]*|[Rr][Cc][Pp][Tt]*|[Rr][Ss][Ee][Tt]*|[Nn][Oo][Oo][Pp]*) say "250 ok" ;;
	[Dd][Aa][Tt][Aa]*)
		say "354 go ahead"
		n=$((${n:-0} + 1))
		mail=${SINK_MAILDIR:+$SINK_MAILDIR/$$.$n}
		while IFS= read -r body; do
			body=${body%"$crlf"}
			[ "$body" = "." ] && break
			[ -n "$mail" ] && printf '%s\n' "${body#.}" >>"$mail.tmp"
		done
		[ -n "$mail" ] && mv "$mail.tmp" "$mail.mail"
		echo "DELIVERED ${SOCAT_SOCKADDR:-?} ${SOCAT_PEERADDR:-?}" >>"${SINK_LOG:-/dev/null}"
		say "250 queued"
		;;
	[Qq][Uu][Ii][Tt]*) say "221 bye"; exit 0 ;;
	*) say "500 what?" ;;
	esac
done
