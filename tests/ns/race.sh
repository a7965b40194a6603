#!/bin/sh
# race.sh - concurrent writers, crashes and the xtables lock.
#   * N loops of iptables-legacy -w -A/-D on foreign chains while
#     smtpguard applies and removes M times: no foreign rule is lost;
#   * SIGKILL of `smtpguard apply` at random moments: the table is the
#     old or the new one, never a mixture, and the next apply succeeds;
#   * a held xtables lock makes apply wait, then succeed or fail clearly.
. tests/lib/tap.sh
. tests/lib/netns.sh
ns_require_root
ns_setup || { fail "topology"; done_testing; exit 1; }
CONF="$NS_DIR/smtpguard.conf"
N=${RACE_WRITERS:-3}
M=${RACE_ROUNDS:-20}
K=${CRASH_ROUNDS:-30}

write_zones_config "$CONF" block rateban "protect_gateway = yes"

# --- race: each writer appends rules to its own chain, deletes every other one
for w in $(seq 1 "$N"); do gw iptables-legacy -w -N "RACE-$w"; done
for w in $(seq 1 "$N"); do
	(
		i=0
		while [ $i -lt 40 ]; do
			gw iptables-legacy -w -A "RACE-$w" -s "198.51.100.$((i + 10))" -j DROP
			[ $((i % 2)) = 1 ] && gw iptables-legacy -w -D "RACE-$w" -s "198.51.100.$((i + 10))" -j DROP
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
	i=0
	while [ $i -lt 40 ]; do
		if [ $((i % 2)) = 0 ]; then
			gw iptables-legacy -w -C "RACE-$w" -s "198.51.100.$((i + 10))" -j DROP 2>/dev/null || lost=$((lost + 1))
		fi
		i=$((i + 1))
	done
	extra=$(gw iptables-legacy -w -S "RACE-$w" | grep -c -- '-A ')
	[ "$extra" = 20 ] || lost=$((lost + 1000))
done
diag "race: $N writers x 40 rule changes, smtpguard apply+remove x $M: $lost foreign rules lost, $fails smtpguard runs failed"
is "$lost" 0 "race: no foreign rule lost ($N writers, $M apply/remove rounds)"
is "$fails" 0 "race: every apply and remove succeeded" 
[ "$fails" = 0 ] || diag "$(cat "$NS_DIR/race.err")"

# --- crash: SIGKILL of apply at random moments
sg -c "$CONF" remove >/dev/null 2>&1
old=$(gw_save)
sg -c "$CONF" apply >/dev/null 2>&1
new=$(gw_save)
sg -c "$CONF" remove >/dev/null 2>&1
mixed=0
for k in $(seq 1 "$K"); do
	gw "$SMTPGUARD" -c "$CONF" apply >/dev/null 2>&1 &
	pid=$!
	sleep "0.00$(shuf -i 0-9 -n 1)$(shuf -i 0-9 -n 1)"
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	now=$(gw_save)
	if [ "$now" != "$old" ] && [ "$now" != "$new" ]; then
		mixed=$((mixed + 1))
		printf '%s\n' "$now" >"$NS_DIR/mixed.$k"
	fi
	sg -c "$CONF" remove >/dev/null 2>&1
done
diag "crash: $K apply runs killed with SIGKILL at random moments: $mixed mixed tables"
is "$mixed" 0 "crash: the table is always the old or the new one"
check "crash: the next apply succeeds" sg -c "$CONF" apply
is "$(gw_save)" "$new" "crash: and gives the new table"

# --- lock: apply waits for a held lock, then succeeds; fails clearly past the bound
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
before=$(gw_save)
( flock -x 9; sleep 4 ) 9>"$XTABLES_LOCKFILE" &
wait_locked "$XTABLES_LOCKFILE"
err=$(gw env SMTPGUARD_LOCK_WAIT=1 "$SMTPGUARD" -c "$CONF" apply 2>&1 >/dev/null)
rc=$?
is "$rc" 1 "lock: apply gives up after the bound with exit 1"
case $err in *lock*) ok "lock: the error names the lock ($err)" ;; *) fail "lock: the error names the lock" "$err" ;; esac
is "$(printf '%s\n' "$err" | wc -l)" 1 "lock: the error is one line"
is "$(gw_save)" "$before" "lock: nothing changed"
wait
done_testing
