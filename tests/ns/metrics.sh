#!/bin/sh
# metrics.sh - `smtpguard metrics` and watch's metrics_file on the real
# kernel: after mail from WLAN (log mode: dropped) and LAN (block mode,
# through the relay), the per zone and verdict packet and byte totals
# equal the own rules' counters of iptables-legacy-save -c and
# ip6tables-legacy-save -c; drift says 0 after apply and 1 after a rule
# is added by hand; watch writes metrics_file within its interval, every
# non-comment line parses, and its hits counter counts the zombie.
. tests/lib/tap.sh
. tests/lib/netns.sh
. tests/lib/prom.sh
. tests/lib/watchcmd.sh
ns_require_root
ns_setup || { fail "topology"; done_testing; exit 1; }
ns_start_servers || { fail "SMTP servers"; done_testing; exit 1; }
trap 'ns_cleanup' EXIT
CONF="$NS_DIR/smtpguard.conf"
PROM="$NS_DIR/prom/smtpguard.prom"
mkdir -p "$NS_DIR/prom"

write_zones_config "$CONF" block log
sed -i "s|^log_target = log|log_target = nflog\nlog_limit = 10000/second\nlog_burst = 10000\nhits_log = $NS_DIR/log/hits.log\nmetrics_file = $PROM\nmetrics_interval = 2|" "$CONF"

# The oracle: "zone verdict packets bytes" per zone and verdict, both
# families summed, from the save output of the own rules.  A zone chain's
# rules are its zone's; in SMTPGUARD-FWD/-IN the zone jumped to or of the
# interface (eth1 lan, eth2 wlan); the jumps in FORWARD/INPUT zone "-".
kernel_sums() {
	{ gw iptables-legacy-save -c -t filter; gw ip6tables-legacy-save -c -t filter; } | awk '
	/^\[[0-9]+:[0-9]+\] -A / {
		split(substr($1, 2, length($1) - 2), c, ":")
		chain = $3; target = ""
		for (i = 4; i < NF; i++) if ($i == "-j") target = $(i + 1)
		own = chain ~ /^SMTPGUARD-/ || target ~ /^SMTPGUARD-(FWD|IN)$/
		if (!own) next
		if (target ~ /^SMTPGUARD-/) v = "jump"; else if (target == "DROP") v = "drop"
		else if (target == "RETURN") v = "return"; else if (target == "LOG" || target == "NFLOG") v = "log"
		else if (target == "CONNMARK") v = "mark"; else v = "other"
		if (chain == "FORWARD" || chain == "INPUT") z = "-"
		else if (chain == "SMTPGUARD-FWD" || chain == "SMTPGUARD-IN") {
			z = "-"
			if (target ~ /^SMTPGUARD-(lan|wlan)(-MAC)?$/) { z = target; sub(/^SMTPGUARD-/, "", z); sub(/-MAC$/, "", z) }
			else if ($0 ~ / -[io] eth1 /) z = "lan"; else if ($0 ~ / -[io] eth2 /) z = "wlan"
		} else { z = chain; sub(/^SMTPGUARD-/, "", z); sub(/-MAC$/, "", z) }
		p[z " " v] += c[1]; b[z " " v] += c[2]
	}
	END { for (k in p) print k, p[k], b[k] }' | sort
}
# The same from the metrics text on stdin.
metrics_sums() {
	sed -n 's/^smtpguard_rule_\(packets\|bytes\)_total{zone="\([^"]*\)",family="[a-z0-9]*",verdict="\([a-z]*\)"} \([0-9]*\)$/\1 \2 \3 \4/p' |
		awk '{ if ($1 == "packets") p[$2 " " $3] += $4; else b[$2 " " $3] += $4 }
		     END { for (k in p) print k, p[k], b[k] }' | sort
}

if out=$(sg -c "$CONF" apply 2>&1); then ok "apply: lan block, wlan log"; else fail "apply" "$out"; fi
out=$(sg -c "$CONF" metrics 2>&1)
case $out in *"smtpguard_drift 0"*) ok "metrics: drift 0 after apply" ;; *) fail "metrics: drift 0 after apply" "$out" ;; esac

# ---- watch writes metrics_file within its interval (2 s; bound 5 s)
(exec ip netns exec "$NS_GW" "$SMTPGUARD" -c "$CONF" watch 2>"$NS_DIR/w.err") &
echo $! >"$NS_DIR/watch.pid"
if wait_until 5 test -s "$PROM"; then ok "watch writes metrics_file"; else fail "watch writes metrics_file" "$(cat "$NS_DIR/w.err")"; fi
if prom_parses "$PROM"; then ok "metrics_file parses (every sample line)"; else fail "metrics_file parses" "$(cat "$PROM")"; fi
[ "$(stat -c %a "$PROM")" = 644 ] && ok "metrics_file is 0644" || fail "metrics_file is 0644" "$(stat -c %a "$PROM")"

# ---- traffic: the zombie on WLAN is dropped, LAN mails through the relay
send_mail "$NS_WLAN" 203.0.113.25 && fail "log mode drops the zombie's mail"
send_mail "$NS_LAN" 203.0.113.10 || fail "LAN mails through the relay"

# ---- the totals equal the kernel's counters (read before and after: both the same, else again; 3 tries)
for try in 1 2 3; do
	before=$(kernel_sums)
	out=$(sg -c "$CONF" metrics 2>"$NS_DIR/m.err")
	after=$(kernel_sums)
	[ "$before" = "$after" ] && break
done
got=$(printf '%s\n' "$out" | metrics_sums)
if [ -n "$got" ] && [ "$got" = "$before" ]; then
	ok "metrics totals per zone and verdict = iptables-legacy-save -c (both families)"
else
	fail "metrics totals per zone and verdict = the kernel's" "metrics:" "$got" "kernel:" "$before" "$(cat "$NS_DIR/m.err")"
fi
case $before in
*"wlan drop "[1-9]*) ok "the oracle saw the zombie's drops (the check is not of zeros)" ;;
*) fail "the oracle saw the zombie's drops" "$before" ;;
esac
printf '%s\n' "$out" >"$NS_DIR/once.prom"
if prom_parses "$NS_DIR/once.prom"; then ok "smtpguard metrics parses"; else fail "smtpguard metrics parses" "$out"; fi

# ---- watch's next rewrite counts the zombie's hits (interval 2 s; bound 10 s)
if wait_until 10 grep -qE '^smtpguard_hits_total\{zone="wlan",action="dropped"\} [1-9]' "$PROM"; then
	ok "metrics_file rewritten: hits of wlan counted"
else
	fail "metrics_file rewritten: hits of wlan counted" "$(cat "$PROM")" "$(cat "$NS_DIR/w.err")"
fi
if prom_parses "$PROM"; then ok "the rewritten file parses"; else fail "the rewritten file parses" "$(cat "$PROM")"; fi

# ---- a rule added by hand: drift 1
gw iptables-legacy -A SMTPGUARD-wlan -p tcp --dport 26 -j DROP
out=$(sg -c "$CONF" metrics 2>&1)
case $out in *"smtpguard_drift 1"*) ok "metrics: drift 1 after a change by hand" ;; *) fail "metrics: drift 1 after a change by hand" "$out" ;; esac

watch_stop
rc=$?
if [ $rc = 0 ] && ! grep -q "metrics rewrites failed" "$NS_DIR/w.err"; then
	ok "watch stops cleanly, no metrics rewrite failed"
else
	fail "watch stops cleanly, no metrics rewrite failed" "rc=$rc" "$(cat "$NS_DIR/w.err")"
fi
sg -c "$CONF" remove >/dev/null 2>&1
done_testing
