#!/bin/sh
# backend.sh - the libiptc backend against the real kernel, in the test
# namespaces: foreign rules survive apply and remove byte for byte, the
# jump is rule 1, a second apply changes nothing, every rule we build
# reads back (iptables-legacy-save) as rule_format_save prints it and
# iptables-legacy -C finds it, read() equals iptables-legacy-save -c for
# a varied set of foreign rules, and failures leave the table alone.
# Drives the backend through tests/ns/fwdriver.c.
# shellcheck shell=sh
. tests/lib/tap.sh
. tests/lib/netns.sh
ns_require_root
ns_setup || { fail "namespace setup"; done_testing; exit 1; }

# Built by `make unit` (the Makefile's TEST_PROGS); check-asan's UNIT_DIR names its sanitized build.
DRIVER=$(pwd)/${UNIT_DIR:-build/tests}/fwdriver
if [ -x "$DRIVER" ]; then
	ok "fwdriver is built ($DRIVER)"
else
	fail "fwdriver is built ($DRIVER)" "run make unit first"
	done_testing
	exit 1
fi
drv() { gw "$DRIVER" "$@"; }
strip_counters() { sed 's/\[[0-9]*:[0-9]*\]/[c]/'; }
table() { gw_save | strip_counters; }

# A read where the filter table was never loaded reports it empty and does not create it.
out=$(wan "$DRIVER" read)
is "$(printf '%s\n' "$out" | grep -c '^:')" 3 "read of a namespace without a filter table: three chains"
if wan grep -qx filter /proc/net/ip_tables_names; then
	fail "read does not create the filter table"
else
	ok "read does not create the filter table"
fi

# Foreign rules of many kinds, added first.
ipt() { gw iptables-legacy -w "$@" || diag "setup failed: iptables $*"; }
ipt -N FOREIGN
ipt -N zz-late
ipt -A INPUT -i lo -j ACCEPT
ipt -A INPUT -m state --state RELATED,ESTABLISHED -j ACCEPT
ipt -A INPUT -p icmp --icmp-type echo-request -m limit --limit 5/min --limit-burst 10 -j ACCEPT
ipt -A INPUT -p tcp -m multiport --dports 22,80,443,8000:8080 -m comment --comment 'web and "ssh"' -j ACCEPT
ipt -A INPUT -p udp --sport 53 -s 198.51.100.0/24 ! -d 192.0.2.0/255.255.0.255 -j ACCEPT
ipt -A INPUT -p tcp ! --syn -m conntrack --ctstate INVALID,UNTRACKED -j DROP
ipt -A INPUT -p tcp -j REJECT --reject-with tcp-reset
ipt -A INPUT -j LOG --log-level 6 --log-prefix "in: " --log-tcp-options
ipt -A FORWARD -i eth+ ! -o ppp0 -j FOREIGN
ipt -A FORWARD ! -i wlan+ -p 47 -j ACCEPT
ipt -A FORWARD -f -j DROP
ipt -A FOREIGN -m mark --mark 0x10/0xff -j RETURN
ipt -A FOREIGN -m iprange --src-range 192.0.2.10-192.0.2.20 -j DROP
ipt -A FOREIGN -m mac --mac-source 00:06:25:AA:BB:CC -j ACCEPT
ipt -A FOREIGN -m recent --name bad --rcheck --seconds 30 --hitcount 3 -j DROP
ipt -A FOREIGN -p tcp --tcp-flags SYN,ACK SYN -j ACCEPT
ipt -A FOREIGN -m hashlimit --hashlimit-upto 10/sec --hashlimit-mode srcip --hashlimit-name foo -j ACCEPT
ipt -A FOREIGN -m connlimit --connlimit-above 5 -j REJECT
ipt -A FOREIGN -g zz-late
ipt -A FOREIGN -j NFLOG --nflog-group 3 --nflog-threshold 1
ipt -A FOREIGN -j MARK --set-mark 5
ipt -A FOREIGN
ipt -A OUTPUT -m u32 --u32 "0>>22&0x3C@4>>16=0x50" -j ACCEPT
ipt -A OUTPUT -m string --algo bm --string "foo bar" -j DROP
ipt -A zz-late -j RETURN
ipt -P FORWARD DROP
before=$(table)

out=$(drv apply 1 2>&1)
is "$?" 0 "apply of every match and target works"
is "$(printf '%s\n' "$out" | tail -n 1)" "16 rules added, 0 removed, 4 chains created, 0 deleted" \
	"apply reports what it did"
is "$(gw iptables-legacy -w -S FORWARD 1)" "-A FORWARD -p tcp -m multiport --ports 25,587 -j SMTPGUARD-FWD" \
	"the jump is rule 1 of FORWARD"
is "$(gw iptables-legacy -w -S INPUT 1)" "-A INPUT -p tcp -m tcp --dport 25 -j SMTPGUARD-IN" \
	"the INPUT jump is rule 1 of INPUT"
is "$(table | grep -v SMTPGUARD)" "$before" "foreign chains and rules are untouched by apply"

