#!/bin/sh
# htop.sh - htop's habits in the console at 80x24: / searches (the rules
# area jumps to a rule), \ filters the hits to one host and Esc clears the
# filter, > sorts the hits by source, Z pauses the screen while the
# kernel counts on and Z again catches up, a mouse click selects an
# offender (Q then plans that host's quarantine), --readonly refuses m with one
# message and changes neither the config file nor the kernel, and
# --no-color sends no colour sequence to the terminal.
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

esc=$(printf '\033')
colour_re="$esc\\[([0-9;]*;)?[34][0-9](;[0-9;]*)?m"
# -d 1: the console reads the kernel every 0.1 s, so a frozen screen is not a slow one
tmux_start 80 24 "ip netns exec $NS_GW $SMTPGUARD -d 1 -c $CONF" || fail "tmux starts"
# bounded waits: 10 s for the first screen and the first hits, 5 s for each key's answer
if tmux_wait_all 10 start '^1 Zones' '^4 Offenders' 'F3.*Search.*F4.*Filter.*F6.*Sort.*F10.*Quit'; then
	ok "80x24 shows the areas and htop's F-key hints"
else
	fail "80x24 shows the areas and htop's F-key hints"
fi

# Two hosts hit port 25: the LAN host first, the WLAN host last (newest first on screen).
check "mail from the LAN passes in monitor mode" send_mail "$NS_LAN" 203.0.113.25
check "mail from the WLAN passes in monitor mode" send_mail "$NS_WLAN" 203.0.113.25
hits_order() { tmux_capture "$1" | grep -oE '^[0-9:]{8} +[a-z]+ +192\.0\.2\.[0-9]+' | awk '{print $3}' | tr '\n' ' '; }
if tmux_wait_all 10 two-hits '192\.0\.2\.2 ' '192\.0\.2\.66 '; then ok "both hits are on screen"; else fail "both hits are on screen"; fi
is "$(hits_order hits-time)" "192.0.2.66 192.0.2.2 " "hits newest first"

# Sort: > in the hits area orders them by source.
tmux_keys 3 '>'
tmux_wait 'Port-25 hits +sorted by source' 5 sorted >/dev/null
is "$(hits_order hits-source)" "192.0.2.2 192.0.2.66 " "> sorts the hits by source"
# (checked after a key: the first screen may be drawn before tmux pipes the pane to $TMUX_RAW)
if grep -Eq "$colour_re" "$TMUX_RAW"; then ok "by default colours are sent (the --no-color check below is not empty)"; else fail "by default colours are sent"; fi
tmux_keys '<'
tmux_wait '^3 Port-25 hits +[0-9]' 5 unsorted >/dev/null
is "$(hits_order hits-unsorted)" "192.0.2.66 192.0.2.2 " "< back to newest first"

# Filter: \ narrows the hits to one host (live), Esc shows them all again.
tmux_keys '\'
tmux_type 192.0.2.2
tmux_keys Enter
if tmux_wait 'filter "192\.0\.2\.2"' 5 filtered && [ "$(hits_order filtered-hits)" = "192.0.2.2 " ]; then
	ok "\\ filters the hits to the one host"
else
	fail "\\ filters the hits to the one host" "$(hits_order filtered-hits)"
fi
tmux_keys Escape
if tmux_wait_all 5 unfiltered 'filter "192\.0\.2\.2" cleared' '192\.0\.2\.66 '; then ok "Esc clears the filter"; else fail "Esc clears the filter"; fi

# Search: / in the hits area selects the row, Q then plans that host (n cancels).
tmux_keys /
tmux_type 192.0.2.2
tmux_keys Enter Q
if tmux_wait 'Plan: zone lan: quarantine 192\.0\.2\.2' 5 search-hit; then ok "/ selects the hit found"; else fail "/ selects the hit found"; fi
tmux_keys n
tmux_wait 'cancel' 5 declined >/dev/null
# ... and in the rules area it jumps to a rule below the rows shown: iptables' INPUT chain's
# heading; nftables has no input chain here (no zone protects the gateway): the jump into wlan.
if on_nft; then input='guard eth2>eth0' heading='-> wlan +guard eth2>eth0'; else input=INPUT heading='^INPUT \(policy'; fi
tmux_keys 2 Home
tmux_wait '^ +[0-9.]+ +[0-9.]+ +-> ' 5 rules-top >/dev/null
if tmux_capture rules-before | grep -Eq -- "$heading"; then
	fail "'$input' is below the rules shown at 80x24 (the search check needs it)"
fi
tmux_keys /
tmux_type "$input"
tmux_keys Enter
if tmux_wait "$heading" 5 search-rule; then ok "/ jumps to the rule found"; else fail "/ jumps to the rule found"; fi

