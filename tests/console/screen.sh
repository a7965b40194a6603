#!/bin/sh
# screen.sh - the console in tmux on the test gateway: interfaces and
# zones shown, counters rise with SMTP from the WLAN, the hit appears
# with its source, a bad relay is refused with the reason, 80x24 keeps
# every area, an escape sequence from a log line stays inert, and q
# quits restoring the terminal.  On nftables one inet rule counts both
# families: the zone's count rises with each, its IPv6 column says -.
# backends: iptables nftables
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/tap.sh
. tests/lib/netns.sh
. tests/lib/backend.sh
. tests/lib/tmux.sh
backend_require
console_sandbox
console_apply_nflog monitor monitor

# A log line (ulogd's LOGEMU format: log_target is nflog) whose MAC field carries
# OSC (set the title), CSI (clear the screen, colour) and BEL; the console reads it back at start.
esc=$(printf '\033')
bel=$(printf '\007')
printf '%s gw Illegal port 25 > IN=eth2 OUT=eth0 MAC=%s]0;pwned%s%s[2J%s[31mevil SRC=192.0.2.77 DST=203.0.113.25 LEN=60 TOS=0x00 PREC=0x00 TTL=63 ID=1 DF PROTO=TCP SPT=40000 DPT=25 WINDOW=64240 RES=0x00 SYN URGP=0\n' \
	"$(date '+%b %e %H:%M:%S')" "$esc" "$bel" "$esc" "$esc" >"$NS_DIR/kern.log"
before_conf=$(cat "$CONF")

tmux_start 100 30 "ip netns exec $NS_GW $SMTPGUARD -c $CONF" || fail "tmux starts"
if tmux_wait 'Zones and interfaces' 10 start; then ok "console starts"; else fail "console starts"; fi
screen=$(tmux_capture zones)
# The log line with escapes, read back at start: shown as text.  Checked before any mail is sent,
# while it is the only hit (newer hits push it out of the hits area; 10 s bound for the first read).
if tmux_wait '192\.0\.2\.77.*x1b\]0;pw' 10 escape; then
	ok "the escape sequence from the log is shown as text"
else
	fail "the escape sequence from the log is shown as text"
fi
for pat in 'eth0 +wan +up +198\.51\.100\.1/24' 'eth1 +zone lan +up +192\.0\.2\.1/26' \
	'eth2 +zone wlan +up +192\.0\.2\.65/26' '^lan +eth1 +monitor' '^wlan +eth2 +monitor' \
	'relays of every zone: 203\.0\.113\.10'; do
	if printf '%s\n' "$screen" | grep -Eq -- "$pat"; then ok "screen shows /$pat/"; else fail "screen shows /$pat/"; fi
done

# Counters: the jump into the WLAN's chain counts the SMTP attempt (t: the rules as text).
tmux_keys t
if on_nft; then jump='iifname "eth2" oifname "eth0" counter jump zone_wlan'; else
	jump='-A SMTPGUARD-FWD -i eth2 -o eth0 -j SMTPGUARD-wlan'; fi
count_of() { printf '%s\n' "$1" | grep -F -- "$jump" | head -1 | awk '{print $1}'; }
tmux_wait "$jump" 5 rules-text >/dev/null
c0=$(count_of "$(tmux_capture rules-text)")
is "${c0:-missing}" 0 "the WLAN jump is on screen with 0 packets"
check "mail from the WLAN passes in monitor mode" send_mail "$NS_WLAN" 203.0.113.25
# The console reads counters every second: bounded wait (10 s) for a count above 0.
tmux_wait "^ +[1-9][0-9]* .*$jump" 10 counters >/dev/null
c1=$(count_of "$(tmux_capture counters)")
if [ "${c1:-0}" -gt 0 ] 2>/dev/null; then ok "counter on screen rose ($c0 -> $c1)"; else fail "counter on screen rose" "got: ${c1:-missing}"; fi

# Both families side by side per zone: IPv6 mail shows up in the zone's v6 count (on nftables
# in the one count of both, which rises again; the IPv6 column says -).
if on_nft; then none6='-'; else none6='0'; fi
if tmux_capture zone-counts | grep -Eq "^wlan +eth2 .* [1-9][0-9.kKM]* +$none6\$"; then
	ok "the zone row counts the IPv4 attempt, none over IPv6 yet"
else
	fail "the zone row counts the IPv4 attempt, none over IPv6 yet" "$(tmux_capture zone-counts | grep '^wlan ')"
fi
both=$(tmux_capture zone-count4 | awk '/^wlan / { print $(NF - 1) }')
check "mail from the WLAN over IPv6 passes in monitor mode" send_mail6 "$NS_WLAN" 2001:db8:113::25
if on_nft; then
	n=0	# bounded: 15 s
	until now=$(tmux_capture zone-counts6 | awk '/^wlan / { print $(NF - 1) }') &&
		[ "$now" -gt "$both" ] 2>/dev/null || [ $n -ge 150 ]; do sleep 0.1; n=$((n + 1)); done
	if [ $n -lt 150 ]; then ok "the zone row counts the IPv6 attempt with the IPv4 one ($both -> $now)"; else
		fail "the zone row counts the IPv6 attempt with the IPv4 one" "$both -> $now"; fi
elif tmux_wait '^wlan +eth2 .* [1-9][0-9.kKM]* +[1-9][0-9.kKM]*$' 15 zone-counts6; then
	ok "the zone row counts the IPv6 attempt beside the IPv4 one"
