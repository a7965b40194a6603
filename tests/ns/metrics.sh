#!/bin/sh
# metrics.sh - `smtpguard metrics` and watch's metrics_file on the real
# kernel: after mail from WLAN (log mode: dropped) and LAN (block mode,
# through the relay) the per zone, family and verdict packet and byte
# totals equal the own rules' counters (iptables-legacy-save -c and
# ip6tables-legacy-save -c; on nftables `nft list table inet smtpguard`,
# where a rule of both families is family inet), and they moved with the
# mail; drift says 0 after apply and 1 after a rule is added by hand;
# watch writes metrics_file within its interval, by rename (a new inode
# each time, every read of it complete), every non-comment line parses,
# and its hits counter counts the zombie.
# backends: iptables nftables
. tests/lib/tap.sh
. tests/lib/netns.sh
. tests/lib/backend.sh
. tests/lib/prom.sh
. tests/lib/watchcmd.sh
ns_require_root
backend_require
ns_setup || { fail "topology"; done_testing; exit 1; }
ns_start_servers || { fail "SMTP servers"; done_testing; exit 1; }
trap 'ns_cleanup' EXIT
CONF="$NS_DIR/smtpguard.conf"
PROM="$NS_DIR/prom/smtpguard.prom"
mkdir -p "$NS_DIR/prom"

write_zones_config "$CONF" block log
sed -i "s|^log_target = log|log_target = nflog\nlog_limit = 10000/second\nlog_burst = 10000\nhits_log = $NS_DIR/log/hits.log\nmetrics_file = $PROM\nmetrics_interval = 1|" "$CONF"

# The oracle: "zone family verdict packets bytes" from the counters of the own rules.
# iptables: the save output of each family.  A zone chain's rules are its zone's; in
# SMTPGUARD-FWD/-IN the zone jumped to or of the interface (eth1 lan, eth2 wlan); the jumps
# in FORWARD/INPUT zone "-".
kernel_sums_iptables() {
	{
		gw iptables-legacy-save -c -t filter | sed 's/^/ipv4 /'
		gw ip6tables-legacy-save -c -t filter | sed 's/^/ipv6 /'
	} | awk '
	$2 ~ /^\[[0-9]+:[0-9]+\]$/ && $3 == "-A" {
		split(substr($2, 2, length($2) - 2), c, ":")
		f = $1; chain = $4; target = ""
		for (i = 5; i < NF; i++) if ($i == "-j") target = $(i + 1)
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
		k = z " " f " " v; P[k] += c[1]; B[k] += c[2]
	}
	END { for (k in P) print k, P[k], B[k] }' | sort
}
# nftables: table inet smtpguard.  A zone_<zone> chain's rules are its zone's; elsewhere the
# zone jumped to, no zone ("-") for the jumps to guard, else the zone of the in- or
# out-interface (eth1 lan, eth2 wlan).
kernel_sums_nft() {
	gw nft list table inet smtpguard | awk '
	/^\t(set|chain) / { chain = ($1 == "chain") ? $2 : ""; next }
	chain != "" && / counter packets [0-9]+ bytes [0-9]+/ {
		rest = $0; sub(/.* counter packets /, "", rest); split(rest, w, " ")
		p = w[1]; b = w[3]; v = w[4]
		if (v == "jump" || v == "goto") { target = w[5]; v = "jump" }
		else if (v == "ct") v = "mark"
		else if (v != "drop" && v != "return" && v != "accept" && v != "log") next
		f = /[ \t]ip6 / ? "ipv6" : /[ \t]ip / ? "ipv4" : "inet"
		if (chain ~ /^zone_/) z = substr(chain, 6)
		else if (v == "jump") z = target ~ /^zone_/ ? substr(target, 6) : "-"
		else if ($0 ~ /[io]ifname "eth1"/) z = "lan"
		else if ($0 ~ /[io]ifname "eth2"/) z = "wlan"
		else z = "-"
		if (z != "lan" && z != "wlan") z = "-"
		k = z " " f " " v; P[k] += p; B[k] += b
	}
	END { for (k in P) print k, P[k], B[k] }' | sort
}
kernel_sums() { if on_nft; then kernel_sums_nft; else kernel_sums_iptables; fi; }
if on_nft; then ORACLE="the counters of nft list table inet smtpguard"; else
	ORACLE="iptables-legacy-save -c and ip6tables-legacy-save -c"; fi
