#!/bin/sh
# race.sh - concurrent writers, crashes and the xtables lock.
#   * N loops of iptables-legacy -w -A/-D on foreign chains while
#     smtpguard applies and removes M times: no foreign rule is lost;
#   * SIGKILL of `smtpguard apply` at random moments: each kernel table is
#     the old or the new one, never a mixture, and the next apply succeeds.
#     On iptables the two families are two tables committed one after the
#     other (IPv6 first): a kill in between leaves IPv6 new and IPv4 old,
#     which `apply --check` reports (exit 3) and the next apply finishes;
#     on nftables both families are one transaction: old or new, together;
#   * a held xtables lock makes apply wait, then succeed or fail clearly.
# On nftables the writers are nft in a foreign table inet foreign, and one
# iptables-nft writer as docker is (its table ip filter is nftables too);
# the oracle is `nft list`; apply takes the xtables lock there too.
# backends: iptables nftables
. tests/lib/tap.sh
. tests/lib/netns.sh
. tests/lib/backend.sh
ns_require_root
backend_require
ns_setup || { fail "topology"; done_testing; exit 1; }
CONF="$NS_DIR/smtpguard.conf"
N=${RACE_WRITERS:-3}
M=${RACE_ROUNDS:-20}
K=${CRASH_ROUNDS:-30}

write_zones_config "$CONF" block rateban "protect_gateway = yes"

# --- race: each writer appends rules to its own chain, deletes every other one
# Writer W's tool: iptables-legacy on iptables; on nftables nft, the last one iptables-nft.
tool() { # tool W
	if ! on_nft; then echo iptables-legacy; elif [ "$1" = "$N" ]; then echo iptables-nft; else echo nft; fi
}
w_new() { # w_new W: the writer's empty chain
	case $(tool "$1") in
	nft) gw nft add chain inet foreign "race-$1" ;;
	*) gw "$(tool "$1")" -w -N "RACE-$1" ;;
	esac
}
# w_add W ADDR: one rule dropping ADDR; nft prints its handle, the one w_del needs
w_add() {
	case $(tool "$1") in
	nft) gw nft -e -a add rule inet foreign "race-$1" ip saddr "$2" drop | sed -n 's/.* # handle \([0-9]*\)$/\1/p' ;;
	*) gw "$(tool "$1")" -w -A "RACE-$1" -s "$2" -j DROP ;;
	esac
}
w_del() { # w_del W ADDR HANDLE
	case $(tool "$1") in
	nft) gw nft delete rule inet foreign "race-$1" handle "$3" ;;
	*) gw "$(tool "$1")" -w -D "RACE-$1" -s "$2" -j DROP ;;
	esac
}
w_list() { # w_list W: the chain's rules, one source address a line
	case $(tool "$1") in
	nft) gw nft list chain inet foreign "race-$1" | sed -n 's/^[[:space:]]*ip saddr \([0-9.]*\) drop$/\1/p' ;;
	*) gw "$(tool "$1")" -w -S "RACE-$1" | sed -n 's|^-A RACE-[0-9]* -s \([0-9.]*\)/32 -j DROP$|\1|p' ;;
	esac
}
if on_nft; then N=$((N + 1)); gw nft add table inet foreign; fi
for w in $(seq 1 "$N"); do w_new "$w"; done
for w in $(seq 1 "$N"); do
	(
		i=0
		while [ $i -lt 40 ]; do
			h=$(w_add "$w" "198.51.100.$((i + 10))")
			[ $((i % 2)) = 1 ] && w_del "$w" "198.51.100.$((i + 10))" "$h"
			i=$((i + 1))
		done
	) &
done
fails=0
: >"$NS_DIR/race.err"
for m in $(seq 1 "$M"); do
	sg -c "$CONF" apply >/dev/null 2>>"$NS_DIR/race.err" || fails=$((fails + 1))
	sg -c "$CONF" remove >/dev/null 2>>"$NS_DIR/race.err" || fails=$((fails + 1))
done
wait
lost=0
for w in $(seq 1 "$N"); do
	want=$(i=0; while [ $i -lt 40 ]; do echo "198.51.100.$((i + 10))"; i=$((i + 2)); done)
	got=$(w_list "$w")
	# each wanted rule missing counts one; a chain not of exactly the 20 wanted counts 1000
	for a in $want; do printf '%s\n' "$got" | grep -qxF "$a" || lost=$((lost + 1)); done
	[ "$(printf '%s\n' "$got" | grep -c .)" = 20 ] || lost=$((lost + 1000))
