#!/bin/sh
# confirm.sh - confirmed changes roll back unless confirmed: on timeout,
# after SIGKILL of smtpguard, after the terminal goes away (SSH drop);
# `smtpguard confirm` keeps them; foreign rules added meanwhile survive.
# backends: iptables nftables
. tests/lib/tap.sh
. tests/lib/netns.sh
. tests/lib/backend.sh
ns_require_root
backend_require
ns_setup || { fail "topology"; done_testing; exit 1; }
CONF="$NS_DIR/smtpguard.conf"
TMUX_SOCKET="sgconfirm$$-0"
TMUX_STARTS=0
# A tmux server of its own for each session: a new session never reaches a server still exiting.
tmux_fresh() {
	tmux -L "$TMUX_SOCKET" kill-server 2>/dev/null
	TMUX_STARTS=$((TMUX_STARTS + 1))
	TMUX_SOCKET="sgconfirm$$-$TMUX_STARTS"
}
trap 'tmux -L "$TMUX_SOCKET" kill-server 2>/dev/null; ns_cleanup' EXIT

write_config "$CONF" "[zone wlan]
interface = eth2
mode = log"
foreign_add 53
before=$(gw_firewall)

wait_gone() { # wait until no change is pending (max $1 s)
	n=0
	while [ -f "$SMTPGUARD_RUN_DIR/pending" ] && [ $n -lt $(($1 * 10)) ]; do
		sleep 0.1
		n=$((n + 1))
	done
}

# 1. timeout without confirmation
out=$(sg -c "$CONF" apply --confirm 2 </dev/null 2>&1)
rc=$?
is "$rc" 0 "apply --confirm 2 applies and returns"
if has_own; then ok "the change is in the kernel while pending"; else
	fail "the change is in the kernel while pending" "$out"; fi
out=$(sg -c "$CONF" apply 2>&1)
is "$?" 1 "a plain apply is refused while a change is pending"
foreign_add 123
wait_gone 30
if foreign_has 123; then ok "unconfirmed: the foreign rule added meanwhile is kept"; else
	fail "unconfirmed: the foreign rule added meanwhile is kept" "$(gw_firewall)"; fi
foreign_del 123
is "$(gw_firewall)" "$before" "unconfirmed: rolled back after 2 s, nothing else changed"

# 2. confirmed from another shell
sg -c "$CONF" apply --confirm 3 </dev/null >/dev/null 2>&1
out=$(sg confirm 2>&1)
is "$?" 0 "smtpguard confirm succeeds"
sleep 4	# past the 3 s deadline: a watchdog that still ran would have rolled back by now
if has_own; then ok "confirmed: the change stays after the deadline"; else
	fail "confirmed: the change stays after the deadline" "$out"; fi
out=$(sg confirm 2>&1)
is "$?" 1 "confirm with nothing pending is an error"
sg -c "$CONF" remove >/dev/null 2>&1
before=$(gw_firewall)

# 3. SIGKILL of smtpguard while it waits at the prompt (on a terminal, in tmux)
tmux_fresh
tmux -L "$TMUX_SOCKET" new-session -d -x 100 -y 20 \
	"ip netns exec $NS_GW env SMTPGUARD_RUN_DIR=$SMTPGUARD_RUN_DIR XTABLES_LOCKFILE=$XTABLES_LOCKFILE $SMTPGUARD -c $CONF apply --confirm 3"
n=0
until tmux -L "$TMUX_SOCKET" capture-pane -p | grep -q 'Type yes' || [ $n -gt 200 ]; do sleep 0.1; n=$((n + 1)); done	# bounded: 20 s
pid=$(pgrep -f "$SMTPGUARD -c $CONF apply --confirm 3" | head -1)
[ -n "$pid" ] && kill -9 "$pid"
if has_own; then ok "SIGKILL: the change was in place when smtpguard died"; else
	fail "SIGKILL: the change was in place when smtpguard died"; fi
