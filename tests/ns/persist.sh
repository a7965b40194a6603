#!/bin/sh
# persist.sh - smtpguard across a reboot of the test gateway, as Debian
# gateways persist rules: netfilter-persistent saves the whole table with
# smtpguard's chains in it and restores it at boot, then the unit applies;
# exactly one copy of each own rule is left, fail2ban's and docker's chains
# survive, `apply --check` tells in-step (0) from drift (3), and the unit's
# ExecStart/ExecReload/ExecStop commands, run by hand, do what they say.
# backends: iptables (netfilter-persistent saves and restores the legacy tables; the nftables
# round trip through nftables.conf is nft_persist.sh)
. tests/lib/tap.sh
. tests/lib/netns.sh
ns_require_root
ns_setup || { fail "topology"; done_testing; exit 1; }
CONF="$NS_DIR/smtpguard.conf"
SMTPGUARD_RUN_DIR="$NS_DIR/run"
export SMTPGUARD_RUN_DIR

write_zones_config "$CONF" block rateban "protect_gateway = yes
quarantine = 192.0.2.70"

# The IPv4 and IPv6 filter tables without counters, IPv6 lines marked "6 ":
# what must come back after a reboot.
table() {
	gw_save | sed 's/ \[[0-9]*:[0-9]*\]$//'
	gw ip6tables-legacy-save -t filter | grep -v '^#' | sed 's/ \[[0-9]*:[0-9]*\]$//; s/^/6 /'
}
own() { table | grep -E '^(6 )?(-A SMTPGUARD-|-A (FORWARD|INPUT) .*-j SMTPGUARD-|:SMTPGUARD-)'; }

run_ok() { # run_ok "description" command...: ok when it exits 0
	desc=$1
	shift
	if out=$("$@" 2>&1); then ok "$desc"; else fail "$desc" "exit $?: $out"; fi
}
is_d() { # is_d GOT WANT "description" "detail shown on failure"
	if [ "$1" = "$2" ]; then ok "$3"; else fail "$3" "got:  $1" "want: $2" "$4"; fi
}
as_applied() { # as_applied "description": the table equals the one after the first apply
	table >"$NS_DIR/now"
	if d=$(printf '%s\n' "$applied" | diff -u - "$NS_DIR/now"); then ok "$1"; else fail "$1" "$d"; fi
}
check_is() { # check_is WANT "description": the exit code of apply --check
	out=$(sg -c "$CONF" apply --check 2>&1)
	is_d "$?" "$1" "$2" "$out"
}

# --- fail2ban and docker were there before smtpguard
gw iptables-legacy -w -N f2b-sshd
gw iptables-legacy -w -A f2b-sshd -s 203.0.113.99/32 -j REJECT --reject-with icmp-port-unreachable
gw iptables-legacy -w -A f2b-sshd -j RETURN
gw iptables-legacy -w -I INPUT -p tcp -m multiport --dports 22 -j f2b-sshd
gw iptables-legacy -w -N DOCKER
gw iptables-legacy -w -N DOCKER-USER
gw iptables-legacy -w -A DOCKER-USER -j RETURN
gw iptables-legacy -w -I FORWARD -j DOCKER-USER
gw iptables-legacy -w -A FORWARD -o docker0 -j DOCKER
foreign=$(table | grep -Ei 'f2b|docker')

run_ok "apply" sg -c "$CONF" apply
applied=$(table)
if [ -n "$(own)" ]; then ok "apply made own rules"; else fail "apply made own rules" "$applied"; fi
is_d "$(gw iptables-legacy -w -S FORWARD 1 | grep -c SMTPGUARD)/$(gw iptables-legacy -w -S FORWARD 2)" \
	"1/-A FORWARD -j DOCKER-USER" "own jump is rule 1 of FORWARD, docker's after it" "$(gw iptables-legacy -w -S FORWARD)"
check_is 0 "apply --check: 0 right after apply"

# --- netfilter-persistent: save everything, the reboot empties the tables, the restore at boot
gw iptables-legacy-save >"$NS_DIR/rules.v4"
gw ip6tables-legacy-save >"$NS_DIR/rules.v6"
check "saved table holds the own chains" grep -q '^:SMTPGUARD-' "$NS_DIR/rules.v4"
for t in filter nat mangle raw; do
	gw iptables-legacy -w -t "$t" -F
	gw iptables-legacy -w -t "$t" -X
	gw ip6tables-legacy -w -t "$t" -F
	gw ip6tables-legacy -w -t "$t" -X
done
is "$(table | grep -c 'SMTPGUARD\|f2b\|DOCKER')" 0 "the reboot left no rules"
if out=$(gw iptables-legacy-restore -w 5 <"$NS_DIR/rules.v4" 2>&1); then
	ok "iptables-legacy-restore of the saved table"