done
diag "race: $N writers ($(for w in $(seq 1 "$N"); do tool "$w"; done | sort | uniq -c | tr -s ' \n' ' '))x 40 rule changes, smtpguard apply+remove x $M: $lost foreign rules lost, $fails smtpguard runs failed"
is "$lost" 0 "race: no foreign rule lost ($N writers, $M apply/remove rounds)"
is "$fails" 0 "race: every apply and remove succeeded" 
[ "$fails" = 0 ] || diag "$(cat "$NS_DIR/race.err")"

# --- crash: SIGKILL of apply at random moments
# state: "old", "new", "v6 new" (iptables: killed between the two commits) or "mixed"
state() {
	now=$(gw_firewall)
	if [ "$now" = "$old" ]; then echo old; elif [ "$now" = "$new" ]; then echo new
	elif ! on_nft && [ "$(gw_save)" = "$old4" ] && [ "$(gw_save6)" = "$new6" ]; then echo "v6 new"
	else echo mixed; fi
}
sg -c "$CONF" remove >/dev/null 2>&1
old=$(gw_firewall) old4=$(gw_save)
sg -c "$CONF" apply >/dev/null 2>&1
new=$(gw_firewall) new6=$(gw_save6)
sg -c "$CONF" remove >/dev/null 2>&1
mixed=0 between=0 unseen=0
for k in $(seq 1 "$K"); do
	# exec: $! is smtpguard itself (ip netns exec execs it), not a subshell around it
	(exec ip netns exec "$NS_GW" "$SMTPGUARD" -c "$CONF" apply >/dev/null 2>&1) &
	pid=$!
	sleep "0.00$(shuf -i 0-9 -n 1)$(shuf -i 0-9 -n 1)"
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	case $(state) in
	mixed)
		mixed=$((mixed + 1))
		gw_firewall >"$NS_DIR/mixed.$k" ;;
	"v6 new")
		between=$((between + 1))
		sg -c "$CONF" apply --check >/dev/null 2>&1
		[ $? = 3 ] || unseen=$((unseen + 1)) ;;
	esac
	sg -c "$CONF" remove >/dev/null 2>&1
done
diag "crash: $K apply runs killed with SIGKILL at random moments: $mixed mixed tables, $between killed between the IPv6 and the IPv4 commit"
is "$mixed" 0 "crash: each table is always the old or the new one"
if on_nft; then
	skip "crash: a kill between the two families' commits is reported by apply --check" "nftables: both families are one transaction (old or new together, checked above)"
elif [ "$between" = 0 ]; then
	skip "crash: a kill between the two families' commits is reported by apply --check" "no kill landed between them in this run"
else
	is "$unseen" 0 "crash: each of the $between kills between the two families' commits is reported by apply --check (exit 3)"
fi
check "crash: the next apply succeeds" sg -c "$CONF" apply
is "$(gw_firewall)" "$new" "crash: and gives the new table"

# --- lock: apply waits for a held lock, then succeeds; fails clearly past the bound (on
# nftables too: apply takes the xtables lock as smtpguard's own, from its read to its commit)
sg -c "$CONF" remove >/dev/null 2>&1
( flock -x 9; sleep 2 ) 9>"$XTABLES_LOCKFILE" &
wait_locked "$XTABLES_LOCKFILE"
start=$(date +%s)
if sg -c "$CONF" apply >/dev/null 2>&1; then ok "lock: apply waited for the lock and succeeded"; else
	fail "lock: apply waited for the lock and succeeded"; fi
end=$(date +%s)
[ $((end - start)) -ge 1 ] && ok "lock: apply did wait ($((end - start)) s)" || fail "lock: apply did wait" "took $((end - start)) s"
wait
sg -c "$CONF" remove >/dev/null 2>&1
before=$(gw_firewall)
( flock -x 9; sleep 4 ) 9>"$XTABLES_LOCKFILE" &
wait_locked "$XTABLES_LOCKFILE"
err=$(gw env SMTPGUARD_LOCK_WAIT=1 "$SMTPGUARD" -c "$CONF" apply 2>&1 >/dev/null)
rc=$?
is "$rc" 1 "lock: apply gives up after the bound with exit 1"
case $err in *lock*) ok "lock: the error names the lock ($err)" ;; *) fail "lock: the error names the lock" "$err" ;; esac
is "$(printf '%s\n' "$err" | wc -l)" 1 "lock: the error is one line"
is "$(gw_firewall)" "$before" "lock: nothing changed"
wait
done_testing
