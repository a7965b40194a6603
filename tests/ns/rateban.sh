#!/bin/sh
# rateban.sh - mode rateban on the real kernel beyond the basics of
# modes.sh: untracked traffic is no exemption, a client's own SYN
# retransmissions are not repeats, each family keeps its own xt_recent
# list and mask, and unban takes the host's own address.
. tests/lib/tap.sh
. tests/lib/netns.sh
ns_require_root
ns_setup || { fail "topology"; done_testing; exit 1; }
ns_start_servers || { fail "SMTP servers"; done_testing; exit 1; }
CONF="$NS_DIR/smtpguard.conf"
LIST4=/proc/net/xt_recent/SMTPGUARD-wlan

use_rateban() { # use_rateban "description" [extra zone lines]
	write_zones_config "$CONF" allow rateban "ban_seconds = 60
${2:-}"
	if out=$(sg -c "$CONF" apply 2>&1); then ok "$1"; else fail "$1" "$out"; fi
}

# Empty every list of the namespace (xt_recent's "/" command), so each case starts unbanned.
forget_bans() {
	for f in $(gw sh -c 'ls /proc/net/xt_recent/ 2>/dev/null'); do
		gw sh -c "echo / >/proc/net/xt_recent/$f"
	done
}

# --- 1. untracked packets are attempts, not exemptions
use_rateban "apply rateban"
gw iptables-legacy -w -t raw -A PREROUTING -i eth2 -j NOTRACK
send_mail "$NS_WLAN" 203.0.113.25 || :	# the first attempt; it may fail (see README)
if send_mail "$NS_WLAN" 203.0.113.25; then
	fail "NOTRACK: a repeat within ban_seconds is refused" "swaks got through: untracked packets are exempt"
else
	ok "NOTRACK: a repeat within ban_seconds is refused"
fi
if gw grep -q 'src=192.0.2.66 ' "$LIST4"; then ok "NOTRACK: the host is in $LIST4"; else
	fail "NOTRACK: the host is in $LIST4" "$(gw cat "$LIST4" 2>&1)"; fi
gw iptables-legacy -w -t raw -D PREROUTING -i eth2 -j NOTRACK
forget_bans
delivers_after="tracked again: the first mail passes"
if send_mail "$NS_WLAN" 203.0.113.25; then ok "$delivers_after"; else fail "$delivers_after"; fi
forget_bans

done_testing
