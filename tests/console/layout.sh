#!/bin/sh
# layout.sh - the console at 80x24: zones and interfaces are two tables
# under their own headings, the selection moves over zones (two Downs and
# m plan a mode), every own rule's verdict is on screen in words in the
# rules area's zoom, t shows the rule text, Right scrolls long rules,
# help lines wrap to 80 columns, and 120x40 and back lays out again.  At 200x50 every
# own rule's verdict is in the rules area unzoomed, both tables show their headers and help
# is no wider than the terminal.  On nftables the kernel's verdicts come from
# `nft list table inet smtpguard` and t shows the nft text.
# backends: iptables nftables
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/tap.sh
. tests/lib/netns.sh
. tests/lib/backend.sh
. tests/lib/tmux.sh
backend_require
console_sandbox
write_zones_config "$CONF" log block
check "config applies" sg -c "$CONF" apply

titles() { tmux_wait_all 10 "$1" '^1 Zones and interfaces' '^2 Rules' '^3 Port-25 hits' '^4 Offenders'; }
no_wide() { # no_wide NAME WIDTH: no row of the last capture is wider than WIDTH
	if tmux_capture "$1" | awk -v w="$2" 'length($0) > w { bad = 1 } END { exit !bad }'; then
		fail "$1: no row is wider than $2 columns"
	else
		ok "$1: no row is wider than $2 columns"
	fi
}

tmux_start 80 24 "ip netns exec $NS_GW $SMTPGUARD -c $CONF" || fail "tmux starts"
# bounded waits: 10 s for the first screen, 5 s for each key's answer
if titles start; then ok "80x24 shows every area's title"; else fail "80x24 shows every area's title"; fi
if tmux_wait_all 5 tables '^ZONE +INTERFACE +MODE +GATEWAY' '^lan +eth1 +log' '^wlan +eth2 +block' \
	'^INTERFACE +ROLE +LINK +ADDRESSES' '^eth0 +wan +up'; then
	ok "zones and interfaces are two tables, each under its headings"
else
	fail "zones and interfaces are two tables, each under its headings"
fi
no_wide main 80

# The selection moves over zones only: two Downs from the start stay on a zone, and m plans its mode.
tmux_keys Down Down m
if tmux_wait 'Plan: zone wlan: mode block -> log' 5 mode-plan; then ok "two Downs and m plan the zone's next mode"; else fail "two Downs and m plan the zone's next mode"; fi
tmux_keys n
tmux_wait 'cancel|nothing' 5 declined >/dev/null

# Zoom the rules area: every own rule of the kernel shows its verdict in words.  Own chains
# are shown under each jump to them, so rules compare as the set of "CHAIN VERDICT" pairs.
verdicts_kernel() {
	if on_nft; then
		gw nft -s list table inet smtpguard | awk '
			/^\tchain / { c = $2; sub(/^zone_/, "", c); next }
			/^\tset / || /^\t}/ { c = ""; next }
			/^\t\t/ && !/^\t\ttype / && c != "" {
				if (match($0, /jump [^ ]+$/)) { t = substr($0, RSTART + 5); sub(/^zone_/, "", t); v = "-> " t }
				else if ($0 ~ / log /) v = "log"
				else if ($0 ~ / return$/) v = "pass"
				else if ($0 ~ / drop$/) v = "drop"
				else if ($0 ~ / accept$/) v = "accept"
				else v = "?"
				print c " " v
			}' | sort -u
		return
	fi
	gw_save | grep -E '^-A (SMTPGUARD-|.*-j SMTPGUARD-)' |
		sed -E 's/^-A (SMTPGUARD-)?([^ ]+) .* -j ([^ ]+).*/\2 \3/; s/ SMTPGUARD-(.*)/ -> \1/' |
		sed -E 's/ RETURN$/ pass/; s/ DROP$/ drop/; s/ ACCEPT$/ accept/; s/ (N?F?LOG)$/ log/' | sort -u
}
# The rows Home and End bring to the zoomed rules area, and the own text t shows first.
if on_nft; then
	first='^forward' last='drop +wlan eth2>\*' text='\* *tcp dport 25 counter jump guard'
else
	first='^FORWARD' last='^INPUT' text='\* +-A SMTPGUARD-FWD -i eth1'
fi
verdicts_screen() { # "CHAIN VERDICT" of the rule rows of the captures named
	for name in "$@"; do tmux_capture "$name"; done |
		awk '$1 ~ /^[0-9.]+[KMGTPE]?$/ && $2 ~ /^[0-9.]+$/ { print ($3 == "->" ? $5 " -> " $4 : $4 " " $3) }' | sort -u
}
tmux_keys 2 z
if tmux_wait_all 5 zoom '^2 Rules' 'VERDICT' && ! tmux_capture zoom | grep -q '^1 Zones'; then
	ok "z zooms the rules area to the whole screen"