# Every rule we build is what rule_format_save says, and what iptables would build.
drv format 1 | sort >"$NS_DIR/want"
gw_save | grep '^-A' | grep SMTPGUARD | sort >"$NS_DIR/got"
if cmp -s "$NS_DIR/want" "$NS_DIR/got"; then
	ok "iptables-legacy-save prints our rules exactly as rule_format_save"
else
	fail "iptables-legacy-save prints our rules exactly as rule_format_save" \
		"$(diff "$NS_DIR/want" "$NS_DIR/got")"
fi
bad=
while IFS= read -r line; do
	# shellcheck disable=SC2086
	eval "set -- $line"
	shift
	chain=$1
	shift
	gw iptables-legacy -w -C "$chain" "$@" 2>/dev/null || bad="$bad
$line"
done <"$NS_DIR/want"
is "$bad" "" "iptables-legacy -C finds every rule we built (same kernel entry)"

# read() is iptables-legacy-save -c, line for line, foreign rules included.
gw iptables-legacy-save -c | grep -v '^#' >"$NS_DIR/save-c"
drv read >"$NS_DIR/read"
if cmp -s "$NS_DIR/save-c" "$NS_DIR/read"; then
	ok "read() equals iptables-legacy-save -c line for line ($(wc -l <"$NS_DIR/read") lines)"
else
	fail "read() equals iptables-legacy-save -c line for line" \
		"$(diff "$NS_DIR/save-c" "$NS_DIR/read")"
fi

# Without the extension libraries a rule is still listed, never dropped from the read.
out=$(XTABLES_LIBDIR=$NS_DIR/no-extensions drv read)
is "$?" 0 "read works when no extension library can be loaded"
is "$(printf '%s\n' "$out" | grep -c '^\[')" "$(grep -c '^\[' "$NS_DIR/read")" "... and lists every rule"
case $out in
*"-A INPUT -p tcp -m tcp (unknown match) -j SMTPGUARD-IN"*) ok "... marking what it cannot render" ;;
*) fail "... marking what it cannot render" "$out" ;;
esac

# read_own() reads the own rules back without libxtables: the same text, extensions or none.
gw_save | grep -e '^-A SMTPGUARD' -e '^-A [A-Z]* .*-j SMTPGUARD' >"$NS_DIR/own-save"
drv readown >"$NS_DIR/own-read"
if cmp -s "$NS_DIR/own-save" "$NS_DIR/own-read"; then
	ok "read_own() gives every own rule as iptables-legacy-save ($(wc -l <"$NS_DIR/own-read") rules)"
else
	fail "read_own() gives every own rule as iptables-legacy-save" \
		"$(diff "$NS_DIR/own-save" "$NS_DIR/own-read")"
fi
XTABLES_LIBDIR=$NS_DIR/no-extensions drv readown >"$NS_DIR/own-read-bare"
if cmp -s "$NS_DIR/own-save" "$NS_DIR/own-read-bare"; then
	ok "... also when no extension library can be loaded (decoded, not rendered)"
else
	fail "... also when no extension library can be loaded (decoded, not rendered)" \
		"$(diff "$NS_DIR/own-save" "$NS_DIR/own-read-bare")"
fi
# A rule edited into an own chain by hand, of a form smtpguard never writes, is rendered.
ipt -A SMTPGUARD-lan -p tcp -m tcp --dport 25 -m comment --comment "by hand" -j RETURN
ipt -A SMTPGUARD-lan -p tcp -m tcp --dport 25:26 -j RETURN
gw_save | grep -e '^-A SMTPGUARD' -e '^-A [A-Z]* .*-j SMTPGUARD' >"$NS_DIR/own-save"
drv readown >"$NS_DIR/own-read"
if cmp -s "$NS_DIR/own-save" "$NS_DIR/own-read"; then
	ok "read_own() renders own-chain rules it cannot decode as iptables-legacy-save"
else
	fail "read_own() renders own-chain rules it cannot decode as iptables-legacy-save" \
		"$(diff "$NS_DIR/own-save" "$NS_DIR/own-read")"
fi
gw iptables-legacy -w -D SMTPGUARD-lan -p tcp -m tcp --dport 25 -m comment --comment "by hand" -j RETURN
gw iptables-legacy -w -D SMTPGUARD-lan -p tcp -m tcp --dport 25:26 -j RETURN

# Traffic through our rules, then the same ruleset again: nothing changes, counters stay.
lan socat -T1 /dev/null TCP4:203.0.113.25:25,connect-timeout=1 >/dev/null 2>&1
wlan socat -T1 /dev/null TCP4:203.0.113.25:25,connect-timeout=1 >/dev/null 2>&1
counted=$(gw iptables-legacy-save -c | grep -c '^\[[1-9][0-9]*:[0-9]*\] -A SMTPGUARD-')
if [ "$counted" -gt 0 ]; then ok "traffic counted on own rules ($counted rules)"; else fail "traffic counted on own rules"; fi
gw iptables-legacy-save -c | grep -v '^#' >"$NS_DIR/before-again"
is "$(drv apply 1)" "nothing to change" "applying the same ruleset again plans nothing"
gw iptables-legacy-save -c | grep -v '^#' >"$NS_DIR/after-again"
if cmp -s "$NS_DIR/before-again" "$NS_DIR/after-again"; then
	ok "the second apply left the table and every counter as they were"