else
	fail "iptables-legacy-restore of the saved table" "$out"
fi
gw ip6tables-legacy-restore -w 5 <"$NS_DIR/rules.v6"
as_applied "restore brought back the table as applied"
check_is 0 "apply --check: 0 on the restored table"

run_ok "apply after the restore (the unit at boot)" sg -c "$CONF" apply
as_applied "after restore + apply the table is as after the first apply"
dups=$(own | grep -v '^\(6 \)\{0,1\}:' | sort | uniq -d)
is "$dups" "" "exactly one copy of each own rule"
is "$(table | grep -Ei 'f2b|docker')" "$foreign" "fail2ban's and docker's chains and jumps survive"
if printf '%s\n' "$applied" | grep -q '^6 -A SMTPGUARD-'; then
	ok "apply made IPv6 rules too, and they came back like the IPv4 ones"
else
	diag "apply made no IPv6 rules: only the IPv4 round trip was checked"
fi
run_ok "a second apply" sg -c "$CONF" apply
as_applied "a second apply changes nothing"

# --- drift: someone deletes an own rule by hand
deleted=$(own | grep '^-A SMTPGUARD-' | head -1)
chain=$(echo "$deleted" | cut -d' ' -f2)
if [ -n "$chain" ] && gw iptables-legacy -w -D "$chain" 1; then
	out=$(sg -c "$CONF" apply --check 2>&1)
	is_d "$?" 3 "apply --check: 3 after rule 1 of $chain was deleted by hand" "$out"
	if printf '%s\n' "$out" | grep -qF -- "$deleted"; then
		ok "apply --check prints the difference: the deleted rule"
	else
		fail "apply --check prints the difference: the deleted rule" "deleted: $deleted" "$out"
	fi
	run_ok "apply repairs the drift" sg -c "$CONF" apply
	as_applied "the repaired table is as applied"
	check_is 0 "apply --check: 0 after the repair"
else
	fail "delete an own rule by hand" "no own rule found: $(own)"
fi

# --- a tool that inserts its jump above smtpguard's later (docker restarting)
gw iptables-legacy -w -I FORWARD -j DOCKER-USER
check_is 3 "apply --check: 3 when a foreign jump was inserted above the own one"
run_ok "apply after the foreign insert" sg -c "$CONF" apply
is_d "$(gw iptables-legacy -w -S FORWARD 1 | grep -c SMTPGUARD)" 1 "apply puts the own jump back at rule 1 of FORWARD" \
	"$(gw iptables-legacy -w -S FORWARD)"
is "$(table | grep -c '^-A FORWARD -j DOCKER-USER$')" 2 "the inserted foreign jump is kept"
gw iptables-legacy -w -D FORWARD -j DOCKER-USER

# --- the unit's commands, run by hand in the gateway (-c: the test config, not /etc)
for key in ExecStart ExecReload ExecStop; do
	[ -n "$(unit_cmd "$key")" ] || fail "the unit has $key=/usr/sbin/smtpguard ..." "$(grep "^$key" conf/smtpguard.service)"
done
stop=$(unit_cmd ExecStop)
start=$(unit_cmd ExecStart)
reload=$(unit_cmd ExecReload)
# shellcheck disable=SC2086 # the unit's command line, word-split as systemd would
run_ok "ExecStop: $stop" gw $stop -c "$CONF"
is "$(own)" "" "ExecStop removed every own chain and jump"
is "$(table | grep -Ei 'f2b|docker')" "$foreign" "ExecStop kept fail2ban's and docker's rules"
# shellcheck disable=SC2086
run_ok "ExecStart: $start" gw $start -c "$CONF"
as_applied "ExecStart applied the rules"
# shellcheck disable=SC2086
run_ok "ExecReload: $reload" gw $reload -c "$CONF"
as_applied "ExecReload on an applied table changes nothing"

# --- the unit's sandbox as far as a namespace can show it: its capability
# bounding set and no_new_privs are enough for remove and apply
caps=$(unit_caps)
if [ "$caps" = "net_admin,net_raw" ]; then ok "unit bounds capabilities to CAP_NET_ADMIN CAP_NET_RAW"; else fail "unit bounds capabilities to CAP_NET_ADMIN CAP_NET_RAW" "$caps"; fi
# shellcheck disable=SC2086
run_ok "ExecStop within the unit's capabilities" unit_sandbox $stop -c "$CONF"
is "$(own)" "" "ExecStop within the unit's capabilities removed the own rules"
# shellcheck disable=SC2086
run_ok "ExecStart within the unit's capabilities" unit_sandbox $start -c "$CONF"
as_applied "ExecStart within the unit's capabilities applied the rules"

done_testing