else
	fail "z zooms the rules area to the whole screen"
fi
want=$(verdicts_kernel)
tmux_keys Home
tmux_wait "$first" 5 zoom-top >/dev/null
top=$(verdicts_screen zoom-top)
tmux_keys End
tmux_wait "$last" 5 zoom-end >/dev/null
is "$( (printf '%s\n' "$top"; verdicts_screen zoom-end) | sort -u)" "$want" \
	"80x24 zoom (Home, End): every own rule's verdict, as the kernel has it"
tmux_keys Home
if printf '%s\n' "$want" | grep -qx 'wlan drop' && printf '%s\n' "$want" | grep -qx 'lan log'; then
	ok "the kernel's own rules include drop and log verdicts (the check above is not empty)"
else
	fail "the kernel's own rules include drop and log verdicts" "$want"
fi
# (on the zoom's first rows or its last: nftables lists lan's rules first)
if cat "$TMUX_OUT"/*-zoom-top.txt "$TMUX_OUT"/*-zoom-end.txt | grep -Eq 'drop +wlan eth2>\* .*:25'; then
	ok "the WLAN's drop reads in words"
else
	fail "the WLAN's drop reads in words"
fi
no_wide zoom 80
# Long rules scroll sideways: the end of the log rule (its prefix's last word) comes into view.
tmux_keys Right Right Right Right Right
if tmux_wait 'log +.*port 25' 5 scrolled; then ok "Right scrolls the long rules sideways"; else fail "Right scrolls the long rules sideways"; fi
tmux_keys t
if tmux_wait "^ +[0-9.]+[KMG]? +[0-9.]+[KMG]? +[0-9.]+ $text" 5 text; then ok "t shows the exact rule text"; else fail "t shows the exact rule text"; fi
tmux_keys t z
if titles unzoomed; then ok "z again shows every area"; else fail "z again shows every area"; fi

# Help lines wrap at 80 columns: the end of the relay key's line is on screen.
tmux_keys '?'
if tmux_wait '^ +selected\)$' 5 help; then ok "help lines wrap to the terminal's width"; else fail "help lines wrap to the terminal's width"; fi
no_wide help 80
tmux_keys Escape

# Resize: 120x40 shows every interface, 80x24 again lays out again.
tmux_resize 120 40
if tmux_wait_all 10 120x40 '^4 Offenders' '^lo +unmanaged' '^eth2 +zone wlan'; then ok "120x40 lays out again with every interface"; else fail "120x40 lays out again with every interface"; fi
tmux_resize 80 24
if titles back-80x24; then ok "back at 80x24 every area's title"; else fail "back at 80x24 every area's title"; fi
no_wide back 80

tmux_keys q
if tmux_wait_dead 15; then ok "q quits"; else fail "q quits"; fi

# 200x50 from the start: both tables under their headings, every own rule's verdict in the
# rules area without zooming, help no wider than the terminal.
tmux_start 200 50 "ip netns exec $NS_GW $SMTPGUARD -c $CONF" || fail "tmux starts at 200x50"
if titles 200x50; then ok "200x50 shows every area's title"; else fail "200x50 shows every area's title"; fi
if tmux_wait_all 5 tables-200 '^ZONE +INTERFACE +MODE +GATEWAY' '^INTERFACE +ROLE +LINK +ADDRESSES' \
	'^wlan +eth2 +block' '^lo +unmanaged'; then
	ok "200x50: the zones and the interfaces tables show their headers"
else
	fail "200x50: the zones and the interfaces tables show their headers"
fi
tmux_wait "$last" 5 rules-200 >/dev/null
is "$(verdicts_screen main-200)" "$want" "200x50: every own rule's verdict is in the rules area, as the kernel has it"
no_wide main-200 200
tmux_keys '?'
tmux_wait 'console keys' 5 help-200 >/dev/null
# capture-pane never returns a row wider than the pane: a line cut at the edge fills it to the last column.
if tmux_capture help-200 | awk 'length($0) >= 200 { cut = 1 } END { exit !cut }'; then
	fail "200x50: no help line reaches the last column (none is cut)"
else
	ok "200x50: no help line reaches the last column (none is cut)"
fi
tmux_keys Escape q
if tmux_wait_dead 15; then ok "q quits at 200x50"; else fail "q quits at 200x50"; fi
done_testing