# The same from the metrics text on stdin.
metrics_sums() {
	sed -n 's/^smtpguard_rule_\(packets\|bytes\)_total{zone="\([^"]*\)",family="\([a-z0-9]*\)",verdict="\([a-z]*\)"} \([0-9]*\)$/\1 \2 \3 \4 \5/p' |
		awk '{ if ($1 == "packets") p[$2 " " $3 " " $4] += $5; else b[$2 " " $3 " " $4] += $5 }
		     END { for (k in p) print k, p[k], b[k] }' | sort
}
# watch's file whole: it parses and ends with its last sample.
prom_whole() { prom_parses "$1" && tail -n 1 "$1" | grep -q '^smtpguard_watch_start_time_seconds [0-9]*$'; }
# metrics once, with the oracle read before and after it the same (else again; 3 tries).
metrics_and_oracle() {
	for _ in 1 2 3; do
		before=$(kernel_sums)
		out=$(sg -c "$CONF" metrics 2>"$NS_DIR/m.err")
		after=$(kernel_sums)
		[ "$before" = "$after" ] && break
	done
}
sum_of() { # sum_of "ZONE FAMILY VERDICT" (from $before): its packets, 0 when absent
	printf '%s\n' "$before" | awk -v k="$1" '$1 " " $2 " " $3 == k { print $4; found = 1 } END { if (!found) print 0 }'
}
# The zombie's drop rule: one rule for both families on nftables, the IPv4 table's on iptables.
if on_nft; then ZOMBIE_DROP="wlan inet drop"; else ZOMBIE_DROP="wlan ipv4 drop"; fi

if out=$(sg -c "$CONF" apply 2>&1); then ok "apply on $TEST_BACKEND: lan block, wlan log"; else fail "apply" "$out"; fi
out=$(sg -c "$CONF" metrics 2>&1)
case $out in *"smtpguard_drift 0"*) ok "metrics: drift 0 after apply" ;; *) fail "metrics: drift 0 after apply" "$out" ;; esac
metrics_and_oracle
drop0=$(sum_of "$ZOMBIE_DROP")
relay0=$(sum_of "lan ipv4 return")

# ---- watch writes metrics_file within its interval (1 s; bound 5 s)
: >"$NS_DIR/w.err"	# there before watch_start reads it
watch_start "$CONF" "$NS_DIR/w.err"
if wait_until 5 test -s "$PROM"; then ok "watch writes metrics_file"; else fail "watch writes metrics_file" "$(cat "$NS_DIR/w.err")"; fi
if prom_parses "$PROM"; then ok "metrics_file parses (every sample line)"; else fail "metrics_file parses" "$(cat "$PROM")"; fi
is "$(stat -c %a "$PROM")" 644 "metrics_file is 0644"

# ---- traffic: the zombie on WLAN is dropped, LAN mails through the relay
send_mail "$NS_WLAN" 203.0.113.25 && fail "log mode drops the zombie's mail"
send_mail "$NS_LAN" 203.0.113.10 || fail "LAN mails through the relay"

# ---- the totals equal the kernel's counters, and moved with the mail (not a check of zeros)
metrics_and_oracle
got=$(printf '%s\n' "$out" | metrics_sums)
if [ -n "$got" ] && [ "$got" = "$before" ]; then
	ok "metrics totals per zone, family and verdict = $ORACLE"
else
	fail "metrics totals = $ORACLE" "metrics:" "$got" "kernel:" "$before" "$(cat "$NS_DIR/m.err")"
fi
drop1=$(sum_of "$ZOMBIE_DROP")
relay1=$(sum_of "lan ipv4 return")
if [ "$drop1" -gt "$drop0" ] && [ "$relay1" -gt "$relay0" ]; then
	ok "the counters moved with the mail: $ZOMBIE_DROP $drop0 -> $drop1, lan relay return $relay0 -> $relay1"
else
	fail "the counters moved with the mail" "$ZOMBIE_DROP $drop0 -> $drop1, lan relay return $relay0 -> $relay1" "$before"
fi
printf '%s\n' "$out" >"$NS_DIR/once.prom"
if prom_parses "$NS_DIR/once.prom"; then ok "smtpguard metrics parses"; else fail "smtpguard metrics parses" "$out"; fi

# ---- watch's next rewrite counts the zombie's hits (interval 1 s; bound 10 s)
if wait_until 10 grep -qE '^smtpguard_hits_total\{zone="wlan",action="dropped"\} [1-9]' "$PROM"; then
	ok "metrics_file rewritten: hits of wlan counted"
else
	fail "metrics_file rewritten: hits of wlan counted" "$(cat "$PROM")" "$(cat "$NS_DIR/w.err")"
fi
if prom_parses "$PROM"; then ok "the rewritten file parses"; else fail "the rewritten file parses" "$(cat "$PROM")"; fi

# ---- atomically: each rewrite is a new file renamed over the old (a new inode; bound 5 s),
# and 300 reads while it is being rewritten each see a complete file
ino=$(stat -c %i "$PROM")
# shellcheck disable=SC2016 # $1 and $2 are the inner sh's
if wait_until 5 sh -c '[ "$(stat -c %i "$1")" != "$2" ]' sh "$PROM" "$ino"; then
	ok "a rewrite replaces the file by rename (new inode)"
else
	fail "a rewrite replaces the file by rename" "inode $ino stayed"
fi
torn=0
for _ in $(seq 300); do
	cp "$PROM" "$NS_DIR/read.prom" && prom_whole "$NS_DIR/read.prom" || torn=$((torn + 1))
done
is "$torn" 0 "300 reads during the rewrites: none saw a partial file"

# ---- a rule added by hand: drift 1
if on_nft; then
	gw nft add rule inet smtpguard zone_wlan tcp dport 26 counter drop
else
	gw iptables-legacy -A SMTPGUARD-wlan -p tcp --dport 26 -j DROP
fi
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
