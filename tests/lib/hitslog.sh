# hitslog.sh - counting in the hits log of `smtpguard watch` against the
# kernel, for namespace tests (source after tests/lib/netns.sh).

# lines of the zombie (192.0.2.66) in the hits logs FILE...
hit_lines() { cat "$@" 2>/dev/null | grep -c '"src":"192.0.2.66"'; }
# the sum of the {"lost":N} lines of FILE...
lost_sum() { cat "$@" 2>/dev/null | sed -n 's/.*"lost":\([0-9]*\).*/\1/p' | awk '{ s += $1 } END { print s + 0 }'; }
# packets the NFLOG rules logged: their counters, [packets:bytes] in iptables-legacy-save -c
nflog_packets() {
	gw iptables-legacy-save -c -t filter | sed -n 's/^\[\([0-9]*\):[0-9]*\] -A SMTPGUARD.* -j NFLOG.*/\1/p' |
		awk '{ s += $1 } END { print s + 0 }'
}
