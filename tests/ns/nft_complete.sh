#!/bin/sh
# nft_complete.sh - on nftables, bash completion of `smtpguard unban`
# offers the hosts the rate-ban sets hold (there are no xt_recent lists to
# read: it asks `smtpguard bans`, the command being completed, with the
# command line's config), and only those.
# Always on nftables (the config names the backend itself).
cd "$(dirname "$0")/../.." || exit 1
SMTPGUARD_TEST_BACKEND=nftables
. tests/lib/tap.sh
. tests/lib/netns.sh
. tests/lib/backend.sh
nft_ns_setup
command -v bash >/dev/null 2>&1 || { skip "completion" "no bash"; done_testing; exit 0; }
CONF="$NS_DIR/smtpguard.conf"
write_zones_config "$CONF" block rateban
check "apply" sg -c "$CONF" apply

complete_unban() { # the words completion offers after "smtpguard -c CONF unban "
	gw bash -c '
		. completion/smtpguard.bash || exit 9
		COMP_WORDS=("$0" -c "$1" unban "")
		COMP_CWORD=4
		COMPREPLY=()
		_smtpguard
		printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " "' "$SMTPGUARD" "$CONF"
}
is "$(complete_unban)" " " "nothing banned: unban offers nothing"
send_mail "$NS_WLAN" 203.0.113.25 || true
send_mail "$NS_WLAN" 203.0.113.25 || true
if gw nft list set inet smtpguard wlan_ban4 | grep -q '192\.0\.2\.66'; then ok "the zombie is banned"; else
	fail "the zombie is banned" "$(gw nft list set inet smtpguard wlan_ban4)"; fi
is "$(complete_unban)" "192.0.2.66 " "unban offers the banned host from the nftables set"
done_testing