# Pause: the WLAN jump's counter on screen stays while the kernel's rises; Z again catches up.
if on_nft; then
	jump='iifname "eth2" oifname "eth0" counter jump zone_wlan'
	find='oifname "eth0" counter jump zone_wlan'
	kernel_count() {
		gw nft list chain inet smtpguard guard | grep -F 'iifname "eth2" oifname "eth0" counter packets' |
			sed -E 's/.*counter packets ([0-9]+) .*/\1/' | head -1
	}
else
	jump='-A SMTPGUARD-FWD -i eth2 -o eth0 -j SMTPGUARD-wlan'
	find='eth2 -o eth0 -j SMTPGUARD-wlan'
	kernel_count() { gw iptables-legacy-save -c -t filter | grep -F -- "$jump" | sed -E 's/^\[([0-9]+):.*/\1/'; }
fi
screen_count() { tmux_capture "$1" | grep -F -- "$jump" | head -1 | awk '{print $1}'; }
tmux_keys t /
tmux_type "$find"
tmux_keys Enter
tmux_wait "$jump" 5 jump >/dev/null
tmux_keys Z
tmux_wait 'paused' 5 paused >/dev/null
before=$(screen_count paused)
k0=$(kernel_count)
check "mail from the WLAN passes while paused" send_mail "$NS_WLAN" 203.0.113.25
k1=$(kernel_count)
if [ "${k1:-0}" -gt "${k0:-0}" ] 2>/dev/null; then ok "the kernel counted on ($k0 -> $k1)"; else fail "the kernel counted on" "$k0 -> $k1"; fi
# Unpaused, -d 1 shows the new count within 0.1 s: 3 s without it on screen is a frozen screen.
if tmux_wait "^ *$k1 .*$jump" 3 frozen; then
	fail "paused: the screen keeps the old count" "$(screen_count frozen)"
else
	is "$(screen_count frozen)" "$before" "paused: the screen keeps the old count"
fi
if tmux_capture paused-status | head -1 | grep -q 'paused'; then ok "the status line says paused"; else fail "the status line says paused"; fi
tmux_keys Z
if tmux_wait "^ *$k1 .*$jump" 5 resumed; then ok "Z again shows the kernel's count ($k1)"; else fail "Z again shows the kernel's count ($k1)"; fi
tmux_keys t

# Mouse: a click (the terminal's X10 report, typed into the pane: tmux send-keys -M only replays
# a mouse event tmux itself received) on the LAN host's offender row (its second row) selects
# that area and row; Q plans the host's quarantine.
tmux_keys 1
# the offenders area drawn first (bounded: 10 s), then the row's line number
tmux_wait '^192\.0\.2\.2 +lan ' 10 click-before
y=$(tmux_capture click-before | grep -nE '^192\.0\.2\.2 +lan ' | head -1 | cut -d: -f1)
if [ -n "$y" ]; then
	tmux_type "$(printf '\033[M %s%s\033[M#%s%s' "$(printf "\\$(printf %o 34)")" \
		"$(printf "\\$(printf %o $((32 + y)))")" "$(printf "\\$(printf %o 34)")" \
		"$(printf "\\$(printf %o $((32 + y)))")")"
	tmux_keys Q
	if tmux_wait 'Plan: zone lan: quarantine 192\.0\.2\.2' 5 click; then ok "a click selects the area and the row"; else fail "a click selects the area and the row"; fi
	tmux_keys n
else
	fail "the LAN host's offender row is on screen to click"
fi
tmux_keys q
tmux_wait_dead 10 || fail "q quits"

# --readonly --no-color: m is refused with one message, nothing changes; no colour is sent.
conf_before=$(cat "$CONF")
kernel_before=$(gw_firewall)
tmux_start 80 24 "ip netns exec $NS_GW $SMTPGUARD --readonly --no-color -c $CONF" || fail "tmux starts"
tmux_wait '^1 Zones' 10 ro-start >/dev/null
tmux_keys m
if tmux_wait 'read-only: started with --readonly' 5 ro-m; then ok "--readonly refuses m with its message"; else fail "--readonly refuses m with its message"; fi
tmux_keys y s
tmux_wait 'read-only' 5 ro-s >/dev/null
if tmux_capture ro-plan | grep -q 'Plan:'; then fail "--readonly shows no plan"; else ok "--readonly shows no plan"; fi
tmux_keys q
tmux_wait_dead 10 || fail "q quits the read-only console"
is "$(cat "$CONF")" "$conf_before" "--readonly: the config file is unchanged"
is "$(gw_firewall)" "$kernel_before" "--readonly: the kernel's rules are unchanged"
if grep -Eq "$colour_re" "$TMUX_RAW"; then fail "--no-color: no colour sequence was sent"; else ok "--no-color: no colour sequence was sent"; fi
done_testing
