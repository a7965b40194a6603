#!/bin/sh
# badinput.sh - the bad-input catalogue of issue 7 through the real CLI on
# the test gateway.  A good config is applied first, so there is something
# to lose; then each bad config is handed to `apply`.  Every case asserts
# the exit code, one inert line on stderr naming the place (file:line
# where there is one) and the fault, and that the gateway's filter table
# and the config file are byte for byte as they were.  CRLF line ends and
# UTF-8 comments are accepted: they apply and change nothing.
# backends: iptables nftables
. tests/lib/tap.sh
. tests/lib/netns.sh
. tests/lib/backend.sh
ns_require_root
backend_require
ns_setup || { fail "topology"; done_testing; exit 1; }

GOOD="$NS_DIR/good.conf"
BAD="$NS_DIR/bad.conf"
ZONES='[zone lan]
interface = eth1
mode = block

[zone wlan]
interface = eth2
mode = rateban
protect_gateway = yes'

write_config "$GOOD" "$ZONES"
cp "$GOOD" "$NS_DIR/good.orig"
if out=$(sg -c "$GOOD" apply 2>&1); then ok "the good config applies"; else fail "the good config applies" "$out"; fi
if gw_own | grep -Eq '^-A FORWARD .*-j SMTPGUARD-|^[[:space:]]+tcp dport 25 (counter )?jump guard$'; then
	ok "the good config put a jump in the forward hook"
else
	fail "the good config put a jump in the forward hook" "$(gw_own)"
fi
# The firewall without any counter (the oracle of backend.sh).
table() { gw_firewall; }
TABLE="$NS_DIR/table.before"
table >"$TABLE"

# The [general] section of the good config, without zones: the start of most bad files.
general() { write_config "$BAD"; }
# bad CONTENT: a config of exactly these bytes (printf format).
bad() {
	rm -rf "$BAD"
	# shellcheck disable=SC2059
	printf "$1" >"$BAD"
}
# with_general TEXT: [general] of the good config, then TEXT (literal).
with_general() {
	rm -rf "$BAD"
	general
	printf '%s\n' "$1" >>"$BAD"
}

# What the config is now: bytes and mode of a file, target of a link, listing of a folder.
config_state() {
	if [ -L "$BAD" ]; then
		echo "link $(readlink "$BAD")"
	elif [ -d "$BAD" ]; then
		ls -la "$BAD" | sed 1d
	else
		stat -c '%a %s %U' "$BAD"
		od -An -tx1 -v "$BAD" | md5sum
	fi
}

# expect NAME CODES PATTERN [run-prefix...]: apply $BAD; the exit code is one of CODES
# ("2" or "1 2"), stderr is one inert line matching the extended regex PATTERN, and
# nothing changed.  A run-prefix (e.g. setpriv ...) goes before the program.
expect() {
	name=$1 codes=$2 pattern=$3
	shift 3
	state=$(config_state)
	gw timeout 30 "$@" "$SMTPGUARD" -c "$BAD" apply >"$NS_DIR/out" 2>"$NS_DIR/err"
	rc=$?
	err=$(cat "$NS_DIR/err")
	diag "$name: $err"
	case " $codes " in
	*" $rc "*) ok "$name: exit $rc" ;;
	*) fail "$name: exit code" "got $rc, want one of: $codes" "stderr: $err" ;;
	esac
	lines=$(wc -l <"$NS_DIR/err")
	if [ "$lines" = 1 ] && printf '%s\n' "$err" | grep -q '^smtpguard: '; then
		ok "$name: one error line"
	else
		fail "$name: one error line" "got $lines line(s):" "$err"
	fi
	if tr -d '\n' <"$NS_DIR/err" | LC_ALL=C grep -q '[[:cntrl:]]'; then
		fail "$name: the error holds no control character" "$(od -c "$NS_DIR/err" | head -5)"
	else
		ok "$name: the error holds no control character"
	fi
	if printf '%s\n' "$err" | grep -Eq -- "$pattern"; then
		ok "$name: the error says /$pattern/"
	else
		fail "$name: the error says /$pattern/" "stderr: $err"
	fi
	if [ -s "$NS_DIR/out" ]; then
		fail "$name: nothing on stdout" "$(head -5 "$NS_DIR/out")"
	else
		ok "$name: nothing on stdout"
	fi
	unchanged "$name" "$state"
}

# unchanged NAME STATE: the filter table and the config file are as they were.
unchanged() {
	if table | cmp -s - "$TABLE"; then
		ok "$1: the filter table is unchanged"
	else
		fail "$1: the filter table is unchanged" "$(table | diff "$TABLE" - | head -20)"
	fi
	if [ "$(config_state)" = "$2" ]; then
		ok "$1: the config file is unchanged"
	else
		fail "$1: the config file is unchanged"
	fi
}

