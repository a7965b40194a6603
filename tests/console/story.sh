#!/bin/sh
# story.sh - one host's whole story at 80x24: the zombie 192.0.2.66 is
# banned in a rateban zone; Enter on its offender row opens its story
# (attempts as many as its hits, zone wlan, MAC 00:02:2d:11:22:33, the
# ban with its time left, not quarantined); a new attempt appears while
# the story is open; Z freezes it; u unbans from the story, Q plans its
# quarantine, Esc goes back to the areas.  And the hits area never glues
# a long IPv6 destination to its action.
# backends: iptables nftables
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/tap.sh
. tests/lib/netns.sh
. tests/lib/backend.sh
. tests/lib/tmux.sh
backend_require
console_sandbox
console_apply_nflog monitor rateban "ban_seconds = 120"

# -d 1: the console reads the kernel every 0.1 s (a frozen story is not a slow one)
tmux_start 80 24 "ip netns exec $NS_GW $SMTPGUARD -d 1 -c $CONF" || fail "tmux starts"
# bounded waits: 10 s for the first screen, 5 s for each key's answer and each hit
tmux_wait '^4 Offenders' 10 start >/dev/null || fail "the console starts"

check "the zombie's first attempt passes" send_mail "$NS_WLAN" 203.0.113.25
if send_mail "$NS_WLAN" 203.0.113.25; then fail "the repeat attempt is dropped"; else ok "the repeat attempt is dropped"; fi
# (nftables counts no hits per host: its HITS column says -)
tmux_wait '192\.0\.2\.66 +wlan +([0-9]+|-) +banned, [0-9]+s left' 5 banned >/dev/null ||
	fail "the zombie is in the offenders area, banned"

# IPv6 attempts from the same host (rateban logs the second): its 16-character destination keeps
# a space before the action.
send_mail6 "$NS_WLAN" "$MX6" || true
send_mail6 "$NS_WLAN" "$MX6" || true
if tmux_wait '2001:db8:113::25 +(logged|dropped)' 5 v6-hit; then ok "the IPv6 hit's destination and action are two columns"; else fail "the IPv6 hit's destination and action are two columns"; fi
if tmux_capture v6-glued | grep -Eq '::[0-9a-f]+(logged|dropped)'; then
	fail "no hits row has an address glued to the action" "$(tmux_capture glued | grep -E '::[0-9a-f]+(logged|dropped)')"
else
	ok "no hits row has an address glued to the action"
fi

attempts() { tmux_capture "$1" | sed -nE 's/^attempts ([0-9]+) .*/\1/p'; }
story_rows() { tmux_capture "$1" | grep -cE '^[0-9:]{8} +203\.0\.113\.25 +(logged|dropped)'; }
# Wait up to $2 s until the story's attempts are more than $1.
attempts_above() { # attempts_above N SECONDS NAME
	i=0
	while [ $i -lt $(($2 * 5)) ]; do
		a=$(attempts "$3")
		[ "${a:-0}" -gt "${1:-0}" ] && return 0
		i=$((i + 1))
		sleep 0.2
	done
	return 1
}

# Enter on the zombie's offender row (its IPv6 address has a row of its own) opens its story.
select_zombie() { tmux_keys F5 /; tmux_type 192.0.2.66; tmux_keys Enter Enter; }
select_zombie
if tmux_wait_all 5 story '^Host 192\.0\.2\.66 +zone wlan +MAC 00:02:2d:11:22:33' \
	'^ban: banned in wlan, [0-9]+s left' '^quarantine: no' 'Esc.*Back.*u.*Unban.*Q.*Quarantine'; then
	ok "Enter opens the story: zone, MAC, ban with its time left, not quarantined, its keys"
else
	fail "Enter opens the story: zone, MAC, ban with its time left, not quarantined, its keys"
fi
n=$(attempts story-count)
if [ "${n:-0}" -ge 2 ] && [ "$n" = "$(story_rows story-rows)" ]; then
	ok "the story counts its attempts ($n) and lists each hit"
else
	fail "the story counts its attempts and lists each hit" "attempts ${n:-none}, rows $(story_rows story-rows)"
fi
if tmux_capture areas-hidden | grep -q '^1 Zones'; then fail "the story fills the areas' place"; else ok "the story fills the areas' place"; fi

# Live: a new (dropped) attempt appears while the story is open.
send_mail "$NS_WLAN" 203.0.113.25 || true
if attempts_above "$n" 5 live; then ok "a new hit appears in the open story"; else fail "a new hit appears in the open story" "attempts $(attempts live)"; fi

# Z: the story stays while the hits go on being read; Z again catches up.
tmux_keys Z
tmux_wait 'paused' 5 paused >/dev/null
n=$(attempts paused-count)
send_mail "$NS_WLAN" 203.0.113.25 || true
# -d 1 and live hits show a new attempt within 0.2 s: 3 s without it is a frozen story
if attempts_above "$n" 3 frozen; then fail "paused: the story keeps its count"; else ok "paused: the story keeps its count ($n)"; fi
tmux_keys Z
if attempts_above "$n" 5 resumed; then ok "Z again shows the new attempt"; else fail "Z again shows the new attempt"; fi

# u in the story unbans the host; the story then says so.
tmux_keys u
if tmux_wait_all 5 unban '192\.0\.2\.66 unbanned' '^ban: not banned \(zone wlan in rateban mode\)' '^Host 192\.0\.2\.66'; then
	ok "u in the story unbans the host and the story shows it"
else
	fail "u in the story unbans the host and the story shows it"
fi
# the kernel's lists as `smtpguard bans` reads them (xt_recent, or the nftables sets)
if bans=$(sg -c "$CONF" bans 2>&1) && ! echo "$bans" | grep -q '192\.0\.2\.66 '; then
	ok "the kernel's list forgot the host"
else
	fail "the kernel's list forgot the host" "$bans"
fi

# Q in the story plans the host's quarantine; n cancels.
tmux_keys Q
if tmux_wait 'Plan: zone wlan: quarantine 192\.0\.2\.66' 5 plan; then ok "Q in the story plans the host's quarantine"; else fail "Q in the story plans the host's quarantine"; fi
tmux_keys n
tmux_wait 'cancel' 5 cancelled >/dev/null

# Esc leaves the story: the areas are back.
select_zombie
tmux_wait '^Host 192\.0\.2\.66' 5 story-again >/dev/null
tmux_keys Escape
if tmux_wait_all 5 back '^1 Zones' '^4 Offenders' && ! tmux_capture back-no-story | grep -q '^Host '; then
	ok "Esc goes back to the areas"
else
	fail "Esc goes back to the areas"
fi
tmux_keys q
tmux_wait_dead 10 || fail "q quits"
done_testing