wait_gone 30
is "$(gw_firewall)" "$before" "SIGKILL: the watchdog rolled back"
tmux -L "$TMUX_SOCKET" kill-server 2>/dev/null

# 4. SSH drop: the terminal goes away (SIGHUP) while smtpguard waits at the prompt
tmux_fresh
tmux -L "$TMUX_SOCKET" new-session -d -x 100 -y 20 \
	"ip netns exec $NS_GW env SMTPGUARD_RUN_DIR=$SMTPGUARD_RUN_DIR XTABLES_LOCKFILE=$XTABLES_LOCKFILE $SMTPGUARD -c $CONF apply --confirm 3"
n=0
until tmux -L "$TMUX_SOCKET" capture-pane -p | grep -q 'Type yes' || [ $n -gt 200 ]; do sleep 0.1; n=$((n + 1)); done	# bounded: 20 s
tmux -L "$TMUX_SOCKET" kill-server
if has_own; then ok "hangup: the change was in place when the terminal went away"; else
	fail "hangup: the change was in place when the terminal went away"; fi
wait_gone 30
is "$(gw_firewall)" "$before" "hangup: the watchdog rolled back"

# 4b. SIGHUP at every stage: before, during and after the commit, at the prompt
# (pgrep runs from this shell: run through `sh -c`, the pattern in that shell's own arguments
# would match it, and every wait would last its whole bound)
apply_gone() { ! pgrep -f "$SMTPGUARD -c $CONF apply --confirm 2" >/dev/null; }
hup_mixed=0
for delay in 0 0.005 0.01 0.02 0.04 0.08 0.15 0.3 0.6; do
	tmux_fresh
	tmux -L "$TMUX_SOCKET" new-session -d -x 100 -y 20 \
		"ip netns exec $NS_GW env SMTPGUARD_RUN_DIR=$SMTPGUARD_RUN_DIR XTABLES_LOCKFILE=$XTABLES_LOCKFILE $SMTPGUARD -c $CONF apply --confirm 2"
	sleep "$delay"
	tmux -L "$TMUX_SOCKET" kill-server 2>/dev/null
	# smtpguard has gone (bounded: 20 s), then any change it left pending is rolled back (bounded: 30 s)
	wait_until 20 apply_gone
	wait_gone 30
	[ "$(gw_firewall)" = "$before" ] || hup_mixed=$((hup_mixed + 1))
	sg -c "$CONF" remove >/dev/null 2>&1
done
diag "SIGHUP after 0 to 600 ms of apply --confirm 2, 9 runs: $hup_mixed left the new rules"
is "$hup_mixed" 0 "hangup at every stage ends with the old table"

# 5. typing yes keeps it
tmux_fresh
tmux -L "$TMUX_SOCKET" new-session -d -x 100 -y 20 \
	"ip netns exec $NS_GW env SMTPGUARD_RUN_DIR=$SMTPGUARD_RUN_DIR XTABLES_LOCKFILE=$XTABLES_LOCKFILE $SMTPGUARD -c $CONF apply --confirm 5; sleep 60"
n=0
until tmux -L "$TMUX_SOCKET" capture-pane -p | grep -q 'Type yes' || [ $n -gt 200 ]; do sleep 0.1; n=$((n + 1)); done	# bounded: 20 s
tmux -L "$TMUX_SOCKET" send-keys yes Enter
n=0
until tmux -L "$TMUX_SOCKET" capture-pane -p | grep -q 'Confirmed' || [ $n -gt 200 ]; do sleep 0.1; n=$((n + 1)); done	# bounded: 20 s
sleep 5.5	# past the 5 s deadline: a watchdog that still ran would have rolled back by now
if has_own; then ok "typing yes keeps the change"; else
	fail "typing yes keeps the change" "$(tmux -L "$TMUX_SOCKET" capture-pane -p 2>&1)"; fi
tmux -L "$TMUX_SOCKET" kill-server 2>/dev/null
done_testing
