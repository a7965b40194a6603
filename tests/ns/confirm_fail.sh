#!/bin/sh
# confirm_fail.sh - apply --confirm when something fails: an early
# failure (a hand-edited own chain, a run directory that cannot be
# created) is one line and exit 1 with nothing changed, never a crash.
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
done_testing