else
	fail "the zone row counts the IPv6 attempt beside the IPv4 one" "$(tmux_capture zone-counts6 | grep '^wlan ')"
fi

if tmux_wait '192\.0\.2\.66 +00:02:2d:11:22:33 +203\.0\.113\.25 +logged' 5 hit; then
	ok "the hit shows source 192.0.2.66, its MAC and destination"
else
	fail "the hit shows source 192.0.2.66, its MAC and destination"
fi
if tmux_wait 'wlan\[ *[^] ]' 5 spark; then ok "the WLAN's hit-rate sparkline moved"; else fail "the WLAN's hit-rate sparkline moved"; fi
if tmux_wait '192\.0\.2\.66 +wlan .*top talker' 5 talker; then ok "the source is a top talker"; else fail "the source is a top talker"; fi

# The log line with escapes was never sent to the terminal (it was shown as text at start, above).
if grep -q "$(printf '\033]0;pwned')" "$TMUX_RAW" || grep -q "$(printf '\033\[31mevil')" "$TMUX_RAW"; then
	fail "no escape sequence from the log reached the terminal"
else
	ok "no escape sequence from the log reached the terminal"
fi
is "$(tmux_cmd display -p -t sg '#{pane_title}')" "$(tmux_cmd display -p -t sg '#{host}')" "the terminal title is untouched"

# A relay that is not an address is refused with the reason; nothing changes.
# The filter table without any counters (chain policies count traffic too).
rules() { gw_firewall | sed 's/\[[0-9]*:[0-9]*\]/[0:0]/'; }
rules_before=$(rules)
tmux_keys r
tmux_type '300.1.1.1/33'
if tmux_wait 'Add relay.*300\.1\.1\.1/33 .*not an IPv4 address' 5 relay-typed; then
	ok "the input line says why the relay is refused while typing"
else
	fail "the input line says why the relay is refused while typing"
fi
tmux_keys Enter
if tmux_wait 'refused: .*300\.1\.1\.1' 5 relay-refused; then ok "Enter on a bad relay is refused"; else fail "Enter on a bad relay is refused"; fi
tmux_keys Escape
tmux_wait '^4 Offenders' 5 relay-closed >/dev/null
is "$(rules)" "$rules_before" "the kernel's rules did not change"
is "$(cat "$CONF")" "$before_conf" "the config file did not change"

# 80x24: every area keeps its title and some content.
tmux_resize 80 24
# Redrawn at the new size: every area's title on one screen (bounded: 10 s).
tmux_wait_all 10 80x24-drawn '^1 Zones and interfaces' '^2 Rules' '^3 Port-25 hits' '^4 Offenders' 'F1.*Help' >/dev/null
screen=$(tmux_capture 80x24)
is "$(printf '%s\n' "$screen" | wc -l)" 24 "the screen is 24 rows"
if on_nft; then own='jump (guard|zone_)' status='smtpguard +nftables'; else own='SMTPGUARD' status='smtpguard +iptables'; fi
for pat in '^1 Zones and interfaces' '^wlan +eth2' '^2 Rules' "$own" '^3 Port-25 hits' '192\.0\.2\.66' \
	'^4 Offenders' 'F1.*Help' "$status"; do
	if printf '%s\n' "$screen" | grep -Eq -- "$pat"; then ok "80x24 shows /$pat/"; else fail "80x24 shows /$pat/"; fi
done
if printf '%s\n' "$screen" | awk 'length($0) > 80 { bad = 1 } END { exit !bad }'; then
	fail "no row is wider than 80 columns"
else
	ok "no row is wider than 80 columns"
fi

# Help is generated from the key table.
tmux_keys '?'
if tmux_wait 'console keys' 5 help && tmux_capture help | grep -Eq '^ +m +the selected zone.s next mode'; then ok "? shows the help"; else fail "? shows the help"; fi
tmux_keys Escape
tmux_wait '^4 Offenders' 5 help-closed >/dev/null

tmux_keys q
if tmux_wait_dead 15; then ok "q quits"; else fail "q quits"; fi
is "$(tmux_dead)" 0 "exit status 0"
if tail -c 200 "$TMUX_RAW" | grep -q "$(printf '\033\[?1049l')"; then
	ok "the terminal is restored (alternate screen left)"
else
	fail "the terminal is restored (alternate screen left)"
fi
is "$(rules)" "$rules_before" "quitting left the rules as they were"

# A plain vt100 without colour (NO_COLOR): the same screen, no colour sequence sent.
tmux_start 80 24 "TERM=vt100 NO_COLOR=1 ip netns exec $NS_GW $SMTPGUARD -c $CONF" || fail "tmux starts"
if tmux_wait '^4 Offenders' 10 vt100 && tmux_capture vt100 | grep -Eq '^wlan +eth2 +monitor'; then
	ok "the console works on TERM=vt100"
else
	fail "the console works on TERM=vt100"
fi
if grep -Eq "$esc\\[([0-9;]*;)?[34][0-9]m" "$TMUX_RAW"; then
	fail "NO_COLOR: no colour sequence is sent"
else
	ok "NO_COLOR: no colour sequence is sent"
fi
tmux_keys q
if tmux_wait_dead 15; then ok "q quits on vt100"; else fail "q quits on vt100"; fi
done_testing
