#!/bin/sh
# termsafe.sh - terminal safety without the console: a corpus of hostile
# strings (C0 and C1 controls, CR, LF, BS, CSI/OSC/DCS sequences, bidi
# overrides, line separators, invalid UTF-8) is fed through every field
# smtpguard prints - the command line, config values echoed in errors,
# log lines for `report` and `hits`, and, as root in a network namespace
# this test creates, interface names, chain names, rule comments and
# rate-ban list names for `status`, `apply --dry-run` and `bans`.  The
# captured bytes (stdout and stderr) must be printable UTF-8 and newlines
# only: no C0 control but LF, no DEL, no C1, no bidi control, no U+2028/9.
. tests/lib/tap.sh
SG=${SMTPGUARD:-$(pwd)/smtpguard}
case $SG in /*) ;; *) SG=$(pwd)/$SG ;; esac
TMP=$(mktemp -d "${TMPDIR:-/tmp}/sg-termsafe.XXXXXX")
NS=sg-termsafe-$$
cleanup() {
	ip netns del "$NS" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP
export TZ=UTC XTABLES_LOCKFILE="$TMP/xtables.lock"

if [ ! -x "$SG" ]; then
	fail "the binary $SG is built (make smtpguard)"
	done_testing
	exit 1
fi

# The corpus, as printf formats, one per line: name and format.
cat >"$TMP/corpus" <<'EOF'
csi \033[2J\033[H
osc \033]0;pwned\007
dcs \033P1$r\033\134
c1csi \302\2331m
rawc1 \2331m
crlf a\r\nb
cr a\rb
bs \010\010\010
bel-del \007\177
rlo \342\200\256
lri \342\201\246
nel \302\205
ls \342\200\250
invalid \377\376\300\257\355\240\200
EOF

# inert FILE: print where the first byte that must not reach a terminal is; exit 1 then.
inert() {
	od -An -v -tu1 "$1" | awk '
	{ for (i = 1; i <= NF; i++) b[n++] = $i + 0 }
	function bad(why) { printf "offset %d: %s\n", at, why; exit 1 }
	END {
		for (i = 0; i < n;) {
			at = i; c = b[i]
			if (c == 10 || (c >= 32 && c < 127)) { i++; continue }
			if (c < 32 || c == 127) bad(sprintf("control byte 0x%02x", c))
			if (c >= 194 && c <= 223) { len = 2; cp = c - 192 }
			else if (c >= 224 && c <= 239) { len = 3; cp = c - 224 }
			else if (c >= 240 && c <= 244) { len = 4; cp = c - 240 }
			else bad(sprintf("byte 0x%02x that starts no UTF-8 character", c))
			if (i + len > n) bad("a cut UTF-8 character")
			for (k = 1; k < len; k++) {
				d = b[i + k]
				if (d < 128 || d > 191) bad("invalid UTF-8")
				cp = cp * 64 + d - 128
			}
			if ((len == 3 && cp < 2048) || (len == 4 && (cp < 65536 || cp > 1114111)) ||
			    (cp >= 55296 && cp <= 57343))
				bad("invalid UTF-8")
			if (cp >= 128 && cp <= 159) bad(sprintf("C1 control U+%04X", cp))
			if ((cp >= 8234 && cp <= 8238) || (cp >= 8294 && cp <= 8297))
				bad(sprintf("bidi control U+%04X", cp))
			if (cp == 8232 || cp == 8233) bad(sprintf("line separator U+%04X", cp))
			i += len
		}
	}'
}

# Results are gathered per field: one check per field, naming the corpus entries that leaked.
leaks=
field_begin() { leaks=; }
# try NAME FILE: FILE holds what one run printed.
try() {
	if ! why=$(inert "$2"); then
		leaks="$leaks $1 ($why)"
		[ -n "${first_leak:-}" ] || first_leak=$(od -c "$2" | head -8)
	fi
}
field_end() { # field_end DESCRIPTION
	if [ -z "$leaks" ]; then
		ok "$1: nothing hostile reaches the terminal"
	else
		fail "$1: nothing hostile reaches the terminal" "leaked:$leaks" "${first_leak:-}"
	fi
	first_leak=
}

# each CMD: run CMD (a function taking the hostile string) for every corpus entry.
each() {
	field_begin
	while read -r name fmt; do
		# shellcheck disable=SC2059
		h=$(printf "$fmt.")
		h=${h%.}
		"$1" "$h" >"$TMP/got" 2>&1
		try "$name" "$TMP/got"
	done <"$TMP/corpus"
	field_end "$2"
}

# --- the command line
GOOD="$TMP/good.conf"
cat >"$GOOD" <<EOF
[general]
wan = eth0
ports = 25
relays = 203.0.113.10
log_prefix = Illegal port 25 >
confirm = 0
log_files = $TMP/kern.log

[zone lan]
interface = eth1
mode = monitor

[zone wlan]
interface = eth2
mode = rateban
EOF
chmod 600 "$GOOD"

argv_command() { "$SG" "x$1"; }
argv_config() { "$SG" -c "$TMP/x$1" export; }
argv_date() { "$SG" -c "$GOOD" report --date "$1" /dev/null; }
argv_format() { "$SG" -c "$GOOD" report --format "$1" /dev/null; }
argv_option() { "$SG" -c "$GOOD" export "--x$1"; }
argv_file() { "$SG" -c "$GOOD" report --date 2026-11-22 "$TMP/x$1"; }
argv_export_format() { "$SG" -c "$GOOD" export --format "$1"; }
each argv_command "an unknown command"
each argv_config "-c with a missing file"
each argv_date "report --date"
each argv_format "report --format"
each argv_option "an unknown option"
each argv_file "report with a missing log file"
each argv_export_format "export --format"

# --- config values that are echoed in errors (export: no root, loads and validates)
CONF="$TMP/hostile.conf"
# fill TEMPLATE: TEMPLATE with '@' replaced by $H (through the environment: awk -v would
# interpret the backslashes of the corpus).
fill() { T=$1 awk 'BEGIN { t = ENVIRON["T"]; i = index(t, "@"); print substr(t, 1, i - 1) ENVIRON["H"] substr(t, i + 1) }'; }
# config_with TEMPLATE HOSTILE: the good config with the line TEMPLATE added to [general]
# (a section header goes at the end, with an interface).
config_with() {
	line=$(H=$2 fill "$1")
	case $1 in
	"["*) { cat "$GOOD"; printf '%s\ninterface = eth3\n' "$line"; } >"$CONF" ;;
	*) { sed -n '1p' "$GOOD"; printf '%s\n' "$line"; sed '1d' "$GOOD"; } >"$CONF" ;;
	esac
	"$SG" -c "$CONF" export
}
for template in 'wan = e@' 'relays = r@' 'relays = 192.0.2.1@' 'k@ = 1' '[zone z@]' '[z@]' \
	'mode = m@' 'log_prefix = p@' 'log_target = @' 'ports = 2@' 'log_limit = 1/@' \
	'devices = 00:02:2d:11:22:3@ 192.0.2.66' 'quarantine = 192.0.2.7@' 'nflog_group = @'; do
	cfg_field() { config_with "$template" "$1"; }
	each cfg_field "config value in the error: $template"
done
# The values of a zone section.
for template in 'interface = e@' 'mode = @' 'ban_seconds = 6@' 'protect_gateway = @' 'devices = @' \
	'quarantine = @' 'relays = @'; do
	zone_field() {
		{
			cat "$GOOD"
			echo "[zone z]"
			H=$1 fill "$template"
			case $template in interface*) ;; *) echo "interface = eth3" ;; esac
		} >"$CONF"
		"$SG" -c "$CONF" export
	}
	each zone_field "zone value in the error: $template"
done

# --- log lines for report and hits
LOG="$TMP/kern.log"
: >"$LOG"
while read -r name fmt; do
	# shellcheck disable=SC2059
	h=$(printf "$fmt.")
	h=${h%.}
	p="Illegal port 25 >"
	tail="LEN=60 TOS=0x00 PREC=0x00 TTL=63 ID=1 DF PROTO=TCP SPT=53827 DPT=25 WINDOW=64240 RES=0x00 SYN URGP=0"
	d="2026-11-22T11:29:51+00:00"
	{
		printf '%s gw%s kernel: %s IN=eth2 OUT=eth0 SRC=192.0.2.66 DST=203.0.113.25 %s\n' "$d" "$h" "$p" "$tail"
		printf '%s gw kernel: %s IN=e%s OUT=eth0 SRC=192.0.2.66 DST=203.0.113.25 %s\n' "$d" "$p" "$h" "$tail"
		printf '%s gw kernel: %s IN=eth2 OUT=e%s SRC=192.0.2.66 DST=203.0.113.25 %s\n' "$d" "$p" "$h" "$tail"
		printf '%s gw kernel: %s IN=eth2 OUT=eth0 MAC=00:16:3e:00:00:01:%s SRC=192.0.2.67 DST=203.0.113.25 %s\n' \
			"$d" "$p" "$h" "$tail"
		printf '%s gw kernel: %s IN=eth2 OUT=eth0 SRC=192.0.2.68 DST=203.0.113.25 %s %s\n' "$d" "$p" "$tail" "$h"
		printf '%s gw kernel: %s%s IN=eth2 OUT=eth0 SRC=192.0.2.69 DST=203.0.113.25 %s\n' "$d" "$p" "$h" "$tail"
		printf '%s gw kernel: %s IN=eth2 OUT=eth0 SRC=192.0.2.70%s DST=203.0.113.25 %s\n' "$d" "$p" "$h" "$tail"
		printf '%s gw sshd%s: %s IN=eth2 OUT=eth0 SRC=192.0.2.71 DST=203.0.113.25 %s\n' "$d" "$h" "$p" "$tail"
		printf '4,7,1000,-;%s IN=e%s OUT=eth0 SRC=192.0.2.72 DST=203.0.113.25 %s\n' "$p" "$h" "$tail"
		printf '%s%s\n' "$d" "$h"
	} >>"$LOG"
done <"$TMP/corpus"
# journalctl -o json: escapes decode to raw control bytes inside the parser.
printf '{"__REALTIME_TIMESTAMP":"1795346991000000","_TRANSPORT":"kernel","MESSAGE":"%s IN=e\\u001b[2J OUT=eth0 SRC=192.0.2.73 DST=203.0.113.25 PROTO=TCP SPT=1 DPT=25","_HOSTNAME":"g\\u009b1m"}\n' \
	"Illegal port 25 >" >>"$LOG"
printf '{"__REALTIME_TIMESTAMP":"1795346991000000","_TRANSPORT":"kernel","MESSAGE":"%s IN=eth2 OUT=e\\u202e\\r\\n SRC=192.0.2.74 DST=203.0.113.25 PROTO=TCP SPT=1 DPT=25"}\n' \
	"Illegal port 25 >" >>"$LOG"

one_log() { # one_log DESCRIPTION COMMAND...: one field check for one command over the whole log
	desc=$1
	shift
	field_begin
	"$@" >"$TMP/got" 2>&1
	rc=$?
	try "whole log" "$TMP/got"
	field_end "$desc"
	if [ $rc = 0 ] && grep -q '192\.0\.2\.6[6-9]' "$TMP/got"; then
		ok "$desc: exits 0 and reports hits ($(grep -c '192\.0\.2\.' "$TMP/got") lines name a source)"
	else
		fail "$desc: exits 0 and reports hits" "exit $rc" "$(head -c 600 "$TMP/got" | od -c | head -10)"
	fi
}
for f in text csv json; do
	one_log "report --format $f" "$SG" -c "$GOOD" report --date 2026-11-22 --format "$f" "$LOG"
	one_log "report --format $f (no config)" "$SG" report --date 2026-11-22 --format "$f" "$LOG"
done
gzip -c "$LOG" >"$TMP/kern.log.1.gz"
one_log "report of a gzip log" "$SG" -c "$GOOD" report --date 2026-11-22 "$TMP/kern.log.1.gz"
one_log "report from stdin" sh -c '"$0" -c "$1" report --date 2026-11-22 - <"$2"' "$SG" "$GOOD" "$LOG"

# hits reads the config's log_files; as root it may also read /dev/kmsg, which we never write.
one_log "hits over the hostile log" "$SG" -c "$GOOD" hits
one_log "hits --json over the hostile log" "$SG" -c "$GOOD" hits --json

# --- the kernel's strings: interface, chain and list names, rule comments (root, own namespace)
if [ "$(id -u)" != 0 ]; then
	diag "interface, chain, comment and rate-ban list names NOT checked: needs root for a network namespace"
	done_testing
	exit
fi
if ! ip netns add "$NS"; then
	fail "network namespace $NS"
	done_testing
	exit 1
fi
in_ns() { ip netns exec "$NS" "$@"; }
in_ns ip link set lo up
n=0 made=0
while read -r name fmt; do
	# shellcheck disable=SC2059
	h=$(printf "$fmt.")
	h=${h%.}
	n=$((n + 1))
	# Interface names: up to 15 bytes, no '/', ':' or white space (the kernel's rule).
	ifn=$(printf 'x%s%s' "$n" "$h" | tr -d '\t\n\v\f\r /:\240' | head -c 15)
	if in_ns ip link add name "$ifn" type veth peer name "y$n" 2>/dev/null; then
		made=$((made + 1))
		in_ns ip link set "$ifn" up
		in_ns ip addr add "192.0.2.$((n + 100))/32" dev "$ifn"
	fi
	in_ns iptables-legacy -w -N "C$n$(printf '%s' "$h" | tr -d ' \n\t' | head -c 20)" 2>/dev/null
	in_ns iptables-legacy -w -A FORWARD -m comment --comment "c$h" -j ACCEPT 2>/dev/null
	in_ns iptables-legacy -w -A FORWARD -i "$ifn" -p tcp --dport 25 -j ACCEPT 2>/dev/null
	in_ns iptables-legacy -w -A INPUT -m recent --name "SMTPGUARD-$n$(printf '%s' "$h" | tr -d '/ \n' | head -c 20)" \
		--set 2>/dev/null
done <"$TMP/corpus"
for list in /proc/net/xt_recent/SMTPGUARD-*; do
	in_ns sh -c 'echo +192.0.2.66 >"$1"' sh "$list" 2>/dev/null
done
is "$made" "$(wc -l <"$TMP/corpus")" "every hostile interface name could be created"
rules=$(in_ns iptables-legacy-save -t filter | grep -c '^-A')
diag "$rules hostile foreign rules, $(in_ns ls /proc/net/xt_recent 2>/dev/null | wc -l) rate-ban lists"

for cmd in "status" "status --json" "apply --dry-run" "bans" "bans --json"; do
	field_begin
	# shellcheck disable=SC2086
	in_ns "$SG" -c "$GOOD" $cmd >"$TMP/got" 2>&1
	try "$cmd" "$TMP/got"
	field_end "$cmd with hostile interface, chain, comment and list names"
done
# unban parses its argument before it touches a list; in the namespace all the same.
argv_unban() { in_ns "$SG" -c "$GOOD" unban "192.0.2.1$1"; }
each argv_unban "unban with a hostile address"

in_ns "$SG" -c "$GOOD" status >"$TMP/got" 2>&1
if grep -q '^' "$TMP/got" && grep -q '192\.0\.2\.10[1-9]' "$TMP/got"; then
	ok "status lists the hostile interfaces (their addresses are shown)"
else
	fail "status lists the hostile interfaces (their addresses are shown)" "$(head -20 "$TMP/got")"
fi

done_testing
