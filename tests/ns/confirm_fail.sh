#!/bin/sh
# confirm_fail.sh - apply --confirm when something fails: an early
# failure (a hand-edited own chain, a run directory that cannot be
# created) is one line and exit 1 with nothing changed, never a crash;
# a failure that leaves IPv6 changed (IPv4 commit and the IPv6 put-back
# both fail) keeps the watchdog armed, and it rolls back.
. tests/lib/tap.sh
. tests/lib/netns.sh
ns_require_root
ns_setup || { fail "topology"; done_testing; exit 1; }
CONF="$NS_DIR/smtpguard.conf"

write_zones_config "$CONF" monitor block

# --- a run directory that cannot be created (SMTPGUARD_RUN_DIR under a regular file)
before=$(gw_save)
: >"$NS_DIR/afile"
err=$(gw env SMTPGUARD_RUN_DIR="$NS_DIR/afile/run" "$SMTPGUARD" -c "$CONF" apply --confirm 5 </dev/null 2>&1 >/dev/null)
is "$?" 1 "bad run directory: exit 1, no crash"
case $err in *"cannot create $NS_DIR/afile/run"*) ok "bad run directory: the error names it" ;;
*) fail "bad run directory: the error names it" "$err" ;; esac
is "$(printf '%s\n' "$err" | wc -l)" 1 "bad run directory: one line"
is "$(gw_save)" "$before" "bad run directory: nothing changed"

# --- a hand-edited own chain after an apply
check "apply" sg -c "$CONF" apply
gw iptables-legacy -w -A SMTPGUARD-wlan -m comment --comment "by hand" -j RETURN
before=$(gw_save)
err=$(sg -c "$CONF" apply --confirm 5 </dev/null 2>&1 >/dev/null)
is "$?" 1 "hand-edited own chain: exit 1, no crash"
case $err in *"edited by hand"*) ok "hand-edited own chain: the error says so" ;;
*) fail "hand-edited own chain: the error says so" "$err" ;; esac
is "$(printf '%s\n' "$err" | wc -l)" 1 "hand-edited own chain: one line"
is "$(gw_save)" "$before" "hand-edited own chain: nothing changed"
check "hand-edited own chain: no watchdog is left pending" test ! -e "$SMTPGUARD_RUN_DIR/pending"

# --- half applied: IPv6 committed, then the IPv4 commit and the IPv6 put-back fail.
# apply holds the xtables lock from its first read to its last commit, so nothing else can
# make those commits fail: gdb makes libiptc's iptc_commit (IPv4) and the second
# ip6tc_commit (the put-back) return failure.  At the put-back the test queues for the
# xtables lock, so that the watchdog, when smtpguard lets the lock go, finds it busy.
gw iptables-legacy -w -F SMTPGUARD-wlan
check "apply (lan and wlan block)" sg -c "$CONF" apply
before4=$(gw_save)
before6=$(gw_save6)
write_zones_config "$CONF" monitor allow
cat >"$NS_DIR/hold.sh" <<HOLD
: >"$NS_DIR/hold"
( flock -x 9; while [ -e "$NS_DIR/hold" ]; do sleep 0.1; done ) 9>"$XTABLES_LOCKFILE" >/dev/null 2>&1 &
HOLD
cat >"$NS_DIR/fail.gdb" <<GDB
set breakpoint pending on
set confirm off
break iptc_commit
commands
silent
return (int) 0
continue
end
break ip6tc_commit
ignore 2 1
commands
silent
shell sh $NS_DIR/hold.sh
return (int) 0
continue
end
run -c $CONF apply --confirm 60 </dev/null >$NS_DIR/out 2>$NS_DIR/err
print \$_exitcode
GDB
# LeakSanitizer cannot run under ptrace: off for this one run of the ASan build (check-asan).
gw env SMTPGUARD_LOCK_WAIT=1 ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" gdb -q -batch \
	-x "$NS_DIR/fail.gdb" "$SMTPGUARD" >"$NS_DIR/gdb.out" 2>&1
case $(tail -1 "$NS_DIR/gdb.out") in *" = 1") ok "half applied: apply --confirm exits 1" ;;
*) fail "half applied: apply --confirm exits 1" "$(cat "$NS_DIR/gdb.out" "$NS_DIR/err")" ;; esac
if grep -q "the IPv6 rules were changed and could not be put back" "$NS_DIR/err"; then
	ok "half applied: the error says IPv6 was left changed"
else
	fail "half applied: the error says IPv6 was left changed" "$(cat "$NS_DIR/err")"
fi
if [ "$(gw_save6)" != "$before6" ]; then ok "half applied: the IPv6 table was left changed (lock held)"; else
	fail "half applied: the IPv6 table was left changed (lock held)"; fi
if grep -q "rolling back, the xtables lock is busy; retrying" "$NS_DIR/err" && ! grep -q restored "$NS_DIR/err"; then
	ok "half applied: it says the watchdog is rolling back, not that it is done"
else
	fail "half applied: it says the watchdog is rolling back, not that it is done" "$(cat "$NS_DIR/err")"
fi
check "half applied: the watchdog stays armed" test -e "$SMTPGUARD_RUN_DIR/pending"
rm -f "$NS_DIR/hold"
# tries 1, 2, 4 s apart: committed within 15 s of the release
n=0
while [ "$(gw_save6)" != "$before6" ] && [ $n -lt 150 ]; do n=$((n + 1)); sleep 0.1; done
is "$(gw_save6)" "$before6" "half applied: the watchdog put the IPv6 rules back"
is "$(gw_save)" "$before4" "half applied: the IPv4 rules are as before"
done_testing
