#!/bin/sh
# nft_hooks.sh - on nftables the rules area shows every table's chains on
# the forward and input hooks, not only inet smtpguard's: the
# administrator's inet filter (as /etc/nftables.conf writes it), the ip
# filter table iptables-nft writes (as docker does) and a chain that runs
# earlier (priority -10) appear in the order the kernel runs them, with
# their policy; a rule without a counter statement says "no ctr"; another
# table's rules are dimmed and their counters move with traffic; chains on
# other hooks (a nat prerouting chain) and regular chains are not headed;
# the zones table counts both families in one column (one inet rule).
# Always on nftables: the config it writes names the backend itself.
set -u
cd "$(dirname "$0")/../.." || exit 1
SMTPGUARD_TEST_BACKEND=nftables
. tests/lib/tap.sh
. tests/lib/netns.sh
. tests/lib/backend.sh
. tests/lib/tmux.sh
backend_require
console_sandbox

gw nft -f - <<'EOF' || fail "the administrator's tables load"
table inet filter {
	chain input {
		type filter hook input priority 0; policy accept;
		ct state established,related counter accept
	}
	chain forward {
		type filter hook forward priority 0; policy accept;
		iifname "eth1" jump admin_lan
		tcp dport 25 counter accept comment "mail allowed"
	}
	chain admin_lan {
		counter
	}
}
table inet early {
	chain pre {
		type filter hook forward priority -10; policy accept;
		counter
	}
}
table ip nat {
	chain prerouting {
		type nat hook prerouting priority -100; policy accept;
		counter
	}
}
EOF
gw iptables-nft -A FORWARD -s 192.0.2.0/26 -j ACCEPT || fail "iptables-nft adds a rule"
write_zones_config "$CONF" allow block
check "config applies" sg -c "$CONF" apply

# 80 columns, and rows enough for every chain at once (at 24 rows the area scrolls to them)
tmux_start 80 70 "ip netns exec $NS_GW $SMTPGUARD -c $CONF" || fail "tmux starts"
tmux_wait '^smtpguard .*nftables +rules [1-9]' 10 start >/dev/null || fail "console starts"
# one inet rule counts both families: the zones table says so and has no IPv6 split
if tmux_wait_all 10 zones 'QUAR +V4\+V6 +V6 PKTS' '^wlan +eth2 +block .* [0-9]+ +-$'; then
	ok "the zones table counts both families together on nftables (V4+V6, V6 PKTS -)"
else
	fail "the zones table counts both families together on nftables (V4+V6, V6 PKTS -)"
fi
tmux_keys 2 Enter	# the rules area, zoomed
if tmux_wait_all 10 zoomed '^inet early pre \(hook forward, priority -10, policy accept\)' \
	'^forward \(hook forward, priority 0, policy accept\)' \
	'^inet filter forward \(hook forward, priority 0, policy accept\)' \
	'^ip filter FORWARD \(hook forward, priority 0, policy accept\)'; then
	ok "every table's forward chain is headed, with its hook, priority and policy"
else
	fail "every table's forward chain is headed, with its hook, priority and policy"
fi
screen=$(tmux_capture order)
line_of() { echo "$screen" | grep -n "$1" | head -1 | cut -d: -f1; }
early=$(line_of '^inet early pre ')
own=$(line_of '^forward (hook')
filter=$(line_of '^inet filter forward ')
if [ -n "$early" ] && [ -n "$own" ] && [ -n "$filter" ] && [ "$early" -lt "$own" ] && [ "$own" -lt "$filter" ]; then
	ok "the chains are in the order the kernel runs them (priority -10 first)"
else
	fail "the chains are in the order the kernel runs them (priority -10 first)" "$screen"
fi
if echo "$screen" | grep -q 'no ctr .*iifname "eth1" jump admin_lan'; then
	ok "a rule without a counter statement says no ctr"
else
	fail "a rule without a counter statement says no ctr" "$screen"
fi
if echo "$screen" | grep -qE 'prerouting|^admin_lan|^inet filter admin_lan'; then
	fail "chains of other hooks and regular chains are not headed" "$screen"
else
	ok "chains of other hooks and regular chains are not headed"
fi
# Another table's row is dimmed (SGR 2, or the colour the console dims with: blue, 34), the own
# table's jump is not.
raw=$(tmux_cmd capture-pane -e -p -t sg)
foreign_row=$(echo "$raw" | grep -a 'mail allowed' | head -1)
own_row=$(echo "$raw" | grep -a -- '-> guard' | head -1)
dimmed() { echo "$1" | grep -qaE '\[(2|34)m|;(2|34)m|\[(2|34);|;(2|34);'; }
if dimmed "$foreign_row"; then ok "another table's rule is dimmed"; else
	fail "another table's rule is dimmed" "$(echo "$foreign_row" | cat -v)"; fi
if [ -n "$own_row" ] && ! dimmed "$own_row"; then ok "the own table's rule is not dimmed"; else
	fail "the own table's rule is not dimmed" "$(echo "$own_row" | cat -v)"; fi

# Mail from the LAN (allowed) passes the administrator's counted rule: its counter grows on the
# screen once the other tables are read again (every 10 reads while packets move; bounded: 40 s).
check "LAN mail is delivered" send_mail "$NS_LAN" 203.0.113.25
n=0
until tmux_capture counted | grep -qE '^ *[1-9][0-9]* +[0-9.]+ +accept +tcp dport 25 counter accept comment "mail allowed"' ||
	[ $n -ge 40 ]; do
	send_mail "$NS_LAN" 203.0.113.25 || true
	sleep 1
	n=$((n + 1))
done
if [ $n -lt 40 ]; then
	ok "another table's counter moves with traffic"
else
	fail "another table's counter moves with traffic" "$(tmux_capture counted-last)"
fi
tmux_keys q
tmux_wait 'q again quits' 3 unsaved >/dev/null && tmux_keys q
if tmux_wait_dead 10; then ok "q quits"; else fail "q quits"; fi
done_testing
