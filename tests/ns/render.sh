#!/bin/sh
# tests/ns/render.sh - the golden rules against the kernel (root, TAP).
#
# Each tests/compile/NAME.rules is restored with iptables-legacy-restore
# --noflush into an empty filter table of the test gateway namespace;
# iptables-legacy-save must then print every rule byte for byte as the
# golden file writes it (the file's "-I CHAIN N" jumps as "-A CHAIN").
# This proves rule_format_save() is exact.  Then the sh export of
# NAME.conf, run twice in the namespace, must give the same table.
# NAME.rules6 files go through ip6tables-legacy-restore and -save alike.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/tap.sh
. tests/lib/netns.sh
ns_require_root
ns_setup || { fail "namespace topology"; done_testing; exit; }

dir=tests/compile

# Empty the gateway's filter tables (our namespace only).
gw_reset() {
	gw iptables-legacy -w -F && gw iptables-legacy -w -X &&
		gw ip6tables-legacy -w -F && gw ip6tables-legacy -w -X
}

# Rule lines grouped by chain, each chain's rules in order.
by_chain() {
	grep -E '^-[AI] ' | sed -E 's/^-I ([^ ]+) [0-9]+ /-A \1 /' | sort -s -k2,2
}

# The chain declarations of own chains, sorted.
own_chains() {
	grep '^:SMTPGUARD-' | sort
}

compare() { # compare NAME WHAT SAVED_FILE [GOLDEN]
	by_chain <"${4:-$dir/$1.rules}" >"$NS_DIR/want"
	by_chain <"$3" >"$NS_DIR/got"
	if cmp -s "$NS_DIR/want" "$NS_DIR/got"; then
		ok "$1: $2: iptables-legacy-save prints the golden rules byte for byte"
	else
		fail "$1: $2: iptables-legacy-save prints the golden rules byte for byte" \
			"$(diff -u "$NS_DIR/want" "$NS_DIR/got")"
	fi
	is "$(own_chains <"$3")" "$(own_chains <"${4:-$dir/$1.rules}")" "$1: $2: the own chains"
}

for rules in "$dir"/*.rules; do
	name=$(basename "$rules" .rules)
	gw_reset
	if ! gw iptables-legacy-restore -w --noflush <"$rules" 2>"$NS_DIR/err"; then
		fail "$name: iptables-legacy-restore --noflush accepts it" "$(cat "$NS_DIR/err")"
		continue
	fi
	ok "$name: iptables-legacy-restore --noflush accepts it"
	gw_save >"$NS_DIR/saved"
	compare "$name" "restore" "$NS_DIR/saved"

	# Restoring again rebuilds the own chains in place: no own rule twice.
	gw iptables-legacy-save -t filter | grep -v '^#' | grep -v -E '^-A (INPUT|FORWARD) ' \
		>"$NS_DIR/before"
	gw iptables-legacy-restore -w --noflush <"$rules"
	gw iptables-legacy-save -t filter | grep -v '^#' | grep -v -E '^-A (INPUT|FORWARD) ' \
		>"$NS_DIR/after"
	check "$name: a second restore leaves the own chains as they were" \
		cmp -s "$NS_DIR/before" "$NS_DIR/after"

	[ -x "$SMTPGUARD" ] || { fail "$name: sh export" "no $SMTPGUARD: run make first"; continue; }
	gw_reset
	if ! "$SMTPGUARD" -c "$dir/$name.conf" export --format sh >"$NS_DIR/rules.sh" 2>"$NS_DIR/err"; then
		fail "$name: export --format sh" "$(cat "$NS_DIR/err")"
		continue
	fi
	if gw sh "$NS_DIR/rules.sh" >"$NS_DIR/err" 2>&1 && gw sh "$NS_DIR/rules.sh" >>"$NS_DIR/err" 2>&1; then
		ok "$name: the sh export runs twice without error"
	else
		fail "$name: the sh export runs twice without error" "$(cat "$NS_DIR/err")"
	fi
	gw_save >"$NS_DIR/saved"
	compare "$name" "sh run twice" "$NS_DIR/saved"
done
for rules in "$dir"/*.rules6; do
	name=$(basename "$rules" .rules6)
	gw_reset
	if ! gw ip6tables-legacy-restore -w --noflush <"$rules" 2>"$NS_DIR/err"; then
		fail "$name: ip6tables-legacy-restore --noflush accepts it" "$(cat "$NS_DIR/err")"
		continue
	fi
	ok "$name: ip6tables-legacy-restore --noflush accepts it"
	gw ip6tables-legacy-save -t filter | grep -v '^#' >"$NS_DIR/saved"
	compare "$name" "IPv6 restore" "$NS_DIR/saved" "$rules"
done
gw_reset
done_testing
