#!/bin/sh
# watchdog.sh - the rollback watchdog when the xtables lock is busy at
# the deadline: it keeps trying until the rollback is committed, and no
# front end says "restored" or "kept" before it is true.
. tests/lib/tap.sh
. tests/lib/netns.sh
. tests/lib/tmux.sh
ns_require_root
ns_setup || { fail "topology"; done_testing; exit 1; }
trap 'rm -f "$NS_DIR/hold"; tmux_cleanup; ns_cleanup' EXIT
CONF="$NS_DIR/smtpguard.conf"
mkdir -p -m 700 "$SMTPGUARD_RUN_DIR"
write_config "$CONF" "[zone wlan]
interface = eth2
mode = block"
# Each rollback try waits 1 s for the lock (the watchdog inherits this).
SG_ENV="SMTPGUARD_RUN_DIR=$SMTPGUARD_RUN_DIR XTABLES_LOCKFILE=$XTABLES_LOCKFILE SMTPGUARD_LOCK_WAIT=1"

# Hold the namespace's xtables lock until release_lock; 0 once it is held (bounded: 5 s).
hold_lock() {
	: >"$NS_DIR/hold"
	(
		flock -x 9
		while [ -e "$NS_DIR/hold" ]; do sleep 0.1; done
	) 9>"$XTABLES_LOCKFILE" &
	n=0
	while flock -n "$XTABLES_LOCKFILE" true; do
		n=$((n + 1))
		[ $n -gt 50 ] && return 1
		sleep 0.1
	done
}
release_lock() { rm -f "$NS_DIR/hold"; }

# Until the gateway's IPv4 table equals $1 (bounded: $2 s); 0 when it does.
wait_table() {
	n=0
	while [ "$(gw_save)" != "$1" ]; do
		n=$((n + 1))
		[ $n -gt $(($2 * 10)) ] && return 1
		sleep 0.1
	done
}

has_new_rules() { gw_save | grep -q -- '-A SMTPGUARD-wlan .* -j DROP'; }

before=$(gw_save)

# --- apply --confirm on a terminal, not confirmed, the lock busy at the deadline
tmux_start 120 30 "ip netns exec $NS_GW env $SG_ENV $SMTPGUARD -c $CONF apply --confirm 2"
if tmux_wait 'Type yes' 10 prompt; then ok "apply --confirm asks"; else fail "apply --confirm asks"; fi
if has_new_rules; then ok "the change is in the kernel while pending"; else fail "the change is in the kernel while pending"; fi
hold_lock || fail "the test holds the xtables lock"
# deadline 2 s, then a 1 s try: the busy lock is reported within 10 s
if tmux_wait 'the xtables lock is busy; retrying' 10 busy; then
	ok "apply --confirm says the rollback waits for the busy lock"
else
	fail "apply --confirm says the rollback waits for the busy lock" "$(cat "$TMUX_RAW")"
fi
if has_new_rules; then ok "lock busy: the kernel still has the new rules"; else fail "lock busy: the kernel still has the new rules"; fi
if grep -q 'restored' "$TMUX_RAW"; then
	fail "lock busy: nothing claimed the previous rules restored" "$(cat "$TMUX_RAW")"
else
	ok "lock busy: nothing claimed the previous rules restored"
fi
check "lock busy: the change still counts as pending (a new apply is refused)" \
	test -e "$SMTPGUARD_RUN_DIR/pending"
release_lock
# the retry pause grows 1, 2, 4 s: the rollback is committed within 15 s of the release
if wait_table "$before" 15; then ok "lock free: the watchdog rolled back"; else
	fail "lock free: the watchdog rolled back" "$(gw_save)"; fi
if tmux_wait 'rolled back: the previous rules are restored' 10 restored; then
	ok "apply --confirm reports the rollback once it is committed"
else
	fail "apply --confirm reports the rollback once it is committed" "$(cat "$TMUX_RAW")"
fi
tmux_wait_dead 10
is "$(tmux_dead)" 1 "apply --confirm not confirmed: exit 1"
check "no watchdog is left pending" test ! -e "$SMTPGUARD_RUN_DIR/pending"

# --- smtpguard confirm after the deadline, the rollback in progress (lock busy)
gw env SMTPGUARD_LOCK_WAIT=1 "$SMTPGUARD" -c "$CONF" apply --confirm 2 </dev/null >/dev/null 2>&1
has_new_rules || fail "apply --confirm 2 applied"
hold_lock || fail "the test holds the xtables lock"
# deadline 2 s, then a 1 s try: the watchdog reports the busy lock within 10 s
n=0
until grep -q '^state lock-busy' "$SMTPGUARD_RUN_DIR/outcome" 2>/dev/null || [ $n -gt 100 ]; do
	sleep 0.1
	n=$((n + 1))
done
err=$(sg confirm 2>&1)
is "$?" 4 "confirm after the deadline: exit 4"
case $err in *"too late"*"rolling back, the xtables lock is busy; retrying"*) ok "confirm says it came too late and the rollback waits for the lock" ;;
*) fail "confirm says it came too late and the rollback waits for the lock" "$err" ;; esac
is "$(printf '%s\n' "$err" | wc -l)" 1 "confirm too late: one line"
if has_new_rules; then ok "confirm too late: the new rules are still in (lock busy)"; else
	fail "confirm too late: the new rules are still in (lock busy)"; fi
release_lock
# the retry pause grows 1, 2, 4 s: the rollback is committed within 15 s of the release
if wait_table "$before" 15; then ok "confirm too late: rolled back once the lock is free"; else
	fail "confirm too late: rolled back once the lock is free" "$(gw_save)"; fi
done_testing
