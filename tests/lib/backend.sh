# backend.sh - the oracles and the foreign rules of a namespace test on the
# backend it runs on (TEST_BACKEND of netns.sh; tests/run sets it): the
# legacy tables through iptables-legacy-save/ip6tables-legacy-save on
# iptables, `nft list` on nftables.  Sourced after netns.sh and tap.sh.
# shellcheck shell=sh
. tests/lib/nft.sh

on_nft() { [ "$TEST_BACKEND" = nftables ]; }

# The texts `status` shows for zone wlan's (eth2) log rule of mode monitor and drop rule of
# mode block with write_config's log_prefix.
# shellcheck disable=SC2034 # used by the tests that source this file
if on_nft; then
	WLAN_LOG_RULE='iifname "eth2" tcp dport 25 ct state new limit rate 1/second counter log prefix "Illegal port 25 > "'
	WLAN_DROP_RULE='iifname "eth2" tcp dport 25 counter drop'
else
	WLAN_LOG_RULE='-A SMTPGUARD-wlan -i eth2 -p tcp -m tcp --dport 25 -m conntrack --ctstate NEW -m limit --limit 1/sec -j LOG --log-prefix "Illegal port 25 > "'
	WLAN_DROP_RULE='-A SMTPGUARD-wlan -i eth2 -p tcp -m tcp --dport 25 -j DROP'
fi

# The start of a test on nftables: nft present (or the plan 1..0 with the reason).
backend_require() { if on_nft; then nft_require; fi; }

# The gateway's whole firewall without counters: both legacy filter tables (IPv6 lines
# marked "6 "), and on nftables `nft -s list ruleset` after them (which must then hold
# every other table unchanged, and the legacy tables must stay as they were).
gw_firewall() {
	gw_save
	gw_save6 | sed 's/^/6 /'
	if on_nft; then gw nft -s list ruleset; fi
}

# The own rules only (empty when there are none): the SMTPGUARD lines of both legacy
# filter tables, or the table inet smtpguard.
gw_own() {
	if on_nft; then
		gw nft -s list table inet smtpguard 2>/dev/null
	else
		{ gw_save; gw_save6 | sed 's/^/6 /'; } | grep SMTPGUARD
	fi
}
has_own() { [ -n "$(gw_own)" ]; }

# Someone else's firewall beside smtpguard's: on iptables a rule in FORWARD, on nftables
# the administrator's table inet filter of nft.sh (created by the first call).
# Rule N accepts UDP port N.
foreign_add() { # foreign_add N
	if on_nft; then
		gw nft list table inet filter >/dev/null 2>&1 || nft_load_foreign || return 1
		gw nft add rule inet filter forward udp dport "$1" accept
	else
		gw iptables-legacy -w -A FORWARD -p udp --dport "$1" -j ACCEPT
	fi
}
foreign_del() { # foreign_del N
	if on_nft; then
		h=$(gw nft -a list chain inet filter forward |
			sed -n "s/.*udp dport $1 accept # handle \\([0-9]*\\)\$/\\1/p" | head -1)
		[ -n "$h" ] && gw nft delete rule inet filter forward handle "$h"
	else
		gw iptables-legacy -w -D FORWARD -p udp --dport "$1" -j ACCEPT
	fi
}
foreign_has() { # foreign_has N: 0 when rule N is there
	if on_nft; then
		gw nft list chain inet filter forward 2>/dev/null | grep -q "udp dport $1 accept\$"
	else
		gw iptables-legacy -w -C FORWARD -p udp --dport "$1" -j ACCEPT 2>/dev/null
	fi
}

# Whether the kernel drops host IP of ZONE as quarantined: a DROP rule for it on iptables, an
# element of <zone>_quar4 on nftables.
gw_quarantined() { # gw_quarantined ZONE IP
	if on_nft; then
		gw nft list set inet smtpguard "$1_quar4" 2>/dev/null | grep -q "[{ ]$2[ ,}]"
	else
		gw_save | grep -q -- "-s $2/32 .*-j DROP"
	fi
}
# Whether the kernel lists MAC with IPv4 IP as a device of ZONE: a rule of its MAC chain on
# iptables, an element of <zone>_dev4 on nftables.
gw_device() { # gw_device ZONE MAC IP
	if on_nft; then
		gw nft list set inet smtpguard "$1_dev4" 2>/dev/null | grep -iq "$2 \. $3"
	else
		gw_save | grep -iq -- "-A SMTPGUARD-$1-MAC -s $3/32 .*--mac-source $2"
	fi
}