# accepted NAME: apply $BAD succeeds and, holding the good config's policy, changes nothing.
accepted() {
	state=$(config_state)
	if out=$(sg -c "$BAD" apply 2>&1); then ok "$1: accepted"; else fail "$1: accepted" "$out"; fi
	unchanged "$1" "$state"
}

# --- keys, sections, zones
with_general "bogus = 1"
expect "unknown key" 2 'bad\.conf:10: .*bogus'
with_general "[frobnicate]
wan = eth0"
expect "unknown section" 2 'bad\.conf:10: .*frobnicate'
with_general "$ZONES
[zone lan]
interface = eth3"
expect "duplicate zone" 2 'bad\.conf:18: .*lan'
with_general "[zone lan]
mode = block"
expect "zone without interface" 2 'bad\.conf:10: .*interface'
with_general "[zone lan]
interface = eth1
[zone lan2]
interface = eth1"
expect "two zones on one interface" 2 'bad\.conf:1[1-3]: .*eth1'
with_general "[zone lan]
interface = eth0
mode = block"
expect "a zone on the WAN interface" 2 'bad\.conf:1[01]: .*eth0'
with_general "[zone abcdefghijklmnopqrs]
interface = eth1"
expect "zone name too long for a chain name" 2 'bad\.conf:10: .*abcdefghijklmnopqrs'
with_general "[zone Lan!]
interface = eth1"
expect "zone name with bad characters" 2 'bad\.conf:10: .*Lan!'
bad '[zone lan]\ninterface = eth1\nmode = block\n'
expect "missing [general]" 2 'bad\.conf.*(general|wan)'
bad ''
expect "empty file" 2 'bad\.conf'

# --- addresses, MACs, ports
with_general "[zone lan]
interface = eth1
relays = 300.1.1.1/33"
expect "invalid CIDR 300.1.1.1/33" 2 'bad\.conf:12: .*300\.1\.1\.1'
with_general "[zone lan]
interface = eth1
relays = 1.2.3.4/"
expect "invalid CIDR 1.2.3.4/" 2 'bad\.conf:12: .*1\.2\.3\.4/'
with_general "[zone lan]
interface = eth1
quarantine = 192.0.2.0/26, 192.0.2.7"
expect "overlapping quarantine prefixes" 2 'bad\.conf:12: .*192\.0\.2\.'
with_general "[zone lan]
interface = eth1
relays = 0.0.0.0/0"
expect "0.0.0.0/0 as a relay" 2 'bad\.conf:12: .*0\.0\.0\.0/0.*(every|anyone|all)'
with_general "[zone lan]
interface = eth1
relays = ::/0"
expect "::/0 as a relay" 2 'bad\.conf:12: .*::/0'
with_general "[zone lan]
interface = eth1
quarantine = 0.0.0.0/0"
expect "0.0.0.0/0 as a quarantined host" 2 'bad\.conf:12: .*0\.0\.0\.0/0 would cut every host off'
with_general "[zone lan]
interface = eth1
quarantine = ::/0"
expect "::/0 as a quarantined host" 2 'bad\.conf:12: .*::/0 would cut every host off'
with_general "relays = 2001::/16"
expect "2001::/16 as a relay" 2 'bad\.conf:[0-9]+: .*2001::/16 is wider than a /32'
with_general "[zone wlan]
interface = eth2
devices = 00:02:2d:11:22 192.0.2.66"
expect "MAC with wrong length" 2 'bad\.conf:12: .*00:02:2d:11:22'
with_general "[zone wlan]
interface = eth2
devices = 00:02:2d:11:22:33:44 192.0.2.66"
expect "MAC too long" 2 'bad\.conf:12: .*00:02:2d:11:22:33:44'
general
sed -i 's/^ports = 25$/ports = 0/' "$BAD"
expect "port 0" 2 'bad\.conf:3: .*0'
general
sed -i 's/^ports = 25$/ports = 25, 65536/' "$BAD"
expect "port 65536" 2 'bad\.conf:3: .*65536'
general
sed -i 's/^relays = 203.0.113.10$/relays = 203.0.113.10, mail.smtpguard-test.invalid/' "$BAD"
# Name lookups in the gateway go to a resolver that answers at once (nothing listens on
# 127.0.0.1:53 there), inside the private mount namespace of ip netns exec.
printf 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n' >"$NS_DIR/resolv.conf"
expect "a relay host name that does not resolve" "1 2" \
	'bad\.conf:4: .*mail\.smtpguard-test\.invalid' \
	sh -c 'mount --bind "$0" /etc/resolv.conf && exec "$@"' "$NS_DIR/resolv.conf"