else
	fail "the second apply left the table and every counter as they were" \
		"$(diff "$NS_DIR/before-again" "$NS_DIR/after-again")"
fi

# A zone changes: its chain is rebuilt, the other own chains keep their counters.
lan_counters=$(gw iptables-legacy-save -c | grep -e '-A SMTPGUARD-FWD' -e '-A SMTPGUARD-lan')
out=$(drv apply 2)
is "$(printf '%s\n' "$out" | tail -n 1)" "1 rule added, 3 removed, 0 chains created, 0 deleted" \
	"a zone change touches one chain"
is "$(gw iptables-legacy-save -c | grep -e '-A SMTPGUARD-FWD' -e '-A SMTPGUARD-lan')" "$lan_counters" \
	"unchanged own chains keep their counters"
drv format 2 | sort >"$NS_DIR/want2"
gw_save | grep '^-A' | grep SMTPGUARD | sort >"$NS_DIR/got2"
if cmp -s "$NS_DIR/want2" "$NS_DIR/got2"; then ok "the changed ruleset is in the kernel"; else
	fail "the changed ruleset is in the kernel" "$(diff "$NS_DIR/want2" "$NS_DIR/got2")"; fi

# Someone inserts a rule above our jump: apply puts the jump back on top, the rule stays.
ipt -I FORWARD 1 -p tcp --dport 2525 -j ACCEPT
out=$(drv apply 2)
is "$(printf '%s\n' "$out" | tail -n 1)" "1 rule added, 1 removed, 0 chains created, 0 deleted" \
	"a jump pushed to rule 2 is moved back"
is "$(gw iptables-legacy -w -S FORWARD 1)" "-A FORWARD -p tcp -m multiport --ports 25,587 -j SMTPGUARD-FWD" \
	"the jump is rule 1 again"
is "$(gw iptables-legacy -w -S FORWARD 2)" "-A FORWARD -p tcp -m tcp --dport 2525 -j ACCEPT" \
	"the foreign rule is kept, now rule 2"
is "$(gw iptables-legacy-save -c | grep -e '-A SMTPGUARD-FWD' -e '-A SMTPGUARD-lan')" "$lan_counters" \
	"moving the jump keeps the own chains' counters"
gw iptables-legacy -w -D FORWARD -p tcp --dport 2525 -j ACCEPT

# A foreign rule into an own chain the change deletes: refused before libiptc, nothing committed.
ipt -A FOREIGN -j SMTPGUARD-lan
mid=$(table)
out=$(drv remove 2>&1)
is "$?" 1 "remove fails while a foreign rule jumps to an own chain"
case $out in
*"'-A FOREIGN -j SMTPGUARD-lan' is not smtpguard's but jumps to its chain SMTPGUARD-lan"*"left unchanged"*) ok "the error says which call failed and why: $out" ;;
*) fail "the error says which call failed and why" "$out" ;;
esac
is "$(table)" "$mid" "a failed apply commits nothing"
gw iptables-legacy -w -D FOREIGN -j SMTPGUARD-lan

# Held xtables lock: we wait, give up, and name the holder.
perl -e 'use Fcntl ":flock"; open(my $f, ">>", $ARGV[0]) or die; flock($f, LOCK_EX); sleep 5' \
	"$XTABLES_LOCKFILE" &
holder=$!
wait_locked "$XTABLES_LOCKFILE"
out=$(SMTPGUARD_LOCK_WAIT=1 drv remove 2>&1)
rc=$?
kill "$holder" 2>/dev/null
wait "$holder" 2>/dev/null
is "$rc" 1 "apply gives up when the xtables lock stays held"
case $out in
*"held by pid $holder (perl)"*) ok "the error names the lock holder: $out" ;;
*) fail "the error names the lock holder" "$out" ;;
esac

# Without CAP_NET_ADMIN: a clear sentence, nothing else.
out=$(gw setpriv --bounding-set=-net_admin --inh-caps=-net_admin "$DRIVER" read 2>&1)
case $out in
*"need root (CAP_NET_ADMIN) to read the firewall; run smtpguard as root"*) ok "without CAP_NET_ADMIN read says so" ;;
*) fail "without CAP_NET_ADMIN read says so" "$out" ;;
esac

# Remove: the table is what it was before the first apply.
out=$(drv remove)
is "$(printf '%s\n' "$out" | tail -n 1)" "0 rules added, 14 removed, 0 chains created, 4 deleted" \
	"remove deletes every own rule and chain"
is "$(table)" "$before" "after remove the table equals the one before the first apply"
is "$(drv remove)" "nothing to change" "a second remove changes nothing"

done_testing
