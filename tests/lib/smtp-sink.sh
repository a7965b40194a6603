#!/bin/sh
# smtp-sink.sh - a minimal SMTP server for one connection on stdin/stdout
# (run by socat in the test WAN namespace).  Accepts any mail and
# appends "DELIVERED <server address> <client address>" to $SINK_LOG.
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
		while IFS= read -r body; do
			body=${body%"$crlf"}
			[ "$body" = "." ] && break
		done
		echo "DELIVERED ${SOCAT_SOCKADDR:-?} ${SOCAT_PEERADDR:-?}" >>"${SINK_LOG:-/dev/null}"
		say "250 queued"
		;;
	[Qq][Uu][Ii][Tt]*) say "221 bye"; exit 0 ;;
	*) say "500 what?" ;;
	esac
done