# --- what the file is
general
printf 'log_prefix = ' >>"$BAD"
head -c 10485760 /dev/zero | tr '\0' a >>"$BAD"
echo >>"$BAD"
expect "a 10 MB line" 2 'bad\.conf(:10: |: .*bytes)'
# A list longer than inih's 200-byte line: refused with its line, or taken whole; never cut short.
with_general "[zone lan]
interface = eth1
mode = block
relays = $(i=100; while [ $i -lt 140 ]; do printf '203.0.113.%s, ' $i; i=$((i + 1)); done)203.0.113.200"
state=$(config_state)
gw "$SMTPGUARD" -c "$BAD" export >"$NS_DIR/out" 2>"$NS_DIR/err"
rc=$?
if [ $rc = 2 ] && grep -Eq '^smtpguard: .*bad\.conf:13: ' "$NS_DIR/err"; then
	ok "a 600-byte relay list on one line: refused with its line"
elif [ $rc = 0 ] && grep -q '203\.0\.113\.200' "$NS_DIR/out" && grep -q '203\.0\.113\.100' "$NS_DIR/out"; then
	ok "a 600-byte relay list on one line: taken whole"
else
	fail "a 600-byte relay list on one line: refused or taken whole" "exit $rc" "$(cat "$NS_DIR/err")" \
		"$(grep -c 203.0.113 "$NS_DIR/out") relay rules exported"
fi
unchanged "a 600-byte relay list on one line" "$state"
general
printf 'log_prefix = Illegal\0port 25 >\n' >>"$BAD"
expect "a NUL byte in a value" 2 'bad\.conf:10: .*NUL'
rm -f "$BAD"
awk 'BEGIN { for (r = 0; r < 64; r++) for (i = 0; i < 256; i++) printf "%c", i }' >"$BAD"
expect "a binary file" 2 'bad\.conf'
rm -f "$BAD"
mkdir "$BAD"
expect "a config that is a directory" "1 2" 'bad\.conf'
rmdir "$BAD"
ln -s /dev/zero "$BAD"
expect "a config that is a symlink to /dev/zero" "1 2" 'bad\.conf'
rm -f "$BAD"
general
chmod 000 "$BAD"
expect "an unreadable file" "1 2" 'bad\.conf.*(ermission|read)' \
	setpriv --bounding-set=-dac_override,-dac_read_search
chmod 600 "$BAD"
rm -f "$BAD"
expect "a config that does not exist" "1 2" 'bad\.conf'

# --- accepted: the same policy written differently changes nothing
rm -f "$BAD"
sed 's/$/\r/' "$GOOD" >"$BAD"
accepted "CRLF line ends"
{
	printf '# smtpguard \342\200\224 la passerelle du caf\303\251 \360\237\223\247\n'
	while IFS= read -r line; do
		if [ "$line" = "wan = eth0" ]; then
			printf 'wan = eth0 ; l\047interface c\303\264t\303\251 FAI\n'
		else
			printf '%s\n' "$line"
		fi
	done <"$GOOD"
} >"$BAD"
accepted "UTF-8 in comments"

# --- files smtpguard writes: 0600, and a symlink planted where it writes is refused, not followed
OUTDIR="$NS_DIR/out.d"
mkdir -p "$OUTDIR"
echo "precious" >"$NS_DIR/victim"
ln -s "$NS_DIR/victim" "$OUTDIR/rules"
sg -c "$GOOD" export -o "$OUTDIR/rules" >"$NS_DIR/out" 2>"$NS_DIR/err"
rc=$?
if [ $rc != 0 ] && [ "$(wc -l <"$NS_DIR/err")" = 1 ]; then
	ok "export -o onto a planted symlink: refused in one line (exit $rc)"
else
	fail "export -o onto a planted symlink: refused in one line" "exit $rc" "$(cat "$NS_DIR/err")"
fi
is "$(cat "$NS_DIR/victim")" "precious" "export -o onto a planted symlink: its target is untouched"
is "$(readlink "$OUTDIR/rules")" "$NS_DIR/victim" "export -o onto a planted symlink: the link is left as it was"
rm -f "$OUTDIR/rules"
if sg -c "$GOOD" export -o "$OUTDIR/rules" 2>"$NS_DIR/err"; then
	is "$(stat -c %a "$OUTDIR/rules")" 600 "export -o writes a new file with mode 0600"
else
	fail "export -o writes a new file with mode 0600" "$(cat "$NS_DIR/err")"
fi
is "$(find "$OUTDIR" -mindepth 1 | wc -l)" 1 "export -o leaves no temporary file behind"

# --- the good config itself and the kernel are still in step
if cmp -s "$GOOD" "$NS_DIR/good.orig"; then ok "the good config is unchanged"; else fail "the good config is unchanged"; fi
sg -c "$GOOD" apply --check >"$NS_DIR/out" 2>&1
is "$?" 0 "apply --check: the kernel still matches the good config"

done_testing
